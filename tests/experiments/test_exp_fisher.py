"""Fisher information: rank-deficient exactly at inactive/redundant neurons (APO, Razor)."""

from __future__ import annotations

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.errors import ExperimentError
from neurovariety.experiments.fisher import (
    fisher_at,
    fisher_information,
    fisher_study,
    gauss_hermite_rule,
)
from neurovariety.invariants.strata import parse_stratum


@pytest.mark.parametrize("spec", ["mlp 3-2-2 x^3+x^2"])
def test_fisher_full_rank_at_regular_point_deficient_exactly_on_every_stratum(spec: str) -> None:
    arch = parse_architecture(spec)
    results = fisher_study(arch, seed=0)
    regular, on_strata = results[0], results[1:]
    assert regular.point.startswith("regular")
    assert regular.certified and regular.rank == arch.n_params  # generic σ: dim M = N
    assert not regular.deficient
    assert min(regular.eigenvalues) > 1e-6 * max(regular.eigenvalues)
    kinds = {r.point.split()[0] for r in on_strata}
    assert kinds == {"inactive-out", "inactive-in", "redundant"}
    for r in on_strata:
        assert r.certified, r.summary()  # exact rank mod p meets the proven upper bound
        assert r.rank < arch.n_params and r.deficient
        assert r.numerical_rank == r.rank  # the float eigenvalues agree with the exact rank
        assert abs(min(r.eigenvalues)) <= 1e-9 * max(r.eigenvalues)


def test_exact_rank_values_for_the_one_hidden_layer_example() -> None:
    # 2-2-1, σ = x³ + x²: inactive-out keeps the reduced 2-1-1 (dim 3) plus the outgoing weight
    # (4); inactive-in kills the row and the column (σ(0) = σ'(0) = 0: 3); redundant neurons
    # compute the 2-1-1 function (3).
    arch = parse_architecture("mlp 2-2-1 x^3+x^2")
    ranks = {r.point.split()[0]: r.rank for r in fisher_study(arch, seed=3)}
    assert ranks == {"regular": 6, "inactive-out": 4, "inactive-in": 3, "redundant": 3}


def test_cnn_padding_points_keep_a_nonsingular_fisher_matrix() -> None:
    # Razor: dφ of a CNN with generic σ is injective away from the zero fiber.
    arch = parse_architecture("cnn k=3,2 s=2 x^2+x")
    dim = arch.n_params  # certified elsewhere (tests of dimension): generically injective
    for name in ["padding 1|0 0|0", "padding 0|1 0|1", "padding 1|1 0|0"]:
        s = parse_stratum(arch, name)
        theta = s.basis @ np.array([2.0, -3.0, 5.0, 7.0, -1.0])[: s.basis.shape[1]]
        r = fisher_at(arch, theta, stratum=s, dim=dim)
        assert r.rank == arch.n_params and r.certified, r.summary()


def test_numeric_point_has_no_exact_rank_and_explicit_stratum_point() -> None:
    arch = parse_architecture("mlp 2-2-1 x^3+x^2")
    r = fisher_at(arch, [0.3, -1.1, 0.7, 0.2, 1.3, 0.0], stratum=None)
    assert r.exact_rank_lower is None and not r.certified
    assert r.numerical_rank == 4  # outgoing weight of neuron 1 is zero: its row is dead
    s = parse_stratum(arch, "inactive-out layer 1 neurons 0")
    r = fisher_at(arch, [1, 2, -3, 1, 0, 2], stratum=s)
    assert r.certified and r.rank == 4 and r.rank_upper == 4


def test_exact_moments_match_closed_form_and_monte_carlo() -> None:
    arch = parse_architecture("mlp 1-1-1 x^2")  # f = v (w x)²
    w, v = 0.7, -1.3
    G, how = fisher_information(arch, [w, v], sigma=2.0)
    # ∂f/∂w = 2 v w x², ∂f/∂v = w² x²; E[x⁴] = 3
    expect = 3 * np.array([[4 * v * v * w * w, 2 * v * w**3], [2 * v * w**3, w**4]]) / 4.0
    assert how == "exact"
    np.testing.assert_allclose(G, expect, rtol=1e-12)
    arch = parse_architecture("mlp 2-2-1 x^3+x^2")
    theta = np.array([0.5, -0.4, 0.3, 0.8, 1.0, -0.7])
    G_exact, _ = fisher_information(arch, theta, method="exact")
    G_mc, how = fisher_information(arch, theta, method="monte-carlo", samples=200_000, seed=1)
    assert how == "monte-carlo"
    np.testing.assert_allclose(G_mc, G_exact, rtol=0.05, atol=0.05 * np.abs(G_exact).max())


def test_gauss_hermite_rule_is_exact_for_mixed_moments() -> None:
    x, w = gauss_hermite_rule(2, 6)
    assert w.sum() == pytest.approx(1.0)
    assert w @ (x[:, 0] ** 6) == pytest.approx(15.0)  # E[x⁶] = 15
    assert w @ (x[:, 0] ** 2 * x[:, 1] ** 4) == pytest.approx(3.0)
    assert w @ (x[:, 0] ** 3 * x[:, 1]) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ExperimentError, match="monte-carlo"):
        gauss_hermite_rule(30, 6)
    with pytest.raises(ExperimentError, match="method"):
        fisher_information(parse_architecture("mlp 1-1-1 x^2"), [1.0, 1.0], method="quad")
