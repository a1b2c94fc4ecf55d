"""Subnetwork strata: parameters at which a smaller network computes the same function.

MLP: a hidden neuron is *inactive* (zero outgoing column, or zero incoming row when σ(0) = 0) or
two neurons are *redundant* (equal incoming rows and biases: only the sum of their outgoing columns
matters). CNN/LCN: filters *zero-padded* at their ends, and filters with *interior zeros* at a
dilated pattern (below). Each stratum is a linear subspace θ = B·u of parameter space; its image
is the neuromanifold of a smaller architecture.

Interior zeros (the sparse factorizations of Kohn–Merkh–Montúfar–Trager arXiv:2108.01538 and
KMST arXiv:2304.05752). Layer i reads the previous layer at spacing 1 and writes at stride s_i:
h_i[j] = σ(Σ_m w_i[m] h_{i−1}[j·s_i + m]). If w_i is non-zero only at m ≡ a mod d (d ≥ 2) and
d divides s_i, then only the outputs h_{i−1}[d·q] are read, so layer i − 1 may as well have
stride d·s_{i−1}, and w_i becomes a filter of size (k_i − 1 − a − b)/d + 1 at stride s_i/d: a
smaller strided network (for the first layer, one on the inputs x_{d·q}). The last filter
(one output) may be dilated by any d. Dilations are applied from the last filter to the first,
each with the strides the later ones left. A dilation that does not divide the stride gives a
network with a dilated filter, which is no strided CNN; those patterns are not strata here. An
LCN computes the product Π_i w_i(x^{s_1⋯s_{i−1}}), whose factors commute: there a pattern is a
stratum when the scales d_i·s_1⋯s_{i−1}, sorted, divide one another, and the smaller LCN takes
the filters in that order (this contains the rule above).

Multi-channel and multi-dimensional convolutions (:class:`ConvNet`): paddings shared by every
channel pair, interior zeros of 1D filters by the CNN rule above (never the LCN one: matrix-valued
factors do not commute), and inactive or redundant hidden channels (:mod:`.conv_strata`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator
from functools import cached_property

import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN, LCN
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP
from ..errors import ArchitectureError, BudgetExceededError
from .conv_strata import (
    channel_filters,
    channel_network,
    channel_strata,
    conv_paddings,
    count_conv_strata,
    embed_channel,
    equivalent_conv_paddings,
    padded_inputs,
    padded_network,
    padding_name,
    padding_support,
    parse_padding,
    with_filters,
)
from .dilations import (
    cnn_offset,
    dilation_vectors,
    lcn_order,
    n_paddings,
    paddings,
    reduced_strides,
    strided_view,
)

#: Strata a materialised list may hold; iterate past it. A stratum takes 209 bytes (measured
#: with tracemalloc on cnn k=4,4,4,4), its basis n_params × n_free floats more once used.
MAX_LISTED = 200_000
STRATUM_BYTES = 250


@dataclasses.dataclass(frozen=True)
class Stratum:
    """One subnetwork stratum of ``arch``.

    ``kind`` is ``inactive-out``, ``inactive-in``, ``redundant`` (MLP neurons, ConvNet hidden
    channels), ``padding`` or ``interior-zero`` (CNNs). ``layer`` is the hidden layer (1-based);
    ``neurons`` the neurons (channels) involved. For CNNs, ``padding[i] = (a_i, b_i)`` zeros at
    the start and end of filter i, and ``dilation[i] = d_i`` (empty: all 1): filter i is non-zero
    only at a_i, a_i + d_i, …, k_i − 1 − b_i. For ConvNets ``padding`` holds one (a, b) per layer
    and axis (:mod:`.conv_strata`).
    """

    arch: Architecture
    kind: str
    layer: int = 0
    neurons: tuple[int, ...] = ()
    padding: tuple[tuple[int, int], ...] = ()
    dilation: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        if isinstance(self.arch, ConvNet) and self.kind == "padding":
            return f"padding {padding_name(self.arch, self.padding)}"
        if isinstance(self.arch, ConvNet) and self.kind != "interior-zero":
            return f"{self.kind} layer {self.layer} channels {','.join(map(str, self.neurons))}"
        if self.kind in ("padding", "interior-zero"):
            dil = self.dilation or (1,) * len(self.padding)
            pads = " ".join(
                f"{a}|{b}" + (f":{d}" if d > 1 else "")
                for (a, b), d in zip(self.padding, dil, strict=True)
            )
            return f"{self.kind} {pads}"
        return f"{self.kind} layer {self.layer} neurons {','.join(map(str, self.neurons))}"

    @property
    def dilations(self) -> tuple[int, ...]:
        return self.dilation or (1,) * len(self.padding)

    @property
    def sizes(self) -> tuple[int, ...]:
        """The reduced filter sizes (CNN)."""
        assert isinstance(self.arch, CNN)
        return tuple(
            (k - 1 - a - b) // d + 1
            for k, (a, b), d in zip(self.arch.filters, self.padding, self.dilations, strict=True)
        )

    @property
    def input_step(self) -> int:
        """Spacing of the inputs the reduced network reads (> 1: the first filter is dilated)."""
        if isinstance(self.arch, LCN):
            return lcn_order(self.arch, self.dilations)[2]  # type: ignore[index]
        return reduced_strides(self.arch, self.dilations)[1]  # type: ignore[arg-type]

    @property
    def reduced(self) -> Architecture | None:
        """The smaller architecture whose neuromanifold is this stratum's image (None: zero)."""
        a = self.arch
        if isinstance(a, MLP):
            w = list(a.widths)
            if w[self.layer] == 1:
                return None
            w[self.layer] -= 1
            return MLP(tuple(w), a.activation, bias=a.bias)
        if isinstance(a, ConvNet):
            if self.kind == "padding":
                return padded_network(a, self.padding)
            if self.kind == "interior-zero":
                view = dataclasses.replace(self, arch=strided_view(a))
                strides = reduced_strides(view.arch, self.dilations)[0]  # type: ignore[arg-type]
                return with_filters(a, [(k,) for k in view.sizes], [(t,) for t in strides])
            return channel_network(a, self.layer)
        assert isinstance(a, CNN)
        if isinstance(a, LCN):
            order, lcn_strides, _ = lcn_order(a, self.dilations)  # type: ignore[misc]
            return LCN(tuple(self.sizes[i] for i in order), lcn_strides)
        strides, _ = reduced_strides(a, self.dilations)
        return CNN(self.sizes, strides, a.activation)

    @property
    def support(self) -> list[list[int]]:
        """Positions of the non-zero entries of each filter (CNN)."""
        return [
            list(range(a, k - b, d))
            for k, (a, b), d in zip(
                self.arch.filters,  # type: ignore[attr-defined]
                self.padding,
                self.dilations,
                strict=True,
            )
        ]

    @property
    def zeroed(self) -> int:
        """Parameters the stratum sets to zero (CNN); each normal direction adds ≤ 1 to rank dφ."""
        return int(self.arch.n_params - self.basis.shape[1])

    @cached_property
    def basis(self) -> np.ndarray:
        """0/1 matrix B (n_params × n_free) with θ = B·u parametrizing the stratum."""
        a = self.arch
        n = a.n_params
        tie = np.arange(n)  # parameter j takes the value of free parameter tie[j]; −1 means 0
        if self.kind in ("padding", "interior-zero") and isinstance(a, ConvNet):
            tie[np.setdiff1d(tie, padding_support(a, self.padding, self.dilation))] = -1
        elif isinstance(a, (MLP, ConvNet)):
            into, out = unit_filters(a, self.layer, self.neurons[0])
            if self.kind == "inactive-out":
                tie[out] = -1
            elif self.kind == "inactive-in":
                tie[into] = -1
            else:  # redundant: the incoming weights of unit k equal those of unit j
                tie[unit_filters(a, self.layer, self.neurons[1])[0]] = into
        else:
            for layer, keep in zip(a.layers, self.support, strict=True):
                zero = sorted(set(range(layer.n_params)) - set(keep))
                tie[[layer.offset + j for j in zero]] = -1
        free = sorted({int(t) for t in tie if t >= 0})
        col = {f: c for c, f in enumerate(free)}
        B = np.zeros((n, len(free)))
        for j, t in enumerate(tie):
            if t >= 0:
                B[j, col[int(t)]] = 1.0
        return B

    def fiber_moves(self) -> list[np.ndarray]:
        """Index sets of parameters that move freely along the fiber over a stratum point.

        Inactive-out neuron (channel): its incoming weights (and bias); inactive-in (σ(0) = 0):
        its outgoing ones; redundant: the split of the outgoing weights of the two units.
        """
        if self.kind not in ("inactive-out", "inactive-in", "redundant"):
            return []
        into, out = unit_filters(self.arch, self.layer, self.neurons[0])
        if self.kind == "inactive-out":
            return [into]
        if self.kind == "inactive-in":
            return [out]
        return [out, unit_filters(self.arch, self.layer, self.neurons[1])[1]]

    def __str__(self) -> str:
        return f"{self.name}  (image: {self.reduced.spec if self.reduced else 'the zero function'})"


