"""The one Krawczyk checker: ``certify`` on text systems runs ``krawczyk_box`` on exact balls.

Expected roots come from closed forms (sqrt 2, the quadratic formula), not from the solver.
"""

from __future__ import annotations

import math

import flint
import numpy as np
import pytest

from neurovariety.nag import certify, parse_system
from neurovariety.nag.certify import BallPolynomials, krawczyk_box, system_balls
from neurovariety.results import Verdict


def _contains(c, r: float, root: list[complex]) -> bool:
    d = np.asarray(c, complex) - np.asarray(root, complex)
    return bool(np.all(np.abs(d.real) <= r) and np.all(np.abs(d.imag) <= r))


def test_a_simple_root_of_x2_minus_2_is_certified_real():
    c = certify(parse_system("x^2 - 2"), [[1.41421356]])
    assert c.verdicts == (Verdict.YES,) and c.real == (Verdict.YES,)
    r = float(c.radii[0])
    assert abs(1.41421356 - math.sqrt(2)) <= r < 1e-6  # the box holds sqrt 2, and is small


def test_a_hand_computed_root_of_a_2x2_system_is_certified():
    # x^2 - y - 1 = 0, x + y - 5 = 0  =>  x^2 + x - 6 = 0: (2, 3) and (-3, 8).
    F = parse_system("x^2 - y - 1\nx + y - 5")
    pts = [[2 + 1e-7, 3 - 1e-7], [-3 - 2e-8, 8 + 1e-8]]
    c = certify(F, pts)
    assert c.verdicts == (Verdict.YES, Verdict.YES) and c.real == (Verdict.YES, Verdict.YES)
    assert c.n_distinct == 2
    for x, r, root in zip(pts, c.radii, ([2, 3], [-3, 8]), strict=True):
        assert _contains(x, float(r), root)


def test_a_non_real_root_is_certified_but_not_called_real():
    c = certify(parse_system("x^2 + 1"), [[1e-9 + 1j]])
    assert c.verdicts == (Verdict.YES,) and c.real == (Verdict.UNKNOWN,)


def test_parameters_are_substituted_in_balls():
    # x^2 - a at a = 2: the same root as x^2 - 2.
    F = parse_system("parameters: a\nx^2 - a")
    c = certify(F, [[1.41421356]], parameters=[2.0])
    assert c.verdicts == (Verdict.YES,) and c.real == (Verdict.YES,)
    # complex a: the root moves off the real line, to the principal sqrt(a), inside the box
    c = certify(F, [[1.41421356]], parameters=[2.0 + 1e-3j])
    assert c.verdicts == (Verdict.YES,) and c.real == (Verdict.UNKNOWN,)
    assert _contains([1.41421356], float(c.radii[0]), [np.sqrt(2.0 + 1e-3j)])


@pytest.fixture()
def prec106():
    """Work at 106 bits, as certify does, and leave flint's global precision as it was."""
    old, flint.ctx.prec = flint.ctx.prec, 106
    yield
    flint.ctx.prec = old


def test_a_box_without_a_root_is_rejected(prec106):
    F = BallPolynomials([{(2,): 1, (0,): -2}], 1)  # x^2 - 2: roots ±1.414...
    for centre, radius in ((1.0, 0.1), (1.2, 0.2), (3.0, 1.0), (0.0, 1.0)):
        assert krawczyk_box(F, [flint.acb(centre)], radius) is None
    # a box with both roots holds two solutions: never accepted
    assert krawczyk_box(F, [flint.acb(0)], 2.0) is None
    assert certify(parse_system("x^2 - 2"), [[1.5]]).verdicts == (Verdict.UNKNOWN,)
    assert certify(parse_system("x^2 - 2"), [[3.0]]).verdicts == (Verdict.UNKNOWN,)


@pytest.mark.parametrize("x", [2.0, 2.0 + 1e-6, 2.0 + 1e-3j, 2.0 - 1e-9])
def test_a_double_root_is_never_certified(x):
    # (x - 2)^2: J = 2(x - 2) vanishes at the root, so no box around it passes.
    c = certify(parse_system("x^2 - 4x + 4"), [[x]])
    assert c.verdicts == (Verdict.UNKNOWN,) and c.n_distinct == 0


def test_a_double_root_of_a_2x2_system_is_never_certified(prec106):
    # y = x^2 and y = 0 meet at (0, 0) with multiplicity 2.
    F = parse_system("y - x^2\ny")
    assert certify(F, [[1e-8, 0.0], [0.0, 0.0]]).verdicts == (Verdict.UNKNOWN,) * 2
    G = system_balls(F, np.zeros(0))
    for r in (1e-12, 1e-6, 1e-2):
        assert krawczyk_box(G, [flint.acb(0), flint.acb(0)], r) is None


def test_the_same_root_twice_is_not_two_distinct_solutions():
    s = math.sqrt(2)
    c = certify(parse_system("x^2 - 2"), [[s], [s + 1e-14], [-s]])
    assert c.n_certified == 3
    assert c.n_distinct == 1  # only -sqrt 2's box meets no other


def test_float_coefficients_enter_as_their_binary_rationals(prec106):
    # 0.1 is stored as 3602879701896397 / 2^55: the ball coefficient is that number exactly.
    G = system_balls(parse_system("x - 0.1"), np.zeros(0))
    (_, c0), (_, c1) = sorted(G.polys[0], key=lambda t: t[0])
    assert c1 == 1 and c0.real.mid() == -flint.arb(flint.fmpq(3602879701896397, 2**55))
    assert c0.real.rad() == 0 and c0.imag == 0
