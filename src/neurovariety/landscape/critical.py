"""Critical points of L(θ) = Σ_j ‖f_θ(x_j) − y_j‖² inside subnetwork strata, and exposure.

A critical point of L lying in a stratum is in particular critical for L restricted to the
stratum. So: find a critical point of the restricted loss, then test the full gradient. Strata
of a unit (an MLP neuron, a convolution's hidden channel) with a lifting certificate
(:mod:`.lifting`, Razor arXiv:2505.11846) take a critical point of the smaller network and lift
it; the certificate proves the lift critical for every dataset. Zero-padded filters have no such
argument: at a critical point of a padded filter the gradient in the padded directions is
generically non-zero (Razor), so there the verdict is an estimate over random datasets, with its
Wilson interval.

The loss, its residuals and the Hessian signature live in :mod:`.loss`; the names stay
importable from here.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..errors import OptionError
from ..invariants.strata import Stratum
from ..jaxconfig import ensure_x64
from ..results import Certainty, Graded, Provenance, Result, Verdict
from .lifting import LiftingCertificate, lift_theta, lifting_certificate, unit_lifts
from .loss import (
    DEFAULT_TOL,
    HessianSignature,
    gradient_tolerance,
    hessian_signature,
    loss_function,
    residual_functions,
)

__all__ = [
    "DEFAULT_TOL",
    "CriticalPointResult",
    "ExposureResult",
    "HessianSignature",
    "LiftingCertificate",
    "critical_exposure",
    "gradient_tolerance",
    "hessian_signature",
    "lifting_certificate",
    "loss_function",
    "stratum_critical_point",
    "wilson_interval",
]

# ‖f_θ(X)‖ below this times ‖Y‖: θ is taken to compute the zero function. Not larger: a genuine
# best fit can be small (cnn k=3,3 x^2, padding 2|0 2|0: ‖f‖ = 0.0034·‖Y‖ for seed 0).
ZERO_FUNCTION_RTOL = 1e-6
MAX_PARAMETER_NORM = 1e4  # larger: the optimizer runs to infinity (the manifold is not closed)


class _Escaped(Exception):
    pass


# -- critical points on a stratum ------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False)
class CriticalPointResult(Result, Provenance, Graded):
    """A critical point of the restricted loss on a stratum, tested for the full network.

    ``gradient_norm`` etc. are None when no critical point of the restricted loss was found
    (``note`` says why); ``hessian`` is None unless the point is critical for the full loss.
    ``certainty``: ``numerical`` for a verdict read off one dataset's gradient, ``proven`` for a
    stratum that computes only 0 (not critical away from the zero fiber, for every dataset),
    ``unknown`` when nothing was decided.
    """

    stratum: str
    verdict: Verdict
    loss: float | None
    gradient_norm: float | None
    normal_gradient_norm: float | None
    restricted_gradient_norm: float | None
    tolerance: float
    gradient_tolerance: float
    hessian: HessianSignature | None
    theta: list[float]
    certificate: LiftingCertificate
    note: str

    def title(self) -> str:
        return f"CriticalPointResult  {self.architecture}  [{self.stratum}]"

    def bullets(self) -> list[str]:
        gt = self.gradient_tolerance
        if self.gradient_norm is None:
            b = [f"critical for the full network: {self.verdict.value} ({self.note})"]
        else:
            b = [
                f"critical for the full network: {self.verdict.value} "
                f"(‖∇L‖ = {self.gradient_norm:.3g}, tolerance {gt:.3g} = {self.tolerance:g}·Σ‖y‖²)",
                f"gradient off the stratum {self.normal_gradient_norm:.3g}, along it "
                f"{self.restricted_gradient_norm:.3g}; loss {self.loss:.6g}",
            ]
            if self.hessian is not None:
                b.append(self.hessian.describe())
            elif self.gradient_norm > gt:
                b.append(f"not a critical point (‖∇L‖ = {self.gradient_norm:.3g} > {gt:.3g})")
        b.append(f"certainty: {self.certainty.value} — {_CERTAINTY_REASON[self.certainty]}")
        if self.certificate.proven:
            b.append(f"for every dataset, proven: {self.certificate.summary}")
        else:
            b.append(f"no proof for every dataset: {self.certificate.statement}")
        if self.note and self.gradient_norm is not None:
            b.append(self.note)
        b.append(self.provenance_bullet())
        return b


_CERTAINTY_REASON = {
    Certainty.NUMERICAL: "the gradient at one critical point of the restricted loss, for this "
    "dataset",
    Certainty.PROVEN: "the stratum computes only the zero function",
    Certainty.UNKNOWN: "no verdict for this dataset",
}


def _admissible(arch: Architecture, X: jax.Array, Y: jax.Array) -> Callable[[np.ndarray], bool]:
    """Away from the zero fiber (Razor's statements exclude it: there f = 0, and with two zero
    layers every gradient vanishes) and from infinity. Decided on the function, not on layer
    norms: for a non-homogeneous σ there is no rescaling, and a small last layer times a large
    first one is a genuine, non-zero function."""
    residual = residual_functions(arch)[0]
    ynorm = float(jnp.linalg.norm(Y))

    def ok(theta: np.ndarray) -> bool:
        if not np.all(np.isfinite(theta)) or np.linalg.norm(theta) > MAX_PARAMETER_NORM:
            return False
        fx = np.asarray(residual(jnp.asarray(theta), X, Y)) + np.asarray(Y).reshape(-1)
        return float(np.linalg.norm(fx)) > ZERO_FUNCTION_RTOL * max(ynorm, 1e-300)

    return ok


def _minimize(
    arch: Architecture,
    B: np.ndarray,
    X: jax.Array,
    Y: jax.Array,
    rng: np.random.Generator,
    gtol: float,
    restarts: int = 10,
) -> np.ndarray | None:
    """A critical point u of L(B·u) away from the zero fiber and from infinity: Levenberg–
    Marquardt on the residuals, then Newton steps (pseudo-inverse: fibers make ∇² singular) for
    a tight gradient; the best of up to ``restarts`` random starts by gradient norm, or None."""
    import scipy.optimize  # here, not at import: 0.6 s that `edd` and the CLI need not pay

    residual, jacobian, hessian = residual_functions(arch)
    admissible = _admissible(arch, X, Y)
    Bj = np.asarray(B, dtype=float)
    m, k = int(np.prod(Y.shape)), Bj.shape[1]

    def r(u: np.ndarray) -> np.ndarray:
        if not np.linalg.norm(u) <= MAX_PARAMETER_NORM:
            raise _Escaped  # towards a limit point outside the manifold: this start is lost
        return np.asarray(residual(jnp.asarray(Bj @ u), X, Y))

    def jr(u: np.ndarray) -> np.ndarray:
        return np.asarray(jacobian(jnp.asarray(Bj @ u), X, Y)) @ Bj

    def grad(u: np.ndarray) -> np.ndarray:
        return 2.0 * jr(u).T @ r(u)

    best, best_g = None, math.inf
    for _ in range(restarts):
        u0 = rng.standard_normal(k)
        try:
            sol = scipy.optimize.least_squares(
                r,
                u0,
                jac=jr,
                method="lm" if m >= k else "trf",
                xtol=1e-10,
                ftol=1e-10,
                gtol=1e-10,
                max_nfev=30 * (k + 1),  # converging starts need far fewer; the rest escape
            )
        except _Escaped:
            continue
        u = sol.x
        if not admissible(Bj @ u):
            continue
        g = grad(u)
        for _ in range(8):  # Newton polishing
            if np.linalg.norm(g) <= gtol / 100:
                break
            H = Bj.T @ np.asarray(hessian(jnp.asarray(Bj @ u), X, Y)) @ Bj
            step = np.linalg.lstsq(H, -g, rcond=1e-12)[0]
            g_new = grad(u + step)
            if not np.linalg.norm(g_new) < np.linalg.norm(g):
                break
            u, g = u + step, g_new
        gn = float(np.linalg.norm(g))
        if admissible(Bj @ u) and gn < best_g:
            best, best_g = np.asarray(u), gn
        if best_g <= gtol / 100:
            break
    return best


def _project(B: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Orthogonal projection of g onto the stratum's span (B has disjoint 0/1 columns)."""
    return B @ ((B.T @ g) / B.sum(axis=0))


