"""CLI command ``plot``: exact slices of the neurovariety and loss slices through a subnetwork.

:func:`register` adds it to an app.

>>> import typer
>>> app = typer.Typer()
>>> register(app)
>>> [c.name for c in app.registered_commands]
['plot']
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from ..clitools import check_output_file, check_seed, clean_errors, console, print_json, status
from ..clitools import parse_spec as _parse_spec
from ..errors import NeurovarietyError


class Slice(StrEnum):
    variety = "variety"
    loss = "loss"


class Plane(StrEnum):  # neurovariety.report.slices.PLANES
    normal = "normal"
    cone = "cone"


def plot_command(
    spec: str = typer.Argument(..., help="architecture, e.g. 'mlp 2-2-1 x^3+x^2'"),
    out: Path = typer.Option(
        ..., "--out", "-o", callback=check_output_file, help="figure file (.png or .svg)"
    ),
    kind: Slice = typer.Option(
        Slice.variety,
        "--slice",
        help="variety: the exact real section of V by a plane through a singular point; "
        "loss: the squared-error loss on a plane of parameters through the stratum",
    ),
    stratum: str = typer.Option(
        None, "--stratum", help="a stratum name from `neurovariety strata` (default: the first)"
    ),
    plane: Plane = typer.Option(
        Plane.normal,
        "--plane",
        help="normal: principal directions of the tangent cone across the stratum (a node "
        "shows two lines); cone: tangent to the tangent cone (an MLP shows a cusp)",
    ),
    reach: int = typer.Option(
        48, "--reach", min=0, help="curve points tested for real parameters (0: none)"
    ),
    seed: int = typer.Option(0, callback=check_seed, help="seed of θ0 and the directions"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Pictures of a singular point: an exact real slice of the neurovariety (Razor's cusp and
    node, arXiv:2505.11846) or of the loss landscape."""
    from ..invariants.strata import parse_stratum
    from .slices import (
        loss_slice_figure,
        save_figure,
        slice_caption,
        variety_slice,
        variety_slice_figure,
    )

    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise NeurovarietyError(f"--out {out}: use a .png, .svg or .pdf file name")
    arch = _parse_spec(spec)
    st = parse_stratum(arch, stratum) if stratum else None
    with status(f"plot {arch.spec} ({kind.value} slice)"):
        if kind is Slice.loss:
            fig, caption, st = loss_slice_figure(arch, st, seed=seed)
            data = {"architecture": arch.spec, "slice": "loss", "stratum": st.name}
        else:
            r = variety_slice(arch, st, plane=plane.value, seed=seed, reach=reach)
            fig, caption = variety_slice_figure(r), slice_caption(r)
            data = {"slice": "variety", **r.to_dict()}
        save_figure(fig, out)
    data.update(out=str(out), caption=caption)
    if as_json:
        print_json(data)
        return
    if kind is Slice.variety:
        console.print(r.summary(), highlight=False, markup=False)
    console.print(f"figure written to {out}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("plot")(clean_errors(plot_command))
