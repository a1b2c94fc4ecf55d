"""Power-series endgame: endpoints at ``t = 0`` of singular and diverging paths.

Near ``t = 0`` a path is a Puiseux series ``X(t) = X* + a1 s + a2 s^2 + ...`` in ``s = t^(1/c)``,
``c`` the winding (cycle) number. The endgame samples each path on a geometric sequence
``t_k = t_e lambda^k``, estimates ``c`` from the ratio of successive differences
(``|X_{k+2} - X_{k+1}| / |X_{k+1} - X_k| ~ lambda^(1/c)``) and extrapolates ``X*`` by Richardson
extrapolation in ``s``; it stops when two successive estimates agree. In projective patch
coordinates a path diverging in affine space converges to a point with ``x0 = 0``, so the same
procedure handles paths going to infinity.

Reference: Morgan, Sommese & Wampler, *A power series method for computing singular solutions to
nonlinear analytic systems*, Numer. Math. 63 (1992); Bates, Hauenstein, Sommese & Wampler,
*Numerically Solving Polynomial Systems with Bertini* (SIAM, 2013), ch. 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..results import Result, plural
from .homotopy import Homotopy
from .tracker import TrackerOptions, TrackStatus, track


@dataclass(frozen=True)
class EndgameOptions:
    """Controls of the endgame.

    ``start``: the ``t`` where the endgame begins; ``ratio``: ``lambda``; ``min_t``: smallest
    ``t`` sampled; ``tol``: relative agreement of two successive estimates; ``max_winding``:
    largest cycle number considered; ``diverged_ratio``: a path whose ``|x0| / |X|`` is below
    this and shrinks like ``t^v`` (stable ``v > 0``) stops early as diverging.
    """

    start: float = 0.1
    ratio: float = 0.3
    min_t: float = 1e-13
    tol: float = 1e-9
    max_winding: int = 8
    diverged_ratio: float = 1e-3


@dataclass(frozen=True, repr=False)
class EndgameResult(Result):
    """Per-path endgame output (arrays of length ``B``)."""

    X: np.ndarray  # extrapolated endpoints (or last samples where not converged)
    winding: np.ndarray  # estimated cycle numbers (0 where unknown)
    converged: np.ndarray  # bool
    failed: np.ndarray  # bool: tracking failed inside the endgame
    t_last: np.ndarray  # smallest t reached
    steps: np.ndarray
    accuracy: np.ndarray  # last change of the estimate, relative
    valuation: np.ndarray  # exponent v in |x0| / |X| ~ t^v over the last samples (nan: unstable)
    last: np.ndarray  # the last sample reached on each path (not extrapolated)

    def title(self) -> str:
        n, done = len(self.converged), int(np.sum(self.converged))
        return f"EndgameResult: {done} of {plural(n, 'path')} converged"

    def bullets(self) -> list[str]:
        cycles = zip(*np.unique(self.winding[self.converged], return_counts=True), strict=True)
        counts = ", ".join(f"{c}: {plural(int(k), 'path')}" for c, k in cycles) or "none"
        out = [f"cycle numbers {counts} (power-series extrapolation)"]
        diverging = int(np.sum(np.isfinite(self.valuation) & (self.valuation > 0)))
        if diverging:
            out.append(f"{plural(diverging, 'path')} diverging (|x0| / |X| ~ t^v, v > 0)")
        if np.any(self.failed):
            out.append(f"{plural(int(np.sum(self.failed)), 'path')} failed inside the endgame")
        acc = self.accuracy[self.converged]
        if acc.size:
            out.append(f"relative accuracy of the estimates up to {float(np.max(acc)):.1e}")
        if self.t_last.size:
            t_min = float(np.min(self.t_last))
            out.append(f"smallest t reached {t_min:.1e}; {int(np.sum(self.steps))} steps")
        return out


def _valuation(hist: np.ndarray, lam: float) -> np.ndarray:
    """Exponent ``v`` in ``|x0| / |X| ~ t^v`` from three samples; nan unless two estimates agree.

    Paths to infinity have ``v > 0`` (``v = 1/c`` for a cycle of ``c`` paths), the test
    HomotopyContinuation.jl's endgame uses as well.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = np.log(hist[1] / hist[0]) / np.log(lam)
        v2 = np.log(hist[2] / hist[1]) / np.log(lam)
    stable = np.isfinite(v1) & np.isfinite(v2) & (np.abs(v1 - v2) <= 0.05 * np.abs(v2))
    return np.where(stable, v2, np.nan)


def _richardson(samples: list[np.ndarray], mu: np.ndarray) -> np.ndarray:
    """Extrapolate ``X(s -> 0)`` from samples at ``s_j = s_0 mu^j`` (per path ``mu``)."""
    table = list(samples)
    order = 1
    while len(table) > 1:
        m = (mu**order)[:, None]
        table = [(table[j + 1] - m * table[j]) / (1 - m) for j in range(len(table) - 1)]
        order += 1
    return table[0]


