"""The gradient system of a squared distance to a polynomially parametrized set, as a fast kernel.

For a sparse polynomial map ``c(z)`` (the network's coefficients in a gauge chart), a symmetric
form ``Q`` and a linear map ``W`` from data to coefficient space, the critical points of
``½ cᵀQc − (W u)ᵀc`` (the squared error up to a constant) solve

    g(z; u) = J_c(z)ᵀ (Q c(z) − W u) = 0,     ∂g/∂z = J_cᵀ Q J_c + Σ_k r_k ∇²c_k,   r = Qc − Wu.

The kernel evaluates ``c``, ``J_c`` and the contraction ``Σ_k r_k ∇²c_k`` straight from the
terms of ``c`` (a power table and products of the other factors), with no nested automatic
differentiation through the network: several times cheaper per evaluation than the Jacobian of
an autodiff gradient (``benchmarks/RESULTS.md``, "Landscape"). Terms are padded per coefficient
to a rectangle ``(N, K)`` so every sum is a dense reduction (no scatter inside the tracker's loop).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import OptionError
from ..jaxconfig import ensure_x64
from ..nag.numerics import complex_gaussian
from ..nag.system import System

Terms = list[dict[tuple[int, ...], float]]


def coefficient_arrays(terms: Terms) -> tuple[np.ndarray, np.ndarray]:
    """Exponents ``(N, K, n)`` and coefficients ``(N, K)`` of ``terms``, padded with zero terms.

    >>> E, A = coefficient_arrays([{(1, 0): 2.0}, {(0, 2): 1.0, (1, 1): -1.0}])
    >>> E.shape, A.tolist()
    ((2, 2, 2), [[2.0, 0.0], [1.0, -1.0]])
    """
    n = len(next(iter(terms[0])))
    K = max(1, max(len(t) for t in terms))
    E = np.zeros((len(terms), K, n), dtype=np.int32)
    A = np.zeros((len(terms), K))
    for i, t in enumerate(terms):
        for j, (e, a) in enumerate(t.items()):
            E[i, j] = e
            A[i, j] = a
    return E, A


def coefficient_values(
    E: np.ndarray, A: np.ndarray, Z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values ``c(z)`` ``(B, N)`` and Jacobians ``J_c(z)`` ``(B, N, n)`` at the rows of ``Z``.

    >>> E, A = coefficient_arrays([{(1, 0): 2.0}, {(0, 2): 1.0, (1, 1): -1.0}])
    >>> c, J = coefficient_values(E, A, np.array([[1.0, 3.0]]))
    >>> c.real.tolist(), J[0].real.tolist()
    ([[2.0, 6.0]], [[2.0, 0.0], [-3.0, 5.0]])
    """
    Z = np.asarray(Z, dtype=complex)
    F = Z[:, None, None, :] ** E[None]  # (B, N, K, n)
    mono = A[None] * np.prod(F, axis=-1)
    D = np.empty(F.shape, dtype=complex)
    for i in range(E.shape[-1]):
        others = np.prod(np.delete(F, i, axis=-1), axis=-1)
        power = Z[:, None, None, i] ** np.maximum(E[None, ..., i] - 1, 0)
        D[..., i] = A[None] * E[None, ..., i] * power * others
    return mono.sum(axis=2), D.sum(axis=2)


def _affine(X: jax.Array) -> tuple[jax.Array, jax.Array]:
    # A tiny floor keeps points at infinity (x0 -> 0) finite, as for other callables.
    x0 = jnp.where(jnp.abs(X[0]) < 1e-150, 1e-150 + 0j, X[0])
    return x0, X[1:] / x0


Parts = Any  # (c, J_c, hessian: r -> Σ_k r_k ∇²c_k)


