"""Tests of neurovariety.invariants.formulas against independently known values.

Three kinds of oracle:

1. values stated in the literature (KTB, AH, PCN, KMST, DHOST, FO), with hand computations
   written out in comments;
2. second methods that share no code with the module (Giambelli–Thom–Porteous, a sympy
   expansion of the multivariate Chern polynomial, sympy division for Friedland–Ottaviani,
   a Lagrange-multiplier count for quadric hypersurfaces);
3. exact Jacobian ranks mod a large prime of the actual parametrizations (MLPs and CNNs): a rank
   at a random point is a lower bound of the dimension, so it must never exceed a proven upper
   bound, and where it meets one the dimension is certified.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction
from math import comb, factorial, prod

import flint
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from neurovariety.errors import ArchitectureError, FieldError
from neurovariety.invariants.formulas import (
    cnn_filter_size,
    determinantal_degree,
    eckart_young_ed_degree,
    friedland_ottaviani_count,
    generic_ed_degree_from_chern,
    is_alexander_hirschowitz_defective,
    lcn_degree,
    lcn_dim,
    lcn_ed_degree,
    lcn_is_filling,
    linear_network_degree,
    linear_network_dim,
    linear_network_ed_degree,
    linear_network_fiber_dim,
    linear_network_invariants,
    mlp_ambient_dim,
    mlp_composition_bound,
    mlp_expected_dim,
    mlp_known_dim,
    mlp_n_params,
    mlp_naive_bound,
    mlp_upper_bound,
    pcn_degree,
    pcn_dim,
    pcn_ed_degree,
    schwartz_zippel_bound,
    segre_veronese_chern_degrees,
    segre_veronese_degree,
    segre_veronese_generic_ed_degree,
    shallow_mlp_dim,
)

PRIME = 2**31 - 1  # Schwartz–Zippel: a rank drop at a random point has probability ~ deg / p

# --------------------------------------------------------------------------------------------
# Exact Jacobian rank of a network parametrization over F_p (an independent oracle)
# --------------------------------------------------------------------------------------------


def _network_jacobian_rank(
    shapes: list[tuple[int, int]],
    patterns: list[list[np.ndarray]],
    r: int,
    seed: int,
) -> int:
    """Rank over F_p of d(params ↦ network evaluated at random points).

    Layer ``i`` has the matrix ``M_i = Σ_θ θ · E_θ`` over its parameters, ``σ = x^r`` between
    layers, none after the last. Evaluating at ``n_params + 2`` random points is injective on the
    span of the Jacobian columns with high probability (Schwartz–Zippel).
    """
    rng = random.Random(seed)
    n_params = sum(len(p) for p in patterns)
    n_points = n_params + 2

    def rand(shape: tuple[int, ...]) -> np.ndarray:
        return np.array(
            [rng.randrange(1, PRIME) for _ in range(prod(shape))], dtype=object
        ).reshape(shape)

    params = [rand((len(p),)) for p in patterns]
    mats = [
        sum((t * e for t, e in zip(th, pat, strict=True)), np.zeros(shape, dtype=object)) % PRIME
        for th, pat, shape in zip(params, patterns, shapes, strict=True)
    ]
    x = rand((n_points, shapes[0][1]))
    pre = []  # pre-activations z_i
    h = x
    for i, m in enumerate(mats):
        z = h.dot(m.T) % PRIME
        pre.append(z)
        h = z if i == len(mats) - 1 else (z**r) % PRIME
    inputs = [x] + [(z**r) % PRIME for z in pre[:-1]]
    columns = []
    for layer, pat in enumerate(patterns):
        for e in pat:
            dz = inputs[layer].dot(e.T) % PRIME
            for j in range(layer + 1, len(mats)):
                dh = (r * pre[j - 1] ** (r - 1) * dz) % PRIME
                dz = dh.dot(mats[j].T) % PRIME
            columns.append([int(v) for v in dz.reshape(-1)])
    rows = len(columns[0])
    entries = [columns[c][i] for i in range(rows) for c in range(n_params)]
    return int(flint.nmod_mat(rows, n_params, entries, PRIME).rank())


def _unit(shape: tuple[int, int], i: int, j: int) -> np.ndarray:
    e = np.zeros(shape, dtype=object)
    e[i, j] = 1
    return e


def mlp_rank(widths: tuple[int, ...], r: int, seed: int = 1) -> int:
    shapes = [(b, a) for a, b in itertools.pairwise(widths)]
    patterns = [[_unit(s, i, j) for i in range(s[0]) for j in range(s[1])] for s in shapes]
    return _network_jacobian_rank(shapes, patterns, r, seed)


def cnn_rank(filters: tuple[int, ...], strides: tuple[int, ...], r: int, seed: int = 1) -> int:
    """Rank for the first output of a single-channel 1D CNN (its other outputs are shifts of it,
    PCN arXiv:2410.00722)."""
    sizes = [1]  # neurons per layer, computed from the output backwards
    for k, s in zip(reversed(filters), reversed(strides), strict=True):
        sizes.append((sizes[-1] - 1) * s + k)
    sizes.reverse()
    shapes = [(sizes[i + 1], sizes[i]) for i in range(len(filters))]
    patterns = []
    for (n_out, n_in), k, s in zip(shapes, filters, strides, strict=True):
        layer = []
        for u in range(k):
            e = np.zeros((n_out, n_in), dtype=object)
            for t in range(n_out):
                e[t, t * s + u] = 1
            layer.append(e)
        patterns.append(layer)
    assert sizes[0] == cnn_filter_size(filters, strides)
    return _network_jacobian_rank(shapes, patterns, r, seed)


# --------------------------------------------------------------------------------------------
# Monomial MLPs
# --------------------------------------------------------------------------------------------


def test_ktb_example_hand_computation() -> None:
    # d = (2,3,2,3,4). N = 6+6+6+12 = 30, hidden 3+2+3 = 8, naive 22.
    # r = 2: D = 8, A = 4*C(9,1) = 36, expected 22. Split at d_2 = 2:
    #   B(2,3,2) = min(A = 2*C(3,1) = 6, naive 9) = 6; B(2,3,4) = min(A = 4*3 = 12, 15) = 12;
    #   6 + 12 - 2 = 16 (other splits give 19).
    # r = 3: B(2,3,2) = min(2*C(4,1) = 8, 9) = 8; B(2,3,4) = min(16, 15) = 15; 8 + 15 - 2 = 21.
    d = (2, 3, 2, 3, 4)
    assert mlp_n_params(d) == 30
    assert mlp_naive_bound(d) == 22
    assert mlp_ambient_dim(d, 2) == 36
    assert mlp_expected_dim(d, 2) == mlp_expected_dim(d, 3) == 22
    assert mlp_composition_bound(d, 2) == 16
    assert mlp_composition_bound(d, 3) == 21


@pytest.mark.parametrize(("r", "true_dim"), [(2, 16), (3, 21)])
def test_ktb_example_certified_by_jacobian_rank(r: int, true_dim: int) -> None:
    # KTB's values, and the rank of the actual parametrization meets the bound.
    d = (2, 3, 2, 3, 4)
    assert mlp_rank(d, r) == true_dim == mlp_upper_bound(d, r)


def test_ambient_and_params_small_cases() -> None:
    # (2,2,1), r = 3: binary cubics, A = C(3+1, 1) = 4; N = 4 + 2 = 6; naive 6 - 2 = 4.
    assert mlp_ambient_dim((2, 2, 1), 3) == 4
    assert mlp_n_params((2, 2, 1)) == 6
    assert mlp_naive_bound((2, 2, 1)) == 4
    # L = 1 is a linear map: A = d_1 * d_0
    assert mlp_ambient_dim((3, 5), 7) == 15
    assert mlp_composition_bound((3, 5), 2) == 15
    # naive = d_L + Σ (d_{i-1} - 1) d_i
    d = (4, 3, 5, 2)
    assert mlp_naive_bound(d) == 2 + 3 * 3 + 2 * 5 + 4 * 2


# shallow single-output: the Alexander–Hirschowitz exception (3,2,1), r = 2: rank <= 2 ternary
# quadrics, 6 - 1 = 5
@pytest.mark.parametrize(
    ("d0", "d1", "r", "dim"),
    [
        (3, 2, 2, 5),  # expected 6
        (4, 3, 2, 9),  # 3*4 - 3 = 9 < 10
        (2, 5, 2, 3),  # all binary quadrics
        (3, 5, 4, 14),  # AH: 15 expected
        (4, 9, 4, 34),  # AH: 35 expected
        (5, 14, 4, 69),  # AH: 70 expected
        (5, 7, 3, 34),  # AH: 35 expected
        (5, 8, 3, 35),  # one more summand fills
        (3, 4, 4, 12),  # not defective
        (2, 1, 5, 2),  # one power of a linear form: 2
        (4, 3, 1, 4),  # r = 1: all linear forms
    ],
)
def test_shallow_values(d0: int, d1: int, r: int, dim: int) -> None:
    assert shallow_mlp_dim(d0, d1, r) == dim
    expected = min(d0 * d1, comb(d0 + r - 1, r))
    assert is_alexander_hirschowitz_defective(d0, r, d1) == (dim < expected)


@pytest.mark.parametrize(
    ("d0", "d1", "r"),
    [(3, 2, 2), (4, 3, 2), (3, 5, 4), (5, 7, 3), (4, 9, 4), (3, 4, 3), (2, 3, 5), (4, 2, 3)],
)
def test_shallow_matches_jacobian_rank(d0: int, d1: int, r: int) -> None:
    assert mlp_rank((d0, d1, 1), r) == shallow_mlp_dim(d0, d1, r)


def test_shallow_largest_ah_exception_rank() -> None:
    # (5, 4, 14): 14 fourth powers in 5 variables span a hypersurface of the 70-dim space
    assert mlp_rank((5, 14, 1), 4) == 69 == shallow_mlp_dim(5, 14, 4)


@pytest.mark.parametrize("widths", [(2, 2, 2), (3, 3, 3), (2, 2, 2, 2), (3, 3, 3, 3)])
@pytest.mark.parametrize("r", [2, 3])
def test_equi_width_attains_expected(widths: tuple[int, ...], r: int) -> None:
    # FRWY: equi-width architectures are never defective
    if mlp_ambient_dim(widths, r) > 200:
        pytest.skip("too large for a fast test")
    assert mlp_known_dim(widths, r) == mlp_expected_dim(widths, r)
    assert mlp_rank(widths, r) == mlp_expected_dim(widths, r)


def test_linear_mlp_is_determinantal() -> None:
    # r = 1: rank <= 2 maps R^4 -> R^5, dim 2*(4+5-2) = 14
    assert mlp_known_dim((4, 2, 5), 1) == 14
    assert mlp_rank((4, 2, 5), 1) == 14 == mlp_upper_bound((4, 2, 5), 1)


widths_strategy = st.lists(st.integers(1, 4), min_size=2, max_size=5).map(tuple)


@settings(max_examples=60, deadline=None)
@given(widths=widths_strategy, r=st.integers(1, 4))
def test_bound_ordering(widths: tuple[int, ...], r: int) -> None:
    upper = mlp_upper_bound(widths, r)
    assert mlp_expected_dim(widths, r) <= mlp_ambient_dim(widths, r)
    assert mlp_composition_bound(widths, r) <= mlp_naive_bound(widths) or len(widths) == 2
    assert upper <= mlp_composition_bound(widths, r)
    assert upper <= mlp_expected_dim(widths, r)
    known = mlp_known_dim(widths, r)
    if known is not None:
        assert upper == known


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple),
    r=st.integers(1, 3),
    seed=st.integers(0, 10**6),
)
def test_jacobian_rank_never_exceeds_upper_bound(
    widths: tuple[int, ...], r: int, seed: int
) -> None:
    rank = mlp_rank(widths, r, seed)
    assert rank <= mlp_upper_bound(widths, r)
    known = mlp_known_dim(widths, r)
    if known is not None:  # a theorem gives the dimension: the generic rank must meet it
        assert rank == known


# --------------------------------------------------------------------------------------------
# Linear networks and determinantal varieties
# --------------------------------------------------------------------------------------------


def _porteous(m: int, n: int, rho: int) -> int:
    # Giambelli–Thom–Porteous (Harris, Example 19.10): Π_{i<n-ρ} (m+i)! i! / ((ρ+i)! (m-ρ+i)!)
    value = Fraction(1)
    for i in range(n - rho):
        value *= Fraction(
            factorial(m + i) * factorial(i), factorial(rho + i) * factorial(m - rho + i)
        )
    assert value.denominator == 1
    return value.numerator


@pytest.mark.parametrize(
    ("m", "n", "rho", "degree"),
    [(3, 3, 2, 3), (2, 3, 1, 3), (2, 2, 1, 2), (3, 3, 1, 6), (4, 4, 2, 20), (5, 5, 0, 1)],
)
def test_determinantal_known_values(m: int, n: int, rho: int, degree: int) -> None:
    # 3x3 rank<=2: the determinant, degree 3; 2x3 rank 1: Segre P^1xP^2, degree 3;
    # 3x3 rank 1: Segre P^2xP^2, degree C(4,2) = 6.
    assert determinantal_degree(m, n, rho) == degree


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 8), n=st.integers(1, 8), rho=st.integers(0, 8))
def test_determinantal_vs_porteous_and_segre(m: int, n: int, rho: int) -> None:
    deg = determinantal_degree(m, n, rho)
    assert deg == determinantal_degree(n, m, rho)
    if rho < min(m, n):
        assert deg == _porteous(max(m, n), min(m, n), rho) == _porteous(m, n, rho)
    else:
        assert deg == 1
    if rho == 1:
        assert deg == segre_veronese_degree((m - 1, n - 1))


def test_eckart_young_and_two_layer_invariants() -> None:
    assert eckart_young_ed_degree(3, 5, 2) == 3
    assert eckart_young_ed_degree(4, 4, 4) == eckart_young_ed_degree(4, 4, 9) == 1
    # Invitation appendix: N0 -> N1 -> N2 = 4 -> 2 -> 5
    assert linear_network_dim((4, 2, 5)) == 2 * (4 + 5 - 2)
    assert linear_network_fiber_dim((4, 2, 5)) == 4  # GL(2)
    assert linear_network_degree((4, 2, 5)) == _porteous(5, 4, 2)
    assert linear_network_ed_degree((4, 2, 5)) == comb(4, 2)
    inv = linear_network_invariants((3, 3, 3))
    assert (inv.rank, inv.dim, inv.degree, inv.frobenius_ed_degree, inv.filling) == (
        3,
        9,
        1,
        1,
        True,
    )


@settings(max_examples=40, deadline=None)
@given(n0=st.integers(1, 6), n1=st.integers(1, 6), n2=st.integers(1, 6))
def test_two_layer_fiber_is_gl(n0: int, n1: int, n2: int) -> None:
    if n1 <= min(n0, n2):
        assert linear_network_fiber_dim((n0, n1, n2)) == n1 * n1
    assert linear_network_dim((n0, n1, n2)) <= n0 * n2


# --------------------------------------------------------------------------------------------
# Segre–Veronese: degree, Chern classes, generic ED degree
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dims", "weights", "ged"),
    [
        ((1, 1), (1, 1), 6),  # 2x2 rank-one matrices
        ((1, 2), (1, 1), 10),
        ((1, 1, 1), (1, 1, 1), 34),
        ((1,), (2,), 4),  # conic
        ((1,), (3,), 7),  # twisted cubic
        ((1, 1), (2, 1), 14),
    ],
)
def test_generic_ed_theory_checks(
    dims: tuple[int, ...], weights: tuple[int, ...], ged: int
) -> None:
    assert segre_veronese_generic_ed_degree(dims, weights) == ged


def test_generic_ed_hand_computation_p1xp1() -> None:
    # c(TX) = (1+h1)^2 (1+h2)^2, H = h1 + h2, ∫ h1 h2 = 1:
    # deg c0 = ∫ H^2 = 2, deg c1 = ∫ 2(h1+h2) H = 4, deg c2 = ∫ 4 h1 h2 = 4;
    # gED = 7*2 - 3*4 + 1*4 = 6.
    assert segre_veronese_chern_degrees((1, 1)) == (2, 4, 4)
    assert generic_ed_degree_from_chern((2, 4, 4)) == 6


@pytest.mark.parametrize("d", range(1, 9))
def test_rational_normal_curve(d: int) -> None:
    # DHOST: generic ED degree of ν_d(P^1) is 3d - 2
    assert segre_veronese_generic_ed_degree((1,), (d,)) == 3 * d - 2


@pytest.mark.parametrize("n", range(0, 8))
def test_linear_space_has_ed_degree_one(n: int) -> None:
    assert segre_veronese_generic_ed_degree((n,)) == 1


@pytest.mark.parametrize(("n", "d"), [(2, 2), (3, 2), (4, 2), (2, 3), (3, 3), (2, 4)])
def test_veronese_closed_form(n: int, d: int) -> None:
    # gED(ν_d(P^n)) = ((2d-1)^{n+1} - (d-1)^{n+1}) / d, e.g. ν_2(P^2): (27 - 1)/2 = 13.
    # Closed form as recalled from DHOST's Veronese section (theorem number not verified); for
    # n = 1 it reduces to 3d - 2.
    expected = Fraction((2 * d - 1) ** (n + 1) - (d - 1) ** (n + 1), d)
    assert segre_veronese_generic_ed_degree((n,), (d,)) == expected


def _sympy_chern_degrees(dims: tuple[int, ...], weights: tuple[int, ...]) -> list[int]:
    """deg c_i by brute-force multivariate expansion (independent of the module's reduction)."""
    h = sympy.symbols(f"h0:{len(dims)}")
    m = sum(dims)
    chern = sympy.expand(
        prod(((1 + hj) ** (mj + 1) for hj, mj in zip(h, dims, strict=True)), start=sympy.Integer(1))
    )
    hyper = sum((w * hj for w, hj in zip(weights, h, strict=True)), sympy.Integer(0))
    top = prod((hj**mj for hj, mj in zip(h, dims, strict=True)), start=sympy.Integer(1))
    chern_poly = sympy.Poly(chern, *h)
    result = []
    for i in range(m + 1):
        ci = sum(
            (
                c * prod((hj**e for hj, e in zip(h, mon, strict=True)), start=sympy.Integer(1))
                for mon, c in chern_poly.terms()
                if sum(mon) == i
            ),
            sympy.Integer(0),
        )
        integrand = sympy.Poly(sympy.expand(ci * hyper ** (m - i)), *h)
        result.append(int(integrand.coeff_monomial(top)))
    return result


@pytest.mark.parametrize(
    ("dims", "weights"),
    [((1, 1), (1, 1)), ((1, 2), (2, 1)), ((2, 2), (1, 3)), ((1, 1, 2), (4, 2, 1)), ((3,), (2,))],
)
def test_chern_degrees_vs_multivariate_expansion(
    dims: tuple[int, ...], weights: tuple[int, ...]
) -> None:
    assert list(segre_veronese_chern_degrees(dims, weights)) == _sympy_chern_degrees(dims, weights)


sv_strategy = st.lists(st.tuples(st.integers(0, 4), st.integers(1, 4)), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(factors=sv_strategy, data=st.data())
def test_segre_veronese_degree_properties(
    factors: list[tuple[int, int]], data: st.DataObject
) -> None:
    dims = tuple(m for m, _ in factors)
    weights = tuple(w for _, w in factors)
    perm = data.draw(st.permutations(range(len(factors))))
    degree = segre_veronese_degree(dims, weights)
    # symmetric under permuting the factors
    assert degree == segre_veronese_degree(
        tuple(dims[i] for i in perm), tuple(weights[i] for i in perm)
    )
    chern = segre_veronese_chern_degrees(dims, weights)
    assert chern[0] == degree  # deg c_0 = deg X
    assert chern[-1] == prod(m + 1 for m in dims)  # Euler characteristic of Π P^{m_j}
    assert segre_veronese_generic_ed_degree(dims, weights) == segre_veronese_generic_ed_degree(
        tuple(dims[i] for i in perm), tuple(weights[i] for i in perm)
    )
    # a P^0 factor changes nothing
    assert segre_veronese_generic_ed_degree((*dims, 0), (*weights, 5)) == (
        segre_veronese_generic_ed_degree(dims, weights)
    )


def _quadric_hypersurface_generic_ed(gram: sympy.Matrix, seed: int) -> int:
    """Critical points of (p-u)^T A (p-u) on {p^T G p = 0}, generic A and u.

    Lagrange: A(p - u) = λ G p, so p(λ) = adj(A - λG) A u / det(A - λG) and the count is the
    number of roots of the numerator of p(λ)^T G p(λ) that are not poles.
    """
    rng = random.Random(seed)
    n = gram.shape[0]
    b = sympy.Matrix(n, n, lambda i, j: rng.randint(-9, 9))
    a = b.T * b + sympy.eye(n)  # generic symmetric positive definite form
    u = sympy.Matrix(n, 1, lambda i, j: rng.randint(-9, 9))
    lam = sympy.Symbol("lam")
    shifted = a - lam * gram
    p = shifted.adjugate() * a * u
    numerator = sympy.Poly(sympy.expand((p.T * gram * p)[0, 0]), lam)
    det = sympy.Poly(shifted.det(), lam)
    reduced = sympy.quo(numerator, sympy.gcd(numerator, det**2))
    assert sympy.degree(sympy.gcd(reduced, reduced.diff(lam)), lam) == 0  # simple roots
    return int(sympy.degree(reduced, lam))


def test_generic_ed_vs_lagrange_for_quadric_hypersurfaces() -> None:
    half = sympy.Rational(1, 2)
    conic = sympy.Matrix([[0, 0, half], [0, -1, 0], [half, 0, 0]])  # xz - y^2
    segre = sympy.Matrix(  # xw - yz: 2x2 rank-one matrices, P^1 x P^1
        [[0, 0, 0, half], [0, 0, -half, 0], [0, -half, 0, 0], [half, 0, 0, 0]]
    )
    assert (
        _quadric_hypersurface_generic_ed(conic, 3)
        == 4
        == segre_veronese_generic_ed_degree((1,), (2,))
    )
    assert (
        _quadric_hypersurface_generic_ed(segre, 5) == 6 == segre_veronese_generic_ed_degree((1, 1))
    )


# --------------------------------------------------------------------------------------------
# Friedland–Ottaviani
# --------------------------------------------------------------------------------------------


def _sympy_fo(shape: tuple[int, ...]) -> int:
    t = sympy.symbols(f"t0:{len(shape)}")
    total = sympy.Integer(1)
    for i, n in enumerate(shape):
        hat = sum(t) - t[i]
        total *= sympy.cancel((hat**n - t[i] ** n) / (hat - t[i]))
    poly = sympy.Poly(sympy.expand(total), *t)
    return int(poly.coeff_monomial(prod(ti ** (n - 1) for ti, n in zip(t, shape, strict=True))))


@pytest.mark.parametrize(
    ("shape", "count"),
    [
        ((2, 2), 2),
        ((2, 2, 2), 6),
        ((3, 3, 3), 37),
        ((2, 2, 3), 8),
        ((2, 3, 3), 15),
        ((4, 4, 4), 240),
        ((5, 5, 5), 1621),
    ],
)
def test_friedland_ottaviani_known_values(shape: tuple[int, ...], count: int) -> None:
    # FO (Found. Comput. Math. 2014), table of singular-vector-tuple counts;
    # n×n×n: 6, 37, 240, 1621 for n = 2..5 (n = 4, 5 recalled from that table; the formula
    # itself is also checked against sympy below).
    assert friedland_ottaviani_count(shape) == count


@pytest.mark.parametrize("shape", [(2, 2, 2), (3, 3, 3), (2, 3, 4), (3, 4), (2, 2, 2, 2)])
def test_friedland_ottaviani_vs_sympy_division(shape: tuple[int, ...]) -> None:
    assert friedland_ottaviani_count(shape) == _sympy_fo(shape)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 7), n=st.integers(1, 7))
