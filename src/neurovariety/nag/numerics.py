"""Two numerical primitives every layer shares: complex Gaussian draws and numerical rank.

They live here, at the lowest layer that needs them (``nag`` knows nothing of networks), so that
``parametrization``, ``invariants``, ``landscape`` and ``experiments`` import one definition.
Each caller keeps its own tolerance: the rule is shared, the threshold is the caller's choice.
"""

from __future__ import annotations

import numpy as np


def complex_gaussian(
    rng: np.random.Generator, shape: int | tuple[int, ...], *, standard: bool = True
) -> np.ndarray:
    """``a + i·b`` with ``a`` then ``b`` drawn standard normal from ``rng`` (this order).

    ``standard``: divided by √2, so that E|z|² = 1 (the standard complex Gaussian); otherwise
    the real and imaginary parts are each N(0, 1).

    >>> z = complex_gaussian(np.random.default_rng(0), (2, 3))
    >>> z.shape, z.dtype
    ((2, 3), dtype('complex128'))
    """
    z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return z / np.sqrt(2) if standard else z


def numerical_rank(
    singular_values: np.ndarray, rtol: float, *, atol: float = 0.0
) -> tuple[int, float | None]:
    """Rank from singular values sorted largest first, and the gap that decided it.

    A value counts when it exceeds ``max(rtol·σ_max, atol)`` (no value counts when σ_max is 0).
    The gap is σ_r/σ_{r+1}: ∞ when σ_{r+1} = 0, None when nothing was cut (every value counts,
    or there is none to count).

    >>> numerical_rank(np.array([2.0, 1.0, 1e-8]), 1e-6)
    (2, 100000000.0)
    """
    s = np.asarray(singular_values)
    if s.size == 0 or s[0] == 0:
        return 0, None
    cut = atol if rtol == 0 else max(rtol * s[0], atol)  # NaN in s[0] stays NaN: rank 0
    rank = int(np.count_nonzero(s > cut))
    if rank == s.size:
        return rank, None
    if rank == 0:
        return 0, None
    below = s[rank]
    return rank, float(s[rank - 1] / below) if below > 0 else float("inf")


def matrix_rank(M: np.ndarray, rtol: float, *, atol: float = 0.0) -> tuple[int, np.ndarray]:
    """Numerical rank of ``M`` (the rule of :func:`numerical_rank`) and its singular values."""
    s = np.linalg.svd(M, compute_uv=False)
    return numerical_rank(s, rtol, atol=atol)[0], s
