"""Benchmark: certified dimension of neuromanifolds against symbolic, FLINT, M2 and LU baselines.

In one run, on the same architectures, it times :func:`neurovariety.invariants.dimension.dimension`
(exact Jacobian ranks mod two ~23-bit primes, certified against proven upper bounds) and

* **small cases** — (a) a naive symbolic baseline in sympy: expand the network polynomial in the
  parameter and input symbols, read off the coefficient map φ(θ) (coefficients of the input
  monomials), ``Matrix(φ).jacobian(θ)``, substitute a random integer point, exact rank over Q.
  Each case runs in a subprocess with a timeout and a memory cap ("timeout" / "OOM" reported);
  its rank must equal our dimension (mismatches are flagged). (c) Macaulay2's
  ``numericalImageDim`` (package ``NumericalImplicitization``) when ``M2`` is on PATH, fed the
  expanded coefficient polynomials from :func:`coefficient_polynomials` (expansion time reported
  separately; the M2 time excludes its start-up and package loading).
* **large cases** — our total time and its split (bounds / Jacobian assembly / rank, summed over
  the primes ``dimension`` used, by calling ``random_point_mod_p``, ``jacobian_mod_p`` and
  ``rank_mod`` directly), against (b) the bare ``flint.nmod_mat(...).rank()`` of a random
  matrix of the Jacobian's shape (conversion from numpy reported separately) and (d) a float64
  ``scipy.linalg.lu_factor`` of a random float matrix of that shape (the hardware bound).

Usage::

    python benchmarks/dimension.py                 # full run (used for benchmarks/RESULTS.md)
    python benchmarks/dimension.py --quick         # < 2 minutes
    python benchmarks/dimension.py --sizes small --skip-m2 --markdown
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

from neurovariety import parse_architecture
from neurovariety.exact import rank_mod
from neurovariety.invariants.dimension import DimensionResult, dimension, upper_bounds
from neurovariety.parametrization.exact import (
    coefficient_polynomials,
    jacobian_mod_p,
    random_point_mod_p,
)

SMALL = [
    "mlp 2-3-1 x^2",
    "mlp 2-3-2 x^2",
    "mlp 3-3-1 x^3",
    "mlp 2-3-2-3-4 x^2",
    "cnn k=3,2 s=2 x^2",
    "lcn k=3,2,2 s=2",
    "cnn k=4,4,4 x^2",
    "mlp 4-8-4-1 x^2",  # 68 parameters
    "mlp 4-10-5-1 x^2",  # 95 parameters
]
SMALL_QUICK = SMALL[:6]
LARGE = [
    "lcn k=50,50,50 s=2",  # 150 parameters, 344 inputs
    "cnn k=100,100 x^2",  # long filters: 200 parameters, 199 inputs
    "mlp 20-40-40-1 x^3",  # 2,440 parameters
    "mlp 20-50-50-50-1 x^3",  # 6,050 parameters
]
LARGE_QUICK = ["cnn k=50,50 x^2", "mlp 10-40-40-1 x^3"]
MEMORY_CAP = 6 << 30  # address-space cap of a sympy subprocess (bytes)

Row = dict[str, Any]


# --------------------------------------------------------------------------------------------
# machine


def machine() -> dict[str, str]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    m2 = shutil.which("M2")
    m2_version = "not found"
    if m2:
        try:
            m2_version = subprocess.run(
                [m2, "--version"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            m2_version = "?"
    import flint
    import scipy
    import sympy

    return {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "load": load,
        "versions": (
            f"Python {platform.python_version()}, numpy {np.__version__}, scipy "
            f"{scipy.__version__}, python-flint {flint.__version__}, sympy {sympy.__version__}, "
            f"Macaulay2 {m2_version}"
        ),
    }


# --------------------------------------------------------------------------------------------
# ours


def ours(spec: str, repeat: int) -> tuple[DimensionResult, float]:
    """Best wall time of ``dimension`` over ``repeat`` runs, each on a freshly parsed architecture
    (nothing cached: the ambient dimension and bounds are recomputed every time)."""
    best, res = float("inf"), None
    for _ in range(repeat):
        arch = parse_architecture(spec)
        t = time.perf_counter()
        res = dimension(arch, seed=0)
        best = min(best, time.perf_counter() - t)
    assert res is not None
    return res, best


def split(spec: str, res: DimensionResult) -> Row:
    """Time the stages of ``dimension`` separately with the primes and sample count it used."""
    arch = parse_architecture(spec)
    t = time.perf_counter()
    upper_bounds(arch)
    out: Row = {"bounds": time.perf_counter() - t, "jac": 0.0, "rank": 0.0, "ranks": []}
    for i, p in enumerate(res.primes):
        t0 = time.perf_counter()
        theta, x = random_point_mod_p(arch, res.n_samples, p, seed=res.seed + i)
        jac = jacobian_mod_p(arch, theta, x, p, canonical=False)  # as dimension() calls it
        t1 = time.perf_counter()
        out["ranks"].append(int(rank_mod(jac, p)))
        out["rank"] += time.perf_counter() - t1
        out["jac"] += t1 - t0
        out["shape"] = jac.shape
        del jac
    return out


# --------------------------------------------------------------------------------------------
# (a) sympy, in a subprocess


def sympy_dimension(spec: str, seed: int = 0) -> Row:
    """The naive symbolic computation: expand, coefficients, symbolic Jacobian, rank at a point."""
    import sympy as sp

    arch = parse_architecture(spec)
    t0 = time.perf_counter()
    theta = sp.symbols(f"t0:{arch.n_params}")
    xs = sp.symbols(f"x0:{arch.n_inputs}")
    cs = [sp.Rational(c.numerator, c.denominator) for c in arch.activation.coefficients]
    h: list[Any] = list(xs)
    last = len(arch.layers) - 1
    for i, layer in enumerate(arch.layers):
        hb = h + ([sp.Integer(1)] if layer.bias else [])
        new = []
        for a in range(layer.n_out):
            z = sp.Add(
                *[
                    theta[layer.offset + int(j)] * hb[b]
                    for b, j in enumerate(layer.pattern[a])
                    if j >= 0
                ]
            )
            if i < last:
                z = sp.Add(*[c * z**k for k, c in enumerate(cs) if c != 0])
            new.append(sp.expand(z))
        h = new
    # φ: the coefficient of each input monomial, a polynomial in θ (term by term; sympy.Poly over
    # ZZ[θ] would be far slower still)
    phi = []
    for z in h:
        parts: dict[Any, list[Any]] = {}
        for term in sp.Add.make_args(z):
            coeff, mono = term.as_independent(*xs, as_Add=False)
            parts.setdefault(mono, []).append(coeff)
        phi.extend(sp.Add(*c) for c in parts.values())
    t1 = time.perf_counter()
    jac = sp.Matrix(phi).jacobian(theta)
    t2 = time.perf_counter()
    rng = random.Random(seed)
    point = {t: rng.randint(1, 1 << 20) for t in theta}
    rank = int(jac.subs(point).rank())
    t3 = time.perf_counter()
    return {
        "status": "ok",
        "dim": rank,
        "seconds": t3 - t0,
        "expand": t1 - t0,
        "jacobian": t2 - t1,
        "rank": t3 - t2,
        "shape": [len(phi), arch.n_params],
    }


def _child_sympy(spec: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    try:
        out = sympy_dimension(spec)
    except MemoryError:
        out = {"status": "OOM"}
    print("NV_RESULT " + json.dumps(out), flush=True)


def run_sympy(spec: str, timeout: float) -> Row:
    cmd = [sys.executable, os.path.abspath(__file__), "--_sympy-child", spec]
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "seconds": time.perf_counter() - t}
    for line in proc.stdout.splitlines():
        if line.startswith("NV_RESULT "):
            return json.loads(line[len("NV_RESULT ") :])
    if proc.returncode < 0 or "MemoryError" in proc.stderr:
        return {"status": "OOM"}
    return {"status": "error", "error": proc.stderr.strip().splitlines()[-1:]}


# --------------------------------------------------------------------------------------------
# (c) Macaulay2 numericalImageDim


def run_m2(spec: str, timeout: float) -> Row:
    m2 = shutil.which("M2")
    if m2 is None:
        return {"status": "no M2"}
    arch = parse_architecture(spec)
    t = time.perf_counter()
    outputs, _ = coefficient_polynomials(arch, max_terms=5_000_000)
    polys = [str(c) for out in outputs for c in out.values()]
    expand = time.perf_counter() - t
    gens = ",".join(f"t{j}" for j in range(arch.n_params))
    script = "\n".join(
        [
            'needsPackage "NumericalImplicitization"',
            f"R = CC[{gens}]",
            "q = elapsedTiming (F = {" + ",\n".join(polys) + "};)",
            "r = elapsedTiming numericalImageDim(F, ideal 0_R)",
            '<< "NV_DIM " << r#1 << " NV_SEC " << r#0 + q#0 << " NV_PARSE " << q#0 << endl',
            "exit 0",
            "",
        ]
    )
    with tempfile.NamedTemporaryFile("w", suffix=".m2", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        proc = subprocess.run(
            [m2, "--script", path], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "expand": expand}
    finally:
        os.unlink(path)
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.startswith("NV_DIM "):
            parts = line.split()
            return {
                "status": "ok",
                "dim": int(parts[1]),
                "seconds": float(parts[3]),
                "parse": float(parts[5]),
                "expand": expand,
            }
    return {"status": "error", "expand": expand, "error": proc.stderr.strip().splitlines()[-1:]}


# --------------------------------------------------------------------------------------------
# (b) bare FLINT and (d) float LU


def flint_rank(shape: tuple[int, int], p: int, seed: int = 0) -> tuple[float, float, int]:
    """(conversion seconds, rank seconds, rank) of a random ``nmod_mat`` of ``shape``."""
    import flint

    a = np.random.default_rng(seed).integers(0, p, shape)
    t = time.perf_counter()
    mat = flint.nmod_mat(shape[0], shape[1], a.ravel().tolist(), p)
    del a
    t1 = time.perf_counter()
    r = mat.rank()
    return t1 - t, time.perf_counter() - t1, int(r)


def lu_time(shape: tuple[int, int], repeat: int, seed: int = 0) -> float:
    import scipy.linalg

    best, total, i = float("inf"), 0.0, 0
    while i < repeat or (total < 0.5 and i < 50):  # small shapes: repeat for a stable minimum
        a = np.random.default_rng(seed + i).standard_normal(shape)
        t = time.perf_counter()
        scipy.linalg.lu_factor(a, overwrite_a=True, check_finite=False)
        dt = time.perf_counter() - t
        best, total, i = min(best, dt), total + dt, i + 1
    return best


# --------------------------------------------------------------------------------------------
# tables


def _s(x: float | None) -> str:
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.2f}"
    if x >= 0.01:
        return f"{x:.3f}"
    return f"{x * 1000:.2f}ms"


def _x(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:,.0f}×" if x >= 100 else f"{x:.1f}×"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*r) for r in rows]
    return "\n".join(out)


def _ratio(b: Row, t_ours: float, timeout: float) -> str:
    if b.get("status") == "ok":
        return _x(b["seconds"] / t_ours)
    if b.get("status") == "timeout":
        return "> " + _x(timeout / t_ours)
    return "–"


def _baseline_cell(b: Row, ours_dim: int, flags: list[str], spec: str, what: str) -> str:
    st = b.get("status")
    if st == "timeout":
        return "timeout"
    if st != "ok":
        return str(st)
    if b["dim"] != ours_dim:
        flags.append(f"MISMATCH {what} {spec}: {b['dim']} vs ours {ours_dim}")
        return f"{_s(b['seconds'])} (dim {b['dim']}!)"
    return _s(b["seconds"])


# --------------------------------------------------------------------------------------------
# main


def small_section(
    specs: list[str], args: argparse.Namespace, say: Callable[[str], None]
) -> tuple[str, list[str]]:
    headers = ["architecture", "N", "dim", "cert", "ours", "sympy", "sympy/ours"]
    if not args.skip_m2:
        headers += ["φ expand", "M2", "M2 parse", "(expand+M2)/ours"]
    rows, flags = [], []
    for spec in specs:
        res, t_ours = ours(spec, args.repeat_small)
        say(f"  {spec}: dim {res.dimension} ({res.status}) in {_s(t_ours)}; sympy ...")
        sy = run_sympy(spec, args.sympy_timeout)
        row = [
            spec,
            str(res.n_params),
            str(res.dimension),
            "yes" if res.certified else "no",
            _s(t_ours),
            _baseline_cell(sy, res.dimension, flags, spec, "sympy"),
            _ratio(sy, t_ours, args.sympy_timeout),
        ]
        if not args.skip_m2:
            say(f"    sympy: {sy.get('status')} {_s(sy.get('seconds'))}; M2 ...")
            m2 = run_m2(spec, args.m2_timeout)
            if m2.get("status") == "ok":
                m2 = dict(m2, seconds=m2["seconds"] + m2["expand"])
            row += [
                _s(m2.get("expand")),
                _baseline_cell(m2, res.dimension, flags, spec, "M2"),
                _s(m2.get("parse")),
                _ratio(m2, t_ours, args.m2_timeout + m2.get("expand", 0.0)),
            ]
        rows.append(row)
    return table(headers, rows, args.markdown), flags


def large_section(
    specs: list[str], args: argparse.Namespace, say: Callable[[str], None]
) -> tuple[str, list[str]]:
    headers = [
        "architecture",
        "N",
        "J shape",
        "dim",
        "cert",
        "ours",
        "bounds",
        "jac (Σp)",
        "rank (Σp)",
        "flint conv",
        "flint rank",
        "flint/rank",
        "LU",
        "ours/LU",
        "rank/LU",
    ]
    rows, flags = [], []
    for spec in specs:
        res, t_ours = ours(spec, 1)
        say(f"  {spec}: dim {res.dimension} ({res.status}) in {_s(t_ours)}; split ...")
        sp = split(spec, res)
        if any(r != res.dimension for r in sp["ranks"]):
            flags.append(f"MISMATCH split ranks {spec}: {sp['ranks']} vs {res.dimension}")
        shape = sp["shape"]
        n_p = len(res.primes)
        per_prime_rank = sp["rank"] / n_p
        if shape[0] * shape[1] <= args.flint_max_entries:
            say(f"    jac {_s(sp['jac'])}, rank {_s(sp['rank'])}; flint {shape} ...")
            conv, fl, fr = flint_rank(shape, res.primes[0])
            say(f"    flint: conversion {_s(conv)}, rank {_s(fl)} (rank {fr})")
        else:
            conv = fl = None
        lu = lu_time(shape, args.lu_repeat)
        rows.append(
            [
                spec,
                str(res.n_params),
                f"{shape[0]}×{shape[1]}",
                str(res.dimension),
                "yes" if res.certified else "no",
                _s(t_ours),
                _s(sp["bounds"]),
                _s(sp["jac"]),
                _s(sp["rank"]),
                _s(conv),
                _s(fl),
                _x(fl / per_prime_rank) if fl is not None else "–",
                _s(lu),
                _x(t_ours / lu),
                _x(per_prime_rank / lu),
            ]
        )
    return table(headers, rows, args.markdown), flags


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small subset, short timeouts (< 2 min)")
    ap.add_argument("--skip-m2", action="store_true", help="do not run Macaulay2")
    ap.add_argument(
        "--sizes",
        nargs="+",
        choices=["small", "large"],
        default=["small", "large"],
        help="which groups of cases to run",
    )
    ap.add_argument("--arch", action="append", default=[], help="extra spec (large group)")
    ap.add_argument("--sympy-timeout", type=float, default=None, help="seconds per case")
    ap.add_argument("--m2-timeout", type=float, default=None, help="seconds per case")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    ap.add_argument("--_sympy-child", dest="sympy_child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.sympy_child:
        _child_sympy(args.sympy_child)
        return 0
    q = args.quick
    args.sympy_timeout = args.sympy_timeout or (15.0 if q else 120.0)
    args.m2_timeout = args.m2_timeout or (20.0 if q else 300.0)
    args.repeat_small = 3 if q else 5
    args.lu_repeat = 1 if q else 3
    args.flint_max_entries = 5_000_000 if q else 40_000_000
    if not args.skip_m2 and shutil.which("M2") is None:
        print("M2 not on PATH: skipping Macaulay2")
        args.skip_m2 = True

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores")
    print(f"date:    {info['date']}")
    print(f"load:    {info['load']} (1, 5, 15 min) at start")
    print(f"         {info['versions']}")
    print(f"command: python benchmarks/dimension.py {' '.join(sys.argv[1:])}".rstrip())
    dimension(parse_architecture("mlp 2-3-1 x^2"), seed=0)  # warm-up (imports, FLINT)
    flags: list[str] = []
    if "small" in args.sizes:
        say("small cases")
        tab, fl = small_section(SMALL_QUICK if q else SMALL, args, say)
        flags += fl
        print(
            f"\nSmall cases: seconds; ours = best of {args.repeat_small} runs of dimension() on a "
            f"fresh architecture; sympy/M2 timeout {args.sympy_timeout:.0f}/{args.m2_timeout:.0f}"
            " s; φ expand = coefficient_polynomials (FLINT), the input M2 needs; M2 = reading F "
            "(M2 parse) + numericalImageDim, start-up and package loading excluded\n"
        )
        print(tab)
    if "large" in args.sizes:
        say("large cases")
        tab, fl = large_section((LARGE_QUICK if q else LARGE) + args.arch, args, say)
        flags += fl
        print(
            "\nLarge cases: seconds; ours = one dimension() call; bounds / jac / rank: the stages "
            "timed separately (Σ over the primes used); flint conv / rank = building an nmod_mat "
            "of a random matrix of J's shape from numpy / its rank(); LU = lu_factor of a random "
            "float matrix of that shape; flint/rank and rank/LU per prime\n"
        )
        print(tab)
    print(f"\nload at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for f in flags:
        print(f)
    return 1 if flags else 0


if __name__ == "__main__":
    sys.exit(main())
