"""One-dimensional single-channel convolutional networks, polynomial (CNN) and linear (LCN)."""

from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np

from ..errors import ArchitectureError
from .activations import Activation, Monomial
from .base import MAX_DEPTH, MAX_WIDTH, Architecture, Layer


def _check_sizes(filters: object, strides: object) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if isinstance(filters, (str, bytes)) or not hasattr(filters, "__iter__"):
        raise ArchitectureError(f"filters must be a sequence of ints, e.g. (3, 2); got {filters!r}")
    k = tuple(filters)
    if not k:
        raise ArchitectureError("a convolutional network needs at least one filter, e.g. k=3,2")
    if len(k) > MAX_DEPTH:
        raise ArchitectureError(f"depth {len(k)} exceeds the limit {MAX_DEPTH}")
    for ki in k:
        if not isinstance(ki, int) or isinstance(ki, bool) or ki < 1:
            raise ArchitectureError(f"filter size {ki!r} must be an int ≥ 1, e.g. k=3,2")
        if ki > MAX_WIDTH:
            raise ArchitectureError(f"filter size {ki} is absurdly large (limit {MAX_WIDTH})")
    if isinstance(strides, int) and not isinstance(strides, bool):
        strides = (strides,) * (len(k) - 1)
    if isinstance(strides, (str, bytes)) or not hasattr(strides, "__iter__"):
        raise ArchitectureError(f"strides must be an int or a sequence of ints; got {strides!r}")
    s = tuple(strides)
    if len(s) == 1 and len(k) > 2:
        s = s * (len(k) - 1)
    if len(s) != len(k) - 1:
        raise ArchitectureError(
            f"{len(s)} strides given for {len(k)} layers; give the strides of layers 1..L−1 "
            f"({len(k) - 1} values) or one value for all"
        )
    for si in s:
        if not isinstance(si, int) or isinstance(si, bool) or si < 1:
            raise ArchitectureError(f"stride {si!r} must be an int ≥ 1")
        if si > MAX_WIDTH:
            raise ArchitectureError(f"stride {si} is absurdly large (limit {MAX_WIDTH})")
    return k, s


#: Entries of all Toeplitz layer matrices together (int64 patterns: 8 bytes each, 400 MB).
MAX_PATTERN_ENTRIES = 50_000_000


def _layer_sizes(k: tuple[int, ...], s: tuple[int, ...]) -> list[int]:
    """Sizes from the output side: one output, n_{i−1} = (n_i − 1)·s_i + k_i; sizes[0] is the
    receptive field."""
    L = len(k)
    sizes = [1]
    for i in range(L - 1, -1, -1):
        stride = s[i] if i < L - 1 else 1
        sizes.append((sizes[-1] - 1) * stride + k[i])
    sizes.reverse()
    return sizes


def _check_pattern_size(k: tuple[int, ...], s: tuple[int, ...], text: str) -> None:
    sizes = _layer_sizes(k, s)
    entries = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    if entries > MAX_PATTERN_ENTRIES:
        raise ArchitectureError(
            f"{text}: its convolution matrices would hold {entries:.3g} entries (receptive field "
            f"{sizes[0]:,}; limit {MAX_PATTERN_ENTRIES:.0e}), too large to represent; use smaller "
            "filters, strides or fewer layers"
        )


def _conv_layers(k: tuple[int, ...], s: tuple[int, ...]) -> tuple[Layer, ...]:
    L = len(k)
    sizes = _layer_sizes(k, s)  # sizes[i] = n_i
    layers, offset = [], 0
    for i in range(L):
        n_in, n_out = sizes[i], sizes[i + 1]
        stride = s[i] if i < L - 1 else 1
        pattern = -np.ones((n_out, n_in), dtype=np.int64)
        for t in range(n_out):
            pattern[t, t * stride : t * stride + k[i]] = np.arange(k[i])
        layers.append(Layer(n_in, n_out, pattern, k[i], offset, False, False))
        offset += k[i]
    return tuple(layers)


