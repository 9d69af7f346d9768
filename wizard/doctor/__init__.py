"""The doctor: read an error text, find the certificates it is about in reviewed directories, and
say why and what to run — all as data (`Diagnosis`); the CLI only renders it."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from wizard.doctor.errors import ERROR_WORDS, ErrorKind, ParsedError, parse_errors
from wizard.review.model import CertFacts, Review, ReviewedFile
from wizard.store import BACKUP_PREFIX

PROG = "k8s-cert-wizard"
MAX_INPUT_BYTES = 1024 * 1024
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Match:
    """One certificate the error is about: its absolute path and why it is the one."""

    path: str
    why: str
    role: str | None = None


@dataclass
class Diagnosis:
    """One error of the text: what it is, which files, why, the fix, and what was looked for."""

    kind: ErrorKind
    what: str
    quote: str
    matches: list[Match] = field(default_factory=list)
    fix: list[str] = field(default_factory=list)
    looked_for: str = ""

    @property
    def is_certificate_problem(self) -> bool:
        """False for a DNS error, a timeout, a refused connection."""
        return self.kind is not ErrorKind.NOT_CERTIFICATE

    def to_json(self) -> dict[str, Any]:
        """The diagnosis as a JSON-ready dict."""
        return {
            "kind": self.kind.value,
            "what": self.what,
            "quote": self.quote,
            "certificate_problem": self.is_certificate_problem,
            "files": [{"path": m.path, "role": m.role, "why": m.why} for m in self.matches],
            "fix": self.fix,
            "looked_for": self.looked_for,
        }


def diagnose(text: str, reviews: list[Review], config: str | None = None) -> list[Diagnosis]:
    """One diagnosis per distinct error in `text`, matched against the reviewed directories.

    `config` is the cluster.toml named in the fix commands (default: DIR/cluster.toml when
    there is one, else `cluster.toml`)."""
    return [_diagnose(error, reviews, config) for error in parse_errors(text)]


_HIDDEN_CAUSE = ("context deadline exceeded", "TransientFailure", "DeadlineExceeded")


def unrecognised(text: str) -> str:
    """What to say when `text` holds no error the doctor knows: what it looked for, and where
    the cause is when the client's words hide it (gRPC clients such as etcdctl)."""
    looked = (
        "no certificate or connection error recognised in the text — looked for x509:, tls:, "
        "bootstrap client certificate, `subject with cn=`, dial tcp"
    )
    if any(word in text for word in _HIDDEN_CAUSE):
        return (
            f"{looked}; a gRPC client (etcdctl, kube-apiserver's etcd client) hides the TLS "
            "error behind `context deadline exceeded` — paste the server's log instead "
            "(journalctl -u etcd: its `rejected connection` lines say why)"
        )
    return f"{looked}; paste the whole error line"


def _c(record: ReviewedFile) -> CertFacts:
    """The certificate of a record `_certs` returned (always there)."""
    assert record.cert is not None
    return record.cert


def _abs(review: Review, record: ReviewedFile) -> str:
    return os.path.join(os.path.abspath(review.root), record.path)


_PER_HOST_COPY = re.compile(r"^hosts/[^/]+/etc/")
"""`generate --per-host` copies under hosts/<address>/etc/…: made from the set's own files, so
the set's file is the one to fix (renew --only refuses their paths)."""


def _certs(reviews: list[Review], *, embedded: bool = True) -> list[tuple[Review, ReviewedFile]]:
    """The certificate records, without the old files a renewal kept in backup-… folders and
    the per-host copies of `generate --per-host`."""
    return [
        (review, record)
        for review in reviews
        for record in review.files
        if record.cert is not None
        and (embedded or not record.embedded)
        and not record.path.startswith(BACKUP_PREFIX)
        and not _PER_HOST_COPY.match(record.path)
    ]


