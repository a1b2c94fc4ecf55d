"""Homotopies ``H(X, t)``, ``t`` from 1 (start) to 0 (target), on a random affine patch.

All homotopies work in projective coordinates ``X = (x0, x1, ..., xn)`` with one extra linear
equation ``a . X = 1`` for a random complex ``a``: a path whose affine coordinates diverge ends at a
finite point with ``x0 = 0`` and is classified ``at_infinity`` instead of failing.

A homotopy is a static function ``fn(data, pdata, X, t) -> (H, H_X, H_t)`` plus its arrays:
``data`` is shared by all paths, ``pdata`` holds per-path arrays (e.g. each path's target
parameters). ``fn`` is built by cached factories so ``jit`` reuses compiled code across seeds and
parameter values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import sparse
from .numerics import complex_gaussian
from .system import DirectionalKernel, Kernel, System

HomotopyFn = Callable[[Any, Any, jax.Array, jax.Array], tuple[jax.Array, jax.Array, jax.Array]]


@dataclass(frozen=True, eq=False)
class Homotopy:
    """A homotopy ready for the tracker: static ``fn`` and its ``data`` / per-path ``pdata``."""

    fn: HomotopyFn
    data: dict[str, Any]
    pdata: dict[str, Any]
    n_unknowns: int  # length of X = n + 1


def _square_up(
    F: jax.Array, J: jax.Array, x0: jax.Array, R: jax.Array, pows: tuple[tuple[int, ...], ...]
) -> tuple[jax.Array, jax.Array]:
    """Randomize an overdetermined system to as many equations as unknowns.

    ``F[:n] + R (x0^(d_i - d_j) F[n:])``: equations are sorted by degree beforehand, so every
    power of ``x0`` is non-negative and the result stays homogeneous. ``J`` is carried along
    (its column 0 is the ``x0`` derivative).
    """
    n = len(pows)
    if n == F.shape[0]:
        return F, J
    rows, jrows = [], []
    for i in range(n):
        f, g = F[i], J[i]
        for j, k in enumerate(pows[i]):
            c = R[i, j]
            f = f + c * x0**k * F[n + j]
            g = g + c * x0**k * J[n + j]
            if k > 0:
                g = g.at[0].add(c * k * x0 ** (k - 1) * F[n + j])
        rows.append(f)
        jrows.append(g)
    return jnp.stack(rows), jnp.stack(jrows)


def square_layout(system: System) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Equation order (by degree, descending) and ``x0`` powers for squaring up."""
    n = system.n_variables
    order = tuple(int(i) for i in np.argsort([-d for d in system.degrees], kind="stable"))
    degs = [system.degrees[i] for i in order]
    pows = tuple(tuple(degs[i] - degs[j] for j in range(n, len(degs))) for i in range(n))
    return order, pows


@functools.cache
def _total_degree_fn(
    kernel: Kernel,
    order: tuple[int, ...],
    pows: tuple[tuple[int, ...], ...],
    start_degrees: tuple[int, ...],
) -> HomotopyFn:
    perm = jnp.asarray(order)
    n = len(start_degrees)

    def fn(data: Any, pdata: Any, X: jax.Array, t: jax.Array):
        F, Jz = kernel(data["sys"], X, data["p"])
        F, J = _square_up(F[perm], Jz[perm, : n + 1], X[0], data["R"], pows)
        G, dG0, dGi = [], [], []
        for i, d in enumerate(start_degrees):
            G.append(X[i + 1] ** d - X[0] ** d)
            dG0.append(-d * X[0] ** (d - 1))
            dGi.append(d * X[i + 1] ** (d - 1))
        G_, JG = jnp.stack(G), jnp.zeros((n, n + 1), X.dtype)
        JG = (
            JG.at[:, 0]
            .set(jnp.stack(dG0))
            .at[jnp.arange(n), jnp.arange(1, n + 1)]
            .set(jnp.stack(dGi))
        )
        g = data["gamma"]
        H = jnp.concatenate([t * g * G_ + (1 - t) * F, (data["a"] @ X - 1)[None]])
        Hx = jnp.concatenate([t * g * JG + (1 - t) * J, data["a"][None, :]])
        Ht = jnp.concatenate([g * G_ - F, jnp.zeros(1, X.dtype)])
        return H, Hx, Ht

    return fn


