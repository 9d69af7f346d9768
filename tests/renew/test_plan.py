"""renew's plan (wizard/renew/plan.py): what differs from cluster.toml, what --only, --within,
--expiry and --keep-key select or refuse, the kubeconfigs a change reaches, and the files of a
node taken out."""

from __future__ import annotations

import copy
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.renew.renew_sets import (
    changed_files,
    load_cert,
    renew,
    snapshot,
    with_new_master,
    write_spec,
)
from wizard.generate import generate_files
from wizard.renew import (
    RenewError,
    apply_renewal,
    plan_renewal,
)
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files


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
