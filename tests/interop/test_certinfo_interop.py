"""``run_certinfo`` against the real ``cfssl-certinfo -cert FILE``, byte for byte.

Every case writes a file, runs Debian's cfssl-certinfo (cfssl 1.2) on it and our command on it, and
compares stdout and stderr exactly. cfssl-certinfo exits 0 even on error; ours exits 1 then.
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import itertools
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

CFSSL_CERTINFO = shutil.which("cfssl-certinfo")
if CFSSL_CERTINFO is None:
    pytest.skip(
        "cfssl-certinfo is not installed (apt-get install golang-cfssl)", allow_module_level=True
    )

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa  # noqa: E402
from cryptography.x509.name import _ASN1Type  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.der import (  # noqa: E402
    EC_KEY,
    ext,
    integer,
    oid,
    pem,
    raw_cert,
    raw_name,
    seq,
    tlv,
)
from wizard.certinfo import run_certinfo  # noqa: E402

pytestmark = pytest.mark.interop

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
_counter = itertools.count()


# ---- comparing -------------------------------------------------------------------------------


def cfssl(path: str, stdin: bytes | None = None) -> tuple[bytes, bytes]:
    result = subprocess.run(
        [CFSSL_CERTINFO, "-cert", path], input=stdin or b"", capture_output=True, check=False
    )
    assert result.returncode == 0  # the stand-alone tool exits 0 even on error
    return result.stdout, result.stderr


def ours(path: str, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    out, err = io.BytesIO(), io.BytesIO()
    code = run_certinfo(path, io.BytesIO(stdin or b""), out, err)
    return code, out.getvalue(), err.getvalue()


def compare_path(path: str, stdin: bytes | None = None) -> bytes:
    """Both tools on ``path``; asserts identical output and returns stdout."""
    expected_out, expected_err = cfssl(path, stdin)
    code, out, err = ours(path, stdin)
    assert cfssl_part(err) == expected_err
    assert out == expected_out
    assert code == (0 if expected_out else 1)
    assert bool(expected_out) != bool(expected_err)
    return out


def compare(directory: Path, data: bytes) -> bytes:
    path = directory / f"case-{next(_counter)}.pem"
    path.write_bytes(data)
    return compare_path(str(path))


def compare_ok(directory: Path, data: bytes) -> bytes:
    out = compare(directory, data)
    assert out, "cfssl-certinfo rejected a certificate this test expects it to print"
    return out


def compare_error(directory: Path, data: bytes, message: str) -> None:
    path = directory / f"case-{next(_counter)}.pem"
    path.write_bytes(data)
    assert cfssl(str(path)) == (b"", message.encode() + b"\n")
    code, out, err = ours(str(path))
    assert (code, out, cfssl_part(err)) == (1, b"", message.encode() + b"\n")


def cfssl_part(stderr: bytes) -> bytes:
    """Our stderr without the note certinfo adds after cfssl's line for a key or a CSR."""
    first, _, rest = stderr.partition(b"\n")
    if rest:
        assert rest.startswith(b"note: ") and rest.count(b"\n") == 1, stderr
        assert first == PARSE_FAILED.encode(), "a note after another error than parse failed"
        return first + b"\n"
    return stderr


DECODE_FAILED = '{"code":1002,"message":"Failed to decode certificate"}'
PARSE_FAILED = '{"code":1003,"message":"Failed to parse certificate"}'
ONLY_ONE = '{"code":1003,"message":"the PEM file should contain only one object"}'


# ---- making certificates ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return {
        "rsa2048": rsa.generate_private_key(65537, 2048),
        "rsa3072": rsa.generate_private_key(65537, 3072),
        "rsa4096": rsa.generate_private_key(65537, 4096),
        "p224": ec.generate_private_key(ec.SECP224R1()),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "dsa2048": dsa.generate_private_key(2048),
    }


@pytest.fixture(scope="module")
def p256(keys: dict[str, object]) -> ec.EllipticCurvePrivateKey:
    return keys["p256"]  # type: ignore[return-value]


def make_cert(
    key,
    subject: x509.Name | list[x509.NameAttribute] | None = None,
    sans: list[x509.GeneralName] | None = None,
    serial: int = 1,
    not_before: datetime.datetime = datetime.datetime(2020, 1, 1),
    not_after: datetime.datetime = datetime.datetime(2030, 1, 1),
    algorithm: hashes.HashAlgorithm | None = None,
    ski: bool = True,
    aki: bool = True,
    subject_key=None,
    **sign_kwargs,
) -> bytes:
    """PEM of a certificate for ``subject_key`` (default ``key``) signed by ``key``."""
    if subject is None:
        subject = [x509.NameAttribute(NameOID.COMMON_NAME, "test")]
    name = subject if isinstance(subject, x509.Name) else x509.Name(subject)
    public = (subject_key or key).public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    ski_ext = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    if ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public), critical=False
        )
    if aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski_ext),
            critical=False,
        )
    if algorithm is None and not isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm = hashes.SHA256()
    cert = builder.sign(key, algorithm, **sign_kwargs)
    return cert.public_bytes(serialization.Encoding.PEM)


