"""Counts of complex critical points of the squared-error loss: ED and learning degrees.

Let c(z) be the network's coefficients as exact polynomials in the free parameters z of a gauge
chart (one weight per rescaling fixed to 1), Q a quadratic form and W a linear map from data to
coefficient space. The critical points of ½cᵀQc − (Wu)ᵀc solve  J_c(z)ᵀ (Q c(z) − W u) = 0,  a
square polynomial system with parameters u (:mod:`.ed_system`); the count lives in function
space: degenerate parameters (rank dφ < dim M) are left out and fibers divided out
(docs/design/critical-points.md).

``form="generic"``: a random positive definite Q and W = I — the generic ED degree (DHOST).
``form="data"``: the network at the data points is y = V c, so the loss Σ_j (f_θ(x_j) − u_j)² has
Q = VᵀV and W = Vᵀ — the learning degree (KLW); ``whiten=True`` orthonormalizes the data first
(for linear networks this is the Eckart–Young problem).

``method``: ``"monodromy"`` (:mod:`.ed_monodromy`; complete only by the trace test, a heuristic
for ED families), ``"exact"`` (the same system over GF(p), saturated and counted by msolve over
two or more primes: :mod:`.ed_exact`), ``"both"`` (each, and an error if they disagree),
``"function-space"`` (:mod:`.ed_function_space`) or ``"auto"``. The data form with fewer data
than coefficients (Q = VᵀV singular) or with Q a multiple of the identity (whitened data on a
linear network) is not a generic form: its critical correspondence can split into components
(interpolating networks, and the ramification of the data projection), and a monodromy search
started on one never leaves it while its trace test passes. Those forms are counted exactly or
refused. This module picks the method and assembles the :class:`~.ed_result.EDDegreeResult`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..errors import ArchitectureError, BudgetExceededError, NeurovarietyError, OptionError
from ..invariants.dimension import DimensionResult, dimension
from ..invariants.formula_choice import GENERIC_ED_DEGREE, closed_formula
from ..nag import SearchProgress
from ..nag.numerics import matrix_rank
from ..results import Certainty, weakest
from . import ed_exact, ed_function_space, ed_real
from .ed_monodromy import EXTRA_STARTS, float_form, full_rank, non_generic_reason
from .ed_monodromy import monodromy_count as _monodromy  # a name the tests replace
from .ed_result import EDDegreeResult, count_certainty
from .ed_system import chart_terms, ed_chart

__all__ = [
    "AUTO_EXACT_SECONDS",
    "EXTRA_STARTS",
    "METHODS",
    "EDDegreeResult",
    "count_certainty",
    "edd",
    "float_form",
    "full_rank",
    "non_generic_reason",
]

METHODS = ("auto", "exact", "monodromy", "both", "function-space")
#: Seconds "auto" gives the exact count of a generic form before it falls back to monodromy.
AUTO_EXACT_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class _Call:
    """The options of one :func:`edd` call, as its steps need them."""

    arch: Architecture
    spec: ed_exact.LossSpec
    method: str
    primes: int
    seed: int
    time_limit: float
    max_loops: int
    progress: Callable[[SearchProgress], None] | None
    real: bool
    real_method: str
    t0: float

    def seconds(self) -> float:
        return time.perf_counter() - self.t0

    def common(self) -> dict[str, Any]:
        """The result's fields that every method fills the same way."""
        chosen = (
            closed_formula(self.arch, GENERIC_ED_DEGREE) if self.spec.form == "generic" else None
        )  # only the generic form has a closed count (the data form depends on the data)
        return {
            "architecture": self.arch.spec,
            "form": self.spec.form,
            "formula": None if chosen is None else chosen.value,
            "formula_source": None if chosen is None else chosen.source,
            "seed": self.seed,
        }


