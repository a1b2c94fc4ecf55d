"""Run one task at a time in a child process that can be killed: hard time and memory budgets.

A Python thread cannot be stopped, and a long exact rank sits in C code where no signal reaches
it; so each Dask worker thread keeps one long-lived child process (started once, ~1 s of imports)
and sends it tasks over a pipe. The parent waits with a deadline and watches the child's resident
memory; a task that runs past its time budget or memory limit is recorded as ``timeout`` /
``failed`` and the child is killed and restarted for the next task. A crash in native code (a
segfault) becomes a ``failed`` row instead of a dead worker. The child exits on its own when its
parent dies, so a SIGKILL of a worker leaves nothing running.

Messages are length-prefixed pickles; the child's own stdout is redirected to stderr so that
library output cannot corrupt the channel. POSIX only (``select`` on pipes).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import IO, Any

__all__ = ["Outcome", "Sandbox", "run_in_process"]

_HEADER = struct.Struct(">Q")
_POLL_SECONDS = 0.1
_STARTUP_SECONDS = 300.0
_WINDOW = 4  # requests queued in the child ahead of the one running


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one task: ``ok`` with a result dictionary, or ``failed`` / ``timeout``."""

    status: str
    result: dict[str, Any] | None
    error: str | None
    seconds: float
    arch: dict[str, Any] | None = None  # the row's architecture columns, computed by the worker


def _as_dict(result: Any) -> dict[str, Any]:
    if hasattr(result, "to_dict"):
        return dict(result.to_dict())
    if isinstance(result, Mapping):
        return dict(result)
    return {"value": result}


