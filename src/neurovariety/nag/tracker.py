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
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import dataclasses
import enum
import functools
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import BudgetExceededError, OptionError, PathTrackingError
from .homotopy import Homotopy, HomotopyFn
from .system import codegen_options, on_host


class TrackStatus(enum.IntEnum):
    """Low-level status of a tracked segment."""

    TRACKING = 0
    DONE = 1
    STEP_TOO_SMALL = 2
    MAX_STEPS = 3
    NONFINITE = 4


PREDICTORS = ("rk4", "hermite")


@dataclass(frozen=True)
class TrackerOptions:
    """Step-size and corrector controls (hashable: part of the compiled code's key).

    Use :meth:`preset` for the named presets ``"default"``, ``"fast"`` and ``"conservative"``.

    Examples
    --------
    >>> TrackerOptions.preset("conservative").max_step
    0.02
    >>> TrackerOptions.preset("slow")
    Traceback (most recent call last):
    ...
    neurovariety.errors.OptionError: unknown tracker preset 'slow'; valid: default, fast, conservative
    """

    max_step: float = 0.1
    min_step: float = 1e-14
    max_steps: int = 3000
    predictor_tol: float = 1e-5
    max_correction: float = 1e-2
    newton_tol: float = 1e-9
    newton_iters: int = 3
    #: ``"rk4"``: classical Runge-Kutta stages (three more evaluations a step; larger steps on
    #: smooth paths). ``"hermite"``: extrapolation through the last accepted points (no
    #: evaluation; robust where the path is stiff). See the module's docstring.
    predictor: str = "rk4"

    @staticmethod
    def preset(name: str) -> TrackerOptions:
        presets = {
            "default": TrackerOptions(),
            "fast": TrackerOptions(max_step=0.2, predictor_tol=1e-4, newton_iters=2),
            "conservative": TrackerOptions(
                max_step=0.02, predictor_tol=1e-7, max_correction=1e-3, max_steps=20000
            ),
        }
        if name not in presets:
            raise OptionError(f"unknown tracker preset {name!r}; valid: {', '.join(presets)}")
        return presets[name]

    def __post_init__(self) -> None:
        if not (0 < self.min_step < self.max_step <= 1):
            raise OptionError("need 0 < min_step < max_step <= 1")
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


#: Accepted points (with their tangents) that the predictor extrapolates from, the current one
#: included: 3 gives a quintic (local error O(h^6)).
PREDICTOR_POINTS = 3


def _no_previous(size: int, n: int, t: np.ndarray) -> dict[str, np.ndarray]:
    """State entries of paths with no previous points (``tp = t``): their next step is Euler's."""
    m = PREDICTOR_POINTS - 1
    return {
        "Xp": np.zeros((size, m, n), complex),
        "kp": np.zeros((size, m, n), complex),
        "tp": np.repeat(np.asarray(t, dtype=float)[:, None], m, axis=1),
    }


