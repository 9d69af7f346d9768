"""The screens: the five steps, the review and renewal, and Learn the layout.

The names below load their module when first used (`from wizard.tui.screens import
ReviewScreen`): the wizard starts on step 1 without importing the others.
"""

from wizard.lazy_exports import lazy_exports

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

__getattr__ = lazy_exports(__name__, _HOMES)
