"""ED and learning degrees as exact solution counts over prime fields (msolve).

The critical points of ½cᵀQc − (Wu)ᵀc on the chart of :func:`.ed_system.ed_chart` solve the
square system  g(z) = J_c(z)ᵀ (Q c(z) − W u) = 0  (J_c the N×n Jacobian of the coefficients).
We write it over GF(p) for integer Q, W, u fixed by the seed and add one variable s and the
equation

    s · det(Aᵀ J_c(z)) − 1 = 0,      A a random integer N×n matrix,

which removes exactly the solutions where det(Aᵀ J_c) vanishes (a Rabinowitsch saturation).
Why this polynomial: by Cauchy–Binet det(Aᵀ J_c) = Σ_S det(A_S) det((J_c)_S) is a random
combination of the maximal minors of J_c, so it vanishes wherever J_c drops rank (the degenerate
parameters: zero filters, and any other rank drop of dφ, e.g. the ramification of a
projection); at a point of full rank it is a non-zero polynomial in A. The critical points of
full rank for generic u lie on components of the critical correspondence {(z, u)} that dominate
u-space, and a generic fibre of such a component consists of generic points of it: they miss the
hypersurface det(Aᵀ J_c) = 0 unless it contains the whole component, which a random A (drawn
independently of the data) does not. The product of the chart variables would not do: a regular
projection can drop the rank of dφ away from zero filters, and a zero filter need not be a chart
variable.

The saturated system is counted by msolve over two or more 30-bit primes (every ideal radical,
the counts equal: :func:`~neurovariety.invariants.exact_counts.agreed_value`), and divided by the
generic fiber size in the same chart (the chart points over one random function, counted the same
way) to give the count in function space. A positive-dimensional solution set (e.g. interpolating
networks with fewer data than parameters) is reported as such, never counted.

What it certifies: the number of solutions over the algebraic closure of GF(p) for the primes
used, which equals the count over Q except at finitely many bad primes (two random primes
agreeing make that unlikely; not a proof over Q), for *these* integer Q, W, u — generic with high
probability, as random choices are.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from fractions import Fraction
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..errors import NeurovarietyError
from ..exact import primes_below
from ..exact.msolve import Parametrization, PrimeCount, real_solutions
from ..invariants.exact_counts import PRIME_BITS, agreed_value, prime_counts
from .ed_system import chart_terms

#: Integer entries of the random forms, data and targets are drawn from [-RANGE, RANGE].
RANGE = 1000
#: "auto" tries the exact count when its system has at most this many terms (expanded g and
#: the saturating determinant): the 404 case has ~800 and counts in ~1 s; lcn k=3,3,3 s=2,2
#: (2,385 points) has ~3,700 and runs for minutes.
AUTO_MAX_TERMS = 3000

Matrix = list[list[Fraction]]


@dataclasses.dataclass(frozen=True)
class LossSpec:
    """Which loss: ``form`` "generic" or "data"; for data, ``n_data`` random points (default
    twice the ambient dimension per output) or the given ``data``, ``whiten``-ed or not."""

    form: str = "generic"
    n_data: int | None = None
    data: Any = None
    whiten: bool = False


@dataclasses.dataclass(frozen=True)
class LossForm:
    """The quadratic ½cᵀQc − bᵀc over Q (b = W u), and how it was drawn."""

    Q: Matrix
    b: list[Fraction]
    description: str


@dataclasses.dataclass(frozen=True)
class ExactEDCount:
    """Critical functions counted by msolve. ``count`` is None for a positive-dimensional set."""

    count: int | None
    parameter_solutions: int | None
    fiber_size: int | None
    critical: list[PrimeCount]
    fiber: list[PrimeCount]
    form: str
    seconds: float

    @property
    def primes(self) -> list[int]:
        return [c.prime for c in self.critical]

    def certificate(self) -> str:
        if self.count is None:
            return (
                f"the critical set of full rank is positive-dimensional over the "
                f"algebraic closure of GF(p), p in {self.primes} (msolve; {self.form})"
            )
        return (
            f"{self.parameter_solutions} regular chart solutions over the algebraic "
            f"closure of GF(p) for p in {self.primes}, fiber {self.fiber_size} "
            f"(msolve, {self.seconds:.2g} s; equal to the count over Q but for finitely many "
            f"bad primes; {self.form})"
        )


def _integers(rng: random.Random, n: int) -> list[int]:
    return [rng.randint(-RANGE, RANGE) for _ in range(n)]


def _orthonormal_columns(rng: random.Random, rows: int, cols: int) -> Matrix:
    """``cols`` orthonormal columns with rational entries: the Cayley transform
    (I − K)(I + K)⁻¹ of a random skew-symmetric integer K is orthogonal over Q (whitened data
    with no square roots)."""
    import sympy

    K = sympy.zeros(rows, rows)
    for i in range(rows):
        for j in range(i + 1, rows):
            K[i, j] = rng.randint(-9, 9)
            K[j, i] = -K[i, j]
    eye = sympy.eye(rows)
    O = (eye - K) * (eye + K).inv()
    return [[Fraction(int(O[i, j].p), int(O[i, j].q)) for j in range(cols)] for i in range(rows)]


def loss_form(
    arch: Architecture, keys: list[tuple[int, tuple[int, ...]]], spec: LossSpec, seed: int
) -> LossForm:
    """Exact Q and b = W u: ``generic``: a random symmetric integer Q, W = I; ``data``: random
    integer data points x_j (or the given ``data``, read exactly), y = V c, Q = VᵀV, W = Vᵀ;
    ``whiten``: data with orthonormal columns (rational, :func:`_orthonormal_columns`)."""
    form, n_data, data, whiten = spec.form, spec.n_data, spec.data, spec.whiten
    rng = random.Random(f"ed-exact:{form}:{arch.spec}:{seed}")
    N = len(keys)
    if form == "generic":
        Q = [[Fraction(0)] * N for _ in range(N)]
        for i in range(N):
            for j in range(i, N):
                Q[i][j] = Q[j][i] = Fraction(rng.randint(-RANGE, RANGE))
        b = [Fraction(v) for v in _integers(rng, N)]
        return LossForm(Q, b, f"a random symmetric integer Q in [-{RANGE}, {RANGE}], W = I")
    m = arch.n_inputs
    if data is not None:
        if whiten:
            raise NeurovarietyError(
                "exact counts with given data cannot whiten them (orthonormalizing needs square "
                "roots); whiten the data yourself or use method='monodromy'"
            )
        X = [[Fraction(float(v)) for v in row] for row in np.asarray(data, dtype=float)]
        what = "the given data"
    else:
        S = n_data or 2 * arch.ambient_dim_per_output
        if whiten and m <= S:
            X = _orthonormal_columns(rng, S, m)
            what = f"{S} random data points with orthonormal columns (rational)"
        else:
            X = [[Fraction(v) for v in _integers(rng, m)] for _ in range(S)]
            what = f"{S} random integer data points"
    outs = arch.n_outputs
    V = [[Fraction(0)] * N for _ in range(len(X) * outs)]
    for k, (o, e) in enumerate(keys):
        for s, x in enumerate(X):
            value = Fraction(1)
            for xi, ei in zip(x, e, strict=True):
                value *= xi**ei
            V[s * outs + o][k] = value
    u = [Fraction(v) for v in _integers(rng, len(V))]
    Q = [[sum((row[i] * row[j] for row in V), Fraction(0)) for j in range(N)] for i in range(N)]
    b = [sum((row[i] * u_r for row, u_r in zip(V, u, strict=True)), Fraction(0)) for i in range(N)]
    return LossForm(Q, b, f"{what}, Q = VᵀV, W = Vᵀ, integer targets")


def _mod(x: Fraction, p: int) -> Any:
    """``x`` in GF(p), or in Q (a ``flint.fmpq``) for p = 0."""
    if p == 0:
        import flint

        return flint.fmpq(x.numerator, x.denominator)
    if x.denominator % p == 0:
        raise NeurovarietyError(f"a denominator of the loss form is divisible by p={p}")
    return x.numerator * pow(x.denominator, -1, p) % p


def _determinant(M: list[list[Any]], one: Any) -> Any:
    """det M by Bareiss' fraction-free elimination (exact divisions of polynomials)."""
    M = [row[:] for row in M]
    n = len(M)
    prev, sign = one, 1
    for k in range(n - 1):
        if M[k][k].is_zero():
            swap = next((i for i in range(k + 1, n) if not M[i][k].is_zero()), None)
            if swap is None:
                return one * 0
            M[k], M[swap] = M[swap], M[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                M[i][j] = (M[i][j] * M[k][k] - M[i][k] * M[k][j]) / prev
        prev = M[k][k]
    return M[n - 1][n - 1] * sign


def _polynomials(terms: list[dict[tuple[int, ...], Any]], p: int, extra: int) -> tuple[list, Any]:
    """The coefficients c(z) mod p (over Q for p = 0) in a context ``z0..z{n-1}`` plus ``extra``
    more variables."""
    import flint

    n = len(next(iter(terms[0])))
    names = [f"z{i}" for i in range(n)] + ["s"] * extra
    ctx: Any
    if p == 0:
        ctx = flint.fmpq_mpoly_ctx.get(names, ordering="degrevlex")
    else:
        ctx = flint.nmod_mpoly_ctx.get(names, ordering="degrevlex", modulus=p)
    pad = (0,) * extra
    cs = [
        ctx.from_dict({e + pad: _mod(Fraction(int(a.p), int(a.q)), p) for e, a in t.items()})
        for t in terms
    ]
    return cs, ctx


def saturating_matrix(N: int, n: int, seed: int) -> list[list[int]]:
    """The random integer N×n matrix A of the saturation s·det(AᵀJ_c) − 1 (fixed by the seed,
    drawn independently of the data)."""
    rng = random.Random(f"ed-exact:minor:{seed}")
    return [_integers(rng, n) for _ in range(N)]


def gradient_polynomials(
    terms: list[dict[tuple[int, ...], Any]], loss: LossForm, p: int, extra: int = 0
) -> tuple[list[Any], list[list[Any]], Any]:
    """``(g, J_c, ctx)``: the n gradient polynomials g = J_cᵀ(Qc − b) and the Jacobian of the
    coefficients, over GF(p) (over Q for p = 0), in a context with ``extra`` more variables."""
    cs, ctx = _polynomials(terms, p, extra)
    n, N = ctx.nvars() - extra, len(cs)
    zero = ctx.from_dict({})
    Q = [[_mod(v, p) for v in row] for row in loss.Q]
    r = [
        sum((Q[i][j] * cs[j] for j in range(N) if Q[i][j]), zero) - _mod(loss.b[i], p)
        for i in range(N)
    ]
    J = [[c.derivative(j) for j in range(n)] for c in cs]
    g = [sum((J[k][j] * r[k] for k in range(N)), zero) for j in range(n)]
    return g, J, ctx


def _critical_polynomials(
    terms: list[dict[tuple[int, ...], Any]], loss: LossForm, p: int, seed: int
) -> tuple[list[Any], Any]:
    g, J, ctx = gradient_polynomials(terms, loss, p, 1)
    n, N = ctx.nvars() - 1, len(J)
    zero, one = ctx.from_dict({}), ctx.from_dict({(0,) * (n + 1): 1})
    A = saturating_matrix(N, n, seed)
    AJ = [[sum((A[k][i] * J[k][j] for k in range(N)), zero) for j in range(n)] for i in range(n)]
    s = ctx.gens()[-1]
    return [e for e in g if not e.is_zero()] + [s * _determinant(AJ, one) - 1], ctx


def critical_system(
    terms: list[dict[tuple[int, ...], Any]], loss: LossForm, p: int, seed: int
) -> tuple[list[str], list[str]]:
    """The saturated critical system over GF(p) (over Q for p = 0, integer coefficients): n
    gradient equations and s·det(AᵀJ_c) − 1."""
    eqs, ctx = _critical_polynomials(terms, loss, p, seed)
    if p == 0:  # msolve over Q: integer coefficients, one equation at a time
        eqs = [e * _denominator(e) for e in eqs]
    return [str(e) for e in eqs], [str(v) for v in ctx.names()]


def _denominator(e: Any) -> int:
    """The least common denominator of the coefficients of ``e`` (an ``fmpq_mpoly``)."""
    return math.lcm(*(int(a.q) for a in e.coeffs()))


def fiber_system(
    terms: list[dict[tuple[int, ...], Any]], p: int, seed: int
) -> tuple[list[str], list[str]]:
    """c(z) = c(z₀) over GF(p) for a random chart point z₀: the chart points of one function."""
    cs, ctx = _polynomials(terms, p, 0)
    n = ctx.nvars()
    rng = random.Random(f"ed-exact:fiber:{seed}:{p}")
    z0 = [rng.randrange(1, p) for _ in range(n)]
    eqs = [c - int(c(*z0)) for c in cs]
    return [str(e) for e in eqs if not e.is_zero()], [str(v) for v in ctx.names()]


def system_size(terms: list[dict[tuple[int, ...], Any]], loss: LossForm, seed: int) -> int:
    """Terms of the saturated critical system (over a 30-bit prime): the size ``auto`` reads."""
    p = primes_below(1 << PRIME_BITS, 1, seed=seed)[0]
    return sum(len(e) for e in _critical_polynomials(terms, loss, p, seed)[0])


def exact_ed_count(
    arch: Architecture,
    loss: LossForm,
    *,
    primes: int = 2,
    seed: int = 0,
    time_limit: float = 600.0,
) -> ExactEDCount:
    """Critical functions of ``loss`` on the neurovariety of ``arch``, counted by msolve.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.exact_counts import available
    >>> f = parse_architecture("lcn k=2,2 s=2")
    >>> terms, keys = chart_terms(f)
    >>> loss = loss_form(f, keys, LossSpec("generic"), seed=0)
    >>> exact_ed_count(f, loss).count if available() else 6   # rank-one 2×2 matrices (DHOST)
    6
    """
    t0 = time.perf_counter()
    terms, _ = chart_terms(arch)
    if not terms or not terms[0]:
        raise NeurovarietyError(f"{arch.spec}: the chart has no coefficients to count with")
    ps = primes_below(1 << PRIME_BITS, primes, seed=seed + 211)
    deadline = time.monotonic() + time_limit

    def every_prime(system: Any, what: str) -> list[PrimeCount]:
        # Every prime, also after a positive-dimensional answer, so that one is confirmed too;
        # each gets what is left of the one budget (not the whole budget again).
        counts: list[PrimeCount] = []
        for p in ps:
            left = max(1e-3, deadline - time.monotonic())
            counts += prime_counts(system, [p], label=what, time_limit=left)
        return counts

    crit = every_prime(
        lambda p: critical_system(terms, loss, p, seed), f"critical-point count of {arch.spec}"
    )
    flat = [c.positive_dimensional for c in crit]
    if all(flat):
        return ExactEDCount(None, None, None, crit, [], loss.description, time.perf_counter() - t0)
    fib = every_prime(lambda p: fiber_system(terms, p, seed), f"fiber count of {arch.spec}")
    if any(flat) or any(c.positive_dimensional for c in fib):
        raise NeurovarietyError(
            f"{arch.spec}: positive-dimensional solution sets mod p (critical system: "
            f"{flat}, fiber: {[c.positive_dimensional for c in fib]}; primes {ps}): a bad "
            "prime, or a fiber that is not finite in the chart; rerun with another seed"
        )
    solutions = agreed_value(
        crit,
        f"{arch.spec}: the critical system",
        f"{arch.spec}: exact critical-point counts disagree",
    )
    fiber = agreed_value(
        fib, f"{arch.spec}: the fiber system", f"{arch.spec}: fiber counts disagree"
    )
    count, rem = divmod(solutions, fiber) if fiber else (0, 1)
    if rem:
        raise NeurovarietyError(
            f"{arch.spec}: {solutions} critical chart points are not a multiple of the fiber "
            f"size {fiber}: some critical function has an unusual fiber; rerun with another seed"
        )
    return ExactEDCount(
        count, solutions, fiber, crit, fib, loss.description, time.perf_counter() - t0
    )


@dataclasses.dataclass(frozen=True)
class RealEDCount:
    """How many of the critical functions are real, at the same rational data, by msolve over Q.

    ``real_functions``: critical functions c with real coordinates (real points of the complex
    variety); ``real_parameter_functions``: those among them that a real chart point computes
    (the real neuromanifold's, up to the chart's fixed weights); ``real_chart_points``: real
    solutions of the saturated system."""

    functions: int
    real_functions: int
    real_parameter_functions: int
    real_chart_points: int
    fiber_size: int
    how: str
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {
            "method": "exact",
            "complete": True,
            "seconds": round(self.seconds, 3),
        }


#: Working precisions (bits) tried in turn to tell the critical functions apart by Arb balls.
REAL_PRECISIONS = (256, 1024, 4096)


def _overlap(c: list[Any], d: list[Any]) -> bool:
    return all(x.overlaps(y) for x, y in zip(c, d, strict=True))


def function_classes(
    values: list[list[Any]], real_points: list[bool | None], fiber: int
) -> tuple[int, int, int] | None:
    """(functions, real functions, real functions with a real chart point) from the balls
    ``values[i]`` of c at every chart point (``real_points[i]``: that point is real), or None
    when these balls do not decide it.

    The points are grouped by the function c(z) they compute: two points of one function have
    overlapping balls (both hold its value), so each function's points lie in one class of the
    overlap grouping; a grouping into classes of exactly the fiber's size with no ball meeting
    two classes is then the only one those balls allow (each chart fiber is an orbit of the
    chart's finite symmetry group, as the exact count assumes). A class is a real function when
    its conjugate balls meet it and no other class (the conjugate of a critical function is one:
    the system has real coefficients)."""
    classes: list[list[int]] = []
    for i, c in enumerate(values):
        hits = [k for k, cl in enumerate(classes) if _overlap(values[cl[0]], c)]
        if len(hits) > 1:
            return None
        if hits:
            classes[hits[0]].append(i)
        else:
            classes.append([i])
    if any(len(cl) != fiber for cl in classes):
        return None
    real = with_point = 0
    for cl in classes:
        conj = [x.conjugate() for x in values[cl[0]]]
        hits = [k for k, other in enumerate(classes) if _overlap(values[other[0]], conj)]
        if len(hits) != 1:
            return None
        if classes[hits[0]] is cl:
            real += 1
            with_point += any(real_points[i] for i in cl)
    return len(classes), real, with_point


def _real_function_classes(
    terms: list[dict[tuple[int, ...], Any]], param: Parametrization, names: list[str], fiber: int
) -> tuple[int, int, int, int]:
    """(functions, real functions, real functions with a real chart point, real chart points)
    from msolve's parametrization: every solution as Arb balls, grouped by
    :func:`function_classes`, at rising precision until the balls decide."""
    import flint

    from ..nag.certify import BallPolynomials

    C = BallPolynomials(terms, len(names))
    old = flint.ctx.prec
    try:
        for prec in REAL_PRECISIONS:
            points = param.points(names, prec)
            flint.ctx.prec = prec  # c(z) at the points' precision, not the default 53 bits
            values = [C.values(z).entries() for _, z in points]
            counts = function_classes(values, [r for r, _ in points], fiber)
            if counts is not None:
                return (*counts, sum(r for r, _ in points))
    finally:
        flint.ctx.prec = old
    raise NeurovarietyError(
        f"the {param.degree} critical chart points do not fall into classes of the fiber size "
        f"{fiber} at {REAL_PRECISIONS[-1]} bits (critical functions too close to tell apart, "
        "or a critical function with an unusual fiber); rerun with another seed"
    )


def exact_real_count(
    arch: Architecture,
    loss: LossForm,
    complex_count: ExactEDCount,
    *,
    seed: int = 0,
    time_limit: float = 600.0,
) -> RealEDCount:
    """How many of the ``complex_count.count`` critical functions of ``loss`` are real.

    The same saturated system as the complex count (so the same degenerate points are left
    out), now over Q: msolve isolates its real solutions. With a chart fiber of one point, a
    real function's only chart point z equals its conjugate (the conjugate point computes the
    conjugate function, the same one), so real functions are the real chart points. With a
    larger fiber a real function may have no real chart point (a real binary cubic with three
    real roots is a sum of two cubes of complex conjugate forms only), so the functions are
    told apart from msolve's rational parametrization of all the chart points, evaluated in
    ball arithmetic (:func:`_real_function_classes`).

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.exact_counts import available
    >>> f = parse_architecture("lcn k=2,2 s=2")    # rank-one 2×2 matrices
    >>> terms, keys = chart_terms(f)
    >>> loss = loss_form(f, keys, LossSpec("data", whiten=True), seed=0)
    >>> if available():    # Eckart–Young: the 2 rank-one truncations, both real
    ...     r = exact_real_count(f, loss, exact_ed_count(f, loss))
    ...     print(r.functions, r.real_functions)
    ... else:
    ...     print(2, 2)
    2 2
    """
    if complex_count.count is None or complex_count.fiber_size is None:
        raise NeurovarietyError(
            f"{arch.spec}: the critical set is positive-dimensional; there is no number of real "
            "critical points to count"
        )
    t0 = time.perf_counter()
    terms, _ = chart_terms(arch)
    eqs, names = critical_system(terms, loss, 0, seed)
    fiber = complex_count.fiber_size
    sols = real_solutions(eqs, names, time_limit=time_limit, parametrization=fiber > 1)
    if fiber == 1:
        n_real = sols.real
        counts = (complex_count.count, n_real, n_real, n_real)
        how = "fiber 1: each real critical function has one chart point, real"
    else:
        if sols.parametrization is None or sols.solutions != complex_count.parameter_solutions:
            raise NeurovarietyError(
                f"{arch.spec}: msolve over Q finds {sols.solutions} critical chart points, the "
                f"counts mod p {complex_count.parameter_solutions} (a bad prime); rerun with "
                "another seed"
            )
        counts = _real_function_classes(terms, sols.parametrization, names[:-1], fiber)
        if counts[0] != complex_count.count or counts[3] != sols.real:
            raise NeurovarietyError(
                f"{arch.spec}: the parametrization gives {counts[0]} functions and {counts[3]} "
                f"real chart points, the counts {complex_count.count} and {sols.real}; please "
                "report this"
            )
        how = (
            f"fiber {fiber}: all chart points from msolve's rational parametrization, grouped "
            "by function in ball arithmetic (FLINT/Arb)"
        )
    return RealEDCount(*counts, fiber_size=fiber, how=how, seconds=time.perf_counter() - t0)
