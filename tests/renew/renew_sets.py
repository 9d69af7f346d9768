"""Helpers shared by the renew tests: a look at a directory (bytes and mtimes), the
certificates in it, a cluster.toml with one more master, and `renew` through the CLI."""

from __future__ import annotations

from pathlib import Path

import yaml
from cryptography import x509

from wizard.cli import main
from wizard.spec import ClusterSpec, save_spec

NEW_MASTER = "192.168.214.203"
APISERVER_FILES = {"kubernetes.pem", "kubernetes-key.pem", "kubernetes.csr", "kubernetes-csr.json"}


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and mtime, by relative path."""
    return {
        p.relative_to(directory).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def top_level(state: dict[str, tuple[bytes, int]]) -> dict[str, tuple[bytes, int]]:
    """The snapshot without the backup folders."""
    return {k: v for k, v in state.items() if not k.startswith("backup-")}


def changed_files(before: dict, after: dict) -> set[str]:
    before, after = top_level(before), top_level(after)
    return {
        n
        for n in before.keys() | after.keys()
        if before.get(n, (None,))[0] != after.get(n, (None,))[0]
    }


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def ip_sans(certificate: x509.Certificate) -> list[str]:
    sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(a) for a in sans.get_values_for_type(x509.IPAddress)]


def write_spec(tmp_path: Path, spec: ClusterSpec) -> Path:
    path = tmp_path / "cluster.toml"
    save_spec(spec, path)
    return path


def with_new_master() -> ClusterSpec:
    spec = ClusterSpec.example()
    spec.hosts.masters.append(NEW_MASTER)
    return spec


def renew(*args: str) -> int:
    return main(["renew", *args])


def embedded_client_certificate(kubeconfig: Path) -> bytes:
    import base64

    document = yaml.safe_load(kubeconfig.read_text())
    return base64.b64decode(document["users"][0]["user"]["client-certificate-data"])