@functools.cache
def _parameter_fn(
    directional: DirectionalKernel, order: tuple[int, ...], pows: tuple[tuple[int, ...], ...]
) -> HomotopyFn:
    perm = jnp.asarray(order)

    def fn(data: Any, pdata: Any, X: jax.Array, t: jax.Array):
        # p(t) = t p0 + (1 - t) p1 + t (1 - t) c: a straight segment when c = 0, else a bend.
        c = pdata["c"]
        p = pdata["p1"] + t * (pdata["p0"] - pdata["p1"]) + t * (1 - t) * c
        dp = pdata["p0"] - pdata["p1"] + (1 - 2 * t) * c
        F, JX, Fp = directional(data["sys"], X, p, dp)  # Fp = dF/dt
        F, J = _square_up(F[perm], JX[perm], X[0], data["R"], pows)
        Ft, _ = _square_up(Fp[perm], JX[perm], X[0], data["R"], pows)
        H = jnp.concatenate([F, (data["a"] @ X - 1)[None]])
        Hx = jnp.concatenate([J, data["a"][None, :]])
        Ht = jnp.concatenate([Ft, jnp.zeros(1, X.dtype)])
        return H, Hx, Ht

    return fn


def random_patch(rng: np.random.Generator, n_unknowns: int) -> np.ndarray:
    """A random unit complex vector ``a`` defining the affine patch ``a . X = 1``."""
    a = complex_gaussian(rng, n_unknowns)
    return a / np.linalg.norm(a)


