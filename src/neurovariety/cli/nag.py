"""``neurovariety solve FILE``: a polynomial system by homotopy continuation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from ..errors import PolynomialSystemError
from .contract import add_commands, clean_errors, console, emit, status
from .options import SolveMethod, StartSystem, json_option, seed_option, time_limit_option


def _parameters(text: str | None) -> list[complex] | None:
    if text is None:
        return None
    try:
        return [complex(s.strip().replace("i", "j").replace("I", "j")) for s in text.split(",")]
    except ValueError as exc:
        raise PolynomialSystemError(
            f"--parameters {text!r} is not a comma-separated list of numbers. Fix: e.g. "
            "--parameters 1.5,2 or --parameters 1+2j,3"
        ) from exc


def _format(z: complex) -> str:
    if abs(z.imag) <= 1e-12 * max(1.0, abs(z)):
        return f"{z.real:.10g}"
    return f"{z.real:.10g}{z.imag:+.10g}i"


def run_solve(
    file: Path,
    seed: int,
    as_json: bool,
    parameters: str | None,
    certify: bool,
    time_limit: float,
    max_rows: int = 20,
    start: str = "auto",
    method: str = "homotopy",
) -> None:
    """Body of the command (separate from typer for testing)."""
    from rich.table import Table

    from ..nag.certify import certify as certify_fn
    from ..nag.solve import solve
    from ..nag.system import read_system

    system = read_system(file)
    values = _parameters(parameters)
    with status(f"solve {file.name}: {method}"):
        result = solve(
            system,
            parameters=values,
            seed=seed,
            time_limit=time_limit,
            start=start,
            method=method,
        )
    if certify:
        with status(f"solve {file.name}: certifying"):
            at = result.parameters or None  # monodromy may have solved at random parameters
            result = replace(result, certification=certify_fn(system, result, parameters=at))
    emit(result, as_json)
    if as_json:
        return
    ledger = Table(title="ledger (paths)")
    for key in result.ledger:
        ledger.add_column(key, justify="right")
    ledger.add_row(*(str(v) for v in result.ledger.values()))
    console.print(ledger)
    sols = result.solutions()
    reps = [result.paths[i] for i in result.distinct]
    if len(reps):
        table = Table(title=f"solutions (first {min(max_rows, len(reps))} of {len(reps)})")
        table.add_column("#", justify="right")
        for v in system.variables:
            table.add_column(v)
        table.add_column("status")
        table.add_column("mult.", justify="right")
        for k, (row, p) in enumerate(zip(sols[:max_rows], reps[:max_rows], strict=False)):
            table.add_row(
                str(k + 1), *(_format(complex(z)) for z in row), p.status.value, str(p.multiplicity)
            )
        console.print(table)


@clean_errors
def solve_command(
    file: Annotated[Path, typer.Argument(help="system file: one polynomial per line")],
    seed: Annotated[
        int,
        seed_option("seed of the start system and the patch"),
    ] = 0,
    as_json: Annotated[bool, json_option("machine-readable output")] = False,
    parameters: Annotated[
        str | None,
        typer.Option(help="parameter values, comma-separated, in the order of 'parameters:'"),
    ] = None,
    certify: Annotated[bool, typer.Option(help="certify regular solutions (Krawczyk)")] = False,
    time_limit: Annotated[float, time_limit_option("wall-clock budget in seconds")] = 600.0,
    start: Annotated[
        StartSystem,
        typer.Option(
            help="start system of --method homotopy: auto (fewer paths), total-degree (Bézout "
            "number of paths) or polyhedral (mixed volume of paths; square text systems)"
        ),
    ] = StartSystem.auto,
    method: Annotated[
        SolveMethod,
        typer.Option(
            help="homotopy (a start system's paths) or monodromy (the solutions at random "
            "parameters or coefficients, then one path each to the system)"
        ),
    ] = SolveMethod.homotopy,
) -> None:
    """Solve a polynomial system by homotopy continuation; print the ledger and solutions."""
    run_solve(
        file, seed, as_json, parameters, certify, time_limit, start=start.value, method=method.value
    )


COMMANDS = {"solve": solve_command}


def register(app: typer.Typer) -> None:
    """Add this command to ``app``."""
    add_commands(app, COMMANDS)
