"""Text fields and the notes under them."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Input, Static


class TextField(Input):
    """A compact Input whose cursor stays still in headless runs, so screenshots are stable."""

    def __init__(self, value: str = "", **kwargs: object) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(value, **kwargs)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        """Freeze the cursor blink under `run_test` and screenshot scripts."""
        if self.app.is_headless:
            self.cursor_blink = False


class Note(Static):
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
