"""Witness-set degrees: the network on its gauge chart (this code) against the old system, and
against the exact degree by msolve, in the same process.

The old system (before this benchmark's commit) evaluated the network at its S sample points one
by one (S stacked copies in the tracker's program) on all parameters, with random affine
equations cutting the positive-dimensional fiber. It is rebuilt here and goes through the same
``witness_set``; ``--old-limit`` bounds it (its degree is then a lower bound). Each case: the new
witness degree (timed), the old one, msolve's exact degree (``degree_exact``), and the ratio of
the old time to the new.

Usage::

    python benchmarks/witness.py                              # default cases
    python benchmarks/witness.py --cases "cnn k=2,2,2 s=2,2 x^2" --old-limit 300 --markdown
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import cpu_model  # noqa: E402

DEFAULT = ["lcn k=3,3 s=2", "cnn k=2,2 s=2 x^2", "cnn k=2,2,2 s=2,2 x^2"]


def old_witness(arch: Any, dim: int, seed: int, time_limit: float) -> tuple[int, bool, float]:
    """The system before the change: S stacked evaluations, all parameters."""
    import jax.numpy as jnp

    from neurovariety.nag import witness_set
    from neurovariety.parametrization.numeric import forward_fn

    f = forward_fn(arch)
    rng = np.random.default_rng([seed, 5])
    S = arch.ambient_dim_per_output
    X = jnp.asarray(
        rng.standard_normal((S, arch.n_inputs)) + 1j * rng.standard_normal((S, arch.n_inputs))
    )

    def phi(theta: Any) -> Any:
        return jnp.stack([f(theta, X[i]) for i in range(S)]).reshape(-1)

    t = time.perf_counter()
    W = witness_set(
        parametrization=phi, n_parameters=arch.n_params, dim=dim, seed=seed, time_limit=time_limit
    )
    return W.degree, W.complete.value == "yes", time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=DEFAULT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=float, default=300.0, help="seconds for the new witness set")
    ap.add_argument("--old-limit", type=float, default=300.0, help="seconds for the old system")
    ap.add_argument("--no-old", action="store_true", help="skip the old system")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    from neurovariety.architectures import parse_architecture
    from neurovariety.invariants.degree import _witness_degree
    from neurovariety.invariants.dimension import dimension
    from neurovariety.invariants.exact_counts import available, degree_exact

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# {cpu_model()}, {now}, commit {commit}, seed {args.seed}")
    rows = []
    for spec in args.cases:
        arch = parse_architecture(spec)
        dim = dimension(arch, seed=args.seed).dimension
        t = time.perf_counter()
        deg, _, ok = _witness_degree(arch, dim, args.seed, args.limit)
        new_s = time.perf_counter() - t
        old = None if args.no_old else old_witness(arch, dim, args.seed, args.old_limit)
        exact, exact_s = None, float("nan")
        if available():
            t = time.perf_counter()
            exact = degree_exact(arch, seed=args.seed, time_limit=600)[0]
            exact_s = time.perf_counter() - t
        rows.append((spec, dim, deg, ok, new_s, old, exact, exact_s))
        print(
            f"{spec}: new {deg} ({'complete' if ok else 'INCOMPLETE'}) {new_s:.1f} s; old {old}; "
            f"exact {exact} {exact_s:.1f} s",
            flush=True,
        )
    if args.markdown:
        print(
            "\n| case | dim | exact (msolve) | msolve s | witness | trace | s | old | old s "
            "| old/new |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for spec, dim, deg, ok, new_s, old, exact, exact_s in rows:
            o = (
                ("—", "—", "—")
                if old is None
                else (
                    f"{old[0]}{'' if old[1] else ' (≥, cut)'}",
                    f"{old[2]:.1f}",
                    f"{old[2] / new_s:.1f}×",
                )
            )
            print(
                f"| `{spec}` | {dim} | {exact} | {exact_s:.1f} | {deg} | "
                f"{'yes' if ok else 'no'} | {new_s:.1f} | {o[0]} | {o[1]} | {o[2]} |"
            )


if __name__ == "__main__":
    main()
