"""AppBase.add_default_css: the default CSS of a step's widgets is added before any is mounted,
as Textual would add it, so that step 1's first frame parses each source once."""

from __future__ import annotations

from collections import Counter

import pytest
from textual.app import App
from textual.css.stylesheet import Stylesheet

from tests.tui.wizard_pilot import wizard
from wizard.tui.app_base import AppBase
from wizard.tui.screens.addresses import AddressesScreen
from wizard.tui.widgets.host_list import HostField, HostRow


def _source_keys(app: App) -> dict[tuple[str, str], tuple[str, int, str]]:
    return {
        read_from: (source.content, source.tie_breaker, source.scope)
        for read_from, source in app.stylesheet.source.items()
        if read_from[1].endswith(".DEFAULT_CSS")
    }


async def test_it_adds_what_textual_adds_for_the_same_types() -> None:
    """Same places, CSS, depth and scope as Textual's own (a type's widget mounted): only its
    timing differs — else sources would be doubled or ranked apart."""
    types = (HostField, HostRow)

    class Mounted(App[None]):
        def compose(self):  # noqa: ANN202
            yield HostRow("etcd", "10.0.0.1", editing=True)

    class Added(AppBase[None]):
        def on_load(self) -> None:
            self.add_default_css(types)

    mounted, added = Mounted(), Added()
    async with mounted.run_test():
        by_textual = _source_keys(mounted)
    async with added.run_test():
        ours = _source_keys(added)
    bases = {f"{b.__name__}.DEFAULT_CSS" for t in types for b in t._css_bases(t)}
    ours = {key: value for key, value in ours.items() if key[1] in bases}  # not the Apps' own
    assert ours.keys() <= by_textual.keys()  # no source of a place Textual does not use
    for read_from, value in ours.items():
        assert by_textual[read_from] == value, read_from
    assert {"Input.DEFAULT_CSS", "Widget.DEFAULT_CSS"} <= {read_from[1] for read_from in ours}


async def test_step_one_parses_each_default_css_once_before_its_first_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the sources added up front, a base's CSS is parsed again each time a deeper
    subclass is mounted (Input's twice, Widget's four times: 2.9 ms before the first frame),
    and the stylesheet is rebuilt for each type mounted late. When this fails, a type step 1
    mounts is missing from AddressesScreen.MOUNTS (or StepScreen.MOUNTS)."""
    parses: list[int] = []
    parse = Stylesheet.parse

    def counted(self: Stylesheet) -> None:
        parses.append(len(self.source))
        parse(self)

    monkeypatch.setattr(Stylesheet, "parse", counted)
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, AddressesScreen)
        cached = app.stylesheet._parse_cache.keys()  # (css, place, default?, depth, scope)
        parsed = Counter(key[1] for key in cached)
        twice = {read_from[1]: n for read_from, n in parsed.items() if n > 1}
        assert twice == {}, twice
        assert len(parses) == 1, parses  # every source there the first time
