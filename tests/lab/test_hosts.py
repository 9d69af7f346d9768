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
