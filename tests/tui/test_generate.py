"""Step 4: generation in a worker, the existing-files choices, cancel, errors in words."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, ProgressBar, RadioButton, RichLog

from tests.tui.wizard_pilot import fast_spec, jump_to, paste_into, settle, wizard
from wizard import pki
from wizard.generate import Progress
from wizard.spec import ClusterSpec
from wizard.tui.screens.generate import GenerateScreen
from wizard.tui.wizard_app import WizardApp


async def _to_generate(app: WizardApp, pilot, directory: Path) -> GenerateScreen:
    await jump_to(pilot, 4)
    assert isinstance(app.screen, GenerateScreen)
    field = app.screen.query_one("#output-dir", Input)
    field.value = ""
    await paste_into(pilot, field, str(directory))
    await settle(pilot)  # the directory is surveyed in a thread
    return app.screen


def _result(app: WizardApp) -> str:
    return str(app.screen.query_one("#result").render())


def _note(screen: GenerateScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def _lines(widget: Widget) -> list[str]:
    """The widget's text as drawn on the screen, line by line."""
    region = Region(0, 0, widget.size.width, widget.size.height)
    return [strip.text.rstrip() for strip in widget.render_lines(region)]


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


async def test_refuse_then_replace_keeping_the_existing_ca(tmp_path: Path) -> None:
    """A second run with "refuse" writes nothing and says why in words; "back up and replace"
    then signs new leaves with the old CA (as `generate --force` does) and backs up what it
    replaces."""
    directory = tmp_path / "k8s-certs"
    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_generate(app, pilot, directory)
        assert "does not exist yet" in str(screen.query_one("#dir-note").render())
        await pilot.press("ctrl+g")
        await settle(pilot)
        first = _snapshot(directory)
        assert "wrote 20 files" in _result(app)
        await settle(pilot)
        # The directory holds what was just written: said in green, no refusal in red.
        assert "holds the set just written" in _note(screen, "#dir-note")
        assert _note(screen, "#existing-note") == ""

        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "already holds" in _result(app) and "nothing was written" in _result(app)
        assert "Traceback" not in _result(app)
        assert _snapshot(directory) == first

        # A new choice makes the refusal stale: it goes, and the note looks ahead again.
        await pilot.click("#existing-replace")
        await settle(pilot)
        assert screen.query_one("#existing-replace", RadioButton).value
        assert not screen.query_one("#result").display and _result(app) == ""
        assert "holds the set just written" not in _note(screen, "#dir-note")
        assert "signs with the existing ca.pem" in str(screen.query_one("#existing-note").render())
        await pilot.press("ctrl+g")
        await settle(pilot)
        second = _snapshot(directory)
        assert second["ca.pem"] == first["ca.pem"]
        assert second["ca-key.pem"] == first["ca-key.pem"]
        assert second["kubernetes.pem"] != first["kubernetes.pem"]
        backups = [p for p in directory.iterdir() if p.name.startswith("backup-")]
        assert len(backups) == 1
        assert (backups[0] / "kubernetes.pem").read_bytes() == first["kubernetes.pem"]
        assert app.state.result is not None and app.state.result.backup == backups[0]


async def test_cancel_leaves_no_partial_set(tmp_path: Path) -> None:
    """RSA 4096 cancelled right after the start: the existing directory is untouched and no
    staging folder is left behind."""
    existing = tmp_path / "k8s-certs"
    existing.mkdir()
    (existing / "keep.txt").write_text("old state\n")
    spec = ClusterSpec.example()
    spec.key.size = 4096
    app = wizard(spec)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_generate(app, pilot, existing)
        await pilot.click("#existing-replace")
        # Start and cancel at once: a key press would wait for the busy worker to go idle.
        screen.action_generate()
        assert screen.running
        screen.action_cancel()
        await settle(pilot)
        assert not screen.running
        assert "cancelled — nothing was written" in _result(app)
        assert app.state.result is None
    assert sorted(os.listdir(existing)) == ["keep.txt"]
    assert (existing / "keep.txt").read_text() == "old state\n"
    assert sorted(os.listdir(tmp_path)) == ["k8s-certs"]


@pytest.mark.slow
async def test_refusals_before_any_key_is_made(tmp_path: Path) -> None:
    """A file where the directory should be, and answers changed since the preview, are
    refused in words before any key is made."""
    in_the_way = tmp_path / "k8s-certs"
    in_the_way.write_text("not a directory\n")
    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_generate(app, pilot, in_the_way)
        assert "is a file, not a directory" in _note(screen, "#dir-note")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "is a file, not a directory" in _result(app)
        assert not screen.running

        # A directory that cannot be created (store.target_problem) is refused in red by the
        # survey, and Generate stops before the first key is made.
        beyond = in_the_way / "certs"
        field = screen.query_one("#output-dir", Input)
        field.value = ""
        await paste_into(pilot, field, str(beyond))
        await settle(pilot)
        assert f"cannot create {beyond}" in _note(screen, "#dir-note")
        assert "does not exist yet" not in _note(screen, "#dir-note")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert f"cannot create {beyond}" in _result(app)
        assert not any("key for" in line for line in _lines(screen.query_one("#log")))
        assert app.state.result is None

        directory = tmp_path / "out"
        field = screen.query_one("#output-dir", Input)
        field.value = ""
        await paste_into(pilot, field, str(directory))
        app.state.touch()  # as if an answer changed behind the preview's back
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "changed since the preview" in _result(app)
        assert not directory.exists()
        await pilot.press("ctrl+b")
        await pilot.press("ctrl+n")
        assert app.screen is screen
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert directory.is_dir()


