"""Keys, CSRs and certificates, issued the way cfssl 1.2 issues them — minus its bugs.

Followed from cfssl (§4 of the team's cfssl-compat notes): 20-byte positive serials,
notBefore rounded to the minute and backdated five minutes, exact-hour lifetimes, the hash
chosen by the CA's key, SHA-1 subject key ids, critical key usage and basic constraints, DN
order C, ST, L, O, OU, CN with PrintableString where possible, PKCS#1 / SEC1 private keys.
Not followed: every certificate carries an Authority Key Identifier (the root: its own), so a
leaf whose subject equals the CA's still verifies; and no leaf outlives its CA.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from wizard.pki.names import SUBJECT_OIDS, name_attribute
from wizard.pki.usages import extended_key_usages, key_usage_flags

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_CURVES: dict[int, Callable[[], ec.EllipticCurve]] = {
    256: ec.SECP256R1,
    384: ec.SECP384R1,
    521: ec.SECP521R1,
}
_PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]*$")
BACKDATE = timedelta(minutes=5)


class PKIError(ValueError):
    """A key or certificate that cannot be used; the message says which and why."""


def new_private_key(algo: str, size: int) -> PrivateKey:
    """A fresh RSA (e=65537) or ECDSA key of the given size."""
    if algo == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if algo == "ecdsa":
        return ec.generate_private_key(_CURVES[size]())
    raise PKIError(f'key algorithm "{algo}" is not supported — use rsa or ecdsa')


def private_key_pem(key: PrivateKey) -> bytes:
    """The key as cfssljson writes it: PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY`."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def public_key_pem(public_key: PublicKey) -> bytes:
    """A public key as PEM (`PUBLIC KEY`, SubjectPublicKeyInfo)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    """The certificate as PEM."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def csr_pem(csr: x509.CertificateSigningRequest) -> bytes:
    """The CSR as PEM (`CERTIFICATE REQUEST`)."""
    return csr.public_bytes(serialization.Encoding.PEM)


def build_name(names: dict[str, str], common_name: str) -> x509.Name:
    """A DN in cfssl's order C, ST, L, O, OU, CN; empty values are left out."""
    attributes = []
    for key, oid in SUBJECT_OIDS.items():
        value = names.get(key, "")
        if value:
            attributes.append(_attribute(oid, value))
    if common_name:
        attributes.append(_attribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _attribute(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute:
    if len(value) > 64:  # X.520's upper bound for CN, O, OU, L and ST
        raise PKIError(f'"{value}" is {len(value)} characters — a name in a certificate holds 64')
    return name_attribute(oid, value, printable=bool(_PRINTABLE.match(value)))


def san_extension(hosts: list[str]) -> x509.SubjectAlternativeName | None:
    """DNS names first, then IP addresses, as Go marshals them; None when there are no hosts."""
    names: list[x509.GeneralName] = []
    addresses: list[x509.GeneralName] = []
    for host in hosts:
        try:
            addresses.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    if not names and not addresses:
        return None
    return x509.SubjectAlternativeName(names + addresses)


def build_csr(
    key: PrivateKey, subject: x509.Name, hosts: list[str], *, is_ca: bool = False
) -> x509.CertificateSigningRequest:
    """A PKCS#10 request carrying the subject and the SANs, signed by the key.

    A CA's asks for CA:TRUE (critical, no path length), as `cfssl gencert -initca` writes it.
    """
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if is_ca:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    sans = san_extension(hosts)
    if sans is not None:
        builder = builder.add_extension(sans, critical=False)
    return builder.sign(key, signature_hash(key))


def signature_hash(signer_key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
    """cfssl's hash for a signing key: by RSA size or by curve."""
    if isinstance(signer_key, rsa.RSAPrivateKey):
        if signer_key.key_size >= 4096:
            return hashes.SHA512()
        if signer_key.key_size >= 3072:
            return hashes.SHA384()
        return hashes.SHA256()
    size = signer_key.curve.key_size
    if size >= 521:
        return hashes.SHA512()
    if size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def random_serial() -> int:
    """20 random bytes with the top bit cleared, as cfssl makes serials (never zero)."""
    while True:
        serial = int.from_bytes(os.urandom(20), "big") & ((1 << 159) - 1)
        if serial:
            return serial


def not_before(now: datetime | None = None) -> datetime:
    """Now rounded to the nearest minute, minus five minutes (cfssl's backdate)."""
    now = now or datetime.now(UTC)
    rounded = now.replace(second=0, microsecond=0)
    if now - rounded >= timedelta(seconds=30):
        rounded += timedelta(minutes=1)
    return rounded - BACKDATE


def _ext_key_usage(words: tuple[str, ...]) -> x509.ExtendedKeyUsage | None:
    usages = extended_key_usages(words)
    return x509.ExtendedKeyUsage(usages) if usages else None


def issue_ca(
    key: PrivateKey, subject: x509.Name, lifetime: timedelta, now: datetime | None = None
) -> x509.Certificate:
    """A self-signed CA as `cfssl gencert -initca` makes it, plus an AKI equal to its SKI."""
    start = not_before(now)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(random_serial())
        .not_valid_before(start)
        .not_valid_after(start + lifetime)
        .add_extension(key_usage_flags((), is_ca=True), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
    )
    return builder.sign(key, signature_hash(key))


def issue_leaf(
    csr: x509.CertificateSigningRequest,
    usages: tuple[str, ...],
    lifetime: timedelta,
    ca_certificate: x509.Certificate,
    ca_key: PrivateKey,
    now: datetime | None = None,
) -> x509.Certificate:
    """Sign a CSR with a signing profile's usages, as `cfssl gencert -ca …` does, plus an AKI."""
    start = not_before(now)
    end = start + lifetime
    if end > ca_certificate.not_valid_after_utc:
        raise PKIError(
            f"the certificate would end on {end:%Y-%m-%d} but its CA ends on "
            f"{ca_certificate.not_valid_after_utc:%Y-%m-%d} — shorten expiry.cert"
        )
    public_key = csr.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(random_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(key_usage_flags(usages, is_ca=False), critical=True)
    )
    eku = _ext_key_usage(usages)
    if eku is not None:
        builder = builder.add_extension(eku, critical=False)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
    )
    builder = builder.add_extension(authority_key_id(ca_certificate), critical=False)
    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = None
    if sans is not None:
        builder = builder.add_extension(sans, critical=False)
    return builder.sign(ca_key, signature_hash(ca_key))


def authority_key_id(ca_certificate: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    """The AKI for certificates signed by this CA: its SKI, or one computed from its key."""
    try:
        ski = ca_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        ski = x509.SubjectKeyIdentifier.from_public_key(ca_certificate.public_key())
    return x509.AuthorityKeyIdentifier(ski.digest, None, None)


def key_matches_certificate(key: PrivateKey, certificate: x509.Certificate) -> bool:
    """True when the private key belongs to the certificate's public key (False when the
    certificate's public key cannot be read)."""
    try:
        theirs = public_key_bytes(certificate.public_key())
    except (UnsupportedAlgorithm, ValueError):
        return False
    return public_key_bytes(key.public_key()) == theirs


def public_key_bytes(public_key: object) -> bytes:
    """The DER SubjectPublicKeyInfo of a public key, for comparing keys."""
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class DamagedKeyError(ValueError):
    """An RSA key whose numbers do not fit together; the message says which."""


def parse_private_key(data: bytes, *, pem: bool = True) -> PrivateKeyTypes:
    """Any unencrypted private key, PEM or DER (PKCS#1, SEC1 or PKCS#8).

    cryptography's own RSA check holds the GIL for ~35 ms per RSA 2048 key and ~300 ms per RSA
    4096 key (it tests p and q for primality), which freezes the screen; the key is loaded
    without it and its numbers are checked for consistency here instead, in microseconds.
    Raises TypeError when the key is encrypted, DamagedKeyError for a damaged RSA key, and
    ValueError (or UnsupportedAlgorithm) when the bytes are not a key.
    """
    load = serialization.load_pem_private_key if pem else serialization.load_der_private_key
    key = load(data, password=None, unsafe_skip_rsa_key_validation=True)
    if isinstance(key, rsa.RSAPrivateKey):
        problem = rsa_key_problem(key.private_numbers())
        if problem:
            raise DamagedKeyError(problem)
    return key


def load_private_key(data: bytes, name: str) -> PrivateKey:
    """Load an unencrypted PEM RSA or ECDSA private key; PKIError says, naming the file, why not."""
    try:
        key = parse_private_key(data)
    except TypeError:
        raise PKIError(f"{name}: the key is encrypted — decrypt it first (openssl pkey)") from None
    except DamagedKeyError as error:
        raise PKIError(
            f"{name}: the RSA key is damaged ({error}) — restore it from a backup"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise PKIError(f"{name}: not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PKIError(f"{name}: only RSA and ECDSA keys are supported")
    return key


def rsa_key_problem(numbers: rsa.RSAPrivateNumbers) -> str:
    """What is inconsistent between an RSA key's numbers, or "" (primality is not tested)."""
    p, q, d = numbers.p, numbers.q, numbers.d
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    if min(p, q, d, e) < 2 or p * q != n:
        return "p·q ≠ n"
    lcm = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    if d * e % lcm != 1:
        return "d·e ≢ 1"
    if numbers.dmp1 != d % (p - 1) or numbers.dmq1 != d % (q - 1):
        return "CRT exponents do not match d"
    if numbers.iqmp * q % p != 1:
        return "CRT coefficient does not match"
    return ""


def load_certificate(data: bytes, name: str) -> x509.Certificate:
    """Load the first PEM certificate of a file, checked so that reading its public key or its
    signature algorithm later cannot fail. Raises PKIError: `name`, then what is wrong ("is not
    a PEM certificate …", "holds a damaged certificate: …"); the caller adds the fix."""
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except x509.InvalidVersion as error:
        raise PKIError(
            f"{name} holds a damaged certificate: its version field is {error.parsed_version}, "
            "and only 0-2 (X.509 v1-v3) exist"
        ) from None
    except ValueError:
        if b"-----BEGIN CERTIFICATE-----" not in data:
            raise PKIError(
                f"{name} is not a PEM certificate (it has no -----BEGIN CERTIFICATE----- line)"
            ) from None
        raise PKIError(
            f"{name} holds a damaged certificate: its DER is cut short or garbled and cannot be "
            "parsed"
        ) from None
    try:
        certificate.public_key()
    except (UnsupportedAlgorithm, ValueError):
        raise PKIError(
            f"{name} holds a certificate whose public key ({_spki_algorithm(certificate)}) is "
            "damaged or of a kind no Kubernetes component uses (only RSA and ECDSA are)"
        ) from None
    try:
        certificate.signature_hash_algorithm  # noqa: B018 - parsed here, so it fails here
    except UnsupportedAlgorithm:
        raise PKIError(
            f"{name} holds a certificate signed with an algorithm nothing here knows "
            f"({certificate.signature_algorithm_oid.dotted_string})"
        ) from None
    return certificate


def _spki_algorithm(certificate: x509.Certificate) -> str:
    """The public key algorithm's OID, read from the certificate's DER, or "unknown"."""
    try:
        return certificate.public_key_algorithm_oid.dotted_string
    except (UnsupportedAlgorithm, ValueError):
        return "algorithm unknown"


def is_ca_certificate(certificate: x509.Certificate) -> bool:
    """True when basic constraints say CA:TRUE."""
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
