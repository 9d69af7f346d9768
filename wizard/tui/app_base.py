"""What the three Apps share: theme, breakpoints, the help plumbing, a guarded input thread, and
the rule that an exception never ends an App quietly with status 0.

WizardApp, ReviewApp and LayoutApp (`wizard.tui.wizard_app`, `review_app`, `layout_app`) build
on `AppBase`.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, TypeVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.screen import Screen

from wizard.exit_codes import CRASH_EXIT
from wizard.spec import ClusterSpec, dump_spec

ReturnType = TypeVar("ReturnType")

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"
BREAKPOINTS: list[tuple[int, str]] = [(0, "-narrow"), (96, "-wide"), (140, "-xwide")]
"""Width classes every screen styles for: narrow (80 columns), wide, extra wide."""

MAX_PARSER_RESTARTS = 100
"""How many unreadable escape sequences the input thread survives before it gives up."""


class AppBase(App[ReturnType]):
    """An App with the wizard's theme and breakpoints, `toggle_theme`, and crash handling.

    When an exception ends the app, `crash_note` says so (and where `unsaved_answers` were put);
    the return code is `CRASH_EXIT`.
    """

    HORIZONTAL_BREAKPOINTS = BREAKPOINTS
    THEME_BINDING: ClassVar[BindingType] = Binding("ctrl+t", "toggle_theme", "Theme", show=False)

    def __init__(self) -> None:
        super().__init__()
        self.theme = DARK_THEME
        self.crash_note: str | None = None
        """Set when an exception ended the app: what happened and where the answers went."""
        self._crash_error: Exception | None = None
        self._crash_note_printed = False

    def breakpoint_classes(self, width: int | None = None) -> dict[str, bool]:
        """The width classes (`-narrow`, `-wide`, `-xwide`) a screen has at this width (the
        terminal's by default), as Textual sets them on a resize."""
        width = self.size.width if width is None else width
        chosen = next(
            (name for edge, name in sorted(BREAKPOINTS, reverse=True) if width >= edge), ""
        )
        return {name: name == chosen for _, name in BREAKPOINTS}

    def prime_breakpoints(self, screen: Screen) -> None:
        """Give a screen its width class before it is first drawn: Textual sets it on the
        screen's first resize, after a frame laid out for no width class (two columns at 80
        columns, for a blink)."""
        screen.update_classes(self.breakpoint_classes())

    def add_default_css(self, node_types: Iterable[type[DOMNode]]) -> None:
        """Add the default CSS of these widget (or screen) types and of their bases, as
        Textual does when it mounts the first widget of a type, before any is mounted.

        Textual keys a base's DEFAULT_CSS by how far below it the type that brought it is;
        each deeper subclass mounted later moves it down and the stylesheet parses it again
        (before step 1's first frame: Input's, Screen's and Widget's CSS parsed 2-4 times,
        2.9 ms). Added here for the deepest types first, every source is parsed once.
        """
        for node_type in node_types:
            for depth, base in enumerate(node_type._css_bases(node_type)):
                css = base.__dict__.get("DEFAULT_CSS", "")
                if not css:
                    continue
                try:
                    where = inspect.getfile(base)
                except (TypeError, OSError):
                    where = ""
                scoped = base.__dict__.get("SCOPED_CSS", True)
                self.stylesheet.add_source(
                    css,
                    read_from=(where, f"{base.__name__}.DEFAULT_CSS"),
                    is_default_css=True,
                    tie_breaker=-depth,
                    scope=base._css_type_name if scoped else "",
                )

    # --- theme ---

    def action_toggle_theme(self) -> None:
        """Switch between the light and the dark theme."""
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    # --- input: a terminal's odd escape sequences are ignored, not fatal ---

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, or on Linux/macOS the same driver with a guarded input thread."""
        driver = super().get_driver_class()
        if driver is LinuxDriver:
            return GuardedLinuxDriver
        return driver

    # --- crashes ---

    def unsaved_answers(self) -> tuple[ClusterSpec, Path | None] | None:
        """The answers to keep when the app crashes, and the file they came from (None: none)."""
        return None

    def _handle_exception(self, error: Exception) -> None:
        self._crash_error = error
        super()._handle_exception(error)  # the traceback (or panic, below), then our note
        self._note_crash(error)
        self._return_code = CRASH_EXIT

    def panic(self, *renderables: object) -> None:
        """Textual's panic (its input thread uses it) ends the app: treated as a crash."""
        super().panic(*renderables)  # type: ignore[arg-type]
        self._note_crash(self._crash_error)
        self._return_code = CRASH_EXIT

    def _note_crash(self, error: Exception | None) -> None:
        if self.crash_note is not None:
            return
        what = f"{type(error).__name__}: {error}" if error is not None else "an internal error"
        note = f"k8s-cert-wizard stopped on an internal error ({what})."
        try:
            kept = self.unsaved_answers()
        except Exception as failure:  # the state itself may be what broke
            kept = None
            note += f" The answers could not be read back ({failure})."
        if kept is not None:
            spec, source = kept
            try:
                path = save_aside(spec, source)
            except OSError as failure:
                note += f" The answers could not be saved aside: {failure}."
            else:
                note += f" Your answers are saved in {path}."
        self.crash_note = note

    def _print_error_renderables(self) -> None:
        """Textual prints the first error; the crash note comes after it, where it is seen."""
        super()._print_error_renderables()
        if self.crash_note is not None and not self._crash_note_printed:
            self._crash_note_printed = True
            self.error_console.print(self.crash_note, markup=False, highlight=False)


def save_aside(spec: ClusterSpec, source: Path | None, now: datetime | None = None) -> Path:
    """Write the answers to `<cluster file>.unsaved-<UTC time>` beside their cluster file (or
    `cluster.toml.unsaved-<time>` in the current folder), never over an existing file; the
    current folder when the cluster file's folder cannot be written. Returns the path."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    name = f"{source.name if source else 'cluster.toml'}.unsaved-{stamp}"
    text = dump_spec(spec)
    folders = [source.parent, Path.cwd()] if source is not None else [Path.cwd()]
    last: OSError | None = None
    for folder in folders:
        for attempt in range(1, 100):
            path = folder / (name if attempt == 1 else f"{name}-{attempt}")
            try:
                with path.open("x", encoding="utf-8") as handle:
                    handle.write(text)
            except FileExistsError:
                continue
            except OSError as error:
                last = error
                break
            return path
    raise last or OSError(f"no free name for {name}")


class GuardedLinuxDriver(LinuxDriver):
    """Textual's LinuxDriver whose input thread survives a sequence its parser cannot read.

    Textual 8.2.8 raises in its input thread on e.g. `ESC[9999999999u` (`chr()` of a code point
    out of range, in `XTermParser._parse_extended_key`), and the dying thread ends the app. Here
    the thread starts over with a new parser: the sequence (and what came with it in that read)
    is ignored and the next keys work.
    """

    def _run_input_thread(self) -> None:
        restarts = 0
        while True:
            try:
                self.run_input_thread()
                return
            except Exception:
                if self.exit_event.is_set() or restarts >= MAX_PARSER_RESTARTS:
                    raise_into_app(self)
                    return
                restarts += 1


def raise_into_app(driver: Driver) -> None:
    """Hand the input thread's exception to the app, as Textual's own driver does."""
    import rich.traceback

    traceback = rich.traceback.Traceback.from_exception(*sys.exc_info())
    driver._app.call_later(driver._app.panic, traceback)
