"""Renewing from the review screen: mark, n, the diff the CLI prints, --keep-key, confirm, the run
in a worker, the redistribution plan, the review read again — and cancelling writes nothing.

The flow tests copy a classic set generated once per session and add a master to its
cluster.toml; the snapshot reads the committed review set at a fixed clock.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography import x509
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Static

from tests.tui.review_shots import (
    NEW_MASTER,
    open_renewal,
    review_screen,
    review_set_app,
    settle,
    stage_review_set,
)
from wizard.generate import generate_files
from wizard.spec import ClusterSpec, load_spec, save_spec
from wizard.store import write_files
from wizard.tui import make_review_app
from wizard.tui.dialogs.confirm import ConfirmDialog
from wizard.tui.screens.renew import RenewScreen
from wizard.tui.screens.review import ReviewScreen

SIZE = (100, 32)


@pytest.fixture(scope="session")
def fast_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's classic set with P-256 keys (quick to renew), generated once per session."""
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = "ecdsa", 256
    directory = tmp_path_factory.mktemp("renew-classic") / "k8s-certs"
    write_files(directory, generate_files(spec))
    return directory


@pytest.fixture
def grown(fast_set: Path, tmp_path: Path) -> Path:
    """A private copy of the set whose cluster.toml has gained a fourth master."""
    directory = tmp_path / "k8s-certs"
    shutil.copytree(fast_set, directory)
    spec = load_spec(directory / "cluster.toml")
    spec.hosts.masters.append(NEW_MASTER)
    save_spec(spec, directory / "cluster.toml")
    return directory


