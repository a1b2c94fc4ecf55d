"""A profile: everything the library knows about an architecture, each value with its provenance."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from ..architectures.base import Architecture
from ..architectures.cnn import CNN, LCN
from ..architectures.mlp import MLP
from ..errors import NeurovarietyError
from ..results import Result
from . import formulas
from .dimension import DimensionResult, dimension, upper_bounds
from .singularities import SingularityResult

MAX_PROFILE_STRATA = 12
MIN_MONODROMY_BUDGET = 10.0


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

    def title(self) -> str:
        return f"Profile  {self.architecture}"

    def bullets(self) -> list[str]:
        return [f"{r.name}: {r.value}  ({r.how})" for r in self.rows]


def _group_text(arch: Architecture) -> str:
    act = arch.activation
    if isinstance(arch, MLP):
        if act.is_linear:
            return "GL(d_i) on each hidden layer"
        if act.is_monomial:
            return "rescaling of each hidden neuron (plus permutations)"
        return "permutations of hidden neurons only (finite)"
    if act.is_monomial:
        return "rescaling of the filters (torus of dimension L − 1)"
    return "none continuous (generic σ)"


DEFAULT_BUDGET = 60.0


def _filling_how(dim: DimensionResult) -> str:
    if dim.filling:
        return "an exact rank reaches the ambient dimension (proven)"
    if dim.certified:
        return "certified dimension below the ambient dimension (proven)"
    return "probable: the dimension is a lower bound below the ambient dimension"


def profile(arch: Architecture, *, seed: int = 0, budget: float = DEFAULT_BUDGET) -> ProfileResult:
    """Profile of ``arch``: sizes, ambient space, bounds, certified dimension, closed formulas,
    subnetwork strata with singularity verdicts, the fiber, and the degree.

    Items that need homotopy continuation (fiber size, degree by witness sets) run only while the
    time ``budget`` (seconds) lasts; a skipped item says so.

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
            "receptive field of the first output" if isinstance(arch, CNN) else "widths",
        ),
        ProfileRow(
            "ambient dimension",
            arch.ambient_dim,
            f"reachable monomials of degrees {sorted(arch.output_degrees)}",
        ),
        ProfileRow("symmetry dimension", arch.symmetry_dim, _group_text(arch)),
        ProfileRow("expected dimension", arch.expected_dim, "min(ambient, parameters − symmetry)"),
        ProfileRow(
            "dimension",
            dim.dimension,
            dim.summary().splitlines()[2].removeprefix("• "),
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
    start = time.perf_counter()
    strata_rows, verdicts = _strata_rows(arch, dim, seed)
    rows += strata_rows
    rows += _fiber_rows(arch, dim, seed, budget - (time.perf_counter() - start))
    rows += _degree_rows(arch, seed, budget - (time.perf_counter() - start))
    return ProfileResult(
        architecture=arch.spec, rows=_compare(arch, dim, rows), dimension=dim, strata=verdicts
    )


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


def _fiber_rows(
    arch: Architecture, dim: DimensionResult, seed: int, budget: float
) -> list[ProfileRow]:
    from .identifiability import fiber, symmetry

    positive = dim.fiber_dimension > symmetry(arch)[2]  # decided without monodromy
    if budget < MIN_MONODROMY_BUDGET and not positive:
        return [ProfileRow("fiber size", "skipped", f"time budget left {max(budget, 0.0):.0f} s")]
    try:
        r = fiber(arch, seed=seed, time_limit=budget)
    except NeurovarietyError as e:
        return [ProfileRow("fiber size", "skipped", str(e))]
    if r.size is None:
        return [
            ProfileRow(
                "identifiable up to symmetry",
                r.identifiable.value,
                f"fiber dimension {r.dimension} > symmetries ({r.symmetry})"
                + ("" if r.certified else "; probable: the dimension is a lower bound"),
            )
        ]
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
            f"fiber size against the symmetry group {r.symmetry}, order {r.symmetry_order}; "
            + ("certified" if r.certified else "not certified")
            + (" (exact count)" if exact else " (monodromy count)"),
        ),
    ]


def _degree_monomials(budget: float) -> int:
    """Largest interpolation piece the degree may use within ``budget`` seconds.

    A dense elimination on n monomials took 25 s at n = 6000 on 2 busy cores (measured on
    ``mlp 2-3-2-3-4 x^2``) and scales as n³; allow a third of the budget.

    >>> _degree_monomials(75.0), _degree_monomials(30.0)
    (6000, 4420)
    """
    from .degree import DEFAULT_MAX_MONOMIALS

    return min(DEFAULT_MAX_MONOMIALS, int(6000 * (max(budget, 0.0) / 75.0) ** (1 / 3)))


def _degree_rows(arch: Architecture, seed: int, budget: float) -> list[ProfileRow]:
    from .degree import degree

    if budget < MIN_MONODROMY_BUDGET:
        left = f"time budget left {max(budget, 0.0):.0f} s"
        return [ProfileRow("degree (computed)", "skipped", left)]
    try:
        r = degree(arch, seed=seed, time_limit=budget, max_monomials=_degree_monomials(budget))
    except NeurovarietyError as e:
        return [ProfileRow("degree (computed)", "skipped", str(e))]
    d = r.to_dict()
    return [ProfileRow("degree (computed)", d.get("degree"), f"method {d.get('method')}")]


def _formula_rows(arch: Architecture) -> list[ProfileRow]:
    rows: list[ProfileRow] = []
    if isinstance(arch, LCN):
        k = arch.filters
        strides = tuple(arch.strides) + (1,)  # type: ignore[arg-type]  # last one is moot
        if not formulas.lcn_is_filling(k, strides):
            rows.append(
                ProfileRow(
                    "degree", formulas.lcn_degree(k, strides), "Segre degree (KMST, strides > 1)"
                )
            )
            rows.append(
                ProfileRow(
                    "generic ED degree",
                    formulas.lcn_ed_degree(k, strides),
                    "generic ED degree of the Segre variety (KMST, DHOST Thm 5.8)",
                )
            )
        else:
            rows.append(ProfileRow("degree", 1, "stride 1: the function space is filling"))
    elif isinstance(arch, CNN) and arch.activation.is_monomial and arch.activation.exponents[0] > 1:
        k, r = arch.filters, arch.activation.exponents[0]  # PCN's formulas are for r ≥ 2
        rows.append(
            ProfileRow(
                "degree",
                formulas.pcn_degree(k, r),
                "Segre–Veronese degree (PCN, arXiv:2410.00722)",
            )
        )
        rows.append(
            ProfileRow(
                "generic ED degree",
                formulas.pcn_ed_degree(k, r),
                "critical points of the MSE for generic large data (PCN)",
            )
        )
    elif isinstance(arch, MLP) and arch.activation.is_linear and not arch.bias:
        w = arch.widths
        rho, m, n = min(w), w[-1], w[0]
        if rho < min(m, n):
            rows.append(
                ProfileRow(
                    "degree",
                    formulas.determinantal_degree(m, n, rho),
                    f"{m}×{n} matrices of rank ≤ {rho} (determinantal variety)",
                )
            )
            rows.append(
                ProfileRow(
                    "ED degree (Frobenius)",
                    formulas.eckart_young_ed_degree(m, n, rho),
                    "Eckart–Young",
                )
            )
    return rows
