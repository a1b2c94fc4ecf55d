"""The invariant registry: a name (``dim``, ``expected``, …) → a function ``(arch, **options)``.

Sweeps refer to invariants by name; each entry names its function by an *import path*
(``"package.module:function"``) so that workers and sandboxes on other machines resolve it
themselves, and other modules plug in with one :func:`register_invariant` call — nothing here
imports them until a task needs them. The atlas holds every invariant the library computes: ``dim``,
``expected``, ``degree``, ``fiber``, ``edd``, and the compact summaries ``singular`` (the verdict of
every subnetwork stratum, :func:`singular_summary`) and ``equations`` (the defining equations,
:func:`equations_summary`).

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
from ..results import Certainty, Graded, Provenance, Result, weakest

__all__ = [
    "EquationsSummary",
    "ExpectedResult",
    "Invariant",
    "SingularSummary",
    "equations_summary",
    "expected",
    "fiber_row",
    "get_invariant",
    "invariant_names",
    "register_invariant",
    "resolve",
    "singular_summary",
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


def _deadline(time_limit: float) -> float:
    import time

    if not (isinstance(time_limit, int | float) and time_limit > 0):
        raise FamilyError(f"time_limit={time_limit!r} must be a positive number of seconds")
    return time.monotonic() + float(time_limit)


@dataclasses.dataclass(frozen=True, repr=False)
class SingularSummary(Result, Graded, Provenance):
    """The singular-strata verdicts of an architecture, counted, with each one's deciding method.

    Every subnetwork stratum is one of: certified singular (the tangent-span test with a
    certified dimension), probable singular (the same test with a probable dimension), smooth
    (always proven) or undecided. ``n_singular`` counts the first two; it is a lower bound while
    ``n_undecided`` > 0, and then ``certainty`` is ``BOUND``; otherwise it is the weakest verdict's
    (``certified`` when every verdict is). ``method`` lists
    the methods that decided the verdicts (``tangent-span``, ``filling``, ``dense-image``,
    ``finite-projection``; ``none`` when nothing was decided; see
    :func:`neurovariety.invariants.singularities.singular`).
    """

    dimension: int
    dimension_certainty: Certainty
    n_strata: int
    n_singular: int
    n_certified_singular: int
    n_probable_singular: int
    n_smooth: int
    n_undecided: int
    method: str
    strata: list[dict[str, Any]]

    @property
    def dimension_certified(self) -> bool:
        return Certainty(self.dimension_certainty).certified

    def title(self) -> str:
        return f"SingularSummary  {self.architecture}"

    def bullets(self) -> list[str]:
        return [
            f"{self.n_strata} strata: {self.n_certified_singular} singular (certified), "
            f"{self.n_probable_singular} singular (probable), {self.n_smooth} smooth, "
            f"{self.n_undecided} undecided",
            f"decided by {self.method}; dim M = {self.dimension} ({self.dimension_certainty}); "
            f"counts {self.certainty}",
            self.provenance_bullet(),
        ]


def _deciding_method(arch: Architecture, r: Any) -> str:
    """Which argument of ``singular`` gave the verdict (the order in which it tries them)."""
    named = getattr(r, "evidence", {}).get("method")  # singular names it (Jacobian criterion too)
    if named:
        return str(named)
    if r.verdict.value == "yes":
        return "tangent-span"
    if r.verdict.value == "unknown":
        return "undecided"
    if r.dimension == arch.ambient_dim:
        return "filling"
    if r.image_dimension >= r.dimension:
        return "dense-image"
    return "finite-projection"


def singular_summary(arch: Architecture, *, seed: int = 0, time_limit: float = 300.0) -> Any:
    """The tangent-span test on every subnetwork stratum of ``arch``, summarised for the atlas.

    Stops with :class:`~neurovariety.errors.BudgetExceededError` (a ``timeout`` row naming how
    many strata were decided) once ``time_limit`` seconds are spent.

    >>> from neurovariety import parse_architecture
    >>> r = singular_summary(parse_architecture("cnn k=2,2 x^2"))
    >>> r.n_strata, r.n_certified_singular, r.n_smooth, r.certified
    (8, 2, 6, True)
    """
    import time

    from ..errors import BudgetExceededError
    from ..invariants.dimension import dimension
    from ..invariants.singularities import singular
    from ..invariants.strata import count_strata, iter_strata

    t0 = time.perf_counter()
    deadline = _deadline(time_limit)
    dim = dimension(arch, seed=seed)
    rows: list[dict[str, Any]] = []
    for s in iter_strata(arch):  # streamed (never listed): each one starts in time
        if time.monotonic() > deadline:
            raise BudgetExceededError(
                f"the time limit of {time_limit:g} s was spent after {len(rows)} of "
                f"{count_strata(arch)} strata of {arch.spec}; raise the option time_limit (and the "
                "sweep's timeout)"
            )
        r = singular(arch, s, seed=seed, dim=dim)
        rows.append(
            {
                "stratum": r.stratum,
                "image": r.image,
                "image_dimension": r.image_dimension,
                "verdict": r.verdict.value,
                "certainty": r.certainty,
                "certified": r.certified,
                "method": _deciding_method(arch, r),
                "kind": r.kind,
            }
        )
    yes = [r for r in rows if r["verdict"] == "yes"]
    n_cert = sum(r["certified"] for r in yes)
    undecided = sum(r["verdict"] == "unknown" for r in rows)
    return SingularSummary(
        certainty=Certainty.BOUND
        if undecided
        else weakest(Certainty.PROVEN, *(r["certainty"] for r in rows)),
        architecture=arch.spec,
        dimension=dim.dimension,
        dimension_certainty=dim.certainty,
        n_strata=len(rows),
        n_singular=len(yes),
        n_certified_singular=n_cert,
        n_probable_singular=len(yes) - n_cert,
        n_smooth=sum(r["verdict"] == "no" for r in rows),
        n_undecided=undecided,
        method="+".join(sorted({r["method"] for r in rows} - {"undecided"})) or "none",
        strata=rows,
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def fiber_row(arch: Architecture, **options: Any) -> dict[str, Any]:
    """:func:`~neurovariety.invariants.identifiability.fiber` with its counting method (``exact``
    or ``monodromy``, kept in its evidence) as the row's ``method``, so that ``--where`` sees it.

    >>> from neurovariety import parse_architecture
    >>> r = fiber_row(parse_architecture("lcn k=2,2 s=2"), method="exact")
    >>> r["size"], r["method"]
    (1, 'exact')
    """
    from ..invariants.identifiability import fiber

    row = fiber(arch, **options).to_dict()
    row.setdefault("method", row["evidence"].get("method"))
    return row


MAX_EQUATION_TEXT = 4_000  # characters of equation text kept in an atlas row


@dataclasses.dataclass(frozen=True, repr=False)
class EquationsSummary(Result, Graded, Provenance):
    """What is known about the defining equations of a neurovariety, for the atlas.

    ``n_generators`` equations of ``degrees`` were found; every equation of degree ≤
    ``complete_through`` lies in the ideal they generate, with the ``certainty`` of
    :attr:`~neurovariety.invariants.ideal.EquationsResult.certainty` (``certified`` when proven).
    ``filling``: V is the whole ambient space (I(V) = 0, certified dimension). ``equations`` holds
    their text unless it is longer than :data:`MAX_EQUATION_TEXT` characters
    (``equations_omitted``).
    """

    method: str
    n_generators: int
    degrees: list[int]
    complete_through: int
    max_degree: int
    completeness: str
    generated: bool
    filling: bool
    dimension: int
    dimension_certainty: Certainty
    n_coordinates: int
    hilbert_function: list[int]
    verified: str
    primes: list[int]
    equations: list[str]
    equations_omitted: bool
    notes: list[str]

    @property
    def dimension_certified(self) -> bool:
        return Certainty(self.dimension_certainty).certified

    def title(self) -> str:
        return f"EquationsSummary  {self.architecture}"

    def bullets(self) -> list[str]:
        return [
            f"{self.n_generators} generators of degrees {self.degrees} in {self.n_coordinates} "
            f"coordinates ({self.method})",
            self.completeness,
            f"primes {self.primes} · {self.provenance_bullet()}",
        ]


def equations_summary(
    arch: Architecture,
    *,
    method: str = "interpolation",
    max_degree: int = 4,
    max_piece: int = 4_000,
    max_monomials: int = 400_000,
    seed: int = 0,
) -> Any:
    """The defining equations of ``arch`` (interpolation, or the LCN recursion), summarised.

    Interpolation that stops below ``max_degree`` on its size budgets (``max_piece`` monomials in
    one multigraded piece, ``max_monomials`` in one degree) raises
    :class:`~neurovariety.errors.BudgetExceededError` naming the degree it completed, so that every
    stored row is complete through ``max_degree`` (or proven to generate the ideal).

    >>> from neurovariety import parse_architecture
    >>> r = equations_summary(parse_architecture("lcn k=3,2 s=2"), max_degree=3)
    >>> r.n_generators, r.degrees, r.complete_through, r.certified, r.filling
    (1, [3], 3, True, False)
    """
    import time

    from ..architectures.cnn import LCN
    from ..errors import BudgetExceededError
    from ..invariants.equations import equations, lcn_equations

    t0 = time.perf_counter()
    if method not in ("interpolation", "lcn"):
        raise FamilyError(f"equations method={method!r}: use 'interpolation' or 'lcn'")
    if not isinstance(max_degree, int) or max_degree < 1:
        raise FamilyError(f"equations max_degree={max_degree!r} must be an int ≥ 1")
    if method == "lcn":
        if not isinstance(arch, LCN):
            raise FamilyError(f"equations method='lcn' needs an lcn architecture, not {arch.spec}")
        res = lcn_equations(arch, seed=seed)
    else:
        res = equations(
            arch,
            max_degree=max_degree,
            seed=seed,
            max_piece=max_piece,
            max_monomials=max_monomials,
        )
        if res.complete_through < max_degree and not res.zero_ideal and not res.generated:
            raise BudgetExceededError(
                f"the equations of {arch.spec} are complete through degree "
                f"{res.complete_through} only, not max_degree={max_degree}: "
                f"{'; '.join(res.notes) or 'a budget was reached'} (options max_piece, "
                "max_monomials)"
            )
    texts = [e.text() for e in res.equations]
    omitted = sum(len(t) for t in texts) > MAX_EQUATION_TEXT
    return EquationsSummary(
        certainty=res.certainty,
        architecture=arch.spec,
        method=res.method,
        n_generators=len(res.equations),
        # the LCN recursion's degrees are FLINT integers
        degrees=[int(e.degree) for e in res.equations],
        complete_through=int(res.complete_through),
        max_degree=max_degree,
        completeness=res.completeness(),
        generated=res.generated,
        filling=res.zero_ideal,
        dimension=res.dimension,
        dimension_certainty=res.dimension_certainty,
        n_coordinates=res.n_coordinates,
        hilbert_function=list(res.hilbert_function),
        verified=res.verified,
        primes=list(res.primes),
        equations=[] if omitted else texts,
        equations_omitted=omitted,
        notes=list(res.notes),
        seed=seed,
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
    "neurovariety.sweeps.registry:fiber_row",
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
register_invariant(
    "singular",
    "neurovariety.sweeps.registry:singular_summary",
    value="n_singular",
    defaults={"seed": 0, "time_limit": 300.0},
    description="singular subnetwork strata: verdicts counted (certified, probable, smooth, "
    "undecided) with the method deciding each",
)
register_invariant(
    "equations",
    "neurovariety.sweeps.registry:equations_summary",
    value="n_generators",
    defaults={
        "max_degree": 4,
        "max_monomials": 400_000,
        "max_piece": 4_000,
        "method": "interpolation",
        "seed": 0,
    },
    description="defining equations: generators and their degrees, completeness (proven or "
    "not), method and primes, filling",
)
