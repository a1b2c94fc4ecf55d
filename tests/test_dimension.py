"""Dimensions against values derived independently: theorems, hand computations, a second rank."""

from __future__ import annotations

from math import comb

import flint
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurovariety import CNN, LCN, MLP, GenericPolynomial, Monomial, parse_architecture
from neurovariety.invariants.dimension import dimension, numeric_rank
from neurovariety.parametrization import jacobian_mod_p, random_point_mod_p


def test_ktb_example_quadratic() -> None:
    # KTB, arXiv:1905.12207: d = (2,3,2,3,4), r = 2 has dimension 16 (expected 22).
    r = dimension(parse_architecture("mlp 2-3-2-3-4 x^2"), seed=3)
    assert (r.dimension, r.expected_dimension, r.defect) == (16, 22, 6)
    assert r.certified and r.status == "certified" and r.error_bound == 0.0


def test_ktb_example_cubic() -> None:
    r = dimension(parse_architecture("mlp 2-3-2-3-4 x^3"), seed=4)
    assert (r.dimension, r.expected_dimension) == (21, 22)
    assert r.certified


@pytest.mark.parametrize(
    ("d0", "r", "d1", "expected_dim"),
    [
        # Alexander–Hirschowitz exceptions: one below min(d1·d0, C(d0+r−1, r)).
        (3, 4, 5, comb(6, 4) - 1),
        (4, 4, 9, comb(7, 4) - 1),
        (5, 3, 7, comb(7, 3) - 1),
        # r = 2: symmetric d0×d0 matrices of rank ≤ d1: d1·d0 − C(d1, 2).
        (3, 2, 2, 5),
        (5, 2, 3, 12),
        (4, 2, 4, 10),
        # non-defective cases: min(d1·d0, C(d0+r−1, r)).
        (3, 3, 2, 6),
        (3, 3, 4, 10),
        (4, 3, 3, 12),
        (3, 4, 4, 12),
    ],
)
def test_alexander_hirschowitz(d0: int, r: int, d1: int, expected_dim: int) -> None:
    res = dimension(MLP((d0, d1, 1), Monomial(r)), seed=d0 + r + d1)
    assert res.dimension == expected_dim
    assert res.certified


@pytest.mark.slow
def test_alexander_hirschowitz_largest_case() -> None:
    res = dimension(MLP((5, 14, 1), Monomial(4)), seed=1)
    assert res.dimension == comb(8, 4) - 1 and res.certified


@pytest.mark.parametrize(
    "spec", ["mlp 3-3-3 x^2", "mlp 3-3-3-3 x^2", "mlp 2-2-2-2 x^3", "mlp 4-4-4 x^3"]
)
def test_equi_width_is_not_defective(spec: str) -> None:
    # FRWY: equi-width architectures have activation threshold one (no defect).
    f = parse_architecture(spec)
    d = f.widths[0]  # type: ignore[attr-defined]
    n_layers = len(f.widths) - 1  # type: ignore[attr-defined]
    naive = n_layers * d * d - (n_layers - 1) * d
    res = dimension(f, seed=5)
    assert res.dimension == min(naive, f.ambient_dim)
    assert res.defect == 0 and res.certified


FILTER_GRID = [(2, 2), (3, 2), (2, 3), (3, 3), (2, 2, 2), (3, 2, 2), (4, 3)]
STRIDE_GRID = [1, 2, 3]


@pytest.mark.parametrize("filters", FILTER_GRID)
@pytest.mark.parametrize("stride", STRIDE_GRID)
def test_lcn_dimension_formula(filters: tuple[int, ...], stride: int) -> None:
    # KMST: dim = Σ k_i − L + 1 (affine); with stride 1 this is the whole end-to-end filter space.
    res = dimension(LCN(filters, stride), seed=stride)
    assert res.dimension == sum(filters) - len(filters) + 1
    assert res.certified


@pytest.mark.parametrize("filters", FILTER_GRID)
@pytest.mark.parametrize("stride", STRIDE_GRID)
@pytest.mark.parametrize("r", [2, 3])
def test_pcn_dimension_formula(filters: tuple[int, ...], stride: int, r: int) -> None:
    # PCN, arXiv:2410.00722: dim = |k| − L + 1 for σ = x^r.
    res = dimension(CNN(filters, stride, Monomial(r)), seed=r)
    assert res.dimension == sum(filters) - len(filters) + 1
    assert res.certified


@pytest.mark.parametrize(
    "spec", ["cnn k=3,2 s=2 x^2+x", "cnn k=2,2 s=1 generic:3", "cnn k=3,2,2 s=2 generic:3"]
)
def test_generic_cnn_is_injective(spec: str) -> None:
    # Razor: for generic σ the CNN parametrization is generically one-to-one: dim = Σ k_i.
    f = parse_architecture(spec)
    res = dimension(f, seed=2)
    assert res.dimension == sum(f.filters) == f.n_params  # type: ignore[attr-defined]
    assert res.certified and res.fiber_dimension == 0


@pytest.mark.parametrize("widths", [(2, 3, 2), (3, 4, 2), (2, 3, 3, 1), (3, 2, 3, 2)])
def test_generic_quartic_mlp_reaches_n_params(widths: tuple[int, ...]) -> None:
    # Razor Thm 4.1: generic σ of large degree ⇒ finite generic fiber ⇒ dim = n_params.
    f = MLP(widths, GenericPolynomial(4, seed=1))
    res = dimension(f, seed=7)
    assert res.dimension == f.n_params and res.certified


def test_razor_appendix_hypersurface() -> None:
    # Razor appendix: (2,2,1) with σ = x³ + x² is a hypersurface in the 7-dim space.
    res = dimension(parse_architecture("mlp 2-2-1 x^3+x^2"), seed=0)
    assert res.ambient_dimension == 7 and res.dimension == 6 and res.certified