def test_friedland_ottaviani_matrices(m: int, n: int) -> None:
    # singular value pairs of a generic m x n matrix: min(m, n) = Eckart–Young for rank one
    assert friedland_ottaviani_count((m, n)) == min(m, n) == eckart_young_ed_degree(m, n, 1)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(2, 3), min_size=2, max_size=3), data=st.data())
def test_frobenius_below_generic_and_symmetric(shape: list[int], data: st.DataObject) -> None:
    # the ED degree for a special quadratic form never exceeds the generic one (DHOST)
    frob = friedland_ottaviani_count(tuple(shape))
    assert frob <= segre_veronese_generic_ed_degree(tuple(n - 1 for n in shape))
    perm = data.draw(st.permutations(shape))
    assert friedland_ottaviani_count(tuple(perm)) == frob


@pytest.mark.parametrize("head", [(2, 2), (2, 3), (3, 3)])
def test_friedland_ottaviani_stabilizes_beyond_boundary(head: tuple[int, int]) -> None:
    # FO: the count is constant once n_k - 1 >= Σ_{i<k} (n_i - 1) (boundary format)
    boundary = sum(n - 1 for n in head) + 1
    counts = {friedland_ottaviani_count((*head, n)) for n in range(boundary, boundary + 3)}
    assert len(counts) == 1


