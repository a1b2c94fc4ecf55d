"""Lightning self-attention: orbits of the generic fiber, singular and boundary points of one layer.

Expected values are worked by hand (docs/design/attention.md): a layer with a = 1 is
Σ_j (q·x_k)(w·x_j)(v·x_j) per output row v, so for d_i = 1 the key w and value v can be swapped
(2 orbits); a layer fed rank-one tokens (after a layer with a = 1) sees (q·z)(w·z)·Vz, so q and w
can be swapped, and for d_i = 1 all of q, w, v permuted (3! = 6). The second method shares no code
with the package: a numpy forward pass, a hand-written gauge chart and Levenberg–Marquardt from
random starts (orbits), and float SVD ranks of complex-step Jacobians (singular points).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import least_squares

from neurovariety.architectures import Attention, parse_architecture
from neurovariety.errors import ArchitectureError
from neurovariety.invariants.attention_geometry import (
    attention_geometry,
    expected_orbits,
    gauge_chart,
    orbit_count,
)
from neurovariety.invariants.exact_counts import available as msolve_available

# (spec, orbits in the generic fiber, by hand as in the module docstring)
ORBITS = [
    ("attn t=2 d=2 a=1", 1),
    ("attn t=2 d=2 a=2", 1),
    ("attn t=3 d=2 a=1", 1),
    ("attn t=2 d=3 a=1", 1),
    ("attn t=2 d=3,2 a=2", 1),
    ("attn t=2 d=2,1 a=1", 2),  # key ↔ value
    ("attn t=3 d=2,1 a=1", 2),
    ("attn t=2 d=3,1 a=1", 2),
    ("attn t=2 d=3,1 a=2", 1),  # a = 2: the rows of A are not all parallel, no swap
    ("attn t=2 d=1,2 a=1", 1),  # d_0 = 1: w and v are numbers, swapping changes nothing
    ("attn t=2 d=2 a=2,2", 1),
    ("attn t=2 d=2 a=2,1", 1),
    ("attn t=2 d=2 a=1,1", 2),  # layer 2 fed rank-one tokens: query ↔ key
    ("attn t=2 d=2,2,1 a=1,1", 6),  # … and d_2 = 1: query, key, value permuted
    ("attn t=2 d=2,2,1 a=2,1", 2),  # layer 2: key ↔ value
    ("attn t=2 d=2,1,1 a=1,1", 2),  # layer 1: key ↔ value; layer 2 acts on numbers
]
SLOW_ORBITS = [("attn t=3 d=3,2,2 a=1,1", 2), ("attn t=3 d=3,2,1 a=1,1", 6)]

needs_msolve = pytest.mark.skipif(not msolve_available(), reason="msolve is not installed")


def _forward(arch: Attention, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Token by token, written from the definition y_k = Σ_j ⟨Q x_k, K x_j⟩ V x_j."""
    o = 0
    for i, a in enumerate(arch.attention_widths):
        d_in, d_out = arch.widths[i], arch.widths[i + 1]
        Q = theta[o : o + a * d_in].reshape(a, d_in)
        K = theta[o + a * d_in : o + 2 * a * d_in].reshape(a, d_in)
        V = theta[o + 2 * a * d_in : o + 2 * a * d_in + d_out * d_in].reshape(d_out, d_in)
        o += 2 * a * d_in + d_out * d_in
        Y = np.zeros((X.shape[0], d_out), dtype=np.result_type(X, theta))
        for k in range(X.shape[0]):
            for j in range(X.shape[0]):
                Y[k] += (Q @ X[k]) @ (K @ X[j]) * (V @ X[j])
        X = Y
    return X.ravel()


def _batch_forward(arch: Attention, theta: np.ndarray, Xs: np.ndarray) -> np.ndarray:
    """The same definition over a batch of sequences Xs (S × t × d_0), with einsum."""
    o = 0
    for i, a in enumerate(arch.attention_widths):
        d_in, d_out = arch.widths[i], arch.widths[i + 1]
        Q = theta[o : o + a * d_in].reshape(a, d_in)
        K = theta[o + a * d_in : o + 2 * a * d_in].reshape(a, d_in)
        V = theta[o + 2 * a * d_in : o + 2 * a * d_in + d_out * d_in].reshape(d_out, d_in)
        o += 2 * a * d_in + d_out * d_in
        weights = np.einsum("ska,sja->skj", Xs @ Q.T, Xs @ K.T)
        Xs = np.einsum("skj,sjc->skc", weights, Xs @ V.T)
    return Xs.ravel()


