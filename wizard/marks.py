"""The symbol and word of every severity and validity status, for both faces.

Colour never carries a meaning alone: each face shows a mark's symbol and word, and picks the
colour of its `tone` (the TUI in `wizard.tui.looks`, the CLI in its own styles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Tone = Literal["bad", "caution", "good", "info", "quiet"]
"""What a mark means to the reader, with no colour attached: a face maps each tone to one."""


@dataclass(frozen=True)
class Mark:
    """How one severity or status is shown: a symbol, a word, and the tone of its colour."""

    symbol: str
    word: str
    tone: Tone


MARKS: dict[str, Mark] = {
    # severities: review findings (error/warning/info) and the spec's problems (error/warning/note)
    "error": Mark("✗", "error", "bad"),
    "warning": Mark("⚠", "warning", "caution"),
    "info": Mark("i", "info", "info"),
    "note": Mark("ℹ", "note", "quiet"),
    # the validity of a certificate
    "valid": Mark("✓", "valid", "good"),
    "expiring": Mark("⚠", "expiring", "caution"),
    "expired": Mark("✗", "expired", "bad"),
    "not yet valid": Mark("✗", "not yet valid", "bad"),
    # a file that is not a certificate and has nothing wrong
    "ok": Mark("✓", "ok", "good"),
}
"""Every mark, by the word the domain uses."""

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2, "note": 2}
"""Worst first."""


def mark_of(word: str) -> Mark:
    """The mark of a severity or status word; an unknown word is shown as bad, never hidden."""
    return MARKS.get(word) or Mark("✗", word, "bad")
