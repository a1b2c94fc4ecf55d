"""Run a family's tasks on Dask and write every outcome to the store as it arrives.

The client (this process) is the only writer: it submits *batches* of tasks to Dask workers, and
writes each batch's outcomes in one transaction the moment its future completes. A SIGKILL of the
client or of the workers therefore loses at most the batches in flight; resuming recomputes only
keys missing from the store. Batches are sized adaptively, so that one takes about
:data:`TARGET_BATCH_SECONDS` (tiny tasks are amortized over Dask's per-task cost, large ones go
one at a time), and never so large that the tail of a sweep leaves workers idle.

Inside a worker, each task runs in the thread's :class:`~neurovariety.sweeps.sandbox.Sandbox`,
which enforces the per-task time budget and memory limit.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import BackendUnavailableError
from ..results import Result, plural
from .family import Family, Task
from .sandbox import Outcome, thread_sandbox
from .store import Store

__all__ = ["SweepProgress", "SweepReport", "open_client", "run_batch", "run_sweep"]

TARGET_BATCH_SECONDS = 0.5
MAX_BATCH = 512
FIRST_BATCH = 4


@dataclasses.dataclass(frozen=True)
class SweepProgress:
    """A snapshot for progress displays: counts of this run's tasks."""

    total: int  # tasks of the family
    skipped: int  # already in the store (before or during this run)
    done: int  # stored with status ok
    failed: int
    timeout: int
    running: int  # submitted to Dask, outcome not yet stored
    elapsed: float

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.timeout

    @property
    def eta(self) -> float | None:
        """Seconds left at the mean rate so far, None before the first outcome."""
        left = self.total - self.skipped - self.finished
        if self.finished == 0:
            return None
        return left * self.elapsed / self.finished


@dataclasses.dataclass(frozen=True, repr=False)
class SweepReport(Result):
    """What a sweep did: counts by outcome, rows written, wall time, where it ran."""

    family: str
    store: str
    tasks: int
    skipped: int
    ok: int
    failed: int
    timeout: int
    written: int
    seconds: float
    scheduler: str
    workers: int
    sweep_id: int | None
    out_of_time: bool = False  # the time limit stopped the sweep: rerunning it resumes

    def title(self) -> str:
        return f"SweepReport  {self.family} → {self.store}"

    def bullets(self) -> list[str]:
        computed = self.ok + self.failed + self.timeout
        b = [
            f"{plural(self.tasks, 'task')}: {self.skipped} already stored, {computed} computed "
            f"({self.ok} ok, {self.failed} failed, {self.timeout} timeout)",
            f"{plural(self.written, 'row')} written"
            + (
                f" ({computed - self.written} already written by a concurrent sweep)"
                if computed > self.written
                else ""
            ),
            f"{self.seconds:.3g} s on {plural(self.workers, 'worker thread')} · {self.scheduler}",
        ]
        if self.out_of_time:
            left = self.tasks - self.skipped - self.ok - self.failed - self.timeout
            b.append(
                f"partial: the time limit stopped the sweep with {plural(left, 'task')} left; "
                "the same command resumes it"
            )
        return b


def run_batch(
    items: Sequence[tuple[str, str, dict[str, Any]]],
    timeout: float | None,
    memory_limit: int | None,
) -> list[Outcome]:
    """Run tasks on this worker, in the calling thread's sandbox (the Dask task function)."""
    return thread_sandbox().run_many(items, timeout=timeout, memory_limit=memory_limit)


LOOPBACK = "127.0.0.1"


