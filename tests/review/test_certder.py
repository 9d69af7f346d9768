"""certder (the review's own DER reader) against cryptography: on every certificate of the golden
tree, on certificates hypothesis builds with every name, extension and key form the reader
handles (and many it must leave to cryptography), and on mutated DER.

The rule under test: whenever certder answers, its facts are exactly cert_facts' (cryptography's
objects) — and cryptography reads the certificate without raising. When certder declines
(None), the scan reads the certificate with cryptography as before, so declining is always safe;
the golden tree's test only asks that it declines rarely.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import golden
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from review_pki import rsa_key

from wizard.review import scan
from wizard.review.certder import (
    SIGNATURE_HASHES,
    ec_private_key_spki,
    escape_dn_value,
    read_certificate,
    signature_inputs,
    signed_parts,
)
from wizard.review.model import _CERT_FIELDS

pytestmark = [
    pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning"),
    # the built names break length rules on purpose (a country of 15 characters)
    pytest.mark.filterwarnings("ignore:Attribute's length must be:UserWarning"),
]

EXAMPLES = int(os.environ.get("K8S_FUZZ_EXAMPLES", "300"))


def _facts_both_ways(der: bytes) -> tuple[object, object | None]:
    """(cryptography's facts or the exception it raised, certder's facts or None)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        warnings.filterwarnings("ignore", "Attribute's length must be", UserWarning)
        try:
            want: object = scan.cert_facts(x509.load_der_x509_certificate(der), der)
        except Exception as error:  # noqa: BLE001 - any of them means "damaged" to the scan
            want = error
        fast = read_certificate(der)
        got = scan._der_cert_facts(fast, der) if fast is not None else None
    return want, got


def _assert_agree(der: bytes) -> bool:
    """certder agrees with cryptography on `der`; True when certder read it itself."""
    want, got = _facts_both_ways(der)
    parts = signed_parts(der)
    if parts is not None and not isinstance(want, Exception):
        certificate = x509.load_der_x509_certificate(der)
        assert parts[0] == certificate.tbs_certificate_bytes
        assert parts[2] == certificate.signature
        how = SIGNATURE_HASHES.get(parts[1])
        inputs = signature_inputs(der)
        assert (inputs is None) == (how is None)
        if how is not None:  # chains checks these on the DER's bytes: as cryptography reads them
            assert inputs == (
                parts[1],
                certificate.signature,
                hashlib.new(how[1], parts[0]).digest(),
            )
            assert how[1] == certificate.signature_hash_algorithm.name  # type: ignore[union-attr]
            dotted = certificate.signature_algorithm_oid.dotted_string
            rsa = dotted.startswith("1.2.840.113549.1.1.")
            assert rsa or dotted.startswith("1.2.840.10045.4.3.")
            assert rsa == (how[0] == "RSA")
    if got is None:
        return False
    assert not isinstance(want, Exception), f"certder read what cryptography refuses: {want!r}"
    for name in _CERT_FIELDS:
        assert getattr(got, name) == getattr(want, name), name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        assert got.serial == str(x509.load_der_x509_certificate(der).serial_number)
    fast = read_certificate(der)
    assert fast is not None
    assert fast.raw_subject == x509.load_der_x509_certificate(der).subject.public_bytes()
    return True


# --- the golden tree -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def golden_ders(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    root = golden.extract(tmp_path_factory.mktemp("golden") / "tree")
    found: dict[bytes, None] = {}
    for directory, _, names in os.walk(root):
        for file_name in names:
            path = Path(directory, file_name)
            if path.is_symlink() or not path.is_file():
                continue
            for item in scan.parse_objects(path.read_bytes()):
                if item.cert is not None:
                    found[item.cert.der] = None
    return list(found)


def test_agrees_on_every_golden_certificate(golden_ders: list[bytes]) -> None:
    read = sum(_assert_agree(der) for der in golden_ders)
    assert len(golden_ders) > 150
    # the few it leaves to cryptography are KTHW's, with Netscape extensions (openssl's ca.conf)
    assert read >= 0.95 * len(golden_ders)


# --- certificates hypothesis builds ----------------------------------------------------------


