"""The import graph follows the layers in docs/architecture.md: an import points down (or
sideways within a layer), there is no cycle, and no private name is imported across modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "cobalamin"

# module prefix -> layer; the longest matching prefix wins
LAYERS = {
    "cobalamin.errors": 0,
    "cobalamin.datafiles": 0,
    "cobalamin.version": 0,
    "cobalamin.validation": 0,
    "cobalamin.analytes": 1,
    "cobalamin.vocabulary": 1,
    "cobalamin.units": 1,
    "cobalamin.person": 1,
    "cobalamin.case": 1,
    "cobalamin.knowledge": 2,
    "cobalamin.engine": 3,
    "cobalamin.cb12": 3,
    "cobalamin.assessment": 3,
    "cobalamin.outcome": 3,
    "cobalamin.pipeline": 3,
    "cobalamin.absorption": 3,
    "cobalamin.care": 4,
    "cobalamin.nutrition": 4,
    "cobalamin.physiology": 4,
    "cobalamin.batch": 5,
    "cobalamin.interop": 5,
    "cobalamin.render": 5,
    "cobalamin.storage": 5,
    "cobalamin.defaults": 6,
    "cobalamin.facade": 6,
    "cobalamin.cli": 6,
    "cobalamin.web": 6,
    "cobalamin.__main__": 6,
    "cobalamin": 6,  # the package itself: the public facade
}


# Known exceptions being removed (none left: nutrition and physiology take the knowledge as a
# parameter since issue 15).
PENDING: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def _imports() -> dict[str, list[tuple[str, list[str], int]]]:
    """module -> [(imported module, names, line)] for every cobalamin import."""
    graph: dict[str, list[tuple[str, list[str], int]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        found: list[tuple[str, list[str], int]] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("cobalamin"):
                    found.append((node.module, [a.name for a in node.names], node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("cobalamin"):
                        found.append((alias.name, [], node.lineno))
        graph[module] = found
    return graph


def _target(imported: str, name: str, modules: set[str]) -> str:
    """``from package import module`` imports a module; anything else the module itself."""
    candidate = f"{imported}.{name}"
    return candidate if candidate in modules else imported


def test_every_module_has_a_layer() -> None:
    for module in _imports():
        assert _layer(module) >= 0, module


def test_imports_point_down() -> None:
    graph = _imports()
    modules = set(graph)
    upward = []
    for module, imports in graph.items():
        for imported, names, line in imports:
            for target in {_target(imported, n, modules) for n in names} or {imported}:
                if _layer(target) > _layer(module) and (module, target) not in PENDING:
                    upward.append(f"{module}:{line} imports {target} (layer {_layer(target)})")
    assert not upward, "\n".join(upward)


def test_no_private_name_is_imported_across_modules() -> None:
    private = [
        f"{module}:{line} imports {imported}.{name}"
        for module, imports in _imports().items()
        for imported, names, line in imports
        for name in names
        if name.startswith("_")
        and not name.startswith("__")
        and (module, f"{imported}.{name}") not in PENDING
    ]
    assert not private, "\n".join(private)


def test_no_import_cycle() -> None:
    graph = _imports()
    modules = set(graph)
    edges = {
        m: {
            t
            for imported, names, _ in imports
            for t in ({_target(imported, n, modules) for n in names} or {imported})
            if t in modules and t != m and not m.startswith(t + ".")
        }
        for m, imports in graph.items()
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
