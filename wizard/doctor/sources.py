"""Where the doctor looks: a local directory, or the files already read from one host (the
fleet's `check` reads them over SSH; the doctor never connects anywhere itself).

A host's files are laid out in a private temporary directory under the host's certificate
folder, reviewed like any directory, and named back as ADDRESS:/path in the answer; the renew
command then runs in the output directory the set was generated in, and the renewed file is
copied to the host."""

from __future__ import annotations

import os
import posixpath
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from wizard.doctor import PROG, Diagnosis, Match, diagnose
from wizard.review import review_directory
from wizard.review.model import Review
from wizard.spec import ClusterSpec


@dataclass(frozen=True)
class LocalDirectory:
    """A certificate directory on this machine."""

    path: Path


@dataclass(frozen=True)
class HostFiles:
    """The files read from one host: absolute path on the host → its bytes.

    `root` is the host's certificate folder (/etc/kubernetes/ssl, or /etc/kubernetes for the
    kubeadm profile): a file under it is named by its path below it, as the set names it."""

    address: str
    root: str
    files: Mapping[str, bytes] = field(repr=False)

    @classmethod
    def from_certificates(
        cls,
        address: str,
        root: str,
        certificates: Mapping[str, Sequence[bytes]],
        embedded: Mapping[str, Sequence[bytes]] | None = None,
    ) -> HostFiles:
        """What the fleet check reads back (it never carries private bytes): the DER
        certificates of each file, and those inside each kubeconfig (`embedded`)."""
        files = {path: _pem(ders) for path, ders in certificates.items() if ders}
        for path, ders in (embedded or {}).items():
            if ders:
                files[path + EMBEDDED_SUFFIX] = _pem(ders)
        return cls(address, root, files)


EMBEDDED_SUFFIX = ".certificates.pem"
"""A kubeconfig's certificates are laid out beside it under this suffix, named back as the
kubeconfig itself."""


def _pem(ders: Sequence[bytes]) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return b"".join(x509.load_der_x509_certificate(d).public_bytes(Encoding.PEM) for d in ders)


CertificateSource = LocalDirectory | HostFiles


def diagnose_sources(
    text: str,
    sources: Sequence[CertificateSource],
    *,
    config: str | None = None,
    spec: ClusterSpec | None = None,
    output: str | None = None,
) -> list[Diagnosis]:
    """Diagnose `text` against directories and hosts' files at once.

    `output` is the directory the set was generated in: the renew commands for a host's file
    run there (default: the cluster.toml's folder, else `.`)."""
    with tempfile.TemporaryDirectory(prefix="kcw-doctor-") as scratch:
        reviews: list[Review] = []
        hosts: dict[str, HostFiles] = {}
        for number, source in enumerate(sources):
            if isinstance(source, LocalDirectory):
                reviews.append(review_directory(source.path, config=spec))
                continue
            tree = Path(scratch) / str(number)
            _lay_out(source, tree)
            hosts[os.path.abspath(tree)] = source
            reviews.append(review_directory(tree, config=spec))
        diagnoses = diagnose(text, reviews, config)
        if not hosts:
            return diagnoses
        out = output or (os.path.dirname(os.path.abspath(config)) if config else ".")
        return [_named_back(d, hosts, out, config or "cluster.toml") for d in diagnoses]


def _below(source: HostFiles, path: str) -> str:
    """The file's path below the host's root, or `_outside/…` for one elsewhere."""
    root = source.root.rstrip("/") + "/"
    if path.startswith(root):
        return path[len(root) :]
    return "_outside/" + path.lstrip("/")


def _lay_out(source: HostFiles, tree: Path) -> None:
    tree.mkdir(parents=True)
    for path, content in source.files.items():
        relative = posixpath.normpath(_below(source, path))
        if relative.startswith("../") or relative == "..":
            continue  # never write outside the scratch tree
        target = tree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _host_path(path: str, hosts: dict[str, HostFiles]) -> tuple[HostFiles, str, bool] | None:
    """(host, absolute path on it, inside a kubeconfig?) for a path in a laid-out host tree."""
    for tree, source in hosts.items():
        if path.startswith(tree + os.sep):
            relative = path[len(tree) + 1 :]
            if relative.startswith("_outside/"):
                absolute = "/" + relative.removeprefix("_outside/")
            else:
                absolute = posixpath.join(source.root, relative)
            embedded = absolute.endswith(EMBEDDED_SUFFIX)
            return source, absolute.removesuffix(EMBEDDED_SUFFIX), embedded
    return None


KUBECONFIG_HOME = "/etc/kubernetes"
"""Where the distribution puts kubeconfigs on a host (beside the certificate folder)."""


def _set_name(source: HostFiles, absolute: str) -> str:
    """The file's name in the generated set: its path below the host's root (kubeconfigs:
    below /etc/kubernetes), as the distribution placed it."""
    for base in (source.root.rstrip("/"), KUBECONFIG_HOME):
        if absolute.startswith(base + "/"):
            return absolute[len(base) + 1 :]
    return posixpath.basename(absolute)


def _named_back(
    diagnosis: Diagnosis, hosts: dict[str, HostFiles], output: str, config: str
) -> Diagnosis:
    """Host paths as ADDRESS:/path; the renew in the output directory, then the copies."""
    matches: list[Match] = []
    renew: list[str] = []
    copies: list[str] = []
    for match in diagnosis.matches:
        found = _host_path(match.path, hosts)
        if found is None:
            matches.append(match)
            continue
        source, absolute, embedded = found
        named = f"{source.address}:{absolute}"
        matches.append(replace(match, path=named))
        name = _set_name(source, absolute)
        if embedded:
            copies.append(
                f"renew the certificate {name} carries (`{PROG} review {output}` names its "
                f"user), then copy {posixpath.join(output, name)} to {named}"
            )
        else:
            renew.append(name)
            copies.append(f"then copy {posixpath.join(output, name)} to {named}")
    if not copies:
        return replace(diagnosis, matches=matches)
    fix = [step for step in diagnosis.fix if not any(tree in step for tree in hosts)]
    first = next((i for i, step in enumerate(fix) if step.startswith(f"{PROG} renew")), 0)
    added = []
    if renew:
        added.append(f"{PROG} renew -c {config} -o {output} --only {' '.join(sorted(set(renew)))}")
    addresses = sorted(
        {named.split(":", 1)[0] for named in (m.path for m in matches)}
        & {source.address for source in hosts.values()}
    )
    added += copies
    added.append(
        f"{PROG} distribute -c {config} -o {output} --hosts {','.join(addresses)}  "
        "(makes those copies: a backup on the host, then an atomic swap; it lists the restarts)"
    )
    fix[first:first] = added
    return replace(diagnosis, matches=matches, fix=fix)
