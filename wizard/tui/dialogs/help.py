"""The key help: every binding of the app and of the current screen, in words.

One dialog for the wizard, the review and renew screens and Learn the layout: the keys stand in
a column of their own and a long description wraps under itself, so the keys stay readable at
80 columns.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from wizard.tui.widgets.hanging_indent import HangingIndent

__all__ = ["HelpDialog", "KeySection", "key_rows"]

KeySection = tuple[str, list[tuple[str, str]]]
"""A heading and its (keys, what they do) rows."""


def key_rows(rows: list[tuple[str, str]]) -> HangingIndent:
    """(keys, what they do) in two columns: a long description wraps under itself."""
    width = max((cell_len(keys) for keys, _ in rows), default=0) + 2  # then two spaces
    lines = []
    for keys, what in rows:
        padded = keys + " " * (width - cell_len(keys))
        line = Content.from_markup("[b $accent]$keys[/]$what", keys=padded, what=what)
        lines.append((line, len(padded)))
    return HangingIndent(lines)


class HelpDialog(ModalScreen[None]):
    """Lists the keys; Escape, F1, ? or q closes it."""

    CSS_PATH = "../dialogs.tcss"  # the dialogs' rules: not parsed for step 1

    BINDINGS = [
        Binding("escape,f1,question_mark,q", "close", "Close"),
    ]

    def __init__(
        self,
        sections: list[KeySection],
        intro: str = "",
        *,
        title: str = "Keys",
        close: str = "Close (Esc)",
    ) -> None:
        """`title` and the `close` button's label can be given in another language."""
        super().__init__(classes="dialog-screen")
        self.sections = sections
        self.intro = intro
        self.title_text = title
        self.close_label = close

    def compose(self) -> ComposeResult:
        """A scrolling list of sections, each a column of keys and one of what they do."""
        with Vertical(classes="dialog help-dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(id="help-body"):
                if self.intro:
                    yield Static(self.intro, classes="dialog-text", markup=False)
                for heading, rows in self.sections:
                    yield Static(heading, classes="help-heading", markup=False)
                    yield Static(key_rows(rows), classes="help-rows")
            yield Button(self.close_label, id="close", compact=True)

    def on_mount(self) -> None:
        """Focus the body so arrows scroll it."""
        self.query_one("#help-body").focus()

    def on_button_pressed(self) -> None:
        """The Close button."""
        self.dismiss(None)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
