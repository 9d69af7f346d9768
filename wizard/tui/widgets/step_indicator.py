"""The line at the top that says which of the five steps you are on, and which are done."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from wizard.tui.state import STEP_TITLES
from wizard.tui.widgets.fields import StyledWhenMounted


class StepLabel(StyledWhenMounted, Static):
    """One step's label: a symbol (✓ done, ● here, ○ not done), its number and its title."""

    def __init__(self, step: int, current: int) -> None:
        super().__init__(classes="step-label", markup=False)
        self.step = step
        self.current = current
        self.tooltip = f"go to step {step}: {STEP_TITLES[step - 1]}"
        self.show_done(step < current)

    def show_done(self, done: bool) -> None:
        """Mark the step: ● when it is the current one, else ✓ when done, ○ when not."""
        if self.step == self.current:
            symbol, state = "●", "-current"
        elif done:
            symbol, state = "✓", "-done"
        else:
            symbol, state = "○", "-ahead"
        self.update(Content(f" {symbol} {self.step} {STEP_TITLES[self.step - 1]} "))
        for name in ("-current", "-done", "-ahead"):
            self.set_class(name == state, name)

    def on_click(self, event: events.Click) -> None:
        """Ask to go to this step (the app checks the steps in between)."""
        event.stop()
        self.post_message(StepIndicator.Selected(self.step))


class StepIndicator(Horizontal):
    """`✓ 1 Addresses › ● 2 Identity › ○ 3 Preview …`; clicking a step goes there."""

    class Selected(Message):
        """The user clicked a step."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self, current: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.current = current

    def show_done(self, done: set[int]) -> None:
        """Mark the steps finished (✓) and those not (○)."""
        for label in self.query(StepLabel):
            label.show_done(label.step in done)

    def compose(self) -> ComposeResult:
        """The app's name, then the five steps."""
        yield Static("k8s-cert-wizard", classes="app-name")
        for step in range(1, len(STEP_TITLES) + 1):
            if step > 1:
                yield Static("›", classes="step-sep")
            yield StepLabel(step, self.current)