def _hand_chart(arch: Attention) -> tuple[np.ndarray, np.ndarray]:
    """(mask of free parameters, values of the fixed ones): K_i[:, :a_i] = I, Q_i[0, 0] = 1,
    inner V_i[:, :d_i] = I — written here from the definition, not taken from the package."""
    fixed = np.full(arch.n_params, np.nan)
    o = 0
    for i, a in enumerate(arch.attention_widths):
        d_in, d_out = arch.widths[i], arch.widths[i + 1]
        Q = fixed[o : o + a * d_in].reshape(a, d_in)
        K = fixed[o + a * d_in : o + 2 * a * d_in].reshape(a, d_in)
        V = fixed[o + 2 * a * d_in : o + 2 * a * d_in + d_out * d_in].reshape(d_out, d_in)
        Q[0, 0] = 1.0
        K[:, :a] = np.eye(a)
        if i < arch.depth - 1:
            V[:, :d_out] = np.eye(d_out)
        o += 2 * a * d_in + d_out * d_in
    return np.isnan(fixed), fixed


def _orbits_by_least_squares(arch: Attention, starts: int, seed: int) -> int:
    """Distinct real chart points with the function of a random one, from random starts."""
    rng = np.random.default_rng(seed)
    free, fixed = _hand_chart(arch)
    Xs = rng.standard_normal((arch.n_params + 5, arch.tokens, arch.widths[0]))

    def theta(z: np.ndarray) -> np.ndarray:
        th = fixed.copy()
        th[free] = z
        return th

    def values(z: np.ndarray) -> np.ndarray:
        return _batch_forward(arch, theta(z), Xs)

    z0 = rng.uniform(0.5, 1.5, int(free.sum())) * rng.choice([-1, 1], int(free.sum()))
    target = values(z0)
    found: list[np.ndarray] = []
    for _ in range(starts):
        sol = least_squares(lambda z: values(z) - target, rng.normal(0, 1.5, z0.size),
                            method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)  # fmt: skip
        solved = np.linalg.norm(sol.fun) < 1e-9 * np.linalg.norm(target)
        if solved and all(np.linalg.norm(sol.x - f) > 1e-6 for f in found):
            found.append(sol.x)
    return len(found)


def test_chart_is_the_hand_chart() -> None:
    for spec, _ in ORBITS:
        arch = parse_architecture(spec)
        fixed, free = gauge_chart(arch)
        mask, values = _hand_chart(arch)
        assert sorted(free) == list(np.flatnonzero(mask))
        assert all(values[j] == v for j, v in fixed.items())
        # one chart point per orbit: as many variables as HMK's dimension
        assert len(free) == arch.hmk_dim


@needs_msolve
@pytest.mark.parametrize(("spec", "orbits"), ORBITS)
def test_exact_orbit_count(spec: str, orbits: int) -> None:
    arch = parse_architecture(spec)
    assert expected_orbits(arch) == orbits
    assert orbit_count(arch, seed=1).value == orbits


CHEAP = ["attn t=2 d=2 a=1", "attn t=3 d=2,1 a=1", "attn t=2 d=3,1 a=1", "attn t=2 d=1,2 a=1"]


@pytest.mark.parametrize(
    ("spec", "orbits"),
    [pytest.param(*o, marks=[] if o[0] in CHEAP else [pytest.mark.slow]) for o in ORBITS],
)
def test_least_squares_finds_the_orbits(spec: str, orbits: int) -> None:
    arch = parse_architecture(spec)
    assert _orbits_by_least_squares(arch, starts=40 if arch.depth == 1 else 150, seed=3) == orbits


def _permuted(
    theta: np.ndarray, arch: Attention, layer: int, order: tuple[int, int, int]
) -> np.ndarray:
    """θ with layer ``layer``'s one-row Q, K, V (a = 1, d_i = 1) permuted by ``order``."""
    q, k, v, _ = arch.layer_offsets()[layer]
    d = arch.widths[layer]
    rows = [theta[q : q + d], theta[k : k + d], theta[v : v + d]]
    out = theta.copy()
    for start, src in zip((q, k, v), order, strict=True):
        out[start : start + d] = rows[src]
    return out


