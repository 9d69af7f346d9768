"""The wizard's typed modal dialogs: confirm (yes/no), quit (save and quit, quit, stay), help
(the keys), path (ask for a file or folder and check it before closing).

The names below load their module when first used, so that a dialog is imported when one is
first opened, not when the wizard starts.
"""

from wizard.lazy_exports import lazy_exports

_HOMES = {
    "ConfirmDialog": "confirm",
    "HelpDialog": "help",
    "KeySection": "help",
    "PathDialog": "path",
    "QuitChoice": "confirm",
    "QuitDialog": "confirm",
}

__all__ = sorted(_HOMES)

__getattr__ = lazy_exports(__name__, _HOMES)