def attr(oid_: x509.ObjectIdentifier, value: str, kind: _ASN1Type | None = None):
    if kind is None:
        return x509.NameAttribute(oid_, value)
    return x509.NameAttribute(oid_, value, _type=kind)


# ---- signers and sigalg ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_name", "algorithm", "sigalg"),
    [
        ("rsa2048", hashes.SHA256(), "SHA256WithRSA"),
        ("rsa3072", hashes.SHA384(), "SHA384WithRSA"),
        ("rsa4096", hashes.SHA512(), "SHA512WithRSA"),
        ("p256", hashes.SHA256(), "ECDSAWithSHA256"),
        ("p384", hashes.SHA384(), "ECDSAWithSHA384"),
        ("p521", hashes.SHA512(), "ECDSAWithSHA512"),
        ("p224", hashes.SHA224(), "Unknown Signature"),
        ("dsa2048", hashes.SHA256(), "DSAWithSHA256"),
        ("ed25519", None, "Unknown Signature"),
    ],
)
def test_signers(tmp_path: Path, keys, key_name: str, algorithm, sigalg: str) -> None:
    data = make_cert(keys[key_name], algorithm=algorithm)
    out = compare_ok(tmp_path, data)
    assert f'"sigalg": "{sigalg}",'.encode() in out


def test_rsa_pss_signature(tmp_path: Path, keys) -> None:
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    data = make_cert(keys["rsa2048"], algorithm=hashes.SHA256(), rsa_padding=pss)
    assert b'"sigalg": "Unknown Signature",' in compare_ok(tmp_path, data)


@pytest.mark.parametrize(
    ("signer", "subject_key"),
    [("rsa2048", "p384"), ("p256", "rsa3072"), ("p384", "ed25519"), ("rsa4096", "dsa2048")],
)
def test_mixed_key_types(tmp_path: Path, keys, signer: str, subject_key: str) -> None:
    compare_ok(tmp_path, make_cert(keys[signer], subject_key=keys[subject_key]))


@pytest.mark.parametrize(
    "algorithm",
    [
        "1.2.840.113549.1.1.2",
        "1.2.840.113549.1.1.4",
        "1.2.840.113549.1.1.5",
        "1.3.14.3.2.29",
        "1.2.840.113549.1.1.14",
        "1.2.840.10040.4.3",
        "1.2.840.10045.4.1",
        "1.2.840.10045.4.3.4",
        "1.2.3.4",
    ],
)
def test_signature_algorithm_oids(tmp_path: Path, algorithm: str) -> None:
    compare_ok(tmp_path, pem(raw_cert(sigalg=seq(oid(algorithm), tlv(5, b"")))))


# ---- names -----------------------------------------------------------------------------------

NAME_CASES: dict[str, x509.Name | list[x509.NameAttribute]] = {
    "cfssl-order": [
        attr(NameOID.COUNTRY_NAME, "CN"),
        attr(NameOID.STATE_OR_PROVINCE_NAME, "BeiJing"),
        attr(NameOID.LOCALITY_NAME, "BeiJing"),
        attr(NameOID.ORGANIZATION_NAME, "k8s"),
        attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "System"),
        attr(NameOID.COMMON_NAME, "kubernetes"),
    ],
    "multi-valued-rdn": x509.Name(
        [
            x509.RelativeDistinguishedName(
                [attr(NameOID.COMMON_NAME, "a"), attr(NameOID.ORGANIZATION_NAME, "b")]
            ),
            x509.RelativeDistinguishedName([attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "c")]),
        ]
    ),
    "repeated-o-ou": [
        attr(NameOID.ORGANIZATION_NAME, "system:masters"),
        attr(NameOID.ORGANIZATION_NAME, "k8s"),
        attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "One"),
        attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "Two"),
        attr(NameOID.COUNTRY_NAME, "CN"),
        attr(NameOID.COUNTRY_NAME, "US"),
        attr(NameOID.COMMON_NAME, "first"),
        attr(NameOID.COMMON_NAME, "last"),
    ],
    "chinese": [
        attr(NameOID.COUNTRY_NAME, "CN"),
        attr(NameOID.STATE_OR_PROVINCE_NAME, "北京"),
        attr(NameOID.LOCALITY_NAME, "北京市"),
        attr(NameOID.ORGANIZATION_NAME, "系统"),
        attr(NameOID.COMMON_NAME, "管理员 😀 é"),
    ],
    "specials": [
        attr(NameOID.ORGANIZATION_NAME, '<script>&"quotes"\\back\\slash'),
        attr(NameOID.COMMON_NAME, "a,b+c=d;e/f'g"),
    ],
    "control-chars": [
        attr(NameOID.COMMON_NAME, "tab\tnl\ncr\rbs\bff\fnul\x00esc\x1bdel\x7f"),
        attr(NameOID.ORGANIZATION_NAME, "ls\u2028ps\u2029nbsp\u00a0bom\ufeff\ufffd"),
    ],
    "unknown-oid": [
        attr(x509.ObjectIdentifier("1.2.3.4.5"), "unknown value"),
        attr(NameOID.DOMAIN_COMPONENT, "example"),
        attr(NameOID.TITLE, "Dr"),
        attr(NameOID.COMMON_NAME, "x"),
    ],
    "email-and-serial": [
        attr(NameOID.EMAIL_ADDRESS, "admin@example.com"),
        attr(NameOID.SERIAL_NUMBER, "SN-1"),
        attr(NameOID.SERIAL_NUMBER, "SN-2"),
        attr(NameOID.COMMON_NAME, "x"),
    ],
    "street-postal": [
        attr(NameOID.STREET_ADDRESS, "1 Main St"),
        attr(NameOID.STREET_ADDRESS, "Floor 2"),
        attr(NameOID.POSTAL_CODE, "100000"),
        attr(NameOID.COMMON_NAME, "x"),
    ],
    "string-types": [
        attr(NameOID.COMMON_NAME, "bmp é 😀", _ASN1Type.BMPString),
        attr(NameOID.ORGANIZATION_NAME, "t61", _ASN1Type.T61String),
        attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "printable", _ASN1Type.PrintableString),
        attr(NameOID.EMAIL_ADDRESS, "ia5@x", _ASN1Type.IA5String),
    ],
    "universal-string": [attr(NameOID.COMMON_NAME, "u", _ASN1Type.UniversalString)],
    "visible-string": [attr(NameOID.COMMON_NAME, "v", _ASN1Type.VisibleString)],
    "no-common-name": [attr(NameOID.ORGANIZATION_NAME, "only")],
}


