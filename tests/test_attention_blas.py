"""The exact attention Jacobian on float64 BLAS against the integer forward-mode pass it replaced.

The reference below is the earlier implementation (per-term integer ``einsum`` over Python
integers, no float anywhere), kept here as a slow oracle. Primes are chosen so that the BLAS
path must split its products: near 2^26 a float64 sum holds only 7 products of centered
residues, fewer than the inner dimensions d, 2a and 2t used here.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurovariety.architectures import Attention, parse_architecture
from neurovariety.exact import is_prime
from neurovariety.exact.blas_field import Field
from neurovariety.parametrization.exact import jacobian_mod_p

NEAR_2_26 = 67_108_859  # the largest prime below 2^26


def reference_mod_p(arch: Attention, theta: np.ndarray, x: np.ndarray, p: int) -> np.ndarray:
    """Forward mode with (S, t, d, n) tangents, Python integers reduced after every einsum."""
    theta = np.array([int(v) % p for v in theta], dtype=object)
    S, t, w, n = x.shape[0], arch.tokens, arch.widths, arch.n_params
    X = np.array([[int(v) % p for v in row] for row in x], dtype=object).reshape(S, t, w[0])
    dX = np.zeros((S, t, w[0], n), dtype=object)

    def ein(spec: str, *ops: np.ndarray) -> np.ndarray:
        return np.einsum(spec, *ops) % p

    for i, (q, k, v, end) in enumerate(arch.layer_offsets()):
        a, d_in, d_out = arch.attention_widths[i], w[i], w[i + 1]
        mats, jets = [], []
        for lo, hi, rows in ((q, k, a), (k, v, a), (v, end, d_out)):
            M = theta[lo:hi].reshape(rows, d_in)
            U = ein("sib,rb->sir", X, M)
            dU = ein("sibn,rb->sirn", dX, M)
            block = dU[..., lo:hi].reshape(S, t, rows, rows, d_in)
            for r in range(rows):  # ∂(X Mᵀ)[s,i,r]/∂M[r,b] = X[s,i,b]
                block[:, :, r, r, :] = (block[:, :, r, r, :] + X) % p
            mats.append(U)
            jets.append(dU)
        (U, W, Z), (dU, dW, dZ) = mats, jets
        att = ein("sia,sja->sij", U, W)
        datt = (ein("sian,sja->sijn", dU, W) + ein("sia,sjan->sijn", U, dW)) % p
        X_new = ein("sij,sjc->sic", att, Z)
        dX = (ein("sijn,sjc->sicn", datt, Z) + ein("sij,sjcn->sicn", att, dZ)) % p
        X = X_new
    return dX.reshape(S * t * w[-1], n)


def test_the_prime_forces_split_products() -> None:
    assert is_prime(NEAR_2_26) and NEAR_2_26 < 2**26 < 2 * NEAR_2_26
    assert Field.of(NEAR_2_26).kmax == 7  # < d = 8 and 2a, 2t below


@pytest.mark.parametrize(
    "spec",
    [
        "attn t=2 d=2,3,2 a=1,2",  # rank-one tokens into a = 2, a widening layer
        "attn t=4 d=8,3 a=4",  # 2t = 2a = 8 > 7 and d = 8 > 7 near 2^26
        "attn t=3 d=8,4,2 a=4,3",
        "attn t=1 d=3,3 a=2",
    ],
)
@pytest.mark.parametrize("p", [5, 101, 8_388_593, NEAR_2_26, 2**31 - 1, 2**61 - 1])
def test_blas_jacobian_equals_the_integer_reference(spec: str, p: int) -> None:
    arch = parse_architecture(spec)
    assert isinstance(arch, Attention)
    rng = np.random.default_rng(p % 1000 + len(spec))
    # full-range residues (and negative or huge representatives) so every reduction is needed
    theta = rng.integers(-(2**40), 2**40, arch.n_params)
    x = rng.integers(-(2**40), 2**40, (3, arch.n_inputs))
    want = reference_mod_p(arch, theta, x, p)
    got = jacobian_mod_p(arch, theta, x, p)
    assert got.shape == want.shape
    assert np.all((np.asarray(got) >= 0) & (np.asarray(got) < p))
    assert [[int(v) for v in row] for row in got] == [[int(v) for v in row] for row in want]


@pytest.mark.parametrize("spec", ["attn t=4 d=13,3 a=4", "attn t=2 d=16,2 a=1"])
def test_extreme_residues_near_2_26(spec: str) -> None:
    # every residue (p − 1)/2: each product term is the largest a centered residue allows, so a
    # sum of 13 such terms passes 2^53 unless the product is split
    arch = parse_architecture(spec)
    assert isinstance(arch, Attention)
    p = NEAR_2_26
    theta = np.full(arch.n_params, (p - 1) // 2)
    x = np.full((2, arch.n_inputs), (p - 1) // 2)
    x[1, ::2] = (p + 1) // 2  # the second sample mixes in −(p − 1)/2
    want = reference_mod_p(arch, theta, x, p)
    got = jacobian_mod_p(arch, theta, x, p)
    assert [[int(v) for v in row] for row in got] == [[int(v) for v in row] for row in want]


def test_float_inputs_and_the_forward_pass_agree() -> None:
    # integral float parameters (as random_point_mod_p makes them) give the same Jacobian, and
    # the output rows of the forward pass are those of the reference at the same point
    arch = parse_architecture("attn t=3 d=4,4,4,4 a=2,2,2")
    assert isinstance(arch, Attention)
    p = 8_388_593
    rng = np.random.default_rng(5)
    theta = rng.integers(0, p, arch.n_params)
    x = rng.integers(0, p, (4, arch.n_inputs))
    J = arch.jacobian_mod_p(theta.astype(float), x.astype(float), p)
    assert np.array_equal(J, reference_mod_p(arch, theta, x, p).astype(np.int64))
    # f is linear in the last layer's V: ∂f/∂V_L · V_L = f (Euler), checked on the last
    # layer's block of the Jacobian
    v0 = arch.layer_offsets()[-1][2]
    f = arch.forward_mod_p(theta, x, p).reshape(-1).astype(object)
    euler = (J[:, v0:].astype(np.int64).astype(object) @ theta[v0:].astype(object)) % p
    assert euler.tolist() == f.tolist()


@pytest.mark.parametrize(
    ("spec", "n_samples"),
    [("attn t=2 d=24,24 a=6", 18), ("attn t=4 d=8,8,8 a=4,4", 10), ("attn t=8 d=4,4 a=4", 20)],
)
def test_the_memory_plan_bounds_the_measured_peak(spec: str, n_samples: int) -> None:
    # dim refuses a plan over --max-memory before allocating: the plan must cover what the
    # Jacobian and its rank really allocate, measured here by tracemalloc (numpy reports to it)
    import tracemalloc

    from neurovariety.exact import rank_mod
    from neurovariety.invariants.dimension import plan
    from neurovariety.parametrization.exact import random_point_mod_p

    arch = parse_architecture(spec)
    p = 8_388_593
    theta, x = random_point_mod_p(arch, n_samples, p, seed=1)
    tracemalloc.start()
    try:
        rank_mod(jacobian_mod_p(arch, theta, x, p, canonical=False), p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= plan(arch, n_samples).bytes
