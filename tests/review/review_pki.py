"""Building blocks for the review tests: CAs, leaves, keys and kubeconfigs made with cryptography,
and the directory trees the tests review (kubeadm-style, and one file per problem)."""

from __future__ import annotations

import base64
import ipaddress
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.now(UTC)
SERVER = (ExtendedKeyUsageOID.SERVER_AUTH,)
CLIENT = (ExtendedKeyUsageOID.CLIENT_AUTH,)
BOTH = SERVER + CLIENT


@dataclass(frozen=True)
class Pair:
    """A certificate with its private key."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def ec_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key (fast)."""
    return ec.generate_private_key(ec.SECP256R1())


@cache
def _rsa_pool(size: int) -> list[rsa.RSAPrivateKey]:
    return []  # filled by rsa_key; cached per size for the whole session


def rsa_key(size: int = 2048, slot: int | None = None) -> rsa.RSAPrivateKey:
    """An RSA key; with `slot`, the same key for the same slot across the session (RSA is slow)."""
    if slot is None:
        return rsa.generate_private_key(65537, size)
    pool = _rsa_pool(size)
    while len(pool) <= slot:
        pool.append(rsa.generate_private_key(65537, size))
    return pool[slot]


def name(cn: str, *orgs: str) -> x509.Name:
    """A DN with O values then CN."""
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(
    subject: x509.Name | str,
    key: object | None = None,
    *,
    days: int = 3650,
) -> Pair:
    """A self-signed CA with SKI and AKI."""
    key = key or ec_key()
    subject = name(subject) if isinstance(subject, str) else subject
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())  # type: ignore[attr-defined]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(minutes=5))
        .not_valid_after(NOW + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return Pair(key, cert)  # type: ignore[arg-type]


def _key_usage(*, ca: bool = False, encipherment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_leaf(
    ca: Pair,
    subject: x509.Name | str,
    *,
    key: object | None = None,
    eku: tuple[x509.ObjectIdentifier, ...] = CLIENT,
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    san: bool | None = None,
    days: int = 365,
    start: datetime | None = None,
    aki: bool = True,
    encipherment: bool = False,
) -> Pair:
    """A leaf signed by `ca`: EKU, SANs (when given, or san=True for an empty-less extension)."""
    key = key or ec_key()
    subject = name(subject) if isinstance(subject, str) else subject
    start = start or NOW - timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(encipherment=encipherment), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),  # type: ignore[attr-defined]
            critical=False,
        )
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if aki:
        ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False
        )
    names = [x509.DNSName(d) for d in dns]
    names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if names or san:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return Pair(key, builder.sign(ca.key, hashes.SHA256()))  # type: ignore[arg-type]


def pem(cert: x509.Certificate) -> bytes:
    """The certificate as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: object, *, pkcs8: bool = False, password: bytes | None = None) -> bytes:
    """The key as PEM: PKCS#1 / SEC1 by default, PKCS#8 on request, encrypted with a password."""
    fmt = (
        serialization.PrivateFormat.PKCS8
        if pkcs8
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)  # type: ignore[attr-defined]


def write(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write a file (parents made) with a mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def write_pair(directory: Path, stem: str, pair: Pair, *, kubeadm: bool = False) -> None:
    """cfssl names (stem.pem, stem-key.pem) or kubeadm names (stem.crt, stem.key)."""
    cert_name, key_name = (
        (f"{stem}.crt", f"{stem}.key") if kubeadm else (f"{stem}.pem", f"{stem}-key.pem")
    )
    write(directory / cert_name, pem(pair.cert))
    write(directory / key_name, key_pem(pair.key), 0o600)


def kubeconfig(
    ca: x509.Certificate,
    user: str,
    pair: Pair | None = None,
    *,
    cert_path: str | None = None,
    key_path: str | None = None,
    server: str = "https://192.168.0.10:6443",
) -> bytes:
    """A kubeconfig embedding the CA, with the user's certificate and key embedded or by path."""
    credentials: dict[str, str] = {}
    if pair is not None:
        credentials["client-certificate-data"] = base64.b64encode(pem(pair.cert)).decode()
        credentials["client-key-data"] = base64.b64encode(key_pem(pair.key)).decode()
    if cert_path:
        credentials["client-certificate"] = cert_path
    if key_path:
        credentials["client-key"] = key_path
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubernetes",
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(pem(ca)).decode(),
                },
            }
        ],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": "default", "context": {"cluster": "kubernetes", "user": user}}],
        "current-context": "default",
    }
    return yaml.safe_dump(document).encode()