def state_of(directory: Path) -> dict[str, bytes]:
    """Every file's bytes, by relative path."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def ip_sans(path: Path) -> list[str]:
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(a) for a in sans.get_values_for_type(x509.IPAddress)]


def text_of(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def test_renew_adds_the_new_master(grown: Path) -> None:
    """Mark kubernetes.pem, n: the diff shows the new address added; r, y: the worker writes it,
    the CA stays byte for byte, the old files are in a backup folder, the redistribution plan is
    shown; Esc: the review is read again."""
    ca_before = (grown / "ca.pem").read_bytes()
    app = make_review_app(grown)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        assert isinstance(app.screen, RenewScreen)
        diff = text_of(pilot, "#renew-diff")
        assert f"+ {NEW_MASTER}" in diff
        assert "kubernetes.pem, kubernetes-key.pem" in diff
        assert not list(grown.glob("backup-*"))
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RenewScreen) and screen.state == "done"
        outcome = text_of(pilot, "#renew-diff")
        assert "Renewed kubernetes" in outcome
        assert "Redistribution" in outcome and "kube-apiserver" in outcome
        assert NEW_MASTER in ip_sans(grown / "kubernetes.pem")
        assert (grown / "ca.pem").read_bytes() == ca_before
        (backup,) = grown.glob("backup-*")
        assert (backup / "kubernetes.pem").is_file()
        old_review = review_screen(pilot).review
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.review is not old_review
        assert app.screen.marked == set()


async def test_cancel_writes_nothing(grown: Path) -> None:
    """Back at the confirmation, then Esc on the diff: not a byte changes."""
    before = state_of(grown)
    app = make_review_app(grown)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, RenewScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
    assert state_of(grown) == before


async def test_keep_key_changes_the_plan(grown: Path) -> None:
    """k keeps the private key: the diff says so and the key file is no longer rewritten."""
    app = make_review_app(grown)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        assert "new ECDSA 256" in text_of(pilot, "#renew-diff")
        await pilot.press("k")
        await pilot.pause()
        diff = text_of(pilot, "#renew-diff")
        assert "kept (the private key file is not touched)" in diff
        (files,) = [line for line in diff.splitlines() if line.startswith("  files")]
        assert "kubernetes-key.pem" not in files


async def test_without_a_cluster_file_renewing_is_explained(grown: Path) -> None:
    """No -c and no DIR/cluster.toml: the screen says what renewing needs and how to give it;
    r does nothing."""
    (grown / "cluster.toml").unlink()
    before = state_of(grown)
    app = make_review_app(grown)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        message = text_of(pilot, "#renew-diff")
        assert "needs the cluster file" in message and "-c cluster.toml" in message
        assert pilot.app.screen.query_one("#renew-go", Button).disabled
        await pilot.press("r")
        assert isinstance(app.screen, RenewScreen)
    assert state_of(grown) == before


async def test_the_config_given_to_the_review_is_used(grown: Path, tmp_path: Path) -> None:
    """A cluster file given to the review wins over DIR/cluster.toml."""
    spec = load_spec(grown / "cluster.toml")
    spec.hosts.masters.remove(NEW_MASTER)
    spec.hosts.extra.append("api.example.test")
    app = make_review_app(grown, config=spec, config_path=tmp_path / "other.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        diff = text_of(pilot, "#renew-diff")
        assert "+ api.example.test" in diff and NEW_MASTER not in diff
        assert "other.toml" in text_of(pilot, "#renew-source")


async def test_a_failed_run_is_said_in_words(grown: Path) -> None:
    """The CA's key gone after the diff was shown: the worker's refusal is a sentence, the
    directory is as it was."""
    app = make_review_app(grown)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        (grown / "ca-key.pem").unlink()
        before = state_of(grown)
        await pilot.press("r", "y")
        await settle(pilot)
        assert app.screen.state == "failed"
        status = text_of(pilot, "#renew-status")
        assert "ca-key.pem is missing" in status and "nothing was written" in status
        assert "Traceback" not in status
    assert state_of(grown) == before


async def test_a_ca_cannot_be_renewed(grown: Path) -> None:
    """n on ca.pem explains that renew never replaces a CA, and opens nothing."""
    app = make_review_app(grown)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "ca.pem")
        assert isinstance(app.screen, ReviewScreen)


def test_snapshot_renew_diff(snap_compare, in_tmp: Path) -> None:
    """The diff of kubernetes.pem in the review set: the new master added, the key new."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")

    app = review_set_app(stage_review_set(in_tmp))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_in_the_wizard_the_renewal_speaks_of_the_wizard(in_tmp: Path) -> None:
    """Opened from the wizard (F2, Enter, space, n): the comparison is with the wizard's
    answers and the certificate is the one picked, in those words — no -c, no --only; the
    wizard's keys stay off the footer and open nothing."""
    from tests.tui.wizard_pilot import INSPECT_SET, wizard

    shutil.copytree(INSPECT_SET, in_tmp / "k8s-certs")
    spec = load_spec(in_tmp / "k8s-certs" / "cluster.toml")
    spec.hosts.masters.append(NEW_MASTER)
    app = wizard(spec)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        screen = app.screen
        assert isinstance(screen, RenewScreen)
        source, diff = text_of(pilot, "#renew-source"), text_of(pilot, "#renew-diff")
        assert "Compared with the wizard's answers" in source and "-c" not in source
        assert "kubernetes — SANs differ from cluster.toml; you picked it" in diff
        assert "--only" not in diff
        shown = {k for k, a in screen.active_bindings.items() if a.binding.show}
        assert not {"ctrl+n", "ctrl+b", "ctrl+s", "ctrl+o", "ctrl+l", "f2"} & shown
        for key in ("ctrl+s", "ctrl+o", "f2"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, f"{key} opened {app.screen}"


async def test_keep_key_says_its_state_in_words(grown: Path) -> None:
    """The checkbox's mark differs only by colour, so its label says no / yes, as the plan
    does (a new key / kept)."""
    app = make_review_app(grown)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        box = app.screen.query_one("#renew-keep-key", Checkbox)
        assert str(box.label).endswith("(k): no") and not box.value
        await pilot.press("k")
        await pilot.pause()
        assert str(box.label).endswith("(k): yes") and box.value
        assert "kept (the private key file is not touched)" in text_of(pilot, "#renew-diff")
        await pilot.click("#renew-keep-key")  # the mouse works too
        await pilot.pause()
        assert str(box.label).endswith("(k): no") and not box.value


async def test_the_diff_wraps_under_its_values_at_80_columns(in_tmp: Path) -> None:
    """At 80×24 a long diff line goes on under its value (after `  files     `), never back at
    column 0."""
    app = review_set_app(stage_review_set(in_tmp))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        diff = app.screen.query_one("#renew-diff", Static)
        starts = [line.strip()[:12] for line in text_of(pilot, "#renew-diff").splitlines()]
        rows = [line.text for line in diff.render_lines(Region(0, 0, *diff.outer_size))]
        for row in rows:  # a row at column 0 begins a line of the diff
            if row[:1].strip():
                assert any(start and row.startswith(start) for start in starts), row
        files = next(i for i, row in enumerate(rows) if row.startswith("  files     "))
        assert rows[files + 1].startswith(" " * 12 + "kubernetes")  # wrapped under its value


def footer_actions(pilot: Pilot) -> set[str]:
    """The actions the footer offers now."""
    from textual.widgets._footer import FooterKey

    return {key.action for key in pilot.app.screen.query(FooterKey)}


@pytest.mark.slow
async def test_renew_then_undo_in_the_screen(grown: Path) -> None:
    """One item: "1 item", never "1 item(s)"; after the run the footer offers Undo, not Renew
    or Keep keys; u, y: the undo job puts the backup back (the renewed files into a new
    backup); back in the review the cursor is on the certificate renewed, not on row 1."""
    before = state_of(grown)
    app = make_review_app(grown)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_renewal(pilot, "kubernetes.pem")
        status = text_of(pilot, "#renew-status")
        assert "1 item," in status or "1 item " in status, status
        assert "(s)" not in status
        assert {"confirm", "toggle_keep_key"} <= footer_actions(pilot)
        assert "undo" not in footer_actions(pilot)
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmDialog)
        assert "(s)" not in app.screen.question and "1 item," in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RenewScreen) and screen.state == "done"
        offered = footer_actions(pilot)
        assert "undo" in offered and not {"confirm", "toggle_keep_key"} & offered
        assert screen.query_one("#renew-undo", Button).display
        assert NEW_MASTER in ip_sans(grown / "kubernetes.pem")
        (backup,) = grown.glob("backup-*")

        await pilot.press("u")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen and screen.state == "undone"
        assert "Undone" in text_of(pilot, "#renew-diff")
        assert "undo" not in footer_actions(pilot)
        after = state_of(grown)
        for name, data in before.items():
            assert after[name] == data, name  # every file as it was before the renewal
        assert len(list(grown.glob("backup-*"))) == 2  # the renewed files kept aside
        assert NEW_MASTER not in ip_sans(grown / "kubernetes.pem")

        await pilot.press("escape")
        await settle(pilot)
        review = review_screen(pilot)
        assert review.rows[review.selected].record.path == "kubernetes.pem"
