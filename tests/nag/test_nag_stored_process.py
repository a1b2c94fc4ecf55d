"""Programs kept on disk, across processes: a new process loads the executables that an
earlier one compiled and gets the same solutions, bit for bit (a loaded executable that calls
LAPACK before jaxlib registered it crashed the process; one loaded without its compiler
options failed to find its kernels; one that JAX had loaded from its own cache lost kernels
when serialized again)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent(
    """
    import sys
    import jax
    jax.config.update("jax_compilation_cache_dir", sys.argv[1])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    import numpy as np
    from neurovariety.nag import parse_system, solve
    F = parse_system("x^2 + y^2 - 5\\nx*y - 2")
    r = solve(F, seed=0, start="total-degree")
    np.save(sys.argv[2], np.asarray(r.solutions(), dtype=complex))
    """
)


def _solve(tmp_path, name: str) -> np.ndarray:
    out = tmp_path / f"{name}.npy"
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "cache"), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return np.load(out)


def test_a_new_process_loads_what_the_first_compiled(tmp_path):
    exports = tmp_path / "cache" / "neurovariety-exports"
    first = _solve(tmp_path, "first")
    kept = sorted(p.name for p in exports.glob("*.exe"))
    assert len(first) == 4 and kept  # the loop's widths and the evaluation
    second = _solve(tmp_path, "second")  # loads them: nothing new is written
    assert sorted(p.name for p in exports.glob("*.exe")) == kept
    assert np.array_equal(first, second)
    # JAX's cache has the programs, this folder none: they are not serialized from there
    for p in exports.glob("*.exe"):
        p.unlink()
    third = _solve(tmp_path, "third")
    assert not list(exports.glob("*.exe"))
    assert np.array_equal(first, third)
