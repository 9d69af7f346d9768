"""Step 1: host lists that validate as typed, paste splitting, the service network, Next's gate."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.wizard_pilot import burst, paste_into, screen_lines, set_field, type_into, wizard
from wizard.spec import ClusterSpec
from wizard.tui.screens.addresses import AddressesScreen
from wizard.tui.screens.identity import IdentityScreen
from wizard.tui.widgets.host_list import AddLine, EntryStatus
from wizard.tui.widgets.step_indicator import StepIndicator


def _messages(app) -> str:
    return "\n".join(str(p.render()) for p in app.screen.query(".entry-message, .group-message"))


async def test_opens_on_step_one_with_the_guide_prefilled() -> None:
    """The app starts on step 1, the indicator says so, the example's entries are all fine."""
    app = wizard()
    async with app.run_test(size=(100, 32)):
        assert isinstance(app.screen, AddressesScreen)
        line = app.screen.query_one(StepIndicator).render().plain
        assert "● 1 Addresses › ○ 2 Identity" in line
        assert app.screen.editor("etcd").values == ClusterSpec.example().hosts.etcd
        assert "no problems" in str(app.screen.query_one("#addresses-count").render())
        assert app.focused is app.screen.editor("etcd").rows[0].field


async def test_a_network_in_registry_shows_the_fix_and_blocks_next() -> None:
    """The guide's `192.168.214.1/24` gets the core's message; Next stays and focuses it; the
    fix is typed in place."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        registry = app.screen.editor("registry")
        await set_field(pilot, registry.rows[0].field, "192.168.214.1/24")
        assert app.state.spec.hosts.registry == ["192.168.214.1/24"]
        assert (
            'hosts.registry[0]: "192.168.214.1/24" is a network, not an address — write '
            "192.168.214.1" in _messages(app)
        )
        app.screen.query_one("#service-cidr", Input).focus()
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, AddressesScreen)
        assert app.focused is registry.rows[0].field
        await pilot.press("end", "backspace", "backspace", "backspace", "0")
        assert app.state.spec.hosts.registry == ["192.168.214.10"]
        assert "network" not in _messages(app)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, IdentityScreen)


async def test_pasting_several_addresses_adds_one_entry_each() -> None:
    """Spaces, commas and newlines in a paste split it into entries (hosts.split_host_list)."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        await paste_into(pilot, etcd.add_field, "10.0.0.1, 10.0.0.2\n10.0.0.3 etcd-4.example")
        assert app.state.spec.hosts.etcd[3:] == [
            "10.0.0.1",
            "10.0.0.2",
            "10.0.0.3",
            "etcd-4.example",
        ]
        assert len(etcd.rows) == 7
        assert etcd.add_field.value == ""
        # Pasting into an emptied entry replaces it and inserts the rest after it.
        etcd.rows[0].field.value = ""
        await paste_into(pilot, etcd.rows[0].field, "10.1.0.1 10.1.0.2")
        assert app.state.spec.hosts.etcd[:3] == ["10.1.0.1", "10.1.0.2", "192.168.214.89"]


