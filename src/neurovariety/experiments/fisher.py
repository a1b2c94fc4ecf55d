"""Fisher information of Gaussian-noise regression ``y = f_θ(x) + ε``, ``ε ~ N(0, σ² I)``.

``G(θ) = E_x[J(x)ᵀ J(x)] / σ²`` with ``J(x) = ∂f_θ(x)/∂θ`` and ``x ~ N(0, I)`` (APO). Two ways:

- ``exact``: f_θ is a polynomial of degree D in x, so every entry of ``JᵀJ`` is a polynomial of
  degree ≤ 2D in each coordinate, and a tensor Gauss–Hermite rule with D + 1 nodes per coordinate
  integrates it exactly (up to rounding): the moments are exact.
- ``monte-carlo``: the average over ``samples`` Gaussian inputs.

Because the Gaussian has full support, ``ker G(θ) = {v : J(x)v = 0 for all x} = ker dφ(θ)``: the
Fisher rank is the rank of dφ at θ, which :func:`neurovariety.invariants.singularities.rank_at`
computes exactly (mod primes) at integer parameters — a proven lower bound. An upper bound comes
from kernel vectors known in closed form (the parameters that move freely along the fiber over a
subnetwork point: the reduced network's dimension plus the live normal directions, see
:func:`_stratum_upper_bound`) and from the generic rank. The rank is *certified* when the bounds
meet.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..architectures.mlp import MLP
from ..errors import ExperimentError
from ..invariants.dimension import dimension
from ..invariants.singularities import rank_at
from ..invariants.strata import Stratum, strata
from ..jaxconfig import ensure_x64
from ..parametrization.numeric import forward_fn
from ..results import Certainty, Result
from .strata_distance import tracks_strata

__all__ = [
    "FisherResult",
    "fisher_at",
    "fisher_information",
    "fisher_study",
    "gauss_hermite_rule",
]

MAX_QUADRATURE_NODES = 20_000
DEFAULT_RTOL = 1e-9


def gauss_hermite_rule(n_inputs: int, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights integrating every polynomial of degree ≤ ``degree`` in each coordinate
    exactly against the standard Gaussian N(0, I) on R^n_inputs.

    >>> x, w = gauss_hermite_rule(1, 4)
    >>> round(float(w @ x[:, 0] ** 4), 12), round(float(w.sum()), 12)     # E[x^4] = 3
    (3.0, 1.0)
    """
    q = degree // 2 + 1  # q nodes are exact up to degree 2q − 1
    if q**n_inputs > MAX_QUADRATURE_NODES:
        raise ExperimentError(
            f"exact moments need {q}^{n_inputs} quadrature nodes (limit {MAX_QUADRATURE_NODES}); "
            "use method='monte-carlo'"
        )
    x1, w1 = np.polynomial.hermite_e.hermegauss(q)
    w1 = w1 / math.sqrt(2 * math.pi)
    nodes = np.array(list(itertools.product(x1, repeat=n_inputs)))
    weights = np.prod(np.array(list(itertools.product(w1, repeat=n_inputs))), axis=1)
    return nodes, weights


def _input_degree(arch: Architecture) -> int:
    return max(arch.output_degrees)


