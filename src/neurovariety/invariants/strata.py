"""Subnetwork strata: parameters at which a smaller network computes the same function.

MLP: a hidden neuron is *inactive* (zero outgoing column, or zero incoming row when σ(0) = 0) or
two neurons are *redundant* (equal incoming rows and biases: only the sum of their outgoing columns
matters). CNN/LCN: filters *zero-padded* at their ends. Each stratum is a linear subspace
θ = B·u of parameter space; its image is the neuromanifold of a smaller architecture.
"""

from __future__ import annotations

import dataclasses
import itertools
from functools import cached_property

import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN, LCN
from ..architectures.mlp import MLP
from ..errors import ArchitectureError

MAX_STRATA = 500


@dataclasses.dataclass(frozen=True)
class Stratum:
    """One subnetwork stratum of ``arch``.

    ``kind`` is ``inactive-out``, ``inactive-in``, ``redundant`` (MLPs) or ``padding`` (CNNs).
    ``layer`` is the hidden layer (MLP, 1-based) ; ``neurons`` the neurons involved. For padding,
    ``padding[i] = (a_i, b_i)`` zeros at the start and end of filter i.
    """

    arch: Architecture
    kind: str
    layer: int = 0
    neurons: tuple[int, ...] = ()
    padding: tuple[tuple[int, int], ...] = ()

    @property
    def name(self) -> str:
        if self.kind == "padding":
            pads = " ".join(f"{a}|{b}" for a, b in self.padding)
            return f"padding {pads}"
        return f"{self.kind} layer {self.layer} neurons {','.join(map(str, self.neurons))}"

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
        assert isinstance(a, CNN)
        k = tuple(ki - p - q for ki, (p, q) in zip(a.filters, self.padding, strict=True))
        if isinstance(a, LCN):
            return LCN(k, a.strides)
        return CNN(k, a.strides, a.activation)

    @cached_property
    def basis(self) -> np.ndarray:
        """0/1 matrix B (n_params × n_free) with θ = B·u parametrizing the stratum."""
        a = self.arch
        n = a.n_params
        tie = np.arange(n)  # parameter j takes the value of free parameter tie[j]; −1 means 0
        if isinstance(a, MLP):
            i = self.layer
            lin, lout = a.layers[i - 1], a.layers[i]
            j = self.neurons[0]
            if self.kind == "inactive-out":
                tie[lout.offset + lout.pattern[:, j]] = -1
            elif self.kind == "inactive-in":
                tie[lin.offset + lin.pattern[j, :]] = -1
            else:  # redundant: row k equals row j
                k = self.neurons[1]
                tie[lin.offset + lin.pattern[k, :]] = lin.offset + lin.pattern[j, :]
        else:
            for layer, (p, q) in zip(a.layers, self.padding, strict=True):
                k = layer.n_params
                tie[layer.offset : layer.offset + p] = -1
                tie[layer.offset + k - q : layer.offset + k] = -1
        free = sorted({int(t) for t in tie if t >= 0})
        col = {f: c for c, f in enumerate(free)}
        B = np.zeros((n, len(free)))
        for j, t in enumerate(tie):
            if t >= 0:
                B[j, col[int(t)]] = 1.0
        return B

    def fiber_moves(self) -> list[np.ndarray]:
        """Index sets of parameters that move freely along the fiber over a stratum point.

        MLP inactive-out: the dead neuron's incoming row (and bias); inactive-in (σ(0) = 0): its
        outgoing column; redundant: the split of the outgoing columns of the two neurons.
        """
        a = self.arch
        if not isinstance(a, MLP):
            return []
        lin, lout = a.layers[self.layer - 1], a.layers[self.layer]
        j = self.neurons[0]
        if self.kind == "inactive-out":
            return [lin.offset + lin.pattern[j, :]]
        if self.kind == "inactive-in":
            return [lout.offset + lout.pattern[:, j]]
        k = self.neurons[1]
        return [lout.offset + lout.pattern[:, j], lout.offset + lout.pattern[:, k]]

    def __str__(self) -> str:
        return f"{self.name}  (image: {self.reduced.spec if self.reduced else 'the zero function'})"


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
        Wr = theta_red[lr.offset : lr.offset + lr.n_params].reshape(lr.pattern.shape)
        if i == layer - 1:  # incoming weights of the hidden layer: prepend row 0
            W = np.concatenate([row0[None, :], Wr], axis=0)
        elif i == layer:  # outgoing weights: prepend column 0 (before the bias column)
            W = np.concatenate([col0[:, None], Wr], axis=1)
        else:
            W = Wr
        theta[lf.offset : lf.offset + lf.n_params] = W.reshape(-1)
    return theta


