"""Figures fit for a report (page-wide grids, titles, shocks, bands, styles, formats) and the
self-contained HTML report of a run or a comparison."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.text import Text

import influence_sim
from influence_sim import plots
from influence_sim.analysis import plots as analysis_plots
from influence_sim.cli import main
from influence_sim.results import Results

SHORT = """\
name: short_takeover
description: Two years of the takeover, for tests <b>&</b> escaping.
time:
  start: 2021-01-01
  end: 2023-01-01
  step: quarter
  seed: 3
  replicates: 3
shocks:
  - name: takeover
    at: 2021-08-15
    target: afghanistan.instability
    op: set
    value: 0.9
"""

TAKEOVER = float(mdates.date2num(dt.date(2021, 8, 15)))  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "short.yaml"
    path.write_text(SHORT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def results(scenario_file) -> Results:
    return influence_sim.run(scenario_file, seed=1)


@pytest.fixture(scope="module")
def run_folder(scenario_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    args = ["--format", "svg,pdf", "--dpi", "72"]
    code = main(["run", str(scenario_file), "--out", str(out), *args])
    assert code == 0
    return out


def _bands(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _area(poly: PolyCollection) -> float:
    total = 0.0
    for path in poly.get_paths():
        x, y = path.vertices[:, 0], path.vertices[:, 1]
        total += 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    return total


def _shock_xs(ax) -> set[float]:
    return {
        float(line.get_xdata()[0])
        for line in ax.get_lines()
        if str(line.get_label()).startswith("_shock")
    }


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def _standard_figures(results: Results) -> dict[str, object]:
    return {
        "shares_economic": plots.figure_shares(results, "economic"),
        "shares_security": plots.figure_shares(results, "security"),
        "regional": plots.figure_regional(results),
        "trade_by_state": plots.figure_trade_by_state(results),
        "threat": plots.figure_threat(results),
    }


# --- layout, titles, shocks, bands ------------------------------------------------------------


def test_run_figures_are_page_wide_with_readable_text_and_the_scenario_title(results):
    """Every figure of a run is 7 in wide, no text below 8 pt, titled by name and description."""
    for name, fig in _standard_figures(results).items():
        width, height = fig.get_size_inches()
        assert width == pytest.approx(plots.FIGURE_WIDTH), name
        assert height < 9.0, name
        small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < 8]
        assert not small, (name, small)
        title = fig.get_suptitle()
        assert title.startswith("Short takeover:"), (name, title)
        assert "Two years of the takeover" in title, name


def test_per_state_figures_are_grids_of_three_columns(results):
    """Five states (and the region, or the legend) in two rows of three panels, not a strip."""
    for fig in (plots.figure_shares(results, "security"), plots.figure_trade_by_state(results)):
        axes = fig.get_axes()
        assert len(axes) == 6
        columns = {round(ax.get_position().x0, 3) for ax in axes}
        rows = {round(ax.get_position().y0, 3) for ax in axes}
        assert len(columns) == 3 and len(rows) == 2


def test_the_bottom_panel_of_each_column_shows_its_dates(results):
    """A panel above the legend's cell keeps its date tick labels and axis label."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figures = (
        plots.figure_shares(results, "security"),
        analysis_plots.figure_states({"a": results.timeseries}, "security"),
    )
    for fig in figures:
        FigureCanvasAgg(fig).draw()
        panels = [ax for ax in fig.get_axes() if ax.axison]
        bottoms: dict[float, object] = {}
        for ax in panels:  # the lowest panel with data in each column
            x0 = round(ax.get_position().x0, 3)
            if x0 not in bottoms or ax.get_position().y0 < bottoms[x0].get_position().y0:
                bottoms[x0] = ax
        assert len(bottoms) == 3
        for ax in bottoms.values():
            assert ax.get_xlabel(), ax.get_title()
            assert any(t.get_visible() and t.get_text() for t in ax.get_xticklabels()), (
                ax.get_title()
            )


def test_every_time_series_panel_marks_the_shock_date(results):
    """A dashed line at 2021-08-15 in every panel that draws data over time."""
    for name, fig in _standard_figures(results).items():
        panels = [ax for ax in fig.get_axes() if ax.axison]
        assert panels, name
        for ax in panels:
            assert TAKEOVER in _shock_xs(ax), (name, ax.get_title())


