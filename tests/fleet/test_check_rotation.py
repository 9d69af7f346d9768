"""A cluster CA rotation read back from fake hosts (folders standing for their /, the real
inventory script in a local sh): `check` names the hosts behind the set's phase (and ahead of
it after an --undo), with both steps and the fix, and is clean once each phase is placed;
`rotate-ca --hosts` shows each host's step and refuses the next phase while one lags."""

from __future__ import annotations

import shutil
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

NET = "10.244.79"
MASTERS = [f"{NET}.21", f"{NET}.22", f"{NET}.23"]
ETCD = [f"{NET}.11", f"{NET}.12", f"{NET}.13"]
NODES = [f"{NET}.31", f"{NET}.32"]
TRUST = "/etc/kubernetes/ssl/ca.pem"


@pytest.fixture
def fleet(tmp_path: Path) -> FleetSet:
    (tmp_path / "set").mkdir()
    return make_set(tmp_path / "set", NET)


def rotate(fleet: FleetSet, *extra: str) -> None:
    argv = ["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", "cluster", *extra]
    assert main(argv) == 0


def place(fleet: FleetSet, root: Path, *addresses: str) -> None:
    """What the last phase placed on these hosts: its `hosts/<address>/` copies, which
    rotate-ca keeps equal to the phase's host plan (files it no longer places stay)."""
    for address in addresses:
        shutil.copytree(fleet.out / "hosts" / address, root / address, dirs_exist_ok=True)


def said(fleet: FleetSet, root: Path) -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """check's rotation findings (slug → hosts) and every other warning or error."""
    review = check_fleet(owned(fleet), fleet.out, local_reader(root)).review
    rotation: dict[str, set[str]] = {}
    others = []
    for finding in review.findings:
        host = finding.node.split()[0]
        if finding.check.startswith("rotation-"):
            rotation.setdefault(finding.check, set()).add(host)
        elif finding.severity != "info":
            others.append((host, finding.path, finding.check))
    return rotation, others


def reviewed(fleet: FleetSet) -> int:
    """`review -c cluster.toml DIR`'s exit code (0: no warning nor error)."""
    return main(["review", "--json", "-c", str(fleet.toml), str(fleet.out)])


def stages(fleet: FleetSet, root: Path, dry_run: bool = True):  # noqa: ANN201
    request = RotationRequest(
        owned(fleet), fleet.out, CaKind.CLUSTER, dry_run=dry_run, read_hosts=True
    )
    return run_rotation(request, reader=local_reader(root))


