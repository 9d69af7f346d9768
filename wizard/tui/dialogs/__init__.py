"""The wizard's typed modal dialogs: confirm (yes/no), help (the keys), path (ask for a file or
folder and check it before closing)."""

from wizard.tui.dialogs.confirm import ConfirmDialog
from wizard.tui.dialogs.help import HelpDialog, KeySection
from wizard.tui.dialogs.path import PathDialog

__all__ = ["ConfirmDialog", "HelpDialog", "KeySection", "PathDialog"]
