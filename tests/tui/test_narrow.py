"""At 80×24 (the README's promise): what to do next is always visible, the field with the error
and its message are on screen, the lists have room, the end of the log shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tui.wizard_pilot import (
    INSPECT_SET,
    fast_spec,
    jump_to,
    long_spec_path,
    screen_lines,
    set_field,
    settle,
    wizard,
)
from wizard.jobs.generation import Policy
from wizard.spec import ClusterSpec, load_spec
from wizard.tui.screens.addresses import AddressesScreen
from wizard.tui.screens.identity import IdentityScreen
from wizard.tui.wizard_app import WizardApp


def _nav_text(app: WizardApp) -> str:
    """The navigation bar's rows as drawn (one or two)."""
    nav = app.screen.nav
    lines = screen_lines(app)
    return " ".join(lines[nav.region.y : nav.region.bottom])


def _fully_shown(text: str, drawn: str) -> bool:
    """Every word of `text` is drawn, in order, none cut by an ellipsis."""
    words = drawn.split()
    at = 0
    for word in text.split():
        while at < len(words) and words[at] != word:
            at += 1
        if at == len(words):
            return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_status_and_unsaved_show_whole_on_every_step(
    size: tuple[int, int], in_tmp: Path
) -> None:
    """Whatever the step says in the bar is drawn whole (on two lines if it must), and a long
    cluster file path is cut in the middle so that "● unsaved" stays."""
    shutil.copytree(INSPECT_SET, in_tmp / "k8s-certs")
    path = long_spec_path(in_tmp)
    app = wizard(load_spec(path), path)
    async with app.run_test(size=size) as pilot:
        await set_field(pilot, app.screen.query_one("#cluster-domain", Input), "example.local")
        for step in range(1, 6):
            await jump_to(pilot, step)
            status = app.screen.nav.status_text
            drawn = _nav_text(app)
            assert status and _fully_shown(status, drawn), (step, status, drawn)
            assert "● unsaved" in drawn and "cluster.toml" in drawn, drawn
            assert "production-eu-west-1/k8s-prod" not in drawn  # the path was cut…
            assert app.screen.nav.query_one("#nav-file").tooltip.endswith(
                "pki/cluster.toml"
            )  # …and is whole in its tooltip
        await jump_to(pilot, 1)
        await set_field(pilot, app.screen.editor("vip").rows[0].field, "192.168.214.1/24")
        await set_field(pilot, app.screen.query_one("#service-cidr", Input), "10.96.0.0/33")
        await pilot.press("ctrl+n")
        await settle(pilot)
        status = app.screen.nav.status_text
        assert status == "✗ 2 errors: fix hosts.vip[0]"
        assert _fully_shown(status, _nav_text(app))


def _on_screen(app: WizardApp, text: str) -> bool:
    """The text is drawn (perhaps wrapped), leaving out borders and scroll bars."""
    drawn = "".join(c for c in " ".join(screen_lines(app)) if not "\u2500" <= c <= "\u259f")
    return " ".join(text.split()) in " ".join(drawn.split())


async def test_next_brings_the_extra_field_and_its_message_into_view(in_tmp: Path) -> None:
    """A bad name in the last box (extra) at 80×24: Next focuses it and scrolls it and its
    message into view."""
    spec = ClusterSpec.example()
    spec.hosts.extra = ["kube-api.wangdong.com", "bad_name!"]
    app = wizard(spec)
    async with app.run_test(size=(80, 24)) as pilot:
        groups = app.screen.query_one("#host-groups")
        assert groups.scroll_y == 0
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, AddressesScreen)
        field = app.screen.editor("extra").rows[1].field
        assert app.focused is field
        assert groups.scroll_y > 0
        assert _on_screen(app, "bad_name!")
        assert _on_screen(app, "is not a valid DNS name")


@pytest.mark.slow
async def test_next_brings_the_ca_lifetime_and_its_message_into_view(in_tmp: Path) -> None:
    """Identity's CA lifetime is the last field in sight at 80×24 and its message under the
    edge: Next focuses it and scrolls until the message shows."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await jump_to(pilot, 2)
        field = app.screen.query_one("#expiry-ca", Input)
        await set_field(pilot, field, "10y")
        app.screen.query_one("#subject-C", Input).focus()
        app.screen.query_one("#identity-body").scroll_home(animate=False)
        await pilot.pause()
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, IdentityScreen)
        assert app.focused is field
        assert _on_screen(app, '"10y" is not a Go duration')
        assert app.screen.nav.status_text == "✗ 1 error: fix expiry.ca"


@pytest.mark.slow
async def test_arrows_in_a_field_move_between_fields_not_the_page(in_tmp: Path) -> None:
    """↓ in an entry goes to the next field (scrolled into view); the page does not scroll on
    its own, away from the cursor."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        first = app.screen.editor("etcd").rows[0].field
        assert app.focused is first
        await pilot.press("down")
        assert app.focused is app.screen.editor("etcd").rows[1].field
        await pilot.press("up")
        assert app.focused is first
        groups = app.screen.query_one("#host-groups")
        for _ in range(12):
            await pilot.press("down")
        await pilot.pause()
        focused = app.focused
        assert isinstance(focused, Input)
        assert groups.region.contains_region(focused.region), (focused, groups.scroll_y)


