"""``neurovariety dim | profile | strata | singular | fiber | equations | degree | member``.

>>> import typer
>>> from typer.testing import CliRunner
>>> app = typer.Typer()
>>> register(app)
>>> out = CliRunner().invoke(app, ["equations", "lcn k=3,2 s=2", "--format", "m2"]).output
>>> print(out.strip())
R = QQ[c0..c4];
I = ideal(
  c0*c3^2 + c1^2*c4 - c1*c2*c3);
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import NeurovarietyError
from .contract import (
    add_commands,
    check_seconds,
    clean_errors,
    console,
    emit,
    note,
    parse_spec,
    print_json,
    report_limit,
    status,
    stop_at_zero_seconds,
)
from .options import (
    DegreeMethod,
    DimMethod,
    EquationsMethod,
    FiberMethod,
    Format,
    Json,
    json_option,
    output_dir_option,
    seed_option,
    spec_argument,
    time_limit_option,
)

MAX_PRIMES = 64  # each prime is one exact rank; past a few, the error bound is already tiny


@clean_errors
def dim_command(
    spec: Annotated[str, spec_argument("mlp 2-3-2-3-4 x^2")],
    method: Annotated[
        DimMethod, typer.Option(help="exact (certified ranks mod p) or numeric (SVD)")
    ] = DimMethod.exact,
    primes: Annotated[
        int, typer.Option(min=2, max=MAX_PRIMES, help="number of random primes for the exact rank")
    ] = 2,
    seed: Annotated[int, seed_option("seed of the primes and sample points")] = 0,
    max_memory: Annotated[
        str | None,
        typer.Option(
            "--max-memory", help="memory the plan may use, e.g. 8G (default: half the machine)"
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        time_limit_option(
            "seconds; a plan estimated to take longer is refused, the work stops after it"
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Dimension of the neuromanifold, certified when an exact rank meets a proven bound."""
    from ..invariants.dimension import dimension
    from ..resources import parse_bytes

    arch = parse_spec(spec)
    stop_at_zero_seconds(time_limit)
    result = dimension(
        arch,
        method=method.value,
        primes=primes,
        seed=seed,
        max_memory=None if max_memory is None else parse_bytes(max_memory),
        time_limit=time_limit,
    )
    emit(result, as_json)


@clean_errors
def profile_command(
    spec: Annotated[str, spec_argument("mlp 2-3-2-3-4 x^2")],
    seed: Annotated[int, seed_option("seed of all randomized computations")] = 0,
    budget: Annotated[
        float,
        typer.Option(
            callback=check_seconds,
            help="seconds: an item that counts solutions or interpolates (fiber size, degree) "
            "runs when its estimated cost fits, and stops after that long (with --report, half of "
            "it for the table, half for the report's equations and critical exposure)",
        ),
    ] = 60.0,
    as_json: Annotated[bool, json_option("print the profile as JSON")] = False,
    report: Annotated[
        Path | None,
        output_dir_option(
            "--report", help="also write a self-contained HTML report to DIR/index.html"
        ),
    ] = None,
    atlas: Annotated[
        Path | None,
        typer.Option("--atlas", help="sweep store (SQLite) whose defect heatmap the report shows"),
    ] = None,
    time_limit: Annotated[
        float | None,
        time_limit_option(
            "seconds for the whole profile: no item gets a budget past it (exit code 3 past it)"
        ),
    ] = None,
) -> None:
    """Everything known about an architecture's neuromanifold, with how it was decided."""
    from rich.table import Table

    from ..invariants.profile import profile

    arch = parse_spec(spec)
    if atlas is not None and report is None:
        raise NeurovarietyError("--atlas is drawn in the HTML report: add --report DIR")
    if atlas is not None and not atlas.is_file():
        raise NeurovarietyError(f"--atlas {str(atlas)!r}: no such file; give a sweep store")
    asked = budget
    if time_limit is not None:
        budget = min(budget, time_limit)
    t0 = time.perf_counter()
    with status(f"profile {arch.spec}"):
        prof = profile(arch, seed=seed, budget=budget / 2 if report is not None else budget)
    seconds = time.perf_counter() - t0
    if _profile_cut(prof.rows, time_limit, asked, seconds):
        report_limit({"out_of_time": True})
    written = None
    if report is not None:
        from ..report import build_report

        with status("writing the report"):
            written = build_report(
                arch,
                report,
                seed=seed,
                budget=budget,
                atlas=atlas,
                prof=prof,
                profile_seconds=seconds,
            )
    if as_json:
        out = prof.to_dict()
        if written is not None:
            out["report"] = written.to_dict()
        print_json(out)
        return
    report_limit(prof)
    table = Table(title=f"neurovariety profile  {arch.spec}", show_lines=False)
    table.add_column("invariant")
    table.add_column("value", justify="right")
    table.add_column("how it was decided")
    for row in prof.rows:
        table.add_row(row.name, str(row.value), row.how)
    console.print(table)
    if written is not None:
        console.print(f"report written to {written.path}", highlight=False)


