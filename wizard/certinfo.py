"""``cfssl-certinfo -cert FILE`` byte for byte, as Debian's cfssl 1.2 (Go 1.19 build) prints it.

The document is built from the certificate's DER with a port of the parts of Go 1.19's
``crypto/x509`` parser that decide what cfssl prints, or whether it prints at all: Go accepts some
certificates that ``cryptography`` rejects (PrintableString with ``*`` or ``&``, times with a UTC
offset, minute-precision UTCTime, version 2) and rejects some that it accepts (curves other than
P-224/256/384/521, string types other than the six Go knows, OID arcs of 2^31 and more, duplicate
extensions, differing inner and outer signature algorithms, malformed SANs, key usage, basic
constraints, EKU, policies, CRL distribution points, AIA, name constraints). :func:`run_certinfo`
never goes through ``cryptography``; :func:`certinfo_document` takes a loaded certificate.

Messages, all checked against ``/usr/bin/cfssl-certinfo`` (each printed with one trailing newline):

* ``{"code":1002,"message":"Failed to decode certificate"}``: no PEM block (DER, empty file);
* ``{"code":1003,"message":"Failed to parse certificate"}``: the first PEM block, whatever its type,
  is not a certificate Go can parse (a key, a CSR, PKCS #7);
* ``{"code":1003,"message":"the PEM file should contain only one object"}``: anything but
  whitespace after the first PEM block;
* ``open NAME: no such file or directory`` / ``open NAME: permission denied`` /
  ``read NAME: is a directory``: Go's ``*os.PathError`` text.

Only the standard library is imported at module level; ``cryptography`` is imported lazily by the
functions that take or return its objects.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import io
import os
import re
from typing import TYPE_CHECKING, BinaryIO, TextIO

from wizard import gojson

if TYPE_CHECKING:  # pragma: no cover
    from cryptography import x509

__all__ = [
    "CertinfoError",
    "certificate_der_for_certinfo",
    "certinfo_document",
    "certinfo_document_from_der",
    "certinfo_json",
    "load_certificate_for_certinfo",
    "not_a_certificate_hint",
    "run_certinfo",
]

DECODE_FAILED = '{"code":1002,"message":"Failed to decode certificate"}'
PARSE_FAILED = '{"code":1003,"message":"Failed to parse certificate"}'
ONLY_ONE_OBJECT = '{"code":1003,"message":"the PEM file should contain only one object"}'
ONLY_ONE_CERTIFICATE = (
    '{"code":1003,"message":"the PKCS7 object in the PEM file should contain only one certificate"}'
)


class CertinfoError(Exception):
    """An error cfssl-certinfo reports; ``message`` is its exact stderr line (without newline)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _GoParseError(Exception):
    """Go's ``x509.ParseCertificate`` would return an error."""


# --------------------------------------------------------------------------------------------
# Input: bytes.TrimSpace + encoding/pem.Decode + cfssl's helpers.ParseCertificatePEM
# --------------------------------------------------------------------------------------------

