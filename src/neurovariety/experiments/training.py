"""Training many seeds at once (``vmap``) and judging where gradient descent ends.

:func:`train` runs the vmapped trainer (:mod:`.trainer`) from many random starts, records loss,
distances to the strata (:mod:`.strata_distance`) and the rank of dφ along each trajectory,
judges every end point once by the criteria of :mod:`.endpoints` and summarizes the runs in a
:class:`~.training_result.TrainingResult`. Any architecture trains — MLPs, 1D and multi-channel
or 2D convolutions, attention — through its forward map; the strata criteria apply where
subnetwork strata are defined (MLPs and convolutions; attention has none yet).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..errors import ExperimentError
from ..landscape.loss import hessian_signature
from .config import OPTIMIZERS, STEP_CONTROLS, TrainConfig
from .data import Dataset
from .endpoints import (
    CRITERIA,
    HEADLINE,
    criteria_for,
    diverged_reason,
    end_criteria,
    end_point_rank,
    eval_points,
    fitter,
    function_distances,
    generic_rank,
    maximal_strata,
    projectors,
    rank_and_gap,
)
from .store import RunStore, experiment_key
from .strata_distance import stratum_distances, stratum_families
from .trainer import initial_parameters, probes, run_keys, schedule, trainer
from .training_result import TrainingResult, proportion, training_result

__all__ = [
    "CRITERIA",
    "HEADLINE",
    "OPTIMIZERS",
    "STEP_CONTROLS",
    "TrainConfig",
    "TrainingResult",
    "diverged_reason",
    "end_criteria",
    "end_point_rank",
    "function_distances",
    "maximal_strata",
    "proportion",
    "rank_and_gap",
    "stratum_distances",
    "stratum_families",
    "train",
    "trainer",
]

MAX_HESSIAN_PARAMS = 400


@dataclasses.dataclass(frozen=True)
class _Setup:
    """What every run of one experiment shares."""

    arch: Architecture
    data: Dataset
    cfg: TrainConfig
    seed: int
    families: list[str]
    images: list[str]
    criteria: tuple[str, ...]
    probes: np.ndarray
    grank: int

    def judge(self, rec: dict[str, Any]) -> dict[str, Any]:
        """``rec`` with its end-point criteria: the one place they are computed."""
        crit = end_criteria(rec, self.grank, self.cfg, self.criteria)
        return {**rec, "criteria": crit, "on_stratum": crit.get("parameters", False)}


def _setup(arch: Architecture, data: Dataset, cfg: TrainConfig, seed: int) -> _Setup:
    P = probes(arch, seed)
    return _Setup(
        arch,
        data,
        cfg,
        seed,
        stratum_families(arch),
        [s.name for s in maximal_strata(arch)],
        criteria_for(arch),
        P,
        generic_rank(arch, P, cfg.rank_rtol, seed=seed),
    )


def _trajectory(
    setup: _Setup, obs0: dict[str, Any], obs: dict[str, Any], final: dict[str, Any]
) -> dict[str, Any]:
    records, per, _ = schedule(setup.cfg)
    seq = [obs0, *({k: v[i] for k, v in obs.items()} for i in range(records)), final]
    return {
        "step": [0] + [per * (i + 1) for i in range(records)] + [setup.cfg.steps],
        "loss": [float(o["loss"]) for o in seq],
        "rel": [list(map(float, o["rel"])) for o in seq],
        "rank": [int(o["rank"]) for o in seq],
        "theta": [list(map(float, o["theta"])) for o in seq],
    }


def _summarize_run(
    setup: _Setup,
    run: int,
    obs0: dict[str, Any],
    obs: dict[str, Any],
    final: dict[str, Any],
    fdist: np.ndarray,
) -> dict[str, Any]:
    """The record of one finished run (judged)."""
    loss = float(final["loss"])
    why = diverged_reason(float(obs0["loss"]), loss, obs0["theta"], final["theta"])
    ok = why is None
    rel = np.asarray(final["rel"], dtype=float)
    rank, gap = rank_and_gap(final["sv"], setup.cfg.rank_rtol)
    fd = np.asarray(fdist, dtype=float)
    fmin = float(fd.min()) if fd.size and ok else None
    hess = None
    if ok and setup.arch.n_params <= MAX_HESSIAN_PARAMS:
        hess = hessian_signature(setup.arch, final["theta"], setup.data.X, setup.data.Y)
    signature = None if hess is None else [hess.positive, hess.negative, hess.zero]
    fam = setup.families
    return setup.judge(
        {
            "seed": run,
            "final_loss": loss if ok else None,
            "diverged": not ok,
            "diverged_reason": why,
            "nearest": fam[int(np.argmin(rel))] if rel.size and ok else None,
            "min_rel_distance": float(rel.min()) if rel.size and ok else None,
            "distances": {n: float(d) for n, d in zip(fam, final["dist"], strict=True)},
            "rel_distances": {n: float(r) for n, r in zip(fam, rel, strict=True)},
            "final_rank": rank,
            "rank_gap": gap,
            "final_sv": [float(v) for v in final["sv"]],
            "function_distance": fmin,
            "nearest_image": setup.images[int(np.argmin(fd))] if fmin is not None else None,
            "final_step_size": float(final["eta"]),
            "hessian": None if hess is None else hess.classification,
            "hessian_signature": signature,
            "trajectory": _trajectory(setup, obs0, obs, final),
        }
    )


def _run_batches(
    setup: _Setup, todo: list[int], on_batch: Callable[[list[dict[str, Any]]], None]
) -> None:
    """Train the runs ``todo`` in vmapped batches; ``on_batch`` gets each batch's records."""
    arch, cfg, data = setup.arch, setup.cfg, setup.data
    fn = trainer(arch, cfg, data.n_samples, setup.probes.shape[0])
    fit = fitter(arch, cfg.fit_iters) if setup.images else None  # no strata: nothing to fit
    X, Y, P = jnp.asarray(data.X), jnp.asarray(data.Y), jnp.asarray(setup.probes)
    Ps, Z = jnp.asarray(projectors(arch)), jnp.asarray(eval_points(arch, setup.seed))
    for start in range(0, len(todo), cfg.batch_seeds):
        batch = todo[start : start + cfg.batch_seeds]
        # Every call has exactly batch_seeds rows (padded with repeats): XLA's batched kernels
        # then give each run the same bits whichever runs share its batch.
        padded = batch + [batch[-1]] * (cfg.batch_seeds - len(batch))
        starts = [initial_parameters(arch, cfg, setup.seed, r) for r in padded]
        theta0 = jnp.asarray(np.stack(starts))
        obs0, obs, final = jax.device_get(fn(theta0, run_keys(setup.seed, padded), X, Y, P))
        ends = np.where(np.isfinite(final["theta"]), final["theta"], 0.0)
        fdist = np.zeros((len(padded), 0))
        if fit is not None:
            fdist = np.asarray(fit(jnp.asarray(ends), Ps, Z))

        def row(d: dict[str, Any], i: int) -> dict[str, Any]:
            return {k: v[i] for k, v in d.items()}

        on_batch(
            [
                _summarize_run(setup, r, row(obs0, i), row(obs, i), row(final, i), fdist[i])
                for i, r in enumerate(batch)
            ]
        )


