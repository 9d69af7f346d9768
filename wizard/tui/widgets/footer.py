"""Textual's Footer, built again only when the keys it shows change."""

from __future__ import annotations

from collections.abc import Hashable

from textual.widgets import Footer


class KeysFooter(Footer):
    """A Footer that rebuilds its keys only when what it would show changes.

    Textual's Footer throws its keys away and makes new ones whenever the screen's bindings may
    have changed (every focus change): three times on a step's first showing, for the same keys.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: Hashable = None

    def shown_keys(self) -> Hashable:
        """What the footer shows: each key it lists, whether it is enabled and its tooltip,
        and the theme's key names; None before the bindings are ready."""
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

    async def recompose(self) -> None:
        """Rebuild the keys, unless they would be the same."""
        shown = self.shown_keys()
        if shown is not None and shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
