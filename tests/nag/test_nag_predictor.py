"""The tracker's predictor: Hermite extrapolation through the last accepted points."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurovariety.errors import PathTrackingError
from neurovariety.nag import parse_system
from neurovariety.nag.homotopy import parameter_homotopy, to_patch
from neurovariety.nag.lanes import LanePool
from neurovariety.nag.tracker import (
    PREDICTOR_POINTS,
    PREDICTORS,
    TrackerOptions,
    TrackState,
    TrackStatus,
    _hermite,
    _predict,
    track,
)

coefficients = st.lists(st.floats(-3, 3), min_size=6, max_size=6)


@settings(max_examples=50, deadline=None)
@given(coefficients, st.floats(0.05, 0.5), st.floats(-0.6, 0.3))
def test_hermite_reproduces_every_quintic(c: list[float], spacing: float, tq: float) -> None:
    # Values and first derivatives at 3 nodes fix a polynomial of degree <= 5 (numpy's poly1d
    # evaluates it independently). Roundoff: the values' rounding (eps |c|) grows through five
    # divided differences over nodes `spacing` apart, evaluated up to 2 away.
    p = np.poly1d(c)
    ts = [1.0, 1.0 - spacing, 1.0 - 2.3 * spacing]
    got = _hermite(ts, [p(t) for t in ts], [p.deriv()(t) for t in ts], tq)
    roundoff = np.finfo(float).eps * np.abs(c).sum() * (2.0 / spacing) ** 5
    assert abs(got - p(tq)) <= roundoff + 1e-300


def _path(t: float) -> np.ndarray:  # an analytic path with no polynomial structure
    return np.array([1.0 + 0j, np.sqrt(2 + np.exp(1j * t)), np.cos(3 * t)])


def _tangent(t: float) -> np.ndarray:
    w = np.exp(1j * t)
    return np.array([0j, 1j * w / (2 * np.sqrt(2 + w)), -3 * np.sin(3 * t)])


def _state(t: float, h: float, used: int) -> TrackState:
    # The current point at t, `used` previous ones at t + h, t + 2h (the oldest first); tp = t
    # marks a missing one.
    m = PREDICTOR_POINTS - 1
    tp = [t + (m - j) * h if m - j <= used else t for j in range(m)]
    one = TrackState(*(v[0] for v in TrackState.blank(1, 3)))  # one lane, as _step sees it
    return one._replace(
        X=jnp.asarray(_path(t)),
        t=jnp.asarray(t),
        tp=jnp.asarray(tp),
        Xp=jnp.asarray(np.array([_path(s) for s in tp])),
        kp=jnp.asarray(np.array([_tangent(s) for s in tp])),
    )


def test_the_predictor_error_falls_as_h_to_the_order_with_the_points_it_uses() -> None:
    # Steps of equal length h: Euler (no previous point) errs O(h^2), the cubic through one
    # previous point O(h^4), the quintic through two O(h^6). Halving h divides the error by
    # 2^order; measured against the analytic path itself.
    t = 0.4
    for used, order in ((0, 2), (1, 4), (2, 6)):
        errors = []
        for h in (0.04, 0.02):
            s = _state(t, h, used)
            k = jnp.asarray(_tangent(t))
            got = np.asarray(_predict(s, k, jnp.asarray(t - h), jnp.asarray(used)))
            errors.append(np.linalg.norm(got - _path(t - h)))
        assert 2 ** (order - 0.5) < errors[0] / errors[1] < 2 ** (order + 0.5), (used, errors)


def test_a_pool_keeps_the_accepted_points_of_each_path_for_its_predictor() -> None:
    # x^2 = a(t) with a(t) = t + (1 - t) a1: after a few steps the two previous points are
    # accepted points of the same path (x^2 = a at their t, on the branch the path follows),
    # older ones at larger t; a reloaded lane starts with none (tp = t).
    F = parse_system("variables: x\nparameters: a\nx^2 - a")
    H = parameter_homotopy(F, np.ones(1), np.ones(1), np.random.default_rng(3))
    alpha = np.asarray(H.data["a"])
    pool = LanePool(H.fn, H.data, 2, {"p0": 1, "p1": 1, "c": 1}, width=8, max_width=8)
    a1 = 4.0 + 1.0j
    pd = {"p0": np.ones((1, 1), complex), "p1": np.full((1, 1), a1), "c": np.zeros((1, 1))}
    opts = TrackerOptions(predictor="hermite")
    pool.load(to_patch(np.ones((1, 1), complex), alpha), pd, np.arange(1), opts)
    st_ = pool.state
    while st_.steps[0] - st_.rejected[0] < 3:  # three accepted steps
        pool.advance(1)
        st_ = pool.state
    t, tp, Xp = st_.t[0], st_.tp[0], st_.Xp[0]
    assert tp[0] > tp[1] > t
    for s, X in zip(tp, Xp, strict=True):
        x = X[1] / X[0]
        assert abs(x - np.sqrt(s + (1 - s) * a1)) < 1e-8  # the principal branch, from x = 1
    pool.tag[0] = -1
    pool.load(to_patch(np.ones((1, 1), complex), alpha), pd, np.arange(1), opts)
    assert np.all(pool.state.tp[0] == pool.state.t[0])
    with pytest.raises(PathTrackingError, match="one pool per number of Newton iterations and"):
        pool.load(to_patch(np.ones((1, 1), complex), alpha), pd, np.arange(1), TrackerOptions())


@pytest.mark.parametrize("predictor", PREDICTORS)
def test_both_predictors_end_every_path_at_its_square_root(predictor: str) -> None:
    # x^2 = a along straight segments from a = 1 (x = 1) to targets around the origin: each
    # path ends at the square root continued from 1, which for these targets (none on the
    # negative real axis) is the principal one.
    F = parse_system("variables: x\nparameters: a\nx^2 - a")
    targets = np.array([4.0, 2 + 3j, 0.5 - 2j, 9j, 0.01 + 0.02j, 30 - 1j])
    H = parameter_homotopy(F, np.ones(1), targets[:, None], np.random.default_rng(0))
    seg = track(
        H,
        to_patch(np.ones((6, 1), complex), np.asarray(H.data["a"])),
        1.0,
        0.0,
        options=TrackerOptions(predictor=predictor),
    )
    assert np.all(seg.status == TrackStatus.DONE)
    np.testing.assert_allclose(seg.X[:, 1] / seg.X[:, 0], np.sqrt(targets), rtol=1e-9)


def test_an_unknown_predictor_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown predictor 'pade'; valid: rk4, hermite"):
        TrackerOptions(predictor="pade")
