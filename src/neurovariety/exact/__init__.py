"""Exact linear algebra over prime fields: primes, ranks, kernels and products modulo p.

The hot path is a float64-BLAS elimination engine for primes below ``2**26``
(:func:`rank_mod_p`); :func:`rank_mod` picks between it and FLINT's ``nmod_mat``.
See ``docs/exact.md``.
"""

from .modular import BLAS_FAST_PRIME as BLAS_FAST_PRIME
from .modular import FLINT_CROSSOVER as FLINT_CROSSOVER
from .modular import column_rank_profile_mod_p as column_rank_profile_mod_p
from .modular import matmul_mod as matmul_mod
from .modular import nullspace_mod as nullspace_mod
from .modular import nullspace_mod_p as nullspace_mod_p
from .modular import rank_mod as rank_mod
from .modular import rank_mod_p as rank_mod_p
from .modular import reduce_mod as reduce_mod
from .primes import MAX_BLAS_PRIME as MAX_BLAS_PRIME
from .primes import MAX_WORD_PRIME as MAX_WORD_PRIME
from .primes import check_prime as check_prime
from .primes import is_prime as is_prime
from .primes import next_prime as next_prime
from .primes import primes_below as primes_below
from .primes import random_prime as random_prime
