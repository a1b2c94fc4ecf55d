"""The command line's contract: every command takes --json and --seed, --help lists the
choices and bad ones are refused at parse time, nothing heavy is imported to start, piped
output is not cut, progress never reaches stdout."""

from __future__ import annotations

import enum
import functools
import importlib
import io
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from neurovariety import clitools
from neurovariety.cli import app

runner = CliRunner()
HEAVY = ("jax", "jaxlib", "optax", "numpy", "scipy", "sympy", "matplotlib", "dask", "flint")
# commands that compute nothing random: a seed would be a lie
NO_SEED = {
    "atlas query": "reads rows of a store",
    "atlas export": "copies rows of a store",
    "atlas plot": "draws rows of a store",
}
CLEAN_CACHE_ENV: dict[str, str | None] = {
    "JAX_COMPILATION_CACHE_DIR": None,
    "NEUROVARIETY_COMPILE_CACHE": None,
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": None,
}
# every option whose values are a fixed set, with the values the library itself accepts
CHOICES = {
    ("dim", "--method"): ("exact", "numeric"),
    ("edd", "--form"): ("generic", "data"),
    ("edd", "--method"): "neurovariety.landscape.edd:METHODS",
    ("fiber", "--method"): "neurovariety.invariants.identifiability:FIBER_METHODS",
    ("equations", "--format"): ("text", "latex", "m2", "singular", "json"),
    ("equations", "--method"): ("interpolation", "lcn"),
    ("degree", "--method"): "neurovariety.invariants.degree:METHODS",
    ("train", "--optimizer"): "neurovariety.experiments.training:OPTIMIZERS",
    ("bias", "--optimizer"): "neurovariety.experiments.training:OPTIMIZERS",
    ("bias", "--targets"): "neurovariety.experiments.bias:TARGETS",
    ("fisher", "--method"): ("auto", "exact", "monte-carlo"),
    ("atlas plot", "--kind"): ("heatmap", "thresholds"),
}


# typer builds click commands (its own copy of click in recent versions): read them by shape


@functools.cache
def _commands() -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(cmd: Any, path: str) -> None:
        if hasattr(cmd, "commands"):  # a group
            for name, sub in cmd.commands.items():
                walk(sub, f"{path} {name}".strip())
        else:
            out[path] = cmd

    walk(typer.main.get_command(app), "")
    return out


def _options(cmd: Any) -> list[Any]:
    return [p for p in cmd.params if p.param_type_name == "option"]


def _option(cmd: Any, flag: str) -> Any:
    return next(p for p in _options(cmd) if flag in p.opts)


def _flags(cmd: Any) -> set[str]:
    return {o for p in _options(cmd) for o in [*p.opts, *p.secondary_opts]}


def _choices(option: Any) -> tuple[str, ...] | None:
    """The values a choice option accepts (click.Choice, or an Enum for typer), else None."""
    if hasattr(getattr(option, "type", None), "choices"):
        return tuple(option.type.choices)
    annotation = option.type_descriptor.annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(m.value for m in annotation)
    return None


def _library_values(source: tuple[str, ...] | str) -> tuple[str, ...]:
    if isinstance(source, tuple):
        return source
    import importlib

    module, _, name = source.partition(":")
    return tuple(getattr(importlib.import_module(module), name))


def test_the_walk_finds_every_command() -> None:
    names = set(_commands())
    assert {"dim", "profile", "solve", "equations", "sweep", "atlas query", "apo"} <= names
    assert len(names) >= 19


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_takes_json_and_seed(name: str) -> None:
    flags = _flags(_commands()[name])
    assert "--json" in flags, f"{name} has no --json"
    assert ("--seed" in flags) != (name in NO_SEED), f"{name}: --seed"


@pytest.mark.parametrize("name", sorted(_commands()))
def test_seeds_default_to_zero(name: str) -> None:
    if name in NO_SEED:
        return
    default = _option(_commands()[name], "--seed").default
    # sweep: None keeps each invariant's own default seed (0)
    assert default == 0 or (name == "sweep" and default is None)


