"""Swaps of equal-size filters in linear convolutional networks (KMST arXiv:2304.05752).

The end-to-end filter of an LCN is the product Π_i w_i(x^{S_i}), S_i = s_1⋯s_{i−1}. Expected
values by hand:

- stride 1 everywhere: the product is a generic polynomial of degree n = Σ (k_i − 1), with n
  distinct roots; a chart point (rescalings fixed) is a way to deal the roots into factors of
  degrees k_i − 1: n! / Π (k_i − 1)! points. Swapping equal-size filters keeps f for every θ, so
  the group has order Π m_k! (m_k filters of size k), and the network is identifiable up to
  symmetry exactly when the count equals that order (e.g. all filters of size 2);
- strides: w(x^S) has roots closed under multiplication by the S-th roots of unity, which
  singles out its roots among the others, so only filters with the same S_i and size swap.

Counts are msolve's exact ones (skipped without msolve); the symmetry order is checked against
the hand rule, and the swap itself against a plain numpy convolution (a second method).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.invariants import exact_counts
from neurovariety.invariants.identifiability import fiber, symmetry
from neurovariety.results import Verdict

needs_msolve = pytest.mark.skipif(not exact_counts.available(), reason="msolve is not installed")


def _deals(sizes: list[int]) -> int:
    """n! / Π (k_i − 1)!: roots of the degree-n product dealt into the factors."""
    degrees = [k - 1 for k in sizes]
    return math.factorial(sum(degrees)) // math.prod(math.factorial(d) for d in degrees)


# (spec, fiber size by hand, group order by hand)
CASES = [
    ("lcn k=2,2", _deals([2, 2]), 2),  # 2 roots, 2 ways; the swap: identifiable
    ("lcn k=2,2,2", _deals([2, 2, 2]), 6),  # 3! = 6 = 3! orderings: identifiable
    ("lcn k=3,2", _deals([3, 2]), 1),  # 3: which root goes to the linear factor
    ("lcn k=4,2", _deals([4, 2]), 1),  # 4
    ("lcn k=3,3", _deals([3, 3]), 2),  # C(4, 2) = 6 over the swap: not identifiable
    ("lcn k=2,3,2", _deals([2, 3, 2]), 2),  # 4!/2! = 12, the outer two swap
    # w_1(x) w_2(x²): the pair ±r of w_2 is the only one closed under negation
    ("lcn k=2,2 s=2", 1, 1),
    ("lcn k=3,2 s=2", 1, 1),
    # w_1(x) w_2(x) w_3(x²) and w_1(x) w_2(x²) w_3(x²): one pair swaps
    ("lcn k=2,2,2 s=1,2", 2, 2),
    ("lcn k=2,2,2 s=2,1", 2, 2),
    # w_1(x) w_2(x²) w_3(x⁴): roots a, ±b and the four 4th roots of one value: no swap
    ("lcn k=2,2,2 s=2,2", 1, 1),
    ("lcn k=2x2,2x2", 2, 2),  # 2D: two irreducible bidegree-(1, 1) factors, swapped
]


def test_hand_counts() -> None:
    assert [_deals(k) for k in ([2, 2], [2, 2, 2], [3, 2], [3, 3], [2, 3, 2])] == [2, 6, 3, 6, 12]


@pytest.mark.parametrize(("spec", "size", "order"), CASES, ids=[c[0] for c in CASES])
def test_symmetry_order_counts_the_swaps(spec: str, size: int, order: int) -> None:
    text, got, _ = symmetry(parse_architecture(spec))
    assert got == order
    assert ("orderings" in text) == (order > 1)


@needs_msolve
@pytest.mark.parametrize(("spec", "size", "order"), CASES, ids=[c[0] for c in CASES])
def test_exact_fiber_against_the_hand_count(spec: str, size: int, order: int) -> None:
    r = fiber(parse_architecture(spec), seed=0, method="exact")
    assert (r.size, r.symmetry_order) == (size, order)
    expected = Verdict.YES if size == order else Verdict.NO
    # exact counts over two random primes: probable (bad primes), never certified
    assert (r.identifiable, r.certified, r.certainty) == (expected, False, "probable")


@needs_msolve
def test_cli_says_identifiable_up_to_the_swap() -> None:
    r = fiber(parse_architecture("lcn k=2,2"), seed=0, method="exact")
    assert "identifiable up to symmetry: yes (probable: exact counts over 2 primes)" in r.summary()
    assert "(certified)" not in r.summary()
    assert "order 2" in r.summary() and "not counted" not in r.summary()


def _network(filters: list[np.ndarray], x: np.ndarray, power: int) -> np.ndarray:
    """Stride-1 convolutions ('valid'), σ(z) = z^power between them: numpy, not the library."""
    y = x
    for i, w in enumerate(filters):
        y = np.convolve(y, w[::-1], mode="valid")
        if i < len(filters) - 1:
            y = y**power
    return y


def test_swap_keeps_the_function_only_without_activation() -> None:
    rng = np.random.default_rng(0)
    w1, w2, x = rng.standard_normal(2), rng.standard_normal(2), rng.standard_normal(6)
    # linear: convolution is commutative, so the swap is a symmetry for every θ
    assert np.allclose(_network([w1, w2], x, 1), _network([w2, w1], x, 1))
    # σ = z²: w_2 ⋆ (w_1 ⋆ x)² ≠ w_1 ⋆ (w_2 ⋆ x)²; the library counts no swap there
    assert not np.allclose(_network([w1, w2], x, 2), _network([w2, w1], x, 2))
    assert symmetry(parse_architecture("cnn k=2,2 x^2"))[1] == 1
    assert "orderings" not in symmetry(parse_architecture("cnn k=2,2 x^3"))[0]
