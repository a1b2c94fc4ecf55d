"""Carrying solutions between parameter points: :func:`move`, and the pool shape it shares with
the monodromy search.

A path runs along ``t p_from + (1 - t) p_to + t (1 - t) c`` (a parameter homotopy with bend ``c``,
:func:`~neurovariety.nag.homotopy.parameter_homotopy`) in affine coordinates: between generic
parameters no path goes to infinity. An endpoint counts when it is regular and finite.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import monodromy_options
from .homotopy import parameter_homotopy, to_patch
from .lanes import pool_track
from .monodromy_options import MonodromyTuning
from .numerics import complex_gaussian
from .points import equilibrated_condition_numbers
from .system import System
from .tracker import TrackerOptions, TrackStatus
from .workers import cores

#: Re-tracking of failed paths: conservative, with a step budget.
RETRY_OPTIONS = dataclasses.replace(
    TrackerOptions.preset("conservative"), max_steps=monodromy_options.TUNING.retry_max_steps
)


def _random_params(rng: np.random.Generator, p0: np.ndarray) -> np.ndarray:
    """A random complex point of ``p0``'s size and scale."""
    scale = max(1.0, float(np.linalg.norm(p0)) / np.sqrt(max(p0.size, 1)))
    return scale * complex_gaussian(rng, p0.size, standard=False) / np.sqrt(2)


def _pool_shape(system: System, tuning: MonodromyTuning | None = None) -> dict[str, Any]:
    """Widths of a search's pool: fixed and optimized for large systems, in parts or with a tail.

    Every pool of a large system's search (crossings, trace tests, re-tracks) has the same width,
    so one compiled program serves them all; small systems' searches are compile-bound and keep
    small pools compiled fast.
    """
    t = tuning or monodromy_options.TUNING
    if np.prod([float(d) for d in system.degrees]) >= t.large_from_bezout:
        parts = min(t.max_parts, cores())
        if parts > 1:
            width = t.part_width * parts
            return {"width": width, "max_width": width, "optimize": True, "parts": parts}
        return {
            "width": t.pool_width,
            "max_width": t.pool_width,
            "optimize": True,
            "tail_width": t.tail_width,
        }
    return {"width": t.small_width, "max_width": t.small_max_width}


def _affine_patch(system: System) -> np.ndarray:
    """The patch ``x0 = 1``: paths between generic parameters stay finite, and the tracker's
    errors are relative to ``1 + |x|`` (a random projective patch took twice the steps on bent
    paths)."""
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
    """Affine endpoints of tracked paths, and which are regular finite solutions at ``targets``:
    the condition number of the equilibrated affine Jacobian below 1e10, ``|x|`` below 1e8."""
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
