"""``neurovariety profile SPEC --report DIR``: one self-contained HTML page on an architecture.

The page holds every row of the profile with its provenance and the formula it was compared
with, the strata with their singularity verdicts, the equations, the critical exposure of a few
strata, figures, and a list of what was skipped and why. Items past the time budget are skipped,
never silently dropped.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..architectures.attention import Attention
from ..architectures.base import Architecture
from ..errors import NeurovarietyError
from ..invariants.profile import ATTENTION_SKIPPED, ProfileResult, profile
from ..invariants.strata import Stratum, strata
from ..results import Provenance, Result
from . import html as H
from .figures import (
    Figure,
    _png,
    atlas_figure,
    bounds_figure,
    exposure_chart,
    landscape_figure,
    neuromanifold_figure,
)

__all__ = ["ReportResult", "build_report"]

SECTIONS = (
    "summary",
    "profile",
    "strata",
    "equations",
    "exposure",
    "figures",
    "skipped",
    "provenance",
)
MAX_SMALL_PARAMS = 16  # critical points by optimization (exposure, the landscape's θ0) up to this
EXPOSURE_STRATA = 4
EXPOSURE_TRIALS = 3
EQUATIONS_MIN_SECONDS = 2.0
EXPOSURE_MIN_SECONDS = 3.0


@dataclasses.dataclass(frozen=True, repr=False)
class ReportResult(Result, Provenance):
    """What a report holds: its sections, figures, skipped items (with reasons) and timings."""

    path: str
    sections: list[str]
    figures: list[str]
    skipped: list[tuple[str, str]]
    timings: dict[str, float]
    budget: float

    def title(self) -> str:
        return f"ReportResult  {self.architecture}"

    def bullets(self) -> list[str]:
        return [
            f"written to {self.path}",
            f"{len(self.sections)} sections; figures: {', '.join(self.figures) or 'none'}",
            f"{len(self.skipped)} items skipped"
            + (": " + "; ".join(f"{a} ({b})" for a, b in self.skipped) if self.skipped else ""),
            f"seed {self.seed} · budget {self.budget:g} s · {self.seconds:.3g} s",
        ]


@dataclasses.dataclass
class _Clock:
    start: float
    budget: float
    budget_from_profile: bool = False
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    def left(self) -> float:
        return self.budget - (time.perf_counter() - self.start)

    def timed(self, name: str, t0: float) -> None:
        self.timings[name] = round(time.perf_counter() - t0, 3)


def build_report(
    arch: Architecture,
    out_dir: str | Path,
    *,
    seed: int = 0,
    budget: float = 60.0,
    atlas: str | Path | None = None,
    prof: ProfileResult | None = None,
    profile_seconds: float | None = None,
) -> ReportResult:
    """Write ``out_dir/index.html`` for ``arch`` and return what it holds.

    ``budget`` (seconds) bounds the optional items: half goes to the profile's homotopy items
    (fiber, degree), the rest to equations and critical exposure; figures are always drawn.
    ``prof`` reuses a profile already computed (then it is not recomputed; ``profile_seconds``
    is how long it took, for the provenance). ``atlas``: a sweep store whose defect heatmap is
    added.

    >>> import tempfile
    >>> from neurovariety import parse_architecture
    >>> with tempfile.TemporaryDirectory() as d:
    ...     r = build_report(parse_architecture("lcn k=2,2 s=1"), d, budget=5)
    ...     html = (Path(d) / "index.html").read_text()
    >>> r.figures, 'id="equations"' in html, "https://" in html
    (['bounds', 'neuromanifold', 'landscape', 'exposure'], True, False)
    """
    # with ``prof`` given, its half of the budget is already spent
    clock = _Clock(
        time.perf_counter(), budget / 2 if prof is not None else budget, prof is not None
    )
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NeurovarietyError(f"cannot create the report folder {str(out)!r}: {e}") from None
    if profile_seconds is not None:
        clock.timings["profile"] = round(profile_seconds, 3)
    if prof is None:
        t0 = time.perf_counter()
        prof = profile(arch, seed=seed, budget=budget / 2)
        clock.timed("profile", t0)
    skipped: list[tuple[str, str]] = [
        (r.name, r.how) for r in prof.rows if str(r.value) == "skipped"
    ]
    by_name = {s.name: s for s in _strata_of(arch)}
    verdicts = [(by_name[v.stratum], v.verdict.value) for v in prof.strata if v.stratum in by_name]
    rng = np.random.default_rng(seed)
    n_samples = max(2 * arch.n_params, 8)
    X = rng.standard_normal((n_samples, arch.n_inputs))
    Y = rng.standard_normal((n_samples, arch.n_outputs))

    eq_html, eqs = _equations_section(arch, seed, clock, skipped)
    exp_html, exposures = _exposure_section(arch, verdicts, seed, clock, skipped)
    figures = _figures(arch, prof, verdicts, X, Y, seed, atlas, clock, skipped, eqs)
    if exposures:
        figures.append(exposure_chart(exposures))

    sections = [
        H.section("summary", "Summary", _summary(arch, prof)),
        H.section("profile", "Profile: every invariant and how it was decided", _profile(prof)),
        H.section("strata", "Subnetwork strata and singularities", _strata(prof)),
        H.section("equations", "Equations of the neurovariety", eq_html),
        H.section("exposure", "Critical exposure of the strata", exp_html),
        H.section("figures", "Figures", "".join(H.figure(f) for f in figures) or _none("none")),
        H.section("skipped", "Skipped, and why", _skipped(skipped)),
        H.section("provenance", "Provenance", _provenance(prof, seed, budget, clock)),
    ]
    page = H.page(
        f"neurovariety profile  {arch.spec}",
        "the geometry of the neuromanifold: each value with how it was decided",
        sections,
        f"neurovariety {__version__} · seed {seed} · budget {budget:g} s · {_total(clock):.1f} s",
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return ReportResult(
        architecture=arch.spec,
        path=str(path),
        sections=list(SECTIONS),
        figures=[f.name for f in figures],
        skipped=skipped,
        timings=clock.timings,
        seed=seed,
        budget=budget,
        seconds=_total(clock),
    )


def _strata_of(arch: Architecture) -> list[Stratum]:
    """The subnetwork strata, none where they are not defined (the profile says why)."""
    if isinstance(arch, Attention):
        return []
    try:
        return strata(arch)
    except NeurovarietyError:
        return []


def _total(clock: _Clock) -> float:
    """Seconds of the whole report, the profile included when it was computed beforehand."""
    before = clock.timings.get("profile", 0.0) if clock.budget_from_profile else 0.0
    return time.perf_counter() - clock.start + before


def _none(text: str) -> str:
    return f'<p class="skipped">{H.esc(text)}</p>'


def _summary(arch: Architecture, prof: ProfileResult) -> str:
    d = prof.dimension
    counts = {
        "singular (certified)": sum(v.verdict.value == "yes" and v.certified for v in prof.strata),
        "singular (not certified)": sum(
            v.verdict.value == "yes" and not v.certified for v in prof.strata
        ),
        "smooth (proven)": sum(v.verdict.value == "no" for v in prof.strata),
        "undecided": sum(v.verdict.value == "unknown" for v in prof.strata),
    }
    verdicts = ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "none"
    items = [
        f"{arch.n_params} parameters; function space of dimension {arch.ambient_dim}",
        f"neuromanifold of dimension {d.dimension} ({d.certainty}), expected {arch.expected_dim}, "
        f"defect {d.defect}",
        f"generic fiber dimension {d.fiber_dimension}; symmetry dimension {arch.symmetry_dim}",
        f"{len(prof.strata)} subnetwork strata tested: {verdicts}",
    ]
    if prof.geometry is not None:
        singular = "; ".join(prof.geometry.singular) or "none"
        items[-1] = f"one layer of attention: singular at {singular}; no boundary points"
    return "<ul>" + "".join(f"<li>{H.esc(i)}</li>" for i in items) + "</ul>"


def _profile(prof: ProfileResult) -> str:
    rows = []
    for r in prof.rows:
        value = str(r.value)
        rows.append([r.name, value, r.how, r.compared_with or "—"])
    return H.table(
        ["invariant", "value", "how it was decided", "compared with"], rows, ["", "value"]
    )


def _attention_loci(prof: ProfileResult) -> str:
    """One attention layer's loci, each verdict with its exact rank at a witness point."""
    g = prof.geometry
    assert g is not None
    rows: list[list[Any]] = [[c.name, c.verdict, c.reason, c.rank] for c in g.loci]
    rows.append(["boundary points", "none (M is closed)", g.boundary, "—"])
    table = H.table(["locus", "verdict", "why", "exact rank mod p"], rows, ["", "", "", "value"])
    note = (
        f"dim M = {g.dimension}; ranks mod {g.primes[0]} at integer witness points ("
        f"{g.certainty}): the span of curve velocities above dim M proves a point singular, "
        "the Jacobian rank equal to dim M proves it smooth"
    )
    return f"<p>{H.esc(note)}</p>{table}"


