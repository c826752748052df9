"""README.md must agree with the code: the command synopsis, the Mesa notes, the sweep reader.

The synopsis block under "Command line" is parsed and compared with the argument parser of
every subcommand, so that an option added, removed or made optional shows up as a failing test.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from influence_sim.cli import COMMAND_MODULES, build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _synopsis() -> dict[str, str]:
    """Command name -> its synopsis text (continuation lines joined)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    commands: dict[str, str] = {}
    current = ""
    for line in block.splitlines():
        if line.startswith("influence-sim "):
            current = line.split()[1]
            assert current not in commands, f"'{current}' has two synopses"
            commands[current] = line[len(f"influence-sim {current}") :]
        elif line.strip():
            assert line.startswith(" ") and current, f"stray synopsis line: {line!r}"
            commands[current] += " " + line.strip()
    return commands


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    import importlib

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return dict(sub.choices)


def _depth(text: str, index: int) -> int:
    """How many square brackets are open at ``index`` of ``text``."""
    return text[:index].count("[") - text[:index].count("]")


def _in_required_group(parser: argparse.ArgumentParser, action: argparse.Action) -> bool:
    """Whether an option belongs to a required choice of options, shown as ``(A | B)``."""
    return any(
        g.required and action in g._group_actions for g in parser._mutually_exclusive_groups
    )


SYNOPSIS = _synopsis()
PARSERS = _subparsers()


def test_every_command_has_a_synopsis_and_every_synopsis_a_command():
    assert set(SYNOPSIS) == set(PARSERS)


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_synopsis_lists_every_option_as_the_parser_has_it(command):
    """Each option of ``--help`` is in the synopsis, bracketed exactly when it is optional."""
    text = SYNOPSIS[command]
    listed = set(re.findall(r"--[a-z][a-z0-9-]*", text))
    known: set[str] = set()
    for action in PARSERS[command]._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:
            metavar = action.metavar or action.dest.upper()
            assert isinstance(metavar, str)
            match = re.search(rf"(?<![A-Z_]){re.escape(metavar)}(?![A-Z_])", text)
            assert match, f"{command}: positional {metavar} missing from the README synopsis"
            optional = action.nargs == "?"
            assert (_depth(text, match.start()) > 0) == optional, (
                f"{command}: {metavar} is {'optional' if optional else 'required'}"
            )
            continue
        long_names = [o for o in action.option_strings if o.startswith("--")]
        known.update(long_names)
        if isinstance(action, argparse.BooleanOptionalAction):
            known.update(o for o in action.option_strings if o.startswith("--no-"))
        name = next(o for o in long_names if not o.startswith("--no-") or len(long_names) == 1)
        match = re.search(rf"{re.escape(name)}(?![a-z0-9-])", text)
        assert match, f"{command}: option {name} missing from the README synopsis"
        optional = not action.required and not _in_required_group(PARSERS[command], action)
        assert (_depth(text, match.start()) > 0) == optional, (
            f"{command}: {name} is {'optional' if optional else 'required'} but the README "
            f"synopsis shows it {'required' if optional else 'optional'}"
        )
    unknown = listed - known
    assert not unknown, f"{command}: the README lists options it does not have: {unknown}"


def _python_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_batch_run_example_has_the_main_guard_and_runs_as_a_script(tmp_path):
    """The README's multi-process batch_run example is guarded and runs as a script."""
    blocks = [b for b in _python_blocks() if "batch_run(" in b and "number_processes" in b]
    assert len(blocks) == 1, "one README example of batch_run with several processes"
    block = blocks[0]
    tree = ast.parse(block)
    guards = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"
    ]
    assert guards, "batch_run with number_processes > 1 needs if __name__ == '__main__'"
    assert any("batch_run" in ast.unparse(node) for node in guards)
    script = tmp_path / "example.py"
    script.write_text(
        block.replace('[0.0, 1.0]}', '[0.0, 1.0], "end": "2022-01-01"}')
        + "    runs = {row['RunId'] for row in rows}\n    print('ran', len(runs))\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ran 4" in done.stdout


def test_mesa_scenario_example_runs():
    """The README's scenario= example does what the text says."""
    blocks = [b for b in _python_blocks() if "InfluenceModel(scenario=" in b]
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec("from influence_sim import InfluenceModel\n" + blocks[0], namespace)
    model = namespace["model"]
    assert model.scenario.coordination == 0.8  # type: ignore[attr-defined]
    assert "is left to Mesa" not in README.read_text(encoding="utf-8")


def test_filtered_sweep_reader_is_documented_where_users_look():
    """README, docs/sweeps.md and SweepData.timeseries point to read_timeseries."""
    from influence_sim.sweep.results import SweepData

    assert "sweep.read_timeseries(" in README.read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "sweeps.md").read_text(encoding="utf-8")
    assert "**Read the time series with `read_timeseries(...)`, not `timeseries`.**" in guide
    doc = SweepData.timeseries.__doc__ or ""
    assert "read_timeseries" in doc and "Warning" in doc
