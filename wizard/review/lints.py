"""Checks that need no role: bad SANs, weak keys and signatures, loose permissions, CA keys
left on nodes."""

from __future__ import annotations

import grp
import os
import posixpath
import pwd
import re
import shlex
import stat
from functools import lru_cache

from cryptography import x509
from cryptography.x509.oid import SignatureAlgorithmOID

from wizard.bounds import quote_repr
from wizard.hosts import HostError, parse_host
from wizard.review.model import (
    KIND_CSR_JSON,
    KIND_KUBECONFIG,
    KIND_TOKEN_FILE,
    Finding,
    ReviewedFile,
    certificate_holders,
    report,
)
from wizard.review.roles import Match, is_control_plane_role, is_node_role
from wizard.review.scan import printable

WEAK_SIGNATURES = frozenset(
    oid.dotted_string
    for oid in (
        SignatureAlgorithmOID.RSA_WITH_MD5,
        SignatureAlgorithmOID.RSA_WITH_SHA1,
        SignatureAlgorithmOID.ECDSA_WITH_SHA1,
        SignatureAlgorithmOID.DSA_WITH_SHA1,
        # sha1WithRSASignature under the old OIW arc, which some tools still write
        x509.ObjectIdentifier("1.3.14.3.2.29"),
    )
)
MIN_KEY_BITS = {"RSA": 2048, "ECDSA": 256, "DSA": 2048}
# A plain DNS name: the common case, decided without parse_host's full analysis.
_PLAIN_DNS = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z][a-z0-9-]{0,62}$")


def lint(
    records: list[ReviewedFile],
    matches: dict[int, Match],
    holders: dict[int, list[ReviewedFile]] | None = None,
) -> list[Finding]:
    """Every role-independent check over the records (roles only tell nodes from masters)."""
    findings: list[Finding] = []
    holders = certificate_holders(records) if holders is None else holders
    for these in holders.values():
        findings += _lint_certificate(these)
    for record in records:
        if record.kind == KIND_CSR_JSON:
            findings += _lint_csr_json(record)
        findings += _lint_permissions(record)
    findings += _lint_folders(records)
    findings += _weak_standalone_keys(records)
    findings += _ca_keys_on_nodes(records, matches)
    return findings


def dns_san_problem(value: str) -> tuple[str, str] | None:
    """(check, reason) when a DNS SAN is not a host name, or None when it is fine."""
    return None if _PLAIN_DNS.match(value) else _host_problem(value)


@lru_cache(maxsize=1024)
def _host_problem(value: str) -> tuple[str, str] | None:
    try:
        host = parse_host(value)
    except HostError as error:
        return "cidr-san", str(error)
    if host.is_ip:
        return "ip-in-dns-san", f'"{value}" is an IP address written as a DNS name'
    return None


def _lint_certificate(holders: list[ReviewedFile]) -> list[Finding]:
    facts = holders[0].cert
    assert facts is not None
    findings: list[Finding] = []
    for name in facts.dns_sans:
        problem = dns_san_problem(name)
        if problem is None:
            continue
        check, reason = problem
        if check == "cidr-san":
            findings += report(
                holders,
                "error",
                "cidr-san",
                f"{{ref}} has the DNS SAN {name!r}, which no client can match: {reason}. "
                "cfssl copies any `hosts` entry verbatim — fix the CSR's hosts and re-issue",
            )
        else:
            findings += report(
                holders,
                "warning",
                "ip-in-dns-san",
                f"{{ref}} lists {name} as a DNS name; clients dialing that address look for "
                "an IP SAN and fail — re-issue it with the address as an IP entry",
            )
    minimum = MIN_KEY_BITS.get(facts.key_type)
    if minimum and facts.key_size < minimum:
        findings += report(
            holders,
            "warning",
            "weak-key",
            f"{{ref}} has a {facts.key_size}-bit {facts.key_type} key, below the {minimum} "
            f"bits considered safe — re-issue it with a new {minimum}-bit {facts.key_type} "
            "key (or ECDSA P-256)",
        )
    if facts.signature_oid in WEAK_SIGNATURES and not holders[0].self_signed:
        findings += report(
            holders,
            "error",
            "weak-signature",
            f"{{ref}} is signed with {facts.sigalg}, which Go, and so Kubernetes, refuses "
            f"since Go 1.18 ('x509: … insecure algorithm {facts.sigalg}') — re-issue it (cfssl "
            "and k8s-cert-wizard sign with SHA-256 or better)",
        )
    if facts.key_type == "ECDSA" and "key encipherment" in facts.key_usage:
        findings += report(
            holders,
            "warning",
            "ecdsa-key-encipherment",
            "{ref} has an ECDSA key but key usage 'key encipherment', which only RSA keys can "
            "do; strict TLS stacks reject it — drop 'key encipherment' from the signing "
            "profile for ECDSA keys and re-issue",
        )
    return findings


def _lint_csr_json(record: ReviewedFile) -> list[Finding]:
    findings = []
    for host in record.hosts:
        try:
            parse_host(host)
        except HostError as error:
            findings.append(
                Finding(
                    record.path,
                    "warning",
                    "cidr-san",
                    f"{record.path} lists the host {quote_repr(host)}, which cfssl turns into a "
                    f"useless DNS SAN: {error}",
                )
            )
    return findings


