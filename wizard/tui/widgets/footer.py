"""Textual's Footer, built once its screen's focus is set and again only when its keys change."""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.widgets import Footer


class KeysFooter(Footer):
    """A Footer that rebuilds its keys only when what it would show changes, and that its
    screen can fill before the first frame (`show_keys`).

    Textual's Footer is empty until the screen first says its bindings changed (after its first
    frame: a second layout of the whole screen), then throws its keys away and makes new ones
    whenever they may have changed (every focus change): three sets of the same keys on a
    step's first showing.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: Hashable = None

    def shown_keys(self) -> Hashable:
        """What the footer shows: each key it lists, whether it is enabled and its tooltip;
        None before the bindings are ready."""
        if not self._bindings_ready or not self.is_attached:
            return None
        return (
            tuple(
                (binding.key, binding.action, binding.description, binding.group, enabled, tip)
                for (_node, binding, enabled, tip) in self.screen.active_bindings.values()
                if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
            ),
            self.show_command_palette,
            self.compact,
        )

    def compose(self) -> ComposeResult:
        """Textual's keys, remembered so that the same keys are not built again."""
        self._shown = self.shown_keys()
        yield from super().compose()

    async def show_keys(self) -> None:
        """Show the keys now: the screen calls it once its focus is set, before its first
        frame."""
        self.set_reactive(Footer._bindings_ready, True)
        # As if from the footer's own message loop, where Textual recomposes it: the keys it
        # makes bind their `compact` to the footer that is active
        with self._context():
            await self.recompose()

    async def recompose(self) -> None:
        """Rebuild the keys, unless they would be the same."""
        if self.is_attached and self.shown_keys() == self._shown:
            return
        await super().recompose()
