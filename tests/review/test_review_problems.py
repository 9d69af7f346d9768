"""Each problem is found with its slug and severity, in the file it is about."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from review_pki import (
    BOTH,
    MESSY_EXPECTED,
    SERVER,
    SHA1_EXPECTED,
    have_openssl,
    key_pem,
    kubeconfig,
    make_ca,
    make_leaf,
    name,
    pem,
    write,
    write_pair,
)

from wizard.review import Review, review_directory
from wizard.review.model import SEVERITIES
from wizard.spec import ClusterSpec

STABLE_SLUGS = {
    "expired", "expiring", "not-yet-valid", "key-mismatch", "orphan-key", "unknown-issuer",
    "bad-signature", "leaf-outlives-ca", "cidr-san", "missing-san", "no-san", "wrong-eku",
    "wrong-identity", "weak-key", "weak-signature", "key-permissions", "unreadable",
    "encrypted-key", "same-subject-no-aki",
}  # fmt: skip


@pytest.fixture(scope="module")
def messy(messy_dir: Path) -> Review:
    return review_directory(messy_dir)


def found(review: Review) -> set[tuple[str, str, str]]:
    return {(f.path, f.check, f.severity) for f in review.findings}


@pytest.mark.parametrize(("path", "check", "severity"), MESSY_EXPECTED, ids=lambda v: str(v))
def test_each_problem_is_found(messy: Review, path: str, check: str, severity: str) -> None:
    assert (path, check, severity) in found(messy)


def test_sha1_signature(messy: Review) -> None:
    if not have_openssl():
        pytest.skip("openssl is not installed: cryptography cannot sign with SHA-1")
    assert SHA1_EXPECTED in found(messy)


def test_nothing_else_is_wrong_in_the_messy_directory(messy: Review) -> None:
    """Beyond the planted problems only information remains (keys of mismatched pairs)."""
    expected = set(MESSY_EXPECTED) | {SHA1_EXPECTED}
    extra = [f for f in messy.findings if (f.path, f.check, f.severity) not in expected]
    assert [f for f in extra if f.severity != "info"] == []


def test_messages_name_the_file_and_say_what_to_do(messy: Review) -> None:
    for finding in messy.findings:
        assert finding.path.split("/")[-1] in finding.message
        assert "—" in finding.message or ";" in finding.message, finding.message
        assert finding.severity in SEVERITIES


def test_findings_are_sorted_errors_first(messy: Review) -> None:
    ranks = [SEVERITIES.index(f.severity) for f in messy.findings]
    assert ranks == sorted(ranks)


def test_the_slugs_the_issue_asks_for_exist(messy: Review) -> None:
    """Every required slug is produced by the messy directory, except missing-san (it needs a
    cluster file: test_missing_and_stale_sans…) and unreadable (test_robustness)."""
    produced = {f.check for f in messy.findings} | {"missing-san", "unreadable"}
    assert produced >= STABLE_SLUGS


def test_messages_for_key_mismatch_say_which_certificate_the_key_fits(tmp_path: Path) -> None:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    one, two = make_leaf(ca, "one"), make_leaf(ca, "two")
    write(tmp_path / "one.pem", pem(one.cert))
    write(tmp_path / "one-key.pem", key_pem(two.key), 0o600)
    write(tmp_path / "two.pem", pem(two.cert))
    review = review_directory(tmp_path)
    [mismatch] = [f for f in review.findings if f.check == "key-mismatch"]
    assert "one-key.pem does not belong to one.pem" in mismatch.message
    assert "it belongs to two.pem" in mismatch.message
    assert "orphan-key" not in {f.check for f in review.findings}


def test_key_and_certificate_in_one_file_must_match(tmp_path: Path) -> None:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    leaf, other = make_leaf(ca, "system:node:n1"), make_leaf(ca, "x")
    write(tmp_path / "bundle.pem", pem(leaf.cert) + key_pem(other.key), 0o600)
    assert ("bundle.pem", "key-mismatch", "error") in found(review_directory(tmp_path))


def test_kubeconfig_with_a_foreign_key(tmp_path: Path) -> None:
    ca = make_ca(name("kubernetes"))
    write_pair(tmp_path, "ca", ca)
    admin, other = make_leaf(ca, name("admin", "system:masters")), make_leaf(ca, "x")
    document = kubeconfig(ca.cert, "admin", admin).replace(
        base64.b64encode(key_pem(admin.key)), base64.b64encode(key_pem(other.key))
    )
    write(tmp_path / "admin.kubeconfig", document, 0o600)
    review = review_directory(tmp_path)
    assert ("admin.kubeconfig", "key-mismatch", "error") in found(review)


def test_expired_certificate_inside_a_kubeconfig(tmp_path: Path) -> None:
    from datetime import timedelta

    from review_pki import NOW

    ca = make_ca("kubernetes")
    write_pair(tmp_path, "ca", ca)
    stale = make_leaf(ca, name("admin", "system:masters"), start=NOW - timedelta(days=800))
    write(tmp_path / "admin.conf", kubeconfig(ca.cert, "admin", stale), 0o600)
    assert ("admin.conf", "expired", "error") in found(review_directory(tmp_path))


def test_kubeconfig_naming_a_missing_file(tmp_path: Path) -> None:
    ca = make_ca("kubernetes")
    write(
        tmp_path / "kube-proxy.kubeconfig",
        kubeconfig(ca.cert, "kube-proxy", cert_path="/nowhere/kube-proxy.pem"),
        0o600,
    )
    review = review_directory(tmp_path)
    assert ("kube-proxy.kubeconfig", "missing-file", "warning") in found(review)


def test_kubeconfig_file_outside_the_directory_is_read(tmp_path: Path) -> None:
    ca = make_ca("kubernetes")
    proxy = make_leaf(ca, name("kube-proxy", "k8s"))
    write_pair(tmp_path / "elsewhere", "kube-proxy", proxy)
    inside = tmp_path / "conf"
    write(
        inside / "kube-proxy.kubeconfig",
        kubeconfig(
            ca.cert,
            "kube-proxy",
            cert_path="../elsewhere/kube-proxy.pem",
            key_path="../elsewhere/kube-proxy-key.pem",
        ),
        0o600,
    )
    review = review_directory(inside)
    # the certificate named by path gets the kubeconfig's role, and its wrong CN is found
    assert ("kube-proxy.kubeconfig", "wrong-identity", "error") in found(review)


def test_duplicate_ca_and_shared_key(tmp_path: Path) -> None:
    first, second = make_ca(name("kubernetes")), make_ca(name("kubernetes"))
    write(tmp_path / "ca.pem", pem(first.cert))
    write(tmp_path / "old" / "ca.pem", pem(second.cert))
    a = make_leaf(first, "a")
    b = make_leaf(first, "b", key=a.key)
    write(tmp_path / "a.pem", pem(a.cert))
    write(tmp_path / "b.pem", pem(b.cert))
    write(tmp_path / "a-key.pem", key_pem(a.key), 0o600)
    review = review_directory(tmp_path)
    assert ("ca.pem", "duplicate-ca", "warning") in found(review)
    assert ("old/ca.pem", "duplicate-ca", "warning") in found(review)
    assert ("a.pem", "shared-key", "warning") in found(review)
    assert ("ca.pem", "ca-without-key", "info") in found(review)


def test_ca_file_that_is_not_a_ca(tmp_path: Path) -> None:
    ca = make_ca("real")
    write_pair(tmp_path, "ca", make_leaf(ca, "kubernetes"))
    assert ("ca.pem", "not-a-ca", "error") in found(review_directory(tmp_path))


def test_ca_key_on_a_worker_node(tmp_path: Path) -> None:
    ca = make_ca(name("kubernetes"))
    write_pair(tmp_path, "ca", ca)
    write_pair(tmp_path, "kube-proxy", make_leaf(ca, name("system:kube-proxy", "k8s")))
    review = review_directory(tmp_path)
    assert ("ca-key.pem", "ca-key-on-node", "warning") in found(review)


def test_ca_key_beside_the_apiserver_is_fine(engine_set: Path) -> None:
    assert "ca-key-on-node" not in {f.check for f in review_directory(engine_set).findings}


def test_wrong_kubelet_identity(tmp_path: Path) -> None:
    ca = make_ca(name("kubernetes"))
    write_pair(tmp_path, "ca", ca)
    write_pair(tmp_path, "kubelet-client-current", make_leaf(ca, name("node-1", "system:nodes")))
    write_pair(tmp_path, "kubelet-client-2026", make_leaf(ca, name("system:node:n2", "k8s")))
    review = review_directory(tmp_path)
    messages = {f.path: f.message for f in review.findings if f.check == "wrong-identity"}
    assert "system:node:<nodeName>" in messages["kubelet-client-current.pem"]
    assert "not system:nodes" in messages["kubelet-client-2026.pem"]


def test_missing_and_stale_sans_against_the_cluster_file(engine_set: Path) -> None:
    spec = ClusterSpec.example()
    spec.hosts.masters.append("192.168.214.203")  # a new master the certificate never heard of
    spec.hosts.registry = []  # the registry is gone: its address is a stale extra now
    spec.network.service_cidr = "10.96.0.0/12"
    review = review_directory(engine_set, config=spec)
    [missing] = [f for f in review.findings if f.check == "missing-san"]
    assert (missing.path, missing.severity) == ("kubernetes.pem", "error")
    assert "192.168.214.203" in missing.message and "10.96.0.1" in missing.message
    assert "master: kube-apiserver listens on this host" in missing.message
    [stale] = [f for f in review.findings if f.check == "stale-san"]
    assert stale.severity == "info" and "192.168.214.210" in stale.message


def test_per_member_certificate_for_no_member(kubeadm_tree: Path) -> None:
    spec = ClusterSpec.example()
    spec.profile = "kubeadm"
    review = review_directory(kubeadm_tree, config=spec)
    etcd = {f.path for f in review.findings if f.check == "missing-san"}
    assert "pki/etcd/server.crt" in etcd  # 192.168.0.10 is none of the example's etcd members


def test_empty_and_unparsable_files(tmp_path: Path) -> None:
    write(tmp_path / "ca.pem", b"")
    write(tmp_path / "notes.txt", b"")
    write(tmp_path / "broken.crt", b"this is not a certificate\n")
    review = review_directory(tmp_path)
    assert ("ca.pem", "empty-file", "warning") in found(review)
    assert ("notes.txt", "empty-file", "info") in found(review)
    assert ("broken.crt", "unparsable", "warning") in found(review)


def test_token_files(tmp_path: Path) -> None:
    good = b'0123456789abcdef0123456789abcdef,kubelet-bootstrap,10001,"system:bootstrappers"\n'
    write(tmp_path / "token.csv", good, 0o600)
    write(tmp_path / "old-token.csv", b"just-a-token\n", 0o644)
    review = review_directory(tmp_path)
    kinds = {r.path: r.kind for r in review.files}
    assert kinds["token.csv"] == kinds["old-token.csv"] == "token-file"
    assert ("old-token.csv", "bad-token-file", "warning") in found(review)
    assert ("old-token.csv", "key-permissions", "warning") in found(review)
    assert not [f for f in review.findings if f.path == "token.csv"]


def test_unknown_server_without_san_but_clients_without_san_are_fine(tmp_path: Path) -> None:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    write_pair(tmp_path, "web", make_leaf(ca, "web", eku=SERVER))
    write_pair(tmp_path, "both", make_leaf(ca, "both", eku=BOTH))
    write_pair(tmp_path, "client", make_leaf(ca, "client"))
    review = review_directory(tmp_path)
    assert {(f.path, f.check) for f in review.findings} == {("web.pem", "no-san")}


def test_public_key_pairs_with_its_private_key(kubeadm_tree: Path) -> None:
    review = review_directory(kubeadm_tree / "pki")
    assert "orphan-key" not in {f.check for f in review.findings}


def test_warn_days_widens_the_window(engine_set: Path) -> None:
    review = review_directory(engine_set, warn_days=20000)
    expiring = {f.path for f in review.findings if f.check == "expiring"}
    assert expiring == {"ca.pem", "kubernetes.pem", "admin.pem", "kube-proxy.pem"}


def test_root_ca_signature_hash_is_not_a_finding(tmp_path: Path) -> None:
    """A lone self-signed root with its key: nothing to say."""
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    assert review_directory(tmp_path).findings == []


def test_lone_service_account_key_is_only_information(tmp_path: Path) -> None:
    from review_pki import rsa_key

    write(tmp_path / "sa.key", key_pem(rsa_key(slot=3)), 0o600)
    assert found(review_directory(tmp_path)) == {("sa.key", "orphan-key", "info")}