def edd(
    arch: Architecture,
    *,
    form: str = "generic",
    n_data: int | None = None,
    data: Any = None,
    whiten: bool = False,
    method: str = "auto",
    primes: int = 2,
    seed: int = 0,
    time_limit: float = 600.0,
    max_loops_without_progress: int = 10,
    progress: Callable[[SearchProgress], None] | None = None,
    real: bool = False,
    real_method: str = "auto",
) -> EDDegreeResult:
    """Number of complex critical points of the loss on the smooth part of the neurovariety.

    ``method``: ``"monodromy"``, ``"exact"`` (msolve over ``primes`` primes), ``"both"`` (an error
    when they disagree) or ``"auto"`` (exact where msolve is installed and the saturated system
    has at most :data:`~.ed_exact.AUTO_MAX_TERMS` terms and counts within
    :data:`AUTO_EXACT_SECONDS`, else monodromy; forms that are not generic are counted exactly
    or refused; ``"function-space"``: the Lagrange system of V's equation,
    :mod:`.ed_function_space`, also chosen by auto and exact when the chart's fiber is
    positive-dimensional and V is a hypersurface with a proven equation). ``progress`` is
    called with the monodromy search's :class:`~neurovariety.nag.SearchProgress` a few times a
    second; the CLI draws it. ``real``: also count how many critical functions are real at the
    same (rational) data; it needs the chart's exact count, which auto then runs at any size.
    ``real_method``: ``"exact"`` (msolve over Q, :func:`~.ed_exact.exact_real_count`),
    ``"certified"`` (every chart point found numerically and certified by the Krawczyk test,
    complete when their number is the exact count: :func:`~.ed_real.certified_real_count`) or
    ``"auto"`` (exact up to :data:`~.ed_real.AUTO_EXACT_REAL_MAX` chart points, else
    certified); ``result.real["method"]`` says which decided.

    Examples
    --------
    >>> from neurovariety import parse_architecture
    >>> r = edd(parse_architecture("lcn k=2,2 s=2"), seed=1, method="monodromy")
    >>> r.count, r.formula
    (6, 6)
    """
    t0 = time.perf_counter()
    _check_options(form, method, primes, real, real_method)
    call = _Call(
        arch, ed_exact.LossSpec(form, n_data, data, whiten), method, primes, seed, time_limit,
        max_loops_without_progress, progress, real, real_method, t0,
    )  # fmt: skip
    dim = dimension(arch, seed=seed)
    _, _, free = ed_chart(arch)
    if len(free) != dim.dimension or method == "function-space":
        return _in_function_space(call, dim, len(free))
    exact_terms, keys = chart_terms(arch)
    rng = np.random.default_rng(seed)  # the form first, then the monodromy's start pairs
    Q, W = float_form(arch, keys, call.spec, rng)
    reason = non_generic_reason(Q) if form == "data" else None
    exact, loss, info = _exact_count(call, exact_terms, keys, reason)
    real_counts = None
    if exact is not None and real and exact.count is not None and loss is not None:
        real_counts = _real_count(
            arch, loss, exact, real_method, seed=seed,
            time_limit=max(1e-3, time_limit - call.seconds()), progress=progress,
        )  # fmt: skip
    if exact is not None and method != "both":
        return _exact_result(call, exact, info, real_counts)
    if reason is not None:
        hint = (
            'the exact count handles it: install msolve (pip install "neurovariety[msolve]")'
            if exact is None
            else "use method='exact'"
        )
        raise NeurovarietyError(
            f"{arch.spec}: these data do not give a generic form — {reason}; "
            f"the monodromy count would not be trustworthy: {hint}"
        )
    return _monodromy_result(
        call, exact_terms, rng, (Q, W), dim.dimension, exact, info, real_counts
    )


def _check_options(form: str, method: str, primes: Any, real: bool, real_method: str) -> None:
    if form not in ("generic", "data"):
        raise OptionError(f"form={form!r}: use 'generic' or 'data'")
    if method not in METHODS:
        raise OptionError(f"method={method!r}: use one of {', '.join(METHODS)}")
    if not isinstance(primes, int) or primes < 1:
        raise OptionError(f"primes={primes!r}: give at least 1 prime (2 or more to agree)")
    if real_method not in ed_real.REAL_METHODS:
        raise OptionError(
            f"real_method={real_method!r}: use one of {', '.join(ed_real.REAL_METHODS)}"
        )
    if real and method in ("monodromy", "function-space"):
        raise OptionError(
            f"real counts (real=True, --real) need the chart system's exact count; method="
            f"{method!r} does not run it: use method 'exact', 'auto' or 'both'"
        )


