"""renew: re-issue what cluster.toml changed, under the existing CA, with a diff, a backup, an
undo and a redistribution plan — and never a half-written set, even under SIGKILL."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from wizard import pki
from wizard.catalog import concrete_entries, files_of, get_profile
from wizard.certdetails import signed_by
from wizard.cli import main
from wizard.generate import generate_files
from wizard.renew import (
    MANIFEST_FILE,
    RenewError,
    apply_renewal,
    apply_undo,
    plan_lines,
    plan_renewal,
    plan_undo,
)
from wizard.spec import ClusterSpec, Node, save_spec
from wizard.store import write_files

NEW_MASTER = "192.168.214.203"
APISERVER_FILES = {"kubernetes.pem", "kubernetes-key.pem", "kubernetes.csr", "kubernetes-csr.json"}


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime, by relative path."""
    return {
        p.relative_to(directory).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def top_level(state: dict[str, tuple[bytes, int]]) -> dict[str, tuple[bytes, int]]:
    """The snapshot without the backup folders."""
    return {k: v for k, v in state.items() if not k.startswith("backup-")}


def changed_files(before: dict, after: dict) -> set[str]:
    before, after = top_level(before), top_level(after)
    return {
        n
        for n in before.keys() | after.keys()
        if before.get(n, (None,))[0] != after.get(n, (None,))[0]
    }


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def ip_sans(certificate: x509.Certificate) -> list[str]:
    sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(a) for a in sans.get_values_for_type(x509.IPAddress)]


@pytest.fixture
def workdir(classic_set: Path, tmp_path: Path) -> Path:
    """A private copy of the session's classic set, in tmp_path/out."""
    out = tmp_path / "out"
    shutil.copytree(classic_set, out)
    return out


def write_spec(tmp_path: Path, spec: ClusterSpec) -> Path:
    path = tmp_path / "cluster.toml"
    save_spec(spec, path)
    return path


def with_new_master() -> ClusterSpec:
    spec = ClusterSpec.example()
    spec.hosts.masters.append(NEW_MASTER)
    return spec


def renew(*args: str) -> int:
    return main(["renew", *args])


# --- adding a master -------------------------------------------------------------------------


def test_adding_a_master_reissues_only_the_apiserver_certificate(
    workdir: Path, tmp_path: Path, capsys
) -> None:
    config = write_spec(tmp_path, with_new_master())
    before = snapshot(workdir)
    assert renew("-c", str(config), "-o", str(workdir)) == 0
    out = capsys.readouterr().out
    after = snapshot(workdir)
    assert changed_files(before, after) == APISERVER_FILES | {"cluster.toml"}
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
    for name in APISERVER_FILES | {"cluster.toml"}:
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


def test_the_redistribution_plan_names_hosts_files_and_restarts(
    workdir: Path, tmp_path: Path
) -> None:
    spec = with_new_master()
    from wizard.renew import redistribution_of

    plan = plan_renewal(spec, workdir)
    redistribution = redistribution_of(plan)
    by_address = {h.address: h for h in redistribution.hosts}
    assert by_address["192.168.214.88"].restart == ("etcd",)
    assert by_address[NEW_MASTER].restart == ("kube-apiserver",)
    assert by_address[NEW_MASTER].commands == ("systemctl restart kube-apiserver",)
    sources = {source for source, _dest, _mode in by_address[NEW_MASTER].files}
    assert sources == {"kubernetes.pem", "kubernetes-key.pem"}
    assert "192.168.214.210" not in by_address  # the registry gets no new file
    assert "etcdctl endpoint health" in redistribution.note


# --- --keep-key, --dry-run, --json, --only, --within, --expiry ---------------------------------


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