def _profile_cut(rows: list[Any], time_limit: float | None, budget: float, seconds: float) -> bool:
    """Whether --time-limit cut the profile short: it ran past the limit, or a row was skipped
    under a budget that the limit lowered."""
    if time_limit is None:
        return False
    lowered = time_limit < budget and any(r.value == "skipped" for r in rows)
    return lowered or seconds >= time_limit


@clean_errors
def strata_command(
    spec: Annotated[str, spec_argument("cnn k=2,2 x^2")],
    count: Annotated[
        bool,
        typer.Option("--count", help="only the number of strata (closed form, none enumerated)"),
    ] = False,
    seed: Annotated[int, seed_option("seed of the exact computations")] = 0,
    time_limit: Annotated[
        float | None,
        time_limit_option(
            "seconds; no stratum is started past them (the rest are left out, exit code 3)"
        ),
    ] = None,
    as_json: Annotated[bool, json_option("print the strata as JSON")] = False,
) -> None:
    """Subnetwork strata (inactive / redundant neurons, zero-padded filters, interior zeros) and
    their images, printed as they are enumerated."""
    from ..invariants.dimension import dimension
    from ..invariants.strata import count_strata, iter_strata

    arch = parse_spec(spec)
    total = count_strata(arch)
    if count:
        if as_json:
            print_json({"architecture": arch.spec, "count": total})
        else:
            console.print(f"{arch.spec}: {total:,} strata", highlight=False, markup=False)
        return
    t0 = time.perf_counter()
    dims: dict[str, Any] = {}  # image dimensions by the reduced network's spec
    rows: list[dict[str, Any]] = []
    listed, out_of_time = 0, False
    if not as_json:
        console.print(
            f"subnetwork strata  {arch.spec}: {total:,}  (stratum · image · image dim · how)",
            highlight=False,
            markup=False,
        )
    with status(f"strata of {arch.spec}") as describe:
        for s in iter_strata(arch):
            if time_limit is not None and time.perf_counter() - t0 >= time_limit:
                out_of_time = True
                break
            listed += 1
            describe(f"strata of {arch.spec}: {listed:,} of {total:,}")
            red = s.reduced
            if red is not None and red.spec not in dims:
                dims[red.spec] = dimension(red, seed=seed)
            d = dims[red.spec] if red is not None else None
            row = {
                "stratum": s.name,
                "kind": s.kind,
                "image": red.spec if red is not None else "0",
                "image_dimension": d.dimension if d is not None else 0,
                "certified": d.certified if d is not None else True,
            }
            if as_json:
                rows.append(row)
                continue
            how = "certified" if row["certified"] else "probable"
            console.print(
                f"{row['stratum']} · {row['image']} · {row['image_dimension']} · {how}",
                highlight=False,
                markup=False,
            )
    if as_json:
        print_json(
            {
                "architecture": arch.spec,
                "count": total,
                "listed": listed,
                "out_of_time": out_of_time,
                "strata": rows,
            }
        )
        return
    if out_of_time:
        note(f"{listed:,} of {total:,} strata listed before the time limit of {time_limit:g} s")
        report_limit({"out_of_time": True})


