"""ClusterSpec: the user's answers (cluster.toml), their validation, and TOML load/save.

Values are kept as the user typed them, so a screen can hold a wrong value while it is being
fixed; `validate()` turns them into problems that name the field path, the value and the fix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from wizard.bounds import InputRefused, bare, quote, quote_repr, read_limited
from wizard.catalog import PROFILE_NAMES, get_profile
from wizard.deploy import DeploySettings, deploy_from_dict, validate_deploy
from wizard.expiry import DurationError, parse_lifetime
from wizard.hosts import (
    Host,
    HostError,
    IPAddress,
    IPNetwork,
    first_service_ip,
    parse_host,
    parse_service_cidr,
)

Severity = Literal["error", "warning", "note"]

PROFILES = PROFILE_NAMES  # the catalogue's profile names
KUBELET_MODES = ("certificates", "bootstrap")
KEY_SIZES: dict[str, tuple[int, ...]] = {"rsa": (2048, 3072, 4096), "ecdsa": (256, 384)}
HOST_GROUPS = ("etcd", "masters", "registry", "vip", "extra")
SUBJECT_FIELDS = ("C", "ST", "L", "O", "OU")


class SpecError(ValueError):
    """cluster.toml could not be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Problem:
    """One validation finding, tied to a field path such as `hosts.vip[0]`."""

    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class HostLists:
    """The addresses and names the cluster's certificates must cover."""

    etcd: list[str] = field(default_factory=list)
    masters: list[str] = field(default_factory=list)
    registry: list[str] = field(default_factory=list)
    vip: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


@dataclass
class Network:
    """The service network, the cluster's DNS domain and the apiserver's secure port."""

    service_cidr: str = "10.254.0.0/16"
    cluster_domain: str = "cluster.local"
    apiserver_port: int = 6443


@dataclass
class Node:
    """A worker node (a master may be one too): the name it registers with and its address."""

    name: str = ""
    address: str = ""


@dataclass
class KubeconfigOptions:
    """How kubeconfigs refer to certificates: embedded (`*-data`) or by file path."""

    embed: bool = True


@dataclass
class Subject:
    """The subject names every certificate shares (the CSR's `names`)."""

    C: str = "CN"
    ST: str = "BeiJing"
    L: str = "BeiJing"
    O: str = "k8s"  # noqa: E741 - the X.509 attribute's own name
    OU: str = "System"

    def as_dict(self) -> dict[str, str]:
        """The five attributes in cfssl's order, empty ones included."""
        return {name: getattr(self, name) for name in SUBJECT_FIELDS}


@dataclass
class KeySpec:
    """The private key type for every certificate."""

    algo: str = "rsa"
    size: int = 2048


@dataclass
class Expiry:
    """Lifetimes as Go durations (cfssl's form)."""

    ca: str = "87600h"
    cert: str = "87600h"


