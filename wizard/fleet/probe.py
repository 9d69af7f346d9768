"""`probe`: what each endpoint of the cluster serves, compared with the set's files.

Run from the jump host with plain TLS connections (no SSH, read-only): the apiserver on each
master and the VIP, etcd's client and peer ports, each node's kubelet, the controller-manager
and the scheduler — only the hosts of cluster.toml, at the ports the components listen on.
The served certificate is fetched without verification and then judged here: served ≠ file
(renewed but not restarted, naming the unit to restart), a SAN missing for the address
dialled, an issuer no CA of the set signed, a self-signed kubelet, an expired certificate.

A server that requires a client certificate (etcd's peer port, etcd with --client-cert-auth)
still shows its own: with TLS 1.3 the server's Certificate arrives before it asks for the
client's, and the client side of the handshake completes before the server's refusal; the
refusal comes on the first read, which is never made. Only the leaf is compared (Python 3.11's
ssl hands back the peer's leaf, not the chain it sent).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from wizard.catalog import Part, concrete_entries, file_of_part, get_profile
from wizard.distribution import plan_distribution
from wizard.fleet import PROBE_TIMEOUT
from wizard.fleet.inventory import certificates_in
from wizard.review import Finding, Review, ReviewedFile
from wizard.review.model import KIND_CERTIFICATE, CertFacts, Severity, worst_severity
from wizard.review.scan import cert_facts
from wizard.spec import ClusterSpec

DEFAULT_TIMEOUT = PROBE_TIMEOUT
DEFAULT_PARALLEL = 16
KUBELET_PORT = 10250
CONTROLLER_MANAGER_PORT = 10257
SCHEDULER_PORT = 10259
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380

SERVING_FLAGS: dict[tuple[str, str], str] = {
    ("kube-apiserver", "--tls-cert-file"): "apiserver",
    ("etcd", "--cert-file"): "etcd client",
    ("etcd", "--peer-cert-file"): "etcd peer",
    ("kubelet", "tlsCertFile:"): "kubelet",
    ("kube-controller-manager", "--tls-cert-file"): "controller-manager",
    ("kube-scheduler", "--tls-cert-file"): "scheduler",
}
"""The flag naming each endpoint's serving certificate, keyed by (component, flag)."""


@dataclass(frozen=True)
class Endpoint:
    """One address and port to dial, what listens there, and the set's file it should serve."""

    address: str
    port: int
    component: str
    purpose: str  # apiserver, etcd client, etcd peer, kubelet, controller-manager, scheduler
    node: str  # the host as reports name it: `10.0.0.21 (master-1)`, or `VIP 10.0.0.10`
    expected: tuple[str, ...] = ()  # sources in the output directory; () = its own cert

    @property
    def url(self) -> str:
        """https://address:port, with brackets for IPv6."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"https://{host}:{self.port}"

    @property
    def label(self) -> str:
        """`kube-apiserver https://10.0.0.21:6443`: the record's path in the report."""
        return f"{self.purpose} {self.url}"


def _ports(spec: ClusterSpec) -> dict[str, int]:
    return {
        "apiserver": spec.network.apiserver_port,
        "etcd client": ETCD_CLIENT_PORT,
        "etcd peer": ETCD_PEER_PORT,
        "kubelet": KUBELET_PORT,
        "controller-manager": CONTROLLER_MANAGER_PORT,
        "scheduler": SCHEDULER_PORT,
    }


_PURPOSES = {
    "kube-apiserver": ("apiserver",),
    "etcd": ("etcd client", "etcd peer"),
    "kubelet": ("kubelet",),
    "kube-controller-manager": ("controller-manager",),
    "kube-scheduler": ("scheduler",),
}


