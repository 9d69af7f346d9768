"""Classic profile (the guide's four pairs) against a real etcd cluster and three apiservers.

The classic profile prints no flags (no DISTRIBUTION.md), so the components get the guide's
TLS flags at the paths where `--per-host` puts the files (GUIDE_* below).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.cluster import DEBIAN_ETCD, Cluster, apiserver_lab_flags, client_kubeconfig
from tests.lab.netlab import ETCD, JUMP, MASTERS, VIP, Lab

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]

SSL = "/etc/kubernetes/ssl"
GUIDE_ETCD = [
    f"--cert-file={SSL}/kubernetes.pem",
    f"--key-file={SSL}/kubernetes-key.pem",
    f"--peer-cert-file={SSL}/kubernetes.pem",
    f"--peer-key-file={SSL}/kubernetes-key.pem",
    f"--trusted-ca-file={SSL}/ca.pem",
    f"--peer-trusted-ca-file={SSL}/ca.pem",
]
GUIDE_APISERVER = [
    f"--tls-cert-file={SSL}/kubernetes.pem",
    f"--tls-private-key-file={SSL}/kubernetes-key.pem",
    f"--client-ca-file={SSL}/ca.pem",
    f"--service-account-key-file={SSL}/ca-key.pem",
    f"--etcd-cafile={SSL}/ca.pem",
    f"--etcd-certfile={SSL}/kubernetes.pem",
    f"--etcd-keyfile={SSL}/kubernetes-key.pem",
]
# Kubernetes ≥ 1.20 refuses to start without a signing key; the guide's set has none of its own.
SIGNING_KEY = f"--service-account-signing-key-file={SSL}/ca-key.pem"


@pytest.fixture(scope="module")
def classic(
    lab: Lab, control_plane: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    cluster = Cluster.generate(lab, control_plane, tmp_path_factory.mktemp("classic"), "classic")
    try:
        cluster.place()
        cluster.start_etcd(GUIDE_ETCD, split_http=False, binary=DEBIAN_ETCD)  # its log words
        out = cluster.out
        cluster.wait_etcd((f"{out}/ca.pem", f"{out}/kubernetes.pem", f"{out}/kubernetes-key.pem"))
        cluster.start_lb()
        cluster.start_apiservers([*GUIDE_APISERVER, SIGNING_KEY])
        cluster.admin = client_kubeconfig(
            lab,
            out.parent / "admin.kubeconfig",
            server=f"https://{VIP}:6443",
            ca=out / "ca.pem",
            cert=out / "admin.pem",
            key=out / "admin-key.pem",
        )
        cluster.wait_apiservers(cluster.admin)
        yield cluster
    finally:
        lab.stop_processes()
        lab.reset_hosts()


def kubeconfig_for(cluster: Cluster, name: str) -> Path:
    out = cluster.out
    return client_kubeconfig(
        cluster.lab,
        out.parent / f"{name}.kubeconfig",
        server=f"https://{VIP}:6443",
        ca=out / "ca.pem",
        cert=out / f"{name}.pem",
        key=out / f"{name}-key.pem",
    )


def test_etcd_cluster_of_three_with_kubernetes_pem(classic: Cluster) -> None:
    out = classic.out
    endpoints = ",".join(f"https://{m.address}:2379" for m in ETCD)
    result = classic.lab.run(
        JUMP,
        "etcdctl",
        f"--endpoints={endpoints}",
        f"--cacert={out}/ca.pem",
        f"--cert={out}/kubernetes.pem",
        f"--key={out}/kubernetes-key.pem",
        "member",
        "list",
        env={"ETCDCTL_API": "3"},
    )
    assert result.returncode == 0, f"etcdctl member list with kubernetes.pem: {result.stderr}"
    for member in ETCD:
        assert f"https://{member.address}:2380" in result.stdout, (
            f"{member.name}: peer URL missing from member list (etcd --peer-cert-file="
            f"{SSL}/kubernetes.pem)\n{result.stdout}\n{classic.logs('etcd')}"
        )


def test_readyz_through_the_vip_and_every_master(classic: Cluster) -> None:
    for server in [f"https://{VIP}:6443", *[f"https://{m.address}:6443" for m in MASTERS]]:
        result = classic.kubectl(classic.admin, "get", "--raw", "/readyz", server=server)
        assert result.stdout.strip() == "ok", (
            f"{server}: /readyz with admin.pem "
            f"(kube-apiserver --tls-cert-file={SSL}/kubernetes.pem): {result.stderr}\n"
            f"{classic.logs('kube-apiserver')}"
        )


def test_admin_is_admin_in_system_masters(classic: Cluster) -> None:
    assert classic.whoami(classic.admin) == ("admin", ["system:authenticated", "system:masters"])


def test_kube_proxy_identity_and_rbac(classic: Cluster) -> None:
    proxy = kubeconfig_for(classic, "kube-proxy")
    user, groups = classic.whoami(proxy)
    # The guide's subject puts O=k8s on every pair: a harmless group with no bindings.
    assert (user, groups) == ("system:kube-proxy", ["k8s", "system:authenticated"]), (
        "kube-proxy.pem"
    )
    allowed = classic.kubectl(proxy, "auth", "can-i", "list", "endpointslices.discovery.k8s.io")
    assert allowed.stdout.strip() == "yes", f"kube-proxy.pem: list endpointslices: {allowed.stdout}"
    secrets = classic.kubectl(proxy, "get", "secrets", "-n", "kube-system")
    assert secrets.returncode != 0 and "Forbidden" in secrets.stderr, (
        f"kube-proxy.pem could read secrets: {secrets.stdout}{secrets.stderr}"
    )


def test_what_the_four_pairs_cannot_do_on_kubernetes_1_20_and_later(
    classic: Cluster, control_plane: Path
) -> None:
    lab = classic.lab
    # 1. The guide's apiserver flags alone: no --service-account-signing-key-file → refused.
    result = lab.run(
        MASTERS[0],
        str(control_plane),
        "kube-apiserver",
        *GUIDE_APISERVER,
        *apiserver_lab_flags(MASTERS[0]),
        "--secure-port=16443",
        timeout=60,
    )
    assert result.returncode != 0
    assert "service-account-signing-key-file" in result.stderr, result.stderr[-2000:]
    # 2. The guide's controller-manager and scheduler talk to the insecure port, removed in 1.20.
    insecure = lab.run(
        MASTERS[0],
        "kubectl",
        "--server=http://127.0.0.1:8080",
        "get",
        "--raw",
        "/healthz",
        "--request-timeout=5s",
    )
    assert insecure.returncode != 0 and "refused" in insecure.stderr, insecure.stderr
    # 3. No certificate of the set is the controller-manager's or the scheduler's identity:
    #    what exists is cluster-admin (too much) and kube-proxy (too little for leader election).
    identities = {
        name: classic.whoami(kubeconfig_for(classic, name))[0]
        for name in ("admin", "kube-proxy", "kubernetes")
    }
    assert not {"system:kube-controller-manager", "system:kube-scheduler"} & set(
        identities.values()
    ), identities
    proxy = kubeconfig_for(classic, "kube-proxy")
    lease = classic.kubectl(
        proxy, "auth", "can-i", "create", "leases.coordination.k8s.io", "-n", "kube-system"
    )
    assert lease.stdout.strip() == "no", "kube-proxy.pem could run leader election"
    secrets = classic.kubectl(proxy, "auth", "can-i", "list", "secrets", "-A")
    assert secrets.stdout.strip() == "no", (
        "kube-proxy.pem could list secrets (controller-manager must)"
    )


def test_negative_certificate_from_another_ca(
    classic: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A kubernetes.pem from another CA: etcd refuses it, and review names that file."""
    other = Cluster.generate(
        classic.lab, classic.binary, tmp_path_factory.mktemp("other"), "classic"
    )
    mixed = other.out.parent / "mixed"
    mixed.mkdir()
    for name in ("kubernetes.pem", "kubernetes-key.pem"):
        (mixed / name).write_bytes((other.out / name).read_bytes())
    (mixed / "ca.pem").write_bytes((classic.out / "ca.pem").read_bytes())
    result = classic.lab.run(
        JUMP,
        "etcdctl",
        f"--endpoints=https://{ETCD[0].address}:2379",
        f"--cacert={mixed}/ca.pem",
        f"--cert={mixed}/kubernetes.pem",
        f"--key={mixed}/kubernetes-key.pem",
        "--dial-timeout=5s",
        "--command-timeout=5s",
        "get",
        "/",
        env={"ETCDCTL_API": "3"},
    )
    assert result.returncode != 0, "etcd accepted a client certificate from another CA"
    time.sleep(0.5)
    log = classic.processes[(ETCD[0].name, "etcd")].tail(40)
    assert (
        "bad certificate" in log or "unknown authority" in log or "certificate" in result.stderr
    ), f"{ETCD[0].name} etcd --trusted-ca-file={SSL}/ca.pem: {result.stderr}\n{log}"
    findings = classic.review(mixed)["findings"]
    assert any(
        f["path"] == "kubernetes.pem"
        and f["severity"] == "error"
        and f["check"] in ("bad-signature", "unknown-issuer")
        for f in findings
    ), findings
