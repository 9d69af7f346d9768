"""Moving between steps, the cluster file, help, theme, quitting and the command palette."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Footer, Input

from tests.tui.wizard_pilot import help_lines, jump_to, set_field, wizard
from wizard.spec import ClusterSpec, load_spec, save_spec
from wizard.tui.dialogs.confirm import QuitDialog
from wizard.tui.dialogs.help import HelpDialog
from wizard.tui.dialogs.path import PathDialog
from wizard.tui.screens.addresses import AddressesScreen
from wizard.tui.screens.identity import IdentityScreen
from wizard.tui.screens.preview import PreviewScreen
from wizard.tui.state import STEP_TITLES
from wizard.tui.widgets.certificate_panel import CertificatePanel
from wizard.tui.widgets.footer import KeyRow


@pytest.mark.slow
async def test_back_and_next_keep_every_value() -> None:
    """Answers typed on steps 1 and 2 are still in their fields after going forward and back."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await set_field(pilot, app.screen.editor("vip").rows[0].field, "192.168.214.111")
        await set_field(pilot, app.screen.query_one("#service-cidr", Input), "10.96.0.0/12")
        await pilot.press("ctrl+n")
        await set_field(pilot, app.screen.query_one("#subject-O", Input), "acme")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, PreviewScreen)
        await pilot.press("ctrl+b")
        assert isinstance(app.screen, IdentityScreen)
        assert app.screen.query_one("#subject-O", Input).value == "acme"
        await pilot.press("ctrl+b")
        assert isinstance(app.screen, AddressesScreen)
        assert app.screen.editor("vip").values == ["192.168.214.111"]
        assert app.screen.query_one("#service-cidr", Input).value == "10.96.0.0/12"
        await pilot.click("#next")
        await pilot.click("#next")
        assert isinstance(app.screen, PreviewScreen)
        assert app.state.spec.subject.O == "acme"
        assert app.state.spec.hosts.vip == ["192.168.214.111"]


@pytest.mark.slow
async def test_forward_jumps_stop_at_the_first_unfinished_step() -> None:
    """Clicking step 4 with an error on step 1 stays on 1; with none it stops at the preview."""
    spec = ClusterSpec.example()
    spec.hosts.vip = ["192.168.214.1/24"]
    app = wizard(spec)
    async with app.run_test(size=(100, 32)) as pilot:
        await app.goto(4)
        await pilot.pause()
        assert isinstance(app.screen, AddressesScreen)
        assert app.focused is app.screen.editor("vip").rows[0].field
        await set_field(pilot, app.focused, "192.168.214.100")
        await app.goto(4)
        await pilot.pause()
        assert isinstance(app.screen, PreviewScreen)
        await app.goto(4)
        await pilot.pause()
        assert app.current_step == 4


@pytest.mark.slow
async def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """ctrl+s writes cluster.toml (spec.save_spec); ctrl+o reads it back into every field."""
    target = tmp_path / "cluster.toml"
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await set_field(pilot, app.screen.editor("extra").rows[0].field, "api.example.com")
        assert app.state.dirty
        assert "unsaved" in str(app.screen.query_one("#nav-file").render())
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PathDialog)
        await set_field(pilot, app.screen.query_one("#path", Input), str(target))
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PathDialog)
        assert load_spec(target) == app.state.spec
        assert not app.state.dirty
        assert app.state.spec_path == target

        # Change the answers, then load the file back: every field shows the saved values.
        await set_field(pilot, app.screen.editor("extra").rows[0].field, "other.example.com")
        await set_field(pilot, app.screen.query_one("#cluster-domain", Input), "corp.local")
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, PathDialog)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.editor("extra").values == ["api.example.com"]
        assert app.screen.query_one("#cluster-domain", Input).value == "cluster.local"
        assert app.state.spec == load_spec(target)


@pytest.mark.slow
async def test_loading_a_broken_file_says_why_in_the_dialog(tmp_path: Path) -> None:
    """A SpecError's message appears in the dialog; the answers are untouched."""
    broken = tmp_path / "broken.toml"
    broken.write_text("[hosts]\nvip = 3\n", encoding="utf-8")
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+o")
        await set_field(pilot, app.screen.query_one("#path", Input), str(broken))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PathDialog)
        message = str(app.screen.query_one("#path-message").render())
        assert "hosts.vip: should be a list of strings" in message
        await pilot.press("escape")
        assert app.state.spec == ClusterSpec.example()


