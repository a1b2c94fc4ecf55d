"""Streamed strata, interior-zero strata and local singularity types, against hand counts and
hand derivations (Razor arXiv:2505.11846, PCN arXiv:2410.00722, KMST arXiv:2304.05752)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy
from typer.testing import CliRunner

from neurovariety import parse_architecture
from neurovariety.cli import app
from neurovariety.errors import ArchitectureError, BudgetExceededError
from neurovariety.invariants import strata as st
from neurovariety.invariants.exact_counts import available
from neurovariety.invariants.singularities import singular
from neurovariety.results import Verdict

C = sympy.symbols("c0:7")


def test_streamed_count_matches_the_closed_form_above_500() -> None:
    # cnn k=4,4,4,4 (stride 1): 10 paddings (a, b) per filter, 10^4 − 1 padding strata. A dilated
    # filter d must divide its stride, which a dilation of the next filter multiplies by d: so
    # chains from the last filter, d = 2 (2 placements per filter: {0,2}, {1,3}) or d = 3 (one,
    # {0,3}): 1000·2 + 1000·1 + 100·4 + 100·1 + 10·8 + 10·1 + 16 + 1 = 3,607 interior-zero.
    arch = parse_architecture("cnn k=4,4,4,4 x^2")
    kinds = {"padding": 0, "interior-zero": 0}
    for s in st.iter_strata(arch):
        kinds[s.kind] += 1
    assert kinds == {"padding": 10**4 - 1, "interior-zero": 3607}
    assert st.count_strata(arch) == 10**4 - 1 + 3607


def test_counts_of_small_architectures_by_hand() -> None:
    # lcn k=5,3 s=2: P = w1(x)·w2(x²), 15·6 − 1 paddings. Dilations (d1, d2) make the factors
    # polynomials in x^d1 and x^(2·d2); a stratum when the two scales divide one another:
    # (2, 1), (4, 1), (1, 2), (2, 2), (4, 2), not d1 = 3. Filter 1 with d = 2: spans 2 or 4,
    # a + b = 2 (3 ways) or 0 (1): 4 placements; d = 4: {0, 4}, 1; filter 2 with d = 2: {0, 2}, 1.
    arch = parse_architecture("lcn k=5,3 s=2")
    assert st.count_strata(arch) == 15 * 6 - 1 + 4 * 6 + 1 * 6 + (15 + 4 + 1) * 1
    assert st.count_strata(arch) == sum(1 for _ in st.iter_strata(arch))
    assert st.count_strata(parse_architecture("mlp 2-3-2-1 x^2")) == 6


def test_a_materialised_list_is_refused_past_its_memory_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(st, "MAX_LISTED", 500)
    with pytest.raises(BudgetExceededError, match="13,606 strata.*iter_strata"):
        st.strata(parse_architecture("cnn k=4,4,4,4 x^2"))
    # one stratum is still found by name without a list
    name = "interior-zero 0|0 0|0 0|1:2 1|0:2"
    s = st.parse_stratum(parse_architecture("cnn k=4,4,4,4 x^2"), name)
    assert s.reduced is not None and s.reduced.spec == "cnn k=4,4,2,2 s=1,2,1 x^2"


def test_interior_zero_stratum_of_lcn_32_by_hand() -> None:
    # c = a * (b upsampled by 2): P = (a0 + a1x + a2x²)(b0 + b1x²), so c1 = a1b0 and c3 = a1b1.
    # With b ≠ 0, c1 = c3 = 0 exactly when a1 = 0: the interior zero of the first filter.
    a = sympy.symbols("a0:3")
    b = sympy.symbols("b0:2")
    x = sympy.Symbol("x")
    P = sympy.Poly(sympy.expand((a[0] + a[1] * x + a[2] * x**2) * (b[0] + b[1] * x**2)), x)
    c = [P.coeff_monomial(x**j) for j in range(5)]
    assert (c[1], c[3]) == (a[1] * b[0], a[1] * b[1])
    arch = parse_architecture("lcn k=3,2 s=2")
    s = st.parse_stratum(arch, "interior-zero 0|0:2 0|0")
    zeroed = [j for j in range(arch.n_params) if not s.basis[j].any()]
    assert zeroed == [1]  # θ = (a0, a1, a2, b0, b1): only a1
    # its image: A(y)B(y) with y = x², every quadratic in y (it factors over C): dim 3
    assert s.reduced is not None and s.reduced.spec == "lcn k=2,2" and s.input_step == 2
    r = singular(arch, s)
    assert r.image_dimension == 3
    assert r.verdict is Verdict.YES and r.certified


def test_a_dilation_that_does_not_divide_the_stride_is_no_stratum() -> None:
    # cnn k=3,2 x^2 (stride 1): a1 = 0 gives b0(a0x0 + a2x2)² + b1(a0x1 + a2x3)², a network with
    # a dilated first filter, which no strided CNN with smaller filters computes
    arch = parse_architecture("cnn k=3,2 x^2")
    assert all(s.kind == "padding" for s in st.iter_strata(arch))
    with pytest.raises(ArchitectureError, match="no stratum"):
        st.parse_stratum(arch, "interior-zero 0|0:2 0|0")


def test_lcn_factors_commute_so_reordered_patterns_are_strata() -> None:
    # lcn k=3,2 (stride 1): a1 = 0 leaves (a0 + a2x²)(b0 + b1x) = (b0 + b1x)(a0 + a2x²), the
    # LCN with filters (2, 2) in the other order and stride 2
    s = st.parse_stratum(parse_architecture("lcn k=3,2"), "interior-zero 0|0:2 0|0")
    assert s.reduced is not None and s.reduced.spec == "lcn k=2,2 s=2" and s.input_step == 1
    # lcn k=5,2 s=2: (a0 + a4x⁴)(b0 + b1x²) = B(y)·A(y²) with y = x²: lcn k=2,2 s=2 in y;
    # 4 does not divide the stride 2, so only the reordering makes it a stratum
    s = st.parse_stratum(parse_architecture("lcn k=5,2 s=2"), "interior-zero 0|0:4 0|0")
    assert s.reduced is not None and s.reduced.spec == "lcn k=2,2 s=2" and s.input_step == 2
    # lcn k=4,2 s=2: (a0 + a3x³)(b0 + b1x²) mixes x³ and x², no chain: no stratum
    with pytest.raises(ArchitectureError, match="no stratum"):
        st.parse_stratum(parse_architecture("lcn k=4,2 s=2"), "interior-zero 0|0:3 0|0")


@pytest.mark.parametrize("name", ["interior-zero 0|0:0 0|0", "padding 0|0:0 0|1"])
def test_a_dilation_below_one_is_no_stratum(name: str) -> None:
    # a spacing of 0 between the non-zero taps names no filter pattern (and divided by zero)
    with pytest.raises(ArchitectureError, match="no stratum"):
        st.parse_stratum(parse_architecture("lcn k=3,2 s=2"), name)


def _hessian_rank(F: sympy.Expr, point: list[sympy.Expr], n: int) -> tuple[list, int]:
    subs = dict(zip(C[:n], point, strict=True))
    grad = [sympy.diff(F, v).subs(subs) for v in C[:n]]
    return grad, sympy.hessian(F, C[:n]).subs(subs).rank()


@pytest.mark.skipif(not available(), reason="msolve is not installed")
def test_local_types_of_the_lcn_cubic_by_hand() -> None:
    # F = c0c3² + c1²c4 − c1c2c3 at q = (c0, 0, c2, 0, c4): ∇F = 0 and the quadratic part is
    # −c0h3² − c4h1² + c2h1h3 in (h1, h3), of rank 2 when c2² ≠ 4c0c4: a node (two sheets, the
    # factorizations with the roles of A and B swapped), transversal to Sing V = {c1 = c3 = 0}
    F = C[0] * C[3] ** 2 + C[1] ** 2 * C[4] - C[1] * C[2] * C[3]
    grad, rank = _hessian_rank(F, [2, 0, 7, 0, 3], 5)
    assert grad == [0] * 5 and rank == 2
    # at a constant (c0, 0, 0, 0, 0): only −c0h3² is left, rank 1: degenerate
    grad, rank = _hessian_rank(F, [2, 0, 0, 0, 0], 5)
    assert grad == [0] * 5 and rank == 1
    arch = parse_architecture("lcn k=3,2 s=2")
    node = singular(arch, st.parse_stratum(arch, "interior-zero 0|0:2 0|0")).local_type
    assert (node["type"], node["multiplicity"], node["tangent_cone_rank"]) == ("node", 2, 2)
    constants = singular(arch, st.parse_stratum(arch, "padding 0|2 0|1"))  # P = a0·b0
    cusp = constants.local_type
    assert (cusp["type"], cusp["tangent_cone_rank"]) == ("cusp-type", 1)
    # its two fiber points span only dim M: the verdict is the Jacobian criterion's
    assert constants.verdict is Verdict.YES and constants.certified
    assert constants.evidence["method"] == "jacobian-criterion"
    smooth = singular(arch, st.parse_stratum(arch, "padding 0|0 0|1"))
    assert smooth.verdict is Verdict.NO and smooth.local_type["type"] == "smooth"


@pytest.mark.skipif(not available(), reason="msolve is not installed")
def test_razor_types_by_hand() -> None:
    # Razor's F for mlp 2-2-1 x^3+x^2. At a point v(ℓ³ + ℓ²) of the 2-1-1 image and at a point
    # with no cubic part, ∇F = 0 and the Hessian has rank 4 = 7 − 3, the codimension of either
    # 3-dimensional component of Sing V: nodes (ordinary double points transversally).
    F = (
        6 * C[0] * C[4] * C[6]
        - 2 * C[0] * C[5] ** 2
        - 9 * C[1] * C[3] * C[6]
        + C[1] * C[4] * C[5]
        + 6 * C[2] * C[3] * C[5]
        - 2 * C[2] * C[4] ** 2
    )
    v, w0, w1 = 3, 2, -1
    quad = [v * w0**2, 2 * v * w0 * w1, v * w1**2]
    cubic = [v * w0**3, 3 * v * w0**2 * w1, 3 * v * w0 * w1**2, v * w1**3]
    grad, rank = _hessian_rank(F, quad + cubic, 7)
    assert grad == [0] * 7 and rank == 4
    grad, rank = _hessian_rank(F, [5, -2, 3, 0, 0, 0, 0], 7)
    assert grad == [0] * 7 and rank == 4
    arch = parse_architecture("mlp 2-2-1 x^3+x^2")
    r = singular(arch, st.parse_stratum(arch, "redundant layer 1 neurons 0,1"))
    assert r.local_type["type"] == "node" and r.local_type["tangent_cone_rank"] == 4


def test_pcn_node_at_x1_squared_from_the_branches() -> None:
    # cnn k=2,2 x^2 is no hypersurface (dim 3 in C^5): the type comes from the two placements
    arch = parse_architecture("cnn k=2,2 x^2")
    r = singular(arch, st.parse_stratum(arch, "padding 0|1 1|0"))
    assert r.local_type["type"] == "node" and "branches" in r.local_type["meaning"]


def test_lcn_factor_reassignment_gives_fiber_points() -> None:
    # (a0)(b0 + b1x²) = (b0 + b1x²)(a0): the filters (b0, 0, b1), (a0, 0) compute the same P
    from neurovariety.invariants.cnn_fiber import lcn_factor_points

    arch = parse_architecture("lcn k=3,2 s=2")
    theta = np.array([2.0, 0.0, 0.0, 3.0, 5.0])
    others = lcn_factor_points(arch, theta)  # type: ignore[arg-type]
    assert [t.tolist() for t in others] == [[3.0, 0.0, 5.0, 2.0, 0.0]]


def test_cli_count_and_time_limit() -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["strata", "cnn k=4,4,4,4 x^2", "--count", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["count"] == 13606
    out = runner.invoke(app, ["singular", "cnn k=4,4,4,4 x^2", "--time-limit", "0", "--json"])
    assert out.exit_code == 3, out.output  # a limit was reached: the partial result
    data = json.loads(out.stdout)
    assert (data["count"], data["tested"], data["decided"]) == (13606, 0, 0)
    out = runner.invoke(app, ["strata", "lcn k=3,2 s=2"])
    assert out.exit_code == 0 and "interior-zero 0|0:2 0|0 · lcn k=2,2 · 3" in out.stdout


@pytest.mark.skipif(not available(), reason="msolve is not installed")
def test_determinantal_and_vertex_types_by_hand() -> None:
    # mlp 3-2-1 x^2: f = xᵀSx with S = [[c0, c1/2, c2/2], [c1/2, c3, c4/2], [c2/2, c4/2, c5]],
    # V = {det S = 0}, Sing V = rank ≤ 1 (dim 3). At S = diag(1, 0, 0) the quadratic part of
    # det(S + H) is h3h5 − h4²/4, of rank 3 = 6 − 3: a node (transversally a 2×2 determinant).
    h = sympy.symbols("h0:6")
    S = sympy.Matrix(
        [[1 + h[0], h[1] / 2, h[2] / 2], [h[1] / 2, h[3], h[4] / 2], [h[2] / 2, h[4] / 2, h[5]]]
    )
    poly = sympy.Poly(sympy.expand(S.det()), *h)
    quad = sum(
        c * sympy.Mul(*[x**a for x, a in zip(h, m, strict=True)])
        for m, c in poly.terms()
        if sum(m) == 2
    )
    assert sympy.expand(quad - (h[3] * h[5] - h[4] ** 2 / 4)) == 0
    assert all(sum(m) >= 2 for m, _ in poly.terms())
    assert sympy.hessian(quad, h).rank() == 3
    arch = parse_architecture("mlp 3-2-1 x^2")
    r = singular(arch, st.parse_stratum(arch, "redundant layer 1 neurons 0,1"))
    assert r.verdict is Verdict.YES and r.local_type["type"] == "node"
    assert r.local_type["tangent_cone_rank"] == 3
    # mlp 2-1-1 x^2: the cone 4c0c2 = c1² (rank-one binary quadrics). Its strata map to the
    # vertex, where the tangent cone is F itself, of rank 3 = 3 − 0: an ordinary double point.
    arch = parse_architecture("mlp 2-1-1 x^2")
    r = singular(arch, st.parse_stratum(arch, "inactive-out layer 1 neurons 0"))
    assert r.verdict is Verdict.YES and r.certified
    assert (r.local_type["type"], r.local_type["multiplicity"]) == ("node", 2)


@pytest.mark.skipif(not available(), reason="msolve is not installed")
def test_lcn_52_sing_v_beyond_the_strata() -> None:
    # lcn k=5,2 s=2: P = a(x)·b(x²), deg a ≤ 4, deg b ≤ 1; dim V = 5 + 2 − 1 = 6 in C⁷. If
    # a = a'(x)(x² − r), then P = [a'(x)(x² − r)]·b(x²) = [a'(x)·b(x²)]·(x² − r): two
    # preimages, whose tangent images together span all 7 directions > 6 = dim V (sympy
    # Jacobians, by hand): singular, along a 3 + 1 + 2 − 1 = 5-dimensional family, larger than
    # any stratum image (≤ 4)
    from neurovariety.invariants.singular_locus import singular_locus

    x = sympy.Symbol("x")
    a = sympy.symbols("a0:5")
    b = sympy.symbols("b0:2")
    P = sympy.Poly(sympy.expand(sum(a[i] * x**i for i in range(5)) * (b[0] + b[1] * x**2)), x)
    coeffs = [P.coeff_monomial(x**j) for j in range(7)]
    J = sympy.Matrix([[sympy.diff(cj, v) for v in (*a, *b)] for cj in coeffs])
    ap, r, bb = [2, -1, 3], 5, [1, 4]  # a' = 2 − x + 3x², b = 1 + 4y

    def params(w1: sympy.Expr, w2: sympy.Expr) -> dict:
        p1, p2 = sympy.Poly(w1, x), sympy.Poly(w2, x)
        vals = {a[i]: p1.coeff_monomial(x**i) for i in range(5)}
        return vals | {b[0]: p2.coeff_monomial(1), b[1]: p2.coeff_monomial(x)}

    aprime = ap[0] + ap[1] * x + ap[2] * x**2
    first = params(sympy.expand(aprime * (x**2 - r)), bb[0] + bb[1] * x)
    second = params(sympy.expand(aprime * (bb[0] + bb[1] * x**2)), -r + x)
    assert [c.subs(first) for c in coeffs] == [c.subs(second) for c in coeffs]
    assert J.subs(first).rank() == J.subs(second).rank() == 6
    assert J.subs(first).row_join(J.subs(second)).rank() == 7
    r_ = singular_locus(parse_architecture("lcn k=5,2 s=2"))
    assert r_.exact and [(c.dimension, c.new) for c in r_.components] == [(5, True)]
    point = {sympy.Symbol(f"c{j}"): coeffs[j].subs(first) for j in range(7)}
    (comp,) = r_.components
    assert all(sympy.sympify(e.replace("^", "**")).subs(point) == 0 for e in comp.equations)


@pytest.mark.parametrize("spec", ["lcn k=3,2", "lcn k=4,3,5 s=2,1", "lcn k=9,6,8,5 s=2,3,1"])
def test_lcn_dilations_are_the_chains_of_the_whole_product(spec: str) -> None:
    # the pruned enumeration yields exactly the dilation vectors of the full product whose
    # scales form a divisibility chain, in the product's order
    import itertools

    from neurovariety.invariants.dilations import dilation_vectors

    arch = parse_architecture(spec)
    options = [[1, *range(2, k)] for k in arch.filters]
    spacing = [1, *itertools.accumulate(arch.strides, lambda a, b: a * b)]
    expected = []
    for D in itertools.product(*options):
        t = sorted(d * s for d, s in zip(D, spacing, strict=True))
        if all(b % a == 0 for a, b in zip(t, t[1:], strict=False)):
            expected.append(D)
    assert list(dilation_vectors(arch)) == expected
