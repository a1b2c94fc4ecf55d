"""Mixed cells and mixed volume of ``n`` supports in ``Z^n`` (Huber & Sturmfels 1995).

Lift every point ``a`` of ``A_i`` to ``(a, w(a))`` with a random real ``w``; a *mixed cell* is
one edge ``{a_i, b_i}`` of each ``A_i`` with a common inner normal ``(alpha, 1)``: for every ``i``,
``<a_i, alpha> + w(a_i) = <b_i, alpha> + w(b_i) <= <c, alpha> + w(c)`` for all ``c`` in ``A_i``.
Then ``MV = sum over mixed cells |det(b_i - a_i)|``.

The cells are enumerated as a tree of partial cells (one edge of some supports), level by level,
with the dynamic enumeration of DEMiCs (Mizutani, Takeda & Kojima 2007): each node branches on
the support with the fewest edges compatible with its chosen ones (a table of edge pairs with a
common normal, one linear program per pair), not on a fixed order. A node is kept when its
normals form a non-empty polyhedron: the simplex method on its Farkas dual, all of a level's
programs at once on dense numpy tableaux, while it has dimension at least 2, a closed form on the
line (dimension 1) and at the cells themselves (dimension 0).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.optimize import linprog

from ..errors import BudgetExceededError, PolynomialSystemError

Support = np.ndarray  # (m, n) integer exponent vectors
#: ``(R, h, E, r)``: the polyhedron ``{alpha : R alpha <= h, E alpha = r}``.
Problem = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Edge = tuple[int, int]

#: Liftings are uniform random numbers in ``[0, LIFTING)``.
LIFTING = 2**10

#: Slack below which a normal counts as lying on a constraint (feasibility and genericity).
TOL = 1e-9
#: A cell whose normal puts another point of a support less than this above the cell's edge
#: (in units of the lifting) makes the draw be redrawn: the polyhedral homotopy divides the powers
#: of ``t`` by the smallest, so a near tie would make the others huge. An integer lifting's gaps
#: are multiples of 1/volume of the cell, 1/20 for a cell of volume 20.
GAP = 0.05


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


#: Numbers per chunk of a stacked feasibility test: a chunk's arrays stay in cache (a pivot on
#: 4096 tableaux of 7 x 100 took twice as long per tableau as on 1024), memory stays bounded and
#: a deadline is checked between chunks.
CHUNK = 2**20

#: Slack (in units of the lifting) within which a point counts as feasible.
FEAS = 1e-7

#: Smallest pivot of the simplex method, and the iterations after which it switches from
#: Dantzig's rule to Bland's (which cannot cycle).
PIVOT = 1e-9
BLAND = 30
MAX_PIVOTS = 500


def _reduce(R: np.ndarray, h: np.ndarray, E: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, ...]:
    """Eliminate ``E alpha = r`` (stacked): ``G z <= b`` in the free coordinates ``z`` of
    ``alpha``. Returns ``full`` (``E`` has full row rank), ``G`` and ``b``.

    Gauss-Jordan elimination, one pivot column per row (the largest entry), vectorized over the
    problems: a LAPACK call per matrix costs more than these few-by-eleven matrices.
    """
    B, q, n = E.shape
    M = np.concatenate([E, r[..., None]], axis=2)
    piv = np.zeros((B, q), dtype=np.int64)
    full = np.ones(B, bool)
    ar = np.arange(B)
    for k in range(q):
        col = np.abs(M[:, k, :n]).argmax(axis=1)
        p = M[ar, k, col]
        full &= np.abs(p) > 1e-9
        M[:, k, :] /= np.where(full, p, 1.0)[:, None]
        factor = M[ar, :, col]
        factor[:, k] = 0.0
        M -= factor[:, :, None] * M[:, k, None, :]
        piv[:, k] = col
    piv[~full] = np.arange(q)  # garbage where dependent, but distinct columns
    free = np.ones((B, n), bool)
    free[ar[:, None], piv] = False
    fcol = np.nonzero(free)[1].reshape(B, n - q)
    # alpha = alpha0 + N z: z the free coordinates, the pivot ones solved for
    N = np.zeros((B, n, n - q))
    N[ar[:, None], fcol, np.arange(n - q)] = 1.0
    N[ar[:, None], piv, :] = -M[ar[:, None, None], np.arange(q)[:, None], fcol[:, None, :]]
    alpha0 = np.zeros((B, n))
    alpha0[ar[:, None], piv] = M[:, :, n]
    G = R @ N
    b = h - (R @ alpha0[..., None])[..., 0]
    return full, G, b


def _nonempty(problems: Problem) -> np.ndarray:
    """Which ``{alpha : R alpha <= h, E alpha = r}`` (stacked ``(R, h, E, r)``) are non-empty
    with ``E`` of full row rank: a closed form on points and lines, the simplex method above."""
    full, G, b = _reduce(*problems)
    if G.shape[2] == 0:
        return full & (b.min(axis=1, initial=np.inf) >= -FEAS)
    if G.shape[2] == 1:
        return full & _on_a_line(G[:, :, 0], b)
    ok = np.zeros(len(full), bool)
    ok[full] = _simplex(G[full], b[full])
    return ok


def _on_a_line(g: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which ``{z in R : g z <= b}`` (stacked) are non-empty: ``z`` lies in an interval."""
    scale = np.where(np.abs(g) > 1e-12, np.abs(g), 1.0)
    up = np.where(g > 1e-12, b / scale, np.inf).min(axis=1, initial=np.inf)
    low = np.where(g < -1e-12, -b / scale, -np.inf).max(axis=1, initial=-np.inf)
    flat = np.where(np.abs(g) <= 1e-12, b, np.inf).min(axis=1, initial=np.inf)
    return (low <= up + FEAS) & (flat >= -FEAS)


