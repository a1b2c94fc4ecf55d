"""Equations of neurovarieties against closed forms, the LCN recursion and exact substitution."""

from __future__ import annotations

from fractions import Fraction
from math import comb, isqrt

import pytest
import typer
from typer.testing import CliRunner

from neurovariety import CNN, LCN, MLP, Monomial, NeurovarietyError, Verdict, parse_architecture
from neurovariety.cli.invariants import register
from neurovariety.invariants.equations import (
    Equation,
    coordinates,
    equations,
    ideal_contains,
    lcn_equations,
    member,
    parse_point,
    rational_reconstruction,
    sample_points_mod_p,
    verify_equations,
)
from neurovariety.parametrization.exact import coefficient_polynomials

CUBIC: dict[tuple[int, ...], int] = {
    (0, 1, 1, 1, 0): 1,
    (1, 0, 0, 2, 0): -1,
    (0, 2, 0, 0, 1): -1,
}  # c1c2c3 − c0c3² − c1²c4


def _as_dict(e: Equation) -> dict[tuple[int, ...], int]:
    return dict(e.terms)


def _same_up_to_scaling(e: Equation, target: dict[tuple[int, ...], int]) -> bool:
    d = _as_dict(e)
    if set(d) != set(target):
        return False
    ratios = {Fraction(d[k], target[k]) for k in d}
    return len(ratios) == 1


def test_lcn_32_stride2_is_the_cubic() -> None:
    r = equations(LCN((3, 2), 2), max_degree=4)
    assert len(r.equations) == 1 and _same_up_to_scaling(r.equations[0], CUBIC)
    assert r.generated and r.verified.startswith("exact")
    assert r.complete_through >= 4


def test_lcn_recursion_gives_the_cubic_and_agrees_with_interpolation() -> None:
    r = lcn_equations(LCN((3, 2), 2))
    assert len(r.equations) == 1 and _same_up_to_scaling(r.equations[0], CUBIC)
    assert r.generated


