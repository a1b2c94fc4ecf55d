"""Batched predictor-corrector path tracker (JAX, complex128).

All paths advance together inside one ``jax.lax.while_loop`` (``vmap`` over paths, ``jit`` over
the loop); each path has its own ``t``, step size and status, so finished paths simply stop
moving. The loop runs in chunks of iterations so the Python driver can enforce a wall-clock budget
and stop early, and the compiled chunk is reused by every call with the same shapes.

Step: a prediction at the new ``t``, then Newton there. The size of the first Newton correction
measures the predictor's error; the step is accepted only if Newton converges fast (contraction)
and that error is small, and the step size is adapted as ``h (tol / err)^(1/order)``, halved on
rejection. The last Newton iteration evaluates ``H_X`` and ``H_t`` at the new point (up to its
final correction, below the Newton tolerance): its tangent ``dX/dt = -H_X^{-1} H_t`` is kept in
the state (``k``) for the next prediction (a path's first step computes its own). Two predictors,
part of the compiled program (:attr:`TrackerOptions.program`):

- ``"rk4"`` (the default): classical RK4 on that equation, its first stage the stored tangent;
  a step costs ``3 + newton_iters`` evaluations, local error ``O(h^5)``.
- ``"hermite"``: extrapolation through the last accepted points and their tangents
  (``PREDICTOR_POINTS = 3``: a quintic, local error ``O(h^6)``; fewer on a path's first steps,
  Euler's step on its very first). No evaluation: a step costs ``newton_iters``.

RK4 evaluates the tangent field off the path. On smooth paths its error constant allows ~3x
larger steps; on the stiff stretches of ED searches (a chart coordinate near infinity, where the
field turns fast) its error was that of a path turning fifty times faster than the path does,
and a fifth to a third of a search's steps were spent there at step sizes near 1e-6. Monodromy
searches use ``"hermite"`` (``benchmarks/RESULTS.md``).

On the way to the endgame's start (``track(..., chord=True)``) Newton's second and third
iterations reuse the first one's factorization (``step._linear``). More than ``POOL_WIDTH``
paths run through that many lanes, refilled from a queue as paths end (:class:`_Lanes`); the
compiled loop is :mod:`.programs`'.

A path's state is a :class:`TrackState`. Batches whose paths enter and leave between chunks
are :mod:`.lanes`' :class:`~.lanes.LanePool`; the threads that run the compiled programs, and
the pace of their calls, are :mod:`.workers`'.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import BudgetExceededError, OptionError, PathTrackingError
from .device import on_host
from .homotopy import Homotopy, HomotopyFn
from .programs import arguments, loop
from .step import PREDICTOR_POINTS as PREDICTOR_POINTS
from .step import TrackState as TrackState
from .step import TrackStatus as TrackStatus
from .step import _hermite as _hermite
from .step import _predict as _predict
from .workers import _SPLITTING, _WORKERS, _acquire, _Pace, solve_may_split, wait_all
from .workers import cores as cores  # re-exported: the command line and older callers
from .workers import in_background as in_background
from .workers import set_exit_code as set_exit_code
from .workers import wait_event as wait_event

PREDICTORS = ("rk4", "hermite")


@dataclass(frozen=True)
class TrackerOptions:
    """Step-size and corrector controls (hashable: part of the compiled code's key).

    Use :meth:`preset` for the named presets ``"default"``, ``"fast"`` and ``"conservative"``.

    Examples
    --------
    >>> TrackerOptions.preset("conservative").max_step
    0.02
    >>> TrackerOptions.preset("slow")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    neurovariety.errors.OptionError: unknown tracker preset 'slow'; valid: default, fast, ...
    """

    max_step: float = 0.1
    min_step: float = 1e-14
    max_steps: int = 3000
    predictor_tol: float = 3e-4
    max_correction: float = 1e-2
    newton_tol: float = 1e-9
    #: Newton's tolerance inside a path (on the error its last correction leaves, see
    #: ``step._accept``): such a point only seeds the next prediction, whose own error is
    #: ``predictor_tol``. A path's end meets ``newton_tol`` (and no point a tighter one).
    path_tol: float = 1e-7
    newton_iters: int = 3
    #: ``"rk4"``: classical Runge-Kutta stages (three more evaluations a step; larger steps on
    #: smooth paths). ``"hermite"``: extrapolation through the last accepted points (no
    #: evaluation; robust where the path is stiff). See the module's docstring.
    predictor: str = "rk4"

    @staticmethod
    def preset(name: str) -> TrackerOptions:
        presets = {
            "default": TrackerOptions(),
            "fast": TrackerOptions(max_step=0.2, newton_iters=2),
            "conservative": TrackerOptions(
                max_step=0.02,
                predictor_tol=1e-7,
                max_correction=1e-3,
                max_steps=20000,
                path_tol=1e-9,
            ),
        }
        if name not in presets:
            raise OptionError(f"unknown tracker preset {name!r}; valid: {', '.join(presets)}")
        return presets[name]

    def __post_init__(self) -> None:
        if not (0 < self.min_step < self.max_step <= 1):
            raise OptionError("need 0 < min_step < max_step <= 1")
        if not (self.newton_tol > 0 and self.path_tol > 0):
            raise OptionError("newton_tol and path_tol must be positive")
        if self.max_steps < 1 or self.newton_iters < 1:
            raise OptionError("max_steps and newton_iters must be positive")
        if self.predictor not in PREDICTORS:
            raise OptionError(
                f"unknown predictor {self.predictor!r}; valid: {', '.join(PREDICTORS)}"
            )

    @property
    def program(self) -> tuple[int, str]:
        """What shapes the compiled step (the other controls are traced, one value per lane)."""
        return self.newton_iters, self.predictor


#: Batches of at least this many paths use the fully optimized program.
OPTIMIZE_FROM = 256


def controls(opts: TrackerOptions, chord: bool = False) -> dict[str, float]:
    """The traced step controls of ``opts`` (everything but the number of Newton iterations and
    the predictor), and whether Newton may reuse a factorization (``chord``, see ``track``).

    Every caller passes them as float arrays, one value per lane: one structure and one dtype,
    so a program traced for one call is reused by the others (a ``jnp.full`` of an integer, or
    a missing key, retraced the same width: ~0.6 s each in a cold solve).
    """
    return {
        "chord": float(chord),
        "max_step": opts.max_step,
        "min_step": opts.min_step,
        "predictor_tol": opts.predictor_tol,
        "max_correction": opts.max_correction,
        "newton_tol": opts.newton_tol,
        "path_tol": opts.path_tol,
        "max_steps": opts.max_steps,
    }


def _advance(
    fn: HomotopyFn,
    opts: TrackerOptions | tuple[tuple[int, str], dict[str, Any]],
    data: Any,
    pdata: Any,
    state: TrackState,
    n: Any,
    optimize: bool | None = None,
    traced: threading.Event | None = None,
) -> Any:
    """Run ``n`` iterations; ``opts``: a preset, or its ``program`` and per-lane controls.

    ``optimize``: full XLA optimization (default: for batches of at least ``OPTIMIZE_FROM``).
    ``traced``: set once the program is traced and lowered, before it compiles (see
    :meth:`LanePool.compile`).
    """
    size = state.X.shape[0]
    if optimize is None:
        optimize = size >= OPTIMIZE_FROM
    # Only the number of Newton iterations and the predictor shape the program; the other
    # controls are traced, so presets that share those (e.g. the conservative re-tracking) reuse
    # one compiled program.
    ctl: dict[str, Any]
    if isinstance(opts, TrackerOptions):
        program = opts.program
        ctl = {k: np.full(size, v, dtype=float) for k, v in controls(opts).items()}
    else:
        program, ctl = opts
    with on_host() as host:
        args = arguments(ctl, data, pdata, state, n)
        if host is not None:
            args = jax.device_put(args, host)
        run = loop(fn, program, optimize, args)  # exports the loop on a homotopy's first call
        if traced is not None:
            try:  # jit keeps the trace and the lowering: the call below only compiles
                run.trace(*args).lower()
            finally:
                traced.set()
        if (isinstance(n, int) and n == 0) or not solve_may_split(size, state.X.shape[1]):
            return run(*args)
        _acquire(_SPLITTING)  # see _SPLITTING; held until the program's results are ready
        try:
            return jax.block_until_ready(run(*args))
        finally:
            _SPLITTING.release()


def bucket(n: int) -> int:
    """Batch size used for ``n`` paths: a power of two (>= 8), so few shapes are compiled."""
    return max(8, 1 << max(0, (n - 1).bit_length()))


def _pad(a: np.ndarray, size: int) -> np.ndarray:
    if a.shape[0] == size:
        return a
    reps = np.repeat(a[:1], size - a.shape[0], axis=0)
    return np.concatenate([a, reps], axis=0)


@dataclass(frozen=True)
class Segment:
    """Endpoints of one tracker call: per-path ``X``, ``t``, status and step counts."""

    X: np.ndarray
    t: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    rejected: np.ndarray


def track(
    H: Homotopy,
    X0: np.ndarray,
    t0: np.ndarray | float,
    t1: np.ndarray | float,
    *,
    options: TrackerOptions | None = None,
    deadline: float | None = None,
    chunk: int = 100,
    max_iterations: int | None = None,
    size: int | None = None,
    chord: bool = False,
) -> Segment:
    """Track paths of ``H`` from ``t0`` down to ``t1`` (per path, ``t0 >= t1``).

    ``max_iterations`` caps each path's steps in this call (paths still moving then keep status
    ``TRACKING``). ``size`` pads the batch to exactly that many lanes (default: :func:`bucket`),
    so callers can reuse one compiled program for batches of different sizes. More than
    ``POOL_WIDTH`` paths run through ``POOL_WIDTH`` lanes, each refilled from the queue as soon
    as its path ends (see :class:`_Lanes`). ``chord``: Newton's later iterations in a step reuse
    the first one's factorization (``step._linear``; for paths away from singular endpoints —
    near two roots 1e-9 apart the Jacobian changes within the predictor's error).

    Parameters
    ----------
    X0 : (B, N) complex array
        Start points, solutions of ``H(., t0)``.
    deadline : float, optional
        ``time.monotonic()`` value after which tracking stops; paths still moving (or not yet
        started) are reported with status ``MAX_STEPS`` (so a solve never hangs).

    Examples
    --------
    >>> from neurovariety.nag.system import parse_system
    >>> from neurovariety.nag.homotopy import total_degree_homotopy
    >>> F = parse_system("x^2 - 2")
    >>> H, X0 = total_degree_homotopy(F, np.zeros(0), np.random.default_rng(1))
    >>> seg = track(H, X0, 1.0, 0.0)
    >>> sorted(np.round((seg.X[:, 1] / seg.X[:, 0]).real, 10).tolist())
    [-1.4142135624, 1.4142135624]
    """
    opts = options or TrackerOptions()
    X0 = np.asarray(X0, dtype=complex)
    B = X0.shape[0]
    if X0.ndim != 2 or X0.shape[1] != H.n_unknowns:
        raise PathTrackingError(f"start points must have shape (B, {H.n_unknowns})")
    width = bucket(B) if size is None or size < B else size
    if B > POOL_WIDTH:
        width = min(width, POOL_WIDTH)
    lanes = _Lanes(H, X0, t0, t1, opts, max_iterations, width, chord)
    pace = _Pace()
    while lanes.busy or lanes.queued:
        lanes.refill()
        if lanes.queued:
            step_chunk = REFILL_CHUNK
        else:
            lower = lanes.compact()
            step_chunk = chunk if lanes.width < COMPACT_FROM else min(chunk, COMPACT_CHUNK)
            if lower:
                step_chunk = 1  # the next rung holds them too: one iteration on this one
        n = pace.iterations(step_chunk, deadline)
        call = _WORKERS.submit(lanes.advance, n)
        if n == 0 or not wait_all([call], deadline):
            # The deadline passed (before or during the call): paths still moving stop where
            # they were, paths not started stay at their start.
            lanes.stop()
            break
        call.result()
        pace.record(n)
        lanes.release()
    return lanes.segment()


#: Paths beyond this many run through this many lanes, refilled as paths end: a lockstep batch
#: of 1,024 katsura-10 paths ran ~38 % idle lanes (most paths end in a few dozen steps, a few
#: need hundreds), and a lane-iteration costs no less at 1,024 lanes than at 256.
POOL_WIDTH = 256
#: Iterations between refills while paths wait (a lane idles half of it on average).
REFILL_CHUNK = 5


class _Lanes:
    """The lanes of one :func:`track` call (numpy arrays, written in place), the paths they hold
    (``path``, -1 for an idle lane), the queue of paths not started, and every path's result."""

    def __init__(
        self,
        H: Homotopy,
        X0: np.ndarray,
        t0: np.ndarray | float,
        t1: np.ndarray | float,
        opts: TrackerOptions,
        max_iterations: int | None,
        width: int,
        chord: bool = False,
    ) -> None:
        B, n = X0.shape
        self.H, self.X0, self.opts, self.width = H, X0, opts, width
        self.t0 = np.broadcast_to(np.asarray(t0, dtype=float), (B,)).copy()
        self.t1 = np.broadcast_to(np.asarray(t1, dtype=float), (B,)).copy()
        # every path's result; paths with t0 <= t1 are done where they start
        self.out = {
            "X": X0.copy(),
            "t": self.t0.copy(),
            "status": np.where(self.t0 <= self.t1, TrackStatus.DONE, TrackStatus.MAX_STEPS),
            "steps": np.zeros(B, np.int32),
            "rejected": np.zeros(B, np.int32),
        }
        self.out["status"] = self.out["status"].astype(np.int32)
        self.queue = list(np.nonzero(self.t0 > self.t1)[0][::-1])  # popped from the end
        # per-path homotopy arrays (shared scalars stay scalars)
        self.rows = {
            k: np.broadcast_to(np.asarray(v), (B,) + np.shape(v)[-1:])
            for k, v in H.pdata.items()
            if np.ndim(v) >= 1
        }
        self.shared = {k: v for k, v in H.pdata.items() if np.ndim(v) < 1}
        self.state = TrackState(*(np.array(v) for v in TrackState.blank(width, n)))
        self.pdata = {k: np.zeros((width,) + v.shape[1:], v.dtype) for k, v in self.rows.items()}
        ctl = controls(opts, chord)
        # a cap of this call's steps per path: max_iterations, below the preset's own budget
        self.cap = max_iterations is not None and max_iterations < opts.max_steps
        if self.cap:
            ctl["max_steps"] = max_iterations  # type: ignore[assignment]
        self.ctl = {k: np.full(width, v, dtype=float) for k, v in ctl.items()}
        self.path = np.full(width, -1, np.int64)

    @property
    def busy(self) -> int:
        return int(np.sum(self.path >= 0))

    @property
    def queued(self) -> int:
        return len(self.queue)

    def refill(self) -> None:
        """Start queued paths on the idle lanes."""
        idle = np.nonzero(self.path < 0)[0][: len(self.queue)]
        if not idle.size:
            return
        p = np.array([self.queue.pop() for _ in idle], np.int64)
        st = self.state
        st.X[idle], st.k[idle] = self.X0[p], 0.0
        st.t[idle], st.t1[idle] = self.t0[p], self.t1[p]
        st.Xp[idle], st.kp[idle] = 0.0, 0.0
        st.tp[idle] = self.t0[p][:, None]  # tp = t: no previous points
        st.h[idle] = min(self.opts.max_step, 0.05)
        st.status[idle] = TrackStatus.TRACKING
        st.steps[idle] = st.rejected[idle] = 0
        for k, v in self.rows.items():
            self.pdata[k][idle] = v[p]
        self.path[idle] = p

    def advance(self, n: int) -> None:
        pdata = {**self.shared, **self.pdata}
        out = _advance(self.H.fn, (self.opts.program, self.ctl), self.H.data, pdata, self.state, n)
        self.state = TrackState(*(np.array(v) for v in out))

    def release(self, deadline: bool = False) -> None:
        """Record the paths whose lanes ended; those lanes become idle. ``deadline``: they were
        stopped by it, so no ``MAX_STEPS`` is this call's cap."""
        st = self.state
        ended = np.nonzero((self.path >= 0) & (st.status != TrackStatus.TRACKING))[0]
        if not ended.size:
            return
        p = self.path[ended]
        for k in self.out:
            self.out[k][p] = getattr(st, k)[ended]
        if self.cap and not deadline:  # stopped by this call's cap, not the budget: moving
            capped = (st.status[ended] == TrackStatus.MAX_STEPS) & (
                st.steps[ended] < self.opts.max_steps
            )
            self.out["status"][p[capped]] = TrackStatus.TRACKING
        self.path[ended] = -1
        st.status[ended] = TrackStatus.DONE

    def compact(self) -> bool:
        """Move the busy lanes into the next width of the ladder (:func:`compact_width`) if it
        holds them (lockstep cost is per lane); whether the rung after holds them too."""
        rung = compact_width(self.width, self.busy)
        if rung >= self.width:
            return False
        order = np.argsort(self.path < 0, kind="stable")[:rung]  # busy lanes first
        self.state = TrackState(*(v[order].copy() for v in self.state))
        self.pdata = {k: v[order].copy() for k, v in self.pdata.items()}
        self.ctl = {k: v[order].copy() for k, v in self.ctl.items()}
        self.path = self.path[order].copy()
        self.width = rung
        return compact_width(rung, self.busy) < rung

    def stop(self) -> None:
        """The deadline passed: paths still moving end ``MAX_STEPS`` where they are."""
        moving = (self.path >= 0) & (self.state.status == TrackStatus.TRACKING)
        self.state.status[moving] = TrackStatus.MAX_STEPS
        self.release(deadline=True)
        self.queue.clear()  # not started: MAX_STEPS at their start (set in __init__)

    def segment(self) -> Segment:
        o = self.out
        return Segment(
            X=o["X"], t=o["t"], status=o["status"], steps=o["steps"], rejected=o["rejected"]
        )


