"""A three-member etcd on 127.0.0.1 with the kubeadm profile's per-member server and peer
certificates elects a leader; etcdctl with apiserver-etcd-client reads and writes."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import need_tool
from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files

pytestmark = pytest.mark.interop


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for probe in sockets:
        probe.bind(("127.0.0.1", 0))
    ports = [probe.getsockname()[1] for probe in sockets]
    for probe in sockets:
        probe.close()
    return ports


def etcdctl(pki: Path, endpoints: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            need_tool("etcdctl"),
            f"--endpoints={endpoints}",
            f"--cacert={pki / 'etcd/ca.crt'}",
            f"--cert={pki / 'apiserver-etcd-client.crt'}",
            f"--key={pki / 'apiserver-etcd-client.key'}",
            "--dial-timeout=5s",
            "--command-timeout=10s",
            *args,
        ],
        capture_output=True,
        text=True,
        env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def test_three_member_etcd_with_kubeadm_certificates(tmp_path: Path) -> None:
    binary = need_tool("etcd")
    need_tool("etcdctl")
    spec = ClusterSpec.example()
    spec.profile = "kubeadm"
    spec.key.algo, spec.key.size = "ecdsa", 256
    out = tmp_path / "out"
    write_files(out, generate_files(spec))
    pki = out / "pki"
    ports = free_ports(6)
    members = [f"etcd-{i}" for i in (1, 2, 3)]
    clients = {m: f"https://127.0.0.1:{ports[i]}" for i, m in enumerate(members)}
    peers = {m: f"https://127.0.0.1:{ports[i + 3]}" for i, m in enumerate(members)}
    initial = ",".join(f"{m}={peers[m]}" for m in members)
    processes = []
    logs = []
    try:
        for member in members:
            member_pki = pki / "etcd" / member
            log = (tmp_path / f"{member}.log").open("w")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [
                        binary,
                        f"--name={member}",
                        f"--data-dir={tmp_path / member}",
                        f"--listen-client-urls={clients[member]}",
                        f"--advertise-client-urls={clients[member]}",
                        f"--listen-peer-urls={peers[member]}",
                        f"--initial-advertise-peer-urls={peers[member]}",
                        f"--initial-cluster={initial}",
                        "--initial-cluster-state=new",
                        f"--cert-file={member_pki / 'server.crt'}",
                        f"--key-file={member_pki / 'server.key'}",
                        f"--trusted-ca-file={pki / 'etcd/ca.crt'}",
                        "--client-cert-auth",
                        f"--peer-cert-file={member_pki / 'peer.crt'}",
                        f"--peer-key-file={member_pki / 'peer.key'}",
                        f"--peer-trusted-ca-file={pki / 'etcd/ca.crt'}",
                        "--peer-client-cert-auth",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        endpoints = ",".join(clients.values())
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            result = etcdctl(pki, endpoints, "endpoint", "status", "-w", "json")
            if result.returncode == 0:
                status = json.loads(result.stdout)
                leaders = {s["Status"]["leader"] for s in status}
                if len(status) == 3 and len(leaders) == 1 and 0 not in leaders:
                    break
            time.sleep(0.5)
        else:
            tails = "\n".join((tmp_path / f"{m}.log").read_text()[-1500:] for m in members)
            pytest.fail(f"no leader elected:\n{tails}")
        put = etcdctl(pki, endpoints, "put", "/k8s-cert-wizard/kubeadm", "three members")
        assert put.returncode == 0, put.stderr
        got = etcdctl(
            pki, clients["etcd-3"], "get", "/k8s-cert-wizard/kubeadm", "--print-value-only"
        )
        assert got.stdout.strip() == "three members", got.stderr
        members_list = etcdctl(pki, endpoints, "member", "list", "-w", "json")
        assert len(json.loads(members_list.stdout)["members"]) == 3
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
