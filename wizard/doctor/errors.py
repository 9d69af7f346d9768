"""Parse the error texts of Go's crypto/x509 and crypto/tls, the kubelet and etcd out of a pasted
text (one error, a log excerpt, `journalctl -u …` lines) into records: which error, with the
date, the CA name, the host or the CN it names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum


class ErrorKind(Enum):
    """The errors the doctor knows, each one sentence in `ERROR_WORDS`."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    UNKNOWN_AUTHORITY = "unknown-authority"
    WRONG_NAME = "wrong-name"
    NO_IP_SANS = "no-ip-sans"
    LEGACY_CN = "legacy-common-name"
    CN_NOT_ALLOWED = "cn-not-allowed"
    BOOTSTRAP_EXPIRED = "bootstrap-client-expired"
    PEER_REJECTED = "peer-rejected-certificate"
    CLIENT_NOT_VERIFIED = "client-certificate-not-verified"
    WRONG_USAGE = "incompatible-key-usage"
    NOT_CERTIFICATE = "not-a-certificate-problem"


ERROR_WORDS: dict[ErrorKind, str] = {
    ErrorKind.EXPIRED: "a certificate has expired: the time now is after its end date",
    ErrorKind.NOT_YET_VALID: "a certificate is not valid yet: its start date is in the future "
    "(a clock behind, or a certificate issued ahead of time)",
    ErrorKind.UNKNOWN_AUTHORITY: "a certificate was signed by a CA the verifier does not trust "
    "(the verifier holds another CA, often one with the same name)",
    ErrorKind.WRONG_NAME: "a server certificate does not list the name or address the client "
    "connected to",
    ErrorKind.NO_IP_SANS: "a server certificate has no IP address in its SANs, and the client "
    "connected to an IP address",
    ErrorKind.LEGACY_CN: "a server certificate has no SAN extension: Go (1.15+) no longer takes "
    "the Common Name as a host name",
    ErrorKind.CN_NOT_ALLOWED: "the front proxy's client certificate has a CN that "
    "--requestheader-allowed-names does not list",
    ErrorKind.BOOTSTRAP_EXPIRED: "the kubelet's client certificate in its kubeconfig has "
    "expired, so it tries to bootstrap again",
    ErrorKind.PEER_REJECTED: "the other side of a TLS connection refused the certificate "
    "presented to it (its own log says why)",
    ErrorKind.CLIENT_NOT_VERIFIED: "a server could not verify the client certificate it was given",
    ErrorKind.WRONG_USAGE: "a certificate lacks the extended key usage its use needs (client "
    "auth for a client, server auth for a server)",
    ErrorKind.NOT_CERTIFICATE: "not a certificate problem: the connection failed before TLS "
    "(name resolution, routing, a closed port)",
}


@dataclass(frozen=True)
class ParsedError:
    """One error found in the text, with what it names."""

    kind: ErrorKind
    quote: str  # the matched part of the line
    moment: datetime | None = None  # the certificate's end (or start) date the error names
    now: datetime | None = None  # "current time …"
    authority: str = ""  # the CN of the candidate CA
    valid_for: tuple[str, ...] = ()  # the names a certificate is valid for
    wanted: str = ""  # the host or address the client asked for
    cn: str = ""
    allowed: tuple[str, ...] = ()  # the CNs --requestheader-allowed-names lists, as logged
    path: str = ""  # a file the error names (kubelet.conf)
    inner: tuple[ErrorKind, ...] = field(default=())  # a cause quoted inside, for etcd's lines


