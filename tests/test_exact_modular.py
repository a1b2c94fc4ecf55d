"""Tests of neurovariety.exact: primes, exact products and ranks modulo p.

References are independent: python-flint's ``nmod_mat`` (rank, nullspace), Python-int exact
products, sympy's primality test, and constructions of known rank.
"""

from __future__ import annotations

import flint
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from neurovariety.errors import FieldError
from neurovariety.exact import (
    FLINT_CROSSOVER,
    blas_field,
    check_prime,
    column_rank_profile_mod_p,
    elimination,
    is_prime,
    matmul_mod,
    next_prime,
    nullspace_mod,
    nullspace_mod_p,
    primes_below,
    random_prime,
    rank_mod,
    rank_mod_p,
    reduce_mod,
)

PRIMES = [2, 3, 5, 7, 61, 65521, 1048573, 8388593, 67108859]  # 67108859 < 2**26


def flint_rank(a: np.ndarray, p: int) -> int:
    arr = np.asarray(a)
    r = np.mod(arr, p) if arr.dtype.kind == "i" else np.mod(arr.astype(object), p)
    if r.size == 0:
        return 0
    return int(flint.nmod_mat(r.shape[0], r.shape[1], [int(x) for x in r.ravel()], p).rank())


def random_of_rank(rng: np.random.Generator, m: int, n: int, r: int, p: int) -> np.ndarray:
    """Product of random m x r and r x n matrices mod p (rank <= r; = r with high probability)."""
    if r == 0 or m == 0 or n == 0:
        return np.zeros((m, n), dtype=np.int64)
    a = flint.nmod_mat(m, r, [int(x) for x in rng.integers(0, p, m * r)], p)
    b = flint.nmod_mat(r, n, [int(x) for x in rng.integers(0, p, r * n)], p)
    return np.array([int(x) for x in (a * b).entries()], dtype=np.int64).reshape(m, n)


