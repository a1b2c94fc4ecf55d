"""Sweeps on a real Dask cluster: a scheduler and workers started here, as separate processes on
loopback; the 480-MLP defect sweep checked against independent formulas; kill and resume;
concurrent sweeps on one store; the CLI.

Independent checks (KTB arXiv:1905.12207, Alexander–Hirschowitz, FRWY arXiv:2408.04569, hand
derivations), never the code's own output:

* every dimension is at most :func:`formulas.mlp_upper_bound` (ambient, naive, composition and
  known-exact bounds) and the defect is ``formulas.mlp_expected_dim − dimension``;
* shallow single-output nets ``(d0, d1, 1)`` have the Alexander–Hirschowitz dimension
  :func:`formulas.shallow_mlp_dim`, defective exactly in the AH cases;
* equi-width nets are never defective (FRWY);
* width-one bottlenecks, derived by hand: with ``d_1 = 1`` the net is ``v·ℓ(x)^{r^{L-1}}``
  (up to scale), so ``dim = d_0 + d_L − 1``; with ``(d0, d1, 1, d3)`` it is ``v ⊗ p^r`` for a
  shallow ``p``, so ``dim = shallow_mlp_dim(d0, d1, r) + d3 − 1`` (one scaling in the fiber).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from neurovariety.cli.sweeps import register
from neurovariety.invariants import formulas
from neurovariety.sweeps import Store, family_from_dict, load_family, run_sweep

MLP_FAMILY = {
    "name": "mlp-defects",
    "invariants": ["dim"],
    "timeout": 120,
    "mlp": [{"depth": [2, 3], "widths": "1..4", "outputs": "1..3", "degrees": [2, 3]}],
}

# 54 MLPs of ~0.05-0.2 s each: slow enough to be killed half-way
SLOW_FAMILY_TOML = """
name = "slow"
invariants = ["dim"]
timeout = 120
[[mlp]]
depth = 4
inputs = 6
widths = "7..9"
outputs = [3, 4]
degrees = [3]
"""


def _wait_for(predicate, timeout: float, what: str, interval: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Dask scheduler and two single-threaded workers, each its own process, on 127.0.0.1."""
    d = tmp_path_factory.mktemp("dask")
    sfile = d / "scheduler.json"
    log = (d / "dask.log").open("w")
    common = ["--no-dashboard", "--host", "127.0.0.1"]
    sched = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", "0", "--scheduler-file",
         str(sfile), *common],
        stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    procs = [sched]
    try:
        _wait_for(lambda: sfile.exists() and sfile.stat().st_size > 0, 60, "the scheduler file")
        address = json.loads(sfile.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker_cmd = [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                      str(sfile), "--nworkers", "2", "--nthreads", "1", "--memory-limit", "2GiB",
                      *common]  # fmt: skip
        procs.append(subprocess.Popen(worker_cmd, stdout=log, stderr=log, start_new_session=True))
        import distributed

        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
            pids = set(client.run(os.getpid).values())
        assert sched.pid not in pids and os.getpid() not in pids  # really separate processes
        yield address
    finally:
        for p in reversed(procs):  # each group: nanny, worker processes, their sandboxes
            if _group_alive(p.pid):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)
        log.close()


def _bottleneck_dim(w: tuple[int, ...], r: int) -> int | None:
    """Dimension of an MLP with a hidden width-one layer (derived in the module docstring)."""
    if len(w) == 3 and w[1] == 1:
        return w[0] + w[2] - 1
    if len(w) == 4 and w[1] == 1:
        return w[0] + w[3] - 1
    if len(w) == 4 and w[2] == 1:
        return formulas.shallow_mlp_dim(w[0], w[1], r) + w[3] - 1
    return None


