"""The screens: the five steps, the review and renewal, and Learn the layout.

The names below load their module when first used (`from wizard.tui.screens import
ReviewScreen`): the wizard starts on step 1 without importing the others.
"""

from importlib import import_module

_HOMES = {
    "AddressesScreen": "addresses",
    "GenerateScreen": "generate",
    "IdentityScreen": "identity",
    "InspectScreen": "inspect",
    "LayoutScreen": "layout",
    "OverWizardScreen": "over_wizard",
    "PreviewScreen": "preview",
    "RenewScreen": "renew",
    "ReviewScreen": "review",
    "StepScreen": "step",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> object:
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
