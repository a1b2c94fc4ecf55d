"""The monodromy count of ED / learning degrees: start pairs, the forms, and the search.

The critical points of ½cᵀQc − (Wu)ᵀc on the chart's coefficients c(z) solve the square system
J_c(z)ᵀ (Q c(z) − W u) = 0 (:mod:`.ed_system`). A start pair is made to order: a random z₀ and a
u₀ that makes it critical. The search (:func:`~neurovariety.nag.monodromy_solve`) moves u
around loops, its trace test read in function space; solutions where dφ drops rank are dropped
and the rest grouped by the function c(z) they compute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..nag import SearchProgress, monodromy_solve
from ..nag.numerics import complex_gaussian, matrix_rank, numerical_rank
from ..nag.result import cluster
from ..results import Verdict
from . import ed_exact
from .ed_system import coefficient_arrays, coefficient_values, ed_system, float_terms

#: Start pairs besides the base point (one search pool's width: see ``monodromy_solve``).
EXTRA_STARTS = 63


def start_pair(
    rng: np.random.Generator,
    E: np.ndarray,
    A: np.ndarray,
    Q: np.ndarray,
    W: np.ndarray,
    real: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """A random critical point ``z`` and data ``u`` for which it is critical (both real with
    ``real``: generic real data, whose critical points come in complex-conjugate pairs)."""
    n = E.shape[-1]

    def normal(m: int) -> np.ndarray:
        if real:
            return rng.standard_normal(m).astype(complex)
        return complex_gaussian(rng, m)

    z = normal(n)
    c, J = (v[0] for v in coefficient_values(E, A, z[None, :]))
    _, s, vh = np.linalg.svd(J.T)
    kernel = vh[numerical_rank(s, 1e-10)[0] :].conj().T
    k = kernel @ normal(kernel.shape[1])
    step = np.linalg.solve(Q, k)
    # A residual of the coefficients' own size keeps u (and the loops) at scale.
    k = k * (float(np.linalg.norm(c)) / max(float(np.linalg.norm(step)), 1e-300))
    u = np.linalg.lstsq(W.astype(complex), Q @ c - k, rcond=None)[0]
    return z, u


def full_rank(J: np.ndarray, rank: int) -> bool:
    """Has ``J`` (coefficients × chart parameters) numerical rank ``rank``?

    Rank does not depend on the chart's scales, so the columns are equilibrated first: a
    critical point with ``|z_1| ≈ 20`` has columns 1e6 apart, which a relative threshold on the
    raw singular values reads as a rank drop. Columns at rounding level stay as they are.

    >>> J = np.array([[1e6, 0.0], [0.0, 1e-3]])
    >>> full_rank(J, 2), full_rank(np.array([[1.0, 2.0], [2.0, 4.0]]), 2)
    (True, False)
    """
    norms = np.linalg.norm(J, axis=0)
    scale = np.where(norms > 1e-12 * max(float(norms.max(initial=0.0)), 1e-300), norms, 1.0)
    r, sv = matrix_rank(J / scale, 1e-8)
    return bool(np.all(np.isfinite(sv)) and r == rank)


def float_form(
    arch: Architecture,
    keys: list[tuple[int, tuple[int, ...]]],
    spec: ed_exact.LossSpec,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The monodromy's Q and W (floats): see the module docstring."""
    N = len(keys)
    n_data, data, whiten = spec.n_data, spec.data, spec.whiten
    if spec.form == "generic":
        # A random positive definite Q (random eigenbasis, eigenvalues in [1, 2]) on coefficient
        # space is generic and well conditioned: Q⁻¹ enters the start pair, and an
        # ill-conditioned Q flings it (and every loop) far out.
        O = np.linalg.qr(rng.standard_normal((N, N)))[0]
        return O.T @ np.diag(rng.uniform(1.0, 2.0, N)) @ O, np.eye(N)
    if data is not None:
        X = np.asarray(data, dtype=float)
    else:
        X = rng.standard_normal((n_data or 2 * arch.ambient_dim_per_output, arch.n_inputs))
    if whiten:
        X = np.linalg.qr(X)[0] if X.shape[0] >= X.shape[1] else X
    # y = V c: the network at the data points is linear in its coefficients, so the loss
    # Σ (y − u)² has gradient J_cᵀ (VᵀV c − Vᵀu) in coefficient space.
    V = np.zeros((X.shape[0] * arch.n_outputs, N))
    for k, (o, e) in enumerate(keys):
        V[o :: arch.n_outputs, k] = np.prod(X ** np.asarray(e)[None, :], axis=1)
    return V.T @ V, V.T


