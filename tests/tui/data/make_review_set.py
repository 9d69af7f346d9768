"""Regenerate `review-set/`: a classic set with a few problems, for the review and renew snapshots.

The guide's classic set made at FIXED_NOW, then:

- `cluster.toml` in it gains a fourth master (192.168.214.203), so renewing kubernetes.pem shows
  that address as added;
- `etcd.pem` expired 35 days before FIXED_NOW, `metrics-server.pem` expires 12 days after it
  (both signed by ca.pem, with P-256 keys);
- `kube-proxy-key.pem` is swapped for a key that belongs to no certificate.

Serial numbers and keys are random, so the set is made once and committed; the snapshot tests
copy it and set the file modes themselves (git keeps no modes). Run from the project root:
`python tests/tui/data/make_review_set.py`. The keys in it are test data and protect nothing.
"""

from __future__ import annotations

import ipaddress
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from wizard.generate import generate_files  # noqa: E402
from wizard.spec import ClusterSpec, save_spec  # noqa: E402
from wizard.store import write_files  # noqa: E402

FIXED_NOW = datetime(2026, 11, 28, 16, 40, 20, tzinfo=UTC)
NEW_MASTER = "192.168.214.203"
TARGET = Path(__file__).resolve().parent / "review-set"


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _leaf(cn: str, ips: list[str], start: datetime, end: datetime, ca_dir: Path) -> tuple:
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((ca_dir / "ca-key.pem").read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "k8s"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key())  # type: ignore[arg-type]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(ski, critical=False)
        .add_extension(aki, critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost")]
                + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return certificate.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def main() -> None:
    """Write the set into review-set/."""
    shutil.rmtree(TARGET, ignore_errors=True)
    spec = ClusterSpec.example()
    write_files(TARGET, generate_files(spec, now=FIXED_NOW))
    spec.hosts.masters.append(NEW_MASTER)
    save_spec(spec, TARGET / "cluster.toml")
    etcd = _leaf(
        "etcd",
        spec.hosts.etcd,
        FIXED_NOW - timedelta(days=400),
        FIXED_NOW - timedelta(days=35),
        TARGET,
    )
    metrics = _leaf(
        "metrics-server",
        [],
        FIXED_NOW - timedelta(days=353),
        FIXED_NOW + timedelta(days=12, hours=3),
        TARGET,
    )
    for name, (cert, key) in (("etcd", etcd), ("metrics-server", metrics)):
        (TARGET / f"{name}.pem").write_bytes(cert)
        (TARGET / f"{name}-key.pem").write_bytes(key)
    (TARGET / "kube-proxy-key.pem").write_bytes(_pem_key(ec.generate_private_key(ec.SECP256R1())))
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
