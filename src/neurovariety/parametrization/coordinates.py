"""Coordinates of the function space, and points of the neuromanifold in them over GF(p).

A network's function ``f_θ`` is a vector of polynomials in the inputs; its coordinates are their
coefficients, one per (output, monomial) the layers can reach, in a fixed order shared by every
module that writes equations or points (``c0, c1, …``).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..architectures.base import Architecture, Layer
from ..architectures.cnn import CNN, reachable_support
from ..errors import NeurovarietyError
from .exact import layer_matrix

__all__ = ["coordinate_labels", "coordinates", "sample_points_mod_p"]


def coordinates(arch: Architecture) -> list[tuple[int, tuple[int, ...]]]:
    """Coordinates of the function space: ``(output, input exponent vector)``, in the order of the
    variables ``c0, c1, …`` (outputs first, then degree, then ``x_0`` before ``x_1``).

    >>> from neurovariety import LCN, MLP, Monomial
    >>> coordinates(LCN((2, 2), 2))[:2]
    [(0, (1, 0, 0, 0)), (0, (0, 1, 0, 0))]
    >>> len(coordinates(MLP((2, 2, 2), Monomial(2))))
    6
    """
    if isinstance(arch, CNN):
        per_output = [sorted(reachable_support(arch))]
    else:
        n = arch.n_inputs
        mons = [
            tuple(e)
            for d in sorted(arch.output_degrees)
            for e in _exponents(n, d)  # type: ignore[arg-type]
        ]
        per_output = [mons] * arch.n_outputs
    out: list[tuple[int, tuple[int, ...]]] = []
    for o, mons in enumerate(per_output):
        ordered = sorted(mons, key=lambda e: (sum(e), tuple(-a for a in e)))
        out.extend((o, e) for e in ordered)
    return out


def _exponents(n: int, d: int) -> list[tuple[int, ...]]:
    out = []
    for combo in itertools.combinations_with_replacement(range(n), d):
        e = [0] * n
        for i in combo:
            e[i] += 1
        out.append(tuple(e))
    return out


def coordinate_labels(arch: Architecture) -> list[str]:
    """The coordinates as monomials in the inputs, ``yO: …`` in front for several outputs.

    >>> from neurovariety import MLP, Monomial
    >>> coordinate_labels(MLP((2, 2, 1), Monomial(2)))
    ['x0^2', 'x0*x1', 'x1^2']
    """
    labels = []
    for o, e in coordinates(arch):
        mono = "*".join(f"x{i}" + (f"^{a}" if a > 1 else "") for i, a in enumerate(e) if a)
        mono = mono or "1"
        labels.append(mono if arch.n_outputs == 1 or isinstance(arch, CNN) else f"y{o}: {mono}")
    return labels


def sample_points_mod_p(arch: Architecture, n: int, p: int, *, seed: int) -> np.ndarray:
    """``n`` points of the neuromanifold over GF(p): coefficient vectors of ``f_θ``, random θ.

    The forward pass runs in ``nmod_mpoly`` over the inputs only, so its cost is that of the
    output polynomial, never of its expansion in θ.

    Returns an int64 array of shape ``(n, n_coordinates)`` in the order of :func:`coordinates`.

    >>> from neurovariety import LCN
    >>> pts = sample_points_mod_p(LCN((3, 2), 2), 4, 101, seed=0)
    >>> pts.shape
    (4, 5)
    """
    import flint

    coords = coordinates(arch)
    index = {c: i for i, c in enumerate(coords)}
    m = arch.n_inputs
    ctx = flint.nmod_mpoly_ctx.get((("x", m),), modulus=p)
    xs = list(ctx.gens())
    one = ctx.from_dict({(0,) * m: 1})
    zero = ctx.from_dict({})
    coeffs = []
    for c in arch.activation.coefficients:
        if c.denominator % p == 0:
            raise NeurovarietyError(f"the activation coefficient {c} is not defined mod p={p}")
        coeffs.append(c.numerator * pow(c.denominator, -1, p) % p)
    rng = np.random.default_rng([seed, p, 7])
    out = np.zeros((n, len(coords)), dtype=np.int64)

    def sigma(h: list[Any]) -> list[Any]:
        return [_horner(coeffs, z, one) for z in h]

    for s in range(n):
        theta = rng.integers(0, p, size=arch.n_params).astype(object)

        def linear(layer: Layer, h: list[Any], theta: np.ndarray = theta) -> list[Any]:
            W = layer_matrix(layer, theta)
            hb = h + [one] if layer.bias else h
            new = []
            for a in range(layer.n_out):
                acc = zero
                for b in np.nonzero(layer.pattern[a] >= 0)[0]:
                    acc = acc + int(W[a, b]) * hb[int(b)]
                new.append(acc)
            return new

        for o, poly in enumerate(arch.walk(xs, linear, sigma)):
            for e, value in poly.to_dict().items():
                out[s, index[(o, tuple(e))]] = int(value)
    return out


def _horner(coeffs: list[int], z: Any, one: Any) -> Any:
    y = coeffs[-1] * one
    for c in reversed(coeffs[:-1]):
        y = y * z + c * one
    return y
