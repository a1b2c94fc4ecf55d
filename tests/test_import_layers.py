"""The package's modules import one another in one direction, without circles.

Read from the source (the AST), not by importing: only module-level imports count (``if
TYPE_CHECKING`` blocks excluded); imports inside functions are lazy and allowed to close a
circle, but they are read too (a second graph) and must name modules that exist. Layers, lowest
first — a module may import its own layer or a lower one, never a higher one:

    foundation (errors, results, resources, the package root)
    → architectures → exact, parametrization, nag → invariants → landscape, sweeps
    → experiments, report → cli (the ``cli`` package: the table of contents, the contract, the
    shared options and one module per group of commands; and ``__main__``)
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = "neurovariety"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE

LAYERS: dict[str, int] = {
    "errors": 0,
    "results": 0,
    "resources": 0,
    "jaxconfig": 0,
    "architectures": 1,
    "exact": 2,
    "parametrization": 2,
    "nag": 2,
    "invariants": 3,
    "landscape": 4,
    "sweeps": 4,
    "experiments": 5,
    "report": 5,
    "cli": 6,
    "__main__": 6,
}
CLI = LAYERS["cli"]

# Upward imports that exist and why they are allowed (importer, imported). Keep it short.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}

# Module-level circles that exist and why they are allowed (as sorted tuples of modules).
KNOWN_CYCLES: dict[tuple[str, ...], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


@cache
def _parsed(path: Path) -> ast.Module:
    # each test reads the whole package: parse every file once per session
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports executed when the module loads: top level and inside if/try/with blocks, not in
    functions or classes, not under ``if TYPE_CHECKING``."""
    out: list[ast.Import | ast.ImportFrom] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                out.append(node)
            elif isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(tree.body)
    return out


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(
    importer: str, is_package: bool, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]
) -> list[str]:
    """The names an import statement loads (``from pkg import sub``: ``pkg.sub`` when it is a
    module of the package)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    target = _resolve(importer, is_package, node)
    return [
        f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target
        for alias in node.names
    ]


def import_graph(lazy: bool = False) -> dict[str, set[str]]:
    """Module → the package modules it imports at load time (``from pkg import sub`` counts as
    an import of ``pkg.sub`` when that is a module); with ``lazy``, imports inside functions
    and under ``if TYPE_CHECKING`` too."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = _parsed(path)
        is_package = path.name == "__init__.py"
        nodes = (
            [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
            if lazy
            else _module_level_imports(tree)
        )
        for node in nodes:
            targets = _targets(name, is_package, node, modules)
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def unresolved_imports() -> list[str]:
    """Imports of the package, lazy ones included, that name no module of it (a module split or
    renamed under a lazy import fails only when that function runs)."""
    modules = _modules()
    out = []
    for name, path in modules.items():
        for node in ast.walk(_parsed(path)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for t in _targets(name, path.name == "__init__.py", node, modules):
                    if t.split(".")[0] == PACKAGE and t not in modules:
                        out.append(f"{name}: {t}")
    return out


def layer(module: str) -> int:
    """The layer of a module (see the module docstring)."""
    parts = module.split(".")[1:]
    if not parts:
        return 0  # the package root: lazy exports only
    if parts[0] not in LAYERS:
        raise AssertionError(
            f"{module} belongs to no layer; add {parts[0]!r} to LAYERS in {Path(__file__).name}"
        )
    return LAYERS[parts[0]]


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_checker_sees_circles_and_layers() -> None:
    # the checker itself: a hand-made graph with one circle, and the layer of known modules
    toy = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(toy) == [("a", "b", "c")]
    assert cycles({"a": {"b"}, "b": set()}) == []
    assert layer("neurovariety.cli.nag") == CLI
    assert layer("neurovariety.cli.contract") == CLI
    assert layer("neurovariety.nag.solve") == LAYERS["nag"]
    assert layer("neurovariety.exact.modular") == LAYERS["exact"]
    tree = ast.parse(
        "import os\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n"
        "try:\n    import b\nexcept ImportError:\n    import c\n"
        "def f():\n    import d\n"
    )
    names = [
        n.module if isinstance(n, ast.ImportFrom) else n.names[0].name
        for n in _module_level_imports(tree)
    ]
    assert names == ["os", "typing", "b", "c"]


def test_the_graph_sees_the_known_edges() -> None:
    # relative, absolute and `from package import module` forms all resolve to modules
    graph = import_graph()
    assert "neurovariety.invariants.formulas" in graph["neurovariety.invariants.dimension"]
    assert "neurovariety.exact" in graph["neurovariety.parametrization.exact"]
    assert "neurovariety.architectures.base" in graph["neurovariety.invariants.equations"]


def test_no_module_level_import_circles() -> None:
    found = {c: None for c in cycles(import_graph())}
    unknown = [c for c in found if c not in KNOWN_CYCLES]
    assert not unknown, (
        "module-level import circles (make one of the imports lazy, inside the function that "
        f"needs it, or move the shared code down a module): {unknown}"
    )
    stale = [c for c in KNOWN_CYCLES if c not in found]
    assert not stale, f"circles listed in KNOWN_CYCLES no longer exist, remove them: {stale}"


def test_lazy_imports_are_a_separate_graph() -> None:
    # circles closed by an import inside a function are allowed (that is how one breaks a
    # circle), so they are not in the load-time graph; every module-level edge is in both
    eager, lazy = import_graph(), import_graph(lazy=True)
    assert all(eager[m] <= lazy[m] for m in eager)
    assert len(cycles(lazy)) >= len(cycles(eager))
    # sandbox ↔ store: store imports sandbox at load time, sandbox store only in a function
    assert "neurovariety.sweeps.sandbox" in eager["neurovariety.sweeps.store"]
    assert "neurovariety.sweeps.store" not in eager["neurovariety.sweeps.sandbox"]
    assert "neurovariety.sweeps.store" in lazy["neurovariety.sweeps.sandbox"]


def test_every_import_names_a_module() -> None:
    found = unresolved_imports()
    assert not found, "imports of modules that do not exist (split or renamed?):\n" + "\n".join(
        found
    )


def test_no_import_runs_up_the_layers() -> None:
    graph = import_graph()
    upward = {
        (a, b): f"{a} (layer {layer(a)}) imports {b} (layer {layer(b)})"
        for a, targets in graph.items()
        for b in targets
        if layer(b) > layer(a)
    }
    unknown = [why for edge, why in upward.items() if edge not in KNOWN_UPWARD]
    assert not unknown, "imports that run up the layers (import lazily instead):\n" + "\n".join(
        unknown
    )
    stale = [edge for edge in KNOWN_UPWARD if edge not in upward]
    assert not stale, f"KNOWN_UPWARD lists imports that no longer exist, remove them: {stale}"


def test_equations_imports_nothing_built_on_it() -> None:
    # the degree ↔ equations circle (membership, then inside equations.py, asked degree for the
    # closed degree formula) is gone: equations.py imports none of the modules built on it, not
    # even inside a function; the moved names it still offers load through __getattr__
    path = ROOT / "invariants" / "equations.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node.test)
        for n in ast.walk(node)
    }
    imported = {
        _resolve("neurovariety.invariants.equations", False, node)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and id(node) not in typing_only
    }
    users = {
        "degree",
        "profile",
        "membership",
        "lcn_equations",
        "singular_locus",
        "identifiability",
    }
    assert not {f"neurovariety.invariants.{u}" for u in users} & imported
    graph = import_graph()
    assert "neurovariety.invariants.equations" in graph["neurovariety.invariants.degree"]
    assert "neurovariety.invariants.equations" in graph["neurovariety.invariants.membership"]
