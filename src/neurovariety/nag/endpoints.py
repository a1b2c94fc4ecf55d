"""Endpoints to solutions: deduplication, singular clusters, components, the ``SolveResult``.

:func:`finish` turns a run of paths (:class:`~neurovariety.nag.paths.Batch`) into a
:class:`~neurovariety.nag.result.SolveResult`: excess endpoints of squared-up systems are dropped,
:func:`classify` decides which endpoints are distinct regular solutions, singular solutions (with
their multiplicity) or points on positive-dimensional components (local dimension test), and
:func:`components` groups the latter into irreducible components by monodromy on a slice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..results import Verdict
from .endgame import EndgameOptions
from .homotopy import parameter_homotopy, to_patch
from .local_dimension import (
    MAX_COLUMNS,
    component_point,
    local_dimension,
    newton_affine,
    slice_system,
)
from .numerics import complex_gaussian
from .paths import Batch, Job, execute
from .points import cluster
from .result import Component, PathResult, PathStatus, SolveResult, path_certainty
from .system import System
from .tracker import TrackerOptions


@dataclass
class _Classes:
    """What :func:`classify` decided: distinct solutions, multiplicities, component points."""

    distinct: list[int]
    multiplicity: np.ndarray
    certified: set[int]
    # (paths, point, local dimension) of each cluster of endpoints on a component
    on_components: list[tuple[list[int], np.ndarray, int]]


def classify(
    system: System,
    batch: Batch,
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
    system: System, batch: Batch, p: np.ndarray, idx: list[int], point: dict[int, np.ndarray]
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


def group_components(
    system: System, p: np.ndarray, batch: Batch, cls: _Classes, *, seed: int, deadline: float
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
    job = Job(H, S, P1, TrackerOptions(), EndgameOptions(), deadline)
    batch, _ = execute(job, to_patch(X, np.asarray(H.data["a"])), 1e-7, 1024, check_jumps=False)
    with np.errstate(all="ignore"):
        Y = batch.X[:, 1:] / batch.X[:, :1]
    ok = np.array([s == PathStatus.SUCCESS for s in batch.status]) & np.all(np.isfinite(Y), axis=1)
    return np.where(ok[:, None], Y, X), ok


def finish(
    system: System,
    batch: Batch,
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
    cls = classify(system, batch, p, status, reason, sols, finite, dedup_tol)
    components = group_components(system, p, batch, cls, seed=seed, deadline=deadline)
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
            certainty=path_certainty(status[i], i in cls.certified),
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
        variables=tuple(system.variables),
        distinct=tuple(sorted(cls.distinct)),
        components=tuple(components),
    )
