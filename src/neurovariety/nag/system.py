"""Polynomial systems: variables, parameters, degrees and a homogenized JAX kernel.

Every system, whatever its source, exposes the same small interface used by the homotopies:

``kernel(data, X, p) -> (F, J)``
    the homogenized equations ``F`` (shape ``(m,)``) at projective coordinates
    ``X = (x0, x1, ..., xn)`` and parameters ``p``, and their Jacobian ``J`` with respect to
    ``z = (X, p)`` (shape ``(m, n + 1 + k)``); ``kernel`` is a static, hashable JAX function
    and ``data`` a pytree of arrays, so that ``jit`` compiles once per shape and is reused across
    seeds and parameter values.

``directional(data, X, p, dp) -> (F, J_X, F_p dp)``
    the same values, the Jacobian in ``X`` only, and the derivative along a parameter direction
    ``dp``: what a parameter homotopy needs. Derived from ``kernel`` by default; callables supply
    their own (a forward-mode Jacobian over ``X`` and one JVP in ``p``), which is several times
    cheaper when there are many parameters (an ED system has one per data value).

Two sources are supported: text (exact sparse polynomials, exact degrees) and Python callables
``f(x, p)`` written with ``jax.numpy`` (degrees given or detected numerically along random lines).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import PolynomialSystemError
from ..jaxconfig import ensure_x64
from ..results import plural
from . import stored
from .device import codegen_options as codegen_options  # re-exported: older callers
from .device import on_host as on_host
from .numerics import complex_gaussian
from .parse import ParsedSystem, Poly, parse_text

Kernel = Callable[[Any, jax.Array, jax.Array], tuple[jax.Array, jax.Array]]
DirectionalKernel = Callable[
    [Any, jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array, jax.Array]
]


@functools.cache
def directional_from(kernel: Kernel) -> DirectionalKernel:
    """``directional`` from a full ``kernel``: slice the Jacobian, contract the parameter part."""

    def directional(data: Any, X: jax.Array, p: jax.Array, dp: jax.Array):
        F, Jz = kernel(data, X, p)
        n1 = X.shape[0]
        return F, Jz[:, :n1], Jz[:, n1:] @ dp

    return directional


@dataclass(frozen=True, eq=False)
class System:
    """A polynomial system ``F(x; p) = 0`` in ``n`` variables with ``k`` parameters.

    Do not construct directly; use :func:`parse_system`, :func:`read_system` or
    :func:`system_from_callable`.

    Attributes
    ----------
    variables, parameters : tuple of str
        Names, in order.
    degrees : tuple of int
        Total degree of each equation in the variables (parameters do not count).
    degree_source : str
        ``"exact"`` (text), ``"given"`` or ``"detected"`` (callables, see
        :func:`detect_degrees`).
    kernel : callable
        Static JAX function ``kernel(data, X, p)`` evaluating the homogenized equations.
    data : dict
        Arrays the kernel needs (coefficients, exponents, scales).
    """

    variables: tuple[str, ...]
    parameters: tuple[str, ...]
    degrees: tuple[int, ...]
    degree_source: str
    kernel: Kernel = field(repr=False)
    data: dict[str, Any] = field(repr=False)
    source: str = "callable"
    polynomials: tuple[Poly, ...] | None = field(default=None, repr=False)
    function: Callable[..., Any] | None = field(default=None, repr=False)
    allow_underdetermined: bool = field(default=False, repr=False)
    directional_kernel: DirectionalKernel | None = field(default=None, repr=False)

    @property
    def directional(self) -> DirectionalKernel:
        """``(F, J_X, F_p dp)`` at ``(X, p)`` along ``dp`` (see the module docstring)."""
        return self.directional_kernel or directional_from(self.kernel)

    def __post_init__(self) -> None:
        ensure_x64()  # every homotopy and tracker starts from a System: complex128 paths
        n, m = len(self.variables), len(self.degrees)
        if m == 0:
            raise PolynomialSystemError("the system is empty. Fix: give at least one equation")
        if n == 0:
            raise PolynomialSystemError(
                "the system has no variables. Fix: use at least one variable name"
            )
        if n > m and not self.allow_underdetermined:
            raise PolynomialSystemError(
                f"{n} unknowns but only {m} equations: the solution set is not finite. Fix: add "
                f"{n - m} equation(s), or declare the extra names on a 'parameters:' line and "
                "give their values"
            )
        for i, d in enumerate(self.degrees):
            if d < 1:
                raise PolynomialSystemError(
                    f"equation {i + 1} is a non-zero constant (degree {d}): the system has no "
                    "solutions. Fix: remove or correct that equation"
                )

    @property
    def n_variables(self) -> int:
        return len(self.variables)

    @property
    def n_parameters(self) -> int:
        return len(self.parameters)

    @property
    def n_equations(self) -> int:
        return len(self.degrees)

    @property
    def bezout_number(self) -> int:
        """Product of the ``n`` largest degrees: the number of total-degree start solutions."""
        return int(np.prod(sorted(self.degrees, reverse=True)[: self.n_variables]))

    def require_square(self) -> None:
        """Raise unless there are at least as many equations as unknowns."""
        n, m = self.n_variables, self.n_equations
        if n > m:
            raise PolynomialSystemError(
                f"{n} unknowns but only {m} equations: the solution set is not finite. Fix: add "
                f"{n - m} equation(s), or slice it with witness_set(equations=..., dim={n - m})"
            )

    def check_parameters(self, p: Any) -> np.ndarray:
        """Return ``p`` as a complex vector of the right length, or raise with the fix."""
        arr = np.asarray([] if p is None else p, dtype=complex).reshape(-1)
        if arr.size != self.n_parameters:
            names = ", ".join(self.parameters) or "none"
            raise PolynomialSystemError(
                f"expected {self.n_parameters} parameter value(s) ({names}), got {arr.size}. "
                "Fix: pass parameters=[...] (command line: --parameters v1,v2) with one value per "
                "parameter"
            )
        if not np.all(np.isfinite(arr)):
            raise PolynomialSystemError("parameter values must be finite. Fix: remove NaN/inf")
        return arr

    def evaluate(self, x: Any, p: Any = None) -> np.ndarray:
        """Evaluate the (affine, unscaled) equations at ``x``.

        Examples
        --------
        >>> F = parse_system("x^2 - 2\\nx*y - 1")
        >>> np.round(F.evaluate([1.0, 3.0]).real, 12).tolist()
        [-1.0, 2.0]
        """
        x = np.asarray(x, dtype=complex).reshape(-1)
        X = np.concatenate([[1.0], x])[None, :]
        out, _ = evaluate_batch(self, X, self.check_parameters(p)[None, :])
        return out[0] / np.asarray(self.data["scale"])

    def jacobian(self, x: Any, p: Any = None) -> np.ndarray:
        """Jacobian ``dF/dx`` (affine, unscaled) at ``x``, shape ``(m, n)``."""
        x = np.asarray(x, dtype=complex).reshape(-1)
        X = np.concatenate([[1.0], x])[None, :]
        _, J = evaluate_batch(self, X, self.check_parameters(p)[None, :])
        n = self.n_variables
        return J[0, :, 1 : n + 1] / np.asarray(self.data["scale"])[:, None]

    def __repr__(self) -> str:
        return (
            f"System({plural(self.n_equations, 'equation')} in {', '.join(self.variables)}"
            + (f"; parameters {', '.join(self.parameters)}" if self.parameters else "")
            + f"; degrees {list(self.degrees)} ({self.degree_source}))"
        )


def _batched(kernel: Kernel, data: Any, X: jax.Array, P: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Batched kernel (values and Jacobians) at rows of ``X`` with parameter rows ``P``."""
    return jax.vmap(lambda x, p: kernel(data, x, p))(X, P)


