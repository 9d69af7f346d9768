"""The old home of the wizard's App: kept only until cli.py and tests/tui/test_generate.py import
from `wizard.tui` (the App is `wizard.tui.apps.WizardApp`)."""

from wizard.tui.apps import WizardApp, make_app

__all__ = ["WizardApp", "make_app"]
