"""Exact parametrization: the forward pass and the Jacobian of θ ↦ (f_θ(x_1), …, f_θ(x_S)) over
GF(p), and the coefficient polynomials of φ over Q for small architectures.

Residues are float64 for p < 2^26 (products are exact below 2^52, matrix products are split by
:func:`neurovariety.exact.matmul_mod`), and Python integers for larger p (up to 2^63).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..architectures.attention import OwnParametrization
from ..architectures.base import Architecture, Layer
from ..errors import FieldError
from ..exact import matmul_mod
from .points import FLOAT_EXACT_PRIME_LIMIT, residue_array


def _check_prime(p: int) -> None:
    if not isinstance(p, int) or p < 3 or p >= 1 << 63:
        raise FieldError(f"modulus {p!r} must be a prime in [3, 2^63); e.g. 2**31 - 1")


def _residue(c: Fraction, p: int) -> int:
    if c.denominator % p == 0:
        raise FieldError(
            f"the activation coefficient {c} has a denominator divisible by p={p}; "
            "choose another prime"
        )
    return c.numerator * pow(c.denominator, -1, p) % p


def _reduce(x: np.ndarray, p: int) -> np.ndarray:
    """Reduce mod p. Float residues are kept *centered*, |x| ≤ p/2 + 1 (x·(1/p) is within 1/p of
    x/p, so rint picks the nearest quotient or its neighbour at a tie); one rint and one
    subtraction, several times faster than ``np.fmod``; exact while |x| < 2^52."""
    if x.dtype == object:
        return x % p
    q = np.multiply(x, 1.0 / p)
    np.rint(q, out=q)
    q *= p
    x -= q
    return x


JACOBIAN_CHUNK = 1 << 21  # entries per chunk of outer products (16 MiB of float64)


def _mul(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    return _reduce(a * b, p)


def _as_residues(a: np.ndarray, p: int) -> np.ndarray:
    """Integers (any dtype) as residues: float64 for p < 2^26, Python ints above."""
    a = np.asarray(a)
    if p < FLOAT_EXACT_PRIME_LIMIT:
        if a.dtype == object or a.dtype.kind in "iu":
            return np.array([int(v) % p for v in a.ravel()], dtype=np.float64).reshape(a.shape)
        return np.mod(a.astype(np.float64), p)
    return np.array([int(v) % p for v in a.ravel()], dtype=object).reshape(a.shape)


def _canonical(x: np.ndarray, p: int) -> np.ndarray:
    """Residues in [0, p)."""
    return x % p if x.dtype == object else np.mod(x, p, out=x)


def _matmul(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    if a.dtype == object or b.dtype == object:
        return (a.astype(object) @ b.astype(object)) % p
    return matmul_mod(a, b, p)


class ModularActivation:
    """σ and σ' with coefficients reduced mod p, evaluated by Horner's rule."""

    def __init__(self, coefficients: tuple[Fraction, ...], p: int) -> None:
        self.p = p
        self.c = [_residue(c, p) for c in coefficients]
        self.dc = [i * c % p for i, c in enumerate(self.c)][1:]

    def _horner(self, cs: list[int], z: np.ndarray) -> np.ndarray:
        y = np.zeros_like(z) + cs[-1]
        for c in reversed(cs[:-1]):
            y = _reduce(_mul(y, z, self.p) + c, self.p)
        return y

    def value(self, z: np.ndarray) -> np.ndarray:
        return self._horner(self.c, z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return self._horner(self.dc, z) if self.dc else np.zeros_like(z)


def layer_matrix(layer: Layer, theta: np.ndarray) -> np.ndarray:
    """The matrix ``[W | b]`` of one layer filled from the flat parameter vector."""
    vals = layer.weights(theta)
    if layer.dense:
        return vals.reshape(layer.pattern.shape)
    out = np.zeros(layer.pattern.shape, dtype=theta.dtype)
    if theta.dtype == object:
        out[:] = 0
    mask = layer.pattern >= 0
    out[mask] = vals[layer.pattern[mask]]
    return out


def _with_bias(h: np.ndarray, layer: Layer) -> np.ndarray:
    if not layer.bias:
        return h
    ones = np.ones((h.shape[0], 1), dtype=h.dtype)
    return np.concatenate([h, ones], axis=1)


def forward_mod_p(arch: Architecture, theta: np.ndarray, x: np.ndarray, p: int) -> np.ndarray:
    """Outputs ``f_θ(x_s)`` mod p, shape ``(S, n_outputs)``.

    >>> from neurovariety import MLP, Monomial
    >>> import numpy as np
    >>> f = MLP((1, 1, 1), Monomial(2))      # f(x) = w2 (w1 x)^2
    >>> forward_mod_p(f, np.array([3., 5.]), np.array([[2.]]), 101)
    array([[79.]])
    """
    _check_prime(p)
    if isinstance(arch, OwnParametrization):  # outside the Layer stack (attention)
        return arch.forward_mod_p(np.asarray(theta), np.asarray(x), p)
    theta, x = _as_residues(theta, p), _as_residues(x, p)
    sigma = ModularActivation(arch.activation.coefficients, p)

    def linear(layer: Layer, h: np.ndarray) -> np.ndarray:
        return _matmul(_with_bias(h, layer), layer_matrix(layer, theta).T, p)

    return _canonical(arch.walk(x, linear, sigma.value), p)


def _layer_jacobian(layer: Layer, G: np.ndarray, hb: np.ndarray, p: int, out: np.ndarray) -> None:
    """Write ∂f/∂θ of one layer's parameters, Σ_{pattern[a,b]=j} G[s,o,a]·hb[s,b], into ``out``
    (shape (S·O, n_j), a column block of the Jacobian)."""
    S, O, _ = G.shape
    if layer.dense:
        # Outer products straight into the Jacobian, in row chunks (no block copies).
        n_out, cols = layer.pattern.shape
        step = max(1, JACOBIAN_CHUNK // max(1, O * layer.n_params))
        for s0 in range(0, S, step):
            s1 = min(S, s0 + step)
            block = out[s0 * O : s1 * O].reshape(s1 - s0, O, n_out, cols)
            if out.dtype == object:
                block[...] = (G[s0:s1, :, :, None] * hb[s0:s1, None, None, :]) % p
            else:
                # |G|, |hb| ≤ p/2 + 1 < 2^25: the products are exact integers below 2^50, left
                # unreduced (callers reduce once: rank engines or the final canonical step).
                np.multiply(G[s0:s1, :, :, None], hb[s0:s1, None, None, :], out=block)
        return
    for j in range(layer.n_params):
        a_idx, b_idx = np.nonzero(layer.pattern == j)
        terms = _mul(G[:, :, a_idx], hb[:, None, b_idx], p)
        out[:, j] = _reduce(terms.sum(axis=2), p).reshape(S * O)


def jacobian_mod_p(
    arch: Architecture, theta: np.ndarray, x: np.ndarray, p: int, *, canonical: bool = True
) -> np.ndarray:
    """Jacobian of θ ↦ (f_θ(x_1), …, f_θ(x_S)) mod p, shape ``(S·n_outputs, n_params)``.

    Rows are ordered by sample, then output. Computed by exact back-propagation: no expansion of
    the network polynomial, so it scales to thousands of parameters. Entries are in [0, p); with
    ``canonical=False`` float entries are any exact integer representatives below 2^50 (cheaper;
    the rank engines reduce their input anyway).

    >>> from neurovariety import MLP, Monomial
    >>> import numpy as np
    >>> f = MLP((1, 1, 1), Monomial(2))      # f = w2 (w1 x)^2: ∂/∂w1 = 2 w2 w1 x², ∂/∂w2 = w1² x²
    >>> jacobian_mod_p(f, np.array([3., 5.]), np.array([[2.]]), 101)
    array([[19., 36.]])
    """
    _check_prime(p)
    if isinstance(arch, OwnParametrization):  # entries in [0, p) either way
        return arch.jacobian_mod_p(np.asarray(theta), np.asarray(x), p)
    theta, x = _as_residues(theta, p), _as_residues(x, p)
    sigma = ModularActivation(arch.activation.coefficients, p)
    layers = arch.layers
    S = x.shape[0]
    hbs, zs, Ws = [], [], []
    h = x
    for i, layer in enumerate(layers):
        W = layer_matrix(layer, theta)
        hb = _with_bias(h, layer)
        z = _matmul(hb, W.T, p)
        hbs.append(hb)
        Ws.append(W)
        if i < len(layers) - 1:
            zs.append(z)
            h = sigma.value(z)
    O = layers[-1].n_out
    G = np.zeros((S, O, O), dtype=x.dtype)
    if x.dtype == object:
        G[:] = 0
    G[:, np.arange(O), np.arange(O)] = 1
    J = np.empty((S * O, arch.n_params), dtype=x.dtype)
    if x.dtype == object:
        J[...] = 0
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        _layer_jacobian(layer, G, hbs[i], p, J[:, layer.params])
        if i > 0:
            Wx = Ws[i][:, : layer.n_in]
            G = _matmul(G.reshape(S * O, layer.n_out), Wx, p).reshape(S, O, layer.n_in)
            G = _mul(G, sigma.derivative(zs[i - 1])[:, None, :], p)
    return _canonical(J, p) if canonical else J


def random_point_mod_p(
    arch: Architecture, n_samples: int, p: int, *, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Uniformly random parameters θ ∈ GF(p)^N and inputs x ∈ GF(p)^{S×n}."""
    _check_prime(p)
    rng = np.random.default_rng([seed, p])
    theta = residue_array((arch.n_params,), p, rng)
    x = residue_array((n_samples, arch.n_inputs), p, rng)
    return theta, x


