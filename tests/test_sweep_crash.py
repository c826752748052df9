"""What survives a crash: kills at several points, two sweeps on one folder, damaged files.

The command is killed for real (SIGKILL, SIGTERM) with a pool of two workers; after each kill
no process of the sweep may be left, and the resumed sweep must equal an uninterrupted one in
every column but wall time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from influence_sim import cli
from influence_sim._files import is_temporary, replacing
from influence_sim._lock import LOCK_NAME, FolderInUseError, exclusive_folder
from influence_sim.sweep import SweepFolderError, load_sweep, run_sweep
from influence_sim.sweep import execute as execute_module
from influence_sim.sweep.storage import SweepDamagedError, SweepFolder

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
name: crash_base
time:
  start: 2021-01-01
  end: 2023-01-01
  step: month
  seed: 5
shocks:
  - name: takeover
    at: 2021-08-15
    target: afghanistan.instability
    op: set
    value: {distribution: uniform, low: 0.6, high: 0.95}
"""

SWEEP = """\
scenario: base.yaml
seed: 99
replicates: 2
vary:
  parameters.coordination: {low: 0.0, high: 1.0, num: 8}
  parameters.adjust_rate_security: [0.05, 0.1, 0.2, 0.3]
design: {kind: grid}
keep:
  timeseries: {every: 3}
"""

CHUNK = 2  # 64 runs in 32 chunks
N_CHUNKS = 32

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").is_file() or not hasattr(os, "killpg"),
    reason="needs POSIX process groups and /proc",
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sweep file and the result of an uninterrupted sweep (``clean/``)."""
    where = tmp_path_factory.mktemp("crash")
    (where / "base.yaml").write_text(BASE)
    (where / "grid.yaml").write_text(SWEEP)
    run_sweep(where / "grid.yaml", where / "clean", workers=1, chunk_size=7)
    return where


def assert_same(a: Path, b: Path) -> None:
    """Two sweep folders hold the same results (wall time aside)."""
    x, y = load_sweep(a), load_sweep(b)
    assert x.complete and y.complete
    pd.testing.assert_frame_equal(
        x.runs.drop(columns="wall_time_s"), y.runs.drop(columns="wall_time_s")
    )
    pd.testing.assert_frame_equal(x.timeseries, y.timeseries)


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return env


def start_sweep(where: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    """``influence-sim sweep`` with a pool of two workers started at once, in its own group."""
    args = [str(where / "grid.yaml"), "--out", str(out), "--workers", "2"]
    args += ["--chunk-size", str(CHUNK), "--pool-after-seconds", "0", "--no-progress", *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "influence_sim", "sweep", *args],
        env=environment(),
        cwd=where,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"condition not met while the sweep ran (exit code {proc.poll()})")


def ledgers(out: Path) -> int:
    where = out / "chunks"
    return len(list(where.glob("runs-*.parquet"))) if where.is_dir() else 0


def assert_no_process_left(pgid: int) -> None:
    """Every process the killed sweep started exits within a few seconds."""
    deadline = time.monotonic() + 5
    left = group_members(pgid)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = group_members(pgid)
    for pid in left:  # clean up what the test started before failing
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes of the killed sweep still running: {left}"


KILLS = {
    "sigkill-at-start": (signal.SIGKILL, lambda out: (out / "manifest.json").is_file()),
    "sigkill-mid-run": (signal.SIGKILL, lambda out: ledgers(out) >= 10),
    "sigkill-near-end": (signal.SIGKILL, lambda out: ledgers(out) >= 22),
    "sigterm-mid-run": (signal.SIGTERM, lambda out: ledgers(out) >= 6),
}


@needs_proc
@pytest.mark.parametrize("point", list(KILLS))
def test_a_killed_sweep_leaves_no_process_and_resumes_to_the_same_result(files, tmp_path, point):
    how, when = KILLS[point]
    out = tmp_path / "out"
    proc = start_sweep(files, out)
    try:
        wait_for(lambda: when(out), proc, 120)
        os.kill(proc.pid, how)  # the command alone: its workers must notice by themselves
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:  # pragma: no cover - only if an assertion fired first
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert_no_process_left(proc.pid)
    if how == signal.SIGTERM:
        assert proc.returncode == 143, err
        assert "terminated" in err and "Traceback" not in err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    done = ledgers(out)
    outcome = run_sweep(files / "grid.yaml", out, workers=1, resume=True)
    assert outcome.n_skipped == done * CHUNK and outcome.n_chunks == N_CHUNKS
    assert_same(out, files / "clean")
    assert not list(out.rglob(".*"))


HANG = """
import sys, time
import influence_sim.sweep
from influence_sim import cli
from influence_sim.sweep import cli as sweep_cli

