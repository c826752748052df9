"""Input files and arguments a user can get wrong: special files, encodings, names, paths, ports.

Every case ends in one ``error: ...`` line and exit code 2 (or the library's own error type),
never a hang, a traceback or a file written. Commands that could hang on a FIFO run as a
subprocess with a timeout, so a hang fails the test instead of blocking the suite.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from influence_sim._inputs import (
    InputFileError,
    file_sha256,
    read_bytes,
    read_csv_rows,
    read_text,
    sha256_of,
)
from influence_sim.calibration import TargetError, load_targets
from influence_sim.calibration.targets import COLUMNS
from influence_sim.cli import main
from influence_sim.posterior import PriorError, load_priors
from influence_sim.scenario import Problem, ScenarioError, load_scenario
from influence_sim.sweep import read_sweep
from influence_sim.sweep.spec import SweepError

ROOT = Path(__file__).resolve().parents[1]

SCENARIO = """\
name: {name}
time:
  start: 2021-01-01
  end: 2022-01-01
  step: quarter
  seed: 3
  replicates: 2
"""
SWEEP = """\
name: {name}
scenario: base.yaml
replicates: 1
vary:
  parameters.coordination: [0.0, 1.0]
design: {{kind: grid}}
"""
TARGET_ROW = "t1,regional_security_share:russia,2021-01-01,2021-12-31,0.3,0.1,1,{source}"
PRIORS_HEADER = "parameter,transform,low,high,p05,p95,reason"

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(SCENARIO.format(name="base"), encoding="utf-8")
    (tmp_path / "targets.csv").write_text(
        ",".join(COLUMNS) + "\n" + TARGET_ROW.format(source="a figure") + "\n", encoding="utf-8"
    )
    return tmp_path


def cli(*args: str, cwd: Path, memory: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line; a hang past the timeout fails the test."""

    def limit() -> None:  # pragma: no cover - runs in the child
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "influence_sim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit if memory is not None else None,
    )


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


# --------------------------------------------------------------------------- special files


@needs_fifo
@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "fifo"],
        ["run", "fifo", "--out", "o"],
        ["sweep", "fifo", "--out", "o"],
        ["report", "fifo", "--targets", "targets.csv"],
        ["report", "base.yaml", "--targets", "fifo"],
        ["calibrate", "base.yaml", "--targets", "fifo", "--params", "coordination", "--out", "o"],
    ],
    ids=["validate", "run", "sweep", "report-scenario", "report-targets", "calibrate-targets"],
)
def test_a_fifo_as_input_is_refused_at_once(folder: Path, argv: list[str]) -> None:
    os.mkfifo(folder / "fifo")
    result = cli(*argv, cwd=folder)
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.startswith("error: fifo: not a regular file: this is a FIFO (named pipe)")
    assert not (folder / "o").exists()


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_report_targets_from_dev_zero_is_refused_without_reading_it(folder: Path) -> None:
    result = cli("report", "base.yaml", "--targets", "/dev/zero", cwd=folder, memory=2 << 30)
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.startswith("error: /dev/zero: not a regular file: this is a character device")


def _dev_zero(folder: Path) -> str:
    return "/dev/zero"


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.yaml")
    return "pipe.yaml"


def _symlink_loop(folder: Path) -> str:
    os.symlink("b.yaml", folder / "a.yaml")
    os.symlink("a.yaml", folder / "b.yaml")
    return "a.yaml"


@pytest.mark.skipif(
    not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="needs POSIX files"
)
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_dev_zero, "is not a regular file but a character device"),
        (_fifo, "is not a regular file but a FIFO"),
        (_symlink_loop, "is a symbolic link loop"),
    ],
    ids=["dev-zero", "fifo", "symlink-loop"],
)
def test_extends_names_what_the_path_is_instead_of_not_found(
    folder: Path, make: Callable[[Path], str], words: str
) -> None:
    target = make(folder)
    child = folder / "child.yaml"
    child.write_text(f"extends: {target}\n" + SCENARIO.format(name="child"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    [problem] = info.value.problems
    assert problem.path == "extends"
    assert problem.message.startswith(f"file '{target}' {words}"), problem.message


def test_the_reader_refuses_directories_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="this is a directory, not a file"):
        read_bytes(tmp_path)
    with pytest.raises(InputFileError, match="file not found") as info:
        read_bytes(tmp_path / "nothing.csv")
    assert info.value.kind == "missing"
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 101)
    with pytest.raises(InputFileError) as info:
        read_bytes(big, max_bytes=100)
    assert str(info.value) == f"{big}: file is too large (101 bytes; the limit is 100 bytes)"
    assert read_bytes(big, max_bytes=101) == b"x" * 101


