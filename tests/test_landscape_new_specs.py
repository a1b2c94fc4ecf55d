"""The landscape commands on the new architectures (attention, multi-channel and 2D convolutions):
each works or refuses with a typed error that says what is unsupported and what to use instead.

Expected counts are closed values (generic ED degrees of Segre / Segre–Veronese varieties, DHOST
Thm 5.8 via KMST arXiv:2304.05752 and PCN arXiv:2410.00722; a filling function space has one
critical point), reached here through the multi-dimensional convolution code (ConvNet), a second
path to function spaces that the 1D specs already give.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from neurovariety import NeurovarietyError, parse_architecture
from neurovariety.architectures import ConvNet, LinearConvNet, Monomial
from neurovariety.cli import app
from neurovariety.invariants import exact_counts, formulas
from neurovariety.invariants.dimension import dimension
from neurovariety.landscape import edd
from neurovariety.results import Certainty


@pytest.mark.parametrize(
    ("spec", "hint"),
    [
        ("attn t=2 d=2 a=1", "dim, fiber and profile"),
        ("cnn k=2,2 c=1,2,1 x^2", "neurovariety edd"),
        ("cnn k=2x2,2x2 x^2", "neurovariety edd"),
        ("lcn k=2x2,2x2 s=1", "neurovariety edd"),
    ],
)
@pytest.mark.parametrize("extra", [[], ["--trials", "2"]], ids=["critical", "exposure"])
def test_critical_refuses_specs_without_strata(spec: str, hint: str, extra: list[str]) -> None:
    r = CliRunner().invoke(app, ["critical", spec, *extra])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert "not supported yet" in r.output and hint in r.output


@pytest.mark.parametrize(
    ("conv", "spec_1d", "sv"),
    [
        # a trivial second axis: the same function space as the 1D network, by the 2D code
        (LinearConvNet(((2, 1), (2, 1)), (1, 1, 1), ((2, 1),)), "lcn k=2,2 s=2", ((1, 1), (1, 1))),
        (LinearConvNet(((1, 2), (1, 2)), (1, 1, 1), ((1, 2),)), "lcn k=2,2 s=2", ((1, 1), (1, 1))),
        (
            ConvNet(((2, 1), (2, 1)), (1, 1, 1), ((2, 1),), Monomial(2)),
            "cnn k=2,2 s=2 x^2",
            ((1, 1), (2, 1)),
        ),
    ],
    ids=lambda v: getattr(v, "spec", None),
)
def test_two_dimensional_code_gives_the_one_dimensional_ed_degree(
    conv: ConvNet, spec_1d: str, sv: tuple[tuple[int, int], tuple[int, int]]
) -> None:
    # Segre P¹×P¹: 6 (2×2 rank-one matrices); Segre–Veronese with ω = (2, 1): 14 (DHOST)
    expected = formulas.segre_veronese_generic_ed_degree(*sv)
    assert expected == {((1, 1), (1, 1)): 6, ((1, 1), (2, 1)): 14}[sv]
    r = edd(conv, seed=1)
    assert r.count == expected, r.summary()
    assert r.count == edd(parse_architecture(spec_1d), seed=1).count
    assert r.certainty in (Certainty.PROBABLE, Certainty.NUMERICAL)


def test_multichannel_filling_network_has_one_critical_point() -> None:
    # f = Σ_c Σ_j v_cj (a_c x_j + b_c x_{j+1})²: x0·x2 never occurs, and the other five
    # coefficients fill their space (dim = ambient = 5): the loss is a positive definite
    # quadratic on function space, with exactly one critical point.
    f = parse_architecture("cnn k=2,2 c=1,2,1 x^2")
    assert f.ambient_dim_per_output == 5 == dimension(f).dimension
    r = edd(f)
    assert r.count == 1 and not r.positive_dimensional, r.summary()


def test_filling_lcn_with_hidden_channels_is_counted_not_refused() -> None:
    # One channel computes (a + bx)(d + ex²), the quadric c0·c3 = c1·c2 of cubics; two channels
    # add two such, and the secant variety of a quadric surface in P³ is all of P³: filling, so
    # one critical point — though the chart's fiber (channel mixing) is positive-dimensional.
    f = parse_architecture("lcn k=2,2 c=1,2,1 s=2")
    r = edd(f)
    assert (r.count, r.method, r.certainty) == (1, "filling", Certainty.PROVEN), r.summary()
    # three data values for four coefficients: Q = VᵀV is singular, the minimizers an affine line
    d = edd(f, form="data", n_data=3)
    assert d.count is None and d.positive_dimensional
    with pytest.raises(NeurovarietyError, match="positive-dimensional"):
        edd(f, method="monodromy")


def test_edd_refuses_attention_with_what_works() -> None:
    r = CliRunner().invoke(app, ["edd", "attn t=2 d=2 a=1"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "not supported yet for attention" in r.output and "dim, fiber" in r.output


@pytest.mark.slow
@pytest.mark.skipif(not exact_counts.available(), reason="msolve is not installed")
def test_two_dimensional_lcn_by_two_methods() -> None:
    # Products g·h of two bidegree-(1, 1) forms: factorization in C[x, y] is unique, and the two
    # filters have the same shape, so each function has exactly the chart points (g, h), (h, g).
    # No closed formula is known to us (the multiplication map is 2:1, so the Segre's ED degree
    # does not apply): msolve's count and the monodromy's must agree ("both" raises otherwise).
    r = edd(parse_architecture("lcn k=2x2,2x2 s=1"), method="both", seed=1)
    assert r.method == "both" and r.fiber_size == 2
    assert r.parameter_solutions == 2 * r.count == 244


def test_ed_degree_json_keys_of_earlier_versions_stay() -> None:
    d = edd(parse_architecture("lcn k=2,2 c=1,2,1 s=2")).to_dict()
    old = {"architecture", "form", "count", "formula", "formula_source", "parameter_solutions"}
    old |= {"degenerate_removed", "fiber_size", "trace_test", "ledger", "seed", "seconds"}
    old |= {"method", "certificate", "exact", "positive_dimensional", "real"}
    assert old | {"certainty", "certified"} == set(d)
    assert (d["certainty"], d["certified"]) == ("proven", True)
