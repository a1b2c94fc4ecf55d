"""``neurovariety plot``: exact slices of the neurovariety and loss slices through a subnetwork.

>>> import typer
>>> app = typer.Typer()
>>> register(app)
>>> [c.name for c in app.registered_commands]
['plot']
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import NeurovarietyError
from .contract import add_commands, clean_errors, console, parse_spec, print_json, status
from .options import Json, Plane, Slice, output_file_option, seed_option, spec_argument


@clean_errors
def plot_command(
    spec: Annotated[str, spec_argument("mlp 2-2-1 x^3+x^2")],
    out: Annotated[
        Path,
        output_file_option("--out", "-o", help="figure file (.png, .svg or .pdf)"),
    ],
    kind: Annotated[
        Slice,
        typer.Option(
            "--slice",
            help="variety: the exact real section of V by a plane through a singular point; "
            "loss: the squared-error loss on a plane of parameters through the stratum",
        ),
    ] = Slice.variety,
    stratum: Annotated[
        str | None,
        typer.Option(
            "--stratum", help="a stratum name from `neurovariety strata` (default: the first)"
        ),
    ] = None,
    plane: Annotated[
        Plane,
        typer.Option(
            "--plane",
            help="normal: principal directions of the tangent cone across the stratum (a node "
            "shows two lines); cone: tangent to the tangent cone (an MLP shows a cusp)",
        ),
    ] = Plane.normal,
    reach: Annotated[
        int,
        typer.Option("--reach", min=0, help="curve points tested for real parameters (0: none)"),
    ] = 48,
    seed: Annotated[int, seed_option("seed of θ0 and the directions")] = 0,
    as_json: Json = False,
) -> None:
    """Pictures of a singular point: an exact real slice of the neurovariety (Razor's cusp and
    node, arXiv:2505.11846) or of the loss landscape."""
    from ..invariants.strata import parse_stratum
    from ..report.slices import (
        loss_slice_figure,
        save_figure,
        slice_caption,
        variety_slice,
        variety_slice_figure,
    )

    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise NeurovarietyError(f"--out {out}: use a .png, .svg or .pdf file name")
    arch = parse_spec(spec)
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


COMMANDS = {"plot": plot_command}


def register(app: typer.Typer) -> None:
    """Add this command to ``app``."""
    add_commands(app, COMMANDS)