@pytest.mark.parametrize("case", list(NAME_CASES))
def test_names(tmp_path: Path, p256, case: str) -> None:
    compare(tmp_path, make_cert(p256, subject=NAME_CASES[case]))


def test_empty_subject(tmp_path: Path, p256) -> None:
    out = compare_ok(tmp_path, make_cert(p256, subject=x509.Name([])))
    assert out.startswith(b'{\n  "subject": {},\n  "issuer": {},\n')


RAW_NAME_CASES: dict[str, bytes] = {
    "printable-star-amp": raw_name([("2.5.4.3", 0x13, b"*.a&b")]),
    "printable-invalid": raw_name([("2.5.4.3", 0x13, b"a@b")]),
    "t61-latin1": raw_name([("2.5.4.3", 0x14, b"caf\xe9 \xe4\xb8")]),
    "utf8-invalid": raw_name([("2.5.4.3", 0x0C, b"\xff")]),
    "bmp-terminated": raw_name([("2.5.4.3", 0x1E, b"\x00a\x00\x00")]),
    "bmp-lone-surrogate": raw_name([("2.5.4.3", 0x1E, b"\xd8\x00\x00a")]),
    "bmp-odd": raw_name([("2.5.4.3", 0x1E, b"\x00a\x00")]),
    "numeric": raw_name([("2.5.4.3", 0x12, b"12 3")]),
    "numeric-invalid": raw_name([("2.5.4.3", 0x12, b"12a")]),
    "ia5-invalid": raw_name([("2.5.4.3", 0x16, b"\x80")]),
    "octet-string-value": raw_name([("2.5.4.3", 0x04, b"x")]),
    "empty-rdn": raw_name([], [("2.5.4.3", 0x0C, b"x")]),
    "empty-values": raw_name(
        [("2.5.4.3", 0x0C, b"a")], [("2.5.4.3", 0x0C, b"")], [("2.5.4.6", 0x13, b"")] * 2
    ),
    "oid-arc-2^31-1": raw_name([("1.2.2147483647", 0x0C, b"x")]),
    "oid-arc-2^31": raw_name([("1.2.2147483648", 0x0C, b"x")]),
    "uuid-oid": raw_name([("2.25.329800735698586629295641978511506172918", 0x0C, b"u")]),
}


@pytest.mark.parametrize("case", list(RAW_NAME_CASES))
def test_raw_names(tmp_path: Path, case: str) -> None:
    compare(tmp_path, pem(raw_cert(subject=RAW_NAME_CASES[case])))


# ---- SANs, key ids, serials, dates -----------------------------------------------------------

