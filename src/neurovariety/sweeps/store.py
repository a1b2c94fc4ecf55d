"""The atlas: an SQLite file of every computed invariant, keyed so nothing is stored twice.

One row per task, ``key`` = hash of (architecture key, invariant, options, library version),
``UNIQUE``. Rows are inserted with ``INSERT … ON CONFLICT(key) DO NOTHING`` (or, when retrying
failures, replace only a row that is not ``ok``), each batch in one transaction, in WAL mode with a
busy timeout — so several sweeps may write one store at once, readers never block writers, and a
process killed mid-write leaves the file consistent. Queries go through the ``atlas`` view, whose
columns are listed in :data:`ATLAS_COLUMNS`; their conditions are compiled by
:mod:`~neurovariety.sweeps.where` to parameterised SQL, never pasted in.

A store carries its own marker: SQLite's ``application_id`` header field and a ``meta`` table with
the schema version. A sweep into an SQLite file of another application is refused rather than
adding tables to it; a damaged file (e.g. truncated mid-sweep) is refused before a sweep writes
into it (SQLite's ``quick_check``); and every SQLite error (a damaged page met by a query, a lock
held too long) surfaces as a :class:`~neurovariety.errors.StoreError`.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..architectures import parse_architecture
from ..architectures.attention import Attention
from ..architectures.base import Architecture
from ..architectures.mlp import MLP
from ..errors import StoreError
from .family import Task
from .sandbox import Outcome
from .where import compile_where

__all__ = ["APPLICATION_ID", "ATLAS_COLUMNS", "STATUSES", "Store", "arch_columns"]

SCHEMA_VERSION = "1"
APPLICATION_ID = 0x4E564154  # "NVAT" in SQLite's header: this file is a neurovariety atlas
STATUSES = ("ok", "failed", "timeout")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    arch_key TEXT NOT NULL,
    architecture TEXT NOT NULL,
    kind TEXT NOT NULL,
    depth INTEGER,
    widths TEXT,
    min_hidden_width INTEGER,
    activation TEXT,
    degree INTEGER,
    n_params INTEGER,
    ambient_dim INTEGER,
    expected_dim INTEGER,
    invariant TEXT NOT NULL,
    options TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'timeout')),
    value,
    defect INTEGER,
    certified INTEGER,
    method TEXT,
    seed INTEGER,
    seconds REAL,
    result TEXT,
    error TEXT,
    host TEXT,
    pid INTEGER,
    sweep INTEGER,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_invariant ON results (invariant, status);
CREATE INDEX IF NOT EXISTS results_arch ON results (arch_key);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    host TEXT,
    pid INTEGER,
    version TEXT,
    scheduler TEXT,
    n_tasks INTEGER,
    summary TEXT
);
"""

ATLAS_COLUMNS = (
    "architecture",
    *("kind", "depth", "widths", "min_hidden_width", "activation", "degree"),
    *("n_params", "ambient_dim", "expected_dim"),
    *("invariant", "options", "status", "value", "dimension", "defect", "certified"),
    *("method", "seed", "seconds", "error", "version", "host", "sweep", "created"),
    *("key", "arch_key"),
)
"""Columns of the ``atlas`` view, the rows of ``atlas query`` and ``--where``; ``dimension`` is
``value`` for the ``dim`` invariant and NULL otherwise."""

_INSERT_COLUMNS = (*(c for c in ATLAS_COLUMNS if c != "dimension"), "result", "pid")

_VIEW = "CREATE VIEW IF NOT EXISTS atlas AS SELECT {} FROM results;".format(
    ", ".join(
        "CASE WHEN invariant = 'dim' THEN value END AS dimension" if c == "dimension" else c
        for c in ATLAS_COLUMNS
    )
)


