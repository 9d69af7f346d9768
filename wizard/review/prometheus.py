"""The review as Prometheus text: x509-certificate-exporter's metrics and labels, plus a gauge
of findings per check, for node_exporter's textfile collector (no timestamps)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from cryptography.x509.oid import NameOID

from wizard.review.model import (
    KIND_DAMAGED,
    KIND_UNREADABLE,
    SEVERITIES,
    Review,
    ReviewedFile,
)

FINDINGS_METRIC = "k8s_cert_wizard_findings"

# x509-certificate-exporter's name labels: <side>_<attribute> for the subject and the issuer
_NAME_ATTRIBUTES = (
    ("C", NameOID.COUNTRY_NAME.dotted_string),
    ("ST", NameOID.STATE_OR_PROVINCE_NAME.dotted_string),
    ("L", NameOID.LOCALITY_NAME.dotted_string),
    ("O", NameOID.ORGANIZATION_NAME.dotted_string),
    ("OU", NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string),
    ("CN", NameOID.COMMON_NAME.dotted_string),
)


def review_to_prometheus(review: Review) -> str:
    """The exposition text: `x509_cert_not_before`, `x509_cert_not_after`, `x509_cert_expired`,
    `x509_cert_expires_in_seconds` per certificate record, `x509_read_errors`, and
    `k8s_cert_wizard_findings{check,severity}`."""
    return "".join(prometheus_chunks(review))


def prometheus_chunks(review: Review, batch: int = 1024) -> Iterator[str]:
    """review_to_prometheus in pieces of about `batch` lines, each line made as it is read
    (a writer streams the metrics of thousands of certificates)."""
    lines: list[str] = []
    for line in _lines(review):
        lines.append(line)
        if len(lines) >= batch:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def _lines(review: Review) -> Iterator[str]:
    certs: list[ReviewedFile] = []
    texts: list[str] = []
    seen: set[str] = set()
    issuer_texts: dict[bytes, str] = {}
    for record in review.files:
        if record.cert is None:
            continue
        text = _cert_label_text(review, record, issuer_texts)
        if text in seen:  # the same certificate twice in one file: one series, as the exporter
            continue
        seen.add(text)
        certs.append(record)
        texts.append(text)
    now = review.now.timestamp()

    def family(
        name: str, help_text: str, values: Iterable[tuple[dict[str, str] | str, float]]
    ) -> Iterator[str]:
        yield f"# HELP {name} {_escape_help(help_text)}"
        yield f"# TYPE {name} gauge"
        for label_set, value in values:
            text = label_set if isinstance(label_set, str) else _label_text(label_set)
            yield f"{name}{text} {_number(value)}"

    del seen  # the label texts are all needed below, the set of them no longer
    # each moment read from the certificate as its line is written: with 100,000 certificates,
    # lists of them would weigh megabytes on top of the label texts
    yield from family(
        "x509_cert_not_before",
        "Certificate validity start date (unix seconds)",
        zip(texts, _starts(certs), strict=True),
    )
    yield from family(
        "x509_cert_not_after",
        "Certificate validity end date (unix seconds)",
        zip(texts, _ends(certs), strict=True),
    )
    yield from family(
        "x509_cert_expired",
        "1 when the certificate has expired, else 0",
        (
            (label, 1.0 if end < now else 0.0)
            for label, end in zip(texts, _ends(certs), strict=True)
        ),
    )
    yield from family(
        "x509_cert_expires_in_seconds",
        "Seconds until the certificate expires (negative once expired)",
        ((label, end - now) for label, end in zip(texts, _ends(certs), strict=True)),
    )
    unreadable = sum(1 for r in review.files if r.kind in (KIND_DAMAGED, KIND_UNREADABLE))
    yield from family(
        "x509_read_errors", "Files that could not be read or parsed", [({}, unreadable)]
    )
    counts: dict[tuple[str, str], int] = {}
    for finding in review.findings:
        counts[(finding.check, finding.severity)] = (
            counts.get((finding.check, finding.severity), 0) + 1
        )
    order: dict[str, int] = {severity: index for index, severity in enumerate(SEVERITIES)}
    yield from family(
        FINDINGS_METRIC,
        "Findings of k8s-cert-wizard review, by check and severity",
        [
            ({"check": check, "severity": severity, "root": review.root}, count)
            for (check, severity), count in sorted(
                counts.items(), key=lambda item: (order[item[0][1]], item[0][0])
            )
        ],
    )


def _starts(certs: list[ReviewedFile]) -> Iterator[float]:
    """Each certificate's start (unix seconds)."""
    return (r.cert.not_before.timestamp() for r in certs)  # type: ignore[union-attr]


