"""Step 5: the certificate panel — cfssl-certinfo's fields and more, and the raw JSON toggle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from tests.tui.wizard_pilot import FIXED_NOW, jump_to
from wizard.spec import ClusterSpec
from wizard.tui.screens.inspect import InspectScreen
from wizard.tui.widgets.certificate_panel import CertificatePanel
from wizard.tui.wizard_app import WizardApp, make_app


async def _to_inspect(app: WizardApp, pilot) -> InspectScreen:
    await jump_to(pilot, 5)
    assert isinstance(app.screen, InspectScreen)
    return app.screen


def _value(panel: CertificatePanel, row: str) -> str:
    value = panel.value_text(row)
    assert value is not None, f"no {row} row"
    return value


async def test_the_panel_explains_the_apiserver_certificate(inspect_set: Path) -> None:
    """Subject, SANs apart, validity in words, key and chain checks, the Kubernetes identity;
    `r` shows the cfssl-certinfo JSON — the same bytes as `k8s-cert-wizard certinfo`."""
    app = make_app(ClusterSpec.example(), now=FIXED_NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _to_inspect(app, pilot)
        assert [m.entry.name for m in screen.members] == ["ca", "kubernetes", "admin", "kube-proxy"]
        await pilot.press("down")
        panel = screen.query_one(CertificatePanel)
        assert "kubernetes.pem" in panel.title_text
        assert "CN=kubernetes" in _value(panel, "subject")
        assert "kubernetes.default.svc.cluster.local" in _value(panel, "dns")
        assert "192.168.214.100" in _value(panel, "ip")
        assert "192.168.214.100" not in _value(panel, "dns")
        assert "✓ valid" in _value(panel, "bar") and "3649 of 3650 days left" in _value(
            panel, "bar"
        )
        assert "RSA 2048" in _value(panel, "key")
        assert "kubernetes-key.pem matches" in _value(panel, "key")
        assert "server auth" in _value(panel, "eku") and "client auth" in _value(panel, "eku")
        assert _value(panel, "ca") == "no"
        assert "✓ verifies against ca.pem" in _value(panel, "chain")
        assert _value(panel, "sigalg") == "SHA256-RSA"
        assert _value(panel, "user") == "kubernetes"

        await pilot.press("r")
        assert panel.raw and panel.query_one("#cert-raw").display
        assert not panel.rows_shown
        shown = panel.raw_json()
        assert panel.query_one("#cert-raw").content.code == shown.rstrip("\n")
        await pilot.press("r")
        assert not panel.raw and panel.rows_shown
        assert not panel.query_one("#cert-raw").display
        assert panel.value_text("subject") is not None

        await pilot.press("down")
        assert _value(panel, "groups") == "system:masters"
        assert "cluster-admin" in _value(panel, "rbac")
    command = subprocess.run(
        [sys.executable, "-m", "wizard", "certinfo", "-cert", str(inspect_set / "kubernetes.pem")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown == command.stdout


async def test_a_swapped_key_and_a_near_end_say_so_in_words(inspect_set: Path) -> None:
    """A key that does not match is ✗ in the list and the panel; near the end, ⚠ expiring."""
    shutil.copy(inspect_set / "kube-proxy-key.pem", inspect_set / "admin-key.pem")
    app = make_app(ClusterSpec.example(), now=FIXED_NOW + timedelta(days=3640))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_inspect(app, pilot)
        panel = screen.query_one(CertificatePanel)
        assert "⚠ expiring" in _value(panel, "bar")
        await pilot.press("down", "down")
        assert "✗ admin-key.pem does not match this certificate" in _value(panel, "key")
        labels = [str(option.prompt) for option in screen.query_one("#certificates").options]
        assert "✗ admin.pem broken" in labels[2]
        assert "⚠ ca.pem expiring" in labels[0]
        assert "need attention" in str(screen.query_one("#nav-status").render())


async def test_an_expired_set_says_expired(inspect_set: Path) -> None:
    """After the end: ✗ expired, and how long ago."""
    app = make_app(ClusterSpec.example(), now=FIXED_NOW + timedelta(days=4000))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _to_inspect(app, pilot)
        bar = _value(screen.query_one(CertificatePanel), "bar")
        assert "✗ expired" in bar and "days ago" in bar


async def test_the_panel_shows_when_it_has_the_focus(inspect_set: Path) -> None:
    """Tab to the panel (it scrolls with the arrows): its left bar lights up."""
    app = make_app(ClusterSpec.example(), now=FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _to_inspect(app, pilot)
        panel = screen.query_one(CertificatePanel)
        plain = panel.styles.border_left
        await pilot.press("tab")
        assert panel.has_focus
        assert panel.styles.border_left != plain and panel.styles.border_left[0] != ""
