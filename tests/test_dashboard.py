"""The live dashboard: the page renders headlessly, Step produces new plots, controls work."""

from __future__ import annotations

import numpy as np
import pytest

solara = pytest.importorskip("solara")
ipyvue = pytest.importorskip("ipyvue")
ipyvuetify = pytest.importorskip("ipyvuetify")
ipywidgets = pytest.importorskip("ipywidgets")

from mesa.visualization import Slider  # noqa: E402

from influence_sim import InfluenceModel, load_scenario  # noqa: E402
from influence_sim.dashboard import (  # noqa: E402
    SCENARIOS_ENV,
    DashboardModel,
    Page,
    check_parameter,
    figure_regional,
    figure_states,
    model_params,
    panel_parameters,
    plot_region_panels,
    plot_state_panels,
    scenario_files,
    shown_regional,
    shown_states,
    slider_range,
    starting_values,
    summary,
    tables,
)
from influence_sim.parameters import PARAMETERS  # noqa: E402
from influence_sim.plots import label  # noqa: E402
from influence_sim.rng import replicate_seeds  # noqa: E402


def _images(rc):
    return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]


def _summary(rc):
    return rc.find(ipyvue.Html, class_="influence-summary").widget.children[0]


def test_page_renders_and_step_draws_new_plots():
    """Render the page without a browser, press Step, and get new PNG plots."""
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    buttons = [b.children[0] for b in rc.find(ipyvuetify.Btn).widgets]
    assert {"Reset", "Step"} <= set(buttons)
    labels = {s.label for s in rc.find(ipyvuetify.Slider).widgets}
    assert "Replicates" in labels and any("Coordination" in text for text in labels)
    assert rc.find(ipyvuetify.Select, label="Scenario file").widget.v_model == "baseline"
    before = _images(rc)
    assert len(before) == 3 and all(img[:4] == b"\x89PNG" for img in before)
    assert _summary(rc).startswith("Step 0 of 40 (2021-01-01)")
    rc.find(ipyvuetify.Btn, children=["Step"]).widget.click()
    after = _images(rc)
    assert len(after) == 3 and all(img[:4] == b"\x89PNG" for img in after)
    assert all(a != b for a, b in zip(after, before, strict=True))
    assert _summary(rc).startswith("Step 1 of 40 (2021-04-01)")
    # Reset rebuilds the model from the controls' values; stepping goes on working
    rc.find(ipyvuetify.Btn, children=["Reset"]).widget.click()
    assert _summary(rc).startswith("Step 0 of 40")
    rc.find(ipyvuetify.Btn, children=["Step"]).widget.click()
    assert all(img[:4] == b"\x89PNG" for img in _images(rc))
    # the CSV downloads are there
    downloads = [b.children[-1] for b in rc.find(ipyvuetify.Btn).widgets if b.children]
    assert any("fans (CSV)" in str(text) for text in downloads)
    # choosing another scenario starts that scenario's run
    rc.find(ipyvuetify.Select, label="Scenario file").widget.v_model = "hindcast_2000"
    assert _summary(rc).startswith("Step 0 of 88 (2000-01-01)")
    rc.close()


def test_every_control_is_a_keyword_of_the_model():
    values = {
        name: (p.value if isinstance(p, Slider) else p)
        for name, p in model_params("afghan_takeover").items()
    }
    assert values["scenario_file"] == "afghan_takeover"
    model = DashboardModel(**values)
    assert model.n_steps == 40 and len(model.runs) == 8
    assert model.changed == {}  # every slider at its starting value: the scenario as it is


def test_panel_is_the_parameter_table_with_its_ranges():
    specs = panel_parameters()
    assert {s.name for s in specs} == {s.name for s in PARAMETERS.values() if s.scope == "global"}
    params = model_params()
    for spec in specs:
        slider = params[spec.name]
        assert slider.min == spec.low
        if spec.high is not None:
            assert slider.max == spec.high
        assert spec.low <= slider.value <= slider.max
        assert slider.label.startswith(label(spec.name))
    assert slider_range(PARAMETERS["hedging_weight"], 2.0)[:2] == (0.0, 8.0)