def test_fans_have_bands_with_area(results):
    """Replicates differ: each fan panel has its 5-95% and 25-75% bands, with nonzero area."""
    fig = plots.figure_trade_by_state(results)
    for ax in fig.get_axes():
        if not ax.axison:
            continue
        bands = _bands(ax)
        assert len(bands) == 4, ax.get_title()
        assert all(_area(b) > 0 for b in bands)


def _synthetic(spread: float, slope: float = 0.01, replicates: int = 5) -> pd.DataFrame:
    dates = pd.date_range("2021-01-01", periods=12, freq="QS").strftime("%Y-%m-%d")
    rows = []
    for r in range(replicates):
        for t, day in enumerate(dates):
            for power, base in (("china", 0.3), ("russia", 0.5)):
                value = base + slope * t + spread * r
                rows.append(
                    {
                        "replicate": r,
                        "date": day,
                        "partner": power,
                        "domain": "economic",
                        "state": "kazakhstan",
                        "share": value,
                        "volume_usd_bn": 10 * value,
                    }
                )
    return pd.DataFrame(rows)


def test_a_band_narrower_than_the_line_is_drawn_and_said():
    """A tiny spread over replicates still gives a band; the panel says it is narrow."""
    ax = plots.plot_regional(_synthetic(1e-6), "economic", "share")
    assert _bands(ax) and all(_area(b) > 0 for b in _bands(ax))
    assert plots.NARROW_BAND in [t.get_text() for t in ax.texts]
    wide = plots.plot_regional(_synthetic(0.02), "economic", "share")
    assert plots.NARROW_BAND not in [t.get_text() for t in wide.texts]


def test_a_panel_without_change_draws_the_flat_line_and_says_so():
    """Constant series: the lines are drawn and the panel says 'no change'; moving ones do not."""
    flat = plots.plot_partner_trade(_synthetic(0.0, slope=0.0))
    assert len([line for line in flat.get_lines() if line.get_label() == "China"]) == 1
    assert plots.NO_CHANGE in [t.get_text() for t in flat.texts]
    moving = plots.plot_partner_trade(_synthetic(0.0))
    assert plots.NO_CHANGE not in [t.get_text() for t in moving.texts]
    zero = pd.DataFrame(
        {
            "date": pd.date_range("2021-01-01", periods=6, freq="QS"),
            "partner": "china",
            "domain": "security",
            "median": 0.0,
            "p5": 0.0,
            "p95": 0.0,
            "paired": True,
        }
    )
    ax = analysis_plots.plot_difference(zero, "security")
    assert plots.NO_CHANGE in [t.get_text() for t in ax.texts]


def test_seven_scenarios_get_seven_distinct_styles():
    """Overlaying seven scenarios: distinct (colour, line style) per scenario and power."""
    frames = {f"scenario {i}": _synthetic(0.01 * (i + 1)) for i in range(7)}
    ax = analysis_plots.plot_state_lines(frames, "kazakhstan", "economic", powers=("china",))
    lines = [line for line in ax.get_lines() if not str(line.get_label()).startswith("_")]
    assert len(lines) == 7
    assert len({(line.get_color(), line.get_linestyle()) for line in lines}) == 7
    both = analysis_plots.plot_state_lines(frames, "kazakhstan", "economic")
    styles = {
        (line.get_color(), line.get_linestyle(), line.get_marker())
        for line in both.get_lines()
        if not str(line.get_label()).startswith("_")
    }
    assert len(styles) == 14
    fig = analysis_plots.figure_states(frames, "economic")
    assert fig.get_size_inches()[0] == pytest.approx(plots.FIGURE_WIDTH)
    legend = fig.get_axes()[1].get_legend()
    assert legend is not None
    assert {t.get_text() for t in legend.get_texts()} >= set(frames)


# --- formats ----------------------------------------------------------------------------------


