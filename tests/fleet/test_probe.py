"""probe: real TLS servers on loopback addresses, serving the set's own certificates (and
wrong ones), dialled by the product exactly as it dials a cluster."""

from __future__ import annotations

import json
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fleet.fleet_sets import FleetSet, make_set
from wizard.cli import main
from wizard.fleet.probe import endpoints_of, fetch_served, probe_fleet

# loopback: every 127/8 address is this machine's; one network per xdist worker, so two
# workers' servers never want the same address and port
NET = f"127.77.{10 + int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0').removeprefix('gw'))}"
M1, E1, N1, N2, VIP = f"{NET}.21", f"{NET}.11", f"{NET}.31", f"{NET}.32", f"{NET}.10"
ANSWERED = 60
"""Seconds a probe may take where every endpoint answers: a safety net, never reached when the
test passes. Two seconds were: 18 handshakes against servers in this process's threads, on a
loaded machine, can take that long, and a slow answer was then "unreachable"."""


class TlsServer:
    """A TLS listener on (address, port) that completes handshakes and closes."""

    def __init__(self, address: str, port: int, cert: bytes, key: bytes, *,
                 client_ca: Path | None = None, work: Path) -> None:  # fmt: skip
        cert_file, key_file = work / f"{address}-{port}.pem", work / f"{address}-{port}.key"
        cert_file.write_bytes(cert)
        key_file.write_bytes(key)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        if client_ca is not None:  # etcd's peer port: a client certificate or nothing
            self.context.verify_mode = ssl.CERT_REQUIRED
            self.context.load_verify_locations(client_ca)
        self.socket = socket.create_server((address, port))
        self.socket.settimeout(0.2)
        self.stopped = threading.Event()
        self.refused = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                raw, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.settimeout(2)
            try:
                with self.context.wrap_socket(raw, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                self.refused += 1
            finally:
                raw.close()

    def close(self) -> None:
        self.stopped.set()
        self.socket.close()
        self.thread.join(timeout=2)


def own_certificate(cn: str, address: str, *, self_signed: bool) -> tuple[bytes, bytes]:
    """A certificate no CA of the set made: self-signed (`cn`), or by an own `cn-ca@…` CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_key = key if self_signed else ec.generate_private_key(ec.SECP256R1())
    issuer = cn if self_signed else f"{cn}-ca@1700000000"
    now = datetime.now(UTC)
    import ipaddress

    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), False
        )
        .sign(issuer_key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), pem_key


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> FleetSet:
    return make_set(tmp_path_factory.mktemp("probe"), NET)


class Cluster:
    """Servers standing for every endpoint of the fleet's cluster.toml."""

    def __init__(self, fleet: FleetSet, work: Path) -> None:
        self.fleet, self.work = fleet, work
        self.servers: dict[tuple[str, int], TlsServer] = {}

    def serve(self, address: str, port: int, cert: bytes, key: bytes, **kw) -> None:
        old = self.servers.pop((address, port), None)
        if old is not None:
            old.close()
        self.servers[(address, port)] = TlsServer(address, port, cert, key, work=self.work, **kw)

    def serve_the_set(self) -> None:
        out = self.fleet.out
        for endpoint in endpoints_of(self.fleet.spec()):
            if endpoint.expected:
                cert = (out / endpoint.expected[0]).read_bytes()
                key = (out / endpoint.expected[0].replace(".pem", "-key.pem")).read_bytes()
            else:  # controller-manager, scheduler: the certificate they make themselves
                cert, key = own_certificate(endpoint.address, endpoint.address, self_signed=False)
            ca = out / "ca.pem" if endpoint.purpose == "etcd peer" else None
            self.serve(endpoint.address, endpoint.port, cert, key, client_ca=ca)

    def close(self) -> None:
        for server in self.servers.values():
            server.close()


@pytest.fixture
def cluster(fleet: FleetSet, tmp_path: Path) -> Iterator[Cluster]:
    running = Cluster(fleet, tmp_path)
    try:
        running.serve_the_set()
    except OSError as error:  # an address:port this machine already uses
        running.close()
        pytest.skip(f"cannot listen on a loopback endpoint: {error}")
    try:
        yield running
    finally:
        running.close()


def problems(result) -> set[tuple[str, str]]:
    return {(f.path, f.check) for f in result.review.findings if f.severity != "info"}


def test_every_endpoint_serving_the_sets_file_is_clean(fleet: FleetSet, cluster: Cluster):
    result = probe_fleet(fleet.spec(), fleet.out, timeout=ANSWERED)
    assert problems(result) == set(), [f.message for f in result.review.findings]
    labels = {p.endpoint.label for p in result.endpoints}
    assert f"etcd peer https://{E1}:2380" in labels and f"apiserver https://{VIP}:6443" in labels
    assert len(result.endpoints) == 18 and all(p.facts is not None for p in result.endpoints)
    own = [f for f in result.review.findings if f.check == "own-certificate"]
    assert len(own) == 6  # controller-manager and scheduler on 3 masters: notes
    peer = cluster.servers[(E1, 2380)]
    assert peer.refused >= 1  # it refused us (no client certificate), yet we read its own


def test_a_renewed_file_not_restarted_is_named_with_the_unit(fleet: FleetSet, cluster: Cluster):
    older = fleet.older("kubernetes.pem")
    cluster.serve(M1, 6443, older, (fleet.out / "kubernetes-key.pem").read_bytes())
    result = probe_fleet(fleet.spec(), fleet.out, timeout=ANSWERED)
    assert problems(result) == {(f"apiserver https://{M1}:6443", "served-not-file")}
    finding = next(f for f in result.review.findings if f.check == "served-not-file")
    assert finding.node == M1
    assert "renewed but not restarted" in finding.message
    assert f"restart kube-apiserver.service on {M1}" in finding.message


def test_a_missing_san_an_untrusted_issuer_and_a_self_signed_kubelet(
    fleet: FleetSet, cluster: Cluster
) -> None:
    out = fleet.out
    cluster.serve(N1, 10250, (out / "kubelet-node-2.pem").read_bytes(),
                  (out / "kubelet-node-2-key.pem").read_bytes())  # fmt: skip
    cert, key = own_certificate(N2, N2, self_signed=True)
    cluster.serve(N2, 10250, cert, key)
    foreign, foreign_key = own_certificate("kubernetes", E1, self_signed=False)
    cluster.serve(E1, 2379, foreign, foreign_key)
    result = probe_fleet(fleet.spec(), fleet.out, timeout=ANSWERED, only=["node-1", "node-2", E1])
    assert problems(result) == {
        (f"kubelet https://{N1}:10250", "served-not-file"),
        (f"kubelet https://{N1}:10250", "san-missing"),
        (f"kubelet https://{N2}:10250", "served-not-file"),
        (f"kubelet https://{N2}:10250", "self-signed-kubelet"),
        (f"etcd client https://{E1}:2379", "served-not-file"),
        (f"etcd client https://{E1}:2379", "untrusted-issuer"),
    }
    san = next(f for f in result.review.findings if f.check == "san-missing")
    assert f"does not name {N1}, the address dialled" in san.message


def test_unreachable_endpoints_say_why_in_words(fleet: FleetSet, cluster: Cluster) -> None:
    cluster.servers.pop((M1, 10259)).close()
    result = probe_fleet(fleet.spec(), fleet.out, timeout=1, only=[M1])
    assert problems(result) == {(f"scheduler https://{M1}:10259", "unreachable")}
    finding = next(f for f in result.review.findings if f.check == "unreachable")
    assert "connection refused — nothing listens on that port" in finding.message
    served = fetch_served("127.77.0.250", 9, 0.5)
    assert served.der is None and served.error.startswith("unreachable")


def test_the_cli_prints_a_node_column_and_json_with_exit_codes(
    fleet: FleetSet, cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["probe", "-c", str(fleet.toml), "-o", str(fleet.out), "--timeout", str(ANSWERED)]
    assert main([*base, "--hosts", M1]) == 0  # notes only
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "certificate" in line)
    assert header.split()[1] == "node" and M1 in out and "nothing to fix" in out
    cluster.servers.pop((M1, 10257)).close()
    assert main([*base, "--hosts", M1, "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert [(f["node"], f["check"]) for f in document["findings"] if f["severity"] == "error"] == [
        (M1, "unreachable")
    ]
    assert main([*base, "--timeout", "0"]) == 1
    assert "--timeout 0" in capsys.readouterr().err
