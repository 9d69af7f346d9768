"""Find and classify every file under a directory: certificates, keys, CSRs, kubeconfigs, cfssl
JSON, token files — and everything else, listed as not a certificate file.

Nothing a user's directory holds makes the scan fail: unreadable, empty, huge, binary, truncated
or looping files each become a record with a note (and a finding where the user should act).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import csv
import errno
import hashlib
import json
import os
import shlex
import stat
import warnings
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtensionOID, NameOID

from wizard import certdetails
from wizard.bounds import (
    MAX_FILE_BYTES,
    YAMLRefused,
    bare,
    file_type_words,
    load_yaml,
    quote,
    read_regular,
    size_words,
)
from wizard.pki import parse_private_key, public_key_bytes
from wizard.pki.usages import eku_word, key_usage_words
from wizard.review.certder import (
    DerFacts,
    ec_private_key_spki,
    read_certificate,
    serial_text,
    signature_inputs,
)
from wizard.review.chains import Verdict, check_signatures, needs_checking
from wizard.review.model import (
    KIND_BROKEN_SYMLINK,
    KIND_CA_CONFIG,
    KIND_CERTIFICATE,
    KIND_CSR,
    KIND_CSR_JSON,
    KIND_DAMAGED,
    KIND_EMPTY,
    KIND_KUBECONFIG,
    KIND_OTHER,
    KIND_PRIVATE_KEY,
    KIND_PUBLIC_KEY,
    KIND_SPECIAL,
    KIND_SYMLINK,
    KIND_TOKEN_FILE,
    KIND_TOO_LARGE,
    KIND_UNREADABLE,
    CertFacts,
    CsrFacts,
    Finding,
    KeyFacts,
    KubeconfigFacts,
    KubeUser,
    ReviewedFile,
    Severity,
    SignatureChecked,
    SignatureHeld,
    one_number,
    subject_der_of,
)
from wizard.review.parallel import split_work
from wizard.review.tls_secret import tls_secret_pem

MAX_BYTES = MAX_FILE_BYTES  # no certificate, key or kubeconfig comes near a mebibyte

CERT_LABELS = frozenset({b"CERTIFICATE", b"X509 CERTIFICATE"})
KEY_LABELS = frozenset(
    {
        b"PRIVATE KEY",
        b"RSA PRIVATE KEY",
        b"EC PRIVATE KEY",
        b"DSA PRIVATE KEY",
        b"ENCRYPTED PRIVATE KEY",
    }
)
PUBLIC_KEY_LABELS = frozenset({b"PUBLIC KEY", b"RSA PUBLIC KEY"})
CSR_LABELS = frozenset({b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"})
# File name endings that promise a certificate or key: such a file holding neither is a finding.
CERT_LIKE_SUFFIXES = (".pem", ".crt", ".cer", ".cert", ".der", ".key", ".pub", ".csr")
KUBECONFIG_SUFFIXES = (".conf", ".kubeconfig", ".yaml", ".yml")


@dataclass
class ScanResult:
    """Every record found under the root, and the findings of reading them."""

    root: str
    records: list[ReviewedFile]
    findings: list[Finding]


@dataclass
class _Item:
    """One object parsed out of some bytes, before it becomes a record."""

    kind: str
    note: str = ""
    cert: CertFacts | None = None
    key: KeyFacts | None = None
    csr: CsrFacts | None = None


@dataclass
class _Reference:
    """A file a kubeconfig names by path, resolved once the whole tree has been scanned."""

    kubeconfig: ReviewedFile
    user: KubeUser | None
    field_name: str
    path: str  # as written in the kubeconfig
    os_path: str  # resolved against the kubeconfig's directory


@dataclass
class _Scan:
    root: str
    records: list[ReviewedFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    certs: dict[bytes, CertFacts] = field(default_factory=dict)  # by SHA-256: each cert once
    references: list[_Reference] = field(default_factory=list)
    # The records of each file read, by its (device, inode): (device, inode, index in
    # `records`) for each, flat — a dict of a list per file would weigh 50 MB with 200,000
    # files, and only symlinks and kubeconfigs naming files ever look one up (`known`).
    inodes: array[int] = field(default_factory=lambda: array("Q"))
    # the parts taken over, as (where their records start in `records`, their `inodes`)
    _absorbed_inodes: list[tuple[int, array[int]]] = field(default_factory=list)
    _by_inode: dict[tuple[int, int], list[ReviewedFile]] = field(default_factory=dict)
    _inodes_read: int = 0  # how much of `inodes` is in _by_inode already

    def absorb(self, part: _Scan) -> None:
        """Take over the records of a part of the tree (scanned here or in a child process),
        keeping one CertFacts per certificate."""
        for record in part.records:
            if record.cert is not None:
                record.cert = self.certs.setdefault(record.cert.fingerprint, record.cert)
        self._absorbed_inodes.append((len(self.records), part.inodes))
        self.records += part.records
        self.findings += part.findings
        self.references += part.references

    def add(self, record: ReviewedFile) -> ReviewedFile:
        self.records.append(record)
        return record

    def note_file(self, inode: tuple[int, int], records: list[ReviewedFile], since: int) -> None:
        """Note `records`, added to `records` from index `since` on, as those of a file."""
        if (
            len(records) == 1
            and len(self.records) == since + 1
            and records[0] is self.records[since]
        ):
            self.inodes.extend((inode[0], inode[1], since))  # a file of one object (most)
            return
        tail = self.records[since:]
        for record in records:
            index = next((i for i, added in enumerate(tail) if added is record), None)
            if index is not None:  # (always: each of `records` was added since)
                self.inodes.extend((inode[0], inode[1], since + index))

    def known(self, inode: tuple[int, int]) -> list[ReviewedFile] | None:
        """The records of the file with this (device, inode) read so far, or None."""
        by_inode = self._by_inode
        records = self.records
        pending = [*self._absorbed_inodes, (0, self.inodes[self._inodes_read :])]
        self._absorbed_inodes = []
        self._inodes_read = len(self.inodes)
        for offset, inodes in pending:
            for at in range(0, len(inodes), 3):
                key = (inodes[at], inodes[at + 1])
                by_inode.setdefault(key, []).append(records[offset + inodes[at + 2]])
        return by_inode.get(inode)

    def flag(self, path: str, severity: Severity, check: str, message: str) -> None:
        self.findings.append(Finding(path, severity, check, message))


def read_file(path: str, limit: int = MAX_BYTES) -> tuple[bytes | None, os.stat_result]:
    """The bytes of a regular file (None when it is larger than `limit`, or not a regular file)
    and its status, not following a symlink. Raises OSError when it cannot be opened or read."""
    return read_regular(path, limit)


def printable(name: str) -> str:
    """A file name safe to print and to put in JSON: undecodable bytes become `\\xNN`."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def scan_directory(root: str) -> ScanResult:
    """Walk `root` (never following a symlink into a loop) and classify every file; check the
    signature of every certificate but the CAs and self-issued ones (chains.check_signatures)."""
    root = os.path.abspath(root)
    scan = _Scan(root)
    files, links = _walk(scan)
    # this process also unpickles what the children send: it takes a little less
    with split_work(
        partial(_scan_files, root), files, keep=_hold_signatures, chunk=_CHUNK, here=0.85
    ) as work:
        del files
        parts = work.results
        parts.reverse()
        while parts:  # in order, each part's own tables freed once taken over
            scan.absorb(parts.pop())
        for os_path, rel in links:
            _scan_file_link(scan, os_path, rel)
        _resolve_references(scan)
        # Every CA is known now: each child checks the signatures it kept (they never
        # travel here), this process those of the certificates it read itself.
        cas = [facts for facts in scan.certs.values() if facts.is_ca]
        work.ask(_check_held_signatures, cas)
        verdicts: dict[Verdict, SignatureChecked] = {}
        _check_here(scan, cas, verdicts, lambda facts: facts.signed is not SignatureHeld.HELD)
        answers: list[dict[Verdict, list[bytes]]] = work.answers()
        for answer in answers:
            for verdict, fingerprints in answer.items():
                checked = _checked(verdicts, verdict)
                for fingerprint in fingerprints:
                    facts = scan.certs.get(fingerprint)
                    if facts is not None and facts.signed is SignatureHeld.HELD:
                        facts.signed = checked
    # a child that died took its signatures with it: read them again from the files
    _check_here(scan, cas, verdicts, lambda facts: facts.signed is SignatureHeld.HELD)
    scan.records.sort(key=lambda r: r.path)  # stable: the parts of a file keep their order
    return ScanResult(root, scan.records, scan.findings)


