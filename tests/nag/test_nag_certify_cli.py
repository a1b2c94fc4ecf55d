"""Krawczyk certification and the ``solve`` command."""

from __future__ import annotations

import json

import jax.numpy as jnp
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from neurovariety.cli.nag import register
from neurovariety.errors import CertificationError
from neurovariety.nag import certify, parse_system, solve, system_from_callable
from neurovariety.results import Verdict


def test_certify_all_regular_solutions_and_count_real_ones():
    F = parse_system("x^2 + y^2 - 4\nx*y - 1")  # 4 real solutions
    r = solve(F, seed=0)
    c = certify(F, r)
    assert (c.n_certified, c.n_distinct, c.n_certified_real) == (4, 4, 4)
    G = parse_system("x^2 + y^2 + 1\nx - y")  # x = ±i/sqrt(2): no real solution
    c = certify(G, solve(G, seed=0))
    assert c.n_certified == 2 and c.n_certified_real == 0


def test_certification_is_three_valued_never_a_false_yes():
    F = parse_system("x^2 - 2")
    c = certify(F, [[1.5]])  # far from sqrt(2): the box test cannot succeed
    assert c.verdicts == (Verdict.UNKNOWN,)
    c = certify(F, [[np.sqrt(2) + 1e-9]])
    assert c.verdicts == (Verdict.YES,) and c.real == (Verdict.YES,)
    assert c.radii[0] < 1e-6


def test_certify_refuses_callables():
    F = system_from_callable(lambda x, p: jnp.stack([x[0] ** 2 - 2.0]), 1)
    with pytest.raises(CertificationError, match="text"):
        certify(F, [[1.4]])


@pytest.fixture()
def app():
    a = typer.Typer()
    register(a)

    @a.callback()
    def main() -> None:
        """neurovariety"""

    return a


def test_cli_json(app, tmp_path):
    f = tmp_path / "sys.txt"
    f.write_text("variables: x, y\nparameters: a\nx^2 + y^2 - a  # a circle\nx*y - 2\n")
    res = CliRunner().invoke(app, ["solve", str(f), "--seed", "4", "--json", "--parameters", "5"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["nsolutions"] == 4 and out["nreal"] == 4 and out["seed"] == 4
    assert set(out["ledger"]) == {"tracked", "success", "at_infinity", "singular", "failed"}
    assert out["ledger"]["tracked"] == 4
    assert all(len(z) == 2 for row in out["solutions"] for z in row)  # [re, im] pairs


def test_cli_human_output_and_certify(app, tmp_path):
    f = tmp_path / "sys.txt"
    f.write_text("x^2 - 4x + 4\n")
    res = CliRunner().invoke(app, ["solve", str(f), "--seed", "1", "--certify"])
    assert res.exit_code == 0, res.output
    assert "1 singular solution (" in res.output and "random seed: 1" in res.output
    assert "ledger" in res.output


@pytest.mark.parametrize(
    "content, args, words",
    [
        ("x^2 + sin(y)\n", [], ["line 1", "not polynomial"]),
        ("x + y\n", [], ["2 unknowns but only 1 equations"]),
        ("parameters: a\nx - a\n", ["--parameters", "1,2"], ["expected 1 parameter"]),
        ("parameters: a\nx - a\n", ["--parameters", "one"], ["comma-separated"]),
    ],
)
def test_cli_errors_are_clean_with_exit_code_2(app, tmp_path, content, args, words):
    f = tmp_path / "bad.txt"
    f.write_text(content)
    res = CliRunner().invoke(app, ["solve", str(f), *args])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    for w in words:
        assert w in res.output.replace("\n", " ")


def test_cli_missing_file(app, tmp_path):
    res = CliRunner().invoke(app, ["solve", str(tmp_path / "none.txt")])
    assert res.exit_code == 2 and "no such file" in res.output


def test_a_certification_result_serialises() -> None:
    # its fields hold numpy arrays (radii, solutions): each must become a JSON list
    import json

    from neurovariety.nag import certify, parse_system, solve

    F = parse_system("x^2 - 2\ny - 1")
    d = json.loads(json.dumps(certify(F, solve(F, seed=0)).to_dict()))
    assert len(d["solutions"]) == 2 and len(d["radii"]) == 2