@cache
def _keys() -> dict[str, object]:
    return {
        "rsa2048": rsa_key(2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
    }


_NAME_OIDS = (
    NameOID.COMMON_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.COUNTRY_NAME,
    NameOID.LOCALITY_NAME,
    NameOID.STATE_OR_PROVINCE_NAME,
    NameOID.STREET_ADDRESS,
    NameOID.DOMAIN_COMPONENT,
    NameOID.USER_ID,
    NameOID.SERIAL_NUMBER,
    NameOID.EMAIL_ADDRESS,
    x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
)
_STRING_TYPES = (
    _ASN1Type.UTF8String,
    _ASN1Type.PrintableString,
    _ASN1Type.IA5String,
    _ASN1Type.BMPString,
    _ASN1Type.T61String,
)
_values = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(list('\\"+,;<># =\0')),
    min_size=1,
    max_size=20,
)
_attribute = st.builds(
    lambda oid, value, kind: x509.NameAttribute(oid, value, kind, _validate=False),
    st.sampled_from(_NAME_OIDS),
    _values,
    st.sampled_from(_STRING_TYPES),
)
_rdn = st.lists(_attribute, min_size=1, max_size=2, unique_by=lambda a: (a.oid, a.value))
_name = st.lists(_rdn, max_size=4).map(
    lambda rdns: x509.Name([x509.RelativeDistinguishedName(r) for r in rdns])
)
_general_name = st.one_of(
    st.from_regex(r"[a-z0-9*.-]{0,30}", fullmatch=True).map(x509.DNSName),
    st.ip_addresses().map(x509.IPAddress),
    st.just(x509.RFC822Name("a@example.com")),
    st.just(x509.UniformResourceIdentifier("spiffe://cluster.local/ns/x")),
)
_key_usage = st.builds(
    lambda bits: x509.KeyUsage(*bits),
    st.tuples(*[st.booleans()] * 9).filter(lambda b: b[4] or not (b[7] or b[8])),
)
_eku = st.lists(
    st.sampled_from(
        (
            ExtendedKeyUsageOID.SERVER_AUTH,
            ExtendedKeyUsageOID.CLIENT_AUTH,
            ExtendedKeyUsageOID.CODE_SIGNING,
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
            x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.4"),
            x509.ObjectIdentifier("2.999.1234567890123"),
        )
    ),
    min_size=1,
    max_size=3,
)
_moments = st.datetimes(
    min_value=datetime(1950, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC)
)


@st.composite
def certificates(draw: st.DrawFn) -> bytes:
    keys = _keys()
    subject_key = keys[draw(st.sampled_from(sorted(keys)))]
    signer = keys[draw(st.sampled_from(["rsa2048", "p256", "ed25519"]))]
    start = draw(_moments).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(draw(_name))
        .issuer_name(draw(_name))
        .public_key(subject_key.public_key())  # type: ignore[attr-defined]
        .serial_number(draw(st.integers(1, 2**159 - 1)))
        .not_valid_before(start)
        .not_valid_after(start + draw(st.timedeltas(timedelta(0), timedelta(days=40000))))
    )
    if draw(st.booleans()):
        ca = draw(st.booleans())
        path_length = draw(st.none() | st.integers(0, 300)) if ca else None
        builder = builder.add_extension(x509.BasicConstraints(ca, path_length), draw(st.booleans()))
    if draw(st.booleans()):
        builder = builder.add_extension(draw(_key_usage), draw(st.booleans()))
    if draw(st.booleans()):
        builder = builder.add_extension(x509.ExtendedKeyUsage(draw(_eku)), False)
    if draw(st.booleans()):
        names = draw(st.lists(_general_name, min_size=1, max_size=4))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
    if draw(st.booleans()):
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier(draw(st.binary(min_size=1, max_size=32))), False
        )
    aki = draw(st.sampled_from(["none", "id", "empty", "issuer"]))
    if aki == "id":
        identifier = x509.AuthorityKeyIdentifier(
            draw(st.binary(min_size=1, max_size=32)), None, None
        )
        builder = builder.add_extension(identifier, False)
    elif aki == "empty":
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(None, None, None), False)
    elif aki == "issuer":
        identifier = x509.AuthorityKeyIdentifier(
            b"\1" * 20, [x509.DNSName("ca.example")], draw(st.integers(1, 2**64))
        )
        builder = builder.add_extension(identifier, False)
    if draw(st.integers(0, 9)) == 0:  # one the reader leaves to cryptography
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("2.16.840.1.113730.1.13"), b"\x16\0"),
            False,
        )
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            certificate = builder.sign(signer, algorithm)  # type: ignore[arg-type]
        except ValueError:  # a value its string type cannot hold (PrintableString "@")
            assume(False)
    return certificate.public_bytes(serialization_der())


def serialization_der() -> object:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(certificates())
def test_agrees_on_built_certificates(der: bytes) -> None:
    _assert_agree(der)