def test_scenario_values_start_the_sliders():
    hindcast = load_scenario("scenarios/hindcast_2000.yaml")
    assert starting_values(hindcast)["coordination"] == 0.25
    assert model_params("hindcast_2000")["coordination"].value == 0.25


def test_values_outside_the_table_range_are_refused_not_clamped():
    with pytest.raises(ValueError, match=r"coordination: 1\.7 is outside its range"):
        DashboardModel(coordination=1.7, replicates=1)
    with pytest.raises(ValueError, match="unknown parameter 'telepathy'"):
        DashboardModel(telepathy=1.0, replicates=1)
    with pytest.raises(ValueError, match="replicates"):
        DashboardModel(replicates=0)
    assert check_parameter("trust_erosion", 1e6) == 1e6  # no upper bound in the table


def test_replicates_are_the_runs_of_the_scenario():
    """Replicate i is replicate i of a run of the scenario with the same seed."""
    model = DashboardModel(scenario_file="afghan_takeover", replicates=3, seed=7)
    scenario = load_scenario("scenarios/afghan_takeover.yaml")
    seeds = replicate_seeds(7, 3)
    reference = InfluenceModel.from_scenario(scenario, rng=seeds[2])
    for _ in range(3):
        model.step()
        reference.step()
    np.testing.assert_array_equal(model.runs[2].batch.state.share, reference.batch.state.share)
    assert model.runs[0].batch.state.share.tolist() != model.runs[1].batch.state.share.tolist()


def test_moved_slider_applies_to_every_replicate():
    model = DashboardModel(scenario_file="baseline", replicates=2, coordination=0.9)
    assert model.changed == {"coordination": 0.9}
    assert {run.batch.params.coordination.item() for run in model.runs} == {0.9}


