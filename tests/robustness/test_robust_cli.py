"""Hostile input for every command: exit code 2, an ``error`` message, no traceback, bounded time.

Each case was a bug (an endless loop, a traceback, a silently ignored limit, SQL pasted from
``--where``); the expected outcome is the contract of the CLI, not the code's output: bad input is
a usage error (exit 2) found before any computation. Cases that once looped forever or exhausted
memory run in a subprocess under a time limit and an address-space cap, so that a regression
fails the test instead of hanging the suite; the rest run in-process with typer's CliRunner.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurovariety.cli import app
from neurovariety.sweeps import Outcome, Store, family_from_dict

MEMORY_CAP = 4 * 2**30  # bytes of address space for a CLI subprocess
SUBPROCESS_SECONDS = 60.0  # generous: the import alone takes a few seconds on a busy machine
IN_PROCESS_SECONDS = 15.0

runner = CliRunner()


class _Overtime(Exception):
    pass


def _overtime(signum: int, frame: object) -> None:
    raise _Overtime("the command ran past its time bound")


def _bad_input(args: Sequence[str], seconds: float = IN_PROCESS_SECONDS) -> str:
    """Invoke the CLI in-process; assert a clean usage error. Returns the output.

    A watchdog alarm interrupts a command that runs past ``seconds`` (a Python loop; endless
    loops inside one C call are the subprocess cases'), so a regression fails, never hangs.
    """
    previous = signal.signal(signal.SIGALRM, _overtime)
    signal.alarm(int(seconds))
    t0 = time.monotonic()
    try:
        res = runner.invoke(app, list(args))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - t0
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        args,
        repr(res.exception),
    )
    assert res.exit_code == 2, (args, res.output)
    assert "Traceback" not in res.output, (args, res.output)
    assert "error" in res.output.lower(), (args, res.output)
    assert elapsed < seconds, (args, elapsed)
    return res.output


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _spawn(args: Sequence[str], cwd: Path) -> subprocess.Popen[str]:
    code = "from neurovariety.cli import app; app(prog_name='neurovariety')"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_cap_memory,
        env={**os.environ, "NEUROVARIETY_DEBUG": ""},
    )


# -- once endless loops, run in subprocesses -------------------------------------------------


def test_former_endless_loops_end_at_once(tmp_path: Path) -> None:
    (tmp_path / "huge_power.txt").write_text("x^99999999999 - 1\n")
    (tmp_path / "deep_family.toml").write_text(
        'invariants = ["dim"]\n[[mlp]]\ndepth = [1000000000000]\nwidths = "1..2"\n'
        "outputs = 1\ndegrees = [2]\n"
    )
    cases = [
        ["dim", "mlp 2-3-1 x^2", "--primes", "100000000"],  # primes_below never raised
        ["solve", "huge_power.txt"],  # the parser multiplied 10^11 times
        ["sweep", "deep_family.toml", "--store", "s.db"],  # 2^(10^12) before the depth check
    ]
    t0 = time.monotonic()
    procs = [_spawn(args, tmp_path) for args in cases]  # in parallel: the imports dominate
    try:
        outs = [p.communicate(timeout=SUBPROCESS_SECONDS)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert time.monotonic() - t0 < SUBPROCESS_SECONDS
    for args, p, out in zip(cases, procs, outs, strict=True):
        assert p.returncode == 2, (args, out)
        assert "Traceback" not in out and "rror" in out, (args, out)
    assert "above 1000" in outs[1]  # the exponent bound names itself
    assert "1..64" in outs[2]  # the depth bound names itself
    assert not (tmp_path / "s.db").exists()  # refused before the store was created


# -- options checked at parse time -----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["dim", "mlp 2-3-1 x^2", "--seed", "-5"],
        ["strata", "mlp 2-3-1 x^2", "--seed", "-5"],
        ["singular", "mlp 2-3-1 x^2", "--seed", "-1"],
        ["degree", "lcn k=3,2 s=2", "--seed", "-5"],
        ["dim", "mlp 2-3-1 x^2", "--seed", str(2**64)],
        ["dim", "mlp 2-3-1 x^2", "--primes", "0"],
        ["profile", "mlp 2-3-1 x^2", "--budget", "nan"],
        ["profile", "mlp 2-3-1 x^2", "--budget", "-1"],
        ["profile", "mlp 2-3-1 x^2", "--budget", "inf"],
        ["edd", "lcn k=2,2", "--time-limit", "nan"],
        ["edd", "lcn k=2,2", "--time-limit", "-3"],
        ["fiber", "mlp 2-2-1 x^2", "--time-limit", "nan"],
        ["train", "mlp 2-2-1 x^2", "--seed", "-1"],
        ["train", "mlp 2-2-1 x^2", "--lr", "nan"],
        ["apo", "--sigma", "-0.5"],
    ],
)
def test_bad_options_are_usage_errors(args: list[str]) -> None:
    _bad_input(args)


def test_solve_options_are_checked_before_the_file_is_read(tmp_path: Path) -> None:
    system = tmp_path / "circle.txt"
    system.write_text("x^2 + y^2 - 1\nx - y\n")
    _bad_input(["solve", str(system), "--seed", "-5"])
    _bad_input(["solve", str(system), "--time-limit", "nan"])
    _bad_input(["solve", str(system), "--time-limit", "-1"])


# -- activations and specs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "activation",
    [
        "1/0*x^2",  # ZeroDivisionError
        "1" * 5000 + "*x^2",  # Python refuses int() of more than 4300 digits
        "1" * 150 + "*x^2",  # a coefficient far beyond any use
        "1/2.5*x^2",  # the term regex reads '1/2.5', Fraction does not
        "x^" + "9" * 5000,
        "generic:" + "9" * 5000,
        "x^\u0663",  # an Arabic-Indic digit: \d matched it, int() read it
    ],
    ids=["1/0", "5000-digits", "150-digits", "1/2.5", "x^(5000 digits)", "generic:huge", "x^3"],
)
def test_bad_activations(activation: str) -> None:
    out = _bad_input(["dim", f"mlp 2-3-1 {activation}"])
    assert "activation" in out or "coefficient" in out


def test_bad_specs() -> None:
    _bad_input(["dim", "mlp " + "-".join(["2"] * 1000) + " x^2"])
    _bad_input(["dim", "mlp \uff12-3-1 x^2"])  # a full-width digit
    _bad_input(["dim", "mlp 2-3-1 " + "x+" * 6000 + "x"])


# -- solve files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,  # binary
        b"(" * 5000 + b"x" + b")" * 5000 + b"\n",  # RecursionError
        b"-" * 5000 + b"x\n",
        b"(x + y + z + w)^200\n",  # an expansion of ~10^10 term products
        b"1e308 * 1e308 * x - 1\n",  # a coefficient that overflows
        b"x / 1e-320 - 1\n",
        b"+".join(f"x{i}".encode() for i in range(3000)) + b"\n",  # more names than allowed
    ],
    ids=["binary", "nested", "signs", "expansion", "overflow", "tiny-divisor", "names"],
)
def test_hostile_system_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "system.txt"
    path.write_bytes(content)
    _bad_input(["solve", str(path)])


# -- sweep families --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "block",
    [
        'depth = "\uff12..\uff13"\nwidths = 2',  # full-width digits (int() read them)
        'depth = "\u00b9..\u00b2"\nwidths = 2',  # superscripts: isdigit() but not int()
        'depth = "2..999999999999999999999"\nwidths = 2',
        "depth = 2\nwidths = [9223372036854775807]",
        'depth = 2\nwidths = "1..2"\ninputs = -3',
    ],
)
def test_hostile_family_ranges(tmp_path: Path, block: str) -> None:
    fam = tmp_path / "fam.toml"
    fam.write_text(
        f'invariants = ["expected"]\n[[mlp]]\n{block}\noutputs = 1\ndegrees = [2]\n',
        encoding="utf-8",
    )
    _bad_input(["sweep", str(fam), "--store", str(tmp_path / "s.db")])
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize("limit", ["inf", "nan", "-inf", '"1e999 GB"', '"-5GB"', "true", "1e300"])
def test_hostile_memory_limits(tmp_path: Path, limit: str) -> None:
    fam = tmp_path / "fam.toml"
    fam.write_text(
        f'specs = ["mlp 2-3-1 x^2"]\ninvariants = ["expected"]\nmemory_limit = {limit}\n'
    )
    out = _bad_input(["sweep", str(fam), "--store", str(tmp_path / "s.db")])
    assert "memory_limit" in out


@pytest.mark.parametrize(
    "options",
    [
        ["--scheduler", "not a url"],
        ["--scheduler", "ftp://10.0.0.5:8786"],
        ["--scheduler", "tcp://10.0.0.5:99999"],
        ["--scheduler", "tcp://10.0.0.5"],
        ["--timeout", "nan"],
        ["--timeout", "-1"],
        ["--timeout", "0"],  # finite, but a task needs a positive budget
        ["--memory-limit", "lots"],
        ["--workers", "0"],
    ],
)
def test_hostile_sweep_options(tmp_path: Path, options: list[str]) -> None:
    store = tmp_path / "s.db"
    _bad_input(["sweep", "--spec", "mlp 2-3-1 x^2", "--store", str(store), *options])
    assert not store.exists()


# -- stores ----------------------------------------------------------------------------------


def _store(path: Path, n: int) -> None:
    specs = [f"mlp {a}-{b}-1 x^2" for a in range(1, 11) for b in range(1, 11)][:n]
    tasks = family_from_dict({"specs": specs, "invariants": ["expected"]}).tasks()
    with Store(path) as st:
        st.add(
            (t, Outcome("ok", {"expected_dimension": 1, "pad": "x" * 400}, None, 0.0))
            for t in tasks
        )
    with sqlite3.connect(path) as conn:  # fold the WAL into the file, as a finished sweep does
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _damaged(tmp_path: Path) -> list[Path]:
    good = tmp_path / "good.db"
    _store(good, 100)
    data = good.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(data[: len(data) // 2])
    # the header still promises every page: SQLite opens it and fails half-way through a scan
    overwritten = bytearray(data)
    overwritten[8 * page : 14 * page] = b"\xab" * (6 * page)
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(bytes(overwritten))
    return [truncated, corrupt]


def test_damaged_stores_are_store_errors(tmp_path: Path) -> None:
    for db in _damaged(tmp_path):
        _bad_input(["atlas", "query", "--store", str(db), "--json"])
        _bad_input(["atlas", "export", "--store", str(db), "-o", str(tmp_path / "x.csv")])
        for spec in ("mlp 2-3-1 x^2", "mlp 12-13-1 x^2"):  # stored already, and new
            out = _bad_input(
                ["sweep", "--spec", spec, "--invariant", "expected", "--store", str(db)]
            )
            assert "malformed" in out or "damaged" in out


def test_a_sweep_refuses_another_applications_database(tmp_path: Path) -> None:
    other = tmp_path / "contacts.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.execute("INSERT INTO people VALUES ('Ada')")
    conn.close()
    before = other.read_bytes()
    out = _bad_input(["sweep", "--spec", "mlp 2-3-1 x^2", "--store", str(other)])
    assert "another application" in out
    assert other.read_bytes() == before  # no table added, not even switched to WAL mode
    _bad_input(["atlas", "query", "--store", str(other)])


# -- --where is a condition, never SQL -------------------------------------------------------

INJECTIONS = [
    "1=0 UNION SELECT name, sql, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
    "1, 1, 1, 1 FROM sqlite_master",
    "1=1) LIMIT 1000 --",  # escaping the parentheses to drop --limit
    "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c) > 0",
    "1; DROP TABLE results",
    "kind = 'mlp",  # an unbalanced quote
    'kind = "mlp"',  # double quotes are SQL identifiers: refused, not guessed
    "defect > 0 AND",
    "randomblob(1000000000) > 0",
    "kind IN (SELECT kind FROM results)",
    "(" * 200 + "defect > 0" + ")" * 200,
    "NOT " * 200 + "defect > 0",
    "defect IN (" + ", ".join(["1"] * 600) + ")",
    "kind = '" + "m" * 5000 + "'",
    "degree > 1" + "0" * 60,
]


def test_where_injections_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    _store(db, 3)
    for where in INJECTIONS:
        _bad_input(["atlas", "query", "--store", str(db), "--where", where, "--limit", "1"])
        _bad_input(
            ["atlas", "export", "--store", str(db), "-o", str(tmp_path / "x.csv"), "--where", where]
        )
    with Store(db, readonly=True) as st:  # nothing was dropped
        assert st.count() == 3


# -- output paths that cannot be written are found before any work ---------------------------


def test_unwritable_outputs_are_refused_before_computing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neurovariety.invariants.profile as profile_module
    import neurovariety.landscape as landscape_module

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the computation started before the output path was checked")

    monkeypatch.setattr(profile_module, "profile", must_not_run)
    monkeypatch.setattr(landscape_module, "critical_exposure", must_not_run)
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    missing = tmp_path / "missing" / "dir"
    db = tmp_path / "atlas.db"
    _store(db, 2)
    for args in (
        ["profile", "mlp 2-3-1 x^2", "--report", str(a_file)],
        ["profile", "mlp 2-3-1 x^2", "--report", str(a_file / "sub")],
        ["critical", "mlp 2-2-1 x^2", "--trials", "2", "--plot", str(missing / "e.png")],
        ["atlas", "export", "--store", str(db), "-o", str(missing / "x.csv")],
        ["atlas", "export", "--store", str(db), "-o", str(tmp_path)],  # a directory
        ["atlas", "plot", "--store", str(db), "-o", str(a_file / "x.png")],
        ["sweep", "--spec", "mlp 2-3-1 x^2", "--store", str(missing / "s.db")],
        ["train", "mlp 2-2-1 x^2", "--out", str(a_file / "runs")],
        ["bias", "mlp 2-2-1 x^2", "cnn k=2,2 x^2", "--out", str(a_file)],
    ):
        _bad_input(args)


# -- anything else is an internal error: exit 1, a hint, no traceback ------------------------


def test_internal_errors_exit_1_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import neurovariety.invariants.dimension as dimension_module

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(dimension_module, "dimension", broken)
    res = runner.invoke(app, ["dim", "mlp 2-3-1 x^2"])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit)
    assert "internal error: KeyError: 'a bug'" in res.output and "report" in res.output
    assert "Traceback" not in res.output
    monkeypatch.setenv("NEUROVARIETY_DEBUG", "1")  # for a bug report: the exception itself
    res = runner.invoke(app, ["dim", "mlp 2-3-1 x^2"])
    assert isinstance(res.exception, KeyError)
    monkeypatch.setattr(dimension_module, "dimension", exhausted)
    res = runner.invoke(app, ["dim", "mlp 2-3-1 x^2"])
    assert res.exit_code == 1 and "out of memory" in res.output
