"""The vmapped trainer: many runs from their own starts in one jitted call.

Every run starts from ``init_scale · N(0, I)`` parameters (drawn with numpy from ``[seed, run]``,
so a run does not depend on which other runs share its batch) and minimizes the mean squared
error ``L(θ)/S`` with GD, SGD (minibatches from a per-run JAX key) or Adam (optax). With Armijo
step control (GD's default) a step θ − η∇L is accepted when ``L`` drops by at least
``10⁻⁴ η‖∇L‖²``, and η then grows by 1.25 back towards ``lr``; otherwise θ stays and η halves
(docs/design/experiments.md says why). The network enters only through
:func:`~neurovariety.parametrization.numeric.forward_fn`, so every architecture trains: Layer
stacks and those with their own parametrization (attention) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..architectures.base import Architecture
from ..architectures.mlp import MLP
from ..landscape.loss import loss_function
from ..parametrization.numeric import forward_fn
from .config import TrainConfig
from .endpoints import jacobian_sv
from .strata_distance import distances_fn

__all__ = ["initial_parameters", "probes", "run_keys", "schedule", "trainer"]

ARMIJO_C, GROW, SHRINK = 1e-4, 1.25, 0.5

Step = Callable[[Any, Any], Any]
#: A step rule: ``make(X, Y)`` gives the loop body, ``init(θ₀, X, Y)`` its state.
Rule = tuple[Callable[[jax.Array, jax.Array], Step], Callable[..., Any]]


def probes(arch: Architecture, seed: int) -> np.ndarray:
    """Gaussian probe points of the rank of dφ: ⌈N/outputs⌉ + 2 of them (they see any rank ≤ N;
    an MLP's ambient dimension, a binomial sum, may lower that; a CNN's is an enumeration of
    monomials exponential in depth, not asked for)."""
    count = -(-arch.n_params // arch.n_outputs)
    if isinstance(arch, MLP):
        count = min(arch.ambient_dim_per_output, count)
    count += 2
    return np.random.default_rng([seed, 7]).standard_normal((count, arch.n_inputs))


def schedule(cfg: TrainConfig) -> tuple[int, int, int]:
    """(records, steps between records, leftover steps after the last record)."""
    records = min(cfg.records, cfg.steps)
    per = cfg.steps // records
    return records, per, cfg.steps - per * records


def initial_parameters(arch: Architecture, cfg: TrainConfig, seed: int, run: int) -> np.ndarray:
    """The start of run ``run``: ``init_scale · N(0, I)`` from numpy (seeded by seed and run)."""
    rng = np.random.default_rng([seed, run, 11])
    return cfg.init_scale * rng.standard_normal(arch.n_params)


def run_keys(seed: int, runs: Sequence[int]) -> jax.Array:
    """One JAX key per run (for SGD's minibatches), independent of the batch it is in."""
    base = jax.random.key(seed)
    return jax.vmap(lambda r: jax.random.fold_in(base, r))(jnp.asarray(runs, dtype=jnp.uint32))


def _observer(arch: Architecture, cfg: TrainConfig, mse: Any) -> Callable[..., dict[str, Any]]:
    """``observe(carry, X, Y, P)``: what is recorded along a run (loss, distances to strata,
    rank and normalised singular values of dφ, θ, the step size in use)."""
    f = forward_fn(arch)
    distances = distances_fn(arch)

    def observe(carry: Any, X: jax.Array, Y: jax.Array, P: jax.Array) -> dict[str, Any]:
        theta, eta = carry[0], carry[-1]
        sv = jacobian_sv(f, theta, P)
        dist, rel = distances(theta)
        return {
            "loss": mse(theta, X, Y),
            "dist": dist,
            "rel": rel,
            "rank": jnp.sum(sv > cfg.rank_rtol * sv[0]),
            "sv": sv / jnp.where(sv[0] > 0, sv[0], 1.0),
            "theta": theta,
            "eta": eta,
        }

    return observe


def _optax_step(cfg: TrainConfig, mse: Any, n_samples: int) -> Rule:
    """A step of Adam, SGD or fixed-step GD on carry (θ, optimizer state, key, η)."""
    opt = optax.adam(cfg.lr) if cfg.optimizer == "adam" else optax.sgd(cfg.lr)
    grad = jax.grad(mse)
    bs = min(cfg.batch_size, n_samples)

    def make(X: jax.Array, Y: jax.Array) -> Step:
        def step(_: Any, carry: Any) -> Any:
            theta, state, k, eta = carry
            if cfg.optimizer == "sgd":
                k, sub = jax.random.split(k)
                idx = jax.random.choice(sub, n_samples, (bs,), replace=False)
                g = grad(theta, X[idx], Y[idx])
            else:
                g = grad(theta, X, Y)
            updates, state = opt.update(g, state, theta)
            return optax.apply_updates(theta, updates), state, k, eta

        return step

    return make, lambda theta0, X, Y: opt.init(theta0)


def _armijo_step(cfg: TrainConfig, mse: Any) -> Rule:
    """A GD step with Armijo control on carry (θ, (L(θ), ∇L(θ)), key, η): one value and
    gradient per step, as plain GD."""
    value_and_grad = jax.value_and_grad(mse)

    def make(X: jax.Array, Y: jax.Array) -> Step:
        def step(_: Any, carry: Any) -> Any:
            theta, (L, g), k, eta = carry
            cand = theta - eta * g
            Lc, gc = value_and_grad(cand, X, Y)
            # the 1e-13·L slack: an exact stationary point is not stalled by rounding
            ok = jnp.isfinite(Lc) & (Lc <= L - ARMIJO_C * eta * (g @ g) + 1e-13 * jnp.abs(L))
            ok = ok & jnp.all(jnp.isfinite(gc))
            theta = jnp.where(ok, cand, theta)
            L, g = jnp.where(ok, Lc, L), jnp.where(ok, gc, g)
            eta = jnp.where(ok, jnp.minimum(eta * GROW, cfg.lr), eta * SHRINK)
            return theta, (L, g), k, eta

        return step

    return make, value_and_grad


@lru_cache(maxsize=16)
def trainer(arch: Architecture, cfg: TrainConfig, n_samples: int, n_probes: int) -> Any:
    """The jitted, vmapped training function ``run(theta0s, keys, X, Y, probes)``.

    ``theta0s`` has shape (R, N) and ``keys`` (R,) — one row per run. Returns ``(obs0, obs,
    final)``: dicts of the observations at the start, at each record and at the end point
    (``loss``, ``dist``, ``rel``, ``rank``, ``sv``, ``theta``, ``eta``: the step size in use),
    each with a leading run axis. ``n_probes`` is part of the cache key only.
    """
    loss_sum = loss_function(arch)

    def mse(theta: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
        return loss_sum(theta, X, Y) / X.shape[0]

    observe = _observer(arch, cfg, mse)
    records, per, leftover = schedule(cfg)
    make, init = _armijo_step(cfg, mse) if cfg.line_search else _optax_step(cfg, mse, n_samples)

    def run(theta0: jax.Array, key: jax.Array, X: jax.Array, Y: jax.Array, P: jax.Array) -> Any:
        body = make(X, Y)
        state = init(theta0, X, Y)
        carry = (theta0, state, key, jnp.asarray(cfg.lr, dtype=theta0.dtype))

        def segment(carry: Any, _: Any) -> Any:
            carry = jax.lax.fori_loop(0, per, body, carry)
            return carry, observe(carry, X, Y, P)

        obs0 = observe(carry, X, Y, P)
        carry, obs = jax.lax.scan(segment, carry, None, length=records)
        if leftover:
            carry = jax.lax.fori_loop(0, leftover, body, carry)
        return obs0, obs, observe(carry, X, Y, P)

    return jax.jit(jax.vmap(run, in_axes=(0, 0, None, None, None)))
