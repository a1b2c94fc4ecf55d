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
import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.activations import Activation
from ..architectures.attention import Attention, unsupported
from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP
from ..errors import BudgetExceededError, NeurovarietyError
from ..jaxconfig import ensure_x64
from ..nag import monodromy_solve, system_from_callable
from ..nag.numerics import complex_gaussian
from ..nag.result import cluster
from ..parametrization.numeric import chart_map, gauge_chart
from ..results import Certainty, Graded, Provenance, Result, Verdict, plural
from . import exact_counts
from .dimension import dimension


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


def root_of_unity_order(act: Activation, *, bias: bool) -> int | None:
    """The largest m with σ(ω(z − c) + c) = ω^k·σ(z) + β for every ω with ω^m = 1 (None: ∞).

    These are the finite symmetries one hidden neuron inherits from σ: scale its pre-activation
    by ω (and, with bias, move it about the centre c), and undo the factor ω^k and the constant β
    in the next layer. Without bias neither c nor β can be absorbed, so c = β = 0 and m is the
    gcd of the differences of σ's exponents, constant term included (odd σ: m = 2, k = 1; even
    σ: m = 2, k = 0, also with σ(0) ≠ 0). With bias σ is first centred at c = −c_{r−1}/(r·c_r)
    (an affine map of z preserving σ up to affine maps fixes this point) and the constant term
    no longer counts. None: σ is affinely a monomial, the group is continuous (C*).

    >>> from neurovariety.architectures.activations import parse_activation as act
    >>> [root_of_unity_order(act(s), bias=False) for s in ("x^3+x", "x^2+1", "x^4+x", "x^3+x^2")]
    [2, 2, 3, 1]
    >>> [root_of_unity_order(act(s), bias=True) for s in ("x^3+x+1", "x^2+1", "x^3+3*x^2+4*x")]
    [2, None, 2]
    """
    c = act.coefficients
    r = len(c) - 1
    if bias:
        centre = -c[r - 1] / (r * c[r])
        tau = [
            sum(c[j] * math.comb(j, e) * centre ** (j - e) for j in range(e, r + 1))
            for e in range(r + 1)
        ]
        exps = [e for e in range(1, r + 1) if tau[e] != 0]
    else:
        exps = [e for e in range(r + 1) if c[e] != 0]
    if len(exps) == 1:
        return None
    return math.gcd(*(r - e for e in exps))


def _parity_text(act: Activation, m: int, bias: bool) -> str:
    # k ≡ r (mod m): r is one of σ's exponents.
    if m != 2:
        return f"multiplication by m-th roots of unity, m = {m} (σ(ωz) = ω^k σ(z) + const)"
    parity = "odd" if act.degree % 2 else "even"
    c = act.coefficients
    if bias and c[-2] != 0:
        return f"sign flips about σ's centre (σ {parity} about it, up to a constant)"
    return f"sign flips (σ {parity}" + (", up to a constant)" if bias and c[0] else ")")