def _evaluator_options() -> dict[str, Any]:
    # Evaluation outside the tracker is rare (start pairs, condition numbers, residuals): compile
    # fast (XLA backend optimization level 0 compiles ~40% faster; each call runs in ~1 ms).
    return {**codegen_options(), "xla_backend_optimization_level": 0}


@functools.cache
def _evaluator() -> Any:
    return jax.jit(_batched, static_argnums=0, compiler_options=_evaluator_options())


_EVALUATIONS: dict[tuple[Any, ...], Any] = {}
_EVALUATIONS_LOCK = threading.Lock()


def _evaluation(kernel: Kernel, args: tuple[Any, Any, Any]) -> Any:
    """The compiled evaluation of ``kernel`` at ``args = (data, X, P)``'s shapes.

    With JAX's compilation cache on, the executable is kept on disk (:mod:`.stored`): a new
    process loads it instead of tracing the kernel again (~1 s for 660 unrolled terms).
    """
    if stored.folder() is None:
        return functools.partial(_evaluator(), kernel)
    leaves, tree = jax.tree_util.tree_flatten(args)
    shapes = (tree, tuple((np.shape(v), np.result_type(v).str) for v in leaves))
    with _EVALUATIONS_LOCK:
        found = _EVALUATIONS.get((kernel, shapes))
        if found is None:
            found = _EVALUATIONS[kernel, shapes] = _load_or_compile(kernel, args)
    return found


