"""The symmetry group of ``symmetry()`` against exact fibers computed with sympy.

The oracle shares no code with the library: it writes the network out symbolically from its
definition (MLP: W_L σ(⋯σ(W_1 x + b_1)⋯); CNN: layer i reads inputs t·s_i … t·s_i + k_i − 1,
PCN arXiv:2410.00722), picks integer parameters θ in the gauge chart (monomial σ: first
incoming weight of each hidden neuron, resp. first entry of filters 1..L−1, fixed to 1), and
solves f_z = f_θ over Q by a Gröbner basis. The fiber is finite iff the ideal is
zero-dimensional; its number of distinct complex points is the degree of the squarefree part of
the characteristic polynomial of a random linear form acting on the quotient ring.

A finite symmetry group acting freely on generic fibers makes the fiber a union of orbits, so
the fiber size must equal the group's order wherever the network is identifiable up to it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction

import pytest
import sympy as sp
from sympy.polys.orderings import grevlex

from neurovariety import parse_architecture
from neurovariety.invariants.dimension import dimension
from neurovariety.invariants.identifiability import fiber, symmetry
from neurovariety.results import Verdict

Poly = Sequence[int]  # σ's coefficients, ascending


def _sigma(coeffs: Poly, z: sp.Expr) -> sp.Expr:
    return sum((c * z**e for e, c in enumerate(coeffs)), sp.Integer(0))


def _mlp(widths: Sequence[int], coeffs: Poly, bias: bool, theta: list) -> tuple[list, list]:
    xs = list(sp.symbols(f"x0:{widths[0]}"))
    h: list = xs
    it = iter(theta)
    for i in range(len(widths) - 1):
        pre = []
        for _ in range(widths[i + 1]):
            row = [next(it) for _ in range(widths[i] + int(bias))]
            pre.append(sum(w * v for w, v in zip(row, h, strict=False)) + (row[-1] if bias else 0))
        h = pre if i == len(widths) - 2 else [_sigma(coeffs, z) for z in pre]
    return xs, h


def _cnn(filters: Sequence[int], strides: Sequence[int], coeffs: Poly, theta: list):
    L = len(filters)
    s = [*strides, 1]
    sizes = [1]  # from the output side: n_{i−1} = (n_i − 1)·s_i + k_i
    for i in range(L - 1, -1, -1):
        sizes.insert(0, (sizes[0] - 1) * s[i] + filters[i])
    xs = list(sp.symbols(f"x0:{sizes[0]}"))
    h: list = xs
    it = iter(theta)
    for i in range(L):
        w = [next(it) for _ in range(filters[i])]
        pre = [sum(w[j] * h[t * s[i] + j] for j in range(filters[i])) for t in range(sizes[i + 1])]
        h = pre if i == L - 1 else [_sigma(coeffs, z) for z in pre]
    return xs, h


def _monomial(coeffs: Poly) -> bool:
    return sum(1 for c in coeffs if c) == 1 and coeffs[0] == 0


def _chart(kind: str, shape: Sequence[int], coeffs: Poly, bias: bool) -> tuple[int, list[int]]:
    """(number of parameters, indices fixed to 1) in the oracle's own parameter order."""
    fixed: list[int] = []
    if kind == "mlp":
        n = 0
        for i in range(len(shape) - 1):
            cols = shape[i] + int(bias)
            if _monomial(coeffs) and i < len(shape) - 2:
                fixed += [n + j * cols for j in range(shape[i + 1])]
            n += cols * shape[i + 1]
        return n, fixed
    if _monomial(coeffs):
        fixed = [sum(shape[:i]) for i in range(len(shape) - 1)]
    return sum(shape), fixed


