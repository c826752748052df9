"""Resume after SIGKILL: the command line killed mid-sweep, then resumed, equals a clean sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from influence_sim.sweep import load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
name: resume_base
time:
  start: 2021-01-01
  end: 2031-01-01
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
  timeseries: {every: 12}
"""

CHUNK = 2  # 64 runs in 32 chunks


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "influence_sim", "sweep", *args]


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_resume_after_sigkill_equals_an_uninterrupted_sweep(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    sweep_file = tmp_path / "grid.yaml"
    sweep_file.write_text(SWEEP)
    out = tmp_path / "killed"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    args = [str(sweep_file), "--out", str(out), "--workers", "1", "--chunk-size", str(CHUNK)]
    proc = subprocess.Popen(
        command(*args, "--no-progress"),
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, killed as a whole
    )
    ledger = out / "chunks"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if ledger.is_dir() and any(ledger.glob("runs-*.parquet")):
                break
            time.sleep(0.005)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover - only if an assertion fired first
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    done = len(list(ledger.glob("runs-*.parquet")))
    assert 1 <= done < 32, done
    assert not (out / "runs.parquet").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"

    resumed = subprocess.run(
        command(*args[:3], "--resume", "--no-progress"),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done * CHUNK} done before" in resumed.stdout

    clean = tmp_path / "clean"
    run_sweep(sweep_file, clean, workers=1, chunk_size=5)
    a, b = load_sweep(out), load_sweep(clean)
    assert a.complete and len(a.runs) == 64
    pd.testing.assert_frame_equal(
        a.runs.drop(columns="wall_time_s"), b.runs.drop(columns="wall_time_s")
    )
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))
    manifest = a.manifest
    assert manifest["status"] == "finished" and len(manifest["resumed"]) == 1


def test_resume_keeps_the_sweeps_own_chunk_size_and_says_so(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE.replace("2031-01-01", "2022-01-01"))
    sweep_file = tmp_path / "grid.yaml"
    sweep_file.write_text(SWEEP.replace("num: 8", "num: 2").replace(", 0.2, 0.3]", "]"))
    run_sweep(sweep_file, tmp_path / "out", workers=1, chunk_size=1)
    again = run_sweep(sweep_file, tmp_path / "out", workers=1, chunk_size=3, resume=True)
    assert "resuming with the sweep's own chunk size, 1 run" in again.notes