@functools.cache
def _padded_parts(n: int, max_power: int) -> Any:
    """``c``, ``J_c`` and the Hessian contraction from padded term arrays (any size)."""

    def parts(data: Any, z: jax.Array) -> Parts:
        powers = [jnp.ones_like(z)]
        for _ in range(max_power):
            powers.append(powers[-1] * z)
        # z_i^e by selection from the powers: XLA's CPU gathers are several times slower than
        # these fused selects inside the tracker's loop.
        E = data["E"]

        def power(shift: int) -> jax.Array:
            out = jnp.zeros(E.shape, z.dtype)
            for e in range(shift, max_power + 1):
                out = jnp.where(e == E, powers[e - shift], out)
            return out

        F = power(0)  # (N, K, n): z_i^e
        D = E * power(1)  # d/dz_i of z_i^e
        DD = E * (E - 1) * power(2)
        one = jnp.ones(F.shape[:2], F.dtype)
        # prefix[i] = Π_{l<i} F_l, suffix[i] = Π_{l>i} F_l: products of the other factors.
        prefix, suffix = [one], [one]
        for i in range(n - 1):
            prefix.append(prefix[-1] * F[..., i])
            suffix.append(suffix[-1] * F[..., n - 1 - i])
        suffix = suffix[::-1]
        A = data["A"]
        others = [prefix[i] * suffix[i] for i in range(n)]
        c = (A * prefix[-1] * F[..., n - 1]).sum(axis=1)
        Jc = jnp.stack([(A * D[..., i] * others[i]).sum(axis=1) for i in range(n)], axis=-1)

        def hessian(r: jax.Array) -> jax.Array:
            w = r[:, None] * A  # (N, K)
            H: list[list[Any]] = [[None] * n for _ in range(n)]
            for i in range(n):
                H[i][i] = jnp.sum(w * DD[..., i] * others[i])
                between = prefix[i]  # Π_{l<i} F_l · Π_{i<l<j} F_l
                for j in range(i + 1, n):
                    H[i][j] = H[j][i] = jnp.sum(w * D[..., i] * D[..., j] * between * suffix[j])
                    between = between * F[..., j]
            return jnp.stack([jnp.stack(row) for row in H])

        return c, Jc, hessian

    return parts


Flat = tuple[tuple[int, tuple[int, ...], float], ...]


def _product(factors: list[Any]) -> Any:
    """The product of ``factors``: Python numbers folded into one constant, ones skipped.

    Every product of the unrolled kernel is an operation that is traced, lowered and compiled
    (on the 404 case's system ~2,000 of them, a second of every search's start)."""
    const, out = 1.0, None
    for x in factors:
        if isinstance(x, int | float):
            const *= x
        else:
            out = x if out is None else out * x
    if out is None:
        return const
    return out if const == 1.0 else const * out


def _total(addends: list[Any], zero: Any) -> Any:
    return functools.reduce(lambda a, b: a + b, addends) if addends else zero


def _scalar(x: Any) -> jax.Array:
    return jnp.broadcast_to(x, ())  # a constant term is a Python number


