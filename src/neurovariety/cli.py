"""The ``neurovariety`` command line: the table of contents of every command.

One contract for all of them: ``--json`` prints the result as indented JSON on stdout (and
nothing else there), ``--seed`` (default 0) fixes every random choice, choices are listed by
``--help`` and refused at parse time, progress goes to stderr and only on a terminal. Nothing
heavy is imported before a command runs, so ``--help`` and ``--version`` start at once.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from . import __version__
from .clitools import (
    EXIT_CODES_HELP,
    check_output_dir,
    check_output_file,
    check_seconds,
    check_seed,
    clean_errors,
    console,
    emit,
    enable_compile_cache,
    parse_spec,
    print_json,
    report_limit,
    search_progress,
    status,
)
from .errors import NeurovarietyError

MAX_PRIMES = 64  # each prime is one exact rank; past a few, the error bound is already tiny

app = typer.Typer(
    help="Neuroalgebraic geometry of polynomial neural networks.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"neurovariety {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_print_version,
        is_eager=True,
        help="print the version and exit",
    ),
    compile_cache: bool = typer.Option(
        True,
        "--compile-cache/--no-compile-cache",
        help="keep JAX's compiled programs in ~/.cache/neurovariety/jax, so later runs skip "
        "compiling them (env NEUROVARIETY_COMPILE_CACHE: a folder, or off)",
    ),
) -> None:
    """Neuroalgebraic geometry of polynomial neural networks."""
    enable_compile_cache(compile_cache)


class DimMethod(StrEnum):
    exact = "exact"
    numeric = "numeric"


class EddForm(StrEnum):
    generic = "generic"
    data = "data"


class EddMethod(StrEnum):  # neurovariety.landscape.edd.METHODS
    auto = "auto"
    exact = "exact"
    monodromy = "monodromy"
    both = "both"
    function_space = "function-space"


class EddRealMethod(StrEnum):  # neurovariety.landscape.ed_real.REAL_METHODS
    auto = "auto"
    exact = "exact"
    certified = "certified"


class FiberMethod(StrEnum):
    auto = "auto"
    exact = "exact"
    monodromy = "monodromy"


@app.command("dim")
@clean_errors
def dim_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'mlp 2-3-2-3-4 x^2'"),
    method: DimMethod = typer.Option(
        DimMethod.exact, help="exact (certified ranks mod p) or numeric (SVD)"
    ),
    primes: int = typer.Option(
        2, min=2, max=MAX_PRIMES, help="number of random primes for the exact rank"
    ),
    seed: int = typer.Option(0, callback=check_seed, help="seed of the primes and sample points"),
    max_memory: str = typer.Option(
        None, "--max-memory", help="memory the plan may use, e.g. 8G (default: half the machine)"
    ),
    time_limit: float = typer.Option(
        None,
        "--time-limit",
        callback=check_seconds,
        help="seconds; a plan estimated to take longer is refused, the work stops after it",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Dimension of the neuromanifold, certified when an exact rank meets a proven bound."""
    from .invariants.dimension import dimension
    from .resources import parse_bytes

    arch = parse_spec(spec)
    result = dimension(
        arch,
        method=method.value,
        primes=primes,
        seed=seed,
        max_memory=None if max_memory is None else parse_bytes(max_memory),
        time_limit=time_limit or None,
    )
    emit(result, as_json)


@app.command("profile")
@clean_errors
def profile_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'mlp 2-3-2-3-4 x^2'"),
    seed: int = typer.Option(0, callback=check_seed, help="seed of all randomized computations"),
    budget: float = typer.Option(
        60.0,
        callback=check_seconds,
        help="seconds: an item that counts solutions or interpolates (fiber size, degree) runs "
        "when its estimated cost fits, and stops after that long (with --report, half of it for "
        "the table, half for the report's equations and critical exposure)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the profile as JSON"),
    report: Path = typer.Option(
        None,
        "--report",
        callback=check_output_dir,
        help="also write a self-contained HTML report to DIR/index.html",
    ),
    atlas: Path = typer.Option(
        None, "--atlas", help="sweep store (SQLite) whose defect heatmap the report shows"
    ),
    time_limit: float = typer.Option(
        None,
        "--time-limit",
        callback=check_seconds,
        help="seconds for the whole profile: no item gets a budget past it (exit code 3 past it)",
    ),
) -> None:
    """Everything known about an architecture's neuromanifold, with how it was decided."""
    from rich.table import Table

    from .invariants.profile import profile

    arch = parse_spec(spec)
    if atlas is not None and report is None:
        raise NeurovarietyError("--atlas is drawn in the HTML report: add --report DIR")
    if atlas is not None and not atlas.is_file():
        raise NeurovarietyError(f"--atlas {str(atlas)!r}: no such file; give a sweep store")
    if time_limit:
        budget = min(budget, time_limit)
    t0 = time.perf_counter()
    with status(f"profile {arch.spec}"):
        prof = profile(arch, seed=seed, budget=budget / 2 if report is not None else budget)
    seconds = time.perf_counter() - t0
    written = None
    if report is not None:
        from .report import build_report

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


