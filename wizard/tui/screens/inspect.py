"""Step 5: the generated certificates read back from disk and explained one by one.

What is wrong with them is the review's conclusion (`wizard.review.review_directory` with the
answers as its cluster file), the same as `k8s-cert-wizard review DIR -c cluster.toml` says;
this screen orders the review's certificates by the catalogue and shows them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wizard.catalog import CertEntry, concrete_entries, files_of, get_profile
from wizard.certdetails import CertDetails, identity_of
from wizard.marks import mark_of
from wizard.review import Finding, Review, ReviewedFile, ReviewError, review_directory
from wizard.tui.looks import style as look_style
from wizard.tui.paths import elide_path, full_path
from wizard.tui.screens.step import StepScreen
from wizard.tui.widgets.certificate_panel import CertificatePanel

TITLE_PATH_WIDTH = 40
"""The widest the directory gets in the list's title (it stays on one line at 80 columns)."""


@dataclass(frozen=True)
class SetMember:
    """One catalogue entry of the set, as the review found its certificate and key files."""

    entry: CertEntry
    record: ReviewedFile
    findings: tuple[Finding, ...]
    status: str
    """The certificate's validity as the review computed it (`unreadable`: no certificate)."""

    @property
    def path(self) -> str:
        """The certificate file, relative to the directory."""
        return self.record.path

    @property
    def verdict(self) -> str:
        """`broken` when the review found an error in the certificate or its key (a key that
        does not match, a signature that does not verify, a SAN cluster.toml does not ask for…),
        else the validity (valid, expiring, expired, not yet valid, unreadable)."""
        if self.record.cert is not None and any(f.severity == "error" for f in self.findings):
            return "broken"
        return self.status


class InspectScreen(StepScreen):
    """A list of the set's certificates with their state; the panel explains the one selected."""

    CSS_PATH = "../steps.tcss"  # the rules of steps 2 to 5: not parsed for step 1

    STEP = 5
    AUTO_FOCUS = "#certificates"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "toggle_raw", "Raw JSON"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.members: list[SetMember] = []
        self.verdicts: list[CertDetails | None] = []
        self.review: Review | None = None
        self._key_labels: dict[str, str] = {}

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
        self.members, self.verdicts = self._read_set()
        options = self.query_one("#certificates", OptionList)
        previous = options.highlighted or 0
        options.clear_options()
        title = self.query_one("#certs-title", Static)
        panel = self.query_one(CertificatePanel)
        if not self.members:
            title.update(
                f"No certificates in {elide_path(self.state.output_dir, TITLE_PATH_WIDTH)}"
            )
            panel.show_message(
                f"No {spec.profile} certificates in {self.state.output_dir} yet — generate them at "
                "step 4 (ctrl+b)"
            )
            self.set_status("Nothing to inspect yet")
            return
        # The directory cut to a line (whole in the tooltip): a long one took two rows of
        # the list's height at 80×24.
        shown = elide_path(self.state.output_dir, TITLE_PATH_WIDTH)
        title.update(f"{len(self.members)} certificates in {shown}")
        title.tooltip = full_path(self.directory) if shown != self.state.output_dir else None
        options.add_options(
            Option(self._label(member, verdict), id=member.entry.name)
            for member, verdict in zip(self.members, self.verdicts, strict=True)
        )
        options.highlighted = min(previous, len(self.members) - 1)
        self.show_member(options.highlighted)
        bad = sum(1 for m in self.members if m.verdict != "valid")
        if bad:
            self.set_status(
                Content.from_markup(
                    "[$error]✗[/] $n need$s attention",
                    n=f"{bad} certificate{'s' if bad != 1 else ''}",
                    s="" if bad != 1 else "s",
                )
            )
        else:
            self.set_status(
                Content.from_markup("[$success]✓[/] every certificate checks out"),
                tooltip="Every certificate verifies, its key matches, and it is valid",
            )

    def _read_set(self) -> tuple[list[SetMember], list[CertDetails | None]]:
        """Review the directory against the answers; the profile's certificate files found,
        CAs first, each with its findings and the panel's description."""
        from wizard.tui.screens.review.rows import certificate_details

        spec = self.state.spec
        self._key_labels = {}
        try:
            review = review_directory(self.directory, config=spec, now=self.state.clock())
        except ReviewError:
            self.review = None
            return [], []
        self.review = review
        records = {r.path: r for r in review.files if not r.embedded}
        findings: dict[str, list[Finding]] = {}
        for finding in review.findings:
            findings.setdefault(finding.path, []).append(finding)
        profile = get_profile(spec.profile)
        members: list[SetMember] = []
        verdicts: list[CertDetails | None] = []
        for entry in concrete_entries(profile, spec):
            files = files_of(entry, profile)
            record = records.get(files.cert) if files.cert else None
            if record is None:
                continue
            status = review.status(record) if record.cert is not None else "unreadable"
            # The findings on the certificate and on its key file (a key that belongs to
            # another certificate is said about the key).
            about = [*findings.get(record.path, ()), *findings.get(files.key, ())]
            members.append(SetMember(entry, record, tuple(about), status))
            if record.cert is None:
                verdicts.append(None)
                continue
            details, _issuer, key_label = certificate_details(review, record)
            identity = identity_of(record.cert.certificate, entry.identity)
            verdicts.append(replace(details, identity=identity))
            self._key_labels[record.path] = key_label
        return members, verdicts

    def _label(self, member: SetMember, details: CertDetails | None) -> Content:
        verdict = member.verdict
        if details is None:
            return Content.from_markup("[$error]✗[/] $name [$error]unreadable[/]", name=member.path)
        style, symbol = look_style(verdict), mark_of(verdict).symbol
        return Content.from_markup(
            f"[{style}]$symbol[/] $name [dim]$word[/]",
            symbol=symbol,
            name=member.path,
            word=verdict,
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
        if member.record.cert is None:
            said = "; ".join(f.message for f in member.findings) or "not a certificate"
            panel.show_message(f"{member.path}: {said}")
            return
        profile = get_profile(self.state.spec.profile)
        signer = member.entry.signer
        issuer_label = (
            files_of(profile.entry(signer), profile).cert if signer else "itself (self-signed)"
        )
        panel.show_certificate(
            member.record.cert.certificate,
            title=f"{member.path} — {member.entry.title}",
            issuer_label=issuer_label,
            key_label=self._key_labels.get(member.path) or files_of(member.entry, profile).key,
            details=self.verdicts[index],
        )

    def action_toggle_raw(self) -> None:
        """Switch the panel between the explanation and the raw cfssl-certinfo JSON."""
        self.query_one(CertificatePanel).action_toggle_raw()
