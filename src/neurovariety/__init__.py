"""neurovariety: the neuroalgebraic geometry of polynomial neural networks.

The flat API (``from neurovariety import MLP, dimension``) is loaded on first use: importing
the package imports neither NumPy nor JAX, so the command line starts at once, and it changes no
global state (JAX's 64-bit mode is turned on by the numeric paths when they start, see
:mod:`neurovariety.jaxconfig`).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it (imported by __getattr__ on first access)
_EXPORTS = {
    **dict.fromkeys(
        (
            "CNN",
            "LCN",
            "MLP",
            "Activation",
            "Architecture",
            "GenericPolynomial",
            "Monomial",
            "Polynomial",
            "parse_activation",
            "parse_architecture",
        ),
        ".architectures",
    ),
    **dict.fromkeys(
        (
            "ActivationError",
            "ArchitectureError",
            "BackendUnavailableError",
            "BudgetExceededError",
            "CertificationError",
            "ExperimentError",
            "FamilyError",
            "FieldError",
            "InternalError",
            "NeurovarietyError",
            "OptionError",
            "PathTrackingError",
            "PolynomialSystemError",
            "RankDisagreementError",
            "StoreError",
        ),
        ".errors",
    ),
    "DimensionResult": ".invariants.dimension",
    "dimension": ".invariants.dimension",
    "profile": ".invariants.profile",
    "Result": ".results",
    "Verdict": ".results",
}


class _LazyPackage(types.ModuleType):
    """A package whose public names are imported from their submodules on first access."""

    _lazy_exports: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        module = self.__dict__.get("_lazy_exports", {}).get(name)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, self.__name__), name)
        types.ModuleType.__setattr__(self, name, value)  # later lookups skip __getattr__
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # importing the submodule nag.solve must not hide the function nag.solve
        if isinstance(value, types.ModuleType) and name in self.__dict__.get("_lazy_exports", {}):
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*self.__dict__, *self._lazy_exports})


def lazy_exports(package: str, exports: dict[str, str]) -> None:
    """Let ``package`` import each public name from its (relative) module on first access.

    Keeps ``import package`` cheap (no NumPy or JAX until a name is used) with the flat API
    intact; ``exports`` maps each name to the module that defines it, e.g. ``".numeric"``.
    """
    module = sys.modules[package]
    module.__class__ = _LazyPackage
    module._lazy_exports = dict(exports)  # type: ignore[attr-defined]
    module.__all__ = list(exports)  # type: ignore[attr-defined]


lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .architectures import CNN as CNN
    from .architectures import LCN as LCN
    from .architectures import MLP as MLP
    from .architectures import Activation as Activation
    from .architectures import Architecture as Architecture
    from .architectures import GenericPolynomial as GenericPolynomial
    from .architectures import Monomial as Monomial
    from .architectures import Polynomial as Polynomial
    from .architectures import parse_activation as parse_activation
    from .architectures import parse_architecture as parse_architecture
    from .errors import ActivationError as ActivationError
    from .errors import ArchitectureError as ArchitectureError
    from .errors import BackendUnavailableError as BackendUnavailableError
    from .errors import BudgetExceededError as BudgetExceededError
    from .errors import CertificationError as CertificationError
    from .errors import ExperimentError as ExperimentError
    from .errors import FamilyError as FamilyError
    from .errors import FieldError as FieldError
    from .errors import InternalError as InternalError
    from .errors import NeurovarietyError as NeurovarietyError
    from .errors import OptionError as OptionError
    from .errors import PathTrackingError as PathTrackingError
    from .errors import PolynomialSystemError as PolynomialSystemError
    from .errors import RankDisagreementError as RankDisagreementError
    from .errors import StoreError as StoreError
    from .invariants.dimension import DimensionResult as DimensionResult
    from .invariants.dimension import dimension as dimension
    from .invariants.profile import profile as profile
    from .results import Result as Result
    from .results import Verdict as Verdict
