"""The known traps of a CA rotation, each with its test: flags that take one CA, a single
apiserver, clients that never reload a CA, the cluster-side commands, cross-signing, and the
kubeasz layout where the service-account key is the CA key."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
import yaml
from cryptography import x509

from tests.conftest import need_tool
from tests.rotate.rotate_sets import copy_set, leaf_files, make_set, make_spec, verify
from wizard import pki
from wizard.catalog import SINGLE_VALUE_FLAGS, files_of
from wizard.rotate import (
    Phase,
    RotateError,
    apply_phase,
    plan_phase,
    signing_destination,
    target_for,
)


def test_the_signing_flags_never_get_a_bundle(profile_sets, tmp_path) -> None:
    spec = make_spec("complete")
    out = copy_set(profile_sets["complete"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    assert {use.flag for use in target.single} == {
        "--cluster-signing-cert-file",
        "--cluster-signing-key-file",
    }
    assert all(use.flag in SINGLE_VALUE_FLAGS for use in target.single)
    assert not any(use.flag in SINGLE_VALUE_FLAGS for use in target.trust)
    destination = signing_destination(target)
    assert destination == "/etc/kubernetes/ssl/ca-signing.pem"
    for phase in (Phase.PREPARE, Phase.REISSUE):
        plan = plan_phase(out, target, phase)
        if phase is Phase.PREPARE:
            assert any(
                "--cluster-signing-cert-file" in w and destination in w for w in plan.warnings
            )
        signing = [(s, f) for s in plan.steps for f in s.files if f.destination == destination]
        masters = {h.value for h in spec.host_entries("masters")}
        assert {s.address for s, _f in signing} == masters
        assert all(f.source == target.files.cert for _s, f in signing)  # one CA, not the bundle
        assert all("kube-controller-manager.service" in s.restart for s, _f in signing)
        apply_phase(plan)
        on_disk = x509.load_pem_x509_certificates((out / target.files.cert).read_bytes())
        assert len(on_disk) == 1
        key = pki.load_private_key((out / target.files.key).read_bytes(), "")
        assert pki.key_matches_certificate(key, on_disk[0])


@pytest.mark.parametrize(("masters", "warned"), [(1, True), (3, False)])
def test_one_apiserver_means_downtime_said_up_front(tmp_path, masters, warned) -> None:
    spec = make_spec("kubeadm", masters=masters)
    out = make_set(spec, tmp_path / "certs")
    plan = plan_phase(out, target_for("cluster", spec, out))
    downtime = [w for w in plan.warnings if w.startswith("DOWNTIME") and "kube-apiserver" in w]
    assert bool(downtime) is warned
    if warned:
        assert plan.warnings[0] == downtime[0]  # before anything else
        assert "unavoidable" in downtime[0] and "1 time(s)" in downtime[0]


def test_etcd_restarts_say_a_shared_grpc_http_port_cuts_requests(profile_sets, tmp_path) -> None:
    """Every phase that restarts etcd members says that one TLS port for gRPC and HTTP ends
    requests in flight at a member's stop, and the flag that avoids it (tests/lab/test_rotate
    measured both: Debian's 3.4 on one port failed requests, 3.7 with the flag lost none)."""
    spec = make_spec("kubeadm")
    out = copy_set(profile_sets["kubeadm"], tmp_path / "certs")
    plan = plan_phase(out, target_for("etcd", spec, out))
    assert any("etcd.service" in step.restart for step in plan.steps)
    said = [w for w in plan.warnings if "--listen-client-http-urls" in w]
    assert len(said) == 1 and "gRPC and HTTP together" in said[0], plan.warnings