def test_each_phase_is_behind_on_every_host_until_placed_then_clean(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    everyone = set(MASTERS + ETCD + NODES)
    assert said(fleet, root) == ({}, [])
    for phase, step in (("prepare", "prepared"), ("reissue", "reissued"), ("finalize", "")):
        rotate(fleet)
        assert reviewed(fleet) == 0, phase  # old and new CA trusted together: no split
        rotation, others = said(fleet, root)
        assert (rotation, others) == ({"rotation-behind": everyone}, []), phase
        review = check_fleet(owned(fleet), fleet.out, local_reader(root)).review
        words = next(f for f in review.findings if f.node.startswith(MASTERS[0])).message
        assert f"the directory is {step or 'finalized'}" in words, words
        assert "run distribute --rotation cluster" in words and TRUST in words, words
        place(fleet, root, *MASTERS[:1])
        assert said(fleet, root) == ({"rotation-behind": everyone - {MASTERS[0]}}, []), phase
        place(fleet, root, *everyone)
        assert said(fleet, root) == ({}, []), phase


def test_the_words_name_what_the_host_holds_and_the_directory_step(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    rotate(fleet)  # prepare, placed everywhere
    place(fleet, root, *MASTERS, *ETCD, *NODES)
    rotate(fleet)  # reissue, placed nowhere
    review = check_fleet(owned(fleet), fleet.out, local_reader(root), only=[MASTERS[1]]).review
    (finding,) = [f for f in review.findings if f.severity != "info"]
    assert (finding.check, finding.severity, finding.path) == ("rotation-behind", "warning", TRUST)
    assert "this host's files show prepared" in finding.message
    assert "holds the old (" in finding.message and "and the new CA" in finding.message
    assert "signed by the old CA, 0 by the new" in finding.message
    assert "the directory is reissued" in finding.message
    assert "of its files differ from the set for that reason" in finding.message


def test_after_an_undo_the_hosts_are_ahead_until_the_undo_is_placed(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    everyone = set(MASTERS + ETCD + NODES)
    for _phase in ("prepare", "reissue"):
        rotate(fleet)
        place(fleet, root, *everyone)
    rotate(fleet, "--undo")
    assert said(fleet, root) == ({"rotation-ahead": everyone}, [])
    place(fleet, root, *everyone)
    assert said(fleet, root) == ({}, [])
    outcome = stages(fleet, root)
    assert outcome.plan.phase == "reissue"  # the rotation goes on from the right phase
    rotate(fleet, "--undo")  # prepare: the hosts keep its bundle until the undo is placed
    assert said(fleet, root) == ({"rotation-ahead": everyone}, [])
    place(fleet, root, *everyone)
    assert said(fleet, root) == ({}, [])


def test_rotate_ca_hosts_shows_the_steps_and_refuses_while_one_is_behind(
    fleet: FleetSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    rotate(fleet)  # prepare
    place(fleet, root, *MASTERS, *ETCD, NODES[0])
    dry = stages(fleet, root)
    lagging = [r for r in dry.hosts if r.blocking]
    assert [r.address for r in lagging] == [NODES[1]]
    assert lagging[0].rotation.held.words == "before prepare" and lagging[0].rotation.behind
    assert {r.rotation.held.words for r in dry.hosts if not r.blocking} == {"prepared"}
    before = sorted(p.name for p in fleet.out.glob("backup-*"))
    with pytest.raises(RotateError) as refused:
        stages(fleet, root, dry_run=False)
    words = str(refused.value)
    assert f"{NODES[1]} (node-2): before prepare — BEHIND" in words
    assert "the directory's step (prepared)" in words and "nothing was written" in words
    assert sorted(p.name for p in fleet.out.glob("backup-*")) == before
    place(fleet, root, NODES[1])
    outcome = stages(fleet, root, dry_run=False)
    assert outcome.plan.phase == "reissue" and outcome.result is not None


def test_an_unreachable_host_refuses_the_phase_naming_it(fleet: FleetSet, tmp_path: Path) -> None:
    from wizard.fleet.inventory import InventoryError

    root = fake_hosts(fleet, tmp_path / "hosts")
    real = local_reader(root)

    def reader(target, host, directories):  # noqa: ANN001, ANN202
        if target.address == MASTERS[2]:
            raise InventoryError("unreachable: ssh: connect to host port 22: No route to host")
        return real(target, host, directories)

    request = RotationRequest(owned(fleet), fleet.out, CaKind.CLUSTER, read_hosts=True)
    with pytest.raises(RotateError, match=f"{MASTERS[2]}.*not read — .*No route to host"):
        run_rotation(request, reader=reader)
    assert not list(fleet.out.glob("backup-*"))


def test_the_cli_refuses_undo_with_hosts(
    fleet: FleetSet, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--hosts"]
    assert main([*base, "--ca", "cluster", "--undo"]) == 1
    err = capsys.readouterr().err
    assert "--undo --hosts" in err and "Traceback" not in err


def test_undo_json_gives_the_hosts_plan_that_brings_them_back_in_step(
    fleet: FleetSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    root = fake_hosts(fleet, tmp_path / "hosts")
    for _phase in ("prepare", "reissue"):
        rotate(fleet)
        place(fleet, root, *MASTERS, *ETCD, *NODES)
    capsys.readouterr()
    rotate(fleet, "--undo", "--json")
    document = json.loads(capsys.readouterr().out)
    assert (document["phase"], document["dry_run"]) == ("reissue", False)
    assert document["undo_of"].startswith("backup-") and document["backup"]
    for step in document["hosts"]:  # the undo's own host plan, placed from the set
        for placed in step["files"]:
            where = root / step["address"] / placed["destination"].lstrip("/")
            where.write_bytes((fleet.out / placed["source"]).read_bytes())
    assert {s["address"] for s in document["hosts"] if s["files"]} == set(MASTERS + ETCD + NODES)
    assert said(fleet, root) == ({}, [])
