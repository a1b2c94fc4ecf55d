"""Every nag result prints a summary (title + bullets) and states its certainty on the shared scale.

Results are built by hand (no solving), so the expected lines and levels follow from the fields.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from neurovariety.nag.certify import CertificationResult
from neurovariety.nag.endgame import EndgameResult
from neurovariety.nag.monodromy import MonodromyResult
from neurovariety.nag.result import PathResult, PathStatus, SolveResult, path_certainty
from neurovariety.nag.trace import TraceTest
from neurovariety.nag.witness import WitnessSet
from neurovariety.results import Certainty, Result, Verdict

PASSED = TraceTest(Verdict.YES, 2e-15, 1e-7)
NOT_AFFINE = TraceTest(Verdict.NO, 3e-2, 1e-7, "trace not affine: solutions are missing")


def _path(i: int, status: PathStatus, certified: bool = False) -> PathResult:
    x = None if status in (PathStatus.FAILED, PathStatus.AT_INFINITY) else np.array([1.0 + 0j])
    return PathResult(
        index=i,
        status=status,
        solution=x,
        endpoint=np.array([1.0, 1.0 + 0j]),
        residual=1e-16,
        condition=3.0,
        winding_number=1,
        steps=40,
        rejected_steps=2,
        certainty=path_certainty(status, certified),
    )


def _monodromy(trace: TraceTest | None) -> MonodromyResult:
    return MonodromyResult(
        solutions=np.zeros((4, 2), complex),
        parameters=np.ones(2, complex),
        loops=3,
        stop_reason="trace test passed",
        trace=trace,
        seed=7,
        seconds=0.5,
        paths_tracked=48,
        paths_failed=1,
    )


def _witness(trace: TraceTest | None) -> WitnessSet:
    return WitnessSet(
        points=np.zeros((3, 3), complex),
        dim=1,
        ambient_dim=3,
        slice_matrix=np.ones((1, 3)),
        slice_offset=np.ones(1),
        trace=trace,
        method="equations: total-degree homotopy",
        seed=0,
        seconds=0.1,
    )


def _certification(verdicts: list[Verdict], n_distinct: int) -> CertificationResult:
    n = len(verdicts)
    radii = np.array([1e-13 if v is Verdict.YES else np.nan for v in verdicts])
    return CertificationResult(
        verdicts=tuple(verdicts),
        real=(Verdict.UNKNOWN,) * n,
        radii=radii,
        solutions=np.zeros((n, 1), complex),
        n_distinct=n_distinct,
        precision=106,
    )


def _endgame() -> EndgameResult:
    b = np.array([True, True, True, False])
    return EndgameResult(
        X=np.zeros((4, 2), complex),
        winding=np.array([1, 2, 2, 0]),
        converged=b,
        failed=~b,
        t_last=np.array([1e-6, 1e-9, 1e-9, 1e-3]),
        steps=np.array([10, 20, 20, 5]),
        accuracy=np.array([1e-12, 1e-10, 1e-10, np.inf]),
        valuation=np.array([np.nan, np.nan, 0.5, np.nan]),
        last=np.zeros((4, 2), complex),
    )


def _solve() -> SolveResult:
    paths = (
        _path(0, PathStatus.SUCCESS, certified=True),
        _path(1, PathStatus.SUCCESS),
        _path(2, PathStatus.AT_INFINITY),
        _path(3, PathStatus.FAILED),
    )
    return SolveResult(
        paths=paths,
        seed=3,
        method="total-degree homotopy",
        start_count=4,
        dedup_tol=1e-7,
        seconds=0.2,
        n_variables=1,
        distinct=(0,),
    )


RESULTS = {
    "PathResult": lambda: _path(0, PathStatus.SUCCESS, certified=True),
    "SolveResult": _solve,
    "MonodromyResult": lambda: _monodromy(PASSED),
    "WitnessSet": lambda: _witness(PASSED),
    "TraceTest": lambda: PASSED,
    "CertificationResult": lambda: _certification([Verdict.YES, Verdict.UNKNOWN], 1),
    "EndgameResult": _endgame,
}


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_each_result_prints_a_summary_not_a_field_dump(name):
    r = RESULTS[name]()
    assert isinstance(r, Result)
    text = repr(r)
    lines = text.splitlines()
    assert lines[0] == r.title() and all(line.startswith("• ") for line in lines[1:])
    assert len(lines) >= 2  # a title and at least one bullet
    # a dataclass field dump reads "Name(field=value, ...)"
    assert f"{type(r).__name__}(" not in text
    assert not any(f"{f.name}=" in text for f in dataclasses.fields(r))
    json.dumps(r.to_dict())  # every field and property becomes JSON


def test_path_certainty_and_the_derived_certified_flag():
    assert path_certainty(PathStatus.SUCCESS, True) is Certainty.CERTIFIED
    assert path_certainty(PathStatus.SINGULAR, False) is Certainty.NUMERICAL
    assert path_certainty(PathStatus.FAILED, False) is Certainty.UNKNOWN
    p = _path(0, PathStatus.SUCCESS, certified=True)
    assert p.certified and "certified regular (Krawczyk box)" in repr(p)
    q = _path(1, PathStatus.SUCCESS)
    assert not q.certified and q.to_dict()["certified"] is False
    assert q.to_dict()["certainty"] == "numerical"


def test_solve_summary_counts_the_certified_and_keeps_its_json_keys():
    r = _solve()
    assert "1 of them certified regular" in repr(r)
    assert "4 paths tracked: 2 success, 0 singular, 1 at infinity, 1 failed" in repr(r)
    assert r.to_dict()["certified"] == [True]


def test_a_trace_test_is_numerical_never_certified():
    assert PASSED.certainty is Certainty.NUMERICAL and not PASSED.certainty.certified
    assert NOT_AFFINE.certainty is Certainty.NUMERICAL
    assert TraceTest(Verdict.UNKNOWN, float("nan"), 1e-7).certainty is Certainty.UNKNOWN
    assert "affine" in repr(PASSED) and "not affine" in repr(NOT_AFFINE)


@pytest.mark.parametrize(
    "trace, level, words",
    [
        (PASSED, Certainty.NUMERICAL, "certainty: numerical"),
        (NOT_AFFINE, Certainty.BOUND, "certainty: bound (at least 4 solutions)"),
        (None, Certainty.BOUND, "completeness not tested"),
    ],
)
def test_a_monodromy_count_is_numerical_once_the_trace_passed_else_a_bound(trace, level, words):
    r = _monodromy(trace)
    assert r.certainty is level and words in repr(r)
    assert r.to_dict()["certainty"] == level.value
    w = _witness(trace)
    assert w.certainty is level and w.degree == 3


def test_certification_is_certified_only_when_every_box_is_and_they_are_apart():
    assert _certification([Verdict.YES] * 2, 2).certainty is Certainty.CERTIFIED
    assert _certification([Verdict.YES] * 2, 0).certainty is Certainty.UNKNOWN  # boxes meet
    c = _certification([Verdict.YES, Verdict.UNKNOWN], 1)
    assert c.certainty is Certainty.UNKNOWN
    assert "1 regular solution certified, 1 undecided" in repr(c)


def test_endgame_summary_counts_cycles_divergence_and_failures():
    text = repr(_endgame())
    assert text.splitlines()[0] == "EndgameResult: 3 of 4 paths converged"
    assert "cycle numbers 1: 1 path, 2: 2 paths" in text
    assert "1 path diverging" in text and "1 path failed inside the endgame" in text
