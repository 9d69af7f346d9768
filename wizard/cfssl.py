"""cfssl's JSON: CSR requests (`*-csr.json`) and the signing config (`ca-config.json`).

The files are written so that a cfssl user can re-run the guide's commands on them and get
certificates with the same subject, SANs, usages and validity as ours.
"""

from __future__ import annotations

import json
from typing import Any

from wizard.catalog import CertEntry, Profile, sans_of, subject_of, usages_for
from wizard.catalog.naming import CA_CONFIG_FILE, cfssl_files
from wizard.hosts import HostKind
from wizard.spec import ClusterSpec


def csr_request(entry: CertEntry, spec: ClusterSpec) -> dict[str, Any]:
    """The cfssl CSR JSON of one entry, keys in the guide's order."""
    request: dict[str, Any] = {"CN": entry.cn}
    if not entry.is_ca:
        request["hosts"] = csr_hosts(entry, spec)
    request["key"] = {"algo": spec.key.algo, "size": spec.key.size}
    request["names"] = [{k: v for k, v in subject_of(entry, spec).items() if v}]
    if entry.is_ca:
        request["ca"] = {"expiry": spec.expiry.ca}
    return request


def csr_hosts(entry: CertEntry, spec: ClusterSpec) -> list[str]:
    """The `hosts` list of an entry: IPs first, as the guide writes them, then DNS names."""
    sans = sans_of(entry, spec)
    ips = [san.value for san in sans if san.kind is not HostKind.DNS]
    names = [san.value for san in sans if san.kind is HostKind.DNS]
    return ips + names


def ca_config(profile: Profile, spec: ClusterSpec) -> dict[str, Any]:
    """ca-config.json: the default expiry and one signing profile per catalogue profile."""
    return {
        "signing": {
            "default": {"expiry": spec.expiry.cert},
            "profiles": {
                signing.name: {
                    "usages": list(usages_for(signing, spec.key.algo)),
                    "expiry": spec.expiry.cert,
                }
                for signing in profile.signing_profiles
            },
        }
    }


def dump_json(document: dict[str, Any]) -> str:
    """Pretty JSON as the guide shows it: two-space indent, UTF-8 kept, trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def gencert_command(entry: CertEntry, profile: Profile) -> str:
    """The cfssl command line that makes this entry from its JSON, in cfssl's file names."""
    files = cfssl_files(entry.name)
    if entry.is_ca:
        return f"cfssl gencert -initca {files.request} | cfssljson -bare {entry.name}"
    signer = cfssl_files(profile.signer_of(entry).name)
    return (
        f"cfssl gencert -ca={signer.cert} -ca-key={signer.key} "
        f"-config={CA_CONFIG_FILE} -profile={entry.signing_profile} "
        f"{files.request} | cfssljson -bare {entry.name}"
    )
