"""What the review needs from a certificate, read straight from its DER.

cryptography builds an object for every name, attribute, extension and key it is asked for;
with ten thousand certificates that was most of the review's time. This reader walks the DER
once and takes only the review's facts (names as (OID, text), the six extensions the checks
read, the key's type, size and SubjectPublicKeyInfo bytes, validity, serial).

It vouches only for the forms it fully understands — strict DER lengths, one attribute per
RDN, UTF8/Printable/IA5 strings, the usual encodings of the six extensions and no other
extension, RSA (e = 65537) and P-256/P-384/P-521 keys — and answers None for anything else;
then the caller reads the certificate with cryptography, as before. Whatever it returns is
what cryptography would have given (tests/review/test_certder.py compares the two on real
and fuzzed certificates).
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import UTC, datetime
from typing import Any, NamedTuple

from wizard.pki.usages import USAGES


class _Unsure(Exception):
    """A form this reader does not vouch for: leave the certificate to cryptography."""


class DerFacts(NamedTuple):
    """The facts of one certificate (see CertFacts for what each means)."""

    spki: bytes
    key_type: str
    key_size: int
    subject_attributes: tuple[tuple[str, str], ...]
    subject_text: str
    raw_subject: bytes  # the subject Name's DER, as cryptography's public_bytes() writes it
    raw_issuer: bytes
    is_ca: bool
    ski: bytes | None
    aki: bytes | None
    dns_sans: tuple[str, ...]
    ip_sans: tuple[str, ...]
    has_san_extension: bool
    ext_key_usage: tuple[str, ...] | None
    key_usage: tuple[str, ...]
    signature_oid: str
    not_before: datetime
    not_after: datetime
    serial: str


def _tlv(der: bytes, position: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the element at `position`, which must end by
    `end`; lengths in DER's shortest form only."""
    tag = der[position]
    if tag & 0x1F == 0x1F:  # a multi-byte tag: none of ours
        raise _Unsure
    first = der[position + 1]
    if first < 0x80:
        start, length = position + 2, first
    elif first == 0x81:
        start, length = position + 3, der[position + 2]
        if length < 0x80:
            raise _Unsure
    elif first == 0x82:
        start, length = position + 4, der[position + 2] << 8 | der[position + 3]
        if length < 0x100:
            raise _Unsure
    else:
        raise _Unsure
    stop = start + length
    if stop > end:
        raise _Unsure
    return tag, start, stop


_OIDS: dict[bytes, str] = {}


def _oid(der: bytes, start: int, stop: int) -> str:
    """The dotted form of an OBJECT IDENTIFIER's content (remembered: certificates share them)."""
    raw = der[start:stop]
    dotted = _OIDS.get(raw)
    if dotted is not None:
        return dotted
    if not raw or raw[-1] & 0x80:
        raise _Unsure
    arcs: list[int] = []
    value, fresh = 0, True
    for byte in raw:
        if fresh and byte == 0x80:  # a sub-identifier padded with a leading zero
            raise _Unsure
        value = value << 7 | byte & 0x7F
        fresh = not byte & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    dotted = ".".join(map(str, head + arcs[1:]))
    if len(_OIDS) < 4096:
        _OIDS[raw] = dotted
    return dotted


# Attribute names as cryptography's rfc4514_string writes them (x509/name.py _NAMEOID_TO_NAME).
_SHORT_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_STRING_TAGS = frozenset({0x0C, 0x13, 0x16})  # UTF8String, PrintableString, IA5String
_SPECIALS = frozenset('\\"+,;<>\0')


def escape_dn_value(value: str) -> str:
    """A DN attribute's value escaped as cryptography's rfc4514_string escapes it."""
    if not value:
        return ""
    if _SPECIALS.isdisjoint(value) and value[0] not in "# " and value[-1] != " ":
        return value
    for special, escaped in (
        ("\\", "\\\\"),
        ('"', '\\"'),
        ("+", "\\+"),
        (",", "\\,"),
        (";", "\\;"),
        ("<", "\\<"),
        (">", "\\>"),
        ("\0", "\\00"),
    ):
        value = value.replace(special, escaped)
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


_COMMON_NAME = bytes.fromhex("550403")
# (OID, value) of the RDNs certificates share (O=system:nodes, C=US; not CNs), by their DER
_ATTRIBUTES: dict[bytes, tuple[str, str]] = {}


