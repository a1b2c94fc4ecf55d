"""Training many seeds at once (``vmap``) and watching where gradient descent goes.

Every run starts from ``init_scale · N(0, I)`` parameters (drawn with numpy from ``[seed, run]``,
so a run does not depend on which other runs share its batch) and minimizes the mean squared error
``L(θ)/S`` (``L`` = :func:`neurovariety.landscape.critical.loss_function`) with GD, SGD
(minibatches drawn from a per-run JAX key) or Adam (optax).

**Step-size control** (``step_control``; ``auto`` = ``armijo`` for GD, ``none`` otherwise): plain
GD on polynomial networks diverges from a fixed step as soon as the curvature along the path
exceeds 2/lr. With ``armijo`` every step is a gradient step θ − η∇L whose length η ≤ ``lr`` is
controlled per run: a step is accepted when it decreases the loss enough (Armijo:
``L(θ − η∇L) ≤ L(θ) − 10⁻⁴ η‖∇L‖²``) and η then grows by 1.25 back towards ``lr``; otherwise θ
stays and η halves. The direction is always the gradient and the loss never increases, so the
method has GD's stationary points and attractors — where the fixed step decreases the loss, every
step is accepted and the run *is* plain GD with step ``lr`` — and only the steps that would
overshoot are shortened. (Normalised steps change the dynamics near critical points, and
clipping still oscillates when lr·curvature > 2.) A step counts as one gradient evaluation,
accepted or not.

``records`` times along each trajectory it records

- the mean squared error;
- the **distance to every family of subnetwork strata** (the strata of
  :func:`neurovariety.invariants.strata.strata`, up to the choice of neurons): the Euclidean
  distance from θ to the union of those linear subspaces, and the same distance divided by the
  layer's typical size (the *relative distance*, which is what ``threshold`` is compared with):

  ============  =====================================  ============================
  family        distance                               scale
  ============  =====================================  ============================
  inactive-out  min_j ‖outgoing column j‖              RMS of the column norms
  inactive-in   min_j ‖incoming row j‖ (σ(0) = 0)      RMS of the row norms
  redundant     min_{j<k} ‖row_j − row_k‖ / √2         RMS of the row norms
  padding       min(|w_first|, |w_last|) of a filter   RMS entry of the filter
  ============  =====================================  ============================

- the **numerical rank of dφ**: the Jacobian of θ ↦ (f_θ(p_1), …, f_θ(p_P)) at fixed Gaussian
  probe points (enough of them: ``⌈N/outputs⌉ + 2``, for MLPs at most ambient + 2), counting
  singular values above ``rank_rtol · σ_max``;
- the parameters themselves (for the trajectory plots).

At the end point of every run four criteria are evaluated (Razor, arXiv:2505.11846: a run *ends
on a singular subnetwork* when its function lies on the image of a stratum and dφ drops rank
there):

- ``parameters``: some relative parameter distance ≤ ``threshold``;
- ``rank drop``: the numerical rank of dφ is below the generic rank (that of a random Gaussian θ,
  same probes); the ratio σ_r/σ_{r+1} across the cut is kept as the gap that decided it;
- ``function``: the **function-space distance** from f_θ to the image φ(S) of some maximal
  stratum S is ≤ ``fs_threshold`` (relative RMS over fixed Gaussian evaluation points); it is a
  Levenberg–Marquardt least-squares fit of f_θ within S (``fit_iters`` iterations), warm-started
  from the orthogonal projection of θ onto S — a local fit, so an upper bound of the distance;
- ``rank drop + function`` (the headline): both.

A run has **diverged** when its end loss or parameters are not finite, its loss grew more than
100-fold, or its parameter norm grew more than 100-fold (from max(‖θ₀‖, 1)); diverged runs are
counted apart and every fraction is over the other runs. The final Hessian signature comes from
:func:`neurovariety.landscape.critical.hessian_signature`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.mlp import MLP
from ..errors import ExperimentError
from ..invariants.strata import Stratum, strata
from ..jaxconfig import ensure_x64
from ..landscape.critical import hessian_signature, loss_function, wilson_interval
from ..nag.numerics import numerical_rank
from ..parametrization.numeric import forward_fn
from ..results import Result
from .data import Dataset
from .store import RunStore, experiment_key

__all__ = [
    "CRITERIA",
    "OPTIMIZERS",
    "TrainConfig",
    "TrainingResult",
    "end_point_rank",
    "function_distances",
    "maximal_strata",
    "proportion",
    "stratum_distances",
    "train",
    "trainer",
]

OPTIMIZERS = ("adam", "sgd", "gd")
STEP_CONTROLS = ("auto", "armijo", "none")
MAX_HESSIAN_PARAMS = 400
ARMIJO_C, GROW, SHRINK = 1e-4, 1.25, 0.5
DIVERGE_FACTOR = 100.0
CRITERIA = ("parameters", "rank drop", "function", "rank drop + function")
HEADLINE = CRITERIA[-1]


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Options of a training experiment (all of them enter the key of stored runs but
    ``batch_seeds``, which only says how many runs share one vmapped call).

    >>> TrainConfig(optimizer="sgd", lr=0.05).optimizer
    'sgd'
    >>> TrainConfig(optimizer="lbfgs")
    Traceback (most recent call last):
    ...
    neurovariety.errors.ExperimentError: optimizer 'lbfgs' is not one of adam, sgd, gd
    """

    optimizer: str = "adam"
    lr: float = 0.01
    steps: int = 2000
    batch_size: int = 32
    init_scale: float = 0.5
    records: int = 40
    threshold: float = 1e-2
    rank_rtol: float = 1e-6
    batch_seeds: int = 32
    step_control: str = "auto"
    fs_threshold: float = 1e-3
    fit_iters: int = 30

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ExperimentError(
                f"optimizer {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}"
            )
        if self.step_control not in STEP_CONTROLS:
            raise ExperimentError(
                f"step_control {self.step_control!r} is not one of {', '.join(STEP_CONTROLS)}"
            )
        if self.step_control == "armijo" and self.optimizer != "gd":
            raise ExperimentError(
                f"step_control 'armijo' is a line search along the full gradient: use it with "
                f"optimizer 'gd', not {self.optimizer!r} (or step_control 'none')"
            )
        for name in ("steps", "batch_size", "records", "batch_seeds", "fit_iters"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ExperimentError(f"{name}={v!r} must be an int ≥ 1")
        for name in ("lr", "init_scale", "threshold", "rank_rtol", "fs_threshold"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ExperimentError(f"{name}={v!r} must be a positive number")

    @property
    def line_search(self) -> bool:
        """Whether GD steps are Armijo-controlled (``step_control`` ``auto`` resolves here)."""
        return self.optimizer == "gd" and self.step_control in ("auto", "armijo")

    def key_fields(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("batch_seeds")
        d["step_control"] = "armijo" if self.line_search else "none"
        return d


# ---------------------------------------------------------------------------------------------
# distances to strata


def stratum_families(arch: Architecture) -> list[str]:
    """Names of the families of strata whose distances are tracked (see the module docstring).

    >>> from neurovariety import parse_architecture
    >>> stratum_families(parse_architecture("mlp 2-2-1 x^2"))
    ['inactive-out layer 1', 'inactive-in layer 1', 'redundant layer 1']
    >>> stratum_families(parse_architecture("cnn k=3,1,2 x^2"))
    ['padding filter 1', 'padding filter 3']
    """
    return [name for name, _ in _family_fns(arch)]


def _rms(v: jax.Array) -> jax.Array:
    return jnp.sqrt(jnp.mean(v * v))


def _family_fns(arch: Architecture) -> list[tuple[str, Callable[[jax.Array], Any]]]:
    out: list[tuple[str, Callable[[jax.Array], Any]]] = []
    if isinstance(arch, MLP):
        c0 = arch.activation.coefficients[0]
        for i in range(1, len(arch.widths) - 1):
            lin, lout = arch.layers[i - 1], arch.layers[i]
            d = arch.widths[i]

            def rows(theta: jax.Array, lin: Any = lin) -> jax.Array:
                return lin.weights(theta).reshape(lin.pattern.shape)

            def out_fn(theta: jax.Array, lout: Any = lout, d: int = d) -> Any:
                W = lout.weights(theta).reshape(lout.pattern.shape)
                c = jnp.linalg.norm(W[:, :d], axis=0)
                return jnp.min(c), _rms(c)

            def in_fn(theta: jax.Array, rows: Any = rows) -> Any:
                r = jnp.linalg.norm(rows(theta), axis=1)
                return jnp.min(r), _rms(r)

            out.append((f"inactive-out layer {i}", out_fn))
            if c0 == 0 and not arch.bias:
                out.append((f"inactive-in layer {i}", in_fn))
            if d >= 2:
                a, b = np.triu_indices(d, 1)

                def red_fn(theta: jax.Array, rows: Any = rows, a: Any = a, b: Any = b) -> Any:
                    R = rows(theta)
                    diff = jnp.linalg.norm(R[a] - R[b], axis=1) / math.sqrt(2.0)
                    return jnp.min(diff), _rms(jnp.linalg.norm(R, axis=1))

                out.append((f"redundant layer {i}", red_fn))
        return out
    if isinstance(arch, CNN):
        for i, layer in enumerate(arch.layers):
            if layer.n_params < 2:
                continue

            def pad_fn(theta: jax.Array, layer: Any = layer) -> Any:
                w = layer.weights(theta)
                return jnp.minimum(jnp.abs(w[0]), jnp.abs(w[-1])), _rms(w)

            out.append((f"padding filter {i + 1}", pad_fn))
        return out
    raise ExperimentError(f"no strata are tracked for {type(arch).__name__}")


def _distances_fn(arch: Architecture) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    fns = [fn for _, fn in _family_fns(arch)]

    def distances(theta: jax.Array) -> tuple[jax.Array, jax.Array]:
        if not fns:
            z = jnp.zeros((0,), dtype=theta.dtype)
            return z, z
        pairs = [fn(theta) for fn in fns]
        dist = jnp.stack([p[0] for p in pairs])
        scale = jnp.stack([p[1] for p in pairs])
        rel = jnp.where(scale > 0, dist / jnp.where(scale > 0, scale, 1.0), 0.0)
        return dist, rel

    return distances


def stratum_distances(arch: Architecture, theta: Any) -> dict[str, tuple[float, float]]:
    """Distance and relative distance of ``theta`` to each family of strata.

    >>> import numpy as np
    >>> from neurovariety import parse_architecture
    >>> f = parse_architecture("mlp 2-2-1 x^2")          # rows (1, 0), (1, 0.1); columns 2, 0
    >>> d = stratum_distances(f, np.array([1, 0, 1, 0.1, 2, 0.0]))
    >>> d["inactive-out layer 1"], round(d["redundant layer 1"][0], 4)
    ((0.0, 0.0), 0.0707)
    """
    ensure_x64()
    dist, rel = _distances_fn(arch)(jnp.asarray(theta, dtype=float))
    names = stratum_families(arch)
    return {n: (float(d), float(r)) for n, d, r in zip(names, dist, rel, strict=True)}


# ---------------------------------------------------------------------------------------------
# end-point criteria: rank of dφ and function-space distance to the strata images


def maximal_strata(arch: Architecture) -> list[Stratum]:
    """The strata of ``arch`` not contained in another one, for every choice of neurons.

    Every stratum lies in one of these, so the union of their images is the union of all the
    strata images: MLP inactive-out / inactive-in neuron j and redundant pairs j < k; CNN one
    zero at either end of one filter.

    >>> from neurovariety import parse_architecture
    >>> [s.name for s in maximal_strata(parse_architecture("cnn k=2,1,2 x^2"))]
    ['padding 1|0 0|0 0|0', 'padding 0|1 0|0 0|0', 'padding 0|0 0|0 1|0', 'padding 0|0 0|0 0|1']
    >>> len(maximal_strata(parse_architecture("mlp 3-3-1 x^3+x^2")))  # 3 + 3 + 3
    9
    """
    out: list[Stratum] = []
    if isinstance(arch, MLP):
        for s in strata(arch):
            d = arch.widths[s.layer]
            if s.kind == "redundant":
                pairs = itertools.combinations(range(d), 2)
                out += [Stratum(arch, s.kind, s.layer, pair) for pair in pairs]
            else:
                out += [Stratum(arch, s.kind, s.layer, (j,)) for j in range(d)]
        return out
    if isinstance(arch, CNN):
        for i, k in enumerate(arch.filters):
            if k < 2:
                continue
            for end in ((1, 0), (0, 1)):
                pad = tuple(end if m == i else (0, 0) for m in range(len(arch.filters)))
                out.append(Stratum(arch, "padding", padding=pad))
        return out
    raise ExperimentError(f"no strata are tracked for {type(arch).__name__}")


def _projectors(arch: Architecture) -> np.ndarray:
    """Orthogonal projectors B(BᵀB)⁻¹Bᵀ onto the maximal strata, stacked (S × N × N)."""
    mats = [s.basis @ np.linalg.pinv(s.basis) for s in maximal_strata(arch)]
    return np.stack(mats) if mats else np.zeros((0, arch.n_params, arch.n_params))


def _jacobian_sv(f: Callable[..., jax.Array], theta: jax.Array, P: jax.Array) -> jax.Array:
    """Singular values of dφ at θ (φ = θ ↦ f_θ at the points P), largest first."""
    J = jax.jacfwd(lambda t: jax.vmap(f, in_axes=(None, 0))(t, P).reshape(-1))(theta)
    return jnp.linalg.svd(J, compute_uv=False)


def rank_and_gap(sv: Any, rtol: float) -> tuple[int, float | None]:
    """Numerical rank (singular values above ``rtol·σ_max``) and the gap σ_r/σ_{r+1} that
    decided it (None when nothing was cut).

    >>> rank_and_gap([2.0, 1.0, 1e-8], 1e-6)
    (2, 100000000.0)
    """
    v = np.asarray(sv, dtype=float)
    if not np.all(np.isfinite(v)):
        return 0, None
    return numerical_rank(v, rtol)


def end_point_rank(
    arch: Architecture, theta: Any, probes: Any, rtol: float = 1e-6
) -> dict[str, Any]:
    """Rank of dφ at ``theta`` (Jacobian of θ ↦ f_θ at ``probes``), the generic rank (at a random
    Gaussian point, same probes) and the singular-value gap across the cut."""
    f = forward_fn(arch)
    P = jnp.asarray(probes, dtype=float)
    sv = np.asarray(_jacobian_sv(f, jnp.asarray(theta, dtype=float), P))
    rank, gap = rank_and_gap(sv, rtol)
    grank = generic_rank(arch, np.asarray(probes, dtype=float), rtol, seed=0)
    return {"rank": rank, "generic_rank": grank, "rank_drop": rank < grank, "gap": gap}


@lru_cache(maxsize=16)
def _fitter(arch: Architecture, iters: int) -> Any:
    """Jitted ``fit(thetas, projectors, Z)`` → relative distances (runs × strata): for each θ
    and stratum, min ‖f_v(Z) − f_θ(Z)‖/‖f_θ(Z)‖ over v in the stratum, by Levenberg–Marquardt
    from v = Pθ. With P symmetric, Jacobians J·P and the steps stay in the stratum."""
    f = forward_fn(arch)

    def one(theta: jax.Array, P: jax.Array, Z: jax.Array) -> jax.Array:
        F = lambda v: jax.vmap(f, in_axes=(None, 0))(v, Z).reshape(-1)  # noqa: E731
        target = F(theta)
        v0 = P @ theta
        r0 = F(v0) - target
        cost0 = r0 @ r0

        def it(_: Any, carry: Any) -> Any:
            v, cost, lam = carry
            J = jax.jacfwd(F)(v) @ P
            A = J.T @ J
            mu = jnp.trace(A) / A.shape[0] + 1e-300
            r = F(v) - target
            cand = v - jnp.linalg.solve(A + lam * mu * jnp.eye(A.shape[0]), J.T @ r)
            rc = F(cand) - target
            cc = rc @ rc
            ok = jnp.isfinite(cc) & (cc < cost)
            return (
                jnp.where(ok, cand, v),
                jnp.where(ok, cc, cost),
                jnp.where(ok, lam / 3.0, lam * 4.0),
            )

        _, cost, _ = jax.lax.fori_loop(0, iters, it, (v0, cost0, jnp.asarray(1e-3)))
        norm = jnp.sqrt(target @ target)
        return jnp.where(norm > 0, jnp.sqrt(cost) / jnp.where(norm > 0, norm, 1.0), 0.0)

    per_strata = jax.vmap(one, in_axes=(None, 0, None))
    return jax.jit(jax.vmap(per_strata, in_axes=(0, None, None)))


def _eval_points(arch: Architecture, seed: int) -> np.ndarray:
    count = 4 * arch.n_params + 20
    return np.random.default_rng([seed, 17]).standard_normal((count, arch.n_inputs))


def function_distances(
    arch: Architecture, theta: Any, points: Any, *, iters: int = 30
) -> dict[str, float]:
    """Relative function-space distance from f_θ to the image of each maximal stratum:
    ``min_v ‖f_v − f_θ‖ / ‖f_θ‖`` (RMS over ``points``, v in the stratum) by a least-squares fit
    warm-started from the projection of θ onto the stratum (a local fit: an upper bound).

    >>> import numpy as np
    >>> from neurovariety import parse_architecture
    >>> a = parse_architecture("mlp 2-2-1 x^2")      # outgoing weight of neuron 1 is zero
    >>> d = function_distances(a, [1, 2, 3, 4, 5, 0.0], np.eye(2))
    >>> d["inactive-out layer 1 neurons 1"] == 0.0
    True
    """
    ensure_x64()
    fit = _fitter(arch, iters)  # first: it turns on JAX's 64-bit mode the arrays below need
    thetas = jnp.asarray(np.asarray(theta, dtype=float)[None, :])
    Ps = jnp.asarray(_projectors(arch))
    rel = np.asarray(fit(thetas, Ps, jnp.asarray(points, dtype=float)))[0]
    return {s.name: float(d) for s, d in zip(maximal_strata(arch), rel, strict=True)}


# ---------------------------------------------------------------------------------------------
# the vmapped trainer


def _probes(arch: Architecture, seed: int) -> np.ndarray:
    # ⌈N/outputs⌉ points see any rank ≤ N; an MLP's ambient dimension (a binomial sum) may
    # lower that, a CNN's is an enumeration of monomials exponential in depth: not asked for
    count = -(-arch.n_params // arch.n_outputs)
    if isinstance(arch, MLP):
        count = min(arch.ambient_dim_per_output, count)
    count += 2
    return np.random.default_rng([seed, 7]).standard_normal((count, arch.n_inputs))


def _optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    if cfg.optimizer == "adam":
        return optax.adam(cfg.lr)
    return optax.sgd(cfg.lr)


def _schedule(cfg: TrainConfig) -> tuple[int, int, int]:
    records = min(cfg.records, cfg.steps)
    per = cfg.steps // records
    return records, per, cfg.steps - per * records


@lru_cache(maxsize=16)
def trainer(arch: Architecture, cfg: TrainConfig, n_samples: int, n_probes: int) -> Any:
    """The jitted, vmapped training function ``run(theta0s, keys, X, Y, probes)``.

    ``theta0s`` has shape (R, N) and ``keys`` (R,) — one row per run. Returns ``(obs0, obs,
    final)``: dicts of the observations at the start, at each record and at the end point
    (``loss``, ``dist``, ``rel``, ``rank``, ``sv``, ``theta``, ``eta``: the step size in use),
    each with a leading run axis.
    """
    f = forward_fn(arch)
    loss_sum = loss_function(arch)
    opt = _optimizer(cfg)
    distances = _distances_fn(arch)
    records, per, leftover = _schedule(cfg)
    bs = min(cfg.batch_size, n_samples)

    def mse(theta: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
        return loss_sum(theta, X, Y) / X.shape[0]

    grad = jax.grad(mse)
    value_and_grad = jax.value_and_grad(mse)

    def observe(carry: Any, X: jax.Array, Y: jax.Array, P: jax.Array) -> dict[str, Any]:
        theta, eta = carry[0], carry[-1]
        sv = _jacobian_sv(f, theta, P)
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

    def run(theta0: jax.Array, key: jax.Array, X: jax.Array, Y: jax.Array, P: jax.Array) -> Any:
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

        def armijo_step(_: Any, carry: Any) -> Any:
            # carry: θ, (L(θ), ∇L(θ)), key, η — one value-and-gradient per step, as plain GD
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

        body = armijo_step if cfg.line_search else step
        state = value_and_grad(theta0, X, Y) if cfg.line_search else opt.init(theta0)
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


def initial_parameters(arch: Architecture, cfg: TrainConfig, seed: int, run: int) -> np.ndarray:
    """The start of run ``run``: ``init_scale · N(0, I)`` from numpy (seeded by seed and run)."""
    rng = np.random.default_rng([seed, run, 11])
    return cfg.init_scale * rng.standard_normal(arch.n_params)


def _run_keys(seed: int, runs: Sequence[int]) -> jax.Array:
    base = jax.random.key(seed)
    return jax.vmap(lambda r: jax.random.fold_in(base, r))(jnp.asarray(runs, dtype=jnp.uint32))


def generic_rank(arch: Architecture, probes: np.ndarray, rtol: float, *, seed: int) -> int:
    """Numerical rank of dφ at random Gaussian points (the probes and tolerance of training), the
    largest of three: the generic rank is the maximal one, and at a single point conditioning can
    hide a rank (``cnn k=4,4,4 x^3+x^2``, degree 9 in θ: 11 of 12 at one of them)."""
    f, P = forward_fn(arch), jnp.asarray(probes)
    best = 0
    for i in range(3):
        rng = np.random.default_rng([seed, 13] if i == 0 else [seed, 13, i])
        sv = np.asarray(_jacobian_sv(f, jnp.asarray(rng.standard_normal(arch.n_params)), P))
        best = max(best, numerical_rank(sv, rtol)[0])
    return best


def end_criteria(run: dict[str, Any], grank: int, cfg: TrainConfig) -> dict[str, bool]:
    """The criteria of :data:`CRITERIA` for a run record, from its stored end-point numbers (so a
    resumed run is judged with the current generic rank and thresholds)."""
    if run["diverged"]:
        return dict.fromkeys(CRITERIA, False)
    rel, fd = run["min_rel_distance"], run["function_distance"]
    on = rel is not None and rel <= cfg.threshold
    drop = run["final_rank"] < grank
    near = fd is not None and fd <= cfg.fs_threshold
    return dict(zip(CRITERIA, (on, drop, near, drop and near), strict=True))


# ---------------------------------------------------------------------------------------------
# results


@dataclasses.dataclass(frozen=True, repr=False)
class TrainingResult(Result):
    """Where many training runs of one architecture on one dataset ended.

    ``criteria`` maps each criterion of :data:`CRITERIA` to ``{"count", "runs", "fraction",
    "ci_low", "ci_high"}`` over the runs that did not diverge (95% Wilson intervals);
    ``on_strata`` … ``ci_high`` repeat the ``parameters`` criterion.
    """

    architecture: str
    data: str
    samples: int
    optimizer: str
    lr: float
    steps: int
    seeds: int
    seed: int
    on_strata: int
    fraction_on_strata: float
    ci_low: float
    ci_high: float
    diverged: int
    final_loss_median: float
    final_loss_q10: float
    final_loss_q90: float
    threshold: float
    rank_rtol: float
    generic_rank: int
    rank_drop_at_end: int
    strata_counts: dict[str, int]
    hessian_counts: dict[str, int]
    computed: int
    resumed: int
    seconds: float
    key: str
    runs: list[dict[str, Any]]
    trajectories: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    criteria: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    diverged_reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    n_params: int = 0
    init_scale: float = 0.5
    step_control: str = "none"
    fs_threshold: float = 1e-3

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("trajectories")
        return d

    def title(self) -> str:
        return f"TrainingResult  {self.architecture}  ({self.optimizer}, lr {self.lr:g})"

    def criterion_line(self, name: str) -> str:
        c = self.criteria[name]
        return (
            f"{name}: {c['count']}/{c['runs']} = {c['fraction']:.3f} "
            f"[{c['ci_low']:.3f}, {c['ci_high']:.3f}]"
        )

    def bullets(self) -> list[str]:
        counts = ", ".join(f"{k} {v}" for k, v in self.strata_counts.items() if v) or "none"
        hess = ", ".join(f"{k} {v}" for k, v in sorted(self.hessian_counts.items())) or "—"
        why = ", ".join(f"{k} {v}" for k, v in self.diverged_reasons.items() if v)
        return [
            f"runs ending on a singular subnetwork (rank of dφ below the generic "
            f"{self.generic_rank} and f_θ within {self.fs_threshold:g} of a stratum image), "
            f"95% Wilson CIs, over {self.seeds - self.diverged} converged runs "
            f"({self.diverged} diverged{': ' + why if why else ''}):",
            *(f"  {self.criterion_line(n)}" for n in CRITERIA),
            f"parameter distance ≤ {self.threshold:g}, nearest strata: {counts}",
            f"final MSE median {self.final_loss_median:.4g} (10–90%: {self.final_loss_q10:.3g} – "
            f"{self.final_loss_q90:.3g}); {self.steps} steps on {self.samples} samples, "
            f"{self.data}; init {self.init_scale:g}·N(0, I), step control {self.step_control}",
            f"final Hessians: {hess}",
            f"seed {self.seed} · {self.computed} runs computed, {self.resumed} resumed · "
            f"{self.seconds:.3g} s",
        ]


def diverged_reason(loss0: float, loss: float, theta0: Any, theta: Any) -> str | None:
    """Why a run counts as diverged (None: it did not): non-finite, or loss or ‖θ‖ grown more
    than :data:`DIVERGE_FACTOR`-fold (‖θ‖ from max(‖θ₀‖, 1)).

    >>> diverged_reason(1.0, 0.5, [1.0], [2.0]), diverged_reason(1.0, 500.0, [1.0], [2.0])
    (None, 'loss grew')
    """
    t = np.asarray(theta, dtype=float)
    if not (math.isfinite(loss) and np.all(np.isfinite(t))):
        return "not finite"
    if loss > DIVERGE_FACTOR * loss0:
        return "loss grew"
    if np.linalg.norm(t) > DIVERGE_FACTOR * max(float(np.linalg.norm(theta0)), 1.0):
        return "parameters grew"
    return None


def _summarize_run(
    arch: Architecture,
    data: Dataset,
    cfg: TrainConfig,
    families: list[str],
    images: list[str],
    grank: int,
    run: int,
    obs0: dict[str, np.ndarray],
    obs: dict[str, np.ndarray],
    final: dict[str, np.ndarray],
    fdist: np.ndarray,
    schedule: tuple[int, int, int],
) -> dict[str, Any]:
    records, per, _ = schedule
    loss = float(final["loss"])
    why = diverged_reason(float(obs0["loss"]), loss, obs0["theta"], final["theta"])
    ok = why is None
    rel = np.asarray(final["rel"], dtype=float)
    nearest = families[int(np.argmin(rel))] if rel.size and ok else None
    on = bool(ok and rel.size and float(rel.min()) <= cfg.threshold)
    rank, gap = rank_and_gap(final["sv"], cfg.rank_rtol)
    fd = np.asarray(fdist, dtype=float)
    fmin = float(fd.min()) if fd.size and ok else None
    hess = None
    if ok and arch.n_params <= MAX_HESSIAN_PARAMS:
        hess = hessian_signature(arch, final["theta"], data.X, data.Y)
    steps = [0] + [per * (i + 1) for i in range(records)] + [cfg.steps]
    traj = {
        "step": steps,
        "loss": [float(obs0["loss"]), *map(float, obs["loss"]), loss],
        "rel": [list(map(float, obs0["rel"])), *(list(map(float, r)) for r in obs["rel"])]
        + [list(map(float, rel))],
        "rank": [int(obs0["rank"]), *map(int, obs["rank"]), int(final["rank"])],
        "theta": [list(map(float, obs0["theta"])), *(list(map(float, t)) for t in obs["theta"])]
        + [list(map(float, final["theta"]))],
    }
    rec: dict[str, Any] = {
        "seed": run,
        "final_loss": loss if ok else None,
        "diverged": not ok,
        "diverged_reason": why,
        "on_stratum": on,
        "nearest": nearest,
        "min_rel_distance": float(rel.min()) if rel.size and ok else None,
        "distances": {n: float(d) for n, d in zip(families, final["dist"], strict=True)},
        "rel_distances": {n: float(r) for n, r in zip(families, rel, strict=True)},
        "final_rank": rank,
        "rank_gap": gap,
        "final_sv": [float(v) for v in final["sv"]],
        "function_distance": fmin,
        "nearest_image": images[int(np.argmin(fd))] if fmin is not None else None,
        "final_step_size": float(final["eta"]),
        "hessian": None if hess is None else hess.classification,
        "hessian_signature": None if hess is None else [hess.positive, hess.negative, hess.zero],
        "trajectory": traj,
    }
    # stored for readers of runs.jsonl; _result recomputes them from the numbers above
    rec["criteria"] = end_criteria(rec, grank, cfg)
    return rec


def train(
    arch: Architecture,
    data: Dataset,
    *,
    seeds: int | Sequence[int] = 10,
    config: TrainConfig | None = None,
    seed: int = 0,
    store: RunStore | None = None,
    progress: Callable[[int], None] | None = None,
) -> TrainingResult:
    """Train ``arch`` on ``data`` from many random starts at once and summarize where runs end.

    ``seeds`` is a count (runs ``0 … seeds−1``) or an explicit list of run ids. With a
    ``store``, every finished run is written immediately and runs already in it (same
    architecture, data, options and ``seed``) are loaded instead of recomputed. ``progress`` is
    called with the number of runs just finished.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.experiments.data import teacher_data
    >>> f = parse_architecture("mlp 2-2-1 x^2")
    >>> r = train(f, teacher_data(f, 20, seed=0), seeds=2,
    ...           config=TrainConfig(steps=50, records=5, batch_seeds=2))
    >>> r.seeds, len(r.runs), r.runs[0]["final_rank"] <= r.generic_rank
    (2, 2, True)
    """
    t0 = time.perf_counter()
    cfg = config or TrainConfig()
    data.check(arch)
    runs = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not runs:
        raise ExperimentError("seeds must be ≥ 1 (a count or a non-empty list of run ids)")
    if len(set(runs)) != len(runs):
        raise ExperimentError("run ids in seeds must be distinct")
    families = stratum_families(arch)
    images = [s.name for s in maximal_strata(arch)]
    key = experiment_key("train", arch.spec, data.fingerprint, data.source, cfg.key_fields(), seed)
    finished: dict[int, dict[str, Any]] = {}
    if store is not None:
        finished = {int(r): rec for r, rec in store.records(key).items() if int(r) in set(runs)}
    todo = [r for r in runs if r not in finished]
    resumed = len(runs) - len(todo)
    if progress is not None and resumed:
        progress(resumed)
    probes = _probes(arch, seed)
    grank = generic_rank(arch, probes, cfg.rank_rtol, seed=seed)
    schedule = _schedule(cfg)
    if todo:
        fn = trainer(arch, cfg, data.n_samples, probes.shape[0])
        fit = _fitter(arch, cfg.fit_iters)
        X, Y, P = jnp.asarray(data.X), jnp.asarray(data.Y), jnp.asarray(probes)
        Ps, Z = jnp.asarray(_projectors(arch)), jnp.asarray(_eval_points(arch, seed))
        for start in range(0, len(todo), cfg.batch_seeds):
            batch = todo[start : start + cfg.batch_seeds]
            # Every call has exactly batch_seeds rows (padded with repeats): XLA's batched kernels
            # then give each run the same bits whichever runs share its batch.
            padded = batch + [batch[-1]] * (cfg.batch_seeds - len(batch))
            theta0 = jnp.asarray(np.stack([initial_parameters(arch, cfg, seed, r) for r in padded]))
            obs0, obs, final = jax.device_get(fn(theta0, _run_keys(seed, padded), X, Y, P))
            ends = np.where(np.isfinite(final["theta"]), final["theta"], 0.0)
            fdist = np.asarray(fit(jnp.asarray(ends), Ps, Z))
            for i, r in enumerate(batch):
                rec = _summarize_run(
                    arch,
                    data,
                    cfg,
                    families,
                    images,
                    grank,
                    r,
                    {k: v[i] for k, v in obs0.items()},
                    {k: v[i] for k, v in obs.items()},
                    {k: v[i] for k, v in final.items()},
                    fdist[i],
                    schedule,
                )
                if store is not None:
                    store.append(key, r, rec)
                finished[r] = rec
            if progress is not None:
                progress(len(batch))
    recs = [finished[r] for r in runs]
    return _result(arch, data, cfg, seed, recs, families, grank, key, len(todo), resumed, t0)


def proportion(count: int, runs: int) -> dict[str, float]:
    """``count``/``runs`` with its 95% Wilson interval, as stored in ``criteria``."""
    lo, hi = wilson_interval(count, runs)
    frac = count / runs if runs else math.nan
    return {"count": count, "runs": runs, "fraction": frac, "ci_low": lo, "ci_high": hi}


def _result(
    arch: Architecture,
    data: Dataset,
    cfg: TrainConfig,
    seed: int,
    recs: list[dict[str, Any]],
    families: list[str],
    grank: int,
    key: str,
    computed: int,
    resumed: int,
    t0: float,
) -> TrainingResult:
    recs = [{**r, "criteria": end_criteria(r, grank, cfg)} for r in recs]
    ok = [r for r in recs if not r["diverged"]]
    criteria = {n: proportion(sum(r["criteria"][n] for r in ok), len(ok)) for n in CRITERIA}
    params = criteria["parameters"]
    losses = np.array([r["final_loss"] for r in ok], dtype=float)
    q = np.quantile(losses, [0.1, 0.5, 0.9]) if losses.size else np.full(3, math.nan)
    counts = {n: 0 for n in families}
    for r in ok:
        if r["on_stratum"]:
            counts[r["nearest"]] += 1
    hess: dict[str, int] = {}
    for r in ok:
        if r["hessian"] is not None:
            hess[r["hessian"]] = hess.get(r["hessian"], 0) + 1
    reasons: dict[str, int] = {}
    for r in recs:
        if r["diverged"]:
            reasons[r["diverged_reason"]] = reasons.get(r["diverged_reason"], 0) + 1
    summaries = [
        {k: v for k, v in r.items() if k not in ("trajectory", "key", "run")} for r in recs
    ]
    return TrainingResult(
        architecture=arch.spec,
        data=data.source,
        samples=data.n_samples,
        optimizer=cfg.optimizer,
        lr=cfg.lr,
        steps=cfg.steps,
        seeds=len(recs),
        seed=seed,
        on_strata=int(params["count"]),
        fraction_on_strata=params["fraction"],
        ci_low=params["ci_low"],
        ci_high=params["ci_high"],
        diverged=len(recs) - len(ok),
        final_loss_median=float(q[1]),
        final_loss_q10=float(q[0]),
        final_loss_q90=float(q[2]),
        threshold=cfg.threshold,
        rank_rtol=cfg.rank_rtol,
        generic_rank=grank,
        rank_drop_at_end=int(criteria["rank drop"]["count"]),
        strata_counts=counts,
        hessian_counts=hess,
        computed=computed,
        resumed=resumed,
        seconds=time.perf_counter() - t0,
        key=key,
        runs=summaries,
        trajectories=[{"seed": r["seed"], **r["trajectory"]} for r in recs],
        criteria=criteria,
        diverged_reasons=reasons,
        n_params=arch.n_params,
        init_scale=cfg.init_scale,
        step_control="armijo" if cfg.line_search else "none",
        fs_threshold=cfg.fs_threshold,
    )
