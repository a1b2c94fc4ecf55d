"""ED and learning degrees by monodromy, against closed formulas (generic ED degrees of Segre and
Segre–Veronese varieties, DHOST Thm 5.8; PCN arXiv:2410.00722, KMST arXiv:2304.05752)."""

from __future__ import annotations

import pytest

from neurovariety import NeurovarietyError, parse_architecture
from neurovariety.invariants import formulas
from neurovariety.landscape import edd
from neurovariety.parametrization.numeric import gauge_chart


def test_lcn_stride_two_generic_ed_degree() -> None:
    # KMST: generic ED degree of the Segre P¹×P¹ is 6 (DHOST's 2×2 rank-one matrices).
    r = edd(parse_architecture("lcn k=2,2 s=2"), seed=1, method="monodromy")
    assert r.count == 6 == formulas.segre_veronese_generic_ed_degree((1, 1), (1, 1))
    assert r.ledger["paths_failed"] == 0 or r.count == 6


def test_gauge_chart_removes_the_rescalings() -> None:
    f = parse_architecture("mlp 2-3-1 x^3")
    fixed, free = gauge_chart(f)
    assert len(fixed) == 3 and len(free) == f.n_params - 3


def test_positive_dimensional_fiber_is_refused() -> None:
    # r = 2 shallow nets have orthogonal hidden symmetries: the chart leaves a positive fiber
    # (auto and exact count these in function space: tests/test_edd_function_space.py).
    with pytest.raises(NeurovarietyError, match="positive-dimensional"):
        edd(parse_architecture("mlp 3-2-1 x^2"), method="monodromy")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spec", "expected"),
    [("lcn k=3,2 s=2", 10), ("cnn k=2,2 x^2", 14), ("cnn k=2,2 s=2 x^2", 14)],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ed_degrees_match_formulas_over_seeds(spec: str, expected: int, seed: int) -> None:
    r = edd(parse_architecture(spec), seed=seed, method="monodromy")
    assert r.count == expected == r.formula


@pytest.mark.slow
def test_a_large_count_ends_on_its_own_trace_line(monkeypatch) -> None:
    # The LCN with 2,385 critical points (the generic ED degree of a Segre product, KMST).
    # The trace is read inside the search: its line must survive the one path in ~2,400 that
    # fails its straight way (two detours) or meets another (which is sent round the same way).
    # With one short detour this seed lost all six of its lines and ran ~5 minutes to its stale
    # rule before a separate trace test; with detours but no resend it needed four lines.
    import neurovariety.nag.monodromy_search as m

    lines: list[object] = []
    line = m._TraceLine
    monkeypatch.setattr(m, "_TraceLine", lambda *a: lines.append(a) or line(*a))
    r = edd(parse_architecture("lcn k=3,3,3 s=2,2"), seed=1, time_limit=400, method="monodromy")
    assert r.count == 2385 == r.formula
    assert r.trace_test == "yes" and r.ledger["stop_reason"] == "trace test passed"
    assert len(lines) <= 2  # 1 here (AMD EPYC); slack for another CPU's rounding


@pytest.mark.slow
def test_stride_one_lcn_counts_functions_not_parameters() -> None:
    # k = (2, 2), stride 1: 2 parameter critical points (swap the two factors), 1 function.
    r = edd(parse_architecture("lcn k=2,2"), seed=0, method="monodromy")
    assert r.count == 1 and r.parameter_solutions == 2 and r.fiber_size == 2


def test_whitened_linear_data_are_refused_by_monodromy() -> None:
    # Whitened data on a linear net give Q = I (the Frobenius form): every path failed and the
    # count was 1 (truth 2); the search now refuses it and names the exact count.
    with pytest.raises(NeurovarietyError, match="multiple of the identity"):
        edd(parse_architecture("mlp 3-1-3 x"), form="data", whiten=True, method="monodromy")


def test_edd_command_prints_clean_json() -> None:
    # The progress line goes to stderr: stdout stays one JSON document.
    import json

    from typer.testing import CliRunner

    from neurovariety.cli import app

    result = CliRunner().invoke(
        app, ["edd", "lcn k=2,2 s=2", "--seed", "3", "--method", "monodromy", "--json"]
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["count"] == 6 == d["formula"] and d["form"] == "generic" and d["seed"] == 3
    assert d["trace_test"] == "yes"
    assert {"loops", "paths_tracked", "paths_failed", "stop_reason"} <= set(d["ledger"])
    assert d["ledger"]["symmetry"] == "conjugation"  # real data: critical points in pairs
    assert d["method"] == "monodromy" and "trace test yes" in d["certificate"]
