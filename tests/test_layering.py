"""Layering: the scenario layer does not import the stepping loop or the initialisation,
the kernel names no country or organisation and imports nothing outside itself
but numpy, and the package's import graph has no cycle but ``agents``/``model``.

The graph counts every import: at module level, inside functions and under
``TYPE_CHECKING``, since a cycle held apart by a deferred import is still a cycle.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import influence_sim

PACKAGE = Path(influence_sim.__file__).parent

ALLOWED_CYCLES = [{"influence_sim.agents", "influence_sim.model"}]
"""Mesa's agents and model refer to each other by design: an agent holds its model."""


def test_scenario_imports_neither_engine_nor_initial() -> None:
    """Not at module level, not inside a function, not for type checking."""
    for path in sorted((PACKAGE / "scenario").glob("*.py")):
        for module, names, line in _all_imports(path, _module_name(path)):
            imported = {module, *(f"{module}.{n}" for n in names)}
            for banned in ("influence_sim.engine", "influence_sim.initial"):
                assert banned not in imported, f"{path.name}:{line} imports {banned}"


def test_the_kernel_names_no_country_or_organisation() -> None:
    names = {"china", "russia", "united_states", "csto", "sco", "eaeu"}
    for path in sorted((PACKAGE / "kernel").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not (found & names), f"{path.name} names {sorted(found & names)}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _all_imports(path: Path, name: str) -> Iterator[tuple[str, list[str], int]]:
    """Every import of a file, at any depth, as (module, imported names, line).

    Relative imports are made absolute; ``import a.b`` gives ``("a.b", [], line)``.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            yield base, [alias.name for alias in node.names], node.lineno


def import_graph() -> dict[str, set[str]]:
    """Modules of the package and the package modules each imports (at any depth).

    ``from influence_sim.x import y`` is an edge to ``influence_sim.x.y`` when that is a module,
    else to ``influence_sim.x``.
    """
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}

    def owner(target: str) -> str:
        while target not in files:
            target = target.rpartition(".")[0]
        return target

    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        edges: set[str] = set()
        for module, names, _ in _all_imports(path, name):
            if module.split(".")[0] != "influence_sim":
                continue
            submodules = {f"{module}.{n}" for n in names} & files.keys()
            edges |= submodules
            if len(submodules) < max(len(names), 1):
                edges.add(owner(module))
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_only_import_cycle_is_agents_and_model() -> None:
    found = cycles(import_graph())
    assert found == ALLOWED_CYCLES, [sorted(c) for c in found]


def test_the_graph_sees_imports_inside_functions_and_type_checking_blocks() -> None:
    graph = import_graph()
    # agents imports model only under TYPE_CHECKING; model imports agents at module level
    assert "influence_sim.model" in graph["influence_sim.agents"]
    assert "influence_sim.agents" in graph["influence_sim.model"]
    # the CLI imports its commands inside functions, to start quickly
    assert "influence_sim.checking" in graph["influence_sim.cli"]
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(planted) == [{"a", "b", "c"}]


def test_the_kernel_imports_nothing_outside_itself_but_numpy() -> None:
    for path in sorted((PACKAGE / "kernel").glob("*.py")):
        name = _module_name(path)
        for target, _, line in _all_imports(path, name):
            top = target.split(".")[0]
            if top == "influence_sim":
                assert target.startswith("influence_sim.kernel"), f"{path.name}:{line}: {target}"
            else:
                assert top in sys.stdlib_module_names or top in ("numpy", "__future__"), (
                    f"{path.name}:{line}: {target}"
                )


def test_figures_depend_on_frames_not_on_the_objects_that_hold_them() -> None:
    graph = import_graph()
    holders = {
        "influence_sim.results",
        "influence_sim.ensemble",
        "influence_sim.posterior",
        "influence_sim.analysis.comparison",
        "influence_sim.analysis.runset",
    }
    for module in ("influence_sim.plots", "influence_sim.analysis.plots"):
        assert not (graph[module] & holders), f"{module} imports {sorted(graph[module] & holders)}"


def test_the_scenario_layer_does_not_import_sweeps() -> None:
    graph = import_graph()
    for module in (m for m in graph if m.startswith("influence_sim.scenario")):
        above = {m for m in graph[module] if m.startswith("influence_sim.sweep")}
        assert not above, f"{module} imports {sorted(above)}"


def test_sweep_planning_does_not_import_the_mesa_model() -> None:
    """The model replays a sweep's run (``InfluenceModel.from_sweep_run``), not the plan."""
    graph = import_graph()
    assert "influence_sim.model" not in graph["influence_sim.sweep.plan"]


def _reexported_by_engine() -> set[str]:
    """The former names of the calendar and the seed helpers (``rng``) in ``engine``."""
    from influence_sim import engine

    return set(engine._MOVED)


def test_the_package_imports_the_calendar_and_seed_helpers_from_their_homes() -> None:
    """``engine`` keeps their former names for one release; the package itself does not use them."""
    names = _reexported_by_engine()
    assert {"Clock", "STEP_MONTHS", "as_seed_sequence", "child", "replicate_seeds"} <= names
    assert "stream" in names
    dotted = re.compile(rf"\binfluence_sim\.engine\.({'|'.join(sorted(names))})\b")
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if name == "influence_sim.engine":
            continue
        for module, imported, line in _all_imports(path, name):
            if module == "influence_sim.engine":
                found = sorted(set(imported) & names)
                assert not found, f"{path.name}:{line}: imports {found} from engine"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in names:
                owner = ast.unparse(node.value)
                assert owner not in ("engine", "influence_sim.engine"), (
                    f"{path.name}:{node.lineno}: {owner}.{node.attr}"
                )
        match = dotted.search(path.read_text(encoding="utf-8"))
        assert match is None, f"{path.name} names {match.group(0) if match else ''}"


def test_close_choices_are_suggested_in_one_place() -> None:
    """``did you mean`` comes from ``_text.did_you_mean`` (sensitivity lists up to three)."""
    package = Path(__file__).resolve().parents[1] / "src" / "influence_sim"
    callers = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "get_close_matches":
                callers.add(path.relative_to(package).as_posix())
    assert callers == {"_text.py", "analysis/sensitivity.py"}