def _strata(prof: ProfileResult) -> str:
    if prof.geometry is not None:
        return _attention_loci(prof)
    if not prof.strata:
        return _none("no subnetwork strata were tested (see Skipped)")
    rows = []
    for v in prof.strata:
        ev = v.evidence
        evidence = (
            f"tangent span rank {ev.get('span_rank')} at {ev.get('fiber_points')} fiber points "
            f"(dφ ranks {ev.get('fiber_ranks')}) mod {ev.get('prime')}"
        )
        rows.append(
            [
                v.stratum,
                v.image,
                v.image_dimension,
                H.verdict_span(v.verdict.value),
                str(v.certainty),  # proven, certified, probable, …: the shared scale
                v.kind,
                v.reason,
                evidence,
            ]
        )
    return H.table(
        ["stratum", "image", "image dim", "singular", "how", "kind", "why", "evidence"],
        rows,
        ["", "", "value", "raw"],
    )


def _equations_section(
    arch: Architecture,
    seed: int,
    clock: _Clock,
    skipped: list[tuple[str, str]],
) -> tuple[str, Any]:
    """The equations as HTML, and their result (the slice figure's input; None if skipped)."""
    from ..invariants.equations import equations

    if isinstance(arch, Attention):
        # listed as skipped by the profile already
        return _none(f"skipped: {dict(ATTENTION_SKIPPED)['equations']}"), None
    if clock.left() < EQUATIONS_MIN_SECONDS:
        reason = f"time budget left {max(clock.left(), 0):.0f} s < {EQUATIONS_MIN_SECONDS:g} s"
        skipped.append(("equations", reason))
        return _none(f"skipped: {reason}"), None
    t0 = time.perf_counter()
    try:
        r = equations(arch, max_degree=4, seed=seed, max_monomials=20_000, max_piece=1_500)
    except NeurovarietyError as e:
        skipped.append(("equations", str(e)))
        return _none(f"skipped: {e}"), None
    finally:
        clock.timed("equations", t0)
    for note in r.notes:
        skipped.append(("equations beyond degree " + str(r.complete_through), note))
    coords = "\n".join(f"c{i} = {c}" for i, c in enumerate(r.coordinates))
    eqs = "\n".join(f"{e.text()} = 0" for e in r.equations) or r.empty_text()
    bullets = "".join(f"<li>{H.esc(b)}</li>" for b in r.bullets())
    return (
        f"<ul>{bullets}</ul><h3>Coordinates of the function space</h3><pre>{H.esc(coords)}</pre>"
        f"<h3>Equations</h3><pre>{H.esc(eqs)}</pre>"
    ), r