def _ends(certs: list[ReviewedFile]) -> Iterator[float]:
    """Each certificate's end (unix seconds)."""
    return (r.cert.not_after.timestamp() for r in certs)  # type: ignore[union-attr]


def _cert_label_text(review: Review, record: ReviewedFile, issuer_texts: dict[bytes, str]) -> str:
    """`{filename="…",filepath="…",…}` of one certificate record: _label_text of its labels
    (file, node, embedded, serial, subject_*, issuer_*), made without a dict per record."""
    facts = record.cert
    assert facts is not None
    filename, filepath = _file_labels(review.root, record.path)
    parts = [f'filename="{_escape_label(filename)}"', f'filepath="{_escape_label(filepath)}"']
    if record.node:
        parts.append(f'node="{_escape_label(record.node)}"')
    if record.embedded and record.part:
        parts.append('embedded_kind="user"')
        parts.append(f'embedded_key="{_escape_label(record.part)}"')
    parts.append(f'serial_number="{facts.serial}"')
    subject = facts.subject_attributes
    for short, oid in _NAME_ATTRIBUTES:
        parts.append(f'subject_{short}="{_escape_label(_attribute(subject, oid))}"')
    # thousands of certificates share a handful of issuers: their labels are made once
    issuer_der = facts.issuer_der
    issuer = issuer_texts.get(issuer_der) if issuer_der is not None else None
    if issuer is None:
        name = facts.issuer_attributes
        issuer = ",".join(
            f'issuer_{short}="{_escape_label(_attribute(name, oid))}"'
            for short, oid in _NAME_ATTRIBUTES
        )
        if issuer_der is not None:
            issuer_texts[issuer_der] = issuer
    parts.append(issuer)
    return "{" + ",".join(parts) + "}"


def _file_labels(root: str, path: str) -> tuple[str, str]:
    """x509-certificate-exporter's filename and filepath: PurePosixPath(path).name and
    str(PurePosixPath(root) / path), without pathlib for the paths a scan makes."""
    if _plain_posix(path) and not path.startswith("/") and (root == "/" or _plain_posix(root)):
        return path.rpartition("/")[2], f"{root}/{path}" if root != "/" else f"/{path}"
    return PurePosixPath(path).name, str(PurePosixPath(root) / path)


def _plain_posix(path: str) -> bool:
    """True when PurePosixPath would keep `path` as it is: no empty or `.` parts, no slash at
    its end."""
    return bool(path) and not (
        "//" in path
        or path.endswith(("/", "/."))
        or path == "."
        or path.startswith("./")
        or "/./" in path
    )


def _attribute(name: tuple[tuple[str, str | bytes], ...] | None, oid: str) -> str:
    """Every value of one attribute of a DN (CertFacts' attributes), joined by commas;
    empty for an undecodable name."""
    if name is None:
        return ""
    return ",".join(
        value if isinstance(value, str) else value.hex() for dotted, value in name if dotted == oid
    )


def _label_text(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape_label(value)}"' for key, value in labels.items())
    return "{" + inner + "}"


def _escape_label(value: str) -> str:
    if "\\" not in value and "\n" not in value and '"' not in value:
        return value
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
