"""Equations of a linear convolutional network's neurovariety by the LCN recursion.

Shahverdi, *Algebraic Complexity and Neurovariety of Linear Convolutional Networks*,
arXiv:2401.16613: write ``P(x) = Σ_{j<s} x^j P_j(x^s)``; ``P`` lies on V iff the ``P_j`` have a
common factor of degree ``g`` (a rank condition on a stacked Sylvester matrix) which itself lies on
the neurovariety of ``(k_2, …; s_2, …)`` (the equations of that one applied to the ``g``-th
subresultant of ``P_0, P_1``). Stride-one junctions are merged first: over C they give every
polynomial of the summed size. The splitting helpers here serve membership
(:mod:`.membership`) as well.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Sequence
from typing import Any

from ..architectures.cnn import LCN
from ..errors import BudgetExceededError, NeurovarietyError
from ..parametrization.coordinates import coordinate_labels, coordinates
from .equations import gradings, verify_equations
from .ideal import Equation, EquationsResult

__all__ = ["lcn_equations", "merge_stride_one"]

MAX_MINORS = 5_000


def merge_stride_one(
    filters: Sequence[int], strides: Sequence[int]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Merge layers joined by stride one: over C, ``π(v)(y)·π(w)(y)`` is every polynomial of size
    ``len(v) + len(w) − 1``, so the neurovariety is that of the merged LCN.

    >>> merge_stride_one((2, 2, 3), (1, 2))
    ((3, 3), (2,))
    """
    k, s = [filters[0]], []
    for ki, si in zip(filters[1:], strides, strict=True):
        if si == 1:
            k[-1] += ki - 1
        else:
            k.append(ki)
            s.append(si)
    return tuple(k), tuple(s)


def _lcn_size(filters: Sequence[int], strides: Sequence[int]) -> int:
    n, S = filters[0], 1
    for ki, si in zip(filters[1:], strides, strict=True):
        S *= si
        n += (ki - 1) * S
    return n


@dataclasses.dataclass(frozen=True)
class Junction:
    """``P(x) = Σ_{j<s} x^j P_j(x^s)`` for the first junction of an LCN."""

    s: int
    k1: int
    sub_size: int  # k' = size of the common factor Q (degree g = k' − 1)
    idx: tuple[tuple[int, ...], ...]  # coefficient indices of each P_j, ascending degree
    cofactor: tuple[int, ...]  # a_j = size of the cofactor of P_j (0: P_j must vanish)


