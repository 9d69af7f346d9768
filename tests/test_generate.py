"""Issuance follows cfssl's rules (minus its bugs), and generate reuses an existing CA."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wizard import pki
from wizard.certdetails import authority_key_id, signed_by, subject_key_id
from wizard.generate import (
    Cancelled,
    GenerationError,
    Progress,
    files_to_replace,
    generate_files,
    load_existing_ca,
)
from wizard.spec import ClusterSpec
from wizard.store import write_files

STEMS = ("ca", "kubernetes", "admin", "kube-proxy")


def cert(directory: Path, stem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((directory / f"{stem}.pem").read_bytes())


def test_every_key_matches_its_certificate_and_ca_signs_all(classic_set: Path) -> None:
    ca = cert(classic_set, "ca")
    for stem in STEMS:
        key = pki.load_private_key((classic_set / f"{stem}-key.pem").read_bytes(), stem)
        certificate = cert(classic_set, stem)
        assert pki.key_matches_certificate(key, certificate)
        assert signed_by(certificate, ca)
        assert authority_key_id(certificate) == subject_key_id(ca)  # the root too


def test_cfssl_serials_dates_and_hash(classic_set: Path) -> None:
    for stem in STEMS:
        certificate = cert(classic_set, stem)
        assert 0 < certificate.serial_number < 2**159
        start = certificate.not_valid_before_utc
        assert start.second == 0
        assert certificate.not_valid_after_utc - start == timedelta(hours=87600)
        assert isinstance(certificate.signature_hash_algorithm, hashes.SHA256)
        ski = x509.SubjectKeyIdentifier.from_public_key(certificate.public_key())
        assert subject_key_id(certificate) == ski.digest


def test_not_before_is_rounded_and_backdated() -> None:
    assert pki.not_before(datetime(2026, 1, 1, 12, 0, 29, tzinfo=UTC)) == datetime(
        2026, 1, 1, 11, 55, tzinfo=UTC
    )
    assert pki.not_before(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)) == datetime(
        2026, 1, 1, 11, 56, tzinfo=UTC
    )


def test_extensions_in_cfssls_order_and_criticality(classic_set: Path) -> None:
    leaf = cert(classic_set, "kubernetes")
    assert [type(e.value).__name__ for e in leaf.extensions] == [
        "KeyUsage",
        "ExtendedKeyUsage",
        "BasicConstraints",
        "SubjectKeyIdentifier",
        "AuthorityKeyIdentifier",
        "SubjectAlternativeName",
    ]
    assert [e.critical for e in leaf.extensions] == [True, False, True, False, False, False]
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and not usage.key_cert_sign
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
    ]
    ca = cert(classic_set, "ca")
    ca_usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ca_usage.key_cert_sign and ca_usage.crl_sign and not ca_usage.digital_signature
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_subject_order_and_string_types(classic_set: Path) -> None:
    admin = cert(classic_set, "admin")
    assert [a.oid for a in admin.subject] == [
        NameOID.COUNTRY_NAME,
        NameOID.STATE_OR_PROVINCE_NAME,
        NameOID.LOCALITY_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.ORGANIZATIONAL_UNIT_NAME,
        NameOID.COMMON_NAME,
    ]
    assert (
        admin.subject.rfc4514_string()
        == "CN=admin,OU=System,O=system:masters,L=BeiJing,ST=BeiJing,C=CN"
    )
    assert all(a._type.name == "PrintableString" for a in admin.subject)


def test_sans_dns_first_then_ips(classic_set: Path) -> None:
    sans = (
        cert(classic_set, "kubernetes")
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    kinds = [type(n).__name__ for n in sans]
    assert kinds == sorted(kinds, key=lambda k: k != "DNSName")
    assert "192.168.214.1/24" not in sans.get_values_for_type(x509.DNSName)
    assert str(sans.get_values_for_type(x509.IPAddress)[7]) == "10.254.0.1"


def test_keys_are_pkcs1_and_modes(classic_set: Path) -> None:
    assert (classic_set / "ca-key.pem").read_bytes().startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert stat.S_IMODE(classic_set.stat().st_mode) == 0o700
    for path in classic_set.iterdir():
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o600 if path.name.endswith("-key.pem") else 0o644), path.name


def test_ecdsa_set(ecdsa_set: Path) -> None:
    assert (ecdsa_set / "admin-key.pem").read_bytes().startswith(b"-----BEGIN EC PRIVATE KEY-----")
    leaf = cert(ecdsa_set, "kubernetes")
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert not leaf.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA256)


@pytest.mark.parametrize(
    ("algo", "size", "digest"), [("rsa", 3072, hashes.SHA384), ("ecdsa", 384, hashes.SHA384)]
)
def test_hash_follows_the_ca_key(algo: str, size: int, digest: type) -> None:
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = algo, size
    files = {f.path: f.content for f in generate_files(spec)}
    leaf = x509.load_pem_x509_certificate(files["admin.pem"])
    assert isinstance(leaf.signature_hash_algorithm, digest)


def test_rsa_4096_signs_with_sha512() -> None:
    key = rsa.generate_private_key(65537, 4096)
    assert isinstance(pki.signature_hash(key), hashes.SHA512)


def test_progress_is_reported_and_cancel_stops(example_spec: ClusterSpec) -> None:
    events: list[Progress] = []
    generate_files(example_spec, progress=events.append)
    assert [e.done for e in events] == list(range(1, events[-1].total + 1))
    import threading

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        generate_files(example_spec, cancel=cancel)


def test_existing_ca_is_reused_byte_for_byte(tmp_path: Path, example_spec: ClusterSpec) -> None:
    out = tmp_path / "certs"
    write_files(out, generate_files(example_spec))
    before = {n: (out / n).read_bytes() for n in ("ca.pem", "ca-key.pem", "ca.csr", "ca-csr.json")}
    example_spec.hosts.masters.append("192.168.214.203")
    ca = load_existing_ca(out)
    assert ca is not None
    replaced = files_to_replace(example_spec, out, ca)
    assert "ca.pem" not in replaced and "kubernetes.pem" in replaced
    result = write_files(out, generate_files(example_spec, ca), force=True)
    for name, content in before.items():
        assert (out / name).read_bytes() == content
    leaf = cert(out, "kubernetes")
    assert signed_by(leaf, cert(out, "ca"))
    ips = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "192.168.214.203" in [str(a) for a in ips.get_values_for_type(x509.IPAddress)]
    assert result.backup is not None and (result.backup / "kubernetes.pem").exists()


def test_half_a_ca_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    with pytest.raises(GenerationError, match="ca-key.pem is not"):
        load_existing_ca(tmp_path)


def test_mismatched_ca_key_is_refused(tmp_path: Path, classic_set: Path) -> None:
    (tmp_path / "ca.pem").write_bytes((classic_set / "ca.pem").read_bytes())
    (tmp_path / "ca-key.pem").write_bytes((classic_set / "admin-key.pem").read_bytes())
    with pytest.raises(GenerationError, match="does not belong"):
        load_existing_ca(tmp_path)


def test_a_leaf_never_outlives_a_reused_ca(tmp_path: Path, example_spec: ClusterSpec) -> None:
    example_spec.expiry.ca = example_spec.expiry.cert = "48h"
    write_files(tmp_path / "c", generate_files(example_spec))
    example_spec.expiry.ca = example_spec.expiry.cert = "87600h"
    ca = load_existing_ca(tmp_path / "c")
    files = {f.path: f.content for f in generate_files(example_spec, ca)}
    for stem in ("kubernetes", "admin", "kube-proxy"):
        leaf = x509.load_pem_x509_certificate(files[f"{stem}.pem"])
        assert leaf.not_valid_after_utc == ca.certificate.not_valid_after_utc


def test_reusing_a_ca_made_minutes_ago_keeps_the_full_lifetime_capped_at_the_ca(
    tmp_path: Path, example_spec: ClusterSpec
) -> None:
    made = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    write_files(tmp_path / "c", generate_files(example_spec, now=made))
    ca = load_existing_ca(tmp_path / "c")
    later = generate_files(example_spec, ca, now=made + timedelta(minutes=10))
    leaf = x509.load_pem_x509_certificate({f.path: f.content for f in later}["admin.pem"])
    assert leaf.not_valid_after_utc == ca.certificate.not_valid_after_utc
    assert leaf.not_valid_before_utc == datetime(2026, 1, 1, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("made", "words"),
    [
        (timedelta(days=-800), "expired on"),
        (timedelta(days=2), "is not valid until"),
        (timedelta(minutes=-90), "in under an hour"),
    ],
)
def test_a_ca_that_cannot_sign_now_is_refused_in_words(
    tmp_path: Path, made: timedelta, words: str
) -> None:
    spec = ClusterSpec.example()
    spec.expiry.ca = spec.expiry.cert = "2h" if words == "in under an hour" else "8760h"
    write_files(tmp_path / "c", generate_files(spec, now=datetime.now(UTC) + made))
    with pytest.raises(GenerationError) as raised:
        load_existing_ca(tmp_path / "c")
    assert str(raised.value).startswith(f"{tmp_path / 'c' / 'ca.pem'} ")
    assert words in str(raised.value)