def _run_ids(seeds: int | Sequence[int]) -> list[int]:
    runs = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not runs:
        raise ExperimentError("seeds must be ≥ 1 (a count or a non-empty list of run ids)")
    if len(set(runs)) != len(runs):
        raise ExperimentError("run ids in seeds must be distinct")
    return runs


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
    runs = _run_ids(seeds)
    key = experiment_key("train", arch.spec, data.fingerprint, data.source, cfg.key_fields(), seed)
    stored = store.records(key) if store is not None else {}
    setup = _setup(arch, data, cfg, seed)
    # resumed runs are judged now, with the current generic rank; new ones when summarized
    finished = {r: setup.judge(stored[r]) for r in runs if r in stored}
    todo = [r for r in runs if r not in finished]
    if progress is not None and finished:
        progress(len(finished))

    def keep(recs: list[dict[str, Any]]) -> None:
        for rec in recs:
            if store is not None:
                store.append(key, rec["seed"], rec)
            finished[rec["seed"]] = rec
        if progress is not None:
            progress(len(recs))

    if todo:
        _run_batches(setup, todo, keep)
    return training_result(
        [finished[r] for r in runs],
        setup.families,
        setup.criteria,
        architecture=arch.spec,
        data=data.source,
        samples=data.n_samples,
        optimizer=cfg.optimizer,
        lr=cfg.lr,
        steps=cfg.steps,
        seed=seed,
        threshold=cfg.threshold,
        rank_rtol=cfg.rank_rtol,
        generic_rank=setup.grank,
        computed=len(todo),
        resumed=len(runs) - len(todo),
        seconds=time.perf_counter() - t0,
        key=key,
        n_params=arch.n_params,
        init_scale=cfg.init_scale,
        step_control="armijo" if cfg.line_search else "none",
        fs_threshold=cfg.fs_threshold,
    )