@dataclass
class ClusterSpec:
    """Everything the user tells us about the cluster; the input of every other module."""

    profile: str = "classic"
    kubelet: str = "certificates"
    hosts: HostLists = field(default_factory=HostLists)
    network: Network = field(default_factory=Network)
    subject: Subject = field(default_factory=Subject)
    key: KeySpec = field(default_factory=KeySpec)
    expiry: Expiry = field(default_factory=Expiry)
    kubeconfig: KubeconfigOptions = field(default_factory=KubeconfigOptions)
    nodes: list[Node] = field(default_factory=list)
    deploy: DeploySettings = field(default_factory=DeploySettings)

    @classmethod
    def example(cls) -> ClusterSpec:
        """The guide's cluster: three etcd members, three masters, a registry, a VIP."""
        return cls(
            hosts=HostLists(
                etcd=["192.168.214.88", "192.168.214.89", "192.168.214.90"],
                masters=["192.168.214.200", "192.168.214.201", "192.168.214.202"],
                registry=["192.168.214.210"],
                vip=["192.168.214.100"],
                extra=["kube-api.wangdong.com"],
            )
        )

    # --- resolved values (only meaningful when validate() found no errors) ---

    def host_entries(self, group: str) -> list[Host]:
        """The valid entries of one host group, canonical and without duplicates."""
        seen: set[str] = set()
        result = []
        for text in getattr(self.hosts, group):
            try:
                host = parse_host(text)
            except HostError:
                continue
            if host.value not in seen:
                seen.add(host.value)
                result.append(host)
        return result

    def service_network(self) -> IPNetwork:
        """The parsed service CIDR."""
        return parse_service_cidr(self.network.service_cidr)

    def service_ip(self) -> IPAddress:
        """The first service IP: the ClusterIP of the `kubernetes` Service."""
        return first_service_ip(self.service_network())

    def ca_lifetime(self) -> timedelta:
        """The CA's lifetime."""
        return parse_lifetime(self.expiry.ca)

    def cert_lifetime(self) -> timedelta:
        """Every leaf certificate's lifetime."""
        return parse_lifetime(self.expiry.cert)

    def cluster_domain(self) -> str:
        """The cluster domain, lower case, without a trailing dot."""
        return self.network.cluster_domain.strip().rstrip(".").lower()

    # --- plain data ---

    def apiserver_url(self) -> str:
        """https://VIP:port — or the first master's when there is no VIP."""
        hosts = self.host_entries("vip") or self.host_entries("masters")
        host = hosts[0] if hosts else None
        address = host.value if host else "127.0.0.1"
        if host and host.kind.value == "IPv6":
            address = f"[{address}]"
        return f"https://{address}:{self.network.apiserver_port}"

    def to_dict(self) -> dict[str, Any]:
        """The cluster.toml document as plain data (newer keys only when not at defaults)."""
        network: dict[str, Any] = {
            "service_cidr": self.network.service_cidr,
            "cluster_domain": self.network.cluster_domain,
        }
        if self.network.apiserver_port != Network().apiserver_port:
            network["apiserver_port"] = self.network.apiserver_port
        data: dict[str, Any] = {"profile": self.profile}
        if self.kubelet != ClusterSpec().kubelet:
            data["kubelet"] = self.kubelet
        data |= {
            "hosts": {group: list(getattr(self.hosts, group)) for group in HOST_GROUPS},
            "network": network,
            "subject": self.subject.as_dict(),
            "key": {"algo": self.key.algo, "size": self.key.size},
            "expiry": {"ca": self.expiry.ca, "cert": self.expiry.cert},
        }
        if self.kubeconfig != KubeconfigOptions():
            data["kubeconfig"] = {"embed": self.kubeconfig.embed}
        if self.nodes:
            data["nodes"] = [{"name": n.name, "address": n.address} for n in self.nodes]
        if not self.deploy.is_default():
            data["deploy"] = self.deploy.to_dict()
        return data

    def host_addresses(self) -> list[str]:
        """Every address of a host files go to: etcd members, masters, nodes, registries."""
        addresses = [h.value for g in ("etcd", "masters", "registry") for h in self.host_entries(g)]
        for node in self.nodes:
            try:
                addresses.append(parse_host(node.address).value)
            except HostError:
                continue
        return list(dict.fromkeys(addresses))


# --- validation ------------------------------------------------------------------------------


def validate(spec: ClusterSpec) -> list[Problem]:
    """Every problem in the spec, errors and warnings, in the order of the file."""
    problems: list[Problem] = []
    if spec.profile not in PROFILES:
        problems.append(
            Problem(
                "profile",
                f"{quote(spec.profile)} is not a profile — use one of: {', '.join(PROFILES)}",
            )
        )
    if spec.kubelet not in KUBELET_MODES:
        problems.append(
            Problem(
                "kubelet",
                f"{quote(spec.kubelet)} is not a kubelet mode — use "
                '"certificates" (one per node) or "bootstrap" (a TLS-bootstrap token)',
            )
        )
    problems += validate_hosts(spec.hosts)
    problems += validate_network(spec.network)
    problems += _validate_hosts_against_network(spec)
    problems += validate_nodes(spec.nodes)
    problems += _validate_nodes_for_profile(spec)
    problems += validate_subject(spec.subject)
    problems += validate_key(spec.key)
    problems += validate_expiry(spec.expiry)
    problems += [
        Problem(path, text) for path, text in validate_deploy(spec.deploy, spec.host_addresses())
    ]
    return problems


