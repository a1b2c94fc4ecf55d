"""The singularity bias (Razor): how often training ends on a subnetwork, MLP vs CNN.

MLP strata are *critically exposed* — for an open set of data the loss has critical points inside
them — so gradient descent can be caught there; CNN strata are not (away from the zero fiber), so
runs end on them only by accident. Both architectures are trained on data of the same kind (same
number of samples, standard Gaussian inputs, targets from a random teacher of the *student's own*
architecture — a generic point of its neuromanifold — or independent Gaussian targets), with the
same optimizer and options (the step size may differ per architecture); the fractions of
converged runs that end on a singular subnetwork — rank drop of dφ *and* f_θ near a stratum image,
see :mod:`neurovariety.experiments.training` — are compared with Wilson intervals and Fisher's
exact test, criterion by criterion. Diverged runs are counted apart. Compare size-matched pairs
(same parameter count or function-space dimension), e.g. ``mlp 2-2-1`` / ``cnn k=3,3`` (6),
``mlp 2-3-1`` / ``cnn k=3,3,3`` (9), ``mlp 3-3-1`` / ``cnn k=4,4,4`` (12). The CNN may be
multi-channel or 2D: its hidden channels are strata like an MLP's neurons, besides its
paddings (whether training ends on them is what such a comparison measures).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from ..architectures.base import Architecture
from ..architectures.cnn import CNN
from ..architectures.conv import ConvNet
from ..architectures.mlp import MLP
from ..errors import ExperimentError
from ..results import Certainty, Result
from .data import Dataset, random_targets, teacher_data
from .store import RunStore
from .strata_distance import tracks_strata
from .training import CRITERIA, HEADLINE, TrainConfig, TrainingResult, train

__all__ = ["BiasResult", "fisher_p", "make_data", "singularity_bias"]

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
    """The MLP's and the CNN's training results side by side.

    ``p_values`` and ``differences`` (MLP − CNN) are given for every criterion of
    :data:`~neurovariety.experiments.training.CRITERIA`; ``p_value`` and ``difference`` are the
    headline's (rank drop + function-space distance), Fisher's exact test on converged runs.
    """

    mlp: TrainingResult
    cnn: TrainingResult
    targets: str
    difference: float
    p_value: float
    seconds: float
    p_values: dict[str, float] = dataclasses.field(default_factory=dict)
    differences: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def certainty(self) -> Certainty:
        """Monte-Carlo statistics of floating-point runs: numerical."""
        return Certainty.NUMERICAL

    def title(self) -> str:
        return f"BiasResult  {self.mlp.architecture}  vs  {self.cnn.architecture}"

    def size_line(self) -> str:
        m, c = self.mlp, self.cnn
        matched = m.n_params == c.n_params or m.generic_rank == c.generic_rank
        return (
            f"size: {m.n_params} vs {c.n_params} parameters, function-space dimension "
            f"{m.generic_rank} vs {c.generic_rank} (numerical rank of dφ)"
            + ("" if matched else " — NOT size-matched")
        )

    def bullets(self) -> list[str]:
        out = [self.size_line()]
        for r in (self.mlp, self.cnn):
            h = r.criteria[HEADLINE]
            why = ", ".join(f"{k} {v}" for k, v in r.diverged_reasons.items())
            out.append(
                f"{r.architecture}: {h['count']}/{h['runs']} end on a singular subnetwork = "
                f"{h['fraction']:.3f} [{h['ci_low']:.3f}, {h['ci_high']:.3f}]; "
                f"{r.diverged} diverged{' (' + why + ')' if why else ''}; "
                f"median MSE {r.final_loss_median:.3g}"
            )
        for n in CRITERIA:
            m, c = self.mlp.criteria[n], self.cnn.criteria[n]
            out.append(
                f"{n}: MLP {m['count']}/{m['runs']} vs CNN {c['count']}/{c['runs']}, "
                f"difference {self.differences[n]:+.3f}, Fisher p = {self.p_values[n]:.2g}"
            )
        out.append(
            f"headline ({HEADLINE}): difference MLP − CNN {self.difference:+.3f}; Fisher's "
            f"exact test p = {self.p_value:.2g}; targets: {self.targets}"
        )
        for r in (self.mlp, self.cnn):
            out.append(
                f"{r.architecture}: {r.optimizer}, lr {r.lr:g}, step control "
                f"{r.step_control}, init {r.init_scale:g}·N(0, I), {r.steps} steps"
            )
        out.append(f"{self.mlp.samples} samples · seed {self.mlp.seed} · {self.seconds:.3g} s")
        return out


def fisher_p(a: dict[str, float], b: dict[str, float]) -> float:
    """Two-sided Fisher's exact test of count/runs in ``a`` against ``b`` (``criteria`` entries)."""
    import scipy.stats  # here, not at import: 1.6 s that every CLI command would pay

    table = [
        [int(a["count"]), int(a["runs"] - a["count"])],
        [int(b["count"]), int(b["runs"] - b["count"])],
    ]
    return float(scipy.stats.fisher_exact(table).pvalue)


