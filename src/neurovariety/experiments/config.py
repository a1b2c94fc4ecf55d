"""Options of a training experiment: optimizer, step control, budgets and end-point thresholds."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..errors import ExperimentError

__all__ = ["OPTIMIZERS", "STEP_CONTROLS", "TrainConfig"]

OPTIMIZERS = ("adam", "sgd", "gd")
STEP_CONTROLS = ("auto", "armijo", "none")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Options of a training experiment (all of them enter the key of stored runs but
    ``batch_seeds``, which only says how many runs share one vmapped call).

    >>> TrainConfig(optimizer="sgd", lr=0.05).optimizer
    'sgd'
    >>> TrainConfig(optimizer="lbfgs")
    Traceback (most recent call last):
    ...
    neurovariety.errors.ExperimentError: optimizer 'lbfgs' is not one of adam, sgd, gd
    """

    optimizer: str = "adam"
    lr: float = 0.01
    steps: int = 2000
    batch_size: int = 32
    init_scale: float = 0.5
    records: int = 40
    threshold: float = 1e-2
    rank_rtol: float = 1e-6
    batch_seeds: int = 32
    step_control: str = "auto"
    fs_threshold: float = 1e-3
    fit_iters: int = 30

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ExperimentError(
                f"optimizer {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}"
            )
        if self.step_control not in STEP_CONTROLS:
            raise ExperimentError(
                f"step_control {self.step_control!r} is not one of {', '.join(STEP_CONTROLS)}"
            )
        if self.step_control == "armijo" and self.optimizer != "gd":
            raise ExperimentError(
                f"step_control 'armijo' is a line search along the full gradient: use it with "
                f"optimizer 'gd', not {self.optimizer!r} (or step_control 'none')"
            )
        for name in ("steps", "batch_size", "records", "batch_seeds", "fit_iters"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ExperimentError(f"{name}={v!r} must be an int ≥ 1")
        for name in ("lr", "init_scale", "threshold", "rank_rtol", "fs_threshold"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ExperimentError(f"{name}={v!r} must be a positive number")

    @property
    def line_search(self) -> bool:
        """Whether GD steps are Armijo-controlled (``step_control`` ``auto`` resolves here)."""
        return self.optimizer == "gd" and self.step_control in ("auto", "armijo")

    def key_fields(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("batch_seeds")
        d["step_control"] = "armijo" if self.line_search else "none"
        return d
