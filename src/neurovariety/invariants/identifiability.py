"""Identifiability: the generic fiber of φ, its dimension and (when finite) its size.

dim fiber = n_params − dim M (certified with the dimension). When a gauge chart (one weight per
rescaling fixed to 1) leaves a finite fiber, its size is counted on a witness set: the solutions
z of R·y(z) = w (y: the network at points unisolvent for the ambient space, R a random n×A
matrix, w generic) are the preimages of the points of V ∩ {R·v = w}, a generic affine slice of
complementary dimension. Monodromy over w finds them all (the incidence variety is irreducible;
loops over a base point z′ would not: the symmetric copies of the trivial solution are separate
components), the trace test checks completeness, and grouping solutions by the function y(z)
gives deg V distinct functions with |fiber| parameters each. msolve counts the same points
exactly over GF(p) for two random primes. A verdict on dimensions alone is proven (with the
dimension), one on an exact count probable (bad primes), one on a monodromy count numerical.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.attention import Attention, unsupported
from ..architectures.base import Architecture
from ..errors import BudgetExceededError, NeurovarietyError
from ..jaxconfig import ensure_x64
from ..nag import monodromy_solve, system_from_callable
from ..nag.numerics import complex_gaussian
from ..nag.result import cluster
from ..parametrization.numeric import chart_map, gauge_chart
from ..results import Certainty, Graded, Provenance, Result, Verdict, plural
from . import exact_counts
from .dimension import dimension
from .symmetry import _gl_orbit_dimension_unknown, symmetry
from .symmetry import factor_orderings as factor_orderings  # re-exported: callers import it here
from .symmetry import order_text as order_text


@dataclasses.dataclass(frozen=True, repr=False)
class FiberResult(Result, Graded, Provenance):
    """The generic fiber of the parametrization; ``certainty`` grades the verdict."""

    dimension: int
    size: int | None
    symmetry_order: int | None
    symmetry: str
    identifiable: Verdict
    evidence: dict[str, Any]

    def title(self) -> str:
        return f"FiberResult  {self.architecture}"

    def bullets(self) -> list[str]:
        if self.dimension > 0:
            first = f"generic fiber of dimension {self.dimension} (parameters − dim M)"
        else:
            first = "generic fiber is finite"
        b = [first]
        if self.size is not None and self.evidence.get("method") == "exact":
            deg = self.evidence.get("degree")
            on_slice = (
                f", {self.evidence.get('slice_solutions')} over a random slice of V (degree {deg})"
                if deg is not None
                else ""
            )
            b.append(
                f"{plural(self.size, 'point')} in the gauge chart over a random function"
                f"{on_slice}: exact "
                f"counts over GF(p), p in {self.evidence.get('primes')} (msolve, every solution "
                "regular)"
            )
        elif self.size is not None:
            b.append(
                f"{plural(self.size, 'point')} in the gauge chart, over each of the "
                f"{plural(int(self.evidence.get('degree') or 0), 'point')} of a generic slice of V "
                f"(monodromy: {plural(int(self.evidence.get('loops') or 0), 'loop')}, trace test "
                f"{self.evidence.get('trace')})"
            )
        if self.evidence.get("swaps_predicted") is not None:
            b.append(
                f"{self.evidence['swaps_predicted']} predicted by swapping query, key and value "
                "directions (docs/attention.md)"
            )
        b.append(f"known symmetries: {self.symmetry} ({order_text(self.symmetry_order)})")
        b.append(f"identifiable up to symmetry: {self.identifiable.value}{self.grounds()}")
        b.append(self.provenance_bullet())
        return b

    def grounds(self) -> str:
        """The verdict's certainty and what it rests on, e.g. `` (probable: exact counts over 2
        primes)``; empty for an unknown verdict."""
        level = Certainty(self.certainty)
        if level is Certainty.UNKNOWN:
            return ""
        if self.evidence.get("method") == "exact":
            why = f"exact counts over {plural(len(self.evidence.get('primes') or []), 'prime')}"
        elif self.size is not None:
            why = "a count of floating-point monodromy path ends"
        else:
            why = "the fiber's dimension against the symmetry group's" + (
                "" if level is Certainty.PROVEN else ", with dim M probable"
            )
        return f" ({level.value}: {why})"


def grade(verdict: Verdict, certified: bool, *, method: str) -> Certainty:
    """The certainty of a fiber verdict from ``method`` (``rank``: dimensions by exact ranks;
    ``exact``: msolve counts over primes; ``monodromy``). A verdict on dimensions alone is
    ``PROVEN`` when the exact rank meets a proven bound (``certified``), else ``PROBABLE``. An
    exact count is ``PROBABLE`` whatever the rule says: msolve counts over GF(p) for random
    primes at a random function, equal to the count over Q except at bad primes. A monodromy
    count is ``NUMERICAL``: its points are floating-point path ends no box certifies.

    >>> grade(Verdict.NO, True, method="rank").value, grade(Verdict.YES, False, method="monodromy")
    ('proven', <Certainty.NUMERICAL: 'numerical'>)
    >>> grade(Verdict.NO, True, method="monodromy").value, grade(Verdict.YES, True, method="exact")
    ('numerical', <Certainty.PROBABLE: 'probable'>)
    """
    if verdict is Verdict.UNKNOWN:
        return Certainty.UNKNOWN
    if method == "monodromy":
        return Certainty.NUMERICAL
    if method == "exact":
        return Certainty.PROBABLE
    return Certainty.PROVEN if certified else Certainty.PROBABLE


def fiber_verdict(size: int, order: int | None, *, uniform: bool) -> tuple[Verdict, bool]:
    """(identifiable up to symmetry, decisive) from the largest count over one slice point.

    size > order means more than one orbit, provided the points are true solutions and the order
    is the true group's. The group acts freely, so a complete count is a multiple of it: one that
    is not (paths lost, a bad prime, a wrong group) decides nothing, nor does an unknown group.
    What a verdict is worth depends on how the points were counted: :func:`grade`.

    >>> [fiber_verdict(n, 2, uniform=True)[0].value for n in (1, 2, 3, 4)]
    ['unknown', 'yes', 'no', 'no']
    >>> fiber_verdict(3, 2, uniform=True)[1], fiber_verdict(4, 2, uniform=True)[1]
    (False, True)
    """
    if order is None or size < order:
        return Verdict.UNKNOWN, False
    if size == order:
        return Verdict.YES, False
    return Verdict.NO, uniform and size % order == 0


FIBER_METHODS = ("auto", "exact", "monodromy")
SLICE_SECONDS = 5.0  # the exact fiber's side count of deg V gives up after this


def _exact_fiber(
    arch: Architecture, fdim: int, symmetry_info: tuple[str, int | None, int], seed: int,
    time_limit: float, t0: float,
) -> FiberResult:  # fmt: skip
    from .exact_counts import degree_exact, fiber_size_exact

    text, order, _ = symmetry_info
    t_end = time.monotonic() + time_limit
    fib = fiber_size_exact(arch, seed=seed, time_limit=time_limit)
    # the slice count (for deg V) can be far harder than the fiber: a bounded try only
    left = min(SLICE_SECONDS, t_end - time.monotonic())
    deg: int | None = None
    n_slice: int | None = None
    if left > 0:
        try:
            deg, slice_, _ = degree_exact(arch, seed=seed, time_limit=left, fiber=fib)
            n_slice = slice_.value
        except BudgetExceededError:
            pass
    verdict, certified = fiber_verdict(fib.value, order, uniform=True)
    return FiberResult(
        architecture=arch.spec,
        dimension=fdim,
        size=fib.value,
        symmetry_order=order,
        symmetry=text,
        identifiable=verdict,
        certainty=grade(verdict, certified, method="exact"),
        evidence={
            "method": "exact",
            "primes": fib.primes,
            "slice_solutions": n_slice,
            "degree": deg,
            "same_size_over_slice_points": True,
            "bad_prime_note": "counts over GF(p) equal those over Q except at finitely many "
            "bad primes; two random primes agreed",
        },
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def _attention_fiber(
    arch: Attention, fdim: int, symmetry_info: tuple[str, int | None, int], seed: int,
    time_limit: float, t0: float,
) -> FiberResult:  # fmt: skip
    """Orbits of the generic fiber of lightning attention, counted exactly in the gauge chart of
    :mod:`~neurovariety.invariants.attention_geometry` (the chart leaves no group: order 1)."""
    from .attention_geometry import gauge_chart as attention_chart
    from .attention_geometry import orbit_count

    _, free = attention_chart(arch)
    if len(free) != arch.n_params - fdim:
        raise NeurovarietyError(f"the gauge chart has {len(free)} variables, not dim M")
    if not exact_counts.available():
        raise NeurovarietyError("msolve is not installed (it counts the chart points)")
    count = orbit_count(arch, seed=seed, time_limit=time_limit)
    verdict, certified = fiber_verdict(count.value, 1, uniform=True)
    return FiberResult(
        architecture=arch.spec,
        dimension=fdim,
        size=count.value,
        symmetry_order=1,
        symmetry=symmetry_info[0] + " (fixed by the chart)",
        identifiable=verdict,
        certainty=grade(verdict, certified, method="exact"),
        evidence={
            "method": "exact",
            "primes": count.primes,
            "sequences": count.samples,
            "swaps_predicted": count.expected,
            "bad_prime_note": "counts over GF(p) equal those over Q except at finitely many "
            "bad primes; two random primes agreed",
        },
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def fiber(
    arch: Architecture,
    *,
    seed: int = 0,
    time_limit: float = 300.0,
    max_loops_without_progress: int = 10,
    method: str = "auto",
) -> FiberResult:
    """Generic fiber dimension and, when finite in the gauge chart, its size.

    ``method="exact"`` counts the chart points over a random function (and over a random slice
    of V, for the degree) with msolve over two random primes
    (:mod:`~neurovariety.invariants.exact_counts`); an exact count equal to the symmetry group's
    order says identifiable, a larger one not, both probable (bad primes aside, the counts over
    GF(p) are those over Q).
    ``"monodromy"`` fills a slice of V by monodromy; ``"auto"`` uses ``exact`` when msolve is
    installed and the expanded system is small enough, else monodromy.

    The monodromy count rests on the stale rule (``max_loops_without_progress`` loops' worth of
    crossings that find nothing new; see :func:`~neurovariety.nag.monodromy_solve`): the trace
    in the linear coordinates proves every slice point found, not every point over each.

    >>> from neurovariety import parse_architecture
    >>> r = fiber(parse_architecture("lcn k=2,2 s=2"), seed=0)
    >>> r.dimension, r.size, r.evidence["degree"], r.identifiable.value   # Segre P¹×P¹: degree 2
    (1, 1, 2, 'yes')
    """
    if method not in FIBER_METHODS:
        raise NeurovarietyError(f"unknown method {method!r}; use one of {', '.join(FIBER_METHODS)}")
    t0 = time.perf_counter()
    dim = dimension(arch, seed=seed)
    fdim = arch.n_params - dim.dimension
    text, order, cont = symmetry(arch)

    def uncounted(verdict: Verdict, certified: bool, evidence: dict[str, Any]) -> FiberResult:
        # no chart points to count: the verdict rests on dimensions alone
        return FiberResult(
            architecture=arch.spec,
            dimension=fdim,
            size=None,
            symmetry_order=order,
            symmetry=text,
            identifiable=verdict,
            certainty=grade(verdict, certified, method="rank"),
            evidence=evidence,
            seed=seed,
            seconds=time.perf_counter() - t0,
        )

    if _gl_orbit_dimension_unknown(arch):
        reason = (
            f"fiber dimension {fdim}; the GL(c_i) orbits may have positive-dimensional "
            "stabilizers here (a hidden layer wider than both neighbours' channels × taps), so "
            "their dimension is not derived and the fiber is not compared with it"
        )
        return uncounted(Verdict.UNKNOWN, False, {"reason": reason})
    if fdim > cont:
        reason = f"fiber dimension {fdim} exceeds the symmetry dimension {cont}"
        return uncounted(Verdict.NO, dim.certified, {"reason": reason})
    if isinstance(arch, Attention):
        if method == "monodromy":
            raise unsupported(
                "monodromy fiber counts (its orbits are counted exactly: --method exact)"
            )
        try:
            return _attention_fiber(arch, fdim, (text, order, cont), seed, time_limit, t0)
        except (NeurovarietyError, BudgetExceededError) as e:
            reason = f"fiber dimension {fdim} equals the symmetry group's; orbits not counted: {e}"
            return uncounted(Verdict.UNKNOWN, False, {"reason": reason})
    _, free = gauge_chart(arch)
    if len(free) != dim.dimension:
        raise NeurovarietyError(f"{arch.spec}: no finite gauge chart is known for this fiber")
    if method == "exact" or (method == "auto" and exact_counts.available()):
        try:
            return _exact_fiber(arch, fdim, (text, order, cont), seed, time_limit, t0)
        except BudgetExceededError:
            if method == "exact":
                raise
            time_limit = max(1.0, time_limit - (time.perf_counter() - t0))
    return _monodromy_fiber(
        arch, fdim, (text, order, cont), seed, time_limit, max_loops_without_progress, t0
    )


def _monodromy_fiber(
    arch: Architecture,
    fdim: int,
    sym: tuple[str, int | None, int],
    seed: int,
    time_limit: float,
    max_loops_without_progress: int,
    t0: float,
) -> FiberResult:
    """The fiber counted by monodromy on a random slice of V, points grouped by function."""
    text, order, _ = sym
    _, free = gauge_chart(arch)
    ensure_x64()
    rng = np.random.default_rng(seed)
    E = jnp.asarray(rng.standard_normal((arch.ambient_dim_per_output, arch.n_inputs)))
    y_of = chart_map(arch, E)

    n = len(free)
    A = arch.ambient_dim
    R = jnp.asarray(complex_gaussian(rng, (n, A), standard=False))

    def system_fn(z: jax.Array, w: jax.Array) -> jax.Array:
        return R @ y_of(z) - w

    system = system_from_callable(system_fn, n, n_parameters=n, seed=seed)
    z0 = complex_gaussian(rng, n)
    w0 = np.asarray(R @ y_of(jnp.asarray(z0, dtype=complex)))
    y_jit = jax.jit(y_of)

    def trace_map(z: np.ndarray) -> np.ndarray:
        # The slice moves by translation in the linear coordinates y, where the trace is affine.
        return np.asarray(y_jit(jnp.asarray(z, dtype=complex)))

    mono = monodromy_solve(
        system,
        (z0, w0),
        seed=seed,
        time_limit=time_limit,
        decisive_trace=True,
        trace_map=trace_map,
        # The trace in y cannot see a missing second point over the same function, so the
        # fiber count rests on the stale rule, not on the trace test.
        stop_on_trace=False,
        max_loops_without_progress=max_loops_without_progress,
    )
    sols = np.asarray(mono.solutions).reshape(-1, n)
    ys = np.stack([trace_map(z) for z in sols])
    ys = ys / np.maximum(1.0, np.abs(ys).max(axis=1, keepdims=True))
    labels = cluster(ys, 1e-6)
    counts = np.bincount(labels)
    degree = len(counts)
    size = int(counts.max()) if degree else 0
    uniform = bool(degree) and bool(np.all(counts == size))
    verdict, certified = fiber_verdict(size, order, uniform=uniform)
    return FiberResult(
        architecture=arch.spec,
        dimension=fdim,
        size=size,
        symmetry_order=order,
        symmetry=text,
        identifiable=verdict,
        certainty=grade(verdict, certified, method="monodromy"),
        evidence={
            "loops": mono.loops,
            "trace": mono.complete.value,
            "stop_reason": mono.stop_reason,
            "slice_solutions": len(sols),
            "degree": degree,
            "same_size_over_slice_points": uniform,
            "paths_failed": mono.paths_failed,
        },
        seed=seed,
        seconds=time.perf_counter() - t0,
    )
