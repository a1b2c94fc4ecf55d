"""Parameter distance from θ to each family of subnetwork strata (Razor, arXiv:2505.11846).

A family is the union, over the choice of neurons, of the linear subspaces of
:func:`neurovariety.invariants.strata.strata` of one kind in one layer. Each is given as the
Euclidean distance and that distance divided by the layer's typical size (the *relative*
distance, which training compares with its threshold):

============  =====================================  ============================
family        distance                               scale
============  =====================================  ============================
inactive-out  min_j ‖outgoing column j‖              RMS of the column norms
inactive-in   min_j ‖incoming row j‖ (σ(0) = 0)      RMS of the row norms
redundant     min_{j<k} ‖row_j − row_k‖ / √2         RMS of the row norms
padding       min(|w_first|, |w_last|) of a filter   RMS entry of the filter
============  =====================================  ============================

Architectures without subnetwork strata (attention, multi-channel and 2D convolutions) have no
families: their distances are empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.mlp import MLP
from ..jaxconfig import ensure_x64

__all__ = ["distances_fn", "stratum_distances", "stratum_families", "tracks_strata"]

Family = tuple[str, Callable[[jax.Array], Any]]


def tracks_strata(arch: Architecture) -> bool:
    """Whether ``arch`` has subnetwork strata (MLPs and single-channel 1D CNN/LCN).

    >>> from neurovariety import parse_architecture
    >>> tracks_strata(parse_architecture("cnn k=2,2 x^2"))
    True
    >>> tracks_strata(parse_architecture("attn t=2 d=2 a=1"))
    False
    """
    return isinstance(arch, (MLP, CNN))


def stratum_families(arch: Architecture) -> list[str]:
    """Names of the families of strata whose distances are tracked.

    >>> from neurovariety import parse_architecture
    >>> stratum_families(parse_architecture("mlp 2-2-1 x^2"))
    ['inactive-out layer 1', 'inactive-in layer 1', 'redundant layer 1']
    >>> stratum_families(parse_architecture("cnn k=3,1,2 x^2"))
    ['padding filter 1', 'padding filter 3']
    >>> stratum_families(parse_architecture("cnn k=2,2 c=1,2,1 x^2"))
    []
    """
    return [name for name, _ in _family_fns(arch)]


def _rms(v: jax.Array) -> jax.Array:
    return jnp.sqrt(jnp.mean(v * v))


def _mlp_families(arch: MLP, i: int) -> list[Family]:
    """The families of hidden layer ``i``."""
    lin, lout = arch.layers[i - 1], arch.layers[i]
    d = arch.widths[i]

    def rows(theta: jax.Array) -> jax.Array:
        return lin.weights(theta).reshape(lin.pattern.shape)

    def out_fn(theta: jax.Array) -> Any:
        W = lout.weights(theta).reshape(lout.pattern.shape)
        c = jnp.linalg.norm(W[:, :d], axis=0)
        return jnp.min(c), _rms(c)

    def in_fn(theta: jax.Array) -> Any:
        r = jnp.linalg.norm(rows(theta), axis=1)
        return jnp.min(r), _rms(r)

    out: list[Family] = [(f"inactive-out layer {i}", out_fn)]
    if arch.activation.coefficients[0] == 0 and not arch.bias:
        out.append((f"inactive-in layer {i}", in_fn))
    if d >= 2:
        a, b = np.triu_indices(d, 1)

        def red_fn(theta: jax.Array) -> Any:
            R = rows(theta)
            diff = jnp.linalg.norm(R[a] - R[b], axis=1) / math.sqrt(2.0)
            return jnp.min(diff), _rms(jnp.linalg.norm(R, axis=1))

        out.append((f"redundant layer {i}", red_fn))
    return out


def _family_fns(arch: Architecture) -> list[Family]:
    if isinstance(arch, MLP):
        return [f for i in range(1, len(arch.widths) - 1) for f in _mlp_families(arch, i)]
    if not isinstance(arch, CNN):
        return []
    out: list[Family] = []
    for i, layer in enumerate(arch.layers):
        if layer.n_params < 2:
            continue

        def pad_fn(theta: jax.Array, layer: Any = layer) -> Any:
            w = layer.weights(theta)
            return jnp.minimum(jnp.abs(w[0]), jnp.abs(w[-1])), _rms(w)

        out.append((f"padding filter {i + 1}", pad_fn))
    return out


def distances_fn(arch: Architecture) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    """``θ ↦ (distances, relative distances)`` to the families, as JAX arrays (traceable)."""
    fns = [fn for _, fn in _family_fns(arch)]

    def distances(theta: jax.Array) -> tuple[jax.Array, jax.Array]:
        if not fns:
            z = jnp.zeros((0,), dtype=theta.dtype)
            return z, z
        pairs = [fn(theta) for fn in fns]
        dist = jnp.stack([p[0] for p in pairs])
        scale = jnp.stack([p[1] for p in pairs])
        rel = jnp.where(scale > 0, dist / jnp.where(scale > 0, scale, 1.0), 0.0)
        return dist, rel

    return distances


def stratum_distances(arch: Architecture, theta: Any) -> dict[str, tuple[float, float]]:
    """Distance and relative distance of ``theta`` to each family of strata.

    >>> import numpy as np
    >>> from neurovariety import parse_architecture
    >>> f = parse_architecture("mlp 2-2-1 x^2")          # rows (1, 0), (1, 0.1); columns 2, 0
    >>> d = stratum_distances(f, np.array([1, 0, 1, 0.1, 2, 0.0]))
    >>> d["inactive-out layer 1"], round(d["redundant layer 1"][0], 4)
    ((0.0, 0.0), 0.0707)
    """
    ensure_x64()
    dist, rel = distances_fn(arch)(jnp.asarray(theta, dtype=float))
    names = stratum_families(arch)
    return {n: (float(d), float(r)) for n, d, r in zip(names, dist, rel, strict=True)}
