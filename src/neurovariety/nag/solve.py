"""``solve`` (total-degree or polyhedral homotopy) and ``solve_many`` (parameter homotopy).

The paths of a start system are run by :func:`~neurovariety.nag.paths.execute` (track, endgame,
re-track what failed or jumped) and their endpoints classified by
:func:`~neurovariety.nag.endpoints.finish`. The polyhedral homotopy (Huber & Sturmfels) tracks two
stages, cell homotopies to a random-coefficient system and a coefficient-parameter homotopy to the
target, through the same stages; ``method="monodromy"`` is in :mod:`.solve_monodromy`. Every call
has a wall-clock budget (``time_limit``) and a step budget per path (``TrackerOptions.max_steps``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..errors import BudgetExceededError, PolynomialSystemError
from .endgame import EndgameOptions
from .endpoints import finish
from .homotopy import (
    Homotopy,
    parameter_homotopy,
    polyhedral_homotopy,
    random_patch,
    to_patch,
    total_degree_homotopy,
)
from .paths import Batch, Job, _seed, _tracker_options, execute, merge, take
from .polyhedral import PolyhedralStart, polyhedral_start
from .result import PathStatus, SolveResult
from .system import System
from .tracker import TrackerOptions


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
    method: str = "homotopy",
) -> SolveResult:
    """All isolated solutions of a polynomial system by a homotopy or by monodromy.

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
    method : str
        ``"homotopy"`` (the start system ``start``) or ``"monodromy"``: the solutions at random
        parameters (or coefficients) by monodromy, then a parameter homotopy to the system
        (:func:`~neurovariety.nag.solve_monodromy.solve_monodromy`); ``start`` must stay
        ``"auto"``.

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
    if _method(method, start) == "monodromy":
        from .solve_monodromy import solve_monodromy  # it imports this module

        return solve_monodromy(
            system,
            parameters=parameters,
            seed=seed,
            tracker=tracker,
            endgame=endgame,
            time_limit=time_limit,
            dedup_tol=dedup_tol,
            batch_size=batch_size,
        )
    t_start = time.monotonic()
    deadline = t_start + time_limit
    seed = _seed(seed)
    system.require_square()
    p = system.check_parameters(parameters)
    opts = _tracker_options(tracker)
    eg = endgame or EndgameOptions()
    poly = _polyhedral_choice(system, p, start, seed, t_start, time_limit)
    count = system.bezout_number if poly is None else poly.mixed_volume
    if count > max_paths:
        homotopy = "total-degree" if poly is None else "polyhedral"
        raise BudgetExceededError(
            f"the {homotopy} homotopy needs {count} paths, above max_paths={max_paths}. Fix: "
            "raise max_paths, or use method='monodromy' (one path per solution)"
        )
    run = _Run(opts, eg, seed, deadline, dedup_tol, batch_size, t_start)
    if poly is not None:
        result = _solve_polyhedral(system, poly, run, system.bezout_number)
    else:
        result = _solve_total_degree(system, p, run)
    return replace(result, parameters=tuple(complex(z) for z in p))


@dataclass(frozen=True)
class _Run:
    """The controls every start system's run shares."""

    opts: TrackerOptions
    eg: EndgameOptions
    seed: int
    deadline: float
    dedup_tol: float
    batch_size: int
    t_start: float

    def execute(
        self, H: Homotopy, system: System, P: np.ndarray, X0: np.ndarray
    ) -> tuple[Batch, np.ndarray]:
        """:func:`execute` of the paths from ``X0``, with targets ``P``, under these controls."""
        job = Job(H, system, np.array(P), self.opts, self.eg, self.deadline)
        return execute(job, X0, self.dedup_tol, self.batch_size)


def _solve_total_degree(system: System, p: np.ndarray, run: _Run) -> SolveResult:
    """One path per start solution of ``x_i^{d_i} = 1`` (Bézout many), the gamma trick."""
    count = system.bezout_number
    H, X0 = total_degree_homotopy(system, p, np.random.default_rng(run.seed))
    batch, retracked = run.execute(H, system, np.broadcast_to(p, (X0.shape[0], p.size)), X0)
    result = finish(
        system,
        batch,
        retracked,
        p,
        seed=run.seed,
        method=f"total-degree homotopy ({count} paths, Bézout)",
        dedup_tol=run.dedup_tol,
        t_start=run.t_start,
        deadline=run.deadline,
    )
    return replace(result, start_system="total-degree", root_count=count)


