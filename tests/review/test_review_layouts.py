"""The layouts real tools leave, built from each tool's own recipe (k3s's deps.go file names,
the kubelet's certificate manager names), not from our catalogue: healthy ones review clean."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from review_pki import (
    BOTH,
    CLIENT,
    SERVER,
    ec_key,
    key_pem,
    make_ca,
    make_leaf,
    name,
    pem,
    write,
    write_pair,
)

from wizard.review import review_directory
from wizard.store import backup_name


def build_k3s_server_tls(tls: Path) -> Path:
    """/var/lib/rancher/k3s/server/tls as k3s's control/deps.go lays it out: ECDSA P-256
    throughout, leaves with key usage key encipherment, service.key + service.current.key."""
    client_ca = make_ca("k3s-client-ca", ec_key())
    server_ca = make_ca("k3s-server-ca", ec_key())
    request_ca = make_ca("k3s-request-header-ca", ec_key())
    write_pair(tls, "client-ca", client_ca, kubeadm=True)
    write_pair(tls, "server-ca", server_ca, kubeadm=True)
    write_pair(tls, "request-header-ca", request_ca, kubeadm=True)
    clients = {
        "client-admin": name("system:admin", "system:masters"),
        "client-supervisor": name("system:k3s-supervisor", "system:masters"),
        "client-controller": name("system:kube-controller-manager"),
        "client-scheduler": name("system:kube-scheduler"),
        "client-kube-apiserver": name("system:apiserver", "system:masters"),
        "client-kube-proxy": name("system:kube-proxy"),
        "client-k3s-controller": name("system:k3s-controller"),
    }
    for stem, subject in clients.items():
        leaf = make_leaf(client_ca, subject, key=ec_key(), eku=CLIENT, encipherment=True)
        write_pair(tls, stem, leaf, kubeadm=True)
    proxy = make_leaf(request_ca, "system:auth-proxy", key=ec_key(), eku=CLIENT, encipherment=True)
    write_pair(tls, "client-auth-proxy", proxy, kubeadm=True)
    serving = make_leaf(
        server_ca,
        "kube-apiserver",
        key=ec_key(),
        eku=SERVER,
        dns=("kubernetes", "kubernetes.default", "localhost", "server-1"),
        ips=("10.43.0.1", "127.0.0.1", "192.168.0.10"),
        encipherment=True,
    )
    write_pair(tls, "serving-kube-apiserver", serving, kubeadm=True)
    from cryptography.hazmat.primitives.asymmetric import rsa

    etcd_ca = make_ca("etcd-server-ca", ec_key())
    write_pair(tls / "etcd", "server-ca", etcd_ca, kubeadm=True)
    member = make_leaf(
        etcd_ca,
        "etcd-server",
        key=ec_key(),
        eku=BOTH,
        dns=("localhost", "server-1"),
        ips=("127.0.0.1",),
        encipherment=True,
    )
    write_pair(tls / "etcd", "server-client", member, kubeadm=True)
    service = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write(tls / "service.key", key_pem(service), 0o600)
    write(tls / "service.current.key", key_pem(service), 0o600)
    return tls


def test_a_healthy_k3s_server_reviews_clean(tmp_path: Path) -> None:
    tls = build_k3s_server_tls(tmp_path / "server" / "tls")
    review = review_directory(tls.parent)
    loud = [f for f in review.findings if f.severity != "info"]
    assert loud == [], loud
    checks = {(f.path, f.check) for f in review.findings}
    assert ("tls/service.key", "service-account-key") in checks
    assert ("tls/service.current.key", "service-account-key") in checks
    notes = [f for f in review.findings if f.check == "ecdsa-key-encipherment"]
    assert len(notes) == 10 and all(f.severity == "info" for f in notes)
    assert not any("move it" in f.message for f in review.findings)


def test_ecdsa_key_encipherment_still_warns_outside_k3s(tmp_path: Path) -> None:
    ca = make_ca("ca", ec_key())
    write_pair(tmp_path, "ca", ca)
    write_pair(tmp_path, "leaf", make_leaf(ca, "leaf", key=ec_key(), encipherment=True))
    write(tmp_path / "service.key", key_pem(ec_key()), 0o600)
    review = review_directory(tmp_path)
    severities = {f.check: f.severity for f in review.findings}
    assert severities["ecdsa-key-encipherment"] == "warning"
    assert severities["orphan-key"] == "warning"


def build_kubelet_pki(pki: Path, ca_name: str = "kubernetes") -> Path:
    """/var/lib/kubelet/pki a year after joining: the rotated-out client certificate (expired),
    the current one, the link, and the kubelet's self-signed serving pair."""
    ca = make_ca(ca_name)
    now = datetime.now(UTC)
    subject = name("system:node:node-1", "system:nodes")
    old = make_leaf(ca, subject, key=ec_key(), start=now - timedelta(days=400), days=365)
    new = make_leaf(ca, subject, key=ec_key(), start=now - timedelta(days=30), days=365)
    for stamp, pair in (("2025-10-28-10-00-00", old), ("2026-11-02-10-00-00", new)):
        write(pki / f"kubelet-client-{stamp}.pem", pem(pair.cert) + key_pem(pair.key), 0o600)
    os.symlink("kubelet-client-2026-11-02-10-00-00.pem", pki / "kubelet-client-current.pem")
    serving_ca = make_ca("node-1-ca@1730000000", days=365 + 20)  # kubelet's own, key discarded
    serving = make_leaf(serving_ca, "node-1@1730000000", key=ec_key(), eku=BOTH, dns=("node-1",))
    # the kubelet signs kubelet.crt with its own key: a self-signed leaf
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    builder = (
        x509.CertificateBuilder()
        .subject_name(serving.cert.subject)
        .issuer_name(serving.cert.subject)
        .public_key(serving.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=370))
        .not_valid_after(now + timedelta(days=20 + 365 * 0))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("node-1")]), critical=False)
    )
    write(pki / "kubelet.crt", pem(builder.sign(serving.key, hashes.SHA256())))
    write(pki / "kubelet.key", key_pem(serving.key), 0o600)
    write(pki.parent / "ca.crt", pem(ca.cert))
    return pki