def endpoints_of(spec: ClusterSpec) -> list[Endpoint]:
    """Every endpoint the plan knows: per host, each serving component it runs; then the VIPs."""
    profile = get_profile(spec.profile)
    entries = concrete_entries(profile, spec)
    ports = _ports(spec)
    endpoints = []
    apiserver_files: list[str] = []
    for plan in plan_distribution(spec):
        node = f"{plan.address} ({plan.name})" if plan.name else plan.address
        for component in plan.components:
            for purpose in _PURPOSES.get(component, ()):
                files = []
                for entry in entries:
                    if entry.instance is not None and entry.instance.address != plan.address:
                        continue
                    for use in entry.used_by:
                        for flag, part in use.flags:
                            if SERVING_FLAGS.get((use.component, flag)) == purpose and (
                                use.component == component and part is Part.CERT
                            ):
                                files.append(file_of_part(entry, part, profile))
                files = list(dict.fromkeys(files))
                if purpose == "apiserver":
                    apiserver_files += files
                endpoints.append(
                    Endpoint(plan.address, ports[purpose], component, purpose, node, tuple(files))
                )
    for vip in spec.host_entries("vip"):
        endpoints.append(
            Endpoint(
                vip.value,
                ports["apiserver"],
                "kube-apiserver",
                "apiserver",
                f"VIP {vip.value}",
                tuple(dict.fromkeys(apiserver_files)),
            )
        )
    return endpoints


# --- one endpoint -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """What a TLS handshake gave: the leaf's DER, or the reason there is none, in words."""

    der: bytes | None
    error: str = ""
    version: str = ""