IP = ipaddress.ip_address
SAN_CASES: dict[str, list[x509.GeneralName] | None] = {
    "none": None,
    "dns-and-ipv4": [
        x509.IPAddress(IP("127.0.0.1")),
        x509.DNSName("kubernetes"),
        x509.DNSName("192.168.214.1/24"),
        x509.IPAddress(IP("10.254.0.1")),
        x509.DNSName("kubernetes.default.svc.cluster.local"),
    ],
    "ipv6": [
        x509.IPAddress(IP("::1")),
        x509.IPAddress(IP("fd00::1")),
        x509.IPAddress(IP("2001:db8:0:0:1:0:0:1")),
        x509.IPAddress(IP("2001:db8:0:1:1:1:1:1")),
        x509.IPAddress(IP("::ffff:192.0.2.1")),
        x509.IPAddress(IP("::192.0.2.1")),
        x509.IPAddress(IP("fe80::abcd:ef01")),
        x509.IPAddress(IP("::")),
    ],
    "email-and-uri-only": [
        x509.RFC822Name("admin@example.com"),
        x509.UniformResourceIdentifier("spiffe://cluster.local/ns/default/sa/x"),
    ],
    "mixed": [
        x509.RFC822Name("admin@example.com"),
        x509.DNSName("*.example.com"),
        x509.UniformResourceIdentifier("https://example.com/x?y#z"),
        x509.IPAddress(IP("2001:db8::2")),
        x509.DirectoryName(x509.Name([attr(NameOID.COMMON_NAME, "dir")])),
        x509.DNSName("example.com"),
    ],
}


@pytest.mark.parametrize("case", list(SAN_CASES))
def test_sans(tmp_path: Path, p256, case: str) -> None:
    compare_ok(tmp_path, make_cert(p256, sans=SAN_CASES[case]))


RAW_SAN_CASES: dict[str, bytes] = {
    "other-name-and-x400": seq(
        tlv(0x82, b"a"),
        tlv(0xA0, seq(oid("1.2.3"), tlv(0xA0, tlv(0x0C, b"x")))),
        tlv(0xA3, b""),
        tlv(0x82, b"b"),
    ),
    "ip-length-8": seq(tlv(0x87, b"\x01\x02\x03\x04\xff\xff\xff\x00")),
    "dns-non-ascii": seq(tlv(0x82, "é".encode())),
    "dns-control": seq(tlv(0x82, b"a\x01<b>&")),
    "email-non-ascii": seq(tlv(0x81, "é@x".encode())),
    "uri-host-with-space": seq(tlv(0x86, b"http://a b/")),
    "uri-bad-escape": seq(tlv(0x86, b"%zz")),
    "uri-host-ascii-escape": seq(tlv(0x86, b"//h%41/")),
    "uri-bad-port": seq(tlv(0x86, b"http://h:8a/")),
    "uri-ok-forms": seq(
        tlv(0x86, b"mailto:a@b"),
        tlv(0x86, b"http://[::1]:80/p?q#f"),
        tlv(0x86, b"http://[fe80::1%25eth0]/"),
        tlv(0x86, b"a:b/c"),
        tlv(0x86, b""),
        tlv(0x86, b"http://h/#\x01"),
    ),
    "uri-relative-colon": seq(tlv(0x86, b"1a:b/c")),
    "uri-trailing-dot-host": seq(tlv(0x86, b"http://h./")),
    "uri-bad-userinfo": seq(tlv(0x86, b"http://a b@h/")),
    "uri-missing-scheme": seq(tlv(0x86, b":x")),
    "empty": seq(),
}


@pytest.mark.parametrize("case", list(RAW_SAN_CASES))
def test_raw_sans(tmp_path: Path, case: str) -> None:
    compare(tmp_path, pem(raw_cert(extensions=[ext("2.5.29.17", RAW_SAN_CASES[case])])))


@pytest.mark.parametrize(("ski", "aki"), [(False, False), (True, False), (True, True)])
def test_key_id_presence(tmp_path: Path, p256, ski: bool, aki: bool) -> None:
    compare_ok(tmp_path, make_cert(p256, ski=ski, aki=aki))


@pytest.mark.parametrize(
    "key_id", [b"\x00", b"\x0e", b"\x00\x0e\xff\x10\x01\xa0", bytes(range(20)), b""]
)
def test_key_id_bytes(tmp_path: Path, key_id: bytes) -> None:
    extensions = [ext("2.5.29.14", tlv(4, key_id)), ext("2.5.29.35", seq(tlv(0x80, key_id)))]
    compare_ok(tmp_path, pem(raw_cert(extensions=extensions)))


@pytest.mark.parametrize("serial", [1, 255, 256, (1 << 159) - 1, 0x00FF << 144])
def test_serials(tmp_path: Path, p256, serial: int) -> None:
    compare_ok(tmp_path, make_cert(p256, serial=serial))


@pytest.mark.parametrize("serial", [0, -1, -(1 << 100), 1 << 200])
def test_odd_serials(tmp_path: Path, serial: int) -> None:
    compare_ok(tmp_path, pem(raw_cert(serial=integer(serial))))


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [
        (datetime.datetime(1950, 1, 1), datetime.datetime(2049, 12, 31, 23, 59, 59)),
        (datetime.datetime(2026, 11, 28, 16, 31), datetime.datetime(2050, 1, 1)),
        (datetime.datetime(2000, 2, 29, 12, 0, 1), datetime.datetime(9999, 12, 31, 23, 59, 59)),
    ],
)
def test_dates(tmp_path: Path, p256, not_before, not_after) -> None:
    compare_ok(tmp_path, make_cert(p256, not_before=not_before, not_after=not_after))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b"\x18" + b"\x0f19000101000000Z", b"\x18\x0f20510101000000Z"),
        (b"\x18\x0f00010101000000Z", b"\x18\x0f19491231235959Z"),
        (b"\x17\x0b2001010000Z", b"\x17\x0d300101000000Z"),
        (b"\x17\x11200101000000+0130", b"\x17\x11300101000000-2400"),
        (b"\x17\x11200101000000+0000", b"\x17\x0d300101000000Z"),
        (b"\x17\x0d200101000060Z", b"\x17\x0d300101000000Z"),
        (b"\x17\x0d210229000000Z", b"\x17\x0d300101000000Z"),
        (b"\x18\x1119490101000000.5Z", b"\x18\x0f20510101000000Z"),
        (b"\x04\x0d200101000000Z", b"\x17\x0d300101000000Z"),
    ],
)
def test_raw_dates(tmp_path: Path, before: bytes, after: bytes) -> None:
    compare(tmp_path, pem(raw_cert(validity=seq(before, after))))


