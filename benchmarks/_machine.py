"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    """The CPU model from lscpu (or platform.processor as a fallback)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def commit() -> str:
    """The short commit of the working tree, with ``+`` when it has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], capture_output=True).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+" if dirty else "")


def replace_section(path: Path, heading: str, body: str) -> None:
    """Put ``body`` under the ``## heading…`` section of ``path``, replacing the old figures.

    RESULTS.md holds the current figure of each benchmark; the history is in git. The section
    is the one whose heading starts with ``heading`` (its date or detail may change); a new
    section is appended at the end.
    """
    lines = path.read_text().splitlines()
    start = next((i for i, x in enumerate(lines) if x.startswith(heading)), None)
    new = body.strip("\n").splitlines()
    if start is None:
        lines += ["", *new]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), None)
        tail = [] if end is None else ["", *lines[end:]]
        lines = lines[:start] + new + tail
    path.write_text("\n".join(lines) + "\n")


def machine_line() -> str:
    """``# date · CPU · n CPUs · load`` — the first line a benchmark prints."""
    return (
        f"# {datetime.date.today()} · {cpu_model()} · {os.cpu_count()} CPUs · "
        f"load {os.getloadavg()[0]:.1f}"
    )


def lu_seconds(rows: int, cols: int, repeats: int = 2) -> float:
    """Best-of-``repeats`` float64 LU of a random ``rows × cols`` matrix: the hardware bound."""
    import numpy as np
    import scipy.linalg

    a = np.random.default_rng(0).standard_normal((rows, cols))
    scipy.linalg.lu_factor(a, check_finite=False)  # untimed: idle BLAS threads wake slowly
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        scipy.linalg.lu_factor(a, check_finite=False)
        best = min(best, time.perf_counter() - t)
    return best


@dataclasses.dataclass(frozen=True)
class DimVsLU:
    """One ``dim`` call and the float LU of one of its Jacobians' shape."""

    result: Any  # DimensionResult (imported lazily: start-up benchmarks import this module)
    seconds: float
    cpu: float  # process CPU time of the call: less inflated than wall time on a loaded machine
    rows: int
    cols: int
    lu: float

    @property
    def ratio(self) -> float:
        """Our whole call over one LU per prime."""
        return self.seconds / (len(self.result.primes) * self.lu)


def dim_vs_lu(arch: Any) -> DimVsLU:
    """Time the whole ``dimension(arch)`` call, then an LU of its final Jacobian's shape."""
    from neurovariety.invariants.dimension import dimension

    t, c = time.perf_counter(), time.process_time()
    r = dimension(arch)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    rows, cols = r.n_samples * arch.n_outputs, arch.n_params
    return DimVsLU(r, seconds, cpu, rows, cols, lu_seconds(rows, cols))
