"""Critical points of L(θ) = Σ_j ‖f_θ(x_j) − y_j‖² inside subnetwork strata.

A critical point of L lying in a stratum is in particular critical for L restricted to the
stratum. So: find a critical point of the restricted loss, then test the full gradient.

MLP strata have a *lifting argument* (Razor, arXiv:2505.11846): a parameter u of the smaller
network is put into the stratum by a lift θ = λ(u, e) (e: the lift's free weights), and when

    f_{λ(u,e)} = f_red,u   and   ∂f/∂θ ∘ λ = A(e) · ∂f_red/∂u      (as polynomials in u, e, x)

the full gradient at the lift is ∇L(λ(u, e)) = A(e)·∇L_red(u): every critical point of the
smaller network's loss lifts to a critical point of the full loss, for every dataset. The
identity is checked exactly in Q[u, e, x] (:func:`lifting_certificate`); the lifts are

- inactive neuron, incoming row 0 and outgoing column e: the gradient of the row is
  σ'(0)·(…), so every such lift works when σ(0) = σ'(0) = 0 (σ = x^r, r ≥ 2);
- inactive neuron, incoming row e and outgoing column 0: the gradient of the column is
  Σ_j δ(x_j)·σ(e·h(x_j)), not 0 for e ≠ 0; only e = 0 (the whole neuron zero, σ(0) = 0) works;
- redundant pair: both rows equal the smaller network's row w, the outgoing column c split as
  t·c and (1 − t)·c: the rows' gradients are t and 1 − t times the smaller network's.

CNN strata (zero-padded filters) have no such argument: at a critical point of a padded filter the
gradient in the padded directions is generically non-zero (Razor), so there the verdict is an
estimate over random datasets, with its Wilson interval.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..architectures.mlp import MLP
from ..errors import NeurovarietyError
from ..invariants.strata import Stratum, embed_neuron
from ..jaxconfig import ensure_x64
from ..nag.numerics import matrix_rank
from ..parametrization.numeric import forward_fn
from ..results import Result, Verdict

DEFAULT_TOL = 1e-6  # gradient tolerance, relative to the loss scale Σ_j ‖y_j‖²
# ‖f_θ(X)‖ below this times ‖Y‖: θ is taken to compute the zero function. Not larger: a genuine
# best fit can be small (cnn k=3,3 x^2, padding 2|0 2|0: ‖f‖ = 0.0034·‖Y‖ for seed 0).
ZERO_FUNCTION_RTOL = 1e-6
MAX_PARAMETER_NORM = 1e4  # larger: the optimizer runs to infinity (the manifold is not closed)
MAX_CERTIFICATE_TERMS = 200_000  # polynomial terms of the exact lifting check
MAX_CERTIFICATE_WORK = 3 * 10**6  # terms σ(z) may have: refuse before expanding, not after


@functools.lru_cache(maxsize=64)
def loss_function(arch: Architecture) -> Any:
    """JIT-compiled ``L(θ, X, Y) = Σ_j ‖f_θ(x_j) − y_j‖²`` (cached per architecture)."""
    f = jax.vmap(forward_fn(arch), in_axes=(None, 0))

    def loss(theta: jax.Array, X: jax.Array, Y: jax.Array) -> jax.Array:
        r = f(theta, X) - Y
        return jnp.sum(r * r)

    return jax.jit(loss)


@functools.lru_cache(maxsize=64)
def _residual_functions(arch: Architecture) -> tuple[Any, Any, Any]:
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


# -- the Hessian, only at critical points ---------------------------------------------------


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
    ensure_x64()  # _residual_functions is cached: it may not reach forward_fn
    residual, jacobian, hessian = _residual_functions(arch)
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


# -- lifting certificates (MLP strata) ------------------------------------------------------

# A lift assigns each full parameter a value: ("u", k, c) = c·u_k, ("e", m, c) = e_m, or None (0),
# with c ∈ {"1", "t", "1-t"} and t = e_0. Its claimed Jacobian rule maps each full parameter to
# c·∂f_red/∂u_k, ("u", k, c), or to 0 (None).
_Rule = tuple[str, int, str] | None


@dataclasses.dataclass(frozen=True)
class _Lift:
    family: str
    text: str  # which lifts, in words
    n_free: int
    values: tuple[_Rule, ...]
    jacobian: tuple[_Rule, ...]


def _mlp_lifts(arch: MLP, stratum: Stratum) -> list[_Lift]:
    """Lifts of the reduced network into ``stratum``, most general first."""
    red = stratum.reduced
    assert isinstance(red, MLP)
    i = stratum.layer
    rin, dout = arch.layers[i - 1].pattern.shape[1], arch.layers[i].n_out
    n = arch.n_params

    def mark(kind: str, m: int) -> np.ndarray:
        out = np.empty(m, dtype=object)
        out[:] = [(kind, j) for j in range(m)]
        return out

    def embed(row: np.ndarray, col: np.ndarray) -> list[tuple[str, int]]:
        # embed_neuron copies entries, so it places symbolic markers as well as numbers
        return list(embed_neuron(arch, i, mark("u", red.n_params), row, col))

    placed = embed(mark("row", rin), mark("col", dout))
    ones: list[_Rule] = [("u", k, "1") if s == "u" else None for s, k in placed]
    lifts: list[_Lift] = []
    zero = _Lift(
        "zero", "the neuron's incoming row and outgoing column 0", 0, tuple(ones), tuple(ones)
    )
    if stratum.kind in ("inactive-out", "inactive-in"):
        # the most general lift first: the weights the stratum leaves free are free variables
        part, n_free, text = (
            ("row", rin, "outgoing column 0, incoming row arbitrary")
            if stratum.kind == "inactive-out"
            else ("col", dout, "incoming row 0, outgoing column arbitrary")
        )
        free: list[_Rule] = [
            ("e", k, "1") if s == part else r for (s, k), r in zip(placed, ones, strict=True)
        ]
        family = "row" if part == "row" else "column"
        lifts += [_Lift(family, text, n_free, tuple(free), tuple(ones)), zero]
    else:  # redundant: the new neuron 0 copies the reduced neuron 0 (full neuron 1)
        lin, lout = red.layers[i - 1], red.layers[i]
        w = [int(lin.offset + k) for k in lin.pattern[0, :]]
        c = [int(lout.offset + k) for k in lout.pattern[:, 0]]
        vals: list[_Rule] = [None] * n
        jac: list[_Rule] = [None] * n
        for j, (s, k) in enumerate(placed):
            if s == "u" and k in c:
                vals[j], jac[j] = ("u", k, "1-t"), ("u", k, "1")
            elif s == "u" and k in w:
                vals[j], jac[j] = ("u", k, "1"), ("u", k, "1-t")
            elif s == "u":
                vals[j] = jac[j] = ("u", k, "1")
            elif s == "row":
                vals[j], jac[j] = ("u", w[k], "1"), ("u", w[k], "t")
            else:
                vals[j], jac[j] = ("u", c[k], "t"), ("u", c[k], "1")
        lifts.append(
            _Lift(
                "split",
                "both rows equal, outgoing columns t·c and (1 − t)·c",
                1,
                tuple(vals),
                tuple(jac),
            )
        )
    return lifts


def _lift_theta(lift: _Lift, u: np.ndarray, e: np.ndarray) -> np.ndarray:
    t = float(e[0]) if lift.family == "split" else 0.0
    coef = {"1": 1.0, "t": t, "1-t": 1.0 - t}
    theta = np.zeros(len(lift.values))
    for j, rule in enumerate(lift.values):
        if rule is not None:
            src, k, c = rule
            theta[j] = coef[c] * (u[k] if src == "u" else e[k])
    return theta


class _TooLarge(Exception):
    pass


class _Escaped(Exception):
    pass


def _poly_jacobian(
    arch: Architecture, theta: list[Any], xs: list[Any], sigma: list[Any], one: Any
) -> tuple[list[Any], list[list[Any]]]:
    """Outputs f_o and ∂f_o/∂θ_j as polynomials, by the chain rule (reverse mode) over the
    polynomial entries ``theta``; ``sigma`` holds σ's coefficients, ascending."""
    dsigma = [k * c for k, c in enumerate(sigma)][1:]

    def horner(cs: list[Any], z: Any) -> Any:
        y = one * 0
        for c in reversed(cs):
            y = y * z + c
        return y

    hbs, zs = [], []
    h = list(xs)
    last = len(arch.layers) - 1
    for li, layer in enumerate(arch.layers):
        hb = h + ([one] if layer.bias else [])
        W = [[theta[layer.offset + k] if k >= 0 else None for k in row] for row in layer.pattern]
        z = [
            sum((w * v for w, v in zip(row, hb, strict=True) if w is not None), one * 0)
            for row in W
        ]
        if sum(len(p) for p in z) > MAX_CERTIFICATE_TERMS:
            raise _TooLarge
        # z^d has at most C(t + d − 1, d) terms for t terms of z
        if li < last and max(math.comb(len(p) + len(sigma) - 2, len(sigma) - 1) for p in z) > (
            MAX_CERTIFICATE_WORK
        ):
            raise _TooLarge
        hbs.append(hb)
        zs.append(z)
        h = z if li == last else [horner(sigma, p) for p in z]
    outputs = h
    jac: list[list[Any]] = []
    for o in range(arch.n_outputs):
        row = [one * 0] * arch.n_params
        g = [one if a == o else one * 0 for a in range(arch.layers[-1].n_out)]
        for li in range(last, -1, -1):
            layer = arch.layers[li]
            for a, prow in enumerate(layer.pattern):
                for b, k in enumerate(prow):
                    if k >= 0:
                        row[layer.offset + k] = row[layer.offset + k] + g[a] * hbs[li][b]
            if li == 0:
                break
            back = [one * 0] * layer.n_in
            for a, prow in enumerate(layer.pattern):
                for b, k in enumerate(prow[: layer.n_in]):
                    if k >= 0:
                        back[b] = back[b] + theta[layer.offset + k] * g[a]
            g = [bb * horner(dsigma, zz) for bb, zz in zip(back, zs[li - 1], strict=True)]
            if sum(len(p) for p in g) > MAX_CERTIFICATE_TERMS:
                raise _TooLarge
        jac.append(row)
    return outputs, jac


