"""CLI commands ``equations``, ``degree`` and ``member``; :func:`register` adds them to an app.

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
from enum import StrEnum
from pathlib import Path

import typer

from ..clitools import check_seconds, check_seed, clean_errors, emit, parse_spec, status
from ..errors import NeurovarietyError


class Format(StrEnum):
    text = "text"
    latex = "latex"
    m2 = "m2"
    singular = "singular"
    json = "json"


class EquationsMethod(StrEnum):
    interpolation = "interpolation"
    lcn = "lcn"


class DegreeMethod(StrEnum):  # neurovariety.invariants.degree.METHODS
    auto = "auto"
    exact = "exact"
    projection = "projection"
    hilbert = "hilbert"
    witness = "witness"


def equations_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'lcn k=3,2 s=2'"),
    max_degree: int = typer.Option(4, "--max-degree", help="interpolate equations of degree ≤ K"),
    fmt: Format = typer.Option(
        Format.text, "--format", help="text, LaTeX, Macaulay2, Singular or JSON"
    ),
    method: EquationsMethod = typer.Option(
        EquationsMethod.interpolation, help="interpolation, or lcn (the recursion)"
    ),
    seed: int = typer.Option(0, callback=check_seed, help="seed of the primes and sample points"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON (--format json)"),
) -> None:
    """Defining equations of the neurovariety, verified exactly on the parametrization."""
    from ..architectures import LCN
    from .equations import equations
    from .lcn_equations import lcn_equations

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


def degree_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'cnn k=2,2 x^2'"),
    method: DegreeMethod = typer.Option(
        DegreeMethod.auto, help="auto, exact (msolve), projection, hilbert or witness"
    ),
    seed: int = typer.Option(
        0, callback=check_seed, help="seed of the primes, projections and points"
    ),
    time_limit: float = typer.Option(
        300.0, "--time-limit", callback=check_seconds, help="seconds for the whole computation"
    ),
    max_monomials: int = typer.Option(
        6000, "--max-monomials", min=1, help="projection: the largest evaluation matrix"
    ),
    max_degree: int | None = typer.Option(
        None, "--max-degree", min=1, help="hilbert: interpolate through this degree"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Degree of the neurovariety, with its evidence and the closed formula when one applies."""
    from .degree import degree

    arch = parse_spec(spec)
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


def member_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'lcn k=3,2 s=2'"),
    point: Path = typer.Option(..., "--point", help="file with the coefficients (JSON or text)"),
    seed: int = typer.Option(0, callback=check_seed, help="seed of any interpolation needed"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Is the polynomial with these coefficients on the neurovariety / real neuromanifold?"""
    from ..parametrization.coordinates import coordinates
    from .membership import member, parse_point

    arch = parse_spec(spec)
    try:
        text = point.read_text()
    except OSError as e:
        raise NeurovarietyError(f"cannot read the point file {point}: {e.strerror}") from None
    result = member(arch, parse_point(text, len(coordinates(arch))), seed=seed)
    emit(result, as_json)


def register(app: typer.Typer) -> None:
    """Add ``equations``, ``degree`` and ``member`` to ``app``."""
    app.command("equations")(clean_errors(equations_command))
    app.command("degree")(clean_errors(degree_command))
    app.command("member")(clean_errors(member_command))
