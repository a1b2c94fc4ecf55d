"""The command line's contract: every command takes --json, --seed, -q/--quiet and (unless it is
always instant) --time-limit; --help lists the choices and bad ones are refused at parse time;
every --json output starts with the same provenance keys; exit codes 0 ok, 1 internal error,
2 bad input, 3 a limit reached, 130 interrupted; -q leaves stderr empty; nothing heavy is imported
to start, piped output is not cut, progress never reaches stdout."""

from __future__ import annotations

import enum
import functools
import importlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
import warnings
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from neurovariety.cli import app, contract

runner = CliRunner()
HEAVY = ("jax", "jaxlib", "optax", "numpy", "scipy", "sympy", "matplotlib", "dask", "flint")
# commands that compute nothing random: a seed would be a lie
NO_SEED = {
    "atlas query": "reads rows of a store",
    "atlas export": "copies rows of a store",
    "atlas plot": "draws rows of a store",
}
# commands that always finish at once: a time limit would never be reached
NO_TIME_LIMIT = {
    "atlas query": "one SQL query on a store",
    "atlas export": "copies rows of a store",
    "atlas plot": "draws rows of a store",
}
PROVENANCE = ("command", "seed", "version", "seconds")
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
    ("atlas plot", "--kind"): ("heatmap", "thresholds", "values"),
    ("edd", "--real-method"): "neurovariety.landscape.ed_real:REAL_METHODS",
    ("plot", "--slice"): ("variety", "loss"),
    ("plot", "--plane"): "neurovariety.report.slices:PLANES",
    ("bias", "--step-control"): "neurovariety.experiments.training:STEP_CONTROLS",
    ("solve", "--method"): "neurovariety.nag.solve:METHODS",
    ("solve", "--start"): "neurovariety.nag.solve:START_SYSTEMS",
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
        console = contract._Console(file=buf, force_terminal=terminal, width=100)
        monkeypatch.setattr(contract, "err_console", console)
        with contract.status("counting the fiber") as describe:
            describe("counting the fiber: 3 points")
            time.sleep(0.3)
        assert ("counting the fiber" in buf.getvalue()) == terminal
    # --quiet: not even on a terminal
    buf = io.StringIO()
    monkeypatch.setattr(contract, "err_console", contract._Console(file=buf, force_terminal=True))
    monkeypatch.setattr(contract, "_run", contract._Run(quiet=True))
    with contract.status("counting the fiber"):
        time.sleep(0.3)
    assert buf.getvalue() == ""


