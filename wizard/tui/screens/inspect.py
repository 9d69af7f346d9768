"""Step 5: the generated certificates read back from disk and explained one by one."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wizard.catalog import files_of, get_profile
from wizard.certdetails import CertDetails, describe_certificate
from wizard.certset import SetMember, load_set
from wizard.marks import mark_of
from wizard.tui.looks import style as look_style
from wizard.tui.screens.step import StepScreen
from wizard.tui.widgets.certificate_panel import CertificatePanel


class InspectScreen(StepScreen):
    """A list of the set's certificates with their state; the panel explains the one selected."""

    STEP = 5
    AUTO_FOCUS = "#certificates"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "toggle_raw", "Raw JSON"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.members: list[SetMember] = []
        self.verdicts: list[CertDetails | None] = []

    def compose_body(self) -> ComposeResult:
        """Certificate list and the panel."""
        with Horizontal(id="inspect-body", classes="columns"):
            with Vertical(id="cert-side"):
                yield Static("", id="certs-title", classes="section-title", markup=False)
                yield OptionList(id="certificates")
            yield CertificatePanel(id="panel")

    def on_screen_resume(self) -> None:
        """Read the output directory again: the set may just have been written."""
        super().on_screen_resume()
        self.load()

    @property
    def directory(self) -> Path:
        """Where the set was (or would be) written."""
        return Path(self.state.output_dir.strip() or ".").expanduser()

    def load(self) -> None:
        """List the certificates found, each with a symbol and a word for its state; with
        errors in the answers (no profile to read the set by), say what to fix instead."""
        spec = self.state.spec
        errors = self.answer_errors()
        if errors:
            self.members, self.verdicts = [], []
            self.query_one("#certificates", OptionList).clear_options()
            self.query_one("#certs-title", Static).update("Nothing to inspect")
            message = self.errors_message(errors)
            self.query_one(CertificatePanel).show_message(message)
            self.set_status(
                Content.from_markup("[$error]✗[/] fix the answers first (ctrl+b)"),
                tooltip=message,
            )
            return
        self.members = load_set(self.directory, spec)
        now = self.state.clock()
        self.verdicts = [
            describe_certificate(
                m.certificate,
                issuer=m.issuer,
                key=m.key,
                now=now,
                entry_identity=m.entry.identity,
            )
            if m.certificate is not None
            else None
            for m in self.members
        ]
        options = self.query_one("#certificates", OptionList)
        previous = options.highlighted or 0
        options.clear_options()
        title = self.query_one("#certs-title", Static)
        panel = self.query_one(CertificatePanel)
        if not self.members:
            title.update(f"No certificates in {self.state.output_dir}")
            panel.show_message(
                f"No {spec.profile} certificates in {self.state.output_dir} yet — generate them at "
                "step 4 (ctrl+b)"
            )
            self.set_status("Nothing to inspect yet")
            return
        title.update(f"{len(self.members)} certificates in {self.state.output_dir}")
        options.add_options(
            Option(self._label(member, verdict), id=member.entry.name)
            for member, verdict in zip(self.members, self.verdicts, strict=True)
        )
        options.highlighted = min(previous, len(self.members) - 1)
        self.show_member(options.highlighted)
        bad = sum(1 for v in self.verdicts if v is None or self._worst(v) != "valid")
        if bad:
            self.set_status(
                Content.from_markup("[$error]✗[/] $n need attention", n=f"{bad} certificate(s)")
            )
        else:
            self.set_status(
                Content.from_markup("[$success]✓[/] every certificate checks out"),
                tooltip="Every certificate verifies, its key matches, and it is valid",
            )

    @staticmethod
    def _worst(details: CertDetails) -> str:
        if details.chain_ok is False or details.key_matches is False:
            return "broken"
        return details.status

    def _label(self, member: SetMember, details: CertDetails | None) -> Content:
        name = member.cert_path.relative_to(self.directory).as_posix()
        if details is None:
            return Content.from_markup("[$error]✗[/] $name [$error]unreadable[/]", name=name)
        worst = self._worst(details)
        style, symbol = look_style(worst), mark_of(worst).symbol
        return Content.from_markup(
            f"[{style}]$symbol[/] $name [dim]$word[/]", symbol=symbol, name=name, word=worst
        )

    @on(OptionList.OptionHighlighted, "#certificates")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_member(event.option_index)

    def show_member(self, index: int) -> None:
        """Explain the certificate at this position of the list."""
        if not 0 <= index < len(self.members):
            return
        member = self.members[index]
        panel = self.query_one(CertificatePanel)
        if member.certificate is None:
            panel.show_message(f"{member.cert_path.name}: {member.error}")
            return
        profile = get_profile(self.state.spec.profile)
        signer = member.entry.signer
        issuer_label = (
            files_of(profile.entry(signer), profile).cert if signer else "itself (self-signed)"
        )
        name = member.cert_path.relative_to(self.directory).as_posix()
        panel.show_certificate(
            member.certificate,
            title=f"{name} — {member.entry.title}",
            issuer_label=issuer_label,
            key_label=member.key_path.name,
            details=self.verdicts[index],
        )

    def action_toggle_raw(self) -> None:
        """Switch the panel between the explanation and the raw cfssl-certinfo JSON."""
        self.query_one(CertificatePanel).action_toggle_raw()