sweep_cli.TERM_GRACE_SECONDS = 1.0


def hang(*args, **kwargs):
    try:
        print("running", flush=True)
        while True:
            time.sleep(0.05)
    except KeyboardInterrupt:  # a clean-up that never ends, as with a lock held for ever
        while True:
            time.sleep(0.05)


influence_sim.sweep.run_sweep = hang
sys.exit(cli.main(["sweep", sys.argv[1], "--out", sys.argv[2]]))
"""


@needs_proc
def test_a_sigterm_whose_clean_up_hangs_still_ends_the_command(files, tmp_path):
    """SIGTERM stops a sweep as Ctrl-C does; should that stop hang, the command still ends."""
    script = tmp_path / "hang.py"
    script.write_text(HANG)
    args = [sys.executable, str(script), str(files / "grid.yaml"), str(tmp_path / "out")]
    proc = subprocess.Popen(
        args, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"running\n"
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
    finally:
        if proc.poll() is None:  # pragma: no cover - only if an assertion fired first
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert "the clean-up did not end within 1 s" in err and "Traceback" not in err, err


@needs_proc
def test_two_sweeps_on_one_folder_the_second_is_refused(files, tmp_path, capsys):
    out = tmp_path / "out"
    first = start_sweep(files, out)
    try:
        wait_for(lambda: (out / "manifest.json").is_file(), first, 120)
        for again in ("--force", "--resume"):
            args = ["sweep", str(files / "grid.yaml"), "--out", str(out), "--workers", "1"]
            assert cli.main([*args, again, "--no-progress"]) == 2
            err = capsys.readouterr().err.strip().splitlines()
            assert err == [f"error: {out} is in use by another sweep (pid {first.pid})"]
        assert first.poll() is None, "the first sweep ended before the second tried"
        assert first.wait(timeout=120) == 0, first.stderr.read().decode() if first.stderr else ""
    finally:
        if first.poll() is None:  # pragma: no cover - only if an assertion fired first
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        if first.stderr:
            first.stderr.close()
    assert_same(out, files / "clean")
    assert not (out / LOCK_NAME).exists()


# --------------------------------------------------------------------------- a small sweep

TINY = SWEEP.replace("num: 8", "num: 2").replace("replicates: 2", "replicates: 1")  # 8 runs


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A sweep file of 8 runs; its uninterrupted result is in ``clean/`` beside it."""
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "tiny.yaml").write_text(TINY)
    run_sweep(tmp_path / "tiny.yaml", tmp_path / "clean", workers=1, chunk_size=8)
    return tmp_path / "tiny.yaml"


def computed(patch: pytest.MonkeyPatch) -> list[int]:
    """Record the chunks computed from now on."""
    seen: list[int] = []
    real = execute_module.compute_chunk

    def record(sweep, chunk):  # type: ignore[no-untyped-def]
        seen.append(chunk.index)
        return real(sweep, chunk)

    patch.setattr(execute_module, "compute_chunk", record)
    return seen


def test_the_lock_refuses_a_second_holder_and_goes_with_the_first(tiny):
    out = tiny.parent / "out"
    with exclusive_folder(out, "sweep"):
        message = rf"{out} is in use by another sweep \(pid {os.getpid()}\)"
        with pytest.raises(FolderInUseError, match=message), exclusive_folder(out, "sweep"):
            pass  # pragma: no cover
        with pytest.raises(SweepFolderError, match=message):
            run_sweep(tiny, out, workers=1)
    assert not out.exists()  # the lock file goes with the lock, and the folder made for it
    run_sweep(tiny, out, workers=1)
    assert not (out / LOCK_NAME).exists()


