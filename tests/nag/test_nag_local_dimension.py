"""Endpoint classification: isolated regular / isolated singular / on a component.

Every expected value is derived by hand in the comments (dual spaces, Jacobians, Bézout counts).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from neurovariety.nag import PathStatus, certify, parse_system, solve, system_from_callable
from neurovariety.nag.local_dimension import component_point, local_dimension
from neurovariety.results import Verdict

NONE = np.zeros(0)


def _consistent(r):
    """One classification everywhere: ledger, filters, JSON, multiplicities."""
    L = r.ledger
    assert L["tracked"] == sum(v for k, v in L.items() if k != "tracked") == len(r.paths)
    d = r.to_dict()
    assert d["nsolutions"] == r.nsolutions == len(r.solutions()) == len(d["multiplicities"])
    assert r.nsolutions == len(r.nonsingular()) + len(r.singular())
    assert d["singular"].count(True) == len(r.singular())
    # A singular cluster is never also certified; certified ones are regular singletons.
    for p in r.paths:
        assert not (p.certified and p.status != PathStatus.SUCCESS)
    assert sum(len(c.paths) for c in r.components) == L.get("positive_dimensional", 0)


def test_dual_space_of_a_double_root_and_of_x3_y2():
    # (x-2)^2 at 2: the dual space is span{1, d/dx}: d_k = 1, 2, 2 -> isolated, multiplicity 2.
    ld = local_dimension(parse_system("(x - 2)^2"), np.array([2.0]), NONE, paths=2)
    assert (ld.isolated, ld.multiplicity, ld.hilbert) == (True, 2, (1, 2, 2))
    # C[x,y]/(x^3, y^2) has the basis 1, x, y, x^2, xy, x^2 y: d_k = 1, 3, 5, 6, 6.
    F = parse_system("x^3\ny^2")
    ld = local_dimension(F, np.zeros(2), NONE, paths=6)
    assert (ld.isolated, ld.multiplicity, ld.hilbert) == (True, 6, (1, 3, 5, 6, 6))
    # With only 5 paths possible an isolated point would have multiplicity <= 5, but d_3 = 6 > 5:
    # the test (correctly, for that bound) says "not isolated".
    assert local_dimension(F, np.zeros(2), NONE, paths=5).isolated is False


def test_one_path_at_a_singular_jacobian_is_on_a_component():
    # x(y - 1) = x(x - 2) = 0 is the line x = 0 plus (2, 1). On the line J = [[y - 1, 0],
    # [-2, 0]] has rank 1: d_1 = 2 > 1 path, so not isolated; at (2, 1), J = [[0, 2], [2, 0]].
    F = parse_system("x*y - x\nx^2 - 2*x")
    ld = local_dimension(F, np.array([0.0, 5.0]), NONE, paths=1)
    assert (ld.isolated, ld.dimension) == (False, 1)
    ld = local_dimension(F, np.array([2.0, 1.0]), NONE, paths=1)
    assert (ld.isolated, ld.multiplicity) == (True, 1)
    # The same through a callable (derivatives by forward mode instead of exact expansion).
    G = system_from_callable(
        lambda x, p: jnp.stack([x[0] * x[1] - x[0], x[0] ** 2 - 2 * x[0]]), 2, degrees=(2, 2)
    )
    assert local_dimension(G, np.array([0.0, 5.0]), NONE, paths=1).isolated is False


def test_component_point_sees_past_the_crossing_of_three_axes():
    # xy = xz = yz = 0 is the union of the three coordinate axes. At the origin J = 0 (corank
    # 3), but every component through it is a line: local dimension 1.
    F = parse_system("x*y\nx*z\ny*z")
    y, dim = component_point(F, np.zeros(3), NONE)
    assert dim == 1
    assert np.sum(np.abs(y) > 1e-6) == 1 and np.max(np.abs(F.evaluate(y))) < 1e-12


def test_line_and_point_isolated_solution_only():
    # x(y - 1), x(x - 2): Bézout 4, one path to the regular point (2, 1) (det J = -4), the other
    # three to the line x = 0 (or to its point at infinity [0 : 0 : 1]). PHCpack reports the one
    # isolated solution; so must we, and the line as one component of dimension 1 (degree 1: one
    # witness point, so all its endpoints are grouped together).
    F = parse_system("x*y - x\nx^2 - 2*x")
    r = solve(F, seed=0)
    _consistent(r)
    assert r.nsolutions == 1 and r.ledger["success"] == 1 and r.ledger["singular"] == 0
    np.testing.assert_allclose(r.solutions()[0], [2, 1], atol=1e-10)
    assert r.ledger["positive_dimensional"] + r.ledger["at_infinity"] == 3
    assert len(r.components) == 1 and r.components[0].dimension == 1
    for p in r.positive_dimensional():
        assert abs(p.solution[0]) < 1e-6 and p.component == 0
    assert "positive-dimensional" in r.summary() and r.to_dict()["components"][0]["dimension"] == 1


def test_plane_and_point():
    # x(x - 1), x(y - 2), x(z - 3): the plane x = 0 and the point (1, 2, 3), where J is the
    # identity (regular: one path). Bézout 8; the plane has dimension 2 and degree 1.
    r = solve(parse_system("x*(x-1)\nx*(y-2)\nx*(z-3)"), seed=0)
    _consistent(r)
    assert r.nsolutions == 1 and r.singular() == []
    np.testing.assert_allclose(r.solutions()[0], [1, 2, 3], atol=1e-10)
    assert [c.dimension for c in r.components] == [2]
    assert r.ledger["positive_dimensional"] >= 1


def test_roots_1e9_apart_are_two_certified_regular_roots():
    # (x - 1)(x - 1 - 1e-9): two simple roots, |f'| = 1e-9 at each; Krawczyk boxes of radius
    # well below 5e-10 prove each regular and the two distinct (before: one of the two paths was
    # reported failed, "path jumping", or the pair a singular root while certify said regular).
    F = parse_system("(x - 1)*(x - 1 - 1e-9)")
    for seed in (0, 1):
        r = solve(F, seed=seed)
        _consistent(r)
        assert r.nsolutions == 2 and r.ledger["success"] == 2 and r.singular() == []
        assert all(p.certified for p in r.nonsingular())
        xs = sorted(r.solutions()[:, 0].real)
        assert abs(xs[0] - 1) < 1e-11 and abs(xs[1] - 1 - 1e-9) < 1e-10
        c = certify(F, r)
        assert c.n_certified == c.n_distinct == 2


def test_two_by_two_near_roots_in_two_variables():
    # The same pair times y = ±2: four simple roots, two pairs 1e-9 apart.
    F = parse_system("(x - 1)*(x - 1 - 1e-9)\ny^2 - 4")
    r = solve(F, seed=1)
    _consistent(r)
    assert r.nsolutions == 4 and r.ledger["success"] == 4 and r.singular() == []
    assert all(p.certified for p in r.nonsingular())


def test_a_double_root_stays_one_singular_solution_of_multiplicity_two():
    # (x - 2)^2 (x + 1), y^2 - 4: (2, ±2) double (dual space 1, d/dx), (-1, ±2) simple; 6 paths.
    F = parse_system("(x - 2)^2 * (x + 1)\ny^2 - 4")
    r = solve(F, seed=0)
    _consistent(r)
    assert r.nsolutions == 4 and sorted(r.multiplicities()) == [1, 1, 2, 2]
    assert r.components == () and "positive_dimensional" not in r.ledger
    assert all(not p.certified for p in r.singular())
    # certify follows the classification: the two simple roots only.
    c = certify(F, r)
    assert c.n_certified == 2 and c.verdicts.count(Verdict.UNKNOWN) == 2


def test_a_compiled_system_without_equations_is_undecided_not_an_error() -> None:
    # ED systems carry only compiled kernels: no Taylor expansion for the dual spaces, so the
    # test must say "undecided" (the cluster stays an isolated singular solution, with the reason)
    import dataclasses

    system = dataclasses.replace(parse_system("x^2\ny - 1"), polynomials=None, function=None)
    ld = local_dimension(system, np.array([0.0, 1.0]), np.zeros(0), paths=2)
    assert (ld.isolated, ld.multiplicity, ld.hilbert) == (None, None, ())