@pytest.mark.parametrize(("name", "flag"), sorted(CHOICES))
def test_choices_are_typed_and_listed_by_help(name: str, flag: str) -> None:
    choices = _choices(_option(_commands()[name], flag))
    assert choices is not None, f"{name} {flag} is an untyped string"
    assert choices == _library_values(CHOICES[name, flag])
    res = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0 and "|".join(choices) in res.output


def test_a_bad_choice_is_refused_before_any_work() -> None:
    t0 = time.perf_counter()
    res = runner.invoke(app, ["degree", "mlp 2-3-2-3-4 x^2", "--method", "guess"])
    assert res.exit_code == 2 and "guess" in res.output and "Traceback" not in res.output
    assert time.perf_counter() - t0 < 2.0


def test_version_and_short_help() -> None:
    from neurovariety import __version__

    for flag in ("--version", "-V"):
        res = runner.invoke(app, [flag])
        assert res.exit_code == 0 and res.output.strip() == f"neurovariety {__version__}"
    assert runner.invoke(app, ["-h"]).output == runner.invoke(app, ["--help"]).output
    assert "Usage:" in runner.invoke(app, ["dim", "-h"]).output


def _run(*args: str, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
    """Run Python in a fresh process; ``env`` values None remove a variable."""
    merged: dict[str, str | None] = {**os.environ, "COLUMNS": None, "LINES": None, **(env or {})}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env={k: v for k, v in merged.items() if v is not None},
        timeout=120,
        check=False,
    )


def _imported(importtime_log: str) -> set[str]:
    # `python -X importtime` writes one line per module imported: "import time: … | name"
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime_log.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_import_and_help_load_nothing_heavy() -> None:
    for args in (["-c", "import neurovariety"], ["-m", "neurovariety", "--help"]):
        res = _run("-X", "importtime", *args)
        assert res.returncode == 0, res.stderr[-2000:]
        loaded = {m.split(".")[0] for m in _imported(res.stderr)}
        assert not loaded & set(HEAVY), (args, sorted(loaded & set(HEAVY)))
    assert "Usage: neurovariety" in _run("-m", "neurovariety", "--help").stdout


def test_the_flat_api_and_submodules_that_share_a_name() -> None:
    import neurovariety

    for name in neurovariety.__all__:
        assert getattr(neurovariety, name) is not None
    with pytest.raises(AttributeError):
        neurovariety.no_such_name  # noqa: B018
    # nag.solve and nag.certify are functions, also once their modules are imported
    import neurovariety.nag as nag

    importlib.import_module("neurovariety.nag.solve")
    importlib.import_module("neurovariety.nag.certify")
    assert not isinstance(nag.solve, types.ModuleType)
    assert not isinstance(nag.certify, types.ModuleType)


def test_a_submodule_import_first_does_not_hide_the_function(tmp_path: Path) -> None:
    # the same order in a fresh process, on a package of the same shape without JAX
    pkg = tmp_path / "lazypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from neurovariety import lazy_exports\nlazy_exports(__name__, {'solve': '.solve'})\n"
    )
    (pkg / "solve.py").write_text("def solve():\n    return 42\n")
    code = (
        "import importlib, types, lazypkg\n"
        "importlib.import_module('lazypkg.solve')\n"
        "from lazypkg import solve\n"
        "print(solve())\n"
    )
    res = _run("-c", code, env={"PYTHONPATH": str(tmp_path)})
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "42"


def test_piped_output_is_not_cut_at_80_columns() -> None:
    res = _run("-m", "neurovariety", "dim", "mlp 2-3-2-2 x^2 bias")
    assert res.returncode == 0, res.stderr
    probable = [line for line in res.stdout.splitlines() if line.startswith("• probable:")]
    assert len(probable) == 1 and probable[0].endswith("(Schwartz–Zippel)"), res.stdout
    res = _run("-m", "neurovariety", "profile", "lcn k=3,2 s=2", "--budget", "0")
    assert res.returncode == 0, res.stderr
    row = next(line for line in res.stdout.splitlines() if "generic ED degree" in line)
    assert "(KMST, DHOST Thm 5.8)" in row  # the whole cell on one line, no ellipsis


