"""Typed exceptions of neurovariety.

Every error the library raises on bad input derives from :class:`NeurovarietyError` and carries a
message that says what is wrong and how to fix it.
"""

from __future__ import annotations


class NeurovarietyError(Exception):
    """Base class of every error raised by neurovariety."""


class ArchitectureError(NeurovarietyError, ValueError):
    """An architecture or its text spec is invalid (widths, filters, strides, sizes)."""


class ActivationError(ArchitectureError):
    """An activation function is invalid (not a polynomial, zero, bad degree)."""


class FieldError(NeurovarietyError, ValueError):
    """A prime, modulus or exact-arithmetic request is invalid."""


class RankDisagreementError(NeurovarietyError, ArithmeticError):
    """Exact ranks over different primes or seeds disagree beyond what chance explains."""


class BackendUnavailableError(NeurovarietyError, RuntimeError):
    """An optional backend (an external program, a GPU) was requested but is not available."""


class BudgetExceededError(NeurovarietyError, RuntimeError):
    """A computation ran past its time or size budget."""


class PolynomialSystemError(NeurovarietyError, ValueError):
    """A polynomial system is malformed (non-polynomial text, wrong shape, NaN coefficients)."""


class PathTrackingError(NeurovarietyError, RuntimeError):
    """Homotopy continuation could not proceed (e.g. a singular start system)."""


class CertificationError(NeurovarietyError, RuntimeError):
    """A certification routine was asked for something it cannot decide."""


class FamilyError(NeurovarietyError, ValueError):
    """A sweep family (TOML file or CLI options) is malformed: bad ranges, kinds or invariants."""


class StoreError(NeurovarietyError, RuntimeError):
    """A results store cannot be opened, written or queried (bad path, schema, ``--where``)."""


class ExperimentError(NeurovarietyError, ValueError):
    """An experiment's options, data file or output folder are invalid (training, Fisher, APO)."""
