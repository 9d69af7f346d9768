"""openssl verifies our chains and purposes — including the guide's CA/leaf with one subject."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import need_tool

pytestmark = pytest.mark.interop


def verify(directory: Path, stem: str, purpose: str) -> subprocess.CompletedProcess[str]:
    openssl = need_tool("openssl")
    return subprocess.run(
        [
            openssl,
            "verify",
            "-CAfile",
            str(directory / "ca.pem"),
            "-purpose",
            purpose,
            str(directory / f"{stem}.pem"),
        ],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("fixture", ["classic_set", "ecdsa_set"])
def test_purposes_verify(request: pytest.FixtureRequest, fixture: str) -> None:
    directory = request.getfixturevalue(fixture)
    for stem, purpose in (
        ("kubernetes", "sslserver"),
        ("kubernetes", "sslclient"),
        ("admin", "sslclient"),
        ("kube-proxy", "sslclient"),
    ):
        result = verify(directory, stem, purpose)
        assert result.returncode == 0 and result.stdout.strip().endswith(": OK"), (
            stem,
            purpose,
            result.stdout,
            result.stderr,
        )


def test_the_root_verifies_itself(classic_set: Path) -> None:
    assert verify(classic_set, "ca", "any").returncode == 0


def test_keys_match_their_certificates_for_openssl(classic_set: Path) -> None:
    openssl = need_tool("openssl")
    for stem in ("ca", "kubernetes", "admin", "kube-proxy"):
        from_cert = subprocess.run(
            [openssl, "x509", "-noout", "-pubkey", "-in", str(classic_set / f"{stem}.pem")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        from_key = subprocess.run(
            [openssl, "pkey", "-pubout", "-in", str(classic_set / f"{stem}-key.pem")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert from_cert == from_key, stem


def test_openssl_reads_our_csrs(classic_set: Path) -> None:
    openssl = need_tool("openssl")
    result = subprocess.run(
        [openssl, "req", "-in", str(classic_set / "kubernetes.csr"), "-noout", "-verify", "-text"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "IP Address:10.254.0.1" in result.stdout
