"""JAX's process-wide settings that the numeric code needs, applied at first use.

Importing neurovariety, or any of its modules, changes no global state: JAX's 64-bit mode is a
process-wide flag (it also changes the dtypes of a caller's own arrays), so it is turned on by
:func:`ensure_x64`, which every numeric entry point calls before it creates a JAX array. The
exact paths (``neurovariety.exact``, ``parametrization.exact``, ``dimension(method="exact")``)
never import JAX.
"""

from __future__ import annotations


def ensure_x64() -> None:
    """Turn on JAX's float64/complex128 mode if it is off; a flag test when it is on.

    Numerical ranks cut at a relative 1e-9 and path tracking runs Newton to residuals near
    1e-12: both are meaningless in float32, JAX's default. Call before the first array of a
    computation: arrays made before keep 32-bit dtypes.

    >>> import jax
    >>> ensure_x64()
    >>> jax.numpy.zeros(1).dtype
    dtype('float64')
    """
    import jax  # imported by the numeric paths only

    if not jax.config.read("jax_enable_x64"):
        jax.config.update("jax_enable_x64", True)