def _cycle_estimate(
    samples: list[np.ndarray], lam: float, cands: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From the last samples: the extrapolated endpoints, the cycle numbers ``c`` (``lambda^(1/c)``
    nearest the ratio of the last two differences), the last difference and each estimate's
    scale ``1 + |X|``."""
    d1 = np.linalg.norm(samples[-2] - samples[-3], axis=1)
    d2 = np.linalg.norm(samples[-1] - samples[-2], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = d2 / d1
        c = cands[np.argmin(np.abs(r[:, None] - lam ** (1.0 / cands[None, :])), axis=1)]
    c = np.where(np.isfinite(r) & (d1 > 0), c, 1)
    est = _richardson(samples[-min(len(samples), 4) :], lam ** (1.0 / c))
    return est, c, d2, 1.0 + np.linalg.norm(est, axis=1)


def power_series_endgame(
    H: Homotopy,
    X: np.ndarray,
    *,
    options: EndgameOptions | None = None,
    tracker: TrackerOptions | None = None,
    deadline: float | None = None,
    size: int | None = None,
) -> EndgameResult:
    """Run the endgame on paths already tracked to ``t = options.start``.

    ``size`` is passed to :func:`~neurovariety.nag.tracker.track` (padding of the batch).

    Examples
    --------
    A double root: both paths of ``(x - 2)^2`` wind around each other (cycle number 2).

    >>> from neurovariety.nag.system import parse_system
    >>> from neurovariety.nag.homotopy import total_degree_homotopy
    >>> F = parse_system("x^2 - 4x + 4")
    >>> H, X0 = total_degree_homotopy(F, np.zeros(0), np.random.default_rng(0))
    >>> seg = track(H, X0, 1.0, 0.1)
    >>> eg = power_series_endgame(H, seg.X)
    >>> eg.winding.tolist(), np.round((eg.X[:, 1] / eg.X[:, 0]).real, 6).tolist()
    ([2, 2], [2.0, 2.0])
    """
    opts = options or EndgameOptions()
    B = X.shape[0]
    lam = opts.ratio
    samples: list[np.ndarray] = [X.copy()]
    converged = np.zeros(B, bool)
    failed = np.zeros(B, bool)
    estimate = X.copy()
    prev_est = np.full_like(X, np.nan)
    winding = np.zeros(B, int)
    prev_c = np.zeros(B, int)
    accuracy = np.full(B, np.inf)
    steps = np.zeros(B, int)
    t = opts.start
    t_last = np.full(B, t)
    cands = np.arange(1, opts.max_winding + 1)
    diverged = np.zeros(B, bool)
    hist = np.full((3, B), np.nan)  # |x0| / |X| at the last three samples reached
    hist[2] = np.abs(X[:, 0]) / np.maximum(np.linalg.norm(X, axis=1), 1e-300)
    while t * lam >= opts.min_t:
        t_next = t * lam
        active = ~(converged | failed | diverged)
        if not np.any(active):
            break
        t0 = np.where(active, t, t_next)
        seg = track(
            H, samples[-1], t0, np.full(B, t_next), options=tracker, deadline=deadline, size=size
        )
        ok = seg.status == TrackStatus.DONE
        failed |= active & ~ok
        steps += np.where(active, seg.steps, 0)
        Xn = np.where((active & ok)[:, None], seg.X, samples[-1])
        t_last = np.where(active & ok, t_next, t_last)
        samples.append(Xn)
        good = active & ok
        ratio = np.abs(Xn[:, 0]) / np.maximum(np.linalg.norm(Xn, axis=1), 1e-300)
        hist = np.where(good[None, :], np.stack([hist[1], hist[2], ratio]), hist)
        t = t_next
        # Clearly diverging paths (|x0| / |X| small and ~ t^v with a stable v > 0) stop here.
        v_now = _valuation(hist, lam)
        diverged |= good & np.isfinite(v_now) & (v_now > 0.02) & (hist[2] < opts.diverged_ratio)
        if len(samples) < 3:
            continue
        est, c, d2, scale = _cycle_estimate(samples, lam, cands)
        change = np.linalg.norm(est - prev_est, axis=1) / scale
        tiny = d2 <= 1e-14 * scale  # path no longer moves: a regular endpoint reached
        newly = active & ~failed & (((change <= opts.tol) & (c == prev_c)) | tiny)
        upd = active & ~failed
        estimate = np.where(upd[:, None], est, estimate)
        winding = np.where(upd, np.where(tiny, 1, c), winding)
        accuracy = np.where(upd, np.where(tiny, d2 / scale, change), accuracy)
        converged |= newly
        prev_est = np.where(upd[:, None], est, prev_est)
        prev_c = np.where(upd, c, prev_c)
    last = samples[-1]
    X_out = np.where(converged[:, None], estimate, last)
    valuation = _valuation(hist, lam)
    return EndgameResult(
        X=X_out,
        winding=np.where(converged, winding, 0),
        converged=converged,
        failed=failed,
        t_last=t_last,
        steps=steps,
        accuracy=accuracy,
        valuation=valuation,
        last=last,
    )
