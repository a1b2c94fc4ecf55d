"""Local dimension of an endpoint: an isolated solution (with multiplicity) or a point of a
positive-dimensional component.

**Macaulay dual spaces** (Dayton & Zeng, ISSAC 2005). The depth-``k`` dual space ``D_k`` of the
ideal at ``x*`` is the set of differential functionals ``sum_b c_b d^b / b!`` (``|b| <= k``)
evaluated at ``x*`` that vanish on every ``(x - x*)^a f_i`` with ``|a| <= k - 1``: the null
space of the Macaulay matrix ``M_k``, whose rows are the Taylor coefficients of those products at
``x*``. ``d_k = dim D_k`` grows strictly with ``k`` until it stops; it stops exactly when ``x*``
is isolated, and then ``d_k`` is its multiplicity.

**The local dimension test** of Bates, Hauenstein, Peterson & Sommese (*A numerical local
dimension test for points on the solution set of a system of polynomial equations*, SIAM J.
Numer. Anal. 47, 2009): an isolated solution of multiplicity ``mu`` is the endpoint of exactly
``mu`` paths of a total-degree (gamma trick) or coefficient-parameter homotopy. So if at most
``m`` paths can end at ``x*`` and ``x*`` were isolated, ``d_k`` would stop at most at ``m``; since
``d_k >= k + 1`` until it stops, by depth ``m`` either it has stopped (isolated, multiplicity
``d_k``) or ``d_k > m`` (not isolated). One path at a point with a singular Jacobian
(``d_1 = 1 + corank > 1``) is therefore on a positive-dimensional component.

Ranks are numerical: Taylor coefficients in ``y = rho u`` (``rho = max(1, |x*|)``), each
equation divided by a bound on its size there (:func:`equation_sizes`), singular values below
``tol`` count as zero. A point known to ``delta`` (relative) perturbs the matrix by
``O(delta)`` (Weyl), so ``tol`` (default ``1e-6``) must exceed the endpoints' error (the
endgame's estimates agree to ``1e-9``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .numerics import complex_gaussian, matrix_rank
from .system import System, _from_polys, evaluate_batch, system_from_callable

#: Relative singular value below which a Macaulay matrix's direction counts as null.
RANK_TOL = 1e-6
#: Largest Macaulay matrix (columns) the test builds; beyond it the answer is "undecided".
MAX_COLUMNS = 2000


@dataclass(frozen=True)
class LocalDimension:
    """Outcome of :func:`local_dimension` at one point.

    ``isolated``: ``True``, ``False`` or ``None`` (undecided: the Macaulay matrix needed exceeds
    ``max_columns``). ``multiplicity``: ``d_k`` where the dual space stopped growing (isolated
    points only). ``dimension``: 0 when isolated; otherwise the corank of the Jacobian, the
    dimension of the tangent space (the local dimension at a smooth point of a reduced component,
    an upper bound elsewhere). ``hilbert``: ``d_0, d_1, ...`` computed.
    """

    isolated: bool | None
    multiplicity: int | None
    dimension: int | None
    hilbert: tuple[int, ...]


def multi_indices(n: int, depth: int) -> np.ndarray:
    """All exponent vectors in ``n`` variables of total degree ``<= depth``, by degree."""
    rows = [np.zeros(n, int)]
    for k in range(1, depth + 1):
        for combo in combinations_with_replacement(range(n), k):
            rows.append(np.bincount(combo, minlength=n))
    return np.array(rows, dtype=int).reshape(-1, n)


def taylor_coefficients(system: System, x: np.ndarray, p: np.ndarray, depth: int) -> np.ndarray:
    """Taylor coefficients ``(m, len(multi_indices(n, depth)))`` of the equations at ``x``.

    Text systems are expanded exactly (binomials of each monomial, parameters substituted);
    callables by nested forward-mode derivatives divided by ``b!``.
    """
    n = system.n_variables
    B = multi_indices(n, depth)
    x = np.asarray(x, dtype=complex).reshape(n)
    if system.polynomials is not None:
        out = np.zeros((system.n_equations, B.shape[0]), complex)
        for i, poly in enumerate(system.polynomials):
            for e, c in poly.items():
                coef = complex(c) * complex(np.prod(np.asarray(p, complex) ** np.asarray(e[n:])))
                # (x_j + y_j)^e_j = sum_i C(e_j, i) x_j^(e_j - i) y_j^i, zero beyond e_j.
                U = np.zeros((n, depth + 1), complex)
                for j in range(n):
                    for k in range(min(e[j], depth) + 1):
                        U[j, k] = math.comb(e[j], k) * x[j] ** (e[j] - k)
                out[i] += coef * np.prod(U[np.arange(n)[None, :], B], axis=1)
        return out
    assert system.function is not None
    f, pj = system.function, jnp.asarray(p, dtype=complex)

    def g(y: Any) -> Any:
        return jnp.asarray(f(jnp.asarray(x) + y, pj)).reshape(-1)

    out = np.zeros((system.n_equations, B.shape[0]), complex)
    deriv = g
    y0 = jnp.zeros(n, complex)
    for k in range(depth + 1):
        T = np.asarray(deriv(y0))
        for col in np.nonzero(B.sum(axis=1) == k)[0]:
            idx = tuple(int(j) for j in np.repeat(np.arange(n), B[col]))
            fact = math.prod(math.factorial(int(b)) for b in B[col])
            out[:, col] = T.reshape(T.shape[0], -1)[:, _flat(idx, n)] / fact
        deriv = jax.jacfwd(deriv, holomorphic=True)
    return out


def equation_sizes(system: System, p: np.ndarray, rho: float) -> np.ndarray:
    """A bound on each equation's size on the polydisc of radius ``rho``: its unit.

    Text systems: ``sum |c_e| rho^|e|`` over the monomials; callables: ``rho^d_i`` over the
    system's scale (measured near the unit ball). The Macaulay matrix is measured in these
    units, not in the norm of its own (truncated) rows: a truncated row may be all rounding.
    """
    n = system.n_variables
    if system.polynomials is None:
        scale = np.asarray(system.data["scale"], dtype=float)
        return np.asarray([rho**d for d in system.degrees]) / scale
    sizes = []
    for poly in system.polynomials:
        total = 0.0
        for e, c in poly.items():
            coef = complex(c) * complex(np.prod(np.asarray(p, complex) ** np.asarray(e[n:])))
            total += abs(coef) * rho ** sum(e[:n])
        sizes.append(total)
    return np.asarray(sizes)


def _flat(idx: tuple[int, ...], n: int) -> int:
    """Position of the index ``idx`` in a C-ordered ``(n, ..., n)`` tensor, flattened."""
    pos = 0
    for j in idx:
        pos = pos * n + j
    return pos


def dual_dimensions(
    coefs: np.ndarray, B: np.ndarray, depth: int, rho: float, sizes: np.ndarray, tol: float
) -> int:
    """``dim D_depth`` from Taylor coefficients ``coefs`` over the multi-indices ``B``."""
    deg = B.sum(axis=1)
    scaled = coefs * rho ** deg[None, :] / np.maximum(sizes, 1e-300)[:, None]
    cols = B[deg <= depth]
    base = depth + 1
    key = {int(k): j for j, k in enumerate(cols @ base ** np.arange(B.shape[1]))}
    bkey = B @ base ** np.arange(B.shape[1])
    rows = []
    for a in B[deg <= depth - 1]:
        # (x - x*)^a f_i shifts the coefficients of f_i by a; keep degrees <= depth.
        keep = deg <= depth - a.sum()
        target = [key[int(k)] for k in bkey[keep] + int(a @ base ** np.arange(B.shape[1]))]
        block = np.zeros((scaled.shape[0], cols.shape[0]), complex)
        block[:, target] = scaled[:, keep]
        rows.append(block)
    M = np.concatenate(rows)
    # Absolute threshold: every equation is measured in its own unit (equation_sizes).
    rank = matrix_rank(M, 0.0, atol=tol)[0]
    return int(cols.shape[0] - rank)


def local_dimension(
    system: System,
    x: np.ndarray,
    p: np.ndarray,
    *,
    paths: int,
    tol: float = RANK_TOL,
    max_columns: int = MAX_COLUMNS,
) -> LocalDimension:
    """Is ``x`` isolated? The Bates–Hauenstein–Peterson–Sommese test with path bound ``paths``.

    ``paths`` bounds the number of homotopy paths that can end at ``x`` (those that did, plus
    any that failed): an isolated point's multiplicity cannot exceed it.

    Examples
    --------
    >>> from neurovariety.nag import parse_system
    >>> local_dimension(parse_system("(x - 2)^2"), np.array([2.0]), np.zeros(0), paths=2)
    LocalDimension(isolated=True, multiplicity=2, dimension=0, hilbert=(1, 2, 2))
    >>> F = parse_system("x*y - x\\nx^2 - 2*x")  # the line x = 0 and the point (2, 1)
    >>> local_dimension(F, np.array([0.0, 5.0]), np.zeros(0), paths=1)
    LocalDimension(isolated=False, multiplicity=None, dimension=1, hilbert=(1, 2))
    """
    n = system.n_variables
    if system.polynomials is None and system.function is None:
        # only compiled kernels (e.g. ED systems): no Taylor expansion to build the dual space
        return LocalDimension(None, None, None, ())
    x = np.asarray(x, dtype=complex).reshape(n)
    rho = max(1.0, float(np.max(np.abs(x))))
    bound = max(int(paths), 1)
    depth = 1
    while depth < bound and math.comb(n + depth + 1, n) <= max_columns:
        depth += 1
    coefs = taylor_coefficients(system, x, p, depth)
    B = multi_indices(n, depth)
    sizes = equation_sizes(system, p, rho)
    d = [1]
    for k in range(1, depth + 1):
        d.append(dual_dimensions(coefs, B, k, rho, sizes, tol))
        corank = d[1] - 1
        if d[k] == d[k - 1]:
            return LocalDimension(True, d[k], 0, tuple(d))
        if d[k] > bound:
            return LocalDimension(False, None, corank, tuple(d))
    return LocalDimension(None, None, None, tuple(d))


def newton_affine(
    system: System,
    x: np.ndarray,
    p: np.ndarray,
    *,
    iterations: int = 60,
    slices: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Newton's method on ``F(x) = 0`` for rows of ``x``; Gauss–Newton with ``slices``.

    ``slices = (A, b)`` adds the equations ``A x = b``; the step is then the least-squares step
    of the stacked system (quadratic convergence where it has a regular solution, a stall with a
    residual where it has none).
    """
    x = np.array(np.atleast_2d(x), dtype=complex)
    P = np.broadcast_to(p, (x.shape[0], np.size(p)))
    n = system.n_variables
    for _ in range(iterations):
        X = np.concatenate([np.ones((x.shape[0], 1)), x], axis=1)
        F, Jz = evaluate_batch(system, X, P)
        J = Jz[:, :, 1 : n + 1]
        if slices is not None:
            A, b = slices
            F = np.concatenate([F, x @ A.T - b], axis=1)
            J = np.concatenate([J, np.broadcast_to(A, (x.shape[0], *A.shape))], axis=1)
        step = np.zeros_like(x)
        for i in range(x.shape[0]):
            with np.errstate(all="ignore"):
                step[i] = np.linalg.lstsq(J[i], F[i], rcond=None)[0]
        good = np.all(np.isfinite(step), axis=1)
        x = np.where(good[:, None], x - step, x)
        if np.all(np.abs(step[good]) <= 1e-15 * (1 + np.abs(x[good]))):
            break
    return x


