"""Benchmark neurovariety.nag against PHCpack (``phc -b``) and Macaulay2 (NAG package).

The same systems go through all three in the same run; for each we print the paths tracked, the
wall time, paths per second and the solutions found. PHCpack and Macaulay2 are skipped when their
binaries (``phc``, ``M2``) are absent.

Our solver is timed over seeds: ``cold`` (first call: includes JAX/XLA compilation of the system's
tracker) and ``warm`` (later calls with other seeds, same compiled programs); paths/second is
reported for the warm seed of median wall time (seeds differ in work: the random gamma), the
compile-inclusive time is printed too. ``--ref-runs N`` runs PHCpack and Macaulay2 ``N`` times
each (they draw their own gamma) and reports the median run. PHCpack's blackbox chooses
its own start system (total degree, multi-homogeneous or polyhedral): we report the number of
paths it tracked. Macaulay2's ``solveSystem`` uses a total-degree homotopy.

Usage::

    python benchmarks/nag.py                       # default set
    python benchmarks/nag.py --systems katsura10 --threads 2
    python benchmarks/nag.py --json results.json   # also write the numbers
    python benchmarks/nag.py --systems cyclic7 --start both --no-warm   # ours: total degree and
                                                   # polyhedral in one process, one run each
    python benchmarks/nag.py --systems cyclic7 --start polyhedral --seeds 5 \
        --compile-cache ~/.cache/neurovariety/jax   # 5 seeds; cold = loaded from the cache
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "nag"))
from nag_systems import cyclic, dense, katsura, noon  # noqa: E402

SYSTEMS: dict[str, Any] = {
    "noon3": lambda: noon(3),
    "noon4": lambda: noon(4),
    "katsura6": lambda: katsura(6),
    "cyclic7": lambda: cyclic(7),
    "cyclic5": lambda: cyclic(5),
    "katsura7": lambda: katsura(7),
    "katsura8": lambda: katsura(8),
    "cyclic6": lambda: cyclic(6),
    "dense-2^10": lambda: dense((2,) * 10, 0),
    "katsura10": lambda: katsura(10),
}
DEFAULT = ["cyclic5", "katsura7", "katsura8", "katsura10"]


def _equations(text: str) -> tuple[list[str], list[str]]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    names = [s.strip() for s in lines[0].split(":", 1)[1].split(",")]
    return names, lines[1:]


def run_ours(
    text: str, seeds: tuple[int, ...] = (1, 2), start: str = "auto", warm_run: bool = True
) -> dict[str, Any]:
    """Solve once per seed: the first is cold (compiles, or loads the compile cache), the rest
    warm (the same programs); with ``warm_run=False`` the first only. Reported: the last warm
    run, and the fewest solutions and most failed paths over all runs."""
    from neurovariety.nag import parse_system, solve

    F = parse_system(text)
    runs = []
    for seed in seeds if warm_run else seeds[:1]:
        t, c = time.perf_counter(), time.process_time()
        r = solve(F, seed=seed, start=start)
        runs.append((r, time.perf_counter() - t, time.process_time() - c))
    cold, t_cold, _ = runs[0]
    # the warm seed of median wall time: seeds differ in work (gamma), not only in noise
    warm_runs = sorted(runs[1:] or runs, key=lambda run: run[1])
    warm, t_warm, c_warm = warm_runs[(len(warm_runs) - 1) // 2]
    return {
        "start": warm.start_system,
        "root_count": warm.root_count,
        "failed": warm.ledger["failed"],
        "retried": warm.retried,
        "cpu_seconds": c_warm,
        "paths": warm.ledger["tracked"],
        "seconds": t_warm,
        "seconds_cold": t_cold,
        "solutions": warm.nsolutions,
        "solutions_cold": cold.nsolutions,
        "nonsingular": len(warm.nonsingular()),
        "real": warm.nreal,
        "ledger": warm.ledger,
        "ledger_cold": cold.ledger,
        "seeds": [int(s) for s in seeds[: len(runs)]],
        "solutions_per_seed": [r.nsolutions for r, _, _ in runs],
        "failed_per_seed": [r.ledger["failed"] for r, _, _ in runs],
        "cpu_per_seed": [round(c, 2) for _, _, c in runs],
        "wall_per_seed": [round(w, 2) for _, w, _ in runs],
    }


def repeated(run: Any, n: int) -> dict[str, Any] | None:
    """``run()`` ``n`` times (a reference tool draws its own random gamma each time, so its work
    varies as ours does over seeds): the run of median wall time, with every run's wall time
    and the most solutions any run found."""
    out = [run() for _ in range(max(n, 1))]
    ok = [r for r in out if r is not None and "error" not in r]
    if len(ok) < len(out):
        return out[0] if not ok else {**ok[0], "error": "some runs failed"}
    ok.sort(key=lambda r: r["seconds"])
    mid = dict(ok[(len(ok) - 1) // 2])
    if len(ok) > 1:
        mid["wall_per_run"] = [round(r["seconds"], 2) for r in out]
        mid["solutions_per_run"] = [r["solutions"] for r in out]
    return mid


def run_phc(text: str, threads: int, timeout: float) -> dict[str, Any] | None:
    phc = shutil.which("phc")
    if phc is None:
        return None
    names, eqs = _equations(text)
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "in.txt", Path(d) / "out.txt"
        src.write_text(f"{len(eqs)} {len(names)}\n" + "\n".join(e + ";" for e in eqs) + "\n")
        cmd = (
            [phc, "-b", f"-t{threads}", str(src), str(out)]
            if threads > 1
            else [phc, "-b", str(src), str(out)]
        )
        t, c = time.perf_counter(), _child_cpu()
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False, cwd=d)
        except subprocess.TimeoutExpired:
            return {"error": f"timeout after {timeout:g} s"}
        wall, cpu = time.perf_counter() - t, _child_cpu() - c
        log = out.read_text(errors="replace") if out.exists() else ""

    def grab(pattern: str) -> int | None:
        m = re.findall(pattern, log)
        return int(m[-1]) if m else None

    def total(pattern: str) -> int:
        return sum(int(v) for v in re.findall(pattern, log))

    # The blackbox picks its root count: the stable mixed volume (mixed volume plus solutions with
    # zero coordinates, tracked as a second list) when it computes one, else the smaller of the
    # total degree and the mixed volume.
    degree = grab(r"total degree\s*:\s*(\d+)")
    mixed = grab(r"(?m)^mixed volume\s*:\s*(\d+)")
    stable = grab(r"stable mixed volume\s*:\s*(\d+)")
    counts = [c for c in (degree, mixed) if c is not None]
    paths = stable if stable is not None else (min(counts) if counts else None)
    lists = total(r"A list of (\d+) solutions has been refined")
    if paths is None or not lists:
        return {"error": "could not parse phc output", "seconds": wall}
    regular = total(r"Number of regular solutions\s*:\s*(\d+)")
    singular = total(r"Number of singular solutions\s*:\s*(\d+)")
    clustered = total(r"Number of clustered solutions\s*:\s*(\d+)")
    return {
        "paths": paths,
        "seconds": wall,
        "cpu_seconds": cpu,
        "solutions": regular + singular - clustered,
        "nonsingular": regular,
        "real": total(r"Number of real solutions\s*:\s*(\d+)"),
        "at_infinity": total(r"Number of solutions at infinity\s*:\s*(\d+)"),
        "failures": total(r"Number of failures\s*:\s*(\d+)"),
    }


def run_m2(text: str, timeout: float) -> dict[str, Any] | None:
    m2 = shutil.which("M2")
    if m2 is None:
        return None
    names, eqs = _equations(text)
    script = f"""
