"""A yes/no question, and the quit question, as modal dialogs."""

from __future__ import annotations

from enum import StrEnum

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDialog(ModalScreen[bool]):
    """Ask a question; dismisses with True (yes) or False (no, Escape)."""

    CSS_PATH = "../dialogs.tcss"  # the dialogs' rules: not parsed for step 1

    BINDINGS = [
        Binding("escape", "answer(False)", "Cancel"),
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n", "answer(False)", "No", show=False),
    ]

    def __init__(self, title: str, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        """Title, question, the two buttons."""
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error", compact=True)
                yield Button(f"{self.no} (n)", id="no", variant="primary", compact=True)

    def on_mount(self) -> None:
        """The safe answer has the focus."""
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """Close with this answer."""
        self.dismiss(answer)


class QuitChoice(StrEnum):
    """What the quit dialog was answered with."""

    SAVE = "save"
    QUIT = "quit"
    STAY = "stay"


class QuitDialog(ModalScreen[QuitChoice]):
    """Quit with unsaved answers: save and quit, quit without saving, or stay (Escape)."""

    CSS_PATH = "../dialogs.tcss"  # the dialogs' rules: not parsed for step 1

    BINDINGS = [
        Binding("escape", "answer('stay')", "Stay"),
        Binding("s", "answer('save')", "Save and quit", show=False),
        Binding("q", "answer('quit')", "Quit without saving", show=False),
        Binding("n", "answer('stay')", "Stay", show=False),
    ]

    def __init__(self, question: str, save_label: str = "Save and quit") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.save_label = save_label

    def compose(self) -> ComposeResult:
        """Title, question, three buttons."""
        with Vertical(classes="dialog"):
            yield Static("Quit?", classes="dialog-title", markup=False)
            yield Static(self.question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self.save_label} (s)", id=QuitChoice.SAVE, variant="success", compact=True
                )
                yield Button(
                    "Quit without saving (q)", id=QuitChoice.QUIT, variant="error", compact=True
                )
                yield Button("Stay (n)", id=QuitChoice.STAY, variant="primary", compact=True)

    def on_mount(self) -> None:
        """Saving has the focus: it loses nothing."""
        self.query_one(f"#{QuitChoice.SAVE}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(QuitChoice(event.button.id or QuitChoice.STAY))

    def action_answer(self, answer: str) -> None:
        """Close with this answer."""
        self.dismiss(QuitChoice(answer))
