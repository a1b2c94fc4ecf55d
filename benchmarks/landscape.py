"""Benchmark: generic ED degrees by monodromy (``neurovariety.landscape.edd``) against Macaulay2.

In one run, on the same architectures, it counts the critical functions of a generic quadratic
loss on the neurovariety twice:

* **ours** — ``edd(parse_architecture(spec), seed=..., time_limit=...)``: monodromy in the gauge
  chart, degenerate parameters dropped, fibers divided out; its trace-test verdict is printed.
* **M2** — Gröbner bases over ZZ/32003 (``tests/m2_edd.py``): the critical equations
  Jᵀ Q (c(z) − u) = 0 of the exact coefficient polynomials c(z) in the same chart, saturated by
  the degenerate locus (all maximal minors of J when there are at most 20 of them, else two
  random minors det(J·A_i)), degree / generic fiber degree. Wall clock of the whole ``M2``
  process, start-up included; skipped when ``M2`` is not on PATH.

Both are compared with the closed formula (``result.formula``: generic ED degree of the Segre or
Segre–Veronese variety, KMST / PCN). The two runs of a case are sequential, never concurrent.

Macaulay2's time on one and the same script is not stable (the 404 case: 86–104 s in most runs,
over 600 s in others; benchmarks/RESULTS.md, 2026-11-30): ``--m2-repeats K`` runs it K times and
the ratio is taken against its *fastest* run (the conservative reading for us); the table shows
the fastest time and, for K > 1, every run's. ``--ours-repeats K`` does the same for ours, each
run in a fresh Python process (a second run in one process would find its programs compiled);
ours varies too (the 404 case, seed 0: 5.06 s in a day's first run, 3.5-3.7 s after, also with
the page cache dropped).

Usage::

    python benchmarks/landscape.py                       # small cases
    python benchmarks/landscape.py --cases all --time-limit 1800 --m2-timeout 1800
    python benchmarks/landscape.py --markdown --json edd.json
    python benchmarks/landscape.py --only "cnn k=2,2,2 s=1,1 x^2" --markdown --m2-repeats 3 \
        --ours-repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from dimension import machine as dimension_machine  # noqa: E402  (benchmarks/ is on sys.path)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from m2_edd import m2_ed_degree  # noqa: E402

from neurovariety import parse_architecture  # noqa: E402
from neurovariety.landscape import edd  # noqa: E402

SMALL = ["lcn k=2,2 s=2", "lcn k=3,2 s=2", "cnn k=2,2 s=1 x^2", "cnn k=2,2 s=2 x^2"]
LARGE = ["cnn k=3,2 x^2", "lcn k=2,2,2 s=2,2", "cnn k=2,2,2 s=1,1 x^2", "lcn k=3,3,3 s=2,2"]
CASES = {"small": SMALL, "all": SMALL + LARGE}


def run_ours(spec: str, seed: int, time_limit: float) -> dict[str, Any]:
    t = time.perf_counter()
    try:
        r = edd(parse_architecture(spec), seed=seed, time_limit=time_limit, method="monodromy")
    except Exception as e:  # a benchmark reports, it does not stop at the first failure
        return {"error": f"{type(e).__name__}: {e}", "seconds": time.perf_counter() - t}
    return {
        "count": r.count,
        "formula": r.formula,
        "seconds": r.seconds,
        "trace_test": r.trace_test,
        "parameter_solutions": r.parameter_solutions,
        "fiber_size": r.fiber_size,
        "ledger": r.ledger,
    }


def run_ours_fresh(spec: str, seed: int, time_limit: float) -> dict[str, Any]:
    """:func:`run_ours` in a new Python process (nothing compiled yet, as for a first run)."""
    cmd = [__file__, "--one", spec, "--seed", str(seed), "--time-limit", str(time_limit)]
    out = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, check=False)
    try:
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"error": f"run failed: {out.stderr.strip()[-300:]}", "seconds": float("nan")}


def machine() -> dict[str, str]:
    import jax

    info = dimension_machine()  # cpu, cores, date, load, versions (Macaulay2's among them)
    return info | {"versions": f"{info['versions']}, JAX {jax.__version__}"}


def _count(r: dict[str, Any] | None, formula: int | None) -> str:
    if r is None:
        return "—"
    if "error" in r:
        return r["error"]
    flag = "" if formula is None or r["count"] == formula else " (≠ formula)"
    return f"{r['count']}{flag}"


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of repeated Macaulay2 runs (a finished run beats any that timed out), with
    every run's seconds under ``"runs"``."""
    done = [r for r in runs if "count" in r]
    best = min(done or runs, key=lambda r: r["seconds"])
    return best | {"runs": [round(r["seconds"], 2) for r in runs]}


