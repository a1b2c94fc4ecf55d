"""A sweep's --time-limit: it stops between batches, says so (exit code 3) and resumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from neurovariety.sweeps.family import family_from_dict
from neurovariety.sweeps.run import run_sweep

SPECS = [f"mlp {a}-{b}-1 x^2" for a in (1, 2, 3) for b in (1, 2, 3, 4)]  # 12 tasks


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1) as c:
        yield c


def test_a_time_limit_stops_the_sweep_and_a_rerun_finishes_it(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fam = family_from_dict({"specs": SPECS, "invariants": ["dim"]})
    db = tmp_path / "atlas.db"
    # one task per batch, no time: the first batch to end stops the sweep
    first = run_sweep(fam, db, client=client, batch_size=1, time_limit=0.0)
    assert first.out_of_time and 1 <= first.ok < len(SPECS)
    assert "partial: the time limit stopped the sweep" in first.summary()
    again = run_sweep(fam, db, client=client, batch_size=1)
    assert not again.out_of_time
    assert again.skipped == first.ok and again.skipped + again.ok == len(SPECS)
