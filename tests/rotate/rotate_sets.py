"""Helpers of the rotation tests: a set per profile, openssl verify, the leaves of a target."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cryptography import x509

from tests.conftest import need_tool
from wizard.catalog import files_of
from wizard.generate import generate_files
from wizard.rotate import Target
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files


def make_spec(profile: str, masters: int = 3) -> ClusterSpec:
    spec = ClusterSpec.example()
    spec.profile = profile
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.hosts.masters = spec.hosts.masters[:masters]
    spec.nodes = [Node("node-1", "192.168.214.101")]
    return spec


def make_set(spec: ClusterSpec, directory: Path) -> Path:
    write_files(directory, generate_files(spec))
    return directory


def copy_set(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def verify(ca_file: Path, leaf: Path, untrusted: Path | None = None) -> bool:
    """openssl verify of the first certificate of `leaf` against the CAs in `ca_file`."""
    openssl = need_tool("openssl")
    certificate = x509.load_pem_x509_certificates(leaf.read_bytes())[0]
    single = leaf.parent / (leaf.name + ".first")
    from cryptography.hazmat.primitives import serialization

    single.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    argv = [openssl, "verify", "-CAfile", str(ca_file)]
    if untrusted is not None:
        argv += ["-untrusted", str(untrusted)]
    done = subprocess.run(argv + [str(single)], capture_output=True, text=True)
    single.unlink()
    return done.returncode == 0


def leaf_files(target: Target) -> list[str]:
    return [files_of(leaf, target.profile).cert for leaf in target.leaves]


def top_level(directory: Path) -> dict[str, bytes]:
    """Every file outside the backup folders, by relative path."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.relative_to(directory).parts[0].startswith("backup-")
    }
