"""Fibers and symmetry groups of multi-channel/2D convolutions, and profile/report on attention.

Expected orders are derived by hand (permutations of hidden channels, roots of unity per hidden
channel from σ's parity); fiber sizes are exact counts (msolve) compared with those orders and
with a hand argument on the smallest cases.
"""

from __future__ import annotations

import math

import pytest

from neurovariety import parse_architecture
from neurovariety.invariants import exact_counts
from neurovariety.invariants.identifiability import factor_orderings, fiber, symmetry
from neurovariety.results import Verdict

needs_msolve = pytest.mark.skipif(not exact_counts.available(), reason="msolve is not installed")


@pytest.mark.parametrize(
    ("spec", "order"),
    [
        # two hidden channels swap (with the next layer's input channels); σ = x² rescalings
        # are fixed by the chart w_1[o, 0, 0] = 1, which the swap maps onto itself: 2! = 2
        ("cnn k=2,2 c=1,2,1 x^2", 2),
        ("cnn k=3,2 c=1,2,1 s=2 x^2", 2),
        ("cnn k=2x2,2x2 c=2,3,1 x^3", 6),  # 3!
        ("cnn k=2,2,2 c=1,2,3,1 x^2", 2 * 6),  # 2!·3!
        # odd σ: per hidden channel (w, v) ↦ (−w, −v) too, nothing fixed: 2!·2²
        ("cnn k=2,2 c=1,2,1 x^3+x", 8),
        # even σ with a constant: w ↦ −w alone: 2!·2²
        ("cnn k=2,2 c=1,2,1 x^2+1", 8),
        # σ = x³ + x²: exponent differences 1, so only the permutations
        ("cnn k=2x2,2x2 c=1,2,1 x^3+x^2", 2),
        # single-channel 2D: no channel to permute, rescalings fixed by the chart
        ("cnn k=2x2,2x2 x^3+x", 2),  # one hidden channel: the sign flip, as the 1D CNN's m^{L−1}
        ("lcn k=2x2,2x2", 2),  # the two equal factors swap (stride 1)
        ("lcn k=3x3,2x2 s=2", 1),
    ],
)
def test_symmetry_order_by_hand(spec: str, order: int) -> None:
    assert symmetry(parse_architecture(spec))[1] == order


def test_linear_multichannel_symmetry_is_continuous() -> None:
    text, order, cont = symmetry(parse_architecture("lcn k=2,2 c=1,2,1"))
    assert order is None and "GL(c_i)" in text and "continuous" in text
    assert cont == 4  # GL(2) acts with finite stabilizer here: c_1² = 4


def test_factor_orderings_by_hand() -> None:
    # equal shapes with stride 1 between them commute; a stride separates them
    assert factor_orderings(((2, 2), (2, 2)), ((1, 1),)) == 2
    assert factor_orderings(((2, 2), (2, 2)), ((2, 1),)) == 1
    assert factor_orderings(((2, 2), (2, 3)), ((1, 1),)) == 1
    assert factor_orderings(((2,), (2,), (2,)), ((1,), (1,))) == 6
    assert factor_orderings(((2,), (2,), (2,), (2,)), ((1,), (2,), (1,))) == 4


def test_swaps_are_named_for_single_channel_lcns() -> None:
    text, _, _ = symmetry(parse_architecture("lcn k=2x2,2x2"))
    assert "2 orderings" in text
    assert "orderings" not in symmetry(parse_architecture("lcn k=2x2,2x3"))[0]


def test_fiber_summary_never_prints_none() -> None:
    r = fiber(parse_architecture("lcn k=2,2 c=1,2,1"), seed=0)
    assert r.symmetry_order is None
    assert "None" not in r.summary() and "no finite order" in r.summary()


@needs_msolve
@pytest.mark.parametrize(
    ("spec", "size"),
    [
        # f = q(x0, x1) + q'(x2, x3), q and q' sums of squares of the same two lines
        # (a_o x + b_o y), o = 1, 2: a generic pencil of binary quadrics has exactly one pair of
        # common diagonalizing lines, so the fiber is the 2 orderings of the channels.
        ("cnn k=2,2 c=1,2,1 s=2 x^2", 2),
        ("cnn k=3,2 c=1,2,1 s=2 x^2", 2),
        ("cnn k=2x1,2x2 c=1,2,1 s=2 x^2", 2),  # 2D
        pytest.param("cnn k=2x2,2x2 c=1,2,1 s=2 x^2", 2, marks=pytest.mark.slow),  # ~5 s
        pytest.param("cnn k=2,2 c=2,2,1 s=2 x^2", 2, marks=pytest.mark.slow),  # ~5 s
    ],
)
def test_exact_fiber_equals_the_channel_permutations(spec: str, size: int) -> None:
    arch = parse_architecture(spec)
    r = fiber(arch, seed=0, method="exact")
    assert r.size == size == symmetry(arch)[1]
    # an exact count over two random primes: probable, not certified
    assert (r.identifiable, r.certified, r.certainty) == (Verdict.YES, False, "probable")


