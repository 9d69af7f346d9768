"""The review's records: what was found in each file, and what is wrong with it."""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import inspect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from operator import attrgetter
from typing import Literal

from cryptography import x509

from wizard.bounds import MAX_FILE_BYTES, read_regular
from wizard.certdetails import CertDetails, describe_certificate
from wizard.expiry import WARN_DAYS, days_until

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


def worst_severity(findings: Iterable[Finding]) -> Severity | None:
    """The most severe of these findings' severities, or None when there are none."""
    present = {finding.severity for finding in findings}
    return next((severity for severity in SEVERITIES if severity in present), None)


# What a record is. A file holding several objects (a PEM bundle, a kubeconfig) gives one
# record per object, told apart by `ReviewedFile.part`.
KIND_CERTIFICATE = "certificate"
KIND_PRIVATE_KEY = "private-key"
KIND_PUBLIC_KEY = "public-key"
KIND_CSR = "csr"
KIND_KUBECONFIG = "kubeconfig"
KIND_CSR_JSON = "cfssl-csr-json"
KIND_CA_CONFIG = "cfssl-config"
KIND_TOKEN_FILE = "token-file"
KIND_OTHER = "not-a-certificate"
KIND_DAMAGED = "damaged"
KIND_EMPTY = "empty"
KIND_UNREADABLE = "unreadable"
KIND_TOO_LARGE = "too-large"
KIND_SYMLINK = "symlink"
KIND_BROKEN_SYMLINK = "broken-symlink"
KIND_SPECIAL = "special-file"


@dataclass(frozen=True)
class Finding:
    """One problem (or remark) about one file; `check` is a stable slug such as `expired`."""

    path: str
    severity: Severity
    check: str
    message: str
    node: str = ""  # the host it is about (`check`, `probe`); "" for a local directory


class SignatureHeld(Enum):
    """CertFacts.signed of a certificate read by one of the scan's forked children: that child
    keeps what checking its signature needs, and checks it once every CA is known."""

    HELD = "held"


@dataclass(frozen=True, slots=True)
class SignatureChecked:
    """CertFacts.signed once the scan has checked the signature: the fingerprints of the CAs
    it was `tried` against, and of those whose key `verified` it (one object for all the
    certificates of the same CAs)."""

    tried: frozenset[bytes]
    verified: frozenset[bytes]


@dataclass(frozen=True, slots=True)
class CertProfile:
    """What many certificates share: the issuer, key and usages of what one CA issued for one
    purpose (a hundred thousand certificates hold a handful). See CertFacts for each field."""

    organizations: tuple[str, ...]
    is_ca: bool
    aki: bytes | None
    has_san_extension: bool
    ext_key_usage: tuple[str, ...] | None
    key_usage: tuple[str, ...]
    key_type: str
    key_size: int
    signature_oid: str
    sigalg: str
    issuer_der: bytes | None = field(repr=False)
    issuer_text: str
    issuer_attributes: tuple[tuple[str, str | bytes], ...] | None = field(repr=False)
    self_issued: bool

    def __reduce__(self) -> tuple[object, ...]:
        # one object again where one process sends another many certificates of one profile
        return (shared_profile, _profile_fields(self))


_PROFILES: dict[tuple[object, ...], CertProfile] = {}


def shared_profile(*values: object) -> CertProfile:
    """The one CertProfile of these field values (made when it is new)."""
    profile = _PROFILES.get(values)
    if profile is None:
        if len(_PROFILES) >= 4096:
            _PROFILES.clear()
        profile = _PROFILES[values] = CertProfile(*values)  # type: ignore[arg-type]
    return profile


_profile_fields = attrgetter(*(f.name for f in fields(CertProfile)))


