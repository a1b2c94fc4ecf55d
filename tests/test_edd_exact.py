"""Exact ED / learning degrees (msolve over primes) against closed formulas, hand derivations and
the monodromy count (a second method sharing no solver with the first)."""

from __future__ import annotations

import functools
import importlib
import json

import numpy as np
import pytest

from neurovariety import NeurovarietyError, parse_architecture
from neurovariety.invariants import exact_counts, formulas
from neurovariety.landscape import edd

pytestmark = pytest.mark.skipif(not exact_counts.available(), reason="msolve is not installed")

edd_mod = importlib.import_module("neurovariety.landscape.edd")  # the package exports the function


def exact(spec: str, **kw):
    return edd(parse_architecture(spec), method="exact", **kw)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # KMST: strided LCNs are birational projections of Segre varieties (DHOST's formula).
        ("lcn k=2,2 s=2", formulas.segre_veronese_generic_ed_degree((1, 1), (1, 1))),  # 6
        ("lcn k=3,2 s=2", formulas.segre_veronese_generic_ed_degree((2, 1), (1, 1))),  # 10
        ("lcn k=3,3 s=2", formulas.segre_veronese_generic_ed_degree((2, 2), (1, 1))),  # 39
        # PCN: σ = x², k = (2, 2): the Segre–Veronese P¹×P¹ in O(2, 1).
        ("cnn k=2,2 x^2", formulas.segre_veronese_generic_ed_degree((1, 1), (2, 1))),  # 14
        # Rank ≤ 2 3×3 matrices: the dual of the Segre P²×P², same generic ED degree (DHOST
        # Thm 5.2); counted in the GL(2) chart (before it, refused as positive-dimensional).
        ("mlp 3-2-3 x", formulas.segre_veronese_generic_ed_degree((2, 2), (1, 1))),  # 39
        ("lcn k=2,2", 1),  # stride one fills C³: one critical function, 2 chart points
    ],
)
def test_generic_ed_degrees_match_closed_formulas(spec: str, expected: int) -> None:
    r = exact(spec)
    assert r.count == expected and r.method == "exact" and not r.positive_dimensional
    assert len(r.exact["primes"]) == 2 and len(set(r.exact["critical_solutions"])) == 1


def test_the_404_case_counts_exactly_in_seconds() -> None:
    # PCN k = (2, 2, 2), σ = x²: Segre–Veronese P¹×P¹×P¹ in O(4, 2, 1) (PCN arXiv:2410.00722;
    # its generic ED degree by DHOST Thm 5.8).
    r = edd(parse_architecture("cnn k=2,2,2 s=1,1 x^2"))  # auto picks exact: ~800 terms
    assert r.method == "exact" and r.count == 404 == r.formula
    assert r.count == formulas.segre_veronese_generic_ed_degree((1, 1, 1), (4, 2, 1))
    assert r.exact["msolve_seconds"] < 30


@pytest.mark.parametrize(
    ("spec", "m", "n", "rank"),
    [
        ("lcn k=2,2 s=2", 2, 2, 1),  # c_{a+2b} = w1_a w2_b: a rank-one 2×2 matrix
        ("lcn k=2,3 s=2", 3, 2, 1),
        ("mlp 2-1-2 x", 2, 2, 1),
        ("mlp 3-1-3 x", 3, 3, 1),
        ("mlp 3-2-3 x", 3, 3, 2),
    ],
)
def test_whitened_linear_nets_give_eckart_young(spec: str, m: int, n: int, rank: int) -> None:
    # Whitened data on a linear net: the Frobenius form on matrices of rank ≤ r, C(min(m,n), r)
    # critical points. Monodromy lost every path on the 2×k cases (count 1, truth 2).
    r = exact(spec, form="data", whiten=True)
    assert r.count == formulas.eckart_young_ed_degree(m, n, rank)


def test_whitened_linear_data_are_refused_by_monodromy() -> None:
    with pytest.raises(NeurovarietyError, match="multiple of the identity"):
        edd(parse_architecture("lcn k=2,2 s=2"), form="data", whiten=True, method="monodromy")


def test_three_samples_on_rank_one_two_by_two_matrices() -> None:
    # Hand derivation. lcn k=2,2 s=2 is the quadric cone V = {q(c) = 0} ⊂ C⁴ of rank-one 2×2
    # matrices; 3 data points give X: C⁴ → C³, kernel w. Critical points of ½‖Xc − u‖² on V:
    # Xᵀr = λ∇q(c), r = Xc − u. λ = 0: Xc = u (Xᵀ injective), c = c_p + t w with q = 0, a quadratic
    # in t: 2 interpolating networks. λ ≠ 0: c = M⁻¹Xᵀs (∇q = Mc, s = r/λ), q(c) = 0 reads
    # sᵀBs = 0 with B = XM⁻¹Xᵀ, and Xc − u = λs gives s = (B − λI)⁻¹u; in B's eigenbasis
    # Σ β_i ũ_i² / (β_i − λ)² = 0, a quartic in λ: 4 more. Total 6 (monodromy returned 2).
    r = exact("lcn k=2,2 s=2", form="data", n_data=3)
    assert r.count == 2 + 4
    # The quartic has 4 distinct non-zero roots for random data (numerically, no shared code).
    rng = np.random.default_rng(0)
    X, u = rng.standard_normal((3, 4)), rng.standard_normal(3)
    M = np.array([[0, 0, 0, 1], [0, 0, -1, 0], [0, -1, 0, 0], [1, 0, 0, 0]], float)  # c0c3 − c1c2
    beta, P = np.linalg.eigh(X @ np.linalg.inv(M) @ X.T)
    ut = P.T @ u
    quartic = np.poly1d([0.0])
    for i, (b, t) in enumerate(zip(beta, ut, strict=True)):
        others = [np.poly1d([-1.0, bj]) ** 2 for bj in np.delete(beta, i)]
        quartic = quartic + b * t**2 * functools.reduce(lambda x, y: x * y, others)
    roots = np.roots(quartic.coeffs)
    assert len(roots) == 4 and np.min(np.abs(roots)) > 1e-6
    assert min(abs(a - b) for i, a in enumerate(roots) for b in roots[i + 1 :]) > 1e-6


