"""A self-contained HTML report of a run folder or a comparison folder.

``influence-sim report-html RESULTS_DIR [--out FILE]`` reads what ``run`` or ``compare`` wrote
and writes one HTML file that can be mailed: the summary as the command printed it, the main
table, every figure embedded as a ``data:`` image (SVG when the folder has it, else PNG), and the
provenance (scenario files with their text and hash, seeds, posterior, package versions,
command, date). Nothing in it refers to another file or to the network, and every piece of
text is escaped.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import html
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from influence_sim import tidy
from influence_sim._cliutil import EXIT_OK, EXIT_USAGE, error, path_arg
from influence_sim._files import write_text_atomic
from influence_sim._inputs import (
    CUT_SHORT,
    InputFileError,
    lacks_final_newline,
    read_bytes,
    read_csv_rows,
    read_json_object,
    read_text,
    sha256_of,
)
from influence_sim._lazy import former_names
from influence_sim._text import json_kind
from influence_sim.results import metadata_problem

REPORT_NAME = "report.html"
"""File name of the report inside the results folder when ``--out`` is not given."""

MAX_TABLE_ROWS = 400
"""Rows of a table shown in full; longer tables are cut with a note (the CSV has them all)."""

_FIGURE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the last chunk of every PNG, with its CRC

_SHAPES: dict[str, tuple[type, str]] = {
    "versions": (dict, "an object"),
    "scenario_files": (list, "a list"),
    "sides": (list, "a list"),
}
"""Fields of metadata.json and comparison.json the report goes through, when present."""

_STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
"""


class ReportError(ValueError):
    """A folder the report cannot be made from (one line, for the command line)."""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = read_json_object(path)
    except InputFileError as exc:
        raise ReportError(str(exc)) from None
    for key, (kind, what) in _SHAPES.items():
        if data.get(key) is not None and not isinstance(data[key], kind):
            raise ReportError(f"{path}: {key}: expected {what}, not {json_kind(data[key])}")
    return data


def _read_csv(path: Path) -> pd.DataFrame:
    """The table of a CSV file the command wrote, refused if it is cut short."""
    try:
        frame = tidy.read_csv(path)
        rows = read_csv_rows(path)
        cut = lacks_final_newline(path)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ReportError(f"{path}: cannot be read as CSV ({exc})") from None
    except InputFileError as exc:
        raise ReportError(str(exc)) from None
    if cut:
        raise ReportError(f"{path}:{len(rows)}: {CUT_SHORT}")
    for line, cells in enumerate(rows, 1):
        if cells and len(cells) != len(rows[0]):
            raise ReportError(
                f"{path}:{line}: the table is incomplete (cut short?): {len(cells)} cells, "
                f"expected {len(rows[0])} (one per column)"
            )
    return frame


def _table(frame: pd.DataFrame, caption: str) -> str:
    """An HTML table of a data frame (escaped), cut at :data:`MAX_TABLE_ROWS` rows."""
    shown = frame.head(MAX_TABLE_ROWS)
    head = "".join(f"<th>{_e(c)}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = "".join(f"<td>{_e(_cell(v))}</td>" for v in record)
        rows.append(f"<tr>{cells}</tr>")
    note = ""
    if len(frame) > len(shown):
        note = f"<p>First {len(shown)} of {len(frame)} rows; the CSV file has them all.</p>"
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
    )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.6g}"
    return str(value)