def _validate_nodes_for_profile(spec: ClusterSpec) -> list[Problem]:
    """Nodes the profile ignores, or a profile that wants nodes and has none."""
    if spec.profile not in PROFILE_NAMES:
        return []  # reported as an unknown profile
    profile = get_profile(spec.profile)
    if not profile.makes_per_node_files and spec.nodes:
        return [
            Problem(
                "nodes",
                f"the {profile.name} profile makes no per-node files, so these "
                f"{len(spec.nodes)} nodes are left out — choose the complete or kubeadm "
                "profile for kubelet certificates and kubeconfigs",
                "warning",
            )
        ]
    wants_nodes = profile.makes_per_node_files and spec.kubelet == "certificates"
    if wants_nodes and not spec.nodes:
        return [
            Problem(
                "nodes",
                "no [[nodes]]: no kubelet certificate or kubeconfig is made — list the nodes "
                '(masters may be nodes too), or set kubelet = "bootstrap"',
                "note",
            )
        ]
    return []


def errors_of(problems: list[Problem]) -> list[Problem]:
    """Only the problems that block generation."""
    return [p for p in problems if p.severity == "error"]


def validate_host_entry(group: str, index: int, text: str) -> Problem | None:
    """The problem with one host entry, or None; used by the screens as the user types."""
    try:
        host = parse_host(text)
    except HostError as error:
        return Problem(f"hosts.{group}[{index}]", str(error))
    if host.note:
        return Problem(f"hosts.{group}[{index}]", f"{quote(text)} {host.note}", "note")
    return None


def validate_hosts(hosts: HostLists) -> list[Problem]:
    """Problems of the host lists: unusable entries, duplicates, no masters."""
    problems: list[Problem] = []
    for group in HOST_GROUPS:
        entries = getattr(hosts, group)
        if len(entries) > MAX_HOST_ENTRIES:
            problems.append(
                Problem(
                    f"hosts.{group}",
                    f"lists {len(entries):,} entries — at most {MAX_HOST_ENTRIES:,}: every one "
                    "goes into a certificate, and no cluster needs so many; list its own hosts",
                )
            )
            continue
        seen: dict[str, int] = {}
        for index, text in enumerate(entries):
            problem = validate_host_entry(group, index, text)
            if problem:
                problems.append(problem)
            if problem and problem.severity == "error":
                continue
            value = parse_host(text).value
            if value in seen:
                problems.append(
                    Problem(
                        f"hosts.{group}[{index}]",
                        f"{quote(text)} repeats hosts.{group}[{seen[value]}] — it is kept once",
                        "warning",
                    )
                )
            else:
                seen[value] = index
    if not hosts.masters:
        problems.append(
            Problem(
                "hosts.masters",
                "is empty — list the address of every kube-apiserver host (at least one)",
            )
        )
    if not hosts.etcd:
        problems.append(
            Problem(
                "hosts.etcd",
                "is empty — etcd's addresses will not be in the certificate; list the etcd "
                "members unless etcd serves no TLS",
                "warning",
            )
        )
    for index, text in enumerate(hosts.vip[:MAX_HOST_ENTRIES]):
        try:
            host = parse_host(text)
        except HostError:
            continue
        if not host.is_ip:
            problems.append(
                Problem(
                    f"hosts.vip[{index}]",
                    f"{quote(text)} is a name — the VIP list holds load-balancer addresses; put "
                    "DNS names in hosts.extra",
                    "warning",
                )
            )
    return problems


def parse_node_lines(text: str) -> list[Node]:
    """Nodes typed one per line as `name address` (or `name=address`, `name,address`).

    A line with one word becomes a node without an address, so validation can say what is
    missing; blank lines are skipped.
    """
    nodes = []
    for line in text.splitlines():
        words = [w for w in re.split(r"[\s=,;]+", line.strip()) if w]
        if not words:
            continue
        nodes.append(Node(words[0], " ".join(words[1:])))
    return nodes


def format_node_lines(nodes: list[Node]) -> str:
    """The inverse of parse_node_lines: one `name address` per line."""
    return "\n".join(f"{node.name} {node.address}".strip() for node in nodes)


MAX_NODE_NAME = 64 - len("system:node:")
# A DNS-1123 subdomain, as the API server validates Node names (fullmatch: `$` would let a
# trailing newline through).
_NODE_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
_NODE_NAME = re.compile(rf"{_NODE_LABEL}(\.{_NODE_LABEL})*")
MAX_NODES = 5000  # the largest cluster Kubernetes supports
MAX_HOST_ENTRIES = 1000  # per list; a certificate with more SANs is no cluster's


