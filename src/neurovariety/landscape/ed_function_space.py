"""ED and learning degrees counted in function space, from the equation of a hypersurface V.

The parameter-space counts of :mod:`.ed_exact` need a chart in which the generic fiber is finite.
Networks with hidden continuous symmetries have none: for σ = x², Σ_i v_i (w_iᵀx)² = xᵀWᵀdiag(v)Wx
is unchanged by W ↦ OW with Oᵀdiag(v)O = diag(v), an orthogonal group that no rescaling chart
fixes (``mlp 3-2-1 x^2``: 6 chart parameters, dim V = 5). The critical points of the loss live in
function space anyway, so when V is a hypersurface Z(F) whose equation is proven to generate I(V)
(:func:`~neurovariety.invariants.equations.equations`, ``generated``) they are counted there.

With the conventions of :mod:`.ed_exact` (the loss ½cᵀQc − bᵀc, b = W u, and the same random
integer Q, W, u for a seed; the data form Q = VᵀV, W = Vᵀ), a smooth point c of V is critical iff
the gradient Qc − b is normal to T_cV = ∇F(c)^⊥ (the Lagrange conditions):

    Qc − b − λ ∇F(c) = 0,   F(c) = 0,   s · (aᵀ∇F(c)) − 1 = 0,

N + 2 equations in c, λ, s (N coordinates; a a random integer vector). On the smooth part
∇F ≠ 0 fixes λ, so solutions and critical points correspond one to one. The last equation is the
saturation by the singular locus: Sing V = Z(F, ∇F) (Jacobian criterion, I(V) = (F)), and there
every λ solves the first equations as soon as Qc = b — a whole line of spurious solutions when the
affine space {Qc = b} meets Sing V, which happens when Q is singular (fewer data than
coefficients). A single polynomial must vanish on all of Sing V: a random combination aᵀ∇F does,
and it misses the finitely many critical points of generic data (they are generic points of the
critical correspondence, which dominates V, and a is drawn independently of the data). For
invertible Q nothing is lost or gained: λ = 0 or ∇F = 0 would force c = Q⁻¹b, not on V for
generic b.

The system is counted by msolve over two or more random primes as in :mod:`.ed_exact` (every
ideal radical, the counts equal); no fiber is divided out. What it certifies: the number of
critical points on the smooth part of V over the algebraic closure of GF(p) for the primes used,
equal to the count over Q but for finitely many bad primes, for these integer Q, W, u.
"""

from __future__ import annotations

import dataclasses
import random
import time
from typing import Any

from ..architectures.base import Architecture
from ..errors import NeurovarietyError
from ..exact import primes_below
from ..exact.msolve import PrimeCount
from ..invariants.equations import Equation, coordinates, equations
from ..invariants.exact_counts import PRIME_BITS, agreed_value, prime_counts
from . import ed_exact
from .ed_result import EDDegreeResult, count_certainty

#: Highest degree of the hypersurface's equation looked for (det of a symmetric 6×6 matrix).
MAX_EQUATION_DEGREE = 6


@dataclasses.dataclass(frozen=True)
class FunctionSpaceCount:
    """Critical points of the loss on the smooth part of V = Z(F); None when not isolated."""

    count: int | None
    equation: str
    counts: list[PrimeCount]
    form: str
    seconds: float

    @property
    def primes(self) -> list[int]:
        return [c.prime for c in self.counts]

    def certificate(self) -> str:
        if self.count is None:
            return (
                "the critical set on the smooth part of V is positive-dimensional over the "
                f"algebraic closure of GF(p), p in {self.primes} (msolve; {self.form})"
            )
        return (
            f"{self.count} regular solutions of the Lagrange system of V = Z(F) over the "
            f"algebraic closure of GF(p) for p in {self.primes} (msolve, {self.seconds:.2g} s; "
            "I(V) = (F) proven, Sing V saturated away; equal to the count over Q but for "
            f"finitely many bad primes; {self.form})"
        )


def hypersurface_equation(arch: Architecture, *, seed: int = 0) -> Equation | None:
    """The generator F of I(V) when V is a hypersurface with a proven equation, else None.

    >>> from neurovariety import parse_architecture
    >>> hypersurface_equation(parse_architecture("mlp 3-2-1 x^2")).degree
    3
    """
    from ..invariants.dimension import dimension

    dim = dimension(arch, seed=seed)
    if not (dim.certified and dim.dimension == len(coordinates(arch)) - 1):
        return None
    # interpolation stops at a hypersurface's first equation, so a high limit costs nothing more
    eqs = equations(arch, seed=seed, max_degree=MAX_EQUATION_DEGREE)
    return eqs.equations[0] if eqs.generated and len(eqs.equations) == 1 else None