def _pairs(rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of provenance fields (values escaped; lists and dicts as JSON)."""
    body = []
    for key, value in rows:
        if isinstance(value, (list, dict)):
            shown = json.dumps(value, ensure_ascii=False)
        else:
            shown = "" if value is None else str(value)
        body.append(f'<tr><th scope="row">{_e(key)}</th><td>{_e(shown)}</td></tr>')
    return f'<table class="provenance">{"".join(body)}</table>'


def image_files(folder: Path) -> list[Path]:
    """The figures of a folder, one per name: the SVG where there is one, else the PNG.

    Args:
        folder: A results folder.

    Returns:
        The files, in name order.
    """
    by_stem: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if suffix not in _FIGURE_TYPES or not path.is_file() or path.name.startswith("."):
            continue
        if path.stem not in by_stem or suffix == ".svg":
            by_stem[path.stem] = path
    return [by_stem[stem] for stem in sorted(by_stem)]


def _figures(folder: Path) -> str:
    parts = []
    for path in image_files(folder):
        try:
            raw = read_bytes(path)
        except InputFileError as exc:
            raise ReportError(str(exc)) from None
        kind = _FIGURE_TYPES[path.suffix.lower()]
        if kind == "image/png" and not raw.startswith(_PNG_SIGNATURE):
            raise ReportError(
                f"{path}: not a PNG image (its bytes do not start with the PNG signature)"
            )
        if kind == "image/png" and _PNG_END not in raw:
            raise ReportError(f"{path}: the image is incomplete (cut short?): no IEND chunk")
        if kind == "image/svg+xml":
            _check_svg(path, raw)
        data = base64.b64encode(raw).decode("ascii")
        parts.append(
            f'<figure><img src="data:{kind};base64,{data}" alt="{_e(path.stem)}">'
            f"<figcaption>{_e(path.name)}</figcaption></figure>"
        )
    return "".join(parts) or "<p>No figures in the folder (written with --no-plots?).</p>"


def _check_svg(path: Path, raw: bytes) -> None:
    """Refuse an SVG file that is not well-formed XML (cut short?) or whose root is not svg."""
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        why = str(exc).rsplit(": line ", 1)[0]
        where = f"{path}:{exc.position[0]}"
        raise ReportError(f"{where}: not a well-formed SVG image (cut short?): {why}") from None
    name = root.tag.rpartition("}")[2]
    if name != "svg":
        raise ReportError(f"{path}: not an SVG image (its root element is {name}, not svg)")


def _scenario_names(meta: Mapping[str, Any]) -> list[str]:
    """The scenario files of a run, as it recorded them: its scenario, then those it extends."""
    files = [str(f) for f in meta.get("scenario_files") or [] if f]
    main = meta.get("scenario_path")
    if main and str(main) not in files:
        files.insert(0, str(main))
    return files


def _side_scenarios(info: Mapping[str, Any]) -> list[str]:
    """The scenario files of a comparison's sides that were run (not run or sweep folders)."""
    sides = [s for s in info.get("sides") or [] if isinstance(s, dict)]
    return [
        str(s.get("source"))
        for s in sides
        if str(s.get("source", "")).lower().endswith((".yaml", ".yml"))
    ]


def _scenario_texts(meta: Mapping[str, Any]) -> str:
    """Each scenario file of a run with its text, if it can still be read, and its hash."""
    main = meta.get("scenario_path")
    parts = []
    for name in _scenario_names(meta):
        path = Path(name)
        try:
            raw = read_bytes(path)
        except InputFileError as exc:
            why = "not found where the run read it" if exc.kind == "missing" else exc.reason
            parts.append(f"<p>{_e(name)}: {_e(why)}.</p>")
            continue
        digest = sha256_of(raw)
        note = ""
        if name == str(main) and meta.get("scenario_sha256") not in (None, digest):
            note = " (changed since the run: its hash then is in the table above)"
        parts.append(
            f"<h3>{_e(path.name)}</h3><p>SHA-256 now: {_e(digest)}{_e(note)}</p>"
            f"<pre>{_e(raw.decode('utf-8', errors='replace'))}</pre>"
        )
    return "".join(parts)


def _run_sections(folder: Path, meta: dict[str, Any]) -> tuple[str, list[str]]:
    name = str(meta.get("scenario_name") or folder.name)
    description = str(meta.get("scenario_description") or "")
    seeds = meta.get("replicate_seeds") or []
    posterior = meta.get("posterior")
    draws = meta.get("posterior_draws")
    provenance = [
        ("scenario", name),
        ("description", description),
        ("scenario file", meta.get("scenario_path")),
        ("scenario SHA-256", meta.get("scenario_sha256")),
        ("scenario files (extends)", meta.get("scenario_files")),
        ("period", f"{meta.get('start')} to {meta.get('end')}, step {meta.get('step')}"),
        ("root seed", meta.get("seed")),
        ("replicates", meta.get("replicates")),
        ("replicate seeds (entropy, spawn key)", seeds),
        ("parameters", f"posterior {posterior}" if posterior else "point estimates"),
        ("posterior draws per replicate", draws),
        ("shocks", meta.get("shocks")),
        ("command", meta.get("command")),
        ("created", meta.get("created")),
        ("wall time (s)", meta.get("wall_time_s")),
        *sorted((f"version of {k}", v) for k, v in (meta.get("versions") or {}).items()),
    ]
    tables = []
    if (folder / "bands.csv").is_file():
        bands = _read_csv(folder / "bands.csv")
        caption = "China and Russia: median and bands over replicates"
        if meta.get("replicates") == 1:
            caption = "China and Russia: the values of a single run (no band)"
        tables.append(_table(bands, caption))
    sections = [
        _section("Summary", _summary(folder) + "".join(tables)),
        _section("Figures", _figures(folder)),
        _section("Provenance", _pairs(provenance) + _scenario_texts(meta)),
    ]
    title = f"{name}: run report"
    return title, [f"<p>{_e(description)}</p>" if description else "", *sections]


def _compare_sections(folder: Path, info: dict[str, Any]) -> tuple[str, list[str]]:
    sides = [s for s in info.get("sides") or [] if isinstance(s, dict)]
    names = [str(s.get("name")) for s in sides]
    provenance: list[tuple[str, Any]] = [("reference", info.get("reference"))]
    for side in sides:
        provenance.append(
            (
                f"side {side.get('name')}",
                f"{side.get('kind')} {side.get('source')}; {side.get('replicates')} "
                f"replicates; root seed {side.get('root_seed')}; {side.get('pairing')}",
            )
        )
    provenance += [
        ("seed", info.get("seed")),
        ("replicates", info.get("replicates")),
        ("notes", info.get("notes")),
        ("command", info.get("command")),
        ("created", info.get("created")),
        *sorted((f"version of {k}", v) for k, v in (info.get("versions") or {}).items()),
    ]
    tables = []
    if (folder / "headline.csv").is_file():
        head = _read_csv(folder / "headline.csv")
        if "state" in head:
            head = head[head["state"] == "region"]
        tables.append(_table(head, "Headline metrics for the region, against the reference"))
    scenario_files = "".join(_scenario_texts({"scenario_path": s}) for s in _side_scenarios(info))
    sections = [
        _section("Summary", _summary(folder) + "".join(tables)),
        _section("Figures", _figures(folder)),
        _section("Provenance", _pairs(provenance) + scenario_files),
    ]
    return f"Comparison: {' vs '.join(names)}", sections


def _summary(folder: Path) -> str:
    path = folder / "summary.txt"
    if not path.is_file():
        return "<p>No summary.txt in the folder (written by an older version).</p>"
    try:
        return f"<pre>{_e(read_text(path))}</pre>"
    except InputFileError as exc:
        raise ReportError(str(exc)) from None


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{_e(heading)}</h2>{body}</section>"


def build_report(folder: str | Path) -> str:
    """The HTML text of the report of a run folder or a comparison folder.

    Args:
        folder: A folder written by ``influence-sim run`` (with ``metadata.json``) or by
            ``influence-sim compare`` (with ``comparison.json``).

    Returns:
        One self-contained HTML document.

    Raises:
        ReportError: If the folder is neither.
    """
    where = Path(folder)
    if not where.is_dir():
        raise ReportError(f"{where}: no such folder (expected one written by run or compare)")
    if (where / "comparison.json").is_file():
        title, sections = _compare_sections(where, _read_json(where / "comparison.json"))
    elif (where / "metadata.json").is_file():
        meta = _read_json(where / "metadata.json")
        problem = metadata_problem(meta)
        if problem:
            raise ReportError(f"{where / 'metadata.json'}: {problem}")
        title, sections = _run_sections(where, meta)
    else:
        raise ReportError(
            f"{where}: neither metadata.json nor comparison.json (expected a folder written by "
            "'influence-sim run' or 'influence-sim compare')"
        )
    made = dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>{''.join(sections)}"
        f"<p><small>Report of {_e(where.name)} written {_e(made)}.</small></p>"
        "</body></html>\n"
    )


