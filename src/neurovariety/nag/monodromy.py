"""Monodromy solving of parametric systems, with a stopping rule and a trace test.

Starting from one solution ``x0`` at generic parameters ``p0``, solutions are carried along the
edges of a small graph in parameter space: nodes ``p0``, ``p1``, ``p2`` (later more random nodes),
edges ``t p_i + (1 - t) p_j + t (1 - t) c``, each with its own random complex bend ``c`` and
tracked as one parameter homotopy in either direction. Loops act on the fiber by permutations, so
new solutions appear. Every (solution, edge, direction) is tracked exactly once, and a solution
that arrived along an edge is never carried back along it (an edge is a bijection). Crossings
stream through a lane pool; when lanes fall idle the graph grows. The search stops when the
**trace test** passes (read inside the search on a line of its own with ``stop_on_trace``), at
``target_count``, by its stale rule, at ``max_loops`` or at the time budget.

The layout: this module is the public entry (:func:`monodromy_solve`, :class:`MonodromyResult`,
:func:`find_start_pair`); :mod:`.monodromy_options` holds the caller's knobs
(:class:`MonodromyOptions`, :class:`SearchProgress`) and the search's constants
(:class:`MonodromyTuning`); :mod:`.monodromy_search` the search's state and steps
(:class:`MonodromySearch`); :mod:`.monodromy_graph` its graph and the crossings along its edges;
:mod:`.trace` the trace test and its one outcome type (:class:`TraceTest`);
:mod:`.parameter_paths` carrying solutions between parameters (:func:`move`).

Reference: Duff, Hill, Jensen, Lee, Leykin & Sommars, *Solving polynomial systems via homotopy
continuation and monodromy*, IMA J. Numer. Anal. 39 (2019); Leykin, Rodriguez & Sottile,
*Trace test*, Arnold Math. J. 4 (2018); Sommese, Verschelde & Wampler, *Symmetric functions applied
to decomposing solution sets of polynomial systems*, SIAM J. Numer. Anal. 40 (2002).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import PolynomialSystemError
from ..results import Certainty, Result, Verdict, plural
from .monodromy_options import (
    TUNING,
    MonodromyOptions,
    MonodromyTuning,
    Sampler,
    SearchProgress,
    Symmetry,
    TraceMap,
)
from .monodromy_search import MonodromySearch
from .numerics import complex_gaussian, numerical_rank
from .parameter_paths import RETRY_OPTIONS, _affine_patch, move
from .paths import _seed
from .system import System
from .trace import (
    OUT_OF_TIME_NOTE,
    TRACE_TOL,
    TraceTest,
    completeness_bullets,
    count_certainty,
    trace_test,
)
from .tracker import TrackerOptions

__all__ = [
    "OUT_OF_TIME_NOTE",
    "RETRY_OPTIONS",
    "TRACE_TOL",
    "TUNING",
    "MonodromyOptions",
    "MonodromyResult",
    "MonodromySearch",
    "MonodromyTuning",
    "Sampler",
    "SearchProgress",
    "Symmetry",
    "TraceMap",
    "TraceTest",
    "_affine_patch",
    "find_start_pair",
    "monodromy_solve",
    "move",
    "trace_test",
]


@dataclass(frozen=True, repr=False)
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
        """The trace test's verdict: ``yes`` when the solutions are the whole fiber."""
        return self.trace.verdict if self.trace is not None else Verdict.UNKNOWN

    @property
    def certainty(self) -> Certainty:
        """Of ``nsolutions`` as the fiber's size: ``numerical`` once the trace test passed,
        else ``bound`` (the solutions found are a lower bound)."""
        return count_certainty(self.trace)

    def title(self) -> str:
        return f"MonodromyResult with {plural(self.nsolutions, 'solution')}"

    def bullets(self) -> list[str]:
        out = [
            f"{plural(self.loops, 'loop')}; stopped: {self.stop_reason}",
            f"{plural(self.paths_tracked, 'path')} tracked, {self.paths_failed} failed (dropped)",
        ]
        if self.out_of_time:
            out.append("partial: the time budget ran out before the search ended")
        out += completeness_bullets(self.trace, plural(self.nsolutions, "solution"))
        out.append(f"random seed: {self.seed} · {self.seconds:.2f} s")
        return out


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
        solution each), and at least ``MonodromyTuning.min_stale_crossings``, brought nothing
        new to ``p0``.
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
        Each new loop then comes with ``max(samples_min, n // samples_per)`` of them
        (:class:`MonodromyTuning`; ``n`` solutions known), each carried to ``p0`` along its own
        path: a solution that loops rarely move (far out, away from the others' branch points)
        is hit at random instead.
    symmetry : callable or "conjugation", optional
        ``symmetry(X)`` maps solutions at ``p0`` (rows) to solutions at ``p0``. Every new
        solution's image joins the fiber at once (a callable's images are checked: residual
        below ``MonodromyTuning.symmetry_residual``, else the search stops with an error): one
        crossing finds two.
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
    options = MonodromyOptions(
        seed=seed,
        target_count=target_count,
        max_loops_without_progress=max_loops_without_progress,
        max_loops=max_loops,
        trace_test=trace_test,
        trace_map=trace_map,
        decisive_trace=decisive_trace,
        stop_on_trace=stop_on_trace,
        dedup_tol=dedup_tol,
        time_limit=time_limit,
        tracker=tracker,
        progress=progress,
        starts=starts,
        sampler=sampler,
        symmetry=symmetry,
    )
    return solve_with(system, start_pair, options)


def solve_with(
    system: System, start_pair: tuple[Any, Any], options: MonodromyOptions
) -> MonodromyResult:
    """:func:`monodromy_solve` with its knobs gathered in one :class:`MonodromyOptions`."""
    search = MonodromySearch(system, start_pair, options)
    search.run()
    return MonodromyResult(
        solutions=search.solutions,
        parameters=search.p0,
        loops=search.loops,
        stop_reason=search.reason,
        trace=search.trace,
        seed=search.seed,
        seconds=time.monotonic() - search.t_start,
        paths_tracked=search.tracked,
        paths_failed=search.failed,
        out_of_time=search.out_of_time,
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
    x0 = complex_gaussian(rng, system.n_variables, standard=False) / 2
    b = system.evaluate(x0, np.zeros(k))
    A = np.stack([system.evaluate(x0, np.eye(k)[j]) - b for j in range(k)], axis=1)
    p = np.linalg.lstsq(A, -b, rcond=None)[0]
    # Add a random kernel element so p is generic when there are more parameters than equations.
    _, sv, Vh = np.linalg.svd(A)
    rank = numerical_rank(sv, 1e-10)[0]
    kernel = Vh[rank:].conj().T
    if kernel.shape[1]:
        z = complex_gaussian(rng, kernel.shape[1], standard=False)
        p = p + kernel @ z
    q = complex_gaussian(rng, k, standard=False) / 2
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
