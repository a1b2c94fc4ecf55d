"""``neurovariety sweep`` and ``neurovariety atlas query|export|plot``.

Errors of the library are printed as their message, exit code 2; a sweep whose tasks failed or
timed out exits with code :data:`EXIT_TASKS_FAILED` after storing them.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import FamilyError
from ..results import plural
from .contract import (
    add_commands,
    check_address,
    check_output_file,
    check_seconds,
    clean_errors,
    console,
    err_console,
    is_quiet,
    note,
    print_json,
    report_limit,
)
from .options import PlotKind, json_option, output_file_option, seed_option, time_limit_option

__all__ = ["COMMANDS", "EXIT_TASKS_FAILED", "atlas", "register"]

EXIT_TASKS_FAILED = 3  # the sweep ran; some of its tasks are stored as failed or timeout
LOCAL_DASHBOARD = "127.0.0.1:8787"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _check_store(value: Path) -> Path:
    """A store is written with SQLite's WAL files beside it: its folder must be writable too."""
    check_output_file(value)
    parent = value.absolute().parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"cannot write in {str(parent)!r}: permission denied")
    return value


def _warn_if_open(scheduler: str) -> None:
    scheme, _, rest = scheduler.rpartition("://")
    host = rest.rsplit(":", 1)[0]
    if scheme in ("", "tcp", "ws") and host not in _LOOPBACK_HOSTS:
        err_console.print(
            f"note: {scheduler} is neither encrypted nor authenticated, and a Dask scheduler "
            "runs any code it is sent; use tls:// with certificates (docs/sweeps.md)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _with_seed(invariants: Any, seed: int) -> Any:
    """The family's invariants with ``seed`` for each one that takes a seed (dim, degree, …)."""
    from ..sweeps.registry import get_invariant

    if isinstance(invariants, list) and all(isinstance(n, str) for n in invariants):
        invariants = {n: {} for n in invariants}
    if not isinstance(invariants, Mapping):
        return invariants  # malformed: the family reports it
    out = {}
    for name, options in invariants.items():
        takes_seed = isinstance(options, Mapping) and "seed" in get_invariant(name).defaults
        out[name] = {**options, "seed": seed} if takes_seed else options
    return out


def _family(
    family_file: Path | None,
    specs: list[str],
    invariants: list[str],
    timeout: float | None,
    memory_limit: str | None,
    seed: int | None = None,
) -> Any:
    import tomllib

    from ..sweeps.family import family_from_dict

    data: dict[str, Any] = {}
    name, source = "cli", "command line"
    if family_file is not None:
        try:
            data = tomllib.loads(family_file.read_text(encoding="utf-8"))
        except OSError as e:
            raise FamilyError(f"cannot read family file {str(family_file)!r}: {e.strerror}") from e
        except tomllib.TOMLDecodeError as e:
            raise FamilyError(f"{family_file}: not valid TOML: {e}") from None
        name, source = family_file.stem, str(family_file)
    if specs:
        data["specs"] = [*data.get("specs", []), *specs]
    if invariants:
        data["invariants"] = list(invariants)
    if timeout is not None:
        data["timeout"] = timeout
    if memory_limit is not None:
        data["memory_limit"] = memory_limit
    if not data:
        raise FamilyError("give a FAMILY_FILE or --spec/--invariant, e.g. --spec 'mlp 2-3-1 x^2'")
    data.setdefault("invariants", ["dim"])
    if seed is not None:
        data["invariants"] = _with_seed(data["invariants"], seed)
    return family_from_dict(data, default_name=name, source=source)


@contextlib.contextmanager
def _progress_bar(name: str) -> Iterator[Callable[[Any], None]]:
    """A rich progress bar on stderr (done / running / failed / timeout / skipped, ETA)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "done {task.fields[done]} · running {task.fields[running]} · "
            "[red]failed {task.fields[failed]}[/] · timeout {task.fields[timeout]} · "
            "skipped {task.fields[skipped]}"
        ),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
    ) as bar:
        tid = bar.add_task(name, total=None, done=0, running=0, failed=0, timeout=0, skipped=0)

        def update(p: Any) -> None:
            bar.update(
                tid,
                total=p.total - p.skipped,  # skipped work does not count toward the ETA
                completed=p.finished,
                done=p.done,
                running=p.running,
                failed=p.failed,
                timeout=p.timeout,
                skipped=p.skipped,
            )

        yield update


def _stored_so_far(kwargs: dict[str, Any]) -> str:
    return (
        f"interrupted: finished tasks are stored in {kwargs.get('store')}; rerun the same "
        "command to resume"
    )


@clean_errors(on_interrupt=_stored_so_far)
def sweep_command(
    store: Annotated[
        Path,
        typer.Option(
            "--store", callback=_check_store, help="SQLite atlas file (created if missing)"
        ),
    ],
    family_file: Annotated[
        Path | None,
        typer.Argument(help="TOML family file (see docs/sweeps.md); optional with --spec"),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            callback=check_address,
            help="address of a Dask scheduler (tls://HOST:PORT); default: a local cluster",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="local worker processes (default: CPU count)"),
    ] = None,
    spec: Annotated[
        list[str] | None, typer.Option("--spec", help="an architecture to add (repeatable)")
    ] = None,
    invariant: Annotated[
        list[str] | None,
        typer.Option("--invariant", help="invariant to compute (repeatable; default: dim)"),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", callback=check_seconds, help="seconds per task")
    ] = None,
    memory_limit: Annotated[
        str | None, typer.Option("--memory-limit", help="per task and per worker, e.g. 2GiB")
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, help="tasks per Dask task (default: adaptive)"),
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="recompute tasks stored as failed or timeout")
    ] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="no progress bar")] = False,
    dashboard: Annotated[
        bool,
        typer.Option(
            "--dashboard", help=f"serve the local cluster's dashboard on {LOCAL_DASHBOARD}"
        ),
    ] = False,
    seed: Annotated[
        int | None,
        seed_option("seed of every invariant that takes one (default: the family's, else 0)"),
    ] = None,
    time_limit: Annotated[
        float | None,
        time_limit_option(
            "seconds for the whole sweep: then it stops, its finished tasks stored (exit "
            "code 3; the same command resumes)"
        ),
    ] = None,
    as_json: Annotated[bool, json_option("print the sweep report as JSON")] = False,
) -> None:
    """Compute invariants over a family of architectures into a resumable store.

    Exits with code 3 when some tasks failed or timed out (they are stored; --retry-failed
    recomputes them).
    """
    from ..sweeps.run import run_sweep

    fam = _family(family_file, spec or [], invariant or [], timeout, memory_limit, seed)
    if scheduler is not None:
        _warn_if_open(scheduler)
    with contextlib.ExitStack() as stack:
        # the bar is for people: not drawn into a file or a pipe
        quiet = no_progress or is_quiet() or not err_console.is_terminal
        update = None if quiet else stack.enter_context(_progress_bar(fam.name))
        report = run_sweep(
            fam,
            store,
            scheduler=scheduler,
            workers=workers,
            batch_size=batch_size,
            retry_failed=retry_failed,
            progress=update,
            dashboard_address=LOCAL_DASHBOARD if dashboard else None,
            time_limit=time_limit,
        )
    if as_json:
        print_json(report.to_dict())
    else:
        report_limit(report)
        console.print(report.summary(), highlight=False, markup=False)
    if report.failed or report.timeout:
        err_console.print(
            f"{plural(report.failed, 'task')} failed and {report.timeout} timed out; their errors "
            f"are stored: neurovariety atlas query --store {shlex.quote(str(store))} "
            "--where \"status != 'ok'\"; "
            "rerun with --retry-failed to recompute them",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=EXIT_TASKS_FAILED)


QUERY_FIELDS = (
    "architecture",
    "invariant",
    "value",
    "status",
    "certified",
    "defect",
    "expected_dim",
    "seconds",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


# reading a store is quick: the atlas commands take no --time-limit
@clean_errors(time_limit=False)
def query_command(
    store: Annotated[Path, typer.Option("--store", help="SQLite atlas file")],
    where: Annotated[
        str | None,
        typer.Option(
            "--where",
            help='condition on the columns, e.g. "defect > 0 AND degree = 2" or '
            "\"kind IN ('mlp', 'cnn')\" (docs/sweeps.md)",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="at most this many rows")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="include the full result (JSON only)")
    ] = False,
    as_json: Annotated[bool, json_option("print the rows as JSON (under 'rows')")] = False,
) -> None:
    """Rows of the atlas matching a condition (columns: docs/sweeps.md)."""
    from rich.table import Table

    from ..sweeps.store import Store

    with Store(store, readonly=True) as st:
        rows = st.query(where, limit=limit, with_result=full)
    if as_json:
        print_json(rows, key="rows")
        return
    table = Table(title=f"atlas {store}  ({plural(len(rows), 'row')})")
    for c in QUERY_FIELDS:
        left = c in ("architecture", "invariant")
        table.add_column(c, justify="left" if left else "right", no_wrap=c == "architecture")
    for r in rows:
        table.add_row(*(_cell(r[c]) for c in QUERY_FIELDS))
    console.print(table)


@clean_errors(time_limit=False)
def export_command(
    store: Annotated[Path, typer.Option("--store", help="SQLite atlas file")],
    out: Annotated[
        Path,
        output_file_option(
            "--out", "-o", help="output .csv, .json (a list of rows) or .parquet (with pyarrow)"
        ),
    ],
    where: Annotated[
        str | None, typer.Option("--where", help="condition on the rows (as for query)")
    ] = None,
    as_json: Annotated[bool, json_option('print {"path": …, "rows": …} as JSON')] = False,
) -> None:
    """Export atlas rows (with the full result) to CSV, JSON or Parquet."""
    from ..sweeps.store import Store

    with Store(store, readonly=True) as st:
        n = st.export(out, where)
    if as_json:
        print_json({"path": str(out), "rows": n})
    else:
        console.print(f"wrote {plural(n, 'row')} to {out}", highlight=False)  # the result


@clean_errors(time_limit=False)
def plot_command(
    store: Annotated[Path, typer.Option("--store", help="SQLite atlas file")],
    out: Annotated[
        Path,
        output_file_option("--out", "-o", help="figure file (.png, .pdf, .svg)"),
    ],
    kind: Annotated[
        PlotKind,
        typer.Option(
            "--kind",
            help="heatmap (defects over width × depth), thresholds, or values (any invariant)",
        ),
    ] = PlotKind.heatmap,
    where: Annotated[
        str | None, typer.Option("--where", help="condition on the rows (as for query)")
    ] = None,
    as_json: Annotated[bool, json_option('print {"path": …, "rows": …} as JSON')] = False,
) -> None:
    """Plot defect heatmaps or degree thresholds of MLP dimensions, or any invariant's values."""
    from ..sweeps import plots
    from ..sweeps.store import Store

    makers = {
        PlotKind.heatmap: plots.defect_heatmap,
        PlotKind.thresholds: plots.threshold_plot,
        PlotKind.values: plots.value_plot,
    }
    with Store(store, readonly=True) as st:
        rows = st.query(where)
    plots.save(makers[kind](rows), out)
    n_shapes = len(plots.degree_thresholds(rows)) if kind is PlotKind.thresholds else 0
    if n_shapes > plots.MAX_THRESHOLD_SHAPES:
        note(
            f"note: the figure shows the first {plots.MAX_THRESHOLD_SHAPES} of {n_shapes} shapes; "
            "narrow them with --where"
        )
    if as_json:
        print_json({"path": str(out), "rows": len(rows)})
    else:
        console.print(f"wrote {out}", highlight=False)


COMMANDS = {"sweep": sweep_command}
atlas = typer.Typer(help="Query, export and plot a sweep's results store.", no_args_is_help=True)
add_commands(atlas, {"query": query_command, "export": export_command, "plot": plot_command})


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and the ``atlas`` group (``query``, ``export``, ``plot``) to ``app``.

    >>> import typer
    >>> app = typer.Typer()
    >>> register(app)
    >>> sorted(c.name for c in app.registered_commands), [g.name for g in app.registered_groups]
    (['sweep'], ['atlas'])
    """
    add_commands(app, COMMANDS)
    app.add_typer(atlas, name="atlas")
