"""No lost paths: the retries of failed paths.

The roots of ``x^2 + y^2 = 5, xy = 2`` are ``±(1, 2), ±(2, 1)`` (closed form); the tests mark paths
failed by hand and check what the retry with another ``gamma`` keeps.
"""

from __future__ import annotations

import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from nag_systems import cyclic

from neurovariety.nag import parse_system, solve
from neurovariety.nag.endgame import EndgameOptions
from neurovariety.nag.homotopy import parameter_homotopy, to_patch, total_degree_homotopy
from neurovariety.nag.paths import Job, _another_route, _rerouted, _valuation_probe, execute, subset
from neurovariety.nag.result import PathStatus
from neurovariety.nag.tracker import TrackerOptions, track

ROOTS = np.array([[1, 2], [2, 1], [-1, -2], [-2, -1]], complex)


def _run_with_failures(failed: list[int]):
    F = parse_system("x^2 + y^2 - 5\nx*y - 2")
    p = np.zeros(0)
    H, X0 = total_degree_homotopy(F, p, np.random.default_rng(3))
    job = Job(H, F, np.zeros((4, 0), complex), TrackerOptions(), EndgameOptions(), 1e30)
    batch, _ = execute(job, X0, 1e-7, 64)
    assert [s.value for s in batch.status] == ["success"] * 4
    for i in failed:
        batch.status[i] = PathStatus.FAILED
        batch.reason[i] = "marked failed by the test"
    other = replace(job, H=_rerouted(H, np.random.default_rng(5)))
    tight = TrackerOptions.preset("conservative")
    return _another_route(other, X0, batch, np.array(failed), tight, 4, 1e-7)


def _affine(batch, i: int) -> np.ndarray:
    return batch.X[i, 1:] / batch.X[i, 0]


def test_another_gamma_recovers_every_root_when_all_paths_failed():
    batch = _run_with_failures([0, 1, 2, 3])
    assert all(s == PathStatus.SUCCESS for s in batch.status)
    found = np.array([_affine(batch, i) for i in range(4)])
    for root in ROOTS:  # each root exactly once
        assert np.sum(np.max(np.abs(found - root), axis=1) < 1e-8) == 1
    assert all("another route" in r for r in batch.reason)


def test_another_gamma_never_counts_a_root_twice():
    batch = _run_with_failures([0, 2])
    ok = [i for i in range(4) if batch.status[i] == PathStatus.SUCCESS]
    found = np.array([_affine(batch, i) for i in ok])
    # every kept endpoint is a root, and no root is kept twice
    for x in found:
        assert np.min(np.max(np.abs(ROOTS - x), axis=1)) < 1e-8
    for root in ROOTS:
        assert np.sum(np.max(np.abs(found - root), axis=1) < 1e-8) <= 1
    for i in (0, 2):
        if batch.status[i] == PathStatus.FAILED:
            assert "already found" in batch.reason[i]


def test_a_new_patch_keeps_each_path_on_its_endpoint():
    # Failed paths are re-tracked on another patch: the same path in P^n, hence the same root.
    F = parse_system("x^2 + y^2 - 5\nx*y - 2")
    H, X0 = total_degree_homotopy(F, np.zeros(0), np.random.default_rng(3))
    job = Job(H, F, np.zeros((4, 0), complex), TrackerOptions(), EndgameOptions(), 1e30)
    first, _ = execute(job, X0, 1e-7, 64)
    a = np.exp(1j * np.arange(3.0)) / 3
    moved = replace(job, H=replace(H, data={**H.data, "a": a}))
    second, _ = execute(moved, X0 / (X0 @ a)[:, None], 1e-7, 64)
    for i in range(4):
        assert np.allclose(_affine(first, i), _affine(second, i), atol=1e-9)


def test_another_bend_recovers_a_parameter_homotopy():
    # x^2 + y^2 = a, xy = b from (a, b) = (5i, 2) to (5, 2): the four roots above
    F = parse_system("parameters: a, b\nx^2 + y^2 - a\nx*y - b")
    p0, p1 = np.array([5j, 2]), np.array([5.0, 2.0])
    start = solve(F, parameters=p0, seed=0).solutions()
    H = parameter_homotopy(F, np.tile(p0, (4, 1)), np.tile(p1, (4, 1)), np.random.default_rng(1))
    X0 = to_patch(start, np.asarray(H.data["a"]))
    job = Job(H, F, np.tile(p1, (4, 1)).astype(complex), TrackerOptions(), EndgameOptions(), 1e30)
    batch, _ = execute(job, X0, 1e-7, 64)
    for i in range(4):
        batch.status[i] = PathStatus.FAILED
    bent = _rerouted(H, np.random.default_rng(2))
    assert bent is not None and not np.allclose(bent.pdata["c"], H.pdata["c"])
    batch = _another_route(replace(job, H=bent), X0, batch, np.arange(4), TrackerOptions(), 4, 1e-7)
    assert all(s == PathStatus.SUCCESS for s in batch.status)
    found = np.array([_affine(batch, i) for i in range(4)])
    for root in ROOTS:
        assert np.sum(np.max(np.abs(found - root), axis=1) < 1e-8) == 1


def test_the_valuation_probe_reads_the_rate_of_divergence():
    # xy = 1, x = 2 by the total-degree homotopy: with s = t·γ/(1 − t), x = 2 − s(y − 1) and
    # s(x² − 1) + xy − 1 = 0, so u = s·y solves (2 − u)u = s + O(s²): u → 0 (the root (2, 1/2))
    # or u → 2, y ~ 2/(γt): |x0|/|X| ~ t, valuation 1 (by hand).
    F = parse_system("variables: x, y\nx*y - 1\nx - 2")
    H, X0 = total_degree_homotopy(F, np.zeros(0), np.random.default_rng(0))
    seg = track(H, X0, 1.0, 0.01)
    job = Job(H, F, np.zeros((2, 0), complex), TrackerOptions(), EndgameOptions(), 1e30)
    fake = SimpleNamespace(t_last=np.full(2, 0.01), last=seg.X)
    v = _valuation_probe(job, subset(H, np.arange(2)), fake, np.arange(2), 2)
    big = int(np.argmax(np.abs(seg.X[:, 2] / seg.X[:, 0])))
    assert abs(v[big] - 1.0) < 0.05
    assert not abs(v[1 - big]) > 0.02  # the finite path: |x0|/|X| tends to a constant (or nan)


@pytest.mark.slow
def test_cyclic6_total_degree_loses_no_path():
    t0 = time.monotonic()
    r = solve(parse_system(cyclic(6)), seed=0, start="total-degree")
    assert r.ledger["failed"] == 0 and r.nsolutions == 156  # the known root count of cyclic-6
    assert time.monotonic() - t0 < 600
