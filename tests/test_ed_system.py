"""The coefficient-space gradient system of edd, against the network and against autodiff."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.landscape import ed_system as eds
from neurovariety.nag import system_from_callable
from neurovariety.parametrization.numeric import chart_map

SPECS = ["lcn k=3,2 s=2", "cnn k=2,2,2 s=1,1 x^2", "mlp 2-2-1 generic:3", "lcn k=2,2,2 s=2,2"]


def _network_matrix(arch, keys, points):
    """V with V c = the network at ``points`` (one row per point and output)."""
    V = np.zeros((points.shape[0] * arch.n_outputs, len(keys)))
    for k, (o, e) in enumerate(keys):
        V[o :: arch.n_outputs, k] = np.prod(points ** np.asarray(e)[None, :], axis=1)
    return V


@pytest.mark.parametrize("spec", SPECS)
def test_chart_coefficients_reproduce_the_network(spec: str) -> None:
    # Independent: the numeric forward pass of the network in the same chart.
    arch = parse_architecture(spec)
    terms, keys = eds.chart_coefficients(arch)
    E, A = eds.coefficient_arrays(terms)
    rng = np.random.default_rng(0)
    n = E.shape[-1]
    points = rng.standard_normal((40, arch.n_inputs))
    V = _network_matrix(arch, keys, points)
    y_of = chart_map(arch, points)
    for _ in range(3):
        z = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        c, J = eds.coefficient_values(E, A, z[None, :])
        y = np.asarray(y_of(jnp.asarray(z)))
        Jy = np.asarray(jax.jacfwd(y_of, holomorphic=True)(jnp.asarray(z)))
        np.testing.assert_allclose(V @ c[0], y, rtol=1e-10, atol=1e-10 * np.abs(y).max())
        np.testing.assert_allclose(V @ J[0], Jy, rtol=1e-10, atol=1e-10 * np.abs(Jy).max())


@pytest.mark.parametrize(("unroll", "identity"), [(True, False), (False, False), (True, True)])
@pytest.mark.parametrize("spec", SPECS)
def test_kernel_matches_autodiff_of_the_gradient(
    spec: str, unroll: bool, identity: bool, monkeypatch
) -> None:
    # The hand-written derivatives (value, X-Jacobian, parameter Jacobian and the directional
    # derivative) against forward-mode autodiff of J_cᵀ(Qc − Wu) written directly in jnp; for a
    # general W and for W = I (the generic form, whose kernel skips the products with W).
    monkeypatch.setattr(eds, "UNROLL_LIMIT", 10**9 if unroll else 0)
    terms, _ = eds.chart_coefficients(parse_architecture(spec))
    N, n = len(terms), len(next(iter(terms[0])))
    rng = np.random.default_rng(1)
    B = rng.standard_normal((N, N))
    Q, W = B @ B.T, np.eye(N) if identity else rng.standard_normal((N, N + 2))
    m = W.shape[1]
    S = eds.ed_system(terms, Q, W)

    def c_of(z):
        return jnp.stack(
            [sum(a * jnp.prod(z ** jnp.asarray(e)) for e, a in t.items()) for t in terms]
        )

    def g(z, u):
        J = jax.jacfwd(c_of, holomorphic=True)(z)
        return J.T @ (jnp.asarray(Q) @ c_of(z) - jnp.asarray(W) @ u)

    R = system_from_callable(g, n, n_parameters=m, degrees=S.degrees)
    X = jnp.asarray(rng.standard_normal(n + 1) + 1j * rng.standard_normal(n + 1))
    p = jnp.asarray(rng.standard_normal(m) + 1j * rng.standard_normal(m))
    dp = jnp.asarray(rng.standard_normal(m) + 1j * rng.standard_normal(m))
    sa, sb = np.asarray(S.data["scale"])[:, None], np.asarray(R.data["scale"])[:, None]
    ours = [np.asarray(v) for v in S.directional(S.data, X, p, dp)]
    ours.append(np.asarray(S.kernel(S.data, X, p)[1]))
    ref = [np.asarray(v) for v in R.directional(R.data, X, p, dp)]
    ref.append(np.asarray(R.kernel(R.data, X, p)[1]))
    for a, b in zip(ours, ref, strict=True):
        a = a / (sa if a.ndim == 2 else sa[:, 0])
        b = b / (sb if b.ndim == 2 else sb[:, 0])
        assert np.max(np.abs(a - b)) <= 1e-12 * np.max(np.abs(b))


def test_parabola_by_hand() -> None:
    # c(z) = (z, z²), Q = I, u = (1, 0): g = (z − 1) + 2z·z² = 2z³ + z − 1, degree 3.
    S = eds.ed_system([{(1,): 1.0}, {(2,): 1.0}], np.eye(2), np.eye(2))
    for z in (0.5, 2.0, -1.0 + 1j):
        value = S.evaluate([z], [1.0, 0.0])[0]
        assert abs(value - (2 * z**3 + z - 1)) < 1e-12 * max(1.0, abs(z) ** 3)
        assert abs(S.jacobian([z], [1.0, 0.0])[0, 0] - (6 * z**2 + 1)) < 1e-12 * max(1, abs(z) ** 2)


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="Q must be"):
        eds.ed_system([{(1,): 1.0}], np.eye(2), np.eye(1))
