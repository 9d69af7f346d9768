"""Package names that load their module on first use: the catalogue's and the TUI's packages
re-export many names, and importing every module behind them on the way to one name slowed
each start (the wizard's step 1, `k8s-cert-wizard --help`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module


def lazy_exports(package: str, homes: dict[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package`: each name in `homes` comes from its submodule
    (`homes["get_profile"] == "profiles"` → `package.profiles.get_profile`)."""

    def __getattr__(name: str) -> object:
        if name in homes:
            value = getattr(import_module(f"{package}.{homes[name]}"), name)
            setattr(sys.modules[package], name, value)  # found directly from now on
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
