"""solve / solve_many against known root counts (independent values from the literature)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nag_systems import cyclic, dense, katsura

from neurovariety.errors import BudgetExceededError, PolynomialSystemError
from neurovariety.nag import (
    PathStatus,
    TrackerOptions,
    parse_system,
    solve,
    solve_many,
    system_from_callable,
)


def _check_ledger(r):
    L = r.ledger
    assert L["tracked"] == sum(v for k, v in L.items() if k != "tracked")
    assert L["tracked"] == r.start_count == len(r.paths)


def _max_residual(F, r, p=None):
    return max(float(np.max(np.abs(F.evaluate(x, p)))) for x in r.solutions())


@pytest.mark.parametrize("degrees, seed", [((2, 3), 0), ((2, 2, 2), 1)])
def test_dense_generic_system_has_bezout_many_solutions(degrees, seed):
    F = parse_system(dense(degrees, seed))
    r = solve(F, seed=seed)
    _check_ledger(r)
    assert r.nsolutions == F.bezout_number == int(np.prod(degrees))
    assert r.ledger["success"] == r.nsolutions and r.ledger["failed"] == 0
    assert _max_residual(F, r) < 1e-8 * max(1, np.abs(r.solutions()).max()) ** max(degrees)


@pytest.mark.parametrize("n", [3, 5])
def test_katsura_has_2_to_the_n_solutions(n):
    r = solve(parse_system(katsura(n)), seed=7)
    _check_ledger(r)
    assert r.nsolutions == 2**n and r.ledger["success"] == 2**n
    assert r.ledger["at_infinity"] == 0 and r.ledger["failed"] == 0


@pytest.mark.slow
def test_katsura_6_has_64_solutions():
    r = solve(parse_system(katsura(6)), seed=3)
    assert r.nsolutions == 64 and r.ledger["failed"] == 0


def test_cyclic5_has_70_isolated_solutions_in_five_seeds():
    F = parse_system(cyclic(5))
    ledgers = []
    for seed in range(5):
        r = solve(F, seed=seed)
        _check_ledger(r)
        assert r.nsolutions == 70, r.ledger
        assert r.ledger["tracked"] == 120 and r.ledger["singular"] == 0
        assert r.seed == seed
        ledgers.append(tuple(sorted(r.ledger.items())))
    assert len(set(ledgers)) == 1, ledgers
    assert dict(ledgers[0])["at_infinity"] == 50


def test_paths_to_infinity_are_classified_not_failed():
    # xy = 1, xy = 2 - x: one finite solution (1, 1); the other 3 of 4 paths diverge.
    r = solve(parse_system("x*y - 1\nx*y - 2 + x"), seed=0)
    _check_ledger(r)
    assert r.nsolutions == 1 and r.ledger["at_infinity"] == 3 and r.ledger["failed"] == 0
    np.testing.assert_allclose(r.solutions()[0], [1, 1], atol=1e-10)
    # Parallel lines: no finite solution at all.
    r = solve(parse_system("x + y - 1\nx + y - 2"), seed=0)
    assert r.solutions().shape == (0, 2)
    assert r.nsolutions == 0 and r.ledger == {
        "tracked": 1,
        "success": 0,
        "singular": 0,
        "at_infinity": 1,
        "failed": 0,
    }


def test_double_root_counted_with_multiplicity_and_flagged_singular():
    F = parse_system("(x - 2)^2 * (x + 1)\ny^2 - 4")
    r = solve(F, seed=5)
    _check_ledger(r)
    assert r.nsolutions == 4
    assert r.ledger["singular"] == 4 and r.ledger["success"] == 2
    sing = r.singular()
    assert len(sing) == 2 and all(p.multiplicity == 2 for p in sing)
    for p in sing:
        assert abs(p.solution[0] - 2) < 1e-6 and p.winding_number == 2
    assert sorted(np.round(r.solutions()[:, 1].real).tolist()) == [-2, -2, 2, 2]
    assert sum(r.multiplicities()) == 6  # every path accounted for: Bézout 3 * 2
    assert "singular" in r.summary() and "random seed: 5" in r.summary()


def test_filters_and_real_solutions():
    F = parse_system("x^2 + y^2 - 5\nx*y - 2")
    r = solve(F, seed=2)
    assert r.nreal == 4 and r.real_solutions().dtype == float
    assert len(r.nonsingular()) == 4 and r.singular() == [] and r.failed() == []
    G = parse_system("x^2 + 1\ny - x")
    r = solve(G, seed=2)
    assert r.nsolutions == 2 and r.nreal == 0 and r.real_solutions().size == 0
    d = r.to_dict()
    assert set(d) >= {"nsolutions", "nreal", "ledger", "seed", "solutions"}
    assert len(d["solutions"][0]) == 2 and len(d["solutions"][0][0]) == 2  # [re, im] pairs


def test_overdetermined_system_is_squared_up_and_excess_reported():
    r = solve(parse_system("x^2 - 1\nx^3 - 1"), seed=1)
    _check_ledger(r)
    assert r.nsolutions == 1 and "excess" in r.ledger
    np.testing.assert_allclose(r.solutions()[0], [1.0], atol=1e-10)


def test_callable_system_gives_the_same_count_as_text():
    def f(x, p):
        return jnp.stack([x[0] ** 2 + x[1] ** 2 - p[0], x[0] * x[1] - 2.0])

    F = system_from_callable(f, 2, n_parameters=1)
    r = solve(F, parameters=[5.0], seed=0)
    assert r.nsolutions == 4 and r.nreal == 4


def test_budgets_never_hang():
    F = parse_system(katsura(3))
    r = solve(F, seed=0, time_limit=0.0)
    _check_ledger(r)
    assert r.ledger["failed"] == r.ledger["tracked"] > 0
    assert all("budget" in p.reason for p in r.failed())
    with pytest.raises(BudgetExceededError, match="max_paths"):
        solve(F, seed=0, max_paths=4)
    # A step budget of 3 per path (12 when re-tracked) cannot reach t = 0.
    r = solve(F, seed=0, tracker=TrackerOptions(max_steps=3))
    _check_ledger(r)
    assert r.ledger["failed"] == 8 and all(p.retracked for p in r.failed())
    assert all("step budget" in p.reason for p in r.failed())


def test_missing_parameters_and_underdetermined_are_refused():
    with pytest.raises(PolynomialSystemError, match="parameter"):
        solve(parse_system("parameters: a\nx^2 - a"), seed=0)
    F = parse_system("x + y + z - 1", allow_underdetermined=True)
    with pytest.raises(PolynomialSystemError, match="witness_set"):
        solve(F, seed=0)


def test_solve_many_moves_solutions_to_each_target():
    F = parse_system("parameters: a, b\nx^2 + y^2 - a\nx*y - b")
    start = solve(F, parameters=[1 + 2j, 0.5 - 1j], seed=0)
    targets = [[5.0, 2.0], [10.0, 3.0], [2.0, 1.0]]  # the last: a double solution pair
    out = solve_many(F, start.solutions(), [1 + 2j, 0.5 - 1j], targets, seed=0)
    assert [r.nsolutions for r in out[:2]] == [4, 4]
    for r, (a, b) in zip(out[:2], targets[:2], strict=True):
        for x in r.solutions():
            assert abs(x[0] ** 2 + x[1] ** 2 - a) < 1e-9 and abs(x[0] * x[1] - b) < 1e-9
    # a = 2, b = 1: (x + y)^2 = 4, (x - y)^2 = 0: two double solutions.
    last = out[2]
    assert last.nsolutions == 2 and all(p.multiplicity == 2 for p in last.singular())
    assert all(p.status == PathStatus.SINGULAR for p in last.paths)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=1, max_value=5),
    st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=6, max_size=6),
)
def test_random_univariate_polynomials_all_roots_found(d, coeffs):
    c = [complex(a, b) for a, b in coeffs[: d + 1]]
    c[0] = c[0] if abs(c[0]) > 0.1 else 1.0  # leading coefficient away from zero
    c = [z if abs(z) > 1e-3 else 0.5 for z in c]  # keep the support (and compiled shape) fixed
    text = " + ".join(f"({z.real!r} + {z.imag!r}*I)*x^{d - k}" for k, z in enumerate(c))
    F = parse_system(text)
    r = solve(F, seed=0)
    _check_ledger(r)
    # Distinct roots, counted with multiplicity, make up the degree.
    assert sum(r.multiplicities()) == d and r.ledger["failed"] == 0
    for x in r.solutions():
        scale = sum(abs(z) * max(1, abs(x[0])) ** (d - k) for k, z in enumerate(c))
        assert abs(np.polyval(c, x[0])) <= 1e-8 * scale