def _check_lift_exactly(arch: MLP, red: MLP, lift: _Lift) -> tuple[bool, int, str]:
    """Decide f∘λ = f_red and ∂f/∂θ∘λ = A·∂f_red/∂u in Q[u, e, x] (FLINT).

    Returns (holds, identities checked, the first failing parameter's role or "")."""
    import flint

    names = (
        *(f"u{k}" for k in range(red.n_params)),
        *(f"e{m}" for m in range(lift.n_free)),
        *(f"x{i}" for i in range(arch.n_inputs)),
    )
    ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
    gens = ctx.gens()
    u, e, xs = (
        gens[: red.n_params],
        gens[red.n_params : red.n_params + lift.n_free],
        gens[red.n_params + lift.n_free :],
    )
    one = ctx.from_dict({(0,) * len(names): 1})
    t = e[0] if lift.family == "split" else one * 0
    coef = {"1": one, "t": t, "1-t": one - t}
    sigma = [flint.fmpq(c.numerator, c.denominator) for c in arch.activation.coefficients]
    theta = []
    for rule in lift.values:
        if rule is None:
            theta.append(one * 0)
        else:
            src, k, c = rule
            theta.append(coef[c] * (u[k] if src == "u" else e[k]))
    f_full, J_full = _poly_jacobian(arch, theta, list(xs), sigma, one)
    f_red, J_red = _poly_jacobian(red, list(u), list(xs), sigma, one)
    checked = 0
    for o in range(arch.n_outputs):
        checked += 1
        if f_full[o] != f_red[o]:
            return False, checked, "the lift changes the function"
        for j, rule in enumerate(lift.jacobian):
            claim = one * 0 if rule is None else coef[rule[2]] * J_red[o][rule[1]]
            checked += 1
            if J_full[o][j] != claim:
                return False, checked, _role(arch, lift, j)
    return True, checked, ""


