"""Unit tests for wizard.certinfo (cfssl-certinfo output) and wizard.gojson (Go's JSON text)."""

from __future__ import annotations

import datetime
import io
import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.der import EC_KEY, ext, oid, pem, raw_cert, seq, tlv
from tests.der import raw_name as name
from wizard import certinfo, gojson
from wizard.certinfo import (
    CertinfoError,
    certificate_der_for_certinfo,
    certinfo_document,
    certinfo_document_from_der,
    certinfo_json,
    load_certificate_for_certinfo,
    run_certinfo,
)

# A copy of ../shared/reference/golden-cfssl (made by Debian's cfssl 1.2), kept in the repository
# so these comparisons run anywhere, cfssl or not.
GOLDEN = Path(__file__).resolve().parent / "data" / "golden-cfssl"
GOLDEN_PEMS = sorted(GOLDEN.glob("*/*.pem")) if GOLDEN.is_dir() else []

DECODE_FAILED = '{"code":1002,"message":"Failed to decode certificate"}'
PARSE_FAILED = '{"code":1003,"message":"Failed to parse certificate"}'
ONLY_ONE = '{"code":1003,"message":"the PEM file should contain only one object"}'


# ---- helpers -------------------------------------------------------------------------------


def build(
    names: list[x509.NameAttribute] | x509.Name | None = None,
    sans: list[x509.GeneralName] | None = None,
    serial: int = 1,
    key_ids: bool = False,
    not_before: datetime.datetime = datetime.datetime(2020, 1, 1),
    not_after: datetime.datetime = datetime.datetime(2030, 1, 1),
) -> x509.Certificate:
    """A self-signed ECDSA P-256 certificate made with cryptography."""
    subject = (
        names
        if isinstance(names, x509.Name)
        else x509.Name(names or [x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(EC_KEY.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if key_ids:
        ski = x509.SubjectKeyIdentifier.from_public_key(EC_KEY.public_key())
        builder = builder.add_extension(ski, critical=False)
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
        builder = builder.add_extension(aki, critical=False)
    return builder.sign(EC_KEY, hashes.SHA256())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def run(data: bytes | None = None, path: str = "-") -> tuple[int, bytes, bytes]:
    out, err = io.BytesIO(), io.BytesIO()
    code = run_certinfo(path, io.BytesIO(data or b""), out, err)
    return code, out.getvalue(), err.getvalue()


# ---- golden files made by real cfssl -------------------------------------------------------


@pytest.mark.skipif(not GOLDEN_PEMS, reason=f"no golden cfssl files under {GOLDEN}")
@pytest.mark.parametrize("pem_path", GOLDEN_PEMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_output_byte_for_byte(pem_path: Path) -> None:
    expected = pem_path.with_suffix(".certinfo.json").read_bytes()
    code, out, err = run(path=str(pem_path))
    assert (code, err) == (0, b"")
    assert out == expected
    cert = load_certificate_for_certinfo(pem_path.read_bytes())
    assert certinfo_json(cert).encode() == expected


@pytest.mark.skipif(not GOLDEN_PEMS, reason=f"no golden cfssl files under {GOLDEN}")
def test_golden_key_ids_unpadded() -> None:
    """The guide's sample shows cfssl 1.2's unpadded ids; the golden CA has one with ':1:'."""
    text = (GOLDEN / "rsa-seed" / "kubernetes.certinfo.json").read_text()
    assert '"subject_key_id": "62:1:10:E4:' in text


@pytest.mark.skipif(not GOLDEN_PEMS, reason=f"no golden cfssl files under {GOLDEN}")
def test_golden_csr_is_not_a_certificate() -> None:
    csr = next(GOLDEN.glob("*/*.csr"))
    note = b"note: standard input holds a certificate request (CERTIFICATE REQUEST), not a "
    assert run(csr.read_bytes()) == (
        1,
        b"",
        PARSE_FAILED.encode() + b"\n" + note + b"certificate\n",
    )


# ---- gojson --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", '"plain"'),
        ("<>&", r'"\u003c\u003e\u0026"'),
        ('"\\', r'"\"\\"'),
        ("\n\r\t", r'"\n\r\t"'),
        ("\b\f\x00\x1f", r'"\u0008\u000c\u0000\u001f"'),
        ("\x7f", '"\x7f"'),
        ("\u2028\u2029", r'"\u2028\u2029"'),
        ("北京 é 😀 \ufffd", '"北京 é 😀 \ufffd"'),
        ("/", '"/"'),
        ("caf\udce9", r'"caf\ufffd"'),
    ],
)
def test_gojson_string_escaping(text: str, expected: str) -> None:
    assert gojson.quote(text) == expected
    assert gojson.marshal_indent(text) == expected


def test_gojson_layout() -> None:
    value = {"a": {}, "b": [], "c": [1, "x", True, False, None], "d": {"e": {"f": []}}, "g": -5}
    assert gojson.marshal_indent(value) == (
        "{\n"
        '  "a": {},\n'
        '  "b": [],\n'
        '  "c": [\n'
        "    1,\n"
        '    "x",\n'
        "    true,\n"
        "    false,\n"
        "    null\n"
        "  ],\n"
        '  "d": {\n'
        '    "e": {\n'
        '      "f": []\n'
        "    }\n"
        "  },\n"
        '  "g": -5\n'
        "}"
    )
    assert gojson.marshal_indent({}) == "{}"
    assert gojson.marshal_indent([]) == "[]"
    assert gojson.marshal_indent({"k<": "v"}) == '{\n  "k\\u003c": "v"\n}'


def test_gojson_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        gojson.marshal_indent(1.5)
    with pytest.raises(TypeError):
        gojson.marshal_indent({1: "x"})
    with pytest.raises(TypeError):
        gojson.marshal_indent(b"bytes")


# ---- the document --------------------------------------------------------------------------


def test_document_key_order_and_values() -> None:
    cert = build(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "BeiJing"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "BeiJing"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "k8s"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "System"),
            x509.NameAttribute(NameOID.STREET_ADDRESS, "1 Road"),
            x509.NameAttribute(NameOID.POSTAL_CODE, "100000"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "S1"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@b.c"),
            x509.NameAttribute(NameOID.COMMON_NAME, "first"),
            x509.NameAttribute(NameOID.COMMON_NAME, "admin"),
        ],
        sans=[
            x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
            x509.DNSName("b.example"),
            x509.RFC822Name("x@y.z"),
            x509.UniformResourceIdentifier("spiffe://c/x"),
            x509.IPAddress(ipaddress.ip_address("fd00:0:0:0:0:0:0:1")),
            x509.IPAddress(ipaddress.ip_address("::ffff:1.2.3.4")),
            x509.DNSName("a.example"),
        ],
        serial=(1 << 159) - 1,
        key_ids=True,
        not_before=datetime.datetime(1950, 1, 1),
        not_after=datetime.datetime(2050, 1, 1),
    )
    document = certinfo_document(cert)
    assert list(document) == [
        "subject",
        "issuer",
        "serial_number",
        "sans",
        "not_before",
        "not_after",
        "sigalg",
        "authority_key_id",
        "subject_key_id",
        "pem",
    ]
    assert document["subject"] == {
        "common_name": "admin",
        "serial_number": "S1",
        "country": "CN",
        "organization": "k8s,system:masters",
        "organizational_unit": "System",
        "locality": "BeiJing",
        "province": "BeiJing",
        "street_address": "1 Road",
        "postal_code": "100000",
        "names": [
            "CN",
            "BeiJing",
            "BeiJing",
            "k8s",
            "system:masters",
            "System",
            "1 Road",
            "100000",
            "S1",
            "a@b.c",
            "first",
            "admin",
        ],
    }
    assert document["issuer"] == document["subject"]
    assert document["serial_number"] == str((1 << 159) - 1)
    assert document["sans"] == ["b.example", "a.example", "10.0.0.1", "fd00::1", "1.2.3.4"]
    assert document["not_before"] == "1950-01-01T00:00:00Z"
    assert document["not_after"] == "2050-01-01T00:00:00Z"
    assert document["sigalg"] == "ECDSAWithSHA256"
    assert document["authority_key_id"] == document["subject_key_id"] != ""
    assert document["pem"] == cert_pem(cert).decode()


def test_no_sans_no_key_ids_empty_subject() -> None:
    document = certinfo_document_from_der(raw_cert(subject=name()))
    assert document["subject"] == {} and document["issuer"] == {}
    assert "sans" not in document
    assert document["authority_key_id"] == document["subject_key_id"] == ""
    assert gojson.marshal_indent(document).startswith('{\n  "subject": {},\n  "issuer": {},\n')


def test_sans_left_out_when_only_email_and_uri() -> None:
    cert = build(sans=[x509.RFC822Name("a@b.c"), x509.UniformResourceIdentifier("https://x/")])
    assert "sans" not in certinfo_document(cert)


@pytest.mark.parametrize(
    ("key_id", "text"),
    [
        (b"\x0e", "E"),
        (b"\x00", "0"),
        (b"\x0e\x00\xff\x10\x01", "E:0:FF:10:1"),
        (bytes(range(0x62, 0x65)), "62:63:64"),
    ],
)
def test_key_id_formatting(key_id: bytes, text: str) -> None:
    der = raw_cert(
        extensions=[ext("2.5.29.14", tlv(4, key_id)), ext("2.5.29.35", seq(tlv(0x80, key_id)))]
    )
    document = certinfo_document_from_der(der)
    assert document["subject_key_id"] == document["authority_key_id"] == text


def test_aki_without_key_identifier_is_empty() -> None:
    issuer_only = seq(tlv(0xA1, tlv(0xA4, name([("2.5.4.3", 0x0C, b"ca")]))), tlv(0x82, b"\x01"))
    document = certinfo_document_from_der(raw_cert(extensions=[ext("2.5.29.35", issuer_only)]))
    assert document["authority_key_id"] == ""


def test_repeated_attributes_and_empty_values() -> None:
    subject = name(
        [("2.5.4.3", 0x0C, b"a")],
        [("2.5.4.3", 0x0C, b"")],
        [("2.5.4.6", 0x13, b""), ("2.5.4.6", 0x13, b"")],
        [("2.5.4.10", 0x0C, b"")],
        [("2.5.4.5", 0x13, b"1"), ("2.5.4.5", 0x13, b"2")],
        [("1.2.3.4", 0x0C, b"unknown")],
    )
    document = certinfo_document_from_der(raw_cert(subject=subject))
    assert document["subject"] == {
        "serial_number": "2",
        "country": ",",
        "names": ["a", "", "", "", "", "1", "2", "unknown"],
    }


@pytest.mark.parametrize(
    ("tag", "raw", "value"),
    [
        (0x13, b"*.a&b", "*.a&b"),  # Go allows * and & in PrintableString
        (0x14, b"caf\xe9", "caf\udce9"),  # T61String: raw bytes
        (0x16, b"a@b", "a@b"),
        (0x12, b"12 3", "12 3"),
        (0x1E, "h😀".encode("utf-16-be") + b"\x00\x00", "h😀"),
        (0x1E, b"\xd8\x00\x00a", "\ufffda"),
    ],
)
def test_string_types_as_go_reads_them(tag: int, raw: bytes, value: str) -> None:
    document = certinfo_document_from_der(raw_cert(subject=name([("2.5.4.3", tag, raw)])))
    assert document["subject"] == {"common_name": value, "names": [value]}


def test_invalid_utf8_prints_as_escape() -> None:
    code, out, _ = run(pem(raw_cert(subject=name([("2.5.4.3", 0x14, b"caf\xe9")]))))
    assert code == 0
    assert b'"common_name": "caf\\ufffd",' in out


@pytest.mark.parametrize(
    ("tag", "raw"),
    [(0x1C, b"\x00\x00\x00a"), (0x1A, b"a"), (0x13, b"a@b"), (0x12, b"1a"), (0x0C, b"\xff")],
)
def test_string_types_go_rejects(tag: int, raw: bytes) -> None:
    with pytest.raises(CertinfoError) as caught:
        certinfo_document_from_der(raw_cert(subject=name([("2.5.4.3", tag, raw)])))
    assert caught.value.message == PARSE_FAILED


@pytest.mark.parametrize(
    ("times", "before", "after"),
    [
        (
            (0x17, b"491231235959Z", 0x17, b"500101000000Z"),
            "2049-12-31T23:59:59Z",
            "1950-01-01T00:00:00Z",
        ),
        (
            (0x18, b"19000101000000Z", 0x18, b"99991231235959Z"),
            "1900-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ),
        (
            (0x17, b"2001010000Z", 0x17, b"200101000000+0130"),
            "2020-01-01T00:00:00Z",
            "2020-01-01T00:00:00+01:30",
        ),
        (
            (0x17, b"000229000000Z", 0x17, b"200101000000-2400"),
            "2000-02-29T00:00:00Z",
            "2020-01-01T00:00:00-24:00",
        ),
    ],
)
def test_times(times: tuple[int, bytes, int, bytes], before: str, after: str) -> None:
    validity = seq(tlv(times[0], times[1]), tlv(times[2], times[3]))
    document = certinfo_document_from_der(raw_cert(validity=validity))
    assert (document["not_before"], document["not_after"]) == (before, after)


@pytest.mark.parametrize(
    "text",
    [b"200101000000+0000", b"200101000060Z", b"210229000000Z", b"200101000000.5Z", b"2001010000"],
)
def test_bad_times(text: bytes) -> None:
    validity = seq(tlv(0x17, text), tlv(0x17, b"300101000000Z"))
    with pytest.raises(CertinfoError):
        certinfo_document_from_der(raw_cert(validity=validity))


@pytest.mark.parametrize(
    ("algorithm", "label"),
    [
        ("1.2.840.113549.1.1.2", "MD2WithRSA"),
        ("1.2.840.113549.1.1.4", "MD5WithRSA"),
        ("1.2.840.113549.1.1.5", "SHA1WithRSA"),
        ("1.3.14.3.2.29", "SHA1WithRSA"),
        ("1.2.840.113549.1.1.11", "SHA256WithRSA"),
        ("1.2.840.113549.1.1.12", "SHA384WithRSA"),
        ("1.2.840.113549.1.1.13", "SHA512WithRSA"),
        ("1.2.840.113549.1.1.14", "Unknown Signature"),
        ("1.2.840.113549.1.1.10", "Unknown Signature"),
        ("1.2.840.10040.4.3", "DSAWithSHA1"),
        ("2.16.840.1.101.3.4.3.2", "DSAWithSHA256"),
        ("1.2.840.10045.4.1", "ECDSAWithSHA1"),
        ("1.2.840.10045.4.3.1", "Unknown Signature"),
        ("1.2.840.10045.4.3.2", "ECDSAWithSHA256"),
        ("1.2.840.10045.4.3.3", "ECDSAWithSHA384"),
        ("1.2.840.10045.4.3.4", "ECDSAWithSHA512"),
        ("1.3.101.112", "Unknown Signature"),
    ],
)
def test_sigalg_names(algorithm: str, label: str) -> None:
    document = certinfo_document_from_der(raw_cert(sigalg=seq(oid(algorithm))))
    assert document["sigalg"] == label


@pytest.mark.parametrize(
    "der",
    [
        pytest.param(raw_cert(outer_sigalg=seq(oid("1.2.840.10045.4.3.3"))), id="sigalg-mismatch"),
        pytest.param(
            raw_cert(extensions=[ext("2.5.29.14", tlv(4, b"1")), ext("2.5.29.14", tlv(4, b"2"))]),
            id="duplicate-extension",
        ),
        pytest.param(raw_cert(version=3), id="version-4"),
        pytest.param(raw_cert() + b"\x00", id="trailing-data"),
        pytest.param(raw_cert(subject=name([("2.25.4294967296", 0x0C, b"x")])), id="oid-arc-2^32"),
        pytest.param(
            raw_cert(extensions=[ext("2.5.29.17", seq(tlv(0x87, b"\x01\x02\x03")))]),
            id="san-ip-length-3",
        ),
        pytest.param(
            raw_cert(extensions=[ext("2.5.29.17", seq(tlv(0x82, "é".encode())))]),
            id="san-dns-non-ascii",
        ),
        pytest.param(
            raw_cert(extensions=[ext("2.5.29.17", seq(tlv(0x86, b"http://h:8a/")))]),
            id="san-uri-bad-port",
        ),
        pytest.param(raw_cert(extensions=[ext("2.5.29.15", b"\x05\x00")]), id="bad-key-usage"),
    ],
)
def test_certificates_go_rejects(der: bytes) -> None:
    with pytest.raises(CertinfoError) as caught:
        certinfo_document_from_der(der)
    assert caught.value.message == PARSE_FAILED
    assert run(pem(der)) == (1, b"", PARSE_FAILED.encode() + b"\n")


def test_certificates_go_accepts_beyond_cryptography() -> None:
    """Version 1 and 2 certificates, negative serials; v1 extensions are ignored."""
    assert certinfo_document_from_der(raw_cert(version=1))["serial_number"] == "1"
    v1 = raw_cert(version=None, serial=-5, extensions=[ext("2.5.29.14", tlv(4, b"\x01"))])
    document = certinfo_document_from_der(v1)
    assert (document["serial_number"], document["subject_key_id"]) == ("-5", "")


def test_unsupported_curve_is_a_parse_error() -> None:
    key = ec.generate_private_key(ec.SECP256K1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2030, 1, 1))
        .sign(EC_KEY, hashes.SHA256())
    )
    assert run(cert_pem(cert)) == (1, b"", PARSE_FAILED.encode() + b"\n")


@pytest.mark.parametrize("curve", [ec.SECP224R1(), ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_curve_points_checked(curve: ec.EllipticCurve) -> None:
    point = bytearray(
        ec.generate_private_key(curve)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    curve_oid = {224: "1.3.132.0.33", 256: "1.2.840.10045.3.1.7"}.get(
        curve.key_size, f"1.3.132.0.{34 if curve.key_size == 384 else 35}"
    )
    certinfo._check_public_key(
        (1, 2, 840, 10045, 2, 1), oid(curve_oid), bytes(point)
    )  # on the curve: no error
    point[-1] ^= 1
    with pytest.raises(certinfo._GoParseError):
        certinfo._check_public_key((1, 2, 840, 10045, 2, 1), oid(curve_oid), bytes(point))


# ---- input rules and error messages ----------------------------------------------------------


@pytest.fixture(scope="module")
def one_pem() -> bytes:
    return cert_pem(build(key_ids=True))


@pytest.fixture(scope="module")
def expected_json(one_pem: bytes) -> bytes:
    return certinfo_json(x509.load_pem_x509_certificate(one_pem)).encode()


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda p: p, id="plain"),
        pytest.param(lambda p: b"text before\n" + p, id="preamble"),
        pytest.param(lambda p: p + b"\n \t\r\n\v\f", id="trailing-whitespace"),
        pytest.param(lambda p: p + "\u00a0\u3000\u2028".encode(), id="trailing-unicode-space"),
        pytest.param(lambda p: b"  " + p, id="leading-spaces"),
        pytest.param(lambda p: p.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda p: p.replace(b"CERTIFICATE", b"WHATEVER"), id="block-type-ignored"),
        pytest.param(
            lambda p: b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n" + p,
            id="bad-first-block-skipped",
        ),
    ],
)
def test_accepted_inputs(wrap, one_pem: bytes, expected_json: bytes) -> None:
    assert run(wrap(one_pem)) == (0, expected_json, b"")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p + p, ONLY_ONE, id="two-certificates"),
        pytest.param(lambda p: p + b"junk\n", ONLY_ONE, id="trailing-junk"),
        pytest.param(lambda p: p + b"\xa0", ONLY_ONE, id="trailing-latin1-nbsp"),
        pytest.param(lambda p: b"", DECODE_FAILED, id="empty"),
        pytest.param(lambda p: b"no pem here\n", DECODE_FAILED, id="text"),
        pytest.param(
            lambda p: x509.load_pem_x509_certificate(p).public_bytes(serialization.Encoding.DER),
            DECODE_FAILED,
            id="der",
        ),
        pytest.param(
            lambda p: EC_KEY.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ),
            PARSE_FAILED,
            id="key",
        ),
        pytest.param(lambda p: pem(b"") + p, PARSE_FAILED, id="empty-block-then-cert"),
        pytest.param(lambda p: pem(b"\x30\x00") + b"junk", PARSE_FAILED, id="bad-block-and-junk"),
    ],
)
def test_rejected_inputs(make, message: str, one_pem: bytes) -> None:
    data = make(one_pem)
    code, out, err = run(data)
    assert (code, out, err.splitlines()[0]) == (1, b"", message.encode())
    note = b"note: standard input holds a private key (EC PRIVATE KEY), not a certificate"
    assert err.splitlines()[1:] == ([note] if b"PRIVATE KEY" in data else [])
    with pytest.raises(CertinfoError) as caught:
        load_certificate_for_certinfo(data)
    assert caught.value.message == message
    with pytest.raises(CertinfoError):
        certificate_der_for_certinfo(data)


