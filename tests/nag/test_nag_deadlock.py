"""No deadlock in the lane pool, Ctrl-C ends a search at once, time limits hold inside tracking.

The stress cases run in subprocesses (``pool_stress.py``): a deadlock there, or a signal,
cannot take the test process with it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neurovariety.nag import monodromy_solve, parse_system
from neurovariety.nag.workers import cores, solve_may_split

STRESS = str(Path(__file__).with_name("pool_stress.py"))


def _parts(rounds: int, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, STRESS, "parts", str(rounds), *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_which_solves_may_split_follows_jaxlibs_rule() -> None:
    # jaxlib splits a batch of complex n x n LUs when 3 n^3 x batch >= 200,000 flops (and the
    # pool has 2+ threads): 64 lanes of 13 unknowns (421,824) split, of 8 (98,304) do not.
    assert solve_may_split(64, 13) == (cores() > 1)
    assert not solve_may_split(64, 8)
    assert solve_may_split(64, 11) == (cores() > 1)  # 255,552
    assert not solve_may_split(64, 10)  # 192,000


def test_a_pool_in_parts_whose_solves_split_ends() -> None:
    # The case that deadlocked on 2 cores (both parts' solves waiting on XLA's pool of two
    # threads) after one or two calls: 128 paths through two parts must all end.
    run = _parts(1)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok" in run.stdout


@pytest.mark.slow
def test_a_pool_in_parts_whose_solves_split_ends_twenty_times_in_a_row() -> None:
    run = _parts(20, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok" in run.stdout


@pytest.mark.slow
@pytest.mark.skipif(cores() != 2, reason="the deadlock needs an intra-op pool of two threads")
def test_without_the_guard_the_stress_case_deadlocks() -> None:
    # The stress case reproduces the deadlock: without the guard on splitting solves, a call
    # never returns (the pool's caller gives up after 30 s and reports it).
    run = _parts(3, "ungated", timeout=200)
    assert run.returncode == 3 and "DEADLOCK" in run.stdout, run.stdout + run.stderr


def test_ctrl_c_ends_a_monodromy_search_at_once_without_a_traceback() -> None:
    # A search that never ends by itself, behind the command line's error boundary: SIGINT
    # must end the process within 3 s, with the interrupted status and no traceback (a worker
    # thread coming back from XLA while the interpreter finalizes used to abort the process).
    p = subprocess.Popen(
        [sys.executable, STRESS, "search"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout is not None and p.stdout.readline() == "searching\n"
        time.sleep(0.5)  # crossings in flight
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            # still running: every thread's stack (faulthandler, see pool_stress) says where
            p.send_signal(signal.SIGUSR1)
            time.sleep(1.0)
            p.kill()
            out, err = p.communicate()
            raise AssertionError(f"no exit 30 s after SIGINT; threads:\n{err}") from None
        took = time.monotonic() - sent
    finally:
        p.kill()
    assert took < 3.0, took
    assert p.returncode == 130, (p.returncode, out, err)
    assert "Traceback" not in err and "FATAL" not in err, err
    assert "interrupted" in err, err


def test_a_time_limit_stops_a_search_inside_tracking_and_marks_it_partial() -> None:
    # x² + y² = a, xy = b has 4 solutions, and loops never end while the stale rule waits
    # 10^6 loops: the search must stop at the limit (a second's grace for the result), its
    # result marked partial, the trace test "unknown" with the reason.
    F = parse_system("parameters: a, b\nx^2 + y^2 - a\nx*y - b")
    start = (np.array([1.0, 2.0]), np.array([5.0, 2.0]))
    t = time.monotonic()
    r = monodromy_solve(
        F, start, seed=0, max_loops_without_progress=10**6, max_loops=10**6, time_limit=1.5
    )
    took = time.monotonic() - t
    assert took < 1.5 + 1.0, took
    assert r.out_of_time and "time budget" in r.stop_reason
    assert r.complete.value == "unknown" and "time budget" in r.trace.note
    assert any("partial" in b for b in r.bullets())
    assert 1 <= r.nsolutions <= 4


def test_a_deadline_ends_a_call_in_flight_and_an_error_in_a_worker_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # XLA cannot be stopped: a pool call that runs past its deadline is abandoned (the pool's
    # state unchanged) and the caller goes on at once; a call that fails raises in the caller.
    import neurovariety.nag.lanes as lanes
    import neurovariety.nag.tracker as tracker
    from neurovariety.nag.homotopy import parameter_homotopy, to_patch

    F = parse_system("variables: x\nparameters: a\nx^2 - a")
    H = parameter_homotopy(F, np.ones(1), np.ones(1), np.random.default_rng(0))
    pool = lanes.LanePool(H.fn, H.data, 2, {"p0": 1, "p1": 1, "c": 1}, width=8, max_width=8)
    one = np.ones((1, 1), complex)
    pd = {"p0": one, "p1": 2 * one, "c": 0 * one}
    pool.load(to_patch(one, np.asarray(H.data["a"])), pd, np.array([0]), tracker.TrackerOptions())
    before = pool.state.t.copy()

    def slow(*args: object, **kwargs: object) -> None:
        time.sleep(1.0)  # well before the interpreter's exit waits for it
        raise AssertionError("an abandoned call's result must not be used")

    monkeypatch.setattr(lanes.LanePool, "_run", slow)
    t = time.monotonic()
    assert not pool.advance(16, time.monotonic() + 0.2)
    assert time.monotonic() - t < 0.2 + 0.3
    np.testing.assert_array_equal(pool.state.t, before)

    def broken(*args: object, **kwargs: object) -> None:
        raise FloatingPointError("a worker's error")

    monkeypatch.setattr(lanes.LanePool, "_run", broken)
    with pytest.raises(FloatingPointError, match="a worker's error"):
        pool.advance(1)
    time.sleep(1.0)  # the abandoned call ends
