"""The worked example of docs/convolutions.md runs as written."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from neurovariety.cli import app

DOC = Path(__file__).resolve().parents[1] / "docs" / "convolutions.md"


def test_worked_example_in_the_docs() -> None:
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 9
    assert result.failed == 0


def test_console_example_prints_what_the_docs_say() -> None:
    text = DOC.read_text()
    command = re.search(r"```console\n\$ neurovariety (.*?)\n```", text, flags=re.S)
    assert command is not None
    quoted = re.findall(r"`([^`]*)`", text[command.end() :])[:2]
    assert len(quoted) == 2
    # the command the docs show, not a copy of it here
    out = CliRunner().invoke(app, shlex.split(command.group(1)), env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    flat = " ".join(out.output.split())
    for q in quoted:
        assert " ".join(q.split()) in flat