def _role(arch: MLP, lift: _Lift, j: int) -> str:
    rule = lift.values[j]
    if rule is None or rule[0] == "e":
        return "the gradient of the neuron's own weights is not identically 0"
    return "the gradient of the smaller network's weights changes"


@dataclasses.dataclass(frozen=True)
class LiftingCertificate:
    """Whether every lift (of a stated family) of a critical point of the smaller network's loss
    is a critical point of the full loss, for every dataset; and how that was decided."""

    proven: bool
    lifts: str  # the family of lifts the proof covers ("" when not proven)
    method: str
    statement: str
    refused: str = ""  # more general lifts that the exact check refuted

    @property
    def summary(self) -> str:
        also = f"; not at every lift with {self.refused}" if self.refused else ""
        return f"{self.statement} [{self.method}]{also}"


@functools.lru_cache(maxsize=256)
def lifting_certificate(arch: Architecture, stratum: Stratum) -> LiftingCertificate:
    """Decide the lifting argument for ``stratum`` exactly (see the module docstring).

    The families of lifts are tried from the most general; each is decided by expanding
    f∘λ − f_red and ∂f/∂θ∘λ − A·∂f_red/∂u in Q[u, e, x]: zero polynomials prove it, a non-zero
    one refutes it (for that family). Past :data:`MAX_CERTIFICATE_TERMS` terms the chain-rule
    argument is applied instead, its hypotheses (σ(0) = 0, σ'(0) = 0) checked on σ's rational
    coefficients.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.strata import parse_stratum
    >>> f = parse_architecture("mlp 2-2-1 x^2")
    >>> c = lifting_certificate(f, parse_stratum(f, "inactive-in layer 1 neurons 0"))
    >>> c.proven, c.lifts
    (True, 'incoming row 0, outgoing column arbitrary')
    """
    if not isinstance(arch, MLP):
        return LiftingCertificate(
            False,
            "",
            "none",
            "no lifting argument for zero-padded filters (Razor: CNN strata are not critically "
            "exposed away from the zero fiber)",
        )
    red = stratum.reduced
    if red is None:
        return LiftingCertificate(
            False,
            "",
            "none",
            "the stratum computes only the zero function: its critical points lie on the zero "
            "fiber, which Razor's statements exclude",
        )
    assert isinstance(red, MLP)
    c0, c1 = arch.activation.coefficients[0], arch.activation.coefficients[1:2]
    refuted: list[str] = []
    for lift in _mlp_lifts(arch, stratum):
        try:
            holds, checked, why = _check_lift_exactly(arch, red, lift)
            method = f"exact: {checked} polynomial identities in Q[u, e, x] (FLINT)"
        except _TooLarge:
            needs_c1 = lift.family == "column"
            holds = lift.family == "split" or (
                lift.family != "row" and c0 == 0 and (not needs_c1 or not c1 or c1[0] == 0)
            )
            checked, why = 0, "the chain rule: σ(0) or σ'(0) is not 0"
            method = "chain rule, σ's coefficients checked exactly (too large to expand)"
        if holds:
            return LiftingCertificate(
                True,
                lift.text,
                method,
                f"every critical point u of the {red.spec} loss, lifted with {lift.text}, is "
                "a critical point of the full loss (∇L(λ(u, e)) = A(e)·∇L_red(u))",
                "; ".join(refuted),
            )
        refuted.append(f"{lift.text} ({why}, decided exactly)")
    return LiftingCertificate(
        False,
        "",
        "exact: the lifting identity fails",
        "no lift of the smaller network's critical points is critical for every dataset: "
        + "; ".join(refuted),
    )


