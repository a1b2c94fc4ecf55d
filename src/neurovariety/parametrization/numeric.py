"""Numeric parametrization in JAX (float64 / complex128): forward maps and Jacobians.

The Jacobian of θ ↦ (f_θ(x_1), …, f_θ(x_S)) is assembled per sample chunk: a whole-batch
reverse-mode Jacobian of a large network asks for tens of GB, a chunk of a few hundred samples
for a few hundred MB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.attention import OwnParametrization
from ..architectures.base import Architecture, Layer
from ..jaxconfig import ensure_x64

DEFAULT_CHUNK = 256


def _layer_matrix(layer: Any, theta: jax.Array) -> jax.Array:
    vals = layer.weights(theta)
    if layer.dense:
        return vals.reshape(layer.pattern.shape)
    pattern = np.asarray(layer.pattern)
    gathered = vals[np.clip(pattern, 0, None)]
    return jnp.where(pattern >= 0, gathered, jnp.zeros((), dtype=theta.dtype))


def forward_fn(arch: Architecture) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """Return ``f(θ, x)`` for one input vector ``x`` (shape ``(n_inputs,)``) → ``(n_outputs,)``.

    >>> import jax.numpy as jnp
    >>> from neurovariety import MLP, Monomial
    >>> f = forward_fn(MLP((1, 1, 1), Monomial(2)))    # w2 (w1 x)^2
    >>> f(jnp.array([3.0, 5.0]), jnp.array([2.0])).tolist()
    [180.0]
    """
    ensure_x64()  # every numeric map of a network starts here (forward, jacobian, chart_map)
    if isinstance(arch, OwnParametrization):  # outside the Layer stack (attention)
        return arch.jax_forward()
    coeffs = [float(c) for c in arch.activation.coefficients]

    def sigma(z: jax.Array) -> jax.Array:
        y = jnp.zeros_like(z) + coeffs[-1]
        for c in reversed(coeffs[:-1]):
            y = y * z + c
        return y

    def f(theta: jax.Array, x: jax.Array) -> jax.Array:
        def linear(layer: Layer, h: jax.Array) -> jax.Array:
            W = _layer_matrix(layer, theta)
            return W[:, :-1] @ h + W[:, -1] if layer.bias else W @ h

        return arch.walk(x, linear, sigma)

    return f


def forward(arch: Architecture, theta: Any, x: Any) -> np.ndarray:
    """Outputs for a batch of inputs ``x`` (shape ``(S, n_inputs)``) → ``(S, n_outputs)``."""
    f = jax.jit(jax.vmap(forward_fn(arch), in_axes=(None, 0)))
    return np.asarray(f(jnp.asarray(theta), jnp.asarray(x)))


def jacobian(
    arch: Architecture, theta: Any, x: Any, *, chunk: int = DEFAULT_CHUNK, mode: str = "rev"
) -> np.ndarray:
    """Jacobian of θ ↦ (f_θ(x_1), …, f_θ(x_S)), shape ``(S·n_outputs, n_params)``.

    Rows are ordered by sample, then output (as in :func:`jacobian_mod_p`). ``mode`` chooses
    reverse (``"rev"``, cheap when outputs ≪ parameters) or forward (``"fwd"``) autodiff.

    >>> import numpy as np
    >>> from neurovariety import MLP, Monomial
    >>> jacobian(MLP((1, 1, 1), Monomial(2)), np.array([3.0, 5.0]), np.array([[2.0]]))
    array([[120.,  36.]])
    """
    f = forward_fn(arch)
    jac = jax.jacrev(f) if mode == "rev" else jax.jacfwd(f)
    batched = jax.jit(jax.vmap(jac, in_axes=(None, 0)))
    theta = jnp.asarray(theta)
    x = np.asarray(x)
    out = []
    for start in range(0, x.shape[0], chunk):
        block = np.asarray(batched(theta, jnp.asarray(x[start : start + chunk])))
        out.append(block.reshape(-1, arch.n_params))
    return np.concatenate(out, axis=0)


def gauge_chart(arch: Architecture) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the parameters fixed to 1 (one per rescaling) and of the free ones.

    Monomial MLP: the first incoming weight of every hidden neuron; monomial CNN/LCN: the first
    entry of filters 1..L−1; multi-channel/2D: that of the first filter into each hidden channel.
    Generic σ: nothing is fixed.

    >>> from neurovariety import parse_architecture
    >>> fixed, free = gauge_chart(parse_architecture("lcn k=3,2 s=2"))
    >>> fixed.tolist(), free.tolist()
    ([0], [1, 2, 3, 4])
    """
    from ..architectures.cnn import CNN
    from ..architectures.conv import ConvNet
    from ..architectures.mlp import MLP

    fixed: list[int] = []
    if arch.activation.is_monomial:
        if isinstance(arch, MLP):
            for layer in arch.layers[:-1]:
                fixed += [int(layer.offset + layer.pattern[j, 0]) for j in range(layer.n_out)]
        elif isinstance(arch, CNN):
            fixed += [layer.offset for layer in arch.layers[:-1]]
        elif isinstance(arch, ConvNet):
            fixed += arch.rescaling_gauge()
    free = np.setdiff1d(np.arange(arch.n_params), fixed)
    return np.array(fixed, dtype=int), free


def chart_map(arch: Architecture, points: Any) -> Callable[[jax.Array], jax.Array]:
    """``y(z) = (f_θ(z)(e_1), …, f_θ(z)(e_A))``: the network at ``points`` as a function of the
    free parameters ``z`` of :func:`gauge_chart` (the fixed ones set to 1). Holomorphic in z.

    >>> import jax.numpy as jnp
    >>> from neurovariety import parse_architecture
    >>> y = chart_map(parse_architecture("lcn k=2,2 s=2"), jnp.eye(4))   # w1 = (1, z0)
    >>> y(jnp.array([2.0, 3.0, 5.0])).tolist()                          # w2 = (z1, z2)
    [3.0, 6.0, 5.0, 10.0]
    """
    fixed, free = gauge_chart(arch)
    f = jax.vmap(forward_fn(arch), in_axes=(None, 0))
    E = jnp.asarray(points)
    free_j, fixed_j = jnp.asarray(free), jnp.asarray(fixed)

    def y_of(z: jax.Array) -> jax.Array:
        theta = jnp.zeros(arch.n_params, dtype=z.dtype).at[free_j].set(z)
        theta = theta.at[fixed_j].set(1.0) if len(fixed) else theta
        return f(theta, E).reshape(-1)

    return y_of
