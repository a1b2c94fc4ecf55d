"""Endpoints as points: deduplication (:func:`cluster`) and condition numbers of the Jacobian."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .system import System


def cluster(points: np.ndarray, tol: float) -> np.ndarray:
    """Group points closer than ``tol * max(1, |x|)`` (max-norm); returns a label per point.

    Examples
    --------
    >>> cluster(np.array([[1.0], [1.0 + 1e-12], [2.0]]), 1e-8).tolist()
    [0, 0, 1]
    """
    n = len(points)
    labels = -np.ones(n, dtype=int)
    if n == 0:
        return labels
    # Sort by a random projection so only neighbours in that order need comparing.
    rng = np.random.default_rng(0)
    v = rng.normal(size=points.shape[1]) + 1j * rng.normal(size=points.shape[1])
    key = (points @ v).real
    order = np.argsort(key)
    scale = np.maximum(1.0, np.max(np.abs(points), axis=1))
    radius = tol * scale * np.sum(np.abs(v))
    nxt = 0
    for a_pos, a in enumerate(order):
        if labels[a] >= 0:
            continue
        labels[a] = nxt
        for b in order[a_pos + 1 :]:
            if key[b] - key[a] > radius[a] + radius[b]:
                break
            if labels[b] < 0 and np.max(np.abs(points[b] - points[a])) <= tol * scale[a]:
                labels[b] = nxt
        nxt += 1
    return labels


def condition_numbers(system: System, X: np.ndarray, P: np.ndarray, a: np.ndarray) -> np.ndarray:
    """2-norm condition numbers of ``[dF/dX; a]`` (original equations plus the patch row).

    Rows of ``X`` are scaled to unit max-norm first, so the number does not depend on where the
    patch puts the point, and the equations' rows together so the largest has unit norm, like the
    patch row: otherwise the overall scale of high-degree equations (1e-8 at unit max-norm points
    is common) reads as ill-conditioning at perfectly regular solutions. The rows keep their
    relative sizes, so an equation whose gradient vanishes still shows as singular.
    """
    if X.shape[0] == 0:
        return np.zeros(0)
    n = system.n_variables
    Xn = X / np.maximum(np.max(np.abs(X), axis=1, keepdims=True), 1e-300)
    from .system import evaluate_batch  # here: result.py re-exports cluster, stays numpy-only

    _, Jz = evaluate_batch(system, Xn, P)
    J = Jz[:, :, : n + 1]
    top = np.max(np.linalg.norm(J, axis=2), axis=1)[:, None, None]
    J = J / np.maximum(top, 1e-300)
    M = np.concatenate([J, np.broadcast_to(a, (X.shape[0], 1, n + 1))], axis=1)
    with np.errstate(all="ignore"):
        sv = np.linalg.svd(M, compute_uv=False)
        cond = sv[:, 0] / sv[:, -1]
    return np.where(np.isfinite(cond), cond, np.inf)


def equilibrated_condition_numbers(system: System, X: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Condition numbers of the affine Jacobian ``dF/dx`` with rows and columns equilibrated.

    A regular solution gives a moderate number whatever the scales of its coordinates and of
    the equations; a singular one stays infinite under any diagonal scaling. The projective
    number of :func:`condition_numbers` also grows with the spread of ``|x_i|`` and the degrees
    (``x0^d`` factors): a regular solution of a degree-13 system at ``|x| ≈ 10`` reads 1e10 there.
    Points at infinity (``X[:, 0] = 0``) get ``inf``.
    """
    if X.shape[0] == 0:
        return np.zeros(0)
    n = system.n_variables
    with np.errstate(all="ignore"):
        x = X[:, 1:] / X[:, :1]
    finite = np.all(np.isfinite(x), axis=1)
    x = np.where(finite[:, None], x, 0)
    from .system import evaluate_batch

    _, Jz = evaluate_batch(system, np.concatenate([np.ones((X.shape[0], 1)), x], axis=1), P)
    J = Jz[:, :, 1 : n + 1]
    for axis in (2, 1, 2):  # rows, columns, rows again
        J = J / np.maximum(np.linalg.norm(J, axis=axis, keepdims=True), 1e-300)
    with np.errstate(all="ignore"):
        sv = np.linalg.svd(J, compute_uv=False)
        cond = sv[:, 0] / sv[:, -1]
    return np.where(finite & np.isfinite(cond), cond, np.inf)
