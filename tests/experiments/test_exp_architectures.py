"""Training on architectures outside MLP / single-channel CNN: lightning attention
(HMK arXiv:2408.17221) and multi-channel convolutions (with channel and padding strata).

The trainer's loss is checked against hand-written numpy forwards of these networks (no code
shared with the library's JAX forwards), and a student started near a teacher of its own
architecture must fit it to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.errors import ExperimentError
from neurovariety.experiments.bias import singularity_bias
from neurovariety.experiments.data import teacher_data
from neurovariety.experiments.fisher import fisher_study
from neurovariety.experiments.trainer import initial_parameters
from neurovariety.experiments.training import (
    CRITERIA,
    HEADLINE,
    TrainConfig,
    function_distances,
    stratum_distances,
    train,
)


def attention_numpy(theta: np.ndarray, x: np.ndarray, t: int, d: int, a: int) -> np.ndarray:
    """One layer of lightning attention, y_k = Σ_j ⟨Q x_k, K x_j⟩ V x_j, θ = (Q, K, V) row-major
    with Q, K of shape a×d and V of shape d×d; x and y flattened token by token."""
    Q = theta[: a * d].reshape(a, d)
    K = theta[a * d : 2 * a * d].reshape(a, d)
    V = theta[2 * a * d :].reshape(d, d)
    X = x.reshape(t, d)
    Y = np.zeros((t, d))
    for k in range(t):
        for j in range(t):
            Y[k] += float((Q @ X[k]) @ (K @ X[j])) * (V @ X[j])
    return Y.reshape(-1)


def conv_numpy(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """cnn k=2,2 c=1,2,1 x^2 on x ∈ R³: h_o(t) = Σ_m w1[o, m] x[t + m] for o = 0, 1 and t = 0, 1,
    y = Σ_{o,m} w2[o, m] h_o(m)²; θ = (w1[0, :], w1[1, :], w2[0, :], w2[1, :])."""
    w1, w2 = theta[:4].reshape(2, 2), theta[4:].reshape(2, 2)
    h = np.array([[w1[o] @ x[t : t + 2] for t in range(2)] for o in range(2)])
    return np.array([np.sum(w2 * h**2)])


def _mse(forward, theta: np.ndarray, X: np.ndarray, Y: np.ndarray) -> float:
    F = np.array([forward(np.asarray(theta), x) for x in X])
    return float(np.mean(np.sum((F - Y) ** 2, axis=1)))


def _teacher_student(spec: str, seed: int, steps: int):
    """Run 0 of ``seed`` starts at θ₀; the teacher is θ₀ + 0.1·N(0, I), so the start is near a
    global minimum (loss 0)."""
    arch = parse_architecture(spec)
    cfg = TrainConfig(optimizer="gd", lr=1.0, steps=steps, records=3, batch_seeds=1, init_scale=1)
    theta0 = initial_parameters(arch, cfg, seed, 0)
    teacher = theta0 + 0.1 * np.random.default_rng(5).standard_normal(arch.n_params)
    data = teacher_data(arch, 30, seed=seed, theta=teacher)
    result = train(arch, data, seeds=[0], config=cfg, seed=seed)
    return arch, data, result


def _check_fit(result, data, forward, criteria: tuple[str, ...]) -> None:
    traj = result.trajectories[0]
    # the trainer's recorded losses are the numpy forward's at the recorded parameters
    numpy_losses = [_mse(forward, np.array(th), data.X, data.Y) for th in traj["theta"]]
    np.testing.assert_allclose(traj["loss"], numpy_losses, rtol=1e-9, atol=1e-24)  # below: rounding
    assert traj["loss"][0] > 1e-2 and traj["loss"][-1] < 1e-16  # the teacher is fitted
    assert result.diverged == 0 and result.runs[0]["final_rank"] == result.generic_rank
    assert tuple(result.criteria) == criteria
    assert result.criteria["rank drop"]["count"] == 0  # a generic teacher: full rank at the end
    fresh = np.random.default_rng(9).standard_normal((20, data.X.shape[1]))
    end = np.array(traj["theta"][-1])
    got = np.array([forward(end, x) for x in fresh])
    want = np.array([forward(data.teacher_theta, x) for x in fresh])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)  # the teacher's function


def test_attention_student_fits_its_teacher_and_the_loss_is_the_numpy_forwards() -> None:
    arch, data, result = _teacher_student("attn t=2 d=2 a=1", seed=0, steps=2000)
    assert arch.n_params == 8 and "no subnetwork strata" in result.summary()
    # attention has no strata: only the rank criterion applies
    _check_fit(result, data, lambda th, x: attention_numpy(th, x, t=2, d=2, a=1), ("rank drop",))
    assert result.on_strata is None


def test_multichannel_conv_student_fits_its_teacher() -> None:
    # seed 3: a start where dφ is well conditioned (σ₁/σ₅ ≈ 17 on these inputs); from seed 0's
    # (≈ 70) plain GD creeps along a flat valley and 5000 steps do not reach 10⁻¹⁶
    arch, data, result = _teacher_student("cnn k=2,2 c=1,2,1 x^2", seed=3, steps=5000)
    assert arch.n_params == 8 and data.X.shape[1] == 3
    _check_fit(result, data, conv_numpy, CRITERIA)
    assert result.criteria[HEADLINE]["count"] == 0


def test_attention_teacher_is_normalized_through_its_last_value_map() -> None:
    # the output is linear in the last V: dividing V by the targets' sd gives unit-scale targets
    arch = parse_architecture("attn t=2 d=2 a=1")
    data = teacher_data(arch, 400, seed=1)
    assert float(np.std(data.Y)) == pytest.approx(1.0)
    F = np.array([attention_numpy(data.teacher_theta, x, 2, 2, 1) for x in data.X])
    np.testing.assert_allclose(F, data.Y, rtol=1e-10, atol=1e-12)


def test_bias_refuses_attention() -> None:
    mlp = parse_architecture("mlp 2-2-1 x^2")
    with pytest.raises(ExperimentError, match="bias needs subnetwork strata.*neurovariety train"):
        singularity_bias(mlp, parse_architecture("attn t=2 d=2 a=1"), seeds=1)


CONV = parse_architecture("cnn k=2,2 c=1,2,1 x^2")
# in-filters of channels 0, 1: (1, 0), (1, 0.2); out-filters: (3, 0.5), (0, 4) — see conv_numpy
THETA = np.array([1, 0, 1, 0.2, 3, 0.5, 0, 4.0])


def test_conv_distances_to_channel_and_padding_strata_by_hand() -> None:
    d = stratum_distances(CONV, THETA)
    assert d["inactive-out layer 1"][0] == pytest.approx(np.sqrt(9.25))  # ‖(3, 0.5)‖ < 4
    assert d["inactive-in layer 1"][0] == pytest.approx(1.0)
    assert d["redundant layer 1"][0] == pytest.approx(0.2 / np.sqrt(2))
    # filter 1's end slabs are the first taps (1, 1) and the last taps (0, 0.2) of both channels
    assert d["padding filter 1"][0] == pytest.approx(0.2)
    rms = np.sqrt(np.mean(np.square(THETA[:4])))
    assert d["padding filter 1"][1] == pytest.approx(0.2 / (rms * np.sqrt(2)))
    assert d["padding filter 2"][0] == pytest.approx(3.0)  # first (3, 0), last (0.5, 4)


def test_conv_function_distance_is_zero_on_a_dead_channel() -> None:
    theta = THETA.copy()
    theta[6:] = 0.0  # channel 1's out-filter: f is that of the one-channel network
    Z = np.random.default_rng(4).standard_normal((40, 3))
    d = function_distances(CONV, theta, Z)
    assert d["inactive-out layer 1 channels 1"] == 0.0
    assert min(function_distances(CONV, THETA, Z).values()) > 1e-3  # off every image


def test_fisher_study_of_attention_is_its_regular_point_at_the_hmk_dimension() -> None:
    # no strata: only the regular point; rank G = rank dφ = dim M = a(2d − a) + d² − 1 = 6 for
    # one layer with d = 2, a = 1 (HMK's formula), certified by the exact rank mod p
    (r,) = fisher_study(parse_architecture("attn t=2 d=2 a=1"), seed=0)
    assert r.point.startswith("regular") and r.rank == 6 and r.certified
    assert r.certainty == "proven" and r.to_dict()["certified"] is True
