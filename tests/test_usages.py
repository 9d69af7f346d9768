"""The one usage table: cfssl's word ↔ KeyUsage attribute ↔ EKU OID, both ways."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from wizard.catalog import all_profiles
from wizard.pki.usages import (
    ALIASES,
    CFSSL_WORDS,
    ISSUED_WORDS,
    KEY_USAGE_ATTRIBUTES,
    USAGES,
    canonical_order,
    eku_word,
    extended_key_usages,
    key_usage_flags,
    key_usage_words,
    shown_word,
    usage_of,
)

# cfssl-compat.md §3 (the team's notes on cfssl 1.2): "`signing` and `digital signature` →
# digitalSignature; `key encipherment`, `key agreement`, `data encipherment`, `cert sign`,
# `crl sign` as named; `server auth` → serverAuth EKU, `client auth` → clientAuth EKU."
COMPAT_KEY_USAGES = {
    "signing": "digital_signature",
    "digital signature": "digital_signature",
    "key encipherment": "key_encipherment",
    "key agreement": "key_agreement",
    "data encipherment": "data_encipherment",
    "cert sign": "key_cert_sign",
    "crl sign": "crl_sign",
}
COMPAT_EKUS = {
    "server auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client auth": ExtendedKeyUsageOID.CLIENT_AUTH,
}


def test_the_table_matches_the_compat_notes() -> None:
    for word, attribute in COMPAT_KEY_USAGES.items():
        usage = usage_of(word)
        assert usage is not None and usage.key_usage == attribute and usage.eku is None, word
    for word, oid in COMPAT_EKUS.items():
        usage = usage_of(word)
        assert usage is not None and usage.eku == oid and usage.key_usage is None, word
    assert set(COMPAT_KEY_USAGES) | set(COMPAT_EKUS) == ISSUED_WORDS


@pytest.mark.parametrize("usage", USAGES, ids=lambda u: u.word)
def test_each_usage_round_trips(usage) -> None:
    assert usage_of(usage.word) == usage
    assert (usage.key_usage is None) != (usage.eku is None)  # exactly one of the two
    if usage.eku is not None:
        assert eku_word(usage.eku) == usage.word
        assert usage.is_extended
    else:
        flags = dict.fromkeys(KEY_USAGE_ATTRIBUTES, False)
        flags[usage.key_usage] = True
        if usage.key_usage in ("encipher_only", "decipher_only"):
            flags["key_agreement"] = True
        words = key_usage_words(x509.KeyUsage(**flags))
        assert usage.word in words


def test_every_key_usage_bit_and_word_is_in_the_table_once() -> None:
    assert sorted(KEY_USAGE_ATTRIBUTES) == sorted(
        name for name in vars(x509.KeyUsage) if isinstance(getattr(x509.KeyUsage, name), property)
    )
    words = [u.word for u in USAGES]
    assert len(words) == len(set(words))
    assert all(usage_of(word) is not None for word in CFSSL_WORDS)
    assert all(usage_of(alias).word == target for alias, target in ALIASES.items())


def test_words_become_bits_and_ekus_as_cfssl_makes_them() -> None:
    bits = key_usage_flags(("signing", "key encipherment", "server auth", "client auth"), False)
    assert key_usage_words(bits) == ["digital signature", "key encipherment"]
    assert extended_key_usages(("client auth", "signing", "server auth")) == [
        ExtendedKeyUsageOID.CLIENT_AUTH,  # the config's order
        ExtendedKeyUsageOID.SERVER_AUTH,
    ]
    ca = key_usage_flags((), True)
    assert key_usage_words(ca) == ["cert sign", "crl sign"]
    # words we do not issue are ignored, as cfssl ignores unknown ones
    assert key_usage_words(key_usage_flags(("content committment", "bogus"), False)) == []
    assert extended_key_usages(("code signing",)) == []


def test_shown_words_and_the_canonical_order() -> None:
    assert shown_word("signing") == "digital signature"
    assert shown_word("unheard of") == "unheard of"
    assert eku_word(x509.ObjectIdentifier("1.2.3.4")) == "1.2.3.4"
    assert canonical_order(
        ["client auth", "zeta", "digital signature", "alpha", "client auth"]
    ) == [
        "digital signature",
        "client auth",
        "alpha",
        "zeta",
    ]


def test_every_signing_profile_word_is_known_and_issued() -> None:
    for profile in all_profiles().values():
        for signing in profile.signing_profiles:
            assert set(signing.usages) <= ISSUED_WORDS, (profile.name, signing.name)
