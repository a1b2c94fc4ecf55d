"""Certification of regular solutions by the Krawczyk test in ball arithmetic (python-flint).

For an approximate solution ``m``, a box ``X = m + [-r, r]^n (real and imaginary parts)`` and
``Y ~ J(m)^{-1}``, the Krawczyk operator

    ``K(X) = m - Y F(m) + (I - Y J(X)) (X - m)``

is evaluated with ``acb`` balls (rigorous rounding; ``J(X)`` is an interval Jacobian over the whole
box). If ``K(X)`` lies in the interior of ``X``, then ``X`` contains exactly one solution and it is
regular (Krawczyk 1969; Moore, Kearfott & Cloud, *Introduction to Interval Analysis*, 2009, §8.2).
Pairwise disjoint certified boxes certify distinct solutions. If the system has real coefficients
and the box is symmetric under conjugation (real centre), the unique solution in it is real.

One checker, :func:`krawczyk_box` on :class:`BallPolynomials` (exact coefficients), serves both
:func:`certify` (text systems: float64 coefficients enter as the binary rationals they are) and the
ED systems of :mod:`neurovariety.landscape.ed_real` (rational coefficients).

A failed test proves nothing (the box may be too small or too large, the solution singular): the
answer is then ``unknown``, never ``no``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import CertificationError
from ..results import Certainty, Result, Verdict, plural
from .result import SolveResult
from .system import System


@dataclass(frozen=True, repr=False)
class CertificationResult(Result):
    """Per-solution Krawczyk verdicts, with the radius of each certified box.

    ``verdicts[i]`` is ``yes`` when a box around solution ``i`` provably holds exactly one
    solution, regular; ``unknown`` otherwise (never ``no``: a failed test proves nothing).
    ``real[i]`` is ``yes`` when that box is its own conjugate. ``n_distinct`` counts certified
    boxes that meet no other certified box: that many distinct solutions are proven.
    """

    verdicts: tuple[Verdict, ...]
    real: tuple[Verdict, ...]
    radii: np.ndarray = field(repr=False)
    solutions: np.ndarray = field(repr=False)
    n_distinct: int
    precision: int

    @property
    def n_certified(self) -> int:
        return sum(v == Verdict.YES for v in self.verdicts)

    @property
    def n_certified_real(self) -> int:
        return sum(v == Verdict.YES for v in self.real)

    @property
    def certainty(self) -> Certainty:
        """``CERTIFIED`` when every solution is certified and their boxes are pairwise
        disjoint, else ``UNKNOWN`` (the uncertified ones are undecided; see ``verdicts``)."""
        n = len(self.verdicts)
        return Certainty.CERTIFIED if n and self.n_distinct == n else Certainty.UNKNOWN

    def title(self) -> str:
        return f"CertificationResult: {self.n_certified} of {len(self.verdicts)} certified"

    def bullets(self) -> list[str]:
        unknown = len(self.verdicts) - self.n_certified
        radii = self.radii[np.isfinite(self.radii)]
        out = [
            f"{plural(self.n_certified, 'regular solution')} certified, {unknown} undecided "
            f"(Krawczyk test in {self.precision}-bit acb balls)",
            f"{self.n_distinct} certified boxes meet no other: {self.n_distinct} distinct "
            "solutions proven",
            f"{self.n_certified_real} certified real (boxes their own conjugates)",
        ]
        if radii.size:
            out.append(f"box radii {radii.min():.1e} to {radii.max():.1e}")
        return out + [f"certainty: {self.certainty.value}"]


class BallPolynomials:
    """Polynomials with exact coefficients, evaluated with their Jacobian in ``acb`` balls.

    ``polynomials[i]`` maps exponent tuples to coefficients: ``int``, ``Fraction``,
    ``flint.fmpz``/``fmpq`` (rounded to the working precision with a rigorous radius) or floats
    (exact binary numbers) or ``flint.acb`` balls. A rational system (e.g. an ED gradient system at
    rational data) is certified as it is, not its rounding to float64. Matrices are
    ``flint.acb_mat``.

    >>> import flint
    >>> F = BallPolynomials([{(2, 0): 1, (0, 0): -2}, {(1, 0): 1, (0, 1): -1}], 2)
    >>> F.values([flint.acb(1), flint.acb(3)]).tolist()[0][0], F.jacobian([flint.acb(1)] * 2)[0, 0]
    (-1.00000000000000, 2.00000000000000)
    """

    def __init__(self, polynomials: Sequence[Any], n_variables: int) -> None:
        self.n = n_variables
        self.polys = [[(tuple(int(k) for k in e), c) for e, c in p.items()] for p in polynomials]
        # ∂p_i/∂x_j: terms (exponents after the derivative, coefficient, multiplicity).
        self.derivs = [
            [
                [(e[:j] + (e[j] - 1,) + e[j + 1 :], c, e[j]) for e, c in poly if e[j]]
                for j in range(n_variables)
            ]
            for poly in self.polys
        ]
        self.degree = max((max(e, default=0) for p in self.polys for e, _ in p), default=0)
        self._balls: dict[int, dict[tuple[int, int], Any]] = {}

    @staticmethod
    def _ball(c: Any) -> Any:
        import flint

        if isinstance(c, Fraction):
            c = flint.fmpq(c.numerator, c.denominator)
        if isinstance(c, complex):
            return flint.acb(c.real, c.imag)
        if isinstance(c, flint.acb):
            return c
        return flint.acb(flint.arb(c))

    def _powers(self, x: Sequence[Any]) -> list[list[Any]]:
        import flint

        table = []
        for v in x:
            row = [flint.acb(1)]
            for _ in range(self.degree):
                row.append(row[-1] * v)
            table.append(row)
        return table

    def _sum(self, terms: Any, P: list[list[Any]]) -> Any:
        import flint

        # Coefficient balls once per precision (the rounding of a rational depends on it).
        balls = self._balls.setdefault(flint.ctx.prec, {})
        total = flint.acb(0)
        for e, c, *mult in terms:
            key = (id(c), mult[0] if mult else 1)
            if key not in balls:
                balls[key] = self._ball(c) * key[1]
            m = balls[key]
            for j, k in enumerate(e):
                if k:
                    m *= P[j][k]
            total += m
        return total

    def values(self, x: Sequence[Any]) -> Any:
        """The polynomials at the ball vector ``x``: an ``acb_mat`` column."""
        import flint

        P = self._powers(x)
        return flint.acb_mat([[self._sum(p, P)] for p in self.polys])

    def jacobian(self, x: Sequence[Any]) -> Any:
        """The Jacobian at ``x`` (every point of the box ``x``): an ``acb_mat``."""
        import flint

        P = self._powers(x)
        return flint.acb_mat([[self._sum(d, P) for d in row] for row in self.derivs])


def box(centre: Sequence[Any], radius: float) -> list[Any]:
    """The box ``centre ± radius`` (real and imaginary parts) around the balls' midpoints: a
    real centre gives a box that conjugation maps to itself."""
    import flint

    return [
        flint.acb(flint.arb(v.real.mid(), radius), flint.arb(v.imag.mid(), radius)) for v in centre
    ]


def newton(F: BallPolynomials, x: Any, steps: int = 6, tol: float = 0.0) -> tuple[list[Any], float]:
    """Newton's iteration at the working precision (midpoints only, not rigorous): the refined
    point and the size of its last step (max-norm; ``inf`` where the Jacobian is singular),
    stopped after a step of at most ``tol``.

    A real start of a real system stays real: the real solutions keep exactly real centres."""
    import flint

    z = [flint.acb(complex(v).real, complex(v).imag) for v in x]
    step = float("inf")
    for _ in range(steps):
        try:
            d = F.jacobian(z).mid().solve(F.values(z).mid())
        except ZeroDivisionError:
            return z, float("inf")
        z = [(v - d[i, 0]).mid() for i, v in enumerate(z)]
        step = max(float(abs(d[i, 0]).mid()) for i in range(F.n))
        if step <= tol:
            break
    return z, step


def krawczyk_box(F: BallPolynomials, centre: Sequence[Any], radius: float) -> list[Any] | None:
    """The box ``centre ± radius`` if the Krawczyk test proves it holds exactly one solution of
    ``F`` (regular), else None. ``K(X) = m − Y F(m) + (I − Y J(X))(X − m)`` in balls, with
    ``Y ≈ J(m)⁻¹`` any matrix: ``K(X)`` inside the interior of ``X`` is the proof."""
    import flint

    X = box(centre, radius)
    m = [flint.acb(v.real.mid(), v.imag.mid()) for v in X]
    try:
        Y = F.jacobian(m).mid().inv().mid()
    except ZeroDivisionError:
        return None
    dX = flint.acb_mat([[a - b] for a, b in zip(X, m, strict=True)])
    eye = flint.acb_mat(F.n, F.n, [int(i == j) for i in range(F.n) for j in range(F.n)])
    K = flint.acb_mat([[v] for v in m]) - Y * F.values(m) + (eye - Y * F.jacobian(X)) * dX
    for i, b in enumerate(X):
        if not (b.real.contains_interior(K[i, 0].real) and b.imag.contains_interior(K[i, 0].imag)):
            return None
    return X


def system_balls(system: System, parameters: np.ndarray) -> BallPolynomials:
    """The text system at ``parameters`` as :class:`BallPolynomials`.

    Each float64 coefficient enters as the binary rational it is (``0.1`` is
    ``3602879701896397/2^55``), so what is certified is a solution of the system as stored; the
    parameters are substituted in balls at the working precision (a rigorous enclosure).
    """
    import flint

    assert system.polynomials is not None
    n = system.n_variables
    pars = [flint.acb(complex(v).real, complex(v).imag) for v in parameters]
    polys = []
    for poly in system.polynomials:
        merged: dict[tuple[int, ...], Any] = {}
        for e, c in poly.items():
            coef = flint.acb(complex(c).real, complex(c).imag)
            for j, k in enumerate(e[n:]):
                if k:
                    coef *= pars[j] ** k
            key = tuple(e[:n])
            merged[key] = merged[key] + coef if key in merged else coef
        polys.append(merged)
    return BallPolynomials(polys, n)


def _certify_point(
    F: BallPolynomials, x: np.ndarray, real_system: bool
) -> tuple[bool, bool, float]:
    """(certified, certified real, box radius) for one approximate solution ``x``.

    The box is centred at ``x`` (at its real part first when it looks real: a box its own
    conjugate proves the solution real) with radius ten Newton steps, widened up to 1000-fold.
    """
    import flint

    scale = 1.0 + float(np.max(np.abs(x), initial=0.0))
    looks_real = real_system and float(np.max(np.abs(x.imag), initial=0.0)) <= 1e-8 * scale
    centres = [(x.real.astype(complex), True), (x, False)] if looks_real else [(x, False)]
    for centre, real_centre in centres:
        _, step = newton(F, centre, steps=1)
        if not np.isfinite(step):
            continue  # a singular Jacobian at the centre: no Krawczyk box there
        m = [flint.acb(z.real, z.imag) for z in centre]
        base = max(10 * step, 1e-13 * scale)
        for k in range(4):
            if krawczyk_box(F, m, base * 10.0**k) is not None:
                return True, real_centre, base * 10.0**k
    return False, False, float("nan")


def _pairwise_apart(X: np.ndarray, radii: np.ndarray) -> int:
    """How many boxes ``X ± radii`` (max-norm of real and imaginary parts) meet no other."""
    if not X.shape[0]:
        return 0
    gap = np.maximum(
        np.abs(X.real[:, None, :] - X.real[None, :, :]),
        np.abs(X.imag[:, None, :] - X.imag[None, :, :]),
    ).max(axis=2)
    apart = gap > (radii[:, None] + radii[None, :]) * 1.01
    np.fill_diagonal(apart, True)
    return int(np.sum(np.all(apart, axis=1)))


def certify(
    system: System,
    solutions: SolveResult | np.ndarray | Sequence[Sequence[complex]],
    *,
    parameters: Sequence[complex] | np.ndarray | None = None,
    precision: int = 106,
) -> CertificationResult:
    """Certify approximate solutions of a square text system with the Krawczyk test.

    One checker serves every caller: the system becomes :class:`BallPolynomials`
    (:func:`system_balls`: float coefficients as exact binary rationals) and each solution's box
    is put to :func:`krawczyk_box`.

    Parameters
    ----------
    solutions : SolveResult or array of rows
        Approximate solutions (all distinct solutions of a :class:`SolveResult`).
    precision : int
        Working precision of the balls in bits (``flint.ctx.prec`` during the call).

    Examples
    --------
    >>> from neurovariety.nag import parse_system, solve
    >>> F = parse_system("x^2 + y^2 - 5\\nx*y - 2")
    >>> c = certify(F, solve(F, seed=0))
    >>> c.n_certified, c.n_distinct, c.n_certified_real
    (4, 4, 4)
    >>> certify(parse_system("x^2 - 4x + 4"), [[2.0]]).verdicts  # singular: undecided
    (<Verdict.UNKNOWN: 'unknown'>,)
    """
    import flint

    if system.polynomials is None:
        raise CertificationError(
            "certification needs exact coefficients: a system from parse_system/read_system, "
            "not a callable. Fix: write the system as text"
        )
    if system.n_equations != system.n_variables:
        raise CertificationError(
            f"Krawczyk needs a square system; this one has {system.n_equations} equations in "
            f"{system.n_variables} unknowns"
        )
    p = system.check_parameters(parameters)
    S = solutions.solutions() if isinstance(solutions, SolveResult) else solutions
    X = np.atleast_2d(np.asarray(S, dtype=complex))
    if X.size == 0:
        X = np.zeros((0, system.n_variables), complex)
    # The solve's own classification stands: a singular solution (a cluster of paths) is never
    # certified regular here, whatever its representative point would give.
    if isinstance(solutions, SolveResult):
        singular = [solutions.paths[i].is_singular() for i in solutions.distinct]
    else:
        singular = [False] * len(X)
    real_system = all(
        complex(c).imag == 0 for poly in system.polynomials for c in poly.values()
    ) and bool(np.all(p.imag == 0))
    old = flint.ctx.prec
    flint.ctx.prec = precision
    try:
        F = system_balls(system, p)
        found = [
            (False, False, float("nan")) if skip else _certify_point(F, x, real_system)
            for x, skip in zip(X, singular, strict=True)
        ]
    finally:
        flint.ctx.prec = old
    ok = np.array([f[0] for f in found], dtype=bool)
    R = np.array([f[2] for f in found], dtype=float)
    return CertificationResult(
        verdicts=tuple(Verdict.YES if f[0] else Verdict.UNKNOWN for f in found),
        real=tuple(Verdict.YES if f[1] else Verdict.UNKNOWN for f in found),
        radii=R,
        solutions=X,
        n_distinct=_pairwise_apart(X[ok], R[ok]),
        precision=precision,
    )
