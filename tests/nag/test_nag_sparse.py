"""Unrolled sums of weighted monomials (nag.sparse) against numpy.

The expected values are computed here term by term in numpy (``prod X_k^E_jk`` and the partial
``E_jk X^(E_j - e_k)``), sharing no code with the unrolled kernels; the table kernels of
``nag.homotopy`` (gathers and cumulative products) give a second check of the same sums.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neurovariety.nag import sparse
from neurovariety.nag.homotopy import _family_kernels


def expected(E: np.ndarray, eq: np.ndarray, X: np.ndarray, w: np.ndarray):
    n, n1 = int(eq.max()) + 1, X.shape[0]
    F = np.zeros(n, complex)
    J = np.zeros((n, n1), complex)
    for j, row in enumerate(E):
        F[eq[j]] += w[j] * np.prod(X**row)
        for k in range(n1):
            if row[k]:
                lower = row.copy()
                lower[k] -= 1
                J[eq[j], k] += w[j] * row[k] * np.prod(X**lower)
    return F, J


@st.composite
def supports(draw):
    n1 = draw(st.integers(2, 5))
    n = draw(st.integers(1, 4))
    eq = np.array(sorted(draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=12))))
    eq = np.concatenate([np.arange(n), eq])  # every equation has a term
    E = np.array(
        [[draw(st.integers(0, 4)) for _ in range(n1)] for _ in range(eq.size)], dtype=np.int64
    )
    return E, eq, draw(st.integers(0, 2**31))


@settings(max_examples=40, deadline=None)
@given(supports())
def test_weighted_sums_match_numpy(case):
    E, eq, seed = case
    rng = np.random.default_rng(seed)
    X = rng.normal(size=E.shape[1]) + 1j * rng.normal(size=E.shape[1])
    if seed % 3 == 0:
        X[seed % E.shape[1]] = 0.0  # a zero coordinate: no division anywhere
    w = rng.normal(size=E.shape[0]) + 1j * rng.normal(size=E.shape[0])
    v = rng.normal(size=E.shape[0]) + 1j * rng.normal(size=E.shape[0])
    key = sparse.support_key(E, eq)
    F, J, G = sparse.weighted_sums(*key, jnp.asarray(X), jnp.asarray(w), jnp.asarray(v))
    F0, J0 = expected(E, eq, X, w)
    G0, _ = expected(E, eq, X, v)
    scale = 1 + np.max(np.abs(F0)) + np.max(np.abs(J0))
    assert np.max(np.abs(np.asarray(F) - F0)) <= 1e-12 * scale
    assert np.max(np.abs(np.asarray(J) - J0)) <= 1e-12 * scale
    assert np.max(np.abs(np.asarray(G) - G0)) <= 1e-12 * (1 + np.max(np.abs(G0)))
    # the family kernel: parameters are the coefficients, so its parameter Jacobian holds the
    # monomials; the table kernel computes the same with gathers
    kernel, _ = sparse.family_kernels(*key)
    table, _ = _family_kernels(int(E.max()))
    M = np.zeros((int(eq.max()) + 1, E.shape[0]), complex)
    M[eq, np.arange(E.shape[0])] = 1.0
    data = {"E": jnp.asarray(E), "M": jnp.asarray(M)}
    Fu, Ju = kernel(data, jnp.asarray(X), jnp.asarray(w))
    Ft, Jt = table(data, jnp.asarray(X), jnp.asarray(w))
    assert np.allclose(np.asarray(Fu), np.asarray(Ft), rtol=1e-12, atol=1e-12 * scale)
    assert np.allclose(np.asarray(Ju), np.asarray(Jt), rtol=1e-12, atol=1e-12 * scale)
    mono = np.array([np.prod(X**row) for row in E])
    assert np.allclose(np.asarray(Ju)[:, E.shape[1] :], M * mono[None, :], atol=1e-12 * scale)


def test_large_supports_keep_the_table_form():
    assert sparse.small(np.zeros((100, 8), int))
    assert not sparse.small(np.zeros((sparse.UNROLL_LIMIT, 2), int))
