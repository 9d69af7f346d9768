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
        return [_named_back(d, hosts, out) for d in diagnoses]


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


def _host_path(path: str, hosts: dict[str, HostFiles]) -> tuple[HostFiles, str, str] | None:
    """(host, relative, ADDRESS:/absolute) for a path inside a laid-out host tree."""
    for tree, source in hosts.items():
        if path.startswith(tree + os.sep):
            relative = path[len(tree) + 1 :]
            if relative.startswith("_outside/"):
                absolute = "/" + relative.removeprefix("_outside/")
            else:
                absolute = posixpath.join(source.root, relative)
            return source, relative, f"{source.address}:{absolute}"
    return None


def _named_back(diagnosis: Diagnosis, hosts: dict[str, HostFiles], output: str) -> Diagnosis:
    matches: list[Match] = []
    copies: list[str] = []
    for match in diagnosis.matches:
        found = _host_path(match.path, hosts)
        if found is None:
            matches.append(match)
            continue
        _source, relative, named = found
        matches.append(replace(match, path=named))
        copies.append(f"then copy {os.path.join(output, relative)} to {named}")
    fix = []
    for step in diagnosis.fix:
        for tree in hosts:
            if f"-o {tree} " in step:
                step = step.replace(f"-o {tree} ", f"-o {output} ")
                step = step.replace(f"-c {os.path.join(tree, 'cluster.toml')} ", "-c cluster.toml ")
        fix.append(step)
        if step.startswith(f"{PROG} renew") and copies:
            fix.extend(copies)
            copies = []
    return replace(diagnosis, matches=matches, fix=fix)