def split_junction(filters: Sequence[int], strides: Sequence[int]) -> Junction:
    """The first junction of an LCN: the coefficients of each ``P_j`` and their cofactor sizes.

    >>> split_junction((3, 2), (2,)).idx, split_junction((3, 2), (2,)).cofactor
    (((0, 2, 4), (1, 3)), (2, 1))
    """
    s, k1 = strides[0], filters[0]
    sub = _lcn_size(filters[1:], strides[1:])
    n = k1 + (sub - 1) * s
    idx = tuple(tuple(range(j, n, s)) for j in range(s))
    a = tuple(max(0, -(-(k1 - j) // s)) for j in range(s))
    return Junction(s, k1, sub, idx, a)


def _det(M: list[list[Any]], zero: Any) -> Any:
    memo: dict[tuple[int, tuple[int, ...]], Any] = {}

    def rec(r: int, cols: tuple[int, ...]) -> Any:
        if not cols:
            return zero + 1
        key = (r, cols)
        if key not in memo:
            acc = zero
            for i, c in enumerate(cols):
                if not M[r][c].is_zero():
                    term = M[r][c] * rec(r + 1, cols[:i] + cols[i + 1 :])
                    acc = acc + term if i % 2 == 0 else acc - term
            memo[key] = acc
        return memo[key]

    return rec(0, tuple(range(len(M))))


def _lcn_polys(filters: tuple[int, ...], strides: tuple[int, ...], ctx: Any) -> list[Any]:
    """Equations (``fmpz_mpoly`` in ``ctx``'s variables ``c0..``) of a merged LCN."""
    if len(filters) == 1:
        return []
    sp = split_junction(filters, strides)
    c = ctx.gens()
    zero = ctx.from_dict({})
    out: list[Any] = []
    for j, a in enumerate(sp.cofactor):
        if a == 0:
            out.extend(c[i] for i in sp.idx[j])  # P_j vanishes: the first filter is shorter
    active = [j for j in range(sp.s) if sp.cofactor[j] > 0]
    P = [[c[i] for i in sp.idx[j]] for j in active]
    g = sp.sub_size - 1
    if len(active) >= 2:
        # common factor of degree ≥ g: rank of the stacked Sylvester matrix ≤ D − g
        D = (len(P[0]) - 1) + (len(P[1]) - 1)
        rows = [
            [zero] * i + Pj + [zero] * (D - i - len(Pj)) for Pj in P for i in range(D - len(Pj) + 1)
        ]
        t = D - g + 1
        if 0 < t <= min(len(rows), D):
            n_minors = math.comb(len(rows), t) * math.comb(D, t)
            if n_minors > MAX_MINORS:
                raise BudgetExceededError(
                    f"the Sylvester rank condition of lcn k={filters} needs {n_minors} minors "
                    f"(limit {MAX_MINORS}); use equations() (interpolation) instead"
                )
            for R in itertools.combinations(range(len(rows)), t):
                for C in itertools.combinations(range(D), t):
                    m = _det([[rows[r][cc] for cc in C] for r in R], zero)
                    if not m.is_zero():
                        out.append(m)
    sub = _lcn_polys(filters[1:], strides[1:], _int_ctx(sp.sub_size))
    if sub:
        Q = _common_factor(P, sp.cofactor[active[0]], g, zero)
        out.extend(f.compose(*Q, ctx=ctx) for f in sub)
    return out


def _common_factor(P: list[list[Any]], a0: int, g: int, zero: Any) -> list[Any]:
    """Coefficients of a polynomial multiple of the common factor Q (degree g) of the P_j:
    ``P_0`` itself when its cofactor is a constant, else the g-th subresultant of P_0, P_1."""
    if a0 == 1 or len(P) == 1:
        return P[0][: g + 1] + [zero] * (g + 1 - len(P[0][: g + 1]))
    m0, m1 = len(P[0]) - 1, len(P[1]) - 1
    top = m0 + m1 - g - 1  # columns: degrees top, top−1, …, 0
    rows = []
    for Pj, count in ((P[0], m1 - g), (P[1], m0 - g)):
        for i in range(count):
            row = [zero] * (top + 1)
            for d, coef in enumerate(Pj):
                row[top - (d + i)] = coef
            rows.append(row)
    r = len(rows)
    lead = list(range(r - 1))  # the r − 1 highest-degree columns
    return [
        _det([[row[cc] for cc in lead + [top - t]] for row in rows], zero) for t in range(g + 1)
    ]


def _int_ctx(n: int) -> Any:
    import flint

    return flint.fmpz_mpoly_ctx.get((("c", n),), "degrevlex")


def lcn_equations(arch: LCN, *, seed: int = 0, verify: bool = True) -> EquationsResult:
    """Equations of an LCN neurovariety by the recursive algorithm of the LCN paper
    (Shahverdi, arXiv:2401.16613).

    Stride-one junctions are merged; then ``P = Σ_{j<s} x^j P_j(x^s)`` must have ``P_j = 0``
    where the first filter is too short, the ``P_j`` must share a factor of degree ``g`` (the
    ``(D−g+1)``-minors of the stacked Sylvester matrix vanish), and that factor — ``P_0`` or the
    ``g``-th subresultant of ``P_0, P_1`` — must satisfy the equations of the shorter LCN.

    The equations vanish on V (each is checked exactly) and cut it out where the subresultant
    is non-zero; they need not generate the ideal. A single irreducible equation of a
    hypersurface does generate it.

    >>> r = lcn_equations(LCN((3, 2), 2))
    >>> [e.text() for e in r.equations], r.generated
    (['c0*c3^2 + c1^2*c4 - c1*c2*c3'], True)
    """
    from .dimension import dimension as _dimension

    if not isinstance(arch, LCN):
        raise NeurovarietyError(f"lcn_equations needs an LCN, got {arch.spec}; use equations()")
    t0 = time.perf_counter()
    k, s = merge_stride_one(arch.filters, arch.strides)  # type: ignore[arg-type]
    n = arch.n_inputs
    coords = coordinates(arch)
    A = len(coords)
    ctx = _int_ctx(A)
    # inputs outside the receptive support (a filter shorter than its stride) are not coordinates
    where = {e.index(1): i for i, (_, e) in enumerate(coords)}
    zero = ctx.from_dict({})
    subs = [ctx.gens()[where[j]] if j in where else zero for j in range(n)]
    polys = [f.compose(*subs, ctx=ctx) for f in _lcn_polys(k, s, _int_ctx(n))]
    seen: set[str] = set()
    eqs: list[Equation] = []
    for f in polys:
        if f.is_zero():
            continue
        d = f.to_dict()
        terms = tuple(sorted(((tuple(e), int(v)) for e, v in d.items()),
                             key=lambda t: tuple(-a for a in t[0])))  # fmt: skip
        if terms and terms[0][1] < 0:
            terms = tuple((e, -v) for e, v in terms)
        g = 0
        for _, v in terms:
            g = math.gcd(g, v)
        terms = tuple((e, v // g) for e, v in terms)
        key = repr(terms)
        if key not in seen:
            seen.add(key)
            eqs.append(Equation(terms, sum(terms[0][0])))
    eqs.sort(key=lambda e: (e.degree, e.text()))
    dim = _dimension(arch, seed=seed)
    generated, reason = False, ""
    if dim.certified and dim.dimension == A - 1 and len(eqs) == 1:
        fac = ctx.from_dict(dict(eqs[0].terms)).factor()[1]
        if len(fac) == 1 and fac[0][1] == 1:
            generated, reason = True, "one irreducible equation of a hypersurface"
    verified = verify_equations(arch, eqs, seed=seed) if verify else "not verified"
    return EquationsResult(
        architecture=arch.spec, method="lcn-recursive", n_coordinates=A,
        coordinates=coordinate_labels(arch), dimension=dim.dimension,
        dimension_certainty=dim.certainty, equations=eqs, hilbert_function=[],
        complete_through=max((e.degree for e in eqs), default=0) if generated else 0,
        generated=generated, generated_reason=reason, verified=verified,
        gradings=gradings(arch)[1], primes=[], n_points=0, seed=seed,
        seconds=time.perf_counter() - t0,
        notes=[] if generated else [
            "set-theoretic on the open set where the subresultant is non-zero; "
            "not necessarily generators of the ideal"
        ],
    )  # fmt: skip
