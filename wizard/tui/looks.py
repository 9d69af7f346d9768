"""The TUI's colours for the marks of `wizard.marks`: one table from tone to theme colour."""

from __future__ import annotations

from textual.content import Content

from wizard.marks import Tone, mark_of

__all__ = ["TONE_COLOURS", "colour_name", "marked", "style", "text_style"]

TONE_COLOURS: dict[Tone, str] = {
    "bad": "error",
    "caution": "warning",
    "good": "success",
    "info": "primary",
    "quiet": "text-muted",
}
"""The theme colour (its variable's name) of each tone."""


def colour_name(word: str) -> str:
    """The theme colour's name for a severity or status word, e.g. `error`."""
    return TONE_COLOURS[mark_of(word).tone]


def style(word: str) -> str:
    """The theme colour of a word as a style, e.g. `$error` (symbols, bars)."""
    return f"${colour_name(word)}"


def text_style(word: str) -> str:
    """The readable text variant, e.g. `$text-error` (words on the background)."""
    name = colour_name(word)
    return f"${name}" if name.startswith("text-") else f"$text-{name}"


def marked(word: str, text: str | None = None, *, readable: bool = False) -> Content:
    """`✗ error` (or `✗ <text>`) in the word's colour."""
    mark = mark_of(word)
    colour = text_style(word) if readable else style(word)
    return Content.from_markup(
        f"[{colour}]$symbol $text[/]", symbol=mark.symbol, text=mark.word if text is None else text
    )