@functools.cache
def _unrolled_parts(flat: Flat, N: int, n: int) -> Any:
    """The same, unrolled over the (static) terms ``flat[t] = (coefficient index, exponents,
    coefficient)``: the coefficients are constants of the program.

    XLA then fuses elementwise loops over the batch: ~3× faster per evaluation than the padded
    arrays on the 404 case's system (the usual small supports), at a compile time that grows with
    the support. Numbers are folded into one constant per product and products with 1 skipped
    (:func:`_product`); each ``∇²c_k`` is built once and weighted by ``r`` entry by entry:
    916 operations instead of 2,009 on that system, its tracker program compiled ~0.3-0.6 s
    faster at the same speed per step (``benchmarks/RESULTS.md``, "Landscape").
    """

    def parts(data: Any, z: jax.Array) -> Parts:
        cache: dict[tuple[int, int], Any] = {}

        def pw(j: int, e: int) -> Any:
            if e == 0:
                return 1.0
            if (j, e) not in cache:
                cache[(j, e)] = z[j] if e == 1 else pw(j, e - 1) * z[j]
            return cache[(j, e)]

        zero = jnp.zeros((), z.dtype)
        c: list[list[Any]] = [[] for _ in range(N)]
        J: list[list[list[Any]]] = [[[] for _ in range(n)] for _ in range(N)]
        # The Hessian of each c_k, upper triangle: Σ_k r_k ∇²c_k is then one product with r.
        Hc: dict[tuple[int, int, int], list[Any]] = {}
        for k, e, a in flat:
            supp = [(j, m) for j, m in enumerate(e) if m > 0]
            f = [pw(j, m) for j, m in supp]
            pre: list[Any] = [1.0]
            for x in f:
                pre.append(_product([pre[-1], x]))
            suf: list[Any] = [1.0] * (len(supp) + 1)
            for i in range(len(supp) - 1, -1, -1):
                suf[i] = _product([suf[i + 1], f[i]])
            c[k].append(_product([a, pre[-1]]))
            for i, (j, m) in enumerate(supp):
                J[k][j].append(_product([a * m, pw(j, m - 1), pre[i], suf[i + 1]]))
                if m > 1:
                    term = _product([a * m * (m - 1), pw(j, m - 2), pre[i], suf[i + 1]])
                    Hc.setdefault((k, j, j), []).append(term)
                between = pre[i]  # Π of the factors before i, then those between i and b
                for b in range(i + 1, len(supp)):
                    jb, mb = supp[b]
                    term = _product([a * m * mb, pw(j, m - 1), pw(jb, mb - 1), between, suf[b + 1]])
                    Hc.setdefault((k, j, jb), []).append(term)
                    between = _product([between, f[b]])
        # Σ_k r_k ∇²c_k from the entries of each ∇²c_k (upper triangle), scalar by scalar: XLA
        # fuses these over the batch (small products with r were ~15% slower per step).
        entries = {key: _total(terms, zero) for key, terms in Hc.items()}

        def hessian(r: jax.Array) -> jax.Array:
            rk: dict[int, Any] = {}
            upper: dict[tuple[int, int], list[Any]] = {}
            for (k, j, jb), value in entries.items():
                if k not in rk:
                    rk[k] = r[k]
                upper.setdefault((j, jb), []).append(rk[k] * value)
            total = {key: _total(v, zero) for key, v in upper.items()}
            return jnp.stack(
                [
                    jnp.stack([_scalar(total.get((min(i, j), max(i, j)), zero)) for j in range(n)])
                    for i in range(n)
                ]
            )

        cv = jnp.stack([_scalar(_total(t, zero)) for t in c])
        Jv = jnp.stack([jnp.stack([_scalar(_total(t, zero)) for t in row]) for row in J])
        return cv, Jv, hessian

    return parts


def _real_times(M: jax.Array, v: jax.Array) -> jax.Array:
    """``M @ v`` for a real ``M`` and a complex ``v``: two real products, half the work of one
    complex product (``Q`` and ``W`` are real; the ``Jcᵀ Q Jc`` product was ~40% of an
    evaluation of the 404 case's system)."""
    return jax.lax.complex(M @ v.real, M @ v.imag)


@functools.cache
def _ed_kernels(parts: Any, degree: int, identity: bool) -> tuple[Any, Any]:
    """``(kernel, directional)`` of the homogenized gradient system of degree ``degree``.

    ``identity``: ``W`` is the identity (the generic form: data are coefficients), so its
    products are skipped (about a sixth of an evaluation for 21 coefficients).
    """

    def data_map(data: Any, v: jax.Array) -> jax.Array:
        return v if identity else _real_times(data["W"], v)

    def evaluate(data: Any, X: jax.Array, p: jax.Array) -> tuple[Any, ...]:
        x0, z = _affine(X)
        c, Jc, hessian = parts(data, z)
        Q, s = data["Q"], data["scale"]
        r = _real_times(Q, c) - data_map(data, p.astype(X.dtype))
        g = Jc.T @ r
        Gz = Jc.T @ _real_times(Q, Jc) + hessian(r)
        # G(X) = s x0^d g(x / x0): ∂G/∂x = s x0^(d−1) ∂g/∂z, and ∂G/∂x0 by Euler's relation.
        xd1 = x0 ** (degree - 1)
        F = s * x0 * xd1 * g
        JX = (s * xd1)[:, None] * jnp.concatenate([(degree * g - Gz @ z)[:, None], Gz], axis=1)
        return F, JX, Jc, x0 * xd1

    def kernel(data: Any, X: jax.Array, p: jax.Array) -> tuple[jax.Array, jax.Array]:
        F, JX, Jc, xd = evaluate(data, X, p)
        Jp = -(data["scale"] * xd)[:, None] * (Jc.T if identity else _real_times(data["W"].T, Jc).T)
        return F, jnp.concatenate([JX, Jp], axis=1)

    def directional(data: Any, X: jax.Array, p: jax.Array, dp: jax.Array):
        F, JX, Jc, xd = evaluate(data, X, p)
        Fp = -data["scale"] * xd * (Jc.T @ data_map(data, dp.astype(X.dtype)))
        return F, JX, Fp

    return kernel, directional