def test_csr_is_rejected() -> None:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
        .sign(EC_KEY, hashes.SHA256())
    )
    note = b"note: standard input holds a certificate request (CERTIFICATE REQUEST), not a "
    assert run(csr.public_bytes(serialization.Encoding.PEM)) == (
        1,
        b"",
        PARSE_FAILED.encode() + b"\n" + note + b"certificate\n",
    )


def test_file_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "missing.pem"
    assert run(path=str(missing)) == (
        1,
        b"",
        f"open {missing}: no such file or directory\n".encode(),
    )
    assert run(path="rel.pem")[2] == b"open rel.pem: no such file or directory\n"
    assert run(path=str(tmp_path)) == (1, b"", f"read {tmp_path}: is a directory\n".encode())
    assert run(path=str(missing / "x"))[2].endswith(b": no such file or directory\n")
    file_as_dir = tmp_path / "f"
    file_as_dir.write_bytes(b"")
    assert (
        run(path=str(file_as_dir / "x"))[2] == f"open {file_as_dir}/x: not a directory\n".encode()
    )

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", denied)
    assert run(path="secret.pem") == (1, b"", b"open secret.pem: permission denied\n")


def test_file_and_stdin(tmp_path: Path, one_pem: bytes, expected_json: bytes) -> None:
    path = tmp_path / "c.pem"
    path.write_bytes(one_pem)
    assert run(path=str(path)) == (0, expected_json, b"")
    assert run(one_pem, path="-") == (0, expected_json, b"")
    # A text stdin with a buffer, as sys.stdin is.
    stdin = io.TextIOWrapper(io.BytesIO(one_pem), encoding="ascii")
    out = io.BytesIO()
    assert run_certinfo("-", stdin, out, io.BytesIO()) == 0
    assert out.getvalue() == expected_json


