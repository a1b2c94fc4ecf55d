"""Size limits of the monodromy and result modules: modules of at most 600 lines,
functions of at most 80 lines of code (docstrings aside)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import neurovariety.nag as nag

NAG = Path(nag.__file__).parent
MODULES = sorted(NAG.glob("monodromy*.py")) + [
    NAG / name for name in ("trace.py", "certify.py", "result.py", "witness.py", "endgame.py")
]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def code_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the function's end, less its docstring."""
    lines = fn.end_lineno - fn.lineno + 1  # type: ignore[operator]
    first = fn.body[0]
    value = first.value if isinstance(first, ast.Expr) else None
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        lines -= first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return lines


def test_code_lines_counts_a_function_without_its_docstring():
    tree = ast.parse('def f(x):\n    """Doc.\n\n    More.\n    """\n    y = x\n    return y\n')
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef) and code_lines(fn) == 3


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_and_function_sizes(path: Path):
    text = path.read_text()
    n = len(text.splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.name}: {n} lines"
    long = [
        f"{fn.name}: {code_lines(fn)}"
        for fn in ast.walk(ast.parse(text))
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        and code_lines(fn) > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {long}"
