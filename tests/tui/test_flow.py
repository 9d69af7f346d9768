"""The whole wizard driven as a user would: type the guide's cluster, preview, generate, inspect."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from textual.widgets import Input, OptionList

from tests.tui.wizard_pilot import GUIDE_HOSTS, paste_into, settle, type_into, wizard
from wizard import pki
from wizard.catalog import SanSource
from wizard.certdetails import signed_by
from wizard.generate import planned_file_names
from wizard.spec import ClusterSpec, HostLists
from wizard.tui.screens.addresses import AddressesScreen
from wizard.tui.screens.generate import GenerateScreen
from wizard.tui.screens.identity import IdentityScreen
from wizard.tui.screens.inspect import InspectScreen
from wizard.tui.screens.preview import PreviewScreen
from wizard.tui.widgets.certificate_panel import CertificatePanel
from wizard.tui.widgets.host_list import HostListEditor

MISTAKE_MESSAGE = (
    'hosts.vip[0]: "192.168.214.1/24" is a network, not an address — write 192.168.214.1'
)


def _row_messages(editor: HostListEditor) -> list[str]:
    return [str(row.message.render()) for row in editor.rows]


async def test_the_guide_from_empty_answers_to_a_verified_set(tmp_path: Path) -> None:
    """Type the guide's addresses with its CIDR mistake, fix it, preview, generate, inspect."""
    spec = ClusterSpec(hosts=HostLists())
    app = wizard(spec)
    async with app.run_test(size=(100, 32)) as pilot:
        assert isinstance(app.screen, AddressesScreen)

        # The masters are empty: Next is blocked and the cursor goes to the masters field.
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, AddressesScreen)
        assert app.focused is app.screen.editor("masters").add_field

        # Paste most lists as one would from the guide; type the VIP with the guide's mistake.
        for group in ("etcd", "masters", "registry", "extra"):
            await paste_into(
                pilot, app.screen.editor(group).add_field, "\n".join(GUIDE_HOSTS[group])
            )
        await type_into(pilot, app.screen.editor("vip").add_field, "192.168.214.1/24")
        await pilot.press("enter")
        for group in ("etcd", "masters", "registry", "extra"):
            assert getattr(app.state.spec.hosts, group) == GUIDE_HOSTS[group]
        assert app.state.spec.hosts.vip == ["192.168.214.1/24"]

        vip = app.screen.editor("vip")
        assert MISTAKE_MESSAGE in _row_messages(vip)[0]
        assert "error" in str(vip.rows[0].status.render())

        # The error blocks Next and puts the cursor in the wrong entry.
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, AddressesScreen)
        assert app.focused is vip.rows[0].field
        status = app.screen.nav.query_one("#nav-status")
        assert str(status.render()) == "✗ 1 error: fix hosts.vip[0]"
        assert "is a network, not an address" in str(status.tooltip)

        # Fix it as the message says.
        await type_into(pilot, vip.rows[0].field, "192.168.214.100")
        assert _row_messages(vip) == [""]
        assert app.state.spec.hosts.vip == ["192.168.214.100"]
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, IdentityScreen)

        # Step 2: the guide's subject is the default; keep RSA 2048.
        assert app.screen.query_one("#subject-O", Input).value == "k8s"
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, PreviewScreen)

        # Step 3: the kubernetes CSR's SANs, each with its reason.
        preview = app.screen
        files = preview.query_one("#files", OptionList)
        names = planned_file_names(app.state.spec)
        files.highlighted = names.index("kubernetes-csr.json")
        await pilot.pause()
        sans = {san.value: san for san in preview.shown_sans}
        expected = ["127.0.0.1", *GUIDE_HOSTS["etcd"], *GUIDE_HOSTS["masters"], "10.254.0.1"]
        expected += [*GUIDE_HOSTS["registry"], *GUIDE_HOSTS["vip"], "kubernetes"]
        expected += ["kubernetes.default", "kubernetes.default.svc"]
        expected += ["kubernetes.default.svc.cluster", "kubernetes.default.svc.cluster.local"]
        expected += GUIDE_HOSTS["extra"]
        assert sorted(sans) == sorted(expected)
        assert "192.168.214.1/24" not in sans
        assert sans["10.254.0.1"].source is SanSource.SERVICE_IP
        assert sans["192.168.214.100"].reason.startswith("VIP")
        shown = str(preview.query_one("#san-table").render())
        assert "first service IP" in shown and "192.168.214.100" in shown
        assert "kubernetes.pem has the same subject as its CA" in str(
            preview.query_one("#preview-warnings").render()
        )

        # Step 4: generate into a fresh directory.
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, GenerateScreen)
        output = tmp_path / "k8s-certs"
        output_field = app.screen.query_one("#output-dir", Input)
        output_field.value = ""
        await paste_into(pilot, output_field, str(output))
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.state.result is not None
        assert sorted(app.state.result.written) == sorted(names)
        assert "wrote 20 files" in str(app.screen.query_one("#result").render())

        # Step 5: the panel says the chain verifies and the keys match.
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, InspectScreen)
        verdicts = {
            m.entry.name: v for m, v in zip(app.screen.members, app.screen.verdicts, strict=True)
        }
        assert set(verdicts) == {"ca", "kubernetes", "admin", "kube-proxy"}
        assert all(v.chain_ok and v.key_matches and v.status == "valid" for v in verdicts.values())
        app.screen.query_one("#certificates", OptionList).highlighted = 1
        await pilot.pause()
        panel = app.screen.query_one(CertificatePanel)
        assert "192.168.214.100" in (panel.value_text("ip") or "")
        assert "verifies against ca.pem" in (panel.value_text("chain") or "")

    # The files on disk are a valid set.
    ca = pki.load_certificate((output / "ca.pem").read_bytes(), "ca.pem")
    for name in ("ca", "kubernetes", "admin", "kube-proxy"):
        cert = pki.load_certificate((output / f"{name}.pem").read_bytes(), name)
        key = pki.load_private_key((output / f"{name}-key.pem").read_bytes(), name)
        assert pki.key_matches_certificate(key, cert)
        assert signed_by(cert, ca)
        assert (output / f"{name}-key.pem").stat().st_mode & 0o777 == 0o600
    if shutil.which("openssl"):
        verify = subprocess.run(
            ["openssl", "verify", "-CAfile", "ca.pem", "kubernetes.pem"],
            cwd=output,
            capture_output=True,
            text=True,
        )
        assert verify.returncode == 0, verify.stderr
        assert "kubernetes.pem: OK" in verify.stdout
