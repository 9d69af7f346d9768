"""The teaching screen on its own: LayoutApp (`k8s-cert-wizard layout --tui`)."""

from __future__ import annotations

from wizard.spec import ClusterSpec
from wizard.tui.app_base import AppBase


class LayoutApp(AppBase[None]):
    """The teaching screen on its own; closing it quits."""

    TITLE = "k8s-cert-wizard"
    CSS_PATH = ["wizard.tcss", "steps.tcss"]

    def __init__(self, spec: ClusterSpec | None = None, language: str = "en") -> None:
        super().__init__()
        self.layout_spec = spec
        self.layout_language = language

    def on_mount(self) -> None:
        """Open the screen; quit when it is closed."""
        from wizard.tui.screens.layout import LayoutScreen

        self.push_screen(
            LayoutScreen(self.layout_spec, self.layout_language), callback=self._screen_closed
        )

    def _screen_closed(self, _result: None) -> None:
        self.exit()


def make_layout_app(spec: ClusterSpec | None = None, language: str = "en") -> LayoutApp:
    """A small app hosting LayoutScreen: for tests, screenshots and a standalone run."""
    return LayoutApp(spec, language)
