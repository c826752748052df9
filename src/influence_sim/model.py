"""InfluenceModel: one run of the Central Asia influence model as a Mesa model.

The model is the project's own: great powers trade economic and security influence over the
five Central Asian states, seeded from Kennan Cable No. 52 (Jardine and Lemon, Wilson Center,
2020) and the 2021 article that cites it. Its equations live in :mod:`influence_sim.kernel`;
this class steps a batch of one run through :class:`influence_sim.engine.RunBatch`, the same
loop the ensemble uses, and exposes the run the Mesa way: agents, a DataCollector, ``step``,
``running``.

Mesa 3.5's ``Model`` has its own ``scenario=`` keyword: a ``mesa.experimental.scenarios.Scenario``,
a bundle of parameters and ``rng``. ``InfluenceModel(scenario=Scenario(rng=1, coordination=0.8))``
takes the bundle's values as keyword parameters and its ``rng`` as the seed, and keeps it as
``model.scenario``. Scenario *files* of this project are loaded with
:func:`influence_sim.load_scenario` and passed to :meth:`InfluenceModel.from_scenario`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from influence_sim import initial
from influence_sim._text import check_kind, one_of, with_hint
from influence_sim.agents import CentralAsianState, Power
from influence_sim.calendar import Clock
from influence_sim.engine import RunBatch
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import (
    ECON,
    GLOBAL_PARAMETERS,
    POWER_PARAMETERS,
    SEC,
    STATE_PARAMETERS,
    Dims,
    FloatArray,
)
from influence_sim.overrides import check_mapping, checked_value
from influence_sim.paths import PathError, canonical_path
from influence_sim.rng import SeedLike, as_seed_sequence
from influence_sim.seeds import DEFAULT_POWERS, DEFAULT_STATES, default_dims
from influence_sim.timeline import Timeline, dated_timeline

if TYPE_CHECKING:
    from influence_sim.posterior import Posterior
    from influence_sim.scenario import Scenario
    from influence_sim.sweep.plan import Sweep

_ENTITY_PATH = {
    **{name: f"states.{{}}.{name}" for name in STATE_PARAMETERS},
    **{name: f"powers.{{}}.{name}" for name in POWER_PARAMETERS},
}
KEYWORDS: tuple[str, ...] = (
    *GLOBAL_PARAMETERS,
    *STATE_PARAMETERS,
    *POWER_PARAMETERS,
    "afghan_instability",
    "initial_trust",
)


def keyword_overrides(parameters: Mapping[str, Any], dims: Dims) -> dict[str, float]:
    """Turn model keyword arguments into dotted-path overrides.

    Global parameters take a number. State and power parameters take a number (every entity)
    or a mapping from entity name to number.

    Args:
        parameters: Keyword arguments.
        dims: Entities.

    Returns:
        Dotted path to value.

    Raises:
        TypeError: For an unknown keyword (with the closest known one).
        ValueError: For a value that is not a finite number, lies outside the parameter's
            range (values are never clipped) or names an unknown state or power.
    """
    out: dict[str, float] = {}
    for key, value in parameters.items():
        if key not in KEYWORDS:
            unexpected = f"InfluenceModel got an unexpected keyword argument '{key}'"
            raise TypeError(with_hint(unexpected, key, KEYWORDS))
        if key in _ENTITY_PATH:
            entities = dims.states if key in STATE_PARAMETERS else dims.powers
            values = value if isinstance(value, Mapping) else dict.fromkeys(entities, value)
            for name, v in values.items():
                if name not in entities:
                    expected = with_hint(
                        f"expected one of {', '.join(entities)}", str(name), entities
                    )
                    raise ValueError(
                        f"{key}: unknown {'state' if key in STATE_PARAMETERS else 'power'} "
                        f"{name!r} ({expected})"
                    )
                path = _ENTITY_PATH[key].format(name)
                shown = key if not isinstance(value, Mapping) else f"{key}[{name!r}]"
                out[path] = checked_value(shown, v, dims, path)
        else:
            path = canonical_path(key)
            out[path] = checked_value(key, value, dims, path)
    return out


def checked_overrides(
    overrides: Mapping[str, Any] | None, dims: Dims, what: str = "overrides"
) -> dict[str, float]:
    """Check dotted-path overrides of the model: known paths, finite numbers in range.

    Args:
        overrides: Dotted path (or short name) to value; None for none.
        dims: Entities.
        what: The argument's name, for the messages (``reference_overrides``).

    Returns:
        The same overrides as floats.

    Raises:
        TypeError: If ``overrides`` is not a mapping.
        ValueError: For a path that names nothing or a value that is not a finite number in
            the range of the values it names (values are never clipped).
    """
    check_mapping(what, overrides)
    out: dict[str, float] = {}
    for key, value in (overrides or {}).items():
        try:
            out[key] = checked_value(f"{what}[{key!r}]", value, dims, key)
        except PathError as exc:
            raise ValueError(f"{what}[{key!r}]: {exc}") from None
    return out


def mesa_scenario_parameters(
    scenario: Any, rng: SeedLike, parameters: Mapping[str, Any]
) -> tuple[SeedLike, dict[str, Any]]:
    """Merge a Mesa ``Scenario``'s values into the model's seed and keyword parameters.

    Args:
        scenario: A ``mesa.experimental.scenarios.Scenario``.
        rng: The ``rng`` given to the model (None if not given).
        parameters: The keyword parameters given to the model.

    Returns:
        ``(rng, parameters)``: the scenario's ``rng`` unless one was given, and the keyword
        parameters with the scenario's values added.

    Raises:
        TypeError: If ``scenario`` is not a Mesa scenario (a scenario file's
            :class:`~influence_sim.scenario.Scenario` goes to :meth:`InfluenceModel.from_scenario`),
            or a value is given both in it and as a keyword.
        ValueError: If ``rng`` and the scenario's ``rng`` differ (as in ``mesa.Model``).
    """
    from mesa.experimental.scenarios import Scenario as MesaScenario

    if not isinstance(scenario, MesaScenario):
        what = f"{type(scenario).__module__}.{type(scenario).__qualname__}"
        raise TypeError(
            f"InfluenceModel(scenario=...) takes a mesa.experimental.scenarios.Scenario, not "
            f"{what}; a scenario file is run with "
            "InfluenceModel.from_scenario(influence_sim.load_scenario(path))"
        )
    values = {k: v for k, v in vars(scenario).items() if k != "rng"}
    twice = sorted(set(values) & set(parameters))
    if twice:
        raise TypeError(
            f"InfluenceModel got '{twice[0]}' both in scenario= and as a keyword argument"
        )
    own_rng = vars(scenario).get("rng")
    if rng is not None and own_rng is not None and own_rng is not rng and own_rng != rng:
        raise ValueError("rng and scenario.rng must be the same")
    return (rng if rng is not None else own_rng), {**values, **parameters}


class InfluenceModel(mesa.Model):
    """Great-power influence in Central Asia: one run, as a Mesa model.

    Every keyword argument has a default (the baseline from ``seeds/``), so
    ``mesa.batch_run(InfluenceModel, parameters={...}, rng=[1, 2])`` works. Parameters are
    listed in ``docs/ODD.md`` and :data:`influence_sim.parameters.PARAMETERS`.

    Attributes:
        dims: Entities of the run.
        clock: Calendar of the run.
        batch: The run's arrays and stepping loop (batch of one).
        seed_sequence: Seed sequence the run's random streams come from.
        datacollector: Mesa DataCollector with model and agent-type series.
    """

    def __init__(
        self,
        *,
        start: str | dt.date = "2021-01-01",
        end: str | dt.date = "2031-01-01",
        step: str = "quarter",
        states: Sequence[str] = DEFAULT_STATES,
        powers: Sequence[str] = DEFAULT_POWERS,
        overrides: Mapping[str, float] | None = None,
        reference_overrides: Mapping[str, float] | None = None,
        timeline: Timeline | None = None,
        rng: SeedLike = None,
        scenario: Any = None,
        _posterior: tuple[Posterior, np.ndarray] | None = None,
        **parameters: Any,
    ) -> None:
        """Create the model at its start date.

        Args:
            start: Start date (ISO text or date).
            end: End date; the model stops running after its last step.
            step: ``month``, ``quarter`` or ``year``.
            states: Central Asian states.
            powers: Great powers.
            overrides: Any value by dotted path (``states.tajikistan.hedging``), applied on top
                of the keyword parameters.
            reference_overrides: Values that are part of the reference (e.g. an added power's
                capacities); see :func:`influence_sim.initial.build`.
            timeline: Compiled shocks (from a scenario). By default only the dated membership
                and presence changes of ``seeds/`` that fall inside the run.
            rng: Seed: an int, a ``numpy.random.SeedSequence``, a ``Generator`` or None.
            scenario: Mesa's parameter bundle, a ``mesa.experimental.scenarios.Scenario``: its
                values are keyword parameters and its ``rng`` the seed (see
                :func:`mesa_scenario_parameters`); kept as ``model.scenario``.
            _posterior: A posterior and the run's draw (``(1,)``), as
                :meth:`from_scenario` and :meth:`from_sweep_run` give them: the draw's
                parameters under the overrides, and its residuals.
            **parameters: Model parameters by name (``coordination=1.0``,
                ``hedging={"turkmenistan": 1.0}``, ``afghan_instability=0.9``, ...).

        Raises:
            TypeError: For an unknown parameter name, a ``scenario`` that is not Mesa's,
                ``overrides`` or ``reference_overrides`` that are not a mapping, a ``start``
                or ``end`` that is neither a date nor text, or a ``timeline`` that is not a
                :class:`~influence_sim.timeline.Timeline`.
            ValueError: For bad dates or an unknown step, for states or powers that are not a
                list of distinct known names (a new power needs its values in
                ``reference_overrides``), and for a parameter, override or reference override
                value outside its range (``coordination=1.7``: the range is 0 to 1; values are
                never clipped) or not a finite number (text such as ``'0.5'`` included).
        """
        if scenario is not None:
            rng, parameters = mesa_scenario_parameters(scenario, rng, parameters)
        seq = as_seed_sequence(rng)
        super().__init__(rng=seq)
        if scenario is not None:
            self.scenario = scenario
        self.seed_sequence = seq
        self.dims = default_dims(
            _names("states", states, DEFAULT_STATES),
            _names("powers", powers, DEFAULT_POWERS, reference_overrides),
        )
        self.clock = Clock.between(_date("start", start), _date("end", end), step)
        run_overrides = keyword_overrides(parameters, self.dims)
        run_overrides.update(checked_overrides(overrides, self.dims))
        reference = checked_overrides(reference_overrides, self.dims, "reference_overrides")
        posterior, index = _posterior if _posterior is not None else (None, None)
        state, params = initial.build_runs(
            self.dims, self.clock.start, 1, run_overrides, reference, posterior, index
        )
        if timeline is None:
            timeline = dated_timeline(self.dims, self.clock, 1)
        expected = "a Timeline (Scenario.compile(seeds) makes one) or None"
        check_kind("timeline", timeline, Timeline, expected)
        self.batch = RunBatch(self.dims, self.clock, state, params, timeline, [seq])
        self._cache_step = -1
        self._regional: FloatArray = np.zeros(0)
        self._volumes: FloatArray = np.zeros(0)
        self.powers = {name: Power(self, name, i) for i, name in enumerate(self.dims.powers)}
        self.states = {
            name: CentralAsianState(self, name, i) for i, name in enumerate(self.dims.states)
        }
        self.datacollector = mesa.DataCollector(
            model_reporters=self._model_reporters(),
            agenttype_reporters=self._agent_reporters(),
        )
        self.datacollector.collect(self)

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario,
        rng: SeedLike = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> InfluenceModel:
        """Build the model of one replicate of a scenario.

        Args:
            scenario: A loaded scenario (:func:`influence_sim.load_scenario`).
            rng: Seed of this run; defaults to the scenario's seed.
            overrides: Values changed by dotted path, applied and checked as by
                :func:`influence_sim.simulate` (as a file that extends the scenario).

        Returns:
            The model at the scenario's start, with the parameters and residuals of the
            posterior draw this seed picks when the scenario names a posterior (as
            :func:`influence_sim.run` gives the replicate of this seed).

        Raises:
            influence_sim.scenario.ScenarioError: For an override a scenario file would refuse.
        """
        from influence_sim.api import resolve_posterior
        from influence_sim.overrides import scenario_with_overrides

        scenario, direct = scenario_with_overrides(scenario, overrides)
        seq = as_seed_sequence(scenario.seed if rng is None else rng)
        posterior = resolve_posterior(scenario)
        index = None if posterior is None else posterior.draw_index([seq])
        return cls._of_run(scenario, seq, {**scenario.overrides(), **direct}, posterior, index)

    @classmethod
    def from_sweep_run(cls, sweep: Sweep, run: int) -> InfluenceModel:
        """Build the model of one run of a sweep, which reproduces that run exactly.

        Args:
            sweep: A planned sweep (:func:`influence_sim.sweep.read_sweep`).
            run: Run number.

        Returns:
            The model at the base scenario's start, with the run's seed, its overrides
            (:meth:`influence_sim.sweep.Sweep.run_overrides`) and, when the base scenario
            names a posterior, the parameters and residuals of the draw the run picks.

        Raises:
            IndexError: For a run number outside the sweep.
        """
        if not 0 <= run < sweep.n_runs:
            raise IndexError(f"run {run} is not in this sweep (0 to {sweep.n_runs - 1})")
        (seq,) = sweep.seeds(np.array([run]))
        index = sweep.posterior_index(np.array([run]))
        return cls._of_run(sweep.scenario, seq, sweep.run_overrides(run), sweep.posterior, index)

    @classmethod
    def _of_run(
        cls,
        scenario: Scenario,
        seq: np.random.SeedSequence,
        overrides: Mapping[str, Any],
        posterior: Any,
        index: np.ndarray | None,
    ) -> InfluenceModel:
        """One run of ``scenario``: seed ``seq``, ``overrides``, and posterior draw ``index``."""
        return cls(
            start=scenario.start,
            end=scenario.end,
            step=scenario.step,
            states=scenario.dims.states,
            powers=scenario.dims.powers,
            overrides=overrides,
            reference_overrides=scenario.reference_overrides(),
            timeline=scenario.compile([seq]),
            rng=seq,
            _posterior=None if posterior is None or index is None else (posterior, index),
        )

    # --- stepping -------------------------------------------------------------------------

    def step(self) -> None:
        """Advance one dated step (shocks, then the kernel), then collect data.

        Raises:
            RuntimeError: If the run has already reached its end date (``running`` is False).
        """
        if self.batch.steps_done >= self.clock.n_steps:
            raise RuntimeError(
                f"the run ended on {self.date} (its end date); it cannot step further "
                "(model.running is False)"
            )
        self.batch.advance()
        self.datacollector.collect(self)
        if self.batch.steps_done >= self.clock.n_steps:
            self.running = False

    def run(self) -> InfluenceModel:
        """Step until the end date; return the model."""
        while self.running:
            self.step()
        return self

    # --- derived quantities ---------------------------------------------------------------

    @property
    def date(self) -> dt.date:
        """Date of the current state."""
        return self.batch.current_date

    def _refresh(self) -> None:
        if self._cache_step != self.batch.steps_done:
            demand = self.batch.demand()
            self._regional = obs.regional_share(self.batch.state.share, demand)[0]
            self._volumes = obs.regional_volume(self.batch.state.share, demand)[0]
            self._cache_step = self.batch.steps_done

    def regional_shares(self) -> FloatArray:
        """``(K, D)`` regional shares of every partner (volume-weighted over states)."""
        self._refresh()
        return self._regional

    def regional_volumes(self) -> FloatArray:
        """``(K, D)`` trade and arms imports of the region with every partner, USD bn/yr."""
        self._refresh()
        return self._volumes

    @property
    def trust(self) -> float:
        """China-Russia trust."""
        return float(self.batch.state.trust[0])

    @property
    def instability(self) -> float:
        """Afghan instability."""
        return float(self.batch.state.instability[0])

    @property
    def coordination(self) -> float:
        """China-Russia coordination (a state variable: it follows its motives)."""
        return float(self.batch.state.coordination[0])

    def _model_reporters(self) -> dict[str, Any]:
        reporters: dict[str, Any] = {
            "date": lambda m: m.date.isoformat(),
            "afghan_instability": "instability",
            "trust": "trust",
            "china_russia_coordination": "coordination",
        }
        for k, name in enumerate(self.dims.partners):
            reporters[f"{name}_economic_share"] = _regional_reporter(k, ECON)
            reporters[f"{name}_security_share"] = _regional_reporter(k, SEC)
            reporters[f"{name}_trade_usd_bn"] = _volume_reporter(k, ECON)
        return reporters

    def _agent_reporters(self) -> dict[type, dict[str, Any]]:
        state_reporters: dict[str, Any] = {
            "name": "name",
            "threat": "threat",
            "trade_usd_bn": "trade_usd_bn",
            "arms_usd_bn": "arms_usd_bn",
            "security_guarantor": "security_guarantor",
        }
        for name in self.dims.partners:
            state_reporters[f"economic_share_{name}"] = _profile_reporter("economic", name)
            state_reporters[f"security_share_{name}"] = _profile_reporter("security", name)
        power_reporters = {
            "name": "name",
            "economic_capacity": "economic_capacity",
            "security_capacity": "security_capacity",
            "economic_effort": "economic_effort",
            "security_effort": "security_effort",
            "regional_economic_share": "regional_economic_share",
            "regional_security_share": "regional_security_share",
        }
        return {CentralAsianState: state_reporters, Power: power_reporters}


def _regional_reporter(k: int, d: int) -> Any:
    def report(model: InfluenceModel) -> float:
        return float(model.regional_shares()[k, d])

    return report


def _volume_reporter(k: int, d: int) -> Any:
    def report(model: InfluenceModel) -> float:
        return float(model.regional_volumes()[k, d])

    return report


def _profile_reporter(domain: str, partner: str) -> Any:
    def report(agent: CentralAsianState) -> float:
        shares = agent.economic_shares if domain == "economic" else agent.security_shares
        return shares[partner]

    return report


def _names(
    what: str,
    names: Sequence[str],
    known: Sequence[str],
    reference_overrides: Mapping[str, Any] | None = None,
) -> tuple[str, ...]:
    """Check the model's ``states`` or ``powers``: a list of distinct names the run can start.

    A power the seeds do not know is accepted when ``reference_overrides`` give its values
    (as a scenario's ``actors.add_powers`` does).

    Raises:
        ValueError: For one text instead of a list, an empty list, a name listed twice, or an
            unknown name (with the known ones).
    """
    if isinstance(names, str):
        raise ValueError(f"{what}: expected a list of names, not the text {names!r}")
    out = tuple(names)
    if not out:
        raise ValueError(f"{what}: at least one {what[:-1]} is needed")
    for i, name in enumerate(out):
        if name in out[:i]:
            raise ValueError(f"{what}: {name!r} is listed twice (expected each name once)")
        new = any(str(key).startswith(f"powers.{name}.") for key in reference_overrides or {})
        if name not in known and not (what == "powers" and new):
            expected = one_of(name, known)
            if what == "powers":
                expected += (
                    f"; a new power needs its values in reference_overrides, such as "
                    f"'powers.{name}.economic_capacity', as a scenario's actors.add_powers "
                    "gives them"
                )
            raise ValueError(f"{what}: unknown {what[:-1]} {name!r} ({expected})")
    return out


def _date(what: str, value: str | dt.date) -> dt.date:
    """``start`` or ``end`` as a date: a date, or ISO text such as ``2021-01-01``.

    Raises:
        TypeError: For anything but a date or text.
        ValueError: For text that is no ISO date.
    """
    if isinstance(value, dt.date):
        return value
    expected = "expected a date or ISO text such as '2021-01-01'"
    if not isinstance(value, str):
        raise TypeError(f"{what}: {value!r} is not a date ({expected})")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a date ({expected})") from None