def _name(der: bytes, start: int, stop: int) -> tuple[tuple[str, str], ...]:
    """A Name's attributes in order, each RDN holding exactly one."""
    attributes = []
    position = start
    while position < stop:
        tag, rdn_start, rdn_stop = _tlv(der, position, stop)
        if tag != 0x31:
            raise _Unsure
        known = _ATTRIBUTES.get(der[position:rdn_stop])
        if known is not None:
            attributes.append(known)
            position = rdn_stop
            continue
        tag, pair_start, pair_stop = _tlv(der, rdn_start, rdn_stop)
        if tag != 0x30 or pair_stop != rdn_stop:
            raise _Unsure
        tag, oid_start, oid_stop = _tlv(der, pair_start, pair_stop)
        if tag != 0x06:
            raise _Unsure
        tag, value_start, value_stop = _tlv(der, oid_stop, pair_stop)
        if tag not in _STRING_TAGS or value_stop != pair_stop:
            raise _Unsure
        raw = der[value_start:value_stop]
        if tag != 0x0C and not raw.isascii():  # cryptography refuses those (IA5, Printable)
            raise _Unsure
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unsure from None
        attribute = (_oid(der, oid_start, oid_stop), value)
        attributes.append(attribute)
        if der[oid_start:oid_stop] != _COMMON_NAME:
            if len(_ATTRIBUTES) >= 4096:
                _ATTRIBUTES.clear()
            _ATTRIBUTES[der[position:rdn_stop]] = attribute
        position = rdn_stop
    return tuple(attributes)


def name_text(attributes: tuple[tuple[str, str], ...]) -> str:
    """RFC 4514 text of a name read by `_name`, as cryptography writes it."""
    return ",".join(
        f"{_SHORT_NAMES.get(oid, oid)}={escape_dn_value(value)}"
        for oid, value in reversed(attributes)
    )


_TIMES: dict[bytes, datetime] = {}


def _time(der: bytes, tag: int, start: int, stop: int) -> datetime:
    raw = der[start:stop]
    moment = _TIMES.get(raw)
    if moment is not None:
        return moment
    if raw[-1:] != b"Z" or not raw[:-1].isdigit():
        raise _Unsure
    if tag == 0x17 and len(raw) == 13:
        two = int(raw[:2])
        year, rest = (2000 + two if two < 50 else 1900 + two), raw[2:]
    elif tag == 0x18 and len(raw) == 15:
        year, rest = int(raw[:4]), raw[4:]
    else:
        raise _Unsure
    try:
        moment = datetime(
            year, int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8]), int(rest[8:10]),
            tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        raise _Unsure from None
    if len(_TIMES) >= 4096:
        _TIMES.clear()
    _TIMES[raw] = moment
    return moment


