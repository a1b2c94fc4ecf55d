"""Every command on an attention spec: dim, fiber and profile work, the others refuse cleanly
(exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurovariety.cli import app

SPEC = "attn t=2 d=2 a=1"


def test_dim_and_fiber_work() -> None:
    r = CliRunner().invoke(app, ["dim", SPEC, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    # HMK's formula: a(2d − a) + d² − 1 = 3 + 4 − 1
    assert out["dimension"] == 6 and out["certified"] is True
    r = CliRunner().invoke(app, ["fiber", SPEC])
    assert r.exit_code == 0, r.output
    # 2·2 + 4 = 8 parameters − 6 = 2: GL(1) on (q, k) and the rescaling (A, V) ↦ (λA, V/λ)
    assert "generic fiber of dimension 2" in r.output


def test_profile_and_its_report_skip_what_attention_lacks(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["profile", SPEC, "--budget", "5", "--report", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "not available for attention yet" in r.output and "None" not in r.output
    assert "not available for attention yet" in (tmp_path / "index.html").read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["strata", SPEC],
        ["singular", SPEC],
        ["critical", SPEC],
        ["edd", SPEC],
        ["equations", SPEC],
        ["degree", SPEC],
        ["train", SPEC],
        ["fisher", SPEC],
        ["bias", SPEC, "cnn k=2,2 x^2"],
    ],
    ids=lambda a: a[0],
)
def test_other_commands_refuse_cleanly(args: list[str]) -> None:
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    low = r.output.lower()
    assert "error:" in low and ("attn" in low or "attention" in low)


def test_plot_and_member_refuse_cleanly(tmp_path: Path) -> None:
    point = tmp_path / "point.json"
    point.write_text(json.dumps([1] * 80))
    for args in (
        ["plot", SPEC, "-o", str(tmp_path / "x.png")],
        ["member", SPEC, "--point", str(point)],
    ):
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2, r.output
        assert "Traceback" not in r.output and "error:" in r.output


@pytest.mark.slow
def test_sweep_refuses_cleanly(tmp_path: Path) -> None:
    # a fresh process: the sweep starts a local cluster
    cmd = [sys.executable, "-m", "neurovariety", "sweep", "--store", str(tmp_path / "a.db")]
    r = subprocess.run([*cmd, "--spec", SPEC], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    assert "not supported yet for attention" in r.stderr and "Traceback" not in r.stderr
