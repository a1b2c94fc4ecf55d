"""Exact real slices of a neurovariety through a singular point, and loss slices through θ0.

Razor (arXiv:2505.11846) draws the singularities that subnetworks cause as a cusp (MLP) and a
node (CNN). Here they are drawn from the equation: V is a hypersurface {F = 0}; p = φ(θ0) for a
rational θ0 on a subnetwork stratum; the plane p + s·u + t·v has rational directions, so the
plane curve G(s, t) = F(p + s·u + t·v) is exact over Q, and its real points are the real roots of
G along every grid line (no contour interpolation, so isolated real points show too).

The local type at p is read from G. Its lowest-order form is the restriction of the tangent cone
of V at p; with the Hessian H of F at p (the tangent cone is {dᵀHd = 0} at a double point):

* ``normal`` plane: u, v are the principal directions of H on the normal space of the stratum's
  image (largest and smallest eigenvalue). Indefinite: two distinct real tangent lines, a node
  of the curve; definite: an isolated real point.
* ``cone`` plane: u = d is a direction of the tangent cone that the network reaches (dφ at a
  point of the fiber over p, so dᵀHd = 0), v is H-orthogonal to d. The lowest form is then
  (vᵀHv/2)·t², a double tangent, and the curve is an ordinary cusp t² ~ s³ when F(d) ≠ 0 along
  it (F's cubic term). Where V is two smooth branches (a node of V, rank H = 2 on the normal
  space) every such d lies in a branch's tangent space and no ordinary cusp appears; an MLP's
  tangent cone has higher rank and shows the cusp.

The transversal rank of H (on the normal space) is reported too: 2 with an indefinite form means
two smooth branches (a node of V), more means a tangent cone that is no union of hyperplanes.
"""

from __future__ import annotations

import dataclasses
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..errors import NeurovarietyError
from ..invariants.equations import EquationsResult, coordinates, equations
from ..invariants.strata import Stratum, embed_unit, placements, strata, unit_filters
from ..results import Certainty, Provenance, Result
from .plane_curves import GRID, cusp_window, plane_local_type, real_curve_points

__all__ = [
    "PLANES",
    "VarietySlice",
    "loss_slice_figure",
    "plane_local_type",
    "real_curve_points",
    "variety_slice",
    "variety_slice_figure",
]

PLANES = ("normal", "cone")
MAX_COORDINATES = 40  # exact Hessians and nullspaces over Q stay small
MAX_TERMS = 2_000  # terms of the equation
MAX_TRIES = 12  # random fiber directions tried for a cone direction with F(d) ≠ 0


@dataclasses.dataclass(frozen=True, repr=False)
class VarietySlice(Result, Provenance):
    """An exact plane section V ∩ (p + s·u + t·v) of a hypersurface V = {F = 0} at p = φ(θ0).

    ``polynomial`` is G(s, t) = F(p + s·u + t·v) (exact, over Q); ``multiplicity`` its order at
    (0, 0), ``lowest_form`` its lowest-degree part (the plane's tangent lines), ``local_type``
    what that says (smooth, node, isolated point, cusp, double tangent, …).
    ``transversal_rank`` is the rank of F's Hessian at p on the normal space of the stratum's
    image. ``real_points``: (s, t) of real curve points, ``reached``: whether a real parameter
    maps there: ``(s, t, found)`` by least squares (``None`` when not searched).
    """

    stratum: str
    plane: str
    equation: str
    theta0: list[str]
    point: list[str]
    u: list[str]
    v: list[str]
    polynomial: str
    multiplicity: int
    lowest_form: str
    local_type: str
    transversal_rank: int
    normal_dimension: int
    real_points: list[tuple[float, float]]
    reached: list[tuple[float, float, bool]] | None

    @property
    def certainty(self) -> Certainty:
        """``proven``: G, its lowest form and the local type are exact over Q (the real points
        and ``reached`` are floating-point pictures of it, not part of the claim)."""
        return Certainty.PROVEN

    def title(self) -> str:
        return f"VarietySlice  {self.architecture}  [{self.stratum}, {self.plane} plane]"

    def bullets(self) -> list[str]:
        b = [
            f"V = {{{self.equation} = 0}}; p = φ(θ0) = ({', '.join(self.point)})",
            f"plane p + s·u + t·v, u = ({', '.join(self.u)}), v = ({', '.join(self.v)})",
            f"G(s, t) = {self.polynomial}",
            f"multiplicity {self.multiplicity} at p; lowest form {self.lowest_form}: "
            f"{self.local_type}",
            f"Hessian of F at p: rank {self.transversal_rank} on the {self.normal_dimension}-"
            f"dimensional normal space of the stratum's image ({_branches(self)})",
        ]
        if self.reached is not None:
            b.append(
                f"{sum(ok for *_, ok in self.reached)} of {len(self.reached)} sampled curve "
                "points are images of "
                "real parameters (least squares)"
            )
        b.append(self.provenance_bullet())
        return b


