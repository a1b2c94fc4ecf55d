"""Mixed volumes, mixed cells and binomial start systems (nag.polyhedral).

Expected values are independent: published root counts (cyclic-n, noon-n, katsura-n), Bézout
numbers of dense systems, and the inclusion-exclusion formula of Minkowski-sum volumes
(``scipy.spatial.ConvexHull``), which shares no code with the mixed-cell enumeration.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nag_systems import cyclic, katsura, noon
from scipy.spatial import ConvexHull, QhullError

from neurovariety.errors import PolynomialSystemError
from neurovariety.nag import parse_system
from neurovariety.nag.polyhedral import binomial_solutions, hermite, mixed_cells, mixed_volume


def supports(text: str, origin: bool = True) -> list[np.ndarray]:
    F = parse_system(text)
    n = F.n_variables
    assert F.polynomials is not None
    out = []
    for P in F.polynomials:
        pts = {e[:n] for e in P}
        if origin:
            pts.add((0,) * n)
        out.append(np.array(sorted(pts)))
    return out


def volume(points: np.ndarray) -> float:
    """n-dimensional volume of the convex hull (0 for lower-dimensional sets)."""
    if points.shape[1] == 1:
        return float(points.max() - points.min())
    try:
        return float(ConvexHull(points).volume)
    except QhullError:
        return 0.0


def mixed_volume_by_inclusion_exclusion(A: list[np.ndarray]) -> int:
    """``MV = sum_S (-1)^(n - |S|) vol(sum_{i in S} conv A_i)`` (normalized to n! vol)."""
    n = len(A)
    total = 0.0
    for k in range(1, n + 1):
        for S in itertools.combinations(range(n), k):
            pts = np.zeros((1, n), dtype=np.int64)
            for i in S:
                pts = np.unique((pts[:, None, :] + A[i][None, :, :]).reshape(-1, n), axis=0)
            total += (-1) ** (n - k) * volume(pts.astype(float))
    return round(total)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (cyclic(5), 70),
        (cyclic(6), 156),
        (cyclic(7), 924),
        (noon(3), 21),
        (noon(4), 73),
        (katsura(3), 8),
        (katsura(4), 16),
        (katsura(5), 32),
        (katsura(6), 64),
    ],
)
def test_known_root_counts(text: str, expected: int) -> None:
    assert mixed_volume(supports(text)) == expected


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), [(cyclic(8), 2560), (katsura(8), 256)])
def test_known_root_counts_slow(text: str, expected: int) -> None:
    # cyclic-8: Emiris & Canny 1995; katsura-n: 2^n (Bezout, all roots isolated and finite)
    assert mixed_volume(supports(text)) == expected


def test_torus_count_can_be_smaller() -> None:
    # Katsura-3 has 8 solutions in C^4 but only 6 in the torus for generic coefficients with
    # its own supports: the origin matters (Li & Wang).
    assert mixed_volume(supports(katsura(3), origin=False)) == 6


@pytest.mark.parametrize("degrees", [(2, 3), (3, 2, 2), (1, 4, 2)])
def test_dense_is_bezout(degrees: tuple[int, ...]) -> None:
    n = len(degrees)
    A = [np.array([e for e in np.ndindex(*(d + 1,) * n) if sum(e) <= d]) for d in degrees]
    assert mixed_volume(A) == math.prod(degrees)


def test_unmixed_is_normalized_volume() -> None:
    square = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    assert mixed_volume([square, square]) == 2  # 2! * area 1
    # vol(square + segment) - vol(square) - vol(segment) = 3 - 1 - 0
    assert mixed_volume([square, np.array([[0, 0], [1, 1]])]) == 2


def test_degenerate_supports_have_zero_mixed_volume() -> None:
    # Both supports on one line through the origin: no isolated solutions in the torus.
    line = np.array([[0, 0], [1, 1], [2, 2]])
    assert mixed_volume([line, line]) == 0
    assert mixed_volume([np.array([[1, 2]]), np.array([[0, 0], [1, 0], [0, 1]])]) == 0


def test_bad_supports_are_refused() -> None:
    with pytest.raises(PolynomialSystemError, match="dimension"):
        mixed_volume([np.array([[0, 0, 1]]), np.array([[1, 0, 0]])])
    with pytest.raises(PolynomialSystemError, match="negative"):
        mixed_volume([np.array([[-1, 0], [1, 0]]), np.array([[0, 0], [0, 1]])])


def small_supports(n: int) -> st.SearchStrategy[list[np.ndarray]]:
    point = st.tuples(*[st.integers(0, 3)] * n)
    return st.lists(
        st.lists(point, min_size=2, max_size=5, unique=True).map(np.array), min_size=n, max_size=n
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3).flatmap(small_supports))
def test_agrees_with_inclusion_exclusion(A: list[np.ndarray]) -> None:
    assert mixed_volume(A) == mixed_volume_by_inclusion_exclusion(A)


def test_cells_are_lowest_for_their_normal() -> None:
    # The defining property, checked directly: each cell's edge minimizes the lifted value.
    S = mixed_cells(supports(cyclic(5)), seed=3)
    for cell in S.cells:
        for A, w, (a, b) in zip(S.supports, S.lifting, cell.edges, strict=True):
            v = A @ cell.normal + w
            assert abs(v[a] - v[b]) < 1e-9
            assert np.all(np.delete(v, [a, b]) > v[a] + 1e-9)
        E = np.array([A[b] - A[a] for A, (a, b) in zip(S.supports, cell.edges, strict=True)])
        assert cell.volume == round(abs(np.linalg.det(E))) > 0


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5).flatmap(small_supports), st.integers(0, 2**31))
def test_cells_have_inner_normals(A: list[np.ndarray], seed: int) -> None:
    # Each cell's normal (alpha, 1) makes its two lifted points the lowest of their support,
    # strictly below the others, and the edge directions are independent: a check sharing no code
    # with the enumeration (plain dot products of the lifted points).
    S = mixed_cells(A, seed=seed)
    seen = set()
    for cell in S.cells:
        assert cell.edges not in seen
        seen.add(cell.edges)
        for P, w, (a, b) in zip(S.supports, S.lifting, cell.edges, strict=True):
            lifted = np.hstack([P, w[:, None]]).astype(float)
            v = lifted @ np.append(cell.normal, 1.0)
            assert abs(v[a] - v[b]) < 1e-9 * (1 + abs(v[a]))
            assert np.all(np.delete(v, [a, b]) > v[a] + 1e-9)
        V = np.array([P[b] - P[a] for P, (a, b) in zip(S.supports, cell.edges, strict=True)])
        assert cell.volume == round(abs(np.linalg.det(V.astype(float)))) > 0


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(0, 3), st.integers(0, 2**31))
def test_feasibility_agrees_with_highs(n: int, q: int, seed: int) -> None:
    # The enumeration's own feasibility test (elimination, then a closed form or the simplex
    # method on the Farkas dual) against HiGHS on {R a <= h, E a = r}, small integer data.
    from scipy.optimize import linprog

    from neurovariety.nag.mixed_cells import _nonempty

    q = min(q, n)
    rng = np.random.default_rng(seed)
    B, m = 40, int(rng.integers(1, 3 * n + 3))
    R = rng.integers(-3, 4, (B, m, n)).astype(float)
    h = rng.integers(-6, 7, (B, m)).astype(float)
    E = rng.integers(-2, 3, (B, q, n)).astype(float)
    r = rng.integers(-3, 4, (B, q)).astype(float)
    got = _nonempty((R, h, E, r))
    for k in range(B):
        if np.linalg.matrix_rank(E[k]) < q:
            assert not got[k]  # dependent equalities are refused, as the enumeration needs
            continue
        res = linprog(
            np.zeros(n),
            A_ub=R[k],
            b_ub=h[k],
            A_eq=E[k] if q else None,
            b_eq=r[k] if q else None,
            bounds=[(None, None)] * n,
            method="highs",
        )
        assert got[k] == (res.status == 0), (k, res.status)


def test_deadline_stops_the_enumeration() -> None:
    import time

    from neurovariety.errors import BudgetExceededError

    with pytest.raises(BudgetExceededError, match="time budget"):
        mixed_cells(supports(cyclic(5)), deadline=time.monotonic() - 1.0)


def test_mixed_volume_does_not_depend_on_the_lifting() -> None:
    A = supports(noon(3))
    assert {mixed_cells(A, seed=s).mixed_volume for s in range(4)} == {21}


@pytest.mark.parametrize(
    "V",
    [
        np.array([[2, 0], [0, 3]]),
        np.array([[1, 2], [3, -1]]),
        np.array([[2, 1, 0], [0, 3, 1], [1, 0, 2]]),
    ],
)
def test_binomial_solutions(V: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    r = np.exp(1j * rng.uniform(0, 2 * np.pi, V.shape[0])) * rng.uniform(0.5, 2, V.shape[0])
    L = binomial_solutions(V, np.log(r))
    det = round(abs(np.linalg.det(V)))
    assert L.shape == (det, V.shape[0])
    y = np.exp(L)
    # every row solves y^V = r ...
    assert np.allclose(np.exp(L @ V.T), r[None, :])
    # ... and the rows are distinct
    d = np.abs(y[:, None, :] - y[None, :, :]).max(axis=2) + np.eye(det)
    assert d.min() > 1e-6


def test_hermite_is_unimodular_triangular() -> None:
    V = np.array([[4, 6, 1], [2, -3, 5], [7, 1, 1]])
    Q, T = hermite(V)
    assert np.array_equal(np.array(Q) @ V, np.array(T))
    assert round(abs(np.linalg.det(np.array(Q, dtype=float)))) == 1
    assert all(T[i][j] == 0 for i in range(3) for j in range(i))


@pytest.mark.external
@pytest.mark.parametrize("text", [noon(3), noon(4), cyclic(5), cyclic(6), katsura(3), katsura(5)])
def test_mixed_volume_agrees_with_phcpack(text: str, tmp_path) -> None:
    # PHCpack's blackbox prints the mixed volume of the supports (the torus count) and the stable
    # mixed volume; ours with the origin added is at least the stable one (Li & Wang's bound).
    import re
    import shutil
    import subprocess

    phc = shutil.which("phc")
    if phc is None:
        pytest.skip("PHCpack (phc) is not installed")
    eqs = [ln for ln in text.splitlines()[1:] if ln.strip()]
    n = len(eqs)
    (tmp_path / "in.txt").write_text(f"{n}\n" + "\n".join(e + ";" for e in eqs) + "\n")
    subprocess.run([phc, "-b", "in.txt", "out.txt"], cwd=tmp_path, capture_output=True, timeout=120)
    log = (tmp_path / "out.txt").read_text(errors="replace")
    torus = int(re.findall(r"(?m)^mixed volume\s*:\s*(\d+)", log)[-1])
    stable = int(re.findall(r"stable mixed volume\s*:\s*(\d+)", log)[-1])
    assert mixed_volume(supports(text, origin=False)) == torus
    assert mixed_volume(supports(text)) >= stable
