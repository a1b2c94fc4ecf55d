"""Data files of `critical --data` and `train --data`: a CSV may start with a header line; a bad
line later on is an input error (exit code 2) that names the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from neurovariety.architectures import parse_architecture
from neurovariety.cli import app
from neurovariety.cli.landscape import _read_data
from neurovariety.errors import ExperimentError, NeurovarietyError
from neurovariety.experiments.data import load_data, read_csv


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "d.csv"
    p.write_text(text)
    return p


def test_a_header_line_is_skipped(tmp_path: Path) -> None:
    p = _write(tmp_path, "x0,x1,y\n1,2,3\n\n-4.5,5e-1,6\n")
    expected = np.array([[1.0, 2.0, 3.0], [-4.5, 0.5, 6.0]])
    assert np.array_equal(read_csv(p), expected)
    X, Y = _read_data(str(p), parse_architecture("mlp 2-3-1 x^2"))
    assert np.array_equal(X, expected[:, :2]) and np.array_equal(Y, expected[:, 2:])
    ds = load_data(p, 2, 1)
    assert np.array_equal(ds.Y.ravel(), [3.0, 6.0])


def test_without_a_header_every_line_is_data(tmp_path: Path) -> None:
    assert read_csv(_write(tmp_path, "1,2,3\n4,5,6\n")).shape == (2, 3)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("x0,x1,y\n1,2,3\n4,five,6\n", 3, "'five' is not a number"),
        ("1,2,3\nx0,x1,y\n", 2, "'x0' is not a number"),  # a header only comes first
        ("x,y,z\n1,2,3\n4,5\n", 3, "2 columns where the lines before have 3"),
    ],
)
def test_a_later_bad_line_is_named(tmp_path: Path, text: str, line: int, what: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(ExperimentError, match=f"line {line}: .*{what}"):
        read_csv(p)
    with pytest.raises(NeurovarietyError, match=f"line {line}"):
        _read_data(str(p), parse_architecture("mlp 2-3-1 x^2"))


def test_a_header_alone_is_no_data(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="no rows of numbers"):
        read_csv(_write(tmp_path, "x0,x1,y\n"))


def test_the_command_line_exits_2_naming_the_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "x0,x1,y\n1,2,3\n4,5,?\n")
    res = CliRunner().invoke(app, ["train", "mlp 2-1-1 x^2", "--data", str(p), "-q"])
    assert res.exit_code == 2 and "d.csv, line 3: '?' is not a number" in res.stderr
