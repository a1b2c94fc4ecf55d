"""The invariant registry: a name (``dim``, ``expected``, …) → a function ``(arch, **options)``.

Sweeps refer to invariants by name; each entry names its function by an *import path*
(``"package.module:function"``) so that workers and sandboxes on other machines resolve it
themselves, and modules being written now (fiber, degree, ED degree, equations) plug in with one
:func:`register_invariant` call — nothing here imports them until a task needs them.

A registered function takes an architecture and keyword options and returns a
:class:`~neurovariety.results.Result` (anything with ``to_dict()``); the entry says which field of
that dictionary is the invariant's headline ``value`` stored in the atlas.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..architectures.base import Architecture
from ..errors import FamilyError
from ..results import Result

__all__ = [
    "ExpectedResult",
    "Invariant",
    "expected",
    "get_invariant",
    "invariant_names",
    "register_invariant",
    "resolve",
    "unregister_invariant",
]


@dataclasses.dataclass(frozen=True)
class Invariant:
    """A registered invariant.

    Attributes
    ----------
    name
        The name used in family files and the atlas (``"dim"``).
    target
        Import path of the function, ``"package.module:function"``.
    value
        Field of ``result.to_dict()`` stored as the row's ``value`` (``"dimension"``).
    defaults
        Default options; a task's options are these updated with the family's, so that spelling
        out a default does not change the task's key.
    description
        One line for ``--help`` and the docs.
    """

    name: str
    target: str
    value: str
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    description: str = ""

    def options(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The full, canonical option set: defaults updated with ``given``.

        >>> get_invariant("dim").options({"primes": 3})
        {'method': 'exact', 'primes': 3, 'seed': 0}
        """
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            raise FamilyError(
                f"invariant {self.name!r} has no option(s) {unknown}; "
                f"its options are {sorted(self.defaults)}"
            )
        opts = {**self.defaults, **given}
        try:
            json.dumps(opts, sort_keys=True)
        except TypeError as e:
            raise FamilyError(f"options of {self.name!r} must be JSON values: {e}") from None
        return {k: opts[k] for k in sorted(opts)}


_REGISTRY: dict[str, Invariant] = {}


def register_invariant(
    name: str,
    target: str,
    *,
    value: str,
    defaults: Mapping[str, Any] | None = None,
    description: str = "",
    replace: bool = False,
) -> Invariant:
    """Register an invariant under ``name``.

    Parameters
    ----------
    name
        Lower-case name, e.g. ``"fiber"``.
    target
        ``"package.module:function"``; the function is called as ``f(arch, **options)`` and returns
        a result with ``to_dict()``. It is imported only where a task runs.
    value
        The field of ``to_dict()`` that is the headline value (``"fiber_dimension"``).
    defaults
        Every option the function accepts, with its default (JSON values only).
    replace
        Allow overriding an existing entry.

    Examples
    --------
    >>> inv = register_invariant(
    ...     "params", "neurovariety.sweeps.registry:expected", value="n_params", replace=True
    ... )
    >>> inv.name, inv.value
    ('params', 'n_params')
    >>> unregister_invariant("params")
    """
    if not name or not name.replace("-", "").replace("_", "").isalnum() or name != name.lower():
        raise FamilyError(f"invariant name {name!r} must be lower-case letters, digits, - or _")
    if target.count(":") != 1:
        raise FamilyError(f"target {target!r} must look like 'package.module:function'")
    if name in _REGISTRY and not replace:
        raise FamilyError(f"invariant {name!r} is already registered; pass replace=True")
    inv = Invariant(name, target, value, dict(defaults or {}), description)
    _REGISTRY[name] = inv
    return inv


def unregister_invariant(name: str) -> None:
    """Remove ``name`` from the registry (for plugins and tests); unknown names are an error."""
    get_invariant(name)
    del _REGISTRY[name]


def get_invariant(name: str) -> Invariant:
    """The registered invariant called ``name``.

    >>> get_invariant("dim").target
    'neurovariety.invariants.dimension:dimension'
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise FamilyError(
            f"unknown invariant {name!r}; registered: {', '.join(invariant_names())}"
        ) from None


def invariant_names() -> list[str]:
    """Names of all registered invariants, sorted.

    >>> "dim" in invariant_names() and "expected" in invariant_names()
    True
    """
    return sorted(_REGISTRY)


def resolve(target: str) -> Callable[..., Any]:
    """Import the function named by ``"package.module:function"``.

    >>> resolve("neurovariety.sweeps.registry:expected").__name__
    'expected'
    """
    module, _, attr = target.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise FamilyError(f"cannot import invariant function {target!r}: {e}") from None
    if not callable(fn):
        raise FamilyError(f"{target!r} is not callable")
    return fn  # type: ignore[no-any-return]


@dataclasses.dataclass(frozen=True, repr=False)
class ExpectedResult(Result):
    """Parameter count, ambient and expected dimension and the best proven upper bound."""

    architecture: str
    n_params: int
    ambient_dimension: int
    expected_dimension: int
    upper_bound: int
    upper_bound_source: str
    bounds: dict[str, int]
    method: str = "formula"
    seconds: float = 0.0

    def title(self) -> str:
        return f"ExpectedResult  {self.architecture}"

    def bullets(self) -> list[str]:
        return [
            f"expected dimension {self.expected_dimension} of ambient {self.ambient_dimension} "
            f"({self.n_params} parameters)",
            f"proven upper bound {self.upper_bound} ({self.upper_bound_source})",
        ]


def expected(arch: Architecture) -> ExpectedResult:
    """The cheap invariants of ``arch`` that need no computation: counts and proven upper bounds.

    Examples
    --------
    >>> from neurovariety import parse_architecture
    >>> r = expected(parse_architecture("mlp 2-3-2-3-4 x^2"))
    >>> r.expected_dimension, r.upper_bound, r.upper_bound_source
    (22, 16, 'composition')
    """
    import time

    from ..invariants.dimension import upper_bounds

    t0 = time.perf_counter()
    bounds = upper_bounds(arch)
    return ExpectedResult(
        architecture=arch.spec,
        n_params=arch.n_params,
        ambient_dimension=arch.ambient_dim,
        expected_dimension=arch.expected_dim,
        upper_bound=bounds[0].value,
        upper_bound_source=bounds[0].name,
        bounds={b.name: b.value for b in bounds},
        seconds=time.perf_counter() - t0,
    )


register_invariant(
    "dim",
    "neurovariety.invariants.dimension:dimension",
    value="dimension",
    defaults={"method": "exact", "primes": 2, "seed": 0},
    description="dimension of the neuromanifold (exact ranks mod p vs proven upper bounds)",
)
register_invariant(
    "expected",
    "neurovariety.sweeps.registry:expected",
    value="expected_dimension",
    description="parameters, ambient and expected dimension, best proven upper bound (no ranks)",
)
register_invariant(
    "degree",
    "neurovariety.invariants.degree:degree",
    value="degree",
    defaults={"method": "auto", "seed": 0, "time_limit": 300.0},
    description="degree of the neurovariety (exact counts, interpolation or witness sets)",
)
register_invariant(
    "fiber",
    "neurovariety.invariants.identifiability:fiber",
    value="size",
    defaults={"method": "auto", "seed": 0, "time_limit": 300.0},
    description="generic fiber size in the gauge chart and identifiability up to symmetry",
)
register_invariant(
    "edd",
    "neurovariety.landscape.edd:edd",
    value="count",
    defaults={"form": "generic", "method": "auto", "seed": 0, "time_limit": 600.0},
    description="ED / learning degree: complex critical points of the loss in function space",
)
