"""Who signed what: each certificate's issuer among the CAs present, proven by signature.

Candidates are found by authority key id and by issuer name, but a candidate is the issuer only
when its key verifies the signature — a CA regenerated with the same CN has the same name and a
different key, and that is exactly the `x509: certificate signed by unknown authority` users hit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from wizard.certdetails import key_id_text, key_kind, signed_by
from wizard.review.certder import SIGNATURE_HASHES
from wizard.review.layouts import in_backup_folder
from wizard.review.model import (
    CertFacts,
    Finding,
    ReviewedFile,
    Severity,
    SignatureChecked,
    certificate_holders,
    primary,
    report,
)

# cfssl signs a leaf a minute after its CA with the same lifetime, so the leaf may end a few
# minutes after the CA; that is not the mistake this check is for (years too long).
OUTLIVE_TOLERANCE = timedelta(days=1)


def link_issuers(
    records: list[ReviewedFile], holders: dict[int, list[ReviewedFile]] | None = None
) -> list[Finding]:
    """Set `issued_by` / `self_signed` on every certificate record; report chain problems.

    `holders` is `certificate_holders(records)` when the caller has it already."""
    holders = certificate_holders(records) if holders is None else holders
    distinct = [rs[0].cert for rs in holders.values() if rs[0].cert is not None]
    by_ski, by_subject = _ca_index(distinct)
    keys: dict[int, object] = {}  # each CA's public key, loaded once
    findings: list[Finding] = []
    signed: dict[int, list[CertFacts]] = defaultdict(list)  # CA → the certificates it signed
    # One certificate at a time (its candidates gone before the next: 100,000 lists of them
    # at once would stay behind as scattered memory). The scan has checked the signatures of
    # all but the CAs and self-issued certificates (check_signatures): the rest is quick.
    for facts in distinct:
        candidates = _candidates(facts, by_ski, by_subject)
        index = _first_signer(facts, candidates, keys)
        # Candidates by key id alone all failed (rare): try the ones the issuer name gives.
        if index < 0 and facts.aki is not None:
            more = _candidates(facts, by_ski, by_subject, by_name=True)
            if len(more) > len(candidates):
                candidates, index = more, _first_signer(facts, more, keys)
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
        signed[id(issuer)].append(facts)
        replaced = _file_of_same_name(issuer, by_subject, holders)
        if replaced is not None:
            findings += _signed_by_a_replaced_ca(facts, these, issuer, replaced, holders)
            continue
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
    findings += _duplicate_ca_subjects(by_subject, holders, signed)
    return findings


def _ca_index(
    certificates: Sequence[CertFacts],
) -> tuple[dict[bytes, list[CertFacts]], dict[bytes, list[CertFacts]]]:
    """The CAs among `certificates` by subject key id and by subject DER, in order."""
    by_ski: dict[bytes, list[CertFacts]] = defaultdict(list)
    by_subject: dict[bytes, list[CertFacts]] = defaultdict(list)
    for facts in certificates:
        if facts.is_ca:
            by_subject[facts.subject_der].append(facts)
            if facts.ski:
                by_ski[facts.ski].append(facts)
    return by_ski, by_subject


# A signature checked: the fingerprints of the CAs tried, and of those whose key verified it.
Verdict = tuple[tuple[bytes, ...], tuple[bytes, ...]]


def needs_checking(facts: CertFacts) -> bool:
    """A certificate whose signature the scan checks (check_signatures) once every CA is
    known: neither a CA nor self-issued (link_issuers checks those), not checked yet."""
    return not (facts.is_ca or facts.self_issued or isinstance(facts.signed, SignatureChecked))


def check_signatures(leaves: Sequence[CertFacts], cas: Sequence[CertFacts]) -> list[Verdict]:
    """Check each leaf's signature against the CAs that may have signed it, as link_issuers
    goes through them (by key id, then by name; up to the first that verifies), so that it
    later needs only the verdicts: what it asks of each is among the CAs tried."""
    by_ski, by_subject = _ca_index(cas)
    keys: dict[int, object] = {}
    verdicts = []
    for facts in leaves:
        tried: dict[bytes, None] = {}
        verified: tuple[bytes, ...] = ()
        for by_name in (False, True):
            for ca in _candidates(facts, by_ski, by_subject, by_name=by_name):
                if ca.fingerprint in tried:
                    continue
                tried[ca.fingerprint] = None
                if _signed_by(facts, ca, keys):
                    verified = (ca.fingerprint,)
                    break
            if verified or facts.aki is None:
                break
        verdicts.append((tuple(tried), verified))
    return verdicts


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


def _first_signer(facts: CertFacts, candidates: list[CertFacts], keys: dict[int, object]) -> int:
    """The index of the first candidate whose key verifies the signature, or -1."""
    return next((i for i, ca in enumerate(candidates) if _signed_by(facts, ca, keys)), -1)


def _signed_by(facts: CertFacts, issuer: CertFacts, keys: dict[int, object]) -> bool:
    checked = facts.signed
    if isinstance(checked, SignatureChecked) and issuer.fingerprint in checked.tried:
        return issuer.fingerprint in checked.verified
    signed = checked if isinstance(checked, tuple) else None
    key = keys.get(id(issuer), _NOT_LOADED)
    if key is _NOT_LOADED:
        try:
            key = keys[id(issuer)] = issuer.certificate.public_key()
        except (ValueError, TypeError, UnsupportedAlgorithm):  # as signed_by: cannot verify
            key = keys[id(issuer)] = None
    if key is None:
        return False
    kind = key_kind(key)
    how = SIGNATURE_HASHES.get(signed[0]) if signed is not None else None
    if signed is not None and how is not None and how[0] == kind:
        # the usual RSA and ECDSA signatures, checked on the digest of the DER's own TBS bytes
        # the scan made: what signed_by does, without loading either certificate
        _, signature, digest = signed
        prehashed = Prehashed(_HASHES[how[1]]())
        try:
            if kind == "RSA":
                key.verify(signature, digest, padding.PKCS1v15(), prehashed)  # type: ignore[attr-defined]
            else:
                key.verify(signature, digest, ec.ECDSA(prehashed))  # type: ignore[attr-defined]
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
            return False
        return True
    try:
        return signed_by(facts.certificate, issuer.certificate, key)
    except UnsupportedAlgorithm:  # a signature algorithm cryptography cannot check
        return False
    except ValueError:  # the file of a certificate whose DER was let go has changed since
        return False


_NOT_LOADED = object()

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


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


def _file_of_same_name(
    issuer: CertFacts,
    by_subject: dict[bytes, list[CertFacts]],
    holders: dict[int, list[ReviewedFile]],
) -> ReviewedFile | None:
    """When `issuer` is only a copy inside kubeconfigs and a CA *file* has its name with another
    key: that file (the CA was regenerated; the copies are what is left of the old one)."""
    if any(not _is_copy(r) for r in holders[id(issuer)]):
        return None
    for other in by_subject.get(issuer.subject_der, ()):
        if other is issuer or other.spki == issuer.spki:
            continue
        files = [r for r in holders[id(other)] if not _is_copy(r)]
        if files:
            return files[0]
    return None


def _is_copy(record: ReviewedFile) -> bool:
    """A CA certificate inside a kubeconfig, or appended after a leaf (k3s's chains)."""
    return record.embedded or (record.part.startswith("#") and record.part != "#1")


def _refs(records: list[ReviewedFile]) -> str:
    shown = list(dict.fromkeys(r.ref for r in records))
    more = f" and {len(shown) - 4} more" if len(shown) > 4 else ""
    return ", ".join(shown[:4]) + more


def _signed_by_a_replaced_ca(
    facts: CertFacts,
    these: list[ReviewedFile],
    issuer: CertFacts,
    ca_file: ReviewedFile,
    holders: dict[int, list[ReviewedFile]],
) -> list[Finding]:
    """A certificate signed by the old CA of a regenerated pair: an error, as when the copies
    were not there (reviewing the CA's folder alone says `bad-signature` too)."""
    copies = _refs(holders[id(issuer)])
    return report(
        these,
        "error",
        "bad-signature",
        f"{{ref}} was signed by the old {facts.issuer_text} CA, not by the CA file "
        f"{ca_file.ref} (same name, another key: the CA was regenerated); only the copies in "
        f"{copies} still trust the old one. Everything that trusts "
        f"{ca_file.ref} rejects {{ref}} with 'x509: certificate signed by unknown authority' "
        f"— re-issue it with {ca_file.ref}, or put the old CA's certificate and key back into "
        f"{ca_file.ref} if you still have them (a backup-<time>/ folder)",
    )


def _bundled_together(cas: list[CertFacts], holders: dict[int, list[ReviewedFile]]) -> str:
    """A file outside the backups holding every one of these CAs (a rotation's bundle of old
    and new, or a kubeconfig embedding it), or ""."""
    paths = [{r.path for r in holders[id(ca)] if not in_backup_folder(r.path)} for ca in cas]
    shared = set.intersection(*paths) if paths else set()
    return min(shared, key=lambda p: (p.count("/"), p)) if shared else ""


def _rotation_under_way(
    cas: list[CertFacts],
    holders: dict[int, list[ReviewedFile]],
    signed: dict[int, list[CertFacts]],
    bundle: str,
) -> list[Finding]:
    """CAs of one name trusted together: a CA rotation between its phases, not a split."""
    counts = ", ".join(
        f"key {key_id_text(ca.ski) or 'without id'} signed {len(signed.get(id(ca), ()))}"
        for ca in cas
    )
    message = (
        f"{len(cas)} CAs are named {cas[0].subject_text} and {bundle} trusts them together "
        f"({counts}): a CA rotation between its phases — `rotate-ca` goes on from here, and "
        "finalize leaves one"
    )
    findings: list[Finding] = []
    for ca in cas:
        findings += report(holders[id(ca)], "info", "rotation-under-way", message)
    return findings


def _duplicate_ca_subjects(
    by_subject: dict[bytes, list[CertFacts]],
    holders: dict[int, list[ReviewedFile]],
    signed: dict[int, list[CertFacts]],
) -> list[Finding]:
    """CAs sharing one name with different keys: which signed what, which files trust which.

    An error when certificates signed by one are checked against another (a kubeconfig trusting
    one while the other signed what it connects to); the CA to keep is the one that signed the
    most, so the advice never moves away the CA that signed everything."""
    findings = []
    for named in by_subject.values():
        # a CA only a backup-<time>/ folder still holds (a rotated-out one) splits nothing
        cas = [ca for ca in named if not all(in_backup_folder(r.path) for r in holders[id(ca)])]
        if len({ca.spki for ca in cas}) < 2:
            continue
        together = _bundled_together(cas, holders)
        if together:
            findings += _rotation_under_way(cas, holders, signed, together)
            continue
        ranked = sorted(
            cas,
            key=lambda ca: (
                -len(signed.get(id(ca), ())),
                all(_is_copy(r) for r in holders[id(ca)]),
            ),
        )
        keeper = ranked[0]
        parts = []
        for ca in ranked:
            files = [r for r in holders[id(ca)] if not _is_copy(r)]
            copies = [r for r in holders[id(ca)] if _is_copy(r)]
            leaves = signed.get(id(ca), [])
            words = [f"key {key_id_text(ca.ski) or 'without id'}"]
            words.append(f"file {_refs(files)}" if files else "no CA file")
            if copies:
                words.append(f"trusted by {_refs(copies)}")
            words.append(
                f"signed {len(leaves)} certificate{'s' if len(leaves) != 1 else ''} here"
                + (f" ({_refs([primary(holders[id(leaf)]) for leaf in leaves])})" if leaves else "")
            )
            parts.append("; ".join(words))
        split = any(signed.get(id(ca)) for ca in cas if ca is not keeper) or any(
            _is_copy(r) for ca in cas if ca is not keeper for r in holders[id(ca)]
        )
        severity: Severity = "error" if split and signed.get(id(keeper)) else "warning"
        keeper_ref = primary(holders[id(keeper)]).ref
        others = [r for ca in ranked[1:] for r in holders[id(ca)]]
        message = (
            f"{len(cas)} different CAs are named {keeper.subject_text} — "
            + " | ".join(parts)
            + ". Clients given one reject what the other signed ('x509: certificate signed "
            f"by unknown authority'). Keep {keeper_ref}, the CA that signed the most: re-issue "
            "what the others signed with it and put it into "
            f"{_refs(others)} in place of the other CA"
        )
        for ca in cas:
            findings += report(holders[id(ca)], severity, "duplicate-ca", message)
    return findings
