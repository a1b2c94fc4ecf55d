"""A worker SIGKILLed mid-sweep: its batch reruns elsewhere, its sandbox exits, nothing is lost."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from neurovariety.sweeps import Store, family_from_dict, run_sweep

SLOW = {
    "invariants": ["dim"],
    "timeout": 120,
    "mlp": {"depth": 4, "inputs": 6, "widths": "7..9", "outputs": [3, 4], "degrees": [3]},
}


@pytest.mark.slow
def test_sigkill_of_a_worker_loses_nothing(tmp_path: Path) -> None:
    import distributed
    import psutil

    fam = family_from_dict(SLOW)
    db = tmp_path / "atlas.db"
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    out: dict[str, Any] = {}
    try:
        sweep = threading.Thread(
            target=lambda: out.update(report=run_sweep(fam, db, client=client, batch_size=2))
        )
        sweep.start()
        end = time.monotonic() + 180
        while time.monotonic() < end:
            with Store(db, readonly=True) if db.exists() else _Null() as st:
                if st is not None and st.count() >= 4:
                    break
            time.sleep(0.05)
        victim = next(iter(client.run(os.getpid).values()))
        sandboxes = [p.pid for p in psutil.Process(victim).children()]
        assert sandboxes, "the worker runs its tasks in a sandbox child process"
        os.kill(victim, signal.SIGKILL)
        sweep.join(timeout=300)
        assert not sweep.is_alive()
        for pid in sandboxes:  # orphaned sandboxes exit on their own
            deadline = time.monotonic() + 20
            while psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie":
                assert time.monotonic() < deadline, f"sandbox {pid} outlived its worker"
                time.sleep(0.1)
    finally:
        client.close()
        cluster.close()
    report = out["report"]
    assert report.ok == len(fam.tasks()) == 54
    with Store(db, readonly=True) as st:
        rows = st.query()
    assert len({r["key"] for r in rows}) == len(rows) == 54
    assert all(r["status"] == "ok" for r in rows)


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
