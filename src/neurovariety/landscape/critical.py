"""Critical points of L(θ) = Σ_j ‖f_θ(x_j) − y_j‖² inside subnetwork strata.

A critical point of L lying in a stratum is in particular critical for L restricted to the
stratum. So: optimize the restricted loss to a critical point, then test the full gradient.

MLP (σ(0) = 0): put the stratum's extra neuron back with zero incoming row and zero outgoing
column. Its gradient entries are products with those zeros — exactly 0 in any arithmetic — and the
rest is the reduced network's gradient. So every critical point of the smaller network is a
critical point of the larger one, for every dataset (Razor: MLP strata are *critically exposed*).
CNN: at a critical point of a zero-padded filter the gradient in the padded directions is
generically non-zero, so the stratum carries no critical point for an open set of data.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..architectures.mlp import MLP
from ..errors import NeurovarietyError
from ..invariants.strata import Stratum, embed_neuron
from ..parametrization.numeric import forward_fn
from ..results import Result, Verdict

DEFAULT_TOL = 1e-6
ZERO_FIBER_NORM = 1e-2


@functools.lru_cache(maxsize=64)
def loss_function(arch: Architecture) -> Any:
    """JIT-compiled ``L(θ, X, Y) = Σ_j ‖f_θ(x_j) − y_j‖²`` (cached per architecture)."""
    f = jax.vmap(forward_fn(arch), in_axes=(None, 0))

    def loss(theta: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
        r = f(theta, X) - Y
        return jnp.sum(r * r)

    return jax.jit(loss)


@dataclasses.dataclass(frozen=True)
class HessianSignature:
    positive: int
    negative: int
    zero: int
    tolerance: float

    @property
    def classification(self) -> str:
        if self.negative and self.positive:
            return "saddle"
        if self.zero:
            return "degenerate " + ("minimum-like" if not self.negative else "maximum-like")
        return "minimum" if not self.negative else "maximum"


def hessian_signature(arch: Architecture, theta: Any, X: Any, Y: Any) -> HessianSignature:
    """Signs of the eigenvalues of ∇²L at θ; |λ| ≤ 1e-8·max|λ| counts as zero."""
    loss = loss_function(arch)
    H = np.asarray(jax.hessian(loss)(jnp.asarray(theta), jnp.asarray(X), jnp.asarray(Y)))
    eig = np.linalg.eigvalsh((H + H.T) / 2)
    tol = 1e-8 * max(1.0, float(np.abs(eig).max()))
    return HessianSignature(
        int(np.sum(eig > tol)), int(np.sum(eig < -tol)), int(np.sum(np.abs(eig) <= tol)), tol
    )


@dataclasses.dataclass(frozen=True, repr=False)
class CriticalPointResult(Result):
    """A critical point of the restricted loss on a stratum, tested for the full network."""

    architecture: str
    stratum: str
    verdict: Verdict
    loss: float
    gradient_norm: float
    normal_gradient_norm: float
    restricted_gradient_norm: float
    tolerance: float
    hessian: HessianSignature | None
    theta: list[float]
    seed: int
    seconds: float

    def title(self) -> str:
        return f"CriticalPointResult  {self.architecture}  [{self.stratum}]"

    def bullets(self) -> list[str]:
        b = [
            f"critical for the full network: {self.verdict.value} "
            f"(‖∇L‖ = {self.gradient_norm:.3g}, tolerance {self.tolerance:g})",
            f"gradient off the stratum {self.normal_gradient_norm:.3g}, along it "
            f"{self.restricted_gradient_norm:.3g}; loss {self.loss:.6g}",
        ]
        if self.hessian is not None:
            h = self.hessian
            b.append(
                f"Hessian: {h.positive} positive, {h.negative} negative, {h.zero} zero "
                f"eigenvalues → {h.classification}"
            )
        b.append(f"seed {self.seed} · {self.seconds:.3g} s")
        return b


@functools.lru_cache(maxsize=64)
def _derivatives(loss: Any) -> tuple[Any, Any]:
    return jax.jit(jax.grad(loss)), jax.jit(jax.hessian(loss))


def _away_from_zero(arch: Architecture, theta: np.ndarray) -> bool:
    """No layer's weights vanish: at such points f = 0 and every gradient is trivially small
    (Razor's statements are away from the zero fiber)."""
    return all(
        np.linalg.norm(theta[ly.offset : ly.offset + ly.n_params]) > ZERO_FIBER_NORM
        for ly in arch.layers
    )


def _minimize(
    loss: Any,
    rng: np.random.Generator,
    n: int,
    X: Any,
    Y: Any,
    gtol: float,
    admissible: Any,
    restarts: int = 6,
) -> np.ndarray | None:
    """A critical point of ``loss`` away from the zero fiber (BFGS, then Newton trust-region
    polishing): the best of up to ``restarts`` random starts by gradient norm, or None."""
    grad, hess = _derivatives(loss)

    def fun(u: np.ndarray) -> float:
        return float(loss(jnp.asarray(u), X, Y))

    def jac(u: np.ndarray) -> np.ndarray:
        return np.asarray(grad(jnp.asarray(u), X, Y))

    def hes(u: np.ndarray) -> np.ndarray:
        return np.asarray(hess(jnp.asarray(u), X, Y))

    import scipy.optimize  # here, not at import: 0.6 s that `edd` and the CLI need not pay

    best, best_g = None, math.inf
    for _ in range(restarts):
        x0 = rng.standard_normal(n)
        res = scipy.optimize.minimize(
            fun, x0, jac=jac, method="BFGS", options={"gtol": gtol, "maxiter": 2000}
        )
        x = res.x
        if n <= 200:  # polish with exact Newton steps (trust region) for a tight gradient
            res = scipy.optimize.minimize(
                fun, x, jac=jac, hess=hes, method="trust-exact", options={"gtol": gtol}
            )
            x = res.x
        g = float(np.linalg.norm(jac(x)))
        if not admissible(x):
            continue
        if g < best_g:
            best, best_g = np.asarray(x), g
        if best_g <= gtol:
            break
    return best


def stratum_critical_point(
    arch: Architecture,
    stratum: Stratum,
    X: Any,
    Y: Any,
    *,
    seed: int = 0,
    tol: float = DEFAULT_TOL,
    hessian: bool = True,
) -> CriticalPointResult:
    """Find a critical point of the loss restricted to ``stratum`` and test it for ``arch``.

    Verdict ``yes``: ‖∇L‖ ≤ tol at the point. ``no``: the restricted gradient is ≤ tol but the
    gradient off the stratum is ≥ 100·tol (the stratum's critical point is not critical). Else
    ``unknown`` (the restricted optimization did not converge).

    >>> import numpy as np
    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.strata import parse_stratum
    >>> f = parse_architecture("mlp 2-2-1 x^2")
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    >>> r = stratum_critical_point(f, parse_stratum(f, "inactive-out layer 1 neurons 0"), X, Y)
    >>> r.verdict.value, r.normal_gradient_norm
    ('yes', 0.0)
    """
    t0 = time.perf_counter()
    X = jnp.asarray(np.asarray(X, dtype=float))
    Y = jnp.asarray(np.asarray(Y, dtype=float).reshape(X.shape[0], arch.n_outputs))
    rng = np.random.default_rng(seed)
    if isinstance(arch, MLP) and arch.activation.coefficients[0] == 0:
        red = stratum.reduced
        if red is None:
            theta = np.zeros(arch.n_params)
        else:
            u = _minimize(
                loss_function(red),
                rng,
                red.n_params,
                X,
                Y,
                tol / 10,
                lambda v: _away_from_zero(red, v),
            )
            if u is None:
                return _undecided(arch, stratum, tol, seed, t0)
            i = stratum.layer
            rin = arch.layers[i - 1].pattern.shape[1]
            theta = embed_neuron(arch, i, u, np.zeros(rin), np.zeros(arch.layers[i].n_out))
        free = _embedded_free_mask(arch, stratum)
    else:
        B = stratum.basis
        restricted = _restricted_loss(arch, stratum)
        u = _minimize(
            restricted, rng, B.shape[1], X, Y, tol / 10, lambda v: _away_from_zero(arch, B @ v)
        )
        if u is None:
            return _undecided(arch, stratum, tol, seed, t0)
        theta = B @ u
        free = B.sum(axis=1) > 0
    loss = loss_function(arch)
    g = np.asarray(jax.grad(loss)(jnp.asarray(theta), X, Y))
    normal = float(np.linalg.norm(g[~free]))
    along = float(np.linalg.norm(g[free]))
    total = float(np.linalg.norm(g))
    if total <= tol:
        verdict = Verdict.YES
    elif along <= tol and normal >= 100 * tol:
        verdict = Verdict.NO
    else:
        verdict = Verdict.UNKNOWN
    sig = hessian_signature(arch, theta, X, Y) if hessian else None
    return CriticalPointResult(
        architecture=arch.spec,
        stratum=stratum.name,
        verdict=verdict,
        loss=float(loss(jnp.asarray(theta), X, Y)),
        gradient_norm=total,
        normal_gradient_norm=normal,
        restricted_gradient_norm=along,
        tolerance=tol,
        hessian=sig,
        theta=[float(t) for t in theta],
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def _undecided(
    arch: Architecture, stratum: Stratum, tol: float, seed: int, t0: float
) -> CriticalPointResult:
    nan = math.nan
    return CriticalPointResult(
        architecture=arch.spec,
        stratum=stratum.name,
        verdict=Verdict.UNKNOWN,
        loss=nan,
        gradient_norm=nan,
        normal_gradient_norm=nan,
        restricted_gradient_norm=nan,
        tolerance=tol,
        hessian=None,
        theta=[],
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def _embedded_free_mask(arch: MLP, stratum: Stratum) -> np.ndarray:
    """Parameters of the reduced network inside the full one (the rest are the extra neuron's)."""
    red = stratum.reduced
    if red is None:
        return np.zeros(arch.n_params, dtype=bool)
    i = stratum.layer
    rin = arch.layers[i - 1].pattern.shape[1]
    mark = embed_neuron(
        arch, i, np.ones(red.n_params), np.zeros(rin), np.zeros(arch.layers[i].n_out)
    )
    return mark > 0


@functools.lru_cache(maxsize=256)
def _restricted_loss(arch: Architecture, stratum: Stratum) -> Any:
    loss = loss_function(arch)
    Bj = jnp.asarray(stratum.basis)

    def restricted(u: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
        return loss(Bj @ u, X, Y)

    return jax.jit(restricted)


@dataclasses.dataclass(frozen=True, repr=False)
class ExposureResult(Result):
    """How often a stratum carries a critical point of the loss, over random datasets."""

    architecture: str
    stratum: str
    trials: int
    exposed: int
    undecided: int
    fraction: float
    ci_low: float
    ci_high: float
    samples: int
    tolerance: float
    seed: int
    seconds: float

    def title(self) -> str:
        return f"ExposureResult  {self.architecture}  [{self.stratum}]"

    def bullets(self) -> list[str]:
        return [
            f"critical points in the stratum for {self.exposed}/{self.trials} random datasets "
            f"({self.fraction:.2f}, 95% CI [{self.ci_low:.2f}, {self.ci_high:.2f}]); "
            f"{self.undecided} undecided",
            f"{self.samples} samples per dataset, gradient tolerance {self.tolerance:g}",
            f"seed {self.seed} · {self.seconds:.3g} s",
        ]


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n.

    >>> [round(v, 3) for v in wilson_interval(10, 10)]
    [0.722, 1.0]
    """
    if n == 0:
        return 0.0, 1.0
    phat = k / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def critical_exposure(
    arch: Architecture,
    stratum: Stratum,
    *,
    trials: int = 20,
    samples: int | None = None,
    seed: int = 0,
    tol: float = DEFAULT_TOL,
) -> ExposureResult:
    """Estimate the probability, over random Gaussian data, that ``stratum`` carries a critical
    point of the loss (Razor: MLP strata are critically exposed, CNN strata are not)."""
    if trials < 1:
        raise NeurovarietyError(f"trials={trials} must be ≥ 1")
    t0 = time.perf_counter()
    n = samples or max(2 * arch.n_params, 8)
    exposed = undecided = 0
    for t in range(trials):
        rng = np.random.default_rng([seed, t])
        X = rng.standard_normal((n, arch.n_inputs))
        Y = rng.standard_normal((n, arch.n_outputs))
        r = stratum_critical_point(arch, stratum, X, Y, seed=seed + t, tol=tol, hessian=False)
        exposed += r.verdict is Verdict.YES
        undecided += r.verdict is Verdict.UNKNOWN
    lo, hi = wilson_interval(exposed, trials)
    return ExposureResult(
        architecture=arch.spec,
        stratum=stratum.name,
        trials=trials,
        exposed=exposed,
        undecided=undecided,
        fraction=exposed / trials,
        ci_low=lo,
        ci_high=hi,
        samples=n,
        tolerance=tol,
        seed=seed,
        seconds=time.perf_counter() - t0,
    )