_ASCII_SPACE = b"\t\n\v\f\r "
# UTF-8 of the non-ASCII code points Go's unicode.IsSpace accepts.
_UNICODE_SPACES = tuple(
    chr(cp).encode()
    for cp in (0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)


def _go_trim_space(data: bytes) -> bytes:
    """Go's ``bytes.TrimSpace``: ASCII and Unicode white space off both ends."""
    start, end = 0, len(data)
    while start < end:
        if data[start] in _ASCII_SPACE:
            start += 1
            continue
        for sp in _UNICODE_SPACES:
            if data.startswith(sp, start, end):
                start += len(sp)
                break
        else:
            break
    while end > start:
        if data[end - 1] in _ASCII_SPACE:
            end -= 1
            continue
        for sp in _UNICODE_SPACES:
            if data.endswith(sp, start, end):
                end -= len(sp)
                break
        else:
            break
    return data[start:end]


def _get_line(data: bytes) -> tuple[bytes, bytes]:
    """encoding/pem's getLine: first line without trailing spaces/tabs, and the rest."""
    i = data.find(b"\n")
    if i < 0:
        i = j = len(data)
    else:
        j = i + 1
        if i > 0 and data[i - 1] == 0x0D:
            i -= 1
    return data[:i].rstrip(b" \t"), data[j:]


_B64_RE = re.compile(rb"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _go_b64decode(data: bytes) -> bytes | None:
    """Go's ``base64.StdEncoding.Decode`` (newlines skipped, padding required), or None."""
    data = data.replace(b"\r", b"").replace(b"\n", b"")
    if not _B64_RE.fullmatch(data):
        return None
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError):  # pragma: no cover - the regex already checked
        return None


def _pem_decode(data: bytes) -> tuple[bytes | None, bytes]:
    """Go 1.19 ``pem.Decode``: (block bytes or None, rest). The block type is not returned."""
    rest = data
    if data.startswith(b"-----BEGIN "):
        rest = data[len(b"-----BEGIN ") :]
    else:
        i = data.find(b"\n-----BEGIN ")
        if i < 0:
            return None, data
        rest = data[i + len(b"\n-----BEGIN ") :]

    type_line, rest = _get_line(rest)
    if not type_line.endswith(b"-----"):
        return _pem_decode_error(data, rest)
    type_line = type_line[:-5]

    have_headers = False
    while True:
        if not rest:
            return None, data
        line, nxt = _get_line(rest)
        if b":" not in line:
            break
        have_headers = True
        rest = nxt

    if not have_headers and rest.startswith(b"-----END "):
        end_index = 0
        trailer_index = len(b"-----END ")
    else:
        end_index = rest.find(b"\n-----END ")
        trailer_index = end_index + len(b"\n-----END ")
    if end_index < 0:
        return _pem_decode_error(data, rest)

    end_trailer = rest[trailer_index:]
    trailer_len = len(type_line) + 5
    if len(end_trailer) < trailer_len:
        return _pem_decode_error(data, rest)
    rest_of_end_line = end_trailer[trailer_len:]
    end_trailer = end_trailer[:trailer_len]
    if not end_trailer.startswith(type_line) or not end_trailer.endswith(b"-----"):
        return _pem_decode_error(data, rest)
    if _get_line(rest_of_end_line)[0]:
        return _pem_decode_error(data, rest)

    b64 = rest[:end_index].replace(b" ", b"").replace(b"\t", b"")
    block = _go_b64decode(b64)
    if block is None:
        return _pem_decode_error(data, rest)
    _, after = _get_line(rest[end_index + len(b"\n-----END ") - 1 :])
    return block, after


def _pem_decode_error(data: bytes, rest: bytes) -> tuple[bytes | None, bytes]:
    block, rest = _pem_decode(rest)
    if block is None:
        rest = data
    return block, rest


def certificate_der_for_certinfo(data: bytes) -> bytes:
    """The certificate DER cfssl 1.2's ``helpers.ParseCertificatePEM`` would accept from ``data``.

    Text before the first PEM block is skipped and the block type is not checked; anything but
    white space after it, no PEM block, or a block Go cannot parse as a certificate raise
    :class:`CertinfoError` with cfssl's message.
    """
    return _load(data).raw


def _load(data: bytes) -> _GoCertificate:
    block, rest = _pem_decode(_go_trim_space(data))
    if block is None:
        raise CertinfoError(DECODE_FAILED)
    try:
        certs = [_parse_go_certificate(block)]
    except _GoParseError:
        try:
            certs = _pkcs7_certificates(block)
        except _GoParseError:
            raise CertinfoError(PARSE_FAILED) from None
    if rest:
        raise CertinfoError(ONLY_ONE_OBJECT)
    if len(certs) > 1:
        raise CertinfoError(ONLY_ONE_CERTIFICATE)
    return certs[0]


_SIGNED_DATA = (1, 2, 840, 113549, 1, 7, 2)


def _pkcs7_certificates(der: bytes) -> list[_GoCertificate]:
    """The certificates of a PKCS #7 SignedData, as cfssl 1.2's ``pkcs7.ParsePKCS7`` reads it.

    Its signedData struct has six fields — version, digest algorithms, content info,
    certificates, CRLs, signer infos — all but the version matching any element, and only the
    middle two optional when the sequence ends early. So what `openssl crl2pkcs7 -nocrl` writes
    (five elements) fails, and one holding a CRL (six) prints its certificate; checked against
    cfssl-certinfo. Anything else raises :class:`_GoParseError`.
    """
    outer = _Der(der)
    info = _Der(outer.read(_SEQUENCE))
    if not outer.empty() or info.read_oid() != _SIGNED_DATA:
        raise _GoParseError("pkcs7: not SignedData")
    signed = _Der(_Der(info.read(0xA0)).read(_SEQUENCE))
    signed.read_integer()
    elements: list[tuple[int, bytes, bytes]] = []
    while not signed.empty() and len(elements) < 5:  # Go allows more elements after these
        elements.append(signed.read_any())
    if len(elements) < 5:
        raise _GoParseError("pkcs7: sequence truncated")
    certificates, crls = _Der(elements[2][2]), elements[3][2]
    if crls:  # x509.ParseDERCRL: one CertificateList, nothing after it
        crl = _Der(crls)
        crl.read(_SEQUENCE)
        if not crl.empty():
            raise _GoParseError("x509: trailing data after CRL")
    found = []
    while not certificates.empty():
        found.append(_parse_go_certificate(certificates.read_element(_SEQUENCE)))
    if not found:
        raise _GoParseError("PKCS #7 structure contains no certificates")
    return found


# --------------------------------------------------------------------------------------------
# A DER reader with golang.org/x/crypto/cryptobyte's rules
# --------------------------------------------------------------------------------------------

_BOOLEAN, _INTEGER, _BIT_STRING, _OCTET_STRING, _NULL, _OID = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
_SEQUENCE, _SET = 0x30, 0x31
_UTF8, _NUMERIC, _PRINTABLE, _T61, _IA5, _BMP = 0x0C, 0x12, 0x13, 0x14, 0x16, 0x1E
_UTCTIME, _GENTIME = 0x17, 0x18


class _Der:
    """A cursor over DER; every failed read raises :class:`_GoParseError`."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def empty(self) -> bool:
        return self.pos >= len(self.data)

    def peek(self, tag: int) -> bool:
        return not self.empty() and self.data[self.pos] == tag

    def read_any(self) -> tuple[int, bytes, bytes]:
        """Read one element: (tag, whole element, contents)."""
        data, pos = self.data, self.pos
        if len(data) - pos < 2:
            raise _GoParseError("truncated")
        tag, len_byte = data[pos], data[pos + 1]
        if tag & 0x1F == 0x1F:
            raise _GoParseError("high tag number")
        if len_byte & 0x80 == 0:
            header, length = 2, len_byte
        else:
            n = len_byte & 0x7F
            if n == 0 or n > 4 or len(data) - pos < 2 + n:
                raise _GoParseError("bad length")
            length = int.from_bytes(data[pos + 2 : pos + 2 + n], "big")
            if length < 128 or length >> ((n - 1) * 8) == 0:
                raise _GoParseError("non-minimal length")
            header = 2 + n
        end = pos + header + length
        if end > len(data):
            raise _GoParseError("truncated")
        self.pos = end
        return tag, data[pos:end], data[pos + header : end]

    def read(self, tag: int) -> bytes:
        got, _, contents = self.read_any()
        if got != tag:
            raise _GoParseError(f"tag {got:#x}, want {tag:#x}")
        return contents

    def read_element(self, tag: int) -> bytes:
        got, element, _ = self.read_any()
        if got != tag:
            raise _GoParseError(f"tag {got:#x}, want {tag:#x}")
        return element

    def read_optional(self, tag: int) -> bytes | None:
        return self.read(tag) if self.peek(tag) else None

    def read_integer(self) -> int:
        return _integer(self.read(_INTEGER))

    def read_int64(self) -> int:
        contents = self.read(_INTEGER)
        if len(contents) > 8:
            raise _GoParseError("integer too large")
        return _integer(contents)

    def read_oid(self) -> tuple[int, ...]:
        return _oid(self.read(_OID))

    def read_boolean(self) -> bool:
        contents = self.read(_BOOLEAN)
        if contents == b"\x00":
            return False
        if contents == b"\xff":
            return True
        raise _GoParseError("bad BOOLEAN")

    def read_bit_string(self) -> tuple[bytes, int]:
        """(bytes, unused bit count)."""
        contents = self.read(_BIT_STRING)
        if not contents:
            raise _GoParseError("empty BIT STRING")
        padding, body = contents[0], contents[1:]
        if padding > 7 or (not body and padding) or (body and body[-1] & ((1 << padding) - 1)):
            raise _GoParseError("bad BIT STRING")
        return body, padding


def _integer(contents: bytes) -> int:
    if not contents:
        raise _GoParseError("empty INTEGER")
    if len(contents) > 1 and (
        (contents[0] == 0 and contents[1] & 0x80 == 0)
        or (contents[0] == 0xFF and contents[1] & 0x80)
    ):
        raise _GoParseError("non-minimal INTEGER")
    return int.from_bytes(contents, "big", signed=True)


def _oid(contents: bytes) -> tuple[int, ...]:
    if not contents:
        raise _GoParseError("empty OID")
    arcs: list[int] = []
    pos = 0
    while pos < len(contents):
        value = 0
        for i in range(6):
            if i == 5 or pos >= len(contents) or value >= 1 << (31 - 7):
                raise _GoParseError("bad OID")
            byte = contents[pos]
            pos += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        if not arcs:
            arcs.extend((value // 40, value % 40) if value < 80 else (2, value - 80))
        else:
            arcs.append(value)
    return tuple(arcs)


def _right_align(body: bytes, padding: int) -> bytes:
    if padding == 0 or not body:
        return body
    return (int.from_bytes(body, "big") >> padding).to_bytes(len(body), "big")


# --------------------------------------------------------------------------------------------
# Go 1.19 crypto/x509 parseCertificate, as far as cfssl-certinfo can tell
# --------------------------------------------------------------------------------------------

_SIGALG_NAMES: dict[tuple[int, ...], str] = {
    (1, 2, 840, 113549, 1, 1, 2): "MD2WithRSA",
    (1, 2, 840, 113549, 1, 1, 4): "MD5WithRSA",
    (1, 2, 840, 113549, 1, 1, 5): "SHA1WithRSA",
    (1, 3, 14, 3, 2, 29): "SHA1WithRSA",
    (1, 2, 840, 113549, 1, 1, 11): "SHA256WithRSA",
    (1, 2, 840, 113549, 1, 1, 12): "SHA384WithRSA",
    (1, 2, 840, 113549, 1, 1, 13): "SHA512WithRSA",
    (1, 2, 840, 10040, 4, 3): "DSAWithSHA1",
    (2, 16, 840, 1, 101, 3, 4, 3, 2): "DSAWithSHA256",
    (1, 2, 840, 10045, 4, 1): "ECDSAWithSHA1",
    (1, 2, 840, 10045, 4, 3, 2): "ECDSAWithSHA256",
    (1, 2, 840, 10045, 4, 3, 3): "ECDSAWithSHA384",
    (1, 2, 840, 10045, 4, 3, 4): "ECDSAWithSHA512",
}
UNKNOWN_SIGNATURE = "Unknown Signature"

_RSA = (1, 2, 840, 113549, 1, 1, 1)
_DSA = (1, 2, 840, 10040, 4, 1)
_EC = (1, 2, 840, 10045, 2, 1)
_ED25519 = (1, 3, 101, 112)


def _nist_curve(bits: int, p: int, b: str) -> tuple[int, int, int]:
    return (bits + 7) // 8, p, int(b, 16)


# Named curves Go 1.19 knows: (coordinate length, p, b); a = p - 3 for all of them.
_CURVES: dict[tuple[int, ...], tuple[int, int, int]] = {
    (1, 3, 132, 0, 33): _nist_curve(
        224, 2**224 - 2**96 + 1, "b4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4"
    ),
    (1, 2, 840, 10045, 3, 1, 7): _nist_curve(
        256,
        2**256 - 2**224 + 2**192 + 2**96 - 1,
        "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
    ),
    (1, 3, 132, 0, 34): _nist_curve(
        384,
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a"
        "c656398d8a2ed19d2a85c8edd3ec2aef",
    ),
    (1, 3, 132, 0, 35): _nist_curve(
        521,
        2**521 - 1,
        "51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109"
        "e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
    ),
}

# pkix.Name fields by the last arc of 2.5.4.N.
_SINGLE_FIELDS = {3: "common_name", 5: "serial_number"}
_LIST_FIELDS = {
    6: "country",
    10: "organization",
    11: "organizational_unit",
    7: "locality",
    8: "province",
    9: "street_address",
    17: "postal_code",
}
_NAME_KEYS = (
    "common_name",
    "serial_number",
    "country",
    "organization",
    "organizational_unit",
    "locality",
    "province",
    "street_address",
    "postal_code",
)

_PRINTABLE_CHARS = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+,-./ :=?*&"
)


class _GoCertificate:
    """What cfssl-certinfo reads from Go's ``*x509.Certificate``."""

    __slots__ = (
        "raw",
        "serial",
        "sigalg",
        "issuer",
        "subject",
        "not_before",
        "not_after",
        "dns_names",
        "ip_addresses",
        "authority_key_id",
        "subject_key_id",
    )

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.serial = 0
        self.sigalg = UNKNOWN_SIGNATURE
        self.issuer: list[tuple[tuple[int, ...], str]] = []
        self.subject: list[tuple[tuple[int, ...], str]] = []
        self.not_before = ""
        self.not_after = ""
        self.dns_names: list[str] = []
        self.ip_addresses: list[bytes] = []
        self.authority_key_id = b""
        self.subject_key_id = b""


def _parse_go_certificate(der: bytes) -> _GoCertificate:
    """Port of Go 1.19 ``x509.ParseCertificate``; raises :class:`_GoParseError`."""
    outer = _Der(der)
    raw = outer.read_element(_SEQUENCE)
    if not outer.empty():
        raise _GoParseError("x509: trailing data")
    cert = _GoCertificate(raw)
    top = _Der(_Der(raw).read(_SEQUENCE))
    tbs = _Der(top.read(_SEQUENCE))

    version = 0
    explicit = tbs.read_optional(0xA0)
    if explicit is not None:
        inner = _Der(explicit)
        version = inner.read_int64()
        if not inner.empty():
            raise _GoParseError("x509: malformed version")
    if version < 0:
        raise _GoParseError("x509: malformed version")
    version += 1
    if version > 3:
        raise _GoParseError("x509: invalid version")

    cert.serial = tbs.read_integer()

    sig_ai = tbs.read(_SEQUENCE)
    if top.read(_SEQUENCE) != sig_ai:
        raise _GoParseError("x509: inner and outer signature algorithm identifiers don't match")
    algorithm, _params = _parse_ai(sig_ai)
    cert.sigalg = _SIGALG_NAMES.get(algorithm, UNKNOWN_SIGNATURE)

    cert.issuer = _parse_name(tbs.read_element(_SEQUENCE))
    validity = _Der(tbs.read(_SEQUENCE))
    cert.not_before = _parse_time(validity)
    cert.not_after = _parse_time(validity)
    cert.subject = _parse_name(tbs.read_element(_SEQUENCE))

    spki = _Der(tbs.read(_SEQUENCE))
    pk_algorithm, pk_params = _parse_ai(spki.read(_SEQUENCE))
    key_bits, padding = spki.read_bit_string()
    _check_public_key(pk_algorithm, pk_params, _right_align(key_bits, padding))

    if version > 1:
        tbs.read_optional(0x81)
        tbs.read_optional(0x82)
        if version == 3:
            extensions = tbs.read_optional(0xA3)
            if extensions is not None:
                _process_extensions(cert, _Der(_Der(extensions).read(_SEQUENCE)))

    top.read_bit_string()
    return cert


def _parse_ai(contents: bytes) -> tuple[tuple[int, ...], bytes | None]:
    """AlgorithmIdentifier: (OID, whole parameters element or None)."""
    der = _Der(contents)
    algorithm = der.read_oid()
    if der.empty():
        return algorithm, None
    _, params, _ = der.read_any()
    return algorithm, params


def _check_public_key(algorithm: tuple[int, ...], params: bytes | None, key: bytes) -> None:
    """Go 1.19 parsePublicKey's checks; unknown algorithms are accepted."""
    der = _Der(key)
    if algorithm == _RSA:
        if params != b"\x05\x00":
            raise _GoParseError("x509: RSA key missing NULL parameters")
        seq = _Der(der.read(_SEQUENCE))
        modulus = seq.read_integer()
        exponent = seq.read_int64()
        if modulus <= 0 or exponent <= 0:
            raise _GoParseError("x509: RSA modulus or exponent is not a positive number")
    elif algorithm == _EC:
        curve = _CURVES.get(_Der(params or b"").read_oid())
        if curve is None:
            raise _GoParseError("x509: unsupported elliptic curve")
        size, p, b = curve
        if len(key) != 1 + 2 * size or key[0] != 4:
            raise _GoParseError("x509: failed to unmarshal elliptic curve point")
        x = int.from_bytes(key[1 : 1 + size], "big")
        y = int.from_bytes(key[1 + size :], "big")
        if x >= p or y >= p or (y * y - (x * x * x - 3 * x + b)) % p:
            raise _GoParseError("x509: failed to unmarshal elliptic curve point")
    elif algorithm == _ED25519:
        if params is not None:
            raise _GoParseError("x509: Ed25519 key encoded with illegal parameters")
        if len(key) != 32:
            raise _GoParseError("x509: wrong Ed25519 public key size")
    elif algorithm == _DSA:
        y = der.read_integer()
        pq = _Der(params or b"")
        dsa = _Der(pq.read(_SEQUENCE))
        values = (y, dsa.read_integer(), dsa.read_integer(), dsa.read_integer())
        if min(values) <= 0:
            raise _GoParseError("x509: zero or negative DSA parameter")


# ---- names ----------------------------------------------------------------------------------


def _parse_name(element: bytes) -> list[tuple[tuple[int, ...], str]]:
    """Go's parseName: every attribute, RDNs flattened, in DER order."""
    rdns = _Der(_Der(element).read(_SEQUENCE))
    attributes: list[tuple[tuple[int, ...], str]] = []
    while not rdns.empty():
        rdn = _Der(rdns.read(_SET))
        while not rdn.empty():
            atv = _Der(rdn.read(_SEQUENCE))
            oid = atv.read_oid()
            tag, _, value = atv.read_any()
            attributes.append((oid, _decode_string(tag, value)))
    return attributes


def _decode_string(tag: int, value: bytes) -> str:
    """Go 1.19 parseASN1String. Bytes that are not UTF-8 become lone surrogates."""
    if tag == _T61:
        return value.decode("utf-8", "surrogateescape")
    if tag == _PRINTABLE:
        if not all(b in _PRINTABLE_CHARS for b in value):
            raise _GoParseError("invalid PrintableString")
        return value.decode("ascii")
    if tag == _UTF8:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise _GoParseError("invalid UTF-8 string") from None
    if tag == _BMP:
        if len(value) % 2:
            raise _GoParseError("invalid BMPString")
        if len(value) >= 2 and value[-2:] == b"\x00\x00":
            value = value[:-2]
        return _utf16_decode(
            [int.from_bytes(value[i : i + 2], "big") for i in range(0, len(value), 2)]
        )
    if tag == _IA5:
        if any(b >= 0x80 for b in value):
            raise _GoParseError("invalid IA5String")
        return value.decode("ascii")
    if tag == _NUMERIC:
        if not all(0x30 <= b <= 0x39 or b == 0x20 for b in value):
            raise _GoParseError("invalid NumericString")
        return value.decode("ascii")
    raise _GoParseError(f"unsupported string type: {tag}")


def _utf16_decode(units: list[int]) -> str:
    """Go's ``utf16.Decode``: lone surrogates become U+FFFD."""
    out: list[str] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if 0xD800 <= unit < 0xDC00 and i + 1 < len(units) and 0xDC00 <= units[i + 1] < 0xE000:
            out.append(chr(0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00)))
            i += 2
            continue
        out.append("\ufffd" if 0xD800 <= unit < 0xE000 else chr(unit))
        i += 1
    return "".join(out)


