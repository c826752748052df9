"""Where numbers came from: the versions of Python and the libraries a result depends on.

Run folders (``metadata.json``) and sweeps (``manifest.json``) record them; a sweep refuses to
resume under other versions.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import metadata as importlib_metadata

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


__all__ = ["RUN_PACKAGES", "package_versions"]
