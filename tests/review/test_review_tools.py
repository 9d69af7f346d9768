"""The review on directories other tools made with their own recipes (tool_layouts.py): healthy
ones review clean with every certificate given a role and a convention; planted faults are found
with the right slug and severity."""

from __future__ import annotations

import base64
import ipaddress
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from review_pki import build_kubeadm_tree
from tool_layouts import (
    KTHW_NODES,
    KUBEASZ_MASTERS,
    KUBESPRAY_ETCD,
    RANCHER_NODE,
    RANCHER_TLS_SAN,
    GoPair,
    build_kthw,
    build_kubeasz,
    build_kubespray_etcd,
    build_rancher_agent,
    build_rancher_server,
    load_go_pair,
    write_dynamic_cert,
)

from wizard.cli.review import review_exit_code
from wizard.review import Review, review_directory
from wizard.review.conventions import K3S, KTHW, KUBEADM, KUBEASZ, KUBELET, KUBESPRAY, RKE2
from wizard.review.tls_secret import tls_secret_pem
from wizard.spec import ClusterSpec, HostLists, Node

# k3s's CAs have serial 0 (client-go's certutil), which cryptography warns about
pytestmark = pytest.mark.filterwarnings("ignore:Parsed a serial number")


@pytest.fixture(scope="session")
def tool_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each tool's directory, built once (tests copy before changing anything)."""
    base = tmp_path_factory.mktemp("tools")
    sets = {
        "kubeasz": build_kubeasz(base / "kubeasz" / "kubernetes", base / "kubeasz-work"),
        "kubespray": build_kubespray_etcd(base / "kubespray" / "ssl", base / "kubespray-work"),
        "kthw": build_kthw(base / "kthw" / "jumpbox"),
        "rke2": build_rancher_server(base / "rke2" / "server", "rke2"),
        "k3s": build_rancher_server(base / "k3s" / "server", "k3s"),
        "kubeadm": build_kubeadm_tree(base / "kubeadm" / "kubernetes"),
    }
    # an agent node's <data-dir>/agent, its certificates signed by that server
    sets["rke2-agent"] = build_rancher_agent(base / "rke2-agent" / "agent", sets["rke2"], "rke2")
    sets["k3s-agent"] = build_rancher_agent(base / "k3s-agent" / "agent", sets["k3s"], "k3s")
    return sets


CONVENTIONS = {
    "kubeasz": {KUBEASZ},
    "kubespray": {KUBESPRAY},
    "kthw": {KTHW},
    "rke2": {RKE2},
    "k3s": {K3S},
    "kubeadm": {KUBEADM, KUBELET},
    "rke2-agent": {RKE2},
    "k3s-agent": {K3S},
}
TOOLS = tuple(CONVENTIONS)


def _copy(tool_sets: dict[str, Path], tool: str, tmp_path: Path) -> Path:
    source, target = tool_sets[tool], tmp_path / tool_sets[tool].name
    shutil.copytree(source, target, symlinks=True)
    for kubeconfig in target.rglob("*.kubeconfig"):  # k3s's name their files by absolute path
        text = kubeconfig.read_text()
        kubeconfig.write_text(text.replace(f"{source}/", f"{target}/"))
    return target


def loud(review: Review) -> list[tuple[str, str, str]]:
    return [(f.path, f.check, f.severity) for f in review.findings if f.severity != "info"]


@pytest.mark.slow
@pytest.mark.parametrize("tool", TOOLS)
def test_a_healthy_set_reviews_clean(tool_sets: dict[str, Path], tool: str) -> None:
    review = review_directory(tool_sets[tool])
    assert loud(review) == []
    assert review_exit_code(review) == 0
    certificates = [r for r in review.files if r.cert is not None]
    assert len(certificates) >= 9
    assert [r.ref for r in certificates if not r.role] == []
    # the convention is the tool's, for its own files (kubeconfigs' CA copies included)
    assert {r.convention for r in certificates} == CONVENTIONS[tool]
    # an issuer is a CA file, never a copy inside a kubeconfig
    issuers = {r.issued_by for r in certificates if r.issued_by}
    assert issuers and not any("(" in issuer for issuer in issuers), issuers


