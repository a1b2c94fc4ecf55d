"""Singular points from subnetworks: the tangent-span test with exact ranks, and smoothness proofs.

Singular ("yes"). At a smooth point f of M every image of dφ at a parameter in the fiber over f
lies in the tangent space T_f M, of dimension dim M. So if the images of dφ at several fiber
points together span more than dim M directions, f is singular. The span is an exact rank over
GF(p) at rational fiber points (a proven lower bound); with a certified dim M the verdict "yes" is
certified. The condition "span > dim M" is Zariski-open on the (irreducible) stratum, so a random
point that satisfies it shows that the generic point of the stratum's image is singular.

Smooth ("no"), where a theorem or a complete local argument proves it:

* V is the whole ambient space (certified dimension): a linear space is smooth.
* The stratum's image has dimension dim V (certified): it is dense in the irreducible V, so its
  generic point lies in the dense open smooth locus.
* Convolutional networks with σ = x^r (r ≥ 2; PCN, arXiv:2410.00722) and linear ones with all
  strides ≥ 2 (KMST, arXiv:2304.05752). Here φ is multihomogeneous of degrees (r^{L−1}, …, r, 1)
  in the filters, so its projectivisation Φ is a linear projection of the Segre–Veronese variety
  X = P^{k_1−1} × ⋯ × P^{k_L−1}. It has no base point: the lowest input x_o reached by non-zero
  filters occurs in f as x_o^{r^{L−1}} with coefficient Π_i w_i[a_i]^{r^{L−i}}, a_i the first
  non-zero entry of w_i. A projection without base points is a finite morphism onto its closed
  image Y, and it is birational (PCN; KMST for strides ≥ 2): one torus orbit over a generic f.
  A finite morphism whose fiber over y is a single point x at which dΦ is injective (the scheme
  fiber is one reduced point) is, by Nakayama's lemma, an isomorphism of local rings
  O_{Y,y} ≅ O_{X,x}; X is smooth, so y is a smooth point of Y and f ≠ 0 of the cone V. The set of
  such y is open (fiber length is upper semicontinuous), so it suffices at the generic point of
  the stratum's image, where the argument is checked as follows.
  - dΦ injective at x ⇔ rank dφ = |k| − L + 1 at a parameter over f (the rescaling torus, of
    dimension L − 1, lies in the kernel, so this is the largest rank): an exact rank at a random
    point of the stratum, a lower bound of the generic one.
  - One preimage: a preimage w' of f has the same lowest and highest inputs as f, so its
    zero-padding has the same offsets o = Σ a_i s_1⋯s_{i−1} and e = Σ b_i s_1⋯s_{i−1}. Paddings
    with the stratum's reduced filter sizes give the equivalent placements (one orbit each over
    generic f, by birationality of the reduced network); any other padding, with reduced sizes
    k', is excluded when its image W' cannot contain the stratum's image Z: dim W' ≤ |k'| − L + 1
    is below dim Z, or a monomial present in a point of Z is not reachable by k', or a monomial
    reachable by k' but not by Z has as coefficient a single product of end entries of the
    k'-filters (non-zero on that padding, zero on Z).
  One placement and every other padding excluded: smooth. Two placements of full rank whose
  tangent spaces differ: a node (two smooth branches).

Hypersurfaces (I(V) = (F) proven, ≤ 16 coordinates) are decided exactly: the stratum's image
lies in Sing V iff ∇F composed with its parametrization is the zero polynomial over Q (Jacobian
criterion), and the local type is read off the tangent cone of F at a rational image point
(:func:`hypersurface_analysis`). Elsewhere the type is a node only from two excluded-other
placements, and undecided otherwise.

Anything else is "unknown", with the reason.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN, LCN, reachable_support
from ..architectures.mlp import MLP
from ..errors import BudgetExceededError, InternalError, NeurovarietyError
from ..exact import primes_below, rank_mod
from ..parametrization.exact import coefficient_polynomials, forward_mod_p, jacobian_mod_p
from ..parametrization.points import residue_array
from ..results import Result, Verdict
from .dimension import DEFAULT_PRIME_BITS, DimensionResult, dimension
from .strata import Stratum, cnn_offset, embed_neuron, equivalent_paddings, iter_strata

MAX_EXCLUSION_TERMS = 20_000  # expanding a k'-network's coefficients to exclude its padding
MAX_HYPERSURFACE_COORDINATES = 16  # the Jacobian criterion's Gröbner bases over Q (singular_locus)


@dataclasses.dataclass(frozen=True, repr=False)
class SingularityResult(Result):
    """Whether the generic point of a stratum's image is a singular point of the neuromanifold."""

    architecture: str
    stratum: str
    image: str
    image_dimension: int
    dimension: int
    verdict: Verdict
    certified: bool
    branches: int | None
    kind: str
    reason: str
    local_type: dict[str, Any]
    evidence: dict[str, Any]
    seed: int
    seconds: float

    def title(self) -> str:
        return f"SingularityResult  {self.architecture}  [{self.stratum}]"

    def bullets(self) -> list[str]:
        ev = self.evidence
        how = "certified" if self.certified else "not certified"
        b = [
            f"singular: {self.verdict.value} ({how}) — {self.kind}",
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
        b.append(f"seed {self.seed} · {self.seconds:.3g} s")
        return b


def _fiber_points(
    stratum: Stratum, theta0: np.ndarray, p: int, rng: np.random.Generator, count: int
) -> list[np.ndarray]:
    """Points of the fiber over the function at ``theta0`` (a generic point of the stratum)."""
    arch = stratum.arch
    if isinstance(arch, MLP):
        # The stratum's function f is computed by the reduced network; every way of adding
        # neuron 0 back without changing f is a component of the fiber: an inactive-out neuron
        # (any incoming row), an inactive-in one (any outgoing column, if σ(0) = 0), or a copy
        # of neuron 1 (any split of its outgoing column). Collect points on all of them.
        i = stratum.layer
        red = stratum.reduced
        if red is None:
            return [theta0]
        rin = arch.layers[i - 1].pattern.shape[1]
        nout = arch.layers[i].n_out
        theta_red = residue_array((red.n_params,), p, rng)
        lr_in, lr_out = red.layers[i - 1], red.layers[i]
        red_in = lr_in.weights(theta_red).reshape(lr_in.pattern.shape)
        red_out = lr_out.weights(theta_red).reshape(lr_out.pattern.shape)
        zero_row, zero_col = np.zeros(rin), np.zeros(nout)
        points = []
        for _ in range(count):
            points.append(embed_neuron(arch, i, theta_red, residue_array((rin,), p, rng), zero_col))
            if arch.activation.coefficients[0] == 0 and not arch.bias:
                points.append(
                    embed_neuron(arch, i, theta_red, zero_row, residue_array((nout,), p, rng))
                )
            t = residue_array((nout,), p, rng)
            red_split = theta_red.copy()
            col1 = np.mod(red_out[:, 0] - t, p)
            red_split[lr_out.offset + lr_out.pattern[:, 0]] = col1
            points.append(embed_neuron(arch, i, red_split, red_in[0].copy(), t))
        return points
    assert isinstance(arch, CNN)
    # Reduced filters read off θ0 on the stratum's support, placed at every equivalent padding
    # (with the same dilations).
    dil = stratum.dilations
    reduced = []
    for layer, (a, b), d in zip(arch.layers, stratum.padding, dil, strict=True):
        w = layer.weights(theta0)
        reduced.append(w[a : layer.n_params - b : d])
    points = []
    for pad in equivalent_paddings(arch, stratum.padding):
        theta = np.zeros_like(theta0)
        for layer, (a, _), w, d in zip(arch.layers, pad, reduced, dil, strict=True):
            theta[layer.offset + a : layer.offset + a + d * (len(w) - 1) + 1 : d] = w
        points.append(theta)
    return points


def singular(
    arch: Architecture,
    stratum: Stratum,
    *,
    seed: int = 0,
    fiber_points: int = 4,
    dim: DimensionResult | None = None,
) -> SingularityResult:
    """Is the generic point of ``stratum``'s image a singular point of the neurovariety?

    ``yes`` when the images of dφ at fiber points span more than dim M (certified when dim M is);
    ``no`` where smoothness is proven (the module docstring lists the arguments: a filling V, a
    stratum image dense in V, or the finite birational projection of a Segre–Veronese variety
    for monomial CNNs and strided LCNs with a single preimage of full rank); ``unknown``
    otherwise, with the reason. For CNNs the fiber points are the equivalent zero-paddings; each
    one of full rank is a smooth branch, two or more make a node.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.strata import parse_stratum
    >>> f = parse_architecture("cnn k=2,2 x^2")
    >>> r = singular(f, parse_stratum(f, "padding 0|1 1|0"))
    >>> r.verdict.value, r.certified, r.branches, r.kind
    ('yes', True, 2, 'node')
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
    p = primes_below(1 << DEFAULT_PRIME_BITS, 1, seed=seed + 17)[0]
    rng = np.random.default_rng([seed, p, 7])
    B = stratum.basis
    u = residue_array((B.shape[1],), p, rng)
    theta0 = np.mod(B @ u, p)
    points = _fiber_points(stratum, theta0, p, rng, fiber_points)
    theta0 = points[0]
    placements = len(points)
    if isinstance(arch, LCN):
        points += _lcn_factor_points(arch, theta0)
    n_samples = max(1, min(arch.ambient_dim_per_output, dim.dimension + 1))
    x = residue_array((n_samples, arch.n_inputs), p, rng)
    f0 = forward_mod_p(arch, theta0, x, p)
    for theta in points:
        if not np.array_equal(forward_mod_p(arch, theta, x, p), f0):
            raise InternalError(f"a fiber point of {stratum.name} computes another function")
    jacs = [jacobian_mod_p(arch, theta, x, p) for theta in points]
    ranks = [rank_mod(J, p) for J in jacs]
    span = rank_mod(np.concatenate(jacs, axis=1), p)
    n = dim.dimension
    dim_how = "certified" if dim.certified else "probable"
    fiber: _CnnFiber | None = None
    if isinstance(arch, CNN) and reduced is not None:
        fiber = _cnn_fiber(arch, stratum, ranks[:placements], image_lower, p, seed)
    dense = dim.certified and dim.status != "numeric" and image_lower >= n
    local: dict[str, Any] | None = None
    grad_zero: bool | None = None
    if dim.certified and arch.ambient_dim == n + 1 <= MAX_HYPERSURFACE_COORDINATES:
        from .singular_locus import hypersurface

        hs = hypersurface(arch, seed)
        if hs is not None:
            grad_zero, local = hypersurface_analysis(arch, stratum, *hs, image_dim, seed)
    method = "undecided"
    if span > n:
        verdict, certified, method = Verdict.YES, dim.certified, "tangent-span"
        reason = (
            f"the images of dφ at {len(points)} fiber points span {span} > dim M = {n} "
            f"({dim_how}) directions; at a smooth point they would lie in one tangent space"
        )
        if dense:
            raise InternalError(f"{stratum.name} is dense in M and yet singular")
    elif dim.filling and dim.certified:
        verdict, certified, method = Verdict.NO, True, "filling"
        reason = "V is the whole ambient space (certified dimension), a linear space"
    elif dense:
        verdict, certified, method = Verdict.NO, True, "dense-image"
        reason = (
            f"the stratum's image has dimension {image_lower} = dim V (certified): it is dense "
            "in the irreducible V, so its generic point lies in the dense smooth locus"
        )
    elif fiber is not None and fiber.smooth:
        verdict, certified, method = Verdict.NO, True, "finite-projection"
        reason = fiber.reason
    else:
        verdict, certified = Verdict.UNKNOWN, False
        reason = f"the tangent span {span} does not exceed dim M = {n}, which proves nothing; " + (
            fiber.reason if fiber is not None else _no_theorem(arch)
        )
    # The Jacobian criterion decides what the arguments above leave open, and checks the rest.
    if (
        grad_zero is not None
        and verdict is not Verdict.UNKNOWN
        and grad_zero != (verdict is Verdict.YES)
    ):
        raise InternalError(
            f"{stratum.name} is {verdict.value} by the tangent span or a "
            f"smoothness proof, and ∇F {'vanishes' if grad_zero else 'does not vanish'} on its "
            "image"
        )
    if grad_zero is True and verdict is Verdict.UNKNOWN:
        verdict, certified, method = Verdict.YES, True, "jacobian-criterion"
        reason = (
            "∇F vanishes identically on the stratum's image (∇F composed with its "
            "parametrization is the zero polynomial over Q) and I(V) = (F): Jacobian criterion"
        )
    elif grad_zero is False and verdict is Verdict.UNKNOWN:
        verdict, certified, method = Verdict.NO, True, "jacobian-criterion"
        reason = (
            "∇F composed with the stratum's parametrization is a non-zero polynomial and "
            "I(V) = (F): a point of the image where ∇F ≠ 0 is smooth, and the smooth points form "
            "a dense open subset of the (irreducible) image"
        )
    branches: int | None = None
    if isinstance(arch, CNN):
        branches = _distinct_tangent_spaces(jacs, ranks, n, p)
        if verdict is Verdict.YES and branches >= 2 and all(r == n for r in ranks):
            exact = fiber is not None and fiber.others_excluded
            if branches == 2 and exact:
                kind = "node"
            elif exact:
                kind = f"{branches} smooth branches"
            else:
                kind = f"at least {branches} smooth branches (other preimages not excluded)"
        elif verdict is Verdict.YES:
            kind = "singular (dφ drops rank on the fiber)"
        elif verdict is Verdict.NO:
            kind = "smooth"
        else:
            kind = f"{branches} placement(s) of full rank; no second tangent space seen"
    elif verdict is Verdict.YES:
        kind = (
            "dφ below full rank at every sampled point of a positive-dimensional fiber (mod p)"
            if max(ranks) < n
            else "tangent images at several fiber points exceed dim M"
        )
    elif verdict is Verdict.NO:
        kind = "smooth"
    else:
        kind = "undecided"
    if verdict is Verdict.YES and span <= n:
        kind = "singular (∇F = 0 on the image; the tangent span did not show it)"
    if local is None:
        if verdict is Verdict.NO:
            local = {"type": "smooth", "method": "the smoothness proof above"}
        elif kind == "node":
            local = {
                "type": "node",
                "meaning": "two smooth branches with distinct tangent spaces, no other preimage",
                "method": "tangent-span test: the fiber's placements, other paddings excluded",
            }
        else:
            local = {
                "type": "undecided",
                "method": "no proven generator of I(V) for a tangent cone; the tangent-span "
                f"test saw {branches if branches is not None else '?'} branch(es) of full rank",
            }
    return SingularityResult(
        architecture=arch.spec,
        stratum=stratum.name,
        image=reduced.spec if reduced is not None else "0",
        image_dimension=image_dim,
        dimension=n,
        verdict=verdict,
        certified=certified,
        branches=branches,
        kind=kind,
        reason=reason,
        local_type=local,
        evidence={
            "method": method,  # the argument that gave the verdict
            "span_rank": span,
            "fiber_ranks": ranks,
            "fiber_points": len(points),
            "prime": p,
            "samples": n_samples,
            "dimension_status": dim.status,
            "excluded_paddings": fiber.excluded if fiber is not None else {},
        },
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def _distinct_tangent_spaces(jacs: list[np.ndarray], ranks: list[int], n: int, p: int) -> int:
    """Distinct images of dφ among the fiber points where dφ has rank n (dim M), mod p."""
    seen: list[np.ndarray] = []
    for J, r in zip(jacs, ranks, strict=True):
        if r == n and all(rank_mod(np.concatenate([J, K], axis=1), p) > n for K in seen):
            seen.append(J)
    return len(seen)


def _no_theorem(arch: Architecture | None) -> str:
    if isinstance(arch, MLP):
        return "no theorem here proves MLP subnetwork points smooth"
    return (
        "no finite-projection theorem covers this network (it needs σ = x^r with r ≥ 2, or a "
        "linear network with all strides ≥ 2)"
    )


@dataclasses.dataclass
class _CnnFiber:
    """What is proven about the fiber over the generic point of a CNN padding stratum."""

    theorem: str  # the citation that makes Φ a finite birational projection ("" when none)
    placements: int
    excluded: dict[str, str]  # other paddings with the same offsets -> why they are excluded
    open: list[str]  # other paddings that could not be excluded
    full_rank: bool
    top_rank: int

    @property
    def others_excluded(self) -> bool:
        return bool(self.theorem) and not self.open

    @property
    def smooth(self) -> bool:
        return self.others_excluded and self.placements == 1 and self.full_rank

    @property
    def reason(self) -> str:
        if not self.theorem:
            return _no_theorem(None)
        if self.open:
            return (
                f"other zero-paddings with the same offsets might reach these functions "
                f"({', '.join(self.open)}); {self.theorem}"
            )
        if not self.full_rank:
            return f"dφ has rank below {self.top_rank} at the sampled point (mod p)"
        if self.placements > 1:
            return f"{self.placements} placements, but their tangent spaces agree"
        how = (
            "; other paddings with the same offsets excluded: "
            + "; ".join(f"{k}: {v}" for k, v in self.excluded.items())
            if self.excluded
            else "; no other padding has the same offsets"
        )
        return (
            f"one preimage up to rescaling, where dφ has the full rank {self.top_rank} = |k| − L + "
            f"1: Φ is a finite birational projection of a Segre–Veronese variety ({self.theorem}) "
            f"and a local isomorphism there{how}"
        )


def _projection_theorem(arch: CNN) -> str:
    """The citation making Φ a finite birational projection of a Segre–Veronese variety, or ""."""
    act = arch.activation
    if not act.is_monomial:
        return ""
    if act.exponents[0] >= 2:
        return "PCN, arXiv:2410.00722, σ = x^r with r ≥ 2"
    if all(s >= 2 for s in arch.strides):  # type: ignore[union-attr]
        return "KMST, arXiv:2304.05752, a linear network with all strides ≥ 2"
    return ""


def _end_offset(arch: CNN, padding: tuple[tuple[int, int], ...]) -> int:
    return cnn_offset(arch, tuple((b, a) for a, b in padding))


def _same_offsets(
    arch: CNN, padding: tuple[tuple[int, int], ...]
) -> list[tuple[tuple[int, int], ...]]:
    """All zero-paddings with the same start and end offsets as ``padding``."""
    o, e = cnn_offset(arch, padding), _end_offset(arch, padding)
    choices = [[(a, b) for a in range(k) for b in range(k - a)] for k in arch.filters]
    return [
        pad
        for pad in itertools.product(*choices)
        if cnn_offset(arch, pad) == o and _end_offset(arch, pad) == e
    ]


def _cnn_fiber(
    arch: CNN, stratum: Stratum, ranks: list[int], image_lower: int, p: int, seed: int
) -> _CnnFiber:
    top = sum(arch.filters) - len(arch.filters) + 1
    theorem = _projection_theorem(arch)
    sizes = tuple(k - a - b for k, (a, b) in zip(arch.filters, stratum.padding, strict=True))
    fiber = _CnnFiber(theorem, len(ranks), {}, [], all(r == top for r in ranks), top)
    if not theorem:
        return fiber
    if stratum.kind == "interior-zero":
        fiber.open.append("(for interior-zero strata other preimages are not enumerated)")
        return fiber
    reduced = stratum.reduced
    assert isinstance(reduced, CNN)
    support: frozenset[tuple[int, ...]] | None = None
    for pad in _same_offsets(arch, stratum.padding):  # type: ignore[arg-type]
        other = tuple(k - a - b for k, (a, b) in zip(arch.filters, pad, strict=True))
        if other == sizes:
            continue  # an equivalent placement: one of the fiber points already
        name = "padding " + " ".join(f"{a}|{b}" for a, b in pad)
        if support is None:
            support = _sample_support(reduced, p, seed)
        why = _excluded(arch, reduced, other, image_lower, support)
        if why:
            fiber.excluded[name] = why
        else:
            fiber.open.append(name)
    return fiber


def _excluded(
    arch: CNN,
    reduced: CNN,
    other: tuple[int, ...],
    image_lower: int,
    support: frozenset[tuple[int, ...]],
) -> str:
    """Why the k'-network ``other`` cannot reach the generic function of the stratum (or "")."""
    L = len(other)
    if sum(other) - L + 1 < image_lower:
        return f"its image has dimension ≤ {sum(other) - L + 1} < {image_lower}"
    net: CNN = (
        LCN(other, arch.strides)
        if isinstance(arch, LCN)
        else CNN(other, arch.strides, arch.activation)
    )
    if net.n_inputs != reduced.n_inputs:
        raise InternalError("paddings with equal offsets differ in size")
    reach = _reach(net)
    outside = support - reach
    if outside:
        return f"it cannot reach the monomial {_monomial(min(outside))}"
    try:
        coeffs = _coefficients(net)
    except BudgetExceededError:
        return ""
    ends = {j for layer in net.layers for j in (layer.offset, layer.offset + layer.n_params - 1)}
    for m in sorted(reach - _reach(reduced)):
        terms = coeffs[m].to_dict()
        if len(terms) == 1:
            (e,) = terms
            if all(j in ends for j, a in enumerate(e) if a):
                return (
                    f"its coefficient of {_monomial(m)} is one product of end entries of its "
                    "filters (non-zero), but vanishes on the stratum"
                )
    return ""


# Many strata of one network share their reduced networks and the k'-networks to exclude.
@functools.lru_cache(maxsize=1024)
def _reach(net: CNN) -> frozenset[tuple[int, ...]]:
    return reachable_support(net)


@functools.lru_cache(maxsize=1024)
def _sample_support(reduced: CNN, p: int, seed: int) -> frozenset[tuple[int, ...]]:
    """The monomials present in one random point of ``reduced``'s neuromanifold mod p."""
    from .equations import coordinates, sample_points_mod_p

    row = sample_points_mod_p(reduced, 1, p, seed=seed)[0]
    return frozenset(e for (_, e), c in zip(coordinates(reduced), row, strict=True) if c)


@functools.lru_cache(maxsize=64)
def _coefficients(net: CNN) -> dict[tuple[int, ...], Any]:
    return coefficient_polynomials(net, max_terms=MAX_EXCLUSION_TERMS)[0][0]


def _monomial(e: tuple[int, ...]) -> str:
    return "*".join(f"x{i}" + (f"^{a}" if a > 1 else "") for i, a in enumerate(e) if a) or "1"


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


# ---------------------------------------------------------------------------------------------
# hypersurfaces: the Jacobian criterion on the stratum and the local type from the tangent cone

#: Largest absolute value of the random integer parameters of a rational image point.
POINT_RANGE = 9


def _stratum_coordinates(arch: Architecture, stratum: Stratum) -> tuple[list[Any], Any]:
    """The coordinates of f_θ on the stratum θ = B·u, as polynomials in u over Q (flint)."""
    outs, ctx = coefficient_polynomials(arch)
    from .equations import coordinates

    B = stratum.basis
    gens = ctx.gens()
    zero = ctx.from_dict({})
    theta = []
    for row in B:
        acc = zero
        for c in np.nonzero(row)[0]:
            acc = acc + gens[int(c)]
        theta.append(acc)
    polys = []
    for o, e in coordinates(arch):
        P = outs[o].get(tuple(e))
        polys.append(zero if P is None else P.compose(*theta, ctx=ctx))
    return polys, ctx


def hypersurface_analysis(
    arch: Architecture,
    stratum: Stratum,
    F: Any,
    pieces: list[Any],
    image_dim: int,
    seed: int,
) -> tuple[bool, dict[str, Any]]:
    """Whether the stratum's image lies in Sing V for V = {F = 0} with I(V) = (F), and the local
    type at a random rational point of it.

    Singular: ∇F composed with the stratum's parametrization is the zero polynomial (exact over
    Q; Jacobian criterion). The type comes from the tangent cone at a point q = f_θ, θ random
    integers on the stratum: the lowest-degree part G of F(q + h), of degree m (the
    multiplicity), and the rank r of G (the span of its (m−1)-th partial derivatives, linear
    forms). m = 1: smooth. m = 2: the Zariski tangent space of Z(F, ∇F) at q is ker G, so
    dim_q Sing V ≤ N − r, with equality exactly when Sing V is smooth there with tangent ker G and
    G is non-degenerate on the normal space: a node (ordinary double point transversally, two
    smooth sheets meeting along Sing V); r < N − dim_q Sing V: a degenerate (cusp-type) cone.
    dim_q Sing V is the largest dimension of a piece of Z(F, ∇F) through q.
    """
    import flint
    import sympy

    polys, ctx = _stratum_coordinates(arch, stratum)
    N = len(polys)
    cctx = flint.fmpq_mpoly_ctx.get(tuple(f"c{i}" for i in range(N)), "degrevlex")
    Fq = cctx.from_dict({tuple(e): c for e, c in F.terms})
    if not Fq.compose(*polys, ctx=ctx).is_zero():
        raise InternalError(f"F does not vanish on {stratum.name}")
    grad_zero = all(Fq.derivative(i).compose(*polys, ctx=ctx).is_zero() for i in range(N))
    rng = np.random.default_rng([seed, 23, N])
    for _ in range(20):  # a point off the vertex
        u = [
            flint.fmpq(int(v))
            for v in rng.choice([v for v in range(-POINT_RANGE, POINT_RANGE + 1) if v], ctx.nvars())
        ]
        q = [P(*u) if not P.is_zero() else flint.fmpq(0) for P in polys]
        if any(q):
            break
    else:  # the stratum's image is the vertex: V is a cone, its tangent cone there is F
        out = tangent_cone(F, [sympy.Integer(0)] * N, pieces)
        out["image_dimension"] = 0
        out["method"] = "tangent cone of F at the vertex (the zero function), exact over Q"
        return grad_zero, out
    point = [sympy.Rational(int(x.p), int(x.q)) for x in q]
    out = tangent_cone(F, point, pieces)
    out["image_dimension"] = image_dim
    out["method"] = (
        f"tangent cone of F at a random rational point of the image (θ in ±{POINT_RANGE} on "
        "the stratum, exact over Q): F(q + h)'s lowest-degree part"
    )
    if out["multiplicity"] >= 2 and not grad_zero:
        out["note"] = "a special point: the generic point of the image is smooth"
    return grad_zero, out


def tangent_cone(F: Any, point: list[Any], pieces: list[tuple[Any, int]]) -> dict[str, Any]:
    """The local type of V = {F = 0} at the rational ``point`` from its tangent cone (see
    :func:`hypersurface_analysis`); ``pieces``: Z(F, ∇F)'s pieces with their dimensions."""
    import sympy

    N = len(point)
    c = sympy.symbols(f"c0:{N}")
    h = sympy.symbols(f"h0:{N}")
    shifted = sympy.Poly(
        sympy.expand(F.sympy().subs({ci: pi + hi for ci, pi, hi in zip(c, point, h, strict=True)})),
        *h,
    )
    by_degree: dict[int, Any] = {}
    for mono, coeff in shifted.terms():
        by_degree[sum(mono)] = by_degree.get(sum(mono), 0) + coeff * sympy.Mul(
            *[x**a for x, a in zip(h, mono, strict=True)]
        )
    m = min(by_degree)
    forms = [by_degree[m]]
    for _ in range(m - 1):
        forms = [sympy.diff(g, x) for g in forms for x in h]
    rows = [[sympy.Poly(g, *h).coeff_monomial(x) for x in h] for g in forms if g != 0]
    r = int(sympy.Matrix(rows).rank()) if rows else 0
    at_q = dict(zip(c, point, strict=True))
    through = [dim for G_, dim in pieces if all(g.as_expr().subs(at_q) == 0 for g in G_.polys)]
    sing_dim = max(through, default=-1)
    out: dict[str, Any] = {
        "multiplicity": m,
        "tangent_cone_rank": r,
        "ambient": N,
        "sing_dimension_at_point": sing_dim,
    }
    if m == 1:
        out["type"] = "smooth"
    elif m == 2 and r == N - sing_dim:
        out["type"] = "node"
        out["meaning"] = (
            f"ordinary double point transversally: a quadratic cone of rank {r} = codimension "
            f"of Sing V (dim {sing_dim}) here"
        )
    elif m == 2:
        out["type"] = "cusp-type"
        out["meaning"] = (
            f"degenerate quadratic cone: rank {r} < {N - sing_dim}, the codimension of Sing V "
            f"(dim {sing_dim}) here"
        )
    else:
        out["type"] = f"multiplicity {m}"
        out["meaning"] = f"tangent cone of degree {m} in {r} essential variables"
    return out


def _lcn_factor_points(arch: LCN, theta0: np.ndarray) -> list[np.ndarray]:
    """Other preimages of an LCN function: its filter polynomials w_i(x^{S_i}) reassigned to
    other layers (their product commutes), where the exponents fit the layer's spacing and size."""
    L = len(arch.filters)
    if L > MAX_FACTOR_LAYERS:
        return []
    spacing = [1]
    for s in arch.strides:  # type: ignore[union-attr]
        spacing.append(spacing[-1] * s)
    factors = []
    for layer, S in zip(arch.layers, spacing, strict=True):
        w = layer.weights(theta0)
        factors.append({m * S: v for m, v in enumerate(w) if v})
    out: list[np.ndarray] = []
    for perm in itertools.permutations(range(L)):
        if perm == tuple(range(L)):
            continue
        theta = np.zeros_like(theta0)
        for j, (layer, S, k) in enumerate(zip(arch.layers, spacing, arch.filters, strict=True)):
            g = factors[perm[j]]
            if any(e % S or e // S >= k for e in g):
                break
            for e, v in g.items():
                theta[layer.offset + e // S] = v
        else:
            if not any(np.array_equal(theta, t) for t in [theta0, *out]):
                out.append(theta)
    return out


MAX_FACTOR_LAYERS = 5  # L! reassignments of the filter polynomials
