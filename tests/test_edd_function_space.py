"""ED and learning degrees counted in function space from a hypersurface's equation, against
closed formulas (DHOST), Macaulay2's learning degree (KLW) and the parameter-space exact count."""

from __future__ import annotations

import pytest
import sympy

from neurovariety import NeurovarietyError, parse_architecture
from neurovariety.invariants.exact_counts import available
from neurovariety.landscape import ed_exact
from neurovariety.landscape.ed_function_space import function_space_count, hypersurface_equation
from neurovariety.landscape.edd import edd

pytestmark = pytest.mark.skipif(not available(), reason="msolve is not installed")


def _veronese_generic_ed_degree(n: int) -> int:
    """Generic ED degree of v2(P^{n−1}) (rank-one symmetric n×n matrices), by DHOST's formula
    Σ_i (−1)^i (2^{m+1−i} − 1) deg c_i(X) for a smooth X of dimension m = n − 1: X ≅ P^m with
    c(TX) = (1 + H)^n and hyperplane class h = 2H, so deg c_i = binom(n, i)·2^{m−i}."""
    m = n - 1
    return sum(
        (-1) ** i * (2 ** (m + 1 - i) - 1) * sympy.binomial(n, i) * 2 ** (m - i)
        for i in range(m + 1)
    )


def test_veronese_formula_by_hand() -> None:
    # n = 3: 7·4 − 3·6 + 1·3 = 13; n = 2: the conic, 3·2 − 1·2 = 4 (ED degree of a conic)
    assert _veronese_generic_ed_degree(3) == 13
    assert _veronese_generic_ed_degree(2) == 4


@pytest.mark.parametrize("n", [3, 4, pytest.param(5, marks=pytest.mark.slow)])
def test_symmetric_determinant_generic_ed_degree(n: int) -> None:
    # mlp n-(n-1)-1 x^2 is the hypersurface det = 0 of symmetric n×n matrices: the dual of
    # v2(P^{n−1}), with the same generic ED degree (DHOST's duality): 13, 40, 121 for n = 3, 4, 5
    # (n = 5: a quintic found by interpolating through degree 6; msolve takes ~2 min).
    # Its chart keeps an orthogonal group in the fiber, so auto counts in function space.
    r = edd(parse_architecture(f"mlp {n}-{n - 1}-1 x^2"))
    assert r.method == "function-space"
    assert r.count == _veronese_generic_ed_degree(n) == (3**n - 1) // 2


def test_klw_learning_degree_of_the_3x3_determinant() -> None:
    # Macaulay2 (KLW's learning degree, data form): 13
    r = edd(parse_architecture("mlp 3-2-1 x^2"), form="data")
    assert r.count == 13 and r.method == "function-space"
    assert "Q = VᵀV" in r.certificate and "I(V) = (F) proven" in r.certificate


def test_two_by_two_determinant() -> None:
    # lcn k=2,2 s=2 is c0c3 − c1c2: rank-one 2×2 matrices, generic ED degree 6 (DHOST)
    f = parse_architecture("lcn k=2,2 s=2")
    assert function_space_count(f, ed_exact.LossSpec()).count == 6


@pytest.mark.parametrize("form", ["generic", "data"])
def test_agrees_with_the_parameter_space_count(form: str) -> None:
    # The chart count (parameter space, saturated by det(AᵀJ_c), fiber divided out) shares no
    # system with the Lagrange system; same seed, same Q, W, u. KMST's formula gives 10 too.
    f = parse_architecture("lcn k=3,2 s=2")
    chart = edd(f, form=form, method="exact")
    space = edd(f, form=form, method="function-space")
    assert chart.method == "exact" and space.method == "function-space"
    assert space.count == chart.count == 10


@pytest.mark.slow
@pytest.mark.parametrize("form", ["generic", "data"])
def test_agrees_with_the_parameter_space_count_razor(form: str) -> None:
    # mlp 2-2-1 x^3+x^2: no rescaling, finite fiber; the chart count takes ~1 min
    f = parse_architecture("mlp 2-2-1 x^3+x^2")
    chart = edd(f, form=form, method="exact")
    assert edd(f, form=form, method="function-space").count == chart.count == 39


def test_fewer_data_than_coefficients_is_positive_dimensional() -> None:
    # 3 data values, 6 coefficients: the interpolating functions V ∩ {V c = u} have dimension
    # ≥ 5 − 3 = 2, all of zero loss, hence critical
    r = edd(parse_architecture("mlp 3-2-1 x^2"), form="data", n_data=3)
    assert r.positive_dimensional and r.count is None


def test_refusals() -> None:
    # mlp 4-2-1 x^2: symmetric 4×4 of rank ≤ 2, codimension 3 (not a hypersurface), and a
    # positive-dimensional chart fiber: neither count applies
    f = parse_architecture("mlp 4-2-1 x^2")
    assert hypersurface_equation(f) is None
    with pytest.raises(NeurovarietyError, match="not a hypersurface"):
        edd(f)
    with pytest.raises(NeurovarietyError, match="needs V to be a hypersurface"):
        edd(f, method="function-space")
    # monodromy keeps refusing the 3×3 determinant and names the methods that count it
    with pytest.raises(NeurovarietyError, match="function-space counts in function space"):
        edd(parse_architecture("mlp 3-2-1 x^2"), method="monodromy")


def test_cli_method_function_space() -> None:
    from typer.testing import CliRunner

    from neurovariety.cli import app

    out = CliRunner().invoke(app, ["edd", "mlp 3-2-1 x^2", "--form", "data", "--json"])
    assert out.exit_code == 0, out.output
    assert '"count": 13' in out.output and '"method": "function-space"' in out.output
