"""Running a real etcd on 127.0.0.1 for the interop tests, and talking to it with etcdctl."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import need_tool


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 right now (held together so they differ)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@dataclass(frozen=True)
class TLSFiles:
    """The CA, certificate and key a member serves or a client presents."""

    ca: Path
    cert: Path
    key: Path


def etcdctl(client: TLSFiles, endpoints: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run etcdctl (API v3) against the endpoints with a client certificate."""
    return subprocess.run(
        [
            need_tool("etcdctl"),
            f"--endpoints={endpoints}",
            f"--cacert={client.ca}",
            f"--cert={client.cert}",
            f"--key={client.key}",
            "--dial-timeout=5s",
            "--command-timeout=10s",
            *args,
        ],
        capture_output=True,
        text=True,
        env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def member_command(
    name: str,
    data: Path,
    client_url: str,
    peer_url: str,
    cluster: str,
    server: TLSFiles,
    peer: TLSFiles,
    *,
    binary: str | None = None,
    http_url: str | None = None,
) -> list[str]:
    """The etcd command line of one member with client and peer TLS, certificates required.

    `binary` defaults to the etcd on PATH; `http_url` (etcd ≥ 3.5) gives HTTP its own port so
    the client port serves gRPC alone and drains it on stop.
    """
    return [
        binary or need_tool("etcd"),
        f"--name={name}",
        f"--data-dir={data}",
        f"--listen-client-urls={client_url}",
        *([f"--listen-client-http-urls={http_url}"] if http_url else []),
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster={cluster}",
        "--initial-cluster-state=new",
        f"--cert-file={server.cert}",
        f"--key-file={server.key}",
        f"--trusted-ca-file={server.ca}",
        "--client-cert-auth",
        f"--peer-cert-file={peer.cert}",
        f"--peer-key-file={peer.key}",
        f"--peer-trusted-ca-file={peer.ca}",
        "--peer-client-cert-auth",
    ]


@contextmanager
def single_member(
    files: TLSFiles, work: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    """One etcd member serving and peering with `files`, healthy; yields (process, endpoint,
    client port) and stops it afterwards."""
    need_tool("etcdctl")
    client, peer = free_ports(2)
    endpoint, peer_url = f"https://127.0.0.1:{client}", f"https://127.0.0.1:{peer}"
    log_path = work / "etcd.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            member_command("m1", work / "data", endpoint, peer_url, f"m1={peer_url}", files, files),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while etcdctl(files, endpoint, "endpoint", "health").returncode != 0:
                if process.poll() is not None:
                    pytest.fail(f"etcd exited:\n{log_path.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    pytest.fail(f"etcd did not become healthy:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.3)
            yield process, endpoint, client
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate an etcd, killing it if it does not stop within ten seconds."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


LEADER_HAND_OVER = (
    "DeadlineExceeded",
    "context deadline exceeded",
    "etcdserver: request timed out",
)
"""How a Put lost at an etcd leader hand-over ends (tests/lab/FINDINGS.md, 7 and 13): raft drops a
proposal that reaches the leader while it transfers leadership, and a follower's forwarded
proposal is never answered, so a deadline ends it — the client's (`context deadline exceeded`)
or, a moment earlier, the member's own with the client's deadline (etcdserver
`parseProposeCtxErr`): `etcdserver: request timed out, possibly due to previous leader failure`
on the member just elected, plain `etcdserver: request timed out` on any other (only a member
that becomes leader records when it was elected). Never a stop, TLS or trust error."""

NOT_HAND_OVER = ("connection lost",)
"""`etcdserver: request timed out, possibly due to connection lost`: the member lost its link to
the current leader — not a hand-over."""

LEADER_HAND_OVER_PER_MILLE = 1
"""Requests per thousand that may end that way in any client loop (at least one per loop)."""


def lost_at_hand_over(failure: str) -> bool:
    """Whether one failure reads as a Put lost at a leader hand-over."""
    return any(mark in failure for mark in LEADER_HAND_OVER) and not any(
        mark in failure for mark in NOT_HAND_OVER
    )


def leader_hand_over_only(failures: list[str], requests: int, failed: int | None = None) -> bool:
    """Whether `failed` failures (default: those given; the texts may be the first few only)
    of `requests` are only the rare Puts lost at a leader hand-over."""
    allowed = max(1, requests * LEADER_HAND_OVER_PER_MILLE // 1000)
    return (len(failures) if failed is None else failed) <= allowed and all(
        lost_at_hand_over(failure) for failure in failures
    )
