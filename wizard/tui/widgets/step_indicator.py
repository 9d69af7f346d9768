"""The line at the top that says which of the five steps you are on, and which are done."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from wizard.tui.state import STEP_TITLES
from wizard.tui.widgets.fields import StyledWhenMounted

APP_NAME = " k8s-cert-wizard "
"""Shown before the steps, except on a narrow screen."""
SEPARATOR = "›"


def step_label(step: int, symbol: str) -> str:
    """` ● 2 Identity `: one step as the indicator shows it."""
    return f" {symbol} {step} {STEP_TITLES[step - 1]} "


class StepIndicator(StyledWhenMounted, Widget):
    """`✓ 1 Addresses › ● 2 Identity › ○ 3 Preview …`; clicking a step goes there.

    One widget that renders the whole line (eleven widgets before: a label per step and a
    separator between): each step's colours come from its component class, a click is
    matched to a step by its offset in the line.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "step-indicator--name",
        "step-indicator--current",
        "step-indicator--done",
        "step-indicator--ahead",
        "step-indicator--separator",
        "step-indicator--hover",
    }

    hovered: reactive[int | None] = reactive(None)
    """The step under the mouse (underlined), if any."""

    class Selected(Message):
        """The user clicked a step."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self, current: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.current = current
        self.done: frozenset[int] = frozenset(range(1, current))

    def show_done(self, done: set[int]) -> None:
        """Mark the steps finished (✓) and those not (○)."""
        if frozenset(done) != self.done:
            self.done = frozenset(done)
            self.refresh()

    def state_of(self, step: int) -> str:
        """`current`, `done` or `ahead`: how a step is shown."""
        if step == self.current:
            return "current"
        return "done" if step in self.done else "ahead"

    def symbol_of(self, step: int) -> str:
        """● the current step, ✓ a step done, ○ one not done."""
        return {"current": "●", "done": "✓", "ahead": "○"}[self.state_of(step)]

    @property
    def shows_name(self) -> bool:
        """The app's name is left out on a narrow screen."""
        return not self.screen.has_class("-narrow")

    def spans(self) -> list[tuple[int, int, int | None]]:
        """(start, end, step) of each piece of the line, left to right; step None for the
        app's name and the separators."""
        pieces: list[tuple[int, int, int | None]] = []
        offset = 0
        if self.shows_name:
            pieces.append((0, len(APP_NAME), None))
            offset = len(APP_NAME)
        for step in range(1, len(STEP_TITLES) + 1):
            if step > 1:
                pieces.append((offset, offset + len(SEPARATOR), None))
                offset += len(SEPARATOR)
            width = len(step_label(step, self.symbol_of(step)))
            pieces.append((offset, offset + width, step))
            offset += width
        return pieces

    def step_at(self, x: int) -> int | None:
        """The step whose label is at column `x`, if any."""
        return next((step for start, end, step in self.spans() if start <= x < end), None)

    def tooltip_of(self, step: int) -> str:
        """What the mouse over a step says."""
        return f"go to step {step}: {STEP_TITLES[step - 1]}"

    def piece_style(self, name: str) -> Style:
        """The style of a component class over the bar's background, its text colour laid over
        its background (as a widget with that background and colour draws it: `$text` and
        `$text-muted` are translucent)."""
        style = self.get_visual_style(f"step-indicator--{name}")
        if style.background is not None and style.foreground is not None:
            style += Style(foreground=style.background + style.foreground)
        return style

    def render(self) -> Content:
        """The app's name, then the five steps with ● ✓ ○."""
        parts: list[tuple[str, Style]] = []
        if self.shows_name:
            parts.append((APP_NAME, self.piece_style("name")))
        separator = self.piece_style("separator")
        hover = self.piece_style("hover")
        for step in range(1, len(STEP_TITLES) + 1):
            if step > 1:
                parts.append((SEPARATOR, separator))
            style = self.piece_style(self.state_of(step))
            if step == self.hovered:
                style += hover
            parts.append((step_label(step, self.symbol_of(step)), style))
        return Content.assemble(*parts)

    def watch_hovered(self, step: int | None) -> None:
        """Underline the step under the mouse and say where a click goes."""
        self.tooltip = self.tooltip_of(step) if step is not None else None
        self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Follow the mouse from step to step."""
        self.hovered = self.step_at(event.x)

    def on_leave(self, _event: events.Leave) -> None:
        """No step is under the mouse."""
        self.hovered = None

    def on_click(self, event: events.Click) -> None:
        """Ask to go to the step clicked (the app checks the steps in between)."""
        step = self.step_at(event.x)
        if step is not None:
            event.stop()
            self.post_message(self.Selected(step))
