"""The train / bias / fisher / apo commands through typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from neurovariety.cli.experiments import register

app = typer.Typer()
register(app)
runner = CliRunner()
SMALL = ["--steps", "50", "--records", "5", "--batch-seeds", "2", "--samples", "20"]


def test_train_json_keys_and_resume(tmp_path: Path) -> None:
    args = ["train", "mlp 2-2-1 x^2", "--seeds", "2", *SMALL, "--out", str(tmp_path), "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    for key in ("fraction_on_strata", "ci_low", "ci_high", "seeds", "final_loss_median"):
        assert key in data
    assert data["seeds"] == 2 and data["computed"] == 2
    assert (tmp_path / "summary.json").exists()
    assert (tmp_path / "distance_histogram.png").stat().st_size > 1000
    again = json.loads(runner.invoke(app, [*args, "--no-plots"]).stdout)
    assert (again["computed"], again["resumed"]) == (0, 2)
    assert again["final_loss_median"] == data["final_loss_median"]


def test_train_with_teacher_and_errors(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["train", "mlp 2-2-1 x^2", "--teacher", "mlp 2-1-1 x^2", "--seeds", "2", *SMALL]
    )
    assert res.exit_code == 0, res.output
    assert "teacher mlp 2-1-1 x^2" in res.stdout
    res = runner.invoke(app, ["train", "mlp 2-2-1 x^2", "--teacher", "mlp 3-1-1 x^2"])
    assert res.exit_code == 2 and "inputs" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["train", "mlp 2-x-1 x^2"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["train", "mlp 2-2-1 x^2", "--optimizer", "lbfgs"])
    # refused at parse time: the choices are listed
    assert res.exit_code == 2 and all(o in res.output for o in ("adam", "sgd", "gd"))


def test_bias_runs_both_and_plots(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "bias",
            "mlp 2-2-1 x^2",
            "cnn k=2,2 x^2",
            "--seeds",
            "2",
            "--optimizer",
            "adam",
            "--lr",
            "0.01",
            *SMALL,
            "--targets",
            "random",
            "--lr-cnn",
            "0.02",
            "--init-scale",
            "0.3",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["mlp"]["seeds"] == data["cnn"]["seeds"] == 2
    assert (data["mlp"]["lr"], data["cnn"]["lr"], data["cnn"]["init_scale"]) == (0.01, 0.02, 0.3)
    assert data["mlp"]["step_control"] == "none"  # auto: a line search only for gd
    assert (
        set(data["p_values"]) == set(data["mlp"]["criteria"])
        and data["headline"] in data["p_values"]
    )
    names = ("bias_fractions.png", "bias_distance_histogram.png", "bias_loss_curves.png")
    for name in (*names, "bias_trajectories.png"):
        assert (tmp_path / name).stat().st_size > 1000
    res = runner.invoke(app, ["bias", "cnn k=2,2 x^2", "mlp 2-2-1 x^2", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "MLP with a CNN" in res.output


def test_fisher_and_apo_commands(tmp_path: Path) -> None:
    res = runner.invoke(app, ["fisher", "mlp 2-2-1 x^3+x^2", "--json"])
    assert res.exit_code == 0, res.output
    points = json.loads(res.stdout)["points"]
    assert [p["certified"] for p in points] == [True] * 4
    res = runner.invoke(app, ["fisher", "mlp 2-2-1 x^3+x^2"])
    assert "inactive-out" in res.stdout
    res = runner.invoke(
        app,
        [
            "apo",
            "--model",
            "mlp 1-1-1 x^3+x^2",
            "--ns",
            "50",
            "--trials",
            "8",
            "--restarts",
            "2",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [r["truth"] for r in data["results"]] == ["regular", "singular"]
    assert (tmp_path / "apo_errors.png").stat().st_size > 1000
    res = runner.invoke(app, ["apo", "--ns", "5O", "--out", str(tmp_path)])
    assert res.exit_code == 2


def test_train_on_a_user_csv_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 2))
    Y = (X[:, :1] - X[:, 1:]) ** 2
    np.savetxt(tmp_path / "data.csv", np.hstack([X, Y]), delimiter=",", header="x0,x1,y")
    args = [
        "train",
        "mlp 2-2-1 x^2",
        "--data",
        str(tmp_path / "data.csv"),
        "--seeds",
        "2",
        *SMALL,
        "--json",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["data"] == "file data.csv"
    res = runner.invoke(app, [*args[:4], "--teacher", "mlp 2-1-1 x^2"])
    assert res.exit_code == 2 and "not both" in res.output


def test_interruption_message_and_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neurovariety.experiments.training as training

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "train", interrupted)
    res = runner.invoke(app, ["train", "mlp 2-2-1 x^2", "--out", str(tmp_path)])
    assert res.exit_code == 130
    assert "rerun the same command to resume" in res.output


def test_train_a_2d_convolution_and_bias_refuses_attention(tmp_path: Path) -> None:
    spec = "cnn k=2x2,2x2 x^2"  # paddings along each axis and its hidden channel are strata
    args = ["train", spec, "--seeds", "1", "--steps", "5", "--records", "1", "--samples", "10"]
    res = runner.invoke(app, [*args, "--batch-seeds", "1", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert list(data["criteria"])[-1] == "rank drop + function" and data["has_strata"]
    assert "padding filter 2 axis 1" in data["strata_counts"]
    assert (tmp_path / "distance_histogram.png").exists()
    res = runner.invoke(app, ["bias", "mlp 2-2-1 x^2", "attn t=2 d=2 a=1", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "needs subnetwork strata" in res.output
