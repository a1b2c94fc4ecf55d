"""Monodromy solving of parametric systems, with a stopping rule and a trace test.

Starting from one solution ``x0`` at generic parameters ``p0``, solutions are carried along the
edges of a small graph in parameter space: nodes ``p0``, ``p1``, ``p2`` (later more random nodes),
edges ``t p_i + (1 - t) p_j + t (1 - t) c``, each with its own random complex bend ``c`` and
tracked as one parameter homotopy in either direction. Loops act on the fiber by permutations, so
new solutions appear. Every (solution, edge, direction) is tracked exactly once — known solutions
are never carried around the same loop again — and a solution that arrived along an edge is never
carried back along it (an edge is a bijection: its partner is known).

Crossings stream through a :class:`~neurovariety.nag.tracker.LanePool` (for large systems one
width, one compiled program, plus a narrow one for stragglers), in affine coordinates (paths
between generic parameters stay finite): a lane is refilled as soon as its path ends, and every
arrival is merged at once, so a new solution starts its own crossings while the others are still
moving. Extra start pairs (``starts``) are carried to ``p0`` first and fill the lanes at once.
When lanes fall idle the graph grows (a new random node joined to ``p0`` and ``p1``), with fresh
start pairs from ``sampler`` if one is given (solutions that loops rarely move are hit at random).
A crossing gets one try of up to ``SEARCH_MAX_STEPS`` steps; a failed one is dropped (and counted).

The search stops when the **trace test** passes: the solutions are moved along a random line
``p0 + s v`` to two points ``s1, s2``, and the trace of a complete fiber is affine in ``s``. With
``stop_on_trace`` the test runs inside the search: the line's two points are nodes joined to
``p0`` by straight one-way edges, so each solution is carried to them once, ahead of other
crossings, and the trace (a sum) is read whenever both have all of ``p0``'s solutions — no test
ever re-tracks the known solutions. The line starts when lanes first fall idle. A path of the line
that fails gets a second try around a detour (for a complete fiber it lands on the straight
path's endpoint or on another path's, and two paths that meet replace the line). The search also
stops when ``target_count`` is reached, when ``max_loops_without_progress`` loops' worth of
crossings brought nothing new, or at ``max_loops`` or the time budget. Endpoints must be regular:
the condition number of the affine Jacobian with rows and columns equilibrated below 1e10.

Reference: Duff, Hill, Jensen, Lee, Leykin & Sommars, *Solving polynomial systems via homotopy
continuation and monodromy*, IMA J. Numer. Anal. 39 (2019); Leykin, Rodriguez & Sottile,
*Trace test*, Arnold Math. J. 4 (2018); Sommese, Verschelde & Wampler, *Symmetric functions applied
to decomposing solution sets of polynomial systems*, SIAM J. Numer. Anal. 40 (2002).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..errors import PolynomialSystemError
from ..results import Result, Verdict, plural
from .homotopy import parameter_homotopy, to_patch
from .solve import _residuals, _seed, _tracker_options, equilibrated_condition_numbers
from .system import System
from .tracker import (
    LanePool,
    TrackerOptions,
    TrackStatus,
    cores,
    in_background,
    pool_track,
    wait_all,
    wait_event,
)

TraceMap = Callable[[np.ndarray], np.ndarray]
#: ``sampler(rng, k) -> (X, P)``: ``k`` fresh start pairs, ``X[j]`` solving the system at ``P[j]``.
Sampler = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]
#: ``symmetry(X) -> Y``: rows ``Y[j]`` solve the system at the base parameters when ``X[j]`` does.
Symmetry = Callable[[np.ndarray], np.ndarray]
#: Residual (scaled homogenized equations at ``X / |X|_inf``) under which an image under
#: ``symmetry`` counts as a solution; a map that is no symmetry of the fiber is refused.
SYMMETRY_RESIDUAL = 1e-8


@dataclass(frozen=True)
class TraceTest(Result):
    """Outcome of a trace test: the verdict, the relative deviation from affine, and why."""

    verdict: Verdict
    residual: float
    tolerance: float
    note: str = ""

    def title(self) -> str:
        return f"TraceTest: complete = {self.verdict.value}"

    def bullets(self) -> list[str]:
        out = [f"trace deviation from affine {self.residual:.1e} (tolerance {self.tolerance:g})"]
        return out + ([self.note] if self.note else [])


@dataclass(frozen=True)
class MonodromyResult(Result):
    """Solutions of ``F(x; p0) = 0`` found by monodromy, and whether they are verified complete.

    ``loops``: edges added to the first graph; ``paths_tracked``: edge crossings (one path each);
    ``paths_failed``: crossings dropped (failed, singular, at infinity, or cut by the budget).
    ``out_of_time``: the time budget ended the search (the solutions found so far; a trace test
    left undone is ``unknown``).
    """

    solutions: np.ndarray = field(repr=False)
    parameters: np.ndarray = field(repr=False)
    loops: int
    stop_reason: str
    trace: TraceTest | None
    seed: int
    seconds: float
    paths_tracked: int
    paths_failed: int
    out_of_time: bool = False

    @property
    def nsolutions(self) -> int:
        return int(self.solutions.shape[0])

    @property
    def complete(self) -> Verdict:
        return self.trace.verdict if self.trace is not None else Verdict.UNKNOWN

    def title(self) -> str:
        return f"MonodromyResult with {plural(self.nsolutions, 'solution')}"

    def bullets(self) -> list[str]:
        out = [
            f"{self.loops} loops; stopped: {self.stop_reason}",
            f"{self.paths_tracked} paths tracked, {self.paths_failed} failed (dropped)",
        ]
        if self.out_of_time:
            out.append("partial: the time budget ran out before the search ended")
        if self.trace is None:
            out.append("completeness not tested (trace_test=False)")
        else:
            out.append(
                f"trace test: complete = {self.complete.value} (deviation "
                f"{self.trace.residual:.1e}, tolerance {self.trace.tolerance:g})"
                + (f"; {self.trace.note}" if self.trace.note else "")
            )
        out.append(f"random seed: {self.seed} · {self.seconds:.2f} s")
        return out


@dataclass(frozen=True)
class SearchProgress:
    """Where a monodromy search stands: what :func:`monodromy_solve` reports to ``progress``."""

    solutions: int  #: known solutions at the base parameters
    crossings: int  #: edge crossings tracked so far
    failed: int  #: crossings dropped (a trace line's path after its detour)
    loops: int  #: nodes added to the start graph
    seconds: float
    done: bool = False


class _Crossing(NamedTuple):
    """One path of a monodromy search: solution ``row`` of node ``here`` along ``edge``."""

    row: int
    here: int
    there: int
    edge: int
    side: int  # the end of the edge where it starts (0 or 1)
    retry: int = 0  # earlier tries that failed


@dataclass(frozen=True)
class _TraceLine:
    """The trace line ``p0 + s v`` of a search: its two points, their nodes and edges (one node
    and edge for a real line: its second point mirrors the first)."""

    s: tuple[complex, complex]
    nodes: tuple[int, ...]
    edges: tuple[int, ...]
    detour: np.ndarray  # the bend of a path's second try (its straight way passes a branch point)


def _random_params(rng: np.random.Generator, p0: np.ndarray) -> np.ndarray:
    scale = max(1.0, float(np.linalg.norm(p0)) / np.sqrt(max(p0.size, 1)))
    return scale * (rng.normal(size=p0.size) + 1j * rng.normal(size=p0.size)) / np.sqrt(2)


#: Edges of the first graph (a triangle p0–p1–p2 plus a second p0–p1 edge): ``INITIAL_EDGES - 1``
#: independent loops act from the start, so the known solutions grow geometrically (one loop
#: alone only walks the cycle of one permutation).
INITIAL_EDGES = 4
#: Bends ``c`` are random complex vectors of the parameters' size times a factor drawn
#: log-uniformly from this range. Longer bends encircle more branch points but cost steps
#: (~35 steps per path at 1, ~100 at 10, ~160 at 30 on ``cnn k=2,2,2 x^2``); with bends of
#: 1–10 only, x² + y² = a, xy = b from (a, b) = (5, 2) missed half its solutions in 1 of 20 seeds
#: (five loops that all failed to wind around one branch locus), with 2–50 in 1 of 100.
BEND_RANGE = (2.0, 50.0)
#: The stale rule needs at least this many crossings since the last new solution: loops of small
#: fibers are cheap, and x² + y² = a, xy = b (4 solutions, seen from 2) missed the branch locus
#: near p0 in ten loops for 1 seed of 100; 16+ loops make that rare at no cost for large fibers.
MIN_STALE_CROSSINGS = 128
#: Solutions known at p0 before idle lanes start the trace line or grow the graph.
MIN_IDLE_SOLUTIONS = 8
#: When the trace test is in use (``stop_on_trace``) and measured a non-affine trace, the stale
#: rule waits this many times longer: some solutions are swapped only by rare loops
#: (``lcn k=2,2 s=2``, seeds 1 and 2: one of 6 critical points moved in ~1 loop in 10).
TRACE_PATIENCE = 5
#: Re-tracking of failed paths (:func:`move`, the trace test): conservative, with a step budget.
RETRY_OPTIONS = dataclasses.replace(TrackerOptions.preset("conservative"), max_steps=3000)
#: Step budget of a path while searching (one try: a second with the same controls would retrace
#: the same steps; a path that needs more passes near a branch point and is dropped, counted).
#: Was 400 with a retry from the start at 2,000: the retry repeated its first 400 steps, 7% of all
#: steps on the 404 case (``benchmarks/RESULTS.md``).
SEARCH_MAX_STEPS = 2000
#: Step budget of a trace-line path (straight, short: one that needs more passes near a branch
#: point and takes the detour). The trace, and so the search's end, waits for the slowest of them:
#: with 2,000 steps a straight path and then its detour kept the lanes all but idle for ~5 s of a
#: 30 s search on the 404 case.
LINE_MAX_STEPS = 400
#: Detours a failed trace-line path takes (the line's detour bend, then its opposite) before the
#: line is replaced; each may take as many steps as there are solutions (``LINE_MAX_STEPS`` to
#: ``SEARCH_MAX_STEPS``). With one detour of ``LINE_MAX_STEPS``, the 2,385-point LCN search lost
#: all six of its lines within 12 s, each to one path of ~2,400, and ran on for minutes to its
#: stale rule before a separate trace test; with 2,000 steps for every detour the 404-point
#: search waited ~4 s on one detour (a new line there costs 404 short paths).
LINE_DETOURS = 2
#: Paths of a trace line that met another path (a different way round a branch point) and sent
#: that one round the same detour, before the line is replaced.
LINE_MEETINGS = 8
#: Points of the trace line tried for each of the two trace values before giving up.
TRACE_ATTEMPTS = 3
#: Trace lines a search tries (a line is replaced when one of its paths fails or two meet)
#: before it leaves the test to the end of the search.
TRACE_LINES = 6
#: Relative deviation from affine under which a trace counts as affine.
TRACE_TOL = 1e-7
#: A search's own trace line: its point ``s`` has ``|s| = LINE_RADIUS`` (the standalone test's
#: 0.3 made long paths: on the 404 case a line's path to one of its far-out points (|z| ~ 100-400)
#: often stalled, lines were replaced 2-5 times and one seed of ten ran to its stale rule, 36 s
#: against 4.7 s). A shorter line bends an incomplete trace less (deviations ~ |s|^2: 5e-7 to
#: 2e-5 measured at 0.1 where 0.3 gave 5e-6 to 1.4e-4; complete fibers 6e-16 to 1e-14), so
#: a read of the line passes only below ``LINE_TRACE_TOL``, far from both; a search that ends
#: without passing runs the standalone test (``TRACE_TOL``, ``|s| = 0.3``).
LINE_RADIUS = 0.1
LINE_TRACE_TOL = 1e-9
#: Systems with at least this Bézout number are large: every pool of their search (crossings,
#: trace tests, re-tracks) has ``PART_WIDTH`` lanes per core in use (at most ``MAX_PARTS``) and
#: one fully optimized program of ``PART_WIDTH`` lanes (~1 s to compile for an ED system of
#: degree 13, started on a thread while the search checks its start), whose parts run at once,
#: one per core. On one core: ``POOL_WIDTH`` lanes plus a ``TAIL_WIDTH`` program for stragglers,
#: compiled in the background (on two cores that compile slowed the parts more than the narrow
#: program saved). Small systems keep pools of 16 lanes (growing to 256 only when needed),
#: compiled fast: their tests and small searches are compile-bound, and a second program would
#: cost more than it saves.
LARGE_FROM_BEZOUT = 1000
#: Per lane, 64 lanes cost about what 256 do, and stragglers at the end hold up fewer of them.
POOL_WIDTH = 64
TAIL_WIDTH = 8
#: Lanes per part (per core). 64 since the Hermite predictor halved an iteration's evaluations
#: (a call's fixed cost weighs more, and a lane-iteration costs less in wider batches): 404 case
#: seeds 0-9 32.8 s against 34.9 s with 32 (8 of 10 seeds faster), 2,385 case seed 4 11.5 s
#: against 13.4 s, seed 1 19.2 s against 18.9 s.
PART_WIDTH = 64
#: Measured on 2 cores only (``benchmarks/RESULTS.md``): more parts are untested.
MAX_PARTS = 2
#: Fresh start pairs that come with each new loop when a ``sampler`` is given: one per
#: ``SAMPLES_PER`` known solutions, at least ``SAMPLES_MIN``.
SAMPLES_PER = 4
SAMPLES_MIN = 16
#: Predictor tolerance while searching (a jumped path only costs a dedup; the trace test and
#: the final polish use the caller's tolerance).
SEARCH_TOL = 1e-4
#: Predictor while searching: Hermite extrapolation, no evaluation off the path. ED searches
#: cross stiff stretches (a chart coordinate near infinity) where RK4's off-path stages took a
#: fifth to a third of all steps, at steps near 1e-6; the 404 case's search after its first
#: crossing took 38% less time, the 2,385 case 16-24% less (``benchmarks/RESULTS.md``). RK4
#: stays the default elsewhere: on smooth total-degree paths its larger steps win.
SEARCH_PREDICTOR = "hermite"
#: Iterations per call of the pool's program between harvests. Each call costs ~1 ms of dispatch
#: per part (17 numpy arguments) beside ~5.5 ms of steps for 8 iterations; 16 halves that share,
#: while an ended path waits ~4 iterations more for its lane to be refilled (404 case, seeds 0-7
#: twice, alternating: the search after the first crossing 7-15% shorter than with 8).
POOL_CHUNK = 16
#: Seconds between two calls of a search's ``progress`` callback.
PROGRESS_EVERY = 0.25
#: The note of a trace test that the time budget cut short or left undone.
OUT_OF_TIME_NOTE = "not run to its end: the time budget ran out"


def _pool_shape(system: System) -> dict[str, Any]:
    """Widths of a search's pool: fixed and optimized for large systems, in parts or with a tail."""
    if np.prod([float(d) for d in system.degrees]) >= LARGE_FROM_BEZOUT:
        parts = min(MAX_PARTS, cores())
        if parts > 1:
            width = PART_WIDTH * parts
            return {"width": width, "max_width": width, "optimize": True, "parts": parts}
        return {
            "width": POOL_WIDTH,
            "max_width": POOL_WIDTH,
            "optimize": True,
            "tail_width": TAIL_WIDTH,
        }
    return {"width": 16, "max_width": 256}


