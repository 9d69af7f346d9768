"""The doctor's paste box on the review screen, at 80×24: d opens it, a pasted error is
diagnosed against the review on screen, and closing it highlights the files it named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import DataTable, Static, TextArea

from tests.doctor.test_doctor import reissue, utc
from tests.tui.review_shots import review_screen, settle
from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files
from wizard.tui.review_app import make_review_app
from wizard.tui.screens.doctor import DoctorDialog

NARROW = (80, 24)
EXPIRED = (
    "Dec 02 10:00:01 m1 kube-apiserver[812]: E1202 10:00:01 812 reflector.go:138] Unable to "
    "connect to the server: x509: certificate has expired or is not yet valid: current time "
    "2023-03-31T09:11:37+03:00 is after 2023-03-25T05:32:30Z"
)


def broken_set(tmp_path: Path) -> Path:
    directory = tmp_path / "k8s-certs"
    write_files(directory, generate_files(ClusterSpec.example()))
    reissue(directory, "admin", end=utc("2023-03-25T05:32:30Z"))
    return directory


def _result(dialog: DoctorDialog) -> str:
    return str(dialog.query_one("#doctor-result", Static).render())


async def test_paste_diagnose_and_the_file_is_highlighted(tmp_path: Path) -> None:
    app = make_review_app(broken_set(tmp_path), now=datetime.now(UTC))
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DoctorDialog)
        box = dialog.query_one("#doctor-text", TextArea)
        assert box.has_focus
        # the dialog and its buttons fit in 80×24
        assert dialog.query_one("#doctor-dialog").region.right <= NARROW[0]
        assert dialog.query_one("#doctor-result-scroll").region.height >= 6
        assert dialog.query_one("#diagnose").region.bottom <= NARROW[1]
        box.load_text(EXPIRED)
        await pilot.press("ctrl+r")
        await pilot.pause()
        text = _result(dialog)
        assert "1 file(s) highlighted" in text, text
        assert "admin.pem" in text and "--only admin.pem" in text, text
        await pilot.press("escape")
        await pilot.pause()
        screen = review_screen(pilot)
        assert app.screen is screen
        (row,) = [r for r in screen.rows if r.index in screen.doctored]
        assert row.file == "admin.pem"
        table = screen.query_one("#review-table", DataTable)
        cell = table.get_cell(str(row.index), "file")
        assert str(cell) == "▶ admin.pem"
        assert screen.selected == row.index  # the cursor and the panel moved to it


async def test_not_a_certificate_problem_highlights_nothing(tmp_path: Path) -> None:
    app = make_review_app(broken_set(tmp_path), now=datetime.now(UTC))
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DoctorDialog)
        dialog.query_one("#doctor-text", TextArea).load_text(
            "dial tcp: lookup k8s-node2.novalocal on 8.8.8.8:53: no such host"
        )
        await pilot.click("#diagnose")
        await pilot.pause()
        text = _result(dialog)
        assert "not a certificate problem" in text and "no file of this directory" in text
        await pilot.press("escape")
        await pilot.pause()
        assert review_screen(pilot).doctored == set()


async def test_nothing_pasted_and_text_it_does_not_know(tmp_path: Path) -> None:
    app = make_review_app(broken_set(tmp_path), now=datetime.now(UTC))
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DoctorDialog)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "Nothing pasted yet" in _result(dialog)
        dialog.query_one("#doctor-text", TextArea).load_text("everything is fine")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "looked for x509:" in _result(dialog)
