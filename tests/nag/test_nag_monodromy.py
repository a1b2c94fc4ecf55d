"""Monodromy solving, its stopping rule and the trace test; witness sets and degrees."""

from __future__ import annotations

import re

import jax.numpy as jnp
import numpy as np
import pytest

from neurovariety.errors import PolynomialSystemError
from neurovariety.nag import (
    find_start_pair,
    monodromy_solve,
    parse_system,
    system_from_callable,
    trace_test,
    witness_set,
)
from neurovariety.nag.monodromy import TUNING
from neurovariety.results import Verdict

# Two generic conics with parameters in every coefficient that matters: 4 solutions (Bézout,
# all finite for generic parameters).
CONICS = """variables: x, y
parameters: a, b, c, d, e, f
x^2 + a*x*y + b*y^2 + c
y^2 + d*x*y + e*x^2 + f
"""


def test_monodromy_finds_all_four_and_the_trace_test_verifies():
    F = parse_system(CONICS)
    x0, p0 = find_start_pair(F, seed=1)
    r = monodromy_solve(F, (x0, p0), seed=1)
    assert r.nsolutions == 4
    assert r.complete == Verdict.YES and r.trace is not None and r.trace.residual < 1e-9
    # Not a linear-slice family (and symmetric: {x, -x} has zero trace), so the trace test does
    # not stop the search; the stale rule does.
    assert r.stop_reason.startswith("no new solutions ")
    # Each solution crosses each edge at most once per direction (a loop adds one or two edges).
    edges = TUNING.initial_edges + 2 * r.loops  # at most
    assert r.paths_tracked <= 2 * edges * r.nsolutions
    for x in r.solutions:
        assert np.max(np.abs(F.evaluate(x, p0))) < 1e-9
    assert "random seed: 1" in r.summary()


def test_without_trace_test_the_stale_rule_stops():
    F = parse_system(CONICS)
    x0, p0 = find_start_pair(F, seed=4)
    r = monodromy_solve(F, (x0, p0), seed=4, trace_test=False, max_loops_without_progress=2)
    assert r.nsolutions == 4 and r.stop_reason.startswith("no new solutions ")
    # Small fibers get more loops than asked: the rule also wants 128 crossings.
    quiet = int(re.search(r"(\d+) crossings", r.stop_reason).group(1))
    assert quiet >= 128


def test_extra_start_pairs_are_carried_to_the_base_point():
    F = parse_system(CONICS)
    x0, p0 = find_start_pair(F, seed=3)
    pairs = [find_start_pair(F, seed=s) for s in range(10, 16)]
    xs, ps = np.array([x for x, _ in pairs]), np.array([p for _, p in pairs])
    r = monodromy_solve(F, (x0, p0), seed=3, starts=(xs, ps))
    assert r.nsolutions == 4 and r.complete == Verdict.YES
    for x in r.solutions:  # solutions at the base point, not at the extra starts' parameters
        assert np.max(np.abs(F.evaluate(x, p0))) < 1e-9
    with pytest.raises(PolynomialSystemError, match="starts must be rows"):
        monodromy_solve(F, (x0, p0), seed=3, starts=(xs[:, :1], ps))


def test_target_count_stops_early():
    F = parse_system(CONICS)
    x0, p0 = find_start_pair(F, seed=2)
    r = monodromy_solve(F, (x0, p0), seed=2, target_count=4, trace_test=False)
    assert r.nsolutions == 4 and "target count" in r.stop_reason and r.trace is None
    assert r.complete == Verdict.UNKNOWN


def test_trace_test_rejects_an_incomplete_witness_family():
    # A line slice of the circle has 2 points; one alone fails the (decisive) trace test.
    F = parse_system("parameters: b\nx^2 + y^2 - 1\nx + 2*y - b")
    b0 = np.array([0.3 + 0.2j])
    y = np.roots([5, -4 * b0[0], b0[0] ** 2 - 1])
    pts = np.stack([b0[0] - 2 * y, y], axis=1)
    assert trace_test(F, pts, b0, seed=0, decisive=True).verdict == Verdict.YES
    one = trace_test(F, pts[:1], b0, seed=0, decisive=True)
    assert one.verdict == Verdict.NO and one.residual > 1e-3


