"""The profile: every row has a value and says how it was decided."""

from __future__ import annotations

from typer.testing import CliRunner

from neurovariety import parse_architecture, profile
from neurovariety.cli import app


def _rows(spec: str, budget: float = 0.0) -> dict[str, object]:
    return {r.name: r.value for r in profile(parse_architecture(spec), budget=budget).rows}


def test_profile_of_the_pcn_node() -> None:
    rows = _rows("cnn k=2,2 x^2")
    assert rows["dimension"] == 3  # PCN: |k| − L + 1
    assert rows["degree"] == 4  # PCN degree formula for k = (2, 2), r = 2
    assert rows["generic ED degree"] == 14
    assert rows["stratum padding 0|1 1|0"] == "singular: yes"
    assert rows["fiber size"] == "skipped"  # no budget for monodromy


def test_profile_of_a_defective_mlp() -> None:
    rows = _rows("mlp 3-2-1 x^2")
    assert rows["dimension"] == 5 and rows["defect"] == 1
    assert rows["identifiable up to symmetry"] == "no"  # decided without monodromy


def test_profile_cli_json() -> None:
    result = CliRunner().invoke(app, ["profile", "lcn k=3,2 s=2", "--budget", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert '"degree"' in result.output and '"certified": true' in result.output


def test_profile_cli_bad_spec() -> None:
    result = CliRunner().invoke(app, ["profile", "mlp 2-3-1 tanh"])
    assert result.exit_code == 2
    assert "not a polynomial" in result.output and "Traceback" not in result.output


def test_profile_says_how_each_claim_was_proven() -> None:
    # PCN: k = (2, 2) with stride 2 is smooth, so every stratum row says "no" and why.
    p = profile(parse_architecture("cnn k=2,2 s=2 x^2"), budget=0.0)
    strata_rows = [r for r in p.rows if r.name.startswith("stratum ")]
    assert len(strata_rows) == 8
    assert all(r.value == "singular: no" and "PCN" in r.how for r in strata_rows)
    filling = next(r for r in p.rows if r.name == "filling")
    assert filling.value == "no" and "proven" in filling.how  # dim 3 < 6, certified
    # an MLP with a certified dimension: the fiber dimension is exact, not "probable"
    rows = {r.name: r for r in profile(parse_architecture("mlp 3-2-1 x^2"), budget=0.0).rows}
    assert "probable" not in rows["generic fiber dimension"].how
    assert "probable" not in rows["identifiable up to symmetry"].how
