"""Benchmark: `neurovariety sweep` throughput on 1 vs 2 local workers, and its overhead per task
against calling :func:`neurovariety.invariants.dimension.dimension` directly in a loop.

In one run, on the same families:

* **direct** — ``dimension(parse_architecture(spec)).to_dict()`` for every architecture, in this
  process, after one warm-up call (the reference: no Dask, no sandbox, no store);
* **sweep, N workers** — :func:`neurovariety.sweeps.run_sweep` on the ``LocalCluster`` of N
  single-threaded worker processes that ``neurovariety sweep --workers N`` uses
  (:func:`neurovariety.sweeps.open_client`), into a fresh SQLite store. The cluster is started
  and each worker's sandbox warmed (a tiny sweep into a scratch store) *before* the clock
  starts, so the figure is the steady-state cost of a sweep; the cold start (cluster + sandbox
  imports) is reported separately.

Each figure is the minimum over ``--repeat`` runs, taken figure by figure (the least disturbed
by other load on the machine).
Overhead = sweep on 1 worker / direct − 1, in wall time and in CPU time of the whole process
tree (client with its in-process scheduler, nanny, worker, sandbox): Dask scheduling of
batches, pickling to and from the sandbox, the store's transactions and JSON. Target < 20 %.
On a loaded machine the wall figures are noise and the cluster's idle CPU (heartbeats, memory
monitors: measured over 2 s before the sweep) grows with the wall time, so the CPU overhead is
also given without it.
Scaling = time on 1 worker / time on 2 workers (ideal 2; the client process, which writes the
store, shares the machine's cores with the workers).

Families:

* ``tiny``  — 480 MLPs (L ∈ {2, 3}, widths 1..4, outputs 1..3, r ∈ {2, 3}), ~2 ms each;
* ``medium`` — 108 MLPs of depth 4 (d_0 = 5, hidden 5..7, outputs 2..5, r = 3), ~10-60 ms each.

Usage::

    python benchmarks/sweep.py             # both families (used for benchmarks/RESULTS.md)
    python benchmarks/sweep.py --quick     # tiny family only
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from neurovariety import parse_architecture
from neurovariety.invariants.dimension import dimension
from neurovariety.sweeps import Family, family_from_dict, open_client, run_sweep

FAMILIES: dict[str, dict[str, Any]] = {
    "tiny": {
        "invariants": ["dim"],
        "mlp": {"depth": [2, 3], "widths": "1..4", "outputs": "1..3", "degrees": [2, 3]},
    },
    "medium": {
        "invariants": ["dim"],
        "mlp": {"depth": 4, "inputs": 5, "widths": "5..7", "outputs": "2..5", "degrees": [3]},
    },
}


def _tree_cpu() -> float:
    """CPU seconds (user + system) of this process and all its descendants, alive now."""
    import psutil

    total = 0.0
    me = psutil.Process()
    for p in [me, *me.children(recursive=True)]:
        try:
            c = p.cpu_times()
            total += c.user + c.system
        except psutil.Error:
            pass
    return total


def direct(fam: Family) -> tuple[float, float]:
    """(wall, CPU) seconds of the plain loop."""
    specs = list(fam.specs)
    dimension(parse_architecture(specs[0])).to_dict()  # warm-up (imports, first-call costs)
    t0, c0 = time.perf_counter(), time.process_time()
    for s in specs:
        dimension(parse_architecture(s)).to_dict()
    return time.perf_counter() - t0, time.process_time() - c0


def sweep(fam: Family, workers: int, tmp: Path) -> tuple[float, float, float, float]:
    """Cold start, steady-state sweep wall, its CPU over the whole process tree (seconds), and
    the idle CPU rate of the cluster (CPU seconds per second: heartbeats, memory monitors)."""
    t0 = time.perf_counter()
    client, cluster, _ = open_client(workers=workers)
    try:
        client.wait_for_workers(workers)
        warm = family_from_dict(
            {
                "specs": [f"mlp 2-{w}-1 x^2" for w in range(1, 4 * workers + 1)],
                "invariants": ["dim"],
            }
        )
        run_sweep(
            warm, tmp / f"warm-{time.time_ns()}.db", client=client, batch_size=1
        )  # fresh store
        cold = time.perf_counter() - t0
        c0 = _tree_cpu()
        time.sleep(2.0)
        idle = (_tree_cpu() - c0) / 2.0
        db = tmp / f"bench-{workers}-{time.time_ns()}.db"
        c1, t1 = _tree_cpu(), time.perf_counter()
        report = run_sweep(fam, db, client=client)
        seconds, cpu = time.perf_counter() - t1, _tree_cpu() - c1
        assert report.ok == len(fam.specs), report
        return cold, seconds, cpu, idle
    finally:
        client.close()
        cluster.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny family only")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions (the best is reported)")
    args = ap.parse_args()
    names = ["tiny"] if args.quick else ["tiny", "medium"]
    print(
        f"# sweep benchmark {datetime.date.today()} · {platform.processor() or platform.machine()}"
        f" · {os.cpu_count()} CPUs · load {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| family | tasks | direct s (CPU s) | 1 worker s (CPU s) | 2 workers s | arch/min 1w "
        "| arch/min 2w | scaling 1w→2w | overhead wall % | overhead CPU % "
        "| same, less idle cluster CPU | idle cluster CPU/s | cold start 1w / 2w s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name in names:
            fam = family_from_dict(FAMILIES[name], default_name=name)
            n = len(fam.specs)
            runs_direct = [direct(fam) for _ in range(args.repeat)]
            one = [sweep(fam, 1, tmp) for _ in range(args.repeat)]
            two = [sweep(fam, 2, tmp) for _ in range(args.repeat)]
            t_direct = min(w for w, _ in runs_direct)
            c_direct = min(c for _, c in runs_direct)
            t1 = min(r[1] for r in one)
            c1 = min(r[2] for r in one)
            idle1 = min(r[3] for r in one)
            quiet = min(c - i * t for _, t, c, i in one)  # CPU less the idle cluster's
            t2 = min(r[1] for r in two)
            cold1 = min(r[0] for r in one)
            cold2 = min(r[0] for r in two)
            print(
                f"| {name} | {n} | {t_direct:.2f} ({c_direct:.2f}) | {t1:.2f} ({c1:.2f}) | "
                f"{t2:.2f} | {60 * n / t1:.0f} | {60 * n / t2:.0f} | {t1 / t2:.2f}× | "
                f"{100 * (t1 / t_direct - 1):.0f} % | {100 * (c1 / c_direct - 1):.0f} % | "
                f"{100 * (quiet / c_direct - 1):.0f} % ({1e3 * (quiet - c_direct) / n:.2f} ms/task)"
                f" | {idle1:.3f} | {cold1:.1f} / {cold2:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
