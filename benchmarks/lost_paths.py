"""Failed paths of ``solve`` over seeds: the "no lost paths" check.

For each system and seed, one total-degree solve; prints paths, failed paths (with their reasons),
re-tracked paths, distinct solutions and CPU seconds. Cyclic-7 (5,040 paths) takes minutes per seed
on two cores, so the default set is cyclic-6 and katsura-7.

Usage::

    python benchmarks/lost_paths.py                        # cyclic6 katsura7, seeds 0-4
    python benchmarks/lost_paths.py --systems cyclic6 --seeds 0 1 --start polyhedral
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "nag"))
from nag_systems import cyclic, dense, katsura  # noqa: E402

SYSTEMS = {
    "cyclic5": lambda: cyclic(5),
    "cyclic6": lambda: cyclic(6),
    "cyclic7": lambda: cyclic(7),
    "katsura7": lambda: katsura(7),
    "katsura10": lambda: katsura(10),
    "dense-2^10": lambda: dense((2,) * 10, 0),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", nargs="+", default=["cyclic6", "katsura7"], choices=SYSTEMS)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--start", default="total-degree")
    args = ap.parse_args(argv)
    from neurovariety.nag import parse_system, solve

    print(
        f"{'system':<11} {'seed':>4} {'paths':>6} {'failed':>6} {'retried':>7} "
        f"{'solutions':>9} {'wall s':>7} {'cpu s':>7}  reasons of the failed"
    )
    total = 0
    for name in args.systems:
        system = parse_system(SYSTEMS[name]())
        for seed in args.seeds:
            cpu, wall = time.process_time(), time.perf_counter()
            r = solve(system, seed=seed, start=args.start)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            failed = r.failed()
            total += len(failed)
            why = collections.Counter(p.reason.split(" near ")[0].split(" at t")[0] for p in failed)
            print(
                f"{name:<11} {seed:>4} {r.ledger['tracked']:>6} {len(failed):>6} "
                f"{r.retried:>7} {r.nsolutions:>9} {wall:>7.1f} {cpu:>7.1f}  {dict(why) or ''}",
                flush=True,
            )
    print(f"failed paths in all: {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
