"""Benchmark: certified ``dim`` of multi-channel and 2D convolutional networks against float LU.

For each architecture it times :func:`neurovariety.invariants.dimension.dimension` (exact
Jacobian ranks mod two ~23-bit primes, each on its own Jacobian, certified against the proven
bounds) and a float64 ``scipy.linalg.lu_factor`` of a random matrix of the same shape as one of
those Jacobians (rows = samples × outputs, columns = parameters), the hardware bound for an
elimination of that size. The ratio divides our time by one LU per prime.

Usage::

    python benchmarks/convolutions.py            # the table in benchmarks/RESULTS.md
    python benchmarks/convolutions.py --quick    # the smaller half, < 1 minute
    python benchmarks/convolutions.py --write-results   # also replace its RESULTS.md section
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

from _machine import (  # noqa: E402  (benchmarks/ is on sys.path as a script)
    commit,
    cpu_model,
    dim_vs_lu,
    machine_line,
    replace_section,
)

from neurovariety import parse_architecture

SPECS = [
    "lcn k=5,5,5 c=4,16,16,4 s=2",
    "cnn k=4,4,4 c=2,16,16,2 x^2",
    "lcn k=3x3,3x3,3x3 c=3,16,16,3",
    "cnn k=3x3,3x3 c=3,32,4 x^2",
    "cnn k=4,4,4 c=2,24,24,2 x^2",
    "cnn k=3x3,3x3 c=3,48,6 x^2",
]
HEADING = "## Multi-channel and 2D convolutions: `dim` vs float LU"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the first half of the architectures")
    ap.add_argument(
        "--write-results", action="store_true", help="replace its section of benchmarks/RESULTS.md"
    )
    args = ap.parse_args()
    specs = SPECS[: len(SPECS) // 2] if args.quick else SPECS
    print(machine_line())
    table = [
        "| architecture | params | dim (bound) | Jacobian | ours (s) | float LU (s) | "
        "ours / (primes × LU) |",
        "|---|---|---|---|---|---|---|",
    ]
    print(*table, sep="\n")
    loads = [os.getloadavg()[0]]
    for spec in specs:
        m = dim_vs_lu(parse_architecture(spec))
        r = m.result
        table.append(
            f"| `{spec}` | {m.cols} | {r.dimension} ({r.upper_bound_source}"
            f"{', certified' if r.certified else ''}) | {m.rows} × {m.cols} | {m.seconds:.2f} | "
            f"{m.lu:.3f} | {m.ratio:.0f} |"
        )
        loads.append(os.getloadavg()[0])
        print(table[-1], flush=True)
    if args.write_results:
        command = " ".join(["python benchmarks/convolutions.py", *sys.argv[1:]])
        head = (
            f"`{command.replace(' --write-results', '')}` · {datetime.date.today().isoformat()}"
            f" · commit {commit()} · {cpu_model()}, {os.cpu_count()} CPUs, 1-minute load "
            f"{min(loads):.0f}–{max(loads):.0f} (absolute times are inflated by other work, the "
            "ratio less). Ours: the whole `dimension` call (bounds, two primes, each its own "
            "Jacobian and exact rank). LU: `scipy.linalg.lu_factor` of a random float64 matrix "
            "of one Jacobian's shape, best of 2; the ratio divides ours by one LU per prime."
        )
        body = [f"{HEADING} (`benchmarks/convolutions.py`)", "", head, "", *table]
        replace_section(Path(__file__).with_name("RESULTS.md"), HEADING, "\n".join(body))


if __name__ == "__main__":
    main()
