"""Package names that load their module on first use, so the wizard starts on step 1 without
importing every screen, widget and dialog (`from wizard.tui.screens import ReviewScreen`)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def lazy_exports(package: str, homes: dict[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package`: each name in `homes` comes from its submodule."""

    def __getattr__(name: str) -> object:
        if name in homes:
            return getattr(import_module(f"{package}.{homes[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