@clean_errors
def singular_command(
    spec: Annotated[str, spec_argument("cnn k=2,2 x^2")],
    stratum: Annotated[
        str | None, typer.Option(help="one stratum, as printed by `strata` (default: all)")
    ] = None,
    locus: Annotated[
        bool,
        typer.Option(
            "--locus", help="the whole singular locus from the equations (Jacobian criterion)"
        ),
    ] = False,
    seed: Annotated[int, seed_option("seed of the exact computations")] = 0,
    time_limit: Annotated[
        float | None,
        time_limit_option(
            "seconds; over all strata, no stratum is started past them and the decided ones "
            "are counted (exit code 3)"
        ),
    ] = None,
    as_json: Annotated[bool, json_option("print the verdicts as JSON")] = False,
) -> None:
    """Is the generic point of each subnetwork stratum singular? (tangent-span test, and the
    Jacobian criterion with the local type where V is a hypersurface with a proven equation)"""
    from ..invariants.singularities import iter_singular, singular
    from ..invariants.strata import count_strata, parse_stratum

    arch = parse_spec(spec)
    if arch.kind == "attn" and stratum is None and not locus:  # one layer: HMK's loci
        from ..invariants.attention_geometry import attention_geometry

        stop_at_zero_seconds(time_limit)  # it checks no clock: the first check is before it
        emit(attention_geometry(arch, seed=seed), as_json)
        return
    if locus:
        if stratum is not None:
            raise NeurovarietyError("--locus covers every stratum; drop --stratum")
        from ..invariants.singular_locus import singular_locus

        emit(singular_locus(arch, seed=seed, seconds=time_limit), as_json)
        return
    if stratum is not None:
        results = [singular(arch, parse_stratum(arch, stratum), seed=seed)]
        if as_json:  # a list, one entry per stratum, with --stratum too (as for `critical`)
            print_json([r.to_dict() for r in results], key="strata")
        else:
            console.print(results[0].summary(), highlight=False, markup=False)
        return
    total = count_strata(arch)
    results = []
    with status(f"singular {arch.spec}: {total:,} strata") as describe:
        for r in iter_singular(arch, seed=seed, seconds=time_limit):
            results.append(r)
            describe(f"singular {arch.spec}: {len(results):,} of {total:,} strata")
            if not as_json:
                console.print(r.summary(), highlight=False, markup=False)
    decided = sum(r.verdict.value != "unknown" for r in results)
    out_of_time = len(results) < total
    summary = f"{decided:,} of {total:,} strata decided ({len(results):,} tested" + (
        f"; the time limit of {time_limit:g} s was reached)" if out_of_time else ")"
    )
    if as_json:
        data = {"strata": [r.to_dict() for r in results], "count": total, "tested": len(results)}
        print_json(data | {"decided": decided, "out_of_time": out_of_time})
        return
    note(summary)
    if out_of_time:
        report_limit({"out_of_time": True})


@clean_errors
def fiber_command(
    spec: Annotated[str, spec_argument("mlp 2-3-1 generic:4")],
    seed: Annotated[int, seed_option("seed of the slice and the monodromy")] = 0,
    time_limit: Annotated[float, time_limit_option("seconds for the count")] = 300.0,
    method: Annotated[
        FiberMethod, typer.Option(help="auto, exact (msolve counts over two primes) or monodromy")
    ] = FiberMethod.auto,
    as_json: Json = False,
) -> None:
    """Generic fiber: dimension, size (exact count or monodromy) vs the symmetry group."""
    from ..invariants.identifiability import fiber

    arch = parse_spec(spec)
    with status(f"fiber {arch.spec}: counting ({method.value})"):
        result = fiber(arch, seed=seed, time_limit=time_limit, method=method.value)
    emit(result, as_json)


