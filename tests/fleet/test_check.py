"""check: the real inventory script over fake hosts (folders standing for their /), compared
with the set — clean, then each kind of drift named by host and file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fleet.fleet_sets import FleetSet, fake_hosts, local_reader, make_set, me, owned_spec
from wizard.cli import main
from wizard.fleet.check import check_fleet
from wizard.fleet.inventory import (
    INVENTORY_SCRIPT,
    InventoryError,
    expected_files,
    inventory_request,
    scanned_directories,
)

NET = "10.244.78"
M1, M2, M3 = f"{NET}.21", f"{NET}.22", f"{NET}.23"
E1, N1 = f"{NET}.11", f"{NET}.31"
SSL = "/etc/kubernetes/ssl"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> FleetSet:
    return make_set(tmp_path_factory.mktemp("check"), NET)


def problems(review) -> set[tuple[str, str, str]]:
    return {(f.node.split()[0], f.path, f.check) for f in review.findings if f.severity != "info"}


def test_fresh_hosts_are_clean_and_every_planned_file_is_read(fleet: FleetSet, tmp_path: Path):
    root = fake_hosts(fleet, tmp_path / "hosts")
    result = check_fleet(owned_spec(fleet), fleet.out, local_reader(root))
    assert [(f.node, f.path, f.check) for f in result.review.findings] == []
    planned = {(h.address, f.destination) for h in expected_files(fleet.spec(), fleet.out)
               for f in h.files}  # fmt: skip
    read = {(h.target.address, p) for h in result.hosts for p in h.inventory.files}
    assert planned <= read and len(planned) > 40
    assert {h.target.address for h in result.hosts} == {a for a, _ in planned}


def test_planted_drift_is_named_by_host_and_file(fleet: FleetSet, tmp_path: Path) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    (root / M1 / f"{SSL[1:]}/kubernetes.pem").write_bytes(fleet.older("kubernetes.pem"))
    shutil.copy(fleet.out / "ca-key.pem", root / N1 / f"{SSL[1:]}/ca-key.pem")
    shutil.copy(fleet.out / "admin-key.pem", root / E1 / f"{SSL[1:]}/admin-key.pem")
    os.chmod(root / M2 / f"{SSL[1:]}/kubernetes-key.pem", 0o644)
    os.chmod(root / M2 / f"{SSL[1:]}/ca.pem", 0o600)
    (root / E1 / f"{SSL[1:]}/ca.pem").unlink()
    shutil.copy(fleet.out / "kube-proxy-key.pem", root / M3 / f"{SSL[1:]}/kubernetes-key.pem")
    result = check_fleet(owned_spec(fleet), fleet.out, local_reader(root))
    assert problems(result.review) == {
        (M1, f"{SSL}/kubernetes.pem", "stale"),
        (N1, f"{SSL}/ca-key.pem", "extra-key"),
        (E1, f"{SSL}/admin-key.pem", "extra-key"),
        (M2, f"{SSL}/kubernetes-key.pem", "wrong-mode"),
        (M2, f"{SSL}/ca.pem", "wrong-mode"),
        (E1, f"{SSL}/ca.pem", "missing"),
        (M3, f"{SSL}/kubernetes-key.pem", "different"),
        (M3, f"{SSL}/kubernetes-key.pem", "key-mismatch"),
    }
    by_key = {(f.node.split()[0], f.path, f.check): f for f in result.review.findings}
    ca_key = by_key[(N1, f"{SSL}/ca-key.pem", "extra-key")]
    assert ca_key.severity == "error" and "the CA key (ca-key.pem)" in ca_key.message
    assert "admin key (admin-key.pem" in by_key[(E1, f"{SSL}/admin-key.pem", "extra-key")].message
    assert by_key[(M2, f"{SSL}/kubernetes-key.pem", "wrong-mode")].severity == "error"
    assert by_key[(M2, f"{SSL}/ca.pem", "wrong-mode")].severity == "warning"  # stricter: no leak
    stale = by_key[(M1, f"{SSL}/kubernetes.pem", "stale")].message
    assert "an older certificate of the same subject" in stale and "distribute" in stale
    worst = {h.target.address: h.worst for h in result.hosts}
    assert worst[M1] == worst[N1] == worst[E1] == worst[M2] == worst[M3] == "error"
    assert worst[f"{NET}.12"] is None


def test_the_wrong_owner_is_a_warning_naming_both(fleet: FleetSet, tmp_path: Path) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    spec = fleet.spec()
    spec.deploy.owner, spec.deploy.group = "kube", "kube"  # the fake hosts' are this user's
    result = check_fleet(spec, fleet.out, local_reader(root), only=["node-1"])
    user, group = me()
    owners = [f for f in result.review.findings if f.check == "wrong-owner"]
    assert owners and all(f.severity == "warning" and f.node == f"{N1} (node-1)" for f in owners)
    assert f"owned by {user}:{group}, [deploy] says kube:kube" in owners[0].message


def test_no_private_key_byte_nor_its_hash_leaves_the_host(fleet: FleetSet, tmp_path: Path):
    root = fake_hosts(fleet, tmp_path / "hosts")
    hosts = expected_files(fleet.spec(), fleet.out)
    master = next(h for h in hosts if h.address == M1)
    shutil.copy(fleet.out / "admin-key.pem", root / M1 / "etc/kubernetes/ssl/extra.key")
    request = inventory_request(master, scanned_directories(hosts), str(root / M1))
    output = subprocess.run(["sh", "-c", INVENTORY_SCRIPT], input=request,
                            capture_output=True, check=True).stdout  # fmt: skip
    assert b"PRIVATE KEY-----" not in output and b"client-key-data" not in output
    import hashlib

    for path in (root / M1).rglob("*"):
        if path.is_file() and b"PRIVATE KEY" in path.read_bytes():
            data = path.read_bytes()
            body = b"".join(data.splitlines()[1:-1])
            assert body[:40] not in output, path
            assert hashlib.sha256(data).hexdigest().encode() not in output, path
    assert b"X\tsame" in output and b"P\t" in output  # compared on the host; public part sent


def test_without_openssl_on_the_host_keys_are_compared_there_and_pems_parsed_here(
    fleet: FleetSet, tmp_path: Path
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("sh", "stat", "grep", "sed", "head", "cut", "sha256sum", "cat"):
        os.symlink(shutil.which(tool), tools / tool)
    root = fake_hosts(fleet, tmp_path / "hosts")
    (root / M1 / f"{SSL[1:]}/kubernetes.pem").write_bytes(fleet.older("kubernetes.pem"))
    shutil.copy(fleet.out / "ca-key.pem", root / N1 / f"{SSL[1:]}/ca-key.pem")
    shutil.copy(fleet.out / "sa.key", root / M1 / f"{SSL[1:]}/kubernetes-key.pem")
    result = check_fleet(owned_spec(fleet), fleet.out, local_reader(root, str(tools)))
    assert all(h.inventory is not None and not h.inventory.openssl for h in result.hosts)
    assert problems(result.review) == {
        (M1, f"{SSL}/kubernetes.pem", "stale"),
        (M1, f"{SSL}/kubernetes-key.pem", "different"),
        (N1, f"{SSL}/ca-key.pem", "extra-key"),
    }
    extra = next(f for f in result.review.findings if f.check == "extra-key")
    assert extra.severity == "warning" and "no openssl on the host" in extra.message


def test_an_unreachable_host_is_an_error_naming_it_and_the_others_still_report(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    real = local_reader(root)

    def reader(target, host, directories):  # noqa: ANN001, ANN202
        if target.address == M2:
            raise InventoryError("unreachable: ssh: connect to host 10.244.78.22 port 22: "
                                 "No route to host")  # fmt: skip
        return real(target, host, directories)

    result = check_fleet(owned_spec(fleet), fleet.out, reader)
    assert [(f.node, f.check, f.severity) for f in result.review.findings] == [
        (M2, "unreachable", "error")
    ]
    assert "No route to host" in result.review.findings[0].message
    assert len([h for h in result.hosts if h.inventory is not None]) == 7


def test_the_cli_names_an_unreachable_host_in_json_and_exits_2(
    fleet: FleetSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = tmp_path / "cluster.toml"
    # ssh to 127.0.0.1 port 1: refused at once, before any host key or login
    toml.write_text(fleet.toml.read_text() + f'\n[[deploy.hosts]]\naddress = "{N1}"\n'
                    'ssh = "127.0.0.1"\nport = 1\n')  # fmt: skip
    code = main(["check", "-c", str(toml), "-o", str(fleet.out), "--hosts", "node-1", "--json"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    document = json.loads(captured.out)
    assert [(f["node"], f["check"]) for f in document["findings"]] == [
        (f"{N1} (node-1)", "unreachable")
    ]
    assert "refused" in document["findings"][0]["message"].lower()
    assert f"{N1} (node-1): unreachable" in captured.err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--hosts", "nobody"], "--hosts nobody: not a host of this cluster"),
        (["--parallel", "0"], "--parallel 0: use 1 to 64"),
        (["-o", "/nonexistent/certs"], "no such directory"),
    ],
)
def test_the_cli_refuses_bad_input_in_one_line(
    fleet: FleetSet, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    base = ["check", "-c", str(fleet.toml), "-o", str(fleet.out)]
    assert main(base + argv) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_odd_file_names_are_read_as_names_never_run(fleet: FleetSet, tmp_path: Path) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    odd = f"{SSL}/odd name $(touch pwned) `touch pwned2`;*.key"
    shutil.copy(fleet.out / "admin-key.pem", root / N1 / odd.lstrip("/"))
    (root / N1 / f"{SSL[1:]}/new\nline.pem").write_bytes((fleet.out / "ca.pem").read_bytes())
    result = check_fleet(owned_spec(fleet), fleet.out, local_reader(root), only=[N1])
    assert problems(result.review) == {(N1, odd, "extra-key")}
    assert not list(tmp_path.rglob("pwned*")) and not Path("pwned").exists()


def test_check_exports_carry_the_node(fleet: FleetSet, tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from wizard.cli.review import render_review

    root = fake_hosts(fleet, tmp_path / "hosts")
    review = check_fleet(owned_spec(fleet), fleet.out, local_reader(root)).review
    kubeadm = json.loads(render_review(review, "kubeadm"))
    names = {c["name"] for c in kubeadm["certificates"]}
    assert f"{M1}:{SSL}/kubernetes.pem" in names and f"{M2}:{SSL}/kubernetes.pem" in names
    families = {
        f.name: f for f in text_string_to_metric_families(render_review(review, "prometheus"))
    }
    samples = families["x509_cert_not_after"].samples
    nodes = {s.labels["node"] for s in samples if s.labels["filepath"] == f"{SSL}/ca.pem"}
    assert len(nodes) == 8  # one series per host, not one for all
    document = json.loads(render_review(review, "json"))
    assert document["summary"]["files"] == len({(f["node"], f["path"]) for f in document["files"]})


@pytest.mark.slow
def test_a_host_that_owes_a_restart_is_told_as_info_naming_the_components(
    fleet: FleetSet, tmp_path: Path
) -> None:
    """distribute without --restart left a record on two hosts: check says so (info: the
    files themselves are right, and the record cannot know of a restart done by hand)."""
    from tests.fleet.fleet_sets import LocalHosts
    from wizard.fleet.distribute import host_files
    from wizard.jobs.distribution import DistributionRequest, run_distribution

    spec = owned_spec(fleet)
    root = fake_hosts(fleet, tmp_path / "hosts")
    for host, source in ((M1, "kubernetes.pem"), (N1, "kubelet-node-1.pem")):
        destination = {"kubernetes.pem": "kubernetes.pem", "kubelet-node-1.pem": "kubelet.pem"}
        (root / host / f"{SSL[1:]}/{destination[source]}").write_bytes(fleet.older(source))
    outcome = run_distribution(DistributionRequest(spec, fleet.out, hosts=(M1, N1)),
                               client=LocalHosts(root).factory())  # fmt: skip
    owed = {r.target.address: r.owed for r in outcome.hosts}
    assert "kube-apiserver" in owed[M1] and owed[N1] == ["kubelet"]
    result = check_fleet(spec, fleet.out, local_reader(root))
    assert problems(result.review) == set()  # the files are as planned
    told = {
        f.node.split()[0]: f for f in result.review.findings if f.check == "restart-owed"
    }  # fmt: skip
    assert set(told) == {M1, N1}
    record = {h.address: h.record for h in host_files(spec, fleet.out)}
    for address, finding in told.items():
        assert finding.severity == "info" and finding.path == record[address]
        assert finding.message.startswith(
            f"needs restart (placed earlier, not restarted): {', '.join(owed[address])} — "
        )
    assert "distribute --restart restarts kubelet.service" in told[N1].message
