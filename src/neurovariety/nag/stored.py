"""Compiled programs kept on disk, beside JAX's persistent compilation cache.

A new process that finds its programs in JAX's compilation cache still traces and lowers them
in Python, which that cache cannot spare (its key is the lowered program): ten dense quadrics
(660 unrolled terms) spent ~0.45 s tracing the homotopy's function, ~0.7 s a batch width
lowering the exported tracker loop, and ~1 s tracing and lowering the evaluation program. When
that cache is on (the command line turns it on), its ``neurovariety-exports`` folder keeps

- ``<key>.bin``: the tracker loop exported with a symbolic number of lanes (:mod:`.programs`),
  for widths that have no executable yet;
- ``<name>.exe``: an executable per batch width and program (the tracker loop's, the
  evaluation's), which a later process loads (0.3-0.45 s for the quadrics' loop) without tracing
  or lowering.

The key must change whenever the program would. Where a function was built by this package
from plain data (:func:`fingerprint`: its code, its closures' values, the source of the modules
that define it and of the functions it reaches), that data is the key: a new support, other
values of a captured array, an edited module change it (coefficients are the program's
arguments, not part of it). Other functions (a user's callable) are traced alone
and their jaxpr and constants hashed. Either way the key also holds the arguments' shapes and
dtypes, the tracker program, the versions of JAX, jaxlib, numpy and this package, and the
source of the loop's modules; an executable's name adds the width, the compiler options and
the platform. Anything that fails here (no cache folder, an unreadable, foreign or corrupt
file) means: trace and compile as if nothing were stored.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import platform
import sys
import tempfile
import threading
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jax
import numpy as np
from jax import export

if TYPE_CHECKING:
    from .homotopy import HomotopyFn

FOLDER = "neurovariety-exports"
_MAGIC = b"neurovariety-executable-1\n"


def folder() -> Path | None:
    """Where programs are kept: beside the persistent compilation cache, if it is on."""
    base = getattr(jax.config, "jax_compilation_cache_dir", None)
    base = base or os.environ.get("JAX_COMPILATION_CACHE_DIR")
    return Path(base) / FOLDER if base else None


@functools.cache
def _code() -> bytes:
    """The versions and the loop's source: a new release or an edited step changes every key."""
    import jaxlib

    from .. import __version__

    here = Path(__file__).parent
    versions = f"{jax.__version__} {jaxlib.__version__} {np.__version__} {__version__}"
    h = hashlib.sha256(versions.encode())
    for name in ("programs.py", "step.py", "stored.py"):
        h.update((here / name).read_bytes())
    return h.digest()


# ---------------------------------------------------------------- what a function computes


class _Unknown(Exception):
    """A value whose effect on a traced program this module cannot vouch for."""


_PLAIN = (type(None), bool, int, float, complex, str, bytes)


@functools.cache
def _source(module: str) -> bytes:
    """The source of one of this package's modules (a function's code reads its globals)."""
    path = getattr(sys.modules.get(module), "__file__", None)
    if path is None:
        raise _Unknown(module)
    return hashlib.sha256(Path(path).read_bytes()).digest()


def _ours(module: Any) -> bool:
    return isinstance(module, str) and module.split(".")[0] == "neurovariety"