def _date(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _renew(config: str | None, review: Review, records: list[ReviewedFile]) -> str:
    names = sorted({r.path for r in records if not r.embedded} or {r.path for r in records})
    directory = os.path.abspath(review.root)
    return f"{PROG} renew -c {_config(config, review)} -o {directory} --only {' '.join(names)}"


def _config(config: str | None, review: Review) -> str:
    """The cluster file for a fix: the one given, else the one generate left in the directory."""
    if config:
        return config
    beside = os.path.join(os.path.abspath(review.root), "cluster.toml")
    return beside if os.path.isfile(beside) else "cluster.toml"


def _restart_hint(records: list[ReviewedFile]) -> str:
    roles = sorted({r.role for r in records if r.role})
    who = ", ".join(roles) if roles else "the certificates"
    return (
        f"copy the renewed files to the hosts and restart what uses {who} "
        f"(`{PROG} layout` lists who uses which file), e.g. systemctl restart kube-apiserver"
    )


def _fix_renew(config: str | None, found: list[tuple[Review, ReviewedFile]]) -> list[str]:
    by_review: dict[int, tuple[Review, list[ReviewedFile]]] = {}
    for review, record in found:
        by_review.setdefault(id(review), (review, []))[1].append(record)
    fix = [_renew(config, review, records) for review, records in by_review.values()]
    fix.append(_restart_hint([r for _, r in found]))
    return fix


def _diagnose(error: ParsedError, reviews: list[Review], config: str | None) -> Diagnosis:
    diagnosis = Diagnosis(error.kind, ERROR_WORDS[error.kind], error.quote)
    handler = _HANDLERS.get(error.kind)
    if handler is not None:
        handler(error, reviews, config, diagnosis)
    if error.inner:
        diagnosis.what += " — reported by a server that could not verify the client certificate"
        diagnosis.what += " it was given: the client's certificate is the one to fix"
    return diagnosis


def _expired(error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis) -> None:
    after = error.kind is ErrorKind.EXPIRED
    moment = error.moment
    if moment is not None:
        side = "ends" if after else "starts"
        d.looked_for = f"a certificate that {side} on {_date(moment)} (the date the error names)"
        found = [
            (r, f)
            for r, f in _certs(reviews)
            if abs((_c(f).not_after if after else _c(f).not_before) - moment) < _SECOND
        ]
        why = f"{side} on {_date(moment)}, the date in the error"
    else:
        d.looked_for = (
            "certificates that are expired or not yet valid now (the error names no date)"
        )
        status = "expired" if after else "not yet valid"
        found = [(r, f) for r, f in _certs(reviews) if r.status(f) in ("expired", "not yet valid")]
        why = status
    if not found and moment is not None:
        found = [(r, f) for r, f in _certs(reviews) if r.status(f) in ("expired", "not yet valid")]
        if found:
            d.looked_for += (
                "; none has that date, so these are the ones expired or not yet valid now"
            )
        why = "expired or not yet valid now"
    for review, record in found:
        cert = record.cert
        assert cert is not None
        d.matches.append(
            Match(
                _abs(review, record),
                f"{record.subject_summary()}: valid {_date(cert.not_before)} to "
                f"{_date(cert.not_after)} — {why}",
                record.role,
            )
        )
    if found:
        if any(f.role == "ca" for _, f in found):
            d.fix.append(
                f"a CA is among them: make a new CA and every certificate under it — {PROG} "
                f"generate -c {config or 'cluster.toml'} --new-ca — then distribute all files"
            )
            found = [(r, f) for r, f in found if f.role != "ca"]
        if found:
            d.fix[:0] = _fix_renew(config, found)
    if not after:
        d.fix.append("check the clocks first: `timedatectl` on both hosts (NTP in sync?)")
    elif moment is None or not found:
        # "expired or not yet valid" with no date, or no certificate here has ended: a clock
        # ahead or behind on one host gives the same words
        d.fix.append(
            "check the clocks: `timedatectl` on the client and the server (NTP in sync?) — a "
            "clock off by more than a certificate's age gives this error too"
        )


def _unknown_authority(
    error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis
) -> None:
    name = error.authority
    cas = [(r, f) for r, f in _certs(reviews, embedded=True) if _c(f).is_ca]
    named = [(r, f) for r, f in cas if not name or _c(f).cn == name]
    d.looked_for = (
        f"CAs with CN {name!r} and certificates that name it as issuer but are not signed by a CA"
        " in the directories, or by a different CA of that name"
        if name
        else "certificates not signed by any CA in the directories, and CAs that differ"
    )
    distinct = {_c(f).spki for _, f in named}
    orphans = [
        (r, f)
        for r, f in _certs(reviews)
        if not _c(f).is_ca
        and not f.self_signed
        and f.issued_by is None
        and (
            not name
            or _c(f).issuer_text.endswith(f"CN={name}")
            or f"CN={name}" in _c(f).issuer_text
        )
    ]
    for review, record in orphans:
        d.matches.append(
            Match(
                _abs(review, record),
                f"{record.subject_summary()} names issuer {_c(record).issuer_text} "
                "but no CA here signed it — it was made under another CA of that name",
                record.role,
            )
        )
    if len(distinct) > 1:
        for review, record in named:
            d.matches.append(
                Match(
                    _abs(review, record),
                    f"one of {len(distinct)} different CAs named CN {_c(record).cn}: a client "
                    "holding one cannot verify certificates signed by another",
                    record.role,
                )
            )
    if orphans:
        d.fix.extend(_fix_renew(config, orphans))
    if len(distinct) > 1:
        d.fix.append(
            "use one CA everywhere: copy the CA that signed the servers' certificates to every "
            "host and kubeconfig (certificate-authority-data), or re-issue the others under it"
        )
    if not d.matches:
        d.fix.append(
            "the directories hold one consistent CA: the client uses another ca.pem or an old "
            "kubeconfig — compare its certificate-authority(-data) with the ca.pem here"
        )


def _covers(cert_names: tuple[str, ...], wanted: str) -> bool:
    for name in cert_names:
        if name == wanted:
            return True
        if name.startswith("*.") and wanted.split(".", 1)[-1] == name[2:]:
            return True
    return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _wrong_name(
    error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis
) -> None:
    wanted = error.wanted
    listed = set(error.valid_for)
    d.looked_for = (
        f"server certificates whose SANs are exactly {', '.join(error.valid_for)}"
        if listed
        else f"server certificates without {wanted} in their SANs"
    )
    found = []
    for review, record in _certs(reviews, embedded=False):
        cert = record.cert
        assert cert is not None
        names = cert.dns_sans + cert.ip_sans
        if cert.is_ca or _covers(names, wanted):
            continue
        if listed and set(names) == listed:
            found.append((review, record))
    if not found and listed:  # a set copied since: the certificate lists those names and more
        found = [
            (r, f)
            for r, f in _certs(reviews, embedded=False)
            if not _c(f).is_ca
            and listed <= set(_c(f).dns_sans + _c(f).ip_sans)
            and not _covers(_c(f).dns_sans + _c(f).ip_sans, wanted)
        ]
    for review, record in found:
        d.matches.append(
            Match(
                _abs(review, record),
                f"{record.subject_summary()} lists exactly "
                f"{', '.join(_c(record).dns_sans + _c(record).ip_sans)}"
                f" — not {wanted}",
                record.role,
            )
        )
    if found:
        d.fix.append(
            f"add {wanted} to the hosts of the certificate in {config or 'cluster.toml'} (or to "
            "the "
            "masters/nodes it comes from)"
        )
        d.fix.extend(_fix_renew(config, found))
    else:
        d.fix.append(
            f"connect with a name the certificate lists, or add {wanted} to its hosts "
            f"in {config or 'cluster.toml'} and renew it"
        )


def _no_ip_sans(
    error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis
) -> None:
    wanted = error.wanted
    d.looked_for = f"server certificates with no IP address in their SANs (wanted {wanted})"
    found = [
        (r, f)
        for r, f in _certs(reviews, embedded=False)
        if not _c(f).is_ca
        and not _c(f).ip_sans
        and _serves(_c(f))
        and (_c(f).dns_sans or f.role in _SERVER_ROLES)
    ]
    for review, record in found:
        names = ", ".join(_c(record).dns_sans) or "no SANs"
        d.matches.append(
            Match(
                _abs(review, record),
                f"{record.subject_summary()} lists {names} — no IP address",
                record.role,
            )
        )
    d.fix.append(f"add {wanted} to the certificate's hosts in {config or 'cluster.toml'}")
    if found:
        d.fix.extend(_fix_renew(config, found))
    if any((f.role or "").startswith("kubelet") for _, f in found) or not found:
        d.fix.append(
            "for kubelet serving certificates: set serverTLSBootstrap: true in the kubelet "
            "config, restart the kubelet, then `kubectl get csr` and `kubectl certificate "
            "approve <csr>` (metrics-server: keep --kubelet-preferred-address-types=InternalIP)"
        )


def _serves(cert: CertFacts) -> bool:
    """May be a TLS server's certificate: no EKU (any use) or server auth."""
    return cert.ext_key_usage is None or "server auth" in cert.ext_key_usage


_SERVER_ROLES = {
    "kubernetes",
    "kube-apiserver",
    "etcd",
    "etcd-server",
    "etcd-peer",
    "kubelet",
    "metrics-server",
    "kube-controller-manager",
    "kube-scheduler",
}


def _legacy_cn(error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis) -> None:
    d.looked_for = "certificates with no SAN extension at all"
    found = [
        (r, f)
        for r, f in _certs(reviews, embedded=False)
        if not _c(f).is_ca
        and not _c(f).has_san_extension
        and _serves(_c(f))
        and f.role in _SERVER_ROLES
    ]
    for review, record in found:
        d.matches.append(
            Match(
                _abs(review, record),
                f"{record.subject_summary()} has no SAN extension — only its CN names a host",
                record.role,
            )
        )
    d.fix.append(
        f"give the certificate hosts in {config or 'cluster.toml'} (its names and addresses)"
    )
    if found:
        d.fix.extend(_fix_renew(config, found))


def _cn_not_allowed(
    error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis
) -> None:
    d.looked_for = f"client certificates with CN {error.cn}"
    found = [(r, f) for r, f in _certs(reviews, embedded=False) if _c(f).cn == error.cn]
    for review, record in found:
        d.matches.append(
            Match(
                _abs(review, record),
                f"{record.subject_summary()}: kube-apiserver --requestheader-allowed-names "
                "does not list this CN",
                record.role,
            )
        )
    names = ",".join(dict.fromkeys((*error.allowed, error.cn)))
    d.fix.append(
        f"add the CN to kube-apiserver's flag: --requestheader-allowed-names={names} (or "
        "leave the flag empty to allow any CN the --requestheader-client-ca-file signed), then "
        "systemctl restart kube-apiserver"
    )


def _bootstrap(error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis) -> None:
    moment = error.moment
    assert moment is not None
    d.looked_for = f"kubeconfig client certificates that end on {_date(moment)}"
    found = [
        (r, f)
        for r, f in _certs(reviews)
        if abs(_c(f).not_after - moment) < _SECOND and not _c(f).is_ca
    ]
    found.sort(key=lambda pair: not pair[1].embedded)
    for review, record in found:
        where = "inside a kubeconfig" if record.embedded else "a certificate file"
        d.matches.append(
            Match(
                _abs(review, record),
                f"{record.subject_summary()} ({where}) ended on {_date(moment)}",
                record.role,
            )
        )
    named = f" ({error.path})" if error.path else ""
    d.fix.append(
        f"on the node: move the expired kubeconfig{named} and /var/lib/kubelet/pki/"
        "kubelet-client-current.pem aside, make sure bootstrap-kubelet.conf (a bootstrap token)"
        " is there, systemctl restart kubelet, then `kubectl get csr` and `kubectl certificate "
        "approve <csr>`"
    )
    if found:
        d.fix[:0] = _fix_renew(config, found)[:1]


def _peer_rejected(
    error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis
) -> None:
    d.looked_for = (
        "certificates (the one the rejected side presented) that are expired, not signed by a "
        "CA here, or lack the usage their side needs"
    )
    found: list[tuple[Review, ReviewedFile, str]] = []
    for review, record in _certs(reviews, embedded=False):
        cert = record.cert
        assert cert is not None
        if cert.is_ca:
            continue
        if review.status(record) in ("expired", "not yet valid"):
            found.append(
                (review, record, f"{review.status(record)} (ends {_date(cert.not_after)})")
            )
        elif record.issued_by is None and not record.self_signed:
            found.append((review, record, f"signed by {cert.issuer_text}, not by a CA here"))
        elif cert.ext_key_usage is not None and "client auth" not in cert.ext_key_usage:
            found.append(
                (review, record, "has no client auth usage, so a server refuses it as a client")
            )
    for review, record, why in found:
        d.matches.append(
            Match(_abs(review, record), f"{record.subject_summary()}: {why}", record.role)
        )
    if found:
        d.fix.extend(_fix_renew(config, [(r, f) for r, f, _ in found]))
    d.fix.append(
        "read the rejecting side's log (journalctl -u etcd) for its reason, and check its "
        "--trusted-ca-file / --peer-trusted-ca-file is the ca.pem here"
    )


def _client_not_verified(
    error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis
) -> None:
    _peer_rejected(error, reviews, config, d)


def _wrong_usage(
    error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis
) -> None:
    d.looked_for = "certificates whose extended key usage lacks client auth or server auth"
    found = []
    for review, record in _certs(reviews, embedded=False):
        usages = _c(record).ext_key_usage
        if _c(record).is_ca or usages is None:
            continue
        missing = [u for u in ("client auth", "server auth") if u not in usages]
        if missing:
            found.append((review, record))
            d.matches.append(
                Match(
                    _abs(review, record),
                    f"{record.subject_summary()} has {', '.join(usages) or 'no usage'} — "
                    f"no {' or '.join(missing)}",
                    record.role,
                )
            )
    if found:
        d.fix.append(
            f"give its signing profile in {config or 'cluster.toml'} the missing usage (a "
            "certificate "
            "used as both client and server, such as etcd's, needs both)"
        )
        d.fix.extend(_fix_renew(config, found))


def _not_certificate(
    error: ParsedError, reviews: list[Review], config: str | None, d: Diagnosis
) -> None:
    d.looked_for = "nothing: this error happens before any certificate is exchanged"
    if "first record does not look like a TLS handshake" in error.quote:
        d.what = (
            "not a certificate problem: a client spoke plain HTTP (or another protocol) to a "
            "TLS port"
        )
        d.fix.append(
            "find the client by the address in the line and give it https:// in its --server "
            "or URL (or point it at the plain port)"
        )
        return
    d.fix.append(
        "check the network instead: the name resolves (DNS, /etc/hosts), the address is "
        "reachable, and the server listens on that port (systemctl status, ss -ltnp)"
    )


_HANDLERS = {
    ErrorKind.EXPIRED: _expired,
    ErrorKind.NOT_YET_VALID: _expired,
    ErrorKind.UNKNOWN_AUTHORITY: _unknown_authority,
    ErrorKind.WRONG_NAME: _wrong_name,
    ErrorKind.NO_IP_SANS: _no_ip_sans,
    ErrorKind.LEGACY_CN: _legacy_cn,
    ErrorKind.CN_NOT_ALLOWED: _cn_not_allowed,
    ErrorKind.BOOTSTRAP_EXPIRED: _bootstrap,
    ErrorKind.PEER_REJECTED: _peer_rejected,
    ErrorKind.CLIENT_NOT_VERIFIED: _client_not_verified,
    ErrorKind.WRONG_USAGE: _wrong_usage,
    ErrorKind.NOT_CERTIFICATE: _not_certificate,
}

__all__ = [
    "MAX_INPUT_BYTES",
    "Diagnosis",
    "ErrorKind",
    "Match",
    "ParsedError",
    "diagnose",
    "parse_errors",
    "unrecognised",
]
