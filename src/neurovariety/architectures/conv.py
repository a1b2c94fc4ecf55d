"""Multi-channel and multi-dimensional convolutional networks (polynomial and linear).

Layer i has ``c_{i−1}`` input and ``c_i`` output channels and one filter of shape
``k_i = (k_i¹, …, k_iᴰ)`` per (output channel, input channel) pair, shared across positions:
``h_i[o, t] = Σ_{j, m} w_i[o, j, m] · σ(h_{i−1})[j, t·s_i + m]`` (σ skipped on the input). As for
the single-channel :class:`~neurovariety.architectures.cnn.CNN`, the network is evaluated at one
output position (all ``c_L`` output channels) on the smallest input that covers it: per axis,
``n_L = 1`` and ``n_{i−1} = (n_i − 1)·s_i + k_i``, so the input has ``c_0 · Π_axes n_0`` entries.
The layer matrices are block-Toeplitz (1D) or doubly-block-Toeplitz (2D); units are ordered
channel first, then positions in row-major order.
"""

from __future__ import annotations

import dataclasses
import math
from functools import cached_property

import numpy as np

from ..errors import ArchitectureError
from .activations import Activation, Monomial
from .base import MAX_DEPTH, MAX_PARAMS, MAX_WIDTH, Architecture, Layer
from .cnn import CNN, LCN, MAX_PATTERN_ENTRIES, _power_support, require_linear

MAX_CONV_DIM = 3  # filter axes (1D, 2D, 3D)
MAX_CHANNELS = 10_000

Shape = tuple[int, ...]


