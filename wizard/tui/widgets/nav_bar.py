"""The bar above the footer: Back, a status line, the cluster file, Next."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button

from wizard.tui.paths import elide_path
from wizard.tui.widgets.fields import Note, StyledWhenMounted

UNSAVED = " ● unsaved"
"""Said after the cluster file's name while the answers differ from it; never cut."""

NO_FILE = "no cluster file yet"

FILE_SHARE = 0.3
"""The most of the bar's width the cluster file's label takes: the status comes first."""

MIN_FILE_WIDTH = 14
"""The narrowest the file's label gets (`…/cluster.toml`)."""


class NavButton(StyledWhenMounted, Button, inherit_css=False):
    """Back or Next: a compact Button styled by its own rules — Button's for the compact
    default and primary kinds, in the same order, without the borders a compact button never
    draws or the ANSI-colour variants the wizard never runs in (Button's 7 KB of CSS for every
    kind is not parsed before step 1's first frame). Its variant and style classes, set as it
    is built, style it once it is mounted, not three times before."""

    DEFAULT_CSS = """
    NavButton {
        width: auto;
        min-width: 16;
        height: auto;
        line-pad: 1;
        text-align: center;
        content-align: center middle;
        pointer: pointer;
        text-style: bold;
        color: $button-foreground;
        background: $surface;
        border: none;
        &:disabled {
            text-opacity: 0.6;
            pointer: not-allowed;
        }
        &:focus {
            text-style: $button-focus-text-style;
            background-tint: $foreground 5%;
        }
        &:hover {
            background: $surface-darken-1;
        }
        &.-active {
            background: $surface;
            tint: $background 30%;
        }
        &.-primary {
            color: $button-color-foreground;
            background: $primary;
            &:hover {
                background: $primary-darken-2;
            }
            &.-active {
                background: $primary;
            }
        }
    }
    """


class NavBar(Horizontal):
    """Back and Next buttons around the status (what blocks Next, what just happened) and the
    cluster file. The status wraps onto a second line rather than lose its end; the file's path
    is cut in the middle so that `● unsaved` always shows."""

    def __init__(
        self, *, first: bool = False, last: bool = False, next_label: str = "Next"
    ) -> None:
        super().__init__(id="nav")
        self.first = first
        self.last = last
        self.next_label = next_label
        self._file = ("", False)

    def compose(self) -> ComposeResult:
        """Back, status, file, Next."""
        yield NavButton("◀ Back", id="back", compact=True, disabled=self.first)
        yield Note("", id="nav-status")
        yield Note("", id="nav-file")
        yield NavButton(
            f"{self.next_label} ▶", id="next", compact=True, variant="primary", disabled=self.last
        )

    def set_status(self, content: Content | str, tooltip: str = "") -> None:
        """Show a status line (plain text or styled content); the tooltip may say more."""
        status = self.query_one("#nav-status", Note)
        status.say(content)
        status.tooltip = tooltip or None

    @property
    def status_text(self) -> str:
        """The status as shown, in plain text."""
        return self.query_one("#nav-status", Note).visual_text

    def set_file(self, text: str, dirty: bool) -> None:
        """Show the cluster file's name (`""`: none yet) and whether the answers are saved."""
        self._file = (text, dirty)
        self._show_file()

    def on_resize(self, _event: events.Resize) -> None:
        """Cut the file's path again for the new width."""
        self._show_file()

    def file_width(self) -> int:
        """The cells the file's label may take at the bar's width (the terminal's, before the
        first layout)."""
        width = self.size.width or self.app.size.width
        return max(MIN_FILE_WIDTH, int(width * FILE_SHARE))

    def _show_file(self) -> None:
        path, dirty = self._file
        label = self.query_one("#nav-file", Note)
        label.set_class(dirty, "-dirty")
        if not path:
            label.say(UNSAVED.strip() if dirty else NO_FILE)
            label.tooltip = f"{NO_FILE} — ctrl+s saves the answers to one"
            return
        suffix = UNSAVED if dirty else ""
        shown = elide_path(path, self.file_width() - 2 - len(suffix))  # 2: the label's padding
        label.say(f"{shown}{suffix}")
        label.tooltip = path if shown != path else None
