"""The singularity-bias experiment's safeguards and end-point criteria (Razor, arXiv:2505.11846).

Expected values are hand-derived: ranks of dφ from which partial derivatives vanish, the
function-space distance as a one-column least-squares residual, Wilson and Fisher in closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.errors import ExperimentError
from neurovariety.experiments.bias import fisher_p
from neurovariety.experiments.data import teacher_data
from neurovariety.experiments.training import (
    CRITERIA,
    TrainConfig,
    diverged_reason,
    end_criteria,
    end_point_rank,
    function_distances,
    maximal_strata,
    proportion,
    train,
)
from neurovariety.landscape.critical import wilson_interval
from neurovariety.parametrization.numeric import forward

MLP = parse_architecture("mlp 2-2-1 x^3+x^2")  # θ = (row 0, row 1, v_0, v_1)


def test_armijo_step_control_prevents_the_divergence_of_plain_gd() -> None:
    arch = parse_architecture("mlp 1-2-1 x^2")
    data = teacher_data(arch, 10, seed=0)
    common = dict(optimizer="gd", lr=0.05, steps=40, records=2, batch_seeds=6, init_scale=1.0)
    plain = train(arch, data, seeds=6, config=TrainConfig(**common, step_control="none"))
    safe = train(arch, data, seeds=6, config=TrainConfig(**common))  # auto = armijo for gd
    # measured, not assumed: the fixed step blows up some runs, the same starts survive with it
    assert 0 < plain.diverged < 6
    assert safe.diverged == 0 and safe.step_control == "armijo"
    for t in safe.trajectories:  # a descent method: the loss never increases
        assert all(b <= a * (1 + 1e-12) for a, b in zip(t["loss"], t["loss"][1:], strict=False))
    # diverged runs are counted apart: every fraction is over the others
    flagged = [r for r in plain.runs if r["diverged"]]
    assert len(flagged) == plain.diverged == plain.diverged_reasons["not finite"]
    assert all(r["final_loss"] is None and not any(r["criteria"].values()) for r in flagged)
    for name in CRITERIA:
        assert plain.criteria[name]["runs"] == 6 - plain.diverged
    with pytest.raises(ExperimentError, match="gd"):
        TrainConfig(optimizer="adam", step_control="armijo")


def test_armijo_is_plain_gd_where_the_fixed_step_descends() -> None:
    # a safeguard, not another method: with a small step every step is accepted, and the
    # trajectory is plain GD's to rounding
    arch = parse_architecture("mlp 1-2-1 x^2")
    data = teacher_data(arch, 10, seed=0)
    common = dict(optimizer="gd", lr=0.002, steps=30, records=3, batch_seeds=3)
    plain = train(arch, data, seeds=3, config=TrainConfig(**common, step_control="none"))
    safe = train(arch, data, seeds=3, config=TrainConfig(**common, step_control="armijo"))
    for a, b in zip(plain.trajectories, safe.trajectories, strict=True):
        np.testing.assert_allclose(b["theta"], a["theta"], rtol=1e-12, atol=1e-14)
    assert all(r["final_step_size"] == 0.002 for r in safe.runs)


def test_diverged_reasons() -> None:
    assert diverged_reason(1.0, 0.1, [1.0, 0.0], [3.0, 4.0]) is None
    assert diverged_reason(1.0, math.nan, [1.0], [1.0]) == "not finite"
    assert diverged_reason(1.0, 0.1, [1.0], [math.inf]) == "not finite"
    assert diverged_reason(0.5, 50.1, [1.0], [1.0]) == "loss grew"  # > 100 × 0.5
    assert diverged_reason(1.0, 0.1, [0.1], [101.0]) == "parameters grew"  # > 100 × max(0.1, 1)
    cfg = TrainConfig(threshold=1e-2, fs_threshold=1e-3)
    run = {"diverged": False, "min_rel_distance": 0.5, "final_rank": 3, "function_distance": 1e-5}
    assert end_criteria(run, 6, cfg) == dict(zip(CRITERIA, (False, True, True, True), strict=True))
    assert end_criteria(run, 3, cfg)["rank drop + function"] is False  # rank 3 is generic there
    assert not any(end_criteria({**run, "diverged": True}, 6, cfg).values())


def test_rank_drop_on_a_hand_built_inactive_neuron() -> None:
    probes = np.random.default_rng(3).standard_normal((8, 2))
    w0, v0 = [0.7, -1.3], 1.1
    # inactive-in: row 1 = 0. σ(0) = σ'(0) = 0 (σ = x³ + x²), so ∂f/∂row1 and ∂f/∂v1 vanish:
    # only row 0 and v0 act, rank 3 of the generic 6
    on = end_point_rank(MLP, [*w0, 0.0, 0.0, v0, 2.0], probes)
    assert (on["rank"], on["generic_rank"], on["rank_drop"]) == (3, 6, True)
    assert on["gap"] > 1e8
    # inactive-out: v1 = 0 kills ∂f/∂row1 (2 directions): rank 4
    out = end_point_rank(MLP, [*w0, 0.4, 0.9, v0, 0.0], probes)
    assert (out["rank"], out["rank_drop"]) == (4, True)
    off = end_point_rank(MLP, [*w0, 0.4, 0.9, v0, 2.0], probes)
    assert (off["rank"], off["rank_drop"], off["gap"]) == (6, False, None)


def test_function_distance_zero_on_the_image_and_a_hand_computed_value() -> None:
    Z = np.random.default_rng(1).standard_normal((40, 2))
    theta = [0.7, -1.3, 0.4, 0.9, 1.1, 0.0]  # v1 = 0: f_θ lies on an inactive-out image
    d = function_distances(MLP, theta, Z)
    # all strata of mlp 2-2-1 have the same image, the 2-1-1 neuromanifold: the fits that keep
    # neuron 0 (inactive-in/out neuron 1, the redundant pair: v0 σ(w·x) + v1 σ(w·x)) reach f_θ
    assert d["inactive-out layer 1 neurons 1"] == 0.0
    assert d["inactive-in layer 1 neurons 1"] < 1e-12
    assert d["redundant layer 1 neurons 0,1"] < 1e-6
    off = function_distances(MLP, [*theta[:5], 2.0], Z)  # a generic point: off every image
    assert min(off.values()) > 1e-2
    # cnn k=2,1 x^2: f = u (a x0 + b x1)². Zero padding of the first filter's end (b = 0) has
    # image {c x0²}, so the distance is the residual of regressing f on the one column x0²
    cnn = parse_architecture("cnn k=2,1 x^2")
    a, b, u = 0.8, -0.6, 1.5
    Z = np.random.default_rng(2).standard_normal((60, 2))
    f = u * (a * Z[:, 0] + b * Z[:, 1]) ** 2
    expected = {}
    for name, col in (("padding 0|1 0|0", Z[:, 0] ** 2), ("padding 1|0 0|0", Z[:, 1] ** 2)):
        c = (col @ f) / (col @ col)
        expected[name] = np.linalg.norm(f - c * col) / np.linalg.norm(f)
    np.testing.assert_allclose(forward(cnn, np.array([a, b, u]), Z).ravel(), f, rtol=1e-12)
    got = function_distances(cnn, [a, b, u], Z)
    assert {s.name for s in maximal_strata(cnn)} == set(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-8)


def test_wilson_interval_and_fisher_in_closed_form() -> None:
    z2 = 1.96**2
    assert wilson_interval(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))  # 0.2775
    assert wilson_interval(10, 10)[0] == pytest.approx(10 / (10 + z2))
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert proportion(5, 10)["fraction"] == 0.5
    # [[3, 0], [0, 3]]: the observed table has probability 1/C(6, 3); two-sided p doubles it
    assert fisher_p(proportion(3, 3), proportion(0, 3)) == pytest.approx(0.1)


def test_figures_of_an_architecture_without_strata(tmp_path) -> None:
    # cnn k=1,1 has no strata: its end points have no distances (None), which the figures skip
    from neurovariety.experiments.bias import singularity_bias
    from neurovariety.experiments.plots import bias_fractions, distance_histogram

    cfg = TrainConfig(optimizer="gd", steps=5, records=1, batch_seeds=2)
    mlp, cnn = parse_architecture("mlp 1-1-1 x^2"), parse_architecture("cnn k=1,1 x^2")
    result = singularity_bias(mlp, cnn, seeds=2, samples=10, config=cfg)
    assert all(r["function_distance"] is None for r in result.cnn.runs)
    assert bias_fractions(result, tmp_path / "b.png").stat().st_size > 0
    assert distance_histogram([result.mlp, result.cnn], tmp_path / "d.png").stat().st_size > 0
