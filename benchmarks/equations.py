"""Implicitization: our modular interpolation vs Macaulay2 (``kernel``) and Singular
(``eliminate``), in the same run, on the same parametrizations.

Usage::

    python benchmarks/equations.py            # all cases, 600 s cap per external run
    python benchmarks/equations.py --quick    # small cases, 60 s cap
    python benchmarks/equations.py --write-results   # also replace its RESULTS.md section

For each case the external tools get the exact coefficient map φ over Q (``fmpq_mpoly``) and
compute the whole elimination ideal; we interpolate through the degree ``K`` given per case
(which contains every minimal generator the references find — checked when both finish:
same number of generators in each degree). Times are wall-clock seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _machine import commit, cpu_model, replace_section  # benchmarks/ is on sys.path as a script

from neurovariety import parse_architecture
from neurovariety.invariants.equations import coordinates, equations
from neurovariety.parametrization.exact import coefficient_polynomials

CASES = [  # (spec, interpolation degree K)
    ("lcn k=3,2 s=2", 3),
    ("lcn k=3,3 s=2", 4),
    ("lcn k=2,2,2 s=2", 3),
    ("lcn k=4,3 s=2", 4),
    ("cnn k=2,2 x^2", 4),
    ("cnn k=3,2 s=2 x^2", 4),
    ("mlp 3-1-3 x", 3),
    ("mlp 4-2-4 x", 4),
    ("mlp 2-2-1 x^3+x^2", 6),
    ("mlp 3-3-3 x^2", 5),
]
QUICK = {"lcn k=3,2 s=2", "lcn k=3,3 s=2", "cnn k=2,2 x^2", "mlp 3-1-3 x", "mlp 3-3-3 x^2"}


def _images(spec: str) -> tuple[int, int, list[str]]:
    arch = parse_architecture(spec)
    outs, _ = coefficient_polynomials(arch)
    polys = [str(outs[o].get(e, 0)) if e in outs[o] else "0" for o, e in coordinates(arch)]
    return arch.n_params, len(polys), polys


def _run(cmd: list[str], script: str, suffix: str, timeout: float) -> tuple[float | None, str]:
    """Run a script; the time is the one it prints (``TIME x``: the computation without the
    program's start-up), or the wall time when it prints none; ``None`` on timeout."""
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as fh:
        fh.write(script)
        path = fh.name
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            cmd + [path], capture_output=True, text=True, timeout=timeout, check=False
        )
        m = re.search(r"TIME\s+([\d.e+-]+)", out.stdout)
        return (float(m.group(1)) if m else time.perf_counter() - t0), out.stdout
    except subprocess.TimeoutExpired:
        return None, ""
    finally:
        os.unlink(path)


def macaulay2(spec: str, timeout: float) -> tuple[float | None, Counter[int] | None]:
    n, a, polys = _images(spec)
    ts = ",".join(f"t{i}" for i in range(n))
    cs = ",".join(f"c{i}" for i in range(a))
    script = (
        f"R = QQ[{ts}];\nS = QQ[{cs}];\n"
        f"f = map(R, S, {{{', '.join(polys)}}});\n"
        "tm = elapsedTiming (I = kernel f; G = mingens I);\n"
        'print("TIME " | toString tm#0);\n'
        'print("DEGREES " | toString apply(flatten entries G, g -> first degree g));\n'
        "exit 0;\n"
    )
    t, out = _run(["M2", "--script"], script, ".m2", timeout)
    return t, _degrees(out)


def singular(spec: str, timeout: float) -> tuple[float | None, Counter[int] | None]:
    n, a, polys = _images(spec)
    ts = ",".join(f"t{i}" for i in range(n))
    cs = ",".join(f"c{i}" for i in range(a))
    gens = ",\n".join(f"c{i} - ({p})" for i, p in enumerate(polys))
    script = (
        'system("--ticks-per-sec", 1000);\n'
        f"ring r = 0, ({ts},{cs}), dp;\nideal J = {gens};\n"
        "int t0 = rtimer;\n"
        f"ideal E = eliminate(J, {'*'.join(f't{i}' for i in range(n))});\n"
        "E = minbase(E);\n"
        'print("TIME " + string(rtimer - t0) + "e-3");\n'
        'string s = "DEGREES ";\nint i;\n'
        'for (i = 1; i <= size(E); i++) { s = s + string(deg(E[i])) + ","; }\n'
        "print(s);\nquit;\n"
    )
    t, out = _run(["Singular", "-q"], script, ".sing", timeout)
    return t, _degrees(out)