# ---- structure Go checks ------------------------------------------------------------------------

_EC_ALG = seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7"))
_POINT = EC_KEY.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
)
STRUCTURE_CASES: dict[str, bytes] = {
    "version-1": raw_cert(version=None),
    "version-1-with-extensions": raw_cert(
        version=None, extensions=[ext("2.5.29.14", tlv(4, b"\x01"))]
    ),
    "version-2": raw_cert(version=1),
    "version-4": raw_cert(version=3),
    "sigalg-mismatch": raw_cert(outer_sigalg=seq(oid("1.2.840.10045.4.3.3"))),
    "duplicate-extension": raw_cert(
        extensions=[ext("2.5.29.14", tlv(4, b"\x01")), ext("2.5.29.14", tlv(4, b"\x02"))]
    ),
    "critical-false-encoded": raw_cert(
        extensions=[seq(oid("2.5.29.14"), tlv(1, b"\x00"), tlv(4, tlv(4, b"\x01")))]
    ),
    "critical-bad-boolean": raw_cert(
        extensions=[seq(oid("2.5.29.14"), tlv(1, b"\x01"), tlv(4, tlv(4, b"\x01")))]
    ),
    "unknown-critical-extension": raw_cert(extensions=[ext("1.2.3.4", b"junk", critical=True)]),
    "bad-key-usage": raw_cert(extensions=[ext("2.5.29.15", b"\x05\x00")]),
    "key-usage-bad-padding": raw_cert(extensions=[ext("2.5.29.15", tlv(3, b"\x07\x81"))]),
    "bad-basic-constraints": raw_cert(extensions=[ext("2.5.29.19", seq(tlv(1, b"\x01")))]),
    "bad-eku": raw_cert(extensions=[ext("2.5.29.37", seq(tlv(4, b"")))]),
    "bad-policies": raw_cert(extensions=[ext("2.5.29.32", seq(seq(tlv(4, b""))))]),
    "bad-crl-dp": raw_cert(extensions=[ext("2.5.29.31", seq(seq(tlv(0xA0, tlv(4, b"")))))]),
    "aia": raw_cert(
        extensions=[
            ext(
                "1.3.6.1.5.5.7.1.1",
                seq(seq(oid("1.3.6.1.5.5.7.48.1"), tlv(0x86, b"http://o")), seq(oid("1.2.3"))),
            )
        ]
    ),
    "bad-aia": raw_cert(extensions=[ext("1.3.6.1.5.5.7.1.1", seq(seq(tlv(4, b""))))]),
    "name-constraints": raw_cert(
        extensions=[
            ext(
                "2.5.29.30",
                seq(
                    tlv(
                        0xA0,
                        seq(tlv(0x82, b".example.com"))
                        + seq(tlv(0x87, b"\x0a\x00\x00\x00\xff\x00\x00\x00"))
                        + seq(tlv(0x81, b"a.b@example.com")),
                    )
                ),
                critical=True,
            )
        ]
    ),
    "name-constraints-empty": raw_cert(extensions=[ext("2.5.29.30", seq())]),
    "name-constraints-bad-mask": raw_cert(
        extensions=[
            ext("2.5.29.30", seq(tlv(0xA0, seq(tlv(0x87, b"\x0a\x00\x00\x00\xff\x01\x00\x00")))))
        ]
    ),
    "name-constraints-uri-ip": raw_cert(
        extensions=[ext("2.5.29.30", seq(tlv(0xA1, seq(tlv(0x86, b"1.2.3.4")))))]
    ),
    "name-constraints-bad-mailbox": raw_cert(
        extensions=[ext("2.5.29.30", seq(tlv(0xA1, seq(tlv(0x81, b"a b@c")))))]
    ),
    "aki-issuer-only": raw_cert(
        extensions=[
            ext("2.5.29.35", seq(tlv(0xA1, tlv(0xA4, raw_name([("2.5.4.3", 0x0C, b"c")])))))
        ]
    ),
    "trailing-data": raw_cert() + b"\x00",
    "non-minimal-serial": raw_cert(serial=tlv(2, b"\x00\x01")),
    "ec-compressed-point": raw_cert(
        spki=seq(
            _EC_ALG,
            tlv(
                3,
                b"\x00"
                + EC_KEY.public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
                ),
            ),
        )
    ),
    "ec-off-curve": raw_cert(spki=seq(_EC_ALG, tlv(3, b"\x00" + _POINT[:-1] + b"\x00"))),
    "ec-secp256k1": raw_cert(
        spki=seq(seq(oid("1.2.840.10045.2.1"), oid("1.3.132.0.10")), tlv(3, b"\x00" + _POINT))
    ),
    "rsa-without-null": raw_cert(
        spki=seq(seq(oid("1.2.840.113549.1.1.1")), tlv(3, b"\x00" + seq(integer(15), integer(3))))
    ),
    "rsa-tiny": raw_cert(
        spki=seq(
            seq(oid("1.2.840.113549.1.1.1"), tlv(5, b"")),
            tlv(3, b"\x00" + seq(integer(15), integer(3))),
        )
    ),
    "rsa-negative-exponent": raw_cert(
        spki=seq(
            seq(oid("1.2.840.113549.1.1.1"), tlv(5, b"")),
            tlv(3, b"\x00" + seq(integer(15), integer(-3))),
        )
    ),
    "ed25519-short": raw_cert(spki=seq(seq(oid("1.3.101.112")), tlv(3, b"\x00" + b"\x01" * 31))),
    "ed25519-with-params": raw_cert(
        spki=seq(seq(oid("1.3.101.112"), tlv(5, b"")), tlv(3, b"\x00" + b"\x01" * 32))
    ),
    "x25519-key": raw_cert(spki=seq(seq(oid("1.3.101.110")), tlv(3, b"\x00" + b"\x01" * 32))),
    "unknown-key": raw_cert(spki=seq(seq(oid("1.2.3.4")), tlv(3, b"\x00\x01"))),
}