@app.command("strata")
@clean_errors
def strata_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'cnn k=2,2 x^2'"),
    count: bool = typer.Option(
        False, "--count", help="only the number of strata (closed form, none enumerated)"
    ),
    seed: int = typer.Option(0, callback=check_seed, help="seed of the exact computations"),
    time_limit: float = typer.Option(
        None,
        "--time-limit",
        callback=check_seconds,
        help="seconds; no stratum is started past them (the rest are left out, exit code 3)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the strata as JSON"),
) -> None:
    """Subnetwork strata (inactive / redundant neurons, zero-padded filters, interior zeros) and
    their images, printed as they are enumerated."""
    from .clitools import note
    from .invariants.dimension import dimension
    from .invariants.strata import count_strata, iter_strata

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


@app.command("singular")
@clean_errors
def singular_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'cnn k=2,2 x^2'"),
    stratum: str = typer.Option(None, help="one stratum, as printed by `strata` (default: all)"),
    locus: bool = typer.Option(
        False, "--locus", help="the whole singular locus from the equations (Jacobian criterion)"
    ),
    seed: int = typer.Option(0, callback=check_seed, help="seed of the exact computations"),
    time_limit: float = typer.Option(
        None,
        "--time-limit",
        callback=check_seconds,
        help="seconds; over all strata, no stratum is started past them and the decided ones "
        "are counted (exit code 3)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the verdicts as JSON"),
) -> None:
    """Is the generic point of each subnetwork stratum singular? (tangent-span test, and the
    Jacobian criterion with the local type where V is a hypersurface with a proven equation)"""
    from .clitools import note
    from .invariants.singularities import iter_singular, singular
    from .invariants.strata import count_strata, parse_stratum

    arch = parse_spec(spec)
    if locus:
        if stratum is not None:
            raise NeurovarietyError("--locus covers every stratum; drop --stratum")
        from .invariants.singular_locus import singular_locus

        emit(singular_locus(arch, seed=seed), as_json)
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


def _read_data(path: str, arch: object) -> tuple[object, object]:
    import numpy as np

    n_in, n_out = arch.n_inputs, arch.n_outputs  # type: ignore[attr-defined]
    try:
        if path.endswith(".npz"):
            data = np.load(path)
            X, Y = data["X"], data["Y"]
        else:
            from .experiments.data import read_csv

            table = read_csv(path)  # a first line of column names is skipped
            X, Y = table[:, :n_in], table[:, n_in:]
    except (OSError, KeyError, ValueError) as e:
        raise NeurovarietyError(
            f"cannot read data {path!r} ({e}); give an .npz with arrays X, Y or a CSV with "
            f"{n_in} input columns then {n_out} output columns"
        ) from None
    if X.shape[1] != n_in or Y.reshape(len(Y), -1).shape[1] != n_out:
        raise NeurovarietyError(
            f"data {path!r} has {X.shape[1]} inputs / {Y.shape[1:]} outputs; the architecture "
            f"needs {n_in} inputs and {n_out} outputs"
        )
    return X, Y