@dataclasses.dataclass(frozen=True)
class CNN(Architecture):
    """1D single-channel CNN: filters ``k = (k_1, …, k_L)`` from the input side, strides of layers
    1..L−1, σ between layers. The function is identified with its first output, a polynomial in
    the receptive field's ``k_1 + Σ_{i≥2} (k_i − 1)·s_1⋯s_{i−1}`` inputs.

    >>> from neurovariety import CNN, Monomial
    >>> f = CNN((3, 2), 2, Monomial(2))
    >>> f.n_inputs, f.n_params, f.expected_dim, f.spec
    (5, 5, 4, 'cnn k=3,2 s=2 x^2')
    """

    filters: tuple[int, ...]
    strides: tuple[int, ...] | int = 1
    activation: Activation = Monomial(2)
    kind = "cnn"

    def __post_init__(self) -> None:
        k, s = _check_sizes(self.filters, self.strides)
        if not isinstance(self.activation, Activation):
            raise ArchitectureError(f"activation must be an Activation, got {self.activation!r}")
        _check_pattern_size(k, s, f"filters {k} with strides {s}")
        object.__setattr__(self, "filters", k)
        object.__setattr__(self, "strides", s)

    def _build_layers(self) -> tuple[Layer, ...]:
        return _conv_layers(self.filters, self.strides)  # type: ignore[arg-type]

    @property
    def symmetry_dim(self) -> int:
        """Rescaling the L filters (a torus of dimension L − 1) when σ is a monomial."""
        return len(self.filters) - 1 if self.activation.is_monomial else 0

    @cached_property
    def ambient_dim_per_output(self) -> int:  # type: ignore[override]
        return len(_support_multisets(self))

    @property
    def spec(self) -> str:
        s = f"cnn k={','.join(map(str, self.filters))}"
        if self.strides and any(x != 1 for x in self.strides):  # type: ignore[union-attr]
            s += f" s={_stride_text(self.strides)}"  # type: ignore[arg-type]
        return f"{s} {self.activation.spec}"


@dataclasses.dataclass(frozen=True)
class LCN(CNN):
    """Linear convolutional network: a :class:`CNN` with σ = identity.

    >>> from neurovariety import LCN
    >>> f = LCN((3, 2), 2)
    >>> f.n_inputs, f.expected_dim, f.spec
    (5, 4, 'lcn k=3,2 s=2')
    """

    activation: Activation = Monomial(1)
    kind = "lcn"

    def __post_init__(self) -> None:
        super().__post_init__()
        require_linear(self.activation, "CNN")

    @property
    def spec(self) -> str:
        s = f"lcn k={','.join(map(str, self.filters))}"
        if any(x != 1 for x in self.strides):  # type: ignore[union-attr]
            s += f" s={_stride_text(self.strides)}"  # type: ignore[arg-type]
        return s


def require_linear(activation: Activation, instead: str) -> None:
    if not activation.is_linear:
        raise ArchitectureError(
            f"an LCN has the identity activation, got {activation.spec}; use {instead} instead"
        )


def _stride_text(s: tuple[int, ...]) -> str:
    return str(s[0]) if len(set(s)) == 1 else ",".join(map(str, s))


MAX_SUPPORT = 2_000_000


def _support_multisets(arch: Architecture) -> frozenset[tuple[int, ...]]:
    """Reachable monomials of the first output as sorted tuples of variable indices.

    Multisets keep a product O(degree) instead of O(inputs) as with exponent vectors.
    """
    Supports = list[frozenset[tuple[int, ...]]]
    exps = arch.activation.exponents

    def linear(layer: Layer, supports: Supports) -> Supports:
        new = []
        for a in range(layer.n_out):
            acc: set[tuple[int, ...]] = set()
            for b in np.nonzero(layer.pattern[a] >= 0)[0]:
                acc |= supports[int(b)]
            new.append(frozenset(acc))
        return new

    def sigma(supports: Supports) -> Supports:
        return [_power_support(sp, exps) for sp in supports]

    inputs: Supports = [frozenset({(i,)}) for i in range(arch.n_inputs)]
    return arch.walk(inputs, linear, sigma)[0]


def reachable_support(arch: Architecture) -> frozenset[tuple[int, ...]]:
    """Monomials (exponent vectors) that can occur in the first output of a convolutional net.

    Convolutions touch only some products of inputs (for k = (2, 2), s = 1, σ = x²: no x₀x₂), so
    the ambient space is the span of the generic support, found by propagating supports.

    >>> from neurovariety import CNN, Monomial
    >>> sorted(reachable_support(CNN((2, 2), 1, Monomial(2))))
    [(0, 0, 2), (0, 1, 1), (0, 2, 0), (1, 1, 0), (2, 0, 0)]
    """
    n0 = arch.n_inputs
    out = set()
    for m in _support_multisets(arch):
        e = [0] * n0
        for i in m:
            e[i] += 1
        out.add(tuple(e))
    return frozenset(out)


def _power_support(
    sp: frozenset[tuple[int, ...]], exps: tuple[int, ...]
) -> frozenset[tuple[int, ...]]:
    out: set[tuple[int, ...]] = set()
    for e in exps:
        acc: set[tuple[int, ...]] = {()}
        for _ in range(e):
            acc = {tuple(sorted(a + b)) for a in acc for b in sp}
            if len(acc) > MAX_SUPPORT:
                raise ArchitectureError(
                    f"the reachable monomials exceed {MAX_SUPPORT}; this architecture is too "
                    "large for an exact ambient space — use fewer layers or smaller filters"
                )
        out |= acc
    return frozenset(out)
