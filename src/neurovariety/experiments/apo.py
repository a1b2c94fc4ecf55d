"""Singular learning (APO): Monte-Carlo of the MLE's training and generalization errors.

Data ``y = f_θ*(x) + ε``, ``x ~ N(0, I)``, ``ε ~ N(0, σ² I)``, n samples. The maximum-likelihood
estimate θ̂ minimizes ``Σ ‖y_j − f_θ(x_j)‖²`` (Levenberg–Marquardt, vmapped over trials and
restarts; the start at the truth is always among the restarts, the best end point is kept). With
the Gaussian log-loss, as in Amari–Park–Ozeki,

- generalization error ``E_gen = E_x ‖f_θ̂(x) − f_θ*(x)‖² / (2σ²)`` (the KL divergence of the
  fitted model from the truth; computed with exact Gaussian moments, see
  :func:`neurovariety.experiments.fisher.gauss_hermite_rule`);
- training error ``E_train = (Σ_j ‖y_j − f_θ̂(x_j)‖² − Σ_j ‖y_j − f_θ*(x_j)‖²) / (2σ² n)``.

For a regular truth the classical (AIC) prediction is ``E[E_gen] ≈ d/(2n)``,
``E[E_train] ≈ −d/(2n)``, d the model's dimension, so ``n·E_gen → d/2``. At a singular truth
(an inactive neuron: ``v = 0``) the fit is governed by the supremum of a Gaussian field over the
unidentifiable directions, and the prediction fails (APO).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..architectures.mlp import MLP
from ..errors import ExperimentError
from ..invariants.dimension import dimension
from ..parametrization.numeric import forward_fn
from ..results import Certainty, Result
from .fisher import gauss_hermite_rule
from .store import RunStore, experiment_key

__all__ = ["APOPoint", "APOResult", "apo_curve", "mle_errors", "truth_point"]


def truth_point(arch: Architecture, kind: str, *, seed: int = 0) -> np.ndarray:
    """A true parameter: ``regular`` (random, then the last layer scaled so that the outputs have
    unit standard deviation) or ``singular`` (the same with neuron 0 of the last hidden layer made
    inactive: its outgoing column set to 0, so its incoming row is unidentifiable).

    >>> from neurovariety import parse_architecture
    >>> truth_point(parse_architecture("mlp 2-1-1 x^3+x^2"), "singular")[-1]
    np.float64(0.0)
    """
    if not isinstance(arch, MLP) or len(arch.widths) < 3:
        raise ExperimentError(f"APO models are MLPs with a hidden layer; got {arch.spec}")
    if kind not in ("regular", "singular"):
        raise ExperimentError(f"truth {kind!r} is not one of regular, singular")
    rng = np.random.default_rng([seed, 23])
    theta = rng.standard_normal(arch.n_params)
    X, w = gauss_hermite_rule(arch.n_inputs, 2 * max(arch.output_degrees))
    F = np.asarray(
        jax.vmap(forward_fn(arch), in_axes=(None, 0))(jnp.asarray(theta), jnp.asarray(X))
    )
    sd = math.sqrt(float(w @ np.sum(F * F, axis=1)) / arch.n_outputs)
    last = arch.layers[-1]
    theta[last.params] /= sd
    if kind == "singular":
        theta[last.offset + last.pattern[:, 0]] = 0.0
    return theta


@lru_cache(maxsize=32)
def _solver(arch: Architecture, iters: int) -> Callable[..., Any]:
    f = jax.vmap(forward_fn(arch), in_axes=(None, 0))

    def resid(theta: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
        return (f(theta, X) - Y).reshape(-1)

    jac = jax.jacfwd(resid)
    eye = jnp.eye(arch.n_params)

    def lm(theta0: jax.Array, X: jax.Array, Y: jax.Array) -> tuple[jax.Array, jax.Array]:
        r0 = resid(theta0, X, Y)

        def body(_: Any, c: Any) -> Any:
            th, mu, L = c
            r = resid(th, X, Y)
            J = jac(th, X, Y)
            A = J.T @ J
            scale = jnp.maximum(jnp.trace(A) / A.shape[0], 1e-12)
            step = jnp.linalg.solve(A + mu * scale * eye, -J.T @ r)
            new = th + step
            rn = resid(new, X, Y)
            Ln = rn @ rn
            ok = jnp.isfinite(Ln) & (Ln < L)
            return (
                jnp.where(ok, new, th),
                jnp.where(ok, mu * 0.3, mu * 10.0).clip(1e-15, 1e15),
                jnp.where(ok, Ln, L),
            )

        th, _, L = jax.lax.fori_loop(0, iters, body, (theta0, jnp.asarray(1e-3), r0 @ r0))
        return th, L

    # trials × restarts: vmap over restarts inside, over trials outside
    inner = jax.vmap(lm, in_axes=(0, None, None))
    return jax.jit(jax.vmap(inner, in_axes=(0, 0, 0)))


@dataclasses.dataclass(frozen=True)
class APOPoint:
    """Monte-Carlo means (with 95% normal CIs) of n·E_gen and n·E_train at one sample size."""

    n: int
    trials: int
    gen_mean: float
    gen_ci: tuple[float, float]
    train_mean: float
    train_ci: tuple[float, float]


def _mean_ci(v: np.ndarray) -> tuple[float, tuple[float, float]]:
    m = float(v.mean())
    h = 1.96 * float(v.std(ddof=1)) / math.sqrt(v.size) if v.size > 1 else math.inf
    return m, (m - h, m + h)


def mle_errors(
    arch: Architecture,
    theta_star: Any,
    n: int,
    *,
    trials: int = 200,
    sigma: float = 0.5,
    restarts: int = 6,
    iters: int = 60,
    seed: int = 0,
) -> tuple[APOPoint, np.ndarray, np.ndarray]:
    """Monte-Carlo of the MLE at sample size ``n``: the summary point and the per-trial
    ``n·E_gen`` and ``n·E_train``.

    >>> from neurovariety import parse_architecture
    >>> f = parse_architecture("mlp 1-1-1 x^3+x^2")
    >>> p, g, t = mle_errors(f, truth_point(f, "regular"), 50, trials=8, restarts=2)
    >>> p.n, g.shape, bool(p.gen_mean > 0 > p.train_mean)
    (50, (8,), True)
    """
    if n < 1 or trials < 2 or restarts < 1 or iters < 1:
        raise ExperimentError("need n ≥ 1, trials ≥ 2, restarts ≥ 1 and iters ≥ 1")
    if not sigma > 0:
        raise ExperimentError(f"sigma={sigma} must be > 0")
    theta_star = np.asarray(theta_star, dtype=float)
    if theta_star.shape != (arch.n_params,):
        raise ExperimentError(f"theta_star must have shape ({arch.n_params},)")
    rng = np.random.default_rng([seed, n, 29])
    X = rng.standard_normal((trials, n, arch.n_inputs))
    fb = jax.vmap(forward_fn(arch), in_axes=(None, 0))
    F_star = np.asarray(jax.vmap(fb, in_axes=(None, 0))(jnp.asarray(theta_star), jnp.asarray(X)))
    Y = F_star + sigma * rng.standard_normal(F_star.shape)
    starts = np.empty((trials, restarts, arch.n_params))
    starts[:, 0] = theta_star
    starts[:, 1:] = rng.standard_normal((trials, restarts - 1, arch.n_params))
    theta, L = _solver(arch, iters)(jnp.asarray(starts), jnp.asarray(X), jnp.asarray(Y))
    L = np.where(np.isfinite(np.asarray(L)), np.asarray(L), np.inf)
    best = np.asarray(theta)[np.arange(trials), np.argmin(L, axis=1)]
    L_best = L.min(axis=1)
    L_star = np.sum((Y - F_star) ** 2, axis=(1, 2))
    Q, w = gauss_hermite_rule(arch.n_inputs, 2 * max(arch.output_degrees))
    Fq_star = np.asarray(fb(jnp.asarray(theta_star), jnp.asarray(Q)))
    Fq = np.asarray(jax.vmap(fb, in_axes=(0, None))(jnp.asarray(best), jnp.asarray(Q)))
    gen = n * np.einsum("q,tqo->t", w, (Fq - Fq_star) ** 2) / (2 * sigma**2)
    train = (L_best - L_star) / (2 * sigma**2)
    gm, gci = _mean_ci(gen)
    tm, tci = _mean_ci(train)
    return APOPoint(n, trials, gm, gci, tm, tci), gen, train


@dataclasses.dataclass(frozen=True, repr=False)
class APOResult(Result):
    """n·E_gen and n·E_train against n for one model and one truth, with the regular value d/2."""

    architecture: str
    truth: str
    theta_star: list[float]
    d: int
    sigma: float
    restarts: int
    points: list[APOPoint]
    seed: int
    computed: int
    resumed: int
    seconds: float

    @property
    def certainty(self) -> Certainty:
        """Monte-Carlo means with normal CIs of a numerically found MLE: numerical."""
        return Certainty.NUMERICAL

    def title(self) -> str:
        return f"APOResult  {self.architecture}  ({self.truth} truth)"

    def bullets(self) -> list[str]:
        out = [f"regular prediction: n·E_gen → d/2 = {self.d / 2:g}, n·E_train → −{self.d / 2:g}"]
        for p in self.points:
            out.append(
                f"n = {p.n}: n·E_gen {p.gen_mean:.3f} [{p.gen_ci[0]:.3f}, {p.gen_ci[1]:.3f}], "
                f"n·E_train {p.train_mean:.3f} [{p.train_ci[0]:.3f}, {p.train_ci[1]:.3f}] "
                f"({p.trials} trials)"
            )
        out.append(
            f"σ = {self.sigma:g}, {self.restarts} restarts · seed {self.seed} · "
            f"{self.computed} sizes computed, {self.resumed} resumed · {self.seconds:.3g} s"
        )
        return out


def apo_curve(
    arch: Architecture,
    truth: str,
    ns: Sequence[int],
    *,
    trials: int = 200,
    sigma: float = 0.5,
    restarts: int = 6,
    iters: int = 60,
    seed: int = 0,
    store: RunStore | None = None,
    progress: Callable[[int], None] | None = None,
) -> APOResult:
    """:func:`mle_errors` for each sample size in ``ns`` (each size stored when finished).

    >>> from neurovariety import parse_architecture
    >>> r = apo_curve(parse_architecture("mlp 1-1-1 x^3+x^2"), "singular", [50], trials=8,
    ...               restarts=2)
    >>> [p.n for p in r.points], r.d
    ([50], 2)
    """
    t0 = time.perf_counter()
    theta_star = truth_point(arch, truth, seed=seed)
    d = dimension(arch, seed=seed).dimension
    key = experiment_key("apo", arch.spec, truth, theta_star, sigma, trials, restarts, iters, seed)
    done = store.records(key) if store is not None else {}
    points, computed = [], 0
    for n in ns:
        if n in done:
            rec = done[n]
            points.append(
                APOPoint(
                    rec["n"],
                    rec["trials"],
                    rec["gen_mean"],
                    tuple(rec["gen_ci"]),  # type: ignore[arg-type]
                    rec["train_mean"],
                    tuple(rec["train_ci"]),  # type: ignore[arg-type]
                )
            )
        else:
            p, _, _ = mle_errors(
                arch,
                theta_star,
                n,
                trials=trials,
                sigma=sigma,
                restarts=restarts,
                iters=iters,
                seed=seed,
            )
            if store is not None:
                store.append(key, n, dataclasses.asdict(p))
            points.append(p)
            computed += 1
        if progress is not None:
            progress(1)
    return APOResult(
        architecture=arch.spec,
        truth=truth,
        theta_star=[float(t) for t in theta_star],
        d=d,
        sigma=sigma,
        restarts=restarts,
        points=points,
        seed=seed,
        computed=computed,
        resumed=len(points) - computed,
        seconds=time.perf_counter() - t0,
    )