def _exposure_strata(verdicts: list[tuple[Stratum, str]]) -> list[Stratum]:
    """A few representative strata: one per (kind, image)."""
    chosen: list[Stratum] = []
    seen: set[tuple[str, str]] = set()
    for s, _ in verdicts:
        key = (s.kind, s.reduced.spec if s.reduced is not None else "0")
        if key not in seen:
            seen.add(key)
            chosen.append(s)
    return chosen[:EXPOSURE_STRATA]


def _exposure_section(
    arch: Architecture,
    verdicts: list[tuple[Stratum, str]],
    seed: int,
    clock: _Clock,
    skipped: list[tuple[str, str]],
) -> tuple[str, list[Any]]:
    from ..landscape import critical_exposure

    if not verdicts:  # nothing to pick from; the strata row of Skipped says why
        return _none("no subnetwork strata to test (see Skipped)"), []
    if arch.n_params > MAX_SMALL_PARAMS:
        reason = (
            f"{arch.n_params} parameters > {MAX_SMALL_PARAMS}: each dataset needs a full "
            "optimization (minutes); run `neurovariety critical` for it"
        )
        skipped.append(("critical exposure", reason))
        return _none(f"skipped: {reason}"), []
    rows = []
    results = []
    t0 = time.perf_counter()
    for s in _exposure_strata(verdicts):
        if clock.left() < EXPOSURE_MIN_SECONDS:
            skipped.append(
                (f"critical exposure of {s.name}", f"time budget left {clock.left():.0f} s")
            )
            continue
        try:
            r = critical_exposure(arch, s, trials=EXPOSURE_TRIALS, seed=seed)
        except NeurovarietyError as e:
            skipped.append((f"critical exposure of {s.name}", str(e)))
            continue
        results.append(r)
        rows.append(
            [
                s.name,
                _exposure_method(r),
                f"{r.exposed}/{r.trials}",
                f"[{r.ci_low:.2f}, {r.ci_high:.2f}]",
                r.undecided,
                r.samples,
                f"{r.seconds:.2f} s",
            ]
        )
    clock.timed("exposure", t0)
    if not rows:
        return _none("no stratum within the budget (see Skipped)"), []
    intro = (
        f"<p>A stratum is exposed when a critical point of the loss restricted to it is critical "
        "for the whole network. <b>proof</b>: the lifting certificate (exact polynomial identity "
        "of the gradients) shows it for every dataset, and the random Gaussian datasets "
        f"(seed {seed}) only check it numerically; <b>zero fiber</b>: the stratum computes only "
        "0, so it is not exposed for any dataset; <b>estimate</b>: no proof applies, the "
        "fraction of random datasets with a critical point (gradient ≤ 1e-6·Σ‖y‖²) is an "
        "experiment. Razor (arXiv:2505.11846) proves that MLP subnetwork singularities often "
        "are critical points of the loss, and CNN ones are not.</p>"
    )
    return intro + H.table(
        [
            "stratum",
            "decided by",
            "datasets with a critical point",
            "95% CI",
            "undecided",
            "samples",
            "time",
        ],
        rows,
        ["", "", "value", "value"],
    ), results