def test_run_writes_svg_and_pdf_when_asked(run_folder):
    """--format svg,pdf writes both, parseable, and no PNG; metadata lists them."""
    svgs = sorted(p.stem for p in run_folder.glob("*.svg"))
    assert svgs == sorted(["shares_economic", "shares_security", "regional_china_russia",
                           "trade_by_state", "threat"])
    for path in run_folder.glob("*.svg"):
        root = ET.parse(path).getroot()
        assert root.tag.endswith("svg")
        assert "Short takeover" in "".join(root.itertext()) or path.stat().st_size > 1000
    for stem in svgs:
        assert (run_folder / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
    assert not list(run_folder.glob("*.png"))
    meta = json.loads((run_folder / "metadata.json").read_text())
    assert "threat.svg" in meta["files"] and "threat.pdf" in meta["files"]


def test_the_same_figure_gives_the_same_bytes_in_every_format(results, tmp_path):
    """SVG files differed from save to save: matplotlib gave their ids a random salt."""
    from matplotlib.figure import Figure

    from influence_sim._files import FigureOutput

    def image() -> Figure:
        fig = Figure()
        ax = fig.subplots()
        ax.imshow(np.arange(12.0).reshape(3, 4))
        ax.plot([0, 1, 2], [0, 2, 1], marker="o", label="line")
        ax.fill_between([0, 1, 2], [0, 1, 0], [1, 2, 1], hatch="//", alpha=0.3)
        ax.legend()
        return fig

    output = FigureOutput(("png", "svg", "pdf"), dpi=40)
    same = image()
    made = {
        "same": (lambda: same),  # one figure saved twice
        "image": image,  # the same figure made twice, as by two runs
        "regional": lambda: plots.figure_regional(results),
    }
    for name, make in made.items():
        saved = []
        for where in ("first", "second"):
            (tmp_path / where).mkdir(exist_ok=True)
            saved.append(output.save(make(), tmp_path / where / f"{name}.png"))
        for a, b in zip(*saved, strict=True):
            assert a.read_bytes() == b.read_bytes(), b.name


@pytest.mark.parametrize(
    "command",
    [
        ["run", "x.yaml"],
        ["compare", "a.yaml", "b.yaml"],
        ["report", "x.yaml", "--targets", "t.csv"],
        ["hindcast"],
        ["analyze", "sweep"],
        ["attribute", "x.yaml"],
        ["discover", "sweep", "--metric", "m", "--above", "1"],
        ["calibrate", "x.yaml", "--targets", "t.csv", "--params", "coordination", "--out", "o"],
        ["fit"],
    ],
)
@pytest.mark.parametrize("bad", [["--format", "png,gif"], ["--format", ""], ["--dpi", "0"]])
def test_bad_format_or_dpi_is_one_line_and_exit_2(command, bad, capsys):
    """An unknown format (or a resolution out of range) is refused before anything runs."""
    with pytest.raises(SystemExit) as exc:
        main([*command, *bad])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    if bad[1] == "png,gif":
        assert "'gif'" in err and "png, svg, pdf" in err


# --- HTML report ------------------------------------------------------------------------------


class _Page(HTMLParser):
    """What the tests look at in a report: tags, attributes, text and table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((k, v or "") for k, v in attrs)
        if tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._row is not None and data.strip():
            self._row.append(data.strip())


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def _self_contained(page: _Page) -> None:
    assert "script" not in page.tags and "link" not in page.tags
    for key, value in page.attributes:
        if key in ("src", "href"):
            assert value.startswith("data:"), (key, value[:40])
    assert not any(v.lower().startswith(("http:", "https:", "//")) for _, v in page.attributes)


def test_report_of_a_run_has_summary_table_figures_and_provenance(run_folder, capsys):
    """One file: the printed summary, the bands table, the five figures, the provenance."""
    out = run_folder.parent / "mail" / "report.html"
    out.parent.mkdir()
    assert main(["report-html", str(run_folder), "--out", str(out)]) == 0
    page = _page(out)
    _self_contained(page)
    assert page.tags.count("img") == 5
    sources = [v for k, v in page.attributes if k == "src"]
    assert all(v.startswith("data:image/svg+xml;base64,") for v in sources)
    text = "".join(page.text)
    summary = (run_folder / "summary.txt").read_text()
    assert summary.strip() in text
    bands = pd.read_csv(run_folder / "bands.csv")
    first = [str(v) for v in bands.iloc[0][["measure", "area", "partner", "date"]]]
    assert any(row[: len(first)] == first for row in page.rows)
    provenance = {row[0]: row[1:] for row in page.rows if len(row) >= 1}
    meta = json.loads((run_folder / "metadata.json").read_text())
    for field in ("scenario file", "scenario SHA-256", "root seed", "replicates", "command",
                  "created", "version of numpy", "parameters"):
        assert field in provenance, field
    assert provenance["scenario SHA-256"] == [meta["scenario_sha256"]]
    assert "short.yaml" in provenance["scenario file"][0]
    assert "time:\n  start: 2021-01-01" in text  # the scenario's text
    # Text is escaped: the description's markup is text, not tags.
    assert "<b>&</b>" in text and "b" not in page.tags


def test_report_of_a_comparison_and_its_default_place(run_folder, tmp_path, capsys):
    """compare of two run folders, then report-html writes RESULTS_DIR/report.html."""
    other = tmp_path / "other"
    scenario = str(_scenario(run_folder))
    assert main(["run", scenario, "--out", str(other), "--seed", "2", "--no-plots"]) == 0
    cmp = tmp_path / "cmp"
    assert main(["compare", str(run_folder), str(other), "--out", str(cmp),
                 "--names", "first,second"]) == 0
    capsys.readouterr()
    assert main(["report-html", str(cmp)]) == 0
    page = _page(cmp / "report.html")
    _self_contained(page)
    pngs = {p.stem for p in cmp.glob("*.png")}
    assert len(pngs) == 5 and page.tags.count("img") == 5
    text = "".join(page.text)
    assert (cmp / "summary.txt").read_text().strip() in text
    assert any("final_share_security" in row for row in page.rows)
    provenance = {row[0]: row[1:] for row in page.rows if row}
    assert {"reference", "side first", "side second", "command", "created"} <= set(provenance)


def _scenario(run_folder: Path) -> Path:
    meta = json.loads((run_folder / "metadata.json").read_text())
    return Path(meta["scenario_path"])


def test_report_of_a_folder_that_is_no_results_is_one_line_exit_2(tmp_path, capsys):
    """Neither metadata.json nor comparison.json: one error line, exit 2, nothing written."""
    assert main(["report-html", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "metadata.json" in err
    assert not (tmp_path / "report.html").exists()
    assert main(["report-html", str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bands.csv", b"", r"cannot be read as CSV \(No columns"),
        ("bands.csv", b"\xff\xfe\x80 binary", "cannot be read as CSV"),
        ("summary.txt", b"\x00\x01\x02", "file looks binary"),
    ],
)
def test_report_of_a_run_with_an_unreadable_file_is_one_line_exit_2(
    run_folder, tmp_path, capsys, name, content, reason
):
    """A table or summary that cannot be read names the file; no traceback, no report."""
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    (folder / name).write_bytes(content)
    capsys.readouterr()
    assert main(["report-html", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert re.match(rf"error: {re.escape(str(folder / name))}: {reason}", err)
    assert not (folder / "report.html").exists()


_CUT = "the table is incomplete (cut short?)"


def _damaged(name: str, whole: bytes) -> tuple[bytes, str]:
    """A file of the run folder damaged as a stopped copy leaves it, and the line refusing it."""
    if name == "bands.csv cut inside its last line":
        return whole[:-7], f":{whole.count(b'\n')}: {_CUT}: its last line has no newline at its end"
    if name == "bands.csv with a row of fewer cells":
        lines = whole.splitlines(keepends=True)
        lines[2] = b",".join(lines[2].split(b",")[:-2]) + b"\n"
        return b"".join(lines), f":3: {_CUT}: 7 cells, expected 9 (one per column)"
    if name == "a PNG cut short":
        return whole[: len(whole) // 2], ": the image is incomplete (cut short?): no IEND chunk"
    if name == "an SVG cut short":
        cut = whole[: whole.rindex(b"\n", 0, len(whole) // 2) + 1]  # stopped after a line
        lines = cut.count(b"\n") + 1
        return cut, f":{lines}: not a well-formed SVG image (cut short?): no element found"
    if name == "an SVG whose root is not svg":
        return b"<html><svg/></html>", ": not an SVG image (its root element is html, not svg)"
    return b"<svg/>" + whole, ": not a PNG image (its bytes do not start with the PNG signature)"


@pytest.mark.parametrize(
    "damage",
    [
        "bands.csv cut inside its last line",
        "bands.csv with a row of fewer cells",
        "a PNG cut short",
        "a PNG without its signature",
        "an SVG cut short",
        "an SVG whose root is not svg",
    ],
)
def test_report_of_a_run_with_a_table_or_image_cut_short_is_one_line_exit_2(
    run_folder, tmp_path, capsys, damage
):
    """Neither the rows left of a cut table nor a broken image is put in the report."""
    import shutil

    from matplotlib.figure import Figure

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    Figure(figsize=(1, 1)).savefig(folder / "extra.png")
    path = folder / ("bands.csv" if damage.startswith("bands") else "extra.png")
    if "SVG" in damage:
        path = folder / "threat.svg"
    assert main(["report-html", str(folder)]) == 0
    content, reason = _damaged(damage, path.read_bytes())
    path.write_bytes(content)
    (folder / "report.html").unlink()
    capsys.readouterr()
    assert main(["report-html", str(folder)]) == 2
    assert capsys.readouterr().err == f"error: {path}{reason}\n"
    assert not (folder / "report.html").exists()


@pytest.mark.skipif(not Path("/proc/self/mem").is_file(), reason="needs /proc/self/mem")
@pytest.mark.parametrize("name", ["bands.csv", "extra.png", "extra.svg"])
def test_report_of_a_run_with_a_file_that_cannot_be_read_names_it_exit_2(
    run_folder, tmp_path, capsys, name
):
    """A figure or table whose reading fails is named as not read, not as a report not written."""
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    path = folder / name
    path.unlink(missing_ok=True)
    path.symlink_to("/proc/self/mem")  # a regular file whose reading fails (EIO)
    capsys.readouterr()
    assert main(["report-html", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and "cannot read" in err
    assert len(err.splitlines()) == 1 and "cannot write" not in err
    assert not (folder / "report.html").exists()


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("versions", "x", "versions: expected an object, not text"),
        ("scenario_files", 5, "scenario_files: expected a list, not a whole number"),
        ("seed", "1", "seed: expected a whole number or null, not text"),
        ("replicate_seeds", {}, "replicate_seeds: expected a list, not an object"),
        ("scenario_name", None, "scenario_name: missing (expected text)"),
        ("replicates", -1, "replicates: expected a whole number above 0, not -1"),
        ("replicates", 2, "replicate_seeds: 3 seed records for 2 replicates (expected one each)"),
    ],
)
def test_report_of_metadata_without_a_field_or_of_another_type_is_one_line_exit_2(
    run_folder, tmp_path, capsys, key, value, reason
):
    """A damaged metadata.json is named (None: the key left out), and no report is written."""
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    meta = json.loads((folder / "metadata.json").read_text())
    meta[key] = value
    if value is None:
        del meta[key]
    (folder / "metadata.json").write_text(json.dumps(meta))
    capsys.readouterr()
    assert main(["report-html", str(folder)]) == 2
    assert capsys.readouterr().err == f"error: {folder / 'metadata.json'}: {reason}\n"
    assert not (folder / "report.html").exists()


def test_report_of_a_run_whose_scenario_path_is_no_regular_file_says_so(
    run_folder, tmp_path, capsys
):
    """A FIFO (or /dev/zero) where the scenario was is not read: it would block (or fill memory)."""
    import os
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    meta = json.loads((folder / "metadata.json").read_text())
    meta.update(scenario_path=str(fifo), scenario_files=[str(fifo)])
    (folder / "metadata.json").write_text(json.dumps(meta))
    assert main(["report-html", str(folder)]) == 0
    text = "".join(_page(folder / "report.html").text)
    assert f"{fifo}: not a regular file: this is a FIFO (named pipe)." in text


def test_crowded_shock_labels_do_not_pile_up() -> None:
    """Twelve shocks in one year of a ten-year axis: every line drawn, no two labels overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.4, 2.0))
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    days = [dt.date(2021, 1, 1), dt.date(2031, 1, 1)]
    ax.plot([mdates.date2num(d) for d in days], [0.0, 1.0])
    shocks = [(dt.date(2022, 1 + k, 1), f"shock number {k}") for k in range(12)]
    lines = plots.mark_shocks(ax, shocks)
    assert len(lines) == 12
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert 1 <= len(boxes) < 12
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)


