"""The SQLite atlas and the killable sandbox (no Dask cluster needed)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from neurovariety.errors import StoreError
from neurovariety.invariants import formulas
from neurovariety.sweeps import Outcome, Sandbox, Store, family_from_dict
from neurovariety.sweeps.sandbox import run_in_process

DIM = "neurovariety.invariants.dimension:dimension"


def _tasks(specs: list[str], invariants: object = ("dim",)) -> list:
    return family_from_dict({"specs": specs, "invariants": list(invariants)}).tasks()  # type: ignore[call-overload]


def test_rows_carry_provenance_and_unique_keys(tmp_path: Path) -> None:
    (task,) = _tasks(["mlp 3-2-1 x^2"])
    outcome = run_in_process(task.target, task.spec, task.options)
    with Store(tmp_path / "a.db") as st:
        assert st.add([(task, outcome)], sweep=None) == 1
        assert st.add([(task, outcome)]) == 0  # same key: nothing written twice
        (row,) = st.query(with_result=True)
        n = st.conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        mode = st.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert n == 1 and mode == "wal"
    # (3, 2, 1) with x^2: rank ≤ 2 ternary quadrics (Alexander–Hirschowitz), expected 6
    assert row["value"] == row["dimension"] == formulas.shallow_mlp_dim(3, 2, 2) == 5
    assert row["defect"] == formulas.mlp_expected_dim((3, 2, 1), 2) - 5 == 1
    assert row["architecture"] == "mlp 3-2-1 x^2" and row["invariant"] == "dim"
    assert row["options"] == {"method": "exact", "primes": 2, "seed": 0}
    assert row["status"] == "ok" and row["certified"] is True and row["method"] == "exact"
    assert row["seed"] == 0 and row["seconds"] > 0 and row["error"] is None
    assert row["version"] and row["key"] == task.key and row["arch_key"] == task.arch_key
    assert row["result"]["primes"] and row["result"]["dimension"] == 5
    assert row["depth"] == 2 and row["min_hidden_width"] == 2 and row["degree"] == 2


def test_failures_are_recorded_and_retried_only_on_request(tmp_path: Path) -> None:
    (task,) = _tasks(["mlp 2-2-1 x^2"])
    failed = Outcome("timeout", None, "ran past its time budget of 1 s", 1.0)
    ok = run_in_process(task.target, task.spec, task.options)
    with Store(tmp_path / "a.db") as st:
        st.add([(task, failed)])
        assert st.done_keys([task.key]) == {task.key}
        assert st.done_keys([task.key], retry_failed=True) == set()
        assert st.add([(task, ok)]) == 0  # a plain resume keeps the recorded failure
        assert st.query()[0]["status"] == "timeout"
        assert st.add([(task, ok)], retry_failed=True) == 1
        assert st.add([(task, failed)], retry_failed=True) == 0  # never overwrite an ok row
        (row,) = st.query()
        assert row["status"] == "ok" and row["error"] is None
        assert st.summary() == {"ok": 1, "failed": 0, "timeout": 0}


def test_where_is_validated_and_read_only(tmp_path: Path) -> None:
    tasks = _tasks(["mlp 3-2-1 x^2", "mlp 2-2-1 x^2", "mlp 3-1-2-1 x^3"])
    with Store(tmp_path / "a.db") as st:
        st.add((t, run_in_process(t.target, t.spec, t.options)) for t in tasks)
    with Store(tmp_path / "a.db", readonly=True) as st:
        assert [r["architecture"] for r in st.query("defect > 0 AND degree = 2")] == [
            "mlp 3-2-1 x^2"
        ]
        assert st.count("kind = 'mlp'") == 3
        with pytest.raises(StoreError, match="no such column"):
            st.query("bogus > 0")
        with pytest.raises(StoreError, match="unexpected character ';'"):
            st.query("1; DROP TABLE results")
        with pytest.raises(StoreError, match="read-only"):
            st.add([(tasks[0], Outcome("failed", None, "x", 0.0))])
    with Store(tmp_path / "a.db") as st:  # a writable store still refuses writes from --where
        with pytest.raises(StoreError):
            st.query("(SELECT 1 FROM (DELETE FROM results))")
        assert st.count() == 3


def test_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store"):
        Store(tmp_path / "missing.db", readonly=True)
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "no" / "dir" / "a.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store(junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE meta (name TEXT, value TEXT)").connection.commit()
    with pytest.raises(StoreError, match="not a neurovariety store|schema"):
        Store(other, readonly=True)


def test_export_csv_and_parquet_policy(tmp_path: Path) -> None:
    import csv

    tasks = _tasks(["mlp 3-2-1 x^2", "mlp 2-2-1 x^2"], ["dim", "expected"])
    with Store(tmp_path / "a.db") as st:
        st.add((t, run_in_process(t.target, t.spec, t.options)) for t in tasks)
        assert st.export(tmp_path / "all.csv") == 4
        assert st.export(tmp_path / "dim.csv", "invariant = 'dim'") == 2
        with pytest.raises(StoreError, match=r"\.csv or \.parquet"):
            st.export(tmp_path / "x.xlsx")
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            with pytest.raises(StoreError, match="pyarrow"):
                st.export(tmp_path / "x.parquet")
    with (tmp_path / "dim.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["architecture"] for r in rows} == {"mlp 3-2-1 x^2", "mlp 2-2-1 x^2"}
    assert all(json.loads(r["result"])["dimension"] == int(r["value"]) for r in rows)


_WRITER = textwrap.dedent(
    """
    import sys
    from neurovariety.sweeps import Outcome, Store, family_from_dict
    specs = [f"mlp {a}-{b}-1 x^2" for a in range(1, 11) for b in range(1, 9)]
    tasks = family_from_dict({"specs": specs, "invariants": ["expected"]}).tasks()
    offset = int(sys.argv[2])
    with Store(sys.argv[1]) as st:
        for i in range(offset, offset + 48):
            t = tasks[i % len(tasks)]
            st.add([(t, Outcome("ok", {"expected_dimension": i}, None, 0.0))], sweep=offset)
    """
)


def test_concurrent_writers_never_duplicate(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(db), str(off)]) for off in (0, 16, 32)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with Store(db, readonly=True) as st:
        keys = [r["key"] for r in st.query()]
    assert len(keys) == len(set(keys)) == 80  # the union of 0..47, 16..63, 32..79


def test_sandbox_budgets_failures_and_crashes() -> None:
    sb = Sandbox()
    try:
        items = [
            (DIM, "mlp 2-2-1 x^2", {}),
            (DIM, "mlp 8-40-40-40-8 x^3", {}),  # far more than 0.5 s
            (DIM, "mlp 2-2-1 x^2", {"method": "bogus"}),
            ("sys:exit", "mlp 2-2-1 x^2", {}),  # takes the whole process down
            ("neurovariety.sweeps.registry:expected", "mlp 3-2-1 x^2", {}),
        ]
        t0 = time.monotonic()
        out = sb.run_many(items, timeout=0.5)
        assert time.monotonic() - t0 < 60
        assert [o.status for o in out] == ["ok", "timeout", "failed", "failed", "ok"]
        assert out[0].result is not None
        assert out[0].result["dimension"] == formulas.shallow_mlp_dim(2, 2, 2)
        assert "time budget" in (out[1].error or "") and 0.5 <= out[1].seconds < 5
        assert "unknown method" in (out[2].error or "")
        assert "died" in (out[3].error or "")
        assert out[4].result is not None and out[4].result["expected_dimension"] == 6
        assert sb.restarts == 2  # after the timeout and after the crash
    finally:
        sb.close()


@pytest.mark.slow
def test_sandbox_memory_limit() -> None:
    sb = Sandbox()
    try:
        # a ~8,000 × 8,160 Jacobian (≈ 500 MB): over the 300 MiB limit whatever the imports cost
        o = sb.run(DIM, "mlp 8-60-60-60-8 x^3", {}, timeout=120, memory_limit=300 * 2**20)
        assert o.status == "failed" and "memory limit" in (o.error or "")
        assert sb.run(DIM, "mlp 2-2-1 x^2", {}, timeout=60).status == "ok"
    finally:
        sb.close()


def test_a_reader_waits_for_a_store_being_created(tmp_path: Path) -> None:
    """A reader that opens the file between its creation and its schema sees a whole store."""
    import threading

    path = tmp_path / "atlas.db"
    path.touch()  # what a reader can meet: the file exists, no tables yet

    def create() -> None:
        time.sleep(0.3)
        Store(path).close()

    creator = threading.Thread(target=create)
    creator.start()
    with Store(path, readonly=True, timeout=5.0) as st:
        assert st.count() == 0
    creator.join()
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreError, match="not a neurovariety store"):
        Store(empty, readonly=True, timeout=0.2)


def test_degrees_fibers_and_ed_degrees_can_be_swept(tmp_path: Path) -> None:
    # Values from the closed forms: the LCN cubic (KMST/LCN: degree (Σ(k_i−1))!/Π(k_i−1)! = 3),
    # one chart point per function (stride 2: birational), and the generic ED degree of the
    # Segre P¹×P¹ (2×2 rank-one matrices) = 6 for lcn k=2,2 s=2.
    tasks = _tasks(["lcn k=3,2 s=2"], ["degree", "fiber"]) + _tasks(["lcn k=2,2 s=2"], ["edd"])
    with Store(tmp_path / "a.db") as st:
        st.add((t, run_in_process(t.target, t.spec, t.options)) for t in tasks)
        got = {(r["architecture"], r["invariant"]): r["value"] for r in st.query()}
    assert got == {
        ("lcn k=3,2 s=2", "degree"): 3,
        ("lcn k=3,2 s=2", "fiber"): 1,
        ("lcn k=2,2 s=2", "edd"): 6,
    }
