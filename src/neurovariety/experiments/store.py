"""Resumable output of experiments: one JSON line per finished run, appended and fsynced at once.

A folder holds ``runs.jsonl``. Each line is a record ``{"key": …, "run": …, …}``: ``key`` names the
experiment (a hash of everything that determines its results), ``run`` the run inside it (a seed,
a sample size). A run is written as soon as it is finished, so an interrupted experiment loses at
most the runs in flight; on restart :meth:`RunStore.done` lists the finished ones and they are
skipped. A line cut short by a crash is ignored on reading.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ExperimentError
from ..results import _jsonable

__all__ = ["RunStore", "experiment_key"]

RUNS_FILE = "runs.jsonl"


def _plain(value: Any) -> Any:
    """JSON-able form (numpy arrays become nested lists first)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _jsonable(value)


def experiment_key(*parts: Any) -> str:
    """Stable 16-hex-digit hash of JSON-able parts (architecture specs, options, data hashes).

    >>> k = experiment_key("mlp 2-2-1 x^2", {"lr": 0.01})
    >>> k == experiment_key("mlp 2-2-1 x^2", {"lr": 0.01}) != experiment_key("mlp 2-2-1 x^2")
    True
    >>> len(experiment_key(1, 2))
    16
    """
    text = json.dumps(_plain(list(parts)), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RunStore:
    """Append-only store of finished runs in ``folder/runs.jsonl``.

    >>> import tempfile
    >>> s = RunStore(tempfile.mkdtemp())
    >>> s.append("k", 3, {"loss": 0.5})
    >>> s.done("k"), s.records("k")[3]["loss"]
    ({3}, 0.5)
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ExperimentError(
                f"cannot create the output folder {str(self.folder)!r}: {e.strerror}; "
                "pass a writable --out folder"
            ) from None
        if not self.folder.is_dir():
            raise ExperimentError(f"{str(self.folder)!r} is not a folder; pass a folder as --out")
        self.path = self.folder / RUNS_FILE

    def _lines(self) -> Iterable[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption: that run is simply redone
                if isinstance(rec, dict) and "key" in rec and "run" in rec:
                    yield rec

    def records(self, key: str) -> dict[Any, dict[str, Any]]:
        """Finished runs of experiment ``key``, by run id (the first record of a run wins)."""
        out: dict[Any, dict[str, Any]] = {}
        for rec in self._lines():
            if rec["key"] == key:
                out.setdefault(rec["run"], rec)
        return out

    def done(self, key: str) -> set[Any]:
        """Run ids already finished for experiment ``key``."""
        return set(self.records(key))

    def append(self, key: str, run: Any, record: dict[str, Any]) -> None:
        """Write one finished run (flushed and fsynced before returning)."""
        line = json.dumps(_plain({"key": key, "run": run, **record}))
        # A previous crash may have left a partial last line: start ours on a fresh line.
        prefix = ""
        if self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    prefix = "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(prefix + line + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def write_json(self, name: str, data: Any) -> Path:
        """Write a summary file ``folder/name`` (JSON, atomically replaced)."""
        path = self.folder / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(_plain(data), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path
