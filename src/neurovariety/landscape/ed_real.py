"""Certified real critical-point counts on ED systems of hundreds of solutions.

msolve over Q (:func:`.ed_exact.exact_real_count`) lifts a rational parametrization of every
chart point: exact, but dear as the degree grows (on the 404-solution system of
``cnn k=2,2,2 s=1,1 x^2`` it did not finish in 7 CPU-minutes). This route certifies the same
count numerically, at the same rational data Q, b:

1. the chart critical points are found by monodromy with b itself as base point (real data:
   conjugation symmetry), stopped at the exact count mod p of :func:`.ed_exact.exact_ed_count`;
2. each is refined by Newton's method at 128 bits or more and certified by the Krawczyk test in
   ball arithmetic on the gradient system g = J_cᵀ(Qc − b) with its exact rational coefficients
   (:class:`~neurovariety.nag.certify.BallPolynomials`): the box holds exactly one solution,
   regular. The saturation variable is not needed: det(AᵀJ_c) ≠ 0 proven on the box (the exact
   count's A) puts that solution among the counted ones;
3. pairwise disjoint boxes hold distinct solutions, so as many disjoint certified boxes as the
   exact count are all of them — with the exact count's caveat: the count mod p equals the count
   over Q but at finitely many bad primes;
4. reality: g has real coefficients, so the conjugate of a solution is one. A certified box with
   a real centre is its own conjugate and holds one solution, which is therefore real; a box that
   misses the real subspace holds a non-real one. Points neither proves are retried at a higher
   precision, and reported undecided if they stay so;
5. chart points become functions c(z), evaluated on the boxes and grouped as msolve's points are
   (:func:`.ed_exact.function_classes`).

Fewer certified boxes than the exact count give bounds ("at least R real of at least M
certified"), never an exact claim.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..errors import NeurovarietyError
from ..nag import SearchProgress
from ..nag.certify import BallPolynomials, krawczyk_box, newton
from ..nag.numerics import complex_gaussian
from . import ed_exact
from .ed_system import (
    chart_terms,
    coefficient_arrays,
    coefficient_values,
    ed_system,
    float_terms,
)

REAL_METHODS = ("auto", "exact", "certified")
#: ``real_method="auto"`` lets msolve over Q decide systems with at most this many chart points
#: (its rational lift: 26 points ~4 s, 404 points > 7 minutes) and certifies larger ones.
AUTO_EXACT_REAL_MAX = 64
#: Working precisions (bits) tried in turn for a point whose box or reality stays open.
PRECISIONS = (128, 256, 512)
#: Monodromy rounds: a round that stops short of the count is restarted from what it found.
ROUNDS = 4


@dataclasses.dataclass(frozen=True)
class CertifiedRealCount:
    """Real critical functions certified in ball arithmetic (the fields of
    :class:`.ed_exact.RealEDCount`, plus the certificate's ledger).

    ``complete``: the certified chart points are all ``chart_points`` of the exact count mod p;
    then the counts are exact, otherwise lower bounds (``functions`` at least, of which
    ``real_functions`` at least are real). ``found``: the points the monodromy found
    (``search``: its last round's loops, paths and stop reason); ``degenerate``: certified
    solutions of the gradient system where det(AᵀJ_c) ≠ 0 is not proven (left out).
    ``out_of_time``: a bound because ``time_limit`` ran out. ``cpu_seconds``: the process's
    CPU time, all threads (wall ``seconds`` on a shared machine can be several times more)."""

    functions: int
    real_functions: int
    real_parameter_functions: int
    real_chart_points: int
    fiber_size: int
    complete: bool
    chart_points: int
    certified: int
    nonreal_chart_points: int
    undecided: int
    degenerate: int
    found: int
    search: dict[str, Any]
    primes: list[int]
    precision: int
    how: str
    monodromy_seconds: float
    seconds: float
    cpu_seconds: float
    out_of_time: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {
            "method": "certified",
            "seconds": round(self.seconds, 3),
            "monodromy_seconds": round(self.monodromy_seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
        }


@dataclasses.dataclass
class _Point:
    box: list[Any] | None  # the certified box (None: Krawczyk failed at every precision)
    real: bool | None
    regular: bool | None  # det(AᵀJ_c) ≠ 0 proven on the box (None: the ball holds 0)
    precision: int


def _ball_system(arch: Architecture, loss: ed_exact.LossForm) -> tuple[Any, Any]:
    """``(G, C)``: the gradient system and the coefficients c(z), both as ball polynomials."""
    terms, _ = chart_terms(arch)
    g, _, ctx = ed_exact.gradient_polynomials(terms, loss, 0)
    n = ctx.nvars()
    if any(e.is_zero() for e in g):
        raise NeurovarietyError(
            f"{arch.spec}: a gradient equation vanishes identically, so the chart system is not "
            "square and the Krawczyk test does not apply; use real_method='exact'"
        )
    return BallPolynomials([e.to_dict() for e in g], n), BallPolynomials(terms, n)


def chart_points(
    arch: Architecture,
    loss: ed_exact.LossForm,
    target: int,
    *,
    known: np.ndarray | None = None,
    seed: int = 0,
    time_limit: float = 600.0,
    progress: Callable[[SearchProgress], None] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Chart critical points at the loss's data b (floats) by monodromy, up to ``target``.

    The base point is b itself (real: conjugation brings each point's pair); a random start
    pair is carried to it along a bent path (a real segment can cross the discriminant), unless
    ``known`` solutions at b are given to restart from."""
    from ..nag import monodromy_solve
    from ..nag.monodromy import move
    from .ed_monodromy import EXTRA_STARTS, start_pair

    t0 = time.monotonic()
    terms = float_terms(chart_terms(arch)[0])
    E, A = coefficient_arrays(terms)
    N = len(terms)
    Q = np.array([[float(v) for v in row] for row in loss.Q])
    b = np.array([float(v) for v in loss.b], dtype=complex)
    W = np.eye(N)
    system = ed_system(terms, Q, W, seed=seed)
    rng = np.random.default_rng(seed)

    def pair(r: np.random.Generator, real: bool = False) -> tuple[np.ndarray, np.ndarray]:
        z, u = start_pair(r, E, A, Q, W, real=real)
        # A residual of a random fraction of c's size: with Q = I (Eckart–Young) one of exactly
        # c's size makes the two singular values of a rank-one 2×2 point equal, a focal point
        # where the start is singular.
        Qc = Q @ coefficient_values(E, A, z[None, :])[0][0]
        return z, Qc - r.uniform(0.2, 0.8) * (Qc - u)

    def sampler(r: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        fresh = [pair(r) for _ in range(k)]
        return np.array([z for z, _ in fresh]), np.array([u for _, u in fresh])

    start = known
    for _ in range(8):
        if start is not None and len(start):
            break
        z0, u0 = pair(rng, real=True)
        size = float(np.linalg.norm(b - u0))
        bend = size * complex_gaussian(rng, N, standard=False) / np.sqrt(2 * N)
        X, ok = move(system, z0[None, :], u0, b, rng, bend=bend)
        start = X[ok]
    if start is None or not len(start):
        raise NeurovarietyError(
            f"{arch.spec}: no start solution could be carried to the data (8 paths failed); "
            "rerun with another seed or use real_method='exact'"
        )
    mono = monodromy_solve(
        system,
        (start, b),
        seed=seed,
        target_count=target,
        trace_test=False,
        time_limit=max(1e-3, time_limit - (time.monotonic() - t0)),
        starts=sampler(rng, EXTRA_STARTS),
        sampler=sampler,
        symmetry="conjugation",
        progress=progress,
    )
    info = {
        "loops": mono.loops,
        "paths_tracked": mono.paths_tracked,
        "paths_failed": mono.paths_failed,
        "stop_reason": mono.stop_reason,
    }
    return np.asarray(mono.solutions).reshape(-1, system.n_variables), info


def certify_point(G: Any, C: Any, At: Any, z: np.ndarray) -> _Point:
    """Certify one approximate chart point: its Krawczyk box, real or not, off the degenerate
    locus or not, at the first precision of :data:`PRECISIONS` that decides the box and its
    reality."""
    import flint

    scale = 1.0 + float(np.max(np.abs(z)))
    starts = [z]
    if float(np.max(np.abs(z.imag))) <= 1e-6 * scale:
        starts.insert(0, z.real.astype(complex))  # a real Newton start keeps a real centre
    best = _Point(None, None, None, PRECISIONS[0])
    old = flint.ctx.prec
    try:
        for prec in PRECISIONS:
            flint.ctx.prec = prec
            for x in starts:
                # Quadratic convergence: a step below 2^(-3/4 prec) leaves one at rounding level.
                m, step = newton(G, x, tol=2.0 ** (-0.75 * prec) * scale)
                if not step < 2.0 ** (-prec / 2) * scale:
                    continue  # did not converge here
                radius = max(2.0 ** (-prec / 2) * scale, 1e3 * step)
                X = krawczyk_box(G, m, radius) or krawczyk_box(G, m, 1e6 * radius)
                if X is None:
                    continue
                real: bool | None = all(v.imag.mid() == 0 for v in m)
                if not real:
                    real = False if any(not v.imag.contains(0) for v in X) else None
                det = (At * C.jacobian(X)).det()
                point = _Point(X, real, True if not det.contains(0) else None, prec)
                if real is not None and point.regular:
                    return point
                best = point
                break  # this start certified: a higher precision may decide the rest
    finally:
        flint.ctx.prec = old
    return best


def _twin(Z: np.ndarray, nonreal: dict[int, int], z: np.ndarray) -> int | None:
    """The point certified non-real at a row of ``Z`` close to conj(z), if any. A wrong match
    costs only completeness: the disjointness test drops a box found twice."""
    if not nonreal:
        return None
    rows = np.fromiter(nonreal, int)
    dist = np.max(np.abs(Z[rows] - z.conj()), axis=1)
    j = int(np.argmin(dist))
    return nonreal[int(rows[j])] if dist[j] <= 1e-6 * (1 + float(np.max(np.abs(z)))) else None


def _conjugate(p: _Point) -> _Point:
    """The conjugate of a certified non-real point: conjugate box, det(AᵀJ_c) conjugate."""
    assert p.box is not None
    return _Point([v.conjugate() for v in p.box], False, p.regular, p.precision)


def _disjoint(boxes: list[list[Any]]) -> list[int]:
    """A pairwise disjoint subfamily of ``boxes`` (greedy, in order): indices kept.

    Float midpoints prove most pairs apart (gap above both radii and the rounding of the
    midpoints to float64); the rest are compared as balls."""
    if not boxes:
        return []
    mids = np.array([[complex(float(v.real.mid()), float(v.imag.mid())) for v in b] for b in boxes])
    rad = np.array([[max(float(v.real.rad()), float(v.imag.rad())) for v in b] for b in boxes])
    R = mids.real, mids.imag
    slack = 1e-15 * np.abs(mids)
    kept: list[int] = []
    for i in range(len(boxes)):
        if kept:
            k = np.asarray(kept)
            apart = np.zeros(len(k), bool)
            for part in R:
                gap = np.abs(part[k] - part[i])
                apart |= np.any(gap > 2 * (rad[k] + rad[i] + slack[k] + slack[i]), axis=1)
            close = k[~apart]
            if any(
                all(a.overlaps(c) for a, c in zip(boxes[i], boxes[j], strict=True)) for j in close
            ):
                continue
        kept.append(i)
    return kept


def certified_real_count(
    arch: Architecture,
    loss: ed_exact.LossForm,
    complex_count: ed_exact.ExactEDCount,
    *,
    seed: int = 0,
    time_limit: float = 600.0,
    progress: Callable[[SearchProgress], None] | None = None,
) -> CertifiedRealCount:
    """How many of the ``complex_count.count`` critical functions of ``loss`` are real,
    certified in ball arithmetic (module docstring); a bound where not every chart point is
    certified in ``time_limit``.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.exact_counts import available
    >>> f = parse_architecture("lcn k=2,2 s=2")    # rank-one 2×2 matrices
    >>> terms, keys = chart_terms(f)
    >>> loss = ed_exact.loss_form(f, keys, ed_exact.LossSpec("data", whiten=True), seed=0)
    >>> if available():    # Eckart–Young: the 2 rank-one truncations, both real
    ...     r = certified_real_count(f, loss, ed_exact.exact_ed_count(f, loss))
    ...     print(r.complete, r.functions, r.real_functions)
    ... else:
    ...     print(True, 2, 2)
    True 2 2
    """
    count, target, fiber = _exact_counts(arch, complex_count)
    t0, cpu0 = time.monotonic(), time.process_time()
    run = _Search(arch, loss, target, seed, t0 + time_limit, progress)
    for round_ in range(ROUNDS):
        if not run.round(round_):
            break
    if len(run.kept) > target:
        raise NeurovarietyError(
            f"{arch.spec}: {len(run.kept)} distinct certified regular chart points, more than "
            f"the exact count {target} mod p for p in {complex_count.primes} (a bad prime); "
            "rerun with another seed"
        )
    chosen = [run.points[i] for i in run.kept]
    real = [p.real for p in chosen]
    n_real, n_undecided = real.count(True), real.count(None)
    complete = len(run.kept) == target and n_undecided == 0
    grouped = _functions(run.C, chosen, real, count, fiber, complete)
    return CertifiedRealCount(
        functions=grouped.functions,
        real_functions=grouped.real_functions,
        real_parameter_functions=grouped.with_point,
        real_chart_points=n_real,
        fiber_size=fiber,
        complete=grouped.complete,
        chart_points=target,
        certified=len(run.kept),
        nonreal_chart_points=real.count(False),
        undecided=n_undecided,
        degenerate=sum(1 for p in run.points if p.box is not None and not p.regular),
        found=len(run.found),
        search=run.search,
        primes=complex_count.primes,
        precision=max((p.precision for p in chosen), default=PRECISIONS[0]),
        how=grouped.how,
        monodromy_seconds=run.mono_seconds,
        seconds=time.monotonic() - t0,
        cpu_seconds=time.process_time() - cpu0,
        # A bound because the time ran out (the CLI's exit code 3), not because points were
        # missing after a search that ended by itself.
        out_of_time=not grouped.complete
        and (
            time.monotonic() > run.deadline - 0.5
            or str(run.search.get("stop_reason", "")).startswith("time budget")
        ),
    )


def _exact_counts(arch: Architecture, complex_count: ed_exact.ExactEDCount) -> tuple[int, int, int]:
    """``(functions, chart points, fiber size)`` of the exact count; finite ones only."""
    count, target, fiber = (
        complex_count.count,
        complex_count.parameter_solutions,
        complex_count.fiber_size,
    )
    if count is None or target is None or fiber is None:
        raise NeurovarietyError(
            f"{arch.spec}: the critical set is positive-dimensional; there is no number of real "
            "critical points to count"
        )
    return count, target, fiber


class _Search:
    """Monodromy rounds for the chart points, each new one certified as it comes (steps 1-3)."""

    def __init__(
        self,
        arch: Architecture,
        loss: ed_exact.LossForm,
        target: int,
        seed: int,
        deadline: float,
        progress: Callable[[SearchProgress], None] | None,
    ) -> None:
        import flint

        self.arch, self.loss, self.target, self.seed = arch, loss, target, seed
        self.deadline, self.progress = deadline, progress
        self.G, self.C = _ball_system(arch, loss)
        A = ed_exact.saturating_matrix(len(self.C.polys), self.G.n, seed)
        self.At = flint.acb_mat(A).transpose()
        self.found = np.zeros((0, self.G.n), complex)
        self.points: list[_Point] = []
        self.kept: list[int] = []  # indices of regular points in pairwise disjoint boxes
        self.mono_seconds = 0.0
        self.search: dict[str, Any] = {}

    def round(self, round_: int) -> bool:
        """One monodromy round and the certification of its new points; False: stop."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            return False
        # Degenerate solutions of g the search finds count towards its target, not ours.
        extra = len(self.points) - len(self.kept)
        t1 = time.monotonic()
        Z, self.search = chart_points(
            self.arch,
            self.loss,
            self.target + extra,
            known=self.found if len(self.found) else None,
            seed=self.seed + round_,
            time_limit=0.7 * left,
            progress=self.progress,
        )
        self.mono_seconds += time.monotonic() - t1
        known = len(self.found)
        new = Z[known:] if known and np.allclose(Z[:known], self.found) else Z
        if new is Z:
            self.points = []
        self._certify(Z, new)
        self.found = Z[: len(self.points)]
        good = [i for i, p in enumerate(self.points) if p.box is not None and p.regular]
        boxes = [self.points[i].box for i in good]
        self.kept = [good[j] for j in _disjoint(boxes)]  # type: ignore[arg-type]
        return len(self.kept) < self.target and len(new) > 0

    def _certify(self, Z: np.ndarray, new: np.ndarray) -> None:
        # A non-real point's conjugate gets the conjugate box: g has real coefficients, so that
        # box holds exactly one solution too (half the Krawczyk tests; 372 of the 404 case).
        nonreal: dict[int, int] = {}  # row of Z -> its point, for certified non-real points
        points = self.points
        for i, z in enumerate(new, start=len(Z) - len(new)):
            if time.monotonic() > self.deadline - 0.5:  # room to group and report in time
                break
            twin = _twin(Z, nonreal, z)
            if twin is None:
                points.append(certify_point(self.G, self.C, self.At, z))
            else:
                points.append(_conjugate(points[twin]))
            if points[-1].real is False:
                nonreal[i] = len(points) - 1


@dataclasses.dataclass(frozen=True)
class _Grouped:
    functions: int
    real_functions: int
    with_point: int  # real functions with a real parameter point
    complete: bool
    how: str


def _functions(
    C: BallPolynomials,
    chosen: list[_Point],
    real: list[bool | None],
    count: int,
    fiber: int,
    complete: bool,
) -> _Grouped:
    """Chart points grouped into functions c(z) in ball arithmetic (step 5)."""
    import flint

    n_real = real.count(True)
    functions, real_functions = math.ceil(len(chosen) / fiber), math.ceil(n_real / fiber)
    with_point = real_functions
    how = f"Krawczyk boxes of the {len(chosen)} chart points (acb balls)"
    if complete and fiber == 1:
        how += "; fiber 1: the real critical functions are the real chart points"
    elif complete:
        old, flint.ctx.prec = flint.ctx.prec, max(p.precision for p in chosen)
        try:
            values = [C.values(p.box).entries() for p in chosen]  # type: ignore[arg-type]
        finally:
            flint.ctx.prec = old
        counts = ed_exact.function_classes(values, real, fiber)  # type: ignore[arg-type]
        if counts is None or counts[0] != count:
            complete = False  # the balls do not split into the functions: a bound only
            how += "; not grouped into functions by these balls"
        else:
            functions, real_functions, with_point = counts[:3]
            how += f"; fiber {fiber}: grouped by function in ball arithmetic"
    return _Grouped(functions, real_functions, with_point, complete, how)
