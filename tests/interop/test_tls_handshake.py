"""A Python ssl server with kubernetes.pem passes a client's hostname check for every SAN."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from wizard.catalog import CLASSIC, sans_of
from wizard.spec import ClusterSpec

pytestmark = pytest.mark.interop


def serve_once(directory: Path, require_client: bool) -> tuple[int, threading.Thread]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "kubernetes.pem", directory / "kubernetes-key.pem")
    if require_client:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(directory / "ca.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def handle() -> None:
        with listener:
            connection, _ = listener.accept()
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=handle, daemon=True)
    thread.start()
    return port, thread


def connect(directory: Path, port: int, hostname: str, client: str | None = None) -> bytes:
    context = ssl.create_default_context(cafile=str(directory / "ca.pem"))
    if client:
        context.load_cert_chain(directory / f"{client}.pem", directory / f"{client}-key.pem")
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        return tls.recv(2)


def test_every_san_passes_the_hostname_check(classic_set: Path) -> None:
    names = [san.value for san in sans_of(CLASSIC.entry("kubernetes"), ClusterSpec.example())]
    assert "kubernetes.default.svc.cluster.local" in names and "10.254.0.1" in names
    for name in names:
        port, thread = serve_once(classic_set, require_client=False)
        assert connect(classic_set, port, name) == b"ok", name
        thread.join(5)


def test_a_name_not_in_the_certificate_is_refused(classic_set: Path) -> None:
    port, thread = serve_once(classic_set, require_client=False)
    with pytest.raises(ssl.SSLCertVerificationError, match="192.168.214.1"):
        connect(classic_set, port, "192.168.214.1")
    thread.join(5)


@pytest.mark.parametrize("client", ["admin", "kube-proxy"])
def test_client_certificates_are_accepted(classic_set: Path, client: str) -> None:
    port, thread = serve_once(classic_set, require_client=True)
    assert connect(classic_set, port, "127.0.0.1", client=client) == b"ok"
    thread.join(5)
