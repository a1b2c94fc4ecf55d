"""Where a training run ended: the end-point criteria and divergence.

Razor (arXiv:2505.11846): a run *ends on a singular subnetwork* when its function lies on the
image of a stratum and dφ drops rank there. At an end point θ:

- ``parameters``: some relative parameter distance to a family of strata ≤ ``threshold``
  (:mod:`neurovariety.experiments.strata_distance`);
- ``rank drop``: the numerical rank of dφ (Jacobian of θ ↦ (f_θ(p_1), …, f_θ(p_P)) at fixed
  probe points) is below the generic rank (the largest at three random Gaussian points);
- ``function``: the relative function-space distance from f_θ to the image of some maximal
  stratum ≤ ``fs_threshold`` (a local Levenberg–Marquardt fit inside the stratum: an upper bound);
- ``rank drop + function`` (the headline): both.

Architectures without strata (attention) are judged by ``rank drop`` alone.
docs/design/experiments.md says why these criteria.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP
from ..invariants.conv_strata import channel_strata
from ..invariants.strata import Stratum, strata
from ..jaxconfig import ensure_x64
from ..nag.numerics import numerical_rank
from ..parametrization.numeric import forward_fn
from .config import TrainConfig
from .strata_distance import filter_shapes, tracks_strata

__all__ = [
    "CRITERIA",
    "HEADLINE",
    "criteria_for",
    "diverged_reason",
    "end_criteria",
    "end_point_rank",
    "function_distances",
    "generic_rank",
    "maximal_strata",
    "rank_and_gap",
]

CRITERIA = ("parameters", "rank drop", "function", "rank drop + function")
HEADLINE = CRITERIA[-1]
DIVERGE_FACTOR = 100.0


def criteria_for(arch: Architecture) -> tuple[str, ...]:
    """The criteria that apply to ``arch``: all of them where it has strata, else rank drop.

    >>> from neurovariety import parse_architecture
    >>> criteria_for(parse_architecture("attn t=2 d=2 a=1"))
    ('rank drop',)
    """
    return CRITERIA if tracks_strata(arch) else ("rank drop",)


def _unit_strata(arch: MLP | ConvNet) -> list[Stratum]:
    """Inactive-out / inactive-in unit j and redundant pairs j < k of every hidden layer (MLP
    neurons, ConvNet channels)."""
    if isinstance(arch, MLP):
        kinds, widths = [(s.kind, s.layer) for s in strata(arch)], arch.widths
    else:
        kinds, widths = [(k, layer) for k, layer, _ in channel_strata(arch)], arch.channels
    out: list[Stratum] = []
    for kind, layer in kinds:
        d = widths[layer]
        units = (
            itertools.combinations(range(d), 2) if kind == "redundant" else ((j,) for j in range(d))
        )
        out += [Stratum(arch, kind, layer, u) for u in units]
    return out


def _end_paddings(arch: CNN | ConvNet) -> list[Stratum]:
    """One zero slab at either end of one axis of one filter (flat (a, b) per layer and axis)."""
    flat = [n for shape in filter_shapes(arch) for n in shape]
    out = []
    for m, n in enumerate(flat):
        if n < 2:
            continue
        for end in ((1, 0), (0, 1)):
            pad = tuple(end if j == m else (0, 0) for j in range(len(flat)))
            out.append(Stratum(arch, "padding", padding=pad))
    return out


def maximal_strata(arch: Architecture) -> list[Stratum]:
    """The strata of ``arch`` not contained in another one, for every choice of units (none
    for architectures without strata): inactive-out / inactive-in unit j and redundant pairs
    j < k (MLP neurons, ConvNet channels), and one zero slab at either end of one filter axis.
    Every padding and unit stratum lies in one of these, so their images cover those strata's
    images; dilated (interior-zero) patterns of convolutions are not covered.

    >>> from neurovariety import parse_architecture
    >>> [s.name for s in maximal_strata(parse_architecture("cnn k=2,1,2 x^2"))]
    ['padding 1|0 0|0 0|0', 'padding 0|1 0|0 0|0', 'padding 0|0 0|0 1|0', 'padding 0|0 0|0 0|1']
    >>> len(maximal_strata(parse_architecture("mlp 3-3-1 x^3+x^2")))  # 3 + 3 + 3
    9
    >>> len(maximal_strata(parse_architecture("cnn k=2,2 c=1,2,1 x^2")))  # 2 + 2 + 1 + 2·2
    9
    """
    if isinstance(arch, MLP):
        return _unit_strata(arch)
    if isinstance(arch, ConvNet):
        return _unit_strata(arch) + _end_paddings(arch)
    if isinstance(arch, CNN):
        return _end_paddings(arch)
    return []


def projectors(arch: Architecture) -> np.ndarray:
    """Orthogonal projectors B(BᵀB)⁻¹Bᵀ onto the maximal strata, stacked (S × N × N)."""
    mats = [s.basis @ np.linalg.pinv(s.basis) for s in maximal_strata(arch)]
    return np.stack(mats) if mats else np.zeros((0, arch.n_params, arch.n_params))


def jacobian_sv(f: Callable[..., jax.Array], theta: jax.Array, P: jax.Array) -> jax.Array:
    """Singular values of dφ at θ (φ = θ ↦ f_θ at the points P), largest first."""
    J = jax.jacfwd(lambda t: jax.vmap(f, in_axes=(None, 0))(t, P).reshape(-1))(theta)
    return jnp.linalg.svd(J, compute_uv=False)


@lru_cache(maxsize=16)
def _sv_fn(arch: Architecture) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """:func:`jacobian_sv` of ``arch``, jitted: op by op it took seconds for three points."""
    f = forward_fn(arch)
    return jax.jit(lambda theta, P: jacobian_sv(f, theta, P))


def rank_and_gap(sv: Any, rtol: float) -> tuple[int, float | None]:
    """Numerical rank (singular values above ``rtol·σ_max``) and the gap σ_r/σ_{r+1} that
    decided it (None when nothing was cut).

    >>> rank_and_gap([2.0, 1.0, 1e-8], 1e-6)
    (2, 100000000.0)
    """
    v = np.asarray(sv, dtype=float)
    if not np.all(np.isfinite(v)):
        return 0, None
    return numerical_rank(v, rtol)


def generic_rank(arch: Architecture, probes: np.ndarray, rtol: float, *, seed: int) -> int:
    """Numerical rank of dφ at random Gaussian points (the probes and tolerance of training), the
    largest of three: the generic rank is the maximal one, and at a single point conditioning can
    hide a rank (``cnn k=4,4,4 x^3+x^2``, degree 9 in θ: 11 of 12 at one of them)."""
    sv_fn = _sv_fn(arch)  # first: it turns on JAX's 64-bit mode the arrays below need
    P = jnp.asarray(probes)
    best = 0
    for i in range(3):
        rng = np.random.default_rng([seed, 13] if i == 0 else [seed, 13, i])
        sv = np.asarray(sv_fn(jnp.asarray(rng.standard_normal(arch.n_params)), P))
        best = max(best, numerical_rank(sv, rtol)[0])
    return best


def end_point_rank(
    arch: Architecture, theta: Any, probes: Any, rtol: float = 1e-6
) -> dict[str, Any]:
    """Rank of dφ at ``theta`` (Jacobian of θ ↦ f_θ at ``probes``), the generic rank (at random
    Gaussian points, same probes) and the singular-value gap across the cut."""
    sv_fn = _sv_fn(arch)
    P = jnp.asarray(probes, dtype=float)
    sv = np.asarray(sv_fn(jnp.asarray(theta, dtype=float), P))
    rank, gap = rank_and_gap(sv, rtol)
    grank = generic_rank(arch, np.asarray(probes, dtype=float), rtol, seed=0)
    return {"rank": rank, "generic_rank": grank, "rank_drop": rank < grank, "gap": gap}


@lru_cache(maxsize=16)
def fitter(arch: Architecture, iters: int) -> Any:
    """Jitted ``fit(thetas, projectors, Z)`` → relative distances (runs × strata): for each θ
    and stratum, min ‖f_v(Z) − f_θ(Z)‖/‖f_θ(Z)‖ over v in the stratum, by Levenberg–Marquardt
    from v = Pθ. With P symmetric, Jacobians J·P and the steps stay in the stratum."""
    f = forward_fn(arch)

    def one(theta: jax.Array, P: jax.Array, Z: jax.Array) -> jax.Array:
        F = lambda v: jax.vmap(f, in_axes=(None, 0))(v, Z).reshape(-1)  # noqa: E731
        target = F(theta)
        v0 = P @ theta
        r0 = F(v0) - target
        cost0 = r0 @ r0

        def it(_: Any, carry: Any) -> Any:
            v, cost, lam = carry
            J = jax.jacfwd(F)(v) @ P
            A = J.T @ J
            mu = jnp.trace(A) / A.shape[0] + 1e-300
            r = F(v) - target
            cand = v - jnp.linalg.solve(A + lam * mu * jnp.eye(A.shape[0]), J.T @ r)
            rc = F(cand) - target
            cc = rc @ rc
            ok = jnp.isfinite(cc) & (cc < cost)
            return (
                jnp.where(ok, cand, v),
                jnp.where(ok, cc, cost),
                jnp.where(ok, lam / 3.0, lam * 4.0),
            )

        _, cost, _ = jax.lax.fori_loop(0, iters, it, (v0, cost0, jnp.asarray(1e-3)))
        norm = jnp.sqrt(target @ target)
        return jnp.where(norm > 0, jnp.sqrt(cost) / jnp.where(norm > 0, norm, 1.0), 0.0)

    per_strata = jax.vmap(one, in_axes=(None, 0, None))
    return jax.jit(jax.vmap(per_strata, in_axes=(0, None, None)))


def eval_points(arch: Architecture, seed: int) -> np.ndarray:
    """The fixed Gaussian inputs of the function-space distance (4N + 20 of them)."""
    count = 4 * arch.n_params + 20
    return np.random.default_rng([seed, 17]).standard_normal((count, arch.n_inputs))


def function_distances(
    arch: Architecture, theta: Any, points: Any, *, iters: int = 30
) -> dict[str, float]:
    """Relative function-space distance from f_θ to the image of each maximal stratum:
    ``min_v ‖f_v − f_θ‖ / ‖f_θ‖`` (RMS over ``points``, v in the stratum) by a least-squares fit
    warm-started from the projection of θ onto the stratum (a local fit: an upper bound).

    >>> import numpy as np
    >>> from neurovariety import parse_architecture
    >>> a = parse_architecture("mlp 2-2-1 x^2")      # outgoing weight of neuron 1 is zero
    >>> d = function_distances(a, [1, 2, 3, 4, 5, 0.0], np.eye(2))
    >>> d["inactive-out layer 1 neurons 1"] == 0.0
    True
    """
    ensure_x64()
    fit = fitter(arch, iters)  # first: it turns on JAX's 64-bit mode the arrays below need
    thetas = jnp.asarray(np.asarray(theta, dtype=float)[None, :])
    Ps = jnp.asarray(projectors(arch))
    rel = np.asarray(fit(thetas, Ps, jnp.asarray(points, dtype=float)))[0]
    return {s.name: float(d) for s, d in zip(maximal_strata(arch), rel, strict=True)}


def end_criteria(
    run: dict[str, Any], grank: int, cfg: TrainConfig, names: tuple[str, ...] = CRITERIA
) -> dict[str, bool]:
    """The criteria ``names`` (default: all of :data:`CRITERIA`) for a run record, from its
    end-point numbers (so a resumed run is judged with the current generic rank).

    >>> cfg = TrainConfig()
    >>> run = {"diverged": False, "min_rel_distance": None, "final_rank": 5,
    ...        "function_distance": None}
    >>> end_criteria(run, 6, cfg, ("rank drop",))
    {'rank drop': True}
    """
    if run["diverged"]:
        return dict.fromkeys(names, False)
    rel, fd = run["min_rel_distance"], run["function_distance"]
    on = rel is not None and rel <= cfg.threshold
    drop = run["final_rank"] < grank
    near = fd is not None and fd <= cfg.fs_threshold
    values = dict(zip(CRITERIA, (on, drop, near, drop and near), strict=True))
    return {n: values[n] for n in names}


def diverged_reason(loss0: float, loss: float, theta0: Any, theta: Any) -> str | None:
    """Why a run counts as diverged (None: it did not): non-finite, or loss or ‖θ‖ grown more
    than :data:`DIVERGE_FACTOR`-fold (‖θ‖ from max(‖θ₀‖, 1)).

    >>> diverged_reason(1.0, 0.5, [1.0], [2.0]), diverged_reason(1.0, 500.0, [1.0], [2.0])
    (None, 'loss grew')
    """
    t = np.asarray(theta, dtype=float)
    if not (math.isfinite(loss) and np.all(np.isfinite(t))):
        return "not finite"
    if loss > DIVERGE_FACTOR * loss0:
        return "loss grew"
    if np.linalg.norm(t) > DIVERGE_FACTOR * max(float(np.linalg.norm(theta0)), 1.0):
        return "parameters grew"
    return None
