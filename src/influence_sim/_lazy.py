"""Module attributes resolved on first use: lazy package exports and former names.

Packages whose modules pull in heavy libraries (Mesa, pandas, SciPy, SALib, Dask) export their
names through :func:`lazy_attributes`, so that importing the package, as the command line does
to register its subcommands, costs nothing until a name is used. Modules that renamed a public
function keep its former name for one release through :func:`former_names`.
"""

from __future__ import annotations

import importlib
import sys
import warnings
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


def former_names(module: str, renamed: Mapping[str, str]) -> Callable[[str], Any]:
    """Build a module-level ``__getattr__`` (PEP 562) that keeps former names for one release.

    Args:
        module: The module's ``__name__``.
        renamed: Former name to the module's name for the same object now.

    Returns:
        The ``__getattr__`` to assign at the module's top level: a former name gives the object
        under its new name with a ``DeprecationWarning``; any other name is an
        ``AttributeError``.
    """

    def __getattr__(name: str) -> Any:
        now = renamed.get(name)
        if now is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(
            f"{module}.{name} is now {now}; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(sys.modules[module], now)

    return __getattr__
