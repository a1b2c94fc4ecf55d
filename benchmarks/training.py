"""Training steps per second: the vmapped multi-seed trainer vs per-seed loops, same JAX model.

Usage: ``python benchmarks/training.py [--seeds 100] [--steps 300] [--spec "mlp 3-4-1 x^3+x^2"]``

Three ways to train the same runs (same architecture, data, optimizer, starts) in one process:

1. ``vmapped``  — :func:`neurovariety.experiments.trainer.trainer`: one jitted call, all seeds
   batched by ``vmap``, steps in ``lax.fori_loop`` (with the trajectory records it always takes);
2. ``loop``     — the straightforward per-seed loop: for each seed, a Python loop calling one
   jitted optax update step (the way a training script is usually written);
3. ``loop+scan``— a stronger baseline: per seed, one jitted ``lax.fori_loop`` over all steps.

Compilation is excluded (each function is called once before timing); each timing is the best
of ``--repeat`` (the machine may be shared). The end points of the
three are checked to agree.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from neurovariety import parse_architecture
from neurovariety.experiments.config import TrainConfig
from neurovariety.experiments.data import teacher_data
from neurovariety.experiments.trainer import initial_parameters, probes, run_keys, trainer
from neurovariety.landscape.critical import loss_function


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default="mlp 3-4-1 x^3+x^2")
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--samples", type=int, default=50)
    ap.add_argument("--loop-seeds", type=int, default=20, help="seeds timed in the loops")
    ap.add_argument("--repeat", type=int, default=5, help="timings repeated, the best kept")
    args = ap.parse_args()
    arch = parse_architecture(args.spec)
    data = teacher_data(arch, args.samples, seed=0)
    cfg = TrainConfig(
        optimizer="adam", lr=0.01, steps=args.steps, records=2, batch_seeds=args.seeds
    )
    X, Y = jnp.asarray(data.X), jnp.asarray(data.Y)
    P = jnp.asarray(probes(arch, 0))
    runs = list(range(args.seeds))
    theta0 = jnp.asarray(np.stack([initial_parameters(arch, cfg, 0, r) for r in runs]))
    keys = run_keys(0, runs)

    fn = trainer(arch, cfg, data.n_samples, P.shape[0])
    jax.block_until_ready(fn(theta0, keys, X, Y, P))  # compile
    t_vmap = float("inf")
    for _ in range(args.repeat):  # the machine is shared: keep the best of a few timings
        t = time.perf_counter()
        _, _, final = jax.block_until_ready(fn(theta0, keys, X, Y, P))
        t_vmap = min(t_vmap, time.perf_counter() - t)
    rate_vmap = args.seeds * args.steps / t_vmap

    loss = loss_function(arch)
    opt = optax.adam(cfg.lr)

    def mse(theta: jax.Array) -> jax.Array:
        return loss(theta, X, Y) / X.shape[0]

    @jax.jit
    def step(theta: jax.Array, state: optax.OptState) -> tuple[jax.Array, optax.OptState]:
        updates, state = opt.update(jax.grad(mse)(theta), state, theta)
        return optax.apply_updates(theta, updates), state

    @jax.jit
    def scan_run(theta: jax.Array) -> jax.Array:
        def body(_: int, c: tuple[jax.Array, optax.OptState]) -> tuple[jax.Array, optax.OptState]:
            return step(*c)

        return jax.lax.fori_loop(0, args.steps, body, (theta, opt.init(theta)))[0]

    m = min(args.loop_seeds, args.seeds)
    th, st = theta0[0], opt.init(theta0[0])
    jax.block_until_ready(step(th, st))
    jax.block_until_ready(scan_run(th))
    t_loop = t_scan = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        ends_loop = []
        for i in range(m):
            th, st = theta0[i], opt.init(theta0[i])
            for _ in range(args.steps):
                th, st = step(th, st)
            ends_loop.append(jax.block_until_ready(th))
        t_loop = min(t_loop, time.perf_counter() - t)
        t = time.perf_counter()
        ends_scan = [jax.block_until_ready(scan_run(theta0[i])) for i in range(m)]
        t_scan = min(t_scan, time.perf_counter() - t)
    rate_loop, rate_scan = m * args.steps / t_loop, m * args.steps / t_scan
    err = max(
        float(jnp.max(jnp.abs(final["theta"][i] - ends_loop[i]) / (1 + jnp.abs(ends_loop[i]))))
        for i in range(m)
    )
    err_scan = max(float(jnp.max(jnp.abs(ends_scan[i] - ends_loop[i]))) for i in range(m))

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"jax {jax.__version__} on {jax.devices()[0].platform}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{arch.spec} ({arch.n_params} params), {args.samples} samples, adam, {args.steps} steps")
    print(f"vmapped  {args.seeds:4d} seeds: {t_vmap:7.3f} s  {rate_vmap:12.0f} steps/s")
    print(
        f"loop     {m:4d} seeds: {t_loop:7.3f} s  {rate_loop:12.0f} steps/s  "
        f"(vmapped is {rate_vmap / rate_loop:.1f}x faster)"
    )
    print(
        f"loop+scan{m:4d} seeds: {t_scan:7.3f} s  {rate_scan:12.0f} steps/s  "
        f"(vmapped is {rate_vmap / rate_scan:.1f}x faster)"
    )
    print(f"end points agree: vmapped vs loop max rel. diff {err:.1e}, scan vs loop {err_scan:.1e}")


if __name__ == "__main__":
    main()