@pytest.mark.slow
async def test_typing_a_separator_or_enter_adds_and_ctrl_r_removes() -> None:
    """A comma commits the entry typed so far; Enter commits; ctrl+r and emptying remove."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        extra = app.screen.editor("extra")
        await type_into(pilot, extra.add_field, "a.x,b")
        assert app.state.spec.hosts.extra == ["kube-api.wangdong.com", "a.x", "b"]
        assert extra.add_field.value == "b"
        await pilot.press("enter")
        assert [row.field.value for row in extra.rows][-1] == "b"
        extra.rows[1].field.focus()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.state.spec.hosts.extra == ["kube-api.wangdong.com", "b"]
        await set_field(pilot, extra.rows[1].field, "")
        await pilot.press("enter")
        await pilot.pause()
        assert app.state.spec.hosts.extra == ["kube-api.wangdong.com"]
        assert len(extra.rows) == 1


async def test_the_cross_beside_an_entry_removes_it_and_its_status_does_not() -> None:
    """The ✕ after an entry's status removes the entry when clicked (its tooltip says ctrl+r
    does the same); a click on the status itself leaves the entry alone. The same on an entry
    not edited yet (drawn as text by its line) and on one being edited (its status a widget)."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        line = etcd.rows[1]
        assert not line.editing
        status_x = line.size.width - EntryStatus.WIDTH + EntryStatus.PADDING
        start = line.region.x + status_x
        text = screen_lines(app)[line.region.y][start : start + EntryStatus.STATUS_CELLS + 1]
        assert text.startswith("✓ IPv4") and text.endswith("✕")
        await pilot.click(line, offset=(status_x + 2, 0))  # on "✓ IPv4"
        await pilot.pause()
        assert len(etcd.rows) == 3
        cross_x = status_x + EntryStatus.STATUS_CELLS
        await pilot.hover(line, offset=(cross_x, 0))
        assert line.tooltip == "remove this entry (ctrl+r)"
        await pilot.click(line, offset=(cross_x, 0))  # on the ✕
        await pilot.pause()
        assert app.state.spec.hosts.etcd == ["192.168.214.88", "192.168.214.90"]
        assert [row.value for row in etcd.rows] == ["192.168.214.88", "192.168.214.90"]
        edited = etcd.rows[0]
        assert edited.editing
        status = edited.status
        assert str(status.render()).startswith("✓ IPv4") and str(status.render()).endswith("✕")
        await pilot.click(status, offset=(2, 0))
        await pilot.pause()
        assert len(etcd.rows) == 2
        await pilot.hover(status, offset=(10, 0))
        assert status.tooltip == "remove this entry (ctrl+r)"
        await pilot.click(status, offset=(10, 0))
        await pilot.pause()
        assert app.state.spec.hosts.etcd == ["192.168.214.90"]


async def test_service_cidr_shows_the_first_service_ip_live() -> None:
    """The derived first service IP follows the CIDR; host bits get the core's message; the
    apiserver port is checked too."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        cidr = app.screen.query_one("#service-cidr", Input)
        assert "10.254.0.1" in str(app.screen.query_one("#service-ip").render())
        await set_field(pilot, cidr, "10.96.0.0/12")
        assert "10.96.0.1" in str(app.screen.query_one("#service-ip").render())
        await set_field(pilot, cidr, "10.96.0.1/12")
        note = str(app.screen.query_one("#service-ip").render())
        assert "has host bits set — write 10.96.0.0/12" in note
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, AddressesScreen)
        assert app.focused is cidr
        await set_field(pilot, cidr, "10.96.0.0/12")

        port = app.screen.query_one("#apiserver-port", Input)
        await set_field(pilot, port, "70000")
        assert "70000 is not a port" in str(app.screen.query_one("#port-note").render())
        await set_field(pilot, port, "8443")
        assert app.state.spec.network.apiserver_port == 8443
        assert "https://192.168.214.100:8443" in str(app.screen.query_one("#port-note").render())


async def test_empty_masters_block_and_a_vip_in_the_service_cidr_is_an_error() -> None:
    """Cross checks from spec.validate show beside their field: group and entry level."""
    spec = ClusterSpec.example()
    spec.hosts.masters = []
    spec.hosts.vip = ["10.254.0.10"]
    app = wizard(spec)
    async with app.run_test(size=(100, 32)) as pilot:
        messages = _messages(app)
        assert "hosts.masters: is empty" in messages
        assert 'hosts.vip[0]: "10.254.0.10" lies inside the service CIDR' in messages
        await pilot.press("ctrl+n")
        assert app.focused is app.screen.editor("masters").add_field


async def test_warnings_are_shown_but_do_not_block() -> None:
    """A repeated entry is a warning: it is shown in words and Next still works."""
    spec = ClusterSpec.example()
    spec.hosts.etcd.append("192.168.214.88")
    app = wizard(spec)
    async with app.run_test(size=(100, 32)) as pilot:
        assert "⚠ warning" in _messages(app)
        assert "repeats hosts.etcd[0]" in _messages(app)
        assert "1 warning" in str(app.screen.query_one("#addresses-count").render())
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, IdentityScreen)


async def test_at_80_by_24_a_blocked_next_says_what_in_a_line_that_fits() -> None:
    """The status names the count and the field; the Checks list keeps the error in sight."""
    spec = ClusterSpec.example()
    spec.hosts.vip = ["192.168.214.1/24"]
    app = wizard(spec)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, AddressesScreen)
        status = app.screen.nav.query_one("#nav-status")
        text = str(status.render())
        assert text == "✗ 1 error: fix hosts.vip[0]"
        assert len(text) <= status.content_region.width
        assert "is a network, not an address" in str(status.tooltip)
        problems = app.screen.query_one("#addresses-problems-scroll")
        assert problems.region.height >= 1
        assert problems.region in app.screen.region
        assert "is a network" in str(app.screen.query_one("#addresses-problems").render())


async def test_what_is_typed_in_the_add_field_is_counted() -> None:
    """The group's border counts an entry typed but not yet added, as the answers do."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        assert etcd.border_subtitle == "3 entries"
        await type_into(pilot, etcd.add_field, "10.0.0.9")
        assert len(app.state.spec.hosts.etcd) == 4
        assert etcd.border_subtitle == "4 entries"