def arch_columns(arch: Architecture, result: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The architecture's columns of an atlas row (shape, activation, counts).

    Counts already in ``result`` (``n_params``, ``ambient_dimension``, ``expected_dimension``) are
    reused. Computed where the task ran, so that the client, the one writer, stays light.

    >>> from neurovariety import parse_architecture
    >>> c = arch_columns(parse_architecture("mlp 3-2-4-1 x^2"))
    >>> c["widths"], c["min_hidden_width"], c["degree"], c["n_params"], c["expected_dim"]
    ('[3, 2, 4, 1]', 2, 2, 18, 12)
    """
    res = result or {}
    if isinstance(arch, MLP):
        shape = list(arch.widths)
        hidden = arch.hidden_widths
    elif isinstance(arch, Attention):
        shape, hidden = list(arch.widths), arch.widths[1:-1]
    else:  # CNN and LCN: the filter sizes are the shape
        shape = list(getattr(arch, "filters", ()))
        hidden = ()
    if isinstance(arch, Attention):  # no σ: the attention widths stand in its column
        act_spec, act_degree = f"attention a={','.join(map(str, arch.attention_widths))}", None
    else:
        act_spec, act_degree = arch.activation.spec, arch.activation.degree
    n_params = res.get("n_params")
    ambient = res.get("ambient_dimension")
    expected = res.get("expected_dimension")
    return {
        "kind": arch.kind,
        "depth": arch.depth,
        "widths": json.dumps(shape),
        "min_hidden_width": min(hidden) if hidden else None,
        "activation": act_spec,
        "degree": act_degree,
        "n_params": n_params if isinstance(n_params, int) else arch.n_params,
        "ambient_dim": ambient if isinstance(ambient, int) else arch.ambient_dim,
        "expected_dim": expected if isinstance(expected, int) else arch.expected_dim,
    }


F = TypeVar("F", bound=Callable[..., Any])


def _sqlite_errors(method: F) -> F:
    """SQLite errors of a store method become StoreErrors naming the file."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as e:
            raise self._error(e) from None

    return wrapper  # type: ignore[return-value]


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str):
        return int(value) if isinstance(value, bool) else value
    return json.dumps(value)