@needs_msolve
def test_pencil_case_fills_its_ambient_space() -> None:
    # 6 monomials x0², x0x1, x1², x2², x2x3, x3²; 8 parameters − 2 rescalings = 6: filling,
    # degree 1 (the slice meets V once, 2 chart points over it)
    r = fiber(parse_architecture("cnn k=2,2 c=1,2,1 s=2 x^2"), seed=0, method="exact")
    assert r.evidence["degree"] == 1 and r.evidence["slice_solutions"] == 2


@needs_msolve
def test_2d_lcn_fiber_is_the_swap_of_equal_factors() -> None:
    arch = parse_architecture("lcn k=2x2,2x2")
    r = fiber(arch, seed=0, method="exact")
    # unique factorization: the two irreducible factors in either order
    assert r.size == factor_orderings(arch.filters, arch.strides) == 2  # type: ignore[arg-type]
    assert r.identifiable is Verdict.YES  # the swap is in the group
    assert r.certainty == "probable" and not r.certified  # msolve over two random primes


@needs_msolve
def test_odd_sigma_count_is_the_wreath_product() -> None:
    # 2! permutations · 2² sign flips; about 5 s
    r = fiber(parse_architecture("cnn k=2,2 c=1,2,1 s=2 x^3+x"), seed=0, method="exact")
    assert r.size == math.factorial(2) * 2**2
    assert (r.identifiable, r.certified, r.certainty) == (Verdict.YES, False, "probable")


def test_attention_profile_computes_what_attention_supports() -> None:
    from neurovariety.invariants.profile import profile

    # t = 2, d = 2, a = 1: Q, K ∈ R^{1×2}, V ∈ R^{2×2}: 8 parameters; 4 → 4 entries; the group
    # is (Q, K) ↦ (λQ, λ⁻¹K) and (A, V) ↦ (μA, μ⁻¹V): dimension 2, so dim M ≤ 6 (HMK: 6)
    p = profile(parse_architecture("attn t=2 d=2 a=1"), budget=5)
    rows = {r.name: r for r in p.rows}
    assert rows["parameters"].value == 8 and rows["inputs → outputs"].value == "4 → 4"
    assert rows["symmetry dimension"].value == 2
    assert rows["dimension"].value == 6 and rows["generic fiber dimension"].value == 2
    assert rows["upper bound: hmk"].value == 6
    for name in ("strata", "degree (computed)", "equations"):
        assert rows[name].value == "skipped" and "attention" in rows[name].how
    # one orbit: a = 1 but d' = 2, so the key and value cannot be swapped (docs/attention.md)
    assert rows["fiber size (gauge chart)"].value == 1
    assert rows["identifiable up to symmetry"].value == "yes"
    assert "None" not in p.summary()


def test_attention_report_lists_what_it_skips(tmp_path) -> None:
    from neurovariety.report.build import build_report

    r = build_report(parse_architecture("attn t=2 d=2 a=1"), tmp_path, budget=5)
    names = [name for name, _ in r.skipped]
    assert {"strata", "degree (computed)", "equations"} <= set(names)
    assert names.count("equations") == 1
    html = (tmp_path / "index.html").read_text()
    assert 'id="equations"' in html and "not available for attention yet" in html
    assert "no subnetwork strata to test" in html  # not "no stratum within the budget"


def test_conv_profile_states_the_group_and_its_order() -> None:
    from neurovariety.invariants.profile import profile

    p = profile(parse_architecture("cnn k=2,2 c=1,2,1 s=2 x^2"), budget=10)
    rows = {r.name: r for r in p.rows}
    assert "hidden channel" in rows["symmetry dimension"].how
    if exact_counts.available():
        assert rows["fiber size (gauge chart)"].value == 2
        ident = rows["identifiable up to symmetry"]
        assert ident.value == "yes" and "order 2" in ident.how
    assert "None" not in p.summary() and "unknown" not in p.summary()


def test_linear_multichannel_profile_says_continuous() -> None:
    from neurovariety.invariants.profile import profile

    p = profile(parse_architecture("lcn k=2,2 c=1,2,1"), budget=5)
    assert "None" not in p.summary()


def test_gl_orbits_with_stabilizers_give_no_verdict() -> None:
    # f = (Σ_o v_o w_o)·x: 6 parameters, dim 1, fiber dimension 5 = the GL(3) orbit of (w, v)
    # (pairs with the same v·w), larger than the 3-dimensional torus: identifiable up to GL(3),
    # so comparing with the torus would wrongly say no
    arch = parse_architecture("lcn k=1,1 c=1,3,1")
    assert not arch.gl_orbits_full
    r = fiber(arch, seed=0)
    assert r.dimension == 5 and r.identifiable is Verdict.UNKNOWN
