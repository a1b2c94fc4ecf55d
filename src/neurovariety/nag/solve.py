"""``solve`` (total-degree or polyhedral homotopy) and ``solve_many`` (parameter homotopy).

Each path is tracked to ``t = 0.1`` by the batched tracker, then either reaches ``t = 0`` directly
with a well-conditioned Jacobian (regular endpoint) or is finished by the power-series endgame and
refined by Newton when regular; then it is classified (``success``, ``singular``, ``at_infinity``,
``failed``). Failed paths, and paths that meet another path at a non-singular solution (path
jumping), are re-tracked with the ``conservative`` preset (four times the step budget), what
failed again once more with tighter tolerances, before being reported. The polyhedral homotopy
(Huber & Sturmfels) tracks two stages, cell homotopies to a random-coefficient system and a
coefficient-parameter homotopy to the target, through the same stages. Every call has a
wall-clock budget (``time_limit``) and a step budget per path (``TrackerOptions.max_steps``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import BudgetExceededError, PolynomialSystemError
from ..results import Verdict
from .endgame import EndgameOptions, power_series_endgame
from .homotopy import (
    Homotopy,
    parameter_homotopy,
    polyhedral_homotopy,
    random_patch,
    to_patch,
    total_degree_homotopy,
)
from .local_dimension import (
    MAX_COLUMNS,
    component_point,
    local_dimension,
    newton_affine,
    slice_system,
)
from .numerics import complex_gaussian
from .points import cluster, condition_numbers
from .polyhedral import PolyhedralStart, polyhedral_start
from .result import Component, PathResult, PathStatus, SolveResult
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
class _Batch:
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
class _Job:
    """What every stage of a solve needs: the homotopy, the system, targets, controls, budget."""

    H: Homotopy
    system: System
    p_target: np.ndarray  # (B, k): target parameters of each path
    opts: TrackerOptions
    eg: EndgameOptions
    deadline: float

    def part(self, idx: np.ndarray, **changes: Any) -> _Job:
        """The same job restricted to the paths ``idx``."""
        return replace(self, H=_subset(self.H, idx), p_target=self.p_target[idx], **changes)


def _seed(seed: int | None) -> int:
    return int(secrets.randbelow(2**31)) if seed is None else int(seed)


def _tracker_options(tracker: str | TrackerOptions) -> TrackerOptions:
    return TrackerOptions.preset(tracker) if isinstance(tracker, str) else tracker


def _residuals(system: System, X: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Max-norm of the scaled homogenized equations at ``X / |X|_inf`` (scale-free)."""
    Xn = X / np.maximum(np.max(np.abs(X), axis=1, keepdims=True), 1e-300)
    F, _ = evaluate_batch(system, Xn, p)
    return np.max(np.abs(F), axis=1)


