"""Live dashboard: replicates of a scenario in the browser or a notebook, with Mesa's SolaraViz.

A picker lists the scenario files of ``scenarios/``; the run starts from the chosen file through
:func:`influence_sim.load_scenario` and :meth:`InfluenceModel.from_scenario`, as many replicates
as the *Replicates* slider says. The parameter panel is generated from the parameter table
(:data:`influence_sim.parameters.PARAMETERS`): one slider per global parameter, bounded by the
table's range. The buttons of SolaraViz step, play, pause and reset the run; the fan charts
(median, 25-75% and 5-95% of the replicates) and the stacked shares of every state follow each
step, and the data behind them can be downloaded as CSV.

Start it with ``influence-sim dashboard`` (it serves ``solara run influence_sim.dashboard``
with Solara's own copy of its page assets, so it works without internet; see
``docs/dashboard.md``), or show it in a notebook cell::

    from influence_sim.dashboard import Page
    Page()

The model behind the page is :class:`DashboardModel`, whose keyword arguments are exactly the
controls: SolaraViz's *Reset* builds a new model from the current control values, so a moved
slider takes effect on Reset. A slider left at its starting value leaves the parameter to the
scenario (its own value, or each replicate's draw from the scenario's posterior).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
import reacton
import solara as _solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter
from solara.components.matplotlib import FigureMatplotlib

from influence_sim import seeds as sd
from influence_sim._inputs import InputFileError
from influence_sim.analysis.collected import collected_tables
from influence_sim.api import shock_records
from influence_sim.model import InfluenceModel
from influence_sim.parameters import PARAMETERS, ParameterSpec
from influence_sim.plots import (
    FAN_QUANTILES,
    Shocks,
    label,
    plot_regional,
    plot_relations,
    plot_state_shares,
)
from influence_sim.posterior import PosteriorError
from influence_sim.rng import replicate_seeds
from influence_sim.scenario import Scenario, ScenarioError, load_scenario

SCENARIOS_ENV = "INFLUENCE_SIM_SCENARIOS"
"""Environment variable naming the folder of scenario files the picker lists."""

DEFAULT_SCENARIO = "baseline"
"""Scenario chosen when the page opens (when its file is in the folder)."""

DEFAULT_REPLICATES = 8
"""Replicates of a run, unless the scenario asks for fewer."""

MAX_REPLICATES = 50
"""Most replicates the slider allows."""

SLIDER_STEPS = 100
"""Steps of a parameter slider across its range."""

solara: Any = _solara  # solara's components are partly untyped

_CHECKOUT_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def scenario_folder() -> Path:
    """The folder the scenario picker lists.

    Returns:
        ``$INFLUENCE_SIM_SCENARIOS`` when set, else ``scenarios/`` of the working folder when
        it exists, else ``scenarios/`` of the source checkout.
    """
    chosen = os.environ.get(SCENARIOS_ENV)
    if chosen:
        return Path(chosen)
    here = Path("scenarios")
    return here if here.is_dir() else _CHECKOUT_SCENARIOS


def scenario_files(folder: Path | None = None) -> dict[str, Path]:
    """The scenario files of a folder (``*.yaml`` directly in it), by name without suffix.

    Args:
        folder: Folder to list; defaults to :func:`scenario_folder`.

    Returns:
        Name to path, sorted by name.
    """
    folder = scenario_folder() if folder is None else folder
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml")) if p.is_file()}


def _scenario_path(scenario_file: str) -> Path:
    files = scenario_files()
    if scenario_file in files:
        return files[scenario_file]
    return Path(scenario_file)


def panel_parameters() -> tuple[ParameterSpec, ...]:
    """The parameters of the panel: every global parameter of the table, by mechanism.

    Returns:
        Their specifications, sorted by mechanism, in table order within each.
    """
    specs = [spec for spec in PARAMETERS.values() if spec.scope == "global"]
    return tuple(sorted(specs, key=lambda spec: spec.mechanism))


def slider_range(spec: ParameterSpec, default: float) -> tuple[float, float, float]:
    """Lowest value, highest value and step of a parameter's slider.

    The slider spans the table's range. A parameter without an upper bound gets one of four
    times its default (at least its lower bound plus one): the slider never leaves the
    documented range.

    Args:
        spec: The parameter.
        default: Its value at the start.

    Returns:
        ``(low, high, step)``.
    """
    low = float(spec.low)
    if spec.high is not None:
        high = float(spec.high)
    else:
        high = max(4.0 * abs(default), low + 1.0)
        magnitude = 10.0 ** math.floor(math.log10(high))
        high = math.ceil(high / magnitude) * magnitude
    step = (high - low) / SLIDER_STEPS
    return low, high, float(f"{step:.2g}")


def starting_values(scenario: Scenario) -> dict[str, float]:
    """Each panel parameter's value in a scenario before its posterior draws.

    Args:
        scenario: A loaded scenario.

    Returns:
        Parameter name to the scenario's value, or the reference value of ``seeds/``.
    """
    seeds = sd.load_seeds()
    overrides = scenario.overrides()
    return {
        spec.name: float(overrides.get(f"parameters.{spec.name}", spec.default(seeds)))
        for spec in panel_parameters()
    }


def starting_replicates(scenario: Scenario) -> int:
    """The replicates of a run at the start: the scenario's, at most :data:`DEFAULT_REPLICATES`."""
    return min(DEFAULT_REPLICATES, scenario.replicates)