def _fiber_at_random_point(case: tuple, rng: random.Random) -> int | None:
    """Number of complex points z in the chart with f_z = f_θ, θ random; None if infinite."""
    kind, shape, coeffs, bias, strides = case
    n, fixed = _chart(kind, shape, coeffs, bias)
    free = [i for i in range(n) if i not in fixed]
    zs = list(sp.symbols(f"z0:{len(free)}"))
    # Wide enough that a special θ (two proportional rows, a zero) is unlikely.
    theta = [rng.choice((-1, 1)) * rng.randint(1, 30) for _ in free]

    def full(values: list) -> list:
        out: list = [1] * n
        for i, v in zip(free, values, strict=True):
            out[i] = v
        return out

    if kind == "mlp":
        xs, fz = _mlp(shape, coeffs, bias, full(zs))
        _, ft = _mlp(shape, coeffs, bias, full(theta))
    else:
        xs, fz = _cnn(shape, strides, coeffs, full(zs))
        _, ft = _cnn(shape, strides, coeffs, full(theta))
    eqs = [c for a, b in zip(fz, ft, strict=True) for c in sp.Poly(sp.expand(a - b), *xs).coeffs()]
    G = sp.groebner(eqs, *zs, order="grevlex", domain=sp.QQ)
    assert list(G.exprs) != [1], "θ itself lies in its fiber"
    if not G.is_zero_dimensional:
        return None
    leading = [max(sp.Poly(g, *zs).monoms(), key=grevlex) for g in G.exprs]
    standard: list[tuple[int, ...]] = []
    todo, seen = [(0,) * len(zs)], {(0,) * len(zs)}
    while todo:
        m = todo.pop()
        if any(all(a >= b for a, b in zip(m, lm, strict=True)) for lm in leading):
            continue
        standard.append(m)
        for i in range(len(zs)):
            up = tuple(a + (j == i) for j, a in enumerate(m))
            if up not in seen:
                seen.add(up)
                todo.append(up)
    index = {m: j for j, m in enumerate(standard)}
    ell = sum(rng.randint(-9, 9) * z for z in zs)
    M = sp.zeros(len(standard), len(standard))
    for j, m in enumerate(standard):
        _, rem = G.reduce(sp.expand(ell * sp.Mul(*(z**e for z, e in zip(zs, m, strict=True)))))
        for mono, c in sp.Poly(rem, *zs).terms():
            M[index[mono], j] = c
    t = sp.Symbol("t")
    p = M.charpoly(t).as_expr()
    return int(sp.degree(sp.quo(p, sp.gcd(p, sp.diff(p, t)), t), t))


def exact_fiber_size(
    kind: str,
    shape: Sequence[int],
    coeffs: Poly,
    *,
    bias: bool = False,
    strides: Sequence[int] = (),
    seed: int = 0,
) -> int | None:
    """The generic fiber's size from two random θ (None: the generic fiber is infinite).

    A special θ can only raise the fiber's dimension or merge and lose points, so the generic
    fiber is the finite one of the larger size; two draws make a special one harmless.
    """
    case = (kind, shape, coeffs, bias, strides)
    sizes = [_fiber_at_random_point(case, random.Random(seed + i)) for i in range(2)]
    finite = [n for n in sizes if n is not None]
    return max(finite) if finite else None


def _spec(kind: str, shape: Sequence[int], coeffs: Poly, bias: bool, strides: Sequence[int]) -> str:
    sigma = "+".join(f"{Fraction(c)}*x^{e}" for e, c in enumerate(coeffs) if c).replace("+-", "-")
    if kind == "mlp":
        return f"mlp {'-'.join(map(str, shape))} {sigma}" + (" bias" if bias else "")
    s = f" s={','.join(map(str, strides))}" if strides else ""
    return f"cnn k={','.join(map(str, shape))}{s} {sigma}"


# Exponent patterns by the symmetry they give: odd, even (with and without σ(0)), cube roots of
# unity, none, monomial, affine. Coefficients are drawn at random.
PATTERNS = [
    (1, 3),
    (2, 4),
    (0, 2),
    (1, 4),
    (0, 3),
    (1, 2),
    (0, 1, 2),
    (1, 2, 3),
    (2,),
    (3,),
    (0, 1),
]
MLP_SHAPES = [(1, 1, 1), (2, 1, 1), (2, 1, 2), (3, 1, 1), (2, 2, 1), (2, 2, 2)]
MLP_BIAS_SHAPES = [(1, 1, 1), (2, 1, 1)]
CNN_SHAPES = [((2, 2), (1,)), ((2, 2), (2,)), ((3, 2), (1,)), ((3, 2), (2,)), ((2, 3), (2,))]
CNN_DEEP = [((2, 2, 2), (1, 1)), ((2, 2, 2), (2, 2))]


