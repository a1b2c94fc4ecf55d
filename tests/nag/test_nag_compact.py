"""Compaction widths of the lockstep tracker: a fixed family per starting width."""

from __future__ import annotations

import numpy as np

from neurovariety.nag.tracker import COMPACT_FROM, compact_width


def _ladder(width: int) -> list[int]:
    # By hand: the quarters of the width, down to the ladder's last rung (16).
    out = [width]
    while out[-1] // 4 >= 16:
        out.append(out[-1] // 4)
    return out


def test_batches_step_down_one_rung_of_the_quarter_ladder_at_a_time() -> None:
    rng = np.random.default_rng(0)
    for start in (16, 32, 64, 256, 1024):
        ladder = _ladder(start)
        for _ in range(200):
            width, moving, visited = start, start, [start]
            while moving:
                width = compact_width(width, moving)
                assert moving <= width  # every moving path keeps a lane
                if width != visited[-1]:
                    visited.append(width)
                moving = int(rng.integers(0, moving + 1))
            # a prefix of the ladder: whatever the paths do, no rung is skipped
            assert visited == ladder[: len(visited)]


def test_a_rung_holds_the_moving_paths() -> None:
    assert compact_width(1024, 257) == 1024  # a quarter would not hold them
    assert compact_width(1024, 256) == 256
    assert compact_width(1024, 64) == 256  # one rung at a time
    assert compact_width(256, 3) == 64
    assert compact_width(64, 3) == 16
    assert compact_width(16, 1) == 16  # the last rung
    assert compact_width(32, 1) == 32  # its quarter is below the last rung
    assert compact_width(COMPACT_FROM - 8, 1) == COMPACT_FROM - 8  # small batches stay