def exact_product(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    return np.mod(np.asarray(a, dtype=object) @ np.asarray(b, dtype=object), p).astype(np.int64)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny leaf / triangular-solve blocks, so that small matrices exercise the recursion."""
    monkeypatch.setattr(elimination, "LEAF", 2)
    monkeypatch.setattr(blas_field, "TRSM_BASE", 2)


# ------------------------------------------------------------------------------------- primes


def test_is_prime_matches_sympy() -> None:
    rng = np.random.default_rng(0)
    for n in list(range(-3, 2000)) + [int(x) for x in rng.integers(2, 2**62, 300)]:
        assert is_prime(n) == sympy.isprime(n), n
    for q in (2**61 - 1, 2**31 - 1, 3317044064679887385961813):  # Mersenne; past the MR bound
        assert is_prime(q) == sympy.isprime(q)
    assert not is_prime(3215031751)  # strong pseudoprime to bases 2, 3, 5, 7
    assert is_prime(2**89 - 1) and not is_prime(2**89 + 1)  # FLINT branch


def test_next_prime() -> None:
    for n in (-5, 0, 1, 2, 3, 4, 13, 2**20, 2**31 - 2):
        assert next_prime(n) == (sympy.nextprime(n) if n >= 1 else 2)


def test_random_prime_deterministic_and_in_range() -> None:
    for bits in (2, 3, 8, 20, 26, 40, 63):
        p = random_prime(bits, seed=5)
        assert is_prime(p) and p.bit_length() == bits
        assert p == random_prime(bits, seed=5)
    assert len({random_prime(30, seed=s) for s in range(20)}) > 10
    with pytest.raises(FieldError, match="bits"):
        random_prime(64, seed=0)


def test_primes_below() -> None:
    ps = primes_below(2**22, 8, seed=3)
    assert ps == primes_below(2**22, 8, seed=3)
    assert len(set(ps)) == 8 and all(2**21 <= q < 2**22 and is_prime(q) for q in ps)
    assert sorted(primes_below(20, 4, seed=0)) == [11, 13, 17, 19]
    with pytest.raises(FieldError, match="fewer than"):
        primes_below(20, 5, seed=0)
    assert primes_below(2**63, 2, seed=1)[0] < 2**63


def test_check_prime_errors() -> None:
    assert check_prime(101) == 101
    with pytest.raises(FieldError, match="not prime"):
        check_prime(100)
    with pytest.raises(FieldError, match="not an integer"):
        check_prime(2.5)
    with pytest.raises(FieldError, match="too large"):
        check_prime(2**63 + 29)
    with pytest.raises(FieldError, match="2\\*\\*26"):
        rank_mod_p(np.eye(3, dtype=np.int64), 2**31 - 1)
    with pytest.raises(FieldError, match="not prime"):
        rank_mod(np.eye(3, dtype=np.int64), 91)


# ------------------------------------------------------------------------------------ matmul


@pytest.mark.parametrize("p", PRIMES)
def test_matmul_mod_exact(p: int) -> None:
    rng = np.random.default_rng(p)
    # inner dimension well past the one-chunk limit for the larger primes
    for m, k, n in ((1, 1, 1), (7, 300, 5), (20, 1500, 9)):
        a = rng.integers(0, p, (m, k))
        b = rng.integers(0, p, (k, n))
        c = matmul_mod(a, b, p)
        assert c.dtype == np.float64 and c.min() >= 0 and c.max() < p
        assert np.array_equal(c.astype(np.int64), exact_product(a, b, p))


def test_matmul_mod_worst_case_entries() -> None:
    """All entries p - 1 (or -(p-1)/2 centered): the largest products, long inner dimension."""
    p = 67108859
    k = 4000
    a = np.full((3, k), p - 1, dtype=np.int64)
    b = np.full((k, 2), (p - 1) // 2, dtype=np.int64)
    assert np.array_equal(matmul_mod(a, b, p).astype(np.int64), exact_product(a, b, p))


def test_matmul_mod_representatives_and_errors() -> None:
    p = 1048573
    a = np.array([[-1, 2**40], [3 * p + 1, -(2**62)]], dtype=np.int64)
    b = np.array([[5.0, -7.0], [2.0**60, 1.0]])
    expect = exact_product(a, np.array([[5, -7], [2**60, 1]], dtype=object), p)
    assert np.array_equal(matmul_mod(a, b, p).astype(np.int64), expect)
    with pytest.raises(FieldError, match="do not match"):
        matmul_mod(np.ones((2, 3)), np.ones((2, 3)), p)
    with pytest.raises(FieldError, match="non-integral"):
        matmul_mod(np.full((2, 2), 0.5), np.ones((2, 2)), p)
    with pytest.raises(FieldError, match="non-integral"):
        matmul_mod(np.full((2, 2), np.nan), np.ones((2, 2)), p)


def test_reduce_mod() -> None:
    big = [[2**100 + 3, -(2**70)], [True, 0]]
    expect = [[(2**100 + 3) % 13, (-(2**70)) % 13], [1, 0]]
    assert reduce_mod(np.array(big, dtype=object), 13).tolist() == expect
    assert reduce_mod(np.array([[2**64 - 1]], dtype=np.uint64), 13).tolist() == [[(2**64 - 1) % 13]]
    with pytest.raises(FieldError, match="2-d"):
        reduce_mod(np.ones(3, dtype=np.int64), 13)
    with pytest.raises(FieldError, match="not an integer"):
        reduce_mod(np.array([["a"]], dtype=object), 13)


# -------------------------------------------------------------------------------------- rank


@pytest.mark.parametrize("p", PRIMES)
@pytest.mark.parametrize(("m", "n", "r"), [(60, 60, 60), (90, 40, 25), (35, 130, 35), (80, 80, 3)])
def test_rank_prescribed(p: int, m: int, n: int, r: int) -> None:
    rng = np.random.default_rng(m * n + r)
    a = random_of_rank(rng, m, n, r, p)
    expect = flint_rank(a, p)
    assert rank_mod_p(a, p) == expect
    assert rank_mod(a, p) == expect
    assert len(column_rank_profile_mod_p(a, p)) == expect


@pytest.mark.parametrize("p", [2, 3, 1048573, 67108859])
def test_rank_prescribed_small_blocks(small_blocks: None, p: int) -> None:
    rng = np.random.default_rng(p)
    for m, n, r in ((40, 40, 40), (50, 31, 17), (23, 57, 11), (64, 64, 0), (64, 64, 1)):
        a = random_of_rank(rng, m, n, r, p)
        assert rank_mod_p(a, p) == flint_rank(a, p), (m, n, r)


@pytest.mark.parametrize("p", [3, 1048573, 67108859])
def test_rank_numpy_gemm_fallback(monkeypatch: pytest.MonkeyPatch, p: int) -> None:
    """The engine gives the same ranks without the in-place ctypes BLAS call."""
    rng = np.random.default_rng(5)
    a = random_of_rank(rng, 120, 100, 70, p)
    with_blas = rank_mod_p(a, p)
    monkeypatch.setattr(blas_field, "_DGEMM_SUB", None)
    assert rank_mod_p(a, p) == with_blas == flint_rank(a, p)
    assert np.array_equal(matmul_mod(a, a.T, p).astype(np.int64), exact_product(a, a.T, p))


def test_rank_degenerate_structures() -> None:
    p = 1048573
    rng = np.random.default_rng(7)
    zero = np.zeros((70, 50), dtype=np.int64)
    assert rank_mod_p(zero, p) == 0 and column_rank_profile_mod_p(zero, p) == []
    assert rank_mod_p(np.zeros((0, 5), dtype=np.int64), p) == 0
    assert rank_mod_p(np.zeros((5, 0), dtype=np.int64), p) == 0
    assert rank_mod(np.zeros((0, 0), dtype=np.int64), p) == 0
    # rank one; duplicated rows; multiples of p (zero mod p)
    one = np.outer(rng.integers(1, p, 70), rng.integers(1, p, 50)) % p
    assert rank_mod_p(one, p) == 1
    dup = np.repeat(rng.integers(0, p, (5, 50)), 14, axis=0)
    assert rank_mod_p(dup, p) == 5
    assert rank_mod_p(rng.integers(-3, 4, (40, 40)) * p, p) == 0
    # identity with zero columns interleaved; anti-diagonal (forces row swaps everywhere)
    eye_gaps = np.zeros((40, 80), dtype=np.int64)
    eye_gaps[np.arange(40), np.arange(0, 80, 2)] = 1
    assert column_rank_profile_mod_p(eye_gaps, p) == list(range(0, 80, 2))
    assert rank_mod_p(np.fliplr(np.eye(90, dtype=np.int64)), p) == 90
    # columns that become zero mid-elimination: c3 = c0 + c1, c5 = 2*c2, then independent ones
    base = rng.integers(0, p, (60, 40))
    base[:, 3] = (base[:, 0] + base[:, 1]) % p
    base[:, 5] = 2 * base[:, 2] % p
    base[:, 30:] = base[:, :10]
    prof = column_rank_profile_mod_p(base, p)
    assert 3 not in prof and 5 not in prof and len(prof) == flint_rank(base, p) == 28
    # upper-triangular with zeros on parts of the diagonal
    u = np.triu(rng.integers(1, p, (50, 50)))
    u[np.arange(0, 50, 3), np.arange(0, 50, 3)] = 0
    assert rank_mod_p(u, p) == flint_rank(u, p)


def test_rank_of_integer_matrix_over_small_primes() -> None:
    """A matrix of integer rank 3 whose rank drops mod 2 but not mod 5."""
    a = np.array([[2, 0, 0, 2], [0, 2, 0, 2], [1, 1, 1, 1], [3, 3, 1, 5]], dtype=np.int64)
    assert rank_mod_p(a, 2) == flint_rank(a, 2) == 1
    assert rank_mod_p(a, 5) == flint_rank(a, 5) == 3


def test_column_rank_profile_matches_greedy() -> None:
    p = 65521
    rng = np.random.default_rng(3)
    a = random_of_rank(rng, 30, 45, 12, p)
    a[:, [0, 7]] = 0
    prof = column_rank_profile_mod_p(a, p)
    greedy: list[int] = []
    for j in range(a.shape[1]):
        if flint_rank(a[:, greedy + [j]], p) > len(greedy):
            greedy.append(j)
    assert prof == greedy


def test_float_and_object_inputs() -> None:
    p = 8388593
    rng = np.random.default_rng(11)
    a = random_of_rank(rng, 50, 45, 20, p)
    expect = flint_rank(a, p)
    assert rank_mod_p(a.astype(np.float64), p) == expect
    assert rank_mod_p(a.astype(object) + 10**30, p) == flint_rank(a.astype(object) + 10**30, p)
    assert rank_mod_p(a.tolist(), p) == expect
    assert rank_mod_p((a - p).astype(np.float64) * 2.0**30, p) == expect  # 2**30 is invertible


def test_dispatcher_large_prime_uses_flint() -> None:
    q = 2**61 - 1
    rng = np.random.default_rng(2)
    a = random_of_rank(rng, 30, 30, 9, 2**31 - 1)
    assert rank_mod(a, q) == flint_rank(a, q)
    assert FLINT_CROSSOVER > 0


@pytest.mark.parametrize("p", [3, 1048573, 67108859])
def test_rank_above_crossover(p: int) -> None:
    rng = np.random.default_rng(1)
    n = FLINT_CROSSOVER + 20
    a = random_of_rank(rng, n, n - 10, n - 40, p)
    assert rank_mod(a, p) == rank_mod_p(a, p) == flint_rank(a, p)


# --------------------------------------------------------------------------------- nullspace


@pytest.mark.parametrize("p", [2, 7, 1048573, 67108859])
def test_nullspace(p: int) -> None:
    rng = np.random.default_rng(p)
    for m, n, r in ((20, 30, 12), (50, 40, 40), (40, 50, 0), (45, 45, 44)):
        a = random_of_rank(rng, m, n, r, p)
        k = nullspace_mod_p(a, p)
        rank = flint_rank(a, p)
        assert k.shape == (n, n - rank)
        assert not np.any(exact_product(a, k, p))
        assert flint_rank(k, p) == n - rank
        assert np.array_equal(nullspace_mod(a, p), k)


def test_nullspace_large_prime() -> None:
    q = 2**61 - 1
    a = np.array([[1, 2, 3], [2, 4, 6]], dtype=np.int64)
    k = nullspace_mod(a, q)
    assert k.shape == (3, 2) and not np.any(exact_product(a, k, q))
    assert k[1:].tolist() == [[1, 0], [0, 1]]  # same reduced form as nullspace_mod_p


# -------------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(
    m=st.integers(0, 40),
    n=st.integers(0, 40),
    r=st.integers(0, 40),
    p=st.sampled_from(PRIMES),
    seed=st.integers(0, 2**32 - 1),
    zero_cols=st.booleans(),
)
def test_property_rank_matches_flint(
    m: int, n: int, r: int, p: int, seed: int, zero_cols: bool
) -> None:
    rng = np.random.default_rng(seed)
    a = random_of_rank(rng, m, n, min(r, m, n), p)
    if zero_cols and n > 0:
        a[:, rng.integers(0, n, max(1, n // 3))] = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(elimination, "LEAF", 3)
        mp.setattr(blas_field, "TRSM_BASE", 2)
        got = rank_mod_p(a, p)
        got_t = rank_mod_p(a.T, p)
        prof = column_rank_profile_mod_p(a, p)
    assert got == got_t == len(prof) == flint_rank(a, p)


@pytest.mark.slow
@pytest.mark.parametrize("p", [1048573, 8388593])
def test_rank_large_vs_flint(p: int) -> None:
    rng = np.random.default_rng(0)
    a = random_of_rank(rng, 1500, 1400, 1300, p)
    assert rank_mod_p(a, p) == flint_rank(a, p)
