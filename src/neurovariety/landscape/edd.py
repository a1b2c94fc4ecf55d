"""Counts of complex critical points of the squared-error loss: ED and learning degrees.

Let c(z) be the network's coefficients as exact polynomials in the free parameters z of a gauge
chart (one weight per rescaling fixed to 1), Q a quadratic form and W a linear map from data to
coefficient space. The critical points of ½cᵀQc − (Wu)ᵀc solve  J_c(z)ᵀ (Q c(z) − W u) = 0,  a
square polynomial system with parameters u (:mod:`.ed_system`). We solve it for one generic u by
monodromy (start: a random z₀ and a u₀ that makes it critical), drop the solutions where dφ has
rank below dim M (degenerate parameters, docs/design/critical-points.md), and count the distinct
**functions** c(z) among the rest — so the count lives in function space, fibers divided out.

``form="generic"``: a random positive definite Q and W = I — the generic ED degree (DHOST).
``form="data"``: the network at the data points is y = V c, so the loss Σ_j (f_θ(x_j) − u_j)² has
Q = VᵀV and W = Vᵀ — the learning degree (KLW); ``whiten=True`` orthonormalizes the data first
(for linear networks this is the Eckart–Young problem).

``method``: ``"monodromy"`` (above; certified complete only by the trace test, a heuristic for ED
families), ``"exact"`` (the same system over GF(p), saturated and counted by msolve over two or
more primes: :mod:`.ed_exact`), ``"both"`` (each, and an error if they disagree) or ``"auto"``
(exact when msolve is installed and the system is small, else monodromy). The data form with fewer
data than coefficients (Q = VᵀV singular) or with Q a multiple of the identity (whitened data on a
linear network) is not a generic form: its critical correspondence can split into components
(interpolating networks, and the ramification of the data projection), and a monodromy search
started on one never leaves it while its trace test passes — a closed subset certified as
complete. Those forms are counted exactly or refused.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..errors import BudgetExceededError, NeurovarietyError
from ..invariants.dimension import dimension
from ..invariants.formula_choice import GENERIC_ED_DEGREE, closed_formula
from ..nag import SearchProgress, monodromy_solve
from ..nag.numerics import complex_gaussian, matrix_rank, numerical_rank
from ..nag.result import cluster
from ..results import Certainty, Graded, Provenance, Result, Verdict, weakest
from . import ed_exact, ed_function_space, ed_real
from .ed_system import (
    chart_terms,
    coefficient_arrays,
    coefficient_values,
    ed_chart,
    ed_system,
    float_terms,
)


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
            b.append(_real_bullet(self.real))
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


#: Start pairs besides the base point (one search pool's width: see ``monodromy_solve``).
EXTRA_STARTS = 63


def _start_pair(
    rng: np.random.Generator,
    E: np.ndarray,
    A: np.ndarray,
    Q: np.ndarray,
    W: np.ndarray,
    real: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """A random critical point ``z`` and data ``u`` for which it is critical (both real with
    ``real``: generic real data, whose critical points come in complex-conjugate pairs)."""
    n = E.shape[-1]

    def normal(m: int) -> np.ndarray:
        if real:
            return rng.standard_normal(m).astype(complex)
        return complex_gaussian(rng, m)

    z = normal(n)
    c, J = (v[0] for v in coefficient_values(E, A, z[None, :]))
    _, s, vh = np.linalg.svd(J.T)
    kernel = vh[numerical_rank(s, 1e-10)[0] :].conj().T
    k = kernel @ normal(kernel.shape[1])
    step = np.linalg.solve(Q, k)
    # A residual of the coefficients' own size keeps u (and the loops) at scale.
    k = k * (float(np.linalg.norm(c)) / max(float(np.linalg.norm(step)), 1e-300))
    u = np.linalg.lstsq(W.astype(complex), Q @ c - k, rcond=None)[0]
    return z, u


def full_rank(J: np.ndarray, rank: int) -> bool:
    """Has ``J`` (coefficients × chart parameters) numerical rank ``rank``?

    Rank does not depend on the chart's scales, so the columns are equilibrated first: a
    critical point with ``|z_1| ≈ 20`` has columns 1e6 apart, which a relative threshold on the
    raw singular values reads as a rank drop. Columns at rounding level stay as they are.

    >>> J = np.array([[1e6, 0.0], [0.0, 1e-3]])
    >>> full_rank(J, 2), full_rank(np.array([[1.0, 2.0], [2.0, 4.0]]), 2)
    (True, False)
    """
    norms = np.linalg.norm(J, axis=0)
    scale = np.where(norms > 1e-12 * max(float(norms.max(initial=0.0)), 1e-300), norms, 1.0)
    r, sv = matrix_rank(J / scale, 1e-8)
    return bool(np.all(np.isfinite(sv)) and r == rank)


def _formula(arch: Architecture, form: str) -> tuple[int | None, str | None]:
    # only the generic form has a closed count (the data form depends on the data)
    chosen = closed_formula(arch, GENERIC_ED_DEGREE) if form == "generic" else None
    return (None, None) if chosen is None else (chosen.value, chosen.source)


METHODS = ("auto", "exact", "monodromy", "both", "function-space")
#: Seconds "auto" gives the exact count of a generic form before it falls back to monodromy.
AUTO_EXACT_SECONDS = 60.0


def float_form(
    arch: Architecture,
    keys: list[tuple[int, tuple[int, ...]]],
    spec: ed_exact.LossSpec,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The monodromy's Q and W (floats): see the module docstring."""
    N = len(keys)
    n_data, data, whiten = spec.n_data, spec.data, spec.whiten
    if spec.form == "generic":
        # A random positive definite Q (random eigenbasis, eigenvalues in [1, 2]) on coefficient
        # space is generic and well conditioned: Q⁻¹ enters the start pair, and an
        # ill-conditioned Q flings it (and every loop) far out.
        O = np.linalg.qr(rng.standard_normal((N, N)))[0]
        return O.T @ np.diag(rng.uniform(1.0, 2.0, N)) @ O, np.eye(N)
    if data is not None:
        X = np.asarray(data, dtype=float)
    else:
        X = rng.standard_normal((n_data or 2 * arch.ambient_dim_per_output, arch.n_inputs))
    if whiten:
        X = np.linalg.qr(X)[0] if X.shape[0] >= X.shape[1] else X
    # y = V c: the network at the data points is linear in its coefficients, so the loss
    # Σ (y − u)² has gradient J_cᵀ (VᵀV c − Vᵀu) in coefficient space.
    V = np.zeros((X.shape[0] * arch.n_outputs, N))
    for k, (o, e) in enumerate(keys):
        V[o :: arch.n_outputs, k] = np.prod(X ** np.asarray(e)[None, :], axis=1)
    return V.T @ V, V.T


