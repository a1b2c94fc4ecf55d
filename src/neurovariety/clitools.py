"""What every command-line command shares: consoles, the clean-error wrapper, option checks."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from .errors import NeurovarietyError

if TYPE_CHECKING:
    from .architectures import Architecture

F = TypeVar("F", bound=Callable[..., Any])

#: Width of output that goes to a file or a pipe: wide enough that rich never wraps a line.
UNWRAPPED_WIDTH = 100_000


class _Console(Console):
    """A console that wraps at the terminal's width, and not at all into a file or a pipe.

    Rich falls back to 80 columns when its output is not a terminal (and to the width of any
    terminal on stdin/stderr), cutting piped tables and numbers; ``COLUMNS`` still sets a width.
    """

    @property
    def size(self) -> ConsoleDimensions:
        if self._width is None and "COLUMNS" not in os.environ and not self.is_terminal:
            return ConsoleDimensions(UNWRAPPED_WIDTH, super().size.height)
        return super().size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = _Console()
err_console = _Console(stderr=True)


INTERNAL_ERROR_HINT = (
    "this is a bug in neurovariety: please report it with the command line "
    "(NEUROVARIETY_DEBUG=1 shows the traceback)"
)


# typer's exits and usage errors pass through: click's classes, or those of typer's own copy
_TYPER_EXITS: tuple[type[BaseException], ...] = tuple(
    {typer.Exit, typer.Abort, click.exceptions.Exit, click.Abort, click.ClickException}
    | {c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"}
)


def _error_line(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def clean_errors(
    fn: F | None = None, *, on_interrupt: Callable[[dict[str, Any]], str] | None = None
) -> Any:
    """The commands' error boundary: one ``error: …`` line, never a traceback.

    A NeurovarietyError (bad input) prints its message (what is wrong + the fix), exit code 2;
    any other exception is an internal error: its type and message with a hint to report it,
    exit code 1 (``NEUROVARIETY_DEBUG=1`` re-raises it). Ctrl-C prints "interrupted" — or, with
    ``on_interrupt``, the message it builds from the command's keyword arguments (e.g. where
    finished work was saved) — and exits with code 130.
    """

    def decorate(f: F) -> F:
        @wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return f(*args, **kwargs)
            except NeurovarietyError as e:
                _error_line(str(e))
                raise typer.Exit(code=2) from None
            except KeyboardInterrupt:
                text = "interrupted" if on_interrupt is None else on_interrupt(kwargs)
                err_console.print(text, highlight=False, markup=False, soft_wrap=True)
                raise typer.Exit(code=130) from None
            except _TYPER_EXITS:
                raise
            except MemoryError:
                _error_line("out of memory; give a smaller problem, or more memory")
                raise typer.Exit(code=1) from None
            except Exception as e:
                if os.environ.get("NEUROVARIETY_DEBUG"):
                    raise
                _error_line(f"internal error: {type(e).__name__}: {e}; {INTERNAL_ERROR_HINT}")
                raise typer.Exit(code=1) from None

        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def print_json(data: Any) -> None:
    """The ``--json`` form of every command: indented JSON on stdout, nothing else there."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def emit(result: Any, as_json: bool) -> None:
    """Print a Result: its JSON form (``--json``) or its human summary, literally."""
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), highlight=False, markup=False)


def parse_spec(spec: str) -> Architecture:
    """``parse_architecture``, imported when a command runs (``--help`` needs no NumPy)."""
    from .architectures import parse_architecture

    return parse_architecture(spec)


