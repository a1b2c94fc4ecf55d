"""The knobs of a monodromy search: the caller's (:class:`MonodromyOptions`) and its tuning.

:class:`MonodromyTuning` holds the constants the search was tuned with, each with the reason for
its value; the measurements behind them are in the project's benchmark notes and its history.
The search reads :data:`TUNING` when it starts (tests replace it to force a shape or a rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .tracker import TrackerOptions

TraceMap = Callable[[np.ndarray], np.ndarray]
#: ``sampler(rng, k) -> (X, P)``: ``k`` fresh start pairs, ``X[j]`` solving the system at ``P[j]``.
Sampler = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]
#: ``symmetry(X) -> Y``: rows ``Y[j]`` solve the system at the base parameters when ``X[j]`` does.
Symmetry = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SearchProgress:
    """Where a monodromy search stands: what :func:`monodromy_solve` reports to ``progress``."""

    solutions: int  #: known solutions at the base parameters
    crossings: int  #: edge crossings tracked so far
    failed: int  #: crossings dropped (a trace line's path after its detour)
    loops: int  #: nodes added to the start graph
    seconds: float
    done: bool = False


@dataclass(frozen=True)
class MonodromyTuning:
    """Constants of the monodromy search (Duff et al., IMA J. Numer. Anal. 39, 2019, for the
    graph; the values were measured on ``cnn k=2,2,2 x^2``, 404 critical points, and the
    2,385-point LCN: ``benchmarks/RESULTS.md``, "Landscape")."""

    #: A triangle p0–p1–p2 plus a second p0–p1 edge: 3 independent loops act from the start, so
    #: the known solutions grow geometrically (one loop only walks one permutation's cycle).
    initial_edges: int = 4
    #: Bend sizes, log-uniform: longer bends encircle more branch points but cost steps.
    bend_range: tuple[float, float] = (2.0, 50.0)
    #: The stale rule waits at least this many crossings: small fibers' loops are cheap.
    min_stale_crossings: int = 128
    #: Solutions known at p0 before idle lanes start the trace line or grow the graph.
    min_idle_solutions: int = 8
    #: A non-affine trace says solutions are missing: the stale rule waits this many times longer.
    trace_patience: int = 5
    #: Step budget of a crossing (one try; a path that needs more passes a branch point: dropped).
    search_max_steps: int = 2000
    #: Step budget of a trace-line path: the search's end waits on the slowest; long ones detour.
    line_max_steps: int = 400
    #: Detours of a failed trace-line path (its line's bend, then its opposite) before a new line.
    line_detours: int = 2
    #: Trace-line paths that met another and sent it round the same detour, before a new line.
    line_meetings: int = 8
    #: Trace lines a search tries before it leaves the test to its end.
    trace_lines: int = 6
    #: ``|s|`` of a search's own trace line: short paths (at 0.3 far-out points stalled them).
    line_radius: float = 0.1
    #: A short line bends an incomplete trace less: a line read passes only far below both.
    line_trace_tol: float = 1e-9
    #: ``|s|`` of the standalone trace test's points.
    trace_radius: float = 0.3
    #: Relative deviation from affine under which the standalone trace counts as affine.
    trace_tol: float = 1e-7
    #: Points of the line the standalone test tries for each of its two traces.
    trace_attempts: int = 3
    #: Step budget of a re-tracked path (:func:`move`, the conservative preset).
    retry_max_steps: int = 3000
    #: Bézout number from which a system is large: one wide optimized program, in parts.
    large_from_bezout: float = 1000.0
    #: Lanes of a large system's pool on one core: 64 cost per lane about what 256 do.
    pool_width: int = 64
    #: Lanes of the one-core pool's program for stragglers.
    tail_width: int = 8
    #: Lanes per part (per core) of a large system's pool: a call's fixed cost is shared.
    part_width: int = 64
    #: Parts of a large system's pool: measured on 2 cores only.
    max_parts: int = 2
    #: A small system's pool (compile-bound: fast compiles, grown only when needed).
    small_width: int = 16
    small_max_width: int = 256
    #: Fresh start pairs per new loop (with a ``sampler``): one per this many known solutions...
    samples_per: int = 4
    #: ...and at least this many.
    samples_min: int = 16
    #: Predictor tolerance while searching: a jumped path only costs a dedup.
    search_tol: float = 1e-4
    #: Predictor while searching: no evaluations off the path, which stiff ED stretches made costly.
    search_predictor: str = "hermite"
    #: Pool iterations per call: halves the dispatch share of 8; ended paths wait ~4 more.
    pool_chunk: int = 16
    #: Seconds between two calls of a search's ``progress`` callback.
    progress_every: float = 0.25
    #: Residual (scaled equations at ``X / |X|_inf``) under which a symmetry's image is a solution.
    symmetry_residual: float = 1e-8


#: The tuning every search starts with.
TUNING = MonodromyTuning()


@dataclass(frozen=True)
class MonodromyOptions:
    """The caller's knobs of :func:`~neurovariety.nag.monodromy_solve` (documented there)."""

    seed: int | None = None
    target_count: int | None = None
    max_loops_without_progress: int = 10
    max_loops: int = 200
    trace_test: bool = True
    trace_map: TraceMap | None = None
    decisive_trace: bool = False
    stop_on_trace: bool | None = None
    dedup_tol: float = 1e-7
    time_limit: float = 600.0
    tracker: str | TrackerOptions = "default"
    progress: Callable[[SearchProgress], None] | None = None
    starts: tuple[Any, Any] | None = None
    sampler: Sampler | None = None
    symmetry: Symmetry | str | None = None

    @property
    def stops_on_trace(self) -> bool:
        """Whether the trace, read inside the search, ends it: by default only for linear-slice
        families (``decisive_trace``), where no symmetric subset fakes an affine trace."""
        if not self.trace_test:
            return False
        return self.decisive_trace if self.stop_on_trace is None else self.stop_on_trace
