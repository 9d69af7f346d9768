"""Certificates built by hand in DER, for inputs cryptography will not make (the certinfo tests)."""

from __future__ import annotations

import base64
import textwrap

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

EC_KEY = ec.generate_private_key(ec.SECP256R1())
SPKI = EC_KEY.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element."""
    n = len(content)
    if n < 128:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def seq(*items: bytes) -> bytes:
    """A SEQUENCE of DER elements."""
    return tlv(0x30, b"".join(items))


def oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER."""
    arcs = [int(a) for a in dotted.split(".")]
    out = b""
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return tlv(6, out)


def integer(value: int) -> bytes:
    """An INTEGER, two's complement, minimal."""
    size = (value.bit_length() + 8) // 8 if value >= 0 else ((-value - 1).bit_length() + 8) // 8
    return tlv(2, value.to_bytes(max(size, 1), "big", signed=True))


def raw_name(*rdns: list[tuple[str, int, bytes]]) -> bytes:
    """A Name from RDNs given as lists of (OID, string tag, raw value)."""
    return seq(*[tlv(0x31, b"".join(seq(oid(o), tlv(t, v)) for o, t, v in rdn)) for rdn in rdns])


ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"))


def raw_cert(
    subject: bytes | None = None,
    extensions: list[bytes] | None = None,
    validity: bytes | None = None,
    sigalg: bytes = ECDSA_SHA256,
    outer_sigalg: bytes | None = None,
    serial: int | bytes = 1,
    version: int | None = 2,
    spki: bytes = SPKI,
) -> bytes:
    """A certificate DER built by hand (the signature is junk; cfssl-certinfo never checks it).

    `serial` is a number, or the raw DER element (for non-minimal encodings)."""
    subject = subject if subject is not None else raw_name([("2.5.4.3", 0x0C, b"x")])
    validity = validity or seq(tlv(0x17, b"200101000000Z"), tlv(0x17, b"300101000000Z"))
    parts = [tlv(0xA0, integer(version))] if version is not None else []
    serial_element = serial if isinstance(serial, bytes) else integer(serial)
    parts += [serial_element, sigalg, subject, validity, subject, spki]
    if extensions is not None:
        parts.append(tlv(0xA3, seq(*extensions)))
    signature = tlv(3, b"\x00" + seq(integer(1), integer(1)))
    return seq(seq(*parts), outer_sigalg or sigalg, signature)


def ext(dotted: str, value: bytes, critical: bool = False) -> bytes:
    """One extension."""
    return seq(oid(dotted), *([tlv(1, b"\xff")] if critical else []), tlv(4, value))


def pem(der: bytes, label: str = "CERTIFICATE") -> bytes:
    """DER wrapped as PEM, 64 columns."""
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()