def test_json_shape(workdir: Path, tmp_path: Path, capsys) -> None:
    config = write_spec(tmp_path, with_new_master())
    assert renew("-c", str(config), "-o", str(workdir), "--json", "--dry-run") == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == [
        "directory",
        "profile",
        "dry_run",
        "changes",
        "not_selected",
        "ca_warnings",
        "redistribution",
        "unplaced",
        "notes",
        "written",
        "backup",
    ]
    assert document["directory"] == str(workdir.absolute())
    (change,) = document["changes"]
    assert list(change) == [
        "name",
        "kind",
        "files",
        "reason",
        "sans_added",
        "sans_removed",
        "subject",
        "usages",
        "not_after_old",
        "not_after_new",
        "key",
        "notes",
    ]
    assert change["name"] == "kubernetes" and change["kind"] == "certificate"
    assert set(change["files"]) == APISERVER_FILES
    assert change["reason"] == "SANs differ from cluster.toml"
    assert change["sans_added"] == [NEW_MASTER] and change["sans_removed"] == []
    assert change["subject"]["changed"] is False and change["subject"]["new"].endswith(
        "CN=kubernetes"
    )
    assert change["usages"]["new"] == [
        "digital signature",
        "key encipherment",
        "server auth",
        "client auth",
    ]
    assert change["not_after_old"].endswith("Z") and change["not_after_new"].endswith("Z")
    assert change["key"] == "new"
    assert document["ca_warnings"] == [] and document["backup"] is None
    host = next(h for h in document["redistribution"] if h["address"] == NEW_MASTER)
    assert host["restart"] == ["kube-apiserver"]
    assert {f["source"]: f["mode"] for f in host["files"]} == {
        "kubernetes.pem": "0644",
        "kubernetes-key.pem": "0600",
    }
    # a real run reports what it wrote and where the backup is
    assert renew("-c", str(config), "-o", str(workdir), "--json") == 0
    written = json.loads(capsys.readouterr().out)
    assert written["dry_run"] is False and written["backup"].startswith(str(workdir))
    assert set(APISERVER_FILES) <= set(written["written"])


def test_only_by_entry_name_or_file_name_even_when_nothing_differs(
    workdir: Path, tmp_path: Path
) -> None:
    config = write_spec(tmp_path, ClusterSpec.example())
    before = snapshot(workdir)
    assert renew("-c", str(config), "-o", str(workdir), "--only", "admin", "kube-proxy.pem") == 0
    assert changed_files(before, snapshot(workdir)) == {
        f"{stem}{suffix}"
        for stem in ("admin", "kube-proxy")
        for suffix in (".pem", "-key.pem", ".csr")
    }


def test_only_leaves_other_differences_alone_and_says_so(workdir: Path, tmp_path: Path) -> None:
    plan = plan_renewal(with_new_master(), workdir, only=["admin"])
    assert [c.name for c in plan.changes] == ["admin"]
    assert [c.name for c in plan.not_selected] == ["kubernetes"]
    assert plan.support_files == [] and "cluster.toml" in plan.support_notes[0]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("kubernets", "no certificate of that name"),
        ("ca", "never replaces a CA"),
        ("ca.pem", "bundle of the old and the new CA"),
    ],
)
def test_only_refuses_unknown_names_and_the_ca(
    workdir: Path, tmp_path: Path, capsys, name: str, words: str
) -> None:
    config = write_spec(tmp_path, ClusterSpec.example())
    before = snapshot(workdir)
    assert renew("-c", str(config), "-o", str(workdir), "--only", name) == 1
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert snapshot(workdir) == before


def test_within_selects_what_expires_and_warns_about_the_ca(workdir: Path) -> None:
    spec = ClusterSpec.example()
    assert plan_renewal(spec, workdir, within=30).nothing_to_do
    end = load_cert(workdir / "kubernetes.pem").not_valid_after_utc
    later = end - timedelta(days=10)
    plan = plan_renewal(spec, workdir, within=30, now=later)
    assert sorted(c.name for c in plan.changes) == ["admin", "kube-proxy", "kubernetes"]
    assert all("expires in" in c.reason and "--within 30" in c.reason for c in plan.changes)
    ca_end = load_cert(workdir / "ca.pem").not_valid_after_utc
    assert all(c.not_after_new is not None and c.not_after_new <= ca_end for c in plan.changes)
    (warning,) = plan.ca_warnings
    assert warning.file == "ca.pem" and 0 < warning.days_left <= 30
    text = " ".join(warning.plan)
    assert "bundle" in text and "service-account token" in text and "kubeconfig" in text


def test_an_expired_leaf_is_renewed_without_being_asked(workdir: Path) -> None:
    spec = ClusterSpec.example()
    apply_renewal(plan_renewal(spec, workdir, only=["admin"], expiry="1h"))
    later = load_cert(workdir / "admin.pem").not_valid_after_utc + timedelta(minutes=1)
    plan = plan_renewal(spec, workdir, now=later)
    assert [(c.name, c.reason) for c in plan.changes] == [("admin", "expired 1 minute ago")]


