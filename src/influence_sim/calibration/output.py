"""Files of a calibration: ``fit.json``, ``parameters.yaml``, ``targets.png``, ``profiles.png``.

``parameters.yaml`` is a complete scenario (the calibrated scenario's time section and the
fitted parameters), so it validates on its own and another scenario can build on it with
``extends: parameters.yaml``. ``fit.json`` holds everything else; with the same inputs and seed
it is identical from run to run except for ``wall_time_s``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from influence_sim._files import (
    FIGURE_FORMATS,
    FigureOutput,
    figure_output,
    json_text,
    remove_earlier_files,
    saver_record,
    write_text_atomic,
)
from influence_sim._lazy import former_names
from influence_sim.calibration.fit import CalibrationResult, scenario_parameters
from influence_sim.calibration.report import format_table, save_targets_plot


def fit_json(result: CalibrationResult) -> str:
    """``fit.json`` text (sorted nowhere: the order is that of :meth:`as_dict`).

    :func:`write_outputs` adds ``files`` (the files it wrote) at the end.
    """
    return json_text(result.as_dict(), default=None)


def _yaml_scalar(text: object) -> str:
    r"""``text`` as a YAML double-quoted scalar made by the emitter, safe inside a comment.

    Every character outside printable ASCII is escaped (``\u2028``, ``\n``, ...), so text
    from a file name or a scenario can never end the comment line and start YAML of its own.
    """
    emitted = yaml.safe_dump(
        str(text), default_style='"', allow_unicode=False, width=1_000_000, explicit_end=False
    )
    scalar = emitted.removesuffix("\n").removesuffix("\n...").strip()
    if any(not (" " <= c <= "~") for c in scalar):  # never reached: the emitter escapes them
        raise ValueError("text cannot be written into a YAML comment")
    return scalar


def parameters_yaml(result: CalibrationResult, name: str = "calibrated_parameters") -> str:
    """A scenario file with the fitted values, for other scenarios to ``extends``.

    Args:
        result: The calibration.
        name: The scenario name written.

    Returns:
        YAML text with a comment header saying where the values come from.
    """
    sc = result.scenario
    time_section: dict[str, Any] = {
        "start": sc.start.isoformat(),
        "end": sc.end.isoformat(),
        "step": sc.step,
        "seed": result.settings.seed,
        "replicates": result.settings.replicates,
    }
    document: dict[str, Any] = {
        "name": name,
        "description": (
            f"Parameters fitted by influence-sim calibrate on scenario {sc.name} against "
            f"{Path(result.targets_path).name if result.targets_path else 'the targets'}; "
            "departures from the reference, fitted together with that scenario's starting "
            "values and shocks."
        ),
        "time": time_section,
        **scenario_parameters(result.fitted_values, sc),
    }
    passed = sum(row.result == "PASS" for row in result.rows())
    header = [
        "# Written by `influence-sim calibrate`; edit by calibrating again, not by hand.",
        f"# Scenario calibrated: {_yaml_scalar(sc.name)} ({_yaml_scalar(sc.path)}; "
        f"sha256 {sc.sha256[:16]})",
        f"# Targets: {_yaml_scalar(result.targets_path)} "
        f"(sha256 {(result.targets_sha256 or '')[:16]})",
        f"# Loss at the fit: {result.loss:.6g}; targets passed: {passed} of {len(result.targets)}; "
        f"seed {result.settings.seed}; replicates {result.settings.replicates}",
        "# Identifiability (loss slice through the fit, within "
        f"{result.settings.threshold:g} of the minimum):",
    ]
    for pr, value in zip(result.profiles, result.fitted, strict=True):
        lo, hi = pr.interval
        header.append(
            f"#   {pr.parameter.path} = {value:.4g}: {pr.verdict}, [{lo:.4g}, {hi:.4g}] of "
            f"[{pr.parameter.low:g}, {pr.parameter.high:g}]"
        )
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=100)
    return "\n".join(header) + "\n" + body


def plot_profile(profile: pd.DataFrame, ax: Axes, legend: bool = False) -> Axes:
    """The loss along one parameter's range with the others at the fit (log scale).

    The slice is a line; the interval where the loss stays within the threshold of the
    minimum is shaded, the fit is a red line, and each local search's end an ``x``.

    Args:
        profile: One parameter's rows of :meth:`CalibrationResult.profile_frame`.
        ax: Axes to draw on.
        legend: Whether to draw a legend on the axes.

    Returns:
        The axes.
    """
    first = profile.iloc[0]
    path = str(first["parameter"])
    points = profile[profile["kind"] == "profile"]
    grid = points["value"].to_numpy(dtype=float)
    loss = points["loss"].to_numpy(dtype=float)
    finite = np.isfinite(loss)  # extreme weights or tolerances can overflow the loss
    floor = max(float(np.max(loss[finite], initial=0.0)) * 1e-9, 1e-12)
    ax.plot(grid[finite], np.maximum(loss[finite], floor), color="#1f4e9c", marker=".")
    level = float(first["level"])
    if math.isfinite(level):
        ax.axhline(
            level,
            color="#888888",
            linestyle="--",
            linewidth=1,
            label=f"minimum + {float(first['threshold']):g}",
        )
    ax.axvspan(
        float(first["interval_low"]),
        float(first["interval_high"]),
        color="#1f4e9c",
        alpha=0.12,
        linewidth=0,
        label="within the threshold",
    )
    ax.axvline(float(first["fitted"]), color="#c0392b", linewidth=1.5, label="fit")
    ends = profile[profile["kind"] == "search"]
    for end, end_loss in zip(ends["value"], ends["loss"], strict=True):
        if math.isfinite(end_loss):
            ax.plot([end], [max(end_loss, floor)], marker="x", color="#555555", ls="none")
    if finite.any():
        ax.set_yscale("log")
        ax.set_ylabel("loss (log scale)")
    else:
        ax.text(0.5, 0.5, "loss not finite", ha="center", transform=ax.transAxes)
    ax.set_xlabel(path)
    ax.set_title(f"{path}: {first['verdict']}", fontsize="small")
    if legend:
        ax.legend(fontsize="x-small", loc="best")
    return ax


def figure_profiles(result: CalibrationResult) -> Figure:
    """One panel per parameter: the loss along its range with the others at the fit.

    A figure of :func:`plot_profile` panels, from :meth:`CalibrationResult.profile_frame`.

    Args:
        result: The calibration.

    Returns:
        The figure.
    """
    n = max(len(result.profiles), 1)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.2 * cols, 3.3 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    frame = result.profile_frame()
    for i, ax in enumerate(axes.flat):
        if i >= len(result.profiles):
            ax.set_visible(False)
            continue
        path = result.profiles[i].parameter.path
        plot_profile(frame[frame["parameter"] == path], ax, legend=i == 0)
    fig.suptitle(f"Loss slices through the fit ({result.scenario.name}); x: local search ends")
    return fig


def write_outputs(
    result: CalibrationResult,
    directory: str | os.PathLike[str],
    figures: FigureOutput | None = None,
) -> list[Path]:
    """Write ``fit.json``, ``parameters.yaml`` and the ``targets`` and ``profiles`` figures.

    ``fit.json`` is :func:`fit_json` with ``files`` added: the files of this call. A folder
    that is not empty is written into: files of these names are replaced; the files an earlier
    call listed in the folder's ``fit.json`` (``files``) that this one does not write (figures
    in a format not asked for now) are removed before the new ``fit.json`` is written; every
    other file is left as it is, and a ``fit.json`` that is damaged or not a calibration's
    removes nothing. The command ``influence-sim calibrate`` instead refuses a folder in use
    without ``--force`` and replaces it whole.

    Args:
        result: The calibration.
        directory: Output folder (created if missing).
        figures: Formats and resolution of the figures (default: PNG).

    Returns:
        The paths written.

    Raises:
        OSError: If a file cannot be written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    fit = out / "fit.json"
    written = [
        write_text_atomic(out / "parameters.yaml", parameters_yaml(result)),
        *save_targets_plot(
            result.rows(),
            out / "targets.png",
            title=f"Model at the fit against the targets ({result.scenario.name})",
            figures=figures,
        ),
        *figure_output(figures).save(figure_profiles(result), out / "profiles.png", 100),
    ]
    files = sorted(p.name for p in [fit, *written])
    own = saver_record({"settings": dict, "parameters": list}, _FIT_FILES.__contains__)
    remove_earlier_files(out, fit.name, files, own)
    write_text_atomic(fit, json_text({**result.as_dict(), "files": files}, default=None))
    return [fit, *written]