def _hermite(ts: list[Any], Xs: list[Any], ks: list[Any], tq: Any) -> Any:
    """The polynomial through points ``Xs`` with derivatives ``ks`` at distinct ``ts``, at ``tq``
    (Newton's divided differences with every node doubled)."""
    z = [x for x in ts for _ in range(2)]
    col = [Xs[i // 2] for i in range(len(z))]
    table = [col[0]]
    for j in range(1, len(z)):
        col = [
            ks[(i + j) // 2] if j == 1 and i % 2 == 0 else (col[i + 1] - col[i]) / (z[i + j] - z[i])
            for i in range(len(col) - 1)
        ]
        table.append(col[0])
    out = table[-1]
    for i in range(len(z) - 2, -1, -1):
        out = table[i] + (tq - z[i]) * out
    return out


def _usable(s: dict[str, Any]) -> jax.Array:
    """How many previous points the predictor can use: those with a larger ``t`` than the
    current one, each older one further back (``tp = t`` marks none)."""
    m = PREDICTOR_POINTS - 1
    tp, ok = s["tp"], s["tp"][m - 1] > s["t"]
    used = ok.astype(jnp.int32)
    for j in range(m - 2, -1, -1):
        ok &= tp[j] > tp[j + 1]
        used += ok
    return used


def _predict(s: dict[str, Any], k: jax.Array, tn: jax.Array, used: jax.Array) -> jax.Array:
    """The prediction at ``tn``: Hermite extrapolation through the last ``used`` accepted points,
    the current one and their tangents (local error ``O(h^(2 used + 2))``); Euler's step when
    ``used = 0`` (a path's first step). No evaluation, nothing off the path (module docstring).
    """
    X, t, m = s["X"], s["t"], PREDICTOR_POINTS - 1
    out = X + (tn - t) * k
    for n in range(1, m + 1):
        ok = used >= n
        # Stand-in nodes for missing points keep the divisions finite; the result is unused.
        ts = [jnp.where(ok, s["tp"][j], t + (m - j)) for j in range(m - n, m)] + [t]
        Xs = [s["Xp"][j] for j in range(m - n, m)] + [X]
        ks = [s["kp"][j] for j in range(m - n, m)] + [k]
        out = jnp.where(ok, _hermite(ts, Xs, ks, tn), out)
    return out


_RK4_NODES = (0.0, 0.5, 0.5, 1.0)


def _step(
    fn: HomotopyFn, iters: int, predictor: str, ctl: Any, data: Any, pdata: Any, s: dict[str, Any]
):
    """One predictor-corrector step of one path (vmapped over paths).

    The predictor's stages (RK4: four; Hermite: the tangent at a path's start) and the Newton
    iterations share one loop body, so the homotopy (often a large unrolled polynomial kernel) is
    traced and compiled once, not once per evaluation.
    """
    X, t, h, t1 = s["X"], s["t"], s["h"], s["t1"]
    active = s["status"] == TrackStatus.TRACKING
    dt = jnp.minimum(h, t - t1)
    ds = (-dt) + 0j
    tn = t - dt
    stages = 4 if predictor == "rk4" else 1
    nodes = jnp.asarray(_RK4_NODES[:stages])
    used = _usable(s) if predictor == "hermite" else None

    def predict(ks: jax.Array) -> jax.Array:
        if used is None:  # RK4
            return X + ds / 6 * (ks[0] + 2 * ks[1] + 2 * ks[2] + ks[3])
        return _predict(s, ks[0], tn, used)

    def body(i: Any, c: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
        # i < stages: the predictor's stages (stage 0, the tangent at X, only on a path's first
        # step; later it is stored); then Newton at tn from the prediction.
        ks, Y, norms = c
        rk = i < stages
        stage = jnp.minimum(i, stages - 1)
        Y = jnp.where(i == stages, predict(ks), Y)
        node = nodes[stage]
        Z = jnp.where(rk, X + node * ds * ks[jnp.maximum(stage - 1, 0)], Y)
        tz = jnp.where(rk, t - node * dt, tn)
        H, Hx, Ht = fn(data, pdata, Z, tz + 0j)
        sol = jnp.linalg.solve(Hx, jnp.stack([Ht, H], axis=1))
        # Newton's iterations leave the tangent at their point in ks[stages]: the last one's is
        # the tangent the next step starts from.
        ks = ks.at[jnp.where(rk, stage, stages)].set(-sol[:, 0])
        d = sol[:, 1]
        k = jnp.maximum(i - stages, 0)
        norms = norms.at[k].set(jnp.where(rk, norms[k], jnp.linalg.norm(d)))
        return ks, jnp.where(rk, Y, Y - d), norms

    ks0 = jnp.zeros((stages + 1,) + X.shape, X.dtype).at[0].set(s["k"])
    # A traced trip count keeps XLA from unrolling the loop (compile time grows with copies).
    trips = stages + iters + 0 * s["steps"]
    first = jnp.where(s["steps"] == 0, 0, 1)
    ks, Y, norms = jax.lax.fori_loop(first, trips, body, (ks0, X, jnp.zeros(iters)))
    k, kn = ks[0], ks[stages]
    scale = 1.0 + jnp.linalg.norm(Y)
    err = norms[0] / scale
    finite = jnp.all(jnp.isfinite(Y)) & jnp.all(jnp.isfinite(norms))
    last = norms[-1]
    if predictor == "hermite" and iters > 1:
        # Inside the path the point only feeds the next prediction: the error the last
        # correction leaves, |d_k|^2 / |d_(k-1)| under Newton's quadratic convergence, is what
        # must be small. The path's end must have converged outright.
        last = jnp.where(tn <= t1, last, last * last / jnp.maximum(norms[-2], 1e-300))
    converged = last <= ctl["newton_tol"] * scale
    if iters > 1:
        # Newton must contract (quadratically near a regular path): guards against path jumping.
        converged &= (norms[1] <= 0.25 * norms[0]) | (norms[0] <= ctl["newton_tol"] * scale)
    ok = finite & converged & (err <= ctl["max_correction"])
    # The predictor's local error is O(h^order).
    order = 5 if used is None else 2 * used + 2
    factor = jnp.clip(
        0.9 * (ctl["predictor_tol"] / jnp.maximum(err, 1e-300)) ** (1.0 / order), 0.5, 2.0
    )
    h_new = jnp.where(ok, jnp.minimum(h * factor, ctl["max_step"]), 0.5 * h)
    done = ok & (tn <= t1)
    too_small = h_new < ctl["min_step"]
    status = jnp.where(
        done,
        TrackStatus.DONE,
        jnp.where(
            too_small,
            jnp.where(finite, TrackStatus.STEP_TOO_SMALL, TrackStatus.NONFINITE),
            TrackStatus.TRACKING,
        ),
    )
    new = {
        "X": jnp.where(ok, Y, X),
        "k": jnp.where(ok, kn, k),  # a rejected step keeps the tangent at X
        "t": jnp.where(ok, tn, t),
        "h": h_new,
        "t1": t1,
        "status": status.astype(jnp.int32),
        "steps": s["steps"] + 1,
        "rejected": s["rejected"] + jnp.where(ok, 0, 1),
    }
    for key, now in (("Xp", X), ("kp", k), ("tp", t)):
        # Hermite: the accepted point joins the previous ones, the oldest leaves (RK4 keeps none).
        grown = jnp.concatenate([s[key][1:], now[None]])
        new[key] = jnp.where(ok, grown, s[key]) if used is not None else s[key]
    return jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new, s)


def _advance_impl(
    fn: HomotopyFn, program: tuple[int, str], ctl: Any, data: Any, pdata: Any, state: Any, n: Any
):
    # ctl holds one value per lane: paths tracked with different presets share one batch.
    step = jax.vmap(functools.partial(_step, fn, *program), in_axes=(0, None, 0, 0))

    def cond(c: tuple[Any, Any]) -> Any:
        i, s = c
        return (i < n) & jnp.any(s["status"] == TrackStatus.TRACKING)

    def body(c: tuple[Any, Any]) -> tuple[Any, Any]:
        i, s = c
        s = step(ctl, data, pdata, s)
        s["status"] = jnp.where(
            (s["status"] == TrackStatus.TRACKING) & (s["steps"] >= ctl["max_steps"]),
            TrackStatus.MAX_STEPS,
            s["status"],
        ).astype(jnp.int32)
        return i + 1, s

    _, state = jax.lax.while_loop(cond, body, (jnp.asarray(0), state))
    return state


@functools.cache
def _program(optimize: bool) -> Any:
    """The jitted tracker loop, fully optimized or fast to compile.

    Small batches are compile-bound (tests, monodromy loops): XLA's backend optimization level 0
    compiles about 3x faster for ~1.5x slower steps. Large batches are run-bound: full
    optimization.
    """
    options = dict(codegen_options())
    if not optimize:
        options["xla_backend_optimization_level"] = 0
    return jax.jit(_advance_impl, static_argnums=(0, 1), compiler_options=options)


#: Batches of at least this many paths use the fully optimized program.
OPTIMIZE_FROM = 256


def controls(opts: TrackerOptions) -> dict[str, float]:
    """The traced step controls of ``opts`` (everything but the number of Newton iterations)."""
    return {
        "max_step": opts.max_step,
        "min_step": opts.min_step,
        "predictor_tol": opts.predictor_tol,
        "max_correction": opts.max_correction,
        "newton_tol": opts.newton_tol,
        "max_steps": opts.max_steps,
    }


def _advance(
    fn: HomotopyFn,
    opts: TrackerOptions | tuple[tuple[int, str], dict[str, Any]],
    data: Any,
    pdata: Any,
    state: Any,
    n: Any,
    optimize: bool | None = None,
    traced: threading.Event | None = None,
) -> Any:
    """Run ``n`` iterations; ``opts``: a preset, or its ``program`` and per-lane controls.

    ``optimize``: full XLA optimization (default: for batches of at least ``OPTIMIZE_FROM``).
    ``traced``: set once the program is traced and lowered, before it compiles (see
    :meth:`LanePool.compile`).
    """
    size = state["X"].shape[0]
    if optimize is None:
        optimize = size >= OPTIMIZE_FROM
    run = _program(optimize)
    # Only the number of Newton iterations and the predictor shape the program; the other
    # controls are traced, so presets that share those (e.g. the conservative re-tracking) reuse
    # one compiled program.
    ctl: dict[str, Any]
    if isinstance(opts, TrackerOptions):
        program = opts.program
        ctl = {k: jnp.full(size, v) for k, v in controls(opts).items()}
    else:
        program, ctl = opts
    with on_host() as host:
        if host is not None:
            ctl, data, pdata, state = jax.device_put((ctl, data, pdata, state), host)
        if traced is not None:
            try:  # jit keeps the trace and the lowering: the call below only compiles
                run.trace(fn, program, ctl, data, pdata, state, n).lower()
            finally:
                traced.set()
        if (isinstance(n, int) and n == 0) or not solve_may_split(size, state["X"].shape[1]):
            return run(fn, program, ctl, data, pdata, state, n)
        _acquire(_SPLITTING)  # see _SPLITTING; held until the program's results are ready
        try:
            return jax.block_until_ready(run(fn, program, ctl, data, pdata, state, n))
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


#: Seconds one call of a compiled program may last: a call runs to its end (XLA cannot be
#: stopped), so the iterations of the next call are as many as the last calls' pace allows in
#: this time, and in the time left before the deadline.
CALL_SECONDS = 0.5


class _Pace:
    """Seconds per iteration of a caller's recent calls, and the iterations its next call gets."""

    def __init__(self) -> None:
        self.per_iteration = 0.0  # unknown until a call has run
        self._start = 0.0

    def iterations(self, n: int, deadline: float | None) -> int:
        """At most ``n``, as many as fit in ``CALL_SECONDS`` and before ``deadline`` (at least
        one while there is time left; zero once the deadline has passed)."""
        self._start = time.monotonic()
        if deadline is not None and self._start > deadline:
            return 0
        if self.per_iteration > 0:
            left = CALL_SECONDS if deadline is None else min(CALL_SECONDS, deadline - self._start)
            n = max(1, min(n, int(left / self.per_iteration)))
        return n

    def record(self, n: int) -> None:
        """Time the call of ``n`` iterations that started with :meth:`iterations`."""
        if n > 0:
            # A faster pace is taken at once (the first call compiles: its pace is far too
            # slow), a slower one half-way.
            per = (time.monotonic() - self._start) / n
            slower = self.per_iteration and per > self.per_iteration
            self.per_iteration = 0.5 * (self.per_iteration + per) if slower else per


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
) -> Segment:
    """Track paths of ``H`` from ``t0`` down to ``t1`` (per path, ``t0 >= t1``).

    ``max_iterations`` caps the batched loop (paths still moving keep status ``TRACKING``).
    ``size`` pads the batch to exactly that many lanes (default: :func:`bucket`), so callers can
    reuse one compiled program for batches of different sizes.

    Parameters
    ----------
    X0 : (B, N) complex array
        Start points, solutions of ``H(., t0)``.
    deadline : float, optional
        ``time.monotonic()`` value after which tracking stops; paths still moving are reported
        with status ``MAX_STEPS`` (so a solve never hangs).

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
    t0a = np.broadcast_to(np.asarray(t0, dtype=float), (B,)).copy()
    t1a = np.broadcast_to(np.asarray(t1, dtype=float), (B,)).copy()
    status = np.where(t0a <= t1a, TrackStatus.DONE, TrackStatus.TRACKING).astype(np.int32)
    state: dict[str, Any] = {
        "X": jnp.asarray(_pad(X0, width)),
        "k": jnp.zeros((width, X0.shape[1]), complex),
        "t": jnp.asarray(_pad(t0a, width)),
        **_no_previous(width, X0.shape[1], _pad(t0a, width)),
        "h": jnp.asarray(np.full(width, min(opts.max_step, 0.05))),
        "t1": jnp.asarray(_pad(t1a, width)),
        "status": jnp.asarray(np.concatenate([status, np.full(width - B, 1, np.int32)])),
        "steps": jnp.zeros(width, dtype=jnp.int32),
        "rejected": jnp.zeros(width, dtype=jnp.int32),
    }
    pdata = jax.tree_util.tree_map(
        lambda v: (
            jnp.asarray(_pad(np.broadcast_to(np.asarray(v), (B,) + v.shape[-1:]), width))
            if np.ndim(v) >= 1
            else v
        ),
        H.pdata,
    )
    kept = {f.name for f in dataclasses.fields(Segment)}  # the state entries a caller gets
    out = {k: np.array(np.asarray(v)[:B]) for k, v in state.items() if k in kept}
    lanes = np.arange(B)  # original path held by each real lane
    done_iters = 0
    pace = _Pace()
    while max_iterations is None or done_iters < max_iterations:
        # Large batches check in often, so finished paths stop costing lanes early.
        step_chunk = chunk if width < COMPACT_FROM else min(chunk, COMPACT_CHUNK)
        n = step_chunk if max_iterations is None else min(step_chunk, max_iterations - done_iters)
        n = pace.iterations(n, deadline)
        call = _WORKERS.submit(_advance, H.fn, opts, H.data, pdata, state, n)
        if n == 0 or not wait_all([call], deadline):
            # The deadline passed (before or during the call): paths still moving stop where
            # they were.
            state["status"] = jnp.where(
                state["status"] == TrackStatus.TRACKING, TrackStatus.MAX_STEPS, state["status"]
            )
            break
        state = call.result()
        pace.record(n)
        done_iters += n
        st = np.asarray(state["status"])[: lanes.size]
        moving = st == TrackStatus.TRACKING
        if not np.any(moving):
            break
        if width >= COMPACT_FROM and moving.sum() <= width // 2:
            # Lockstep cost is per lane: move the stragglers into a smaller batch.
            _write_back(out, state, lanes)
            keep = np.nonzero(moving)[0]
            width = bucket(keep.size)  # powers of two: compiled once, reused by later solves
            state = {k: _take(v, keep, width) for k, v in state.items()}
            pdata = {k: _take(v, keep, width) if np.ndim(v) >= 2 else v for k, v in pdata.items()}
            # padded lanes repeat a moving path: mark them done so they cost nothing extra
            state["status"] = state["status"].at[keep.size :].set(TrackStatus.DONE)
            lanes = lanes[keep]
    _write_back(out, state, lanes)
    return Segment(
        X=out["X"], t=out["t"], status=out["status"], steps=out["steps"], rejected=out["rejected"]
    )


#: Batches at least this large are compacted (to the next power of two) when half their paths
#: are done, checking every ``COMPACT_CHUNK`` iterations: most paths finish in a few dozen steps
#: and a few need hundreds, so a lockstep batch would otherwise run mostly idle lanes.
COMPACT_FROM = 16
COMPACT_CHUNK = 20


def _take(v: Any, keep: np.ndarray, size: int) -> jax.Array:
    return jnp.asarray(_pad(np.asarray(v)[keep], size))


def _write_back(out: dict[str, np.ndarray], state: dict[str, Any], lanes: np.ndarray) -> None:
    for k in out:
        out[k][lanes] = np.asarray(state[k])[: lanes.size]


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
    tt = np.full(size, float(t))
    state: dict[str, Any] = {
        "X": jnp.asarray(_pad(np.asarray(X, dtype=complex), size)),
        "k": jnp.zeros((size, X.shape[1]), complex),
        "t": jnp.asarray(tt),
        **_no_previous(size, X.shape[1], tt),
        "h": jnp.asarray(np.full(size, min(opts.max_step, 0.05))),
        "t1": jnp.asarray(tt),
        "status": jnp.zeros(size, dtype=jnp.int32),
        "steps": jnp.zeros(size, dtype=jnp.int32),
        "rejected": jnp.zeros(size, dtype=jnp.int32),
    }
    pdata = jax.tree_util.tree_map(
        lambda v: jnp.asarray(_pad(np.broadcast_to(np.asarray(v), (B,) + v.shape[-1:]), size)),
        H.pdata,
    )
    call = _WORKERS.submit(_advance, H.fn, opts, H.data, pdata, state, 1)
    wait_all([call])
    state = call.result()
    ok = np.asarray(state["status"])[:B] == TrackStatus.DONE
    return np.asarray(state["X"])[:B], ok


def check_budget(deadline: float | None, what: str) -> None:
    """Raise :class:`BudgetExceededError` when ``deadline`` has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceededError(
            f"{what} ran past its time budget. Fix: raise time_limit=..., or simplify the system"
        )


def cores() -> int:
    """Cores this process may run on (a container's or ``taskset``'s limit, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------- running programs
#
# Every compiled program runs on a worker thread, and the caller waits in Python, in short
# slices: Ctrl-C (raised between Python bytecodes of the main thread, never inside XLA's wait for
# a result) and deadlines reach it within a slice, a worker's exception is raised in the caller,
# and a call cut short by its deadline is abandoned (it runs on to its end, its result unused).


class _Workers:
    """Daemon threads that run calls and return futures; a thread per call in flight (grown on
    demand, reused). Daemon: an abandoned call never holds up the interpreter's exit (the
    standard executor joins its threads at exit)."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Any, tuple]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._idle = 0
        self.busy = 0  # calls submitted and not yet ended
        self.interrupted = False  # a caller's wait ended by Ctrl-C
        self.exit_code: int | None = None  # the command's own, set by the command line

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            start = self._idle == 0
            self._idle -= 0 if start else 1
            self.busy += 1
        if start:
            threading.Thread(target=self._work, name="nag-worker", daemon=True).start()
        self._tasks.put((future, fn, args))
        return future

    def _work(self) -> None:
        while True:
            future, fn, args = self._tasks.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as e:  # raised in the caller, by wait_all
                    future.set_exception(e)
            del future, fn, args  # an idle thread holds no result
            with self._lock:
                self._idle += 1
                self.busy -= 1


_WORKERS = _Workers()
#: Seconds between two looks of a waiting caller at its deadline (and at Ctrl-C).
WAIT_SLICE = 0.05
#: Seconds the interpreter's exit waits for calls still running (abandoned, or cut by Ctrl-C).
EXIT_WAIT = 2.0


@atexit.register
def _drain() -> None:
    """At exit, wait for calls still running, then leave at once if some never end.

    A daemon thread that comes back from XLA while the interpreter finalizes is unwound through
    XLA's C++ frames, which aborts the process ("FATAL: exception not rethrown"): calls end
    within ``CALL_SECONDS``, so the exit waits for them; a compile that outlasts
    ``EXIT_WAIT`` (or a call that never ends) leaves by ``os._exit``, 130 after Ctrl-C.
    """
    end = time.monotonic() + EXIT_WAIT
    while _WORKERS.busy and time.monotonic() < end:
        time.sleep(WAIT_SLICE)
    if _WORKERS.busy:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        code = _WORKERS.exit_code
        os._exit(code if code is not None else 130 if _WORKERS.interrupted else 1)


def set_exit_code(code: int) -> None:
    """The exit code of this process should it end with calls still running (abandoned by a
    search's time limit): the command line's own (0 ok, 3 partial, …), not 1."""
    _WORKERS.exit_code = code


def wait_all(
    futures: Iterable[concurrent.futures.Future[Any]], deadline: float | None = None
) -> bool:
    """Wait for ``futures`` in slices of ``WAIT_SLICE``; ``False`` as soon as ``deadline``
    (``time.monotonic()``) passes (the calls run on, abandoned). A call's exception is raised
    here, in the caller."""
    pending = set(futures)
    while pending:
        if deadline is not None and time.monotonic() > deadline:
            return False
        try:
            done, pending = concurrent.futures.wait(
                pending, timeout=WAIT_SLICE, return_when=concurrent.futures.FIRST_EXCEPTION
            )
        except KeyboardInterrupt:
            _WORKERS.interrupted = True
            raise
        for f in done:
            error = f.exception()
            if error is not None:
                raise error
    return True


def wait_event(event: threading.Event, deadline: float | None = None) -> bool:
    """Wait for ``event`` in slices (see :func:`wait_all`); ``False`` when ``deadline`` passes."""
    try:
        while not event.wait(WAIT_SLICE):
            if deadline is not None and time.monotonic() > deadline:
                return False
    except KeyboardInterrupt:
        _WORKERS.interrupted = True
        raise
    return True


def in_background(fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
    """Run ``fn(*args)`` on a worker thread; its future (wait for it with :func:`wait_all`)."""
    return _WORKERS.submit(fn, *args)


#: Work (flops) from which jaxlib's batched LAPACK kernels (the LU and triangular solves behind
#: ``jnp.linalg.solve``) split a batch across XLA's intra-op pool, a complex n x n LU counted as
#: 3 n^3 (``GetLapackBatchChunkSize`` in jaxlib's ``lapack_kernels.cc``).
LAPACK_SPLIT_WORK = 200_000


def solve_may_split(lanes: int, n: int) -> bool:
    """Whether the tracker's solve of ``lanes`` complex ``n x n`` systems may split across XLA's
    intra-op pool (see :data:`_SPLITTING`)."""
    return cores() > 1 and 3 * n**3 * lanes >= LAPACK_SPLIT_WORK


#: XLA's intra-op pool has a thread per core. A split solve waits for its pieces; when it runs
#: on a pool thread itself (the program went on there after an asynchronous dot), that thread
#: waits for pieces queued on the pool. Two such programs at once on a pool of two threads each
#: held a thread and waited for pieces only the other could run: a deadlock
#: (``mlp 2-3-2-3-4 x^2``, witness set: 31 unknowns, two parts of 64 lanes on 2 cores). Programs
#: whose solve may split run at most ``cores() - 1`` at a time: a pool thread is always free.
_SPLITTING = threading.BoundedSemaphore(max(1, cores() - 1))


def _acquire(lock: threading.Semaphore) -> None:
    while not lock.acquire(timeout=WAIT_SLICE):  # in slices: Ctrl-C reaches a waiting caller
        pass


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
        self.state: dict[str, np.ndarray] = {}
        self.pdata: dict[str, np.ndarray] = {}
        self.ctl: dict[str, np.ndarray] = {}
        self.tag = np.zeros(0, dtype=np.int64)  # caller's label per lane; -1 when idle
        self.program: tuple[int, str] | None = None  # fixed by the first load
        self._tail_program: tuple[int, str] | None = None
        self.tail_width = tail_width
        self._tail: concurrent.futures.Future[Any] | None = None  # the tail's compile
        self.pace = _Pace()
        self._grow(pool_width(width, max_width))

    def _blank(self, extra: int) -> tuple[dict[str, np.ndarray], ...]:
        state = {
            "X": np.ones((extra, self.n_unknowns), complex),
            "k": np.zeros((extra, self.n_unknowns), complex),
            "t": np.zeros(extra),
            **_no_previous(extra, self.n_unknowns, np.zeros(extra)),
            "h": np.full(extra, 0.05),
            "t1": np.zeros(extra),
            "status": np.full(extra, TrackStatus.DONE, np.int32),
            "steps": np.zeros(extra, np.int32),
            "rejected": np.zeros(extra, np.int32),
        }
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
        for have, add in ((self.state, blank), (self.ctl, ctl), (self.pdata, pdata)):
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
        for have in (self.state, self.ctl, self.pdata):
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
        st["X"][lanes] = X0[:k]
        st["t"][lanes] = 1.0
        st["tp"][lanes] = 1.0  # tp = t: no previous points
        st["t1"][lanes] = 0.0
        st["h"][lanes] = min(options.max_step, 0.05)
        st["status"][lanes] = TrackStatus.TRACKING
        st["steps"][lanes] = st["rejected"][lanes] = 0
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
                {k: v[c] for k, v in self.state.items()},
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
            for k, v in call.result().items():
                self.state[k][c] = v
        self.pace.record(n)
        tail = self.tail_width
        if self._tail is None and tail is not None and tail < self.max_width:
            self._tail_program = self.program or TrackerOptions().program
            self._tail = in_background(self.compile, tail, self._tail_program)
        return True

    def _run(
        self, state: dict[str, Any], ctl: dict[str, Any], pdata: dict[str, Any], n: int
    ) -> dict[str, np.ndarray]:
        # numpy arrays go to the compiled program as they are: jnp.asarray on each (17 per call)
        # dispatched one small program apiece, ~0.3 ms each (2 s of a 25 s search).
        program = self.program or TrackerOptions().program
        out = _advance(self.fn, (program, ctl), self.data, pdata, state, n, self.optimize)
        return {k: np.array(v) for k, v in out.items()}

    def finished(self) -> np.ndarray:
        """Busy lanes whose path has ended (any status but ``TRACKING``)."""
        return np.nonzero((self.tag >= 0) & (self.state["status"] != TrackStatus.TRACKING))[0]

    def release(self, lanes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(tags, X, status, steps)`` of ``lanes``, which become idle."""
        out = (
            self.tag[lanes].copy(),
            self.state["X"][lanes].copy(),
            self.state["status"][lanes].copy(),
            self.state["steps"][lanes].copy(),
        )
        self.tag[lanes] = -1
        self.state["status"][lanes] = TrackStatus.DONE
        return out

    def stop_all(self) -> np.ndarray:
        """Mark every path still tracking as ``MAX_STEPS`` (a deadline passed); their lanes."""
        moving = np.nonzero((self.tag >= 0) & (self.state["status"] == TrackStatus.TRACKING))[0]
        self.state["status"][moving] = TrackStatus.MAX_STEPS
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
                X0[rows], {key: v[rows] for key, v in pdata.items()}, np.arange(B)[rows], opts
            )
        if start >= B:
            pool.shrink()  # nothing left to load: the stragglers alone
        if not pool.advance(chunk if start < B else 8 * chunk, deadline):
            pool.stop_all()  # the deadline passed: paths still moving stop where they were
            start = B
        tags, Xe, st, _ = pool.release(pool.finished())
        X[tags], status[tags] = Xe, st
    return X, status