_READ_NAMES = ("metadata.json", "comparison.json", "summary.txt", "bands.csv", "headline.csv")
"""Files of a results folder the report reads (when they are there), besides its figures."""


def _written_path(path: Path) -> Path:
    """The file a write to ``path`` replaces: a symbolic link itself, in its real folder."""
    return Path(os.path.realpath(path.parent)) / path.name


def out_problem(folder: str | Path, out: str | Path) -> str | None:
    """Why the report of ``folder`` must not be written to ``out``, or None if it may.

    The report would destroy an input: a scenario file it reads (a run's scenario and the
    files it extends, a comparison's scenario files), or a file of the results folder (or of
    a folder inside it), which ``run``, ``compare`` or a later report read. Refused are an
    existing file in the results folder other than an HTML file (an earlier report), and, in
    the folder itself, the names the report reads (``metadata.json``, ``comparison.json``,
    ``summary.txt``, ``bands.csv``, ``headline.csv``, any ``.png`` or ``.svg`` figure) and
    those the folder's record lists under ``files``, whether or not the file is there.

    Args:
        folder: The results folder.
        out: The HTML file to write.

    Returns:
        One line for the user, or None.
    """
    where = Path(folder)
    target = _written_path(Path(out))
    home = Path(os.path.realpath(where))
    record: dict[str, Any] = {}
    for name in ("comparison.json", "metadata.json"):  # the one build_report reads
        if (where / name).is_file():
            with contextlib.suppress(ReportError):  # build_report says what is wrong
                record = _read_json(where / name)
            break
    if home in target.parents:
        listed = record.get("files")
        names = {*_READ_NAMES, *(n for n in listed or [] if isinstance(n, str))}
        suffix = target.suffix.lower()
        if (target.exists() and suffix not in (".html", ".htm")) or (
            target.parent == home and (target.name in names or suffix in _FIGURE_TYPES)
        ):
            return (
                f"{out}: will not write the report over a file of the results folder {folder} "
                f"(expected another path for the HTML file, such as {where / REPORT_NAME})"
            )
    scenarios = _side_scenarios(record) if "sides" in record else _scenario_names(record)
    for name in scenarios:
        given = Path(name)
        if target in (_written_path(given), Path(os.path.realpath(given))):
            return (
                f"{out}: will not write the report over the scenario file {name} it reads "
                "(expected another path for the HTML file)"
            )
    return None


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write :func:`build_report` of ``folder`` to ``out`` (default ``folder/report.html``).

    Args:
        folder: The results folder.
        out: The HTML file to write (atomically).

    Returns:
        The path written.

    Raises:
        ReportError: If the folder is not a results folder, or the report would destroy an
            input at ``out`` (:func:`out_problem`); nothing is written then.
    """
    target = Path(out) if out is not None else Path(folder) / REPORT_NAME
    text = build_report(folder)
    problem = out_problem(folder, target)
    if problem is not None:
        raise ReportError(problem)
    return write_text_atomic(target, text)


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:  # type: ignore[type-arg]
    """Add ``report-html`` to the command line.

    Args:
        sub: The subparsers of ``influence-sim``.

    Returns:
        Command name to handler.
    """
    p = sub.add_parser(
        "report-html",
        help="one self-contained HTML file of a run or a comparison, to send",
        description=(
            "Write one HTML file with the summary, the tables, every figure (embedded) and the "
            "provenance (scenario text and hash, seeds, versions, command, date) of a folder "
            "written by 'run' or 'compare'. No external links or scripts."
        ),
    )
    p.add_argument("folder", metavar="RESULTS_DIR", type=path_arg, help="run or compare folder")
    p.add_argument(
        "--out",
        metavar="FILE",
        type=path_arg,
        help=f"HTML file (default: RESULTS_DIR/{REPORT_NAME})",
    )
    return {"report-html": command_report_html}


def command_report_html(args: argparse.Namespace) -> int:
    """Run ``influence-sim report-html``.

    Args:
        args: Parsed arguments.

    Returns:
        Exit code: 0, 1 if the file cannot be written, 2 if the folder is not a results folder,
        ``--out`` names a folder, or the report would write over an input
        (:func:`out_problem`).
    """
    if args.out is not None and Path(args.out).is_dir():
        error(
            f"{args.out}: this is a directory, not a file "
            "(expected the path of the HTML file to write)"
        )
        return EXIT_USAGE
    try:
        path = write_report(args.folder, args.out)
    except ReportError as exc:
        error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        error(f"{args.out or args.folder}: cannot write the report: {exc.strerror or exc}")
        return 1
    print(f"Wrote {path}")
    return EXIT_OK


__getattr__ = former_names(__name__, {"figure_files": "image_files"})
"""The former name of :func:`image_files`, kept for one release with a warning."""

__all__: Sequence[str] = [
    "REPORT_NAME",
    "ReportError",
    "build_report",
    "command_report_html",
    "image_files",
    "out_problem",
    "register",
    "write_report",
]
