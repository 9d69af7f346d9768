"""When each certificate stops working: expired, expiring within the warning window, or not
yet valid (a clock problem, or a certificate issued in the future)."""

from __future__ import annotations

from datetime import datetime, timedelta

from wizard.expiry import days_until
from wizard.review.model import CertFacts, Finding, ReviewedFile, certificate_holders, report


def check_expiry(
    records: list[ReviewedFile],
    now: datetime,
    warn_days: int,
    holders: dict[int, list[ReviewedFile]] | None = None,
) -> list[Finding]:
    """`expired` and `not-yet-valid` errors, `expiring` warnings, one per file holding the cert."""
    findings: list[Finding] = []
    by_certificate = certificate_holders(records) if holders is None else holders
    horizon = now + timedelta(days=warn_days + 1)  # a cheap first test; _check counts days
    for these in by_certificate.values():
        facts = these[0].cert
        assert facts is not None
        if facts.not_before > now or facts.not_after < horizon:
            findings += _check(facts, these, now, warn_days)
    return findings


def _check(
    facts: CertFacts, these: list[ReviewedFile], now: datetime, warn_days: int
) -> list[Finding]:
    end = f"{facts.not_after:%Y-%m-%d %H:%M} UTC"
    # a self-signed leaf (the kubelet's kubelet.crt) has no CA to renew it with
    leaf_of_its_own = these[0].self_signed and not facts.is_ca
    renew = (
        "re-create it (a self-signed certificate has no CA: for the kubelet's kubelet.crt, "
        "move kubelet.crt and kubelet.key away and restart the kubelet, which makes a new pair)"
        if leaf_of_its_own
        else "renew it with the same CA"
    )
    if facts.not_after < now:
        days = days_until(now, facts.not_after)
        return report(
            these,
            "error",
            "expired",
            f"{{ref}} expired on {end} ({days} days ago): every TLS connection using it fails "
            f"with 'x509: certificate has expired' — {renew} and restart the components that use "
            "it",
        )
    if facts.not_before > now:
        start = f"{facts.not_before:%Y-%m-%d %H:%M} UTC"
        return report(
            these,
            "error",
            "not-yet-valid",
            f"{{ref}} is not valid before {start}: this machine's clock is behind, or it was "
            "issued on a machine whose clock runs ahead — fix the clocks (timedatectl, chrony) "
            "or re-issue it",
        )
    days = days_until(facts.not_after, now)
    if days > warn_days:
        return []
    return report(
        these,
        "warning",
        "expiring",
        f"{{ref}} expires on {end}, in {days} days — {renew} before then",
    )