def non_generic_reason(Q: np.ndarray) -> str | None:
    """Why the form Q does not suit the monodromy search (None when it does).

    >>> non_generic_reason(np.diag([1.0, 2.0])) is None, non_generic_reason(2 * np.eye(2))[:22]
    (True, 'Q is a multiple of the')
    """
    N = Q.shape[0]
    rank = matrix_rank(Q, 0.0, atol=1e-10 * max(float(np.abs(Q).max()), 1e-300))[0]
    if rank < N:
        return (
            f"Q = VᵀV has rank {rank} < {N} (fewer data values than coefficients): the loss sees "
            "only the projection of the function space onto the data, the critical points split "
            "into families (interpolating networks, ramification points of the projection) that "
            "one monodromy search cannot reach from each other, and its trace test passes on "
            "one of them"
        )
    if np.allclose(Q, Q[0, 0] * np.eye(N), rtol=1e-10, atol=1e-12 * abs(Q[0, 0])):
        return (
            "Q is a multiple of the identity (e.g. whitened data on a linear network: the "
            "Frobenius form, not a generic one): critical points escape to the isotropic points "
            "at infinity (Eckart–Young counts fewer), where the monodromy's paths fail and its "
            "trace test does not apply"
        )
    return None


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
    if form not in ("generic", "data"):
        raise NeurovarietyError(f"form={form!r}: use 'generic' or 'data'")
    if method not in METHODS:
        raise NeurovarietyError(f"method={method!r}: use one of {', '.join(METHODS)}")
    if not isinstance(primes, int) or primes < 1:
        raise NeurovarietyError(f"primes={primes!r}: give at least 1 prime (2 or more to agree)")
    if real_method not in ed_real.REAL_METHODS:
        raise NeurovarietyError(
            f"real_method={real_method!r}: use one of {', '.join(ed_real.REAL_METHODS)}"
        )
    if real and method in ("monodromy", "function-space"):
        raise NeurovarietyError(
            f"real counts (real=True, --real) need the chart system's exact count; method="
            f"{method!r} does not run it: use method 'exact', 'auto' or 'both'"
        )
    dim = dimension(arch, seed=seed)
    _, _, free = ed_chart(arch)
    # Function space (ed_function_space): asked for, or the chart fiber is positive-dimensional
    # (hidden symmetries) and V is a hypersurface with a proven equation.
    chart_fails = len(free) != dim.dimension
    if chart_fails and dim.filling and method in ("auto", "exact", "both") and not real:
        spec = ed_exact.LossSpec(form, n_data, data, whiten)
        return _filling_result(arch, spec, dim, seed, t0)
    if method == "function-space" or (
        chart_fails
        and (method == "exact" or (method == "auto" and exact_counts_available()))
        and ed_function_space.hypersurface_equation(arch, seed=seed) is not None
    ):
        if real:
            raise NeurovarietyError(
                f"{arch.spec}: the chart's fiber is positive-dimensional, so its critical points "
                "are counted in function space, where real counts are not implemented; drop real"
            )
        formula, source = _formula(arch, form)
        result = ed_function_space.function_space_result(
            arch,
            ed_exact.LossSpec(form, n_data, data, whiten),
            primes=primes,
            seed=seed,
            time_limit=time_limit,
            common={"architecture": arch.spec, "form": form, "formula": formula}
            | {"formula_source": source, "seed": seed},
        )
        return dataclasses.replace(result, seconds=time.perf_counter() - t0)
    if chart_fails:
        hint = (
            "V is not a hypersurface with a proven equation, so the function-space count "
            "does not apply either"
            if method in ("auto", "exact")
            else "method auto, exact or function-space counts in function space where V is a "
            "hypersurface with a proven equation"
        )
        raise NeurovarietyError(
            f"{arch.spec}: the gauge chart has {len(free)} free parameters but dim M = "
            f"{dim.dimension}, so the fiber stays positive-dimensional (a defect or hidden "
            "symmetries); critical points are not isolated in parameter space — the chart "
            f"counts need a finite generic fiber; {hint}"
        )
    rng = np.random.default_rng(seed)
    exact_terms, keys = chart_terms(arch)
    spec = ed_exact.LossSpec(form, n_data, data, whiten)
    Q, W = float_form(arch, keys, spec, rng)
    reason = non_generic_reason(Q) if form == "data" else None
    formula, source = _formula(arch, form)
    common: dict[str, Any] = {"architecture": arch.spec, "form": form, "formula": formula}
    common |= {"formula_source": source, "seed": seed}

    exact: ed_exact.ExactEDCount | None = None
    exact_info: dict[str, Any] | None = None
    if method in ("exact", "both") or real or (method == "auto" and exact_counts_available()):
        loss = ed_exact.loss_form(arch, keys, spec, seed)
        size = ed_exact.system_size(exact_terms, loss, seed)
        exact_info = {"system_terms": size, "loss": loss.description}
        if method == "auto" and reason is None and not real and size > ed_exact.AUTO_MAX_TERMS:
            exact_info["fallback"] = (
                f"{size} terms > {ed_exact.AUTO_MAX_TERMS} (AUTO_MAX_TERMS): monodromy instead"
            )
        else:
            limit = time_limit
            if method == "auto" and reason is None and not real:
                limit = min(time_limit, AUTO_EXACT_SECONDS)
            try:
                exact = ed_exact.exact_ed_count(
                    arch, loss, primes=primes, seed=seed, time_limit=limit
                )
            except BudgetExceededError as e:
                if method != "auto" or reason is not None or real:
                    raise
                exact_info["fallback"] = f"{e}; monodromy instead"
    if exact is not None:
        exact_info = (exact_info or {}) | {
            "primes": exact.primes,
            "critical_solutions": [c.solutions for c in exact.critical],
            "fiber_solutions": [c.solutions for c in exact.fiber],
            "msolve_seconds": round(sum(c.seconds for c in exact.critical + exact.fiber), 3),
        }
        if real and exact.count is not None:
            common["real"] = _real_count(
                arch,
                loss,
                exact,
                real_method,
                seed=seed,
                time_limit=max(1e-3, time_limit - (time.perf_counter() - t0)),
                progress=progress,
            )
        if method != "both":
            return EDDegreeResult(
                **common,
                count=exact.count,
                parameter_solutions=exact.parameter_solutions,
                degenerate_removed=None,
                fiber_size=exact.fiber_size,
                trace_test="not run",
                ledger={},
                seconds=time.perf_counter() - t0,
                method="exact",
                certainty=count_certainty("exact"),
                certificate=exact.certificate(),
                exact=exact_info,
                positive_dimensional=exact.count is None,
            )
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
    mono = _monodromy(
        arch,
        exact_terms,
        rng,
        Q,
        W,
        dim.dimension,
        seed,
        time_limit,
        max_loops_without_progress,
        progress,
    )
    trace = mono.pop("trace_test")
    certificate = f"monodromy with the trace test {trace}" + (
        " (complete by a heuristic for ED families, not a proof)" if trace == "yes" else ""
    )
    if exact is not None:  # method "both"
        if exact.count != mono["count"]:
            raise NeurovarietyError(
                f"{arch.spec}: the exact count ({exact.count}, msolve over primes "
                f"{exact.primes}) and the monodromy count ({mono['count']}, trace test {trace}) "
                "disagree; neither is reported — rerun with another seed or a longer time limit"
            )
        certificate = f"{exact.certificate()}; and {certificate}, equal"
    return EDDegreeResult(
        **common,
        **mono,
        trace_test=trace,
        seconds=time.perf_counter() - t0,
        method="both" if exact is not None else "monodromy",
        certainty=count_certainty("both" if exact is not None else "monodromy", trace),
        certificate=certificate,
        exact=exact_info,
    )