def lagrange_system(
    F: Equation, loss: ed_exact.LossForm, order: list[int], p: int, seed: int
) -> tuple[list[str], list[str]]:
    """The saturated Lagrange system over GF(p) (module docstring). ``order[k]`` is the
    coordinate of V (the variable ``c{order[k]}`` of F) that the loss's k-th key names."""
    import flint

    N = len(order)
    names = [f"c{i}" for i in range(N)] + ["l", "s"]
    ctx = flint.nmod_mpoly_ctx.get(names, ordering="degrevlex", modulus=p)
    c = ctx.gens()[:N]
    lam, s = ctx.gens()[N:]
    zero = ctx.from_dict({})
    f = ctx.from_dict({tuple(e) + (0, 0): coef % p for e, coef in F.terms})
    grad = [f.derivative(i) for i in range(N)]
    Q = [[0] * N for _ in range(N)]
    b = [0] * N
    for k, i in enumerate(order):
        b[i] = ed_exact._mod(loss.b[k], p)
        for k2, j in enumerate(order):
            Q[i][j] = ed_exact._mod(loss.Q[k][k2], p)
    eqs = [
        sum((Q[i][j] * c[j] for j in range(N) if Q[i][j]), zero) - b[i] - lam * grad[i]
        for i in range(N)
    ]
    rng = random.Random(f"ed-function-space:{seed}")
    combo = sum((rng.randint(1, ed_exact.RANGE) * g for g in grad), zero)
    eqs += [f, s * combo - 1]
    return [str(e) for e in eqs if not e.is_zero()], names


def function_space_count(
    arch: Architecture,
    spec: ed_exact.LossSpec,
    *,
    primes: int = 2,
    seed: int = 0,
    time_limit: float = 600.0,
) -> FunctionSpaceCount:
    """Critical points of the loss on the smooth part of the hypersurface V, counted by msolve.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.exact_counts import available
    >>> f = parse_architecture("lcn k=2,2 s=2")   # c0c3 − c1c2: rank-one 2×2 matrices
    >>> function_space_count(f, ed_exact.LossSpec()).count if available() else 6
    6
    """
    t0 = time.perf_counter()
    F = hypersurface_equation(arch, seed=seed)
    if F is None:
        raise NeurovarietyError(
            f"{arch.spec}: the function-space count needs V to be a hypersurface whose equation "
            "is proven to generate I(V) (see `neurovariety equations SPEC`); it is not one"
        )
    coords = coordinates(arch)
    keys = sorted(coords)  # the order of the chart's keys, so a seed draws the same Q, W, u
    position = {key: i for i, key in enumerate(coords)}
    order = [position[k] for k in keys]
    loss = ed_exact.loss_form(arch, keys, spec, seed)
    ps = primes_below(1 << PRIME_BITS, primes, seed=seed + 223)
    deadline = time.monotonic() + time_limit
    counts = []
    for p in ps:  # every prime, also after a positive-dimensional answer, to confirm it
        left = max(1e-3, deadline - time.monotonic())
        counts += prime_counts(
            lambda q: lagrange_system(F, loss, order, q, seed),
            [p],
            label=f"function-space critical-point count of {arch.spec}",
            time_limit=left,
        )
    flat = [c.positive_dimensional for c in counts]
    if all(flat):
        return FunctionSpaceCount(
            None, F.text(), counts, loss.description, time.perf_counter() - t0
        )
    if any(flat):
        raise NeurovarietyError(
            f"{arch.spec}: the Lagrange system is positive-dimensional mod some primes only "
            f"({flat}, primes {ps}): a bad prime; rerun with another seed"
        )
    value = agreed_value(
        counts,
        f"{arch.spec}: the Lagrange system",
        f"{arch.spec}: function-space critical-point counts disagree",
    )
    return FunctionSpaceCount(value, F.text(), counts, loss.description, time.perf_counter() - t0)


def function_space_result(
    arch: Architecture,
    spec: ed_exact.LossSpec,
    *,
    primes: int,
    seed: int,
    time_limit: float,
    common: dict[str, Any],
) -> EDDegreeResult:
    """An :class:`~.ed_result.EDDegreeResult` decided by :func:`function_space_count`."""
    t0 = time.perf_counter()
    r = function_space_count(arch, spec, primes=primes, seed=seed, time_limit=time_limit)
    info = {
        "equation": r.equation,
        "loss": r.form,
        "primes": r.primes,
        "critical_solutions": [c.solutions for c in r.counts],
        "msolve_seconds": round(sum(c.seconds for c in r.counts), 3),
    }
    return EDDegreeResult(
        **common,
        count=r.count,
        parameter_solutions=None,
        degenerate_removed=None,
        fiber_size=None,
        trace_test="not run",
        ledger={},
        seconds=time.perf_counter() - t0,
        method="function-space",
        certainty=count_certainty("function-space"),
        certificate=r.certificate(),
        exact=info,
        positive_dimensional=r.count is None,
    )
