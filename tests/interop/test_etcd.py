"""A real etcd 3.4 on 127.0.0.1 serves, peers and authenticates clients with kubernetes.pem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.etcd_process import TLSFiles, etcdctl, single_member
from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files

pytestmark = pytest.mark.interop


def guide_files(directory: Path) -> TLSFiles:
    return TLSFiles(
        directory / "ca.pem", directory / "kubernetes.pem", directory / "kubernetes-key.pem"
    )


def test_etcdctl_put_and_get_with_kubernetes_pem(classic_set: Path, tmp_path: Path) -> None:
    files = guide_files(classic_set)
    with single_member(files, tmp_path) as (_process, endpoint, _port):
        put = etcdctl(files, endpoint, "put", "/registry/k8s-cert-wizard", "works")
        assert put.returncode == 0 and put.stdout.strip() == "OK", put.stderr
        got = etcdctl(files, endpoint, "get", "/registry/k8s-cert-wizard", "--print-value-only")
        assert got.returncode == 0 and got.stdout.strip() == "works", got.stderr


def test_a_client_certificate_from_another_ca_is_refused(classic_set: Path, tmp_path: Path):
    other = tmp_path / "other"
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = "ecdsa", 256
    write_files(other, generate_files(spec))
    with single_member(guide_files(classic_set), tmp_path) as (_process, endpoint, _port):
        stranger = TLSFiles(
            classic_set / "ca.pem", other / "kubernetes.pem", other / "kubernetes-key.pem"
        )  # trusts the real CA, signed by another
        assert etcdctl(stranger, endpoint, "get", "/registry/k8s-cert-wizard").returncode != 0
