"""Sets made right are reviewed clean: no warning, no error, every key paired, every chain found."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.generate import generate_files
from wizard.review import Review, review_directory
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files


def problems(review: Review) -> list[tuple[str, str, str]]:
    """Every finding that is not just information."""
    return [(f.path, f.check, f.message) for f in review.findings if f.severity != "info"]


def assert_consistent(review: Review) -> None:
    """Every certificate has a key and a known issuer; every key a certificate or public key."""
    for record in review.files:
        if record.cert is not None:
            assert record.self_signed or record.issued_by, record.ref
            assert record.paired, f"{record.ref} has no key"
        if record.key is not None and record.key.private:
            assert record.paired, f"{record.ref} pairs with nothing"


def test_engine_set_is_clean(engine_set: Path) -> None:
    review = review_directory(engine_set)
    assert problems(review) == []
    assert review.findings == []
    assert_consistent(review)
    roles = {r.path: r.role for r in review.files if r.cert is not None}
    assert roles == {
        "ca.pem": "ca",
        "kubernetes.pem": "kubernetes",
        "admin.pem": "admin",
        "kube-proxy.pem": "kube-proxy",
    }
    by_path = {r.path: r for r in review.files}
    assert by_path["kubernetes.pem"].issued_by == "ca.pem"
    assert by_path["ca.pem"].self_signed
    assert by_path["kubernetes-key.pem"].paired == ["kubernetes.pem"]
    assert by_path["ca-config.json"].kind == "cfssl-config"
    assert by_path["kubernetes-csr.json"].kind == "cfssl-csr-json"
    assert by_path["kubernetes.csr"].kind == "csr"
    assert by_path["cluster.toml"].kind == "not-a-certificate"


def test_engine_set_covers_the_cluster_file(engine_set: Path) -> None:
    review = review_directory(engine_set, config=ClusterSpec.example())
    assert review.findings == []


def test_cfssl_set_only_lacks_the_aki(cfssl_set: Path) -> None:
    """Debian's cfssl leaves out the AKI when the leaf is named like its CA (the guide's
    kubernetes.pem): exactly that, and nothing else, is wrong with its set."""
    review = review_directory(cfssl_set)
    assert [(f.path, f.check, f.severity) for f in review.findings if f.severity != "info"] == [
        ("kubernetes.pem", "same-subject-no-aki", "error")
    ]
    assert_consistent(review)


def test_kubeadm_tree_is_clean(kubeadm_tree: Path) -> None:
    review = review_directory(kubeadm_tree)
    assert problems(review) == []
    assert_consistent(review)
    roles = {r.ref: r.role for r in review.files}
    assert roles["pki/etcd/ca.crt"] == "etcd/ca"
    assert roles["pki/etcd/server.crt"] == "etcd/<name>/server"
    assert roles["pki/apiserver.crt"] == "apiserver"
    assert roles["pki/front-proxy-client.crt"] == "front-proxy-client"
    assert roles["pki/sa.key"] == "sa"
    assert roles["admin.conf (user kubernetes-admin: client-certificate-data)"] == "admin"
    by_ref = {r.ref: r for r in review.files}
    assert by_ref["pki/etcd/server.crt"].issued_by == "pki/etcd/ca.crt"
    assert by_ref["pki/front-proxy-client.crt"].issued_by == "pki/front-proxy-ca.crt"
    assert by_ref["pki/sa.key"].paired == ["pki/sa.pub"]
    assert by_ref["kubelet/pki/kubelet-client-current.pem"].kind == "symlink"
    kubelet = by_ref["kubelet.conf"].kubeconfig
    assert kubelet is not None and kubelet.users[0].certificates[0].role == "kubelet/<name>-client"


@pytest.mark.parametrize(
    ("profile", "kubelet"), [("complete", "certificates"), ("kubeadm", "bootstrap")]
)
def test_generated_profiles_are_clean(tmp_path: Path, profile: str, kubelet: str) -> None:
    """Every profile the catalogue generates passes the review that reads the same catalogue."""
    spec = ClusterSpec.example()
    spec.profile, spec.kubelet, spec.key.algo, spec.key.size = profile, kubelet, "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.150"), Node("node-2", "192.168.214.151")]
    write_files(tmp_path / "out", generate_files(spec))
    review = review_directory(tmp_path / "out", config=spec)
    assert problems(review) == []
    assert_consistent(review)


def test_golden_cfssl_output() -> None:
    """The reference certificates real cfssl made from the guide's JSON, mistakes included."""
    review = review_directory(Path(__file__).parents[1] / "data" / "golden-cfssl")
    found = {(f.path, f.check, f.severity) for f in review.findings}
    assert ("rsa-seed/kubernetes.pem", "cidr-san", "error") in found
    assert ("rsa-seed/kubernetes-csr.json", "cidr-san", "warning") in found
    assert ("rsa-seed/kubernetes.pem", "same-subject-no-aki", "error") in found
    assert ("ecdsa/kubernetes.pem", "ecdsa-key-encipherment", "warning") in found
    kinds = {r.path: r.kind for r in review.files}
    assert kinds["rsa-seed/kubernetes.certinfo.json"] == "not-a-certificate"


def test_kubeadm_apiserver_of_one_control_plane_node_is_not_missing_the_others(
    tmp_path: Path,
) -> None:
    """kubeadm issues one apiserver certificate per control-plane node, listing only that node:
    checked against a three-master cluster file, the other masters are not `missing-san`."""
    one_node = ClusterSpec.example()
    one_node.profile = "kubeadm"
    one_node.key.algo, one_node.key.size = "ecdsa", 256
    one_node.hosts.masters = ["192.168.214.200"]
    write_files(tmp_path / "out", generate_files(one_node))
    cluster = ClusterSpec.example()
    cluster.profile = "kubeadm"
    review = review_directory(tmp_path / "out", config=cluster)
    assert not [f for f in review.findings if f.check == "missing-san"]
    one_node.hosts.masters = ["192.168.214.250"]  # a node the cluster file does not name
    write_files(tmp_path / "other", generate_files(one_node))
    review = review_directory(tmp_path / "other", config=cluster)
    assert [f.path for f in review.findings if f.check == "missing-san"] == ["pki/apiserver.crt"]
