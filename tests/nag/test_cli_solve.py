"""``neurovariety solve``: --method and --start are choices; the JSON keys of the result."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from neurovariety.cli import app

runner = CliRunner()


def test_monodromy_from_the_command_line(tmp_path):
    f = tmp_path / "sys.txt"
    f.write_text("variables: x, y\nparameters: a, b\nx^2 + y^2 - a\nx*y - b\n")
    args = ["solve", str(f), "--method", "monodromy", "--parameters", "5,2", "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # (±1, ±2), (±2, ±1) with equal signs: four real solutions
    assert out["nsolutions"] == 4 and out["nreal"] == 4 and out["start_system"] == "monodromy"
    assert out["variables"] == ["x", "y"] and out["ledger"]["failed"] == 0


def test_bad_method_and_start_are_refused_with_exit_2(tmp_path):
    f = tmp_path / "sys.txt"
    f.write_text("x^2 - 1\n")
    for flag, value in (("--method", "newton"), ("--start", "linear")):
        res = runner.invoke(app, ["solve", str(f), flag, value])
        assert res.exit_code == 2 and value in res.output and "Traceback" not in res.output