def test_fewer_samples_than_the_dimension_give_a_family_of_critical_points() -> None:
    # 2 data points, dim V = 3: the networks that interpolate them form a curve.
    r = exact("lcn k=2,2 s=2", form="data", n_data=2)
    assert r.positive_dimensional and r.count is None
    assert "positive-dimensional" in r.summary()


def test_monodromy_refuses_a_singular_data_form_and_auto_counts_it() -> None:
    f = parse_architecture("lcn k=2,2 s=2")
    with pytest.raises(NeurovarietyError, match="rank 3 < 4"):
        edd(f, form="data", n_data=3, method="monodromy")
    with pytest.raises(NeurovarietyError, match="use method='exact'"):
        edd(f, form="data", n_data=3, method="both")
    assert edd(f, form="data", n_data=3).method == "exact"


def test_both_agrees_and_reports_both_certificates() -> None:
    r = edd(parse_architecture("lcn k=3,2 s=2"), method="both", seed=1)
    assert r.count == 10 and r.method == "both" and r.trace_test == "yes"
    assert "msolve" in r.certificate and "trace test yes" in r.certificate


def test_both_raises_on_disagreement(monkeypatch) -> None:
    # A monodromy that lost a critical point (5 of 6) must not be picked silently.
    def lossy(*args, **kwargs):
        ledger = {"loops": 1, "paths_tracked": 5, "paths_failed": 0, "stop_reason": "stale"}
        return {
            "count": 5,
            "parameter_solutions": 5,
            "degenerate_removed": 0,
            "fiber_size": 1.0,
            "trace_test": "unknown",
            "ledger": ledger,
        }

    monkeypatch.setattr(edd_mod, "_monodromy", lossy)
    with pytest.raises(NeurovarietyError, match="disagree"):
        edd(parse_architecture("lcn k=2,2 s=2"), method="both", seed=1)


def test_auto_falls_back_to_monodromy_on_large_systems(monkeypatch) -> None:
    from neurovariety.landscape import ed_exact

    monkeypatch.setattr(ed_exact, "AUTO_MAX_TERMS", 10)
    r = edd(parse_architecture("lcn k=2,2 s=2"), seed=1)
    assert r.method == "monodromy" and r.count == 6 and "AUTO_MAX_TERMS" in r.exact["fallback"]


def test_edd_command_exact_json() -> None:
    from typer.testing import CliRunner

    from neurovariety.cli import app

    args = ["edd", "lcn k=2,2 s=2", "--form", "data", "--samples", "3", "--method", "exact"]
    result = CliRunner().invoke(app, [*args, "--primes", "3", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["count"] == 6 and d["method"] == "exact" and len(d["exact"]["primes"]) == 3
    assert d["trace_test"] == "not run" and d["ledger"] == {}


def test_bad_method_is_refused() -> None:
    with pytest.raises(NeurovarietyError, match="method='newton'"):
        edd(parse_architecture("lcn k=2,2 s=2"), method="newton")


AGREEMENT = [
    "lcn k=2,3 s=2",
    "lcn k=3,3 s=2",
    "lcn k=2,2",
    "lcn k=3,2",
    "lcn k=2,2,2 s=2,2",
    "cnn k=2,2 x^2",
    "cnn k=2,2 s=2 x^2",
    "cnn k=3,2 x^2",
    "cnn k=2,3 x^2",
    "cnn k=2,2 x^3",
    "cnn k=3,2 s=2 x^2",
    "mlp 2-1-2 x",
    "mlp 3-1-3 x",
    "mlp 3-2-3 x",
    "mlp 2-1-2 x^2",
    "mlp 2-1-1 x^3",
    "mlp 3-1-2 x",
]
DATA_AGREEMENT = ["lcn k=2,2 s=2", "lcn k=3,2 s=2", "cnn k=2,2 x^2", "mlp 2-1-2 x^2", "mlp 3-2-3 x"]


@pytest.mark.slow
@pytest.mark.parametrize("spec", AGREEMENT)
def test_exact_and_monodromy_agree_generic(spec: str) -> None:
    r = edd(parse_architecture(spec), method="both", seed=0, time_limit=300)
    assert r.method == "both" and r.count is not None and r.count >= 1
    if r.formula is not None:
        assert r.count == r.formula


@pytest.mark.slow
@pytest.mark.parametrize("spec", DATA_AGREEMENT)
def test_exact_and_monodromy_agree_on_data(spec: str) -> None:
    # Enough data (2 × ambient points): Q = VᵀV is positive definite, a generic-enough form.
    r = edd(parse_architecture(spec), form="data", method="both", seed=0, time_limit=300)
    assert r.method == "both" and r.count is not None
