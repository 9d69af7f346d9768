"""kubelet = "bootstrap": the bootstrap kubeconfig, the RBAC manifest, and a real CSR round trip.

A kubelet-style CSR is made with the node's bootstrap kubeconfig; kube-controller-manager
(csrapproving + csrsigning, with the product's --cluster-signing-* flags) must auto-approve and
sign it under bootstrap-rbac.yaml, and the issued certificate must be the node's identity.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.cluster import Cluster, client_kubeconfig, flag_value
from tests.lab.netlab import JUMP, MASTERS, NODES, VIP, Lab
from tests.lab.test_complete import eventually, on_host, start_cluster

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


@pytest.fixture(scope="module")
def boot(
    lab: Lab, control_plane: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    cluster = Cluster.generate(
        lab, control_plane, tmp_path_factory.mktemp("bootstrap"), "complete", kubelet="bootstrap"
    )
    try:
        cluster.place()
        start_cluster(cluster)
        manifest = cluster.out / "bootstrap-rbac.yaml"
        applied = cluster.kubectl(cluster.admin, "apply", "-f", str(manifest))
        assert applied.returncode == 0, f"kubectl apply -f {manifest.name}: {applied.stderr}"
        yield cluster
    finally:
        lab.stop_processes()
        lab.reset_hosts()


def bootstrap_kubeconfig(boot: Cluster, node=NODES[0]) -> Path:
    value = flag_value(boot.tls("kubelet"), "--bootstrap-kubeconfig")
    assert value, f"no --bootstrap-kubeconfig among kubelet's flags: {boot.tls('kubelet')}"
    return on_host(boot, node, value)


def token_id(boot: Cluster) -> str:
    kubeconfig = bootstrap_kubeconfig(boot).read_text()
    token = next(line.split()[-1] for line in kubeconfig.splitlines() if "token:" in line)
    return token.split(".")[0]


def test_bootstrap_kubeconfig_is_a_bootstrapper(boot: Cluster) -> None:
    """The bootstrap kubeconfig's token is the bootstrap-token Secret of bootstrap-rbac.yaml:
    system:bootstrap:<id> in both bootstrap groups (no --token-auth-file maps it to a plain
    user first — the lab's finding 2, fixed)."""
    assert not flag_value(boot.tls("kube-apiserver"), "--token-auth-file"), (
        "DISTRIBUTION.md: kube-apiserver --token-auth-file would take the token first"
    )
    user, groups = boot.whoami(bootstrap_kubeconfig(boot))
    assert user == f"system:bootstrap:{token_id(boot)}", (user, groups)
    assert {"system:bootstrappers", "system:bootstrappers:kubelet"} <= set(groups), groups


def make_csr(boot: Cluster, name: str, subject: str) -> tuple[Path, str]:
    """An ECDSA key and a PEM CSR for the subject, made with openssl on the jump host."""
    work = boot.out.parent / name
    work.mkdir(exist_ok=True)
    key, csr = work / "key.pem", work / "csr.pem"
    made = boot.lab.run(
        JUMP,
        "openssl",
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(csr),
        "-subj",
        subject,
    )
    assert made.returncode == 0, made.stderr
    return key, base64.b64encode(csr.read_bytes()).decode()


def submit(boot: Cluster, name: str, request: str) -> None:
    body = {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {
            "request": request,
            "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
            "usages": ["digital signature", "client auth"],
        },
    }
    created = boot.kubectl(bootstrap_kubeconfig(boot), "create", "-f", "-", stdin=json.dumps(body))
    assert created.returncode == 0, f"bootstrap kubeconfig: create CSR {name}: {created.stderr}"


def test_kubelet_csr_is_auto_approved_signed_and_is_the_node(boot: Cluster) -> None:
    node = NODES[0]
    key, request = make_csr(boot, "csr-node-1", f"/O=system:nodes/CN=system:node:{node.name}")
    submit(boot, "lab-node-1", request)

    def issued() -> str:
        result = boot.kubectl(
            bootstrap_kubeconfig(boot),
            "get",
            "csr",
            "lab-node-1",
            "-o",
            "jsonpath={.status.certificate}",
        )
        return result.stdout.strip()

    certificate = eventually(issued, timeout=60)
    conditions = boot.kubectl(
        boot.admin, "get", "csr", "lab-node-1", "-o", "jsonpath={.status.conditions}"
    ).stdout
    cm = boot.tls("kube-controller-manager")
    assert certificate, (
        f"CSR lab-node-1 not issued (conditions {conditions}); bootstrap-rbac.yaml, "
        f"kube-controller-manager --cluster-signing-cert-file="
        f"{flag_value(cm, '--cluster-signing-cert-file')}\n{boot.logs('kube-controller-manager')}"
    )
    assert "AutoApproved" in conditions, conditions
    cert = key.parent / "cert.pem"
    cert.write_bytes(base64.b64decode(certificate))
    ca = on_host(boot, MASTERS[0], flag_value(cm, "--cluster-signing-cert-file"))
    verified = boot.lab.run(JUMP, "openssl", "verify", "-CAfile", str(ca), str(cert))
    assert verified.returncode == 0, f"issued certificate vs {ca.name}: {verified.stdout}"
    kubeconfig = client_kubeconfig(
        boot.lab,
        key.parent / "kubelet.kubeconfig",
        server=f"https://{VIP}:6443",
        ca=ca,
        cert=cert,
        key=key,
    )
    user, groups = boot.whoami(kubeconfig)
    assert (user, "system:nodes" in groups) == (f"system:node:{node.name}", True), (user, groups)


def test_negative_csr_asking_for_system_masters_is_not_approved(boot: Cluster) -> None:
    """A bootstrapper asking for cluster-admin gets nothing: the approver leaves it pending."""
    _, request = make_csr(boot, "csr-masters", f"/O=system:masters/CN=system:node:{NODES[1].name}")
    submit(boot, "lab-masters", request)

    def status() -> str:
        return boot.kubectl(
            boot.admin, "get", "csr", "lab-masters", "-o", "jsonpath={.status}"
        ).stdout

    # Give the approver the time it took to approve the good one, then some.
    eventually(lambda: False, timeout=10)
    assert "certificate" not in status() and "Approved" not in status(), status()
    secrets = boot.kubectl(bootstrap_kubeconfig(boot), "auth", "can-i", "list", "secrets", "-A")
    assert secrets.stdout.strip().startswith("no"), "the bootstrap token can list secrets"