def unit_filters(arch: Architecture, layer: int, unit: int) -> tuple[np.ndarray, np.ndarray]:
    """Parameter indices of the incoming and outgoing weights of a hidden unit: an MLP neuron
    (its bias with its incoming row) or a ConvNet channel (its in- and out-filters)."""
    if isinstance(arch, MLP):
        lin, lout = arch.layers[layer - 1], arch.layers[layer]
        return lin.offset + lin.pattern[unit, :], lout.offset + lout.pattern[:, unit]
    return channel_filters(arch, layer, unit)


def embed_unit(
    arch: Architecture, layer: int, theta_red: np.ndarray, in0: np.ndarray, out0: np.ndarray
) -> np.ndarray:
    """Full parameters from the smaller network's, unit 0 of hidden ``layer`` added with weights
    ``in0``, ``out0`` (:func:`embed_neuron` for MLPs, a channel for ConvNets)."""
    if isinstance(arch, MLP):
        return embed_neuron(arch, layer, theta_red, in0, out0)
    assert isinstance(arch, ConvNet)
    return embed_channel(arch, layer, theta_red, in0, out0)


def embed_neuron(
    arch: MLP, layer: int, theta_red: np.ndarray, row0: np.ndarray, col0: np.ndarray
) -> np.ndarray:
    """Full MLP parameters from the reduced network's (hidden ``layer`` one neuron narrower).

    Neuron 0 of hidden ``layer`` gets incoming row ``row0`` (with its bias) and outgoing column
    ``col0``; neurons 1.. are the reduced network's, in order.

    >>> import numpy as np
    >>> from neurovariety import MLP, Monomial
    >>> embed_neuron(MLP((1, 2, 1), Monomial(2)), 1, np.array([3.0, 5.0]),
    ...              np.array([0.0]), np.array([0.0])).tolist()
    [0.0, 3.0, 0.0, 5.0]
    """
    red = MLP(
        tuple(w - (i == layer) for i, w in enumerate(arch.widths)), arch.activation, arch.bias
    )
    theta = np.zeros(arch.n_params, dtype=theta_red.dtype)
    for i, (lf, lr) in enumerate(zip(arch.layers, red.layers, strict=True)):
        Wr = lr.weights(theta_red).reshape(lr.pattern.shape)
        if i == layer - 1:  # incoming weights of the hidden layer: prepend row 0
            W = np.concatenate([row0[None, :], Wr], axis=0)
        elif i == layer:  # outgoing weights: prepend column 0 (before the bias column)
            W = np.concatenate([col0[:, None], Wr], axis=1)
        else:
            W = Wr
        theta[lf.params] = W.reshape(-1)
    return theta


