"""``--where`` conditions against hand-written Python predicates over known rows; store files.

The store holds rows whose values are set here (no invariant is computed), so every expected
answer is a Python filter over the same rows, written independently of the SQL compiler.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from neurovariety.errors import StoreError
from neurovariety.sweeps import Outcome, Store, family_from_dict
from neurovariety.sweeps.where import MAX_IN, MAX_NESTING, compile_where

SPECS = ["mlp 3-2-1 x^2", "mlp 2-2-1 x^2", "mlp 3-1-2-1 x^3", "lcn k=3,2 s=2", "cnn k=2,2 x^2"]
# (status, value, defect, certified) per spec; None where the row has no such field
ROWS = {
    "mlp 3-2-1 x^2": ("ok", 5, 1, True),
    "mlp 2-2-1 x^2": ("ok", 3, 0, True),
    "mlp 3-1-2-1 x^3": ("failed", None, None, None),
    "lcn k=3,2 s=2": ("ok", 4, 0, False),
    "cnn k=2,2 x^2": ("timeout", None, None, None),
}


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("where") / "atlas.db"
    tasks = family_from_dict({"specs": SPECS, "invariants": ["dim"]}).tasks()
    items = []
    for t in tasks:
        status, value, defect, certified = ROWS[t.spec]
        result = None
        if status == "ok":
            result = {"dimension": value, "defect": defect, "certified": certified}
        items.append((t, Outcome(status, result, None if result else "boom", 0.5)))
    with Store(path) as st:
        st.add(items)
    return path


KIND = {s: s.split()[0] for s in SPECS}
DEGREE = {"mlp 3-2-1 x^2": 2, "mlp 2-2-1 x^2": 2, "mlp 3-1-2-1 x^3": 3, "lcn k=3,2 s=2": 1}
DEGREE["cnn k=2,2 x^2"] = 2

CASES: list[tuple[str, Callable[[str], bool]]] = [
    ("defect > 0 AND degree = 2", lambda s: (ROWS[s][2] or 0) > 0 and DEGREE[s] == 2),
    ("kind = 'mlp'", lambda s: KIND[s] == "mlp"),
    ("KIND = 'mlp' and not degree = 2", lambda s: KIND[s] == "mlp" and DEGREE[s] != 2),
    ("kind IN ('lcn', 'cnn')", lambda s: KIND[s] in ("lcn", "cnn")),
    ("kind NOT IN ('lcn', 'cnn')", lambda s: KIND[s] not in ("lcn", "cnn")),
    ("value IS NULL", lambda s: ROWS[s][1] is None),
    ("value IS NOT NULL AND certified = false", lambda s: ROWS[s][3] is False),
    ("certified = TRUE", lambda s: ROWS[s][3] is True),
    ("status != 'ok'", lambda s: ROWS[s][0] != "ok"),
    ("status <> 'ok' OR value >= 5", lambda s: ROWS[s][0] != "ok" or (ROWS[s][1] or 0) >= 5),
    # AND binds tighter than OR; parentheses override
    (
        "kind = 'cnn' OR kind = 'mlp' AND degree = 3",
        lambda s: KIND[s] == "cnn" or (KIND[s] == "mlp" and DEGREE[s] == 3),
    ),
    (
        "(kind = 'cnn' OR kind = 'mlp') AND degree = 3",
        lambda s: KIND[s] in ("cnn", "mlp") and DEGREE[s] == 3,
    ),
    ("NOT (kind = 'mlp' OR kind = 'lcn')", lambda s: KIND[s] not in ("mlp", "lcn")),
    ("value > -1.5e0", lambda s: ROWS[s][1] is not None),
    ("seconds = 0.5 AND depth == 2", lambda s: s != "mlp 3-1-2-1 x^3"),
    ("2 < value", lambda s: (ROWS[s][1] or 0) > 2),
    ("architecture = 'mlp 3-2-1 x^2'", lambda s: s == "mlp 3-2-1 x^2"),
    ("architecture = 'it''s'", lambda s: False),  # '' is a quote inside a string
]


@pytest.mark.parametrize(("where", "predicate"), CASES)
def test_conditions_match_python_filters(
    atlas: Path, where: str, predicate: Callable[[str], bool]
) -> None:
    with Store(atlas, readonly=True) as st:
        got = sorted(r["architecture"] for r in st.query(where))
        assert st.count(where) == len(got)
    assert got == sorted(s for s in SPECS if predicate(s))


def test_limit_is_a_parameter(atlas: Path) -> None:
    with Store(atlas, readonly=True) as st:
        assert len(st.query("kind = 'mlp'", limit=2)) == 2
        assert len(st.query(None, limit=1)) == 1


def test_compiled_sql_holds_no_text_of_the_condition() -> None:
    sql, params = compile_where("kind = 'x'' OR 1=1 --' AND degree IN (2, 3)", ["kind", "degree"])
    assert sql == '("kind" = ? AND "degree" IN (?, ?))'
    assert params == ["x' OR 1=1 --", 2, 3]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("bogus > 0", "no such column 'bogus'"),
        ("kind = NULL", "IS NULL"),
        ("kind IS 3", "IS is followed by NULL"),
        ("kind NOT = 'mlp'", "NOT here must be followed by IN"),
        ("defect >", "unexpected end"),
        ("(defect > 0", "expected ')'"),
        ("defect > 0)", "unexpected ')'"),
        ("defect - 1 > 0", "expected a comparison"),
        ("kind = 'mlp' kind = 'cnn'", "unexpected 'kind'"),
        ("(" * (MAX_NESTING + 1) + "defect > 0" + ")" * (MAX_NESTING + 1), "nested"),
        ("defect IN (" + ", ".join(["1"] * (MAX_IN + 1)) + ")", "IN list"),
        ("", "empty"),
    ],
)
def test_bad_conditions_name_the_problem(where: str, message: str) -> None:
    columns = ["kind", "defect"]
    with pytest.raises(StoreError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_where(where, columns)


def test_deepest_allowed_nesting_compiles() -> None:
    depth = MAX_NESTING - 1
    sql, params = compile_where("(" * depth + "defect > 0" + ")" * depth, ["defect"])
    assert params == [0] and '"defect" > ?' in sql


def _one_row_store(path: Path, spec: str) -> None:
    (task,) = family_from_dict({"specs": [spec], "invariants": ["expected"]}).tasks()
    with Store(path) as st:
        st.add([(task, Outcome("ok", {"expected_dimension": 1}, None, 0.0))])


@pytest.mark.parametrize("name", ["run#1.db", "a?b.db", "x%20y.db", "semi;colon.db"])
def test_file_names_are_not_read_as_uri_syntax(tmp_path: Path, name: str) -> None:
    for decoy in ("run", "a", "x y.db"):  # where an unquoted URI would point
        _one_row_store(tmp_path / decoy, "mlp 2-2-1 x^2")
    _one_row_store(tmp_path / name, "mlp 3-2-1 x^2")
    with Store(tmp_path / name, readonly=True) as st:
        assert [r["architecture"] for r in st.query()] == ["mlp 3-2-1 x^2"]


def _sql(path: Path, statement: str) -> list[Any]:
    conn = sqlite3.connect(path)
    try:
        with conn:
            return conn.execute(statement).fetchall()
    finally:
        conn.close()


def test_a_store_marks_itself_and_refuses_foreign_files(tmp_path: Path) -> None:
    store = tmp_path / "atlas.db"
    _one_row_store(store, "mlp 2-2-1 x^2")
    assert _sql(store, "PRAGMA application_id") == [(int.from_bytes(b"NVAT", "big"),)]
    foreign = tmp_path / "notes.db"
    _sql(foreign, "CREATE TABLE notes (text TEXT)")
    with pytest.raises(StoreError, match="another application"):
        Store(foreign)
    # untouched: no tables added, not switched to WAL
    assert _sql(foreign, "SELECT name FROM sqlite_master") == [("notes",)]
    assert _sql(foreign, "PRAGMA journal_mode") == [("delete",)]
    other_app = tmp_path / "other_app.db"  # no tables, but another application's header id
    _sql(other_app, "PRAGMA application_id = 1234")
    with pytest.raises(StoreError, match="another application"):
        Store(other_app)


def test_old_stores_without_the_header_marker_still_open(tmp_path: Path) -> None:
    store = tmp_path / "old.db"
    _one_row_store(store, "mlp 2-2-1 x^2")
    _sql(store, "PRAGMA application_id = 0")
    with Store(store) as st:
        rows: list[dict[str, Any]] = st.query()
    assert [r["architecture"] for r in rows] == ["mlp 2-2-1 x^2"]