# --------------------------------------------------------------------------------------------
# Convolutional networks
# --------------------------------------------------------------------------------------------


def test_filter_size_hand_computation() -> None:
    # k = (3, 2), s = (2, ·): 3 + (2 - 1)*2 = 5; k = (2, 3, 2), s = (2, 3, ·): 2 + 2*2 + 1*6 = 12
    assert cnn_filter_size((3, 2), (2, 1)) == 5
    assert cnn_filter_size((2, 3, 2), (2, 3, 1)) == 12
    assert cnn_filter_size((4,), (7,)) == 4


@settings(max_examples=40, deadline=None)
@given(filters=st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_stride_one_lcn_fills(filters: list[int]) -> None:
    k = tuple(filters)
    ones = (1,) * len(k)
    assert cnn_filter_size(k, ones) == lcn_dim(k)
    assert lcn_is_filling(k, ones)
    assert lcn_degree(k, ones) == 1 == lcn_ed_degree(k, ones)


@settings(max_examples=40, deadline=None)
@given(filters=st.lists(st.integers(1, 5), min_size=1, max_size=4), r=st.integers(2, 4))
def test_pcn_degree_is_segre_veronese_degree(filters: list[int], r: int) -> None:
    k = tuple(filters)
    n_layers = len(k)
    weights = tuple(r ** (n_layers - 1 - j) for j in range(n_layers))
    dims = tuple(kj - 1 for kj in k)
    assert pcn_degree(k, r) == segre_veronese_degree(dims, weights)
    assert pcn_ed_degree(k, r) == segre_veronese_generic_ed_degree(dims, weights)
    # strides > 1: LCN degree is the Segre degree (Σ(k_i-1))! / Π (k_i-1)!
    assert lcn_degree(k) == factorial(sum(dims)) // prod(factorial(m) for m in dims)
    assert lcn_degree(k) == lcn_degree(k, (2,) * n_layers)
    assert lcn_ed_degree(k) == lcn_ed_degree(k, (3,) * n_layers)


def test_pcn_and_lcn_values() -> None:
    # k = (2, 2), r = 2: P^1 x P^1 in O(2, 1): degree 2!/(1!1!) * 2^1 = 4, gED 14
    assert pcn_dim((2, 2)) == 3
    assert pcn_degree((2, 2), 2) == 4
    assert pcn_ed_degree((2, 2), 2) == 14
    # k = (3, 2), s = 2: the hypersurface c1c2c3 - c0c3^2 - c1^2c4 (LCN arXiv:2401.16613): dim 4
    # in C^5, deg 3
    assert lcn_dim((3, 2)) == 4 == cnn_filter_size((3, 2), (2, 1)) - 1
    assert lcn_degree((3, 2)) == 3
    assert lcn_ed_degree((2, 2)) == 6  # Segre P^1 x P^1
    assert not lcn_is_filling((3, 2), (2, 1))
    # mixed strides merge the stride-one junction: (2,2,2), s = (2,1): P^1 x P^2, degree 3
    assert lcn_degree((2, 2, 2), (2, 1, 1)) == 3
    assert lcn_degree((2, 2, 2), (1, 2, 1)) == 3
    assert lcn_ed_degree((2, 2, 2), (2, 1, 1)) == segre_veronese_generic_ed_degree((1, 2))


@pytest.mark.parametrize(
    ("filters", "strides", "r"),
    [
        ((2, 2), (1, 1), 2),
        ((2, 2), (2, 1), 2),
        ((3, 2), (2, 1), 2),
        ((3, 3), (1, 1), 3),
        ((2, 3, 2), (2, 2, 1), 2),
        ((3, 2), (2, 1), 1),
        ((2, 2, 2), (1, 1, 1), 1),
    ],
)
def test_cnn_dim_matches_jacobian_rank(
    filters: tuple[int, ...], strides: tuple[int, ...], r: int
) -> None:
    assert cnn_rank(filters, strides, r) == pcn_dim(filters) == lcn_dim(filters)


# --------------------------------------------------------------------------------------------
# Schwartz–Zippel and errors
# --------------------------------------------------------------------------------------------


def test_schwartz_zippel() -> None:
    assert schwartz_zippel_bound(3, 7) == Fraction(3, 7)
    assert schwartz_zippel_bound(0, 7) == 0
    assert schwartz_zippel_bound(100, 7) == 1
    with pytest.raises(FieldError, match="field_size"):
        schwartz_zippel_bound(3, 0)
    with pytest.raises(FieldError, match="degree"):
        schwartz_zippel_bound(-1, 5)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mlp_ambient_dim((), 2), "at least 2"),
        (lambda: mlp_ambient_dim((3,), 2), "at least 2"),
        (lambda: mlp_ambient_dim((3, -1), 2), r"widths\[1\]"),
        (lambda: mlp_ambient_dim((3, 0, 1), 2), r"widths\[1\] must be >= 1"),
        (lambda: mlp_upper_bound((3, 2, 1), 0), "r must be >= 1"),
        (lambda: mlp_naive_bound((3, 2.5, 1)), "integer"),  # type: ignore[arg-type]
        (lambda: mlp_naive_bound("321"), "sequence"),  # type: ignore[arg-type]
        (lambda: mlp_n_params((3, True)), "bool"),
        (lambda: shallow_mlp_dim(0, 2, 2), "d0"),
        (lambda: pcn_degree((2, 2), 1), "r >= 2"),
        (lambda: pcn_dim(()), "filters"),
        (lambda: cnn_filter_size((2, 2), (2,)), "one stride per layer"),
        (lambda: cnn_filter_size((2, 2), (0, 1)), r"strides\[0\]"),
        (lambda: determinantal_degree(0, 3, 1), "m must be"),
        (lambda: eckart_young_ed_degree(2, 3, -1), "rank"),
        (lambda: segre_veronese_degree((1, 1), (1,)), "one weight per factor"),
        (lambda: segre_veronese_degree((1, -1)), r"dims\[1\]"),
        (lambda: segre_veronese_degree((1,), (0,)), r"weights\[0\]"),
        (lambda: friedland_ottaviani_count(()), "shape"),
        (lambda: generic_ed_degree_from_chern(()), "empty"),
    ],
)
def test_bad_input_raises_architecture_error(call: object, match: str) -> None:
    with pytest.raises(ArchitectureError, match=match):
        call()  # type: ignore[operator]


def test_numpy_integers_accepted() -> None:
    assert mlp_ambient_dim(np.array([2, 3, 1]).tolist(), np.int64(2)) == 3
    assert mlp_n_params((np.int32(2), np.int64(3))) == 6
