"""Generic ED degrees by Gröbner bases in Macaulay2 over ZZ/p — an independent count.

Shared by ``tests/test_edd_m2.py`` and ``benchmarks/landscape.py`` (which puts ``tests/`` on its
path, as ``benchmarks/nag.py`` does for ``tests/nag``).

Formulation. c(z) are the network's output coefficients (:func:`coefficient_polynomials`) in the
free variables z of the gauge chart (:func:`gauge_chart`; the fixed parameters set to 1), J their
Jacobian (m coefficients × n free parameters). For a random Q = BᵀB and random data u, all
integers mod p, the critical points of (c(z) − u)ᵀ Q (c(z) − u) are the zeros of
Jᵀ Q (c(z) − u). The ideal of these n equations is saturated by the degenerate locus rank J < n
(``"minors"``: the ideal of all maximal minors of J; ``"random:K"``: the ideal of K minors
det(J·A_i) of random combinations A_i ∈ F_p^{m×n} of J's rows, cheaper and, for random A_i,
generically the same saturation), checked zero-dimensional, and its degree (the number of
parameter solutions over the algebraic closure of F_p, with multiplicity) is divided by the
generic fiber size of the chart: the degree of (c(z) − c(z₀)) for a random z₀ ∈ F_p^n, saturated
by the same ideal. What is left is the number of critical *functions*: the generic ED degree.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from neurovariety.architectures.base import Architecture
from neurovariety.parametrization.exact import coefficient_polynomials
from neurovariety.parametrization.numeric import gauge_chart

PRIME = 32003
MINORS_LIMIT = 20  # "auto": all maximal minors up to this many, else random:2 (the full
# minors ideal is costly: `cnn k=3,2 x^2`, 126 minors, saturates in 39 s against 0.5 s)


def chart_coefficients(arch: Architecture, p: int = PRIME) -> tuple[list[str], int]:
    """The output coefficients c(z) as Macaulay2 polynomials in ``z_0..z_{n-1}`` mod p.

    >>> from neurovariety import parse_architecture
    >>> chart_coefficients(parse_architecture("lcn k=2,2 s=2"))   # w1 = (1, z_0), w2 = (z_1, z_2)
    (['z_1', 'z_0*z_1', 'z_2', 'z_0*z_2'], 3)
    """
    fixed, free = gauge_chart(arch)
    slot = {int(t): i for i, t in enumerate(free)}
    outputs, _ = coefficient_polynomials(arch)
    polys = []
    for out in outputs:
        for _, c in sorted(out.items(), reverse=True):
            terms: dict[tuple[int, ...], int] = {}
            for exp, q in c.to_dict().items():
                z = [0] * len(free)
                for t, e in enumerate(exp):
                    if e and t in slot:
                        z[slot[t]] = e
                coef = int(q.p) * pow(int(q.q), -1, p) % p
                terms[tuple(z)] = (terms.get(tuple(z), 0) + coef) % p
            polys.append(_m2_poly(terms) or "0")
    return polys, len(free)


def _m2_poly(terms: dict[tuple[int, ...], int]) -> str:
    out = []
    for z, coef in sorted(terms.items(), reverse=True):
        if not coef:
            continue
        mono = "*".join(f"z_{i}" + (f"^{e}" if e > 1 else "") for i, e in enumerate(z) if e)
        out.append(f"{coef}*{mono}" if mono and coef != 1 else (mono or str(coef)))
    return " + ".join(out)


def _matrix(rows: np.ndarray) -> str:
    return "{" + ", ".join("{" + ", ".join(str(int(v)) for v in r) + "}" for r in rows) + "}"


def resolve_saturation(saturation: str, m: int, n: int) -> str:
    """``"auto"``: ``"minors"`` when J has at most MINORS_LIMIT maximal minors, else
    ``"random:2"``."""
    if saturation == "auto":
        return "minors" if math.comb(m, n) <= MINORS_LIMIT else "random:2"
    if saturation != "minors" and not re.fullmatch(r"random:[1-9]\d*", saturation):
        raise ValueError(f"saturation={saturation!r}: use 'auto', 'minors' or 'random:K'")
    return saturation


def ed_degree_script(
    arch: Architecture, *, seed: int = 0, saturation: str = "auto", p: int = PRIME
) -> tuple[str, str]:
    """The Macaulay2 script that prints the counts, and the saturation it uses."""
    c, n = chart_coefficients(arch, p)
    m = len(c)
    saturation = resolve_saturation(saturation, m, n)
    rng = np.random.default_rng(seed)
    B = rng.integers(-(p // 2), p // 2, size=(m, m))
    Q = (B.T.astype(object) @ B.astype(object)) % p  # exact: Python ints
    u = rng.integers(0, p, size=m)
    z0 = rng.integers(1, p, size=n)
    if saturation == "minors":
        degenerate = f"minors({n}, J)"
    else:
        k = int(saturation.split(":")[1])
        combos = [_matrix(rng.integers(0, p, size=(m, n))) for _ in range(k)]
        degenerate = "ideal(" + ", ".join(f"det(J * matrix(R, {A}))" for A in combos) + ")"
    script = f"""
