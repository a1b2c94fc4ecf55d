"""Critical exposure: lifting certificates, Hessian types only at critical points, no NaN.

Expected values are derived by hand (gradients of f = Σ_k c_k (w_k·x)² written out, closed-form
least squares), never read from the code under test.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.invariants.strata import parse_stratum, strata
from neurovariety.landscape import critical_exposure, hessian_signature, stratum_critical_point
from neurovariety.landscape.critical import lifting_certificate
from neurovariety.results import Verdict


def _quadratic_net_gradient(
    theta: np.ndarray, X: np.ndarray, Y: np.ndarray, power: int = 2, linear: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """By hand, for mlp 2-2-1 with σ(z) = z^power + linear·z: θ = (w0, w1, c0, c1),
    f = Σ_k c_k σ(w_k·x); ∂L/∂c_k = 2 Σ r σ(w_k·x), ∂L/∂w_k = 2 c_k Σ r σ'(w_k·x) x."""
    w = theta[:4].reshape(2, 2)
    c = theta[4:6]
    z = X @ w.T  # (n, 2)
    s = z**power + linear * z
    ds = power * z ** (power - 1) + linear
    r = s @ c - Y[:, 0]
    g_w = 2 * (c[:, None] * ((r[:, None] * ds).T @ X))
    g_c = 2 * (r @ s)
    return np.concatenate([g_w.reshape(-1), g_c]), r


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.standard_normal((10, 2)), rng.standard_normal((10, 1))


def _on_quadratic_net(name: str, X: np.ndarray, Y: np.ndarray, seed: int) -> tuple[Any, Any]:
    f = parse_architecture("mlp 2-2-1 x^2")
    s = parse_stratum(f, name)
    return lifting_certificate(f, s), stratum_critical_point(f, s, X, Y, seed=seed)


