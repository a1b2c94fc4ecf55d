"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path


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