def _branches(r: VarietySlice) -> str:
    if r.multiplicity < 2:
        return "p is a smooth point of V"
    if r.transversal_rank == 2:
        return "two hyperplanes: two smooth branches, a node of V, where the form is indefinite"
    if r.transversal_rank >= 3:
        return "an irreducible quadric cone: no union of smooth branches"
    return "a double hyperplane or a higher-order point"


# ---------------------------------------------------------------------------------------------
# exact pieces


def _hypersurface(arch: Architecture, eqs: EquationsResult | None, seed: int) -> EquationsResult:
    """The equations of V, refused unless V is a hypersurface with a verified generator."""
    A = arch.ambient_dim
    if A > MAX_COORDINATES:
        raise NeurovarietyError(
            f"{arch.spec} has {A} coordinates (limit {MAX_COORDINATES}): exact slices need the "
            "equation of V; try a smaller network such as 'mlp 2-2-1 x^3+x^2' or 'lcn k=3,2 s=2'"
        )
    r = eqs if eqs is not None else equations(arch, max_degree=4, seed=seed)
    if r.equations and len(r.equations[0].terms) > MAX_TERMS:
        raise NeurovarietyError(
            f"the equation of {arch.spec} has {len(r.equations[0].terms)} terms (limit "
            f"{MAX_TERMS}): its exact Hessian and plane sections are out of a picture's budget; "
            "try a smaller network"
        )
    if r.zero_ideal:
        raise NeurovarietyError(
            f"the neurovariety of {arch.spec} fills its {A}-dimensional ambient space: every "
            "point is smooth and a slice shows the whole plane; pick a network with dim V < "
            f"{A}"
        )
    if not (r.generated and len(r.equations) == 1):
        codim = A - r.dimension
        raise NeurovarietyError(
            f"the neurovariety of {arch.spec} has codimension {codim} in {A} coordinates "
            f"({len(r.equations)} equations, {r.completeness()}): a plane meets it in points, "
            "not a curve, so a slice is drawn only for hypersurfaces with a verified equation; "
            "try 'mlp 2-2-1 x^3+x^2' (Razor) or 'lcn k=3,2 s=2' (KMST), or `neurovariety "
            "equations` for this one"
        )
    return r


def _phi_polynomials(arch: Architecture) -> list[Any]:
    """φ over Q as one ``fmpq_mpoly`` in θ per coordinate, in the order of the equations."""
    from ..parametrization.exact import coefficient_polynomials

    outs, ctx = coefficient_polynomials(arch)
    zero = ctx.from_dict({})
    return [outs[o].get(e, zero) for o, e in coordinates(arch)]


def _at(poly: Any, theta: list[Fraction]) -> Fraction:
    import flint

    if poly.is_zero():
        return Fraction(0)
    value = poly(*[flint.fmpq(q.numerator, q.denominator) for q in theta])
    return Fraction(int(value.p), int(value.q))


def _jacobian(phi: list[Any], theta: list[Fraction]) -> Any:
    import sympy

    n = len(theta)
    return sympy.Matrix(
        [[_at(c.derivative(j), theta) if not c.is_zero() else 0 for j in range(n)] for c in phi]
    )


