"""WordGrid: a Rich renderable of rows of cells in columns that never splits a word (a flag, a
file name), for the tables of Learn the layout."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.text import Text

from wizard.tui.widgets.wrapping import WORD, word_breaks

__all__ = ["WordGrid", "longest_word", "widest_line", "wrap_words", "wrapped"]


def longest_word(text: Text) -> int:
    """The width of the longest piece of `text` that wrap_words never breaks."""
    return max((cell_len(word) for word in WORD.findall(text.plain)), default=0)


def widest_line(text: Text) -> int:
    """The width of the longest line of `text`, unwrapped."""
    return max(cell_len(line) for line in text.plain.split("\n"))


def wrap_words(text: Text, width: int) -> list[Text]:
    """Lines of `text` no wider than `width`, broken only between words or CJK characters
    (see wizard.tui.widgets.wrapping)."""
    lines: list[Text] = []
    for paragraph in text.split("\n", allow_blank=True):
        for line in paragraph.divide(word_breaks(paragraph.plain, width)):
            line.rstrip()
            lines.append(line)
    return lines


class WordGrid:
    """Rows of cells in columns, each column at least as wide as its longest word, so that no
    flag or file name is ever split across lines.

    When the width cannot hold every column's longest word side by side (even without the
    indent), each row is stacked instead: its first `lead` cells on a line, then each other cell
    under it, after its header.
    """

    def __init__(
        self,
        rows: Sequence[Sequence[Text | str]],
        *,
        headers: Sequence[str] = (),
        styles: Sequence[str] = (),
        indent: int = 0,
        gap: int = 2,
        lead: int = 1,
    ) -> None:
        self.rows = [
            [Text(cell) if isinstance(cell, str) else cell for cell in row] for row in rows
        ]
        self.headers = [Text(header, style="bold") for header in headers]
        self.styles = list(styles)
        self.indent, self.gap, self.lead = indent, gap, lead

    def column_widths(self, width: int) -> tuple[int, list[int]] | None:
        """The indent and the column widths at this width, or None to stack the rows.

        Each column holds its longest word (the indent gives way first); the room left goes to
        the narrowest column that would use it, up to its widest line.
        """
        columns = list(zip(*([self.headers] if self.headers else []), *self.rows, strict=True))
        widths = [max(longest_word(cell) for cell in column) for column in columns]
        most = [max(widest_line(cell) for cell in column) for column in columns]
        needed = sum(widths) + self.gap * (len(columns) - 1)
        if needed > width:
            return None if len(columns) > self.lead else (0, [width])
        indent = min(self.indent, width - needed)
        spare = width - needed - indent
        growing = [index for index, least in enumerate(widths) if least < most[index]]
        while spare and growing:
            narrowest = min(growing, key=lambda index: widths[index])
            widths[narrowest] += 1
            spare -= 1
            if widths[narrowest] == most[narrowest]:
                growing.remove(narrowest)
        return indent, widths

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        """The grid, or the stacked rows, at the width the console gives."""
        layout = self.column_widths(options.max_width)
        lines = self._columns(*layout) if layout else self._stacked(options.max_width)
        yield Text("\n").join(lines)

    def _styled(self, row: list[Text], column: int) -> Text:
        """A copy of a cell in its column's style (under the cell's own styles)."""
        cell = row[column].copy()
        if column < len(self.styles):
            cell.stylize_before(self.styles[column])
        return cell

    def _columns(self, indent: int, widths: list[int]) -> list[Text]:
        lines: list[Text] = []
        rows = ([self.headers] if self.headers else []) + self.rows
        for number, row in enumerate(rows):
            header = bool(self.headers) and number == 0
            cells = [
                wrap_words(cell if header else self._styled(row, column), width)
                for column, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            for index in range(max(len(cell) for cell in cells)):
                line = Text(" " * indent)
                for column, (cell, width) in enumerate(zip(cells, widths, strict=True)):
                    part = cell[index] if index < len(cell) else Text()
                    line.append_text(part)
                    if column < len(widths) - 1:
                        line.append(" " * (width - part.cell_len + self.gap))
                lines.append(line)
            if header:
                rule = sum(widths) + self.gap * (len(widths) - 1)
                lines.append(Text(" " * indent + "─" * rule, style="dim"))
        return lines

    def _stacked(self, width: int) -> list[Text]:
        label = max((header.cell_len for header in self.headers[self.lead :]), default=0)
        hang = 2 + label + 2  # where the values start: after the headers, or 4 in
        lines: list[Text] = []
        for row in self.rows:
            if lines and self.headers:
                lines.append(Text())
            heading = Text(" ").join(self._styled(row, column) for column in range(self.lead))
            if self.headers:
                heading.stylize("bold")
            lines += wrap_words(heading, width)
            for column in range(self.lead, len(row)):
                value = wrap_words(self._styled(row, column), max(width - hang, 1))
                for number, line in enumerate(value):
                    prefix = Text("  ")
                    if number == 0 and self.headers:
                        prefix.append_text(self.headers[column])
                    prefix.pad_right(hang - prefix.cell_len)
                    lines.append(prefix + line)
        return lines


def wrapped(text: Text | str) -> WordGrid:
    """A paragraph wrapped between words only (see wrap_words)."""
    return WordGrid([[text]])
