"""The lane scheduler: a batch of lanes that paths of one homotopy enter and leave.

:class:`LanePool` runs the tracker's compiled loop (:mod:`neurovariety.nag.tracker`) on a fixed
number of lanes and refills a lane as soon as its path ends, so a straggler costs one lane, not
a whole lockstep batch; :func:`pool_track` tracks many paths through one.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

import numpy as np

from ..errors import OptionError, PathTrackingError
from .homotopy import Homotopy, HomotopyFn
from .tracker import TrackerOptions, TrackState, TrackStatus, _advance, bucket, controls
from .workers import _WORKERS, _Pace, in_background, wait_all


def pool_width(n: int, max_width: int) -> int:
    """Lanes for ``n`` paths: 16, 64 or 256 (then powers of two), at most ``max_width``.

    Few widths, because each is one compilation (about 2 s for an ED system).
    """
    for w in (16, 64, 256):
        if n <= w:
            return min(w, max_width)
    return min(bucket(n), max_width)


class LanePool:
    """A batch of lanes that paths enter and leave between chunks of iterations.

    Lockstep batches wait for their slowest path; a pool instead refills a lane as soon as its
    path ends, so a straggler costs one lane, not the whole batch. Lanes carry their own step
    controls (a re-tracked path can use the conservative preset beside default ones) and their
    own per-path homotopy arrays (``pdata``, e.g. the ends and bend of a parameter path).
    The width grows by powers of two up to ``max_width`` (one compiled program per width);
    ``optimize`` picks full XLA optimization (default: by width, as :func:`track` does).

    ``tail_width``: a second, narrow width for the stragglers at the end of a batch (a path
    near a branch point can take thousands of steps, and every iteration costs all the lanes).
    Its program is compiled in a background thread once the wide one has run (compiling both
    at once delayed the first results by the tail's whole compile time); :meth:`shrink_to_tail`
    moves to it once it is ready, and the pool returns to ``max_width`` when work arrives.

    ``parts``: the full-width pool runs as that many interleaved parts at once, one thread each
    (see :meth:`advance`); such a pool keeps its width (one program, of ``max_width // parts``
    lanes).
    """

    def __init__(
        self,
        fn: HomotopyFn,
        data: Any,
        n_unknowns: int,
        pdata_widths: dict[str, int],
        *,
        width: int = 16,
        max_width: int = 256,
        optimize: bool | None = None,
        tail_width: int | None = None,
        parts: int = 1,
    ) -> None:
        self.fn, self.data, self.max_width, self.optimize = fn, data, max_width, optimize
        if parts < 1 or max_width % parts:
            raise OptionError(f"parts={parts} must be positive and divide max_width={max_width}")
        self.parts = parts
        self._warm = False  # the part-width program has run once (compiled) on this pool
        self.n_unknowns, self.pdata_widths = n_unknowns, pdata_widths
        self.width = 0
        self.state = TrackState.blank(0, n_unknowns)  # numpy arrays, written in place
        self.pdata: dict[str, np.ndarray] = {}
        self.ctl: dict[str, np.ndarray] = {}
        self.tag = np.zeros(0, dtype=np.int64)  # caller's label per lane; -1 when idle
        self.program: tuple[int, str] | None = None  # fixed by the first load
        self._tail_program: tuple[int, str] | None = None
        self.tail_width = tail_width
        self._tail: concurrent.futures.Future[Any] | None = None  # the tail's compile
        self.pace = _Pace()
        self._grow(pool_width(width, max_width))

    def _blank(self, extra: int) -> tuple[TrackState, dict[str, np.ndarray], dict[str, np.ndarray]]:
        state = TrackState.blank(extra, self.n_unknowns)
        ctl = {k: np.full(extra, v, dtype=float) for k, v in controls(TrackerOptions()).items()}
        pdata = {k: np.zeros((extra, w), complex) for k, w in self.pdata_widths.items()}
        return state, ctl, pdata

    def compile(
        self,
        width: int | None = None,
        program: tuple[int, str] | None = None,
        traced: threading.Event | None = None,
    ) -> None:
        """Compile the program for ``width`` lanes (default: one part of the full width).

        Zero iterations of it: the program lands in jit's cache, where every pool of the same
        homotopy function and shapes finds it (a search compiles its pool's program in a thread
        while it checks its start). ``program`` (a :attr:`TrackerOptions.program`): default the
        pool's, else the default preset's.
        ``traced`` is set when the Python part (trace, lowering) is over and XLA compiles: a
        caller on another thread that waits for it before tracing its own programs does not
        share the interpreter with this one (both traces ran twice as long, one after the other
        as fast as each alone).
        """
        try:
            state, ctl, pdata = self._blank(width or self.max_width // self.parts)
            program = program or self.program or TrackerOptions().program
            _advance(self.fn, (program, ctl), self.data, pdata, state, 0, self.optimize, traced)
        finally:
            if traced is not None:
                traced.set()  # also when this failed: a waiting caller goes on (and compiles)

    def shrink_to_tail(self) -> bool:
        """Move the busy lanes to ``tail_width`` lanes if they fit and its program is compiled."""
        tail = self.tail_width
        if self._tail is not None and self._tail.done():
            wait_all([self._tail])  # a failed compile raises here
        if (
            tail is None
            or self._tail is None
            or not self._tail.done()
            or self.width <= tail
            or self.busy > tail
            or self.program not in (None, self._tail_program)
        ):
            return False
        self._compact(tail)
        return True

    def _grow(self, width: int) -> None:
        extra = width - self.width
        if extra <= 0:
            return
        blank, ctl, pdata = self._blank(extra)
        self.state = TrackState(
            *(np.concatenate([a, b]) for a, b in zip(self.state, blank, strict=True))
        )
        for have, add in ((self.ctl, ctl), (self.pdata, pdata)):
            for k, v in add.items():
                have[k] = np.concatenate([have[k], v]) if k in have else v
        self.tag = np.concatenate([self.tag, np.full(extra, -1, np.int64)])
        self.width = width

    def shrink(self) -> None:
        """Move the busy lanes into the smallest width that holds them (lockstep cost is per
        lane: one straggler must not keep 256 lanes running). A pool with a tail width has
        only its two programs (see :meth:`shrink_to_tail`), a pool in parts only its one."""
        if self.tail_width is not None:
            self.shrink_to_tail()
            return
        if self.parts > 1:
            return
        width = pool_width(max(self.busy, 1), self.max_width)
        if width < self.width:
            self._compact(width)

    def _compact(self, width: int) -> None:
        keep = np.nonzero(self.tag >= 0)[0]
        order = np.concatenate([keep, np.nonzero(self.tag < 0)[0]])[:width]
        self.state = TrackState(*(a[order].copy() for a in self.state))
        for have in (self.ctl, self.pdata):
            for k in have:
                have[k] = have[k][order].copy()
        self.tag = self.tag[order].copy()
        self.width = width

    @property
    def idle(self) -> np.ndarray:
        return np.nonzero(self.tag < 0)[0]

    @property
    def busy(self) -> int:
        return int(np.sum(self.tag >= 0))

    def load(
        self,
        X0: np.ndarray,
        pdata: dict[str, np.ndarray],
        tags: np.ndarray,
        options: TrackerOptions,
    ) -> int:
        """Start as many of the given paths (t from 1 to 0) as there is room for; returns how many.

        The pool grows (up to ``max_width``) when more paths wait than lanes are idle.
        """
        want = self.busy + X0.shape[0]
        if want > self.width and self.width < self.max_width:
            # A pool with a tail width has two programs: back to the wide one.
            self._grow(self.max_width if self.tail_width else pool_width(want, self.max_width))
        lanes = self.idle[: X0.shape[0]]
        k = lanes.size
        if self.program is None:
            self.program = options.program
        if options.program != self.program:
            raise PathTrackingError(
                f"this pool runs (Newton iterations, predictor) = {self.program}, not "
                f"{options.program}. Fix: use one pool per number of Newton iterations and "
                "predictor"
            )
        st = self.state
        st.X[lanes] = X0[:k]
        st.t[lanes] = 1.0
        st.tp[lanes] = 1.0  # tp = t: no previous points
        st.t1[lanes] = 0.0
        st.h[lanes] = min(options.max_step, 0.05)
        st.status[lanes] = TrackStatus.TRACKING
        st.steps[lanes] = st.rejected[lanes] = 0
        for key, value in controls(options).items():
            self.ctl[key][lanes] = value
        for key, rows in pdata.items():
            self.pdata[key][lanes] = rows[:k]
        self.tag[lanes] = tags[:k]
        return k

    def advance(self, n: int, deadline: float | None = None) -> bool:
        """Up to ``n`` iterations of every lane still tracking; ``False`` (nothing changed) when
        ``deadline`` (``time.monotonic()``) passed before or while they ran.

        A call gets fewer iterations when the pool's pace says ``n`` would take longer than
        ``CALL_SECONDS`` or run past the deadline. With ``parts > 1`` the full-width pool runs
        as that many interleaved parts (lane ``i`` in part ``i % parts``), one thread each: a
        compiled program runs on one core, and parts run at once (on 2 cores twice the lanes per
        second, ~1.6x in a search; one program of the part width).
        """
        n = self.pace.iterations(n, deadline)
        if n == 0:
            return False
        cut = [slice(None)]
        if self.parts > 1 and self.width == self.max_width:
            cut = [slice(i, None, self.parts) for i in range(self.parts)]

        def part(c: slice) -> concurrent.futures.Future[Any]:
            return _WORKERS.submit(
                self._run,
                TrackState(*(v[c] for v in self.state)),
                {k: v[c] for k, v in self.ctl.items()},
                {k: v[c] for k, v in self.pdata.items()},
                n,
            )

        calls = [part(cut[0])]
        if len(cut) > 1 and not self._warm:  # the first call compiles: once, not once per part
            if not wait_all(calls, deadline):
                return False
            self._warm = True
        calls += [part(c) for c in cut[1:]]
        if not wait_all(calls, deadline):
            return False
        for c, call in zip(cut, calls, strict=True):
            for have, v in zip(self.state, call.result(), strict=True):
                have[c] = v
        self.pace.record(n)
        tail = self.tail_width
        if self._tail is None and tail is not None and tail < self.max_width:
            self._tail_program = self.program or TrackerOptions().program
            self._tail = in_background(self.compile, tail, self._tail_program)
        return True

    def _run(
        self, state: TrackState, ctl: dict[str, Any], pdata: dict[str, Any], n: int
    ) -> TrackState:
        # numpy arrays go to the compiled program as they are: jnp.asarray on each (17 per call)
        # dispatched one small program apiece, ~0.3 ms each (2 s of a 25 s search).
        program = self.program or TrackerOptions().program
        out = _advance(self.fn, (program, ctl), self.data, pdata, state, n, self.optimize)
        return TrackState(*(np.array(v) for v in out))

    def finished(self) -> np.ndarray:
        """Busy lanes whose path has ended (any status but ``TRACKING``)."""
        return np.nonzero((self.tag >= 0) & (self.state.status != TrackStatus.TRACKING))[0]

    def release(self, lanes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(tags, X, status, steps)`` of ``lanes``, which become idle."""
        out = (
            self.tag[lanes].copy(),
            self.state.X[lanes].copy(),
            self.state.status[lanes].copy(),
            self.state.steps[lanes].copy(),
        )
        self.tag[lanes] = -1
        self.state.status[lanes] = TrackStatus.DONE
        return out

    def stop_all(self) -> np.ndarray:
        """Mark every path still tracking as ``MAX_STEPS`` (a deadline passed); their lanes."""
        moving = np.nonzero((self.tag >= 0) & (self.state.status == TrackStatus.TRACKING))[0]
        self.state.status[moving] = TrackStatus.MAX_STEPS
        return moving


def pool_track(
    H: Homotopy,
    X0: np.ndarray,
    pdata: dict[str, np.ndarray],
    *,
    options: TrackerOptions | None = None,
    deadline: float | None = None,
    max_width: int = 256,
    chunk: int = 8,
    width: int | None = None,
    optimize: bool | None = None,
    tail_width: int | None = None,
    parts: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Track paths of ``H`` (per-path ``pdata`` rows) from t = 1 to 0 through a :class:`LanePool`.

    Returns the endpoints and statuses. Unlike :func:`track`, many paths never form one lockstep
    batch: at most ``max_width`` lanes, refilled as paths end (no straggler holds up the rest, and
    the width — the compiled program — is shared with other pools of the same homotopy).
    ``width`` (first width; default: enough for all paths), ``optimize``, ``tail_width`` and
    ``parts`` are the :class:`LanePool`'s: a search passes its own pool's, so both share
    compiled programs.
    """
    opts = options or TrackerOptions()
    B = X0.shape[0]
    X = np.array(X0, dtype=complex)
    status = np.full(B, TrackStatus.MAX_STEPS, np.int32)
    pool = LanePool(
        H.fn,
        H.data,
        H.n_unknowns,
        {k: v.shape[1] for k, v in pdata.items()},
        width=B if width is None else width,
        max_width=max_width,
        optimize=optimize,
        tail_width=tail_width,
        parts=parts,
    )
    start = 0
    while start < B or pool.busy:
        if start < B:
            k = min(pool.max_width - pool.busy, B - start)
            rows = slice(start, start + k)
            start += pool.load(
                X0[rows],
                {key: v[rows] for key, v in pdata.items()},
                np.arange(start, start + k),
                opts,
            )
        if start >= B:
            pool.shrink()  # nothing left to load: the stragglers alone
        if not pool.advance(chunk if start < B else 8 * chunk, deadline):
            pool.stop_all()  # the deadline passed: paths still moving stop where they were
            start = B
        tags, Xe, st, _ = pool.release(pool.finished())
        X[tags], status[tags] = Xe, st
    return X, status
