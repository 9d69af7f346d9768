"""A certificate explained, modelled on cfssl-certinfo — plus what it leaves out.

Subject, issuer, serial, SANs (DNS and IP apart), validity with a bar and the days left,
signature algorithm, key ids; key type and size, key usage and EKU, the CA flag, whether the
chain verifies and the key matches, and the Kubernetes identity. A toggle shows the raw
cfssl-certinfo JSON, the same bytes as `k8s-cert-wizard certinfo`. Used by the wizard's inspect
step and by the review screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from cryptography import x509
from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from wizard.certdetails import CertDetails, describe_certificate
from wizard.certinfo import certinfo_json
from wizard.marks import mark_of
from wizard.tui import looks

ROWS = (
    ("subject", "Subject"),
    ("issuer", "Issuer"),
    ("serial", "Serial"),
    ("dns", "DNS SANs"),
    ("ip", "IP SANs"),
    ("other", "Other SANs"),
    ("dates", "Valid"),
    ("bar", "Lifetime"),
    ("key", "Key"),
    ("usage", "Key usage"),
    ("eku", "Ext. usage"),
    ("ca", "CA"),
    ("chain", "Chain"),
    ("sigalg", "Signature"),
    ("ski", "Subject key"),
    ("aki", "Issuer key"),
    ("user", "K8s user"),
    ("groups", "K8s groups"),
    ("rbac", "RBAC"),
    ("notes", "Notes"),
)
"""The panel's rows: id and label, in cfssl-certinfo's order first."""


@dataclass(frozen=True)
class Shown:
    """The certificate on display, with what the panel needs to redraw it."""

    certificate: x509.Certificate
    details: CertDetails
    title: str
    issuer_label: str
    key_label: str


def validity_bar(details: CertDetails, width: int = 24) -> Content:
    """`[██████░░░░] ✓ valid · 3649 of 3650 days left` in the status colour."""
    style, symbol = looks.style(details.status), mark_of(details.status).symbol
    fraction = min(max(details.elapsed_fraction, 0.0), 1.0)
    used = round(fraction * width)
    if details.days_left < 0:
        left = f"expired {-details.days_left} days ago"
    else:
        left = f"{details.days_left} of {details.lifetime_days} days left"
    return Content.from_markup(
        f"[{style}]$used[/][dim]$rest[/] [{style}]$symbol $status[/] · $left",
        used="█" * used,
        rest="░" * (width - used),
        symbol=symbol,
        status=details.status,
        left=left,
    )


def _check(ok: bool | None, yes: str, no: str, unknown: str) -> Content:
    if ok is None:
        return Content.from_markup("[$text-muted]— $text[/]", text=unknown)
    if ok:
        return Content.from_markup("[$success]✓[/] $text", text=yes)
    return Content.from_markup("[$error]✗ $text[/]", text=no)


def _name(fields: dict[str, str]) -> str:
    return ", ".join(f"{label}={value}" for label, value in reversed(fields.items())) or "(empty)"


class CertificatePanel(VerticalScroll):
    """The details of one certificate; `raw` (key r) switches to the cfssl-certinfo JSON.

    Self-contained (its CSS is here), so any screen or app can show one: call
    `show_certificate(...)`, or `show_message(...)` when there is nothing to show.
    """

    DEFAULT_CSS = """
    CertificatePanel {
        width: 1fr;
        height: 1fr;
        padding: 0 1;
    }
    CertificatePanel #cert-title {
        text-style: bold;
        color: $accent;
    }
    /* one grid, a label and a value per row: a container per row made the panel three
       widgets a row, built whenever a step or the review shows a certificate */
    CertificatePanel #cert-rows {
        layout: grid;
        grid-size: 2;
        grid-columns: 12 1fr;
        grid-rows: auto;
        height: auto;
    }
    CertificatePanel .cert-label {
        width: 12;
        height: auto;
        color: $text-muted;
    }
    CertificatePanel .cert-value {
        width: 1fr;
        height: auto;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "toggle_raw", "Raw JSON")]

    raw: reactive[bool] = reactive(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shown: Shown | None = None
        self.can_focus = True

    def compose(self) -> ComposeResult:
        """A title, one row per field, and the raw JSON view (hidden)."""
        yield Static("", id="cert-title", markup=False)
        with Container(id="cert-rows"):
            for row_id, label in ROWS:
                yield Static(label, classes="cert-label", id=f"row-{row_id}", markup=False)
                yield Static("", classes="cert-value", id=f"value-{row_id}", markup=False)
        yield Static("", id="cert-raw")

    def on_mount(self) -> None:
        """Nothing to show yet."""
        self._set_rows_visible(False)
        self.query_one("#cert-raw").display = False

    def show_message(self, text: str) -> None:
        """Show a sentence instead of a certificate (nothing selected, unreadable file…)."""
        self.shown = None
        self.query_one("#cert-title", Static).update(text)
        self._set_rows_visible(False)
        self.query_one("#cert-raw").display = False

    def show_certificate(
        self,
        certificate: x509.Certificate,
        *,
        title: str = "",
        issuer: x509.Certificate | None = None,
        key: object | None = None,
        now: datetime | None = None,
        entry_identity: str = "",
        issuer_label: str = "its issuer",
        key_label: str = "",
        details: CertDetails | None = None,
    ) -> CertDetails:
        """Describe a certificate (checking the chain and key when given) and show it.

        Pass `details` when the caller has already described the certificate.
        """
        if details is None:
            details = describe_certificate(
                certificate, issuer=issuer, key=key, now=now, entry_identity=entry_identity
            )
        shown = Shown(certificate, details, title, issuer_label, key_label)
        if shown != self.shown:  # the list says again which one is highlighted: no redraw
            self.shown = shown
            self._render_shown()
        return details

    def action_toggle_raw(self) -> None:
        """Switch between the panel and the raw cfssl-certinfo JSON."""
        self.raw = not self.raw

    def watch_raw(self) -> None:
        """Redraw in the chosen form."""
        if self.is_mounted and self.shown is not None:
            self._render_shown()

    def raw_json(self) -> str:
        """The cfssl-certinfo JSON of the certificate shown ("" when none is shown)."""
        return certinfo_json(self.shown.certificate) if self.shown else ""

    def _set_rows_visible(self, visible: bool) -> None:
        self.query_one("#cert-rows").display = visible

    def _show_row(self, row_id: str, shown: bool) -> None:
        """A row's label (`#row-…`) and value, shown or hidden together."""
        self.query_one(f"#row-{row_id}").display = shown
        self.query_one(f"#value-{row_id}").display = shown

    def _render_shown(self) -> None:
        shown = self.shown
        assert shown is not None
        mode = "raw cfssl-certinfo JSON" if self.raw else "press r for the raw cfssl-certinfo JSON"
        self.query_one("#cert-title", Static).update(
            Content.from_markup("[b]$title[/]  [dim]$mode[/]", title=shown.title, mode=mode)
        )
        raw_view = self.query_one("#cert-raw", Static)
        if self.raw:
            self._set_rows_visible(False)
            raw_view.update(
                Syntax(
                    self.raw_json().rstrip("\n"),
                    "json",
                    theme="ansi_dark" if self.app.current_theme.dark else "ansi_light",
                    background_color="default",
                    word_wrap=True,
                )
            )
            raw_view.display = True
            return
        raw_view.display = False
        self._set_rows_visible(True)
        for row_id, value in self._values(shown).items():
            self._show_row(row_id, value is not None)
            if value is not None:
                self.query_one(f"#value-{row_id}", Static).update(value)

    def _values(self, shown: Shown) -> dict[str, Content | str | None]:
        d = shown.details
        identity = d.identity
        key_text = f"{d.key_type} {d.key_size}"
        return {
            "subject": _name(d.subject),
            "issuer": _name(d.issuer) + (" (itself)" if d.self_signed else ""),
            "serial": str(d.serial),
            "dns": ", ".join(d.dns_sans) or "none",
            "ip": ", ".join(d.ip_sans) or "none",
            "other": ", ".join(d.other_sans) if d.other_sans else None,
            "dates": f"{d.not_before:%Y-%m-%d %H:%M} → {d.not_after:%Y-%m-%d %H:%M} UTC",
            "bar": validity_bar(d),
            "key": Content(f"{key_text} · ")
            + _check(
                d.key_matches,
                f"{shown.key_label or 'the key'} matches",
                f"{shown.key_label or 'the key'} does not match this certificate",
                "no key file to compare",
            ),
            "usage": ", ".join(d.key_usage) or "none",
            "eku": ", ".join(d.ext_key_usage) or "none",
            "ca": (
                f"yes — may sign certificates (path length {d.path_length})"
                if d.is_ca and d.path_length is not None
                else "yes — may sign certificates"
                if d.is_ca
                else "no"
            ),
            "chain": _check(
                d.chain_ok,
                f"verifies against {shown.issuer_label}",
                f"does not verify against {shown.issuer_label}",
                "issuer not found",
            ),
            "sigalg": d.sigalg,
            "ski": d.ski or "none",
            "aki": d.aki or "none",
            "user": identity.user or "(no CN)",
            "groups": ", ".join(identity.groups) or "none",
            "rbac": "\n".join(identity.grants) or "no built-in binding",
            "notes": "\n".join(d.notes) if d.notes else None,
        }
