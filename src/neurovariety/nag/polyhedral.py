"""Polyhedral start systems (Huber & Sturmfels 1995): binomial systems of the mixed cells.

A square system with supports ``A_1, ..., A_n`` (finite sets of exponent vectors) has at most
``MV(A_1, ..., A_n)`` isolated solutions in the torus ``(C*)^n``, and exactly that many when its
coefficients are generic (Bernstein 1975). With the origin added to every support the mixed volume
bounds the isolated solutions in all of ``C^n`` (Li & Wang 1996): that is what ``solve`` uses.
The mixed cells come from :mod:`.mixed_cells`; each gives a binomial start system whose
solutions are found exactly (Hermite normal form), and the cell homotopies carry them to a
random-coefficient system with the same supports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PolynomialSystemError
from .homotopy import coefficient_family
from .mixed_cells import MixedCell as MixedCell
from .mixed_cells import Subdivision, Support, mixed_cells
from .mixed_cells import mixed_volume as mixed_volume
from .system import System, _from_polys

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


def support_family(
    system: System, supports: tuple[Support, ...], p: np.ndarray
) -> tuple[System, np.ndarray]:
    """The family of all systems with these supports, and ``system``'s point in it at ``p``.

    One parameter per term: equation ``i`` is ``sum_k c_k x^{a_k}`` over the terms of
    ``supports[i]`` (in order, so the parameters are the supports concatenated); the point is the
    system's own coefficients at parameters ``p``, each equation scaled to unit largest
    coefficient (scale-free tolerances).
    """
    n = system.n_variables
    assert system.polynomials is not None  # system_supports refused callables
    terms = [(i, tuple(int(v) for v in a)) for i, A in enumerate(supports) for a in A]
    index = {term: k for k, term in enumerate(terms)}
    target = np.zeros(len(terms), complex)
    for i, poly in enumerate(system.polynomials):
        for e, c in poly.items():
            target[index[(i, e[:n])]] += c * np.prod(p ** np.asarray(e[n:]))
    equation = np.array([i for i, _ in terms])
    for i in range(n):
        top = np.max(np.abs(target[equation == i]))
        if top == 0:
            raise PolynomialSystemError(
                f"equation {i + 1} vanishes at these parameter values. Fix: check the parameters"
            )
        target[equation == i] /= top
    polys: list[dict[tuple[int, ...], complex]] = [{} for _ in range(n)]
    for k, (i, a) in enumerate(terms):
        polys[i][a + tuple(int(k == j) for j in range(len(terms)))] = 1.0 + 0j
    names = tuple(f"c{k}" for k in range(len(terms)))
    return _from_polys(system.variables, names, polys, list(range(1, n + 1))), target


def polyhedral_start(
    system: System, p: np.ndarray, rng: np.random.Generator, *, deadline: float | None = None
) -> PolyhedralStart:
    """Mixed cells, start solutions and the coefficient family of ``system`` at parameters ``p``.

    Start coefficients are random on the unit circle: generic (the unit torus is Zariski dense)
    and every binomial start solution then lies on the unit torus too.
    """
    S = mixed_cells(system_supports(system), seed=int(rng.integers(2**31)), deadline=deadline)
    n = system.n_variables
    family, target = support_family(system, S.supports, p)
    E = np.concatenate(S.supports).astype(np.int64)
    equation = np.repeat(np.arange(n), [len(A) for A in S.supports])
    T = len(E)
    start = np.exp(2j * np.pi * rng.uniform(size=T))
    degrees = np.array(family.degrees)
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
