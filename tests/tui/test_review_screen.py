"""The review screen: the table of files with their state in words, the filter, the tree of who
signed what, the panel with the findings under it, the keys, `run_review` and its exit codes,
and SVG snapshots at 100×32, 80×24 and 120×40 (pytest-textual-snapshot).

Snapshots read the committed review set (data/make_review_set.py) staged with fixed modes, at a
fixed clock. Regenerate after a deliberate change:
`pytest tests/tui/test_review_screen.py tests/tui/test_renew_screen.py --snapshot-update`.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Input, Static, Tree

import wizard.tui
from tests.tui.review_shots import (
    FIXED_NOW,
    LONG_PATH,
    review_screen,
    review_set_app,
    select_file,
    settle,
    shoot,
    stage_long_path,
    stage_review_set,
)
from tests.tui.wizard_pilot import INSPECT_SET
from wizard.exit_codes import review_exit_code as exit_code
from wizard.generate import generate_files
from wizard.review import review_directory
from wizard.spec import ClusterSpec
from wizard.store import write_files
from wizard.tui.dialogs.help import HelpDialog
from wizard.tui.review_app import ReviewApp, make_review_app, run_review
from wizard.tui.screens import review as review_module
from wizard.tui.screens.review import build_rows, filter_rows
from wizard.tui.widgets.certificate_panel import CertificatePanel

SIZE = (100, 32)
NARROW = (80, 24)


# --- sets to review ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def classic_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's classic set, generated now (once per session; copy it before changing it)."""
    directory = tmp_path_factory.mktemp("review-classic") / "k8s-certs"
    write_files(directory, generate_files(ClusterSpec.example()))
    return directory


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: str, key, issuer: str, signer, start: datetime, end: datetime, *, ca: bool
) -> bytes:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    certificate = builder.sign(signer, hashes.SHA256())
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A CA, a client certificate beside a key that is not its own, an expired certificate."""
    now = datetime.now(UTC)
    directory = tmp_path / "messy"
    directory.mkdir()
    ca_key, alice_key, other_key, old_key = (
        ec.generate_private_key(ec.SECP256R1()) for _ in "1234"
    )
    files = {
        "ca.pem": _certificate(
            "messy-ca",
            ca_key,
            "messy-ca",
            ca_key,
            now - timedelta(days=1),
            now + timedelta(days=3650),
            ca=True,
        ),
        "ca-key.pem": _pem(ca_key),
        "alice.pem": _certificate(
            "alice",
            alice_key,
            "messy-ca",
            ca_key,
            now - timedelta(days=1),
            now + timedelta(days=365),
            ca=False,
        ),
        "alice-key.pem": _pem(other_key),
        "old.pem": _certificate(
            "old",
            old_key,
            "messy-ca",
            ca_key,
            now - timedelta(days=400),
            now - timedelta(days=35),
            ca=False,
        ),
        "old-key.pem": _pem(old_key),
    }
    for name, content in files.items():
        path = directory / name
        path.write_bytes(content)
        path.chmod(0o600 if name.endswith("-key.pem") else 0o644)
    return directory


def _table(pilot: Pilot) -> DataTable:
    return review_screen(pilot).query_one("#review-table", DataTable)


# the table's columns: mark, status, expires, file, …
STATUS, EXPIRES, FILE = 1, 2, 3


def _table_files(pilot: Pilot) -> list[str]:
    table = _table(pilot)
    return [str(table.get_row_at(i)[FILE]) for i in range(table.row_count)]


def _status_of(pilot: Pilot, name: str) -> str:
    table = _table(pilot)
    for i in range(table.row_count):
        cells = table.get_row_at(i)
        if str(cells[FILE]) == name:
            return str(cells[STATUS])
    raise AssertionError(f"{name} is not in the table")


def drawn(widget: Widget) -> list[str]:
    """The lines a widget draws, padding included."""
    return [line.text for line in widget.render_lines(Region(0, 0, *widget.outer_size))]


def _findings_text(pilot: Pilot) -> str:
    return str(review_screen(pilot).query_one("#review-findings", Static).render())


# --- behaviour ---------------------------------------------------------------------------------


async def test_generated_set_every_certificate_valid(classic_made: Path) -> None:
    """A fresh classic set: every object has a row, every certificate reads ✓ valid."""
    app = make_review_app(classic_made)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        review = app.review
        assert _table(pilot).row_count == len(review.files)
        certificates = [r.ref for r in review.files if r.cert is not None]
        assert sorted(certificates) == ["admin.pem", "ca.pem", "kube-proxy.pem", "kubernetes.pem"]
        for name in certificates:
            assert _status_of(pilot, name) == "✓ valid"
        summary = str(review_screen(pilot).query_one("#review-summary", Static).render())
        assert "0 errors" in summary and "nothing to fix" in summary


async def test_messy_directory_shows_findings_with_their_slugs(messy: Path) -> None:
    """A key that is not its certificate's and an expired certificate: the rows say so in words,
    and the findings under the panel name their checks."""
    app = make_review_app(messy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert _status_of(pilot, "old.pem").startswith("✗ expired")
        assert "error" in _status_of(pilot, "alice-key.pem")
        await select_file(pilot, "old.pem")
        assert "expired" in _findings_text(pilot)
        await select_file(pilot, "alice-key.pem")
        text = _findings_text(pilot)
        assert "key-mismatch" in text and "error" in text
        await select_file(pilot, "alice.pem")
        panel = review_screen(pilot).query_one(CertificatePanel)
        assert panel.shown is not None and panel.shown.details.key_matches is False
        assert (panel.value_text("key") or "").endswith(
            "alice-key.pem does not match this certificate"
        )
        checks = {f.check for f in app.review.findings}
        assert {"key-mismatch", "expired"} <= checks


@pytest.mark.slow
async def test_filter_narrows_the_rows(in_tmp: Path) -> None:
    """Typing in the filter keeps the rows holding the words: a file name, `error`, `expired`;
    Esc leaves the filter, Esc again clears it."""
    app = review_set_app(stage_review_set(in_tmp))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        everything = _table(pilot).row_count
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"kube-proxy")
        assert sorted(_table_files(pilot)) == [
            "kube-proxy-csr.json",
            "kube-proxy-key.pem",
            "kube-proxy.csr",
            "kube-proxy.pem",
        ]
        screen = review_screen(pilot)
        screen.query_one("#review-filter", Input).value = "expired"
        await pilot.pause()
        assert _table_files(pilot) == ["etcd.pem"]
        screen.query_one("#review-filter", Input).value = "error"
        await pilot.pause()
        assert set(_table_files(pilot)) == {"etcd.pem", "kube-proxy-key.pem", "kubernetes.pem"}
        screen.query_one("#review-filter", Input).value = "warning"
        await pilot.pause()
        assert set(_table_files(pilot)) == {"metrics-server-key.pem", "metrics-server.pem"}
        await pilot.press("escape")
        assert app.focused is _table(pilot)
        await pilot.press("escape")
        assert _table(pilot).row_count == everything


def test_filter_rows_matches_every_word(inspect_set: Path) -> None:
    """The filter is case-blind, looks in every column and in the findings' slugs."""
    review = review_directory(inspect_set, now=FIXED_NOW)
    rows = build_rows(review)
    assert filter_rows(rows, "") == rows
    assert [r.file for r in filter_rows(rows, "ADMIN certificate")] == ["admin.pem"]
    assert [r.file for r in filter_rows(rows, "self-signed")] == ["ca.pem"]
    assert filter_rows(rows, "key-mismatch") == []


