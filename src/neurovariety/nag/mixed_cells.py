"""Mixed cells and mixed volume of ``n`` supports in ``Z^n`` (Huber & Sturmfels 1995).

Lift every point ``a`` of ``A_i`` to ``(a, w(a))`` with a random integer ``w``; a *mixed cell* is
one edge ``{a_i, b_i}`` of each ``A_i`` with a common inner normal ``(alpha, 1)``: for every ``i``,
``<a_i, alpha> + w(a_i) = <b_i, alpha> + w(b_i) <= <c, alpha> + w(c)`` for all ``c`` in ``A_i``.
Then ``MV = sum over mixed cells |det(b_i - a_i)|``.

The cells are enumerated as a tree of partial cells (one edge of some supports), level by level,
with the dynamic enumeration of DEMiCs (Mizutani, Takeda & Kojima 2007): each node branches on
the support with the fewest edges compatible with its chosen ones (a table of edge pairs with a
common normal, one linear program per pair), not on a fixed order. A node is kept when its
normals form a non-empty polyhedron: a linear program (HiGHS, batched) while it has dimension at
least 2, a closed form on the line (dimension 1) and at the cells themselves (dimension 0), both
vectorized over the level.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from ..errors import BudgetExceededError, PolynomialSystemError

Support = np.ndarray  # (m, n) integer exponent vectors
#: ``(R, h, E, r)``: the polyhedron ``{alpha : R alpha <= h, E alpha = r}``.
Problem = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Edge = tuple[int, int]

#: Liftings are random integers in ``[0, LIFTING)``.
LIFTING = 2**10

#: Slack below which a normal counts as lying on a constraint (feasibility and genericity).
TOL = 1e-9


@dataclass(frozen=True)
class MixedCell:
    """One mixed cell: an edge ``(a_i, b_i)`` (row indices into ``A_i``) per support.

    ``normal`` is the inner normal ``alpha`` (the cell's lifted points have the lowest value of
    ``<a, alpha> + w(a)`` in their support), ``volume`` is ``|det(b_i - a_i)|``: the number of
    solutions of the cell's binomial system.
    """

    edges: tuple[Edge, ...]
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


class _Tree:
    """The supports' lower edges, their constraints and the table of compatible edge pairs."""

    def __init__(self, A: tuple[Support, ...], w: tuple[np.ndarray, ...], deadline: float | None):
        n = self.n = len(A)
        self.deadline = deadline
        cand = [(i, e) for i in range(n) for e in combinations(range(len(A[i])), 2)]
        cons = {(i, e): _constraints(A[i], w[i], *e) for i, e in cand}
        ok = _feasible_batch([cons[c] for c in cand], deadline)
        self.lps = len(cand)
        # Lower edges of each lifted support on its own: only these can be part of a mixed cell.
        self.edges: list[list[Edge]] = [[] for _ in range(n)]
        for (i, e), good in zip(cand, ok, strict=True):
            if good:
                self.edges[i].append(e)
        self.cons = [[cons[(i, e)] for e in self.edges[i]] for i in range(n)]
        self.compat: dict[tuple[int, int], np.ndarray] = {}

    def pair_table(self) -> None:
        """``compat[i, j][e, f]``: edge ``e`` of ``A_i`` and ``f`` of ``A_j`` share a normal."""
        n, keys = self.n, []
        for i, j in combinations(range(n), 2):
            self.compat[i, j] = np.zeros((len(self.edges[i]), len(self.edges[j])), bool)
            for e, ce in enumerate(self.cons[i]):
                for f, cf in enumerate(self.cons[j]):
                    if np.linalg.matrix_rank(np.vstack([ce[2], cf[2]])) == 2:
                        keys.append((i, j, e, f))
        good = _feasible_batch(
            [_join(self.cons[i][e], self.cons[j][f]) for i, j, e, f in keys], self.deadline
        )
        self.lps += len(keys)
        for (i, j, e, f), g in zip(keys, good, strict=True):
            self.compat[i, j][e, f] = g
        for i, j in list(self.compat):
            self.compat[j, i] = self.compat[i, j].T

    def extend(self, nodes: np.ndarray) -> np.ndarray:
        """Children of ``nodes`` (rows: an edge index per support, -1 where none is chosen).

        Each node branches on the unchosen support with the fewest edges compatible with all of
        its chosen ones (dynamic enumeration): every cell below the node uses one of them.
        """
        n, out = self.n, []
        for node in nodes:
            chosen = np.nonzero(node >= 0)[0]
            best: np.ndarray | None = None
            j_best = -1
            for j in range(n):
                if node[j] >= 0:
                    continue
                mask = np.ones(len(self.edges[j]), bool)
                for i in chosen:
                    mask &= self.compat[int(i), j][node[i]]
                if best is None or mask.sum() < best.sum():
                    best, j_best = mask, j
                if not mask.any():
                    break
            assert best is not None
            for f in np.nonzero(best)[0]:
                child = node.copy()
                child[j_best] = f
                out.append(child)
        return np.array(out, dtype=np.int64).reshape(-1, n)

    def problem(self, node: np.ndarray) -> Problem:
        return _join(*(self.cons[i][e] for i, e in enumerate(node) if e >= 0))

    def stacked(self, nodes: np.ndarray) -> Problem:
        """The problems of ``nodes`` that choose the same supports, as stacked arrays."""
        parts = [self.problem(node) for node in nodes]
        return tuple(np.stack([p[k] for p in parts]) for k in range(4))  # type: ignore[return-value]


