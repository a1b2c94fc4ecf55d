"""A profile: everything the library knows about an architecture, each value with its provenance."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from ..architectures.attention import Attention
from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP
from ..errors import NeurovarietyError
from ..parametrization.coordinates import coordinates
from ..results import Result, Verdict, plural
from .dimension import DimensionResult, dimension, upper_bounds
from .formula_choice import DEGREE, closed_formula, closed_formulas
from .singularities import SingularityResult

if TYPE_CHECKING:
    from .attention_geometry import AttentionGeometryResult

MAX_PROFILE_STRATA = 12


@dataclasses.dataclass(frozen=True)
class ProfileRow:
    """One invariant: its value, how it was decided, and what it was checked against.

    ``compared_with`` names the formula, bound or independent computation the value was compared
    with, and the outcome (empty when nothing applies).
    """

    name: str
    value: Any
    how: str
    compared_with: str = ""


@dataclasses.dataclass(frozen=True, repr=False)
class ProfileResult(Result):
    """A table of invariants of one architecture; each row says how its value was decided."""

    architecture: str
    rows: list[ProfileRow]
    dimension: DimensionResult
    strata: list[SingularityResult] = dataclasses.field(default_factory=list)
    #: one layer of attention: its singular and boundary points (None elsewhere)
    geometry: AttentionGeometryResult | None = None

    def title(self) -> str:
        return f"Profile  {self.architecture}"

    def bullets(self) -> list[str]:
        return [f"{r.name}: {r.value}  ({r.how})" for r in self.rows]


def _group_text(arch: Architecture) -> str:
    if isinstance(arch, Attention):
        return arch.symmetry_text
    act = arch.activation
    if isinstance(arch, ConvNet) and any(c > 1 for c in arch.hidden_channels):
        if act.is_linear and arch.gl_orbits_full:
            return "GL(c_i) mixing the channels of each hidden layer"
        if act.is_monomial:
            return "rescaling of each hidden channel (plus permutations of the channels)"
        return "permutations of hidden channels only (finite)"
    if isinstance(arch, MLP):
        if act.is_linear:
            return "GL(d_i) on each hidden layer"
        if act.is_monomial:
            return "rescaling of each hidden neuron (plus permutations)"
        return "permutations of hidden neurons only (finite)"
    if act.is_monomial:
        return "rescaling of the filters (torus of dimension L − 1)"
    return "none continuous (generic σ)"


def _shape_how(arch: Architecture) -> str:
    if isinstance(arch, Attention):
        return "t tokens × widths d_0 and d_L, flattened token by token"
    if isinstance(arch, (CNN, ConvNet)):
        return "receptive field of the first output position (all output channels)"
    return "widths"


def _ambient_how(arch: Architecture) -> str:
    """How the ambient dimension is counted.

    >>> from neurovariety import parse_architecture
    >>> _ambient_how(parse_architecture("attn t=2 d=2 a=1"))
    'span of the image: d_1·d_0·d_0(d_0+1)/2 coefficients of cubic forms in X'
    >>> _ambient_how(parse_architecture("attn t=2 d=2 a=1,1"))
    'd_L forms of degree 9 in the t·d_0 entries of X (a superset of the span of the image)'
    """
    if isinstance(arch, Attention):
        # a layer is cubic in its input (X Qᵀ K Xᵀ X Vᵀ), so L layers give forms of degree 3^L;
        # total_degree counts θ too and is not the degree in X
        if arch.ambient_is_span and arch.tokens >= 2:
            return "span of the image: d_1·d_0·d_0(d_0+1)/2 coefficients of cubic forms in X"
        if arch.ambient_is_span:
            return "span of the image: d_1 cubic forms in the d_0 entries of the one token"
        return (
            f"d_L forms of degree {max(arch.output_degrees)} in the t·d_0 entries of X "
            "(a superset of the span of the image)"
        )
    return f"reachable monomials of degrees {sorted(arch.output_degrees)}"


#: What a profile of lightning attention leaves out, and why (HMK arXiv:2408.17221).
ATTENTION_SKIPPED = (
    (
        "strata",
        "not available for attention yet: subnetwork strata are defined on a stack of linear "
        "layers and σ, and attention multiplies its input with itself (one layer's singular "
        "and boundary points are their own rows)",
    ),
    (
        "degree (computed)",
        "not available for attention yet: the degree interpolates or counts on the coordinates "
        "of a Layer stack; attention's gauge chart counts only the orbits of the fiber",
    ),
    (
        "equations",
        "not available for attention yet: the interpolation works on the coordinates of a "
        "Layer stack",
    ),
)

DEFAULT_BUDGET = 60.0

# The cost model of the optional items, calibrated on 2 busy cores (AMD EPYC). A count of
# solutions (msolve over two primes, or monodromy) on a gauge chart of n variables took 0.1-0.2 s
# for n <= 5 and 5.5 s for n = 10 with 4 solutions (fiber of mlp 2-2-2-1 x^3+x^2): about
# COUNT_SECONDS per solution at n = 5, times COUNT_GROWTH per further variable.
COUNT_SECONDS = 0.02
COUNT_GROWTH = 2.2
# The orbit count of one attention layer grows far slower (its equations are linear in each of
# Q, K and V): 0.03 s at n = 6, 0.8-1.4 s at n = 27, 2.6 s at n = 40, 14 s at
# n = 62 (attn t=3 d=6 a=3): about ATTENTION_SECONDS·(n/ATTENTION_SIZE)^4. Deeper stacks follow
# count_seconds (attn t=2 d=2 a=1,1: 1.3 s, n = 8; attn t=2 d=3,2,2 a=1,1: 18 s, n = 12).
ATTENTION_SECONDS = 2.6
ATTENTION_SIZE = 40
COUNT_START = 0.5  # msolve processes, the dimension and the expansion of the coordinates
MONODROMY_START = 10.0  # compiling the tracker and finding a start pair, without msolve
#: A dense elimination on n monomials took 25 s at n = 6000 (``mlp 2-3-2-3-4 x^2``), as n³.
ELIMINATION_SECONDS = 25.0
ELIMINATION_SIZE = 6000
DAY = 86400.0


def _filling_how(dim: DimensionResult) -> str:
    if dim.filling:
        return "an exact rank reaches the ambient dimension (proven)"
    if dim.certified:
        return "certified dimension below the ambient dimension (proven)"
    return "probable: the dimension is a lower bound below the ambient dimension"


def profile(arch: Architecture, *, seed: int = 0, budget: float = DEFAULT_BUDGET) -> ProfileResult:
    """Profile of ``arch``: sizes, ambient space, bounds, certified dimension, closed formulas,
    subnetwork strata with singularity verdicts, the fiber, and the degree.

    The items that count solutions or interpolate (the fiber size, the computed degree) first get
    a cost estimate from the architecture alone (:func:`fiber_cost`, :func:`degree_cost`); an
    item runs when its estimate fits the ``budget`` (seconds) and is stopped after ``budget``
    seconds; a skipped item says its estimate and the budget that would run it. So the rows do
    not depend on the machine's speed or load, only (rarely) a stop at the budget does.

    >>> from neurovariety import parse_architecture
    >>> p = profile(parse_architecture("lcn k=3,2 s=2"))
    >>> [r.value for r in p.rows if r.name == "degree"]  # the cubic c1c2c3 − c0c3² − c1²c4
    [3]
    """
    dim = dimension(arch, seed=seed)
    # an uncertified dimension is only a lower bound, so what is derived from it is a bound too
    probable = "" if dim.certified else " (probable: the dimension is a lower bound)"
    rows = [
        ProfileRow("parameters", arch.n_params, "count"),
        ProfileRow(
            "inputs → outputs",
            f"{arch.n_inputs} → {arch.n_outputs}",
            _shape_how(arch),
        ),
        ProfileRow(
            "ambient dimension",
            arch.ambient_dim,
            _ambient_how(arch),
        ),
        ProfileRow("symmetry dimension", arch.symmetry_dim, _group_text(arch)),
        ProfileRow("expected dimension", arch.expected_dim, "min(ambient, parameters − symmetry)"),
        ProfileRow(
            "dimension",
            dim.dimension,
            dim.how(),
        ),
        ProfileRow("defect", dim.defect, "expected − dimension" + probable),
        ProfileRow(
            "generic fiber dimension", dim.fiber_dimension, "parameters − dimension" + probable
        ),
        ProfileRow("filling", "yes" if dim.filling else "no", _filling_how(dim)),
    ]
    rows.append(
        ProfileRow(
            "provenance",
            f"seed {dim.seed}",
            f"primes {', '.join(map(str, dim.primes))} · {dim.seconds:.2g} s",
        )
    )
    for b in upper_bounds(arch):
        rows.append(ProfileRow(f"upper bound: {b.name}", b.value, b.source))
    rows += _formula_rows(arch)
    verdicts: list[SingularityResult] = []
    geometry = None
    if isinstance(arch, Attention):
        # its own parametrization, not a Layer stack: these commands are written for the latter
        rows += [ProfileRow(name, "skipped", why) for name, why in ATTENTION_SKIPPED]
        geometry_rows, geometry = _attention_geometry_rows(arch, seed)
        rows += geometry_rows
    else:
        strata_rows, verdicts = _strata_rows(arch, dim, seed)
        rows += strata_rows
    rows += _fiber_rows(arch, dim, seed, budget)
    if not isinstance(arch, Attention):
        rows += _degree_rows(arch, dim, seed, budget)
    return ProfileResult(
        architecture=arch.spec,
        rows=_compare(arch, dim, rows),
        dimension=dim,
        strata=verdicts,
        geometry=geometry,
    )


def _attention_geometry_rows(
    arch: Attention, seed: int
) -> tuple[list[ProfileRow], AttentionGeometryResult | None]:
    """One layer's singular and boundary points (:func:`~.attention_geometry.attention_geometry`).

    No budget: its exact ranks are of the size of the dimension's (the Jacobian at as many
    sequences), a few times over. Deeper stacks and t = 1 are skipped with the reason.
    """
    from .attention_geometry import attention_geometry

    names = ("singular points (one layer)", "boundary points (one layer)")
    if arch.depth > 1 or arch.tokens < 2:
        why = (
            f"derived for one layer only, and this stack has {arch.depth} (HMK arXiv:2408.17221 "
            "characterise one layer; a composition's singular points are not derived)"
            if arch.depth > 1
            else "derived for t ≥ 2 tokens (with t = 1 only the symmetric part of A enters)"
        )
        return [ProfileRow(name, "skipped", why) for name in names], None
    r = attention_geometry(arch, seed=seed)
    smooth = [c.name for c in r.loci if c.verdict == "smooth"]
    checked = (
        f"exact ranks mod {r.primes[0]} at integer witness points, {r.certainty.value}; "
        f"smooth elsewhere (checked at: {', '.join(smooth)})"
    )
    return [
        ProfileRow(names[0], "; ".join(r.singular) or "none", checked),
        ProfileRow(names[1], "none", f"{r.boundary} (proven)"),
    ], r


def _compare(arch: Architecture, dim: DimensionResult, rows: list[ProfileRow]) -> list[ProfileRow]:
    """Fill ``compared_with``: each value against the formula or bound that predicts it.

    >>> from neurovariety import parse_architecture
    >>> p = profile(parse_architecture("lcn k=3,2 s=2"))
    >>> [r.compared_with for r in p.rows if r.name == "degree (computed)"]
    ['closed formula 3 (Segre degree (KMST, strides > 1)): agrees']
    """
    by_name = {r.name: r for r in rows}
    bounds = [
        (r.name.removeprefix("upper bound: "), r.value)
        for r in rows
        if r.name.startswith("upper bound: ")
    ]
    out = []
    for r in rows:
        note = r.compared_with
        if r.name == "dimension":
            met = [f"{n} {v}" for n, v in bounds if v == r.value]
            note = f"expected {arch.expected_dim}; upper bounds " + ", ".join(
                f"{n} {v}" for n, v in bounds
            )
            note += f" (met: {', '.join(met)})" if met else " (none met: probable)"
        elif r.name == "defect":
            note = f"expected dimension {arch.expected_dim} (parameters − symmetry, ambient)"
        elif r.name == "generic fiber dimension":
            note = f"symmetry dimension {arch.symmetry_dim}: " + (
                "equal (finite fibers up to symmetry)"
                if r.value == arch.symmetry_dim
                else "larger (positive-dimensional fibers beyond symmetry)"
            )
            note += "" if dim.certified else " — probable, from an uncertified dimension"
        elif r.name == "degree (computed)" and "degree" in by_name and isinstance(r.value, int):
            f = by_name["degree"]
            verdict = "agrees" if f.value == r.value else "DISAGREES"
            note = f"closed formula {f.value} ({f.how}): {verdict}"
        elif r.name == "degree" and isinstance(by_name.get("degree (computed)", r).value, int):
            c = by_name["degree (computed)"]
            if r is not c:
                verdict = "agrees" if c.value == r.value else "DISAGREES"
                note = f"computed degree {c.value} ({c.how}): {verdict}"
        elif r.name == "fiber size (gauge chart)":
            ident = by_name.get("identifiable up to symmetry")
            note = f"symmetry group in the chart: {ident.how}" if ident else ""
        out.append(dataclasses.replace(r, compared_with=note) if note != r.compared_with else r)
    return out


def _strata_rows(
    arch: Architecture, dim: DimensionResult, seed: int
) -> tuple[list[ProfileRow], list[SingularityResult]]:
    from .singularities import singular
    from .strata import strata

    try:
        all_strata = strata(arch)
    except NeurovarietyError as e:
        return [ProfileRow("strata", "skipped", str(e))], []
    rows = []
    verdicts = []
    for s in all_strata[:MAX_PROFILE_STRATA]:
        r = singular(arch, s, seed=seed, dim=dim)
        verdicts.append(r)
        how = "certified" if r.certified else "not certified"
        rows.append(
            ProfileRow(
                f"stratum {s.name}",
                f"singular: {r.verdict.value}",
                f"image {r.image} (dim {r.image_dimension}); {r.kind}; {how}: {r.reason}",
            )
        )
    if len(all_strata) > MAX_PROFILE_STRATA:
        rows.append(
            ProfileRow(
                "strata",
                f"{len(all_strata)} in all",
                f"first {MAX_PROFILE_STRATA} shown; `neurovariety singular` lists every one",
            )
        )
    return rows, verdicts


def count_seconds(n_vars: int, solutions: int) -> float:
    """Estimated seconds to count ``solutions`` points on a gauge chart of ``n_vars`` variables.

    >>> round(count_seconds(10, 4), 1)   # the fiber of mlp 2-2-2-1 x^3+x^2: measured 5.5 s
    4.6
    """
    return COUNT_START + COUNT_SECONDS * max(solutions, 1) * COUNT_GROWTH ** (n_vars - 5)


def _skipped(name: str, what: str, estimate: float, budget: float, command: str) -> ProfileRow:
    run = (
        f"--budget {math.ceil(estimate)} runs it"
        if estimate < DAY
        else "out of the profile's reach (over a day)"
    )
    return ProfileRow(
        name,
        "skipped",
        f"{what}: estimated {estimate:.2g} s, over the budget of {budget:g} s; {run}; "
        f"alone: `neurovariety {command}`",
    )


def fiber_cost(arch: Architecture, dim: DimensionResult) -> tuple[float, str]:
    """Estimated seconds of the profile's fiber row, and what it does (0 when no count is needed).

    A count is needed when the fibers are finite in the gauge chart: ``dim`` chart variables and
    at least as many points as the symmetry group's order.

    >>> from neurovariety import parse_architecture, dimension
    >>> a = parse_architecture("mlp 2-3-2-3-4 x^2")
    >>> fiber_cost(a, dimension(a))   # fiber dimension 14 > 8 rescalings: nothing to count
    (0.0, 'fiber dimension above the symmetry dimension')
    """
    from .exact_counts import available
    from .identifiability import symmetry

    _, order, cont = symmetry(arch)
    if dim.fiber_dimension > cont:
        return 0.0, "fiber dimension above the symmetry dimension"
    if isinstance(arch, Attention):
        return _attention_fiber_cost(arch, dim.dimension)
    seconds = count_seconds(dim.dimension, order or 1)
    if available():
        return seconds, f"an exact count of ≥ {order or 1} points in {dim.dimension} variables"
    return MONODROMY_START + seconds, f"monodromy on {dim.dimension} variables"


def _attention_fiber_cost(arch: Attention, n: int) -> tuple[float, str]:
    """The orbit count in attention's gauge chart (n = dim M variables, attention_geometry).

    >>> from neurovariety import parse_architecture
    >>> s, what = _attention_fiber_cost(parse_architecture("attn t=3 d=6 a=3"), 62)
    >>> round(s), what                                     # measured 14 s
    (16, 'an exact count of ≥ 1 orbit in 62 chart variables (msolve)')
    """
    from .attention_geometry import expected_orbits
    from .exact_counts import available

    if not available():
        return 0.0, "msolve is not installed: the orbits are not counted"
    orbits = expected_orbits(arch)
    if arch.depth == 1:
        seconds = COUNT_START + ATTENTION_SECONDS * (n / ATTENTION_SIZE) ** 4
    else:
        seconds = count_seconds(n, orbits)
    return seconds, f"an exact count of ≥ {plural(orbits, 'orbit')} in {n} chart variables (msolve)"


def _fiber_rows(
    arch: Architecture, dim: DimensionResult, seed: int, budget: float
) -> list[ProfileRow]:
    from .identifiability import fiber, order_text

    estimate, what = fiber_cost(arch, dim)
    if estimate > budget:
        return [_skipped("fiber size", what, estimate, budget, f"fiber '{arch.spec}'")]
    try:
        r = fiber(arch, seed=seed, time_limit=max(budget, 1.0))
    except NeurovarietyError as e:
        return [ProfileRow("fiber size", "skipped", str(e))]
    if r.size is None:
        if r.identifiable is Verdict.NO:
            how = f"fiber dimension {r.dimension} > symmetries ({r.symmetry})" + (
                "" if r.certified else "; probable: the dimension is a lower bound"
            )
        else:
            how = str(r.evidence.get("reason", f"symmetries: {r.symmetry}"))
        return [ProfileRow("identifiable up to symmetry", r.identifiable.value, how)]
    exact = r.evidence.get("method") == "exact"
    how = (
        f"exact count over GF(p), p in {r.evidence.get('primes')} (msolve, every solution regular)"
        if exact
        else f"monodromy on a witness set, trace test {r.evidence.get('trace')}; a count of the "
        "points found (not certified)"
    )
    return [
        ProfileRow("fiber size (gauge chart)", r.size, how),
        ProfileRow(
            "identifiable up to symmetry",
            r.identifiable.value,
            f"fiber size against the symmetry group {r.symmetry}, "
            f"{order_text(r.symmetry_order)}; "
            + ("certified" if r.certified else "not certified")
            + (" (exact count)" if exact else " (monodromy count)"),
        ),
    ]


def degree_cost(arch: Architecture, dim: DimensionResult) -> tuple[str, float, str]:
    """The cheapest method for the profile's degree row, its estimated seconds, and what it does.

    The degree is at least the closed formula's value when one applies, else codim + 1 (a
    variety spanning its ambient space; reachable monomials span it). ``projection`` eliminates
    on the monomials of that degree in dim + 1 variables; ``exact`` and ``witness`` count
    (degree × fiber order) points in the gauge chart (:func:`count_seconds`).

    >>> from neurovariety import parse_architecture, dimension
    >>> a = parse_architecture("lcn k=3,2 s=2")   # a cubic hypersurface: 35 cubic monomials
    >>> method, seconds, _ = degree_cost(a, dimension(a)); method, seconds < 0.01
    ('projection', True)
    >>> a = parse_architecture("mlp 2-3-2-3-4 x^2")   # degree ≥ 21 on a 16-dimensional variety
    >>> degree_cost(a, dimension(a))[1] > 3600
    True
    """
    from .degree import DEFAULT_MAX_MONOMIALS
    from .exact_counts import available, chart_size
    from .identifiability import symmetry

    d, n_coords = dim.dimension, len(coordinates(arch))
    if d == n_coords:
        return "projection", 0.0, "filling"
    formula = closed_formula(arch, DEGREE)
    low = formula.value if formula is not None else n_coords - d + 1
    monomials = math.comb(low + d, d)
    plans = []
    if monomials <= DEFAULT_MAX_MONOMIALS:
        seconds = ELIMINATION_SECONDS * (monomials / ELIMINATION_SIZE) ** 3
        plans.append(("projection", seconds, f"interpolation on ≥ {monomials} monomials"))
    n = chart_size(arch)
    points = low * (symmetry(arch)[1] or 1)
    if available() and n == d:
        seconds = count_seconds(n, points)
        plans.append(("exact", seconds, f"an exact count of ≥ {points} points in {n} variables"))
    seconds = MONODROMY_START + count_seconds(n, points)
    plans.append(("witness", seconds, f"monodromy on ≥ {points} points in {n} variables"))
    return min(plans, key=lambda plan: plan[1])


def _degree_monomials(budget: float) -> int:
    """Largest interpolation piece the degree may use within ``budget`` seconds (dense
    elimination scales as n³; the calibration is :data:`ELIMINATION_SECONDS`).

    >>> _degree_monomials(60.0), _degree_monomials(3.0)
    (6000, 2959)
    """
    from .degree import DEFAULT_MAX_MONOMIALS

    n = ELIMINATION_SIZE * (max(budget, 0.0) / ELIMINATION_SECONDS) ** (1 / 3)
    return min(DEFAULT_MAX_MONOMIALS, int(n))


def _degree_rows(
    arch: Architecture, dim: DimensionResult, seed: int, budget: float
) -> list[ProfileRow]:
    from .degree import degree

    method, estimate, what = degree_cost(arch, dim)
    if estimate > budget:
        return [_skipped("degree (computed)", what, estimate, budget, f"degree '{arch.spec}'")]
    try:
        r = degree(
            arch,
            method=method,
            seed=seed,
            time_limit=max(budget, 1.0),
            max_monomials=max(_degree_monomials(budget), 1),
        )
    except NeurovarietyError as e:
        return [ProfileRow("degree (computed)", "skipped", str(e))]
    d = r.to_dict()
    return [ProfileRow("degree (computed)", d.get("degree"), f"method {d.get('method')}")]


def _formula_rows(arch: Architecture) -> list[ProfileRow]:
    """The closed degree and ED degree that apply, as :mod:`.formula_choice` states them.

    >>> from neurovariety import parse_architecture
    >>> [(r.name, r.value) for r in _formula_rows(parse_architecture("mlp 3-2-3 x"))]
    [('degree', 3), ('ED degree (Frobenius)', 3)]
    """
    return [
        ProfileRow(f.invariant, f.value, f.profile)
        for f in closed_formulas(arch)
        if f.profile is not None
    ]