def run_in_process(target: str, spec: str, options: Mapping[str, Any]) -> Outcome:
    """Run one task here, catching every exception into an :class:`Outcome` (no budgets).

    >>> o = run_in_process("neurovariety.sweeps.registry:expected", "mlp 2-3-1 x^2", {})
    >>> o.status, o.result["expected_dimension"]
    ('ok', 3)
    >>> o = run_in_process("neurovariety.sweeps.registry:expected", "mlp 2-0-1 x^2", {})
    >>> o.status, o.error.startswith("ArchitectureError")
    ('failed', True)
    """
    from ..architectures import parse_architecture
    from ..errors import BudgetExceededError
    from .registry import resolve

    t0 = time.perf_counter()
    try:
        fn = resolve(target)
        arch = parse_architecture(spec)
        result = _as_dict(fn(arch, **options))
    except BudgetExceededError as e:
        return Outcome("timeout", None, f"BudgetExceededError: {e}", time.perf_counter() - t0)
    except Exception as e:  # every failure is recorded, never dropped
        msg = f"{type(e).__name__}: {e}"
        if not hasattr(e, "__module__") or not type(e).__module__.startswith("neurovariety"):
            tb = traceback.extract_tb(e.__traceback__)[-3:]
            msg += " | " + " < ".join(f"{f.name}:{f.lineno}" for f in reversed(tb))
        return Outcome("failed", None, msg, time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    from .store import arch_columns

    return Outcome("ok", result, None, seconds, arch_columns(arch, result))


def _write(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_blocking(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (n,) = _HEADER.unpack(head)
    data = stream.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)


class Sandbox:
    """A killable child process that runs tasks one at a time (see the module docstring).

    Examples
    --------
    >>> sb = Sandbox()
    >>> sb.run("neurovariety.sweeps.registry:expected", "mlp 2-3-1 x^2", {}, timeout=60).status
    'ok'
    >>> sb.close()
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._imported: set[str] = set()
        self._buf = bytearray()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        if self._proc is not None:
            self.restarts += 1
        stderr = None if os.environ.get("NEUROVARIETY_SANDBOX_STDERR") else subprocess.DEVNULL
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "neurovariety.sweeps.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            bufsize=0,
        )
        self._imported = set()
        self._buf = bytearray()
        return self._proc

    def kill(self) -> None:
        """Kill the child now (it is restarted by the next :meth:`run`)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def close(self) -> None:
        """Ask the child to exit, killing it if it does not within a second."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                _write(proc.stdin, ("exit",))
                proc.wait(timeout=1.0)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        for s in (proc.stdin, proc.stdout):
            if s is not None:
                s.close()
        self._proc = None

    def _receive(
        self, proc: subprocess.Popen[bytes], deadline: float, memory_limit: int | None
    ) -> tuple[str, Any]:
        """Read one frame; ``("timeout"|"memory"|"died", detail)`` if that comes first."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        buf = self._buf
        while True:
            if len(buf) >= _HEADER.size:
                (n,) = _HEADER.unpack_from(buf)
                if len(buf) >= _HEADER.size + n:
                    frame = pickle.loads(bytes(buf[_HEADER.size : _HEADER.size + n]))
                    del buf[: _HEADER.size + n]
                    return "frame", frame
            now = time.monotonic()
            if now >= deadline:
                return "timeout", None
            ready, _, _ = select.select([fd], [], [], min(_POLL_SECONDS, deadline - now))
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return "died", proc.wait()
                buf += chunk
            elif memory_limit is not None:
                rss = _rss(proc.pid)
                if rss is not None and rss > memory_limit:
                    return "memory", rss

    def run(
        self,
        target: str,
        spec: str,
        options: Mapping[str, Any],
        *,
        timeout: float | None,
        memory_limit: int | None = None,
    ) -> Outcome:
        """Run ``target(parse_architecture(spec), **options)`` in the child within the budgets.

        The import of ``target``'s module happens before the clock starts. A task past
        ``timeout`` seconds gives ``timeout``; one whose child exceeds ``memory_limit`` bytes of
        resident memory (checked every 0.1 s) or crashes gives ``failed``.
        """
        return self.run_many([(target, spec, options)], timeout=timeout, memory_limit=memory_limit)[
            0
        ]

    def _preimport(self, proc: subprocess.Popen[bytes], targets: Sequence[str]) -> bool:
        assert proc.stdin is not None
        for target in targets:
            if target in self._imported:
                continue
            _write(proc.stdin, ("import", target))
            kind, _ = self._receive(proc, time.monotonic() + _STARTUP_SECONDS, None)
            if kind != "frame":
                return False
            self._imported.add(target)  # an import error surfaces again in each task
        return True

    def run_many(
        self,
        items: Sequence[tuple[str, str, Mapping[str, Any]]],
        *,
        timeout: float | None,
        memory_limit: int | None = None,
    ) -> list[Outcome]:
        """Run ``(target, spec, options)`` items in order, each within its own budget.

        Up to a few requests are queued in the child ahead of time so that it never waits for
        the parent; the clock of a task starts when the previous one's answer arrives. After a
        timeout, memory overrun or crash the child is replaced and the rest of ``items`` go on.
        """
        out: list[Outcome] = []
        i = 0
        while i < len(items):
            proc = self._start()
            try:
                if not self._preimport(proc, [t for t, _, _ in items[i:]]):
                    self.kill()
                    out.append(Outcome("failed", None, "sandbox process could not start", 0.0))
                    i += 1
                    continue
            except OSError as e:
                self.kill()
                out.append(Outcome("failed", None, f"sandbox process unavailable: {e}", 0.0))
                i += 1
                continue
            assert proc.stdin is not None
            sent = i
            t0 = time.monotonic()
            while i < len(items):
                try:
                    while sent < len(items) and sent - i < _WINDOW:
                        target, spec, options = items[sent]
                        _write(proc.stdin, ("run", target, spec, dict(options)))
                        sent += 1
                except OSError:
                    pass  # the child died; _receive reports it
                deadline = t0 + (timeout if timeout is not None else float("inf"))
                kind, msg = self._receive(proc, deadline, memory_limit)
                now = time.monotonic()
                if kind == "frame":
                    out.append(Outcome(*msg))
                    i += 1
                    t0 = now
                    continue
                self.kill()
                out.append(self._failure(kind, msg, now - t0, timeout, memory_limit))
                i += 1
                break
        return out

    @staticmethod
    def _failure(
        kind: str, msg: Any, elapsed: float, timeout: float | None, memory_limit: int | None
    ) -> Outcome:
        if kind == "timeout":
            return Outcome("timeout", None, f"ran past its time budget of {timeout:g} s", elapsed)
        if kind == "memory":
            return Outcome(
                "failed",
                None,
                f"memory limit exceeded: resident {msg / 2**20:.0f} MiB > "
                f"{(memory_limit or 0) / 2**20:.0f} MiB",
                elapsed,
            )
        return Outcome("failed", None, f"sandbox process died (exit status {msg})", elapsed)


def _rss(pid: int) -> int | None:
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except Exception:
        return None


_LOCAL = threading.local()


def thread_sandbox() -> Sandbox:
    """The sandbox of the calling thread (one per Dask worker thread), created on first use."""
    sb = getattr(_LOCAL, "sandbox", None)
    if sb is None:
        sb = Sandbox()
        _LOCAL.sandbox = sb
        import atexit

        atexit.register(sb.close)
    return sb


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def _child_main() -> None:  # pragma: no cover - runs in the child process
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints go to stderr, not into the channel
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    from .registry import resolve

    while True:
        try:
            msg = _read_blocking(proto_in)
        except EOFError:
            return
        if msg[0] == "exit":
            return
        if msg[0] == "import":
            try:
                resolve(msg[1])
                _write(proto_out, ("imported", None))
            except Exception as e:
                _write(proto_out, ("error", f"{type(e).__name__}: {e}"))
            continue
        _, target, spec, options = msg
        o = run_in_process(target, spec, options)
        _write(proto_out, (o.status, o.result, o.error, o.seconds, o.arch))


if __name__ == "__main__":  # pragma: no cover
    _child_main()
