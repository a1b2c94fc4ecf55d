"""Where and how nag's compiled programs run: on the CPU, with the CPU's classic fusion emitters.

Path tracking is many tiny dependent steps, slower on an accelerator than on two CPU cores
(``benchmarks/RESULTS.md``, "Accelerator"); every compiled program of nag runs in
:func:`on_host` and is compiled with :func:`codegen_options`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import jax

from ..jaxconfig import ensure_x64


@contextlib.contextmanager
def on_host() -> Iterator[Any]:
    """Run the enclosed programs on the CPU, also where JAX's default backend is a GPU.

    Yields the CPU device where a GPU is the default (the caller puts its arguments there), else
    ``None``. Path tracking is many tiny dependent steps (5x5 solves, a polynomial kernel per
    lane): on an H200 a search ran ~4x slower than on two CPU cores, and a pool's throughput fell
    as it widened (``benchmarks/RESULTS.md``, "Accelerator").
    """
    ensure_x64()  # every compiled program of nag runs in this context
    if jax.default_backend() == "cpu":
        yield None
        return
    host = jax.devices("cpu")[0]
    with jax.default_device(host):
        yield host


@functools.cache
def codegen_options() -> dict[str, Any]:
    """XLA options for this package's compiled programs: the CPU's classic fusion emitters.

    XLA's newer fusion emitters took twice as long to compile the tracker program of an ED
    system (2.0 s against 1.0 s for the 404 case, ~0.8 s of a search's start) for the same
    speed per step (``benchmarks/RESULTS.md``, "Landscape"). A jaxlib that does not know the
    option (older or newer than 0.10) gets none: probed once on a one-line program.
    """
    options = {"xla_cpu_use_fusion_emitters": False}
    try:
        with on_host():  # where the programs run
            jax.jit(lambda x: x + 1, compiler_options=options).lower(1.0).compile()
    except Exception:  # jaxlib without the option: its defaults
        return {}
    return options