# -- critical points on a stratum ------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False)
class CriticalPointResult(Result):
    """A critical point of the restricted loss on a stratum, tested for the full network.

    ``gradient_norm`` etc. are None when no critical point of the restricted loss was found
    (``note`` says why); ``hessian`` is None unless the point is critical for the full loss.
    """

    architecture: str
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
    seed: int
    seconds: float

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
        b.append(
            "method: this verdict is numerical (the gradient at one critical point of the "
            "restricted loss, for this dataset)"
        )
        if self.certificate.proven:
            b.append(f"for every dataset, proven: {self.certificate.summary}")
        else:
            b.append(f"no proof for every dataset: {self.certificate.statement}")
        if self.note and self.gradient_norm is not None:
            b.append(self.note)
        b.append(f"seed {self.seed} · {self.seconds:.3g} s")
        return b


def _admissible(arch: Architecture, X: jax.Array, Y: jax.Array) -> Callable[[np.ndarray], bool]:
    """Away from the zero fiber (Razor's statements exclude it: there f = 0, and with two zero
    layers every gradient vanishes) and from infinity. Decided on the function, not on layer
    norms: for a non-homogeneous σ there is no rescaling, and a small last layer times a large
    first one is a genuine, non-zero function."""
    residual = _residual_functions(arch)[0]
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

    residual, jacobian, hessian = _residual_functions(arch)
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

    MLP strata with a lifting certificate: a critical point of the smaller network, lifted
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
    >>> r.verdict.value, r.normal_gradient_norm, r.certificate.proven
    ('yes', 0.0, True)
    """
    t0 = time.perf_counter()
    ensure_x64()
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
        raise NeurovarietyError("the data contain NaN or infinite values; give finite X and Y")
    Xj = jnp.asarray(X)
    Yj = jnp.asarray(Y.reshape(Xj.shape[0], arch.n_outputs))
    gtol = gradient_tolerance(Yj, tol)
    rng = np.random.default_rng(seed)
    cert = lifting_certificate(arch, stratum)
    red = stratum.reduced

    def empty(note: str) -> CriticalPointResult:
        return CriticalPointResult(
            arch.spec,
            stratum.name,
            Verdict.UNKNOWN,
            None,
            None,
            None,
            None,
            tol,
            gtol,
            None,
            [],
            cert,
            note,
            seed,
            time.perf_counter() - t0,
        )

    if red is None:  # decided, not unknown: every point of the stratum computes 0
        return dataclasses.replace(empty(cert.statement), verdict=Verdict.NO)
    B = stratum.basis
    if cert.proven:
        assert isinstance(arch, MLP)
        u = _minimize(red, np.eye(red.n_params), Xj, Yj, rng, gtol)
        if u is None:
            return empty(f"no critical point of the {red.spec} loss away from the zero fiber found")
        lift = next(lf for lf in _mlp_lifts(arch, stratum) if lf.text == cert.lifts)
        e = (
            rng.uniform(0.2, 0.8, lift.n_free)
            if lift.family == "split"
            else rng.standard_normal(lift.n_free)
        )
        theta = _lift_theta(lift, u, e)
    else:
        v = _minimize(arch, B, Xj, Yj, rng, gtol)
        if v is None:
            return empty(
                "no critical point of the restricted loss away from the zero fiber found "
                "(every start ran to infinity or to the zero function)"
            )
        theta = B @ v
    residual, jacobian, _ = _residual_functions(arch)
    th = jnp.asarray(theta)
    res = np.asarray(residual(th, Xj, Yj))
    g = 2.0 * np.asarray(jacobian(th, Xj, Yj)).T @ res
    along_g = _project(B, g)
    normal, along = float(np.linalg.norm(g - along_g)), float(np.linalg.norm(along_g))
    total = float(np.linalg.norm(g))
    if total <= gtol:
        verdict = Verdict.YES
    elif along <= gtol and normal >= 100 * gtol:
        verdict = Verdict.NO
    else:
        verdict = Verdict.UNKNOWN
    sig = hessian_signature(arch, theta, Xj, Yj, rtol=tol) if hessian and total <= gtol else None
    return CriticalPointResult(
        architecture=arch.spec,
        stratum=stratum.name,
        verdict=verdict,
        loss=float(res @ res),
        gradient_norm=total,
        normal_gradient_norm=normal,
        restricted_gradient_norm=along,
        tolerance=tol,
        gradient_tolerance=gtol,
        hessian=sig,
        theta=[float(x) for x in theta],
        certificate=cert,
        note=""
        if verdict is not Verdict.UNKNOWN
        else "the restricted optimization did not converge",
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


# -- exposure over datasets ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False)
class ExposureResult(Result):
    """Whether a stratum carries critical points of the loss: ``method`` is ``proof`` (the
    lifting certificate, every dataset), ``zero fiber`` (the stratum computes only 0: no
    critical point away from the zero fiber, every dataset) or ``estimate`` (the fraction of
    random datasets, with a 95% Wilson interval). Under a proof the random datasets are a
    numerical check."""

    architecture: str
    stratum: str
    method: str
    certificate: LiftingCertificate
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

    @property
    def proven(self) -> bool:
        return self.method == "proof"

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
        b.append(f"seed {self.seed} · {self.seconds:.3g} s")
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
    holds (MLP strata, Razor arXiv:2505.11846); else estimated over ``trials`` random Gaussian
    datasets (CNN strata: Razor says not exposed away from 0)."""
    if trials < 1:
        raise NeurovarietyError(f"trials={trials} must be ≥ 1; e.g. trials=20")
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
    return ExposureResult(
        architecture=arch.spec,
        stratum=stratum.name,
        method="proof" if cert.proven else "zero fiber" if stratum.reduced is None else "estimate",
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
