"""check and probe from the jump host against the running lab (complete and kubeadm).

Files are placed on the hosts by `distribute` over SSH (the lab's ssh_config: its key,
known_hosts checked); `check` reads them back over the same connection and `probe` dials the
running apiservers, etcd members and kubelet stand-ins. Timings go to the test's output (-s).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fleet.fleet_sets import older_certificate
from tests.lab.cluster import Cluster, config_fields, product_argv
from tests.lab.netlab import ETCD, JUMP, MASTERS, NODES, VIP, Lab
from tests.lab.test_complete import start_cluster
from tests.lab.test_distribute import distribute

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]
HERE = Path(__file__).resolve().parent
M1, M2, N1, N2, E1 = MASTERS[0], MASTERS[1], NODES[0], NODES[1], ETCD[0]


@dataclass(frozen=True)
class Drift:
    """A profile's files for the planted drift and the renewal (as its plan places them)."""

    stale: tuple[str, str]  # etcd-1: (destination, source) of a certificate etcd has loaded
    signer: tuple[str, str]  # (CA certificate, CA key) in the output directory
    ca_key: str  # the CA key's destination on a master (planted on node-1)
    key: str  # a key on master-2 (set to 0644)
    ca: str  # node-2's CA certificate (removed)
    kubelet: tuple[str, str, str, str]  # node-1's serving (cert, key) source, then destination


DRIFTS = {
    "complete": Drift(
        ("/etc/kubernetes/ssl/kubernetes.pem", "kubernetes.pem"),
        ("ca.pem", "ca-key.pem"),
        "/etc/kubernetes/ssl/ca-key.pem",
        "/etc/kubernetes/ssl/kubernetes-key.pem",
        "/etc/kubernetes/ssl/ca.pem",
        ("kubelet-node-1.pem", "kubelet-node-1-key.pem", "/etc/kubernetes/ssl/kubelet.pem",
         "/etc/kubernetes/ssl/kubelet-key.pem"),
    ),
    "kubeadm": Drift(
        ("/etc/kubernetes/pki/etcd/server.crt", "pki/etcd/etcd-1/server.crt"),
        ("pki/etcd/ca.crt", "pki/etcd/ca.key"),
        "/etc/kubernetes/pki/ca.key",
        "/etc/kubernetes/pki/apiserver.key",
        "/etc/kubernetes/pki/ca.crt",
        ("pki/kubelet/node-1.crt", "pki/kubelet/node-1.key", "/etc/kubernetes/pki/kubelet.crt",
         "/etc/kubernetes/pki/kubelet.key"),
    ),
}  # fmt: skip


@pytest.fixture(scope="module", params=sorted(DRIFTS))
def running(
    request: pytest.FixtureRequest,
    lab: Lab,
    control_plane: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    profile = request.param
    work = tmp_path_factory.mktemp(f"checkprobe-{profile}")
    cluster = Cluster.generate(lab, control_plane, work, profile)
    toml = work / "cluster.toml"
    toml.write_text(toml.read_text() + f'\n[deploy]\nssh_config = "{lab.ssh_config}"\n')
    try:
        code, document = distribute(lab, work)
        assert code == 0, document
        start_cluster(cluster)
        kubelet = config_fields(cluster.flags.get("kubelet", []))
        files = [kubelet[f] for f in ("tlsCertFile", "tlsPrivateKeyFile", "clientCAFile")]
        for node in NODES:
            standin = [sys.executable, str(HERE / "kubelet_standin.py"), node.address, *files]
            cluster.start(node, "kubelet-standin", standin)
        yield cluster
    finally:
        lab.stop_processes()
        lab.reset_hosts()


def product(cluster: Cluster, command: str, *extra: str) -> tuple[int, dict, str, float]:
    """Run `check` or `probe --json` on the jump host: (exit code, document, stderr, seconds)."""
    toml = cluster.out.parent / "cluster.toml"
    started = time.monotonic()
    result = cluster.lab.run(
        JUMP, *product_argv(command, "-c", str(toml), "-o", str(cluster.out), "--json", *extra),
        cwd=str(Path(__file__).resolve().parents[2]), timeout=180,
    )  # fmt: skip
    seconds = time.monotonic() - started
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"{command}: no JSON\n{result.stdout}\n{result.stderr}") from None
    print(f"\n{command} {' '.join(extra)}: {seconds:.1f} s\n{result.stderr}")
    return result.returncode, document, result.stderr, seconds


def problems(document: dict) -> set[tuple[str, str, str]]:
    return {
        (f["node"].split()[0], f["path"], f["check"])
        for f in document["findings"]
        if f["severity"] != "info"
    }