def build_kubeadm_tree(root: Path) -> Path:
    """/etc/kubernetes as kubeadm leaves it on the first master (plus the kubelet's pki)."""
    pki = root / "pki"
    ca = make_ca("kubernetes", rsa_key(slot=0))
    etcd_ca = make_ca("etcd-ca", rsa_key(slot=1))
    proxy_ca = make_ca("front-proxy-ca")
    write_pair(pki, "ca", ca, kubeadm=True)
    write_pair(pki / "etcd", "ca", etcd_ca, kubeadm=True)
    write_pair(pki, "front-proxy-ca", proxy_ca, kubeadm=True)
    apiserver_dns = (
        "master-1",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    )
    leaves = {
        "apiserver": make_leaf(
            ca,
            "kube-apiserver",
            key=rsa_key(slot=2),
            eku=SERVER,
            dns=apiserver_dns,
            ips=("10.96.0.1", "192.168.0.10"),
        ),
        "apiserver-kubelet-client": make_leaf(
            ca, name("kube-apiserver-kubelet-client", "system:masters"), eku=CLIENT
        ),
        "front-proxy-client": make_leaf(proxy_ca, "front-proxy-client", eku=CLIENT),
        "apiserver-etcd-client": make_leaf(etcd_ca, "kube-apiserver-etcd-client", eku=CLIENT),
    }
    for stem, pair in leaves.items():
        write_pair(pki, stem, pair, kubeadm=True)
    member = {"dns": ("master-1", "localhost"), "ips": ("192.168.0.10", "127.0.0.1", "::1")}
    write_pair(
        pki / "etcd", "server", make_leaf(etcd_ca, "master-1", eku=BOTH, **member), kubeadm=True
    )
    write_pair(
        pki / "etcd", "peer", make_leaf(etcd_ca, "master-1", eku=BOTH, **member), kubeadm=True
    )
    write_pair(
        pki / "etcd",
        "healthcheck-client",
        make_leaf(etcd_ca, "kube-etcd-healthcheck-client", eku=CLIENT),
        kubeadm=True,
    )
    sa = rsa_key(slot=3)
    write(pki / "sa.key", key_pem(sa), 0o600)
    public = sa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write(pki / "sa.pub", public)
    admin = make_leaf(ca, name("kubernetes-admin", "system:masters"))
    write(root / "admin.conf", kubeconfig(ca.cert, "kubernetes-admin", admin), 0o600)
    manager = make_leaf(ca, "system:kube-controller-manager")
    write(
        root / "controller-manager.conf",
        kubeconfig(ca.cert, "system:kube-controller-manager", manager),
        0o600,
    )
    scheduler = make_leaf(ca, "system:kube-scheduler")
    write(root / "scheduler.conf", kubeconfig(ca.cert, "system:kube-scheduler", scheduler), 0o600)
    # the kubelet's own client certificate, rotated: a dated file and the -current symlink
    kubelet = make_leaf(ca, name("system:node:master-1", "system:nodes"))
    dated = root / "kubelet" / "pki" / "kubelet-client-2026-11-28-17-00-00.pem"
    write(dated, pem(kubelet.cert) + key_pem(kubelet.key), 0o600)
    (dated.parent / "kubelet-client-current.pem").symlink_to(dated.name)
    current = "kubelet/pki/kubelet-client-current.pem"
    write(
        root / "kubelet.conf",
        kubeconfig(ca.cert, "system:node:master-1", cert_path=current, key_path=current),
        0o600,
    )
    return root


def have_openssl() -> str | None:
    """The openssl binary, if installed."""
    return shutil.which("openssl")


def openssl_sha1_leaf(ca: Pair, directory: Path, stem: str) -> None:
    """A leaf signed with ECDSA-SHA1 (cryptography refuses to sign with SHA-1; openssl does)."""
    openssl = have_openssl()
    assert openssl is not None
    work = directory / f".{stem}-work"
    work.mkdir()
    write(work / "ca.crt", pem(ca.cert))
    write(work / "ca.key", key_pem(ca.key, pkcs8=True), 0o600)
    leaf = ec_key()
    write(work / "leaf.key", key_pem(leaf, pkcs8=True), 0o600)
    run = {"check": True, "capture_output": True, "cwd": work}
    subprocess.run(
        [openssl, "req", "-new", "-key", "leaf.key", "-subj", f"/CN={stem}", "-out", "leaf.csr"],
        **run,
    )
    subprocess.run(
        [openssl, "x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key"]
        + ["-set_serial", "7", "-days", "365", "-sha1", "-out", "leaf.crt"],
        **run,
    )
    write(directory / f"{stem}.pem", (work / "leaf.crt").read_bytes())
    write(directory / f"{stem}-key.pem", key_pem(leaf), 0o600)
    shutil.rmtree(work)


