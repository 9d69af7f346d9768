"""The bar above the footer: Back, a status line, the cluster file, Next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button

from wizard.tui.widgets.fields import Note


class NavBar(Horizontal):
    """Back and Next buttons around a one-line status (what blocks Next, what just happened)."""

    def __init__(
        self, *, first: bool = False, last: bool = False, next_label: str = "Next"
    ) -> None:
        super().__init__(id="nav")
        self.first = first
        self.last = last
        self.next_label = next_label

    def compose(self) -> ComposeResult:
        """Back, status, file, Next."""
        yield Button("◀ Back", id="back", compact=True, disabled=self.first)
        yield Note("", id="nav-status", fixed=True)
        yield Note("", id="nav-file")
        yield Button(
            f"{self.next_label} ▶", id="next", compact=True, variant="primary", disabled=self.last
        )

    def set_status(self, content: Content | str, tooltip: str = "") -> None:
        """Show a status line (plain text or styled content); the tooltip may say more."""
        status = self.query_one("#nav-status", Note)
        status.say(content)
        status.tooltip = tooltip or None

    def set_file(self, text: str, dirty: bool) -> None:
        """Show the cluster file's name and whether the answers are saved."""
        label = self.query_one("#nav-file", Note)
        label.say(f"{text}{' ● unsaved' if dirty else ''}")
        label.set_class(dirty, "-dirty")
