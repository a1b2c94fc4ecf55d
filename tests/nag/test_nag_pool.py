"""The lane pool (paths enter and leave a batch between chunks) and the equilibrated condition."""

from __future__ import annotations

import numpy as np
import pytest

from neurovariety.nag import parse_system
from neurovariety.nag.homotopy import Homotopy, parameter_homotopy, to_patch
from neurovariety.nag.lanes import LanePool
from neurovariety.nag.points import condition_numbers, equilibrated_condition_numbers
from neurovariety.nag.tracker import TrackerOptions, TrackStatus
from neurovariety.nag.workers import wait_all


def _square_roots(seed: int, m: int) -> tuple[Homotopy, np.ndarray, np.ndarray]:
    """x² = a along segments from a = 1 to ``m`` random targets with |a1 − 1| < 0.8: the
    segment stays in the right half-plane, where the principal square root is continuous, so
    x = ±1 ends at ±sqrt(a1). Returns the homotopy, its patch and the targets."""
    F = parse_system("variables: x\nparameters: a\nx^2 - a")
    rng = np.random.default_rng(seed)
    H = parameter_homotopy(F, np.ones(1), np.ones(1), rng)
    targets = 1 + 0.8 * rng.uniform(size=m) * np.exp(2j * np.pi * rng.uniform(size=m))
    return H, np.asarray(H.data["a"]), targets


def _segments(targets: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "p0": np.ones((targets.size, 1), complex),
        "p1": targets[:, None].astype(complex),
        "c": np.zeros((targets.size, 1), complex),
    }


def test_pool_refills_lanes_and_every_path_ends_where_continuation_says() -> None:
    # x = ±1 ends at ±sqrt(a1) (see _square_roots). Forty paths through a pool of at most 16
    # lanes: lanes must be refilled.
    m = 40
    H, a, targets = _square_roots(3, m)
    signs = np.where(np.arange(m) % 2 == 0, 1.0, -1.0)
    pool = LanePool(H.fn, H.data, 2, {"p0": 1, "p1": 1, "c": 1}, width=8, max_width=16)
    pending = list(range(m))
    ends: dict[int, np.ndarray] = {}
    opts = TrackerOptions()
    while pending or pool.busy:
        take = pending[: 16 - pool.busy]
        if take:
            idx = np.array(take)
            pd = _segments(targets[idx])
            loaded = pool.load(to_patch(signs[idx, None].astype(complex), a), pd, idx, opts)
            pending = pending[loaded:]
        pool.advance(5)
        done = pool.finished()
        tags, X, status, _ = pool.release(done)
        assert np.all(status == TrackStatus.DONE)
        for tag, row in zip(tags, X, strict=True):
            ends[int(tag)] = row[1] / row[0]
    assert pool.width == 16 and sorted(ends) == list(range(m))
    got = np.array([ends[j] for j in range(m)])
    np.testing.assert_allclose(got, signs * np.sqrt(targets), rtol=1e-9)


def test_equilibrated_condition_sees_singularity_not_scale() -> None:
    # (x − 10)(x − 11)·y^12 scaled badly: regular roots far from the origin of a degree-14 system
    # read as ill-conditioned projectively, but not once rows and columns are equilibrated.
    F = parse_system("variables: x, y\n1e-6*(x - 10)*(y - 20)\ny^13 - 20^13 + x - 10")
    X = np.array([[1.0, 10.0, 20.0]], complex)
    P = np.zeros((1, 0), complex)
    eq = equilibrated_condition_numbers(F, X, P)[0]
    proj = condition_numbers(F, X / np.linalg.norm(X), P, np.array([1.0, 0.0, 0.0]))[0]
    assert eq < 1e3 < proj
    # A double root stays singular under any scaling.
    G = parse_system("variables: x, y\n(x - 1)^2\ny - 2")
    assert equilibrated_condition_numbers(G, np.array([[1.0, 1.0, 2.0]], complex), P)[0] > 1e12


