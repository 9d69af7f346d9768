"""Text whose wrapped rows go on under the line's value, not back at column 0."""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

from wizard.tui.widgets.wrapping import word_breaks

__all__ = ["HangingIndent", "wrap"]


def wrap(content: Content, width: int) -> list[Content]:
    """`content` in rows at most `width` cells wide, broken between words or CJK characters
    only (a flag or a file name stays whole unless it is wider than the row)."""
    rows: list[Content] = []
    for paragraph in content.split("\n", allow_blank=True):
        parts = paragraph.divide(word_breaks(paragraph.plain, width)) if paragraph else [paragraph]
        rows += [part.rstrip() for part in parts]
    return rows


class HangingIndent(Visual):
    """Lines whose wrapped rows start under the line's value instead of back at column 0,
    broken between words or CJK characters (see `wrap`).

    Each line comes with its hang: where its value starts (after its label or key,
    `  files     ` or `n  `), in characters. The first row shows the whole line; the rows it
    wraps onto are indented as wide as that label.
    """

    def __init__(self, lines: Iterable[tuple[Content, int]]) -> None:
        self.lines = list(lines)

    def __str__(self) -> str:
        return "\n".join(line.plain for line, _ in self.lines)

    def wrapped(self, width: int) -> Content:
        """The lines wrapped at `width`, each continuation under its value."""
        rows: list[Content] = []
        for line, hang in self.lines:
            label = line[:hang]
            while hang and label.cell_length > width // 2:  # keep room for the value
                hang -= 1
                label = line[:hang]
            indent = label.cell_length
            value = wrap(line[hang:], max(width - indent, 1)) or [Content()]
            rows.append(label + value[0])
            rows += [Content(" " * indent) + row for row in value[1:]]
        return Content("\n").join(rows)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        """Draw the wrapped lines (part of the Visual protocol)."""
        return self.wrapped(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        """The widest line, unwrapped."""
        return max((line.cell_length for line, _ in self.lines), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        """How many rows the lines take at `width`."""
        return self.wrapped(width).get_height(rules, width)