def _affine_patch(system: System) -> np.ndarray:
    """The patch ``x0 = 1``: paths between generic parameters stay finite, so monodromy tracks
    in affine coordinates (the tracker's errors are relative to ``1 + |x|``). A random
    projective patch took twice the steps on bent paths (``cnn k=2,2,2 x^2``: mean 126-154
    steps, affine 61-70)."""
    return np.eye(system.n_variables + 1, dtype=complex)[0]


def move(
    system: System,
    S: np.ndarray,
    p_from: np.ndarray,
    p_to: np.ndarray,
    rng: np.random.Generator,
    *,
    bend: np.ndarray | None = None,
    options: TrackerOptions | None = None,
    deadline: float | None = None,
    retry: bool = True,
    retry_options: TrackerOptions = RETRY_OPTIONS,
) -> tuple[np.ndarray, np.ndarray]:
    """Carry affine solutions ``S`` from ``p_from`` to ``p_to`` (generic); ``(X, ok)``.

    ``p_from``, ``p_to`` and ``bend`` (see :func:`parameter_homotopy`) are ``(k,)`` or one row
    per solution. No endgame: both ends must be generic. Paths that fail are re-tracked once with
    ``retry_options`` (default: the conservative preset with a step budget; none when they are
    ``options`` themselves, which would retrace the same steps). Rows of the
    returned ``X`` where ``ok`` is false are undefined (the path failed or ended singular or at
    infinity).
    """
    n, k = system.n_variables, system.n_parameters
    B = S.shape[0]
    if B == 0:
        return np.zeros((0, n), complex), np.zeros(0, bool)
    a, b = (np.broadcast_to(q, (B, k)) for q in (p_from, p_to))
    c = np.broadcast_to(np.zeros(k, complex) if bend is None else bend, (B, k))
    S = np.asarray(S, dtype=complex)
    X, ok = _leg(system, S, a, b, c, rng, options, deadline)
    redo = np.nonzero(~ok)[0]
    if retry and redo.size and retry_options != (options or TrackerOptions()):
        X3, ok3 = _leg(system, S[redo], a[redo], b[redo], c[redo], rng, retry_options, deadline)
        X[redo], ok[redo] = X3, ok3
    return np.where(ok[:, None], X, 0), ok