_NODE_NAME_CHARS = re.compile(r"[a-z0-9.-]+")


def _node_name_reason(name: str) -> str:
    """Why a name of the right characters is still not a node name."""
    if ".." in name or name.startswith(".") or name.endswith("."):
        what = "has an empty part (two dots in a row, or a dot at an end)"
    else:
        what = 'has a part between dots that starts or ends with "-"'
    return (
        f"{quote(name)} {what} — Kubernetes refuses such a node name; write it as the kubelet "
        "registers (hostname or --hostname-override), e.g. node-1 or node-1.example.com"
    )


def validate_nodes(nodes: list[Node]) -> list[Problem]:
    """Problems of the node list: names as Kubernetes accepts them, usable addresses, no repeats."""
    problems: list[Problem] = []
    if len(nodes) > MAX_NODES:
        return [
            Problem(
                "nodes",
                f"lists {len(nodes):,} nodes — Kubernetes supports at most {MAX_NODES:,} in one "
                "cluster; list the cluster's own nodes",
            )
        ]
    names: dict[str, int] = {}
    addresses: dict[str, int] = {}
    for index, node in enumerate(nodes):
        path = f"nodes[{index}]"
        if len(node.name or "") > MAX_NODE_NAME:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"{quote(node.name)} is {len(node.name)} characters — the kubelet's "
                    "certificate names it system:node:<name>, and a CN holds at most 64, so "
                    f"at most {MAX_NODE_NAME}",
                )
            )
        elif not _NODE_NAME.fullmatch(node.name or ""):
            problems.append(
                Problem(
                    f"{path}.name",
                    _node_name_reason(node.name)
                    if node.name and _NODE_NAME_CHARS.fullmatch(node.name)
                    else f'{quote(node.name)} is not a node name — lower-case letters, digits, "-" '
                    f'and ".", '
                    "exactly as the kubelet registers (hostname or --hostname-override)",
                )
            )
        elif node.name in names:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"{quote(node.name)} repeats nodes[{names[node.name]}] — node names are unique",
                )
            )
        else:
            names[node.name] = index
        if isinstance(node.address, str) and not node.address.strip():
            problems.append(
                Problem(
                    f"{path}.address",
                    f"node {quote(node.name)} has no address — write its IP address (one node "
                    "a line: NAME ADDRESS, e.g. node-1 192.168.214.101)",
                )
            )
            continue
        try:
            host = parse_host(node.address)
        except HostError as error:
            problems.append(Problem(f"{path}.address", str(error)))
        else:
            if not host.is_ip:
                problems.append(
                    Problem(
                        f"{path}.address",
                        f"{quote(node.address)} is a name — write the node's "
                        "IP address; its name is already in the certificate",
                    )
                )
            elif host.value in addresses:
                problems.append(
                    Problem(
                        f"{path}.address",
                        f"{quote(node.address)} repeats nodes[{addresses[host.value]}] — each node "
                        "has its own address (its files go to that host)",
                    )
                )
            else:
                addresses[host.value] = index
    return problems


SERVICE_NAME_PREFIX = "kubernetes.default.svc."  # the longest service name in the apiserver cert
MAX_CLUSTER_DOMAIN = 253 - len(SERVICE_NAME_PREFIX)


def validate_network(network: Network) -> list[Problem]:
    """Problems of the service CIDR, the cluster domain and the apiserver port."""
    problems: list[Problem] = []
    port = network.apiserver_port
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(
            Problem(
                "network.apiserver_port",
                f"{quote_repr(port)} is not a port — use 1-65535, e.g. 6443",
            )
        )
    try:
        parse_service_cidr(network.service_cidr)
    except HostError as error:
        problems.append(Problem("network.service_cidr", str(error)))
    domain = network.cluster_domain
    try:
        host = parse_host(domain) if domain.strip() else None
    except HostError as error:
        problems.append(Problem("network.cluster_domain", str(error)))
    else:
        if host is None:
            problems.append(
                Problem(
                    "network.cluster_domain",
                    '"" is empty — write the kubelet\'s clusterDomain, usually cluster.local',
                )
            )
        elif host.is_ip:
            problems.append(
                Problem(
                    "network.cluster_domain",
                    f"{quote(domain)} is an address — write a DNS domain such as cluster.local",
                )
            )
        elif host.value.startswith("*"):
            problems.append(
                Problem(
                    "network.cluster_domain",
                    f"{quote(domain)} has a wildcard — write cluster.local",
                )
            )
        elif len(host.value) > MAX_CLUSTER_DOMAIN:
            problems.append(
                Problem(
                    "network.cluster_domain",
                    f"{quote(domain)} is {len(host.value)} characters — the apiserver "
                    f"certificate names {SERVICE_NAME_PREFIX}<domain>, and a DNS name holds at "
                    f"most 253, so at most {MAX_CLUSTER_DOMAIN}; write e.g. cluster.local",
                )
            )
    return problems


