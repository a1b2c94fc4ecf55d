"""Worker threads that run the tracker's compiled programs, and the pace of their calls.

Every compiled program runs on a worker thread while the caller waits in Python, in short slices
(:func:`wait_all`): Ctrl-C and deadlines reach it, a worker's exception is raised in the caller,
and a call cut short by its deadline is abandoned. Also: the cores this process may use, the
exit code of a process left with calls running, and the guard against split LAPACK solves
deadlocking XLA's intra-op pool.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any


def cores() -> int:
    """Cores this process may run on (a container's or ``taskset``'s limit, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------- running programs
#
# (see the module docstring) Ctrl-C is raised between Python bytecodes of the main thread, never
# inside XLA's wait for a result: hence the waits in slices. An abandoned call runs on to its end,
# its result unused.


class _Workers:
    """Daemon threads that run calls and return futures; a thread per call in flight (grown on
    demand, reused). Daemon: an abandoned call never holds up the interpreter's exit (the
    standard executor joins its threads at exit)."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Any, tuple]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._idle = 0
        self.busy = 0  # calls submitted and not yet ended
        self.interrupted = False  # a caller's wait ended by Ctrl-C
        self.exit_code: int | None = None  # the command's own, set by the command line

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            start = self._idle == 0
            self._idle -= 0 if start else 1
            self.busy += 1
        if start:
            threading.Thread(target=self._work, name="nag-worker", daemon=True).start()
        self._tasks.put((future, fn, args))
        return future

    def _work(self) -> None:
        while True:
            future, fn, args = self._tasks.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as e:  # raised in the caller, by wait_all
                    future.set_exception(e)
            del future, fn, args  # an idle thread holds no result
            with self._lock:
                self._idle += 1
                self.busy -= 1


_WORKERS = _Workers()
#: Seconds between two looks of a waiting caller at its deadline (and at Ctrl-C).
WAIT_SLICE = 0.05
#: Seconds the interpreter's exit waits for calls still running (abandoned, or cut by Ctrl-C).
EXIT_WAIT = 2.0


@atexit.register
def _drain() -> None:
    """At exit, wait for calls still running, then leave at once if some never end.

    A daemon thread that comes back from XLA while the interpreter finalizes is unwound through
    XLA's C++ frames, which aborts the process ("FATAL: exception not rethrown"): calls end
    within ``CALL_SECONDS``, so the exit waits for them; a compile that outlasts
    ``EXIT_WAIT`` (or a call that never ends) leaves by ``os._exit``, 130 after Ctrl-C.
    """
    end = time.monotonic() + EXIT_WAIT
    while _WORKERS.busy and time.monotonic() < end:
        time.sleep(WAIT_SLICE)
    if _WORKERS.busy:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        code = _WORKERS.exit_code
        os._exit(code if code is not None else 130 if _WORKERS.interrupted else 1)


def set_exit_code(code: int) -> None:
    """The exit code of this process should it end with calls still running (abandoned by a
    search's time limit): the command line's own (0 ok, 3 partial, …), not 1."""
    _WORKERS.exit_code = code


def wait_all(
    futures: Iterable[concurrent.futures.Future[Any]], deadline: float | None = None
) -> bool:
    """Wait for ``futures`` in slices of ``WAIT_SLICE``; ``False`` as soon as ``deadline``
    (``time.monotonic()``) passes (the calls run on, abandoned). A call's exception is raised
    here, in the caller."""
    pending = set(futures)
    while pending:
        if deadline is not None and time.monotonic() > deadline:
            return False
        try:
            done, pending = concurrent.futures.wait(
                pending, timeout=WAIT_SLICE, return_when=concurrent.futures.FIRST_EXCEPTION
            )
        except KeyboardInterrupt:
            _WORKERS.interrupted = True
            raise
        for f in done:
            error = f.exception()
            if error is not None:
                raise error
    return True


def wait_event(event: threading.Event, deadline: float | None = None) -> bool:
    """Wait for ``event`` in slices (see :func:`wait_all`); ``False`` when ``deadline`` passes."""
    try:
        while not event.wait(WAIT_SLICE):
            if deadline is not None and time.monotonic() > deadline:
                return False
    except KeyboardInterrupt:
        _WORKERS.interrupted = True
        raise
    return True


def in_background(fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
    """Run ``fn(*args)`` on a worker thread; its future (wait for it with :func:`wait_all`)."""
    return _WORKERS.submit(fn, *args)


#: Work (flops) from which jaxlib's batched LAPACK kernels (the LU and triangular solves behind
#: ``jnp.linalg.solve``) split a batch across XLA's intra-op pool, a complex n x n LU counted as
#: 3 n^3 (``GetLapackBatchChunkSize`` in jaxlib's ``lapack_kernels.cc``).
LAPACK_SPLIT_WORK = 200_000


def solve_may_split(lanes: int, n: int) -> bool:
    """Whether the tracker's solve of ``lanes`` complex ``n x n`` systems may split across XLA's
    intra-op pool (see :data:`_SPLITTING`)."""
    return cores() > 1 and 3 * n**3 * lanes >= LAPACK_SPLIT_WORK


#: XLA's intra-op pool has a thread per core. A split solve waits for its pieces; when it runs
#: on a pool thread itself (the program went on there after an asynchronous dot), that thread
#: waits for pieces queued on the pool. Two such programs at once on a pool of two threads each
#: held a thread and waited for pieces only the other could run: a deadlock
#: (``mlp 2-3-2-3-4 x^2``, witness set: 31 unknowns, two parts of 64 lanes on 2 cores). Programs
#: whose solve may split run at most ``cores() - 1`` at a time: a pool thread is always free.
_SPLITTING = threading.BoundedSemaphore(max(1, cores() - 1))


def _acquire(lock: threading.Semaphore) -> None:
    while not lock.acquire(timeout=WAIT_SLICE):  # in slices: Ctrl-C reaches a waiting caller
        pass


#: Seconds one call of a compiled program may last: a call runs to its end (XLA cannot be
#: stopped), so the iterations of the next call are as many as the last calls' pace allows in
#: this time, and in the time left before the deadline.
CALL_SECONDS = 0.5


class _Pace:
    """Seconds per iteration of a caller's recent calls, and the iterations its next call gets."""

    def __init__(self) -> None:
        self.per_iteration = 0.0  # unknown until a call has run
        self._start = 0.0

    def iterations(self, n: int, deadline: float | None) -> int:
        """At most ``n``, as many as fit in ``CALL_SECONDS`` and before ``deadline`` (at least
        one while there is time left; zero once the deadline has passed)."""
        self._start = time.monotonic()
        if deadline is not None and self._start > deadline:
            return 0
        if self.per_iteration > 0:
            left = CALL_SECONDS if deadline is None else min(CALL_SECONDS, deadline - self._start)
            n = max(1, min(n, int(left / self.per_iteration)))
        return n

    def record(self, n: int) -> None:
        """Time the call of ``n`` iterations that started with :meth:`iterations`."""
        if n > 0:
            # A faster pace is taken at once (the first call compiles: its pace is far too
            # slow), a slower one half-way.
            per = (time.monotonic() - self._start) / n
            slower = self.per_iteration and per > self.per_iteration
            self.per_iteration = 0.5 * (self.per_iteration + per) if slower else per