@pytest.mark.parametrize(
    ("spec", "layer", "orders"),
    [
        ("attn t=2 d=2,1 a=1", 0, [(0, 1, 2), (0, 2, 1)]),  # key ↔ value
        ("attn t=3 d=3,1 a=1", 0, [(0, 1, 2), (0, 2, 1)]),
        (
            "attn t=2 d=2,2,1 a=1,1",
            1,
            [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)],
        ),  # fmt: skip
        ("attn t=2 d=2,2,1 a=2,1", 1, [(0, 1, 2), (0, 2, 1)]),
        ("attn t=2 d=2,1,1 a=1,1", 0, [(0, 1, 2), (0, 2, 1)]),
    ],
)
def test_the_swapped_points_are_in_the_fiber(spec: str, layer: int, orders: list) -> None:
    """Second method for the counts above 1: the predicted points, built by hand, have the same
    function and distinct rank-one tensors A_i ⊗ V_i (the other layers unchanged): distinct
    orbits, so the fiber has at least that many."""
    arch = parse_architecture(spec)
    rng = np.random.default_rng(4)
    theta = rng.standard_normal(arch.n_params)
    Xs = rng.standard_normal((6, arch.tokens, arch.widths[0]))
    base = _batch_forward(arch, theta, Xs)
    q, k, v, _ = arch.layer_offsets()[layer]
    d = arch.widths[layer]
    tensors = []
    for order in orders:
        th = _permuted(theta, arch, layer, order)
        assert np.allclose(_batch_forward(arch, th, Xs), base)
        T = np.einsum("a,b,e->abe", th[q : q + d], th[k : k + d], th[v : v + d])
        tensors.append(T.ravel() / np.linalg.norm(T))
    gram = np.abs(np.array(tensors) @ np.array(tensors).T)
    assert np.all(gram[~np.eye(len(orders), dtype=bool)] < 1 - 1e-6)


@pytest.mark.slow
@needs_msolve
@pytest.mark.parametrize(("spec", "orbits"), SLOW_ORBITS)
def test_exact_orbit_count_three_inputs(spec: str, orbits: int) -> None:
    arch = parse_architecture(spec)
    assert expected_orbits(arch) == orbits
    assert orbit_count(arch, seed=0, time_limit=300).value == orbits


def test_key_value_swap_is_the_same_function() -> None:
    # (q, w, v) and (q, v, w): one function, and not one orbit (A = q wᵀ is not a multiple of q vᵀ)
    arch = parse_architecture("attn t=3 d=3,1 a=1")
    q, w, v = np.array([1.0, 2, -1]), np.array([0.5, -1, 2]), np.array([3.0, 1, 1])
    X = np.random.default_rng(0).standard_normal((3, 3))
    one = _forward(arch, np.concatenate([q, w, v]), X)
    two = _forward(arch, np.concatenate([q, v, w]), X)
    assert np.allclose(one, two) and np.linalg.matrix_rank(np.outer(q, w) - np.outer(q, v)) == 1


def test_orbit_count_refuses_outside_the_hypotheses() -> None:
    with pytest.raises(ArchitectureError, match="a_i ≤ d_"):
        gauge_chart(parse_architecture("attn t=2 d=2,3,2 a=1,1"))
    with pytest.raises(ArchitectureError, match="t = 1"):
        orbit_count(parse_architecture("attn t=1 d=2 a=1"))


# ---- one layer: singular and boundary points ----------------------------------------------

# (spec, dim M by HMK, singular loci by hand): f = 0 for d ≥ 2; rank A < min(a, d) for a < d;
# rank V = 1 for a = 1 with d, d' ≥ 2 (two branches meet there)
GEOMETRY = [
    ("attn t=2 d=2 a=1", 6, ["rank V = 1 (a = 1)", "f = 0"]),
    ("attn t=2 d=2 a=2", 7, ["f = 0"]),
    ("attn t=2 d=3 a=1", 13, ["rank V = 1 (a = 1)", "f = 0"]),
    ("attn t=2 d=3 a=2", 16, ["rank A = 1 < min(a, d)", "f = 0"]),
    ("attn t=3 d=3,2 a=3", 14, ["f = 0"]),
    ("attn t=2 d=4,2 a=3", 22, ["rank A = 1 < min(a, d)", "rank A = 2 < min(a, d)", "f = 0"]),
    ("attn t=2 d=2,1 a=1", 4, ["f = 0"]),
    ("attn t=2 d=1,2 a=1", 2, []),
]


