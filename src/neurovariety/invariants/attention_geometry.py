"""Lightning self-attention (HMK, arXiv:2408.17221): gauge chart, orbit count, and for one layer
the singular and boundary points.

**Gauge chart** (any depth, HMK's hypotheses a_i ≤ d_{i−1}, d_i ≤ d_{i−1}): per layer K_i's first
a_i columns are fixed to I (fixes GL(a_i)) and Q_i[0, 0] to 1 (the rescaling); for i < L, V_i's
first d_i columns are fixed to I (fixes GL(d_i)). Solving layer by layer, a generic orbit meets
the chart exactly once, so the chart points over one function are its fiber's orbits. They are
counted exactly with msolve (:func:`orbit_count`).

**One layer, t ≥ 2** (derived here; see docs/design/attention.md). f is determined by the
tensor C = π(A ⊗ V), π the symmetrisation of A_{ab}V_{ce} in (b, e); M = π(S) with S the cone
{A ⊗ V : rank A ≤ a}. Because |π(T)| ≥ |T|/√2 on S (|C| ≥ |A||V|/√2), π is proper on S:

- M is closed: **no boundary points** (a sequence with f_n → f has bounded A_n ⊗ V_n);
- the fiber of π on S is one tensor except where rank A = rank V = 1, where swapping the key
  and value directions (A, V) = (u wᵀ, s vᵀ) ↦ (u vᵀ, s wᵀ) gives a second orbit;
- **singular**: f = 0 (d ≥ 2: M is a cone, not a linear space); rank A < min(a, d) (curves
  A + εB, B of rank one, stay in M, so the tangent space would hold π(B ⊗ V) for every B);
  for a = 1 < d, d' ≥ 2: rank V = 1 (two branches, from the swap);
- **smooth** elsewhere: S is smooth there, π injective and an immersion (the Jacobian has rank
  dim M), so M is locally the image of a manifold.

Each verdict is checked at an integer witness point by exact ranks mod p: the span of velocity
vectors of curves in M through the point (a lower bound of the Zariski tangent space) above
dim M proves it singular; the Jacobian rank equal to dim M, at a point with the properties above,
proves it smooth.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..architectures.attention import Attention, unsupported
from ..architectures.base import Architecture
from ..errors import ArchitectureError
from ..exact import primes_below, rank_mod
from ..results import Certainty, Graded, Provenance, Result, Verdict, plural
from .dimension import dimension
from .exact_counts import PRIME_BITS, agreed_value, prime_counts

RANK_PRIME_BITS = 23  # the exact Jacobians stay in int64 (attention._mod_p)
WITNESS_RANGE = 5  # witness entries in [−5, 5]


# ---- gauge chart and orbit count ---------------------------------------------------------


def gauge_chart(arch: Attention) -> tuple[dict[int, int], list[int]]:
    """(fixed parameter index → value, free indices) of the chart in the module docstring.

    >>> fixed, free = gauge_chart(Attention(2, (2, 2), (1,)))
    >>> sorted(fixed.items()), free       # q00 = 1, k00 = 1; q01, k01 and V free
    ([(0, 1), (2, 1)], [1, 3, 4, 5, 6, 7])
    """
    w, a = arch.widths, arch.attention_widths
    if any(a[i] > w[i] for i in range(len(a))) or not arch.bottleneck:
        raise unsupported(
            f"a gauge chart for {arch.spec}: it needs a_i ≤ d_(i−1) and d_i ≤ d_(i−1) for the "
            "inner widths (HMK's hypotheses), where the symmetry group acts freely"
        )
    fixed: dict[int, int] = {}
    for i, (q, k, v, _) in enumerate(arch.layer_offsets()):
        d_in = w[i]
        fixed[q] = 1
        for r in range(a[i]):
            for c in range(a[i]):
                fixed[k + r * d_in + c] = int(r == c)
        if i < arch.depth - 1:
            for r in range(w[i + 1]):
                for c in range(w[i + 1]):
                    fixed[v + r * d_in + c] = int(r == c)
    return fixed, [j for j in range(arch.n_params) if j not in fixed]


def _poly_forward(arch: Attention, theta: list[Any], X: np.ndarray) -> list[Any]:
    """The flat output at one integer sequence X (t × d_0), entries of θ being polynomials."""
    rows: list[list[Any]] = [[int(v) for v in row] for row in X]
    a = arch.attention_widths
    for i, (q, k, v, _) in enumerate(arch.layer_offsets()):
        d_in, d_out = arch.widths[i], arch.widths[i + 1]

        def apply(lo: int, n_rows: int, rows: list[list[Any]] = rows, d_in: int = d_in) -> Any:
            M = [theta[lo + r * d_in : lo + (r + 1) * d_in] for r in range(n_rows)]
            return [[sum(m * x for m, x in zip(mr, row, strict=True)) for mr in M] for row in rows]

        U, W, Z = apply(q, a[i]), apply(k, a[i]), apply(v, d_out)
        att = [[sum(u * w for u, w in zip(Ui, Wj, strict=True)) for Wj in W] for Ui in U]
        rows = [
            [sum(att[r][j] * Z[j][c] for j in range(len(rows))) for c in range(d_out)]
            for r in range(len(rows))
        ]
    return [y for row in rows for y in row]


def _fiber_system(arch: Attention, seed: int, n_samples: int) -> Callable[[int], tuple]:
    """p ↦ (equations f_z(X_s) = f_{z0}(X_s) over GF(p) in the chart variables, names)."""
    import flint

    fixed, free = gauge_chart(arch)
    names = [f"z{j}" for j in range(len(free))]
    rng = np.random.default_rng(seed)
    Xs = rng.integers(-9, 10, (n_samples, arch.tokens, arch.widths[0]))

    def system(p: int) -> tuple[list[str], list[str]]:
        ctx = flint.nmod_mpoly_ctx.get(tuple(names), ordering="degrevlex", modulus=p)
        gens = ctx.gens()
        theta: list[Any] = [None] * arch.n_params
        for j, val in fixed.items():
            theta[j] = ctx.from_dict({(0,) * len(names): val}) if val else ctx.from_dict({})
        for g, j in zip(gens, free, strict=True):
            theta[j] = g
        draw = random.Random(f"fiber:{arch.spec}:{seed}:{p}")
        z0 = [draw.randrange(1, p) for _ in names]
        eqs = []
        for X in Xs:
            for y in _poly_forward(arch, theta, X):
                e = y - int(y(*z0))
                if not e.is_zero():
                    eqs.append(str(e).replace("**", "^"))
        return eqs, names

    return system


@dataclasses.dataclass(frozen=True)
class OrbitCount:
    """Orbits in the generic fiber: chart points over one function, counted over GF(p)."""

    value: int
    primes: list[int]
    samples: int
    expected: int  # the swaps of key and value directions (module docstring)


def expected_orbits(arch: Attention) -> int:
    """Orbits in the generic fiber predicted by the finite swaps of query, key and value.

    A layer with a_i = 1 is Σ_j (q·x_k)(w·x_j)(v·x_j) per output row v of V, so for d_i = 1
    (one v) the key w and the value v enter alike: swapping them is a second orbit when
    d_{i−1} ≥ 2. A layer whose input tokens have rank one (x_k = c_k z, after a layer with
    a = 1) sees c_k(Σ_j c_j²)(q·z)(w·z)·Vz: q and w may be swapped, and for d_i = 1 all three
    of q, w, v permuted (3! orbits). The product over the layers (derived here; the exact
    :func:`orbit_count` agrees on every instance of the tests).

    >>> expected_orbits(Attention(2, (2, 1), (1,))), expected_orbits(Attention(2, (2, 2), (1,)))
    (2, 1)
    >>> expected_orbits(Attention(2, (2, 2, 1), (1, 1)))   # q, w, v of layer 2 permuted
    6
    """
    w, a, r = arch.widths, arch.attention_widths, arch.token_ranks
    total = 1
    for i in range(arch.depth):
        if a[i] != 1 or w[i] < 2:
            continue
        if r[i] >= 2:
            total *= 2 if w[i + 1] == 1 else 1
        else:
            total *= 6 if w[i + 1] == 1 else 2
    return total


def orbit_count(arch: Attention, *, seed: int = 0, time_limit: float = 60.0) -> OrbitCount:
    """Chart points over a random function (msolve, two random primes).

    The equations are the outputs at random integer sequences; with as many sequences as the
    first token's outputs have coefficients (one layer) every chart point found has the same
    function; deeper, 3·n_params sequences (extra solutions would need a coincidence at random
    points).
    """
    if arch.tokens < 2:
        raise unsupported("orbit counts with t = 1 (one token sees only the symmetric part of A)")
    n_samples = arch.ambient_dim_per_output if arch.depth == 1 else 3 * arch.n_params
    ps = primes_below(1 << PRIME_BITS, 2, seed=seed + 7)
    counts = prime_counts(
        _fiber_system(arch, seed, n_samples), ps, label=f"orbit count of {arch.spec}",
        time_limit=time_limit,
    )  # fmt: skip
    if counts[-1].positive_dimensional:
        raise ArchitectureError(
            f"{arch.spec}: the fiber is positive-dimensional in the gauge chart, so the symmetry "
            "group does not explain it (see `neurovariety fiber`); nothing finite to count"
        )
    value = agreed_value(
        counts, f"{arch.spec}: the fiber system", f"{arch.spec}: orbit counts disagree"
    )
    return OrbitCount(value, [c.prime for c in counts], n_samples, expected_orbits(arch))


# ---- one layer: singular and boundary points ----------------------------------------------


@dataclasses.dataclass(frozen=True)
class Locus:
    """One kind of point of M, its verdict and the exact evidence at a witness point."""

    name: str
    verdict: str  # "singular" or "smooth"
    rank: int  # exact rank mod p: velocity span (singular) or Jacobian (smooth)
    reason: str
    confirmed: bool  # the rank agrees with the verdict (rank > dim M, or = dim M)


@dataclasses.dataclass(frozen=True, repr=False)
class AttentionGeometryResult(Result, Graded, Provenance):
    """Singular and boundary points of one layer of lightning self-attention."""

    dimension: int
    loci: list[Locus]
    boundary: str
    primes: list[int]

    def title(self) -> str:
        return f"AttentionGeometryResult  {self.architecture}"

    @property
    def singular(self) -> list[str]:
        """Names of the singular loci."""
        return [c.name for c in self.loci if c.verdict == "singular"]

    def bullets(self) -> list[str]:
        b = [f"dim M = {self.dimension}; no boundary points: {self.boundary}"]
        for c in self.loci:
            mark = "" if c.confirmed else " — NOT confirmed at the witness"
            b.append(f"{c.name}: {c.verdict} ({c.reason}; exact rank {c.rank}){mark}")
        b.append(
            f"ranks mod p in {self.primes}, at integer witness points; "
            "statements derived here (docs/design/attention.md)"
        )
        b.append(self.provenance_bullet())
        return b


def _theta(arch: Attention, Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> np.ndarray:
    return np.concatenate([Q.ravel(), K.ravel(), V.ravel()]).astype(np.int64)


def _rank(archs_thetas: list[tuple[Attention, np.ndarray]], X: np.ndarray, p: int) -> int:
    """Rank of the side-by-side Jacobians (the span of their images) mod p."""
    blocks = [arch.jacobian_mod_p(theta, X, p) for arch, theta in archs_thetas]
    return int(rank_mod(np.hstack(blocks), p))


def _nonzero(rng: np.random.Generator, shape: Any) -> np.ndarray:
    """Integers in ±[1, 5]: a witness with no zero entry avoids accidental coincidences."""
    return rng.integers(1, WITNESS_RANGE + 1, shape) * rng.choice([-1, 1], shape)


def _low_rank(rng: np.random.Generator, rows: int, cols: int, rank: int) -> np.ndarray:
    m = _nonzero(rng, (rows, cols))
    m[rank:] = 0
    return m


def _loci(arch: Attention, n: int, X: np.ndarray, p: int, rng: np.random.Generator) -> list[Locus]:
    t, (d, d_out), a = arch.tokens, arch.widths, arch.attention_widths[0]
    m = min(a, d)
    free = Attention(t, (d, d_out), (d,))  # A unconstrained: the curves A + εB

    def locus(name: str, singular: bool, rank: int, reason: str) -> Locus:
        ok = rank > n if singular else rank == n
        return Locus(name, "singular" if singular else "smooth", rank, reason, ok)

    def draw(r: int, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _low_rank(rng, a, d, r), _nonzero(rng, (a, d)), _low_rank(rng, d_out, d, s)

    out = []
    Q, K, V = draw(m, d_out)
    rank = _rank([(arch, _theta(arch, Q, K, V))], X, p)
    out.append(locus("rank A = min(a, d)", False, rank, "generic: Jacobian rank = dim M"))
    for r in range(1, m if a < d else 1):  # rank ≤ d is no condition: no singularity
        Q, K, V = draw(r, d_out)
        A = Q.T @ K
        J = [(free, _theta(free, A.T, np.eye(d, dtype=np.int64), V))]
        reason = f"curves A + εB (B rank one) span {plural(_rank(J, X, p), 'direction')} > dim M"
        out.append(locus(f"rank A = {r} < min(a, d)", True, _rank(J, X, p), reason))
    if d_out >= 2 and d >= 2:
        Q, K, _ = draw(m, 0)
        s, v = _nonzero(rng, d_out), _nonzero(rng, d)
        V = np.outer(s, v)
        if m == 1:  # the swap (u wᵀ, s vᵀ) ↦ (u vᵀ, s wᵀ): a second branch through the point
            swapped = _theta(arch, Q, v[None, :], np.outer(s, K[0]))
            rank = _rank([(arch, _theta(arch, Q, K, V)), (arch, swapped)], X, p)
            out.append(locus("rank V = 1 (a = 1)", True, rank, "two branches: swapped key/value"))
        else:
            rank = _rank([(arch, _theta(arch, Q, K, V))], X, p)
            out.append(locus("rank V = 1 (a ≥ 2)", False, rank, "Jacobian rank = dim M"))
    thetas = _nonzero(rng, (arch.ambient_dim + 5, arch.n_params))
    F = np.array([arch.forward_mod_p(th, X, p).ravel() for th in thetas])
    rank = int(rank_mod(F, p))  # lines through 0 in M span M's linear span
    cone = "a cone that is not a linear space" if d >= 2 else "M is its linear span (d = 1)"
    out.append(locus("f = 0", d >= 2, rank, cone))
    return out


def attention_geometry(arch: Architecture, *, seed: int = 0) -> AttentionGeometryResult:
    """Singular and boundary points of one layer (t ≥ 2), each verdict checked at a witness.

    >>> r = attention_geometry(Attention(2, (2, 2), (1,)))
    >>> r.dimension, r.singular, r.certified
    (6, ['rank V = 1 (a = 1)', 'f = 0'], True)
    """
    if not isinstance(arch, Attention) or arch.depth != 1 or arch.tokens < 2:
        raise unsupported(
            "singular and boundary points beyond one layer with t ≥ 2 tokens (HMK characterise "
            "one layer; with t = 1 only the symmetric part of A enters)"
        )
    t0 = time.perf_counter()
    dim = dimension(arch, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.integers(-9, 10, (arch.ambient_dim_per_output, arch.n_inputs))
    p = primes_below(1 << RANK_PRIME_BITS, 1, seed=seed + 3)[0]
    loci = _loci(arch, dim.dimension, X, p, rng)
    boundary = "M is closed, as |π(A ⊗ V)| ≥ |A||V|/√2 makes π proper on the cone of A ⊗ V"
    confirmed = dim.certified and all(c.confirmed for c in loci)
    return AttentionGeometryResult(
        dimension=dim.dimension,
        loci=loci,
        boundary=boundary,
        primes=[p],
        certainty=Certainty.PROVEN if confirmed else Certainty.UNKNOWN,
        architecture=arch.spec,
        seed=seed,
        seconds=time.perf_counter() - t0,
    )


__all__ = [
    "AttentionGeometryResult",
    "Locus",
    "OrbitCount",
    "Verdict",
    "attention_geometry",
    "expected_orbits",
    "gauge_chart",
    "orbit_count",
]