# What build_messy_dir plants: (file, check, severity), one problem per file.
MESSY_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("expired.pem", "expired", "error"),
    ("expiring.pem", "expiring", "warning"),
    ("future.pem", "not-yet-valid", "error"),
    ("kubernetes-key.pem", "key-mismatch", "error"),
    ("apiserver.key", "key-mismatch", "error"),
    ("stray-key.pem", "orphan-key", "warning"),
    ("foreign.pem", "unknown-issuer", "warning"),
    ("regenerated.pem", "bad-signature", "error"),
    ("outlives.pem", "leaf-outlives-ca", "warning"),
    ("cidr.pem", "cidr-san", "error"),
    ("server-nosan.pem", "no-san", "error"),
    ("etcd.pem", "wrong-eku", "error"),
    ("kube-proxy.pem", "wrong-identity", "error"),
    ("admin.pem", "wrong-identity", "error"),
    ("weak.pem", "weak-key", "warning"),
    ("loose-key.pem", "key-permissions", "warning"),
    ("locked-key.pem", "encrypted-key", "warning"),
    ("legacy-locked-key.pem", "encrypted-key", "warning"),
    ("samename.pem", "same-subject-no-aki", "error"),
    ("ecke.pem", "ecdsa-key-encipherment", "warning"),
    ("ip-as-name.pem", "ip-in-dns-san", "warning"),
    ("dns-only.crt", "no-ip-san", "warning"),
)
SHA1_EXPECTED = ("sha1.pem", "weak-signature", "error")


def build_messy_dir(root: Path) -> Path:
    """A directory with one file per problem in MESSY_EXPECTED (and SHA1_EXPECTED with openssl)."""
    ca = make_ca(name("kubernetes", "k8s"))
    write_pair(root, "ca", ca)
    server = {"eku": BOTH, "dns": ("kubernetes",), "ips": ("10.254.0.1", "127.0.0.1")}
    write_pair(root, "expired", make_leaf(ca, "expired", start=NOW - timedelta(days=400)))
    write_pair(root, "expiring", make_leaf(ca, "expiring", days=10))
    write_pair(root, "future", make_leaf(ca, "future", start=NOW + timedelta(days=2)))
    # names that say "we belong together", keys that do not
    write(root / "kubernetes.pem", pem(make_leaf(ca, name("kubernetes", "k8s"), **server).cert))
    write(root / "kubernetes-key.pem", key_pem(ec_key()), 0o600)
    apiserver = make_leaf(ca, "kube-apiserver", eku=SERVER, dns=("kubernetes",), ips=("10.0.0.1",))
    write(root / "apiserver.crt", pem(apiserver.cert))
    write(root / "apiserver.key", key_pem(make_leaf(ca, "other").key), 0o600)
    write(root / "stray-key.pem", key_pem(ec_key()), 0o600)
    elsewhere = make_ca("some other cluster's CA")
    write_pair(root, "foreign", make_leaf(elsewhere, "foreign"))
    # the CA was regenerated with the same name: its old leaves no longer verify
    old_ca = make_ca(name("kubernetes", "k8s"))
    write_pair(root, "regenerated", make_leaf(old_ca, "regenerated"))
    short_ca = make_ca("short-lived-ca", days=200)
    write_pair(root, "short-ca", short_ca)
    write_pair(root, "outlives", make_leaf(short_ca, "outlives", days=3650))
    write_pair(
        root, "cidr", make_leaf(ca, "cidr", eku=BOTH, dns=("192.168.214.1/24", "ok.example"))
    )
    write_pair(root, "server-nosan", make_leaf(ca, "server-nosan", eku=SERVER))
    write_pair(
        root, "etcd", make_leaf(ca, "etcd-1", eku=SERVER, dns=("etcd-1",), ips=("10.0.0.2",))
    )
    write_pair(root, "kube-proxy", make_leaf(ca, name("kube-proxy", "k8s")))
    write_pair(root, "admin", make_leaf(ca, name("admin", "k8s")))
    write_pair(root, "weak", make_leaf(ca, "weak", key=rsa_key(1024)))
    loose = make_leaf(ca, "loose")
    write(root / "loose.pem", pem(loose.cert))
    write(root / "loose-key.pem", key_pem(loose.key), 0o644)
    locked = make_leaf(ca, "locked")
    write(root / "locked.pem", pem(locked.cert))
    write(root / "locked-key.pem", key_pem(locked.key, pkcs8=True, password=b"secret"), 0o600)
    legacy = make_leaf(ca, "legacy-locked")
    write(root / "legacy-locked.pem", pem(legacy.cert))
    write(root / "legacy-locked-key.pem", key_pem(legacy.key, password=b"secret"), 0o600)
    # the guide's kubernetes.pem as Debian's cfssl makes it: the CA's subject, no AKI
    write_pair(root, "samename", make_leaf(ca, name("kubernetes", "k8s"), aki=False, **server))
    write_pair(root, "ecke", make_leaf(ca, "ecke", encipherment=True))
    write_pair(root, "ip-as-name", make_leaf(ca, "ip-as-name", eku=BOTH, dns=("10.1.2.3",)))
    dns_only = make_leaf(ca, "kube-apiserver", eku=SERVER, dns=("kubernetes", "master-1"))
    write(root / "dns-only.crt", pem(dns_only.cert))
    write(root / "dns-only.key", key_pem(dns_only.key), 0o600)
    if have_openssl():
        openssl_sha1_leaf(ca, root, "sha1")
    return root
