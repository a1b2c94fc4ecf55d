"""Every registered invariant goes into the atlas and comes back out of ``atlas query``/``export``.

Expected values are closed forms or hand derivations, never the code's own output:

* LCN with strides ≥ 2 (KMST arXiv:2304.05752, LCN arXiv:2401.16613): dim Σk − L + 1, the
  degree and generic ED degree of the Segre P^{k_1−1} × P^{k_2−1} (P¹×P¹: a quadric, ED degree
  6; P²×P¹: degree 3, ED degree 10), birational (one fiber point in the gauge chart).
* PCN ``cnn k=2,2 s=2 x^2`` (PCN arXiv:2410.00722): f = v₀(w₀x₀ + w₁x₁)² + v₁(w₀x₂ + w₁x₃)²,
  so the six coefficients are exactly the Segre–Veronese P¹×P¹ in O(1, 2), the rational normal
  scroll S(2, 2): dimension 3, degree 4, ED degree 14 (DHOST arXiv:1309.0049), ideal generated
  by the C(4, 2) = 6 two-by-two minors of [[a0, a1, b0, b1], [a1, a2, b1, b2]]. Its strata are
  zero-paddings (a|b) with a + b ≤ 1 on each filter, 3·3 − 1 = 8 of them, all smooth: Φ is a
  finite birational projection of a Segre–Veronese variety (PCN).
* Stride one, ``cnn k=2,2 x^2``: the paddings (0|1, 1|0) and (1|0, 0|1) put the single product
  at the same output offset a₁ + a₂ = 1, two preimages of full rank: two nodes (certified);
  the other six strata have one placement each (smooth).
* Razor arXiv:2505.11846, ``mlp 2-2-1 x^3+x^2``: a hypersurface in the 7 coefficients. By hand:
  the cubic part C = Σ vᵢℓᵢ³ has a unique Waring decomposition, and the quadratic part
  Q = Σ vᵢℓᵢ² must lie in span(ℓ₁², ℓ₂²), i.e. be apolar to the Hessian covariant H(C) of
  degree 2 in C: one generator, of degree 1 + 2 = 3.
* ``mlp 2-3-1 x^2`` fills its 3 coefficients (rank ≤ 3 binary quadrics): I(V) = 0.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from neurovariety.cli.sweeps import register
from neurovariety.errors import FamilyError, StoreError
from neurovariety.invariants import formulas
from neurovariety.sweeps import Sandbox, Store, family_from_dict
from neurovariety.sweeps.plots import invariant_values, value_plot
from neurovariety.sweeps.registry import get_invariant
from neurovariety.sweeps.sandbox import run_in_process

SINGULAR = "neurovariety.sweeps.registry:singular_summary"
EQUATIONS = "neurovariety.sweeps.registry:equations_summary"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _rows(output: str) -> list[dict[str, Any]]:
    """Rows of ``atlas query --json`` (a list, or an object whose ``rows`` is the list)."""
    data = json.loads(output)
    return data["rows"] if isinstance(data, dict) else data  # type: ignore[no-any-return]


def _query(app: typer.Typer, db: Path, where: str) -> list[dict[str, Any]]:
    res = CliRunner().invoke(
        app, ["atlas", "query", "--store", str(db), "--where", where, "--json"]
    )
    assert res.exit_code == 0, res.output
    return _rows(res.stdout)


def _fill(db: Path, specs: list[str], invariants: Any) -> None:
    tasks = family_from_dict({"specs": specs, "invariants": invariants}).tasks()
    with Store(db) as st:
        st.add((t, run_in_process(t.target, t.spec, t.options)) for t in tasks)


def test_a_sweep_of_dim_degree_edd_fiber_fills_the_atlas(tmp_path: Path) -> None:
    """A sweep with the CLI, then `atlas query` returns the edd rows."""
    app, db = _app(), tmp_path / "atlas.db"
    specs = ["lcn k=2,2 s=2", "lcn k=3,2 s=2", "cnn k=2,2 s=2 x^2"]
    args = ["sweep", "--store", str(db), "--workers", "1", "--no-progress"]
    for s in specs:
        args += ["--spec", s]
    for inv in ("dim", "degree", "edd", "fiber"):
        args += ["--invariant", inv]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output

    edd = _query(app, db, "invariant = 'edd'")
    assert {r["architecture"]: r["value"] for r in edd} == {
        "lcn k=2,2 s=2": 6,  # Segre P¹×P¹
        "lcn k=3,2 s=2": formulas.lcn_ed_degree((3, 2)),
        "cnn k=2,2 s=2 x^2": formulas.pcn_ed_degree((2, 2), 2),
    }
    assert all(r["status"] == "ok" and r["error"] is None for r in edd)
    assert formulas.lcn_ed_degree((3, 2)) == 10 and formulas.pcn_ed_degree((2, 2), 2) == 14
    degree = _query(app, db, "invariant = 'degree' AND value >= 3")
    assert {r["architecture"]: r["value"] for r in degree} == {
        "lcn k=3,2 s=2": formulas.lcn_degree((3, 2)),  # 3!/(2!·1!) = 3
        "cnn k=2,2 s=2 x^2": formulas.pcn_degree((2, 2), 2),  # 4
    }
    fiber = _query(app, db, "invariant = 'fiber' AND method = 'exact'")
    assert sorted(r["architecture"] for r in fiber) == sorted(specs)
    assert all(r["value"] == 1 for r in fiber)  # birational
    # msolve counts over two random primes: probable, so the atlas's certified column is false
    assert not any(r["certified"] for r in fiber)
    dims = _query(app, db, "invariant = 'dim'")
    assert {r["architecture"]: r["dimension"] for r in dims} == {
        "lcn k=2,2 s=2": formulas.lcn_dim((2, 2)),
        "lcn k=3,2 s=2": formulas.lcn_dim((3, 2)),
        "cnn k=2,2 s=2 x^2": formulas.pcn_dim((2, 2)),
    }
    out = tmp_path / "edd.csv"
    res = CliRunner().invoke(
        app, ["atlas", "export", "--store", str(db), "-o", str(out), "--where", "invariant = 'edd'"]
    )
    assert res.exit_code == 0, res.output
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(int(r["value"]) for r in rows) == [6, 10, 14]
    assert all(json.loads(r["result"])["count"] == int(r["value"]) for r in rows)

    _plot_values(app, db, tmp_path, ["degree", "dim", "edd", "fiber"])
    # the MLP-dimension figures refuse a store without MLP dims, with the reason
    res = CliRunner().invoke(
        app, ["atlas", "plot", "--store", str(db), "-o", str(tmp_path / "h.png")]
    )
    assert res.exit_code == 2 and "run a dim sweep first" in res.output


def _plot_values(app: typer.Typer, db: Path, tmp_path: Path, panels: list[str]) -> None:
    """`atlas plot --kind values` draws one panel per invariant, every stored row a bar."""
    png = tmp_path / "values.png"
    args = ["atlas", "plot", "--store", str(db), "-o", str(png), "--kind", "values"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Store(db, readonly=True) as st:
        rows = st.query()
    fig = value_plot(rows)
    assert [ax.get_title() for ax in fig.axes] == panels
    for ax, name in zip(fig.axes, panels, strict=True):
        assert len(ax.patches) == sum(r["invariant"] == name for r in rows)


def test_singular_strata_in_the_atlas(tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    _fill(db, ["cnn k=2,2 s=2 x^2", "cnn k=2,2 x^2", "lcn k=2,2 s=1"], ["singular"])
    app = _app()
    (pcn,) = _query(app, db, "invariant = 'singular' AND architecture = 'cnn k=2,2 s=2 x^2'")
    assert pcn["status"] == "ok" and pcn["value"] == 0 and pcn["certified"] is True
    assert pcn["method"] == "finite-projection"

    (nodes,) = _query(app, db, "invariant = 'singular' AND value > 0")
    assert nodes["architecture"] == "cnn k=2,2 x^2" and nodes["value"] == 2
    assert nodes["certified"] is True and nodes["method"] == "finite-projection+tangent-span"

    (filling,) = _query(app, db, "invariant = 'singular' AND method = 'filling'")
    assert filling["architecture"] == "lcn k=2,2" and filling["value"] == 0  # a linear space

    with Store(db, readonly=True) as st:
        got = {r["architecture"]: r["result"] for r in st.query(with_result=True)}
    s = got["cnn k=2,2 s=2 x^2"]
    assert (s["n_strata"], s["n_smooth"], s["n_singular"], s["n_undecided"]) == (8, 8, 0, 0)
    assert all(v["verdict"] == "no" and v["certified"] for v in s["strata"])
    n = got["cnn k=2,2 x^2"]
    assert (n["n_strata"], n["n_certified_singular"], n["n_probable_singular"]) == (8, 2, 0)
    assert (n["n_smooth"], n["n_undecided"]) == (6, 0)
    singular = {v["stratum"] for v in n["strata"] if v["verdict"] == "yes"}
    assert singular == {"padding 0|1 1|0", "padding 1|0 0|1"}  # equal offsets a₁ + a₂ = 1
    for v in n["strata"]:
        assert v["method"] == ("tangent-span" if v["stratum"] in singular else "finite-projection")
        assert v["kind"] == ("node" if v["stratum"] in singular else "smooth")
    lin = got["lcn k=2,2"]
    assert lin["n_strata"] == lin["n_smooth"] == 8
    assert {v["method"] for v in lin["strata"]} == {"filling"}
    _plot_values(app, db, tmp_path, ["singular"])


def test_singular_counts_each_kind_of_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """The four classes are counted from the verdicts (stubbed: one of each, then none decided)."""
    from neurovariety import parse_architecture
    from neurovariety.invariants import singularities
    from neurovariety.results import Certainty, Verdict
    from neurovariety.sweeps.registry import singular_summary

    arch = parse_architecture("mlp 3-2-1 x^2")  # three strata
    proven, probable, unknown = Certainty.PROVEN, Certainty.PROBABLE, Certainty.UNKNOWN
    verdicts = iter(
        [(Verdict.YES, proven), (Verdict.YES, probable), (Verdict.UNKNOWN, unknown)]
        + [(Verdict.UNKNOWN, unknown)] * 3
    )

    def stub(arch: Any, stratum: Any, **_: Any) -> Any:
        verdict, certainty = next(verdicts)
        return SimpleNamespace(stratum=stratum.name, image="", image_dimension=3, dimension=5,
                               verdict=verdict, certainty=certainty,
                               certified=certainty.certified, kind="")  # fmt: skip

    monkeypatch.setattr(singularities, "singular", stub)
    r = singular_summary(arch)
    assert (r.n_strata, r.n_singular, r.n_certified_singular, r.n_probable_singular) == (3, 2, 1, 1)
    assert (r.n_smooth, r.n_undecided, r.certified, r.method) == (0, 1, False, "tangent-span")
    assert r.certainty == Certainty.BOUND  # an undecided stratum: n_singular is a lower bound
    r = singular_summary(arch)
    assert (r.n_singular, r.n_undecided, r.certified, r.method) == (0, 3, False, "none")


def test_equations_in_the_atlas(tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    specs = ["mlp 2-3-1 x^2", "mlp 2-2-1 x^3+x^2", "cnn k=2,2 s=2 x^2", "lcn k=2,2 s=2"]
    _fill(db, specs, ["equations"])
    _fill(db, ["lcn k=3,2 s=2"], {"equations": {"method": "lcn"}})
    _fill(db, ["lcn k=3,2 s=2"], {"equations": {"max_degree": 2}})
    app = _app()

    with Store(db, readonly=True) as st:
        rows = st.query(with_result=True)
    assert {r["status"] for r in rows} == {"ok"} and len(rows) == 6
    got = {(r["architecture"], r["options"]["method"], r["options"]["max_degree"]): r for r in rows}

    fill = got["mlp 2-3-1 x^2", "interpolation", 4]
    assert fill["value"] == 0 and fill["certified"] is True and fill["method"] == "filling"
    assert fill["result"]["filling"] is True and fill["result"]["equations"] == []

    razor = got["mlp 2-2-1 x^3+x^2", "interpolation", 4]["result"]
    assert (razor["n_generators"], razor["degrees"], razor["generated"]) == (1, [3], True)
    assert razor["n_coordinates"] == 7 and razor["dimension"] == 6 and not razor["filling"]

    scroll = got["cnn k=2,2 s=2 x^2", "interpolation", 4]
    assert scroll["value"] == 6 and scroll["result"]["degrees"] == [2] * 6
    assert scroll["certified"] is True and scroll["result"]["complete_through"] == 4
    assert len(scroll["result"]["primes"]) >= 2 and scroll["method"] == "interpolation"

    quadric = got["lcn k=2,2 s=2", "interpolation", 4]["result"]
    assert (quadric["n_generators"], quadric["degrees"]) == (1, [2])

    cubic = got["lcn k=3,2 s=2", "lcn", 4]
    assert cubic["value"] == 1 and cubic["result"]["degrees"] == [formulas.lcn_degree((3, 2))]
    assert cubic["method"] == "lcn-recursive" and cubic["certified"] is True
    # an irreducible cubic hypersurface has no equation of degree ≤ 2: none, and proven so
    low = got["lcn k=3,2 s=2", "interpolation", 2]
    assert low["value"] == 0 and low["certified"] is True
    assert low["result"]["complete_through"] == 2 and not low["result"]["filling"]

    hyper = _query(app, db, "invariant = 'equations' AND value = 1 AND certified = TRUE")
    assert sorted(r["architecture"] for r in hyper) == [
        "lcn k=2,2 s=2",
        "lcn k=3,2 s=2",
        "mlp 2-2-1 x^3+x^2",
    ]
    out = tmp_path / "eq.csv"
    res = CliRunner().invoke(app, ["atlas", "export", "--store", str(db), "-o", str(out)])
    assert res.exit_code == 0, res.output
    with out.open() as fh:
        exported = list(csv.DictReader(fh))
    assert len(exported) == 6
    assert all(json.loads(r["result"])["n_generators"] == int(r["value"]) for r in exported)
    js = tmp_path / "eq.json"
    args = ["atlas", "export", "--store", str(db), "-o", str(js), "--where", "value = 0"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    zero = {(r["architecture"], r["options"]["max_degree"]): r for r in json.loads(js.read_text())}
    assert set(zero) == {("mlp 2-3-1 x^2", 4), ("lcn k=3,2 s=2", 2)}
    assert zero["mlp 2-3-1 x^2", 4]["result"]["filling"] is True
    assert zero["lcn k=3,2 s=2", 2]["result"]["completeness"].startswith("I(V) has no element")
    _plot_values(app, db, tmp_path, ["equations"])


def test_value_plot_shows_failures_and_caps_its_bars() -> None:
    def row(arch: str, status: str, value: object) -> dict[str, object]:
        return dict(invariant="degree", architecture=arch, status=status, value=value,
                    certified=None)  # fmt: skip

    rows = [row(f"lcn k={k},2 s=2", "ok", k) for k in range(2, 9)] + [row("x", "timeout", None)]
    rows.append({**row("y", "ok", "[1]"), "invariant": "singular"})
    assert list(invariant_values(rows)) == ["degree"]  # a non-numeric value is not drawn
    assert invariant_values(rows)["degree"][-1] == ("x", None, False)
    (ax,) = value_plot(rows, max_shapes=5).axes
    assert ax.get_title() == "degree (first 5 of 8; narrow with --where)" and len(ax.patches) == 5
    with pytest.raises(StoreError, match="no atlas rows"):
        value_plot([])


def test_budgets_end_tasks_with_the_reason() -> None:
    # time: the strata test stops between strata once its own limit is spent
    o = run_in_process(SINGULAR, "cnn k=2,2 x^2", {"time_limit": 1e-9})
    assert o.status == "timeout" and "time limit" in (o.error or "")
    assert "0 of 8 strata" in (o.error or "")
    # size: interpolation stopped by its piece budget before max_degree
    o = run_in_process(EQUATIONS, "cnn k=2,2 s=2 x^2", {"max_piece": 3, "max_degree": 4})
    assert o.status == "timeout" and "complete through degree 2 only" in (o.error or "")
    assert "max_piece" in (o.error or "")
    # bad options name the problem
    o = run_in_process(EQUATIONS, "mlp 2-2-1 x^2", {"method": "lcn"})
    assert o.status == "failed" and "needs an lcn architecture" in (o.error or "")
    o = run_in_process(SINGULAR, "cnn k=2,2 x^2", {"time_limit": -1})
    assert o.status == "failed" and "positive number of seconds" in (o.error or "")
    with pytest.raises(FamilyError, match="has no option"):
        family_from_dict({"specs": ["lcn k=2,2 s=2"], "invariants": {"singular": {"bogus": 1}}})


def test_the_sweeps_time_budget_kills_a_long_equations_task() -> None:
    sb = Sandbox()
    try:
        # degree 2 in the 324 coefficients of this PCN alone takes minutes
        o = sb.run(EQUATIONS, "cnn k=3,3,3 s=2,2 x^2", {}, timeout=1.0)
        assert o.status == "timeout" and "time budget of 1 s" in (o.error or "")
    finally:
        sb.close()


def test_defaults_match_the_library() -> None:
    from neurovariety.invariants import equations

    opts = get_invariant("equations").defaults
    assert opts["max_piece"] == equations.DEFAULT_MAX_PIECE
    assert opts["max_monomials"] == equations.DEFAULT_MAX_MONOMIALS
