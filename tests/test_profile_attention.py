"""The profile and HTML report of lightning self-attention (HMK arXiv:2408.17221).

Expected values by hand: a layer y_k = Σ_j ⟨Q x_k, K x_j⟩ V x_j is cubic in X, so L layers give
forms of degree 3^L; one layer with t ≥ 2 spans d_1·d_0·d_0(d_0+1)/2 coefficients. The singular
loci of one layer are those of the hand table in tests/test_attention_geometry.py (its stated
values, restated here): f = 0 for d ≥ 2, rank A < min(a, d) for a < d, rank V = 1 for a = 1 with
d, d' ≥ 2; no boundary points (M is closed). Orbits: a = 1 and d' = 1 swap key and value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurovariety import parse_architecture
from neurovariety.invariants import exact_counts
from neurovariety.invariants.dimension import dimension
from neurovariety.invariants.profile import fiber_cost, profile

needs_msolve = pytest.mark.skipif(not exact_counts.available(), reason="msolve is not installed")

SINGULAR = "singular points (one layer)"
BOUNDARY = "boundary points (one layer)"


def _rows(spec: str) -> dict:
    return {r.name: r for r in profile(parse_architecture(spec), budget=5).rows}


@pytest.mark.parametrize(
    ("spec", "ambient", "degree"),
    [
        ("attn t=2 d=2 a=1", 2 * 2 * 3, "cubic"),  # d_1·d_0·d_0(d_0+1)/2
        ("attn t=2 d=3,1 a=2", 1 * 3 * 6, "cubic"),
    ],
)
def test_one_layer_ambient_row_is_cubic(spec: str, ambient: int, degree: str) -> None:
    row = _rows(spec)["ambient dimension"]
    assert row.value == ambient
    assert degree in row.how and "degree 6" not in row.how


def test_two_layers_give_forms_of_degree_nine() -> None:
    arch = parse_architecture("attn t=2 d=2,2,1 a=1,1")
    row = _rows(arch.spec)["ambient dimension"]
    assert "degree 9" in row.how and "superset" in row.how  # 3² = 9, not total_degree 12
    # one output of degree 9 in t·d_0 = 4 variables: C(4 + 8, 9) forms
    assert row.value == 220


@pytest.mark.parametrize(
    ("spec", "singular"),
    [
        ("attn t=2 d=2 a=1", "rank V = 1 (a = 1); f = 0"),
        ("attn t=2 d=2 a=2", "f = 0"),
        ("attn t=2 d=3 a=2", "rank A = 1 < min(a, d); f = 0"),
        ("attn t=2 d=2,1 a=1", "f = 0"),
        ("attn t=2 d=1,2 a=1", "none"),
    ],
)
def test_one_layer_singular_and_boundary_rows(spec: str, singular: str) -> None:
    rows = _rows(spec)
    assert rows[SINGULAR].value == singular and "proven" in rows[SINGULAR].how
    assert rows[BOUNDARY].value == "none" and "closed" in rows[BOUNDARY].how


@pytest.mark.parametrize(
    ("spec", "why"), [("attn t=2 d=2 a=1,1", "one layer"), ("attn t=1 d=2 a=1", "t ≥ 2")]
)
def test_geometry_rows_skipped_with_the_reason(spec: str, why: str) -> None:
    rows = _rows(spec)
    for name in (SINGULAR, BOUNDARY):
        assert rows[name].value == "skipped" and why in rows[name].how


def test_fiber_cost_names_the_gauge_chart() -> None:
    arch = parse_architecture("attn t=2 d=2,1 a=1")
    seconds, what = fiber_cost(arch, dimension(arch))
    assert "no gauge chart" not in what
    if exact_counts.available():
        # dim M = 4 chart variables, 2 orbits predicted (key ↔ value)
        assert 0 < seconds < 5 and "2 orbits in 4 chart variables" in what


@needs_msolve
def test_profile_counts_the_key_value_swap() -> None:
    rows = _rows("attn t=2 d=2,1 a=1")
    assert rows["fiber size (gauge chart)"].value == 2
    assert rows["identifiable up to symmetry"].value == "no"


def test_report_shows_the_loci(tmp_path: Path) -> None:
    from neurovariety.report.build import build_report

    r = build_report(parse_architecture("attn t=2 d=2 a=1"), tmp_path, budget=5)
    html = (tmp_path / "index.html").read_text()
    start = html.index('id="strata"')
    strata = html[start : html.index("</section>", start)]
    for text in ("rank V = 1 (a = 1)", "f = 0", "rank A = min(a, d)", "M is closed"):
        assert text in strata
    assert "no boundary points" in html  # the summary
    assert SINGULAR not in [name for name, _ in r.skipped]
