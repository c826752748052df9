"""The command line as a user runs it: a subprocess, its exit code, its output and its files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]

SHORT = """\
name: short takeover
description: Two years of the takeover, for tests.
time:
  start: 2021-01-01
  end: 2023-01-01
  step: quarter
  seed: 3
  replicates: 2
shocks:
  - name: takeover
    at: 2021-08-15
    target: afghanistan.instability
    op: set
    value: 0.9
"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "influence_sim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    (folder / "short.yaml").write_text(SHORT)
    return folder


@pytest.fixture(scope="module")
def first_run(work) -> subprocess.CompletedProcess[str]:
    return cli("run", "short.yaml", "--out", "out1", "--seed", "1", cwd=work)


def test_run_succeeds_prints_summary_and_writes_files(work, first_run):
    """A run exits 0, prints the summary and writes tables, metadata and plots."""
    assert first_run.returncode == 0, first_run.stderr
    assert "Final shares" in first_run.stdout
    assert "tajikistan" in first_run.stdout and "russia" in first_run.stdout
    assert "Trade with the region" in first_run.stdout
    out = work / "out1"
    for name in (
        "timeseries.csv",
        "metadata.json",
        "shares_economic.png",
        "shares_security.png",
        "regional_china_russia.png",
        "threat.png",
    ):
        assert (out / name).is_file(), name
    ts = pd.read_csv(out / "timeseries.csv")
    assert {
        "replicate",
        "step",
        "date",
        "state",
        "partner",
        "domain",
        "share",
        "volume_usd_bn",
    } <= set(ts.columns)
    assert set(ts["replicate"]) == {0, 1}
    seeds = ts.groupby("replicate")[["seed_entropy", "seed_spawn_key"]].first()
    assert list(seeds["seed_entropy"]) == [1, 1] and list(seeds["seed_spawn_key"]) == [0, 1]
    assert ts["date"].iloc[-1] == "2023-01-01"
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["seed"] == 1
    assert meta["scenario_path"] == "short.yaml"
    assert len(meta["scenario_sha256"]) == 64
    assert {"influence-sim", "mesa", "numpy"} <= set(meta["versions"])
    assert meta["wall_time_s"] > 0


def test_same_seed_gives_identical_timeseries_other_seed_differs(work, first_run):
    """The same seed reproduces timeseries.csv byte for byte; another seed changes it."""
    again = cli("run", "short.yaml", "--out", "out2", "--seed", "1", "--no-plots", cwd=work)
    other = cli("run", "short.yaml", "--out", "out3", "--seed", "2", "--no-plots", cwd=work)
    assert again.returncode == 0 and other.returncode == 0
    first = (work / "out1" / "timeseries.csv").read_bytes()
    assert (work / "out2" / "timeseries.csv").read_bytes() == first
    assert (work / "out3" / "timeseries.csv").read_bytes() != first
    assert not list((work / "out2").glob("*.png"))


def test_non_empty_folder_is_refused_without_force(work, first_run):
    """An existing non-empty output folder needs --force; with it the run succeeds."""
    refused = cli("run", "short.yaml", "--out", "out1", cwd=work)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: out1: output folder is not empty")
    assert "Traceback" not in refused.stderr
    forced = cli("run", "short.yaml", "--out", "out1", "--seed", "1", "--force", cwd=work)
    assert forced.returncode == 0, forced.stderr


