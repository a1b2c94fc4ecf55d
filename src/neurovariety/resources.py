"""Memory and time budgets: what a command may allocate before it starts.

Every command that allocates in proportion to the architecture estimates its plan first and
refuses, naming the estimate and the option that raises the limit, instead of growing until the
machine swaps or the kernel kills it.
"""

from __future__ import annotations

import os

#: Share of the machine's physical memory a command may plan to use by default.
DEFAULT_MEMORY_FRACTION = 0.5
_FALLBACK_MEMORY = 4 << 30  # when the platform does not say


def physical_memory() -> int:
    """Bytes of physical memory (4 GiB when the platform does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return _FALLBACK_MEMORY


def default_max_memory() -> int:
    """The default memory budget: half of the machine's physical memory.

    >>> 0 < default_max_memory() <= physical_memory()
    True
    """
    return int(physical_memory() * DEFAULT_MEMORY_FRACTION)


def format_bytes(n: float) -> str:
    """Bytes in binary units, three significant digits.

    >>> format_bytes(3 * 2**30), format_bytes(512), format_bytes(2.5 * 2**60)
    ('3 GiB', '512 B', '2.5 EiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024:
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"


def parse_bytes(text: str) -> int:
    """A memory size such as ``8G``, ``512M``, ``2GiB`` or a plain number of bytes.

    >>> parse_bytes("8G"), parse_bytes("512 MiB"), parse_bytes("1000")
    (8589934592, 536870912, 1000)
    """
    from .errors import NeurovarietyError

    s = text.strip().upper().replace(" ", "").removesuffix("B").removesuffix("I")
    scale = 1
    for i, unit in enumerate("KMGTP", start=1):
        if s.endswith(unit):
            s, scale = s[:-1], 1 << (10 * i)
            break
    try:
        value = float(s)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value * scale < 2**63):
        raise NeurovarietyError(
            f"{text!r} is not a memory size; give e.g. 8G, 512M or a number of bytes"
        )
    return int(value * scale)