def _name_object(attributes: list[tuple[tuple[int, ...], str]]) -> dict[str, object]:
    """cfssl's certinfo.Name: pkix.Name.FillFromRDNSequence, then omitempty."""
    single: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for oid, value in attributes:
        if len(oid) == 4 and oid[:3] == (2, 5, 4):
            if oid[3] in _SINGLE_FIELDS:
                single[_SINGLE_FIELDS[oid[3]]] = value
            elif oid[3] in _LIST_FIELDS:
                lists.setdefault(_LIST_FIELDS[oid[3]], []).append(value)
    document: dict[str, object] = {}
    for key in _NAME_KEYS:
        text = single[key] if key in single else ",".join(lists.get(key, ()))
        if text:
            document[key] = text
    if attributes:
        document["names"] = [value for _, value in attributes]
    return document


# ---- times ----------------------------------------------------------------------------------

_D2 = "([0-9]{2})"
_ZONE = "(Z|[+-][0-9]{4})"
_UTC_RE = re.compile(_D2 * 5 + _D2 + "?" + _ZONE)
_GEN_RE = re.compile("([0-9]{4})" + _D2 * 5 + _ZONE)
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _parse_time(validity: _Der) -> str:
    """A UTCTime or GeneralizedTime as Go's ``time.Time.MarshalJSON`` writes it (RFC 3339)."""
    if validity.peek(_UTCTIME):
        match = _UTC_RE.fullmatch(validity.read(_UTCTIME).decode("latin-1"))
        if not match:
            raise _GoParseError("x509: malformed UTCTime")
        yy = int(match[1])
        year = yy + (1900 if yy >= 69 else 2000)
        fields = match.groups()
        if fields[5] is None:
            fields = (*fields[:5], "00", fields[6])
        text = _rfc3339(year, fields[1:])
        if year >= 2050:  # UTCTime 50-99 are 1950-1999
            text = f"{year - 100:04d}" + text[4:]
        return text
    if validity.peek(_GENTIME):
        match = _GEN_RE.fullmatch(validity.read(_GENTIME).decode("latin-1"))
        if not match:
            raise _GoParseError("x509: malformed GeneralizedTime")
        return _rfc3339(int(match[1]), match.groups()[1:])
    raise _GoParseError("x509: unsupported time format")


