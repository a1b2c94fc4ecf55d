"""Figures of the experiments (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .apo import APOResult
from .bias import BiasResult
from .training import CRITERIA, HEADLINE, TrainingResult

__all__ = [
    "apo_figure",
    "bias_fractions",
    "distance_histogram",
    "loss_curves",
    "trajectory_projection",
]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    _plt().close(fig)
    return out


def _log_distances(res: TrainingResult, field: str) -> np.ndarray:
    """log10 of the runs' ``field`` (floored at 1e-16); None (a diverged run, or an architecture
    without strata) is left out."""
    v = np.array([r[field] for r in res.runs if r[field] is not None], dtype=float)
    return np.log10(np.maximum(v, 1e-16))


def distance_histogram(results: list[TrainingResult], path: str | Path) -> Path:
    """Histogram of log10 of each run's smallest relative distance to a stratum at its end."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    vals = [_log_distances(res, "min_rel_distance") for res in results]
    lo = min((v.min() for v in vals if v.size), default=-16.0)
    bins = np.linspace(min(lo, -6.0), 0.5, 40)
    for res, v in zip(results, vals, strict=True):
        frac = res.fraction_on_strata
        note = "no strata" if frac is None else f"{frac:.2f} within the threshold"
        ax.hist(v, bins=bins, alpha=0.6, label=f"{res.architecture}: {note}")
    ax.axvline(np.log10(results[0].threshold), color="k", ls="--", lw=1, label="threshold")
    ax.set_xlabel("log10 relative distance to the nearest subnetwork stratum (end point)")
    ax.set_ylabel("runs")
    ax.legend(fontsize=8)
    return _save(fig, path)


def bias_fractions(result: BiasResult, path: str | Path) -> Path:
    """Left: fraction of converged runs meeting each criterion, MLP vs CNN, with 95% Wilson
    intervals and Fisher's p; right: log10 of the end points' function-space distance to the
    nearest stratum image, with its threshold."""
    plt = _plt()
    fig, (ax, hx) = plt.subplots(1, 2, figsize=(11.0, 4.0), width_ratios=[1.3, 1.0])
    x = np.arange(len(CRITERIA))
    for off, res in ((-0.18, result.mlp), (0.18, result.cnn)):
        c = [res.criteria[n] for n in CRITERIA]
        frac = np.array([v["fraction"] for v in c])
        err = np.abs(np.array([[v["ci_low"], v["ci_high"]] for v in c]).T - frac)
        ax.bar(
            x + off,
            frac,
            width=0.36,
            yerr=err,
            capsize=3,
            label=f"{res.architecture} ({res.seeds - res.diverged} runs, {res.diverged} diverged)",
        )
    labels = [n.replace(" + ", " +\n") + f"\nFisher p={result.p_values[n]:.1g}" for n in CRITERIA]
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylim(0, 1.0)
    ax.set_ylabel("fraction of converged runs (95% Wilson CI)")
    ax.legend(fontsize=7, loc="upper left")
    vals = [_log_distances(res, "function_distance") for res in (result.mlp, result.cnn)]
    bins = np.linspace(min([-8.0, *(v.min() for v in vals if v.size)]), 0.5, 40)
    for res, v in zip((result.mlp, result.cnn), vals, strict=True):
        hx.hist(v, bins=bins, alpha=0.6, label=res.architecture)
    hx.axvline(np.log10(result.mlp.fs_threshold), color="k", ls="--", lw=1, label="threshold")
    hx.set_xlabel("log10 relative distance of f_θ to the nearest stratum image")
    hx.set_ylabel("runs")
    hx.legend(fontsize=7)
    return _save(fig, path)


def loss_curves(results: list[TrainingResult], path: str | Path) -> Path:
    """Median and 10–90% band of the training MSE along the trajectories."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for res in results:
        L = np.array([t["loss"] for t in res.trajectories], dtype=float)
        steps = res.trajectories[0]["step"]
        ok = np.all(np.isfinite(L), axis=1)
        if not ok.any():
            continue
        q = np.quantile(L[ok], [0.1, 0.5, 0.9], axis=0)
        (line,) = ax.plot(steps, q[1], label=res.architecture)
        ax.fill_between(steps, q[0], q[2], color=line.get_color(), alpha=0.2)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training MSE (median, 10–90%)")
    ax.legend(fontsize=8)
    return _save(fig, path)


def trajectory_projection(results: list[TrainingResult], path: str | Path) -> Path:
    """Trajectories in parameter space projected on their two principal components (the two
    most informative coordinates), one panel per architecture; in red the runs that end on a
    singular subnetwork (the headline criterion: rank drop of dφ and f_θ near a stratum image)."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(results), figsize=(5.0 * len(results), 4.2), squeeze=False)
    for ax, res in zip(axes[0], results, strict=True):
        T = np.array([t["theta"] for t in res.trajectories], dtype=float)  # runs × records × N
        ok = np.all(np.isfinite(T), axis=(1, 2))
        T = T[ok]
        runs = [r for r, k in zip(res.runs, ok, strict=True) if k]
        if T.size == 0:
            continue
        flat = T.reshape(-1, T.shape[-1])
        mean = flat.mean(axis=0)
        _, s, Vt = np.linalg.svd(flat - mean, full_matrices=False)
        P = (T - mean) @ Vt[:2].T
        share = (s[:2] ** 2).sum() / max((s**2).sum(), 1e-300)
        for tr, run in zip(P, runs, strict=True):
            c = "tab:red" if run["criteria"].get(HEADLINE) else "tab:blue"
            ax.plot(tr[:, 0], tr[:, 1], color=c, alpha=0.35, lw=0.8)
            ax.plot(tr[-1, 0], tr[-1, 1], "o", color=c, ms=3)
        ax.set_title(
            f"{res.architecture}\n(PC1–2: {share:.0%} of variance; red: on a singular subnetwork)",
            fontsize=9,
        )
        ax.set_xlabel("PC1")
        ax.set_ylabel("PC2")
    return _save(fig, path)


def apo_figure(results: list[APOResult], path: str | Path) -> Path:
    """n·E_gen (left) and n·E_train (right) against n with 95% CIs, and the regular ±d/2."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0))
    colors = plt.get_cmap("tab10")
    archs = list(dict.fromkeys(r.architecture for r in results))
    for res in results:
        c = colors(archs.index(res.architecture) % 10)
        ls = "-" if res.truth == "regular" else ":"
        mk = "o" if res.truth == "regular" else "s"
        ns = np.array([p.n for p in res.points])
        for ax, mean, ci, sign in (
            (axes[0], [p.gen_mean for p in res.points], [p.gen_ci for p in res.points], 1),
            (axes[1], [p.train_mean for p in res.points], [p.train_ci for p in res.points], -1),
        ):
            m = np.array(mean)
            err = np.abs(np.array(ci).T - m)
            ax.errorbar(
                ns,
                m,
                yerr=err,
                color=c,
                ls=ls,
                marker=mk,
                ms=4,
                capsize=3,
                label=f"{res.architecture}, {res.truth} truth",
            )
            ax.axhline(sign * res.d / 2, color=c, lw=0.8, ls="--")
    axes[0].set_ylabel("n · E_gen   (dashed: d/2)")
    axes[1].set_ylabel("n · E_train   (dashed: −d/2)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("samples n")
    axes[0].legend(fontsize=7)
    return _save(fig, path)
