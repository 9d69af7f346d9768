"""The review as kubeadm's `certs check-expiration -o json` document: CertificateExpirationInfo
of output.kubeadm.k8s.io/v1alpha3, with its field names and Go's JSON types (a time.Time as
RFC 3339, residualTime as int64 seconds — kubeadm's ResidualTimeSeconds)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wizard.review.model import Review, ReviewedFile

API_VERSION = "output.kubeadm.k8s.io/v1alpha3"
KIND = "CertificateExpirationInfo"


def review_to_kubeadm(review: Review) -> dict[str, Any]:
    """kind, apiVersion, certificates (the leaves) and certificateAuthorities (the CAs), each
    entry {name, expirationDate, residualTime, externallyManaged, caName?, missing}; a name is
    the path under the reviewed directory (with the part inside a kubeconfig)."""
    by_path = {r.path: r for r in review.files if r.cert is not None and not r.part}
    certificates: list[dict[str, Any]] = []
    authorities: list[dict[str, Any]] = []
    for record in review.certificates_by_expiry():
        facts = record.cert
        assert facts is not None
        if facts.is_ca:
            if record.embedded:  # a kubeconfig's copy of its CA: kubeadm lists the CA once
                continue
            authorities.append(_entry(review, record, external=not record.paired))
            continue
        issuer = by_path.get(record.issued_by or "")
        external = issuer is None or not issuer.paired  # no CA key here: kubeadm cannot renew it
        entry = _entry(review, record, external=external)
        if record.issued_by:
            entry["caName"] = record.issued_by
        certificates.append(entry)
    return {
        "kind": KIND,
        "apiVersion": API_VERSION,
        "certificates": certificates,
        "certificateAuthorities": authorities,
    }


def _entry(review: Review, record: ReviewedFile, *, external: bool) -> dict[str, Any]:
    facts = record.cert
    assert facts is not None
    end = facts.not_after.astimezone(UTC)
    return {
        "name": f"{record.node}:{record.ref}" if record.node else record.ref,
        "expirationDate": _go_time(end),
        "residualTime": _residual_seconds(end, review.now),
        "externallyManaged": external,
        "missing": False,
    }


def _go_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _residual_seconds(end: datetime, now: datetime) -> int:
    """Whole seconds left (negative once expired), truncated toward zero as Go's
    Duration.Seconds() becomes an int64."""
    return int((end - now).total_seconds())