def test_bad_start_pairs_are_refused():
    F = parse_system(CONICS)
    x0, p0 = find_start_pair(F, seed=0)
    with pytest.raises(PolynomialSystemError, match="not a solution"):
        monodromy_solve(F, (x0 + 1, p0), seed=0)
    with pytest.raises(PolynomialSystemError, match="no parameters"):
        find_start_pair(parse_system("x^2 - 1"), seed=0)
    with pytest.raises(PolynomialSystemError, match="affine in its parameters"):
        find_start_pair(parse_system("parameters: a\nx^2 - a^2"), seed=0)


def test_degree_of_twisted_cubic_by_parametrization_and_by_equations():
    W = witness_set(
        parametrization=lambda t: jnp.stack([t[0], t[0] ** 2, t[0] ** 3]), n_parameters=1, seed=0
    )
    assert (W.degree, W.dim, W.ambient_dim, W.complete) == (3, 1, 3, Verdict.YES)
    C = parse_system("y - x^2\nz - x^3", allow_underdetermined=True)
    W = witness_set(equations=C, dim=1, seed=1)
    assert W.degree == 3 and W.complete == Verdict.YES


def test_degree_of_rank_one_2x3_matrices_with_positive_dimensional_fibers():
    # (u, v) -> u v^T: 5 parameters, dimension 4 (one rescaling), degree 3 (= C(3, 1) ... the
    # determinantal formula of the Invitation, arXiv:2501.18915, appendix, for N0=2, N2=3, N1=1:
    # C(3, 1) / C(1, 1) = 3).
    W = witness_set(
        parametrization=lambda t: jnp.outer(t[:2], t[2:]).reshape(-1), n_parameters=5, seed=1
    )
    assert (W.degree, W.dim, W.complete) == (3, 4, Verdict.YES)
    assert W.singular_values is not None and W.singular_values[-1] < 1e-8 * W.singular_values[0]


@pytest.mark.slow
def test_degree_of_segre_p1_x_p1_and_the_cone_over_the_twisted_cubic():
    W = witness_set(
        parametrization=lambda t: jnp.stack([t[0] * t[2], t[0] * t[3], t[1] * t[2], t[1] * t[3]]),
        n_parameters=4,
        seed=0,
    )
    assert (W.degree, W.dim, W.complete) == (2, 3, Verdict.YES)
    # Three quadrics in 4 unknowns cut the (affine cone over the) twisted cubic: overdetermined.
    E = parse_system("x*z - y^2\ny*w - z^2\nx*w - y*z", allow_underdetermined=True)
    W = witness_set(equations=E, dim=2, seed=0)
    assert W.degree == 3 and W.complete == Verdict.YES


@pytest.mark.slow
def test_witness_set_of_callable_equations():
    F = system_from_callable(
        lambda x, p: jnp.stack([x[1] - x[0] ** 2, x[2] - x[0] ** 3]), 3, allow_underdetermined=True
    )
    W = witness_set(equations=F, dim=1, seed=0)
    assert W.degree == 3 and W.complete == Verdict.YES


def test_witness_set_arguments_are_checked():
    with pytest.raises(PolynomialSystemError, match="exactly one"):
        witness_set(seed=0)
    C = parse_system("y - x^2\nz - x^3", allow_underdetermined=True)
    with pytest.raises(PolynomialSystemError, match="dim"):
        witness_set(equations=C, seed=0)


def test_progress_reports_a_growing_search_and_its_end():
    F = parse_system(CONICS)
    x0, p0 = find_start_pair(F, seed=1)
    seen = []
    r = monodromy_solve(F, (x0, p0), seed=1, progress=seen.append)
    assert seen and seen[-1].done and not any(p.done for p in seen[:-1])
    assert seen[-1].solutions == r.nsolutions == 4
    assert seen[-1].crossings == r.paths_tracked and seen[-1].failed == r.paths_failed
    counts = [p.solutions for p in seen]
    assert counts == sorted(counts) and counts[0] >= 1