def _by_pattern(nodes: np.ndarray) -> list[np.ndarray]:
    """Indices of ``nodes`` grouped by the set of supports they choose (one shape per group)."""
    groups: dict[bytes, list[int]] = defaultdict(list)
    for k, node in enumerate(nodes):
        groups[(node >= 0).tobytes()].append(k)
    return [np.array(g) for g in groups.values()]


def _on_a_line(R: np.ndarray, h: np.ndarray, E: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Feasibility of ``{alpha : R alpha <= h, E alpha = r}`` with ``E`` of rank ``n - 1``
    (stacked): on the line ``alpha_0 + z v`` the constraints bound ``z`` to an interval."""
    _, _, Vh = np.linalg.svd(E)
    v = Vh[:, -1, :]
    alpha0 = (np.linalg.pinv(E) @ r[..., None])[..., 0]
    g = np.einsum("bmn,bn->bm", R, v)
    b = h - np.einsum("bmn,bn->bm", R, alpha0)
    scale = np.maximum(np.abs(g), 1e-300)
    up = np.where(g > 1e-12, b / scale, np.inf).min(axis=1, initial=np.inf)
    low = np.where(g < -1e-12, -b / scale, -np.inf).max(axis=1, initial=-np.inf)
    flat = np.where(np.abs(g) <= 1e-12, b, np.inf).min(axis=1, initial=np.inf)
    return (low <= up + 1e-7) & (flat >= -1e-7)


def _enumerate(
    A: tuple[Support, ...], w: tuple[np.ndarray, ...], deadline: float | None
) -> tuple[list[MixedCell], int] | None:
    """Mixed cells by the dynamic enumeration tree, level by level (batched tests per level)."""
    n = len(A)
    tree = _Tree(A, w, deadline)
    if any(not E for E in tree.edges):
        return [], tree.lps  # a support of one point: no mixed cell, mixed volume 0
    if n == 1:
        return [_cell(tree, np.array([e]), A) for e in range(len(tree.edges[0]))], tree.lps
    _check_deadline(deadline)
    tree.pair_table()
    first = int(np.argmin([len(E) for E in tree.edges]))
    nodes = np.full((len(tree.edges[first]), n), -1, dtype=np.int64)
    nodes[:, first] = np.arange(len(tree.edges[first]))
    for level in range(1, n):
        _check_deadline(deadline)
        nodes = tree.extend(nodes)  # level + 1 edges each; pairs are compatible by the table
        if not len(nodes):
            return [], tree.lps
        keep = np.zeros(len(nodes), bool)
        for idx in _by_pattern(nodes):
            R, h, E, r = tree.stacked(nodes[idx])
            # dependent edge directions span a lower-dimensional cell: not mixed
            full = np.linalg.matrix_rank(E) == level + 1
            idx, R, h, E, r = idx[full], R[full], h[full], E[full], r[full]
            if not idx.size:
                continue
            d = n - level - 1  # dimension of the polyhedron of normals
            if d == 0:
                alpha = np.linalg.solve(E, r[..., None])[..., 0]
                low = (h - np.einsum("bmn,bn->bm", R, alpha)).min(axis=1, initial=1.0)
                if np.any((low >= -TOL) & (low < TOL)):
                    return None  # a third point on a cell's face: the lifting is not generic
                keep[idx] = low >= TOL
            elif d == 1:
                keep[idx] = _on_a_line(R, h, E, r)
            elif level == 1:
                keep[idx] = True  # the pair table tested these
            else:
                problems = [(R[k], h[k], E[k], r[k]) for k in range(len(idx))]
                keep[idx] = _feasible_batch(problems, deadline)
                tree.lps += len(idx)
        nodes = nodes[keep]
    return [_cell(tree, node, A) for node in nodes], tree.lps


def _cell(tree: _Tree, node: np.ndarray, A: tuple[Support, ...]) -> MixedCell:
    _, _, E, r = tree.problem(node)
    alpha = np.linalg.solve(E, r)
    edges = tuple(tree.edges[i][int(e)] for i, e in enumerate(node))
    return MixedCell(edges, alpha, round(abs(float(np.linalg.det(E)))))


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
        w = tuple(rng.integers(0, LIFTING, size=len(s)).astype(float) for s in A)
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
