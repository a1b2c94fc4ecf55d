"""Training many seeds at once (``vmap``) and watching where gradient descent goes.

Every run starts from ``init_scale · N(0, I)`` parameters (drawn with numpy from ``[seed, run]``,
so a run does not depend on which other runs share its batch) and minimizes the mean squared error
``L(θ)/S`` (``L`` = :func:`neurovariety.landscape.critical.loss_function`) with optax GD, SGD
(minibatches drawn from a per-run JAX key) or Adam. ``records`` times along each trajectory it
records

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
  probe points (enough of them: ``min(ambient, ⌈N/outputs⌉) + 2``), counting singular values
  above ``rank_rtol · σ_max``;
- the parameters themselves (for the trajectory plots).

A run *ends on a stratum* when some relative distance at its end point is ≤ ``threshold``. Runs
whose loss is not finite are counted as diverged and left out of the fraction. The final Hessian
signature comes from :func:`neurovariety.landscape.critical.hessian_signature`.
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
import optax

from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.mlp import MLP
from ..errors import ExperimentError
from ..landscape.critical import hessian_signature, loss_function, wilson_interval
from ..parametrization.numeric import forward_fn
from ..results import Result
from .data import Dataset
from .store import RunStore, experiment_key

__all__ = [
    "OPTIMIZERS",
    "TrainConfig",
    "TrainingResult",
    "stratum_distances",
    "train",
    "trainer",
]

OPTIMIZERS = ("adam", "sgd", "gd")
MAX_HESSIAN_PARAMS = 400


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

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ExperimentError(
                f"optimizer {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}"
            )
        for name in ("steps", "batch_size", "records", "batch_seeds"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ExperimentError(f"{name}={v!r} must be an int ≥ 1")
        for name in ("lr", "init_scale", "threshold", "rank_rtol"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ExperimentError(f"{name}={v!r} must be a positive number")

    def key_fields(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("batch_seeds")
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
                return theta[lin.offset : lin.offset + lin.n_params].reshape(lin.pattern.shape)

            def out_fn(theta: jax.Array, lout: Any = lout, d: int = d) -> Any:
                W = theta[lout.offset : lout.offset + lout.n_params].reshape(lout.pattern.shape)
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
                w = theta[layer.offset : layer.offset + layer.n_params]
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
    dist, rel = _distances_fn(arch)(jnp.asarray(theta, dtype=float))
    names = stratum_families(arch)
    return {n: (float(d), float(r)) for n, d, r in zip(names, dist, rel, strict=True)}


# ---------------------------------------------------------------------------------------------
# the vmapped trainer


def _probes(arch: Architecture, seed: int) -> np.ndarray:
    n_out = arch.n_outputs
    count = min(arch.ambient_dim_per_output, -(-arch.n_params // n_out)) + 2
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
    (``loss``, ``dist``, ``rel``, ``rank``, ``theta``), each with a leading run axis.
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

    def observe(theta: jax.Array, X: jax.Array, Y: jax.Array, P: jax.Array) -> dict[str, Any]:
        J = jax.jacfwd(lambda t: jax.vmap(f, in_axes=(None, 0))(t, P).reshape(-1))(theta)
        sv = jnp.linalg.svd(J, compute_uv=False)
        dist, rel = distances(theta)
        return {
            "loss": mse(theta, X, Y),
            "dist": dist,
            "rel": rel,
            "rank": jnp.sum(sv > cfg.rank_rtol * sv[0]),
            "theta": theta,
        }

    def run(theta0: jax.Array, key: jax.Array, X: jax.Array, Y: jax.Array, P: jax.Array) -> Any:
        def step(_: Any, carry: Any) -> Any:
            theta, state, k = carry
            if cfg.optimizer == "sgd":
                k, sub = jax.random.split(k)
                idx = jax.random.choice(sub, n_samples, (bs,), replace=False)
                g = grad(theta, X[idx], Y[idx])
            else:
                g = grad(theta, X, Y)
            updates, state = opt.update(g, state, theta)
            return optax.apply_updates(theta, updates), state, k

        def segment(carry: Any, _: Any) -> Any:
            carry = jax.lax.fori_loop(0, per, step, carry)
            return carry, observe(carry[0], X, Y, P)

        carry = (theta0, opt.init(theta0), key)
        obs0 = observe(theta0, X, Y, P)
        carry, obs = jax.lax.scan(segment, carry, None, length=records)
        if leftover:
            carry = jax.lax.fori_loop(0, leftover, step, carry)
        return obs0, obs, observe(carry[0], X, Y, P)

    return jax.jit(jax.vmap(run, in_axes=(0, 0, None, None, None)))


def initial_parameters(arch: Architecture, cfg: TrainConfig, seed: int, run: int) -> np.ndarray:
    """The start of run ``run``: ``init_scale · N(0, I)`` from numpy (seeded by seed and run)."""
    rng = np.random.default_rng([seed, run, 11])
    return cfg.init_scale * rng.standard_normal(arch.n_params)


def _run_keys(seed: int, runs: Sequence[int]) -> jax.Array:
    base = jax.random.key(seed)
    return jax.vmap(lambda r: jax.random.fold_in(base, r))(jnp.asarray(runs, dtype=jnp.uint32))


def generic_rank(arch: Architecture, probes: np.ndarray, rtol: float, *, seed: int) -> int:
    """Numerical rank of dφ at a random Gaussian point (the probes and tolerance of training)."""
    f = forward_fn(arch)
    theta = np.random.default_rng([seed, 13]).standard_normal(arch.n_params)
    P = jnp.asarray(probes)
    J = jax.jacfwd(lambda t: jax.vmap(f, in_axes=(None, 0))(t, P).reshape(-1))(jnp.asarray(theta))
    sv = np.linalg.svd(np.asarray(J), compute_uv=False)
    return int(np.sum(sv > rtol * sv[0]))


# ---------------------------------------------------------------------------------------------
# results


@dataclasses.dataclass(frozen=True, repr=False)
class TrainingResult(Result):
    """Where many training runs of one architecture on one dataset ended."""

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

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("trajectories")
        return d

    def title(self) -> str:
        return f"TrainingResult  {self.architecture}  ({self.optimizer}, lr {self.lr:g})"

    def bullets(self) -> list[str]:
        ok = self.seeds - self.diverged
        counts = ", ".join(f"{k} {v}" for k, v in self.strata_counts.items() if v) or "none"
        hess = ", ".join(f"{k} {v}" for k, v in sorted(self.hessian_counts.items())) or "—"
        return [
            f"{self.on_strata}/{ok} runs end on a subnetwork stratum: "
            f"{self.fraction_on_strata:.3f} "
            f"(95% Wilson CI [{self.ci_low:.3f}, {self.ci_high:.3f}]); relative distance ≤ "
            f"{self.threshold:g}; {self.diverged} diverged",
            f"nearest strata: {counts}",
            f"final MSE median {self.final_loss_median:.4g} (10–90%: {self.final_loss_q10:.3g} – "
            f"{self.final_loss_q90:.3g}); {self.steps} steps on {self.samples} samples, "
            f"{self.data}",
            f"rank of dφ below generic ({self.generic_rank}, rtol {self.rank_rtol:g}) at "
            f"{self.rank_drop_at_end} end points; final Hessians: {hess}",
            f"seed {self.seed} · {self.computed} runs computed, {self.resumed} resumed · "
            f"{self.seconds:.3g} s",
        ]


def _summarize_run(
    arch: Architecture,
    data: Dataset,
    cfg: TrainConfig,
    families: list[str],
    run: int,
    obs0: dict[str, np.ndarray],
    obs: dict[str, np.ndarray],
    final: dict[str, np.ndarray],
    schedule: tuple[int, int, int],
) -> dict[str, Any]:
    records, per, _ = schedule
    loss = float(final["loss"])
    finite = math.isfinite(loss) and bool(np.all(np.isfinite(final["theta"])))
    rel = np.asarray(final["rel"], dtype=float)
    nearest = families[int(np.argmin(rel))] if rel.size and finite else None
    on = bool(finite and rel.size and float(rel.min()) <= cfg.threshold)
    hess = None
    if finite and arch.n_params <= MAX_HESSIAN_PARAMS:
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
    return {
        "seed": run,
        "final_loss": loss if finite else None,
        "diverged": not finite,
        "on_stratum": on,
        "nearest": nearest,
        "min_rel_distance": float(rel.min()) if rel.size and finite else None,
        "distances": {n: float(d) for n, d in zip(families, final["dist"], strict=True)},
        "rel_distances": {n: float(r) for n, r in zip(families, rel, strict=True)},
        "final_rank": int(final["rank"]),
        "hessian": None if hess is None else hess.classification,
        "hessian_signature": None if hess is None else [hess.positive, hess.negative, hess.zero],
        "trajectory": traj,
    }


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
    key = experiment_key("train", arch.spec, data.fingerprint, data.source, cfg.key_fields(), seed)
    finished: dict[int, dict[str, Any]] = {}
    if store is not None:
        finished = {int(r): rec for r, rec in store.records(key).items() if int(r) in set(runs)}
    todo = [r for r in runs if r not in finished]
    resumed = len(runs) - len(todo)
    if progress is not None and resumed:
        progress(resumed)
    probes = _probes(arch, seed)
    schedule = _schedule(cfg)
    if todo:
        fn = trainer(arch, cfg, data.n_samples, probes.shape[0])
        X, Y, P = jnp.asarray(data.X), jnp.asarray(data.Y), jnp.asarray(probes)
        for start in range(0, len(todo), cfg.batch_seeds):
            batch = todo[start : start + cfg.batch_seeds]
            # Every call has exactly batch_seeds rows (padded with repeats): XLA's batched kernels
            # then give each run the same bits whichever runs share its batch.
            padded = batch + [batch[-1]] * (cfg.batch_seeds - len(batch))
            theta0 = jnp.asarray(np.stack([initial_parameters(arch, cfg, seed, r) for r in padded]))
            obs0, obs, final = jax.device_get(fn(theta0, _run_keys(seed, padded), X, Y, P))
            for i, r in enumerate(batch):
                rec = _summarize_run(
                    arch,
                    data,
                    cfg,
                    families,
                    r,
                    {k: v[i] for k, v in obs0.items()},
                    {k: v[i] for k, v in obs.items()},
                    {k: v[i] for k, v in final.items()},
                    schedule,
                )
                if store is not None:
                    store.append(key, r, rec)
                finished[r] = rec
            if progress is not None:
                progress(len(batch))
    recs = [finished[r] for r in runs]
    return _result(arch, data, cfg, seed, recs, families, probes, key, len(todo), resumed, t0)


def _result(
    arch: Architecture,
    data: Dataset,
    cfg: TrainConfig,
    seed: int,
    recs: list[dict[str, Any]],
    families: list[str],
    probes: np.ndarray,
    key: str,
    computed: int,
    resumed: int,
    t0: float,
) -> TrainingResult:
    ok = [r for r in recs if not r["diverged"]]
    on = sum(bool(r["on_stratum"]) for r in ok)
    lo, hi = wilson_interval(on, len(ok))
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
    grank = generic_rank(arch, probes, cfg.rank_rtol, seed=seed)
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
        on_strata=on,
        fraction_on_strata=on / len(ok) if ok else math.nan,
        ci_low=lo,
        ci_high=hi,
        diverged=len(recs) - len(ok),
        final_loss_median=float(q[1]),
        final_loss_q10=float(q[0]),
        final_loss_q90=float(q[2]),
        threshold=cfg.threshold,
        rank_rtol=cfg.rank_rtol,
        generic_rank=grank,
        rank_drop_at_end=sum(r["final_rank"] < grank for r in ok),
        strata_counts=counts,
        hessian_counts=hess,
        computed=computed,
        resumed=resumed,
        seconds=time.perf_counter() - t0,
        key=key,
        runs=summaries,
        trajectories=[{"seed": r["seed"], **r["trajectory"]} for r in recs],
    )