@pytest.mark.parametrize("case", list(STRUCTURE_CASES))
def test_structure(tmp_path: Path, case: str) -> None:
    compare(tmp_path, pem(STRUCTURE_CASES[case]))


# ---- openssl-made certificates ----------------------------------------------------------------

OPENSSL_CASES: dict[str, list[str]] = {
    "cfssl-like": ["-subj", "/C=CN/ST=BeiJing/L=BeiJing/O=k8s/OU=System/CN=kubernetes"],
    "multi-valued-rdn": ["-multivalue-rdn", "-subj", "/CN=a+O=b+OU=c/C=CN"],
    "utf8-chinese": ["-utf8", "-subj", "/C=CN/ST=北京/O=系统/CN=管理员"],
    "email-serial-street": [
        "-subj",
        "/emailAddress=a@b.c/serialNumber=42/street=1 Main St/postalCode=100000/CN=x",
    ],
    "specials": ["-subj", '/O=a<b>&c"d\\\\e/CN=x\\/y'],
    "repeated": ["-subj", "/O=one/O=two/OU=three/OU=four/CN=x"],
    "sans": [
        "-subj",
        "/CN=x",
        "-addext",
        "subjectAltName=DNS:a.example,IP:::1,IP:fd00::1,IP:10.0.0.1,email:a@b.c,"
        "URI:spiffe://x/y,DNS:b.example,IP:2001:db8:0:0:1::1",
    ],
    "no-key-ids": [
        "-subj",
        "/CN=x",
        "-addext",
        "subjectKeyIdentifier=none",
        "-addext",
        "authorityKeyIdentifier=none",
    ],
    "serial-1": ["-subj", "/CN=x", "-set_serial", "1"],
    "serial-20-bytes": ["-subj", "/CN=x", "-set_serial", "0x7f" + "ab" * 19],
    "sha1": ["-subj", "/CN=x", "-sha1"],
    "md5": ["-subj", "/CN=x", "-md5"],
    "sha384": ["-subj", "/CN=x", "-sha384"],
    "long-validity": ["-subj", "/CN=x", "-days", "36500"],
    "ca-extensions": [
        "-subj",
        "/CN=ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE,pathlen:1",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-addext",
        "extendedKeyUsage=serverAuth,clientAuth",
        "-addext",
        "nameConstraints=permitted;DNS:.example.com,permitted;IP:10.0.0.0/255.0.0.0",
        "-addext",
        "crlDistributionPoints=URI:http://crl.example/x.crl",
        "-addext",
        "authorityInfoAccess=OCSP;URI:http://ocsp.example/,caIssuers;URI:http://ca.example/",
        "-addext",
        "certificatePolicies=1.2.3.4",
    ],
}
OPENSSL_KEYS: dict[str, list[str]] = {
    "rsa2048": ["-newkey", "rsa:2048"],
    "ec-p384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ed25519": ["-newkey", "ed25519"],
    "rsa-pss": ["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"],
}


