"""The symmetry group of a parametrization: the finite and continuous symmetries a fiber holds.

The rescalings (fixed by the gauge chart) leave a finite group: permutations of equal hidden
units, roots of unity from σ's parity, the orderings of equal-size filters of a linear stride-1
convolution (the factors of the end-to-end filter commute), and for multi-channel convolutions
GL(c_i) or its stabilizers. :func:`symmetry` returns its description, its order (None: infinite)
and the dimension of its continuous part, which :mod:`.identifiability` compares with the fiber.
"""

from __future__ import annotations

import math

from ..architectures.activations import Activation
from ..architectures.attention import Attention
from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP


def root_of_unity_order(act: Activation, *, bias: bool) -> int | None:
    """The largest m with σ(ω(z − c) + c) = ω^k·σ(z) + β for every ω with ω^m = 1 (None: ∞).

    These are the finite symmetries one hidden neuron inherits from σ: scale its pre-activation
    by ω (and, with bias, move it about the centre c), and undo the factor ω^k and the constant β
    in the next layer. Without bias neither c nor β can be absorbed, so c = β = 0 and m is the
    gcd of the differences of σ's exponents, constant term included (odd σ: m = 2, k = 1; even
    σ: m = 2, k = 0, also with σ(0) ≠ 0). With bias σ is first centred at c = −c_{r−1}/(r·c_r)
    (an affine map of z preserving σ up to affine maps fixes this point) and the constant term
    no longer counts. None: σ is affinely a monomial, the group is continuous (C*).

    >>> from neurovariety.architectures.activations import parse_activation as act
    >>> [root_of_unity_order(act(s), bias=False) for s in ("x^3+x", "x^2+1", "x^4+x", "x^3+x^2")]
    [2, 2, 3, 1]
    >>> [root_of_unity_order(act(s), bias=True) for s in ("x^3+x+1", "x^2+1", "x^3+3*x^2+4*x")]
    [2, None, 2]
    """
    c = act.coefficients
    r = len(c) - 1
    if bias:
        centre = -c[r - 1] / (r * c[r])
        tau = [
            sum(c[j] * math.comb(j, e) * centre ** (j - e) for j in range(e, r + 1))
            for e in range(r + 1)
        ]
        exps = [e for e in range(1, r + 1) if tau[e] != 0]
    else:
        exps = [e for e in range(r + 1) if c[e] != 0]
    if len(exps) == 1:
        return None
    return math.gcd(*(r - e for e in exps))


def _parity_text(act: Activation, m: int, bias: bool) -> str:
    # k ≡ r (mod m): r is one of σ's exponents.
    if m != 2:
        return f"multiplication by m-th roots of unity, m = {m} (σ(ωz) = ω^k σ(z) + const)"
    parity = "odd" if act.degree % 2 else "even"
    c = act.coefficients
    if bias and c[-2] != 0:
        return f"sign flips about σ's centre (σ {parity} about it, up to a constant)"
    return f"sign flips (σ {parity}" + (", up to a constant)" if bias and c[0] else ")")