def uses_float_residues(p: int) -> bool:
    return p < FLOAT_EXACT_PRIME_LIMIT


DEFAULT_MAX_TERMS = 200_000
MAX_PRODUCT_TERMS = 50_000_000  # products one activation may form while expanding


def coefficient_polynomials(
    arch: Architecture,
    *,
    max_terms: int = DEFAULT_MAX_TERMS,
    fixed: Sequence[int] = (),
    prime: int | None = None,
) -> tuple[list[dict[tuple[int, ...], Any]], Any]:
    """The parametrization φ over Q (or GF(``prime``)): each output's coefficients as
    polynomials in θ.

    Returns ``(outputs, ctx)``: ``outputs[o]`` maps an exponent vector of the inputs to an
    ``flint.fmpq_mpoly`` (``nmod_mpoly`` with ``prime``) in the parameters ``t_j`` (context
    ``ctx``). The parameters in ``fixed`` are set to 1 (a gauge chart) and are not variables.
    Convolutional networks have one output (the first position). The network polynomial is
    expanded, so this is for small architectures only;
    :class:`~neurovariety.BudgetExceededError` is raised past ``max_terms`` terms.

    >>> from neurovariety import MLP, Monomial
    >>> outs, ctx = coefficient_polynomials(MLP((2, 1, 1), Monomial(2)))
    >>> sorted((e, str(c)) for e, c in outs[0].items())
    [((0, 2), 't1^2*t2'), ((1, 1), '2*t0*t1*t2'), ((2, 0), 't0^2*t2')]
    >>> outs, ctx = coefficient_polynomials(MLP((2, 1, 1), Monomial(2)), fixed=[0], prime=7)
    >>> sorted((e, str(c)) for e, c in outs[0].items())
    [((0, 2), 't1^2*t2'), ((1, 1), '2*t1*t2'), ((2, 0), 't2')]
    """
    import flint

    from ..errors import BudgetExceededError

    n, m = arch.n_params, arch.n_inputs
    fixed_set = {int(j) for j in fixed}
    names = [f"t{j}" for j in range(n) if j not in fixed_set]
    k = len(names)
    var_names = (*names, *(f"x{i}" for i in range(m)))
    ctx: Any
    if prime is None:
        ctx = flint.fmpq_mpoly_ctx.get(var_names, "degrevlex")
        coeffs: list[Any] = [
            flint.fmpq(c.numerator, c.denominator) for c in arch.activation.coefficients
        ]
    else:
        ctx = flint.nmod_mpoly_ctx.get(var_names, ordering="degrevlex", modulus=prime)
        coeffs = [_residue(c, prime) for c in arch.activation.coefficients]
    gens = ctx.gens()
    one = ctx.from_dict({(0,) * (k + m): 1})
    theta = np.empty(n, dtype=object)  # np.array would iterate into the polynomials
    free = iter(gens[:k])
    for j in range(n):
        theta[j] = one if j in fixed_set else next(free)
    h: list[Any] = list(gens[k:])
    zero = ctx.from_dict({})
    for i, layer in enumerate(arch.layers):
        W = layer_matrix(layer, theta)
        hb = h + ([one] if layer.bias else [])
        new = []
        for a in range(layer.n_out):
            acc = zero
            for b, w in enumerate(W[a]):
                if not (isinstance(w, int) and w == 0):
                    acc = acc + w * hb[b]
            new.append(acc)
        h = new
        if i < len(arch.layers) - 1:
            # σ(z) forms up to len(z)^deg products: refuse before FLINT is asked (it aborts the
            # process when an allocation fails)
            work = max(len(z) for z in h) ** (len(coeffs) - 1)
            if work > MAX_PRODUCT_TERMS:
                raise BudgetExceededError(
                    f"expanding {arch.spec} would form ~{work:.2g} products in layer {i + 1}; "
                    "the coefficient map is only for small architectures — use the "
                    "Jacobian-based invariants instead"
                )
            h = [_horner_mpoly(coeffs, z) for z in h]
        if sum(len(z) for z in h) > max_terms:
            raise BudgetExceededError(
                f"expanding {arch.spec} exceeds {max_terms} terms; the coefficient map is only "
                "for small architectures — use the Jacobian-based invariants instead"
            )
    theta_ctx: Any
    if prime is None:
        theta_ctx = flint.fmpq_mpoly_ctx.get(names, "degrevlex")
    else:
        theta_ctx = flint.nmod_mpoly_ctx.get(names, ordering="degrevlex", modulus=prime)
    outputs: list[dict[tuple[int, ...], Any]] = []
    for z in h:
        parts: dict[tuple[int, ...], dict[tuple[int, ...], Any]] = {}
        for exp, c in z.to_dict().items():
            parts.setdefault(tuple(exp[k:]), {})[tuple(exp[:k])] = c
        outputs.append({e: theta_ctx.from_dict(d) for e, d in parts.items()})
    return outputs, theta_ctx


def _horner_mpoly(coeffs: list[Any], z: Any) -> Any:
    y = coeffs[-1] + 0 * z
    for c in reversed(coeffs[:-1]):
        y = y * z + c
    return y
