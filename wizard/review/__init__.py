"""Review an existing certificate directory (/etc/kubernetes/ssl, /etc/kubernetes/pki, …).

`review_directory` answers what each file is, which key belongs to which certificate, who signed
what, what expires when and what is wrong for its Kubernetes role; `review_to_json` turns the
answer into the `--json` document. Domain code: no UI imports here.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.utils import CryptographyDeprecationWarning

from wizard.certdetails import key_id_text
from wizard.expiry import WARN_DAYS
from wizard.review.chains import link_issuers
from wizard.review.conventions import assign_roles_and_conventions, check_tool_layouts
from wizard.review.expiry import check_expiry
from wizard.review.layouts import adjust_for_layouts
from wizard.review.lints import lint
from wizard.review.model import (
    KIND_CERTIFICATE,
    KIND_CSR,
    KIND_KUBECONFIG,
    KIND_PRIVATE_KEY,
    KIND_PUBLIC_KEY,
    SEVERITIES,
    Finding,
    Review,
    ReviewedFile,
    certificate_holders,
)
from wizard.review.pairing import pair_keys
from wizard.review.roles import check_roles
from wizard.review.scan import scan_directory
from wizard.spec import ClusterSpec

__all__ = [
    "Finding",
    "Review",
    "ReviewError",
    "ReviewedFile",
    "review_directory",
    "review_to_json",
]


class ReviewError(OSError):
    """The directory cannot be reviewed at all; the message says why, in one sentence."""


def review_directory(
    root: str | Path,
    *,
    config: ClusterSpec | None = None,
    warn_days: int = WARN_DAYS,
    now: datetime | None = None,
) -> Review:
    """Scan `root` and check every certificate, key and kubeconfig under it.

    With `config` (a cluster.toml), server certificates are also checked to cover every address
    the cluster needs. Raises ReviewError when `root` is missing or cannot be listed; problems
    with the files inside are findings, never exceptions.
    """
    path = os.fspath(root)
    try:
        with os.scandir(path):
            pass
    except FileNotFoundError:
        raise ReviewError(f"{path} does not exist — give the certificate directory") from None
    except NotADirectoryError:
        raise ReviewError(f"{path} is a file, not a directory — give its directory") from None
    except OSError as error:
        raise ReviewError(f"cannot read {path}: {error.strerror or error}") from None
    now = now or datetime.now(UTC)
    with _collector_paused(), warnings.catch_warnings():
        # cryptography warns while parsing what the lints report anyway (negative serials, …)
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        # and says so for names with a field of the wrong length (a three-letter C), reported too
        warnings.filterwarnings("ignore", "Attribute's length must be", UserWarning)
        return _review(path, config, warn_days, now)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the records are built.

    The records are freed by reference counting; with thousands of certificates the collector's
    repeated passes over them would cost more than the review itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _review(path: str, config: ClusterSpec | None, warn_days: int, now: datetime) -> Review:
    scan = scan_directory(path)
    records = scan.records
    findings = list(scan.findings)
    matches = assign_roles_and_conventions(records, config.profile if config else None)
    holders = certificate_holders(records)
    findings += pair_keys(records)
    findings += link_issuers(records, holders)  # before lint: it marks self-signed ones
    findings += check_roles(records, matches, config)
    findings += check_tool_layouts(records, matches, config)
    findings += lint(records, matches, holders)
    findings += check_expiry(records, now, warn_days, holders)
    findings = adjust_for_layouts(scan.root, records, findings, matches)
    if not any(record.kind in _PKI_KINDS for record in records):
        findings.append(_nothing_found(records))
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    unique = list(dict.fromkeys(findings))
    unique.sort(key=lambda f: (rank[f.severity], f.path, f.check))
    return Review(scan.root, records, unique, now, warn_days)


_PKI_KINDS = {KIND_CERTIFICATE, KIND_PRIVATE_KEY, KIND_PUBLIC_KEY, KIND_CSR, KIND_KUBECONFIG}


def _nothing_found(records: list[ReviewedFile]) -> Finding:
    """A warning for a directory without a certificate, key, CSR or kubeconfig: most likely
    the wrong directory."""
    files = len({r.path for r in records})
    looked_at = f"{files} file{'s' if files != 1 else ''} looked at" if files else "it is empty"
    return Finding(
        ".",
        "warning",
        "no-certificates",
        f"no certificate, key, CSR or kubeconfig here ({looked_at}) — is this the certificate "
        "directory? On a node it is often /etc/kubernetes/ssl or /etc/kubernetes/pki",
    )


def review_to_json(review: Review, *, lazy: bool = False) -> dict[str, Any]:
    """The `--json` document: root, summary, files (one entry per object), expiry, findings.

    With `lazy`, files, expiry and findings are iterators, each entry made as it is read: a
    writer streams a review of thousands of files without holding all of it twice."""
    distinct = {id(r.cert) for r in review.files if r.cert is not None}
    sections: dict[str, Iterator[dict[str, Any]]] = {
        "files": (_file_json(review, record) for record in review.files),
        "expiry": (_expiry_json(review, record) for record in review.certificates_by_expiry()),
        "findings": (
            {
                **({"node": f.node} if f.node else {}),
                "path": f.path,
                "severity": f.severity,
                "check": f.check,
                "message": f.message,
            }
            for f in review.findings
        ),
    }
    return {
        "root": review.root,
        "now": _time(review.now),
        "warn_days": review.warn_days,
        "summary": {
            "files": len({(r.node, r.path) for r in review.files}),
            "certificates": len(distinct),
            **{severity: review.count(severity) for severity in SEVERITIES},
        },
        **(sections if lazy else {key: list(items) for key, items in sections.items()}),
    }


def _expiry_json(review: Review, record: ReviewedFile) -> dict[str, Any]:
    days_left, status = review.days_and_status(record)
    return {
        **({"node": record.node} if record.node else {}),
        "path": record.ref,
        "role": record.role,
        "convention": record.convention,
        "not_after": _time(record.cert.not_after),  # type: ignore[union-attr]
        "days_left": days_left,
        "status": status,
    }


@lru_cache(maxsize=64)
def _mode_text(mode: int) -> str:
    """A file mode as four octal digits (`0600`)."""
    return f"{mode:04o}"


@lru_cache(maxsize=1 << 14)
def _time(moment: datetime) -> str:
    """RFC 3339 in UTC (cached: a set issued in one run shares a handful of seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _file_json(review: Review, record: ReviewedFile) -> dict[str, Any]:
    # one dict filled in order (not built and then updated from keyword arguments), the
    # facts' shared profile read directly: a --json of 10,000 certificates makes 20,000
    item: dict[str, Any] = {"node": record.node} if record.node else {}
    item["path"] = record.path
    item["kind"] = record.kind
    item["role"] = record.role
    if record.convention:
        item["convention"] = record.convention
    if record.part:
        item["part"] = record.part
    if record.note:
        item["note"] = record.note
    if record.mode is not None:
        item["mode"] = _mode_text(record.mode)
    facts = record.cert
    if facts is not None:
        profile = facts.profile
        item["subject"] = facts.subject_text
        item["issuer"] = profile.issuer_text
        item["serial"] = str(facts.serial_number)
        item["not_before"] = _time(facts.not_before)
        item["not_after"] = _time(facts.not_after)
        item["days_left"], item["status"] = review.days_and_status(record)
        item["is_ca"] = profile.is_ca
        item["self_signed"] = record.self_signed
        item["issued_by"] = record.issued_by
        item["key_type"] = profile.key_type
        item["key_size"] = profile.key_size
        item["sigalg"] = profile.sigalg
        item["sans"] = (
            {"dns": list(facts.dns_sans), "ip": list(facts.ip_sans)}
            if profile.has_san_extension
            else None
        )
        item["ext_key_usage"] = list(profile.ext_key_usage) if profile.ext_key_usage else None
        item["key_usage"] = list(profile.key_usage)
        item["subject_key_id"] = key_id_text(facts.ski)
        item["authority_key_id"] = key_id_text(profile.aki)
        # identity_of's CN and O, read once by the scan (decoding the name again per
        # certificate was a third of --json's time)
        item["identity"] = {"user": facts.cn, "groups": list(profile.organizations)}
        item["keys"] = list(record.paired)
        item["sha256"] = facts.fingerprint.hex()
    elif record.key is not None:
        key = record.key
        item["key_type"] = key.key_type
        item["key_size"] = key.key_size
        item["private"] = key.private
        item["encrypted"] = key.encrypted
        item["certificates"] = list(record.paired)
    elif record.csr is not None:
        csr = record.csr
        item["cn"] = csr.cn
        item["organizations"] = list(csr.organizations)
        item["key_type"] = csr.key_type
        item["key_size"] = csr.key_size
    elif record.kubeconfig is not None:
        item["servers"] = record.kubeconfig.servers
        item["users"] = [
            {
                "name": user.name,
                "client_certificate": [r.ref for r in user.certificates],
                "client_key": [r.ref for r in user.keys],
                "token": user.has_token,
            }
            for user in record.kubeconfig.users
        ]
    return item
