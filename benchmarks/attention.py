"""Benchmark: certified ``dim`` of lightning self-attention against float LU and HMK's formula.

For each ``attn`` spec it times the whole :func:`neurovariety.invariants.dimension.dimension`
call (exact Jacobian ranks mod two ~23-bit primes, certified against the proven bounds) and a
float64 LU of a random matrix of one Jacobian's shape (rows = samples × t·d_L, columns =
parameters), as ``benchmarks/convolutions.py`` does for convolutions. Each dimension is checked
against the dimension formula of Henry, Marchetti and Kohn (HMK, arXiv:2408.17221), evaluated
here by a closed form that shares no code with the library.

Usage::

    python benchmarks/attention.py                   # the table in benchmarks/RESULTS.md
    python benchmarks/attention.py --quick           # the small half, < 1 minute
    python benchmarks/attention.py --write-results   # also replace its RESULTS.md section
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import sys
from pathlib import Path
from typing import Any

from _machine import (  # noqa: E402  (benchmarks/ is on sys.path as a script)
    DimVsLU,
    commit,
    cpu_model,
    dim_vs_lu,
    machine_line,
    replace_section,
)

from neurovariety import parse_architecture

# One layer with growing d, then deep stacks with growing depth.
SPECS = [
    "attn t=3 d=4,4,4,4 a=2,2,2",
    "attn t=2 d=16,16 a=4",
    "attn t=3 d=16,16,16 a=4,4",
    "attn t=2 d=24,24 a=6",
    "attn t=4 d=16,16,16,16 a=4,4,4",
    "attn t=2 d=28,28 a=7",
]
HEADING = "## Lightning self-attention: `dim` vs float LU"


def hmk_formula(t: int, d: tuple[int, ...], a: tuple[int, ...]) -> int | None:
    """HMK's dim M = Σ_i [a_i(2d_{i−1} − a_i) + d_i d_{i−1}] − L − Σ_{0<i<L} d_i², or None.

    None outside the hypotheses (as docs/attention.md states them): t ≥ 2, a_i ≤ d_{i−1},
    d_i ≤ d_{i−1} for the inner widths, and no layer with a_i ≥ 2 fed rank-one tokens, i.e.
    min(t, d_0, d_1.., a_1..) over the layers before it is ≥ 2.
    """
    L = len(a)
    if t < 2 or any(a[i] > d[i] for i in range(L)) or any(d[i] > d[i - 1] for i in range(1, L)):
        return None
    if any(a[i] >= 2 and min(t, *d[: i + 1], *a[:i]) < 2 for i in range(L)):
        return None
    per_layer = sum(a[i] * (2 * d[i] - a[i]) + d[i + 1] * d[i] for i in range(L))
    return per_layer - L - sum(x * x for x in d[1:L])


def row(arch: Any, m: DimVsLU) -> tuple[str, bool]:
    """The table row and whether the dimension disagrees with HMK's formula."""
    r, t, d, a = m.result, arch.tokens, arch.widths, arch.attention_widths
    met = [name for name, v in r.bounds.items() if v == r.dimension]
    bound = " = ".join(met) if r.certified else f"{r.upper_bound_source} {r.upper_bound}, probable"
    hmk = hmk_formula(t, d, a)
    mismatch = hmk is not None and hmk != r.dimension
    check = "n/a" if hmk is None else f"{hmk} {'MISMATCH' if mismatch else 'ok'}"
    first = math.ceil(r.upper_bound / (t * d[-1]))
    safe = min(r.upper_bound, arch.ambient_dim_per_output)
    text = (
        f"| `{arch.spec}` | {m.cols} | {r.dimension} ({bound}) | {check} | "
        f"{m.rows} × {m.cols} | {first} → {r.n_samples} (safe {safe}) | {m.seconds:.2f} | "
        f"{m.cpu:.2f} | {m.lu:.3g} | "
        f"{m.ratio:.0f} |"
    )
    return text, mismatch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the first half of the architectures")
    ap.add_argument(
        "--write-results", action="store_true", help="replace its section of benchmarks/RESULTS.md"
    )
    args = ap.parse_args()
    specs = SPECS[: len(SPECS) // 2] if args.quick else SPECS
    print(machine_line())
    loads = [os.getloadavg()[0]]
    header = [
        "| architecture | params | dim (bounds met) | HMK formula | Jacobian | samples (first → "
        "final) | ours (s) | ours CPU (s) | float LU (s) | ours / (primes × LU) |",
        "|---|---:|---|---|---|---|---:|---:|---:|---:|",
    ]
    print(*header, sep="\n")
    rows, mismatches = [], 0
    for spec in specs:
        arch = parse_architecture(spec)
        text, bad = row(arch, dim_vs_lu(arch))
        mismatches += bad
        rows.append(text)
        loads.append(os.getloadavg()[0])
        print(text, flush=True)
    if args.write_results:
        write_results(header + rows, min(loads), max(loads))
    if mismatches:
        raise SystemExit(f"{mismatches} dimension(s) disagree with HMK's formula")


def write_results(table: list[str], load_lo: float, load_hi: float) -> None:
    command = " ".join(["python benchmarks/attention.py", *sys.argv[1:]])
    command = command.replace(" --write-results", "")
    lines = [
        f"{HEADING} (`benchmarks/attention.py`)",
        "",
        f"`{command}` · {datetime.date.today().isoformat()} · commit {commit()} · "
        f"{cpu_model()}, {os.cpu_count()} CPUs, 1-minute load {load_lo:.0f}–{load_hi:.0f} (2 = "
        "both cores busy; absolute times are inflated by other work, the ratio less). Ours: the "
        "whole `dimension` call (bounds, two primes, each its own Jacobian and exact rank, and "
        "taller Jacobians while the sample count falls short). LU: "
        "`scipy.linalg.lu_factor` of a random float64 matrix of the final Jacobian's shape, best "
        "of 2; the ratio divides ours by one LU per prime. Samples: `dim` tries ⌈bound / t·d_L⌉ "
        "samples first and doubles them while the rank falls short, up to the proven-safe count "
        "(shown; before the doubling it jumped there at once). HMK formula: "
        "Σ_i [a_i(2d_{i−1} − a_i) + d_i d_{i−1}] − L − Σ_{0<i<L} d_i² (arXiv:2408.17221), "
        "computed in the script apart from the library, `ok` when it equals the certified rank.",
        "",
        *table,
    ]
    replace_section(Path(__file__).with_name("RESULTS.md"), HEADING, "\n".join(lines))


if __name__ == "__main__":
    main()
