"""Reports: the coordinates behind the pictures, the page's content, the budget, the CLI."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from neurovariety import parse_architecture, profile
from neurovariety.cli import app
from neurovariety.invariants.dimension import dimension
from neurovariety.invariants.equations import coordinates
from neurovariety.parametrization.exact import coefficient_polynomials
from neurovariety.report import build_report, function_coordinates, neuromanifold_figure
from neurovariety.report.build import SECTIONS


def test_function_coordinates_match_the_exact_parametrization() -> None:
    arch = parse_architecture("cnn k=2,2 x^2")
    import flint

    nums = (3, -5, 2, 11)
    outs, _ = coefficient_polynomials(arch)

    def value(e: tuple[int, ...]) -> float:
        if e not in outs[0]:
            return 0.0
        c = outs[0][e](*[flint.fmpq(n, 7) for n in nums])
        return float(Fraction(int(c.p), int(c.q)))

    exact = [value(e) for _, e in coordinates(arch)]
    theta = [Fraction(n, 7) for n in nums]
    numeric = function_coordinates(arch, [[float(t) for t in theta]])[0]
    np.testing.assert_allclose(numeric, exact, rtol=1e-9, atol=1e-12)


def test_cloud_of_rank_one_quadrics_lies_on_the_cone() -> None:
    # mlp 2-1-1 x^2: w(ax + by)^2 has coordinates (wa², 2wab, wb²): 4·c0·c2 = c1²
    c = function_coordinates(parse_architecture("mlp 2-1-1 x^2"), np.random.randn(50, 3))
    np.testing.assert_allclose(4 * c[:, 0] * c[:, 2], c[:, 1] ** 2, rtol=1e-8, atol=1e-10)


def test_no_picture_above_dimension_three() -> None:
    arch = parse_architecture("mlp 2-2-1 x^3+x^2")
    reason = neuromanifold_figure(arch, dimension(arch).dimension, [])
    assert reason == "dimension 6 > 3: no faithful 3-dimensional picture"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_report_of_an_lcn(tmp_path: Path) -> None:
    arch = parse_architecture("lcn k=3,2 s=2")
    prof = profile(arch, budget=60)  # enough for the computed degree on a busy machine
    r = build_report(arch, tmp_path, budget=30, prof=prof)
    html = (tmp_path / "index.html").read_text()
    text = _text(html)
    for s in SECTIONS:
        assert f'id="{s}"' in html
    assert "c0*c3^2 + c1^2*c4 - c1*c2*c3 = 0" in text  # the LCN cubic
    assert "closed formula 3 (Segre degree (KMST, strides &gt; 1)): agrees" in text
    assert "singular: yes" in text or '<span class="yes">yes</span>' in html
    # strata verdicts come with their reasons; smooth ones rest on KMST's projection
    assert "smooth (proven)" in text and "KMST, arXiv:2304.05752" in text
    assert "zero ideal" not in text
    # Razor: CNN/LCN strata carry no critical points for generic data
    assert re.search(r"padding [0-9| ]+ estimate 0/3", text)
    # dimension 4: no point cloud, and why; the exact slice through the node instead
    assert r.figures == ["bounds", "slice", "landscape", "exposure"]
    assert "node: two distinct real tangent lines" in text
    assert (
        "picture of the neuromanifold",
        "dimension 4 > 3: no faithful 3-dimensional picture",
    ) in r.skipped
    assert "no faithful 3-dimensional picture" in text
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # self-contained
    assert html.count('src="data:image/png;base64,') == 4


def test_report_of_an_mlp_shows_exposed_strata_and_the_picture(tmp_path: Path) -> None:
    r = build_report(parse_architecture("mlp 2-1-1 x^2"), tmp_path, budget=20)
    text = _text((tmp_path / "index.html").read_text())
    assert r.figures == ["bounds", "neuromanifold", "slice", "landscape", "exposure"]
    assert "4*c0*c2 - c1^2 = 0" in text
    # width 1: the stratum computes only 0, whose critical points (θ = 0) are on the zero fiber,
    # not counted (as for CNN strata; Razor is away from 0) -- landscape.critical decides it
    assert re.search(r"inactive-out layer 1 neurons 0 zero fiber \(every dataset\) 0/3", text)


def test_zero_budget_skips_and_says_why(tmp_path: Path) -> None:
    r = build_report(parse_architecture("mlp 2-1-1 x^2"), tmp_path, budget=0)
    names = [a for a, _ in r.skipped]
    assert "equations" in names and "critical exposure of inactive-out layer 1 neurons 0" in names
    assert "fiber size" in names  # the profile's own skipped rows are listed too
    text = _text((tmp_path / "index.html").read_text())
    assert "time budget left" in text
    assert r.figures == ["bounds", "neuromanifold", "landscape"]  # no exposure, figures drawn


def test_report_with_an_atlas(tmp_path: Path) -> None:
    from neurovariety.sweeps import Store, family_from_dict
    from neurovariety.sweeps.sandbox import run_in_process

    tasks = family_from_dict({"specs": ["mlp 3-2-1 x^2", "mlp 2-2-1 x^2"], "invariants": ["dim"]})
    db = tmp_path / "atlas.db"
    with Store(db) as st:
        st.add([(t, run_in_process(t.target, t.spec, t.options)) for t in tasks.tasks()])
    r = build_report(parse_architecture("mlp 2-1-1 x^2"), tmp_path / "rep", budget=0, atlas=db)
    assert r.figures[-1] == "atlas"
    empty = tmp_path / "empty.db"
    Store(empty).close()
    r = build_report(parse_architecture("mlp 2-1-1 x^2"), tmp_path / "rep2", budget=0, atlas=empty)
    assert "atlas" not in r.figures
    assert any(a == "atlas heatmap" and "run a dim sweep" in b for a, b in r.skipped)


def test_profile_cli_report(tmp_path: Path) -> None:
    out = tmp_path / "r"
    res = CliRunner().invoke(
        app, ["profile", "mlp 2-1-1 x^2", "--budget", "4", "--report", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["report"]["path"] == str(out / "index.html") and (out / "index.html").exists()
    assert data["report"]["timings"]["profile"] > 0
    assert data["rows"][0]["compared_with"] == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--atlas", "x.db"], "add --report DIR"),
        (["--atlas", "missing.db", "--report", "r"], "no such file"),
    ],
)
def test_profile_cli_report_errors(tmp_path: Path, args: list[str], message: str) -> None:
    res = CliRunner().invoke(
        app,
        [
            "profile",
            "mlp 2-1-1 x^2",
            *[str(tmp_path / a) if a.endswith(("db", "r")) else a for a in args],
        ],
    )
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output


def test_results_render_as_html_tables() -> None:
    html = dimension(parse_architecture("mlp 3-2-1 x^2"))._repr_html_()
    assert html.startswith('<table class="neurovariety-result">')
    assert "DimensionResult  mlp 3-2-1 x^2" in html and "defect 1" in html
    assert html.count("<tr>") == 1 + len(dimension(parse_architecture("mlp 3-2-1 x^2")).bullets())


FOUR = ["mlp 2-3-2-3-4 x^2", "mlp 2-2-1 x^3+x^2", "cnn k=2,2 s=1 x^2", "lcn k=3,2 s=2"]


@pytest.mark.slow
@pytest.mark.parametrize("spec", FOUR)
def test_the_four_reports_take_under_a_minute(tmp_path: Path, spec: str) -> None:
    import time

    t0 = time.perf_counter()
    res = CliRunner().invoke(app, ["profile", spec, "--report", str(tmp_path), "--json"])
    seconds = time.perf_counter() - t0
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)["report"]
    assert "landscape" in report["figures"]
    assert ("neuromanifold" in report["figures"]) == spec.startswith("cnn")
    assert seconds < 60, seconds


def test_report_never_calls_a_partial_search_the_zero_ideal() -> None:
    # KTB: mlp 2-3-2-3-4 x^2 has dimension 16 < 36, so I(V) ≠ 0, but the report's budget stops
    # the interpolation before degree 4 and no equation of degree ≤ 3 exists.
    import time

    from neurovariety.report.build import _Clock, _equations_section

    skipped: list[tuple[str, str]] = []
    clock = _Clock(time.perf_counter(), 60.0)
    html, _ = _equations_section(parse_architecture("mlp 2-3-2-3-4 x^2"), 0, clock, skipped)
    text = _text(html)
    assert "zero ideal" not in text
    assert "(none of degree ≤ 3, proven; I(V) ≠ 0 since dim V = 16 &lt; 36)" in text
    assert any(item.startswith("equations beyond degree 3") for item, _ in skipped)
