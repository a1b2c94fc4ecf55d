"""Experiments: training dynamics (singularity bias), Fisher information and singular learning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_exports

lazy_exports(
    __name__,
    {
        "APOResult": ".apo",
        "apo_curve": ".apo",
        "mle_errors": ".apo",
        "BiasResult": ".bias",
        "singularity_bias": ".bias",
        "Dataset": ".data",
        "load_data": ".data",
        "random_targets": ".data",
        "teacher_data": ".data",
        "FisherResult": ".fisher",
        "fisher_at": ".fisher",
        "fisher_information": ".fisher",
        "fisher_study": ".fisher",
        "RunStore": ".store",
        "TrainConfig": ".training",
        "TrainingResult": ".training",
        "stratum_distances": ".training",
        "train": ".training",
    },
)

if TYPE_CHECKING:
    from .apo import APOResult as APOResult
    from .apo import apo_curve as apo_curve
    from .apo import mle_errors as mle_errors
    from .bias import BiasResult as BiasResult
    from .bias import singularity_bias as singularity_bias
    from .data import Dataset as Dataset
    from .data import load_data as load_data
    from .data import random_targets as random_targets
    from .data import teacher_data as teacher_data
    from .fisher import FisherResult as FisherResult
    from .fisher import fisher_at as fisher_at
    from .fisher import fisher_information as fisher_information
    from .fisher import fisher_study as fisher_study
    from .store import RunStore as RunStore
    from .training import TrainConfig as TrainConfig
    from .training import TrainingResult as TrainingResult
    from .training import stratum_distances as stratum_distances
    from .training import train as train