def _critical_theta(
    arch: Architecture,
    stratum: Stratum,
    cert: LiftingCertificate,
    X: jax.Array,
    Y: jax.Array,
    rng: np.random.Generator,
    gtol: float,
) -> tuple[np.ndarray | None, str]:
    """A critical point of the loss restricted to ``stratum`` (lifted from the smaller network
    when the certificate is proven), or None and why none was found."""
    red = stratum.reduced
    assert red is not None
    if cert.proven:
        u = _minimize(red, np.eye(red.n_params), X, Y, rng, gtol)
        if u is None:
            return None, f"no critical point of the {red.spec} loss away from the zero fiber found"
        lift = next(lf for lf in unit_lifts(arch, stratum) if lf.text == cert.lifts)
        e = (
            rng.uniform(0.2, 0.8, lift.n_free)
            if lift.family == "split"
            else rng.standard_normal(lift.n_free)
        )
        return lift_theta(lift, u, e), ""
    v = _minimize(arch, stratum.basis, X, Y, rng, gtol)
    if v is None:
        return None, (
            "no critical point of the restricted loss away from the zero fiber found "
            "(every start ran to infinity or to the zero function)"
        )
    return stratum.basis @ v, ""


def _gradient_verdict(
    arch: Architecture, B: np.ndarray, theta: np.ndarray, X: jax.Array, Y: jax.Array, gtol: float
) -> tuple[Verdict, dict[str, Any]]:
    """Is θ critical for the full loss? ``yes`` below ``gtol``; ``no`` when the gradient along
    the stratum (span B) is below it and the gradient off it 100 times above; else ``unknown``."""
    residual, jacobian, _ = residual_functions(arch)
    th = jnp.asarray(theta)
    res = np.asarray(residual(th, X, Y))
    g = 2.0 * np.asarray(jacobian(th, X, Y)).T @ res
    along_g = _project(B, g)
    normal, along = float(np.linalg.norm(g - along_g)), float(np.linalg.norm(along_g))
    total = float(np.linalg.norm(g))
    if total <= gtol:
        verdict = Verdict.YES
    elif along <= gtol and normal >= 100 * gtol:
        verdict = Verdict.NO
    else:
        verdict = Verdict.UNKNOWN
    return verdict, {
        "loss": float(res @ res),
        "gradient_norm": total,
        "normal_gradient_norm": normal,
        "restricted_gradient_norm": along,
    }


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

    Unit strata with a lifting certificate: a critical point of the smaller network, lifted
    (its free weights drawn from ``seed``). Otherwise a critical point of L(B·u). Verdict
    ``yes``: ‖∇L‖ ≤ ``tol``·Σ‖y‖². ``no``: the gradient along the stratum is below that and the
    gradient off it at least 100 times more. Else ``unknown`` (also when no critical point of
    the restricted loss away from the zero fiber was found: then the fields are None). The
    Hessian is computed only at critical points.

    >>> import numpy as np
    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.strata import parse_stratum
    >>> f = parse_architecture("mlp 2-2-1 x^2")
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((8, 2)), rng.standard_normal((8, 1))
    >>> r = stratum_critical_point(f, parse_stratum(f, "inactive-out layer 1 neurons 0"), X, Y)
    >>> r.verdict.value, r.normal_gradient_norm, r.certificate.proven, r.certainty.value
    ('yes', 0.0, True, 'numerical')
    """
    t0 = time.perf_counter()
    ensure_x64()
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
        raise OptionError("the data contain NaN or infinite values; give finite X and Y")
    Xj = jnp.asarray(X)
    Yj = jnp.asarray(Y.reshape(Xj.shape[0], arch.n_outputs))
    gtol = gradient_tolerance(Yj, tol)
    cert = lifting_certificate(arch, stratum)
    common: dict[str, Any] = {"architecture": arch.spec, "stratum": stratum.name, "seed": seed}
    common |= {"tolerance": tol, "gradient_tolerance": gtol, "certificate": cert}
    empty: dict[str, Any] = dict.fromkeys(
        ("loss", "gradient_norm", "normal_gradient_norm", "restricted_gradient_norm", "hessian")
    )
    if stratum.reduced is None:  # decided, not unknown: every point of the stratum computes 0
        return CriticalPointResult(
            **common,
            **empty,
            verdict=Verdict.NO,
            theta=[],
            note=cert.statement,
            certainty=Certainty.PROVEN,
            seconds=time.perf_counter() - t0,
        )
    theta, why = _critical_theta(arch, stratum, cert, Xj, Yj, np.random.default_rng(seed), gtol)
    if theta is None:
        return CriticalPointResult(
            **common,
            **empty,
            verdict=Verdict.UNKNOWN,
            theta=[],
            note=why,
            certainty=Certainty.UNKNOWN,
            seconds=time.perf_counter() - t0,
        )
    verdict, norms = _gradient_verdict(arch, stratum.basis, theta, Xj, Yj, gtol)
    critical = verdict is Verdict.YES
    sig = hessian_signature(arch, theta, Xj, Yj, rtol=tol) if hessian and critical else None
    undecided = verdict is Verdict.UNKNOWN
    return CriticalPointResult(
        **common,
        **norms,
        verdict=verdict,
        hessian=sig,
        theta=[float(x) for x in theta],
        note="the restricted optimization did not converge" if undecided else "",
        certainty=Certainty.UNKNOWN if undecided else Certainty.NUMERICAL,
        seconds=time.perf_counter() - t0,
    )


# -- exposure over datasets ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False)
class ExposureResult(Result, Provenance, Graded):
    """Whether a stratum carries critical points of the loss. ``certainty`` is ``proven`` where
    the answer holds for every dataset — the lifting certificate (exposed) or a stratum that
    computes only 0 (not exposed away from the zero fiber) — and ``numerical`` for an estimate:
    the fraction of random datasets, with a 95% Wilson interval. ``method`` (``proof``,
    ``zero fiber``, ``estimate``) is derived from the two. Under a proof the random datasets are
    a numerical check."""

    stratum: str
    certificate: LiftingCertificate
    trials: int
    exposed: int
    undecided: int
    fraction: float
    ci_low: float
    ci_high: float
    samples: int
    tolerance: float

    @property
    def proven(self) -> bool:
        """Exposure proven for every dataset (the lifting certificate)."""
        return self.certificate.proven

    @property
    def method(self) -> str:
        if self.proven:
            return "proof"
        return "zero fiber" if self.certainty is Certainty.PROVEN else "estimate"

    def title(self) -> str:
        return f"ExposureResult  {self.architecture}  [{self.stratum}]"

    def bullets(self) -> list[str]:
        counts = (
            f"{self.exposed}/{self.trials} random datasets ({self.fraction:.2f}, 95% Wilson "
            f"interval [{self.ci_low:.2f}, {self.ci_high:.2f}]); {self.undecided} undecided"
        )
        if self.proven:
            b = [
                "critically exposed, proven for every dataset whose smaller network has a "
                f"critical point away from 0: {self.certificate.summary}",
                f"numerical check: the lifted point is critical for {counts}",
            ]
        elif self.method == "zero fiber":
            b = [f"not exposed away from 0, for every dataset: {self.certificate.statement}"]
        else:
            b = [
                f"estimate: a critical point in the stratum for {counts}",
                f"no proof: {self.certificate.statement}",
            ]
        b.append(f"{self.samples} samples per dataset, gradient tolerance {self.tolerance:g}·Σ‖y‖²")
        b.append(self.provenance_bullet())
        return b


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
    """Is ``stratum`` critically exposed? Proven for every dataset where the lifting certificate
    holds (MLP neurons, convolution channels; Razor arXiv:2505.11846); else estimated over
    ``trials`` random Gaussian datasets (zero-padded filters: Razor says not exposed away
    from 0)."""
    if trials < 1:
        raise OptionError(f"trials={trials} must be ≥ 1; e.g. trials=20")
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
    cert = lifting_certificate(arch, stratum)
    decided = cert.proven or stratum.reduced is None
    return ExposureResult(
        architecture=arch.spec,
        stratum=stratum.name,
        certainty=Certainty.PROVEN if decided else Certainty.NUMERICAL,
        certificate=cert,
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
