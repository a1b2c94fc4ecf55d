"""`neurovariety profile`: its optional items are chosen by a cost estimate, never by the clock."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from neurovariety import dimension, parse_architecture, profile
from neurovariety.cli import app
from neurovariety.invariants.profile import DAY, count_seconds, degree_cost, fiber_cost


def test_the_quick_start_skips_its_degree_by_estimate() -> None:
    arch = parse_architecture("mlp 2-3-2-3-4 x^2")
    dim = dimension(arch)
    method, seconds, what = degree_cost(arch, dim)
    # dim 16 among 36 coordinates: degree ≥ codim + 1 = 21, an interpolation on C(37, 16) ≫ 6000
    # monomials; the chart keeps 30 − 8 rescalings = 22 variables ≠ 16 (no exact count), so
    # witness sets on ≥ 21 · |S3 × S2 × S3| = 21 · 72 = 1512 points
    assert math.comb(21 + 16, 16) > 6000
    assert method == "witness" and "≥ 1512 points in 22 variables" in what
    assert seconds > DAY
    assert fiber_cost(arch, dim)[0] == 0.0  # fiber dimension 14 > 8 rescalings: nothing to count
    rows = {r.name: r for r in profile(arch).rows}
    assert rows["degree (computed)"].value == "skipped"
    assert "over a day" in rows["degree (computed)"].how
    assert rows["identifiable up to symmetry"].value == "no"


def test_an_item_runs_exactly_when_its_estimate_fits() -> None:
    arch = parse_architecture("lcn k=3,2 s=2")
    dim = dimension(arch)
    fiber_estimate, _ = fiber_cost(arch, dim)
    method, degree_estimate, what = degree_cost(arch, dim)
    # the Segre cubic (KMST): 35 = C(3 + 4, 4) cubic monomials in dim + 1 = 5 variables
    assert method == "projection" and "≥ 35 monomials" in what
    below = {r.name: r for r in profile(arch, budget=min(fiber_estimate, degree_estimate) / 2).rows}
    needed = math.ceil(fiber_estimate)  # ~1 s by msolve, ~11 s by monodromy without it
    assert below["fiber size"].value == "skipped"
    assert f"--budget {needed} " in below["fiber size"].how
    assert below["degree (computed)"].value == "skipped"
    above = {r.name: r.value for r in profile(arch, budget=60).rows}
    assert above["degree (computed)"] == 3  # c1c2c3 − c0c3² − c1²c4
    assert above["fiber size (gauge chart)"] == 1  # one filter rescaling, fixed by the chart


def test_count_estimates_grow_with_variables_and_points() -> None:
    assert count_seconds(6, 4) > count_seconds(5, 4) > count_seconds(5, 2) > 0


def test_profile_json_is_the_only_stdout() -> None:
    res = CliRunner().invoke(app, ["profile", "lcn k=3,2 s=2", "--budget", "0", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r["value"] for r in json.loads(res.stdout)["rows"]}
    assert rows["dimension"] == 4 and rows["degree"] == 3
