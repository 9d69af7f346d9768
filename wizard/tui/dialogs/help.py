"""The key help: every binding of the app and of the current step, in words."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

KeySection = tuple[str, list[tuple[str, str]]]
"""A heading and its (keys, what they do) rows."""


class HelpDialog(ModalScreen[None]):
    """Lists the keys; Escape, F1, ? or q closes it."""

    BINDINGS = [
        Binding("escape,f1,question_mark,q", "close", "Close"),
    ]

    def __init__(self, sections: list[KeySection], intro: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.sections = sections
        self.intro = intro

    def compose(self) -> ComposeResult:
        """A scrolling list of sections."""
        with Vertical(classes="dialog help-dialog"):
            yield Static("Keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                if self.intro:
                    yield Static(self.intro, classes="dialog-text", markup=False)
                for heading, rows in self.sections:
                    yield Static(heading, classes="help-heading", markup=False)
                    width = max((len(keys) for keys, _ in rows), default=0)
                    lines = [
                        Content.from_markup(
                            "[b $accent]$keys[/]  $what", keys=keys.ljust(width), what=what
                        )
                        for keys, what in rows
                    ]
                    yield Static(Content("\n").join(lines), classes="help-rows")
            yield Button("Close (Esc)", id="close", compact=True)

    def on_mount(self) -> None:
        """Focus the body so arrows scroll it."""
        self.query_one("#help-body").focus()

    def on_button_pressed(self) -> None:
        """The Close button."""
        self.dismiss(None)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
