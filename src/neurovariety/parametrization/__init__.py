"""θ ↦ f_θ: exact (prime fields, integers) and numeric (JAX) parametrizations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_exports

lazy_exports(
    __name__,
    {
        "forward_mod_p": ".exact",
        "jacobian_mod_p": ".exact",
        "random_point_mod_p": ".exact",
        "forward": ".numeric",
        "forward_fn": ".numeric",
        "jacobian": ".numeric",
    },
)

if TYPE_CHECKING:
    from .exact import forward_mod_p as forward_mod_p
    from .exact import jacobian_mod_p as jacobian_mod_p
    from .exact import random_point_mod_p as random_point_mod_p
    from .numeric import forward as forward
    from .numeric import forward_fn as forward_fn
    from .numeric import jacobian as jacobian