def test_plots_refuse_a_domain_state_or_quantity_the_data_do_not_have(results):
    """A misspelt choice is a ValueError naming the choices, not an empty or broken figure."""
    import matplotlib.pyplot as plt

    cases = [
        (lambda: plots.plot_regional(results.regional, "secrity"), r"did you mean 'security'"),
        (
            lambda: plots.plot_regional(results.regional, "security", "shares"),
            r"unknown quantity 'shares' \(expected one of share, volume_usd_bn",
        ),
        (
            lambda: plots.plot_state_shares(results.timeseries, "tajik", "security"),
            r"unknown state 'tajik' \(expected one of kazakhstan, .*did you mean 'tajikistan'",
        ),
        (
            lambda: plots.plot_state_shares(results.timeseries, "tajikistan", "arms"),
            r"unknown domain 'arms' \(expected one of economic, security",
        ),
        (lambda: analysis_plots.plot_fan(results.regional, "secrity"), r"unknown domain"),
        (
            lambda: analysis_plots.figure_states({"a": results.timeseries}, "trade"),
            r"unknown domain 'trade'",
        ),
    ]
    try:
        for draw, message in cases:
            with pytest.raises(ValueError, match=message):
                draw()
    finally:
        plt.close("all")


def test_the_default_title_of_regional_fans_names_the_powers_drawn(results):
    """Without Russia in the data, the title does not name it."""
    import matplotlib.pyplot as plt

    regional = results.regional[results.regional["partner"] != "russia"]
    ax = plots.plot_regional(regional, "security")
    assert ax.get_title() == "Regional arms imports: China"
    plt.close("all")


