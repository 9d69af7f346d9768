"""Who signed what: each certificate's issuer among the CAs present, proven by signature.

Candidates are found by authority key id and by issuer name, but a candidate is the issuer only
when its key verifies the signature — a CA regenerated with the same CN has the same name and a
different key, and that is exactly the `x509: certificate signed by unknown authority` users hit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from cryptography.exceptions import UnsupportedAlgorithm

from wizard.certdetails import key_id_text, signed_by
from wizard.review.model import (
    CertFacts,
    Finding,
    ReviewedFile,
    certificate_holders,
    primary,
    report,
)
from wizard.review.parallel import run_split

# cfssl signs a leaf a minute after its CA with the same lifetime, so the leaf may end a few
# minutes after the CA; that is not the mistake this check is for (years too long).
OUTLIVE_TOLERANCE = timedelta(days=1)

# One signature check to make: the certificate, and the candidates to try in order (itself
# first when it may be a self-signed root).
_Job = tuple[CertFacts, list[CertFacts]]


def link_issuers(
    records: list[ReviewedFile], holders: dict[int, list[ReviewedFile]] | None = None
) -> list[Finding]:
    """Set `issued_by` / `self_signed` on every certificate record; report chain problems.

    `holders` is `certificate_holders(records)` when the caller has it already."""
    holders = certificate_holders(records) if holders is None else holders
    distinct = [rs[0].cert for rs in holders.values() if rs[0].cert is not None]
    by_ski: dict[bytes, list[CertFacts]] = defaultdict(list)
    by_subject: dict[bytes, list[CertFacts]] = defaultdict(list)
    for facts in distinct:
        if facts.is_ca:
            by_subject[facts.subject_der].append(facts)
            if facts.ski:
                by_ski[facts.ski].append(facts)
    jobs = [(facts, _candidates(facts, by_ski, by_subject)) for facts in distinct]
    found = [index for part in run_split(_verify, jobs) for index in part]
    # Candidates by key id alone all failed (rare): try the ones the issuer name gives too.
    for number, ((facts, candidates), index) in enumerate(zip(jobs, found, strict=True)):
        if index < 0 and facts.aki is not None:
            more = _candidates(facts, by_ski, by_subject, by_name=True)
            if len(more) > len(candidates):
                jobs[number] = (facts, more)
                found[number] = _verify([(facts, more)])[0]
    findings: list[Finding] = []
    for (facts, candidates), index in zip(jobs, found, strict=True):
        these = holders[id(facts)]
        may_be_root = bool(candidates) and candidates[0] is facts
        if may_be_root and index == 0:
            for record in these:
                record.self_signed = True
            continue
        if may_be_root:
            candidates = candidates[1:]
            index -= 1
            if facts.aki is None:
                findings += _same_subject_without_aki(facts, these)
        if index < 0:
            findings += _no_issuer(facts, these, candidates, holders)
            continue
        issuer = candidates[index]
        issuer_ref = primary(holders[id(issuer)]).ref
        for record in these:
            record.issued_by = issuer_ref
        if facts.not_after > issuer.not_after + OUTLIVE_TOLERANCE:
            findings += report(
                these,
                "warning",
                "leaf-outlives-ca",
                f"{{ref}} is valid until {facts.not_after:%Y-%m-%d} but its CA {issuer_ref} "
                f"ends on {issuer.not_after:%Y-%m-%d}: it stops working with the CA — plan "
                "to renew both before then, and issue leaves no longer than their CA",
            )
    findings += _duplicate_ca_subjects(by_subject, holders)
    return findings


def _candidates(
    facts: CertFacts,
    by_ski: dict[bytes, list[CertFacts]],
    by_subject: dict[bytes, list[CertFacts]],
    *,
    by_name: bool = False,
) -> list[CertFacts]:
    """The CAs that may have signed `facts`: by its AKI; by issuer name when it has no AKI
    (or `by_name`). First itself when it may be a self-signed root."""
    found: dict[int, CertFacts] = {}
    # A root's AKI, when it has one, is its own SKI: only then are the names worth comparing.
    if (facts.aki is None or facts.ski is None or facts.aki == facts.ski) and facts.self_issued:
        found[id(facts)] = facts
    candidates = list(by_ski.get(facts.aki, ())) if facts.aki is not None else []
    if facts.aki is None or not candidates or by_name:
        candidates += by_subject.get(facts.issuer_der or b"", ())
    for candidate in candidates:
        if candidate is not facts:
            found.setdefault(id(candidate), candidate)
    return list(found.values())


def _verify(jobs: Sequence[_Job]) -> list[int]:
    """For each job, the index of the first candidate whose key verifies the signature, or -1."""
    return [
        next((i for i, ca in enumerate(candidates) if _signed_by(facts, ca)), -1)
        for facts, candidates in jobs
    ]


def _signed_by(facts: CertFacts, issuer: CertFacts) -> bool:
    try:
        return signed_by(facts.certificate, issuer.certificate)
    except UnsupportedAlgorithm:  # a signature algorithm cryptography cannot check
        return False


def _no_issuer(
    facts: CertFacts,
    these: list[ReviewedFile],
    candidates: list[CertFacts],
    holders: dict[int, list[ReviewedFile]],
) -> list[Finding]:
    issuer_name = facts.issuer_text
    if candidates:
        ca_ref = primary(holders[id(candidates[0])]).ref
        return report(
            these,
            "error",
            "bad-signature",
            f"{{ref}} names {issuer_name} as its issuer, and {ca_ref} has that name or key "
            f"id, but {ca_ref}'s key did not sign it (the CA was regenerated, or the "
            "certificate comes from another cluster): clients fail with 'x509: certificate "
            f"signed by unknown authority' — re-issue it with {ca_ref}, or restore the CA "
            "that signed it",
        )
    key_id = f" (key id {key_id_text(facts.aki)})" if facts.aki else ""
    return report(
        these,
        "warning",
        "unknown-issuer",
        f"{{ref}} was issued by {issuer_name}{key_id}, which is not among the CAs here — "
        "review it together with its CA to check the chain, or re-issue it with this "
        "directory's CA",
    )


def _same_subject_without_aki(facts: CertFacts, these: list[ReviewedFile]) -> list[Finding]:
    """A leaf named like its CA, without AKI: openssl takes it for a self-signed certificate."""
    return report(
        these,
        "error",
        "same-subject-no-aki",
        f"{{ref}} has the same subject as its issuer ({facts.subject_text}) and no authority "
        "key id, so 'openssl verify' takes it for a self-signed certificate (error 18) — "
        "re-issue it with an authority key id (k8s-cert-wizard generate writes one) or give "
        "it a subject different from the CA's",
    )


def _duplicate_ca_subjects(
    by_subject: dict[bytes, list[CertFacts]], holders: dict[int, list[ReviewedFile]]
) -> list[Finding]:
    findings = []
    for cas in by_subject.values():
        if len({ca.spki for ca in cas}) < 2:
            continue
        refs = [primary(holders[id(ca)]).ref for ca in cas]
        for ca in cas:
            findings += report(
                holders[id(ca)],
                "warning",
                "duplicate-ca",
                f"{', '.join(refs)} are different CAs with the same subject {ca.subject_text} "
                "— certificates name their issuer, so clients given the wrong one fail with "
                "'signed by unknown authority'; keep one CA per name and move the old one away",
            )
    return findings
