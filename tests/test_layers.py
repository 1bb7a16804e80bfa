"""The layers, read from the imports (every one, module-level or inside a function):

core/          imports nothing of the project, and no Streamlit
etl/           imports core/, never observatoire/ nor views/
observatoire/  imports core/, never etl/
views/         import of etl/ only its public door, etl.api
and no import cycle among the project's modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "etl", "observatoire", "webapp", "views")
PUBLIC_ETL = "etl.api"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_files() -> dict[str, Path]:
    files = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            files[_module_name(path)] = path
    return files


FILES = _project_files()
PROJECT = set(FILES)


def _is_project(name: str) -> bool:
    return name.split(".")[0] in (*PACKAGES, "app")


def _imports(name: str, path: Path) -> set[str]:
    """Every module this one imports, as absolute names; `from pkg import sub` counts as an
    import of pkg.sub when that is a module of the project."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in PROJECT else base)
    return found


GRAPH = {name: _imports(name, path) for name, path in FILES.items()}


def _breaking(prefix: str, allowed) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module == prefix or module.startswith(prefix + ".")
        for target in targets
        if not allowed(target)
    )


def _top(name: str) -> str:
    return name.split(".")[0]


def test_core_imports_nothing_of_the_project_nor_streamlit():
    assert _breaking("core", lambda t: _top(t) == "core" or not _is_project(t)) == []
    assert _breaking("core", lambda t: _top(t) != "streamlit") == []


def test_the_query_layer_imports_nothing_of_the_etl():
    assert _breaking("observatoire", lambda t: _top(t) not in ("etl", "views", "app")) == []


def test_the_etl_imports_nothing_of_the_dashboard():
    assert _breaking("etl", lambda t: _top(t) not in ("observatoire", "views", "app")) == []


def test_pages_reach_the_etl_only_through_its_public_door():
    assert _breaking("views", lambda t: _top(t) != "etl" or t == PUBLIC_ETL) == []
    assert _breaking("app", lambda t: _top(t) != "etl") == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing
    itself), each sorted: Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start] & graph.keys())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child] & graph.keys()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return sorted(found)


@pytest.mark.parametrize(
    "graph, cycles",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}}, [["a", "b", "c"], ["d"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, cycles):
    assert _cycles(graph) == cycles


def test_the_graph_sees_function_level_and_relative_imports(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "from etl import cli\n\ndef f():\n    from observatoire import warehouse\n"
        "    from . import summary\n    import core.store\n",
        encoding="utf-8",
    )
    assert _imports("etl.module", module) == {
        "etl.cli",
        "observatoire.warehouse",
        "etl.summary",
        "core.store",
    }


def test_no_import_cycle_among_the_project_modules():
    assert _cycles(GRAPH) == []
