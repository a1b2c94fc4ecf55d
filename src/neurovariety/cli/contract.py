"""The contract of every command: consoles, the clean-error wrapper, ``--json``, option checks."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import math
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from ..errors import BudgetExceededError, InternalError, NeurovarietyError
from ..results import plural

if TYPE_CHECKING:
    from ..architectures import Architecture

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


def error_line(message: str) -> None:
    """``error: message`` on stderr, the one form of every error the command line prints."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


#: The exit codes of every command (README, ``neurovariety --help``).
EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_LIMIT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES_HELP = (
    "Exit codes: 0 ok · 1 internal error (a bug: please report it) · 2 bad input · "
    "3 a limit was reached (--time-limit, a budget): the partial result, if any, is printed · "
    "130 interrupted."
)
#: Arguments that name the architecture(s) of a command, and its input file, in this order.
_SPEC_ARGS = ("spec", "specs", "mlp_spec", "cnn_spec", "model")
_INPUT_ARGS = ("file", "point", "family_file", "store", "data")
#: With a computation that stops itself at --time-limit, the alarm only catches one that does
#: not (a long C call): it rings this much later.
_GRACE = (10.0, 0.25)  # seconds, fraction of the limit


@dataclasses.dataclass
class _Run:
    """What the running command's output reports about it (its provenance) and how it ends."""

    command: str = ""
    arguments: dict[str, Any] = dataclasses.field(default_factory=dict)
    start: float = dataclasses.field(default_factory=time.perf_counter)
    quiet: bool = False
    limit_reached: bool = False


_run = _Run()


class _TimeUp(BaseException):
    """The alarm of --time-limit; a BaseException so that no ``except Exception`` hides it."""


def is_quiet() -> bool:
    """``-q/--quiet``: no progress, no notes on stderr (results and errors still print)."""
    return _run.quiet


def note(text: str) -> None:
    """A line for people on stderr (``note: …``), left out under ``--quiet``."""
    if not _run.quiet:
        err_console.print(text, highlight=False, markup=False, soft_wrap=True)


def _command_name(ctx: Any) -> str:
    # "neurovariety atlas query" -> "atlas query"
    return " ".join(ctx.command_path.split()[1:]) if ctx is not None else ""


def _spec_text(spec: Any) -> str:
    try:
        return parse_spec(str(spec)).spec
    except Exception:  # provenance repeats what was given when it does not parse
        return str(spec)


def provenance() -> dict[str, Any]:
    """The keys every ``--json`` output starts with: command, architecture or input, seed,
    version and seconds (the command's wall time so far)."""
    from .. import __version__

    args = _run.arguments
    out: dict[str, Any] = {"command": _run.command}
    specs: list[str] = []
    for name in _SPEC_ARGS:
        value = args.get(name)
        specs += [value] if isinstance(value, str) else list(value or [])
    if specs:
        texts = [_spec_text(s) for s in specs]
        out["architecture"] = texts[0] if len(texts) == 1 else texts
    given = next((args[n] for n in _INPUT_ARGS if args.get(n) is not None), None)
    if given is not None or not specs:
        out["input"] = None if given is None else str(given)
    out["seed"] = args.get("seed")
    out["version"] = __version__
    out["seconds"] = round(time.perf_counter() - _run.start, 3)
    return out


