"""Certified real critical-point counts (edd real_method="certified", landscape.ed_real).

Expected values are independent of the code under test: Eckart–Young (the critical points of
the distance to rank-one matrices are the singular value choices, all real), closed-form roots
(√2, i), the msolve-over-Q route (a rational parametrization lifted exactly, no numerics shared),
Sylvester's binary cubics, and the total-degree homotopy on the float system (slow).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.errors import NeurovarietyError
from neurovariety.invariants.exact_counts import available
from neurovariety.landscape import ed_exact, ed_real
from neurovariety.landscape.ed_system import chart_terms
from neurovariety.landscape.edd import edd
from neurovariety.nag.certify import BallPolynomials, krawczyk_box, newton

KEYS = ("functions", "real_functions", "real_parameter_functions", "real_chart_points")
needs_msolve = pytest.mark.skipif(not available(), reason="msolve is not installed")


def _certified(system: BallPolynomials, x: list[complex]) -> list | None:
    import flint

    old, flint.ctx.prec = flint.ctx.prec, 128
    try:
        m, step = newton(system, np.asarray(x, complex))
        return krawczyk_box(system, m, max(1e-25, 1e3 * step))
    finally:
        flint.ctx.prec = old


def test_krawczyk_boxes_of_closed_form_roots():
    import flint

    # x² − 2 = 0, y − x − 1 = 0 with rational coefficients: the box holds (√2, 1 + √2).
    F = BallPolynomials(
        [{(2, 0): Fraction(1, 3), (0, 0): Fraction(-2, 3)}, {(0, 1): 1, (1, 0): -1, (0, 0): -1}],
        2,
    )
    X = _certified(F, [1.41, 2.41])
    assert X is not None
    old, flint.ctx.prec = flint.ctx.prec, 128
    try:
        root = flint.arb(2).sqrt()
        assert X[0].contains(root) and X[1].contains(1 + root)
        assert not X[0].contains(root + flint.arb(10) ** -20)  # a tight box
    finally:
        flint.ctx.prec = old
    assert X[0].imag.mid() == 0  # a real centre: the box is its own conjugate, the root real
    # x² + 1: the root i, its box misses the real line (a non-real root).
    X = _certified(BallPolynomials([{(2,): 1, (0,): 1}], 1), [0.1 + 1.1j])
    assert X is not None and X[0].contains(1j) and not X[0].imag.contains(0)
    # A double root is not regular: no box is certified, whatever the radius.
    G = BallPolynomials([{(2,): 1, (1,): -2, (0,): 1}], 1)
    assert krawczyk_box(G, [flint.acb(1)], 1e-3) is None
    assert krawczyk_box(G, [flint.acb(1)], 1e-10) is None


@needs_msolve
def test_eckart_young_certified_all_real():
    # Whitened data on rank-one 2×2 matrices: the critical points are the two rank-one
    # truncations of the SVD of the data (one per singular value), both real.
    r = edd(
        parse_architecture("lcn k=2,2 s=2"),
        form="data",
        whiten=True,
        real=True,
        real_method="certified",
        seed=1,
    )
    assert r.count == 2 and r.real is not None
    assert r.real["method"] == "certified" and r.real["complete"]
    assert tuple(r.real[k] for k in KEYS) == (2, 2, 2, 2)
    assert r.real["certified"] == r.real["chart_points"] == 2 and r.real["undecided"] == 0
    assert "certified: 2 disjoint Krawczyk boxes" in str(r)


@needs_msolve
@pytest.mark.parametrize("seed", [0, 1])
def test_certified_agrees_with_msolve_over_q(seed):
    # 6 complex critical points of a random indefinite form on rank-one 2×2 matrices; the
    # real ones by msolve's exact rational parametrization and by certified boxes.
    f = parse_architecture("lcn k=2,2 s=2")
    exact = edd(f, method="exact", real=True, real_method="exact", seed=seed).real
    cert = edd(f, method="exact", real=True, real_method="certified", seed=seed).real
    assert exact is not None and cert is not None
    assert (exact["method"], cert["method"]) == ("exact", "certified")
    assert cert["complete"] and cert["nonreal_chart_points"] == 6 - cert["real_chart_points"]
    assert tuple(cert[k] for k in KEYS) == tuple(exact[k] for k in KEYS)
    # auto: a small system goes to msolve over Q
    assert edd(f, method="exact", real=True, seed=seed).real["method"] == "exact"  # type: ignore[index]


@needs_msolve
def test_missing_points_give_a_bound(monkeypatch):
    # Only one of the 6 chart points found: one certified box, a bound and no exact claim.
    f = parse_architecture("lcn k=2,2 s=2")
    found = ed_real.chart_points

    def one(*args, **kwargs):
        Z, info = found(*args, **kwargs)
        return Z[:1], info

    monkeypatch.setattr(ed_real, "chart_points", one)
    r = edd(f, method="exact", real=True, real_method="certified", seed=0)
    assert r.real is not None and not r.real["complete"]
    assert r.real["certified"] == 1 and r.real["chart_points"] == 6
    assert r.real["functions"] == 1 and r.real["real_functions"] <= 1
    assert not r.real["out_of_time"]  # the search ended by itself: not a time limit's cut
    assert "a bound, not a count" in str(r)


def test_real_method_is_checked():
    with pytest.raises(NeurovarietyError, match="real_method='nearly'"):
        edd(parse_architecture("lcn k=2,2 s=2"), real=True, real_method="nearly")


@needs_msolve
@pytest.mark.slow
@pytest.mark.parametrize(
    ("cubic", "real_chart_points"),
    [
        ({(3, 0): 2, (2, 1): 3, (1, 2): 3, (0, 3): 1}, 2),  # x³ + (x + y)³: real cubes
        ({(2, 1): 1, (1, 2): -1}, 0),  # xy(x − y): complex conjugate cubes (Sylvester)
    ],
)
def test_fiber_two_grouped_by_function(cubic, real_chart_points):
    # mlp 2-2-1 x^3 with Q = I and b a binary cubic: the one critical function is b, real; its
    # two chart points (neurons swapped) are real or a conjugate pair as Sylvester says.
    f = parse_architecture("mlp 2-2-1 x^3")
    _, keys = chart_terms(f)
    N = len(keys)
    Q = [[Fraction(int(i == j)) for j in range(N)] for i in range(N)]
    b = [Fraction(cubic.get(e, 0)) for _, e in keys]
    loss = ed_exact.LossForm(Q, b, "Q = I, b a binary cubic")
    r = ed_real.certified_real_count(f, loss, ed_exact.exact_ed_count(f, loss))
    assert r.complete and (r.functions, r.fiber_size) == (1, 2)
    assert r.real_functions == 1 and r.real_chart_points == real_chart_points
    assert r.real_parameter_functions == (1 if real_chart_points else 0)


@needs_msolve
@pytest.mark.slow
@pytest.mark.parametrize("spec", ["mlp 3-1-3 x", "lcn k=3,3 s=3"])
def test_eckart_young_rank_one_3x3(spec):
    # Rank-one 3×3 matrices (a linear bottleneck of width one; an LCN whose stride lays its two
    # filters out as an outer product): the three singular value choices, all real.
    r = edd(
        parse_architecture(spec),
        form="data",
        whiten=True,
        real=True,
        real_method="certified",
        seed=1,
    )
    assert r.count == 3 and r.real is not None and r.real["complete"]
    assert tuple(r.real[k] for k in KEYS) == (3, 3, 3, 3)


@needs_msolve
@pytest.mark.slow
def test_certified_agrees_with_msolve_over_q_fiber_two():
    # mlp 2-2-1 x^4 at seed 1: 13 critical functions, each on 2 chart points (the neurons
    # swapped); 3 real, of which one is computed by complex conjugate parameters only.
    f = parse_architecture("mlp 2-2-1 x^4")
    exact = edd(f, method="exact", real=True, real_method="exact", seed=1).real
    cert = edd(f, method="exact", real=True, real_method="certified", seed=1).real
    assert exact is not None and cert is not None and cert["complete"]
    assert tuple(cert[k] for k in KEYS) == tuple(exact[k] for k in KEYS)


@needs_msolve
@pytest.mark.slow
def test_404_case_certified():
    # cnn k=2,2,2 s=1,1 x^2, the seed-0 generic form: 404 critical functions (the exact count
    # mod p; msolve over Q did not lift it in 7 CPU-minutes). auto certifies it: 404 disjoint
    # Krawczyk boxes, so every chart point, 32 of them real (2026-12-07: ~30 s wall, ~9 s CPU
    # on 2 shared cores). Second method: a monodromy at random complex data (complete by its
    # trace test), every solution tracked to these data, classified in floating point: 32 real.
    # (The total-degree homotopy, 13⁴ = 28,561 paths, keeps only 96 of the 404 at these data.)
    from test_edd_real import _moved

    r = edd(parse_architecture("cnn k=2,2,2 s=1,1 x^2"), real=True, seed=0, time_limit=900)
    assert r.count == 404 and r.real is not None
    assert r.real["method"] == "certified" and r.real["complete"]
    assert r.real["certified"] == r.real["chart_points"] == 404
    assert r.real["nonreal_chart_points"] % 2 == 0  # conjugate pairs
    assert tuple(r.real[k] for k in KEYS) == _moved("cnn k=2,2,2 s=1,1 x^2", 0)