async def test_an_entry_drawn_as_text_looks_like_its_field_and_edits_on_a_click() -> None:
    """Entries not edited yet are drawn as text where their field goes (one Input fewer each
    to build before the first frame); a click puts the field there, focused, the cursor where
    the click was; the line reads the same before and after."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        masters = app.screen.editor("masters")
        row = masters.rows[1]
        assert not row.editing
        before = screen_lines(app)[row.region.y]
        await pilot.click(row, offset=(3, 0))
        await pilot.pause()
        assert row.editing and app.focused is row.field
        assert row.field.cursor_position == 3
        await pilot.press("0")
        assert app.state.spec.hosts.masters[1] == "1920.168.214.201"
        assert "error" in str(row.status.render())
        await pilot.press("backspace")
        assert app.state.spec.hosts.masters[1] == "192.168.214.201"
        app.screen.query_one("#service-cidr", Input).focus()
        await pilot.pause()
        assert screen_lines(app)[row.region.y] == before


def _cells(app, y: int) -> list[tuple[object, ...]]:
    """Line `y` of the screen as composited: each cell's character and how it looks (its
    background; a character's colour and text style too, a blank has none to see)."""
    strip = app.screen._compositor.render_strips()[y]
    cells: list[tuple[object, ...]] = []
    for segment in strip:
        style = segment.style
        for char in segment.text:
            if style is None:
                cells.append((char, None))
            elif char == " ":
                cells.append((char, style.bgcolor, style.reverse))
            else:
                cells.append((char, style.bgcolor, style.color, style.bold, style.dim))
    return cells


@pytest.mark.parametrize("toggle_theme", [False, True], ids=["dark", "light"])
async def test_entries_and_add_lines_drawn_as_text_look_as_their_fields(toggle_theme) -> None:
    """Every entry of a group (one with an error) and its add line, drawn as text, then each
    made a field (focused once, the focus back where it was): every cell of their lines has
    the same character and style, in both themes."""
    spec = ClusterSpec.example()
    spec.hosts.masters = ["192.168.214.200", "bad_name!", "192.168.214.202"]
    app = wizard(spec)
    async with app.run_test(size=(100, 32)) as pilot:
        if toggle_theme:
            await pilot.press("ctrl+t")
            await pilot.pause()
        masters = app.screen.editor("masters")
        lines = range(masters.region.y, masters.region.bottom)
        before = [_cells(app, y) for y in lines]
        first = app.focused
        assert not any(row.editing for row in masters.rows) and masters.query(AddLine)
        for field in [*(row.field for row in masters.rows), masters.add_field]:
            field.focus()
            await pilot.pause()
        first.focus()
        await pilot.pause()
        assert all(row.editing for row in masters.rows) and not masters.query(AddLine)
        assert [_cells(app, y) for y in lines] == before


async def test_the_add_line_becomes_the_add_field_when_clicked_or_reached() -> None:
    """The field for new entries is drawn as its empty self until first used: a click on it,
    or keys already sent to it, reach the real field; with no entry in the first group, its
    add field is the one focused from the start."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        masters = app.screen.editor("masters")
        line = masters.query_one(AddLine)
        await pilot.click(line)
        await pilot.pause()
        assert app.focused is masters.add_field and not masters.query(AddLine)
        await pilot.press(*"10.0.0.7", "enter")
        assert app.state.spec.hosts.masters[-1] == "10.0.0.7"
        vip = app.screen.editor("vip")
        app.screen.set_focus(vip.query_one(AddLine))  # the keys below are queued for the line
        await burst(pilot, *"10.0.0.8 ")
        assert app.state.spec.hosts.vip == ["192.168.214.100", "10.0.0.8"]
        assert app.focused is vip.add_field
    spec = ClusterSpec.example()
    spec.hosts.etcd = []
    app = wizard(spec)
    async with app.run_test(size=(100, 32)) as pilot:
        assert app.focused is app.screen.editor("etcd").add_field
