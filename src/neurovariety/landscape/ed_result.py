"""The result of an ED / learning degree count (:func:`~.edd.edd`) and how it is graded."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..results import Certainty, Graded, Provenance, Result


@dataclasses.dataclass(frozen=True, repr=False)
class EDDegreeResult(Result, Provenance, Graded):
    """Number of complex critical points of the loss on the neurovariety, with its ledger.

    ``method`` says which method decided the count and ``certificate`` what it certifies;
    ``certainty`` grades it (:func:`count_certainty`): ``probable`` for msolve's counts over
    random primes, ``numerical`` for a monodromy search whose trace test passed, ``bound`` (a
    lower bound) for one whose did not. ``count`` is None (and ``positive_dimensional`` true)
    when the critical points of full rank form a positive-dimensional set. ``ledger`` is the
    monodromy search's (empty when it did not run), ``exact`` the msolve counts' (None when
    they did not run)."""

    form: str
    count: int | None
    formula: int | None
    formula_source: str | None
    parameter_solutions: int | None
    degenerate_removed: int | None
    fiber_size: float | None
    trace_test: str
    ledger: dict[str, Any]
    method: str = "monodromy"
    certificate: str = ""
    exact: dict[str, Any] | None = None
    positive_dimensional: bool = False
    real: dict[str, Any] | None = None

    def title(self) -> str:
        what = "generic ED degree" if self.form == "generic" else "learning degree"
        return f"EDDegreeResult  {self.architecture}  ({what})"

    def bullets(self) -> list[str]:
        if self.positive_dimensional:
            b = ["positive-dimensional: the critical points of full rank are not isolated"]
        elif self.method == "filling":
            b = [
                f"{self.count} critical point (V is its whole coefficient space, where the loss "
                "is a quadratic with a nonsingular form)"
                if self.count is not None
                else "positive-dimensional: the data's form is singular on the filling V"
            ]
        elif self.method == "function-space":
            b = [
                f"{self.count} critical points on the smooth part of V (the Lagrange system of "
                "its equation in function space, the singular locus saturated away)"
            ]
        else:
            removed = (
                f", {self.degenerate_removed} degenerate removed"
                if self.degenerate_removed is not None
                else ", degenerate ones saturated away"
            )
            b = [
                f"{self.count} critical functions ({self.parameter_solutions} parameter "
                f"solutions in the chart{removed}, fiber size {self.fiber_size:g})",
            ]
        if self.formula is not None and self.count is not None:
            led = self.ledger
            cut = "time budget" in led.get("stop_reason", "") and self.count < self.formula
            if self.formula == self.count:
                agree = "agrees with"
            elif cut and self.method == "monodromy":
                agree = "incomplete (the search ran out of time) — below"
            else:
                agree = "DISAGREES with"
            b.append(f"{agree} the formula {self.formula} ({self.formula_source})")
        b.append(f"decided by {self.method} ({self.certainty.value}): {self.certificate}")
        led = self.ledger
        if led:
            pairs = " (real data: conjugate pairs)" if led.get("symmetry") == "conjugation" else ""
            b.append(
                f"monodromy{pairs}: {led['loops']} loops, {led['paths_tracked']} paths, "
                f"{led['paths_failed']} failed; stopped: {led['stop_reason']}; "
                f"trace test: {self.trace_test}"
            )
        if self.real:
            b.append(real_bullet(self.real))
        if self.exact and self.exact.get("fallback"):
            b.append(f"exact count not used: {self.exact['fallback']}")
        b.append(self.provenance_bullet())
        return b


def count_certainty(method: str, trace_test: str = "not run") -> Certainty:
    """How far a count decided by ``method`` can be trusted.

    msolve's counts (``exact``, ``function-space``, and ``both``, which also needs the monodromy
    to agree) hold over Q but for finitely many bad primes, and the primes are random: probable.
    A monodromy count is complete only by the trace test, a heuristic for ED families: numerical
    when it passed, else only a lower bound.

    >>> count_certainty("exact").value, count_certainty("monodromy", "yes").value
    ('probable', 'numerical')
    >>> count_certainty("monodromy", "unknown").value
    'bound'
    """
    if method in ("exact", "function-space", "both"):
        return Certainty.PROBABLE
    return Certainty.NUMERICAL if trace_test == "yes" else Certainty.BOUND


def real_bullet(r: dict[str, Any]) -> str:
    """The result's line on its real count (exact, certified or a certified bound)."""
    parts = (
        f"({r['real_parameter_functions']} computed by real parameters, "
        f"{r['real_chart_points']} real chart points"
    )
    if r.get("method") != "certified":
        return (
            f"real: {r['real_functions']} of the {r['functions']} critical functions {parts}; "
            f"msolve over Q, {r['seconds']:.2g} s)"
        )
    how = (
        f"{r['certified']} disjoint Krawczyk boxes, {r['precision']}-bit balls, for the "
        f"{r['chart_points']} chart points counted mod p for p in {r['primes']}; "
        f"{r['seconds']:.3g} s"
    )
    if r["complete"]:
        return (
            f"real: {r['real_functions']} of the {r['functions']} critical functions {parts}; "
            f"certified: {how})"
        )
    return (
        f"real: at least {r['real_functions']} real of at least {r['functions']} critical "
        f"functions {parts}) — a bound, not a count: {r['certified']} of {r['chart_points']} "
        f"chart points certified, {r['undecided']} of unknown reality ({how})"
    )
