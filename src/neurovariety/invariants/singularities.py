"""Singular points from subnetworks: the tangent-span test with exact ranks, and smoothness proofs.

Singular ("yes"). At a smooth point f of M every image of dφ at a parameter in the fiber over f
lies in the tangent space T_f M, of dimension dim M. So if the images of dφ at several fiber
points together span more than dim M directions, f is singular. The span is an exact rank over
GF(p) at rational fiber points (a proven lower bound); with a certified dim M the verdict "yes" is
proven. The condition "span > dim M" is Zariski-open on the (irreducible) stratum, so a random
point that satisfies it shows that the generic point of the stratum's image is singular.

Smooth ("no"), where a theorem or a complete local argument proves it:

* V is the whole ambient space (certified dimension): a linear space is smooth.
* The stratum's image has dimension dim V (certified): it is dense in the irreducible V, so its
  generic point lies in the dense open smooth locus.
* Single-channel CNNs with σ = x^r (r ≥ 2; PCN, arXiv:2410.00722) and LCNs with all strides ≥ 2
  (KMST, arXiv:2304.05752): Φ is a finite birational projection of a Segre–Veronese variety, and
  a single preimage of full rank is a smooth point (:mod:`.cnn_fiber`). Two placements of full
  rank whose tangent spaces differ, every other padding excluded: a node (two smooth branches).
* Hypersurfaces (I(V) = (F) proven, ≤ 16 coordinates) are decided exactly by the Jacobian
  criterion, with the local type from the tangent cone (:mod:`.tangent_cone`).

Anything else is "unknown", with the reason.

Fiber points: MLP neurons and ConvNet hidden channels are added back inactive or as a split copy
(every component of the fiber); paddings are moved to every equivalent placement
(:func:`~.strata.placements`); an LCN's filter polynomials are also reassigned to other layers.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN, LCN
from ..errors import InternalError, NeurovarietyError
from ..exact import primes_below, rank_mod
from ..parametrization.exact import forward_mod_p, jacobian_mod_p
from ..parametrization.points import residue_array
from ..results import Certainty, Graded, Provenance, Result, Verdict, weakest
from .cnn_fiber import CnnFiber, cnn_fiber, lcn_factor_points, no_theorem
from .dimension import DEFAULT_PRIME_BITS, DimensionResult, dimension
from .strata import Stratum, embed_unit, iter_strata, placements, unit_filters
from .tangent_cone import MAX_HYPERSURFACE_COORDINATES, hypersurface_analysis, tangent_cone

__all__ = [
    "SingularityResult",
    "hypersurface_analysis",
    "iter_singular",
    "lcn_factor_points",
    "rank_at",
    "singular",
    "singular_strata",
    "tangent_cone",
]


@dataclasses.dataclass(frozen=True, repr=False)
class SingularityResult(Result, Graded, Provenance):
    """Whether the generic point of a stratum's image is a singular point of the neuromanifold.

    ``certainty``: ``proven`` for a verdict from exact ranks with a certified dimension, a
    theorem or the Jacobian criterion; ``probable`` for "yes" against a dimension that is not
    certified; ``unknown`` with the verdict "unknown".
    """

    stratum: str
    image: str
    image_dimension: int
    dimension: int
    verdict: Verdict
    branches: int | None
    kind: str
    reason: str
    local_type: dict[str, Any]
    evidence: dict[str, Any]

    def title(self) -> str:
        return f"SingularityResult  {self.architecture}  [{self.stratum}]"

    def bullets(self) -> list[str]:
        ev = self.evidence
        how = "certified" if self.certified else Certainty(self.certainty).value
        decided = "" if self.verdict is Verdict.UNKNOWN else f" ({how})"
        b = [
            f"singular: {self.verdict.value}{decided} — {self.kind}",
            f"why: {self.reason}",
            f"stratum image {self.image} of dimension {self.image_dimension} inside dim M = "
            f"{self.dimension}",
            f"tangent span at {ev['fiber_points']} fiber points: rank {ev['span_rank']} "
            f"(ranks of dφ there: {ev['fiber_ranks']}) mod {ev['prime']}, {ev['samples']} samples",
        ]
        if self.branches is not None:
            b.append(f"branches: {self.branches}")
        lt = self.local_type
        extra = f" — {lt['meaning']}" if "meaning" in lt else ""
        b.append(f"local type: {lt['type']}{extra} (method: {lt['method']})")
        b.append(self.provenance_bullet())
        return b


def _unit_fiber_points(
    stratum: Stratum, p: int, rng: np.random.Generator, count: int
) -> list[np.ndarray]:
    """Points of the fiber over a generic function of a neuron (channel) stratum.

    The function f is computed by the smaller network; every way of adding unit 0 back without
    changing f is a component of the fiber: inactive-out (any incoming weights), inactive-in (any
    outgoing ones, if σ(0) = 0 and there is no bias), or a copy of unit 1 (any split of its
    outgoing weights). Points on all of them."""
    arch, i, red = stratum.arch, stratum.layer, stratum.reduced
    assert red is not None
    theta_red = residue_array((red.n_params,), p, rng)
    red_in, red_out = unit_filters(red, i, 0)
    n_in, n_out = (len(ix) for ix in unit_filters(arch, i, 0))
    sigma_at_0 = arch.activation.coefficients[0]  # type: ignore[attr-defined]
    inactive_in = sigma_at_0 == 0 and not getattr(arch, "bias", False)
    points = []
    for _ in range(count):
        points.append(
            embed_unit(arch, i, theta_red, residue_array((n_in,), p, rng), np.zeros(n_out))
        )
        if inactive_in:
            points.append(
                embed_unit(arch, i, theta_red, np.zeros(n_in), residue_array((n_out,), p, rng))
            )
        t = residue_array((n_out,), p, rng)
        split = theta_red.copy()
        split[red_out] = np.mod(theta_red[red_out] - t, p)
        points.append(embed_unit(arch, i, split, theta_red[red_in].copy(), t))
    return points


def _fiber_points(
    stratum: Stratum, theta0: np.ndarray, p: int, rng: np.random.Generator, count: int
) -> list[np.ndarray]:
    """Points of the fiber over the function at ``theta0`` (a generic point of the stratum)."""
    if stratum.kind in ("padding", "interior-zero"):
        return placements(stratum, theta0)
    if stratum.reduced is None:
        return [theta0]
    return _unit_fiber_points(stratum, p, rng, count)


@dataclasses.dataclass
class _Span:
    """The tangent-span test's evidence: fiber points, their ranks and the rank of the span."""

    points: list[np.ndarray]
    placements: int  # the first ones: equivalent paddings (CNN) or unit embeddings
    jacobians: list[np.ndarray]
    ranks: list[int]
    span: int
    prime: int
    samples: int


