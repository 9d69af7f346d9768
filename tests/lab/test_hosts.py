"""The lab's hosts themselves: own addresses, own /etc/kubernetes, SSH from the jump host."""

from __future__ import annotations

import time

import pytest

from tests.lab.netlab import ALL_HOSTS, JUMP, LB, Lab

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


def test_every_host_answers_ssh_from_the_jump_host_as_itself(lab: Lab) -> None:
    for host in ALL_HOSTS:
        if host == JUMP:
            continue
        result = None
        for _ in range(20):  # sshd may still be starting
            result = lab.ssh(host, "hostname; ip -o -4 addr show dev eth0")
            if result.returncode == 0:
                break
            time.sleep(0.5)
        assert result is not None and result.returncode == 0, (
            f"{host.name}: ssh root@{host.address}: {result.stderr if result else ''}"
        )
        name, address_line = result.stdout.splitlines()[:2]
        assert name == host.name and f" {host.address}/24 " in address_line, result.stdout


def test_each_host_has_its_own_etc_kubernetes(lab: Lab) -> None:
    lab.write(LB, "/etc/kubernetes/only-on-lb", "lb\n")
    try:
        assert lab.read(LB, "/etc/kubernetes/only-on-lb") == "lb\n"
        for host in ALL_HOSTS:
            if host != LB:
                assert lab.run(host, "test", "-e", "/etc/kubernetes/only-on-lb").returncode == 1
    finally:
        lab.run(LB, "rm", "-f", "/etc/kubernetes/only-on-lb")


FLEET_SCRIPT = """
import json, sys
from wizard.deploy import DeploySettings
from wizard.fleet.ssh import SshClient, targets_of, for_each_host
hosts = json.loads(sys.argv[1])
settings = DeploySettings(ssh_config=sys.argv[2], parallel=3)
targets = targets_of([(a, n) for a, n in hosts], settings)
client = SshClient(settings)
try:
    def work(target):
        result = client.run(target, "hostname; cat", stdin=b"from-jump\\n", timeout=20)
        return [result.stdout.decode(), result.unreachable]
    outcomes = for_each_host(targets, work, parallel=3)
    outcomes = [(o.target.address, o.result, o.error) for o in outcomes]
    again = client.run(targets[0], "echo again").stdout.decode()
finally:
    client.close(targets)
print(json.dumps({"outcomes": outcomes, "again": again}))
"""


def test_the_fleet_client_reaches_every_host_through_the_operators_ssh_config(lab: Lab) -> None:
    import json
    import sys

    from tests.lab.cluster import REPO

    hosts = [(h.address, h.name) for h in ALL_HOSTS if h != JUMP]
    hosts.append(("10.244.77.99", "nobody"))  # no such host: reported, not raised
    result = lab.run(
        JUMP, sys.executable, "-c", FLEET_SCRIPT, json.dumps(hosts), str(lab.ssh_config),
        cwd=REPO, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    by_address = {address: (out, error) for address, out, error in report["outcomes"]}
    for host in ALL_HOSTS:
        if host != JUMP:
            assert by_address[host.address] == ([f"{host.name}\nfrom-jump\n", False], "")
    assert by_address["10.244.77.99"] == (["", True], "")  # ssh's 255: reported as unreachable
    assert report["again"] == "again\n"