def _leg(
    system: System,
    S: np.ndarray,
    p_from: np.ndarray,
    p_to: np.ndarray,
    bend: np.ndarray,
    rng: np.random.Generator,
    options: TrackerOptions | None,
    deadline: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One parameter homotopy for every row (per-row parameters)."""
    H = parameter_homotopy(system, p_from[:1], p_to[:1], rng, a=_affine_patch(system))
    a = np.asarray(H.data["a"])
    pdata = {"p0": p_from, "p1": p_to, "c": bend}
    Xr, status = pool_track(
        H, to_patch(S, a), pdata, options=options, deadline=deadline, **_pool_shape(system)
    )
    x, ok = _endpoints(system, Xr, status, p_to)
    return np.where(ok[:, None], x, 0), ok


def _endpoints(
    system: System, Xr: np.ndarray, status: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Affine endpoints of tracked paths, and which are regular finite solutions at ``targets``."""
    cond = equilibrated_condition_numbers(system, Xr, targets)
    with np.errstate(all="ignore"):
        x = Xr[:, 1:] / Xr[:, :1]
    ok = (
        (status == TrackStatus.DONE)
        & (cond < 1e10)
        & (np.abs(Xr[:, 0]) * 1e8 > np.linalg.norm(Xr[:, 1:], axis=1))
        & np.all(np.isfinite(x), axis=1)
    )
    return x, ok


def _merge(known: np.ndarray, x: np.ndarray, tol: float) -> tuple[np.ndarray, int]:
    """``known`` with the point ``x`` appended unless it is there already; and its row.

    Same rule as :func:`~neurovariety.nag.result.cluster`: two points are one when their
    max-norm distance is at most ``tol * max(1, |x|_inf)``.
    """
    scale = max(1.0, float(np.max(np.abs(x))))
    if known.shape[0]:
        dist = np.max(np.abs(known - x), axis=1)
        i = int(np.argmin(dist))
        if dist[i] <= tol * scale:
            return known, i
    return np.concatenate([known, x[None, :]]), known.shape[0]


def _trace_direction(rng: np.random.Generator, p0: np.ndarray) -> np.ndarray:
    """A random direction ``v`` of the trace line ``p0 + s v``, of ``p0``'s size."""
    v = _random_params(rng, p0)
    return v / max(np.linalg.norm(v), 1e-300) * max(1.0, float(np.linalg.norm(p0)))


def _check_conjugation(
    system: System, p0: np.ndarray, tmap: TraceMap, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Is conjugation a symmetry of the fiber at ``p0``? ``(real p0, trace map commutes)``.

    Refuses a ``p0`` that is not real or a system whose coefficients are not (the equations at a
    random complex point and at its conjugate must be conjugate).
    """
    if np.max(np.abs(p0.imag), initial=0.0) > 1e-14 * max(1.0, float(np.max(np.abs(p0)))):
        raise PolynomialSystemError(
            "symmetry='conjugation' needs real parameters p0. Fix: start from a real p0"
        )
    p0 = p0.real.astype(complex)
    x = rng.normal(size=system.n_variables) + 1j * rng.normal(size=system.n_variables)
    F, G = system.evaluate(x, p0), system.evaluate(x.conj(), p0)
    if np.max(np.abs(G - F.conj())) > 1e-10 * max(1.0, float(np.max(np.abs(F)))):
        raise PolynomialSystemError(
            "symmetry='conjugation' needs a system with real coefficients: F(conj x; p0) is "
            "not conj F(x; p0). Fix: pass no symmetry"
        )
    y, w = np.asarray(tmap(x)), np.asarray(tmap(x.conj()))
    commutes = np.max(np.abs(w - y.conj()), initial=0.0) <= 1e-10 * max(
        1.0, float(np.max(np.abs(y), initial=0.0))
    )
    return p0, bool(commutes)


def _trace_point(rng: np.random.Generator, radius: float = 0.3) -> complex:
    """A random point ``s`` of the trace line (``|s| = radius``)."""
    return complex(radius * np.exp(2j * np.pi * rng.uniform()))


def trace_test(
    system: System,
    solutions: np.ndarray,
    parameters: Sequence[complex] | np.ndarray,
    *,
    seed: int | None = None,
    trace_map: TraceMap | None = None,
    tol: float = TRACE_TOL,
    decisive: bool = False,
    options: TrackerOptions | None = None,
    retry_options: TrackerOptions = RETRY_OPTIONS,
    deadline: float | None = None,
) -> TraceTest:
    """Is ``solutions`` the whole fiber at ``parameters``? Trace along a random parameter line.

    The solutions are moved to ``p0 + s v`` for two random complex ``s``; the trace
    ``tau(s) = sum_i trace_map(x_i(s))`` of a complete fiber of a linear-slice family is affine in
    ``s``. ``decisive=True`` (set by :func:`~neurovariety.nag.witness_set`, whose parameters are
    the constant terms of generic linear slices) turns a failed test into ``no``; for other
    families an affine trace still gives ``yes`` (a proper subset of a fiber has an affine trace
    only by accident), but a non-affine one is ``unknown``.

    Examples
    --------
    >>> from neurovariety.nag import parse_system
    >>> F = parse_system("parameters: a, b\\nx^3 + a*x + b")
    >>> p0 = np.array([1.0 + 2j, -0.5 + 1j])
    >>> roots = np.roots([1, 0, p0[0], p0[1]]).reshape(-1, 1)
    >>> trace_test(F, roots, p0, seed=0).verdict.value, trace_test(F, roots[:2], p0, seed=0).verdict
    ('yes', <Verdict.UNKNOWN: 'unknown'>)
    """
    rng = np.random.default_rng(_seed(seed))
    p0 = system.check_parameters(parameters)
    S = np.atleast_2d(np.asarray(solutions, dtype=complex))
    if S.shape[0] == 0:
        return TraceTest(Verdict.UNKNOWN, float("nan"), tol, "no solutions to test")
    tmap: TraceMap = trace_map or (lambda x: x)
    v = _trace_direction(rng, p0)
    s_values = [_trace_point(rng), _trace_point(rng)]
    traces = [np.sum([tmap(x) for x in S], axis=0)]
    size = sum(float(np.linalg.norm(tmap(x))) for x in S)
    for i in range(2):
        # A failed path leaves no trace at that s: another point of the line does as well.
        for _attempt in range(TRACE_ATTEMPTS):
            if deadline is not None and time.monotonic() > deadline:
                return TraceTest(Verdict.UNKNOWN, float("nan"), tol, OUT_OF_TIME_NOTE)
            s = s_values[i]
            X, ok = move(
                system,
                S,
                p0,
                p0 + s * v,
                rng,
                options=options,
                retry_options=retry_options,
                deadline=deadline,
            )
            if np.all(ok):
                break
            s_values[i] = _trace_point(rng)
        else:
            return TraceTest(
                Verdict.UNKNOWN,
                float("nan"),
                tol,
                f"{int(np.sum(~ok))} path(s) failed while moving the fiber "
                f"({TRACE_ATTEMPTS} points of the line tried)",
            )
        traces.append(np.sum([tmap(x) for x in X], axis=0))
        size = max(size, sum(float(np.linalg.norm(tmap(x))) for x in X))
    return _trace_verdict(traces, s_values, size, tol, decisive)


def _trace_verdict(
    traces: Sequence[np.ndarray],
    s_values: Sequence[complex],
    size: float,
    tol: float,
    decisive: bool,
) -> TraceTest:
    """Is ``s -> tau(s)`` affine, given ``tau`` at ``0, s1, s2``? ``size`` sets the scale."""
    t0, t1, t2 = traces
    s1, s2 = s_values
    dev = float(np.linalg.norm((t2 - t0) - (s2 / s1) * (t1 - t0)) / max(size, 1e-300))
    if dev <= tol:
        return TraceTest(Verdict.YES, dev, tol)
    if decisive:
        return TraceTest(Verdict.NO, dev, tol, "trace not affine: solutions are missing")
    return TraceTest(
        Verdict.UNKNOWN,
        dev,
        tol,
        "trace not affine; for a family that is not a generic linear slice this is inconclusive",
    )


def monodromy_solve(
    system: System,
    start_pair: tuple[Any, Any],
    *,
    seed: int | None = None,
    target_count: int | None = None,
    max_loops_without_progress: int = 10,
    max_loops: int = 200,
    trace_test: bool = True,
    trace_map: TraceMap | None = None,
    decisive_trace: bool = False,
    stop_on_trace: bool | None = None,
    dedup_tol: float = 1e-7,
    time_limit: float = 600.0,
    tracker: str | TrackerOptions = "default",
    progress: Callable[[SearchProgress], None] | None = None,
    starts: tuple[Any, Any] | None = None,
    sampler: Sampler | None = None,
    symmetry: Symmetry | str | None = None,
) -> MonodromyResult:
    """All solutions of ``F(x; p0) = 0`` from one start pair ``(x0, p0)``, by monodromy.

    Parameters
    ----------
    start_pair : (x0, p0)
        A solution ``x0`` (or several, as rows) of the system at parameters ``p0``; ``p0`` should
        be generic complex (see :func:`find_start_pair` for systems affine in their parameters).
    target_count : int, optional
        Stop as soon as this many solutions are known (e.g. a known root count).
    max_loops_without_progress : int
        Stopping rule: stop when as many crossings as this many loops carry (4 per known
        solution each), and at least ``MIN_STALE_CROSSINGS``, brought nothing new to ``p0``.
    trace_test : bool
        Run :func:`trace_test` on the result (``complete`` in the result).
    stop_on_trace : bool, optional
        Stop as soon as the trace test passes (tried whenever a new loop brought nothing new).
        Default: only for generic linear-slice families (``decisive_trace``). For other families
        a subset can have an affine trace by symmetry (``{x, -x}`` sums to zero) unless
        ``trace_map`` removes the symmetry; pass ``True`` only with such a map.
    progress : callable, optional
        Called with a :class:`SearchProgress` a few times a second while the search runs, and
        once at its end (e.g. to drive a progress display).
    starts : (X, P), optional
        More start pairs, at other parameters: row ``X[j]`` solves the system at ``P[j]``. Each
        is carried to ``p0`` first, along its own path: independent paths fill the lanes at
        once, where the graph's first rounds wait for each solution to arrive before it can
        travel on (see :func:`find_start_pair` for systems affine in their parameters).
    sampler : callable, optional
        ``sampler(rng, k)`` returns ``k`` fresh start pairs ``(X, P)`` at random parameters.
        Each new loop then comes with ``max(SAMPLES_MIN, n // SAMPLES_PER)`` of them (``n``
        solutions known), each carried to ``p0`` along its own path: a solution that loops
        rarely move (far out, away from the others' branch points) is hit at random instead.
    symmetry : callable or "conjugation", optional
        ``symmetry(X)`` maps solutions at ``p0`` (rows) to solutions at ``p0``. Every new
        solution's image joins the fiber at once (a callable's images are checked: residual
        below ``SYMMETRY_RESIDUAL``, else the search stops with an error): one crossing finds two.
        ``"conjugation"``: complex conjugation, for a system with real coefficients at a real
        ``p0`` (both checked). Then the trace line is real too and needs one node, not two: the
        fiber at ``p0 + s̄ v`` is the conjugate of the fiber at ``p0 + s v`` (when ``trace_map``
        commutes with conjugation, also checked), so its trace is the conjugate trace.

    Examples
    --------
    >>> from neurovariety.nag import parse_system
    >>> F = parse_system("parameters: a, b\\nx^2 + y^2 - a\\nx*y - b")
    >>> r = monodromy_solve(F, (np.array([1.0, 2.0]), np.array([5.0, 2.0])), seed=0)
    >>> r.nsolutions, r.complete.value
    (4, 'yes')
    """
    t_start = time.monotonic()
    deadline = t_start + time_limit
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    opts = _tracker_options(tracker)
    search_opts = dataclasses.replace(
        opts,
        max_steps=min(opts.max_steps, SEARCH_MAX_STEPS),
        predictor_tol=SEARCH_TOL,
        predictor=SEARCH_PREDICTOR,
    )
    system.require_square()
    x0 = np.atleast_2d(np.asarray(start_pair[0], dtype=complex))
    p0 = system.check_parameters(start_pair[1])
    if x0.shape[1] != system.n_variables:
        raise PolynomialSystemError(
            f"start solution has {x0.shape[1]} coordinates, expected {system.n_variables}"
        )
    shape = _pool_shape(system)
    widths = {key: p0.size for key in ("p0", "p1", "c")}  # per-lane homotopy arrays
    compiling: Future[Any] | None = None
    if shape.get("optimize"):
        # A large system's pool program takes seconds to compile: on another core, while
        # this core checks the start (the evaluator compiles too) and builds the graph.
        warm = parameter_homotopy(system, p0, p0, np.random.default_rng(0), a=_affine_patch(system))
        spare = LanePool(warm.fn, warm.data, warm.n_unknowns, widths, **shape)
        # On a daemon worker: a search that stops early (a bad start pair, the budget) does not
        # wait for it. Its trace goes first: two traces at once share one interpreter (the
        # GIL), and the program's compile is the longer way to the first crossing.
        traced = threading.Event()
        compiling = in_background(spare.compile, None, search_opts.program, traced)
        wait_event(traced, deadline)  # set also when the compile fails
    for x in x0:
        res = system.evaluate(x, p0) * np.asarray(system.data["scale"])
        if np.max(np.abs(res)) > 1e-8 * max(1.0, float(np.max(np.abs(x)))) ** max(system.degrees):
            raise PolynomialSystemError(
                f"the start pair is not a solution (residual {np.max(np.abs(res)):.1e}). Fix: "
                "pass x0 with F(x0; p0) = 0, e.g. from find_start_pair"
            )
    real_line = False  # a trace line with one node (conjugation: the other is its mirror)
    check_images = True  # a callable's images are checked by their residual
    tmap: TraceMap = trace_map or (lambda x: x)
    if isinstance(symmetry, str):
        if symmetry != "conjugation":
            raise ValueError(f"symmetry={symmetry!r}: pass a callable or 'conjugation'")
        # Its own random point: the search's draws stay those of any other symmetry.
        p0, real_line = _check_conjugation(system, p0, tmap, np.random.default_rng(seed))
        # Checked on the system itself (an identity at a random point): its images need no
        # residual (~5 ms a batch, ~1 s of a 404-point search).
        symmetry, check_images = np.conj, False
    # The graph: nodes (parameter points) with their known solutions; edge e joins nodes
    # ends[e] = (i, j) by the path t p_i + (1 - t) p_j + t (1 - t) c_e. sent[e] counts the
    # solutions at each end already carried along e (a prefix: solutions are appended);
    # arrived[e][side] holds the solutions at that end that came along e, whose way back is
    # known (an edge is a bijection): they are never carried back.
    nodes = [p0, _random_params(rng, p0)]
    sols: list[np.ndarray] = [x0, np.zeros((0, x0.shape[1]), complex)]
    ends: list[tuple[int, int]] = []
    bends: list[np.ndarray] = []
    sent: list[list[int]] = []
    arrived: list[tuple[set[int], set[int]]] = []
    oneway: list[bool] = []  # crossed from their first end only (start pairs, trace lines)
    loops = tracked = failed = 0
    tested_size = -1  # solutions at p0 when the trace was last read
    size_at_grow = -1  # solutions at p0 when the graph last grew (-1: not yet)
    tracked_at_new = 0  # crossings tracked (all edges) when p0 last gained a solution
    trace: TraceTest | None = None
    reason = ""

    def add_edge(i: int, j: int, one_way: bool = False, straight: bool = False) -> None:
        scale = 0.0 if straight else np.exp(rng.uniform(*np.log(BEND_RANGE)))
        ends.append((i, j))
        bends.append(scale * _random_params(rng, p0))
        sent.append([0, 0])
        arrived.append((set(), set()))
        oneway.append(one_way)

    def add_node(p: np.ndarray | None = None, x: np.ndarray | None = None) -> None:
        nodes.append(_random_params(rng, p0) if p is None else p)
        sols.append(np.zeros((0, x0.shape[1]), complex) if x is None else x)

    def add_starts(xs: np.ndarray, ps: np.ndarray) -> None:
        for x, p in zip(xs, ps, strict=True):
            add_node(system.check_parameters(p), x[None, :])
            add_edge(len(nodes) - 1, 0, one_way=True)

    def grow() -> None:
        nonlocal size_at_grow
        size_at_grow = sols[0].shape[0]
        # A new random node joined to p0 and p1: a loop through a fresh point, so no single
        # node's neighbourhood shapes every loop (extra p0–p1 edges mixed more slowly; petals
        # p0–near node–p0 and bends scaled to the edge's length did not mix better).
        add_node()
        add_edge(0, len(nodes) - 1)
        add_edge(len(nodes) - 1, 1)
        if sampler is not None:
            k = max(SAMPLES_MIN, sols[0].shape[0] // SAMPLES_PER)
            xs, ps = sampler(rng, k)
            add_starts(np.atleast_2d(xs), np.atleast_2d(ps))

    def add_images(first: int) -> None:
        # Images of p0's solutions from row `first` on, then of the new images, until closed.
        nonlocal tracked_at_new
        while symmetry is not None and first < sols[0].shape[0]:
            X = sols[0][first:]
            Y = np.atleast_2d(np.asarray(symmetry(X), dtype=complex))
            res = np.zeros(len(Y))
            if check_images:
                res = _residuals(system, np.concatenate([np.ones((len(Y), 1)), Y], axis=1), p0)
            if Y.shape != X.shape or not np.all(res <= SYMMETRY_RESIDUAL):
                raise PolynomialSystemError(
                    f"symmetry maps solutions at p0 to non-solutions (residual up to "
                    f"{np.max(res, initial=0.0):.1e}). Fix: pass a symmetry of the fiber, e.g. "
                    "'conjugation' only for a system with real coefficients at real parameters"
                )
            first = sols[0].shape[0]
            for y in Y:
                sols[0], _ = _merge(sols[0], y, dedup_tol)
            if sols[0].shape[0] > first:
                tracked_at_new = tracked

    stop = trace_test and (decisive_trace if stop_on_trace is None else stop_on_trace)
    # With ``stop`` the trace test runs inside the search: the trace line p0 + s v has two
    # nodes p0 + s_i v, each joined to p0 by a straight one-way edge, so every solution of p0
    # is carried to both once, in the search's own lanes and ahead of other crossings; the
    # trace is read (a sum, no paths of its own) whenever both nodes have all of p0's
    # solutions. A line with a failed path, or two paths that met, is replaced.
    line: _TraceLine | None = None
    lines = 0
    retired: set[int] = set()  # edges of replaced trace lines
    sums: dict[int, list[Any]] = {}  # node -> [rows summed, sum of tmap, sum of |tmap|]
    line_from: dict[tuple[int, int], int] = {}  # (line node, row) -> the p0 row carried there
    met = 0  # paths of the current line that met another and sent it round again

    def new_line() -> None:
        nonlocal line, lines, met
        if line is not None:
            retired.update(line.edges)
        line = None
        met = 0
        if lines >= TRACE_LINES:
            return
        lines += 1
        v = _trace_direction(rng, p0)
        s_values = (_trace_point(rng, LINE_RADIUS), _trace_point(rng, LINE_RADIUS))
        if real_line:
            v = v.real / max(np.linalg.norm(v.real), 1e-300) * np.linalg.norm(v) + 0j
            s_values = (s_values[0], s_values[0].conjugate())
        m = 1 if real_line else 2
        for s_i in s_values[:m]:
            add_node(p0 + s_i * v)
            add_edge(0, len(nodes) - 1, one_way=True, straight=True)
        line = _TraceLine(
            s_values,
            tuple(range(len(nodes) - m, len(nodes))),
            tuple(range(len(bends) - m, len(bends))),
            0.1 * v * np.exp(2j * np.pi * rng.uniform()),
        )

    def node_trace(node: int) -> tuple[np.ndarray, float]:
        acc = sums.setdefault(node, [0, 0.0, 0.0])
        for x in sols[node][acc[0] :]:
            y = np.asarray(tmap(x))
            acc[1] = acc[1] + y
            acc[2] += float(np.linalg.norm(y))
        acc[0] = sols[node].shape[0]
        return acc[1], acc[2]

    def read_trace() -> bool:
        # Once per solution count at p0, when the line has carried all of them.
        nonlocal trace, tested_size
        n0 = sols[0].shape[0]
        if line is None or n0 == tested_size or any(sols[q].shape[0] != n0 for q in line.nodes):
            return False
        (t0, z0), (t1, z1) = node_trace(0), node_trace(line.nodes[0])
        # A real line's second point mirrors its first: the conjugate fiber, the conjugate trace.
        t2, z2 = node_trace(line.nodes[1]) if len(line.nodes) > 1 else (np.conj(t1), z1)
        trace = _trace_verdict(
            (t0, t1, t2), line.s, max(z0, z1, z2), LINE_TRACE_TOL, decisive_trace
        )
        tested_size = n0
        return trace.verdict is Verdict.YES

    def trace_pending() -> bool:
        # The line has yet to read the current solutions, and the last loop brought nothing new
        # (a loop that found solutions says more are missing: growing beats waiting).
        n0 = sols[0].shape[0]
        return line is not None and tested_size != n0 and size_at_grow in (-1, n0)

    def run_trace(S: np.ndarray) -> TraceTest:
        from . import monodromy as _m  # the parameter shadows the module-level function

        return _m.trace_test(
            system,
            S,
            p0,
            seed=int(rng.integers(2**31)),
            trace_map=trace_map,
            decisive=decisive_trace,
            # Search controls: the endpoints are Newton-refined either way, and a path
            # near a branch point is cheaper to replace (another point of the line) than to
            # track in conservative steps while the search's lanes wait.
            options=search_opts,
            retry_options=search_opts,  # the same controls: no re-track (see `move`)
            deadline=deadline,  # the search's own: a test cut short is "unknown"
        )

    def stale_limit() -> int:
        # A trace test that measured a non-affine trace says solutions are missing (in the
        # families it is used for): keep looking, TRACE_PATIENCE times longer.
        missing = stop and trace is not None and np.isfinite(trace.residual)
        return max_loops_without_progress * (TRACE_PATIENCE if missing else 1)

    def stale() -> bool:
        # The stale rule, in crossings: as many as its loops carry (4 per known solution each:
        # two new edges, both directions) brought nothing new to p0. Counted in crossings, not
        # closed graphs, because the graph grows while lanes idle and may never close.
        nonlocal reason
        quiet = tracked - tracked_at_new
        if quiet < max(MIN_STALE_CROSSINGS, stale_limit() * 4 * sols[0].shape[0]):
            return False
        reason = f"no new solutions in {quiet} crossings ({stale_limit()} loops' worth)"
        return True

    last_report = -1.0

    def report(done: bool = False) -> None:
        nonlocal last_report
        now = time.monotonic()
        if progress is None or (not done and now - last_report < PROGRESS_EVERY):
            return
        last_report = now
        progress(SearchProgress(sols[0].shape[0], tracked, failed, loops, now - t_start, done))

    line_opts = dataclasses.replace(search_opts, max_steps=min(opts.max_steps, LINE_MAX_STEPS))
    # One homotopy for every crossing: a shared random patch, per-lane ends and bend.
    H = parameter_homotopy(system, p0, p0, rng, a=_affine_patch(system))
    a = np.asarray(H.data["a"])
    pool = LanePool(H.fn, H.data, H.n_unknowns, widths, **shape)
    # One compile: a call before it ends would start a second. A failed compile raises here.
    compiled = compiling is None or wait_all([compiling], deadline)
    queue: deque[_Crossing] = deque()
    trace_queue: deque[_Crossing] = deque()
    retries: deque[_Crossing] = deque()
    inflight: dict[int, _Crossing] = {}
    next_tag = 0

    def dispatch() -> None:
        # Everything not yet carried along its edges joins the queue.
        for e in range(len(bends)):
            if e in retired:
                continue
            q = trace_queue if line is not None and e in line.edges else queue
            for side in (0, 1) if not oneway[e] else (0,):
                here, there = ends[e][side], ends[e][1 - side]
                for i in range(sent[e][side], sols[here].shape[0]):
                    q.append(_Crossing(i, here, there, e, side))
                sent[e][side] = sols[here].shape[0]

    def bend_of(t: _Crossing) -> np.ndarray:
        if t.retry and line is not None and t.edge in line.edges:
            return line.detour if t.retry == 1 else -line.detour  # one side, then the other
        return bends[t.edge]

    def load() -> None:
        nonlocal next_tag
        # Detours of failed trace-line paths first, then the line's paths: the trace waits on them.
        # Only trace-line paths are retried, around the detours. A line's last failure costs a
        # new line, a path per solution, so a detour may take about as many steps as a new line
        # takes pool iterations (~ solutions: ~60 steps a path, 64 lanes), within the bounds.
        detour_opts = line_opts
        if retries:
            steps = int(np.clip(sols[0].shape[0], LINE_MAX_STEPS, SEARCH_MAX_STEPS))
            detour_opts = dataclasses.replace(line_opts, max_steps=min(opts.max_steps, steps))
        for q, options in (
            (retries, detour_opts),
            (trace_queue, line_opts),
            (queue, search_opts),
        ):
            m = min(pool.max_width - pool.busy, len(q))
            if m <= 0:
                continue
            # A solution that arrived along this edge (before or after it was queued) is
            # skipped: the edge's bijection already pairs it; so are replaced trace lines.
            batch: list[_Crossing] = []
            while q and len(batch) < m:
                t = q.popleft()
                if t.row not in arrived[t.edge][t.side] and t.edge not in retired:
                    batch.append(t)
            m = len(batch)
            if m == 0:
                continue
            tags = np.arange(next_tag, next_tag + m)
            pd = {
                "p0": np.array([nodes[t.here] for t in batch]),
                "p1": np.array([nodes[t.there] for t in batch]),
                "c": np.array([bend_of(t) for t in batch]),
            }
            X0 = to_patch(np.array([sols[t.here][t.row] for t in batch]), a)
            n_in = pool.load(X0, pd, tags, options)
            for tag, t in zip(tags[:n_in], batch[:n_in], strict=True):
                inflight[int(tag)] = t
            q.extendleft(reversed(batch[n_in:]))
            next_tag += m

    def harvest(lanes: np.ndarray) -> None:
        nonlocal tracked, failed, tracked_at_new, met
        tags, Xr, status, _ = pool.release(lanes)
        tasks = [inflight.pop(int(tag)) for tag in tags]
        known = sols[0].shape[0]
        x, ok = _endpoints(system, Xr, status, np.array([nodes[t.there] for t in tasks]))
        broken = False
        for j, t in enumerate(tasks):
            on_line = line is not None and t.edge in line.edges
            if t.edge in retired:
                tracked += 1
                continue
            if not ok[j]:
                if on_line and t.retry < LINE_DETOURS:
                    # Replacing the line costs a path per solution; a detour costs one. For a
                    # complete fiber it lands on the straight way's endpoint or on another
                    # path's (two paths met: see below).
                    retries.append(t._replace(retry=t.retry + 1))
                else:
                    failed += 1
                    tracked += 1
                    broken |= on_line
                continue
            tracked += 1
            node = t.there
            before = sols[node].shape[0]
            sols[node], row = _merge(sols[node], x[j], dedup_tol)
            arrived[t.edge][1 - t.side].add(row)
            if node == 0 and sols[0].shape[0] > before:
                tracked_at_new = tracked
            if on_line and sols[node].shape[0] > before:
                line_from[(node, row)] = t.row
            elif on_line:
                # Two paths met: one took a different way round a branch point, so a point of
                # the node's fiber is missing. The trace needs the node's points, not who brought
                # which: the other path, sent round the same way, may bring it (for a swap of
                # two, it does). Else the line is replaced.
                other = line_from.get((node, row), t.row)
                if other != t.row and met < LINE_MEETINGS:
                    met += 1
                    retries.append(t._replace(row=other, retry=max(t.retry, 1)))
                else:
                    broken = True
        add_images(known)
        if broken:
            new_line()

    add_images(0)
    # A triangle p0–p1–p2 plus a second p0–p1 edge: three independent loops from the start.
    add_node()
    for i, j in ((0, 1), (0, 1), (0, 2), (1, 2))[:INITIAL_EDGES]:
        add_edge(i, j)
    if starts is not None:
        xs = np.atleast_2d(np.asarray(starts[0], dtype=complex))
        ps = np.atleast_2d(np.asarray(starts[1], dtype=complex))
        if xs.shape[0] != ps.shape[0] or xs.shape[1] != system.n_variables:
            raise PolynomialSystemError(
                f"starts must be rows of {system.n_variables} coordinates with one parameter "
                f"row each; got {xs.shape} and {ps.shape}"
            )
        add_starts(xs, ps)
    out_of_time = False
    while True:
        if target_count is not None and sols[0].shape[0] >= target_count:
            reason = f"target count {target_count} reached"
            break
        if not compiled or time.monotonic() > deadline:
            reason, out_of_time = f"time budget ({time_limit:g} s) exhausted", True
            break
        dispatch()
        load()
        if (
            stop
            and lines == 0
            and not queue
            and pool.busy < pool.max_width
            and sols[0].shape[0] >= MIN_IDLE_SOLUTIONS
        ):
            # The first lane with nothing to carry starts the trace line (its paths would only
            # slow the first, fast rounds). Waiting for half the lanes to idle, as loops do, left
            # the line to start after the last solution had come (404 case seeds 0-9: 6% more
            # pool calls): the search's end waited on all its paths.
            new_line()
            dispatch()
            load()
        idle = not queue and not trace_queue and pool.busy < pool.max_width // 2
        if idle and sols[0].shape[0] >= MIN_IDLE_SOLUTIONS and loops < max_loops:
            # Idle lanes cost as much as busy ones. Nothing is left to carry but stragglers
            # (paths near a branch point, thousands of steps): a new loop puts the lanes to
            # work — unless the trace, about to be read, may say the search is done and the
            # stragglers would run on the narrow tail program (more busy lanes than that run at
            # full width anyway: a loop costs them nothing).
            tail = pool.tail_width
            if not trace_pending() or (tail is not None and pool.busy > tail):
                grow()
                loops += 1
            dispatch()
            load()
        if not queue and not trace_queue and not retries:
            pool.shrink_to_tail()  # only stragglers left (if few enough)
        if pool.busy:
            if not pool.advance(POOL_CHUNK, deadline):
                continue  # the deadline passed: the check above ends the search
            done = pool.finished()
            if done.size:
                harvest(done)
                report()
                if read_trace():
                    reason = "trace test passed"
                    break
            if stale():
                break
            continue
        # Closure: the loops of this graph produce nothing more (the trace, if in use, has
        # been read: its paths go first).
        if stop and lines == 0:
            new_line()
            continue
        if stale():
            break
        if loops >= max_loops:
            reason = f"max_loops={max_loops} reached"
            break
        grow()
        loops += 1
    # Crossings cut short by a stop are neither tracked nor failed: they never ended.
    S = sols[0]
    # A line read that did not pass is no verdict (its tolerance is the line's): the standalone
    # test decides.
    if trace_test and (tested_size != S.shape[0] or trace is None or trace.verdict != Verdict.YES):
        if out_of_time:
            trace = TraceTest(Verdict.UNKNOWN, float("nan"), TRACE_TOL, OUT_OF_TIME_NOTE)
        else:
            trace = run_trace(S)
            out_of_time = trace.note == OUT_OF_TIME_NOTE
    report(done=True)
    return MonodromyResult(
        solutions=S,
        parameters=p0,
        loops=loops,
        stop_reason=reason,
        trace=trace,
        seed=seed,
        seconds=time.monotonic() - t_start,
        paths_tracked=tracked,
        paths_failed=failed,
        out_of_time=out_of_time,
    )


def find_start_pair(system: System, *, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A start pair ``(x0, p0)`` for a system affine in its parameters.

    Picks a random complex ``x0`` and solves the (linear) equations ``F(x0; p) = 0`` for ``p`` by
    least squares; refuses when the system is not affine in ``p`` or the linear system has no
    solution.

    Examples
    --------
    >>> from neurovariety.nag import parse_system
    >>> F = parse_system("parameters: a, b\\nx^2 + y^2 - a\\nx*y - b")
    >>> x0, p0 = find_start_pair(F, seed=0)
    >>> bool(np.max(np.abs(F.evaluate(x0, p0))) < 1e-12)
    True
    """
    rng = np.random.default_rng(_seed(seed))
    k = system.n_parameters
    if k == 0:
        raise PolynomialSystemError("the system has no parameters. Fix: use solve() instead")
    x0 = (rng.normal(size=system.n_variables) + 1j * rng.normal(size=system.n_variables)) / 2
    b = system.evaluate(x0, np.zeros(k))
    A = np.stack([system.evaluate(x0, np.eye(k)[j]) - b for j in range(k)], axis=1)
    p = np.linalg.lstsq(A, -b, rcond=None)[0]
    # Add a random kernel element so p is generic when there are more parameters than equations.
    _, sv, Vh = np.linalg.svd(A)
    rank = int(np.sum(sv > 1e-10 * max(sv.max(initial=0.0), 1e-300)))
    kernel = Vh[rank:].conj().T
    if kernel.shape[1]:
        z = rng.normal(size=kernel.shape[1]) + 1j * rng.normal(size=kernel.shape[1])
        p = p + kernel @ z
    q = (rng.normal(size=k) + 1j * rng.normal(size=k)) / 2
    affine = np.allclose(system.evaluate(x0, q), A @ q + b, rtol=1e-9, atol=1e-9 * np.abs(b).max())
    if not affine:
        raise PolynomialSystemError(
            "find_start_pair needs a system affine in its parameters. Fix: pass start_pair "
            "(x0, p0) with F(x0; p0) = 0 yourself"
        )
    if np.max(np.abs(A @ p + b)) > 1e-8 * max(1.0, float(np.max(np.abs(b)))):
        raise PolynomialSystemError(
            "no parameters make the random point a solution (the linear system in p is "
            "inconsistent). Fix: pass start_pair yourself"
        )
    return x0, p