def _stratum_point(stratum: Stratum, rng: np.random.Generator) -> list[Fraction]:
    """A rational point of the stratum: small non-zero integers on its free parameters."""
    B = stratum.basis
    u = rng.choice([-3, -2, -1, 1, 2, 3], size=B.shape[1])
    return [Fraction(int(round(x))) for x in B @ u]


def _fiber_directions(stratum: Stratum, theta0: list[Fraction], rng: np.random.Generator) -> Any:
    """Parameters in the fiber over φ(θ0) other than θ0 (their dφ lies in V's tangent cone)."""
    arch = stratum.arch
    if stratum.kind in ("inactive-out", "inactive-in", "redundant") and stratum.reduced is not None:
        # θ0 without unit 0 (neuron or channel) is the smaller network's; re-add it inactive
        # with random incoming weights
        i = stratum.layer
        into, out = unit_filters(arch, i, 0)
        full = np.array([float(q) for q in theta0])
        if stratum.kind == "redundant":  # unit 0 copies unit k: k takes both outgoing weights
            full[unit_filters(arch, i, stratum.neurons[1])[1]] += full[out]
        keep = np.ones(arch.n_params, dtype=bool)
        keep[into] = keep[out] = False
        points = []
        for _ in range(3):
            row = rng.choice([-2, -1, 1, 2], size=len(into)).astype(float)
            th = embed_unit(arch, i, full[keep], row, np.zeros(len(out)))
            points.append([Fraction(int(round(x))) for x in th])
        return points
    if stratum.kind == "padding":
        exact = np.array(theta0, dtype=object)
        return [[Fraction(q) for q in th] for th in placements(stratum, exact)]
    return [theta0]


def _rationalize(x: np.ndarray, den: int = 12) -> list[Fraction]:
    return [Fraction(float(v)).limit_denominator(den) for v in x]


def _scaled(vec: list[Fraction], norm: float) -> list[Fraction]:
    """``vec`` times a rational close to norm/|vec| (exactness kept)."""
    size = float(np.linalg.norm([float(q) for q in vec]))
    k = Fraction(f"{norm / size:.2g}") if size else Fraction(1)
    return [q * k for q in vec]


# ---------------------------------------------------------------------------------------------
# the slice


def variety_slice(
    arch: Architecture,
    stratum: Stratum | None = None,
    *,
    plane: str = "normal",
    seed: int = 0,
    reach: int = 48,
    eqs: EquationsResult | None = None,
) -> VarietySlice:
    """The exact plane section of the hypersurface V through p = φ(θ0), θ0 on ``stratum``.

    ``plane``: ``normal`` (principal directions of the tangent cone across the stratum's image)
    or ``cone`` (tangent to the tangent cone along a direction the network reaches); see the
    module docstring. ``reach``: curve points tested for being images of real parameters (least
    squares from a few starts; 0 skips). ``eqs``: equations already computed.

    Raises :class:`~neurovariety.NeurovarietyError` when V is not a hypersurface with a verified
    equation (a plane meets a higher-codimension V in points only).

    >>> from neurovariety import parse_architecture
    >>> r = variety_slice(parse_architecture("lcn k=3,2 s=2"), reach=0)
    >>> r.stratum, r.multiplicity, r.local_type, r.transversal_rank
    ('padding 0|2 0|0', 2, 'node: two distinct real tangent lines', 2)
    """
    import sympy

    t_start = time.perf_counter()
    if plane not in PLANES:
        raise NeurovarietyError(f"unknown plane {plane!r}; use one of {', '.join(PLANES)}")
    r = _hypersurface(arch, eqs, seed)
    F = r.equations[0].sympy()
    cs = sympy.symbols([f"c{i}" for i in range(r.n_coordinates)])
    phi = _phi_polynomials(arch)
    grad_F = [sympy.diff(F, c) for c in cs]  # once, evaluated at each candidate point
    rng = np.random.default_rng([seed, 41])
    candidates = [stratum] if stratum is not None else _default_strata(arch)
    last_error = ""
    for st in candidates:
        for _ in range(3):
            theta0 = _stratum_point(st, rng)
            p = [_at(c, theta0) for c in phi]
            if st.reduced is not None and not any(p):
                continue  # a cancellation reached the apex 0, a deeper stratum
            at_p = dict(zip(cs, p, strict=True))
            if any(g.subs(at_p) != 0 for g in grad_F):
                last_error = f"φ(θ0) is a smooth point of V on stratum {st.name!r}"
                continue
            try:
                return _slice(arch, st, plane, F, cs, phi, theta0, p, rng, seed, reach, r,
                              t_start)  # fmt: skip
            except _NoPlane as e:
                last_error = str(e)
                break
    raise NeurovarietyError(
        f"no singular slice of {arch.spec}: {last_error}; pass another --stratum or --plane"
    )


