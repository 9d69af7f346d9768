"""The doctor's face on the review screen: a box to paste an error text (one line or a whole
`journalctl` excerpt), the diagnosis under it, and the matched files handed back so the review
table highlights them. The diagnosis is wizard.doctor's, over the review already on screen."""

from __future__ import annotations

import os
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from wizard.doctor import MAX_INPUT_BYTES, Diagnosis, diagnose, unrecognised
from wizard.review.model import Review
from wizard.tui.screens.review.rows import Row


def matched_rows(rows: list[Row], review: Review, diagnoses: list[Diagnosis]) -> set[int]:
    """The indexes of the review's rows that a diagnosis names."""
    root = os.path.abspath(review.root)
    wanted = {m.path for d in diagnoses for m in d.matches}
    return {row.index for row in rows if os.path.join(root, row.record.path) in wanted}


def diagnosis_text(diagnoses: list[Diagnosis], root: str) -> str:
    """The diagnoses as plain lines, paths shown relative to the reviewed directory."""
    base = os.path.abspath(root) + os.sep
    lines: list[str] = []
    for number, diagnosis in enumerate(diagnoses, 1):
        lines.append(f"{number}. {diagnosis.what}")
        if not diagnosis.is_certificate_problem:
            lines.append("   not a certificate problem — no file to change")
        for match in diagnosis.matches:
            lines.append(f"   ▶ {match.path.removeprefix(base)}: {match.why}")
        if diagnosis.is_certificate_problem and not diagnosis.matches:
            lines.append("   no file here matches")
        lines.append(f"   looked for: {diagnosis.looked_for}")
        lines += [f"   fix: {step}" for step in diagnosis.fix]
        lines.append("")
    return "\n".join(lines).rstrip()


class DoctorDialog(ModalScreen[set[int] | None]):
    """Paste an error, read the diagnosis; closes with the rows to highlight (None: cancelled)."""

    CSS_PATH = "../dialogs.tcss"  # the dialogs' rules: not parsed for step 1

    DEFAULT_CSS = """
    #doctor-dialog {
        width: 100; max-width: 95%; height: 95%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #doctor-text { height: 5; margin-top: 1; }
    #doctor-result-scroll { height: 1fr; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "diagnose", "Diagnose"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, review: Review, rows: list[Row], config: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.review = review
        self.rows = rows
        self.config = config
        self.diagnoses: list[Diagnosis] = []

    def compose(self) -> ComposeResult:
        """Title, the paste box, the buttons, the diagnosis."""
        with Vertical(id="doctor-dialog"):  # not .dialog: this one takes most of the screen
            yield Static("Doctor: which file is this error about?", classes="dialog-title")
            yield Static(
                "Paste the error or the journalctl lines around it, then ctrl+r.",
                classes="dialog-text",
            )
            yield TextArea(id="doctor-text", soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Diagnose (ctrl+r)", id="diagnose", variant="primary", compact=True)
                yield Button("Show in table (esc)", id="close", compact=True)
            with VerticalScroll(id="doctor-result-scroll"):
                yield Static("", id="doctor-result", markup=False)

    def on_mount(self) -> None:
        """The paste box has the focus."""
        self.query_one("#doctor-text", TextArea).focus()

    @on(Button.Pressed, "#diagnose")
    def _diagnose_pressed(self) -> None:
        self.action_diagnose()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_diagnose(self) -> None:
        """Diagnose the pasted text against the review on screen."""
        text = self.query_one("#doctor-text", TextArea).text
        result = self.query_one("#doctor-result", Static)
        if not text.strip():
            result.update("Nothing pasted yet — paste the error line(s) into the box.")
            return
        if len(text.encode("utf-8", "replace")) > MAX_INPUT_BYTES:
            result.update("Over 1 MiB — paste the lines around the error only.")
            return
        self.diagnoses = diagnose(text, [self.review], self.config)
        if not self.diagnoses:
            result.update(unrecognised(text))
            return
        found = len(matched_rows(self.rows, self.review, self.diagnoses))
        summary = (
            f"{found} file(s) highlighted in the table when you close this"
            if found
            else "no file of this directory to highlight"
        )
        result.update(Content(f"{summary}\n\n{diagnosis_text(self.diagnoses, self.review.root)}"))

    def action_close(self) -> None:
        """Back to the table, with the matched rows to highlight."""
        self.dismiss(matched_rows(self.rows, self.review, self.diagnoses))
