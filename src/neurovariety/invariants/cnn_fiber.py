"""Smoothness of CNN padding strata: Φ a finite birational projection of a Segre–Veronese variety.

The argument covers single-channel 1D convolutional networks with σ = x^r (r ≥ 2; PCN,
arXiv:2410.00722) and linear ones with all strides ≥ 2 (KMST, arXiv:2304.05752). Here φ is
multihomogeneous of degrees (r^{L−1}, …, r, 1) in the filters, so its projectivisation Φ is a
linear projection of the Segre–Veronese variety X = P^{k_1−1} × ⋯ × P^{k_L−1}. It has no base
point: the lowest input x_o reached by non-zero filters occurs in f as x_o^{r^{L−1}} with
coefficient Π_i w_i[a_i]^{r^{L−i}}, a_i the first non-zero entry of w_i. A projection without
base points is a finite morphism onto its closed image Y, and it is birational (PCN; KMST for
strides ≥ 2): one torus orbit over a generic f. A finite morphism whose fiber over y is a single
point x at which dΦ is injective (the scheme fiber is one reduced point) is, by Nakayama's
lemma, an isomorphism of local rings O_{Y,y} ≅ O_{X,x}; X is smooth, so y is a smooth point of Y
and f ≠ 0 of the cone V. The set of such y is open (fiber length is upper semicontinuous), so it
suffices at the generic point of the stratum's image, where the argument is checked as follows.
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

:func:`~.singularities.singular` calls :func:`cnn_fiber` for the verdict "no" and for the exact
count of branches; :func:`lcn_factor_points` gives the LCN fiber points that reorder the filters.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN, LCN, reachable_support
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP
from ..errors import BudgetExceededError, InternalError
from ..parametrization.exact import coefficient_polynomials
from .strata import Stratum, cnn_offset

MAX_EXCLUSION_TERMS = 20_000  # expanding a k'-network's coefficients to exclude its padding
MAX_FACTOR_LAYERS = 5  # L! reassignments of the filter polynomials


def no_theorem(arch: Architecture | None) -> str:
    if isinstance(arch, MLP):
        return "no theorem here proves MLP subnetwork points smooth"
    if isinstance(arch, ConvNet):
        return (
            "no theorem here proves subnetwork points of multi-channel or multi-dimensional "
            "convolutions smooth (the finite projection of a Segre–Veronese variety is for one "
            "channel in 1D)"
        )
    return (
        "no finite-projection theorem covers this network (it needs σ = x^r with r ≥ 2, or a "
        "linear network with all strides ≥ 2)"
    )


@dataclasses.dataclass
class CnnFiber:
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
            return no_theorem(None)
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


def cnn_fiber(
    arch: CNN, stratum: Stratum, ranks: list[int], image_lower: int, p: int, seed: int
) -> CnnFiber:
    top = sum(arch.filters) - len(arch.filters) + 1
    theorem = _projection_theorem(arch)
    sizes = tuple(k - a - b for k, (a, b) in zip(arch.filters, stratum.padding, strict=True))
    fiber = CnnFiber(theorem, len(ranks), {}, [], all(r == top for r in ranks), top)
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


def lcn_factor_points(arch: LCN, theta0: np.ndarray) -> list[np.ndarray]:
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
