"""Exported tracker loops kept on disk (nag.stored): what changes the key, and that a loaded
loop runs what a fresh export runs."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from neurovariety.nag import parse_system, programs, stored
from neurovariety.nag.homotopy import total_degree_homotopy
from neurovariety.nag.tracker import TrackerOptions, TrackState, TrackStatus, controls


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(stored, "folder", lambda: tmp_path)
    programs._exported.cache_clear()
    yield tmp_path
    programs._exported.cache_clear()


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
    programs._exported.cache_clear()  # a new process: only the disk has it
    loads = []
    monkeypatch.setattr(
        stored, "load", lambda name, load=stored.load: loads.append(name) or load(name)
    )
    again = jax.block_until_ready(programs.loop(H.fn, TrackerOptions().program, False, args)(*args))
    assert loads and loads[0] is not None
    for a, b in zip(fresh, again, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))


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
