"""An exception never ends the wizard quietly with status 0: the answers are saved aside, the
note says where, the status is CRASH_EXIT; an escape sequence Textual cannot parse is ignored."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.tui.wizard_pilot import burst, wizard
from wizard.spec import load_spec, save_spec
from wizard.tui import CRASH_EXIT
from wizard.tui.app_base import save_aside
from wizard.tui.widgets.host_list import HostListEditor

ROOT = Path(__file__).resolve().parents[2]


class Boom(Exception):
    """The fault a test injects."""


async def test_an_exception_saves_the_answers_aside_and_sets_crash_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec_path = tmp_path / "cluster.toml"
    app = wizard(spec_path=None)
    save_spec(app.state.spec, spec_path)
    app.state.mark_saved(spec_path)

    def boom(self: HostListEditor) -> None:
        raise Boom("injected")

    with pytest.raises(Boom):
        async with app.run_test(size=(100, 32)) as pilot:
            etcd = app.screen.editor("etcd")
            etcd.add_field.focus()
            await pilot.pause()
            await burst(pilot, *"10.9.9.9", "enter")
            assert app.state.spec.hosts.etcd[-1] == "10.9.9.9"
            assert app.state.dirty
            monkeypatch.setattr(HostListEditor, "_changed", boom)
            etcd.rows[0].field.focus()
            await pilot.pause()
            await burst(pilot, "x")  # typing calls the broken _changed
    assert app.return_code == CRASH_EXIT
    saved = sorted(tmp_path.glob("cluster.toml.unsaved-*"))
    assert len(saved) == 1
    assert load_spec(saved[0]).hosts.etcd[-1] == "10.9.9.9"
    assert load_spec(spec_path).hosts.etcd[-1] != "10.9.9.9"  # the cluster file is untouched
    assert app.crash_note is not None
    assert "Boom: injected" in app.crash_note and str(saved[0]) in app.crash_note


def test_save_aside_never_overwrites(tmp_path: Path) -> None:
    spec = wizard().state.spec
    source = tmp_path / "my.toml"
    first = save_aside(spec, source)
    second = save_aside(spec, source, now=None)
    third = save_aside(spec, source)
    assert first.name.startswith("my.toml.unsaved-")
    assert len({first, second, third}) == 3 and all(p.parent == tmp_path for p in (first, second))


FIRST_SCREEN = b"Addresses"
"""Text of the wizard's first screen: once it is drawn the wizard reads keys."""


def _run_in_a_terminal(script: str, keys: list[tuple[float, bytes]], timeout: float = 30):
    """Run `script` with a pseudo-terminal as its terminal, send `keys` (waiting after each);
    returns (exit status, None if killed after `timeout`; how many keys were sent when it
    ended; everything it printed). The keys are sent once the first screen is drawn."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the wizard, with the pty as stdin/stdout/stderr
        os.chdir(os.environ["CRASH_TEST_CWD"])
        os.execvpe(sys.executable, [sys.executable, "-c", script], os.environ)
    output = bytearray()

    def read_until(text: bytes | None, seconds: float) -> None:
        """Read the terminal until `text` shows (None: for all of `seconds`, a safety net)."""
        end = time.monotonic() + seconds
        while (text is None or text not in output) and (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                try:
                    output.extend(os.read(fd, 65536))
                except OSError:
                    return

    def read_for(seconds: float) -> None:
        read_until(None, seconds)

    # start-up: until the first screen is drawn (4 s of waiting sent the keys to a wizard not
    # yet running on a loaded machine, where a key could go before its field existed)
    read_until(FIRST_SCREEN, 120)
    status = None
    sent = 0
    for delay, data in keys:
        os.write(fd, data)
        sent += 1
        read_for(delay)
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
            break
    if status is None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            read_for(0.5)
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(code)
                break
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    os.close(fd)
    return status, sent, output.decode("utf-8", "replace")


@pytest.fixture
def terminal_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRASH_TEST_CWD", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "32")
    return tmp_path


def test_an_escape_sequence_textual_cannot_parse_is_ignored(terminal_env: Path) -> None:
    """`ESC[9999999999u` used to end the wizard (Textual's input thread died) with status 0."""
    script = "import sys; from wizard.tui import run_wizard_app; sys.exit(run_wizard_app())"
    # Two sequences out of range, a Tab (still answering?), then ctrl+q: nothing changed, so
    # it quits at once. Before the fix it had ended at the first sequence.
    keys = [(1.5, b"\x1b[9999999999u"), (1.0, b"\x1b[1114112u"), (1.0, b"\t"), (3.0, b"\x11")]
    status, sent, output = _run_in_a_terminal(script, keys)
    assert (status, sent) == (0, len(keys)), output[-2000:]


def test_run_wizard_app_exits_with_crash_exit_and_says_where_the_answers_are(
    terminal_env: Path,
) -> None:
    script = (
        "import sys\n"
        "from wizard.tui.wizard_app import WizardApp\n"
        "def boom(self): raise RuntimeError('injected fault')\n"
        "WizardApp.action_toggle_theme = boom\n"
        "from wizard.tui import run_wizard_app\n"
        "sys.exit(run_wizard_app())\n"
    )
    # 'x' changes an address (the answers now differ from the example), ctrl+t hits the fault.
    status, _sent, output = _run_in_a_terminal(script, [(1.5, b"x"), (2.0, b"\x14")])
    assert status == CRASH_EXIT, output[-2000:]
    saved = list(terminal_env.glob("cluster.toml.unsaved-*"))
    assert len(saved) == 1
    said = "".join(output.split())  # the note is wrapped to the terminal's width
    assert "injectedfault" in said
    assert f"Youranswersaresavedin{saved[0]}." in said


async def test_an_exception_in_any_app_never_ends_it_with_status_zero(
    inspect_set: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that raises in the stand-alone review (F1) and in a wizard step's key (ctrl+g
    on step 4): each app ends with CRASH_EXIT and a note, never 0."""
    from tests.tui.wizard_pilot import jump_to
    from wizard.tui import make_review_app
    from wizard.tui.screens.generate import GenerateScreen
    from wizard.tui.screens.review import ReviewScreen

    def boom(self: object) -> None:
        raise Boom("injected")

    monkeypatch.setattr(ReviewScreen, "action_help", boom)
    review = make_review_app(inspect_set)
    with pytest.raises(Boom):
        async with review.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            await pilot.press("f1")
            await pilot.pause()
    assert review.return_code == CRASH_EXIT and review.crash_note is not None

    monkeypatch.setattr(GenerateScreen, "action_generate", boom)
    app = wizard()
    with pytest.raises(Boom):
        async with app.run_test(size=(80, 24)) as pilot:
            await jump_to(pilot, 4)
            await pilot.press("ctrl+g")
            await pilot.pause()
    assert app.return_code == CRASH_EXIT
    assert app.crash_note is not None and "Boom: injected" in app.crash_note
