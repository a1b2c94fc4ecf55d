"""Dimension of a neuromanifold: exact Jacobian ranks against proven upper bounds.

The rank of the Jacobian of θ ↦ (f_θ(x_1), …, f_θ(x_S)) at one point, computed exactly over GF(p)
from integer parameters and inputs, is a **certified lower bound** of dim M: a non-zero minor mod p
is a non-zero minor over Q, and the rank at a point never exceeds the generic rank. Upper bounds
come from the ambient space, parameter counts minus symmetries, the composition bound and the
closed formulas of the literature. When the two meet, the dimension is proven
(:attr:`~neurovariety.results.Certainty.PROVEN`); otherwise it is ``PROBABLE``, with the
Schwartz–Zippel bound on the chance that every random point was unlucky.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from ..architectures.attention import Attention
from ..architectures.base import Architecture
from ..errors import BudgetExceededError, InternalError, NeurovarietyError, RankDisagreementError
from ..exact import primes_below, rank_mod
from ..nag.numerics import numerical_rank
from ..parametrization.exact import jacobian_mod_p, random_point_mod_p
from ..resources import default_max_memory, format_bytes
from ..results import Certainty, Graded, Provenance, Result
from . import formulas
from .formula_choice import DIMENSION_BOUND, closed_formulas

NUMERIC_RTOL = 1e-9  # relative cut for numerical ranks (float64, moderately conditioned)
DEFAULT_PRIME_BITS = 23  # residues in float64 with exact BLAS blocks (see neurovariety.exact)
#: Elimination speed assumed by the time estimate (flop/s): the BLAS rank engine reached ~4e10
#: on 2 idle cores at n = 6200 (benchmarks/RESULTS.md, "Exact rank mod p"); a quarter of that
#: allows for load.
RANK_FLOPS = 1e10


@dataclasses.dataclass(frozen=True)
class Bound:
    """An upper bound of the dimension and where it comes from."""

    name: str
    value: int
    source: str


def upper_bounds(arch: Architecture) -> list[Bound]:
    """Every proven upper bound of dim M that applies to ``arch``, smallest first.

    Each bound is a theorem with hypotheses, checked for the architecture at hand by
    :func:`.formula_choice.closed_formulas`:

    - ``ambient``: f_θ lies in the span of the monomials its layers can reach (all).
    - ``parameters``: dim M ≤ rank of dφ ≤ number of parameters (all).
    - ``symmetry``: a group G with φ∘g = φ acting on parameters with generic orbits of
      dimension m gives generic fibers of dimension ≥ m, so dim M ≤ n − m. Used only where the
      orbit dimension is known: the rescaling torus of a monomial σ = c·x^r, r ≥ 2 (MLP: one
      factor per hidden neuron, with or without bias; CNN/LCN: L − 1 filter rescalings, PCN
      arXiv:2410.00722 / KMST arXiv:2304.05752), whose stabilizer at a point with non-zero
      rows / filters is finite. Not for linear σ, where GL(d_i) can have positive-dimensional
      stabilizers (a hidden layer wider than its neighbours): there ``determinantal`` is exact.
    - ``composition`` (KTB, arXiv:1905.12207): monomial MLPs without bias, r ≥ 2; V_d is the
      image of V_(d_0..d_i) × V_(d_i..d_L) under (h, g) ↦ g∘σ∘h, invariant under the
      d_i-dimensional torus (h, g) ↦ (D h, g∘D^{−r}), which acts with finite stabilizers.
    - ``alexander-hirschowitz``: single-output shallow monomial MLPs without bias, r ≥ 2; the
      affine cone over a secant variety of a Veronese variety, dimension exact (AH 1995).
    - ``determinantal``: linear σ; x ↦ A x (+ c) with rank A ≤ min(widths), exact (Invitation,
      arXiv:2501.18915, appendix; with bias the translations c add d_L).
    - multi-channel / multi-dimensional convolutions: :meth:`ConvNet.dimension_bounds`
      (hidden-channel rescalings, GL(c_i) for linear σ where its orbits are full, and the
      single-channel linear Σ|k_i| − L + 1 of KMMT arXiv:2108.01538).

    >>> from neurovariety import parse_architecture
    >>> [(b.name, b.value) for b in upper_bounds(parse_architecture("mlp 2-3-2-3-4 x^2"))][:2]
    [('composition', 16), ('symmetry', 22)]
    >>> [(b.name, b.value) for b in upper_bounds(parse_architecture("mlp 3-2-3 x bias"))][:1]
    [('determinantal', 11)]
    """
    # which formulas apply is decided in formula_choice (with the degrees and ED degrees)
    bounds = [
        Bound(f.name, f.value, f.source)
        for f in closed_formulas(arch)
        if f.invariant == DIMENSION_BOUND
    ]
    return sorted(bounds, key=lambda b: b.value)


@dataclasses.dataclass(frozen=True, repr=False)
class DimensionResult(Result, Graded, Provenance):
    """The dimension of a neuromanifold, with how it was decided.

    ``certainty`` is ``PROVEN`` when the exact lower bound meets a proven upper bound,
    ``PROBABLE`` when it stays below (exact ranks at random points), ``NUMERICAL`` for an SVD;
    ``certified`` and the older ``status`` key are derived from it.
    """

    n_params: int
    ambient_dimension: int
    expected_dimension: int
    dimension: int
    lower_bound: int | None
    upper_bound: int
    upper_bound_source: str
    bounds: dict[str, int]
    defect: int
    fiber_dimension: int
    filling: bool
    method: str
    primes: list[int]
    ranks: list[int]
    n_samples: int
    error_bound: float
    singular_values: list[float] = dataclasses.field(default_factory=list)
    gap: float | None = None

    @property
    def status(self) -> str:
        """``certified``, ``probable`` or ``numeric``: the JSON key of earlier versions."""
        return _STATUS.get(Certainty(self.certainty), str(self.certainty))

    def title(self) -> str:
        return f"DimensionResult  {self.architecture}"

    def how(self) -> str:
        """How the dimension was decided, in one line (a profile's "how" column)."""
        if self.method != "exact":
            r = self.dimension
            if self.gap is None or math.isinf(self.gap):
                cut = f"no singular value below {NUMERIC_RTOL:g}·σ_max"
            else:
                cut = f"gap σ_{r}/σ_{r + 1} = {self.gap:.3g} at the cut {NUMERIC_RTOL:g}·σ_max"
            return (
                f"numeric: SVD of a float64 Jacobian ({self.n_samples} samples, best of 2 points), "
                f"{cut}"
            )
        how = (
            f"exact rank mod {len(self.primes)} primes ({self.n_samples} samples) "
            f"{'meets' if self.certified else 'is below'} the {self.upper_bound_source} "
            f"bound {self.upper_bound}"
        )
        if self.certified:
            return f"certified: {how}"
        return (
            f"probable: {how}; chance that every random point undercounts ≤ "
            f"{self.error_bound:.2e} (Schwartz–Zippel)"
        )

    def bullets(self) -> list[str]:
        b = [
            f"dimension {self.dimension} of ambient {self.ambient_dimension} "
            f"(expected {self.expected_dimension}, defect {self.defect})"
            + (" · filling" if self.filling else ""),
            self.how(),
        ]
        if self.method != "exact" and self.singular_values:
            sv = ", ".join(f"{v:.3g}" for v in self.singular_values)
            b.append(f"singular values around the cut: {sv}; not certified")
        b.append(f"{self.n_params} parameters, generic fiber dimension {self.fiber_dimension}")
        b.append(self.provenance_bullet())
        return b


_STATUS = {
    Certainty.PROVEN: "certified",
    Certainty.PROBABLE: "probable",
    Certainty.NUMERICAL: "numeric",
}


def _n_samples_min(arch: Architecture, target: int) -> int:
    return max(1, math.ceil(target / arch.n_outputs))


def _n_samples_safe(arch: Architecture, upper: int) -> int:
    # Each output coordinate of a tangent vector lies in a space of dimension ≤ min(upper, A_1);
    # evaluation at that many generic points is injective on it, so the rank is not cut short.
    return max(1, min(upper, arch.ambient_dim_per_output))


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a Jacobian rank will cost: its shape, peak memory and elimination work."""

    rows: int
    cols: int
    bytes: int
    flops: float

    @property
    def seconds(self) -> float:
        return self.flops / RANK_FLOPS


def plan(arch: Architecture, n_samples: int, copies: int = 3) -> Plan:
    """The cost of one rank of the (samples × outputs) × parameters Jacobian, before allocating.

    Memory: ``copies`` float64/int64 copies of the Jacobian (the matrix, its residues and the
    elimination's working copy) plus the layer values of the back-propagation (attention: the
    forward-mode tangents, one number per parameter for each layer value); work: the
    elimination, rows · cols · min(rows, cols).

    >>> from neurovariety import parse_architecture
    >>> c = plan(parse_architecture("mlp 1000-1000-1 x^2"), 500_500)
    >>> (c.rows, c.cols), c.bytes > 10 * 2**40
    ((500500, 1001000), True)
    """
    rows, cols = n_samples * arch.n_outputs, arch.n_params
    if isinstance(arch, Attention):
        layer_values = n_samples * arch.tokens * cols * _attention_jet_width(arch)
    else:
        layer_values = rows * (sum(layer.n_out for layer in arch.layers) + arch.n_inputs)
    total = 8 * (copies * rows * cols + layer_values + n_samples * arch.n_inputs)
    return Plan(rows, cols, total, float(rows) * cols * min(rows, cols))


def _attention_jet_width(arch: Attention) -> int:
    """Numbers per (sample, token, parameter) that the forward-mode tangents of one layer hold
    at once: input d, Q/K jets 2a, V jet and output d' (and a product in flight, and the
    Jacobian's transposed copy) 3d', attention weights t, and a margin 2t + 8 for what is
    per sample; measured peaks (tracemalloc) stay 5–40% under this."""
    w, a, t = arch.widths, arch.attention_widths, arch.tokens
    return max(w[i] + 2 * a[i] + 3 * w[i + 1] + 3 * t + 8 for i in range(len(a)))


def check_plan(
    arch: Architecture, cost: Plan, max_memory: int | None, time_limit: float | None, what: str
) -> None:
    """Refuse a plan over the memory or time budget, naming the estimate and the option."""
    limit = default_max_memory() if max_memory is None else max_memory
    if cost.bytes > limit:
        raise BudgetExceededError(
            f"{what} of {arch.spec} needs a {cost.rows:,}×{cost.cols:,} Jacobian: about "
            f"{format_bytes(cost.bytes)} (limit {format_bytes(limit)}, --max-memory); use a "
            "smaller architecture or raise the limit on a machine that has the memory"
        )
    if time_limit is not None and cost.seconds > time_limit:
        raise BudgetExceededError(
            f"{what} of {arch.spec} needs a {cost.rows:,}×{cost.cols:,} Jacobian, estimated at "
            f"~{cost.seconds:.3g} s of elimination (limit {time_limit:.3g} s, --time-limit); raise "
            "the limit or use a smaller architecture"
        )


def _exact_rank(arch: Architecture, n_samples: int, p: int, seed: int) -> int:
    theta, x = random_point_mod_p(arch, n_samples, p, seed=seed)
    J = jacobian_mod_p(arch, theta, x, p, canonical=False)
    return int(rank_mod(J, p))


def dimension(
    arch: Architecture,
    *,
    method: str = "exact",
    primes: int = 2,
    seed: int = 0,
    prime_bits: int = DEFAULT_PRIME_BITS,
    max_memory: int | None = None,
    time_limit: float | None = None,
) -> DimensionResult:
    """Dimension of the neuromanifold of ``arch``.

    Parameters
    ----------
    arch
        An :class:`MLP`, :class:`CNN` or :class:`LCN`.
    method
        ``"exact"``: ranks of the Jacobian over ``primes`` random primes of ``prime_bits`` bits at
        random points (a certified lower bound), compared with proven upper bounds.
        ``"numeric"``: SVD of a float64 Jacobian at a Gaussian point, reporting the gap.
    primes
        Number of primes (≥ 2 for ``exact``); each gets its own random point.
    seed
        Seeds the primes and the points; stored in the result.
    max_memory
        Bytes the plan may use (default half of the machine's memory); a larger plan is refused
        with :class:`~neurovariety.BudgetExceededError` before anything is allocated.
    time_limit
        Seconds: a plan estimated to take longer is refused up front, and the work stops between
        ranks once the limit is spent.

    Examples
    --------
    >>> from neurovariety import parse_architecture
    >>> r = dimension(parse_architecture("mlp 2-3-2-3-4 x^2"), seed=1)
    >>> r.dimension, r.expected_dimension, r.certified
    (16, 22, True)
    """
    if method not in ("exact", "numeric"):
        raise NeurovarietyError(f"unknown method {method!r}; use 'exact' or 'numeric'")
    if method == "exact" and (not isinstance(primes, int) or primes < 2):
        raise NeurovarietyError(f"primes={primes!r}: exact dimensions need at least 2 primes")
    if not 10 <= prime_bits <= 62:
        raise NeurovarietyError(f"prime_bits={prime_bits} must lie in [10, 62]")
    if time_limit is not None and not time_limit > 0:
        raise NeurovarietyError(f"time_limit={time_limit} must be a positive number of seconds")
    t0 = time.perf_counter()
    bounds = upper_bounds(arch)
    best = bounds[0]
    if method == "numeric":
        n_num = 2 * _n_samples_safe(arch, best.value)
        check_plan(arch, plan(arch, n_num), max_memory, time_limit, "the numeric dimension")
        return _numeric_dimension(arch, bounds, seed, t0)

    deadline = None if time_limit is None else time.monotonic() + time_limit

    def ranks_at(n: int, salt: int, which: list[tuple[int, int]]) -> list[int]:
        cost = plan(arch, n)
        left = None if deadline is None else deadline - time.monotonic()
        check_plan(arch, cost, max_memory, left, "the exact dimension")
        out: list[int] = []
        for i, p in which:
            if deadline is not None and time.monotonic() > deadline:
                raise BudgetExceededError(
                    f"the exact dimension of {arch.spec} ran out of its {time_limit:g} s after "
                    f"{len(out)} of {len(which)} ranks; raise --time-limit"
                )
            out.append(_exact_rank(arch, n, p, seed + salt + i))
        return out

    ps = primes_below(1 << prime_bits, primes, seed=seed)
    n_samples = _n_samples_min(arch, best.value)
    safe = _n_samples_safe(arch, best.value)
    ranks = ranks_at(n_samples, 0, list(enumerate(ps)))
    # An exact rank at any sample count is a lower bound, so meeting the bound certifies at
    # once; doubling finds such a count without building the often much taller safe Jacobian.
    # A rank still short is only reported (probable) after the safe count.
    while max(ranks) < best.value and n_samples < safe:
        n_samples = min(2 * n_samples, safe)
        ranks = ranks_at(n_samples, 0, list(enumerate(ps)))
    if len(set(ranks)) > 1:
        # A point may be unlucky (probability ≤ deg/p); retry the low ones at fresh points.
        top = max(ranks)
        low = [(i, p) for i, (r, p) in enumerate(zip(ranks, ps, strict=True)) if r != top]
        redo = dict(zip((i for i, _ in low), ranks_at(n_samples, 1000, low), strict=True))
        ranks = [redo.get(i, r) for i, r in enumerate(ranks)]
        if len(set(ranks)) > 1:
            raise RankDisagreementError(
                f"exact Jacobian ranks of {arch.spec} disagree across primes {ps}: {ranks}, "
                "even after retrying at fresh points; a prime may divide a structural constant — "
                "rerun with another seed or more primes (--primes 4)"
            )
    lower = max(ranks)
    if lower > best.value:
        raise InternalError(
            f"exact rank {lower} exceeds the {best.name} bound {best.value} for {arch.spec}"
        )
    certified = lower == best.value
    deg_minor = lower * max(1, arch.total_degree - 1)
    error = 0.0
    if not certified:
        error = float(math.prod(formulas.schwartz_zippel_bound(deg_minor, p) for p in ps))
    return _result(
        arch, bounds, lower, lower, certified, "exact", ps, ranks, n_samples, error, seed, t0
    )


def _result(
    arch: Architecture,
    bounds: list[Bound],
    dim: int,
    lower: int | None,
    certified: bool,
    method: str,
    ps: list[int],
    ranks: list[int],
    n_samples: int,
    error: float,
    seed: int,
    t0: float,
    **extra: Any,
) -> DimensionResult:
    best = bounds[0]
    expected = arch.expected_dim
    if method == "exact":
        certainty = Certainty.PROVEN if certified else Certainty.PROBABLE
    else:
        certainty = Certainty.NUMERICAL
    return DimensionResult(
        architecture=arch.spec,
        n_params=arch.n_params,
        ambient_dimension=arch.ambient_dim,
        expected_dimension=expected,
        dimension=dim,
        lower_bound=lower,
        upper_bound=best.value,
        upper_bound_source=best.name,
        bounds={b.name: b.value for b in bounds},
        defect=expected - dim,
        fiber_dimension=arch.n_params - dim,
        filling=dim == arch.ambient_dim,
        certainty=certainty,
        method=method,
        primes=list(ps),
        ranks=list(ranks),
        n_samples=n_samples,
        error_bound=error,
        seed=seed,
        seconds=time.perf_counter() - t0,
        **extra,
    )


def numeric_rank(singular_values: np.ndarray, rtol: float = NUMERIC_RTOL) -> tuple[int, float]:
    """Numerical rank: singular values above ``rtol·σ_max`` count; returns (rank, gap ratio).

    The gap σ_r/σ_{r+1} is reported so a reader can judge the cut (∞ when nothing is cut).

    >>> numeric_rank(np.array([3.0, 2.0, 1e-15]))[0]
    2
    """
    rank, gap = numerical_rank(np.asarray(singular_values, dtype=float), rtol)
    return rank, math.inf if gap is None else gap


def _numeric_singular_values(arch: Architecture, n_samples: int, seed: int) -> np.ndarray:
    from ..parametrization.numeric import jacobian as numeric_jacobian  # JAX: only here

    rng = np.random.default_rng(seed)
    # Keep every layer's values O(1): weights ~ N(0, 1/fan-in), inputs in the unit ball; then
    # equilibrate rows and columns (the rank is unchanged, the conditioning much better).
    theta = rng.standard_normal(arch.n_params)
    if isinstance(arch, Attention):
        theta *= arch.parameter_scales()
    for layer in () if isinstance(arch, Attention) else arch.layers:
        fan_in = max(1, int(np.max(np.sum(layer.pattern >= 0, axis=1))))
        theta[layer.params] /= np.sqrt(fan_in)
    x = rng.standard_normal((n_samples, arch.n_inputs))
    # radii in [1/2, 1]: a sphere alone would give only ±1 for one input
    x *= rng.uniform(0.5, 1.0, (n_samples, 1)) / np.linalg.norm(x, axis=1, keepdims=True)
    J = numeric_jacobian(arch, theta, x)
    for axis in (0, 1, 0):
        norms = np.linalg.norm(J, axis=axis, keepdims=True)
        J = J / np.where(norms > 0, norms, 1.0)
    return np.linalg.svd(J, compute_uv=False)


def _numeric_dimension(
    arch: Architecture, bounds: list[Bound], seed: int, t0: float, points: int = 2
) -> DimensionResult:
    n_samples = 2 * _n_samples_safe(arch, bounds[0].value)  # oversample: better conditioned
    # A point near the rank-drop locus undercounts; noise does not overcount at this cut. Keep
    # the largest rank over independent points, as the exact method keeps the largest over primes.
    runs = [_numeric_singular_values(arch, n_samples, seed + i) for i in range(points)]
    ranked = [(numeric_rank(s), s) for s in runs]
    (rank, gap), s = max(ranked, key=lambda t: (t[0][0], t[0][1]))
    lo, hi = max(0, rank - 3), min(s.size, rank + 3)
    return _result(
        arch,
        bounds,
        rank,
        None,
        False,
        "numeric",
        [],
        [],
        n_samples,
        math.nan,
        seed,
        t0,
        singular_values=[float(v) for v in s[lo:hi]],
        gap=gap,
    )
