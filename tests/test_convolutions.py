"""Multi-channel and 2D convolutions against closed formulas and a hand-written forward pass.

The oracle below shares no code with the Layer construction: it convolves arrays of shape
(samples, channels, *positions) by strided slicing, carries the derivative with respect to every
parameter along (forward-mode, mod p), and ranks the Jacobian by its own Gaussian elimination.
Parameters are laid out layer by layer as w_i[out channel, in channel, *taps] (row-major).
"""

from __future__ import annotations

import math
import random
import subprocess
import sys

import numpy as np
import pytest

from neurovariety import CNN, LCN, Monomial, parse_architecture
from neurovariety.architectures import ConvNet, LinearConvNet
from neurovariety.errors import ArchitectureError
from neurovariety.invariants.dimension import dimension
from neurovariety.parametrization.exact import forward_mod_p

P = 1_000_003  # products stay below 2^40, sums of them far below 2^63


def _receptive_field(k: list[tuple[int, ...]], s: list[tuple[int, ...]]) -> tuple[int, ...]:
    """r = 1 + Σ_i (k_i − 1)·s_1⋯s_{i−1} per axis (the textbook receptive field)."""
    D = len(k[0])
    out = []
    for a in range(D):
        r, jump = 1, 1
        for i, f in enumerate(k):
            r += (f[a] - 1) * jump
            if i < len(s):
                jump *= s[i][a]
        out.append(r)
    return tuple(out)


