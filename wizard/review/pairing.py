"""Which private key belongs to which certificate: by public key, never by file name alone.

Names only raise the stakes: when `X-key.pem` sits beside `X.pem` (or `X.key` beside `X.crt`,
or a kubeconfig names a client certificate and key together) and their public keys differ, the
component that loads them fails with `tls: private key does not match public key`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Generic, TypeVar

from wizard.catalog import SERVICE_ACCOUNT_KEY
from wizard.catalog.naming import (  # re-exported for the review screen
    certificate_names_for_key,
)
from wizard.catalog.naming import (
    key_names_for_certificate as key_names_for_certificate,
)
from wizard.review.model import CertFacts, Finding, ReviewedFile, primary

Key = TypeVar("Key")


class _Grouped(Generic[Key]):
    """Records by a key, in order, without a list for each key of one record (with 100,000
    certificates, those lists would stay behind as megabytes of freed, scattered memory)."""

    def __init__(self) -> None:
        self._first: dict[Key, ReviewedFile] = {}
        self._more: dict[Key, list[ReviewedFile]] = {}

    def add(self, key: Key, record: ReviewedFile) -> None:
        if self._first.setdefault(key, record) is not record:
            self._more.setdefault(key, []).append(record)

    def get(self, key: Key) -> list[ReviewedFile]:
        """The records of `key` (a new list; empty when there are none)."""
        first = self._first.get(key)
        return [] if first is None else [first, *self._more.get(key, ())]

    def items(self) -> Iterator[tuple[Key, list[ReviewedFile]]]:
        for key, first in self._first.items():
            yield key, [first, *self._more.get(key, ())]


def pair_keys(records: list[ReviewedFile]) -> list[Finding]:
    """Link keys and certificates (`ReviewedFile.paired`) and report what does not pair up."""
    findings: list[Finding] = []
    certs_by_spki: _Grouped[bytes] = _Grouped()
    public_by_spki: dict[bytes, list[ReviewedFile]] = defaultdict(list)
    csrs_by_spki: dict[bytes, list[ReviewedFile]] = defaultdict(list)
    keys: list[ReviewedFile] = []
    cert_files: _Grouped[str] = _Grouped()  # certificates by file
    bundles: dict[str, list[ReviewedFile]] = defaultdict(list)  # files of several objects
    for record in records:
        if not record.embedded:
            if record.part:
                bundles[record.path].append(record)
            if record.cert is not None:
                cert_files.add(record.path, record)
        if record.cert is not None:
            certs_by_spki.add(record.cert.spki, record)
        elif record.key is not None:
            if record.key.private:
                keys.append(record)
            elif record.key.spki is not None:
                public_by_spki[record.key.spki].append(record)
        elif record.csr is not None:
            csrs_by_spki[record.csr.spki].append(record)

    keyed_spkis: set[bytes] = set()
    locked_names: set[str] = set()  # certificates whose key is here, but encrypted
    for key in keys:
        spki = key.key.spki  # type: ignore[union-attr]
        if spki is None:  # encrypted: reported by the scan; its certificate is not keyless
            locked_names.update(certificate_names_for_key(key.path))
            continue
        keyed_spkis.add(spki)
        certs = certs_by_spki.get(spki)
        for cert in certs:
            # a list exactly as long (append leaves room for three more): 100,000 of them
            cert.paired = [*cert.paired, key.ref] if cert.paired else [key.ref]
        key.paired = _unique_refs(certs) or _unique_refs(public_by_spki.get(spki, []))
        if key.embedded:
            continue
        mismatch = _named_mismatch(key, cert_files, certs)
        findings += mismatch
        if not key.paired and not mismatch:
            findings.append(_orphan(key, csrs_by_spki.get(spki, [])))
    for path, in_file in bundles.items():
        findings += _same_file_mismatch(path, in_file)
    for record in records:
        if record.kubeconfig is not None:
            findings += _kubeconfig_mismatch(record)
    findings += _shared_keys(certs_by_spki)
    findings += _certificates_without_keys(certs_by_spki, keyed_spkis, locked_names)
    return findings


def _unique_refs(records: list[ReviewedFile]) -> list[str]:
    return list(dict.fromkeys(r.ref for r in records))


def _orphan(key: ReviewedFile, csrs: list[ReviewedFile]) -> Finding:
    if key.role == SERVICE_ACCOUNT_KEY.name:  # a plain key pair: no certificate to find
        return Finding(
            key.path,
            "info",
            "orphan-key",
            f"{key.ref} is the service-account signing key; its public half is not here — "
            "kube-apiserver's --service-account-key-file needs it (or this key file itself)",
        )
    hint = f"; only its CSR {csrs[0].ref} is here" if csrs else ""
    return Finding(
        key.path,
        "warning",
        "orphan-key",
        f"{key.ref} is a private key that matches no certificate here{hint} — if its "
        "certificate lives elsewhere this is fine; otherwise it is a stray secret: move it "
        "out of the directory",
    )


def _named_mismatch(
    key: ReviewedFile, cert_files: _Grouped[str], matches: list[ReviewedFile]
) -> list[Finding]:
    for candidate in certificate_names_for_key(key.path):
        certs = cert_files.get(candidate)
        if not certs:
            continue
        if any(c.cert.spki == key.key.spki for c in certs):  # type: ignore[union-attr]
            return []
        return [_mismatch(key.path, key.ref, certs[0].ref, matches)]
    return []


def _mismatch(path: str, key_ref: str, cert_ref: str, matches: list[ReviewedFile]) -> Finding:
    belongs = f" (it belongs to {matches[0].ref})" if matches else ""
    return Finding(
        path,
        "error",
        "key-mismatch",
        f"{key_ref} does not belong to {cert_ref}: their public keys differ{belongs} — the "
        "component loading them fails with 'tls: private key does not match public key'; put "
        "back the key made with the certificate, or re-issue both together",
    )


def _same_file_mismatch(path: str, in_file: list[ReviewedFile]) -> list[Finding]:
    """A file holding a certificate and a key (kubelet-client-current.pem) must hold a pair."""
    certs = [r for r in in_file if r.cert is not None]
    keys = [r for r in in_file if r.key is not None and r.key.private and r.key.spki]
    if not certs or not keys:
        return []
    leaf = certs[0]
    if any(k.key.spki == leaf.cert.spki for k in keys):  # type: ignore[union-attr]
        return []
    return [_mismatch(path, keys[0].ref, leaf.ref, [])]


def _kubeconfig_mismatch(record: ReviewedFile) -> list[Finding]:
    findings = []
    for user in record.kubeconfig.users:  # type: ignore[union-attr]
        keys = [k for k in user.keys if k.key is not None and k.key.spki]
        if not user.certificates or not keys:
            continue
        cert = user.certificates[0]
        if any(k.key.spki == cert.cert.spki for k in keys):  # type: ignore[union-attr]
            continue
        findings.append(
            Finding(
                record.path,
                "error",
                "key-mismatch",
                f"{record.path}: user {user.name}'s client key ({keys[0].ref}) does not belong "
                f"to its client certificate ({cert.ref}) — kubectl and the components fail "
                "with 'tls: private key does not match public key'; put the matching pair in",
            )
        )
    return findings


def _distinct(records: list[ReviewedFile]) -> dict[int, tuple[CertFacts, list[ReviewedFile]]]:
    """The certificates among records, each once (one certificate may sit in many files)."""
    result: dict[int, tuple[CertFacts, list[ReviewedFile]]] = {}
    for record in records:
        facts = record.cert
        assert facts is not None
        result.setdefault(id(facts), (facts, []))[1].append(record)
    return result


def _shared_keys(certs_by_spki: _Grouped[bytes]) -> list[Finding]:
    findings = []
    for _, records in certs_by_spki.items():
        if len(records) < 2:
            continue
        distinct = _distinct(records)
        if len(distinct) < 2:
            continue
        holders = [primary(rs) for _, rs in distinct.values()]
        names = ", ".join(h.ref for h in holders)
        subjects = {facts.subject_der for facts, _ in distinct.values()}
        if len(subjects) == 1:
            findings.append(
                Finding(
                    holders[0].path,
                    "info",
                    "shared-key",
                    f"{names} are issues of the same certificate with one key (a renewal that "
                    "kept the key) — remove the old one when nothing uses it",
                )
            )
            continue
        findings.append(
            Finding(
                holders[0].path,
                "warning",
                "shared-key",
                f"{names} share one key pair — whoever holds that key can act as each of "
                "them; give every certificate its own key",
            )
        )
    return findings


def _certificates_without_keys(
    certs_by_spki: _Grouped[bytes], keyed: set[bytes], locked: set[str]
) -> list[Finding]:
    findings = []
    for spki, records in certs_by_spki.items():
        if spki in keyed:
            continue
        for facts, holders in _distinct(records).values():
            files = [r for r in holders if not r.embedded and r.path not in locked]
            if not files:  # a CA copied into a kubeconfig never comes with its key
                continue
            ref = files[0].ref
            if facts.is_ca:
                message = (
                    f"the private key of the CA {ref} is not here — normal on a node; keep it "
                    "on one master (or offline) to issue certificates"
                )
                findings.append(Finding(files[0].path, "info", "ca-without-key", message))
            else:
                message = (
                    f"no private key for {ref} here — fine when this is a copy for checking; "
                    "the component that presents it needs its key beside it"
                )
                findings.append(Finding(files[0].path, "info", "no-key", message))
    return findings
