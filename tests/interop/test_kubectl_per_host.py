"""kubectl reads every per-host kubeconfig of `[kubeconfig] embed = false` (issue 12).

Such a kubeconfig names its files instead of embedding them. In hosts/<address>/ it sits in
/etc/kubernetes and the files in /etc/kubernetes/ssl, so the names must lead there from the
kubeconfig's own directory. kubectl, run on each copy, completes mutual TLS with the stand-in
apiserver of test_kubectl_version.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.conftest import need_tool
from tests.interop.test_kubectl_version import VERSION, VersionHandler
from wizard.catalog import files_of, get_profile
from wizard.distribution import per_host_files, plan_distribution
from wizard.generate import generate_files
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files

pytestmark = pytest.mark.interop


def ssl_dir(kubeconfig: Path) -> Path:
    """Where a host's certificates sit: /etc/kubernetes/ssl beside its kubeconfigs."""
    return kubeconfig.parent / "ssl"


def test_kubectl_reads_every_per_host_kubeconfig_that_names_its_files(tmp_path: Path) -> None:
    kubectl = need_tool("kubectl")
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.kubelet = "certificates"
    spec.kubeconfig.embed = False
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.101"), Node("node-2", "192.168.214.102")]
    directory = tmp_path / "out"
    files = generate_files(spec)
    write_files(directory, files + per_host_files(plan_distribution(spec), files))
    profile = get_profile(spec.profile)
    server_files = files_of(profile.entry("kubernetes"), profile)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / server_files.cert, directory / server_files.key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(directory / files_of(profile.entry("ca"), profile).cert)
    server = ThreadingHTTPServer(("127.0.0.1", 0), VersionHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    VersionHandler.seen_users = []
    kubeconfigs = sorted((directory / "hosts").glob("*/etc/kubernetes/*.kubeconfig"))
    try:
        for path in kubeconfigs:
            user = yaml.safe_load(path.read_text())["users"][0]["user"]
            assert not user["client-certificate"].startswith("/"), path
            result = subprocess.run(
                [kubectl, "--kubeconfig", str(path), "--server",
                 f"https://127.0.0.1:{server.server_address[1]}", "version", "-o", "json"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert result.returncode == 0, (path, result.stderr)
            assert json.loads(result.stdout)["serverVersion"]["gitVersion"] == VERSION["gitVersion"]
            # --flatten reads each named file from where kubectl resolves it: the same bytes
            flat = subprocess.run(
                [kubectl, "--kubeconfig", str(path), "config", "view", "--raw", "--flatten",
                 "-o", "json"],
                capture_output=True, text=True, timeout=60, check=True,
            )  # fmt: skip
            flat_user = json.loads(flat.stdout)["users"][0]["user"]
            named = (path.parent / user["client-certificate"]).read_bytes()
            assert base64.b64decode(flat_user["client-certificate-data"]) == named
            cluster = json.loads(flat.stdout)["clusters"][0]["cluster"]
            ca = ssl_dir(path) / "ca.pem"
            assert base64.b64decode(cluster["certificate-authority-data"]) == ca.read_bytes()
    finally:
        server.shutdown()
        server.server_close()
    print(f"{len(kubeconfigs)} per-host kubeconfigs read by kubectl")
    assert len(kubeconfigs) >= 13
    assert "system:node:node-2" in VersionHandler.seen_users
    # the output directory's own kubeconfigs still name the files beside them
    admin = yaml.safe_load((directory / "admin.kubeconfig").read_text())
    assert admin["users"][0]["user"]["client-certificate"] == "admin.pem"