@dataclass(eq=False, slots=True)
class CertFacts:
    """What the checks and the reports need from one certificate, read once (by the scan)
    however many files hold it (made by `CertFacts.of`). Read-only by convention: not
    `frozen`, whose checked __init__ costs five times as much for each of a hundred thousand
    certificates.

    Plain data in slots (a review may hold a hundred thousand), so that records can cross a
    process boundary; the certificate object is not kept, but loaded from `der` when something
    (a CA's subject, the TUI's details) needs it. The scan keeps `der` only for CAs, self-issued
    certificates and the ones whose signature `signed` cannot check; the others are read again
    from their file (`source`) on the rare occasions something needs more than these fields.
    What certificates of one issuer and purpose share is one CertProfile (`profile`), read
    through the properties of the same names.
    """

    der: bytes | None = field(repr=False)  # None: read it from `source` when needed
    fingerprint: bytes = field(repr=False)  # SHA-256 of the DER
    serial_number: int
    # what checking its signature needs (certder.signature_inputs): None for the unusual
    # algorithms, which are checked on the certificate itself; once the scan has checked the
    # signature of a certificate that is neither a CA nor self-issued, the verdict
    signed: tuple[bytes, bytes, bytes] | SignatureHeld | SignatureChecked | None = field(repr=False)
    spki: bytes = field(repr=False)
    cn: str
    ski: bytes | None
    dns_sans: tuple[str, ...]
    ip_sans: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    subject_text: str  # RFC 4514, for messages and reports
    # each DN's attributes in order: (dotted OID, value), the value bytes for a BIT STRING
    subject_attributes: tuple[tuple[str, str | bytes], ...] = field(repr=False)
    profile: CertProfile
    # the file the certificate was read from, as (root, path under it) or ("", real path):
    # strings its record holds anyway
    source: tuple[str, str] = ("", "")

    @classmethod
    def of(
        cls,
        *,
        der: bytes | None,
        fingerprint: bytes,
        serial_number: int,
        signed: tuple[bytes, bytes, bytes] | None,
        spki: bytes,
        cn: str,
        organizations: tuple[str, ...],
        is_ca: bool,
        ski: bytes | None,
        aki: bytes | None,
        dns_sans: tuple[str, ...],
        ip_sans: tuple[str, ...],
        has_san_extension: bool,
        ext_key_usage: tuple[str, ...] | None,
        key_usage: tuple[str, ...],
        key_type: str,
        key_size: int,
        signature_oid: str,
        not_before: datetime,
        not_after: datetime,
        sigalg: str,
        issuer_der: bytes | None,
        subject_text: str,
        issuer_text: str,
        subject_attributes: tuple[tuple[str, str | bytes], ...],
        issuer_attributes: tuple[tuple[str, str | bytes], ...] | None,
        self_issued: bool,
        source: tuple[str, str] = ("", ""),
    ) -> CertFacts:
        """The facts of one certificate, what it shares with others in one CertProfile."""
        profile = shared_profile(
            organizations,
            is_ca,
            aki,
            has_san_extension,
            ext_key_usage,
            key_usage,
            key_type,
            key_size,
            signature_oid,
            sigalg,
            issuer_der,
            issuer_text,
            issuer_attributes,
            self_issued,
        )
        return cls(
            der,
            fingerprint,
            serial_number,
            signed,
            spki,
            cn,
            ski,
            dns_sans,
            ip_sans,
            not_before,
            not_after,
            subject_text,
            subject_attributes,
            profile,
            source,
        )

    @property
    def organizations(self) -> tuple[str, ...]:
        return self.profile.organizations

    @property
    def is_ca(self) -> bool:
        return self.profile.is_ca

    @property
    def aki(self) -> bytes | None:
        return self.profile.aki

    @property
    def has_san_extension(self) -> bool:
        return self.profile.has_san_extension

    @property
    def ext_key_usage(self) -> tuple[str, ...] | None:
        """None: no EKU extension (good for any use)."""
        return self.profile.ext_key_usage

    @property
    def key_usage(self) -> tuple[str, ...]:
        return self.profile.key_usage

    @property
    def key_type(self) -> str:
        return self.profile.key_type

    @property
    def key_size(self) -> int:
        return self.profile.key_size

    @property
    def signature_oid(self) -> str:
        """Dotted."""
        return self.profile.signature_oid

    @property
    def sigalg(self) -> str:
        """The signature algorithm's Go name (`SHA256-RSA`)."""
        return self.profile.sigalg

    @property
    def issuer_der(self) -> bytes | None:
        """None when it cannot be decoded."""
        return self.profile.issuer_der

    @property
    def issuer_text(self) -> str:
        return self.profile.issuer_text

    @property
    def issuer_attributes(self) -> tuple[tuple[str, str | bytes], ...] | None:
        return self.profile.issuer_attributes

    @property
    def self_issued(self) -> bool:
        """Subject and issuer are the same name, byte for byte as Go compares them
        (subject_der == issuer_der): a root, or a leaf named like its CA."""
        return self.profile.self_issued

    @property
    def serial(self) -> str:
        """The serial number in decimal."""
        return str(self.serial_number)

    @property
    def certificate(self) -> x509.Certificate:
        """The parsed certificate, loaded from `der` (in microseconds) at each use, or read
        again from its file when the scan did not keep `der` (raises ValueError when the
        file no longer holds it)."""
        return x509.load_der_x509_certificate(self.der_bytes())

    def der_bytes(self) -> bytes:
        """The certificate's DER: `der`, or read again from `source`."""
        if self.der is not None:
            return self.der
        root, path = self.source
        os_path = f"{root}/{path}" if root else path
        try:
            data = read_regular(os_path, MAX_FILE_BYTES)[0] or b""
        except OSError as error:
            raise ValueError(f"{os_path} cannot be read again ({error.strerror})") from None
        for der in _certificate_ders(data):
            if hashlib.sha256(der).digest() == self.fingerprint:
                return der
        raise ValueError(f"{os_path} no longer holds this certificate (changed since the review)")

    @property
    def subject_der(self) -> bytes:
        """The subject DN's DER, for comparing names byte for byte as Go does (when it cannot
        be decoded, bytes no name's DER equals). Made at each use: only CAs need it."""
        der = self.der_bytes()
        return subject_der_of(x509.load_der_x509_certificate(der), der)

    def __reduce__(self) -> tuple[object, ...]:
        # the fields only, as one tuple (the scan's children send thousands back)
        return (_unpickle_cert_facts, (_cert_fields(self),))

    def details(self, now: datetime | None = None) -> CertDetails:
        """The full description (certdetails) for display; not needed by the checks."""
        return describe_certificate(self.certificate, now=now)


