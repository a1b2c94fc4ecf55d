"""Running batches of paths: track, finish (directly or by the endgame), classify, retry.

Each path is tracked to ``t = 0.1`` by the batched tracker, then either reaches ``t = 0`` directly
with a well-conditioned Jacobian (regular endpoint) or is finished by the power-series endgame and
refined by Newton when regular; then it is classified (``success``, ``singular``, ``at_infinity``,
``failed``). :func:`execute` runs all paths of a homotopy and re-tracks the failed and jumped ones
(see there). Used by :mod:`.solve` (every start system), :mod:`.endpoints` (moving points along
components) and the monodromy route.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

import jax.numpy as jnp
import numpy as np

from .endgame import EndgameOptions, EndgameResult, power_series_endgame
from .homotopy import Homotopy, random_patch
from .numerics import complex_gaussian
from .points import cluster, condition_numbers
from .result import PathStatus
from .system import System, evaluate_batch
from .tracker import TrackerOptions, TrackStatus, bucket, newton, track

#: Affine norm above which an endpoint is "at infinity" (|x0| / |X| below its inverse).
INFINITY_NORM = 1e8
#: Condition number of the Jacobian above which a finite endpoint is called singular.
SINGULAR_CONDITION = 1e10
#: Endpoints reached directly (no endgame) count as regular only below this condition number.
REGULAR_CONDITION = 1e8
#: Iteration cap of the direct attempt from the endgame's start to t = 0.
DIRECT = 60
#: Largest batch the endgame runs at once (its pieces are padded to one compiled size).
ENDGAME_BATCH = 64


@dataclass(frozen=True)
class Batch:
    """Per-path arrays of a run (filled in place by the stages)."""

    X: np.ndarray
    status: list[PathStatus]
    reason: list[str]
    winding: np.ndarray
    steps: np.ndarray
    rejected: np.ndarray
    condition: np.ndarray
    residual: np.ndarray
    accuracy: np.ndarray
    last: np.ndarray  # last tracked sample (not extrapolated): Newton starts there


@dataclass(frozen=True)
class Job:
    """What every stage of a solve needs: the homotopy, the system, targets, controls, budget."""

    H: Homotopy
    system: System
    p_target: np.ndarray  # (B, k): target parameters of each path
    opts: TrackerOptions
    eg: EndgameOptions
    deadline: float

    def part(self, idx: np.ndarray, **changes: Any) -> Job:
        """The same job restricted to the paths ``idx``."""
        return replace(self, H=subset(self.H, idx), p_target=self.p_target[idx], **changes)


def _seed(seed: int | None) -> int:
    return int(secrets.randbelow(2**31)) if seed is None else int(seed)


def _tracker_options(tracker: str | TrackerOptions) -> TrackerOptions:
    return TrackerOptions.preset(tracker) if isinstance(tracker, str) else tracker


def _residuals(system: System, X: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Max-norm of the scaled homogenized equations at ``X / |X|_inf`` (scale-free)."""
    Xn = X / np.maximum(np.max(np.abs(X), axis=1, keepdims=True), 1e-300)
    F, _ = evaluate_batch(system, Xn, p)
    return np.max(np.abs(F), axis=1)