async def test_selecting_a_row_shows_the_certificate(in_tmp: Path) -> None:
    """The panel explains the row under the cursor: a certificate, or a sentence for a key."""
    directory = stage_review_set(in_tmp)
    app = review_set_app(directory)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_file(pilot, "kubernetes.pem")
        panel = review_screen(pilot).query_one(CertificatePanel)
        assert panel.shown is not None
        assert panel.shown.title.startswith("kubernetes.pem")
        on_disk = x509.load_pem_x509_certificate((directory / "kubernetes.pem").read_bytes())
        assert panel.shown.certificate == on_disk
        assert panel.shown.details.chain_ok is True and panel.shown.details.key_matches is True
        assert "missing-san" in _findings_text(pilot)
        await pilot.press("r")
        assert panel.raw is True
        await pilot.press("r")
        await select_file(pilot, "kubernetes-key.pem")
        assert panel.shown is None
        title = panel.title_text
        assert "private key" in title and "kubernetes.pem" in title


async def test_tree_lists_what_the_ca_signed(in_tmp: Path) -> None:
    """t shows the tree: ca.pem at the top, the certificates it signed under it; t again goes
    back to the table."""
    app = review_set_app(stage_review_set(in_tmp))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = review_screen(pilot)
        assert screen.query_one("#review-views", ContentSwitcher).current == "review-tree"
        tree = screen.query_one("#review-tree", Tree)
        assert app.focused is tree
        (ca,) = tree.root.children
        assert str(ca.label).startswith("✓ ca.pem")
        signed = sorted(str(child.label).split()[1] for child in ca.children)
        assert signed == [
            "admin.pem",
            "etcd.pem",
            "kube-proxy.pem",
            "kubernetes.pem",
            "metrics-server.pem",
        ]
        await pilot.press("t")
        assert screen.query_one("#review-views", ContentSwitcher).current == "review-table"


