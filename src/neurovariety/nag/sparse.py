"""Sums of weighted monomials over a static support, unrolled: ``sum_j w_j X^E_j`` and its
derivatives, for the polyhedral homotopy's two stages (weights ``c_j s^e_j`` in the cell
homotopies, ``c_j(t)`` on the coefficient family).

The exponents are Python integers at trace time, so every power, product and sum is one
elementwise operation over the batch of lanes, and XLA fuses them into a few loops. The table
form (powers stacked, then gathered with the exponent matrix, partial derivatives by cumulative
products, sums by a 0/1 matrix product) costs about 10 µs a lane per evaluation on cyclic-7's
50 terms, against the 8×8 linear solve's 1.6 µs: gathers are scalar loops on the CPU, and the
0/1 product multiplies mostly zeros. Unrolled it costs 0.5-2 µs (``benchmarks/RESULTS.md``,
polyhedral section). Above ``UNROLL_LIMIT`` (terms times unknowns) the program would take
long to compile; callers keep the table form there.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

#: Largest ``terms * unknowns`` evaluated unrolled (the sparse text kernel's limit).
UNROLL_LIMIT = 20000

Support = tuple[tuple[int, ...], ...]


def monomials(E: Support, X: jax.Array) -> tuple[list[Any], list[list[tuple[int, Any]]]]:
    """``X^E_j`` for every row ``j`` of ``E`` and its non-zero partials ``(k, d/dX_k X^E_j)``.

    Powers are shared between terms; a product with all but one factor comes from prefix and
    suffix products (no division: coordinates may be zero).
    """
    powers: dict[tuple[int, int], Any] = {}

    def pw(k: int, e: int) -> Any:
        if (k, e) not in powers:
            powers[(k, e)] = X[k] if e == 1 else pw(k, e - 1) * X[k]
        return powers[(k, e)]

    values: list[Any] = []
    partials: list[list[tuple[int, Any]]] = []
    one = jnp.ones((), X.dtype)
    for row in E:
        supp = [(k, e) for k, e in enumerate(row) if e > 0]
        factors = [pw(k, e) for k, e in supp]
        prefix = [one]
        for f in factors:
            prefix.append(prefix[-1] * f)
        values.append(prefix[-1])
        dm: list[tuple[int, Any]] = []
        suffix: Any = one
        for i in range(len(supp) - 1, -1, -1):
            k, e = supp[i]
            lower = e * pw(k, e - 1) if e > 1 else one
            dm.append((k, prefix[i] * suffix * lower))
            suffix = suffix * factors[i]
        partials.append(dm)
    return values, partials


def weighted_sums(
    E: Support, equation: tuple[int, ...], X: jax.Array, w: jax.Array, v: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``F_i = sum_{j in i} w_j X^E_j``, its Jacobian in ``X`` and ``G_i = sum_{j in i} v_j X^E_j``.

    ``equation[j]`` is the equation of term ``j``; ``w`` and ``v`` are ``(terms,)`` arrays.
    """
    return _sums(equation, *monomials(E, X), X, w, v)


def _sums(
    equation: tuple[int, ...],
    values: list[Any],
    partials: list[list[tuple[int, Any]]],
    X: jax.Array,
    w: jax.Array,
    v: jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    n, n1 = max(equation) + 1, X.shape[0]
    zero = jnp.zeros((), X.dtype)
    F: list[Any] = [zero] * n
    G: list[Any] = [zero] * n
    J: list[list[Any]] = [[zero] * n1 for _ in range(n)]
    for j, (i, m, dm) in enumerate(zip(equation, values, partials, strict=True)):
        F[i] = F[i] + w[j] * m
        G[i] = G[i] + v[j] * m
        for k, d in dm:
            J[i][k] = J[i][k] + w[j] * d
    return jnp.stack(F), jnp.stack([jnp.stack(row) for row in J]), jnp.stack(G)


def small(E: Any) -> bool:
    """Whether a support of this shape is evaluated unrolled."""
    return int(E.shape[0]) * int(E.shape[1]) <= UNROLL_LIMIT


def support_key(E: Any, equation: Any) -> tuple[Support, tuple[int, ...]]:
    """The hashable static form of a support (the key of the cached kernel factories)."""
    return tuple(tuple(int(x) for x in row) for row in E), tuple(int(i) for i in equation)


@functools.cache
def family_kernels(E: Support, equation: tuple[int, ...]) -> tuple[Any, Any]:
    """Kernel and directional kernel of ``F_i(X; c) = sum_{j in i} c_j X^E_j`` (unrolled)."""

    def kernel(data: Any, X: jax.Array, c: jax.Array) -> tuple[jax.Array, jax.Array]:
        values, partials = monomials(E, X)  # once: the parameter columns are the monomials
        F, JX, _ = _sums(equation, values, partials, X, c, c)
        zero = jnp.zeros((), X.dtype)
        n = JX.shape[0]
        Jc = [[zero] * len(E) for _ in range(n)]
        for j, (i, m) in enumerate(zip(equation, values, strict=True)):
            Jc[i][j] = m
        return F, jnp.concatenate([JX, jnp.stack([jnp.stack(r) for r in Jc])], axis=1)

    def directional(data: Any, X: jax.Array, c: jax.Array, dc: jax.Array):
        return weighted_sums(E, equation, X, c, dc)

    return kernel, directional