@clean_errors
def equations_command(
    spec: Annotated[str, spec_argument("lcn k=3,2 s=2")],
    max_degree: Annotated[
        int, typer.Option("--max-degree", help="interpolate equations of degree ≤ K")
    ] = 4,
    fmt: Annotated[
        Format, typer.Option("--format", help="text, LaTeX, Macaulay2, Singular or JSON")
    ] = Format.text,
    method: Annotated[
        EquationsMethod, typer.Option(help="interpolation, or lcn (the recursion)")
    ] = EquationsMethod.interpolation,
    seed: Annotated[int, seed_option("seed of the primes and sample points")] = 0,
    as_json: Annotated[bool, json_option("print the result as JSON (--format json)")] = False,
) -> None:
    """Defining equations of the neurovariety, verified exactly on the parametrization."""
    from ..architectures import LCN
    from ..invariants.equations import equations
    from ..invariants.lcn_equations import lcn_equations

    if as_json and fmt not in (Format.text, Format.json):
        raise NeurovarietyError(f"--json prints JSON; drop it or --format {fmt.value}")
    arch = parse_spec(spec)
    with status(f"equations {arch.spec} ({method.value})"):
        if method is EquationsMethod.lcn:
            if not isinstance(arch, LCN):
                raise NeurovarietyError(f"--method lcn needs an lcn architecture, got {arch.spec}")
            result = lcn_equations(arch, seed=seed)
        else:
            result = equations(arch, max_degree=max_degree, seed=seed)
    if as_json or fmt is Format.json:
        emit(result, True)
        return
    sys.stdout.write(result.format(fmt.value).rstrip("\n") + "\n")


@clean_errors
def degree_command(
    spec: Annotated[str, spec_argument("cnn k=2,2 x^2")],
    method: Annotated[
        DegreeMethod, typer.Option(help="auto, exact (msolve), projection, hilbert or witness")
    ] = DegreeMethod.auto,
    seed: Annotated[int, seed_option("seed of the primes, projections and points")] = 0,
    time_limit: Annotated[
        float,
        time_limit_option("seconds for the whole computation"),
    ] = 300.0,
    max_monomials: Annotated[
        int,
        typer.Option("--max-monomials", min=1, help="projection: the largest evaluation matrix"),
    ] = 6000,
    max_degree: Annotated[
        int | None,
        typer.Option("--max-degree", min=1, help="hilbert: interpolate through this degree"),
    ] = None,
    as_json: Json = False,
) -> None:
    """Degree of the neurovariety, with its evidence and the closed formula when one applies."""
    from ..invariants.degree import degree

    arch = parse_spec(spec)
    stop_at_zero_seconds(time_limit)
    with status(f"degree {arch.spec} ({method.value})"):
        result = degree(
            arch,
            method=method.value,
            seed=seed,
            time_limit=time_limit,
            max_monomials=max_monomials,
            max_degree=max_degree,
        )
    emit(result, as_json)


@clean_errors
def member_command(
    spec: Annotated[str, spec_argument("lcn k=3,2 s=2")],
    point: Annotated[
        Path, typer.Option("--point", help="file with the coefficients (JSON or text)")
    ],
    seed: Annotated[int, seed_option("seed of any interpolation needed")] = 0,
    as_json: Json = False,
) -> None:
    """Is the polynomial with these coefficients on the neurovariety / real neuromanifold?"""
    from ..invariants.membership import member, parse_point
    from ..parametrization.coordinates import coordinates

    arch = parse_spec(spec)
    try:
        text = point.read_text()
    except OSError as e:
        raise NeurovarietyError(f"cannot read the point file {point}: {e.strerror}") from None
    result = member(arch, parse_point(text, len(coordinates(arch))), seed=seed)
    emit(result, as_json)


COMMANDS = {
    "dim": dim_command,
    "profile": profile_command,
    "strata": strata_command,
    "singular": singular_command,
    "fiber": fiber_command,
    "equations": equations_command,
    "degree": degree_command,
    "member": member_command,
}


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""
    add_commands(app, COMMANDS)