def _validate_hosts_against_network(spec: ClusterSpec) -> list[Problem]:
    try:
        network = spec.service_network()
    except HostError:
        return []
    problems = []
    for group in ("vip", "masters", "etcd", "registry"):
        for index, text in enumerate(getattr(spec.hosts, group)[:MAX_HOST_ENTRIES]):
            try:
                host = parse_host(text)
            except HostError:
                continue
            if host.is_ip and host.ip().version == network.version and host.ip() in network:
                severity: Severity = "error" if group == "vip" else "warning"
                problems.append(
                    Problem(
                        f"hosts.{group}[{index}]",
                        f"{quote(text)} lies inside the service CIDR {network} — service IPs are "
                        "virtual; use the host's real address, or choose another service CIDR",
                        severity,
                    )
                )
    return problems


def _is_control(character: str) -> bool:
    """C0 and C1 controls (tab, newline, NEL, CSI, …), line and paragraph separators and the
    bidirectional overrides: each would reshape or hide text in every certificate's subject."""
    code = ord(character)
    return (
        unicodedata.category(character) in ("Cc", "Zl", "Zp")
        or 0x202A <= code <= 0x202E
        or 0x2066 <= code <= 0x2069
        or code == 0xFEFF
    )


def validate_subject(subject: Subject) -> list[Problem]:
    """Problems of the subject names."""
    problems = []
    for name in SUBJECT_FIELDS:
        value = getattr(subject, name)
        if not isinstance(value, str):
            problems.append(
                Problem(f"subject.{name}", f"{quote_repr(value)} is not text — write it in quotes")
            )
            continue
        if any(c.isspace() and not _is_control(c) for c in value[:1] + value[-1:]):
            problems.append(
                Problem(f"subject.{name}", f"{quote(value)} has spaces at its ends — remove them")
            )
        if len(value) > 64:
            problems.append(
                Problem(
                    f"subject.{name}", f"{quote(value)} is longer than 64 characters — shorten it"
                )
            )
        if any(_is_control(character) for character in value):
            problems.append(
                Problem(
                    f"subject.{name}",
                    f"{quote_repr(value)} holds a control character (a tab, a line break, …) — "
                    "certificates would carry it into every subject; remove it",
                )
            )
    group = subject.O
    if isinstance(group, str) and group.startswith("system:"):
        problems.append(
            Problem(
                "subject.O",
                f"{quote(group)} is a Kubernetes system group — O is the group of kube-proxy "
                "and the apiserver's kubelet client, so they would get its rights (system:masters: "
                'cluster-admin); use your own, e.g. "k8s" (admin.pem gets system:masters '
                "anyway)",
            )
        )
    country = subject.C
    if (
        isinstance(country, str)
        and country
        and not (len(country) == 2 and country.isascii() and country.isupper())
    ):
        problems.append(
            Problem(
                "subject.C",
                f"{quote(country)} is not a two-letter country code in capitals — write one "
                "such as CN, US or DE, or leave it empty",
            )
        )
    return problems


def validate_key(key: KeySpec) -> list[Problem]:
    """Problems of the key algorithm and size."""
    if key.algo not in KEY_SIZES:
        return [Problem("key.algo", f'{quote(key.algo)} is not supported — use "rsa" or "ecdsa"')]
    sizes = KEY_SIZES[key.algo]
    if isinstance(key.size, bool) or not isinstance(key.size, int) or key.size not in sizes:
        allowed = ", ".join(str(s) for s in sizes)
        return [
            Problem(
                "key.size",
                f"{quote_repr(key.size)} is not a {key.algo} key size — use one of: {allowed}",
            )
        ]
    return []


