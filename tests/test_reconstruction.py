"""CRT and rational reconstruction (exact.reconstruction) against Fraction arithmetic, and the
names that moved out of invariants.equations still importing from there."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from neurovariety.exact.reconstruction import (
    agrees_mod,
    crt,
    lift_columns,
    primitive_integer_vector,
    rational_reconstruction,
)

PRIMES = (1_000_003, 1_000_033, 1_000_037)


def _residue(q: Fraction, p: int) -> int:
    return q.numerator * pow(q.denominator, -1, p) % p


def test_crt_meets_every_residue() -> None:
    rng = random.Random(1)
    for _ in range(50):
        a = rng.randrange(PRIMES[0] * PRIMES[1] * PRIMES[2])
        b, m = crt([a % p for p in PRIMES], PRIMES)
        assert (b, m) == (a, PRIMES[0] * PRIMES[1] * PRIMES[2])


def test_small_fractions_come_back() -> None:
    # |n|, d ≤ sqrt(m/2) are recovered exactly from their residues mod m
    rng = random.Random(2)
    m = PRIMES[0] * PRIMES[1]
    bound = int((m // 2) ** 0.5)
    for _ in range(200):
        q = Fraction(rng.randint(-bound, bound), rng.randint(1, bound))
        assert rational_reconstruction(_residue(q, m), m) == q


def test_every_residue_against_brute_force() -> None:
    # modulo 1009 (bound isqrt(504) = 22): a residue has a fraction n/d with |n|, d ≤ 22 iff the
    # search over all such fractions finds one, and then it is that fraction
    m, bound = 1009, 22
    small = {}
    for d in range(1, bound + 1):
        for n in range(-bound, bound + 1):
            q = Fraction(n, d)
            if q.denominator == d:  # lowest terms only
                small.setdefault(_residue(q, m), q)
    assert 0 < len(small) < m  # some residues have no small fraction
    for a in range(m):
        assert rational_reconstruction(a, m) == small.get(a)


def test_columns_lift_once_enough_primes_agree() -> None:
    cols = [[Fraction(1, 3), Fraction(-7, 2), Fraction(0)], [Fraction(5), Fraction(1, 9), 1]]
    mats = {
        p: np.array([[_residue(Fraction(c), p) for c in col] for col in cols]).T for p in PRIMES
    }
    lifted = lift_columns({p: mats[p] for p in PRIMES[:2]})
    assert lifted == [[Fraction(c) for c in col] for col in cols]
    assert agrees_mod(lifted, mats[PRIMES[2]], PRIMES[2])
    wrong = mats[PRIMES[2]].copy()
    wrong[0, 0] += 1
    assert not agrees_mod(lifted, wrong, PRIMES[2])


def test_primitive_integer_vector() -> None:
    # times 9: (−6, 4, 0); divided by the gcd 2; the sign of the first entry made positive
    assert primitive_integer_vector([Fraction(-2, 3), Fraction(4, 9), Fraction(0)]) == [3, -2, 0]
    assert primitive_integer_vector([Fraction(0), Fraction(0)]) == [0, 0]


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("lcn_equations", "lcn_equations"),
        ("merge_stride_one", "lcn_equations"),
        ("member", "membership"),
        ("MembershipResult", "membership"),
        ("parse_point", "membership"),
        ("Equation", "ideal"),
        ("EquationsResult", "ideal"),
        ("ideal_contains", "ideal"),
    ],
)
def test_moved_names_still_import_from_equations(name: str, module: str) -> None:
    import importlib

    from neurovariety.invariants import equations

    home = importlib.import_module(f"neurovariety.invariants.{module}")
    assert getattr(equations, name) is getattr(home, name)
    assert name in equations.__all__
    with pytest.raises(AttributeError, match="no attribute"):
        equations.no_such_name  # noqa: B018
    from neurovariety.invariants.equations import coordinates, rational_reconstruction
    from neurovariety.parametrization.coordinates import coordinates as home_coordinates

    assert coordinates is home_coordinates
    assert rational_reconstruction is globals()["rational_reconstruction"]
