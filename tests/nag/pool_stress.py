"""Stress scripts run in a subprocess by ``test_nag_deadlock.py`` (a deadlock or a signal there
cannot take the test process with it).

``python pool_stress.py parts ROUNDS [ungated]``: ROUNDS rounds of 128 paths through a pool in
two parts of 64 lanes, 13 unknowns and a dot in the kernel: the batched solve may split across
XLA's intra-op pool, the case that deadlocked on 2 cores. Prints ``ok`` or ``DEADLOCK`` (exit
3). ``ungated`` drops the guard (to show that the case deadlocks without it).

``python pool_stress.py search``: a monodromy search that never ends by itself, behind the
command line's error boundary; prints ``searching`` once its first crossings are in.
"""

from __future__ import annotations

import os
import sys
import time

import jax.numpy as jnp
import numpy as np


def parts(rounds: int, ungated: bool) -> None:
    import neurovariety.nag.lanes as lanes
    import neurovariety.nag.tracker as tracker
    from neurovariety.jaxconfig import ensure_x64
    from neurovariety.nag import system_from_callable
    from neurovariety.nag.homotopy import parameter_homotopy, to_patch

    ensure_x64()  # M and N below are made before any System
    if ungated:
        tracker.solve_may_split = lambda lanes, n: False
    n = 12
    rng = np.random.default_rng(0)
    M = jnp.asarray(rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n)))
    N = jnp.asarray(rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n)))
    F = system_from_callable(
        lambda x, p: M @ (x * x) + N @ x - p, n, n_parameters=n, degrees=[2] * n
    )
    H = parameter_homotopy(F, np.zeros(n), np.zeros(n), rng)
    B = 128
    x0 = rng.normal(size=(B, n)) + 1j * rng.normal(size=(B, n))
    p0 = np.array([F.evaluate(x, np.zeros(n)) for x in x0])  # x0 solves F(x; p0) = 0
    step = rng.normal(size=(B, n)) + 1j * rng.normal(size=(B, n))
    bend = 3 * (rng.normal(size=(B, n)) + 1j * rng.normal(size=(B, n)))
    pdata = {"p0": p0, "p1": p0 + step, "c": bend}
    print(f"may split: {tracker.solve_may_split(64, n + 1)}", flush=True)
    for r in range(rounds):
        pool = lanes.LanePool(
            H.fn, H.data, n + 1, {k: n for k in pdata}, width=B, max_width=B, parts=2
        )
        X0 = to_patch(x0, np.asarray(H.data["a"]))
        pool.load(X0, pdata, np.arange(B), tracker.TrackerOptions(max_steps=300))
        while pool.busy:
            if not pool.advance(4, time.monotonic() + 30):
                print(f"DEADLOCK in round {r}", flush=True)
                os._exit(3)  # the stuck threads would hold up a normal exit
            pool.release(pool.finished())
    print("ok", flush=True)


def search() -> None:
    import faulthandler
    import signal

    import typer

    # the test sends SIGUSR1 when SIGINT did not end the process: where every thread is
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # Ctrl-C as in a terminal: a shell's background job inherits SIGINT ignored, and Python
    # then installs no handler (the test ran in such a job hung on the ignored signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    from neurovariety.cli.contract import clean_errors
    from neurovariety.nag import monodromy_solve, parse_system

    F = parse_system("parameters: a, b, c\nx^2 + y^2 + z^2 - a\nx*y + y*z - b\nx^3 - z + x*y*z - c")
    app = typer.Typer()
    seen = []

    def progress(p: object) -> None:
        if not seen and getattr(p, "crossings", 0) > 0:
            seen.append(1)
            print("searching", flush=True)

    @app.command()
    @clean_errors
    def run() -> None:
        x0 = np.array([0.3 + 0.1j, -0.7 + 0.4j, 0.5 - 0.2j])
        p0 = np.array(
            [np.sum(x0**2), x0[0] * x0[1] + x0[1] * x0[2], x0[0] ** 3 - x0[2] + np.prod(x0)]
        )
        monodromy_solve(
            F,
            (x0, p0),
            seed=0,
            trace_test=False,
            max_loops_without_progress=10**6,
            max_loops=10**6,
            time_limit=600,
            progress=progress,
        )

    app(args=[])


if __name__ == "__main__":
    if sys.argv[1] == "parts":
        parts(int(sys.argv[2]), sys.argv[3:] == ["ungated"])
    else:
        search()
