"""Dense linear algebra over GF(p) on float64 BLAS (the FFLAS-FFPACK technique).

Entries of GF(p) are stored as exact integers in float64 arrays, in the *centered* range
``|x| <= p//2 + 4`` (the ``+ 4`` absorbs the rounding of the reduction, see :func:`_reduce`).
A product ``A @ B`` with inner dimension ``k`` of such matrices has entries of absolute value at
most ``k * h**2`` with ``h = p//2 + 4``; while this (plus the size of what it is added to) stays
below ``2**53 - 2**30`` every partial sum BLAS forms is an integer below ``2**53``, hence computed
*exactly* in float64, whatever the summation order. Inner dimensions longer than that are split
into chunks with a reduction in between. The one float operation that is not exact, the quotient
``x * (1/p)``, only chooses the multiple of ``p`` to subtract; the subtraction itself is exact, so
a reduced value is always congruent to the original one.

The rank engine is a recursive, column-splitting Gaussian elimination with row pivoting and
column skipping (Toledo's recursive LU, as in FFPACK's PLUQ): almost all of its work is
``matmul_mod`` trailing updates and recursive triangular solves; only a narrow panel (the leaf)
is eliminated column by column, with vectorised numpy. The result is exact for every input: a
pivot candidate is reduced first, and a reduced entry is zero mod p exactly when it equals 0 (for
p >= 5; tiny primes use canonical residues from ``np.mod``), so no decision is probabilistic.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import FieldError
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

FloatArray = npt.NDArray[np.float64]

# Every intermediate value is kept at most this large in absolute value; then x - p*rint(x/p)
# is computed exactly (p*q <= |x| + p/2 + 4p < 2**53).
_LIMIT = float(2**53 - 2**30)

#: Matrices with ``min(m, n)`` below this use FLINT's ``nmod_mat.rank`` in :func:`rank_mod`
#: (measured crossover on 2 cores, numpy-to-FLINT conversion included; see ``docs/exact.md``).
FLINT_CROSSOVER = 128
#: :func:`rank_mod` uses the BLAS engine only for primes below this: above it the exact-product
#: chunks get short (``k0 < 128``) and FLINT is as fast or faster.
BLAS_FAST_PRIME = 2**24

_LEAF = 16  # width of the column panel eliminated column by column
_TRSM_BASE = 32  # triangular solves below this size use an explicit inverse


@dataclasses.dataclass(frozen=True)
class _Field:
    """Constants of GF(p) in the float64 representation."""

    p: int
    pf: float  # p as float
    pinv: float  # 1/p
    h: float  # bound on |x| of reduced entries
    h2: float  # h*h: bound on one product term
    kmax: int  # longest inner dimension of one exact product added to a reduced matrix

    @classmethod
    def of(cls, p: int) -> _Field:
        h = float(p // 2 + 4)
        kmax = int((_LIMIT - h) // (h * h))
        return cls(p, float(p), 1.0 / p, h, h * h, max(1, kmax))


# --------------------------------------------------------------------------------------------
# elementary operations


def _reduce(x: FloatArray, f: _Field) -> None:
    """Reduce ``x`` in place to the centered range ``|x| <= f.h`` (exact for ``|x| <= _LIMIT``).

    ``q = rint(x * (1/p))`` is within 2/p of ``x/p`` (two roundings), so ``|x - q p| <= p/2 + 2``;
    ``q p`` and ``x - q p`` are integers below ``2**53``, computed exactly.
    """
    if x.size == 0:
        return
    if x.ndim == 1:
        x = x[None, :]
    ncol = x.shape[1]
    rows = max(1, (1 << 16) // max(1, ncol))
    tmp = np.empty((min(rows, x.shape[0]), ncol))
    for i in range(0, x.shape[0], rows):
        xb = x[i : i + rows]
        t = tmp[: xb.shape[0]]
        np.multiply(xb, f.pinv, out=t)
        np.rint(t, out=t)
        t *= f.pf
        xb -= t


def _center_canonical(x: FloatArray, p: int) -> None:
    """Map canonical residues in ``[0, p)`` to ``(-p/2, p/2]`` in place."""
    x -= p * (x > p // 2)


def _load_dgemm() -> Any:
    """numpy's own BLAS ``cblas_dgemm`` (ILP64 OpenBLAS of the numpy wheels) via ctypes, or None.

    It lets a trailing update ``C -= A @ B`` run in place on strided views of the working matrix
    (numpy's ``matmul`` has no ``beta``: it needs a temporary and a second pass over ``C``). The
    very library numpy uses is called, so no second BLAS thread pool competes for the cores.
    """
    try:
        import ctypes
        import importlib

        try:
            umath = importlib.import_module("numpy._core._multiarray_umath")
        except ImportError:  # numpy < 2
            umath = importlib.import_module("numpy.core._multiarray_umath")
        lib = ctypes.CDLL(umath.__file__)
        fn = None
        for name in ("scipy_cblas_dgemm64_", "cblas_dgemm64_"):
            fn = getattr(lib, name, None)
            if fn is not None:
                break
        if fn is None:
            return None
        i64, dbl, vp = ctypes.c_int64, ctypes.c_double, ctypes.c_void_p
        fn.restype = None
        fn.argtypes = [i64, i64, i64, i64, i64, i64, dbl, vp, i64, vp, i64, dbl, vp, i64]
        row_major, no_trans = 101, 111

        def dgemm_sub(
            c: FloatArray, a: FloatArray, b: FloatArray, lds: tuple[int, int, int]
        ) -> None:
            m, k = a.shape
            n = b.shape[1]
            lda, ldb, ldc = lds
            fn(
                row_major, no_trans, no_trans, m, n, k, -1.0, a.ctypes.data, lda,
                b.ctypes.data, ldb, 1.0, c.ctypes.data, ldc,
            )  # fmt: skip

        x = np.arange(6.0).reshape(2, 3)  # self-check before trusting it
        y = np.arange(6.0).reshape(3, 2) + 1.0
        z = np.zeros((2, 2))
        dgemm_sub(z, x, y, (3, 2, 2))
        return dgemm_sub if np.array_equal(z, -(x @ y)) else None
    except Exception:  # pragma: no cover - any failure: fall back to numpy
        return None


def _lead(x: FloatArray) -> int:
    """Leading dimension of row-major ``x`` for BLAS, or 0 when BLAS cannot take it as it is."""
    if x.dtype != np.float64 or (x.shape[1] > 1 and x.strides[1] != 8) or x.strides[0] % 8:
        return 0
    ld = x.strides[0] // 8 if x.shape[0] > 1 else x.shape[1]
    return ld if ld >= max(1, x.shape[1]) else 0


_DGEMM_SUB = _load_dgemm()


class _Workspace:
    """Reusable flat buffers (large temporaries would page-fault on every allocation)."""

    def __init__(self) -> None:
        self._bufs: dict[str, FloatArray] = {}

    def get(self, name: str, shape: tuple[int, int]) -> FloatArray:
        size = shape[0] * shape[1]
        buf = self._bufs.get(name)
        if buf is None or buf.size < size:
            buf = np.empty(max(size, 1))
            self._bufs[name] = buf
        return buf[:size].reshape(shape)


def _gemm_sub(
    c: FloatArray, cb: float, a: FloatArray, b: FloatArray, f: _Field, ws: _Workspace
) -> float:
    """``c -= a @ b`` exactly, in place, with ``a``, ``b`` reduced and ``|c| <= cb``.

    Returns the new bound on ``|c|``; ``c`` is reduced first whenever the bound would pass
    ``_LIMIT``, and the inner dimension is split into chunks of at most ``f.kmax``.
    """
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0 or k == 0:
        return cb
    lds = (_lead(a), _lead(b), _lead(c)) if _DGEMM_SUB is not None else (0, 0, 0)
    in_place = min(lds) > 0 and c.flags.writeable
    t = None if in_place else ws.get("gemm", (m, n))
    for s in range(0, k, f.kmax):
        e = min(k, s + f.kmax)
        if cb + (e - s) * f.h2 > _LIMIT:
            _reduce(c, f)
            cb = f.h
        if t is None:
            _DGEMM_SUB(c, a[:, s:e], b[s:e], lds)
        else:
            np.matmul(a[:, s:e], b[s:e], out=t)
            c -= t
        cb += (e - s) * f.h2
    return cb


def _matmul_reduced(a: FloatArray, b: FloatArray, f: _Field) -> FloatArray:
    """Return ``a @ b`` reduced (new array), for reduced ``a``, ``b`` (small operands)."""
    k = a.shape[1]
    if k <= f.kmax:
        out = a @ b
        _reduce(out, f)
        return out
    out = np.zeros((a.shape[0], b.shape[1]))
    cb = 0.0
    for s in range(0, k, f.kmax):
        e = min(k, s + f.kmax)
        if cb + (e - s) * f.h2 > _LIMIT:
            _reduce(out, f)
            cb = f.h
        out += a[:, s:e] @ b[s:e]
        cb += (e - s) * f.h2
    _reduce(out, f)
    return out


def _inv_unit_lower(n_strict: FloatArray, f: _Field) -> FloatArray:
    """Inverse of ``I + N`` for strictly lower triangular reduced ``N`` (k x k), reduced.

    ``(I + N)^-1 = sum_i (-N)^i = (I - N)(I + N^2)(I + N^4)...``; ``N^k = 0``.
    """
    k = n_strict.shape[0]
    eye = np.eye(k)
    x = eye - n_strict
    pw = n_strict
    span = 2
    while span < k:
        pw = _matmul_reduced(pw, pw, f)
        x = x + _matmul_reduced(x, pw, f)
        _reduce(x, f)
        span *= 2
    return x


def _trsm_lower_unit(
    l_mat: FloatArray,
    b: FloatArray,
    bb: float,
    f: _Field,
    ws: _Workspace,
    g0: int = 0,
    cache: dict[tuple[int, int], FloatArray] | None = None,
) -> None:
    """Solve ``L X = B`` in place in ``b``; ``L`` unit lower triangular given by its strict lower
    part (the diagonal and upper part of ``l_mat`` are ignored), ``|b| <= bb``. ``b`` ends reduced.

    Row ``i`` of ``l_mat`` has the global index ``g0 + i``; the recursion splits at global
    multiples of ``_TRSM_BASE``, so the diagonal base blocks are the same in every call that
    shares them and their inverses are kept in ``cache`` (keyed by global row range).
    """
    k = l_mat.shape[0]
    if k == 0 or b.shape[1] == 0:
        return
    if g0 // _TRSM_BASE == (g0 + k - 1) // _TRSM_BASE:  # inside one aligned base block
        _reduce(b, f)
        if k == 1:
            return
        key = (g0, g0 + k)
        inv = cache.get(key) if cache is not None else None
        if inv is None:
            inv = _inv_unit_lower(np.tril(l_mat, -1), f)
            if cache is not None:
                cache[key] = inv
        b[...] = _matmul_reduced(inv, b, f)
        return
    first = (g0 // _TRSM_BASE + 1) * _TRSM_BASE  # aligned split points inside (g0, g0 + k)
    last = (g0 + k - 1) // _TRSM_BASE * _TRSM_BASE
    split = (g0 + k // 2 + _TRSM_BASE // 2) // _TRSM_BASE * _TRSM_BASE
    k1 = min(max(split, first), last) - g0
    _trsm_lower_unit(l_mat[:k1, :k1], b[:k1], bb, f, ws, g0, cache)
    bb2 = _gemm_sub(b[k1:], bb, l_mat[k1:, :k1], b[:k1], f, ws)
    _trsm_lower_unit(l_mat[k1:, k1:], b[k1:], bb2, f, ws, g0 + k1, cache)


# --------------------------------------------------------------------------------------------
# recursive PLUQ-style elimination


class _Elim:
    """State of one elimination: the working matrix, column bounds and buffers."""

    def __init__(self, w: FloatArray, f: _Field) -> None:
        self.w = w
        self.f = f
        self.cb = np.full(w.shape[1], f.h)  # bound on |w[:, j]|
        self.ws = _Workspace()
        self.inv_cache: dict[tuple[int, int], FloatArray] = {}

    def run(self) -> list[int]:
        return self._rec(0, 0, self.w.shape[1])

    def _rec(self, r0: int, c0: int, c1: int) -> list[int]:
        w, f = self.w, self.f
        m = w.shape[0]
        if r0 >= m or c1 <= c0:
            return []
        if c1 - c0 <= _LEAF:
            return self._leaf(r0, c0, c1)
        cm = c0 + (c1 - c0) // 2
        piv1 = self._rec(r0, c0, cm)
        k1 = len(piv1)
        if k1 > 0:
            if piv1[-1] - piv1[0] == k1 - 1:  # consecutive pivots (full column rank): a view
                lfull = w[r0:, piv1[0] : piv1[0] + k1]
            else:
                lfull = self.ws.get("L", (m - r0, k1))
                np.take(w[r0:], piv1, axis=1, out=lfull, mode="clip")
            bb = float(self.cb[cm:c1].max())
            _trsm_lower_unit(lfull[:k1], w[r0 : r0 + k1, cm:c1], bb, f, self.ws, r0, self.inv_cache)
            if r0 + k1 < m:
                nb = _gemm_sub(
                    w[r0 + k1 :, cm:c1], bb, lfull[k1:], w[r0 : r0 + k1, cm:c1], f, self.ws
                )
                self.cb[cm:c1] = nb
        piv2 = self._rec(r0 + k1, cm, c1)
        return piv1 + piv2

    def _leaf(self, r0: int, c0: int, c1: int) -> list[int]:
        """Eliminate the panel ``w[r0:, c0:c1]`` column by column (right-looking, vectorised).

        The panel is copied transposed (a column is a contiguous row of ``pt``); the trailing
        part is reduced lazily; each pivot column is reduced before its zero test (exact: a
        reduced entry is 0 mod p only when it is 0, for p >= 5; tiny primes use ``np.mod``).
        """
        w, f = self.w, self.f
        p, pf, pinv, half = f.p, f.pf, f.pinv, f.p // 2
        pt = np.ascontiguousarray(w[r0:, c0:c1].T)
        if float(self.cb[c0:c1].max()) > f.h:
            _reduce(pt, f)
        b, mp = pt.shape
        perm = np.arange(mp)
        piv: list[int] = []
        bound = f.h  # bound on the not-yet-reduced trailing part of the panel
        r = 0
        for j in range(b):
            if r == mp:
                break
            if p < 64:
                canon = np.mod(pt[j, r:], pf)  # canonical residues in [0, p)
            else:  # |canon| <= p/2 + 2 < p, so canon == 0 exactly when the entry is 0 mod p
                canon = pt[j, r:] - np.rint(pt[j, r:] * pinv) * pf
            if canon[0] == 0.0:
                nz = np.flatnonzero(canon)
                if nz.size == 0:
                    pt[j, r:] = 0.0
                    continue
                i0 = int(nz[0])
                pt[:, [r, r + i0]] = pt[:, [r + i0, r]]
                perm[[r, r + i0]] = perm[[r + i0, r]]
                canon[0], canon[i0] = canon[i0], canon[0]
            pv = int(canon[0]) % p
            pt[j, r] = pv - p if pv > half else pv
            if r + 1 < mp:
                mult = canon[1:] * float(pow(pv, -1, p))  # < p**2 < 2**52: exact
                mult -= np.rint(mult * pinv) * pf
                pt[j, r + 1 :] = mult
                if j + 1 < b:
                    u = pt[j + 1 :, r]
                    u -= np.rint(u * pinv) * pf
                    if bound + f.h2 > _LIMIT:
                        _reduce(pt[j + 1 :, r + 1 :], f)
                        bound = f.h
                    pt[j + 1 :, r + 1 :] -= np.multiply.outer(u, mult)
                    bound += f.h2
            piv.append(c0 + j)
            r += 1
        _reduce(pt, f)
        moved = np.flatnonzero(perm != np.arange(mp))
        if moved.size:
            w[r0 + moved] = w[r0 + perm[moved]]
        w[r0:, c0:c1] = pt.T
        self.cb[c0:c1] = f.h
        return piv


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
    f = _Field.of(p)
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
            if blk.size and float(np.abs(blk).max()) > _LIMIT:
                np.fmod(blk, f.pf, out=blk)  # exact
        _reduce(blk, f)
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
    f = _Field.of(p)
    wa, wb = _to_working(a, p), _to_working(b, p)
    if wa.shape[1] != wb.shape[0]:
        raise FieldError(f"matmul_mod: shapes {wa.shape} and {wb.shape} do not match.")
    out = np.zeros((wa.shape[0], wb.shape[1]))
    _gemm_sub(out, 0.0, wa, -wb, f, _Workspace())
    _reduce(out, f)
    np.mod(out, float(p), out=out)
    return out


def _profile(a: Any, p: int) -> tuple[list[int], FloatArray]:
    p = _check_blas_prime(p)
    w = _to_working(a, p)
    if w.size == 0:
        return [], w
    return _Elim(w, _Field.of(p)).run(), w


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
    f = _Field.of(p)
    r = len(piv)
    free = np.setdiff1d(np.arange(n), np.asarray(piv, dtype=np.int64))
    out = np.zeros((n, free.size), dtype=np.int64)
    out[free, np.arange(free.size)] = 1
    if r == 0 or free.size == 0:
        return out
    u = w[:r]
    pv = np.mod(u[np.arange(r), piv], p).astype(np.int64)
    invs = np.array([pow(int(x), -1, p) for x in pv], dtype=np.float64)
    _center_canonical(invs, p)
    up = u[:, piv] * invs[:, None]  # unit upper triangular (strict lower part is ignored)
    uf = u[:, free] * invs[:, None]
    _reduce(up, f)
    _reduce(uf, f)
    # U_P X = U_F with U_P unit upper: reverse rows and columns to get a unit lower system.
    l_rev = np.ascontiguousarray(up[::-1, ::-1])
    b_rev = np.ascontiguousarray(uf[::-1])
    _trsm_lower_unit(l_rev, b_rev, f.h, f, _Workspace())
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
