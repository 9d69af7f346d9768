"""wizard.certdetails: what a certificate says, checked against openssl's reading of it."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import need_tool
from wizard import pki
from wizard.certdetails import (
    describe_certificate,
    ext_key_usage_words,
    identity_of,
    key_usage_words,
    name_fields,
    signature_algorithm_name,
    signed_by,
)

# openssl's names for the key usage bits and EKUs, and our words for them
OPENSSL_WORDS = {
    "Digital Signature": "digital signature",
    "Non Repudiation": "content commitment",
    "Key Encipherment": "key encipherment",
    "Data Encipherment": "data encipherment",
    "Key Agreement": "key agreement",
    "Certificate Sign": "cert sign",
    "CRL Sign": "crl sign",
    "Encipher Only": "encipher only",
    "Decipher Only": "decipher only",
    "TLS Web Server Authentication": "server auth",
    "TLS Web Client Authentication": "client auth",
    "Code Signing": "code signing",
    "E-mail Protection": "email protection",
    "Time Stamping": "timestamping",
    "OCSP Signing": "ocsp signing",
    "Any Extended Key Usage": "any",
}


def _openssl_words(path: Path) -> list[str]:
    text = subprocess.run(
        [need_tool("openssl"), "x509", "-noout", "-ext", "keyUsage,extendedKeyUsage", "-in", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line.strip() for line in text.splitlines() if line.startswith("    ")]
    return [OPENSSL_WORDS[word.strip()] for line in lines for word in line.split(",")]


def _self_signed(
    key_usage: x509.KeyUsage, ekus: list[x509.ObjectIdentifier], subject: x509.Name
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=10))
        .add_extension(key_usage, critical=True)
    )
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    return builder.sign(key, hashes.SHA256())


KEY_USAGES = [
    dict(digital_signature=True, key_encipherment=True),
    dict(content_commitment=True, data_encipherment=True, key_cert_sign=True, crl_sign=True),
    dict(key_agreement=True, encipher_only=True),
    dict(key_agreement=True, decipher_only=True, digital_signature=True),
]


@pytest.mark.parametrize("bits", KEY_USAGES, ids=lambda b: "+".join(sorted(b)))
def test_usage_words_match_openssl(bits: dict[str, bool], tmp_path: Path) -> None:
    flags = {
        name: bits.get(name, False)
        for name in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        )
    }
    ekus = [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CODE_SIGNING]
    certificate = _self_signed(x509.KeyUsage(**flags), ekus, x509.Name([]))
    path = tmp_path / "c.pem"
    path.write_bytes(pki.certificate_pem(certificate))
    ours = key_usage_words(certificate) + ext_key_usage_words(certificate)
    assert ours == _openssl_words(path)


def test_name_fields_use_short_labels_and_join_repeats(tmp_path: Path) -> None:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "k8s"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@b"),
            x509.NameAttribute(x509.ObjectIdentifier("1.2.3.4"), "odd"),
            x509.NameAttribute(NameOID.COMMON_NAME, "admin"),
        ]
    )
    assert name_fields(subject) == {
        "C": "CN",
        "O": "system:masters, k8s",
        "emailAddress": "a@b",
        "1.2.3.4": "odd",
        "CN": "admin",
    }


def test_the_guides_set_described(classic_set: Path) -> None:
    ca = x509.load_pem_x509_certificate((classic_set / "ca.pem").read_bytes())
    admin = x509.load_pem_x509_certificate((classic_set / "admin.pem").read_bytes())
    key = pki.load_private_key((classic_set / "admin-key.pem").read_bytes(), "admin-key.pem")
    details = describe_certificate(admin, issuer=ca, key=key)
    assert details.subject["CN"] == "admin" and details.subject["O"] == "system:masters"
    assert details.issuer == name_fields(ca.subject)
    assert details.chain_ok and details.key_matches and not details.is_ca
    assert details.key_usage == ["digital signature", "key encipherment"]
    assert details.ext_key_usage == ["server auth", "client auth"]
    assert details.sigalg == "SHA256-RSA" and (details.key_type, details.key_size) == ("RSA", 2048)
    assert details.status == "valid" and not details.self_signed
    assert details.identity.user == "admin" and details.identity.groups == ("system:masters",)
    assert any("cluster-admin" in grant for grant in details.identity.grants)
    other = describe_certificate(admin, issuer=admin, key=pki.new_private_key("ecdsa", 256))
    assert other.chain_ok is False and other.key_matches is False
    root = describe_certificate(ca)
    assert root.self_signed and root.chain_ok and root.is_ca and root.ski == root.aki
    assert signed_by(admin, ca) and not signed_by(ca, admin)


def test_serial_and_dates_agree_with_openssl(classic_set: Path) -> None:
    path = classic_set / "kubernetes.pem"
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    text = subprocess.run(
        [need_tool("openssl"), "x509", "-noout", "-serial", "-enddate", "-in", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    serial = re.search(r"serial=([0-9A-F]+)", text).group(1)
    assert int(serial, 16) == describe_certificate(certificate).serial
    end = datetime.strptime(re.search(r"notAfter=(.*)", text).group(1), "%b %d %H:%M:%S %Y %Z")
    assert end.replace(tzinfo=UTC) == describe_certificate(certificate).not_after


def test_status_expiring_and_expired() -> None:
    certificate = _self_signed(
        x509.KeyUsage(True, False, False, False, False, False, False, False, False),
        [],
        x509.Name([]),
    )
    now = datetime.now(UTC)
    assert describe_certificate(certificate, now=now).status == "expiring"  # 10 days left
    assert describe_certificate(certificate, now=now + timedelta(days=11)).status == "expired"
    assert describe_certificate(certificate, now=now - timedelta(days=2)).status == "not yet valid"
    assert signature_algorithm_name(certificate) == "ECDSA-SHA256"


def test_a_node_name_without_its_group_is_called_out() -> None:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "system:node:n1")])
    certificate = _self_signed(
        x509.KeyUsage(True, False, False, False, False, False, False, False, False), [], subject
    )
    identity = identity_of(certificate, "from the catalogue")
    assert identity.grants[0] == "from the catalogue"
    assert "the Node authorizer ignores it" in identity.grants[-1]