def _cases(n: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        pattern = rng.choice(PATTERNS)
        coeffs = [0] * (max(pattern) + 1)
        for e in pattern:
            coeffs[e] = rng.choice((-3, -2, -1, 1, 2, 3))
        family = rng.choice(("mlp", "mlp bias", "cnn", "cnn"))
        if family == "mlp":
            out.append(("mlp", rng.choice(MLP_SHAPES), tuple(coeffs), False, ()))
        elif family == "mlp bias":
            out.append(("mlp", rng.choice(MLP_BIAS_SHAPES), tuple(coeffs), True, ()))
        else:  # three layers only with degree ≤ 2: the Gröbner bases grow fast
            shapes = CNN_SHAPES + (CNN_DEEP if max(pattern) <= 2 else [])
            if pattern == (0, 1):  # affine σ: stride 1 swaps factors as in an LCN, see below
                shapes = [sh for sh in shapes if 1 not in sh[1]]
            shape, strides = rng.choice(shapes)
            out.append(("cnn", shape, tuple(coeffs), False, strides))
    return out


def _check(kind: str, shape: tuple, coeffs: tuple, bias: bool, strides: tuple) -> None:
    arch = parse_architecture(_spec(kind, shape, coeffs, bias, strides))
    size = exact_fiber_size(kind, shape, coeffs, bias=bias, strides=strides, seed=1)
    n_fixed = len(_chart(kind, shape, coeffs, bias)[1])
    fdim = dimension(arch).fiber_dimension
    if size is None:  # the chart fixes one weight per rescaling: a curve is left in it
        assert fdim > n_fixed
    else:
        assert fdim == n_fixed
        assert symmetry(arch)[1] == size


@pytest.mark.parametrize("case", _cases(60, seed=1), ids=lambda c: _spec(*c))
def test_symmetry_order_is_the_exact_fiber_size(case: tuple) -> None:
    _check(*case)


@pytest.mark.slow
@pytest.mark.parametrize("case", _cases(400, seed=2), ids=lambda c: _spec(*c))
def test_symmetry_order_is_the_exact_fiber_size_more(case: tuple) -> None:
    _check(*case)


# The four false certificates: fibers of 2^{L−1} (CNN) and 2^d·d! (MLP) sign-flipped copies.
REPORTED = [
    ("cnn", (3, 2), (1, 0, 1), False, (2,), 2),  # x^2+1: w_1 ↦ −w_1
    ("cnn", (2, 2), (0, 1, 0, 1), False, (2,), 2),  # x^3+x: (w_1, w_2) ↦ (−w_1, −w_2)
    ("mlp", (2, 2, 1), (1, 0, 1, 0, 1), False, (), 8),  # x^4+x^2+1
    ("mlp", (2, 2, 2), (1, 0, 1), False, (), 8),  # x^2+1
    ("mlp", (2, 2, 1), (0, 1, 0, 0, 1), False, (), 18),  # x^4+x: cube roots of unity, 3^2·2!
    ("mlp", (2, 1, 1), (1, 1, 0, 1), True, (), 2),  # x^3+x+1 with bias: odd up to a constant
    ("cnn", (2, 2, 2), (1, 0, 1), False, (2, 2), 4),  # flip w_1, w_2 alone
]


@pytest.mark.parametrize("case", REPORTED, ids=lambda c: _spec(*c[:5]))
def test_reported_fibers_are_the_sign_flips(case: tuple) -> None:
    *arch_case, expected = case
    assert exact_fiber_size(*arch_case[:3], bias=arch_case[3], strides=arch_case[4]) == expected
    assert symmetry(parse_architecture(_spec(*arch_case)))[1] == expected


def test_fiber_does_not_certify_sign_flips() -> None:
    # Monodromy against the oracle: 8 = 2^2·2! points, one orbit, identifiable.
    r = fiber(parse_architecture("mlp 2-2-2 x^2+1"), seed=0, method="monodromy")
    assert r.size == exact_fiber_size("mlp", (2, 2, 2), (1, 0, 1)) == 8
    assert r.symmetry_order == 8 and r.identifiable is Verdict.YES and not r.certified


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec, case",
    [
        ("cnn k=3,2 s=2 x^2+1", ("cnn", (3, 2), (1, 0, 1), False, (2,))),
        ("cnn k=2,2 s=2 x^3+x", ("cnn", (2, 2), (0, 1, 0, 1), False, (2,))),
        ("mlp 2-2-1 x^4+x^2+1", ("mlp", (2, 2, 1), (1, 0, 1, 0, 1), False, ())),
        ("mlp 2-2-1 x^4+x", ("mlp", (2, 2, 1), (0, 1, 0, 0, 1), False, ())),
    ],
)
def test_fiber_size_matches_the_oracle(spec: str, case: tuple) -> None:
    r = fiber(parse_architecture(spec), seed=0, method="monodromy")
    assert r.size == exact_fiber_size(case[0], case[1], case[2], bias=case[3], strides=case[4])
    assert r.identifiable is Verdict.YES and not r.certified


def test_affine_activation_keeps_the_lcn_factor_swap() -> None:
    # σ = x + 2, k = 2,2, s = 1: f = (w_2 ⋆ w_1)·x + 2(w_20 + w_21). The product of the two
    # linear filter polynomials also factors with the roles swapped, w_1' = w_2/μ, w_2' = μ·w_1,
    # and μ = S(w_2)/S(w_1) (S: sum of entries) keeps the constant: a second point. This swap
    # is a rational map of θ, not the LCN's plain swap, and symmetry() does not count it.
    assert exact_fiber_size("cnn", (2, 2), (2, 1), strides=(1,)) == 2
    assert symmetry(parse_architecture("cnn k=2,2 x+2"))[1] == 1
