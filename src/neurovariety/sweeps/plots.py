"""Figures of an atlas: defect heatmaps over width × depth, activation-degree thresholds, and the
stored value of any invariant per architecture.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no GUI backend), so
they work on headless machines and inside workers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import StoreError

__all__ = [
    "defect_grid",
    "defect_heatmap",
    "degree_thresholds",
    "invariant_values",
    "save",
    "threshold_plot",
    "value_plot",
]


def _dim_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        r
        for r in rows
        if r["invariant"] == "dim"
        and r["status"] == "ok"
        and r["kind"] == "mlp"
        and r.get("defect") is not None
    ]


def defect_grid(
    rows: Iterable[Mapping[str, Any]],
) -> dict[str, dict[tuple[int, int], tuple[int, int]]]:
    """Per activation, ``(depth, bottleneck width) → (defective, total)`` over stored MLP dims.

    The bottleneck width is the smallest hidden width (``min_hidden_width``), the quantity that
    decides defectivity for large ``r`` (Finkel, Rodriguez, Wu, Yahl, arXiv:2408.04569:
    width-one bottlenecks lose dimension, and without one the naive bound is reached).

    >>> rows = [dict(invariant="dim", status="ok", kind="mlp", activation="x^2", depth=2,
    ...              min_hidden_width=1, defect=d) for d in (0, 1, 1)]
    >>> defect_grid(rows)
    {'x^2': {(2, 1): (2, 3)}}
    """
    grid: dict[str, dict[tuple[int, int], list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for r in _dim_rows(rows):
        cell = grid[r["activation"]][r["depth"], r["min_hidden_width"]]
        cell[0] += int(r["defect"] > 0)
        cell[1] += 1
    return {a: {k: (v[0], v[1]) for k, v in sorted(g.items())} for a, g in sorted(grid.items())}


def defect_heatmap(rows: Iterable[Mapping[str, Any]]) -> Any:
    """Heatmap of the fraction of defective MLPs over depth × bottleneck width, one panel per σ.

    Each cell is annotated ``defective/total``. Returns a matplotlib ``Figure``.
    """
    from matplotlib.figure import Figure

    grid = defect_grid(rows)
    if not grid:
        raise StoreError("no MLP 'dim' results with status ok to plot; run a dim sweep first")
    fig = Figure(figsize=(4.2 * len(grid), 3.6), layout="constrained")
    axes = fig.subplots(1, len(grid), squeeze=False)[0]
    image: Any = None
    for ax, (act, cells) in zip(axes, grid.items(), strict=True):
        depths = sorted({d for d, _ in cells})
        widths = sorted({w for _, w in cells})
        data = [[float("nan")] * len(widths) for _ in depths]
        for (d, w), (bad, tot) in cells.items():
            i, j = depths.index(d), widths.index(w)
            data[i][j] = bad / tot
            ax.text(j, i, f"{bad}/{tot}", ha="center", va="center", fontsize=8)
        image = ax.imshow(data, vmin=0, vmax=1, cmap="Reds", origin="lower", aspect="auto")
        ax.set_xticks(range(len(widths)), [str(w) for w in widths])
        ax.set_yticks(range(len(depths)), [str(d) for d in depths])
        ax.set_xlabel("bottleneck (smallest hidden) width")
        ax.set_ylabel("depth L")
        ax.set_title(f"σ = {act}")
    fig.colorbar(image, ax=list(axes), label="fraction with defect > 0")
    fig.suptitle("Defective MLP neurovarieties")
    return fig


def degree_thresholds(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[int, ...], int | None]:
    """Activation-degree threshold of each MLP shape in the store.

    For widths ``d``, the smallest stored ``r`` from which on every stored degree has defect 0
    (σ = x^r, FRWY's activation threshold, bounded by what was computed); ``None`` if the largest
    stored degree is still defective.

    >>> rows = [dict(invariant="dim", status="ok", kind="mlp", activation=f"x^{r}", degree=r,
    ...              widths="[3, 2, 1]", defect=int(r == 2)) for r in (2, 3, 4)]
    >>> degree_thresholds(rows)
    {(3, 2, 1): 3}
    """
    by_shape: dict[tuple[int, ...], dict[int, int]] = defaultdict(dict)
    for r in _dim_rows(rows):
        if r["activation"] != f"x^{r['degree']}":
            continue  # monomial activations only
        shape = tuple(json.loads(r["widths"]))
        by_shape[shape][int(r["degree"])] = int(r["defect"])
    out: dict[tuple[int, ...], int | None] = {}
    for shape, defects in sorted(by_shape.items()):
        threshold: int | None = None
        for deg in sorted(defects, reverse=True):
            if defects[deg] > 0:
                break
            threshold = deg
        out[shape] = threshold
    return out


MAX_THRESHOLD_SHAPES = 60  # bars that stay legible in one figure


def threshold_plot(
    rows: Iterable[Mapping[str, Any]], *, max_shapes: int = MAX_THRESHOLD_SHAPES
) -> Any:
    """Bar chart of the activation-degree threshold per MLP shape (hatched: none found).

    At most ``max_shapes`` bars; when there are more, the title says how many are shown of how
    many (narrow the rows with ``--where``) — shapes are never dropped silently.
    """
    from matplotlib.figure import Figure

    th = degree_thresholds(rows)
    if not th:
        raise StoreError("no monomial MLP 'dim' results with status ok; run a dim sweep first")
    shapes = list(th)[:max_shapes]
    fig = Figure(figsize=(6.0, 0.8 + 0.22 * len(shapes)), layout="constrained")
    ax = fig.subplots()
    top = max([t for t in th.values() if t is not None] + [1]) + 1
    for i, s in enumerate(shapes):
        t = th[s]
        if t is None:
            ax.barh(i, top, color="white", edgecolor="tab:red", hatch="//")
        else:
            ax.barh(i, t, color="tab:blue")
    ax.set_yticks(range(len(shapes)), ["-".join(map(str, s)) for s in shapes], fontsize=7)
    ax.set_xticks(range(0, top + 1))
    ax.set_xlabel("smallest r with no defect from r on (hatched: defective at every stored r)")
    title = "Activation-degree thresholds"
    if len(th) > len(shapes):
        title += f" (first {len(shapes)} of {len(th)} shapes; narrow with --where)"
    ax.set_title(title)
    return fig


def invariant_values(
    rows: Iterable[Mapping[str, Any]],
) -> dict[str, list[tuple[str, float | None, bool]]]:
    """Per invariant, ``(architecture, value, certified)`` in row order; value None: not ok.

    Rows whose stored value is not a number (a list, a text) are left out.

    >>> rows = [dict(invariant="edd", architecture="lcn k=2,2 s=2", status="ok", value=6,
    ...              certified=None),
    ...         dict(invariant="edd", architecture="mlp 2-2-1 x^3", status="timeout", value=None,
    ...              certified=None)]
    >>> invariant_values(rows)
    {'edd': [('lcn k=2,2 s=2', 6.0, False), ('mlp 2-2-1 x^3', None, False)]}
    """
    out: dict[str, list[tuple[str, float | None, bool]]] = defaultdict(list)
    for r in rows:
        value = r["value"]
        if r["status"] != "ok":
            out[r["invariant"]].append((r["architecture"], None, False))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[r["invariant"]].append((r["architecture"], float(value), bool(r["certified"])))
    return {k: v for k, v in sorted(out.items())}


def value_plot(rows: Iterable[Mapping[str, Any]], *, max_shapes: int = MAX_THRESHOLD_SHAPES) -> Any:
    """Bar chart of each invariant's stored value per architecture, one panel per invariant.

    Solid bars are certified values, light ones not certified; a hatched grey bar marks a task
    stored as failed or timeout. At most ``max_shapes`` bars a panel, the title saying how many
    of how many are shown.
    """
    from matplotlib.figure import Figure

    values = invariant_values(rows)
    if not values:
        raise StoreError("no atlas rows with a numeric value to plot; run a sweep first")
    n_bars = max(min(len(v), max_shapes) for v in values.values())
    fig = Figure(figsize=(4.6 * len(values), 1.0 + 0.22 * n_bars), layout="constrained")
    axes = fig.subplots(1, len(values), squeeze=False)[0]
    for ax, (name, items) in zip(axes, values.items(), strict=True):
        shown = items[:max_shapes]
        top = max([v for _, v, _ in shown if v is not None] + [1.0])
        for i, (_, v, certified) in enumerate(shown):
            if v is None:
                ax.barh(i, top, color="white", edgecolor="grey", hatch="//")
            else:
                ax.barh(i, v, color="tab:blue", alpha=1.0 if certified else 0.45)
                ax.text(v, i, f" {v:g}", va="center", fontsize=7)
        ax.set_yticks(range(len(shown)), [a for a, _, _ in shown], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("value (light: not certified; hatched: failed or timeout)")
        title = name
        if len(items) > len(shown):
            title += f" (first {len(shown)} of {len(items)}; narrow with --where)"
        ax.set_title(title)
    return fig


def save(fig: Any, path: str | Path) -> Path:
    """Write a figure; the format follows the suffix (``.png``, ``.pdf``, ``.svg``)."""
    p = Path(path)
    if p.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise StoreError(f"plot file {str(p)!r}: use a .png, .pdf or .svg suffix")
    try:
        fig.savefig(p, dpi=150)
    except OSError as e:
        raise StoreError(f"cannot write {str(p)!r}: {e.strerror}") from None
    return p