def test_a_year_old_kubelet_pki(tmp_path: Path) -> None:
    pki = build_kubelet_pki(tmp_path / "kubelet" / "pki")
    review = review_directory(tmp_path / "kubelet", warn_days=10)
    errors = [f for f in review.findings if f.severity == "error"]
    assert errors == [], errors
    rotated = [f for f in review.findings if f.check == "rotated-out"]
    assert [f.path for f in rotated] == ["pki/kubelet-client-2025-10-28-10-00-00.pem"]
    assert rotated[0].severity == "info"
    # the current certificate's expiry is still checked
    late = review_directory(tmp_path / "kubelet", warn_days=400)
    assert any(
        f.check == "expiring" and f.path == "pki/kubelet-client-2026-11-02-10-00-00.pem"
        for f in late.findings
    )
    soon = review_directory(pki, warn_days=30)
    kubelet = [f for f in soon.findings if f.path == "kubelet.crt" and f.check == "expiring"]
    assert kubelet and "same CA" not in kubelet[0].message
    assert "restart the kubelet" in kubelet[0].message


def test_our_backup_folders_are_not_problems(tmp_path: Path) -> None:
    ca = make_ca("ca")
    write_pair(tmp_path, "ca", ca)
    write_pair(tmp_path, "admin", make_leaf(ca, name("admin", "system:masters")))
    backup = tmp_path / backup_name(datetime(2026, 11, 28, 16, 40, 20, tzinfo=UTC), 4711)
    old = make_leaf(ca, "admin", start=datetime.now(UTC) - timedelta(days=60), days=30)
    write_pair(backup, "admin", old)
    write(backup / "stray-key.pem", key_pem(ec_key()), 0o600)
    review = review_directory(tmp_path)
    assert [f for f in review.findings if f.severity != "info"] == []
    assert [(f.path, f.check) for f in review.findings] == [(backup.name, "backup-folder")]
    # a folder merely named like one is reviewed
    (tmp_path / "backup-old").mkdir()
    write(tmp_path / "backup-old" / "stray-key.pem", key_pem(ec_key()), 0o600)
    assert any(f.check == "orphan-key" for f in review_directory(tmp_path).findings)