class _NoPlane(Exception):
    pass


def _default_strata(arch: Architecture) -> list[Stratum]:
    """Strata with a positive-dimensional image first (the zero function is the cone's apex)."""
    out = strata(arch)
    return sorted(out, key=lambda s: s.reduced is None)


def _slice(
    arch: Architecture,
    st: Stratum,
    plane: str,
    F: Any,
    cs: list[Any],
    phi: list[Any],
    theta0: list[Fraction],
    p: list[Fraction],
    rng: np.random.Generator,
    seed: int,
    reach: int,
    eqs: EquationsResult,
    t_start: float,
) -> VarietySlice:
    import sympy

    at_p = dict(zip(cs, p, strict=True))
    H = sympy.hessian(F, cs).subs(at_p)
    J = _jacobian(phi, theta0) * sympy.Matrix(st.basis.astype(int).tolist())
    T = J.columnspace()
    E = sympy.eye(len(cs))
    N = sympy.Matrix.hstack(*T).T.nullspace() if T else [E[:, i] for i in range(len(cs))]
    Nm = sympy.Matrix.hstack(*N)
    QN = Nm.T * H * Nm
    rank = QN.rank()
    size = float(np.linalg.norm([float(q) for q in p])) or 1.0
    if plane == "normal":
        u, v = _normal_plane(Nm, QN, rank)
    else:
        u, v = _cone_plane(arch, st, F, cs, phi, theta0, H, rng)
    u = _scaled([Fraction(str(q)) for q in u], 0.5 * size)
    v = _scaled([Fraction(str(q)) for q in v], 0.5 * size)
    s, t = sympy.symbols("s t")

    def section(u: list[Fraction], v: list[Fraction]) -> Any:
        subs = {c: pi + s * ui + t * vi for c, pi, ui, vi in zip(cs, p, u, v, strict=True)}
        return sympy.expand(F.subs(subs, simultaneous=True))

    G = section(u, v)
    pts = real_curve_points(G, s, t)
    # a cusp t² ~ s³ is flat at this scale: stretch the axis whose points stay near 0, once
    if pts:
        spread = np.abs(np.array(pts)).max(axis=0)
        if 0 < spread[1] < 0.3:
            v = [q * Fraction(f"{spread[1] / 0.8:.2g}") for q in v]
        if 0 < spread[0] < 0.3:
            u = [q * Fraction(f"{spread[0] / 0.8:.2g}") for q in u]
        if min(spread) < 0.3:
            G = section(u, v)
            pts = real_curve_points(G, s, t)
    m, L, kind = plane_local_type(G, s, t)
    if kind.startswith("cusp"):
        u, v, G, pts = cusp_window(section, u, v, s, t)
        m, L, kind = plane_local_type(G, s, t)
    reached = _reach(arch, phi, p, u, v, pts, theta0, reach, rng) if reach else None
    fmt = [str(q) for q in theta0]
    return VarietySlice(
        architecture=arch.spec,
        stratum=st.name,
        plane=plane,
        equation=eqs.equations[0].text(),
        theta0=fmt,
        point=[str(q) for q in p],
        u=[str(q) for q in u],
        v=[str(q) for q in v],
        polynomial=str(G),
        multiplicity=m,
        lowest_form=str(sympy.factor(L)),
        local_type=kind,
        transversal_rank=int(rank),
        normal_dimension=len(N),
        real_points=[(float(a), float(b)) for a, b in pts],
        reached=reached,
        seed=seed,
        seconds=time.perf_counter() - t_start,
    )


