"""A cluster file full of mistakes never crashes the wizard: every step, F2, ctrl+l and the help
say what is wrong instead."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import RadioSet, Select, Static

from tests.tui.review_shots import select_file
from tests.tui.wizard_pilot import settle, wizard
from wizard.spec import ClusterSpec, load_spec, save_spec
from wizard.tui.dialogs.help import HelpDialog
from wizard.tui.screens.addresses import AddressesScreen
from wizard.tui.screens.generate import GenerateScreen
from wizard.tui.screens.identity import IdentityScreen
from wizard.tui.screens.inspect import InspectScreen
from wizard.tui.screens.layout import LayoutScreen
from wizard.tui.screens.preview import PreviewScreen
from wizard.tui.screens.renew import RenewScreen
from wizard.tui.screens.review import ReviewScreen
from wizard.tui.widgets.certificate_panel import CertificatePanel
from wizard.tui.wizard_app import WizardApp

PROFILE_ERROR = '"Classic" is not a profile'


def broken_spec(tmp_path: Path) -> ClusterSpec:
    """The guide's cluster saved with five mistakes, read back as the wizard's -c would."""
    spec = ClusterSpec.example()
    spec.profile = "Classic"
    spec.kubelet = "maybe"
    spec.key.algo = "dsa"
    spec.expiry.cert = "10y"
    spec.hosts.vip = ["10.0.0.0/8"]
    path = tmp_path / "broken.toml"
    save_spec(spec, path)
    return load_spec(path)


async def press(pilot: Pilot, *keys: str) -> None:
    """Press keys one by one; the app must survive each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
        assert pilot.app.is_running, key


async def visit_the_other_screens(pilot: Pilot, *, sections: bool = True) -> None:
    """F2 (review ./k8s-certs, renew a file), ctrl+l (every section, both languages), F1;
    back each time."""
    app = pilot.app
    step = app.screen
    await press(pilot, "f2", "enter")
    assert isinstance(app.screen, ReviewScreen)
    await select_file(pilot, "kubernetes.pem")
    await press(pilot, "n")
    assert isinstance(app.screen, RenewScreen)
    await press(pilot, "escape", "escape")
    assert app.screen is step
    await press(pilot, "ctrl+l")
    assert isinstance(app.screen, LayoutScreen)
    if sections:
        await press(pilot, "1", "2", "3", "4", "5", "p", "l")
    await press(pilot, "escape")
    assert app.screen is step
    await press(pilot, "f1")
    assert isinstance(app.screen, HelpDialog)
    await press(pilot, "escape")
    assert app.screen is step


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_every_step_with_a_broken_cluster_file(inspect_set: Path, tmp_path: Path) -> None:
    """make_app(spec=…, spec_path=None) with a broken file: Next is blocked at step 1 with the
    error; shown anyway, every later step says what to fix instead of planning, writing or
    reading the set; step 2 and the preview show the profile's error."""
    app = wizard(broken_spec(tmp_path))
    assert isinstance(app, WizardApp)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n", "ctrl+n", "ctrl+b")
        assert isinstance(app.screen, AddressesScreen)  # hosts.vip blocks Next
        assert "✗ 1 error: fix hosts.vip[0]" in text(app.screen, "#nav-status")
        await visit_the_other_screens(pilot)

        app.state.mark_previewed()  # as if Next had let it through: every step, directly
        for step, kind in enumerate(
            (AddressesScreen, IdentityScreen, PreviewScreen, GenerateScreen, InspectScreen),
            start=1,
        ):
            await app.switch_screen(app.step_screen(step))
            await settle(pilot)
            assert isinstance(app.screen, kind) and app.is_running
            await press(pilot, "f1", "escape", "ctrl+b", "ctrl+n")
            await app.switch_screen(app.step_screen(step))
            await settle(pilot)
        await visit_the_other_screens(pilot, sections=False)  # over step 5
        screen = app.step_screen(2)
        assert PROFILE_ERROR in text(screen, "#profile-note")
        assert "not a kubelet mode" in text(screen, "#kubelet-note")
        assert '"dsa" is not supported' in text(screen, "#key-note")
        assert 'write "87600h"' in text(screen, "#expiry-cert-note")
        assert PROFILE_ERROR in str(app.step_screen(3).query_one("#preview-warnings").render())

        await app.switch_screen(app.step_screen(4))
        await settle(pilot)
        said = "5 errors in the answers (steps 1 and 2), first hosts.vip[0]"
        assert said in text(app.screen, "#dir-note")
        await press(pilot, "ctrl+g")
        assert said in text(app.screen, "#result")
        assert not app.generating

        await app.switch_screen(app.step_screen(5))
        await settle(pilot)
        panel = app.screen.query_one(CertificatePanel)
        assert said in panel.title_text
        await press(pilot, "r")
    assert app.return_code in (None, 0)


async def test_a_broken_file_loaded_on_the_last_step(inspect_set: Path, tmp_path: Path) -> None:
    """Loading the broken file while step 5 shows a set goes to the first error; Back and Next
    from there stay put, and nothing crashes."""
    spec = broken_spec(tmp_path)
    spec.hosts.vip = ["192.168.214.100"]  # only step 2's mistakes: the profile comes first
    path = tmp_path / "step2.toml"
    save_spec(spec, path)
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await press(pilot, *["ctrl+n"] * 4)
        assert isinstance(app.screen, InspectScreen) and app.screen.members
        await press(pilot, "ctrl+o")
        app.screen.query_one("#path").value = str(path)
        await press(pilot, "enter")
        assert isinstance(app.screen, IdentityScreen)
        assert PROFILE_ERROR in text(app.screen, "#profile-note")
        # no stale choice stands for "dsa", "maybe" or "Classic"
        assert app.screen.query_one("#key-algo", RadioSet).pressed_button is None
        assert app.screen.query_one("#kubelet", RadioSet).pressed_button is None
        assert app.screen.query_one("#profile", Select).is_blank()
        await press(pilot, "ctrl+n", "ctrl+b", "ctrl+n")
        assert isinstance(app.screen, IdentityScreen)
        await visit_the_other_screens(pilot, sections=False)

        good = ClusterSpec.example()
        save_spec(good, tmp_path / "good.toml")
        await press(pilot, "ctrl+o")
        app.screen.query_one("#path").value = str(tmp_path / "good.toml")
        await press(pilot, "enter")
        assert isinstance(app.screen, IdentityScreen)
        assert app.screen.query_one("#profile", Select).value == good.profile
        pressed = app.screen.query_one("#key-algo", RadioSet).pressed_button
        assert pressed is not None and str(pressed.label) == good.key.algo
        await press(pilot, "ctrl+n")
        assert isinstance(app.screen, PreviewScreen)
