"""Subnetwork strata and singular points, against PCN (arXiv:2410.00722), Razor (arXiv:2505.11846)
and hand reasoning."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from neurovariety import NeurovarietyError, parse_architecture
from neurovariety.invariants.singularities import rank_at, singular, singular_strata
from neurovariety.invariants.strata import equivalent_paddings, parse_stratum, strata
from neurovariety.parametrization import forward
from neurovariety.results import Verdict


def test_pcn_stride_one_has_one_node_at_x1_squared() -> None:
    # PCN: k = (2, 2), stride 1, r = 2 has exactly one singular point up to scale, x_1², a node.
    f = parse_architecture("cnn k=2,2 x^2")
    results = singular_strata(f, seed=1)
    singular_ones = [r for r in results if r.verdict is Verdict.YES]
    assert {r.stratum for r in singular_ones} == {"padding 0|1 1|0", "padding 1|0 0|1"}
    for r in singular_ones:
        assert r.certified and r.branches == 2 and r.kind == "node"
        assert r.image_dimension == 1  # the line through x_1²
    # The stratum's functions are multiples of x_1²: w1 = (a, 0), w2 = (0, b) gives b·a²·x_1².
    theta = np.array([2.0, 0.0, 0.0, 3.0])
    x = np.random.default_rng(0).standard_normal((5, 3))
    assert np.allclose(forward(f, theta, x)[:, 0], 12.0 * x[:, 1] ** 2)


def test_pcn_stride_two_has_no_second_placement() -> None:
    f = parse_architecture("cnn k=2,2 s=2 x^2")
    assert all(len(equivalent_paddings(f, s.padding)) == 1 for s in strata(f))  # type: ignore[arg-type]
    assert all(r.verdict is not Verdict.YES for r in singular_strata(f))


# --- smoothness, checked against the Jacobian criterion with hand-derived equations -----------
# If polynomials vanishing on V have a Jacobian of rank codim V at f, the Zariski tangent space
# at f has dimension ≤ dim V, so f is a smooth point. This shares no code with `singular`, which
# argues through the finite projection of a Segre–Veronese variety (PCN, KMST).


def _stratum_point(spec: str, stratum: str, filters: tuple[int, ...], rng: np.random.Generator):
    """Random integer filters on the stratum (zeros at the padded ends and, for an interior-zero
    stratum ``a|b:d``, between the positions a, a + d, …), as sympy Integers."""
    arch = parse_architecture(spec)
    out = []
    for k, word in zip(filters, stratum.split()[1:], strict=True):
        ab, _, d = word.partition(":")
        a, b = map(int, ab.split("|"))
        w = [0] * k
        for j in range(a, k - b, int(d or 1)):
            w[j] = int(rng.choice([-3, -2, -1, 1, 2, 3, 5]))
        out.append(w)
    assert parse_stratum(arch, stratum).name == stratum
    return out


def _jacobian_rank(eqs: list, cs: list, point: list) -> int:
    J = sympy.Matrix([[sympy.diff(e, c) for c in cs] for e in eqs])
    return J.subs(dict(zip(cs, point, strict=True))).rank()


def _pcn_22_coefficients(w1: list, w2: list, s: int) -> list:
    """f = w2_0 (w1·(x_0, x_1))² + w2_1 (w1·(x_s, x_s+1))², written out by hand."""
    x = sympy.symbols("x0:4")
    f = sympy.expand(
        w2[0] * (w1[0] * x[0] + w1[1] * x[1]) ** 2 + w2[1] * (w1[0] * x[s] + w1[1] * x[s + 1]) ** 2
    )
    P = sympy.Poly(f, *x)
    if s == 1:  # monomials x0², x0x1, x1², x1x2, x2²
        mons = [x[0] ** 2, x[0] * x[1], x[1] ** 2, x[1] * x[2], x[2] ** 2]
    else:  # x0², x0x1, x1², x2², x2x3, x3²
        mons = [x[0] ** 2, x[0] * x[1], x[1] ** 2, x[2] ** 2, x[2] * x[3], x[3] ** 2]
    return [P.coeff_monomial(m) for m in mons]


def test_pcn_stride_two_is_smooth_at_every_stratum() -> None:
    # PCN: k = (2, 2), stride 2, r = 2 is smooth. Here f = α ℓ(x0,x1)² + β ℓ(x2,x3)², so V is
    # the cone over P¹ × P¹ in O(2, 1): the rows (c0, c1, c2), (c3, c4, c5) are proportional and
    # each is a square (c1² = 4c0c2). Codimension 6 − 3 = 3.
    spec = "cnn k=2,2 s=2 x^2"
    results = singular_strata(parse_architecture(spec))
    assert len(results) == 8
    c = sympy.symbols("c0:6")
    eqs = [
        c[0] * c[4] - c[1] * c[3],
        c[0] * c[5] - c[2] * c[3],
        c[1] * c[5] - c[2] * c[4],
        4 * c[0] * c[2] - c[1] ** 2,
        4 * c[3] * c[5] - c[4] ** 2,
    ]
    rng = np.random.default_rng(3)
    for r in results:
        assert r.verdict is Verdict.NO and r.certified, (r.stratum, r.reason)
        assert "PCN" in r.reason
        w1, w2 = _stratum_point(spec, r.stratum, (2, 2), rng)
        point = _pcn_22_coefficients(w1, w2, 2)
        assert all(sympy.expand(e.subs(dict(zip(c, point, strict=True)))) == 0 for e in eqs)
        assert _jacobian_rank(eqs, list(c), point) == 3


def test_pcn_stride_one_is_smooth_off_the_node() -> None:
    # Hand derivation: c0 = αa², c1 = 2αab, c2 = αb² + βa², c3 = 2βab, c4 = βb² satisfy
    # c1c3 = 4c0c4 and, with βa² = c0c3/c1, 4c0²c3 − 4c0c1c2 + c1³ = 0 (and its mirror image).
    # dim V = 3 in C⁵: a Jacobian of rank 2 proves a smooth point.
    spec = "cnn k=2,2 x^2"
    c = sympy.symbols("c0:5")
    eqs = [
        c[1] * c[3] - 4 * c[0] * c[4],
        4 * c[0] ** 2 * c[3] - 4 * c[0] * c[1] * c[2] + c[1] ** 3,
        4 * c[4] ** 2 * c[1] - 4 * c[4] * c[3] * c[2] + c[3] ** 3,
    ]
    rng = np.random.default_rng(4)
    nodes = {"padding 0|1 1|0", "padding 1|0 0|1"}
    for r in singular_strata(parse_architecture(spec)):
        w1, w2 = _stratum_point(spec, r.stratum, (2, 2), rng)
        point = _pcn_22_coefficients(w1, w2, 1)
        assert all(sympy.expand(e.subs(dict(zip(c, point, strict=True)))) == 0 for e in eqs)
        if r.stratum in nodes:
            assert r.verdict is Verdict.YES and r.kind == "node"
            assert _jacobian_rank(eqs, list(c), point) < 2  # consistent with a singular point
        else:
            assert r.verdict is Verdict.NO and r.certified, (r.stratum, r.reason)
            assert _jacobian_rank(eqs, list(c), point) == 2


def test_lcn_32_stride_two_against_the_hypersurface() -> None:
    # LCN (arXiv:2401.16613): V = {F = 0}, F = c1c2c3 − c0c3² − c1²c4 irreducible, so a point is
    # smooth iff ∇F ≠ 0. P(x) = (a0 + a1x²)(c0 + c1x + c2x²).
    spec = "lcn k=3,2 s=2"
    c = sympy.symbols("c0:5")
    F = c[1] * c[2] * c[3] - c[0] * c[3] ** 2 - c[1] ** 2 * c[4]
    y = sympy.Symbol("y")
    rng = np.random.default_rng(5)
    verdicts = {}
    for r in singular_strata(parse_architecture(spec)):
        w1, w2 = _stratum_point(spec, r.stratum, (3, 2), rng)
        P = sympy.Poly(sympy.expand((w2[0] + w2[1] * y**2) * (w1[0] + w1[1] * y + w1[2] * y**2)), y)
        point = [P.coeff_monomial(y**j) for j in range(5)]
        grad = [sympy.diff(F, v).subs(dict(zip(c, point, strict=True))) for v in c]
        smooth = any(g != 0 for g in grad)
        verdicts[r.stratum] = r.verdict
        if r.verdict is Verdict.NO:
            assert smooth and r.certified, r.stratum
        if r.verdict is Verdict.YES:
            assert not smooth, r.stratum
    # The even quadratics c·(a0 + a1x²) are reached from a second padding with other filter
    # sizes, (3, 1): those points are singular (∇F = 0) and must not be called smooth; with
    # ∇F = 0 on the whole image (by hand: c1 = c3 = 0 there) they are singular.
    assert verdicts["padding 0|2 0|0"] is Verdict.YES
    assert verdicts["padding 2|0 0|0"] is Verdict.YES
    assert sum(v is Verdict.NO for v in verdicts.values()) == 11
    assert sum(v is Verdict.YES for v in verdicts.values()) == 9  # 6 paddings, 3 interior zeros


def test_stratum_dense_in_v_is_smooth_at_its_generic_point() -> None:
    # KTB's 2-3-2-3-4 with r = 2 (dim 16): two squares of binary linear forms already give a
    # generic pair of binary quadrics (a generic pencil holds two squares), so a first hidden
    # layer of width 2 reaches the same V. The layer-1 strata are dense in V: smooth generically.
    results = singular_strata(parse_architecture("mlp 2-3-2-3-4 x^2"))
    layer1 = [r for r in results if "layer 1" in r.stratum]
    assert len(layer1) == 3
    for r in layer1:
        assert r.image_dimension == r.dimension == 16
        assert r.verdict is Verdict.NO and r.certified and "dense" in r.reason
    others = [r for r in results if "layer 1" not in r.stratum]
    assert all(r.verdict is Verdict.UNKNOWN and r.reason for r in others)


def test_generic_sigma_cnn_is_not_called_smooth() -> None:
    # σ generic: φ is not a projection of a Segre–Veronese variety, so no finite-map argument.
    for r in singular_strata(parse_architecture("cnn k=2,2 generic:3")):
        assert r.verdict is not Verdict.NO
        if r.verdict is Verdict.UNKNOWN:
            assert "no finite-projection theorem" in r.reason


@pytest.mark.parametrize(
    "spec", ["mlp 2-2-1 x^3+x^2", "mlp 2-3-1 generic:4", "mlp 3-2-1 generic:3"]
)
def test_generic_mlp_subnetworks_are_singular(spec: str) -> None:
    # Razor: subnetworks of MLPs with generic σ are singular points (cusp-like).
    for r in singular_strata(parse_architecture(spec), seed=2):
        assert r.verdict is Verdict.YES and r.certified
        assert r.evidence["span_rank"] > r.dimension
        assert max(r.evidence["fiber_ranks"]) < r.dimension  # dφ drops rank along the fiber


def test_filling_architectures_have_no_singular_points() -> None:
    # mlp 2-3-2 x^2 fills the 6-dim space of pairs of binary quadrics: smooth everywhere.
    for r in singular_strata(parse_architecture("mlp 2-3-2 x^2")):
        assert r.verdict is Verdict.NO and r.certified


def test_strata_enumeration_counts() -> None:
    # k = (3, 2): paddings (a, b) with a + b ≤ k − 1: 6 for k = 3, 3 for k = 2, minus the empty
    # one; and the first filter with its middle entry zero (dilation 2 divides the stride 2)
    # times the 3 paddings of the second.
    cnn = strata(parse_architecture("cnn k=3,2 s=2 x^2"))
    assert sum(s.kind == "padding" for s in cnn) == 6 * 3 - 1
    assert sum(s.kind == "interior-zero" for s in cnn) == 3
    mlp = strata(parse_architecture("mlp 2-3-2-1 x^2"))
    assert len(mlp) == 2 * 3  # per hidden layer: inactive-out, inactive-in, redundant
    with_constant = strata(parse_architecture("mlp 2-3-1 x^2+1"))
    assert [s.kind for s in with_constant] == ["inactive-out", "redundant"]  # σ(0) ≠ 0


def test_stratum_basis_spans_the_stratum() -> None:
    f = parse_architecture("mlp 2-2-1 x^2")
    s = parse_stratum(f, "redundant layer 1 neurons 0,1")
    theta = s.basis @ np.arange(1, s.basis.shape[1] + 1)
    assert theta[0:2].tolist() == theta[2:4].tolist()  # equal incoming rows


def test_rank_drop_at_subnetwork_parameters() -> None:
    f = parse_architecture("mlp 2-2-1 x^3+x^2")  # dim 6
    assert rank_at(f, [1, 2, 3, 5, 7, 11]) == 6
    assert rank_at(f, [1, 2, 1, 2, 7, 11]) < 6  # redundant neurons
    with pytest.raises(NeurovarietyError, match="integers"):
        rank_at(f, [0.5, 1, 1, 1, 1, 1])


def test_unknown_stratum_name() -> None:
    with pytest.raises(NeurovarietyError, match="no stratum"):
        parse_stratum(parse_architecture("cnn k=2,2 x^2"), "padding 5|5 0|0")


def test_singular_rejects_foreign_stratum() -> None:
    a, b = parse_architecture("cnn k=2,2 x^2"), parse_architecture("cnn k=2,2 s=2 x^2")
    with pytest.raises(NeurovarietyError):
        singular(a, strata(b)[0])