def check_parameter(name: str, value: float) -> float:
    """A panel value, checked against the parameter table's range (never clamped).

    Args:
        name: Parameter name.
        value: Its value.

    Returns:
        The value as a float.

    Raises:
        ValueError: For an unknown parameter, or a value that is no number or lies outside
            its range.
    """
    if name not in PARAMETERS:
        raise ValueError(f"unknown parameter {name!r}")
    spec = PARAMETERS[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name}: {value!r} is not a number") from None
    high = math.inf if spec.high is None else spec.high
    if not (spec.low <= number <= high):
        shown = "no upper bound" if spec.high is None else f"at most {spec.high:g}"
        raise ValueError(
            f"parameter {name}: {number:g} is outside its range (at least {spec.low:g}, {shown})"
        )
    return number


def _at_start(spec: ParameterSpec, value: float, start: float) -> bool:
    """Whether a slider's value is its starting value.

    The browser's slider rounds its starting value to the slider's step; a value within half
    a step of the start is the start.
    """
    step = slider_range(spec, start)[2]
    return abs(value - start) <= 0.5 * step * (1 + 1e-9)


def _whole(value: Any) -> int | None:
    """``value`` as a whole number (``2.0`` is 2), or None when it is none."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number == value else None


@dataclass(frozen=True)
class _WithOverrides(Scenario):
    """A loaded scenario with some parameter values added on top of its overrides."""

    extra: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: Scenario, extra: Mapping[str, float]) -> Scenario:
        """The scenario with ``extra`` (dotted path to value) on top of its overrides."""
        if not extra:
            return scenario
        values = {f.name: getattr(scenario, f.name) for f in fields(scenario)}
        return cls(**values, extra=dict(extra))

    def overrides(self) -> dict[str, float]:
        """The scenario's overrides, then the extra values."""
        return {**super().overrides(), **self.extra}


