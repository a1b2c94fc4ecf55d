"""Witness sets: a variety cut by a random affine linear space of complementary dimension.

A witness set of a ``d``-dimensional variety ``X`` in ``C^N`` is ``X ∩ L`` for a generic affine
``L`` of codimension ``d``; its size is ``deg X``. Two ways to give ``X``:

- **by a parametrization** ``phi : C^k -> C^N`` (``X`` = closure of the image): the slice equations
  ``A phi(theta) = b`` are solved by monodromy over ``b`` from one point ``theta0`` (then
  ``b0 = A phi(theta0)`` is a start pair for free); when the generic fiber has positive dimension
  ``k - d``, it is cut by ``k - d`` random affine equations in ``theta`` and points are counted
  in the image;
- **by equations** ``F = 0`` (pure dimension ``d``): ``F = 0, A x = b`` is solved by a total-degree
  homotopy (squared up when there are more equations than the codimension).

Both are checked by the trace test over a pencil of parallel slices ``b + s w``, which for a
generic slice is decisive: an affine trace means the witness set is complete (Sommese, Verschelde
& Wampler 2002).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import PolynomialSystemError
from ..jaxconfig import ensure_x64
from ..results import Certainty, Result, Verdict, plural
from .monodromy import Sampler, TraceTest, monodromy_solve, trace_test
from .numerics import complex_gaussian, matrix_rank
from .points import cluster
from .solve import _seed, solve
from .system import System, _from_polys, system_from_callable
from .trace import completeness_bullets, count_certainty


@dataclass(frozen=True, repr=False)
class WitnessSet(Result):
    """Points of ``X ∩ L`` for a random affine ``L = {A y = b}``, and the degree they give."""

    points: np.ndarray = field(repr=False)
    dim: int
    ambient_dim: int
    slice_matrix: np.ndarray = field(repr=False)
    slice_offset: np.ndarray = field(repr=False)
    trace: TraceTest | None
    method: str
    seed: int
    seconds: float
    singular_values: np.ndarray | None = field(default=None, repr=False)
    n_singular: int = 0

    @property
    def degree(self) -> int:
        """Number of witness points: ``deg X`` when :attr:`complete` is ``yes``."""
        return int(self.points.shape[0])

    @property
    def complete(self) -> Verdict:
        """The trace test's verdict: ``yes`` when the points are all of ``X ∩ L``."""
        return self.trace.verdict if self.trace is not None else Verdict.UNKNOWN

    @property
    def certainty(self) -> Certainty:
        """Of :attr:`degree`: ``numerical`` once the trace test passed, else ``bound``."""
        return count_certainty(self.trace)

    def title(self) -> str:
        return f"WitnessSet of a {self.dim}-dimensional variety in C^{self.ambient_dim}"

    def bullets(self) -> list[str]:
        out = [f"degree {self.degree} ({plural(self.degree, 'witness point')})"]
        if self.n_singular:
            out.append(f"{self.n_singular} of them singular on the slice (non-reduced?)")
        out += completeness_bullets(self.trace, f"degree {self.degree}")
        out.append(self.method)
        out.append(f"random seed: {self.seed} · {self.seconds:.2f} s")
        return out


def witness_set(
    *,
    parametrization: Callable[[Any], Any] | None = None,
    n_parameters: int | None = None,
    equations: System | None = None,
    dim: int | None = None,
    seed: int | None = None,
    max_loops_without_progress: int = 6,
    time_limit: float = 600.0,
) -> WitnessSet:
    """Witness set (and degree) of a variety given by a parametrization or by equations.

    Parameters
    ----------
    parametrization : callable, optional
        Polynomial JAX function ``theta -> y`` of ``n_parameters`` inputs.
    equations : System, optional
        A system without parameters whose zero set has pure dimension ``dim``.
    dim : int, optional
        Dimension of the variety; for a parametrization it defaults to the numerical rank of its
        Jacobian at a random point (singular values kept in the result).

    Examples
    --------
    The twisted cubic, by its parametrization and by equations (degree 3 both ways):

    >>> W = witness_set(parametrization=lambda t: jnp.stack([t[0], t[0]**2, t[0]**3]),
    ...                 n_parameters=1, seed=0)
    >>> W.degree, W.complete.value
    (3, 'yes')
    >>> from neurovariety.nag import parse_system
    >>> C = parse_system("y - x^2\\nz - x^3", allow_underdetermined=True)
    >>> W = witness_set(equations=C, dim=1, seed=0)
    >>> W.degree, W.complete.value
    (3, 'yes')
    """
    if (parametrization is None) == (equations is None):
        raise PolynomialSystemError(
            "give exactly one of parametrization=... or equations=... to witness_set"
        )
    seed = _seed(seed)
    if parametrization is not None:
        if n_parameters is None or n_parameters < 1:
            raise PolynomialSystemError("a parametrization needs n_parameters >= 1")
        return _from_parametrization(
            parametrization, n_parameters, dim, seed, max_loops_without_progress, time_limit
        )
    assert equations is not None
    if dim is None:
        raise PolynomialSystemError(
            "witness_set(equations=...) needs dim=... (the dimension of the variety)"
        )
    return _from_equations(equations, dim, seed, time_limit)


