"""``neurovariety train | bias | fisher | apo``.

Library errors print as their message (exit
code 2); an interruption (Ctrl-C) says where the finished runs are (exit code 130) — rerunning
the same command resumes from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ExperimentError
from .contract import (
    add_commands,
    check_nonnegative,
    clean_errors,
    console,
    err_console,
    is_quiet,
    print_json,
    status,
)
from .options import (
    FisherMethod,
    Json,
    Optimizer,
    StepControl,
    Targets,
    json_option,
    output_dir_option,
    seed_option,
    spec_argument,
)

__all__ = ["COMMANDS", "register"]


def _interrupted(kwargs: dict[str, Any]) -> str:
    out = kwargs.get("out")
    where = f" in {out}" if out else ""
    return f"interrupted: finished runs are saved{where}; rerun the same command to resume"


_contract = clean_errors(on_interrupt=_interrupted)
APO_MODELS = ["mlp 2-1-1 x^3+x^2", "mlp 2-2-1 x^3+x^2"]  # --model when none is given


class _Bar:
    """A progress bar's two handles: ``advance(k)`` and ``describe(text)``."""

    def __init__(self, bar: Any = None, task: Any = None) -> None:
        self._bar, self._task = bar, task

    def advance(self, k: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, k)

    def describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=text)


@contextmanager
def _progress(total: int, label: str) -> Iterator[_Bar]:
    """A bar on stderr, only on a terminal and without --quiet (stdout keeps the result)."""
    if is_quiet() or not err_console.is_terminal:
        yield _Bar()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        yield _Bar(bar, bar.add_task(label, total=total))


def _training_figures(results: list[Any], out: Path, prefix: str) -> list[Path]:
    from ..experiments.plots import distance_histogram, loss_curves, trajectory_projection

    figures = [
        loss_curves(results, out / f"{prefix}loss_curves.png"),
        trajectory_projection(results, out / f"{prefix}trajectories.png"),
    ]
    if any(r.has_strata for r in results):  # no strata (attention): no distances
        figures.insert(0, distance_histogram(results, out / f"{prefix}distance_histogram.png"))
    return figures


def _config(
    optimizer: Optimizer,
    lr: float,
    steps: int,
    batch_size: int,
    threshold: float,
    records: int,
    batch_seeds: int,
) -> Any:
    from ..experiments.training import TrainConfig

    return TrainConfig(
        optimizer=optimizer.value,
        lr=lr,
        steps=steps,
        batch_size=batch_size,
        threshold=threshold,
        records=records,
        batch_seeds=batch_seeds,
    )


@_contract
def train_command(
    spec: Annotated[str, typer.Argument(help="student architecture, e.g. 'mlp 2-2-1 x^3+x^2'")],
    seeds: Annotated[int, typer.Option(min=1, help="number of training runs (random starts)")] = 20,
    teacher: Annotated[
        str | None, typer.Option(help="teacher architecture (may be smaller)")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="CSV or NPZ data file instead of a teacher")
    ] = None,
    samples: Annotated[
        int, typer.Option(min=1, help="training samples (teacher / random targets)")
    ] = 50,
    steps: Annotated[int, typer.Option(min=1, help="optimizer steps per run")] = 2000,
    optimizer: Annotated[Optimizer, typer.Option(help="adam, sgd or gd")] = Optimizer.adam,
    lr: Annotated[float, typer.Option(callback=check_nonnegative, help="learning rate")] = 0.01,
    batch_size: Annotated[int, typer.Option(min=1, help="minibatch size for sgd")] = 32,
    threshold: Annotated[
        float,
        typer.Option(callback=check_nonnegative, help="relative distance counted as on a stratum"),
    ] = 1e-2,
    records: Annotated[int, typer.Option(min=1, help="recorded points along each trajectory")] = 40,
    batch_seeds: Annotated[int, typer.Option(min=1, help="runs per vmapped batch")] = 32,
    out: Annotated[
        Path | None,
        output_dir_option(help="output folder (resumable runs, figures)"),
    ] = None,
    plots: Annotated[bool, typer.Option(help="write the figures to --out")] = True,
    seed: Annotated[int, seed_option("seed of data, starts and minibatches")] = 0,
    as_json: Json = False,
) -> None:
    """Train many seeds at once; report how many runs end on a subnetwork stratum (for
    architectures without strata — attention — how many end with a rank drop of dφ)."""
    from ..architectures import parse_architecture
    from ..experiments.data import load_data, random_targets, teacher_data
    from ..experiments.store import RunStore
    from ..experiments.training import train

    arch = parse_architecture(spec)
    cfg = _config(optimizer, lr, steps, batch_size, threshold, records, batch_seeds)
    if data is not None and teacher is not None:
        raise ExperimentError("give either --teacher or --data, not both")
    if data is not None:
        ds = load_data(data, arch.n_inputs, arch.n_outputs)
    elif teacher is not None:
        ds = teacher_data(parse_architecture(teacher), samples, seed=seed)
    else:
        ds = random_targets(arch, samples, seed=seed)
    ds.check(arch)
    store = RunStore(out) if out is not None else None
    with _progress(seeds, f"train {arch.spec}") as bar:
        result = train(
            arch, ds, seeds=seeds, config=cfg, seed=seed, store=store, progress=bar.advance
        )
    if out is not None:
        store.write_json("summary.json", result.to_dict())  # type: ignore[union-attr]
        if plots:
            _training_figures([result], out, "")
    payload = result.to_dict()
    payload.pop("runs")
    if as_json:
        print_json(payload)
    else:
        console.print(result.summary(), highlight=False, markup=False)


