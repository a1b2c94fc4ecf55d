"""``solve(..., method="monodromy")``: the generic fiber by monodromy, then a parameter homotopy.

HomotopyContinuation.jl's recommended route for large sparse systems: no start system of
Bézout-number (or mixed-volume) many paths, only as many paths as there are solutions.

- A system with ``parameters:`` is solved at random complex parameters ``p0`` by
  :func:`~neurovariety.nag.monodromy.monodromy_solve` from a start pair
  (:func:`~neurovariety.nag.monodromy.find_start_pair`: the family must be affine in its
  parameters); with declared values the solutions are then moved to them by a parameter
  homotopy (:func:`~neurovariety.nag.solve.solve_many`), whose paths are the ledger.
- A system without parameters becomes the family of all systems with its supports, the origin
  added to each (one parameter per coefficient): its generic root count is the mixed volume
  (Bernstein; Li & Wang for the origin), so the search stops when that many are found.

The search stops when a target count is reached (the mixed volume, when its cells take less than
``MV_SHARE`` of the budget), or by its stale rule; its trace test is reported either way. For a
general parametric family the trace test can only confirm (``yes``) or stay ``unknown``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..errors import BudgetExceededError, PolynomialSystemError
from .endgame import EndgameOptions
from .monodromy import MonodromyResult, find_start_pair, monodromy_solve
from .paths import _seed
from .polyhedral import mixed_cells, support_family, system_supports
from .result import SolveResult
from .solve import solve_many
from .system import System
from .tracker import TrackerOptions

#: Share of ``time_limit`` the mixed cells may take to give the search its target count.
MV_SHARE = 0.1


def coefficient_family(system: System, p: np.ndarray) -> tuple[System, np.ndarray]:
    """All systems with ``system``'s supports (origin added), and ``system``'s point at ``p``."""
    return support_family(system, system_supports(system), p)


def _mixed_volume(system: System, seed: int, deadline: float) -> int | None:
    """The mixed volume of ``system``'s supports (origin added), or ``None`` past ``deadline``."""
    if system.polynomials is None:
        return None
    try:
        return mixed_cells(system_supports(system), seed=seed, deadline=deadline).mixed_volume
    except BudgetExceededError:
        return None


def solve_monodromy(
    system: System,
    *,
    parameters: Sequence[complex] | np.ndarray | None = None,
    seed: int | None = None,
    tracker: str | TrackerOptions = "default",
    endgame: EndgameOptions | None = None,
    time_limit: float = 600.0,
    dedup_tol: float = 1e-7,
    batch_size: int = 1024,
) -> SolveResult:
    """Solutions by monodromy (see the module docstring); the arguments are those of ``solve``.

    ``result.start_system`` is ``"monodromy"``, ``result.root_count`` the number of solutions
    the search found at random parameters (the paths of the last stage), and ``result.method``
    says at which parameters, why the search stopped and the trace test's verdict.
    """
    t_start = time.monotonic()
    seed = _seed(seed)
    system.require_square()
    rng = np.random.default_rng([seed, 3])
    if system.n_parameters:
        family = system
        target = None if parameters is None else system.check_parameters(parameters)
        where = "random parameters"
    else:
        if system.polynomials is None:
            raise PolynomialSystemError(
                "monodromy needs a system with parameters, or a text system (its coefficients "
                "become the parameters). Fix: use method='homotopy' for a Python function"
            )
        family, target = coefficient_family(system, system.check_parameters(parameters))
        where = "random coefficients"
    mv = _mixed_volume(system, int(rng.integers(2**31)), t_start + MV_SHARE * time_limit)
    try:
        x0, p0 = find_start_pair(family, seed=int(rng.integers(2**31)))
    except PolynomialSystemError as exc:
        raise PolynomialSystemError(
            f"no start pair for monodromy ({str(exc).split('. Fix:')[0]}). Fix: use "
            "method='homotopy', or monodromy_solve with a start pair (x0, p0) of your own"
        ) from exc
    left = max(time_limit - (time.monotonic() - t_start), 1.0)
    mono = monodromy_solve(
        family,
        (x0, p0),
        seed=seed,
        target_count=mv,
        # the mixed volume is the coefficient family's generic count: reaching it is the proof
        trace_test=mv is None or family is system,
        time_limit=0.8 * left,  # the rest moves the solutions to the target
        tracker=tracker,
        dedup_tol=dedup_tol,
    )
    goal = p0 if target is None else target
    left = max(time_limit - (time.monotonic() - t_start), 1.0)
    (result,) = solve_many(
        family,
        mono.solutions,
        p0,
        goal[None, :],
        seed=seed,
        tracker=tracker,
        endgame=endgame,
        time_limit=left,
        dedup_tol=dedup_tol,
        batch_size=batch_size,
    )
    return replace(
        result,
        method=_describe(mono, where, mv, target is None, family, p0),
        seconds=time.monotonic() - t_start,
        system=repr(system),
        start_system="monodromy",
        root_count=mono.nsolutions,
        out_of_time=mono.out_of_time,
        # the coefficients of the family are not the system's parameters (it has none)
        parameters=result.parameters if family is system else (),
    )


def _describe(
    mono: MonodromyResult, where: str, mv: int | None, at_p0: bool, family: System, p0: np.ndarray
) -> str:
    """The method line: where the fiber was found, why the search stopped, the trace verdict."""
    count = "mixed volume not computed" if mv is None else f"target: mixed volume {mv}"
    trace = "not run" if mono.trace is None else mono.complete.value
    out = (
        f"monodromy at {where} ({mono.nsolutions} solutions, {mono.loops} loops; stopped: "
        f"{mono.stop_reason}; {count}; trace test {trace})"
    )
    if at_p0:
        values = ", ".join(
            f"{name} = {complex(v):.6g}" for name, v in zip(family.parameters, p0, strict=True)
        )
        out += f", solved at {values}"
    else:
        out += ", then a parameter homotopy to the system"
    return out