def _seconds(r: dict[str, Any]) -> str:
    runs = r.get("runs", [])
    every = f" (runs: {', '.join(f'{t:.3g}' for t in runs)})" if len(runs) > 1 else ""
    return f"{r['seconds']:.2f}{every}"


def _ratio(ours: dict[str, Any], m2: dict[str, Any] | None) -> str:
    if m2 is None:
        return "—"
    if "error" in m2 and m2["error"].startswith("did not finish"):
        return f"> {m2['seconds'] / ours['seconds']:.2g}×"
    return f"{m2['seconds'] / ours['seconds']:.2g}×" if ours["seconds"] > 0 else "—"


def row(spec: str, ours: dict[str, Any], m2: dict[str, Any] | None) -> list[str]:
    formula = ours.get("formula")
    return [
        f"`{spec}`",
        "—" if formula is None else str(formula),
        _count(ours, formula),
        _seconds(ours),
        ours.get("trace_test", "—"),
        _count(m2, formula),
        "—" if m2 is None else _seconds(m2),
        "—" if m2 is None else m2["saturation"],
        _ratio(ours, m2),
    ]


HEADER = ["case", "formula", "ours", "ours s", "trace test", "M2", "M2 s", "saturation", "M2/ours"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", choices=sorted(CASES), default="small")
    ap.add_argument("--time-limit", type=float, default=600.0, help="edd's time_limit (s)")
    ap.add_argument("--m2-timeout", type=float, default=600.0, help="per M2 run (s)")
    ap.add_argument(
        "--m2-repeats", type=int, default=1, help="M2 runs per case; the fastest counts"
    )
    ap.add_argument(
        "--ours-repeats",
        type=int,
        default=1,
        help="our runs per case, each in a fresh process when more than one; the fastest counts",
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)  # one run of ours, as JSON (a fresh process)
    ap.add_argument(
        "--saturation", default="auto", help="auto (default), minors or random:K (see m2_edd)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", action="append", help="run just this spec (repeatable)")
    ap.add_argument("--no-m2", action="store_true")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    ap.add_argument("--json", type=Path, help="write all numbers to this file")
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_ours(args.one, args.seed, args.time_limit), default=str))
        return 0
    if args.m2_repeats < 1 or args.ours_repeats < 1:
        ap.error("--m2-repeats and --ours-repeats must be at least 1")
    info = machine()
    print(f"# {info['date']} · {info['cpu']} · {info['cores']} CPUs · load {info['load']}")
    print(f"# {info['versions']}")
    if args.no_m2 or not shutil.which("M2"):
        print("# M2 column skipped: " + ("--no-m2" if args.no_m2 else "M2 not on PATH"))
    results: dict[str, Any] = {"machine": info, "cases": {}}
    rows = []
    if not args.markdown:
        print("  ".join(HEADER))
    for spec in args.only or CASES[args.cases]:
        if args.ours_repeats == 1:
            ours = run_ours(spec, args.seed, args.time_limit)
        else:
            ours = fastest(
                [run_ours_fresh(spec, args.seed, args.time_limit) for _ in range(args.ours_repeats)]
            )
        m2 = None
        if not args.no_m2:
            arch = parse_architecture(spec)
            runs = [
                m2_ed_degree(
                    arch, seed=args.seed, saturation=args.saturation, timeout=args.m2_timeout
                )
                for _ in range(args.m2_repeats)
            ]
            m2 = None if runs[0] is None else fastest(runs)  # None: M2 is not on PATH
        rows.append(row(spec, ours, m2))
        results["cases"][spec] = {"ours": ours, "M2": m2}
        if not args.markdown:
            print("  ".join(rows[-1]), flush=True)
    if args.markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "---|" * len(HEADER))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    print(f"# load at the end {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