def _certificate_ders(data: bytes) -> list[bytes]:
    """The DER of each PEM certificate in `data`, or `data` itself when it is not PEM."""
    if b"-----BEGIN " not in data:
        return [data]
    ders = []
    for match in _PEM_CERTIFICATE.finditer(data):
        with contextlib.suppress(binascii.Error, ValueError):
            ders.append(binascii.a2b_base64(match.group(1)))
    return ders


_PEM_CERTIFICATE = re.compile(rb"-----BEGIN (?:X509 )?CERTIFICATE-----([^-]*)-----END ")


def subject_der_of(certificate: x509.Certificate, der: bytes) -> bytes:
    """A certificate's subject DN as DER (see CertFacts.subject_der)."""
    try:
        return certificate.subject.public_bytes()
    # cryptography raises TypeError for a name attribute of an odd string type (a BIT
    # STRING CN), ValueError for the rest
    except (ValueError, TypeError):
        return b"undecodable:" + der


# every fact of a certificate (those of its profile too), as CertFacts.of takes them
_CERT_FIELDS = tuple(inspect.signature(CertFacts.of).parameters)
_cert_fields = attrgetter(*(f.name for f in fields(CertFacts)))


def _unpickle_cert_facts(values: tuple[object, ...]) -> CertFacts:
    return CertFacts(*values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """A private or public key: its SubjectPublicKeyInfo (None when encrypted), type and size."""

    spki: bytes | None = field(repr=False)
    key_type: str
    key_size: int
    private: bool
    encrypted: bool = False

    def __reduce__(self) -> tuple[object, ...]:
        return (KeyFacts, (self.spki, self.key_type, self.key_size, self.private, self.encrypted))


@dataclass(frozen=True, slots=True)
class CsrFacts:
    """A certificate signing request: the requested name and key."""

    cn: str
    organizations: tuple[str, ...]
    spki: bytes = field(repr=False)
    key_type: str
    key_size: int


@dataclass
class KubeUser:
    """One user of a kubeconfig, with the records of its client certificate and key."""

    name: str
    certificates: list[ReviewedFile] = field(default_factory=list)
    keys: list[ReviewedFile] = field(default_factory=list)
    has_token: bool = False


@dataclass
class KubeconfigFacts:
    """What a kubeconfig holds: its users and the servers of its clusters."""

    users: list[KubeUser] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)
    holds_secret: bool = False  # embeds a private key (client-key-data) or a token


