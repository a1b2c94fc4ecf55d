"""Every command on an attention spec: dim, fiber, singular and profile work, each other one works
or refuses cleanly (exit 2, one error line naming attention)."""

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


# every command of the CLI on an attention spec: the arguments that make it cheap
COMMAND_ARGS = {
    "dim": [SPEC],
    "profile": [SPEC, "--budget", "5"],
    "strata": [SPEC],
    "singular": [SPEC],
    "critical": [SPEC],
    "edd": [SPEC],
    "fiber": [SPEC],
    "equations": [SPEC],
    "degree": [SPEC],
    "member": [SPEC, "--point", "{point}"],
    "train": [SPEC, "--seeds", "2", "--steps", "5", "--samples", "10", "--no-plots"],
    "bias": [SPEC, "cnn k=2,2 x^2"],
    "fisher": [SPEC],
    "apo": ["--model", SPEC],
    "plot": [SPEC, "-o", "{png}"],
}
NO_SPEC = {
    "solve": "reads a polynomial system file, not an architecture",
    "sweep": "starts a cluster: tested in a fresh process below",
    "atlas": "reads a store, not an architecture",
}
WORKS = {"dim", "profile", "singular", "fiber"}  # attention's own paths: must succeed


def _command_names() -> list[str]:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]
    return sorted({*names, *(g.name for g in app.registered_groups if g.name)})


def test_every_command_is_listed() -> None:
    # a new command must say here what it does with attention
    assert set(_command_names()) == set(COMMAND_ARGS) | set(NO_SPEC)


@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
def test_every_command_works_or_refuses_cleanly(command: str, tmp_path: Path) -> None:
    point = tmp_path / "point.json"
    point.write_text(json.dumps([1] * 80))
    args = [a.format(point=point, png=tmp_path / "x.png") for a in COMMAND_ARGS[command]]
    r = CliRunner().invoke(app, [command, *args])
    assert "Traceback" not in r.output
    if command in WORKS or r.exit_code == 0:
        assert r.exit_code == 0, r.output
        return
    assert r.exit_code == 2, r.output
    low = r.output.lower()
    assert low.count("error:") == 1 and ("attn" in low or "attention" in low), r.output


def test_singular_reports_the_loci_and_refuses_deep_specs() -> None:
    r = CliRunner().invoke(app, ["singular", "attn t=2 d=3 a=2", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["dimension"] == 16 and out["certified"] is True
    assert out["singular"] == ["rank A = 1 < min(a, d)", "f = 0"]
    r = CliRunner().invoke(app, ["singular", "attn t=2 d=2 a=1,1"])
    assert r.exit_code == 2 and "not supported yet for attention" in r.output


def test_fiber_counts_the_swap_orbits() -> None:
    r = CliRunner().invoke(app, ["fiber", "attn t=2 d=2,1 a=1", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    # key ↔ value: two orbits of GL(1) × rescaling, counted exactly
    assert out["size"] == 2 and out["identifiable"] == "no"
    # counted by msolve over two random primes: probable, and the JSON key stays (false)
    assert (out["certainty"], out["certified"]) == ("probable", False)
    r = CliRunner().invoke(app, ["fiber", "attn t=2 d=2,1 a=1", "--method", "monodromy"])
    assert r.exit_code == 2 and "--method exact" in r.output


@pytest.mark.slow
def test_sweep_over_attention_sizes(tmp_path: Path) -> None:
    # a fresh process: the sweep starts a local cluster
    family = tmp_path / "attn.toml"
    family.write_text(
        'invariants = ["dim"]\n[[attn]]\ndepth = 1\ntokens = 2\nwidths = "2..3"\nattention = 1\n'
    )
    store = str(tmp_path / "a.db")
    cmd = [sys.executable, "-m", "neurovariety", "sweep", str(family), "--store", store]
    r = subprocess.run([*cmd, "--workers", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    q = [sys.executable, "-m", "neurovariety", "atlas", "query", "--store", store, "--json"]
    rows = json.loads(subprocess.run(q, capture_output=True, text=True, timeout=120).stdout)
    dims = {row["architecture"]: row["value"] for row in rows["rows"]}
    # HMK: a(2d − a) + d·d' − 1
    assert dims == {"attn t=2 d=2,2 a=1": 6, "attn t=2 d=3,3 a=1": 13, "attn t=2 d=2,3 a=1": 8,
                    "attn t=2 d=3,2 a=1": 10}  # fmt: skip