@pytest.mark.parametrize("step", [3, 5])
async def test_the_lists_have_room_at_80_by_24(step: int, inspect_set: Path) -> None:
    """Preview's files and Inspect's certificates: at least 7 rows at 80×24 (they had 4)."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await jump_to(pilot, step)
        listing = app.screen.query_one("#files" if step == 3 else "#certificates")
        assert listing.content_region.height >= 7


async def test_the_preview_list_is_as_wide_as_its_names_at_120_by_40(in_tmp: Path) -> None:
    """At 120×40 no file name wraps; the detail pane keeps most of the width."""
    spec = ClusterSpec.example()
    spec.profile = "complete"
    app = wizard(spec)
    async with app.run_test(size=(120, 40)) as pilot:
        await jump_to(pilot, 3)
        listing = app.screen.query_one("#files")
        names = [f.name for f in app.screen._files]
        longest = max(len(name) for name in names) + 5  # the 4-letter tag and a space
        assert listing.content_region.width >= longest
        assert listing.content_region.width <= 0.45 * 120
        assert app.screen.query_one("#file-detail").region.width >= 60
        for option in range(listing.option_count):
            assert (
                listing._get_visual_from_index(option).get_height(
                    listing.styles, listing.content_region.width
                )
                == 1
            )


@pytest.mark.slow
async def test_the_log_ends_in_view_with_the_backup_line(in_tmp: Path) -> None:
    """Back up and replace at 80×24: the result names the backup, and the log's last lines
    (the backup among them) are on screen."""
    app = wizard(fast_spec())
    async with app.run_test(size=(80, 24)) as pilot:
        await jump_to(pilot, 4)
        await pilot.press("ctrl+g")
        await settle(pilot)
        app.state.spec.subject.L = "Shanghai"  # another set: every certificate changes
        app.state.touch()
        app.state.mark_previewed()
        app.screen.query_one(f"#existing-{Policy.REPLACE.value}").value = True
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        await pilot.pause()
        backups = sorted(p.name for p in (in_tmp / "k8s-certs").glob("backup-*"))
        assert len(backups) == 1
        result = str(app.screen.query_one("#result").render())
        assert f"old files are in {backups[0]}/" in result
        assert _on_screen(app, f"old files are in {backups[0]}/")
        assert _on_screen(app, f"to {backups[0]}/")  # the log's backup line
        assert _on_screen(app, "✓ wrote")  # the log's last line


FIRST_FRAME_SAYS = {
    2: ("RSA: what the guide uses", "identity ready"),
    3: ("20 files to write", "SANs of kubernetes"),
    4: ("k8s-certs exists and holds ca.pem",),
    5: ("4 certificates in ./k8s-certs", "cluster CA"),
}
"""What each step's first frame already shows (filled by checks, a plan, a survey, a read)."""


@pytest.mark.parametrize("step", list(FIRST_FRAME_SAYS))
async def test_a_step_is_drawn_whole_from_its_first_frame(step: int, inspect_set: Path) -> None:
    """The first visit of a step draws no frame laid out for another width (two columns at 80
    columns, the app's name in the bar) and none before its notes are filled."""
    app = wizard()
    frames: list[list[str]] = []
    display = app._display

    def recording(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        if renderable is not None and type(screen).__name__ != "AddressesScreen":
            lines = [strip.text for strip in screen._compositor.render_strips()]
            if any(line.strip() for line in lines):
                frames.append(lines)
        display(screen, renderable)

    app._display = recording  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await jump_to(pilot, step)
        await pilot.pause(0.2)
    assert frames
    for lines in frames:
        drawn = " ".join(" ".join(lines).split())
        assert "k8s-cert-wizard" not in drawn  # the wide layout's app name
        for words in FIRST_FRAME_SAYS[step]:
            assert words in drawn, (words, lines)