def equivalent_paddings(
    arch: CNN | ConvNet, padding: tuple[tuple[int, int], ...]
) -> list[tuple[tuple[int, int], ...]]:
    """Paddings with the same reduced filters and the same offset: the same functions. (With a
    dilation the spans k_i − 1 − a_i − b_i fix the reduced sizes too, so the same list holds.)

    Each gives a point of the fiber over a generic function of the stratum; two or more whose
    tangent spaces differ make it singular. The fiber may hold more: a padding with other filter
    sizes and the same offsets can reach the same functions (``lcn k=3,2 s=2``, ``padding 0|2
    0|0``: the even polynomials), which :func:`~neurovariety.invariants.singularities.singular`
    must exclude before calling a point smooth.
    """
    if isinstance(arch, ConvNet):
        return equivalent_conv_paddings(arch, padding)
    sizes = [k - a - b for k, (a, b) in zip(arch.filters, padding, strict=True)]
    target = cnn_offset(arch, padding)
    out = []
    ranges = [range(k - s + 1) for k, s in zip(arch.filters, sizes, strict=True)]
    for lead in itertools.product(*ranges):
        pad = tuple((a, k - s - a) for a, k, s in zip(lead, arch.filters, sizes, strict=True))
        if cnn_offset(arch, pad) == target:
            out.append(pad)
    return out


