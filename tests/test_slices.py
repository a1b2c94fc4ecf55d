"""Exact real slices through singular points (neurovariety.report.slices, `neurovariety plot`).

Expected values are derived by hand from the equations (KMST's LCN cubic, arXiv:2304.05752) or
recomputed with sympy from the parametrization written out here, not from the module's output.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from typer.testing import CliRunner

from neurovariety import parse_architecture
from neurovariety.cli import app
from neurovariety.invariants.strata import parse_stratum
from neurovariety.report.slices import VarietySlice, plane_local_type, variety_slice

s, t = sympy.symbols("s t")
c = sympy.symbols("c0:7")


def _section(F: sympy.Expr, r: VarietySlice) -> sympy.Expr:
    subs = {
        c[i]: Fraction(p) + s * Fraction(u) + t * Fraction(v)
        for i, (p, u, v) in enumerate(zip(r.point, r.u, r.v, strict=True))
    }
    return sympy.expand(F.subs(subs, simultaneous=True))


def _lowest(G: sympy.Expr) -> tuple[int, sympy.Expr]:
    P = sympy.Poly(G, s, t)
    m = min(i + j for i, j in P.monoms())
    return m, sympy.Add(*[k * s**i * t**j for (i, j), k in P.terms() if i + j == m])


@pytest.mark.parametrize(
    ("G", "kind"),
    [
        (s * t + s**3, "node"),  # two lines s = 0, t = 0
        (t**2 - s**3, "cusp"),
        (s**2 + t**2 + s**3, "isolated real point"),
        (t**2 - s**4, "a double tangent without a cubic term"),  # tacnode: two tangent parabolas
        # s³ − 2st² = s(s² − 2t²): three real lines, two of them irrational
        (s**3 - 2 * s * t**2 + t**4, "a point of multiplicity 3 with 3 distinct real"),
        (t * (s**2 + t**2) + s**4, "a point of multiplicity 3 with 1 distinct real"),
        (s + t**2, "smooth"),
    ],
)
def test_local_types_of_textbook_curves(G: sympy.Expr, kind: str) -> None:
    assert plane_local_type(G, s, t)[2].startswith(kind)


# --- the CNN node: lcn k=3,2 s=2, V = {c1c2c3 − c0c3² − c1²c4 = 0} (KMST) ----------------------

LCN_F = c[1] * c[2] * c[3] - c[0] * c[3] ** 2 - c[1] ** 2 * c[4]


@pytest.fixture(scope="module")
def lcn_normal() -> VarietySlice:
    a = parse_architecture("lcn k=3,2 s=2")
    return variety_slice(a, parse_stratum(a, "padding 0|2 0|0"), plane="normal", reach=6)


def test_lcn_slice_is_a_node_with_the_hand_derived_tangent_lines(lcn_normal: VarietySlice) -> None:
    r = lcn_normal
    p = [Fraction(x) for x in r.point]
    # the stratum (first filter (w, 0, 0)) gives the even polynomials w·v0 + w·v1·x²: c1 = c3 = 0
    assert p[1] == p[3] == 0 and p[4] == 0 and p[0] != 0 and p[2] != 0
    G = _section(LCN_F, r)
    assert (
        sympy.simplify(G - sympy.sympify(r.polynomial)) == 0
        or sympy.simplify(G + sympy.sympify(r.polynomial)) == 0
    )
    # F(p + d) = p2·d1·d3 − p0·d3² − p4·d1² + (cubic): lowest form by hand
    u = [Fraction(x) for x in r.u]
    v = [Fraction(x) for x in r.v]
    d1, d3 = s * u[1] + t * v[1], s * u[3] + t * v[3]
    hand = sympy.expand(p[2] * d1 * d3 - p[0] * d3**2 - p[4] * d1**2)
    m, low = _lowest(G)
    assert m == 2 and sympy.expand(low - hand) == 0
    a, b, k = (sympy.Poly(hand, s, t).coeff_monomial(x) for x in (s**2, s * t, t**2))
    assert b * b - 4 * a * k > 0  # two distinct real tangent lines
    assert r.local_type.startswith("node") and r.multiplicity == 2
    # across the stratum's image only d1, d3 enter the quadratic part: rank 2, two branches
    assert r.transversal_rank == 2
    # real filters reach the curve near p (least squares: evidence, so only "some")
    assert r.reached is not None and any(ok for *_, ok in r.reached)


def test_a_node_has_no_cusp_in_the_cone_plane() -> None:
    # At a node the tangent cone is two hyperplanes ℓ1·ℓ2 = 0; a cone direction d lies in one,
    # and v with vᵀHd = 0 must lie in the same one, so the plane's quadratic part vanishes.
    a = parse_architecture("lcn k=3,2 s=2")
    r = variety_slice(a, parse_stratum(a, "padding 0|2 0|0"), plane="cone", reach=0)
    assert r.multiplicity >= 3 and not r.local_type.startswith("cusp")


# --- the MLP cusp: mlp 2-2-1 x^3+x^2 (Razor, arXiv:2505.11846) --------------------------------


def _mlp_image() -> list[sympy.Expr]:
    """The coordinates (x0², x0x1, x1², x0³, x0²x1, x0x1², x1³) of a1·σ(l1·x) + a2·σ(l2·x)."""
    x0, x1 = sympy.symbols("x0 x1")
    w = sympy.symbols("w0:6")
    f = sum(
        a * ((l0 * x0 + l1 * x1) ** 3 + (l0 * x0 + l1 * x1) ** 2)
        for l0, l1, a in ((w[0], w[1], w[4]), (w[2], w[3], w[5]))
    )
    P = sympy.Poly(sympy.expand(f), x0, x1)
    mons = [(2, 0), (1, 1), (0, 2), (3, 0), (2, 1), (1, 2), (0, 3)]
    return [P.coeff_monomial(x0**i * x1**j) for i, j in mons]


@pytest.fixture(scope="module")
def mlp_cone() -> VarietySlice:
    a = parse_architecture("mlp 2-2-1 x^3+x^2")
    return variety_slice(
        a, parse_stratum(a, "inactive-out layer 1 neurons 0"), plane="cone", reach=0
    )


def test_mlp_slice_is_a_cusp(mlp_cone: VarietySlice) -> None:
    r = mlp_cone
    F = sympy.sympify(r.equation, locals={f"c{i}": c[i] for i in range(7)})
    # the equation vanishes on the parametrization written out here
    image = _mlp_image()
    assert sympy.expand(F.subs(dict(zip(c, image, strict=True)), simultaneous=True)) == 0
    # p is one neuron's a·σ(l·x): a point of the stratum's image, where F and ∇F vanish
    p = [Fraction(x) for x in r.point]
    at_p = dict(zip(c, p, strict=True))
    assert F.subs(at_p) == 0 and all(sympy.diff(F, ci).subs(at_p) == 0 for ci in c)
    H = sympy.hessian(F, c).subs(at_p)
    assert H.rank() == 4 == r.transversal_rank  # 7 − dim of the image of mlp 2-1-1 (3)
    u = sympy.Matrix([Fraction(x) for x in r.u])
    v = sympy.Matrix([Fraction(x) for x in r.v])
    # u in the tangent cone, v H-orthogonal to it: the quadratic part is (vᵀHv/2)·t², a square
    assert (u.T * H * u)[0] == 0 and (u.T * H * v)[0] == 0 and (v.T * H * v)[0] != 0
    G = _section(F, r)
    m, low = _lowest(G)
    assert m == 2 and sympy.expand(low - (v.T * H * v)[0] / 2 * t**2) == 0
    # F is a cubic form: G(s, 0) = F(p + s·u) = F(u)·s³, non-zero, so t² ~ s³
    Fu = F.subs(dict(zip(c, list(u), strict=True)))
    assert Fu != 0 and sympy.expand(G.subs(t, 0) - Fu * s**3) == 0
    assert r.local_type.startswith("cusp") and r.multiplicity == 2


def test_mlp_normal_plane_crosses_the_cone_transversally() -> None:
    a = parse_architecture("mlp 2-2-1 x^3+x^2")
    r = variety_slice(a, parse_stratum(a, "redundant layer 1 neurons 0,1"), reach=0)
    assert r.multiplicity == 2 and r.transversal_rank == 4
    # principal directions of a form of signature (2, 2): one positive, one negative
    assert r.local_type.startswith("node")


# --- the command line -----------------------------------------------------------------------


def test_cli_writes_a_png_and_json(tmp_path: Path) -> None:
    out = tmp_path / "node.png"
    res = CliRunner().invoke(
        app, ["plot", "lcn k=3,2 s=2", "--out", str(out), "--reach", "2", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["out"] == str(out) and data["local_type"].startswith("node")
    assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 5_000


def test_cli_writes_svg(tmp_path: Path) -> None:
    out = tmp_path / "cusp.svg"
    res = CliRunner().invoke(
        app, ["plot", "mlp 2-2-1 x^3+x^2", "--plane", "cone", "--reach", "0", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "cusp" in res.output and out.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cnn k=2,2 x^2", "codimension 2"),  # dim 3 in 5 coordinates (PCN): no plane curve
        ("lcn k=2,2 s=1", "fills"),  # stride one: the whole ambient space
    ],
)
def test_cli_refuses_without_a_hypersurface(tmp_path: Path, spec: str, message: str) -> None:
    out = tmp_path / "x.png"
    res = CliRunner().invoke(app, ["plot", spec, "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert message in res.output and ("try 'mlp 2-2-1" in res.output or "pick a" in res.output)
    assert "Traceback" not in res.output and not out.exists()


def test_cli_loss_slice(tmp_path: Path) -> None:
    out = tmp_path / "loss.png"
    res = CliRunner().invoke(
        app, ["plot", "mlp 2-1-1 x^2", "--slice", "loss", "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["stratum"] == "inactive-out layer 1 neurons 0"
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name", ["redundant layer 1 neurons 0,1", "inactive-in layer 1 neurons 0"])
def test_every_mlp_stratum_shows_the_cusp(name: str) -> None:
    # the three strata share the image mlp 2-1-1, so the local picture is the same; the cone
    # direction comes from a fiber point that must compute p (redundant: merged columns)
    a = parse_architecture("mlp 2-2-1 x^3+x^2")
    r = variety_slice(a, parse_stratum(a, name), plane="cone", reach=0)
    assert r.local_type.startswith("cusp") and r.transversal_rank == 4
