"""Subnetwork strata of multi-channel and multi-dimensional convolutions (:class:`ConvNet`).

Two kinds, each a linear subspace of parameter space whose image is the neuromanifold of a
smaller ConvNet (so its dimension comes from the same machinery as any network's):

* ``padding``: layer i's filters vanish outside the box Π_d [a_i^d, k_i^d − b_i^d) in *every*
  (output, input) channel pair, so each filter is a smaller one shifted. The smaller network has
  the same channels and strides, filters of shape k_i − a_i − b_i, and reads the input grid
  shifted by o^d = Σ_i a_i^d · s_1^d ⋯ s_{i−1}^d on axis d (the single-channel rule of PCN,
  arXiv:2410.00722, and KMST, arXiv:2304.05752, per channel pair and per axis).
* hidden channels, as the hidden neurons of an MLP (Razor, arXiv:2505.11846): channel 0 of
  hidden layer i is ``inactive-out`` (its out-filters zero: its in-filters move freely),
  ``inactive-in`` (its in-filters zero, when σ(0) = 0: then it outputs 0), or ``redundant`` with
  channel 1 (equal in-filters: only the sum of their out-filters matters). The smaller network
  has c_i − 1 channels there; with none left it computes the zero function.

A tap zero in some channel pairs only leaves filters of different sizes per pair, which no
architecture of the spec grammar describes. Interior zeros of 1D filters follow the single-channel
rule (:mod:`.dilations`, in :mod:`.strata`); those of 2D filters are not enumerated. Paddings are
stored flat, layer by layer and axis by axis: ``padding[i·D + d]``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from ..architectures.base import Architecture
from ..architectures.conv import ConvNet, LinearConvNet, conv_network, positions

Padding = tuple[tuple[int, int], ...]

CHANNEL_KINDS = ("inactive-out", "inactive-in", "redundant")


def layer_pads(arch: ConvNet, padding: Padding) -> list[Padding]:
    """The flat padding cut into one tuple of (a, b) per axis for each layer."""
    D = arch.conv_dim
    return [padding[i * D : (i + 1) * D] for i in range(len(arch.filters))]


def reduced_shapes(arch: ConvNet, padding: Padding) -> tuple[tuple[int, ...], ...]:
    return tuple(
        tuple(k - a - b for k, (a, b) in zip(f, pads, strict=True))
        for f, pads in zip(arch.filters, layer_pads(arch, padding), strict=True)
    )


def _activation(arch: ConvNet) -> object:
    return None if isinstance(arch, LinearConvNet) else arch.activation


def with_filters(arch: ConvNet, shapes: object, strides: object = None) -> Architecture:
    """``arch`` with other filter shapes (and strides), the same channels and σ (a CNN/LCN when
    it is single-channel 1D)."""
    strides = arch.strides if strides is None else strides
    return conv_network(shapes, arch.channels, strides, _activation(arch))  # type: ignore[arg-type]


def padded_network(arch: ConvNet, padding: Padding) -> Architecture:
    """The smaller network of a padding stratum."""
    return with_filters(arch, reduced_shapes(arch, padding))


def channel_network(arch: ConvNet, layer: int) -> Architecture | None:
    """The network with one channel fewer in hidden ``layer`` (None: no channel left)."""
    c = list(arch.channels)
    if c[layer] == 1:
        return None
    c[layer] -= 1
    return conv_network(arch.filters, c, arch.strides, _activation(arch))  # type: ignore[arg-type]


def filter_indices(arch: Architecture, i: int) -> np.ndarray:
    """Parameter indices of layer ``i`` (0-based) as an array (c_out, c_in, taps); a CNN or LCN
    is the case of one channel (its layout is the same)."""
    layer = arch.layers[i]
    c_in, c_out = _channels(arch)[i : i + 2]
    return layer.offset + np.arange(layer.n_params).reshape(c_out, c_in, -1)


def _channels(arch: Architecture) -> tuple[int, ...]:
    return arch.channels if isinstance(arch, ConvNet) else (1,) * (len(arch.layers) + 1)


def channel_filters(arch: Architecture, layer: int, channel: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the in-filters and the out-filters of ``channel`` in hidden ``layer``."""
    return (
        filter_indices(arch, layer - 1)[channel].reshape(-1),
        filter_indices(arch, layer)[:, channel].reshape(-1),
    )


def embed_channel(
    arch: ConvNet, layer: int, theta_red: np.ndarray, in0: np.ndarray, out0: np.ndarray
) -> np.ndarray:
    """Full parameters from those of :func:`channel_network`: channel 0 of hidden ``layer`` gets
    in-filters ``in0`` and out-filters ``out0``, channels 1.. are the smaller network's."""
    red = channel_network(arch, layer)
    assert red is not None
    theta = np.zeros(arch.n_params, dtype=theta_red.dtype)
    for i in range(len(arch.layers)):
        full, small = filter_indices(arch, i), filter_indices(red, i)
        if i == layer - 1:  # incoming filters: output channel 0 is the new one
            theta[full[0].reshape(-1)] = in0
            full = full[1:]
        elif i == layer:  # outgoing filters: input channel 0 is the new one
            theta[full[:, 0].reshape(-1)] = out0
            full = full[:, 1:]
        theta[full.reshape(-1)] = theta_red[small.reshape(-1)]
    return theta