#: Monodromy searches before a witness set is reported incomplete (decisive trace test "no").
WITNESS_ATTEMPTS = 4
#: Random start pairs a search of a parametrization starts from, beside its first point.
WITNESS_STARTS = 64


def _slice_family(
    phi: Callable[[Any], Any],
    phi_j: Callable[[Any], Any],
    theta0: np.ndarray,
    A: np.ndarray,
    C: np.ndarray,
    seed: int,
) -> tuple[System, Callable[[np.ndarray], np.ndarray], Sampler]:
    """The family ``A phi(theta) = b, C theta = C theta0`` over ``b``: its system, the trace map
    ``theta -> phi(theta)`` and a sampler of free start pairs."""
    k, d = theta0.size, A.shape[0]
    Aj, Cj, ej = jnp.asarray(A), jnp.asarray(C), jnp.asarray(C @ theta0)

    def sliced(th: Any, b: Any) -> Any:
        y = jnp.asarray(phi(th)).reshape(-1)
        return jnp.concatenate([Aj @ y - b, Cj @ th - ej])

    system = system_from_callable(sliced, k, n_parameters=d, seed=seed)

    def tmap(th: np.ndarray) -> np.ndarray:
        return np.asarray(phi_j(jnp.asarray(th)))

    # Start pairs are free: any theta on the slice {C theta = e} solves the system at
    # b = A phi(theta). The first ones fill the search's lanes at once (its first rounds
    # otherwise wait for each point to arrive before it travels on), later ones come with
    # each new loop.
    kernel = np.linalg.svd(C)[2][k - d :].conj().T if k > d else np.eye(k)
    phi_rows = jax.jit(jax.vmap(phi_j))

    def sampler(r: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        thetas = theta0 + complex_gaussian(r, (m, d)) @ kernel.T
        return thetas, np.asarray(phi_rows(jnp.asarray(thetas))) @ A.T

    return system, tmap, sampler


def _from_parametrization(
    phi: Callable[[Any], Any],
    k: int,
    dim: int | None,
    seed: int,
    stale: int,
    time_limit: float,
) -> WitnessSet:
    ensure_x64()  # phi is evaluated before any System exists
    t_start = time.monotonic()
    rng = np.random.default_rng(seed)
    theta0 = complex_gaussian(rng, k)
    phi_j = jax.jit(lambda th: jnp.asarray(phi(th)).reshape(-1))
    y0 = np.asarray(phi_j(jnp.asarray(theta0)))
    N = y0.size
    J = np.asarray(jax.jacfwd(phi_j, holomorphic=True)(jnp.asarray(theta0)))
    rank, sv = matrix_rank(J, 1e-8)
    d = rank if dim is None else int(dim)
    if not 1 <= d <= min(k, N):
        raise PolynomialSystemError(
            f"dimension {d} is impossible for a map C^{k} -> C^{N}. Fix: check dim"
        )
    A = complex_gaussian(rng, (d, N))
    C = complex_gaussian(rng, (k - d, k))
    b0 = A @ y0
    system, tmap, sampler = _slice_family(phi, phi_j, theta0, A, C, seed)

    # A decisive "no" means points are missing: search again from every point found so far
    # (new random loops), a few times, before reporting the incomplete set with its "no".
    # Every search and test keeps to the one deadline: past it, the set found so far is
    # returned with a trace test "unknown" (a lower bound).
    # The trace runs inside the search, on all its points (the fibers of the slice's points
    # have one size, so their trace is that multiple of the witness set's): the search stops
    # as soon as it passes (a separate test after a stale rule took 6 loops' worth of crossings
    # more, a third of the time for cnn k=2,2,2 s=2,2 x^2).
    deadline = t_start + time_limit
    starts, loops = theta0[None, :], 0
    for _ in range(WITNESS_ATTEMPTS):
        mono = monodromy_solve(
            system,
            (starts, b0),
            seed=int(rng.integers(2**31)),
            max_loops_without_progress=stale,
            trace_map=tmap,
            decisive_trace=True,
            time_limit=deadline - time.monotonic(),
            starts=sampler(rng, WITNESS_STARTS),
            sampler=sampler,
        )
        loops += mono.loops
        images = np.asarray(jax.vmap(phi_j)(jnp.asarray(mono.solutions)))
        labels = cluster(images, 1e-6)
        reps = np.array([int(np.nonzero(labels == i)[0][0]) for i in range(labels.max() + 1)])
        trace = mono.trace
        if trace is None or trace.verdict is not Verdict.NO or time.monotonic() > deadline:
            break
        starts = mono.solutions
    return WitnessSet(
        points=images[reps],
        dim=d,
        ambient_dim=N,
        slice_matrix=A,
        slice_offset=b0,
        trace=trace,
        method=(
            f"parametrization C^{k} -> C^{N} (rank {rank}), monodromy: {loops} loops, "
            f"{mono.paths_tracked} paths ({mono.paths_failed} failed), {mono.nsolutions} "
            f"points in C^{k}, stopped: {mono.stop_reason}"
        ),
        seed=seed,
        seconds=time.monotonic() - t_start,
        singular_values=sv,
    )


def _from_equations(F: System, d: int, seed: int, time_limit: float) -> WitnessSet:
    t_start = time.monotonic()
    if F.n_parameters:
        raise PolynomialSystemError(
            "witness_set(equations=...) needs a system without parameters. Fix: substitute values"
        )
    n = F.n_variables
    if not 1 <= d < n:
        raise PolynomialSystemError(f"dim must be between 1 and {n - 1}, got {d}")
    rng = np.random.default_rng(seed)
    A = complex_gaussian(rng, (d, n))
    b0 = complex_gaussian(rng, d)
    names = tuple(f"_b{i}" for i in range(d))
    system: System
    if F.polynomials is not None:
        polys = [{e + (0,) * d: c for e, c in poly.items()} for poly in F.polynomials]
        for i in range(d):
            row: dict[tuple[int, ...], complex] = {}
            for j in range(n):
                row[tuple(int(q == j) for q in range(n)) + (0,) * d] = complex(A[i, j])
            row[(0,) * n + tuple(int(q == i) for q in range(d))] = -1.0 + 0j
            polys.append(row)
        lines = tuple(range(1, len(polys) + 1))
        system = _from_polys(F.variables, names, polys, lines)
    elif F.function is not None:
        f = F.function
        Aj = jnp.asarray(A)

        def sliced(x: Any, b: Any) -> Any:
            return jnp.concatenate([jnp.asarray(f(x, jnp.zeros(0))).reshape(-1), Aj @ x - b])

        system = system_from_callable(
            sliced, n, n_parameters=d, degrees=F.degrees + (1,) * d, seed=seed
        )
    else:  # pragma: no cover - every System has one of the two
        raise PolynomialSystemError("this system carries neither polynomials nor a function")
    res = solve(system, parameters=b0, seed=seed, time_limit=time_limit)
    nons = res.nonsingular()
    sing = res.singular()
    pts = np.array([p.solution for p in nons + sing]).reshape(-1, n)
    trace = trace_test(
        system,
        np.array([p.solution for p in nons]).reshape(-1, n),
        b0,
        seed=seed,
        decisive=True,
        deadline=t_start + time_limit,
    )
    if sing:
        trace = TraceTest(
            Verdict.UNKNOWN,
            trace.residual,
            trace.tolerance,
            "singular witness points: the trace test covers the non-singular ones only",
        )
    return WitnessSet(
        points=pts,
        dim=d,
        ambient_dim=n,
        slice_matrix=A,
        slice_offset=b0,
        trace=trace,
        method=f"equations: total-degree homotopy, ledger {res.ledger}",
        seed=seed,
        seconds=time.monotonic() - t_start,
        n_singular=len(sing),
    )