@pytest.mark.parametrize(
    "spec", ["lcn k=2,2,2 s=2", "lcn k=3,3 s=2", "lcn k=2,2 s=3", "lcn k=3,2 s=3", "lcn k=4,2 s=2",
             "lcn k=2,3,2 s=2,1", "lcn k=2,2,2 s=1,2"]
)  # fmt: skip
def test_lcn_recursion_lies_in_the_interpolated_ideal(spec: str) -> None:
    arch = parse_architecture(spec)
    assert isinstance(arch, LCN)
    rec = lcn_equations(arch)  # verified exactly inside (raises otherwise)
    interp = equations(arch, max_degree=4)
    assert rec.equations and rec.verified.startswith("exact")
    sample = rec.equations[:: max(1, len(rec.equations) // 8)]  # ≤ 9 of them, all degrees
    assert all(ideal_contains(interp.equations, sample))
    if len(interp.equations) == 1:
        assert all(ideal_contains(rec.equations, interp.equations))


@pytest.mark.parametrize("spec", ["lcn k=2,2", "lcn k=3,2,2", "lcn k=2,3 s=1", "cnn k=3 x^2"])
def test_stride_one_lcn_has_zero_ideal(spec: str) -> None:
    r = equations(parse_architecture(spec), max_degree=3)
    assert r.equations == [] and r.generated
    A = r.n_coordinates
    assert r.hilbert_function == [comb(A + k - 1, k) for k in range(4)]


def test_stride_one_lcn_zero_ideal_by_interpolation_too() -> None:
    # Without the dimension shortcut: no kernel in any degree ≤ 3 (checks the sampling path).
    arch = LCN((2, 2), 1)
    pts = sample_points_mod_p(arch, 40, 1_000_003, seed=1)
    from neurovariety.exact import rank_mod
    from neurovariety.invariants.equations import _evaluate, _pieces, gradings

    W, _ = gradings(arch)
    for k in range(1, 4):
        for pc in _pieces(3, k, W, 10_000):
            M = _evaluate(pts[: pc.monomials.shape[0] + 8], pc.monomials, 1_000_003)
            assert rank_mod(M, 1_000_003) == pc.monomials.shape[0]


LINEAR = [((3, 2, 3), 1, 3), ((3, 1, 3), 9, 2), ((2, 1, 3), 3, 2), ((4, 2, 3), 4, 3)]


@pytest.mark.parametrize(("widths", "n_eq", "deg"), LINEAR)
def test_two_layer_linear_network_gives_determinantal_ideal(
    widths: tuple[int, ...], n_eq: int, deg: int
) -> None:
    arch = MLP(widths, Monomial(1))
    r = equations(arch, max_degree=deg + 1)
    assert [e.degree for e in r.equations] == [deg] * n_eq
    assert r.verified.startswith("exact")
    # the (ρ+1)-minors of the d_L × d_0 matrix of coordinates are in the ideal and span it
    import itertools

    import sympy

    d0, dL, rho = widths[0], widths[-1], min(widths)
    c = sympy.symbols([f"c{i}" for i in range(d0 * dL)])
    M = sympy.Matrix(dL, d0, c)
    minors = []
    for R in itertools.combinations(range(dL), rho + 1):
        for C in itertools.combinations(range(d0), rho + 1):
            p = sympy.Poly(M.extract(list(R), list(C)).det(), *c)
            minors.append(Equation(tuple((m, int(v)) for m, v in p.terms()), rho + 1))
    assert all(ideal_contains(r.equations, minors))
    assert all(ideal_contains(minors, r.equations))


def test_every_equation_vanishes_exactly_on_the_parametrization() -> None:
    for spec in ["cnn k=2,2 x^2", "cnn k=3,2 s=2 x^2", "mlp 3-3-3 x^2"]:
        arch = parse_architecture(spec)
        r = equations(arch, max_degree=4, verify=False)
        assert r.equations
        # independent substitution with sympy-free fmpq_mpoly evaluation at the symbolic map
        outs, tctx = coefficient_polynomials(arch)
        zero = tctx.from_dict({})
        subs = [outs[o].get(e, zero) for o, e in coordinates(arch)]
        for eq in r.equations:
            acc = zero
            for e, coef in eq.terms:
                term = zero + coef
                for x, a in zip(subs, e, strict=True):
                    if a:
                        term = term * x**a
                acc = acc + term
            assert acc.is_zero(), eq.text()


def test_verification_catches_a_wrong_equation() -> None:
    bad = Equation((((1, 0, 0, 0, 0), 1),), 1)  # c0 does not vanish on the LCN
    with pytest.raises(NeurovarietyError, match="does not vanish"):
        verify_equations(LCN((3, 2), 2), [bad])


def test_mlp_333_quadratic_has_nine_quartics() -> None:
    r = equations(parse_architecture("mlp 3-3-3 x^2"), max_degree=4)
    assert [e.degree for e in r.equations] == [4] * 9
    assert r.dimension == 15 and r.hilbert_function[4] == comb(21, 4) - 9


def test_hilbert_function_of_segre_lcn() -> None:
    # lcn k=2,2,2 s=2 is P1×P1×P1 (affine cone): HF(k) = (k+1)^3
    r = equations(LCN((2, 2, 2), 2), max_degree=4)
    assert r.hilbert_function == [(k + 1) ** 3 for k in range(5)]


def test_rational_reconstruction() -> None:
    m = 1_000_003 * 999_983
    for q in [Fraction(-3, 7), Fraction(12345, 678), Fraction(0), Fraction(1, 999)]:
        a = q.numerator * pow(q.denominator, -1, m) % m
        assert rational_reconstruction(a, m) == q
    # an answer for a residue with no small preimage must still be one: bounded and congruent
    a, m = 123456789 % 1_000_003, 1_000_003
    q = rational_reconstruction(a, m)
    if q is not None:
        bound = isqrt(m // 2)
        assert abs(q.numerator) <= bound and 0 < q.denominator <= bound
        assert (q.numerator - a * q.denominator) % m == 0


def test_output_formats() -> None:
    r = equations(LCN((3, 2), 2), max_degree=3)
    assert "ideal(" in r.to_macaulay2() and "QQ[c0..c4]" in r.to_macaulay2()
    assert r.to_singular().startswith("ring R = 0, (c0,c1,c2,c3,c4), dp;")
    assert "c_{0} c_{3}^{2}" in r.to_latex()
    import json

    import sympy

    d = json.loads(r.to_json())
    assert d["equations"][0]["degree"] == 3
    expr = r.to_sympy()[0]
    c = sympy.symbols("c0:5")
    assert sympy.expand(expr - (c[0] * c[3] ** 2 + c[1] ** 2 * c[4] - c[1] * c[2] * c[3])) == 0
    with pytest.raises(NeurovarietyError):
        r.format("pdf")


def _lcn_poly(w1: list[int], w2: list[int], s: int) -> list[int]:
    P = [0] * (len(w1) + (len(w2) - 1) * s)
    for i, a in enumerate(w1):
        for j, b in enumerate(w2):
            P[i + s * j] += a * b
    return P


def test_membership_lcn() -> None:
    arch = LCN((3, 2), 2)
    on = member(arch, _lcn_poly([1, 2, 3], [1, -1], 2))
    assert on.on_variety is Verdict.YES and on.on_real_neuromanifold is Verdict.YES
    off = member(arch, [1, 0, 0, 1, 0])
    assert off.on_variety is Verdict.NO and off.on_real_neuromanifold is Verdict.NO
    # stride one: 1 + x² is a product of two complex linear filters, not of real ones
    r = member(LCN((2, 2), 1), [1, 0, 1])
    assert r.on_variety is Verdict.YES and r.on_real_neuromanifold is Verdict.NO
    r = member(LCN((2, 2), 1), [1, 0, -1])
    assert r.on_real_neuromanifold is Verdict.YES


def test_membership_agrees_with_the_equation_on_random_points() -> None:
    import random

    rng = random.Random(0)
    arch = LCN((3, 2), 2)
    for _ in range(20):
        P = [rng.randint(-3, 3) for _ in range(5)]
        val = P[0] * P[3] ** 2 + P[1] ** 2 * P[4] - P[1] * P[2] * P[3]
        assert (member(arch, P).on_variety is Verdict.YES) == (val == 0)


def test_membership_linear_and_quadratic() -> None:
    r = member(MLP((3, 2, 3), Monomial(1)), [1, 0, 0, 0, 1, 0, 0, 0, 1])
    assert r.on_variety is Verdict.NO
    r = member(MLP((3, 2, 3), Monomial(1)), [1, 2, 3, 2, 4, 6, 0, 0, 1])
    assert r.on_variety is Verdict.YES and r.on_real_neuromanifold is Verdict.YES
    # x0² − x1²: rank 2 ≤ 2 hidden neurons, signature (1, 1)
    r = member(MLP((3, 2, 1), Monomial(2)), [1, 0, 0, -1, 0, 0])
    assert r.on_variety is Verdict.YES and "(1, 1)" in r.real_evidence
    r = member(MLP((3, 2, 1), Monomial(2)), [1, 0, 0, 1, 0, 1])
    assert r.on_variety is Verdict.NO


def test_membership_by_equations_pcn() -> None:
    arch = CNN((2, 2), 1, Monomial(2))
    assert member(arch, [1, 0, 0, 0, 0]).on_variety is Verdict.YES  # x0² (a subnetwork)
    assert member(arch, [1, 0, 0, 0, 1]).on_variety is Verdict.NO  # x0² + x2²


def test_parse_point_errors() -> None:
    with pytest.raises(NeurovarietyError, match="coordinates"):
        parse_point("[1, 2]", 3)
    with pytest.raises(NeurovarietyError, match="rational"):
        parse_point('["a", 1, 2]', 3)


def test_cli(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    out = runner.invoke(app, ["equations", "lcn k=3,2 s=2", "--format", "json"])
    assert out.exit_code == 0 and '"degree": 3' in out.output
    out = runner.invoke(app, ["equations", "lcn k=3,2 s=2", "--method", "lcn"])
    assert out.exit_code == 0 and "c0*c3^2 + c1^2*c4 - c1*c2*c3" in out.output
    out = runner.invoke(app, ["equations", "mlp 2-x", "--max-degree", "2"])
    assert out.exit_code == 2 and "Traceback" not in out.output
    pt = tmp_path / "p.json"
    pt.write_text("[1, 0, 0, 1, 0]")
    out = runner.invoke(app, ["member", "lcn k=3,2 s=2", "--point", str(pt)])
    assert out.exit_code == 0 and "neurovariety: no" in out.output
    out = runner.invoke(app, ["member", "lcn k=3,2 s=2", "--point", str(tmp_path / "none")])
    assert out.exit_code == 2


# --- what an empty or partial list of equations claims ------------------------------------------


def test_no_low_degree_equation_is_not_the_zero_ideal() -> None:
    # KTB: mlp 2-3-2-3-4 with r = 2 has dimension 16 in 4·9 = 36 coordinates, so I(V) ≠ 0; it
    # simply has no equation of degree ≤ 3 (the Hilbert function is that of the whole ring).
    r = equations(parse_architecture("mlp 2-3-2-3-4 x^2"), max_degree=3)
    assert r.equations == [] and r.dimension == 16 and r.dimension_certified
    assert r.hilbert_function == [comb(36 + k - 1, k) for k in range(4)]
    assert not r.zero_ideal
    text = r.to_text()
    assert "zero ideal" not in text
    assert "(none of degree ≤ 3, proven; I(V) ≠ 0 since dim V = 16 < 36)" in text
    assert "no element of degree ≤ 3" in r.summary()


def test_filling_space_has_the_zero_ideal() -> None:
    # mlp 2-3-2 x^2: all pairs of binary quadrics (dimension 6 = ambient): I(V) = 0.
    r = equations(parse_architecture("mlp 2-3-2 x^2"), max_degree=2)
    assert r.zero_ideal and r.complete_proven
    assert "(none: the zero ideal — V fills the ambient space)" in r.to_text()


def test_hilbert_function_only_claims_no_equations() -> None:
    # minimize=False computes kernels but lifts no equation: nothing is claimed about them.
    r = equations(parse_architecture("lcn k=3,2 s=2"), max_degree=3, minimize=False)
    assert r.equations == [] and not r.minimized and not r.complete_proven
    assert r.hilbert_function == [1, 5, 15, 34]  # C(k+4, 4) minus the one cubic F
    assert "zero ideal" not in r.to_text()
    assert "(equations not computed: only the Hilbert function)" in r.to_text()


def test_generators_are_claimed_only_when_proven() -> None:
    # LCN k = (3, 2), s = 2: the irreducible cubic of a hypersurface generates I(V).
    r = equations(parse_architecture("lcn k=3,2 s=2"), max_degree=3)
    assert r.generated and "generate I(V)" in r.summary()
    # k = (2, 3), s = 2: codimension 2, so the recursion's 16 cubics only vanish on V (they cut
    # it out where a subresultant is non-zero): nothing is claimed about generating I(V).
    deep = lcn_equations(LCN((2, 3), 2))
    assert not deep.generated and not deep.complete_proven
    assert deep.dimension == 4 and deep.n_coordinates == 6
    assert "the equations vanish on V; completeness in any degree is not determined" in (
        deep.summary()
    )


def test_exact_verification_is_bounded_before_substituting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Substituting φ into a quartic in 36 coordinates would form ~3e13 terms for
    # mlp 2-3-2-3-4 x^2 (FLINT aborts the process when it runs out of memory): past the budget
    # the check runs modulo a prime and says why.
    from neurovariety import LCN
    from neurovariety.invariants import equations as eq_module
    from neurovariety.invariants.equations import Equation, verify_equations

    e = Equation((((0, 1, 1, 1, 0), 1), ((1, 0, 0, 2, 0), -1), ((0, 2, 0, 0, 1), -1)), 3)
    assert verify_equations(LCN((3, 2), 2), [e]).startswith("exact")
    monkeypatch.setattr(eq_module, "MAX_COMPOSE_TERMS", 0)
    text = verify_equations(LCN((3, 2), 2), [e])
    assert text.startswith("modular") and "exact substitution would form" in text