def test_columns_still_sets_the_width() -> None:
    res = runner.invoke(app, ["dim", "mlp 2-3-2-2 x^2 bias"], env={"COLUMNS": "60"})
    assert res.exit_code == 0 and max(len(line) for line in res.output.splitlines()) <= 60


def test_json_is_one_document_on_stdout() -> None:
    for args in (
        ["equations", "lcn k=3,2 s=2", "--json"],
        ["degree", "lcn k=3,2 s=2", "--json"],
        ["singular", "cnn k=2,2 x^2", "--stratum", "padding 0|1 1|0", "--json"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        assert res.stdout.startswith(("{\n  ", "[\n  ")), args  # indented, like every command
        json.loads(res.stdout)
    eqs = json.loads(runner.invoke(app, ["equations", "lcn k=3,2 s=2", "--json"]).stdout)
    assert [e["degree"] for e in eqs["equations"]] == [3]  # the cubic c1c2c3 − c0c3² − c1²c4
    # one entry per stratum, with --stratum too (as `critical`)
    args = ["singular", "cnn k=2,2 x^2", "--stratum", "padding 0|1 1|0", "--json"]
    verdicts = json.loads(runner.invoke(app, args).stdout)["strata"]
    assert [v["verdict"] for v in verdicts] == ["yes"]  # PCN node
    bad = runner.invoke(app, ["equations", "lcn k=3,2 s=2", "--json", "--format", "m2"])
    assert bad.exit_code == 2 and "--json" in bad.output


def test_solve_seeds_zero_by_default(tmp_path: Path) -> None:
    f = tmp_path / "sys.txt"
    f.write_text("x^2 - 4\n")
    out = json.loads(runner.invoke(app, ["solve", str(f), "--json"]).stdout)
    assert out["seed"] == 0 and out["nsolutions"] == 2


def test_status_draws_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for terminal in (False, True):
        buf = io.StringIO()
        console = clitools._Console(file=buf, force_terminal=terminal, width=100)
        monkeypatch.setattr(clitools, "err_console", console)
        with clitools.status("counting the fiber") as describe:
            describe("counting the fiber: 3 points")
            time.sleep(0.3)
        assert ("counting the fiber" in buf.getvalue()) == terminal


def test_the_compile_cache_folder(tmp_path: Path) -> None:
    # JAX reads JAX_COMPILATION_CACHE_DIR when imported (the next test runs it end to end)
    code = (
        "import os, sys\n"
        "from neurovariety.clitools import enable_compile_cache\n"
        "print(enable_compile_cache(sys.argv[1] == 'on'))\n"
        "print(os.environ.get('JAX_COMPILATION_CACHE_DIR'))\n"
    )
    xdg = {**CLEAN_CACHE_ENV, "XDG_CACHE_HOME": str(tmp_path)}
    expected = str(tmp_path / "neurovariety" / "jax")
    assert _run("-c", code, "on", env=xdg).stdout.split() == [expected, expected]
    off = {**xdg, "NEUROVARIETY_COMPILE_CACHE": "off"}
    assert _run("-c", code, "on", env=off).stdout.split() == ["None", "None"]
    assert _run("-c", code, "off", env=xdg).stdout.split() == ["None", "None"]
    mine = {**xdg, "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "mine")}
    assert _run("-c", code, "on", env=mine).stdout.split() == [str(tmp_path / "mine")] * 2


def test_a_numerical_command_fills_the_cache(tmp_path: Path) -> None:
    env = {
        **CLEAN_CACHE_ENV,
        "XDG_CACHE_HOME": str(tmp_path),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",  # cache even the smallest program
    }
    res = _run("-m", "neurovariety", "dim", "mlp 2-3-1 x^2", "--method", "numeric", env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert any((tmp_path / "neurovariety" / "jax").iterdir())
