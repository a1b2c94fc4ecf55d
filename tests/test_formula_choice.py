"""Which closed formula applies (invariants.formula_choice), against hand values and exact ranks.

Expected values are worked out by hand from the literature (the cubic LCN hypersurface, the
determinant, Segre degrees and DHOST's generic ED degrees of P¹×P¹ in O(2, 1) and P²×P¹); the
fiber dimensions are checked against exact Jacobian ranks; the printed citations are pinned to
the text the degree, ED degree and profile printed before the formulas were chosen in one place.
"""

from __future__ import annotations

import pytest

from neurovariety import NeurovarietyError, dimension, parse_architecture
from neurovariety.invariants.degree import degree_formula
from neurovariety.invariants.dimension import upper_bounds
from neurovariety.invariants.formula_choice import (
    DEGREE,
    DIMENSION_BOUND,
    FIBER_DIMENSION,
    FROBENIUS_ED_DEGREE,
    GENERIC_ED_DEGREE,
    INVARIANTS,
    closed_formula,
    closed_formulas,
)
from neurovariety.invariants.profile import _formula_rows


def _values(spec: str) -> dict[str, int]:
    return {
        f.invariant: f.value
        for f in closed_formulas(parse_architecture(spec))
        if f.invariant != DIMENSION_BOUND
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # c1c2c3 − c0c3² − c1²c4: a cubic; Segre P²×P¹: generic ED degree 10 (DHOST)
        ("lcn k=3,2 s=2", {DEGREE: 3, GENERIC_ED_DEGREE: 10, FIBER_DIMENSION: 1}),
        # stride one: every quadratic polynomial factors over C, the whole space
        ("lcn k=2,2 s=1", {DEGREE: 1, GENERIC_ED_DEGREE: 1, FIBER_DIMENSION: 1}),
        # P¹×P¹ in O(2, 1): 2!·2¹·1¹ = 4; its generic ED degree 14 (DHOST Thm 5.8 by hand)
        ("cnn k=2,2 s=2 x^2", {DEGREE: 4, GENERIC_ED_DEGREE: 14, FIBER_DIMENSION: 1}),
        # 3×3 matrices of rank ≤ 2: the determinant; Eckart–Young C(3, 2); GL(2) fibers
        ("mlp 3-2-3 x", {DEGREE: 3, FROBENIUS_ED_DEGREE: 3, FIBER_DIMENSION: 4}),
        # rank ≤ 2 of 2×2: all matrices; fiber 12 − 4
        ("mlp 2-3-2 x", {DEGREE: 1, FROBENIUS_ED_DEGREE: 1, FIBER_DIMENSION: 8}),
        # no closed degree for monomial MLPs, generic activations, or linear with bias
        ("mlp 2-3-2-3-4 x^2", {}),
        ("mlp 2-2-1 x^3+x^2", {}),
        ("mlp 3-2-3 x bias", {}),
        ("cnn k=2,2 s=2 x^2+x", {}),
    ],
)
def test_exact_invariants_by_hand(spec: str, expected: dict[str, int]) -> None:
    assert _values(spec) == expected


@pytest.mark.parametrize(
    ("spec", "bounds"),
    [
        # KTB's example: composition 16 (the true dimension), naive 30 − 8 = 22
        ("mlp 2-3-2-3-4 x^2", {"composition": 16, "symmetry": 22, "parameters": 30, "ambient": 36}),
        # rank ≤ 2 ternary quadrics: 3·2 − 1 = 5 (Alexander–Hirschowitz, r = 2)
        ("mlp 3-2-1 x^2", {"alexander-hirschowitz": 5, "symmetry": 6, "composition": 6}),
        # 3×3 of rank ≤ 2 plus translations: 8 + 3
        ("mlp 3-2-3 x bias", {"determinantal": 11}),
        # |k| − L + 1 = 4 for both the LCN and the PCN
        ("lcn k=3,2 s=2", {"symmetry": 4}),
        ("cnn k=2,2 s=2 x^2", {"symmetry": 3}),
        ("mlp 2-2-1 x^3+x^2", {"parameters": 6, "ambient": 7}),
    ],
)
def test_dimension_bounds_by_hand(spec: str, bounds: dict[str, int]) -> None:
    found = {
        f.name: f.value
        for f in closed_formulas(parse_architecture(spec))
        if f.invariant == DIMENSION_BOUND
    }
    assert {name: found.get(name) for name in bounds} == bounds
    assert {"ambient", "parameters"} <= set(found)