@_contract
def bias_command(
    mlp_spec: Annotated[str, typer.Argument(help="MLP, e.g. 'mlp 2-2-1 x^3+x^2'")],
    cnn_spec: Annotated[str, typer.Argument(help="CNN of matched size, e.g. 'cnn k=3,3 x^3+x^2'")],
    seeds: Annotated[int, typer.Option(min=1, help="training runs per architecture")] = 100,
    samples: Annotated[int, typer.Option(min=1, help="training samples")] = 50,
    targets: Annotated[
        Targets, typer.Option(help="teacher (own architecture) or random")
    ] = Targets.teacher,
    steps: Annotated[int, typer.Option(min=1, help="optimizer steps per run")] = 4000,
    optimizer: Annotated[Optimizer, typer.Option(help="adam, sgd or gd")] = Optimizer.gd,
    lr: Annotated[
        float,
        typer.Option(callback=check_nonnegative, help="learning rate (largest step with armijo)"),
    ] = 0.005,
    lr_mlp: Annotated[
        float | None,
        typer.Option(callback=check_nonnegative, help="the MLP's learning rate (default: --lr)"),
    ] = None,
    lr_cnn: Annotated[
        float | None,
        typer.Option(callback=check_nonnegative, help="the CNN's learning rate (default: --lr)"),
    ] = None,
    step_control: Annotated[
        StepControl,
        typer.Option(help="auto (armijo for gd), armijo (backtracking line search) or none"),
    ] = StepControl.auto,
    init_scale: Annotated[
        float,
        typer.Option(callback=check_nonnegative, help="initial parameters init_scale·N(0, I)"),
    ] = 0.5,
    batch_size: Annotated[int, typer.Option(min=1, help="minibatch size for sgd")] = 32,
    threshold: Annotated[
        float,
        typer.Option(callback=check_nonnegative, help="relative parameter distance to a stratum"),
    ] = 1e-2,
    fs_threshold: Annotated[
        float,
        typer.Option(
            callback=check_nonnegative, help="relative distance of f_θ to a stratum image"
        ),
    ] = 1e-3,
    records: Annotated[int, typer.Option(min=1, help="recorded points along each trajectory")] = 40,
    batch_seeds: Annotated[int, typer.Option(min=1, help="runs per vmapped batch")] = 32,
    out: Annotated[
        Path,
        output_dir_option(help="output folder (runs, JSON, figures)"),
    ] = Path("bias-out"),
    seed: Annotated[int, seed_option("seed of data, starts and minibatches")] = 0,
    as_json: Json = False,
) -> None:
    """Singularity bias: fraction of converged runs ending on a singular subnetwork (rank
    drop of dφ and f_θ near a stratum image), MLP vs CNN, with CIs, Fisher's p and figures."""
    import dataclasses

    from ..architectures import parse_architecture
    from ..experiments.bias import singularity_bias
    from ..experiments.plots import bias_fractions
    from ..experiments.store import RunStore

    mlp, cnn = parse_architecture(mlp_spec), parse_architecture(cnn_spec)
    base = dataclasses.replace(
        _config(optimizer, lr, steps, batch_size, threshold, records, batch_seeds),
        init_scale=init_scale,
        step_control=step_control.value,
        fs_threshold=fs_threshold,
    )
    cfg_mlp = dataclasses.replace(base, lr=lr if lr_mlp is None else lr_mlp)
    cfg_cnn = dataclasses.replace(base, lr=lr if lr_cnn is None else lr_cnn)
    store = RunStore(out)
    with _progress(2 * seeds, "bias: MLP then CNN") as bar:
        result = singularity_bias(
            mlp,
            cnn,
            seeds=seeds,
            samples=samples,
            targets=targets.value,
            config=cfg_mlp,
            cnn_config=cfg_cnn,
            seed=seed,
            store=store,
            progress=lambda _name, k: bar.advance(k),
        )
    figures = [bias_fractions(result, out / "bias_fractions.png")]
    figures += _training_figures([result.mlp, result.cnn], out, "bias_")
    payload = {
        "mlp": {k: v for k, v in result.mlp.to_dict().items() if k != "runs"},
        "cnn": {k: v for k, v in result.cnn.to_dict().items() if k != "runs"},
        "targets": result.targets,
        "headline": "rank drop + function",
        "difference": result.difference,
        "p_value": result.p_value,
        "differences": result.differences,
        "p_values": result.p_values,
        "figures": [str(p) for p in figures],
    }
    store.write_json("bias_summary.json", payload)
    if as_json:
        print_json(payload)
    else:
        console.print(result.summary(), highlight=False, markup=False)
        console.print(f"figures: {', '.join(str(p) for p in figures)}", highlight=False)


