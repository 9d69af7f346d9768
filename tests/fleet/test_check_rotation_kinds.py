"""The service-account key's rotation and the client-trust rotation (--clients-only) read back
from fake hosts (the real inventory script in a local sh), phase by phase: `check` says which
hosts are behind (or ahead after an --undo) with both steps and the fix, and is clean once a
phase is placed; `rotate-ca --hosts` refuses the next phase while one lags. And the files a
rotation puts beyond the distribution plan (kube-controller-manager's one-CA signing copy, the
client CA's trust, signing copy and key) are the rotation's, not left over — a file nothing
knows still is."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fleet.fleet_sets import (
    FleetSet,
    fake_hosts,
    local_reader,
    make_set,
)
from tests.fleet.fleet_sets import (
    owned_spec as owned,
)
from wizard.cli import main
from wizard.fleet.check import check_fleet
from wizard.jobs.rotation import RotationRequest, run_rotation
from wizard.rotate import CaKind, RotateError

NET = "10.244.81"
MASTERS = {f"{NET}.21", f"{NET}.22", f"{NET}.23"}
ETCD = {f"{NET}.11", f"{NET}.12", f"{NET}.13"}
NODES = {f"{NET}.31", f"{NET}.32"}
EVERYONE = MASTERS | ETCD | NODES
SSL = "/etc/kubernetes/ssl"
PHASES = (("prepare", "prepared"), ("reissue", "reissued"), ("finalize", "finalized"))


@pytest.fixture
def fleet(tmp_path: Path) -> FleetSet:
    (tmp_path / "set").mkdir()
    return make_set(tmp_path / "set", NET)


def rotate(fleet: FleetSet, kind: str, *extra: str) -> None:
    argv = ["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", kind, *extra]
    if kind == "sa":
        argv += ["--token-wait", "0"]
    assert main(argv) == 0


def place(fleet: FleetSet, root: Path, *addresses: str) -> None:
    """What the last phase placed on these hosts (its `hosts/<address>/` copies)."""
    for address in addresses:
        shutil.copytree(fleet.out / "hosts" / address, root / address, dirs_exist_ok=True)


def findings(fleet: FleetSet, root: Path, tools: str | None = None):  # noqa: ANN201
    return check_fleet(owned(fleet), fleet.out, local_reader(root, tools)).review.findings


def said(
    fleet: FleetSet, root: Path, tools: str | None = None
) -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """check's rotation findings (slug → hosts) and every other finding, info included."""
    rotation: dict[str, set[str]] = {}
    others = []
    for finding in findings(fleet, root, tools):
        host = finding.node.split()[0]
        if finding.check.startswith("rotation-"):
            rotation.setdefault(finding.check, set()).add(host)
        else:
            others.append((host, finding.path, finding.check))
    return rotation, others


def message(fleet: FleetSet, root: Path, host: str, slug: str) -> str:
    return next(
        f.message for f in findings(fleet, root) if f.node.startswith(host) and f.check == slug
    )


def hosts_request(fleet: FleetSet, kind: CaKind, dry_run: bool, **kwargs) -> RotationRequest:
    kwargs.setdefault("token_wait", timedelta(0))  # sa: finalize right after reissue
    return RotationRequest(owned(fleet), fleet.out, kind, dry_run=dry_run, read_hosts=True,
                           **kwargs)  # fmt: skip


def no_openssl(tmp_path: Path) -> str:
    """A PATH for the fake hosts with the inventory's tools but no openssl."""
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    for tool in ("sh", "stat", "grep", "sed", "head", "cut", "sha256sum", "cat"):
        if not (tools / tool).exists():
            os.symlink(shutil.which(tool), tools / tool)
    return str(tools)


# --- the service-account key ---------------------------------------------------------------


