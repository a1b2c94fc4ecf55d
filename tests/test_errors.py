"""The error policy: bad input is an OptionError (a ValueError, exit code 2), a contradiction in the
library's own results an InternalError (exit code 1 with a hint to report it)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import neurovariety
from neurovariety import errors
from neurovariety.cli import app

runner = CliRunner()

BAD_INPUT = (
    errors.ArchitectureError,
    errors.ActivationError,
    errors.FieldError,
    errors.PolynomialSystemError,
    errors.FamilyError,
    errors.ExperimentError,
)


@pytest.mark.parametrize("cls", BAD_INPUT)
def test_every_bad_input_error_is_an_option_error_and_a_value_error(cls: type) -> None:
    assert issubclass(cls, errors.OptionError)
    with pytest.raises(ValueError):  # callers that caught ValueError still do
        raise cls("bad")


def test_internal_errors_are_not_user_errors() -> None:
    assert issubclass(errors.InternalError, errors.NeurovarietyError)
    assert issubclass(errors.InternalError, RuntimeError)
    assert not issubclass(errors.InternalError, (errors.OptionError, ValueError))
    assert neurovariety.OptionError is errors.OptionError  # the flat API exports both
    assert neurovariety.InternalError is errors.InternalError


def test_library_functions_raise_option_errors_on_bad_arguments() -> None:
    from neurovariety.nag.tracker import TrackerOptions

    with pytest.raises(errors.OptionError, match="min_step"):
        TrackerOptions(min_step=0.5, max_step=0.1)
    with pytest.raises(errors.OptionError, match="fast"):  # names the valid presets
        TrackerOptions.preset("no-such-preset")
    with pytest.raises(errors.OptionError, match="widths"):
        neurovariety.parse_architecture("mlp 2,3,1 x^2")


@pytest.mark.parametrize(
    ("exc", "code", "shown"),
    [
        (errors.OptionError("seed must be ≥ 0; give a non-negative seed"), 2, "seed must be"),
        (errors.InternalError("a rank above its bound"), 1, "internal error: a rank above"),
        (ValueError("unexpected"), 1, "internal error: ValueError: unexpected"),
    ],
)
def test_the_command_line_maps_errors_to_exit_codes(
    monkeypatch: pytest.MonkeyPatch, exc: Exception, code: int, shown: str
) -> None:
    import neurovariety.invariants.dimension as dimension_module

    def failing(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(dimension_module, "dimension", failing)
    res = runner.invoke(app, ["dim", "mlp 2-3-1 x^2"])
    assert res.exit_code == code, res.output
    assert shown in res.output and "Traceback" not in res.output
    assert ("report" in res.output) == (code == 1)  # only a bug asks to be reported


def test_debug_mode_re_raises_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import neurovariety.invariants.dimension as dimension_module

    def failing(*args: object, **kwargs: object) -> None:
        raise errors.InternalError("a rank above its bound")

    monkeypatch.setattr(dimension_module, "dimension", failing)
    monkeypatch.setenv("NEUROVARIETY_DEBUG", "1")
    res = runner.invoke(app, ["dim", "mlp 2-3-1 x^2"])
    assert isinstance(res.exception, errors.InternalError)
