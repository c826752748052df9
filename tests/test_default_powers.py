"""A default power is data only: a row of seeds/powers.csv and its rows in the panel."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from influence_sim import cast, cli, seeds
from influence_sim._inputs import InputFileError

SCENARIO = """\
name: testland_only_data
description: A short run whose default powers come from a copied seeds folder.
time:
  start: 2021-01-01
  end: 2022-01-01
  step: quarter
  seed: 7
  replicates: 2
"""


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        fields = next(csv.reader(f))
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writerows(rows)


def _seeds_with_testland(tmp_path: Path) -> Path:
    """A copy of the seeds folder with a test-only default power, ``testland``."""
    folder = tmp_path / "seeds"
    shutil.copytree(seeds.seeds_dir(), folder)
    source = "test-only power"
    _append(
        folder / "powers.csv",
        [
            {
                "power": "testland",
                "trade_series": "trade_testland",
                "arms_series": "arms_share_testland",
                "source": source,
            }
        ],
    )
    panel: list[dict[str, str]] = []
    for year in range(2015, 2022):
        panel.append(
            {
                "entity": "testland",
                "year": str(year),
                "series": "gdp",
                "value": "2000000",
                "unit": "USD million",
                "definition": source,
                "source": source,
                "note": "",
            }
        )
        for state in seeds.DEFAULT_STATES:
            panel.append(
                {
                    "entity": state,
                    "year": str(year),
                    "series": "trade_testland",
                    "value": "800",
                    "unit": "USD million",
                    "definition": source,
                    "source": source,
                    "note": "",
                }
            )
    _append(folder / "panel.csv", panel)
    return folder


def test_the_default_powers_are_the_rows_of_the_seeds_table() -> None:
    assert tuple(row.power for row in cast.power_rows()) == seeds.DEFAULT_POWERS


def test_a_row_of_data_adds_a_default_power(tmp_path: Path) -> None:
    folder = _seeds_with_testland(tmp_path)
    assert "testland" in [row.power for row in cast.power_rows(folder)]
    scenario = tmp_path / "short.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "INFLUENCE_SIM_SEEDS": str(folder)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "influence_sim",
            "run",
            str(scenario),
            "--out",
            str(out),
            "--no-plots",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    regional = pd.read_csv(out / "regional.csv")
    assert list(dict.fromkeys(regional["partner"])) == [
        "china",
        "russia",
        "united_states",
        "testland",
        "rest_of_world",
    ]
    trade = regional[(regional["partner"] == "testland") & (regional["domain"] == "economic")]
    assert (trade["share"] > 0.0).all()
    powers = pd.read_csv(out / "powers.csv")
    assert "testland" in set(powers["power"])


def test_a_folder_with_other_default_powers_is_refused_once_the_package_has_started(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default powers are read at import: a --seeds folder with others is refused, not
    read with the wrong actors or with its powers ignored."""
    folder = _seeds_with_testland(tmp_path)
    with pytest.raises(InputFileError, match="differ from the powers in use"):
        seeds.load_seeds(folder)
    assert cli.main(["estimate", "--seeds", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {folder / 'powers.csv'}: its rows differ"), err
    assert "INFLUENCE_SIM_SEEDS" in err and len(err.splitlines()) == 1
    shipped = (seeds.seeds_dir() / "estimates.csv").read_text()
    assert (folder / "estimates.csv").read_text() == shipped  # nothing estimated into it
