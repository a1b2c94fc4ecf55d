"""primes_below refuses what its range cannot hold, at once, instead of drawing forever."""

from __future__ import annotations

import time

import numpy as np
import pytest

from neurovariety.errors import FieldError
from neurovariety.exact.primes import MAX_DRAWN_PRIMES, _prime_count_upper, primes_below


def _sieve_count(lo: int, hi: int) -> int:
    """Primes in [lo, hi) by the sieve of Eratosthenes (independent of the library)."""
    is_p = np.ones(hi, dtype=bool)
    is_p[:2] = False
    for i in range(2, int(hi**0.5) + 1):
        if is_p[i]:
            is_p[i * i :: i] = False
    return int(is_p[lo:hi].sum())


@pytest.mark.parametrize("bits", [16, 17, 20, 23])
def test_the_prime_count_bound_holds(bits: int) -> None:
    lo, hi = 2 ** (bits - 1), 2**bits
    true = _sieve_count(lo, hi)
    assert true <= _prime_count_upper(lo, hi) <= 2 * true


@pytest.mark.parametrize(
    ("bound", "count", "message"),
    [
        (2**23, 100_000_000, "out of range"),  # `dim --primes 100000000` looped here
        (2**23, MAX_DRAWN_PRIMES + 1, "out of range"),
        (2**18, 20_000, "at most"),  # the bound proves too few: 10,749 primes lie there
        (2**17, 5_710, "found only 5709"),  # one more than the 5,709 primes in the range
        (2**23, -1, "out of range"),
    ],
)
def test_impossible_counts_fail_fast(bound: int, count: int, message: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(FieldError, match=message):
        primes_below(bound, count, seed=0)
    assert time.monotonic() - t0 < 10


def test_every_prime_of_a_small_range_can_still_be_drawn() -> None:
    ps = primes_below(2**17, 5_709, seed=1)
    assert len(set(ps)) == 5_709 == _sieve_count(2**16, 2**17)