def test_pool_with_a_tail_width_moves_its_stragglers_and_returns_when_work_arrives() -> None:
    # x² = a along segments from a = 1: endpoints ±sqrt(a1) as above. A 16-lane pool with a
    # 4-lane tail: once its tail program is compiled and at most 4 paths run, it shrinks to 4,
    # and loading more paths takes it back to 16; every path still ends where it should.
    H, a, targets = _square_roots(5, 13)
    pool = LanePool(
        H.fn, H.data, 2, {"p0": 1, "p1": 1, "c": 1}, width=16, max_width=16, tail_width=4
    )
    opts = TrackerOptions()

    def load(idx: np.ndarray) -> None:
        pd = _segments(targets[idx])
        assert pool.load(to_patch(np.ones((idx.size, 1), complex), a), pd, idx, opts) == idx.size

    ends: dict[int, complex] = {}

    def run_until_done() -> None:
        while pool.busy:
            pool.advance(2)
            tags, X, status, _ = pool.release(pool.finished())
            assert np.all(status == TrackStatus.DONE)
            ends.update({int(t): row[1] / row[0] for t, row in zip(tags, X, strict=True)})

    load(np.arange(3))
    assert not pool.shrink_to_tail()  # its program is not compiled before the first advance
    pool.advance(1)
    assert pool._tail is not None
    wait_all([pool._tail])
    assert pool.shrink_to_tail() and pool.width == 4
    load(np.arange(3, 13))  # more than 4 paths: back to the wide program
    assert pool.width == 16
    run_until_done()
    got = np.array([ends[j] for j in range(13)])
    np.testing.assert_allclose(got, np.sqrt(targets), rtol=1e-9)


def test_the_stored_tangent_is_the_davidenko_tangent_after_every_step() -> None:
    # x² = a(t), a(t) = a1 + t (1 − a1): in patch coordinates X = Y / (α·Y), Y = (1, x), the
    # tangent is dX/dt = Y'/(α·Y) − Y (α·Y')/(α·Y)² with Y' = (0, a'(t) / 2x), a' = 1 − a1.
    # The tracker reuses its last Newton tangent in the next step's prediction; after an
    # accepted step, a rejected one (forced: first step of length 1) and a path's first step,
    # the stored tangent must be the one at the current point.
    F = parse_system("variables: x\nparameters: a\nx^2 - a")
    rng = np.random.default_rng(5)
    H = parameter_homotopy(F, np.ones(1), np.ones(1), rng)
    alpha = np.asarray(H.data["a"])
    targets = np.array([1.8, 1 + 0.7j, 0.4 - 0.5j, 40.0])
    pool = LanePool(H.fn, H.data, 2, {"p0": 1, "p1": 1, "c": 1}, width=8, max_width=8)
    pd = {
        "p0": np.ones((4, 1), complex),
        "p1": targets[:, None].astype(complex),
        "c": np.zeros((4, 1), complex),
    }
    pool.load(to_patch(np.ones((4, 1), complex), alpha), pd, np.arange(4), TrackerOptions())
    pool.state.h[:4] = 1.0
    rejected_first = False
    for i in range(40):
        pool.advance(1)
        st = pool.state
        if i == 0:
            rejected_first = bool(np.any(st.rejected[:4] == 1))
        for lane in range(4):
            X, t = st.X[lane], float(st.t[lane])
            if st.status[lane] != TrackStatus.TRACKING:
                continue
            Y = np.array([1.0, X[1] / X[0]])
            dY = np.array([0.0, (1 - targets[lane]) / (2 * Y[1])])
            s = alpha @ Y
            exact = dY / s - Y * (alpha @ dY) / s**2
            np.testing.assert_allclose(st.k[lane], exact, rtol=1e-6, atol=1e-9)
            assert 0 < t <= 1
    assert rejected_first