async def test_a_file_given_with_c_prefills_and_saving_overwrites_it(tmp_path: Path) -> None:
    """`-c FILE` prefills; ctrl+s saves to that file without asking."""
    path = tmp_path / "mine.toml"
    spec = ClusterSpec.example()
    spec.network.cluster_domain = "example.internal"
    save_spec(spec, path)
    app = wizard(load_spec(path), path)
    async with app.run_test(size=(100, 32)) as pilot:
        assert app.screen.query_one("#cluster-domain", Input).value == "example.internal"
        await set_field(pilot, app.screen.query_one("#cluster-domain", Input), "example.org")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, PathDialog)
        assert load_spec(path).network.cluster_domain == "example.org"


@pytest.mark.slow
async def test_quitting_with_unsaved_answers_asks_first() -> None:
    """ctrl+q asks (QuitDialog): n stays, q quits without saving; with nothing changed it
    quits at once."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await set_field(pilot, app.screen.query_one("#cluster-domain", Input), "changed.local")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("n")
        assert isinstance(app.screen, AddressesScreen)
        assert app.is_running
        await pilot.press("ctrl+q")
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running

    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


@pytest.mark.slow
async def test_save_and_quit_writes_the_cluster_file_then_quits(tmp_path: Path) -> None:
    """The quit dialog's first choice saves: to the cluster file when there is one, else
    through the Save as dialog; a save that fails keeps the wizard open."""
    path = tmp_path / "cluster.toml"
    save_spec(ClusterSpec.example(), path)
    app = wizard(load_spec(path), path)
    async with app.run_test(size=(80, 24)) as pilot:
        await set_field(pilot, app.screen.query_one("#cluster-domain", Input), "saved.local")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, QuitDialog)
        assert app.focused is not None and app.focused.id == "save"  # loses nothing
        await pilot.press("enter")
        await pilot.pause()
        assert not app.is_running
    assert load_spec(path).network.cluster_domain == "saved.local"

    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await set_field(pilot, app.screen.query_one("#cluster-domain", Input), "new.local")
        await pilot.press("ctrl+q", "s")
        await pilot.pause()
        assert isinstance(app.screen, PathDialog)
        new = tmp_path / "new" / "cluster.toml"
        new.parent.mkdir()
        await set_field(pilot, app.screen.query_one("#path", Input), str(new))
        await pilot.press("enter")
        await pilot.pause()
        assert not app.is_running
    assert load_spec(new).network.cluster_domain == "new.local"

    blocked = tmp_path / "no-such-dir" / "cluster.toml"
    app = wizard(ClusterSpec.example(), blocked)
    async with app.run_test(size=(80, 24)) as pilot:
        await set_field(pilot, app.screen.query_one("#cluster-domain", Input), "lost.local")
        await pilot.press("ctrl+q", "s")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, AddressesScreen)
        assert app.state.dirty


@pytest.mark.slow
async def test_help_theme_and_command_palette() -> None:
    """F1 (or ? outside a text field) lists the keys; ctrl+t switches light/dark."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpDialog)
        text = "\n".join(str(w.render()) for w in app.screen.query(".help-rows"))
        for keys, what in (("ctrl+n", "Next"), ("ctrl+b", "Back"), ("ctrl+s", "Save")):
            assert keys in text and what in text
        assert "ctrl+r" in text and "Remove entry" in text
        await pilot.press("escape")
        assert isinstance(app.screen, AddressesScreen)

        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert not app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark

        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpDialog)


async def test_question_mark_is_help_only_outside_a_text_field() -> None:
    """In a text field `?` is typed (help stays shut); elsewhere it opens the help. The help,
    the palette and the footer's tooltip say so."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.screen.editor("etcd").add_field
        field.focus()
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpDialog)
        assert field.value == "?"
        field.value = ""

        await pilot.press("f1")
        assert isinstance(app.screen, HelpDialog)
        text = "\n".join(str(w.render()) for w in app.screen.query(".help-rows"))
        assert "f1 / ?" in text and "? only outside a text field" in text
        assert "ctrl+l" in text and "f2" in text
        await pilot.press("escape")

        help_command = next(
            c for c in app.get_system_commands(app.screen) if c.title == "Help: keys"
        )
        assert "? outside a text field" in help_command.help

        app.screen.query_one("#next").focus()
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpDialog)


async def test_the_help_keeps_the_keys_in_a_column_at_80_columns() -> None:
    """At 80 columns a long description wraps under itself, never back under the keys."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpDialog)
        wrapped = help_lines(app.screen)
        assert wrapped  # some descriptions are longer than the dialog at 80 columns
        await pilot.press("escape")
        assert isinstance(app.screen, AddressesScreen)