@pytest.mark.slow
async def test_marks_refuse_what_renew_cannot_do(in_tmp: Path) -> None:
    """Space marks a certificate (● and the count say so); a CA or a key is not marked."""
    app = review_set_app(stage_review_set(in_tmp))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = review_screen(pilot)
        await select_file(pilot, "ca.pem")
        await pilot.press("space")
        await select_file(pilot, "ca-key.pem")
        await pilot.press("space")
        assert screen.marked == set()
        await select_file(pilot, "admin.pem")
        await pilot.press("space")
        assert screen.renewal_names() == ["admin.pem"]
        assert "1 marked" in str(screen.query_one("#review-count", Static).render())
        await pilot.press("space")
        assert screen.marked == set()


async def test_help_lists_the_keys(in_tmp: Path) -> None:
    """? opens the key help; Escape closes it."""
    app = review_set_app(stage_review_set(in_tmp))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpDialog)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpDialog)


def _footer(pilot: Pilot) -> dict[str, str]:
    """The keys the footer shows, with their labels."""
    return {
        key: active.binding.description
        for key, active in pilot.app.screen.active_bindings.items()
        if active.binding.show
    }


async def _review_in_the_wizard(pilot: Pilot) -> None:
    """F2 in the wizard, Enter on the path dialog (./k8s-certs): the review opens."""
    from wizard.tui.screens.review import ReviewScreen

    await settle(pilot)
    await pilot.press("f2")  # the wizard's key for open_review_dialog
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewScreen)


@pytest.mark.slow
async def test_inside_the_wizard(in_tmp: Path) -> None:
    """The wizard can open the review (a path dialog, then the screen); q goes back to it."""
    from tests.tui.wizard_pilot import wizard

    stage_inspect_set(in_tmp / "k8s-certs")
    app = wizard()
    async with app.run_test(size=SIZE) as pilot:
        under = app.screen
        await _review_in_the_wizard(pilot)
        assert _table(pilot).row_count == len(app.screen.review.files)
        assert "k8s-certs" in str(app.screen.query_one("#review-summary", Static).render())
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is under


async def test_over_the_wizard_only_the_reviews_keys_work(in_tmp: Path) -> None:
    """Over the wizard the footer lists the review's keys, not Next/Back/Save/Load, and those
    keys open nothing; Esc is "Back to wizard" and goes back, once the filter is left."""
    from tests.tui.wizard_pilot import wizard
    from wizard.tui.screens.review import ReviewScreen

    stage_inspect_set(in_tmp / "k8s-certs")
    app = wizard()
    async with app.run_test(size=NARROW) as pilot:
        under = app.screen
        await _review_in_the_wizard(pilot)
        review = app.screen
        shown = _footer(pilot)
        assert not {"ctrl+n", "ctrl+b", "ctrl+s", "ctrl+o", "ctrl+l", "f2"} & set(shown)
        assert shown["escape"] == "Back to wizard" and "Quit" not in shown.values()
        for key in ("ctrl+s", "ctrl+o", "ctrl+n", "ctrl+b", "ctrl+l", "f2"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is review, f"{key} opened {app.screen}"
        await pilot.press("slash", "a")
        assert "escape" not in _footer(pilot)  # Esc now leaves the filter
        await pilot.press("escape")  # leave the filter
        await pilot.press("escape")  # clear it
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.query_one("#review-filter", Input).value == ""
        assert _footer(pilot)["escape"] == "Back to wizard"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is under


async def test_alone_q_quits_and_esc_does_not(inspect_set: Path) -> None:
    """Run alone the key is "q Quit"; Esc only leaves the filter, it never quits."""
    app = make_review_app(inspect_set, now=FIXED_NOW)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        shown = _footer(pilot)
        assert shown["q"] == "Quit" and "escape" not in shown
        assert "Back to wizard" not in shown.values()
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, review_module.ReviewScreen)
        await pilot.press("question_mark")
        help_text = "\n".join(str(s.render()) for s in app.screen.query(".help-rows"))
        assert "Quit the review" in help_text and "Back to the wizard" not in help_text


