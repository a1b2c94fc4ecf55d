"""Deep lightning (un-normalised) self-attention: ``attn t=3 d=4,4,4 a=2,2``.

Henry, Marchetti, Kohn, *Geometry of Lightning Self-Attention* (HMK, arXiv:2408.17221). A layer
maps a sequence of ``t`` tokens ``x_1, …, x_t ∈ R^{d_{i−1}}`` (the rows of X) to

    y_k = Σ_j ⟨Q x_k, K x_j⟩ V x_j,        i.e.  Y = (X Qᵀ K Xᵀ) X Vᵀ,

with Q, K ∈ R^{a_i×d_{i−1}} and V ∈ R^{d_i×d_{i−1}} (no softmax: the attention weights are
left un-normalised, so each output entry is a cubic form in the entries of X). Only
A = QᵀK, of rank ≤ min(a_i, d_{i−1}), enters. Layers are composed; the input X ∈ R^{t×d_0} is
flattened token by token, as is the output ∈ R^{t×d_L}.

This does not compile to the :class:`~neurovariety.architectures.base.Layer` stack (the layer
multiplies its input with itself). It supplies its own parametrization instead — the protocol
:class:`OwnParametrization` (a JAX forward and an exact Jacobian mod p), which the numeric and
exact parametrizations and ``dim`` dispatch to. Commands written against the Layer stack
refuse it through :attr:`Attention.layers` / :attr:`Attention.activation`.

**Symmetries** (a lower bound of the generic fiber, proved here): per layer the fiber of
(Q, K) ↦ QᵀK (GL(a_i), dimension a_i² when a_i ≤ d_{i−1}; 2a_i d − m(2d − m), m = min(a_i, d),
in general), the rescaling (A_i, V_i) ↦ (λA_i, λ^{−1}V_i), and between layers i and i+1 a
change of basis M ∈ GL(d_i): V_i ↦ M V_i and Q_{i+1}, K_{i+1}, V_{i+1} ↦ (·) M^{−1}. On the
(A, V) coordinates the rescalings and the GL(d_i) act with trivial stabilizer at a generic
point when d_i ≤ d_{i−1} for 1 ≤ i < L (induction from layer 1: λ_1 A_1 = A_1 forces λ_1 = 1,
then M_1 V_1 = V_1 with V_1 onto R^{d_1} forces M_1 = I, …); otherwise only the L rescalings
are counted. Hence dim M ≤ n_params − :attr:`Attention.symmetry_dim`.

HMK describe the generic fibers of deep lightning attention (these orbits; finitely many more
where a layer with a_i = 1 can swap query, key and value directions, see
:mod:`~neurovariety.invariants.attention_geometry`, which counts them) and derive
dim M = Σ_i [a_i(2d_{i−1} − a_i) + d_i d_{i−1}] − L − Σ_{0<i<L} d_i²; the authors' script for
their dimension figure plots it for t = 3, d_i = 4, L = 3, a = 1..4. We use the formula
(:attr:`Attention.hmk_dim`) only where t ≥ 2, a_i ≤ d_{i−1}, d_i ≤ d_{i−1} (0 < i < L) and
no layer with a_i ≥ 2 receives rank-one token sequences (:attr:`Attention.token_ranks`; there
the formula overcounts). ``dim`` never relies on it: it certifies when the exact Jacobian rank
meets the symmetry bound above, or the bound of the :attr:`Attention.reduced` network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from math import comb
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ArchitectureError
from .base import MAX_DEPTH, MAX_PARAMS, MAX_WIDTH, Architecture, Layer

MAX_TOKENS = 10_000
BLAS_PRIME_LIMIT = 1 << 26  # centered residues below 2^25: products exact in float64


def unsupported(what: str) -> ArchitectureError:
    """The refusal of a command written for the Layer stack (exit code 2 on the CLI)."""
    return ArchitectureError(
        f"not supported yet for attention: {what}; attention specs support dim, fiber, profile, "
        "singular (one layer), sweeps and the numeric/exact Jacobians (see docs/attention.md)"
    )


@runtime_checkable
class OwnParametrization(Protocol):
    """An architecture outside the Layer stack: it evaluates φ and dφ itself."""

    def jax_forward(self) -> Callable[[Any, Any], Any]: ...

    def forward_mod_p(self, theta: np.ndarray, x: np.ndarray, p: int) -> np.ndarray: ...

    def jacobian_mod_p(self, theta: np.ndarray, x: np.ndarray, p: int) -> np.ndarray: ...


@dataclasses.dataclass(frozen=True)
class Attention(Architecture):
    """L layers of lightning self-attention on ``tokens`` tokens.

    ``widths = (d_0, …, d_L)`` are the embedding widths, ``attention_widths = (a_1, …, a_L)``
    the ranks of the query/key maps.

    >>> f = Attention(3, (4, 4, 4, 4), (2, 2, 2))
    >>> f.n_params, f.symmetry_dim, f.hmk_dim, f.spec
    (96, 47, 49, 'attn t=3 d=4,4,4,4 a=2,2,2')
    >>> g = Attention(2, (3, 2), (1,))       # one layer: the ambient space is the exact span
    >>> g.ambient_dim, g.expected_dim
    (36, 10)
    """

    tokens: int
    widths: tuple[int, ...]
    attention_widths: tuple[int, ...]
    kind = "attn"

    def __post_init__(self) -> None:
        t = self.tokens
        if not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= MAX_TOKENS:
            raise ArchitectureError(f"tokens t={t!r} must be an int in [1, {MAX_TOKENS}], e.g. t=3")
        w, a = self.widths, self.attention_widths
        for name, seq in (("widths", w), ("attention widths", a)):
            if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
                raise ArchitectureError(f"{name} must be a sequence of ints, got {seq!r}")
        w, a = tuple(w), tuple(a)
        for d in (*w, *a):
            if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= MAX_WIDTH:
                raise ArchitectureError(
                    f"width {d!r} must be an int in [1, {MAX_WIDTH}]; e.g. d=4,4 a=2"
                )
        if len(w) < 2:
            raise ArchitectureError(
                f"attention needs an input and an output width, got d={w}; e.g. d=4,4"
            )
        if len(a) != len(w) - 1:
            raise ArchitectureError(
                f"{len(w) - 1} layer(s) (d={','.join(map(str, w))}) need {len(w) - 1} "
                f"attention widths, got a={','.join(map(str, a))}; give one a_i per layer"
            )
        if len(a) > MAX_DEPTH:
            raise ArchitectureError(f"depth {len(a)} exceeds the limit {MAX_DEPTH}")
        object.__setattr__(self, "widths", w)
        object.__setattr__(self, "attention_widths", a)
        if self.n_params > MAX_PARAMS:
            raise ArchitectureError(
                f"{self.n_params} parameters is absurdly many (limit {MAX_PARAMS}); "
                "use smaller widths"
            )

    # ---- shape ---------------------------------------------------------------------------

    @property
    def spec(self) -> str:
        d = ",".join(map(str, self.widths))
        a = ",".join(map(str, self.attention_widths))
        return f"attn t={self.tokens} d={d} a={a}"

    @property
    def depth(self) -> int:
        return len(self.attention_widths)

    @property
    def n_inputs(self) -> int:
        return self.tokens * self.widths[0]

    @property
    def n_outputs(self) -> int:
        return self.tokens * self.widths[-1]

    def layer_offsets(self) -> list[tuple[int, int, int, int]]:
        """Per layer (offset of Q, of K, of V, end): Q, K, V stored row-major."""
        out, o = [], 0
        for i, a in enumerate(self.attention_widths):
            d_in, d_out = self.widths[i], self.widths[i + 1]
            q, k, v = o, o + a * d_in, o + 2 * a * d_in
            o = v + d_out * d_in
            out.append((q, k, v, o))
        return out

    @property
    def n_params(self) -> int:
        return self.layer_offsets()[-1][3]  # the end of the last layer's V

    # ---- what the Layer stack commands would use: refused ---------------------------------

    @property
    def layers(self) -> tuple[Layer, ...]:  # type: ignore[override]
        raise unsupported("this command works on a stack of linear layers and σ")

    @property
    def activation(self) -> Any:  # type: ignore[override]
        raise unsupported("this command needs an activation σ (attention has none)")

    # ---- degrees and ambient space --------------------------------------------------------

    @property
    def output_degrees(self) -> frozenset[int]:
        return frozenset({3**self.depth})

    @property
    def total_degree(self) -> int:
        """Degree in (θ, X) together: D_0 = 1, D_i = 3 D_{i−1} + 3 (Q, K, V one each)."""
        deg = 1
        for _ in range(self.depth):
            deg = 3 * deg + 3
        return deg

    @property
    def ambient_is_span(self) -> bool:
        """True when :attr:`ambient_dim` is the linear span of the image (one layer)."""
        return self.depth == 1

    @property
    def ambient_dim_per_output(self) -> int:
        """Dimension of a space holding every output coordinate.

        One layer: y_{k,c} = Σ_j Σ C_{a,b,e} x_{k,a} x_{j,b} x_{j,e} with C = A ⊗ V_c summed over
        (b, e) symmetrically; for t ≥ 2 the terms with j ≠ k recover C's part symmetric in
        (b, e), so the span has dimension d·d(d+1)/2 (for t = 1, only the cubic forms in x_1:
        C(d+2, 3)). Deeper: all forms of degree 3^L in the t·d_0 inputs (a superset).
        """
        d, t = self.widths[0], self.tokens
        if self.depth == 1:
            return d * d * (d + 1) // 2 if t >= 2 else comb(d + 2, 3)
        deg = 3**self.depth
        return comb(t * d + deg - 1, deg)

    @property
    def ambient_dim(self) -> int:
        """One layer: the linear span of the image (exact); deeper: a proven superset.

        Every layer is permutation-equivariant (f(PX) = P f(X)), so f is determined by the
        first token's d_L outputs. One layer: those are linear in the tensor C_{c,a,(b,e)} =
        (A_{ab}V_{ce} + A_{ae}V_{cb})/2, and rank-one A ⊗ V span all tensors, so the span of
        the image is {C symmetric in (b, e)}: d_1 · d_0 · d_0(d_0+1)/2 for t ≥ 2. Deeper: d_L
        forms of degree 3^L in t·d_0 variables.
        """
        return self.widths[-1] * self.ambient_dim_per_output

    # ---- symmetries and the paper's formula -----------------------------------------------

    @property
    def bottleneck(self) -> bool:
        """d_i ≤ d_{i−1} for the inner widths 0 < i < L (the GL(d_i) act freely)."""
        w = self.widths
        return all(w[i] <= w[i - 1] for i in range(1, len(w) - 1))

    @property
    def symmetry_dim(self) -> int:
        """Dimension of the generic orbit of the symmetries in the module docstring."""
        w, total = self.widths, 0
        for i, a in enumerate(self.attention_widths):
            d = w[i]
            m = min(a, d)
            total += 2 * a * d - m * (2 * d - m) + 1
        if self.bottleneck:
            total += sum(x * x for x in w[1:-1])
        return total

    @property
    def reduced(self) -> Attention:
        """The same neuromanifold with inner widths d_i' = min(d_i, d_{i−1}').

        Layer i's tokens lie in V_i(span of its inputs), of dimension ≤ d_{i−1}': writing
        V_i = E V_i' with E: R^{d_i'} → R^{d_i} injective and moving E into layer i+1's Q, K,
        V shows M(d) ⊆ M(d'); embedding shows the converse.
        """
        w = list(self.widths)
        for i in range(1, len(w) - 1):
            w[i] = min(w[i], w[i - 1])
        return Attention(self.tokens, tuple(w), self.attention_widths)

    @property
    def token_ranks(self) -> tuple[int, ...]:
        """Generic rank r_i of the t×d_i sequence entering layer i+1 (r_0 = min(t, d_0)).

        y_k = V XᵀX KᵀQ x_k, so r_i = min(r_{i−1}, a_i, d_i). On rank-one sequences x_k = u_k w
        a layer sees A only through wᵀAw, its symmetric part: for a_i ≥ 2 the antisymmetric
        part of A_i is lost and the formula overcounts (``attn t=2 d=3,2,2 a=1,2`` has
        dimension 12, not 13).
        """
        r = [min(self.tokens, self.widths[0])]
        for i, a in enumerate(self.attention_widths):
            r.append(min(r[-1], a, self.widths[i + 1]))
        return tuple(r)

    @property
    def symmetry_text(self) -> str:
        """The group whose orbits :attr:`symmetry_dim` counts."""
        between = ", GL(d_i) between layers" if self.bottleneck and self.depth > 1 else ""
        return "GL(a_i) on (Q_i, K_i), a rescaling per layer" + between

    @property
    def hmk_dim(self) -> int | None:
        """HMK's dimension formula where its hypotheses, as we apply them, hold (else None).

        Σ_i [a_i(2d_{i−1} − a_i) + d_i d_{i−1}] − L − Σ_{0<i<L} d_i², for t ≥ 2, a_i ≤ d_{i−1},
        d_i ≤ d_{i−1} (0 < i < L) and r_{i−1} ≥ 2 wherever a_i ≥ 2 (:attr:`token_ranks`).
        """
        w, a = self.widths, self.attention_widths
        if self.tokens < 2 or not self.bottleneck or any(a[i] > w[i] for i in range(len(a))):
            return None
        if any(a[i] >= 2 and r < 2 for i, r in enumerate(self.token_ranks[:-1])):
            return None
        dim = sum(a[i] * (2 * w[i] - a[i]) + w[i + 1] * w[i] for i in range(len(a)))
        return dim - len(a) - sum(x * x for x in w[1:-1])

    def dimension_bounds(self) -> list[tuple[str, int, str]]:
        """Proven upper bounds of dim M as (name, value, source), for ``dim``."""
        n = self.n_params
        span = "span of the image" if self.ambient_is_span else "forms of degree 3^L (superset)"
        out = [
            ("ambient", self.ambient_dim, span),
            ("parameters", n, "dim M ≤ number of parameters"),
            ("symmetry", n - self.symmetry_dim, f"parameters − symmetries ({self.symmetry_text})"),
        ]
        red = self.reduced
        if red != self:
            out.append(("reduced", red.n_params - red.symmetry_dim, f"M equals that of {red.spec}"))
        if self.hmk_dim is not None:
            out.append(("hmk", self.hmk_dim, "lightning attention formula (HMK arXiv:2408.17221)"))
        return out

    def parameter_scales(self) -> np.ndarray:
        """1/√d_{i−1} per weight: keeps every layer's values O(1) for numerical ranks."""
        scales = np.ones(self.n_params)
        for i, (q, _, _, end) in enumerate(self.layer_offsets()):
            scales[q:end] = 1.0 / np.sqrt(self.widths[i])
        return scales

    # ---- parametrization ------------------------------------------------------------------

    def jax_forward(self) -> Callable[[Any, Any], Any]:
        """``f(θ, x)``: flat input (t·d_0,) → flat output (t·d_L,), in JAX."""
        import jax.numpy as jnp

        t, w, offs = self.tokens, self.widths, self.layer_offsets()
        a = self.attention_widths

        def f(theta: Any, x: Any) -> Any:
            X = x.reshape(t, w[0])
            for i, (q, k, v, end) in enumerate(offs):
                d_in, d_out = w[i], w[i + 1]
                Q = theta[q:k].reshape(a[i], d_in)
                K = theta[k:v].reshape(a[i], d_in)
                V = theta[v:end].reshape(d_out, d_in)
                X = ((X @ Q.T) @ (X @ K.T).T) @ (X @ V.T)
            return jnp.reshape(X, (-1,))

        return f

    def _mod_p(self, theta: np.ndarray, x: np.ndarray, p: int, tangents: bool) -> np.ndarray:
        """Forward pass over GF(p) with the tangent (∂/∂θ) carried along when asked.

        Every step is a (batched) matrix product, on float64 BLAS for p < 2^26 (:class:`_Field`).
        Tangents are stored (sample, token, parameter, coordinate), so the products with Q, K, V
        are one tall GEMM and those with the attention weights one GEMM per sample.
        """
        F = _Field(p)
        t, w, n = self.tokens, self.widths, self.n_params
        theta = F.residues(theta)
        S = x.shape[0]
        X = F.residues(x).reshape(S, t, w[0])
        dX: np.ndarray | None = None  # the input does not depend on θ
        for i, (q, k, v, end) in enumerate(self.layer_offsets()):
            a, d_in = self.attention_widths[i], w[i]
            mats, jets = [], []
            for lo, hi, rows in ((q, k, a), (k, v, a), (v, end, w[i + 1])):
                M = theta[lo:hi].reshape(rows, d_in)
                mats.append(F.combine([(X, M.T, None)]))  # X Mᵀ
                if tangents:
                    jets.append(self._linear_jet(F, X, dX, M, lo, n))
            U, W, Z = mats
            att = F.combine([(U, W.transpose(0, 2, 1), None)])  # ⟨Q x_i, K x_j⟩
            X_new = F.combine([(att, Z, None)])
            if tangents:
                dU, dW, dZ = jets
                # datt[s,i,n,j] = Σ_a dU[s,i,n,a] W[s,j,a] + U[s,i,a] dW[s,j,n,a]
                datt = F.combine(
                    [
                        (dU.reshape(S, t * n, a), W.transpose(0, 2, 1), None),
                        (dW.reshape(S, t * n, a), U.transpose(0, 2, 1), (0, 3, 2, 1)),
                    ],
                    (S, t, n, t),
                )
                # dX[s,i,n,c] = Σ_j datt[s,i,n,j] Z[s,j,c] + att[s,i,j] dZ[s,j,n,c]
                c = w[i + 1]
                dX = F.combine(
                    [(datt.reshape(S, t * n, t), Z, None), (att, dZ.reshape(S, t, n * c), None)],
                    (S, t, n, c),
                )
            X = X_new
        if dX is not None:
            J = np.ascontiguousarray(dX.transpose(0, 1, 3, 2)).reshape(S * t * w[-1], n)
            return F.canonical(J)
        return F.canonical(X.reshape(S, t * w[-1]))

    @staticmethod
    def _linear_jet(
        F: _Field, X: np.ndarray, dX: np.ndarray | None, M: np.ndarray, lo: int, n: int
    ) -> np.ndarray:
        """Tangent of X Mᵀ, shape (S, t, n, rows): dX Mᵀ plus X in M's own columns."""
        S, t, d_in = X.shape
        rows = M.shape[0]
        if dX is None:
            out, bound = np.zeros((S, t, n, rows), dtype=X.dtype), 0.0
        else:
            out, bound = F.sum([(dX.reshape(S * t * n, d_in), M.T, None)])
            out = out.reshape(S, t, n, rows)
        # ∂(X Mᵀ)[s,i,r]/∂M[r,b] = X[s,i,b]
        block = out[:, :, lo : lo + rows * d_in, :].reshape(S, t, rows, d_in, rows)
        for r in range(rows):
            block[:, :, r, :, r] += X
        F.reduce(out, bound + F.h)
        return out

    def forward_mod_p(self, theta: np.ndarray, x: np.ndarray, p: int) -> np.ndarray:
        """Outputs mod p for a batch of flat inputs, shape (S, t·d_L), entries in [0, p)."""
        return self._mod_p(theta, x, p, tangents=False)

    def jacobian_mod_p(self, theta: np.ndarray, x: np.ndarray, p: int) -> np.ndarray:
        """Jacobian mod p by exact forward-mode differentiation, rows (sample, token, coord)."""
        return self._mod_p(theta, x, p, tangents=True)


_Product = tuple[np.ndarray, np.ndarray, tuple[int, ...] | None]


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` on BLAS, contiguous: numpy leaves BLAS for some strided operands, and a tall
    ``a`` times a narrow ``b`` ran ~10× faster as ``(bᵀ aᵀ)ᵀ`` (OpenBLAS, 737280×16 by 16×4)."""
    b = np.ascontiguousarray(b)
    if a.ndim == 2 and a.shape[0] > 4 * b.shape[1]:
        return np.ascontiguousarray(np.matmul(np.ascontiguousarray(b.T), a.T).T)
    return np.matmul(np.ascontiguousarray(a), b)


class _Field:
    """GF(p) for the attention pass: sums of (batched) matrix products, reduced once per sum.

    For p < 2^26 residues are centered float64 (|x| ≤ h = p//2 + 4) and products run on BLAS:
    a product with inner dimension k is bounded by k·h², exact while the running bound stays
    below 2^53 − 2^30 (:mod:`neurovariety.exact.blas_field`); longer sums are reduced between
    chunks. Larger primes use Python integers (object arrays), reduced after each product.
    """

    def __init__(self, p: int) -> None:
        from ..exact.blas_field import LIMIT, Field, reduce_inplace

        self.p = p
        self.blas = p < BLAS_PRIME_LIMIT
        f = Field.of(p) if self.blas else None
        self.h = f.h if f is not None else float(p)
        self.h2 = f.h2 if f is not None else 0.0
        self.kmax = f.kmax if f is not None else 1 << 62
        self.limit = LIMIT
        self._field, self._reduce_inplace = f, reduce_inplace

    def residues(self, a: np.ndarray) -> np.ndarray:
        r = [int(v) % self.p for v in np.ravel(a)]
        if not self.blas:
            return np.array(r, dtype=object).reshape(np.shape(a))
        out = np.array(r, dtype=np.float64).reshape(np.shape(a))
        out -= self.p * (out > self.p // 2)
        return out

    def reduce(self, x: np.ndarray, bound: float) -> None:
        """Reduce contiguous ``x`` (|x| ≤ bound) in place to |x| ≤ h."""
        if self._field is None:
            np.mod(x, self.p, out=x)
        elif bound > self.h:
            self._reduce_inplace(x.reshape(-1, x.shape[-1]), self._field)

    def sum(
        self, products: list[_Product], shape: tuple[int, ...] | None = None
    ) -> tuple[np.ndarray, float]:
        """Σ a @ b, each reshaped to ``shape`` and transposed by its axes when given, unreduced,
        with a bound on the entries."""
        out: np.ndarray | None = None
        bound = 0.0
        for a, b, axes in products:
            k = a.shape[-1]
            for s in range(0, k, self.kmax):
                e = min(k, s + self.kmax)
                step = self.h2 * (e - s)
                if out is not None and bound + step > self.limit:
                    self.reduce(out, bound)
                    bound = self.h
                y = _matmul(a[..., s:e], b[..., s:e, :])
                y = y if shape is None else y.reshape(shape)
                y = y if axes is None else y.transpose(axes)
                if out is None:
                    out = np.ascontiguousarray(y)
                else:
                    out += y
                bound += step
        assert out is not None
        return out, bound

    def combine(self, products: list[_Product], shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Σ a @ b as in :meth:`sum`, reduced."""
        out, bound = self.sum(products, shape)
        self.reduce(out, bound)
        return out

    def canonical(self, x: np.ndarray) -> np.ndarray:
        """Residues in [0, p)."""
        if self._field is None:
            return x % self.p
        x += self.p * (x < 0)  # from |x| ≤ p//2 + 4
        return x


def parse_attention(fields: list[str], text: str) -> Attention:
    """``t=T d=D[,D…] a=A[,A…]``: one d (or a) is repeated over the layers.

    ``d`` lists d_0..d_L; with one value and L attention widths every d_i is that value; with
    one ``a`` and several d it is repeated.
    """
    from .spec import _ints  # spec imports this module lazily: no cycle at import time

    vals: dict[str, tuple[int, ...]] = {}
    for tok in fields:
        key, sep, rest = tok.partition("=")
        key = key.lower()
        if not sep or key not in ("t", "d", "a") or key in vals:
            raise ArchitectureError(
                f"attention field {tok!r} in {text!r}: give t=TOKENS d=WIDTHS a=ATTENTION_WIDTHS "
                "once each, e.g. 'attn t=3 d=4 a=2' or 'attn t=3 d=4,4,4 a=2,2'"
            )
        vals[key] = _ints(rest, key, ",")
    missing = [k for k in ("t", "d", "a") if k not in vals]
    if missing:
        raise ArchitectureError(
            f"attention spec {text!r} lacks {', '.join(k + '=' for k in missing)}; "
            "e.g. 'attn t=3 d=4 a=2'"
        )
    if len(vals["t"]) != 1:
        raise ArchitectureError(f"t= takes one token count, got {vals['t']}; e.g. t=3")
    d, a = vals["d"], vals["a"]
    if len(d) == 1:
        d = d * (len(a) + 1)
    if len(a) == 1:
        a = a * (len(d) - 1)
    return Attention(vals["t"][0], d, a)
