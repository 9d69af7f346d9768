"""The errors as kubectl (Go's crypto/x509) really prints them: openssl s_server serves a broken
certificate, kubectl connects, and the doctor must name the file from kubectl's own words."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.doctor.test_doctor import foreign_ca, reissue
from wizard.doctor import ErrorKind, diagnose
from wizard.review import review_directory

pytestmark = pytest.mark.skipif(
    not (shutil.which("openssl") and shutil.which("kubectl")), reason="needs openssl and kubectl"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(cert: Path, key: Path) -> Iterator[int]:
    port = _free_port()
    server = subprocess.Popen(
        [
            "openssl",
            "s_server",
            "-quiet",
            "-accept",
            f"127.0.0.1:{port}",
            "-cert",
            str(cert),
            "-key",
            str(key),
            "-www",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port
    finally:
        server.kill()
        server.wait()


def kubectl_error(directory: Path, port: int, server_name: str = "") -> str:
    """kubectl's stderr when it dials 127.0.0.1:port (as `server_name` when given)."""
    named = [f"--tls-server-name={server_name}"] if server_name else []
    result = subprocess.run(
        [
            "kubectl",
            f"--server=https://127.0.0.1:{port}",
            *named,
            f"--certificate-authority={directory / 'ca.pem'}",
            "--request-timeout=10s",
            "--token=not-a-secret",
            "get",
            "--raw",
            "/version",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(directory)},
    )
    assert result.returncode != 0
    return result.stderr


# (id, the error kubectl must print, the break, the name kubectl dials as: Go checks IP SANs
# when dialling an address, so the legacy-CN error only shows for a host name)
BREAKS: list[tuple[str, ErrorKind, Callable[[Path], None], str]] = [
    (
        "expired",
        ErrorKind.EXPIRED,
        lambda d: reissue(d, "kubernetes", end=datetime.now(UTC) - timedelta(days=2)),
        "",
    ),
    (
        "another CA",
        ErrorKind.UNKNOWN_AUTHORITY,
        lambda d: reissue(d, "kubernetes", ca=foreign_ca()),
        "",
    ),
    (
        "no 127.0.0.1",
        ErrorKind.WRONG_NAME,
        lambda d: reissue(d, "kubernetes", hosts=["kubernetes", "10.0.0.1"]),
        "",
    ),
    (
        "no IP SANs",
        ErrorKind.NO_IP_SANS,
        lambda d: reissue(d, "kubernetes", hosts=["kubernetes", "kubernetes.default"]),
        "",
    ),
    ("no SANs, by address", ErrorKind.NO_IP_SANS, lambda d: reissue(d, "kubernetes", hosts=[]), ""),
    (
        "no SANs, by name",
        ErrorKind.LEGACY_CN,
        lambda d: reissue(d, "kubernetes", hosts=[]),
        "kubernetes",
    ),
]


@pytest.mark.parametrize(
    ("name", "kind", "breaks", "server_name"), BREAKS, ids=[b[0] for b in BREAKS]
)
def test_kubectl_words_lead_to_the_file(
    name: str,
    kind: ErrorKind,
    breaks: Callable[[Path], None],
    server_name: str,
    pristine: Path,
    tmp_path: Path,
) -> None:
    directory = tmp_path / "certs"
    shutil.copytree(pristine, directory)
    breaks(directory)
    with serving(directory / "kubernetes.pem", directory / "kubernetes-key.pem") as port:
        text = kubectl_error(directory, port, server_name)
    diagnoses = diagnose(text, [review_directory(directory)])
    assert diagnoses, text
    assert diagnoses[0].kind is kind, text
    assert [Path(m.path).name for m in diagnoses[0].matches] == ["kubernetes.pem"], text
    assert "--only kubernetes.pem" in "\n".join(diagnoses[0].fix), diagnoses[0].fix