def test_linear_network_is_determinantal() -> None:
    # rank ≤ 2 maps from R^4 to R^3: 2·(4 + 3 − 2) = 10.
    res = dimension(MLP((4, 2, 3), Monomial(1)), seed=0)
    assert res.dimension == 10 and res.certified


def test_too_few_points_undercount() -> None:
    # Pitfall: with fewer samples than the dimension the rank is capped by the row count.
    f = MLP((3, 2, 1), Monomial(2))  # true dimension 5
    p = 1_000_003
    theta, x = random_point_mod_p(f, 3, p, seed=0)
    few = flint.nmod_mat(jacobian_mod_p(f, theta, x, p).astype(int).tolist(), p).rank()
    assert few == 3
    assert dimension(f, seed=0).dimension == 5


def test_rank_is_a_second_method_rank() -> None:
    # The exact rank agrees with python-flint's nmod_mat rank on the same Jacobian.
    f = parse_architecture("mlp 2-3-2-3-4 x^2")
    p = 1_000_003
    theta, x = random_point_mod_p(f, 16, p, seed=11)
    J = jacobian_mod_p(f, theta, x, p)
    assert flint.nmod_mat(J.astype(int).tolist(), p).rank() == 16


def test_large_prime_path_matches_word_primes() -> None:
    # p > 2^26 runs on Python integers; the rank must not depend on the representation.
    f = parse_architecture("cnn k=3,2 s=2 x^2")
    res = dimension(f, seed=0, prime_bits=61)
    assert res.dimension == 4 and res.certified and all(p > 2**60 for p in res.primes)


def test_numeric_method_reports_gap() -> None:
    res = dimension(parse_architecture("mlp 3-2-1 x^2"), method="numeric", seed=0)
    assert res.dimension == 5 and not res.certified and res.status == "numeric"
    assert res.gap is not None and res.gap > 1e6


def test_numeric_rank_helper() -> None:
    assert numeric_rank(np.array([3.0, 2.0, 1e-15])) == (2, pytest.approx(2e15))
    assert numeric_rank(np.array([3.0, 2.0, 1e-6]))[0] == 3
    assert numeric_rank(np.zeros(3))[0] == 0


def test_probable_when_bounds_do_not_meet() -> None:
    # mlp 3-2-3 x^2 has a bound of 10 from symmetry; its true dimension is 10, so certified.
    # mlp 2-2-2 x^2 with bias reaches no listed bound exactly: the flag must stay false.
    for spec in ["mlp 2-2-2 x^2 bias", "mlp 2-3-2-2 x^2 bias", "mlp 3-2-2-1 x^2"]:
        res = dimension(parse_architecture(spec), seed=0)
        if res.lower_bound is not None and res.lower_bound < res.upper_bound:
            assert not res.certified and res.status == "probable" and res.error_bound > 0
        else:
            assert res.certified


small_archs = st.one_of(
    st.builds(
        lambda w, r: MLP(tuple(w), Monomial(r)),
        st.lists(st.integers(1, 3), min_size=2, max_size=4),
        st.integers(1, 3),
    ),
    st.builds(
        lambda w, d, s: MLP(tuple(w), GenericPolynomial(d, seed=s)),
        st.lists(st.integers(1, 3), min_size=2, max_size=3),
        st.integers(2, 3),
        st.integers(0, 5),
    ),
    st.builds(
        lambda k, s, r: CNN(tuple(k), s, Monomial(r)),
        st.lists(st.integers(1, 3), min_size=1, max_size=3),
        st.integers(1, 2),
        st.integers(1, 3),
    ),
)


@settings(max_examples=12, deadline=None)
@given(arch=small_archs, seed=st.integers(0, 1000))
def test_exact_and_numeric_agree(arch: object, seed: int) -> None:
    exact = dimension(arch, seed=seed)  # type: ignore[arg-type]
    numeric = dimension(arch, method="numeric", seed=seed)  # type: ignore[arg-type]
    assert exact.dimension == numeric.dimension


@settings(max_examples=30, deadline=None)
@given(arch=small_archs, seed=st.integers(0, 1000))
def test_certified_only_when_bounds_meet(arch: object, seed: int) -> None:
    res = dimension(arch, seed=seed)  # type: ignore[arg-type]
    assert res.dimension <= res.upper_bound <= min(res.ambient_dimension, res.n_params)
    if res.certified:
        assert res.lower_bound == res.upper_bound == res.dimension and res.error_bound == 0
    else:
        assert res.lower_bound is not None and res.lower_bound < res.upper_bound
        assert 0 < res.error_bound <= 1


def test_oversized_plans_are_refused_before_allocating() -> None:
    import time

    from neurovariety.errors import ArchitectureError, BudgetExceededError

    t0 = time.perf_counter()
    # 500,500 samples × 1,001,000 parameters: terabytes, refused from the shapes alone
    with pytest.raises(BudgetExceededError, match="--max-memory"):
        dimension(parse_architecture("mlp 1000-1000-1 x^2"))
    # the rank of an 11,325 × 22,650 matrix: minutes, refused under a 30 s limit
    with pytest.raises(BudgetExceededError, match="--time-limit"):
        dimension(parse_architecture("mlp 150-150-1 x^2"), time_limit=30)
    with pytest.raises(BudgetExceededError, match="--max-memory"):
        dimension(parse_architecture("mlp 3-4-1 x^2"), max_memory=1000)
    assert time.perf_counter() - t0 < 10
    with pytest.raises(ArchitectureError, match="too large to represent"):
        parse_architecture("lcn k=99999,99999")