@pytest.mark.parametrize(("spec", "dim", "singular"), GEOMETRY)
def test_singular_loci(spec: str, dim: int, singular: list[str]) -> None:
    r = attention_geometry(parse_architecture(spec), seed=2)
    assert r.dimension == dim and r.singular == singular
    assert r.certified and all(c.confirmed for c in r.loci)


def _complex_step_jacobian(arch: Attention, theta: np.ndarray, Xs: np.ndarray) -> np.ndarray:
    h = 1e-30
    cols = []
    for j in range(theta.size):
        step = theta.astype(complex)
        step[j] += 1j * h
        cols.append(np.concatenate([_forward(arch, step, X).imag / h for X in Xs]))
    return np.array(cols).T


def _float_rank(J: np.ndarray) -> int:
    s = np.linalg.svd(J, compute_uv=False)
    rank = int(np.sum(s > 1e-9 * s[0]))
    assert rank == len(s) or s[rank] < 1e-12 * s[0]  # a clear gap
    return rank


def test_singular_points_by_float_ranks() -> None:
    """Second method for attn t=2 d=3 a=2 (dim 16): at rank A = 1 the curves A + εB span 17
    directions; at the swap point of attn t=2 d=3 a=1 (dim 13) the two branches' tangent
    spaces together span more than 13; at a generic point the Jacobian has rank dim M."""
    rng = np.random.default_rng(11)
    Xs = rng.standard_normal((20, 2, 3))
    u, w, v, s = rng.standard_normal((4, 3))
    V = rng.standard_normal((3, 3))
    # A = u wᵀ of rank 1 in a layer with a = 2; the curves see every B: the a = d = 3 layer
    free = Attention(2, (3, 3), (3,))
    th = np.concatenate([np.outer(u, w).T.ravel(), np.eye(3).ravel(), V.ravel()])
    assert _float_rank(_complex_step_jacobian(free, th, Xs)) == 17
    generic = Attention(2, (3, 3), (2,))
    assert _float_rank(_complex_step_jacobian(generic, rng.standard_normal(21), Xs)) == 16
    # a = 1, V = s vᵀ: (u wᵀ, s vᵀ) and (u vᵀ, s wᵀ) give one function, two tangent spaces
    one = Attention(2, (3, 3), (1,))
    first = np.concatenate([u, w, np.outer(s, v).ravel()])
    second = np.concatenate([u, v, np.outer(s, w).ravel()])
    assert np.allclose(_forward(one, first, Xs[0]), _forward(one, second, Xs[0]))
    J = np.hstack([_complex_step_jacobian(one, th, Xs) for th in (first, second)])
    assert _float_rank(J) > 13


def test_no_boundary_points_the_properness_bound() -> None:
    """|C| ≥ |A||V|/√2 for the coefficient tensor C of f (symmetrised in (b, e)): a sequence of
    functions converges only if A_n ⊗ V_n stays bounded, so the limit is again in the image."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        d, d_out = rng.integers(1, 5, 2)
        A = rng.standard_normal((d, d)) * rng.exponential(1, (d, d))
        V = rng.standard_normal((d_out, d))
        T = np.einsum("ab,ce->cabe", A, V)
        C = (T + T.transpose(0, 1, 3, 2)) / 2
        assert np.linalg.norm(C) >= np.linalg.norm(A) * np.linalg.norm(V) / np.sqrt(2) - 1e-12
    # the constant is sharp: A = e_1 e_2ᵀ, V = e_1ᵀ gives |C| = |A||V|/√2
    T = np.einsum("ab,ce->cabe", np.array([[0.0, 1], [0, 0]]), np.array([[1.0, 0]]))
    assert np.isclose(np.linalg.norm((T + T.transpose(0, 1, 3, 2)) / 2), 1 / np.sqrt(2))


def test_geometry_refuses_what_it_does_not_cover() -> None:
    for spec in ("attn t=2 d=2 a=1,1", "attn t=1 d=2 a=1"):
        with pytest.raises(ArchitectureError, match="not supported yet for attention"):
            attention_geometry(parse_architecture(spec))
