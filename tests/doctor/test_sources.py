"""The seam for `--hosts`: files already read from a host (as the fleet check will hand them
over) are diagnosed like a directory and named back as ADDRESS:/path, with the renew run in the
output directory and the copy to the host."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from tests.doctor.test_doctor import reissue, utc
from wizard.catalog import get_profile
from wizard.distribution import base_directory, plan_distribution
from wizard.doctor import ErrorKind
from wizard.doctor.sources import EMBEDDED_SUFFIX, HostFiles, LocalDirectory, diagnose_sources
from wizard.spec import ClusterSpec

EXPIRED = (
    "Unable to connect to the server: x509: certificate has expired or is not yet valid: "
    "current time 2023-03-31T09:11:37+03:00 is after 2023-03-25T05:32:30Z"
)


def host_files(directory: Path, address: str) -> HostFiles:
    """What the fleet would read on `address`: the distribution plan's files at their
    destinations, with the bytes of the directory's files."""
    spec = ClusterSpec.example()
    (plan,) = [p for p in plan_distribution(spec) if p.address == address]
    files = {
        f.destination: (directory / f.source).read_bytes()
        for f in plan.files
        if (directory / f.source).is_file()
    }
    return HostFiles(address, base_directory(get_profile(spec.profile)), files)


def test_a_hosts_file_is_named_by_address_and_path(pristine: Path, tmp_path: Path) -> None:
    out = tmp_path / "certs"
    shutil.copytree(pristine, out)
    deployed = tmp_path / "deployed"  # what one master holds: broken since it was copied
    shutil.copytree(pristine, deployed)
    reissue(deployed, "kubernetes", end=utc("2023-03-25T05:32:30Z"))
    master = ClusterSpec.example().host_entries("masters")[0].value
    source = host_files(deployed, master)
    assert "/etc/kubernetes/ssl/kubernetes.pem" in source.files
    (first,) = diagnose_sources(EXPIRED, [LocalDirectory(out), source], output=str(out))
    assert first.kind is ErrorKind.EXPIRED
    assert [m.path for m in first.matches] == [f"{master}:/etc/kubernetes/ssl/kubernetes.pem"]
    fix = "\n".join(first.fix)
    assert f"-o {out} --only kubernetes.pem" in fix, fix
    assert f"then copy {out}/kubernetes.pem to {master}:/etc/kubernetes/ssl/kubernetes.pem" in fix
    assert "kcw-doctor-" not in fix + "".join(m.why for m in first.matches)


def test_a_local_match_keeps_its_path(pristine: Path, tmp_path: Path) -> None:
    out = tmp_path / "certs"
    shutil.copytree(pristine, out)
    reissue(out, "admin", end=datetime.now(UTC).replace(microsecond=0) - timedelta(days=2))
    master = ClusterSpec.example().host_entries("masters")[0].value
    text = "x509: certificate has expired or is not yet valid"
    (first,) = diagnose_sources(text, [LocalDirectory(out), host_files(pristine, master)])
    assert [m.path for m in first.matches] == [str(out.resolve() / "admin.pem")]


def test_paths_outside_the_root_and_climbing_ones(pristine: Path, tmp_path: Path) -> None:
    """A file outside the host's root keeps its absolute path; one whose path climbs out
    (`../`) is not laid out at all, so it cannot be written anywhere or matched."""
    broken = tmp_path / "broken"
    shutil.copytree(pristine, broken)
    reissue(broken, "kubernetes", end=utc("2023-03-25T05:32:30Z"))
    cert = (broken / "kubernetes.pem").read_bytes()
    source = HostFiles(
        "10.0.0.9",
        "/etc/kubernetes/ssl",
        {"/etc/etcd/ssl/etcd.pem": cert, "/etc/kubernetes/ssl/../../../../tmp/kcw-x.pem": cert},
    )
    (first,) = diagnose_sources(EXPIRED, [source])
    assert [m.path for m in first.matches] == ["10.0.0.9:/etc/etcd/ssl/etcd.pem"]
    assert not Path("/tmp/kcw-x.pem").exists()


def test_what_the_fleet_reads_back_certificates_only(pristine: Path, tmp_path: Path) -> None:
    """The fleet check carries DER certificates (never keys): a file's and a kubeconfig's."""
    from cryptography import x509

    broken = tmp_path / "broken"
    shutil.copytree(pristine, broken)
    reissue(broken, "kube-proxy", end=utc("2023-03-25T05:32:30Z"))
    der = x509.load_pem_x509_certificate((broken / "kube-proxy.pem").read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    good = x509.load_pem_x509_certificate((broken / "ca.pem").read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    node = HostFiles.from_certificates(
        "10.0.0.31",
        "/etc/kubernetes/ssl",
        {"/etc/kubernetes/ssl/ca.pem": [good], "/etc/kubernetes/ssl/kube-proxy.pem": [der]},
        embedded={"/etc/kubernetes/kube-proxy.kubeconfig": [good, der]},
    )
    assert not any(b"PRIVATE KEY" in content for content in node.files.values())
    (first,) = diagnose_sources(EXPIRED, [node], output=str(pristine))
    assert sorted(m.path for m in first.matches) == [
        "10.0.0.31:/etc/kubernetes/kube-proxy.kubeconfig",
        "10.0.0.31:/etc/kubernetes/ssl/kube-proxy.pem",
    ]
    fix = "\n".join(first.fix)
    assert f"-o {pristine} --only kube-proxy.pem\n" in fix + "\n", fix
    assert f"copy {pristine}/kube-proxy.kubeconfig to 10.0.0.31:/etc/kubernetes/kube-proxy" in fix
    assert "_outside" not in fix and EMBEDDED_SUFFIX not in fix, fix
