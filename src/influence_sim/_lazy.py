"""Lazy package attributes: public names imported from their modules on first use.

Packages whose modules pull in heavy libraries (Mesa, pandas, SciPy, SALib, Dask) export their
names through :func:`lazy_attributes`, so that importing the package, as the command line does
to register its subcommands, costs nothing until a name is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build a package's module-level ``__getattr__`` and ``__dir__`` (PEP 562).

    Args:
        package: The package's ``__name__``.
        homes: Public name to the module that defines it (absolute, or relative to the
            package when it starts with a dot).

    Returns:
        ``(__getattr__, __dir__)`` to assign at the package's top level.
    """
    module = importlib.import_module(package)

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(homes))

    return __getattr__, __dir__
