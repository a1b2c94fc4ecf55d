"""Membership: is a point of the function space on the neurovariety, and on the real
neuromanifold? Three-valued (:class:`~neurovariety.results.Verdict`).

On V: equations complete through degree ``deg V`` cut V out set-theoretically; determinantal
(rank) tests for linear networks; the gcd recursion of the LCN paper (arXiv:2401.16613) for LCNs.
On the real neuromanifold: real factorization for LCNs, the rank and signature of the symmetric
matrix for shallow quadratic networks. Anything else is ``unknown``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from ..architectures.base import Architecture
from ..architectures.cnn import LCN
from ..architectures.mlp import MLP
from ..errors import NeurovarietyError
from ..parametrization.coordinates import coordinates
from ..results import Provenance, Result, Verdict
from .equations import equations
from .formula_choice import DEGREE, closed_formula
from .lcn_equations import merge_stride_one, split_junction

__all__ = ["MembershipResult", "member", "parse_point"]


@dataclasses.dataclass(frozen=True, repr=False)
class MembershipResult(Result, Provenance):
    """Is a point (coefficient vector) on the neurovariety, and on the real neuromanifold?"""

    point: list[str]
    on_variety: Verdict
    variety_evidence: str
    on_real_neuromanifold: Verdict
    real_evidence: str

    def title(self) -> str:
        return f"MembershipResult  {self.architecture}"

    def bullets(self) -> list[str]:
        return [
            f"on the neurovariety: {self.on_variety.value} — {self.variety_evidence}",
            f"on the real neuromanifold: {self.on_real_neuromanifold.value} — {self.real_evidence}",
            self.provenance_bullet(),
        ]


def parse_point(text: str, n: int) -> list[Fraction]:
    """Read ``n`` rational coordinates: a JSON list (numbers or strings such as ``"1/2"``), a
    JSON object with key ``point``, or numbers separated by commas / whitespace.

    >>> parse_point("[1, '1/2', -3]".replace("'", '"'), 3)
    [Fraction(1, 1), Fraction(1, 2), Fraction(-3, 1)]
    >>> parse_point("1 2, 3", 3)
    [Fraction(1, 1), Fraction(2, 1), Fraction(3, 1)]
    """
    items: Any
    try:
        items = json.loads(text)
        if isinstance(items, dict):
            items = items.get("point")
    except ValueError:
        items = text.replace(",", " ").split()
    if not isinstance(items, list):
        raise NeurovarietyError("a point is a list of numbers, e.g. [1, 0, -2, 1/2, 3]")
    try:
        vals = [Fraction(str(v)) for v in items]
    except (ValueError, ZeroDivisionError):
        raise NeurovarietyError(
            f"a point has rational coordinates (ints, decimals, 'p/q'); got {items!r}"
        ) from None
    if len(vals) != n:
        raise NeurovarietyError(
            f"the point has {len(vals)} coordinates but the function space has {n} "
            "(see `neurovariety equations SPEC` for their order)"
        )
    return vals


def _poly(coeffs: Sequence[Fraction]) -> Any:
    import flint

    return flint.fmpq_poly([flint.fmpq(c.numerator, c.denominator) for c in coeffs])


def _real_factor_degrees(f: Any) -> tuple[int, int]:
    """(real roots with multiplicity, pairs of complex roots) of a non-zero rational polynomial."""
    import sympy

    y = sympy.Symbol("y")
    coeffs = [sympy.Rational(int(c.p), int(c.q)) for c in f.coeffs()]
    P = sympy.Poly(list(reversed(coeffs)), y)
    real = sum(fac.count_roots() * m for fac, m in P.sqf_list()[1])
    return real, (P.degree() - real) // 2


def _has_real_factor(f: Any, lo: int, hi: int) -> bool:
    real, pairs = _real_factor_degrees(f)
    return any(lo <= a + 2 * b <= hi for a in range(real + 1) for b in range(pairs + 1))


def _lcn_member(
    P: list[Fraction], filters: tuple[int, ...], strides: tuple[int, ...], real: bool
) -> tuple[Verdict, str]:
    """Factorization test: P = Q(x^s)·A(x) with Q in the shorter LCN (over C, or over R)."""
    if all(c == 0 for c in P) or len(filters) == 1:
        return Verdict.YES, "the zero filter" if len(filters) > 1 else "any filter of this size"
    s = strides[0]
    if s == 1:
        if len(filters) == 2:
            f = _poly(P)
            lo, hi = f.degree() - (filters[1] - 1), filters[0] - 1
            if not real:
                ok = lo <= hi
            else:
                ok = _has_real_factor(f, max(lo, 0), hi)
            field = "real " if real else ""
            return (Verdict.YES if ok else Verdict.NO), (
                f"{'a' if ok else 'no'} {field}factor of degree in [{max(lo, 0)}, {hi}]"
            )
        return Verdict.UNKNOWN, "stride-one junction inside a deeper real LCN"
    sp = split_junction(filters, strides)
    Pj = [[P[i] for i in sp.idx[j]] for j in range(s)]
    for j, a in enumerate(sp.cofactor):
        if a == 0 and any(Pj[j]):
            return Verdict.NO, f"P_{j} must vanish (the first filter is shorter than the stride)"
    polys = [_poly(Pj[j]) for j in range(s) if sp.cofactor[j] > 0]
    G = polys[0]
    for q in polys[1:]:
        G = G.gcd(q)
    g = sp.sub_size - 1
    lo = max(
        (_poly(Pj[j]).degree() - (sp.cofactor[j] - 1) for j in range(s) if any(Pj[j])), default=0
    )
    if G.degree() < lo or lo > g:
        return Verdict.NO, f"the P_j have no common factor of degree in [{lo}, {g}]"
    rest = (filters[1:], strides[1:])
    if len(rest[0]) == 1:
        if not real:
            return Verdict.YES, f"common factor of degree ≥ {lo}"
        ok = _has_real_factor(G, lo, min(g, G.degree()))
        return (Verdict.YES if ok else Verdict.NO), (
            f"the gcd of the P_j {'has' if ok else 'has no'} real factor of degree in "
            f"[{lo}, {min(g, G.degree())}]"
        )
    if G.degree() == lo:
        Q = [Fraction(int(c.p), int(c.q)) for c in G.coeffs()]
        Q += [Fraction(0)] * (sp.sub_size - len(Q))
        v, why = _lcn_member(Q, rest[0], rest[1], real)
        return v, f"the common factor is forced; recursively: {why}"
    return Verdict.UNKNOWN, "the common factor is not unique (gcd degree above the minimum)"


def _rank(rows: list[list[Fraction]]) -> int:
    import flint

    M = flint.fmpq_mat([[flint.fmpq(c.numerator, c.denominator) for c in r] for r in rows])
    return int(M.rank())


def member(
    arch: Architecture, point: Sequence[Any], *, seed: int = 0, max_degree: int = 4
) -> MembershipResult:
    """Decide whether ``point`` (coefficients in the order of :func:`coordinates`) lies on the
    neurovariety and on the real neuromanifold; three-valued.

    Decided cases: LCNs (factorization with the gcd recursion; over R by counting real roots),
    linear networks (rank of the end-to-end matrix), shallow single-output quadratic networks
    (rank and signature of the symmetric matrix), and otherwise on V by equations interpolated
    through ``deg V`` (they cut V out set-theoretically) — ``no`` as soon as a verified equation
    does not vanish.

    >>> from neurovariety import LCN
    >>> member(LCN((3, 2), 2), [1, 1, 1, 1, 0]).on_variety.value   # c0c3² + c1²c4 − c1c2c3 = 0
    'yes'
    >>> member(LCN((3, 2), 2), [1, 0, 0, 1, 0]).on_variety.value
    'no'
    """
    t0 = time.perf_counter()
    n = len(coordinates(arch))
    P = [Fraction(str(c)) if not isinstance(c, Fraction) else c for c in point]
    if len(P) != n:
        raise NeurovarietyError(f"the point has {len(P)} coordinates; {arch.spec} has {n}")
    V, why = Verdict.UNKNOWN, "no decision procedure applies"
    R, rwhy = Verdict.UNKNOWN, "no real decision procedure for this architecture"
    if isinstance(arch, LCN):
        where = {e.index(1): i for i, (_, e) in enumerate(coordinates(arch))}
        full = [P[where[j]] if j in where else Fraction(0) for j in range(arch.n_inputs)]
        k, s = merge_stride_one(arch.filters, arch.strides)  # type: ignore[arg-type]
        V, why = _lcn_member(full, k, s, real=False)
        R, rwhy = _lcn_member(full, arch.filters, arch.strides, real=True)  # type: ignore[arg-type]
    elif isinstance(arch, MLP) and arch.activation.is_linear and not arch.bias:
        d = arch.widths
        rows = [P[o * d[0] : (o + 1) * d[0]] for o in range(d[-1])]
        rk = _rank(rows)
        ok = rk <= min(d)
        V = R = Verdict.YES if ok else Verdict.NO
        why = rwhy = f"the {d[-1]}×{d[0]} matrix has rank {rk} ({'≤' if ok else '>'} {min(d)})"
    elif (
        isinstance(arch, MLP)
        and len(arch.widths) == 3
        and arch.widths[-1] == 1
        and arch.activation.spec == "x^2"
        and not arch.bias
    ):
        m, h = arch.widths[0], arch.widths[1]
        S = [[Fraction(0)] * m for _ in range(m)]
        for (_, e), c in zip(coordinates(arch), P, strict=True):
            i = [v for v in range(m) for _ in range(e[v])]
            S[i[0]][i[1]] = S[i[1]][i[0]] = c if i[0] == i[1] else c / 2
        rk = _rank(S)
        pos, neg = _signature(S)
        ok = rk <= h
        V = R = Verdict.YES if ok else Verdict.NO
        why = f"the symmetric matrix has rank {rk} ({'≤' if ok else '>'} {h})"
        rwhy = f"signature ({pos}, {neg}): a sum of {rk} real ±squares of linear forms"
    else:
        V, why = _member_by_equations(arch, P, seed, max_degree)
        if V is Verdict.NO:
            R, rwhy = Verdict.NO, "not on the complex neurovariety"
    if V is Verdict.NO:
        R, rwhy = Verdict.NO, rwhy if R is Verdict.NO else "not on the complex neurovariety"
    return MembershipResult(
        architecture=arch.spec,
        point=[str(c) for c in P],
        on_variety=V,
        variety_evidence=why,
        on_real_neuromanifold=R,
        real_evidence=rwhy,
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def _signature(S: list[list[Fraction]]) -> tuple[int, int]:
    """(positive, negative) eigenvalue counts of a rational symmetric matrix, exactly: the
    characteristic polynomial has real roots only, so Descartes' rule of signs is exact."""
    import sympy

    M = sympy.Matrix([[sympy.Rational(c.numerator, c.denominator) for c in r] for r in S])
    coeffs = [c for c in M.charpoly().all_coeffs()]

    def changes(cs: list[Any]) -> int:
        signs = [1 if c > 0 else -1 for c in cs if c != 0]
        return sum(1 for a, b in zip(signs, signs[1:], strict=False) if a != b)

    pos = changes(coeffs)
    neg = changes([c * (-1) ** i for i, c in enumerate(reversed(coeffs))][::-1])
    return pos, neg


def _member_by_equations(
    arch: Architecture, P: list[Fraction], seed: int, max_degree: int
) -> tuple[Verdict, str]:
    res = equations(arch, max_degree=max_degree, seed=seed)
    for e in res.equations:
        if e.evaluate(P) != 0:
            return Verdict.NO, f"the verified equation {e.text()} does not vanish"
    formula = closed_formula(arch, DEGREE)
    if res.generated:
        return Verdict.YES, f"all equations vanish and they generate the ideal ({res.method})"
    if formula is not None and res.complete_proven and res.complete_through >= formula.value:
        return Verdict.YES, (
            f"all equations through degree {res.complete_through} ≥ deg V = {formula.value} "
            "vanish (they cut V out set-theoretically)"
        )
    return Verdict.UNKNOWN, (
        f"all {len(res.equations)} equations through degree {res.complete_through} vanish, but "
        "V is not known to be cut out by them"
    )
