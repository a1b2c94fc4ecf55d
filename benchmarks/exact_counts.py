"""Benchmark: exact counts by msolve against our monodromy, msolve alone and Macaulay2.

One command runs, case by case (never two at once):

* **exact** — ours by msolve over two primes: ``edd(..., method="exact")`` (ED degrees),
  ``degree(..., method="exact")`` (slice / fiber counts), ``fiber(..., method="exact")``. Wall and
  CPU time of the call (its own process's CPU and msolve's, a child), split into msolve's share
  (every msolve run, recorded by wrapping ``neurovariety.exact.msolve.run``) and the rest: our
  system generation, parsing and checks. Import time is not counted (printed apart).
* **monodromy** — ours by homotopy continuation: ``edd(..., method="monodromy")``,
  ``degree(..., method="witness")``, ``fiber(..., method="monodromy")``.
* **msolve alone** — the msolve binary on the very system files the exact run wrote, one after
  the other, timed as child processes: the exact run's overhead is its CPU over this one's.
* **M2** — Macaulay2 (``dim`` and ``degree`` of the same ideals over the same prime fields, in
  one ``M2`` process, start-up included); left out when ``M2`` is not on the PATH.

Each of our runs is a fresh Python process with a hard timeout (``--time-limit`` plus 60 s; the
library is also given ``--time-limit``); a run over the limit is recorded as such.

Usage::

    python benchmarks/exact_counts.py                   # all cases, 90 s per run
    python benchmarks/exact_counts.py --only "cnn k=2,2,2 s=1,1 x^2" --markdown
    python benchmarks/exact_counts.py --json exact.json --no-m2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import cpu_model  # benchmarks/ is on sys.path when run as a script

#: (kind, architecture, expected count from the literature or earlier certified runs)
CASES: list[tuple[str, str, int]] = [
    ("edd", "lcn k=3,3 s=2", 39),
    ("edd", "cnn k=2,2,2 s=1,1 x^2", 404),
    ("edd", "lcn k=3,3,3 s=2,2", 2385),
    ("degree", "mlp 3-2-2 x^2", 15),
    ("degree", "mlp 3-2-1 x^3", 15),
    ("degree", "cnn k=2,2,2 s=2,2 x^2", 48),
    ("fiber", "mlp 2-2-2-1 x^3+x^2", 4),
    ("fiber", "mlp 2-3-1 generic:4", 6),
]
NUMERIC = {"edd": "monodromy", "degree": "witness", "fiber": "monodromy"}


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one(kind: str, spec: str, method: str, limit: float, texts: str | None) -> dict[str, Any]:
    """Run one count in this process; the msolve runs are timed and their inputs kept."""
    t = time.perf_counter()
    from neurovariety import parse_architecture
    from neurovariety.exact import msolve
    from neurovariety.invariants.degree import degree
    from neurovariety.invariants.identifiability import fiber
    from neurovariety.landscape.edd import edd

    import_s = time.perf_counter() - t
    calls: list[dict[str, float]] = []
    run = msolve.run

    def recording(text: str, *, time_limit: float, options: Any = ()) -> str:
        if texts is not None:
            Path(texts, f"{len(calls):03d}.ms").write_text(text)
        w, c = time.perf_counter(), children_cpu()
        finished = False
        try:
            out = run(text, time_limit=time_limit, options=options)
            finished = True
            return out
        finally:
            calls.append(
                {"wall": time.perf_counter() - w, "cpu": children_cpu() - c, "finished": finished}
            )

    msolve.run = recording  # count_solutions looks it up at each call
    arch = parse_architecture(spec)
    w, c, k = time.perf_counter(), time.process_time(), children_cpu()
    try:
        if kind == "edd":
            value = edd(arch, method=method, time_limit=limit).count
        elif kind == "degree":
            value = degree(arch, method=method, time_limit=limit).degree
        else:
            value = fiber(arch, method=method, time_limit=limit).size
        error = None
    except Exception as e:  # a benchmark reports, it does not stop
        value, error = None, f"{type(e).__name__}: {str(e)[:200]}"
    own, child = time.process_time() - c, children_cpu() - k
    return {
        "value": value,
        "error": error,
        "wall": time.perf_counter() - w,
        "cpu": own + child,
        "python_cpu": own,
        "msolve_wall": sum(x["wall"] for x in calls),
        "msolve_cpu": sum(x["cpu"] for x in calls),
        "msolve_runs": len(calls),
        # a side count given up on (fiber's bounded try at the degree) is not rerun alone
        "msolve_finished": [x["finished"] for x in calls],
        "given_up_wall": sum(x["wall"] for x in calls if not x["finished"]),
        "given_up_cpu": sum(x["cpu"] for x in calls if not x["finished"]),
        "import_s": import_s,
    }


def fresh(kind: str, spec: str, method: str, limit: float, texts: str | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", kind, spec, method, "--time-limit", str(limit)]
    if texts is not None:
        cmd += ["--texts", texts]
    w = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit + 60, check=False)
    except subprocess.TimeoutExpired:
        return {"value": None, "error": f"killed after {limit + 60:g} s", "wall": None}
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (out.stderr or out.stdout)[-300:]
        return {"value": None, "error": f"no result: {tail}", "wall": time.perf_counter() - w}


def msolve_alone(files: list[Path], limit: float) -> dict[str, Any]:
    """The msolve binary on each recorded system file, as our runner calls it (one thread)."""
    from neurovariety.exact.msolve import require_msolve

    binary = require_msolve()
    wall = cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            w, c = time.perf_counter(), children_cpu()
            cmd = [binary, "-f", str(f), "-o", str(Path(tmp) / "out"), "-t", "1"]
            try:
                subprocess.run(cmd, capture_output=True, timeout=limit, check=True)
            except subprocess.TimeoutExpired:
                return {"wall": None, "cpu": None, "error": f"> {limit:g} s"}
            wall += time.perf_counter() - w
            cpu += children_cpu() - c
    return {"wall": wall, "cpu": cpu, "error": None}


def m2_script(files: list[Path]) -> str:
    """dim and degree of each recorded ideal over its prime field, GRevLex as msolve."""
    lines = []
    for i, f in enumerate(files):
        names, char, *polys = f.read_text().strip().split("\n")
        body = " ".join(polys)
        lines += [
            f"R{i} = ZZ/{char}[{names}, MonomialOrder => GRevLex];",
            f"I{i} = ideal({body});",
            f'print("M2 " | toString dim I{i} | " " | toString degree I{i});',
        ]
    return "\n".join([*lines, "exit 0", ""])


def m2(files: list[Path], limit: float) -> dict[str, Any]:
    if not files or shutil.which("M2") is None:
        return {"wall": None, "error": "M2 not installed" if files else "no system"}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "counts.m2"
        script.write_text(m2_script(files))
        w, c = time.perf_counter(), children_cpu()
        try:
            out = subprocess.run(
                ["M2", "--script", str(script)], capture_output=True, text=True, timeout=limit
            )
        except subprocess.TimeoutExpired:
            return {"wall": None, "error": f"> {limit:g} s"}
        counts = [line.split()[1:] for line in out.stdout.splitlines() if line.startswith("M2 ")]
        return {
            "wall": time.perf_counter() - w,
            "cpu": children_cpu() - c,
            "counts": [[int(v) for v in x] for x in counts],
            "error": None if len(counts) == len(files) else out.stderr[-300:],
        }


def case(kind: str, spec: str, expected: int, limit: float, with_m2: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as texts:
        exact = fresh(kind, spec, "exact", limit, texts)
        files = sorted(Path(texts).glob("*.ms"))
        finished = exact.get("msolve_finished", [])
        given_up = len(files) - sum(finished)
        files = [f for f, ok in zip(files, finished, strict=False) if ok]
        mono = fresh(kind, spec, NUMERIC[kind], limit, None)
        if exact.get("value") is None:
            alone = {"wall": None, "error": "not rerun: ours did not finish"}
            ref = {"wall": None, "error": "not run: ours did not finish"}
        else:
            alone = msolve_alone(files, limit)
            ref = m2(files, limit) if with_m2 else {"wall": None, "error": "--no-m2"}
    return {"kind": kind, "spec": spec, "expected": expected, "limit": limit, "exact": exact} | {
        "monodromy": mono,
        "msolve_alone": alone,
        "m2": ref,
        "systems": len(files),
        "given_up": given_up,
    }


def _s(x: float | None, err: str | None = None) -> str:
    return f"{x:.2f}" if x is not None else f"— ({err})" if err else "—"


def row(r: dict[str, Any]) -> str:
    e, m, a, q = r["exact"], r["monodromy"], r["msolve_alone"], r["m2"]
    lim = r["limit"]
    ours = (
        f"{e['value']} · {e['wall']:.2f} / {e['cpu']:.2f} [gen {e['python_cpu']:.2f} + msolve "
        f"{e['msolve_cpu']:.2f}]"
        if e.get("value") is not None
        else f"> {lim:g} s ({e.get('error')})"
    )
    mono = (
        f"{m['value']} · {m['wall']:.2f} / {m['cpu']:.2f}"
        + ("" if m["value"] == r["expected"] else " (≠ expected: incomplete)")
        if m.get("value") is not None
        else f"— ({m.get('error')})"
    )
    alone = f"{a['wall']:.2f} / {a['cpu']:.2f}" if a.get("wall") is not None else a.get("error")
    if r.get("given_up"):
        alone += f" ({r['given_up']} system(s) ours gave up on left out)"
    # the overhead compares the same work: a side count ours gave up on is taken out
    spent = e.get("cpu", 0.0) - e.get("given_up_cpu", 0.0)
    over = f"{spent / a['cpu']:.2f}×" if a.get("cpu") else "—"
    if e.get("given_up_wall") and e.get("value") is not None:
        ours += f" (incl. {e['given_up_wall']:.2f} s wall of a side count given up)"
    # ratios against ours' wall without that side count: the same work on both sides
    base = e.get("wall", 0.0) - e.get("given_up_wall", 0.0) if e.get("value") is not None else 0
    if q.get("wall") is not None:
        counts = " ".join(f"{d}:{g}" for d, g in q["counts"])
        m2s = f"{q['wall']:.2f} (dim:deg {counts})"
        m2r = f"{q['wall'] / base:.1f}×"
    else:
        m2s, m2r = f"— ({q.get('error')})", "—"
    done = e.get("value") is not None and m.get("value") is not None
    mr = f"{m['wall'] / base:.1f}×" if done else "—"
    return (
        f"| {r['kind']} `{r['spec']}` | {r['expected']} | {ours} | {alone} | {over} | {mono} | "
        f"{mr} | {m2s} | {m2r} |"
    )


HEADER = (
    "| case | expected | ours exact: count · wall / CPU s [gen + msolve CPU] | msolve alone "
    "wall / CPU s | overhead (CPU) | ours monodromy: count · wall / CPU s | monodromy / exact "
    "(wall) | M2 wall s | M2 / exact (wall) |\n|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", nargs=3, metavar=("KIND", "SPEC", "METHOD"), help=argparse.SUPPRESS)
    ap.add_argument("--texts", help=argparse.SUPPRESS)
    ap.add_argument("--time-limit", type=float, default=90.0, help="seconds per run (90)")
    ap.add_argument("--only", action="append", help="run only this architecture (repeatable)")
    ap.add_argument("--no-m2", action="store_true", help="leave Macaulay2 out")
    ap.add_argument("--markdown", action="store_true", help="print the table only")
    ap.add_argument("--json", help="write every measurement to this file")
    ap.add_argument("--render", help="print the table of a --json file and stop")
    args = ap.parse_args()
    if args.render:
        print(HEADER)
        for r in json.loads(Path(args.render).read_text()):
            print(row(r))
        return
    if args.one:
        print(json.dumps(one(*args.one, args.time_limit, args.texts)))
        return
    t0 = time.perf_counter()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"# exact counts · {time.strftime('%Y-%m-%d')} · commit {commit} · {cpu_model()}, "
        f"{os.cpu_count()} cores · {platform.python_version()} · load "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} · limit {args.time_limit:g} s per run"
    )
    if not args.no_m2 and shutil.which("M2"):
        w = time.perf_counter()
        subprocess.run(["M2", "--script", "/dev/null"], capture_output=True, check=False)
        print(f"# M2 start-up (an empty script): {time.perf_counter() - w:.2f} s wall")
    print(HEADER, flush=True)
    results = []
    for kind, spec, expected in CASES:
        if args.only and spec not in args.only:
            continue
        r = case(kind, spec, expected, args.time_limit, not args.no_m2)
        results.append(r)
        print(row(r), flush=True)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# total {time.perf_counter() - t0:.0f} s · load at the end {load}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