R = ZZ/{p}[z_0..z_{n - 1}];
c = matrix(R, {{{{{", ".join(c)}}}}});
J = jacobian c;
Q = matrix(R, {_matrix(Q)});
u = matrix(R, {{{{{", ".join(str(int(v)) for v in u)}}}}});
D = {degenerate};
r = elapsedTiming saturate(ideal(J * Q * transpose(c - u)), D);
S = last r;
print("critical_dim " | toString(dim S));
print("critical_degree " | toString(degree S));
print("critical_seconds " | toString(first r));
c0 = sub(c, matrix(R, {{{{{", ".join(str(int(v)) for v in z0)}}}}}));
r = elapsedTiming saturate(ideal(c - c0), D);
F = last r;
print("fiber_dim " | toString(dim F));
print("fiber_degree " | toString(degree F));
print("fiber_seconds " | toString(first r));
"""
    return script, saturation


def m2_ed_degree(
    arch: Architecture, *, seed: int = 0, saturation: str = "auto", timeout: float = 600.0
) -> dict[str, Any] | None:
    """Run :func:`ed_degree_script` with ``M2 --script``; None when M2 is not on PATH.

    Returns ``count`` (critical degree / fiber degree), the two degrees, ``seconds`` (wall clock
    of the whole M2 process, start-up included), the in-M2 times of the two saturations, and
    ``saturation``; or ``error`` (with ``seconds``) on a timeout, a positive-dimensional ideal,
    a fiber degree that does not divide, or output that does not parse.
    """
    m2 = shutil.which("M2")
    if m2 is None:
        return None
    script, saturation = ed_degree_script(arch, seed=seed, saturation=saturation)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "edd.m2"
        f.write_text(script)
        t = time.perf_counter()
        try:
            proc = subprocess.run(
                [m2, "--script", str(f)], capture_output=True, text=True, timeout=timeout, cwd=d
            )
        except subprocess.TimeoutExpired:
            return {
                "error": f"did not finish in {timeout:g} s",
                "seconds": timeout,
                "saturation": saturation,
            }
        wall = time.perf_counter() - t
    vals = dict(re.findall(r"^(\w+) ([0-9.e+-]+)$", proc.stdout, flags=re.M))
    res: dict[str, Any] = {"seconds": wall, "saturation": saturation}
    if "fiber_degree" not in vals:
        return res | {"error": (proc.stderr or proc.stdout)[-300:].strip()}
    crit, fiber = int(vals["critical_degree"]), int(vals["fiber_degree"])
    res |= {
        "critical_degree": crit,
        "fiber_degree": fiber,
        "critical_seconds": float(vals["critical_seconds"]),
        "fiber_seconds": float(vals["fiber_seconds"]),
    }
    if vals["critical_dim"] != "0" or vals["fiber_dim"] != "0":
        return res | {"error": f"dim {vals['critical_dim']} / {vals['fiber_dim']}, not 0"}
    if fiber == 0 or crit % fiber:
        return res | {"error": f"fiber degree {fiber} does not divide {crit}"}
    return res | {"count": crit // fiber}