def _tangent_span(
    arch: Architecture, stratum: Stratum, dim: DimensionResult, seed: int, fiber_points: int
) -> _Span:
    """Fiber points over a random point of the stratum, checked to compute one function mod p,
    and the exact ranks of dφ at each and of their span."""
    p = primes_below(1 << DEFAULT_PRIME_BITS, 1, seed=seed + 17)[0]
    rng = np.random.default_rng([seed, p, 7])
    B = stratum.basis
    theta0 = np.mod(B @ residue_array((B.shape[1],), p, rng), p)
    points = _fiber_points(stratum, theta0, p, rng, fiber_points)
    placed = len(points)
    if isinstance(arch, LCN):
        points += lcn_factor_points(arch, points[0])
    n_samples = max(1, min(arch.ambient_dim_per_output, dim.dimension + 1))
    x = residue_array((n_samples, arch.n_inputs), p, rng)
    f0 = forward_mod_p(arch, points[0], x, p)
    for theta in points:
        if not np.array_equal(forward_mod_p(arch, theta, x, p), f0):
            raise InternalError(f"a fiber point of {stratum.name} computes another function")
    jacs = [jacobian_mod_p(arch, theta, x, p) for theta in points]
    ranks = [rank_mod(J, p) for J in jacs]
    span = rank_mod(np.concatenate(jacs, axis=1), p)
    return _Span(points, placed, jacs, ranks, span, p, n_samples)


