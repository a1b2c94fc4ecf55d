"""θ ↦ f_θ: exact (prime fields, integers) and numeric (JAX) parametrizations."""

from .exact import forward_mod_p as forward_mod_p
from .exact import jacobian_mod_p as jacobian_mod_p
from .exact import random_point_mod_p as random_point_mod_p
from .numeric import forward as forward
from .numeric import forward_fn as forward_fn
from .numeric import jacobian as jacobian