def symmetry(arch: Architecture) -> tuple[str, int | None, int]:
    """(description, order of the finite group left in the gauge chart, continuous dimension).

    The group is the one acting in :func:`~neurovariety.parametrization.numeric.gauge_chart`
    (the chart ``fiber`` counts in), over C since fibers are counted over C; order None means
    no finite count applies (a continuous group without a chart).

    - MLP, σ = c·z^r: hidden-neuron rescalings (w_j, v_j) ↦ (λw_j, λ^{−r}v_j) (Razor,
      arXiv:2505.11846), the sign flip λ = −1 among them (odd or even r); fixing w_j0 = 1 fixes
      λ = 1, so only the permutations of hidden neurons are left: order Π d_i!.
    - MLP, other σ: permutations and, per hidden neuron, the m-th roots of unity of
      :func:`root_of_unity_order` (the wreath product μ_m ≀ S_{d_i}; nothing is fixed by the
      chart): order Π d_i!·m^{d_i}. m = 1 for generic σ, 2 for odd or even σ.
    - MLP with bias and σ = a(z − c)^r + β, r ≥ 2: a rescaling per hidden neuron (about c,
      the constants go into the next bias); degree-1 σ = az + β: affine maps G of each hidden
      layer (with bias: Aff(d_i); without: those with G·1 = 1, which keep β·1 in place).
    - CNN/LCN, σ = c·z^r: filter rescalings (L − 1 dims), trivial in the chart (w_i0 = 1).
      Linear σ (LCN): the end-to-end filter is a product of the filter polynomials, so
      equal-shaped filters at stride 1 commute — swapping them keeps f for every θ — and the
      chart keeps one point per ordering: order :func:`factor_orderings` (``lcn k=2,2``: 2,
      identifiable up to the swap). Nonlinear σ: σ sits between the filters, no swap.
    - Multi-channel/2D convolutions (:class:`ConvNet`): channel o of hidden layer i with input
      channel j' of layer i + 1 permuted alike leaves f fixed, and per hidden channel the
      rescalings (σ = c·z^r) or the m-th roots of unity of :func:`root_of_unity_order` (no bias:
      w_i[o] ↦ ω w_i[o], w_{i+1}[:, o] ↦ ω^{−k} w_{i+1}[:, o]). The chart fixes w_i[o, 0, 0] = 1
      for every hidden o: a permutation maps these fixed weights onto each other (it stays in the
      chart), a rescaling λ ≠ 1 leaves it. Order Π c_i! for σ = c·z^r, Π c_i!·m^{Σ c_i} else.
      Linear σ with some c_i > 1: GL(c_i), continuous (order None).
    - CNN, other σ: a filter is shared by all neurons of its layer, so one root of unity per
      layer: w_i ↦ ζ_i ζ_{i−1}^{−k} w_i for i < L, w_L ↦ ζ_{L−1}^{−k} w_L, ζ_i^m = 1: order
      m^{L−1}. Even σ (k = 0): any w_i, i < L, may flip sign alone; odd σ (k = 1): flipping
      w_i and w_{i+1} together.

    The finite groups act freely on generic parameters, so the fiber size is a multiple of the
    order, equal to it exactly when the network is identifiable up to these symmetries.
    """
    if isinstance(arch, Attention):  # orbits are counted in its own chart (attention_geometry)
        return arch.symmetry_text, None, arch.symmetry_dim
    act = arch.activation
    if isinstance(arch, MLP):
        widths = arch.hidden_widths
        perms = math.prod(math.factorial(d) for d in widths)
        if act.is_linear:
            return "GL(d_i) on each hidden layer", None, arch.symmetry_dim
        if act.is_monomial:
            return (
                "permutations of hidden neurons (rescalings and sign flips fixed by the chart)",
                perms,
                arch.symmetry_dim,
            )
        if act.degree == 1:
            if arch.bias:
                return (
                    "Aff(d_i) on each hidden layer (σ affine)",
                    None,
                    sum(d * d + d for d in widths),
                )
            cont = sum(d * d - d for d in widths)
            text = "{G ∈ GL(d_i) : G·1 = 1} on each hidden layer (σ affine)"
            return text, (1 if cont == 0 else None), cont
        m = root_of_unity_order(act, bias=arch.bias)
        if m is None:
            text = "rescalings of hidden neurons about σ's centre (σ affinely a monomial)"
            return text, None, sum(widths)
        if m == 1:
            return "permutations of hidden neurons", perms, 0
        order = perms * m ** sum(widths)
        return f"permutations of hidden neurons and {_parity_text(act, m, arch.bias)}", order, 0
    if isinstance(arch, ConvNet):
        return _conv_symmetry(arch)
    if isinstance(arch, CNN):
        if act.is_linear:
            strides = tuple((s,) for s in arch.strides)  # type: ignore[union-attr]
            orderings = factor_orderings(tuple((k,) for k in arch.filters), strides)
            return _linear_conv_text(orderings), orderings, arch.symmetry_dim
        if act.is_monomial:
            return "filter rescalings (fixed by the chart)", 1, arch.symmetry_dim
        m = root_of_unity_order(act, bias=False)
        L = len(arch.filters)
        if m is None or m == 1 or L == 1:
            return "none (σ(ωz) = ω^k σ(z) only for ω = 1)", 1, 0
        if m == 2 and act.degree % 2:
            return "sign flips of w_i and w_{i+1} together, i < L (σ odd)", 2 ** (L - 1), 0
        if m == 2:
            return "sign flips of w_i alone, i < L (σ even)", 2 ** (L - 1), 0
        text = f"m-th roots of unity per filter 1..L−1, m = {m} (σ(ωz) = ω^k σ(z))"
        return text, m ** (L - 1), 0
    return "not derived for this architecture", None, arch.symmetry_dim