def symmetry(arch: Architecture) -> tuple[str, int | None, int]:
    """(description, order of the finite group left in the gauge chart, continuous dimension).

    The group is the one acting in :func:`~neurovariety.parametrization.numeric.gauge_chart`
    (the chart ``fiber`` counts in), over C since fibers are counted over C; order None means
    no finite count applies (a continuous group without a chart).

    - MLP, σ = c·z^r: hidden-neuron rescalings (w_j, v_j) ↦ (λw_j, λ^{−r}v_j) (Razor,
      arXiv:2505.11846), the sign flip λ = −1 among them (odd or even r); fixing w_j0 = 1 fixes
      λ = 1, so only the permutations of hidden neurons are left: order Π d_i!.
    - MLP, other σ: permutations and, per hidden neuron, the m-th roots of unity of
      :func:`root_of_unity_order` (the wreath product μ_m ≀ S_{d_i}; nothing is fixed by the
      chart): order Π d_i!·m^{d_i}. m = 1 for generic σ, 2 for odd or even σ.
    - MLP with bias and σ = a(z − c)^r + β, r ≥ 2: a rescaling per hidden neuron (about c,
      the constants go into the next bias); degree-1 σ = az + β: affine maps G of each hidden
      layer (with bias: Aff(d_i); without: those with G·1 = 1, which keep β·1 in place).
    - CNN/LCN, σ = c·z^r: filter rescalings (L − 1 dims), trivial in the chart (w_i0 = 1).
      Linear σ (LCN): the end-to-end filter is a product of the filter polynomials, so
      equal-shaped filters at stride 1 commute — swapping them keeps f for every θ — and the
      chart keeps one point per ordering: order :func:`factor_orderings` (``lcn k=2,2``: 2,
      identifiable up to the swap). Nonlinear σ: σ sits between the filters, no swap.
    - Multi-channel/2D convolutions (:class:`ConvNet`): channel o of hidden layer i with input
      channel j' of layer i + 1 permuted alike leaves f fixed, and per hidden channel the
      rescalings (σ = c·z^r) or the m-th roots of unity of :func:`root_of_unity_order` (no bias:
      w_i[o] ↦ ω w_i[o], w_{i+1}[:, o] ↦ ω^{−k} w_{i+1}[:, o]). The chart fixes w_i[o, 0, 0] = 1
      for every hidden o: a permutation maps these fixed weights onto each other (it stays in the
      chart), a rescaling λ ≠ 1 leaves it. Order Π c_i! for σ = c·z^r, Π c_i!·m^{Σ c_i} else.
      Linear σ with some c_i > 1: GL(c_i), continuous (order None).
    - CNN, other σ: a filter is shared by all neurons of its layer, so one root of unity per
      layer: w_i ↦ ζ_i ζ_{i−1}^{−k} w_i for i < L, w_L ↦ ζ_{L−1}^{−k} w_L, ζ_i^m = 1: order
      m^{L−1}. Even σ (k = 0): any w_i, i < L, may flip sign alone; odd σ (k = 1): flipping
      w_i and w_{i+1} together.

    The finite groups act freely on generic parameters, so the fiber size is a multiple of the
    order, equal to it exactly when the network is identifiable up to these symmetries.
    """
    if isinstance(arch, Attention):  # orbits are counted in its own chart (attention_geometry)
        return arch.symmetry_text, None, arch.symmetry_dim
    act = arch.activation
    if isinstance(arch, MLP):
        widths = arch.hidden_widths
        perms = math.prod(math.factorial(d) for d in widths)
        if act.is_linear:
            return "GL(d_i) on each hidden layer", None, arch.symmetry_dim
        if act.is_monomial:
            return (
                "permutations of hidden neurons (rescalings and sign flips fixed by the chart)",
                perms,
                arch.symmetry_dim,
            )
        if act.degree == 1:
            if arch.bias:
                return (
                    "Aff(d_i) on each hidden layer (σ affine)",
                    None,
                    sum(d * d + d for d in widths),
                )
            cont = sum(d * d - d for d in widths)
            text = "{G ∈ GL(d_i) : G·1 = 1} on each hidden layer (σ affine)"
            return text, (1 if cont == 0 else None), cont
        m = root_of_unity_order(act, bias=arch.bias)
        if m is None:
            text = "rescalings of hidden neurons about σ's centre (σ affinely a monomial)"
            return text, None, sum(widths)
        if m == 1:
            return "permutations of hidden neurons", perms, 0
        order = perms * m ** sum(widths)
        return f"permutations of hidden neurons and {_parity_text(act, m, arch.bias)}", order, 0
    if isinstance(arch, ConvNet):
        return _conv_symmetry(arch)
    if isinstance(arch, CNN):
        if act.is_linear:
            strides = tuple((s,) for s in arch.strides)  # type: ignore[union-attr]
            orderings = factor_orderings(tuple((k,) for k in arch.filters), strides)
            return _linear_conv_text(orderings), orderings, arch.symmetry_dim
        if act.is_monomial:
            return "filter rescalings (fixed by the chart)", 1, arch.symmetry_dim
        m = root_of_unity_order(act, bias=False)
        L = len(arch.filters)
        if m is None or m == 1 or L == 1:
            return "none (σ(ωz) = ω^k σ(z) only for ω = 1)", 1, 0
        if m == 2 and act.degree % 2:
            return "sign flips of w_i and w_{i+1} together, i < L (σ odd)", 2 ** (L - 1), 0
        if m == 2:
            return "sign flips of w_i alone, i < L (σ even)", 2 ** (L - 1), 0
        text = f"m-th roots of unity per filter 1..L−1, m = {m} (σ(ωz) = ω^k σ(z))"
        return text, m ** (L - 1), 0
    return "not derived for this architecture", None, arch.symmetry_dim