def openssl_cert(directory: Path, key: list[str], args: list[str]) -> bytes:
    out = directory / f"openssl-{next(_counter)}.pem"
    command = [OPENSSL, "req", "-x509", "-nodes", "-keyout", os.devnull, "-days", "30"]
    result = subprocess.run(
        [*command, *key, *args, "-out", str(out)], capture_output=True, check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace")[-300:]
        pytest.skip(f"openssl req {' '.join([*key, *args])} failed: {message}")
    return out.read_bytes()


def _openssl_pairs() -> list[tuple[str, str]]:
    pairs = []
    for case in OPENSSL_CASES:
        for key_name in OPENSSL_KEYS:
            if case in ("sha1", "sha384") and key_name in ("ed25519", "rsa-pss"):
                continue  # these keys fix their own digest
            if case == "md5" and key_name != "rsa2048":
                continue  # there is no ECDSA with MD5
            pairs.append((case, key_name))
    return pairs


@needs_openssl
@pytest.mark.parametrize(("case", "key_name"), _openssl_pairs())
def test_openssl_certificates(tmp_path: Path, case: str, key_name: str) -> None:
    compare_ok(tmp_path, openssl_cert(tmp_path, OPENSSL_KEYS[key_name], OPENSSL_CASES[case]))


@needs_openssl
def test_openssl_dsa(tmp_path: Path) -> None:
    params = tmp_path / "dsa.params"
    subprocess.run(
        [OPENSSL, "dsaparam", "-out", str(params), "2048"], capture_output=True, check=True
    )
    out = compare_ok(
        tmp_path, openssl_cert(tmp_path, ["-newkey", f"dsa:{params}"], ["-subj", "/CN=x", "-sha1"])
    )
    assert b'"sigalg": "DSAWithSHA1",' in out


# ---- inputs and errors ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_pems(keys) -> tuple[bytes, bytes]:
    return make_cert(keys["p256"]), make_cert(keys["rsa2048"], serial=2)


def _der(p: bytes) -> bytes:
    return x509.load_pem_x509_certificate(p).public_bytes(serialization.Encoding.DER)


INPUT_CASES: dict[str, Callable[[bytes, bytes], bytes]] = {
    "two-certificates": lambda a, b: a + b,
    "trailing-junk": lambda a, b: a + b"junk\n",
    "trailing-whitespace": lambda a, b: a + b"\n\n \t\r\n\v\f",
    "trailing-unicode-space": lambda a, b: a + "\u00a0\u3000\u2029\u0085".encode(),
    "trailing-latin1-nbsp": lambda a, b: a + b"\xa0",
    "trailing-nul": lambda a, b: a + b"\x00",
    "preamble": lambda a, b: b"Certificate:\n    Data: ...\n" + a,
    "leading-whitespace": lambda a, b: b" \n\t" + a,
    "crlf": lambda a, b: a.replace(b"\n", b"\r\n"),
    "other-block-type": lambda a, b: a.replace(b"CERTIFICATE", b"TRUSTED CERTIFICATE"),
    "pem-headers": lambda a, b: a.replace(b"-----\n", b"-----\nProc-Type: 4,X\n\n", 1),
    "bad-first-block": lambda a, b: b"-----BEGIN X-----\n!!\n-----END X-----\n" + a,
    "mismatched-end": lambda a, b: a.replace(b"END CERTIFICATE", b"END OTHER"),
    "mismatched-end-then-cert": lambda a, b: a.replace(b"END CERTIFICATE", b"END X") + b,
    "no-end": lambda a, b: a.replace(b"-----END CERTIFICATE-----", b""),
    "empty-block-then-cert": lambda a, b: b"-----BEGIN A-----\n-----END A-----\n" + a,
    "spaces-in-base64": lambda a, b: a.replace(b"\n", b" \t\n", 5),
    "base64-unpadded": lambda a, b: pem(_der(a) + b"\x00")[:-1],
    "der": lambda a, b: _der(a),
    "empty": lambda a, b: b"",
    "only-whitespace": lambda a, b: b"\n \n",
    "text": lambda a, b: b"hello\n",
    "key-then-cert": lambda a, b: (
        EC_KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        + a
    ),
    "pkcs8-key": lambda a, b: EC_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ),
    "public-key": lambda a, b: EC_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ),
    "csr": lambda a, b: (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([attr(NameOID.COMMON_NAME, "x")]))
        .sign(EC_KEY, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    ),
}


@pytest.mark.parametrize("case", list(INPUT_CASES))
def test_inputs(tmp_path: Path, two_pems: tuple[bytes, bytes], case: str) -> None:
    compare(tmp_path, INPUT_CASES[case](*two_pems))


def test_error_messages_exactly(tmp_path: Path, two_pems: tuple[bytes, bytes]) -> None:
    a, b = two_pems
    compare_error(tmp_path, a + b, ONLY_ONE)
    compare_error(tmp_path, a + b"junk", ONLY_ONE)
    compare_error(tmp_path, _der(a), DECODE_FAILED)
    compare_error(tmp_path, b"", DECODE_FAILED)
    compare_error(tmp_path, INPUT_CASES["csr"](a, b), PARSE_FAILED)
    compare_error(tmp_path, INPUT_CASES["pkcs8-key"](a, b), PARSE_FAILED)