def slice_system(system: System, p: np.ndarray, A: np.ndarray) -> System:
    """``F(x; p) = 0, A x = b`` with the offsets ``b`` as parameters (``p`` substituted).

    A component of dimension ``d = A.shape[0]`` meets the slice in finitely many points (its
    witness points, Sommese–Verschelde–Wampler 2001); moving ``b`` moves them along it.
    """
    n, d = system.n_variables, A.shape[0]
    names = tuple(f"_b{i}" for i in range(d))
    if system.polynomials is not None:
        polys: list[dict[tuple[int, ...], complex]] = []
        for poly in system.polynomials:
            row: dict[tuple[int, ...], complex] = {}
            for e, c in poly.items():
                key = tuple(e[:n]) + (0,) * d
                val = complex(c) * complex(np.prod(np.asarray(p, complex) ** np.asarray(e[n:])))
                row[key] = row.get(key, 0) + val
            polys.append({k: v for k, v in row.items() if v != 0})
        for i in range(d):
            lin = {
                tuple(int(q == j) for q in range(n)) + (0,) * d: complex(A[i, j]) for j in range(n)
            }
            lin[(0,) * n + tuple(int(q == i) for q in range(d))] = -1.0 + 0j
            polys.append(lin)
        return _from_polys(system.variables, names, polys, tuple(range(1, len(polys) + 1)))
    assert system.function is not None
    f, pj, Aj = system.function, jnp.asarray(p, dtype=complex), jnp.asarray(A)

    def sliced(x: Any, b: Any) -> Any:
        return jnp.concatenate([jnp.asarray(f(x, pj)).reshape(-1), Aj @ x - b])

    return system_from_callable(
        sliced, n, n_parameters=d, degrees=system.degrees + (1,) * d, variables=system.variables
    )


