"""Singular learning: the MLE's errors against the regular prediction d/(2n) (APO)."""

from __future__ import annotations

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.errors import ExperimentError
from neurovariety.experiments.apo import apo_curve, mle_errors, truth_point
from neurovariety.experiments.store import RunStore

ONE_UNIT = "mlp 2-1-1 x^3+x^2"  # y = v σ(w·x), w ∈ R², d = 3


def test_regular_truth_n_egen_approaches_d_over_2_within_its_ci() -> None:
    arch = parse_architecture(ONE_UNIT)
    theta = truth_point(arch, "regular", seed=0)
    p, gen, train = mle_errors(arch, theta, 1000, trials=400, restarts=1, iters=30, seed=0)
    d = arch.n_params
    assert p.gen_ci[0] <= d / 2 <= p.gen_ci[1], p
    assert p.train_ci[0] <= -d / 2 <= p.train_ci[1], p
    assert gen.shape == train.shape == (400,)
    assert np.all(gen >= 0)  # a KL divergence


@pytest.mark.slow
def test_singular_truth_overfits_more_than_the_regular_prediction() -> None:
    arch = parse_architecture(ONE_UNIT)
    theta = truth_point(arch, "singular", seed=0)
    p, _, _ = mle_errors(arch, theta, 800, trials=400, restarts=6, iters=60, seed=0)
    assert p.train_ci[1] < -arch.n_params / 2  # E_train below −d/(2n): the sup of a field


def test_truth_points() -> None:
    arch = parse_architecture("mlp 2-2-1 x^3+x^2")
    reg, sing = truth_point(arch, "regular", seed=4), truth_point(arch, "singular", seed=4)
    assert np.all(reg != 0)
    assert sing[4] == 0.0 and sing[5] == reg[5]  # neuron 0's outgoing weight only
    with pytest.raises(ExperimentError, match="MLPs"):
        truth_point(parse_architecture("cnn k=2,2 x^2"), "regular")
    with pytest.raises(ExperimentError, match="truth"):
        truth_point(arch, "cusp")


def test_apo_curve_same_seed_same_numbers_and_resume(tmp_path: object) -> None:
    arch = parse_architecture("mlp 1-1-1 x^3+x^2")
    kw = dict(trials=8, restarts=2, seed=0)
    a = apo_curve(arch, "singular", [50], **kw)  # type: ignore[arg-type]
    store = RunStore(tmp_path)  # type: ignore[arg-type]
    b = apo_curve(arch, "singular", [50], store=store, **kw)  # type: ignore[arg-type]
    assert a.points == b.points
    c = apo_curve(arch, "singular", [50], store=store, **kw)  # type: ignore[arg-type]
    assert (c.computed, c.resumed) == (0, 1)
    assert c.points[0].gen_mean == a.points[0].gen_mean
