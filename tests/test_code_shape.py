"""The package's code stays in readable pieces: short modules and short functions.

Read from the source (the AST), not by importing. A module has at most ``MODULE_LINES`` lines
unless its docstring holds a sentence beginning "Why one long module" that says why; a function
body has at most ``FUNCTION_LINES`` lines, from its first statement after the docstring to its
end (the signature, e.g. a command's typer options, is a declaration and not counted).
Import circles are checked in ``test_import_layers.py``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "neurovariety"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE

MODULE_LINES = 600
FUNCTION_LINES = 80
LONG_MODULE_REASON = "Why one long module"

# Functions over the limit that may stay for now: "module:qualified.name" -> why. Keep it short;
# remove an entry when its function is split (a stale entry fails the test).
ALLOWED_LONG_FUNCTIONS: dict[str, str] = {}
# Modules over the limit without a written reason: "path" -> why.
ALLOWED_LONG_MODULES: dict[str, str] = {}


@dataclass(frozen=True)
class Function:
    key: str  # "path:qualified.name"
    lines: int


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the function."""
    body = node.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    if not body:
        return 0
    return int(node.end_lineno or node.lineno) - body[0].lineno + 1


def function_lengths(tree: ast.Module, path: str) -> list[Function]:
    """Every function and method of a module (nested ones too) with its length in lines."""
    out: list[Function] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    out.append(Function(f"{path}:{name}", _body_lines(child)))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def _sources() -> dict[str, str]:
    return {
        p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(ROOT.rglob("*.py"))
    }


def long_modules(sources: dict[str, str], limit: int = MODULE_LINES) -> list[str]:
    """Modules over ``limit`` lines whose docstring gives no reason for their length."""
    out = []
    for path, text in sources.items():
        if len(text.splitlines()) > limit:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if LONG_MODULE_REASON not in doc:
                out.append(path)
    return out


def long_functions(sources: dict[str, str], limit: int = FUNCTION_LINES) -> dict[str, int]:
    """Functions over ``limit`` lines (docstrings not counted): key -> lines."""
    return {
        f.key: f.lines
        for path, text in sources.items()
        for f in function_lengths(ast.parse(text), path)
        if f.lines > limit
    }


def test_the_counter_counts_by_hand() -> None:
    # a hand-written module: f has 3 body lines (a 2-line signature and a 3-line docstring not
    # counted), the method g 1, outer 2 (the nested h and a return), h 1 (on its def line),
    # a function that is only a docstring 0
    text = (
        'def f(\n    x=1):\n    """Doc\n    more\n    """\n    a = 1\n    b = 2\n    return a + b\n'
        "class C:\n    def g(self):\n        return 1\n"
        "def outer():\n    def h(): return 2\n    return h\n"
        'def doc():\n    """Only this."""\n'
    )
    found = {f.key: f.lines for f in function_lengths(ast.parse(text), "m.py")}
    assert found == {"m.py:f": 3, "m.py:C.g": 1, "m.py:outer": 2, "m.py:outer.h": 1, "m.py:doc": 0}
    assert long_functions({"m.py": text}, limit=2) == {"m.py:f": 3}
    assert long_modules({"m.py": text}, limit=15) == ["m.py"]
    assert long_modules({"m.py": f'"""{LONG_MODULE_REASON}: tables."""\n' + text}, 15) == []


def test_the_limits_bite_on_the_package() -> None:
    # with the limits lowered the package does have long modules and functions: the check reads it
    sources = _sources()
    assert len(long_modules(sources, limit=100)) > 10
    assert len(long_functions(sources, limit=20)) > 50


def test_no_module_is_long_without_a_reason() -> None:
    found = long_modules(_sources())
    unknown = [p for p in found if p not in ALLOWED_LONG_MODULES]
    assert not unknown, (
        f"modules over {MODULE_LINES} lines: split them, or write a sentence beginning "
        f"{LONG_MODULE_REASON!r} in the module docstring: {unknown}"
    )
    stale = [p for p in ALLOWED_LONG_MODULES if p not in found]
    assert not stale, f"ALLOWED_LONG_MODULES lists modules that are short now, remove them: {stale}"


def test_no_function_is_long() -> None:
    found = long_functions(_sources())
    unknown = {k: n for k, n in found.items() if k not in ALLOWED_LONG_FUNCTIONS}
    assert not unknown, (
        f"function bodies over {FUNCTION_LINES} lines (signature and docstring not counted): "
        f"split them into named steps: {unknown}"
    )
    stale = [k for k in ALLOWED_LONG_FUNCTIONS if k not in found]
    assert not stale, (
        f"ALLOWED_LONG_FUNCTIONS lists functions that are short now, remove them: {stale}"
    )