def test_check_is_clean_on_a_fresh_lab_then_names_each_planted_drift(running: Cluster) -> None:
    lab = running.lab
    code, document, err, _ = product(running, "check")
    assert (code, problems(document)) == (0, set()), document["findings"]
    nodes = {f["node"].split()[0] for f in document["files"]}
    assert nodes == {h.address for h in [*ETCD, *MASTERS, *NODES]}
    per_host = dict(re.findall(r"^  (\S+).*\(([\d.]+) s\)$", err, re.M))
    assert len(per_host) == 8, err

    drift = DRIFTS[running.profile]
    stale, source = drift.stale
    old = older_certificate(running.out, source, 30, *drift.signer).decode()
    lab.write(E1, stale, old)  # an old certificate (etcd has read its own)
    ca_key = running.out / ("ca-key.pem" if running.profile == "complete" else "pki/ca.key")
    lab.write(N1, drift.ca_key, ca_key.read_text(), mode=0o600)
    lab.run(M2, "chmod", "0644", drift.key, check=True)
    lab.run(N2, "rm", drift.ca, check=True)
    try:
        code, document, _, _ = product(running, "check")
        assert code == 2
        assert problems(document) == {
            (E1.address, stale, "stale"),
            (N1.address, drift.ca_key, "extra-key"),
            (M2.address, drift.key, "wrong-mode"),
            (N2.address, drift.ca, "missing"),
        }, document["findings"]
    finally:
        lab.run(N1, "rm", "-f", drift.ca_key)  # not distribute's to remove: not in the plan
        code, document = distribute(lab, running.out.parent)  # what check named, repaired
    assert code == 0, document
    code, document, _, _ = product(running, "check")
    assert (code, problems(document)) == (0, set()), document["findings"]
    # the repair replaced etcd-1's stale certificate without a restart: etcd-1 owes one (an
    # info — the chmod and the missing file replaced nothing a process serves)
    owed = {(f["node"].split()[0], f["severity"]) for f in document["findings"]
            if f["check"] == "restart-owed"}  # fmt: skip
    assert owed == {(E1.address, "info")}, document["findings"]


def test_probe_is_clean_then_names_exactly_the_component_renewed_but_not_restarted(
    running: Cluster,
) -> None:
    code, document, _, _ = product(running, "probe")
    assert (code, problems(document)) == (0, set()), document["findings"]
    endpoints = {f["path"] for f in document["files"]}
    assert f"apiserver https://{VIP}:6443" in endpoints
    assert f"etcd peer https://{E1.address}:2380" in endpoints
    assert f"kubelet https://{N1.address}:10250" in endpoints

    # node-1's serving certificate renewed in the set (and placed on node-1) while its
    # stand-in keeps serving the one it loaded: exactly that endpoint is "renewed but not
    # restarted".
    cert, key, cert_at, key_at = DRIFTS[running.profile].kubelet
    toml = running.out.parent / "cluster.toml"
    renew = running.lab.run(
        JUMP, *product_argv("renew", "-c", str(toml), "-o", str(running.out), "--only", cert),
        cwd=str(Path(__file__).resolve().parents[2]),
    )  # fmt: skip
    assert renew.returncode == 0, renew.stdout + renew.stderr
    # placed by distribute without --restart: node-1 owes exactly its kubelet's restart
    code, placed = distribute(running.lab, running.out.parent, "--hosts", N1.name)
    assert code == 0, placed
    [report] = placed["hosts"]
    assert report["owed"] == ["kubelet"] and report["restarted"] == [], report
    assert sorted(f["destination"] for f in report["files"] if f["status"] == "changed") == sorted(
        (cert_at, key_at)
    ), report
    code, document, _, _ = product(running, "probe")
    assert code == 2
    assert problems(document) == {
        (N1.address, f"kubelet https://{N1.address}:10250", "served-not-file")
    }, document["findings"]
    mismatched = {(f["node"].split()[0], f["path"].split()[0]) for f in document["findings"]
                  if f["check"] == "served-not-file"}  # fmt: skip
    assert mismatched == {(N1.address, "kubelet")} and "kubelet" in report["owed"]
    message = next(f["message"] for f in document["findings"] if f["check"] == "served-not-file")
    assert "renewed but not restarted" in message and "kubelet.service" in message


def test_apiserver_and_etcd_serve_a_replaced_file_without_a_restart(running: Cluster) -> None:
    """What `probe` found in the lab: kube-apiserver (its dynamic serving certificate, within
    its one-minute resync) and etcd (its certificate read at each handshake) serve a replaced
    serving file without a restart —
    so after distribute, probe is clean for them, and "renewed but not restarted" is the
    kubelet's (and any process that reads its file once)."""
    if running.profile != "complete":
        pytest.skip("kubernetes.pem serves both etcd and kube-apiserver in the complete profile")
    toml = running.out.parent / "cluster.toml"
    renew = running.lab.run(
        JUMP, *product_argv("renew", "-c", str(toml), "-o", str(running.out), "--only",
                            "kubernetes.pem"),
        cwd=str(Path(__file__).resolve().parents[2]),
    )  # fmt: skip
    assert renew.returncode == 0, renew.stdout + renew.stderr
    hosts = [*MASTERS, *ETCD]
    for host in hosts:
        for name, mode in (("kubernetes.pem", 0o644), ("kubernetes-key.pem", 0o600)):
            text = (running.out / name).read_text()
            running.lab.write(host, f"/etc/kubernetes/ssl/{name}", text, mode=mode)
    only = [
        arg
        for host in [
            *hosts,
        ]
        for arg in ("--hosts", host.address)
    ] + ["--hosts", VIP]
    started = time.monotonic()
    left: set = set()
    first: set = set()
    # kube-apiserver's dynamic certificate re-reads its files on a file event or, at the
    # latest, its one-minute resync (in the lab: ~57 s); etcd reads them at each handshake
    while time.monotonic() - started < 150:
        _, document, _, _ = product(running, "probe", *only)
        left = {(n, p) for n, p, c in problems(document) if c == "served-not-file"}
        first = first or left
        if not left:
            break
        time.sleep(3)
    print(
        f"\nserving files picked up without a restart after {time.monotonic() - started:.0f} s;"
        f" at first still the old one: {sorted(first)}"
    )
    assert not left, f"still serving the replaced file's predecessor: {sorted(left)}"