def test_the_trace_is_read_inside_the_search_without_a_test_of_its_own(monkeypatch):
    # A plane cubic sliced by the line x + 3y = b: 3 points, a linear-slice family (decisive).
    import neurovariety.nag.trace as m  # the search calls trace.trace_test

    F = parse_system("parameters: b\nx^3 + y^3 + 2*x*y - 1\nx + 3*y - b")
    y = 0.4 - 0.3j  # a point of the cubic, and the line through it
    x = np.roots([1, 0, 2 * y, y**3 - 1])[0]
    x0, b0 = np.array([x, y]), np.array([x + 3 * y])
    calls = []
    monkeypatch.setattr(m, "trace_test", lambda *a, **k: calls.append(1) or trace_test(*a, **k))
    r = monodromy_solve(F, (x0, b0), seed=5, decisive_trace=True)
    assert r.nsolutions == 3 and r.stop_reason == "trace test passed"
    assert r.complete == Verdict.YES and r.trace.residual < 1e-9
    assert calls == []  # read from the line's own crossings, not by re-tracking the fiber
    # The same verdict as a test of its own; one point short is not affine.
    assert trace_test(F, r.solutions, b0, seed=0, decisive=True).verdict == Verdict.YES
    assert trace_test(F, r.solutions[:2], b0, seed=0, decisive=True).verdict == Verdict.NO


def test_a_sampler_reaches_solutions_no_loop_moves():
    # (x - a)(x + 2a) = 0: two lines over the parameter line, so loops never swap x = a and
    # x = -2a; only fresh start pairs (a random x on either line) can find the other one.
    F = parse_system("parameters: a\n(x - a)*(x + 2*a)")
    a0 = np.array([0.7 + 0.4j])
    calls = []

    def sampler(rng, k):
        calls.append(k)
        x = rng.normal(size=(k, 1)) + 1j * rng.normal(size=(k, 1))
        on_first = rng.uniform(size=(k, 1)) < 0.5
        return x, np.where(on_first, x, -x / 2)

    alone = monodromy_solve(F, (a0, a0), seed=0, trace_test=False, max_loops=6)
    assert alone.nsolutions == 1
    r = monodromy_solve(F, (a0, a0), seed=0, trace_test=False, max_loops=6, sampler=sampler)
    assert r.nsolutions == 2 and calls
    assert np.allclose(np.sort_complex(r.solutions[:, 0]), np.sort_complex([-2 * a0[0], a0[0]]))


def test_a_symmetry_adds_the_images_no_loop_reaches():
    # x^2 + a^2 = (x - ia)(x + ia): two lines over the parameter line, which loops never swap.
    # The coefficients are real, so at real a conjugation maps x = ia to the other line.
    F = parse_system("parameters: a\nx^2 + a^2")
    a0, x0 = np.array([0.8]), np.array([0.8j])
    alone = monodromy_solve(F, (x0, a0), seed=0, trace_test=False, max_loops=4)
    assert alone.nsolutions == 1
    r = monodromy_solve(F, (x0, a0), seed=0, trace_test=False, max_loops=4, symmetry=np.conj)
    assert r.nsolutions == 2
    assert np.allclose(np.sort_complex(r.solutions[:, 0]), [-0.8j, 0.8j])


def test_a_map_that_is_no_symmetry_is_refused():
    F = parse_system("parameters: a\nx^2 + a^2")
    with pytest.raises(PolynomialSystemError, match="symmetry maps solutions"):
        monodromy_solve(F, (np.array([0.8j]), np.array([0.8])), seed=0, symmetry=lambda X: X + 0.1)


def _real_cubic_slice():
    # The plane cubic of the test above, sliced by x + 3y = b at a real point: real data.
    F = parse_system("parameters: b\nx^3 + y^3 + 2*x*y - 1\nx + 3*y - b")
    y = 0.4
    x = max(np.roots([1, 0, 2 * y, y**3 - 1]), key=lambda r: -abs(r.imag)).real
    return F, np.array([x, y]), np.array([x + 3 * y])


