"""What a certificate says, as plain data: the inspection panel and the review read this.

cfssl-certinfo's fields plus what it leaves out: key type and size, key usage and EKU, the CA flag,
whether the chain verifies and the key matches, and the Kubernetes identity (CN → user, O → groups).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from wizard.expiry import WARN_DAYS, days_until
from wizard.pki import public_key_bytes
from wizard.pki.names import short_name
from wizard.pki.usages import eku_word
from wizard.pki.usages import key_usage_words as _key_usage_words

SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_MD5: "MD5-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512-RSA",
    SignatureAlgorithmOID.RSASSA_PSS: "RSA-PSS",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ECDSA-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ECDSA-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ECDSA-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ECDSA-SHA512",
    SignatureAlgorithmOID.ED25519: "Ed25519",
    SignatureAlgorithmOID.ED448: "Ed448",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "DSA-SHA1",
    SignatureAlgorithmOID.DSA_WITH_SHA256: "DSA-SHA256",
}

# What the built-in RBAC bindings give well-known users and groups.
WELL_KNOWN_BINDINGS = {
    "system:masters": "group bound to ClusterRole cluster-admin — bypasses RBAC entirely",
    "system:nodes": "group of kubelets; the Node authorizer limits each to its own node",
    "system:kube-proxy": "user bound to ClusterRole system:node-proxier",
    "system:kube-controller-manager": "user bound to ClusterRole system:kube-controller-manager",
    "system:kube-scheduler": "user bound to ClusterRole system:kube-scheduler",
    "system:bootstrappers": "group that may only create certificate signing requests",
}


@dataclass(frozen=True)
class Identity:
    """The Kubernetes identity a client certificate gives: user, groups, and what RBAC grants."""

    user: str
    groups: tuple[str, ...]
    grants: tuple[str, ...]


@dataclass(frozen=True)
class CertDetails:
    """Everything the inspection panel shows about one certificate."""

    subject: dict[str, str]
    issuer: dict[str, str]
    serial: int
    dns_sans: list[str]
    ip_sans: list[str]
    other_sans: list[str]
    not_before: datetime
    not_after: datetime
    days_left: int
    lifetime_days: int
    elapsed_fraction: float
    sigalg: str
    key_type: str
    key_size: int
    key_usage: list[str]
    ext_key_usage: list[str]
    is_ca: bool
    path_length: int | None
    ski: str
    aki: str
    self_signed: bool
    identity: Identity
    chain_ok: bool | None = None
    key_matches: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """`expired`, `not yet valid`, `expiring` (WARN_DAYS or less) or `valid`."""
        if self.days_left < 0:
            return "expired"
        if self.elapsed_fraction < 0:
            return "not yet valid"
        if self.days_left <= WARN_DAYS:
            return "expiring"
        return "valid"


def name_fields(name: x509.Name) -> dict[str, str]:
    """A DN as label → value (repeated attributes joined with ', '), in DN order."""
    result: dict[str, str] = {}
    for attribute in name:
        label = short_name(attribute.oid)
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
        result[label] = f"{result[label]}, {value}" if label in result else value
    return result


def name_values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    """Every value of one attribute in a DN, e.g. all the O values (the groups)."""
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def key_description(public_key: object) -> tuple[str, int]:
    """("RSA", 2048), ("ECDSA", 256), ("Ed25519", 256)…"""
    kind = key_kind(public_key)
    if kind == "RSA":
        return "RSA", public_key.key_size  # type: ignore[attr-defined]
    if kind == "ECDSA":
        return "ECDSA", public_key.curve.key_size  # type: ignore[attr-defined]
    if kind == "Ed25519":
        return "Ed25519", 256
    if kind == "Ed448":
        return "Ed448", 456
    if kind == "DSA":
        return "DSA", public_key.key_size  # type: ignore[attr-defined]
    return "unknown", 0


def key_kind(public_key: object) -> str:
    """RSA, ECDSA, Ed25519, Ed448, DSA or unknown: which of cryptography's public key classes
    this is. Told once per concrete class (cryptography's key classes are ABCs, and asking an
    ABC costs microseconds: thousands of certificates made that show)."""
    kind = _KEY_KINDS.get(type(public_key))
    if kind is None:
        kind = next((name for name, cls in _KEY_CLASSES if isinstance(public_key, cls)), "unknown")
        _KEY_KINDS[type(public_key)] = kind
    return kind


_KEY_CLASSES: tuple[tuple[str, type], ...] = (
    ("RSA", rsa.RSAPublicKey),
    ("ECDSA", ec.EllipticCurvePublicKey),
    ("Ed25519", ed25519.Ed25519PublicKey),
    ("Ed448", ed448.Ed448PublicKey),
    ("DSA", dsa.DSAPublicKey),
)
_KEY_KINDS: dict[type, str] = {}


def key_usage_words(certificate: x509.Certificate) -> list[str]:
    """The key usage bits in cfssl's words."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return _key_usage_words(usage)


def ext_key_usage_words(certificate: x509.Certificate) -> list[str]:
    """The extended key usages in cfssl's words (`server auth`, `client auth`, …)."""
    try:
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [eku_word(oid) for oid in usages]


def subject_alternative_names(
    certificate: x509.Certificate,
) -> tuple[list[str], list[str], list[str]] | None:
    """(DNS names, IP addresses, other names) — None when there is no SAN extension at all."""
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    dns = [str(n) for n in sans.get_values_for_type(x509.DNSName)]
    ips = [str(a) for a in sans.get_values_for_type(x509.IPAddress)]
    other = [f"email:{e}" for e in sans.get_values_for_type(x509.RFC822Name)]
    other += [f"URI:{u}" for u in sans.get_values_for_type(x509.UniformResourceIdentifier)]
    return dns, ips, other