def fetch_served(address: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> Served:
    """Connect, handshake without verifying, and take the server's leaf certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw:
            try:
                ipaddress.ip_address(address)
                name = None  # no SNI for an address (RFC 6066)
            except ValueError:
                name = address
            with context.wrap_socket(raw, server_hostname=name) as tls:
                der = tls.getpeercert(binary_form=True)
                return Served(
                    der, "" if der else "the server sent no certificate", tls.version() or ""
                )
    except TimeoutError:
        return Served(None, f"unreachable: no answer within {timeout:g} s")
    except ConnectionRefusedError:
        return Served(None, "unreachable: connection refused — nothing listens on that port")
    except ssl.SSLError as error:
        reason = error.reason or str(error)
        return Served(None, f"no TLS handshake: {reason.lower().replace('_', ' ')}")
    except OSError as error:
        words = {
            errno.EHOSTUNREACH: "no route to host",
            errno.ENETUNREACH: "network unreachable",
            errno.ECONNRESET: "connection reset during the handshake",
        }.get(error.errno or 0, error.strerror or str(error))
        return Served(None, f"unreachable: {words}")


@dataclass
class EndpointProbe:
    """One endpoint's answer: the served certificate's facts and what is wrong with it."""

    endpoint: Endpoint
    served: Served
    facts: CertFacts | None = None
    findings: list[Finding] = field(default_factory=list)
    issued_by: str | None = None
    seconds: float = 0.0

    @property
    def worst(self) -> Severity | None:
        """The most severe finding, or None when the endpoint is clean."""
        return worst_severity(self.findings)


@dataclass(frozen=True)
class SetFiles:
    """The output directory's certificates by source, and its CAs, to judge served ones by."""

    certificates: dict[str, x509.Certificate]
    cas: tuple[tuple[str, x509.Certificate], ...]


def set_files(directory: Path, endpoints: Sequence[Endpoint]) -> SetFiles:
    """Read each expected file and every CA certificate at the top of the directory."""
    certificates: dict[str, x509.Certificate] = {}
    for source in sorted({s for e in endpoints for s in e.expected}):
        try:
            ders = certificates_in((directory / source).read_text(errors="replace"))
        except OSError:
            continue
        if ders:
            certificates[source] = x509.load_der_x509_certificate(ders[0])
    cas = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if relative.startswith("hosts/") or "backup" in relative or not path.is_file():
            continue
        if path.suffix not in (".pem", ".crt") or path.stat().st_size > 1 << 20:
            continue
        for der in certificates_in(path.read_text(errors="replace")):
            certificate = x509.load_der_x509_certificate(der)
            try:
                constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
            except x509.ExtensionNotFound:
                continue
            if constraints.value.ca:
                cas.append((relative, certificate))
    return SetFiles(certificates, tuple(cas))


def judge(
    endpoint: Endpoint, served: Served, files: SetFiles, unit: str, now: datetime
) -> EndpointProbe:
    """What is wrong with what one endpoint served."""
    probe = EndpointProbe(endpoint, served)

    def say(severity: Severity, check: str, message: str) -> None:
        probe.findings.append(Finding(endpoint.label, severity, check, message, endpoint.node))

    if served.der is None:
        say("error", "unreachable", served.error)
        return probe
    certificate = x509.load_der_x509_certificate(served.der)
    probe.facts = cert_facts(certificate, served.der)
    probe.issued_by = _issuer(certificate, files)
    expected = [files.certificates[s] for s in endpoint.expected if s in files.certificates]
    restart = f"systemctl restart {unit}"
    if endpoint.expected and not expected:
        say(
            "info",
            "not-in-directory",
            f"the output directory has no {', '.join(endpoint.expected)} to compare with",
        )
    elif expected and served.der not in [_der(c) for c in expected]:
        mine = expected[0]
        # The same subject, not newer than the file: the file was replaced (renewed) after the
        # process started, and the process serves what it read then. (notBefore has whole
        # minutes: a renewal in the same minute starts at the same time.)
        if certificate.subject == mine.subject and (
            certificate.not_valid_before_utc <= mine.not_valid_before_utc
        ):
            say(
                "error",
                "served-not-file",
                f"served ≠ file: renewed but not restarted — it still serves the certificate "
                f"from {certificate.not_valid_before_utc:%Y-%m-%d %H:%M}, the set's "
                f"{endpoint.expected[0]} is from {mine.not_valid_before_utc:%Y-%m-%d %H:%M}; "
                f"restart {unit} on {_host_of(endpoint)} ({restart}) — or, if the host still "
                "has the old file, distribute first (check says which)",
            )
        else:
            say(
                "error",
                "served-not-file",
                f"served ≠ file: it serves {certificate.subject.rfc4514_string()} (from "
                f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M}), not the set's "
                f"{endpoint.expected[0]} — distribute, then restart {unit}",
            )
    own = probe.issued_by is None and (
        certificate.subject == certificate.issuer or "-ca@" in certificate.issuer.rfc4514_string()
    )  # a component's self-made certificate: self-signed, or signed by its in-memory CA
    if (endpoint.expected or endpoint.component == "kubelet") and not _covers(
        certificate, endpoint.address
    ):
        say(
            "error",
            "san-missing",
            f"the certificate served does not name {endpoint.address}, the address dialled: "
            "clients that dial it refuse the connection — add it to cluster.toml and renew",
        )
    if own and endpoint.component == "kubelet":
        say(
            "warning",
            "self-signed-kubelet",
            "the kubelet serves a self-signed certificate: kube-apiserver cannot verify it "
            "(logs, exec and port-forward go unverified) — give it the set's serving "
            "certificate (tlsCertFile) or turn on serverTLSBootstrap",
        )
    elif probe.issued_by is None and not endpoint.expected:
        say(
            "info",
            "own-certificate",
            f"{endpoint.component} serves a certificate it made itself (the plan gives it "
            "none: no --tls-cert-file)",
        )
    elif probe.issued_by is None:
        say(
            "error",
            "untrusted-issuer",
            f"issued by {certificate.issuer.rfc4514_string()}, which no CA of the set signs "
            "with: clients trusting the set's bundles refuse it",
        )
    if certificate.not_valid_after_utc < now:
        say(
            "error",
            "expired",
            f"the served certificate expired {certificate.not_valid_after_utc:%Y-%m-%d} — "
            f"renew, distribute and {restart}",
        )
    return probe


def _host_of(endpoint: Endpoint) -> str:
    if endpoint.node.startswith("VIP "):
        return "every master behind the VIP"
    return endpoint.node


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _issuer(certificate: x509.Certificate, files: SetFiles) -> str | None:
    for source, ca in files.cas:
        if ca.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(ca)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return source
    return None


