"""Screens the wizard opens over its steps (review, renew, Learn the layout) take its keys.

The wizard's keys for its steps, its cluster file and its other screens are app bindings: over
one of these screens they would act on the wizard behind it (a Save dialog on top of the
review, Next moving a step nobody sees). `OverWizardScreen` takes them instead: they do
nothing there and stay off the footer. Run on their own (`review DIR`, the layout app) the
screens are the same; the keys simply have nothing to do.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

__all__ = ["WIZARD_KEYS", "WIZARD_KEYS_OFF", "OverWizardScreen"]

WIZARD_KEYS = ("ctrl+n", "ctrl+b", "ctrl+s", "ctrl+o", "ctrl+l", "f2", "f3", "f4")
"""Next, Back, Save, Load, Learn the layout, Review a directory, Hosts, Rotate."""

WIZARD_KEYS_OFF = Binding(",".join(WIZARD_KEYS), "wizard_key", show=False, priority=True)
"""The binding that takes the wizard's keys (priority: a focused field does not see them)."""

ResultType = TypeVar("ResultType")


class OverWizardScreen(Screen[ResultType]):
    """A screen over the wizard's steps on which the wizard's keys do nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [WIZARD_KEYS_OFF]
    # the rules of steps 2 to 5 (their lists) serve these screens too; not parsed for step 1
    CSS_PATH: ClassVar[str | PurePath | list[str | PurePath] | None] = "../steps.tcss"

    def action_wizard_key(self) -> None:
        """A key of the wizard behind this screen: nothing to do here."""
