"""The shared helpers: complex Gaussian draws, numerical rank, a layer's slice of θ.

Expected values come from the definitions (moments of the standard complex Gaussian, matrices
built from chosen singular values, a θ sliced by hand), not from the helpers' own output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurovariety.architectures.spec import parse_architecture
from neurovariety.nag.numerics import complex_gaussian, matrix_rank, numerical_rank


def test_complex_gaussian_moments() -> None:
    z = complex_gaussian(np.random.default_rng(1), 200_000)
    # standard complex Gaussian: E z = 0, E|z|² = 1, E z² = 0 (circular), E|z|⁴ = 2
    assert abs(z.mean()) < 0.01
    assert np.mean(np.abs(z) ** 2) == pytest.approx(1.0, abs=0.01)
    assert abs(np.mean(z**2)) < 0.01
    assert np.mean(np.abs(z) ** 4) == pytest.approx(2.0, abs=0.05)
    w = complex_gaussian(np.random.default_rng(1), 200_000, standard=False)
    assert np.var(w.real) == pytest.approx(1.0, abs=0.01)
    assert np.var(w.imag) == pytest.approx(1.0, abs=0.01)


def test_complex_gaussian_draws_real_part_first() -> None:
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    z = complex_gaussian(a, (3, 2), standard=False)
    re, im = b.normal(size=(3, 2)), b.normal(size=(3, 2))
    assert np.array_equal(z.real, re) and np.array_equal(z.imag, im)
    assert a.random() == b.random()  # the generator advanced by exactly two draws


def _with_singular_values(s: list[float], rows: int, cols: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((rows, rows)))[0]
    V = np.linalg.qr(rng.standard_normal((cols, cols)))[0]
    S = np.zeros((rows, cols))
    S[range(len(s)), range(len(s))] = s
    return U @ S @ V.T


@pytest.mark.parametrize(
    ("s", "rtol", "rank", "gap"),
    [
        ([3.0, 2.0, 1e-12], 1e-8, 2, 2e12),
        ([3.0, 2.0, 1.0], 1e-8, 3, None),  # nothing cut
        ([4.0, 1e-3, 0.0], 1e-2, 1, 4e3),
        ([4.0, 2.0, 0.0], 1e-2, 2, math.inf),  # the next one is exactly 0
        ([0.0, 0.0], 1e-8, 0, None),
        ([], 1e-8, 0, None),
    ],
)
def test_numerical_rank_of_given_singular_values(
    s: list[float], rtol: float, rank: int, gap: float | None
) -> None:
    r, g = numerical_rank(np.array(s), rtol)
    assert r == rank
    assert g == (None if gap is None else pytest.approx(gap, rel=1e-12))


def test_numerical_rank_absolute_threshold() -> None:
    s = np.array([5.0, 1e-3, 1e-9])
    assert numerical_rank(s, 0.0, atol=1e-6)[0] == 2
    assert numerical_rank(s, 1e-2, atol=1e-6)[0] == 1  # the larger threshold wins


def test_matrix_rank_of_a_matrix_with_known_singular_values() -> None:
    M = _with_singular_values([10.0, 1.0, 1e-11], 5, 4)
    rank, s = matrix_rank(M, 1e-8)
    assert rank == 2
    assert s[:3] == pytest.approx([10.0, 1.0, 0.0], abs=1e-9)
    assert matrix_rank(M, 1e-13)[0] == 3


def test_layer_weights_is_the_hand_sliced_theta() -> None:
    arch = parse_architecture("mlp 2-3-1 x^2 bias")
    theta = np.arange(arch.n_params, dtype=float)
    first, second = arch.layers
    # 3×(2+1) parameters, then 1×(3+1)
    assert np.array_equal(first.weights(theta), theta[0:9])
    assert np.array_equal(second.weights(theta), theta[9:13])
    assert theta[second.params].tolist() == [9.0, 10.0, 11.0, 12.0]
    assert arch.n_params == 13


def test_forward_passes_through_walk_match_the_formula_by_hand() -> None:
    from neurovariety.parametrization.exact import forward_mod_p
    from neurovariety.parametrization.numeric import forward_fn

    arch = parse_architecture("mlp 1-1-1 x^2 bias")  # f = w2·(w1·x + b1)² + b2
    w1, b1, w2, b2, x = 2, 3, 5, 7, 4
    by_hand = w2 * (w1 * x + b1) ** 2 + b2  # 612
    theta = np.array([w1, b1, w2, b2], dtype=float)
    assert forward_mod_p(arch, theta, np.array([[float(x)]]), 101).tolist() == [[by_hand % 101]]
    assert float(forward_fn(arch)(theta, np.array([float(x)]))[0]) == by_hand
    # the walk itself: σ between layers, not after the last
    assert arch.walk(1, lambda layer, h: h + 1, lambda z: 10 * z) == 21
