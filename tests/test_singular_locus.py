"""The singular locus by the Jacobian criterion: expected values derived by hand or taken from
Macaulay2 (Razor arXiv:2505.11846's appendix example, the LCN cubic) and PCN arXiv:2410.00722."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy

from neurovariety import parse_architecture
from neurovariety.errors import BudgetExceededError
from neurovariety.invariants import singular_locus as sl
from neurovariety.invariants.exact_counts import available
from neurovariety.results import Certainty, Verdict

pytestmark = pytest.mark.skipif(not available(), reason="msolve is not installed")

C = sympy.symbols("c0:7")


def _grad_at(F: sympy.Expr, point: list[Fraction]) -> list[sympy.Expr]:
    subs = dict(zip(C, point, strict=False))
    return [sympy.diff(F, v).subs(subs) for v in C[: len(point)]]


def test_lcn_cubic_singular_along_the_even_polynomials() -> None:
    # lcn k=3,2 s=2: P = (a0 + a1 x + a2 x²)(b0 + b1 x²), so c = (a0b0, a1b0, a2b0 + a0b1, a1b1,
    # a2b1) and F = c0c3² + c1²c4 − c1c2c3. By hand ∇F = (c3², 2c1c4 − c2c3, −c1c3,
    # 2c0c3 − c1c2, c1²): its first and last entries force c3 = c1 = 0, where all vanish.
    r = sl.singular_locus(parse_architecture("lcn k=3,2 s=2"))
    assert r.exact
    assert [(c.equations, c.dimension, c.degree, c.new, c.linear) for c in r.components] == [
        (["c1", "c3"], 3, 1, False, True)
    ]
    # a1 = 0 is the interior-zero stratum: (a0 + a2x²)(b0 + b1x²) = A(y)B(y), y = x², any
    # quadratic in y (it factors over C), so its image is all of {c1 = c3 = 0}
    (comp,) = r.components
    assert comp.strata == ["interior-zero 0|0:2 0|0"] and comp.image == "lcn k=2,2"
    # a1 = 0 (an interior zero) gives c1 = c3 = 0; so do the strata that keep a0 or a2 only
    assert "component [1]" in r.strata["padding 0|2 0|0"]
    assert "component [1]" in r.strata["padding 2|0 0|0"]
    # b1 = 0: P = b0(a0 + a1x + a2x²) has c1 = a1b0 ≠ 0, off the locus
    assert r.strata["padding 0|0 0|1"].startswith("smooth")


def test_razor_mlp_two_components() -> None:
    # Macaulay2: Sing V = image of mlp 2-1-1 (dim 3, degree 5) ∪ {cubic part = 0} (linear 3-space)
    arch = parse_architecture("mlp 2-2-1 x^3+x^2")
    r = sl.singular_locus(arch)
    assert r.exact and len(r.components) == 2
    by_degree = {c.degree: c for c in r.components}
    assert set(by_degree) == {1, 5}
    linear, image = by_degree[1], by_degree[5]
    assert linear.new and linear.linear and linear.dimension == 3
    assert sorted(linear.equations) == ["c3", "c4", "c5", "c6"]
    assert image.dimension == 3 and image.image == "mlp 2-1-1 x^3+x^2"
    assert "redundant layer 1 neurons 0,1" in image.strata


def test_razor_components_lie_in_sing_v_by_hand() -> None:
    # F (Razor's appendix) has exactly two cubic coefficients c3..c6 in each term, so ∇F
    # vanishes where the cubic part does; and on v·ℓ³ + v·ℓ², ℓ = w0x0 + w1x1 (the 2-1-1 image).
    c0, c1, c2, c3, c4, c5, c6 = C
    F = (
        6 * c0 * c4 * c6
        - 2 * c0 * c5**2
        - 9 * c1 * c3 * c6
        + c1 * c4 * c5
        + 6 * c2 * c3 * c5
        - 2 * c2 * c4**2
    )
    rng = random.Random(3)
    for _ in range(5):
        q = [Fraction(rng.randint(-50, 50)) for _ in range(3)]
        assert _grad_at(F, q + [Fraction(0)] * 4) == [0] * 7
        v, w0, w1 = (Fraction(rng.randint(-9, 9)) for _ in range(3))
        quad = [v * w0**2, 2 * v * w0 * w1, v * w1**2]
        cubic = [v * w0**3, 3 * v * w0**2 * w1, 3 * v * w0 * w1**2, v * w1**3]
        assert _grad_at(F, quad + cubic) == [0] * 7
    # and the tool's generator is this F (up to sign)
    r = sl.singular_locus(parse_architecture("mlp 2-2-1 x^3+x^2"))
    assert sympy.expand(sympy.sympify(r.ideal.split("= ")[1].split(" (")[0]) - F) == 0


def test_pcn_node_at_x1_squared() -> None:
    # cnn k=2,2 x^2: v0(w0x0 + w1x1)² + v1(w0x1 + w1x2)², singular only at the node x1² (PCN)
    r = sl.singular_locus(parse_architecture("cnn k=2,2 x^2"))
    assert not r.exact  # not a hypersurface: a superset, its component certified singular
    (comp,) = r.components
    assert comp.dimension == 1 and comp.degree == 1
    assert sorted(comp.equations) == ["c0", "c1", "c3", "c4"]  # the line of x1² = c2
    assert {"padding 0|1 1|0", "padding 1|0 0|1"} <= set(comp.strata)
    # the component is the strata's image by random points mod p: probable (8758a1a)
    assert comp.singular.startswith("singular (probable:") and "node" in comp.singular
    assert comp.verdict is Verdict.YES and comp.certainty is Certainty.PROBABLE
    # msolve degrees and image membership mod p are listed as probable, not as proven
    assert "; probable: degrees (slice counts" in r.proven


def test_determinantal_hypersurface_and_filling() -> None:
    # mlp 3-2-1 x^2: det of a symmetric 3×3 matrix; singular along rank ≤ 1, the cone over the
    # Veronese surface: dimension 3, degree 4
    r = sl.singular_locus(parse_architecture("mlp 3-2-1 x^2"))
    assert [(c.dimension, c.degree, c.image) for c in r.components] == [(3, 4, "mlp 3-1-1 x^2")]
    # lcn k=2,2 s=2: the 2×2 determinant c0c3 − c1c2, singular only at the vertex
    r = sl.singular_locus(parse_architecture("lcn k=2,2 s=2"))
    assert [(c.dimension, c.equations) for c in r.components] == [(0, ["c0", "c1", "c2", "c3"])]
    assert all(v.startswith("smooth") for v in r.strata.values())
    assert sl.singular_locus(parse_architecture("mlp 2-2-1 x^2")).components == []


def test_decompose_splits_and_drops_contained_pieces() -> None:
    x, y, z = sympy.symbols("c0:3")
    polys = [sympy.Poly(e, x, y, z) for e in (x * z, y * z, x**2 * y)]
    # Z = {z = 0, x²y = 0} ∪ {x = y = 0}: the lines x = z = 0, y = z = 0 and the z-axis
    pieces = sl.decompose(polys, [x, y, z])
    assert sorted(sorted(map(str, G.exprs)) for G in pieces) == [
        ["c0", "c1"],
        ["c0", "c2"],
        ["c1", "c2"],
    ]


def test_too_many_coordinates_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sl, "MAX_COORDINATES", 4)
    with pytest.raises(BudgetExceededError, match="coordinates exceed 4"):
        sl.singular_locus(parse_architecture("lcn k=3,2 s=2"))


def test_cli_locus() -> None:
    import json

    from typer.testing import CliRunner

    from neurovariety.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["singular", "lcn k=3,2 s=2", "--locus", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["exact"] and data["components"][0]["equations"] == ["c1", "c3"]
    both = runner.invoke(app, ["singular", "lcn k=3,2 s=2", "--locus", "--stratum", "x"])
    assert both.exit_code == 2 and "drop --stratum" in both.output


def test_strided_pcn_singular_only_at_the_vertex() -> None:
    # cnn k=2,2 s=2 x^2 (PCN: smooth off the vertex, the padding strata smooth). The superset
    # from its 6 equations is the vertex alone, singular as V is a cone and not a linear space.
    r = sl.singular_locus(parse_architecture("cnn k=2,2 s=2 x^2"))
    (comp,) = r.components
    assert comp.dimension == 0 and comp.singular.startswith("singular (proven:")
    assert comp.verdict is Verdict.YES and comp.certainty is Certainty.PROVEN
    assert all(v.startswith("smooth") for v in r.strata.values())


def test_superset_components_say_what_is_unproven() -> None:
    # a component of the superset that no stratum's image is: the rank drop of equations not
    # proven to generate I(V) proves nothing, and the label must say so
    arch = parse_architecture("cnn k=2,2 x^2")
    verdict, label = sl._certify(arch, [], seed=0)
    assert verdict is Verdict.UNKNOWN
    assert label.startswith("superset (unproven)") and "proves nothing" in label
    # a component holding PCN's node x1² (certified singular) meets Sing V, no more
    (node,) = [i for i in sl._images(arch, 101, 0) if "padding 0|1 1|0" in i.names]
    verdict, label = sl._certify(arch, [], seed=0, smaller=[node])
    assert verdict is Verdict.UNKNOWN
    assert label.startswith("superset (unproven)") and "Sing V does meet it" in label