def _exposure_method(r: Any) -> str:
    """The argument behind an exposure row (proof and zero fiber hold for every dataset)."""
    if r.method == "proof":
        return "proof (every dataset)"
    if r.method == "zero fiber":
        return "zero fiber (every dataset)"
    return "estimate"


def _landscape_point(
    arch: Architecture,
    verdicts: list[tuple[Stratum, str]],
    X: np.ndarray,
    Y: np.ndarray,
    seed: int,
) -> tuple[Stratum, np.ndarray, str] | None:
    from ..landscape import stratum_critical_point

    if not verdicts:
        return None
    ranked = sorted(verdicts, key=lambda sv: (sv[1] != "yes", sv[0].reduced is None))
    s = ranked[0][0]
    if arch.n_params <= MAX_SMALL_PARAMS:
        r = stratum_critical_point(arch, s, X, Y, seed=seed, hessian=False)
        if r.theta:
            return (
                s,
                np.asarray(r.theta),
                f"a critical point of L on the stratum (critical for L: {r.verdict.value})",
            )
    B = s.basis
    u = np.random.default_rng(seed).standard_normal(B.shape[1])
    return s, B @ u, "a random point of the stratum"


def _slice_figure(
    arch: Architecture,
    verdicts: list[tuple[Stratum, str]],
    eqs: Any,
    seed: int,
    skipped: list[tuple[str, str]],
) -> Figure | None:
    """Exact real slices of V through a singular stratum point, both planes side by side (drawn
    whenever the equations were found: the equation's size is bounded in the slice)."""
    from .slices import PLANES, slice_caption, variety_slice, variety_slice_figure

    what = "exact slice of the neurovariety"
    if eqs is None:
        why = "no equations of V" + (
            " (not available for attention yet)"
            if isinstance(arch, Attention)
            else " within the budget"
        )
        skipped.append((what, why + " (see Equations)"))
        return None
    # a stratum proven singular, else the first whose point is singular on V
    singular = [st for st, v in verdicts if v == "yes" and st.reduced is not None]
    stratum = singular[0] if singular else None
    slices = []
    errors: dict[str, list[str]] = {}  # one line per reason (V not a hypersurface: both planes)
    for plane in PLANES:
        try:
            slices.append(variety_slice(arch, stratum, plane=plane, seed=seed, reach=24, eqs=eqs))
        except NeurovarietyError as e:
            errors.setdefault(str(e), []).append(plane)
    for reason, planes in errors.items():
        plural = "s" if len(planes) > 1 else ""
        skipped.append((f"{what} ({' and '.join(planes)} plane{plural})", reason))
    if not slices:
        return None
    caption = " ".join(slice_caption(r) for r in slices) + (
        " Green: curve points that real parameters reach (least squares, evidence only); grey "
        "crosses: none found. Razor (arXiv:2505.11846): MLP subnetworks give cusp-like points, "
        "CNN ones nodes."
    )
    return Figure("slice", _png(variety_slice_figure(slices)), caption)