def non_generic_reason(Q: np.ndarray) -> str | None:
    """Why the form Q does not suit the monodromy search (None when it does).

    >>> non_generic_reason(np.diag([1.0, 2.0])) is None, non_generic_reason(2 * np.eye(2))[:22]
    (True, 'Q is a multiple of the')
    """
    N = Q.shape[0]
    rank = matrix_rank(Q, 0.0, atol=1e-10 * max(float(np.abs(Q).max()), 1e-300))[0]
    if rank < N:
        return (
            f"Q = VᵀV has rank {rank} < {N} (fewer data values than coefficients): the loss sees "
            "only the projection of the function space onto the data, the critical points split "
            "into families (interpolating networks, ramification points of the projection) that "
            "one monodromy search cannot reach from each other, and its trace test passes on "
            "one of them"
        )
    if np.allclose(Q, Q[0, 0] * np.eye(N), rtol=1e-10, atol=1e-12 * abs(Q[0, 0])):
        return (
            "Q is a multiple of the identity (e.g. whitened data on a linear network: the "
            "Frobenius form, not a generic one): critical points escape to the isotropic points "
            "at infinity (Eckart–Young counts fewer), where the monodromy's paths fail and its "
            "trace test does not apply"
        )
    return None


def monodromy_count(
    arch: Architecture,
    exact_terms: list[dict[tuple[int, ...], Any]],
    rng: np.random.Generator,
    Q: np.ndarray,
    W: np.ndarray,
    dimension: int,
    seed: int,
    time_limit: float,
    max_loops_without_progress: int,
    progress: Callable[[SearchProgress], None] | None,
) -> dict[str, Any]:
    """The monodromy count: the result's fields that depend on it."""
    terms = float_terms(exact_terms)
    E, A = coefficient_arrays(terms)
    n = E.shape[-1]
    system = ed_system(terms, Q, W, seed=seed)

    def sampler(r: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        fresh = [start_pair(r, E, A, Q, W) for _ in range(k)]
        return np.array([z for z, _ in fresh]), np.array([u for _, u in fresh])

    # Start pairs: any z0, and u0 with Q c0 − W u0 in the kernel of J0ᵀ. One is the base
    # point; the others are carried to it at once (they fill the search's lanes from the
    # start), and more come with each new loop of the search's tail.
    # The base point is real (Q and W are real): conjugation maps its critical points to each
    # other, so every one found brings its conjugate with it.
    z0, u0 = start_pair(rng, E, A, Q, W, real=True)
    extra = sampler(rng, EXTRA_STARTS)

    def trace_map(z: np.ndarray) -> np.ndarray:
        # Traces in function space: the chart's symmetries (sign flips, permutations) move z
        # but not c, so no symmetric subset of critical points can fake an affine trace.
        return coefficient_values(E, A, np.asarray(z)[None, :])[0][0]

    mono = monodromy_solve(
        system,
        (z0, u0),
        seed=seed,
        time_limit=time_limit,
        max_loops_without_progress=max_loops_without_progress,
        trace_map=trace_map,
        stop_on_trace=True,
        progress=progress,
        starts=extra,
        sampler=sampler,
        symmetry="conjugation",
    )
    sols = np.asarray(mono.solutions).reshape(-1, n)
    C, J = coefficient_values(E, A, sols)
    keep = [full_rank(J[j], dimension) for j in range(sols.shape[0])]
    n_functions = 0
    if any(keep):
        Y = C[np.asarray(keep)]
        scale = np.maximum(1.0, np.abs(Y).max(axis=1, keepdims=True))
        n_functions = len(np.unique(cluster(Y / scale, 1e-6)))  # relative dedup
    trace = mono.complete
    return {
        "count": n_functions,
        "parameter_solutions": len(sols),
        "degenerate_removed": len(sols) - sum(keep),
        "fiber_size": sum(keep) / n_functions if n_functions else 0.0,
        "trace_test": trace.value if isinstance(trace, Verdict) else str(trace),
        "ledger": {
            "loops": mono.loops,
            "paths_tracked": mono.paths_tracked,
            "paths_failed": mono.paths_failed,
            "stop_reason": mono.stop_reason,
            "symmetry": "conjugation",  # real data: each critical point found brings its pair
            "solutions": mono.nsolutions,
        },
    }