def _rfc3339(year: int, fields: tuple[str, ...]) -> str:
    month, day, hour, minute, second = (int(f) for f in fields[:5])
    zone = fields[5]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = 29 if month == 2 and leap else _DAYS[month - 1] if 1 <= month <= 12 else 0
    if not (1 <= day <= days and hour < 24 and minute < 60 and second < 60):
        raise _GoParseError("x509: time out of range")
    if zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[3:5])
        # Go parses hours up to 24 and minutes up to 60, then must print the same text back.
        if zh > 24 or zm > 59 or zh == zm == 0:
            raise _GoParseError("x509: bad time zone")
        zone = f"{zone[0]}{zh:02d}:{zm:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{zone}"


# ---- extensions -----------------------------------------------------------------------------

_AIA = (1, 3, 6, 1, 5, 5, 7, 1, 1)


def _process_extensions(cert: _GoCertificate, extensions: _Der) -> None:
    """Go 1.19's extension loop and processExtensions, for the parts that can fail."""
    seen: set[tuple[int, ...]] = set()
    parsed: list[tuple[tuple[int, ...], bytes]] = []
    while not extensions.empty():
        extension = _Der(extensions.read(_SEQUENCE))
        oid = extension.read_oid()
        if extension.peek(_BOOLEAN):
            extension.read_boolean()
        value = extension.read(_OCTET_STRING)
        if oid in seen:
            raise _GoParseError("x509: certificate contains duplicate extensions")
        seen.add(oid)
        parsed.append((oid, value))

    for oid, value in parsed:
        der = _Der(value)
        if len(oid) == 4 and oid[:3] == (2, 5, 29):
            kind = oid[3]
            if kind == 15:  # key usage
                der.read_bit_string()
            elif kind == 19:  # basic constraints
                seq = _Der(der.read(_SEQUENCE))
                if seq.peek(_BOOLEAN):
                    seq.read_boolean()
                if seq.peek(_INTEGER):
                    seq.read_int64()
            elif kind == 17:
                _parse_san(cert, der)
            elif kind == 30:
                _parse_name_constraints(value)
            elif kind == 31:  # CRL distribution points
                _check_crl_distribution_points(der)
            elif kind == 35:  # authority key id
                akid = _Der(der.read(_SEQUENCE))
                if akid.peek(0x80):
                    cert.authority_key_id = akid.read(0x80)
            elif kind == 37:  # extended key usage
                seq = _Der(der.read(_SEQUENCE))
                while not seq.empty():
                    seq.read_oid()
            elif kind == 14:  # subject key id
                cert.subject_key_id = der.read(_OCTET_STRING)
            elif kind == 32:  # certificate policies
                seq = _Der(der.read(_SEQUENCE))
                while not seq.empty():
                    _Der(seq.read(_SEQUENCE)).read_oid()
        elif oid == _AIA:
            seq = _Der(der.read(_SEQUENCE))
            while not seq.empty():
                access = _Der(seq.read(_SEQUENCE))
                access.read_oid()
                if access.peek(0x86):
                    access.read(0x86)


