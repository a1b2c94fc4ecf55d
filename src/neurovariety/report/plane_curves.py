"""Plane curves G(s, t) = 0 over Q: the local type at the origin and the real points.

The exact tools behind :mod:`.slices`: the type of a double point from its lowest form (node,
isolated point, cusp, tacnode), the real points of the curve on a grid of lines (exact
coefficients, so isolated real points show too), and a window that keeps a cusp's two branches
visible.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

GRID = 600  # grid lines per axis on which G's real roots are found


def plane_local_type(G: Any, s: Any, t: Any) -> tuple[int, Any, str]:
    """Multiplicity of the plane curve G = 0 at (0, 0), its lowest form, and the local type.

    Type of a double point from the lowest form a·s² + b·st + c·t²: b² − 4ac > 0 a **node** (two
    distinct real tangent lines), < 0 an **isolated point** (complex tangents), = 0 a double
    tangent — an ordinary **cusp** when G has a non-zero cubic coefficient along that tangent,
    otherwise a tacnode or worse.

    >>> import sympy
    >>> s, t = sympy.symbols("s t")
    >>> plane_local_type(s * t + s**3, s, t)[2], plane_local_type(t**2 - s**3, s, t)[2]
    ('node: two distinct real tangent lines', 'cusp: a double tangent, G ~ t² − s³')
    """
    import sympy

    P = sympy.Poly(G, s, t)
    if P.is_zero:
        return 0, sympy.Integer(0), "the plane lies in V"
    m = min(i + j for i, j in P.monoms())
    L = sympy.Add(*[c * s**i * t**j for (i, j), c in P.terms() if i + j == m])
    if m == 0:
        return 0, L, "p is not on the curve"
    if m == 1:
        return 1, L, "smooth: one tangent line"
    if m > 2:
        # real tangent lines: real roots of L(s, 1), and t = 0 when L(s, 1) loses degree
        chart = sympy.Poly(L.subs(t, 1), s)
        lines = len(sympy.Poly(sympy.sqf_part(chart.as_expr()), s).real_roots())
        lines += int(chart.degree() < m)
        return m, L, f"a point of multiplicity {m} with {lines} distinct real tangent lines"
    a, b, c = (P.coeff_monomial(s**2), P.coeff_monomial(s * t), P.coeff_monomial(t**2))
    disc = b * b - 4 * a * c
    if disc > 0:
        return 2, L, "node: two distinct real tangent lines"
    if disc < 0:
        return 2, L, "isolated real point: two complex conjugate tangent lines"
    # a double tangent: L = a·(s + b/(2a)·t)², zero along (−b, 2a); or L = c·t² along (1, 0)
    d = (-b, 2 * a) if a != 0 else (sympy.Integer(1), sympy.Integer(0))
    w = (0, 1) if d[0] != 0 else (1, 0)
    sig, tau = sympy.symbols("_sigma _tau")
    H = sympy.Poly(
        sympy.expand(
            G.subs({s: sig * d[0] + tau * w[0], t: sig * d[1] + tau * w[1]}, simultaneous=True)
        ),
        sig,
        tau,
    )
    if H.coeff_monomial(sig**3) != 0:
        return 2, L, "cusp: a double tangent, G ~ t² − s³"
    return 2, L, "a double tangent without a cubic term along it: a tacnode or worse"


def cusp_window(section: Any, u: list[Fraction], v: list[Fraction], s: Any, t: Any) -> Any:
    """Zoom into a cusp until its two branches t ≈ ±k·s^(3/2) look alike (higher terms of G
    skew them at a coarse scale); t is stretched as s^(3/2) to keep it visible."""
    best = None
    for lam in ("1", "1/4", "1/16", "1/64"):
        k = Fraction(lam)
        uu = [q * k for q in u]
        vv = [q * Fraction(f"{float(k) ** 1.5:.2g}") for q in v]
        G = section(uu, vv)
        pts = real_curve_points(G, s, t)
        if not pts:
            continue
        ts = np.array(pts)[:, 1]
        top, bottom = float(ts.max()), float(-ts.min())
        if top <= 0 or bottom <= 0:
            continue
        spread = max(top, bottom)
        vv = [q * Fraction(f"{spread / 0.8:.2g}") for q in vv]
        G = section(uu, vv)
        best = (uu, vv, G, real_curve_points(G, s, t))
        if min(top, bottom) / spread > 0.6:
            break
    if best is None:
        G = section(u, v)
        best = (u, v, G, real_curve_points(G, s, t))
    return best


def real_curve_points(G: Any, s: Any, t: Any, *, grid: int = GRID) -> list[tuple[float, float]]:
    """Real points of G = 0 in the square [−1, 1]²: real roots along every vertical and
    horizontal grid line (exact coefficients, numpy roots).

    >>> import sympy
    >>> s, t = sympy.symbols("s t")
    >>> pts = real_curve_points(s**2 + t**2 - sympy.Rational(1, 4), s, t, grid=11)
    >>> bool(max(abs(a * a + b * b - 0.25) for a, b in pts) < 1e-9)
    True
    """
    import sympy

    P = sympy.Poly(G, s, t)
    if P.is_zero:
        return []
    deg = P.degree(s), P.degree(t)
    C = np.zeros((deg[0] + 1, deg[1] + 1))
    for (i, j), c in P.terms():
        C[i, j] = float(c)
    scale = float(np.abs(C).max())
    out: list[tuple[float, float]] = []
    line = np.linspace(-1.0, 1.0, grid)
    for axis in (0, 1):
        M = C if axis == 0 else C.T  # M[i, j]: coefficient of (fixed)^i (free)^j
        for x in line:
            coeffs = (x ** np.arange(M.shape[0])) @ M
            nz = np.nonzero(np.abs(coeffs) > 1e-13 * scale)[0]
            if nz.size == 0:
                continue
            roots = np.roots(coeffs[: nz[-1] + 1][::-1])
            for z in roots:
                if abs(z.imag) < 1e-7 and abs(z.real) <= 1.0:
                    out.append((x, z.real) if axis == 0 else (z.real, x))
    if abs(float(P.eval((0, 0)))) < 1e-12:
        out.append((0.0, 0.0))
    return out
