"""Dense linear algebra over GF(p): ranks, rank profiles, kernels and products modulo p.

For primes below ``2**26`` the float64-BLAS engine (the FFLAS-FFPACK technique: exact integers
in float64, exact BLAS products, :mod:`.blas_field`; recursive elimination, :mod:`.elimination`);
:func:`rank_mod` and :func:`nullspace_mod` hand other primes, and small matrices, to FLINT's
``nmod_mat``. Every answer is exact, never probabilistic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import FieldError
from .blas_field import (
    LIMIT,
    Field,
    FloatArray,
    Workspace,
    center_canonical,
    gemm_sub,
    reduce_inplace,
    trsm_lower_unit,
)
from .elimination import Elimination
from .primes import MAX_BLAS_PRIME, MAX_WORD_PRIME, check_prime

__all__ = [
    "BLAS_FAST_PRIME",
    "FLINT_CROSSOVER",
    "column_rank_profile_mod_p",
    "matmul_mod",
    "nullspace_mod",
    "nullspace_mod_p",
    "rank_mod",
    "rank_mod_p",
    "reduce_mod",
]

#: Matrices with ``min(m, n)`` below this use FLINT's ``nmod_mat.rank`` in :func:`rank_mod`
#: (measured crossover on 2 cores, numpy-to-FLINT conversion included; see ``docs/exact.md``).
FLINT_CROSSOVER = 128
#: :func:`rank_mod` uses the BLAS engine only for primes below this: above it the exact-product
#: chunks get short (``k0 < 128``) and FLINT is as fast or faster.
BLAS_FAST_PRIME = 2**24


# --------------------------------------------------------------------------------------------
# input handling


def _check_blas_prime(p: int) -> int:
    q = check_prime(p, bound=MAX_WORD_PRIME)
    if q >= MAX_BLAS_PRIME:
        raise FieldError(
            f"p={q} is too large for the float64-BLAS engine (needs p < 2**26); "
            "use rank_mod, which hands large primes to FLINT, or pick a prime below 2**26."
        )
    return q


def _as_matrix(a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise FieldError(
            f"expected a 2-d matrix, got an array of shape {arr.shape}; reshape it to (m, n)."
        )
    return arr


def reduce_mod(a: Any, p: int) -> npt.NDArray[np.int64]:
    """Return the canonical residues of an integer matrix modulo ``p`` as int64 in ``[0, p)``.

    Parameters
    ----------
    a : array_like
        2-d integer matrix: an integer numpy array, a float array with integral values, or an
        object array / nested list of Python ints (any size).
    p : int
        Modulus, ``2 <= p < 2**63``.

    Raises
    ------
    FieldError
        If ``a`` is not 2-d, holds non-integral or non-finite values, or ``p`` is invalid.

    Examples
    --------
    >>> reduce_mod([[-1, 7], [2**70, 3]], 7).tolist()
    [[6, 0], [2, 3]]
    """
    p = check_prime(p, bound=MAX_WORD_PRIME)
    arr = _as_matrix(a)
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.dtype.itemsize == 8:
            return np.mod(arr, np.uint64(p)).astype(np.int64)
        return np.mod(arr.astype(np.int64, copy=False), p)
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.floor(arr)):
            raise FieldError(
                "the matrix has non-integral or non-finite float entries; exact arithmetic mod p "
                "needs integers (scale rationals to integers, or map them to GF(p) first)."
            )
        if p < 2**53:
            return np.mod(arr.astype(np.float64, copy=False), float(p)).astype(np.int64)
        arr = arr.astype(object)
    if arr.dtype == object:
        try:
            flat = [int(x) % p for x in arr.ravel()]
        except (TypeError, ValueError) as exc:
            raise FieldError(
                f"the matrix has an entry that is not an integer ({exc}); pass integer entries."
            ) from None
        return np.array(flat, dtype=np.int64).reshape(arr.shape)
    raise FieldError(f"unsupported matrix dtype {arr.dtype}; pass integers.")


def _to_working(a: Any, p: int) -> FloatArray:
    """Centered float64 copy (C-contiguous) of ``a mod p``, converted in cache-sized row blocks."""
    arr = _as_matrix(a)
    if arr.dtype.kind not in "iuf" or (arr.dtype.kind == "u" and arr.dtype.itemsize == 8):
        arr = reduce_mod(arr, p)  # object, bool, uint64: canonical int64 first
    f = Field.of(p)
    m, n = arr.shape
    w = np.empty((m, n))
    is_float = arr.dtype.kind == "f"
    big = 2**53 - 2**30
    rows = max(1, (1 << 16) // max(1, n))
    for i in range(0, m, rows):
        src = arr[i : i + rows]
        blk = w[i : i + rows]
        if not is_float and src.size and (int(src.max()) > big or int(src.min()) < -big):
            src = np.mod(src.astype(np.int64), p)
        blk[...] = src
        if is_float:
            if not np.isfinite(blk).all() or (np.rint(blk) != blk).any():
                raise FieldError(
                    "the matrix has non-integral or non-finite float entries; exact arithmetic "
                    "mod p needs integers (scale rationals to integers, or map them to GF(p) "
                    "first)."
                )
            if blk.size and float(np.abs(blk).max()) > LIMIT:
                np.fmod(blk, f.pf, out=blk)  # exact
        reduce_inplace(blk, f)
    return w


# --------------------------------------------------------------------------------------------
# public API


def matmul_mod(a: Any, b: Any, p: int) -> FloatArray:
    """Exact product ``a @ b`` modulo a prime ``p < 2**26`` on float64 BLAS.

    Parameters
    ----------
    a, b : array_like
        Integer matrices of shapes ``(m, k)`` and ``(k, n)`` (int or integral float; any
        representatives, they are reduced mod ``p`` first).
    p : int
        Prime modulus below ``2**26``.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(m, n)`` with entries in ``[0, p)``, exactly ``a @ b mod p``.

    Raises
    ------
    FieldError
        If ``p`` is not a prime below ``2**26`` or the shapes do not match.

    Notes
    -----
    Operands are centered (``|x| <= p//2``) and the inner dimension is split into chunks of
    ``k0 = floor((2**53 - 2**30) / (p//2 + 4)**2)`` with a reduction after each, so no partial
    sum leaves the range where float64 integers are exact. For ``p < 2**21``, ``k0 > 8000``.

    Examples
    --------
    >>> matmul_mod([[1, 2], [3, 4]], [[5, 6], [7, 8]], 11).astype(int).tolist()
    [[8, 0], [10, 6]]
    """
    p = _check_blas_prime(p)
    f = Field.of(p)
    wa, wb = _to_working(a, p), _to_working(b, p)
    if wa.shape[1] != wb.shape[0]:
        raise FieldError(f"matmul_mod: shapes {wa.shape} and {wb.shape} do not match.")
    out = np.zeros((wa.shape[0], wb.shape[1]))
    gemm_sub(out, 0.0, wa, -wb, f, Workspace())
    reduce_inplace(out, f)
    np.mod(out, float(p), out=out)
    return out


def _profile(a: Any, p: int) -> tuple[list[int], FloatArray]:
    p = _check_blas_prime(p)
    w = _to_working(a, p)
    if w.size == 0:
        return [], w
    return Elimination(w, Field.of(p)).run(), w


def column_rank_profile_mod_p(a: Any, p: int) -> list[int]:
    """Column rank profile of ``a`` over GF(p), ``p < 2**26``, on the float64-BLAS engine.

    Parameters
    ----------
    a : array_like
        2-d integer matrix (any representatives; reduced mod ``p`` first).
    p : int
        Prime below ``2**26``.

    Returns
    -------
    list of int
        The lexicographically first set of linearly independent columns (the pivot columns of
        the row echelon form), increasing; its length is the rank.

    Examples
    --------
    >>> column_rank_profile_mod_p([[1, 2, 0, 1], [2, 4, 0, 3]], 101)
    [0, 3]
    """
    return _profile(a, p)[0]


def rank_mod_p(a: Any, p: int) -> int:
    """Exact rank of an integer matrix over GF(p), ``p < 2**26``, on the float64-BLAS engine.

    Parameters
    ----------
    a : array_like
        2-d integer matrix of any shape (int array, integral float array, nested lists); it is
        reduced mod ``p`` first.
    p : int
        Prime below ``2**26``. Primes near ``2**20``..``2**23`` are fastest (one BLAS call per
        block); larger ones still give exact results with chunked products.

    Returns
    -------
    int
        The rank over GF(p); always exact (never probabilistic).

    Raises
    ------
    FieldError
        If ``p`` is not a prime below ``2**26`` or the input is not an integer matrix.

    Examples
    --------
    >>> rank_mod_p([[1, 2, 3], [2, 4, 6], [1, 0, 1]], 7)
    2
    >>> rank_mod_p([[1, 1], [1, 8]], 7)
    1
    """
    arr = _as_matrix(a)
    if arr.shape[1] > arr.shape[0]:
        arr = arr.T  # fewer, taller column panels
    return len(_profile(arr, p)[0])


def _flint_mat(a: Any, p: int) -> Any:
    import flint

    r = reduce_mod(a, p)
    return flint.nmod_mat(r.shape[0], r.shape[1], r.ravel().tolist(), p)


def rank_mod(a: Any, p: int) -> int:
    """Exact rank over GF(p) for any word-size prime, choosing the fastest engine.

    FLINT's ``nmod_mat.rank`` is used when ``p >= BLAS_FAST_PRIME`` (``2**24``) or when
    ``min(m, n) < FLINT_CROSSOVER`` (128); otherwise the float64-BLAS engine :func:`rank_mod_p`
    (for n ~ 6000 about 10x faster than FLINT with p ~ 2**20).

    Parameters
    ----------
    a : array_like
        2-d integer matrix; reduced mod ``p`` first.
    p : int
        Prime, ``p < 2**63``.

    Returns
    -------
    int
        The rank over GF(p) (exact).

    Examples
    --------
    >>> rank_mod([[1, 2], [3, 4]], 2), rank_mod([[1, 2], [3, 4]], 2**61 - 1)
    (1, 2)
    """
    p = check_prime(p, bound=MAX_WORD_PRIME)
    arr = _as_matrix(a)
    if min(arr.shape) == 0:
        return 0
    if p >= BLAS_FAST_PRIME or min(arr.shape) < FLINT_CROSSOVER:
        return int(_flint_mat(arr, p).rank())
    return rank_mod_p(arr, p)


def nullspace_mod_p(a: Any, p: int) -> npt.NDArray[np.int64]:
    """Basis of the right kernel ``{x : a x = 0}`` over GF(p), ``p < 2**26``, on BLAS.

    Parameters
    ----------
    a : array_like
        2-d integer matrix of shape ``(m, n)``.
    p : int
        Prime below ``2**26``.

    Returns
    -------
    numpy.ndarray
        int64 array of shape ``(n, n - rank)``, entries in ``[0, p)``; its columns are a basis
        of the kernel, in reduced form: the rows at the free (non-pivot) columns form the
        identity matrix.

    Examples
    --------
    >>> nullspace_mod_p([[1, 2, 3], [2, 4, 6]], 7).T.tolist()
    [[5, 1, 0], [4, 0, 1]]
    """
    p = _check_blas_prime(p)
    arr = _as_matrix(a)
    n = arr.shape[1]
    piv, w = _profile(arr, p)
    f = Field.of(p)
    r = len(piv)
    free = np.setdiff1d(np.arange(n), np.asarray(piv, dtype=np.int64))
    out = np.zeros((n, free.size), dtype=np.int64)
    out[free, np.arange(free.size)] = 1
    if r == 0 or free.size == 0:
        return out
    u = w[:r]
    pv = np.mod(u[np.arange(r), piv], p).astype(np.int64)
    invs = np.array([pow(int(x), -1, p) for x in pv], dtype=np.float64)
    center_canonical(invs, p)
    up = u[:, piv] * invs[:, None]  # unit upper triangular (strict lower part is ignored)
    uf = u[:, free] * invs[:, None]
    reduce_inplace(up, f)
    reduce_inplace(uf, f)
    # U_P X = U_F with U_P unit upper: reverse rows and columns to get a unit lower system.
    l_rev = np.ascontiguousarray(up[::-1, ::-1])
    b_rev = np.ascontiguousarray(uf[::-1])
    trsm_lower_unit(l_rev, b_rev, f.h, f, Workspace())
    x = np.mod(-b_rev[::-1], float(p)).astype(np.int64)
    out[np.asarray(piv, dtype=np.int64)] = x
    return out


def nullspace_mod(a: Any, p: int) -> npt.NDArray[np.int64]:
    """Right kernel basis over GF(p) for any word-size prime (FLINT for ``p >= 2**26``).

    Same output convention as :func:`nullspace_mod_p`.

    Examples
    --------
    >>> nullspace_mod([[1, 2, 3], [2, 4, 6]], 2**61 - 1).shape
    (3, 2)
    """
    p = check_prime(p, bound=MAX_WORD_PRIME)
    arr = _as_matrix(a)
    if p < MAX_BLAS_PRIME:
        return nullspace_mod_p(arr, p)
    x, nullity = _flint_mat(arr, p).nullspace()
    n = arr.shape[1]
    vals = [[int(x[i, j]) for j in range(nullity)] for i in range(n)]
    return np.array(vals, dtype=np.int64).reshape(n, nullity)
