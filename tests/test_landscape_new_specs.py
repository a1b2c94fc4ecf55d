"""The landscape commands on the new architectures (attention, multi-channel and 2D convolutions):
each works or refuses with a typed error that says what is unsupported and what to use instead.

Expected counts are closed values (generic ED degrees of Segre / Segre–Veronese varieties, DHOST
Thm 5.8 via KMST arXiv:2304.05752 and PCN arXiv:2410.00722; a filling function space has one
critical point), reached here through the multi-dimensional convolution code (ConvNet), a second
path to function spaces that the 1D specs already give.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from neurovariety import NeurovarietyError, parse_architecture
from neurovariety.architectures import ConvNet, LinearConvNet, Monomial
from neurovariety.cli import app
from neurovariety.invariants import exact_counts, formulas
from neurovariety.invariants.dimension import dimension
from neurovariety.invariants.strata import parse_stratum
from neurovariety.landscape import edd, stratum_critical_point
from neurovariety.landscape.loss import loss_function
from neurovariety.results import Certainty


@pytest.mark.parametrize("extra", [[], ["--trials", "2"]], ids=["critical", "exposure"])
def test_critical_refuses_attention_with_what_works(extra: list[str]) -> None:
    r = CliRunner().invoke(app, ["critical", "attn t=2 d=2 a=1", *extra])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert "not supported yet for attention" in r.output and "dim, fiber and profile" in r.output


def _two_channel_loss(theta: np.ndarray, X: np.ndarray, Y: np.ndarray) -> float:
    """cnn k=2,2 c=1,2,1 x^2 written out by hand: h_j(t) = w_j0 x_t + w_j1 x_{t+1} (channel j,
    θ[2j + m] = w_jm), f = Σ_j Σ_m v_jm h_j(m)² (θ[4 + 2j + m] = v_jm)."""
    w, v = theta[:4].reshape(2, 2), theta[4:].reshape(2, 2)
    h = np.stack([X[:, t : t + 2] @ w.T for t in range(2)], axis=-1)  # (n, channel, position)
    f = np.einsum("jm,njm->n", v, h**2)
    return float(np.sum((f - Y[:, 0]) ** 2))


def _central_gradient(fun: Any, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    e = np.eye(len(theta))
    return np.array([(fun(theta + h * d) - fun(theta - h * d)) / (2 * h) for d in e])


@pytest.mark.parametrize(
    ("name", "lifts"),
    [
        ("inactive-in layer 1 channels 0", "in-filters 0, out-filters arbitrary"),
        ("redundant layer 1 channels 0,1", "both in-filters equal, out-filters t·c and (1 − t)·c"),
    ],
)
def test_hidden_channel_strata_are_exposed_and_critical_by_hand(name: str, lifts: str) -> None:
    # Razor's lifting argument per channel: σ = x² has σ(0) = σ'(0) = 0, so a channel with zero
    # in-filters gets zero gradient whatever its out-filters; a duplicated channel splits its
    # out-filters t·c, (1 − t)·c. The gradient is checked on a hand-written forward pass.
    f = parse_architecture("cnn k=2,2 c=1,2,1 x^2")
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    theta = rng.standard_normal(f.n_params)
    assert _two_channel_loss(theta, X, Y) == pytest.approx(float(loss_function(f)(theta, X, Y)))
    r = stratum_critical_point(f, parse_stratum(f, name), X, Y, seed=2)
    assert r.certificate.proven and r.certificate.lifts == lifts
    assert r.verdict.value == "yes"
    g = _central_gradient(lambda t: _two_channel_loss(t, X, Y), np.asarray(r.theta))
    assert np.linalg.norm(g) < 1e-5 * float(np.sum(Y**2))


def test_padding_strata_of_a_channel_network_are_not_exposed() -> None:
    # Razor: zero-padded filters carry no critical points away from the zero fiber, so the
    # gradient off the stratum stays (no lifting argument is claimed).
    f = parse_architecture("cnn k=2,2 c=1,2,1 x^2")
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    r = stratum_critical_point(f, parse_stratum(f, "padding 0|1 0|0"), X, Y)
    assert not r.certificate.proven and r.verdict.value == "no"
    g = _central_gradient(lambda t: _two_channel_loss(t, X, Y), np.asarray(r.theta))
    assert np.linalg.norm(g) > 1e-3


def test_single_channel_2d_channel_strata_compute_zero() -> None:
    # one hidden channel: switching it off leaves the zero function, decided for every dataset
    r = CliRunner().invoke(
        app, ["critical", "lcn k=2x2,2x2 s=1", "--stratum", "inactive-out layer 1 channels 0"]
    )
    assert r.exit_code == 0, r.output
    assert "critical for the full network: no" in r.output and "certainty: proven" in r.output


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