async def test_a_refusal_is_shown_whole_at_80_by_24(tmp_path: Path) -> None:
    """The refusal and its fix wrap under the buttons and in the log; the status bar keeps a
    short line that fits."""
    directory = tmp_path / "k8s-certs"
    app = wizard(fast_spec())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _to_generate(app, pilot, directory)
        await pilot.press("ctrl+g")
        await settle(pilot)
        await pilot.press("ctrl+g")  # refused: the directory now holds a set
        await settle(pilot)
        result = screen.query_one("#result")
        shown = " ".join(_lines(result))
        assert result.size.height >= 2
        assert "choose “back up and replace” (keeps the CA) or “make a new CA”, or" in shown
        log = screen.query_one("#log", RichLog)
        assert all(strip.cell_length <= log.scrollable_content_region.width for strip in log.lines)
        assert "or another directory" in " ".join(strip.text.strip() for strip in log.lines)
        status = screen.nav.query_one("#nav-status")
        assert len(str(status.render())) <= status.content_region.width
        assert "another directory" in str(status.tooltip)


@pytest.mark.slow
async def test_focus_follows_the_run_and_esc_works_only_while_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ctrl+g from the directory field: Generate takes the focus during the run (the field is
    locked; Generate does nothing then, and keeping the focus still spares a footer rebuild),
    Esc cancels only then; a cancelled run gives the focus back, a finished one moves it to
    Inspect. The keys are held back until Esc has been pressed, so the run cannot end early on
    a fast (or slow) machine."""
    held = threading.Event()
    real_key = pki.new_private_key

    def held_key(algo: str, size: int) -> pki.PrivateKey:
        held.wait(30)
        return real_key(algo, size)

    monkeypatch.setattr(pki, "new_private_key", held_key)
    app = wizard(fast_spec())
    try:
        async with app.run_test(size=(100, 32)) as pilot:
            screen = await _to_generate(app, pilot, tmp_path / "slow")
            field = screen.query_one("#output-dir", Input)
            assert app.focused is field
            assert not screen.check_action("cancel", ())
            screen.action_generate()
            await pilot.pause()
            assert app.focused is screen.query_one("#generate")
            assert field.disabled and not screen.query_one("#cancel").disabled
            assert screen.check_action("cancel", ())
            await pilot.press("escape")
            held.set()
            await settle(pilot)
            assert app.focused is field
            assert not screen.check_action("cancel", ())
            assert "cancelled" in _result(app)
            assert not (tmp_path / "slow").exists()
    finally:
        held.set()
    monkeypatch.undo()  # the finished run below makes real keys

    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_generate(app, pilot, tmp_path / "fast")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "wrote 20 files" in _result(app)
        assert app.focused is screen.nav.query_one("#next")


@pytest.mark.slow
async def test_a_focused_button_stands_out() -> None:
    """Focus lightens and underlines a button; it is not drawn reversed (which made the
    focused Generate look dimmer than an unfocused one)."""
    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        await jump_to(pilot, 4)
        generate = app.screen.query_one("#generate")
        app.screen.set_focus(app.screen.query_one("#output-dir"))
        await pilot.pause()
        plain = generate.rich_style
        app.screen.set_focus(generate)
        await pilot.pause()
        focused = generate.rich_style
        assert focused.underline and not focused.reverse
        assert focused.bgcolor != plain.bgcolor


@pytest.mark.slow
async def test_progress_coalesces_but_the_log_keeps_every_step(tmp_path: Path) -> None:
    """Advanced messages replace each other in the queue; the log still shows every step of
    the job, in order, and the bar ends full."""
    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_generate(app, pilot, tmp_path / "k8s-certs")
        first = GenerateScreen.Advanced(Progress(1, 9, "one"))
        assert first.can_replace(GenerateScreen.Advanced(Progress(2, 9, "two")))
        assert not first.can_replace(GenerateScreen.Failed("no"))
        await pilot.press("ctrl+g")
        await settle(pilot)
        lines = [strip.text.strip() for strip in screen.query_one("#log", RichLog).lines]
        steps = [line for line in lines if line.startswith("✓ ") and "wrote 20 files" not in line]
        keys = [line for line in steps if "key for" in line]
        assert len(keys) == 4  # ca, kubernetes, admin, kube-proxy
        assert any(line == "✓ ready to write" for line in steps)
        bar = screen.query_one("#progress", ProgressBar)
        assert bar.total is not None and bar.progress == bar.total


async def test_a_step_added_while_the_log_is_written_is_logged_too(tmp_path: Path) -> None:
    """The worker thread appends steps while the screen writes earlier ones to the log: those
    come in the next call, none is skipped. (The log once lost `made kube-proxy.pem` and `ready
    to write` so on a loaded machine: the count of steps logged was read after the writing.)"""
    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_generate(app, pilot, tmp_path / "k8s-certs")
        written: list[str] = []
        late = Progress(2, 3, "made kube-proxy.pem")

        def log_line(text: str) -> None:
            written.append(text)
            if late not in screen._steps:
                screen._steps.append(late)  # as the worker does, between two lines

        screen.log_line = log_line  # type: ignore[method-assign]
        screen._steps, screen._logged = [Progress(1, 3, "made admin.pem")], 0
        screen._log_steps()
        screen._log_steps()
        assert written == ["✓ made admin.pem", "✓ made kube-proxy.pem"]
