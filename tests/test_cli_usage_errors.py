"""A rejected option, choice or command is one ``error:`` line naming the fix, exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "neurovariety", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("dim", "mlp 2-3-1 x^2", "--bogus"), "No such option: --bogus (see 'neurovariety dim"),
        (("dim", "mlp 2-3-1 x^2", "--method", "foo"), "'foo' is not one of 'exact', 'numeric'"),
        (("nosuch",), "No such command 'nosuch' (see 'neurovariety -h')"),
        (("dim",), "Missing argument 'spec'"),
    ],
)
def test_usage_errors_are_one_line(args: tuple[str, ...], says: str) -> None:
    out = _run(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], out.stderr
    assert "Traceback" not in out.stderr and "╭" not in out.stderr and out.stdout == ""


def test_a_bare_group_prints_its_help_once() -> None:
    out = _run("atlas")
    assert out.returncode == 2
    assert (out.stdout + out.stderr).count("Usage: neurovariety atlas") == 1