def test_force_refuses_a_folder_that_holds_the_scenario_file(tmp_path):
    """--force replaced the folder of the scenario file whole; now one line, before running."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "short.yaml").write_text(SHORT)
    (tmp_path / "link").symlink_to(folder)
    for out in ("scenarios", "link", "."):
        refused = cli("run", "scenarios/short.yaml", "--out", out, "--force", cwd=tmp_path)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr == (
            f"error: {out}: will not replace a folder that holds the input scenarios/short.yaml "
            "(expected a folder of its own for the results)\n"
        )
    assert sorted(p.name for p in folder.iterdir()) == ["short.yaml"]


def test_force_refuses_a_folder_that_holds_a_file_the_scenario_reads(tmp_path):
    """A file the scenario extends, or its posterior file, inside --out was deleted by --force."""
    for folder in ("out", "fit"):
        (tmp_path / folder).mkdir()
    (tmp_path / "out" / "base.yaml").write_text(SHORT)
    (tmp_path / "fit" / "posterior.csv").write_text("kept")
    (tmp_path / "top.yaml").write_text("name: top\nextends: out/base.yaml\n")
    (tmp_path / "drawn.yaml").write_text(SHORT + "posterior: fit/posterior.csv\n")
    for args, out, held in (
        (["top.yaml"], "out", "out/base.yaml"),
        (["drawn.yaml"], "fit", "fit/posterior.csv"),
        (["drawn.yaml", "--no-posterior"], "fit", "fit/posterior.csv"),
    ):
        refused = cli("run", *args, "--out", out, "--force", cwd=tmp_path)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr == (
            f"error: {out}: will not replace a folder that holds the input {held} (expected a "
            "folder of its own for the results)\n"
        )
    assert (tmp_path / "out" / "base.yaml").read_text() == SHORT
    assert (tmp_path / "fit" / "posterior.csv").read_text() == "kept"


def test_invalid_scenario_gives_one_line_per_problem_and_exit_2(work):
    """A bad scenario file is reported as FILE:LINE:COL lines with exit code 2, no traceback."""
    bad = SHORT.replace("target: afghanistan.instability", "target: states.tajikstan.threat")
    (work / "bad.yaml").write_text(bad)
    result = cli("run", "bad.yaml", cwd=work)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("error: bad.yaml:") for line in lines)
    assert any("bad.yaml:12:" in line and "did you mean 'tajikistan'" in line for line in lines)
    missing = cli("run", "nowhere.yaml", cwd=work)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: nowhere.yaml: file not found")


def test_bad_arguments_exit_2(work):
    """Nonsense arguments are usage errors (exit 2) without a traceback."""
    result = cli("run", "short.yaml", "--replicates", "0", cwd=work)
    assert result.returncode == 2
    assert "must be at least 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_and_schema(work):
    """validate passes the library and fails a bad file; schema prints JSON Schema."""
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    ok = cli("validate", *scenarios, cwd=work)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("ok: ") == len(scenarios)
    (work / "bad2.yaml").write_text("name: [unclosed\n")
    bad = cli("validate", "bad2.yaml", cwd=work)
    assert bad.returncode == 2 and bad.stderr.startswith("error: bad2.yaml:")
    schema = cli("schema", cwd=work)
    assert schema.returncode == 0
    assert json.loads(schema.stdout)["type"] == "object"


def test_sweep_files_are_told_from_scenario_files(work):
    """run refuses a sweep file in one line; validate checks sweep files too."""
    sweep = str(ROOT / "scenarios" / "sweeps" / "afghan_sensitivity.yaml")
    run = cli("run", sweep, "--out", "never", cwd=work)
    assert run.returncode == 2
    assert run.stderr.count("error: ") == 1, run.stderr
    assert "this is a sweep file, not a scenario file" in run.stderr
    assert "influence-sim sweep FILE" in run.stderr
    assert not (work / "never").exists()
    ok = cli("validate", sweep, str(ROOT / "scenarios" / "baseline.yaml"), cwd=work)
    assert ok.returncode == 0, ok.stderr
    assert f"ok: {sweep} (sweep afghan_sensitivity; 1,536 runs, sobol design" in ok.stdout
    assert "ok: " in ok.stdout.splitlines()[1]
    base = ROOT / "scenarios" / "baseline.yaml"
    (work / "bad_sweep.yaml").write_text(
        f"scenario: {base}\nseed: 1\nvary:\n  parameters.coordination: {{low: 0, high: 1}}\n"
        "design:\n  kind: sobl\n"
    )
    bad = cli("validate", "bad_sweep.yaml", cwd=work)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: bad_sweep.yaml:6:9: design.kind: "), bad.stderr
    assert "did you mean 'sobol'?" in bad.stderr


def test_console_script_is_installed():
    """The influence-sim console script exists next to the interpreter and answers --help."""
    script = Path(sys.executable).with_name("influence-sim")
    exe = str(script) if script.exists() else shutil.which("influence-sim")
    if exe is None:
        pytest.skip("console script not installed in this environment")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "run" in result.stdout and "validate" in result.stdout


@pytest.mark.parametrize("args", [("schema",), ("run", "short.yaml", "--out", "piped", "--force")])
def test_a_reader_that_closes_the_pipe_early_is_no_error(work, args):
    """``influence-sim run X | head``: no traceback, exit 0, and the run's files are written."""
    with subprocess.Popen(
        [sys.executable, "-m", "influence_sim", *args],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # the reader is gone before anything is printed
        err = child.stderr.read().decode()
        assert child.wait(timeout=300) == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
    if args[0] == "run":
        assert (work / "piped" / "timeseries.csv").is_file()
        assert (work / "piped" / "summary.txt").is_file()


def test_the_program_ends_after_a_stop_even_if_a_thread_would_hold_its_exit(tmp_path):
    """After Ctrl-C or SIGTERM (130, 143) a pool's thread can wait for ever at exit; the
    program ends anyway, with the same code."""
    import os
    import subprocess
    import sys

    script = tmp_path / "stuck.py"
    script.write_text(
        "import threading, time\n"
        "from influence_sim import cli\n"
        "cli.STOP_EXIT_SECONDS = 0.5\n"
        "threading.Thread(target=time.sleep, args=(3600,)).start()  # waited for at exit\n"
        "cli.main = lambda: 143\n"
        "cli.run()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    done = subprocess.run([sys.executable, str(script)], env=env, timeout=60, check=False)
    assert done.returncode == 143
