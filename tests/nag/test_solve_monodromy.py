"""``solve(method="monodromy")``: complete solution sets of systems with hand-known counts.

Expected counts come from elimination by hand or from closed forms, not from the solver.
"""

from __future__ import annotations

import numpy as np
import pytest
from nag_systems import cyclic

from neurovariety.errors import PolynomialSystemError
from neurovariety.nag import parse_system, solve, system_from_callable

# x2 = a - x1^2, x3 = b - x2^2, x1 = c - x3^2: one equation of degree 8 in x1, so 8 = 2^3
# solutions for generic a, b, c.
CHAIN = "parameters: a, b, c\nx1^2 + x2 - a\nx2^2 + x3 - b\nx3^2 + x1 - c"


def _same_points(A: np.ndarray, B: np.ndarray, tol: float = 1e-6) -> bool:
    if A.shape != B.shape:
        return False
    used: set[int] = set()
    for x in A:
        d = np.max(np.abs(B - x), axis=1)
        j = int(np.argmin(d))
        if d[j] > tol or j in used:
            return False
        used.add(j)
    return True


def test_parametrised_chain_has_2_to_the_3_solutions_at_random_parameters():
    r = solve(parse_system(CHAIN), method="monodromy", seed=0)
    assert r.nsolutions == 8 and r.ledger["failed"] == 0
    assert r.start_system == "monodromy" and r.root_count == 8
    assert "target count 8 reached" in r.method and "solved at a = " in r.method


def test_declared_parameters_match_the_homotopy_and_the_closed_form():
    # a = 5, b = 2 on the circle and hyperbola: (±1, ±2), (±2, ±1) with equal signs
    F = parse_system("parameters: a, b\nx^2 + y^2 - a\nx*y - b")
    r = solve(F, method="monodromy", parameters=[5, 2], seed=1)
    expected = np.array([[1, 2], [2, 1], [-1, -2], [-2, -1]], complex)
    assert r.nsolutions == 4 and _same_points(r.solutions(), expected)
    assert "parameter homotopy to the system" in r.method
    h = solve(parse_system(CHAIN), parameters=[1, 2, 3], seed=0)
    m = solve(parse_system(CHAIN), method="monodromy", parameters=[1, 2, 3], seed=0)
    assert m.nsolutions == h.nsolutions == 8
    assert _same_points(m.solutions(), h.solutions())


def test_system_without_parameters_by_its_coefficients():
    # two dense quadrics: Bézout 4 = mixed volume, so the search stops at 4
    F = parse_system("x^2 + 3*x*y - y^2 + x - 2\n2*x^2 - x*y + y^2 - y + 1")
    m = solve(F, method="monodromy", seed=2)
    h = solve(F, seed=2)
    assert m.nsolutions == 4 and "random coefficients" in m.method
    assert _same_points(m.solutions(), h.solutions())
    for x in m.solutions():  # each is a root of the original equations
        assert np.max(np.abs(F.evaluate(x, np.zeros(0)))) < 1e-9


def test_monodromy_refuses_what_it_cannot_do():
    F = parse_system("x^2 - 1\ny^2 - 4")
    with pytest.raises(PolynomialSystemError, match="start="):
        solve(F, method="monodromy", start="total-degree")
    with pytest.raises(PolynomialSystemError, match="unknown method"):
        solve(F, method="newton")
    G = system_from_callable(lambda x, p: x**2 - 1, 1)
    with pytest.raises(PolynomialSystemError, match="method='homotopy'"):
        solve(G, method="monodromy")
    H = parse_system("parameters: a\nx^2 - a^2 - 1")  # not affine in a: no start pair
    with pytest.raises(PolynomialSystemError, match="affine"):
        solve(H, method="monodromy")


def test_a_search_cut_by_the_time_budget_says_so():
    # cyclic-5 has 70 solutions: three seconds (compilation included) are far too few
    r = solve(parse_system(cyclic(5)), method="monodromy", seed=0, time_limit=3)
    assert r.out_of_time and r.nsolutions < 70 and "partial" in r.summary()
    assert r.to_dict()["out_of_time"] is True  # the CLI's exit code 3 reads this key


@pytest.mark.slow
def test_cyclic5_with_random_coefficients_has_70_like_the_homotopy():
    F = parse_system(cyclic(5))
    m = solve(F, method="monodromy", seed=0)
    assert m.nsolutions == 70 and m.ledger["failed"] == 0  # the known root count of cyclic-5
    assert "target count 70 reached" in m.method
    assert _same_points(m.solutions(), solve(F, seed=0).solutions())