def validate_expiry(expiry: Expiry) -> list[Problem]:
    """Problems of the lifetimes, including a leaf that would outlive its CA."""
    problems = []
    lifetimes: dict[str, timedelta] = {}
    for name in ("ca", "cert"):
        try:
            lifetimes[name] = parse_lifetime(getattr(expiry, name))
        except DurationError as error:
            problems.append(Problem(f"expiry.{name}", str(error)))
    if len(lifetimes) == 2 and lifetimes["cert"] > lifetimes["ca"]:
        problems.append(
            Problem(
                "expiry.cert",
                f"{quote(expiry.cert)} is longer than the CA's {quote(expiry.ca)} — a "
                "certificate must not outlive the CA that signed it; shorten it or lengthen "
                "expiry.ca",
            )
        )
    return problems


# --- TOML ------------------------------------------------------------------------------------

_SECTIONS: dict[str, type] = {
    "hosts": HostLists,
    "network": Network,
    "subject": Subject,
    "key": KeySpec,
    "expiry": Expiry,
    "kubeconfig": KubeconfigOptions,
}
_TOP_LEVEL = ("profile", "kubelet", *_SECTIONS, "nodes", "deploy")


def spec_from_dict(data: dict[str, Any], source: str = "cluster.toml") -> ClusterSpec:
    """Build a spec from parsed TOML; unknown keys and wrong types raise SpecError naming them."""
    spec = ClusterSpec()
    messages = []
    for key, value in data.items():
        if key in ("profile", "kubelet"):
            if isinstance(value, str):
                setattr(spec, key, value)
            else:
                current = getattr(spec, key)
                messages.append(
                    f'{key}: {quote_repr(value)} is not text — write {key} = "{current}"'
                )
            continue
        if key == "nodes":
            spec.nodes = _nodes_from(value, messages)
            continue
        if key == "deploy":
            spec.deploy = deploy_from_dict(value, messages)
            continue
        if key not in _SECTIONS:
            messages.append(f"{bare(key)}: unknown key — the file has {', '.join(_TOP_LEVEL)}")
            continue
        if not isinstance(value, dict):
            messages.append(f"{key}: should be a table — write [{key}] on a line of its own")
            continue
        section = getattr(spec, key)
        known = {f.name: f for f in fields(section)}
        for name, item in value.items():
            path = f"{key}.{bare(name)}"
            if name not in known:
                messages.append(f"{path}: unknown key — {key} has {', '.join(known)}")
                continue
            expected = _expected_type(section, name)
            if expected is list:
                if not isinstance(item, list) or not all(isinstance(x, str) for x in item):
                    messages.append(f'{path}: should be a list of strings, e.g. ["10.0.0.1"]')
                    continue
                item = list(item)
            elif expected is bool:
                if not isinstance(item, bool):
                    messages.append(f"{path}: {quote_repr(item)} should be true or false")
                    continue
            elif expected is int:
                if isinstance(item, bool) or not isinstance(item, int):
                    example = getattr(section, name)
                    messages.append(
                        f"{path}: {quote_repr(item)} should be a whole number, e.g. {example}"
                    )
                    continue
            elif not isinstance(item, str):
                messages.append(
                    f"{path}: {quote_repr(item)} should be text in quotes, e.g. "
                    f'"{getattr(section, name)}"'
                )
                continue
            setattr(section, name, item)
    if messages:
        raise SpecError(f"{source}: " + f"\n{source}: ".join(messages))
    return spec


def _nodes_from(value: object, messages: list[str]) -> list[Node]:
    if not isinstance(value, list):
        messages.append("nodes: should be a list of tables — write [[nodes]] with name and address")
        return []
    nodes = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            messages.append(f"nodes[{index}]: should be a table with name and address")
            continue
        unknown = sorted(set(item) - {"name", "address"})
        if unknown:
            messages.append(
                f"nodes[{index}].{bare(unknown[0])}: unknown key — a node has name, address"
            )
        name, address = item.get("name", ""), item.get("address", "")
        if not isinstance(name, str) or not isinstance(address, str):
            messages.append(f"nodes[{index}]: name and address should be text in quotes")
            continue
        nodes.append(Node(name, address))
    return nodes


