"""GF(p) arithmetic on float64 BLAS: the exact kernels (the FFLAS-FFPACK technique).

Entries of GF(p) are stored as exact integers in float64 arrays, in the *centered* range
``|x| <= p//2 + 4`` (the ``+ 4`` absorbs the rounding of the reduction, see
:func:`reduce_inplace`). A product ``A @ B`` with inner dimension ``k`` of such matrices has
entries of absolute value at most ``k * h**2`` with ``h = p//2 + 4``; while this (plus the size of
what it is added to) stays below ``2**53 - 2**30`` every partial sum BLAS forms is an integer
below ``2**53``, hence computed *exactly* in float64, whatever the summation order. Inner
dimensions longer than that are split into chunks with a reduction in between. The one float
operation that is not exact, the quotient ``x * (1/p)``, only chooses the multiple of ``p`` to
subtract; the subtraction itself is exact, so a reduced value is always congruent to the
original one.

Here: the field's constants, reduction, the exact product ``c -= a @ b`` (in place through
numpy's own ``cblas_dgemm`` where it can) and the unit-triangular solve. The elimination that
uses them is :mod:`.elimination`; the public functions are in :mod:`.modular`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Every intermediate value is kept at most this large in absolute value; then x - p*rint(x/p)
# is computed exactly (p*q <= |x| + p/2 + 4p < 2**53).
LIMIT = float(2**53 - 2**30)
TRSM_BASE = 32  # triangular solves below this size use an explicit inverse


@dataclasses.dataclass(frozen=True)
class Field:
    """Constants of GF(p) in the float64 representation."""

    p: int
    pf: float  # p as float
    pinv: float  # 1/p
    h: float  # bound on |x| of reduced entries
    h2: float  # h*h: bound on one product term
    kmax: int  # longest inner dimension of one exact product added to a reduced matrix

    @classmethod
    def of(cls, p: int) -> Field:
        h = float(p // 2 + 4)
        kmax = int((LIMIT - h) // (h * h))
        return cls(p, float(p), 1.0 / p, h, h * h, max(1, kmax))


# --------------------------------------------------------------------------------------------
# elementary operations


def reduce_inplace(x: FloatArray, f: Field) -> None:
    """Reduce ``x`` in place to the centered range ``|x| <= f.h`` (exact for ``|x| <= LIMIT``).

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


def center_canonical(x: FloatArray, p: int) -> None:
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


class Workspace:
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


def gemm_sub(
    c: FloatArray, cb: float, a: FloatArray, b: FloatArray, f: Field, ws: Workspace
) -> float:
    """``c -= a @ b`` exactly, in place, with ``a``, ``b`` reduced and ``|c| <= cb``.

    Returns the new bound on ``|c|``; ``c`` is reduced first whenever the bound would pass
    ``LIMIT``, and the inner dimension is split into chunks of at most ``f.kmax``.
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
        if cb + (e - s) * f.h2 > LIMIT:
            reduce_inplace(c, f)
            cb = f.h
        if t is None:
            _DGEMM_SUB(c, a[:, s:e], b[s:e], lds)
        else:
            np.matmul(a[:, s:e], b[s:e], out=t)
            c -= t
        cb += (e - s) * f.h2
    return cb


def matmul_reduced(a: FloatArray, b: FloatArray, f: Field) -> FloatArray:
    """Return ``a @ b`` reduced (new array), for reduced ``a``, ``b`` (small operands)."""
    k = a.shape[1]
    if k <= f.kmax:
        out = a @ b
        reduce_inplace(out, f)
        return out
    out = np.zeros((a.shape[0], b.shape[1]))
    cb = 0.0
    for s in range(0, k, f.kmax):
        e = min(k, s + f.kmax)
        if cb + (e - s) * f.h2 > LIMIT:
            reduce_inplace(out, f)
            cb = f.h
        out += a[:, s:e] @ b[s:e]
        cb += (e - s) * f.h2
    reduce_inplace(out, f)
    return out


def _inv_unit_lower(n_strict: FloatArray, f: Field) -> FloatArray:
    """Inverse of ``I + N`` for strictly lower triangular reduced ``N`` (k x k), reduced.

    ``(I + N)^-1 = sum_i (-N)^i = (I - N)(I + N^2)(I + N^4)...``; ``N^k = 0``.
    """
    k = n_strict.shape[0]
    eye = np.eye(k)
    x = eye - n_strict
    pw = n_strict
    span = 2
    while span < k:
        pw = matmul_reduced(pw, pw, f)
        x = x + matmul_reduced(x, pw, f)
        reduce_inplace(x, f)
        span *= 2
    return x


def trsm_lower_unit(
    l_mat: FloatArray,
    b: FloatArray,
    bb: float,
    f: Field,
    ws: Workspace,
    g0: int = 0,
    cache: dict[tuple[int, int], FloatArray] | None = None,
) -> None:
    """Solve ``L X = B`` in place in ``b``; ``L`` unit lower triangular given by its strict lower
    part (the diagonal and upper part of ``l_mat`` are ignored), ``|b| <= bb``. ``b`` ends reduced.

    Row ``i`` of ``l_mat`` has the global index ``g0 + i``; the recursion splits at global
    multiples of ``TRSM_BASE``, so the diagonal base blocks are the same in every call that
    shares them and their inverses are kept in ``cache`` (keyed by global row range).
    """
    k = l_mat.shape[0]
    if k == 0 or b.shape[1] == 0:
        return
    if g0 // TRSM_BASE == (g0 + k - 1) // TRSM_BASE:  # inside one aligned base block
        reduce_inplace(b, f)
        if k == 1:
            return
        key = (g0, g0 + k)
        inv = cache.get(key) if cache is not None else None
        if inv is None:
            inv = _inv_unit_lower(np.tril(l_mat, -1), f)
            if cache is not None:
                cache[key] = inv
        b[...] = matmul_reduced(inv, b, f)
        return
    first = (g0 // TRSM_BASE + 1) * TRSM_BASE  # aligned split points inside (g0, g0 + k)
    last = (g0 + k - 1) // TRSM_BASE * TRSM_BASE
    split = (g0 + k // 2 + TRSM_BASE // 2) // TRSM_BASE * TRSM_BASE
    k1 = min(max(split, first), last) - g0
    trsm_lower_unit(l_mat[:k1, :k1], b[:k1], bb, f, ws, g0, cache)
    bb2 = gemm_sub(b[k1:], bb, l_mat[k1:, :k1], b[:k1], f, ws)
    trsm_lower_unit(l_mat[k1:, k1:], b[k1:], bb2, f, ws, g0 + k1, cache)
