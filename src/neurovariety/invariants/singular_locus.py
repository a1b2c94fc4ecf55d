"""The singular locus Sing V by the Jacobian criterion, decomposed and matched to subnetworks.

The tangent-span test of :mod:`.singularities` decides one subnetwork stratum at a time, so it
cannot see a singular component that is no stratum's image: ``mlp 2-2-1 x^3+x^2`` (Razor,
arXiv:2505.11846) is singular along the image of ``mlp 2-1-1`` *and* along the linear space of
functions with no cubic part. (``lcn k=3,2 s=2`` is singular along the even polynomials
{c1 = c3 = 0}, the image of the interior-zero stratum a1 = 0.) Here the locus comes from
equations.

Jacobian criterion. If g_1, …, g_m generate I(V) and V has codimension r, then
Sing V = V ∩ {rank ∂g/∂c < r} (all r×r minors vanish). For a hypersurface I(V) = (F) and
Sing V = Z(F, ∇F). :func:`~.equations.equations` proves generation for hypersurfaces (an
irreducible V of codimension one has a principal ideal, and its verified lowest-degree equation
generates it), so there the locus is exact. Otherwise, with equations J ⊆ I(V) complete through
degree ≥ deg V, Z(J) = V as sets (a variety of degree d is cut out by equations of degree d) and
every differential of J at a point of V lies in the span of those of I(V), so
Sing V ⊆ Z := V ∩ {rank ∂J/∂c < r}: a superset, whose components are singular where the
tangent-span test certifies the stratum whose image they are (probable: the match is made mod p).

Decomposition. Z is split by a factorizing Gröbner basis over Q (sympy): whenever a reduced
basis element factors, the ideal branches into one ideal per irreducible factor, until no basis
element factors; the union of the pieces' zero sets is Z exactly (a proof over Q), and pieces
contained in another are dropped. Each piece's dimension is read off its leading monomials (the
largest set of variables that contains the support of no leading monomial; exact over Q); its
degree is the number of points on a random slice by dim − 1 linear forms and one affine chart,
counted by msolve over two or more random primes (the count over Q but for finitely many bad
primes). A piece is reported by its Gröbner basis; the splitting does not prove it irreducible
(a piece whose basis is linear is a linear space).

Strata. Each subnetwork stratum's image (the neuromanifold of the smaller network, embedded in
the coordinates of V) is sampled at random points over GF(p): if a piece's equations vanish at
all of them, the image lies in the piece (with probability ≥ 1 − deg/p per point); with the same
dimension and degree it *is* the piece's top-dimensional part. An image point where some equation
of every piece is non-zero proves the image is not inside Z, so the stratum's generic point is
smooth.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import time
from typing import Any

from ..architectures.base import Architecture
from ..errors import BudgetExceededError, InternalError, NeurovarietyError
from ..exact import primes_below
from ..exact.msolve import PrimeCount
from ..results import Certainty, Graded, Provenance, Result, Verdict
from .equations import Equation, EquationsResult, coordinates, equations, sample_points_mod_p
from .exact_counts import PRIME_BITS
from .locus_decomposition import (
    affine_dimension,
    coordinate_symbols,
    decompose,
    integer_terms,
    jacobian_ideal,
    slice_counts,
    slice_degree,
)
from .strata import Stratum, image_inputs, strata

#: Coordinates of V beyond which the Gröbner bases over Q (sympy) are not attempted.
MAX_COORDINATES = 16
#: Random points of each stratum's image tested against each component.
IMAGE_POINTS = 3
#: Characters of equations printed in a summary (the JSON form has them all).
MAX_SHOWN = 300
#: Largest degree of equations asked for to make them cut V out (they must reach deg V).
MAX_EQUATION_DEGREE = 6


@dataclasses.dataclass(frozen=True)
class LocusComponent:
    """One piece of the decomposition of the Jacobian locus.

    ``equations``: its reduced Gröbner basis over Q (text in ``c0, c1, …``); ``dimension``: of
    the affine cone (exact); ``degree``: points on a random slice (msolve; distinct points, with
    ``degree_with_multiplicity`` the slice ideal's degree per prime); ``strata``: strata whose
    image is this component (contained, same dimension and degree); ``contains``: strata whose
    image lies in it with a smaller dimension; ``verdict``: whether its generic point is
    singular (``certainty`` proven; probable when it rests on the stratum whose image this
    component is, matched by random points mod p and msolve degrees; unknown with the verdict
    unknown); ``singular``: why, in words.
    """

    equations: list[str]
    dimension: int
    degree: int | None
    degree_with_multiplicity: list[int | None]
    linear: bool
    strata: list[str]
    image: str | None
    contains: list[str]
    verdict: Verdict
    certainty: Certainty
    singular: str
    local_type: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def new(self) -> bool:
        """No stratum's image is this component."""
        return not self.strata

    def describe(self) -> str:
        deg = "?" if self.degree is None else str(self.degree)
        head = f"dim {self.dimension}, degree {deg}"
        if self.strata:
            what = f"the image of {self.image} (strata: {', '.join(self.strata)})"
        elif self.dimension == 0:
            what = "new: the cone's vertex, the zero function"
        else:
            shape = "a linear space" if self.linear else "an algebraic set"
            eqs = ", ".join(self.equations)
            if len(eqs) > MAX_SHOWN:
                eqs = f"{len(self.equations)} equations (all in --json)"
            what = f"new (no stratum's image): {shape} {{{eqs} = 0}}"
        inside = f"; contains the images of {', '.join(self.contains)}" if self.contains else ""
        lt = self.local_type
        kind = f"; local type {lt['type']} ({lt.get('meaning') or lt['method']})" if lt else ""
        return f"{head}: {what}{inside}; {self.singular}{kind}"


@dataclasses.dataclass(frozen=True, repr=False)
class SingularLocusResult(Result, Graded, Provenance):
    """Sing V or a superset of it, decomposed, with a verdict per stratum.

    ``certainty`` is about the locus as a set: ``proven`` when it is Sing V (``exact``: I(V) =
    (F) proven, or V filling), ``bound`` when it is only a superset. ``proven`` says what is
    proven and what probable: degrees of components are slice counts mod primes that agree.
    """

    dimension: int
    n_coordinates: int
    ideal: str
    components: list[LocusComponent]
    strata: dict[str, str]
    primes: list[int]
    image_prime: int
    proven: str

    @property
    def exact(self) -> bool:
        """Whether the locus is Sing V itself, not a superset."""
        return Certainty(self.certainty) is Certainty.PROVEN

    def title(self) -> str:
        return f"SingularLocusResult  {self.architecture}"

    def bullets(self) -> list[str]:
        rel = "Sing V =" if self.exact else "Sing V ⊆"
        n = len(self.components)
        b = [
            f"{rel} the Jacobian locus of {self.ideal}: "
            + (f"{n} component{'s' * (n != 1)}" if n else "empty: V is smooth"),
        ]
        b += [f"[{i + 1}] {c.describe()}" for i, c in enumerate(self.components)]
        by_verdict: dict[str, list[str]] = {}
        for name, verdict in self.strata.items():
            by_verdict.setdefault(verdict, []).append(name)
        b += [f"strata {', '.join(names)}: {v}" for v, names in by_verdict.items()]
        b.append(f"proven: {self.proven}")
        b.append(self.provenance_bullet())
        return b


# ---------------------------------------------------------------------------------------------
# strata images


@dataclasses.dataclass
class _Image:
    reduced: Architecture
    names: list[str]
    points: list[list[int]]
    stratum: Stratum
    dimension: int = -1
    degree: int | None = None


def _embed(arch: Architecture, stratum: Stratum) -> tuple[Architecture, dict[Any, int]]:
    """The stratum's smaller network and where its coordinates sit among those of ``arch``."""
    red = stratum.reduced
    assert red is not None
    index = {c: i for i, c in enumerate(coordinates(arch))}
    inputs = image_inputs(stratum)
    where = {}
    for o, e in coordinates(red):
        spread = [0] * arch.n_inputs
        for j, a in enumerate(e):
            spread[int(inputs[j])] = a
        full = (o, tuple(spread))
        if full not in index:
            raise InternalError(f"{red.spec}'s monomial {e} is no coordinate of {arch.spec}")
        where[(o, tuple(e))] = index[full]
    return red, where


def _images(arch: Architecture, p: int, seed: int) -> list[_Image]:
    """One entry per distinct stratum image (the strata that share it by name), sampled mod p."""
    groups: dict[tuple[str, tuple[int, ...]], _Image] = {}
    for s in strata(arch):
        if s.reduced is None:
            continue  # the zero function: the cone's vertex
        key = (s.reduced.spec, tuple(image_inputs(s).tolist()))
        if key in groups:
            groups[key].names.append(s.name)
            continue
        red, where = _embed(arch, s)
        rows = sample_points_mod_p(red, IMAGE_POINTS, p, seed=seed)
        n = len(coordinates(arch))
        pts = []
        for row in rows:
            pt = [0] * n
            for (key_c, j), v in zip(where.items(), row, strict=True):
                del key_c
                pt[j] = int(v)
            pts.append(pt)
        groups[key] = _Image(red, [s.name], pts, s)
    return list(groups.values())


def _vanishes(polys: list[Any], point: list[int], p: int) -> bool:
    for g in polys:
        total = 0
        for mono, c in integer_terms(g):
            v = c % p
            for x, a in zip(point, mono, strict=True):
                if a:
                    v = v * pow(x, a, p) % p
            total += v
        if total % p:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# the locus


def _equations(arch: Architecture, seed: int) -> EquationsResult:
    eqs = equations(arch, seed=seed)
    if eqs.dimension_certified and eqs.dimension == eqs.n_coordinates - 1 and not eqs.equations:
        # a hypersurface of higher degree (det of a symmetric 5×5 matrix): interpolation stops at
        # its first equation, so asking for more degrees costs one degree at a time
        eqs = equations(arch, seed=seed, max_degree=MAX_EQUATION_DEGREE)
    return eqs


@functools.lru_cache(maxsize=16)
def hypersurface(
    arch: Architecture, seed: int = 0
) -> tuple[Equation, list[tuple[Any, int]]] | None:
    """V's generator F when V is a hypersurface with I(V) = (F) proven, with the pieces of
    Z(F, ∇F) = Sing V (reduced Gröbner bases over Q, see :func:`decompose`) with their dimensions;
    None otherwise or
    past :data:`MAX_COORDINATES`."""
    try:
        eqs = _equations(arch, seed)
    except NeurovarietyError:
        return None
    n = eqs.n_coordinates
    if not (eqs.generated and len(eqs.equations) == 1 and eqs.dimension == n - 1):
        return None
    if n > MAX_COORDINATES:
        return None
    syms = coordinate_symbols(n)
    pieces = decompose(jacobian_ideal(eqs, syms), syms)
    return eqs.equations[0], [(G, affine_dimension(G, n)) for G in pieces]


def _ideal(arch: Architecture, seed: int) -> tuple[EquationsResult, bool, str]:
    """Equations of V fit for the criterion, whether the locus is exact, and how they are known."""
    eqs = _equations(arch, seed)
    if eqs.zero_ideal or eqs.generated:
        return eqs, True, ""
    from .exact_counts import degree_exact

    try:
        deg = degree_exact(arch, seed=seed)[0]
    except NeurovarietyError as e:
        raise NeurovarietyError(
            f"{arch.spec}: the equations are not proven to generate I(V), and deg V, needed to "
            f"know that they cut V out, could not be counted ({e}); use `neurovariety singular "
            "SPEC` (the strata) instead"
        ) from e
    if eqs.complete_through < deg <= MAX_EQUATION_DEGREE:
        eqs = equations(arch, seed=seed, max_degree=deg)
    if not (eqs.complete_proven and eqs.complete_through >= deg and eqs.equations):
        raise NeurovarietyError(
            f"{arch.spec}: the singular locus needs equations that cut V out; they are complete "
            f"through degree {eqs.complete_through}"
            + ("" if eqs.complete_proven else " (not proven)")
            + f" but deg V = {deg} (msolve); only hypersurfaces and varieties whose ideal is "
            f"complete through degree deg V ≤ {MAX_EQUATION_DEGREE} are handled — use "
            "`neurovariety singular SPEC` (the strata) instead"
        )
    how = (
        f"{len(eqs.equations)} verified equations complete through degree "
        f"{eqs.complete_through} ≥ deg V = {deg} (msolve), which cut V out as a set"
    )
    return eqs, False, how


def singular_locus(
    arch: Architecture, *, seed: int = 0, primes: int = 2, seconds: float | None = None
) -> SingularLocusResult:
    """Sing V by the Jacobian criterion, split into components matched to subnetwork strata.

    Exact for hypersurfaces with a proven generator (``equations(arch).generated``) and for
    filling V (then empty); a superset of Sing V for varieties whose equations are complete
    through degree deg V (a component whose stratum the tangent-span test certifies singular
    says so, probable: the component is matched to the stratum's image mod p).
    ``seconds``: checked between the steps (equations, decomposition, each component); past it
    a BudgetExceededError says how far it got (a part of the locus proves nothing; 0 stops at
    the first check).

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.exact_counts import available
    >>> r = singular_locus(parse_architecture("lcn k=3,2 s=2")) if available() else None
    >>> [(c.dimension, c.degree, c.equations, c.strata) for c in r.components] if r else [
    ...     (3, 1, ["c1", "c3"], ["interior-zero 0|0:2 0|0"])]
    [(3, 1, ['c1', 'c3'], ['interior-zero 0|0:2 0|0'])]
    """
    t0 = time.perf_counter()
    if not isinstance(primes, int) or primes < 1:
        raise NeurovarietyError(f"primes={primes!r}: give at least 1 prime (2 or more to agree)")
    clock = _Clock(arch.spec, seconds)
    clock.check("before the equations of V")
    eqs, exact, how = _ideal(arch, seed)
    n = eqs.n_coordinates
    ps = primes_below(1 << PRIME_BITS, primes, seed=seed + 31)
    image_prime = primes_below(1 << 25, 1, seed=seed + 37)[0]
    common: dict[str, Any] = {
        "architecture": arch.spec,
        "dimension": eqs.dimension,
        "n_coordinates": n,
    }
    common |= {"primes": ps, "image_prime": image_prime, "seed": seed}
    if eqs.zero_ideal:
        return SingularLocusResult(
            **common,
            ideal="the zero ideal (V fills its ambient space)",
            certainty=Certainty.PROVEN,
            components=[],
            strata={},
            proven="V is a linear space, smooth everywhere (certified dimension)",
            seconds=time.perf_counter() - t0,
        )
    if n > MAX_COORDINATES:
        raise BudgetExceededError(
            f"{arch.spec}: {n} coordinates exceed {MAX_COORDINATES} for Gröbner bases over Q; "
            "use `neurovariety singular SPEC` (the strata) instead"
        )
    syms = coordinate_symbols(n)
    clock.check("after the equations of V, before the decomposition")
    jacobian = jacobian_ideal(eqs, syms)
    pieces = decompose(jacobian, syms)
    images = _images(arch, image_prime, seed)
    on_v = jacobian[: len(eqs.equations)]  # the equations of V come first
    for img in images:
        for pt in img.points:
            if not _vanishes(on_v, pt, image_prime):
                raise InternalError(f"a point of {img.reduced.spec} is not on {arch.spec}")
    components: list[LocusComponent] = []
    stratum_verdicts: dict[str, str] = {}
    for G in pieces:
        clock.check(f"with {len(components)} of {len(pieces)} components decided")
        component, inside = _component(arch, G, n, images, exact, ps, image_prime, seed)
        components.append(component)
        for img in inside:
            for name in img.names:
                where = f"its image lies in component [{len(components)}]"
                stratum_verdicts.setdefault(name, where)
    for img in images:
        for name in img.names:
            stratum_verdicts.setdefault(
                name,
                "smooth at the generic point (no component contains the image: an equation "
                "of each is non-zero at an image point mod p, a proof)",
            )
    ideal, proven = _how_texts(eqs, exact, how, ps, image_prime)
    return SingularLocusResult(
        **common,
        ideal=ideal,
        certainty=Certainty.PROVEN if exact else Certainty.BOUND,
        components=components,
        strata=stratum_verdicts,
        proven=proven,
        seconds=time.perf_counter() - t0,
    )


class _Clock:
    """The deadline of :func:`singular_locus`, checked between its steps."""

    def __init__(self, spec: str, seconds: float | None) -> None:
        if seconds is not None and not seconds >= 0:
            raise NeurovarietyError(f"seconds={seconds!r}: give a number of seconds ≥ 0 (or None)")
        self.spec, self.seconds = spec, seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def check(self, where: str) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise BudgetExceededError(
                f"{self.spec}: the singular locus reached the time limit of {self.seconds:g} s "
                f"{where}; raise --time-limit, or use `neurovariety singular SPEC` (the strata, "
                "which print what they decide in time)"
            )


def _how_texts(
    eqs: EquationsResult, exact: bool, how: str, ps: list[int], image_prime: int
) -> tuple[str, str]:
    """The ideal used and what is proven about the locus, in words."""
    F = eqs.equations[0].text() if eqs.equations else ""
    if len(F) > MAX_SHOWN:
        F = f"(degree {eqs.equations[0].degree}, {len(eqs.equations[0].terms)} terms)"
    ideal = (
        f"the hypersurface F = {F} (F and ∇F)"
        if exact
        else f"{how}, with the minors of size {eqs.n_coordinates - eqs.dimension}"
    )
    proven = (
        ("Sing V = V ∩ {∇F = 0} as I(V) = (F), " if exact else "Sing V ⊆ the locus, ")
        + "the decomposition over Q (factorizing Gröbner bases, sympy) and the dimensions "
        f"(leading monomials); probable: degrees (slice counts agreeing mod p for p in {ps}, "
        f"msolve) and image membership (random image points mod {image_prime}, image degrees by "
        "msolve)"
    )
    return ideal, proven


def _component(
    arch: Architecture,
    G: Any,
    n: int,
    images: list[_Image],
    exact: bool,
    ps: list[int],
    image_prime: int,
    seed: int,
) -> tuple[LocusComponent, list[_Image]]:
    """One piece: its dimension, degree, the stratum images in it, and why it is singular."""
    dim = affine_dimension(G, n)
    counts: list[PrimeCount] = []
    degree = 1  # the vertex alone
    if dim:
        counts = slice_counts(G, dim, n, ps, seed)
        degree = slice_degree(counts, f"{arch.spec}: a component of the singular locus")
    inside = [img for img in images if all(_vanishes(G.polys, x, image_prime) for x in img.points)]
    equal: list[_Image] = []
    smaller: list[_Image] = []
    for img in inside:
        _image_invariants(img, seed)
        same = img.dimension == dim and img.degree == degree
        (equal if same else smaller).append(img)
    local: dict[str, Any] = {}
    certainty = Certainty.PROVEN
    if exact:
        verdict, why = Verdict.YES, "singular (proven: Jacobian criterion, I(V) = (F))"
        local = _component_type(arch, G, n, equal, seed)
    elif dim == 0:
        verdict, why = (
            Verdict.YES,
            "singular (proven: a cone smooth at its vertex is its tangent space, a linear space)",
        )
    else:
        verdict, why = _certify(arch, equal, seed, smaller)
        # which stratum's image this component is rests on random image points mod p and
        # msolve degrees over random primes: probable, however proven that stratum's verdict
        certainty = Certainty.PROBABLE
    if verdict is Verdict.UNKNOWN:
        certainty = Certainty.UNKNOWN
    component = LocusComponent(
        equations=[str(e).replace("**", "^") for e in G.exprs],
        dimension=dim,
        degree=degree,
        degree_with_multiplicity=[c.with_multiplicity for c in counts],
        linear=all(g.total_degree() <= 1 for g in G.polys),
        strata=[name for img in equal for name in img.names],
        image=equal[0].reduced.spec if equal else None,
        contains=[
            f"{img.names[0]} ({img.reduced.spec}, dim {img.dimension}, "
            + ("degree not counted)" if img.degree is None else f"degree {img.degree})")
            for img in smaller
        ],
        verdict=verdict,
        certainty=certainty,
        singular=why,
        local_type=local,
    )
    return component, inside


def _image_invariants(img: _Image, seed: int) -> None:
    """Dimension (exact rank) and degree (msolve; None where it cannot be counted) of an image."""
    if img.dimension >= 0:
        return
    from .dimension import dimension
    from .exact_counts import degree_exact

    img.dimension = dimension(img.reduced, seed=seed).dimension
    try:
        img.degree = degree_exact(img.reduced, seed=seed)[0]
    except NeurovarietyError:
        img.degree = None


# why matching a component to a stratum's image is probable, not proven
_MATCH = "by random image points mod p and msolve degrees over random primes"


def _certify(
    arch: Architecture, equal: list[_Image], seed: int, smaller: list[_Image] | None = None
) -> tuple[Verdict, str]:
    """Whether a component of the superset is singular (the tangent-span test on the stratum
    whose image it is), and why, or why that is not known."""
    from .singularities import singular

    for img in equal:
        r = singular(arch, img.stratum, seed=seed)
        if r.verdict is Verdict.YES and r.certified:
            return Verdict.YES, (
                f"singular (probable: the tangent-span test certifies the generic point of "
                f"{img.stratum.name} singular: {r.kind}, Sing V is closed, and this component "
                f"is that stratum's image {_MATCH})"
            )
        if r.verdict is Verdict.NO and r.certified:
            return Verdict.NO, (
                f"not singular (probable: the tangent-span test certifies the generic point of "
                f"{img.stratum.name} smooth: {r.reason}, and this component is that stratum's "
                f"image {_MATCH}); an artefact of the superset"
            )
    why = (
        "the tangent-span test does not certify its strata singular"
        if equal
        else "no stratum's image is this component"
    )
    meets = ""
    for img in smaller or []:
        r = singular(arch, img.stratum, seed=seed)
        if r.verdict is Verdict.YES and r.certified:
            meets = (
                f"; Sing V does meet it, along the image of {img.stratum.name} (certified "
                "singular), which proves nothing about its generic point"
            )
            break
    return Verdict.UNKNOWN, (
        f"superset (unproven): {why}. The Jacobian of the equations used drops rank on it, but "
        "they are not proven to generate I(V), and a subset of the generators can drop rank "
        f"where I(V)'s Jacobian does not, so this proves nothing about Sing V{meets}"
    )


def _component_type(
    arch: Architecture, G: Any, n: int, equal: list[_Image], seed: int
) -> dict[str, Any]:
    """The local type at a rational point of a component of Sing V for a hypersurface: a point
    of a stratum image that is the component, or a random point of a linear component."""
    from .tangent_cone import hypersurface_analysis, tangent_cone

    hs = hypersurface(arch, seed)
    if hs is None:
        return {}
    F, pieces = hs
    if equal:
        img = equal[0]
        return hypersurface_analysis(arch, img.stratum, F, pieces, img.dimension, seed)[1]
    if not all(g.total_degree() <= 1 for g in G.polys):
        return {"type": "undecided", "method": "no rational point of a non-linear component"}
    import sympy

    syms = coordinate_symbols(n)
    rng = random.Random(f"component-point:{seed}:{G.exprs}")
    solution = sympy.solve(G.exprs, syms, dict=True)[0]
    free = {
        v: sympy.Integer(rng.choice([-3, -2, -1, 1, 2, 3, 5])) for v in syms if v not in solution
    }
    point = [sympy.sympify(solution.get(v, v)).subs(free) for v in syms]
    out = tangent_cone(F, point, pieces)
    where = "its point" if affine_dimension(G, n) == 0 else "a random rational point of it"
    out["method"] = f"tangent cone of F at {where} (a linear component), exact over Q"
    return out