@contextmanager
def status(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the elapsed time on stderr while a long computation runs.

    Yields ``describe(text)``, which replaces the label. Only on a terminal: redirected stderr
    and ``--json`` output on stdout get nothing from it.
    """
    if not err_console.is_terminal:
        yield lambda _text: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda text: bar.update(task, description=text)


@contextmanager
def search_progress(label: str) -> Iterator[Callable[[Any], None]]:
    """A live line on stderr for a monodromy search: solutions, crossings, failures, time.

    Yields the ``progress`` callback of :func:`~neurovariety.nag.monodromy_solve` (and of the
    commands built on it); the line disappears when the search ends (see :func:`status`).
    """
    with status(label) as describe:

        def update(p: Any) -> None:
            describe(
                f"{label}: {p.solutions} solutions · {p.crossings} crossings"
                + (f" · {p.failed} failed" if p.failed else "")
            )

        yield update


# -- JAX's persistent compilation cache (on by default for the command line) --

COMPILE_CACHE_ENV = "NEUROVARIETY_COMPILE_CACHE"
_OFF = ("0", "off", "no", "false")
#: Programs that compile faster than this are not written (JAX's default is 1 s; the tracker's
#: evaluators take 0.2-0.7 s each, and a process compiles several).
CACHE_MIN_COMPILE_SECONDS = "0.2"


def compile_cache_dir() -> Path | None:
    """Where the command line keeps JAX's compiled programs; None when turned off.

    ``$NEUROVARIETY_COMPILE_CACHE`` names a folder, or turns the cache off with ``off`` (or
    ``0``); by default ``$XDG_CACHE_HOME/neurovariety/jax``, i.e. ``~/.cache/neurovariety/jax``.

    >>> compile_cache_dir() is None or compile_cache_dir().name == "jax"
    True
    """
    setting = os.environ.get(COMPILE_CACHE_ENV, "").strip()
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "neurovariety" / "jax"


def enable_compile_cache(enabled: bool = True) -> str | None:
    """Turn JAX's persistent compilation cache on for this command; the folder, or None.

    A second run of a numerical command then loads its compiled programs instead of compiling
    them. ``JAX_COMPILATION_CACHE_DIR`` set by the user wins; a process that imported JAX
    before (a notebook or test calling the app) keeps its own configuration.
    """
    if "jax" in sys.modules:
        return None
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return os.environ["JAX_COMPILATION_CACHE_DIR"]
    path = compile_cache_dir() if enabled else None
    if path is None:
        return None
    # read by JAX when it is imported, so numerical commands pay nothing before they need it
    os.environ["JAX_COMPILATION_CACHE_DIR"] = str(path)
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", CACHE_MIN_COMPILE_SECONDS)
    return str(path)


# -- option checks (typer callbacks: bad values are usage errors, exit code 2, before any work) --

MAX_SEED = 2**63 - 1  # seeds are stored in SQLite INTEGER columns and JSON


def check_seed(value: int | None) -> int | None:
    """A seed is an integer in ``[0, 2**63)`` (None: drawn by the command)."""
    if value is not None and not 0 <= value <= MAX_SEED:
        raise typer.BadParameter(f"{value} is not a seed; give an integer 0 ≤ seed < 2**63")
    return value


def _nonnegative(value: float | None, what: str) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise typer.BadParameter(f"{value} is not {what}; give a finite value ≥ 0")
    return value


def check_seconds(value: float | None) -> float | None:
    """A time limit or budget is a finite number of seconds ≥ 0 (NaN would disable it)."""
    return _nonnegative(value, "a number of seconds")


def check_nonnegative(value: float | None) -> float | None:
    """A rate, threshold or scale is a finite number ≥ 0."""
    return _nonnegative(value, "a finite number ≥ 0")


_ADDRESS = re.compile(
    r"(?:(?P<scheme>[a-z]+)://)?(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
    r"|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})/?",
    re.ASCII,
)
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx")


def check_address(value: str | None) -> str | None:
    """A Dask scheduler address: ``[PROTOCOL://]HOST:PORT``, protocol tcp, tls, ws, wss or ucx."""
    if value is None:
        return None
    m = _ADDRESS.fullmatch(value.strip())
    if m is None or not 0 < int(m["port"]) < 65536:
        raise typer.BadParameter(
            f"{value!r} is not a scheduler address; write PROTOCOL://HOST:PORT, "
            "e.g. tls://10.0.0.5:8786"
        )
    if m["scheme"] is not None and m["scheme"] not in SCHEDULER_PROTOCOLS:
        raise typer.BadParameter(
            f"{value!r}: unknown protocol {m['scheme']!r}; use one of "
            f"{', '.join(SCHEDULER_PROTOCOLS)}"
        )
    return value.strip()


def _existing_ancestor(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _writable_file(value: Path) -> None:
    if value.is_dir():
        raise typer.BadParameter(f"{str(value)!r} is a directory; give a file name")
    parent = value.absolute().parent
    if not parent.is_dir():
        raise typer.BadParameter(
            f"cannot write {str(value)!r}: {str(parent)!r} is not an existing directory; "
            "create it first"
        )
    target = value if value.exists() else parent
    if not os.access(target, os.W_OK):
        raise typer.BadParameter(f"cannot write {str(value)!r}: permission denied")


def _writable_dir(value: Path) -> None:
    base = _existing_ancestor(value)
    if not base.is_dir():
        raise typer.BadParameter(
            f"cannot create the folder {str(value)!r}: {str(base)!r} is a file; give another path"
        )
    if not os.access(base, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"cannot write in {str(base)!r}: permission denied")


def _checked_path(check: Callable[[Path], None], value: Path | None) -> Path | None:
    if value is None:
        return None
    try:
        check(value)
    except OSError as e:  # e.g. a name too long for the file system
        raise typer.BadParameter(f"cannot use {str(value)!r}: {e.strerror}") from None
    return value


def check_output_file(value: Path | None) -> Path | None:
    """An output file must be creatable before the computation starts, not after it."""
    return _checked_path(_writable_file, value)


def check_output_dir(value: Path | None) -> Path | None:
    """An output folder must be a writable folder, or creatable (parents included)."""
    return _checked_path(_writable_dir, value)
