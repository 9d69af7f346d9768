"""Keys at key-repeat speed: a burst with no pause between keys (a fast typist, a paste in a
terminal without bracketed paste, ctrl+r held) gives the exact entries, no duplicate, no crash."""

from __future__ import annotations

import time

import pytest
from textual.pilot import Pilot

from tests.tui.wizard_pilot import GUIDE_HOSTS, burst, paste_into, wizard
from wizard.tui.widgets.fields import MAX_FIELD_LENGTH
from wizard.tui.widgets.host_list import MAX_ENTRIES, HostListEditor
from wizard.tui.wizard_app import WizardApp


def _alive(app: WizardApp) -> None:
    assert app.is_running
    assert app._exception is None
    assert app.return_code is None


def _problems(editor: HostListEditor) -> list[str]:
    return [str(row.message.render()) for row in editor.rows if row.message.display]


async def _focus(pilot: Pilot, field) -> None:
    field.focus()
    await pilot.pause()


async def test_a_burst_typed_into_the_add_field_adds_each_entry_once() -> None:
    """`10.0.1.11 10.0.1.12 10.0.1.13` typed at ≤ 5 ms a key: three entries, no repeat of the
    first (stale Changed values used to re-add it) and no duplicate warning."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        await _focus(pilot, etcd.add_field)
        await burst(pilot, *"10.0.1.11 10.0.1.12 10.0.1.13", "enter")
        _alive(app)
        assert etcd.values == GUIDE_HOSTS["etcd"] + ["10.0.1.11", "10.0.1.12", "10.0.1.13"]
        assert app.state.spec.hosts.etcd == etcd.values
        assert etcd.add_field.value == ""
        assert _problems(etcd) == []


async def test_a_paste_without_bracketed_paste_gives_the_exact_entries() -> None:
    """A terminal without bracketed paste sends a paste as keys, newlines as Enter."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        masters = app.screen.editor("masters")
        await _focus(pilot, masters.add_field)
        text = "10.0.2.1,10.0.2.2\n10.0.2.3 ;10.0.2.4\n"
        await burst(pilot, *("enter" if c == "\n" else c for c in text))
        _alive(app)
        assert masters.values == GUIDE_HOSTS["masters"] + [f"10.0.2.{i}" for i in range(1, 5)]
        assert _problems(masters) == []


async def test_two_ctrl_r_in_one_burst_remove_two_entries() -> None:
    """The second ctrl+r, queued for the field the first one removed, removes the next entry
    (it used to raise StopIteration in `_row_of` and end the app)."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        await _focus(pilot, etcd.rows[0].field)
        await burst(pilot, "ctrl+r", "ctrl+r")
        _alive(app)
        assert etcd.values == GUIDE_HOSTS["etcd"][2:]
        assert app.focused is etcd.rows[0].field
        assert app.state.spec.hosts.etcd == GUIDE_HOSTS["etcd"][2:]


async def test_ctrl_r_held_past_the_last_entry_clears_the_list() -> None:
    """ctrl+r held: one entry per repeat, then the add field (cleared); nothing else goes."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd, masters = app.screen.editor("etcd"), app.screen.editor("masters")
        await _focus(pilot, etcd.rows[1].field)
        await burst(pilot, *["ctrl+r"] * 8)
        _alive(app)
        assert etcd.values == GUIDE_HOSTS["etcd"][:1]
        assert app.focused is etcd.add_field
        assert masters.values == GUIDE_HOSTS["masters"]


async def test_typing_right_after_removals_goes_to_the_field_that_took_the_focus() -> None:
    """Keys typed in the same burst as ctrl+r land in the next entry, not in the removed one
    (which crashed `_typed_in_entry` before)."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        await _focus(pilot, etcd.rows[2].field)
        await burst(pilot, "ctrl+r", *"10.0.0.9", "ctrl+r", "ctrl+r", *"10.0.0.7")
        _alive(app)
        # The last entry went, "10.0.0.9" was typed in the add field, whose ctrl+r cleared it.
        assert etcd.values == GUIDE_HOSTS["etcd"][:2] + ["10.0.0.7"]
        await burst(pilot, "enter")
        assert app.state.spec.hosts.etcd == GUIDE_HOSTS["etcd"][:2] + ["10.0.0.7"]


@pytest.mark.slow
async def test_a_10_kb_paste_of_addresses_adds_the_first_hundred_quickly() -> None:
    """10 KB of addresses used to freeze the wizard for minutes (a query of every row per
    mounted row); now the group takes MAX_ENTRIES of them, says so, and answers at once."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        text = " ".join(f"10.{i // 250}.{i % 250}.1" for i in range(1000))
        assert len(text) > 10_000
        started = time.process_time()  # CPU seconds: the work, not the load
        await paste_into(pilot, etcd.add_field, text)
        await pilot.pause()
        took = time.process_time() - started
        _alive(app)
        given = text.split()
        assert etcd.values == GUIDE_HOSTS["etcd"] + given[: MAX_ENTRIES - 3]
        assert any("at most 100" in n.message for n in app._notifications)
        assert took < 20, f"{took:.1f} s"  # 2 s on an idle machine; minutes before


async def test_a_100_kb_paste_into_a_field_is_cut_with_a_message() -> None:
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        field = etcd.rows[0].field
        field.value = ""
        started = time.process_time()  # CPU seconds: the work, not the load
        await paste_into(pilot, field, "a" * 100_000)
        took = time.process_time() - started
        _alive(app)
        assert len(field.value) == MAX_FIELD_LENGTH
        assert any("at most 1,000" in n.message for n in app._notifications)
        assert took < 10, f"{took:.1f} s"
        await burst(pilot, "b")  # the field is full: the key is refused, nothing breaks
        assert len(field.value) == MAX_FIELD_LENGTH


async def test_keys_sent_to_an_entry_drawn_as_text_reach_its_field() -> None:
    """An entry not edited yet is text until focused (a faster first frame). Keys already on
    their way to the text when it is focused go to the field that takes its place, in order
    (the field selects its text as it takes the focus, as a field reached by Tab does)."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        row = etcd.rows[1]
        assert etcd.rows[0].editing and not row.editing
        app.screen.set_focus(row)  # the keys below are queued for the line
        await burst(pilot, *"10.0.0.5")
        _alive(app)
        assert row.editing and app.focused is row.field
        await pilot.press("tab")  # the next entry, text too: its field takes the focus
        assert app.focused is etcd.rows[2].field
        await burst(pilot, "ctrl+r")
        assert etcd.values == ["192.168.214.88", "10.0.0.5"]
        assert app.state.spec.hosts.etcd == etcd.values
        assert app.focused is etcd.add_field


async def test_a_burst_of_tabs_over_entries_drawn_as_text_ends_where_the_tabs_say() -> None:
    """Three Tabs in one burst from the first entry: the add field, past two entries that
    were text (each one focused in passing does not take the focus back)."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        etcd = app.screen.editor("etcd")
        await _focus(pilot, etcd.rows[0].field)
        await burst(pilot, "tab", "tab", "tab")
        _alive(app)
        assert app.focused is etcd.add_field
        assert etcd.values == GUIDE_HOSTS["etcd"]
