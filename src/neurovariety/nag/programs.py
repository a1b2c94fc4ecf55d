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
from .step import TrackState, TrackStatus, _step

# the loop's state is a named tuple: its tree is part of the exported module's signature
export.register_namedtuple_serialization(TrackState, serialized_name="neurovariety.nag.TrackState")


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
def _key(fn: HomotopyFn, program: tuple[int, str], signature: tuple[Any, ...]) -> str | None:
    """The loop's entry on disk (:func:`.stored.key`), or ``None``."""
    lanes, lane_leaves, shared, data_leaves = signature
    data = _specs(shared, data_leaves, ())
    return stored.key(fn, program, signature, data, _specs(lanes, lane_leaves, ()))


@functools.cache
def _exported(fn: HomotopyFn, program: tuple[int, str], signature: tuple[Any, ...]) -> Any:
    """The loop exported with a symbolic number of lanes ``b``; ``None`` if it does not export.

    Kept on disk beside JAX's persistent compilation cache when that is on (:mod:`.stored`): a
    later process that needs a width with no stored executable lowers it without tracing.
    """
    lanes, lane_leaves, shared, data_leaves = signature
    key = _key(fn, program, signature)
    found = stored.load(key)
    if found is not None:
        return found
    (b,) = export.symbolic_shape("b")
    ctl, pdata, state = _specs(lanes, lane_leaves, (b,))
    data = _specs(shared, data_leaves, ())
    run = jax.jit(functools.partial(_advance_impl, fn, program))
    n = jax.ShapeDtypeStruct((), np.int32)
    try:
        exported = export.export(run)(ctl, data, pdata, state, n)
    except Exception:  # not exportable with a symbolic width: jit per width instead
        return None
    stored.save(key, exported)
    return exported


class _Loop:
    """The loop at one width: an executable kept on disk, else the exported module lowered and
    compiled (and then kept), else ``_Bound`` (a homotopy that does not export)."""

    def __init__(self, fn: HomotopyFn, program: tuple[int, str], signature: Any, optimize: bool):
        self.head = (fn, program, signature)
        self.optimize = optimize
        self.run: Any = None
        self.lowered: Any = None
        self.name: str | None = None
        self.lock = threading.Lock()

    def __call__(self, *args: Any) -> Any:
        run = self.run
        if run is None:
            run = self._compile(args)
        return run(*args)

    def trace(self, *args: Any) -> Any:
        """Like ``jax.jit``'s: ``trace(*args).lower()`` does the Python part, not XLA's."""
        return _Traced(self, args)

    def prepare(self, args: tuple[Any, ...]) -> None:
        """Load this width's executable, or lower the exported loop for it."""
        with self.lock:
            if self.run is not None or self.lowered is not None:
                return
            fn, program, signature = self.head
            options = _options(self.optimize)
            with _LOCK:  # one key and one export per homotopy, whichever width asks first
                key = _key(fn, program, signature)
            self.name = None if key is None else stored.executable_name(key, args, options)
            self.run = stored.load_executable(self.name, args, args[3], options)
            if self.run is not None:
                return
            with _LOCK:
                exported = _exported(fn, program, signature)
            if exported is None:
                self.run = _Bound(fn, program, self.optimize)
                self.lowered = self.run.trace(*args).lower()
                return

            def stored_loop(*args: Any) -> Any:  # a name of its own: see stored.compile_and_keep
                return exported.call(*args)

            self.lowered = jax.jit(stored_loop, compiler_options=options).lower(*args)

    def _compile(self, args: tuple[Any, ...]) -> Any:
        self.prepare(args)
        with self.lock:
            if self.run is None:
                self.run = stored.compile_and_keep(self.name, self.lowered)
            return self.run


class _Traced:
    def __init__(self, loop: _Loop, args: tuple[Any, ...]) -> None:
        self.loop, self.args = loop, args

    def lower(self) -> None:
        self.loop.prepare(self.args)


_LOOPS: dict[tuple[Any, ...], _Loop] = {}


def compiled_programs(optimize: bool) -> int:
    """How many programs of the loop this process has compiled (or loaded) at this level."""
    loops = [v for v in list(_LOOPS.values()) if v.optimize == optimize]
    ours = sum(v.run is not None and not isinstance(v.run, _Bound) for v in loops)
    return ours + _program(optimize)._cache_size()  # _Bound's programs are jit's


#: Pools call from several threads (parts, a tail compiled in the background): one export and
#: one program per key, not one per thread that missed the cache at the same moment.
_LOCK = threading.Lock()


def loop(fn: HomotopyFn, program: tuple[int, str], optimize: bool, args: tuple[Any, ...]) -> Any:
    """A compiled callable of ``args`` (from :func:`arguments`) running the loop."""
    signature = _signature(args)
    width = np.shape(args[3].X)[0]
    with _LOCK:
        found = _LOOPS.get((fn, program, signature, width, optimize))
        if found is None:
            found = _LOOPS[fn, program, signature, width, optimize] = _Loop(
                fn, program, signature, optimize
            )
    return found
