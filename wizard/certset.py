"""Reading back a generated set for the inspect step: each entry's certificate, key and issuer.

The review package scans any directory; this one follows the catalogue, so it knows which file
should hold which certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from wizard import pki
from wizard.bounds import InputRefused, read_limited
from wizard.catalog import CertEntry, concrete_entries, files_of, get_profile
from wizard.spec import ClusterSpec


@dataclass(frozen=True)
class SetMember:
    """One catalogue entry as found on disk: certificate, key and issuer, or why not."""

    entry: CertEntry
    cert_path: Path
    key_path: Path
    certificate: x509.Certificate | None = None
    key: pki.PrivateKey | None = None
    issuer: x509.Certificate | None = None
    error: str = ""


def load_set(directory: Path, spec: ClusterSpec) -> list[SetMember]:
    """The certificates of the spec's profile found in the directory, CAs first."""
    profile = get_profile(spec.profile)
    loaded: dict[str, x509.Certificate] = {}
    members = []
    for entry in concrete_entries(profile, spec):
        files = files_of(entry, profile)
        if not files.cert:
            continue
        cert_path, key_path = directory / files.cert, directory / files.key
        if not cert_path.exists():
            continue
        certificate = key = None
        errors = []
        try:
            certificate = pki.load_certificate(read_limited(cert_path), files.cert)
            loaded[entry.name] = certificate
        except pki.PKIError as error:
            errors.append(str(error))
        except OSError as error:
            errors.append(f"cannot read {files.cert}: {error.strerror}")
        except InputRefused as error:
            errors.append(f"{files.cert} {error}")
        if key_path.exists():
            try:
                key = pki.load_private_key(read_limited(key_path), files.key)
            except pki.PKIError as error:
                errors.append(str(error))
            except OSError as error:
                errors.append(f"cannot read {files.key}: {error.strerror}")
            except InputRefused as error:
                errors.append(f"{files.key} {error}")
        else:
            errors.append(f"{files.key} is missing")
        issuer = loaded.get(entry.signer) if entry.signer else None
        members.append(
            SetMember(entry, cert_path, key_path, certificate, key, issuer, "; ".join(errors))
        )
    return members
