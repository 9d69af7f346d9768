"""A cluster-CA rotation on kubeadm with three masters, interrupted: in prepare and in finalize
`distribute --rotation` is SIGKILLed at a random step (seeded; the seed is printed, and
KCW_LAB_SEED replays it), and the rerun resumes at the first step not done and ends with every
host holding the phase's files and owing no restart; in reissue node-1's link is cut, the run
stops before the next host naming node-1 (exit 2, the rerun command), and once the link is back
the rerun completes. The client loops (the API through the VIP, etcd) run throughout and may
lose nothing but a Put at an etcd leader hand-over, as in test_rotate.py."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.cluster import REPO, client_kubeconfig, product_argv
from tests.lab.netlab import JUMP, MASTERS, NODES, PREFIX, VIP, Lab
from tests.lab.test_rotate import (
    HOSTS,
    Live,
    assert_no_failed_request,
    distribute_rotation,
    running,
)

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]
RECORD = ".kcw-rotation-ca.json"


@pytest.fixture(scope="module")
def kubeadm(
    lab: Lab, control_plane: Path, etcd_loop: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    work = tmp_path_factory.mktemp("rotate-interrupted")
    yield from running(lab, control_plane, etcd_loop, work, "kubeadm", tuple(MASTERS))


def done_steps(live: Live, phase: str) -> list[str]:
    """The steps the record says are done in this phase ([] before the first, and while the
    record is still the previous phase's)."""
    try:
        record = json.loads((live.out / RECORD).read_text())
    except (OSError, ValueError):
        return []
    return list(record.get("done", [])) if record.get("phase") == phase else []


def killed_at_random(live: Live, plan: dict, rng: random.Random) -> dict:
    """Start `distribute --rotation cluster`, SIGKILL it (its whole process group: the
    product, its ssh) once `k` steps are done plus a random fraction of a step; then rerun."""
    steps = len(plan["hosts"])
    k = rng.randrange(0, max(1, steps - 1))
    delay = round(rng.uniform(0.0, 4.0), 2)
    argv = product_argv(
        "distribute", "-c", str(live.work / "cluster.toml"), str(live.out),
        "--rotation", "cluster", "--json",
    )  # fmt: skip
    lab = live.cluster.lab
    log = (live.work / f"killed-{plan['phase']}.out").open("wb")
    process = subprocess.Popen(
        [*lab.enter(JUMP), *argv],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = time.monotonic()
    while len(done_steps(live, plan["phase"])) < k and process.poll() is None:
        time.sleep(0.1)
    time.sleep(delay)
    ended_first = process.poll() is not None
    if not ended_first:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)
    log.close()
    killed_after = round(time.monotonic() - started, 1)
    before = done_steps(live, plan["phase"])
    code, again = distribute_rotation(live, "cluster")
    assert code == 0 and again["finished"], again
    resumed = [s for s in again["steps"] if s["state"] == "done before"]
    assert {f"{s['wave']}:{s['address']}" for s in resumed} == set(before)
    first = next((s for s in again["steps"] if s["state"] == "done"), None)
    hosts_have_the_phase(live, again)
    return {
        "leaders": again["leaders"],
        "warnings": again["warnings"],
        "lab_kill": {
            "after_steps": k,
            "plus_seconds": delay,
            "killed_after_seconds": killed_after,
            "ended_before_the_kill": ended_first,
            "done_at_the_kill": len(before),
            "resumed_at": f"wave {first['wave']} {first['address']}" if first else "(nothing left)",
            "rerun_seconds": again["seconds"],
        },
    }


def node_cut_off(live: Live, plan: dict, _rng: random.Random) -> dict:
    """node-1's link down: the run stops at node-1 (before the next host); link up, rerun."""
    node = NODES[0]
    namespace = PREFIX + node.name
    subprocess.run(["ip", "-n", namespace, "link", "set", "eth0", "down"], check=True)
    try:
        code, stopped = distribute_rotation(live, "cluster")
    finally:
        subprocess.run(["ip", "-n", namespace, "link", "set", "eth0", "up"], check=True)
    assert code == 2 and not stopped["finished"], stopped
    assert stopped["stopped"]["address"] == node.address, stopped["stopped"]
    assert stopped["stopped"]["state"] == "unreachable", stopped["stopped"]
    assert "--rotation cluster" in stopped["rerun"]
    states = [s["state"] for s in stopped["steps"]]
    at = next(i for i, s in enumerate(stopped["steps"]) if s["address"] == node.address
              and s["state"] == "unreachable")  # fmt: skip
    assert all(x in ("done", "done before") for x in states[:at]), states
    assert all(x == "not started" for x in states[at + 1 :]), states
    time.sleep(2)  # the link's neighbours again
    code, again = distribute_rotation(live, "cluster")
    assert code == 0 and again["finished"], again
    first = next(s for s in again["steps"] if s["state"] == "done")
    assert first["address"] == node.address, first
    hosts_have_the_phase(live, again)
    return {
        "leaders": again["leaders"],
        "lab_cut": {
            "host": node.name,
            "stopped_after_seconds": stopped["seconds"],
            "done_before_the_stop": at,
            "not_started": len(states) - at - 1,
            "resumed_at": f"wave {first['wave']} {first['address']}",
            "rerun_seconds": again["seconds"],
        },
    }


def hosts_have_the_phase(live: Live, ran: dict) -> None:
    """Every step's files are on its host as the directory has them (kubeconfigs aside: they
    are repointed for their host), and no host owes a restart."""
    wrong = []
    for step in ran["steps"]:
        host = HOSTS[step["address"]]
        for destination in step["files"]:
            got = live.cluster.lab.run(host, "sha256sum", destination).stdout.split(" ")[0]
            sources = [
                f["source"]
                for s in json.loads((live.work / f"plan-{ran['phase']}.json").read_text())["hosts"]
                if s["address"] == step["address"]
                for f in s["files"]
                if f["destination"] == destination
            ]
            source = sources[0] if sources else ""
            if source.endswith((".kubeconfig", ".conf")) or not source:
                continue
            want = hashlib.sha256((live.out / source).read_bytes()).hexdigest()
            if got != want:
                wrong.append(f"{host.name}:{destination}")
    assert not wrong, wrong
    for host in {HOSTS[s["address"]] for s in ran["steps"]}:
        owed = live.cluster.lab.run(
            host, "sh", "-c", "find /etc/kubernetes /etc/etcd -name .kcw-restart 2>/dev/null"
        ).stdout.split()
        assert not owed, (host.name, owed)


def test_a_rotation_killed_and_cut_off_resumes_and_ends_as_planned(kubeadm: Live, tmp_path) -> None:
    from tests.lab import test_rotate

    live = kubeadm
    seed = int(os.environ.get("KCW_LAB_SEED", str(time.time_ns() % 1_000_000)))
    print(f"seed {seed} (KCW_LAB_SEED={seed} replays the kill points)")
    rng = random.Random(seed)
    how = {"prepare": killed_at_random, "reissue": node_cut_off, "finalize": killed_at_random}
    old_admin = tmp_path / "old"
    old_admin.mkdir()
    for name in (live.names.admin_cert, live.names.admin_key):
        (old_admin / Path(name).name).write_bytes((live.out / name).read_bytes())

    def carry(live_: Live, plan: dict, kind: str) -> dict:
        test_rotate.ensure_deploy(live_)
        (live_.work / f"plan-{plan['phase']}.json").write_text(json.dumps(plan))
        return how[plan["phase"]](live_, plan, rng)

    report = test_rotate.rotate_live(live, "cluster", carry=carry)
    report["seed"] = seed
    print(json.dumps({k: v for k, v in report.items() if k != "cluster_steps"}, indent=2))
    # the old CA's admin certificate is refused by every apiserver at the end
    kubeconfig = client_kubeconfig(
        live.cluster.lab,
        tmp_path / "old-admin.kubeconfig",
        server=f"https://{VIP}:6443",
        ca=live.trust(),
        cert=old_admin / Path(live.names.admin_cert).name,
        key=old_admin / Path(live.names.admin_key).name,
    )
    for master in MASTERS:
        refused = live.cluster.kubectl(
            kubeconfig, "auth", "whoami", server=f"https://{master.address}:6443"
        )
        assert refused.returncode != 0 and "Unauthorized" in refused.stderr, master.name
    assert "system:masters" in live.cluster.whoami(live.admin)[1]
    assert_no_failed_request(report)
