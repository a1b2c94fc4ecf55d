"""Parametrizations: exact (mod p, over Q) and numeric (JAX) against each other and by hand."""

from __future__ import annotations

import flint
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurovariety import CNN, LCN, MLP, FieldError, GenericPolynomial, Monomial, parse_architecture
from neurovariety.errors import BudgetExceededError
from neurovariety.parametrization import (
    forward,
    forward_mod_p,
    jacobian,
    jacobian_mod_p,
    random_point_mod_p,
)
from neurovariety.parametrization.exact import coefficient_polynomials

P = 1_000_003


def test_hand_computed_two_layer() -> None:
    # f(x) = w2 · (w1 x)^2 at w1 = 3, w2 = 5, x = 2: 180; ∂/∂w1 = 2 w2 w1 x² = 120, ∂/∂w2 = 36.
    f = MLP((1, 1, 1), Monomial(2))
    theta, x = np.array([3.0, 5.0]), np.array([[2.0]])
    assert forward(f, theta, x)[0, 0] == 180.0
    assert forward_mod_p(f, theta, x, 7)[0, 0] == 180 % 7
    assert jacobian(f, theta, x).tolist() == [[120.0, 36.0]]
    assert jacobian_mod_p(f, theta, x, 101).tolist() == [[120 % 101, 36.0]]


def test_bias_hand_computed() -> None:
    # f(x) = v (w x + b)^2 + c with θ = (w, b, v, c) = (2, 1, 3, 4) at x = 1: 3·9 + 4 = 31.
    f = MLP((1, 1, 1), Monomial(2), bias=True)
    assert forward(f, np.array([2.0, 1.0, 3.0, 4.0]), np.array([[1.0]]))[0, 0] == 31.0


def test_lcn_coefficients_satisfy_the_known_hypersurface() -> None:
    # LCN arXiv:2401.16613: k = (3, 2), s = 2 lies on c1c2c3 − c0c3² − c1²c4 = 0.
    outs, _ = coefficient_polynomials(LCN((3, 2), 2))
    c = [outs[0][tuple(int(i == j) for i in range(5))] for j in range(5)]
    assert (c[1] * c[2] * c[3] - c[0] * c[3] ** 2 - c[1] ** 2 * c[4]).is_zero()


def test_coefficient_map_budget() -> None:
    with pytest.raises(BudgetExceededError, match="small architectures"):
        coefficient_polynomials(parse_architecture("mlp 4-4-4-4 x^3"), max_terms=1000)


@pytest.mark.parametrize("spec", ["mlp 2-2-1 x^3+x^2", "cnn k=2,2 x^2", "mlp 2-2-2 x^2 bias"])
def test_jacobian_matches_derivative_of_coefficient_map(spec: str) -> None:
    # Second method: differentiate the expanded polynomials (flint), evaluate, compare mod p.
    f = parse_architecture(spec)
    outs, ctx = coefficient_polynomials(f)
    rng = np.random.default_rng(0)
    theta = rng.integers(-4, 5, f.n_params)
    x = rng.integers(-4, 5, (3, f.n_inputs))
    J = jacobian_mod_p(f, theta % P, x % P, P)
    for s in range(3):
        for o, poly in enumerate(outs):
            for j in range(f.n_params):
                value = sum(
                    int(c.derivative(j)(*[int(t) for t in theta]))
                    * int(np.prod([int(x[s, i]) ** e for i, e in enumerate(exp)]))
                    for exp, c in poly.items()
                )
                assert J[s * len(outs) + o, j] == value % P


def test_field_errors() -> None:
    f = MLP((1, 1, 1), Monomial(2))
    with pytest.raises(FieldError):
        forward_mod_p(f, np.array([1.0, 1.0]), np.array([[1.0]]), 1)
    g = parse_architecture("mlp 1-1-1 1/3*x^2+x")
    with pytest.raises(FieldError, match="choose another prime"):
        forward_mod_p(g, np.array([1.0, 1.0]), np.array([[1.0]]), 3)


archs = st.one_of(
    st.builds(
        lambda w, r, b: MLP(tuple(w), Monomial(r), bias=b),
        st.lists(st.integers(1, 3), min_size=2, max_size=4),
        st.integers(1, 3),
        st.booleans(),
    ),
    st.builds(
        lambda w, s: MLP(tuple(w), GenericPolynomial(3, seed=s)),
        st.lists(st.integers(1, 3), min_size=2, max_size=3),
        st.integers(0, 3),
    ),
    st.builds(
        lambda k, s, r: CNN(tuple(k), s, Monomial(r)),
        st.lists(st.integers(1, 3), min_size=1, max_size=3),
        st.integers(1, 3),
        st.integers(1, 3),
    ),
)


@settings(max_examples=30, deadline=None)
@given(arch=archs, seed=st.integers(0, 10_000))
def test_exact_jacobian_equals_autodiff_on_integers(arch: object, seed: int) -> None:
    # Back-propagation mod p vs JAX autodiff in float64 on small integers (exact in float64).
    rng = np.random.default_rng(seed)
    theta = rng.integers(-2, 3, arch.n_params).astype(float)  # type: ignore[attr-defined]
    x = rng.integers(-2, 3, (3, arch.n_inputs)).astype(float)  # type: ignore[attr-defined]
    Jn = jacobian(arch, theta, x)  # type: ignore[arg-type]
    assert np.abs(Jn).max() < 2**52
    Je = jacobian_mod_p(arch, theta % P, x % P, P)  # type: ignore[arg-type]
    assert np.array_equal(np.mod(np.round(Jn), P), Je)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000))
def test_word_and_big_prime_paths_agree(seed: int) -> None:
    # Float residues (p < 2^26) and Python-int residues compute the same integer Jacobian.
    f = parse_architecture("mlp 2-3-2 x^3")
    rng = np.random.default_rng(seed)
    theta = rng.integers(0, 10, f.n_params)  # keeps |J| < 2^61: no wrap-around
    x = rng.integers(0, 10, (4, f.n_inputs))
    big = (1 << 61) - 1
    Jbig = jacobian_mod_p(f, theta.astype(object), x.astype(object), big)
    Jsmall = jacobian_mod_p(f, theta.astype(float), x.astype(float), P)
    assert np.array_equal(np.array(Jbig % P, dtype=float), Jsmall)
    assert flint.nmod_mat(Jbig.tolist(), big).rank() <= f.n_params


def test_random_points_are_reproducible() -> None:
    f = MLP((2, 3, 1), Monomial(2))
    a = random_point_mod_p(f, 4, P, seed=3)
    b = random_point_mod_p(f, 4, P, seed=3)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