@dataclass(eq=False, slots=True)
class ReviewedFile:
    """One object found under the reviewed directory (one record per object in a file).

    `path` is relative to the root, `/`-separated and printable (bytes that are not UTF-8 are
    shown as `\\xNN`). `part` names the object inside the file when there is more than one.
    """

    path: str
    kind: str
    part: str = ""
    role: str | None = None
    convention: str = ""  # whose convention the role is (kubeadm, kubeasz, k3s, …)
    note: str = ""
    size: int | None = None
    mode: int | None = None
    owner: tuple[int, int] | None = None  # (uid, gid) of the file
    embedded: bool = False  # inside a kubeconfig (as *-data, or read from a path it names)
    role_hint: str | None = None  # the role a kubeconfig's name gives its client certificate
    # the real path, for reading (may be undecodable): see os_path
    real_path: str = field(default="", repr=False)
    os_root: str = field(default="", repr=False)  # … or the root it is `path` under
    cert: CertFacts | None = None
    key: KeyFacts | None = None
    csr: CsrFacts | None = None
    kubeconfig: KubeconfigFacts | None = None
    hosts: tuple[str, ...] = ()  # the `hosts` of a cfssl CSR JSON
    # keys of a certificate, certs of a key (one shared empty tuple until pairing finds some)
    paired: Sequence[str] = ()
    issued_by: str | None = None  # the file of the CA that signed this certificate
    self_signed: bool = False
    node: str = ""  # the host the file was read from (`check`, `probe`); "" for a local one

    @property
    def os_path(self) -> str:
        """The real path, for reading; may be undecodable ("" when not read from a file). Kept
        as the root and `path` when it is just those joined (a review may hold 100,000)."""
        return self.real_path or (f"{self.os_root}/{self.path}" if self.os_root else "")

    @os_path.setter
    def os_path(self, value: str) -> None:
        self.real_path, self.os_root = value, ""

    def under(self, root: str, os_path: str) -> None:
        """Set os_path, kept as `root` when it is `root`/`path` (`root` shared by all)."""
        if os_path == f"{root}/{self.path}":
            self.real_path, self.os_root = "", root
        else:
            self.os_path = os_path

    def subject_summary(self) -> str:
        """A certificate's CN and O, a key's type and its certificate, a CSR's CN, or the note."""
        if self.cert is not None:
            organizations = self.cert.organizations
            groups = f" (O {', '.join(organizations)})" if organizations else ""
            return f"CN {self.cert.cn}{groups}"
        if self.key is not None:
            key = self.key
            what = "encrypted key" if key.encrypted else f"{key.key_type} {key.key_size}"
            return what + (f" → {', '.join(self.paired)}" if self.paired else "")
        if self.csr is not None:
            return f"CSR for CN {self.csr.cn}"
        return self.note

    def issuer_summary(self) -> str:
        """Who signed a certificate: `self-signed`, the CA's file, or the issuer's name when
        the CA is not in the directory; empty for other files."""
        if self.cert is None:
            return ""
        if self.self_signed:
            return "self-signed"
        return self.issued_by or f"not here: {self.cert.issuer_text}"

    @property
    def ref(self) -> str:
        """The path, with the part inside the file when there is one."""
        return f"{self.path} ({self.part})" if self.part else self.path

    def __reduce__(self) -> tuple[object, ...]:
        # its fields as one tuple, remade by __init__: the scan's children send thousands
        # back, and dataclasses' own __setstate__ sets each slot through setattr
        return (_unpickle_record, (_record_fields(self),))


_RECORD_FIELDS = tuple(f.name for f in fields(ReviewedFile))
_record_fields = attrgetter(*_RECORD_FIELDS)


def _unpickle_record(values: tuple[object, ...]) -> ReviewedFile:
    record = ReviewedFile(*values)  # type: ignore[arg-type]
    # pickle sends numbers by value: without this each record would have its own two
    record.size, record.mode = one_number(record.size), one_number(record.mode)
    return record


_NUMBERS: dict[int, int] = {}


def one_number(number: int | None) -> int | None:
    """One int object for each file size and mode (a review may hold 200,000 of each)."""
    if number is None:
        return None
    if len(_NUMBERS) >= 8192:
        _NUMBERS.clear()
    return _NUMBERS.setdefault(number, number)