@_contract
def fisher_command(
    spec: Annotated[str, spec_argument("mlp 2-2-1 x^3+x^2")],
    method: Annotated[
        FisherMethod, typer.Option(help="auto, exact (Gauss–Hermite) or monte-carlo")
    ] = FisherMethod.auto,
    samples: Annotated[int, typer.Option(min=1, help="Monte-Carlo inputs")] = 4096,
    seed: Annotated[int, seed_option("seed of the points and primes")] = 0,
    as_json: Annotated[bool, json_option("print the results as JSON")] = False,
) -> None:
    """Fisher information at a regular point and at a point of every subnetwork stratum."""
    from ..architectures import parse_architecture
    from ..experiments.fisher import fisher_study

    arch = parse_architecture(spec)
    with status(f"fisher {arch.spec} ({method.value})"):
        results = fisher_study(arch, seed=seed, method=method.value, samples=samples)
    if as_json:
        print_json({"architecture": arch.spec, "points": [r.to_dict() for r in results]})
        return
    from rich.table import Table

    table = Table(title=f"Fisher information  {arch.spec}  ({arch.n_params} parameters)")
    for col in ("point", "rank", "certified", "num. rank", "λ_min", "λ_max"):
        table.add_column(col)
    for r in results:
        ev = r.eigenvalues
        table.add_row(
            r.point,
            str(r.rank),
            "yes" if r.certified else f"≤ {r.rank_upper}",
            str(r.numerical_rank),
            f"{min(ev):.3g}",
            f"{max(ev):.3g}",
        )
    console.print(table)


@_contract
def apo_command(
    model: Annotated[list[str], typer.Option(help="MLP models (repeat the option)")] = APO_MODELS,
    ns: Annotated[str, typer.Option(help="sample sizes, comma-separated")] = "50,100,200,400,800",
    trials: Annotated[int, typer.Option(min=1, help="Monte-Carlo datasets per sample size")] = 200,
    sigma: Annotated[
        float, typer.Option(callback=check_nonnegative, help="noise standard deviation")
    ] = 0.5,
    restarts: Annotated[
        int, typer.Option(min=1, help="MLE starts (the truth and random ones)")
    ] = 6,
    iters: Annotated[int, typer.Option(min=1, help="Levenberg–Marquardt iterations")] = 60,
    out: Annotated[Path, output_dir_option(help="output folder (runs, JSON, figure)")] = Path(
        "apo-out"
    ),
    seed: Annotated[int, seed_option("seed of truths, data and starts")] = 0,
    as_json: Annotated[bool, json_option("print the results as JSON")] = False,
) -> None:
    """MLE training/generalization errors at regular vs singular truths against d/(2n)."""
    from ..architectures import parse_architecture
    from ..experiments.apo import apo_curve
    from ..experiments.plots import apo_figure
    from ..experiments.store import RunStore

    try:
        sizes = [int(s) for s in ns.split(",") if s.strip()]
    except ValueError:
        raise ExperimentError(f"--ns {ns!r} must be comma-separated integers") from None
    archs = [parse_architecture(m) for m in model]
    store = RunStore(out)
    results = []
    with _progress(2 * len(archs) * len(sizes), "apo") as bar:
        for arch in archs:
            for truth in ("regular", "singular"):
                bar.describe(f"apo {arch.spec}, {truth} truth ({trials} datasets per size)")
                results.append(
                    apo_curve(
                        arch,
                        truth,
                        sizes,
                        trials=trials,
                        sigma=sigma,
                        restarts=restarts,
                        iters=iters,
                        seed=seed,
                        store=store,
                        progress=bar.advance,
                    )
                )
    fig = apo_figure(results, out / "apo_errors.png")
    payload = {"results": [r.to_dict() for r in results], "figure": str(fig)}
    store.write_json("apo_summary.json", payload)
    if as_json:
        print_json(payload)
    else:
        for r in results:
            console.print(r.summary(), highlight=False, markup=False)
        console.print(f"figure: {fig}", highlight=False)


COMMANDS = {
    "train": train_command,
    "bias": bias_command,
    "fisher": fisher_command,
    "apo": apo_command,
}


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""
    add_commands(app, COMMANDS)
