"""Step 4: generation in a worker, the existing-files choices, cancel, errors in words."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import Input, RadioButton

from tests.tui.wizard_pilot import fast_spec, jump_to, paste_into, settle, wizard
from wizard.spec import ClusterSpec
from wizard.tui.app import WizardApp
from wizard.tui.screens.generate import GenerateScreen


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


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


async def test_refuse_then_reuse_the_existing_ca(tmp_path: Path) -> None:
    """A second run with "refuse" writes nothing and says why in words; "reuse the existing
    CA" then signs new leaves with the old CA and backs up what it replaces."""
    directory = tmp_path / "k8s-certs"
    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_generate(app, pilot, directory)
        assert "does not exist yet" in str(screen.query_one("#dir-note").render())
        await pilot.press("ctrl+g")
        await settle(pilot)
        first = _snapshot(directory)
        assert "wrote 18 files" in _result(app)
        await settle(pilot)
        assert "refuse:" in str(screen.query_one("#existing-note").render())

        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "already holds" in _result(app) and "nothing was written" in _result(app)
        assert "Traceback" not in _result(app)
        assert _snapshot(directory) == first

        await pilot.click("#existing-reuse")
        await settle(pilot)
        assert screen.query_one("#existing-reuse", RadioButton).value
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


async def test_refusals_before_any_key_is_made(tmp_path: Path) -> None:
    """A file where the directory should be, and answers changed since the preview, are
    refused in words before any key is made."""
    in_the_way = tmp_path / "k8s-certs"
    in_the_way.write_text("not a directory\n")
    app = wizard(fast_spec())
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_generate(app, pilot, in_the_way)
        assert "is a file — choose a directory" in str(screen.query_one("#dir-note").render())
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "is a file — choose a directory" in _result(app)
        assert not screen.running

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
