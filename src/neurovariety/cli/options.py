"""The options the commands share, as ``Annotated`` types, and the choices of enum options.

A command writes ``seed: Annotated[int, seed_option("seed of …")] = 0``: the check and the
flag are shared, the help says what the seed fixes in that command.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from .contract import check_output_dir, check_output_file, check_seconds, check_seed

# -- factories: one check per kind of option, each command's own help --


def spec_argument(example: str) -> Any:
    """The architecture argument, its help showing ``example``."""
    return typer.Argument(help=f"architecture, e.g. {example!r}")


def seed_option(help: str) -> Any:
    """``--seed``: an integer in ``[0, 2**63)``."""
    return typer.Option(callback=check_seed, help=help)


def json_option(help: str = "print the result as JSON") -> Any:
    """``--json``: the result as indented JSON on stdout (``print_json``)."""
    return typer.Option("--json", help=help)


#: What --time-limit 0 does, the same for every command (README's exit codes).
ZERO_SECONDS_HELP = "; 0 is zero seconds: stop at the first check, print what is there, exit 3"


def time_limit_option(help: str) -> Any:
    """``--time-limit SECONDS``: a finite number ≥ 0 (0 is zero seconds, never "no limit")."""
    return typer.Option("--time-limit", callback=check_seconds, help=help + ZERO_SECONDS_HELP)


def output_file_option(*names: str, help: str) -> Any:
    """An output file, checked writable before the computation starts."""
    return typer.Option(*names, callback=check_output_file, help=help)


def output_dir_option(*names: str, help: str) -> Any:
    """An output folder, checked creatable before the computation starts."""
    return typer.Option(*names, callback=check_output_dir, help=help)


Json = Annotated[bool, json_option()]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="no progress or notes on stderr (results, errors)")
]
#: The --time-limit that the contract adds to a command that does not declare its own.
TimeLimit = Annotated[
    float | None, time_limit_option("seconds; past them the command stops (exit code 3)")
]

# -- choices (parsed and listed by typer; each names the library's own tuple of methods) --


class DimMethod(StrEnum):
    exact = "exact"
    numeric = "numeric"


class FiberMethod(StrEnum):
    auto = "auto"
    exact = "exact"
    monodromy = "monodromy"


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


class SolveMethod(StrEnum):  # neurovariety.nag.solve.METHODS
    homotopy = "homotopy"
    monodromy = "monodromy"


class StartSystem(StrEnum):  # neurovariety.nag.solve.START_SYSTEMS
    auto = "auto"
    total_degree = "total-degree"
    polyhedral = "polyhedral"


class PlotKind(StrEnum):
    heatmap = "heatmap"
    thresholds = "thresholds"
    values = "values"


class Optimizer(StrEnum):  # neurovariety.experiments.training.OPTIMIZERS
    adam = "adam"
    sgd = "sgd"
    gd = "gd"


class Targets(StrEnum):  # neurovariety.experiments.bias.TARGETS
    teacher = "teacher"
    random = "random"


class StepControl(StrEnum):  # neurovariety.experiments.training.STEP_CONTROLS
    auto = "auto"
    armijo = "armijo"
    none = "none"


class FisherMethod(StrEnum):
    auto = "auto"
    exact = "exact"
    monte_carlo = "monte-carlo"


class Slice(StrEnum):
    variety = "variety"
    loss = "loss"


class Plane(StrEnum):  # neurovariety.report.slices.PLANES
    normal = "normal"
    cone = "cone"