STEP_COMMANDS = (
    "Go to step 1: ",
    "Go to step 2: ",
    "Next step",
    "Previous step",
    "Save cluster.toml",
    "Save as…",
)
"""Commands that act on the steps or the cluster file (and Load cluster.toml)."""
STEP_ONE = ("Go to step 2: ", "Next step", "Save cluster.toml", "Save as…")
"""Those of them offered on step 1."""

EVERYWHERE = {"Save cluster.toml", "Save as…", "Load cluster.toml", "Review a directory…"}
EVERYWHERE |= {"Learn the layout", "Toggle light/dark theme", "Help: keys", "Quit"}
EVERYWHERE |= {"Hosts: check, probe, distribute", "Rotate a CA"}
"""The palette's commands on every step."""
STEP_OWN = {
    1: {"Next step"},
    2: {"Next step", "Previous step"},
    3: {"Next step", "Previous step"},
    4: {"Next step", "Previous step", "Generate certificates", "Copy the output directory's path"},
    5: {"Previous step", "Toggle raw cfssl-certinfo JSON", "Copy the output directory's path"},
}
"""The commands each step adds to EVERYWHERE, besides going to the other steps."""
TEXTUAL_KEPT = {"Screenshot", "Maximize", "Minimize"}
"""Textual's own commands the wizard has no version of (Maximize: the focused widget)."""


@pytest.mark.slow
async def test_the_palette_lists_what_applies_on_each_step(tmp_path: Path) -> None:
    """Each step's palette: the other steps, Next and Back only where they lead somewhere,
    Generate on step 4, the raw JSON on step 5, no second Keys or Theme from Textual; once the
    cluster file is known, "copy path"; once a set is written, "review what I just wrote"."""
    from tests.tui.wizard_pilot import fast_spec, settle

    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        for step in range(1, 6):
            await jump_to(pilot, step)
            titles = _titles(app)
            assert len(titles) == len(set(titles)), titles
            titles = [t for t in titles if t not in TEXTUAL_KEPT]
            others = {f"Go to step {n}: {STEP_TITLES[n - 1]}" for n in range(1, 6) if n != step}
            assert set(titles) == EVERYWHERE | STEP_OWN[step] | others, step
        assert "Keys" not in titles and "Theme" not in titles  # Textual's, replaced

        path = tmp_path / "cluster.toml"
        app.state.mark_saved(path)
        app.state.output_dir = str(tmp_path / "out")
        await jump_to(pilot, 4)
        copy = next(
            c for c in app.get_system_commands(app.screen) if c.title.startswith("Copy the c")
        )
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        copy.callback()
        assert copied == [str(path)]

        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.state.result is not None
        review = next(
            c for c in app.get_system_commands(app.screen) if c.title == "Review what I just wrote"
        )
        review.callback()
        await settle(pilot)
        from wizard.tui.screens.review import ReviewScreen

        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.directory == tmp_path / "out"


def _titles(app) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


