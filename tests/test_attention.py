"""Lightning self-attention (HMK, arXiv:2408.17221): spec, parametrization, certified dim.

Expected dimensions come from HMK's formula for lightning attention,
    dim M = Σ_i [a_i(2d_{i−1} − a_i) + d_i d_{i−1}] − L − Σ_{0<i<L} d_i²,
evaluated by hand below (the uniform case is the curve of the authors' Figure 2 script,
l(a(2d − a) + d²) − (l − 1)d² − l), and from an independent numpy forward pass with a
complex-step Jacobian that shares no code with the package.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurovariety.architectures import Attention, parse_architecture
from neurovariety.errors import ArchitectureError
from neurovariety.invariants.dimension import dimension, upper_bounds
from neurovariety.parametrization.exact import forward_mod_p, jacobian_mod_p

# (spec, dimension by HMK's formula, worked by hand)
HMK_TABLE = [
    # one layer: a(2d − a) + d·d' − 1
    ("attn t=2 d=2 a=1", 3 + 4 - 1),
    ("attn t=2 d=2 a=2", 4 + 4 - 1),
    ("attn t=2 d=3 a=1", 5 + 9 - 1),
    ("attn t=2 d=3 a=2", 8 + 9 - 1),
    ("attn t=2 d=3 a=3", 9 + 9 - 1),
    ("attn t=3 d=4 a=1", 7 + 16 - 1),
    ("attn t=3 d=4 a=2", 12 + 16 - 1),
    ("attn t=3 d=4 a=3", 15 + 16 - 1),
    ("attn t=3 d=4 a=4", 16 + 16 - 1),
    ("attn t=2 d=3,2 a=1", 5 + 6 - 1),
    ("attn t=2 d=2,3 a=1", 3 + 6 - 1),
    # two layers, d_i = d: 2(a(2d − a) + d²) − d² − 2
    ("attn t=2 d=2 a=1,1", 2 * (3 + 4) - 4 - 2),
    ("attn t=2 d=2 a=2,2", 2 * (4 + 4) - 4 - 2),
    ("attn t=3 d=3 a=1,1", 2 * (5 + 9) - 9 - 2),
    ("attn t=3 d=3 a=2,2", 2 * (8 + 9) - 9 - 2),
    ("attn t=2 d=3 a=3,3", 2 * (9 + 9) - 9 - 2),
    # three layers, t = 3, d = 4, a = 1..4 (the setting of HMK's Figure 2)
    ("attn t=3 d=4 a=1,1,1", 3 * (7 + 16) - 2 * 16 - 3),
    ("attn t=3 d=4 a=2,2,2", 3 * (12 + 16) - 2 * 16 - 3),
    ("attn t=3 d=4 a=3,3,3", 3 * (15 + 16) - 2 * 16 - 3),
    ("attn t=3 d=4 a=4,4,4", 3 * (16 + 16) - 2 * 16 - 3),
    # non-uniform widths with d_1 ≤ d_0 (HMK's hypotheses)
    ("attn t=2 d=4,3,2 a=2,1", (12 + 12) + (5 + 6) - 2 - 9),
    ("attn t=3 d=3,3,2 a=2,2", (8 + 9) + (8 + 6) - 2 - 9),
]


@pytest.mark.parametrize(("spec", "expected"), HMK_TABLE)
def test_certified_dimension_matches_hmk_formula(spec: str, expected: int) -> None:
    arch = parse_architecture(spec)
    assert arch.hmk_dim == expected
    r = dimension(arch, seed=1)
    assert r.certified
    assert r.dimension == expected
    assert r.fiber_dimension == arch.symmetry_dim  # the fiber is the symmetry orbit's size


def test_wide_inner_layer_is_the_reduced_network() -> None:
    # d = 2,3,2: layer 1's tokens lie in a plane, so M is that of d = 2,2,2 (formula: 8);
    # the GL(3) between the layers does not act freely, so only the reduced bound is sharp.
    arch = parse_architecture("attn t=2 d=2,3,2 a=1,1")
    assert arch.hmk_dim is None
    bounds = {b.name: b.value for b in upper_bounds(arch)}
    assert bounds["reduced"] == 2 * (3 + 4) - 4 - 2
    r = dimension(arch, seed=0)
    assert r.certified and r.dimension == 8


def test_rank_one_tokens_hide_the_antisymmetric_part() -> None:
    # a_1 = 1 makes every token of layer 1's output a multiple of one vector w, so layer 2 sees
    # A_2 only through wᵀA_2w: the 1-dimensional antisymmetric part of the 2×2 A_2 is lost and
    # the formula's (5 + 6) + (4 + 4) − 2 − 4 = 13 drops to 12 (also the complex-step rank below)
    arch = parse_architecture("attn t=2 d=3,2,2 a=1,2")
    assert arch.token_ranks == (2, 1, 1) and arch.hmk_dim is None
    r = dimension(arch, seed=0)
    assert r.dimension == 12 and r.upper_bound == 13 and not r.certified


# ---- an independent forward pass (plain numpy, token by token) ----------------------------


def _hand_forward(arch: Attention, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    o = 0
    for i, a in enumerate(arch.attention_widths):
        d_in, d_out = arch.widths[i], arch.widths[i + 1]
        Q = theta[o : o + a * d_in].reshape(a, d_in)
        o += a * d_in
        K = theta[o : o + a * d_in].reshape(a, d_in)
        o += a * d_in
        V = theta[o : o + d_out * d_in].reshape(d_out, d_in)
        o += d_out * d_in
        Y = np.zeros((X.shape[0], d_out), dtype=np.result_type(X, theta))
        for k in range(X.shape[0]):
            for j in range(X.shape[0]):
                Y[k] += np.dot(Q @ X[k], K @ X[j]) * (V @ X[j])
        X = Y
    return X.reshape(-1)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("attn t=2 d=3,2 a=1", 10),
        ("attn t=3 d=3 a=2", 16),
        ("attn t=3 d=3 a=2,2", 23),
        ("attn t=2 d=4,3,2 a=2,1", 24),
        ("attn t=2 d=3,2,2 a=1,2", 12),
    ],
)
def test_complex_step_rank_agrees(spec: str, expected: int) -> None:
    """Second method: complex-step Jacobian (exact to rounding) of the hand-written forward,
    at 40 random sequences; the singular values show a clear gap at the expected rank."""
    arch = parse_architecture(spec)
    rng = np.random.default_rng(7)
    theta = rng.standard_normal(arch.n_params) / 2
    Xs = rng.standard_normal((40, arch.tokens, arch.widths[0]))
    h = 1e-30
    cols = []
    for j in range(arch.n_params):
        step = theta.astype(complex)
        step[j] += 1j * h
        cols.append(np.concatenate([_hand_forward(arch, step, X).imag / h for X in Xs]))
    s = np.linalg.svd(np.array(cols).T, compute_uv=False)
    s = s / s[0]
    assert s[expected - 1] > 1e-8
    assert expected == len(s) or s[expected] < 1e-12


def test_exact_forward_and_jacobian_against_integer_arithmetic() -> None:
    arch = parse_architecture("attn t=2 d=2,3,2 a=1,2")
    p = 1_000_003
    rng = np.random.default_rng(3)
    theta = rng.integers(-5, 6, arch.n_params)
    x = rng.integers(-5, 6, (3, arch.n_inputs))
    exact = np.array([_hand_forward(arch, theta.astype(object), xi.astype(object).reshape(2, 2))
                      for xi in x])  # fmt: skip
    got = forward_mod_p(arch, theta, x, p)
    assert (got == np.mod(exact.astype(object), p).astype(np.int64)).all()
    # the Jacobian by exact finite differences: φ is a polynomial of degree ≤ 12 in each θ_j,
    # so the derivative is Σ_k c_k·k from its values at 13 points (Lagrange, over Q → mod p)
    J = jacobian_mod_p(arch, theta, x, p)
    j = 5
    from fractions import Fraction

    nodes = list(range(-6, 7))
    vals = []
    for c in nodes:
        th = theta.astype(object).copy()
        th[j] += c
        vals.append([_hand_forward(arch, th, xi.astype(object).reshape(2, 2)) for xi in x])
    vals_arr = np.array(vals, dtype=object).reshape(len(nodes), -1)
    # derivative at 0 of the Lagrange interpolant: Σ_m v_m ℓ_m'(0)
    deriv = []
    for col in range(vals_arr.shape[1]):
        total = Fraction(0)
        for m, xm in enumerate(nodes):
            others = [xk for xk in nodes if xk != xm]
            denom = 1
            for xk in others:
                denom *= xm - xk
            # ℓ_m'(0) = Σ_k Π_{l≠k} (0 − x_l) / denom, over the others
            num = 0
            for k in range(len(others)):
                prod = 1
                for idx, xl in enumerate(others):
                    if idx != k:
                        prod *= -xl
                num += prod
            total += Fraction(vals_arr[m, col] * num, denom)
        assert total.denominator == 1
        deriv.append(int(total) % p)
    assert J[:, j].tolist() == deriv


def test_numeric_dimension_on_the_figure_setting() -> None:
    r = dimension(parse_architecture("attn t=3 d=4 a=2,2,2"), method="numeric", seed=0)
    assert r.dimension == 49 and r.gap is not None and r.gap > 1e6


# ---- spec grammar -------------------------------------------------------------------------


def test_spec_round_trip_and_broadcast() -> None:
    a = parse_architecture("attn t=3 d=4 a=2,2")
    assert a == Attention(3, (4, 4, 4), (2, 2))
    assert a.spec == "attn t=3 d=4,4,4 a=2,2"
    assert parse_architecture(a.spec) == a
    assert parse_architecture("attn t=3 d=4,3,2 a=2").attention_widths == (2, 2)
    assert a.n_params == 2 * (2 * 2 * 4 + 16)
    assert (a.n_inputs, a.n_outputs) == (12, 12)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("attn t=3 d=4", "lacks a="),
        ("attn d=4 a=2", "lacks t="),
        ("attn t=0 d=4 a=2", "tokens"),
        ("attn t=3 d=4,4,4 a=2,2,2", "attention widths"),
        ("attn t=3 d=4 a=0", "width 0"),
        ("attn t=3 d=4 a=2 x^2", "attention field"),
        ("attn t=2,3 d=4 a=2", "one token count"),
    ],
)
def test_bad_specs_name_the_problem(spec: str, needle: str) -> None:
    with pytest.raises(ArchitectureError, match=needle):
        parse_architecture(spec)


def test_one_layer_ambient_is_the_span() -> None:
    # y_{k,c} = Σ_j Σ C_{c,a,(b,e)} x_{k,a} x_{j,b} x_{j,e}: d' · d · d(d+1)/2 coefficients
    assert parse_architecture("attn t=2 d=3,2 a=1").ambient_dim == 2 * 3 * 6
    assert parse_architecture("attn t=5 d=2 a=1").ambient_dim == 2 * 2 * 3
    # t = 1: only the cubic forms in x_1, C(d + 2, 3) per output
    assert parse_architecture("attn t=1 d=3 a=1").ambient_dim == 3 * 10


def test_one_layer_span_numerically() -> None:
    # the functions f_θ at 60 random θ, sampled at 30 sequences, span exactly the ambient space
    arch = parse_architecture("attn t=2 d=2 a=1")
    rng = np.random.default_rng(5)
    Xs = rng.standard_normal((30, 2, 2))
    F = np.array(
        [
            np.concatenate([_hand_forward(arch, th, X) for X in Xs])
            for th in rng.standard_normal((60, arch.n_params))
        ]
    )
    s = np.linalg.svd(F, compute_uv=False)
    assert int(np.sum(s > 1e-9 * s[0])) == arch.ambient_dim == 12


def test_sweep_family_ranges_over_attention_sizes() -> None:
    from neurovariety.errors import FamilyError
    from neurovariety.sweeps.family import family_from_dict

    block = {"depth": [1, 2], "tokens": 2, "widths": "2..3", "outputs": 1, "attention": [1, 2]}
    fam = family_from_dict({"attn": [block], "invariants": ["dim"]})
    # depth 1: 2 widths × 2 attention widths; depth 2: (2 × 2)² choices of (d_i, a_i)
    assert len(fam.specs) == 2 * 2 + 4 * 4
    assert fam.specs[:2] == ("attn t=2 d=2,1 a=1", "attn t=2 d=2,1 a=2")
    assert "attn t=2 d=3,2,1 a=2,1" in fam.specs
    with pytest.raises(FamilyError, match="missing attention"):
        family_from_dict({"attn": {"depth": 1, "tokens": 2, "widths": 2}, "invariants": ["dim"]})
