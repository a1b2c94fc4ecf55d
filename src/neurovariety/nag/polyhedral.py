"""Mixed volume, mixed cells and binomial start systems (Huber & Sturmfels 1995).

A square system with supports ``A_1, ..., A_n`` (finite sets of exponent vectors) has at most
``MV(A_1, ..., A_n)`` isolated solutions in the torus ``(C*)^n``, and exactly that many when its
coefficients are generic (Bernstein 1975). With the origin added to every support the mixed volume
bounds the isolated solutions in all of ``C^n`` (Li & Wang 1996): that is what ``solve`` uses.

The mixed volume is computed from a regular mixed subdivision: lift every point ``a`` of ``A_i`` to
``(a, w(a))`` with a random integer ``w``; a *mixed cell* is one edge ``{a_i, b_i}`` of each
``A_i`` with a common inner normal ``(alpha, 1)``: for every ``i``,
``<a_i, alpha> + w(a_i) = <b_i, alpha> + w(b_i) <= <c, alpha> + w(c)`` for all ``c`` in ``A_i``.
Then ``MV = sum over mixed cells |det(b_i - a_i)|``. The cells are enumerated breadth first, one
support at a time, pruning every partial choice of edges whose inequalities are infeasible (a
linear program, batched per level) or that holds two edges without a common normal (a table of
compatible pairs); this is the edge-extension scheme of Li, Li & Gao and of DEMiCs (Mizutani,
Takeda & Kojima 2007).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from ..errors import BudgetExceededError, PolynomialSystemError
from .homotopy import coefficient_family
from .system import System, _from_polys

Support = np.ndarray  # (m, n) integer exponent vectors
#: ``(R, h, E, r)``: the polyhedron ``{alpha : R alpha <= h, E alpha = r}``.
Problem = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class MixedCell:
    """One mixed cell: an edge ``(a_i, b_i)`` (row indices into ``A_i``) per support.

    ``normal`` is the inner normal ``alpha`` (the cell's lifted points have the lowest value of
    ``<a, alpha> + w(a)`` in their support), ``volume`` is ``|det(b_i - a_i)|``: the number of
    solutions of the cell's binomial system.
    """

    edges: tuple[tuple[int, int], ...]
    normal: np.ndarray
    volume: int


@dataclass(frozen=True)
class Subdivision:
    """Mixed cells of the lifted supports: their volumes add up to the mixed volume."""

    supports: tuple[Support, ...]
    lifting: tuple[np.ndarray, ...]
    cells: tuple[MixedCell, ...]
    linear_programs: int
    seconds: float

    @property
    def mixed_volume(self) -> int:
        return sum(c.volume for c in self.cells)


def _check(supports: Sequence[np.ndarray]) -> tuple[Support, ...]:
    A = tuple(
        np.unique(np.asarray(s, dtype=np.int64).reshape(len(s), -1), axis=0) for s in supports
    )
    n = len(A)
    for i, s in enumerate(A):
        if s.ndim != 2 or s.shape[1] != n:
            raise PolynomialSystemError(
                f"support {i + 1} has points of dimension {s.shape[-1]}, expected {n} (one "
                "support per variable). Fix: give a square system"
            )
        if np.any(s < 0):
            raise PolynomialSystemError(
                f"support {i + 1} has a negative exponent. Fix: multiply the equation by a "
                "monomial so that its exponents are non-negative"
            )
    return A


#: Problems per batched linear program (bounds the size of one HiGHS call, and so how far a
#: deadline can be overrun: 3000 took 2.5 s in one call). HiGHS grows faster than linearly in
#: the blocks: the cells of four dense cubics (4 unknowns) took 11-15 s at 300 a call, 19 s at
#: 3000.
LP_BATCH = 300


def _feasible_batch(problems: list[Problem], deadline: float | None = None) -> np.ndarray:
    """Which ``{alpha : R alpha <= h, E alpha = r}`` are non-empty, for ``(R, h, E, r)`` each.

    All problems go into one block-diagonal linear program (HiGHS) with an elastic variable
    ``s_k >= 0`` per block, ``R alpha_k - s_k <= h``, minimizing ``sum s_k``: the optimum splits
    into the blocks, and block ``k`` is feasible iff its ``s_k`` is 0. One call per batch instead
    of one per problem: the per-call overhead dominates problems this small.
    """
    out = np.zeros(len(problems), bool)
    for lo in range(0, len(problems), LP_BATCH):
        _check_deadline(deadline)
        out[lo : lo + LP_BATCH] = _solve_batch(problems[lo : lo + LP_BATCH])
    return out


def _solve_batch(problems: list[Problem]) -> np.ndarray:
    n = problems[0][0].shape[1] if problems[0][0].size else problems[0][2].shape[1]
    width = n + 1
    ub_r, ub_c, ub_v, ub_b = [], [], [], []
    eq_r, eq_c, eq_v, eq_b = [], [], [], []
    rows_ub = rows_eq = 0
    for k, (R, h, E, r) in enumerate(problems):
        base = k * width
        m = R.shape[0]
        if m:
            ii, jj = np.nonzero(np.ones((m, n), bool))
            ub_r += [rows_ub + ii, rows_ub + np.arange(m)]
            ub_c += [base + jj, np.full(m, base + n)]
            ub_v += [R[ii, jj], -np.ones(m)]
            ub_b.append(h)
            rows_ub += m
        q = E.shape[0]
        if q:
            ii, jj = np.nonzero(np.ones((q, n), bool))
            eq_r.append(rows_eq + ii)
            eq_c.append(base + jj)
            eq_v.append(E[ii, jj])
            eq_b.append(r)
            rows_eq += q
    nvar = len(problems) * width

    def sparse(r: list, c: list, v: list, rows: int) -> Any:
        if not rows:
            return None
        return coo_matrix(
            (np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(rows, nvar)
        ).tocsr()

    cost = np.zeros(nvar)
    cost[n::width] = 1.0
    bounds = np.full((nvar, 2), np.nan)
    bounds[:, 0], bounds[:, 1] = -np.inf, np.inf
    bounds[n::width, 0] = 0.0
    res = linprog(
        cost,
        A_ub=sparse(ub_r, ub_c, ub_v, rows_ub),
        b_ub=np.concatenate(ub_b) if ub_b else None,
        A_eq=sparse(eq_r, eq_c, eq_v, rows_eq),
        b_eq=np.concatenate(eq_b) if eq_b else None,
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - the elastic program is always feasible and bounded
        raise PolynomialSystemError(f"linear program failed: {res.message}")
    return res.x[n::width] <= 1e-7


def _constraints(A: Support, w: np.ndarray, a: int, b: int) -> Problem:
    """Edge ``{a, b}`` of ``A`` lowest for ``(alpha, 1)``: ``R alpha <= h``, ``e alpha = r``."""
    rest = np.array([c for c in range(len(A)) if c not in (a, b)], dtype=int)
    R = (A[a][None, :] - A[rest]).astype(float).reshape(len(rest), A.shape[1])
    h = w[rest] - w[a]
    return R, h, (A[b] - A[a]).astype(float)[None, :], np.array([w[a] - w[b]])


def _join(*parts: Problem) -> Problem:
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))  # type: ignore[return-value]


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceededError(
            "the time budget ran out while enumerating mixed cells. Fix: raise time_limit, or "
            "use start='total-degree'"
        )


def _enumerate(
    A: tuple[Support, ...], w: tuple[np.ndarray, ...], deadline: float | None
) -> tuple[list[MixedCell], int] | None:
    """Mixed cells by extending partial cells support by support (breadth first, batched LPs)."""
    n = len(A)
    lps = 0
    # Lower edges of each lifted support on its own: only these can be part of a mixed cell.
    cand = [(i, e) for i in range(n) for e in combinations(range(len(A[i])), 2)]
    cons = {(i, e): _constraints(A[i], w[i], *e) for i, e in cand}
    ok = _feasible_batch([cons[c] for c in cand], deadline)
    lps += len(cand)
    edges: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for (i, e), good in zip(cand, ok, strict=True):
        if good:
            edges[i].append(e)
    if any(not E for E in edges):
        return [], lps  # a support of one point: no mixed cell, mixed volume 0
    _check_deadline(deadline)
    # Pairs of edges of two supports with a common normal: an extension must be compatible with
    # every edge chosen before it, which prunes most of the tree without a full LP.
    pair_keys = [
        (i, e, j, f)
        for i in range(n)
        for j in range(i + 1, n)
        for e in edges[i]
        for f in edges[j]
        if np.linalg.matrix_rank(np.vstack([cons[(i, e)][2], cons[(j, f)][2]])) == 2
    ]
    good = _feasible_batch(
        [_join(cons[(i, e)], cons[(j, f)]) for i, e, j, f in pair_keys], deadline
    )
    lps += len(pair_keys)
    pairs = {k for k, g in zip(pair_keys, good, strict=True) if g}

    def compatible(i: int, e: tuple[int, int], j: int, f: tuple[int, int]) -> bool:
        return (i, e, j, f) in pairs if i < j else (j, f, i, e) in pairs

    # Supports with fewer lower edges first: a narrower tree.
    order = sorted(range(n), key=lambda i: len(edges[i]))
    frontier: list[list[tuple[int, int]]] = [[e] for e in edges[order[0]]]
    for level in range(1, n):
        _check_deadline(deadline)
        i = order[level]
        children = [
            [*chosen, e]
            for chosen in frontier
            for e in edges[i]
            if all(compatible(order[k], f, i, e) for k, f in enumerate(chosen))
        ]
        problems = [_join(*(cons[(order[k], f)] for k, f in enumerate(c))) for c in children]
        # Dependent edge directions span a lower-dimensional cell: not mixed.
        children_ok = [np.linalg.matrix_rank(p[2]) == level + 1 for p in problems]
        children = [c for c, g in zip(children, children_ok, strict=True) if g]
        problems = [p for p, g in zip(problems, children_ok, strict=True) if g]
        if level == n - 1:
            cells: list[MixedCell] = []
            for c, (R, h, E, r) in zip(children, problems, strict=True):
                alpha = np.linalg.solve(E, r)
                slack = h - R @ alpha
                low = float(np.min(slack, initial=1.0))
                if low < -1e-9:
                    continue
                if low < 1e-9:
                    return None  # a third point on a cell's face: the lifting is not generic
                by_support = dict(zip(order, c, strict=True))
                volume = round(abs(np.linalg.det(E)))
                cells.append(MixedCell(tuple(by_support[k] for k in range(n)), alpha, volume))
            return cells, lps
        if level == 1:
            frontier = children  # pairs were tested already
        else:
            feasible = _feasible_batch(problems, deadline)
            lps += len(problems)
            frontier = [c for c, g in zip(children, feasible, strict=True) if g]
    # n == 1: every lower edge is a mixed cell.
    cells_1: list[MixedCell] = []
    for (e,) in frontier:
        R, h, E, r = cons[(0, e)]
        cells_1.append(MixedCell((e,), np.linalg.solve(E, r), round(abs(float(E[0, 0])))))
    return cells_1, lps


def mixed_cells(
    supports: Sequence[np.ndarray],
    *,
    seed: int = 0,
    deadline: float | None = None,
    tries: int = 5,
) -> Subdivision:
    """Mixed cells of a random regular mixed subdivision of ``supports`` (``n`` sets in ``Z^n``).

    The lifting is random integers in ``[0, 2^10)`` (small values keep the powers of ``t`` in the
    polyhedral homotopy moderate); if it turns out not generic (a cell's normal makes a third point
    of a support lowest too), another is drawn, up to ``tries`` times.

    Examples
    --------
    >>> S = mixed_cells([[[0, 0], [1, 0], [0, 1]], [[0, 0], [2, 0], [0, 2]]])
    >>> S.mixed_volume
    2
    """
    A = _check(supports)
    t0 = time.monotonic()
    rng = np.random.default_rng(seed)
    for _ in range(tries):
        w = tuple(rng.integers(0, 2**10, size=len(s)).astype(float) for s in A)
        out = _enumerate(A, w, deadline)
        if out is not None:
            cells, lps = out
            return Subdivision(A, w, tuple(cells), lps, time.monotonic() - t0)
    raise PolynomialSystemError(  # pragma: no cover - probability ~0
        f"no generic lifting in {tries} random draws. Fix: pass another seed"
    )


def mixed_volume(supports: Sequence[np.ndarray], *, seed: int = 0) -> int:
    """Mixed volume of ``n`` supports in ``Z^n`` (normalized: ``MV(P, ..., P) = n! vol(P)``).

    Examples
    --------
    >>> mixed_volume([[[0, 0], [1, 0], [0, 1], [1, 1]]] * 2)  # unit square: 2! * 1
    2
    """
    return mixed_cells(supports, seed=seed).mixed_volume


# ---------------------------------------------------------------- binomial start systems


def hermite(V: np.ndarray) -> tuple[list[list[int]], list[list[int]]]:
    """Unimodular ``Q`` and upper triangular ``T = Q V`` (exact integer row operations)."""
    n = V.shape[0]
    T = [[int(v) for v in row] for row in V]
    Q = [[int(i == j) for j in range(n)] for i in range(n)]
    for col in range(n):
        for r in range(col + 1, n):
            # Euclid on rows col and r until T[r][col] = 0.
            while T[r][col] != 0:
                q = T[col][col] // T[r][col]
                T[col] = [x - q * y for x, y in zip(T[col], T[r], strict=True)]
                Q[col] = [x - q * y for x, y in zip(Q[col], Q[r], strict=True)]
                T[col], T[r] = T[r], T[col]
                Q[col], Q[r] = Q[r], Q[col]
    return Q, T


def binomial_solutions(V: np.ndarray, log_r: np.ndarray) -> np.ndarray:
    """All ``|det V|`` solutions ``log y`` (rows) of ``y^V = exp(log_r)``, i.e. ``V log y = log_r``.

    Row ``i`` of ``V`` is the exponent vector of equation ``i``. With ``T = Q V`` upper
    triangular (``Q`` unimodular, so the systems are equivalent on the torus) the solutions come
    by back substitution, ``|T_jj|`` branches of the logarithm per coordinate; everything stays in
    logarithms, so large exponents do not overflow.

    Examples
    --------
    >>> L = binomial_solutions(np.array([[2, 0], [0, 3]]), np.zeros(2, complex))
    >>> len(L), np.allclose(np.exp(2 * L[:, 0]), 1), np.allclose(np.exp(3 * L[:, 1]), 1)
    (6, True, True)
    """
    n = V.shape[0]
    Q, T = hermite(V)
    s = np.array([sum(q * lr for q, lr in zip(Q[i], log_r, strict=True)) for i in range(n)])
    sols = [np.zeros(0, complex)]
    for j in range(n - 1, -1, -1):
        d = T[j][j]
        if d == 0:
            raise PolynomialSystemError("singular binomial system (a degenerate mixed cell)")
        new = []
        for tail in sols:
            rest = s[j] - sum(T[j][j + 1 + k] * tail[k] for k in range(len(tail)))
            for k in range(abs(d)):
                new.append(np.concatenate([[(rest + 2j * np.pi * k) / d], tail]))
        sols = new
    return np.array(sols).reshape(len(sols), n)


# ---------------------------------------------------------------- polyhedral start systems


def system_supports(system: System) -> tuple[Support, ...]:
    """Supports of a text system's equations in its variables, the origin added to each.

    With the origin added the mixed volume bounds the isolated solutions in ``C^n``, not only in
    the torus (Li & Wang 1996): solutions with zero coordinates are not lost.
    """
    if system.polynomials is None:
        raise PolynomialSystemError(
            "the polyhedral homotopy needs the system's monomials (a text system). Fix: use "
            "start='total-degree' for a system given as a Python function"
        )
    n = system.n_variables
    out = []
    for poly in system.polynomials:
        pts = {e[:n] for e in poly} | {(0,) * n}
        out.append(np.array(sorted(pts), dtype=np.int64))
    return tuple(out)


@dataclass(frozen=True)
class PolyhedralStart:
    """What the two stages of the polyhedral homotopy need.

    ``coefficients`` is the system with the same supports and one parameter per coefficient
    (stage 2 moves those from ``start_coefficients`` to ``target_coefficients``); ``exponents``
    (homogenized, one row per term), ``equation`` (of each term), ``powers`` (of ``t`` per path
    and term) and ``log_y`` (start solutions, logarithms) define stage 1.
    """

    subdivision: Subdivision
    coefficients: System
    start_coefficients: np.ndarray
    target_coefficients: np.ndarray
    exponents: np.ndarray
    equation: np.ndarray
    powers: np.ndarray
    log_y: np.ndarray

    @property
    def mixed_volume(self) -> int:
        return self.subdivision.mixed_volume


def polyhedral_start(
    system: System, p: np.ndarray, rng: np.random.Generator, *, deadline: float | None = None
) -> PolyhedralStart:
    """Mixed cells, start solutions and the coefficient family of ``system`` at parameters ``p``.

    Start coefficients are random on the unit circle: generic (the unit torus is Zariski dense)
    and every binomial start solution then lies on the unit torus too.
    """
    S = mixed_cells(system_supports(system), seed=int(rng.integers(2**31)), deadline=deadline)
    n = system.n_variables
    assert system.polynomials is not None
    terms = [(i, tuple(int(v) for v in a)) for i, A in enumerate(S.supports) for a in A]
    T = len(terms)
    target = np.zeros(T, complex)
    index = {term: k for k, term in enumerate(terms)}
    for i, poly in enumerate(system.polynomials):
        for e, c in poly.items():
            target[index[(i, e[:n])]] += c * np.prod(p ** np.asarray(e[n:]))
    equation = np.array([i for i, _ in terms])
    for i in range(n):  # unit max coefficient per equation: scale-free tolerances
        top = np.max(np.abs(target[equation == i]))
        if top == 0:
            raise PolynomialSystemError(
                f"equation {i + 1} vanishes at these parameter values. Fix: check the parameters"
            )
        target[equation == i] /= top
    start = np.exp(2j * np.pi * rng.uniform(size=T))
    names = tuple(f"c{k}" for k in range(T))
    # equation i of the family: sum over its terms k of c_k x^a_k
    polys: list[dict[tuple[int, ...], complex]] = [{} for _ in range(n)]
    for k, (i, a) in enumerate(terms):
        polys[i][a + tuple(int(k == j) for j in range(T))] = 1.0 + 0j
    family = _from_polys(system.variables, names, polys, list(range(1, n + 1)))
    degrees = np.array(family.degrees)
    E = np.array([a for _, a in terms], dtype=np.int64)
    homog = np.concatenate([(degrees[equation] - E.sum(axis=1))[:, None], E], axis=1)
    family = coefficient_family(family, homog, equation)
    offsets = np.cumsum([0] + [len(A) for A in S.supports])
    lifted = np.concatenate(S.lifting)
    powers, logs = [], []
    for cell in S.cells:
        ab = [(offsets[i] + a, offsets[i] + b) for i, (a, b) in enumerate(cell.edges)]
        V = np.array([E[b] - E[a] for a, b in ab])
        log_r = np.array([np.log(-start[a] / start[b]) for a, b in ab])
        L = binomial_solutions(V, log_r)
        value = E @ cell.normal + lifted
        low = np.array([value[a] for a, _ in ab])
        pw = value - low[equation]
        pw = np.where(np.abs(pw) < 1e-9, 0.0, pw)
        # t -> t^(1/k), k the smallest positive power: same path, powers >= 1, so the homotopy
        # is differentiable at t = 0.
        if np.any(pw > 0):
            pw = pw / np.min(pw[pw > 0])
        powers.append(np.repeat(pw[None, :], len(L), axis=0))
        logs.append(L)
    return PolyhedralStart(
        S,
        family,
        start,
        target,
        homog,
        equation,
        np.concatenate(powers) if powers else np.zeros((0, T)),
        np.concatenate(logs) if logs else np.zeros((0, n), complex),
    )