def _support_indices(stratum: Stratum, padding: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Indices of the parameters ``stratum`` leaves free when placed at ``padding``, in the
    smaller network's order."""
    arch = stratum.arch
    if isinstance(arch, ConvNet):
        return padding_support(arch, padding, stratum.dilation)
    moved = dataclasses.replace(stratum, padding=padding)
    kept = zip(arch.layers, moved.support, strict=True)
    return np.concatenate([layer.offset + np.asarray(keep, dtype=np.int64) for layer, keep in kept])


def placements(stratum: Stratum, theta: np.ndarray) -> list[np.ndarray]:
    """θ (on a padding or interior-zero stratum) with its filters moved to every equivalent
    padding (:func:`equivalent_paddings`, same dilations): points of the fiber over φ(θ). Any
    dtype (residues mod p, or Fractions in an object array) is kept."""
    here = theta[_support_indices(stratum, stratum.padding)]
    out = []
    for pad in equivalent_paddings(stratum.arch, stratum.padding):  # type: ignore[arg-type]
        moved = np.zeros_like(theta)
        moved[_support_indices(stratum, pad)] = here
        out.append(moved)
    return out


def image_inputs(stratum: Stratum) -> np.ndarray:
    """For each input of the stratum's smaller network, the input of ``stratum.arch`` it reads
    (where its coordinates sit among those of the larger network)."""
    arch, red = stratum.arch, stratum.reduced
    assert red is not None
    if isinstance(arch, ConvNet) and stratum.kind == "padding":
        return padded_inputs(arch, stratum.padding)
    if isinstance(arch, ConvNet) and stratum.kind == "interior-zero":
        view = dataclasses.replace(stratum, arch=strided_view(arch))
        one = image_inputs(view)  # the positions read, in every input channel alike
        n0 = arch.n_inputs // arch.channels[0]
        return np.concatenate([j * n0 + one for j in range(arch.channels[0])])
    if isinstance(arch, CNN):
        return cnn_offset(arch, stratum.padding) + stratum.input_step * np.arange(red.n_inputs)
    return np.arange(red.n_inputs)  # hidden units only: the same inputs


def count_strata(arch: Architecture) -> int:
    """The number of strata :func:`iter_strata` yields, without enumerating them.

    CNN: Σ over the dilation vectors D of Π_i n_i(d_i), minus the unpadded network, where
    n(1) = k(k+1)/2 paddings and n(d) = Σ_{t ≥ 1, td ≤ k − 1} (k − t·d) dilated placements.

    >>> from neurovariety import parse_architecture
    >>> count_strata(parse_architecture("cnn k=4,4,4,4 x^2"))  # 10^4 − 1 paddings, 3,607 dilated
    13606
    """
    if isinstance(arch, ConvNet):
        dilated = _n_dilated(strided_view(arch)) if arch.conv_dim == 1 else 0
        return count_conv_strata(arch) + dilated
    if isinstance(arch, MLP):
        c0 = arch.activation.coefficients[0]
        inner = arch.widths[1:-1]
        return sum(1 + (c0 == 0 and not arch.bias) + (w >= 2) for w in inner)
    if isinstance(arch, CNN):
        return math.prod(n_paddings(k, 1) for k in arch.filters) - 1 + _n_dilated(arch)
    raise ArchitectureError(f"no strata are defined for {type(arch).__name__}")


def _n_dilated(view: CNN) -> int:
    """Interior-zero strata of networks with ``view``'s filter sizes and strides."""
    return sum(
        math.prod(n_paddings(k, d) for k, d in zip(view.filters, D, strict=True))
        for D in dilation_vectors(view)
        if any(d > 1 for d in D)
    )


def _dilated_strata(arch: Architecture, view: CNN) -> Iterator[Stratum]:
    """The interior-zero strata of ``arch``, whose filter sizes and strides are ``view``'s."""
    for D in dilation_vectors(view):
        if any(d > 1 for d in D):
            choices = [paddings(k, d) for k, d in zip(view.filters, D, strict=True)]
            for pad in itertools.product(*choices):
                yield Stratum(arch, "interior-zero", padding=tuple(pad), dilation=D)


def iter_strata(arch: Architecture) -> Iterator[Stratum]:
    """Every subnetwork stratum of ``arch``, lazily (CNNs can have many: see :func:`count_strata`).

    MLP: per hidden layer, one inactive-out, one inactive-in (when σ(0) = 0) and one redundant
    pair (width ≥ 2). CNN/LCN: every zero-padding of the filters that leaves each filter non-zero,
    then every interior-zero (dilated) pattern that is a smaller strided network. ConvNet: every
    padding shared by all channel pairs, the interior-zero patterns of a strided CNN with its
    filter sizes (1D), then per hidden layer the channel strata (as neurons).
    """
    if isinstance(arch, ConvNet):
        for pad in conv_paddings(arch):
            yield Stratum(arch, "padding", padding=pad)
        if arch.conv_dim == 1:
            yield from _dilated_strata(arch, strided_view(arch))
        for kind, layer, channels in channel_strata(arch):
            yield Stratum(arch, kind, layer, channels)
        return
    if isinstance(arch, MLP):
        c0 = arch.activation.coefficients[0]
        for i in range(1, len(arch.widths) - 1):
            yield Stratum(arch, "inactive-out", i, (0,))
            if c0 == 0 and not arch.bias:
                yield Stratum(arch, "inactive-in", i, (0,))
            if arch.widths[i] >= 2:
                yield Stratum(arch, "redundant", i, (0, 1))
        return
    if isinstance(arch, CNN):
        for pad in itertools.product(*[paddings(k, 1) for k in arch.filters]):
            if any(a or b for a, b in pad):
                yield Stratum(arch, "padding", padding=tuple(pad))
        yield from _dilated_strata(arch, arch)
        return
    raise ArchitectureError(f"no strata are defined for {type(arch).__name__}")


def strata(arch: Architecture) -> list[Stratum]:
    """All subnetwork strata of ``arch`` as a list (see :func:`iter_strata`), one per neuron
    type up to permutation; refused past :data:`MAX_LISTED`, where :func:`iter_strata` streams.

    >>> from neurovariety import parse_architecture
    >>> for s in strata(parse_architecture("mlp 2-2-1 x^2")):
    ...     print(s.name)
    inactive-out layer 1 neurons 0
    inactive-in layer 1 neurons 0
    redundant layer 1 neurons 0,1
    >>> len(strata(parse_architecture("cnn k=2,2 x^2")))
    8
    >>> [s.name for s in strata(parse_architecture("lcn k=3,2 s=2")) if s.kind == "interior-zero"]
    ['interior-zero 0|0:2 0|0', 'interior-zero 0|0:2 0|1', 'interior-zero 0|0:2 1|0']
    """
    n = count_strata(arch)
    if n > MAX_LISTED:
        raise BudgetExceededError(
            f"{arch.spec} has {n:,} strata (closed form); a list of them would take about "
            f"{n * STRATUM_BYTES / 1e6:,.0f} MB (limit {MAX_LISTED:,} strata); iterate with "
            "iter_strata(arch) — `neurovariety strata` and `singular` stream them — or name one "
            "stratum"
        )
    return list(iter_strata(arch))


def parse_stratum(arch: Architecture, text: str) -> Stratum:
    """Read a stratum name as printed by :attr:`Stratum.name`.

    >>> from neurovariety import parse_architecture
    >>> parse_stratum(parse_architecture("cnn k=2,2 x^2"), "padding 0|1 1|0").padding
    ((0, 1), (1, 0))
    >>> parse_stratum(parse_architecture("lcn k=3,2 s=2"), "interior-zero 0|0:2 0|0").sizes
    (2, 2)
    """
    words = text.split()
    if isinstance(arch, CNN) and words and words[0] in ("padding", "interior-zero"):
        s = _parse_cnn(arch, words)
        if s is not None:
            return s
    elif isinstance(arch, ConvNet) and words and words[0] == "padding":
        pad = parse_padding(arch, words[1:])
        if pad is not None:
            return Stratum(arch, "padding", padding=pad)
    elif isinstance(arch, ConvNet) and words and words[0] == "interior-zero":
        if arch.conv_dim > 1:
            raise ArchitectureError(
                f"{arch.spec}: interior-zero (dilated) strata of {arch.conv_dim}D filters are not "
                "implemented; its strata are paddings and hidden channels (`neurovariety strata`)"
            )
        s = _parse_cnn(strided_view(arch), words)
        if s is not None:
            return dataclasses.replace(s, arch=arch)
    elif isinstance(arch, (MLP, ConvNet)):
        for s in iter_strata(arch):
            if s.name == " ".join(words):
                return s
    names = ", ".join(s.name for s in itertools.islice(iter_strata(arch), 6))
    raise ArchitectureError(f"no stratum {text!r} in {arch.spec}; strata are e.g. {names}")


def _parse_cnn(arch: CNN, words: list[str]) -> Stratum | None:
    if len(words) != len(arch.filters) + 1:
        return None
    pads, dils = [], []
    try:
        for w in words[1:]:
            ab, _, d = w.partition(":")
            a, b = ab.split("|")
            pads.append((int(a), int(b)))
            dils.append(int(d) if d else 1)
    except ValueError:
        return None
    D = tuple(dils)
    if any(d < 1 for d in D):
        return None
    if any(d > 1 for d in D):
        if D not in set(dilation_vectors(arch)):
            return None
        s = Stratum(arch, "interior-zero", padding=tuple(pads), dilation=D)
    else:
        s = Stratum(arch, "padding", padding=tuple(pads))
    ok = all(p in paddings(k, d) for k, p, d in zip(arch.filters, pads, D, strict=True)) and any(
        d > 1 or a or b for (a, b), d in zip(pads, D, strict=True)
    )
    return s if ok and s.name == " ".join(words) else None
