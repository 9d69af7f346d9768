"""The records of a renewal: what changes per certificate, which CA needs attention, and where
the new files must go afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509

from wizard.catalog import CertEntry, KubeconfigEntry, Profile
from wizard.expiry import when_text
from wizard.spec import ClusterSpec
from wizard.store import OutputFile

MANIFEST_FILE = "renew.json"
CA_WARN_DAYS = 180

KIND_CERTIFICATE = "certificate"
KIND_KEY_PAIR = "key pair"
KIND_KUBECONFIG = "kubeconfig"


class RenewError(ValueError):
    """The renewal (or undo) was refused; the message is one sentence naming the file, the value
    and the fix. Nothing was written."""


SELECTION_WORDS: dict[str, tuple[str, str]] = {
    "only": ("named with --only", "named with --only (it matches cluster.toml)"),
    "picked": ("you picked it", "you picked it (it matches cluster.toml)"),
}
"""The words for a change the user asked for, as each face names the asking: (when it differs,
when it matches cluster.toml). The CLI says `only` (the flag), the TUI `picked` (in the review)."""

Selection = Literal["differs", "only", "within", "picked"]
"""Why a change is in the plan: it differs from cluster.toml; it was named (--only); it ends
soon (--within); it was picked in the TUI's review."""


@dataclass
class Change:
    """One thing the renewal re-issues (or would, when not selected), and how it differs."""

    name: str
    kind: str
    files: list[str]
    reasons: list[str]
    sans_added: list[str] = field(default_factory=list)
    sans_removed: list[str] = field(default_factory=list)
    subject_old: str | None = None
    subject_new: str | None = None
    usages_old: list[str] | None = None
    usages_new: list[str] | None = None
    not_after_old: datetime | None = None
    not_after_new: datetime | None = None
    key: str = "new"  # "kept" | "new"
    key_text: str = ""  # "RSA 2048"
    notes: list[str] = field(default_factory=list)
    problem: str = ""  # why it cannot be renewed as asked; refused when selected
    # How it came to be selected; each face says it in its own words (report.SELECTION_WORDS).
    selected_by: Selection = "differs"
    # Selected for ending within these days (--within), and the plan's clock then.
    expiring_within: tuple[int, datetime] | None = None
    # what the issuing step needs
    entry: CertEntry | None = field(default=None, repr=False)
    kubeconfig: KubeconfigEntry | None = field(default=None, repr=False)
    lifetime: timedelta | None = None
    key_algo: str = ""
    key_size: int = 0

    @property
    def reason(self) -> str:
        """Every reason, as one line, in the CLI's words (`reason_text` for another face's)."""
        return reason_text(self)

    @property
    def subject_changed(self) -> bool:
        """True when the subject on disk differs from the one cluster.toml asks for."""
        return self.subject_old != self.subject_new

    @property
    def usages_changed(self) -> bool:
        """True when the key usages on disk differ from the signing profile's."""
        return self.usages_old != self.usages_new

    @property
    def differs(self) -> bool:
        """True when the directory does not hold what cluster.toml asks for."""
        return bool(self.reasons)

    @property
    def asked_for(self) -> bool:
        """True when it is in the plan because the user named or picked it."""
        return self.selected_by in ("only", "picked")


@dataclass(frozen=True)
class CAWarning:
    """A CA near its end, expired or unusable: reported with a rotation plan, never replaced."""

    name: str
    file: str
    not_after: datetime | None
    days_left: int | None
    message: str
    plan: tuple[str, ...]


@dataclass
class RenewPlan:
    """Everything `renew` found and decided, before a key is made or a file written."""

    directory: Path
    spec: ClusterSpec
    profile: Profile
    now: datetime
    keep_key: bool
    changes: list[Change]
    not_selected: list[Change]
    ca_warnings: list[CAWarning]
    support_files: list[OutputFile]
    support_notes: list[str]
    ca_certificates: dict[str, x509.Certificate] = field(repr=False)
    selection: str = "differs"  # "differs" | "only" | "within" | "only+within"

    @property
    def nothing_to_do(self) -> bool:
        """True when no certificate, key pair or kubeconfig would be written."""
        return not self.changes

    def changed_sources(self) -> list[str]:
        """The files the renewal writes that hosts use (certificates, new keys, kubeconfigs)."""
        result: list[str] = []
        for change in self.changes:
            result += [name for name in change.files if not name.endswith((".csr", ".json"))]
        return list(dict.fromkeys(result))


@dataclass(frozen=True)
class HostUpdate:
    """What one host receives after a renewal, and the services to restart there."""

    address: str
    name: str
    roles: tuple[str, ...]
    files: tuple[tuple[str, str, int], ...]  # (source, destination, mode)
    restart: tuple[str, ...]  # components
    commands: tuple[str, ...]


@dataclass(frozen=True)
class Redistribution:
    """Hosts that need the changed files, and the changed files no host's plan places."""

    hosts: tuple[HostUpdate, ...]
    unplaced: tuple[str, ...]  # one sentence per file group, saying what to do instead
    note: str = ""


@dataclass
class UndoPlan:
    """Restoring a backup folder: which files come back, and which files the renewal added
    (listed in the backup's renew.json) are taken out again — into the new backup."""

    directory: Path
    backup: Path
    files: list[OutputFile]
    unchanged: list[str]
    removed: list[str]

    @property
    def restored(self) -> list[str]:
        """The files whose content changes."""
        return [f.path for f in self.files if f.path not in self.unchanged]


def reason_text(change: Change, *, named_as: str = "only") -> str:
    """Why the change is in the plan, as one line: how it differs, then how it was selected.
    `named_as` picks the words for a change the user asked for ("only" or "picked")."""
    reasons = list(change.reasons)
    if change.asked_for:
        differs, matches = SELECTION_WORDS[named_as if change.selected_by == "only" else "picked"]
        reasons.append(differs if change.differs else matches)
    if change.expiring_within is not None and change.not_after_old is not None:
        days, now = change.expiring_within
        reasons.append(f"expires {when_text(change.not_after_old, now)} (--within {days})")
    return "; ".join(reasons)
