"""Benchmark: start-up of the command line, each command in a fresh process (best of N).

Times, in one run and against a bare interpreter (``python -c pass``, the reference every ratio
is printed against):

* ``neurovariety --help`` and ``--version`` (target < 0.3 s: nothing heavy imported);
* ``neurovariety dim "mlp 2-3-1 x^2"`` (target < 0.8 s on 2 cores: exact ranks, no JAX);
* the README's quick start ``neurovariety profile "mlp 2-3-2-3-4 x^2"``;
* a second run of the same ``edd`` monodromy search with JAX's compilation cache on (a
  temporary folder, filled by a first run) and off (``NEUROVARIETY_COMPILE_CACHE=off``): the
  time the cache saves. The user's own cache is never touched.

Wall time is the best of N fresh processes; CPU is the children's user + system time of that
best run. Python's bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``, as after ``pip
install``) even where ``PYTHONDONTWRITEBYTECODE`` is set; ``--no-bytecode`` measures without it
(every module compiled from source at each start). ``--importtime`` adds the top imports of
``dim`` by cumulative time (``python -X importtime``).

Usage::

    python benchmarks/startup.py                 # N = 5 (edd: 3), used for RESULTS.md
    python benchmarks/startup.py --repeat 3 --importtime
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

DIM = "mlp 2-3-1 x^2"
QUICK_START = "mlp 2-3-2-3-4 x^2"
EDD = ["edd", "lcn k=3,2 s=2", "--method", "monodromy"]
TARGETS = {"--help": 0.3, "--version": 0.3, "dim": 0.8}


def _cli() -> list[str]:
    # the installed entry point, as a user types it; else the module
    exe = shutil.which("neurovariety")
    return [exe] if exe else [sys.executable, "-m", "neurovariety"]


def _once(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(list(argv), env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def best_of(argv: Sequence[str], env: dict[str, str], repeat: int) -> tuple[float, float]:
    """The fastest of ``repeat`` runs after an untimed one (it writes the bytecode and, for
    ``edd``, JAX's compiled programs): (wall, its CPU)."""
    _once(argv, env)
    return min(_once(argv, env) for _ in range(repeat))


def import_summary(env: dict[str, str], top: int = 12) -> list[tuple[str, float, float]]:
    """(module, self s, cumulative s) of the slowest imports of ``dim`` at the outer levels."""
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "neurovariety", "dim", DIM],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.removeprefix("import time:").split("|")
        if not parts[0].strip().isdigit():
            continue  # the header line
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 1:  # a top-level import or one it makes directly
            rows.append((name.strip(), int(parts[0]) / 1e6, int(parts[1]) / 1e6))
    return sorted(rows, key=lambda r: -r[2])[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="fresh processes per command (best)")
    ap.add_argument("--edd-repeat", type=int, default=3, help="fresh processes per edd setting")
    ap.add_argument("--importtime", action="store_true", help="also the top imports of dim")
    ap.add_argument("--no-bytecode", action="store_true", help="compile every module each time")
    args = ap.parse_args()

    cli = _cli()
    cache = tempfile.mkdtemp(prefix="nv-startup-cache-")  # JAX's programs and the bytecode
    drop = {"JAX_COMPILATION_CACHE_DIR"} | (
        set() if args.no_bytecode else {"PYTHONDONTWRITEBYTECODE"}
    )
    base = {k: v for k, v in os.environ.items() if k not in drop}
    if not args.no_bytecode:
        base["PYTHONPYCACHEPREFIX"] = os.path.join(cache, "pycache")
    on = {**base, "NEUROVARIETY_COMPILE_CACHE": os.path.join(cache, "jax")}
    off = {**base, "NEUROVARIETY_COMPILE_CACHE": "off"}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        print(
            f"# start-up, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {commit}"
        )
        print(
            f"# {cpu_model()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
            f"Python {platform.python_version()}, best of {args.repeat} fresh processes "
            f"(edd: {args.edd_repeat}); bytecode {'not ' if args.no_bytecode else ''}cached"
        )
        ref_wall, ref_cpu = best_of([sys.executable, "-c", "pass"], base, args.repeat)
        rows: list[tuple[str, float, float, str]] = [
            ("python -c pass (reference)", ref_wall, ref_cpu, "")
        ]
        for label, argv, key in (
            ("neurovariety --help", [*cli, "--help"], "--help"),
            ("neurovariety --version", [*cli, "--version"], "--version"),
            (f'neurovariety dim "{DIM}"', [*cli, "dim", DIM], "dim"),
            (f'neurovariety profile "{QUICK_START}"', [*cli, "profile", QUICK_START], ""),
        ):
            wall, cpu = best_of(argv, on, args.repeat)
            target = f"< {TARGETS[key]} s" if key in TARGETS else ""
            rows.append((label, wall, cpu, target))
        edd = [*cli, *EDD]
        warm = best_of(edd, on, args.edd_repeat)
        cold = best_of(edd, off, args.edd_repeat)
        rows.append((f"{' '.join(EDD[:2])}, 2nd run, compile cache on", *warm, ""))
        rows.append((f"{' '.join(EDD[:2])}, compile cache off", *cold, ""))

        print("\n| command | wall s | CPU s | wall / reference | target |")
        print("|---|---:|---:|---:|---|")
        for label, wall, cpu, target in rows:
            print(f"| `{label}` | {wall:.3f} | {cpu:.3f} | {wall / ref_wall:.1f}x | {target} |")
        print(
            f"\ncompile cache: on/off = {warm[0] / cold[0]:.2f} (wall), "
            f"{warm[1] / cold[1]:.2f} (CPU)"
        )
        if args.importtime:
            print(f'\ntop imports of `neurovariety dim "{DIM}"` (cumulative):\n')
            print("| module | self s | cumulative s |")
            print("|---|---:|---:|")
            for name, own, total in import_summary(on):
                print(f"| `{name}` | {own:.3f} | {total:.3f} |")
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