class DashboardModel(mesa.Model):
    """The model behind the dashboard: replicates of a scenario, stepped together.

    Its keyword arguments are the dashboard's controls.

    Attributes:
        scenario_file: Name (or path) of the scenario file.
        source: The loaded scenario.
        runs: One :class:`InfluenceModel` per replicate, replicate ``i`` seeded as replicate
            ``i`` of ``influence-sim run`` with the same seed.
        changed: The parameters set by the panel (those moved away from their starting
            value), applied to every replicate.
    """

    def __init__(
        self,
        *,
        scenario_file: str = DEFAULT_SCENARIO,
        replicates: int | None = None,
        seed: int = 1,
        scenario: Any = None,
        **parameters: float,
    ) -> None:
        """Create the replicates from the controls.

        Args:
            scenario_file: Name of a file in the scenario folder (without ``.yaml``), or a
                path to a scenario file.
            replicates: Number of replicates (1 to :data:`MAX_REPLICATES`); default the
                slider's start, the scenario's number, at most :data:`DEFAULT_REPLICATES`.
            seed: Root seed of the replicates.
            scenario: Mesa's scenario object, which SolaraViz's *Reset* passes to a model
                with keyword parameters; not used (the run is ``scenario_file``'s).
            **parameters: Values of global parameters by name; a value equal to the
                scenario's own (within half a slider step, as the browser's slider rounds
                it) leaves the parameter to the scenario.

        Raises:
            ValueError: For a number of replicates or a seed that is no whole number in its
                range, an unknown parameter, or a value that is no number or lies outside
                its range.
            ScenarioError: For a bad scenario file.
        """
        count = None if replicates is None else _whole(replicates)
        if replicates is not None and (count is None or not 1 <= count <= MAX_REPLICATES):
            raise ValueError(
                f"replicates must be between 1 and {MAX_REPLICATES}, not {replicates!r}"
            )
        root = _whole(seed)
        if root is None or root < 0:
            raise ValueError(f"seed must be a whole number of at least 0, not {seed!r}")
        seed = root
        del scenario
        super().__init__(rng=int(seed))
        self.scenario_file = scenario_file
        self.source = load_scenario(_scenario_path(scenario_file))
        replicates = starting_replicates(self.source) if count is None else count
        start = starting_values(self.source)
        self.changed: dict[str, float] = {}
        for name, value in parameters.items():
            number = check_parameter(name, value)
            if name not in start or not _at_start(PARAMETERS[name], number, start[name]):
                self.changed[name] = number
        overridden = _WithOverrides.of(
            self.source, {f"parameters.{k}": v for k, v in self.changed.items()}
        )
        seeds = replicate_seeds(int(seed), int(replicates))
        self.runs = [InfluenceModel.from_scenario(overridden, rng=s) for s in seeds]
        self.running = True

    def step(self) -> None:
        """Step every replicate once."""
        for run in self.runs:
            run.step()
        self.running = all(run.running for run in self.runs)

    @property
    def date(self) -> Any:
        """Date of the current state."""
        return self.runs[0].date

    @property
    def n_steps(self) -> int:
        """Number of steps of the whole run."""
        return int(self.runs[0].clock.n_steps)

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        """First and last date of the whole run (the plots' time axes show all of it)."""
        clock = self.runs[0].clock
        return clock.date(0), clock.date(clock.n_steps)

    @property
    def title(self) -> str:
        """The scenario's name and the number of replicates."""
        return f"{self.source.name} ({len(self.runs)} replicates)"

    def shocks(self) -> list[dict[str, Any]]:
        """The scenario's shocks, for marking their dates on the plots."""
        return shock_records(self.source)


def model_params(scenario_file: str = DEFAULT_SCENARIO) -> dict[str, Any]:
    """The controls of the page for one scenario, as SolaraViz ``model_params``.

    Args:
        scenario_file: The chosen scenario (fixed: the picker outside the panel chooses it).

    Returns:
        The scenario (fixed), the replicates and seed sliders, then one slider per panel
        parameter, starting at the scenario's value.
    """
    scenario = load_scenario(_scenario_path(scenario_file))
    start = starting_values(scenario)
    params: dict[str, Any] = {
        "scenario_file": scenario_file,
        "replicates": Slider(
            "Replicates",
            starting_replicates(scenario),
            1,
            MAX_REPLICATES,
            1,
            dtype=int,
        ),
        "seed": Slider("Seed", 1, 0, 1000, 1, dtype=int),
    }
    for spec in panel_parameters():
        low, high, step = slider_range(spec, start[spec.name])
        params[spec.name] = Slider(
            f"{label(spec.name)} ({low:g}-{high:g})",
            start[spec.name],
            low,
            high,
            step,
            dtype=float,
        )
    return params


