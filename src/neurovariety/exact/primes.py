"""Primes for modular computations: primality, random primes, validation.

Primality is decided by a Miller--Rabin test with the first twelve prime bases, which is
*deterministic* (never wrong) for every ``n < 3.3 * 10**24``, hence for every word-size number;
larger numbers are handed to FLINT's proven ``fmpz.is_prime``.
"""

from __future__ import annotations

import math
import random

from ..errors import FieldError

__all__ = [
    "MAX_BLAS_PRIME",
    "MAX_WORD_PRIME",
    "check_prime",
    "is_prime",
    "next_prime",
    "primes_below",
    "random_prime",
]

#: Primes below this bound can use the float64-BLAS engine (entries are exact integers < 2**53).
MAX_BLAS_PRIME = 2**26
#: Primes below this bound fit FLINT's ``nmod_mat`` (one machine word, signed-safe).
MAX_WORD_PRIME = 2**63

_SMALL_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
# Miller-Rabin with these bases is correct for all n < 3317044064679887385961981 (> 2**81).
_MR_DETERMINISTIC_BOUND = 3317044064679887385961981
#: Most primes one call of :func:`primes_below` draws (each costs a primality test; callers need
#: a handful).
MAX_DRAWN_PRIMES = 100_000


def is_prime(n: int) -> bool:
    """Decide whether ``n`` is prime (deterministically).

    Parameters
    ----------
    n : int
        Any integer.

    Returns
    -------
    bool
        ``True`` exactly when ``n`` is prime.

    Examples
    --------
    >>> is_prime(2**31 - 1), is_prime(2**32 + 1), is_prime(1)
    (True, False, False)
    """
    n = int(n)
    if n < 2:
        return False
    for q in _SMALL_PRIMES:
        if n % q == 0:
            return n == q
    if n >= _MR_DETERMINISTIC_BOUND:
        import flint

        return bool(flint.fmpz(n).is_prime())
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _SMALL_PRIMES:
        x = pow(a, d, n)
        if x == 1 or x == n - 1:
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def next_prime(n: int) -> int:
    """Return the smallest prime strictly greater than ``n``.

    Examples
    --------
    >>> next_prime(1), next_prime(2**20)
    (2, 1048583)
    """
    n = int(n)
    if n < 2:
        return 2
    c = n + 1 if n % 2 == 0 else n + 2
    while not is_prime(c):
        c += 2
    return c


def random_prime(bits: int, *, seed: int) -> int:
    """Return a random prime with exactly ``bits`` bits, deterministic given ``seed``.

    Parameters
    ----------
    bits : int
        Bit length, ``2 <= bits <= 63`` (``2**(bits-1) <= p < 2**bits``).
    seed : int
        Seed of the random choice; the same seed always gives the same prime.

    Returns
    -------
    int
        The first prime at or after a uniformly random odd number of the given bit length
        (wrapping around inside the range).

    Raises
    ------
    FieldError
        If ``bits`` is out of range.

    Examples
    --------
    >>> p = random_prime(22, seed=1)
    >>> is_prime(p) and p.bit_length() == 22 and p == random_prime(22, seed=1)
    True
    """
    if not 2 <= int(bits) <= 63:
        raise FieldError(
            f"random_prime: bits={bits} is out of range; ask for 2 <= bits <= 63 "
            "(word-size primes that FLINT's nmod_mat accepts)."
        )
    bits = int(bits)
    if bits == 2:
        return random.Random(seed).choice((2, 3))
    lo, hi = 2 ** (bits - 1), 2**bits
    rng = random.Random(seed)
    c = rng.randrange(lo, hi) | 1
    while not is_prime(c):
        c += 2
        if c >= hi:
            c = lo + 1
    return c


