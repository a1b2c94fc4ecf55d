"""Figures of a report: the real neuromanifold as a point cloud, a loss landscape through a
subnetwork point, and the atlas defect heatmap.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no GUI backend) and
returned with a caption; :func:`png_data_uri` embeds one in a page.
"""

from __future__ import annotations

import base64
import dataclasses
import io
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..invariants.equations import coordinates
from ..invariants.strata import Stratum
from ..parametrization.numeric import forward_fn

__all__ = [
    "Figure",
    "atlas_figure",
    "bounds_figure",
    "exposure_chart",
    "function_coordinates",
    "landscape_figure",
    "landscape_plot",
    "neuromanifold_figure",
    "png_data_uri",
]

VERDICT_COLOURS = {"yes": "tab:red", "unknown": "tab:orange", "no": "tab:gray"}
MAX_PICTURE_DIM = 3


@dataclasses.dataclass(frozen=True)
class Figure:
    """A rendered figure: a name (``neuromanifold``, ``landscape``, ``atlas``), PNG bytes and a
    caption saying what is drawn and how it was sampled."""

    name: str
    png: bytes
    caption: str


def png_data_uri(png: bytes) -> str:
    """``data:image/png;base64,…`` for an ``<img src>`` (no file, no network).

    >>> png_data_uri(b"\\x89PNG")
    'data:image/png;base64,iVBORw=='
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _monomials(x: np.ndarray, exps: list[tuple[int, ...]]) -> np.ndarray:
    e = np.asarray(exps, dtype=float)  # (A, n)
    return np.prod(x[:, None, :] ** e[None, :, :], axis=2)


def function_coordinates(arch: Architecture, thetas: Any, *, seed: int = 0) -> np.ndarray:
    """Coordinates of f_θ in the function space (the order of :func:`coordinates`), for a batch of
    parameter vectors ``thetas`` (shape ``(T, n_params)``) → ``(T, A)``.

    f_θ is evaluated at random inputs and the monomial coefficients solved for by least squares
    (exact up to rounding: enough points for a unisolvent set, with probability one).

    >>> from neurovariety import MLP, Monomial
    >>> c = function_coordinates(MLP((2, 1, 1), Monomial(2)), [[1.0, 2.0, 3.0]])   # 3(x + 2y)^2
    >>> np.round(c, 8).tolist()
    [[3.0, 12.0, 12.0]]
    """
    thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
    coords = coordinates(arch)
    outputs = [0] if isinstance(arch, CNN) else list(range(arch.n_outputs))
    rng = np.random.default_rng(seed)
    per_out = max(sum(1 for o, _ in coords if o == out) for out in outputs)
    x = rng.uniform(-1.0, 1.0, size=(per_out + 12, arch.n_inputs))
    f = jax.jit(jax.vmap(jax.vmap(forward_fn(arch), in_axes=(None, 0)), in_axes=(0, None)))
    values = np.asarray(f(jnp.asarray(thetas), jnp.asarray(x)))  # (T, S, n_outputs)
    blocks = []
    for out in outputs:
        exps = [e for o, e in coords if o == out]
        pinv = np.linalg.pinv(_monomials(x, exps))  # (A_o, S)
        blocks.append(values[:, :, out] @ pinv.T)
    return np.concatenate(blocks, axis=1)


def _stratum_points(
    arch: Architecture, stratum: Stratum, n: int, rng: np.random.Generator
) -> np.ndarray:
    B = stratum.basis
    return function_coordinates(arch, rng.standard_normal((n, B.shape[1])) @ B.T)


def neuromanifold_figure(
    arch: Architecture,
    dimension: int,
    strata: list[tuple[Stratum, str]],
    *,
    seed: int = 0,
    n_points: int = 2500,
) -> Figure | str:
    """The real neuromanifold as a point cloud with the subnetwork strata images marked.

    ``strata`` pairs each stratum with its singularity verdict (``yes`` / ``no`` / ``unknown``),
    which sets its colour. Ambient dimension ≤ 3: the cloud in the function space itself, each
    point rescaled into the unit ball (M is a cone: f ↦ t·f, t > 0, rescales the last layer).
    Dimension ≤ 3 in a larger space: the link of the cone (unit vectors) projected on its three
    principal directions. Returns the reason as a string when no faithful picture exists.

    >>> from neurovariety import parse_architecture
    >>> neuromanifold_figure(parse_architecture("lcn k=3,2 s=2"), 4, [])
    'dimension 4 > 3: no faithful 3-dimensional picture'
    """
    A = arch.ambient_dim
    if dimension > MAX_PICTURE_DIM:
        return f"dimension {dimension} > {MAX_PICTURE_DIM}: no faithful 3-dimensional picture"
    if A < 2:
        return f"ambient dimension {A}: the function space is a line"
    rng = np.random.default_rng(seed)
    cloud = function_coordinates(arch, rng.standard_normal((n_points, arch.n_params)), seed=seed)
    marked = [
        (s, v, _stratum_points(arch, s, 300, rng)) for s, v in strata if s.reduced is not None
    ]
    zero = [(s, v) for s, v in strata if s.reduced is None]
    view = _ball_view(arch, cloud, marked, rng) if A <= 3 else _link_view(arch, cloud, marked)
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(10.0, 4.6), layout="constrained")
    angles = [(22, -60), (10, 30)] if view.axes_dim == 3 else [None]
    for k, angle in enumerate(angles):
        if view.axes_dim == 3:
            ax = fig.add_subplot(1, len(angles), k + 1, projection="3d")
            ax.view_init(elev=angle[0], azim=angle[1])  # type: ignore[index]
            ax.computed_zorder = False  # type: ignore[attr-defined]  # singular points on top
        else:
            ax = fig.add_subplot(1, 1, 1)
        _draw_view(ax, view, zero if A <= 3 else [], legend=k == 0)
    fig.suptitle(f"Real neuromanifold of {arch.spec} (dim {dimension}, ambient {A})")
    caption = (
        f"{view.how}; {len(view.points)} points. Subnetwork strata images marked by their "
        "singularity verdict (red: singular, orange: unknown, grey: smooth)."
    )
    return Figure("neuromanifold", _png(fig), caption)


@dataclasses.dataclass(frozen=True)
class _View:
    """Plot coordinates of the cloud and of the marked strata, with axis labels."""

    points: np.ndarray
    marks: list[tuple[Stratum, str, np.ndarray]]
    labels: list[str]
    how: str
    axes_dim: int


def _unit_rows(c: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(c, axis=1, keepdims=True)
    return c / np.where(n > 1e-12, n, 1.0)


def _ball_view(
    arch: Architecture,
    cloud: np.ndarray,
    marked: list[tuple[Stratum, str, np.ndarray]],
    rng: np.random.Generator,
) -> _View:
    """Ambient dimension ≤ 3: each point on its ray, at a uniform radius in the unit ball."""
    keep = np.linalg.norm(cloud, axis=1) > 1e-12
    radius = rng.uniform(0.0, 1.0, size=(len(cloud), 1)) ** (1 / 3)
    pts = _unit_rows(cloud[keep]) * radius[keep]
    marks = [
        (s, v, _unit_rows(m) * rng.uniform(0, 1, size=(len(m), 1)) ** (1 / 3)) for s, v, m in marked
    ]
    labels = [c.replace("*", "·") for c in _coordinate_names(arch)]
    how = "points f_θ at Gaussian θ, rescaled into the unit ball (M is a cone)"
    return _View(pts, marks, labels, how, arch.ambient_dim)


def _link_view(
    arch: Architecture, cloud: np.ndarray, marked: list[tuple[Stratum, str, np.ndarray]]
) -> _View:
    """A larger ambient space: unit vectors projected on their 3 principal directions."""
    norm = np.linalg.norm(cloud, axis=1, keepdims=True)
    keep = norm[:, 0] > 1e-12
    unit = cloud[keep] / norm[keep]
    centre = unit.mean(axis=0)
    _, _, vt = np.linalg.svd(unit - centre, full_matrices=False)
    P = vt[:3].T
    marks = [(s, v, (_unit_rows(m) - centre) @ P) for s, v, m in marked]
    labels = ["principal direction 1", "principal direction 2", "principal direction 3"]
    how = (
        f"the link of the cone (unit vectors of f_θ, Gaussian θ) in R^{arch.ambient_dim}, "
        "projected on its 3 principal directions"
    )
    return _View((unit - centre) @ P, marks, labels, how, 3)


def _draw_view(ax: Any, view: _View, zero: list[tuple[Stratum, str]], legend: bool) -> None:
    """The cloud, the strata images (singular ones on top) and the zero function on ``ax``."""
    d = view.axes_dim
    ax.scatter(*view.points.T[:d], s=3, alpha=0.3, color="tab:blue", label="neuromanifold M")
    seen: set[str] = set()
    order = {"no": 0, "unknown": 1, "yes": 2}  # singular points drawn last, on top
    for st, v, m in sorted(view.marks, key=lambda t: order.get(t[1], 1)):
        label = f"stratum image, singular: {v}"
        small = st.reduced is not None and st.reduced.n_params <= len(st.reduced.layers)
        ax.scatter(
            *m.T[:d],
            s=70 if v == "yes" else (25 if small else 5),
            marker="X" if v == "yes" else "o",
            edgecolors="black" if v == "yes" else "none",
            linewidths=0.5,
            alpha=1.0 if v == "yes" else 0.8,
            color=VERDICT_COLOURS.get(v, "black"),
            label=None if label in seen else label,
            zorder=3 + order.get(v, 1),
        )
        seen.add(label)
    if zero:
        v = zero[0][1]
        ax.scatter(
            *([0.0] * d),
            s=60,
            marker="*",
            color=VERDICT_COLOURS.get(v, "black"),
            label=f"zero function (strata {', '.join(s.name for s, _ in zero)}), singular: {v}",
        )
    ax.set_xlabel(view.labels[0], fontsize=8)
    ax.set_ylabel(view.labels[1], fontsize=8)
    ax.tick_params(labelsize=7)
    if d == 3:
        ax.set_zlabel(view.labels[2], fontsize=8)
    if legend:
        ax.legend(fontsize=7, loc="upper left", markerscale=1.5)


def _coordinate_names(arch: Architecture) -> list[str]:
    from ..invariants.equations import _coordinate_labels

    return _coordinate_labels(arch)


def landscape_plot(
    arch: Architecture,
    stratum: Stratum,
    theta0: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    point: str,
    seed: int = 0,
    grid: int = 61,
) -> tuple[Any, str]:
    """Contour plot of log10 L(θ) on the plane θ0 + s·n + t·a through a point ``theta0`` of
    ``stratum``: ``n`` a random unit direction normal to the stratum, ``a`` one along it (the
    stratum meets the plane in the line s = 0). ``point`` says what θ0 is (for the caption).
    Returns the matplotlib figure and its caption.
    """
    from ..landscape.critical import loss_function

    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(stratum.basis)
    along = Q @ rng.standard_normal(Q.shape[1])
    along /= np.linalg.norm(along)
    normal = rng.standard_normal(arch.n_params)
    normal -= Q @ (Q.T @ normal)
    normal /= np.linalg.norm(normal)
    scale = max(1.0, float(np.linalg.norm(theta0)) / np.sqrt(arch.n_params))
    s = np.linspace(-scale, scale, grid)
    S, T = np.meshgrid(s, s, indexing="xy")
    thetas = theta0[None, :] + S.reshape(-1, 1) * normal + T.reshape(-1, 1) * along
    loss = jax.jit(jax.vmap(loss_function(arch), in_axes=(0, None, None)))
    L = np.asarray(loss(jnp.asarray(thetas), jnp.asarray(X), jnp.asarray(Y))).reshape(S.shape)
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(6.4, 5.0), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    logL = np.log10(np.maximum(L, 1e-12))
    cs = ax.contourf(S, T, logL, levels=30, cmap="viridis")
    ax.contour(S, T, logL, levels=12, colors="white", linewidths=0.4, alpha=0.6)
    fig.colorbar(cs, ax=ax, label="log10 L(θ)")
    ax.axvline(0.0, color="tab:red", linestyle="--", linewidth=1.2, label="the stratum")
    ax.plot([0.0], [0.0], marker="*", markersize=14, color="tab:red", label=point)
    ax.set_xlabel("s: direction normal to the stratum")
    ax.set_ylabel("t: direction along the stratum")
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title(f"Loss of {arch.spec} through {stratum.name}", fontsize=10)
    caption = (
        f"L(θ) = Σ‖f_θ(x_j) − y_j‖² for {X.shape[0]} Gaussian samples (seed {seed}) on the plane "
        f"through {point} (θ0) of the stratum “{stratum.name}”, spanned by a random unit normal "
        f"and a random unit direction along the stratum; {grid}×{grid} grid."
    )
    return fig, caption


def landscape_figure(*args: Any, **kwargs: Any) -> Figure:
    """:func:`landscape_plot` (same arguments) as a report :class:`Figure` (PNG)."""
    fig, caption = landscape_plot(*args, **kwargs)
    return Figure("landscape", _png(fig), caption)


def bounds_figure(
    architecture: str, dimension: int, certified: bool, bounds: list[tuple[str, int]]
) -> Figure:
    """Bars: the dimension (its exact-rank lower bound) against every proven upper bound and the
    expected dimension; certified when a bound meets it.

    >>> f = bounds_figure("lcn k=3,2 s=2", 4, True, [("symmetry", 4), ("ambient", 5)])
    >>> f.name, f.png[:4]
    ('bounds', b'\x89PNG')
    """
    from matplotlib.figure import Figure as MplFigure

    names = ["dimension (exact rank)"] + [n for n, _ in bounds]
    values = [dimension] + [v for _, v in bounds]
    colours = ["tab:blue"] + [
        "tab:olive" if n == "expected" else ("tab:green" if v == dimension else "tab:gray")
        for n, v in bounds
    ]
    fig = MplFigure(figsize=(6.4, 0.6 + 0.45 * len(names)), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(range(len(names)), values, color=colours)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v}", va="center", fontsize=9)
    ax.set_yticks(range(len(names)), names, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(values) * 1.15 + 1)
    ax.set_xlabel("dimension")
    how = "certified" if certified else "probable"
    ax.set_title(f"{architecture}: dimension {dimension} ({how}) against its bounds", fontsize=10)
    caption = (
        "The exact rank of dφ mod primes is a proven lower bound of the dimension; every other "
        "bar is a proven upper bound (green: met, which certifies the dimension; grey: not met) or "
        "the expected dimension (olive)."
    )
    return Figure("bounds", _png(fig), caption)


def exposure_chart(results: list[Any]) -> Figure:
    """Horizontal bars: the fraction of random datasets for which each stratum carries a critical
    point of the loss (:class:`~neurovariety.landscape.ExposureResult`), with 95% Wilson
    intervals. Built without pyplot, so a notebook's backend is left alone."""
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(6.4, 0.9 + 0.4 * len(results)), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    for i, r in enumerate(results):
        err = [[r.fraction - r.ci_low], [r.ci_high - r.fraction]]
        ax.barh(i, r.fraction, xerr=err, capsize=3, color="tab:purple")
        ax.text(min(r.ci_high + 0.02, 0.9), i, f"{r.exposed}/{r.trials}", va="center", fontsize=8)
    ax.set_yticks(range(len(results)), [r.stratum for r in results], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("fraction of random datasets with a critical point on the stratum")
    trials = sorted({r.trials for r in results})
    return Figure(
        "exposure",
        _png(fig),
        f"Critical exposure: random Gaussian datasets ({'/'.join(map(str, trials))} per stratum), "
        "95% Wilson intervals.",
    )


def atlas_figure(path: str | Path) -> Figure:
    """The defect heatmap of a sweep store (:func:`neurovariety.sweeps.plots.defect_heatmap`)."""
    from ..sweeps import Store
    from ..sweeps.plots import defect_heatmap

    with Store(path, readonly=True) as st:
        rows = st.query()
    fig = defect_heatmap(rows)
    return Figure(
        "atlas",
        _png(fig),
        f"Fraction of defective MLPs per depth × bottleneck width in the sweep store {path} "
        f"({len(rows)} rows).",
    )
