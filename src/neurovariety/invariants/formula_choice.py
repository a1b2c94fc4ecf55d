"""Which closed formula applies to an architecture, decided in one place.

:func:`closed_formulas` lists, for one architecture, every formula of :mod:`.formulas` whose
hypotheses it meets: proven upper bounds of the dimension, the degree, the generic and the
Frobenius ED degree, and the generic fiber dimension — each with its value, its source and the
hypotheses checked. The dimension (:func:`.dimension.upper_bounds`), the degree
(:func:`.degree.degree_formula`), the ED degree (``landscape.edd``) and the profile read it here,
so a formula added or corrected here reaches all of them.

Sources: KTB arXiv:1905.12207 (composition bound), Alexander–Hirschowitz 1995 (shallow monomial
MLPs), PCN arXiv:2410.00722 (polynomial CNNs), KMST arXiv:2304.05752 and LCN arXiv:2401.16613
(linear CNNs), Invitation arXiv:2501.18915 appendix (linear networks), DHOST arXiv:1309.0049
Thm 5.8 (generic ED degrees).
"""

from __future__ import annotations

import dataclasses

from ..architectures.attention import Attention
from ..architectures.base import Architecture
from ..architectures.cnn import CNN, LCN
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP
from ..errors import NeurovarietyError
from . import formulas

__all__ = [
    "DEGREE",
    "DIMENSION_BOUND",
    "FIBER_DIMENSION",
    "FROBENIUS_ED_DEGREE",
    "GENERIC_ED_DEGREE",
    "INVARIANTS",
    "ClosedFormula",
    "closed_formula",
    "closed_formulas",
]

DIMENSION_BOUND = "dimension bound"
DEGREE = "degree"
GENERIC_ED_DEGREE = "generic ED degree"
FROBENIUS_ED_DEGREE = "ED degree (Frobenius)"
FIBER_DIMENSION = "generic fiber dimension"
INVARIANTS = (DIMENSION_BOUND, DEGREE, GENERIC_ED_DEGREE, FROBENIUS_ED_DEGREE, FIBER_DIMENSION)


@dataclasses.dataclass(frozen=True)
class ClosedFormula:
    """A closed formula that applies to one architecture.

    ``invariant`` is one of :data:`INVARIANTS`; a ``dimension bound`` is an upper bound, every
    other invariant an exact value. ``source`` is the citation the results print (degree, ED
    degree, the dimension's bounds); ``profile`` is how the profile's formula rows state it
    (``None``: not one of them — bounds have rows of their own, and some values, such as the
    degree 1 of a filling linear network, are left out there).
    """

    invariant: str
    name: str
    value: int
    source: str
    hypotheses: tuple[str, ...]
    profile: str | None = None


def closed_formulas(arch: Architecture) -> list[ClosedFormula]:
    """Every closed formula whose hypotheses ``arch`` meets, bounds first, in a fixed order.

    >>> from neurovariety import parse_architecture
    >>> lcn = parse_architecture("lcn k=3,2 s=2")
    >>> [(f.invariant, f.name, f.value) for f in closed_formulas(lcn)
    ...  if f.invariant != DIMENSION_BOUND]  # doctest: +NORMALIZE_WHITESPACE
    [('degree', 'LCN degree', 3), ('generic ED degree', 'LCN generic ED degree', 10),
     ('generic fiber dimension', 'filter rescalings', 1)]
    """
    if isinstance(arch, Attention):  # it states its own bounds, ambient and parameters included
        return [_stated(b, "HMK arXiv:2408.17221") for b in arch.dimension_bounds()]
    out = [
        ClosedFormula(
            DIMENSION_BOUND,
            "ambient",
            arch.ambient_dim,
            "span of the reachable monomials",
            ("f_θ lies in the span of the monomials its layers can reach (every architecture)",),
        ),
        ClosedFormula(
            DIMENSION_BOUND,
            "parameters",
            arch.n_params,
            "dim M ≤ number of parameters",
            ("dim M ≤ rank of dφ ≤ number of parameters (every architecture)",),
        ),
    ]
    if isinstance(arch, MLP):
        out += _mlp_formulas(arch)
    elif isinstance(arch, CNN):
        out += _cnn_formulas(arch)
    elif isinstance(arch, ConvNet):
        out += [_stated(b, "multi-channel convolutions") for b in arch.dimension_bounds()]
    return out


