"""The steps' footer: Textual's compact Footer with the keys drawn by one widget (`KeyRow`),
built once its screen's focus is set and again only when its keys change."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


@dataclass(frozen=True)
class ShownKey:
    """One key in the row: as a FooterKey has it."""

    key: str
    key_display: str
    description: str
    action: str
    disabled: bool
    tooltip: str


class KeyRow(Widget):
    """The footer's keys (all but the palette's) in one widget, each drawn as a compact
    FooterKey is (its key, a blank, its description; a blank after it in the footer's colours;
    dim when disabled, lit under the mouse). A click on a key presses it, as on a FooterKey.

    Eight FooterKeys cost ~25 ms to make, style, lay out and draw before step 1's first frame;
    one line of text a fraction of that."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "key-row--hover"}
    # FooterKey's rules for the compact footer; its :hover as a component class (one key lit)
    DEFAULT_CSS = """
    KeyRow {
        width: auto;
        height: 1;
        text-wrap: nowrap;
        background: $footer-item-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
            padding: 0;
        }
        .footer-key--description {
            padding: 0 0 0 1;
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-row--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
    }
    """

    def __init__(self, keys: list[ShownKey]) -> None:
        super().__init__()
        self.keys = keys
        self._hovered: int | None = None
        self.set_reactive(Widget.shrink, False)

    def spans(self) -> list[tuple[int, int]]:
        """Each key's first cell and the cell after its last, from the row's left edge (the
        blank after a key is not its own)."""
        spans, x = [], 0
        for shown in self.keys:
            width = cell_len(shown.key_display)
            if shown.description:
                width += 1 + cell_len(shown.description)
            spans.append((x, x + width))
            x += width + 1
        return spans

    def key_at(self, x: int) -> ShownKey | None:
        """The key drawn at cell `x` of the row, if any."""
        for shown, (start, end) in zip(self.keys, self.spans(), strict=True):
            if start <= x < end:
                return shown
        return None

    def render(self) -> Text:
        """The keys, each styled as its FooterKey would be."""
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        hover_style = self.get_component_rich_style("key-row--hover")
        text = Text()
        for index, shown in enumerate(self.keys):
            base = self.rich_style
            if index == self._hovered:
                base += hover_style
            if shown.disabled:
                base += Style(dim=True)
            if shown.description:
                part = Text.assemble(
                    (shown.key_display, key_style), (f" {shown.description}", description_style)
                )
            else:
                part = Text.assemble((shown.key_display, key_style))
            part.stylize_before(base)
            text.append_text(part)
            text.append(" ", self.rich_style)
        return text

    def _hover(self, x: int | None) -> None:
        shown = None if x is None else self.key_at(x)
        index = None if shown is None else self.keys.index(shown)
        if index != self._hovered:
            self._hovered = index
            self.tooltip = shown.tooltip if shown is not None and shown.tooltip else None
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Light the key under the mouse."""
        self._hover(event.x)

    def on_leave(self, _event: events.Leave) -> None:
        """No key lit once the mouse leaves."""
        self._hover(None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """Press the key clicked (a bell for a disabled one), as a FooterKey does."""
        shown = self.key_at(event.x)
        if shown is None:
            return
        if shown.disabled:
            self.app.bell()
        else:
            self.app.simulate_key(shown.key)


class KeysFooter(Footer):
    """A compact Footer whose keys are one `KeyRow` (the palette's key stays a FooterKey, docked
    right); it rebuilds them only when what it would show changes, and its screen can fill it
    before the first frame (`show_keys`).

    Textual's Footer is empty until the screen first says its bindings changed (after its first
    frame: a second layout of the whole screen), then throws its keys away and makes new ones
    whenever they may have changed (every focus change): three sets of the same keys on a
    step's first showing. The steps' bindings have no groups (a Footer would group them).
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(compact=True, **kwargs)  # type: ignore[arg-type]
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
        )

    def compose(self) -> ComposeResult:
        """The keys in a row (the first binding of each action, as a Footer shows), then the
        palette's key."""
        self._shown = self.shown_keys()
        if not self._bindings_ready:
            return
        active_bindings = self.screen.active_bindings
        keys: dict[str, ShownKey] = {}
        for _node, binding, enabled, tooltip in active_bindings.values():
            if binding.show and binding.action not in keys:
                keys[binding.action] = ShownKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    not enabled,
                    tooltip,
                )
        yield KeyRow(list(keys.values()))
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                _node, binding, enabled, _tooltip = palette
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes="-command-palette -compact",  # as Footer sets it: one styling
                    disabled=not enabled,
                    tooltip=binding.tooltip or binding.description,
                )

    async def show_keys(self) -> None:
        """Show the keys now: the screen calls it once its focus is set, before its first
        frame."""
        self.set_reactive(Footer._bindings_ready, True)
        # As if from the footer's own message loop, where Textual recomposes it
        with self._context():
            await self.recompose()

    async def recompose(self) -> None:
        """Rebuild the keys, unless they would be the same."""
        if self.is_attached and self.shown_keys() == self._shown:
            return
        await super().recompose()