def fisher_information(
    arch: Architecture,
    theta: Any,
    *,
    method: str = "auto",
    samples: int = 4096,
    sigma: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, str]:
    """``G(θ)`` (N × N) and the method used (``exact`` or ``monte-carlo``).

    ``auto`` takes the exact moments when the quadrature has at most 20 000 nodes.

    >>> from neurovariety import parse_architecture
    >>> G, how = fisher_information(parse_architecture("mlp 1-1-1 x^2"), [1.0, 1.0])
    >>> how, G.round(6).tolist()            # f = v (w x)^2: E[(2 v w x^2)^2] = 12, E[x^4] = 3
    ('exact', [[12.0, 6.0], [6.0, 3.0]])
    """
    if method not in ("auto", "exact", "monte-carlo"):
        raise ExperimentError(f"method {method!r} is not one of auto, exact, monte-carlo")
    if not sigma > 0:
        raise ExperimentError(f"sigma={sigma} must be > 0")
    ensure_x64()
    theta = jnp.asarray(np.asarray(theta, dtype=float))
    if theta.shape != (arch.n_params,):
        raise ExperimentError(f"theta must have shape ({arch.n_params},) for {arch.spec}")
    deg = 2 * _input_degree(arch)
    if method == "auto":
        q = deg // 2 + 1
        method = "exact" if q**arch.n_inputs <= MAX_QUADRATURE_NODES else "monte-carlo"
    if method == "exact":
        X, w = gauss_hermite_rule(arch.n_inputs, deg)
    else:
        if samples < 1:
            raise ExperimentError(f"samples={samples} must be ≥ 1")
        X = np.random.default_rng([seed, 17]).standard_normal((samples, arch.n_inputs))
        w = np.full(samples, 1.0 / samples)
    f = forward_fn(arch)
    J = np.asarray(jax.jit(jax.vmap(jax.jacfwd(f, argnums=0), in_axes=(None, 0)))(theta, X))
    # J: (S, outputs, N)
    G = np.einsum("s,soa,sob->ab", w, J, J) / sigma**2
    return (G + G.T) / 2, method


@dataclasses.dataclass(frozen=True, repr=False)
class FisherResult(Result):
    """Spectrum and rank of G(θ) at one parameter point."""

    architecture: str
    point: str
    theta: list[float]
    method: str
    eigenvalues: list[float]
    numerical_rank: int
    rtol: float
    exact_rank_lower: int | None
    rank_upper: int
    certainty: Certainty
    n_params: int
    seed: int
    seconds: float

    @property
    def certified(self) -> bool:
        """The rank is proven: the exact rank mod p meets the proven upper bound."""
        return self.certainty.certified

    @property
    def rank(self) -> int:
        return self.exact_rank_lower if self.exact_rank_lower is not None else self.numerical_rank

    @property
    def deficient(self) -> bool:
        return self.rank < self.n_params

    def title(self) -> str:
        return f"FisherResult  {self.architecture}  [{self.point}]"

    def _rank_line(self) -> str:
        if self.certified:
            why = f"the exact rank mod p meets the upper bound {self.rank_upper}"
        elif self.exact_rank_lower is not None:
            why = f"exact lower bound {self.exact_rank_lower}, upper bound {self.rank_upper}"
        else:
            why = "parameters are not integers: no exact rank"
        return f"rank {self.rank} of {self.n_params} ({self.certainty}: {why})"

    def bullets(self) -> list[str]:
        ev = np.asarray(self.eigenvalues)
        return [
            self._rank_line(),
            f"eigenvalues ({self.method} moments): smallest {ev.min():.3g}, "
            f"largest {ev.max():.3g}; "
            f"numerical rank {self.numerical_rank} at rtol {self.rtol:g}",
            f"seed {self.seed} · {self.seconds:.3g} s",
        ]


def _stratum_upper_bound(arch: Architecture, stratum: Stratum | None, dim: int) -> int:
    """A proven upper bound of rank dφ at a point of ``stratum``.

    Write θ = B·u + n with B the stratum's basis and n normal to it. ``dφ·B`` is the derivative of
    the stratum's own parametrization, whose image is the reduced network's neuromanifold, so its
    rank is ≤ dim M_reduced; each normal direction adds at most one, and some add none:
    inactive-out — the dead neuron's outgoing column is normal (n_next directions);
    inactive-in — the incoming row is normal, and dead when σ'(0) = 0 (∂f = v·σ'(0)·x);
    redundant — the second row is normal, and when the next layer has one neuron its directions
    v_k·σ'(z)·x lie in the span of the merged neuron's. Padding (and ConvNet hidden channels,
    whose filters are not rows): each zeroed or tied entry adds ≤ 1.
    Also rank ≤ the generic rank ≤ ``dim``.
    """
    if stratum is None:
        return dim
    red = stratum.reduced
    dr = dimension(red, seed=0).upper_bound if red is not None else 0
    if stratum.kind in ("padding", "interior-zero") or not isinstance(arch, MLP):
        return min(dim, dr + stratum.zeroed)  # each zeroed (or tied) entry adds ≤ 1
    rowlen = arch.layers[stratum.layer - 1].pattern.shape[1]
    n_next = arch.layers[stratum.layer].n_out
    coeffs = arch.activation.coefficients
    if stratum.kind == "inactive-out":
        extra = n_next
    elif stratum.kind == "inactive-in":
        extra = 0 if len(coeffs) < 2 or coeffs[1] == 0 else rowlen
    else:
        extra = 0 if n_next == 1 else rowlen
    return min(dim, dr + extra)


