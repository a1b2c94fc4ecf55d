"""Subnetwork strata and singular points, against THEORY.md (PCN, Razor) and hand reasoning."""

from __future__ import annotations

import numpy as np
import pytest

from neurovariety import NeurovarietyError, parse_architecture
from neurovariety.invariants.singularities import rank_at, singular, singular_strata
from neurovariety.invariants.strata import equivalent_paddings, parse_stratum, strata
from neurovariety.parametrization import forward
from neurovariety.results import Verdict


def test_pcn_stride_one_has_one_node_at_x1_squared() -> None:
    # PCN: k = (2, 2), stride 1, r = 2 has exactly one singular point up to scale, x_1², a node.
    f = parse_architecture("cnn k=2,2 x^2")
    results = singular_strata(f, seed=1)
    singular_ones = [r for r in results if r.verdict is Verdict.YES]
    assert {r.stratum for r in singular_ones} == {"padding 0|1 1|0", "padding 1|0 0|1"}
    for r in singular_ones:
        assert r.certified and r.branches == 2 and r.kind == "node"
        assert r.image_dimension == 1  # the line through x_1²
    # The stratum's functions are multiples of x_1²: w1 = (a, 0), w2 = (0, b) gives b·a²·x_1².
    theta = np.array([2.0, 0.0, 0.0, 3.0])
    x = np.random.default_rng(0).standard_normal((5, 3))
    assert np.allclose(forward(f, theta, x)[:, 0], 12.0 * x[:, 1] ** 2)


def test_pcn_stride_two_has_no_second_placement() -> None:
    f = parse_architecture("cnn k=2,2 s=2 x^2")
    assert all(len(equivalent_paddings(f, s.padding)) == 1 for s in strata(f))  # type: ignore[arg-type]
    assert all(r.verdict is not Verdict.YES for r in singular_strata(f))


@pytest.mark.parametrize(
    "spec", ["mlp 2-2-1 x^3+x^2", "mlp 2-3-1 generic:4", "mlp 3-2-1 generic:3"]
)
def test_generic_mlp_subnetworks_are_singular(spec: str) -> None:
    # Razor: subnetworks of MLPs with generic σ are singular points (cusp-like).
    for r in singular_strata(parse_architecture(spec), seed=2):
        assert r.verdict is Verdict.YES and r.certified
        assert r.evidence["span_rank"] > r.dimension
        assert max(r.evidence["fiber_ranks"]) < r.dimension  # dφ drops rank along the fiber


def test_filling_architectures_have_no_singular_points() -> None:
    # mlp 2-3-2 x^2 fills the 6-dim space of pairs of binary quadrics: smooth everywhere.
    for r in singular_strata(parse_architecture("mlp 2-3-2 x^2")):
        assert r.verdict is Verdict.NO and r.certified


def test_strata_enumeration_counts() -> None:
    # k = (3, 2): paddings (a, b) with a + b ≤ k − 1: 6 for k = 3, 3 for k = 2, minus the empty one.
    assert len(strata(parse_architecture("cnn k=3,2 s=2 x^2"))) == 6 * 3 - 1
    mlp = strata(parse_architecture("mlp 2-3-2-1 x^2"))
    assert len(mlp) == 2 * 3  # per hidden layer: inactive-out, inactive-in, redundant
    with_constant = strata(parse_architecture("mlp 2-3-1 x^2+1"))
    assert [s.kind for s in with_constant] == ["inactive-out", "redundant"]  # σ(0) ≠ 0


def test_stratum_basis_spans_the_stratum() -> None:
    f = parse_architecture("mlp 2-2-1 x^2")
    s = parse_stratum(f, "redundant layer 1 neurons 0,1")
    theta = s.basis @ np.arange(1, s.basis.shape[1] + 1)
    assert theta[0:2].tolist() == theta[2:4].tolist()  # equal incoming rows


def test_rank_drop_at_subnetwork_parameters() -> None:
    f = parse_architecture("mlp 2-2-1 x^3+x^2")  # dim 6
    assert rank_at(f, [1, 2, 3, 5, 7, 11]) == 6
    assert rank_at(f, [1, 2, 1, 2, 7, 11]) < 6  # redundant neurons
    with pytest.raises(NeurovarietyError, match="integers"):
        rank_at(f, [0.5, 1, 1, 1, 1, 1])


def test_unknown_stratum_name() -> None:
    with pytest.raises(NeurovarietyError, match="no stratum"):
        parse_stratum(parse_architecture("cnn k=2,2 x^2"), "padding 5|5 0|0")


def test_singular_rejects_foreign_stratum() -> None:
    a, b = parse_architecture("cnn k=2,2 x^2"), parse_architecture("cnn k=2,2 s=2 x^2")
    with pytest.raises(NeurovarietyError):
        singular(a, strata(b)[0])