needsPackage "NumericalAlgebraicGeometry";
R = CC[{",".join(names)}];
F = {{{", ".join(eqs)}}};
r = elapsedTiming solveSystem F;
S = last r;
print("time " | toString(first r));
print("endpoints " | toString(#S));
print("regular " | toString(#select(S, s -> status s === Regular)));
print("singular " | toString(#select(S, s -> status s === Singular)));
"""
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "bench.m2"
        f.write_text(script)
        t, c = time.perf_counter(), _child_cpu()
        try:
            p = subprocess.run(
                [m2, "--script", str(f)], capture_output=True, text=True, timeout=timeout, cwd=d
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timeout after {timeout:g} s"}
        wall, cpu = time.perf_counter() - t, _child_cpu() - c
    vals = dict(re.findall(r"^(\w+) ([0-9.e+-]+)$", p.stdout, flags=re.M))
    if "time" not in vals:
        return {"error": (p.stderr or p.stdout)[-300:], "seconds": wall}
    from neurovariety.nag import parse_system

    paths = parse_system(text).bezout_number  # solveSystem: total-degree homotopy
    return {
        "paths": paths,
        "seconds": float(vals["time"]),
        "seconds_wall": wall,
        "cpu_seconds": cpu,
        "solutions": int(vals["endpoints"]),
        "nonsingular": int(vals["regular"]),
    }


def _child_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _row(name: str, tool: str, r: dict[str, Any] | None) -> str:
    if r is None:
        return f"{name:<12} {tool:<14} {'(not installed)':>10}"
    if "error" in r:
        return f"{name:<12} {tool:<14} error: {r['error']}"
    rate = r["paths"] / r["seconds"] if r["seconds"] > 0 else float("inf")
    extra = f"  (cold {r['seconds_cold']:.2f} s)" if "seconds_cold" in r else ""
    if "failed" in r:
        extra += f"  {r['failed']} failed, {r['retried']} retried"
    if len(r.get("seeds", ())) > 2:
        extra += (
            f"  seeds {r['seeds']}: solutions {r['solutions_per_seed']}, failed "
            f"{r['failed_per_seed']}, wall {r['wall_per_seed']}, cpu {r['cpu_per_seed']}"
        )
    if "wall_per_run" in r:
        extra += f"  runs: wall {r['wall_per_run']}, solutions {r['solutions_per_run']}"
    cpu = r.get("cpu_seconds")
    cpu_s = f"{cpu:>8.2f} s cpu" if cpu is not None else " " * 14
    return (
        f"{name:<12} {tool:<14} {r['paths']:>6} paths {r['seconds']:>8.2f} s {cpu_s} "
        f"{rate:>9.1f} paths/s {r['solutions']:>6} solutions{extra}"
    )


def machine() -> str:
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dev = ", ".join(str(d) for d in jax.devices())
    return f"{cpu}; {os.cpu_count()} CPUs visible; JAX {jax.__version__} on {dev}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--systems", default=",".join(DEFAULT), help=f"from {', '.join(SYSTEMS)}")
    ap.add_argument("--threads", type=int, default=2, help="phc -t threads (default 2)")
    ap.add_argument("--timeout", type=float, default=900.0, help="per external run (s)")
    ap.add_argument("--no-phc", action="store_true")
    ap.add_argument("--no-m2", action="store_true")
    ap.add_argument("--json", type=Path, help="write all numbers to this file")
    ap.add_argument(
        "--start",
        default="auto",
        choices=["auto", "total-degree", "polyhedral", "both"],
        help="our start system; 'both': total degree and polyhedral in the same process",
    )
    ap.add_argument("--no-warm", action="store_true", help="one (cold) run of ours per system")
    ap.add_argument(
        "--seeds", type=int, default=2, help="runs of ours per system: one cold, the rest warm"
    )
    ap.add_argument(
        "--ref-runs",
        type=int,
        default=1,
        help="runs of PHCpack and of Macaulay2 per system (the median is reported)",
    )
    ap.add_argument(
        "--compile-cache",
        type=Path,
        help="JAX's persistent compilation cache (as the command line uses): a cold run loads "
        "the programs that an earlier run wrote there",
    )
    args = ap.parse_args(argv)
    if args.compile_cache:  # read when JAX is imported, which has not happened yet
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(args.compile_cache)
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")
    names = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in names if s not in SYSTEMS]
    if unknown:
        ap.error(f"unknown systems {unknown}; valid: {', '.join(SYSTEMS)}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} · {machine()} · load {os.getloadavg()[0]:.1f}")
    results: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d")}
    for name in names:
        text = SYSTEMS[name]()
        starts = ["total-degree", "polyhedral"] if args.start == "both" else [args.start]
        rows = {
            f"ours {s}"[:14]: run_ours(
                text,
                seeds=tuple(range(1, max(args.seeds, 2) + 1)),
                start=s,
                warm_run=not args.no_warm,
            )
            for s in starts
        }
        phc = functools.partial(run_phc, text, args.threads, args.timeout)
        m2 = functools.partial(run_m2, text, args.timeout)
        rows["phc -b"] = None if args.no_phc else repeated(phc, args.ref_runs)
        rows["M2 NAG"] = None if args.no_m2 else repeated(m2, args.ref_runs)
        for tool, r in rows.items():
            print(_row(name, tool, r), flush=True)
        for s in starts:
            ours = rows[f"ours {s}"[:14]]
            for tool in ("phc -b", "M2 NAG"):
                ref = rows[tool]
                fewest = min(ours["solutions_per_seed"])
                most = max(ref.get("solutions_per_run", [ref["solutions"]])) if ref else 0
                if ref and "error" not in ref and most > fewest:
                    print(f"  !! {s}: fewer solutions than {tool}: {fewest} < {most}")
        results[name] = rows
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=_default))
    return 0


def _default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


if __name__ == "__main__":
    sys.exit(main())
