"""Random sample points: parameters and inputs over GF(p), the reals and the complexes."""

from __future__ import annotations

import numpy as np

from ..nag.numerics import complex_gaussian

FLOAT_EXACT_PRIME_LIMIT = 1 << 26  # a·b < 2^52 for residues below this: exact in float64


def residue_array(shape: tuple[int, ...], p: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform residues mod p: float64 when p < 2^26 (exact BLAS path), else Python ints."""
    if p < FLOAT_EXACT_PRIME_LIMIT:
        return rng.integers(0, p, size=shape).astype(np.float64)
    flat = [int(v) for v in rng.integers(0, p, size=int(np.prod(shape)), dtype=np.uint64)]
    # uint64 draws cover [0, p) for p < 2^63
    return np.array(flat, dtype=object).reshape(shape)


def real_points(
    shape: tuple[int, ...], rng: np.random.Generator, *, complex_: bool = False
) -> np.ndarray:
    """Standard Gaussian points (complex Gaussian when ``complex_``)."""
    if complex_:
        return complex_gaussian(rng, shape)
    return rng.standard_normal(shape)
