"""The ``neurovariety`` command line: the table of contents of every command.

One contract for all of them (``contract.clean_errors``): ``--json`` prints the result as
indented JSON on stdout (and nothing else there), ``--seed`` (default 0) fixes every random
choice, choices are listed by ``--help`` and refused at parse time, progress goes to stderr and
only on a terminal. Nothing heavy is imported before a command runs, so ``--help`` and
``--version`` start at once. Each module of this package holds one group of commands
(``COMMANDS``: name to command); ``options`` holds the options they share.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .. import __version__
from . import experiments, invariants, landscape, nag, report, sweeps
from .contract import (
    EXIT_BAD_INPUT,
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_commands,
    enable_compile_cache,
    error_line,
)

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
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="print the version and exit",
        ),
    ] = False,
    compile_cache: Annotated[
        bool,
        typer.Option(
            "--compile-cache/--no-compile-cache",
            help="keep JAX's compiled programs in ~/.cache/neurovariety/jax, so later runs skip "
            "compiling them (env NEUROVARIETY_COMPILE_CACHE: a folder, or off)",
        ),
    ] = True,
) -> None:
    """Neuroalgebraic geometry of polynomial neural networks."""
    enable_compile_cache(compile_cache)


#: The table of contents, in the order of ``neurovariety --help``.
TABLE_OF_CONTENTS = (
    "dim",
    "profile",
    "strata",
    "singular",
    "critical",
    "edd",
    "fiber",
    "equations",
    "degree",
    "member",
    "solve",
    "sweep",
    "train",
    "bias",
    "fisher",
    "apo",
    "plot",
)
_COMMANDS = {
    **invariants.COMMANDS,
    **landscape.COMMANDS,
    **nag.COMMANDS,
    **sweeps.COMMANDS,
    **experiments.COMMANDS,
    **report.COMMANDS,
}
add_commands(app, {name: _COMMANDS[name] for name in TABLE_OF_CONTENTS})
app.add_typer(sweeps.atlas, name="atlas")


def main(argv: list[str] | None = None) -> None:
    """The ``neurovariety`` program: the app, with click's own usage errors on one line.

    Typer prints a rejected option or choice in a box; every other error of the command line is
    one ``error:`` line (``cli/contract.py``), so a rejection is one line too, with the exit code
    2 of bad input and where to look for the fix.
    """
    try:
        code = app(args=argv, prog_name="neurovariety", standalone_mode=False)
    except typer.Abort:
        sys.exit(EXIT_INTERRUPTED)
    except typer.TyperException as e:  # click's usage errors, as typer vendors them
        ctx = getattr(e, "ctx", None)
        if type(e).__name__ == "NoArgsIsHelpError":  # typer has printed the help already
            sys.exit(EXIT_BAD_INPUT)
        message = e.format_message().replace("Value error, ", "").rstrip(".")
        where = f"{ctx.command_path} -h" if ctx is not None else "neurovariety -h"
        error_line(f"{message} (see '{where}')")
        sys.exit(int(getattr(e, "exit_code", EXIT_BAD_INPUT)))
    sys.exit(code if isinstance(code, int) else EXIT_OK)
