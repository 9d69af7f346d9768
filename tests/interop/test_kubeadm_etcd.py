"""A three-member etcd on 127.0.0.1 with the kubeadm profile's per-member server and peer
certificates elects a leader; etcdctl with apiserver-etcd-client reads and writes."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import need_tool
from tests.interop.etcd_process import TLSFiles, etcdctl, free_ports, member_command, stop
from wizard.generate import generate_files
from wizard.spec import ClusterSpec
from wizard.store import write_files

pytestmark = pytest.mark.interop


def test_three_member_etcd_with_kubeadm_certificates(tmp_path: Path) -> None:
    need_tool("etcd")
    need_tool("etcdctl")
    spec = ClusterSpec.example()
    spec.profile = "kubeadm"
    spec.key.algo, spec.key.size = "ecdsa", 256
    out = tmp_path / "out"
    write_files(out, generate_files(spec))
    pki = out / "pki"
    etcd_ca = pki / "etcd/ca.crt"
    client = TLSFiles(etcd_ca, pki / "apiserver-etcd-client.crt", pki / "apiserver-etcd-client.key")
    ports = free_ports(6)
    members = [f"etcd-{i}" for i in (1, 2, 3)]
    clients = {m: f"https://127.0.0.1:{ports[i]}" for i, m in enumerate(members)}
    peers = {m: f"https://127.0.0.1:{ports[i + 3]}" for i, m in enumerate(members)}
    initial = ",".join(f"{m}={peers[m]}" for m in members)
    processes = []
    logs = []
    try:
        for member in members:
            own = pki / "etcd" / member
            server = TLSFiles(etcd_ca, own / "server.crt", own / "server.key")
            peer = TLSFiles(etcd_ca, own / "peer.crt", own / "peer.key")
            log = (tmp_path / f"{member}.log").open("w")
            logs.append(log)
            command = member_command(
                member, tmp_path / member, clients[member], peers[member], initial, server, peer
            )
            processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
        endpoints = ",".join(clients.values())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            result = etcdctl(client, endpoints, "endpoint", "status", "-w", "json")
            if result.returncode == 0:
                status = json.loads(result.stdout)
                leaders = {s["Status"]["leader"] for s in status}
                if len(status) == 3 and len(leaders) == 1 and 0 not in leaders:
                    break
            time.sleep(0.5)
        else:
            tails = "\n".join((tmp_path / f"{m}.log").read_text()[-1500:] for m in members)
            pytest.fail(f"no leader elected:\n{tails}")
        put = etcdctl(client, endpoints, "put", "/k8s-cert-wizard/kubeadm", "three members")
        assert put.returncode == 0, put.stderr
        got = etcdctl(
            client, clients["etcd-3"], "get", "/k8s-cert-wizard/kubeadm", "--print-value-only"
        )
        assert got.stdout.strip() == "three members", got.stderr
        members_list = etcdctl(client, endpoints, "member", "list", "-w", "json")
        assert len(json.loads(members_list.stdout)["members"]) == 3
    finally:
        for process in processes:
            stop(process)
        for log in logs:
            log.close()