class Store:
    """An atlas file. Open with ``Store(path)``; use as a context manager to close it.

    Examples
    --------
    >>> import tempfile, os
    >>> from neurovariety.sweeps import family_from_dict
    >>> from neurovariety.sweeps.sandbox import run_in_process
    >>> path = os.path.join(tempfile.mkdtemp(), "atlas.db")
    >>> task = family_from_dict({"specs": ["mlp 3-2-1 x^2"], "invariants": ["expected"]}).tasks()[0]
    >>> with Store(path) as store:
    ...     store.add([(task, run_in_process(task.target, task.spec, task.options))])
    ...     store.add([(task, run_in_process(task.target, task.spec, task.options))])
    ...     rows = store.query()
    1
    0
    >>> [(r["architecture"], r["invariant"], r["value"]) for r in rows]
    [('mlp 3-2-1 x^2', 'expected', 6)]
    """

    def __init__(self, path: str | Path, *, readonly: bool = False, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._arch_cache: dict[str, dict[str, Any]] = {}
        try:
            if readonly:
                if not self.path.is_file():
                    raise StoreError(f"no store at {str(self.path)!r}; run a sweep first")
                # quoted, so that '#' or '?' in a file name is not read as part of the URI
                uri = f"file:{urllib.parse.quote(str(self.path.resolve()))}?mode=ro"
                self.conn = sqlite3.connect(uri, uri=True, timeout=timeout)
            else:
                if self.path.parent and not self.path.parent.is_dir():
                    raise StoreError(
                        f"directory {str(self.path.parent)!r} does not exist; create it first"
                    )
                self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
                # one read of the file: writing into a damaged store would lose more of it
                problem = self.conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if problem != "ok":
                    raise StoreError(
                        f"store {str(self.path)!r} is damaged ({problem}); restore it or start "
                        "a new store"
                    )
                self._init_schema()
                self.conn.execute("PRAGMA journal_mode=WAL")  # only once the file is ours
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.row_factory = sqlite3.Row
            if readonly:
                self._wait_until_created(min(timeout, 10.0))
                self._check_schema()
        except sqlite3.Error as e:
            raise StoreError(f"cannot open store {str(self.path)!r}: {e}") from None
        except OSError as e:
            raise StoreError(f"cannot open store {str(self.path)!r}: {e.strerror}") from None

    def _error(self, e: sqlite3.Error) -> StoreError:
        return StoreError(
            f"store {str(self.path)!r}: {e}; if the file is damaged (e.g. truncated), restore "
            "it or start a new store"
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self) -> _Txn:
        return _Txn(self.conn)

    def _init_schema(self) -> None:
        statements = [q.strip() for q in (_SCHEMA + _VIEW).split(";") if q.strip()]
        for attempt in range(50):
            # One transaction, so a reader never sees a half-created store.
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    if self._is_foreign():
                        raise StoreError(
                            f"{str(self.path)!r} is an SQLite file of another application, not "
                            "a neurovariety store; give a new store file"
                        )
                    for q in statements:
                        self.conn.execute(q)
                    self.conn.execute(
                        "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', ?)",
                        (SCHEMA_VERSION,),
                    )
                    self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
                break
            except sqlite3.OperationalError as e:  # another process is creating it
                if "locked" not in str(e) or attempt == 49:
                    raise
                time.sleep(0.1)
        self._check_schema()

    def _is_foreign(self) -> bool:
        """Does the file hold tables but no store marker (another application's database)?"""
        app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id == APPLICATION_ID:
            return False
        if app_id != 0:
            return True
        names = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if not names:
            return False  # a new, empty file
        if "meta" not in names:
            return True
        # a store written before the header marker: its meta table names the schema
        return self.conn.execute("SELECT 1 FROM meta WHERE name = 'schema'").fetchone() is None

    def _wait_until_created(self, seconds: float) -> None:
        """A file with no tables yet is a store another process is creating: give it time."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                n = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            except sqlite3.OperationalError:  # locked by the creator
                n = 0
            if n:
                return
            time.sleep(0.05)

    def _check_schema(self) -> None:
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        except sqlite3.DatabaseError:
            raise StoreError(f"{str(self.path)!r} is not a neurovariety store") from None
        if row is None or row[0] != SCHEMA_VERSION:
            raise StoreError(
                f"{str(self.path)!r} has store schema {row and row[0]!r}, this library writes "
                f"{SCHEMA_VERSION!r}; use a new store file"
            )

    # -- writing -----------------------------------------------------------------------------

    def _arch(self, spec: str) -> dict[str, Any]:
        cols = self._arch_cache.get(spec)
        if cols is None:
            cols = arch_columns(parse_architecture(spec))
            if len(self._arch_cache) < 100_000:
                self._arch_cache[spec] = cols
        return cols

    def _row(self, task: Task, o: Outcome, sweep: int | None, host: str) -> tuple[Any, ...]:
        if o.status not in STATUSES:
            raise StoreError(f"status {o.status!r} is not one of {STATUSES}")
        res = o.result or {}
        value = res.get(task.value_field) if o.status == "ok" else None
        certified = res.get("certified")
        row = {
            "key": task.key,
            "arch_key": task.arch_key,
            "architecture": task.spec,
            **(o.arch if o.arch is not None else self._arch(task.spec)),
            "invariant": task.invariant,
            "options": task.options_json,
            "version": task.version,
            "status": o.status,
            "value": _scalar(value),
            "defect": res.get("defect"),
            "certified": None if certified is None else int(bool(certified)),
            "method": res.get("method"),
            "seed": res.get("seed", task.options.get("seed")),
            "seconds": o.seconds,
            "result": json.dumps(res) if o.result is not None else None,
            "error": o.error,
            "host": host,
            "pid": os.getpid(),
            "sweep": sweep,
            "created": time.time(),
        }
        return tuple(row[c] for c in _INSERT_COLUMNS)

    @_sqlite_errors
    def add(
        self,
        items: Iterable[tuple[Task, Outcome]],
        *,
        sweep: int | None = None,
        retry_failed: bool = False,
    ) -> int:
        """Insert results in one transaction; return how many rows were written.

        An existing row with the same key is kept (another sweep got there first), except that
        with ``retry_failed`` a ``failed``/``timeout`` row is replaced by the new outcome.
        """
        self._writable()
        host = socket.gethostname()
        rows = [self._row(t, o, sweep, host) for t, o in items]
        if not rows:
            return 0
        cols = ", ".join(_INSERT_COLUMNS)
        marks = ", ".join("?" for _ in _INSERT_COLUMNS)
        if retry_failed:
            updates = ", ".join(f"{c} = excluded.{c}" for c in _INSERT_COLUMNS if c != "key")
            conflict = f"DO UPDATE SET {updates} WHERE results.status != 'ok'"
        else:
            conflict = "DO NOTHING"
        sql = f"INSERT INTO results ({cols}) VALUES ({marks}) ON CONFLICT(key) {conflict}"
        with self._transaction():
            before = self.conn.total_changes
            self.conn.executemany(sql, rows)
            return self.conn.total_changes - before

    def _writable(self) -> None:
        if self.readonly:
            raise StoreError("this store was opened read-only")

    @_sqlite_errors
    def begin_sweep(self, name: str, n_tasks: int, scheduler: str) -> int:
        """Record the start of a sweep (provenance); returns its id."""
        from .. import __version__

        self._writable()
        with self._transaction():
            cur = self.conn.execute(
                "INSERT INTO sweeps (name, started, host, pid, version, scheduler, n_tasks) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    time.time(),
                    socket.gethostname(),
                    os.getpid(),
                    __version__,
                    scheduler,
                    n_tasks,
                ),
            )
            return int(cur.lastrowid or 0)

    @_sqlite_errors
    def end_sweep(self, sweep: int, summary: dict[str, Any]) -> None:
        self._writable()
        with self._transaction():
            self.conn.execute(
                "UPDATE sweeps SET finished = ?, summary = ? WHERE id = ?",
                (time.time(), json.dumps(summary), sweep),
            )

    # -- reading -----------------------------------------------------------------------------

    @_sqlite_errors
    def done_keys(self, keys: Sequence[str], *, retry_failed: bool = False) -> set[str]:
        """Those of ``keys`` already stored (with ``retry_failed``: stored with status ``ok``)."""
        out: set[str] = set()
        extra = " AND status = 'ok'" if retry_failed else ""
        for i in range(0, len(keys), 500):
            chunk = list(keys[i : i + 500])
            marks = ", ".join("?" for _ in chunk)
            cur = self.conn.execute(f"SELECT key FROM results WHERE key IN ({marks}){extra}", chunk)
            out.update(r[0] for r in cur)
        return out

    @_sqlite_errors
    def count(self, where: str | None = None) -> int:
        """Number of atlas rows matching ``where``."""
        return int(self._select("SELECT COUNT(*) FROM atlas", where, None).fetchone()[0])

    def query(
        self,
        where: str | None = None,
        *,
        limit: int | None = None,
        with_result: bool = False,
    ) -> list[dict[str, Any]]:
        """Atlas rows (dictionaries) matching a condition on :data:`ATLAS_COLUMNS`.

        ``where`` is a condition such as ``"defect > 0 AND degree = 2"`` in the language of
        :mod:`~neurovariety.sweeps.where` (comparisons, AND/OR/NOT, IN, IS NULL); it is compiled
        to a parameterised query, never run as SQL. ``with_result`` adds the full result JSON
        (parsed) under ``result``.
        """
        return list(self.iter_rows(where, limit=limit, with_result=with_result))

    def iter_rows(
        self, where: str | None = None, *, limit: int | None = None, with_result: bool = False
    ) -> Iterator[dict[str, Any]]:
        base = "SELECT * FROM atlas"
        if with_result:
            base = (
                "SELECT * FROM (SELECT a.*, r.result AS result FROM atlas a "
                "JOIN results r ON r.key = a.key)"
            )
        cur = self._select(base, where, limit, order=" ORDER BY created, key")
        try:
            for r in cur:
                yield _row_dict(r, with_result)
        except sqlite3.Error as e:  # e.g. a damaged page met half-way through the scan
            raise self._error(e) from None

    def _select(
        self, base: str, where: str | None, limit: int | None, order: str = ""
    ) -> sqlite3.Cursor:
        sql = base
        params: list[Any] = []
        if where is not None and where.strip():
            condition, params = compile_where(where, ATLAS_COLUMNS)
            sql += f" WHERE {condition}"
        sql += order
        if limit is not None:
            if limit < 0:
                raise StoreError(f"limit {limit} is negative; give a number of rows ≥ 0")
            sql += " LIMIT ?"
            params.append(int(limit))
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as e:
            raise self._error(e) from None

    def export(self, path: str | Path, where: str | None = None) -> int:
        """Write matching atlas rows (with the full result) to ``.csv``, ``.json`` or ``.parquet``.

        JSON is a list of rows whose ``options`` and ``result`` stay objects; Parquet needs the
        optional ``pyarrow``. Returns the number of rows written.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in (".csv", ".json", ".parquet"):
            raise StoreError(f"export file {str(p)!r}: use a .json, .csv or .parquet suffix")
        try:
            return self._export(p, suffix, where)
        except OSError as e:
            raise StoreError(f"cannot write {str(p)!r}: {e.strerror}") from None

    def _export(self, p: Path, suffix: str, where: str | None) -> int:
        columns = [*ATLAS_COLUMNS, "result"]
        rows = self.iter_rows(where, with_result=True)
        if suffix == ".json":
            n = 0
            with p.open("w", encoding="utf-8") as fh:
                fh.write("[")
                for r in rows:  # streamed: an atlas may not fit in memory twice
                    fh.write(("," if n else "") + "\n" + json.dumps({c: r[c] for c in columns}))
                    n += 1
                fh.write("\n]\n")
            return n
        flat = (
            {c: (json.dumps(r[c]) if isinstance(r[c], dict | list) else r[c]) for c in columns}
            for r in rows
        )
        if suffix == ".parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:
                raise StoreError(
                    "Parquet export needs pyarrow (pip install pyarrow); or export to .csv"
                ) from None
            data = list(flat)
            table = pa.Table.from_pylist(data) if data else pa.table({c: [] for c in columns})
            pq.write_table(table, p)
            return len(data)
        import csv

        n = 0
        with p.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for row in flat:
                writer.writerow(row)
                n += 1
        return n

    @_sqlite_errors
    def summary(self) -> dict[str, int]:
        """Row counts by status."""
        cur = self.conn.execute("SELECT status, COUNT(*) FROM results GROUP BY status")
        out = dict.fromkeys(STATUSES, 0)
        out.update({s: int(n) for s, n in cur})
        return out


def _row_dict(r: sqlite3.Row, with_result: bool) -> dict[str, Any]:
    d = dict(r)
    if with_result and d.get("result") is not None:
        d["result"] = json.loads(d["result"])
    d["options"] = json.loads(d["options"])
    if d.get("certified") is not None:
        d["certified"] = bool(d["certified"])
    return d


class _Txn:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rollback on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
