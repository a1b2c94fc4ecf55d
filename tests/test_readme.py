"""The README's console tour prints exactly what the README shows (timings aside)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurovariety.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
TIMING = re.compile(r"\d+(\.\d+)?(e-?\d+)? s$")


def _console_blocks() -> list[tuple[str, str]]:
    text = README.read_text()
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    out = []
    for block in blocks:
        first, _, rest = block.partition("\n")
        assert first.startswith("$ neurovariety "), first
        out.append((first.removeprefix("$ neurovariety "), rest))
    return out


def _normalize(text: str) -> list[str]:
    return [TIMING.sub("<t> s", line.rstrip()) for line in text.strip().splitlines()]


def test_readme_has_a_tour() -> None:
    assert len(_console_blocks()) >= 3


@pytest.mark.parametrize(("command", "expected"), _console_blocks())
def test_readme_console_block(command: str, expected: str) -> None:
    result = CliRunner().invoke(app, shlex.split(command), env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert _normalize(result.output) == _normalize(expected)