def open_client(
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: int | None = None,
    *,
    dashboard_address: str | None = None,
) -> tuple[Any, Any, str]:
    """A Dask client: on ``scheduler``, or on a new LocalCluster of ``workers`` processes.

    A local cluster listens on loopback only, and serves no dashboard unless
    ``dashboard_address`` (e.g. ``"127.0.0.1:8787"``) asks for one: a Dask scheduler runs
    whatever code it is sent, so nothing else on the network may reach it. Security for a
    remote ``scheduler`` (TLS certificates) comes from Dask's configuration (docs/sweeps.md).

    Returns ``(client, cluster or None, description)``; close both when done. Reuse one client
    for several :func:`run_sweep` calls (``client=``) to pay the cluster start-up once.
    """
    import distributed

    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        # ValueError: a malformed address; TypeError: tls:// without client certificates
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            raise BackendUnavailableError(
                f"cannot reach the Dask scheduler at {scheduler!r}: {e}; start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS` (for tls://, give the "
                "client's certificates in Dask's configuration, docs/sweeps.md), or omit "
                "--scheduler for a local cluster"
            ) from None
        return client, None, scheduler
    n = workers if workers is not None else max(1, os.cpu_count() or 1)
    if n < 1:
        raise BackendUnavailableError(f"--workers {n}: need at least one worker")
    import dask

    quiet: dict[str, Any] = {}
    if dashboard_address is None:
        # Dask's HTTP servers (dashboard, info pages, metrics) start anyway: give them no routes;
        # the workers' statistical profiler (it samples every 10 ms) only feeds the dashboard
        quiet = {
            "distributed.scheduler.http.routes": [],
            "distributed.worker.http.routes": [],
            "distributed.worker.profile.enabled": False,
        }
    with dask.config.set(quiet):
        cluster = distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host=LOOPBACK,
            dashboard_address=dashboard_address,
            memory_limit=memory_limit if memory_limit is not None else "auto",
            silence_logs=logging.ERROR,
            # the route-less HTTP server binds 8787 by default: a busy 8787 (another cluster)
            # printed "Port 8787 is already in use"; any free loopback port, still no dashboard
            scheduler_kwargs=(
                None
                if dashboard_address is not None
                else {"dashboard": False, "dashboard_address": f"{LOOPBACK}:0"}
            ),
        )
    return distributed.Client(cluster), cluster, f"LocalCluster({plural(n, 'worker')})"


def run_sweep(
    family: Family,
    store: str | Path | Store,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    batch_size: int | None = None,
    retry_failed: bool = False,
    progress: Callable[[SweepProgress], None] | None = None,
    dashboard_address: str | None = None,
    time_limit: float | None = None,
) -> SweepReport:
    """Compute every task of ``family`` not yet in ``store``, on Dask.

    Parameters
    ----------
    family
        The architectures × invariants, with the per-task ``timeout`` and ``memory_limit``.
    store
        A path (created if missing) or an open :class:`Store`.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); default: a LocalCluster of
        ``workers`` single-threaded processes, closed at the end.
    client
        An existing ``distributed.Client`` (takes precedence over ``scheduler``; not closed).
    batch_size
        Tasks per Dask task; default adaptive (about 0.5 s of work per batch).
    retry_failed
        Recompute tasks stored as ``failed``/``timeout`` (their rows are replaced).
    progress
        Called with a :class:`SweepProgress` after every stored batch.
    dashboard_address
        Serve the local cluster's dashboard there (default: none).
    time_limit
        Seconds for the whole sweep: past them no batch is submitted and those in flight are
        cancelled (checked as each batch ends); the report says ``out_of_time``.

    Returns
    -------
    SweepReport
    """
    t_start = time.perf_counter()
    own_store = not isinstance(store, Store)
    st = Store(store) if not isinstance(store, Store) else store
    try:
        return _run(
            family,
            st,
            scheduler,
            workers,
            client,
            batch_size,
            retry_failed,
            progress,
            t_start,
            dashboard_address,
            time_limit,
        )
    finally:
        if own_store:
            st.close()