def _hand_forward(
    k: list[tuple[int, ...]],
    c: list[int],
    s: list[tuple[int, ...]],
    sigma: list[int],
    theta: list[int],
    x: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Outputs (S, c_L) and Jacobian (S, c_L, n_params) mod P; σ(z) = Σ sigma[j] z^j."""
    n_params = len(theta)
    S = x.shape[0]
    h = x % P
    dh = np.zeros(h.shape + (n_params,), dtype=np.int64)
    offset = 0
    L = len(k)
    for i in range(L):
        stride = s[i] if i < L - 1 else (1,) * len(k[i])
        grid_in = h.shape[2:]
        grid_out = tuple((n - f) // st + 1 for n, f, st in zip(grid_in, k[i], stride, strict=True))
        out = np.zeros((S, c[i + 1]) + grid_out, dtype=np.int64)
        dout = np.zeros(out.shape + (n_params,), dtype=np.int64)
        K = math.prod(k[i])
        for o in range(c[i + 1]):
            for j in range(c[i]):
                for t, m in enumerate(np.ndindex(*k[i])):
                    idx = offset + (o * c[i] + j) * K + t
                    w = theta[idx]
                    sl = tuple(
                        slice(mm, mm + st * (g - 1) + 1, st)
                        for mm, st, g in zip(m, stride, grid_out, strict=True)
                    )
                    hs, dhs = h[(slice(None), j) + sl], dh[(slice(None), j) + sl]
                    out[:, o] = (out[:, o] + w * hs) % P
                    dout[:, o] = (dout[:, o] + w * dhs) % P
                    dout[:, o, ..., idx] = (dout[:, o, ..., idx] + hs) % P
        offset += c[i] * c[i + 1] * K
        h, dh = out, dout
        if i < L - 1:  # σ and σ' by Horner
            val = np.zeros_like(h) + sigma[-1]
            der = np.zeros_like(h)
            for coef in reversed(sigma[:-1]):
                der = (der * h + val) % P
                val = (val * h + coef) % P
            h, dh = val, (der[..., None] * dh) % P
    assert h.shape[2:] == (1,) * len(k[0])
    return h.reshape(S, c[-1]), dh.reshape(S, c[-1], n_params)


def _rank_mod(rows: list[list[int]]) -> int:
    m = [r[:] for r in rows]
    rank, ncols = 0, len(m[0]) if m else 0
    for col in range(ncols):
        piv = next((r for r in range(rank, len(m)) if m[r][col] % P), None)
        if piv is None:
            continue
        m[rank], m[piv] = m[piv], m[rank]
        inv = pow(m[rank][col], P - 2, P)
        m[rank] = [v * inv % P for v in m[rank]]
        for r in range(len(m)):
            if r != rank and m[r][col] % P:
                f = m[r][col]
                m[r] = [(a - f * b) % P for a, b in zip(m[r], m[rank], strict=True)]
        rank += 1
    return rank


def _hand_rank(k, c, s, sigma, n_samples: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    n_params = sum(c[i] * c[i + 1] * math.prod(k[i]) for i in range(len(k)))
    theta = [rng.randrange(1, P) for _ in range(n_params)]
    grid = _receptive_field(k, s)
    x = np.array([rng.randrange(P) for _ in range(n_samples * c[0] * math.prod(grid))])
    _, J = _hand_forward(k, c, s, sigma, theta, x.reshape((n_samples, c[0]) + grid))
    return _rank_mod(J.reshape(-1, n_params).tolist())


def _n_monomials(n: int, degree: int) -> int:
    """Monomials of degree ≤ ``degree`` in n variables."""
    return math.comb(n + degree, degree)


# (filters, channels, strides, σ coefficients or None for linear)
MULTI_1D = [
    ([(3,), (2,)], [1, 2, 1], [(2,)], [0, 0, 1]),
    ([(2,), (2,)], [1, 2, 1], [(1,)], [0, 0, 1]),
    ([(2,), (2,)], [2, 2, 1], [(1,)], [0, 0, 1]),
    ([(2,), (3,)], [1, 3, 1], [(2,)], [0, 0, 1]),
    ([(2,), (2,)], [2, 1, 2], [(2,)], [0, 0, 1]),
    ([(3,), (2,)], [1, 2, 2], [(1,)], [0, 0, 1]),
    ([(2,), (2,)], [1, 2, 1], [(2,)], [0, 1, 1]),
    ([(2,), (2,)], [1, 2, 1], [(1,)], [0, 0, 0, 1]),
    ([(2,), (2,), (2,)], [1, 2, 2, 1], [(1,), (1,)], [0, 0, 1]),
    ([(1,), (2,)], [2, 3, 1], [(1,)], [0, 0, 1]),
    ([(2,), (2,)], [1, 2, 1], [(1,)], None),
    ([(3,), (2,)], [2, 2, 1], [(2,)], None),
    ([(2,), (3,)], [1, 2, 2], [(2,)], None),
    ([(2,), (2,), (2,)], [1, 2, 2, 1], [(2,), (1,)], None),
    ([(3,), (3,)], [1, 1, 2], [(1,)], None),
    ([(2,), (2,)], [2, 3, 2], [(1,)], None),
    ([(1,), (1,)], [1, 3, 1], [(1,)], None),
    ([(2,), (1,)], [1, 3, 1], [(1,)], None),
    ([(3,), (2,)], [2, 1, 1], [(3,)], None),
    ([(2,), (2,)], [1, 3, 1], [(1,)], None),
    ([(2,), (2,)], [3, 1, 3], [(2,)], None),
]

MULTI_2D = [
    ([(2, 2), (2, 2)], [1, 1, 1], [(1, 1)], [0, 0, 1]),
    ([(2, 2), (2, 2)], [1, 2, 1], [(1, 1)], [0, 0, 1]),
    ([(2, 1), (1, 2)], [1, 2, 1], [(1, 1)], [0, 0, 1]),
    ([(2, 2), (2, 2)], [1, 1, 1], [(2, 2)], [0, 0, 1]),
    ([(2, 2), (2, 1)], [2, 1, 1], [(2, 1)], [0, 0, 1]),
    ([(1, 2), (2, 2)], [1, 2, 2], [(1, 2)], [0, 0, 1]),
    ([(2, 2), (1, 1)], [1, 3, 1], [(1, 1)], [0, 1, 1]),
    ([(2, 2), (2, 2)], [2, 2, 1], [(1, 1)], None),
    ([(2, 2), (2, 2)], [1, 2, 1], [(2, 1)], None),
    ([(3, 3), (2, 2)], [1, 2, 1], [(2, 2)], None),
    ([(2, 1), (1, 2), (2, 2)], [1, 2, 1, 1], [(1, 1), (1, 1)], None),
    ([(2, 2), (2, 2)], [2, 1, 2], [(1, 1)], None),
    ([(2, 2), (2, 2)], [1, 2, 1], [(2, 2)], [0, 0, 1]),
    ([(3, 1), (1, 3)], [1, 2, 1], [(1, 1)], [0, 0, 1]),
    ([(2, 2), (2, 2)], [2, 2, 2], [(1, 1)], [0, 0, 1]),
    ([(1, 1), (2, 2)], [2, 2, 1], [(1, 1)], [0, 0, 1]),
    ([(2, 2), (2, 2), (1, 1)], [1, 2, 2, 1], [(1, 1), (1, 1)], [0, 0, 1]),
    ([(2, 2), (2, 2)], [1, 2, 1], [(1, 1)], [0, 0, 0, 1]),
    ([(3, 3), (1, 1)], [1, 2, 2], [(1, 1)], None),
    ([(1, 1), (2, 3)], [3, 2, 2], [(1, 1)], None),
    ([(2, 2), (2, 2)], [1, 3, 2], [(2, 2)], None),
]

# single-channel 2D LCNs for the factorization formula Σ|k_i| − L + 1
LCN_2D = [
    ([(a, b), (c, d)], [(st, st)])
    for (a, b, c, d) in [
        (2, 2, 2, 2),
        (3, 3, 2, 2),
        (2, 3, 3, 2),
        (1, 2, 2, 1),
        (3, 2, 2, 2),
        (2, 2, 1, 1),
        (3, 3, 3, 3),
        (1, 3, 3, 1),
    ]
    for st in (1, 2)
] + [
    ([(2, 2), (2, 2), (2, 2)], [(1, 1), (1, 1)]),
    ([(2, 2), (2, 2), (2, 2)], [(2, 2), (1, 1)]),
    ([(2, 1), (1, 2), (2, 2)], [(1, 1), (2, 2)]),
    ([(3, 2), (2, 3)], [(2, 1)]),
    ([(2, 2), (3, 3)], [(1, 2)]),
]


def _arch(k, c, s, sigma):
    if sigma is None:
        return LinearConvNet(tuple(k), tuple(c), tuple(s))
    from neurovariety.architectures import Polynomial

    return ConvNet(tuple(k), tuple(c), tuple(s), Polynomial(tuple(sigma)))


def _degree(sigma, L: int) -> int:
    return 1 if sigma is None else (len(sigma) - 1) ** (L - 1)


@pytest.mark.parametrize("k,c,s,sigma", MULTI_1D + MULTI_2D)
def test_layers_match_the_hand_forward_pass(k, c, s, sigma):
    arch = _arch(k, c, s, sigma)
    grid = _receptive_field(k, s)
    assert arch.n_inputs == c[0] * math.prod(grid)
    assert arch.n_outputs == c[-1]
    rng = random.Random(7)
    theta = [rng.randrange(P) for _ in range(arch.n_params)]
    x = np.array([rng.randrange(P) for _ in range(3 * arch.n_inputs)]).reshape((3, c[0]) + grid)
    want, _ = _hand_forward(k, c, s, sigma or [0, 1], theta, x)
    got = forward_mod_p(arch, np.array(theta), x.reshape(3, -1), P)
    assert np.array_equal(np.asarray(got, dtype=np.int64) % P, want)


@pytest.mark.parametrize("k,c,s,sigma", MULTI_1D + MULTI_2D)
def test_dim_equals_the_hand_jacobian_rank(k, c, s, sigma):
    arch = _arch(k, c, s, sigma)
    # enough samples that evaluation is injective on polynomials of this degree
    n_samples = _n_monomials(arch.n_inputs, _degree(sigma, len(k))) + 1
    want = _hand_rank(k, c, s, sigma or [0, 1], n_samples)
    r = dimension(arch)
    assert r.dimension == want
    assert r.lower_bound == want
    assert r.upper_bound >= want


@pytest.mark.parametrize("k,s", LCN_2D)
def test_2d_lcn_dimension_is_the_factorization_count(k, s):
    """KMMT arXiv:2108.01538: the end-to-end filter is Π w_i(x^{S_i}, y^{T_i}); unique
    factorization gives dim = Σ|k_i| − (L − 1), for any strides."""
    arch = LinearConvNet(tuple(k), (1,) * (len(k) + 1), tuple(s))
    want = sum(math.prod(f) for f in k) - (len(k) - 1)
    r = dimension(arch)
    assert (r.dimension, r.certified) == (want, True)
    assert arch.expected_dim == want
    assert _hand_rank(k, [1] * (len(k) + 1), s, [0, 1], arch.n_inputs + 1) == want


def _determinantal(m: int, n: int, rho: int) -> int:
    rho = min(rho, m, n)
    return rho * (m + n - rho)


@pytest.mark.parametrize(
    "c0,c1,c2,k1,k2",
    [
        (1, 2, 1, 3, 1),
        (2, 2, 3, 2, 1),
        (1, 3, 2, 2, 1),
        (3, 1, 2, 2, 1),
        (2, 2, 2, 3, 1),
        (2, 1, 1, 1, 3),
        (3, 2, 1, 1, 2),
        (2, 3, 2, 1, 2),
        (4, 2, 2, 1, 3),
        (1, 2, 2, 1, 2),
    ],
)
def test_linear_1x1_layer_is_determinantal(c0, c1, c2, k1, k2):
    """k_2 = 1: f is a c_2 × c_0k_1 matrix of rank ≤ c_1; k_1 = 1: a c_2k_2 × c_0 one. The
    determinantal variety of rank ≤ ρ in m × n matrices has dimension ρ(m + n − ρ)."""
    arch = parse_architecture(f"lcn k={k1},{k2} c={c0},{c1},{c2} s=2")
    m, n = (c2, c0 * k1) if k2 == 1 else (c2 * k2, c0)
    r = dimension(arch)
    assert (r.dimension, r.certified) == (_determinantal(m, n, c1), True)


@pytest.mark.parametrize("c0,c1", [(2, 1), (2, 2), (3, 2), (4, 2), (2, 3), (3, 3), (4, 3)])
@pytest.mark.parametrize("shape", ["1", "1x1"])
def test_pointwise_quadratic_network_is_symmetric_determinantal(c0, c1, shape):
    """Filters of size 1 with σ = x² and one output: Σ_j a_j (w_j·x)² ranges over the quadratic
    forms in c_0 variables of rank ≤ c_1, dimension c_0c_1 − c_1(c_1 − 1)/2 (c_1 ≤ c_0)."""
    arch = parse_architecture(f"cnn k={shape},{shape} c={c0},{c1},1 x^2")
    rho = min(c0, c1)
    r = dimension(arch)
    assert r.dimension == c0 * rho - rho * (rho - 1) // 2
    # proven bounds: the ambient (met when c_1 ≥ c_0) and parameters − c_1 (met when c_1 = 1)
    assert r.certified == (c1 == 1 or c1 >= c0)


@pytest.mark.parametrize(
    "spec,cls",
    [
        ("cnn k=3,2 c=1,1,1 s=2 x^2", CNN((3, 2), 2, Monomial(2))),
        ("cnn k=3,2 s=2 x^2", CNN((3, 2), 2, Monomial(2))),
        ("lcn k=3,2,2 c=1,1,1,1 s=2,1", LCN((3, 2, 2), (2, 1))),
        ("lcn k=4", LCN((4,), ())),
    ],
)
def test_single_channel_1d_specs_are_unchanged(spec, cls):
    arch = parse_architecture(spec)
    assert type(arch) is type(cls)
    assert arch == cls and arch.spec == cls.spec and arch.key == cls.key


@pytest.mark.parametrize(
    "spec",
    [
        "cnn k=3,2 c=1,2,1 s=2 x^2",
        "lcn k=3,2 c=1,2,1 s=2",
        "lcn k=3x3,2x2 s=2",
        "cnn k=3x3,2x2 c=1,2,1 x^2",
        "lcn k=2x2,2x2,2x2 c=1,2,2,1 s=2x1,1",
        "cnn k=2x3,2x2 c=3,2,2 s=1x2 x^3+x",
    ],
)
def test_new_specs_round_trip(spec):
    arch = parse_architecture(spec)
    assert arch.spec == spec
    assert parse_architecture(arch.spec) == arch


def test_isotropic_strides_print_as_one_number():
    assert parse_architecture("lcn k=3x3,2x2 s=2x2").spec == "lcn k=3x3,2x2 s=2"
    assert parse_architecture("lcn k=3x3,2x2,2x2 s=2x2,2x2").spec == "lcn k=3x3,2x2,2x2 s=2"


def test_gl_symmetry_only_where_its_orbits_are_full():
    # c_1 = 3 > c_0·k_1 = c_2·k_2 = 1: GL(3) has a positive-dimensional stabilizer
    wide = parse_architecture("lcn k=1,1 c=1,3,1")
    assert not wide.gl_orbits_full and wide.symmetry_dim == 3
    assert dimension(wide).dimension == 1
    narrow = parse_architecture("lcn k=2,2 c=1,2,1")
    assert narrow.gl_orbits_full and narrow.symmetry_dim == 4


@pytest.mark.parametrize(
    "spec,words",
    [
        ("cnn k=3,2 c=1,2 x^2", "channel counts"),
        ("lcn k=3x3,2", "axes"),
        ("lcn k=3x3,2x2 s=2x2x2", "axes"),
        ("lcn k=3x3,2x2 c=0,1,1", "≥ 1"),
        ("lcn k=3xx3,2x2", "positive integers"),
        ("cnn k=3,2 c=1,2,1", "missing activation"),
        ("lcn k=3,2 c=1,2,1 x^2", "linear"),
        ("lcn k=64x64,64x64,64x64 c=4,8,8,4", "too large"),
    ],
)
def test_bad_specs_name_the_problem(spec, words):
    with pytest.raises(ArchitectureError, match=words):
        parse_architecture(spec)


def test_convnet_refuses_single_channel_1d():
    with pytest.raises(ArchitectureError, match="CNN"):
        ConvNet((3, 2), (1, 1, 1), 1, Monomial(2))


def test_strata_of_a_2d_convolution_are_counted():
    # (3·3 paddings per 2×2 filter)² − 1, plus the one hidden channel inactive-out and -in
    r = subprocess.run(
        [sys.executable, "-m", "neurovariety", "strata", "--count", "lcn k=2x2,2x2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "82 strata" in r.stdout


def test_sweep_family_ranges_over_channels_and_axes():
    from neurovariety.sweeps import family_from_dict

    block = {"depth": 2, "filters": 2, "strides": [1, 2], "channels": "1..2", "axes": [1, 2]}
    fam = family_from_dict({"invariants": ["dim"], "lcn": [block]})
    specs = {t.spec for t in fam.tasks()}
    # 2 strides × 2 hidden channel counts × 2 axes, every spec canonical
    assert specs == {
        "lcn k=2,2",
        "lcn k=2,2 s=2",
        "lcn k=2,2 c=1,2,1",
        "lcn k=2,2 c=1,2,1 s=2",
        "lcn k=2x2,2x2",
        "lcn k=2x2,2x2 s=2",
        "lcn k=2x2,2x2 c=1,2,1",
        "lcn k=2x2,2x2 c=1,2,1 s=2",
    }


@pytest.mark.parametrize(
    "k,c,s",
    [
        ([(2,), (2,)], [3, 2, 3], [(1,)]),
        ([(2,), (2,), (2,)], [2, 3, 3, 2], [(2,), (2,)]),
        ([(2, 1), (1, 2)], [2, 2, 3], [(1, 1)]),
    ],
)
def test_gl_bound_met_by_the_hand_rank(k, c, s):
    """Linear σ, full GL orbits: dim ≤ n − Σ c_i², met here (below the ambient)."""
    arch = LinearConvNet(tuple(k), tuple(c), tuple(s))
    r = dimension(arch)
    bound = arch.n_params - sum(ci * ci for ci in c[1:-1])
    assert r.upper_bound_source == "symmetry" and r.upper_bound == bound < arch.ambient_dim
    assert r.certified
    assert _hand_rank(k, c, s, [0, 1], arch.n_inputs + 1) == bound


@pytest.mark.parametrize("k,c,s,sigma", MULTI_1D + MULTI_2D)
def test_ambient_from_one_support_per_layer_equals_all_units(k, c, s, sigma):
    """The ambient shifts one support per layer; propagating through every unit gives the same."""
    from neurovariety.architectures.cnn import _support_multisets

    arch = _arch(k, c, s, sigma)
    assert arch.ambient_dim_per_output == len(_support_multisets(arch))


def _needs_msolve():
    from neurovariety.invariants import exact_counts

    return pytest.mark.skipif(not exact_counts.available(), reason="msolve is not installed")


@_needs_msolve()
@pytest.mark.parametrize(
    "spec,size,degree",
    [
        ("lcn k=2x2,2x2", 2, 10),  # equal shapes swap: 2 points; C(6,3)/2
        ("lcn k=2x2,2x3", 1, 56),  # C(8,3)
        ("lcn k=3x2,2x3", 1, 252),  # C(10,5): the shapes differ, no swap
        pytest.param("lcn k=2x2,2x2,2x2", 6, None, marks=pytest.mark.slow),  # 3! orderings
    ],
)
def test_2d_lcn_fiber_and_degree_from_unique_factorization(spec, size, degree):
    """Stride 1, filters a×b with a, b ≥ 2: generic factors are irreducible, so the fiber over a
    product is the orderings of equal-shaped factors, and the multiplication map
    Π P^{|k_i|−1} → P^N pulls a hyperplane back to Σ h_i:
    deg V · size = (Σ(|k_i|−1))! / Π(|k_i|−1)!."""
    from neurovariety.invariants.identifiability import fiber

    arch = parse_architecture(spec)
    r = fiber(arch, seed=0, method="exact")
    assert (r.dimension, r.size) == (len(arch.filters) - 1, size)
    e = [math.prod(f) - 1 for f in arch.filters]
    multinomial = math.factorial(sum(e)) // math.prod(math.factorial(x) for x in e)
    assert multinomial % size == 0
    if degree is not None:
        assert r.evidence["degree"] == degree == multinomial // size