def _in_function_space(call: _Call, dim: DimensionResult, n_free: int) -> EDDegreeResult:
    """Count in function space — a filling V, or a hypersurface with a proven equation — when
    asked to, or when the chart's fiber stays positive-dimensional (a defect or hidden
    symmetries); else refuse."""
    arch, method = call.arch, call.method
    chart_fails = n_free != dim.dimension
    if chart_fails and dim.filling and method in ("auto", "exact", "both") and not call.real:
        return _filling_result(call, dim)
    if method == "function-space" or (
        (method == "exact" or (method == "auto" and exact_counts_available()))
        and ed_function_space.hypersurface_equation(arch, seed=call.seed) is not None
    ):
        if call.real:
            raise OptionError(
                f"{arch.spec}: the chart's fiber is positive-dimensional, so its critical points "
                "are counted in function space, where real counts are not implemented; drop real"
            )
        result = ed_function_space.function_space_result(
            arch,
            call.spec,
            primes=call.primes,
            seed=call.seed,
            time_limit=call.time_limit,
            common=call.common(),
        )
        return dataclasses.replace(result, seconds=call.seconds())
    hint = (
        "V is not a hypersurface with a proven equation, so the function-space count "
        "does not apply either"
        if method in ("auto", "exact")
        else "method auto, exact or function-space counts in function space where V is a "
        "hypersurface with a proven equation (or fills its space)"
    )
    raise ArchitectureError(
        f"{arch.spec}: the gauge chart has {n_free} free parameters but dim M = "
        f"{dim.dimension}, so the fiber stays positive-dimensional (a defect or hidden "
        "symmetries); critical points are not isolated in parameter space — the chart "
        f"counts need a finite generic fiber; {hint}"
    )


def _exact_count(
    call: _Call,
    exact_terms: list[dict[tuple[int, ...], Any]],
    keys: list[tuple[int, tuple[int, ...]]],
    reason: str | None,
) -> tuple[ed_exact.ExactEDCount | None, ed_exact.LossForm | None, dict[str, Any] | None]:
    """msolve's count where the method asks for it (auto: a small system, in a short time, else
    the reason it fell back to monodromy in ``info["fallback"]``)."""
    method, real = call.method, call.real
    if not (method in ("exact", "both") or real or (method == "auto" and exact_counts_available())):
        return None, None, None
    loss = ed_exact.loss_form(call.arch, keys, call.spec, call.seed)
    size = ed_exact.system_size(exact_terms, loss, call.seed)
    info: dict[str, Any] = {"system_terms": size, "loss": loss.description}
    fallback_allowed = method == "auto" and reason is None and not real
    if fallback_allowed and size > ed_exact.AUTO_MAX_TERMS:
        info["fallback"] = (
            f"{size} terms > {ed_exact.AUTO_MAX_TERMS} (AUTO_MAX_TERMS): monodromy instead"
        )
        return None, loss, info
    limit = min(call.time_limit, AUTO_EXACT_SECONDS) if fallback_allowed else call.time_limit
    try:
        exact = ed_exact.exact_ed_count(
            call.arch, loss, primes=call.primes, seed=call.seed, time_limit=limit
        )
    except BudgetExceededError as e:
        if not fallback_allowed:
            raise
        info["fallback"] = f"{e}; monodromy instead"
        return None, loss, info
    info |= {
        "primes": exact.primes,
        "critical_solutions": [c.solutions for c in exact.critical],
        "fiber_solutions": [c.solutions for c in exact.fiber],
        "msolve_seconds": round(sum(c.seconds for c in exact.critical + exact.fiber), 3),
    }
    return exact, loss, info


def _exact_result(
    call: _Call,
    exact: ed_exact.ExactEDCount,
    info: dict[str, Any] | None,
    real_counts: dict[str, Any] | None,
) -> EDDegreeResult:
    return EDDegreeResult(
        **call.common(),
        count=exact.count,
        parameter_solutions=exact.parameter_solutions,
        degenerate_removed=None,
        fiber_size=exact.fiber_size,
        trace_test="not run",
        ledger={},
        seconds=call.seconds(),
        method="exact",
        certainty=count_certainty("exact"),
        certificate=exact.certificate(),
        exact=info,
        positive_dimensional=exact.count is None,
        real=real_counts,
    )