def _expected_type(section: object, name: str) -> type:
    default = getattr(type(section)(), name)
    return type(default)


def load_spec(path: str | Path) -> ClusterSpec:
    """Read cluster.toml; unreadable files and TOML errors raise SpecError in one sentence."""
    path = Path(path)
    shown = bare(str(path), 300)  # a path typed with a NUL or a line break stays one line
    try:
        text = read_limited(path, what="cluster.toml").decode("utf-8-sig")  # Notepad's BOM is fine
    except FileNotFoundError:
        raise SpecError(
            f"{shown}: no such file — create one with `k8s-cert-wizard init -o {shown}`"
        ) from None
    except IsADirectoryError:
        raise SpecError(f"{shown}: is a directory — give the path of a cluster.toml file") from None
    except PermissionError:
        raise SpecError(f"{shown}: permission denied — check the file's mode and owner") from None
    except OSError as error:
        raise SpecError(f"{shown}: cannot be read ({error.strerror or error})") from None
    except InputRefused as error:
        raise SpecError(f"{shown}: {error}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{shown}: is not UTF-8 text — save it as UTF-8") from None
    import tomllib  # only when a cluster file is read: not at start-up

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        hint = ""
        if str(error).startswith("Cannot overwrite a value") or "Cannot declare" in str(error):
            hint = "a key or [section] is given twice — keep one; "
        raise SpecError(
            f"{shown}: not valid TOML ({error}) — {hint}compare with `k8s-cert-wizard init`"
        ) from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise SpecError(
            f"{shown}: arrays or inline tables nested hundreds deep — not read; a cluster.toml "
            "nests at most two levels, compare with `k8s-cert-wizard init`"
        ) from None
    return spec_from_dict(data, shown)


def dump_spec(spec: ClusterSpec) -> str:
    """The spec as cluster.toml text."""
    import tomli_w  # only when saving: not at start-up

    return tomli_w.dumps(spec.to_dict())


def save_spec(spec: ClusterSpec, path: str | Path) -> None:
    """Write the spec as cluster.toml (the caller decides about overwriting)."""
    Path(path).write_text(dump_spec(spec), encoding="utf-8")


def example_toml() -> str:
    """The guide's cluster as a commented cluster.toml."""
    return EXAMPLE_TOML


EXAMPLE_TOML = """\
# cluster.toml — the answers k8s-cert-wizard needs to make a cluster's certificates.
# This example is the cluster of the guide "Kubernetes 之 二进制安装(二) 证书详解".
# Check it with `k8s-cert-wizard csr -c cluster.toml -o DIR`, then `generate`.

# classic: the guide's one CA and four key pairs (ca, kubernetes, admin, kube-proxy).
# complete: one CA and everything Kubernetes 1.20+ needs (kubeconfigs, service-account key,
#           per-node kubelet certificates); kubeadm: kubeadm's three CAs and pki/ tree.
profile = "classic"
# kubelet = "certificates"   # complete/kubeadm: per-node certificates, or "bootstrap" (a token)

[hosts]
# Single addresses or DNS names only — never a network like 192.168.214.1/24.
etcd     = ["192.168.214.88", "192.168.214.89", "192.168.214.90"]
masters  = ["192.168.214.200", "192.168.214.201", "192.168.214.202"]
registry = ["192.168.214.210"]
vip      = ["192.168.214.100"]          # load balancer / keepalived address of the apiservers
extra    = ["kube-api.wangdong.com"]    # more names for the apiserver certificate

[network]
# kube-apiserver --service-cluster-ip-range; its first address (10.254.0.1) goes into the SANs.
service_cidr   = "10.254.0.0/16"
cluster_domain = "cluster.local"       # kubelet clusterDomain

[subject]
# O is the group Kubernetes sees (admin's O is always system:masters).
C  = "CN"
ST = "BeiJing"
L  = "BeiJing"
O  = "k8s"
OU = "System"

[key]
algo = "rsa"     # rsa | ecdsa
size = 2048      # rsa: 2048, 3072, 4096 — ecdsa: 256, 384

[expiry]
# Go durations as cfssl reads them: hours only (87600h = 3650 days).
ca   = "87600h"
cert = "87600h"
"""