@pytest.mark.slow
async def test_the_palette_offers_the_step_commands_only_over_a_step(inspect_set: Path) -> None:
    """Over the review, renew and Learn the layout, Next, Back, Save and Load would act on the
    wizard behind them: the palette leaves them out there, as their keys do nothing there."""
    from textual.command import CommandList, CommandPalette

    from tests.tui.review_shots import select_file
    from wizard.tui.screens.layout import LayoutScreen
    from wizard.tui.screens.renew import RenewScreen
    from wizard.tui.screens.review import ReviewScreen

    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        titles = _titles(app)
        assert all(any(t.startswith(c) for t in titles) for c in STEP_COMMANDS if c in STEP_ONE)
        assert "Load cluster.toml" in titles

        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LayoutScreen)
        titles = _titles(app)
        for command in (*STEP_COMMANDS, "Load cluster.toml"):
            assert not any(t.startswith(command) for t in titles), command
        assert "Help: keys" in titles and "Toggle light/dark theme" in titles
        # the palette itself, opened over the layout: nothing to save from there
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"save")
        for _ in range(10):
            await pilot.pause(0.05)
        found = app.screen.query_one(CommandList)
        prompts = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]
        assert not any("Save" in prompt for prompt in prompts), prompts
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LayoutScreen)
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("enter")  # review ./k8s-certs
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        titles = _titles(app)
        assert not any(t.startswith(c) for c in STEP_COMMANDS for t in titles), titles
        assert "Load cluster.toml" not in titles
        help_command = next(
            c for c in app.get_system_commands(app.screen) if c.title == "Help: keys"
        )
        help_command.callback()  # the review's own help, not the wizard's
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        assert "Review" in [heading for heading, _rows in app.screen.sections]
        await pilot.press("escape")

        await select_file(pilot, "kubernetes.pem")
        await pilot.press("n")  # renew it
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RenewScreen)
        titles = _titles(app)
        assert not any(t.startswith(c) for c in STEP_COMMANDS for t in titles), titles
        assert "Load cluster.toml" not in titles


async def test_the_footer_fits_80_columns_on_every_step(in_tmp: Path) -> None:
    """At 80 columns no key runs under the palette key: Help, Layout (ctrl+l) and Review (F2)
    show on every step; Esc "Cancel run" never (the Cancel (Esc) button names it)."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        for step in range(1, 6):
            await jump_to(pilot, step)
            footer = app.screen.query_one(Footer)
            palette = footer.query_one("FooterKey.-command-palette")
            row = footer.query_one(KeyRow)
            ends = [row.region.x + end for _start, end in row.spans()]
            assert ends, step
            assert all(end <= palette.region.x for end in ends), step
            shown = {key.key for key in row.keys}
            assert {"f1", "ctrl+l", "f2"} <= shown, step
            assert "escape" not in shown, step


async def test_a_click_on_a_footer_key_presses_it(in_tmp: Path) -> None:
    """The footer's keys are one row: a click on F1's key opens the help, as a FooterKey's
    would; the key under the mouse is lit (its tooltip shown); a click on the blank between
    two keys does nothing."""
    app = wizard()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        row = app.screen.query_one(KeyRow)
        spans = dict(zip((key.key for key in row.keys), row.spans(), strict=True))
        start, end = spans["f1"]
        await pilot.hover(row, offset=(start, 0))
        assert row.key_at(start) is not None and row.key_at(start).key == "f1"
        await pilot.click(row, offset=(end, 0))  # the blank after it
        await pilot.pause()
        assert not isinstance(app.screen, HelpDialog)
        await pilot.click(row, offset=(end - 1, 0))
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)


async def test_steps_work_at_80_by_24(in_tmp: Path) -> None:
    """The narrow layout reaches every step; with nothing generated, step 5 says what to do."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.screen.has_class("-narrow")
        for _ in range(4):
            await pilot.press("ctrl+n")
        assert app.current_step == 5
        assert app.screen.members == []
        assert "generate them at step 4" in app.screen.query_one(CertificatePanel).title_text


async def test_learn_the_layout_opens_from_the_wizard_and_esc_comes_back() -> None:
    """ctrl+l pushes the teaching screen for the current answers; Esc returns to the step."""
    from tests.tui.wizard_pilot import wizard as make_wizard
    from wizard.tui.screens.addresses import AddressesScreen
    from wizard.tui.screens.layout import LayoutScreen

    app = make_wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LayoutScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AddressesScreen)


