"""Figures for the loss landscape."""

from __future__ import annotations

from pathlib import Path

from .critical import ExposureResult


def exposure_figure(results: list[ExposureResult], path: str | Path) -> Path:
    """Bar chart: fraction of random datasets for which each stratum carries a critical point.

    One colour per architecture, 95% Wilson intervals as error bars. Strata whose exposure is
    proven for every dataset (the lifting certificate) are hatched and marked "proven": their
    bar is the numerical check, not the evidence.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs = list(dict.fromkeys(r.architecture for r in results))
    colors = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(results) + 2), 4.0))
    labels = []
    for i, r in enumerate(results):
        c = colors(archs.index(r.architecture) % 10)
        err = [[r.fraction - r.ci_low], [r.ci_high - r.fraction]]
        proven = r.proven
        ax.bar(i, r.fraction, color=c, yerr=err, capsize=3, hatch="//" if proven else None)
        if proven or r.method == "zero fiber":  # decided for every dataset, no bar needed
            ax.text(i, 1.03, "proven" if proven else "zero fiber", ha="center", fontsize=7)
        labels.append(r.stratum.replace(" neurons", "").replace("layer ", "L"))
    ax.set_xticks(range(len(results)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("fraction of datasets\nwith a critical point")
    trials = sorted({r.trials for r in results})
    ax.set_title(
        f"critical exposure of subnetwork strata ({'/'.join(map(str, trials))} datasets)\n"
        "hatched: proven for every dataset (the bar is a numerical check)",
        fontsize=10,
    )
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors(j % 10)) for j in range(len(archs))]
    ax.legend(handles, archs, fontsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
