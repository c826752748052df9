"""README.md must agree with the code: the command synopsis, the Mesa notes, the sweep reader.

The synopsis block under "Command line" is parsed and compared with the argument parser of
every subcommand, so that an option added, removed or made optional shows up as a failing test.
"""

from __future__ import annotations

import argparse
import re
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
        optional = not action.required
        assert (_depth(text, match.start()) > 0) == optional, (
            f"{command}: {name} is {'optional' if optional else 'required'} but the README "
            f"synopsis shows it {'required' if optional else 'optional'}"
        )
    assert listed <= known, f"{command}: the README lists options it does not have: {listed - known}"