async def test_help_rows_wrap_under_their_description(in_tmp: Path) -> None:
    """At 80 columns a long description wraps under itself, not back under the keys, and the
    keys stand apart from it."""
    app = review_set_app(stage_review_set(in_tmp))
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        lines: list[str] = []
        wrapped = 0
        for static, (_heading, rows) in zip(
            app.screen.query(".help-rows").results(Static), app.screen.sections, strict=True
        ):
            hang = max(len(keys) for keys, _ in rows) + 2
            for line in drawn(static):
                if line[:hang].strip():  # a row's first line: its keys, then 2 spaces or more
                    assert line[:hang].rstrip() in {keys for keys, _ in rows}, line
                else:  # a description wrapped under itself
                    wrapped += 1
                lines.append(line)
        assert wrapped  # some descriptions are longer than the dialog at 80 columns
        assert any(line.startswith("↑ ↓ PgUp PgDn  Move;") for line in lines)


@pytest.mark.slow
async def test_summary_shows_the_whole_path_or_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The title names the directory in full; when that is too long for the line, its start
    gives way to …, and the counts stay."""
    monkeypatch.chdir(tmp_path)
    deep = tmp_path / "clusters" / "production-eu-west" / "kubernetes" / "2026-renewal"
    deep.mkdir(parents=True)
    directory = stage_review_set(deep)
    app = review_set_app(directory)
    async with app.run_test(size=(200, 32)) as pilot:
        await settle(pilot)
        summary = drawn(review_screen(pilot).query_one("#review-summary", Static))[0]
        assert f" Review of {directory} — 22 files: " in summary
    app = review_set_app(directory)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        summary = drawn(review_screen(pilot).query_one("#review-summary", Static))[0]
        assert summary.startswith(" Review of …/") and "/review-set — 22 files: " in summary
        assert summary.rstrip().endswith("2 info")  # the counts are not cut
        await pilot.resize_terminal(200, 32)
        await pilot.pause()
        summary = drawn(review_screen(pilot).query_one("#review-summary", Static))[0]
        assert f" Review of {directory} — 22 files: " in summary


@pytest.fixture(scope="module")
def inspect_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed inspect set with the modes generate gives (git keeps no file modes)."""
    return stage_inspect_set(tmp_path_factory.mktemp("inspect") / "k8s-certs")


def stage_inspect_set(target: Path) -> Path:
    """Copy the inspect set to `target`: keys 0600, the rest 0644, the folder 0700."""
    shutil.copytree(INSPECT_SET, target)
    target.chmod(0o700)
    for path in target.iterdir():
        path.chmod(0o600 if path.name.endswith("-key.pem") else 0o644)
    return target


# --- run_review and exit codes -----------------------------------------------------------------


def test_exit_codes_follow_the_worst_finding(inspect_set: Path) -> None:
    """0 clean, 1 warnings only, 2 errors — as `review --plain` gives."""
    assert exit_code(review_directory(inspect_set, now=FIXED_NOW)) == 0
    assert exit_code(review_directory(inspect_set, now=FIXED_NOW, warn_days=4000)) == 1
    later = FIXED_NOW + timedelta(days=4000)
    assert exit_code(review_directory(inspect_set, now=later)) == 2


def test_run_review_returns_the_plain_exit_code(
    monkeypatch: pytest.MonkeyPatch, inspect_set: Path
) -> None:
    """run_review shows the app, then returns the review's exit code."""
    shown: list[ReviewApp] = []
    monkeypatch.setattr(ReviewApp, "run", lambda self, *a, **k: shown.append(self))
    for review, code in (
        (review_directory(inspect_set, now=FIXED_NOW), 0),
        (review_directory(inspect_set, now=FIXED_NOW, warn_days=4000), 1),
        (review_directory(inspect_set, now=FIXED_NOW + timedelta(days=4000)), 2),
    ):
        assert run_review(review) == code
        assert shown[-1].review is review


async def test_q_quits_with_the_exit_code(inspect_set: Path) -> None:
    """q ends the app with the exit code as its result."""
    app = make_review_app(inspect_set, now=FIXED_NOW, warn_days=4000)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
    assert app.return_value == 1


