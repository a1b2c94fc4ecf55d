"""Degrees and fiber sizes as exact solution counts over prime fields (msolve).

In the gauge chart z of :func:`~neurovariety.parametrization.numeric.gauge_chart` (one weight
per rescaling fixed to 1) the coordinates y(z) of f_z in the monomial basis are polynomials,
expanded over GF(p) (:func:`~neurovariety.parametrization.exact.coefficient_polynomials`).
For a random point z₀:

- the **fiber** is {z : y(z) = y(z₀)}: all A coordinate equations, so its points are exactly
  the chart points with the same function; their number is the generic fiber size in the chart;
- the **slice** is {z : R·(y(z) − y(z₀)) = 0} for a random n×A matrix R (n = number of chart
  variables = dim V): the preimages of V ∩ L, L a random affine space of complementary
  dimension through the random point y(z₀) of V. Each of its deg V points has as many chart
  preimages as the fiber, so deg V = |slice| / |fiber|.

Both counts are made by msolve over two or more random 30-bit primes; the answer is accepted when
every prime gives the same finite count and every ideal is radical (all solutions regular). A
count over GF(p) equals the count over Q except at finitely many bad primes, where solutions merge
or escape; two random primes agreeing make that unlikely, but it is not a proof over Q, and the
result says so.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..architectures.base import Architecture
from ..errors import BudgetExceededError, NeurovarietyError
from ..exact import primes_below
from ..exact.msolve import PrimeCount, count_solutions, msolve_binary

PRIME_BITS = 30  # msolve's prime fields hold residues below 2^31
DEFAULT_MAX_TERMS = 20_000  # terms of the expanded coordinates y(z) (keeps the system text small)


@dataclasses.dataclass(frozen=True)
class ExactCount:
    """An exact count over prime fields: the value and each prime's msolve answer."""

    value: int
    what: str
    counts: list[PrimeCount]

    @property
    def primes(self) -> list[int]:
        return [c.prime for c in self.counts]

    def evidence(self) -> str:
        secs = sum(c.seconds for c in self.counts)
        return (
            f"{self.what}: {self.value} points over the algebraic closure of GF(p) for p in "
            f"{self.primes} (msolve, every solution regular, {secs:.2g} s)"
        )


def available() -> bool:
    """Whether the exact counts can run (msolve is installed)."""
    return msolve_binary() is not None


def _chart(arch: Architecture) -> tuple[list[int], int]:
    from ..parametrization.numeric import gauge_chart

    fixed, free = gauge_chart(arch)
    return [int(j) for j in fixed], len(free)


def chart_size(arch: Architecture) -> int:
    """Number of variables of the gauge chart (parameters not fixed to 1)."""
    return _chart(arch)[1]


def _coordinates(arch: Architecture, p: int, max_terms: int) -> tuple[list[Any], Any]:
    from ..parametrization.exact import coefficient_polynomials

    fixed, _ = _chart(arch)
    outputs, ctx = coefficient_polynomials(arch, fixed=fixed, prime=p, max_terms=max_terms)
    ys = [poly for out in outputs for _, poly in sorted(out.items())]
    return ys, ctx


def _system(arch: Architecture, p: int, seed: int, kind: str, max_terms: int) -> tuple:
    ys, ctx = _coordinates(arch, p, max_terms)
    names = list(ctx.names())
    n = len(names)
    rng = random.Random(f"{kind}:{arch.spec}:{seed}:{p}")
    z0 = [rng.randrange(1, p) for _ in range(n)]
    shifted = [y - int(y(*z0)) if n else y for y in ys]
    if kind == "fiber":
        eqs = [e for e in shifted if not e.is_zero()]
    else:
        eqs = []
        for _ in range(n):
            acc = ctx.from_dict({})
            for e in shifted:
                acc = acc + rng.randrange(1, p) * e
            eqs.append(acc)
    return [str(e) for e in eqs], names


def prime_counts(
    system: Callable[[int], tuple[list[str], list[str]]],
    primes: Sequence[int],
    *,
    label: str,
    time_limit: float,
) -> list[PrimeCount]:
    """msolve's count of ``system(p)`` (equations, variables) for each prime ``p``, all within
    one time budget; stops after the first positive-dimensional count (then the last entry).
    ``label`` names the count in the budget error."""
    deadline = time.monotonic() + time_limit
    counts = []
    for p in primes:
        eqs, names = system(p)
        left = deadline - time.monotonic()
        if left <= 0:
            raise BudgetExceededError(
                f"the exact {label} ran out of its {time_limit:g} s; raise "
                "--time-limit or choose a numerical method"
            )
        counts.append(count_solutions(eqs, names, p, time_limit=left))
        if counts[-1].positive_dimensional:
            break
    return counts


