"""Degree of a neurovariety, each value with its evidence.

Methods
-------
``projection``
    A generic linear projection ``K^A → K^{d+1}`` (``d = dim V``, affine cone) maps V
    birationally onto a hypersurface of the same degree. Its equation is the lowest-degree
    polynomial vanishing on the projected sample points over GF(p): the first degree ``D`` whose
    evaluation matrix drops rank, confirmed over a second prime. As evidence the equation is
    restricted to a random line, where it must have ``D`` distinct roots (a squarefree
    univariate polynomial mod p): the slice of V by a random linear space of complementary
    dimension has ``D`` points.
``hilbert``
    From the Hilbert function of the interpolated ideal (:func:`~.equations.equations`): for
    ``k`` past the regularity, ``Δ^{d−1} HF(k) = deg V``; accepted when two consecutive values
    agree. For a hypersurface the degree of its generator (proven once the dimension is).
``exact``
    Exact solution counts over two random primes by msolve
    (:mod:`~neurovariety.invariants.exact_counts`): the chart points on a random affine slice of
    complementary dimension divided by the chart points over one function. Needs msolve and a
    gauge chart with dim V variables.
``witness``
    Witness sets by homotopy continuation (:func:`neurovariety.nag.witness_set`): slice the
    image of θ ↦ (f_θ(x_1), …, f_θ(x_S)) at generic complex inputs by a random affine space of
    complementary dimension, fill the slice by monodromy, confirm it by the trace test.
    Parameter-space solutions of one fiber are merged by their image (the count is divided by
    the fiber size that way).

Every result carries the closed formula that applies (PCN, LCN, determinantal), if any, as
:mod:`.formula_choice` decides it.
Degrees here are computed in function space, so no division by a fiber size is needed; a count
of parameter-space solutions would be divided by the generic fiber size.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..errors import (
    BackendUnavailableError,
    BudgetExceededError,
    NeurovarietyError,
    RankDisagreementError,
)
from ..exact import nullspace_mod_p, primes_below
from ..nag.numerics import complex_gaussian
from ..parametrization.coordinates import coordinates, sample_points_mod_p
from ..results import Certainty, Graded, Provenance, Result, weakest
from .equations import MARGIN, PRIME_BITS, equations
from .formula_choice import DEGREE, closed_formula

__all__ = ["DegreeResult", "degree", "degree_formula"]

METHODS = ("auto", "exact", "projection", "hilbert", "witness")
DEFAULT_MAX_MONOMIALS = 6_000


@dataclasses.dataclass(frozen=True, repr=False)
class DegreeResult(Result, Graded, Provenance):
    """The degree of a neurovariety, how it was computed, and the formula it was compared with.

    ``certainty``: ``PROVEN`` for a filling space or a verified hypersurface generator (with a
    proven dimension), ``PROBABLE`` for counts and interpolation mod random primes at random
    slices, ``NUMERICAL`` for a witness set closed by the trace test; never stronger than the
    dimension's.
    """

    degree: int
    method: str
    dimension: int
    ambient_dimension: int
    evidence: list[str]
    trace_test: bool | None
    formula: dict[str, Any] | None
    agrees_with_formula: bool | None
    primes: list[int]

    def title(self) -> str:
        return f"DegreeResult  {self.architecture}"

    def bullets(self) -> list[str]:
        b = [
            f"degree {self.degree} ({self.certainty}; dimension {self.dimension} in "
            f"{self.ambient_dimension})"
        ]
        b.append(f"method {self.method}: " + "; ".join(self.evidence))
        if self.formula is not None:
            verdict = "agrees" if self.agrees_with_formula else "DISAGREES"
            b.append(f"{verdict} with {self.formula['name']} = {self.formula['value']} "
                     f"({self.formula['source']})")  # fmt: skip
        b.append(f"trace test: {'n/a' if self.trace_test is None else self.trace_test}")
        b.append(f"primes {self.primes} · {self.provenance_bullet()}")
        return b


#: What each method's value rests on, before the dimension's own certainty (the class docstring).
_METHOD_CERTAINTY = {
    "exact": Certainty.PROBABLE,
    "projection": Certainty.PROBABLE,
    "hilbert": Certainty.PROBABLE,
    "witness": Certainty.NUMERICAL,
}


def degree_formula(arch: Architecture) -> dict[str, Any] | None:
    """The closed formula for the degree of ``arch``'s neurovariety, when one applies: its
    ``name``, ``value`` and ``source`` (chosen by :func:`.formula_choice.closed_formulas`).

    >>> from neurovariety import LCN, MLP, Monomial
    >>> degree_formula(LCN((3, 2), 2))["value"]
    3
    >>> degree_formula(MLP((3, 2, 3), Monomial(1)))["name"]
    'determinantal degree'
    """
    f = closed_formula(arch, DEGREE)
    return None if f is None else {"name": f.name, "value": f.value, "source": f.source}


def _projection_degree(
    arch: Architecture, dim: int, seed: int, max_monomials: int
) -> tuple[int, list[str], list[int]]:
    import flint

    A = len(coordinates(arch))
    if dim == A:
        return 1, ["filling: the neurovariety is the whole space"], []
    ps = primes_below(1 << PRIME_BITS, 2, seed=seed + 17)
    m = dim + 1
    found: list[int] = []
    evidence: list[str] = []
    for p in ps:
        rng = np.random.default_rng([seed, p, 3])
        lam = rng.integers(0, p, size=(A, m))
        pts_cache = np.zeros((0, m), dtype=np.int64)
        # the second prime only confirms: full rank in degree D−1, a one-dimensional kernel in D
        scan = itertools.count(1) if not found else iter([found[0] - 1, found[0]])
        for D in scan:
            if D == 0:
                continue
            N = math.comb(D + m - 1, D)
            if max_monomials < N:
                raise BudgetExceededError(
                    f"the projected hypersurface of {arch.spec} has degree > {D - 1}: degree {D} "
                    f"needs {N} monomials (limit {max_monomials}); raise --max-monomials"
                )
            if pts_cache.shape[0] < N + MARGIN:
                new = sample_points_mod_p(arch, N + MARGIN - pts_cache.shape[0], p,
                                          seed=seed + 31 * (pts_cache.shape[0] + 1))  # fmt: skip
                proj = np.zeros((new.shape[0], m), dtype=np.int64)
                for j in range(A):  # new @ lam mod p without int64 overflow
                    proj = (proj + new[:, j : j + 1] * lam[j][None, :]) % p
                pts_cache = np.concatenate([pts_cache, proj])
            mons = np.array(list(itertools.combinations_with_replacement(range(m), D)))
            vals = pts_cache[: N + MARGIN, mons[:, 0]]
            for j in range(1, D):
                vals = vals * pts_cache[: N + MARGIN, mons[:, j]] % p
            ker = nullspace_mod_p(vals, p)
            if ker.shape[1]:
                break
        if ker.shape[1] != 1:
            raise NeurovarietyError(
                f"the projected variety of {arch.spec} has {ker.shape[1]} equations of degree "
                f"{D} mod {p}; expected a hypersurface — rerun with another seed"
            )
        found.append(D)
        # restrict to a random line a + t b: D distinct roots mod p witness D slice points
        a, b = rng.integers(0, p, size=m), rng.integers(0, p, size=m)
        ctx = flint.nmod_poly
        line = [ctx([int(a[i]), int(b[i])], p) for i in range(m)]
        h = ctx([0], p)
        for row, c in zip(mons, ker[:, 0], strict=True):
            if c:
                term = ctx([int(c)], p)
                for v in row:
                    term = term * line[int(v)]
                h = h + term
        squarefree = h.degree() == D and h.gcd(h.derivative()).degree() == 0
        evidence.append(
            f"mod {p}: lowest-degree equation of a random projection to K^{m} has degree {D}; "
            f"on a random line it has {D} {'distinct' if squarefree else 'not all distinct'} "
            "roots"
        )
    if len(set(found)) != 1:
        raise NeurovarietyError(
            f"projection degrees disagree across primes {ps}: {found}; rerun with another seed"
        )
    return found[0], evidence, ps


def _witness_degree(
    arch: Architecture, dim: int, seed: int, time_limit: float
) -> tuple[int, list[str], bool]:
    """Witness set of the image of z ↦ (f_θ(z)(x_1), …, f_θ(z)(x_S)) at S generic complex inputs
    (an injective linear image of V: same degree), by monodromy + trace test in :mod:`nag`;
    points of one fiber are identified by their image, so no division by the fiber size is left.

    θ(z) is the gauge chart (:func:`gauge_chart`: one weight per rescaling fixed to 1), whose
    image is dense in V: where the chart has ``dim`` coordinates its generic fiber is finite and
    the slice needs no equations in z (on all of θ the search must also find every point of the
    fiber on a random slice). The S points go through the network as one batch (``vmap``):
    stacked one by one they made S copies of the network in the tracker's program, slow to
    compile and to step (``benchmarks/RESULTS.md``, "Witness-set degrees").
    """
    import jax.numpy as jnp

    from ..jaxconfig import ensure_x64
    from ..nag import witness_set
    from ..parametrization.numeric import chart_map, gauge_chart

    ensure_x64()  # X is complex128

    A = len(coordinates(arch))
    if dim == A:
        return 1, ["filling: the neurovariety is the whole space"], True
    rng = np.random.default_rng([seed, 5])
    S = arch.ambient_dim_per_output
    X = complex_gaussian(rng, (S, arch.n_inputs), standard=False)
    W = witness_set(
        parametrization=chart_map(arch, jnp.asarray(X)),
        n_parameters=len(gauge_chart(arch)[1]),
        dim=dim,
        seed=seed,
        time_limit=time_limit,
    )
    ok = W.complete.value == "yes"
    ev = [
        f"{W.degree} witness points of a random slice of codimension {dim} ({W.method})",
        f"trace test {'passed' if ok else 'not passed: the count is only a lower bound'}"
        + (f" ({W.trace.note})" if W.trace is not None and W.trace.note and not ok else ""),
    ]
    return W.degree, ev, ok


def _hilbert_degree(
    arch: Architecture, dim: int, seed: int, max_degree: int | None
) -> tuple[int, list[str], list[int], bool]:
    """The degree, its evidence, the primes, and whether it is proven (given the dimension):
    a proven generator is; Δ^{d−1} HF assumes the regularity is reached."""
    K = max_degree if max_degree is not None else dim + 2
    hypersurface = dim >= len(coordinates(arch)) - 1
    # a hypersurface's generator counts only once it is verified exactly to vanish on V
    res = equations(arch, max_degree=K, seed=seed, verify=hypersurface, minimize=hypersurface)
    if res.generated and res.method == "filling":
        return 1, ["filling: the neurovariety is the whole space"], res.primes, True
    if res.generated and len(res.equations) == 1:
        d = res.equations[0].degree
        return (
            d,
            [f"hypersurface with one generator of degree {d} ({res.generated_reason})"],
            res.primes,
            True,
        )
    h = res.hilbert_function
    order = dim - 1
    if len(h) < order + 3:
        raise BudgetExceededError(
            f"the Hilbert function of {arch.spec} is known through degree {len(h) - 1}; the "
            f"degree needs Δ^{order} HF at two consecutive degrees ≥ {order + 1}; raise "
            "--max-degree or use --method projection"
        )
    diffs = list(h)
    for _ in range(order):
        diffs = [diffs[i + 1] - diffs[i] for i in range(len(diffs) - 1)]
    if diffs[-1] != diffs[-2]:
        raise BudgetExceededError(
            f"Δ^{order} HF is not yet constant ({diffs[-3:]}) through degree {len(h) - 1}; "
            "the Hilbert polynomial is not reached: raise --max-degree or use --method projection"
        )
    return (
        diffs[-1],
        [
            f"Δ^{order} of the Hilbert function {h} is {diffs[-1]} at degrees "
            f"{len(h) - 2} and {len(h) - 1} (regularity assumed reached)"
        ],
        res.primes,
        False,
    )


def _auto_plan(arch: Architecture, dim: int, A: int) -> list[str]:
    """Methods for ``auto``, most decisive and cheapest first; each falls through to the next."""
    from .exact_counts import available

    plan = []
    if dim < A and available():
        plan.append("exact")
    plan.append("hilbert" if (dim >= A - 1 or dim <= 4) else "projection")
    plan.append("witness")
    return plan


def _exact_degree(
    arch: Architecture, dim: int, A: int, seed: int, time_limit: float
) -> tuple[int, list[str], list[int]]:
    from .exact_counts import chart_size, degree_exact

    if dim == A:
        return 1, ["filling: the neurovariety is the whole space"], []
    n_chart = chart_size(arch)
    if n_chart != dim:
        raise NeurovarietyError(
            f"the gauge chart of {arch.spec} has {n_chart} variables for dim V = {dim}: "
            "its fibers are positive-dimensional (a symmetry the chart does not fix), so its "
            "points cannot be counted"
        )
    deg, slice_, fiber = degree_exact(arch, seed=seed, time_limit=time_limit)
    return (
        deg,
        [
            slice_.evidence(),
            fiber.evidence(),
            f"degree = {slice_.value} / {fiber.value}; exact over these primes (a count over Q "
            "differs only at a bad prime, where two random primes would have to agree by chance)",
        ],
        slice_.primes,
    )


def degree(
    arch: Architecture,
    *,
    method: str = "auto",
    seed: int = 0,
    max_degree: int | None = None,
    max_monomials: int = DEFAULT_MAX_MONOMIALS,
    time_limit: float = 300.0,
) -> DegreeResult:
    """Degree of the neurovariety of ``arch``.

    Parameters
    ----------
    arch
        An :class:`MLP`, :class:`CNN` or :class:`LCN`.
    method
        ``"exact"`` (msolve counts over two primes), ``"projection"`` (modular interpolation of
        a generic projection), ``"hilbert"`` (Hilbert function of the interpolated ideal),
        ``"witness"`` (homotopy continuation, monodromy and trace test), or ``"auto"``:
        ``exact`` when msolve is installed, then ``hilbert`` for hypersurfaces and small
        dimensions or else ``projection``, then ``witness``; each falls through to the next
        when it cannot finish (its reason is kept in the evidence).
    seed
        Seeds the primes, projections and sample points; stored in the result.
    max_degree
        For ``hilbert``: interpolate through this degree (default ``dim + 2``).
    max_monomials
        For ``projection``: the largest evaluation matrix (bounds the degree it can find).
    time_limit
        Seconds for the whole computation (msolve and the monodromy solver honour it).

    Examples
    --------
    >>> from neurovariety import LCN
    >>> r = degree(LCN((3, 3), 2), method="projection")
    >>> r.degree, r.formula["value"], r.agrees_with_formula
    (6, 6, True)
    """
    from .dimension import dimension as _dimension

    if method not in METHODS:
        raise NeurovarietyError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if not time_limit > 0:
        raise NeurovarietyError(f"time_limit={time_limit} must be a positive number of seconds")
    t0 = time.perf_counter()
    deadline = time.monotonic() + time_limit
    dim_res = _dimension(arch, seed=seed)
    dim = dim_res.dimension
    A = len(coordinates(arch))
    formula = degree_formula(arch)
    trace: bool | None = None
    proven = dim == A  # filling: degree 1, whichever method returns it
    ps: list[int] = []
    tried: list[str] = []
    if method == "auto":
        plan = _auto_plan(arch, dim, A)
    else:
        plan = [method]
    for i, m in enumerate(plan):
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise BudgetExceededError(f"the time limit of {time_limit:g} s was spent")
            if m == "exact":
                # in a plan that goes on, keep two thirds of the time for the methods after it
                share = left if i == len(plan) - 1 else max(10.0, left / 3)
                deg, evidence, ps = _exact_degree(arch, dim, A, seed, min(left, share))
            elif m == "witness":
                deg, evidence, trace = _witness_degree(arch, dim, seed, left)
                if not trace:
                    # an incomplete witness set is a lower bound, never a degree
                    raise BudgetExceededError(
                        f"the witness set of {arch.spec} holds {deg} points but its trace test "
                        f"did not pass within {left:.0f} s, so the degree is only known to be "
                        f"≥ {deg}; raise --time-limit"
                    )
            elif m == "hilbert":
                deg, evidence, ps, proven = _hilbert_degree(arch, dim, seed, max_degree)
            else:
                deg, evidence, ps = _projection_degree(arch, dim, seed, max_monomials)
            method = m
            break
        except (BudgetExceededError, BackendUnavailableError, NeurovarietyError) as e:
            if i == len(plan) - 1 or isinstance(e, RankDisagreementError):
                if tried:
                    raise type(e)(f"{e} (auto tried before: {'; '.join(tried)})") from e
                raise
            tried.append(f"{m}: {e}")
    evidence = [*evidence, *(f"fell through {t}" for t in tried)]
    if not dim_res.certified:
        evidence.append(f"dimension {dim} is {dim_res.certainty}, not certified")
    return DegreeResult(
        certainty=weakest(dim_res.certainty, "proven" if proven else _METHOD_CERTAINTY[method]),
        architecture=arch.spec,
        degree=deg,
        method=method,
        dimension=dim,
        ambient_dimension=A,
        evidence=evidence,
        trace_test=trace,
        formula=formula,
        agrees_with_formula=None if formula is None else formula["value"] == deg,
        primes=ps,
        seed=seed,
        seconds=time.perf_counter() - t0,
    )
