"""The one usage vocabulary: cfssl's word ↔ cryptography's KeyUsage attribute ↔ the EKU OID.

cfssl's `config.go` maps the words of a signing profile's `usages` to key usage bits and
extended key usages; certificates are shown back in the same words (`signing` is shown as
`digital signature`, the bit's own name). Every reader and writer of usages uses this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID


@dataclass(frozen=True)
class Usage:
    """One usage: cfssl's word for it, and the key usage bit or the EKU it becomes."""

    word: str  # cfssl's word, and how a certificate's usage is shown
    key_usage: str | None = None  # cryptography's x509.KeyUsage attribute
    eku: x509.ObjectIdentifier | None = None

    @property
    def is_extended(self) -> bool:
        """True for an extended key usage (an EKU OID), False for a key usage bit."""
        return self.eku is not None


# Key usage bits in the order of the extension's bits (RFC 5280 §4.2.1.3), which is the order
# they are shown in; then the EKUs, server auth and client auth first.
USAGES: tuple[Usage, ...] = (
    Usage("digital signature", key_usage="digital_signature"),
    Usage("content commitment", key_usage="content_commitment"),
    Usage("key encipherment", key_usage="key_encipherment"),
    Usage("data encipherment", key_usage="data_encipherment"),
    Usage("key agreement", key_usage="key_agreement"),
    Usage("cert sign", key_usage="key_cert_sign"),
    Usage("crl sign", key_usage="crl_sign"),
    Usage("encipher only", key_usage="encipher_only"),
    Usage("decipher only", key_usage="decipher_only"),
    Usage("server auth", eku=ExtendedKeyUsageOID.SERVER_AUTH),
    Usage("client auth", eku=ExtendedKeyUsageOID.CLIENT_AUTH),
    Usage("code signing", eku=ExtendedKeyUsageOID.CODE_SIGNING),
    Usage("email protection", eku=ExtendedKeyUsageOID.EMAIL_PROTECTION),
    Usage("timestamping", eku=ExtendedKeyUsageOID.TIME_STAMPING),
    Usage("ocsp signing", eku=ExtendedKeyUsageOID.OCSP_SIGNING),
    Usage("any", eku=ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE),
)

ALIASES: dict[str, str] = {
    "signing": "digital signature",  # the guide's word for the digital signature bit
    "content committment": "content commitment",  # sic: cfssl's config.go spells it so
}
"""cfssl's other words for a usage (and its spelling where it differs from the bit's name)."""

CFSSL_WORDS: tuple[str, ...] = (
    *(u.word for u in USAGES if u.word not in ALIASES.values() or u.word == "digital signature"),
    *ALIASES,
)
"""Every word cfssl accepts in a signing profile's `usages` that this table knows."""

ISSUED_WORDS: frozenset[str] = frozenset(
    {
        "signing",
        "digital signature",
        "key encipherment",
        "key agreement",
        "data encipherment",
        "cert sign",
        "crl sign",
        "server auth",
        "client auth",
    }
)
"""The words our signer turns into bits (cfssl-compat.md §3); others are ignored, as cfssl does."""

_BY_WORD: dict[str, Usage] = {u.word: u for u in USAGES}
_BY_ATTRIBUTE: dict[str, Usage] = {u.key_usage: u for u in USAGES if u.key_usage}
_BY_EKU: dict[x509.ObjectIdentifier, Usage] = {u.eku: u for u in USAGES if u.eku is not None}

KEY_USAGE_ATTRIBUTES: tuple[str, ...] = tuple(_BY_ATTRIBUTE)
"""Every x509.KeyUsage attribute, in bit order."""


def usage_of(word: str) -> Usage | None:
    """The usage a cfssl word names (`signing` included), or None for an unknown word."""
    return _BY_WORD.get(ALIASES.get(word, word))


def shown_word(word: str) -> str:
    """How a certificate shows a cfssl word: `signing` → `digital signature`."""
    usage = usage_of(word)
    return usage.word if usage else word


def key_usage_flags(words: tuple[str, ...] | list[str], is_ca: bool) -> x509.KeyUsage:
    """The key usage extension for these words (a CA also gets cert sign and crl sign)."""
    flags = dict.fromkeys(KEY_USAGE_ATTRIBUTES, False)
    if is_ca:
        flags["key_cert_sign"] = flags["crl_sign"] = True
    for word in words:
        usage = usage_of(word)
        if word in ISSUED_WORDS and usage is not None and usage.key_usage:
            flags[usage.key_usage] = True
    return x509.KeyUsage(**flags)


def extended_key_usages(words: tuple[str, ...] | list[str]) -> list[x509.ObjectIdentifier]:
    """The EKU OIDs for these words, in the words' order (as cfssl keeps the config's order)."""
    result = []
    for word in words:
        usage = usage_of(word)
        if word in ISSUED_WORDS and usage is not None and usage.eku is not None:
            result.append(usage.eku)
    return result


def key_usage_words(usage: x509.KeyUsage) -> list[str]:
    """The bits set in a key usage extension, as words in bit order.

    encipher only and decipher only are defined only with key agreement (cryptography raises
    when they are read without it)."""
    words = []
    for attribute, item in _BY_ATTRIBUTE.items():
        if attribute in ("encipher_only", "decipher_only") and not usage.key_agreement:
            continue
        if getattr(usage, attribute):
            words.append(item.word)
    return words


def eku_word(oid: x509.ObjectIdentifier) -> str:
    """The word for an EKU OID, or its dotted string when it has none."""
    usage = _BY_EKU.get(oid)
    return usage.word if usage else oid.dotted_string


def canonical_order(words: list[str] | tuple[str, ...]) -> list[str]:
    """Each word once: the table's in table order, then unknown ones sorted."""
    unique = list(dict.fromkeys(words))
    known = [u.word for u in USAGES if u.word in unique]
    return known + sorted(w for w in unique if w not in _BY_WORD)
