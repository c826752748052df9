"""Live dashboard: one run of the model in the browser or a notebook, with Mesa's SolaraViz.

Sliders set the main parameters, check boxes switch shocks on, and the buttons of SolaraViz
step, play, pause and reset the run; the plots of regional shares, trust and the shares of
every state follow each step.

Start it with ``influence-sim dashboard`` (it runs ``solara run influence_sim.dashboard`` and
blocks until interrupted; open the address it prints), or show it in a notebook cell::

    from influence_sim.dashboard import Page
    Page()

The model behind the page is :class:`DashboardModel`, an :class:`~influence_sim.InfluenceModel`
whose keyword arguments are exactly the controls: SolaraViz's *Reset* builds a new model from
the current control values, so a changed slider or check box takes effect on Reset. Defaults
are the model's reference values from ``seeds/``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import reacton
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mesa.visualization import Slider, SolaraViz
from solara.components.matplotlib import FigureMatplotlib

from influence_sim import seeds as sd
from influence_sim.analysis.collected import collected_tables
from influence_sim.engine import Clock, add_months
from influence_sim.kernel.arrays import Dims
from influence_sim.model import InfluenceModel
from influence_sim.parameters import PARAMETERS
from influence_sim.paths import resolve
from influence_sim.plots import label, plot_regional, plot_relations, plot_state_shares
from influence_sim.seeds import DEFAULT_POWERS, DEFAULT_STATES
from influence_sim.timeline import Operation, Timeline

START = dt.date(2021, 1, 1)
"""First date of every dashboard run."""

TAKEOVER_DATE = dt.date(2021, 8, 15)
"""The Taliban enter Kabul (``seeds/events.csv`` taliban_kabul)."""

SANCTIONS_DATE = dt.date(2022, 2, 24)
"""Sanctions on Russia after the full-scale invasion of Ukraine (``ru_sanctions_2022``)."""

SLIDER_PARAMETERS: tuple[tuple[str, float, float, float], ...] = (
    ("coordination", 0.0, 1.0, 0.05),
    ("offer_sensitivity", 0.0, 3.0, 0.1),
    ("presence_weight", 0.0, 4.0, 0.1),
    ("hedging_weight", 0.0, 5.0, 0.1),
    ("trust_tolerance", 0.0, 1.0, 0.05),
    ("spillover_rate", 0.0, 1.0, 0.05),
)
"""Global parameters with a slider: name, lowest, highest, step."""

_DIMS = Dims(DEFAULT_STATES, DEFAULT_POWERS)


def _defaults() -> dict[str, float]:
    seeds = sd.load_seeds()
    out = {name: PARAMETERS[name].default(seeds) for name, *_ in SLIDER_PARAMETERS}
    out["afghan_instability"] = seeds.assumed("afghan_instability")
    out["afghan_instability_takeover"] = seeds.assumed("afghan_instability_takeover")
    return out


def _operation(
    path: str, clock: Clock, day: dt.date, kind: Any, value: float, name: str
) -> list[Operation]:
    step = clock.step_of(day)
    if step > clock.n_steps:
        return []
    return [
        Operation(step, target, kind, np.array([value]), np.array([True]), name=name)
        for target in resolve(path, _DIMS)
    ]


class DashboardModel(InfluenceModel):
    """The model behind the dashboard: its keyword arguments are the dashboard's controls.

    Attributes:
        shocks: Names of the shocks switched on.
    """

    def __init__(
        self,
        *,
        years: int = 10,
        seed: int = 1,
        coordination: float | None = None,
        offer_sensitivity: float | None = None,
        presence_weight: float | None = None,
        hedging_weight: float | None = None,
        trust_tolerance: float | None = None,
        spillover_rate: float | None = None,
        afghan_instability: float | None = None,
        same_hedging: bool = False,
        hedging: float = 0.5,
        taliban_takeover: bool = False,
        russia_sanctions: bool = False,
        sanctions_factor: float = 0.7,
    ) -> None:
        """Create a run from the dashboard's controls.

        Args:
            years: Length of the run in years, from 2021-01-01, in quarterly steps.
            seed: Seed of the run's random numbers.
            coordination: China-Russia coordination (default from the seeds).
            offer_sensitivity: Logit weight of offers.
            presence_weight: Attraction of a military presence at full threat.
            hedging_weight: Attraction lost per unit of share at full hedging.
            trust_tolerance: China's regional security share Russia tolerates.
            spillover_rate: Rate at which credibility follows economic share.
            afghan_instability: Afghan instability at the start.
            same_hedging: Give every state the hedging propensity ``hedging`` instead of its
                own value from the seeds.
            hedging: Hedging propensity of every state when ``same_hedging`` is set.
            taliban_takeover: Set Afghan instability to its takeover level (seeds) on
                2021-08-15.
            russia_sanctions: Scale Russia's economic capacity by ``sanctions_factor`` on
                2022-02-24.
            sanctions_factor: Factor applied to Russia's economic capacity by the sanctions.

        Raises:
            ValueError: For a run shorter than one year.
        """
        if years < 1:
            raise ValueError("years must be at least 1")
        defaults = _defaults()
        end = add_months(START, 12 * int(years))
        clock = Clock.between(START, end, "quarter")
        timeline = Timeline()
        self.shocks: list[str] = []
        if taliban_takeover:
            for op in _operation(
                "afghanistan.instability",
                clock,
                TAKEOVER_DATE,
                "set",
                defaults["afghan_instability_takeover"],
                "taliban_takeover",
            ):
                timeline.add(op)
            self.shocks.append("Taliban takeover")
        if russia_sanctions:
            for op in _operation(
                "powers.russia.economic_capacity",
                clock,
                SANCTIONS_DATE,
                "scale",
                float(sanctions_factor),
                "russia_sanctions",
            ):
                timeline.add(op)
            self.shocks.append(f"sanctions on Russia (x{sanctions_factor:g})")
        chosen = {
            "coordination": coordination,
            "offer_sensitivity": offer_sensitivity,
            "presence_weight": presence_weight,
            "hedging_weight": hedging_weight,
            "trust_tolerance": trust_tolerance,
            "spillover_rate": spillover_rate,
            "afghan_instability": afghan_instability,
        }
        parameters: dict[str, Any] = {k: float(v) for k, v in chosen.items() if v is not None}
        if same_hedging:
            parameters["hedging"] = float(hedging)
        super().__init__(
            start=START, end=end, step="quarter", timeline=timeline, rng=int(seed), **parameters
        )

    @property
    def title(self) -> str:
        """A name for the run: the shocks switched on, or the baseline."""
        return " + ".join(self.shocks) if self.shocks else "baseline (no shocks)"


def model_params() -> dict[str, Any]:
    """The controls of the page, as SolaraViz ``model_params`` (sliders and check boxes)."""
    d = _defaults()
    params: dict[str, Any] = {
        "taliban_takeover": {
            "type": "Checkbox",
            "value": False,
            "label": f"Taliban takeover ({TAKEOVER_DATE.isoformat()})",
        },
        "russia_sanctions": {
            "type": "Checkbox",
            "value": False,
            "label": f"Sanctions on Russia ({SANCTIONS_DATE.isoformat()})",
        },
        "sanctions_factor": Slider(
            "Russia's economic capacity kept under sanctions (factor)",
            0.7,
            0.3,
            1.0,
            0.05,
            dtype=float,
        ),
        "years": Slider("Years from 2021-01-01", 10, 1, 30, 1, dtype=int),
        "seed": Slider("Seed", 1, 0, 100, 1, dtype=int),
        "afghan_instability": Slider(
            "Afghan instability at the start (0-1)",
            d["afghan_instability"],
            0.0,
            1.0,
            0.05,
            dtype=float,
        ),
    }
    for name, low, high, step in SLIDER_PARAMETERS:
        spec = PARAMETERS[name]
        params[name] = Slider(f"{label(name)} ({spec.unit})", d[name], low, high, step, dtype=float)
    params["same_hedging"] = {
        "type": "Checkbox",
        "value": False,
        "label": "Same hedging for every state",
    }
    params["hedging"] = Slider(
        "Hedging of every state, if ticked (0-1)", 0.5, 0.0, 1.0, 0.05, dtype=float
    )
    return params


def _whole_run(ax: Axes, model: DashboardModel, ticks: int) -> None:
    """Show the whole run on the time axis, with at most about ``ticks`` year labels."""
    last = model.clock.date(model.clock.n_steps)
    first_day = mdates.date2num(START)  # type: ignore[no-untyped-call]
    last_day = mdates.date2num(last)  # type: ignore[no-untyped-call]
    ax.set_xlim(float(first_day), float(last_day))
    years = max(1, last.year - START.year)
    base = max(1, int(np.ceil(years / ticks)))
    ax.xaxis.set_major_locator(mdates.YearLocator(base=base))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))  # type: ignore[no-untyped-call]


_TABLES: dict[tuple[int, int], dict[str, Any]] = {}


def _tables(model: DashboardModel) -> dict[str, Any]:
    """The collected tables of a model at its current step (the last few are cached)."""
    key = (id(model), model.steps)
    if key not in _TABLES:
        if len(_TABLES) > 8:
            _TABLES.clear()
        _TABLES[key] = collected_tables(model)
    return _TABLES[key]


def figure_regional(model: DashboardModel) -> Figure:
    """Regional shares of each power in both domains, trust and instability, to date.

    Args:
        model: The run.

    Returns:
        The figure.
    """
    tables = _tables(model)
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    left, middle, right = fig.subplots(1, 3)
    powers = tuple(model.dims.powers)
    plot_regional(
        tables["regional"], "economic", "share", powers, ax=left, title="Share of regional trade"
    )
    plot_regional(
        tables["regional"],
        "security",
        "share",
        powers,
        ax=middle,
        title="Share of regional arms imports",
    )
    plot_relations(tables["relations"], ax=right)
    for ax in (left, middle, right):
        _whole_run(ax, model, 6)
    fig.suptitle(f"{model.title}: the region on {model.date.isoformat()}")
    return fig


def figure_states(model: DashboardModel, domain: str) -> Figure:
    """Stacked shares of every state in one domain, to date.

    Args:
        model: The run.
        domain: ``economic`` or ``security``.

    Returns:
        The figure.
    """
    tables = _tables(model)
    states = model.dims.states
    fig = Figure(figsize=(3.2 * len(states), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(states), sharey=True))
    for ax, state in zip(axes, states, strict=True):
        plot_state_shares(tables["timeseries"], state, domain, ax=ax, title=label(state))
        _whole_run(ax, model, 3)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=len(names))
    fig.suptitle(f"{model.title}: {domain} shares by state on {model.date.isoformat()}")
    return fig


def _figure_component(draw: Callable[[DashboardModel], Figure]) -> Callable[[Any], Any]:
    def component(model: DashboardModel) -> Any:
        return FigureMatplotlib(  # type: ignore[no-untyped-call]
            draw(model), format="png", dependencies=[id(model), model.steps]
        )

    return component


def components() -> list[tuple[Callable[[Any], Any], int]]:
    """The page's plots as SolaraViz components (all on the first page)."""
    return [
        (_figure_component(figure_regional), 0),
        (_figure_component(lambda m: figure_states(m, "security")), 0),
        (_figure_component(lambda m: figure_states(m, "economic")), 0),
    ]


@reacton.component
def Page() -> None:
    """The dashboard page: SolaraViz with the controls and live plots."""
    model = reacton.use_memo(DashboardModel, [])
    parts = reacton.use_memo(components, [])
    controls = reacton.use_memo(model_params, [])
    SolaraViz(
        model,
        components=parts,
        model_params=controls,
        name="Great-power influence in Central Asia",
        play_interval=200,
    )


__all__ = [
    "SANCTIONS_DATE",
    "START",
    "TAKEOVER_DATE",
    "DashboardModel",
    "Page",
    "components",
    "figure_regional",
    "figure_states",
    "model_params",
]