def _stated(bound: tuple[str, int, str], who: str) -> ClosedFormula:
    """A dimension bound an architecture class states itself, its hypotheses checked there."""
    name, value, source = bound
    return ClosedFormula(DIMENSION_BOUND, name, value, source, (f"as the class states it ({who})",))


def closed_formula(arch: Architecture, invariant: str) -> ClosedFormula | None:
    """The closed formula for an exact ``invariant`` of ``arch`` (not a bound), if one applies.

    >>> from neurovariety import parse_architecture
    >>> f = closed_formula(parse_architecture("cnn k=2,2 s=2 x^2"), DEGREE)
    >>> f.value, f.source
    (4, 'Segre–Veronese degree, PCN arXiv:2410.00722')
    >>> closed_formula(parse_architecture("mlp 2-2-1 x^3+x^2"), DEGREE) is None
    True
    """
    if invariant not in INVARIANTS or invariant == DIMENSION_BOUND:
        raise NeurovarietyError(
            f"unknown exact invariant {invariant!r}; use one of {', '.join(INVARIANTS[1:])} "
            "(dimension bounds: closed_formulas)"
        )
    return next((f for f in closed_formulas(arch) if f.invariant == invariant), None)


def _mlp_formulas(arch: MLP) -> list[ClosedFormula]:
    act, w = arch.activation, arch.widths
    out: list[ClosedFormula] = []
    if act.is_linear:
        # GL(d_i) can have positive-dimensional stabilizers (a hidden layer wider than its
        # neighbours), so no symmetry bound here: the determinantal value is exact
        out.append(
            ClosedFormula(
                DIMENSION_BOUND,
                "determinantal",
                formulas.linear_network_dim(w, bias=arch.bias),
                "linear network: x ↦ Ax (+ c), rank A ≤ min width (Invitation, appendix)",
                ("σ linear", "x ↦ A x (+ c) with rank A ≤ min(widths); with bias c adds d_L"),
            )
        )
        if not arch.bias:
            out += _linear_network_formulas(w)
        return out
    if not act.is_monomial:
        return out
    out.append(
        ClosedFormula(
            DIMENSION_BOUND,
            "symmetry",
            arch.n_params - sum(arch.hidden_widths),
            "parameters − hidden-neuron rescalings (a torus with finite stabilizers)",
            (
                "σ = c·x^r, r ≥ 2: one rescaling per hidden neuron (with or without bias)",
                "the torus has finite stabilizers at points with non-zero rows",
            ),
        )
    )
    if arch.bias:
        return out
    r = act.exponents[0]
    out.append(
        ClosedFormula(
            DIMENSION_BOUND,
            "composition",
            formulas.mlp_composition_bound(w, r),
            "composition bound (KTB, arXiv:1905.12207)",
            (
                "σ = c·x^r, r ≥ 2, no bias",
                "V_d is the image of V_(d_0..d_i) × V_(d_i..d_L) under (h, g) ↦ g∘σ∘h, "
                "invariant under a d_i-dimensional torus with finite stabilizers",
            ),
        )
    )
    if len(w) == 3 and w[2] == 1:
        out.append(
            ClosedFormula(
                DIMENSION_BOUND,
                "alexander-hirschowitz",
                formulas.shallow_mlp_dim(w[0], w[1], r),
                "secant varieties of Veronese varieties (Alexander–Hirschowitz)",
                (
                    "σ = c·x^r, r ≥ 2, no bias, one hidden layer, one output",
                    "the affine cone over a secant variety of a Veronese variety: exact",
                ),
            )
        )
    return out


def _linear_network_formulas(w: tuple[int, ...]) -> list[ClosedFormula]:
    """Degree, Frobenius ED degree and fiber of x ↦ W_L ⋯ W_1 x (Invitation, appendix)."""
    rho, m, n = min(w), w[-1], w[0]
    hypotheses = ("σ linear, no bias", f"{m}×{n} matrices of rank ≤ {rho} = min(widths)")
    # the profile states these only for a proper determinantal variety (rank below both sides)
    proper = rho < min(m, n)
    return [
        ClosedFormula(
            DEGREE,
            "determinantal degree",
            formulas.linear_network_degree(w),
            f"{m}×{n} matrices of rank ≤ {rho}, Invitation appendix",
            hypotheses,
            f"{m}×{n} matrices of rank ≤ {rho} (determinantal variety)" if proper else None,
        ),
        ClosedFormula(
            FROBENIUS_ED_DEGREE,
            "Eckart–Young",
            formulas.linear_network_ed_degree(w),
            "Eckart–Young theorem (Invitation arXiv:2501.18915, appendix; DHOST §2)",
            (*hypotheses, "the Frobenius distance, not a generic quadratic form"),
            "Eckart–Young" if proper else None,
        ),
        ClosedFormula(
            FIBER_DIMENSION,
            "linear network fiber",
            formulas.linear_network_fiber_dim(w),
            "parameters − ρ(d_0 + d_L − ρ) (Invitation arXiv:2501.18915, appendix)",
            hypotheses,
        ),
    ]


