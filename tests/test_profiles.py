"""complete and kubeadm: every certificate matches its catalogue entry; kubeconfigs, token, plan."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from tests.conftest import need_tool
from wizard import pki
from wizard.bootstrap import TOKEN_PATTERN
from wizard.catalog import (
    concrete_entries,
    concrete_kubeconfigs,
    files_of,
    get_profile,
    organization_of,
    sans_of,
    usages_for,
)
from wizard.certdetails import ext_key_usage_words, signed_by, subject_alternative_names
from wizard.distribution import component_flags, plan_distribution
from wizard.generate import generate_files, planned_file_names
from wizard.spec import ClusterSpec, Node, load_spec, validate
from wizard.store import write_files

PROFILES = ("complete", "kubeadm")


def spec_for(profile: str, kubelet: str = "certificates") -> ClusterSpec:
    spec = ClusterSpec.example()
    spec.profile, spec.kubelet = profile, kubelet
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.101"), Node("master-1", "192.168.214.200")]
    return spec


@pytest.fixture(scope="module", params=PROFILES)
def generated(request, tmp_path_factory) -> tuple[ClusterSpec, Path]:
    spec = spec_for(request.param)
    directory = tmp_path_factory.mktemp(request.param) / "out"
    write_files(directory, generate_files(spec))
    return spec, directory


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_spec_with_nodes_is_valid_and_round_trips(tmp_path: Path) -> None:
    spec = spec_for("complete", "bootstrap")
    assert validate(spec) == []
    from wizard.spec import save_spec

    save_spec(spec, tmp_path / "c.toml")
    assert load_spec(tmp_path / "c.toml") == spec


@pytest.mark.parametrize(
    ("name", "address", "path"),
    [("Node_1", "10.0.0.1", "nodes[0].name"), ("node-1", "10.0.0.0/24", "nodes[0].address")],
)
def test_bad_nodes_are_named(name: str, address: str, path: str) -> None:
    spec = spec_for("complete")
    spec.nodes = [Node(name, address)]
    assert [p.path for p in validate(spec)] == [path]


def test_every_certificate_matches_its_catalogue_entry(generated) -> None:
    spec, directory = generated
    profile = get_profile(spec.profile)
    entries = {e.name: e for e in concrete_entries(profile, spec)}
    for entry in entries.values():
        files = files_of(entry, profile)
        key = pki.load_private_key((directory / files.key).read_bytes(), files.key)
        if entry.key_only:
            public = serialization.load_pem_public_key((directory / files.public_key).read_bytes())
            assert pki.public_key_bytes(public) == pki.public_key_bytes(key.public_key())
            continue
        certificate = load_cert(directory / files.cert)
        assert pki.key_matches_certificate(key, certificate), entry.name
        cn = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert cn == entry.cn, entry.name
        organizations = [
            a.value for a in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        ]
        expected_o = organization_of(entry, spec)
        assert organizations == ([expected_o] if expected_o else []), entry.name
        if entry.is_ca:
            assert signed_by(certificate, certificate)
            continue
        issuer = load_cert(directory / files_of(entries[entry.signer], profile).cert)
        assert signed_by(certificate, issuer), entry.name
        usages = usages_for(profile.signing_profile(entry.signing_profile), spec.key.algo)
        assert ext_key_usage_words(certificate) == [u for u in usages if u.endswith("auth")]
        sans = subject_alternative_names(certificate)
        expected = [s.value for s in sans_of(entry, spec)]
        assert (sorted(sans[0] + sans[1]) if sans else []) == sorted(expected), entry.name


def test_per_node_certificates(generated) -> None:
    spec, directory = generated
    profile = get_profile(spec.profile)
    entries = [e for e in concrete_entries(profile, spec) if e.instance]
    node_entries = [e for e in entries if e.per == "node"]
    assert {e.cn for e in node_entries} == {"system:node:node-1", "system:node:master-1"}
    serving = next(e for e in node_entries if e.sans and e.instance.name == "node-1")
    dns, ips, _ = subject_alternative_names(load_cert(directory / files_of(serving, profile).cert))
    assert dns == ["node-1"] and ips == ["192.168.214.101"]


def test_kubeadm_has_three_cas_and_member_certificates(tmp_path: Path) -> None:
    spec = spec_for("kubeadm")
    names = planned_file_names(spec)
    for name in (
        "pki/ca.crt",
        "pki/etcd/ca.crt",
        "pki/front-proxy-ca.crt",
        "pki/sa.key",
        "pki/sa.pub",
        "pki/etcd/etcd-1/server.crt",
        "pki/etcd/etcd-3/peer.key",
        "pki/apiserver-etcd-client.crt",
        "admin.conf",
        "scheduler.conf",
    ):
        assert name in names, name
    assert not [n for n in names if n.endswith(".json") and n != "distribution.json"]


def test_kubeconfigs_name_the_right_certificate(generated) -> None:
    spec, directory = generated
    profile = get_profile(spec.profile)
    entries = {e.name: e for e in concrete_entries(profile, spec)}
    ca_pem = (directory / files_of(entries["ca"], profile).cert).read_bytes()
    items = concrete_kubeconfigs(profile, spec)
    assert len(items) == 6  # admin, controller-manager, scheduler, kube-proxy, two kubelets
    for item in items:
        document = yaml.safe_load((directory / item.name).read_text())
        cluster = document["clusters"][0]["cluster"]
        assert base64.b64decode(cluster["certificate-authority-data"]) == ca_pem
        port = spec.network.apiserver_port
        expected = f"https://127.0.0.1:{port}" if item.local else "https://192.168.214.100:6443"
        assert cluster["server"] == expected
        user = document["users"][0]["user"]
        certificate = x509.load_pem_x509_certificate(
            base64.b64decode(user["client-certificate-data"])
        )
        entry = entries[item.user]
        assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == entry.cn
        key = serialization.load_pem_private_key(base64.b64decode(user["client-key-data"]), None)
        assert pki.key_matches_certificate(key, certificate)


@pytest.mark.interop
def test_kubectl_reads_every_kubeconfig(generated) -> None:
    kubectl = need_tool("kubectl")
    spec, directory = generated
    for item in concrete_kubeconfigs(get_profile(spec.profile), spec):
        result = subprocess.run(
            [
                kubectl,
                "--kubeconfig",
                str(directory / item.name),
                "config",
                "view",
                "--raw",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        view = json.loads(result.stdout)
        user = view["users"][0]
        assert view["current-context"] == f"{user['name']}@kubernetes"
        assert user["user"]["client-certificate-data"]


def test_bootstrap_mode_makes_a_token_instead_of_kubelet_certificates(tmp_path: Path) -> None:
    spec = spec_for("complete", "bootstrap")
    files = {f.path: f for f in generate_files(spec)}
    assert not [p for p in files if p.startswith("kubelet-")]
    token = files["bootstrap-token"].content.decode().strip()
    assert TOKEN_PATTERN.match(token)
    assert "token.csv" not in files  # the Secret in bootstrap-rbac.yaml carries the token
    secret = next(yaml.safe_load_all(files["bootstrap-rbac.yaml"].content))
    assert secret["stringData"]["token-id"] == token.split(".")[0]
    assert files["bootstrap-rbac.yaml"].mode == 0o600
    kubeconfig = yaml.safe_load(files["bootstrap.kubeconfig"].content)
    assert kubeconfig["users"][0]["user"] == {"token": token}
    manifests = list(yaml.safe_load_all(files["bootstrap-rbac.yaml"].content))
    secret = manifests[0]
    assert secret["metadata"]["name"] == f"bootstrap-token-{token.split('.')[0]}"
    roles = {m["roleRef"]["name"] for m in manifests[1:]}
    assert "system:node-bootstrapper" in roles
    flags = component_flags(spec)
    assert "--enable-bootstrap-token-auth=true" in flags["kube-apiserver"]
    assert not any(f.startswith("--token-auth-file=") for f in flags["kube-apiserver"])
    assert flags["kubelet"][0].startswith("--bootstrap-kubeconfig=")


def test_tokens_differ_between_runs() -> None:
    spec = spec_for("complete", "bootstrap")
    first = {f.path: f.content for f in generate_files(spec)}["bootstrap-token"]
    second = {f.path: f.content for f in generate_files(spec)}["bootstrap-token"]
    assert first != second


@pytest.mark.parametrize("profile", PROFILES)
def test_ca_keys_go_only_to_masters(profile: str) -> None:
    spec = spec_for(profile)
    ca_keys = {"ca-key.pem", "pki/ca.key", "pki/etcd/ca.key", "pki/front-proxy-ca.key"}
    for plan in plan_distribution(spec):
        sources = {f.source for f in plan.files}
        if "master" not in plan.roles:
            assert not sources & ca_keys, (plan.address, sources & ca_keys)
        for placed in plan.files:
            if placed.source.endswith(("-key.pem", ".key")):
                assert placed.mode == 0o600


def test_per_node_files_go_only_to_their_node() -> None:
    spec = spec_for("complete")
    plans = {p.address: p for p in plan_distribution(spec)}
    node = {f.source for f in plans["192.168.214.101"].files}
    assert "kubelet-node-1.pem" in node and "kubelet-master-1.pem" not in node
    destinations = {f.destination for f in plans["192.168.214.101"].files}
    assert "/etc/kubernetes/ssl/kubelet.pem" in destinations
    etcd = {f.source for f in plans["192.168.214.88"].files}
    assert "admin-key.pem" not in etcd and "kubernetes.pem" in etcd


def test_kubeadm_etcd_member_gets_its_own_certificates() -> None:
    spec = spec_for("kubeadm")
    plans = {p.address: p for p in plan_distribution(spec)}
    member = {f.source: f.destination for f in plans["192.168.214.89"].files}
    assert member["pki/etcd/etcd-2/server.crt"] == "/etc/kubernetes/pki/etcd/server.crt"
    assert "pki/etcd/etcd-1/server.crt" not in member


def test_kubeadm_apiserver_trusts_etcd_through_the_etcd_ca() -> None:
    flags = component_flags(spec_for("kubeadm"))["kube-apiserver"]
    assert "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt" in flags
    assert "--client-ca-file=/etc/kubernetes/pki/ca.crt" in flags
