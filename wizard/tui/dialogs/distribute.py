"""The question between distribute's diff and its run: place the files, place them and restart
what reads them, or do nothing. Restarting is its own answer, never the default."""

from __future__ import annotations

from enum import StrEnum

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

__all__ = ["DistributeChoice", "DistributeDialog"]


class DistributeChoice(StrEnum):
    """What the distribute question was answered with."""

    PLACE = "place"  # the files only (the CLI without --restart)
    RESTART = "restart"  # the files, then the restarts (the CLI's --restart)
    CANCEL = "cancel"


class DistributeDialog(ModalScreen[DistributeChoice]):
    """The diff's summary and the three answers; Escape and n change nothing."""

    CSS_PATH = "../dialogs.tcss"  # the dialogs' rules: not parsed for step 1

    DEFAULT_CSS = """
    DistributeDialog #distribute-summary { max-height: 14; height: auto; }
    """
    BINDINGS = [
        Binding("escape,n", "answer('cancel')", "Cancel"),
        Binding("p", "answer('place')", "Place the files", show=False),
        Binding("r", "answer('restart')", "Place and restart", show=False),
    ]

    def __init__(self, title: str, summary: str, *, restarts: bool) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.summary = summary
        self.restarts = restarts  # False: nothing needs a restart, the answer is not offered

    def compose(self) -> ComposeResult:
        """Title, the summary of the diff, the answers."""
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(id="distribute-summary"):
                yield Static(self.summary, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    "Place the files (p)", id=DistributeChoice.PLACE, variant="warning",
                    compact=True,
                )  # fmt: skip
                if self.restarts:
                    yield Button(
                        "Place and restart (r)", id=DistributeChoice.RESTART, variant="error",
                        compact=True,
                    )  # fmt: skip
                yield Button(
                    "Cancel (n)", id=DistributeChoice.CANCEL, variant="primary", compact=True
                )

    def on_mount(self) -> None:
        """The answer that changes nothing has the focus."""
        self.query_one(f"#{DistributeChoice.CANCEL}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(DistributeChoice(event.button.id or DistributeChoice.CANCEL))

    def action_answer(self, answer: str) -> None:
        """Close with this answer (r only when restarts are offered)."""
        if answer == DistributeChoice.RESTART and not self.restarts:
            return
        self.dismiss(DistributeChoice(answer))