def order_text(order: int | None) -> str:
    """The group order in words: never a bare None.

    >>> order_text(2), order_text(None)
    ('order 2', 'no finite order: a continuous group, nothing to count against')
    """
    if order is None:
        return "no finite order: a continuous group, nothing to count against"
    return f"order {order}"


def factor_orderings(
    filters: tuple[tuple[int, ...], ...], strides: tuple[tuple[int, ...], ...]
) -> int:
    """Orderings of the filters of a single-channel linear convolution that keep f (≥ 1).

    The end-to-end filter is Π_i w_i(x^{S_i}), S_i = s_1⋯s_{i−1} per axis (KMST arXiv:2304.05752,
    KMMT arXiv:2108.01538): filters with the same S_i (stride 1 between them) and the same shape
    can be permuted. Each ordering is one chart point (the rescalings are fixed), and unique
    factorization makes these all of the fiber when generic filters are irreducible.

    >>> factor_orderings(((2, 2), (2, 2)), ((1, 1),)), factor_orderings(((2,), (2,)), ((2,),))
    (2, 1)
    >>> factor_orderings(((2,), (3,), (2,)), ((1,), (1,)))
    2
    """
    runs: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
    S = tuple(1 for _ in filters[0])
    for i, k in enumerate(filters):
        runs[(S, k)] = runs.get((S, k), 0) + 1
        if i < len(strides):
            S = tuple(a * b for a, b in zip(S, strides[i], strict=True))
    return math.prod(math.factorial(n) for n in runs.values())


def _linear_conv_text(orderings: int) -> str:
    if orderings == 1:
        return "filter rescalings (fixed by the chart)"
    return (
        f"filter rescalings (fixed by the chart) and the {orderings} orderings of equal-shaped "
        "filters at stride 1 (the factors of the end-to-end filter commute)"
    )


def _conv_symmetry(arch: ConvNet) -> tuple[str, int | None, int]:
    """Multi-channel/multi-dimensional convolutions (see :func:`symmetry`)."""
    act, hidden = arch.activation, arch.hidden_channels
    perms = math.prod(math.factorial(c) for c in hidden)
    if act.is_linear:
        if all(c == 1 for c in hidden):
            orderings = factor_orderings(arch.filters, tuple(arch.strides))  # type: ignore[arg-type]
            return _linear_conv_text(orderings), orderings, arch.symmetry_dim
        return (
            "GL(c_i) mixing the channels of each hidden layer (continuous; the chart fixes "
            "only the rescalings)",
            None,
            arch.symmetry_dim,
        )
    channels = "permutations of hidden channels"
    if act.is_monomial:
        return f"{channels} (rescalings fixed by the chart)", perms, arch.symmetry_dim
    if act.degree == 1:
        cont = sum(c * c - c for c in hidden)
        text = "{G ∈ GL(c_i) : G·1 = 1} mixing the channels of each hidden layer (σ affine)"
        return text, (1 if cont == 0 else None), cont
    m = root_of_unity_order(act, bias=False) or 1
    if m == 1:
        return channels, perms, 0
    return (
        f"{channels} and, per hidden channel, {_parity_text(act, m, False)}",
        perms * m ** sum(hidden),
        0,
    )


def _gl_orbit_dimension_unknown(arch: Architecture) -> bool:
    # ConvNet.symmetry_dim falls back to the torus there: a lower bound of the orbit dimension
    return (
        isinstance(arch, ConvNet)
        and arch.activation.is_linear
        and any(c > 1 for c in arch.hidden_channels)
        and not arch.gl_orbits_full
    )
