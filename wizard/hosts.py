"""Host entries: classify what a user typed as an IP address or a DNS name, or say why not.

cfssl turns every `hosts` entry that is not an IP or an e-mail address into a DNS SAN verbatim, so
the guide's `192.168.214.1/24` silently becomes a useless name. Here every entry is classified, and
anything that is not a usable SAN is refused with a message that says how to fix it.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from typing import NoReturn

from wizard.bounds import quote, quote_repr

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_PORT_SUFFIX = re.compile(r"^(?P<host>[^:]+):(?P<port>\d{1,5})$")
_BRACKETED = re.compile(r"^\[(?P<host>[^\]]+)\](:(?P<port>\d{1,5}))?$")


class HostKind(enum.Enum):
    """What a host entry is."""

    IPV4 = "IPv4"
    IPV6 = "IPv6"
    DNS = "DNS"


class HostError(ValueError):
    """A host entry that cannot be a SAN; the message says why and how to fix it."""


@dataclass(frozen=True)
class Host:
    """One classified host entry: its canonical text, its kind and an optional note for the user."""

    value: str
    kind: HostKind
    note: str = ""

    @property
    def is_ip(self) -> bool:
        """True for IPv4 and IPv6 addresses."""
        return self.kind is not HostKind.DNS

    def ip(self) -> IPAddress:
        """The address as an `ipaddress` object (only for IP hosts)."""
        return ipaddress.ip_address(self.value)


def parse_host(text: str) -> Host:
    """Classify one host entry, or raise HostError saying what is wrong and how to fix it."""
    if not isinstance(text, str):
        raise HostError(
            f"{quote_repr(text)} is not text — write an IP address or a DNS name in quotes"
        )
    raw = text
    text = text.strip()
    if not text:
        raise HostError('"" is empty — write an IP address or a DNS name, or remove the entry')
    if any(ch.isspace() for ch in text):
        raise HostError(f"{quote(raw)} contains spaces — put each address in its own entry")
    if "://" in text:
        inner = text.split("://", 1)[1].split("/", 1)[0]
        return _refuse(text, "is a URL, not a host", _suggest(inner))
    if "/" in text:
        return _refuse_slash(text)
    if "%" in text:
        zoneless = text.split("%", 1)[0]
        return _refuse(
            text,
            "has a zone index (%…), which a certificate cannot hold",
            _suggest(zoneless),
        )
    bracketed = _BRACKETED.match(text)
    if bracketed:
        inner = bracketed.group("host")
        what = "has a port" if bracketed.group("port") else "is written in brackets"
        return _refuse(text, f"{what}, which a certificate cannot hold", _suggest(inner))
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        kind = HostKind.IPV4 if address.version == 4 else HostKind.IPV6
        canonical = str(address)
        if address.is_unspecified:
            raise HostError(
                f"{quote(text)} is the unspecified address (every interface), which no client "
                "connects to — write the host's own address"
            )
        note = "" if canonical == text else f"written as {canonical}"
        return Host(canonical, kind, note)
    ported = _PORT_SUFFIX.match(text)
    if ported:
        return _refuse(
            text,
            "has a port, which a certificate cannot hold (the port goes in the server URL)",
            _suggest(ported.group("host")),
        )
    if "@" in text:
        raise HostError(
            f"{quote(text)} is an e-mail address — Kubernetes certificates need IP addresses or "
            "DNS names"
        )
    numeric = _numeric_problem(text)
    if numeric:
        raise HostError(numeric)
    return _parse_dns_name(text)


def _parse_dns_name(text: str) -> Host:
    name = text[:-1] if text.endswith(".") else text
    folded = name.lower()
    note = ""
    if folded != name:
        note = f"folded to lower case: {folded}"
    if len(folded) > 253:
        raise HostError(f"{quote(text)} is longer than 253 characters, the limit for a DNS name")
    labels = folded.split(".")
    for index, label in enumerate(labels):
        if label == "*" and index == 0 and len(labels) > 2:
            continue
        if not label:
            raise HostError(
                f"{quote(text)} has an empty label (two dots in a row, or a leading dot)"
            )
        if len(label) > 63:
            raise HostError(f"{quote(text)}: the label {quote(label)} is longer than 63 characters")
        if not _LABEL.match(label):
            bad = sorted({ch for ch in label if not (ch.isascii() and (ch.isalnum() or ch == "-"))})
            if bad:
                shown = " ".join(repr(ch) for ch in bad)
                reason = f"contains {shown}; DNS names use only letters, digits, '-' and '.'"
            else:
                reason = f'the label {quote(label)} starts or ends with "-"'
            raise HostError(f"{quote(text)} is not a valid DNS name: {reason}")
    return Host(folded, HostKind.DNS, note)


def _refuse_slash(text: str) -> NoReturn:
    try:
        network = ipaddress.ip_interface(text)
    except ValueError:
        head = text.split("/", 1)[0]
        _refuse(text, "contains '/', which no host name or address has", _suggest(head))
    address = network.ip
    if network.network.prefixlen == network.network.max_prefixlen:
        _refuse(text, "is an address with a prefix length", f"write {address}")
    if address == network.network.network_address:
        raise HostError(
            f"{quote(text)} is a network, not an address — a certificate holds single addresses; "
            "list each host's address instead"
        )
    _refuse(text, "is a network, not an address", f"write {address}")


def _refuse(text: str, what: str, fix: str) -> NoReturn:
    raise HostError(f"{quote(text)} {what} — {fix}")


def _suggest(candidate: str) -> str:
    try:
        host = parse_host(candidate)
    except HostError:
        return "write just the IP address or the DNS name"
    return f"write {host.value}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _numeric_problem(text: str) -> str:
    """What is wrong with digits and dots that are not an IPv4 address, or "" for other text.

    cfssl would take "192.168.1" for a DNS name; no DNS name ends in an all-digit label, so
    such an entry is always a mistyped address.
    """
    parts = text.removesuffix(".").split(".")
    if not _digits(parts[-1]):
        if any(ch.isdigit() and not ch.isascii() for ch in text):
            return (
                f"{quote(text)} holds digits other than 0-9, which no IP address or DNS name "
                "has — write it with 0-9"
            )
        return ""
    if text.endswith(".") and _is_ip(text[:-1]):
        return f"{quote(text)} ends in a dot — write {text[:-1]}"
    if not all(_digits(part) for part in parts):
        return (
            f"{quote(text)} ends in a number, which no DNS name does — write an IP address or "
            "a name"
        )
    if len(parts) != 4:
        return (
            f"{quote(text)} has {len(parts)} part{'s' if len(parts) > 1 else ''} — an IPv4 "
            "address has four, such as 192.168.1.10 (as a DNS name it would be useless)"
        )
    if all(len(part) <= 3 for part in parts) and any(
        len(part) > 1 and part.startswith("0") for part in parts
    ):
        fixed = ".".join(part.lstrip("0") or "0" for part in parts)
        return f"{quote(text)} has a leading zero, which IP addresses do not allow — write {fixed}"
    return f"{quote(text)} is not a valid IPv4 address — each of the four parts is 0-255"


def _digits(text: str) -> bool:
    """Only 0-9: str.isdigit also takes "²" and Arabic-Indic digits, which int() may refuse."""
    return text.isascii() and text.isdigit()


# --- the service network ---------------------------------------------------------------------


MAX_SERVICE_HOST_BITS = 20  # kube-apiserver: "specified --service-cluster-ip-range is too large"


def parse_service_cidr(text: str) -> IPNetwork:
    """Parse the service CIDR, refusing host bits and networks too small to hold a service IP."""
    text = text.strip() if isinstance(text, str) else text
    if not isinstance(text, str) or not text:
        raise HostError('"" is empty — write the service CIDR, e.g. 10.254.0.0/16')
    if "/" not in text:
        example = f"{text}/16" if _is_ip(text) else "10.254.0.0/16"
        raise HostError(
            f"{quote(text)} has no prefix length — write a network such as {example} "
            "(the same value as kube-apiserver's --service-cluster-ip-range)"
        )
    address_part, _, prefix = text.partition("/")
    if _is_ip(address_part):
        longest = ipaddress.ip_address(address_part).max_prefixlen
        if not _digits(prefix):
            raise HostError(
                f"{quote(text)}: the prefix length {quote(prefix)} is not a number — write "
                f"{address_part}/16 or another prefix from 0 to {longest}"
            )
        if len(prefix) > 3 or int(prefix) > longest:
            raise HostError(
                f"{quote(text)}: the prefix length /{prefix[:10]} is longer than {longest}, the "
                f"bits of an IPv{4 if longest == 32 else 6} address — write e.g. "
                + (f"{address_part}/16" if longest == 32 else f"{address_part}/112")
            )
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise HostError(
            f"{quote(text)} is not a network — write it as ADDRESS/PREFIX, e.g. 10.254.0.0/16"
        ) from None
    smallest_prefix = network.max_prefixlen - MAX_SERVICE_HOST_BITS
    if network.prefixlen < smallest_prefix:
        raise HostError(
            f"{quote(text)} is too large — kube-apiserver refuses a service range of more than "
            f"2^20 addresses; use a prefix of at least /{smallest_prefix}, e.g. "
            + ("10.254.0.0/16" if network.version == 4 else "fd00:10:96::/112")
        )
    if ipaddress.ip_interface(text).ip != network.network_address:
        raise HostError(f"{quote(text)} has host bits set — write {network} (the network address)")
    if network.num_addresses < 4:
        raise HostError(
            f"{quote(text)} is too small to hold a service IP — use a prefix of at most "
            f"/{network.max_prefixlen - 2}"
        )
    return network


def first_service_ip(cidr: str | IPNetwork) -> IPAddress:
    """The first usable address of the service CIDR: the `kubernetes` Service's ClusterIP."""
    network = parse_service_cidr(cidr) if isinstance(cidr, str) else cidr
    return network.network_address + 1


def split_host_list(text: str) -> list[str]:
    """Split pasted text into entries at spaces, commas, semicolons and newlines."""
    return [part for part in re.split(r"[\s,;]+", text) if part]
