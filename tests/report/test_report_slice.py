"""The report's exact slice figure: drawn for hypersurfaces, one stated reason otherwise."""

from __future__ import annotations

from neurovariety import parse_architecture
from neurovariety.invariants.equations import equations
from neurovariety.invariants.strata import strata
from neurovariety.report.build import _slice_figure


def test_the_slice_figure_of_a_hypersurface_shows_its_node() -> None:
    arch = parse_architecture("lcn k=3,2 s=2")  # KMST's cubic, nodes along {c1 = c3 = 0}
    skipped: list[tuple[str, str]] = []
    fig = _slice_figure(arch, [], equations(arch), 0, skipped)
    assert fig is not None and fig.name == "slice" and fig.png[:4] == b"\x89PNG"
    assert "node: two distinct real tangent lines" in fig.caption  # the normal plane
    assert "Hessian rank 2" in fig.caption  # two smooth branches
    assert skipped == []


def test_no_hypersurface_no_slice_and_one_reason() -> None:
    arch = parse_architecture("cnn k=2,2 x^2")  # PCN: dim 3 in 5 coordinates
    skipped: list[tuple[str, str]] = []
    verdicts = [(s, "yes") for s in strata(arch)[:1]]
    assert _slice_figure(arch, verdicts, equations(arch), 0, skipped) is None
    assert len(skipped) == 1 and skipped[0][0].endswith("(normal and cone planes)")
    assert "codimension 2" in skipped[0][1]
    skipped.clear()
    assert _slice_figure(arch, verdicts, None, 0, skipped) is None
    assert "no equations of V within the budget" in skipped[0][1]