def _normal_plane(Nm: Any, QN: Any, rank: int) -> tuple[list[Any], list[Any]]:
    """The principal directions of the Hessian on the normal space N (largest and smallest
    eigenvalue), rounded to rationals inside N."""
    import sympy

    w, vecs = np.linalg.eigh(np.array(QN.evalf(), dtype=float))
    if rank == 0:
        u_c, v_c = vecs[:, 0], vecs[:, -1]
    else:
        u_c, v_c = vecs[:, int(np.argmax(w))], vecs[:, int(np.argmin(w))]
    return list(Nm * sympy.Matrix(_rationalize(u_c))), list(Nm * sympy.Matrix(_rationalize(v_c)))


def _cone_plane(
    arch: Architecture,
    st: Stratum,
    F: Any,
    cs: list[Any],
    phi: list[Any],
    theta0: list[Fraction],
    H: Any,
    rng: np.random.Generator,
) -> tuple[list[Any], list[Any]]:
    """d = dφ(θ')·δ at a fiber point θ' (so dᵀHd = 0) with F(d) ≠ 0, and v ⟂_H d, vᵀHv ≠ 0."""
    import sympy

    p = [_at(c, theta0) for c in phi]
    fiber = [th for th in _fiber_directions(st, theta0, rng) if [_at(c, th) for c in phi] == p]
    fiber = fiber or [theta0]
    found = None
    for k in range(MAX_TRIES):
        th = fiber[k % len(fiber)]
        delta = sympy.Matrix(rng.choice([-2, -1, 1, 2], size=arch.n_params).tolist())
        d = _jacobian(phi, th) * delta
        if (d.T * H * d)[0] != 0 or all(x == 0 for x in d):
            continue
        if F.subs(dict(zip(cs, list(d), strict=True))) != 0:
            found = d
            break
        found = found if found is not None else d
    if found is None:
        raise _NoPlane("no direction of the tangent cone was found at the fiber points")
    d = found
    Hd = (H * d).T
    if all(x == 0 for x in Hd):
        raise _NoPlane("the reached direction lies in the kernel of the Hessian")
    # dᵀHd = 0, so d itself is H-orthogonal to d: v is taken in that hyperplane, off d's line
    basis = Hd.nullspace()
    v = sympy.zeros(len(cs), 1)
    for _ in range(MAX_TRIES):
        v = sum((b * int(rng.choice([-2, -1, 1, 2])) for b in basis), sympy.zeros(len(cs), 1))
        if (v.T * H * v)[0] != 0:
            return list(d), list(v)
    # at a node every such v lies in d's branch tangent space: the plane has multiplicity ≥ 3
    if sympy.Matrix.hstack(d, v).rank() < 2:
        raise _NoPlane("no direction H-orthogonal to the reached cone direction")
    return list(d), list(v)