def _check_crl_distribution_points(der: _Der) -> None:
    seq = _Der(der.read(_SEQUENCE))
    while not seq.empty():
        point = _Der(seq.read(_SEQUENCE))
        name = point.read_optional(0xA0)
        if name is None:
            continue
        full = _Der(_Der(name).read(0xA0))
        while full.peek(0x86):
            full.read(0x86)


def _is_ia5(value: bytes) -> bool:
    return all(b < 0x80 for b in value)


def _parse_san(cert: _GoCertificate, der: _Der) -> None:
    """Go's parseSANExtension: DNS names and IPs kept; email and URI only checked."""
    names = _Der(der.read(_SEQUENCE))
    while not names.empty():
        tag, _, data = names.read_any()
        kind = tag ^ 0x80
        if kind == 1:
            if not _is_ia5(data):
                raise _GoParseError("x509: SAN rfc822Name is malformed")
        elif kind == 2:
            if not _is_ia5(data):
                raise _GoParseError("x509: SAN dNSName is malformed")
            cert.dns_names.append(data.decode("ascii"))
        elif kind == 6:
            if not _is_ia5(data):
                raise _GoParseError("x509: SAN uniformResourceIdentifier is malformed")
            host = _go_url_host(data.decode("ascii"))
            if host and not _domain_ok(host):
                raise _GoParseError("x509: cannot parse URI: invalid domain")
        elif kind == 7:
            if len(data) not in (4, 16):
                raise _GoParseError("x509: cannot parse IP address")
            cert.ip_addresses.append(data)


