"""Where numbers came from: the command that made a result and the versions it ran under.

Run folders (``metadata.json``), comparisons and sweeps (``manifest.json``) record them; a sweep
refuses to resume under other versions.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence
from importlib import metadata as importlib_metadata
from pathlib import Path

RUN_PACKAGES = ("influence-sim", "mesa", "numpy", "pandas", "matplotlib", "pyyaml", "pydantic")
"""Distributions whose versions a run folder records."""


def package_versions(names: Sequence[str]) -> dict[str, str]:
    """Versions of Python and of the named distributions (``"not installed"`` if absent).

    Args:
        names: Distribution names, in the order to record them.

    Returns:
        ``{"python": VERSION, NAME: VERSION, ...}``.
    """
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command that started this process, as it would be typed again.

    The program is named without its folder (``influence-sim run ...``; the package's
    ``__main__.py`` as ``python -m influence_sim``), so a result records no folder of the
    machine it was made on; the arguments are kept as given.

    Args:
        argv: The arguments, the program first; defaults to ``sys.argv``.

    Returns:
        The command line, or an empty string without arguments.
    """
    argv = list(sys.argv if argv is None else argv)
    if not argv:
        return ""
    program = Path(argv[0])
    name = program.name
    if name == "__main__.py" and program.parent.name == "influence_sim":
        name = "python -m influence_sim"
    return " ".join([name, *argv[1:]])


__all__ = ["RUN_PACKAGES", "command_line", "package_versions"]
