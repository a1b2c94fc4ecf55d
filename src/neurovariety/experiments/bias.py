"""The singularity bias (Razor): how often training ends on a subnetwork, MLP vs CNN.

MLP strata are *critically exposed* — for an open set of data the loss has critical points inside
them — so gradient descent can be caught there; CNN strata are not (away from the zero fiber), so
runs end on them only by accident. Both architectures are trained on data of the same kind (same
number of samples, standard Gaussian inputs, targets from a random teacher of the *student's own*
architecture — a generic point of its neuromanifold — or independent Gaussian targets), with the
same optimizer and options; the fractions of runs ending on a stratum are compared with Wilson
intervals and Fisher's exact test.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.mlp import MLP
from ..errors import ExperimentError
from ..results import Result
from .data import Dataset, random_targets, teacher_data
from .store import RunStore
from .training import TrainConfig, TrainingResult, train

__all__ = ["BiasResult", "make_data", "singularity_bias"]

TARGETS = ("teacher", "random")


def make_data(arch: Architecture, targets: str, samples: int, *, seed: int) -> Dataset:
    """Training data for ``arch``: a random teacher of the same architecture or random targets.

    >>> from neurovariety import parse_architecture
    >>> make_data(parse_architecture("cnn k=2,2 x^2"), "random", 6, seed=0).source
    'random N(0,1) targets'
    """
    if targets == "teacher":
        return teacher_data(arch, samples, seed=seed)
    if targets == "random":
        return random_targets(arch, samples, seed=seed)
    raise ExperimentError(f"targets {targets!r} is not one of {', '.join(TARGETS)}")


@dataclasses.dataclass(frozen=True, repr=False)
class BiasResult(Result):
    """The MLP's and the CNN's training results side by side."""

    mlp: TrainingResult
    cnn: TrainingResult
    targets: str
    difference: float
    p_value: float
    seconds: float

    def title(self) -> str:
        return f"BiasResult  {self.mlp.architecture}  vs  {self.cnn.architecture}"

    def bullets(self) -> list[str]:
        out = []
        for r in (self.mlp, self.cnn):
            out.append(
                f"{r.architecture}: {r.on_strata}/{r.seeds - r.diverged} on a stratum = "
                f"{r.fraction_on_strata:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}], "
                f"median MSE {r.final_loss_median:.3g}, {r.diverged} diverged"
            )
        out.append(
            f"difference MLP − CNN {self.difference:+.3f}; Fisher's exact test p = "
            f"{self.p_value:.2g}; targets: {self.targets}"
        )
        out.append(
            f"{self.mlp.optimizer}, lr {self.mlp.lr:g}, {self.mlp.steps} steps, "
            f"{self.mlp.samples} samples · seed {self.mlp.seed} · {self.seconds:.3g} s"
        )
        return out


def singularity_bias(
    mlp: Architecture,
    cnn: Architecture,
    *,
    seeds: int = 100,
    samples: int = 50,
    targets: str = "teacher",
    config: TrainConfig | None = None,
    seed: int = 0,
    store: RunStore | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> BiasResult:
    """Train both architectures from ``seeds`` random starts each and compare.

    >>> from neurovariety import parse_architecture
    >>> singularity_bias(parse_architecture("mlp 2-2-1 x^2"), parse_architecture("mlp 2-1-1 x^2"))
    Traceback (most recent call last):
    ...
    neurovariety.errors.ExperimentError: bias compares an MLP with a CNN; ...
    """
    if not isinstance(mlp, MLP) or not isinstance(cnn, CNN):
        raise ExperimentError(
            f"bias compares an MLP with a CNN; got {mlp.spec!r} and {cnn.spec!r} "
            "(e.g. 'mlp 2-2-1 x^3+x^2' 'cnn k=3,3 x^3+x^2')"
        )
    if mlp.n_outputs != cnn.n_outputs:
        raise ExperimentError(
            f"{mlp.spec} has {mlp.n_outputs} outputs and {cnn.spec} {cnn.n_outputs}; "
            "compare architectures with the same number of outputs"
        )
    t0 = time.perf_counter()
    cfg = config or TrainConfig(optimizer="gd", lr=0.005, steps=4000)
    results = []
    for arch in (mlp, cnn):
        data = make_data(arch, targets, samples, seed=seed)
        cb = None
        if progress is not None:

            def cb(k: int, name: str = arch.spec) -> None:
                progress(name, k)

        results.append(
            train(arch, data, seeds=seeds, config=cfg, seed=seed, store=store, progress=cb)
        )
    rm, rc = results
    table = [
        [rm.on_strata, rm.seeds - rm.diverged - rm.on_strata],
        [rc.on_strata, rc.seeds - rc.diverged - rc.on_strata],
    ]
    import scipy.stats  # here, not at import: 1.6 s that every CLI command would pay

    p = float(scipy.stats.fisher_exact(table).pvalue)
    return BiasResult(
        mlp=rm,
        cnn=rc,
        targets=targets,
        difference=rm.fraction_on_strata - rc.fraction_on_strata,
        p_value=p,
        seconds=time.perf_counter() - t0,
    )