def primes_below(bound: int, count: int, *, seed: int) -> list[int]:
    """Return ``count`` distinct random primes in ``[bound // 2, bound)``, deterministic in seed.

    The primes are drawn from the top half of the range so that each has the full bit length of
    ``bound - 1`` (small primes make rank drops more likely).

    Parameters
    ----------
    bound : int
        Exclusive upper bound, ``8 <= bound <= 2**63``.
    count : int
        How many primes, ``0 <= count <= MAX_DRAWN_PRIMES``.
    seed : int
        Seed of the random choice.

    Returns
    -------
    list of int
        Distinct primes, in the order drawn.

    Raises
    ------
    FieldError
        If the bound is out of range, ``count`` is too large, or the range holds fewer than
        ``count`` primes (decided by a proven bound on the prime count, so never by looping).

    Examples
    --------
    >>> ps = primes_below(2**23, 3, seed=0)
    >>> len(set(ps)) == 3 and all(2**22 <= q < 2**23 and is_prime(q) for q in ps)
    True
    """
    bound, count = int(bound), int(count)
    if not 8 <= bound <= MAX_WORD_PRIME:
        raise FieldError(
            f"primes_below: bound={bound} is out of range; use 8 <= bound <= 2**63 "
            "(word-size primes)."
        )
    if not 0 <= count <= MAX_DRAWN_PRIMES:
        raise FieldError(
            f"primes_below: count={count} is out of range; ask for 0 <= count <= "
            f"{MAX_DRAWN_PRIMES} (a handful is enough for exact ranks)."
        )
    lo = bound // 2
    if count > 0 and bound < 2**16:
        available = [q for q in range(lo, bound) if is_prime(q)]
        if len(available) < count:
            raise FieldError(
                f"primes_below: only {len(available)} primes lie in [{lo}, {bound}), "
                f"fewer than count={count}; raise the bound."
            )
        return random.Random(seed).sample(available, count)
    most = _prime_count_upper(lo, bound)
    if count > most:
        raise FieldError(
            f"primes_below: at most {most} primes lie in [{lo}, {bound}), fewer than "
            f"count={count}; raise the bound or ask for fewer."
        )
    rng = random.Random(seed)
    out: list[int] = []
    seen: set[int] = set()
    # about ln(bound) draws per prime; the cap only stops a count close to the range's total
    draws = 0
    max_draws = 64 * (count + 1) * bound.bit_length()
    while len(out) < count:
        draws += 1
        if draws > max_draws or len(seen) == bound - lo:
            raise FieldError(
                f"primes_below: found only {len(out)} of {count} primes in [{lo}, {bound}); "
                "raise the bound or ask for fewer."
            )
        c = rng.randrange(lo, bound)
        if c in seen:
            continue
        seen.add(c)
        if is_prime(c):
            out.append(c)
    return out


def _prime_count_upper(lo: int, hi: int) -> int:
    """An upper bound on the number of primes in ``[lo, hi)``, for ``17 < lo < hi``.

    pi(x) < 1.25506 x / ln x for x > 1 and pi(x) > x / ln x for x >= 17 (Rosser and
    Schoenfeld, Illinois J. Math. 6 (1962), Corollary 1), with 1% slack for rounding.

    >>> _prime_count_upper(2**15, 2**16) >= 3030  # the true count: 6542 - 3512
    True
    """
    a, b = lo - 1, hi - 1
    return math.ceil(1.01 * (1.25506 * b / math.log(b) - a / math.log(a))) + 1


def check_prime(p: int, *, bound: int = MAX_WORD_PRIME, what: str = "p") -> int:
    """Validate a prime modulus and return it as a Python ``int``.

    Parameters
    ----------
    p : int
        The modulus to check.
    bound : int
        Exclusive upper bound that ``p`` must respect (default ``2**63``).
    what : str
        Name used in the error message.

    Raises
    ------
    FieldError
        If ``p`` is not an integer, not prime, or not below ``bound``.

    Examples
    --------
    >>> check_prime(1048573)
    1048573
    >>> check_prime(15)
    Traceback (most recent call last):
    ...
    neurovariety.errors.FieldError: p=15 is not prime; ...
    """
    try:
        q = int(p)
    except (TypeError, ValueError):
        raise FieldError(f"{what}={p!r} is not an integer; pass a prime such as 1048573.") from None
    if q != p:
        raise FieldError(f"{what}={p!r} is not an integer; pass a prime such as 1048573.")
    if q >= bound:
        raise FieldError(
            f"{what}={q} is too large: it must be below 2**{bound.bit_length() - 1}; "
            "pick a smaller prime (e.g. with primes_below)."
        )
    if not is_prime(q):
        raise FieldError(
            f"{what}={q} is not prime; the modulus must be a prime, e.g. next_prime({q}) = "
            f"{next_prime(q)}."
        )
    return q
