"""What every command-line command shares: consoles and the clean-error wrapper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from .errors import NeurovarietyError

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
err_console = Console(stderr=True)


def clean_errors(
    fn: F | None = None, *, on_interrupt: Callable[[dict[str, Any]], str] | None = None
) -> Any:
    """Print a NeurovarietyError as its message (what is wrong + the fix), exit with code 2.

    With ``on_interrupt``, Ctrl-C prints the message it builds from the command's keyword
    arguments (e.g. where finished work was saved) and exits with code 130.
    """

    def decorate(f: F) -> F:
        @wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return f(*args, **kwargs)
            except NeurovarietyError as e:
                err_console.print(
                    f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True
                )
                raise typer.Exit(code=2) from None
            except KeyboardInterrupt:
                if on_interrupt is None:
                    raise
                err_console.print(
                    on_interrupt(kwargs), highlight=False, markup=False, soft_wrap=True
                )
                raise typer.Exit(code=130) from None

        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def emit(result: Any, as_json: bool) -> None:
    """Print a Result: its JSON form (``--json``) or its human summary, literally."""
    if as_json:
        import json
        import sys

        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        console.print(result.summary(), highlight=False, markup=False)


@contextmanager
def search_progress(label: str) -> Iterator[Callable[[Any], None]]:
    """A live line on stderr for a monodromy search: solutions, crossings, failures, time.

    Yields the ``progress`` callback of :func:`~neurovariety.nag.monodromy_solve` (and of the
    commands built on it); the line disappears when the search ends.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(p: Any) -> None:
            bar.update(
                task,
                description=f"{label}: {p.solutions} solutions · {p.crossings} crossings"
                + (f" · {p.failed} failed" if p.failed else ""),
            )

        yield update