def key_id_text(data: bytes | None) -> str:
    """A key id as colon-separated upper-case hex (zero-padded, as openssl prints it)."""
    return data.hex(":").upper() if data else ""


def subject_key_id(certificate: x509.Certificate) -> bytes | None:
    """The SKI bytes, or None."""
    try:
        return certificate.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier
        ).value.digest
    except x509.ExtensionNotFound:
        return None


def authority_key_id(certificate: x509.Certificate) -> bytes | None:
    """The AKI's key identifier bytes, or None."""
    try:
        return certificate.extensions.get_extension_for_class(
            x509.AuthorityKeyIdentifier
        ).value.key_identifier
    except x509.ExtensionNotFound:
        return None


def basic_constraints(certificate: x509.Certificate) -> tuple[bool, int | None]:
    """(CA flag, path length)."""
    try:
        value = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False, None
    return value.ca, value.path_length


def signature_algorithm_name(certificate: x509.Certificate) -> str:
    """Go's name for the signature algorithm: `SHA256-RSA`, `ECDSA-SHA384`, `Ed25519`…"""
    return SIGNATURE_NAMES.get(
        certificate.signature_algorithm_oid, certificate.signature_algorithm_oid.dotted_string
    )


def signed_by(
    certificate: x509.Certificate, issuer: x509.Certificate, issuer_key: object = None
) -> bool:
    """True when the issuer's public key verifies the certificate's signature (False when
    the key or the signature cannot even be read). `issuer_key`: the issuer's public key when
    the caller has it already (one CA checking thousands of signatures)."""
    try:
        hash_algorithm = certificate.signature_hash_algorithm
        public_key = issuer.public_key() if issuer_key is None else issuer_key
        kind = key_kind(public_key)
        # RSA and ECDSA signatures name a hash; one that names none is not theirs (→ False).
        if kind == "RSA" and hash_algorithm is not None:
            params = certificate.signature_algorithm_parameters
            pad = params if isinstance(params, padding.PSS) else padding.PKCS1v15()
            cast(rsa.RSAPublicKey, public_key).verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                pad,
                hash_algorithm,
            )
        elif kind == "ECDSA" and hash_algorithm is not None:
            cast(ec.EllipticCurvePublicKey, public_key).verify(
                certificate.signature,
                certificate.tbs_certificate_bytes,
                ec.ECDSA(hash_algorithm),
            )
        elif kind in ("Ed25519", "Ed448"):
            edwards = cast(ed25519.Ed25519PublicKey | ed448.Ed448PublicKey, public_key)
            edwards.verify(certificate.signature, certificate.tbs_certificate_bytes)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def identity_of(certificate: x509.Certificate, entry_identity: str = "") -> Identity:
    """CN as the user, every O as a group, and what the built-in RBAC bindings give them."""
    user = (name_values(certificate.subject, NameOID.COMMON_NAME) or [""])[-1]
    groups = tuple(name_values(certificate.subject, NameOID.ORGANIZATION_NAME))
    grants = []
    if entry_identity:
        grants.append(entry_identity)
    for name in (user, *groups):
        if name in WELL_KNOWN_BINDINGS:
            grants.append(f"{name}: {WELL_KNOWN_BINDINGS[name]}")
    if user.startswith("system:node:") and "system:nodes" not in groups:
        grants.append("a node name without group system:nodes: the Node authorizer ignores it")
    return Identity(user, groups, tuple(dict.fromkeys(grants)))


def describe_certificate(
    certificate: x509.Certificate,
    *,
    issuer: x509.Certificate | None = None,
    key: object | None = None,
    now: datetime | None = None,
    entry_identity: str = "",
) -> CertDetails:
    """The details of a certificate; with `issuer` and `key`, also chain and key checks."""
    now = now or datetime.now(UTC)
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    lifetime = (end - start).total_seconds() or 1.0
    sans = subject_alternative_names(certificate) or ([], [], [])
    key_type, key_size = key_description(certificate.public_key())
    is_ca, path_length = basic_constraints(certificate)
    ski, aki = subject_key_id(certificate), authority_key_id(certificate)
    self_signed = certificate.issuer == certificate.subject and signed_by(certificate, certificate)
    chain_ok = None
    if issuer is not None:
        chain_ok = signed_by(certificate, issuer) and issuer.subject == certificate.issuer
    elif self_signed:
        chain_ok = True
    key_matches = None
    if key is not None:
        public = getattr(key, "public_key", None)
        key_matches = callable(public) and public_key_bytes(public()) == public_key_bytes(
            certificate.public_key()
        )
    return CertDetails(
        subject=name_fields(certificate.subject),
        issuer=name_fields(certificate.issuer),
        serial=certificate.serial_number,
        dns_sans=sans[0],
        ip_sans=sans[1],
        other_sans=sans[2],
        not_before=start,
        not_after=end,
        days_left=days_until(end, now),
        lifetime_days=int(lifetime // 86400),
        elapsed_fraction=(now - start).total_seconds() / lifetime,
        sigalg=signature_algorithm_name(certificate),
        key_type=key_type,
        key_size=key_size,
        key_usage=key_usage_words(certificate),
        ext_key_usage=ext_key_usage_words(certificate),
        is_ca=is_ca,
        path_length=path_length,
        ski=key_id_text(ski),
        aki=key_id_text(aki),
        self_signed=self_signed,
        identity=identity_of(certificate, entry_identity),
        chain_ok=chain_ok,
        key_matches=key_matches,
    )
