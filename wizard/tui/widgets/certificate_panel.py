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
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Static

from wizard.certdetails import CertDetails, describe_certificate
from wizard.certinfo import certinfo_json
from wizard.marks import mark_of
from wizard.tui import looks
from wizard.tui.widgets.hanging_indent import HangingIndent

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


LABEL_WIDTH = 12
"""The column of the rows' labels; values wrap under their first character."""


class CertificateView(Widget):
    """The panel's text in one widget: a title (or a message), then a label and a value per
    row, wrapped under the value (a grid of a label and a value widget per row before: 43
    widgets built whenever a step or the review showed a certificate)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"certificate-view--title", "certificate-view--label"}

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.title: Content = Content()
        self.rows: list[tuple[str, str, Content | str]] = []
        """(row id, label, value) of the rows shown, in order."""

    def show(self, title: Content | str, rows: list[tuple[str, str, Content | str]]) -> None:
        """Say `title`, then these rows (none: the title alone)."""
        self.title = Content(title) if isinstance(title, str) else title
        self.rows = rows
        self.refresh(layout=True)

    def _style(self, name: str) -> Style:
        """A component class's style, its text colour laid over its background (as a widget
        of that colour draws it: `$text-muted` is translucent)."""
        style = self.get_visual_style(f"certificate-view--{name}")
        if style.background is not None and style.foreground is not None:
            style += Style(foreground=style.background + style.foreground)
        return style

    def render(self) -> HangingIndent:
        """The title, then each row's label and value."""
        lines = [(self.title.stylize_before(self._style("title")), 0)]
        label_style = self._style("label")
        for _row_id, label, value in self.rows:
            shown = Content(value) if isinstance(value, str) else value
            lines.append(
                (Content.styled(label.ljust(LABEL_WIDTH), label_style) + shown, LABEL_WIDTH)
            )
        return HangingIndent(lines)


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
    CertificatePanel #cert-view {
        height: auto;
    }
    CertificatePanel #cert-view > .certificate-view--title {
        text-style: bold;
        color: $accent;
    }
    CertificatePanel #cert-view > .certificate-view--label {
        color: $text-muted;
    }
    CertificatePanel #cert-raw {
        display: none;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "toggle_raw", "Raw JSON")]

    raw: reactive[bool] = reactive(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shown: Shown | None = None
        self.can_focus = True

    def compose(self) -> ComposeResult:
        """The title and rows, and the raw JSON view (hidden)."""
        yield CertificateView(id="cert-view")
        yield Static("", id="cert-raw")

    @property
    def view(self) -> CertificateView:
        """The title and the rows."""
        return self.query_one(CertificateView)

    @property
    def title_text(self) -> str:
        """The title (or the message) as shown, in plain text."""
        return self.view.title.plain

    @property
    def rows_shown(self) -> bool:
        """True while the rows of a certificate are shown (not the raw JSON, not a message)."""
        return bool(self.view.rows)

    def value_text(self, row_id: str) -> str | None:
        """A row's value in plain text (None: the row is not shown)."""
        for shown_id, _label, value in self.view.rows:
            if shown_id == row_id:
                return value.plain if isinstance(value, Content) else value
        return None

    def show_message(self, text: str) -> None:
        """Show a sentence instead of a certificate (nothing selected, unreadable file…)."""
        self.shown = None
        self.view.show(text, [])
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

    def _render_shown(self) -> None:
        shown = self.shown
        assert shown is not None
        mode = "raw cfssl-certinfo JSON" if self.raw else "press r for the raw cfssl-certinfo JSON"
        title = Content.from_markup("[b]$title[/]  [dim]$mode[/]", title=shown.title, mode=mode)
        raw_view = self.query_one("#cert-raw", Static)
        if self.raw:
            self.view.show(title, [])
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
        labels = dict(ROWS)
        self.view.show(
            title,
            [
                (row_id, labels[row_id], value)
                for row_id, value in self._values(shown).items()
                if value is not None
            ],
        )

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
