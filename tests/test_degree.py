"""Degrees of neurovarieties against the closed formulas (PCN, LCN, determinantal)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from neurovariety import CNN, LCN, MLP, Monomial, NeurovarietyError, parse_architecture
from neurovariety.cli.invariants import register
from neurovariety.invariants import formulas
from neurovariety.invariants.degree import degree, degree_formula

LCN_GRID = [((2, 2), 2), ((3, 2), 2), ((2, 3), 2), ((3, 3), 2), ((4, 2), 2), ((2, 2), 3),
            ((3, 2), 3), ((2, 2, 2), 2), ((2, 2, 2), (2, 3)), ((3, 2, 2), (1, 2))]  # fmt: skip
PCN_GRID = [((2, 2), 1, 2), ((2, 2), 2, 2), ((2, 3), 1, 2), ((2, 2), 1, 4), ((2, 2), 1, 3),
            ((2, 2), 3, 2), ((2, 3), 2, 2)]  # fmt: skip


@pytest.mark.parametrize(("k", "s"), LCN_GRID)
def test_lcn_degree_equals_formula(k: tuple[int, ...], s: object) -> None:
    arch = LCN(k, s)  # type: ignore[arg-type]
    r = degree(arch, method="projection", seed=1)
    strides = tuple(arch.strides) + (1,)  # type: ignore[arg-type]
    assert r.degree == formulas.lcn_degree(k, strides)
    assert r.agrees_with_formula


@pytest.mark.parametrize(("k", "s", "r"), PCN_GRID)
def test_pcn_degree_equals_formula(k: tuple[int, ...], s: int, r: int) -> None:
    res = degree(CNN(k, s, Monomial(r)), method="projection", seed=2)
    assert res.degree == formulas.pcn_degree(k, r)
    assert all("distinct" in e and "not all" not in e for e in res.evidence)


@pytest.mark.parametrize("spec", ["cnn k=2,2 x^2", "lcn k=2,2,2 s=2", "lcn k=3,3 s=2"])
def test_hilbert_and_projection_agree(spec: str) -> None:
    arch = parse_architecture(spec)
    h = degree(arch, method="hilbert", seed=3)
    p = degree(arch, method="projection", seed=3)
    assert h.degree == p.degree == degree_formula(arch)["value"]  # type: ignore[index]


@pytest.mark.parametrize("widths", [(3, 2, 3), (3, 1, 3), (2, 1, 3), (2, 1, 2), (4, 1, 2)])
def test_two_layer_linear_network_degree(widths: tuple[int, ...]) -> None:
    r = degree(MLP(widths, Monomial(1)), seed=4)
    assert r.degree == formulas.determinantal_degree(widths[-1], widths[0], min(widths))
    assert r.formula is not None and r.formula["name"] == "determinantal degree"


def test_hypersurface_degree_is_its_generator() -> None:
    r = degree(LCN((3, 2), 2), method="hilbert")
    assert r.degree == 3 and "hypersurface" in r.evidence[0]


def test_filling_has_degree_one() -> None:
    assert degree(LCN((2, 2), 1), method="projection").degree == 1
    assert degree(parse_architecture("mlp 2-2-2 x^2")).degree == 1


def test_no_formula_for_generic_mlp() -> None:
    assert degree_formula(parse_architecture("mlp 2-2-1 x^3+x^2")) is None


def test_bad_method() -> None:
    with pytest.raises(NeurovarietyError, match="unknown method"):
        degree(LCN((3, 2), 2), method="guess")


def test_degree_cli_json() -> None:
    app = typer.Typer()
    register(app)
    out = CliRunner().invoke(app, ["degree", "lcn k=3,2 s=2", "--json"])
    assert out.exit_code == 0
    d = json.loads(out.output)
    assert {"degree", "method", "trace_test", "formula", "seed"} <= set(d)
    assert d["degree"] == 3 and d["formula"]["value"] == 3
    bad = CliRunner().invoke(app, ["degree", "lcn k=3,2 s=2", "--method", "nope"])
    assert bad.exit_code == 2


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["lcn k=3,2 s=2", "cnn k=2,2 x^2", "mlp 3-1-3 x"])
def test_witness_degree_with_trace_test(spec: str) -> None:
    arch = parse_architecture(spec)
    r = degree(arch, method="witness", seed=0, time_limit=200)
    assert r.trace_test is True
    assert r.degree == degree_formula(arch)["value"]  # type: ignore[index]


@pytest.mark.slow
@pytest.mark.parametrize("s", [1, 2])
def test_pcn_degree_12(s: int) -> None:
    assert degree(CNN((3, 2), s, Monomial(2)), method="projection").degree == 12


def test_incomplete_witness_set_is_not_a_degree(monkeypatch: pytest.MonkeyPatch) -> None:
    # A witness set whose trace test failed holds only some of the points: a lower bound.
    from neurovariety.errors import BudgetExceededError
    from neurovariety.invariants import degree as degree_module

    def partial(*args: object) -> tuple[int, list[str], bool]:
        return 1, ["1 witness point"], False

    monkeypatch.setattr(degree_module, "_witness_degree", partial)
    with pytest.raises(BudgetExceededError, match="≥ 1"):
        degree(parse_architecture("cnn k=2,2 s=2 x^2"), method="witness")
