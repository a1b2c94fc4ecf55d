"""The squared-error loss L(θ) = Σ_j ‖f_θ(x_j) − y_j‖², its residuals and its Hessian signature.

Compiled once per architecture (JAX); a stratum θ = B·u reuses its network's functions. The
Hessian is read only at critical points: away from them its signs mean nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..jaxconfig import ensure_x64
from ..nag.numerics import matrix_rank
from ..parametrization.numeric import forward_fn

DEFAULT_TOL = 1e-6  # gradient tolerance, relative to the loss scale Σ_j ‖y_j‖²


@functools.lru_cache(maxsize=64)
def loss_function(arch: Architecture) -> Any:
    """JIT-compiled ``L(θ, X, Y) = Σ_j ‖f_θ(x_j) − y_j‖²`` (cached per architecture)."""
    f = jax.vmap(forward_fn(arch), in_axes=(None, 0))

    def loss(theta: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
        r = f(theta, X) - Y
        return jnp.sum(r * r)

    return jax.jit(loss)


@functools.lru_cache(maxsize=64)
def residual_functions(arch: Architecture) -> tuple[Any, Any, Any]:
    """Residual r(θ) = f_θ(X) − Y (flat), its Jacobian, and ∇²L; compiled once per
    architecture (a stratum θ = B·u reuses them, so its strata share one compilation)."""
    f = jax.vmap(forward_fn(arch), in_axes=(None, 0))

    def residual(theta: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
        return (f(theta, X) - Y).reshape(-1)

    return (
        jax.jit(residual),
        jax.jit(jax.jacfwd(residual)),
        jax.jit(jax.hessian(loss_function(arch))),
    )


def gradient_tolerance(Y: Any, rtol: float = DEFAULT_TOL) -> float:
    """``rtol · Σ_j ‖y_j‖²``: the loss of the zero function sets the scale of L and ∇L.

    >>> round(gradient_tolerance([[3.0], [4.0]], 1e-6), 12)
    2.5e-05
    """
    scale = float(np.sum(np.asarray(Y, dtype=float) ** 2))
    return rtol * scale if scale > 0 else rtol


@dataclasses.dataclass(frozen=True)
class HessianSignature:
    """Signs of the eigenvalues of ∇²L at θ, with the gradient that decides whether they mean
    anything: a Hessian type is given only where ‖∇L‖ ≤ ``gradient_tolerance``.

    ``fiber_dim`` is dim ker dΦ for Φ(θ) = (f_θ(x_j))_j, and ``constant_rank`` says that rank dΦ
    is maximal at θ, hence constant nearby. Then Φ is locally a submersion onto a manifold
    followed by an immersion, L is constant along the fiber, and ∇²L is the pull-back of a
    Hessian on that manifold: when exactly ``fiber_dim`` eigenvalues vanish, the other signs
    decide (a Morse–Bott minimum). Otherwise zero eigenvalues leave the type to higher order.
    """

    positive: int
    negative: int
    zero: int
    tolerance: float
    gradient_norm: float = 0.0
    gradient_tolerance: float = math.inf
    fiber_dim: int | None = None
    constant_rank: bool = False

    @property
    def critical(self) -> bool:
        return self.gradient_norm <= self.gradient_tolerance

    @property
    def classification(self) -> str:
        if not self.critical:
            return "not a critical point"
        if self.negative and self.positive:
            return "saddle"  # decided at second order, whatever the zero eigenvalues
        if self.zero and not (self.constant_rank and self.zero == self.fiber_dim):
            return "degenerate"
        if not self.negative and not self.positive:
            return "degenerate"
        return "minimum" if not self.negative else "maximum"

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out = {k: None if v == math.inf else v for k, v in out.items()}  # JSON has no inf
        return out | {"critical": self.critical, "classification": self.classification}

    def describe(self) -> str:
        if not self.critical:
            return (
                f"not a critical point (‖∇L‖ = {self.gradient_norm:.3g} > "
                f"{self.gradient_tolerance:.3g}): no Hessian type"
            )
        counts = f"{self.positive} positive, {self.negative} negative, {self.zero} zero"
        c = self.classification
        if c == "degenerate":
            why = (
                f"{self.zero} zero eigenvalues, the fiber of θ ↦ f_θ(X) has dimension "
                f"{self.fiber_dim}{'' if self.constant_rank else ' and dΦ drops rank here'}"
            )
            return f"Hessian: {counts} eigenvalues → degenerate ({why}: sign undecided)"
        if self.zero and c != "saddle":
            return (
                f"Hessian: {counts} eigenvalues → {c} (Morse–Bott: the {self.zero} zero "
                "eigenvalues are the directions of the fiber)"
            )
        return f"Hessian: {counts} eigenvalues → {c}"


def hessian_signature(
    arch: Architecture, theta: Any, X: Any, Y: Any, *, rtol: float = DEFAULT_TOL
) -> HessianSignature:
    """Signs of the eigenvalues of ∇²L at θ, and ‖∇L(θ)‖ against ``rtol · Σ‖y‖²``.

    An eigenvalue counts as zero when |λ| ≤ max(1e-8·max|λ|, 10·min(‖∇L‖, tolerance)·max(1, ‖θ‖)):
    near a critical point the Hessian along a fiber of L is of the order of the gradient.
    """
    ensure_x64()  # residual_functions is cached: it may not reach forward_fn
    residual, jacobian, hessian = residual_functions(arch)
    th, Xj = jnp.asarray(np.asarray(theta, dtype=float)), jnp.asarray(np.asarray(X, dtype=float))
    Yj = jnp.asarray(np.asarray(Y, dtype=float).reshape(Xj.shape[0], arch.n_outputs))
    J = np.asarray(jacobian(th, Xj, Yj))
    g = 2.0 * J.T @ np.asarray(residual(th, Xj, Yj))
    gnorm = float(np.linalg.norm(g))
    H = np.asarray(hessian(th, Xj, Yj))
    eig = np.linalg.eigvalsh((H + H.T) / 2)
    gtol = gradient_tolerance(Yj, rtol)
    # capped at the tolerance: a point that is not critical gets no type, but readable counts
    drift = 10 * min(gnorm, gtol) * max(1.0, float(np.linalg.norm(th)))
    tol = max(1e-8 * max(1.0, float(np.abs(eig).max())), drift)
    rank = matrix_rank(J, 1e-9)[0]
    random_theta = jnp.asarray(np.random.default_rng(0).standard_normal(arch.n_params))
    generic_rank = matrix_rank(np.asarray(jacobian(random_theta, Xj, Yj)), 1e-9)[0]
    return HessianSignature(
        int(np.sum(eig > tol)),
        int(np.sum(eig < -tol)),
        int(np.sum(np.abs(eig) <= tol)),
        tol,
        gradient_norm=gnorm,
        gradient_tolerance=gtol,
        fiber_dim=arch.n_params - rank,
        constant_rank=rank >= generic_rank,
    )