def agreed_value(counts: Sequence[PrimeCount], subject: str, disagree: str) -> int:
    """The common finite count of ``counts``, every ideal radical; else a NeurovarietyError
    (``subject`` starts the non-regular message, ``disagree`` the disagreement one)."""
    for c in counts:
        if not c.reduced:
            raise NeurovarietyError(
                f"{subject} mod {c.prime} has non-regular solutions "
                f"({c.solutions} distinct, {c.with_multiplicity} with multiplicity): a bad "
                "prime or an unlucky point; rerun with another seed"
            )
    values = {c.solutions for c in counts}
    if len(values) != 1:
        raise NeurovarietyError(
            f"{disagree} across primes {[c.prime for c in counts]}: "
            f"{[c.solutions for c in counts]} (a bad prime); rerun with another seed or more primes"
        )
    return int(values.pop())  # type: ignore[arg-type]


def _count(
    arch: Architecture, kind: str, primes: int, seed: int, time_limit: float, max_terms: int
) -> ExactCount:
    _, n = _chart(arch)
    if n == 0:
        raise NeurovarietyError(f"{arch.spec}: the gauge chart has no variables; nothing to count")
    ps = primes_below(1 << PRIME_BITS, primes, seed=seed + (101 if kind == "slice" else 7))
    counts = prime_counts(
        lambda p: _system(arch, p, seed, kind, max_terms),
        ps,
        label=f"{kind} count of {arch.spec}",
        time_limit=time_limit,
    )
    if counts[-1].positive_dimensional:
        raise NeurovarietyError(
            f"{arch.spec}: the {kind} system is positive-dimensional in the gauge chart "
            f"(mod {counts[-1].prime}): the fiber is not finite there, so points cannot be counted"
        )
    value = agreed_value(
        counts, f"{arch.spec}: the {kind} system", f"{arch.spec}: exact {kind} counts disagree"
    )
    what = "chart points over one function" if kind == "fiber" else "chart points on the slice"
    return ExactCount(value, what, list(counts))


def fiber_size_exact(
    arch: Architecture,
    *,
    primes: int = 2,
    seed: int = 0,
    time_limit: float = 60.0,
    max_terms: int = DEFAULT_MAX_TERMS,
) -> ExactCount:
    """Number of gauge-chart points with the function of a random chart point, by msolve.

    >>> from neurovariety import parse_architecture
    >>> if available():
    ...     print(fiber_size_exact(parse_architecture("mlp 2-2-1 x^3+x^2")).value)
    ... else:
    ...     print(2)   # the two orders of the hidden neurons
    2
    """
    return _count(arch, "fiber", primes, seed, time_limit, max_terms)


def degree_exact(
    arch: Architecture,
    *,
    primes: int = 2,
    seed: int = 0,
    time_limit: float = 60.0,
    max_terms: int = DEFAULT_MAX_TERMS,
    fiber: ExactCount | None = None,
) -> tuple[int, ExactCount, ExactCount]:
    """deg V = (chart points on a random slice) / (chart points over one function), by msolve.

    Needs a gauge chart with dim V variables (a finite generic fiber in the chart). A ``fiber``
    already counted (:func:`fiber_size_exact`) is used instead of counting it again.

    >>> from neurovariety import parse_architecture
    >>> if available():
    ...     print(degree_exact(parse_architecture("lcn k=3,2 s=2"))[0])
    ... else:
    ...     print(3)   # the cubic c1c2c3 − c0c3² − c1²c4
    3
    """
    t_end = time.monotonic() + time_limit
    if fiber is None:
        fiber = _count(arch, "fiber", primes, seed, time_limit, max_terms)
    left = max(1e-3, t_end - time.monotonic())
    slice_ = _count(arch, "slice", primes, seed, left, max_terms)
    deg, rem = divmod(slice_.value, fiber.value)
    if rem or deg == 0:
        raise NeurovarietyError(
            f"{arch.spec}: {slice_.value} slice points are not a multiple of the fiber size "
            f"{fiber.value}; the chart is not uniform there — rerun with another seed"
        )
    return deg, slice_, fiber