def _run(job: Job, X0: np.ndarray, size: int | None = None, chord: bool = True) -> Batch:
    """Track, finish (directly or by the endgame), polish and classify a batch of paths.

    ``size``: lanes of the compiled batch (default: the next power of two). ``chord``: chord
    Newton on the way to the endgame's start (:func:`~.tracker.track`); re-tracked paths, the
    hard ones, factor at every Newton iteration, as the finish and the endgame always do.
    """
    H, system, opts, eg, deadline = job.H, job.system, job.opts, job.eg, job.deadline
    B = X0.shape[0]
    size = bucket(B) if size is None or size < B else size
    seg = track(H, X0, 1.0, eg.start, options=opts, deadline=deadline, size=size, chord=chord)
    b = Batch(
        X=seg.X.copy(),
        status=[PathStatus.FAILED] * B,
        reason=[""] * B,
        winding=np.zeros(B, int),
        steps=seg.steps.astype(int).copy(),
        rejected=seg.rejected.astype(int).copy(),
        condition=np.full(B, np.inf),
        residual=np.full(B, np.inf),
        accuracy=np.full(B, np.nan),
        last=seg.X.copy(),
    )
    alive = seg.status == TrackStatus.DONE
    for i in np.nonzero(~alive)[0]:
        b.reason[i] = _track_reason(int(seg.status[i]), float(seg.t[i]), deadline)
    # Most endpoints are regular: try to reach t = 0 directly with a small iteration cap; a path
    # that gets there with a well-conditioned Jacobian needs no endgame.
    idx = np.nonzero(alive)[0]
    if idx.size:
        direct = track(
            subset(H, idx),
            b.X[idx],
            eg.start,
            0.0,
            options=opts,
            deadline=deadline,
            max_iterations=DIRECT,
            size=size,
        )
        b.steps[idx] += direct.steps
        cond = condition_numbers(system, direct.X, job.p_target[idx], np.asarray(H.data["a"]))
        ok = (direct.status == TrackStatus.DONE) & (cond < REGULAR_CONDITION)
        for j in np.nonzero(ok)[0]:
            i = idx[j]
            b.X[i], b.condition[i], b.accuracy[i], b.winding[i] = direct.X[j], cond[j], 0.0, 1
            b.last[i] = direct.X[j]
            x0, big = abs(b.X[i, 0]), np.linalg.norm(b.X[i, 1:])
            at_inf = x0 * INFINITY_NORM < big
            b.status[i] = PathStatus.AT_INFINITY if at_inf else PathStatus.SUCCESS
        b.residual[idx[ok]] = _residuals(system, b.X[idx[ok]], job.p_target[idx[ok]])
        idx = idx[~ok]
    # The endgame runs in pieces of at most ENDGAME_BATCH paths, padded to one size, so that
    # whatever number of paths needs it, at most one more program is compiled.
    eg_size = min(size, ENDGAME_BATCH)
    for lo in range(0, idx.size, eg_size):
        _endgame_piece(job, idx[lo : lo + eg_size], eg_size, b)
    return b


def _endgame_piece(job: Job, idx: np.ndarray, size: int, b: Batch) -> None:
    """Endgame, polish and classify the paths ``idx`` of ``b`` (updated in place)."""
    sub = subset(job.H, idx)
    X = b.X
    res = power_series_endgame(
        sub, X[idx], options=job.eg, tracker=job.opts, deadline=job.deadline, size=size
    )
    b.steps[idx] += res.steps
    b.winding[idx] = res.winding
    b.accuracy[idx] = res.accuracy
    b.last[idx] = res.last
    valuation = res.valuation.copy()
    unsure = np.nonzero(res.failed & ~np.isfinite(valuation))[0]
    if unsure.size:
        valuation[unsure] = _valuation_probe(job, subset(sub, unsure), res, unsure, size)
    # Regular endpoints: polish with Newton at t = 0; singular ones keep the extrapolation.
    Xr, polished = newton(sub, res.X, 0.0, options=job.opts, size=size)
    regular = res.converged & (res.winding == 1) & polished
    X[idx] = np.where(regular[:, None], Xr, res.X)
    a = np.asarray(job.H.data["a"])
    b.condition[idx] = condition_numbers(job.system, X[idx], job.p_target[idx], a)
    b.residual[idx] = _residuals(job.system, X[idx], job.p_target[idx])
    for j, i in enumerate(idx):
        x0 = abs(X[i, 0])
        big = np.linalg.norm(X[i, 1:])
        v = valuation[j]
        diverging = np.isfinite(v) and v > 0.02 and x0 < 0.1 * big
        if res.failed[j] and diverging:
            b.status[i] = PathStatus.AT_INFINITY  # |x0| ~ t^v, v > 0, until tracking stopped
        elif res.failed[j]:
            b.reason[i] = f"tracking failed in the endgame near t = {res.t_last[j]:.1e}"
        elif x0 * INFINITY_NORM < big:
            b.status[i] = PathStatus.AT_INFINITY
        elif not res.converged[j]:
            if diverging or x0 * 1e5 < big:
                # still diverging (|x0| ~ t^v, v > 0) when the endgame ran out of t
                b.status[i] = PathStatus.AT_INFINITY
            else:
                b.reason[i] = "endgame did not converge (estimates kept changing to t = 1e-13)"
        elif not np.all(np.isfinite(X[i])):
            b.reason[i] = "non-finite endpoint"
        elif res.winding[j] > 1 or b.condition[i] > SINGULAR_CONDITION:
            b.status[i] = PathStatus.SINGULAR
        else:
            b.status[i] = PathStatus.SUCCESS


