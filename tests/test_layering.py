"""Layering: the scenario layer does not import the stepping loop or the initialisation at
module level, and the kernel names no country or organisation."""

from __future__ import annotations

import ast
from pathlib import Path

import influence_sim

PACKAGE = Path(influence_sim.__file__).parent


def _module_level_imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_scenario_imports_neither_engine_nor_initial_at_module_level() -> None:
    for path in sorted((PACKAGE / "scenario").glob("*.py")):
        imports = _module_level_imports(path)
        for banned in ("influence_sim.engine", "influence_sim.initial"):
            assert banned not in imports, f"{path.name} imports {banned}"


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
