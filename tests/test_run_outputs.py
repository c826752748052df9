"""Results folders of `run` and the other commands: whole or not at all, with the umask's
permissions; runs refused before they outgrow memory and when they produce NaN or infinity."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import influence_sim
from influence_sim import _files
from influence_sim.calendar import Clock
from influence_sim.cli import main
from influence_sim.ensemble import (
    MEMORY_LIMIT_ENV,
    EnsembleOutput,
    MemoryLimitError,
    NonFiniteError,
    check_finite,
    memory_limit,
    simulate_runs,
)
from influence_sim.initial import default_dims
from influence_sim.model import keyword_overrides
from influence_sim.parameters import PARAMETERS
from influence_sim.rng import replicate_seeds

SHORT = """\
name: short
time:
  start: 2021-01-01
  end: 2023-01-01
  step: quarter
  seed: 3
  replicates: 1
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(SHORT, encoding="utf-8")
    return path


def _run(scenario: Path, out: Path, *extra: str) -> int:
    return main(["run", str(scenario), "--out", str(out), "--no-plots", *extra])


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- whole folders


def test_a_failed_force_run_leaves_the_earlier_run_whole(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The disk fills while the new run's third table is written: exit 1, one line, and the
    earlier run's files are all still there, unchanged, with nothing of the new run."""
    out = tmp_path / "out"
    assert _run(scenario, out) == 0
    before = _contents(out)
    real = _files.write_text_atomic

    def full_disk(path: Path, text: str) -> Path:
        if path.name == "states.csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, text)

    monkeypatch.setattr(_files, "write_text_atomic", full_disk)
    capsys.readouterr()
    assert _run(scenario, out, "--force", "--replicates", "3", "--seed", "9") == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "No space left on device" in line
    assert _contents(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "short.yaml"]  # no leftovers


def test_a_successful_force_run_replaces_the_folder_whole(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(scenario, out) == 0
    (out / "stale.png").write_bytes(b"from an earlier run")
    assert _run(scenario, out, "--force", "--replicates", "2") == 0
    assert "stale.png" not in _contents(out)
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["replicates"] == 2 and sorted(meta["files"]) == sorted(_contents(out))


def test_force_refuses_to_replace_the_current_folder(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    out = tmp_path / "out"
    assert _run(scenario, out) == 0
    before = _contents(out)
    monkeypatch.chdir(out)
    capsys.readouterr()
    assert _run(scenario, Path("."), "--force") == 2
    assert "holds the current folder" in _one_error_line(capsys.readouterr().err)
    assert _contents(out) == before


def test_a_file_where_the_results_go_is_refused_and_kept(tmp_path: Path, capsys) -> None:
    # a file at the output path was moved aside to a hidden name and a folder put there
    out = tmp_path / "results.txt"
    out.write_text("kept")
    with pytest.raises(_files.OutputFolderError, match="output path exists and is not a folder"):
        _files.write_folder_atomic(out, lambda tmp: [])
    assert main(["hindcast", "--out", str(out), "--replicates", "1"]) == 2
    assert "results.txt: output path exists and is not a folder" in _one_error_line(
        capsys.readouterr().err
    )
    assert out.read_text() == "kept" and sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@pytest.mark.parametrize("above", [False, True], ids=["at", "above"])
@pytest.mark.parametrize(
    "command",
    [
        ["run", "scenarios/baseline.yaml", "--replicates", "1"],
        ["hindcast", "--replicates", "1"],
        ["estimate"],
        ["report", "scenarios/baseline.yaml", "--targets", "seeds/targets.csv"],
    ],
)
def test_every_command_refuses_a_file_at_or_above_out_with_the_same_line(
    tmp_path: Path, capsys, command: list[str], above: bool
) -> None:
    """One line, exit 2, the file kept; not exit 1 with the system's "File exists"."""
    root = Path(__file__).resolve().parents[1]
    args = [str(root / a) if a.endswith((".yaml", ".csv")) else a for a in command]
    file = tmp_path / "results.txt"
    file.write_text("kept")
    out = file / "sub" / "out" if above else file
    assert main([*args, "--out", str(out)]) == 2
    why = f"{file} is a file, not a folder" if above else "output path exists and is not a folder"
    assert capsys.readouterr().err.splitlines() == [
        f"error: {out}: {why} (expected a folder for results)"
    ]
    assert file.read_text() == "kept"


@contextlib.contextmanager
def _small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], capture_output=True, timeout=30, check=False)


def test_a_force_run_on_a_full_tmpfs_leaves_the_earlier_run_whole(
    scenario: Path, tmp_path: Path, capsys
) -> None:
    """A real full disk: a 1 MB tmpfs holds a one-replicate run, not a 30-replicate one."""
    with _small_tmpfs(tmp_path / "disk", "1m") as disk:
        out = disk / "out"
        assert _run(scenario, out) == 0
        before = _contents(out)
        capsys.readouterr()
        assert _run(scenario, out, "--force", "--replicates", "30") == 1
        assert "No space left on device" in _one_error_line(capsys.readouterr().err)
        assert _contents(out) == before
        assert [p.name for p in disk.iterdir()] == ["out"]


# --------------------------------------------------------------------------- permissions


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize(
    ("mask", "file_mode", "folder_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]
)
def test_outputs_follow_the_umask(
    scenario: Path, tmp_path: Path, mask: int, file_mode: int, folder_mode: int
) -> None:
    """Mode bits, not access, so it holds for root too."""
    out = tmp_path / "out"
    with _umask(mask):
        assert _run(scenario, out) == 0
        assert _run(scenario, out, "--force") == 0  # replacing keeps them too
        single = _files.write_text_atomic(tmp_path / "one.txt", "x")
    assert stat.S_IMODE(out.stat().st_mode) == folder_mode
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes and set(modes.values()) == {file_mode}, modes
    assert stat.S_IMODE(single.stat().st_mode) == file_mode


# --------------------------------------------------------------------------- JSON


def test_json_text_writes_non_finite_numbers_as_null() -> None:
    data = {"a": float("inf"), "b": [np.float64("nan"), -np.inf, 1.5], "c": np.float32(2.0)}
    text = _files.json_text(data)
    assert json.loads(text) == {"a": None, "b": [None, None, 1.5], "c": 2.0}


# --------------------------------------------------------------------------- memory


def test_a_run_too_large_for_memory_is_refused_before_it_starts(tmp_path: Path, capsys) -> None:
    """100,000 replicates of a hundred monthly years would need terabytes."""
    big = tmp_path / "big.yaml"
    big.write_text(
        SHORT.replace("2023-01-01", "2121-01-01").replace("quarter", "month"), encoding="utf-8"
    )
    assert _run(big, tmp_path / "out", "--replicates", "100000") == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "100000 replicates" in line and "sweep" in line and "GiB" in line
    assert not (tmp_path / "out").exists()


def test_the_memory_limit_comes_from_the_option_or_the_environment(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1K")
    assert _run(scenario, tmp_path / "a", "--replicates", "5") == 2
    line = _one_error_line(capsys.readouterr().err)
    assert MEMORY_LIMIT_ENV in line and "more than the 1 KiB allowed" in line
    # the dates recorded, the start among them: one more than the summary's steps
    assert re.search(r"5 replicates of (\d+) recorded dates need", line)
    assert _run(scenario, tmp_path / "b", "--replicates", "5", "--memory-limit", "1G") == 0
    with pytest.raises(MemoryLimitError):
        influence_sim.run(scenario, replicates=5)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(MemoryLimitError, match="not a size"):
        influence_sim.run(scenario)
    with pytest.raises(SystemExit) as usage:
        main(["run", str(scenario), "--memory-limit", "lots"])
    assert usage.value.code == 2


def test_a_memory_limit_that_is_no_number_of_bytes_is_refused(scenario: Path) -> None:
    """-5 was refused as 'more than the -5 bytes allowed'; 1.5 was taken as 1 byte."""
    with pytest.raises(ValueError, match=r"^memory_limit must be at least 0$"):
        influence_sim.run(scenario, replicates=1, memory_limit=-5)
    with pytest.raises(ValueError, match=r"^memory_limit must be a whole number, not 1\.5$"):
        influence_sim.run(scenario, replicates=1, memory_limit=1.5)


def test_a_memory_limit_written_as_a_float_with_a_whole_value_is_taken(scenario: Path) -> None:
    """4e9 (how 4 GB is written) was refused as 'must be a whole number'."""
    assert memory_limit(4e9) == 4_000_000_000 and memory_limit(np.float64(0.0)) is None
    assert influence_sim.run(scenario, replicates=1, memory_limit=4e9).n_replicates == 1
    with pytest.raises(MemoryLimitError, match="more than the 1 KiB allowed"):
        influence_sim.run(scenario, replicates=5, memory_limit=1024.0)
    for value in (1.5, float("nan"), float("inf"), True, False):
        with pytest.raises(ValueError, match=f"^memory_limit must be a whole number, not {value}$"):
            memory_limit(value)


@pytest.mark.parametrize(
    ("size", "message"),
    [("1e308T", "'1e308T' is not a size"), ("0.5", "'0.5' is less than one byte")],
)
def test_a_memory_limit_too_large_or_below_one_byte_is_refused(
    scenario: Path, tmp_path: Path, capsys, size: str, message: str
) -> None:
    """Not an OverflowError, nor a fraction of a byte read as 0 (no limit)."""
    with pytest.raises(SystemExit) as usage:
        main(["run", str(scenario), "--out", str(tmp_path / "out"), "--memory-limit", size])
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --memory-limit" in err and message in err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- NaN and infinity

EXTREME = SHORT + "parameters:\n  offer_sensitivity: 10000\n"


def test_a_run_that_produces_nan_fails_loudly_and_writes_nothing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "extreme.yaml"
    path.write_text(EXTREME, encoding="utf-8")
    out = tmp_path / "out"
    assert _run(path, out) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "non-finite result:" in line and "replicate 0" in line and "2021-" in line
    assert not out.exists()
    with pytest.raises(NonFiniteError) as caught:
        influence_sim.run(path)
    assert caught.value.replicate == 0 and "[" in caught.value.variable


def test_return_rates_beyond_the_documented_range_are_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "rate.yaml"
    path.write_text(SHORT + "parameters:\n  return_rate: 150\n", encoding="utf-8")
    assert _run(path, tmp_path / "out") == 2
    assert "return_rate" in _one_error_line(capsys.readouterr().err)


UNBOUNDED_TOP = 1e3
"""Upper end drawn for parameters documented without one."""


def _draw(rng: np.random.Generator) -> dict[str, float]:
    """A parameter set within the documented ranges, a fifth of values at each end."""
    values = {}
    for name, spec in PARAMETERS.items():
        high = spec.high if spec.high is not None else UNBOUNDED_TOP
        u = rng.random()
        values[name] = spec.low if u < 0.2 else high if u > 0.8 else rng.uniform(spec.low, high)
    return values


def _one_run(output: EnsembleOutput, b: int) -> EnsembleOutput:
    arrays = {
        f.name: getattr(output, f.name)[:, b : b + 1]
        for f in dataclasses.fields(output)
        if f.name not in ("dims", "steps", "dates")
    }
    return dataclasses.replace(output, **arrays)


def test_random_parameter_sets_in_the_documented_ranges_are_finite_or_refused() -> None:
    """300 seeded sets, extremes included: each run is finite, or refused naming where."""
    dims = default_dims()
    rng = np.random.default_rng(20211)
    sets = [_draw(rng) for _ in range(300)]
    clock = Clock.between(dt.date(2021, 1, 1), dt.date(2031, 1, 1), "quarter")
    with np.errstate(all="ignore"):
        output = simulate_runs(
            dims,
            clock,
            replicate_seeds(5, len(sets)),
            overrides=[keyword_overrides(s, dims) for s in sets],
            every=4,
        )
    refused = 0
    for b in range(len(sets)):
        run = _one_run(output, b)
        finite = all(
            np.isfinite(getattr(run, f.name)).all()
            for f in dataclasses.fields(run)
            if f.name not in ("dims", "steps", "dates")
        )
        if finite:
            check_finite(run)
            continue
        refused += 1
        with pytest.raises(NonFiniteError) as caught:
            check_finite(run)
        name = caught.value.variable.split("[")[0]
        assert not np.isfinite(getattr(run, name)).all()
        assert caught.value.date in run.dates
    assert 0 < refused < len(sets)  # the draw reaches both kinds


# --------------------------------------------------------------------------- the folder helper


def test_replacing_folder_keeps_the_old_folder_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "results"
    target.mkdir()
    (target / "a.csv").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), _files.replacing_folder(target) as tmp:
        (tmp / "a.csv").write_text("new", encoding="utf-8")
        raise RuntimeError("a failure while writing")
    assert (target / "a.csv").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_replacing_folder_puts_the_old_folder_back_when_the_swap_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "results"
    target.mkdir()
    (target / "a.csv").write_text("old", encoding="utf-8")
    real = os.rename

    def failing(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        if Path(src).name.endswith(".new"):
            raise OSError(errno.EXDEV, "cannot rename")
        real(src, dst)

    monkeypatch.setattr(_files.os, "rename", failing)
    with pytest.raises(OSError), _files.replacing_folder(target) as tmp:
        (tmp / "b.csv").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == ["a.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_writing_through_a_symbolic_link_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "old.csv").write_text("old", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    written = _files.write_folder_atomic(
        link, lambda folder: [_files.write_text_atomic(folder / "new.csv", "new")]
    )
    assert link.is_symlink() and [p.name for p in link.iterdir()] == ["new.csv"]
    assert written == [link / "new.csv"]


def test_a_writer_killed_mid_swap_is_undone_by_the_next_write(tmp_path: Path) -> None:
    """No results folder and one ``.old`` beside it: the old results are put back first."""
    target = tmp_path / "results"
    old = tmp_path / ".results.1a2b3c4d.old"
    old.mkdir()
    (old / "states.csv").write_text("old", encoding="utf-8")
    (tmp_path / ".results.5e6f7a8b.new").mkdir()  # a killed writer's unfinished folder
    (tmp_path / ".results.5e6f7a8b.new" / "x.csv").write_text("half", encoding="utf-8")
    with pytest.raises(RuntimeError), _files.replacing_folder(target):
        raise RuntimeError("the new write fails too")
    assert (target / "states.csv").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_a_second_writer_of_the_same_results_folder_is_refused(
    scenario: Path, tmp_path: Path, capsys
) -> None:
    """Two commands never write one results folder at once: the second is one line, exit 2."""
    from influence_sim._lock import FolderInUseError, exclusive_file

    out = tmp_path / "run"
    with exclusive_file(tmp_path / ".run.lock", out, "command"):
        with pytest.raises(FolderInUseError), _files.replacing_folder(out):
            pass
        assert _run(scenario, out, "--force") == 2
    assert "is in use by another command" in _one_error_line(capsys.readouterr().err)
    assert not out.exists()
    assert _run(scenario, out) == 0  # the lock went with its holder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "short.yaml"]


def test_the_recorded_command_names_the_program_without_its_folder(tmp_path: Path) -> None:
    """metadata.json records the command as it would be typed again, with no folder of the
    machine it ran on: ``python -m influence_sim`` for the package's ``__main__``."""
    from influence_sim import provenance

    main_py = str(Path(influence_sim.__file__).parent / "__main__.py")
    command = provenance.command_line([main_py, "run", "s.yaml", "--out", "r"])
    assert command == "python -m influence_sim run s.yaml --out r"
    script = str(tmp_path / "bin" / "influence-sim")
    assert provenance.command_line([script, "sweep", "x.yaml"]) == "influence-sim sweep x.yaml"
    assert provenance.command_line([]) == ""
    root = Path(__file__).resolve().parents[1]
    run = ["run", "scenarios/afghan_takeover.yaml", "--out", str(tmp_path / "run")]
    subprocess.run(
        [sys.executable, "-m", "influence_sim", *run, "--replicates", "1", "--no-plots"],
        cwd=root,
        capture_output=True,
        check=True,
    )
    meta = json.loads((tmp_path / "run" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["command"].startswith("python -m influence_sim run scenarios/afghan_takeover.yaml")