def test_report_html_out_that_is_a_folder_is_one_line_exit_2(run_folder, tmp_path, capsys):
    """--out naming a folder is a bad argument (exit 2), not a failure while writing."""
    assert main(["report-html", str(run_folder), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {tmp_path}: this is a directory, not a file (expected the path of the HTML file "
        "to write)\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def own_run(run_folder, tmp_path) -> Path:
    """A copy of the run folder whose scenario file is a copy of its own."""
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_folder, folder)
    scenario = tmp_path / "short.yaml"
    shutil.copyfile(_scenario(run_folder), scenario)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["scenario_path"] = str(scenario)
    meta["scenario_files"] = [str(scenario)]
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


@pytest.mark.parametrize(
    "name",
    ["metadata.json", "summary.txt", "threat.svg", "threat.pdf", "regional.csv", "new.png"],
)
def test_report_html_refuses_an_out_that_is_a_file_of_the_results_folder(
    own_run, capsys, name
):
    """--out RUN/metadata.json wrote the report over it (exit 0); the run could not be read."""
    before = {p.name: p.read_bytes() for p in own_run.iterdir()}
    out = own_run / name
    assert main(["report-html", str(own_run), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: {out}: will not write the report over a file of the results folder {own_run} "
        f"(expected another path for the HTML file, such as {own_run / 'report.html'})\n"
    )
    assert {p.name: p.read_bytes() for p in own_run.iterdir()} == before


def test_report_html_refuses_an_out_that_is_the_scenario_it_reads(own_run, capsys):
    """The scenario file the report shows could be written over the same way."""
    scenario = Path(json.loads((own_run / "metadata.json").read_text())["scenario_path"])
    text = scenario.read_bytes()
    assert main(["report-html", str(own_run), "--out", str(scenario)]) == 2
    assert capsys.readouterr().err == (
        f"error: {scenario}: will not write the report over the scenario file {scenario} it "
        "reads (expected another path for the HTML file)\n"
    )
    assert scenario.read_bytes() == text and not (own_run / "report.html").exists()


def test_report_html_writes_a_new_or_an_earlier_html_file_in_the_results_folder(
    own_run, capsys
):
    for _ in range(2):  # the second time over the first report
        assert main(["report-html", str(own_run), "--out", str(own_run / "mail.html")]) == 0
        assert main(["report-html", str(own_run)]) == 0
    assert (own_run / "mail.html").read_text().startswith("<!DOCTYPE html>")
    assert (own_run / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_report_html_of_a_comparison_keeps_its_record_and_its_scenario_files(tmp_path):
    from influence_sim.report_html import out_problem

    folder = tmp_path / "cmp"
    folder.mkdir()
    scenario = tmp_path / "b.yaml"
    scenario.write_text("name: b\n")
    info = {"reference": "a", "sides": [{"source": str(scenario)}], "files": ["fan_b.png"]}
    (folder / "comparison.json").write_text(json.dumps(info))
    assert "over the scenario file" in str(out_problem(folder, scenario))
    for name in ("comparison.json", "headline.csv", "fan_b.png", "diff_b.svg"):
        assert "over a file of the results folder" in str(out_problem(folder, folder / name))
    assert out_problem(folder, folder / "report.html") is None
    assert out_problem(folder, tmp_path / "report.html") is None