def _filling_result(
    arch: Architecture, spec: ed_exact.LossSpec, dim: Any, seed: int, t0: float
) -> EDDegreeResult:
    """A filling V (dim M = its ambient dimension N): the loss is ½cᵀQc − (Wu)ᵀc on all of Cᴺ,
    with one critical point Q⁻¹Wu when Q is nonsingular and an affine space of them otherwise.

    Decided without a chart, so it also covers charts whose fiber stays positive-dimensional
    (hidden channel symmetries of multi-channel convolutions)."""
    _, keys = chart_terms(arch)
    Q, _ = float_form(arch, keys, spec, np.random.default_rng(seed))
    N = Q.shape[0]
    if spec.form == "generic":  # eigenvalues in [1, 2] by construction: nonsingular, proven
        regular, form_certainty = True, Certainty.PROVEN
    else:
        atol = 1e-10 * max(float(np.abs(Q).max()), 1e-300)
        regular = matrix_rank(Q, 0.0, atol=atol)[0] == N
        form_certainty = Certainty.NUMERICAL
    formula, source = _formula(arch, spec.form)
    how = f"dim M = {dim.dimension} = N, the ambient dimension ({dim.certainty.value})"
    return EDDegreeResult(
        architecture=arch.spec,
        form=spec.form,
        formula=formula,
        formula_source=source,
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
        seed=seed,
        seconds=time.perf_counter() - t0,
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


def _real_bullet(r: dict[str, Any]) -> str:
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


def exact_counts_available() -> bool:
    from ..invariants.exact_counts import available

    return available()


def _monodromy(
    arch: Architecture,
    exact_terms: list[dict[tuple[int, ...], Any]],
    rng: np.random.Generator,
    Q: np.ndarray,
    W: np.ndarray,
    dimension: int,
    seed: int,
    time_limit: float,
    max_loops_without_progress: int,
    progress: Callable[[SearchProgress], None] | None,
) -> dict[str, Any]:
    """The monodromy count: the result's fields that depend on it."""
    terms = float_terms(exact_terms)
    E, A = coefficient_arrays(terms)
    n = E.shape[-1]
    system = ed_system(terms, Q, W, seed=seed)

    def sampler(r: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        fresh = [_start_pair(r, E, A, Q, W) for _ in range(k)]
        return np.array([z for z, _ in fresh]), np.array([u for _, u in fresh])

    # Start pairs: any z0, and u0 with Q c0 − W u0 in the kernel of J0ᵀ. One is the base
    # point; the others are carried to it at once (they fill the search's lanes from the
    # start), and more come with each new loop of the search's tail.
    # The base point is real (Q and W are real): conjugation maps its critical points to each
    # other, so every one found brings its conjugate with it.
    z0, u0 = _start_pair(rng, E, A, Q, W, real=True)
    extra = sampler(rng, EXTRA_STARTS)

    def trace_map(z: np.ndarray) -> np.ndarray:
        # Traces in function space: the chart's symmetries (sign flips, permutations) move z
        # but not c, so no symmetric subset of critical points can fake an affine trace.
        return coefficient_values(E, A, np.asarray(z)[None, :])[0][0]

    mono = monodromy_solve(
        system,
        (z0, u0),
        seed=seed,
        time_limit=time_limit,
        max_loops_without_progress=max_loops_without_progress,
        trace_map=trace_map,
        stop_on_trace=True,
        progress=progress,
        starts=extra,
        sampler=sampler,
        symmetry="conjugation",
    )
    sols = np.asarray(mono.solutions).reshape(-1, n)
    C, J = coefficient_values(E, A, sols)
    keep = [full_rank(J[j], dimension) for j in range(sols.shape[0])]
    n_functions = 0
    if any(keep):
        Y = C[np.asarray(keep)]
        scale = np.maximum(1.0, np.abs(Y).max(axis=1, keepdims=True))
        n_functions = len(np.unique(cluster(Y / scale, 1e-6)))  # relative dedup
    trace = mono.complete
    return {
        "count": n_functions,
        "parameter_solutions": len(sols),
        "degenerate_removed": len(sols) - sum(keep),
        "fiber_size": sum(keep) / n_functions if n_functions else 0.0,
        "trace_test": trace.value if isinstance(trace, Verdict) else str(trace),
        "ledger": {
            "loops": mono.loops,
            "paths_tracked": mono.paths_tracked,
            "paths_failed": mono.paths_failed,
            "stop_reason": mono.stop_reason,
            "symmetry": "conjugation",  # real data: each critical point found brings its pair
            "solutions": mono.nsolutions,
        },
    }