#: Steps a valuation probe may take per segment (a stalled path crawls: it stops there).
PROBE_STEPS = 1000


def _valuation_probe(
    job: Job, H: Homotopy, res: EndgameResult, js: np.ndarray, size: int
) -> np.ndarray:
    """The valuation ``v`` of ``|x0| / |X| ~ t^v`` on paths whose endgame tracking failed.

    The endgame reads ``v`` from its samples on ``t_k = 0.1 · 0.3^k`` and needs three of them; a
    path that stalls between two samples leaves two. Here two short segments from the last sample
    (each to 0.8 times its start) give three points close together; ``v`` counts only when both
    segments were completed and the two estimates agree to 5% (the endgame's rule). Cyclic-7's
    total-degree homotopy has 42 such paths: ``|x0| / |X|`` falls like ``t^3.6`` (1e-7 near
    ``t = 0.01``) until the terms of low degree in ``x0`` drop below rounding, the equations turn
    numerically into their leading forms, which meet in a positive-dimensional set at infinity,
    and the tracker stalls near ``t = 4e-3``.
    """
    opts = replace(job.opts, max_steps=PROBE_STEPS)
    t = [np.asarray(res.t_last[js], float)]
    X = [res.last[js]]
    done = np.ones(js.size, bool)
    for _ in range(2):
        seg = track(H, X[-1], t[-1], 0.8 * t[-1], options=opts, deadline=job.deadline, size=size)
        done &= seg.status == TrackStatus.DONE
        t.append(np.asarray(seg.t, float))
        X.append(seg.X)
    h = [np.abs(Y[:, 0]) / np.maximum(np.linalg.norm(Y, axis=1), 1e-300) for Y in X]
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = np.log(h[1] / h[0]) / np.log(t[1] / t[0])
        v2 = np.log(h[2] / h[1]) / np.log(t[2] / t[1])
    stable = done & np.isfinite(v1) & np.isfinite(v2) & (np.abs(v1 - v2) <= 0.05 * np.abs(v2))
    return np.where(stable, v2, np.nan)


def _track_reason(code: int, t: float, deadline: float) -> str:
    if time.monotonic() > deadline:
        return f"time budget exhausted at t = {t:.2e}"
    if code == TrackStatus.STEP_TOO_SMALL:
        return f"step size below the minimum at t = {t:.2e}"
    if code == TrackStatus.MAX_STEPS:
        return f"step budget (max_steps) exhausted at t = {t:.2e}"
    if code == TrackStatus.NONFINITE:
        return f"non-finite values at t = {t:.2e}"
    return f"tracking stopped at t = {t:.2e}"


def subset(H: Homotopy, idx: np.ndarray) -> Homotopy:
    pdata = {k: (v[idx] if np.ndim(v) == 2 else v) for k, v in H.pdata.items()}
    return replace(H, pdata=pdata)


def merge(a: Batch, b: Batch, idx: np.ndarray) -> Batch:
    def put(x: Any, y: Any) -> Any:
        x = np.array(x, copy=True)
        x[idx] = y
        return x

    status, reason = list(a.status), list(a.reason)
    for j, i in enumerate(idx):
        status[i], reason[i] = b.status[j], b.reason[j]
    return Batch(
        put(a.X, b.X),
        status,
        reason,
        put(a.winding, b.winding),
        put(a.steps, a.steps[idx] + b.steps),
        put(a.rejected, a.rejected[idx] + b.rejected),
        put(a.condition, b.condition),
        put(a.residual, b.residual),
        put(a.accuracy, b.accuracy),
        put(a.last, b.last),
    )


