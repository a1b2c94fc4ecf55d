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
padding       min(‖first slab‖, ‖last slab‖)         RMS filter entry · √(slab size)
============  =====================================  ============================

A unit is an MLP neuron (row and column of the weight matrices) or a hidden channel of a
multi-channel convolution (its in- and out-filters). A padding slab is one end of one axis of a
layer's filters, in every channel pair (one entry for a single-channel 1D CNN). Attention has no
strata, hence no families: its distances are empty.
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
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP
from ..invariants.conv_strata import filter_indices
from ..invariants.strata import unit_filters
from ..jaxconfig import ensure_x64

__all__ = ["distances_fn", "stratum_distances", "stratum_families", "tracks_strata"]

Family = tuple[str, Callable[[jax.Array], Any]]


def tracks_strata(arch: Architecture) -> bool:
    """Whether ``arch`` has subnetwork strata (MLPs and convolutions, not attention).

    >>> from neurovariety import parse_architecture
    >>> tracks_strata(parse_architecture("cnn k=2,2 c=1,2,1 x^2"))
    True
    >>> tracks_strata(parse_architecture("attn t=2 d=2 a=1"))
    False
    """
    return isinstance(arch, (MLP, CNN, ConvNet))


def stratum_families(arch: Architecture) -> list[str]:
    """Names of the families of strata whose distances are tracked.

    >>> from neurovariety import parse_architecture
    >>> stratum_families(parse_architecture("mlp 2-2-1 x^2"))
    ['inactive-out layer 1', 'inactive-in layer 1', 'redundant layer 1']
    >>> stratum_families(parse_architecture("cnn k=3,1,2 x^2"))
    ['padding filter 1', 'padding filter 3']
    >>> stratum_families(parse_architecture("cnn k=2x2,2x1 c=1,2,1 x^2"))  # doctest: +ELLIPSIS
    ['inactive-out layer 1', ..., 'padding filter 1 axis 2', 'padding filter 2 axis 1']
    """
    return [name for name, _ in _family_fns(arch)]


def _rms(v: jax.Array) -> jax.Array:
    return jnp.sqrt(jnp.mean(v * v))


def _unit_families(arch: Architecture, layer: int, units: int) -> list[Family]:
    """The families of hidden ``layer`` (MLP neurons or ConvNet channels): the weights into and
    out of each unit are rows of index matrices, so the maps are the same for both."""
    pairs = [unit_filters(arch, layer, j) for j in range(units)]
    into = np.stack([p[0] for p in pairs])
    out = np.stack([p[1] for p in pairs])

    def out_fn(theta: jax.Array) -> Any:
        c = jnp.linalg.norm(theta[out], axis=1)
        return jnp.min(c), _rms(c)

    def in_fn(theta: jax.Array) -> Any:
        r = jnp.linalg.norm(theta[into], axis=1)
        return jnp.min(r), _rms(r)

    fams: list[Family] = [(f"inactive-out layer {layer}", out_fn)]
    if arch.activation.coefficients[0] == 0 and not arch.bias:
        fams.append((f"inactive-in layer {layer}", in_fn))
    if units >= 2:
        a, b = np.triu_indices(units, 1)

        def red_fn(theta: jax.Array) -> Any:
            R = theta[into]
            diff = jnp.linalg.norm(R[a] - R[b], axis=1) / math.sqrt(2.0)
            return jnp.min(diff), _rms(jnp.linalg.norm(R, axis=1))

        fams.append((f"redundant layer {layer}", red_fn))
    return fams


def filter_shapes(arch: CNN | ConvNet) -> list[tuple[int, ...]]:
    """Each layer's filter shape (one axis for a single-channel 1D CNN)."""
    if isinstance(arch, ConvNet):
        return list(arch.filters)
    return [(k,) for k in arch.filters]


def _padding_families(arch: CNN | ConvNet) -> list[Family]:
    """Per filter and axis: the smaller norm of the two end slabs (every channel pair's taps at
    the first or the last index of that axis), scaled by the filter's RMS entry · √(slab size)."""
    fams: list[Family] = []
    for i, shape in enumerate(filter_shapes(arch)):
        idx = filter_indices(arch, i)
        box = idx.reshape(*idx.shape[:2], *shape)
        for d, n in enumerate(shape):
            if n < 2:
                continue
            first = np.take(box, 0, axis=2 + d).reshape(-1)
            last = np.take(box, n - 1, axis=2 + d).reshape(-1)
            size = math.sqrt(first.size)

            def pad_fn(
                theta: jax.Array,
                first: Any = first,
                last: Any = last,
                idx: Any = idx,
                size: float = size,
            ) -> Any:
                ends = jnp.minimum(jnp.linalg.norm(theta[first]), jnp.linalg.norm(theta[last]))
                return ends, _rms(theta[idx.reshape(-1)]) * size

            axis = f" axis {d + 1}" if len(shape) > 1 else ""
            fams.append((f"padding filter {i + 1}{axis}", pad_fn))
    return fams


def _family_fns(arch: Architecture) -> list[Family]:
    if isinstance(arch, MLP):
        hidden = arch.widths[1:-1]
    elif isinstance(arch, ConvNet):
        hidden = arch.hidden_channels
    elif isinstance(arch, CNN):
        return _padding_families(arch)
    else:
        return []
    units = [f for i, c in enumerate(hidden, start=1) for f in _unit_families(arch, i, c)]
    return units + (_padding_families(arch) if isinstance(arch, ConvNet) else [])


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