def _value(v: Any, h: Any, seen: set[int]) -> None:
    """Hash ``v`` into ``h``: plain data by value, this package's functions by their code,
    closures and globals; anything else raises :class:`_Unknown`."""
    if isinstance(v, _PLAIN):
        h.update(f"{type(v).__name__}:{v!r};".encode())
    elif isinstance(v, tuple | list | frozenset):
        items = sorted(v, key=repr) if isinstance(v, frozenset) else v
        h.update(f"{type(v).__name__}{len(items)}(".encode())
        for x in items:
            _value(x, h, seen)
        h.update(b")")
    elif isinstance(v, dict):
        h.update(f"dict{len(v)}(".encode())
        for k in sorted(v, key=repr):
            _value(k, h, seen)
            _value(v[k], h, seen)
        h.update(b")")
    elif isinstance(v, np.ndarray | np.generic | jax.Array):
        a = np.asarray(v)
        if a.dtype == object:
            raise _Unknown(type(v))
        h.update(f"array:{a.dtype.str}{a.shape};".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    elif isinstance(v, functools.partial):
        h.update(b"partial(")
        for x in (v.func, v.args, v.keywords):
            _value(x, h, seen)
        h.update(b")")
    elif isinstance(v, types.FunctionType) and _ours(v.__module__):
        _function(v, h, seen)
    else:
        _named(v, h, seen)


#: Libraries whose functions, classes and modules count by name (their versions are in the key).
_LIBRARIES = ("jax", "jaxlib", "numpy", "builtins", "math", "functools", "operator", "typing")


def _library(module: Any) -> bool:
    return isinstance(module, str) and module.split(".")[0] in _LIBRARIES


def _named(v: Any, h: Any, seen: set[int]) -> None:
    """A module, class or function by its name: a library's (the versions in the key cover it)
    or this package's (with its source). A library's wrapper of a function (``jax.jit``,
    ``custom_jvp``) counts by the function it wraps; any other object raises :class:`_Unknown`."""
    if isinstance(v, types.ModuleType):
        module, name = v.__name__, ""
    elif isinstance(v, type | types.FunctionType | types.BuiltinFunctionType):
        module, name = v.__module__, v.__qualname__
    elif _library(type(v).__module__) and isinstance(
        getattr(v, "__wrapped__", None), types.FunctionType
    ):
        h.update(f"wrapper:{type(v).__module__}.{type(v).__qualname__};".encode())
        _value(v.__wrapped__, h, seen)
        return
    elif _library(type(v).__module__) and _library(getattr(v, "__module__", None)):
        module, name = getattr(v, "__module__", ""), getattr(v, "__name__", type(v).__qualname__)
    else:
        raise _Unknown(type(v))
    if not (_library(module) or _ours(module)):
        raise _Unknown(module)
    h.update(f"named:{module}.{name};".encode())
    if _ours(module):
        h.update(_source(module))


def _function(f: types.FunctionType, h: Any, seen: set[int]) -> None:
    """One of this package's functions: its module's source, code, defaults, closure values
    and the globals its code names (a function of the package reached through them too)."""
    if not _ours(f.__module__):
        raise _Unknown(f.__module__)
    h.update(f"function:{f.__module__}.{f.__qualname__};".encode())
    if id(f) in seen:  # recursion (a function naming itself): its name is enough
        return
    seen.add(id(f))
    h.update(_source(f.__module__))
    _code_object(f.__code__, h)
    _value((f.__defaults__, f.__kwdefaults__), h, seen)
    for cell in f.__closure__ or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell (a name bound after the function was made)
            raise _Unknown("empty cell") from None
        _value(contents, h, seen)
    for name in _names(f.__code__):
        if name in f.__globals__:
            h.update(f"global:{name}=".encode())
            _value(f.__globals__[name], h, seen)


def _code_object(code: types.CodeType, h: Any) -> None:
    h.update(code.co_code)
    h.update(repr((code.co_names, code.co_varnames, code.co_freevars)).encode())
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_object(c, h)
        else:
            h.update(repr(c).encode())


def _names(code: types.CodeType) -> list[str]:
    """The global (and attribute) names of ``code`` and of the functions defined in it."""
    out = list(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out += _names(c)
    return sorted(set(out))


def _config() -> str:
    """JAX settings that change what a function traces to."""
    names = (
        "jax_enable_x64",
        "jax_default_matmul_precision",
        "jax_numpy_dtype_promotion",
        "jax_numpy_rank_promotion",
    )
    return repr([(n, getattr(jax.config, n, None)) for n in names])


def fingerprint(f: Any) -> bytes | None:
    """A hash of everything ``f`` traces to, if ``f`` was built by this package from plain data
    (see the module docstring); ``None`` otherwise (a user's function: trace it instead)."""
    h = hashlib.sha256(_config().encode())
    try:
        _value(f, h, set())
    except (_Unknown, RecursionError):
        return None
    return h.digest()


def _traced(fn: HomotopyFn, data: Any, lane: Any) -> bytes | None:
    """The homotopy function's jaxpr at one lane's shapes, and its captured constants."""
    _, pdata, state = lane
    t = jax.ShapeDtypeStruct((), np.complex128)
    try:
        closed = jax.make_jaxpr(fn)(data, pdata, state.X, t)
    except Exception:
        return None
    h = hashlib.sha256(str(closed.jaxpr).encode())
    for c in closed.consts:
        a = np.asarray(c)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.digest()


def key(
    fn: HomotopyFn, program: tuple[int, str], signature: tuple[Any, ...], data: Any, lane: Any
) -> str | None:
    """The entry of this loop, or ``None`` (nothing stored: no folder, or ``fn`` does not trace
    alone). ``data``: the shared arguments' shapes; ``lane``: one lane's ``(ctl, pdata, state)``."""
    if folder() is None:
        return None
    own = fingerprint(fn)
    body = b"own:" + own if own is not None else _traced(fn, data, lane)
    if body is None:
        return None
    h = hashlib.sha256(_code())
    h.update(repr((program, signature)).encode())
    h.update(body)
    return h.hexdigest()


# ---------------------------------------------------------------- exported loops


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


def _write(path: Path, blob: bytes) -> None:
    """Write whole, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save(name: str | None, exported: Any) -> None:
    """Keep ``exported`` under this key."""
    where = folder()
    if name is None or where is None:
        return
    try:
        _write(where / f"{name}.bin", exported.serialize())
    except Exception:  # a read-only or full disk, no serializer: stay in memory
        return


# ---------------------------------------------------------------- executables


def _host() -> Any:
    """The CPU device: every program of nag runs there (:func:`.device.on_host`)."""
    return jax.devices("cpu")[0]


def executable_name(key: bytes | str, args: tuple[Any, ...], options: dict[str, Any]) -> str:
    """The file of one executable: the program's key, the arguments' shapes and dtypes (the
    width among them), the compiler options and what the code was compiled for."""
    device = _host()
    h = hashlib.sha256(_code())
    h.update(key if isinstance(key, bytes) else key.encode())
    leaves, tree = jax.tree_util.tree_flatten(args)
    h.update(repr((tree, [(np.shape(v), np.result_type(v).str) for v in leaves])).encode())
    h.update(repr(sorted(options.items())).encode())
    where = (device.platform, device.client.platform_version, device.device_kind)
    h.update(repr((where, platform.machine(), os.environ.get("XLA_FLAGS", ""))).encode())
    return h.hexdigest()


_LOCAL = threading.local()


def _on_event(event: str, *args: Any, **kwargs: Any) -> None:
    if event == "/jax/compilation_cache/cache_hits":  # in the thread that compiles
        _LOCAL.hit = True


@functools.cache
def _listening() -> bool:
    try:
        jax.monitoring.register_event_listener(_on_event)
    except Exception:  # no listener: nothing compiled can be told from a cache hit
        return False
    return True


def compile_and_keep(name: str | None, lowered: Any) -> Any:
    """Compile ``lowered`` and keep the executable under ``name``, if it was compiled here.

    One that JAX loaded from its compilation cache is not kept: serialized again, it lost
    kernels (a later load failed with "Function ... not found"). Stored programs are lowered
    under names of their own, so that cache holds none of them from before this store.
    """
    listening = name is not None and folder() is not None and _listening()
    _LOCAL.hit = False
    compiled = lowered.compile()
    if listening and not _LOCAL.hit:
        _save_executable(name, compiled)
    return compiled


def _save_executable(name: str | None, compiled: Any) -> None:
    """Keep a compiled program (``jax.stages.Compiled``) under ``name``."""
    where = folder()
    if name is None or where is None:
        return
    try:
        from jax.experimental import serialize_executable

        blob, _, _ = serialize_executable.serialize(compiled)
        _write(where / f"{name}.exe", _MAGIC + blob)
    except Exception:  # a program that does not serialize, a read-only or full disk
        return


@functools.cache
def _lapack_ready() -> bool:
    """Register jaxlib's LAPACK kernels, which it does on the first lowering that needs them:
    a loaded executable that calls them before that crashes the process."""
    try:
        from jax._src.lax import linalg

        linalg.initialize_lapack()
    except Exception:  # another jaxlib: load nothing rather than risk it
        return False
    return True


def load_executable(name: str | None, args: tuple[Any, ...], out: Any, options: dict[str, Any]):
    """The executable kept under ``name`` taking ``args`` and returning a tree like ``out``,
    as a callable, or ``None`` (absent, or unreadable: the caller compiles)."""
    where = folder()
    if name is None or where is None:
        return None
    try:
        blob = (where / f"{name}.exe").read_bytes()
        if not blob.startswith(_MAGIC) or not _lapack_ready():
            return None
        return _deserialize(blob[len(_MAGIC) :], args, out, options)
    except Exception:  # absent, partly written, from another jaxlib, not ours
        return None


def _deserialize(blob: bytes, args: tuple[Any, ...], out: Any, options: dict[str, Any]) -> Any:
    """``serialize_executable.deserialize_and_load`` with the compiler options the program was
    compiled with: the CPU client rebuilds its kernels from them (without, a program compiled
    with the classic fusion emitters fails to find its kernels)."""
    from jax._src import compiler
    from jax.experimental import serialize_executable as se

    device = _host()
    backend = device.client
    compile_options = compiler.get_compile_options(
        num_replicas=1, num_partitions=1, env_options_overrides=options, backend=backend
    )

    class Unpickler(se._JaxPjrtUnpickler):  # type: ignore[name-defined,misc]
        def persistent_load(self, pid: Any) -> Any:
            if pid[0] == "exec":
                return backend.deserialize_executable(
                    pid[1],
                    executable_devices=self.execution_devices,
                    compile_options=compile_options,
                )
            return super().persistent_load(pid)

    unloaded, info, no_kwargs = Unpickler(io.BytesIO(blob), backend, [device]).load()
    in_tree = jax.tree_util.tree_structure((args, {}))
    return jax.stages.Compiled(
        unloaded.load(),
        [],
        jax.tree_util.tree_unflatten(in_tree, info),
        jax.tree_util.tree_structure(out),
        no_kwargs=no_kwargs,
    )