@app.command("critical")
@clean_errors
def critical_command(
    specs: list[str] = typer.Argument(..., help="one or more architectures"),
    data: str = typer.Option(None, help="dataset: .npz (X, Y) or CSV (inputs, then outputs)"),
    samples: int = typer.Option(0, min=0, help="random Gaussian dataset size (default 2·params)"),
    trials: int = typer.Option(0, min=0, help="estimate critical exposure over this many datasets"),
    stratum: str = typer.Option(None, help="one stratum (default: all)"),
    plot: Path = typer.Option(
        None,
        callback=check_output_file,
        help="write the exposure figure (PNG) here (needs --trials)",
    ),
    seed: int = typer.Option(0, callback=check_seed, help="seed of data and optimization"),
    as_json: bool = typer.Option(False, "--json", help="print results as JSON"),
) -> None:
    """Critical points of the squared-error loss inside subnetwork strata (critical exposure)."""
    import numpy as np

    from .invariants.strata import parse_stratum, strata
    from .landscape import critical_exposure, stratum_critical_point
    from .landscape.plots import exposure_figure

    if plot and not trials:
        raise NeurovarietyError("--plot shows exposure over random datasets; add --trials T")
    results: list[Any] = []
    for spec in specs:
        arch = parse_spec(spec)
        chosen = [parse_stratum(arch, stratum)] if stratum else strata(arch)
        for s in chosen:
            if trials:
                with status(f"critical exposure {arch.spec} [{s.name}]: {trials} datasets"):
                    results.append(
                        critical_exposure(
                            arch, s, trials=trials, samples=samples or None, seed=seed
                        )
                    )
                continue
            if data:
                X, Y = _read_data(data, arch)
            else:
                rng = np.random.default_rng(seed)
                n = samples or max(2 * arch.n_params, 8)
                X = rng.standard_normal((n, arch.n_inputs))
                Y = rng.standard_normal((n, arch.n_outputs))
            results.append(stratum_critical_point(arch, s, X, Y, seed=seed))
    if plot:
        exposure_figure(results, plot)
    if as_json:
        print_json([r.to_dict() for r in results])
        return
    for r in results:
        console.print(r.summary(), highlight=False, markup=False)
    if plot:
        console.print(f"figure written to {plot}")


@app.command("edd")
@clean_errors
def edd_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'lcn k=3,2 s=2'"),
    form: EddForm = typer.Option(
        EddForm.generic, help="generic (ED degree) or data (learning degree)"
    ),
    samples: int = typer.Option(0, min=0, help="data points for --form data (default 2·ambient)"),
    whiten: bool = typer.Option(False, help="orthonormalize the data (Eckart–Young setting)"),
    seed: int = typer.Option(
        0, callback=check_seed, help="seed of the form, the data and the monodromy"
    ),
    time_limit: float = typer.Option(
        600.0, callback=check_seconds, help="seconds for the count (msolve or monodromy)"
    ),
    method: EddMethod = typer.Option(
        EddMethod.auto,
        help="exact (msolve over primes), monodromy, both (error if they disagree), "
        "function-space (the Lagrange system of a hypersurface's equation), or auto (exact when "
        "msolve is installed and the system is small; function-space for hidden symmetries)",
    ),
    primes: int = typer.Option(2, min=1, max=16, help="primes for the exact count"),
    real: bool = typer.Option(
        False, "--real", help="also count the real critical points (msolve over Q, exact methods)"
    ),
    real_method: EddRealMethod = typer.Option(
        EddRealMethod.auto,
        help="--real by exact (msolve over Q), certified (Krawczyk boxes of every chart point, "
        "complete against the exact count) or auto (exact up to 64 chart points)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Number of complex critical points of the loss (ED / learning degree): exact or monodromy."""
    from .landscape.edd import edd

    arch = parse_spec(spec)
    with search_progress(f"edd {arch.spec}") as progress:
        result = edd(
            arch,
            form=form.value,
            n_data=samples or None,
            whiten=whiten,
            seed=seed,
            time_limit=time_limit,
            method=method.value,
            primes=primes,
            progress=progress,
            real=real,
            real_method=real_method.value,
        )
    emit(result, as_json)


@app.command("fiber")
@clean_errors
def fiber_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'mlp 2-3-1 generic:4'"),
    seed: int = typer.Option(0, callback=check_seed, help="seed of the slice and the monodromy"),
    time_limit: float = typer.Option(300.0, callback=check_seconds, help="seconds for the count"),
    method: FiberMethod = typer.Option(
        FiberMethod.auto, help="auto, exact (msolve counts over two primes) or monodromy"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Generic fiber: dimension, size (exact count or monodromy) vs the symmetry group."""
    from .invariants.identifiability import fiber

    arch = parse_spec(spec)
    with status(f"fiber {arch.spec}: counting ({method.value})"):
        result = fiber(arch, seed=seed, time_limit=time_limit, method=method.value)
    emit(result, as_json)


def _register_subcommands() -> None:
    # Each subpackage owns its commands; this file is the table of contents.
    from .experiments.cli import register as register_experiments
    from .invariants.equations_cli import register as register_equations
    from .nag.cli import register as register_nag
    from .report.cli import register as register_plot
    from .sweeps.cli import register as register_sweeps

    register_equations(app)
    register_nag(app)
    register_sweeps(app)
    register_experiments(app)
    register_plot(app)


_register_subcommands()


def main() -> None:  # pragma: no cover - `python -m neurovariety`
    app(prog_name="neurovariety")
