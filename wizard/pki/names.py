"""Distinguished-name attributes: their short names (C, ST, …) and how a value is encoded."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

SUBJECT_OIDS: dict[str, x509.ObjectIdentifier] = {
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
}
"""cfssl's `names` fields, in the order cfssl writes them into a DN (then the CN)."""

SHORT_NAMES: dict[x509.ObjectIdentifier, str] = {
    **{oid: short for short, oid in SUBJECT_OIDS.items()},
    NameOID.COMMON_NAME: "CN",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.STREET_ADDRESS: "street",
    NameOID.POSTAL_CODE: "postalCode",
}
"""The short name shown for each DN attribute we know; others show their dotted OID."""


def short_name(oid: x509.ObjectIdentifier) -> str:
    """`C`, `CN`, `emailAddress`…, or the dotted OID for an attribute without a short name."""
    return SHORT_NAMES.get(oid, oid.dotted_string)


def name_attribute(oid: x509.ObjectIdentifier, value: str, printable: bool) -> x509.NameAttribute:
    """An attribute as PrintableString (when `printable`) or UTF8String, as Go encodes names.

    cryptography has no public way to choose a string type: `_ASN1Type` is its private enum
    (present since cryptography 2.x, still there in 46). This is the one place that uses it.
    """
    kind = x509.name._ASN1Type.PrintableString if printable else x509.name._ASN1Type.UTF8String
    return x509.NameAttribute(oid, value, kind)