_TABLES: dict[tuple[int, int], dict[str, pd.DataFrame]] = {}


def tables(model: DashboardModel) -> dict[str, pd.DataFrame]:
    """The collected tables of every replicate to date (the last few are cached).

    Args:
        model: The run.

    Returns:
        ``timeseries``, ``regional`` and ``relations`` (see
        :func:`~influence_sim.analysis.collected.collected_tables`), with the replicates'
        rows stacked and numbered.
    """
    key = (id(model), model.steps)
    if key not in _TABLES:
        if len(_TABLES) > 8:
            _TABLES.clear()
        parts: dict[str, list[pd.DataFrame]] = {}
        for i, run in enumerate(model.runs):
            for name, frame in collected_tables(run).items():
                parts.setdefault(name, []).append(frame.assign(replicate=i))
        _TABLES[key] = {
            name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()
        }
    return _TABLES[key]


def shown_regional(model: DashboardModel) -> pd.DataFrame:
    """The fans of the page as a table: quantiles over replicates at each date.

    Args:
        model: The run.

    Returns:
        One row per date, domain and partner, with the columns ``p05`` to ``p95`` of the
        regional share; then the median trust and Afghan instability per date.
    """
    t = tables(model)
    regional = t["regional"]
    regional = regional[regional["partner"].isin(model.runs[0].dims.powers)]
    group = regional.groupby(["date", "domain", "partner"], sort=True)["share"]
    fans = group.quantile(np.array(FAN_QUANTILES)).unstack()
    fans.columns = [f"p{round(100 * q):02d}" for q in FAN_QUANTILES]
    fans = fans.reset_index()
    relations = t["relations"].groupby("date", sort=True)[["trust", "afghan_instability"]]
    medians = relations.median().add_prefix("median_").reset_index()
    return fans.merge(medians, on="date", how="left")


def shown_states(model: DashboardModel) -> pd.DataFrame:
    """The stacked shares of the page as a table: mean over replicates.

    Args:
        model: The run.

    Returns:
        One row per date, state, domain and partner with the mean ``share``.
    """
    series = tables(model)["timeseries"]
    group = series.groupby(["date", "state", "domain", "partner"], sort=True)["share"]
    return group.mean().reset_index()


def plot_region_panels(
    regional: pd.DataFrame,
    relations: pd.DataFrame,
    axes: Sequence[Axes],
    powers: Sequence[str],
    shocks: Shocks | None = None,
    span: tuple[dt.date, dt.date] | None = None,
) -> Sequence[Axes]:
    """Three panels: fans of the regional shares of trade and of arms imports, then relations.

    The third panel shows China-Russia trust only when ``powers`` holds both (a scenario may
    remove one); Afghan instability always.

    Args:
        regional: Regional rows of every replicate (``tables(model)["regional"]``).
        relations: Trust and Afghan instability of every replicate
            (``tables(model)["relations"]``).
        axes: Three axes to draw on, left to right.
        powers: Powers whose fans are drawn.
        shocks: Shock dates to mark (see :func:`influence_sim.plots.mark_shocks`).
        span: First and last date of the time axes (the whole run); default the data's. The
            shocks within it are marked, those the data have not reached yet too.

    Returns:
        The axes.
    """
    left, middle, right = axes
    for ax in (left, middle, right):  # first, so that shocks still ahead are marked too
        _whole_run(ax, span)
    plot_regional(
        regional,
        "economic",
        "share",
        tuple(powers),
        ax=left,
        title="Share of regional trade",
        shocks=shocks,
    )
    plot_regional(
        regional,
        "security",
        "share",
        tuple(powers),
        ax=middle,
        title="Share of regional arms imports",
        shocks=shocks,
    )
    if all(power in powers for power in sd.DYAD):
        plot_relations(relations, ax=right, shocks=shocks)
    else:  # China-Russia trust needs both
        relations = relations.drop(columns="trust", errors="ignore")
        plot_relations(relations, ax=right, title="Afghan instability", shocks=shocks)
    return axes


