"""Importing neurovariety changes no global state; the exact paths never import JAX.

Each check runs in a fresh interpreter: within the test process JAX is long imported and its
64-bit mode long on, so only a new process shows what an import does by itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object as its last line."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_and_exact_dimension_leave_jax_unimported() -> None:
    r = _run(
        """
        import json, sys, threading
        import neurovariety
        after_import = "jax" in sys.modules
        from neurovariety import dimension, parse_architecture
        from neurovariety.parametrization import exact  # noqa: F401
        d = dimension(parse_architecture("mlp 2-3-1 x^2"), method="exact")
        print(json.dumps({"after_import": after_import, "after_dim": "jax" in sys.modules,
                          "dim": d.dimension, "threads": threading.active_count()}))
        """
    )
    # mlp 2-3-1 x^2: binary quadrics, 3 of them, and 9 - 3 rescalings = 6 >= 3: filling (AH).
    assert r == {"after_import": False, "after_dim": False, "dim": 3, "threads": 1}


def test_no_module_turns_on_x64_or_starts_threads_at_import() -> None:
    r = _run(
        """
        import importlib, json, pkgutil, threading
        import jax
        import jax._src.xla_bridge as xla_bridge
        import neurovariety
        names = [m.name for m in pkgutil.walk_packages(neurovariety.__path__, "neurovariety.")
                 if not m.name.endswith("__main__")]  # __main__ runs the command line
        for name in names:
            importlib.import_module(name)
        state = {"modules": len(names), "x64": jax.config.jax_enable_x64,
                 "threads": threading.active_count(),
                 "backend": xla_bridge.backends_are_initialized()}
        from neurovariety.parametrization.numeric import forward
        from neurovariety import parse_architecture
        y = forward(parse_architecture("mlp 1-1-1 x^2"), [3.0, 5.0], [[2.0]])  # 5 (3 * 2)^2
        state.update(x64_after=jax.config.jax_enable_x64, y=y.tolist(), dtype=str(y.dtype))
        print(json.dumps(state))
        """
    )
    assert r["modules"] > 50  # walk_packages found the package's modules
    assert r["x64"] is False, "a module turned on JAX's 64-bit mode at import"
    assert r["backend"] is False, "a module started XLA (its thread pool) at import"
    assert r["threads"] == 1, "a module started a thread at import"
    assert r["x64_after"] is True and r["dtype"] == "float64" and r["y"] == [[180.0]]