#: Supports with at most this many (term × unknown²) entries get the unrolled kernel.
UNROLL_LIMIT = 6000


def ed_chart(arch: Any) -> tuple[list[int], list[int], list[int]]:
    """The chart of :func:`chart_coefficients`: parameters fixed to 1, parameters fixed to 0, free.

    Monomial σ of degree ≥ 2 and LCNs: the rescaling chart of
    :func:`~neurovariety.parametrization.numeric.gauge_chart` (one weight per rescaling set to 1).
    Linear MLPs have the larger symmetry group Π GL(d_i) of the hidden layers (KTB; the fiber of
    W_2 W_1 is GL(d_1)), which rescalings do not fix: there the first d_i columns of each hidden
    layer's matrix [W_i | b_i] are set to the identity. Layer by layer, the GL(d_i) element that
    maps that block to I is unique where the block is invertible (a dense set), so each generic
    orbit meets the chart once. A hidden layer wider than its input keeps the rescaling chart
    (its fiber stays positive-dimensional; edd then refuses by dimension).

    >>> from neurovariety import parse_architecture
    >>> ed_chart(parse_architecture("mlp 3-2-3 x"))   # W_1 = [[1, 0, t2], [0, 1, t5]]
    ([0, 4], [1, 3], [2, 5, 6, 7, 8, 9, 10, 11])
    """
    from ..architectures.mlp import MLP
    from ..parametrization.numeric import gauge_chart

    ones, _ = gauge_chart(arch)
    fixed_one, fixed_zero = [int(j) for j in ones], list[int]()
    if isinstance(arch, MLP) and arch.activation.is_linear:
        fixed_one = []
        for layer in arch.layers[:-1]:
            d = layer.n_out
            if d > layer.pattern.shape[1]:
                fixed_one += [int(layer.offset + layer.pattern[a, 0]) for a in range(d)]
                continue
            for a in range(d):
                for b in range(d):
                    j = int(layer.offset + layer.pattern[a, b])
                    (fixed_one if a == b else fixed_zero).append(j)
    fixed = set(fixed_one) | set(fixed_zero)
    free = [j for j in range(arch.n_params) if j not in fixed]
    return sorted(fixed_one), sorted(fixed_zero), free


def chart_terms(
    arch: Any,
) -> tuple[list[dict[tuple[int, ...], Any]], list[tuple[int, tuple[int, ...]]]]:
    """The network's coefficients as exact sparse polynomials (``flint.fmpq`` coefficients) in
    the free parameters of :func:`ed_chart`; ``keys[k] = (output, input exponent)``.

    Coefficients that vanish identically in the chart are left out."""
    from ..parametrization.exact import coefficient_polynomials

    ones, zeros, free = ed_chart(arch)
    outputs, _ = coefficient_polynomials(arch, fixed=ones)
    rest = [j for j in range(arch.n_params) if j not in set(ones)]  # the variables of outputs
    zero_set = set(zeros)
    keep = [i for i, j in enumerate(rest) if j not in zero_set]
    drop = [i for i, j in enumerate(rest) if j in zero_set]
    terms: list[dict[tuple[int, ...], Any]] = []
    keys: list[tuple[int, tuple[int, ...]]] = []
    for o, out in enumerate(outputs):
        for e in sorted(out):
            poly = {
                tuple(int(exp[i]) for i in keep): a
                for exp, a in out[e].to_dict().items()
                if not any(exp[i] for i in drop)
            }
            if poly:
                terms.append(poly)
                keys.append((o, tuple(int(v) for v in e)))
    return terms, keys