def test_mlp_defect_sweep_matches_theory(scheduler: str, tmp_path: Path) -> None:
    fam = family_from_dict(MLP_FAMILY)
    db = tmp_path / "atlas.db"
    report = run_sweep(fam, db, scheduler=scheduler)
    assert (report.tasks, report.ok, report.failed, report.timeout) == (480, 480, 0, 0)
    assert report.written == 480 and report.workers == 2

    with Store(db, readonly=True) as st:
        rows = st.query("invariant = 'dim'")
    assert len(rows) == 480
    seen = set()
    n_bottleneck = n_shallow = n_equal = 0
    defective_bottlenecks = set()
    for row in rows:
        w = tuple(json.loads(row["widths"]))
        r = row["degree"]
        seen.add((w, r))
        dim = row["dimension"]
        assert row["status"] == "ok"
        assert dim <= formulas.mlp_upper_bound(w, r), row["architecture"]
        assert row["defect"] == formulas.mlp_expected_dim(w, r) - dim
        assert row["expected_dim"] == formulas.mlp_expected_dim(w, r)
        assert row["n_params"] == formulas.mlp_n_params(w)
        if len(w) == 3 and w[2] == 1:
            n_shallow += 1
            assert dim == formulas.shallow_mlp_dim(w[0], w[1], r), row["architecture"]
            assert (row["defect"] > 0) == formulas.is_alexander_hirschowitz_defective(
                w[0], r, w[1]
            ), row["architecture"]
        if len(set(w)) == 1:
            n_equal += 1
            assert row["defect"] == 0, row["architecture"]
        expected_bottleneck = _bottleneck_dim(w, r)
        if expected_bottleneck is not None:
            n_bottleneck += 1
            assert dim == expected_bottleneck, row["architecture"]
            if row["defect"] > 0:
                defective_bottlenecks.add(row["architecture"])
    assert seen == {
        ((*ws, out), r)
        for L in (2, 3)
        for ws in itertools.product(range(1, 5), repeat=L)
        for out in (1, 2, 3)
        for r in (2, 3)
    }
    assert n_shallow == 32 and n_equal == 12 and n_bottleneck > 100
    # the AH cases (r = 2, 2 ≤ d1 ≤ d0 − 1) and the bottleneck defects both occur
    assert {"mlp 3-2-1 x^2", "mlp 4-2-1 x^2", "mlp 4-3-1 x^2"} <= {
        r["architecture"] for r in rows if r["defect"] > 0
    }
    assert {"mlp 2-3-1-1 x^3", "mlp 2-1-2-1 x^2"} <= defective_bottlenecks

    again = run_sweep(fam, db, scheduler=scheduler)  # resume: nothing left to do
    assert (again.skipped, again.ok, again.written) == (480, 0, 0)


