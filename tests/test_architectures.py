"""Architectures and the spec grammar, checked against hand counts."""

from __future__ import annotations

from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurovariety import (
    CNN,
    LCN,
    MLP,
    ActivationError,
    ArchitectureError,
    GenericPolynomial,
    Monomial,
    Polynomial,
    parse_activation,
    parse_architecture,
)


def test_ktb_example_counts() -> None:
    f = parse_architecture("mlp 2-3-2-3-4 x^2")
    assert f == MLP((2, 3, 2, 3, 4), Monomial(2))
    assert f.n_params == 2 * 3 + 3 * 2 + 2 * 3 + 3 * 4
    assert f.ambient_dim == 4 * comb(8 + 1, 1)  # D = 2^3 binary forms of degree 8
    assert f.symmetry_dim == 3 + 2 + 3
    assert f.expected_dim == 22  # KTB: expected 22


def test_generic_activation_ambient_is_reachable_span() -> None:
    # Razor appendix: (2,2,1) with x^3 + x^2 lives in cubic + quadratic binary forms: 4 + 3 = 7.
    f = parse_architecture("mlp 2-2-1 x^3+x^2")
    assert f.ambient_dim == 7
    assert f.symmetry_dim == 0
    assert f.expected_dim == 6


def test_bias_counts() -> None:
    f = parse_architecture("mlp 2-3-1 x^2 bias")
    assert f.n_params == 3 * 3 + 4
    assert f.ambient_dim == comb(2 + 2, 2)  # all polynomials of degree ≤ 2 in 2 variables
    assert sorted(f.output_degrees) == [0, 1, 2]


def test_cnn_receptive_field_and_support() -> None:
    # k = (2, 2), stride 1, x^2: f = a(w0 x0 + w1 x1)^2 + b(w0 x1 + w1 x2)^2 has no x0·x2 term.
    f = CNN((2, 2), 1, Monomial(2))
    assert f.n_inputs == 3
    assert f.ambient_dim == 5
    assert f.expected_dim == 3  # |k| − L + 1
    g = CNN((3, 2), 2, Monomial(2))
    assert g.n_inputs == 3 + (2 - 1) * 2
    h = LCN((3, 2, 2), (2, 3))
    assert h.n_inputs == 3 + 1 * 2 + 1 * 6


def test_lcn_ambient_is_end_to_end_filter() -> None:
    f = parse_architecture("lcn k=3,2 s=2")
    assert f == LCN((3, 2), (2,))
    assert f.ambient_dim == 5 and f.expected_dim == 4


def test_activation_parsing() -> None:
    assert parse_activation("x^2") == Monomial(2)
    assert parse_activation("x") == Monomial(1)
    assert parse_activation("x^3 + x^2") == Polynomial((0, 0, 1, 1))
    assert parse_activation("2*x^3 - 1/2 x").coefficients[1] == pytest.approx(-0.5)
    assert parse_activation("generic:4@3") == GenericPolynomial(4, seed=3)
    assert GenericPolynomial(4, seed=3).coefficients == GenericPolynomial(4, seed=3).coefficients
    assert GenericPolynomial(4, seed=3).coefficients != GenericPolynomial(4, seed=4).coefficients


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("mlp 2-0-1 x^2", "must be ≥ 1"),
        ("mlp 2-3-1 relu", "not a polynomial"),
        ("mlp 2-3-1 sin(x)", "not a polynomial"),
        ("mlp 2-3-1 x^-1", "not a polynomial"),
        ("mlp 2-3-1 1/x", "not a polynomial"),
        ("mlp 2-3-1", "missing activation"),
        ("mlp 2 x^2", "at least an input and an output"),
        ("mlp 2-3-1 x^1000", "absurdly large"),
        ("mlp 2-99999999-1 x^2", "absurdly large"),
        ("mlp 2000-2000-2000-2000-2000-2000-2000-2000-2000-2000-2000-2000-2000-2000 x^2", "many"),
        ("cnn k=3,2,2 s=2,2,2 x^2", "strides"),
        ("cnn k=3,0 x^2", "≥ 1"),
        ("cnn s=2 x^2", "no filter sizes"),
        ("lcn k=3,2 x^2", "linear"),
        ("rnn 2-3 x^2", "unknown architecture kind"),
        ("", "empty"),
        ("mlp 2-3-1 3", "constant"),
        ("mlp 2-3-1 generic:1", "≥ 2"),
    ],
)
def test_bad_specs_raise_typed_errors(spec: str, fragment: str) -> None:
    with pytest.raises(ArchitectureError, match=fragment):
        parse_architecture(spec)


def test_bad_values_at_construction() -> None:
    with pytest.raises(ActivationError):
        Monomial(0)
    with pytest.raises(ActivationError):
        Polynomial((1,))
    with pytest.raises(ActivationError):
        Polynomial((0, float("nan")))
    with pytest.raises(ArchitectureError):
        MLP((2, 3), "x^2")  # type: ignore[arg-type]
    with pytest.raises(ArchitectureError):
        CNN((3, 2), (1, 1), Monomial(2))


activations = st.one_of(
    st.integers(1, 5).map(Monomial),
    st.integers(2, 5).flatmap(lambda d: st.integers(0, 9).map(lambda s: GenericPolynomial(d, s))),
    st.lists(st.integers(-5, 5), min_size=2, max_size=5)
    .filter(lambda c: any(c[1:]))
    .map(lambda c: Polynomial(tuple(c))),
)


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    act=activations,
    bias=st.booleans(),
)
def test_mlp_spec_round_trip(widths: list[int], act: object, bias: bool) -> None:
    f = MLP(tuple(widths), act, bias=bias)  # type: ignore[arg-type]
    g = parse_architecture(f.spec)
    assert g.spec == f.spec
    assert g.n_params == f.n_params and g.ambient_dim == f.ambient_dim
    assert f.expected_dim <= f.ambient_dim and f.expected_dim <= f.n_params


@settings(max_examples=40, deadline=None)
@given(
    filters=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    data=st.data(),
    r=st.integers(1, 3),
)
def test_cnn_spec_round_trip(filters: list[int], data: st.DataObject, r: int) -> None:
    strides = tuple(
        data.draw(st.lists(st.integers(1, 3), min_size=len(filters) - 1, max_size=len(filters) - 1))
    )
    f = LCN(tuple(filters), strides) if r == 1 else CNN(tuple(filters), strides, Monomial(r))
    g = parse_architecture(f.spec)
    assert g == f
    # receptive field: k_1 + Σ_{i≥2} (k_i − 1)·s_1⋯s_{i−1}
    size, prod = filters[0], 1
    for i in range(1, len(filters)):
        prod *= strides[i - 1]
        size += (filters[i] - 1) * prod
    assert f.n_inputs == size


def test_architectures_are_hashable_values() -> None:
    a = parse_architecture("mlp 2-3-1 x^2")
    b = MLP((2, 3, 1), Monomial(2))
    assert a == b and hash(a) == hash(b) and a.key == b.key
    assert len({a, b, parse_architecture("mlp 2-3-1 x^3")}) == 2