def test_a_line_read_that_does_not_pass_leaves_the_verdict_to_the_standalone_test(monkeypatch):
    # The line is short (|s| = 0.1) and its reads pass only below line_trace_tol: a read above
    # it is no verdict. With a line that can never pass, the search ends by its stale rule and
    # the standard test (|s| = 0.3, TRACE_TOL) decides, once.
    import dataclasses

    import neurovariety.nag.monodromy as m
    import neurovariety.nag.monodromy_options as mo
    import neurovariety.nag.trace as mt

    F = parse_system("parameters: b\nx^3 + y^3 + 2*x*y - 1\nx + 3*y - b")
    y = 0.4 - 0.3j
    x = np.roots([1, 0, 2 * y, y**3 - 1])[0]
    x0, b0 = np.array([x, y]), np.array([x + 3 * y])
    calls = []
    monkeypatch.setattr(mt, "trace_test", lambda *a, **k: calls.append(1) or trace_test(*a, **k))
    monkeypatch.setattr(mo, "TUNING", dataclasses.replace(mo.TUNING, line_trace_tol=-1.0))
    r = monodromy_solve(F, (x0, b0), seed=5, decisive_trace=True)
    assert r.nsolutions == 3 and r.stop_reason.startswith("no new solutions")
    assert calls == [1] and r.complete == Verdict.YES and r.trace.tolerance == m.TRACE_TOL


@pytest.mark.parametrize("commuting", [True, False])
def test_conjugation_reads_the_trace_on_a_real_line_with_one_node(monkeypatch, commuting):
    import neurovariety.nag.monodromy_search as m
    import neurovariety.nag.trace as mt

    F, x0, b0 = _real_cubic_slice()
    calls, lines = [], []
    monkeypatch.setattr(mt, "trace_test", lambda *a, **k: calls.append(1) or trace_test(*a, **k))
    line = m._TraceLine
    monkeypatch.setattr(m, "_TraceLine", lambda *a: lines.append(line(*a)) or lines[-1])
    # A trace map that does not commute with conjugation (x -> i x) keeps both nodes.
    tmap = None if commuting else (lambda x: 1j * x)
    r = monodromy_solve(
        F, (x0, b0), seed=5, decisive_trace=True, symmetry="conjugation", trace_map=tmap
    )
    assert r.nsolutions == 3 and r.stop_reason == "trace test passed" and calls == []
    assert r.complete == Verdict.YES and r.trace.residual < 1e-9
    # A real cubic's roots: closed under conjugation.
    S = r.solutions
    assert all(np.min(np.abs(S - s.conj()).max(axis=1)) < 1e-8 for s in S)
    assert len(lines[0].nodes) == (1 if commuting else 2)
    if commuting:
        s1, s2 = lines[0].s
        assert s2 == s1.conjugate()


def test_conjugation_is_refused_where_it_is_no_symmetry():
    F = parse_system("parameters: b\nx^3 + y^3 + 2*x*y - 1\nx + 3*y - b")
    y = 0.4 - 0.3j
    x = np.roots([1, 0, 2 * y, y**3 - 1])[0]
    with pytest.raises(PolynomialSystemError, match="real parameters"):
        monodromy_solve(F, (np.array([x, y]), np.array([x + 3 * y])), symmetry="conjugation")
    G = parse_system("parameters: b\nx^2 - I*b")  # x^2 = i b: no real coefficients
    with pytest.raises(PolynomialSystemError, match="real coefficients"):
        monodromy_solve(G, (np.array([np.sqrt(1j)]), np.array([1.0])), symmetry="conjugation")


def test_a_large_search_compiles_one_program_run_in_parts(monkeypatch):
    # The large-system shape, forced on a small system: the pool's program is compiled on a
    # thread while the start is checked, and the pool (in two parts), the search's trace line
    # and its re-tracks all find it there — one optimized program, not two. A spare pool whose
    # shapes differ from the search's would compile a second.
    import dataclasses

    import neurovariety.nag.monodromy_options as mo
    import neurovariety.nag.parameter_paths as m
    from neurovariety.nag.programs import compiled_programs

    monkeypatch.setattr(mo, "TUNING", dataclasses.replace(mo.TUNING, large_from_bezout=1))
    monkeypatch.setattr(m, "cores", lambda: 2)
    # A fresh system (its own kernel, so no program of it is cached yet): 4 solutions.
    F = parse_system(CONICS.replace("b*y^2", "b*y^2 + 0*x"))
    x0, p0 = find_start_pair(F, seed=2)
    shape = m._pool_shape(F)
    assert shape["parts"] == 2 and shape["max_width"] == 2 * mo.TUNING.part_width
    before = compiled_programs(True)
    r = monodromy_solve(F, (x0, p0), seed=2)
    assert r.nsolutions == 4 and r.complete == Verdict.YES
    assert compiled_programs(True) == before + 1
