"""The simulator's two halves meet only in `simulator.records` (issue #15), read from the source.

Imports are read with `ast`, so lazy imports inside functions count as much as top-level ones;
imports under `if TYPE_CHECKING:` count for the layering but not for cycles (they never run).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDS = "simulator.records"
GENERATOR = "simulator.generator"
SERVER = "simulator.server"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported simulator module (a submodule when `from pkg import submodule`)
    line: int
    type_only: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def simulator_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / "simulator").rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """Every import of a simulator module in one file, wherever it stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import sub` imports the submodule; `from mod import name` the module
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            targets = []
        for target in targets:
            if target == "simulator" or target.startswith("simulator."):
                found.append(Import(name, target, node.lineno, type_only))
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def all_imports() -> list[Import]:
    modules = simulator_modules()
    return [i for name, path in modules.items() for i in imports_of(name, path, modules)]


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def shown(imports: list[Import]) -> list[str]:
    return [f"{i.source}:{i.line} imports {i.target}" for i in imports]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_every_module_belongs_to_one_half():
    loose = [
        name
        for name in simulator_modules()
        if name not in ("simulator", RECORDS)
        and not within(name, GENERATOR)
        and not within(name, SERVER)
    ]
    assert loose == [], "put each simulator module in simulator/generator or simulator/server"


def test_the_generator_never_imports_the_server():
    wrong = [i for i in all_imports() if within(i.source, GENERATOR) and within(i.target, SERVER)]
    assert shown(wrong) == []


def test_records_import_neither_half():
    wrong = [i for i in all_imports() if i.source == RECORDS]
    assert shown(wrong) == []


def test_the_server_uses_only_the_generators_exports():
    wrong = [
        i
        for i in all_imports()
        if within(i.source, SERVER) and within(i.target, GENERATOR) and i.target != GENERATOR
    ]
    assert shown(wrong) == []


def test_no_import_cycle_among_simulator_modules():
    edges: dict[str, set[str]] = {}
    for i in all_imports():
        if not i.type_only and i.target != i.source:
            edges.setdefault(i.source, set()).add(i.target)
    assert find_cycle(edges) is None


def test_the_reader_sees_lazy_relative_and_type_only_imports(tmp_path):
    """The checks above are only as good as this reader: it must not miss an import."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from simulator.generator import org\n"
        "if TYPE_CHECKING:\n"
        "    from simulator.server.routes import GitHubApi\n"
        "def later():\n"
        "    import simulator.server.faults\n"
        "    from . import truth\n"
        "    from .sim import RepoSim\n",
        encoding="utf-8",
    )
    modules = simulator_modules()
    found = imports_of("simulator.generator.probe", source, modules)
    assert [(i.target, i.line, i.type_only) for i in found] == [
        ("simulator.generator.org", 2, False),
        ("simulator.server.routes", 4, True),
        ("simulator.server.faults", 6, False),
        ("simulator.generator.truth", 7, False),
        ("simulator.generator.sim", 8, False),
    ]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}}) is None