def test_resume_recomputes_a_part_cut_short(tiny, monkeypatch):
    out = tiny.parent / "out"
    real = execute_module.compute_chunk

    def stop_after_two(sweep, chunk):  # type: ignore[no-untyped-def]
        if chunk.index == 2:
            raise KeyboardInterrupt
        return real(sweep, chunk)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(execute_module, "compute_chunk", stop_after_two)
        with pytest.raises(KeyboardInterrupt):
            run_sweep(tiny, out, workers=1, chunk_size=2)
    part = out / "timeseries" / "part-000001.parquet"
    table = pq.read_table(part)
    pq.write_table(table.slice(0, table.num_rows // 2), part)  # still valid Parquet
    seen = computed(monkeypatch)
    outcome = run_sweep(tiny, out, workers=1, resume=True)
    assert seen == [1, 2, 3] and outcome.n_skipped == 2
    assert_same(out, tiny.parent / "clean")


@pytest.mark.parametrize(
    ("damage", "redo"),
    [
        ("cut part-000001", [1]),
        ("delete part-000002", [2]),
        ("delete runs.parquet", [0, 1, 2, 3]),
        ("rewrite runs.parquet", [0, 1, 2, 3]),
    ],
)
def test_a_finished_sweep_with_damaged_files_is_refused_by_load_and_redone_by_resume(
    tiny, monkeypatch, capsys, damage, redo
):
    out = tiny.parent / "out"
    run_sweep(tiny, out, workers=1, chunk_size=2)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["runs.parquet"]["rows"] == 8
    assert sorted(manifest["files"]) == [
        "runs.parquet",
        *[f"timeseries/part-{i:06d}.parquet" for i in range(4)],
    ]
    what, name = damage.split()
    path = out / (name if name == "runs.parquet" else f"timeseries/{name}.parquet")
    if what == "delete":
        path.unlink()
    elif what == "cut":
        table = pq.read_table(path)
        pq.write_table(table.slice(0, table.num_rows // 2), path)
    else:  # same rows, other bytes
        pq.write_table(pq.read_table(path), path, compression="none")
    with pytest.raises(SweepDamagedError, match=rf"{path.name}: .*--resume") as caught:
        load_sweep(out)
    assert "\n" not in str(caught.value)
    if what == "cut":  # the command line says the same, in one line, exit 2
        assert cli.main(["analyze", str(out), "--method", "sobol"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and path.name in err[0] and "--resume" in err[0]
    seen = computed(monkeypatch)
    outcome = run_sweep(tiny, out, workers=1, resume=True)
    assert seen == redo, outcome.notes
    assert "did not match the manifest" in outcome.notes[0]
    assert_same(out, tiny.parent / "clean")
    parts = {k: v for k, v in manifest["files"].items() if k.startswith("timeseries/")}
    again = load_sweep(out).manifest["files"]
    assert {k: v for k, v in again.items() if k in parts} == parts  # the same bytes again
    seen.clear()
    assert "nothing to do" in run_sweep(tiny, out, workers=1, resume=True).notes[-1]
    assert seen == []


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda m: [m], "expected a JSON object"),
        (lambda m: {**m, "format": 99}, r"format 99 \(this version reads format 1\)"),
        (lambda m: {**m, "design": 5}, "design: expected an object"),
        (lambda m: {**m, "keep": None}, "keep: expected an object"),
        (lambda m: {**m, "files": {"runs.parquet": 5}}, "files.runs.parquet: expected an object"),
        (lambda m: {**m, "clock": {"n_steps": "x"}}, "clock.n_steps: expected a whole number"),
        (None, r"cannot be read as JSON \(Expecting value"),
    ],
)
def test_a_manifest_that_is_damaged_or_of_another_format_is_refused_and_kept(
    tiny, capsys, edit, reason
):
    """Not a traceback; and --resume no longer starts over, removing the sweep's results."""
    out = tiny.parent / "clean"
    path = out / "manifest.json"
    text = "" if edit is None else json.dumps(edit(json.loads(path.read_text())))
    path.write_text(text)
    with pytest.raises(SweepDamagedError, match=rf"^{path}: {reason}"):
        load_sweep(out)
    for args in (["analyze", str(out)], ["sweep", str(tiny), "--out", str(out), "--resume"]):
        assert cli.main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"error: {path}: "), err
    assert "use --force to start over" in err[0]
    assert path.read_text() == text and (out / "runs.parquet").is_file()


@pytest.mark.parametrize("size", [None, "x", 0])
def test_resume_of_a_manifest_without_a_usable_chunk_size_is_refused_and_kept(
    tiny, capsys, size
):
    """--resume needs the sweep's own chunk size; it was a KeyError or ValueError traceback."""
    out = tiny.parent / "clean"
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    if size is None:
        del manifest["chunk_size"]
    else:
        manifest["chunk_size"] = size
    path.write_text(json.dumps(manifest))
    kept = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert cli.main(["sweep", str(tiny), "--out", str(out), "--resume"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {path}: chunk_size: expected a whole number of 1 or more; the sweep cannot be "
        "resumed (use --force to start over)"
    ]
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == kept


def test_a_manifest_without_its_count_of_points_still_gives_the_point_means(tiny):
    out = tiny.parent / "clean"
    metric = next(c for c in load_sweep(out).runs.columns if str(c).startswith("final."))
    expected = load_sweep(out).point_means(metric)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["design"]["n_points"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    pd.testing.assert_series_equal(load_sweep(out).point_means(metric), expected)


def test_the_manifest_is_written_before_anything_else(tiny, monkeypatch):
    out = tiny.parent / "out"

    def killed(self: SweepFolder) -> None:
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SweepFolder, "prepare", killed)
        with pytest.raises(KeyboardInterrupt):
            run_sweep(tiny, out, workers=1, chunk_size=2)
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    run_sweep(tiny, out, workers=1, resume=True)
    assert_same(out, tiny.parent / "clean")


def test_resume_starts_over_in_a_folder_killed_before_its_manifest(tiny):
    """A folder an older version left with its subfolders but no manifest can be resumed."""
    out = tiny.parent / "out"
    for sub in ("timeseries", "chunks"):
        (out / sub).mkdir(parents=True)
    (out / ".design.parquet.q1w2e3r4").write_bytes(b"half")
    outcome = run_sweep(tiny, out, workers=1, resume=True)
    assert "starting over" in outcome.notes[0]
    assert_same(out, tiny.parent / "clean")
    # with its results there, a folder without a manifest is damaged: refused, nothing removed
    (out / "manifest.json").unlink()
    kept = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(SweepFolderError, match=r"holds a sweep's results but no manifest\.json"):
        run_sweep(tiny, out, workers=1, resume=True)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == kept
    # a folder with other files in it is still refused
    other = tiny.parent / "other"
    (other / "chunks").mkdir(parents=True)
    (other / "notes.txt").write_text("mine")
    with pytest.raises(SweepFolderError, match="no readable manifest"):
        run_sweep(tiny, other, workers=1, resume=True)


STRAYS = (
    ".runs.parquet.uwxfalww",  # names of older versions, without the suffix
    "timeseries/.part-000020.parquet.uhzv2yiz",
    "chunks/.runs-000001.parquet.abcdefgh.tmp",
    ".manifest.json.zz11yy22.tmp",
    "timeseries/.part-000003.parquet.k3j4h5g6.tmp",
)


@pytest.mark.parametrize("again", ["resume-unfinished", "resume-finished", "force"])
def test_stray_temporary_files_are_removed(tiny, again):
    out = tiny.parent / "out"
    run_sweep(tiny, out, workers=1, chunk_size=2)
    if again == "resume-unfinished":
        manifest = json.loads((out / "manifest.json").read_text())
        manifest["status"] = "running"
        (out / "manifest.json").write_text(json.dumps(manifest))
        (out / "runs.parquet").unlink()
    (out / "chunks").mkdir(exist_ok=True)
    for name in STRAYS:
        (out / name).write_bytes(b"left by a killed sweep")
    (out / ".mine").write_text("not a sweep's")
    run_sweep(tiny, out, workers=1, resume=again != "force", force=again == "force")
    left = sorted(str(p.relative_to(out)) for p in out.rglob(".*"))
    assert left == [".mine"]
    assert_same(out, tiny.parent / "clean")


def test_temporary_names_follow_one_pattern(tmp_path):
    with replacing(tmp_path / "runs.parquet") as tmp:
        assert is_temporary(tmp.name) and tmp.name.startswith(".runs.parquet.")
        tmp.write_text("x")
    assert [p.name for p in tmp_path.iterdir()] == ["runs.parquet"]


def test_resume_into_the_folder_of_another_sweep_names_both(tiny):
    out = tiny.parent / "out"
    run_sweep(tiny, out, workers=1, chunk_size=2)
    other = tiny.parent / "other.yaml"
    other.write_text(TINY.replace("seed: 99", "seed: 98"))
    message = rf"^{out}: it holds the sweep 'tiny' \(.*tiny\.yaml\), not 'other' \(use --force"
    with pytest.raises(SweepFolderError, match=message):
        run_sweep(other, out, workers=1, resume=True)
    changed = tiny.parent / "changed" / "tiny.yaml"  # the same name: the file differs
    changed.parent.mkdir()
    changed.write_text(TINY.replace("seed: 99", "seed: 98"))
    (tiny.parent / "changed" / "base.yaml").write_text(BASE)
    with pytest.raises(SweepFolderError, match="the sweep file differs from the one"):
        run_sweep(changed, out, workers=1, resume=True)
    assert_same(out, tiny.parent / "clean")