def test_the_roles_say_what_each_file_is(tool_sets: dict[str, Path]) -> None:
    roles = {
        tool: {r.ref: r.role for r in review_directory(path).files if r.cert is not None}
        for tool, path in tool_sets.items()
    }
    assert roles["kubeasz"]["ssl/etcd.pem"] == "etcd"
    assert roles["kubeasz"]["ssl/aggregator-proxy.pem"] == "aggregator-proxy"
    assert roles["kubespray"]["member-node2.pem"] == "member-node2"
    assert roles["kubespray"]["node-node4.pem"] == "node-node4"
    assert roles["kthw"]["service-accounts.crt"] == "service-accounts"
    assert roles["kthw"]["node-1.crt"] == "node-1"
    assert roles["rke2"]["tls/client-rke2-controller.crt (#1)"] == "client-rke2-controller"
    assert roles["rke2"]["tls/client-rke2-controller.crt (#2)"] == "ca-copy"
    assert roles["k3s"]["tls/etcd/peer-server-client.crt (#1)"] == "etcd/peer-server-client"


def test_rancher_keys_without_certificates_are_notes(tool_sets: dict[str, Path]) -> None:
    review = review_directory(tool_sets["rke2"])
    notes = {(f.path, f.check, f.severity) for f in review.findings}
    assert ("tls/client-kubelet.key", "key-only", "info") in notes
    assert ("tls/serving-kubelet.key", "key-only", "info") in notes
    assert ("tls/service.key", "service-account-key", "info") in notes
    assert not any("move it" in f.message for f in review.findings)


# -- planted faults ---------------------------------------------------------------------------

# tool: (a leaf, its key, the CA certificate, the CA key) as paths under the set's root
PARTS = {
    "kubeasz": ("ssl/kubernetes.pem", "ssl/kubernetes-key.pem", "ssl/ca.pem", "ssl/ca-key.pem"),
    "kubespray": ("member-node1.pem", "member-node1-key.pem", "ca.pem", "ca-key.pem"),
    "kthw": ("kube-api-server.crt", "kube-api-server.key", "ca.crt", "ca.key"),
    "rke2": (
        "tls/serving-kube-apiserver.crt",
        "tls/serving-kube-apiserver.key",
        "tls/server-ca.crt",
        "tls/server-ca.key",
    ),
    "kubeadm": ("pki/apiserver.crt", "pki/apiserver.key", "pki/ca.crt", "pki/ca.key"),
    "k3s": (
        "tls/etcd/server-client.crt",
        "tls/etcd/server-client.key",
        "tls/etcd/server-ca.crt",
        "tls/etcd/server-ca.key",
    ),
}


def _load_key(path: Path) -> object:
    return serialization.load_pem_private_key(path.read_bytes(), None)


def reissue(
    root: Path,
    tool: str,
    *,
    start: datetime,
    days: int,
    ca_cert: x509.Certificate | None = None,
    ca_key: object | None = None,
) -> None:
    """The leaf again, same subject, key and extensions, with another validity (and issuer)."""
    leaf_path, _, ca_path, ca_key_path = (root / part for part in PARTS[tool])
    leaf = x509.load_pem_x509_certificate(leaf_path.read_bytes())
    ca = ca_cert or x509.load_pem_x509_certificate(ca_path.read_bytes())
    signer = ca_key or _load_key(ca_key_path)
    builder = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(ca.subject)
        .public_key(leaf.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
    )
    for extension in leaf.extensions:
        if isinstance(extension.value, x509.AuthorityKeyIdentifier):
            continue
        builder = builder.add_extension(extension.value, extension.critical)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),  # type: ignore[attr-defined]
        critical=False,
    )
    cert = builder.sign(signer, hashes.SHA256())  # type: ignore[arg-type]
    text = cert.public_bytes(serialization.Encoding.PEM)
    if tool in ("rke2", "k3s"):  # deps.go writes leaves with their CA appended
        text += ca.public_bytes(serialization.Encoding.PEM)
    leaf_path.write_bytes(text)


