"""The sample schedule of exact dimensions: first ⌈U / outputs⌉, then doubling up to the safe count.

A rank that meets the proven upper bound U certifies at whatever sample count it is reached; a
rank still short is only reported (probable) at the safe count min(U, A₁).
"""

from __future__ import annotations

import pytest

from neurovariety import parse_architecture
from neurovariety.invariants.dimension import dimension


@pytest.mark.parametrize(("d", "m"), [(4, 8), (6, 12)])
def test_bottleneck_certifies_after_doubling(d: int, m: int) -> None:
    # f(x) = u (vᵀx)², u ∈ R^m, v ∈ R^d: the cone over the Segre–Veronese u ⊗ ℓ², dimension
    # d + m − 1 (KTB arXiv:1905.12207: parameters minus the one rescaling). At S points X the
    # Jacobian kills (u', v') = (αu, v') with αv + 2v' ⟂ every x_s (hand derivation): rank
    # d + m − 1 − max(0, d − S), so the bound is met first at S = d.
    r = dimension(parse_architecture(f"mlp {d}-1-{m} x^2"), seed=2)
    first = -(-(d + m - 1) // m)  # ⌈U / outputs⌉ = 2 < d: short
    safe = min(d + m - 1, d * (d + 1) // 2)
    assert first < d < safe
    assert r.dimension == d + m - 1 and r.certified
    # 2 → 4 (d = 4) or 2 → 4 → 8 capped … : the first doubling at or above d
    n = first
    while n < d:
        n = min(2 * n, safe)
    assert r.n_samples == n < safe
    assert r.ranks == [d + m - 1] * 2


def test_attention_certifies_below_the_safe_count() -> None:
    # HMK arXiv:2408.17221: Σ_i [a(2d − a) + d²] − L − Σ_{0<i<L} d² = 3·28 − 3 − 2·16 = 49.
    t, d, a, L = 3, 4, 2, 3
    hmk = L * (a * (2 * d - a) + d * d) - L - (L - 1) * d * d
    r = dimension(parse_architecture("attn t=3 d=4,4,4,4 a=2,2,2"), seed=0)
    assert r.dimension == hmk == 49 and r.certified
    first = -(-hmk // (t * d))  # 5 samples
    # the safe count is the bound, 49: the schedule stops at a doubling of 5 well below it
    assert r.n_samples in (2 * first, 4 * first, 8 * first)


def test_short_rank_still_needs_the_safe_count() -> None:
    # attn t=2 d=3,2,2 a=1,2: rank-one tokens reach the a = 2 layer, which sees only the
    # symmetric part of A₂, so the rank stays at 12 below the symmetry bound 13 (HMK's
    # hypotheses fail; see docs/attention.md). Probable, reported only at the safe count
    # min(13, forms of degree 9) = 13, not at a doubling of ⌈13 / 4⌉ = 4.
    r = dimension(parse_architecture("attn t=2 d=3,2,2 a=1,2"), seed=0)
    assert (r.dimension, r.upper_bound) == (12, 13)
    assert not r.certified and r.status == "probable" and r.error_bound > 0
    assert r.n_samples == 13