def _hold_signatures(part: _Scan) -> list[tuple[CertFacts, tuple[bytes, bytes, bytes] | None]]:
    """In a child of the scan: take the signatures to check out of `part` before it is sent
    (a review of a hundred thousand certificates would hold them all there), keeping them
    here with their certificates for _check_held_signatures."""
    held = []
    for facts in part.certs.values():
        signed = facts.signed
        if needs_checking(facts) and (signed is None or isinstance(signed, tuple)):
            held.append((facts, signed))
            facts.signed = SignatureHeld.HELD
    return held


def _check_held_signatures(
    kept: list[list[tuple[CertFacts, tuple[bytes, bytes, bytes] | None]]],
    cas: list[CertFacts],
) -> dict[Verdict, list[bytes]]:
    """In a child of the scan: check the signatures it kept against `cas`, every CA found;
    the fingerprints of the certificates by verdict."""
    leaves = []
    for held in kept:
        for facts, signed in held:
            facts.signed = signed
            leaves.append(facts)
    answer: dict[Verdict, list[bytes]] = {}
    for facts, verdict in zip(leaves, check_signatures(leaves, cas), strict=True):
        answer.setdefault(verdict, []).append(facts.fingerprint)
    return answer


def _check_here(
    scan: _Scan,
    cas: list[CertFacts],
    verdicts: dict[Verdict, SignatureChecked],
    which: Callable[[CertFacts], bool],
) -> None:
    """Check here the signatures of the certificates `which` picks among those to check
    (read again from the file when a child held it)."""
    leaves = [facts for facts in scan.certs.values() if needs_checking(facts) and which(facts)]
    for facts in leaves:
        if facts.signed is SignatureHeld.HELD:
            try:
                facts.signed = signature_inputs(facts.der_bytes())
            except ValueError:  # changed since: checked (and failed) on the certificate itself
                facts.signed = None
    for facts, verdict in zip(leaves, check_signatures(leaves, cas), strict=True):
        facts.signed = _checked(verdicts, verdict)


def _checked(verdicts: dict[Verdict, SignatureChecked], verdict: Verdict) -> SignatureChecked:
    """One SignatureChecked for every certificate of the same verdict."""
    checked = verdicts.get(verdict)
    if checked is None:
        checked = verdicts[verdict] = SignatureChecked(frozenset(verdict[0]), frozenset(verdict[1]))
    return checked


_CHUNK = 2000  # files a child scans before it sends their records back


def _scan_files(root: str, files: Sequence[str]) -> _Scan:
    """Read and classify some of the regular files (paths under `root`): one share of the
    work."""
    part = _Scan(root)
    prefix = root if root.endswith("/") else f"{root}/"  # as os.scandir joins them
    for rel in files:
        _scan_path(part, prefix + rel, rel)
    return part