def _cnn_formulas(arch: CNN) -> list[ClosedFormula]:
    act, k = arch.activation, arch.filters
    if not act.is_monomial:
        return []
    out = [
        ClosedFormula(
            DIMENSION_BOUND,
            "symmetry",
            arch.n_params - (len(k) - 1),
            "parameters − filter rescalings (PCN/KMST: |k| − L + 1)",
            ("σ = c·x^r (r ≥ 1)", "L − 1 filter rescalings with finite stabilizers"),
        )
    ]
    rescalings = ClosedFormula(
        FIBER_DIMENSION,
        "filter rescalings",
        arch.n_params - formulas.pcn_dim(k),
        "parameters − (|k| − L + 1) (PCN arXiv:2410.00722, KMST arXiv:2304.05752)",
        ("σ = c·x^r", "dim V = |k| − L + 1 for any strides"),
    )
    if isinstance(arch, LCN):
        return [*out, *_lcn_formulas(arch), rescalings]
    if act.degree < 2:
        return [*out, rescalings]
    return [*out, *_pcn_formulas(k, act.degree), rescalings]


def _lcn_formulas(arch: LCN) -> list[ClosedFormula]:
    """The Segre degree and generic ED degree of a linear convolutional network (KMST)."""
    k = arch.filters
    strides = tuple(arch.strides) + (1,)  # type: ignore[arg-type]  # the last one is moot
    filling = formulas.lcn_is_filling(k, strides)
    lcn = ("σ = identity",) + (
        ("every junction stride 1: the function space is filling",)
        if filling
        else ("a junction stride > 1: stride-one junctions merged into one Segre factor",)
    )
    degree = ClosedFormula(
        DEGREE,
        "LCN degree",
        formulas.lcn_degree(k, strides),
        "Segre degree (Σ(k_i−1))!/Π(k_i−1)!, LCN arXiv:2401.16613 / KMST",
        lcn,
        "stride 1: the function space is filling"
        if filling
        else "Segre degree (KMST, strides > 1)",
    )
    if filling:
        return [
            degree,
            ClosedFormula(
                GENERIC_ED_DEGREE, "filling", 1, "filling: the function space itself", lcn
            ),
        ]
    ed = ClosedFormula(
        GENERIC_ED_DEGREE,
        "LCN generic ED degree",
        formulas.lcn_ed_degree(k, strides),
        "generic ED degree of the Segre variety (KMST)",
        (*lcn, "a generic quadratic distance (DHOST Thm 5.8)"),
        "generic ED degree of the Segre variety (KMST, DHOST Thm 5.8)",
    )
    return [degree, ed]


def _pcn_formulas(k: tuple[int, ...], r: int) -> list[ClosedFormula]:
    """The Segre–Veronese degree and generic ED degree of a polynomial CNN, σ = c·x^r, r ≥ 2."""
    pcn = (f"σ = c·x^{r}, r ≥ 2", "any strides")
    degree = ClosedFormula(
        DEGREE,
        "PCN degree",
        formulas.pcn_degree(k, r),
        "Segre–Veronese degree, PCN arXiv:2410.00722",
        pcn,
        "Segre–Veronese degree (PCN, arXiv:2410.00722)",
    )
    ed = ClosedFormula(
        GENERIC_ED_DEGREE,
        "PCN generic ED degree",
        formulas.pcn_ed_degree(k, r),
        "generic ED degree of the Segre–Veronese variety (PCN)",
        (*pcn, "a generic quadratic distance (DHOST Thm 5.8)"),
        "critical points of the MSE for generic large data (PCN)",
    )
    return [degree, ed]