def _degrees(out: str) -> Counter[int] | None:
    m = re.search(r"DEGREES\s*\{?([\d,\s]*)\}?", out)
    if not m:
        return None
    return Counter(int(x) for x in re.findall(r"\d+", m.group(1)))


def ours(spec: str, K: int) -> tuple[float, Counter[int], str]:
    t0 = time.perf_counter()
    r = equations(parse_architecture(spec), max_degree=K, seed=0)
    return time.perf_counter() - t0, Counter(e.degree for e in r.equations), r.verified


def _fmt_t(t: float | None, cap: float) -> str:
    return f"> {cap:.0f} (timeout)" if t is None else f"{t:.2f}"


def _fmt_deg(c: Counter[int] | None) -> str:
    if c is None:
        return "–"
    return " ".join(f"{n}×d{d}" for d, n in sorted(c.items())) or "0"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small cases, 60 s cap")
    ap.add_argument("--timeout", type=float, default=None, help="cap per external run (s)")
    ap.add_argument(
        "--write-results", action="store_true", help="replace its section of benchmarks/RESULTS.md"
    )
    args = ap.parse_args()
    cap = args.timeout or (60.0 if args.quick else 600.0)
    cases = [c for c in CASES if not args.quick or c[0] in QUICK]
    have_m2, have_sing = shutil.which("M2"), shutil.which("Singular")
    rows = []
    for spec, K in cases:
        t_us, d_us, verified = ours(spec, K)
        t_m2, d_m2 = macaulay2(spec, cap) if have_m2 else (None, None)
        t_sg, d_sg = singular(spec, cap) if have_sing else (None, None)
        refs = [t for t in (t_m2, t_sg) if t is not None]
        best = min(refs) if refs else None
        speed = f"{best / t_us:.1f}×" if best is not None else f"> {cap / t_us:.0f}×"
        same = (
            ", ".join(
                f"{name} {'yes' if d == d_us else 'no'}"
                for name, d in (("M2", d_m2), ("Sing", d_sg))
                if d is not None
            )
            or "–"
        )
        row = (
            f"| `{spec}` | {K} | {_fmt_deg(d_us)} | {t_us:.2f} | {_fmt_t(t_m2, cap)} | "
            f"{_fmt_t(t_sg, cap)} | {speed} | {same} | {verified.split(':')[0]} |"
        )
        print(row, flush=True)
        rows.append(row)
    load = os.getloadavg()
    command = " ".join(["python benchmarks/equations.py", *sys.argv[1:]])
    command = command.replace(" --write-results", "")
    header = [
        "## Implicitization: modular interpolation vs Macaulay2 / Singular "
        "(`benchmarks/equations.py`)",
        "",
        f"`{command}` · {time.strftime('%Y-%m-%d')} · commit {commit()} · {cpu_model()}, "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        f"(1/5/15 min) at the end — timings are noisy · cap {cap:.0f} s per external run.",
        "Ours = `equations(arch, max_degree=K)` (multigraded interpolation mod p, lifting, "
        "minimization, exact verification included). M2 = `kernel` of the ring map; Singular = "
        "`eliminate` + `minbase`. Speed-up = fastest reference / ours. Same = same number of "
        "minimal generators in each degree (Singular's `minbase` is not minimal when the "
        "elimination ideal is inhomogeneous in its ring, e.g. generic σ).",
        "",
        "| case | K | generators (ours) | ours s | M2 s | Singular s | speed-up | same "
        "| verified |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    text = "\n".join(header + rows) + "\n"
    sys.stdout.write(text)
    if args.write_results:
        path = Path(__file__).with_name("RESULTS.md")
        replace_section(path, "## Implicitization", text)
        print(f"replaced its section of {path}")


if __name__ == "__main__":
    main()