def _walk(scan: _Scan) -> tuple[list[str], list[tuple[str, str]]]:
    """Regular files under the root, as their paths under it (the root joined with one is its
    os path: a list of only those is lighter, with 100,000 files), and symlinks-to-files, as
    (os path, relative path)."""
    files: list[str] = []
    links: list[tuple[str, str]] = []
    root_status = os.stat(scan.root)
    visited = {(root_status.st_dev, root_status.st_ino)}
    stack = [(scan.root, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError as error:
            rel = printable(prefix.rstrip("/")) or "."
            scan.add(ReviewedFile(rel, KIND_UNREADABLE, note=_os_reason(error)))
            scan.flag(
                rel,
                "warning",
                "unreadable",
                f"cannot list the directory {rel}: {_os_reason(error)} — run the review as a "
                "user who may read it (root), or fix its permissions",
            )
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            rel = prefix + entry.name
            try:
                if entry.is_symlink():
                    _walk_link(scan, entry.path, rel, visited, subdirs, links)
                elif entry.is_dir(follow_symlinks=False):
                    status = entry.stat(follow_symlinks=False)
                    visited.add((status.st_dev, status.st_ino))
                    subdirs.append((entry.path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    files.append(rel)
                else:
                    scan.add(
                        ReviewedFile(
                            printable(rel),
                            KIND_SPECIAL,
                            note="a device, FIFO or socket — not read",
                        )
                    )
            except OSError as error:  # vanished or unreadable between listing and looking
                _unreadable(scan, printable(rel), error)
        stack.extend(reversed(subdirs))
    return files, links


def _walk_link(
    scan: _Scan,
    os_path: str,
    rel: str,
    visited: set[tuple[int, int]],
    subdirs: list[tuple[str, str]],
    links: list[tuple[str, str]],
) -> None:
    shown = printable(rel)
    target = printable(_readlink(os_path))
    try:
        status = os.stat(os_path)
    except OSError as error:
        why = (
            "a symlink loop"
            if error.errno == errno.ELOOP
            else f"it points to {target}, which does not exist"
        )
        scan.add(ReviewedFile(shown, KIND_BROKEN_SYMLINK, note=why))
        scan.flag(
            shown,
            "warning",
            "broken-symlink",
            f"{shown} is a broken symlink ({why}) — point it at the right file or remove it",
        )
        return
    if stat.S_ISDIR(status.st_mode):
        if (status.st_dev, status.st_ino) in visited:
            scan.add(
                ReviewedFile(
                    shown,
                    KIND_SYMLINK,
                    note=f"→ {target}: a directory already reviewed (a loop) — not followed",
                )
            )
            return
        visited.add((status.st_dev, status.st_ino))
        subdirs.append((os_path, rel + "/"))
    else:
        links.append((os_path, rel))


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error)


def _unreadable(scan: _Scan, rel: str, error: OSError) -> None:
    reason = _os_reason(error)
    scan.add(ReviewedFile(rel, KIND_UNREADABLE, note=reason))
    scan.flag(
        rel,
        "warning",
        "unreadable",
        f"cannot read {rel}: {reason} — run the review as a user who may read it (root), "
        "or fix its permissions",
    )


def _scan_path(scan: _Scan, os_path: str, rel: str, *, note: str = "") -> None:
    """Read one regular file and add its records."""
    shown = printable(rel)
    try:
        data, status = read_file(os_path)
    except OSError as error:
        _unreadable(scan, shown, error)
        return
    mode = one_number(stat.S_IMODE(status.st_mode))
    if not stat.S_ISREG(status.st_mode):
        scan.add(ReviewedFile(shown, KIND_SPECIAL, note="not a regular file — not read"))
        return
    if data is None:
        size_mb = status.st_size / (1 << 20)
        scan.add(
            ReviewedFile(
                shown,
                KIND_TOO_LARGE,
                size=status.st_size,
                mode=mode,
                note=f"{size_mb:.1f} MiB — not read (certificate files are a few KiB)",
            )
        )
        return
    name = os.path.basename(os_path)
    if shown != rel:
        note = _join(note, "the file name is not valid UTF-8")
    since = len(scan.records)
    try:
        records = _classify(scan, shown, name, data, os_path)
    # A bug must cost one file, not the whole review; tests assert this never fires.
    except Exception as error:  # noqa: BLE001
        records = [scan.add(ReviewedFile(shown, KIND_DAMAGED, note="internal error"))]
        scan.flag(
            shown,
            "error",
            "internal-error",
            f"reviewing {shown} failed ({type(error).__name__}: {_short(error)}) — this is a "
            "bug in k8s-cert-wizard; please report it with the file if you can share it",
        )
    size = one_number(len(data))
    owner = _OWNERS.setdefault((status.st_uid, status.st_gid), (status.st_uid, status.st_gid))
    for record in records:
        record.size, record.mode, record.owner = size, mode, owner
        record.under(scan.root, os_path)
        if note:
            record.note = _join(note, record.note)
    scan.note_file((status.st_dev, status.st_ino), records, since)


_OWNERS: dict[tuple[int, int], tuple[int, int]] = {}  # one (uid, gid) tuple for every file


def _scan_file_link(scan: _Scan, os_path: str, rel: str) -> None:
    """A symlink to a file: point at the file when it was reviewed already, else read it."""
    shown = printable(rel)
    target = printable(_readlink(os_path))
    try:
        status = os.stat(os_path)
    except OSError as error:
        _unreadable(scan, shown, error)
        return
    known = scan.known((status.st_dev, status.st_ino))
    if known:
        scan.add(
            ReviewedFile(shown, KIND_SYMLINK, note=f"→ {target} (reviewed as {known[0].path})")
        )
        return
    _scan_path(scan, os.path.realpath(os_path), rel, note=f"symlink to {target}")


def _join(first: str, second: str) -> str:
    return "; ".join(part for part in (first, second) if part)


def _classify(scan: _Scan, shown: str, name: str, data: bytes, os_path: str) -> list[ReviewedFile]:
    """The records of one file's content."""
    if not data or data.isspace():
        looks_like = name.lower().endswith(CERT_LIKE_SUFFIXES + KUBECONFIG_SUFFIXES)
        scan.flag(
            shown,
            "warning" if looks_like else "info",
            "empty-file",
            f"{shown} is empty"
            + (" — restore it from a backup or re-issue it" if looks_like else ""),
        )
        return [scan.add(ReviewedFile(shown, KIND_EMPTY, note="empty"))]
    lower = name.lower()
    # JSON first: cfssl-certinfo output holds a PEM certificate inside a JSON string
    if data[:1] == b"{" or (data[:1].isspace() and data.lstrip()[:1] == b"{"):
        secret = tls_secret_pem(data)  # k3s's dynamic-cert.json: the PEM inside a Secret
        if secret is not None and (inside := parse_objects(secret, scan.certs)):
            return _add_items(scan, shown, inside)
        record = _json_file(scan, shown, data)
        if record is not None:
            return [record]
    items = parse_objects(data, scan.certs)
    if items:
        _let_go_of_der(scan.root, shown, os_path, items)
        return _add_items(scan, shown, items)
    if lower.endswith(".csv") and "token" in lower:
        return [_token_file(scan, shown, data)]
    if _may_be_kubeconfig(lower, data):
        record = _kubeconfig(scan, shown, data, os_path)
        if record is not None:
            return [record]
    binary = b"\0" in data[:4096] or not _is_text(data[:4096])
    record = scan.add(
        ReviewedFile(shown, KIND_OTHER, note="binary data" if binary else "text, no certificate")
    )
    if lower.endswith(CERT_LIKE_SUFFIXES):
        scan.flag(
            shown,
            "warning",
            "unparsable",
            f"{shown} is named like a certificate or key but holds neither PEM nor DER "
            "certificate, key or CSR — restore it from a backup, or remove it",
        )
    return [record]


def _let_go_of_der(root: str, shown: str, os_path: str, items: list[_Item]) -> None:
    """Drop the DER of the plain certificates of a certificate file (a review may hold a
    hundred thousand): their signature is checked from `signed`, and the rare later uses
    read it again from the file. CAs and self-issued ones keep it (every chain needs them)."""
    source = (root, shown) if os_path == f"{root}/{shown}" else ("", os_path)
    for item in items:
        facts = item.cert
        if (
            facts is not None
            and facts.der is not None
            and facts.signed is not None
            and not facts.is_ca
            and not facts.self_issued
        ):
            facts.der, facts.source = None, source


def _is_text(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(sample) - 3  # a character cut at the sample's end
    return True


def _add_items(
    scan: _Scan,
    shown: str,
    items: list[_Item],
    *,
    part: str = "",
    embedded: bool = False,
    role_hint: str | None = None,
) -> list[ReviewedFile]:
    records = []
    for index, item in enumerate(items, 1):
        item_part = part
        if len(items) > 1:
            item_part = f"{part} #{index}" if part else f"#{index}"
        record = ReviewedFile(
            shown,
            item.kind,
            part=item_part,
            note=item.note,
            cert=item.cert,
            key=item.key,
            csr=item.csr,
            embedded=embedded,
            role_hint=role_hint if item.cert is not None else None,
        )
        records.append(scan.add(record))
        if item.kind == KIND_DAMAGED:
            scan.flag(
                shown,
                "warning",
                "unparsable",
                f"{record.ref} cannot be read: {item.note} — restore it from a backup or "
                "re-issue it",
            )
        elif item.key is not None and item.key.encrypted:
            target = shlex.quote(printable(os.path.join(scan.root, shown)))
            how = (
                f"openssl pkey -in {target} -out {target}.plain"
                if not embedded
                else "openssl pkey -in KEY -out KEY.plain"
            )
            scan.flag(
                shown,
                "warning",
                "encrypted-key",
                f"{record.ref} is an encrypted private key: Kubernetes components cannot read it "
                f"and it cannot be matched to its certificate — decrypt it ({how}) where a "
                "component needs it",
            )
    return records


# --- certificates, keys and CSRs out of bytes ----------------------------------------------


def parse_objects(data: bytes, cache: dict[bytes, CertFacts] | None = None) -> list[_Item]:
    """Every certificate, key, CSR or other PEM block in `data` (PEM or one DER object).

    An empty list means the bytes hold none of these. Never raises on malformed input: damaged
    blocks come back as items of kind `damaged`.
    """
    cache = {} if cache is None else cache
    if b"-----BEGIN " in data:
        return _parse_pem(data, cache)
    if _looks_like_der(data):
        item = _parse_der(data, cache)
        return [item] if item is not None else []
    return []


def _parse_pem(data: bytes, cache: dict[bytes, CertFacts]) -> list[_Item]:
    # A hand-written scanner rather than a regex: linear however malformed the file is.
    items: list[_Item] = []
    position = 0
    while True:
        start = data.find(b"-----BEGIN ", position)
        if start < 0:
            break
        label_end = data.find(b"-----", start + 11)
        end = data.find(b"-----END ", label_end + 5) if label_end >= 0 else -1
        end_label_end = data.find(b"-----", end + 9) if end >= 0 else -1
        if min(label_end, end, end_label_end) < 0:
            items.append(_Item(KIND_DAMAGED, note="a PEM block is cut short (BEGIN without END)"))
            break
        label = data[start + 11 : label_end]
        inner_begin = data.find(b"-----BEGIN ", label_end, end)
        if inner_begin >= 0:
            items.append(_Item(KIND_DAMAGED, note=f"the PEM block {_label(label)} is cut short"))
            position = inner_begin
            continue
        position = end_label_end + 5
        if data[end + 9 : end_label_end] != label:
            items.append(
                _Item(KIND_DAMAGED, note=f"the PEM block {_label(label)} ends with another label")
            )
            continue
        items.append(_pem_item(label, data[label_end + 5 : end], data[start:position], cache))
    return items


def _label(label: bytes) -> str:
    return label[:40].decode("ascii", "replace")


def _pem_item(label: bytes, body: bytes, block: bytes, cache: dict[bytes, CertFacts]) -> _Item:
    if label in CERT_LABELS:
        try:
            der = binascii.a2b_base64(body)
        except (binascii.Error, ValueError):
            return _Item(KIND_DAMAGED, note="the certificate's base64 is damaged")
        return _certificate_item(der, cache) or _Item(
            KIND_DAMAGED, note="the PEM certificate is not a valid certificate"
        )
    if label in KEY_LABELS:
        sec1 = None
        if label == b"EC PRIVATE KEY":
            with contextlib.suppress(binascii.Error, ValueError):  # cryptography says why
                sec1 = binascii.a2b_base64(body)
        return _private_key_item(block, pem=True, sec1=sec1) or _Item(
            KIND_DAMAGED, note="the PEM private key is damaged or of an unsupported type"
        )
    if label in PUBLIC_KEY_LABELS:
        return _public_key_item(block, pem=True) or _Item(
            KIND_DAMAGED, note="the PEM public key is damaged"
        )
    if label in CSR_LABELS:
        return _csr_item(block, pem=True) or _Item(KIND_DAMAGED, note="the PEM CSR is damaged")
    return _Item(KIND_OTHER, note=f"PEM block {_label(label)}")


def _looks_like_der(data: bytes) -> bool:
    """True when `data` is exactly one DER SEQUENCE (cheap: keeps junk away from the parsers)."""
    if len(data) < 2 or data[0] != 0x30:
        return False
    first = data[1]
    if first < 0x80:
        return 2 + first == len(data)
    width = first & 0x7F
    if not 0 < width <= 4 or len(data) < 2 + width:
        return False
    return 2 + width + int.from_bytes(data[2 : 2 + width], "big") == len(data)


def _parse_der(data: bytes, cache: dict[bytes, CertFacts]) -> _Item | None:
    return (
        _certificate_item(data, cache)
        or _private_key_item(data, pem=False)
        or _public_key_item(data, pem=False)
        or _csr_item(data, pem=False)
    )


def _certificate_item(der: bytes, cache: dict[bytes, CertFacts]) -> _Item | None:
    fingerprint = hashlib.sha256(der).digest()
    facts = cache.get(fingerprint)
    if facts is not None:
        return _Item(KIND_CERTIFICATE, cert=facts)
    try:
        certificate = x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion):  # InvalidVersion is not a ValueError
        return None
    try:
        fast = read_certificate(der)
        facts = cert_facts(certificate, der) if fast is None else _der_cert_facts(fast, der)
    # The parser is lazy: a damaged extension or key only shows when it is read, and then
    # cryptography raises whatever its decoder raised. Any of them means: a damaged certificate.
    except Exception as error:  # noqa: BLE001
        return _Item(KIND_DAMAGED, note=f"the certificate is damaged ({_short(error)})")
    cache[fingerprint] = facts
    return _Item(KIND_CERTIFICATE, cert=facts)


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]


def cert_facts(certificate: x509.Certificate, der: bytes) -> CertFacts:
    """Read what the checks and the reports need from a certificate (raises on a damaged one):
    one pass over its extensions and each name, every text made here once."""
    try:
        public_key = certificate.public_key()
    except (UnsupportedAlgorithm, ValueError):
        key_type, key_size, spki = "unsupported", 0, b"unsupported key:" + der
    else:
        key_type, key_size = certdetails.key_description(public_key)
        spki = _one_copy(public_key_bytes(public_key))
    values = {extension.oid: extension.value for extension in certificate.extensions}
    sans = values.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    subject = certificate.subject
    subject_attributes = tuple((a.oid.dotted_string, a.value) for a in subject)
    key_usage = values.get(ExtensionOID.KEY_USAGE)
    ext_key_usage = values.get(ExtensionOID.EXTENDED_KEY_USAGE)
    constraints = values.get(ExtensionOID.BASIC_CONSTRAINTS)
    ski = values.get(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    aki = values.get(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    signature_oid = certificate.signature_algorithm_oid
    subject_text = _name_text(subject)
    issuer_attributes, issuer_der, issuer_text = _known_issuer(_raw_issuer(der), certificate)
    # certdetails.subject_alternative_names also lists e-mail and URI names and round-trips
    # every IP through ipaddress; with ten thousand certificates that shows, so only DNS and IP.
    return CertFacts.of(
        der=der,
        fingerprint=hashlib.sha256(der).digest(),
        serial_number=_serial_number(der, certificate),
        signed=signature_inputs(der),
        spki=spki,
        cn=([str(v) for o, v in subject_attributes if o == _CN] or [""])[-1],
        organizations=tuple(str(v) for o, v in subject_attributes if o == _O),
        is_ca=constraints.ca if constraints is not None else False,
        ski=ski.digest if ski is not None else None,
        aki=aki.key_identifier if aki is not None else None,
        dns_sans=tuple(sans.get_values_for_type(x509.DNSName)) if sans is not None else (),
        ip_sans=tuple(str(ip) for ip in sans.get_values_for_type(x509.IPAddress))
        if sans is not None
        else (),
        has_san_extension=sans is not None,
        ext_key_usage=tuple(eku_word(oid) for oid in ext_key_usage) or None
        if ext_key_usage is not None
        else None,
        key_usage=tuple(key_usage_words(key_usage)) if key_usage is not None else (),
        key_type=key_type,
        key_size=key_size,
        signature_oid=signature_oid.dotted_string,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        sigalg=certdetails.SIGNATURE_NAMES.get(signature_oid, signature_oid.dotted_string),
        issuer_der=issuer_der,
        subject_text=subject_text,
        issuer_text=issuer_text,
        subject_attributes=subject_attributes,
        issuer_attributes=issuer_attributes,
        self_issued=subject_der_of(certificate, der) == issuer_der,
    )
    # The certificate object is not kept: with its decoded names and extensions it weighs
    # several kilobytes, and the few later uses reload it from `der` in microseconds.


def _serial_number(der: bytes, certificate: x509.Certificate | None = None) -> int:
    """The serial number, from the DER (or as cryptography reads it when not laid out so)."""
    text = serial_text(der)
    if text is not None:
        return int(text)
    with warnings.catch_warnings():  # a serial of 0 or below: the lints say so
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        if certificate is None:
            certificate = x509.load_der_x509_certificate(der)
        return certificate.serial_number


def _der_cert_facts(fast: DerFacts, der: bytes) -> CertFacts:
    """cert_facts from what certder read (the same facts, without cryptography's objects)."""
    subject_attributes = fast.subject_attributes
    issuer_attributes, issuer_der, issuer_text = _known_issuer(
        fast.raw_issuer, partial(x509.load_der_x509_certificate, der)
    )
    return CertFacts.of(
        der=der,
        fingerprint=hashlib.sha256(der).digest(),
        serial_number=_serial_number(der),
        signed=signature_inputs(der),
        spki=_one_copy(fast.spki),
        cn=([v for o, v in subject_attributes if o == _CN] or [""])[-1],
        organizations=_shared(tuple(v for o, v in subject_attributes if o == _O)),
        is_ca=fast.is_ca,
        ski=fast.ski,
        aki=fast.aki,
        dns_sans=fast.dns_sans,
        ip_sans=fast.ip_sans,
        has_san_extension=fast.has_san_extension,
        ext_key_usage=fast.ext_key_usage,
        key_usage=fast.key_usage,
        key_type=fast.key_type,
        key_size=fast.key_size,
        signature_oid=fast.signature_oid,
        not_before=fast.not_before,
        not_after=fast.not_after,
        sigalg=_SIGNATURE_NAMES.get(fast.signature_oid, fast.signature_oid),
        issuer_der=issuer_der,
        subject_text=fast.subject_text,
        issuer_text=issuer_text,
        subject_attributes=subject_attributes,
        issuer_attributes=issuer_attributes,
        self_issued=fast.raw_subject == issuer_der,
    )


_UNPAIRED: dict[bytes, bytes] = {}  # public keys seen once, waiting for their other half


def _one_copy(spki: bytes) -> bytes:
    """One bytes object for a public key that a certificate and its key both hold (the scan
    meets them one after the other): the first one's."""
    first = _UNPAIRED.pop(spki, None)
    if first is not None:
        return first
    if len(_UNPAIRED) >= 8192:
        _UNPAIRED.clear()
    _UNPAIRED[spki] = spki
    return spki


_SHARED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(organizations: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple for certificates of the same organizations (thousands share a few)."""
    if len(_SHARED) >= 4096:
        _SHARED.clear()
    return _SHARED.setdefault(organizations, organizations)


_SIGNATURE_NAMES = {oid.dotted_string: name for oid, name in certdetails.SIGNATURE_NAMES.items()}


def _known_issuer(
    raw_issuer: bytes | None, certificate: x509.Certificate | Callable[[], x509.Certificate]
) -> _IssuerFacts:
    """The issuer's facts: thousands of certificates share a handful of issuers, so each
    issuer's DER is decoded once (`certificate` may be a function loading it when needed)."""
    issuer_facts = _ISSUERS.get(raw_issuer) if raw_issuer is not None else None
    if issuer_facts is None:
        loaded = certificate if isinstance(certificate, x509.Certificate) else certificate()
        issuer_facts = _issuer_facts(loaded)
        if raw_issuer is not None:
            if len(_ISSUERS) >= 4096:
                _ISSUERS.clear()
            _ISSUERS[raw_issuer] = issuer_facts
    return issuer_facts


UNDECODABLE_NAME = "(an undecodable name)"

_IssuerFacts = tuple[tuple[tuple[str, str | bytes], ...] | None, bytes | None, str]
_ISSUERS: dict[bytes, _IssuerFacts] = {}  # by the issuer's DER as the certificate holds it


def _issuer_facts(certificate: x509.Certificate) -> _IssuerFacts:
    """The issuer's attributes, DER and text (None, None and words when it is undecodable)."""
    try:
        issuer = certificate.issuer
        attributes = tuple((a.oid.dotted_string, a.value) for a in issuer)
        der, text = _name_der_and_text(issuer)
    # cryptography raises TypeError for a name attribute of an odd string type (a BIT
    # STRING CN), ValueError for the rest
    except (ValueError, TypeError):
        return None, None, UNDECODABLE_NAME
    return attributes, der, text


def _raw_issuer(der: bytes) -> bytes | None:
    """The issuer Name's bytes inside a certificate's DER (tbsCertificate's fourth field, after
    the optional version, the serial and the signature algorithm); None when the DER is not
    laid out so (then the issuer is read the long way)."""
    try:
        _, position = _der_header(der, 0, 0x30)  # Certificate
        _, position = _der_header(der, position, 0x30)  # tbsCertificate
        if der[position] == 0xA0:  # [0] version
            position = _der_skip(der, position)
        for tag in (0x02, 0x30):  # serialNumber, signature
            if der[position] != tag:
                return None
            position = _der_skip(der, position)
        end, _ = _der_header(der, position, 0x30)
    except IndexError:
        return None
    return der[position:end] if end <= len(der) else None


def _der_header(der: bytes, position: int, tag: int) -> tuple[int, int]:
    """(end, content start) of the DER element at `position`; IndexError when it is not `tag`
    or its length is not DER's."""
    if der[position] != tag:
        raise IndexError(position)
    first = der[position + 1]
    if first < 0x80:
        return position + 2 + first, position + 2
    width = first & 0x7F
    if not 0 < width <= 4:
        raise IndexError(position)
    start = position + 2 + width
    return start + int.from_bytes(der[position + 2 : start], "big"), start


def _der_skip(der: bytes, position: int) -> int:
    return _der_header(der, position, der[position])[0]


_CN = NameOID.COMMON_NAME.dotted_string
_O = NameOID.ORGANIZATION_NAME.dotted_string


def _name_der_and_text(name: x509.Name) -> tuple[bytes | None, str]:
    """A DN's DER (None when it cannot be encoded back) and its RFC 4514 text for messages."""
    try:
        der: bytes | None = name.public_bytes()
    except (ValueError, TypeError):  # as in _issuer_facts
        der = None
    return der, _name_text(name)


def _name_text(name: x509.Name) -> str:
    """A DN's RFC 4514 text for messages and reports."""
    try:
        return name.rfc4514_string() or "(an empty name)"
    except (ValueError, TypeError):
        return UNDECODABLE_NAME


def _private_key_item(data: bytes, *, pem: bool, sec1: bytes | None = None) -> _Item | None:
    """A private key's item; `sec1` is the DER of a PEM `EC PRIVATE KEY` when known."""
    try:
        key = parse_private_key(data, pem=pem)
    except TypeError:  # cryptography's way of saying "this key needs a password"
        return _Item(KIND_PRIVATE_KEY, key=KeyFacts(None, "encrypted", 0, True, encrypted=True))
    except (ValueError, UnsupportedAlgorithm):  # not a key, or a damaged RSA key
        return None
    # loaded, so its public point is the scalar's: take the point as written (the public key's
    # objects and encoding back cost more than the rest of the key)
    known = ec_private_key_spki(sec1) if sec1 is not None else None
    if known is not None:
        return _Item(KIND_PRIVATE_KEY, key=KeyFacts(_one_copy(known[0]), "ECDSA", known[1], True))
    return _Item(KIND_PRIVATE_KEY, key=_key_facts(key.public_key(), private=True))


def _public_key_item(data: bytes, *, pem: bool) -> _Item | None:
    try:
        if pem:
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        return None
    return _Item(KIND_PUBLIC_KEY, key=_key_facts(key, private=False))


def _key_facts(public_key: object, *, private: bool) -> KeyFacts:
    key_type, key_size = certdetails.key_description(public_key)
    return KeyFacts(_one_copy(public_key_bytes(public_key)), key_type, key_size, private)


def _csr_item(data: bytes, *, pem: bool) -> _Item | None:
    try:
        csr = x509.load_pem_x509_csr(data) if pem else x509.load_der_x509_csr(data)
        public_key = csr.public_key()
        subject = csr.subject
        key_type, key_size = certdetails.key_description(public_key)
        facts = CsrFacts(
            cn=(certdetails.name_values(subject, NameOID.COMMON_NAME) or [""])[-1],
            organizations=tuple(certdetails.name_values(subject, NameOID.ORGANIZATION_NAME)),
            spki=public_key_bytes(public_key),
            key_type=key_type,
            key_size=key_size,
        )
    except Exception:  # noqa: BLE001 - lazy parser, as for certificates
        return None
    return _Item(KIND_CSR, csr=facts)


# --- cfssl JSON, token files, kubeconfigs ---------------------------------------------------


def _json_file(scan: _Scan, shown: str, data: bytes) -> ReviewedFile | None:
    """cfssl's ca-config.json and CSR JSON; other JSON is listed as not a certificate file."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return scan.add(ReviewedFile(shown, KIND_OTHER, note="JSON"))
    # cfssl matches keys case-insensitively
    lowered = {str(k).lower(): v for k, v in document.items()}
    if "signing" in lowered:
        return scan.add(ReviewedFile(shown, KIND_CA_CONFIG, note="cfssl signing config"))
    if {"subject", "issuer", "pem"} <= lowered.keys():
        return scan.add(ReviewedFile(shown, KIND_OTHER, note="JSON: cfssl-certinfo output"))
    hosts = lowered.get("hosts", [])
    if not lowered.keys() & {"cn", "names", "key"} or not isinstance(hosts, list):
        return scan.add(ReviewedFile(shown, KIND_OTHER, note="JSON"))
    record = ReviewedFile(
        shown,
        KIND_CSR_JSON,
        note=f"cfssl CSR for CN {lowered.get('cn', '')!s}"[:200],
        hosts=tuple(str(h) for h in hosts),
    )
    return scan.add(record)


def _token_file(scan: _Scan, shown: str, data: bytes) -> ReviewedFile:
    """token.csv for --token-auth-file: `token,user,uid,"group1,group2"` per line."""
    record = scan.add(ReviewedFile(shown, KIND_TOKEN_FILE, note="static token file"))
    text = data.decode("utf-8", "replace")
    problems = []
    for number, row in enumerate(csv.reader(text.splitlines()), 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 3 or not row[0].strip() or not row[1].strip():
            problems.append(f"line {number} has {len(row)} fields")
    if problems:
        shown_problems = "; ".join(problems[:3]) + (" …" if len(problems) > 3 else "")
        scan.flag(
            shown,
            "warning",
            "bad-token-file",
            f"{shown} is not a valid --token-auth-file ({shown_problems}) — each line needs "
            'token,user,uid and optionally "group1,group2"',
        )
    return record


def _may_be_kubeconfig(lower_name: str, data: bytes) -> bool:
    if lower_name.endswith(KUBECONFIG_SUFFIXES) or "kubeconfig" in lower_name:
        return True
    if lower_name == "config":
        return True
    head = data[:4096]
    return b"clusters:" in head or b"kind: Config" in head


def _kubeconfig(scan: _Scan, shown: str, data: bytes, os_path: str) -> ReviewedFile | None:
    try:
        document = load_yaml(data, shown)
    except YAMLRefused as error:  # a YAML bomb, or junk nested hundreds deep
        scan.flag(shown, "warning", "unparsable", str(error))
        return scan.add(ReviewedFile(shown, KIND_DAMAGED, note="YAML past the alias/depth limits"))
    except Exception:  # noqa: BLE001 - PyYAML raises many types on junk; then it isn't YAML
        return None
    if not isinstance(document, dict) or not (
        document.get("kind") == "Config" or "clusters" in document or "users" in document
    ):
        return None
    facts = KubeconfigFacts()
    record = scan.add(ReviewedFile(shown, KIND_KUBECONFIG, kubeconfig=facts))
    base = os.path.dirname(os_path)
    name = os.path.basename(os_path)
    for cluster in _named(document.get("clusters"), "cluster"):
        entry_name, body = cluster
        server = body.get("server")
        if isinstance(server, str):
            facts.servers.append(server)
        where = f"cluster {entry_name}: certificate-authority"
        _kubeconfig_field(scan, record, None, body, "certificate-authority", where, base, None)
    for user_name, body in _named(document.get("users"), "user"):
        user = KubeUser(user_name)
        facts.users.append(user)
        user.has_token = bool(body.get("token") or body.get("tokenFile"))
        if body.get("token") or body.get("client-key-data"):
            facts.holds_secret = True
        where = f"user {user_name}: client-certificate"
        _kubeconfig_field(scan, record, user, body, "client-certificate", where, base, name)
        where = f"user {user_name}: client-key"
        _kubeconfig_field(scan, record, user, body, "client-key", where, base, None)
    return record


def _named(section: object, inner: str) -> list[tuple[str, dict]]:
    """The (name, body) pairs of a kubeconfig's `clusters` or `users` list, skipping junk."""
    result: list[tuple[str, dict]] = []
    if not isinstance(section, list):
        return result
    for item in section:
        if isinstance(item, dict) and isinstance(item.get(inner), dict):
            name = item.get("name", "?")
            result.append(((name if isinstance(name, str) else quote(name))[:100], item[inner]))
    return result


def _kubeconfig_field(
    scan: _Scan,
    record: ReviewedFile,
    user: KubeUser | None,
    body: dict,
    field_name: str,
    where: str,
    base: str,
    role_hint: str | None,
) -> None:
    data = body.get(f"{field_name}-data")
    if isinstance(data, str) and data:
        try:
            content = base64.b64decode(data.encode("ascii", "replace"))
        except (binascii.Error, ValueError):
            content = b""
        items = parse_objects(content, scan.certs)
        if not items:
            items = [_Item(KIND_DAMAGED, note=f"{field_name}-data is not base64 PEM or DER")]
        records = _add_items(
            scan, record.path, items, part=f"{where}-data", embedded=True, role_hint=role_hint
        )
        _attach(user, records)
    path = body.get(field_name)
    if isinstance(path, str) and path:
        os_path = os.path.join(base, os.path.expanduser(path))
        scan.references.append(_Reference(record, user, field_name, path, os_path))


def _attach(user: KubeUser | None, records: list[ReviewedFile]) -> None:
    if user is None:
        return
    user.certificates.extend(r for r in records if r.cert is not None)
    user.keys.extend(r for r in records if r.key is not None and r.key.private)


def _resolve_references(scan: _Scan) -> None:
    """Files a kubeconfig names by path: the reviewed records, or read them when outside."""
    for reference in scan.references:
        kubeconfig = reference.kubeconfig
        try:
            if "\0" in reference.os_path:  # os.stat would raise ValueError
                raise FileNotFoundError(errno.ENOENT, "the path holds a NUL byte")
            status = os.stat(reference.os_path)
        except OSError as error:
            named = bare(printable(reference.path))
            scan.flag(
                kubeconfig.path,
                "warning",
                "missing-file",
                f"{kubeconfig.path} names {reference.field_name} {named}, "
                f"which cannot be read ({_os_reason(error)}) — fix the path, or embed the file "
                f"as {reference.field_name}-data",
            )
            continue
        known = scan.known((status.st_dev, status.st_ino))
        if known is not None:
            _attach(reference.user, known)
            continue
        try:
            data, _ = read_file(os.path.realpath(reference.os_path))
        except OSError as error:
            _unreadable(scan, kubeconfig.path, error)
            continue
        where = f"{reference.field_name} {bare(printable(reference.path))}"
        if data is None:
            why = (
                f"is {file_type_words(status.st_mode)} — not read"
                if not stat.S_ISREG(status.st_mode)
                else f"is larger than {size_words(MAX_BYTES)} — not read"
            )
            items = [_Item(KIND_DAMAGED, note=why)]
        else:
            items = parse_objects(data, scan.certs) or [
                _Item(KIND_DAMAGED, note="holds no certificate or key")
            ]
        hint = None
        if reference.user is not None and reference.field_name == "client-certificate":
            hint = os.path.basename(kubeconfig.os_path)
        since = len(scan.records)
        records = _add_items(
            scan, kubeconfig.path, items, part=where, embedded=True, role_hint=hint
        )
        for new in records:
            new.os_path = reference.os_path
        scan.note_file((status.st_dev, status.st_ino), records, since)
        _attach(reference.user, records)
