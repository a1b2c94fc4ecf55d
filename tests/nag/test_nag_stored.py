"""Programs kept on disk (nag.stored): what changes the key, and that a loaded loop or
executable runs what a fresh one runs."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from neurovariety.nag import parse_system, programs, stored
from neurovariety.nag.homotopy import total_degree_homotopy
from neurovariety.nag.tracker import TrackerOptions, TrackState, TrackStatus, controls


def _forget() -> None:
    """What a new process does not have: the loops, exports and keys in memory."""
    programs._exported.cache_clear()
    programs._key.cache_clear()
    programs._LOOPS.clear()


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(stored, "folder", lambda: tmp_path)
    _forget()
    yield tmp_path
    _forget()


def _args(H: Any, X0: np.ndarray, width: int = 8) -> tuple[Any, ...]:
    opts = TrackerOptions()
    state = TrackState.blank(width, X0.shape[1], 1.0, 0.05)
    state = state._replace(
        X=np.resize(X0, (width, X0.shape[1])),
        t1=np.full(width, 0.1),
        status=np.full(width, TrackStatus.TRACKING, np.int32),
    )
    ctl = {k: np.full(width, v, dtype=float) for k, v in controls(opts).items()}
    return programs.arguments(ctl, H.data, {}, state, 6)


def _key(fn: Any, args: tuple[Any, ...]) -> str | None:
    sig = programs._signature(args)
    lanes, lane_leaves, shared, data_leaves = sig
    data = programs._specs(shared, data_leaves, ())
    return stored.key(
        fn, TrackerOptions().program, sig, data, programs._specs(lanes, lane_leaves, ())
    )


def test_a_stored_loop_runs_what_a_fresh_export_runs(folder, monkeypatch):
    H, X0 = total_degree_homotopy(
        parse_system("x^2 - 2*y\ny^3 - x - 1"), np.zeros(0), np.random.default_rng(0)
    )
    args = _args(H, X0)
    fresh = jax.block_until_ready(programs.loop(H.fn, TrackerOptions().program, False, args)(*args))
    assert len(list(folder.glob("*.bin"))) == 1  # written
    for exe in folder.glob("*.exe"):  # only the export: the width is lowered from it
        exe.unlink()
    _forget()  # a new process: only the disk has it
    loads = []
    monkeypatch.setattr(
        stored, "load", lambda name, load=stored.load: loads.append(name) or load(name)
    )
    again = jax.block_until_ready(programs.loop(H.fn, TrackerOptions().program, False, args)(*args))
    assert loads and loads[0] is not None
    for a, b in zip(fresh, again, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_a_stored_executable_runs_what_a_fresh_one_runs(folder, monkeypatch):
    H, X0 = total_degree_homotopy(
        parse_system("x^2 - 2*y\ny^3 - x - 1"), np.zeros(0), np.random.default_rng(0)
    )
    args = _args(H, X0)
    program = TrackerOptions().program
    fresh = jax.block_until_ready(programs.loop(H.fn, program, False, args)(*args))
    assert len(list(folder.glob("*.exe"))) == 1
    _forget()
    monkeypatch.setattr(stored, "load", lambda name: pytest.fail("the export was read"))
    again = jax.block_until_ready(programs.loop(H.fn, program, False, args)(*args))
    for a, b in zip(fresh, again, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    # another width is another executable, lowered from the export
    _forget()
    monkeypatch.undo()
    monkeypatch.setattr(stored, "folder", lambda: folder)
    programs.loop(H.fn, program, False, _args(H, X0, 16))(*_args(H, X0, 16))
    assert len(list(folder.glob("*.exe"))) == 2


def test_a_corrupt_or_foreign_executable_is_compiled_again(folder):
    H, X0 = total_degree_homotopy(parse_system("x^2 - 7"), np.zeros(0), np.random.default_rng(3))
    args = _args(H, X0)
    program = TrackerOptions().program
    fresh = programs.loop(H.fn, program, False, args)(*args)
    (exe,) = folder.glob("*.exe")
    for junk in (b"not a program", stored._MAGIC + b"\x80\x04junk", exe.read_bytes()[:-1000]):
        exe.write_bytes(junk)
        _forget()
        out = programs.loop(H.fn, program, False, args)(*args)
        assert np.array_equal(np.asarray(out.X), np.asarray(fresh.X))


def test_the_fingerprint_follows_code_closures_and_source(monkeypatch):
    # built by the package from plain data: the data is the key (no tracing)
    F, G = parse_system("x^2 - 2*y\ny^3 - x - 1"), parse_system("x^2 - 2*y\ny^3 - x - 1")
    assert stored.fingerprint(F.kernel) is not None
    assert stored.fingerprint(F.kernel) == stored.fingerprint(G.kernel)
    # coefficients are the program's arguments, the support is its code
    assert stored.fingerprint(parse_system("3*x^2 - 2*y\ny^3 - x - 1").kernel) == (
        stored.fingerprint(F.kernel)
    )
    other = stored.fingerprint(parse_system("x^2 - 2*y\ny^3 - x*y - 1").kernel)
    assert other is not None and other != stored.fingerprint(F.kernel)
    H1, _ = total_degree_homotopy(F, np.zeros(0), np.random.default_rng(0))
    H2, _ = total_degree_homotopy(
        parse_system("y^3 - x - 1\nx^2 - 2*y"), np.zeros(0), np.random.default_rng(0)
    )
    assert None not in (stored.fingerprint(H1.fn), stored.fingerprint(H2.fn))
    assert stored.fingerprint(H1.fn) != stored.fingerprint(H2.fn)  # another equation order
    # an edited module changes it
    before = stored.fingerprint(F.kernel)
    monkeypatch.setattr(stored, "_source", lambda module: module.encode() + b"edited")
    assert stored.fingerprint(F.kernel) != before
    # functions from elsewhere (a user's) are traced instead
    assert stored.fingerprint(lambda d, X, p: (X, X)) is None
    assert stored.fingerprint(jax.jit(lambda x: x)) is None


def test_the_executable_name_follows_shapes_dtypes_and_options():
    a = ({"c": np.zeros(3, complex)}, np.zeros((8, 2)))
    name = stored.executable_name("k", a, {"o": 1})
    assert name == stored.executable_name(
        "k", ({"c": np.ones(3, complex)}, np.ones((8, 2))), {"o": 1}
    )
    assert name != stored.executable_name(
        "k", ({"c": np.zeros(3, complex)}, np.zeros((16, 2))), {"o": 1}
    )
    assert name != stored.executable_name("k", ({"c": np.zeros(3)}, np.zeros((8, 2))), {"o": 1})
    assert name != stored.executable_name("k", a, {"o": 0})
    assert name != stored.executable_name("j", a, {"o": 1})


def test_the_key_follows_the_function_and_its_constants(folder):
    H, X0 = total_degree_homotopy(
        parse_system("x^2 - 2*y\ny^3 - x - 1"), np.zeros(0), np.random.default_rng(0)
    )
    args = _args(H, X0)

    def make(c: np.ndarray):
        def fn(data, pdata, X, t):
            H_, Hx, Ht = H.fn(data, pdata, X, t)
            return H_ + jnp.asarray(c)[: H_.shape[0]], Hx, Ht

        return fn

    one, two = np.arange(3.0) + 0j, np.arange(3.0) + 1j  # same shapes, other values
    assert _key(make(one), args) == _key(make(one.copy()), args)
    assert _key(make(one), args) != _key(make(two), args)
    assert _key(H.fn, args) != _key(make(one), args)
    # another width has the same key (the module is exported with a symbolic width) ...
    assert _key(H.fn, _args(H, X0, 16)) == _key(H.fn, args)
    # ... other dtypes of the controls do not
    bad = (jax.tree_util.tree_map(lambda v: v.astype(np.float32), args[0]), *args[1:])
    assert _key(H.fn, bad) != _key(H.fn, args)


def test_an_unreadable_entry_is_exported_again(folder):
    H, X0 = total_degree_homotopy(parse_system("x^2 - 3"), np.zeros(0), np.random.default_rng(1))
    args = _args(H, X0)
    name = _key(H.fn, args)
    (folder / f"{name}.bin").write_bytes(b"not a module")
    out = programs.loop(H.fn, TrackerOptions().program, False, args)(*args)
    assert np.all(np.asarray(out.steps) >= 1)
    assert stored.load(name) is not None  # replaced by a good one


def test_nothing_is_stored_without_a_cache_folder(monkeypatch):
    monkeypatch.setattr(stored, "folder", lambda: None)
    H, X0 = total_degree_homotopy(parse_system("x^2 - 5"), np.zeros(0), np.random.default_rng(2))
    assert _key(H.fn, _args(H, X0)) is None