_TIME = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"
_PATTERNS: list[tuple[ErrorKind, re.Pattern[str]]] = [
    (
        ErrorKind.BOOTSTRAP_EXPIRED,
        re.compile(
            r"part of the existing bootstrap client certificate(?: in (?P<path>\S+?)| which "
            r"located at \"(?P<path2>[^\"]+)\"| located at \"(?P<path3>[^\"]+)\")? is expired:"
            r" (?P<moment>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}) UTC",
            re.I,
        ),
    ),
    (
        ErrorKind.EXPIRED,
        re.compile(
            r"x509: certificate has expired or is not yet valid(?::\s*current time "
            + _TIME
            + r" is (?P<side>after|before) "
            + _TIME
            + ")?",
            re.I,
        ),
    ),
    (
        ErrorKind.UNKNOWN_AUTHORITY,
        re.compile(
            r"x509: certificate signed by unknown authority(?:\s*\(\s*possibly because of "
            r"\"(?P<reason>[^\"]*)\" while trying to verify cand\s*idate authority certificate "
            r"\"(?P<authority>[^\"]*)\"\)?)?",
            re.I,
        ),
    ),
    (
        ErrorKind.WRONG_NAME,
        re.compile(r"x509: certificate is valid for (?P<names>.+?), not (?P<wanted>[^\s\"',)\]]+)"),
    ),
    (
        ErrorKind.WRONG_NAME,
        re.compile(
            r"x509: certificate is not valid for any names, but wanted to match "
            r"(?P<wanted>[^\s\"',)\]]+)"
        ),
    ),
    (
        ErrorKind.NO_IP_SANS,
        re.compile(
            r"x509: cannot validate certificate for (?P<wanted>[0-9a-fA-F.:\[\]]+) because it "
            r"doesn't contain any IP SANs"
        ),
    ),
    (ErrorKind.WRONG_USAGE, re.compile(r"x509: certificate specifies an incompatible key usage")),
    (ErrorKind.LEGACY_CN, re.compile(r"x509: certificate relies on legacy Common Name field")),
    (
        ErrorKind.CN_NOT_ALLOWED,
        re.compile(
            r"subject with cn=(?P<cn>[^\s\"',]+) is not (?:in the allowed list(?:: "
            r"\[(?P<allowed>[^\]]*)\])?|allowed)"
        ),
    ),
    (
        ErrorKind.CLIENT_NOT_VERIFIED,
        re.compile(r"(?:tls|keys): failed to verify client(?:'s)? certificate", re.I),
    ),
    (
        ErrorKind.PEER_REJECTED,
        re.compile(
            r"remote error: tls: (?:bad|unknown|expired) certificate|remote error: tls: unknown "
            r"certificate authority",
            re.I,
        ),
    ),
]
_NOT_CERTIFICATE = re.compile(
    r"tls: first record does not look like a TLS handshake|"
    r"dial tcp[^\n]*?(?:no such host|i/o timeout|connection refused|no route to host|network is "
    r"unreachable)|lookup \S+ on \S+: no such host|\bi/o timeout\b|connect: connection refused"
)


def _go_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _parse_line(line: str) -> list[ParsedError]:
    found: list[ParsedError] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(line):
            found.append(_record(kind, match))
    if found:
        kinds = {e.kind for e in found}
        if ErrorKind.CLIENT_NOT_VERIFIED in kinds and len(kinds) > 1:
            # etcd's `failed to verify client certificate: x509: …`: the inner cause explains it
            inner = tuple(k for k in kinds if k is not ErrorKind.CLIENT_NOT_VERIFIED)
            found = [
                replace(e, inner=(ErrorKind.CLIENT_NOT_VERIFIED,)) if e.kind in inner else e
                for e in found
                if e.kind is not ErrorKind.CLIENT_NOT_VERIFIED
            ]
        return found
    network = _NOT_CERTIFICATE.search(line)
    if network:
        return [ParsedError(ErrorKind.NOT_CERTIFICATE, network.group(0))]
    return []


def _record(kind: ErrorKind, match: re.Match[str]) -> ParsedError:
    groups = match.groupdict()
    quote = match.group(0).strip()
    if kind is ErrorKind.EXPIRED and match.lastindex:
        now, side, moment = match.group(1), groups["side"], match.group(3)
        if now and moment:
            real = ErrorKind.EXPIRED if side == "after" else ErrorKind.NOT_YET_VALID
            return ParsedError(real, quote, moment=_go_time(moment), now=_go_time(now))
    if kind is ErrorKind.BOOTSTRAP_EXPIRED:
        moment = datetime.strptime(groups["moment"], "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)
        path = groups["path"] or groups["path2"] or groups["path3"] or ""
        return ParsedError(kind, quote, moment=moment, path=path.rstrip(":"))
    if kind is ErrorKind.UNKNOWN_AUTHORITY:
        return ParsedError(kind, quote, authority=groups.get("authority") or "")
    if kind is ErrorKind.WRONG_NAME:
        names = tuple(n.strip() for n in (groups.get("names") or "").split(",") if n.strip())
        return ParsedError(kind, quote, valid_for=names, wanted=groups["wanted"].strip("[]"))
    if kind is ErrorKind.NO_IP_SANS:
        return ParsedError(kind, quote, wanted=groups["wanted"].strip("[]"))
    if kind is ErrorKind.CN_NOT_ALLOWED:
        allowed = tuple(n for n in re.split(r"[\s,]+", groups.get("allowed") or "") if n)
        return ParsedError(kind, quote, cn=groups["cn"], allowed=allowed)
    return ParsedError(kind, quote)


def parse_errors(text: str) -> list[ParsedError]:
    """Every distinct error in `text`, in the order first seen (a log repeats one many times)."""
    seen: dict[tuple[object, ...], ParsedError] = {}
    # a pasted terminal may wrap a long line; journald escapes quotes as \"
    for line in re.sub(r'\\+"', '"', text).splitlines():
        for error in _parse_line(line):
            key = (
                error.kind,
                error.moment,
                error.authority,
                error.valid_for,
                error.wanted,
                error.cn,
            )
            seen.setdefault(key, error)
    return list(seen.values())