def test_the_compile_cache_folder(tmp_path: Path) -> None:
    # JAX reads JAX_COMPILATION_CACHE_DIR when imported (the next test runs it end to end)
    code = (
        "import os, sys\n"
        "from neurovariety.cli.contract import enable_compile_cache\n"
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


# -- options, provenance, exit codes and --quiet on every command --

SPEC = "lcn k=3,2 s=2"  # the cheapest spec with an equation, strata and a finite ED degree
SMALL_TRAIN = ["--steps", "5", "--records", "2", "--samples", "8", "--batch-seeds", "2"]


def _help(name: str) -> str:
    res = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.parametrize("name", sorted(_commands()))
def test_help_lists_the_contract_options(name: str) -> None:
    flags, text = _flags(_commands()[name]), _help(name)
    for flag in ("--json", "--quiet", "-q"):
        assert flag in flags and flag in text, f"{name}: {flag}"
    assert ("--time-limit" in flags) != (name in NO_TIME_LIMIT), f"{name}: --time-limit"
    assert ("--seed" in text) != (name in NO_SEED), f"{name}: --seed in --help"


def test_top_level_help_documents_the_exit_codes() -> None:
    text = " ".join(runner.invoke(app, ["--help"], env={"COLUMNS": "400"}).output.split())
    for code in ("0 ok", "1 internal error", "2 bad input", "3 a limit was reached", "130"):
        assert code in text, code
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "| 3 |" in readme and "| 130 |" in readme


def _store(tmp: Path) -> Path:
    """An atlas with one dim row per spec, computed in this process (no Dask cluster)."""
    from neurovariety.sweeps.family import family_from_dict
    from neurovariety.sweeps.run import run_batch
    from neurovariety.sweeps.store import Store

    db = tmp / "atlas.db"
    tasks = family_from_dict({"specs": [SPEC, "mlp 2-3-1 x^2"], "invariants": ["dim"]}).tasks()
    outcomes = run_batch([(t.target, t.spec, t.options) for t in tasks], None, None)
    with Store(db) as st:
        st.add(zip(tasks, outcomes, strict=True))
    return db


def _quick_cases(tmp: Path) -> dict[str, list[str]]:
    (tmp / "point.txt").write_text("0 0 0 0 0\n")
    (tmp / "sys.txt").write_text("x^2 - 4\n")
    return {
        "dim": ["dim", SPEC],
        "profile": ["profile", SPEC, "--budget", "0"],
        "strata": ["strata", SPEC],
        "singular": ["singular", SPEC],
        "edd": ["edd", SPEC],
        "fiber": ["fiber", SPEC],
        "equations": ["equations", SPEC],
        "degree": ["degree", SPEC],
        "member": ["member", SPEC, "--point", str(tmp / "point.txt")],
        "solve": ["solve", str(tmp / "sys.txt")],
        "fisher": ["fisher", "mlp 2-1-1 x^2"],
        "plot": ["plot", SPEC, "--out", str(tmp / "slice.png"), "--reach", "0"],
    }


def _slow_cases(tmp: Path) -> dict[str, list[str]]:
    t = "mlp 2-1-1 x^2"
    return {
        "critical": ["critical", t],
        "sweep": ["sweep", "--spec", SPEC, "--store", str(tmp / "s.db"), "--workers", "1"],
        "train": ["train", t, "--seeds", "2", *SMALL_TRAIN, "--no-plots"],
        "bias": ["bias", t, "cnn k=2 x^2", "--seeds", "1", *SMALL_TRAIN, "--out", str(tmp)],
        "apo": [
            "apo",
            "--model",
            t,
            "--ns",
            "10",
            "--trials",
            "2",
            "--restarts",
            "1",
            "--iters",
            "2",
            "--out",
            str(tmp),
        ],  # fmt: skip
    }


def _atlas_cases(db: Path, tmp: Path) -> dict[str, list[str]]:
    return {
        "atlas query": ["atlas", "query", "--store", str(db)],
        "atlas export": ["atlas", "export", "--store", str(db), "--out", str(tmp / "a.csv")],
        "atlas plot": ["atlas", "plot", "--store", str(db), "--out", str(tmp / "a.png")],
    }


def test_every_command_has_a_contract_run(tmp_path: Path) -> None:
    covered = {
        **_quick_cases(tmp_path),
        **_slow_cases(tmp_path),
        **_atlas_cases(tmp_path, tmp_path),
    }
    assert set(covered) == set(_commands()), "give a new command a cheap run in this file"


def _check_json_run(name: str, args: list[str]) -> dict[str, Any]:
    t0 = time.perf_counter()
    res = runner.invoke(app, [*args, "--json", "-q"])
    wall = time.perf_counter() - t0
    assert res.exit_code == 0, (name, res.output[-2000:])
    assert res.stderr == "", (name, res.stderr[-2000:])  # -q: nothing but the result
    assert res.stdout.startswith('{\n  "command": '), name  # indented like every command
    out = json.loads(res.stdout)
    assert list(out)[:2] in (["command", "architecture"], ["command", "input"]), name
    assert set(PROVENANCE) <= set(out), name
    assert out["command"] == name
    from neurovariety import __version__

    assert out["version"] == __version__
    # sweep: None keeps each invariant's own seed (the family's, else 0)
    assert out["seed"] == (None if name in NO_SEED or name == "sweep" else 0)
    assert 0 <= out["seconds"] <= wall
    return out


def test_quick_runs_keep_the_contract(tmp_path: Path) -> None:
    outs = {n: _check_json_run(n, a) for n, a in _quick_cases(tmp_path).items()}
    assert outs["dim"]["architecture"] == SPEC and outs["solve"]["input"].endswith("sys.txt")
    assert outs["member"]["architecture"] == SPEC and outs["member"]["input"].endswith("point.txt")
    # public properties are serialised with the fields (FisherResult.rank is a property)
    assert {"rank", "deficient"} <= set(outs["fisher"]["points"][0])
    db = _store(tmp_path)
    for name, args in _atlas_cases(db, tmp_path).items():
        out = _check_json_run(name, args)
        assert out["input"] == str(db)
    assert (
        len(_check_json_run("atlas query", _atlas_cases(db, tmp_path)["atlas query"])["rows"]) == 2
    )


@pytest.mark.slow
def test_long_commands_keep_the_contract(tmp_path: Path) -> None:
    for name, args in _slow_cases(tmp_path).items():
        _check_json_run(name, args)


def test_exit_code_2_on_bad_input(tmp_path: Path) -> None:
    res = runner.invoke(app, ["dim", "mlp 2-3", "-q"])
    assert res.exit_code == 2 and "error:" in res.stderr and res.stdout == ""
    empty = tmp_path / "empty.db"
    from neurovariety.sweeps.store import Store

    Store(empty).close()
    res = runner.invoke(
        app, ["atlas", "plot", "--store", str(empty), "--out", str(tmp_path / "a.png")]
    )
    assert res.exit_code == 2 and "no MLP 'dim' results" in res.stderr


def test_exit_code_3_and_the_partial_result_when_a_search_runs_out_of_time() -> None:
    # a monodromy search given 10 ms stops at its time budget with what it found
    args = ["edd", SPEC, "--method", "monodromy", "--time-limit", "0.01", "--json", "-q"]
    res = runner.invoke(app, args)
    assert res.exit_code == 3, res.output[-2000:]
    out = json.loads(res.stdout)  # the partial result is printed
    assert out["ledger"]["stop_reason"].startswith("time budget")
    assert out["count"] < out["formula"]  # below the closed formula: the search was cut
    res = runner.invoke(app, args[:-2])  # the summary, and a note on stderr without -q
    assert res.exit_code == 3 and "partial" in res.stderr


def test_exit_code_3_when_the_time_limit_stops_a_command_without_one() -> None:
    # equations has no time budget of its own: the alarm of --time-limit stops it
    res = runner.invoke(app, ["equations", SPEC, "--max-degree", "4", "--time-limit", "1e-6"])
    assert res.exit_code == 3 and res.stdout == ""
    assert "time limit of 1e-06 s was reached" in res.stderr


def _zero_seconds_runs(cases: dict[str, list[str]]) -> dict[str, tuple[int, float, str]]:
    out = {}
    for name, args in cases.items():
        t0 = time.perf_counter()
        res = runner.invoke(app, [*args, "--time-limit", "0", "-q"])
        out[name] = (res.exit_code, time.perf_counter() - t0, res.output[-1000:])
    return out


def test_time_limit_zero_is_zero_seconds_for_every_command(tmp_path: Path) -> None:
    # one rule (README, each --time-limit help): 0 stops at the first check with exit code 3,
    # never "no limit"; the alarm of a command that checks nothing itself rings at once
    runs = _zero_seconds_runs(_quick_cases(tmp_path))
    assert {n: r for n, r in runs.items() if r[0] != 3} == {}
    # stopped at a check, not run to the end: no run takes the alarm's grace (10 s)
    assert {n: r[1] for n, r in runs.items() if r[1] > 8.0} == {}


@pytest.mark.slow
def test_time_limit_zero_on_the_long_commands(tmp_path: Path) -> None:
    cases = _slow_cases(tmp_path)
    # a sweep checks its clock as each batch ends: with two tasks, one is left at that check
    cases["sweep"] += ["--spec", "mlp 2-1-1 x^2"]
    runs = _zero_seconds_runs(cases)
    assert {n: r for n, r in runs.items() if r[0] != 3} == {}
    # with one task, the first check finds the sweep done: complete, not partial
    (tmp_path / "one").mkdir()
    one = _zero_seconds_runs({"sweep": _slow_cases(tmp_path / "one")["sweep"]})
    assert one["sweep"][0] == 0, one


def test_time_limit_zero_where_no_check_is_made() -> None:
    # strata --count is a closed form: it makes no check, so it prints the whole count, exit 0
    # (exit 3 promises a partial result); the listing stops at its first check
    res = runner.invoke(app, ["strata", SPEC, "--count", "--time-limit", "0", "--json", "-q"])
    assert res.exit_code == 0 and json.loads(res.stdout)["count"] > 0
    res = runner.invoke(app, ["strata", SPEC, "--time-limit", "0", "--json", "-q"])
    out = json.loads(res.stdout)
    assert res.exit_code == 3 and out["listed"] == 0 and out["out_of_time"] is True
    # attention's loci check no clock of their own: the check comes before them
    res = runner.invoke(app, ["singular", "attn t=2 d=2 a=1", "--time-limit", "0", "-q"])
    assert res.exit_code == 3 and res.stdout == ""


def test_the_singular_locus_keeps_the_time_limit() -> None:
    # --locus used to ignore --time-limit; it is checked between the steps now
    for limit, where in (("0", "before the equations of V"), ("1e-9", "of V")):
        res = runner.invoke(app, ["singular", SPEC, "--locus", "--time-limit", limit])
        assert res.exit_code == 3, res.output[-2000:]
        assert res.stdout == ""  # a part of the locus proves nothing: no result
        assert f"reached the time limit of {float(limit):g} s" in res.stderr
        assert where in res.stderr
    from neurovariety import parse_architecture
    from neurovariety.errors import BudgetExceededError, NeurovarietyError
    from neurovariety.invariants.singular_locus import singular_locus

    with pytest.raises(BudgetExceededError):
        singular_locus(parse_architecture(SPEC), seconds=0)
    with pytest.raises(NeurovarietyError, match="seconds"):
        singular_locus(parse_architecture(SPEC), seconds=-1.0)


def test_exit_code_3_when_a_budget_refuses_the_work() -> None:
    # a witness set given 1 ms: the degree's own deadline refuses to go on (no result)
    res = runner.invoke(app, ["degree", SPEC, "--method", "witness", "--time-limit", "0.001"])
    assert res.exit_code == 3, res.output[-2000:]


def test_the_alarm_restores_an_earlier_timer() -> None:
    rang = []
    previous = signal.signal(signal.SIGALRM, lambda *_: rang.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 5.0)
        with contract._alarm(1.0):
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 3.0 < left <= 5.0  # the runner's own timer goes on
        with pytest.raises(contract._TimeUp), contract._alarm(0.05):
            time.sleep(1.0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not rang


@pytest.mark.parametrize(("error", "code"), [(KeyboardInterrupt(), 130), (RuntimeError("boom"), 1)])
def test_exit_codes_130_and_1(
    monkeypatch: pytest.MonkeyPatch, error: BaseException, code: int
) -> None:
    def fail(_spec: str) -> None:
        raise error

    monkeypatch.setattr("neurovariety.cli.invariants.parse_spec", fail)
    res = runner.invoke(app, ["dim", SPEC, "-q"])
    assert res.exit_code == code and res.stdout == ""
    assert ("interrupted" if code == 130 else "internal error: RuntimeError: boom") in res.stderr


@pytest.mark.filterwarnings("ignore:a library's warning")
def test_quiet_silences_warnings_and_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    real = contract.parse_spec

    def noisy(spec: str) -> Any:
        warnings.warn("a library's warning", UserWarning, stacklevel=1)
        contract.note("note: something for people")
        return real(spec)

    monkeypatch.setattr("neurovariety.cli.invariants.parse_spec", noisy)
    loud = runner.invoke(app, ["dim", SPEC])
    assert "note: something for people" in loud.stderr
    quiet = runner.invoke(app, ["dim", SPEC, "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout.splitlines()[:-1] == loud.stdout.splitlines()[:-1]  # timings aside


def test_report_limit_reads_the_result_json() -> None:
    for cut in (
        {"ledger": {"stop_reason": "time budget (1 s) exhausted"}},
        {"evidence": {"stop_reason": "time budget (1 s) exhausted"}},
        [{"out_of_time": True}],
    ):
        contract._run = contract._Run()
        contract.report_limit(cut)
        assert contract._run.limit_reached, cut
    contract._run = contract._Run()
    contract.report_limit({"stop_reason": "no new solutions in 128 crossings", "rows": []})
    assert not contract._run.limit_reached


@pytest.mark.slow  # starts a local Dask cluster (~5 s)
def test_no_dashboard_port_warning_when_8787_is_taken() -> None:
    from neurovariety.sweeps.run import open_client

    with socket.socket() as busy:
        try:
            busy.bind(("127.0.0.1", 8787))
            busy.listen()
        except OSError:
            pass  # taken already: the case itself
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client, cluster, _ = open_client(workers=1)
            client.close()
            cluster.close()
    assert not [w for w in caught if "8787" in str(w.message)]


def test_the_exit_code_survives_calls_left_running(monkeypatch: pytest.MonkeyPatch) -> None:
    # a search cut by its time limit abandons homotopy calls; the process then ends through
    # nag.tracker's exit hook, which must keep the command's code (it used to force 1)
    from neurovariety.nag import tracker

    monkeypatch.setattr(tracker._WORKERS, "exit_code", None)
    res = runner.invoke(app, ["edd", SPEC, "--method", "monodromy", "--time-limit", "0.01", "-q"])
    assert res.exit_code == 3 and tracker._WORKERS.exit_code == 3
    assert runner.invoke(app, ["dim", SPEC]).exit_code == tracker._WORKERS.exit_code == 0


@pytest.mark.slow
def test_a_partial_fiber_exits_3_in_a_fresh_process() -> None:
    args = ["fiber", "mlp 2-2-1 x^3+x^2", "--method", "monodromy", "--time-limit", "0.5"]
    res = _run("-m", "neurovariety", *args, "--json", "-q")
    assert res.returncode == 3, (res.returncode, res.stderr[-2000:])
    assert json.loads(res.stdout)["evidence"]["stop_reason"].startswith("time budget")