def _run(
    family: Family,
    st: Store,
    scheduler: str | None,
    workers: int | None,
    client: Any,
    batch_size: int | None,
    retry_failed: bool,
    progress: Callable[[SweepProgress], None] | None,
    t_start: float,
    dashboard_address: str | None = None,
    time_limit: float | None = None,
) -> SweepReport:
    tasks = family.tasks()
    deadline = None if time_limit is None else t_start + time_limit
    out_of_time = False
    done = st.done_keys([t.key for t in tasks], retry_failed=retry_failed)
    pending = [t for t in tasks if t.key not in done]
    counts = {"skipped": len(tasks) - len(pending), "ok": 0, "failed": 0, "timeout": 0}
    written = 0

    def report(where: str, nthreads: int, sweep_id: int | None) -> SweepReport:
        return SweepReport(
            family=family.name,
            store=str(st.path),
            tasks=len(tasks),
            skipped=counts["skipped"],
            ok=counts["ok"],
            failed=counts["failed"],
            timeout=counts["timeout"],
            written=written,
            seconds=time.perf_counter() - t_start,
            scheduler=where,
            workers=nthreads,
            sweep_id=sweep_id,
            out_of_time=out_of_time,
        )

    running = 0

    def notify() -> None:
        if progress is not None:
            progress(
                SweepProgress(
                    total=len(tasks),
                    skipped=counts["skipped"],
                    done=counts["ok"],
                    failed=counts["failed"],
                    timeout=counts["timeout"],
                    running=running,
                    elapsed=time.perf_counter() - t_start,
                )
            )

    notify()
    if not pending:
        return report("nothing to do", 0, None)

    import distributed

    own = client is None
    cluster = None
    if own:
        client, cluster, where = open_client(
            scheduler, workers, family.memory_limit, dashboard_address=dashboard_address
        )
    else:
        # A client handed over from another thread may not expose its scheduler comm yet.
        address = getattr(getattr(client, "scheduler", None), "address", None)
        where = f"client {address or 'given by the caller'}"
    sweep_id = st.begin_sweep(family.name, len(tasks), where)
    try:
        try:
            client.wait_for_workers(1, timeout=120)
        except TimeoutError:
            raise BackendUnavailableError(
                f"no Dask worker joined {where} within 120 s; start workers with "
                "`dask worker ADDRESS`"
            ) from None
        nthreads = max(1, sum(client.nthreads().values()))
        window = 2 * nthreads
        queue = list(reversed(pending))  # pop() from the end = family order
        in_flight: dict[Any, list[Task]] = {}
        ac = distributed.as_completed()
        mean_seconds: float | None = None
        n_measured = 0

        def next_size() -> int:
            if batch_size is not None:
                return batch_size
            if mean_seconds is None:
                size = FIRST_BATCH
            else:
                size = int(TARGET_BATCH_SECONDS / max(mean_seconds, 1e-4))
            tail = math.ceil(len(queue) / (2 * nthreads))  # keep every thread busy to the end
            return max(1, min(size, MAX_BATCH, tail))

        def submit(batch: list[Task]) -> None:
            nonlocal running
            fut = client.submit(
                run_batch,
                [(t.target, t.spec, t.options) for t in batch],
                family.timeout,
                family.memory_limit,
                key=f"neurovariety-batch-{uuid.uuid4().hex}",
                pure=False,
            )
            in_flight[fut] = batch
            running += len(batch)
            ac.add(fut)

        def fill() -> None:
            nonlocal running
            while queue and len(in_flight) < window:
                size = next_size()
                batch = [queue.pop() for _ in range(min(size, len(queue)))]
                # a concurrent sweep may have stored some of these meanwhile
                already = st.done_keys([t.key for t in batch], retry_failed=retry_failed)
                if already:
                    counts["skipped"] += len(already)
                    batch = [t for t in batch if t.key not in already]
                if batch:
                    submit(batch)

        fill()
        notify()
        for fut in ac:
            batch = in_flight.pop(fut)
            running -= len(batch)
            try:
                outcomes = fut.result()
            except Exception as e:  # the worker died (KilledWorker) or the batch was lost
                if len(batch) > 1:  # isolate the culprit: resubmit one task per batch
                    for t in batch:
                        submit([t])
                    continue
                outcomes = [
                    Outcome(
                        "failed",
                        None,
                        f"worker lost running this task: {type(e).__name__}: {e}",
                        0.0,
                    )
                ]
            written += st.add(
                zip(batch, outcomes, strict=True), sweep=sweep_id, retry_failed=retry_failed
            )
            for o in outcomes:
                counts[o.status] += 1
                n_measured += 1
                s = max(o.seconds, 1e-4)
                mean_seconds = (
                    s
                    if mean_seconds is None
                    else mean_seconds + (s - mean_seconds) / min(n_measured, 50)
                )
            if deadline is not None and time.perf_counter() > deadline:
                out_of_time = True
                client.cancel(list(in_flight))  # their tasks stay unstored: a rerun computes them
                running = 0
                notify()
                break
            fill()
            notify()
        result = report(where, nthreads, sweep_id)
        st.end_sweep(sweep_id, dataclasses.asdict(result))
        return result
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