@dataclass
class Review:
    """The result of reviewing a directory: every record found and every finding."""

    root: str
    files: list[ReviewedFile]
    findings: list[Finding]
    now: datetime
    warn_days: int = WARN_DAYS

    def count(self, severity: Severity) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def worst(self) -> Severity | None:
        """The most severe finding's severity, or None when there is nothing to say."""
        return worst_severity(self.findings)

    def certificates_by_expiry(self) -> list[ReviewedFile]:
        """The certificate records, the soonest to expire first."""
        certs = [f for f in self.files if f.cert is not None]
        return sorted(certs, key=lambda f: (f.cert.not_after, f.path, f.part))  # type: ignore[union-attr]

    def certificates_by_urgency(self) -> list[ReviewedFile]:
        """The certificate records, most urgent first (see `urgency`), soonest to expire first
        among equals."""
        ranks = self.urgency_ranks()
        return sorted(
            (f for f in self.files if f.cert is not None),
            key=lambda r: (ranks[id(r)], r.cert.not_after, r.path, r.part),  # type: ignore[union-attr]
        )

    def urgency_ranks(self) -> dict[int, int]:
        """Each record's urgency by id, lowest first: 0 expired, 1 not yet valid, 2 an error
        about its file, 3 expiring, 4 a warning, 9 the rest."""
        worst: dict[str, int] = {}
        for finding in self.findings:
            rank = 2 if finding.severity == "error" else 4 if finding.severity == "warning" else 9
            worst[finding.path] = min(worst.get(finding.path, 9), rank)
        fixed = {"expired": 0, "not yet valid": 1, "expiring": 3}
        return {
            id(record): min(fixed.get(self.status(record), 9), worst.get(record.path, 9))
            for record in self.files
        }

    def problems_of(self, record: ReviewedFile) -> dict[Severity, int]:
        """How many errors and warnings name this record's file."""
        counts: dict[Severity, int] = {}
        for finding in self.findings:
            if finding.path == record.path and finding.severity != "info":
                counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return counts

    def days_left(self, record: ReviewedFile) -> int | None:
        """Whole days until a certificate record expires (negative once expired)."""
        if record.cert is None:
            return None
        return days_until(record.cert.not_after, self.now)

    def status(self, record: ReviewedFile) -> str:
        """`expired`, `not yet valid`, `expiring`, `valid` — or the kind of a non-certificate."""
        return self.days_and_status(record)[1]

    def days_and_status(self, record: ReviewedFile) -> tuple[int | None, str]:
        """`days_left` and `status` at once (a report of thousands of certificates needs both)."""
        facts = record.cert
        if facts is None:
            return None, record.kind
        days = days_until(facts.not_after, self.now)
        if facts.not_after < self.now:
            return days, "expired"
        if facts.not_before > self.now:
            return days, "not yet valid"
        return days, "expiring" if days <= self.warn_days else "valid"


def certificate_holders(records: list[ReviewedFile]) -> dict[int, list[ReviewedFile]]:
    """The records holding each distinct certificate, keyed by the id of its CertFacts."""
    holders: dict[int, list[ReviewedFile]] = {}
    for record in records:
        if record.cert is not None:
            holders.setdefault(id(record.cert), []).append(record)
    return holders


def primary(records: list[ReviewedFile]) -> ReviewedFile:
    """The record to name a certificate by: a file of its own before a copy appended to
    another certificate (k3s writes each leaf with its CA) or inside a kubeconfig, and of its
    own files one with its key beside it (server/tls/server-ca.crt, not agent/server-ca.crt)."""
    own = [r for r in records if not r.embedded and not r.part]
    if own:
        keyed = (r for r in own if any(_beside(r.path, key) for key in r.paired))
        return next(keyed, own[0])
    return next((r for r in records if not r.embedded), records[0])


def _beside(path: str, other: str) -> bool:
    return path.rpartition("/")[0] == other.rpartition("/")[0]


def report(
    holders: list[ReviewedFile], severity: Severity, check: str, message: str
) -> list[Finding]:
    """One finding per file holding a certificate (a stale copy in a kubeconfig counts too).

    `{ref}` in `message` becomes each holder's reference (replaced, not formatted: names taken
    from certificates may hold braces)."""
    seen: dict[str, ReviewedFile] = {}
    for record in holders:
        seen.setdefault(record.path, record)
    return [
        Finding(path, severity, check, message.replace("{ref}", r.ref)) for path, r in seen.items()
    ]
