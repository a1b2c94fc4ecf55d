"""Fully connected networks with polynomial activation."""

from __future__ import annotations

import dataclasses

from ..errors import ArchitectureError
from .activations import Activation
from .base import MAX_DEPTH, MAX_PARAMS, MAX_WIDTH, Architecture, Layer, dense_layer


@dataclasses.dataclass(frozen=True)
class MLP(Architecture):
    """An MLP ``f = W_L ∘ σ ∘ W_{L−1} ∘ ⋯ ∘ σ ∘ W_1`` with widths ``(d_0, …, d_L)``.

    With ``bias=True`` every layer is affine.

    >>> from neurovariety import MLP, Monomial
    >>> f = MLP((2, 3, 2, 3, 4), Monomial(2))
    >>> f.n_params, f.ambient_dim, f.expected_dim
    (30, 36, 22)
    >>> f.spec
    'mlp 2-3-2-3-4 x^2'
    """

    widths: tuple[int, ...]
    activation: Activation
    bias: bool = False  # type: ignore[assignment]
    kind = "mlp"

    def __post_init__(self) -> None:
        w = self.widths
        if isinstance(w, (str, bytes)) or not hasattr(w, "__iter__"):
            raise ArchitectureError(f"widths must be a sequence of ints, e.g. (2, 3, 1); got {w!r}")
        w = tuple(w)
        if len(w) < 2:
            raise ArchitectureError(
                f"an MLP needs at least an input and an output width, got widths={w}; "
                "e.g. (2, 3, 1)"
            )
        for d in w:
            if not isinstance(d, int) or isinstance(d, bool):
                raise ArchitectureError(f"width {d!r} is not an int; widths are positive ints")
            if d < 1:
                raise ArchitectureError(
                    f"width {d} in {'-'.join(map(str, w))} must be ≥ 1; remove the layer or "
                    "give it at least one neuron"
                )
            if d > MAX_WIDTH:
                raise ArchitectureError(
                    f"width {d} is absurdly large (limit {MAX_WIDTH}); use smaller widths"
                )
        if len(w) - 1 > MAX_DEPTH:
            raise ArchitectureError(f"depth {len(w) - 1} exceeds the limit {MAX_DEPTH}")
        if not isinstance(self.activation, Activation):
            raise ArchitectureError(
                f"activation must be an Activation (Monomial, Polynomial, GenericPolynomial), "
                f"got {self.activation!r}"
            )
        object.__setattr__(self, "widths", w)
        n = sum((w[i] + int(self.bias)) * w[i + 1] for i in range(len(w) - 1))
        if n > MAX_PARAMS:
            raise ArchitectureError(
                f"{n} parameters is absurdly many (limit {MAX_PARAMS}); use smaller widths"
            )

    def _build_layers(self) -> tuple[Layer, ...]:
        layers, offset = [], 0
        for a, b in zip(self.widths[:-1], self.widths[1:], strict=True):
            layer = dense_layer(a, b, offset, self.bias)
            layers.append(layer)
            offset += layer.n_params
        return tuple(layers)

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        return self.widths[1:-1]

    @property
    def symmetry_dim(self) -> int:
        """Dimension of the generic orbit of the known continuous symmetries.

        Monomial σ = x^r (r ≥ 2): the rescalings of hidden neurons, a torus of dimension Σ d_i
        acting with finite generic stabilizer (a rescaled non-zero row is another row), with or
        without bias. Linear σ: the generic fiber of the (affine) determinantal parametrization,
        ``n_params − dim``; GL(d_i) need not act with finite stabilizers (a hidden layer wider
        than its neighbours), so Σ d_i² would overstate it. Other σ: 0.
        """
        if self.activation.is_linear:
            return self.n_params - self.expected_dim
        if self.activation.is_monomial:
            return sum(self.hidden_widths)
        return 0

    @property
    def expected_dim(self) -> int:
        """For linear σ the exact dimension (below); otherwise ``min(ambient, n − Σ d_i)``.

        Linear σ: the end-to-end map is x ↦ A x (+ c) with A of rank ≤ ρ = min(widths), every such
        A reached, and with bias every translation c reached through the last bias: the
        determinantal variety of dimension ρ(d_0 + d_L − ρ), plus d_L with bias (Invitation,
        arXiv:2501.18915, appendix).
        """
        if self.activation.is_linear:
            w = self.widths
            rho = min(w)
            return rho * (w[0] + w[-1] - rho) + (w[-1] if self.bias else 0)
        return super().expected_dim

    @property
    def spec(self) -> str:
        s = f"mlp {'-'.join(map(str, self.widths))} {self.activation.spec}"
        return s + " bias" if self.bias else s