def to_patch(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Affine points ``x`` (rows) to patch coordinates ``X = (1, x) / (a . (1, x))``."""
    x = np.atleast_2d(np.asarray(x, dtype=complex))
    X = np.concatenate([np.ones((x.shape[0], 1), dtype=complex), x], axis=1)
    return X / (X @ a)[:, None]


def total_degree_homotopy(
    system: System, p: np.ndarray, rng: np.random.Generator
) -> tuple[Homotopy, np.ndarray]:
    """The total-degree homotopy ``t gamma G + (1 - t) F`` with ``G_i = x_i^d_i - x0^d_i``.

    Returns the homotopy and its start solutions (patch coordinates), one per element of
    ``prod_i {d_i-th roots of unity}``.

    Notes
    -----
    The gamma trick: for all but finitely many complex ``gamma`` the paths for ``t`` in ``(0, 1]``
    are non-singular (Sommese & Wampler, *The Numerical Solution of Systems of Polynomials*, 2005,
    Thm 8.4.1); a random ``gamma`` on the unit circle avoids the bad ones with probability one.
    """
    n = system.n_variables
    order, pows = square_layout(system)
    degs = tuple(system.degrees[i] for i in order[:n])
    a = random_patch(rng, n + 1)
    gamma = np.exp(2j * np.pi * rng.uniform())
    R = complex_gaussian(rng, (n, max(system.n_equations - n, 1)))
    data = {
        "sys": system.data,
        "p": jnp.asarray(p, dtype=complex),
        "gamma": jnp.asarray(gamma),
        "a": jnp.asarray(a),
        "R": jnp.asarray(R),
    }
    fn = _total_degree_fn(system.kernel, order, pows, degs)
    grids = np.meshgrid(*[np.arange(d) for d in degs], indexing="ij")
    idx = np.stack([g.reshape(-1) for g in grids], axis=1)
    roots = np.exp(2j * np.pi * idx / np.asarray(degs)[None, :])
    return Homotopy(fn, data, {}, n + 1), to_patch(roots, a)


def parameter_homotopy(
    system: System,
    p0: np.ndarray,
    p1: np.ndarray,
    rng: np.random.Generator,
    *,
    a: np.ndarray | None = None,
    R: np.ndarray | None = None,
    bend: np.ndarray | None = None,
) -> Homotopy:
    """Parameter homotopy ``F(X; t p0 + (1 - t) p1 + t (1 - t) c)``, ``c = bend`` (default 0).

    ``p0``, ``p1`` and ``bend`` are ``(k,)`` or per-path ``(batch, k)`` arrays. Start parameters
    should be generic complex (then the open path avoids the discriminant with probability one);
    a random complex ``bend`` gives another path between the same ends, as monodromy needs.
    """
    n = system.n_variables
    order, pows = square_layout(system)
    a = random_patch(rng, n + 1) if a is None else a
    R = complex_gaussian(rng, (n, max(system.n_equations - n, 1))) if R is None else R
    data = {"sys": system.data, "a": jnp.asarray(a), "R": jnp.asarray(R)}
    c = np.zeros_like(np.asarray(p1, dtype=complex)) if bend is None else bend
    c = np.broadcast_to(c, np.broadcast_shapes(np.shape(c), np.shape(p1)))
    pdata = {
        "p0": jnp.asarray(p0, dtype=complex),
        "p1": jnp.asarray(p1, dtype=complex),
        "c": jnp.asarray(c, dtype=complex),
    }
    return Homotopy(_parameter_fn(system.directional, order, pows), data, pdata, n + 1)


def _monomials(E: jax.Array, X: jax.Array, max_degree: int) -> tuple[jax.Array, jax.Array]:
    """``X^E_j`` per row ``j`` of ``E`` and its gradient in ``X`` (``(terms, n + 1)``)."""
    cols = jnp.arange(X.shape[0])
    table = jnp.stack([jnp.ones_like(X)] + [X**k for k in range(1, max_degree + 1)])
    P = table[E, cols]  # (terms, n + 1): X_k^E_jk
    # d/dX_k of prod_l X_l^E_jl = E_jk X_k^(E_jk - 1) * prod_{l != k} X_l^E_jl, the product
    # over l != k from prefix and suffix products (no division: coordinates may be 0).
    ones = jnp.ones((P.shape[0], 1), P.dtype)
    prefix = jnp.cumprod(jnp.concatenate([ones, P[:, :-1]], axis=1), axis=1)
    suffix = jnp.cumprod(jnp.concatenate([ones, P[:, :0:-1]], axis=1), axis=1)[:, ::-1]
    lower = table[jnp.maximum(E - 1, 0), cols]
    return prefix[:, -1] * P[:, -1], E * lower * prefix * suffix


def _cell_weights(pdata: Any, t: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(s^e, d s^e / ds, ds / dt)`` of the cell homotopy at tracker time ``t``.

    Stage 1 runs s from 0 (binomial start system) to 1 (random-coefficient system) as
    s = 1 - t^m, m = 1 + log10(largest power): a term of power e turns on where e t^m ~ 1, so
    all have by t = 0.1, where the endgame starts. With s = 1 - t a power of 3000 (cyclic-7)
    turned on below t = 1e-3: past the 60 iterations of the direct finish, and the endgame (64
    lanes) ran for a few such paths.
    """
    e = pdata["e"]
    m = 1.0 + jnp.log10(jnp.maximum(jnp.max(e), 1.0))
    tr = jnp.clip(jnp.real(t), 0.0, 1.0)
    s, ds = 1.0 - tr**m, -m * tr ** (m - 1.0)
    w = jnp.where(e > 0, s**e, 1.0)
    dw = jnp.where(e > 0, e * s ** jnp.where(e > 0, e - 1, 0.0), 0.0)
    return w, dw, ds


@functools.cache
def _polyhedral_fn(n_equations: int, max_degree: int) -> HomotopyFn:
    """The cell homotopies by monomial tables (supports too large to unroll)."""

    def fn(data: Any, pdata: Any, X: jax.Array, t: jax.Array):
        w, dw, ds = _cell_weights(pdata, t)
        x, dx = _monomials(data["E"], X, max_degree)
        mono, dmono = data["c"] * x, data["c"][:, None] * dx
        M = data["M"]
        H = jnp.concatenate([M @ (mono * w), (data["a"] @ X - 1)[None]])
        Hx = jnp.concatenate([M @ (dmono * w[:, None]), data["a"][None, :]])
        Ht = jnp.concatenate([ds * (M @ (mono * dw)), jnp.zeros(1, X.dtype)])
        return H, Hx, Ht

    return fn


@functools.cache
def _polyhedral_unrolled(E: sparse.Support, equation: tuple[int, ...]) -> HomotopyFn:
    """The cell homotopies unrolled over the support (see :mod:`.sparse`)."""

    def fn(data: Any, pdata: Any, X: jax.Array, t: jax.Array):
        w, dw, ds = _cell_weights(pdata, t)
        c = data["c"]
        F, J, G = sparse.weighted_sums(E, equation, X, c * w, c * dw)
        H = jnp.concatenate([F, (data["a"] @ X - 1)[None]])
        Hx = jnp.concatenate([J, data["a"][None, :]])
        Ht = jnp.concatenate([ds * G, jnp.zeros(1, X.dtype)])
        return H, Hx, Ht

    return fn


@functools.cache
def _family_kernels(max_degree: int) -> tuple[Kernel, DirectionalKernel]:
    """Kernels of ``F_i(X; c) = sum_j M_ij c_j X^E_j``: one parameter per term (linear in ``c``)."""

    def kernel(data: Any, X: jax.Array, c: jax.Array) -> tuple[jax.Array, jax.Array]:
        x, dx = _monomials(data["E"], X, max_degree)
        M = data["M"]
        return M @ (c * x), jnp.concatenate([M @ (c[:, None] * dx), M * x[None, :]], axis=1)

    def directional(data: Any, X: jax.Array, c: jax.Array, dc: jax.Array):
        x, dx = _monomials(data["E"], X, max_degree)
        M = data["M"]
        return M @ (c * x), M @ (c[:, None] * dx), M @ (dc * x)

    return kernel, directional


def coefficient_family(family: System, exponents: np.ndarray, equation: np.ndarray) -> System:
    """``family`` (one parameter per term) evaluated by monomial tables, not unrolled terms.

    The generic text kernel unrolls every term and differentiates it by forward mode: the
    tracker program of cyclic-7's 50-coefficient family took 11-16 s to compile per batch width;
    for cyclic-6 at 256 lanes the table kernel compiles in 2.8 s against 5.2 s.
    ``exponents`` are homogenized (first column the power of ``x0``), one row per parameter.
    """
    n = int(equation.max()) + 1
    M = np.zeros((n, len(equation)), complex)
    M[equation, np.arange(len(equation))] = 1.0
    if sparse.small(exponents):
        kernel, directional = sparse.family_kernels(*sparse.support_key(exponents, equation))
    else:
        kernel, directional = _family_kernels(int(exponents.max()))
    data = {"E": jnp.asarray(exponents), "M": jnp.asarray(M), "scale": np.ones(n)}
    return replace(family, kernel=kernel, data=data, directional_kernel=directional)


def polyhedral_homotopy(
    exponents: np.ndarray,
    equation: np.ndarray,
    coefficients: np.ndarray,
    powers: np.ndarray,
    log_y: np.ndarray,
    a: np.ndarray,
) -> tuple[Homotopy, np.ndarray]:
    """Stage 1 of the polyhedral homotopy (Huber & Sturmfels 1995), one mixed cell per path.

    For the cell with inner normal ``alpha`` the substitution ``x = s^alpha y`` turns the
    random-coefficient system ``sum_a c_a x^a s^w(a)`` into ``sum_a c_a y^a s^e(a)`` (divided by
    the lowest power): the cell's two terms per equation have ``e = 0``, so at ``s = 0`` it is the
    cell's binomial system, and at ``s = 1`` it is the random-coefficient system itself (``y = x``).
    ``powers`` holds each path's ``e`` (``(B, terms)``, scaled so the smallest positive is 1);
    tracker time is ``t = (1 - s)^(1/m)`` (see ``_polyhedral_fn``). Terms are homogenized
    (``exponents`` start with the power of ``x0``) and paths lie on the patch ``a . X = 1``.
    Returns the homotopy and the start points.
    """
    n = int(equation.max()) + 1
    M = np.zeros((n, len(equation)))
    M[equation, np.arange(len(equation))] = 1.0
    data = {
        "E": jnp.asarray(exponents),
        "c": jnp.asarray(coefficients, dtype=complex),
        "M": jnp.asarray(M, dtype=complex),
        "a": jnp.asarray(a),
    }
    if sparse.small(exponents):
        fn = _polyhedral_unrolled(*sparse.support_key(exponents, equation))
    else:
        fn = _polyhedral_fn(n, int(exponents.max()))
    X0 = to_patch(np.exp(log_y), a)
    return Homotopy(fn, data, {"e": jnp.asarray(powers)}, n + 1), X0
