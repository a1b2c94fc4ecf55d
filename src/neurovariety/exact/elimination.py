"""Rank profile over GF(p) by recursive elimination on the float64-BLAS kernels.

A recursive, column-splitting Gaussian elimination with row pivoting and column skipping
(Toledo's recursive LU, as in FFPACK's PLUQ): almost all of its work is ``gemm_sub`` trailing
updates and recursive triangular solves (:mod:`.blas_field`); only a narrow panel (the leaf) is
eliminated column by column, with vectorised numpy. The result is exact for every input: a pivot
candidate is reduced first, and a reduced entry is zero mod p exactly when it equals 0 (for
p >= 5; tiny primes use canonical residues from ``np.mod``), so no decision is probabilistic.
"""

from __future__ import annotations

import numpy as np

from .blas_field import (
    LIMIT,
    Field,
    FloatArray,
    Workspace,
    gemm_sub,
    reduce_inplace,
    trsm_lower_unit,
)

LEAF = 16  # width of the column panel eliminated column by column


class Elimination:
    """State of one elimination: the working matrix, column bounds and buffers."""

    def __init__(self, w: FloatArray, f: Field) -> None:
        self.w = w
        self.f = f
        self.cb = np.full(w.shape[1], f.h)  # bound on |w[:, j]|
        self.ws = Workspace()
        self.inv_cache: dict[tuple[int, int], FloatArray] = {}

    def run(self) -> list[int]:
        return self._rec(0, 0, self.w.shape[1])

    def _rec(self, r0: int, c0: int, c1: int) -> list[int]:
        w, f = self.w, self.f
        m = w.shape[0]
        if r0 >= m or c1 <= c0:
            return []
        if c1 - c0 <= LEAF:
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
            trsm_lower_unit(lfull[:k1], w[r0 : r0 + k1, cm:c1], bb, f, self.ws, r0, self.inv_cache)
            if r0 + k1 < m:
                nb = gemm_sub(
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
            reduce_inplace(pt, f)
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
                    if bound + f.h2 > LIMIT:
                        reduce_inplace(pt[j + 1 :, r + 1 :], f)
                        bound = f.h
                    pt[j + 1 :, r + 1 :] -= np.multiply.outer(u, mult)
                    bound += f.h2
            piv.append(c0 + j)
            r += 1
        reduce_inplace(pt, f)
        moved = np.flatnonzero(perm != np.arange(mp))
        if moved.size:
            w[r0 + moved] = w[r0 + perm[moved]]
        w[r0:, c0:c1] = pt.T
        self.cb[c0:c1] = f.h
        return piv