def _covers(certificate: x509.Certificate, address: str) -> bool:
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        wanted = address.lower().rstrip(".")
        for name in sans.get_values_for_type(x509.DNSName):
            name = name.lower().rstrip(".")
            if name == wanted or (
                name.startswith("*.") and wanted.split(".", 1)[-1] == name[2:] and "." in wanted
            ):
                return True
        return False
    return ip in sans.get_values_for_type(x509.IPAddress)


# --- every endpoint ----------------------------------------------------------------------------


@dataclass
class FleetProbe:
    """Every endpoint's probe, and the same as one Review for review's outputs."""

    endpoints: list[EndpointProbe]
    review: Review
    parallel: int
    seconds: float


def select_endpoints(endpoints: list[Endpoint], only: Sequence[str] = ()) -> list[Endpoint]:
    """The endpoints of the hosts named by --hosts (address, name or VIP address); raises
    ValueError naming an unknown one."""
    if not only:
        return endpoints
    chosen = []
    for wanted in only:
        match = [e for e in endpoints if wanted == e.address or e.node.endswith(f"({wanted})")]
        if not match:
            known = ", ".join(dict.fromkeys(e.node for e in endpoints))
            raise ValueError(f"--hosts {wanted}: not a host of this cluster — hosts: {known}")
        chosen += [e for e in match if e not in chosen]
    return chosen


def probe_fleet(
    spec: ClusterSpec,
    directory: Path,
    *,
    only: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    parallel: int = DEFAULT_PARALLEL,
    on_done: Callable[[EndpointProbe], None] | None = None,
    cancel: threading.Event | None = None,
    now: datetime | None = None,
    fetch: Callable[[str, int, float], Served] = fetch_served,
) -> FleetProbe:
    """Probe every endpoint (of the hosts in `only`), at most `parallel` at once, each within
    `timeout` seconds. After a cancel no new endpoint is dialled; the skipped ones say so."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    endpoints = select_endpoints(endpoints_of(spec), only)
    files = set_files(directory, endpoints)
    results: dict[Endpoint, EndpointProbe] = {}

    def one(endpoint: Endpoint) -> EndpointProbe:
        begun = time.monotonic()
        served = fetch(endpoint.address, endpoint.port, timeout)
        probe = judge(endpoint, served, files, spec.deploy.unit_of(endpoint.component), now)
        probe.seconds = time.monotonic() - begun
        return probe

    queue = list(endpoints)
    width = max(1, min(parallel, len(endpoints) or 1))
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="probe") as pool:
        running: dict[Future[EndpointProbe], Endpoint] = {}
        while queue or running:
            while queue and len(running) < width and not (cancel and cancel.is_set()):
                endpoint = queue.pop(0)
                running[pool.submit(one, endpoint)] = endpoint
            if cancel is not None and cancel.is_set():
                for endpoint in queue:
                    results[endpoint] = judge(
                        endpoint, Served(None, "not probed: cancelled"), files, "", now
                    )
                queue.clear()
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED, timeout=0.2)
            for future in done:
                probe = future.result()
                results[running.pop(future)] = probe
                if on_done is not None:
                    on_done(probe)
    probes = [results[e] for e in endpoints]
    records = []
    for probe in probes:
        if probe.facts is None:
            continue
        record = ReviewedFile(
            probe.endpoint.label,
            KIND_CERTIFICATE,
            role=probe.endpoint.component,
            node=probe.endpoint.node,
            cert=probe.facts,
        )
        record.issued_by = probe.issued_by
        record.self_signed = probe.facts.self_issued and probe.issued_by is None
        records.append(record)
    findings = [f for p in probes for f in p.findings]
    rank = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: rank[f.severity])
    count = len(probes)
    root = f"{count} endpoint{'s' if count != 1 else ''}"
    review = Review(root, records, findings, now)
    return FleetProbe(probes, review, width, time.monotonic() - started)