#: Batches at least this large are compacted when three quarters of their paths are done,
#: checking every ``COMPACT_CHUNK`` iterations: most paths finish in a few dozen steps and a few
#: need hundreds, so a lockstep batch would otherwise run mostly idle lanes.
COMPACT_FROM = 16
COMPACT_CHUNK = 20


def compact_width(width: int, moving: int) -> int:
    """The batch width for ``moving`` paths left in a batch of ``width``: ``width / 4`` when
    that holds them and is at least ``LADDER_END``, else ``width``.

    Each width is one compiled program. One rung at a time, so every batch visits a prefix of
    the same ladder (256 → 64 → 16 from the pool) whatever its paths do, and a second solve
    reuses the first's programs: jumping to the smallest rung that held the paths, a seed that
    went 256 → 16 and the next that stopped at 64 compiled a program (~3 s on ten dense
    quadrics) in a warm run, and a cold process loads one program a width (~0.35 s). A step
    down waits at most ``COMPACT_CHUNK`` iterations; quarters cost about the lane-iterations of
    halves (+1 %), and 16 lanes cost little more than 8 for the last few paths (a call's cost is
    mostly per iteration there).

    >>> [compact_width(1024, m) for m in (600, 256, 200, 17, 5)]
    [1024, 256, 256, 256, 256]
    >>> [compact_width(64, m) for m in (17, 16, 1)], compact_width(16, 1)
    ([64, 16, 16], 16)
    """
    rung = width // 4
    if rung < LADDER_END or rung < moving:
        return width
    return rung


