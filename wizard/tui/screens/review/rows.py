"""The review's view-model: one Row per object found, as plain data (no widgets), the filter,
and the panel's description of a certificate as the review concluded it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from cryptography import x509

from wizard.certdetails import CertDetails, describe_certificate
from wizard.marks import mark_of
from wizard.review import Finding, Review, ReviewedFile
from wizard.review.pairing import key_names_for_certificate
from wizard.tui.looks import colour_name

__all__ = [
    "Row",
    "build_rows",
    "certificate_details",
    "describe_other",
    "expires_text",
    "filter_rows",
    "plural",
    "row_status",
    "urgency_order",
]


def plural(count: int, word: str) -> str:
    """`1 error`, `2 errors` (`info` stays `info`)."""
    return f"{count} {word}{'' if count == 1 or word == 'info' else 's'}"


@dataclass(frozen=True)
class Row:
    """One object of the review as the table shows it; `search` is what the filter looks in."""

    index: int
    record: ReviewedFile
    file: str
    status: str
    look: str
    symbol: str
    expires: str
    kind: str
    role: str
    subject: str
    issuer: str
    findings: tuple[Finding, ...] = field(repr=False)
    search: str = field(repr=False)

    @property
    def is_certificate(self) -> bool:
        """True for a certificate (the only thing a renewal re-issues)."""
        return self.record.cert is not None


def row_status(review: Review, record: ReviewedFile, findings: Iterable[Finding]) -> tuple:
    """(words, look, symbol) of a row: the validity of a certificate (`ok` for other files) and
    how many errors and warnings its file has, e.g. `valid · 1 error`."""
    severities = [f.severity for f in findings]
    word = review.status(record) if record.cert is not None else "ok"
    look, symbol = colour_name(word), mark_of(word).symbol
    words = [word]
    for severity in ("error", "warning"):
        count = severities.count(severity)
        if count:
            words.append(plural(count, severity))
    if "error" in severities:
        look, symbol = "error", "✗"
    elif "warning" in severities and look == "success":
        look, symbol = "warning", "⚠"
    return " · ".join(words), look, symbol


def expires_text(review: Review, record: ReviewedFile) -> str:
    """`3649 d`, `35 d ago`, or nothing for a file that is not a certificate."""
    days = review.days_left(record)
    if days is None:
        return ""
    return f"{-days} d ago" if days < 0 else f"{days} d"


def urgency_order(review: Review) -> list[int]:
    """The indexes of `review.files`, most urgent first as the review ranks them (expired, not
    yet valid, an error, expiring, a warning, the rest); certificates before other files and
    the soonest to expire first among equals."""
    ranks = review.urgency_ranks()
    far = datetime.max.replace(tzinfo=UTC)

    def key(index: int) -> tuple[int, bool, datetime, int]:
        record = review.files[index]
        ends = record.cert.not_after if record.cert is not None else far
        return (ranks[id(record)], record.cert is None, ends, index)

    return sorted(range(len(review.files)), key=key)


def build_rows(review: Review, *, by_urgency: bool = True) -> list[Row]:
    """One row per object found, most urgent first (or in the review's order)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in review.findings:
        by_path.setdefault(finding.path, []).append(finding)
    rows = []
    order = urgency_order(review) if by_urgency else range(len(review.files))
    for index in order:
        record = review.files[index]
        findings = tuple(by_path.get(record.path, ()))
        status, look, symbol = row_status(review, record, findings)
        cells = {
            "file": record.ref,
            "status": status,
            "expires": expires_text(review, record),
            "kind": record.kind,
            "role": record.role or "—",
            "subject": record.subject_summary(),
            "issuer": record.issuer_summary(),
        }
        words = [*cells.values(), *(f.check for f in findings), *(f.severity for f in findings)]
        words.append(record.convention)  # `/kubeasz` finds that tool's files
        rows.append(
            Row(
                index=index,
                record=record,
                look=look,
                symbol=symbol,
                findings=findings,
                search="\n".join(words).lower(),
                **cells,
            )
        )
    return rows


def filter_rows(rows: list[Row], query: str) -> list[Row]:
    """The rows holding every word of the query (any column, a finding's slug or severity)."""
    words = query.lower().split()
    if not words:
        return list(rows)
    return [row for row in rows if all(word in row.search for word in words)]


def certificate_details(review: Review, record: ReviewedFile) -> tuple[CertDetails, str, str]:
    """The panel's description of a certificate record, with the chain checked against the CA
    the review found and the key as the review paired it; also the issuer and key labels."""
    assert record.cert is not None
    issuer: x509.Certificate | None = None
    if record.issued_by:
        holder = next(
            (r for r in review.files if r.cert is not None and r.ref == record.issued_by), None
        )
        issuer = holder.cert.certificate if holder and holder.cert else None
    details = describe_certificate(record.cert.certificate, issuer=issuer, now=review.now)
    key_matches: bool | None = None
    key_label = ""
    if record.paired:
        key_matches, key_label = True, record.paired[0]
    elif not record.embedded:
        names = set(key_names_for_certificate(record.path))
        named = next(
            (r for r in review.files if r.path in names and r.key is not None and r.key.private),
            None,
        )
        if named is not None:
            key_matches, key_label = False, named.ref
    details = replace(details, key_matches=key_matches)
    if record.self_signed:
        issuer_label = "itself (self-signed)"
    else:
        issuer_label = record.issued_by or "its issuer (not in this directory)"
    return details, issuer_label, key_label


def describe_other(record: ReviewedFile) -> str:
    """One sentence about a file that is not a certificate."""
    if record.key is not None:
        key = record.key
        what = "private key" if key.private else "public key"
        size = "encrypted" if key.encrypted else f"{key.key_type} {key.key_size}"
        pairs = (
            f", belongs to {', '.join(record.paired)}"
            if record.paired
            else ", belongs to no certificate here"
        )
        return f"{record.ref} — {what}, {size}{pairs}"
    if record.csr is not None:
        return f"{record.ref} — certificate request for CN {record.csr.cn}"
    note = f": {record.note}" if record.note else ""
    return f"{record.ref} — {record.kind}{note}"