def test_a_files_hash_is_the_hash_of_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "three_mib.bin"
    data = bytes(range(256)) * (3 * 4096 + 7)  # more than one block of the reader
    path.write_bytes(data)
    assert file_sha256(path) == sha256_of(data) == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- encodings


def test_targets_with_a_byte_order_mark_are_read(folder: Path) -> None:
    path = folder / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (folder / "targets.csv").read_bytes())
    [target] = load_targets(path)
    assert target.id == "t1"


def test_latin1_targets_are_one_problem_with_the_line(folder: Path) -> None:
    path = folder / "latin1.csv"
    text = ",".join(COLUMNS) + "\n" + TARGET_ROW.format(source="Montréal") + "\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(TargetError) as info:
        load_targets(path)
    [problem] = info.value.problems
    assert problem.line == 2
    assert problem.format() == (
        f"{path}:2: file is not valid UTF-8: byte 0xE9 cannot be decoded "
        "(expected a UTF-8 CSV file)"
    )


def test_targets_problems_are_the_problems_of_every_input_file(folder: Path) -> None:
    path = folder / "bad.csv"
    path.write_text(",".join(COLUMNS) + "\n" + TARGET_ROW.format(source="") + "\n")
    with pytest.raises(TargetError) as info:
        load_targets(path)
    [problem] = info.value.problems
    assert isinstance(problem, Problem)
    assert (problem.line, problem.col, problem.path) == (2, None, "source")
    assert problem.format() == (
        f"{path}:2: source: empty source (expected where the figure comes from)"
    )


def test_a_huge_cell_in_targets_is_one_problem_with_the_line(folder: Path) -> None:
    path = folder / "huge.csv"
    text = ",".join(COLUMNS) + "\n" + TARGET_ROW.format(source="x" * 200_000) + "\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TargetError) as info:
        load_targets(path)
    [problem] = info.value.problems
    assert problem.line == 2
    assert "not valid CSV: a cell is longer than" in problem.message


def test_report_with_bad_targets_exits_2_with_one_line(folder: Path, capsys) -> None:
    path = folder / "latin1.csv"
    path.write_bytes(b"id,metric\n\xe9\n")
    assert main(["report", str(folder / "base.yaml"), "--targets", str(path)]) == 2
    one_error_line(capsys.readouterr().err)


def test_priors_read_like_targets(tmp_path: Path) -> None:
    shipped = (ROOT / "src" / "influence_sim" / "seeds" / "priors.csv").read_bytes()
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + shipped)
    assert [p.name for p in load_priors(bom)] == [p.name for p in load_priors()]
    huge = tmp_path / "huge.csv"
    huge.write_text(f"{PRIORS_HEADER}\nx,log,0,1,0.1,0.9,{'y' * 200_000}\n", encoding="utf-8")
    with pytest.raises(PriorError, match=r"huge.csv:2: not valid CSV: a cell is longer than"):
        load_priors(huge)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(f"{PRIORS_HEADER}\n".encode() + b"caf\xe9\n")
    with pytest.raises(PriorError, match=r"latin1.csv:2:4: file is not valid UTF-8: byte 0xE9"):
        load_priors(latin)


