"""Benchmark: the path tracker's program on every JAX device of this machine (a GPU where one is
there, and the CPU), in one process — the measurement behind running path tracking on the CPU.

* **iterations** — the tracker loop (``neurovariety.nag.tracker``) of an ED system's parameter
  homotopy (default the 404 case, ``cnn k=2,2,2 s=1,1 x^2``), ``W`` lanes all tracking, placed on
  each device in turn: compile time, then milliseconds per iteration (mean of ``--iterations``)
  and lane-iterations per second. The ratio is against the CPU at the same width.
* **edd** (``--edd SPEC``) — ``edd(...)`` wall time in this process: searches run on the CPU
  wherever JAX's default backend is (``nag.system.on_host``); the first seed pays the compiles.

Usage::

    python benchmarks/accelerator.py --widths 64,1024
    python benchmarks/accelerator.py --widths 64 --edd "cnn k=2,2,2 s=1,1 x^2" --seeds 0,1
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

LARGE_404 = "cnn k=2,2,2 s=1,1 x^2"


def iteration_times(spec: str, widths: list[int], iterations: int) -> list[dict[str, Any]]:
    import jax
    import numpy as np

    from neurovariety import parse_architecture
    from neurovariety.landscape.ed_system import chart_coefficients, ed_system
    from neurovariety.nag.homotopy import parameter_homotopy
    from neurovariety.nag.lanes import LanePool
    from neurovariety.nag.monodromy import _affine_patch
    from neurovariety.nag.programs import _program
    from neurovariety.nag.tracker import TrackerOptions

    terms, _ = chart_coefficients(parse_architecture(spec))
    N = len(terms)
    rng = np.random.default_rng(0)
    O = np.linalg.qr(rng.standard_normal((N, N)))[0]
    system = ed_system(terms, O.T @ np.diag(rng.uniform(1.0, 2.0, N)) @ O, np.eye(N))
    p = np.ones(N, complex)
    H = parameter_homotopy(system, p, p, rng, a=_affine_patch(system))
    devices = [d for d in jax.devices() if d.platform != "cpu"] + [jax.devices("cpu")[0]]
    rows = []
    for w in widths:
        pool = LanePool(H.fn, H.data, H.n_unknowns, {k: N for k in ("p0", "p1", "c")}, width=w)
        state, ctl, pdata = pool._blank(w)
        # Every lane tracks for the whole run: random points and ends, no step limit.
        state.X[:] = rng.normal(size=state.X.shape) + 1j * rng.normal(size=state.X.shape)
        state.status[:] = 0
        state.t[:] = 1.0
        ctl["max_steps"][:] = 10**9
        ctl["min_step"][:] = 1e-300
        pdata = {k: rng.normal(size=v.shape) + 0j for k, v in pdata.items()}
        run, program = _program(True), TrackerOptions().program  # (Newton iterations, predictor)
        cpu_ms = None
        for device in reversed(devices):  # the CPU first: the others' ratios need it
            args = jax.device_put((ctl, H.data, pdata, state), device)
            t = time.perf_counter()
            jax.block_until_ready(run(H.fn, program, *args, 1))
            compile_s = time.perf_counter() - t
            t = time.perf_counter()
            jax.block_until_ready(run(H.fn, program, *args, iterations))
            ms = (time.perf_counter() - t) / iterations * 1e3
            cpu_ms = ms if device.platform == "cpu" else cpu_ms
            row = {
                "device": str(device.device_kind),
                "platform": device.platform,
                "width": w,
                "compile_s": round(compile_s, 2),
                "ms_per_iteration": round(ms, 3),
                "lane_iterations_per_s": round(w / ms * 1e3),
                "cpu_ms_over_this": round(cpu_ms / ms, 2) if cpu_ms else None,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def edd_times(specs: list[str], seeds: list[int], time_limit: float) -> list[dict[str, Any]]:
    import jax

    from neurovariety import parse_architecture
    from neurovariety.landscape import edd

    rows = []
    for spec in specs:
        for seed in seeds:
            t = time.perf_counter()
            r = edd(parse_architecture(spec), seed=seed, time_limit=time_limit, method="monodromy")
            row = {
                "default_backend": jax.default_backend(),
                "spec": spec,
                "seed": seed,
                "count": r.count,
                "formula": r.formula,
                "trace": r.trace_test,
                "paths": r.ledger["paths_tracked"],
                "seconds": round(time.perf_counter() - t, 2),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--widths", default="64,1024", help="lanes of the tracker program")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--spec", default=LARGE_404, help="architecture of the ED system")
    ap.add_argument("--edd", action="append", default=[], help="edd cases (repeatable)")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--json", help="write every row to this file")
    args = ap.parse_args()
    rows = iteration_times(args.spec, [int(w) for w in args.widths.split(",")], args.iterations)
    rows += edd_times(args.edd, [int(s) for s in args.seeds.split(",")], args.time_limit)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
