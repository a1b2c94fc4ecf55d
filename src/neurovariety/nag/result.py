"""Path results, the solve result with its ledger, and deduplication of endpoints."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..results import Certainty, Graded, Result, Verdict, plural
from .points import cluster as cluster  # re-exported: callers import it from here

if TYPE_CHECKING:
    from .certify import CertificationResult


class PathStatus(enum.StrEnum):
    """Final status of a path.

    ``success``
        ends at a finite, non-singular solution;
    ``singular``
        ends at an isolated solution where the Jacobian is singular (the local dimension test
        found the point isolated, its Jacobian rank-deficient); the paths ending there give its
        multiplicity;
    ``positive_dimensional``
        ends on a positive-dimensional component (the local dimension test found the point not
        isolated); not a solution in ``nsolutions``, reported in ``components``;
    ``at_infinity``
        diverges in affine space (its projective endpoint has ``x0 = 0``);
    ``failed``
        could not be completed even after re-tracking; ``reason`` says why;
    ``excess``
        (overdetermined systems only, squared up by random combinations) ends at a solution of the
        randomized system that does not solve the original one.
    """

    SUCCESS = "success"
    SINGULAR = "singular"
    POSITIVE_DIMENSIONAL = "positive_dimensional"
    AT_INFINITY = "at_infinity"
    FAILED = "failed"
    EXCESS = "excess"


def path_certainty(status: PathStatus, certified: bool) -> Certainty:
    """A path's certainty: ``CERTIFIED`` where a Krawczyk box proved its solution regular,
    ``UNKNOWN`` for a failed path (nothing decided), else ``NUMERICAL`` (a tracked endpoint)."""
    if certified:
        return Certainty.CERTIFIED
    return Certainty.UNKNOWN if status == PathStatus.FAILED else Certainty.NUMERICAL


@dataclass(frozen=True, repr=False)
class PathResult(Result, Graded):
    """One tracked path: status, endpoint and diagnostics.

    ``solution`` is the affine endpoint (``None`` for paths at infinity or failed),
    ``endpoint`` the projective one on the random patch. ``residual`` is the max-norm of the
    (coefficient-scaled) equations at the solution, ``condition`` the 2-norm condition number of
    the Jacobian (with the patch row) at the endpoint, ``winding_number`` the endgame's cycle
    number (0 where the endgame did not decide), ``multiplicity`` the number of paths ending at the
    same solution, ``certainty`` (keyword) ``CERTIFIED`` where a Krawczyk box proved the solution
    regular and apart from every nearby endpoint (only suspects are tested: see ``solve``; see
    :func:`path_certainty`), ``certified`` the same as a bool, ``component`` the index in
    ``SolveResult.components`` of a path on a positive-dimensional component (else -1).
    """

    index: int
    status: PathStatus
    solution: np.ndarray | None = field(repr=False)
    endpoint: np.ndarray = field(repr=False)
    residual: float
    condition: float
    winding_number: int
    steps: int
    rejected_steps: int
    reason: str = ""
    retracked: bool = False
    multiplicity: int = 1
    accuracy: float = float("nan")
    component: int = -1

    def is_success(self) -> bool:
        return self.status == PathStatus.SUCCESS

    def is_singular(self) -> bool:
        return self.status == PathStatus.SINGULAR

    def is_positive_dimensional(self) -> bool:
        return self.status == PathStatus.POSITIVE_DIMENSIONAL

    def is_at_infinity(self) -> bool:
        return self.status == PathStatus.AT_INFINITY

    def is_failed(self) -> bool:
        return self.status == PathStatus.FAILED

    def is_real(self, tol: float = 1e-8) -> bool:
        x = self.solution
        return x is not None and float(np.max(np.abs(x.imag), initial=0.0)) <= tol * (
            1 + float(np.max(np.abs(x), initial=0.0))
        )

    def title(self) -> str:
        return f"PathResult #{self.index}: {self.status.value}"

    def bullets(self) -> list[str]:
        out = []
        if self.solution is not None:
            out.append("solution " + np.array2string(self.solution, precision=6))
        out.append(
            f"residual {self.residual:.1e} · condition {self.condition:.1e} · winding number "
            f"{self.winding_number} · multiplicity {self.multiplicity}"
        )
        out.append(f"{self.steps} steps ({self.rejected_steps} rejected)")
        if self.certified:
            out.append("certified regular (Krawczyk box)")
        if self.reason:
            out.append(f"reason: {self.reason}")
        if self.retracked:
            out.append("re-tracked with the conservative preset")
        return out


@dataclass(frozen=True)
class Component:
    """Endpoints on one positive-dimensional component: its local dimension, paths and points.

    ``dimension`` is the corank of the Jacobian at the points (the local dimension at smooth
    points of a reduced component). ``points`` holds one point per distinct endpoint.
    """

    dimension: int
    paths: tuple[int, ...]
    points: np.ndarray = field(repr=False)


@dataclass(frozen=True, repr=False)
class SolveResult(Result):
    """Result of :func:`~neurovariety.nag.solve`: paths, distinct solutions and the ledger.

    The ledger counts **paths**: ``tracked = success + singular + at_infinity + failed``
    (``+ excess`` for overdetermined systems, which are squared up by random combinations;
    ``+ positive_dimensional`` when paths ended on positive-dimensional components).
    ``nsolutions`` counts **distinct isolated** solutions (non-singular plus singular);
    ``components`` lists the positive-dimensional components the paths reached.
    """

    paths: tuple[PathResult, ...] = field(repr=False)
    seed: int
    method: str
    start_count: int
    dedup_tol: float
    seconds: float
    system: str = ""
    real_tol: float = 1e-8
    overdetermined: bool = False
    n_variables: int = 0
    distinct: tuple[int, ...] = field(default=(), repr=False)
    components: tuple[Component, ...] = field(default=(), repr=False)
    #: ``"total-degree"``, ``"polyhedral"`` or ``"parameter"``: where the paths started.
    start_system: str = "total-degree"
    #: Paths the start system gives: the Bézout number or the mixed volume (0: not recorded).
    root_count: int = 0
    #: Names of the unknowns, in the order of the solutions' coordinates.
    variables: tuple[str, ...] = ()
    #: Values of the system's parameters the solutions are for (random ones for monodromy
    #: without declared values).
    parameters: tuple[complex, ...] = ()
    #: Krawczyk verdicts of :meth:`solutions` (``replace(r, certification=certify(F, r))``).
    certification: CertificationResult | None = field(default=None, repr=False)
    #: The time budget cut the solve short (a monodromy search stopped by it: solutions missing).
    out_of_time: bool = False

    # ---- ledger
    @property
    def ledger(self) -> dict[str, int]:
        counts = {s.value: 0 for s in PathStatus}
        for p in self.paths:
            counts[p.status.value] += 1
        if not self.overdetermined:
            del counts["excess"]
        if not counts["positive_dimensional"]:
            del counts["positive_dimensional"]
        return {"tracked": len(self.paths), **counts}

    @property
    def retried(self) -> int:
        """Paths re-tracked (failed or jumped at first); the ledger has their final status."""
        return sum(p.retracked for p in self.paths)

    def _representatives(self) -> list[PathResult]:
        return [self.paths[i] for i in self.distinct]

    @property
    def nsolutions(self) -> int:
        return len(self.distinct)

    @property
    def nreal(self) -> int:
        return sum(p.is_real(self.real_tol) for p in self._representatives())

    # ---- filters (HomotopyContinuation.jl names)
    def solutions(self, *, only_nonsingular: bool = False) -> np.ndarray:
        """Distinct finite solutions as rows (singular ones included unless asked)."""
        reps = [p for p in self._representatives() if not (only_nonsingular and p.is_singular())]
        return _stack(reps, self.n_variables)

    def real_solutions(self, *, tol: float | None = None) -> np.ndarray:
        """Distinct real solutions (imaginary parts below ``tol`` relative), real arrays."""
        t = self.real_tol if tol is None else tol
        return _stack([p for p in self._representatives() if p.is_real(t)], self.n_variables).real

    def nonsingular(self) -> list[PathResult]:
        """One path result per distinct non-singular solution."""
        return [p for p in self._representatives() if p.is_success()]

    def singular(self) -> list[PathResult]:
        """One path result per distinct singular solution; ``multiplicity`` = paths ending there."""
        return [p for p in self._representatives() if p.is_singular()]

    def positive_dimensional(self) -> list[PathResult]:
        """Paths that ended on positive-dimensional components (see ``components``)."""
        return [p for p in self.paths if p.is_positive_dimensional()]

    def at_infinity(self) -> list[PathResult]:
        return [p for p in self.paths if p.is_at_infinity()]

    def failed(self) -> list[PathResult]:
        return [p for p in self.paths if p.is_failed()]

    def multiplicities(self) -> list[int]:
        """Multiplicity of each distinct solution, in the order of :meth:`solutions`."""
        return [p.multiplicity for p in self._representatives()]

    # ---- printing
    def title(self) -> str:
        return f"Result with {plural(self.nsolutions, 'solution')}"

    def bullets(self) -> list[str]:
        L = self.ledger
        nons = self.nonsingular()
        sing = self.singular()
        out = [
            f"{plural(len(nons), 'non-singular solution')} "
            f"({sum(p.is_real(self.real_tol) for p in nons)} real)",
        ]
        if sing:
            mult = sum(p.multiplicity for p in sing)
            out.append(
                f"{plural(len(sing), 'singular solution')} "
                f"({sum(p.is_real(self.real_tol) for p in sing)} real; {plural(mult, 'path')}, "
                "multiplicities counted)"
            )
        if self.components:
            by_dim = Counter(c.dimension for c in self.components)
            dims = ", ".join(f"{d} ({k})" if k > 1 else str(d) for d, k in sorted(by_dim.items()))
            # groups that no monodromy loop joined (or the deadline left apart) are listed apart
            out.append(
                f"at most {plural(len(self.components), 'positive-dimensional component')} "
                f"(local dimensions {dims}; "
                f"{plural(sum(len(c.paths) for c in self.components), 'path')}; not solutions)"
            )
        out.append(
            f"{L['tracked']} paths tracked: {L['success']} success, {L['singular']} singular, "
            + (
                f"{L['positive_dimensional']} on components, "
                if "positive_dimensional" in L
                else ""
            )
            + f"{L['at_infinity']} at infinity, {L['failed']} failed"
            + (f", {L['excess']} excess" if "excess" in L else "")
        )
        certified = sum(p.certified for p in self._representatives())
        if certified:
            out.append(
                f"{certified} of them certified regular (Krawczyk boxes, where endpoints met)"
            )
        if self.out_of_time:
            out.append("partial: the time budget ran out before the search for solutions ended")
        if self.certification is not None:
            out += self.certification.bullets()
        if self.retried:
            out.append(f"{self.retried} paths re-tracked before being classified")
        out.append(f"{self.method}; dedup tolerance {self.dedup_tol:g} (relative)")
        out.append(f"random seed: {self.seed} · {self.seconds:.2f} s")
        return out

    def to_dict(self) -> dict[str, Any]:
        sols = self.solutions()
        cert = self.certification
        out = {
            "nsolutions": self.nsolutions,
            "nreal": self.nreal,
            "ledger": self.ledger,
            "seed": self.seed,
            "method": self.method,
            "start_system": self.start_system,
            "root_count": self.root_count,
            "retried": self.retried,
            "dedup_tol": self.dedup_tol,
            "seconds": self.seconds,
            "variables": list(self.variables),
            "parameters": [[float(z.real), float(z.imag)] for z in self.parameters],
            "solutions": [[[float(z.real), float(z.imag)] for z in row] for row in sols],
            "multiplicities": self.multiplicities(),
            "singular": [p.is_singular() for p in self._representatives()],
            "certified": [p.certified for p in self._representatives()]
            if cert is None
            else [v == Verdict.YES for v in cert.verdicts],
            "components": [
                {"dimension": c.dimension, "paths": len(c.paths), "points": len(c.points)}
                for c in self.components
            ],
        }
        if self.out_of_time:
            out["out_of_time"] = True
        if cert is not None:  # `certified` is a list per solution with or without --certify
            out["n_certified"] = cert.n_certified
            out["certified_real"] = cert.n_certified_real
            out["certified_distinct"] = cert.n_distinct
        return out


def _stack(paths: list[PathResult], n: int) -> np.ndarray:
    sols = [p.solution for p in paths if p.solution is not None]
    if not sols:
        return np.zeros((0, n), dtype=complex)
    return np.stack(sols)
