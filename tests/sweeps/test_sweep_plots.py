"""Atlas figures never drop rows silently."""

from __future__ import annotations

from neurovariety.sweeps.plots import degree_thresholds, threshold_plot


def _rows(n_shapes: int) -> list[dict[str, object]]:
    # shallow single-output shapes (d0, 2, 1), r = 2, 3: defective at r = 2 exactly when d0 ≥ 3
    # (Alexander–Hirschowitz: r = 2 with 2 ≤ d1 ≤ d0 − 1)
    return [
        dict(invariant="dim", status="ok", kind="mlp", activation=f"x^{r}", degree=r,
             widths=f"[{d0}, 2, 1]", defect=int(r == 2 and d0 >= 3))
        for d0 in range(1, n_shapes + 1)
        for r in (2, 3)
    ]  # fmt: skip


def test_thresholds_follow_alexander_hirschowitz() -> None:
    th = degree_thresholds(_rows(4))
    assert th == {(1, 2, 1): 2, (2, 2, 1): 2, (3, 2, 1): 3, (4, 2, 1): 3}


def test_a_capped_threshold_plot_says_how_many_shapes_it_shows() -> None:
    fig = threshold_plot(_rows(5), max_shapes=3)
    assert "first 3 of 5 shapes" in fig.axes[0].get_title()
    assert "of" not in threshold_plot(_rows(3), max_shapes=3).axes[0].get_title()