def test_a_pool_in_two_parts_tracks_every_lane_as_one_part_does() -> None:
    # The parts of a full-width pool run the same program on interleaved lanes, at once: every
    # path must end where it ends in a pool of one part, in as many steps, and the lanes must
    # be refilled across both parts (24 paths through 16 lanes).
    m = 24
    H, a, targets = _square_roots(7, m)
    signs = np.where(np.arange(m) % 3 == 0, 1.0, -1.0)

    def run(parts: int) -> tuple[np.ndarray, np.ndarray]:
        pool = LanePool(
            H.fn, H.data, 2, {"p0": 1, "p1": 1, "c": 1}, width=16, max_width=16, parts=parts
        )
        pending = list(range(m))
        ends, steps = np.zeros(m, complex), np.zeros(m, int)
        while pending or pool.busy:
            idx = np.array(pending[: 16 - pool.busy], dtype=int)
            if idx.size:
                X0 = to_patch(signs[idx, None].astype(complex), a)
                pending = pending[pool.load(X0, _segments(targets[idx]), idx, TrackerOptions()) :]
            pool.advance(3)
            tags, X, status, n = pool.release(pool.finished())
            assert np.all(status == TrackStatus.DONE)
            ends[tags], steps[tags] = X[:, 1] / X[:, 0], n
        return ends, steps

    one, one_steps = run(1)
    two, two_steps = run(2)
    np.testing.assert_allclose(one, signs * np.sqrt(targets), rtol=1e-9)
    np.testing.assert_allclose(two, one, rtol=1e-12)
    np.testing.assert_array_equal(two_steps, one_steps)


def test_a_pool_refuses_parts_that_do_not_divide_its_width() -> None:
    H, _, _ = _square_roots(0, 1)
    with pytest.raises(ValueError, match="divide max_width"):
        LanePool(H.fn, H.data, 2, {"p0": 1, "p1": 1, "c": 1}, width=16, max_width=16, parts=3)


def test_where_a_gpu_is_jaxs_default_the_tracker_and_evaluator_run_on_the_cpu(monkeypatch):
    # Path tracking ran ~4x slower on an H200 than on two CPU cores (benchmarks/RESULTS.md):
    # with a GPU as the default backend, the arguments go to the CPU and the paths still end
    # where continuation says.
    import jax

    import neurovariety.nag.lanes as lanes
    import neurovariety.nag.system as system
    import neurovariety.nag.tracker as tracker

    moved = []
    put = jax.device_put

    def spy(x, device=None, *args, **kwargs):
        moved.append((device, "tracker" if isinstance(x, tuple) else "evaluator"))
        return put(x, device, *args, **kwargs)

    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    monkeypatch.setattr(tracker.jax, "device_put", spy)
    H, a, targets = _square_roots(11, 6)
    signs = np.where(np.arange(6) % 2 == 0, 1.0, -1.0)
    X, status = lanes.pool_track(H, to_patch(signs[:, None].astype(complex), a), _segments(targets))
    assert np.all(status == TrackStatus.DONE)
    np.testing.assert_allclose(X[:, 1] / X[:, 0], signs * np.sqrt(targets), rtol=1e-9)
    F = parse_system("variables: x\nparameters: a\nx^2 - a")
    np.testing.assert_allclose(F.evaluate(np.array([2.0]), np.array([1.0])), [3.0])
    assert {who for _, who in moved} == {"tracker", "evaluator"}
    assert all(d == jax.devices("cpu")[0] for d, _ in moved)
    with system.on_host() as host:
        assert host == jax.devices("cpu")[0]


def test_a_failed_compile_still_releases_a_caller_waiting_for_its_trace(monkeypatch):
    # A search waits for its compile thread's trace before it traces its own programs: a
    # thread that fails must not leave it waiting forever.
    import threading

    import neurovariety.nag.lanes as lanes

    def broken(*args, **kwargs):
        raise RuntimeError("no compiler today")

    H, _, _ = _square_roots(0, 1)
    pool = LanePool(H.fn, H.data, 2, {"p0": 1, "p1": 1, "c": 1}, width=16, max_width=16)
    monkeypatch.setattr(lanes, "_advance", broken)
    traced = threading.Event()
    with pytest.raises(RuntimeError, match="no compiler"):
        pool.compile(traced=traced)
    assert traced.is_set()
