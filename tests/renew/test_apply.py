"""renew's write (wizard/renew/apply.py): re-issue under the existing CA, keep or replace keys,
the backup and its manifest, the kubeconfigs that embed a renewed certificate, and a dry run
that writes nothing."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from cryptography import x509

from tests.renew.renew_sets import (
    APISERVER_FILES,
    NEW_MASTER,
    changed_files,
    embedded_client_certificate,
    ip_sans,
    load_cert,
    renew,
    snapshot,
    top_level,
    with_new_master,
    write_spec,
)
from wizard import pki
from wizard.certdetails import signed_by
from wizard.generate import generate_files
from wizard.renew import (
    MANIFEST_FILE,
    RenewError,
    apply_renewal,
    apply_undo,
    plan_renewal,
    plan_undo,
)
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files


def test_adding_a_master_reissues_only_the_apiserver_certificate(
    workdir: Path, tmp_path: Path, capsys
) -> None:
    config = write_spec(tmp_path, with_new_master())
    before = snapshot(workdir)
    assert renew("-c", str(config), "-o", str(workdir)) == 0
    out = capsys.readouterr().out
    after = snapshot(workdir)
    # the plan names the new master, so DISTRIBUTION.md and distribution.json change with it
    support = {"cluster.toml", "DISTRIBUTION.md", "distribution.json"}
    assert changed_files(before, after) == APISERVER_FILES | support
    for name in ("ca.pem", "ca-key.pem", "ca.csr", "ca-csr.json", "admin.pem", "kube-proxy.pem"):
        assert after[name] == before[name], name  # bytes and mtime
    ca = load_cert(workdir / "ca.pem")
    new = load_cert(workdir / "kubernetes.pem")
    assert NEW_MASTER in ip_sans(new)
    assert signed_by(new, ca) and new.issuer == ca.subject
    key = pki.load_private_key((workdir / "kubernetes-key.pem").read_bytes(), "key")
    assert pki.key_matches_certificate(key, new)
    csr = x509.load_pem_x509_csr((workdir / "kubernetes.csr").read_bytes())
    assert csr.public_key() == new.public_key()
    assert NEW_MASTER in json.loads((workdir / "kubernetes-csr.json").read_text())["hosts"]
    backups = [p for p in workdir.iterdir() if p.name.startswith("backup-")]
    assert len(backups) == 1
    for name in APISERVER_FILES | support:
        assert (backups[0] / name).read_bytes() == before[name][0]
    manifest = json.loads((backups[0] / MANIFEST_FILE).read_text())
    assert manifest["renewed"] == ["kubernetes"] and manifest["added"] == []
    # the diff, then the redistribution plan
    assert f"+ {NEW_MASTER}" in out and "key       new RSA 2048" in out
    assert "systemctl restart kube-apiserver" in out and "systemctl restart etcd" in out
    assert f"{NEW_MASTER} — master" in out
    assert f"--undo {backups[0].name}" in out
    # a second run has nothing to do
    assert renew("-c", str(config), "-o", str(workdir)) == 0
    assert "Nothing to renew" in capsys.readouterr().out
    assert top_level(snapshot(workdir)) == top_level(after)


def test_a_review_of_the_renewed_directory_has_no_errors(workdir: Path, tmp_path: Path) -> None:
    try:
        from wizard.review import review_directory
    except ImportError:
        pytest.skip("wizard.review.review_directory does not exist yet")
    config = write_spec(tmp_path, with_new_master())
    assert renew("-c", str(config), "-o", str(workdir)) == 0
    review = review_directory(workdir)
    errors = [f for f in review.findings if f.severity == "error"]
    assert errors == []


def test_keep_key_keeps_the_private_key_file_and_the_public_key(
    workdir: Path, tmp_path: Path
) -> None:
    config = write_spec(tmp_path, with_new_master())
    before = snapshot(workdir)
    old = load_cert(workdir / "kubernetes.pem")
    assert renew("-c", str(config), "-o", str(workdir), "--keep-key") == 0
    after = snapshot(workdir)
    assert after["kubernetes-key.pem"] == before["kubernetes-key.pem"]
    new = load_cert(workdir / "kubernetes.pem")
    assert pki.public_key_bytes(new.public_key()) == pki.public_key_bytes(old.public_key())
    assert new.serial_number != old.serial_number and NEW_MASTER in ip_sans(new)
    backup = next(p for p in workdir.iterdir() if p.name.startswith("backup-"))
    assert not (backup / "kubernetes-key.pem").exists()


def test_dry_run_writes_nothing(workdir: Path, tmp_path: Path, capsys) -> None:
    config = write_spec(tmp_path, with_new_master())
    before = snapshot(workdir)
    siblings = sorted(p.name for p in workdir.parent.iterdir())
    assert renew("-c", str(config), "-o", str(workdir), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Dry run: nothing was written." in out and f"+ {NEW_MASTER}" in out
    assert renew("-c", str(config), "-o", str(workdir), "--dry-run", "--json") == 0
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert snapshot(workdir) == before
    assert sorted(p.name for p in workdir.parent.iterdir()) == siblings


def test_a_missing_ca_key_is_refused_before_anything_is_written(workdir: Path) -> None:
    (workdir / "ca-key.pem").unlink()
    plan = plan_renewal(with_new_master(), workdir)  # the diff needs only the CA certificate
    before = snapshot(workdir)
    with pytest.raises(RenewError, match="ca-key.pem is missing — renew signs with the CA's key"):
        apply_renewal(plan)
    assert snapshot(workdir) == before


def test_a_new_node_gets_its_certificates_and_kubeconfig_and_undo_takes_them_out(
    complete_set: tuple[ClusterSpec, Path], tmp_path: Path
) -> None:
    spec, original = complete_set
    out = tmp_path / "out"
    shutil.copytree(original, out)
    before = snapshot(out)
    spec = copy.deepcopy(spec)
    spec.nodes.append(Node("node-2", "192.168.214.102"))
    plan = plan_renewal(spec, out)
    assert [c.name for c in plan.changes] == ["kubelet-node-2", "kubelet-node-2-client"]
    assert "kubelet-node-2.kubeconfig" in plan.changes[1].files
    assert {f.path for f in plan.support_files} == {
        "cluster.toml",
        "DISTRIBUTION.md",
        "distribution.json",
    }
    result = apply_renewal(plan)
    assert (
        embedded_client_certificate(out / "kubelet-node-2.kubeconfig")
        == (out / "kubelet-node-2-client.pem").read_bytes()
    )
    assert "192.168.214.102" in (out / "DISTRIBUTION.md").read_text()
    after = snapshot(out)
    for name, value in before.items():
        if name not in {"cluster.toml", "DISTRIBUTION.md", "distribution.json"}:
            assert after[name] == value, name
    assert plan_renewal(spec, out).nothing_to_do
    undo = plan_undo(out, result.backup.name)
    assert "kubelet-node-2.pem" in undo.removed
    apply_undo(undo)
    assert {k: v[0] for k, v in top_level(snapshot(out)).items()} == {
        k: v[0] for k, v in before.items()
    }


def test_renewing_a_client_certificate_rewrites_its_kubeconfig(
    complete_set: tuple[ClusterSpec, Path], tmp_path: Path
) -> None:
    spec, original = complete_set
    out = tmp_path / "out"
    shutil.copytree(original, out)
    old = embedded_client_certificate(out / "admin.kubeconfig")
    plan = plan_renewal(spec, out, only=["admin"])
    assert plan.changes[0].files[-1] == "admin.kubeconfig"
    apply_renewal(plan)
    new = embedded_client_certificate(out / "admin.kubeconfig")
    assert new != old and new == (out / "admin.pem").read_bytes()


def test_kubeadm_profile_renews_under_the_right_ca_and_touches_no_ca(tmp_path: Path) -> None:
    spec = ClusterSpec.example()
    spec.profile = "kubeadm"
    spec.key.algo, spec.key.size = "ecdsa", 256
    out = tmp_path / "pki-set"
    write_files(out, generate_files(spec))
    before = snapshot(out)
    spec.hosts.masters.append(NEW_MASTER)
    spec.hosts.etcd.append("192.168.214.91")
    plan = plan_renewal(spec, out)
    names = [c.name for c in plan.changes]
    assert names[:2] == ["apiserver", "etcd/etcd-4/server"] and "etcd/etcd-4/peer" in names
    apply_renewal(plan)
    after = snapshot(out)
    for ca in ("pki/ca", "pki/front-proxy-ca", "pki/etcd/ca"):
        for suffix in (".crt", ".key"):
            assert after[ca + suffix] == before[ca + suffix]
    apiserver = load_cert(out / "pki/apiserver.crt")
    assert NEW_MASTER in ip_sans(apiserver)
    assert signed_by(apiserver, load_cert(out / "pki/ca.crt"))
    member = load_cert(out / "pki/etcd/etcd-4/server.crt")
    assert signed_by(member, load_cert(out / "pki/etcd/ca.crt"))
    assert "192.168.214.91" in ip_sans(member)
    assert plan_renewal(spec, out, only=["apiserver.crt"]).changes[0].name == "apiserver"
