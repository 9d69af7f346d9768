"""A real etcd 3.4 on 127.0.0.1 serves, peers and authenticates clients with kubernetes.pem."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import need_tool

pytestmark = pytest.mark.interop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def etcdctl(directory: Path, endpoint: str, *args: str, cert: str = "kubernetes"):
    return subprocess.run(
        [
            need_tool("etcdctl"),
            f"--endpoints={endpoint}",
            f"--cacert={directory / 'ca.pem'}",
            f"--cert={directory / f'{cert}.pem'}",
            f"--key={directory / f'{cert}-key.pem'}",
            "--dial-timeout=5s",
            "--command-timeout=10s",
            *args,
        ],
        capture_output=True,
        text=True,
        env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


@pytest.fixture
def etcd(classic_set: Path, tmp_path: Path):
    binary = need_tool("etcd")
    need_tool("etcdctl")
    client, peer = free_port(), free_port()
    endpoint = f"https://127.0.0.1:{client}"
    peer_url = f"https://127.0.0.1:{peer}"
    log = (tmp_path / "etcd.log").open("w")
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
            f"--cert-file={classic_set / 'kubernetes.pem'}",
            f"--key-file={classic_set / 'kubernetes-key.pem'}",
            f"--trusted-ca-file={classic_set / 'ca.pem'}",
            "--client-cert-auth",
            f"--peer-cert-file={classic_set / 'kubernetes.pem'}",
            f"--peer-key-file={classic_set / 'kubernetes-key.pem'}",
            f"--peer-trusted-ca-file={classic_set / 'ca.pem'}",
            "--peer-client-cert-auth",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if etcdctl(classic_set, endpoint, "endpoint", "health").returncode == 0:
                break
            if process.poll() is not None:
                break
            time.sleep(0.3)
        else:
            pytest.fail(f"etcd did not become healthy:\n{(tmp_path / 'etcd.log').read_text()}")
        if process.poll() is not None:
            pytest.fail(f"etcd exited:\n{(tmp_path / 'etcd.log').read_text()[-3000:]}")
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_etcdctl_put_and_get_with_kubernetes_pem(etcd: str, classic_set: Path) -> None:
    put = etcdctl(classic_set, etcd, "put", "/registry/k8s-cert-wizard", "works")
    assert put.returncode == 0 and put.stdout.strip() == "OK", put.stderr
    got = etcdctl(classic_set, etcd, "get", "/registry/k8s-cert-wizard", "--print-value-only")
    assert got.returncode == 0 and got.stdout.strip() == "works", got.stderr


def test_a_client_certificate_from_another_ca_is_refused(
    etcd: str, classic_set: Path, tmp_path: Path
) -> None:
    from wizard.generate import generate_files
    from wizard.spec import ClusterSpec
    from wizard.store import write_files

    other = tmp_path / "other"
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = "ecdsa", 256
    write_files(other, generate_files(spec))
    (other / "ca.pem").write_bytes((classic_set / "ca.pem").read_bytes())  # trust the real CA
    refused = etcdctl(other, etcd, "get", "/registry/k8s-cert-wizard")
    assert refused.returncode != 0