def singularity_bias(
    mlp: Architecture,
    cnn: Architecture,
    *,
    seeds: int = 100,
    samples: int = 50,
    targets: str = "teacher",
    config: TrainConfig | None = None,
    cnn_config: TrainConfig | None = None,
    seed: int = 0,
    store: RunStore | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> BiasResult:
    """Train both architectures from ``seeds`` random starts each and compare.

    ``config`` is the MLP's training options and, unless ``cnn_config`` is given, the CNN's
    (e.g. another step size). Default: GD with Armijo step control, lr 0.005, 4000 steps.

    >>> from neurovariety import parse_architecture
    >>> singularity_bias(parse_architecture("mlp 2-2-1 x^2"), parse_architecture("mlp 2-1-1 x^2"))
    Traceback (most recent call last):
    ...
    neurovariety.errors.ExperimentError: bias compares an MLP with a CNN; ...
    >>> attn = parse_architecture("attn t=2 d=2 a=1")
    >>> singularity_bias(parse_architecture("mlp 2-2-1 x^2"), attn)
    Traceback (most recent call last):
    ...
    neurovariety.errors.ExperimentError: bias needs subnetwork strata, and attn t=2 d=2,2 a=1 ...
    """
    for arch in (mlp, cnn):
        if not tracks_strata(arch):
            raise ExperimentError(
                f"bias needs subnetwork strata, and {arch.spec} has none defined (attention has "
                "none yet); `neurovariety train` trains it and judges its end points by the rank "
                "of dφ alone"
            )
    if not isinstance(mlp, MLP) or not isinstance(cnn, (CNN, ConvNet)):
        raise ExperimentError(
            f"bias compares an MLP with a CNN; got {mlp.spec!r} and {cnn.spec!r} "
            "(e.g. 'mlp 2-2-1 x^3+x^2' 'cnn k=3,3 x^3+x^2'; multi-channel and 2D cnn specs "
            "work too)"
        )
    if mlp.n_outputs != cnn.n_outputs:
        raise ExperimentError(
            f"{mlp.spec} has {mlp.n_outputs} outputs and {cnn.spec} {cnn.n_outputs}; "
            "compare architectures with the same number of outputs"
        )
    t0 = time.perf_counter()
    cfg = config or TrainConfig(optimizer="gd", lr=0.005, steps=4000)
    results = []
    for arch, c in ((mlp, cfg), (cnn, cnn_config or cfg)):
        data = make_data(arch, targets, samples, seed=seed)
        cb = None
        if progress is not None:

            def cb(k: int, name: str = arch.spec) -> None:
                progress(name, k)

        results.append(
            train(arch, data, seeds=seeds, config=c, seed=seed, store=store, progress=cb)
        )
    rm, rc = results
    p = {n: fisher_p(rm.criteria[n], rc.criteria[n]) for n in CRITERIA}
    diff = {n: rm.criteria[n]["fraction"] - rc.criteria[n]["fraction"] for n in CRITERIA}
    return BiasResult(
        mlp=rm,
        cnn=rc,
        targets=targets,
        difference=diff[HEADLINE],
        p_value=p[HEADLINE],
        seconds=time.perf_counter() - t0,
        p_values=p,
        differences=diff,
    )
