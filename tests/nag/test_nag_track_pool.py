"""The tracker's lane pool (paths refilled from a queue), chord Newton and the exported loop.

Each is checked against a second way of doing the same tracking that does not use it: the pool
against one lockstep batch holding every path, chord Newton against full Newton, the exported
loop against ``jax.jit`` of the same function. Endpoints must agree to the tracker's own
accuracy, and every path's result must land at its own index.
"""

from __future__ import annotations

import time

import jax
import numpy as np
import pytest
from nag_systems import cyclic

from neurovariety.errors import OptionError
from neurovariety.nag import parse_system, programs
from neurovariety.nag import tracker as T
from neurovariety.nag.homotopy import total_degree_homotopy
from neurovariety.nag.tracker import TrackerOptions, TrackState, TrackStatus, controls, track


@pytest.fixture(scope="module")
def cyclic5():
    F = parse_system(cyclic(5))
    H, X0 = total_degree_homotopy(F, np.zeros(0), np.random.default_rng(3))
    return H, X0  # 120 paths


def _affine(X: np.ndarray) -> np.ndarray:
    return X[:, 1:] / X[:, :1]


def test_a_refilled_pool_ends_every_path_where_one_lockstep_batch_does(cyclic5, monkeypatch):
    H, X0 = cyclic5
    t0 = np.linspace(1.0, 0.9, X0.shape[0])  # per-path starts and ends travel with the path
    X0 = np.array([track(H, X0[i : i + 1], 1.0, t0[i]).X[0] for i in range(3)] + list(X0[3:]))
    t0[3:] = 1.0
    lockstep = track(H, X0, t0, 0.1, size=128)  # 120 paths: one batch, no queue
    monkeypatch.setattr(T, "POOL_WIDTH", 16)  # 120 paths through 16 lanes
    pooled = track(H, X0, t0, 0.1)
    assert np.all(lockstep.status == TrackStatus.DONE) and np.all(pooled.status == TrackStatus.DONE)
    assert np.allclose(pooled.t, 0.1)
    # the same path to the tracker's accuracy (1e-9 relative per step): same endpoint, same index
    gap = np.max(np.abs(_affine(pooled.X) - _affine(lockstep.X)), axis=1)
    assert np.all(gap < 1e-6 * (1 + np.max(np.abs(_affine(lockstep.X)), axis=1)))
    assert (
        np.array_equal(pooled.steps, lockstep.steps)
        or np.mean(np.abs(pooled.steps - lockstep.steps)) < 2
    )


def test_a_step_cap_applies_to_each_path_of_the_queue(cyclic5, monkeypatch):
    H, X0 = cyclic5
    monkeypatch.setattr(T, "POOL_WIDTH", 16)
    seg = track(H, X0, 1.0, 0.0, max_iterations=3)
    assert np.all(seg.steps <= 3) and np.all(seg.steps >= 1)  # every path started, none ran on
    # paths stopped by the cap are still moving (not failed), as in one lockstep batch
    assert np.all(seg.status == TrackStatus.TRACKING)
    assert np.all(seg.t < 1.0)


def test_a_passed_deadline_stops_queued_paths_at_their_start(cyclic5, monkeypatch):
    H, X0 = cyclic5
    monkeypatch.setattr(T, "POOL_WIDTH", 16)
    seg = track(H, X0, 1.0, 0.0, deadline=time.monotonic() - 1.0)
    assert np.all(seg.status == TrackStatus.MAX_STEPS)
    assert np.all(seg.steps == 0) and np.allclose(seg.X, X0) and np.allclose(seg.t, 1.0)


def test_chord_newton_tracks_the_same_paths_as_full_newton(cyclic5):
    H, X0 = cyclic5
    full = track(H, X0, 1.0, 0.1)
    chord = track(H, X0, 1.0, 0.1, chord=True)
    assert np.all(full.status == TrackStatus.DONE) and np.all(chord.status == TrackStatus.DONE)
    gap = np.max(np.abs(_affine(chord.X) - _affine(full.X)), axis=1)
    assert np.all(gap < 1e-6 * (1 + np.max(np.abs(_affine(full.X)), axis=1)))
    # the chord's linear convergence costs no more than a few rejected steps
    assert chord.rejected.sum() <= full.rejected.sum() + 0.05 * full.steps.sum()


def test_the_exported_loop_runs_what_jit_runs(cyclic5):
    H, X0 = cyclic5
    width, opts = 16, TrackerOptions()
    state = TrackState.blank(width, X0.shape[1], 1.0, 0.05)
    state = state._replace(
        X=X0[:width].copy(),
        t1=np.full(width, 0.1),
        status=np.full(width, TrackStatus.TRACKING, np.int32),
    )
    ctl = {k: np.full(width, v, dtype=float) for k, v in controls(opts, True).items()}
    args = programs.arguments(ctl, H.data, {}, state, 7)
    exported = programs.loop(H.fn, opts.program, False, args)
    assert not isinstance(exported, programs._Bound)  # this homotopy exports
    fallback = programs._Bound(H.fn, opts.program, False)
    a, b = jax.block_until_ready(exported(*args)), jax.block_until_ready(fallback(*args))
    for x, y in zip(a, b, strict=True):
        assert np.allclose(np.asarray(x), np.asarray(y), rtol=1e-12, atol=1e-14)
    assert np.all(np.asarray(a.steps) == 7)


def test_a_looser_tolerance_inside_the_path_keeps_the_paths_and_their_ends(cyclic5):
    H, X0 = cyclic5
    strict = track(H, X0, 1.0, 0.1, options=TrackerOptions(path_tol=1e-9))
    loose = track(H, X0, 1.0, 0.1, options=TrackerOptions(path_tol=1e-7))
    assert np.all(strict.status == TrackStatus.DONE) and np.all(loose.status == TrackStatus.DONE)
    # the end still meets newton_tol: the same endpoints as the strict run, to its accuracy
    gap = np.max(np.abs(_affine(loose.X) - _affine(strict.X)), axis=1)
    assert np.all(gap < 1e-6 * (1 + np.max(np.abs(_affine(strict.X)), axis=1)))
    # and the looser test inside the path is what the tracker applies: fewer rejected steps
    assert loose.rejected.sum() < strict.rejected.sum()


def test_tolerances_must_be_positive():
    with pytest.raises(OptionError, match="path_tol"):
        TrackerOptions(path_tol=0.0)
