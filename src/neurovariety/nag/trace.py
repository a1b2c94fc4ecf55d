"""The trace test: is a set of solutions the whole fiber at its parameters?

The solutions are moved along a random line ``p0 + s v`` to two points ``s1, s2``; the trace
``tau(s) = sum_i trace_map(x_i(s))`` of a complete fiber of a linear-slice family is affine in
``s``. References: Leykin, Rodriguez & Sottile, *Trace test*, Arnold Math. J. 4 (2018); Sommese,
Verschelde & Wampler, *Symmetric functions applied to decomposing solution sets of polynomial
systems*, SIAM J. Numer. Anal. 40 (2002).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import PolynomialSystemError
from ..results import Certainty, Result, Verdict
from . import monodromy_options
from .monodromy_options import TraceMap
from .numerics import complex_gaussian
from .parameter_paths import RETRY_OPTIONS, _random_params, move
from .paths import _seed
from .system import System
from .tracker import TrackerOptions

#: Relative deviation from affine under which a trace counts as affine (the default ``tol``).
TRACE_TOL = monodromy_options.TUNING.trace_tol
#: The note of a trace test that the time budget cut short or left undone.
OUT_OF_TIME_NOTE = "not run to its end: the time budget ran out"


@dataclass(frozen=True, repr=False)
class TraceTest(Result):
    """Outcome of a trace test: the verdict, the relative deviation from affine, and why.

    The one trace-test type: :func:`trace_test`, the search's own trace line
    (:mod:`.monodromy_search`) and :class:`~neurovariety.nag.witness.WitnessSet` all give one.
    A floating-point test with a tolerance: a decided verdict is ``NUMERICAL``, never certified.
    """

    verdict: Verdict
    residual: float
    tolerance: float
    note: str = ""

    @property
    def certainty(self) -> Certainty:
        """``NUMERICAL`` for a decided verdict (``yes``/``no``), else ``UNKNOWN``."""
        return Certainty.UNKNOWN if self.verdict is Verdict.UNKNOWN else Certainty.NUMERICAL

    def title(self) -> str:
        return f"TraceTest: complete = {self.verdict.value}"

    def bullets(self) -> list[str]:
        if np.isfinite(self.residual):
            affine = "affine" if self.residual <= self.tolerance else "not affine"
            out = [
                f"trace deviation from affine {self.residual:.1e}, tolerance {self.tolerance:g}: "
                f"{affine}"
            ]
        else:
            out = ["trace not measured"]
        out += [self.note] if self.note else []
        why = "nothing decided" if self.verdict is Verdict.UNKNOWN else "floating point, no proof"
        return out + [f"certainty: {self.certainty.value} ({why})"]


def count_certainty(trace: TraceTest | None) -> Certainty:
    """Certainty of a count of solutions found numerically: ``NUMERICAL`` once a trace test
    passed (complete, by a floating-point test), else ``BOUND`` (a lower bound only)."""
    return (
        Certainty.NUMERICAL
        if trace is not None and trace.verdict is Verdict.YES
        else Certainty.BOUND
    )


def completeness_bullets(trace: TraceTest | None, count: str) -> list[str]:
    """Summary lines on whether ``count`` (e.g. "4 solutions") is complete, by ``trace``."""
    if trace is None:
        return [
            "completeness not tested (trace_test=False)",
            f"certainty: bound (at least {count})",
        ]
    line = f"trace test: complete = {trace.verdict.value}"
    if np.isfinite(trace.residual):
        line += f" (deviation {trace.residual:.1e}, tolerance {trace.tolerance:g})"
    out = [line + (f"; {trace.note}" if trace.note else "")]
    if count_certainty(trace) is Certainty.NUMERICAL:
        return out + ["certainty: numerical (a floating-point trace test, not a proof)"]
    return out + [f"certainty: bound (at least {count})"]


def _trace_direction(rng: np.random.Generator, p0: np.ndarray) -> np.ndarray:
    """A random direction ``v`` of the trace line ``p0 + s v``, of ``p0``'s size."""
    v = _random_params(rng, p0)
    return v / max(np.linalg.norm(v), 1e-300) * max(1.0, float(np.linalg.norm(p0)))


def _trace_point(rng: np.random.Generator, radius: float | None = None) -> complex:
    """A random point ``s`` of the trace line (``|s| = radius``, the standalone test's default)."""
    r = monodromy_options.TUNING.trace_radius if radius is None else radius
    return complex(r * np.exp(2j * np.pi * rng.uniform()))


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
    x = complex_gaussian(rng, system.n_variables, standard=False)
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
    attempts = monodromy_options.TUNING.trace_attempts
    v = _trace_direction(rng, p0)
    s_values = [_trace_point(rng), _trace_point(rng)]
    traces = [np.sum([tmap(x) for x in S], axis=0)]
    size = sum(float(np.linalg.norm(tmap(x))) for x in S)
    for i in range(2):
        # A failed path leaves no trace at that s: another point of the line does as well.
        for _attempt in range(attempts):
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
                f"({attempts} points of the line tried)",
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
