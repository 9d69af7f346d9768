"""wizard.pki: keys, names, CSRs and certificates issued as cfssl issues them, checked with
openssl where it has something to say."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import need_tool
from wizard import pki
from wizard.pki.names import SHORT_NAMES, SUBJECT_OIDS, short_name


@pytest.fixture(scope="module")
def ca() -> tuple[x509.Certificate, pki.PrivateKey]:
    key = pki.new_private_key("ecdsa", 256)
    subject = pki.build_name({"C": "CN", "O": "k8s"}, "kubernetes")
    return pki.issue_ca(key, subject, timedelta(days=365)), key


def test_names_in_cfssls_order_and_string_types() -> None:
    name = pki.build_name({"OU": "System", "O": "k8s", "ST": "北京", "C": "CN", "L": ""}, "admin")
    assert [a.oid for a in name] == [
        NameOID.COUNTRY_NAME,
        NameOID.STATE_OR_PROVINCE_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.ORGANIZATIONAL_UNIT_NAME,
        NameOID.COMMON_NAME,
    ]
    types = {short_name(a.oid): a._type for a in name}
    assert types["ST"] is _ASN1Type.UTF8String  # not printable
    assert types["C"] is _ASN1Type.PrintableString and types["CN"] is _ASN1Type.PrintableString


def test_a_name_longer_than_64_characters_is_refused_with_its_length() -> None:
    with pytest.raises(pki.PKIError, match="is 65 characters — a name in a certificate holds 64"):
        pki.build_name({}, "x" * 65)


def test_short_names_cover_the_subject_fields() -> None:
    assert list(SUBJECT_OIDS) == ["C", "ST", "L", "O", "OU"]
    assert {SHORT_NAMES[oid] for oid in SUBJECT_OIDS.values()} == set(SUBJECT_OIDS)
    assert short_name(NameOID.COMMON_NAME) == "CN"
    assert short_name(x509.ObjectIdentifier("1.2.3.4")) == "1.2.3.4"


def test_sans_put_dns_names_before_addresses() -> None:
    sans = pki.san_extension(["10.0.0.1", "kubernetes", "::1", "localhost"])
    assert sans is not None
    assert [type(n).__name__ for n in sans] == ["DNSName", "DNSName", "IPAddress", "IPAddress"]
    assert pki.san_extension([]) is None


@pytest.mark.parametrize(
    ("algo", "size", "digest"),
    [("rsa", 2048, hashes.SHA256), ("rsa", 3072, hashes.SHA384), ("ecdsa", 384, hashes.SHA384)],
)
def test_the_hash_follows_the_signing_key(algo: str, size: int, digest: type) -> None:
    assert isinstance(pki.signature_hash(pki.new_private_key(algo, size)), digest)


def test_unknown_key_algorithm_is_named() -> None:
    with pytest.raises(pki.PKIError, match='"dsa" is not supported'):
        pki.new_private_key("dsa", 2048)


def test_serials_are_positive_and_below_2_159() -> None:
    for _ in range(50):
        serial = pki.random_serial()
        assert 0 < serial < 2**159


def test_not_before_rounds_to_the_minute_and_backdates_five() -> None:
    at = datetime(2026, 1, 1, 12, 0, 29, tzinfo=UTC)
    assert pki.not_before(at) == datetime(2026, 1, 1, 11, 55, tzinfo=UTC)
    at = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
    assert pki.not_before(at) == datetime(2026, 1, 1, 11, 56, tzinfo=UTC)


def test_a_ca_as_initca_makes_it(ca) -> None:
    certificate, key = ca
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest  # the root names itself
    assert pki.is_ca_certificate(certificate) and pki.key_matches_certificate(key, certificate)


def test_a_leaf_carries_the_profile_usages_and_verifies_with_openssl(ca, tmp_path: Path) -> None:
    ca_certificate, ca_key = ca
    key = pki.new_private_key("ecdsa", 256)
    csr = pki.build_csr(key, pki.build_name({"O": "k8s"}, "kubernetes"), ["127.0.0.1", "k8s"])
    leaf = pki.issue_leaf(
        csr, ("signing", "server auth", "client auth"), timedelta(days=30), ca_certificate, ca_key
    )
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_encipherment
    ekus = list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ekus == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert not pki.is_ca_certificate(leaf)
    # the leaf's subject equals the CA's in the guide: the AKI keeps openssl from calling it
    # self-signed (cfssl-compat.md §4)
    (tmp_path / "ca.pem").write_bytes(pki.certificate_pem(ca_certificate))
    (tmp_path / "leaf.pem").write_bytes(pki.certificate_pem(leaf))
    result = subprocess.run(
        [need_tool("openssl"), "verify", "-CAfile", "ca.pem", "leaf.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and "leaf.pem: OK" in result.stdout, result.stderr


def test_no_leaf_outlives_its_ca(ca) -> None:
    ca_certificate, ca_key = ca
    key = pki.new_private_key("ecdsa", 256)
    csr = pki.build_csr(key, pki.build_name({}, "x"), [])
    with pytest.raises(pki.PKIError, match="but its CA ends on .* shorten expiry.cert"):
        pki.issue_leaf(csr, ("signing",), timedelta(days=4000), ca_certificate, ca_key)


def test_private_keys_are_written_as_cfssljson_writes_them() -> None:
    assert pki.private_key_pem(pki.new_private_key("ecdsa", 256)).startswith(
        b"-----BEGIN EC PRIVATE KEY-----"
    )
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert pki.private_key_pem(rsa_key).startswith(b"-----BEGIN RSA PRIVATE KEY-----")


def test_bad_keys_are_named_with_the_fix() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(pki.PKIError, match=r"ca-key.pem: the key is encrypted — decrypt it"):
        pki.load_private_key(encrypted, "ca-key.pem")
    with pytest.raises(pki.PKIError, match="x.pem: not a PEM private key"):
        pki.load_private_key(b"hello", "x.pem")
    with pytest.raises(pki.PKIError, match="c.pem is not a PEM certificate"):
        pki.load_certificate(b"hello", "c.pem")


def test_a_damaged_rsa_key_is_caught_by_its_numbers() -> None:
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_numbers()
    assert pki.rsa_key_problem(numbers) == ""
    broken = rsa.RSAPrivateNumbers(
        numbers.p,
        numbers.q,
        numbers.d + 2,
        numbers.dmp1,
        numbers.dmq1,
        numbers.iqmp,
        numbers.public_numbers,
    )
    assert pki.rsa_key_problem(broken) == "d·e ≢ 1"
    swapped = rsa.RSAPrivateNumbers(
        numbers.p,
        numbers.q,
        numbers.d,
        numbers.dmp1,
        numbers.dmq1,
        numbers.iqmp + 1,
        numbers.public_numbers,
    )
    assert pki.rsa_key_problem(swapped) == "CRT coefficient does not match"


def test_the_crypto_primitives_load_nothing_above_them() -> None:
    import sys

    code = "import sys, wizard.pki; print(sorted(m for m in sys.modules if m.startswith('wizard')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (
        result.stdout.strip() == "['wizard', 'wizard.pki', 'wizard.pki.names', 'wizard.pki.usages']"
    )
