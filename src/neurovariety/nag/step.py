"""One predictor-corrector step of one path: the body of the tracker's compiled loop.

:mod:`.tracker` vmaps :func:`_step` over lanes and runs it in a ``jax.lax.while_loop``; its
docstring describes the step (predictors, acceptance, step-size control). Here: the state
(:class:`TrackState`), the predictors' stages and Newton's iterations (:func:`_corrector`), and
the acceptance test and step-size update (:func:`_accept`).
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .homotopy import HomotopyFn


class TrackStatus(enum.IntEnum):
    """Low-level status of a tracked segment."""

    TRACKING = 0
    DONE = 1
    STEP_TOO_SMALL = 2
    MAX_STEPS = 3
    NONFINITE = 4


#: Accepted points (with their tangents) that the predictor extrapolates from, the current one
#: included: 3 gives a quintic (local error O(h^6)).
PREDICTOR_POINTS = 3


class TrackState(NamedTuple):
    """The tracker's state, one row per lane (a pytree: ``jit``, ``vmap`` and ``tree_map`` see
    its fields as leaves).

    ``Xp``, ``kp``, ``tp``: the last ``PREDICTOR_POINTS - 1`` accepted points, their tangents and
    ``t`` values, oldest first (``tp = t`` marks none: the next step is Euler's); only the
    Hermite predictor uses them.
    """

    X: Any  #: point, (lanes, n)
    k: Any  #: tangent dX/dt at X (a path's first step computes its own)
    t: Any
    Xp: Any
    kp: Any
    tp: Any
    h: Any  #: step size
    t1: Any  #: where the path ends
    status: Any  #: TrackStatus, int32
    steps: Any  #: steps tried, int32
    rejected: Any  #: steps rejected, int32

    @staticmethod
    def blank(size: int, n: int, t: Any = 0.0, h: float = 0.05) -> TrackState:
        """``size`` ended lanes (status ``DONE``) at ``X = 1``, ``t``, no previous points."""
        m = PREDICTOR_POINTS - 1
        ta = np.broadcast_to(np.asarray(t, dtype=float), (size,)).copy()
        return TrackState(
            X=np.ones((size, n), complex),
            k=np.zeros((size, n), complex),
            t=ta,
            Xp=np.zeros((size, m, n), complex),
            kp=np.zeros((size, m, n), complex),
            tp=np.repeat(ta[:, None], m, axis=1),
            h=np.full(size, h),
            t1=np.zeros(size),
            status=np.full(size, TrackStatus.DONE, np.int32),
            steps=np.zeros(size, np.int32),
            rejected=np.zeros(size, np.int32),
        )


def _hermite(ts: list[Any], Xs: list[Any], ks: list[Any], tq: Any) -> Any:
    """The polynomial through points ``Xs`` with derivatives ``ks`` at distinct ``ts``, at ``tq``
    (Newton's divided differences with every node doubled)."""
    z = [x for x in ts for _ in range(2)]
    col = [Xs[i // 2] for i in range(len(z))]
    table = [col[0]]
    for j in range(1, len(z)):
        col = [
            ks[(i + j) // 2] if j == 1 and i % 2 == 0 else (col[i + 1] - col[i]) / (z[i + j] - z[i])
            for i in range(len(col) - 1)
        ]
        table.append(col[0])
    out = table[-1]
    for i in range(len(z) - 2, -1, -1):
        out = table[i] + (tq - z[i]) * out
    return out


def _usable(s: TrackState) -> jax.Array:
    """How many previous points the predictor can use: those with a larger ``t`` than the
    current one, each older one further back (``tp = t`` marks none)."""
    m = PREDICTOR_POINTS - 1
    tp, ok = s.tp, s.tp[m - 1] > s.t
    used = ok.astype(jnp.int32)
    for j in range(m - 2, -1, -1):
        ok &= tp[j] > tp[j + 1]
        used += ok
    return used


def _predict(s: TrackState, k: jax.Array, tn: jax.Array, used: jax.Array) -> jax.Array:
    """The prediction at ``tn``: Hermite extrapolation through the last ``used`` accepted points,
    the current one and their tangents (local error ``O(h^(2 used + 2))``); Euler's step when
    ``used = 0`` (a path's first step). No evaluation, nothing off the path (module docstring).
    """
    X, t, m = s.X, s.t, PREDICTOR_POINTS - 1
    out = X + (tn - t) * k
    for n in range(1, m + 1):
        ok = used >= n
        # Stand-in nodes for missing points keep the divisions finite; the result is unused.
        ts = [jnp.where(ok, s.tp[j], t + (m - j)) for j in range(m - n, m)] + [t]
        Xs = [s.Xp[j] for j in range(m - n, m)] + [X]
        ks = [s.kp[j] for j in range(m - n, m)] + [k]
        out = jnp.where(ok, _hermite(ts, Xs, ks, tn), out)
    return out


_RK4_NODES = (0.0, 0.5, 0.5, 1.0)


def _linear(refactor: Any, lu: Any, Hx: Any, rhs: Any) -> tuple[Any, Any]:
    """``(factorization, Hx^{-1} rhs)``: ``Hx`` factored afresh when ``refactor``, else the
    factorization of an earlier point of the step reused (chord Newton). ``refactor`` is one
    traced value for all lanes, so only the branch taken runs.

    With a reused factorization the tangent column (``rhs[:, 0] = H_t``) gets one step of
    iterative refinement with this ``Hx``: the reused Jacobian is that of the prediction, a
    relative distance ``e`` (the predictor's error, ~1e-4) from here, so the refined tangent is
    off by ``O(e^2)``. The Newton column is the chord correction; its convergence is linear with
    ratio ``O(e)``. A factorization costs ~2.5 µs a lane at n = 12, a pair of triangular solves
    ~0.35 µs: a step factors four times instead of six.
    """

    def fresh(lu: Any) -> tuple[Any, Any]:
        lu = jax.scipy.linalg.lu_factor(Hx)
        return lu, jax.scipy.linalg.lu_solve(lu, rhs)

    def reuse(lu: Any) -> tuple[Any, Any]:
        sol = jax.scipy.linalg.lu_solve(lu, rhs)
        k = sol[:, 0]
        k = k - jax.scipy.linalg.lu_solve(lu, Hx @ k - rhs[:, 0])
        return lu, sol.at[:, 0].set(k)

    return jax.lax.cond(refactor, fresh, reuse, lu)


def _corrector(
    fn: HomotopyFn,
    iters: int,
    predictor: str,
    data: Any,
    pdata: Any,
    s: TrackState,
    dt: Any,
    first: Any,
    chord: Any,
) -> tuple[Any, Any, Any, Any]:
    """The predictor's stages and Newton's iterations from the prediction at ``t - dt``:
    ``(ks, Y, norms, used)``.

    The predictor's stages (RK4: four; Hermite: the tangent at a path's start) and the Newton
    iterations share one loop body, so the homotopy (often a large unrolled polynomial kernel) is
    traced and compiled once, not once per evaluation. ``ks[0]`` is the tangent at ``X``,
    ``ks[-1]`` the one at the last Newton point; ``norms`` the Newton corrections' sizes;
    ``used`` the previous points the Hermite predictor used (``None``: RK4). ``first``: the
    first iteration, 0 when some lane of the batch starts its path (stage 0 computes the
    tangent at ``X``; the other lanes recompute theirs), else 1 — one value for all lanes, so
    the choice between a fresh and a reused factorization (:func:`_linear`) is a real branch.
    With ``chord`` (one traced value for all lanes) Newton's first iteration
    factors the Jacobian at the prediction and the later ones reuse it; else each factors its
    own.
    """
    X, t = s.X, s.t
    ds = (-dt) + 0j
    tn = t - dt
    stages = 4 if predictor == "rk4" else 1
    nodes = jnp.asarray(_RK4_NODES[:stages])
    used = _usable(s) if predictor == "hermite" else None

    def predict(ks: jax.Array) -> jax.Array:
        if used is None:  # RK4
            return X + ds / 6 * (ks[0] + 2 * ks[1] + 2 * ks[2] + ks[3])
        return _predict(s, ks[0], tn, used)

    def body(i: Any, c: tuple[Any, Any, Any, Any]) -> tuple[Any, Any, Any, Any]:
        # i < stages: the predictor's stages (stage 0, the tangent at X, only when ``first`` is
        # 0; otherwise it is stored); then Newton at tn from the prediction.
        ks, Y, norms, lu = c
        rk = i < stages
        stage = jnp.minimum(i, stages - 1)
        Y = jnp.where(i == stages, predict(ks), Y)
        node = nodes[stage]
        Z = jnp.where(rk, X + node * ds * ks[jnp.maximum(stage - 1, 0)], Y)
        tz = jnp.where(rk, t - node * dt, tn)
        H, Hx, Ht = fn(data, pdata, Z, tz + 0j)
        lu, sol = _linear((i <= stages) | ~chord, lu, Hx, jnp.stack([Ht, H], axis=1))
        # Newton's iterations leave the tangent at their point in ks[stages]: the last one's is
        # the tangent the next step starts from.
        ks = ks.at[jnp.where(rk, stage, stages)].set(-sol[:, 0])
        d = sol[:, 1]
        k = jnp.maximum(i - stages, 0)
        norms = norms.at[k].set(jnp.where(rk, norms[k], jnp.linalg.norm(d)))
        return ks, jnp.where(rk, Y, Y - d), norms, lu

    n = X.shape[0]
    lu0 = (jnp.zeros((n, n), X.dtype), jnp.zeros(n, jnp.int32))
    ks0 = jnp.zeros((stages + 1,) + X.shape, X.dtype).at[0].set(s.k)
    # ``first`` is traced, so XLA does not unroll the loop (compile time grows with copies).
    c = jax.lax.fori_loop(first, stages + iters, body, (ks0, X, jnp.zeros(iters), lu0))
    ks, Y, norms, _ = c
    return ks, Y, norms, used


def _accept(
    ctl: Any, iters: int, Y: Any, norms: Any, used: Any, tn: Any, t1: Any
) -> tuple[Any, Any, Any]:
    """Whether the step is accepted, whether it stayed finite, and the factor the step size is
    multiplied by (0.5 on rejection).

    Accepted when Newton converged, contracting, and the predictor's error (the first
    correction) is below ``max_correction``; the new step ``h (tol / err)^(1/order)``.
    """
    scale = 1.0 + jnp.linalg.norm(Y)
    err = norms[0] / scale
    finite = jnp.all(jnp.isfinite(Y)) & jnp.all(jnp.isfinite(norms))
    last, tol = norms[-1], ctl["newton_tol"]
    if iters > 1:
        # Inside the path the point only feeds the next prediction (its error ~predictor_tol):
        # the error the last correction leaves, |d_k|^2 / |d_(k-1)| under linear convergence
        # (the chord iterations of _linear; an upper estimate under Newton's quadratic one),
        # must be below path_tol. The path's end must have converged outright to newton_tol.
        inside = tn > t1
        last = jnp.where(inside, last * last / jnp.maximum(norms[-2], 1e-300), last)
        tol = jnp.where(inside, jnp.maximum(ctl["path_tol"], tol), tol)
    converged = last <= tol * scale
    if iters > 1:
        # Newton must contract (quadratically near a regular path): guards against path jumping.
        converged &= (norms[1] <= 0.25 * norms[0]) | (norms[0] <= ctl["newton_tol"] * scale)
    ok = finite & converged & (err <= ctl["max_correction"])
    # The predictor's local error is O(h^order).
    order = 5 if used is None else 2 * used + 2
    factor = jnp.clip(
        0.9 * (ctl["predictor_tol"] / jnp.maximum(err, 1e-300)) ** (1.0 / order), 0.5, 2.0
    )
    return ok, finite, jnp.where(ok, factor, 0.5)


def _step(
    fn: HomotopyFn,
    iters: int,
    predictor: str,
    ctl: Any,
    data: Any,
    pdata: Any,
    s: TrackState,
    first: Any,
    chord: Any,
):
    """One predictor-corrector step of one path (vmapped over paths; ``first`` and ``chord``
    are shared by all lanes, see :func:`_corrector`)."""
    X, t, h, t1 = s.X, s.t, s.h, s.t1
    active = s.status == TrackStatus.TRACKING
    dt = jnp.minimum(h, t - t1)
    tn = t - dt
    ks, Y, norms, used = _corrector(fn, iters, predictor, data, pdata, s, dt, first, chord)
    k, kn = ks[0], ks[-1]
    ok, finite, factor = _accept(ctl, iters, Y, norms, used, tn, t1)
    h_new = jnp.where(ok, jnp.minimum(h * factor, ctl["max_step"]), h * factor)
    done = ok & (tn <= t1)
    too_small = h_new < ctl["min_step"]
    status = jnp.where(
        done,
        TrackStatus.DONE,
        jnp.where(
            too_small,
            jnp.where(finite, TrackStatus.STEP_TOO_SMALL, TrackStatus.NONFINITE),
            TrackStatus.TRACKING,
        ),
    )
    previous = []
    for old, now in ((s.Xp, X), (s.kp, k), (s.tp, t)):
        # Hermite: the accepted point joins the previous ones, the oldest leaves (RK4 keeps none).
        grown = jnp.concatenate([old[1:], now[None]])
        previous.append(jnp.where(ok, grown, old) if used is not None else old)
    Xp, kp, tp = previous
    new = TrackState(
        X=jnp.where(ok, Y, X),
        k=jnp.where(ok, kn, k),  # a rejected step keeps the tangent at X
        t=jnp.where(ok, tn, t),
        Xp=Xp,
        kp=kp,
        tp=tp,
        h=h_new,
        t1=t1,
        status=status.astype(jnp.int32),
        steps=s.steps + 1,
        rejected=s.rejected + jnp.where(ok, 0, 1),
    )
    return jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new, s)