#: The smallest rung of the compaction ladder.
LADDER_END = 16


def newton(
    H: Homotopy,
    X: np.ndarray,
    t: float,
    *,
    options: TrackerOptions | None = None,
    size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton refinement at fixed ``t``: ``(X, converged)``; unconverged rows are unchanged.

    Runs one step of the tracker's compiled loop with a zero-length step (the predictor is then
    the identity), so no separate program is compiled for it.
    """
    opts = options or TrackerOptions()
    B = X.shape[0]
    if B == 0:
        return X, np.zeros(0, bool)
    size = bucket(B) if size is None or size < B else size
    state = TrackState.blank(size, X.shape[1], float(t), min(opts.max_step, 0.05))
    state = state._replace(
        X=_pad(np.asarray(X, dtype=complex), size),
        t1=np.full(size, float(t)),
        status=np.full(size, TrackStatus.TRACKING, np.int32),
    )
    pdata = jax.tree_util.tree_map(
        lambda v: jnp.asarray(_pad(np.broadcast_to(np.asarray(v), (B,) + v.shape[-1:]), size)),
        H.pdata,
    )
    call = _WORKERS.submit(_advance, H.fn, opts, H.data, pdata, state, 1)
    wait_all([call])
    state = call.result()
    ok = np.asarray(state.status)[:B] == TrackStatus.DONE
    return np.asarray(state.X)[:B], ok


def check_budget(deadline: float | None, what: str) -> None:
    """Raise :class:`BudgetExceededError` when ``deadline`` has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceededError(
            f"{what} ran past its time budget. Fix: raise time_limit=..., or simplify the system"
        )
