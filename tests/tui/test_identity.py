"""Step 2: subject, key, lifetimes and profile, checked as typed with the core's messages."""

from __future__ import annotations

import pytest
from textual.widgets import Input, RadioButton, Select

from tests.tui.wizard_pilot import jump_to, set_field, type_into, wizard
from wizard.spec import ClusterSpec
from wizard.tui.screens.identity import IdentityScreen
from wizard.tui.screens.preview import PreviewScreen


async def _on_identity(app, pilot) -> None:
    await pilot.press("ctrl+n")
    assert isinstance(app.screen, IdentityScreen)


def _note(app, name: str) -> str:
    return str(app.screen.query_one(f"#{name}-note").render())


@pytest.mark.slow
async def test_lifetimes_show_their_end_and_refuse_what_cfssl_cannot_read() -> None:
    """`87600h` ends ten years after the (fixed) clock; `10y` gets the hours to write and
    blocks Next with the cursor on it; a certificate may not outlive its CA."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await _on_identity(app, pilot)
        assert "3650 days (about 10 years) — ends 2036-11-25" in _note(app, "expiry-ca")
        await type_into(pilot, app.screen.query_one("#expiry-cert", Input), "8760h")
        note = _note(app, "expiry-cert")
        assert "365 days" in note and "ends 2027-11-28" in note
        assert app.state.spec.expiry.cert == "8760h"

        field = app.screen.query_one("#expiry-ca", Input)
        await set_field(pilot, field, "10y")
        assert 'write "87600h"' in _note(app, "expiry-ca")
        app.screen.query_one("#subject-C", Input).focus()
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, IdentityScreen)
        assert app.focused is field

        await set_field(pilot, field, "87600h")
        await set_field(pilot, app.screen.query_one("#expiry-cert", Input), "99999h")
        assert "must not outlive the CA" in _note(app, "expiry-cert")
        await pilot.press("ctrl+n")
        assert app.focused is app.screen.query_one("#expiry-cert")


@pytest.mark.slow
async def test_a_lifetime_under_an_hour_is_refused_as_typed() -> None:
    """`1m` is a Go duration but no lifetime (certificates are backdated five minutes): the
    note under the field says so, as validation does, and never shows it as fine."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await _on_identity(app, pilot)
        field = app.screen.query_one("#expiry-cert", Input)
        await type_into(pilot, field, "1m")
        note = _note(app, "expiry-cert")
        assert '"1m" is under an hour' in note and "✓" not in note
        assert field.has_class("-invalid")
        # the lifetime the note describes is the domain's lifetime, not any Go duration
        described = str(app.screen._lifetime("cert"))
        assert "under an hour" in described and "✓" not in described
        await type_into(pilot, field, "1h")
        note = _note(app, "expiry-cert")
        assert note.startswith("✓") and "ends 2026-11-28" in note, note
        assert not field.has_class("-invalid")


@pytest.mark.slow
async def test_country_and_key_choices() -> None:
    """subject.C gets the core's message; ECDSA offers its own sizes; the kubelet mode is a
    choice; then Next goes on."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await _on_identity(app, pilot)
        await set_field(pilot, app.screen.query_one("#subject-C", Input), "China")
        assert "is not a two-letter country code" in _note(app, "subject-C")
        await set_field(pilot, app.screen.query_one("#subject-C", Input), "CN")

        await pilot.click("#algo-ecdsa")
        await pilot.pause()
        assert app.screen.query_one("#algo-ecdsa", RadioButton).value
        assert (app.state.spec.key.algo, app.state.spec.key.size) == ("ecdsa", 256)
        size = app.screen.query_one("#key-size", Select)
        assert size.value == 256
        size.value = 384
        await pilot.pause()
        assert app.state.spec.key.size == 384
        assert "ECDSA" in _note(app, "key")
        await pilot.click("#kubelet-bootstrap")
        await pilot.pause()
        assert app.state.spec.kubelet == "bootstrap"
        assert "bootstrap token" in _note(app, "kubelet")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, PreviewScreen)


@pytest.mark.slow
async def test_nodes_are_typed_one_per_line_and_checked() -> None:
    """A node with a bad name is refused with the core's message and blocks Next with the
    cursor in the nodes field; fixing it lets the complete profile go on with two nodes."""
    from textual.widgets import TextArea

    from wizard.spec import Node

    spec = ClusterSpec.example()
    spec.profile = "complete"
    app = wizard(spec)
    async with app.run_test(size=(100, 32)) as pilot:
        await _on_identity(app, pilot)
        nodes = app.screen.query_one("#nodes", TextArea)
        nodes.focus()
        await pilot.pause()
        nodes.insert("Node_1 192.168.214.101\nnode-2 192.168.214.102")
        await pilot.pause()
        assert app.state.spec.nodes[1] == Node("node-2", "192.168.214.102")
        assert "is not a node name" in _note(app, "nodes")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, IdentityScreen)
        assert app.focused is nodes
        nodes.text = "node-1 192.168.214.101\nnode-2 192.168.214.102"
        await pilot.pause()
        assert "2 nodes" in _note(app, "nodes")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, PreviewScreen)


async def test_kubeadm_disables_the_subject_fields_it_ignores_and_keeps_their_values(
    tmp_path,
) -> None:
    """kubeadm writes only CN and O: C/ST/L/O/OU are disabled and say so, their values stay in
    the answers (and in a saved cluster.toml); back to classic they are editable again."""
    from wizard.spec import load_spec, save_spec

    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await _on_identity(app, pilot)
        before = app.state.spec.subject.as_dict()
        assert before["L"]  # the guide's subject has values to keep
        app.screen.query_one("#profile", Select).value = "kubeadm"
        await pilot.pause()
        for name in ("C", "ST", "L", "O", "OU"):
            assert app.screen.query_one(f"#subject-{name}", Input).disabled
            assert "not used by the kubeadm profile" in _note(app, f"subject-{name}")
        assert app.state.spec.subject.as_dict() == before
        save_spec(app.state.spec, tmp_path / "c.toml")
        assert load_spec(tmp_path / "c.toml").subject.as_dict() == before
        app.screen.query_one("#profile", Select).value = "classic"
        await pilot.pause()
        assert not app.screen.query_one("#subject-L", Input).disabled
        assert "locality" in _note(app, "subject-L")


async def test_the_dropdowns_draw_only_narrow_glyphs() -> None:
    """Open and closed, the profile list draws no East Asian "ambiguous"-width arrow (▼ ▲): a
    terminal drawing them two cells wide left a stray glyph when the list closed."""
    import unicodedata

    from tests.tui.wizard_pilot import screen_lines

    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await jump_to(pilot, 2)
        profile = app.screen.query_one("#profile")
        profile.focus()
        for key in ("enter", "down", "enter"):  # open, move, choose (closes)
            await pilot.press(key)
            await pilot.pause()
            row = screen_lines(app)[profile.region.y]
            assert "▾" in row or "▴" in row, row
            assert not [c for c in row if unicodedata.east_asian_width(c) == "A" and c in "▼▲"]
        assert app.state.spec.profile == "complete"