def _figures(
    arch: Architecture,
    prof: ProfileResult,
    verdicts: list[tuple[Stratum, str]],
    X: np.ndarray,
    Y: np.ndarray,
    seed: int,
    atlas: str | Path | None,
    clock: _Clock,
    skipped: list[tuple[str, str]],
    eqs: Any,
) -> list[Figure]:
    d = prof.dimension
    bounds = [
        (r.name.removeprefix("upper bound: ") + " bound", int(r.value))
        for r in prof.rows
        if r.name.startswith("upper bound: ") and isinstance(r.value, int)
    ]
    bounds.append(("expected", arch.expected_dim))
    figs: list[Figure] = [bounds_figure(arch.spec, d.dimension, d.certified, bounds)]
    t0 = time.perf_counter()
    nm = neuromanifold_figure(arch, prof.dimension.dimension, verdicts, seed=seed)
    if isinstance(nm, Figure):
        figs.append(nm)
    else:
        skipped.append(("picture of the neuromanifold", nm))
    clock.timed("figure: neuromanifold", t0)
    t0 = time.perf_counter()
    sl = _slice_figure(arch, verdicts, eqs, seed, skipped)
    if sl is not None:
        figs.append(sl)
    clock.timed("figure: slice", t0)
    t0 = time.perf_counter()
    point = _landscape_point(arch, verdicts, X, Y, seed)
    if point is None:
        skipped.append(("loss landscape", "no subnetwork stratum to slice through"))
    else:
        s, theta0, what = point
        figs.append(landscape_figure(arch, s, theta0, X, Y, point=what, seed=seed))
    clock.timed("figure: landscape", t0)
    if atlas is not None:
        t0 = time.perf_counter()
        try:
            figs.append(atlas_figure(atlas))
        except NeurovarietyError as e:
            skipped.append(("atlas heatmap", str(e)))
        clock.timed("figure: atlas", t0)
    return figs


def _skipped(skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return "<p>Nothing was skipped.</p>"
    return H.table(["item", "why"], skipped)


def _provenance(prof: ProfileResult, seed: int, budget: float, clock: _Clock) -> str:
    d = prof.dimension
    rows: list[list[Any]] = [
        ["seed", seed],
        ["time budget", f"{budget:g} s"],
        ["primes of the exact ranks", ", ".join(map(str, d.primes))],
        ["neurovariety version", __version__],
    ]
    rows += [[f"time: {k}", f"{v:.2f} s"] for k, v in clock.timings.items()]
    return H.table(["", ""], rows)