#: ``start="auto"`` computes a mixed volume only from this Bézout number on (few paths: cheap).
AUTO_MIN_BEZOUT = 64
#: ``start="auto"`` lets the mixed-cell enumeration take at most this share of ``time_limit``
#: and at most this many seconds per total-degree path (about half of what tracking one costs
#: warm on a CPU core, ~1.7 ms on katsura-10): when the cells take longer, tracking the Bézout
#: number of paths is the cheaper bet (katsura-n, whose mixed volume is 2^n anyway, has slow
#: cells: 72 s on katsura-10). Where the polyhedral start pays the cells are fast: cyclic-7
#: 0.1-0.2 s against a budget of 5 s, cyclic-8 0.4-0.8 s against 40 s.
AUTO_CELL_SHARE = 0.25
AUTO_SECONDS_PER_PATH = 0.001
START_SYSTEMS = ("auto", "total-degree", "polyhedral")
METHODS = ("homotopy", "monodromy")


def _method(method: str, start: str) -> str:
    if method not in METHODS:
        raise PolynomialSystemError(
            f"unknown method {method!r}. Fix: use one of {', '.join(METHODS)}"
        )
    if method == "monodromy" and start != "auto":
        raise PolynomialSystemError(
            f"start={start!r} applies to method='homotopy'; monodromy needs no start system. "
            "Fix: leave start at 'auto'"
        )
    return method


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


def _solve_polyhedral(system: System, poly: PolyhedralStart, run: _Run, bezout: int) -> SolveResult:
    """Stage 1 (cell homotopies to a random-coefficient system), stage 2 (its coefficients to the
    target's): the paths of both stages are one ledger, stage-1 failures counted as failed."""
    rng = np.random.default_rng([run.seed, 2])
    family, n = poly.coefficients, system.n_variables
    B = poly.log_y.shape[0]
    if B == 0:  # mixed volume 0: no isolated solution in C^n (Bernstein, Li & Wang)
        return SolveResult(
            paths=(),
            seed=run.seed,
            method=f"polyhedral homotopy (mixed volume 0: no isolated solutions; Bézout {bezout})",
            start_count=0,
            dedup_tol=run.dedup_tol,
            seconds=time.monotonic() - run.t_start,
            system=repr(system),
            n_variables=n,
            variables=tuple(system.variables),
            start_system="polyhedral",
            root_count=0,
        )
    a = random_patch(rng, n + 1)
    H1, X0 = polyhedral_homotopy(
        poly.exponents, poly.equation, poly.start_coefficients, poly.powers, poly.log_y, a
    )
    P0 = np.broadcast_to(poly.start_coefficients, (B, family.n_parameters))
    batch, retracked = run.execute(H1, family, P0, X0)
    # A random-coefficient system has only regular roots: an endpoint of winding number 1 is
    # one, however ill-conditioned (cyclic-7 had roots of condition 1e11-1e14).
    ok = np.array(
        [
            s == PathStatus.SUCCESS or (s == PathStatus.SINGULAR and w == 1)
            for s, w in zip(batch.status, batch.winding, strict=True)
        ],
        dtype=bool,
    )
    for i in np.nonzero(~ok)[0]:
        why = batch.reason[i] or f"ended {batch.status[i].value}"
        batch.status[i] = PathStatus.FAILED
        batch.reason[i] = f"stage 1 (cell homotopy): {why}"
    idx = np.nonzero(ok)[0]
    target = poly.target_coefficients
    if idx.size:
        H2 = parameter_homotopy(family, poly.start_coefficients, target, rng, a=a)
        P1 = np.broadcast_to(target, (idx.size, family.n_parameters))
        second, again = run.execute(H2, family, P1, batch.X[idx])
        batch = merge(batch, second, idx)
        retracked[idx] |= again
    mv = poly.mixed_volume
    result = finish(
        family,
        batch,
        retracked,
        target,
        seed=run.seed,
        method=(
            f"polyhedral homotopy ({mv} paths, mixed volume with the origin added; Bézout "
            f"{bezout}; {len(poly.subdivision.cells)} mixed cells in "
            f"{poly.subdivision.seconds:.2f} s)"
        ),
        dedup_tol=run.dedup_tol,
        t_start=run.t_start,
        deadline=run.deadline,
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
    job = Job(H, system, P1, _tracker_options(tracker), endgame or EndgameOptions(), deadline)
    batch, retracked = execute(job, X0, dedup_tol, batch_size)
    out = []
    for j in range(n_t):
        sl = np.arange(j * n_s, (j + 1) * n_s)
        sub = take(batch, sl)
        result = finish(
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
        parameters = tuple(complex(z) for z in T[j])
        out.append(replace(result, start_system="parameter", root_count=n_s, parameters=parameters))
    return out