# SubjectPublicKeyInfo heads (everything up to the point's bytes) of the named curves.
_EC_HEADS = {
    256: bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200"),
    384: bytes.fromhex("3076301006072a8648ce3d020106052b81040022036200"),
    521: bytes.fromhex("30819b301006072a8648ce3d020106052b8104002303818600"),
}
_CURVES = {  # key size: (p, b) of y² = x³ - 3x + b (mod p), from SEC 2
    256: (
        int("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16),
        int("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16),
    ),
    384: (
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        int(
            "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a"
            "c656398d8a2ed19d2a85c8edd3ec2aef",
            16,
        ),
    ),
    521: (
        2**521 - 1,
        int(
            "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef1"
            "09e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
            16,
        ),
    ),
}
_RSA_HEAD = bytes.fromhex("300d06092a864886f70d0101010500")


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    width = (length.bit_length() + 7) // 8
    return bytes([0x80 | width]) + length.to_bytes(width, "big")


def _key(der: bytes, begin: int, start: int, stop: int) -> tuple[bytes, str, int]:
    """(SubjectPublicKeyInfo DER, type, size) of the RSA or NIST-curve key whose element spans
    `begin` (its tag) to `stop`, its content from `start`: the DER exactly as cryptography would
    encode the key back, and only a point that is on its curve."""
    spki = der[begin:stop]
    for size, head in _EC_HEADS.items():
        if spki.startswith(head):
            width = (size + 7) // 8
            point = spki[len(head) :]
            if len(point) != 1 + 2 * width or point[0] != 4:
                raise _Unsure
            p, b = _CURVES[size]
            x = int.from_bytes(point[1 : 1 + width], "big")
            y = int.from_bytes(point[1 + width :], "big")
            if x >= p or y >= p or (y * y - (x * x * x - 3 * x + b)) % p:
                raise _Unsure
            return spki, "ECDSA", size
    tag, algorithm_start, algorithm_stop = _tlv(der, start, stop)
    if der[start:algorithm_stop] != _RSA_HEAD:
        raise _Unsure
    tag, bits_start, bits_stop = _tlv(der, algorithm_stop, stop)
    if tag != 0x03 or bits_stop != stop or der[bits_start] != 0:
        raise _Unsure
    tag, key_start, key_stop = _tlv(der, bits_start + 1, bits_stop)
    if tag != 0x30 or key_stop != bits_stop:
        raise _Unsure
    tag, n_start, n_stop = _tlv(der, key_start, key_stop)
    if tag != 0x02 or der[n_start : n_start + 1] != b"\0" or not der[n_start + 1] & 0x80:
        raise _Unsure  # a positive modulus in its shortest form
    if der[n_stop:key_stop] != b"\x02\x03\x01\x00\x01":  # e = 65537
        raise _Unsure
    modulus_bits = (n_stop - n_start - 1) * 8
    if not 1024 <= modulus_bits <= 8192 or not der[n_stop - 1] & 1:
        raise _Unsure
    return spki, "RSA", modulus_bits


# The extensions read, by their OID's content bytes.
_SAN = bytes.fromhex("551d11")
_KU = bytes.fromhex("551d0f")
_EKU = bytes.fromhex("551d25")
_BC = bytes.fromhex("551d13")
_SKI = bytes.fromhex("551d0e")
_AKI = bytes.fromhex("551d23")
_KNOWN = frozenset({_SAN, _KU, _EKU, _BC, _SKI, _AKI})

_KEY_USAGE_WORDS = tuple(u.word for u in USAGES if u.key_usage is not None)  # in bit order
_EKU_WORDS = {u.eku.dotted_string: u.word for u in USAGES if u.eku is not None}


def _key_usage(der: bytes, start: int, stop: int) -> tuple[str, ...]:
    tag, bits_start, bits_stop = _tlv(der, start, stop)
    if tag != 0x03 or bits_stop != stop or bits_stop == bits_start:
        raise _Unsure
    unused, data = der[bits_start], der[bits_start + 1 : bits_stop]
    if unused > 7 or len(data) > 2 or (not data and unused) or (data and not data[-1]):
        raise _Unsure
    if data and data[-1] & ((1 << unused) - 1):
        raise _Unsure
    value = int.from_bytes(data.ljust(2, b"\0"), "big")
    bits = [bool(value & (0x8000 >> n)) for n in range(9)]
    if (bits[7] or bits[8]) and not bits[4]:  # cryptography refuses these
        raise _Unsure
    return tuple(word for word, bit in zip(_KEY_USAGE_WORDS, bits, strict=True) if bit)


def _sequence_of(der: bytes, start: int, stop: int) -> list[tuple[int, int, int]]:
    tag, position, end = _tlv(der, start, stop)
    if tag != 0x30 or end != stop:
        raise _Unsure
    items = []
    while position < end:
        item = _tlv(der, position, end)
        items.append(item)
        position = item[2]
    return items


def _sans(der: bytes, start: int, stop: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    dns: list[str] = []
    ips: list[str] = []
    for tag, item_start, item_stop in _sequence_of(der, start, stop):
        raw = der[item_start:item_stop]
        if tag == 0x82:  # dNSName, an IA5String
            if not raw.isascii():
                raise _Unsure
            dns.append(raw.decode("ascii"))
        elif tag == 0x87 and len(raw) == 4:
            ips.append("%d.%d.%d.%d" % tuple(raw))  # noqa: UP031 - the fastest way
        elif tag == 0x87 and len(raw) == 16:
            ips.append(str(ipaddress.IPv6Address(raw)))
        else:  # e-mail, URI, directory names …: cryptography reads those
            raise _Unsure
    return tuple(dns), tuple(ips)


# Every extension but the names and the key id is the same in thousands of certificates of one
# CA: each distinct extension (its whole DER) is read once.
_READ_EXTENSIONS: dict[bytes, tuple[bytes, object]] = {}
_UNIQUE = frozenset({_SAN, _SKI})


def _extensions(der: bytes, start: int, stop: int) -> dict[bytes, object]:
    """What each of the six known extensions says, by OID; each at most once, no other one."""
    found: dict[bytes, object] = {}
    tag, position, end = _tlv(der, start, stop)
    if tag != 0x30 or end != stop or position == end:
        raise _Unsure
    while position < end:
        tag, item_start, item_stop = _tlv(der, position, end)
        if tag != 0x30:
            raise _Unsure
        whole = der[position:item_stop]
        known = _READ_EXTENSIONS.get(whole)
        if known is None:
            known = _extension(der, item_start, item_stop)
            if known[0] not in _UNIQUE:
                if len(_READ_EXTENSIONS) >= 4096:
                    _READ_EXTENSIONS.clear()
                _READ_EXTENSIONS[whole] = known
        if known[0] in found:
            raise _Unsure
        found[known[0]] = known[1]
        position = item_stop
    return found


def _extension(der: bytes, start: int, stop: int) -> tuple[bytes, object]:
    """(OID, what it says) of one Extension's content."""
    tag, oid_start, oid_stop = _tlv(der, start, stop)
    oid = der[oid_start:oid_stop]
    if tag != 0x06 or oid not in _KNOWN:
        raise _Unsure
    tag, value_start, value_stop = _tlv(der, oid_stop, stop)
    if tag == 0x01:  # critical: DER writes only TRUE
        if der[value_start:value_stop] != b"\xff":
            raise _Unsure
        tag, value_start, value_stop = _tlv(der, value_stop, stop)
    if tag != 0x04 or value_stop != stop:
        raise _Unsure
    return oid, _EXTENSION_READERS[oid](der, value_start, value_stop)


def _basic_constraints(der: bytes, start: int, stop: int) -> bool:
    value = der[start:stop]
    if value == b"\x30\x00":
        return False
    if value == b"\x30\x03\x01\x01\xff" or (
        len(value) == 8 and value[:7] == b"\x30\x06\x01\x01\xff\x02\x01" and value[7] < 0x80
    ):
        return True
    raise _Unsure  # (a path length without the CA flag: cryptography refuses it)


def _key_id(der: bytes, start: int, stop: int) -> bytes:
    tag, value_start, value_stop = _tlv(der, start, stop)
    if tag != 0x04 or value_stop != stop:
        raise _Unsure
    return der[value_start:value_stop]


def _authority_key_id(der: bytes, start: int, stop: int) -> bytes | None:
    items = _sequence_of(der, start, stop)
    if len(items) > 1 or (items and items[0][0] != 0x80):
        raise _Unsure  # an issuer and serial too: cryptography reads those
    return der[items[0][1] : items[0][2]] if items else None


def _ext_key_usage(der: bytes, start: int, stop: int) -> tuple[str, ...] | None:
    words = []
    for tag, item_start, item_stop in _sequence_of(der, start, stop):
        if tag != 0x06:
            raise _Unsure
        dotted = _oid(der, item_start, item_stop)
        words.append(_EKU_WORDS.get(dotted, dotted))
    return tuple(words) or None


_EXTENSION_READERS = {
    _SAN: _sans,
    _KU: _key_usage,
    _EKU: _ext_key_usage,
    _BC: _basic_constraints,
    _SKI: _key_id,
    _AKI: _authority_key_id,
}


def read_certificate(der: bytes) -> DerFacts | None:
    """The review's facts of a certificate cryptography has loaded, or None when this reader
    does not vouch for its form (then read it with cryptography)."""
    try:
        return _read(der)
    except (_Unsure, IndexError, ValueError):
        return None


def _read(der: bytes) -> DerFacts:
    end = len(der)
    tag, start, stop = _tlv(der, 0, end)
    if tag != 0x30 or stop != end:
        raise _Unsure
    tag, tbs_start, tbs_stop = _tlv(der, start, stop)
    if tag != 0x30:
        raise _Unsure
    tag, algorithm_start, algorithm_stop = _tlv(der, tbs_stop, stop)
    if tag != 0x30:
        raise _Unsure
    tag, oid_start, oid_stop = _tlv(der, algorithm_start, algorithm_stop)
    if tag != 0x06:
        raise _Unsure
    signature_oid = _oid(der, oid_start, oid_stop)
    position = tbs_start
    tag, field_start, field_stop = _tlv(der, position, tbs_stop)
    version = 0
    if tag == 0xA0:
        if der[field_start:field_stop] not in (b"\x02\x01\x01", b"\x02\x01\x02"):
            raise _Unsure
        version = der[field_stop - 1]
        position = field_stop
        tag, field_start, field_stop = _tlv(der, position, tbs_stop)
    if tag != 0x02 or field_start == field_stop:
        raise _Unsure
    serial = str(int.from_bytes(der[field_start:field_stop], "big", signed=True))
    tag, _, position = _tlv(der, field_stop, tbs_stop)  # signature (the inner copy)
    if tag != 0x30:
        raise _Unsure
    tag, issuer_start, issuer_stop = _tlv(der, position, tbs_stop)
    if tag != 0x30:
        raise _Unsure
    raw_issuer = der[position:issuer_stop]
    tag, validity_start, validity_stop = _tlv(der, issuer_stop, tbs_stop)
    if tag != 0x30:
        raise _Unsure
    tag, time_start, time_stop = _tlv(der, validity_start, validity_stop)
    not_before = _time(der, tag, time_start, time_stop)
    tag, time_start, time_stop = _tlv(der, time_stop, validity_stop)
    not_after = _time(der, tag, time_start, time_stop)
    if time_stop != validity_stop:
        raise _Unsure
    tag, subject_start, subject_stop = _tlv(der, validity_stop, tbs_stop)
    if tag != 0x30:
        raise _Unsure
    subject_attributes = _name(der, subject_start, subject_stop)
    tag, key_start, key_stop = _tlv(der, subject_stop, tbs_stop)
    if tag != 0x30:
        raise _Unsure
    spki, key_type, key_size = _key(der, subject_stop, key_start, key_stop)
    extensions: dict[bytes, Any] = {}
    if key_stop != tbs_stop:
        tag, field_start, field_stop = _tlv(der, key_stop, tbs_stop)
        if tag != 0xA3 or field_stop != tbs_stop or version != 2:  # no unique ids
            raise _Unsure
        extensions = _extensions(der, field_start, field_stop)
    get = extensions.get
    dns_sans, ip_sans = get(_SAN, ((), ()))
    return DerFacts(
        spki=spki,
        key_type=key_type,
        key_size=key_size,
        subject_attributes=subject_attributes,
        subject_text=name_text(subject_attributes) or "(an empty name)",
        raw_subject=der[validity_stop:subject_stop],
        raw_issuer=raw_issuer,
        is_ca=get(_BC, False),
        ski=get(_SKI),
        aki=get(_AKI),
        dns_sans=dns_sans,
        ip_sans=ip_sans,
        has_san_extension=_SAN in extensions,
        ext_key_usage=get(_EKU),
        key_usage=get(_KU, ()),
        signature_oid=signature_oid,
        not_before=not_before,
        not_after=not_after,
        serial=serial,
    )


def signed_parts(der: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(tbsCertificate, signatureAlgorithm, signature) of a certificate as its DER holds them,
    for checking its signature without loading it; None when they might differ from what
    cryptography gives (an RDN of several attributes, which it may write back in another order)
    or the DER is not laid out as a certificate."""
    try:
        end = len(der)
        tag, start, stop = _tlv(der, 0, end)
        if tag != 0x30 or stop != end:
            return None
        tag, tbs_start, tbs_stop = _tlv(der, start, stop)
        tag_algorithm, algorithm_start, algorithm_stop = _tlv(der, tbs_stop, stop)
        tag_bits, bits_start, bits_stop = _tlv(der, algorithm_stop, stop)
        if tag != 0x30 or tag_algorithm != 0x30 or tag_bits != 0x03 or bits_stop != stop:
            return None
        if der[bits_start] != 0:  # a signature is whole bytes
            return None
        position = tbs_start
        if der[position] == 0xA0:
            position = _tlv(der, position, tbs_stop)[2]
        for _ in range(2):  # serialNumber, signature
            position = _tlv(der, position, tbs_stop)[2]
        tag, issuer_start, issuer_stop = _tlv(der, position, tbs_stop)
        validity_stop = _tlv(der, issuer_stop, tbs_stop)[2]
        tag_subject, subject_start, subject_stop = _tlv(der, validity_stop, tbs_stop)
        if tag != 0x30 or tag_subject != 0x30:
            return None
        for name_start, name_stop in ((issuer_start, issuer_stop), (subject_start, subject_stop)):
            while name_start < name_stop:
                _, rdn_start, rdn_stop = _tlv(der, name_start, name_stop)
                if _tlv(der, rdn_start, rdn_stop)[2] != rdn_stop:
                    return None
                name_start = rdn_stop
    except (_Unsure, IndexError):
        return None
    return der[start:tbs_stop], der[tbs_stop:algorithm_stop], der[bits_start + 1 : bits_stop]


# SEC 1 EC private keys as OpenSSL, Go and cryptography write them (with the public point):
# (the bytes before the scalar, the scalar's length, the bytes between it and the point, size)
_SEC1_LAYOUTS = (
    (bytes.fromhex("30770201010420"), 32, bytes.fromhex("a00a06082a8648ce3d030107a144034200"), 256),
    (bytes.fromhex("3081a40201010430"), 48, bytes.fromhex("a00706052b81040022a164036200"), 384),
)


def ec_private_key_spki(der: bytes) -> tuple[bytes, int] | None:
    """(SubjectPublicKeyInfo DER, curve size) of a P-256 or P-384 SEC 1 private key from the
    public point it holds — for a key cryptography has loaded, which checks that point against
    the private scalar; None for any other layout."""
    for head, scalar, middle, size in _SEC1_LAYOUTS:
        width = (size + 7) // 8
        point_at = len(head) + scalar + len(middle)
        if (
            len(der) == point_at + 1 + 2 * width
            and der.startswith(head)
            and der[point_at - len(middle) : point_at] == middle
            and der[point_at] == 4
        ):
            return _EC_HEADS[size] + der[point_at:], size
    return None


def serial_text(der: bytes) -> str | None:
    """A certificate's serial number in decimal, from its DER (None when not laid out so)."""
    try:
        end = len(der)
        _, start, stop = _tlv(der, 0, end)
        _, position, tbs_stop = _tlv(der, start, stop)
        if der[position] == 0xA0:
            position = _tlv(der, position, tbs_stop)[2]
        tag, serial_start, serial_stop = _tlv(der, position, tbs_stop)
    except (_Unsure, IndexError):
        return None
    if tag != 0x02 or serial_start == serial_stop:
        return None
    return str(int.from_bytes(der[serial_start:serial_stop], "big", signed=True))


# signatureAlgorithm DER → (the key kind that makes it, hashlib's name of its hash), for the
# usual RSA (PKCS #1 v1.5) and ECDSA signatures
SIGNATURE_HASHES: dict[bytes, tuple[str, str]] = {
    bytes.fromhex("300d06092a864886f70d01010b0500"): ("RSA", "sha256"),
    bytes.fromhex("300d06092a864886f70d01010c0500"): ("RSA", "sha384"),
    bytes.fromhex("300d06092a864886f70d01010d0500"): ("RSA", "sha512"),
    bytes.fromhex("300a06082a8648ce3d040302"): ("ECDSA", "sha256"),
    bytes.fromhex("300a06082a8648ce3d040303"): ("ECDSA", "sha384"),
    bytes.fromhex("300a06082a8648ce3d040304"): ("ECDSA", "sha512"),
}
_ALGORITHMS = {algorithm: algorithm for algorithm in SIGNATURE_HASHES}  # one copy of each


def signature_inputs(der: bytes) -> tuple[bytes, bytes, bytes] | None:
    """What checking a certificate's signature needs, without its DER: (signatureAlgorithm
    DER, signature, digest of the tbsCertificate by the algorithm's hash); None for the
    other algorithms, or when signed_parts cannot tell them."""
    parts = signed_parts(der)
    if parts is None:
        return None
    tbs, algorithm, signature = parts
    how = SIGNATURE_HASHES.get(algorithm)
    if how is None:
        return None
    return _ALGORITHMS[algorithm], signature, hashlib.new(how[1], tbs).digest()
