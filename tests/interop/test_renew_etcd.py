"""renew on a running etcd 3.4: the new kubernetes.pem is served and accepted on the next
connection, while etcd keeps running (it reads its certificate files per new connection)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.interop.etcd_process import TLSFiles, etcdctl, single_member
from wizard.cli import main
from wizard.spec import ClusterSpec, save_spec

pytestmark = pytest.mark.interop

NEW_NAME = "etcd.renewed.example"
NEW_ADDRESS = "192.168.214.91"


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
    directory = tmp_path / "k8s-certs"
    shutil.copytree(classic_set, directory)
    files = TLSFiles(
        directory / "ca.pem", directory / "kubernetes.pem", directory / "kubernetes-key.pem"
    )
    with single_member(files, tmp_path) as (process, endpoint, client):
        yield process, directory, endpoint, client


def etcdctl_with(directory: Path, endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """etcdctl with the kubernetes certificate currently in the directory."""
    files = TLSFiles(
        directory / "ca.pem", directory / "kubernetes.pem", directory / "kubernetes-key.pem"
    )
    return etcdctl(files, endpoint, *args)


def test_renewed_certificate_is_served_and_accepted_without_a_restart(
    running_etcd, tmp_path: Path, capsys
) -> None:
    process, directory, endpoint, port = running_etcd
    before = served_certificate(directory, port)
    assert before == x509.load_pem_x509_certificate((directory / "kubernetes.pem").read_bytes())
    put = etcdctl_with(directory, endpoint, "put", "/registry/renew", "before")
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
    got = etcdctl_with(directory, endpoint, "get", "/registry/renew", "--print-value-only")
    assert got.returncode == 0 and got.stdout.strip() == "before", got.stderr
    put = etcdctl_with(directory, endpoint, "put", "/registry/renew", "after")
    assert put.returncode == 0, put.stderr
    served = served_certificate(directory, port)
    assert served.public_bytes(serialization.Encoding.DER) == renewed.public_bytes(
        serialization.Encoding.DER
    )
    assert process.poll() is None