def test_an_expired_ca_is_refused_with_the_reason(workdir: Path) -> None:
    ca_end = load_cert(workdir / "ca.pem").not_valid_after_utc
    with pytest.raises(RenewError, match="ca.pem expired on .* bundle of the old and a new CA"):
        plan_renewal(with_new_master(), workdir, now=ca_end + timedelta(days=1))


def test_expiry_overrides_the_lifetime_but_never_past_the_ca(
    workdir: Path, tmp_path: Path, capsys
) -> None:
    config = write_spec(tmp_path, with_new_master())
    before = snapshot(workdir)
    assert renew("-c", str(config), "-o", str(workdir), "--expiry", "876000h") == 1
    err = capsys.readouterr().err
    assert "--expiry 876000h: kubernetes.pem would end on" in err and "give at most" in err
    assert renew("-c", str(config), "-o", str(workdir), "--expiry", "30d") == 1
    assert 'write "720h"' in capsys.readouterr().err
    assert snapshot(workdir) == before
    assert renew("-c", str(config), "-o", str(workdir), "--expiry", "8760h") == 0
    new = load_cert(workdir / "kubernetes.pem")
    assert new.not_valid_after_utc - new.not_valid_before_utc == timedelta(hours=8760)


def test_a_lifetime_past_the_ca_is_capped_with_a_note(workdir: Path) -> None:
    ca_end = load_cert(workdir / "ca.pem").not_valid_after_utc
    later = datetime.now(UTC) + timedelta(days=30)  # the set was made this minute, so wait
    changes = plan_renewal(with_new_master(), workdir, now=later).changes
    capped = {c.name: c for c in changes}["kubernetes"]
    assert capped.not_after_new == ca_end
    assert capped.notes == [
        f"capped at the end of ca.pem ({ca_end:%Y-%m-%d}): cluster.toml asks "
        "expiry.cert = 87600h, and no certificate outlives its CA"
    ]
    shorter = with_new_master()
    shorter.expiry.cert = "8760h"
    kept = {c.name: c for c in plan_renewal(shorter, workdir, now=later).changes}["kubernetes"]
    assert kept.lifetime == timedelta(hours=8760) and kept.notes == []


@pytest.mark.parametrize(
    ("within", "words"),
    [
        (-1, "--within -1 is negative — give a number of days, e.g. 30"),
        (99999999999, "--within 99999999999 is more than 36500 days (100 years)"),
    ],
)
def test_within_out_of_range_is_refused(workdir: Path, within: int, words: str) -> None:
    with pytest.raises(RenewError) as raised:
        plan_renewal(ClusterSpec.example(), workdir, within=within)
    assert words in str(raised.value)


def test_subject_and_key_type_changes_are_diffed(workdir: Path) -> None:
    spec = ClusterSpec.example()
    spec.subject.O = "k9s"
    spec.key.algo, spec.key.size = "ecdsa", 256
    plan = plan_renewal(spec, workdir)
    by_name = {c.name: c for c in plan.changes}
    assert set(by_name) == {"kubernetes", "admin", "kube-proxy"}
    kubernetes = by_name["kubernetes"]
    assert "O=k8s" in kubernetes.subject_old and "O=k9s" in kubernetes.subject_new
    assert "key is RSA 2048, cluster.toml asks ECDSA 256" in kubernetes.reason
    assert "key encipherment" in kubernetes.usages_old
    assert "key encipherment" not in kubernetes.usages_new
    assert not by_name["admin"].subject_changed  # O is fixed to system:masters


def test_keep_key_without_a_key_is_refused(workdir: Path) -> None:
    (workdir / "admin-key.pem").unlink()
    with pytest.raises(RenewError, match="admin-key.pem is missing — there is no key to keep"):
        plan_renewal(ClusterSpec.example(), workdir, keep_key=True)


