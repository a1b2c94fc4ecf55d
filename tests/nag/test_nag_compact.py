"""Compaction widths of the lockstep tracker: a fixed family per starting width."""

from __future__ import annotations

import numpy as np

from neurovariety.nag.tracker import COMPACT_FROM, compact_width


def _ladder(width: int) -> set[int]:
    # By hand: the quarters of the width, down to the smallest batch (8).
    out, w = {width}, width
    while w > 8:
        w = max(8, w // 4)
        out.add(w)
    return out


def test_reached_widths_are_the_quarter_ladder_whatever_the_paths_do() -> None:
    rng = np.random.default_rng(0)
    for start in (16, 64, 512, 1024):
        seen: set[int] = set()
        for _ in range(200):
            width, moving = start, start
            while moving:
                width = compact_width(width, moving)
                assert moving <= width  # every moving path keeps a lane
                seen.add(width)
                moving = int(rng.integers(0, moving + 1))
        assert seen <= _ladder(start)


def test_smallest_rung_that_holds_the_moving_paths() -> None:
    assert compact_width(1024, 257) == 1024  # a quarter would not hold them
    assert compact_width(1024, 256) == 256
    assert compact_width(1024, 64) == 64
    assert compact_width(1024, 65) == 256
    assert compact_width(256, 3) == 8  # 256 -> 64 -> 16 -> 8
    assert compact_width(COMPACT_FROM - 8, 1) == COMPACT_FROM - 8  # small batches stay