def test_cli_review_in_a_terminal_calls_run_review(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`k8s-cert-wizard review DIR` in a terminal hands the review to run_review."""
    from wizard.cli import main

    directory = stage_inspect_set(tmp_path / "set")
    called = []

    def fake_run_review(review, *, config=None, config_path=None) -> int:
        called.append((review, config, config_path))
        return 0

    monkeypatch.setattr(wizard.tui, "run_review", fake_run_review)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert main(["review", str(directory)]) == 0
    assert len(called) == 1 and called[0][0].root == str(directory)
    assert called[0][1:] == (None, None)
    (directory / "cluster.toml").write_text((INSPECT_SET / "cluster.toml").read_text())
    assert main(["review", str(directory), "-c", str(directory / "cluster.toml")]) == 0
    assert called[1][1] is not None and called[1][2] == directory / "cluster.toml"


async def test_review_shots_name_the_set_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README screenshots (review_shots.py) make their scratch folder HOME, as the snapshot
    tests do: the title says ~/review-set whoever runs it, and HOME is given back after."""
    monkeypatch.setenv("HOME", str(tmp_path / "someone"))
    titles: list[str] = []

    async def drive(pilot: Pilot) -> None:
        titles.append(drawn(review_screen(pilot).query_one("#review-summary", Static))[0])

    shot = await shoot("review.svg", drive, size=NARROW, out=tmp_path)
    assert titles[0].startswith(" Review of ~/review-set — 22 files: "), titles[0]
    assert "~/review-set" in shot.read_text()
    assert os.environ["HOME"] == str(tmp_path / "someone")


# --- snapshots ---------------------------------------------------------------------------------


@pytest.fixture
def home_in_tmp(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME is the scratch directory: the title shows the set as ~/review-set on every run."""
    monkeypatch.setenv("HOME", str(in_tmp))
    return in_tmp


async def _on_kubernetes(pilot: Pilot) -> None:
    await settle(pilot)
    await select_file(pilot, "kubernetes.pem")


@pytest.mark.parametrize("size", [SIZE, NARROW], ids=["100x32", "80x24"])
def test_snapshot_review(size: tuple[int, int], snap_compare, home_in_tmp: Path) -> None:
    """The review set with its cluster file: kubernetes.pem selected, its missing SAN below."""
    app = review_set_app(stage_review_set(home_in_tmp))
    assert snap_compare(app, terminal_size=size, run_before=_on_kubernetes)


@pytest.mark.slow
def test_snapshot_review_tree(snap_compare, home_in_tmp: Path) -> None:
    """The tree of who signed what."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    app = review_set_app(stage_review_set(home_in_tmp))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_most_urgent_rows_first_status_and_expiry_on_screen_at_80(in_tmp: Path) -> None:
    """At 80×24 the rows start with the most urgent (expired, then errors), the status and the
    expiry are the first columns, and a long path is cut in the middle, both ends kept."""
    directory = stage_review_set(in_tmp)
    stage_long_path(directory)
    app = review_set_app(directory)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        table = _table(pilot)
        statuses = [str(table.get_row_at(i)[STATUS]) for i in range(table.row_count)]
        assert statuses[0].startswith("✗ expired")
        first_valid = next(i for i, s in enumerate(statuses) if s == "✓ valid")
        assert all("error" in s or "expired" in s for s in statuses[:2])
        assert not any("error" in s for s in statuses[first_valid:])
        # status and expiry are inside the 80 columns, before the file
        header = drawn(table)[0]
        assert header.index("status") < header.index("expires") < header.index("file") < 80
        cells = [str(table.get_row_at(i)[FILE]) for i in range(table.row_count)]
        elided = next(c for c in cells if "…" in c)
        assert elided.startswith("var/lib/") and elided.endswith("server-ca.crt")
        assert len(elided) < len(LONG_PATH)
        await select_file(pilot, LONG_PATH)  # the row holds the whole path; the cell cuts it
        screen = review_screen(pilot)
        assert screen.selected is not None and screen.rows[screen.selected].file == LONG_PATH
        assert screen.query_one(CertificatePanel).shown is not None


async def _on_long_path(pilot: Pilot) -> None:
    await settle(pilot)
    screen = review_screen(pilot)
    row = next(r for r in screen.shown_rows if r.file == LONG_PATH)
    table = screen.query_one("#review-table", DataTable)
    table.focus()
    table.move_cursor(row=screen.shown_rows.index(row), animate=False)
    await pilot.pause()


@pytest.mark.slow
@pytest.mark.parametrize("size", [NARROW, (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_review_long_path(size: tuple[int, int], snap_compare, home_in_tmp: Path) -> None:
    """The review set with a CA copy under a long real-world path, that row selected: most
    urgent rows first, status and expiry first, the path cut in the middle."""
    directory = stage_review_set(home_in_tmp)
    stage_long_path(directory)
    app = review_set_app(directory)
    assert snap_compare(app, terminal_size=size, run_before=_on_long_path)
