"""Loading private keys: fast, and a damaged RSA key is still refused (as openssl refuses it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import need_tool
from tests.der import integer, pem, seq
from wizard import pki
from wizard.review.model import KIND_DAMAGED, KIND_PRIVATE_KEY
from wizard.review.scan import scan_directory


@pytest.fixture(scope="module")
def rsa_numbers() -> rsa.RSAPrivateNumbers:
    return rsa.generate_private_key(65537, 2048).private_numbers()


def pkcs1(n: rsa.RSAPrivateNumbers, **changed: int) -> bytes:
    """A PKCS#1 RSA PRIVATE KEY PEM from the numbers, with some of them replaced."""
    values = {
        "n": n.public_numbers.n,
        "e": n.public_numbers.e,
        "d": n.d,
        "p": n.p,
        "q": n.q,
        "dmp1": n.dmp1,
        "dmq1": n.dmq1,
        "iqmp": n.iqmp,
    } | changed
    fields = [integer(0)] + [integer(values[k]) for k in ("n", "e", "d", "p", "q")]
    fields += [integer(values[k]) for k in ("dmp1", "dmq1", "iqmp")]
    return pem(seq(*fields), "RSA PRIVATE KEY")


DAMAGE = {
    "p·q ≠ n": lambda n: {"p": n.p + 2},
    "d·e ≢ 1": lambda n: {"d": n.d + 2},
    "CRT exponents do not match d": lambda n: {"dmp1": n.dmp1 ^ 2},
    "CRT coefficient does not match": lambda n: {"iqmp": n.iqmp ^ 2},
}


def test_a_sound_key_loads_and_has_no_problem(rsa_numbers: rsa.RSAPrivateNumbers) -> None:
    key = pki.load_private_key(pkcs1(rsa_numbers), "ca-key.pem")
    assert key.private_numbers() == rsa_numbers
    assert pki.rsa_key_problem(rsa_numbers) == ""


@pytest.mark.parametrize("problem", DAMAGE)
def test_a_damaged_rsa_key_is_refused_in_words(
    rsa_numbers: rsa.RSAPrivateNumbers, problem: str
) -> None:
    data = pkcs1(rsa_numbers, **DAMAGE[problem](rsa_numbers))
    with pytest.raises(pki.PKIError) as raised:
        pki.load_private_key(data, "ca-key.pem")
    assert str(raised.value) == (
        f"ca-key.pem: the RSA key is damaged ({problem}) — restore it from a backup"
    )


@pytest.mark.parametrize("problem", DAMAGE)
def test_openssl_refuses_what_we_refuse(
    tmp_path: Path, rsa_numbers: rsa.RSAPrivateNumbers, problem: str
) -> None:
    openssl = need_tool("openssl")
    damaged = tmp_path / "damaged.pem"
    damaged.write_bytes(pkcs1(rsa_numbers, **DAMAGE[problem](rsa_numbers)))
    sound = tmp_path / "sound.pem"
    sound.write_bytes(pkcs1(rsa_numbers))
    check = [openssl, "pkey", "-check", "-noout", "-in"]
    assert subprocess.run([*check, str(sound)], capture_output=True).returncode == 0
    assert subprocess.run([*check, str(damaged)], capture_output=True).returncode != 0


def test_review_reports_a_damaged_key_as_damaged(
    tmp_path: Path, rsa_numbers: rsa.RSAPrivateNumbers
) -> None:
    (tmp_path / "sound-key.pem").write_bytes(pkcs1(rsa_numbers))
    (tmp_path / "damaged-key.pem").write_bytes(pkcs1(rsa_numbers, d=rsa_numbers.d + 2))
    kinds = {record.path: record.kind for record in scan_directory(str(tmp_path)).records}
    assert kinds == {"sound-key.pem": KIND_PRIVATE_KEY, "damaged-key.pem": KIND_DAMAGED}
