"""kubectl, with each generated kubeconfig, completes mutual TLS with a stand-in apiserver.

The stand-in listens on 127.0.0.1 with the profile's apiserver certificate, requires a client
certificate signed by the cluster CA, and answers /version. kubectl's --server points at it.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import need_tool
from wizard.catalog import files_of, get_profile
from wizard.generate import generate_files
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files

pytestmark = pytest.mark.interop

VERSION = {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.0-k8s-cert-wizard-test",
    "platform": "linux/amd64",
}
APISERVER = {"complete": "kubernetes", "kubeadm": "apiserver"}
KUBECONFIGS = {
    "complete": [
        "admin.kubeconfig",
        "kube-controller-manager.kubeconfig",
        "kube-scheduler.kubeconfig",
        "kube-proxy.kubeconfig",
        "kubelet-node-1.kubeconfig",
    ],
    "kubeadm": [
        "admin.conf",
        "controller-manager.conf",
        "scheduler.conf",
        "kube-proxy.conf",
        "kubelet-node-1.conf",
    ],
}


class VersionHandler(BaseHTTPRequestHandler):
    seen_users: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        certificate = self.connection.getpeercert()
        subject = dict(item[0] for item in certificate["subject"])
        self.seen_users.append(subject.get("commonName", ""))
        if self.path.split("?")[0] != "/version":
            self.send_error(404)
            return
        body = json.dumps(VERSION).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=sorted(APISERVER))
def cluster(request, tmp_path: Path):
    spec = ClusterSpec.example()
    spec.profile = request.param
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.101")]
    directory = tmp_path / "out"
    write_files(directory, generate_files(spec))
    profile = get_profile(spec.profile)
    server_files = files_of(profile.entry(APISERVER[spec.profile]), profile)
    ca_file = files_of(profile.entry("ca"), profile).cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / server_files.cert, directory / server_files.key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(directory / ca_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), VersionHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    VersionHandler.seen_users = []
    try:
        yield spec, directory, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_kubectl_version_with_every_kubeconfig(cluster) -> None:
    kubectl = need_tool("kubectl")
    spec, directory, port = cluster
    for name in KUBECONFIGS[spec.profile]:
        result = subprocess.run(
            [
                kubectl,
                "--kubeconfig",
                str(directory / name),
                "--server",
                f"https://127.0.0.1:{port}",
                "version",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, (name, result.stderr)
        assert json.loads(result.stdout)["serverVersion"]["gitVersion"] == VERSION["gitVersion"]
    assert "system:node:node-1" in VersionHandler.seen_users
    assert "system:kube-scheduler" in VersionHandler.seen_users