def test_pods_with_in_cluster_config_must_restart_and_the_cluster_steps_run(
    profile_sets, tmp_path
) -> None:
    kubectl = need_tool("kubectl")
    spec = make_spec("kubeadm")
    out = copy_set(profile_sets["kubeadm"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    plan = plan_phase(out, target)
    assert any("never reload" in note for note in plan.notes)
    text = "\n".join(plan.cluster_steps)
    for needed in ("kube-root-ca.crt", "service-account-token", "rollout restart", "cluster-info"):
        assert needed in text, needed
    apply_phase(plan)
    # the cluster-info command's offline half, run with the real kubectl: the ConfigMap it
    # applies embeds the bundle (both CAs)
    kubeconfig = tmp_path / "cluster-info"
    subprocess.run(
        [
            kubectl,
            "config",
            "set-cluster",
            "kubernetes",
            f"--kubeconfig={kubeconfig}",
            f"--server={spec.apiserver_url()}",
            f"--certificate-authority={out / target.files.bundle}",
            "--embed-certs=true",
        ],
        check=True,
        capture_output=True,
    )
    made = subprocess.run(
        [
            kubectl,
            "-n",
            "kube-public",
            "create",
            "configmap",
            "cluster-info",
            f"--from-file=kubeconfig={kubeconfig}",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    inner = yaml.safe_load(yaml.safe_load(made.stdout)["data"]["kubeconfig"])
    data = base64.b64decode(inner["clusters"][0]["cluster"]["certificate-authority-data"])
    assert data.count(b"BEGIN CERTIFICATE") == 2
    assert f"--certificate-authority={out / target.files.bundle}" in text


def test_cross_signing_lets_old_trust_accept_new_servers_until_finalize(
    profile_sets, tmp_path
) -> None:
    spec = make_spec("kubeadm")
    out = copy_set(profile_sets["kubeadm"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    files = target.files
    old_ca = tmp_path / "old-ca.crt"
    shutil.copy(out / files.cert, old_ca)
    plan = plan_phase(out, target, cross_sign=True)
    assert any("cross-signed root keeps old certificates valid" in w for w in plan.warnings)
    apply_phase(plan)
    cross = out / files.cross
    assert verify(old_ca, cross)
    apply_phase(plan_phase(out, target))
    servers = [files_of(leaf, target.profile).cert for leaf in target.leaves if leaf.is_server]
    clients = [files_of(leaf, target.profile).cert for leaf in target.leaves if not leaf.is_server]
    assert servers and clients
    for name in servers:  # a client that trusts only the old CA accepts the new server
        assert (out / name).read_bytes().count(b"BEGIN CERTIFICATE") == 2
        assert verify(old_ca, out / name, untrusted=cross), name
        assert not verify(old_ca, out / name), name
        assert verify(out / files.cert, out / name), name
    apply_phase(plan_phase(out, target))
    assert not cross.exists()
    for name in leaf_files(target):
        assert (out / name).read_bytes().count(b"BEGIN CERTIFICATE") == 1, name
        assert verify(out / files.cert, out / name), name
        assert not verify(old_ca, out / name), name


def test_kubeasz_service_account_key_is_the_ca_key(profile_sets, tmp_path) -> None:
    spec = make_spec("complete")
    out = copy_set(profile_sets["complete"], tmp_path / "certs")
    ca_key = pki.load_private_key((out / "ca-key.pem").read_bytes(), "")
    (out / "sa.key").write_bytes((out / "ca-key.pem").read_bytes())
    (out / "sa.pub").write_bytes(pki.public_key_pem(ca_key.public_key()))
    with pytest.raises(RotateError, match="kubeasz") as refused:
        target_for("sa", spec, out)
    assert "--ca cluster" in str(refused.value)
    target = target_for("cluster", spec, out)
    assert target.sa_is_ca_key
    plan = plan_phase(out, target)
    assert any("kubeasz" in note for note in plan.notes)
    apply_phase(plan)
    apply_phase(plan_phase(out, target))
    assert (out / "sa.key").read_bytes() == (out / "ca-key.pem").read_bytes()
    new_ca = x509.load_pem_x509_certificate((out / "ca.pem").read_bytes())
    assert (out / "sa.pub").read_bytes() == pki.public_key_pem(new_ca.public_key())
    assert (out / "sa.key").read_bytes() != pki.private_key_pem(ca_key)


def test_complete_has_one_ca_for_every_kind(profile_sets, tmp_path) -> None:
    spec = make_spec("complete")
    for kind in ("etcd", "front-proxy"):
        target = target_for(kind, spec)
        assert target.entry.name == "ca"
        assert any("same CA" in note for note in target.notes)


@pytest.mark.parametrize(
    ("profile", "kind", "keys"),
    [
        ("kubeadm", "front-proxy", ["requestheader-client-ca-file"]),
        ("kubeadm", "cluster", ["client-ca-file"]),
        ("complete", "cluster", ["client-ca-file", "requestheader-client-ca-file"]),
    ],
)
def test_finalize_deletes_the_published_client_cas_that_kube_apiserver_only_adds_to(
    profile: str, kind: str, keys: list[str], profile_sets, tmp_path
) -> None:
    """kube-apiserver merges its client CAs into kube-system/extension-apiserver-authentication
    and never drops one (clusterauthenticationtrust's combineCertLists): finalize deletes the
    ConfigMap so the apiservers write it again with the new CA alone, then counts each key;
    prepare only counts (old + new: 2). tests/lab/test_rotate.py runs these on a live cluster."""
    spec = make_spec(profile)
    out = copy_set(profile_sets[profile], tmp_path / "certs")
    delete = "kubectl -n kube-system delete configmap extension-apiserver-authentication"
    for phase, count in (("prepare", "2"), ("reissue", None), ("finalize", "1")):
        plan = plan_phase(out, target_for(kind, spec, out))
        assert plan.phase.value == phase
        checks = [s for s in plan.cluster_steps if "get configmap extension-apiserver" in s]
        if count is None:
            assert checks == [] and delete not in plan.cluster_steps
        else:
            assert [c.rsplit("/", 2)[-2] for c in checks] == [f"{key} " for key in keys]
            assert (delete in plan.cluster_steps) == (phase == "finalize")
            if phase == "finalize":
                assert plan.cluster_steps.index(delete) < plan.cluster_steps.index(checks[0])
            said = " ".join(plan.cluster_steps)
            assert f"each line must end in {count}" in said
        apply_phase(plan)