def _cut_by_limit(data: Any) -> bool:
    """Whether a result (its JSON form) says a time limit cut its search short."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "out_of_time" and value is True:
                return True
            if key == "stop_reason" and str(value).startswith("time budget"):
                return True
            if _cut_by_limit(value):
                return True
    elif isinstance(data, list):
        return any(_cut_by_limit(v) for v in data)
    return False


def report_limit(*results: Any) -> None:
    """Mark the command's result as partial (exit code 3) when a limit cut any of ``results``
    short: a monodromy search stopped by its time budget, paths cut by it. Results skipped by
    design (a profile row over its budget) are not partial."""
    for result in results:
        paths = getattr(result, "paths", None) or ()
        if any(str(getattr(p, "reason", "")).startswith("time budget") for p in paths):
            _run.limit_reached = True
        data = result.to_dict() if hasattr(result, "to_dict") else result
        if getattr(result, "out_of_time", False) or _cut_by_limit(data):
            _run.limit_reached = True


def _exit(code: int) -> typer.Exit:
    """``typer.Exit(code)``, and the same code for a process that ends with homotopy calls still
    running (a search cut by its time limit abandons them: see ``nag.tracker``)."""
    tracker = sys.modules.get("neurovariety.nag.tracker")
    if tracker is not None:
        tracker.set_exit_code(code)
    return typer.Exit(code=code)


def _limit_message(seconds: float) -> str:
    return (
        f"the time limit of {seconds:g} s was reached before a result; raise --time-limit "
        "(or give a smaller problem)"
    )


def stop_at_zero_seconds(limit: float | None) -> None:
    """``--time-limit 0`` is zero seconds: for a computation whose own limit must be positive,
    the first check comes before it starts (exit code 3, nothing to print)."""
    if limit is not None and limit <= 0:
        raise BudgetExceededError(_limit_message(limit))


@contextmanager
def _alarm(seconds: float | None) -> Iterator[None]:
    """Raise :class:`_TimeUp` in the main thread after ``seconds`` (POSIX; else no alarm).

    The previous SIGALRM handler and timer (e.g. a test runner's) are restored afterwards.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if seconds is None or not usable:
        yield
        return

    def ring(_signum: int, _frame: Any) -> None:
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, ring)
    t0 = time.monotonic()
    # below a microsecond the timer would round to 0, which disarms it
    earlier, _ = signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-4))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if earlier:
            signal.setitimer(signal.ITIMER_REAL, max(earlier - (time.monotonic() - t0), 1e-3))


@contextmanager
def _quiet_libraries(quiet: bool) -> Iterator[None]:
    """Under --quiet, the libraries' warnings and log lines (JAX's CPU fallback, …) are off."""
    if not quiet:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # XLA's own C++ log lines
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def _contract_parameters(f: Callable[..., Any], time_limit: bool) -> list[inspect.Parameter]:
    """The options every command gets that ``f`` does not declare itself."""
    from .options import Quiet, TimeLimit

    own = inspect.signature(f).parameters
    keyword = inspect.Parameter.KEYWORD_ONLY
    extra = [
        inspect.Parameter("contract_context", keyword, annotation=typer.Context),
        inspect.Parameter("quiet", keyword, default=False, annotation=Quiet),
    ]
    if time_limit and "time_limit" not in own:
        extra.append(inspect.Parameter("time_limit", keyword, default=None, annotation=TimeLimit))
    return [p for p in extra if p.name not in own]


