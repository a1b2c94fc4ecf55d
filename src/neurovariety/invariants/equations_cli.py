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

import json
import sys
from pathlib import Path

import typer

from ..architectures import parse_architecture
from ..clitools import check_seconds, check_seed, clean_errors
from ..errors import NeurovarietyError

FORMATS = ("text", "latex", "m2", "singular", "json")


def equations_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'lcn k=3,2 s=2'"),
    max_degree: int = typer.Option(4, "--max-degree", help="interpolate equations of degree ≤ K"),
    fmt: str = typer.Option("text", "--format", help="text, latex, m2, singular or json"),
    method: str = typer.Option("interpolation", help="interpolation, or lcn (the recursion)"),
    seed: int = typer.Option(0, callback=check_seed, help="seed of the primes and sample points"),
) -> None:
    """Defining equations of the neurovariety, verified exactly on the parametrization."""
    from ..architectures import LCN
    from .equations import equations, lcn_equations

    if fmt not in FORMATS:
        raise NeurovarietyError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    arch = parse_architecture(spec)
    if method == "lcn":
        if not isinstance(arch, LCN):
            raise NeurovarietyError(f"--method lcn needs an lcn architecture, got {arch.spec}")
        result = lcn_equations(arch, seed=seed)
    elif method == "interpolation":
        result = equations(arch, max_degree=max_degree, seed=seed)
    else:
        raise NeurovarietyError(f"unknown method {method!r}; use interpolation or lcn")
    sys.stdout.write(result.format(fmt).rstrip("\n") + "\n")


def degree_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'cnn k=2,2 x^2'"),
    method: str = typer.Option("auto", help="auto, exact (msolve), projection, hilbert or witness"),
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

    result = degree(
        parse_architecture(spec),
        method=method,
        seed=seed,
        time_limit=time_limit,
        max_monomials=max_monomials,
        max_degree=max_degree,
    )
    if as_json:
        d = result.to_dict()
        keys = ("degree", "method", "trace_test", "formula", "seed")
        out = {k: d[k] for k in keys} | {k: v for k, v in d.items() if k not in keys}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        sys.stdout.write(result.summary() + "\n")


def member_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'lcn k=3,2 s=2'"),
    point: Path = typer.Option(..., "--point", help="file with the coefficients (JSON or text)"),
    seed: int = typer.Option(0, callback=check_seed, help="seed of any interpolation needed"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Is the polynomial with these coefficients on the neurovariety / real neuromanifold?"""
    from .equations import coordinates, member, parse_point

    arch = parse_architecture(spec)
    try:
        text = point.read_text()
    except OSError as e:
        raise NeurovarietyError(f"cannot read the point file {point}: {e.strerror}") from None
    result = member(arch, parse_point(text, len(coordinates(arch))), seed=seed)
    sys.stdout.write((result.to_json(indent=2) if as_json else result.summary()) + "\n")


def register(app: typer.Typer) -> None:
    """Add ``equations``, ``degree`` and ``member`` to ``app``."""
    app.command("equations")(clean_errors(equations_command))
    app.command("degree")(clean_errors(degree_command))
    app.command("member")(clean_errors(member_command))