def _reach(
    arch: Architecture,
    phi: list[Any],
    p: list[Fraction],
    u: list[Fraction],
    v: list[Fraction],
    pts: list[tuple[float, float]],
    theta0: list[Fraction],
    count: int,
    rng: np.random.Generator,
) -> list[tuple[float, float, bool]]:
    """For ``count`` curve points q: is some real θ with φ(θ) = q found by least squares?

    Starts: θ0 perturbed and the previous solution (neighbouring points): evidence, not proof.
    """
    import sympy
    from scipy.optimize import least_squares

    n = arch.n_params
    ths = sympy.symbols([f"t{j}" for j in range(n)])
    exprs = [sympy.sympify(str(c)) if not c.is_zero() else sympy.Integer(0) for c in phi]
    f = sympy.lambdify(ths, exprs, "numpy")
    jac = sympy.lambdify(ths, sympy.Matrix(exprs).jacobian(ths), "numpy")
    P, U, V = (np.array([float(q) for q in x]) for x in (p, u, v))
    by_angle = sorted(pts, key=lambda st: np.arctan2(st[1], st[0]))
    chosen = by_angle[:: max(1, len(pts) // count)][:count]
    base = np.array([float(q) for q in theta0])
    out = []
    prev = base
    tol = 1e-9 * max(1.0, float(np.linalg.norm(P)))
    for a, b in chosen:
        q = P + a * U + b * V
        ok = False
        for start in (prev, base + 0.3 * rng.standard_normal(n), rng.standard_normal(n)):
            sol = least_squares(
                lambda th, q=q: np.asarray(f(*th), dtype=float) - q,
                start,
                jac=lambda th: np.asarray(jac(*th), dtype=float),
                max_nfev=200,
                xtol=1e-14,
                ftol=1e-14,
            )
            if np.linalg.norm(sol.fun) < tol * 10:
                ok, prev = True, sol.x
                break
        out.append((a, b, ok))
    return out


# ---------------------------------------------------------------------------------------------
# figures


def variety_slice_figure(r: VarietySlice | list[VarietySlice]) -> Any:
    """A matplotlib Figure of one slice or several side by side: the real curve, p marked, the
    points reached by real parameters overlaid."""
    from matplotlib.figure import Figure as MplFigure

    rs = r if isinstance(r, list) else [r]
    fig = MplFigure(figsize=(5.6 * len(rs), 5.2), layout="constrained")
    for k, one in enumerate(rs):
        _draw(fig.add_subplot(1, len(rs), k + 1), one)
    return fig


def _draw(ax: Any, r: VarietySlice) -> None:
    pts = np.array(r.real_points) if r.real_points else np.zeros((0, 2))
    ax.scatter(pts[:, 0], pts[:, 1], s=0.6, color="tab:blue", label="real points of V ∩ plane")
    if r.reached:
        hit = np.array([(a, b) for a, b, ok in r.reached if ok])
        miss = np.array([(a, b) for a, b, ok in r.reached if not ok])
        if len(hit):
            ax.scatter(hit[:, 0], hit[:, 1], s=22, color="tab:green", zorder=3,
                       label="image of real parameters (found)")  # fmt: skip
        if len(miss):
            ax.scatter(miss[:, 0], miss[:, 1], s=22, marker="x", color="tab:gray", zorder=3,
                       label="no real parameter found")  # fmt: skip
    ax.plot([0.0], [0.0], marker="*", markersize=15, color="tab:red", zorder=4,
            label=f"p = φ(θ0), {r.stratum}")  # fmt: skip
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_aspect("equal")
    ax.set_xlabel("s (direction u)")
    ax.set_ylabel("t (direction v)")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(f"{r.architecture}: {r.plane} plane through p\n{r.local_type}", fontsize=9)


def slice_caption(r: VarietySlice) -> str:
    return (
        f"Exact real slice of V = {{{r.equation} = 0}} by the {r.plane} plane p + s·u + t·v "
        f"through p = φ(θ0), θ0 a rational point of the stratum “{r.stratum}”: the real roots "
        f"of G(s, t) = F(p + s·u + t·v) on {GRID} grid lines per axis. Multiplicity "
        f"{r.multiplicity} at p, lowest form {r.lowest_form}: {r.local_type}. Hessian rank "
        f"{r.transversal_rank} across the stratum's image ({_branches(r)})."
    )


def loss_slice_figure(
    arch: Architecture, stratum: Stratum | None = None, *, seed: int = 0
) -> tuple[Any, str, Stratum]:
    """The squared-error loss on a plane of parameter space through a random point θ0 of
    ``stratum`` (one direction along it, one normal): the report's landscape figure."""
    from .figures import landscape_plot

    st = stratum if stratum is not None else _default_strata(arch)[0]
    rng = np.random.default_rng(seed)
    n_samples = max(2 * arch.n_params, 8)
    X = rng.standard_normal((n_samples, arch.n_inputs))
    Y = rng.standard_normal((n_samples, arch.n_outputs))
    theta0 = st.basis @ rng.standard_normal(st.basis.shape[1])
    fig, caption = landscape_plot(
        arch, st, theta0, X, Y, point="a random point of the stratum", seed=seed
    )
    return fig, caption, st


def save_figure(fig: Any, path: Path) -> None:
    """PNG or SVG (or anything matplotlib knows) by the file's suffix."""
    fig.savefig(path, dpi=110)