def clean_errors(
    fn: F | None = None,
    *,
    on_interrupt: Callable[[dict[str, Any]], str] | None = None,
    time_limit: bool = True,
) -> Any:
    """The commands' contract: ``-q/--quiet``, ``--time-limit``, provenance, exit codes.

    Adds ``-q/--quiet`` and (unless ``time_limit=False``, for commands that are always
    instant) ``--time-limit SECONDS`` to the command's options when it does not declare them.
    A command that declares ``time_limit`` passes it into its computation, which stops itself;
    an alarm a little later (or, for one that does not declare it, at the limit) stops
    whatever did not, with exit code 3.

    Errors: one ``error: …`` line, never a traceback. A BudgetExceededError (a limit was
    reached, no result) exits 3; an InternalError (the library contradicted itself) or any
    exception that is no NeurovarietyError is an internal error: its message with a hint to
    report it, exit code 1 (``NEUROVARIETY_DEBUG=1`` re-raises it); another NeurovarietyError
    (bad input, an OptionError among them) prints its message (what is wrong + the fix), exit
    code 2.
    Ctrl-C prints "interrupted" — or, with ``on_interrupt``, the message it builds from the
    command's keyword arguments (e.g. where finished work was saved) — and exits with 130. A
    printed result that a limit cut short (see :func:`report_limit`) exits 3 too.
    """

    def decorate(f: F) -> F:
        extra = _contract_parameters(f, time_limit)
        declares_limit = "time_limit" in inspect.signature(f).parameters

        @wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            global _run
            ctx = kwargs.pop("contract_context", None)
            quiet = bool(kwargs.pop("quiet", False))
            limit = kwargs.get("time_limit") if declares_limit else kwargs.pop("time_limit", None)
            _run = _Run(command=_command_name(ctx), arguments=dict(kwargs), quiet=quiet)
            alarm = None
            if limit is not None:  # 0 is zero seconds, never "no limit"
                alarm = limit + max(_GRACE[0], _GRACE[1] * limit) if declares_limit else limit
            try:
                with ExitStack() as stack:
                    stack.enter_context(_quiet_libraries(quiet))
                    stack.enter_context(_alarm(alarm))
                    out = f(*args, **kwargs)
            except _TimeUp:
                text = _limit_message(float(limit or 0))
                if on_interrupt is not None:
                    text += "; " + on_interrupt(kwargs).removeprefix("interrupted: ")
                error_line(text)
                raise _exit(EXIT_LIMIT) from None
            except BudgetExceededError as e:
                error_line(str(e))
                raise _exit(EXIT_LIMIT) from None
            except KeyboardInterrupt:
                text = "interrupted" if on_interrupt is None else on_interrupt(kwargs)
                err_console.print(text, highlight=False, markup=False, soft_wrap=True)
                raise _exit(EXIT_INTERRUPTED) from None
            except _TYPER_EXITS as e:
                _exit(int(getattr(e, "exit_code", EXIT_INTERNAL) or 0))
                raise
            except MemoryError:
                error_line("out of memory; give a smaller problem, or more memory")
                raise _exit(EXIT_INTERNAL) from None
            except Exception as e:
                if isinstance(e, NeurovarietyError) and not isinstance(e, InternalError):
                    error_line(str(e))  # bad input: what is wrong and the fix
                    raise _exit(EXIT_BAD_INPUT) from None
                if os.environ.get("NEUROVARIETY_DEBUG"):
                    raise
                kind = "" if isinstance(e, InternalError) else f"{type(e).__name__}: "
                error_line(f"internal error: {kind}{e}; {INTERNAL_ERROR_HINT}")
                raise _exit(EXIT_INTERNAL) from None
            if _run.limit_reached:
                note("note: a time limit cut the computation short; the result is partial")
                raise _exit(EXIT_LIMIT)
            _exit(EXIT_OK)
            return out

        if extra:
            own = inspect.signature(f, eval_str=True)
            wrapper.__signature__ = own.replace(  # type: ignore[attr-defined]
                parameters=[*own.parameters.values(), *extra]
            )
            wrapper.__annotations__ = {
                **f.__annotations__,
                **{p.name: p.annotation for p in extra},
            }
        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def add_commands(app: typer.Typer, commands: Mapping[str, Callable[..., Any]]) -> None:
    """Register ``commands`` (name: a function wrapped by :func:`clean_errors`) on ``app``."""
    for name, command in commands.items():
        app.command(name)(command)


def print_json(data: Any, key: str = "results") -> None:
    """The ``--json`` form of every command: indented JSON on stdout, nothing else there.

    It starts with the :func:`provenance` keys; a list is put under ``key``.
    """
    report_limit(data)
    body = {key: data} if isinstance(data, list) else dict(data)
    head = provenance()  # its seconds (wall time) and canonical spec win over the result's
    out = {**head, **{k: v for k, v in body.items() if k not in head}}
    sys.stdout.write(json.dumps(out, indent=2) + "\n")


def emit(result: Any, as_json: bool) -> None:
    """Print a Result: its JSON form (``--json``) or its human summary, literally."""
    if as_json:
        print_json(result.to_dict())
    else:
        report_limit(result)
        console.print(result.summary(), highlight=False, markup=False)


def parse_spec(spec: str) -> Architecture:
    """``parse_architecture``, imported when a command runs (``--help`` needs no NumPy)."""
    from ..architectures import parse_architecture

    return parse_architecture(spec)


@contextmanager
def status(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the elapsed time on stderr while a long computation runs.

    Yields ``describe(text)``, which replaces the label. Only on a terminal and without
    ``--quiet``: redirected stderr and ``--json`` output on stdout get nothing from it.
    """
    if _run.quiet or not err_console.is_terminal:
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
                f"{label}: {plural(p.solutions, 'solution')} · {plural(p.crossings, 'crossing')}"
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
