"""doctor --hosts: the certificates the fleet check reads back from each host (never a key)
are diagnosed beside the local set, and a host's file is named as ADDRESS:/path."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from tests.fleet.fleet_sets import FleetSet, fake_hosts, local_reader, make_set
from wizard.cli import main
from wizard.cli.doctor import hosts_sources
from wizard.doctor.sources import LocalDirectory, diagnose_sources

NET = "10.244.79"
M1 = f"{NET}.21"
SSL = "/etc/kubernetes/ssl"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> FleetSet:
    return make_set(tmp_path_factory.mktemp("doctor-hosts"), NET)


def test_an_expired_certificate_left_on_one_host_is_named_there(
    fleet: FleetSet, tmp_path: Path
) -> None:
    """The set is fine; master-1 still has a certificate that ended long ago (a renewal
    never copied there): the error's date finds it on that host, and the fix renews in the
    set's directory, then copies to that host."""
    root = fake_hosts(fleet, tmp_path / "hosts")
    stale = fleet.older("kubernetes.pem", days=4000)
    (root / M1 / SSL[1:] / "kubernetes.pem").write_bytes(stale)
    ended = x509.load_pem_x509_certificate(stale).not_valid_after_utc
    text = (
        "Unable to connect to the server: x509: certificate has expired or is not yet valid: "
        f"current time 2026-12-03T07:40:00Z is after {ended:%Y-%m-%dT%H:%M:%SZ}"
    )
    spec = fleet.spec()
    hosts, unread = hosts_sources(spec, fleet.out, reader=local_reader(root))
    assert unread == [] and len(hosts) == 8
    assert all(b"PRIVATE KEY" not in content for h in hosts for content in h.files.values())
    assert {h.root for h in hosts} == {SSL}
    sources = [LocalDirectory(fleet.out), *hosts]
    (first,) = diagnose_sources(text, sources, spec=spec, output=str(fleet.out))
    assert [m.path for m in first.matches] == [f"{M1}:{SSL}/kubernetes.pem"]
    fix = "\n".join(first.fix)
    assert f"-o {fleet.out} --only kubernetes.pem" in fix, fix
    assert f"to {M1}:{SSL}/kubernetes.pem" in fix, fix
    assert f"distribute -c cluster.toml -o {fleet.out} --hosts {M1} " in fix, fix


def test_hosts_needs_the_cluster_file(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--hosts", "-e", "x509: certificate has expired or is not yet valid"])
    assert code == 1
    assert "give -c cluster.toml" in capsys.readouterr().err