@pytest.mark.parametrize("openssl", [True, False], ids=["openssl", "no-openssl"])
def test_sa_each_phase_is_behind_on_the_masters_until_placed_then_clean(
    fleet: FleetSet, tmp_path: Path, openssl: bool
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    tools = None if openssl else no_openssl(tmp_path)
    first = sorted(MASTERS)[0]
    assert said(fleet, root, tools) == ({}, [])
    for phase, _step in PHASES:
        rotate(fleet, "sa")
        # reissue changes only the signing key (the bundle stays): it alone tells them apart
        assert said(fleet, root, tools) == ({"rotation-behind": MASTERS}, []), phase
        place(fleet, root, first)
        assert said(fleet, root, tools) == ({"rotation-behind": MASTERS - {first}}, []), phase
        place(fleet, root, *EVERYONE)
        assert said(fleet, root, tools) == ({}, []), phase


def test_sa_words_name_the_keys_the_signer_and_the_fix(fleet: FleetSet, tmp_path: Path) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    master = sorted(MASTERS)[1]
    rotate(fleet, "sa")
    place(fleet, root, *EVERYONE)
    rotate(fleet, "sa")  # reissue, placed nowhere
    words = message(fleet, root, master, "rotation-behind")
    assert "service-account key pair rotation: this host's files show prepared" in words
    assert f"{SSL}/sa.pub holds the old (" in words and "and the new public key" in words
    assert f"{SSL}/sa.key is the old key: it signs the new tokens" in words
    assert "the directory is reissued" in words and "run distribute --rotation sa" in words


def test_sa_after_an_undo_the_masters_are_ahead_until_it_is_placed(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    for _phase in ("prepare", "reissue"):
        rotate(fleet, "sa")
        place(fleet, root, *EVERYONE)
    rotate(fleet, "sa", "--undo")  # reissue undone: the old key signs again
    assert said(fleet, root) == ({"rotation-ahead": MASTERS}, [])
    place(fleet, root, *EVERYONE)
    assert said(fleet, root) == ({}, [])
    rotate(fleet, "sa", "--undo")  # prepare undone: the masters keep its bundle until placed
    assert said(fleet, root) == ({"rotation-ahead": MASTERS}, [])
    place(fleet, root, *EVERYONE)
    assert said(fleet, root) == ({}, [])


def test_rotate_ca_hosts_sa_refuses_while_a_master_is_behind(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    lagging = sorted(MASTERS)[2]
    dry = run_rotation(hosts_request(fleet, CaKind.SA, True), reader=local_reader(root))
    assert {r.rotation.held.words for r in dry.hosts} == {"before prepare"}  # in step
    assert not any(r.blocking for r in dry.hosts) and {r.address for r in dry.hosts} == MASTERS
    for phase, step in PHASES:
        rotate(fleet, "sa")
        place(fleet, root, *(MASTERS - {lagging}))
        before = sorted(p.name for p in fleet.out.glob("backup-*"))
        with pytest.raises(RotateError) as refused:
            run_rotation(hosts_request(fleet, CaKind.SA, False), reader=local_reader(root))
        words = str(refused.value)
        assert f"{lagging}: " in words and "BEHIND" in words and f"({step})" in words, phase
        assert sorted(p.name for p in fleet.out.glob("backup-*")) == before  # nothing written
        place(fleet, root, lagging)
        if phase != "finalize":
            dry = run_rotation(hosts_request(fleet, CaKind.SA, True), reader=local_reader(root))
            assert {r.rotation.held.words for r in dry.hosts} == {step}, phase
            assert not any(r.blocking for r in dry.hosts), phase


def test_a_master_signing_with_a_key_of_neither_side_is_unknown_not_in_step(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    master = sorted(MASTERS)[0]
    rotate(fleet, "sa")
    place(fleet, root, *EVERYONE)
    shutil.copy(fleet.out / "admin-key.pem", root / master / f"{SSL[1:]}/sa.key")
    dry = run_rotation(hosts_request(fleet, CaKind.SA, True), reader=local_reader(root))
    (odd,) = [r for r in dry.hosts if r.blocking]
    assert odd.address == master and "UNKNOWN" in odd.line()
    assert f"{SSL}/sa.key is neither the old nor the new key" in odd.line()


# --- the client trust (--clients-only) ------------------------------------------------------

CLIENT_TRUST = MASTERS | NODES  # etcd keeps the cluster CA (its members are its clients too)


def test_clients_only_each_phase_is_behind_until_placed_then_clean(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    first = sorted(MASTERS)[0]
    for phase, _step in PHASES:
        rotate(fleet, "cluster", "--clients-only")
        assert said(fleet, root) == ({"rotation-behind": CLIENT_TRUST}, []), phase
        place(fleet, root, first)
        assert said(fleet, root) == ({"rotation-behind": CLIENT_TRUST - {first}}, []), phase
        place(fleet, root, *EVERYONE)
        # the client CA's trust, signing copy and key are the rotation's: no finding at all
        assert said(fleet, root) == ({}, []), phase


def test_clients_only_words_and_the_fix(fleet: FleetSet, tmp_path: Path) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    node = sorted(NODES)[0]
    rotate(fleet, "cluster", "--clients-only")
    words = message(fleet, root, node, "rotation-behind")
    assert "client trust (--clients-only) rotation: this host's files show before prepare" in words
    assert f"{SSL}/ca.pem holds the old CA alone" in words  # the client CA is not there yet
    assert "run distribute --rotation cluster --clients-only" in words
    place(fleet, root, *EVERYONE)
    rotate(fleet, "cluster", "--clients-only")  # reissue, placed nowhere
    words = message(fleet, root, node, "rotation-behind")
    assert "files show prepared" in words and f"{SSL}/client-ca.pem holds the old (" in words
    assert "signed by the old CA, 0 by the new" in words  # its kubeconfigs' certificates
    assert "of its files differ from the set for that reason" in words


def test_clients_only_after_an_undo_the_hosts_are_ahead(fleet: FleetSet, tmp_path: Path) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    for _phase in ("prepare", "reissue"):
        rotate(fleet, "cluster", "--clients-only")
        place(fleet, root, *EVERYONE)
    rotate(fleet, "cluster", "--clients-only", "--undo")
    assert said(fleet, root)[0] == {"rotation-ahead": CLIENT_TRUST}
    place(fleet, root, *EVERYONE)
    assert said(fleet, root)[0] == {}


def test_rotate_ca_hosts_clients_only_refuses_while_a_node_is_behind(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    lagging = sorted(NODES)[1]
    for phase, step in PHASES:
        rotate(fleet, "cluster", "--clients-only")
        place(fleet, root, *(EVERYONE - {lagging}))
        request = hosts_request(fleet, CaKind.CLUSTER, False, clients_only=True)
        with pytest.raises(RotateError) as refused:
            run_rotation(request, reader=local_reader(root))
        words = str(refused.value)
        assert f"{lagging} (node-2)" in words and "BEHIND" in words and f"({step})" in words
        assert "distribute --rotation cluster --clients-only" in words, words
        place(fleet, root, lagging)
        if phase != "finalize":
            dry = run_rotation(
                hosts_request(fleet, CaKind.CLUSTER, True, clients_only=True),
                reader=local_reader(root),
            )
            assert {r.address for r in dry.hosts} == CLIENT_TRUST
            assert not any(r.blocking for r in dry.hosts), [r.line() for r in dry.hosts]


# --- the files a rotation puts beyond the plan ----------------------------------------------


def test_the_signing_copy_is_the_rotations_and_an_unknown_file_is_still_said(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    master = sorted(MASTERS)[0]
    signing = f"{SSL}/ca-signing.pem"
    for phase, _step in PHASES:
        rotate(fleet, "cluster")
        place(fleet, root, *EVERYONE)
        assert (root / master / signing[1:]).exists()
        assert said(fleet, root) == ({}, []), phase  # no "left over?" for the signing copy
    stray = root / master / f"{SSL[1:]}/stray.pem"
    shutil.copy(fleet.out / "admin.pem", stray)
    assert said(fleet, root) == ({}, [(master, f"{SSL}/stray.pem", "not-in-plan")])
    stray.unlink()
    # the signing copy holding a CA the set no longer has (the old one, after finalize)
    old_ca = sorted(fleet.out.glob("backup-*/ca-bundle.pem"))[-1]
    (root / master / signing[1:]).write_bytes(old_ca.read_bytes())
    (finding,) = [f for f in findings(fleet, root) if f.path == signing]
    assert (finding.check, finding.severity) == ("different", "warning")
    assert "rotate-ca --ca cluster puts ca.pem here" in finding.message
    assert "run distribute --rotation cluster" in finding.message


def test_kubeadm_ca_signing_crt_is_the_rotations(tmp_path: Path) -> None:
    (tmp_path / "set").mkdir()
    fleet = make_set(tmp_path / "set", "10.244.82", profile="kubeadm")
    root = fake_hosts(fleet, tmp_path / "hosts")
    rotate(fleet, "cluster")
    place(fleet, root, *(p.name for p in (fleet.out / "hosts").iterdir()))
    placed = sorted(root.glob("*/etc/kubernetes/pki/ca-signing.crt"))
    assert placed  # the phase put it on the masters
    assert said(fleet, root) == ({}, [])


def test_a_foreign_key_at_the_client_ca_keys_place_is_still_an_error(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    master = sorted(MASTERS)[0]
    for _phase in ("prepare", "reissue"):
        rotate(fleet, "cluster", "--clients-only")
        place(fleet, root, *EVERYONE)
    assert said(fleet, root) == ({}, [])
    key = root / master / f"{SSL[1:]}/client-ca-key.pem"
    assert key.exists()
    shutil.copy(fleet.out / "admin-key.pem", key)  # the admin key where the client CA's goes
    rotation, others = said(fleet, root)
    assert (master, f"{SSL}/client-ca-key.pem", "extra-key") in others


def test_a_second_clients_only_rotation_reads_the_same_and_an_old_key_left_is_said(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    master = sorted(MASTERS)[0]
    key = root / master / f"{SSL[1:]}/client-ca-key.pem"
    for _phase, _step in PHASES:
        rotate(fleet, "cluster", "--clients-only")
        place(fleet, root, *EVERYONE)
    first_key = key.read_bytes()
    for phase, _step in PHASES:  # the client CA itself rotates now: old = the first client CA
        rotate(fleet, "cluster", "--clients-only")
        # behind, the masters still hold the first client CA's key: the rotation's, not extra
        assert said(fleet, root) == ({"rotation-behind": CLIENT_TRUST}, []), phase
        place(fleet, root, *EVERYONE)
        assert said(fleet, root) == ({}, []), phase
    key.write_bytes(first_key)  # after finalize the first client CA is trusted nowhere
    (finding,) = [f for f in findings(fleet, root) if f.path == f"{SSL}/client-ca-key.pem"]
    assert (finding.check, finding.severity) == ("different", "warning")
    assert "the key of a CA the set no longer trusts" in finding.message
    assert "run distribute --rotation cluster --clients-only" in finding.message


def test_a_stray_ca_key_on_a_master_is_not_said_to_be_on_a_host_without_one(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    master, node = sorted(MASTERS)[0], sorted(NODES)[0]
    shutil.copy(fleet.out / "ca-key.pem", root / master / f"{SSL[1:]}/ca-key-copy.pem")
    shutil.copy(fleet.out / "ca-key.pem", root / node / f"{SSL[1:]}/ca-key.pem")
    by_host = {
        f.node.split()[0]: f.message for f in findings(fleet, root) if f.check == "extra-key"
    }
    assert by_host[master].startswith(
        f"a copy of the CA key ca-key.pem, which this host's plan puts at {SSL}/ca-key.pem"
    )
    assert "whose plan has no CA key" not in by_host[master]
    assert by_host[node].startswith("the CA key (ca-key.pem) on a host whose plan has no CA key")


def test_rotate_ca_hosts_names_a_missing_public_key_file(fleet: FleetSet, tmp_path: Path) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    master = sorted(MASTERS)[1]
    rotate(fleet, "sa")
    place(fleet, root, *EVERYONE)
    (root / master / f"{SSL[1:]}/sa.pub").unlink()
    dry = run_rotation(hosts_request(fleet, CaKind.SA, True), reader=local_reader(root))
    (gone,) = [r for r in dry.hosts if r.blocking]
    assert gone.address == master and gone.rotation is None
    assert f"{master}: {SSL}/sa.pub is missing there or holds nothing to read" in gone.line()


def test_an_undone_first_clients_only_prepare_gives_the_hosts_the_cluster_ca_again(
    fleet: FleetSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    root = fake_hosts(fleet, tmp_path / "hosts")
    rotate(fleet, "cluster", "--clients-only")
    place(fleet, root, *EVERYONE)
    capsys.readouterr()
    rotate(fleet, "cluster", "--clients-only", "--undo", "--json")
    document = json.loads(capsys.readouterr().out)
    assert not (fleet.out / "client-ca.pem").exists()  # no client CA was ever made
    placed = [(s["address"], f) for s in document["hosts"] for f in s["files"]]
    assert {a for a, _f in placed} == CLIENT_TRUST
    assert all(f["source"] == "ca.pem" for _a, f in placed), placed  # a file that is there
    assert said(fleet, root)[0] == {"rotation-ahead": CLIENT_TRUST}
    for address, item in placed:
        where = root / address / item["destination"].lstrip("/")
        where.write_bytes((fleet.out / item["source"]).read_bytes())
    assert said(fleet, root) == ({}, [])