_FIT_FILES = frozenset(
    ["fit.json", "parameters.yaml"]
    + [f"{stem}.{fmt}" for stem in ("targets", "profiles") for fmt in FIGURE_FORMATS]
)
"""Names of the files :func:`write_outputs` writes."""


def summary(result: CalibrationResult) -> str:
    """A printed summary: fitted values with identifiability, the target table and the loss.

    Args:
        result: The calibration.

    Returns:
        Text lines.
    """
    lines = [
        f"Calibrated {result.scenario.name} on {len(result.targets)} targets "
        f"({result.settings.replicates} replicates, seed {result.settings.seed}, "
        f"{result.evaluations} candidates, {result.evaluations * result.settings.replicates} "
        f"runs, {result.wall_time_s:.1f} s)",
        "",
        "Fitted parameters (interval: loss within "
        f"{result.settings.threshold:g} of the minimum along the parameter):",
    ]
    width = max(len(p.path) for p in result.free)
    for pr, value in zip(result.profiles, result.fitted, strict=True):
        p = pr.parameter
        lo, hi = pr.interval
        ms_lo, ms_hi = pr.multistart_range
        lines.append(
            f"  {p.path.ljust(width)}  {value:10.4g}  (was {p.scenario_value:.4g}; range "
            f"[{p.low:g}, {p.high:g}])  interval [{lo:.4g}, {hi:.4g}]  local optima "
            f"[{ms_lo:.4g}, {ms_hi:.4g}]  {pr.verdict}"
        )
    lines += ["", format_table(result.rows()), "", f"Loss at the fit: {result.loss:.6g}"]
    parts = result.loss_by_target()
    lines.append("  by target: " + ", ".join(f"{k} {v:.3g}" for k, v in parts.items()))
    return "\n".join(lines)


__getattr__ = former_names(__name__, {"plot_profiles": "figure_profiles"})
"""The former name of :func:`figure_profiles`, kept for one release with a warning."""

__all__ = [
    "figure_profiles",
    "fit_json",
    "parameters_yaml",
    "plot_profile",
    "summary",
    "write_outputs",
]