def test_refusals_are_one_sentence(tmp_path: Path, workdir: Path, capsys) -> None:
    config = write_spec(tmp_path, ClusterSpec.example())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert renew("-c", str(config), "-o", str(empty)) == 1
    assert "never makes one" in capsys.readouterr().err
    assert renew("-c", str(config), "-o", str(tmp_path / "none")) == 1
    assert "not a certificate directory" in capsys.readouterr().err
    assert renew("-c", str(config), "-o", str(workdir), "--within", "-3") == 1
    assert "negative" in capsys.readouterr().err
    other = ClusterSpec.example()
    other.profile = "complete"
    assert renew("-c", str(write_spec(tmp_path, other)), "-o", str(workdir)) == 1
    assert 'says profile "classic"' in capsys.readouterr().err


def test_a_missing_ca_key_is_refused_before_anything_is_written(workdir: Path) -> None:
    (workdir / "ca-key.pem").unlink()
    plan = plan_renewal(with_new_master(), workdir)  # the diff needs only the CA certificate
    before = snapshot(workdir)
    with pytest.raises(RenewError, match="ca-key.pem is missing — renew signs with the CA's key"):
        apply_renewal(plan)
    assert snapshot(workdir) == before


# --- undo ------------------------------------------------------------------------------------


def test_undo_restores_the_backup(workdir: Path, tmp_path: Path, capsys) -> None:
    config = write_spec(tmp_path, with_new_master())
    before = top_level(snapshot(workdir))
    assert renew("-c", str(config), "-o", str(workdir)) == 0
    renewed = top_level(snapshot(workdir))
    backup = next(p for p in workdir.iterdir() if p.name.startswith("backup-"))
    capsys.readouterr()
    assert renew("--undo", backup.name, "-o", str(workdir), "--dry-run") == 0
    assert top_level(snapshot(workdir)) == renewed
    assert renew("--undo", backup.name, "-o", str(workdir)) == 0
    out = capsys.readouterr().out
    assert "kubernetes.pem" in out and "systemctl restart kube-apiserver" in out
    restored = top_level(snapshot(workdir))
    assert {k: v[0] for k, v in restored.items()} == {k: v[0] for k, v in before.items()}
    second = [p for p in workdir.iterdir() if p.name.startswith("backup-") and p != backup]
    assert len(second) == 1
    assert (second[0] / "kubernetes.pem").read_bytes() == renewed["kubernetes.pem"][0]
    assert renew("--undo", "backup-nope", "-o", str(workdir)) == 1
    assert "no such backup folder" in capsys.readouterr().err
    assert renew("--undo", backup.name, "-o", str(workdir), "--keep-key") == 1
    assert "drop --keep-key" in capsys.readouterr().err


def test_undo_never_swaps_the_ca_nor_splits_a_pair(
    workdir: Path, tmp_path: Path, ecdsa_set: Path
) -> None:
    fake = workdir / "backup-20000101T000000Z"
    fake.mkdir()
    shutil.copy(ecdsa_set / "ca.pem", fake / "ca.pem")
    with pytest.raises(RenewError, match="undo never swaps a CA"):
        plan_undo(workdir, fake.name)
    (fake / "ca.pem").unlink()
    shutil.copy(ecdsa_set / "admin.pem", fake / "admin.pem")
    with pytest.raises(RenewError, match="admin-key.pem beside admin.pem"):
        plan_undo(workdir, fake.name)


# --- complete profile: a new node, kubeconfigs -------------------------------------------------


@pytest.fixture(scope="module")
def complete_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClusterSpec, Path]:
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.101")]
    directory = tmp_path_factory.mktemp("complete") / "k8s-certs"
    write_files(directory, generate_files(spec))
    return spec, directory


def embedded_client_certificate(kubeconfig: Path) -> bytes:
    import base64

    document = yaml.safe_load(kubeconfig.read_text())
    return base64.b64decode(document["users"][0]["user"]["client-certificate-data"])


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


def test_a_new_vip_rewrites_the_kubeconfigs_that_dial_it(
    complete_set: tuple[ClusterSpec, Path], tmp_path: Path
) -> None:
    spec, original = complete_set
    out = tmp_path / "out"
    shutil.copytree(original, out)
    spec = copy.deepcopy(spec)
    spec.hosts.vip = ["192.168.214.99"]
    plan = plan_renewal(spec, out)
    names = [c.name for c in plan.changes]
    assert names[0] == "kubernetes"
    assert {"admin.kubeconfig", "kube-proxy.kubeconfig", "kubelet-node-1.kubeconfig"} <= set(names)
    kube_proxy = next(c for c in plan.changes if c.name == "kube-proxy.kubeconfig")
    assert kube_proxy.reason == (
        "server https://192.168.214.100:6443 → https://192.168.214.99:6443"
    )
    assert "kube-controller-manager.kubeconfig" not in names  # it dials 127.0.0.1


