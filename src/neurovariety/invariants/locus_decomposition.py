"""Decomposition of a polynomial system over Q, and degrees of its pieces by slice counts.

A factorizing Gröbner basis (sympy) splits Z(polys) into pieces, none inside another; each
piece's dimension is read off its leading monomials (exact), its degree is the number of points
on a random slice by dim − 1 linear forms and an affine chart, counted by msolve mod primes that
must agree. :mod:`.singular_locus` applies it to the Jacobian ideal of a neurovariety.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from ..errors import BudgetExceededError, InternalError, NeurovarietyError
from ..exact.msolve import PrimeCount, count_solutions
from .equations import EquationsResult

#: r×r minors of the Jacobian for a variety of codimension r ≥ 2.
MAX_MINORS = 3000

# ---------------------------------------------------------------------------------------------
# the Jacobian ideal and its decomposition over Q


def coordinate_symbols(n: int) -> list[Any]:
    import sympy

    return list(sympy.symbols(f"c0:{n}"))


def jacobian_ideal(eqs: EquationsResult, syms: list[Any]) -> list[Any]:
    """The equations and the r×r minors of their Jacobian (r = codimension), as sympy Polys."""
    import sympy

    gens = [sympy.Poly(e.sympy(), *syms, domain="QQ") for e in eqs.equations]
    r = eqs.n_coordinates - eqs.dimension
    jac = [[g.diff(v) for v in syms] for g in gens]
    if r == 1:
        return gens + [d for row in jac for d in row if not d.is_zero]
    n_minors = len(list(itertools.combinations(range(len(gens)), r))) * len(
        list(itertools.combinations(range(len(syms)), r))
    )
    if n_minors > MAX_MINORS:
        raise BudgetExceededError(
            f"{eqs.architecture}: {n_minors} minors of size {r} of the Jacobian exceed "
            f"{MAX_MINORS}; the locus is computed for hypersurfaces and small varieties only"
        )
    minors = []
    for rows in itertools.combinations(range(len(gens)), r):
        for cols in itertools.combinations(range(len(syms)), r):
            m = sympy.Matrix([[jac[i][j].as_expr() for j in cols] for i in rows]).det()
            p = sympy.Poly(sympy.expand(m), *syms, domain="QQ")
            if not p.is_zero:
                minors.append(p)
    return gens + minors


def _groebner(polys: list[Any], syms: list[Any]) -> Any:
    import sympy

    return sympy.groebner([p.as_expr() for p in polys], *syms, order="grevlex", domain="QQ")


def _unit(G: Any) -> bool:
    return any(p.is_ground and not p.is_zero for p in G.polys)


def _inside(G: Any, H: Any) -> bool:
    """Z(G) ⊆ Z(H): every generator of H, or its square or cube, lies in the ideal of G."""
    return all(any(G.reduce((h**k).as_expr())[1] == 0 for k in (1, 2, 3)) for h in H.polys)


def _split(G: Any) -> list[Any] | None:
    """The distinct irreducible factors of the first basis element that is not irreducible and
    reduced (a power counts: its base is added), or None."""
    for g in sorted(G.polys, key=lambda q: q.total_degree()):
        _, factors = g.factor_list()
        bases = [f for f, _ in factors if not f.is_ground]
        if len(bases) > 1 or (len(bases) == 1 and factors[0][1] > 1):
            return bases
    return None


def decompose(polys: list[Any], syms: list[Any]) -> list[Any]:
    """Reduced Gröbner bases over Q of ideals whose zero sets have union Z(polys), none inside
    another (a factorizing Gröbner basis).

    >>> import sympy
    >>> x, y = coordinate_symbols(2)
    >>> [G.exprs for G in decompose([sympy.Poly(x * y, x, y), sympy.Poly(x**2 * y, x, y)], [x, y])]
    [[c1], [c0]]
    """
    pieces: list[Any] = []
    todo = [polys]
    while todo:
        G = _groebner(todo.pop(), list(syms))
        if _unit(G) or any(_inside(G, P) for P in pieces):
            continue
        factors = _split(G)
        if factors is None:
            pieces = [P for P in pieces if not _inside(P, G)] + [G]
        else:
            todo.extend(list(G.polys) + [f] for f in reversed(factors))
    return pieces


def affine_dimension(G: Any, n: int) -> int:
    """Dimension of Z(G) from the leading monomials of a Gröbner basis: the most variables whose
    monomials contain no leading monomial (exact; the origin alone has dimension 0).

    >>> import sympy
    >>> c = coordinate_symbols(3)
    >>> affine_dimension(sympy.groebner([c[0] * c[1]], *c, order="grevlex"), 3)
    2
    """
    masks = []
    for g in G.polys:
        lead = g.monoms(order="grevlex")[0]
        masks.append(sum(1 << i for i, a in enumerate(lead) if a))
    for size in range(n, -1, -1):
        for chosen in itertools.combinations(range(n), size):
            m = sum(1 << i for i in chosen)
            if all(lm & ~m for lm in masks):
                return size
    return 0


# ---------------------------------------------------------------------------------------------
# degrees by msolve on random slices


def integer_terms(g: Any) -> list[tuple[tuple[int, ...], int]]:
    _, q = g.clear_denoms(convert=True)
    return [(tuple(int(a) for a in m), int(c)) for m, c in q.terms()]


def _text(terms: list[tuple[tuple[int, ...], int]], p: int, names: list[str]) -> str:
    out = []
    for mono, c in terms:
        c %= p
        if c:
            factors = [f"{names[i]}^{a}" if a > 1 else names[i] for i, a in enumerate(mono) if a]
            out.append("*".join([str(c)] + factors))
    return " + ".join(out) or "0"


def slice_counts(G: Any, dim: int, n: int, ps: list[int], seed: int) -> list[PrimeCount]:
    """msolve's count of Z(G) ∩ {dim − 1 random linear forms} ∩ {a random affine chart}."""
    names = [f"c{i}" for i in range(n)]
    basis = [integer_terms(g) for g in G.polys]
    counts = []
    for p in ps:
        rng = random.Random(f"singular-locus:{seed}:{p}:{G.exprs}")
        forms = []
        for k in range(dim):
            row = [((0,) * i + (1,) + (0,) * (n - i - 1), rng.randrange(1, p)) for i in range(n)]
            forms.append(_text(row + ([((0,) * n, p - 1)] if k == dim - 1 else []), p, names))
        eqs = [t for t in (_text(b, p, names) for b in basis) if t != "0"] + forms
        counts.append(count_solutions(eqs, names, p))
    return counts


def slice_degree(counts: list[PrimeCount], what: str) -> int:
    values = {c.solutions for c in counts}
    if None in values:
        raise InternalError(
            f"{what}: a slice by dim − 1 linear forms is not finite mod {counts[0].prime}; the "
            "dimension read from the Gröbner basis disagrees"
        )
    if len(values) != 1:
        raise NeurovarietyError(
            f"{what}: slice counts disagree across primes {[c.prime for c in counts]}: "
            f"{[c.solutions for c in counts]} (a bad prime); rerun with another seed"
        )
    return int(values.pop())  # type: ignore[arg-type]