def _expired(root: Path, tool: str) -> None:
    reissue(root, tool, start=datetime.now(UTC) - timedelta(days=400), days=365)


def _mismatched_key(root: Path, tool: str) -> None:
    key_path = root / PARTS[tool][1]
    key_path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


def _world_readable(root: Path, tool: str) -> None:
    (root / PARTS[tool][1]).chmod(0o644)


FAULTS: dict[str, tuple[Callable[[Path, str], None], str, str]] = {
    "expired": (_expired, "expired", "error"),
    "key-mismatch": (_mismatched_key, "key-mismatch", "error"),
    "world-readable key": (_world_readable, "key-permissions", "warning"),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("tool", tuple(PARTS))
def test_planted_faults_are_found(
    tool_sets: dict[str, Path], tool: str, fault: str, tmp_path: Path
) -> None:
    root = _copy(tool_sets, tool, tmp_path)
    plant, check, severity = FAULTS[fault]
    plant(root, tool)
    review = review_directory(root)
    path = PARTS[tool][1] if fault != "expired" else PARTS[tool][0]
    assert (path, check, severity) in loud(review), loud(review)
    # the fault is reported where it is, and nowhere else
    assert {p for p, _, _ in loud(review)} == {path}, loud(review)
    assert review_exit_code(review) == (2 if severity == "error" else 1)


def _regenerate_ca(root: Path, tool: str) -> tuple[str, str]:
    """A new CA key and certificate with the same subject in the CA's files; the leaves stay as
    the old CA signed them. Returns (CA file, leaf)."""
    _, _, ca_path, ca_key_path = (root / part for part in PARTS[tool])
    old = x509.load_pem_x509_certificate(ca_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(minutes=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    new = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    ca_path.write_bytes(new)
    nochain = ca_path.with_suffix(".nochain.crt")
    if nochain.exists():  # k3s writes the copy without a chain with the CA
        nochain.write_bytes(new)
    ca_key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return PARTS[tool][2], PARTS[tool][0]


@pytest.mark.parametrize("tool", tuple(PARTS))
def test_a_regenerated_ca_is_an_error_that_says_what_signed_what(
    tool_sets: dict[str, Path], tool: str, tmp_path: Path
) -> None:
    root = _copy(tool_sets, tool, tmp_path)
    ca_file, leaf = _regenerate_ca(root, tool)
    review = review_directory(root)
    errors = {(f.path, f.check) for f in review.findings if f.severity == "error"}
    assert (leaf, "bad-signature") in errors, loud(review)
    assert review_exit_code(review) == 2
    # never "issued by <a kubeconfig's copy>": the issuer is a CA file or nothing
    assert not any("certificate-authority-data" in (r.issued_by or "") for r in review.files)
    assert not any("issued by" in f.message and "-data)" in f.message for f in review.findings)
    leaf_finding = next(f for f in review.findings if f.path == leaf and f.check == "bad-signature")
    assert ca_file in leaf_finding.message
    # no advice to move away the CA file that is the one in use
    assert not any(
        f"move {ca_file}" in f.message or "move the old one away" in f.message
        for f in review.findings
    )
    # the CA's folder alone gives no weaker verdict than the whole tree
    alone = review_directory((root / leaf).parent)
    alone_errors = {f.check for f in alone.findings if f.severity == "error"}
    assert "bad-signature" in alone_errors
    assert review_exit_code(review) >= review_exit_code(alone)


def test_a_kubeconfig_with_the_old_ca_makes_it_an_error_naming_who_trusts_which(
    tool_sets: dict[str, Path], tmp_path: Path
) -> None:
    """kubeasz: the CA regenerated and every leaf re-issued with it, but the kubeconfigs still
    embed the old CA (and their client certificates were signed by it)."""
    root = _copy(tool_sets, "kubeasz", tmp_path)
    ca_file, _ = _regenerate_ca(root, "kubeasz")
    new_ca = x509.load_pem_x509_certificate((root / ca_file).read_bytes())
    new_key = _load_key(root / PARTS["kubeasz"][3])
    reissue(root, "kubeasz", start=datetime.now(UTC), days=365, ca_cert=new_ca, ca_key=new_key)
    review = review_directory(root)
    duplicate = [f for f in review.findings if f.check == "duplicate-ca"]
    assert duplicate and {f.severity for f in duplicate} == {"error"}
    message = duplicate[0].message
    assert "kubelet.kubeconfig" in message and "ssl/kubernetes.pem" in message
    # the kubeconfigs' client certificates were signed by the old CA: errors too
    assert ("kubelet.kubeconfig", "bad-signature", "error") in loud(review)
    assert review_exit_code(review) == 2


# -- cluster.toml (-c) ---------------------------------------------------------------------------


def test_kubeasz_new_etcd_member_is_missing_from_the_one_shared_certificate(
    tool_sets: dict[str, Path],
) -> None:
    spec = ClusterSpec(
        hosts=HostLists(etcd=[*KUBEASZ_MASTERS], masters=[*KUBEASZ_MASTERS]),
    )
    healthy = review_directory(tool_sets["kubeasz"], config=spec)
    assert loud(healthy) == []
    # nothing advises dropping an address from the certificate every member shares
    assert not any("drop" in f.message for f in healthy.findings if f.path == "ssl/etcd.pem")
    grown = ClusterSpec(
        hosts=HostLists(etcd=[*KUBEASZ_MASTERS, "192.168.1.4"], masters=[*KUBEASZ_MASTERS])
    )
    review = review_directory(tool_sets["kubeasz"], config=grown)
    missing = [f for f in review.findings if f.check == "missing-san"]
    assert [(f.path, f.severity) for f in missing] == [("ssl/etcd.pem", "error")]
    assert "192.168.1.4" in missing[0].message and "every member" in missing[0].message


def test_kubeasz_new_master_is_missing_from_the_apiserver_certificate(
    tool_sets: dict[str, Path],
) -> None:
    grown = ClusterSpec(
        hosts=HostLists(etcd=[*KUBEASZ_MASTERS], masters=[*KUBEASZ_MASTERS, "192.168.1.9"])
    )
    review = review_directory(tool_sets["kubeasz"], config=grown)
    missing = [(f.path, f.severity) for f in review.findings if f.check == "missing-san"]
    assert missing == [("ssl/kubernetes.pem", "error")]


def test_kubespray_new_member_has_no_certificate(tool_sets: dict[str, Path]) -> None:
    members = list(KUBESPRAY_ETCD.values())
    healthy = review_directory(
        tool_sets["kubespray"], config=ClusterSpec(hosts=HostLists(etcd=members))
    )
    assert loud(healthy) == []
    grown = ClusterSpec(hosts=HostLists(etcd=[*members, "10.10.1.6"]))
    review = review_directory(tool_sets["kubespray"], config=grown)
    assert ("ca.pem", "missing-member-certificate", "error") in loud(review), loud(review)
    # the members' own certificates are not made wrong by a member they do not list
    assert not any(f.path.startswith("member-") for f in review.findings if f.severity != "info")


def test_kubeadm_with_its_cluster_file_wants_only_what_kubeadm_writes(
    tool_sets: dict[str, Path],
) -> None:
    """kubeadm's certlist.go: no loopback on the apiserver, etcd's certificates carry the
    node's real name (not an `etcd-1` of ours), and each apiserver lists its own node only."""
    hosts = HostLists(etcd=["192.168.0.10"], masters=["192.168.0.10", "192.168.0.11"])
    spec = ClusterSpec(profile="kubeadm", hosts=hosts)
    spec.network.service_cidr = "10.96.0.0/12"
    review = review_directory(tool_sets["kubeadm"], config=spec)
    assert loud(review) == []
    assert not any("drop them" in f.message for f in review.findings)
    # a VIP in front of the apiservers (controlPlaneEndpoint) that the certificate lacks
    hosts.vip = ["192.168.0.100"]
    review = review_directory(tool_sets["kubeadm"], config=spec)
    missing = [f for f in review.findings if f.check == "missing-san"]
    assert [(f.path, f.severity) for f in missing] == [("pki/apiserver.crt", "error")]
    assert "192.168.0.100" in missing[0].message and "127.0.0.1" not in missing[0].message


# -- k3s / RKE2: the listener's dynamic-cert.json -------------------------------------------------


def _server_ca(root: Path) -> GoPair:
    return load_go_pair(root / "tls" / "server-ca.crt", root / "tls" / "server-ca.key")


@pytest.mark.parametrize("tool", ["rke2", "k3s"])
def test_dynamic_cert_json_is_read_as_the_listener_writes_it(
    tool_sets: dict[str, Path], tool: str
) -> None:
    root = tool_sets[tool]
    review = review_directory(root)
    held = {r.ref: r for r in review.files if r.path == "tls/dynamic-cert.json"}
    leaf, ca, key = (held[f"tls/dynamic-cert.json (#{n})"] for n in (1, 2, 3))
    assert (leaf.role, leaf.convention, leaf.issued_by) == (
        "dynamic-cert",
        CONVENTIONS[tool].copy().pop(),
        "tls/server-ca.crt",
    )
    assert ca.role == "ca-copy" and key.key is not None and leaf.ref in key.paired
    # the same names openssl reads from the Secret's tls.crt
    secret = json.loads((root / "tls" / "dynamic-cert.json").read_text())
    pem = base64.b64decode(secret["data"]["tls.crt"])
    shown = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName"],
        input=pem,
        capture_output=True,
        check=True,
    ).stdout.decode()
    openssl_names = {
        _canonical(part.strip().split(":", 1)[1]) for part in shown.splitlines()[1].split(",")
    }
    assert leaf.cert is not None
    assert {_canonical(n) for n in (*leaf.cert.dns_sans, *leaf.cert.ip_sans)} == openssl_names
    assert RANCHER_TLS_SAN[1] in openssl_names and "kubernetes.default.svc" in openssl_names


def _canonical(name: str) -> str:
    """An IP address in one spelling (openssl writes ::1 as 0:0:0:0:0:0:0:1)."""
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def _plant_dynamic_cert(root: Path, tool: str, **options: object) -> None:
    write_dynamic_cert(root / "tls" / "dynamic-cert.json", tool, _server_ca(root), **options)


def test_dynamic_cert_faults_have_the_listeners_consequences(
    tool_sets: dict[str, Path], tmp_path: Path
) -> None:
    """dynamiclistener renews its certificate itself when fewer than 90 days remain: one that
    expires soon is a note, an expired one means the listener is not running or failing (a
    warning); a key that is not the certificate's breaks every handshake (an error)."""
    path = "tls/dynamic-cert.json"
    root = _copy(tool_sets, "rke2", tmp_path)
    _plant_dynamic_cert(root, "rke2", start=datetime.now(UTC) - timedelta(days=355), days=365)
    review = review_directory(root)
    assert loud(review) == [] and review_exit_code(review) == 0
    note = next(f for f in review.findings if f.path == path and f.check == "expiring")
    assert note.severity == "info" and "renews it itself" in note.message

    _plant_dynamic_cert(root, "rke2", start=datetime.now(UTC) - timedelta(days=400), days=365)
    review = review_directory(root)
    assert loud(review) == [(path, "expired", "warning")]
    assert "systemctl restart rke2-server" in review.findings[0].message

    _plant_dynamic_cert(root, "rke2", key=ec.generate_private_key(ec.SECP256R1()))
    review = review_directory(root)
    assert (path, "key-mismatch", "error") in loud(review)
    assert {p for p, _, _ in loud(review)} == {path}
    assert review_exit_code(review) == 2

    _plant_dynamic_cert(root, "rke2")
    (root / path).chmod(0o644)
    assert loud(review_directory(root)) == [(path, "key-permissions", "warning")]


@pytest.mark.parametrize(
    "junk",
    [b"", b"{", b'{"data": {"tls.crt": "not base64!"}}', b'{"data": {"tls.crt": "aGVsbG8="}}'],
)
def test_a_damaged_dynamic_cert_json_is_no_alarm(
    tool_sets: dict[str, Path], tmp_path: Path, junk: bytes
) -> None:
    """k3s removes an unreadable dynamic-cert.json and makes a new one (dynacert's
    RecoveringStorage): nothing for the operator to do, and nothing raised."""
    root = _copy(tool_sets, "k3s", tmp_path)
    (root / "tls" / "dynamic-cert.json").write_bytes(junk)
    review = review_directory(root)
    assert [f for f in loud(review) if f[1] != "empty-file"] == []
    assert not any(f.check == "internal-error" for f in review.findings)


# -- k3s / RKE2 with a cluster file --------------------------------------------------------------


def _rancher_spec(vip: str | None = RANCHER_TLS_SAN[1], *masters: str) -> ClusterSpec:
    hosts = HostLists(masters=[RANCHER_NODE[1], *masters], etcd=[RANCHER_NODE[1], *masters])
    hosts.vip = [vip] if vip else []
    return ClusterSpec(hosts=hosts)


@pytest.mark.parametrize("tool", ["rke2", "k3s"])
def test_rancher_server_with_its_cluster_file_wants_the_vip_only(
    tool_sets: dict[str, Path], tool: str
) -> None:
    """Each server's certificates carry config.SANs: --tls-san, its own names and addresses.
    Other servers' addresses are not in them, and need not be; the VIP in front must be."""
    healthy = review_directory(tool_sets[tool], config=_rancher_spec())
    assert loud(healthy) == []
    # a new server: it makes its own certificates when it joins, nothing here is wrong
    grown = review_directory(tool_sets[tool], config=_rancher_spec(RANCHER_TLS_SAN[1], "10.9.9.9"))
    assert loud(grown) == []
    # a load balancer address the servers were not started with
    moved = review_directory(tool_sets[tool], config=_rancher_spec("192.168.0.200"))
    missing = sorted((f.path, f.severity) for f in moved.findings if f.check == "missing-san")
    assert missing == [
        ("tls/dynamic-cert.json", "error"),
        ("tls/serving-kube-apiserver.crt", "error"),
    ]
    message = next(f.message for f in moved.findings if f.check == "missing-san")
    assert "192.168.0.200 (virtual IP)" in message
    assert f"/etc/rancher/{tool}/config.yaml" in message and "tls-san" in message
    assert not any("drop" in f.message for f in moved.findings)


# -- the Rancher agent ---------------------------------------------------------------------------


def test_the_agent_files_have_their_roles(tool_sets: dict[str, Path]) -> None:
    roles = {r.ref: r.role for r in review_directory(tool_sets["rke2-agent"]).files if r.role}
    assert roles["client-kubelet.crt (#1)"] == "client-kubelet"
    assert roles["serving-kubelet.crt (#1)"] == "serving-kubelet"
    assert roles["client-kube-proxy.crt (#1)"] == "client-kube-proxy"
    assert roles["client-rke2-controller.crt (#1)"] == "client-rke2-controller"
    assert roles["serving-kubelet.crt (#2)"] == "ca-copy"
    assert roles["server-ca.crt"] == "server-ca" and roles["client-ca.crt"] == "client-ca"
    assert roles["serving-kubelet.key"] == "serving-kubelet"
    k3s = {r.ref: r.role for r in review_directory(tool_sets["k3s-agent"]).files if r.role}
    assert k3s["client-k3s-controller.crt (#1)"] == "client-k3s-controller"


def _reissue_agent_leaf(root: Path, stem: str, ca: GoPair, start: datetime, days: int) -> None:
    """The supervisor's certificate for this agent again, another validity."""
    old = x509.load_pem_x509_certificates((root / f"{stem}.crt").read_bytes())[0]
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(ca.cert.subject)
        .public_key(old.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
    )
    for extension in old.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    cert = builder.sign(ca.key, hashes.SHA256())
    (root / f"{stem}.crt").write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + ca.cert.public_bytes(serialization.Encoding.PEM)
    )


def test_agent_faults_are_found(tool_sets: dict[str, Path], tmp_path: Path) -> None:
    root = _copy(tool_sets, "rke2-agent", tmp_path)
    ca = _server_ca(tool_sets["rke2"])
    _reissue_agent_leaf(root, "serving-kubelet", ca, datetime.now(UTC) - timedelta(days=400), 365)
    review = review_directory(root)
    assert loud(review) == [("serving-kubelet.crt", "expired", "error")]
    assert "systemctl restart rke2-agent" in review.findings[0].message
    assert review_exit_code(review) == 2

    root = _copy(tool_sets, "rke2-agent", tmp_path / "2")
    (root / "client-kubelet.key").write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    review = review_directory(root)
    assert ("client-kubelet.key", "key-mismatch", "error") in loud(review)
    assert {p for p, _, _ in loud(review)} <= {"client-kubelet.key", "kubelet.kubeconfig"}

    root = _copy(tool_sets, "rke2-agent", tmp_path / "3")
    (root / "client-kubelet.key").chmod(0o644)
    assert loud(review_directory(root)) == [("client-kubelet.key", "key-permissions", "warning")]

    # the server CA rotated and the agent fetched the new one, but kept its old certificates
    root = _copy(tool_sets, "rke2-agent", tmp_path / "4")
    new = _go_ca_like(ca.cert)
    (root / "server-ca.crt").write_bytes(new)
    review = review_directory(root)
    assert ("serving-kubelet.crt", "bad-signature", "error") in loud(review), loud(review)
    assert review_exit_code(review) == 2


def _go_ca_like(old: x509.Certificate) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(minutes=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def test_a_server_node_reviewed_whole_is_clean(tool_sets: dict[str, Path], tmp_path: Path) -> None:
    """/var/lib/rancher/rke2 on a server: server/ and its own agent/ side by side."""
    data = tmp_path / "rke2"
    shutil.copytree(tool_sets["rke2"], data / "server", symlinks=True)
    build_rancher_agent(data / "agent", data / "server", "rke2", RANCHER_NODE)
    review = review_directory(data)
    assert loud(review) == [] and review_exit_code(review) == 0
    assert {r.convention for r in review.files if r.cert is not None} == {RKE2}
    # an issuer is named by the CA file with its key, not the agent's copy of it
    issuers = {r.issued_by for r in review.files if r.issued_by}
    assert issuers == {
        "server/tls/client-ca.crt",
        "server/tls/server-ca.crt",
        "server/tls/request-header-ca.crt",
        "server/tls/etcd/server-ca.crt",
        "server/tls/etcd/peer-ca.crt",
    }


# -- Kubernetes The Hard Way with a cluster file --------------------------------------------------


def _kthw_spec(*, nodes: tuple[str, ...] = KTHW_NODES, vip: tuple[str, ...] = ()) -> ClusterSpec:
    """machines.txt's cluster: one controller reached as server.kubernetes.local, the nodes."""
    spec = ClusterSpec(
        hosts=HostLists(masters=["server.kubernetes.local"], vip=list(vip)),
        nodes=[Node(name, f"10.240.0.{20 + n}") for n, name in enumerate(nodes)],
    )
    spec.network.service_cidr = "10.32.0.0/24"  # kube-apiserver's --service-cluster-ip-range
    return spec


def _resign_kthw(root: Path, name: str, sans: list[x509.GeneralName]) -> None:
    """`<name>.crt` again from its key and subject, with other SANs, signed by ca.key."""
    old = x509.load_pem_x509_certificate((root / f"{name}.crt").read_bytes())
    ca = x509.load_pem_x509_certificate((root / "ca.crt").read_bytes())
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(ca.subject)
        .public_key(old.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(old.not_valid_before_utc)
        .not_valid_after(old.not_valid_after_utc)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
    )
    for extension in old.extensions:
        if not isinstance(extension.value, x509.SubjectAlternativeName):
            builder = builder.add_extension(extension.value, extension.critical)
    cert = builder.sign(_load_key(root / "ca.key"), hashes.SHA256())  # type: ignore[arg-type]
    (root / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_kthw_with_its_cluster_file(tool_sets: dict[str, Path], tmp_path: Path) -> None:
    """ca.conf's names are what the guide means: the apiserver certificate lists the controller
    by name, each node's certificate its node's name."""
    healthy = review_directory(tool_sets["kthw"], config=_kthw_spec())
    assert loud(healthy) == []
    assert not any(f.check == "stale-san" for f in healthy.findings)
    # a third node in the cluster file: no node-2.crt
    grown = review_directory(tool_sets["kthw"], config=_kthw_spec(nodes=(*KTHW_NODES, "node-2")))
    assert loud(grown) == [("ca.crt", "missing-node-certificate", "error")]
    assert "[node-2] section to ca.conf" in grown.findings[0].message
    # a VIP in front of the controllers that kube-api-server.crt lacks
    fronted = review_directory(tool_sets["kthw"], config=_kthw_spec(vip=("10.240.0.100",)))
    assert loud(fronted) == [("kube-api-server.crt", "missing-san", "error")]
    message = fronted.findings[0].message
    assert "10.240.0.100 (virtual IP)" in message and "kube-api-server_alt_names" in message

    root = _copy(tool_sets, "kthw", tmp_path)
    # node-1's certificate without its name; the apiserver's with an old load balancer's name
    _resign_kthw(root, "node-1", [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    _resign_kthw(
        root,
        "kube-api-server",
        [
            *(x509.DNSName(n) for n in ("kubernetes", "server.kubernetes.local", "old-lb.example")),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("10.32.0.1")),
        ],
    )
    review = review_directory(root, config=_kthw_spec())
    assert loud(review) == [("node-1.crt", "missing-san", "error")]
    stale = [f for f in review.findings if f.check == "stale-san"]
    assert [(f.path, f.severity) for f in stale] == [("kube-api-server.crt", "info")]
    assert "old-lb.example" in stale[0].message and "drop" not in stale[0].message


@settings(
    max_examples=60,
    deadline=timedelta(seconds=5),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    field=st.sampled_from(["tls.crt", "tls.key", "data", "metadata"]),
    cut=st.integers(min_value=0, max_value=4000),
    noise=st.binary(max_size=64),
)
def test_a_mutated_secret_is_only_reported(
    tool_sets: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    field: str,
    cut: int,
    noise: bytes,
) -> None:
    """The real dynamic-cert.json with one field's content cut and spliced with junk (the PEM
    inside the base64, or the JSON around it): the scan reports, never raises, stays fast."""
    secret = json.loads((tool_sets["k3s"] / "tls" / "dynamic-cert.json").read_text())
    if field in ("tls.crt", "tls.key"):
        inner = base64.b64decode(secret["data"][field])
        secret["data"][field] = base64.b64encode(inner[:cut] + noise + inner[cut:]).decode()
        text = json.dumps(secret).encode()
    else:
        whole = json.dumps(secret).encode()
        text = whole[:cut] + noise + whole[cut + len(noise) :]
    root = tmp_path_factory.mktemp("secret")
    (root / "dynamic-cert.json").write_bytes(text)
    start = time.process_time()  # CPU seconds: a bound on the work, not on the machine's load
    review = review_directory(root)
    assert time.process_time() - start < 1.0
    assert not any(f.check == "internal-error" for f in review.findings)
    assert tls_secret_pem(text) is None or isinstance(tls_secret_pem(text), bytes)


def test_rancher_expiry_advice_names_who_renews_what(tool_sets: dict[str, Path]) -> None:
    """Leaves: the server re-issues them at start (under 90 days left); CAs: no one does."""
    soon = review_directory(tool_sets["rke2"], now=datetime.now(UTC) + timedelta(days=350))
    leaf = next(f for f in soon.findings if f.path == "tls/serving-kube-apiserver.crt")
    assert (leaf.check, leaf.severity) == ("expiring", "warning")
    assert "systemctl restart rke2-server" in leaf.message and "rotate`" in leaf.message
    late = review_directory(tool_sets["rke2"], now=datetime.now(UTC) + timedelta(days=3640))
    ca = [f for f in late.findings if f.check == "expiring" and "(#2)" in f.message]
    assert ca and all("rke2 certificate rotate-ca" in f.message for f in ca)
    assert not any("renew it with the same CA" in f.message for f in late.findings)
