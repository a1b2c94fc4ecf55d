"""The state of a monodromy search and its steps (:func:`~neurovariety.nag.monodromy_solve`).

A :class:`MonodromySearch` holds the graph of parameter nodes
(:class:`~neurovariety.nag.monodromy_graph.ParameterGraph`), the lane pool its crossings stream
through, the queues of crossings, the trace line and the counters. Its loop: queue what is not
yet carried (:meth:`~MonodromySearch.dispatch`), fill idle lanes (:meth:`~MonodromySearch.load`),
advance the pool, merge what arrived (:meth:`~MonodromySearch.harvest`), read the trace, grow
the graph when lanes idle, and stop. The draws from the search's random generator come in a
fixed order, so a seed fixes the graph.

Reference: Duff, Hill, Jensen, Lee, Leykin & Sommars, *Solving polynomial systems via homotopy
continuation and monodromy*, IMA J. Numer. Anal. 39 (2019).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import PolynomialSystemError
from ..results import Verdict
from . import monodromy_options
from . import trace as _trace
from .homotopy import parameter_homotopy, to_patch
from .lanes import LanePool
from .monodromy_graph import Crossing, ParameterGraph, _merge
from .monodromy_options import MonodromyOptions, SearchProgress, TraceMap
from .parameter_paths import _affine_patch, _endpoints, _pool_shape, _random_params
from .paths import _residuals, _seed, _tracker_options
from .system import System
from .trace import (
    OUT_OF_TIME_NOTE,
    TraceTest,
    _check_conjugation,
    _trace_direction,
    _trace_point,
    _trace_verdict,
)
from .tracker import TrackerOptions
from .workers import in_background, wait_all, wait_event


@dataclass(frozen=True)
class _TraceLine:
    """The trace line ``p0 + s v`` of a search: its two points, their nodes and edges (one node
    and edge for a real line: its second point mirrors the first)."""

    s: tuple[complex, complex]
    nodes: tuple[int, ...]
    edges: tuple[int, ...]
    detour: np.ndarray  # the bend of a path's second try (its straight way passes a branch point)


class MonodromySearch:
    """A monodromy search from one start pair: its graph, pool, queues, trace line and counts.

    :meth:`run` searches; ``reason``, ``trace``, ``out_of_time`` and the counts (``loops``,
    ``tracked``, ``failed``) then say how it ended. See :func:`monodromy_solve` for the rules.
    """

    def __init__(
        self, system: System, start_pair: tuple[Any, Any], options: MonodromyOptions
    ) -> None:
        self.t_start = time.monotonic()
        self.deadline = self.t_start + options.time_limit
        self.seed = _seed(options.seed)
        self.rng = np.random.default_rng(self.seed)
        self.system, self.options = system, options
        self.tuning = t = monodromy_options.TUNING
        self.opts = _tracker_options(options.tracker)
        self.search_opts = dataclasses.replace(
            self.opts,
            max_steps=min(self.opts.max_steps, t.search_max_steps),
            predictor_tol=t.search_tol,
            predictor=t.search_predictor,
        )
        system.require_square()
        x0 = np.atleast_2d(np.asarray(start_pair[0], dtype=complex))
        p0 = system.check_parameters(start_pair[1])
        if x0.shape[1] != system.n_variables:
            raise PolynomialSystemError(
                f"start solution has {x0.shape[1]} coordinates, expected {system.n_variables}"
            )
        self.shape = _pool_shape(system, t)
        self.widths = {key: p0.size for key in ("p0", "p1", "c")}  # per-lane homotopy arrays
        compiling = self._compile_early(p0)
        self._check_start(x0, p0)
        self.p0 = self._symmetry(p0)
        nodes = [self.p0, _random_params(self.rng, self.p0)]
        sols = [x0, np.zeros((0, x0.shape[1]), complex)]
        self.graph = ParameterGraph(self.p0, self.rng, t.bend_range, nodes, sols)
        self.stop = options.stops_on_trace
        self._init_counts()
        self.line_opts = dataclasses.replace(
            self.search_opts, max_steps=min(self.opts.max_steps, t.line_max_steps)
        )
        # One homotopy for every crossing: a shared random patch, per-lane ends and bend.
        H = parameter_homotopy(system, self.p0, self.p0, self.rng, a=_affine_patch(system))
        self.a = np.asarray(H.data["a"])
        self.pool = LanePool(H.fn, H.data, H.n_unknowns, self.widths, **self.shape)
        # One compile: a call before it ends would start a second. A failed compile raises here.
        self.compiled = compiling is None or wait_all([compiling], self.deadline)
        self._start_graph(options.starts)

    def _init_counts(self) -> None:
        self.loops = self.tracked = self.failed = 0
        self.tested_size = -1  # solutions at p0 when the trace was last read
        self.size_at_grow = -1  # solutions at p0 when the graph last grew (-1: not yet)
        self.tracked_at_new = 0  # crossings tracked (all edges) when p0 last gained a solution
        self.trace: TraceTest | None = None
        self.reason = ""
        self.out_of_time = False
        self.last_report = -1.0
        # The trace line inside the search (with ``stop``): two nodes p0 + s_i v, each joined to
        # p0 by a straight one-way edge, so every solution of p0 is carried to both once, in the
        # search's own lanes and ahead of other crossings; the trace is read (a sum, no paths of
        # its own) whenever both have all of p0's solutions. A line with a failed path, or two
        # paths that met, is replaced.
        self.line: _TraceLine | None = None
        self.lines = 0
        self.retired: set[int] = set()  # edges of replaced trace lines
        self.sums: dict[int, list[Any]] = {}  # node -> [rows summed, sum of tmap, sum of |tmap|]
        self.line_from: dict[tuple[int, int], int] = {}  # (line node, row) -> the p0 row sent
        self.met = 0  # paths of the current line that met another and sent it round again
        self.queue: deque[Crossing] = deque()
        self.trace_queue: deque[Crossing] = deque()
        self.retries: deque[Crossing] = deque()
        self.inflight: dict[int, Crossing] = {}
        self.next_tag = 0

    # -- the start ---------------------------------------------------------------------------

    def _compile_early(self, p0: np.ndarray) -> Future[Any] | None:
        """A large system's pool program takes seconds to compile: on another core, while this
        core checks the start (the evaluator compiles too) and builds the graph."""
        if not self.shape.get("optimize"):
            return None
        system = self.system
        warm = parameter_homotopy(system, p0, p0, np.random.default_rng(0), a=_affine_patch(system))
        spare = LanePool(warm.fn, warm.data, warm.n_unknowns, self.widths, **self.shape)
        # On a daemon worker: a search that stops early (a bad start pair, the budget) does not
        # wait for it. Its trace goes first: two traces at once share one interpreter (the
        # GIL), and the program's compile is the longer way to the first crossing.
        traced = threading.Event()
        compiling = in_background(spare.compile, None, self.search_opts.program, traced)
        wait_event(traced, self.deadline)  # set also when the compile fails
        return compiling

    def _check_start(self, x0: np.ndarray, p0: np.ndarray) -> None:
        system = self.system
        for x in x0:
            res = system.evaluate(x, p0) * np.asarray(system.data["scale"])
            bound = 1e-8 * max(1.0, float(np.max(np.abs(x)))) ** max(system.degrees)
            if np.max(np.abs(res)) > bound:
                raise PolynomialSystemError(
                    f"the start pair is not a solution (residual {np.max(np.abs(res)):.1e}). "
                    "Fix: pass x0 with F(x0; p0) = 0, e.g. from find_start_pair"
                )

    def _symmetry(self, p0: np.ndarray) -> np.ndarray:
        """Set up the symmetry; the base parameters (real under conjugation)."""
        symmetry = self.options.symmetry
        self.real_line = False  # a trace line with one node (conjugation: the other mirrors it)
        self.check_images = True  # a callable's images are checked by their residual
        self.tmap: TraceMap = self.options.trace_map or (lambda x: x)
        if isinstance(symmetry, str):
            if symmetry != "conjugation":
                raise ValueError(f"symmetry={symmetry!r}: pass a callable or 'conjugation'")
            # Its own random point: the search's draws stay those of any other symmetry.
            p0, self.real_line = _check_conjugation(
                self.system, p0, self.tmap, np.random.default_rng(self.seed)
            )
            # Checked on the system itself (an identity at a random point): its images need no
            # residual (~5 ms a batch, ~1 s of a 404-point search).
            symmetry, self.check_images = np.conj, False
        self.symmetry = symmetry
        return p0

    def _start_graph(self, starts: tuple[Any, Any] | None) -> None:
        self.add_images(0)
        # A triangle p0–p1–p2 plus a second p0–p1 edge: three independent loops from the start.
        self.graph.add_node()
        for i, j in ((0, 1), (0, 1), (0, 2), (1, 2))[: self.tuning.initial_edges]:
            self.graph.add_edge(i, j)
        if starts is None:
            return
        xs = np.atleast_2d(np.asarray(starts[0], dtype=complex))
        ps = np.atleast_2d(np.asarray(starts[1], dtype=complex))
        n = self.system.n_variables
        if xs.shape[0] != ps.shape[0] or xs.shape[1] != n:
            raise PolynomialSystemError(
                f"starts must be rows of {n} coordinates with one parameter "
                f"row each; got {xs.shape} and {ps.shape}"
            )
        self.add_starts(xs, ps)

    # -- the graph ---------------------------------------------------------------------------

    def add_starts(self, xs: np.ndarray, ps: np.ndarray) -> None:
        """Start pairs at other parameters, each carried to ``p0`` along its own edge."""
        for x, p in zip(xs, ps, strict=True):
            node = self.graph.add_node(self.system.check_parameters(p), x[None, :])
            self.graph.add_edge(node, 0, one_way=True)

    def grow(self) -> None:
        """A new loop: a random node joined to p0 and p1 (so no single node's neighbourhood
        shapes every loop), with fresh start pairs from the sampler."""
        g = self.graph
        self.size_at_grow = g.known()
        node = g.add_node()
        g.add_edge(0, node)
        g.add_edge(node, 1)
        if self.options.sampler is not None:
            k = max(self.tuning.samples_min, g.known() // self.tuning.samples_per)
            xs, ps = self.options.sampler(self.rng, k)
            self.add_starts(np.atleast_2d(xs), np.atleast_2d(ps))
        self.loops += 1

    def add_images(self, first: int) -> None:
        """Images of p0's solutions from row ``first`` on, then of the new images, until closed."""
        g, system = self.graph, self.system
        while self.symmetry is not None and first < g.known():
            X = g.sols[0][first:]
            Y = np.atleast_2d(np.asarray(self.symmetry(X), dtype=complex))
            res = np.zeros(len(Y))
            if self.check_images:
                res = _residuals(system, np.concatenate([np.ones((len(Y), 1)), Y], axis=1), self.p0)
            if Y.shape != X.shape or not np.all(res <= self.tuning.symmetry_residual):
                raise PolynomialSystemError(
                    f"symmetry maps solutions at p0 to non-solutions (residual up to "
                    f"{np.max(res, initial=0.0):.1e}). Fix: pass a symmetry of the fiber, e.g. "
                    "'conjugation' only for a system with real coefficients at real parameters"
                )
            first = g.known()
            for y in Y:
                g.sols[0], _ = _merge(g.sols[0], y, self.options.dedup_tol)
            if g.known() > first:
                self.tracked_at_new = self.tracked

    # -- the trace line ----------------------------------------------------------------------

    def new_line(self) -> None:
        """Replace the trace line (or start the first), unless ``trace_lines`` were tried."""
        t, g = self.tuning, self.graph
        if self.line is not None:
            self.retired.update(self.line.edges)
        self.line = None
        self.met = 0
        if self.lines >= t.trace_lines:
            return
        self.lines += 1
        v = _trace_direction(self.rng, self.p0)
        s_values = (_trace_point(self.rng, t.line_radius), _trace_point(self.rng, t.line_radius))
        if self.real_line:
            v = v.real / max(np.linalg.norm(v.real), 1e-300) * np.linalg.norm(v) + 0j
            s_values = (s_values[0], s_values[0].conjugate())
        m = 1 if self.real_line else 2
        for s_i in s_values[:m]:
            g.add_edge(0, g.add_node(self.p0 + s_i * v), one_way=True, straight=True)
        self.line = _TraceLine(
            s_values,
            tuple(range(len(g.nodes) - m, len(g.nodes))),
            tuple(range(len(g.bends) - m, len(g.bends))),
            0.1 * v * np.exp(2j * np.pi * self.rng.uniform()),
        )

    def _node_trace(self, node: int) -> tuple[np.ndarray, float]:
        acc = self.sums.setdefault(node, [0, 0.0, 0.0])
        for x in self.graph.sols[node][acc[0] :]:
            y = np.asarray(self.tmap(x))
            acc[1] = acc[1] + y
            acc[2] += float(np.linalg.norm(y))
        acc[0] = self.graph.known(node)
        return acc[1], acc[2]

    def read_trace(self) -> bool:
        """Read the line's trace once per solution count at p0, when the line has carried all
        of them; whether it passed."""
        n0, line = self.graph.known(), self.line
        if line is None or n0 == self.tested_size:
            return False
        if any(self.graph.known(q) != n0 for q in line.nodes):
            return False
        (t0, z0), (t1, z1) = self._node_trace(0), self._node_trace(line.nodes[0])
        # A real line's second point mirrors its first: the conjugate fiber, the conjugate trace.
        t2, z2 = self._node_trace(line.nodes[1]) if len(line.nodes) > 1 else (np.conj(t1), z1)
        self.trace = _trace_verdict(
            (t0, t1, t2),
            line.s,
            max(z0, z1, z2),
            self.tuning.line_trace_tol,
            self.options.decisive_trace,
        )
        self.tested_size = n0
        return self.trace.verdict is Verdict.YES

    def trace_pending(self) -> bool:
        """The line has yet to read the current solutions, and the last loop brought nothing
        new (a loop that found solutions says more are missing: growing beats waiting)."""
        n0 = self.graph.known()
        return self.line is not None and self.tested_size != n0 and self.size_at_grow in (-1, n0)

    def run_trace(self, S: np.ndarray) -> TraceTest:
        """The standalone trace test of ``S``, within the search's budget."""
        return _trace.trace_test(
            self.system,
            S,
            self.p0,
            seed=int(self.rng.integers(2**31)),
            trace_map=self.options.trace_map,
            tol=self.tuning.trace_tol,
            decisive=self.options.decisive_trace,
            # Search controls: the endpoints are Newton-refined either way, and a path near a
            # branch point is cheaper to replace (another point of the line) than to track in
            # conservative steps while the search's lanes wait.
            options=self.search_opts,
            retry_options=self.search_opts,  # the same controls: no re-track (see `move`)
            deadline=self.deadline,  # the search's own: a test cut short is "unknown"
        )

    # -- the stopping rules ------------------------------------------------------------------

    def stale_limit(self) -> int:
        """Loops' worth of quiet crossings that end the search: longer after a non-affine
        trace, which says solutions are missing (in the families it is used for)."""
        missing = self.stop and self.trace is not None and np.isfinite(self.trace.residual)
        patience = self.tuning.trace_patience if missing else 1
        return self.options.max_loops_without_progress * patience

    def stale(self) -> bool:
        """As many crossings as the stale rule's loops carry (4 per known solution each: two
        new edges, both directions) brought nothing new to p0. Counted in crossings, not closed
        graphs: the graph grows while lanes idle and may never close."""
        quiet = self.tracked - self.tracked_at_new
        need = max(self.tuning.min_stale_crossings, self.stale_limit() * 4 * self.graph.known())
        if quiet < need:
            return False
        self.reason = f"no new solutions in {quiet} crossings ({self.stale_limit()} loops' worth)"
        return True

    def report(self, done: bool = False) -> None:
        now = time.monotonic()
        progress = self.options.progress
        if progress is None or (not done and now - self.last_report < self.tuning.progress_every):
            return
        self.last_report = now
        progress(
            SearchProgress(
                self.graph.known(), self.tracked, self.failed, self.loops, now - self.t_start, done
            )
        )

    # -- the pool ----------------------------------------------------------------------------

    def dispatch(self) -> None:
        """Everything not yet carried along its edges joins the queue."""
        g = self.graph
        for e in range(len(g.bends)):
            if e in self.retired:
                continue
            on_line = self.line is not None and e in self.line.edges
            q = self.trace_queue if on_line else self.queue
            for side in (0, 1) if not g.oneway[e] else (0,):
                here, there = g.ends[e][side], g.ends[e][1 - side]
                for i in range(g.sent[e][side], g.known(here)):
                    q.append(Crossing(i, here, there, e, side))
                g.sent[e][side] = g.known(here)

    def _bend(self, t: Crossing) -> np.ndarray:
        if t.retry and self.line is not None and t.edge in self.line.edges:
            return self.line.detour if t.retry == 1 else -self.line.detour  # one side, then other
        return self.graph.bends[t.edge]

    def load(self) -> None:
        """Fill idle lanes: detours of failed trace-line paths first, then the line's paths
        (the trace waits on them), then the rest."""
        # Only trace-line paths are retried, around the detours. A line's last failure costs a
        # new line, a path per solution, so a detour may take about as many steps as a new line
        # takes pool iterations (~ solutions: ~60 steps a path, 64 lanes), within the bounds.
        t = self.tuning
        detour_opts = self.line_opts
        if self.retries:
            steps = int(np.clip(self.graph.known(), t.line_max_steps, t.search_max_steps))
            detour_opts = dataclasses.replace(
                self.line_opts, max_steps=min(self.opts.max_steps, steps)
            )
        for q, options in (
            (self.retries, detour_opts),
            (self.trace_queue, self.line_opts),
            (self.queue, self.search_opts),
        ):
            self._load_from(q, options)

    def _load_from(self, q: deque[Crossing], options: TrackerOptions) -> None:
        g, pool = self.graph, self.pool
        m = min(pool.max_width - pool.busy, len(q))
        if m <= 0:
            return
        # A solution that arrived along this edge (before or after it was queued) is skipped:
        # the edge's bijection already pairs it; so are replaced trace lines.
        batch: list[Crossing] = []
        while q and len(batch) < m:
            t = q.popleft()
            if t.row not in g.arrived[t.edge][t.side] and t.edge not in self.retired:
                batch.append(t)
        m = len(batch)
        if m == 0:
            return
        tags = np.arange(self.next_tag, self.next_tag + m)
        pd = {
            "p0": np.array([g.nodes[t.here] for t in batch]),
            "p1": np.array([g.nodes[t.there] for t in batch]),
            "c": np.array([self._bend(t) for t in batch]),
        }
        X0 = to_patch(np.array([g.sols[t.here][t.row] for t in batch]), self.a)
        n_in = pool.load(X0, pd, tags, options)
        for tag, t in zip(tags[:n_in], batch[:n_in], strict=True):
            self.inflight[int(tag)] = t
        q.extendleft(reversed(batch[n_in:]))
        self.next_tag += m

    def harvest(self, lanes: np.ndarray) -> None:
        """Merge the paths that ended in ``lanes`` into their nodes' solutions."""
        g = self.graph
        tags, Xr, status, _ = self.pool.release(lanes)
        tasks = [self.inflight.pop(int(tag)) for tag in tags]
        known = g.known()
        x, ok = _endpoints(self.system, Xr, status, np.array([g.nodes[t.there] for t in tasks]))
        broken = False
        for j, t in enumerate(tasks):
            if t.edge in self.retired:
                self.tracked += 1
            elif ok[j]:
                self.tracked += 1
                broken |= self._arrive(t, x[j])
            else:
                broken |= self._fail(t)
        self.add_images(known)
        if broken:
            self.new_line()

    def _fail(self, t: Crossing) -> bool:
        """A crossing that failed; whether it broke the trace line."""
        on_line = self.line is not None and t.edge in self.line.edges
        if on_line and t.retry < self.tuning.line_detours:
            # Replacing the line costs a path per solution; a detour costs one. For a complete
            # fiber it lands on the straight way's endpoint or on another path's (two paths
            # met: see `_arrive`).
            self.retries.append(t._replace(retry=t.retry + 1))
            return False
        self.failed += 1
        self.tracked += 1
        return on_line

    def _arrive(self, t: Crossing, x: np.ndarray) -> bool:
        """A crossing that arrived at ``x``; whether it broke the trace line."""
        g = self.graph
        on_line = self.line is not None and t.edge in self.line.edges
        node = t.there
        before = g.known(node)
        g.sols[node], row = _merge(g.sols[node], x, self.options.dedup_tol)
        g.arrived[t.edge][1 - t.side].add(row)
        if node == 0 and g.known() > before:
            self.tracked_at_new = self.tracked
        if not on_line:
            return False
        if g.known(node) > before:
            self.line_from[(node, row)] = t.row
            return False
        # Two paths met: one took a different way round a branch point, so a point of the
        # node's fiber is missing. The trace needs the node's points, not who brought which:
        # the other path, sent round the same way, may bring it (for a swap of two, it does).
        # Else the line is replaced.
        other = self.line_from.get((node, row), t.row)
        if other != t.row and self.met < self.tuning.line_meetings:
            self.met += 1
            self.retries.append(t._replace(row=other, retry=max(t.retry, 1)))
            return False
        return True

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        """Search until a stopping rule ends it; then decide the trace verdict."""
        while not self._must_stop():
            self._fill()
            if self.pool.busy:
                if self._advance():
                    break
                continue
            if self._closed():
                break
        self._finish()

    def _must_stop(self) -> bool:
        target = self.options.target_count
        if target is not None and self.graph.known() >= target:
            self.reason = f"target count {target} reached"
            return True
        if not self.compiled or time.monotonic() > self.deadline:
            self.reason = f"time budget ({self.options.time_limit:g} s) exhausted"
            self.out_of_time = True
            return True
        return False

    def _fill(self) -> None:
        """Queue and load what is to carry; start the trace line or grow the graph on idle lanes."""
        pool, n0 = self.pool, self.graph.known()
        self.dispatch()
        self.load()
        enough = n0 >= self.tuning.min_idle_solutions
        first_idle = not self.queue and pool.busy < pool.max_width
        if self.stop and self.lines == 0 and first_idle and enough:
            # The first lane with nothing to carry starts the trace line (its paths would only
            # slow the first, fast rounds); waiting for half the lanes to idle, as loops do,
            # left the search's end waiting on all the line's paths.
            self.new_line()
            self.dispatch()
            self.load()
        idle = not self.queue and not self.trace_queue and pool.busy < pool.max_width // 2
        if idle and enough and self.loops < self.options.max_loops:
            # Idle lanes cost as much as busy ones, and nothing is left but stragglers (paths
            # near a branch point): a new loop puts the lanes to work — unless the trace, about
            # to be read, may end the search and the stragglers would run on the narrow tail
            # program (more busy lanes than that run at full width anyway: a loop is free).
            tail = pool.tail_width
            if not self.trace_pending() or (tail is not None and pool.busy > tail):
                self.grow()
            self.dispatch()
            self.load()
        if not self.queue and not self.trace_queue and not self.retries:
            pool.shrink_to_tail()  # only stragglers left (if few enough)

    def _advance(self) -> bool:
        """Advance the pool and merge what ended; whether the search is over."""
        if not self.pool.advance(self.tuning.pool_chunk, self.deadline):
            return False  # the deadline passed: the next check ends the search
        done = self.pool.finished()
        if done.size:
            self.harvest(done)
            self.report()
            if self.read_trace():
                self.reason = "trace test passed"
                return True
        return self.stale()

    def _closed(self) -> bool:
        """The pool is empty: the loops of this graph produce nothing more (the trace, if in
        use, has been read: its paths go first). Start the line, stop, or grow."""
        if self.stop and self.lines == 0:
            self.new_line()
            return False
        if self.stale():
            return True
        if self.loops >= self.options.max_loops:
            self.reason = f"max_loops={self.options.max_loops} reached"
            return True
        self.grow()
        return False

    def _finish(self) -> None:
        # Crossings cut short by a stop are neither tracked nor failed: they never ended.
        # A line read that did not pass is no verdict (its tolerance is the line's): the
        # standalone test decides.
        S, trace = self.solutions, self.trace
        if self.options.trace_test and (
            self.tested_size != S.shape[0] or trace is None or trace.verdict != Verdict.YES
        ):
            if self.out_of_time:
                tol = self.tuning.trace_tol
                self.trace = TraceTest(Verdict.UNKNOWN, float("nan"), tol, OUT_OF_TIME_NOTE)
            else:
                self.trace = self.run_trace(S)
                self.out_of_time = self.trace.note == OUT_OF_TIME_NOTE
        self.report(done=True)

    @property
    def solutions(self) -> np.ndarray:
        """The solutions known at ``p0``."""
        return self.graph.sols[0]
