"""Text fields and the notes under them."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Input, Select, Static
from textual.widgets._select import SelectType

MAX_FIELD_LENGTH = 1000
"""The longest text a field takes (no answer comes near it; a DNS name stops at 253). Every
change revalidates the answers, so a 100 KB paste would be checked, shown and saved whole."""


class StyledWhenMounted:
    """A widget (or screen) not styled before it is mounted: Textual styles a widget (and, for
    an Input, four parts of it) whenever a class changes, even while it is still being built,
    and again when it is mounted. Mounting alone styles it, with its siblings from a shared
    cache."""

    def update_node_styles(self, animate: bool = True) -> None:
        """Restyle, once the widget is in the DOM (`parent` is set from mounting on)."""
        if self.parent is not None:  # type: ignore[attr-defined]
            super().update_node_styles(animate)  # type: ignore[misc]


class TextField(StyledWhenMounted, Input):
    """A compact Input, at most MAX_FIELD_LENGTH long, whose cursor stays still in headless
    runs, so screenshots are stable. ↓ and ↑ go to the next and previous field (in a scrolling
    step they scrolled the page away from the field being typed in)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "focus_next_field", "Next field", show=False),
        Binding("up", "focus_previous_field", "Previous field", show=False),
    ]

    def __init__(self, value: str = "", **kwargs: object) -> None:
        kwargs.setdefault("compact", True)
        kwargs.setdefault("max_length", MAX_FIELD_LENGTH)
        super().__init__(value, **kwargs)  # type: ignore[arg-type]

    def _on_paste(self, event: events.Paste) -> None:
        """A paste that would pass the limit is cut to it, and the field says so (Textual's
        Input would refuse it whole, with only a bell)."""
        line = event.text.splitlines()[0] if event.text else ""
        start, end = sorted(self.selection)
        room = self.max_length - (len(self.value) - (end - start)) if self.max_length else None
        if room is None or len(line) <= room:
            return  # Input's own paste
        event.prevent_default()
        event.stop()
        self.replace(line[: max(0, room)], start, end)
        self.notify(
            f"pasted {len(line):,} characters; a field takes at most {self.max_length:,}, "
            f"so the rest was left out",
            title="Paste cut",
            severity="warning",
        )

    def action_focus_next_field(self) -> None:
        """↓: the next field."""
        self.screen.focus_next()

    def action_focus_previous_field(self) -> None:
        """↑: the previous field."""
        self.screen.focus_previous()

    def on_mount(self) -> None:
        """Freeze the cursor blink under `run_test` and screenshot scripts."""
        if self.app.is_headless:
            self.cursor_blink = False


class Note(StyledWhenMounted, Static):
    """A Static that redraws only when what it says changes (fields revalidate on every key)."""

    def __init__(
        self, content: Content | str = "", *, fixed: bool = False, **kwargs: object
    ) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)  # type: ignore[arg-type]
        self._said: object = None
        self.fixed = fixed

    def say(self, content: Content | str) -> None:
        """Show this content, unless it is already shown.

        A `fixed` note (its size set by CSS, e.g. one line) redraws without a layout pass.
        """
        key = (content.plain, tuple(content.spans)) if isinstance(content, Content) else content
        if key != self._said:
            self._said = key
            self.update(content, layout=not self.fixed)

    @property
    def visual_text(self) -> str:
        """What the note says, in plain text."""
        content = self.visual
        return content.plain if isinstance(content, Content) else str(content)


NARROW_ARROWS = {"down-arrow": "▾", "up-arrow": "▴"}
"""The open/closed marks of a dropdown. Textual's ▼ ▲ are East Asian "ambiguous" width: a
terminal that draws them two cells wide (CJK locales, some tmux settings) shifts the rest of
the line and leaves a stray glyph when the list closes; ▾ ▴ are narrow everywhere."""


class Dropdown(Select[SelectType]):
    """A Select whose arrows are one cell wide in every terminal."""

    def on_mount(self) -> None:
        """Swap the arrows."""
        for name, arrow in NARROW_ARROWS.items():
            for mark in self.query(f".{name}").results(Static):
                mark.update(arrow)