def _jumped(batch: Batch, dedup_tol: float) -> np.ndarray:
    """Indices of paths that share a non-singular endpoint with another path."""
    ok = np.array([s == PathStatus.SUCCESS for s in batch.status])
    idx = np.nonzero(ok)[0]
    if idx.size < 2:
        return np.zeros(0, int)
    x = batch.X[idx, 1:] / batch.X[idx, :1]
    labels = cluster(x, dedup_tol)
    counts = np.bincount(labels)
    return idx[counts[labels] > 1]


def execute(
    job: Job, X0: np.ndarray, dedup_tol: float, batch_size: int, *, check_jumps: bool = True
) -> tuple[Batch, np.ndarray]:
    """Run all paths in batches, then re-track failed and jumped paths until none is lost.

    The retries, each on what the previous left failed: the ``conservative`` preset (four times
    the step budget); tighter tolerances (steps of at most 0.005, predictor tolerance 1e-9,
    sixteen times the budget); a new random projective patch (the same path in ``P^n``, so the
    same endpoint, in other affine coordinates: a path can fail where the chart is bad); for the
    total-degree homotopy another ``gamma``, for a parameter homotopy another bend
    (:func:`_another_route`). Paths still sharing a regular endpoint afterwards are left to
    :func:`classify`, which tells nearby distinct roots (certified apart) from path jumping.
    ``check_jumps=False``: paths may legitimately meet (witness points of one component), only
    failed ones are re-tracked, and never on another route (which end is whose matters there).
    """
    parts = []
    for lo in range(0, X0.shape[0], batch_size):
        sl = np.arange(lo, min(lo + batch_size, X0.shape[0]))
        parts.append(_run(job.part(sl), X0[sl]))
    batch = concat(parts)
    retracked = np.zeros(X0.shape[0], bool)
    jumped = _jumped(batch, dedup_tol) if check_jumps else np.zeros(0, int)
    redo = np.union1d(_failed(batch), jumped).astype(int)
    # In pieces of the endgame's size: the programs compiled for it are reused.
    piece = min(bucket(min(X0.shape[0], batch_size)), ENDGAME_BATCH)
    careful = TrackerOptions.preset("conservative")
    # Smaller steps need more of them: the step budget grows with the preset, bounded by the
    # caller's own budget times four, then sixteen for the tighter retries.
    tight = replace(careful, max_step=0.005, predictor_tol=1e-9, max_steps=16 * job.opts.max_steps)
    rng = np.random.default_rng([X0.shape[0], redo.size])  # only genericity matters here
    a = random_patch(rng, X0.shape[1])
    retries = (
        (job, replace(careful, max_steps=4 * job.opts.max_steps), X0),
        (job, tight, X0),
        (replace(job, H=replace(job.H, data={**job.H.data, "a": jnp.asarray(a)})), tight, X0),
    )
    for k, (base, opts, starts) in enumerate(retries):
        if k:  # later retries: only the paths that failed again
            redo = np.intersect1d(redo, _failed(batch))
        if not redo.size or time.monotonic() >= job.deadline:
            break
        starts = starts / (starts @ np.asarray(base.H.data["a"]))[:, None]  # onto the patch
        for lo in range(0, redo.size, piece):
            sl = redo[lo : lo + piece]
            again = _run(base.part(sl, opts=opts), starts[sl], size=piece, chord=False)
            batch = merge(batch, again, sl)
        retracked[redo] = True
    redo = np.intersect1d(redo, _failed(batch))
    other = _rerouted(job.H, rng) if check_jumps else None
    if redo.size and other is not None and time.monotonic() < job.deadline:
        batch = _another_route(replace(job, H=other), X0, batch, redo, tight, piece, dedup_tol)
    return batch, retracked


def _failed(batch: Batch) -> np.ndarray:
    return np.nonzero([s == PathStatus.FAILED for s in batch.status])[0]