# --- SIGKILL -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa4096_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wizard.spec import load_spec

    spec = load_spec(Path(__file__).parent / "data" / "rsa4096.toml")
    directory = tmp_path_factory.mktemp("rsa4096") / "k8s-certs"
    write_files(directory, generate_files(spec))
    return directory


def check_consistent(
    out: Path, original: dict[str, tuple[bytes, int]], uniform: bool = True
) -> str:
    """Every key fits its certificate, every leaf verifies against the untouched CA, and (when
    `uniform`) the leaves are all the old ones or all new ones; returns "old", "new" or "mixed"."""
    profile = get_profile("classic")
    spec = ClusterSpec.example()
    assert (out / "ca.pem").read_bytes() == original["ca.pem"][0]
    assert (out / "ca-key.pem").read_bytes() == original["ca-key.pem"][0]
    ca = load_cert(out / "ca.pem")
    states = set()
    for entry in concrete_entries(profile, spec):
        if entry.is_ca:
            continue
        files = files_of(entry, profile)
        certificate = load_cert(out / files.cert)
        key = pki.load_private_key((out / files.key).read_bytes(), files.key)
        assert pki.key_matches_certificate(key, certificate), files.cert
        assert signed_by(certificate, ca) and certificate.issuer == ca.subject, files.cert
        states.add("old" if (out / files.cert).read_bytes() == original[files.cert][0] else "new")
    if not uniform:
        return "mixed" if len(states) > 1 else states.pop()
    assert len(states) == 1, states
    state = states.pop()
    assert (NEW_MASTER in ip_sans(load_cert(out / "kubernetes.pem"))) == (state == "new")
    return state


ROOT = Path(__file__).resolve().parents[1]


def checkout_env() -> dict[str, str]:
    """The environment for `python -m wizard`: this checkout first, whatever is installed."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


@pytest.mark.parametrize("delay", [0.5, 1.5, 2.5])
def test_sigkill_during_renew_leaves_the_old_or_the_new_set(
    rsa4096_set: Path, tmp_path: Path, delay: float
) -> None:
    out = tmp_path / "k8s-certs"
    shutil.copytree(rsa4096_set, out)
    original = snapshot(out)
    text = (Path(__file__).parent / "data" / "rsa4096.toml").read_text()
    text = text.replace('"192.168.214.202",', f'"192.168.214.202",\n    "{NEW_MASTER}",')
    (tmp_path / "cluster.toml").write_text(text)
    process = subprocess.Popen(
        [sys.executable, "-m", "wizard", "renew", "--only", "kubernetes", "admin", "kube-proxy"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=checkout_env(),
    )
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    state = check_consistent(out, original)
    assert state in ("old", "new")
    # whatever happened, the next run finishes the job and cleans up after the dead one
    finish = subprocess.run(
        [sys.executable, "-m", "wizard", "renew", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=checkout_env(),
    )
    assert finish.returncode == 0, finish.stderr
    check_consistent(out, original, uniform=False)
    assert NEW_MASTER in ip_sans(load_cert(out / "kubernetes.pem"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".k8s-cert-wizard-staging")]


# --- kubeadm names, three CAs ------------------------------------------------------------------


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


def test_store_remove_takes_files_out_into_the_backup(tmp_path: Path) -> None:
    """write_files(remove=…), which undo uses to take out what a renewal added."""
    from wizard.store import OutputFile

    out = tmp_path / "o"
    write_files(out, [OutputFile("a.pem", b"a"), OutputFile("b.pem", b"b")])
    result = write_files(out, [OutputFile("a.pem", b"A")], force=True, remove=["b.pem", "c.pem"])
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["a.pem"]
    assert result.backup is not None and sorted(result.backed_up) == ["a.pem", "b.pem"]
    assert (result.backup / "b.pem").read_bytes() == b"b"


# A SIGKILL at exact points of the write: the process kills itself just before or just after
# a step of store.write_files, so every stage is hit whatever the machine's speed.
KILL_AT = """
import os, signal, sys
import wizard.store as store
name, when, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
real = getattr(store, name)
calls = [0]
def wrapper(*args, **kwargs):
    calls[0] += 1
    if when == "before" and calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    result = real(*args, **kwargs)
    if when == "after" and calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(store, name, wrapper)