def _positive(v: object, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ArchitectureError(f"{what} {v!r} must be an int ≥ 1")
    if v > MAX_WIDTH:
        raise ArchitectureError(f"{what} {v} is absurdly large (limit {MAX_WIDTH})")
    return v


def _shape(v: object, what: str) -> Shape:
    t = (v,) if isinstance(v, int) and not isinstance(v, bool) else v
    if isinstance(t, (str, bytes)) or not hasattr(t, "__iter__"):
        raise ArchitectureError(f"{what} {v!r} must be an int or a tuple of ints, e.g. (3, 3)")
    t = tuple(t)  # type: ignore[arg-type]
    if not 1 <= len(t) <= MAX_CONV_DIM:
        raise ArchitectureError(f"{what} {v!r} must have 1 to {MAX_CONV_DIM} axes")
    return tuple(_positive(x, what) for x in t)


def _normalise(
    filters: object, channels: object, strides: object
) -> tuple[tuple[Shape, ...], tuple[int, ...], tuple[Shape, ...]]:
    if isinstance(filters, (str, bytes)) or not hasattr(filters, "__iter__"):
        raise ArchitectureError(
            f"filters must be a sequence, e.g. ((3, 3), (2, 2)); got {filters!r}"
        )
    k = tuple(_shape(f, "filter size") for f in filters)  # type: ignore[union-attr]
    if not k:
        raise ArchitectureError("a convolutional network needs at least one filter, e.g. k=3,2")
    if len(k) > MAX_DEPTH:
        raise ArchitectureError(f"depth {len(k)} exceeds the limit {MAX_DEPTH}")
    D = len(k[0])
    if any(len(f) != D for f in k):
        raise ArchitectureError(
            f"filters {k} mix {sorted({len(f) for f in k})} axes; give every layer a filter with "
            f"the same number of axes, e.g. k=3x3,2x2"
        )
    L = len(k)
    if isinstance(channels, (str, bytes)) or not hasattr(channels, "__iter__"):
        raise ArchitectureError(f"channels must be a sequence of ints c_0..c_L; got {channels!r}")
    c = tuple(channels)  # type: ignore[arg-type]
    if len(c) != L + 1:
        raise ArchitectureError(
            f"{len(c)} channel counts given for {L} layers; give c_0..c_L ({L + 1} values, input "
            "channels first), e.g. c=1,2,1 for k=3,2"
        )
    for ci in c:
        if _positive(ci, "channel count") > MAX_CHANNELS:
            raise ArchitectureError(f"channel count {ci} is absurdly large (limit {MAX_CHANNELS})")
    if isinstance(strides, int) and not isinstance(strides, bool):
        strides = (strides,)
    if isinstance(strides, (str, bytes)) or not hasattr(strides, "__iter__"):
        raise ArchitectureError(f"strides must be an int or a sequence; got {strides!r}")
    s_list = [_shape(x, "stride") for x in strides]  # type: ignore[union-attr]
    if len(s_list) == 1:  # one stride for every layer (none for a single layer)
        s_list = s_list * (L - 1)
    if len(s_list) != L - 1:
        raise ArchitectureError(
            f"{len(s_list)} strides given for {L} layers; give the strides of layers 1..L−1 "
            f"({L - 1} values) or one value for all"
        )
    s = []
    for x in s_list:
        if len(x) == 1:
            x = x * D
        if len(x) != D:
            raise ArchitectureError(
                f"stride {'x'.join(map(str, x))} has not {D} axes like the filters"
            )
        s.append(x)
    return k, c, tuple(s)


def positions(k: tuple[Shape, ...], s: tuple[Shape, ...]) -> list[Shape]:
    """Grid shape of every layer from the output side (one output position): per axis
    ``n_{i−1} = (n_i − 1)·s_i + k_i``; ``positions(...)[0]`` is the receptive field."""
    L, D = len(k), len(k[0])
    grids = [(1,) * D]
    for i in range(L - 1, -1, -1):
        stride = s[i] if i < L - 1 else (1,) * D
        grids.append(
            tuple((n - 1) * st + kk for n, st, kk in zip(grids[-1], stride, k[i], strict=True))
        )
    grids.reverse()
    return grids


def _conv_layer(
    c_in: int, c_out: int, grid_in: Shape, grid_out: Shape, k: Shape, stride: Shape, offset: int
) -> Layer:
    n_pin, n_pout, K = math.prod(grid_in), math.prod(grid_out), math.prod(k)
    t = np.stack(np.unravel_index(np.arange(n_pout), grid_out), axis=1)  # (n_pout, D)
    m = np.stack(np.unravel_index(np.arange(K), k), axis=1)  # (K, D)
    src = t[:, None, :] * np.asarray(stride) + m[None, :, :]  # (n_pout, K, D)
    src_flat = np.ravel_multi_index(tuple(np.moveaxis(src, -1, 0)), grid_in)  # (n_pout, K)
    o = np.arange(c_out)[:, None, None, None]
    j = np.arange(c_in)[None, :, None, None]
    rows = o * n_pout + np.arange(n_pout)[None, None, :, None]
    cols = j * n_pin + src_flat[None, None, :, :]
    vals = (o * c_in + j) * K + np.arange(K)[None, None, None, :]
    pattern = -np.ones((c_out * n_pout, c_in * n_pin), dtype=np.int64)
    shape = (c_out, c_in, n_pout, K)
    pattern[np.broadcast_to(rows, shape), np.broadcast_to(cols, shape)] = np.broadcast_to(
        vals, shape
    )
    return Layer(c_in * n_pin, c_out * n_pout, pattern, c_out * c_in * K, offset, False, False)


def _text(x: Shape) -> str:
    """A stride: one number when every axis has it."""
    return str(x[0]) if len(set(x)) == 1 else "x".join(map(str, x))


@dataclasses.dataclass(frozen=True)
class ConvNet(Architecture):
    """Multi-channel and/or multi-dimensional CNN: filter shapes ``k_1..k_L`` from the input side,
    channels ``c_0..c_L`` (input channels first), strides of layers 1..L−1 (one int for all, or
    one entry per layer: an int for every axis or a per-axis tuple, ``((2, 1),)``), σ between
    layers. Single-channel 1D networks are :class:`CNN` (build either with :func:`conv_network`).

    >>> from neurovariety.architectures import ConvNet, Monomial
    >>> f = ConvNet((3, 2), (1, 2, 1), 2, Monomial(2))
    >>> f.n_inputs, f.n_outputs, f.n_params, f.spec
    (5, 1, 10, 'cnn k=3,2 c=1,2,1 s=2 x^2')
    >>> g = ConvNet(((3, 3), (2, 2)), (1, 1, 1), 1, Monomial(2))
    >>> g.n_inputs, g.n_params, g.spec
    (16, 13, 'cnn k=3x3,2x2 x^2')
    """

    filters: tuple[Shape, ...]
    channels: tuple[int, ...]
    strides: tuple[Shape, ...] | int = 1
    activation: Activation = Monomial(2)
    kind = "cnn"

    def __post_init__(self) -> None:
        k, c, s = _normalise(self.filters, self.channels, self.strides)
        if not isinstance(self.activation, Activation):
            raise ArchitectureError(f"activation must be an Activation, got {self.activation!r}")
        if len(k[0]) == 1 and all(ci == 1 for ci in c):
            raise ArchitectureError(
                "a single-channel 1D convolution is a CNN or LCN; build it with CNN(filters, "
                "strides, activation) or conv_network(...)"
            )
        object.__setattr__(self, "filters", k)
        object.__setattr__(self, "channels", c)
        object.__setattr__(self, "strides", s)
        n = sum(c[i] * c[i + 1] * math.prod(k[i]) for i in range(len(k)))
        if n > MAX_PARAMS:
            raise ArchitectureError(f"{n} parameters is absurdly many (limit {MAX_PARAMS})")
        units = [ci * math.prod(g) for ci, g in zip(c, positions(k, s), strict=True)]
        entries = sum(a * b for a, b in zip(units, units[1:], strict=False))
        if entries > MAX_PATTERN_ENTRIES:
            raise ArchitectureError(
                f"{self.spec}: its convolution matrices would hold {entries:.3g} entries (input "
                f"{units[0]:,} units; limit {MAX_PATTERN_ENTRIES:.0e}), too large to represent; "
                "use smaller filters, strides, fewer channels or fewer layers"
            )

    @property
    def conv_dim(self) -> int:
        """Number of filter axes D (1 for 1D, 2 for 2D convolutions)."""
        return len(self.filters[0])

    @property
    def hidden_channels(self) -> tuple[int, ...]:
        return self.channels[1:-1]

    def _build_layers(self) -> tuple[Layer, ...]:
        k, c, s = self.filters, self.channels, self.strides
        grids = positions(k, s)  # type: ignore[arg-type]
        layers, offset = [], 0
        D = self.conv_dim
        for i in range(len(k)):
            stride = s[i] if i < len(k) - 1 else (1,) * D  # type: ignore[index]
            layer = _conv_layer(c[i], c[i + 1], grids[i], grids[i + 1], k[i], stride, offset)
            layers.append(layer)
            offset += layer.n_params
        return tuple(layers)

    def rescaling_gauge(self) -> list[int]:
        """Parameters fixed to 1 by the rescaling torus (monomial σ): the first weight of the
        first filter into each hidden channel."""
        out = []
        for i, layer in enumerate(self.layers[:-1]):
            K = math.prod(self.filters[i])
            out += [layer.offset + o * self.channels[i] * K for o in range(self.channels[i + 1])]
        return out

    @property
    def gl_orbits_full(self) -> bool:
        """Whether Π GL(c_i) acts with finite stabilizer at generic parameters (linear σ).

        The Lie algebra stabilizer solves X_i·W_i^{(m)} = W_i^{(m)}·X_{i−1} for every tap m with
        X_0 = X_L = 0. If X_{i−1} = 0 and the c_i × c_{i−1}·K_i matrix [W_i^{(m)}]_m has full row
        rank (generic when c_i ≤ c_{i−1}·K_i), then X_i = 0; symmetrically from the output side
        when c_i ≤ c_{i+1}·K_{i+1}. Every hidden X_i forced to 0 this way: finite stabilizer.
        """
        c, L = self.channels, len(self.filters)
        K = [math.prod(f) for f in self.filters]
        zero = [True] + [False] * (L - 1) + [True]
        for i in range(1, L):
            zero[i] = zero[i - 1] and c[i] <= c[i - 1] * K[i - 1]
        back = [True] * (L + 1)
        for i in range(L - 1, 0, -1):
            back[i] = back[i + 1] and c[i] <= c[i + 1] * K[i]
        return all(zero[i] or back[i] for i in range(1, L))

    @property
    def symmetry_dim(self) -> int:
        """Monomial σ = c·x^r: rescaling each hidden channel (Σ c_i over hidden layers; the
        stabilizer is finite where the filters are non-zero). Linear σ: Π GL(c_i) mixing hidden
        channels (Σ c_i²) where :attr:`gl_orbits_full` proves its orbits full, else the torus.
        Other σ: 0."""
        if self.activation.is_linear and self.gl_orbits_full:
            return sum(ci * ci for ci in self.hidden_channels)
        if self.activation.is_monomial:
            return sum(self.hidden_channels)
        return 0

    @property
    def factorization_dim(self) -> int | None:
        """Single-channel linear network of any dimension D and any strides: ``Σ_i |k_i| − (L−1)``.

        The end-to-end filter is the product Π_i w_i(x^{S_i}) of D-variate polynomials
        (KMMT arXiv:2108.01538; KMST arXiv:2304.05752 for D = 1); by unique factorization in
        C[x_1..x_D] a non-zero product has finitely many factorizations up to the L−1 rescalings,
        so the generic fiber is the torus orbit. None for other networks.
        """
        if not (self.activation.is_linear and all(ci == 1 for ci in self.channels)):
            return None
        return sum(math.prod(f) for f in self.filters) - (len(self.filters) - 1)

    def dimension_bounds(self) -> list[tuple[str, int, str]]:
        """Proven upper bounds (name, value, source) for :func:`upper_bounds`."""
        out = []
        fd = self.factorization_dim
        if fd is not None:
            out.append(
                (
                    "factorization",
                    fd,
                    "Σ|k_i| − L + 1: end-to-end filter factors uniquely (KMMT arXiv:2108.01538)",
                )
            )
        elif self.activation.is_linear and self.gl_orbits_full:
            out.append(
                (
                    "symmetry",
                    self.n_params - self.symmetry_dim,
                    "parameters − Σ c_i² (GL(c_i) mixes hidden channels, finite stabilizer)",
                )
            )
        elif self.activation.is_monomial:
            out.append(
                (
                    "symmetry",
                    self.n_params - sum(self.hidden_channels),
                    "parameters − hidden-channel rescalings (a torus with finite stabilizers)",
                )
            )
        return out

    @cached_property
    def ambient_dim_per_output(self) -> int:  # type: ignore[override]
        return len(self._output_support())

    def _output_support(self) -> set[tuple[int, ...]]:
        """Reachable monomials of one output, as sorted tuples of input indices.

        Every output channel reads every input channel, and a unit at position t of layer i
        reaches the monomials of the unit at 0 shifted by t·s_1⋯s_i on the input grid. So one
        support per layer suffices: layer i + 1's is the union over its taps m of layer i's
        (after σ) shifted by m·s_1⋯s_i — in the flat input index a constant added.
        """
        grid0 = positions(self.filters, self.strides)[0]  # type: ignore[arg-type]
        n0 = math.prod(grid0)

        def offsets(k: Shape, jump: np.ndarray) -> list[int]:
            taps = np.stack(np.unravel_index(np.arange(math.prod(k)), k), axis=1) * jump
            return np.ravel_multi_index(tuple(taps.T), grid0).tolist()

        jump = np.ones(self.conv_dim, dtype=np.int64)
        first = offsets(self.filters[0], jump)
        support: set[tuple[int, ...]] = {
            (j * n0 + o,) for j in range(self.channels[0]) for o in first
        }
        for i in range(1, len(self.filters)):
            powered = _power_support(frozenset(support), self.activation.exponents)
            jump = jump * np.asarray(self.strides[i - 1])  # type: ignore[index]
            support = {
                tuple(v + o for v in mono)
                for o in offsets(self.filters[i], jump)
                for mono in powered
            }
        return support

    def _spec_body(self) -> str:
        s = f"k={','.join('x'.join(map(str, f)) for f in self.filters)}"
        if any(ci != 1 for ci in self.channels):
            s += f" c={','.join(map(str, self.channels))}"
        st = self.strides
        if any(x != 1 for t in st for x in t):  # type: ignore[union-attr]
            texts = [_text(t) for t in st]  # type: ignore[union-attr]
            s += f" s={texts[0] if len(set(texts)) == 1 else ','.join(texts)}"
        return s

    @property
    def spec(self) -> str:
        return f"cnn {self._spec_body()} {self.activation.spec}"


@dataclasses.dataclass(frozen=True)
class LinearConvNet(ConvNet):
    """A :class:`ConvNet` with σ = identity.

    >>> from neurovariety.architectures import LinearConvNet
    >>> f = LinearConvNet(((3, 3), (2, 2)), (1, 1, 1), 2)
    >>> f.n_inputs, f.expected_dim, f.spec
    (25, 12, 'lcn k=3x3,2x2 s=2')
    """

    activation: Activation = Monomial(1)
    kind = "lcn"

    def __post_init__(self) -> None:
        super().__post_init__()
        require_linear(self.activation, "ConvNet")

    @property
    def spec(self) -> str:
        return f"lcn {self._spec_body()}"


def conv_network(
    filters: object, channels: object, strides: object, activation: Activation | None
) -> Architecture:
    """The convolutional network with these sizes: :class:`CNN`/:class:`LCN` when it is 1D and
    single-channel (so such specs keep their canonical form and key), else :class:`ConvNet` /
    :class:`LinearConvNet`. ``activation=None`` means linear."""
    k, c, s = _normalise(filters, channels, strides)
    if len(k[0]) == 1 and all(ci == 1 for ci in c):
        k1 = tuple(f[0] for f in k)
        s1 = tuple(t[0] for t in s)
        return LCN(k1, s1) if activation is None else CNN(k1, s1, activation)
    if activation is None:
        return LinearConvNet(k, c, s)
    return ConvNet(k, c, s, activation)
