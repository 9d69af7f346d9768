"""File names both ways: an entry's files in its profile's naming scheme, and the entry a file
name belongs to; the names a key or certificate promises for its partner; the fixed names of
the other files of an output directory."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from wizard.catalog.model import CertEntry, Naming, Part, Profile

CA_CONFIG_FILE = "ca-config.json"
SPEC_FILE = "cluster.toml"
TOKEN_FILE = "bootstrap-token"
RBAC_FILE = "bootstrap-rbac.yaml"
DISTRIBUTION_FILE = "DISTRIBUTION.md"
DISTRIBUTION_JSON = "distribution.json"
KUBELET_KUBECONFIG = "/etc/kubernetes/kubelet.kubeconfig"
"""Where a bootstrapping kubelet writes the kubeconfig of the certificate it was given."""


@dataclass(frozen=True)
class EntryFiles:
    """The file names of one entry in a profile's naming scheme ("" where there is none)."""

    cert: str
    key: str
    csr: str = ""
    request: str = ""  # the cfssl CSR JSON
    public_key: str = ""

    def names(self) -> tuple[str, ...]:
        """Every file name there is, in field order."""
        return tuple(getattr(self, f.name) for f in fields(self) if getattr(self, f.name))


FILE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(EntryFiles))
"""The kinds of file an entry has: cert, key, csr, request, public_key."""


def files_of(entry: CertEntry, profile: Profile) -> EntryFiles:
    """Where an entry's files go: cfssl's names, or kubeadm's pki/ tree."""
    if entry.key_only:
        prefix = "pki/" if profile.naming is Naming.KUBEADM else ""
        return EntryFiles(
            cert="", key=f"{prefix}{entry.name}.key", public_key=f"{prefix}{entry.name}.pub"
        )
    if profile.naming is Naming.KUBEADM:
        return EntryFiles(cert=f"pki/{entry.name}.crt", key=f"pki/{entry.name}.key")
    return cfssl_files(entry.name)


def cfssl_files(name: str) -> EntryFiles:
    """What `cfssljson -bare NAME` writes (and the CSR JSON it reads): NAME.pem, NAME-key.pem…"""
    return EntryFiles(
        cert=f"{name}.pem", key=f"{name}-key.pem", csr=f"{name}.csr", request=f"{name}-csr.json"
    )


def file_of_part(entry: CertEntry, part: Part | str, profile: Profile) -> str:
    """The file a component reads for one part of an entry ("" when the entry has none).

    `ca-cert` and `ca-key` are the files of the entry's signer (Profile.signer_of)."""
    part = Part(part)
    if part in (Part.CA_CERT, Part.CA_KEY):
        signer = files_of(profile.signer_of(entry), profile)
        return signer.cert if part is Part.CA_CERT else signer.key
    files = files_of(entry, profile)
    return {Part.CERT: files.cert, Part.KEY: files.key, Part.PUB: files.public_key}[part]


@dataclass(frozen=True)
class FileMatch:
    """The entry a file name belongs to: which of its files it is, and the node or member."""

    entry: CertEntry  # the profile's entry (a template for per-node and per-member files)
    field: str  # one of FILE_FIELDS
    instance: str | None = None  # the node or member name filled into the template


def entry_for_file(path: str, profile: Profile) -> FileMatch | None:
    """The entry whose file (in the profile's naming) this relative path is, or None.

    The reverse of files_of: `kubelet-node-1-client-key.pem` → (kubelet-{name}-client, key,
    node-1). Exact names win over templates; the longest template text wins among those."""
    exact, templates = _names(profile)
    if path in exact:
        return exact[path]
    for pattern, match in templates:
        found = pattern.fullmatch(path)
        if found is not None:
            return FileMatch(match.entry, match.field, found.group("name"))
    return None


_Names = tuple[dict[str, FileMatch], list[tuple[re.Pattern[str], FileMatch]]]
_BUILT: dict[int, tuple[Profile, _Names]] = {}


def _names(profile: Profile) -> _Names:
    """The profile's names, exact and templates, built once per profile object."""
    built = _BUILT.get(id(profile))
    if built is not None and built[0] is profile:
        return built[1]
    exact: dict[str, FileMatch] = {}
    templates: list[tuple[str, FileMatch]] = []
    for entry in (*profile.entries, *profile.rotation_entries):  # generated names win
        files = files_of(entry, profile)
        for field in FILE_FIELDS:
            name = getattr(files, field)
            if not name:
                continue
            if "{name}" in name:
                templates.append((name, FileMatch(entry, field)))
            else:
                exact.setdefault(name, FileMatch(entry, field))
    templates.sort(key=lambda item: -len(item[0].replace("{name}", "")))
    compiled = [
        (re.compile(re.escape(name).replace(re.escape("{name}"), "(?P<name>[^/]+)")), match)
        for name, match in templates
    ]
    _BUILT[id(profile)] = (profile, (exact, compiled))
    return exact, compiled


def certificate_names_for_key(key_path: str) -> list[str]:
    """The certificate files a key's name promises: `X-key.pem` → `X.pem`, `X.key` → `X.crt`."""
    lower = key_path.lower()
    if lower.endswith("-key.pem"):
        stem = key_path[: -len("-key.pem")]
        return [f"{stem}.pem", f"{stem}.crt"]
    if lower.endswith(".key"):
        stem = key_path[: -len(".key")]
        return [f"{stem}.crt", f"{stem}.pem", f"{stem}.cert"]
    return []


def key_names_for_certificate(path: str) -> list[str]:
    """The key files a certificate's name promises: `X.pem` → `X-key.pem`, `X.crt` → `X.key`."""
    lower = path.lower()
    if lower.endswith(".pem") and not lower.endswith("-key.pem"):
        return [path[: -len(".pem")] + "-key.pem"]
    if lower.endswith((".crt", ".cert")):
        return [path.rsplit(".", 1)[0] + ".key"]
    return []
