"""Vmapped training: teacher recovery, strata distances, reproducibility, resumable runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.errors import ExperimentError
from neurovariety.experiments.data import Dataset, load_data, random_targets, teacher_data
from neurovariety.experiments.store import RUNS_FILE, RunStore
from neurovariety.experiments.training import (
    TrainConfig,
    stratum_distances,
    stratum_families,
    train,
)
from neurovariety.parametrization.numeric import forward

SMALL = TrainConfig(steps=50, records=5, batch_seeds=2)  # as in the train() doctest: one compile


def test_teacher_student_same_architecture_recovers_the_teacher() -> None:
    arch = parse_architecture("mlp 2-2-1 x^2")
    data = teacher_data(arch, 30, seed=0)
    cfg = TrainConfig(optimizer="adam", lr=0.03, steps=800, records=5, batch_seeds=8)
    r = train(arch, data, seeds=8, config=cfg, seed=0)
    losses = np.array([run["final_loss"] for run in r.runs])
    assert np.sum(losses < 1e-10) >= 4, losses  # most runs fit the teacher exactly
    best = int(np.argmin(losses))
    theta = np.array(r.trajectories[best]["theta"][-1])
    X = np.random.default_rng(5).standard_normal((200, 2))  # fresh inputs
    np.testing.assert_allclose(
        forward(arch, theta, X), forward(arch, data.teacher_theta, X), atol=1e-8
    )
    assert r.trajectories[best]["loss"][0] > 1e3 * r.trajectories[best]["loss"][-1]
    assert r.final_loss_median < 1e-6


def test_distances_to_strata_are_exact_euclidean_distances() -> None:
    mlp = parse_architecture("mlp 2-3-1 x^3+x^2")
    # rows (1, 0), (0, 2), (1, 0.2); outgoing (3, 0.5, -1)
    theta = np.array([1, 0, 0, 2, 1, 0.2, 3, 0.5, -1])
    d = stratum_distances(mlp, theta)
    assert d["inactive-out layer 1"][0] == pytest.approx(0.5)
    assert d["inactive-in layer 1"][0] == pytest.approx(1.0)
    assert d["redundant layer 1"][0] == pytest.approx(0.2 / np.sqrt(2))
    rms_rows = np.sqrt(np.mean([1.0, 4.0, 1.04]))
    assert d["redundant layer 1"][1] == pytest.approx(0.2 / np.sqrt(2) / rms_rows)
    cnn = parse_architecture("cnn k=3,2 s=2 x^2+x")
    d = stratum_distances(cnn, np.array([0.01, 1.0, -2.0, 3.0, 4.0]))
    assert d["padding filter 1"][0] == pytest.approx(0.01)
    assert d["padding filter 2"][0] == pytest.approx(3.0)
    assert stratum_families(parse_architecture("mlp 2-2-1 x^2 bias")) == [
        "inactive-out layer 1",
        "redundant layer 1",
    ]


def test_same_seed_identical_outputs_whatever_the_batch() -> None:
    # SGD: the minibatches come from per-run keys, so they too must not depend on the batch
    arch = parse_architecture("mlp 2-2-1 x^2")
    data = random_targets(arch, 20, seed=0)
    cfg = TrainConfig(optimizer="sgd", lr=0.01, batch_size=5, steps=50, records=5, batch_seeds=2)
    a = train(arch, data, seeds=4, config=cfg, seed=3)
    b = train(arch, data, seeds=4, config=cfg, seed=3)
    assert a.to_dict() | {"seconds": 0} == b.to_dict() | {"seconds": 0}
    assert a.trajectories == b.trajectories
    alone = train(arch, data, seeds=[2], config=cfg, seed=3)  # another batch composition
    assert alone.trajectories[0] == a.trajectories[2]
    other = train(arch, data, seeds=1, config=cfg, seed=4)
    assert other.trajectories[0]["theta"][0] != a.trajectories[0]["theta"][0]


def test_resume_skips_finished_runs_and_survives_interruption(tmp_path: Path) -> None:
    arch = parse_architecture("mlp 2-2-1 x^2")
    data = random_targets(arch, 20, seed=0)
    store = RunStore(tmp_path)
    calls: list[int] = []

    def interrupt(k: int) -> None:
        calls.append(k)
        raise KeyboardInterrupt  # after the first batch has been written

    with pytest.raises(KeyboardInterrupt):
        train(arch, data, seeds=6, config=SMALL, store=store, progress=interrupt)
    assert calls == [2] and len(store.done(next(iter(_keys(tmp_path))))) == 2
    with open(tmp_path / RUNS_FILE, "a") as fh:
        fh.write('{"key": "cut short')  # a crash in the middle of a line
    resumed = train(arch, data, seeds=6, config=SMALL, store=store)
    assert (resumed.computed, resumed.resumed) == (4, 2)
    again = train(arch, data, seeds=6, config=SMALL, store=store)
    assert (again.computed, again.resumed) == (0, 6)
    fresh = train(arch, data, seeds=6, config=SMALL)
    assert again.trajectories == fresh.trajectories
    assert again.runs == fresh.runs
    lines = (tmp_path / RUNS_FILE).read_text().splitlines()
    assert sum(line.startswith('{"key": "cut') for line in lines) == 1
    assert len([ln for ln in lines if ln.endswith("}")]) == 6  # each run written exactly once
    changed = train(
        arch,
        data,
        seeds=2,
        config=TrainConfig(steps=50, records=5, batch_seeds=2, lr=0.02),
        store=store,
    )
    assert changed.computed == 2  # other options: another experiment key


def _keys(folder: Path) -> set[str]:
    keys = set()
    for line in (folder / RUNS_FILE).read_text().splitlines():
        keys.add(json.loads(line)["key"])
    return keys


def test_data_files_and_errors(tmp_path: Path) -> None:
    X = np.arange(12.0).reshape(6, 2)
    Y = X.sum(axis=1, keepdims=True)
    np.savez(tmp_path / "d.npz", X=X, Y=Y)
    d = load_data(tmp_path / "d.npz", 2, 1)
    np.testing.assert_array_equal(d.X, X)
    np.savetxt(tmp_path / "d.csv", np.hstack([X, Y]), delimiter=",")
    assert load_data(tmp_path / "d.csv", 2, 1).fingerprint == d.fingerprint
    with pytest.raises(ExperimentError, match="columns"):
        load_data(tmp_path / "d.csv", 3, 1)
    with pytest.raises(ExperimentError, match="does not exist"):
        load_data(tmp_path / "nope.csv", 2, 1)
    np.savez(tmp_path / "bad.npz", A=X)
    with pytest.raises(ExperimentError, match="X and Y"):
        load_data(tmp_path / "bad.npz", 2, 1)
    with pytest.raises(ExperimentError, match="NaN"):
        Dataset(np.array([[np.nan]]), np.array([1.0]), "x")
    with pytest.raises(ExperimentError, match="inputs"):
        train(parse_architecture("mlp 3-2-1 x^2"), d, seeds=1)
    with pytest.raises(ExperimentError, match="optimizer"):
        TrainConfig(optimizer="newton")
    with pytest.raises(ExperimentError, match="steps"):
        TrainConfig(steps=0)
    sub = teacher_data(parse_architecture("mlp 2-1-1 x^2"), 10, seed=0)  # a subnetwork teacher
    sub.check(parse_architecture("mlp 2-3-1 x^2"))
    assert float(np.std(sub.Y)) == pytest.approx(1.0)
