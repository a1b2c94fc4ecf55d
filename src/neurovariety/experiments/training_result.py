"""The result of a training experiment: where many runs of one architecture ended."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from typing import Any

import numpy as np

from ..landscape.critical import wilson_interval
from ..results import Certainty, Result
from .endpoints import HEADLINE

__all__ = ["TrainingResult", "proportion", "training_result"]


def proportion(count: int, runs: int) -> dict[str, float]:
    """``count``/``runs`` with its 95% Wilson interval, as stored in ``criteria``.

    >>> proportion(0, 0)["fraction"]
    nan
    """
    lo, hi = wilson_interval(count, runs)
    frac = count / runs if runs else math.nan
    return {"count": count, "runs": runs, "fraction": frac, "ci_low": lo, "ci_high": hi}


@dataclasses.dataclass(frozen=True, repr=False)
class TrainingResult(Result):
    """Where many training runs of one architecture on one dataset ended.

    ``criteria`` maps each criterion that applies (:func:`~.endpoints.criteria_for`: all of
    :data:`~.endpoints.CRITERIA` where the architecture has strata, else ``rank drop``) to
    ``{"count", "runs", "fraction", "ci_low", "ci_high"}`` over the runs that did not diverge
    (95% Wilson intervals); ``on_strata`` … ``ci_high`` repeat the ``parameters`` criterion
    (None without strata). Statistics of floating-point runs: :attr:`certainty` is numerical.
    """

    architecture: str
    data: str
    samples: int
    optimizer: str
    lr: float
    steps: int
    seeds: int
    seed: int
    diverged: int
    final_loss_median: float
    final_loss_q10: float
    final_loss_q90: float
    threshold: float
    rank_rtol: float
    generic_rank: int
    strata_counts: dict[str, int]
    hessian_counts: dict[str, int]
    computed: int
    resumed: int
    seconds: float
    key: str
    runs: list[dict[str, Any]]
    trajectories: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    criteria: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    diverged_reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    n_params: int = 0
    init_scale: float = 0.5
    step_control: str = "none"
    fs_threshold: float = 1e-3

    @property
    def certainty(self) -> Certainty:
        return Certainty.NUMERICAL

    @property
    def has_strata(self) -> bool:
        """Whether the strata criteria apply (the architecture has subnetwork strata)."""
        return HEADLINE in self.criteria

    def _parameters(self, field: str) -> Any:
        c = self.criteria.get("parameters")
        return None if c is None else c[field]

    @property
    def on_strata(self) -> int | None:
        return self._parameters("count")

    @property
    def fraction_on_strata(self) -> float | None:
        return self._parameters("fraction")

    @property
    def ci_low(self) -> float | None:
        return self._parameters("ci_low")

    @property
    def ci_high(self) -> float | None:
        return self._parameters("ci_high")

    @property
    def rank_drop_at_end(self) -> int:
        return int(self.criteria["rank drop"]["count"])

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("trajectories")
        return d

    def title(self) -> str:
        return f"TrainingResult  {self.architecture}  ({self.optimizer}, lr {self.lr:g})"

    def criterion_line(self, name: str) -> str:
        c = self.criteria[name]
        return (
            f"{name}: {c['count']}/{c['runs']} = {c['fraction']:.3f} "
            f"[{c['ci_low']:.3f}, {c['ci_high']:.3f}]"
        )

    def _judged_line(self) -> str:
        why = ", ".join(f"{k} {v}" for k, v in self.diverged_reasons.items() if v)
        over = (
            f"95% Wilson CIs, over {self.seeds - self.diverged} converged runs "
            f"({self.diverged} diverged{': ' + why if why else ''}):"
        )
        if self.has_strata:
            return (
                f"runs ending on a singular subnetwork (rank of dφ below the generic "
                f"{self.generic_rank} and f_θ within {self.fs_threshold:g} of a stratum image), "
                + over
            )
        return (
            f"no subnetwork strata are defined for {self.architecture}: runs are judged by the "
            f"rank of dφ alone (below the generic {self.generic_rank}), " + over
        )

    def bullets(self) -> list[str]:
        hess = ", ".join(f"{k} {v}" for k, v in sorted(self.hessian_counts.items())) or "—"
        out = [self._judged_line(), *(f"  {self.criterion_line(n)}" for n in self.criteria)]
        if self.has_strata:
            counts = ", ".join(f"{k} {v}" for k, v in self.strata_counts.items() if v) or "none"
            out.append(f"parameter distance ≤ {self.threshold:g}, nearest strata: {counts}")
        return out + [
            f"final MSE median {self.final_loss_median:.4g} (10–90%: {self.final_loss_q10:.3g} – "
            f"{self.final_loss_q90:.3g}); {self.steps} steps on {self.samples} samples, "
            f"{self.data}; init {self.init_scale:g}·N(0, I), step control {self.step_control}",
            f"final Hessians: {hess}",
            f"seed {self.seed} · {self.computed} runs computed, {self.resumed} resumed · "
            f"{self.seconds:.3g} s",
        ]


def _tally(recs: list[dict[str, Any]], field: str) -> dict[str, int]:
    """How many records have each (non-None) value of ``field``."""
    return dict(Counter(r[field] for r in recs if r[field] is not None))


def training_result(
    recs: list[dict[str, Any]], families: list[str], names: tuple[str, ...], **fields: Any
) -> TrainingResult:
    """The result over judged run records (each with its ``criteria`` ``names``, computed once
    by the caller); ``fields`` are the descriptive fields (architecture, options, timing)."""
    ok = [r for r in recs if not r["diverged"]]
    criteria = {n: proportion(sum(r["criteria"][n] for r in ok), len(ok)) for n in names}
    losses = np.array([r["final_loss"] for r in ok], dtype=float)
    q = np.quantile(losses, [0.1, 0.5, 0.9]) if losses.size else np.full(3, math.nan)
    counts = dict.fromkeys(families, 0) | _tally([r for r in ok if r["on_stratum"]], "nearest")
    summaries = [
        {k: v for k, v in r.items() if k not in ("trajectory", "key", "run")} for r in recs
    ]
    return TrainingResult(
        seeds=len(recs),
        diverged=len(recs) - len(ok),
        final_loss_median=float(q[1]),
        final_loss_q10=float(q[0]),
        final_loss_q90=float(q[2]),
        strata_counts=counts,
        hessian_counts=_tally(ok, "hessian"),
        runs=summaries,
        trajectories=[{"seed": r["seed"], **r["trajectory"]} for r in recs],
        criteria=criteria,
        diverged_reasons=_tally([r for r in recs if r["diverged"]], "diverged_reason"),
        **fields,
    )