async def test_the_file_detail_shows_when_it_has_the_focus() -> None:
    """The preview's scrolling file detail lights its left bar when focused (arrows scroll it)."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await jump_to(pilot, 3)
        detail = app.screen.query_one("#file-detail")
        plain = detail.styles.border_left
        detail.focus()
        await pilot.pause()
        assert detail.has_focus
        assert detail.styles.border_left != plain
        assert detail.styles.border_left[0] != ""


@pytest.mark.parametrize("folder", ["", "a-folder-with-a-long-name/" * 4])
async def test_the_saved_notice_leaves_next_uncovered(tmp_path: Path, folder: str) -> None:
    """At 80×24 the "Saved" notification sits above the navigation bar, even for a long path
    (elided in the middle), with errors still to fix."""
    (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    spec = ClusterSpec.example()
    spec.hosts.registry = ["192.168.214.1/24"]  # an error: "(1 error still to fix)"
    path = tmp_path / folder / "cluster.toml"
    app = wizard(spec, path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        toast = app.screen.query_one("Toast")
        assert not toast.region.overlaps(app.screen.query_one("#next").region)
        message = app._notifications.__iter__().__next__().message
        assert message.startswith("saved ") and message.endswith(
            "cluster.toml (1 error still to fix)"
        )
        assert path.exists()


async def test_escape_goes_back_a_step_when_nothing_else_takes_it() -> None:
    """Esc is Back (as in the review and Learn the layout): not on step 1, not over a dialog
    (it closes the dialog), not from an open list (it closes the list)."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        assert app.current_step == 1 and app.is_running
        await jump_to(pilot, 3)
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_step == 2
        await pilot.press("f1")
        assert isinstance(app.screen, HelpDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, IdentityScreen)
        profile = app.screen.query_one("#profile")
        profile.focus()
        await pilot.press("enter")  # the dropdown opens
        await pilot.pause()
        assert profile.expanded
        await pilot.press("escape")  # and closes; the step stays
        await pilot.pause()
        assert not profile.expanded and app.current_step == 2
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AddressesScreen)
        await jump_to(pilot, 4)  # no run: Esc (Cancel run there) is Back
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_step == 3


async def test_a_step_is_ticked_only_when_done(in_tmp: Path) -> None:
    """ctrl+n from step 4 without generating opens Inspect, but step 4 keeps ○, not ✓; a
    written set ticks it."""
    from tests.tui.wizard_pilot import fast_spec, settle
    from wizard.tui.widgets.step_indicator import StepIndicator

    def marks() -> str:
        line = app.screen.query_one(StepIndicator).render().plain
        return "".join(step.split()[0] for step in line.split("›"))

    app = wizard(fast_spec())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        await settle(pilot)
        assert app.current_step == 4 and marks() == "✓✓✓●○"
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.current_step == 5 and marks() == "✓✓✓○●"
        await pilot.press("ctrl+b")
        await pilot.press("ctrl+g")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert marks() == "✓✓✓✓●"


async def test_clicking_a_step_in_the_indicator_goes_there() -> None:
    """The indicator is one line: a click is matched to the step under it by its column, the
    separators and the app's name go nowhere, and forward clicks stop where a step is not
    done (step 3's preview not seen)."""
    from wizard.tui.widgets.step_indicator import StepIndicator

    app = wizard()
    async with app.run_test(size=(120, 32)) as pilot:
        indicator = app.screen.query_one(StepIndicator)
        line = indicator.render().plain
        assert line.startswith(" k8s-cert-wizard ")
        await pilot.click(indicator, offset=(line.index("›"), 0))  # a separator: nothing
        await pilot.pause()
        assert app.current_step == 1
        await pilot.click(indicator, offset=(line.index("2 Identity"), 0))
        await pilot.pause()
        assert isinstance(app.screen, IdentityScreen)
        indicator = app.screen.query_one(StepIndicator)
        line = indicator.render().plain
        assert "✓ 1 Addresses › ● 2 Identity › ○ 3 Preview" in line
        await pilot.hover(indicator, offset=(line.index("Generate"), 0))
        assert indicator.hovered == 4 and indicator.tooltip == "go to step 4: Generate"
        await pilot.click(indicator, offset=(line.index("Generate"), 0))
        await pilot.pause()
        assert isinstance(app.screen, PreviewScreen)  # the preview must be seen first
        indicator = app.screen.query_one(StepIndicator)
        await pilot.click(indicator, offset=(indicator.render().plain.index("1 Addr"), 0))
        await pilot.pause()
        assert isinstance(app.screen, AddressesScreen)


async def test_the_indicator_leaves_the_name_out_at_80_columns() -> None:
    """At 80 columns the app's name gives its place; clicks still land on their steps."""
    from wizard.tui.widgets.step_indicator import StepIndicator

    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        indicator = app.screen.query_one(StepIndicator)
        line = indicator.render().plain
        assert line.startswith(" ● 1 Addresses › ○ 2 Identity")
        await pilot.click(indicator, offset=(line.index("Identity"), 0))
        await pilot.pause()
        assert isinstance(app.screen, IdentityScreen)