def test_text_streams_get_raw_utf8(tmp_path: Path) -> None:
    """Non-ASCII goes out as UTF-8 bytes even when the text stream's encoding is ASCII."""
    cert = build([x509.NameAttribute(NameOID.COMMON_NAME, "北京")])
    stdout_bytes = io.BytesIO()
    stdout = io.TextIOWrapper(stdout_bytes, encoding="ascii")
    assert run_certinfo("-", io.BytesIO(cert_pem(cert)), stdout, io.StringIO()) == 0
    assert '"common_name": "北京"'.encode() in stdout_bytes.getvalue()
    # A StringIO (no buffer) receives the text.
    string_out = io.StringIO()
    assert run_certinfo("-", io.BytesIO(cert_pem(cert)), string_out, io.StringIO()) == 0
    assert '"common_name": "北京"' in string_out.getvalue()
    string_err = io.StringIO()
    assert run_certinfo("-", io.BytesIO(b""), io.StringIO(), string_err) == 1
    assert string_err.getvalue() == DECODE_FAILED + "\n"


def test_load_returns_cryptography_certificate(one_pem: bytes) -> None:
    cert = load_certificate_for_certinfo(b"preamble\n" + one_pem)
    assert isinstance(cert, x509.Certificate)
    assert cert == x509.load_pem_x509_certificate(one_pem)
    assert certificate_der_for_certinfo(one_pem) == cert.public_bytes(serialization.Encoding.DER)


def test_load_of_go_only_certificate_raises() -> None:
    data = pem(raw_cert(subject=name([("2.5.4.3", 0x13, b"*.example")])))
    assert run(data)[0] == 0
    with pytest.raises(CertinfoError):
        load_certificate_for_certinfo(data)


def test_certinfo_error_carries_message() -> None:
    error = CertinfoError(ONLY_ONE)
    assert error.message == ONLY_ONE and str(error) == ONLY_ONE


def test_module_imports_no_ui_or_cryptography() -> None:
    code = (
        "import sys, wizard.certinfo; "
        "bad = [m for m in ('textual', 'rich', 'cryptography') if m in sys.modules]; "
        "print(bad)"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.strip() == "[]"


def test_an_endless_input_is_refused_not_read_forever() -> None:
    code, out, err = run(path="/dev/zero")
    assert (code, out) == (1, b"")
    assert b"read /dev/zero: more than 64 MiB" in err
    code, out, err = run(data=b"\0" * (64 * 2**20 + 1))
    assert code == 1 and b"read stdin: more than 64 MiB" in err
