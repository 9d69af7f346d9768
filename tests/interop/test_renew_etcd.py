"""renew on a running etcd 3.4: the new kubernetes.pem is served and accepted on the next
connection, while etcd keeps running (it reads its certificate files per new connection)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.conftest import need_tool
from wizard.cli import main
from wizard.spec import ClusterSpec, save_spec

pytestmark = pytest.mark.interop

NEW_NAME = "etcd.renewed.example"
NEW_ADDRESS = "192.168.214.91"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def etcdctl(directory: Path, endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            need_tool("etcdctl"),
            f"--endpoints={endpoint}",
            f"--cacert={directory / 'ca.pem'}",
            f"--cert={directory / 'kubernetes.pem'}",
            f"--key={directory / 'kubernetes-key.pem'}",
            "--dial-timeout=5s",
            "--command-timeout=10s",
            *args,
        ],
        capture_output=True,
        text=True,
        env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def served_certificate(directory: Path, port: int) -> x509.Certificate:
    """The certificate etcd presents to a new TLS connection (as an authenticated client)."""
    context = ssl.create_default_context(cafile=str(directory / "ca.pem"))
    context.load_cert_chain(directory / "kubernetes.pem", directory / "kubernetes-key.pem")
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der)


@pytest.fixture
def running_etcd(classic_set: Path, tmp_path: Path):
    """etcd on 127.0.0.1 serving (and peering with) a private copy of the classic set."""
    binary = need_tool("etcd")
    need_tool("etcdctl")
    directory = tmp_path / "k8s-certs"
    shutil.copytree(classic_set, directory)
    client, peer = free_port(), free_port()
    endpoint = f"https://127.0.0.1:{client}"
    peer_url = f"https://127.0.0.1:{peer}"
    log_path = tmp_path / "etcd.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            binary,
            "--name=m1",
            f"--data-dir={tmp_path / 'data'}",
            f"--listen-client-urls={endpoint}",
            f"--advertise-client-urls={endpoint}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=m1={peer_url}",
            "--initial-cluster-state=new",
            f"--cert-file={directory / 'kubernetes.pem'}",
            f"--key-file={directory / 'kubernetes-key.pem'}",
            f"--trusted-ca-file={directory / 'ca.pem'}",
            "--client-cert-auth",
            f"--peer-cert-file={directory / 'kubernetes.pem'}",
            f"--peer-key-file={directory / 'kubernetes-key.pem'}",
            f"--peer-trusted-ca-file={directory / 'ca.pem'}",
            "--peer-client-cert-auth",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if etcdctl(directory, endpoint, "endpoint", "health").returncode == 0:
                break
            if process.poll() is not None:
                pytest.fail(f"etcd exited:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        else:
            pytest.fail(f"etcd did not become healthy:\n{log_path.read_text()[-3000:]}")
        yield process, directory, endpoint, client
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_renewed_certificate_is_served_and_accepted_without_a_restart(
    running_etcd, tmp_path: Path, capsys
) -> None:
    process, directory, endpoint, port = running_etcd
    before = served_certificate(directory, port)
    assert before == x509.load_pem_x509_certificate((directory / "kubernetes.pem").read_bytes())
    put = etcdctl(directory, endpoint, "put", "/registry/renew", "before")
    assert put.returncode == 0, put.stderr
    ca_before = (directory / "ca.pem").read_bytes(), (directory / "ca-key.pem").read_bytes()

    spec = ClusterSpec.example()
    spec.hosts.etcd.append(NEW_ADDRESS)
    spec.hosts.extra.append(NEW_NAME)
    save_spec(spec, tmp_path / "cluster.toml")
    assert main(["renew", "-c", str(tmp_path / "cluster.toml"), "-o", str(directory)]) == 0
    out = capsys.readouterr().out
    assert f"{NEW_ADDRESS} (etcd-4) — etcd" in out and "systemctl restart etcd" in out

    renewed = x509.load_pem_x509_certificate((directory / "kubernetes.pem").read_bytes())
    assert renewed.serial_number != before.serial_number
    sans = renewed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert NEW_NAME in sans.get_values_for_type(x509.DNSName)
    assert ((directory / "ca.pem").read_bytes(), (directory / "ca-key.pem").read_bytes()) == (
        ca_before
    )

    assert process.poll() is None, "etcd stopped during the renewal"
    # a new connection with the new client certificate is accepted, and gets the new server one
    got = etcdctl(directory, endpoint, "get", "/registry/renew", "--print-value-only")
    assert got.returncode == 0 and got.stdout.strip() == "before", got.stderr
    put = etcdctl(directory, endpoint, "put", "/registry/renew", "after")
    assert put.returncode == 0, put.stderr
    served = served_certificate(directory, port)
    assert served.public_bytes(serialization.Encoding.DER) == renewed.public_bytes(
        serialization.Encoding.DER
    )
    assert process.poll() is None