def _lint_permissions(record: ReviewedFile) -> list[Finding]:
    """CIS Kubernetes Benchmark 1.1.19 (root:root) and 1.1.21 (600 or stricter) for a file
    holding a secret: a private key, a kubeconfig with a key or token, a token file.

    Certificates are public: 1.1.20 asks 600 of them too, but kubeadm itself writes them 644,
    so their mode is not reported."""
    if record.mode is None or record.embedded:
        return []
    if record.key is not None and record.key.private:
        what = "a private key"
    elif record.kind == KIND_KUBECONFIG and record.kubeconfig and record.kubeconfig.holds_secret:
        what = "a kubeconfig holding a private key or token"
    elif record.kind == KIND_TOKEN_FILE:
        what = "a token file"
    else:
        return []
    problems: list[str] = []
    fixes: list[str] = []
    if record.mode & 0o077:
        readable = "readable" if record.mode & 0o044 else "accessible"
        problems.append(
            f"{readable} by group or others (mode {record.mode:04o}; CIS 1.1.21 wants 600 or "
            "stricter)"
        )
        fixes.append("chmod 600 {}")
    if record.owner is not None and not _trusted_owner(record.owner[0]):
        problems.append(
            f"owned by {_user_name(record.owner[0])}, not root (CIS 1.1.19 wants root:root)"
        )
        fixes.append("chown root:root {}")
    elif record.owner is not None and record.mode & 0o070 and record.owner[1] != 0:
        problems.append(f"group {_group_name(record.owner[1])} may read it")
    if not problems:
        return []
    target = _shell_path(record)  # made only for a finding: most files have none
    commands = "; ".join(fix.format(target) for fix in fixes)
    return [
        Finding(
            record.path,
            "warning",
            "key-permissions",
            f"{record.path} is {what} {' and '.join(problems)} — {commands}",
        )
    ]


def _lint_folders(records: list[ReviewedFile]) -> list[Finding]:
    """A folder holding private keys that group or others may write to (without the sticky
    bit): whoever may write there can swap a key or certificate (CIS 1.1.19's ownership of the
    PKI directory)."""
    findings = []
    seen: set[str] = set()
    looked_at: set[str] = set()  # the folders as the paths give them (most are the same one)
    for record in records:
        if record.embedded or record.key is None or not record.key.private or not record.os_path:
            continue
        given = record.os_path.rpartition("/")[0]
        if given in looked_at:
            continue
        looked_at.add(given)
        folder = os.path.dirname(os.path.abspath(record.os_path))
        if folder in seen:
            continue
        seen.add(folder)
        try:
            status = os.stat(folder)
        except OSError:
            continue
        mode = stat.S_IMODE(status.st_mode)
        if not mode & 0o022 or mode & stat.S_ISVTX:
            continue
        shown = posixpath.dirname(record.path) or "."
        findings.append(
            Finding(
                shown,
                "warning",
                "folder-permissions",
                f"{shown}/ holds private keys and group or others may write to it (mode "
                f"{mode:04o}): whoever may write there can replace a key or certificate; CIS "
                "1.1.19 wants the PKI directory root:root — chmod go-w "
                + shlex.quote(printable(folder)),
            )
        )
    return findings


def _shell_path(record: ReviewedFile) -> str:
    """The file's absolute path, quoted for a shell and printable."""
    return shlex.quote(printable(os.path.abspath(record.os_path or record.path)))


# service accounts that own their PKI in some layouts (kubespray's etcd user, distro packages)
_SERVICE_OWNERS = frozenset({"etcd", "kube", "kubernetes"})


def _trusted_owner(uid: int) -> bool:
    """root, the user running the review (a copy of one's own), or a service account."""
    if uid in (0, os.geteuid()):
        return True
    return _user_name(uid) in _SERVICE_OWNERS


@lru_cache(maxsize=64)
def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


@lru_cache(maxsize=64)
def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return f"gid {gid}"


def _weak_standalone_keys(records: list[ReviewedFile]) -> list[Finding]:
    """Keys without a certificate (sa.key): weak ones are reported here, the rest with theirs."""
    cert_spkis = {r.cert.spki for r in records if r.cert is not None}
    findings = []
    for record in records:
        key = record.key
        if key is None or not key.private or record.embedded or key.spki in cert_spkis:
            continue
        if key.spki is None:  # encrypted
            continue
        minimum = MIN_KEY_BITS.get(key.key_type)
        if minimum and key.key_size < minimum:
            findings.append(
                Finding(
                    record.path,
                    "warning",
                    "weak-key",
                    f"{record.ref} is a {key.key_size}-bit {key.key_type} key, below the "
                    f"{minimum} bits considered safe — replace it with a {minimum}-bit key",
                )
            )
    return findings


def _ca_keys_on_nodes(records: list[ReviewedFile], matches: dict[int, Match]) -> list[Finding]:
    """A CA key in a directory that looks like a worker node's (kubelet, kube-proxy only)."""
    node_dirs: set[str] = set()
    control_plane_dirs: set[str] = set()
    for record in records:
        match = matches.get(id(record))
        if match is None:
            continue
        directory = posixpath.dirname(record.path)
        if is_node_role(match.role):
            node_dirs.add(directory)
        if is_control_plane_role(match.role):
            control_plane_dirs.add(directory)
    ca_spkis = {r.cert.spki for r in records if r.cert is not None and r.cert.is_ca}
    findings = []
    for record in records:
        key = record.key
        if key is None or not key.private or key.spki not in ca_spkis or record.embedded:
            continue
        directory = posixpath.dirname(record.path)
        if directory in node_dirs and directory not in control_plane_dirs:
            findings.append(
                Finding(
                    record.path,
                    "warning",
                    "ca-key-on-node",
                    f"{record.path} is a CA's private key in what looks like a worker node's "
                    "directory (kubelet and kube-proxy files, no control-plane ones): whoever "
                    "gets onto this node can issue any identity — keep CA keys on masters "
                    "(kube-controller-manager) or offline, and remove it here",
                )
            )
    return findings