def test_csv_rows_keep_quoted_line_separators_inside_cells(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"one\u2028two",3\n', encoding="utf-8")
    assert read_csv_rows(path) == [["a", "b"], ["one\u2028two", "3"]]
    assert read_text(path).count("\n") == 2


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ('"\\ud800"', "text contains U+D800: half of a surrogate pair"),
        ('"a\\u2028b"', "text spans several lines: it contains the line break U+2028"),
        ('"a\\u2029b"', "text spans several lines: it contains the line break U+2029"),
        ('"a\\x85b"', "text spans several lines: it contains the line break U+0085"),
        ('"a\\x07b"', "text contains the control character U+0007"),
        ('"a\\tb"', "text contains the control character U+0009"),
    ],
    ids=["surrogate", "u2028", "u2029", "nel", "bell", "tab"],
)
def test_names_refuse_surrogates_line_breaks_and_control_characters(
    folder: Path, name: str, words: str, capsys
) -> None:
    path = folder / "named.yaml"
    path.write_text(SCENARIO.format(name=name), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (1, "name")
    assert problem.message.startswith(words), problem.message
    assert main(["validate", str(path)]) == 2
    one_error_line(capsys.readouterr().err)
    sweep = folder / "sweep.yaml"
    sweep.write_text(SWEEP.format(name=name), encoding="utf-8")
    with pytest.raises(SweepError) as sweep_info:
        read_sweep(sweep)
    assert [p.path for p in sweep_info.value.problems] == ["name"]
    assert sweep_info.value.problems[0].message.startswith(words)


def test_descriptions_keep_new_lines_but_refuse_line_separators(folder: Path) -> None:
    path = folder / "described.yaml"
    body = SCENARIO.format(name="d")
    path.write_text(body + 'description: "one\\ntwo\\tthree"\n', encoding="utf-8")
    assert load_scenario(path).spec.description == "one\ntwo\tthree"
    path.write_text(body + 'description: "one\\u2028two"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="line break U\\+2028"):
        load_scenario(path)


# --------------------------------------------------------------------------- arguments

LONG = "x" * 300
COMMANDS = [
    ["run", "s.yaml", "--out"],
    ["sweep", "s.yaml", "--out"],
    ["calibrate", "s.yaml", "--targets", "t.csv", "--params", "coordination", "--out"],
    ["report", "s.yaml", "--targets", "t.csv", "--out"],
    ["compare", "a.yaml", "b.yaml", "--out"],
    ["analyze", "sweep", "--out"],
    ["attribute", "s.yaml", "--out"],
    ["estimate", "--out"],
    ["hindcast", "--out"],
    ["fit", "--out"],
    ["report", "s.yaml", "--targets"],
    ["fit", "--priors"],
    ["run", "s.yaml", "--posterior"],
    ["run"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
@pytest.mark.parametrize(
    "bad", ["", "   ", LONG, f"a/{LONG}/b"], ids=["empty", "blank", "long", "long-inside"]
)
def test_empty_and_too_long_paths_are_usage_errors(
    tmp_path: Path, monkeypatch, capsys, argv: list[str], bad: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main([*argv, bad])
    assert info.value.code == 2
    line = one_error_line(capsys.readouterr().err)
    assert "empty path" in line or "bytes long" in line, line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1", "http"])
def test_dashboard_port_outside_1_to_65535_is_a_usage_error(port: str, monkeypatch, capsys):
    import influence_sim.analysis.cli as analysis_cli

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the dashboard must not start")

    for starter in ("call", "run", "Popen"):
        monkeypatch.setattr(analysis_cli.subprocess, starter, never)
    with pytest.raises(SystemExit) as info:
        main(["dashboard", "--no-open", f"--port={port}"])
    assert info.value.code == 2
    assert "--port" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "address",
    [
        "notaurl",
        "tcp://host",
        "http://host:8786",
        "tcp://:8786",
        "tcp://host:99999",
        "tcp://host:8786/path",
    ],
)
def test_a_bad_scheduler_address_is_refused_before_anything_is_written(
    folder: Path, monkeypatch, capsys, address: str
) -> None:
    monkeypatch.chdir(folder)
    (folder / "sweep.yaml").write_text(SWEEP.format(name="s"), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["sweep", "sweep.yaml", "--out", "out", "--scheduler", address])
    assert info.value.code == 2
    assert "--scheduler" in one_error_line(capsys.readouterr().err)
    assert not (folder / "out").exists()


def test_good_scheduler_addresses_pass() -> None:
    from influence_sim._cliutil import scheduler_address

    for address in ("tcp://127.0.0.1:8786", "localhost:8786", "tls://[::1]:8786"):
        assert scheduler_address(address) == address


# --------------------------------------------------------------------------- YAML written


def test_text_in_the_comments_of_parameters_yaml_cannot_start_yaml(tmp_path: Path) -> None:
    from influence_sim.calibration.output import _yaml_scalar

    hostile = "t.csv\u2028shocks: [{name: x}]\n\u2029\x85name: other\r"
    scalar = _yaml_scalar(hostile)
    assert scalar.isascii() and scalar.isprintable()
    assert yaml.safe_load(scalar) == hostile
    document = textwrap.dedent(f"""\
        # Targets: {scalar}
        name: ok
        """)
    assert yaml.safe_load(document) == {"name": "ok"}


def test_a_sweep_named_by_an_undecodable_file_name_asks_for_a_name(folder: Path) -> None:
    path = folder / os.fsdecode(b"sweep\xff.yaml")
    path.write_text(SWEEP.format(name="x").replace("name: x\n", ""), encoding="utf-8")
    with pytest.raises(SweepError) as info:
        read_sweep(path)
    [problem] = info.value.problems
    assert problem.message.startswith("the file name cannot name the sweep: text contains U+DCFF")
    assert problem.expected == "name: a short name for this sweep"


def test_a_file_name_the_terminal_cannot_encode_is_printed_escaped(folder: Path) -> None:
    name = os.fsdecode(b"base\xff.yaml")
    (folder / name).write_text(SCENARIO.format(name="base"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "influence_sim", "validate", os.fsencode(name)],
        cwd=folder,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"ok: base\\udcff.yaml (base;")