def test_shown_tables_hold_the_fans_and_shares_to_date():
    model = DashboardModel(scenario_file="afghan_takeover", replicates=3)
    model.step()
    model.step()
    fans = shown_regional(model)
    assert list(fans.columns[:6]) == ["date", "domain", "partner", "p05", "p25", "p50"]
    assert fans["date"].nunique() == 3
    assert (fans["p05"] <= fans["p50"]).all() and (fans["p50"] <= fans["p95"]).all()
    states = shown_states(model)
    sums = states.groupby(["date", "state", "domain"])["share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)


def test_picker_lists_the_scenario_folder(tmp_path, monkeypatch):
    assert {"baseline", "afghan_takeover", "hindcast_2000"} <= set(scenario_files())
    assert "afghan_sensitivity" not in scenario_files()  # sweep files live in sweeps/
    (tmp_path / "mine.yaml").write_text("name: [\n", encoding="utf-8")
    monkeypatch.setenv(SCENARIOS_ENV, str(tmp_path))
    assert list(scenario_files()) == ["mine"]
    # a bad file is reported on the page, which keeps its picker
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    assert rc.find(ipyvuetify.Select, label="Scenario file").widget.v_model == "mine"
    assert "mine.yaml" in rc.find(ipyvue.Html, class_="influence-error").widget.children[0]
    rc.close()


def test_figures_mark_shocks_and_name_the_run():
    model = DashboardModel(scenario_file="afghan_takeover", replicates=2)
    model.step()
    fig = figure_regional(model)
    assert "afghan_takeover (2 replicates)" in fig.get_suptitle()
    assert all(ax.get_xlabel() == "date" for ax in fig.axes[:3])
    fig = figure_states(model, "security")
    assert len(fig.axes) == 5 and "security shares by state" in fig.get_suptitle()


def test_dashboard_panels_draw_on_the_axes_they_are_given():
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    model = DashboardModel(scenario_file="afghan_takeover", replicates=2)
    model.step()
    t = tables(model)
    open_figures = plt.get_fignums()
    axes = Figure().subplots(1, 3)
    powers = model.runs[0].dims.powers
    drawn = plot_region_panels(
        t["regional"], t["relations"], axes, powers, model.shocks(), model.span
    )
    assert list(drawn) == list(axes)
    assert [ax.get_title() for ax in axes] == [
        "Share of regional trade",
        "Share of regional arms imports",
        "China-Russia trust and Afghan instability",
    ]
    whole = tuple(float(mdates.date2num(d)) for d in model.span)
    assert all(ax.get_xlim() == whole for ax in axes)
    assert len(axes[2].get_lines()) >= 2  # trust and instability
    states = model.runs[0].dims.states
    axes = Figure().subplots(1, len(states))
    assert list(plot_state_panels(t["timeseries"], "security", axes, states)) == list(axes)
    assert [ax.get_title() for ax in axes] == [label(s) for s in states]
    assert all(ax.collections and ax.get_ylabel() == "security share (fraction)" for ax in axes)
    assert plt.get_fignums() == open_figures


def test_slider_rounding_of_the_start_leaves_the_parameter_to_the_scenario():
    """The browser rounds a slider's starting value to its step: that is not a change."""
    params = model_params()
    elasticity = params["arms_gdp_elasticity"].value
    step = params["arms_gdp_elasticity"].step
    rounded = round(elasticity / step) * step
    assert rounded != elasticity
    model = DashboardModel(replicates=1, arms_gdp_elasticity=rounded)
    assert model.changed == {}
    model = DashboardModel(replicates=1, arms_gdp_elasticity=rounded + step)
    assert model.changed == {"arms_gdp_elasticity": rounded + step}


def test_every_file_the_page_asks_for_is_installed():
    """solara-assets matches solara: each script and style of the page template is local."""
    import re
    from pathlib import Path

    import solara.server.settings as server_settings
    from solara.server import server

    from influence_sim.analysis.cli import offline_assets_problem

    assert offline_assets_problem() is None
    template = (Path(server.__file__).parent / "templates" / "solara.html.j2").read_text()
    major = ipywidgets.__version__.split(".")[0]
    wanted = set(re.findall(r"\{\{cdn\}\}/([^\"\s]+)", template))
    assert wanted, "the template names no assets"
    cache = server_settings.assets.proxy_cache_dir
    for path in wanted:
        path = path.replace("{{ipywidget_major_version}}", major)
        assert (cache / path).is_file(), f"{path} is not installed under {cache}"
    fontawesome = server_settings.assets.fontawesome_path.lstrip("/")
    assert (cache / fontawesome).is_file()


def test_dashboard_command_sets_offline_assets_and_checks_its_folder(tmp_path, capsys, monkeypatch):
    from influence_sim.analysis.cli import dashboard_command, dashboard_environment
    from influence_sim.cli import main

    env = dashboard_environment(str(tmp_path))
    assert env["SOLARA_ASSETS_PROXY"] == "true"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env[SCENARIOS_ENV] == str(tmp_path.resolve())
    command = dashboard_command(8765, "localhost", False)
    assert "--production" in command and "--no-check-version" in command

    import influence_sim.analysis.cli as analysis_cli

    def never(*args, **kwargs):
        raise AssertionError("the dashboard must not start")

    monkeypatch.setattr(analysis_cli.os, "execve", never)
    monkeypatch.setattr(analysis_cli.subprocess, "call", never)
    assert main(["dashboard", "--no-open", "--scenarios", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--scenarios" in err[0] and "not a folder" in err[0]


def _without(tmp_path, monkeypatch, powers: str) -> str:
    """A two-year scenario folder with one scenario that removes ``powers``; its name."""
    (tmp_path / "without.yaml").write_text(
        "name: without\ntime: {start: 2021-01-01, end: 2023-01-01, step: quarter}\n"
        f"actors: {{remove_powers: [{powers}]}}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(SCENARIOS_ENV, str(tmp_path))
    return "without"


def test_a_run_without_china_has_a_headline_and_plots(tmp_path, monkeypatch):
    """Without China (and Russia) the line names a power the run has; no China-Russia trust."""
    model = DashboardModel(scenario_file=_without(tmp_path, monkeypatch, "china, russia"))
    model.step()
    text = summary(model)
    assert text.startswith("Step 1 of 8 (2021-04-01); United States' median share")
    assert "China" not in text
    fig = figure_regional(model)
    right = fig.axes[2]
    assert [line.get_label() for line in right.get_lines()] == ["Afghan instability"]
    assert right.get_title() == "Afghan instability"
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    assert _summary(rc).startswith("Step 0 of 8")
    rc.close()


def test_a_run_without_russia_draws_no_china_russia_trust(tmp_path, monkeypatch):
    """Trust needs both: with one removed the third panel shows Afghan instability only."""
    model = DashboardModel(scenario_file=_without(tmp_path, monkeypatch, "russia"), replicates=2)
    model.step()
    assert "China's median share of regional trade" in summary(model)
    right = figure_regional(model).axes[2]
    assert "China-Russia trust" not in [line.get_label() for line in right.get_lines()]
    assert "trust" not in right.get_title()


def test_shocks_ahead_are_marked_on_the_whole_run_axis():
    """The axis shows the whole run, so shocks still to come are marked, labels apart."""
    model = DashboardModel(scenario_file="russia_sanctions_2022", replicates=1)
    model.step()  # 2021-04-01: the takeover (2021-08) and the sanctions (2022-02) lie ahead
    fig = figure_regional(model)
    fig.canvas.draw()
    for ax in fig.axes[:3]:
        texts = [t for t in ax.texts if "takeover" in t.get_text() or "sanctions" in t.get_text()]
        assert len(texts) == 2, [t.get_text() for t in ax.texts]
        first, second = (t.get_window_extent() for t in texts)
        assert not first.overlaps(second)


def test_seed_and_replicates_must_be_whole_numbers():
    with pytest.raises(ValueError, match=r"^seed must be a whole number of at least 0, not -1$"):
        DashboardModel(seed=-1, replicates=1)
    with pytest.raises(ValueError, match=r"^seed must be a whole number of at least 0, not 2\.5$"):
        DashboardModel(seed=2.5, replicates=1)
    with pytest.raises(ValueError, match=r"^replicates must be between 1 and 50, not 2\.5$"):
        DashboardModel(replicates=2.5)
    with pytest.raises(ValueError, match=r"^replicates must be between 1 and 50, not 'abc'$"):
        DashboardModel(replicates="abc")
    assert len(DashboardModel(replicates=2.0, seed=3.0).runs) == 2  # whole floats are fine


def test_a_parameter_that_is_no_number_is_named():
    with pytest.raises(ValueError, match=r"^parameter coordination: 'abc' is not a number$"):
        check_parameter("coordination", "abc")
    with pytest.raises(ValueError, match=r"^parameter coordination: None is not a number$"):
        DashboardModel(replicates=1, coordination=None)


def test_reset_after_choosing_another_scenario_runs_that_scenario():
    """Reset builds the chosen scenario's run from its controls, not the first scenario's."""
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    rc.find(ipyvuetify.Select, label="Scenario file").widget.v_model = "hindcast_2000"
    assert _summary(rc).startswith("Step 0 of 88 (2000-01-01)")
    rc.find(ipyvuetify.Btn, children=["Reset"]).widget.click()
    assert _summary(rc).startswith("Step 0 of 88 (2000-01-01)")
    assert _summary(rc).endswith("parameters changed: none")
    slider = rc.find(ipyvuetify.Slider, label="Coordination (0-1)").widget
    assert slider.v_model == 0.25  # the hindcast's own value
    slider.v_model = 0.9
    rc.find(ipyvuetify.Btn, children=["Reset"]).widget.click()
    assert _summary(rc).startswith("Step 0 of 88 (2000-01-01)")
    assert _summary(rc).endswith("parameters changed: coordination=0.9")
    rc.close()


def test_replicates_default_to_the_sliders_start(tmp_path, monkeypatch):
    """Without a number of replicates the run has the scenario's, at most eight, as the slider."""
    assert len(DashboardModel(scenario_file="afghan_takeover").runs) == 8  # it asks for ten
    (tmp_path / "three.yaml").write_text(
        "name: three\ntime: {start: 2021-01-01, end: 2022-01-01, step: quarter, replicates: 3}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(SCENARIOS_ENV, str(tmp_path))
    assert model_params("three")["replicates"].value == 3
    assert len(DashboardModel(scenario_file="three").runs) == 3