def chart_coefficients(arch: Any) -> tuple[Terms, list[tuple[int, tuple[int, ...]]]]:
    """The network's coefficients as sparse polynomials in the free parameters of the chart.

    Returns ``(terms, keys)``: ``terms[k]`` maps an exponent vector over the free parameters of
    :func:`ed_chart` (the fixed ones set to 1 or 0) to a coefficient, for the coefficient
    ``keys[k] = (output, input exponent)`` of the network's polynomial. Exact over Q
    (:func:`chart_terms`) and rounded to float64 once.

    >>> from neurovariety import parse_architecture
    >>> terms, keys = chart_coefficients(parse_architecture("lcn k=2,2 s=2"))  # w1 = (1, z0)
    >>> keys[:2], terms[0]
    ([(0, (0, 0, 0, 1)), (0, (0, 0, 1, 0))], {(1, 0, 1): 1.0})
    """
    exact, keys = chart_terms(arch)
    return float_terms(exact), keys


def float_terms(exact: list[dict[tuple[int, ...], Any]]) -> Terms:
    """:func:`chart_terms`' rational coefficients rounded to float64."""
    return [{e: float(int(a.p)) / float(int(a.q)) for e, a in poly.items()} for poly in exact]


def ed_system(terms: Terms, Q: np.ndarray, W: np.ndarray, *, seed: int = 0) -> System:
    """The gradient system ``J_c(z)ᵀ (Q c(z) − W u) = 0`` in ``z``, with parameters ``u``.

    ``terms[k]`` is the sparse polynomial ``c_k`` (exponent tuple → coefficient), ``Q`` a symmetric
    ``N × N`` form and ``W`` an ``N × m`` map from the ``m`` data values ``u`` to coefficient space.
    Each equation is scaled to unit size near the unit ball, as :func:`system_from_callable` does.

    >>> S = ed_system([{(1,): 1.0}, {(2,): 1.0}], np.eye(2), np.eye(2))  # the parabola (z, z²)
    >>> S.degrees, np.round(S.evaluate([1.0], [0.0, 0.0]).real, 12).tolist()  # z + 2z³ at 1
    ((3,), [3.0])
    """
    ensure_x64()  # the kernel's data arrays are made before the System
    if not terms or any(not t for t in terms):
        raise OptionError("every coefficient needs at least one term; drop the zero ones")
    n = len(next(iter(terms[0])))
    E, A = coefficient_arrays(terms)
    N = len(terms)
    Q = np.asarray(Q, dtype=float)
    W = np.asarray(W, dtype=float)
    if Q.shape != (N, N) or W.shape[0] != N:
        raise OptionError(f"Q must be {N}×{N} and W must have {N} rows")
    top = int(max(sum(e) for t in terms for e in t))
    degree = max(2 * top - 1, 1)
    flat = tuple((k, e, float(a)) for k, t in enumerate(terms) for e, a in t.items())
    data: dict[str, Any] = {
        "Q": jnp.asarray(Q),  # real: see _real_times
        "W": jnp.asarray(W),
        "scale": jnp.ones(n, dtype=complex),
    }
    if len(flat) * n * n <= UNROLL_LIMIT:
        parts = _unrolled_parts(flat, N, n)
    else:
        parts = _padded_parts(n, max(int(E.max()), 1))
        data["E"], data["A"] = jnp.asarray(E), jnp.asarray(A, dtype=complex)
    identity = W.shape == (N, N) and np.array_equal(W, np.eye(N))
    kernel, directional = _ed_kernels(parts, degree, identity)
    rng = np.random.default_rng(seed)
    x = complex_gaussian(rng, (8, n), standard=False)
    u = complex_gaussian(rng, W.shape[1], standard=False)
    # At x0 = 1 the equations are g(z) = J_cᵀ (Q c − W u): numpy, not the kernel run op by op
    # (thousands of tiny JAX dispatches and compiles: 4 s of a 14-solution edd call).
    c, Jc = coefficient_values(E, A, x)
    g = np.einsum("bkn,bk->bn", Jc, c @ Q.T - (W @ u)[None, :])
    typical = np.max(np.abs(g), axis=0)
    data["scale"] = jnp.asarray(1.0 / np.where(typical > 0, typical, 1.0), dtype=complex)
    return System(
        tuple(f"z{i + 1}" for i in range(n)),
        tuple(f"u{j + 1}" for j in range(W.shape[1])),
        (degree,) * n,
        "given",
        kernel,
        data,
        directional_kernel=directional,
    )
