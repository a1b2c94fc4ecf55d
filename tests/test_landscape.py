"""Critical points of the squared-error loss inside strata (Razor: MLP exposed, CNN not)."""

from __future__ import annotations

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.invariants.strata import parse_stratum
from neurovariety.landscape import critical_exposure, hessian_signature, stratum_critical_point
from neurovariety.landscape.critical import wilson_interval
from neurovariety.results import Verdict


def _data(arch: object, seed: int, n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, arch.n_inputs))  # type: ignore[attr-defined]
    Y = rng.standard_normal((n, arch.n_outputs))  # type: ignore[attr-defined]
    return X, Y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_inactive_neuron_strata_are_critical_for_every_dataset(seed: int) -> None:
    f = parse_architecture("mlp 2-2-1 x^2")
    X, Y = _data(f, seed)
    for name in ["inactive-out layer 1 neurons 0", "redundant layer 1 neurons 0,1"]:
        r = stratum_critical_point(f, parse_stratum(f, name), X, Y, seed=seed)
        assert r.verdict is Verdict.YES
        if name.startswith("inactive"):
            assert r.normal_gradient_norm == 0.0  # products with zero weights: exactly zero


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zero_padded_cnn_strata_are_not_critical(seed: int) -> None:
    f = parse_architecture("cnn k=2,2 x^2")
    X, Y = _data(f, seed)
    r = stratum_critical_point(f, parse_stratum(f, "padding 0|0 0|1"), X, Y, seed=seed)
    assert r.verdict is Verdict.NO
    assert r.restricted_gradient_norm <= r.gradient_tolerance < r.normal_gradient_norm


def test_exposure_mlp_vs_cnn() -> None:
    mlp, cnn = parse_architecture("mlp 2-2-1 x^2"), parse_architecture("cnn k=2,2 x^2")
    e_mlp = critical_exposure(mlp, parse_stratum(mlp, "inactive-out layer 1 neurons 0"), trials=4)
    e_cnn = critical_exposure(cnn, parse_stratum(cnn, "padding 0|0 1|0"), trials=4)
    assert e_mlp.exposed == 4 and e_cnn.exposed == 0


def test_hessian_signature_by_hand() -> None:
    # f = w2·w1·x: at θ = 0, ∇²L = [[0, −2Σxy], [−2Σxy, 0]]: one positive, one negative.
    f = parse_architecture("mlp 1-1-1 x")
    X = np.array([[1.0], [2.0]])
    Y = np.array([[1.0], [1.0]])
    sig = hessian_signature(f, np.zeros(2), X, Y)
    assert (sig.positive, sig.negative, sig.zero) == (1, 1, 0)
    assert sig.classification == "saddle"


def test_wilson_interval_by_hand() -> None:
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