@pytest.mark.parametrize(
    "spec", ["lcn k=3,2 s=2", "cnn k=2,2 s=2 x^2", "mlp 3-2-3 x", "mlp 2-3-2 x"]
)
def test_fiber_dimension_meets_the_exact_rank(spec: str) -> None:
    # a second method: parameters − the certified dimension from exact Jacobian ranks
    arch = parse_architecture(spec)
    dim = dimension(arch)
    assert dim.certified
    assert closed_formula(arch, FIBER_DIMENSION).value == dim.fiber_dimension  # type: ignore[union-attr]


def test_every_formula_states_its_source_and_hypotheses() -> None:
    for spec in ("lcn k=3,3,2 s=2,3", "cnn k=3,2 s=1 x^3", "mlp 4-2-5 x", "mlp 3-5-1 x^4"):
        for f in closed_formulas(parse_architecture(spec)):
            assert f.invariant in INVARIANTS and f.source and f.hypotheses, f


def test_unknown_invariant_names_the_choices() -> None:
    with pytest.raises(NeurovarietyError, match="generic ED degree"):
        closed_formula(parse_architecture("lcn k=3,2 s=2"), "ED degree")
    with pytest.raises(NeurovarietyError, match="closed_formulas"):
        closed_formula(parse_architecture("lcn k=3,2 s=2"), DIMENSION_BOUND)


# The citations each consumer printed before the choice moved to one module.
PRINTED = {
    "lcn k=3,2 s=2": (
        ("LCN degree", 3, "Segre degree (Σ(k_i−1))!/Π(k_i−1)!, LCN arXiv:2401.16613 / KMST"),
        (10, "generic ED degree of the Segre variety (KMST)"),
        [
            ("degree", 3, "Segre degree (KMST, strides > 1)"),
            (
                "generic ED degree",
                10,
                "generic ED degree of the Segre variety (KMST, DHOST Thm 5.8)",
            ),
        ],
    ),
    "lcn k=2,2 s=1": (
        ("LCN degree", 1, "Segre degree (Σ(k_i−1))!/Π(k_i−1)!, LCN arXiv:2401.16613 / KMST"),
        (1, "filling: the function space itself"),
        [("degree", 1, "stride 1: the function space is filling")],
    ),
    "cnn k=2,2 s=2 x^2": (
        ("PCN degree", 4, "Segre–Veronese degree, PCN arXiv:2410.00722"),
        (14, "generic ED degree of the Segre–Veronese variety (PCN)"),
        [
            ("degree", 4, "Segre–Veronese degree (PCN, arXiv:2410.00722)"),
            ("generic ED degree", 14, "critical points of the MSE for generic large data (PCN)"),
        ],
    ),
    "mlp 3-2-3 x": (
        ("determinantal degree", 3, "3×3 matrices of rank ≤ 2, Invitation appendix"),
        (None, None),
        [
            ("degree", 3, "3×3 matrices of rank ≤ 2 (determinantal variety)"),
            ("ED degree (Frobenius)", 3, "Eckart–Young"),
        ],
    ),
    "mlp 2-3-4 x": (
        ("determinantal degree", 1, "4×2 matrices of rank ≤ 2, Invitation appendix"),
        (None, None),
        [],
    ),
    "mlp 3-2-1 x^2": (None, (None, None), []),
}


@pytest.mark.parametrize("spec", sorted(PRINTED))
def test_printed_citations_are_unchanged(spec: str) -> None:
    arch = parse_architecture(spec)
    degree, ed, rows = PRINTED[spec]
    got = degree_formula(arch)
    assert (None if got is None else (got["name"], got["value"], got["source"])) == degree
    chosen = closed_formula(arch, GENERIC_ED_DEGREE)  # what edd prints for the generic form
    assert ((None, None) if chosen is None else (chosen.value, chosen.source)) == ed
    assert [(r.name, r.value, r.how) for r in _formula_rows(arch)] == rows


def test_dimension_bounds_keep_their_order_and_sources() -> None:
    got = [(b.name, b.value, b.source) for b in upper_bounds(parse_architecture("mlp 3-2-1 x^2"))]
    assert got == [
        (
            "alexander-hirschowitz",
            5,
            "secant varieties of Veronese varieties (Alexander–Hirschowitz)",
        ),
        ("ambient", 6, "span of the reachable monomials"),
        ("symmetry", 6, "parameters − hidden-neuron rescalings (a torus with finite stabilizers)"),
        ("composition", 6, "composition bound (KTB, arXiv:1905.12207)"),
        ("parameters", 8, "dim M ≤ number of parameters"),
    ]