def plot_state_panels(
    timeseries: pd.DataFrame,
    domain: str,
    axes: Sequence[Axes],
    states: Sequence[str],
    span: tuple[dt.date, dt.date] | None = None,
) -> Sequence[Axes]:
    """Stacked shares of each state in one domain (mean over replicates), one panel each.

    Args:
        timeseries: Per-state rows of every replicate (``tables(model)["timeseries"]``).
        domain: ``economic`` or ``security``.
        axes: One axes per state.
        states: States to draw, in the order of ``axes``.
        span: First and last date of the time axes (the whole run); default the data's.

    Returns:
        The axes.
    """
    for ax, state in zip(axes, states, strict=True):
        plot_state_shares(timeseries, state, domain, ax=ax, title=label(state))
        _whole_run(ax, span)
    return axes


def figure_regional(model: DashboardModel) -> Figure:
    """Fans of the regional shares of each power in both domains, trust and instability.

    :func:`plot_region_panels` of the run's :func:`tables`.

    Args:
        model: The run.

    Returns:
        The figure.
    """
    t = tables(model)
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    powers = tuple(model.runs[0].dims.powers)
    plot_region_panels(t["regional"], t["relations"], axes, powers, model.shocks(), model.span)
    fig.suptitle(f"{model.title}: the region on {model.date.isoformat()}")
    return fig


def figure_states(model: DashboardModel, domain: str) -> Figure:
    """Stacked shares of every state in one domain (mean over replicates), to date.

    :func:`plot_state_panels` of the run's :func:`tables`.

    Args:
        model: The run.
        domain: ``economic`` or ``security``.

    Returns:
        The figure.
    """
    t = tables(model)
    states = model.runs[0].dims.states
    fig = Figure(figsize=(3.2 * len(states), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(states), sharey=True))
    plot_state_panels(t["timeseries"], domain, axes, states, model.span)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=len(names))
    fig.suptitle(f"{model.title}: {domain} shares by state on {model.date.isoformat()}")
    return fig


def _whole_run(ax: Axes, span: tuple[dt.date, dt.date] | None) -> None:
    """Show the whole run on the time axis."""
    import matplotlib.dates as mdates

    if span is None:
        return
    first = mdates.date2num(span[0])  # type: ignore[no-untyped-call]
    last = mdates.date2num(span[1])  # type: ignore[no-untyped-call]
    ax.set_xlim(float(first), float(last))


def summary(model: DashboardModel) -> str:
    """One line saying where the run is and a headline value, for the page and its tests.

    Args:
        model: The run.

    Returns:
        The step, the date, China's median shares of regional trade and arms imports (those
        of the run's first power when a scenario removes China), and the parameters the
        panel changed.
    """
    fans = shown_regional(model)
    powers = model.runs[0].dims.powers
    power = "china" if "china" in powers else powers[0]  # a scenario may remove China
    name = label(power)
    whose = f"{name}'" if name.endswith("s") else f"{name}'s"
    headline = fans[fans["partner"] == power]
    trade = headline[headline["domain"] == "economic"].iloc[-1]["p50"]
    arms = headline[headline["domain"] == "security"].iloc[-1]["p50"]
    changed = ", ".join(f"{k}={v:g}" for k, v in model.changed.items()) or "none"
    return (
        f"Step {model.steps} of {model.n_steps} ({model.date.isoformat()}); {whose} median "
        f"share of regional trade: {trade:.4f}, of arms imports: {arms:.4f}; "
        f"parameters changed: {changed}"
    )


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


FIGURES: tuple[tuple[str, Callable[[DashboardModel], Figure]], ...] = (
    ("regional", figure_regional),
    ("security", lambda m: figure_states(m, "security")),
    ("economic", lambda m: figure_states(m, "economic")),
)
"""The page's figures, top to bottom: name and drawing function."""


