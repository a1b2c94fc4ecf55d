"""Benchmark: exact rank mod p on float64 BLAS vs FLINT ``nmod_mat.rank`` vs float LU.

For each size n, on an n x n matrix (full rank, and rank-deficient with dependent rows and
columns), it times in one run:

* ``neurovariety.exact.rank_mod_p`` (the float64-BLAS engine), best of ``--repeat`` runs;
* ``scipy.linalg.lu_factor`` on the same shape (float64, the hardware bound), best of repeats;
* ``flint.nmod_mat(...).rank()`` once, up to ``--flint-max`` (conversion from numpy reported
  separately), and checks that both exact ranks agree.

Usage::

    python benchmarks/rank_mod_p.py                      # 1000 2000 4000 6200, p ~ 2**20
    python benchmarks/rank_mod_p.py --sizes 1000 2000 --prime 8388593 --flint-max 2000
    python benchmarks/rank_mod_p.py --write-results      # also replace its RESULTS.md section
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import warnings
from pathlib import Path

import flint
import numpy as np
import scipy.linalg
from _machine import commit, cpu_model, replace_section  # benchmarks/ is on sys.path

from neurovariety.exact import is_prime, rank_mod_p


def make_matrix(n: int, p: int, deficiency: int, seed: int) -> np.ndarray:
    """Random n x n matrix mod p; with ``deficiency = d > 0`` the last d columns are sums of two
    earlier columns and the last d rows are copies of earlier rows (rank <= n - d; = with high
    probability)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, p, (n, n), dtype=np.int64)
    if deficiency:
        d = deficiency
        a[:, n - d :] = (a[:, :d] + a[:, d : 2 * d]) % p
        a[n - d :, :] = a[rng.permutation(n - d)[:d], :]
        perm = rng.permutation(n)
        a = a[perm][:, rng.permutation(n)]
    return a


def best_of(fn: object, repeat: int) -> tuple[object, float]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t)
    return out, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 6200])
    ap.add_argument("--prime", type=int, default=1048573)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--flint-max", type=int, default=6200, help="skip FLINT above this size")
    ap.add_argument("--no-deficient", action="store_true", help="only full-rank matrices")
    ap.add_argument(
        "--write-results", action="store_true", help="replace its section of benchmarks/RESULTS.md"
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    p = args.prime
    warnings.simplefilter("ignore")  # LU warns on singular matrices; expected here
    if not is_prime(p):
        raise SystemExit(f"--prime {p} is not prime")

    # warm up: BLAS threads, and the first touch of fresh memory pages (costly in VMs)
    warm = make_matrix(1500, p, 0, 1)
    rank_mod_p(warm, p)
    scipy.linalg.lu_factor(warm.astype(np.float64))

    header = (
        f"{'n':>6} {'kind':>10} {'rank':>6} {'ours s':>8} {'LU s':>7} {'ours/LU':>8} "
        f"{'flint s':>8} {'(conv s)':>9} {'flint/ours':>10}   1-min load"
    )
    print(f"p = {p}, threads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")
    print(header)
    rows = []
    for n in args.sizes:
        kinds = [("full", 0)] + ([] if args.no_deficient else [("deficient", max(1, n // 10))])
        for kind, d in kinds:
            a = make_matrix(n, p, d, args.seed + n)
            af = a.astype(np.float64)
            rank, t_ours = best_of(lambda a=a: rank_mod_p(a, p), args.repeat)
            _, t_lu = best_of(
                lambda af=af: scipy.linalg.lu_factor(af, check_finite=False), args.repeat
            )
            t_flint = t_conv = float("nan")
            if n <= args.flint_max and (kind == "full" or n <= 2000):
                t0 = time.perf_counter()
                fm = flint.nmod_mat(n, n, a.ravel().tolist(), p)
                t_conv = time.perf_counter() - t0
                t0 = time.perf_counter()
                frank = fm.rank()
                t_flint = time.perf_counter() - t0
                if frank != rank:
                    raise SystemExit(f"RANK MISMATCH n={n} {kind}: ours {rank} flint {frank}")
            load = os.getloadavg()[0]
            row = (n, kind, rank, t_ours, t_lu, t_ours / t_lu, t_flint, t_conv, t_flint / t_ours)
            rows.append(row + (load,))
            print(
                f"{n:>6} {kind:>10} {rank:>6} {t_ours:>8.2f} {t_lu:>7.2f} {t_ours / t_lu:>8.2f} "
                f"{t_flint:>8.2f} {t_conv:>9.2f} {t_flint / t_ours:>10.1f}   load {load:.1f}",
                flush=True,
            )

    if args.write_results:
        path = Path(__file__).with_name("RESULTS.md")
        command = " ".join(["python benchmarks/rank_mod_p.py", *sys.argv[1:]])
        command = command.replace(" --write-results", "")
        lines = [
            "## Exact rank mod p (`benchmarks/rank_mod_p.py`)",
            "",
            f"`{command}` · {datetime.date.today().isoformat()} · commit {commit()} · "
            f"{cpu_model()}, {os.cpu_count()} cores · numpy {np.__version__} (OpenBLAS), "
            f"python-flint {flint.__version__} · p = {p}. Best of {args.repeat} for ours and LU; "
            "FLINT once (its numpy-to-`nmod_mat` conversion is timed apart). Deficient: rank "
            "n - n/10 by dependent rows and columns, shuffled. load: 1-minute load average when "
            "the row finished (2 = both cores busy).",
            "",
            "| n | matrix | rank | ours (s) | float LU (s) | ours / LU | FLINT rank (s) "
            "| FLINT / ours | load |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for n, kind, rank, t_o, t_l, ratio, t_f, _t_c, speedup, load in rows:
            f_s = "—" if np.isnan(t_f) else f"{t_f:.2f}"
            sp = "—" if np.isnan(speedup) else f"{speedup:.1f}×"
            lines.append(
                f"| {n} | {kind} | {rank} | {t_o:.2f} | {t_l:.2f} | {ratio:.2f} | {f_s} | {sp} "
                f"| {load:.1f} |"
            )
        replace_section(path, "## Exact rank mod p", "\n".join(lines))
        print(f"replaced its section of {path}")


if __name__ == "__main__":
    main()