@needs_openssl
def test_pkcs7(tmp_path: Path, two_pems: tuple[bytes, bytes]) -> None:
    """cfssl's PKCS #7 fallback does not take what openssl crl2pkcs7 writes."""
    for content in (two_pems[0], two_pems[0] + two_pems[1]):
        source = tmp_path / f"chain-{next(_counter)}.pem"
        source.write_bytes(content)
        p7 = subprocess.run(
            [OPENSSL, "crl2pkcs7", "-nocrl", "-certfile", str(source)],
            capture_output=True,
            check=True,
        ).stdout
        compare_error(tmp_path, p7, PARSE_FAILED)


def test_missing_file(tmp_path: Path) -> None:
    compare_path(str(tmp_path / "missing.pem"))
    compare_path("relative-missing.pem")
    compare_path(str(tmp_path / "missing-dir" / "x.pem"))


def test_directory(tmp_path: Path) -> None:
    compare_path(str(tmp_path))


def test_path_through_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    compare_path(str(tmp_path / "f" / "x.pem"))


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.pem"
    path.write_bytes(b"x")
    path.chmod(0)
    command = [CFSSL_CERTINFO, "-cert", str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot be denied a file")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        tmp_path.chmod(0o755)
    result = subprocess.run(command, capture_output=True, check=False)
    assert result.stdout == b""
    assert result.stderr == f"open {path}: permission denied\n".encode()
    if os.geteuid() == 0:

        def denied(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr("builtins.open", denied)
    assert ours(str(path)) == (1, b"", result.stderr)


def test_stdin(two_pems: tuple[bytes, bytes]) -> None:
    a, b = two_pems
    assert compare_path("-", stdin=a)
    compare_path("-", stdin=a + b)
    compare_path("-", stdin=b"")


# ---- random cases ----------------------------------------------------------------------------

_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_TEXT = st.text(
    st.characters(exclude_categories=("Cs",)),  # no lone surrogates: UTF8String must be UTF-8
    min_size=1,
    max_size=30,
)
_NAME_OIDS = [
    NameOID.COMMON_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.LOCALITY_NAME,
    NameOID.STATE_OR_PROVINCE_NAME,
    NameOID.STREET_ADDRESS,
    NameOID.POSTAL_CODE,
    NameOID.SERIAL_NUMBER,
    NameOID.EMAIL_ADDRESS,
    x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
]


@_SETTINGS
@given(attributes=st.lists(st.tuples(st.sampled_from(_NAME_OIDS), _TEXT), min_size=0, max_size=8))
def test_random_unicode_names(tmp_path: Path, p256, attributes) -> None:
    names = [x509.NameAttribute(o, v, _type=_ASN1Type.UTF8String) for o, v in attributes]
    compare_ok(tmp_path, make_cert(p256, subject=x509.Name(names)))


_DNS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)
_IPS = st.one_of(
    st.integers(0, 2**32 - 1).map(lambda n: ipaddress.IPv4Address(n)),
    st.integers(0, 2**128 - 1).map(lambda n: ipaddress.IPv6Address(n)),
    st.integers(0, 2**32 - 1).map(lambda n: ipaddress.IPv6Address((0xFFFF << 32) | n)),
    st.sampled_from([0, 1, 2**64, (1 << 112) | 1, 0xFE80 << 112]).map(ipaddress.IPv6Address),
)


@_SETTINGS
@given(
    sans=st.lists(
        st.one_of(_DNS.map(x509.DNSName), _IPS.map(x509.IPAddress)), min_size=1, max_size=8
    )
)
def test_random_sans(tmp_path: Path, p256, sans) -> None:
    compare_ok(tmp_path, make_cert(p256, sans=sans))


_STRING_TAGS = [0x0C, 0x12, 0x13, 0x14, 0x16, 0x1E, 0x1C, 0x1A, 0x04]


@_SETTINGS
@given(
    attributes=st.lists(
        st.tuples(
            st.sampled_from(["2.5.4.3", "2.5.4.10", "2.5.4.6", "1.2.840.113549.1.9.1", "1.2.3"]),
            st.sampled_from(_STRING_TAGS),
            st.binary(max_size=12)
            | st.text(max_size=8).map(lambda t: t.encode("utf-8", "replace")),
        ),
        max_size=5,
    )
)
def test_random_raw_string_values(tmp_path: Path, attributes) -> None:
    compare(tmp_path, pem(raw_cert(subject=raw_name(*[[a] for a in attributes]))))


@_SETTINGS
@given(
    uri=st.lists(
        st.sampled_from(list("ab:/?#@%[]1.-_~ 09xX+*!$&'()=,;<>\"{}|\\^`") + ["%41", "%25", "é"]),
        max_size=20,
    ).map("".join)
)
def test_random_uri_sans(tmp_path: Path, uri: str) -> None:
    value = uri.encode("utf-8")
    compare(tmp_path, pem(raw_cert(extensions=[ext("2.5.29.17", seq(tlv(0x86, value)))])))
