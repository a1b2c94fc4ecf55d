"""Identifiability: the generic fiber of φ, its dimension and (when finite) its size.

dim fiber = n_params − dim M (certified with the dimension). When a gauge chart (one weight per
rescaling fixed to 1) leaves a finite fiber, its size is counted on a witness set: the solutions
z of R·y(z) = w (y: the network at points unisolvent for the ambient space, R a random n×A
matrix, w generic) are the preimages of the points of V ∩ {R·v = w}, a generic affine slice of
complementary dimension. Monodromy over w finds them all (the incidence variety is irreducible;
loops over a base point z′ would not: the symmetric copies of the trivial solution are separate
components), the trace test checks completeness, and grouping solutions by the function y(z)
gives deg V distinct functions with |fiber| parameters each.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..architectures.base import Architecture
from ..architectures.mlp import MLP
from ..errors import NeurovarietyError
from ..nag import monodromy_solve, system_from_callable
from ..nag.result import cluster
from ..parametrization.numeric import chart_map, gauge_chart
from ..results import Result, Verdict
from .dimension import dimension


@dataclasses.dataclass(frozen=True, repr=False)
class FiberResult(Result):
    """The generic fiber of the parametrization."""

    architecture: str
    dimension: int
    size: int | None
    symmetry_order: int | None
    symmetry: str
    identifiable: Verdict
    certified: bool
    evidence: dict[str, Any]
    seed: int
    seconds: float

    def title(self) -> str:
        return f"FiberResult  {self.architecture}"

    def bullets(self) -> list[str]:
        if self.dimension > 0:
            first = f"generic fiber of dimension {self.dimension} (parameters − dim M)"
        else:
            first = "generic fiber is finite"
        b = [first]
        if self.size is not None:
            b.append(
                f"{self.size} points in the gauge chart, over each of the "
                f"{self.evidence.get('degree')} points of a generic slice of V (monodromy: "
                f"{self.evidence.get('loops')} loops, trace test {self.evidence.get('trace')})"
            )
        b.append(f"known symmetries: {self.symmetry} (order {self.symmetry_order})")
        b.append(
            f"identifiable up to symmetry: {self.identifiable.value}"
            + (" (certified)" if self.certified else "")
        )
        b.append(f"seed {self.seed} · {self.seconds:.3g} s")
        return b


def symmetry(arch: Architecture) -> tuple[str, int | None, int]:
    """(description, order of the finite group left in the gauge chart, continuous dimension)."""
    act = arch.activation
    if isinstance(arch, MLP):
        perms = math.prod(math.factorial(d) for d in arch.hidden_widths)
        exps = act.exponents
        if act.is_linear:
            return "GL(d_i) on each hidden layer", None, arch.symmetry_dim
        if act.is_monomial:
            return "permutations (rescalings fixed by the chart)", perms, arch.symmetry_dim
        parity = {e % 2 for e in exps}
        if len(parity) == 1 and act.coefficients[0] == 0:
            signs = 2 ** sum(arch.hidden_widths)
            return "permutations and sign flips (σ odd or even)", perms * signs, 0
        return "permutations of hidden neurons", perms, 0
    if act.is_monomial:
        return "filter rescalings (fixed by the chart)", 1, arch.symmetry_dim
    return "none (generic σ)", 1, 0


def fiber(
    arch: Architecture,
    *,
    seed: int = 0,
    time_limit: float = 300.0,
    max_loops_without_progress: int = 10,
) -> FiberResult:
    """Generic fiber dimension and, when finite in the gauge chart, its size by monodromy.

    The count rests on the stale rule (``max_loops_without_progress`` loops' worth of
    crossings that find nothing new; see :func:`~neurovariety.nag.monodromy_solve`): the trace
    in the linear coordinates proves every slice point found, not every point over each.

    >>> from neurovariety import parse_architecture
    >>> r = fiber(parse_architecture("lcn k=2,2 s=2"), seed=0)
    >>> r.dimension, r.size, r.evidence["degree"], r.identifiable.value   # Segre P¹×P¹: degree 2
    (1, 1, 2, 'yes')
    """
    t0 = time.perf_counter()
    dim = dimension(arch, seed=seed)
    fdim = arch.n_params - dim.dimension
    text, order, cont = symmetry(arch)
    if fdim > cont:
        return FiberResult(
            architecture=arch.spec,
            dimension=fdim,
            size=None,
            symmetry_order=order,
            symmetry=text,
            identifiable=Verdict.NO,
            certified=dim.certified,
            evidence={"reason": f"fiber dimension {fdim} exceeds the symmetry dimension {cont}"},
            seed=seed,
            seconds=time.perf_counter() - t0,
        )
    _, free = gauge_chart(arch)
    if len(free) != dim.dimension:
        raise NeurovarietyError(f"{arch.spec}: no finite gauge chart is known for this fiber")
    rng = np.random.default_rng(seed)
    E = jnp.asarray(rng.standard_normal((arch.ambient_dim_per_output, arch.n_inputs)))
    y_of = chart_map(arch, E)

    n = len(free)
    A = arch.ambient_dim
    R = jnp.asarray(rng.standard_normal((n, A)) + 1j * rng.standard_normal((n, A)))

    def system_fn(z: jax.Array, w: jax.Array) -> jax.Array:
        return R @ y_of(z) - w

    system = system_from_callable(system_fn, n, n_parameters=n, seed=seed)
    z0 = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)
    w0 = np.asarray(R @ y_of(jnp.asarray(z0, dtype=complex)))
    y_jit = jax.jit(y_of)

    def trace_map(z: np.ndarray) -> np.ndarray:
        # The slice moves by translation in the linear coordinates y, where the trace is affine.
        return np.asarray(y_jit(jnp.asarray(z, dtype=complex)))

    mono = monodromy_solve(
        system,
        (z0, w0),
        seed=seed,
        time_limit=time_limit,
        decisive_trace=True,
        trace_map=trace_map,
        # The trace in y cannot see a missing second point over the same function, so the
        # fiber count rests on the stale rule, not on the trace test.
        stop_on_trace=False,
        max_loops_without_progress=max_loops_without_progress,
    )
    sols = np.asarray(mono.solutions).reshape(-1, n)
    ys = np.stack([trace_map(z) for z in sols])
    ys = ys / np.maximum(1.0, np.abs(ys).max(axis=1, keepdims=True))
    labels = cluster(ys, 1e-6)
    counts = np.bincount(labels)
    degree = len(counts)
    size = int(counts.max()) if degree else 0
    uniform = bool(degree) and bool(np.all(counts == size))
    if order is None:
        verdict = Verdict.UNKNOWN
    elif size == order:
        verdict = Verdict.YES
    elif size > order:
        verdict = Verdict.NO
    else:
        verdict = Verdict.UNKNOWN
    return FiberResult(
        architecture=arch.spec,
        dimension=fdim,
        size=size,
        symmetry_order=order,
        symmetry=text,
        identifiable=verdict,
        certified=verdict is Verdict.NO and size > (order or 0) and uniform,
        evidence={
            "loops": mono.loops,
            "trace": mono.complete.value,
            "stop_reason": mono.stop_reason,
            "slice_solutions": len(sols),
            "degree": degree,
            "same_size_over_slice_points": uniform,
            "paths_failed": mono.paths_failed,
        },
        seed=seed,
        seconds=time.perf_counter() - t0,
    )
