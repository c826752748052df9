"""The live dashboard: the page renders headlessly, Step produces new plots, controls work."""

from __future__ import annotations

import numpy as np
import pytest

solara = pytest.importorskip("solara")
ipyvuetify = pytest.importorskip("ipyvuetify")
ipywidgets = pytest.importorskip("ipywidgets")

from mesa.visualization import Slider  # noqa: E402

from influence_sim import InfluenceModel  # noqa: E402
from influence_sim.dashboard import (  # noqa: E402
    DashboardModel,
    Page,
    figure_regional,
    figure_states,
    model_params,
)


def _images(rc):
    return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]


def test_page_renders_and_step_draws_new_plots():
    """Render the page without a browser, press Step, and get new PNG plots."""
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    buttons = [b.children[0] for b in rc.find(ipyvuetify.Btn).widgets]
    assert {"Reset", "Step"} <= set(buttons)
    before = _images(rc)
    assert len(before) == 3 and all(img[:4] == b"\x89PNG" for img in before)
    rc.find(ipyvuetify.Btn, children=["Step"]).widget.click()
    after = _images(rc)
    assert len(after) == 3 and all(img[:4] == b"\x89PNG" for img in after)
    assert all(a != b for a, b in zip(after, before, strict=True))
    # Reset rebuilds the model from the controls' values; stepping goes on working
    rc.find(ipyvuetify.Btn, children=["Reset"]).widget.click()
    rc.find(ipyvuetify.Btn, children=["Step"]).widget.click()
    assert all(img[:4] == b"\x89PNG" for img in _images(rc))
    rc.close()


def test_every_control_is_a_keyword_of_the_model():
    values = {
        name: (p.value if isinstance(p, Slider) else p["value"])
        for name, p in model_params().items()
    }
    model = DashboardModel(**values)
    assert model.clock.n_steps == 40


def test_defaults_are_the_reference_model():
    a, b = DashboardModel(seed=3), InfluenceModel(rng=3)
    for _ in range(4):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.batch.state.share, b.batch.state.share)
    assert a.title == "baseline (no shocks)"


def test_shock_toggles_and_uniform_hedging():
    model = DashboardModel(
        taliban_takeover=True,
        russia_sanctions=True,
        sanctions_factor=0.5,
        same_hedging=True,
        hedging=0.8,
        years=3,
    )
    russia = model.powers["russia"]
    capacity = russia.economic_capacity
    assert model.instability == pytest.approx(0.3)
    while model.date.isoformat() < "2021-10-01":
        model.step()
    assert model.instability == pytest.approx(0.9)  # the takeover of 2021-08-15
    while model.date.isoformat() < "2022-04-01":
        model.step()
    assert russia.economic_capacity < 0.7 * capacity  # halved by sanctions, grown with its GDP
    assert {s.hedging for s in model.states.values()} == {0.8}
    assert "Taliban takeover" in model.title and "sanctions" in model.title
    with pytest.raises(ValueError, match="years"):
        DashboardModel(years=0)


def test_figures_have_dated_axes_and_titles_naming_the_run():
    model = DashboardModel(taliban_takeover=True, years=2)
    model.step()
    fig = figure_regional(model)
    assert "Taliban takeover" in fig.get_suptitle()
    assert all(ax.get_xlabel() == "date" for ax in fig.axes[:3])
    fig = figure_states(model, "security")
    assert len(fig.axes) == 5 and "security shares by state" in fig.get_suptitle()
