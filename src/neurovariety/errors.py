"""Typed exceptions of neurovariety.

One policy, for the library and the command line alike:

- bad input (an argument, a spec, a file, an option) raises an :class:`OptionError` or one of its
  subclasses; each is also a ``ValueError``, so ``except ValueError`` keeps working. The message
  says what is wrong and how to fix it. Command line: exit code 2.
- a budget reached raises :class:`BudgetExceededError` (exit code 3).
- a computation that cannot be done as asked (a backend missing, a path that cannot be tracked,
  a store that cannot be read, primes that disagree) raises its own :class:`NeurovarietyError`
  subclass, with the fix in the message (exit code 2).
- a contradiction in the library's own results is a bug, not the user's error: it raises
  :class:`InternalError` (exit code 1, like any exception that is no NeurovarietyError).
"""

from __future__ import annotations


class NeurovarietyError(Exception):
    """Base class of every error raised by neurovariety."""


class OptionError(NeurovarietyError, ValueError):
    """A bad argument of a library function or command: unknown name, value out of range, wrong
    shape. The message names the argument, what it accepts and how to fix it."""


class InternalError(NeurovarietyError, RuntimeError):
    """The library contradicted itself (a rank above a proven bound, a fiber point that computes
    another function): a bug to report, not bad input."""


class ArchitectureError(OptionError):
    """An architecture or its text spec is invalid (widths, filters, strides, sizes)."""


class ActivationError(ArchitectureError):
    """An activation function is invalid (not a polynomial, zero, bad degree)."""


class FieldError(OptionError):
    """A prime, modulus or exact-arithmetic request is invalid."""


class RankDisagreementError(NeurovarietyError, ArithmeticError):
    """Exact ranks over different primes or seeds disagree beyond what chance explains."""


class BackendUnavailableError(NeurovarietyError, RuntimeError):
    """An optional backend (an external program, a GPU) was requested but is not available."""


class BudgetExceededError(NeurovarietyError, RuntimeError):
    """A computation ran past its time or size budget."""


class PolynomialSystemError(OptionError):
    """A polynomial system is malformed (non-polynomial text, wrong shape, NaN coefficients)."""


class PathTrackingError(NeurovarietyError, RuntimeError):
    """Homotopy continuation could not proceed (e.g. a singular start system)."""


class CertificationError(NeurovarietyError, RuntimeError):
    """A certification routine was asked for something it cannot decide."""


class FamilyError(OptionError):
    """A sweep family (TOML file or CLI options) is malformed: bad ranges, kinds or invariants."""


class StoreError(NeurovarietyError, RuntimeError):
    """A results store cannot be opened, written or queried (bad path, schema, ``--where``)."""


class ExperimentError(OptionError):
    """An experiment's options, data file or output folder are invalid (training, Fisher, APO)."""
