"""Which dilated (interior-zero) filter patterns of a convolution are smaller strided networks.

The rules are those of the :mod:`.strata` docstring (Kohn–Merkh–Montúfar–Trager
arXiv:2108.01538, KMST arXiv:2304.05752): a dilation d of filter i that divides its stride moves
into the previous layer's stride (last filter to first); an LCN's factors commute, so there the
sorted scales must form a divisibility chain. They depend on the filter sizes and strides alone,
so a multi-channel 1D network uses them through :func:`strided_view`.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterator

from ..architectures.activations import Monomial
from ..architectures.cnn import CNN, LCN
from ..architectures.conv import ConvNet
from ..errors import ArchitectureError


def strided_view(arch: ConvNet) -> CNN:
    """A single-channel CNN with the filter sizes and strides of the 1D ``arch``: the networks
    the dilation rule allows, and their strides, depend on those alone. Never an LCN (whose rule
    reorders commuting factors): the matrix-valued factors of a multi-channel network do not
    commute."""
    if arch.conv_dim != 1:
        raise ArchitectureError(f"{arch.spec}: dilated strata are enumerated for 1D filters only")
    return CNN(
        tuple(f[0] for f in arch.filters),
        tuple(s[0] for s in arch.strides),  # type: ignore[union-attr]
        Monomial(2),
    )


def lcn_order(
    arch: LCN, dilation: tuple[int, ...]
) -> tuple[list[int], tuple[int, ...], int] | None:
    """An LCN computes Π_i w_i(x^{S_i}), S_i = s_1⋯s_{i−1}; a filter dilated by d_i is a
    polynomial in x^{T_i}, T_i = d_i·S_i. The factors commute, so when the sorted T's form a
    divisibility chain t_1 | t_2 | ⋯ the product is an LCN with the filters in that order, strides
    t_{j+1}/t_j, in the variable x^{t_1}. Returns (order, strides, t_1), or None."""
    spacing = [1]
    for s in arch.strides:  # type: ignore[union-attr]
        spacing.append(spacing[-1] * s)
    T = [d * S for d, S in zip(dilation, spacing, strict=True)]
    order = sorted(range(len(T)), key=lambda i: (T[i], i))
    t = [T[i] for i in order]
    if any(b % a for a, b in zip(t, t[1:], strict=False)):
        return None
    return order, tuple(b // a for a, b in zip(t, t[1:], strict=False)), t[0]


def reduced_strides(arch: CNN, dilation: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """Strides of the reduced network and its input step, dilations applied last to first."""
    s = list(arch.strides)  # type: ignore[arg-type]
    step = 1
    for i in range(len(dilation) - 1, -1, -1):
        d = dilation[i]
        if d == 1:
            continue
        if i < len(s):
            if s[i] % d:
                raise ArchitectureError(
                    f"filter {i + 1} of {arch.spec} dilated by {d}: {d} does not divide its "
                    f"stride {s[i]}, so no strided network computes it; use a divisor of the stride"
                )
            s[i] //= d
        if i > 0:
            s[i - 1] *= d
        else:
            step = d
    return tuple(s), step


def cnn_offset(arch: CNN, padding: tuple[tuple[int, int], ...]) -> int:
    """Input offset of a padded CNN's reduced network: Σ_i a_i · s_1⋯s_{i−1}."""
    offset, prod = 0, 1
    for i, (a, _) in enumerate(padding):
        offset += a * prod
        if i < len(arch.strides):  # type: ignore[arg-type]
            prod *= arch.strides[i]  # type: ignore[index]
    return offset


def paddings(k: int, d: int) -> list[tuple[int, int]]:
    """Paddings (a, b) of a size-k filter: any with a + b ≤ k − 1 when d = 1; with dilation d,
    those whose remaining span k − 1 − a − b is a positive multiple of d (an interior zero)."""
    if d == 1:
        return [(a, b) for a in range(k) for b in range(k - a)]
    spans = [(a, b, k - 1 - a - b) for a in range(k) for b in range(k - a)]
    return [(a, b) for a, b, span in spans if span > 0 and span % d == 0]


def n_paddings(k: int, d: int) -> int:
    """len(paddings(k, d)) in closed form: k(k+1)/2, or Σ_{t ≥ 1, td ≤ k−1} (k − t·d)."""
    if d == 1:
        return k * (k + 1) // 2
    t = (k - 1) // d
    return t * k - d * t * (t + 1) // 2


def dilation_vectors(arch: CNN) -> Iterator[tuple[int, ...]]:
    """Dilation vectors that give strata (see the module docstring), all-ones first."""
    L = len(arch.filters)
    if isinstance(arch, LCN):
        # the scales d_i·S_i must form a divisibility chain (:func:`lcn_order`); so must those
        # of every prefix, which prunes the product of the options (58⁴ for four filters of 60)
        spacing = list(itertools.accumulate(arch.strides, operator.mul, initial=1))  # type: ignore[arg-type]

        def chains(i: int, scales: list[int], head: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
            if i == L:
                yield head
                return
            for d in (1, *range(2, arch.filters[i])):
                t = sorted([*scales, d * spacing[i]])
                if not any(b % a for a, b in zip(t, t[1:], strict=False)):
                    yield from chains(i + 1, t, (*head, d))

        yield from chains(0, [], ())
        return

    def rec(i: int, s: list[int], tail: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if i < 0:
            yield tail
            return
        yield from rec(i - 1, s, (1,) + tail)
        k = arch.filters[i]
        for d in range(2, k):
            if i < len(s) and s[i] % d:
                continue
            t = list(s)
            if i < len(s):
                t[i] //= d
            if i > 0:
                t[i - 1] *= d
            yield from rec(i - 1, t, (d,) + tail)

    yield from rec(L - 1, list(arch.strides), ())  # type: ignore[arg-type]