def _domain_ok(domain: str) -> bool:
    """Go's domainToReverseLabels succeeds."""
    if not domain:
        return True
    labels = domain.split(".")
    return all(label and all(33 <= ord(c) <= 126 for c in label) for label in labels)


def _parse_name_constraints(value: bytes) -> None:
    outer = _Der(value)
    top = _Der(outer.read(_SEQUENCE))
    if not outer.empty():
        raise _GoParseError("x509: invalid NameConstraints extension")
    permitted = top.read_optional(0xA0)
    excluded = top.read_optional(0xA1)
    if not top.empty():
        raise _GoParseError("x509: invalid NameConstraints extension")
    if not permitted and not excluded:
        raise _GoParseError("x509: empty name constraints extension")
    for subtrees in (permitted, excluded):
        trees = _Der(subtrees or b"")
        while not trees.empty():
            tag, _, data = _Der(trees.read(_SEQUENCE)).read_any()
            if tag in (0x81, 0x82, 0x86) and not _is_ia5(data):
                raise _GoParseError("x509: invalid constraint value")
            text = data.decode("latin-1")
            if tag == 0x81 and "@" in text:
                if not _rfc2821_mailbox_ok(text):
                    raise _GoParseError("x509: failed to parse rfc822Name constraint")
            elif tag in (0x81, 0x82):
                if not _domain_ok(text[1:] if text.startswith(".") else text):
                    raise _GoParseError("x509: failed to parse constraint")
            elif tag == 0x86:
                if _looks_like_ip(text) or not _domain_ok(
                    text[1:] if text.startswith(".") else text
                ):
                    raise _GoParseError("x509: failed to parse URI constraint")
            elif tag == 0x87:
                if len(data) not in (8, 32):
                    raise _GoParseError("x509: IP constraint contained value of bad length")
                mask = int.from_bytes(data[len(data) // 2 :], "big")
                bits = len(data) * 4
                inverted = ~mask & ((1 << bits) - 1)
                if inverted & (inverted + 1):
                    raise _GoParseError("x509: IP constraint contained invalid mask")


_ATEXT = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&'*+-/=?^_`{|}~."
)


def _rfc2821_mailbox_ok(text: str) -> bool:
    """Go's parseRFC2821Mailbox succeeds."""
    if not text:
        return False
    local: list[str] = []
    i = 0
    if text[0] == '"':
        i = 1
        while True:
            if i >= len(text):
                return False
            c = ord(text[i])
            i += 1
            if c == 0x22:
                break
            if c == 0x5C:
                if i >= len(text):
                    return False
                n = ord(text[i])
                if not (n in (11, 12) or 1 <= n <= 9 or 14 <= n <= 127):
                    return False
                local.append(text[i])
                i += 1
            elif (
                c in (11, 12, 32, 33, 127)
                or 1 <= c <= 8
                or 14 <= c <= 31
                or 35 <= c <= 91
                or (93 <= c <= 126)
            ):
                local.append(chr(c))
            else:
                return False
    else:
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i += 1
                if i >= len(text):
                    return False
            elif ch not in _ATEXT:
                break
            local.append(text[i])
            i += 1
        part = "".join(local)
        if not part or part.startswith(".") or part.endswith(".") or ".." in part:
            return False
    if i >= len(text) or text[i] != "@":
        return False
    return _domain_ok(text[i + 1 :])


def _looks_like_ip(text: str) -> bool:
    """Go's ``net.ParseIP`` succeeds (it takes no zone)."""
    import ipaddress

    if "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# ---- Go 1.19 net/url.Parse, enough to know whether it fails and what the host is ------------

_HOST_OK = frozenset("!$&'()*+,;=:[]<>\"-_.~")
_USERINFO_OK = frozenset("-._:~!$&'()*+,;=%@")
_HEX = frozenset("0123456789abcdefABCDEF")


def _host_char_ok(c: str) -> bool:
    """Not ``shouldEscape(c, encodeHost)``."""
    return (c.isascii() and c.isalnum()) or c in _HOST_OK


def _url_unescape(text: str, mode: str) -> str:
    """Go's url.unescape validation for mode "host", "zone" or "other"; returns the text."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%":
            if i + 2 >= len(text) or text[i + 1] not in _HEX or text[i + 2] not in _HEX:
                raise _GoParseError("invalid URL escape")
            code = int(text[i + 1 : i + 3], 16)
            escape = text[i : i + 3]
            if mode == "host" and code < 0x80 and escape != "%25":
                raise _GoParseError("invalid URL escape")
            if mode == "zone" and escape != "%25" and code != 0x20 and not _host_char_ok(chr(code)):
                raise _GoParseError("invalid URL escape")
            out.append(chr(code))
            i += 3
            continue
        if mode in ("host", "zone") and ord(c) < 0x80 and not _host_char_ok(c):
            raise _GoParseError("invalid character in host name")
        out.append(c)
        i += 1
    return "".join(out)


def _valid_port(port: str) -> bool:
    return port == "" or (port[0] == ":" and all("0" <= c <= "9" for c in port[1:]))


def _url_scheme(url: str) -> tuple[str, str]:
    """Go's getScheme: (scheme, rest)."""
    for i, c in enumerate(url):
        if c.isascii() and c.isalpha():
            continue
        if c.isascii() and (c.isdigit() or c in "+-."):
            if i == 0:
                return "", url
            continue
        if c == ":":
            if i == 0:
                raise _GoParseError("missing protocol scheme")
            return url[:i], url[i + 1 :]
        return "", url
    return "", url


def _go_url_host(raw: str) -> str:
    """The ``Host`` of Go's ``url.Parse(raw)``; raises when Go's parse fails."""
    url, _, fragment = raw.partition("#")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise _GoParseError("net/url: invalid control character in URL")
    host = ""
    if url != "*":
        scheme, rest = _url_scheme(url)
        rest = rest.partition("?")[0]
        opaque = False
        if not rest.startswith("/"):
            if scheme:
                opaque = True
            elif ":" in rest.partition("/")[0]:
                raise _GoParseError("first path segment in URL cannot contain colon")
        if not opaque:
            if (scheme or not rest.startswith("///")) and rest.startswith("//"):
                authority, slash, path = rest[2:].partition("/")
                rest = slash + path
                host = _parse_authority(authority)
            _url_unescape(rest, "other")
    if fragment:
        _url_unescape(fragment, "other")
    return host


def _parse_authority(authority: str) -> str:
    at = authority.rfind("@")
    host = _parse_host(authority[at + 1 :] if at >= 0 else authority)
    if at >= 0:
        userinfo = authority[:at]
        if not all((c.isascii() and c.isalnum()) or c in _USERINFO_OK for c in userinfo):
            raise _GoParseError("net/url: invalid userinfo")
        for part in userinfo.split(":", 1):
            _url_unescape(part, "other")
    return host


def _parse_host(host: str) -> str:
    if host.startswith("["):
        i = host.rfind("]")
        if i < 0:
            raise _GoParseError("missing ']' in host")
        if not _valid_port(host[i + 1 :]):
            raise _GoParseError("invalid port after host")
        zone = host[:i].find("%25")
        if zone >= 0:
            return (
                _url_unescape(host[:zone], "host")
                + _url_unescape(host[zone:i], "zone")
                + _url_unescape(host[i:], "host")
            )
    else:
        i = host.rfind(":")
        if i >= 0 and not _valid_port(host[i:]):
            raise _GoParseError("invalid port after host")
    return _url_unescape(host, "host")


# --------------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------------


def _key_id(data: bytes) -> str:
    """cfssl 1.2's key id text: each byte ``%X`` (no zero padding), joined by ``:``."""
    return ":".join(f"{b:X}" for b in data)


def _ip_string(data: bytes) -> str:
    """Go's ``net.IP.String``: IPv4 (and IPv4-mapped IPv6) dotted, other IPv6 per RFC 5952."""
    import ipaddress

    if len(data) == 16 and data[:12] == b"\x00" * 10 + b"\xff\xff":
        data = data[12:]
    return str(ipaddress.ip_address(data))


def _pem(der: bytes) -> str:
    text = base64.b64encode(der).decode("ascii")
    lines = "".join(text[i : i + 64] + "\n" for i in range(0, len(text), 64))
    return "-----BEGIN CERTIFICATE-----\n" + lines + "-----END CERTIFICATE-----\n"


def certinfo_document_from_der(der: bytes) -> dict[str, object]:
    """The cfssl-certinfo document of a DER certificate, keys in cfssl's order.

    Raises :class:`CertinfoError` ("Failed to parse certificate") when Go would not parse it.
    """
    try:
        cert = _parse_go_certificate(der)
    except _GoParseError:
        raise CertinfoError(PARSE_FAILED) from None
    return _document(cert)


def _document(cert: _GoCertificate) -> dict[str, object]:
    document: dict[str, object] = {
        "subject": _name_object(cert.subject),
        "issuer": _name_object(cert.issuer),
        "serial_number": str(cert.serial),
    }
    sans = cert.dns_names + [_ip_string(ip) for ip in cert.ip_addresses]
    if sans:
        document["sans"] = sans
    document.update(
        {
            "not_before": cert.not_before,
            "not_after": cert.not_after,
            "sigalg": cert.sigalg,
            "authority_key_id": _key_id(cert.authority_key_id),
            "subject_key_id": _key_id(cert.subject_key_id),
            "pem": _pem(cert.raw),
        }
    )
    return document


def certinfo_document(cert: x509.Certificate) -> dict[str, object]:
    """The cfssl-certinfo document of ``cert`` (see :func:`certinfo_document_from_der`)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    return certinfo_document_from_der(cert.public_bytes(Encoding.DER))


def certinfo_json(cert: x509.Certificate) -> str:
    """cfssl-certinfo's stdout for ``cert``: Go's indented JSON plus one newline."""
    return gojson.marshal_indent(certinfo_document(cert)) + "\n"


def load_certificate_for_certinfo(data: bytes) -> x509.Certificate:
    """Load the certificate cfssl-certinfo would read from ``data`` (PEM file contents).

    Raises :class:`CertinfoError` with cfssl's message. A certificate Go accepts but
    ``cryptography`` cannot load (e.g. PrintableString ``*``) also raises "Failed to parse
    certificate"; :func:`run_certinfo` does not load through ``cryptography`` and prints those.
    """
    from cryptography import x509

    der = certificate_der_for_certinfo(data)
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise CertinfoError(PARSE_FAILED) from None


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def _go_errno_text(error: OSError) -> str:
    """Go's ``syscall.Errno`` text: glibc's strerror with a lowercase first letter."""
    text = os.strerror(error.errno) if error.errno else str(error)
    return text[:1].lower() + text[1:]


MAX_INPUT = 64 * 2**20


STDIN_NAME, STDOUT_NAME = "/dev/stdin", "/dev/stdout"


def _read_input(path: str, stdin: BinaryIO | TextIO | None) -> bytes:
    """Go's ``os.ReadFile`` (``-``: all of stdin), errors as Go's ``*os.PathError`` text."""
    if path == "-":
        # Go reads /dev/stdin: a closed stdin is EBADF, a directory EISDIR, both one line.
        if stdin is None:
            raise CertinfoError(f"read {STDIN_NAME}: {os.strerror(errno.EBADF).lower()}")
        stream = getattr(stdin, "buffer", stdin)
        try:
            data = stream.read(MAX_INPUT + 1)
        except OSError as error:
            raise CertinfoError(f"read {STDIN_NAME}: {_go_errno_text(error)}") from None
        data = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        return _within_limit(data, "stdin")
    try:
        handle = open(path, "rb")  # noqa: SIM115 - open and read errors differ
    except IsADirectoryError as error:
        # Go opens a directory fine; the read fails.
        raise CertinfoError(f"read {path}: {_go_errno_text(error)}") from None
    except ValueError:  # NUL in the path
        raise CertinfoError(f"open {path}: invalid argument") from None
    except OSError as error:
        raise CertinfoError(f"open {path}: {_go_errno_text(error)}") from None
    with handle:
        try:
            return _within_limit(handle.read(MAX_INPUT + 1), path)
        except OSError as error:
            raise CertinfoError(f"read {path}: {_go_errno_text(error)}") from None


def _within_limit(data: bytes, name: str) -> bytes:
    # cfssl-certinfo reads without a limit (`certinfo -cert /dev/zero` fills the memory); a
    # certificate is a few kilobytes, so past MAX_INPUT it is refused instead.
    if len(data) > MAX_INPUT:
        raise CertinfoError(
            f"read {name}: more than {MAX_INPUT // 2**20} MiB — not a certificate file"
        )
    return data


def _write(stream: TextIO | BinaryIO, data: bytes) -> None:
    """Write bytes to a binary stream, or to a text stream's buffer when it has one."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    elif isinstance(stream, io.TextIOBase):
        stream.write(data.decode("utf-8", "surrogateescape"))
    else:
        stream.write(data)  # type: ignore[arg-type]


def run_certinfo(
    path: str,
    stdin: BinaryIO | TextIO | None,
    stdout: TextIO | BinaryIO | None,
    stderr: TextIO | BinaryIO | None,
) -> int:
    """``certinfo -cert PATH`` (``-`` reads stdin): 0 and the JSON on stdout, or 1 and the error.

    Output is written as UTF-8 bytes whatever the locale, like cfssl. (The stand-alone
    cfssl-certinfo exits 0 even on error; ``cfssl certinfo`` exits 1, as this does.)
    """
    data = b""
    try:
        data = _read_input(path, stdin)
        text = gojson.marshal_indent(_document(_load(data))) + "\n"
    except CertinfoError as error:
        _write_error(stderr, os.fsencode(error.message) + b"\n")
        hint = not_a_certificate_hint(path, data)
        if hint:  # after cfssl's own line, so a script matching that line still matches
            _write_error(stderr, os.fsencode(hint) + b"\n")
        return 1
    if stdout is None:  # closed: cfssl's write fails unseen; here it is one line and exit 1
        _write_error(stderr, f"write {STDOUT_NAME}: {os.strerror(errno.EBADF).lower()}\n".encode())
        return 1
    try:
        _write(stdout, text.encode("utf-8"))
    except OSError as error:  # /dev/full, a reader that left
        _write_error(stderr, f"write {STDOUT_NAME}: {_go_errno_text(error)}\n".encode())
        return 1
    return 0


_FIRST_PEM_TYPE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_NOT_CERTIFICATES = (
    ("PRIVATE KEY", "a private key"),
    ("CERTIFICATE REQUEST", "a certificate request"),
    ("PUBLIC KEY", "a public key"),
    ("X509 CRL", "a certificate revocation list"),
)


def not_a_certificate_hint(path: str, data: bytes) -> str | None:
    """A line saying what `data` holds when its first PEM block is not a certificate (a key,
    a CSR), naming the certificate beside it when there is one; None otherwise."""
    found = _FIRST_PEM_TYPE.search(data)
    if found is None:
        return None
    block = found.group(1).decode()
    what = next((words for suffix, words in _NOT_CERTIFICATES if block.endswith(suffix)), None)
    if what is None:
        return None
    name = "standard input" if path == "-" else path
    hint = f"note: {name} holds {what} ({block}), not a certificate"
    sibling = None if path == "-" else _certificate_beside(path)
    return f"{hint} — try certinfo -cert {sibling}" if sibling else hint


def _certificate_beside(path: str) -> str | None:
    """The certificate cfssljson or kubeadm writes beside a key or CSR file, if it is there."""
    for ending, certificate in (
        ("-key.pem", ".pem"),
        (".csr", ".pem"),
        (".csr", ".crt"),
        (".key", ".crt"),
    ):
        if path.endswith(ending):
            candidate = path[: -len(ending)] + certificate
            if os.path.isfile(candidate):
                return candidate
    return None


def _write_error(stderr: TextIO | BinaryIO | None, data: bytes) -> None:
    """Write to stderr unless it is closed or failing too: there is nowhere else to say it."""
    if stderr is None:
        return
    with contextlib.suppress(OSError):
        _write(stderr, data)