def padding_support(arch: ConvNet, padding: Padding, dilation: tuple[int, ...] = ()) -> np.ndarray:
    """Indices of the parameters a padding leaves free, in the smaller network's order; with a
    ``dilation`` (one per layer, 1D), every d_i-th tap from the start."""
    out = []
    for i, (k, pads) in enumerate(zip(arch.filters, layer_pads(arch, padding), strict=True)):
        d = dilation[i] if dilation else 1
        ranges = [np.arange(a, n - b, d) for n, (a, b) in zip(k, pads, strict=True)]
        box = np.meshgrid(*ranges, indexing="ij")
        taps = np.ravel_multi_index(tuple(box), k).reshape(-1)
        out.append(filter_indices(arch, i)[:, :, taps].reshape(-1))
    return np.concatenate(out)


def _spacings(arch: ConvNet) -> list[np.ndarray]:
    """S_i per axis: the input step of layer i's taps, s_1⋯s_{i−1}."""
    S = [np.ones(arch.conv_dim, dtype=np.int64)]
    for s in arch.strides:  # type: ignore[union-attr]
        S.append(S[-1] * np.asarray(s))
    return S


def input_offset(arch: ConvNet, padding: Padding) -> tuple[int, ...]:
    """Per axis, the input position where the smaller network's receptive field starts."""
    S = _spacings(arch)
    return tuple(
        int(sum(pads[d][0] * S[i][d] for i, pads in enumerate(layer_pads(arch, padding))))
        for d in range(arch.conv_dim)
    )


def padded_inputs(arch: ConvNet, padding: Padding) -> np.ndarray:
    """For each input of the smaller network, the input of ``arch`` it reads (channel first,
    then positions in row-major order, as :class:`ConvNet` orders them)."""
    grid = positions(arch.filters, arch.strides)[0]  # type: ignore[arg-type]
    small = positions(reduced_shapes(arch, padding), arch.strides)[0]  # type: ignore[arg-type]
    at = np.stack(np.unravel_index(np.arange(math.prod(small)), small), axis=1)
    flat = np.ravel_multi_index(tuple((at + np.asarray(input_offset(arch, padding))).T), grid)
    n0 = math.prod(grid)
    return np.concatenate([j * n0 + flat for j in range(arch.channels[0])])


def equivalent_conv_paddings(arch: ConvNet, padding: Padding) -> list[Padding]:
    """Paddings with the same filter shapes and input offset: on each axis the leads a_i^d with
    Σ_i a_i^d·S_i^d fixed; they compute the same functions (points of one fiber)."""
    D, S = arch.conv_dim, _spacings(arch)
    sizes, target = reduced_shapes(arch, padding), input_offset(arch, padding)
    per_axis = []
    for d in range(D):
        ranges = [range(k[d] - s[d] + 1) for k, s in zip(arch.filters, sizes, strict=True)]
        per_axis.append(
            [
                lead
                for lead in itertools.product(*ranges)
                if sum(a * S[i][d] for i, a in enumerate(lead)) == target[d]
            ]
        )
    out = []
    for leads in itertools.product(*per_axis):
        out.append(
            tuple(
                (leads[d][i], arch.filters[i][d] - sizes[i][d] - leads[d][i])
                for i in range(len(arch.filters))
                for d in range(D)
            )
        )
    return out


def conv_paddings(arch: ConvNet) -> Iterator[Padding]:
    """Every padding that leaves each filter non-zero, except none at all."""
    choices = [[(a, b) for a in range(k) for b in range(k - a)] for f in arch.filters for k in f]
    for pad in itertools.product(*choices):
        if any(a or b for a, b in pad):
            yield tuple(pad)


def channel_strata(arch: ConvNet) -> Iterator[tuple[str, int, tuple[int, ...]]]:
    """(kind, hidden layer, channels) of the hidden-channel strata, up to permuting channels."""
    zero_at_zero = arch.activation.coefficients[0] == 0
    for i, c in enumerate(arch.hidden_channels, start=1):
        yield "inactive-out", i, (0,)
        if zero_at_zero:
            yield "inactive-in", i, (0,)
        if c >= 2:
            yield "redundant", i, (0, 1)


def count_conv_strata(arch: ConvNet) -> int:
    """Π over layers and axes of k(k+1)/2 paddings, minus none, plus the channel strata."""
    pads = math.prod(k * (k + 1) // 2 for f in arch.filters for k in f) - 1
    return pads + sum(1 for _ in channel_strata(arch))


def padding_name(arch: ConvNet, padding: Padding) -> str:
    """``a|b`` per axis joined by ``x`` (as filter shapes are), one word per layer."""
    return " ".join("x".join(f"{a}|{b}" for a, b in pads) for pads in layer_pads(arch, padding))


def parse_padding(arch: ConvNet, words: list[str]) -> Padding | None:
    """The padding named by ``words`` (one per layer), or None when they name none."""
    if len(words) != len(arch.filters):
        return None
    pads = []
    try:
        for w, f in zip(words, arch.filters, strict=True):
            axes = w.split("x")
            if len(axes) != len(f):
                return None
            for text, k in zip(axes, f, strict=True):
                a, b = (int(v) for v in text.split("|"))
                if a < 0 or b < 0 or a + b > k - 1:
                    return None
                pads.append((a, b))
    except ValueError:
        return None
    return tuple(pads) if any(a or b for a, b in pads) else None