def singular(
    arch: Architecture,
    stratum: Stratum,
    *,
    seed: int = 0,
    fiber_points: int = 4,
    dim: DimensionResult | None = None,
) -> SingularityResult:
    """Is the generic point of ``stratum``'s image a singular point of the neurovariety?

    ``yes`` when the images of dφ at fiber points span more than dim M (proven when dim M is
    certified); ``no`` where smoothness is proven (the module docstring lists the arguments: a
    filling V, a stratum image dense in V, the finite birational projection of a Segre–Veronese
    variety for monomial CNNs and strided LCNs with a single preimage of full rank, or the
    Jacobian criterion); ``unknown`` otherwise, with the reason. For CNNs the fiber points are the
    equivalent zero-paddings; each one of full rank is a smooth branch, two or more make a node.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.strata import parse_stratum
    >>> f = parse_architecture("cnn k=2,2 x^2")
    >>> r = singular(f, parse_stratum(f, "padding 0|1 1|0"))
    >>> r.verdict.value, r.certainty.value, r.branches, r.kind
    ('yes', 'proven', 2, 'node')
    >>> g = parse_architecture("cnn k=2,2 s=2 x^2")
    >>> singular(g, parse_stratum(g, "padding 0|1 1|0")).verdict.value
    'no'
    """
    t0 = time.perf_counter()
    if stratum.arch != arch:
        raise NeurovarietyError(f"stratum {stratum.name!r} belongs to {stratum.arch.spec}")
    dim = dim or dimension(arch, seed=seed)
    reduced = stratum.reduced
    red_dim = dimension(reduced, seed=seed) if reduced is not None else None
    image_dim = red_dim.dimension if red_dim is not None else 0
    image_lower = (red_dim.lower_bound or 0) if red_dim is not None else 0
    ts = _tangent_span(arch, stratum, dim, seed, fiber_points)
    fiber: CnnFiber | None = None
    if isinstance(arch, CNN) and reduced is not None:
        fiber = cnn_fiber(arch, stratum, ts.ranks[: ts.placements], image_lower, ts.prime, seed)
    grad_zero, local = _jacobian_criterion(arch, stratum, dim, image_dim, seed)
    verdict, certainty, method, reason = _decide(stratum, dim, image_lower, ts, fiber, grad_zero)
    branches = (
        _distinct_tangent_spaces(ts.jacobians, ts.ranks, dim.dimension, ts.prime)
        if stratum.kind in ("padding", "interior-zero")
        else None
    )
    kind = _kind(verdict, branches, ts, dim.dimension, fiber)
    return SingularityResult(
        architecture=arch.spec,
        stratum=stratum.name,
        image=reduced.spec if reduced is not None else "0",
        image_dimension=image_dim,
        dimension=dim.dimension,
        verdict=verdict,
        certainty=certainty,
        branches=branches,
        kind=kind,
        reason=reason,
        local_type=local or _default_local_type(verdict, kind, branches),
        evidence={
            "method": method,  # the argument that gave the verdict
            "span_rank": ts.span,
            "fiber_ranks": ts.ranks,
            "fiber_points": len(ts.points),
            "prime": ts.prime,
            "samples": ts.samples,
            "dimension_status": dim.status,
            "excluded_paddings": fiber.excluded if fiber is not None else {},
        },
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def _jacobian_criterion(
    arch: Architecture, stratum: Stratum, dim: DimensionResult, image_dim: int, seed: int
) -> tuple[bool | None, dict[str, Any] | None]:
    """Whether ∇F vanishes on the stratum's image, and the local type, where V = {F = 0} with
    I(V) = (F) proven; (None, None) elsewhere."""
    if not (dim.certified and arch.ambient_dim == dim.dimension + 1):
        return None, None
    if arch.ambient_dim > MAX_HYPERSURFACE_COORDINATES:
        return None, None
    from .singular_locus import hypersurface

    hs = hypersurface(arch, seed)
    if hs is None:
        return None, None
    return hypersurface_analysis(arch, stratum, *hs, image_dim, seed)


def _decide(
    stratum: Stratum,
    dim: DimensionResult,
    image_lower: int,
    ts: _Span,
    fiber: CnnFiber | None,
    grad_zero: bool | None,
) -> tuple[Verdict, Certainty, str, str]:
    """The verdict, its certainty, the argument that gave it and the reason, in words."""
    n = dim.dimension
    dense = dim.certified and dim.status != "numeric" and image_lower >= n
    if ts.span > n:
        if dense:
            raise InternalError(f"{stratum.name} is dense in M and yet singular")
        how = "certified" if dim.certified else "probable"
        verdict, certainty, method = (
            Verdict.YES,
            weakest(Certainty.PROVEN, dim.certainty),
            "tangent-span",
        )
        reason = (
            f"the images of dφ at {len(ts.points)} fiber points span {ts.span} > dim M = {n} "
            f"({how}) directions; at a smooth point they would lie in one tangent space"
        )
    elif dim.filling and dim.certified:
        verdict, certainty, method = Verdict.NO, Certainty.PROVEN, "filling"
        reason = "V is the whole ambient space (certified dimension), a linear space"
    elif dense:
        verdict, certainty, method = Verdict.NO, Certainty.PROVEN, "dense-image"
        reason = (
            f"the stratum's image has dimension {image_lower} = dim V (certified): it is dense "
            "in the irreducible V, so its generic point lies in the dense smooth locus"
        )
    elif fiber is not None and fiber.smooth:
        verdict, certainty, method = Verdict.NO, Certainty.PROVEN, "finite-projection"
        reason = fiber.reason
    else:
        verdict, certainty, method = Verdict.UNKNOWN, Certainty.UNKNOWN, "undecided"
        reason = (
            f"the tangent span {ts.span} does not exceed dim M = {n}, which proves nothing; "
            + (fiber.reason if fiber is not None else no_theorem(stratum.arch))
        )
    if grad_zero is None:
        return verdict, certainty, method, reason
    # The Jacobian criterion decides what the arguments above leave open, and checks the rest.
    if verdict is not Verdict.UNKNOWN and grad_zero != (verdict is Verdict.YES):
        raise InternalError(
            f"{stratum.name} is {verdict.value} by the tangent span or a smoothness proof, and ∇F "
            f"{'vanishes' if grad_zero else 'does not vanish'} on its image"
        )
    if verdict is not Verdict.UNKNOWN:
        return verdict, certainty, method, reason
    if grad_zero:
        return (
            Verdict.YES,
            Certainty.PROVEN,
            "jacobian-criterion",
            (
                "∇F vanishes identically on the stratum's image (∇F composed with its "
                "parametrization is the zero polynomial over Q) and I(V) = (F): Jacobian criterion"
            ),
        )
    return (
        Verdict.NO,
        Certainty.PROVEN,
        "jacobian-criterion",
        (
            "∇F composed with the stratum's parametrization is a non-zero polynomial and "
            "I(V) = (F): a point of the image where ∇F ≠ 0 is smooth, and the smooth points form "
            "a dense open subset of the (irreducible) image"
        ),
    )


def _kind(verdict: Verdict, branches: int | None, ts: _Span, n: int, fiber: CnnFiber | None) -> str:
    """What the fiber shows: a node, smooth branches, or dφ dropping rank."""
    if verdict is Verdict.YES and ts.span <= n:
        return "singular (∇F = 0 on the image; the tangent span did not show it)"
    if verdict is Verdict.NO:
        return "smooth"
    if branches is None:  # neurons and channels
        if verdict is Verdict.UNKNOWN:
            return "undecided"
        if max(ts.ranks) < n:
            return (
                "dφ below full rank at every sampled point of a positive-dimensional fiber (mod p)"
            )
        return "tangent images at several fiber points exceed dim M"
    if verdict is Verdict.UNKNOWN:
        return f"{branches} placement(s) of full rank; no second tangent space seen"
    if branches < 2 or not all(r == n for r in ts.ranks):
        return "singular (dφ drops rank on the fiber)"
    exact = fiber is not None and fiber.others_excluded
    if branches == 2 and exact:
        return "node"
    if exact:
        return f"{branches} smooth branches"
    return f"at least {branches} smooth branches (other preimages not excluded)"


def _default_local_type(verdict: Verdict, kind: str, branches: int | None) -> dict[str, Any]:
    """The local type where no tangent cone was computed (no proven equation of V)."""
    if verdict is Verdict.NO:
        return {"type": "smooth", "method": "the smoothness proof above"}
    if kind == "node":
        return {
            "type": "node",
            "meaning": "two smooth branches with distinct tangent spaces, no other preimage",
            "method": "tangent-span test: the fiber's placements, other paddings excluded",
        }
    return {
        "type": "undecided",
        "method": "no proven generator of I(V) for a tangent cone; the tangent-span "
        f"test saw {branches if branches is not None else '?'} branch(es) of full rank",
    }


def _distinct_tangent_spaces(jacs: list[np.ndarray], ranks: list[int], n: int, p: int) -> int:
    """Distinct images of dφ among the fiber points where dφ has rank n (dim M), mod p."""
    seen: list[np.ndarray] = []
    for J, r in zip(jacs, ranks, strict=True):
        if r == n and all(rank_mod(np.concatenate([J, K], axis=1), p) > n for K in seen):
            seen.append(J)
    return len(seen)


def singular_strata(
    arch: Architecture, *, seed: int = 0, seconds: float | None = None
) -> list[SingularityResult]:
    """:func:`singular` on every stratum of ``arch`` (sharing one dimension computation); with
    ``seconds``, the strata tested before that time limit."""
    return list(iter_singular(arch, seed=seed, seconds=seconds))


def iter_singular(
    arch: Architecture, *, seed: int = 0, seconds: float | None = None
) -> Iterator[SingularityResult]:
    """:func:`singular` on the strata of ``arch`` as they are enumerated (:func:`iter_strata`),
    none started after ``seconds``; compare the number yielded with :func:`count_strata`."""
    t0 = time.perf_counter()
    dim = dimension(arch, seed=seed)
    for s in iter_strata(arch):
        if seconds is not None and time.perf_counter() - t0 >= seconds:
            return
        yield singular(arch, s, seed=seed, dim=dim)


def rank_at(arch: Architecture, theta: Any, *, seed: int = 0, primes: int = 2) -> int:
    """Exact rank of dφ at given integer parameters (max over primes: a proven lower bound).

    Compare with the dimension to find the rank-drop locus.

    >>> from neurovariety import parse_architecture
    >>> rank_at(parse_architecture("mlp 2-2-1 x^2"), [1, 0, 1, 0, 1, 0])   # redundant neurons
    2
    """
    theta = np.asarray(theta)
    if theta.shape != (arch.n_params,) or not np.all(np.equal(np.mod(theta, 1), 0)):
        raise NeurovarietyError(
            f"theta must be {arch.n_params} integers for {arch.spec}; got shape {theta.shape}"
        )
    best = 0
    for i, p in enumerate(primes_below(1 << DEFAULT_PRIME_BITS, primes, seed=seed)):
        rng = np.random.default_rng([seed, i])
        n_samples = max(1, min(arch.ambient_dim_per_output, arch.n_params))
        x = residue_array((n_samples, arch.n_inputs), p, rng)
        J = jacobian_mod_p(arch, np.mod(theta.astype(np.int64), p).astype(float), x, p)
        best = max(best, rank_mod(J, p))
    return best
