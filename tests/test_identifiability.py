"""Generic fibers against THEORY.md: dimensions, sizes and the degrees seen on the way."""

from __future__ import annotations

import pytest

from neurovariety import parse_architecture
from neurovariety.invariants import formulas
from neurovariety.invariants.identifiability import fiber
from neurovariety.results import Verdict


def test_positive_dimensional_fiber_beyond_symmetries() -> None:
    # mlp 3-2-1 x^2: dim 5 of 8 parameters, fiber dimension 3 > 2 rescalings (O(2) hides inside).
    r = fiber(parse_architecture("mlp 3-2-1 x^2"))
    assert r.dimension == 3 and r.identifiable is Verdict.NO and r.certified


def test_lcn_stride_two_is_identifiable_and_slice_gives_segre_degree() -> None:
    r = fiber(parse_architecture("lcn k=3,2 s=2"), seed=0)
    assert r.dimension == 1 and r.size == 1 and r.identifiable is Verdict.YES
    assert r.evidence["degree"] == formulas.lcn_degree((3, 2), (2, 1)) == 3
    assert r.evidence["trace"] == "yes"


@pytest.mark.slow
def test_stride_one_lcn_swaps_equal_factors() -> None:
    # (a0 + a1 x)(b0 + b1 x): swapping the factors is a symmetry beyond rescaling: 2 points.
    r = fiber(parse_architecture("lcn k=2,2"), seed=0)
    assert r.size == 2 and r.identifiable is Verdict.NO


@pytest.mark.slow
def test_pcn_degree_on_the_slice() -> None:
    r = fiber(parse_architecture("cnn k=3,2 s=2 x^2"), seed=0)
    assert r.size == 1 and r.evidence["degree"] == formulas.pcn_degree((3, 2), 2) == 12


@pytest.mark.slow
def test_generic_activation_mlp_fiber_is_the_permutation_group() -> None:
    # Razor: with a generic σ the only symmetries are permutations of hidden neurons: |S_3| = 6.
    # 77 slice points × 6: the default stale rule (10 loops' worth) takes ~350 s on 2 cores.
    r = fiber(
        parse_architecture("mlp 2-3-1 generic:4"),
        seed=0,
        time_limit=500,
        max_loops_without_progress=3,
    )
    assert r.dimension == 0 and r.symmetry_order == 6
    assert r.size == 6 and r.identifiable is Verdict.YES
    assert r.evidence["same_size_over_slice_points"]