def _run(job: _Job, X0: np.ndarray, size: int | None = None) -> _Batch:
    """Track, finish (directly or by the endgame), polish and classify a batch of paths.

    ``size``: lanes of the compiled batch (default: the next power of two).
    """
    H, system, opts, eg, deadline = job.H, job.system, job.opts, job.eg, job.deadline
    B = X0.shape[0]
    size = bucket(B) if size is None or size < B else size
    seg = track(H, X0, 1.0, eg.start, options=opts, deadline=deadline, size=size)
    b = _Batch(
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
            _subset(H, idx),
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


def _endgame_piece(job: _Job, idx: np.ndarray, size: int, b: _Batch) -> None:
    """Endgame, polish and classify the paths ``idx`` of ``b`` (updated in place)."""
    sub = _subset(job.H, idx)
    X = b.X
    res = power_series_endgame(
        sub, X[idx], options=job.eg, tracker=job.opts, deadline=job.deadline, size=size
    )
    b.steps[idx] += res.steps
    b.winding[idx] = res.winding
    b.accuracy[idx] = res.accuracy
    b.last[idx] = res.last
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
        v = res.valuation[j]
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


def _subset(H: Homotopy, idx: np.ndarray) -> Homotopy:
    pdata = {k: (v[idx] if np.ndim(v) == 2 else v) for k, v in H.pdata.items()}
    return replace(H, pdata=pdata)


def _merge(a: _Batch, b: _Batch, idx: np.ndarray) -> _Batch:
    def put(x: Any, y: Any) -> Any:
        x = np.array(x, copy=True)
        x[idx] = y
        return x

    status, reason = list(a.status), list(a.reason)
    for j, i in enumerate(idx):
        status[i], reason[i] = b.status[j], b.reason[j]
    return _Batch(
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


def _jumped(batch: _Batch, dedup_tol: float) -> np.ndarray:
    """Indices of paths that share a non-singular endpoint with another path."""
    ok = np.array([s == PathStatus.SUCCESS for s in batch.status])
    idx = np.nonzero(ok)[0]
    if idx.size < 2:
        return np.zeros(0, int)
    x = batch.X[idx, 1:] / batch.X[idx, :1]
    labels = cluster(x, dedup_tol)
    counts = np.bincount(labels)
    return idx[counts[labels] > 1]


def _execute(
    job: _Job, X0: np.ndarray, dedup_tol: float, batch_size: int, *, check_jumps: bool = True
) -> tuple[_Batch, np.ndarray]:
    """Run all paths in batches, then re-track failed and jumped paths once, conservatively.

    Paths still sharing a regular endpoint afterwards are left to :func:`_classify`, which tells
    nearby distinct roots (certified apart) from path jumping. ``check_jumps=False``: paths may
    legitimately meet (witness points of one component), only failed ones are re-tracked.
    """
    parts = []
    for lo in range(0, X0.shape[0], batch_size):
        sl = np.arange(lo, min(lo + batch_size, X0.shape[0]))
        parts.append(_run(job.part(sl), X0[sl]))
    batch = _concat(parts)
    retracked = np.zeros(X0.shape[0], bool)
    jumped = _jumped(batch, dedup_tol) if check_jumps else np.zeros(0, int)
    redo = np.union1d(np.nonzero([s == PathStatus.FAILED for s in batch.status])[0], jumped)
    redo = redo.astype(int)
    # In pieces of the endgame's size: the programs compiled for it are reused.
    piece = min(bucket(min(X0.shape[0], batch_size)), ENDGAME_BATCH)
    careful = TrackerOptions.preset("conservative")
    # Smaller steps need more of them: the step budget grows with the preset, bounded by the
    # caller's own budget times four, then sixteen for the second retry. The homotopy is kept:
    # another gamma would send the path to another endpoint (monodromy), so a solution could be
    # missed while another is found twice.
    retries = (
        replace(careful, max_steps=4 * job.opts.max_steps),
        replace(careful, max_step=0.005, predictor_tol=1e-9, max_steps=16 * job.opts.max_steps),
    )
    for k, opts in enumerate(retries):
        if k:  # the second retry: only the paths that failed again
            redo = redo[[batch.status[i] == PathStatus.FAILED for i in redo]]
        if not redo.size or time.monotonic() >= job.deadline:
            break
        for lo in range(0, redo.size, piece):
            sl = redo[lo : lo + piece]
            again = _run(job.part(sl, opts=opts), X0[sl], size=piece)
            batch = _merge(batch, again, sl)
        retracked[redo] = True
    return batch, retracked


def _concat(parts: list[_Batch]) -> _Batch:
    if len(parts) == 1:
        return parts[0]
    return _Batch(
        np.concatenate([p.X for p in parts]),
        sum((p.status for p in parts), []),
        sum((p.reason for p in parts), []),
        *(np.concatenate([getattr(p, f) for p in parts]) for f in _ARRAYS),
    )


_ARRAYS = ("winding", "steps", "rejected", "condition", "residual", "accuracy", "last")


@dataclass
class _Classes:
    """What :func:`_classify` decided: distinct solutions, multiplicities, component points."""

    distinct: list[int]
    multiplicity: np.ndarray
    certified: set[int]
    # (paths, point, local dimension) of each cluster of endpoints on a component
    on_components: list[tuple[list[int], np.ndarray, int]]


def _classify(
    system: System,
    batch: _Batch,
    p: np.ndarray,
    status: list[PathStatus],
    reason: list[str],
    sols: dict[int, np.ndarray],
    finite: list[int],
    dedup_tol: float,
) -> _Classes:
    """One classification of every finite endpoint, used by the summary, JSON, counts and filters.

    Regular endpoints reached by one path are regular solutions. The others (singular endpoints,
    and regular ones that share a point with another path) are *suspects*: for text systems each is
    refined by Newton from its last tracked sample and put to the Krawczyk test; one that is
    certified in a box no other suspect's box meets is a regular solution (two roots ``1e-9``
    apart are two). The remaining suspects are clustered and each cluster gets the local
    dimension test (:func:`~neurovariety.nag.local_dimension.local_dimension`) with the number of
    paths that can end there (its own plus the failed ones): isolated with a regular Jacobian —
    one solution, further paths there jumped; isolated and singular — one singular solution whose
    multiplicity is its number of paths; not isolated — on a positive-dimensional component, no
    solution. ``status``, ``reason`` and ``sols`` are updated in place.
    """
    multiplicity = np.ones(len(status), int)
    n_failed = sum(s == PathStatus.FAILED for s in status)
    success = [i for i in finite if status[i] == PathStatus.SUCCESS]
    suspects = {i for i in finite if status[i] == PathStatus.SINGULAR}
    if len(success) > 1:
        labels = cluster(np.array([sols[i] for i in success]), dedup_tol)
        counts = np.bincount(labels)
        suspects |= {success[j] for j in np.nonzero(counts[labels] > 1)[0]}
    certified: set[int] = set()
    point = {i: sols[i] for i in suspects}
    if suspects and system.polynomials is not None:
        certified = _separate(system, batch, p, sorted(suspects), point)
        for i in certified:
            status[i], sols[i] = PathStatus.SUCCESS, point[i]
        suspects -= certified
    rest = sorted(suspects)
    distinct = [i for i in finite if status[i] == PathStatus.SUCCESS and i not in suspects]
    on_components: list[tuple[list[int], np.ndarray, int]] = []
    if rest:
        labels = cluster(np.array([point[i] for i in rest]), max(dedup_tol, 1e-4))
        for lab in range(labels.max() + 1):
            members = [rest[j] for j in np.nonzero(labels == lab)[0]]
            centre = np.mean([point[i] for i in members], axis=0)
            ld = local_dimension(system, centre, p, paths=len(members) + n_failed)
            best = min(members, key=lambda i: batch.accuracy[i])
            if ld.isolated is False:
                near, dim = component_point(system, centre, p, seed=best)
                for i in members:
                    status[i] = PathStatus.POSITIVE_DIMENSIONAL
                    reason[i] = f"on a component of local dimension {dim}"
                on_components.append((members, near, dim))
            elif ld.isolated and ld.multiplicity == 1:
                # A regular point (Jacobian of full rank) has multiplicity 1: one path is its own.
                status[best] = PathStatus.SUCCESS
                distinct.append(best)
                for i in members:
                    if i != best:
                        status[i] = PathStatus.FAILED
                        reason[i] = f"path jumping: ends at the regular solution of path {best}"
            else:
                for i in members:
                    status[i] = PathStatus.SINGULAR
                    if ld.isolated is None:
                        why = (
                            "no equations to expand (a compiled system)"
                            if not ld.hilbert
                            else f"Macaulay matrix over {MAX_COLUMNS} columns"
                        )
                        reason[i] = (
                            f"local dimension undecided ({why}); counted as an isolated "
                            "singular solution"
                        )
                multiplicity[members] = len(members)
                distinct.append(best)
    return _Classes(distinct, multiplicity, certified, on_components)


def _separate(
    system: System, batch: _Batch, p: np.ndarray, idx: list[int], point: dict[int, np.ndarray]
) -> set[int]:
    """Paths of ``idx`` that end at a certified regular root no other path of ``idx`` reaches.

    Newton starts from each path's last tracked sample, then (if that is not certified) from its
    endpoint: two paths to roots ``1e-9`` apart follow a cycle of two (winding number 2) down to
    ``t ~ 1e-18``, so both extrapolate to the midpoint, while their samples lie on either side of
    it. A path whose root is certified in a box that no other path's box meets is a regular
    solution; paths whose boxes meet form one cluster at that root, left to the local dimension
    test. ``point`` is updated with the certified roots.
    """
    from .certify import certify  # certify imports result, not solve: no cycle at run time

    with np.errstate(all="ignore"):
        starts = [batch.last[idx, 1:] / batch.last[idx, :1], batch.X[idx, 1:] / batch.X[idx, :1]]
    root: dict[int, tuple[np.ndarray, float]] = {}
    for start in starts:
        todo = [j for j in range(len(idx)) if idx[j] not in root]
        todo = [j for j in todo if np.all(np.isfinite(start[j]))]
        if not todo:
            continue
        x = newton_affine(system, start[todo], p)
        cert = certify(system, x, parameters=p)
        for k, j in enumerate(todo):
            if cert.verdicts[k] == Verdict.YES:
                root[idx[j]] = (x[k], float(cert.radii[k]))
    done = sorted(root)
    out: set[int] = set()
    for i in done:
        xi, ri = root[i]
        point[i] = xi
        meets = [
            k
            for k in done
            if k != i
            and max(np.max(np.abs((xi - root[k][0]).real)), np.max(np.abs((xi - root[k][0]).imag)))
            <= (ri + root[k][1]) * 1.01
        ]
        if not meets:
            out.add(i)
        else:  # one cluster: the same point for all, so that clustering joins them
            point[i] = root[min([i, *meets])][0]
    return out


#: Monodromy loops in a row that join no endpoint groups before the grouping stops, and at most.
COMPONENT_LOOPS = 4
MAX_COMPONENT_LOOPS = 16


def _components(
    system: System, p: np.ndarray, batch: _Batch, cls: _Classes, *, seed: int, deadline: float
) -> list[Component]:
    """Group the clusters of endpoints on components into irreducible components.

    Each cluster's point is moved, along its component, to one random slice of codimension its
    local dimension ``d`` (:func:`~neurovariety.nag.local_dimension.slice_system`): points that
    arrive at the same witness point lie on one irreducible component (a generic slice misses
    the lower-dimensional intersections of two). ``COMPONENT_LOOPS`` monodromy loops of the slice
    then join groups whose witness points they exchange (until ``COMPONENT_LOOPS`` loops in a row
    join none); groups not joined are reported apart, so the count of components is an upper
    bound when a component has several witness points.
    """
    groups = cls.on_components
    if not groups:
        return []
    n = system.n_variables
    parent = list(range(len(groups)))

    def find(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    rng = np.random.default_rng(seed + 7919)
    for d in sorted({g[2] for g in groups}):
        idx = [k for k, g in enumerate(groups) if g[2] == d]
        if len(idx) < 2 or not 0 < d < n or time.monotonic() > deadline:
            continue
        A = complex_gaussian(rng, (d, n))
        S = slice_system(system, p, A)
        X = np.array([groups[k][1] for k in idx])
        b_star = complex_gaussian(rng, d)
        W, ok = _carry(S, X, X @ A.T, b_star, rng, deadline)
        known: list[tuple[np.ndarray, int]] = []

        def meet(w: np.ndarray, k: int, known: list[tuple[np.ndarray, int]] = known) -> None:
            """Join ``k``'s group to the owner of witness point ``w``, or record ``w``."""
            for v, j in known:
                if np.max(np.abs(v - w)) <= 1e-6 * max(1.0, float(np.max(np.abs(w)))):
                    parent[find(k)] = find(j)
                    return
            known.append((w, k))

        for j, k in enumerate(idx):
            if ok[j]:
                meet(W[j], k)
        idle = 0
        for _ in range(MAX_COMPONENT_LOOPS):
            owners = [find(k) for _, k in known]
            if len(set(owners)) < 2 or idle >= COMPONENT_LOOPS or time.monotonic() > deadline:
                break
            pts = np.array([w for w, _ in known])
            owners = [k for _, k in known]
            # Triangles of sizes spread over 1-10: larger ones encircle more branch points.
            b1, b2 = (b_star + 10 ** rng.uniform(0, 1) * complex_gaussian(rng, d) for _ in "12")
            alive = np.ones(len(pts), bool)
            for lo, hi in ((b_star, b1), (b1, b2), (b2, b_star)):
                pts, good = _carry(S, pts, lo, hi, rng, deadline)
                alive &= good
            before = len({find(k) for k in idx})
            for w, k, a in zip(pts, owners, alive, strict=True):
                if a:
                    meet(w, k)
            idle = idle + 1 if len({find(k) for k in idx}) == before else 0
    roots = sorted({find(k) for k in range(len(groups))})
    out = []
    for r in roots:
        members = [k for k in range(len(groups)) if find(k) == r]
        out.append(
            Component(
                dimension=groups[r][2],
                paths=tuple(sorted(i for k in members for i in groups[k][0])),
                points=np.array([groups[k][1] for k in members]),
            )
        )
    return out


def _carry(
    S: System,
    X: np.ndarray,
    b0: np.ndarray,
    b1: np.ndarray,
    rng: np.random.Generator,
    deadline: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Move points ``X`` of ``S(., b0)`` to ``S(., b1)`` (per-row or shared offsets)."""
    B, d = X.shape[0], S.n_parameters
    P0 = np.array(np.broadcast_to(b0, (B, d)), dtype=complex)
    P1 = np.array(np.broadcast_to(b1, (B, d)), dtype=complex)
    H = parameter_homotopy(S, P0, P1, rng)
    job = _Job(H, S, P1, TrackerOptions(), EndgameOptions(), deadline)
    batch, _ = _execute(job, to_patch(X, np.asarray(H.data["a"])), 1e-7, 1024, check_jumps=False)
    with np.errstate(all="ignore"):
        Y = batch.X[:, 1:] / batch.X[:, :1]
    ok = np.array([s == PathStatus.SUCCESS for s in batch.status]) & np.all(np.isfinite(Y), axis=1)
    return np.where(ok[:, None], Y, X), ok


def _finish(
    system: System,
    batch: _Batch,
    retracked: np.ndarray,
    p: np.ndarray,
    *,
    seed: int,
    method: str,
    dedup_tol: float,
    t_start: float,
    deadline: float,
) -> SolveResult:
    n = system.n_variables
    status = list(batch.status)
    reason = list(batch.reason)
    finite = [i for i, s in enumerate(status) if s in (PathStatus.SUCCESS, PathStatus.SINGULAR)]
    sols: dict[int, np.ndarray] = {}
    for i in finite:
        sols[i] = batch.X[i, 1:] / batch.X[i, 0]
    if system.n_equations > n and finite:
        # Squared-up systems: keep only endpoints that solve every original equation.
        F = np.array([system.evaluate(sols[i], p) for i in finite])
        scale = np.asarray(system.data["scale"])[None, :]
        size = np.maximum(1.0, np.max(np.abs(np.array([sols[i] for i in finite])), axis=1))
        degs = np.asarray(system.degrees)[None, :]
        rel = np.max(np.abs(F) * scale / size[:, None] ** degs, axis=1)
        for i, r in zip(finite, rel, strict=True):
            if r > 1e-6:
                status[i] = PathStatus.EXCESS
                reason[i] = f"excess: residual {r:.1e} on the original equations"
        finite = [i for i in finite if status[i] != PathStatus.EXCESS]
    cls = _classify(system, batch, p, status, reason, sols, finite, dedup_tol)
    components = _components(system, p, batch, cls, seed=seed, deadline=deadline)
    component_of = np.full(len(status), -1)
    for k, comp in enumerate(components):
        component_of[list(comp.paths)] = k
    paths = tuple(
        PathResult(
            index=i,
            status=status[i],
            solution=sols.get(i),
            endpoint=batch.X[i],
            residual=float(batch.residual[i]),
            condition=float(batch.condition[i]),
            winding_number=int(batch.winding[i]),
            steps=int(batch.steps[i]),
            rejected_steps=int(batch.rejected[i]),
            reason=reason[i],
            retracked=bool(retracked[i]),
            multiplicity=int(cls.multiplicity[i]),
            accuracy=float(batch.accuracy[i]),
            certified=i in cls.certified,
            component=int(component_of[i]),
        )
        for i in range(len(status))
    )
    return SolveResult(
        paths=paths,
        seed=seed,
        method=method,
        start_count=len(paths),
        dedup_tol=dedup_tol,
        seconds=time.monotonic() - t_start,
        system=repr(system),
        overdetermined=system.n_equations > n,
        n_variables=n,
        distinct=tuple(sorted(cls.distinct)),
        components=tuple(components),
    )


def solve(
    system: System,
    *,
    parameters: Sequence[complex] | np.ndarray | None = None,
    seed: int | None = None,
    tracker: str | TrackerOptions = "default",
    endgame: EndgameOptions | None = None,
    time_limit: float = 600.0,
    dedup_tol: float = 1e-7,
    max_paths: int = 2_000_000,
    batch_size: int = 1024,
    start: str = "auto",
) -> SolveResult:
    """All isolated solutions of a polynomial system by a total-degree or polyhedral homotopy.

    Parameters
    ----------
    system : System
        From :func:`parse_system`, :func:`read_system` or :func:`system_from_callable`;
        overdetermined systems are squared up by random combinations (solutions of the
        combination that do not solve the original are reported as ``excess``).
    parameters : sequence of complex, optional
        Values of the system's parameters.
    seed : int, optional
        Seeds the random ``gamma``, patch and squaring-up; drawn at random and recorded when
        omitted.
    tracker : str or TrackerOptions
        ``"default"``, ``"fast"`` or ``"conservative"``, or explicit options.
    time_limit : float
        Wall-clock budget in seconds; paths unfinished when it runs out are ``failed``.
    dedup_tol : float
        Non-singular endpoints closer than ``dedup_tol * max(1, |x|)`` (max-norm) are one
        solution; singular endpoints use ``max(dedup_tol, 1e-4)`` since the endgame's
        extrapolation is less accurate.
    start : str
        ``"total-degree"`` (Bézout-number many paths), ``"polyhedral"`` (mixed-volume many paths,
        Huber & Sturmfels; text systems with as many equations as unknowns) or ``"auto"``: the
        polyhedral homotopy when the system is square, given as text, its Bézout number is at
        least ``AUTO_MIN_BEZOUT`` and twice its mixed volume (two stages are tracked) is below the
        Bézout number; the mixed cells get at most ``AUTO_CELL_SHARE`` of ``time_limit`` and
        ``AUTO_SECONDS_PER_PATH`` per total-degree path, else the total degree is used.
        ``result.start_system`` and ``result.root_count`` say which was used.

    Returns
    -------
    SolveResult
        Ledger, distinct solutions and per-path results.

    Examples
    --------
    >>> from neurovariety.nag import parse_system
    >>> F = parse_system("x^2 + y^2 - 5\\nx*y - 2")
    >>> r = solve(F, seed=1)
    >>> r.nsolutions, r.nreal, r.ledger["tracked"], r.ledger["at_infinity"]
    (4, 4, 4, 0)
    >>> sorted(np.round(r.real_solutions()[:, 0], 8).tolist())
    [-2.0, -1.0, 1.0, 2.0]
    """
    t_start = time.monotonic()
    deadline = t_start + time_limit
    seed = _seed(seed)
    system.require_square()
    p = system.check_parameters(parameters)
    opts = _tracker_options(tracker)
    eg = endgame or EndgameOptions()
    count = system.bezout_number
    poly = _polyhedral_choice(system, p, start, seed, t_start, time_limit)
    if poly is not None:
        if poly.mixed_volume > max_paths:
            raise BudgetExceededError(
                f"the polyhedral homotopy needs {poly.mixed_volume} paths, above "
                f"max_paths={max_paths}. Fix: raise max_paths"
            )
        return _solve_polyhedral(
            system,
            poly,
            opts,
            eg,
            seed=seed,
            deadline=deadline,
            dedup_tol=dedup_tol,
            batch_size=batch_size,
            t_start=t_start,
            bezout=count,
        )
    if count > max_paths:
        raise BudgetExceededError(
            f"the total-degree homotopy needs {count} paths, above max_paths={max_paths}. Fix: "
            "raise max_paths, or use monodromy_solve for a parametric formulation"
        )
    rng = np.random.default_rng(seed)
    H, X0 = total_degree_homotopy(system, p, rng)
    P = np.broadcast_to(p, (X0.shape[0], p.size))
    job = _Job(H, system, np.array(P), opts, eg, deadline)
    batch, retracked = _execute(job, X0, dedup_tol, batch_size)
    result = _finish(
        system,
        batch,
        retracked,
        p,
        seed=seed,
        method=f"total-degree homotopy ({count} paths, Bézout)",
        dedup_tol=dedup_tol,
        t_start=t_start,
        deadline=deadline,
    )
    return replace(result, start_system="total-degree", root_count=count)


#: ``start="auto"`` computes a mixed volume only from this Bézout number on (few paths: cheap).
AUTO_MIN_BEZOUT = 64
#: ``start="auto"`` lets the mixed-cell enumeration take at most this share of ``time_limit``
#: and at most this many seconds per total-degree path (about what tracking one costs on a CPU
#: core): when the cells take longer, tracking the Bézout number of paths is the cheaper bet.
AUTO_CELL_SHARE = 0.25
AUTO_SECONDS_PER_PATH = 0.01
START_SYSTEMS = ("auto", "total-degree", "polyhedral")


def _polyhedral_choice(
    system: System, p: np.ndarray, start: str, seed: int, t_start: float, time_limit: float
) -> PolyhedralStart | None:
    """The polyhedral start system when ``start`` asks for it or ``"auto"`` finds it cheaper."""
    if start not in START_SYSTEMS:
        raise PolynomialSystemError(
            f"unknown start system {start!r}. Fix: use one of {', '.join(START_SYSTEMS)}"
        )
    if start == "total-degree":
        return None
    square = system.n_equations == system.n_variables and system.polynomials is not None
    if start == "polyhedral":
        if system.n_equations != system.n_variables:
            raise PolynomialSystemError(
                f"the polyhedral homotopy needs a square system ({system.n_equations} equations, "
                f"{system.n_variables} unknowns). Fix: use start='total-degree', which squares "
                "up overdetermined systems"
            )
        # its own random stream: the total-degree run of a seed stays what it was
        return polyhedral_start(
            system, p, np.random.default_rng([seed, 1]), deadline=t_start + time_limit
        )
    count = system.bezout_number
    if not square or count < AUTO_MIN_BEZOUT or system.n_variables < 2:
        return None
    try:
        poly = polyhedral_start(
            system,
            p,
            np.random.default_rng([seed, 1]),
            deadline=t_start + min(AUTO_CELL_SHARE * time_limit, AUTO_SECONDS_PER_PATH * count),
        )
    except (BudgetExceededError, PolynomialSystemError):
        return None  # cells too slow, or an equation vanishes at p: total degree decides
    return poly if 2 * poly.mixed_volume < count else None


def _solve_polyhedral(
    system: System,
    poly: PolyhedralStart,
    opts: TrackerOptions,
    eg: EndgameOptions,
    *,
    seed: int,
    deadline: float,
    dedup_tol: float,
    batch_size: int,
    t_start: float,
    bezout: int,
) -> SolveResult:
    """Stage 1 (cell homotopies to a random-coefficient system), stage 2 (its coefficients to the
    target's): the paths of both stages are one ledger, stage-1 failures counted as failed."""
    rng = np.random.default_rng([seed, 2])
    family, n = poly.coefficients, system.n_variables
    B = poly.log_y.shape[0]
    if B == 0:  # mixed volume 0: no isolated solution in C^n (Bernstein, Li & Wang)
        return SolveResult(
            paths=(),
            seed=seed,
            method=f"polyhedral homotopy (mixed volume 0: no isolated solutions; Bézout {bezout})",
            start_count=0,
            dedup_tol=dedup_tol,
            seconds=time.monotonic() - t_start,
            system=repr(system),
            n_variables=n,
            start_system="polyhedral",
            root_count=0,
        )
    a = random_patch(rng, n + 1)
    H1, X0 = polyhedral_homotopy(
        poly.exponents, poly.equation, poly.start_coefficients, poly.powers, poly.log_y, a
    )
    P0 = np.array(np.broadcast_to(poly.start_coefficients, (B, family.n_parameters)))
    batch, retracked = _execute(_Job(H1, family, P0, opts, eg, deadline), X0, dedup_tol, batch_size)
    ok = np.array([s == PathStatus.SUCCESS for s in batch.status], dtype=bool)
    for i in np.nonzero(~ok)[0]:
        why = batch.reason[i] or f"ended {batch.status[i].value}"
        batch.status[i] = PathStatus.FAILED
        batch.reason[i] = f"stage 1 (cell homotopy): {why}"
    idx = np.nonzero(ok)[0]
    target = poly.target_coefficients
    if idx.size:
        H2 = parameter_homotopy(family, poly.start_coefficients, target, rng, a=a)
        P1 = np.array(np.broadcast_to(target, (idx.size, family.n_parameters)))
        second, again = _execute(
            _Job(H2, family, P1, opts, eg, deadline), batch.X[idx], dedup_tol, batch_size
        )
        batch = _merge(batch, second, idx)
        retracked[idx] |= again
    mv = poly.mixed_volume
    result = _finish(
        family,
        batch,
        retracked,
        target,
        seed=seed,
        method=(
            f"polyhedral homotopy ({mv} paths, mixed volume with the origin added; Bézout "
            f"{bezout}; {len(poly.subdivision.cells)} mixed cells in "
            f"{poly.subdivision.seconds:.2f} s)"
        ),
        dedup_tol=dedup_tol,
        t_start=t_start,
        deadline=deadline,
    )
    return replace(result, system=repr(system), start_system="polyhedral", root_count=mv)


def solve_many(
    system: System,
    start_solutions: np.ndarray,
    start_parameters: Sequence[complex] | np.ndarray,
    targets: np.ndarray | Sequence[Sequence[complex]],
    *,
    seed: int | None = None,
    tracker: str | TrackerOptions = "default",
    endgame: EndgameOptions | None = None,
    time_limit: float = 600.0,
    dedup_tol: float = 1e-7,
    batch_size: int = 1024,
) -> list[SolveResult]:
    """Move the solutions at ``start_parameters`` to each target by a parameter homotopy.

    ``start_parameters`` should be generic (random complex): then every path from them is regular
    on ``(0, 1]`` with probability one. All ``len(start_solutions) * len(targets)`` paths are
    tracked in one batch; one :class:`SolveResult` is returned per target.

    Examples
    --------
    >>> from neurovariety.nag import parse_system
    >>> F = parse_system("parameters: a\\nx^2 - a")
    >>> r = solve_many(F, np.array([[1.0], [-1.0]]), [1.0], [[4.0], [9.0]], seed=0)
    >>> [sorted(np.round(x.real.ravel(), 8).tolist()) for x in (r[0].solutions(),
    ...                                                           r[1].solutions())]
    [[-2.0, 2.0], [-3.0, 3.0]]
    """
    t_start = time.monotonic()
    deadline = t_start + time_limit
    seed = _seed(seed)
    system.require_square()
    p0 = system.check_parameters(start_parameters)
    T = np.array([system.check_parameters(t) for t in targets]).reshape(-1, p0.size)
    S = np.atleast_2d(np.asarray(start_solutions, dtype=complex))
    if S.shape[1] != system.n_variables:
        raise PolynomialSystemError(
            f"start solutions have {S.shape[1]} coordinates, the system has "
            f"{system.n_variables} variables"
        )
    rng = np.random.default_rng(seed)
    n_s, n_t = S.shape[0], T.shape[0]
    P1 = np.repeat(T, n_s, axis=0)
    H = parameter_homotopy(system, np.broadcast_to(p0, P1.shape), P1, rng)
    X0 = to_patch(np.tile(S, (n_t, 1)), np.asarray(H.data["a"]))
    job = _Job(H, system, P1, _tracker_options(tracker), endgame or EndgameOptions(), deadline)
    batch, retracked = _execute(job, X0, dedup_tol, batch_size)
    out = []
    for j in range(n_t):
        sl = np.arange(j * n_s, (j + 1) * n_s)
        sub = _Batch(
            batch.X[sl],
            [batch.status[i] for i in sl],
            [batch.reason[i] for i in sl],
            *(getattr(batch, f)[sl] for f in _ARRAYS),
        )
        out.append(
            _finish(
                system,
                sub,
                retracked[sl],
                T[j],
                seed=seed,
                method=f"parameter homotopy ({n_s} paths per target)",
                dedup_tol=dedup_tol,
                t_start=t_start,
                deadline=deadline,
            )
        )
    return out
