"""The tracker's compiled loop, traced once per homotopy for every batch width.

A solve runs the same loop at several widths (a pool, then the quarters of its compaction
ladder, the endgame's pieces). ``jax.jit`` traces a function once per shape, and tracing is
Python: ~0.6 s a width for katsura-10's kernel, 2.5-3.5 s for ten dense quadrics (660 terms),
and the persistent compilation cache cannot keep it (its key is the traced program). Here the
loop is exported once with a symbolic number of lanes (``jax.export``, shape polymorphism) and
each width only lowers that module and compiles it (or loads it from the cache, ~0.2 s).
Homotopies whose functions do not export with a symbolic width (e.g. a user's function with
shape-dependent Python) fall back to ``jax.jit``.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import export

from . import stored
from .device import codegen_options
from .homotopy import HomotopyFn
from .step import TrackStatus, _step


def _advance_impl(
    fn: HomotopyFn, program: tuple[int, str], ctl: Any, data: Any, pdata: Any, state: Any, n: Any
):
    """Up to ``n`` steps of every lane still tracking (the body of every tracker call)."""
    # ctl holds one value per lane: paths tracked with different presets share one batch.
    step = jax.vmap(functools.partial(_step, fn, *program), in_axes=(0, None, 0, 0, None, None))
    # chord Newton (see step._linear) only where every lane asked for it: one branch for all
    chord = jnp.all(ctl["chord"] > 0)

    def cond(c: tuple[Any, Any]) -> Any:
        i, s = c
        return (i < n) & jnp.any(s.status == TrackStatus.TRACKING)

    def body(c: tuple[Any, Any]) -> tuple[Any, Any]:
        i, s = c
        # stage 0 (the tangent at X) runs when some lane starts its path (no stored tangent)
        fresh = (s.status == TrackStatus.TRACKING) & (s.steps == 0)
        s = step(ctl, data, pdata, s, jnp.where(jnp.any(fresh), 0, 1), chord)
        status = jnp.where(
            (s.status == TrackStatus.TRACKING) & (s.steps >= ctl["max_steps"]),
            TrackStatus.MAX_STEPS,
            s.status,
        )
        s = s._replace(status=status.astype(jnp.int32))
        return i + 1, s

    _, state = jax.lax.while_loop(cond, body, (jnp.asarray(0), state))
    return state


def _options(optimize: bool) -> dict[str, Any]:
    """Small batches are compile-bound (tests, monodromy loops): XLA's backend optimization
    level 0 compiles about 3x faster for ~1.5x slower steps. Large batches are run-bound."""
    options = dict(codegen_options())
    if not optimize:
        options["xla_backend_optimization_level"] = 0
    return options


@functools.cache
def _program(optimize: bool) -> Any:
    """The loop under ``jax.jit``, ``(fn, program)`` static (traced per width): the fallback,
    and what ``benchmarks/accelerator.py`` runs on each device."""
    return jax.jit(_advance_impl, static_argnums=(0, 1), compiler_options=_options(optimize))


class _Bound:
    """``_program(optimize)`` with the homotopy and program bound (``__call__`` and ``trace``)."""

    def __init__(self, fn: HomotopyFn, program: tuple[int, str], optimize: bool) -> None:
        self.head = (fn, program)
        self.run = _program(optimize)

    def __call__(self, *args: Any) -> Any:
        return self.run(*self.head, *args)

    def trace(self, *args: Any) -> Any:
        return self.run.trace(*self.head, *args)


def arguments(ctl: Any, data: Any, pdata: Any, state: Any, n: Any) -> tuple[Any, ...]:
    """The loop's arguments with every leaf an array of a fixed dtype (an exported module takes
    exactly the types it was exported for; numpy arrays are never weakly typed)."""
    return (*jax.tree_util.tree_map(np.asarray, (ctl, data, pdata, state)), np.int32(n))


def _signature(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """What the exported module depends on: the tree, the shapes without the number of lanes
    (``ctl``, ``pdata`` and ``state`` lead with it; ``data`` is shared) and the dtypes."""
    ctl, data, pdata, state, _ = args
    lanes = jax.tree_util.tree_structure((ctl, pdata, state))
    shared = jax.tree_util.tree_structure(data)

    def leaves(tree: Any, drop: int) -> tuple[Any, ...]:
        return tuple((v.shape[drop:], v.dtype.str) for v in jax.tree_util.tree_leaves(tree))

    return lanes, leaves((ctl, pdata, state), 1), shared, leaves(data, 0)


def _specs(tree: Any, leaves: tuple[Any, ...], lead: tuple[Any, ...]) -> Any:
    structs = [jax.ShapeDtypeStruct(lead + tuple(s), np.dtype(d)) for s, d in leaves]
    return jax.tree_util.tree_unflatten(tree, structs)


@functools.cache
def _exported(fn: HomotopyFn, program: tuple[int, str], signature: tuple[Any, ...]) -> Any:
    """The loop exported with a symbolic number of lanes ``b``; ``None`` if it does not export.

    Kept on disk beside JAX's persistent compilation cache when that is on (:mod:`.stored`):
    a later process then traces only the homotopy's own function (to find the entry), not the
    loop around it.
    """
    lanes, lane_leaves, shared, data_leaves = signature
    (b,) = export.symbolic_shape("b")
    ctl, pdata, state = _specs(lanes, lane_leaves, (b,))
    data = _specs(shared, data_leaves, ())
    key = stored.key(fn, program, signature, data, _specs(lanes, lane_leaves, ()))
    found = stored.load(key)
    if found is not None:
        return found
    run = jax.jit(functools.partial(_advance_impl, fn, program))
    n = jax.ShapeDtypeStruct((), np.int32)
    try:
        exported = export.export(run)(ctl, data, pdata, state, n)
    except Exception:  # not exportable with a symbolic width: jit per width instead
        return None
    stored.save(key, exported)
    return exported


_CALLERS: dict[tuple[Any, bool], Any] = {}


def _caller(exported: Any, optimize: bool) -> Any:
    key = (exported, optimize)
    if key not in _CALLERS:
        _CALLERS[key] = jax.jit(exported.call, compiler_options=_options(optimize))
    return _CALLERS[key]


def compiled_programs(optimize: bool) -> int:
    """How many programs of the loop this process has compiled at this optimization level."""
    callers = [c for (_, o), c in list(_CALLERS.items()) if o == optimize]
    return _program(optimize)._cache_size() + sum(c._cache_size() for c in callers)


#: Pools call from several threads (parts, a tail compiled in the background): one export and
#: one caller per key, not one per thread that missed the cache at the same moment.
_LOCK = threading.Lock()


def loop(fn: HomotopyFn, program: tuple[int, str], optimize: bool, args: tuple[Any, ...]) -> Any:
    """A compiled callable of ``args`` (from :func:`arguments`) running the loop."""
    with _LOCK:
        exported = _exported(fn, program, _signature(args))
        if exported is None:
            return _Bound(fn, program, optimize)
        return _caller(exported, optimize)
