"""Generic fibers against the papers (rescaling tori: KTB arXiv:1905.12207, PCN arXiv:2410.00722,
KMST arXiv:2304.05752; permutations: Razor arXiv:2505.11846): dimensions, sizes and the degrees
seen on the way."""

from __future__ import annotations

import pytest

from neurovariety import parse_architecture
from neurovariety.errors import NeurovarietyError
from neurovariety.invariants import exact_counts, formulas
from neurovariety.invariants.identifiability import fiber, fiber_verdict, symmetry
from neurovariety.results import Certainty, Verdict


def test_positive_dimensional_fiber_beyond_symmetries() -> None:
    # mlp 3-2-1 x^2: dim 5 of 8 parameters, fiber dimension 3 > 2 rescalings (O(2) hides inside).
    r = fiber(parse_architecture("mlp 3-2-1 x^2"))
    assert r.dimension == 3 and r.identifiable is Verdict.NO and r.certified
    # decided by dimensions alone (exact rank meeting a proven bound): proven, no primes involved
    assert r.certainty is Certainty.PROVEN and r.size is None
    assert "identifiable up to symmetry: no (proven: the fiber's dimension" in r.summary()


def test_a_verdict_on_a_probable_dimension_is_probable() -> None:
    # attn t=2 d=3,2,2 a=1,2: 24 parameters, a group of dimension 11, exact rank 12 below the
    # symmetry bound 13, so fiber dimension 12 > 11 says `no` only as far as the rank is dim M
    r = fiber(parse_architecture("attn t=2 d=3,2,2 a=1,2"))
    assert r.identifiable is Verdict.NO and r.size is None
    assert r.certainty is Certainty.PROBABLE and not r.certified
    assert "no (probable: the fiber's dimension against the symmetry group's, with dim M" in str(r)


def test_lcn_stride_two_is_identifiable_and_slice_gives_segre_degree() -> None:
    r = fiber(parse_architecture("lcn k=3,2 s=2"), seed=0, method="monodromy")
    assert r.dimension == 1 and r.size == 1 and r.identifiable is Verdict.YES
    assert r.evidence["degree"] == formulas.lcn_degree((3, 2), (2, 1)) == 3
    assert r.evidence["trace"] == "yes"


@pytest.mark.skipif(not exact_counts.available(), reason="msolve is not installed")
@pytest.mark.parametrize(
    ("spec", "size", "verdict"),
    [
        ("lcn k=3,2 s=2", 1, Verdict.YES),  # KMST: birational
        ("lcn k=2,2", 2, Verdict.YES),  # the two linear factors swap: a symmetry (order 2)
        ("mlp 2-2-2-1 x^3+x^2", 4, Verdict.YES),  # 2!·2! orders of the hidden neurons
        ("mlp 2-2-1 x^4+x^2+1", 8, Verdict.YES),  # 2!·2² with sign flips (σ even)
    ],
)
def test_exact_fiber_counts_are_probable(spec: str, size: int, verdict: Verdict) -> None:
    # msolve over two random primes: the count over Q but for bad primes, so probable, not
    # certified (results.Certainty: certified needs rigorous error control or a proof)
    r = fiber(parse_architecture(spec), seed=0, method="exact")
    assert (r.size, r.identifiable, r.certified) == (size, verdict, False)
    assert r.certainty is Certainty.PROBABLE
    assert f"{verdict.value} (probable: exact counts over 2 primes)" in r.summary()
    assert r.evidence["method"] == "exact" and len(r.evidence["primes"]) == 2


@pytest.mark.slow
def test_stride_one_lcn_swaps_equal_factors() -> None:
    # (a0 + a1 x)(b0 + b1 x): swapping the factors is a symmetry beyond rescaling: 2 points.
    r = fiber(parse_architecture("lcn k=2,2"), seed=0, method="monodromy")
    assert r.size == r.symmetry_order == 2 and r.identifiable is Verdict.YES


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


def test_no_certificate_without_the_true_group() -> None:
    # 8 points over a group of order 3 cannot be whole orbits: a wrong group or lost paths.
    assert fiber_verdict(8, 3, uniform=True) == (Verdict.NO, False)
    assert fiber_verdict(8, 4, uniform=True) == (Verdict.NO, True)
    assert fiber_verdict(8, 4, uniform=False) == (Verdict.NO, False)
    assert fiber_verdict(8, None, uniform=True) == (Verdict.UNKNOWN, False)


@pytest.mark.parametrize(
    "spec, order",
    [
        ("mlp 2-3-1 x^3", 6),  # λ = ±1 is a rescaling, fixed by w_j0 = 1: only S_3 is left
        ("mlp 2-3-1 x^2", 6),
        ("mlp 2-2-1 x^3+x", 2**2 * 2),  # odd σ: (w_j, v_j) ↦ (−w_j, −v_j)
        ("mlp 2-2-1 x^2+1", 2**2 * 2),  # even σ with σ(0) ≠ 0: w_j ↦ −w_j
        ("mlp 2-2-3-1 x^4+x^2", 2**2 * 2 * 2**3 * 6),
        ("mlp 2-2-1 x^3+x^2", 2),  # neither
        ("mlp 2-2-1 x^3+x+1 bias", 8),  # σ(−z) = −σ(z) + 2: the 2 goes into the next bias
        ("mlp 2-2-1 x^3+x+1", 2),  # … which without bias has nowhere to go
        ("cnn k=2,2,2 s=2 x^3+x", 4),  # flip (w_1, w_2) or (w_2, w_3)
        ("cnn k=2,2,2 s=2 x^2+1", 4),  # flip w_1 or w_2
        ("cnn k=2,2,2 s=2 x^3", 1),  # rescalings, fixed by the chart
        ("lcn k=2,2", 2),  # convolution commutes: the two filters swap
        ("lcn k=2,2 s=2", 1),  # w_1(x) w_2(x²): no swap across a stride
    ],
)
def test_symmetry_order_by_hand(spec: str, order: int) -> None:
    assert symmetry(parse_architecture(spec))[1] == order


def test_bias_absorbs_the_constant_of_a_shifted_monomial() -> None:
    # v((w·x + b)² + 1) + c = λ⁻²v((λw·x + λb)² + 1) + c + v(1 − λ⁻²): a rescaling per neuron.
    # f = v(w·x + b)² + const spans 4 dimensions with 5 parameters: fiber dimension 1, all of
    # it symmetry, so nothing is certified (and no chart fixes this rescaling).
    arch = parse_architecture("mlp 2-1-1 x^2+1 bias")
    assert symmetry(arch)[2] == 1
    with pytest.raises(NeurovarietyError, match="no finite gauge chart"):
        fiber(arch)


@pytest.mark.slow
def test_odd_cnn_fiber_is_the_sign_flips() -> None:
    r = fiber(parse_architecture("cnn k=2,2 s=2 x^3+x"), seed=0)
    assert r.size == r.symmetry_order == 2 and r.identifiable is Verdict.YES
