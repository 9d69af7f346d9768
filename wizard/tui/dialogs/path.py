"""Ask for a file path and act on it; the action's error, in words, keeps the dialog open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from wizard.tui.widgets.fields import TextField

PathAction = Callable[[Path], str | None]
"""Does the work (save, load) and returns an error message, or None when it succeeded."""


class PathDialog(ModalScreen[Path | None]):
    """A path field with OK/Cancel; dismisses with the path once `action` succeeded.

    With `ask_to_replace`, an existing file other than `own_file` (the one the answers came
    from) is replaced only when Enter is pressed a second time.
    """

    CSS_PATH = "../dialogs.tcss"  # the dialogs' rules: not parsed for step 1

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        initial: str,
        action: PathAction,
        *,
        ok: str = "OK",
        note: str = "",
        ask_to_replace: bool = False,
        own_file: Path | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.initial = initial
        self.action = action
        self.ok = ok
        self.note = note
        self.ask_to_replace = ask_to_replace
        self.own_file = own_file
        self._overwrite_asked: Path | None = None

    def compose(self) -> ComposeResult:
        """Title, note, path field, message, buttons."""
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.note:
                yield Static(self.note, classes="dialog-text", markup=False)
            yield TextField(self.initial, id="path", compact=False)
            yield Static("", id="path-message", classes="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.ok, id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        """Focus the path, cursor at its end."""
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        message = self.query_one("#path-message", Static)
        if not text:
            message.update("✗ write a file name, e.g. cluster.toml")
            return
        path = Path(text).expanduser()
        if (
            self.ask_to_replace
            and path.exists()
            and (self.own_file is None or path.resolve() != self.own_file.resolve())
            and self._overwrite_asked != path
        ):
            self._overwrite_asked = path
            message.update(f"⚠ {path} exists — press Enter again to replace it")
            return
        error = self.action(path)
        if error:
            message.update(f"✗ {error}")
            return
        self.dismiss(path)

    @on(Input.Changed, "#path")
    def _edited(self) -> None:
        self._overwrite_asked = None
        self.query_one("#path-message", Static).update("")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without doing anything."""
        self.dismiss(None)