def test_inactive_in_lift_with_sigma_x2_is_proven_and_critical_by_hand(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    # σ = x²: σ(0) = σ'(0) = 0, so with w0 = 0 the hand gradient of w0 is 2 c0 Σ r·2(0)·x = 0
    # and that of c0 is 2 Σ r·0 = 0 for ANY c0: every lift is critical.
    X, Y = data
    cert, r = _on_quadratic_net("inactive-in layer 1 neurons 0", X, Y, seed=1)
    assert cert.proven and cert.lifts == "incoming row 0, outgoing column arbitrary"
    assert cert.method.startswith("exact")
    theta = np.asarray(r.theta)
    assert np.all(theta[0:2] == 0) and theta[4] != 0  # row 0, a random outgoing weight
    g, _ = _quadratic_net_gradient(theta, X, Y)
    assert np.all(g[0:2] == 0) and g[4] == 0  # exactly: products with (0·x)
    assert np.linalg.norm(g) <= 1e-6 * float(np.sum(Y**2))
    assert r.verdict is Verdict.YES


def test_inactive_out_general_lift_is_refused_and_the_zero_lift_proven(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    # Outgoing column 0, incoming row e: ∂L/∂c0 = 2 Σ r (e·x)². At a critical point of
    # 2-1-1 x² the form M = Σ r x xᵀ kills the neuron's row w1 (∂L/∂w1 = 4 c1 M w1 = 0), so
    # eᵀMe ≠ 0 for e not parallel to w1: not every lift is critical; e = 0 is.
    X, Y = data
    cert, r = _on_quadratic_net("inactive-out layer 1 neurons 0", X, Y, seed=0)
    assert cert.proven and cert.lifts == "the neuron's incoming row and outgoing column 0"
    assert "not at every lift with outgoing column 0, incoming row arbitrary" in cert.summary
    theta = np.asarray(r.theta)
    assert np.all(theta[[0, 1, 4]] == 0)
    w1 = theta[2:4]
    e = np.array([-w1[1], w1[0]])  # orthogonal to w1
    lifted = theta.copy()
    lifted[0:2] = e
    g, res = _quadratic_net_gradient(lifted, X, Y)
    M = (X * res[:, None]).T @ X
    assert abs(g[4] - 2 * e @ M @ e) < 1e-9 * (1 + abs(g[4]))
    assert abs(g[4]) > 1e-3  # the general lift is not critical
    assert np.linalg.norm(M @ w1) < 1e-6  # the hand fact the argument rests on


def test_linear_term_in_sigma_breaks_the_free_outgoing_lift() -> None:
    # σ = x² + x: ∂L/∂w0 = 2 c0 Σ r σ'(0) x = 2 c0 Σ r x at w0 = 0, not 0 for c0 ≠ 0.
    f = parse_architecture("mlp 2-2-1 x^2+x")
    cert = lifting_certificate(f, parse_stratum(f, "inactive-in layer 1 neurons 0"))
    assert cert.proven and cert.lifts == "the neuron's incoming row and outgoing column 0"
    assert cert.refused.startswith("incoming row 0, outgoing column arbitrary")


def test_redundant_split_and_sigma0_nonzero() -> None:
    # σ = x² + 1: a dead neuron still outputs σ(0) = 1, ∂L/∂c0 = 2 Σ r ≠ 0: no proof; a
    # redundant pair needs nothing of σ (the rows' gradients are t and 1 − t times one).
    f = parse_architecture("mlp 2-2-1 x^2+1")
    out = lifting_certificate(f, parse_stratum(f, "inactive-out layer 1 neurons 0"))
    red = lifting_certificate(f, parse_stratum(f, "redundant layer 1 neurons 0,1"))
    assert not out.proven and red.proven
    assert red.lifts == "both rows equal, outgoing columns t·c and (1 − t)·c"


def test_zero_padded_cnn_stratum_is_not_critical_by_hand() -> None:
    # cnn k=1,2 x²: f = w1²(a x0² + b x1²). Stratum b = 0: f = p x0², p = w1² a. Data
    # x = (1,0), (0,1), (1,1), y = 1, 1, 0: the least-squares p = Σ y x0² / Σ x0⁴ = 1/2, the
    # residuals (−1/2, −1, 1/2), the loss 3/2, and ∂L/∂b = 2 w1² Σ r x1² = −w1² ≠ 0.
    f = parse_architecture("cnn k=1,2 x^2")
    s = parse_stratum(f, "padding 0|0 0|1")
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    Y = np.array([[1.0], [1.0], [0.0]])
    r = stratum_critical_point(f, s, X, Y, seed=0)
    w1, a, b = r.theta
    assert b == 0 and w1**2 * a == pytest.approx(0.5, abs=1e-9)
    assert r.loss == pytest.approx(1.5, abs=1e-9)
    assert r.normal_gradient_norm == pytest.approx(w1**2, rel=1e-7)
    assert r.verdict is Verdict.NO
    assert not lifting_certificate(f, s).proven
    # the gate: no Hessian type at a point that is not critical
    assert r.hessian is None
    assert any(line.startswith("not a critical point (‖∇L‖ = ") for line in r.bullets())
    assert not any(k in r.summary() for k in ("minimum", "saddle", "degenerate"))


def test_gradient_gate_in_hessian_signature() -> None:
    # f = a·b·x, X = (1, 2), Y = (1, 1): at a = b = 1 the residuals are (0, 1) and
    # ∂L/∂a = ∂L/∂b = 2·1·2 = 4, ‖∇L‖ = 4√2 > 1e-6·Σy².
    f = parse_architecture("mlp 1-1-1 x")
    X, Y = np.array([[1.0], [2.0]]), np.array([[1.0], [1.0]])
    sig = hessian_signature(f, np.ones(2), X, Y)
    assert sig.gradient_norm == pytest.approx(4 * math.sqrt(2))
    assert sig.gradient_tolerance == pytest.approx(2e-6)
    assert sig.classification == "not a critical point"
    assert "no Hessian type" in sig.describe()


def test_morse_bott_minimum_and_degenerate_point() -> None:
    # Same net at a = b = √(3/5) (ab = Σxy/Σx² = 3/5): ∇²L = 2·5·[[b², ab], [ab, a²]] has
    # eigenvalues 0 (the rescaling a ↦ sa, b ↦ b/s) and 12; rank dΦ = 1 = generic: a minimum.
    f = parse_architecture("mlp 1-1-1 x")
    X, Y = np.array([[1.0], [2.0]]), np.array([[1.0], [1.0]])
    sig = hessian_signature(f, np.full(2, math.sqrt(0.6)), X, Y)
    assert (sig.positive, sig.negative, sig.zero) == (1, 0, 1)
    assert sig.classification == "minimum" and "Morse–Bott" in sig.describe()
    # mlp 2-2-1 x² with neuron 0 entirely zero: the 3 directions (w0, c0) are in the kernel
    # of ∇²L (every second derivative carries a factor w0·x or c0), and dΦ drops rank there.
    g = parse_architecture("mlp 2-2-1 x^2")
    rng = np.random.default_rng(0)
    X2, Y2 = rng.standard_normal((10, 2)), rng.standard_normal((10, 1))
    r = stratum_critical_point(g, parse_stratum(g, "inactive-out layer 1 neurons 0"), X2, Y2)
    assert r.hessian is not None and r.hessian.zero >= 3
    assert r.hessian.classification == "degenerate"


def test_proven_exposure_reports_method_and_estimate_keeps_wilson() -> None:
    mlp, cnn = parse_architecture("mlp 2-2-1 x^2"), parse_architecture("cnn k=1,2 x^2")
    e_mlp = critical_exposure(mlp, parse_stratum(mlp, "inactive-in layer 1 neurons 0"), trials=3)
    e_cnn = critical_exposure(cnn, parse_stratum(cnn, "padding 0|0 0|1"), trials=3)
    assert e_mlp.method == "proof" and e_mlp.exposed == 3
    assert "critically exposed, proven for every dataset" in e_mlp.summary()
    assert e_cnn.method == "estimate" and e_cnn.exposed == 0
    assert "estimate:" in e_cnn.summary() and "Wilson" in e_cnn.summary()
    assert e_cnn.ci_high == pytest.approx(0.5615, abs=1e-4)  # Wilson, 0 of 3: 1.96²/(3 + 1.96²)


# The 7 of 42 strata of cnn k=3,3 x^3+x^2 that gave NaN before (data seed 0, as in `neurovariety
# critical`): their critical points have a last filter below the old layer-norm cut 0.01 times a
# larger first one, a non-zero function that was taken for the zero fiber.
FORMER_NAN = [
    "padding 0|2 0|0",
    "padding 0|2 1|1",
    "padding 1|0 2|0",
    "padding 1|1 0|2",
    "padding 1|1 2|0",
    "padding 2|0 1|1",
    "padding 2|0 2|0",
]


def _cnn_data(f: object) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)  # what `neurovariety critical` draws for seed 0
    n = max(2 * f.n_params, 8)  # type: ignore[attr-defined]
    return rng.standard_normal((n, f.n_inputs)), rng.standard_normal((n, 1))  # type: ignore[attr-defined]


def _assert_no_nan(r: object) -> None:
    assert "nan" not in r.summary().lower()  # type: ignore[attr-defined]
    text = json.dumps(r.to_dict(), allow_nan=False)  # type: ignore[attr-defined]
    assert "NaN" not in text


@pytest.mark.parametrize("name", FORMER_NAN)
def test_no_nan_on_former_nan_strata(name: str) -> None:
    f = parse_architecture("cnn k=3,3 x^3+x^2")
    X, Y = _cnn_data(f)
    r = stratum_critical_point(f, parse_stratum(f, name), X, Y, hessian=False)
    _assert_no_nan(r)
    assert r.gradient_norm is not None and r.verdict is Verdict.NO


@pytest.mark.slow
def test_no_nan_on_any_stratum_of_cnn_k33() -> None:
    f = parse_architecture("cnn k=3,3 x^3+x^2")
    X, Y = _cnn_data(f)
    for s in strata(f):
        r = stratum_critical_point(f, s, X, Y)
        _assert_no_nan(r)
        assert r.gradient_norm is not None, s.name


def test_a_stratum_of_the_zero_function_is_decided_not_exposed() -> None:
    # mlp 2-1-1 x²: outgoing weight c = 0 gives f = c (w·x)² ≡ 0 on the whole stratum, so its
    # critical points (w = 0, or wᵀ(Σ y x xᵀ)w = 0) all lie on the zero fiber.
    f = parse_architecture("mlp 2-1-1 x^2")
    s = parse_stratum(f, "inactive-out layer 1 neurons 0")
    X, Y = np.eye(2), np.ones((2, 1))
    r = stratum_critical_point(f, s, X, Y)
    assert r.verdict is Verdict.NO and r.gradient_norm is None and r.hessian is None
    e = critical_exposure(f, s, trials=2)
    assert e.method == "zero fiber" and e.exposed == 0 and e.undecided == 0
    _assert_no_nan(r)


@pytest.mark.parametrize(
    ("spec", "lifts"),
    [
        ("mlp 2-2-1 x^2", "incoming row 0, outgoing column arbitrary"),
        ("mlp 2-2-1 x^2+x", "the neuron's incoming row and outgoing column 0"),
    ],
)
def test_chain_rule_fallback_agrees_with_the_exact_check(
    spec: str, lifts: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neurovariety.landscape.lifting as lifting

    f = parse_architecture(spec)
    s = parse_stratum(f, "inactive-in layer 1 neurons 0")
    monkeypatch.setattr(lifting, "MAX_CERTIFICATE_WORK", 0)  # nothing may be expanded
    lifting_certificate.cache_clear()
    try:
        cert = lifting_certificate(f, s)
    finally:
        lifting_certificate.cache_clear()
    assert cert.proven and cert.lifts == lifts and cert.method.startswith("chain rule")


def test_non_finite_data_is_refused_with_a_clear_error() -> None:
    from neurovariety.errors import NeurovarietyError

    f = parse_architecture("mlp 2-2-1 x^2")
    s = parse_stratum(f, "inactive-out layer 1 neurons 0")
    X, Y = np.ones((4, 2)), np.ones((4, 1))
    X[1, 0] = np.nan
    with pytest.raises(NeurovarietyError, match="NaN or infinite"):
        stratum_critical_point(f, s, X, Y)


def test_json_keys_of_earlier_versions_stay() -> None:
    # The keys a stored ExposureResult / CriticalPointResult had before certainty was graded;
    # `method` and `proven` are derived now, `certainty` and `certified` are new.
    f = parse_architecture("mlp 2-1-1 x^2")
    s = parse_stratum(f, "inactive-out layer 1 neurons 0")
    e = critical_exposure(f, s, trials=1).to_dict()
    old = {"architecture", "stratum", "method", "certificate", "trials", "exposed", "undecided"}
    old |= {"fraction", "ci_low", "ci_high", "samples", "tolerance", "seed", "seconds", "proven"}
    assert old | {"certainty", "certified"} == set(e)
    assert (e["method"], e["certainty"], e["certified"]) == ("zero fiber", "proven", True)
    X, Y = np.ones((4, 2)), np.ones((4, 1))
    r = stratum_critical_point(f, s, X, Y).to_dict()
    old = {"architecture", "stratum", "verdict", "loss", "gradient_norm", "normal_gradient_norm"}
    old |= {"restricted_gradient_norm", "tolerance", "gradient_tolerance", "hessian", "theta"}
    old |= {"certificate", "note", "seed", "seconds"}
    assert old | {"certainty", "certified"} == set(r)