def test_budgets_and_failures_are_recorded(scheduler: str, tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    slow = family_from_dict(
        {"specs": ["mlp 2-2-1 x^2", "mlp 8-40-40-40-8 x^3"], "invariants": ["dim"], "timeout": 1}
    )
    rep = run_sweep(slow, db, scheduler=scheduler, batch_size=1)
    bad = family_from_dict(
        {"specs": ["mlp 2-2-1 x^2"], "invariants": {"dim": {"primes": 1}}, "timeout": 60}
    )
    rep2 = run_sweep(bad, db, scheduler=scheduler)
    assert (rep.ok, rep.timeout, rep2.failed) == (1, 1, 1)
    with Store(db, readonly=True) as st:
        by_status = {r["status"]: r for r in st.query()}
    assert set(by_status) == {"ok", "timeout", "failed"}
    assert by_status["timeout"]["architecture"] == "mlp 8-40-40-40-8 x^3"
    assert "time budget" in by_status["timeout"]["error"]
    assert "at least 2 primes" in by_status["failed"]["error"]
    assert by_status["ok"]["value"] == formulas.shallow_mlp_dim(2, 2, 2)
    # a resume leaves recorded failures alone unless asked
    assert run_sweep(slow, db, scheduler=scheduler).skipped == 2
    retry = run_sweep(slow, db, scheduler=scheduler, retry_failed=True)
    assert (retry.skipped, retry.timeout) == (1, 1)


def _store_count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT COUNT(*) FROM results").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigkill_mid_sweep_then_resume(scheduler: str, tmp_path: Path) -> None:
    """SIGKILL of the client, its local workers and their sandboxes; resume loses nothing."""
    fam_file = tmp_path / "slow.toml"
    fam_file.write_text(SLOW_FAMILY_TOML)
    db = tmp_path / "atlas.db"
    cmd = [sys.executable, "-m", "neurovariety", "sweep", str(fam_file),
           "--store", str(db), "--workers", "1", "--batch-size", "1", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(lambda: _store_count(db) >= 3, 180, "the first stored rows")
        seen = _store_count(db)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    _wait_for(lambda: not _group_alive(proc.pid), 10, "every killed process to be gone")
    after_kill = _store_count(db)
    n_tasks = 54
    assert seen <= after_kill < n_tasks, "the sweep must be killed half-way for this test"

    fam = load_family(fam_file)
    with Store(db) as st:
        sweeps = st.conn.execute("SELECT id, finished FROM sweeps").fetchall()
    assert len(sweeps) == 1 and sweeps[0][1] is None  # the killed sweep never finished

    report = run_sweep(fam, db, scheduler=scheduler)
    assert report.skipped == after_kill  # nothing stored before the kill is recomputed
    assert report.ok == n_tasks - after_kill == report.written
    with Store(db, readonly=True) as st:
        keys = [r["key"] for r in st.query()]
        assert all(r["status"] == "ok" for r in st.query())
    assert len(keys) == len(set(keys)) == n_tasks
    assert set(keys) == {t.key for t in fam.tasks()}


def test_concurrent_sweeps_share_one_store(scheduler: str, tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    files = []
    for i, widths in enumerate(("1..3", "2..4")):  # overlapping families
        f = tmp_path / f"fam{i}.toml"
        f.write_text(
            f'invariants = ["dim", "expected"]\n[[mlp]]\ndepth = 3\nwidths = "{widths}"\n'
            "outputs = [1, 2]\ndegrees = [2]\n"
        )
        files.append(f)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "neurovariety",
                "sweep",
                str(f),
                "--store",
                str(db),
                "--scheduler",
                scheduler,
                "--batch-size",
                "4",
                "--no-progress",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for f in files
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    reports = [json.loads(o) for o, _ in outs]
    want = {t.key for f in files for t in load_family(f).tasks()}
    with Store(db, readonly=True) as st:
        keys = [r["key"] for r in st.query()]
    assert len(keys) == len(set(keys)) == len(want) == 2 * (54 + 54 - 16)
    assert set(keys) == want
    assert sum(r["written"] for r in reports) == len(want)
    assert all(r["ok"] + r["skipped"] >= r["tasks"] for r in reports)


def test_cli_sweep_query_export_plot(scheduler: str, tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    fam = tmp_path / "fam.toml"
    fam.write_text(
        'specs = ["mlp 2-3-1 x^2", "lcn k=3,2 s=2", "cnn k=3,2 s=2 x^2"]\n'
        'invariants = ["dim"]\n'
        "[[mlp]]\ndepth = 2\nwidths = '2..4'\noutputs = 1\ndegrees = [2, 3, 4]\n"
    )
    db = tmp_path / "atlas.db"
    res = runner.invoke(app, ["sweep", str(fam), "--store", str(db), "--scheduler", scheduler])
    assert res.exit_code == 0, res.output
    assert "29 computed (29 ok" in res.output
    res = runner.invoke(
        app, ["atlas", "query", "--store", str(db), "--where", "defect > 0", "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["rows"]
    # AH with r = 2: (3, 2, 1), (4, 2, 1), (4, 3, 1); no AH case for r = 3, 4 with d0 ≤ 4
    assert sorted(r["architecture"] for r in rows) == [
        "mlp 3-2-1 x^2", "mlp 4-2-1 x^2", "mlp 4-3-1 x^2",
    ]  # fmt: skip
    for r in rows:
        assert {"architecture", "invariant", "value", "certified", "seconds"} <= set(r)
        w = json.loads(r["widths"])
        assert r["value"] == formulas.shallow_mlp_dim(w[0], w[1], r["degree"])
    res = runner.invoke(app, ["atlas", "query", "--store", str(db), "--where", "kind = 'lcn'",
                              "--json"])  # fmt: skip
    (lcn,) = json.loads(res.stdout)["rows"]
    assert lcn["value"] == formulas.lcn_dim((3, 2))
    res = runner.invoke(app, ["atlas", "query", "--store", str(db), "--where", "kind = 'cnn'",
                              "--json"])  # fmt: skip
    (cnn,) = json.loads(res.stdout)["rows"]
    assert cnn["value"] == formulas.pcn_dim((3, 2))  # |k| − L + 1 (PCN)
    res = runner.invoke(app, ["atlas", "query", "--store", str(db)])
    assert res.exit_code == 0 and "mlp 2-3-1 x^2" in res.output

    out = tmp_path / "atlas.csv"
    res = runner.invoke(app, ["atlas", "export", "--store", str(db), "-o", str(out)])
    assert res.exit_code == 0 and len(out.read_text().splitlines()) == 1 + 29
    for kind in ("heatmap", "thresholds"):
        png = tmp_path / f"{kind}.png"
        res = runner.invoke(
            app, ["atlas", "plot", "--store", str(db), "-o", str(png), "--kind", kind]
        )
        assert res.exit_code == 0, res.output
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # errors: message, no traceback, exit code 2
    for args in (
        ["atlas", "query", "--store", str(db), "--where", "nonsense > 1"],
        ["atlas", "query", "--store", str(tmp_path / "none.db")],
        ["atlas", "plot", "--store", str(db), "-o", str(tmp_path / "x.png"), "--kind", "pie"],
        ["sweep", "--store", str(db), "--spec", "mlp 2-x-1 x^2"],
        ["sweep", str(tmp_path / "missing.toml"), "--store", str(db)],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        # library errors print "error: …", refused choices (--kind) click's usage error
        assert "error" in res.output.lower() and "Traceback" not in res.output

    # a sweep whose tasks fail stores them, says how many and exits non-zero
    failing = tmp_path / "failing.toml"
    failing.write_text(
        'specs = ["mlp 2-2-1 x^2", "mlp 3-2-1 x^2"]\n[invariants.dim]\nmethod = "bogus"\n'
    )
    args = ["sweep", str(failing), "--store", str(db), "--scheduler", scheduler, "--no-progress"]
    res = runner.invoke(app, args)
    assert res.exit_code == 3, res.output
    assert "2 tasks failed and 0 timed out" in res.output and "--retry-failed" in res.output
    res = runner.invoke(app, args)  # a resume keeps the failures: nothing failed this time
    assert res.exit_code == 0, res.output