def _rerouted(H: Homotopy, rng: np.random.Generator) -> Homotopy | None:
    """``H`` with another ``gamma`` (total degree) or another random bend (parameter homotopy);
    ``None`` for other homotopies (the polyhedral cell homotopies have no such freedom)."""
    if "gamma" in H.data:
        gamma = np.exp(2j * np.pi * rng.uniform())
        return replace(H, data={**H.data, "gamma": jnp.asarray(gamma)})
    if {"p0", "p1", "c"} <= set(H.pdata):
        p0, p1 = np.asarray(H.pdata["p0"]), np.asarray(H.pdata["p1"])
        size = np.max(np.abs(p0 - p1), axis=-1, keepdims=True)
        c = size * complex_gaussian(rng, np.shape(H.pdata["c"]))
        return replace(H, pdata={**H.pdata, "c": jnp.asarray(c, dtype=complex)})
    return None


def _another_route(
    job: Job,
    X0: np.ndarray,
    batch: Batch,
    redo: np.ndarray,
    opts: TrackerOptions,
    piece: int,
    dedup_tol: float,
) -> Batch:
    """Re-track the failed start points ``redo`` on ``job`` (another route from the same start
    points: :func:`_rerouted`); keep the new solutions.

    Another route may take a path to another sheet: it may end at another path's endpoint while
    the solution the failed path was bound for stays unseen. But for a generic ``gamma``, or a
    generic bend from a complete generic fiber, every regular solution is the end of exactly one
    path (Bézout's count, the parameter homotopy's bijection), so a regular endpoint that no
    other path reached is one the failed paths were bound for: it is kept (``success``, its
    reason says how it was found). Anything else stays ``failed``. (From an incomplete set of
    start solutions a kept endpoint is still a regular solution no other path reached.)
    """
    # (point, tolerance) of every endpoint found: singular ones are extrapolated, less accurate
    seen = [
        (
            batch.X[i, 1:] / batch.X[i, 0],
            dedup_tol if s == PathStatus.SUCCESS else max(dedup_tol, 1e-4),
        )
        for i, s in enumerate(batch.status)
        if s in (PathStatus.SUCCESS, PathStatus.SINGULAR)
    ]
    for lo in range(0, redo.size, piece):
        sl = redo[lo : lo + piece]
        again = _run(job.part(sl, opts=opts), X0[sl], size=piece, chord=False)
        keep = []
        for j, i in enumerate(sl):
            with np.errstate(all="ignore"):
                x = again.X[j, 1:] / again.X[j, 0]
            if again.status[j] != PathStatus.SUCCESS or not np.all(np.isfinite(x)):
                batch.reason[i] += f"; on another route: {again.status[j].value}"
            elif any(_near(x, y, tol) for y, tol in seen):
                batch.reason[i] += "; on another route: ended at a solution already found"
            else:
                seen.append((x, dedup_tol))
                keep.append(j)
        if keep:
            pick = np.array(keep)
            found = merge(batch, take(again, pick), sl[pick])
            for i in sl[pick]:
                found.reason[i] = "found on another route (another gamma or bend; the first failed)"
            batch = found
    return batch


def _near(x: np.ndarray, y: np.ndarray, tol: float) -> bool:
    """The deduplication rule of :func:`~neurovariety.nag.points.cluster`, for one pair."""
    return bool(np.max(np.abs(x - y)) <= tol * max(1.0, float(np.max(np.abs(x)))))


def take(batch: Batch, idx: np.ndarray) -> Batch:
    """The paths ``idx`` of ``batch``."""
    return Batch(
        batch.X[idx],
        [batch.status[i] for i in idx],
        [batch.reason[i] for i in idx],
        *(getattr(batch, f)[idx] for f in ARRAYS),
    )


def concat(parts: list[Batch]) -> Batch:
    if len(parts) == 1:
        return parts[0]
    return Batch(
        np.concatenate([p.X for p in parts]),
        sum((p.status for p in parts), []),
        sum((p.reason for p in parts), []),
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ARRAYS),
    )


ARRAYS = ("winding", "steps", "rejected", "condition", "residual", "accuracy", "last")
