"""The wizard's typed modal dialogs: confirm (yes/no), quit (save and quit, quit, stay), help
(the keys), path (ask for a file or folder and check it before closing)."""

from wizard.tui.dialogs.confirm import ConfirmDialog, QuitChoice, QuitDialog
from wizard.tui.dialogs.help import HelpDialog, KeySection
from wizard.tui.dialogs.path import PathDialog

__all__ = [
    "ConfirmDialog",
    "HelpDialog",
    "KeySection",
    "PathDialog",
    "QuitChoice",
    "QuitDialog",
]