def _rank_certainty(lower: int | None, upper: int) -> Certainty:
    """An exact rank mod p that meets the proven upper bound proves the rank (as for ``dim``);
    the exact lower bound alone is a bound; without one (non-integer θ) only the eigenvalues
    speak."""
    if lower is None:
        return Certainty.NUMERICAL
    return Certainty.PROVEN if lower == upper else Certainty.BOUND


def fisher_at(
    arch: Architecture,
    theta: Any,
    *,
    point: str = "given",
    stratum: Stratum | None = None,
    method: str = "auto",
    samples: int = 4096,
    rtol: float = DEFAULT_RTOL,
    seed: int = 0,
    dim: int | None = None,
) -> FisherResult:
    """The Fisher matrix at ``theta``: eigenvalues, numerical rank and, at integer parameters,
    the exact rank of dφ with its upper bound (see the module docstring).

    >>> from neurovariety import parse_architecture
    >>> f = parse_architecture("mlp 2-2-1 x^3+x^2")
    >>> fisher_at(f, [1, 2, -1, 1, 1, 2]).certified
    True
    """
    t0 = time.perf_counter()
    theta = np.asarray(theta, dtype=float)
    G, how = fisher_information(arch, theta, method=method, samples=samples, seed=seed)
    ev = np.linalg.eigvalsh(G)
    num_rank = int(np.sum(ev > rtol * max(float(ev.max()), 1e-300)))
    if dim is None:
        dim = dimension(arch, seed=seed).upper_bound  # rank at any point ≤ generic rank ≤ this
    upper = _stratum_upper_bound(arch, stratum, dim)
    lower = None
    if np.all(theta == np.round(theta)):
        lower = rank_at(arch, theta.astype(np.int64), seed=seed)
    return FisherResult(
        architecture=arch.spec,
        point=point,
        theta=[float(t) for t in theta],
        method=how,
        eigenvalues=[float(e) for e in ev],
        numerical_rank=num_rank,
        rtol=rtol,
        exact_rank_lower=lower,
        rank_upper=upper,
        certainty=_rank_certainty(lower, upper),
        n_params=arch.n_params,
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


def _random_int(rng: np.random.Generator, n: int) -> np.ndarray:
    # a wide range: small integers often make two rows parallel or outgoing weights cancel
    v = rng.integers(1, 10, size=n) * rng.choice([-1, 1], size=n)
    return v.astype(float)


def fisher_study(
    arch: Architecture, *, seed: int = 0, method: str = "auto", samples: int = 4096
) -> list[FisherResult]:
    """G at a random regular integer point and at a random integer point of every stratum.

    Stratum points are ``B·u`` with the stratum's basis B and random non-zero integers u (for
    CNNs, points with more than one padding placement are also covered by their strata).
    Architectures without strata (attention) get the regular point only.

    >>> from neurovariety import parse_architecture
    >>> rs = fisher_study(parse_architecture("mlp 2-2-1 x^3+x^2"))
    >>> [(r.point.split()[0], r.rank, r.certified) for r in rs]  # doctest: +NORMALIZE_WHITESPACE
    [('regular', 6, True), ('inactive-out', 4, True), ('inactive-in', 3, True),
     ('redundant', 3, True)]
    """
    rng = np.random.default_rng([seed, 19])
    dim = dimension(arch, seed=seed).upper_bound
    out = [
        fisher_at(
            arch,
            _random_int(rng, arch.n_params),
            point="regular (random integers)",
            method=method,
            samples=samples,
            seed=seed,
            dim=dim,
        )
    ]
    for s in strata(arch) if tracks_strata(arch) else []:
        theta = s.basis @ _random_int(rng, s.basis.shape[1])
        out.append(
            fisher_at(
                arch,
                theta,
                point=s.name,
                stratum=s,
                method=method,
                samples=samples,
                seed=seed,
                dim=dim,
            )
        )
    return out