def corank(system: System, x: np.ndarray, p: np.ndarray, *, tol: float = RANK_TOL) -> int:
    """``n - rank J(x)``, the rank measured as in :func:`local_dimension` (``d_1 - 1``)."""
    n = system.n_variables
    x = np.asarray(x, dtype=complex).reshape(n)
    rho = max(1.0, float(np.max(np.abs(x))))
    coefs = taylor_coefficients(system, x, p, 1)
    sizes = equation_sizes(system, p, rho)
    return dual_dimensions(coefs, multi_indices(n, 1), 1, rho, sizes, tol) - 1


def component_point(
    system: System, x: np.ndarray, p: np.ndarray, *, tries: int = 2, seed: int = 0
) -> tuple[np.ndarray, int]:
    """The local dimension at ``x`` (estimate) and a nearby point of a component that large.

    The Jacobian's corank overstates the dimension where components meet (3 at the origin of
    the three coordinate axes). Instead: ``k`` random hyperplanes through a point ``x'`` at
    distance ``1e-4`` from ``x`` meet a ``k``-dimensional component through ``x`` near ``x'``
    and miss the smaller ones; Gauss–Newton on ``F = 0`` plus the hyperplanes, from ``x'``,
    finds such a point or stalls with a residual. The largest ``k`` (up to the corank) that
    succeeds is returned, with its point (a generic point of the component, where the slice
    homotopies of ``solve`` can start).
    """
    n = system.n_variables
    x = np.asarray(x, dtype=complex).reshape(n)
    rho = max(1.0, float(np.max(np.abs(x))))
    rng = np.random.default_rng(seed)
    sizes = equation_sizes(system, p, rho)
    best: tuple[np.ndarray, int] = (x, 0)
    for k in range(1, corank(system, x, p) + 1):
        found = None
        for _ in range(tries):
            v = complex_gaussian(rng, n, standard=False)
            start = x + 1e-4 * rho * v / np.linalg.norm(v)
            A = complex_gaussian(rng, (k, n), standard=False)
            A /= np.linalg.norm(A, axis=1, keepdims=True)
            y = newton_affine(system, start, p, iterations=30, slices=(A, A @ start))[0]
            res = np.max(np.abs(taylor_coefficients(system, y, p, 0)[:, 0]) / sizes)
            if res <= 1e-10 and np.max(np.abs(y - start)) <= 1e-2 * rho:
                found = y
                break
        if found is None:
            break
        best = (found, k)
    return best
