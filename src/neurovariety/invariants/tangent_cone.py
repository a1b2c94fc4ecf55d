"""The Jacobian criterion on a stratum of a hypersurface V = {F = 0}, and local types.

Where I(V) = (F) is proven (≤ 16 coordinates), a stratum's image lies in Sing V iff ∇F composed
with its parametrization is the zero polynomial over Q, and the local type at a rational image
point is read off the tangent cone of F there (:func:`hypersurface_analysis`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..errors import InternalError
from ..parametrization.exact import coefficient_polynomials
from .strata import Stratum

#: Coordinates of V up to which the Gröbner bases over Q of the criterion are attempted.
MAX_HYPERSURFACE_COORDINATES = 16

#: Largest absolute value of the random integer parameters of a rational image point.
POINT_RANGE = 9


def _stratum_coordinates(arch: Architecture, stratum: Stratum) -> tuple[list[Any], Any]:
    """The coordinates of f_θ on the stratum θ = B·u, as polynomials in u over Q (flint)."""
    outs, ctx = coefficient_polynomials(arch)
    from .equations import coordinates

    B = stratum.basis
    gens = ctx.gens()
    zero = ctx.from_dict({})
    theta = []
    for row in B:
        acc = zero
        for c in np.nonzero(row)[0]:
            acc = acc + gens[int(c)]
        theta.append(acc)
    polys = []
    for o, e in coordinates(arch):
        P = outs[o].get(tuple(e))
        polys.append(zero if P is None else P.compose(*theta, ctx=ctx))
    return polys, ctx


def hypersurface_analysis(
    arch: Architecture,
    stratum: Stratum,
    F: Any,
    pieces: list[Any],
    image_dim: int,
    seed: int,
) -> tuple[bool, dict[str, Any]]:
    """Whether the stratum's image lies in Sing V for V = {F = 0} with I(V) = (F), and the local
    type at a random rational point of it.

    Singular: ∇F composed with the stratum's parametrization is the zero polynomial (exact over
    Q; Jacobian criterion). The type comes from the tangent cone at a point q = f_θ, θ random
    integers on the stratum: the lowest-degree part G of F(q + h), of degree m (the
    multiplicity), and the rank r of G (the span of its (m−1)-th partial derivatives, linear
    forms). m = 1: smooth. m = 2: the Zariski tangent space of Z(F, ∇F) at q is ker G, so
    dim_q Sing V ≤ N − r, with equality exactly when Sing V is smooth there with tangent ker G and
    G is non-degenerate on the normal space: a node (ordinary double point transversally, two
    smooth sheets meeting along Sing V); r < N − dim_q Sing V: a degenerate (cusp-type) cone.
    dim_q Sing V is the largest dimension of a piece of Z(F, ∇F) through q.
    """
    import flint
    import sympy

    polys, ctx = _stratum_coordinates(arch, stratum)
    N = len(polys)
    cctx = flint.fmpq_mpoly_ctx.get(tuple(f"c{i}" for i in range(N)), "degrevlex")
    Fq = cctx.from_dict({tuple(e): c for e, c in F.terms})
    if not Fq.compose(*polys, ctx=ctx).is_zero():
        raise InternalError(f"F does not vanish on {stratum.name}")
    grad_zero = all(Fq.derivative(i).compose(*polys, ctx=ctx).is_zero() for i in range(N))
    rng = np.random.default_rng([seed, 23, N])
    for _ in range(20):  # a point off the vertex
        u = [
            flint.fmpq(int(v))
            for v in rng.choice([v for v in range(-POINT_RANGE, POINT_RANGE + 1) if v], ctx.nvars())
        ]
        q = [P(*u) if not P.is_zero() else flint.fmpq(0) for P in polys]
        if any(q):
            break
    else:  # the stratum's image is the vertex: V is a cone, its tangent cone there is F
        out = tangent_cone(F, [sympy.Integer(0)] * N, pieces)
        out["image_dimension"] = 0
        out["method"] = "tangent cone of F at the vertex (the zero function), exact over Q"
        return grad_zero, out
    point = [sympy.Rational(int(x.p), int(x.q)) for x in q]
    out = tangent_cone(F, point, pieces)
    out["image_dimension"] = image_dim
    out["method"] = (
        f"tangent cone of F at a random rational point of the image (θ in ±{POINT_RANGE} on "
        "the stratum, exact over Q): F(q + h)'s lowest-degree part"
    )
    if out["multiplicity"] >= 2 and not grad_zero:
        out["note"] = "a special point: the generic point of the image is smooth"
    return grad_zero, out


def tangent_cone(F: Any, point: list[Any], pieces: list[tuple[Any, int]]) -> dict[str, Any]:
    """The local type of V = {F = 0} at the rational ``point`` from its tangent cone (see
    :func:`hypersurface_analysis`); ``pieces``: Z(F, ∇F)'s pieces with their dimensions."""
    import sympy

    N = len(point)
    c = sympy.symbols(f"c0:{N}")
    h = sympy.symbols(f"h0:{N}")
    shifted = sympy.Poly(
        sympy.expand(F.sympy().subs({ci: pi + hi for ci, pi, hi in zip(c, point, h, strict=True)})),
        *h,
    )
    by_degree: dict[int, Any] = {}
    for mono, coeff in shifted.terms():
        by_degree[sum(mono)] = by_degree.get(sum(mono), 0) + coeff * sympy.Mul(
            *[x**a for x, a in zip(h, mono, strict=True)]
        )
    m = min(by_degree)
    forms = [by_degree[m]]
    for _ in range(m - 1):
        forms = [sympy.diff(g, x) for g in forms for x in h]
    rows = [[sympy.Poly(g, *h).coeff_monomial(x) for x in h] for g in forms if g != 0]
    r = int(sympy.Matrix(rows).rank()) if rows else 0
    at_q = dict(zip(c, point, strict=True))
    through = [dim for G_, dim in pieces if all(g.as_expr().subs(at_q) == 0 for g in G_.polys)]
    sing_dim = max(through, default=-1)
    out: dict[str, Any] = {
        "multiplicity": m,
        "tangent_cone_rank": r,
        "ambient": N,
        "sing_dimension_at_point": sing_dim,
    }
    if m == 1:
        out["type"] = "smooth"
    elif m == 2 and r == N - sing_dim:
        out["type"] = "node"
        out["meaning"] = (
            f"ordinary double point transversally: a quadratic cone of rank {r} = codimension "
            f"of Sing V (dim {sing_dim}) here"
        )
    elif m == 2:
        out["type"] = "cusp-type"
        out["meaning"] = (
            f"degenerate quadratic cone: rank {r} < {N - sing_dim}, the codimension of Sing V "
            f"(dim {sing_dim}) here"
        )
    else:
        out["type"] = f"multiplicity {m}"
        out["meaning"] = f"tangent cone of degree {m} in {r} essential variables"
    return out
