"""certinfo on what is not a certificate: cfssl-certinfo's exact line, then a note saying what
the file holds and which certificate lies beside it (issue 12)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.cli import main

ROOT = Path(__file__).resolve().parent.parent


def certinfo(tool: list[str], argument: str, cwd: Path, stdin: bytes = b"") -> tuple[int, str]:
    done = subprocess.run(
        [*tool, "-cert", argument], cwd=cwd, input=stdin, capture_output=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "PYTHONPATH": str(ROOT)}, timeout=60,
    )  # fmt: skip
    assert done.stdout == b""
    return done.returncode, done.stderr.decode()


OURS = [sys.executable, "-m", "wizard", "certinfo"]


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("set")
    assert main(["init", "-o", str(directory / "cluster.toml")]) == 0
    assert main(["generate", "-c", str(directory / "cluster.toml"), "-o", str(directory)]) == 0
    (directory / "lone-key.pem").write_bytes((directory / "admin-key.pem").read_bytes())
    return directory


@pytest.mark.parametrize(
    ("name", "note"),
    [
        (
            "ca-key.pem",
            "note: ca-key.pem holds a private key (RSA PRIVATE KEY), not a certificate — "
            "try certinfo -cert ca.pem",
        ),
        (
            "admin.csr",
            "note: admin.csr holds a certificate request (CERTIFICATE REQUEST), not a "
            "certificate — try certinfo -cert admin.pem",
        ),
        (
            "lone-key.pem",
            "note: lone-key.pem holds a private key (RSA PRIVATE KEY), not a certificate",
        ),
    ],
)
def test_a_key_or_csr_gets_cfssls_line_then_a_note(cert_dir: Path, name: str, note: str) -> None:
    code, stderr = certinfo(OURS, name, cert_dir)
    assert code == 1 and "Traceback" not in stderr
    cfssl_line = '{"code":1003,"message":"Failed to parse certificate"}\n'
    assert stderr == cfssl_line + note + "\n"
    if shutil.which("cfssl-certinfo"):  # the first line is cfssl's, byte for byte
        assert certinfo(["cfssl-certinfo"], name, cert_dir)[1] == cfssl_line


def test_a_key_on_stdin_names_no_file(cert_dir: Path) -> None:
    key = (cert_dir / "ca-key.pem").read_bytes()
    code, stderr = certinfo(OURS, "-", cert_dir, stdin=key)
    assert code == 1
    assert stderr.splitlines()[1] == (
        "note: standard input holds a private key (RSA PRIVATE KEY), not a certificate"
    )


def test_a_damaged_certificate_gets_cfssls_line_alone(cert_dir: Path) -> None:
    (cert_dir / "cut.pem").write_bytes((cert_dir / "ca.pem").read_bytes()[:200])
    code, stderr = certinfo(OURS, "cut.pem", cert_dir)
    assert code == 1 and len(stderr.splitlines()) == 1
    if shutil.which("cfssl-certinfo"):
        assert certinfo(["cfssl-certinfo"], "cut.pem", cert_dir)[1] == stderr
