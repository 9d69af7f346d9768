"""A generated set and fake hosts for the check and probe tests.

A fake host is a folder standing for its /: the real inventory script runs in a local `sh`
with that folder as its root, so everything but the SSH hop is what runs on a host.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from wizard.cli import main
from wizard.fleet.inventory import (
    INVENTORY_SCRIPT,
    HostExpectation,
    HostInventory,
    inventory_from_result,
    inventory_request,
)
from wizard.fleet.ssh import RemoteResult, Target
from wizard.spec import ClusterSpec, load_spec

ETCD = ["{net}.11", "{net}.12", "{net}.13"]
MASTERS = ["{net}.21", "{net}.22", "{net}.23"]
NODES = [("node-1", "{net}.31"), ("node-2", "{net}.32")]


def cluster_toml(net: str, profile: str = "complete", extra: str = "") -> str:
    """A cluster of 3 etcd members, 3 masters, a VIP and 2 nodes on addresses under `net`."""
    quoted = lambda items: ", ".join(f'"{i.format(net=net)}"' for i in items)  # noqa: E731
    text = f"""profile = "{profile}"

[hosts]
etcd    = [{quoted(ETCD)}]
masters = [{quoted(MASTERS)}]
vip     = ["{net}.10"]

[key]
algo = "ecdsa"
size = 256
"""
    for name, address in NODES:
        text += f'\n[[nodes]]\nname = "{name}"\naddress = "{address.format(net=net)}"\n'
    return text + extra


@dataclass
class FleetSet:
    """A set generated with `generate --per-host`."""

    toml: Path
    out: Path

    def spec(self) -> ClusterSpec:
        return load_spec(self.toml)

    def older(self, source: str, days: int = 30) -> bytes:
        """The set's certificate `source` as it was `days` ago (see older_certificate)."""
        return older_certificate(self.out, source, days)


def older_certificate(
    out: Path, source: str, days: int = 30, ca: str = "ca.pem", ca_key: str = "ca-key.pem"
) -> bytes:
    """The certificate `source` of the set in `out` as it was `days` ago: the same subject,
    key and extensions, signed by the same CA, starting and ending `days` earlier (a renewal's
    predecessor; the product's notBefore has whole minutes, so two runs in one minute cannot
    stand for it)."""
    current = x509.load_pem_x509_certificate((out / source).read_bytes())
    signer_key = serialization.load_pem_private_key((out / ca_key).read_bytes(), None)
    signer = x509.load_pem_x509_certificate((out / ca).read_bytes())
    shift = timedelta(days=days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(current.subject)
        .issuer_name(signer.subject)
        .public_key(current.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(current.not_valid_before_utc - shift)
        .not_valid_after(current.not_valid_after_utc - shift)
    )
    for extension in current.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    signed = builder.sign(signer_key, hashes.SHA256())  # type: ignore[arg-type]
    return signed.public_bytes(serialization.Encoding.PEM)


def make_set(work: Path, net: str, profile: str = "complete", extra: str = "") -> FleetSet:
    toml = work / "cluster.toml"
    toml.write_text(cluster_toml(net, profile, extra))
    out = work / "certs"
    assert main(["generate", "-c", str(toml), "-o", str(out), "--per-host"]) == 0
    return FleetSet(toml, out)


def me() -> tuple[str, str]:
    """This user's and group's names: what the fake hosts' files are owned by."""
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def owned_spec(fleet: FleetSet) -> ClusterSpec:
    """The set's cluster file with [deploy] owner and group this user's: the fake hosts' own."""
    spec = fleet.spec()
    spec.deploy.owner, spec.deploy.group = me()
    return spec


def fake_hosts(fleet: FleetSet, root: Path) -> Path:
    """Each host's tree as --per-host wrote it, under root/<address>/ (its /)."""
    shutil.copytree(fleet.out / "hosts", root)
    return root


def local_reader(root: Path, path: str | None = None):
    """An inventory reader running the real script in a local sh over root/<address>/."""

    def read(target: Target, host: HostExpectation, directories: list[str]) -> HostInventory:
        env = dict(os.environ, PATH=path) if path else None
        process = subprocess.run(
            ["sh", "-c", INVENTORY_SCRIPT],
            input=inventory_request(host, directories, str(root / host.address)),
            capture_output=True,
            timeout=60,
            env=env,
        )
        result = RemoteResult(process.returncode, process.stdout, process.stderr.decode())
        return inventory_from_result(host, result)

    return read


class LocalHosts:
    """SshClient's run() on fake hosts: each script runs in a local sh with the host's folder
    root/<address>/ as its ROOT (distribute's scripts start with `ROOT=''`; the restart script
    gets ROOT first, so its commands can tell the hosts apart). `unreachable` hosts answer
    as ssh does when nothing listens; `gate(target, script)`, when given, runs before each run."""

    def __init__(self, root: Path, unreachable: set[str] | None = None, gate=None) -> None:  # noqa: ANN001
        self.root, self.unreachable, self.gate = root, unreachable or set(), gate
        self.seen: list[str] = []

    def run(self, target: Target, script: str, *, stdin: bytes = b"", timeout: float = 0,
            cancel=None) -> RemoteResult:  # fmt: skip  # noqa: ANN001
        self.seen.append(target.address)
        if self.gate is not None:
            self.gate(target, script)
        if target.address in self.unreachable:
            return RemoteResult(255, b"", "ssh: connect to host port 22: Connection refused")
        host = self.root / target.address
        host.mkdir(parents=True, exist_ok=True)
        if "ROOT=''" in script:
            script = script.replace("ROOT=''", f"ROOT='{host}'", 1)
        else:
            script = f"ROOT='{host}'\n{script}"
        done = subprocess.run(["sh", "-c", script], input=stdin, capture_output=True, timeout=120)
        return RemoteResult(done.returncode, done.stdout, done.stderr.decode(errors="replace"))

    def factory(self):  # noqa: ANN201
        """A ClientFactory for run_distribution and the Hosts screen."""

        @contextmanager
        def client(settings, targets):  # noqa: ANN001, ANN202
            yield self

        return client