def _pivot(T: np.ndarray, basis: np.ndarray, row: np.ndarray, col: np.ndarray) -> None:
    ar = np.arange(len(T))
    prow = T[ar, row, :] / T[ar, row, col][:, None]
    np.subtract(T, np.einsum("bk,bj->bkj", T[ar, :, col], prow), out=T)
    T[ar, row, :] = prow
    basis[ar, row] = col


def _simplex(G: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which ``{z : G z <= b}`` (stacked, ``z`` free) are non-empty.

    By Farkas' lemma exactly when ``min b^T y`` over ``y >= 0``, ``G^T y = 0``, ``1^T y <= 1`` is
    0: the simplex method on that dual program, all problems at once on dense tableaux of
    ``d + 2`` rows (``d`` the dimension, a few) by ``m + 2`` columns (``m`` the constraints, a
    few dozen). A problem stops as soon as ``b^T y`` is negative: most of the tree's programs are
    infeasible. Small tableaux in numpy beat a solver's set-up per program.
    """
    out = b.min(axis=1, initial=np.inf) >= -FEAS  # z = 0 is feasible
    ids = np.nonzero(~out)[0]
    if not ids.size:
        return out
    B, m, d = len(ids), G.shape[1], G.shape[2]
    T = np.zeros((B, d + 2, m + 2))
    T[:, :d, :m], T[:, d, :], T[:, d + 1, :m] = np.swapaxes(G[ids], 1, 2), 1.0, b[ids]
    basis = np.full((B, d + 1), m + 1)  # m + 1: no variable (a redundant row of G^T y = 0)
    basis[:, d] = m
    for k in range(d):  # a basis of G^T y = 0, all at y = 0: feasible
        col = np.abs(T[:, k, :m]).argmax(axis=1)
        skip = np.abs(T[np.arange(B), k, col]) <= PIVOT
        _pivot(T, basis, np.where(skip, d, k), np.where(skip, basis[:, d], col))
    active = np.ones(B, bool)
    for it in range(MAX_PIVOTS):
        if active.mean() < 0.5:  # drop the finished problems (else they pivot in place)
            T, basis, ids, active = T[active], basis[active], ids[active], active[active]
        cost = T[:, d + 1, : m + 1]
        enter = cost < -PIVOT
        no = T[:, d + 1, -1] > FEAS  # b^T y < 0 at the current vertex: a Farkas certificate
        yes = ~enter.any(axis=1) & ~no
        out[ids[yes & active]] = True
        active &= ~(yes | no)
        col = np.argmin(cost, axis=1) if it < BLAND else np.argmax(enter, axis=1)
        a = T[np.arange(len(T)), : d + 1, col]
        rhs = np.maximum(T[:, : d + 1, -1], 0.0)
        ok = a > PIVOT
        ratio = np.where(ok, rhs / np.where(ok, a, 1.0), np.inf)
        low = ratio.min(axis=1)  # finite: 1^T y <= 1 bounds every direction
        stuck = active & ~np.isfinite(low)
        if stuck.any():  # pragma: no cover - rounding only
            out[ids[stuck]] = _linprog(G[ids[stuck]], b[ids[stuck]])
            active &= ~stuck
        if not active.any():
            return out
        tie = ratio <= low[:, None] * (1 + 1e-12) + 1e-15
        row = np.argmin(np.where(tie, basis, m + 2), axis=1)
        # a finished problem pivots on the basic variable of its last row: a no-op
        _pivot(T, basis, np.where(active, row, d), np.where(active, col, basis[:, d]))
    out[ids[active]] = _linprog(G[ids[active]], b[ids[active]])  # pragma: no cover
    return out


def _linprog(G: np.ndarray, b: np.ndarray) -> np.ndarray:  # pragma: no cover - fallback
    """One HiGHS program per problem: ``min s``, ``G z - s <= b``, ``s >= 0``."""
    out = np.zeros(len(G), bool)
    for k in range(len(G)):
        m, d = G[k].shape
        res = linprog(
            np.r_[np.zeros(d), 1.0],
            A_ub=np.hstack([G[k], -np.ones((m, 1))]),
            b_ub=b[k],
            bounds=[(None, None)] * d + [(0, None)],
            method="highs",
        )
        out[k] = res.status == 0 and res.x[-1] <= FEAS
    return out


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceededError(
            "the time budget ran out while enumerating mixed cells. Fix: raise time_limit, or "
            "use start='total-degree'"
        )


def _edge_constraints(A: Support, w: np.ndarray, pairs: np.ndarray) -> Problem:
    """Edges ``{a, b}`` of ``A`` lowest for ``(alpha, 1)``, stacked over ``pairs``: for the
    other points ``c``, ``<a - c, alpha> <= w(c) - w(a)``; ``<b - a, alpha> = w(a) - w(b)``."""
    k, m = len(pairs), len(A)
    other = np.ones((k, m), bool)
    other[np.arange(k), pairs[:, 0]] = other[np.arange(k), pairs[:, 1]] = False
    rest = np.nonzero(other)[1].reshape(k, m - 2)
    a, b = pairs[:, 0], pairs[:, 1]
    R = (A[a][:, None, :] - A[rest]).astype(float)
    h = w[rest] - w[a][:, None]
    return R, h, (A[b] - A[a]).astype(float)[:, None, :], (w[a] - w[b])[:, None]


Pattern = tuple[int, ...]


class _Tree:
    """The supports' lower edges, their constraints and the table of compatible edge pairs."""

    def __init__(self, A: tuple[Support, ...], w: tuple[np.ndarray, ...], deadline: float | None):
        self.n, self.deadline, self.lps = len(A), deadline, 0
        # Lower edges of each lifted support on its own: only these can be part of a mixed cell.
        self.edges: list[np.ndarray] = []
        # per support, over its lower edges: [R | h] and [E | r], one gather each per node
        self.cons: list[tuple[np.ndarray, np.ndarray]] = []
        for Ai, wi in zip(A, w, strict=True):
            pairs = np.array(list(combinations(range(len(Ai)), 2)), dtype=np.int64).reshape(-1, 2)
            cons = _edge_constraints(Ai, wi, pairs)
            ok = _nonempty(cons) if len(pairs) else np.zeros(0, bool)
            self.lps += len(pairs)
            self.edges.append(pairs[ok])
            R, h, E, r = (c[ok] for c in cons)
            self.cons.append(
                (np.concatenate([R, h[..., None]], 2), np.concatenate([E, r[..., None]], 2))
            )
        self.compat: dict[tuple[int, int], np.ndarray] = {}

    def pair_table(self) -> None:
        """``compat[i, j][e, f]``: edge ``e`` of ``A_i`` and ``f`` of ``A_j`` share a normal."""
        n = self.n
        for i, j in combinations(range(n), 2):
            ki, kj = len(self.edges[i]), len(self.edges[j])
            e, f = np.divmod(np.arange(ki * kj), kj)
            u, v = self.cons[i][1][e, 0, :n], self.cons[j][1][f, 0, :n]
            # parallel edges span no 2-dimensional cell (Cauchy-Schwarz, exact in integers)
            indep = (u * v).sum(1) ** 2 != (u * u).sum(1) * (v * v).sum(1)
            nodes = np.full((int(indep.sum()), n), -1, dtype=np.int64)
            nodes[:, i], nodes[:, j] = e[indep], f[indep]
            table = np.zeros((ki, kj), bool)
            table[e[indep], f[indep]] = self.feasible(nodes, (i, j))
            self.lps += len(nodes)
            self.compat[i, j], self.compat[j, i] = table, table.T

    def extend(self, nodes: np.ndarray, P: Pattern) -> list[tuple[np.ndarray, Pattern]]:
        """Children of ``nodes`` (rows: an edge index per support, -1 where none is chosen), all
        choosing the supports ``P``, grouped by the supports their children choose.

        Each node branches on the unchosen support with the fewest edges compatible with all of
        its chosen ones (dynamic enumeration): every cell below the node uses one of them.
        """
        free = [j for j in range(self.n) if j not in P]
        masks = []
        for j in free:
            mask = np.ones((len(nodes), len(self.edges[j])), bool)
            for i in P:
                mask &= self.compat[i, j][nodes[:, i]]
            masks.append(mask)
        best = np.argmin([mask.sum(axis=1) for mask in masks], axis=0)
        out = []
        for t, j in enumerate(free):
            parent, f = np.nonzero(masks[t] & (best == t)[:, None])
            if len(parent):
                child = nodes[parent]
                child[:, j] = f
                out.append((child, tuple(sorted((*P, j)))))
        return out

    def feasible(self, nodes: np.ndarray, P: Pattern) -> np.ndarray:
        """Which ``nodes`` (choosing the supports ``P``) have a common normal, in chunks."""
        out = np.zeros(len(nodes), bool)
        for chunk in self.chunks(len(nodes), P):
            _check_deadline(self.deadline)
            out[chunk] = _nonempty(self.stacked(nodes[chunk], P))
        return out

    def chunks(self, count: int, P: Pattern) -> list[slice]:
        rows = sum(len(self.cons[i][0][0]) for i in P) + len(P)
        step = max(256, CHUNK // (rows * (self.n + 1)))
        return [slice(lo, lo + step) for lo in range(0, count, step)]

    def lowest(self, nodes: np.ndarray) -> np.ndarray:
        """For full ``nodes`` (an edge of every support), how far above its cell's edge the next
        point of a support is, at the cell's normal (negative: not a cell; -inf: no normal)."""
        out, P = np.full(len(nodes), -np.inf), tuple(range(self.n))
        for chunk in self.chunks(len(nodes), P):
            full, _, b = _reduce(*self.stacked(nodes[chunk], P))
            out[chunk] = np.where(full, b.min(axis=1, initial=np.inf), -np.inf)
        return out

    def stacked(self, nodes: np.ndarray, P: Pattern) -> Problem:
        """The problems of ``nodes`` that choose the supports ``P``, as stacked arrays."""
        n = self.n
        Rh = np.concatenate([self.cons[i][0][nodes[:, i]] for i in P], axis=1)
        Er = np.concatenate([self.cons[i][1][nodes[:, i]] for i in P], axis=1)
        return Rh[..., :n], Rh[..., n], Er[..., :n], Er[..., n]


def _grouped(children: list[tuple[np.ndarray, Pattern]]) -> dict[Pattern, np.ndarray]:
    groups: dict[Pattern, list[np.ndarray]] = defaultdict(list)
    for nodes, P in children:
        groups[P].append(nodes)
    return {P: np.concatenate(g) for P, g in groups.items()}


def _enumerate(
    A: tuple[Support, ...], w: tuple[np.ndarray, ...], deadline: float | None
) -> tuple[list[MixedCell], int] | None:
    """Mixed cells by the dynamic enumeration tree, level by level (batched tests per level)."""
    n = len(A)
    if any(len(Ai) < 2 for Ai in A):
        return [], 0  # a support of one point: no mixed cell, mixed volume 0
    tree = _Tree(A, w, deadline)
    _check_deadline(deadline)
    tree.pair_table()
    first = int(np.argmin([len(E) for E in tree.edges]))
    nodes = np.full((len(tree.edges[first]), n), -1, dtype=np.int64)
    nodes[:, first] = np.arange(len(tree.edges[first]))
    level: dict[Pattern, np.ndarray] = {(first,): nodes}
    for depth in range(1, n):
        _check_deadline(deadline)
        children = [c for P, g in level.items() for c in tree.extend(g, P)]
        level = {}
        for P, g in _grouped(children).items():
            if depth == 1 and depth < n - 1:
                level[P] = g  # the pair table tested these
                continue
            if depth < n - 1:  # dependent directions (not a mixed cell) fail the test too
                level[P] = g[tree.feasible(g, P)]
                tree.lps += len(g) if depth < n - 2 else 0
                continue
            low = tree.lowest(g)
            if np.any((low > -TOL) & (low < GAP)):
                return None  # a third point on a cell's face: the lifting is not generic
            level[P] = g[low >= GAP]
    cells = next(iter(level.values()), np.zeros((0, n), dtype=np.int64))
    return [_cell(tree, node) for node in cells], tree.lps


def _cell(tree: _Tree, node: np.ndarray) -> MixedCell:
    _, _, E, r = tree.stacked(node[None, :], tuple(range(tree.n)))
    alpha = np.linalg.solve(E[0], r[0])
    edges = tuple((int(tree.edges[i][e][0]), int(tree.edges[i][e][1])) for i, e in enumerate(node))
    return MixedCell(edges, alpha, round(abs(float(np.linalg.det(E[0])))))


def mixed_cells(
    supports: Sequence[np.ndarray],
    *,
    seed: int = 0,
    deadline: float | None = None,
    tries: int = 5,
) -> Subdivision:
    """Mixed cells of a random regular mixed subdivision of ``supports`` (``n`` sets in ``Z^n``).

    The lifting is uniform random numbers in ``[0, 2^10)``: real numbers, not integers, so that no
    cell's normal makes a third point of a support lowest too (integers tied on a third of the
    cyclic-7 draws and most katsura-8 ones, and each tie cost a whole enumeration). A draw with a
    near tie (a point less than ``GAP`` above a cell's edge, which would make the powers of ``t``
    in the polyhedral homotopy large) is redrawn, up to ``tries`` times.

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
        w = tuple(rng.uniform(0, LIFTING, size=len(s)) for s in A)
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