def _load_or_compile(kernel: Kernel, args: tuple[Any, Any, Any]) -> Any:
    own = stored.fingerprint(functools.partial(_batched, kernel))
    if own is None:  # a kernel this package cannot vouch for: jit traces it
        return functools.partial(_evaluator(), kernel)
    options = _evaluator_options()
    name = stored.executable_name(b"evaluate:" + own, args, options)
    run = stored.load_executable(name, args, (0, 0), options)
    if run is None:

        def stored_evaluation(data: Any, X: jax.Array, P: jax.Array) -> Any:  # see stored
            return _batched(kernel, data, X, P)

        lowered = jax.jit(stored_evaluation, compiler_options=options).lower(*args)
        run = stored.compile_and_keep(name, lowered)
    return run


def evaluate_batch(system: System, X: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Homogenized values and Jacobians at rows of ``X``, parameters rows of ``P``.

    Rows go through in pieces of ``EVAL_PIECE`` padded to that size: one compiled shape per system.
    """
    B = X.shape[0]
    P = np.broadcast_to(P, (B, system.n_parameters))
    Fs, Js = [], []
    for lo in range(0, max(B, 1), EVAL_PIECE):
        x, p = X[lo : lo + EVAL_PIECE], P[lo : lo + EVAL_PIECE]
        k = x.shape[0]
        if k == 0:
            break
        x = np.concatenate([x, np.repeat(x[:1], EVAL_PIECE - k, axis=0)])
        p = np.concatenate([p, np.repeat(p[:1], EVAL_PIECE - k, axis=0)])
        with on_host() as host:
            data = system.data if host is None else jax.device_put(system.data, host)
            F, J = _evaluation(system.kernel, (data, x, p))(data, x, p)  # numpy in
        Fs.append(np.asarray(F)[:k])
        Js.append(np.asarray(J)[:k])
    if not Fs:
        m, L = system.n_equations, system.n_variables + 1 + system.n_parameters
        return np.zeros((0, m), complex), np.zeros((0, m, L), complex)
    return np.concatenate(Fs), np.concatenate(Js)


#: Rows per call of the compiled evaluation.
EVAL_PIECE = 64


# ---------------------------------------------------------------- sparse polynomial systems


@functools.cache
def _poly_kernel(terms: tuple[tuple[int, tuple[int, ...]], ...], m: int, n_z: int) -> Kernel:
    """Kernel of a sparse system, unrolled over its terms, with an analytic Jacobian.

    ``terms[t] = (equation, exponents over z = (X, p))`` and ``data["coef"][t]`` its coefficient.
    Unrolling over the (static) support leaves XLA fused elementwise loops over the batch, several
    times faster on CPU than gathers plus ``jacfwd``.
    """

    def kernel(data: Any, X: jax.Array, p: jax.Array) -> tuple[jax.Array, jax.Array]:
        z = jnp.concatenate([X, p.astype(X.dtype)])
        coef = data["coef"]
        cache: dict[tuple[int, int], jax.Array] = {}

        def pw(j: int, e: int) -> jax.Array:
            if (j, e) not in cache:
                cache[(j, e)] = z[j] if e == 1 else pw(j, e - 1) * z[j]
            return cache[(j, e)]

        zero = jnp.zeros((), dtype=X.dtype)
        F: list[Any] = [zero] * m
        J: list[list[Any]] = [[zero] * n_z for _ in range(m)]
        for t, (i, e) in enumerate(terms):
            supp = [(j, k) for j, k in enumerate(e) if k > 0]
            factors = [pw(j, k) for j, k in supp]
            # prefix/suffix products give every "all factors but one" in O(len(supp)).
            pre: list[Any] = [coef[t]]
            for f in factors:
                pre.append(pre[-1] * f)
            F[i] = F[i] + pre[-1]
            suf: Any = 1.0
            for a in range(len(supp) - 1, -1, -1):
                j, k = supp[a]
                d = pre[a] * suf * (k * pw(j, k - 1) if k > 1 else 1.0)
                J[i][j] = J[i][j] + d
                suf = suf * factors[a]
        return jnp.stack(F), jnp.stack([jnp.stack(row) for row in J])

    return kernel


@functools.cache
def _gather_kernel(max_power: int) -> Kernel:
    """Kernel for large sparse systems: power table, gathers, ``jacfwd`` (compiles faster)."""

    def value(data: Any, z: jax.Array) -> jax.Array:
        powers = [jnp.ones_like(z)]
        for _ in range(max_power):
            powers.append(powers[-1] * z)
        table = jnp.stack(powers)
        mono = jnp.prod(table[data["E"], jnp.arange(z.shape[0])], axis=1)
        return data["C"] @ mono

    def kernel(data: Any, X: jax.Array, p: jax.Array) -> tuple[jax.Array, jax.Array]:
        z = jnp.concatenate([X, p.astype(X.dtype)])
        J, F = jax.jacfwd(lambda w: (value(data, w),) * 2, holomorphic=True, has_aux=True)(z)
        return F, J

    return kernel


def _from_polys(
    variables: Sequence[str],
    parameters: Sequence[str],
    polys: Sequence[Poly],
    lines: Sequence[int],
    allow_underdetermined: bool = False,
) -> System:
    ensure_x64()  # the coefficient arrays below are complex128
    n = len(variables)
    degrees: list[int] = []
    for poly, line in zip(polys, lines, strict=True):
        if not poly:
            raise PolynomialSystemError(
                f"line {line}: the equation is identically zero. Fix: remove that line"
            )
        for c in poly.values():
            if not np.isfinite(c):
                raise PolynomialSystemError(f"line {line}: NaN or infinite coefficient")
        degrees.append(max(sum(e[:n]) for e in poly))
    # Homogenize each equation to its own degree with x0 and collect the monomial union.
    index: dict[tuple[int, ...], int] = {}
    rows: list[dict[int, complex]] = []
    for poly, d in zip(polys, degrees, strict=True):
        row: dict[int, complex] = {}
        for e, c in poly.items():
            key = (d - sum(e[:n]),) + tuple(e)
            j = index.setdefault(key, len(index))
            row[j] = row.get(j, 0) + c
        rows.append(row)
    E = np.array(list(index), dtype=np.int32)
    C = np.zeros((len(rows), len(index)), dtype=complex)
    for i, row in enumerate(rows):
        for j, c in row.items():
            C[i, j] = c
    # Scale each equation to unit max coefficient: conditioning, and scale-free tolerances.
    scale = 1.0 / np.max(np.abs(C), axis=1)
    C = C * scale[:, None]
    nz = np.argwhere(C != 0)
    terms = tuple((int(i), tuple(int(v) for v in E[k])) for i, k in nz)
    kernel: Kernel
    if len(terms) * E.shape[1] <= 20000:
        kernel = _poly_kernel(terms, C.shape[0], E.shape[1])
        data = {"coef": jnp.asarray(C[nz[:, 0], nz[:, 1]]), "scale": scale}
    else:
        kernel = _gather_kernel(int(E.max()))
        data = {"E": jnp.asarray(E), "C": jnp.asarray(C), "scale": scale}
    return System(
        tuple(variables),
        tuple(parameters),
        tuple(degrees),
        "exact",
        kernel,
        data,
        source="text",
        polynomials=tuple(polys),
        allow_underdetermined=allow_underdetermined,
    )


def parse_system(text: str, *, allow_underdetermined: bool = False) -> System:
    """Build a :class:`System` from text (grammar in :mod:`neurovariety.nag.parse`).

    ``allow_underdetermined=True`` accepts fewer equations than unknowns (a positive-dimensional
    variety, e.g. for :func:`~neurovariety.nag.witness_set`); :func:`solve` still refuses it.

    Examples
    --------
    >>> F = parse_system("variables: x, y\\nx^2 + y^2 - 1\\nx - y")
    >>> F.degrees, F.bezout_number
    ((2, 1), 2)
    >>> parse_system("sin(x) - 1")
    Traceback (most recent call last):
    ...
    neurovariety.errors.PolynomialSystemError: line 1: function sin(...) is not polynomial ...
    """
    ps: ParsedSystem = parse_text(text)
    return _from_polys(ps.variables, ps.parameters, ps.polynomials, ps.lines, allow_underdetermined)


def read_system(path: str | Path, *, allow_underdetermined: bool = False) -> System:
    """Read a system file (see :func:`parse_system`)."""
    p = Path(path)
    if not p.is_file():
        raise PolynomialSystemError(f"no such file: {str(p)!r}. Fix: check the path")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise PolynomialSystemError(
            f"{str(p)!r} is not a text file (byte {e.start} is not UTF-8). Fix: give a text "
            "file with one polynomial per line"
        ) from None
    except OSError as e:
        raise PolynomialSystemError(f"cannot read {str(p)!r}: {e.strerror}") from None
    return parse_system(text, allow_underdetermined=allow_underdetermined)


# ---------------------------------------------------------------- callables


def detect_degrees(
    f: Callable[..., Any], n_variables: int, p: np.ndarray, *, seed: int = 0, samples: int = 64
) -> tuple[int, ...]:
    """Degrees of the components of ``f(x, p)`` in ``x``, detected numerically.

    ``f`` is restricted to two random complex lines ``x = a + s b`` (``|b|`` about 10) and sampled
    at ``samples`` roots of unity; the FFT gives the coefficients in ``s`` and the degree is the
    last coefficient above ``1e-10`` of the largest. A component whose coefficients do not vanish
    well before ``samples / 2`` is not a polynomial of low degree and is refused.

    Examples
    --------
    >>> detect_degrees(lambda x, p: jnp.stack([x[0]**3 - x[1], x[0] * x[1]]), 2, np.zeros(0))
    (3, 2)
    """
    ensure_x64()
    rng = np.random.default_rng(seed)
    s = np.exp(2j * np.pi * np.arange(samples) / samples)
    pj = jnp.asarray(p, dtype=complex)
    degrees: np.ndarray | None = None
    for _ in range(2):
        a = complex_gaussian(rng, n_variables, standard=False)
        b = 10 * complex_gaussian(rng, n_variables, standard=False)
        xs = jnp.asarray(a[None, :] + s[:, None] * b[None, :])
        vals = np.asarray(jax.jit(jax.vmap(lambda x: jnp.asarray(f(x, pj)).reshape(-1)))(xs))
        if not np.all(np.isfinite(vals)):
            raise PolynomialSystemError(
                "the function returned NaN or inf at a random point. Fix: make f(x, p) a "
                "polynomial with finite coefficients"
            )
        coef = np.fft.fft(vals, axis=0) / samples  # coefficient k of s^k, per component
        mags = np.abs(coef)
        top = mags.max(axis=0)
        deg = np.array(
            [
                int(np.nonzero(mags[:, i] > 1e-10 * top[i])[0].max()) if top[i] > 0 else -1
                for i in range(mags.shape[1])
            ]
        )
        degrees = deg if degrees is None else np.maximum(degrees, deg)
    assert degrees is not None
    if np.any(degrees >= samples // 2):
        bad = int(np.argmax(degrees))
        raise PolynomialSystemError(
            f"component {bad} of f is not a polynomial of degree < {samples // 2} along a random "
            "line (functions like sin, exp or division are not polynomial). Fix: use a "
            "polynomial, or pass degrees=... explicitly"
        )
    return tuple(int(d) for d in degrees)


@functools.lru_cache(maxsize=64)
def _homogenized(f: Callable[..., Any], degrees: tuple[int, ...]) -> Callable[..., jax.Array]:
    """``value(data, X, p) = scale · x0^d f(x / x0, p)``, the homogenized callable."""
    d = jnp.asarray(degrees)

    def value(data: Any, X: jax.Array, p: jax.Array) -> jax.Array:
        # A tiny floor keeps points at infinity (x0 -> 0) finite.
        x0 = jnp.where(jnp.abs(X[0]) < 1e-150, 1e-150 + 0j, X[0])
        return data["scale"] * jnp.asarray(f(X[1:] / x0, p)).reshape(-1) * x0**d

    return value


def _callable_kernel(f: Callable[..., Any], degrees: tuple[int, ...]) -> Kernel:
    value = _homogenized(f, degrees)

    def kernel(data: Any, X: jax.Array, p: jax.Array) -> tuple[jax.Array, jax.Array]:
        n1 = X.shape[0]
        z = jnp.concatenate([X, p.astype(X.dtype)])
        J, F = jax.jacfwd(
            lambda w: (value(data, w[:n1], w[n1:]),) * 2, holomorphic=True, has_aux=True
        )(z)
        return F, J

    return kernel


def _callable_directional(f: Callable[..., Any], degrees: tuple[int, ...]) -> DirectionalKernel:
    value = _homogenized(f, degrees)

    def directional(data: Any, X: jax.Array, p: jax.Array, dp: jax.Array):
        p = p.astype(X.dtype)
        JX, F = jax.jacfwd(lambda w: (value(data, w, p),) * 2, holomorphic=True, has_aux=True)(X)
        _, Fp = jax.jvp(lambda q: value(data, X, q), (p,), (dp.astype(X.dtype),))
        return F, JX, Fp

    return directional


def system_from_callable(
    f: Callable[..., Any],
    n_variables: int,
    *,
    n_parameters: int = 0,
    degrees: Sequence[int] | None = None,
    variables: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    seed: int = 0,
    allow_underdetermined: bool = False,
) -> System:
    """Wrap a JAX function ``f(x, p) -> (m,)`` as a :class:`System`.

    Parameters
    ----------
    f : callable
        Polynomial in ``x`` (shape ``(n_variables,)``), written with ``jax.numpy``; ``p`` has shape
        ``(n_parameters,)``. A network's gradient system can be passed directly.
    degrees : sequence of int, optional
        Total degree of each component in ``x``; detected by :func:`detect_degrees` when omitted
        (``degree_source`` then says ``"detected"``).

    Examples
    --------
    >>> F = system_from_callable(lambda x, p: jnp.stack([x[0]**2 - p[0], x[1] - x[0]]), 2,
    ...                          n_parameters=1)
    >>> F.degrees, F.degree_source
    ((2, 1), 'detected')
    """
    ensure_x64()
    variables = tuple(variables or (f"x{i + 1}" for i in range(n_variables)))
    parameters = tuple(parameters or (f"p{i + 1}" for i in range(n_parameters)))
    if len(variables) != n_variables or len(parameters) != n_parameters:
        raise PolynomialSystemError("the number of names does not match n_variables/n_parameters")
    rng = np.random.default_rng(seed)
    p = complex_gaussian(rng, n_parameters, standard=False)
    if degrees is None:
        degs = detect_degrees(f, n_variables, p, seed=seed)
        source = "detected"
    else:
        degs = tuple(int(d) for d in degrees)
        source = "given"
    # Scale by the size of f near the unit ball so tolerances are relative.
    x = complex_gaussian(rng, (8, n_variables), standard=False)
    pj = jnp.asarray(p)
    vals = np.asarray(jax.jit(jax.vmap(lambda z: jnp.asarray(f(z, pj)).reshape(-1)))(x))
    if not np.all(np.isfinite(vals)):
        raise PolynomialSystemError("f returned NaN or inf. Fix: use finite coefficients")
    if vals.shape[1] != len(degs):
        raise PolynomialSystemError(
            f"degrees has {len(degs)} entries but f returns {vals.shape[1]} components"
        )
    typical = np.max(np.abs(vals), axis=0)
    scale = 1.0 / np.where(typical > 0, typical, 1.0)
    return System(
        variables,
        parameters,
        degs,
        source,
        _callable_kernel(f, degs),
        {"scale": jnp.asarray(scale)},
        function=f,
        allow_underdetermined=allow_underdetermined,
        directional_kernel=_callable_directional(f, degs),
    )
