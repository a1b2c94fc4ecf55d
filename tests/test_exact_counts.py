"""Exact counts by msolve against closed formulas, hand derivations and Macaulay2's values."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from neurovariety import CNN, LCN, Monomial, parse_architecture
from neurovariety.errors import BackendUnavailableError, BudgetExceededError, NeurovarietyError
from neurovariety.exact.msolve import count_solutions, msolve_binary, parse_count
from neurovariety.invariants import formulas
from neurovariety.invariants.degree import degree
from neurovariety.invariants.exact_counts import available, degree_exact, fiber_size_exact

needs_msolve = pytest.mark.skipif(not available(), reason="msolve is not installed")


def test_parse_count_reads_the_three_answers() -> None:
    assert parse_count("[-1]:") == (0, 0)
    assert parse_count("[1, 3, -1, []]:") == (None, None)
    # x^2 = 0, y = 1 (a double point): one distinct solution, degree 2
    text = "[0, [65521, 2, 2, ['y', 'x'], [0, 1], [1, [[1, [0, 1]], [0, [1]], [[[0, [65520]]]]]]]]:"
    assert parse_count(text) == (1, 2)
    with pytest.raises(NeurovarietyError, match="cannot read"):
        parse_count("segmentation fault")


def test_missing_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEUROVARIETY_MSOLVE", str(tmp_path / "no-such-msolve"))
    assert msolve_binary() is None
    with pytest.raises(BackendUnavailableError, match="pip install"):
        count_solutions(["x"], ["x"], 65521)


def test_time_limit_is_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    slow = tmp_path / "msolve"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("NEUROVARIETY_MSOLVE", str(slow))
    with pytest.raises(BudgetExceededError, match="within 0.5 s"):
        count_solutions(["x^2 - 2"], ["x"], 65521, time_limit=0.5)


@needs_msolve
@pytest.mark.parametrize(
    ("system", "variables", "distinct", "with_multiplicity"),
    [
        (["x^2 - 2", "y^2 - 3"], ["x", "y"], 4, 4),  # (±√2, ±√3)
        (["x^2", "y - 1"], ["x", "y"], 1, 2),  # a double point
        (["x - 1", "y - 2", "x + y - 4"], ["x", "y"], 0, 0),  # inconsistent
        (["x*y - x", "x^2 - 2*x"], ["x", "y"], None, None),  # the line x = 0 and (2, 1)
    ],
)
def test_counts_of_hand_systems(
    system: list[str], variables: list[str], distinct: int | None, with_multiplicity: int | None
) -> None:
    c = count_solutions(system, variables, 65521)
    assert (c.solutions, c.with_multiplicity) == (distinct, with_multiplicity)


@needs_msolve
@pytest.mark.parametrize(
    ("spec", "truth"),
    [
        ("mlp 3-2-2 x^2", 15),  # Macaulay2 (implicitization)
        ("mlp 3-2-1 x^3", 15),  # Macaulay2
        ("mlp 2-2-1 generic:3", 10),  # Macaulay2
    ],
)
def test_degrees_of_known_varieties(spec: str, truth: int) -> None:
    d, slice_, fiber = degree_exact(parse_architecture(spec), seed=1)
    assert d == truth
    assert slice_.value == truth * fiber.value and len(set(slice_.primes)) == 2


@needs_msolve
@pytest.mark.parametrize(
    "spec",
    [
        "mlp 2-2-1 x^3+x^2",
        "cnn k=2,2 s=2 x^2+x",
        pytest.param("cnn k=2,2 x^3+x", marks=pytest.mark.slow),  # degree 12: 13 s to project
    ],
)
def test_exact_and_projection_agree(spec: str) -> None:
    # two methods that share no code past the parametrization: msolve counts on a slice, and
    # the lowest-degree equation of a random projection to K^(dim+1) found by interpolation
    arch = parse_architecture(spec)
    exact = degree(arch, method="exact", seed=2)
    projection = degree(arch, method="projection", seed=2)
    assert exact.degree == projection.degree


@needs_msolve
@pytest.mark.parametrize(("k", "r"), [((2, 2, 2), 2), ((3, 2), 2), ((2, 3), 3), ((2, 2), 4)])
@pytest.mark.parametrize("s", [1, 2])
def test_pcn_degree_formula(k: tuple[int, ...], r: int, s: int) -> None:
    # PCN, arXiv:2410.00722: (|k| − L)! Π r^{(L−j−1)(k_j−1)} / (k_j − 1)!
    assert degree_exact(CNN(k, s, Monomial(r)))[0] == formulas.pcn_degree(k, r)


@needs_msolve
@pytest.mark.parametrize(("k", "s"), [((3, 3), 2), ((2, 2, 2), 2), ((3, 2, 2), (2, 3))])
def test_lcn_degree_formula(k: tuple[int, ...], s: object) -> None:
    arch = LCN(k, s)  # type: ignore[arg-type]
    strides = (*arch.strides, 1)  # type: ignore[misc]
    assert degree_exact(arch)[0] == formulas.lcn_degree(k, strides)


@needs_msolve
@pytest.mark.parametrize(
    ("spec", "size"),
    [
        ("mlp 2-2-2-1 x^3+x^2", 4),  # 2!·2! orders of the hidden neurons
        ("mlp 2-3-1 generic:4", 6),  # 3!
        ("lcn k=3,2 s=2", 1),  # KMST: birational, the rescaling fixed by the chart
    ],
)
def test_fiber_sizes(spec: str, size: int) -> None:
    assert fiber_size_exact(parse_architecture(spec)).value == size


@needs_msolve
def test_auto_uses_exact_and_answers_the_reference_cases() -> None:
    r = degree(parse_architecture("cnn k=2,2,2 s=2,2 x^2"), seed=0, time_limit=60)
    assert (r.degree, r.method, r.agrees_with_formula) == (48, "exact", True)
    assert any("msolve" in e for e in r.evidence)


@needs_msolve
def test_positive_dimensional_chart_falls_through() -> None:
    # Linear networks have GL(d_1) symmetry, which the rescaling chart does not fix.
    r = degree(parse_architecture("mlp 3-2-3 x"), seed=0, time_limit=60)
    assert r.degree == formulas.determinantal_degree(3, 3, 2) and r.method != "exact"
    assert any("positive-dimensional" in e for e in r.evidence)


@needs_msolve
def test_hidden_orthogonal_symmetry_is_detected() -> None:
    # σ = x²: (W1, W2) ↦ (O W1, W2 O^{-1}) for O orthogonal w.r.t. diag(W2) keeps f; the
    # rescaling chart leaves a curve of parameters per function. Rank ≤ 2 ternary quadrics are
    # the hypersurface det = 0 of a symmetric 3×3 matrix: degree 3, found by another method.
    arch = parse_architecture("mlp 3-2-1 x^2")
    with pytest.raises(NeurovarietyError, match="positive-dimensional"):
        degree_exact(arch)
    assert degree(arch, time_limit=60).degree == 3


def test_exact_is_refused_cleanly_without_msolve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEUROVARIETY_MSOLVE", os.fspath(tmp_path / "absent"))
    with pytest.raises(BackendUnavailableError):
        degree(parse_architecture("lcn k=3,2 s=2"), method="exact")
    assert degree(parse_architecture("lcn k=3,2 s=2")).degree == 3  # auto does without it