def order_text(order: int | None) -> str:
    """The group order in words: never a bare None.

    >>> order_text(2), order_text(None)
    ('order 2', 'no finite order: a continuous group, nothing to count against')
    """
    if order is None:
        return "no finite order: a continuous group, nothing to count against"
    return f"order {order}"


def factor_orderings(
    filters: tuple[tuple[int, ...], ...], strides: tuple[tuple[int, ...], ...]
) -> int:
    """Orderings of the filters of a single-channel linear convolution that keep f (≥ 1).

    The end-to-end filter is Π_i w_i(x^{S_i}), S_i = s_1⋯s_{i−1} per axis (KMST arXiv:2304.05752,
    KMMT arXiv:2108.01538): filters with the same S_i (stride 1 between them) and the same shape
    can be permuted. Each ordering is one chart point (the rescalings are fixed), and unique
    factorization makes these all of the fiber when generic filters are irreducible.

    >>> factor_orderings(((2, 2), (2, 2)), ((1, 1),)), factor_orderings(((2,), (2,)), ((2,),))
    (2, 1)
    >>> factor_orderings(((2,), (3,), (2,)), ((1,), (1,)))
    2
    """
    runs: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
    S = tuple(1 for _ in filters[0])
    for i, k in enumerate(filters):
        runs[(S, k)] = runs.get((S, k), 0) + 1
        if i < len(strides):
            S = tuple(a * b for a, b in zip(S, strides[i], strict=True))
    return math.prod(math.factorial(n) for n in runs.values())


def _linear_conv_text(orderings: int) -> str:
    if orderings == 1:
        return "filter rescalings (fixed by the chart)"
    return (
        f"filter rescalings (fixed by the chart) and the {orderings} orderings of equal-shaped "
        "filters at stride 1 (the factors of the end-to-end filter commute)"
    )


def _conv_symmetry(arch: ConvNet) -> tuple[str, int | None, int]:
    """Multi-channel/multi-dimensional convolutions (see :func:`symmetry`)."""
    act, hidden = arch.activation, arch.hidden_channels
    perms = math.prod(math.factorial(c) for c in hidden)
    if act.is_linear:
        if all(c == 1 for c in hidden):
            orderings = factor_orderings(arch.filters, tuple(arch.strides))  # type: ignore[arg-type]
            return _linear_conv_text(orderings), orderings, arch.symmetry_dim
        return (
            "GL(c_i) mixing the channels of each hidden layer (continuous; the chart fixes "
            "only the rescalings)",
            None,
            arch.symmetry_dim,
        )
    channels = "permutations of hidden channels"
    if act.is_monomial:
        return f"{channels} (rescalings fixed by the chart)", perms, arch.symmetry_dim
    if act.degree == 1:
        cont = sum(c * c - c for c in hidden)
        text = "{G ∈ GL(c_i) : G·1 = 1} mixing the channels of each hidden layer (σ affine)"
        return text, (1 if cont == 0 else None), cont
    m = root_of_unity_order(act, bias=False) or 1
    if m == 1:
        return channels, perms, 0
    return (
        f"{channels} and, per hidden channel, {_parity_text(act, m, False)}",
        perms * m ** sum(hidden),
        0,
    )


def _gl_orbit_dimension_unknown(arch: Architecture) -> bool:
    # ConvNet.symmetry_dim falls back to the torus there: a lower bound of the orbit dimension
    return (
        isinstance(arch, ConvNet)
        and arch.activation.is_linear
        and any(c > 1 for c in arch.hidden_channels)
        and not arch.gl_orbits_full
    )


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