from wizard.cli import main
sys.exit(main(sys.argv[4:]))
"""


@pytest.mark.parametrize(
    ("step", "when", "nth", "expected"),
    [
        ("_write_new", "before", 1, "old"),  # staging made, nothing written yet
        ("_write_new", "after", 4, "old"),  # half the new files staged
        ("_swap_into_place", "before", 1, "old"),  # staging complete, not swapped
        ("_exchange", "after", 1, "new"),  # swapped, the old directory not yet removed
        ("_swap_into_place", "after", 1, "new"),  # done, before the report
    ],
)
def test_sigkill_at_each_step_of_the_write(
    workdir: Path, tmp_path: Path, step: str, when: str, nth: int, expected: str
) -> None:
    original = snapshot(workdir)
    config = write_spec(tmp_path, with_new_master())
    process = subprocess.run(
        [sys.executable, "-c", KILL_AT, step, when, str(nth), "renew", "-c", str(config)]
        + ["-o", str(workdir), "--only", "kubernetes", "admin", "kube-proxy"],
        cwd=tmp_path,
        capture_output=True,
        env=checkout_env(),
        timeout=120,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert check_consistent(workdir, original) == expected
    if expected == "old":
        assert top_level(snapshot(workdir)) == top_level(original)
    assert renew("-c", str(config), "-o", str(workdir)) == 0
    assert NEW_MASTER in ip_sans(load_cert(workdir / "kubernetes.pem"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".k8s-cert-wizard-staging")]


def test_files_of_a_removed_node_are_reported_not_touched(tmp_path: Path) -> None:
    """A node taken out of cluster.toml: its files stay (renew never deletes) and the plan says
    which they are."""
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", "192.168.214.101"), Node("node-2", "192.168.214.102")]
    directory = tmp_path / "certs"
    write_files(directory, generate_files(spec))
    spec.nodes = spec.nodes[:1]
    plan = plan_renewal(spec, directory)
    (note,) = [n for n in plan.support_notes if "no longer names" in n]
    for name in (
        "kubelet-node-2.pem",
        "kubelet-node-2-client-key.pem",
        "kubelet-node-2.kubeconfig",
    ):
        assert name in note
    assert "kubelet-node-1.pem" not in note
    assert not [c for c in plan.changes if "node-2" in c.name]


def test_keep_key_refuses_a_key_that_is_not_the_certificates(workdir: Path) -> None:
    shutil.copy(workdir / "kube-proxy-key.pem", workdir / "admin-key.pem")
    before = snapshot(workdir)
    with pytest.raises(RenewError) as raised:
        plan_renewal(ClusterSpec.example(), workdir, only=["admin"], keep_key=True)
    assert str(raised.value) == (
        f"--keep-key: {workdir / 'admin-key.pem'} does not belong to admin.pem — it may be "
        "another certificate's key, and keeping it would give that key this identity; restore "
        "the right key, or run without --keep-key to make a new one"
    )
    assert snapshot(workdir) == before
    plan = plan_renewal(ClusterSpec.example(), workdir, only=["admin"])
    assert [c.key for c in plan.changes if c.name == "admin"] == ["new"]


def test_nothing_to_renew_says_what_keep_key_left_uncompared(workdir: Path) -> None:
    spec = ClusterSpec.example()
    assert plan_lines(plan_renewal(spec, workdir))[-1] == (
        "Nothing to renew: every certificate matches cluster.toml. Nothing was written."
    )
    spec.key.algo, spec.key.size = "ecdsa", 256
    assert plan_lines(plan_renewal(spec, workdir, keep_key=True))[-1] == (
        "Nothing to renew: every certificate matches cluster.toml (key types not compared: "
        "--keep-key keeps each key). Nothing was written."
    )


def test_undo_of_the_directory_or_a_parent_says_which(workdir: Path) -> None:
    with pytest.raises(RenewError, match="out: is the certificate directory itself — give one"):
        plan_undo(workdir, str(workdir))
    with pytest.raises(RenewError, match=": holds the certificate directory — give one of its"):
        plan_undo(workdir, str(workdir.parent))