@reacton.component
def Plots(model: DashboardModel) -> None:
    """The run's headline line, CSV downloads of what the plots show, and the plots.

    Drawn at full width below SolaraViz's controls, and drawn again after every step.
    """
    update_counter.get()
    name = f"{Path(model.scenario_file).stem}_seed{model.runs[0].seed_sequence.entropy}"
    with solara.Column():
        solara.Text(summary(model), classes=["influence-summary"])
        with solara.Row():
            solara.FileDownload(
                lambda: _csv_bytes(shown_regional(model)),
                filename=f"{name}_regional_step{model.steps}.csv",
                label="Download the fans (CSV)",
            )
            solara.FileDownload(
                lambda: _csv_bytes(shown_states(model)),
                filename=f"{name}_states_step{model.steps}.csv",
                label="Download the state shares (CSV)",
            )
        for key, draw in FIGURES:
            FigureMatplotlib(  # type: ignore[no-untyped-call]
                draw(model), format="png", dependencies=[id(model), model.steps]
            ).key(key)


def _error(message: str) -> None:
    """Say what went wrong on the page, in red."""
    solara.Text(message, style={"color": "#b00020"}, classes=["influence-error"])


def model_class(scenario_file: str) -> type[DashboardModel]:
    """:class:`DashboardModel` with ``scenario_file`` as its default scenario.

    SolaraViz's *Reset* builds ``type(model)(**controls)``. After the picker changes the
    scenario, SolaraViz's panel keeps its components (the sidebar is filled by position) but
    not the controls' starting values: it passes only the controls moved since. Those not
    passed then start from the chosen scenario, as its sliders show, not from
    :data:`DEFAULT_SCENARIO`.

    Args:
        scenario_file: The chosen scenario.

    Returns:
        The class.
    """

    class ChosenScenario(DashboardModel):
        def __init__(self, **controls: Any) -> None:
            super().__init__(**{"scenario_file": scenario_file, **controls})

    return ChosenScenario


def _build(scenario_file: str) -> tuple[DashboardModel, dict[str, Any]] | str:
    """The model and controls of a scenario, or the message saying why there are none."""
    try:
        return model_class(scenario_file)(), model_params(scenario_file)
    except (ScenarioError, InputFileError, PosteriorError, ValueError, OSError) as exc:
        return str(exc)


@reacton.component
def ScenarioPage(scenario_file: str) -> None:
    """SolaraViz for one scenario: its controls, then the plots."""
    built = reacton.use_memo(lambda: _build(scenario_file), [])
    model = solara.use_reactive(None if isinstance(built, str) else built[0])
    if isinstance(built, str):
        _error(built)
        return
    # SolaraViz gives the controls (its grid of half-width cells is left empty); the plots
    # follow the same reactive model at full width
    SolaraViz(
        model,
        components=[],
        model_params=built[1],
        name="Great-power influence in Central Asia",
        play_interval=200,
    )
    Plots(model.value)


@reacton.component
def Page() -> None:
    """The dashboard page: the scenario picker, then SolaraViz for the chosen scenario."""
    files = reacton.use_memo(scenario_files, [])
    names = list(files)
    first = DEFAULT_SCENARIO if DEFAULT_SCENARIO in files else (names[0] if names else "")
    chosen = solara.use_reactive(first)
    with solara.Sidebar(), solara.Card("Scenario"):
        if not names:
            _error(f"no scenario files (*.yaml) in {scenario_folder()}")
            return
        solara.Select(label="Scenario file", values=names, value=chosen)
        solara.Text(f"{files[chosen.value]}", classes=["influence-scenario-path"])
    ScenarioPage(chosen.value).key(chosen.value)


__all__ = [
    "DEFAULT_SCENARIO",
    "FIGURES",
    "SCENARIOS_ENV",
    "DashboardModel",
    "Page",
    "Plots",
    "check_parameter",
    "figure_regional",
    "figure_states",
    "model_class",
    "model_params",
    "panel_parameters",
    "plot_region_panels",
    "plot_state_panels",
    "scenario_files",
    "scenario_folder",
    "shown_regional",
    "shown_states",
    "slider_range",
    "starting_replicates",
    "starting_values",
    "summary",
]
