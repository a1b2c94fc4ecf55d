"""``neurovariety critical`` and ``neurovariety edd``: the loss landscape of a neuromanifold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ArchitectureError, OptionError
from .contract import (
    add_commands,
    clean_errors,
    console,
    emit,
    parse_spec,
    print_json,
    search_progress,
    status,
)
from .options import (
    EddForm,
    EddMethod,
    EddRealMethod,
    Json,
    json_option,
    output_file_option,
    seed_option,
    spec_argument,
    time_limit_option,
)


def _read_data(path: str, arch: Any) -> tuple[Any, Any]:
    """``critical --data``: :func:`~neurovariety.experiments.data.load_data` (as ``train --data``),
    checked against ``arch``."""
    from ..experiments.data import load_data

    ds = load_data(path, arch.n_inputs, arch.n_outputs)
    ds.check(arch)
    return ds.X, ds.Y


def _require_strata(arch: Any) -> None:
    """``critical`` looks for critical points inside subnetwork strata: refuse, with what works
    instead, the architectures that have none defined yet."""
    from ..architectures.attention import Attention

    if isinstance(arch, Attention):
        raise ArchitectureError(
            f"{arch.spec}: critical is not supported yet for attention: it looks for critical "
            "points inside subnetwork strata (dead or duplicated neurons, zero-padded filters), "
            "and none are defined for attention; attention specs support dim, fiber and profile"
        )


@clean_errors
def critical_command(
    specs: Annotated[list[str], typer.Argument(help="one or more architectures")],
    data: Annotated[
        str | None, typer.Option(help="dataset: .npz (X, Y) or CSV (inputs, then outputs)")
    ] = None,
    samples: Annotated[
        int, typer.Option(min=0, help="random Gaussian dataset size (default 2·params)")
    ] = 0,
    trials: Annotated[
        int, typer.Option(min=0, help="estimate critical exposure over this many datasets")
    ] = 0,
    stratum: Annotated[str | None, typer.Option(help="one stratum (default: all)")] = None,
    plot: Annotated[
        Path | None,
        output_file_option(help="write the exposure figure (PNG) here (needs --trials)"),
    ] = None,
    seed: Annotated[int, seed_option("seed of data and optimization")] = 0,
    as_json: Annotated[bool, json_option("print results as JSON")] = False,
) -> None:
    """Critical points of the squared-error loss inside subnetwork strata (critical exposure)."""
    import numpy as np

    from ..invariants.strata import parse_stratum, strata
    from ..landscape import critical_exposure, stratum_critical_point
    from ..landscape.plots import exposure_figure

    if plot and not trials:
        raise OptionError("--plot shows exposure over random datasets; add --trials T")
    results: list[Any] = []
    for spec in specs:
        arch = parse_spec(spec)
        _require_strata(arch)
        chosen = [parse_stratum(arch, stratum)] if stratum else strata(arch)
        if data and not trials:  # once per architecture, the same for each of its strata
            X, Y = _read_data(data, arch)
        elif not trials:
            rng = np.random.default_rng(seed)
            n = samples or max(2 * arch.n_params, 8)
            X = rng.standard_normal((n, arch.n_inputs))
            Y = rng.standard_normal((n, arch.n_outputs))
        for s in chosen:
            if trials:
                with status(f"critical exposure {arch.spec} [{s.name}]: {trials} datasets"):
                    results.append(
                        critical_exposure(
                            arch, s, trials=trials, samples=samples or None, seed=seed
                        )
                    )
                continue
            results.append(stratum_critical_point(arch, s, X, Y, seed=seed))
    if plot:
        exposure_figure(results, plot)
    if as_json:
        print_json([r.to_dict() for r in results])
        return
    for r in results:
        console.print(r.summary(), highlight=False, markup=False)
    if plot:
        console.print(f"figure written to {plot}")


@clean_errors
def edd_command(
    spec: Annotated[str, spec_argument("lcn k=3,2 s=2")],
    form: Annotated[
        EddForm, typer.Option(help="generic (ED degree) or data (learning degree)")
    ] = EddForm.generic,
    samples: Annotated[
        int, typer.Option(min=0, help="data points for --form data (default 2·ambient)")
    ] = 0,
    whiten: Annotated[
        bool, typer.Option(help="orthonormalize the data (Eckart–Young setting)")
    ] = False,
    seed: Annotated[int, seed_option("seed of the form, the data and the monodromy")] = 0,
    time_limit: Annotated[
        float,
        time_limit_option("seconds for the count (msolve or monodromy)"),
    ] = 600.0,
    method: Annotated[
        EddMethod,
        typer.Option(
            help="exact (msolve over primes), monodromy, both (error if they disagree), "
            "function-space (the Lagrange system of a hypersurface's equation), or auto (exact "
            "when msolve is installed and the system is small; function-space for hidden "
            "symmetries)"
        ),
    ] = EddMethod.auto,
    primes: Annotated[int, typer.Option(min=1, max=16, help="primes for the exact count")] = 2,
    real: Annotated[
        bool,
        typer.Option(
            "--real", help="also count the real critical points (msolve over Q, exact methods)"
        ),
    ] = False,
    real_method: Annotated[
        EddRealMethod,
        typer.Option(
            help="--real by exact (msolve over Q), certified (Krawczyk boxes of every chart point, "
            "complete against the exact count) or auto (exact up to 64 chart points)"
        ),
    ] = EddRealMethod.auto,
    as_json: Json = False,
) -> None:
    """Number of complex critical points of the loss (ED / learning degree): exact or monodromy."""
    from ..landscape.edd import edd

    arch = parse_spec(spec)
    with search_progress(f"edd {arch.spec}") as progress:
        result = edd(
            arch,
            form=form.value,
            n_data=samples or None,
            whiten=whiten,
            seed=seed,
            time_limit=time_limit,
            method=method.value,
            primes=primes,
            progress=progress,
            real=real,
            real_method=real_method.value,
        )
    emit(result, as_json)


COMMANDS = {"critical": critical_command, "edd": edd_command}


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""
    add_commands(app, COMMANDS)
