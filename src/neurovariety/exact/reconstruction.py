"""From residues to rationals: the Chinese remainder theorem and rational reconstruction.

A vector over Q whose residues are known modulo several primes is lifted in two steps: CRT
combines the residues into one modulo the product ``m``, and rational reconstruction finds the
fraction ``n/d ≡ a (mod m)`` with ``|n|, d ≤ sqrt(m/2)`` (unique when it exists; Wang's algorithm,
an extended Euclid stopped half way). A lift is trusted once a further prime agrees with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

__all__ = [
    "agrees_mod",
    "crt",
    "lift_columns",
    "primitive_integer_vector",
    "rational_reconstruction",
]


def rational_reconstruction(a: int, m: int) -> Fraction | None:
    """The fraction ``n/d ≡ a (mod m)`` with ``|n|, d ≤ sqrt(m/2)``, or ``None`` if none exists.

    >>> rational_reconstruction(Fraction(-3, 7).numerator * pow(7, -1, 1009) % 1009, 1009)
    Fraction(-3, 7)
    """
    bound = math.isqrt(m // 2)
    r0, r1 = m, a % m
    t0, t1 = 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        t0, t1 = t1, t0 - q * t1
    if t1 == 0 or abs(t1) > bound or math.gcd(r1, abs(t1)) != 1:
        return None
    return Fraction(r1, t1)


def crt(residues: Sequence[int], moduli: Sequence[int]) -> tuple[int, int]:
    """``(a, m)`` with ``a ≡ r_i (mod p_i)`` for every i, ``0 ≤ a < m = Π p_i`` (pairwise coprime).

    >>> crt([2, 3], [5, 7])
    (17, 35)
    """
    a, m = 0, 1
    for r, p in zip(residues, moduli, strict=True):
        a += m * ((int(r) - a) * pow(m, -1, p) % p)
        m *= p
    return a % m, m


def lift_columns(kernels: dict[int, np.ndarray]) -> list[list[Fraction]] | None:
    """The columns of equal-shaped integer matrices given modulo several primes (``{p: matrix}``),
    lifted to Q by CRT and rational reconstruction; ``None`` if an entry has no small enough
    fraction yet (more primes are needed).

    >>> third = {p: np.array([[pow(3, -1, p)], [1]]) for p in (1009, 1013)}
    >>> lift_columns(third)
    [[Fraction(1, 3), Fraction(1, 1)]]
    """
    primes = list(kernels)
    first = kernels[primes[0]]
    out: list[list[Fraction]] = []
    for j in range(first.shape[1]):
        col: list[Fraction] = []
        for i in range(first.shape[0]):
            a, m = crt([int(kernels[p][i, j]) for p in primes], primes)
            q = rational_reconstruction(a, m)
            if q is None:
                return None
            col.append(q)
        out.append(col)
    return out


def agrees_mod(lifted: list[list[Fraction]], kernel: np.ndarray, p: int) -> bool:
    """Whether the rational columns ``lifted`` reduce to the columns of ``kernel`` modulo ``p``.

    >>> agrees_mod([[Fraction(1, 3)]], np.array([[pow(3, -1, 101)]]), 101)
    True
    """
    for j, col in enumerate(lifted):
        for i, q in enumerate(col):
            if q.denominator % p == 0:
                return False
            if q.numerator * pow(q.denominator, -1, p) % p != int(kernel[i, j]) % p:
                return False
    return True


def primitive_integer_vector(vec: Sequence[Fraction]) -> list[int]:
    """The integer multiple of ``vec`` with coprime entries and a positive first non-zero entry.

    >>> primitive_integer_vector([Fraction(-1, 2), Fraction(1, 3), Fraction(0)])
    [3, -2, 0]
    """
    den = 1
    for v in vec:
        den = den * v.denominator // math.gcd(den, v.denominator)
    ints = [int(v * den) for v in vec]
    g = 0
    for x in ints:
        g = math.gcd(g, x)
    ints = [x // g for x in ints] if g else ints
    lead = next((x for x in ints if x), 1)
    return [-x for x in ints] if lead < 0 else ints
