"""Exported tracker loops kept on disk, beside JAX's persistent compilation cache.

Exporting the tracker loop traces it in Python (:mod:`.programs`): ~0.8 s for katsura-10's
homotopy, ~3.9 s for ten dense quadrics (660 unrolled terms), in every new process, which the
compilation cache cannot spare (its key is the traced program). When that cache is on (the
command line turns it on), the exported module is also written to ``neurovariety-exports`` in
its folder, and a later process loads it.

The key must change whenever the program would: it is a hash of the homotopy function's own
jaxpr at one lane's shapes (its equations with their literals) and of its captured constants,
the tracker program, the arguments' shapes and dtypes, the versions of JAX and of this package,
and the source of the loop's modules. Tracing the function alone costs a fraction of the loop
(0.25 s and 0.65 s on those two). Anything that fails here (no cache folder, a function that
does not trace alone, an unreadable or foreign file) means: export as if nothing were stored.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import jax
import numpy as np
from jax import export

from .homotopy import HomotopyFn
from .step import TrackState

FOLDER = "neurovariety-exports"

# the loop's state is a named tuple: its tree is part of the exported module's signature
export.register_namedtuple_serialization(TrackState, serialized_name="neurovariety.nag.TrackState")


def folder() -> Path | None:
    """Where exported loops are kept: beside the persistent compilation cache, if it is on."""
    base = getattr(jax.config, "jax_compilation_cache_dir", None)
    base = base or os.environ.get("JAX_COMPILATION_CACHE_DIR")
    return Path(base) / FOLDER if base else None


@functools.cache
def _code() -> bytes:
    """The versions and the loop's source: a new release or an edited step changes every key."""
    from .. import __version__

    here = Path(__file__).parent
    h = hashlib.sha256(f"{jax.__version__} {__version__}".encode())
    for name in ("programs.py", "step.py", "stored.py"):
        h.update((here / name).read_bytes())
    return h.digest()


def key(
    fn: HomotopyFn, program: tuple[int, str], signature: tuple[Any, ...], data: Any, lane: Any
) -> str | None:
    """The entry of this loop, or ``None`` (nothing stored: no folder, or ``fn`` does not trace
    alone). ``data``: the shared arguments' shapes; ``lane``: one lane's ``(ctl, pdata, state)``."""
    if folder() is None:
        return None
    _, pdata, state = lane
    t = jax.ShapeDtypeStruct((), np.complex128)
    try:
        closed = jax.make_jaxpr(fn)(data, pdata, state.X, t)
    except Exception:
        return None
    h = hashlib.sha256(_code())
    h.update(repr((program, signature)).encode())
    h.update(str(closed.jaxpr).encode())
    for c in closed.consts:
        a = np.asarray(c)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def load(name: str | None) -> Any:
    """The stored export of this key, or ``None``."""
    where = folder()
    if name is None or where is None:
        return None
    path = where / f"{name}.bin"
    try:
        return export.deserialize(bytearray(path.read_bytes()))
    except Exception:  # absent, partly written by a process that died, or from another jaxlib
        return None


def save(name: str | None, exported: Any) -> None:
    """Keep ``exported`` under this key (written whole, then renamed: readers never see half)."""
    where = folder()
    if name is None or where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        blob = exported.serialize()
        fd, tmp = tempfile.mkstemp(dir=where, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, where / f"{name}.bin")
    except Exception:  # a read-only or full disk, no serializer: stay in memory
        return