def test_reads_the_usual_forms_itself() -> None:
    """The review's own certificates (RSA and every NIST curve, the six extensions) are read by
    certder, not left to cryptography: the fast path is taken."""
    keys = _keys()
    ca_key = keys["rsa2048"]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for name in ("rsa2048", "p256", "p384", "p521"):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"leaf {name}")])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")]))
            .public_key(keys[name].public_key())  # type: ignore[attr-defined]
            .serial_number(12345)
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=365 * 40))  # a GeneralizedTime
            .add_extension(x509.BasicConstraints(False, None), True)
            .add_extension(
                x509.KeyUsage(True, False, True, False, False, False, False, False, False), True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("a.example"),
                        x509.IPAddress(__import__("ipaddress").ip_address("::1")),
                    ]
                ),
                False,
            )
            .add_extension(x509.SubjectKeyIdentifier(b"\2" * 20), False)
            .add_extension(x509.AuthorityKeyIdentifier(b"\1" * 20, None, None), False)
            .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
        )
        assert _assert_agree(certificate.public_bytes(serialization_der())), name  # type: ignore[arg-type]


# --- mutated DER -----------------------------------------------------------------------------


@cache
def _seed() -> bytes:
    return _fixed_certificate()


def _fixed_certificate() -> bytes:
    key = _keys()["p256"]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "system:node:worker-1"),
                ]
            )
        )
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")]))
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(0x1234567890)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(False, None), True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            False,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("worker-1"),
                    x509.IPAddress(__import__("ipaddress").ip_address("10.0.0.1")),
                ]
            ),
            False,
        )
        .add_extension(x509.AuthorityKeyIdentifier(b"\1" * 20, None, None), False)
        .sign(_keys()["rsa2048"], hashes.SHA256())  # type: ignore[arg-type]
    )
    return certificate.public_bytes(serialization_der())  # type: ignore[arg-type]


_mutations = st.lists(
    st.tuples(
        st.integers(0, 2000), st.integers(0, 255), st.sampled_from(["set", "xor", "insert", "drop"])
    ),
    min_size=1,
    max_size=3,
)


def _mutate(der: bytes, mutations: list[tuple[int, int, str]]) -> bytes:
    data = bytearray(der)
    for position, value, how in mutations:
        position %= len(data)
        if how == "set":
            data[position] = value
        elif how == "xor":
            data[position] ^= value or 1
        elif how == "insert":
            data.insert(position, value)
        elif len(data) > 1:
            del data[position]
    return bytes(data)


@settings(max_examples=EXAMPLES * 3, derandomize=True, deadline=None)
@given(_mutations)
@example([(0, 0, "set")])  # the outer tag broken
def test_agrees_on_mutated_der(mutations: list[tuple[int, int, str]]) -> None:
    der = _mutate(_seed(), mutations)
    try:
        x509.load_der_x509_certificate(der)
    except Exception:  # noqa: BLE001 - ValueError, InvalidVersion: the scan's gate
        return  # the scan's gate: cryptography refuses it, certder is never asked
    _assert_agree(der)


@given(_values)
@example(" #x ")
@example("a\0b")
def test_escapes_values_as_cryptography(value: str) -> None:
    from cryptography.x509.name import _escape_dn_value

    assert escape_dn_value(value) == _escape_dn_value(value)


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
@pytest.mark.parametrize("pem_format", ["TraditionalOpenSSL", "PKCS8"])
def test_ec_private_keys_read_as_cryptography(curve: ec.EllipticCurve, pem_format: str) -> None:
    """A PEM EC key's facts are the same whether the scan takes the public point as the SEC 1
    DER holds it or asks cryptography; a key whose point is not its scalar's stays damaged."""
    from cryptography.hazmat.primitives import serialization

    for _ in range(5):
        key = ec.generate_private_key(curve)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            getattr(serialization.PrivateFormat, pem_format),
            serialization.NoEncryption(),
        )
        (item,) = scan.parse_objects(pem)
        assert item.key is not None
        assert item.key.spki == key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert (item.key.key_type, item.key.key_size) == ("ECDSA", curve.key_size)
    if pem_format == "TraditionalOpenSSL" and curve.key_size < 521:
        other = ec.generate_private_key(curve).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        width = (curve.key_size + 7) // 8
        mixed = der[: -(2 * width + 1)] + other[-(2 * width + 1) :]  # another key's point
        assert ec_private_key_spki(mixed) is not None  # the layout is read …
        block = b"-----BEGIN EC PRIVATE KEY-----\n" + __import__("base64").encodebytes(mixed)
        (item,) = scan.parse_objects(block + b"-----END EC PRIVATE KEY-----\n")
        assert item.kind == "damaged"  # … but only for a key cryptography has loaded


def test_a_certificate_of_an_unknown_version_is_damaged_not_a_bug() -> None:
    """cryptography raises InvalidVersion (not a ValueError) for a version it does not know:
    the file is reported as damaged, never as the scan's internal error."""
    der = bytearray(_seed())
    assert der[8:13] == bytes.fromhex("a003020102")  # [0] version v3
    der[12] = 7
    pem = b"-----BEGIN CERTIFICATE-----\n" + __import__("base64").encodebytes(bytes(der))
    (item,) = scan.parse_objects(pem + b"-----END CERTIFICATE-----\n")
    assert item.kind == "damaged"
