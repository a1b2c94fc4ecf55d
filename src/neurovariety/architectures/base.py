"""The common shape of every architecture: a stack of structured linear layers with σ between.

Every architecture compiles to :class:`Layer` objects: layer i is a linear (or affine) map whose
matrix entries are either a parameter or zero. MLPs have dense layers, convolutions have Toeplitz
layers with shared weights. The exact and numeric parametrizations are written once against this
representation.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from functools import cached_property
from math import comb
from typing import Any

import numpy as np

from .activations import Activation

MAX_WIDTH = 100_000
MAX_DEPTH = 64
MAX_PARAMS = 50_000_000


@dataclasses.dataclass(frozen=True)
class Layer:
    """One linear layer: ``z = W h (+ b)``, ``W[a, b] = θ[offset + pattern[a, b]]`` (−1 means 0)."""

    n_in: int
    n_out: int
    pattern: np.ndarray  # int64, shape (n_out, n_in + bias)
    n_params: int
    offset: int
    bias: bool
    dense: bool  # pattern is arange(n_params).reshape(n_out, n_in + bias)

    @property
    def params(self) -> slice:
        """Where this layer sits in θ; also for writing: ``theta[layer.params] = w``."""
        return slice(self.offset, self.offset + self.n_params)

    def weights(self, theta: Any) -> Any:
        """This layer's parameters ``θ[offset : offset + n_params]`` (a view for NumPy arrays)."""
        return theta[self.params]


def dense_layer(n_in: int, n_out: int, offset: int, bias: bool) -> Layer:
    cols = n_in + int(bias)
    pattern = np.arange(n_out * cols, dtype=np.int64).reshape(n_out, cols)
    return Layer(n_in, n_out, pattern, n_out * cols, offset, bias, True)


def reachable_degrees(exponents: tuple[int, ...], depth: int, bias: bool) -> frozenset[int]:
    """Degrees of the homogeneous parts that can occur in the output of ``depth`` layers.

    Layer outputs start with degree {1} (plus {0} with bias); σ with exponents E maps a degree set S
    to the union over e ∈ E of the e-fold sumsets of S.
    """
    degs: frozenset[int] = frozenset({1} | ({0} if bias else set()))
    for _ in range(depth - 1):
        new: set[int] = set()
        for e in exponents:
            acc = {0}
            for _ in range(e):
                acc = {a + b for a in acc for b in degs}
            new |= acc
        if bias:
            new.add(0)
        degs = frozenset(new)
    return degs


class Architecture:
    """Interface shared by :class:`MLP`, :class:`CNN` and :class:`LCN`."""

    kind: str
    activation: Activation

    @property
    def spec(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.spec

    @property
    def key(self) -> str:
        """Stable hash of the canonical spec (the key of stored results)."""
        return hashlib.sha256(self.spec.encode()).hexdigest()[:16]

    @cached_property
    def layers(self) -> tuple[Layer, ...]:
        return self._build_layers()

    def _build_layers(self) -> tuple[Layer, ...]:
        raise NotImplementedError

    @property
    def depth(self) -> int:
        return len(self.layers)

    def walk(self, h: Any, linear: Callable[[Layer, Any], Any], sigma: Callable[[Any], Any]) -> Any:
        """The forward pass in any arithmetic: ``linear(layer, h)`` per layer, ``sigma`` between
        layers (not after the last). Mod p, JAX floats and polynomials differ only in these two.

        >>> from neurovariety import MLP, Monomial
        >>> MLP((1, 1, 1), Monomial(2)).walk(3, lambda layer, h: 2 * h, lambda z: z * z)
        72
        """
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            h = linear(layer, h)
            if i < last:
                h = sigma(h)
        return h

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    @property
    def bias(self) -> bool:
        return False

    @property
    def output_degrees(self) -> frozenset[int]:
        """Degrees in x of the homogeneous parts the network's outputs can have."""
        return reachable_degrees(self.activation.exponents, self.depth, self.bias)

    @property
    def ambient_dim_per_output(self) -> int:
        """Dimension of the span of reachable monomials, for one output coordinate."""
        n = self.n_inputs
        return sum(comb(d + n - 1, n - 1) for d in self.output_degrees)

    @property
    def ambient_dim(self) -> int:
        """Dimension of the ambient function space: reachable monomials times outputs."""
        return self.n_outputs * self.ambient_dim_per_output

    @property
    def symmetry_dim(self) -> int:
        """Dimension of the known continuous symmetry group (finite generic stabilizer)."""
        raise NotImplementedError

    @property
    def expected_dim(self) -> int:
        """min(ambient dimension, parameters − symmetry dimension)."""
        return min(self.ambient_dim, self.n_params - self.symmetry_dim)

    @property
    def total_degree(self) -> int:
        """Total degree of an output as a polynomial in parameters and inputs together."""
        t = 1
        for i, _ in enumerate(self.layers):
            t = t + 1
            if i < len(self.layers) - 1:
                t = t * self.activation.degree
        return t
