"""The house rules of shared/ARCHITECTURE.md, checked over the source (no database).

- core/ imports no domain package;
- no import cycle between top-level packages (areas only build on lower ones);
- an import inside a function carries a comment saying why (same line or the line above).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests")
TOP_MODULES = ("app", "cli", "demo")  # the composition root: may import everything
SKIP_DIRS = {".venv", "tests", "bench", "migrations", "node_modules", ".git"}


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SKIP_DIRS:
            continue
        yield rel, path.read_text(encoding="utf-8")


def _imports(tree: ast.AST):
    """(module name, node, inside a function?) for every import in `tree`."""
    def walk(node, in_func):
        for child in ast.iter_child_nodes(node):
            inner = in_func or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child, in_func
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                yield child.module, child, in_func
            yield from walk(child, inner)
    yield from walk(tree, False)


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for rel, text in _sources():
        src = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        if src not in graph:
            continue
        for module, _node, _in_func in _imports(ast.parse(text)):
            top = module.split(".")[0]
            if top in graph and top != src:
                graph[src].add(top)
    return graph


def test_core_imports_no_domain_package():
    domain = set(PACKAGES) - {"core"}
    offenders = []
    for rel, text in _sources():
        if rel.parts[0] != "core":
            continue
        for module, node, _ in _imports(ast.parse(text)):
            if module.split(".")[0] in domain or module.split(".")[0] in TOP_MODULES:
                offenders.append(f"{rel}:{node.lineno} imports {module}")
    assert offenders == []


def test_no_import_cycle_between_packages():
    graph = _package_graph()
    cycles = []

    def visit(node, stack):
        for nxt in sorted(graph[node]):
            if nxt in stack:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif len(stack) < len(graph):
                visit(nxt, stack + [nxt])

    for start in graph:
        visit(start, [start])
    assert sorted(set(cycles)) == []


def test_nothing_imports_the_composition_root():
    offenders = [f"{rel}:{node.lineno}" for rel, text in _sources() if rel.stem not in TOP_MODULES
                 for module, node, _ in _imports(ast.parse(text)) if module in TOP_MODULES]
    assert offenders == []


def _comment_above(lines: list[str], index: int) -> bool:
    """A comment on the line above, or above the block of imports this line belongs to."""
    i = index - 1
    while i >= 0 and lines[i].strip().startswith(("from ", "import ")):
        i -= 1
    return i >= 0 and lines[i].strip().startswith("#")


def test_imports_inside_functions_say_why():
    offenders = []
    for rel, text in _sources():
        lines = text.splitlines()
        for module, node, in_func in _imports(ast.parse(text)):
            if not in_func:
                continue
            here = lines[node.lineno - 1]
            if "#" not in here and not _comment_above(lines, node.lineno - 1):
                offenders.append(f"{rel}:{node.lineno} {here.strip()}")
    assert offenders == []


@pytest.mark.parametrize("layer,allowed", [
    ("projects", {"core"}),
    ("catalog", {"core"}),
])
def test_lower_layers_stay_low(layer, allowed):
    assert _package_graph()[layer] <= allowed
