"""solve(start="polyhedral"|"auto"): paths, solutions and the ledger.

Expected solutions come from closed forms (binomial systems) or from the total-degree homotopy,
which shares no start system, homotopy or coefficient family with the polyhedral one.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from nag_systems import cyclic, katsura, noon
from typer.testing import CliRunner

from neurovariety.errors import PolynomialSystemError
from neurovariety.nag import TrackerOptions, parse_system, solve, system_from_callable


def _same_points(X: np.ndarray, Y: np.ndarray, tol: float = 1e-7) -> bool:
    if X.shape != Y.shape:
        return False
    D = np.max(np.abs(X[:, None, :] - Y[None, :, :]), axis=2)
    return bool(np.all(D.min(axis=1) < tol) and np.all(D.min(axis=0) < tol))


def _check_ledger(r) -> None:
    L = r.ledger
    assert L["tracked"] == sum(v for k, v in L.items() if k != "tracked") == len(r.paths)


def test_binomial_system_closed_form() -> None:
    # x^3 y = 2, x y^3 = 2: then x^2 = y^2, so y = x with x^4 = 2 or y = -x with x^4 = -2:
    # 8 solutions = |det [[3, 1], [1, 3]]|, half of the Bezout number 16.
    F = parse_system("x^3*y - 2\nx*y^3 - 2")
    r = solve(F, seed=0, start="polyhedral")
    _check_ledger(r)
    assert r.start_system == "polyhedral" and r.root_count == 8
    assert r.ledger["tracked"] == 8 and r.ledger["success"] == 8 and r.nsolutions == 8
    roots = [2**0.25 * 1j**k for k in range(4)]
    neg = [2**0.25 * np.exp(1j * np.pi * (2 * k + 1) / 4) for k in range(4)]
    expected = np.array([[x, x] for x in roots] + [[x, -x] for x in neg])
    assert _same_points(r.solutions(), expected)


def test_paths_that_would_diverge_are_not_tracked() -> None:
    # xy = 1, xy = 2 - x: one solution (1, 1); total degree tracks 4 paths, 3 to infinity.
    r = solve(parse_system("x*y - 1\nx*y - 2 + x"), seed=3, start="polyhedral")
    assert r.ledger["tracked"] == 1 and r.ledger["at_infinity"] == 0
    np.testing.assert_allclose(r.solutions()[0], [1, 1], atol=1e-10)


def test_solutions_with_zero_coordinates_are_found() -> None:
    # Katsura-3 has 8 solutions, only 6 in the torus (generic coefficients, own supports):
    # adding the origin to the supports (Li & Wang) keeps the other two.
    F = parse_system(katsura(3))
    poly = solve(F, seed=2, start="polyhedral")
    total = solve(F, seed=2, start="total-degree")
    assert poly.root_count == 8 and total.root_count == 8
    assert poly.nsolutions == total.nsolutions == 8
    assert poly.ledger["failed"] == 0
    assert np.sum(np.min(np.abs(poly.solutions()), axis=1) < 1e-10) >= 1
    assert _same_points(poly.solutions(), total.solutions())


def test_parameters_are_evaluated_into_the_coefficients() -> None:
    F = parse_system("parameters: a\nx^2*y - a\nx*y^2 - 2*a")  # y = 2x, 2 x^3 = a
    r = solve(F, parameters=[4.0], seed=1, start="polyhedral")
    assert r.nsolutions == 3
    x = r.solutions()[:, 0]
    np.testing.assert_allclose(x**3, 2.0, atol=1e-9)
    np.testing.assert_allclose(r.solutions()[:, 1], 2 * x, atol=1e-9)


@pytest.mark.slow
def test_auto_picks_the_smaller_root_count() -> None:
    # Bezout 64, mixed volume |det [[3,1,0],[0,3,1],[1,0,3]]| = 28: 2 * 28 < 64.
    F = parse_system("x^3*y - 2\ny^3*z - 2\nz^3*x - 2")
    r = solve(F, seed=0)
    assert r.start_system == "polyhedral" and r.root_count == 28
    assert r.nsolutions == 28 and r.ledger["failed"] == 0


def test_auto_keeps_total_degree_for_few_paths() -> None:
    r = solve(parse_system("x^2 - 1\ny^2 - 4"), seed=0)
    assert r.start_system == "total-degree" and r.root_count == 4


def test_bad_start_is_refused() -> None:
    F = parse_system("x^2 - 1\ny - 2")
    with pytest.raises(PolynomialSystemError, match="unknown start system"):
        solve(F, start="simplex")
    with pytest.raises(PolynomialSystemError, match="square"):
        solve(parse_system("variables: x\nx^2 - 1\nx - 1"), start="polyhedral")
    G = system_from_callable(lambda x, p: x**2 - 1, 1, degrees=[2])
    with pytest.raises(PolynomialSystemError, match="text system"):
        solve(G, start="polyhedral")


def test_cli_start_option(tmp_path) -> None:
    from neurovariety.cli import app

    f = tmp_path / "sys.txt"
    f.write_text("x^3*y - 2\nx*y^3 - 2\n")
    out = CliRunner().invoke(app, ["solve", str(f), "--start", "polyhedral", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.output)
    assert d["start_system"] == "polyhedral" and d["root_count"] == 8 and d["nsolutions"] == 8
    out = CliRunner().invoke(app, ["solve", str(f), "--start", "nope"])
    assert out.exit_code == 2 and "nope" in out.output  # typer's choice: the values are listed
    assert "Traceback" not in out.output


@pytest.mark.parametrize(
    "start", [pytest.param("total-degree", marks=pytest.mark.slow), "polyhedral"]
)
def test_every_path_is_accounted_for_when_tracking_fails(start: str) -> None:
    # A step budget far too small: paths fail, are retried twice (more steps each time), and
    # whatever still fails is reported failed with its reason; nothing is dropped.
    F = parse_system("x^3*y - 2\nx*y^3 - 2")
    r = solve(F, seed=0, start=start, tracker=TrackerOptions(max_steps=2))
    _check_ledger(r)
    assert r.ledger["tracked"] == r.root_count == (16 if start == "total-degree" else 8)
    failed = r.failed()
    assert r.retried >= len(failed) > 0
    assert all(p.retracked and p.reason for p in failed)
    if start == "polyhedral":
        assert any(p.reason.startswith("stage 1") for p in failed)
    assert r.to_dict()["retried"] == r.retried


def test_mixed_volume_zero_means_no_isolated_solutions() -> None:
    # xy = 1 and xy = 2 have no common solution; both supports lie on one line: MV = 0.
    r = solve(parse_system("x*y - 1\nx*y - 2"), seed=0, start="polyhedral")
    assert r.root_count == 0 and r.ledger["tracked"] == 0 and r.nsolutions == 0


def test_cell_homotopy_derivatives() -> None:
    # The analytic H_X and H_t of the cell homotopy against forward-mode AD and central
    # differences, at a point with a zero coordinate (the derivative must not divide by it).
    import jax
    import jax.numpy as jnp

    from neurovariety.nag.homotopy import polyhedral_homotopy

    rng = np.random.default_rng(0)
    E = np.array([[2, 0, 1], [0, 3, 0], [1, 1, 1], [3, 0, 0], [0, 0, 3], [1, 2, 0]])
    eq = np.array([0, 0, 0, 1, 1, 1])
    c = rng.normal(size=6) + 1j * rng.normal(size=6)
    powers = np.array([[0.0, 0.0, 1.0, 2.5, 0.0, 1.5]])
    H, _ = polyhedral_homotopy(E, eq, c, powers, np.zeros((1, 2), complex), np.ones(3) / 3)
    X = jnp.asarray(rng.normal(size=3) + 1j * rng.normal(size=3)).at[1].set(0.0)
    pd = {"e": jnp.asarray(powers[0])}

    fn = jax.jit(H.fn)  # one compiled program: eager dispatch of each small op is slow

    def at(t: float, Y: jax.Array = X) -> jax.Array:
        return fn(H.data, pd, Y, jnp.asarray(t + 0j))[0]

    _, Hx, Ht = fn(H.data, pd, X, jnp.asarray(0.3 + 0j))
    J = jax.jit(jax.jacfwd(lambda Y: at(0.3, Y), holomorphic=True))(X)
    np.testing.assert_allclose(np.asarray(Hx), np.asarray(J), atol=1e-12)
    fd = (at(0.3 + 1e-6) - at(0.3 - 1e-6)) / 2e-6
    np.testing.assert_allclose(np.asarray(Ht), np.asarray(fd), atol=1e-8)
    # at s = 0 (t = 1) only the cell's terms (power 0) remain
    H0 = at(1.0)
    mono = c * np.prod(np.asarray(X)[None, :] ** E, axis=1)
    np.testing.assert_allclose(
        np.asarray(H0[:2]), [mono[[0, 1]].sum(), mono[[4]].sum()], atol=1e-12
    )


def test_coefficient_family_kernel_matches_the_text_kernel() -> None:
    # The monomial-table kernel of the coefficient family against the generic kernel that the
    # text parser builds for the same family (unrolled terms, forward-mode derivatives).
    from neurovariety.nag.polyhedral import polyhedral_start
    from neurovariety.nag.system import _from_polys

    F = parse_system("x^2*y + 3*y - 1\nx*y^2 - x + 2")
    poly = polyhedral_start(F, np.zeros(0), np.random.default_rng(0))
    fam = poly.coefficients
    T = fam.n_parameters
    polys = [
        {tuple(e[1:]) + tuple(int(k == j) for j in range(T)): 1.0 + 0j for e, k in terms}
        for terms in (
            [(e, k) for k, e in enumerate(poly.exponents) if poly.equation[k] == i]
            for i in range(2)
        )
    ]
    ref = _from_polys(fam.variables, fam.parameters, polys, [1, 2])
    rng = np.random.default_rng(1)
    X = rng.normal(size=3) + 1j * rng.normal(size=3)
    c = rng.normal(size=T) + 1j * rng.normal(size=T)
    dc = rng.normal(size=T) + 1j * rng.normal(size=T)
    for got, want in zip(fam.kernel(fam.data, X, c), ref.kernel(ref.data, X, c), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-12)
    for got, want in zip(
        fam.directional(fam.data, X, c, dc), ref.directional(ref.data, X, c, dc), strict=True
    ):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-12)


@pytest.mark.parametrize(
    ("text", "torus", "expected"),
    [
        # {0, 1}^2: only (1, 1) lies in the torus; the supports {x, x^2}, {y, y^2} count 1.
        ("x^2 - x\ny^2 - y", 1, [[0, 0], [0, 1], [1, 0], [1, 1]]),
        # x (y - 1) = 0, y (x - 2) = 0: x = 0 forces y = 0, else y = 1 and x = 2.
        ("x*y - x\nx*y - 2*y", 1, [[0, 0], [2, 1]]),
        # x (y - 1) = y (z - 1) = z (x - 1) = 0: x = 0 forces z = 0, then y = 0; else all 1.
        ("x*y - x\ny*z - y\nz*x - z", 1, [[0, 0, 0], [1, 1, 1]]),
    ],
)
def test_solutions_on_coordinate_hyperplanes(text: str, torus: int, expected: list) -> None:
    # Hand-solved systems whose solutions have zero coordinates: the mixed volume of the
    # supports themselves (the torus count) misses them; with the origin added to every support
    # (Li & Wang) the count covers C^n, and result.method says which count was used.
    from neurovariety.nag.polyhedral import mixed_volume, system_supports

    F = parse_system(text)
    own = [np.array(sorted({e[: F.n_variables] for e in P})) for P in F.polynomials or ()]
    assert mixed_volume(own) == torus
    r = solve(F, seed=4, start="polyhedral")
    _check_ledger(r)
    assert r.root_count == mixed_volume(system_supports(F)) >= len(expected)
    assert "origin added" in r.method and r.ledger["failed"] == 0
    assert _same_points(r.solutions(), np.array(expected, dtype=complex))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("text", "count"),
    [(cyclic(5), 70), (cyclic(6), 156), (noon(3), 21), (noon(4), 73), (katsura(4), 16)],
    ids=["c5", "c6", "n3", "n4", "k4"],
)
def test_complete_solution_sets_over_seeds(text: str, count: int, seed: int) -> None:
    # Published root counts (all isolated, all regular): every seed finds every root.
    r = solve(parse_system(text), seed=seed, start="polyhedral")
    _check_ledger(r)
    assert r.root_count == count and r.ledger["failed"] == 0
    assert r.nsolutions == len(r.nonsingular()) == count
