"""Singular points from subnetworks, decided by the tangent-span test with exact ranks.

At a smooth point f of M every image of dφ at a parameter in the fiber over f lies in the tangent
space T_f M, of dimension dim M. So if the images of dφ at several fiber points together span
more than dim M directions, f is singular. The span is an exact rank over GF(p) at rational fiber
points (a proven lower bound); with a certified dim M the verdict "yes" is certified. The condition
"span > dim M" is Zariski-open on the (irreducible) stratum, so a random point that satisfies it
shows that the generic point of the stratum's image is singular.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.mlp import MLP
from ..errors import NeurovarietyError
from ..exact import primes_below, rank_mod
from ..parametrization.exact import forward_mod_p, jacobian_mod_p
from ..parametrization.points import residue_array
from ..results import Result, Verdict
from .dimension import DEFAULT_PRIME_BITS, DimensionResult, dimension
from .strata import Stratum, embed_neuron, equivalent_paddings, strata


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
            f"stratum image {self.image} of dimension {self.image_dimension} inside dim M = "
            f"{self.dimension}",
            f"tangent span at {ev['fiber_points']} fiber points: rank {ev['span_rank']} "
            f"(ranks of dφ there: {ev['fiber_ranks']}) mod {ev['prime']}, {ev['samples']} samples",
        ]
        if self.branches is not None:
            b.append(f"branches: {self.branches}")
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
        red_in = theta_red[lr_in.offset : lr_in.offset + lr_in.n_params].reshape(
            lr_in.pattern.shape
        )
        red_out = theta_red[lr_out.offset : lr_out.offset + lr_out.n_params].reshape(
            lr_out.pattern.shape
        )
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
    # Reduced filters read off θ0 at the stratum's padding, placed at every equivalent padding.
    reduced = []
    for layer, (a, b) in zip(arch.layers, stratum.padding, strict=True):
        w = theta0[layer.offset : layer.offset + layer.n_params]
        reduced.append(w[a : layer.n_params - b])
    points = []
    for pad in equivalent_paddings(arch, stratum.padding):
        theta = np.zeros_like(theta0)
        for layer, (a, _), w in zip(arch.layers, pad, reduced, strict=True):
            theta[layer.offset + a : layer.offset + a + len(w)] = w
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
    """Tangent-span test on the generic point of ``stratum``'s image.

    Verdicts: ``yes`` when the images of dφ at fiber points span more than dim M (certified when
    dim M is); ``no`` when M is filling (its closure is a linear space, smooth everywhere);
    ``unknown`` otherwise. For CNNs the fiber points are the equivalent zero-paddings; each one of
    full rank is a smooth branch, two or more make a node.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.strata import parse_stratum
    >>> f = parse_architecture("cnn k=2,2 x^2")
    >>> r = singular(f, parse_stratum(f, "padding 0|1 1|0"))
    >>> r.verdict.value, r.certified, r.branches, r.kind
    ('yes', True, 2, 'node')
    """
    t0 = time.perf_counter()
    if stratum.arch != arch:
        raise NeurovarietyError(f"stratum {stratum.name!r} belongs to {stratum.arch.spec}")
    dim = dim or dimension(arch, seed=seed)
    reduced = stratum.reduced
    image_dim = dimension(reduced, seed=seed).dimension if reduced is not None else 0
    p = primes_below(1 << DEFAULT_PRIME_BITS, 1, seed=seed + 17)[0]
    rng = np.random.default_rng([seed, p, 7])
    B = stratum.basis
    u = residue_array((B.shape[1],), p, rng)
    theta0 = np.mod(B @ u, p)
    points = _fiber_points(stratum, theta0, p, rng, fiber_points)
    theta0 = points[0]
    n_samples = max(1, min(arch.ambient_dim_per_output, dim.dimension + 1))
    x = residue_array((n_samples, arch.n_inputs), p, rng)
    f0 = forward_mod_p(arch, theta0, x, p)
    for theta in points:
        if not np.array_equal(forward_mod_p(arch, theta, x, p), f0):
            raise NeurovarietyError(
                f"internal error: a fiber point of {stratum.name} computes another function"
            )
    jacs = [jacobian_mod_p(arch, theta, x, p) for theta in points]
    ranks = [rank_mod(J, p) for J in jacs]
    span = rank_mod(np.concatenate(jacs, axis=1), p)
    n = dim.dimension
    if span > n:
        verdict, certified = Verdict.YES, dim.certified
    elif dim.filling and dim.certified:
        verdict, certified = Verdict.NO, True
    else:
        verdict, certified = Verdict.UNKNOWN, False
    branches: int | None = None
    if isinstance(arch, CNN):
        branches = sum(r == n for r in ranks)
        if verdict is Verdict.YES and branches >= 2 and all(r == n for r in ranks):
            kind = "node" if branches == 2 else f"{branches} smooth branches"
        elif verdict is Verdict.YES:
            kind = "singular (dφ drops rank on the fiber)"
        else:
            kind = "one placement: no second branch seen"
    elif verdict is Verdict.YES:
        kind = (
            "cusp-like: dφ drops rank along a positive-dimensional fiber"
            if max(ranks) < n
            else "several tangent spaces meet"
        )
    elif verdict is Verdict.NO:
        kind = "filling: the neurovariety is the whole ambient space"
    else:
        kind = "the tangent span does not exceed dim M"
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
        evidence={
            "span_rank": span,
            "fiber_ranks": ranks,
            "fiber_points": len(points),
            "prime": p,
            "samples": n_samples,
            "dimension_status": dim.status,
        },
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def singular_strata(arch: Architecture, *, seed: int = 0) -> list[SingularityResult]:
    """The tangent-span test on every stratum of ``arch`` (sharing one dimension computation)."""
    dim = dimension(arch, seed=seed)
    return [singular(arch, s, seed=seed, dim=dim) for s in strata(arch)]


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
