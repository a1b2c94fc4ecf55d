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


def test_json_comes_from_the_result_with_its_certification(tmp_path):
    f = tmp_path / "sys.txt"
    f.write_text("variables: y, x\nx^2 - 2\ny - 1\n")  # (y, x) = (1, ±sqrt 2): real, regular
    out = json.loads(runner.invoke(app, ["solve", str(f), "--json"]).stdout)
    assert out["variables"] == ["y", "x"] and out["parameters"] == []
    assert out["certified"] == [False, False] and "certified_real" not in out
    out = json.loads(runner.invoke(app, ["solve", str(f), "--json", "--certify"]).stdout)
    assert out["certified"] == [True, True]
    assert out["certified_real"] == 2 and out["certified_distinct"] == 2
    assert out["n_certified"] == 2


def test_monodromy_at_random_parameters_certifies_there(tmp_path):
    f = tmp_path / "sys.txt"
    f.write_text("parameters: a\nx^2 - a\n")  # x = ±sqrt(a): two regular roots for a != 0
    res = runner.invoke(app, ["solve", str(f), "--method", "monodromy", "--certify", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    a = complex(*out["parameters"][0])
    roots = [complex(*row[0]) for row in out["solutions"]]
    assert abs(a) > 0 and all(abs(z * z - a) < 1e-9 * max(1, abs(a)) for z in roots)
    assert out["nsolutions"] == 2 and out["certified"] == [True, True]
    text = runner.invoke(app, ["solve", str(f), "--method", "monodromy", "--certify"]).stdout
    assert "2 regular solutions certified" in text and "ledger" in text
