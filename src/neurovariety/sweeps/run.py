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


@dataclasses.dataclass
class _Tally:
    """The counts of one sweep as it runs, and the report and progress built from them."""

    family: Family
    st: Store
    tasks: list[Task]
    pending: list[Task]
    t_start: float
    progress: Callable[[SweepProgress], None] | None
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    written: int = 0
    running: int = 0
    out_of_time: bool = False

    def __post_init__(self) -> None:
        skipped = len(self.tasks) - len(self.pending)
        self.counts = {"skipped": skipped, "ok": 0, "failed": 0, "timeout": 0}

    def report(self, where: str, nthreads: int, sweep_id: int | None) -> SweepReport:
        return SweepReport(
            family=self.family.name,
            store=str(self.st.path),
            tasks=len(self.tasks),
            skipped=self.counts["skipped"],
            ok=self.counts["ok"],
            failed=self.counts["failed"],
            timeout=self.counts["timeout"],
            written=self.written,
            seconds=time.perf_counter() - self.t_start,
            scheduler=where,
            workers=nthreads,
            sweep_id=sweep_id,
            out_of_time=self.out_of_time,
        )

    def notify(self) -> None:
        if self.progress is not None:
            self.progress(
                SweepProgress(
                    total=len(self.tasks),
                    skipped=self.counts["skipped"],
                    done=self.counts["ok"],
                    failed=self.counts["failed"],
                    timeout=self.counts["timeout"],
                    running=self.running,
                    elapsed=time.perf_counter() - self.t_start,
                )
            )


class _Batches:
    """The tasks still to submit, the batches in flight on Dask, and the adaptive batch size."""

    def __init__(
        self,
        client: Any,
        tally: _Tally,
        nthreads: int,
        batch_size: int | None,
        retry_failed: bool,
    ) -> None:
        import distributed

        self.client, self.tally, self.nthreads = client, tally, nthreads
        self.batch_size, self.retry_failed = batch_size, retry_failed
        self.window = 2 * nthreads
        self.queue = list(reversed(tally.pending))  # pop() from the end = family order
        self.in_flight: dict[Any, list[Task]] = {}
        self.completed = distributed.as_completed()
        self.mean_seconds: float | None = None
        self.n_measured = 0

    def next_size(self) -> int:
        if self.batch_size is not None:
            return self.batch_size
        if self.mean_seconds is None:
            size = FIRST_BATCH
        else:
            size = int(TARGET_BATCH_SECONDS / max(self.mean_seconds, 1e-4))
        tail = math.ceil(len(self.queue) / (2 * self.nthreads))  # every thread busy to the end
        return max(1, min(size, MAX_BATCH, tail))

    def submit(self, batch: list[Task]) -> None:
        family = self.tally.family
        fut = self.client.submit(
            run_batch,
            [(t.target, t.spec, t.options) for t in batch],
            family.timeout,
            family.memory_limit,
            key=f"neurovariety-batch-{uuid.uuid4().hex}",
            pure=False,
        )
        self.in_flight[fut] = batch
        self.tally.running += len(batch)
        self.completed.add(fut)

    def fill(self) -> None:
        while self.queue and len(self.in_flight) < self.window:
            size = self.next_size()
            batch = [self.queue.pop() for _ in range(min(size, len(self.queue)))]
            # a concurrent sweep may have stored some of these meanwhile
            already = self.tally.st.done_keys(
                [t.key for t in batch], retry_failed=self.retry_failed
            )
            if already:
                self.tally.counts["skipped"] += len(already)
                batch = [t for t in batch if t.key not in already]
            if batch:
                self.submit(batch)

    def outcomes(self, fut: Any) -> tuple[list[Task], list[Outcome] | None]:
        """A finished batch and its outcomes; None when it was resubmitted task by task."""
        batch = self.in_flight.pop(fut)
        self.tally.running -= len(batch)
        try:
            return batch, fut.result()
        except Exception as e:  # the worker died (KilledWorker) or the batch was lost
            if len(batch) > 1:  # isolate the culprit: resubmit one task per batch
                for t in batch:
                    self.submit([t])
                return batch, None
            lost = f"worker lost running this task: {type(e).__name__}: {e}"
            return batch, [Outcome("failed", None, lost, 0.0)]

    def measure(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            self.tally.counts[o.status] += 1
            self.n_measured += 1
            s = max(o.seconds, 1e-4)
            mean = self.mean_seconds
            self.mean_seconds = s if mean is None else mean + (s - mean) / min(self.n_measured, 50)

    def cancel(self) -> None:
        # their tasks stay unstored: a rerun computes them
        self.client.cancel(list(self.in_flight))
        self.tally.running = 0


def _connect(
    client: Any,
    scheduler: str | None,
    workers: int | None,
    family: Family,
    dashboard_address: str | None,
) -> tuple[Any, Any, str]:
    """``(client, own cluster or None, where)``: the given client, or a new one."""
    if client is None:
        return open_client(
            scheduler, workers, family.memory_limit, dashboard_address=dashboard_address
        )
    # A client handed over from another thread may not expose its scheduler comm yet.
    address = getattr(getattr(client, "scheduler", None), "address", None)
    return client, None, f"client {address or 'given by the caller'}"


def _wait_for_a_worker(client: Any, where: str) -> int:
    """The number of worker threads, once at least one worker has joined."""
    try:
        client.wait_for_workers(1, timeout=120)
    except TimeoutError:
        raise BackendUnavailableError(
            f"no Dask worker joined {where} within 120 s; start workers with `dask worker ADDRESS`"
        ) from None
    return max(1, sum(client.nthreads().values()))


def _drain(batches: _Batches, sweep_id: int, deadline: float | None, retry_failed: bool) -> None:
    """Store each batch as it completes and keep the window full, until done or out of time."""
    tally = batches.tally
    batches.fill()
    tally.notify()
    for fut in batches.completed:
        batch, outcomes = batches.outcomes(fut)
        if outcomes is None:
            continue
        tally.written += tally.st.add(
            zip(batch, outcomes, strict=True), sweep=sweep_id, retry_failed=retry_failed
        )
        batches.measure(outcomes)
        left = batches.queue or batches.in_flight  # a sweep that is done is not partial
        if left and deadline is not None and time.perf_counter() > deadline:
            tally.out_of_time = True
            batches.cancel()
            tally.notify()
            break
        batches.fill()
        tally.notify()


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
    done = st.done_keys([t.key for t in tasks], retry_failed=retry_failed)
    pending = [t for t in tasks if t.key not in done]
    tally = _Tally(family, st, tasks, pending, t_start, progress)
    tally.notify()
    if not pending:
        return tally.report("nothing to do", 0, None)

    own = client is None
    client, cluster, where = _connect(client, scheduler, workers, family, dashboard_address)
    sweep_id = st.begin_sweep(family.name, len(tasks), where)
    try:
        nthreads = _wait_for_a_worker(client, where)
        batches = _Batches(client, tally, nthreads, batch_size, retry_failed)
        _drain(batches, sweep_id, deadline, retry_failed)
        result = tally.report(where, nthreads, sweep_id)
        st.end_sweep(sweep_id, dataclasses.asdict(result))
        return result
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
