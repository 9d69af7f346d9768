"""What every step screen shares: the step indicator, the body, Back/Next and the footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from wizard.spec import Problem
from wizard.tui.paths import display_path
from wizard.tui.state import STEP_TITLES, WizardState, step_of_path
from wizard.tui.widgets.fields import Note, StyledWhenMounted
from wizard.tui.widgets.footer import KeyRow, KeysFooter
from wizard.tui.widgets.nav_bar import NavBar, NavButton
from wizard.tui.widgets.problems import ProblemList, count_words
from wizard.tui.widgets.step_indicator import StepIndicator

if TYPE_CHECKING:
    from wizard.tui.wizard_app import WizardApp


class StepScreen(StyledWhenMounted, Screen[None]):
    """A step of the wizard; subclasses fill `compose_body` and map problem paths to fields.

    Its width class, given before it is installed (`prime_breakpoints`), styles it once it
    is: not also before."""

    STEP: ClassVar[int] = 0
    NEXT_LABEL: ClassVar[str] = "Next"
    MOUNTS: ClassVar[tuple[type[DOMNode], ...]] = (
        StepIndicator, Container, NavBar, NavButton, Note, KeysFooter, KeyRow, FooterKey,
    )  # fmt: skip
    """The widget types the step mounts before its first frame (the wizard adds their default
    CSS up front: AppBase.add_default_css); a step adds its own to the chrome's."""

    def __init__(self) -> None:
        super().__init__()
        self._resumed = False

    @property
    def wizard(self) -> WizardApp:
        """The wizard app (typed)."""
        return self.app  # type: ignore[return-value]

    @property
    def state(self) -> WizardState:
        """The session's answers and results."""
        return self.wizard.state

    def compose(self) -> ComposeResult:
        """Indicator, body, navigation, footer."""
        yield StepIndicator(self.STEP, id="steps")
        with Container(id="body", classes=f"step-{self.STEP}"):
            yield from self.compose_body()
        yield NavBar(
            first=self.STEP == 1, last=len(STEP_TITLES) == self.STEP, next_label=self.NEXT_LABEL
        )
        yield KeysFooter()

    def compose_body(self) -> ComposeResult:
        """The step's own widgets."""
        yield from ()

    @property
    def running(self) -> bool:
        """True while the step does long work that must not be left (step 4's generation)."""
        return False

    def cancel(self) -> None:
        """Stop the step's long work, if any."""

    @property
    def nav(self) -> NavBar:
        """The Back/Next bar."""
        return self.query_one(NavBar)

    @on(events.Mount)
    async def _keys_before_first_frame(self) -> None:
        # The focus is set by now (Textual's auto focus runs as the screen is composed): the
        # footer shows the focused field's keys in the first frame, not in a second layout.
        await self.query_one(KeysFooter).show_keys()

    @on(events.ScreenResume)
    def _styled_when_mounted(self, event: events.ScreenResume) -> None:
        # Runs before Textual's own handler. On a step's first showing every widget was
        # styled as it was mounted, a moment before: styling the whole screen again doubled the
        # cost of its first frame. Later showings restyle (the theme may have changed since).
        # (So no step is styled by an order pseudo-class such as :first-child, whose result
        # would depend on how many times the screen was styled.)
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_screen_resume(self) -> None:
        """Show the cluster file's name and whether it is saved, and which steps are done."""
        self.show_spec_file()
        self.show_steps_done()

    def show_steps_done(self) -> None:
        """Mark in the step indicator the steps before this one finished (✓) and those not
        (○); the steps ahead are ○ until reached."""
        done = {step for step in range(1, self.STEP) if self.wizard.step_done(step)}
        self.query_one(StepIndicator).show_done(done)

    def show_spec_file(self) -> None:
        """Refresh the cluster file shown in the navigation bar."""
        path = self.state.spec_path
        self.nav.set_file(display_path(path) if path else "", self.state.dirty)

    def answers_changed(self) -> None:
        """Record an edit: the preview is out of date and the file may be unsaved."""
        self.state.touch()
        self.show_spec_file()

    async def sync_from_spec(self) -> None:
        """Show the answers again after a cluster file was loaded."""

    def answer_errors(self) -> list[Problem]:
        """The errors of the answers (a bad cluster file, say): while one remains, the later
        steps plan, write and read nothing, and say so instead."""
        return [p for p in self.state.problems() if p.severity == "error"]

    def errors_message(self, errors: list[Problem]) -> str:
        """`2 errors in the answers (step 2), first profile: … — fix them first (ctrl+b)`:
        the first error of the earliest step, where the fixing starts."""
        word = f"{len(errors)} error{'' if len(errors) == 1 else 's'}"
        first = min(errors, key=lambda problem: step_of_path(problem.path))
        steps = sorted({step_of_path(problem.path) for problem in errors})
        where = " and ".join(str(step) for step in steps)
        return (
            f"{word} in the answers (step{'s' if len(steps) > 1 else ''} {where}), first "
            f"{first} — fix them first (ctrl+b)"
        )

    def field_for(self, path: str) -> Widget | None:
        """The widget where the problem with this path is fixed."""
        return None

    def message_for(self, path: str) -> Widget | None:
        """The widget that says the problem with this path beside its field (None: the field
        says it itself)."""
        return None

    def show_blocked(self, errors: list[Problem]) -> None:
        """Say in a few words what blocks leaving this step (the whole first error is the
        status's tooltip, and shown beside its field), put the focus on that field and scroll
        the field and its message into view."""
        problem = errors[0]
        word = f"{len(errors)} error{'' if len(errors) == 1 else 's'}"
        self.set_status(
            Content.from_markup("[$error]✗ $n[/]: fix $path", n=word, path=problem.path),
            tooltip=str(problem),
        )
        widget = self.field_for(problem.path)
        if widget is not None:
            widget.focus(scroll_visible=False)
            self.reveal(widget, self.message_for(problem.path))

    def reveal(self, field: Widget, message: Widget | None = None) -> None:
        """Scroll `field` and the message under it into view, once the layout is current (a
        screen just switched to, or a note just filled, has not been laid out yet): the
        message first, then the field, so the field wins when both do not fit."""

        def scroll() -> None:
            if message is not None and message.display:
                message.scroll_visible(animate=False, immediate=True)
            field.scroll_visible(animate=False, immediate=True)

        self.call_after_refresh(scroll)

    def report_checks(
        self, problems: list[Problem], count_id: str, list_id: str, ready: str
    ) -> None:
        """Show the step's problems in its summary and say in the bar whether Next may go on."""
        self.query_one(count_id, Note).say(Content("Checks  ") + count_words(problems))
        self.query_one(list_id, ProblemList).show(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        if errors:
            word = f"{errors} error{'' if errors == 1 else 's'}"
            self.set_status(Content.from_markup("[$error]✗[/] $n to fix before Next", n=word))
        else:
            self.set_status(Content.from_markup("[$success]✓[/] $what — Next (ctrl+n)", what=ready))

    def set_status(self, content: Content | str, tooltip: str = "") -> None:
        """Show a line in the navigation bar; the tooltip may say more."""
        self.nav.set_status(content, tooltip)

    @on(Button.Pressed, "#back")
    async def _back(self, event: Button.Pressed) -> None:
        event.stop()
        await self.wizard.action_back()

    @on(Button.Pressed, "#next")
    async def _next(self, event: Button.Pressed) -> None:
        event.stop()
        await self.wizard.action_next()

    @on(StepIndicator.Selected)
    async def _step_clicked(self, event: StepIndicator.Selected) -> None:
        event.stop()
        await self.wizard.goto(event.step)