def cnn_offset(arch: CNN, padding: tuple[tuple[int, int], ...]) -> int:
    """Input offset of a padded CNN's reduced network: Σ_i a_i · s_1⋯s_{i−1}."""
    offset, prod = 0, 1
    for i, (a, _) in enumerate(padding):
        offset += a * prod
        if i < len(arch.strides):  # type: ignore[arg-type]
            prod *= arch.strides[i]  # type: ignore[index]
    return offset


def equivalent_paddings(
    arch: CNN, padding: tuple[tuple[int, int], ...]
) -> list[tuple[tuple[int, int], ...]]:
    """Paddings with the same reduced filters and the same offset: the same functions.

    Each gives a point of the fiber over a generic function of the stratum; two or more whose
    tangent spaces differ make it singular. The fiber may hold more: a padding with other filter
    sizes and the same offsets can reach the same functions (``lcn k=3,2 s=2``, ``padding 0|2
    0|0``: the even polynomials), which :func:`~neurovariety.invariants.singularities.singular`
    must exclude before calling a point smooth.
    """
    sizes = [k - a - b for k, (a, b) in zip(arch.filters, padding, strict=True)]
    target = cnn_offset(arch, padding)
    out = []
    ranges = [range(k - s + 1) for k, s in zip(arch.filters, sizes, strict=True)]
    for lead in itertools.product(*ranges):
        pad = tuple((a, k - s - a) for a, k, s in zip(lead, arch.filters, sizes, strict=True))
        if cnn_offset(arch, pad) == target:
            out.append(pad)
    return out


def strata(arch: Architecture) -> list[Stratum]:
    """All subnetwork strata of ``arch``, one per neuron type up to permutation.

    MLP: per hidden layer, one inactive-out, one inactive-in (when σ(0) = 0) and one redundant
    pair (width ≥ 2). CNN/LCN: every zero-padding of the filters that leaves each filter non-zero.

    >>> from neurovariety import parse_architecture
    >>> for s in strata(parse_architecture("mlp 2-2-1 x^2")):
    ...     print(s.name)
    inactive-out layer 1 neurons 0
    inactive-in layer 1 neurons 0
    redundant layer 1 neurons 0,1
    >>> len(strata(parse_architecture("cnn k=2,2 x^2")))
    8
    """
    out: list[Stratum] = []
    if isinstance(arch, MLP):
        c0 = arch.activation.coefficients[0]
        for i in range(1, len(arch.widths) - 1):
            out.append(Stratum(arch, "inactive-out", i, (0,)))
            if c0 == 0 and not arch.bias:
                out.append(Stratum(arch, "inactive-in", i, (0,)))
            if arch.widths[i] >= 2:
                out.append(Stratum(arch, "redundant", i, (0, 1)))
        return out
    if isinstance(arch, CNN):
        choices = [
            [(a, b) for a in range(k) for b in range(k - a)] for k in arch.filters
        ]  # a + b ≤ k − 1: the filter keeps at least one entry
        for pad in itertools.product(*choices):
            if any(a or b for a, b in pad):
                out.append(Stratum(arch, "padding", padding=tuple(pad)))
                if len(out) > MAX_STRATA:
                    raise ArchitectureError(
                        f"{arch.spec} has more than {MAX_STRATA} padding strata; use smaller "
                        "filters or pass a single stratum"
                    )
        return out
    raise ArchitectureError(f"no strata are defined for {type(arch).__name__}")


def parse_stratum(arch: Architecture, text: str) -> Stratum:
    """Read a stratum name as printed by :attr:`Stratum.name`.

    >>> from neurovariety import parse_architecture
    >>> parse_stratum(parse_architecture("cnn k=2,2 x^2"), "padding 0|1 1|0").padding
    ((0, 1), (1, 0))
    """
    for s in strata(arch):
        if s.name == " ".join(text.split()):
            return s
    names = ", ".join(s.name for s in strata(arch)[:6])
    raise ArchitectureError(f"no stratum {text!r} in {arch.spec}; strata are e.g. {names}")
