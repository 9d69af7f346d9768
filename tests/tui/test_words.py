"""The wizard's words: the real problem named, the node named, "extra" described, F2 saying
what it judges against."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TextArea

from tests.tui.wizard_pilot import jump_to, set_field, settle, wizard
from wizard.tui.dialogs.path import PathDialog


async def test_a_prefix_over_32_is_named_as_such() -> None:
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await set_field(pilot, app.screen.query_one("#service-cidr", Input), "10.96.0.0/33")
        note = str(app.screen.query_one("#service-ip").render())
        assert "the prefix length /33 is longer than 32" in note
        assert "ADDRESS/PREFIX" not in note


async def test_a_node_without_an_address_is_named() -> None:
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await jump_to(pilot, 2)
        nodes = app.screen.query_one("#nodes", TextArea)
        nodes.text = "worker-1 10.0.0.11\nworker-2"
        await settle(pilot)
        note = str(app.screen.query_one("#nodes-note").render())
        assert 'node "worker-2" has no address' in note
        assert '"" is empty' not in note


async def test_extra_is_described_for_what_it_is() -> None:
    app = wizard()
    async with app.run_test(size=(120, 40)):
        hint = str(app.screen.editor("extra").query_one(".group-hint").render())
        assert "another name or address clients reach the apiserver by" in hint
        assert "hosts.extra" not in hint


async def test_f2_says_it_judges_against_the_current_answers(inspect_set: Path) -> None:
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, PathDialog)
        said = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "judged against the wizard's current answers" in " ".join(said.split())
        footer_key = next(b for b in app.BINDINGS if getattr(b, "key", "") == "f2")
        assert "current answers" in footer_key.tooltip