def _monodromy_result(
    call: _Call,
    exact_terms: list[dict[tuple[int, ...], Any]],
    rng: np.random.Generator,
    form: tuple[np.ndarray, np.ndarray],
    dim: int,
    exact: ed_exact.ExactEDCount | None,
    info: dict[str, Any] | None,
    real_counts: dict[str, Any] | None,
) -> EDDegreeResult:
    """The monodromy count; with ``exact`` (method ``both``) an error unless the two agree."""
    mono = _monodromy(
        call.arch, exact_terms, rng, *form, dim, call.seed, call.time_limit, call.max_loops,
        call.progress,
    )  # fmt: skip
    trace = mono.pop("trace_test")
    certificate = f"monodromy with the trace test {trace}" + (
        " (complete by a heuristic for ED families, not a proof)" if trace == "yes" else ""
    )
    if exact is not None:  # method "both"
        if exact.count != mono["count"]:
            raise NeurovarietyError(
                f"{call.arch.spec}: the exact count ({exact.count}, msolve over primes "
                f"{exact.primes}) and the monodromy count ({mono['count']}, trace test {trace}) "
                "disagree; neither is reported — rerun with another seed or a longer time limit"
            )
        certificate = f"{exact.certificate()}; and {certificate}, equal"
    method = "both" if exact is not None else "monodromy"
    return EDDegreeResult(
        **call.common(),
        **mono,
        trace_test=trace,
        seconds=call.seconds(),
        method=method,
        certainty=count_certainty(method, trace),
        certificate=certificate,
        exact=info,
        real=real_counts,
    )


def _filling_result(call: _Call, dim: DimensionResult) -> EDDegreeResult:
    """A filling V (dim M = its ambient dimension N): the loss is ½cᵀQc − (Wu)ᵀc on all of Cᴺ,
    with one critical point Q⁻¹Wu when Q is nonsingular and an affine space of them otherwise.

    Decided without a chart, so it also covers charts whose fiber stays positive-dimensional
    (hidden channel symmetries of multi-channel convolutions)."""
    _, keys = chart_terms(call.arch)
    Q, _ = float_form(call.arch, keys, call.spec, np.random.default_rng(call.seed))
    N = Q.shape[0]
    if call.spec.form == "generic":  # eigenvalues in [1, 2] by construction: nonsingular
        regular, form_certainty = True, Certainty.PROVEN
    else:
        atol = 1e-10 * max(float(np.abs(Q).max()), 1e-300)
        regular = matrix_rank(Q, 0.0, atol=atol)[0] == N
        form_certainty = Certainty.NUMERICAL
    how = f"dim M = {dim.dimension} = N, the ambient dimension ({dim.certainty.value})"
    return EDDegreeResult(
        **call.common(),
        count=1 if regular else None,
        parameter_solutions=None,
        degenerate_removed=None,
        fiber_size=None,
        trace_test="not run",
        ledger={},
        method="filling",
        certainty=weakest(dim.certainty, form_certainty),
        certificate=f"{how}; the {N}×{N} form Q is "
        + ("nonsingular" if regular else "singular (fewer data values than coefficients)"),
        positive_dimensional=not regular,
        seconds=call.seconds(),
    )


def _real_count(
    arch: Architecture,
    loss: ed_exact.LossForm,
    exact: ed_exact.ExactEDCount,
    real_method: str,
    *,
    seed: int,
    time_limit: float,
    progress: Callable[[SearchProgress], None] | None,
) -> dict[str, Any]:
    """The real count's dict: msolve over Q for small systems, else certified (``auto``)."""
    points = exact.parameter_solutions or 0
    if real_method == "exact" or (real_method == "auto" and points <= ed_real.AUTO_EXACT_REAL_MAX):
        return ed_exact.exact_real_count(
            arch, loss, exact, seed=seed, time_limit=time_limit
        ).as_dict()
    return ed_real.certified_real_count(
        arch, loss, exact, seed=seed, time_limit=time_limit, progress=progress
    ).as_dict()


def exact_counts_available() -> bool:
    from ..invariants.exact_counts import available

    return available()
