"""The layers, read from the imports (every one, module-level or inside a function):

core/          imports nothing of the project, and no Streamlit
etl/           imports core/ only
observatoire/  imports core/ only (never etl/, webapp/, views/, app), and no Streamlit
webapp/        the Streamlit glue: imports core/ and observatoire/ (never etl/ nor views/)
views/, app    reach etl/ only through its public door, etl.api
bench/         may import core/, etl/, observatoire/, webapp/, never views/; of Streamlit only
               its test harness (streamlit.testing), to drive the app as the tests do, and
               its wire format (streamlit.proto), to be a reader through the load balancer
Streamlit is imported only by app, views/ and webapp/. No import cycle among the project's
modules, where importing a.b.c counts as importing a.b and a (their __init__ runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "etl", "observatoire", "webapp", "views", "bench")
PUBLIC_ETL = "etl.api"
STREAMLIT_EDGE = ("app", "views", "webapp")
BENCH_STREAMLIT = ("streamlit.testing", "streamlit.proto")


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


def _top(name: str) -> str:
    return name.split(".")[0]


def _is_project(name: str) -> bool:
    return _top(name) in (*PACKAGES, "app")


def _imports(name: str, path: Path) -> set[str]:
    """Every module this one imports, as absolute names; `from pkg import sub` counts as an
    import of pkg.sub when that is a module of the project. A bench script's bare import of a
    sibling (`import bench_load`, run with bench/ on sys.path) is bench.bench_load."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def absolute(module: str) -> str:
        sibling = f"{package}.{module}"
        if package == "bench" and _top(module) not in PACKAGES and sibling in PROJECT:
            return sibling
        return module

    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(absolute(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            else:
                base = absolute(base)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in PROJECT else base)
    return found


def _with_parents(name: str, targets: set[str], modules: set[str] = PROJECT) -> set[str]:
    """TARGETS and the packages above each of them that are MODULES: importing a.b.c runs
    a/__init__ and a/b/__init__ (a module's own package included, except the module itself)."""
    found = set()
    for target in targets:
        parts = target.split(".")
        found.update(
            ".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in modules
        )
        found.add(target)
    return found - {name}


DIRECT = {name: _imports(name, path) for name, path in FILES.items()}
GRAPH = {name: _with_parents(name, targets) for name, targets in DIRECT.items()}


def _breaking(prefix: str, allowed) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in DIRECT.items()
        if module == prefix or module.startswith(prefix + ".")
        for target in targets
        if not allowed(target)
    )


def _in(layers: tuple[str, ...]):
    return lambda target: _top(target) in layers or not _is_project(target)


def test_streamlit_is_imported_only_at_the_edge():
    for layer in ("core", "etl", "observatoire"):
        assert _breaking(layer, lambda t: _top(t) != "streamlit") == []
    bench_streamlit = _breaking(
        "bench", lambda t: _top(t) != "streamlit" or t.startswith(BENCH_STREAMLIT)
    )
    assert bench_streamlit == []
    importers = {m for m, targets in DIRECT.items() if any(_top(t) == "streamlit" for t in targets)}
    assert {m for m in importers if _top(m) not in (*STREAMLIT_EDGE, "bench")} == set()


def test_core_imports_nothing_of_the_project():
    assert _breaking("core", _in(("core",))) == []


def test_the_etl_imports_only_core():
    assert _breaking("etl", _in(("core", "etl"))) == []


def test_the_query_layer_imports_only_core():
    assert _breaking("observatoire", _in(("core", "observatoire"))) == []


def test_the_glue_imports_core_and_the_query_layer():
    assert _breaking("webapp", _in(("core", "observatoire", "webapp"))) == []


def test_pages_reach_the_etl_only_through_its_public_door():
    assert _breaking("views", lambda t: _top(t) != "etl" or t == PUBLIC_ETL) == []
    assert _breaking("app", lambda t: _top(t) != "etl" or t == PUBLIC_ETL) == []


def test_the_benchmarks_never_import_the_pages():
    assert _breaking("bench", lambda t: _top(t) not in ("views", "app")) == []


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


def test_importing_a_submodule_runs_its_packages():
    assert _with_parents("views.x", {"observatoire.map.figure", "pandas"}) == {
        "observatoire",
        "observatoire.map",
        "observatoire.map.figure",
        "pandas",
    }
    # A package's __init__ importing its submodule, which imports a sibling: a cycle.
    plain = {"p": {"p.a"}, "p.a": {"p.b"}, "p.b": set()}
    graph = {name: _with_parents(name, targets, set(plain)) for name, targets in plain.items()}
    assert _cycles(graph) == [["p", "p.a"]]


def test_no_import_cycle_among_the_project_modules():
    assert _cycles(GRAPH) == []
