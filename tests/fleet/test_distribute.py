"""distribute on fake hosts: a local directory per host, driven through the very sh scripts the
hosts run (`sh -c SCRIPT` with a root prefix), so the scripts themselves are what is tested."""

from __future__ import annotations

import grp
import os
import pwd
import random
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from wizard.catalog import RESTARTS
from wizard.deploy import DeploySettings
from wizard.fleet import distribute as dist
from wizard.fleet.distribute import (
    DistributeError,
    HostFiles,
    RestartCommands,
    Status,
    apply,
    diff,
    host_files,
    read_inventory,
    restart,
)
from wizard.fleet.inventory import is_secret
from wizard.fleet.ssh import RemoteResult, Target
from wizard.generate import generate_files
from wizard.spec import ClusterSpec, Node
from wizard.store import write_files

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
NODE = "192.168.214.101"
MASTER = "192.168.214.200"
STAMP = "backup-20261203T060000Z-1"


def make_spec() -> ClusterSpec:
    spec = ClusterSpec.example()
    spec.profile = "complete"
    spec.key.algo, spec.key.size = "ecdsa", 256
    spec.nodes = [Node("node-1", NODE)]
    spec.deploy = DeploySettings(owner=OWNER, group=GROUP)
    return spec


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClusterSpec, Path, Path]:
    """Two sets of the same cluster (each with its own CA): `old` on the hosts, `new` to place."""
    spec = make_spec()
    old = tmp_path_factory.mktemp("old") / "k8s-certs"
    new = tmp_path_factory.mktemp("new") / "k8s-certs"
    write_files(old, generate_files(spec))
    write_files(new, generate_files(spec))
    return spec, old, new


def local(root: Path):
    """A RunScript for a fake host rooted at `root`: the script runs in a local sh."""

    def run(script: str, stdin: bytes) -> RemoteResult:
        done = subprocess.run(["sh", "-c", script], input=stdin, capture_output=True, timeout=60)
        return RemoteResult(done.returncode, done.stdout, done.stderr.decode(errors="replace"))

    return run


def place(host: HostFiles, root: Path, **kwargs) -> dist.ApplyResult:
    root.mkdir(parents=True, exist_ok=True)
    run = local(root)
    change = diff(host, read_inventory(run, host, str(root)))
    return apply(run, change, STAMP, root=str(root), **kwargs)


def by_address(hosts: list[HostFiles], address: str) -> HostFiles:
    return next(h for h in hosts if h.address == address)


def files_under(root: Path) -> dict[str, Path]:
    """Every regular file under root, by its path on the host (backups included)."""
    return {"/" + str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


def public_of_cert(data: bytes) -> bytes:
    if b"BEGIN PUBLIC KEY" in data:
        key = serialization.load_pem_public_key(data)
    else:
        key = x509.load_pem_x509_certificate(data).public_key()
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_of_key(data: bytes) -> bytes:
    key = serialization.load_pem_private_key(data, None)
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def owed(host: HostFiles, root: Path) -> list[str] | None:
    """The host's restart record, line by line (None when there is none)."""
    record = root / host.record.lstrip("/")
    return record.read_text().splitlines() if record.exists() else None


def leftovers(host: HostFiles, root: Path) -> list[Path]:
    """Journals and temporary files (the restart record is not one)."""
    return [p for p in root.rglob(".kcw-*") if p != root / host.record.lstrip("/")]


def replaced_readers(host: HostFiles, before: dict[str, bytes], root: Path) -> set[str]:
    """The restartable components reading a planned file whose bytes on the host are no longer
    what they were in `before` (destination → bytes; a file absent there replaced nothing)."""
    readers = set()
    for placed in host.files:
        path = root / placed.destination.lstrip("/")
        old = before.get(placed.destination)
        if old is not None and path.exists() and path.read_bytes() != old:
            readers.update(c for c in placed.readers if c in RESTARTS)
    return readers


def mismatched_pairs(host: HostFiles, root: Path) -> list[tuple[str, str]]:
    """The (key, certificate) pairs on the host whose key is not the certificate's."""
    wrong = []
    for key, cert in host.pairs:
        key_path, cert_path = root / key.lstrip("/"), root / cert.lstrip("/")
        if not (key_path.exists() and cert_path.exists()):
            continue
        if public_of_key(key_path.read_bytes()) != public_of_cert(cert_path.read_bytes()):
            wrong.append((key, cert))
    return wrong


def assert_exactly_the_plan(host: HostFiles, root: Path) -> None:
    """The plan's files and no other (backups and the restart record aside: see owed())."""
    found = {p: f for p, f in files_under(root).items() if "/backup-" not in p and p != host.record}
    assert sorted(found) == sorted(f.destination for f in host.files), host.label
    for placed in host.files:
        path = found[placed.destination]
        info = path.stat()
        assert path.read_bytes() == placed.content, placed.destination
        assert stat.S_IMODE(info.st_mode) == placed.mode, placed.destination
        assert (pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name) == (
            OWNER,
            GROUP,
        )
    assert not mismatched_pairs(host, root)


# --- the plan ---------------------------------------------------------------------------------


def test_keys_are_0600_and_the_ca_key_only_on_masters(sets) -> None:
    spec, _, new = sets
    hosts = host_files(spec, new)
    for host in hosts:
        for placed in host.files:
            if placed.destination.endswith(("-key.pem", ".key", ".kubeconfig")):
                assert placed.mode == 0o600, (host.label, placed.destination)
        ca_keys = [f for f in host.files if f.destination in host.ca_keys]
        assert bool(ca_keys) == host.is_master, host.label
    node = by_address(hosts, NODE)
    assert ("/etc/kubernetes/ssl/kubelet-key.pem", "/etc/kubernetes/ssl/kubelet.pem") in node.pairs


def test_a_plan_that_puts_a_ca_key_on_a_worker_is_refused(sets, monkeypatch) -> None:
    spec, _, new = sets
    real = dist.plan_distribution

    def leaky(spec_: ClusterSpec):
        plans = real(spec_)
        master = next(p for p in plans if "master" in p.roles)
        node = next(p for p in plans if p.roles == ["node"])
        node.files.append(next(f for f in master.files if f.source == "ca-key.pem"))
        return plans

    monkeypatch.setattr(dist, "plan_distribution", leaky)
    with pytest.raises(DistributeError, match=r"192\.168\.214\.101 \(node-1\): the plan puts the "
                       r"CA key ca-key\.pem on a node host — refused"):  # fmt: skip
        host_files(spec, new)


def test_a_missing_source_file_is_named_with_the_fix(sets, tmp_path) -> None:
    spec, _, new = sets
    partial = tmp_path / "k8s-certs"
    partial.mkdir()
    (partial / "ca.pem").write_bytes((new / "ca.pem").read_bytes())
    with pytest.raises(DistributeError, match=r"k8s-certs/\S+: missing — .* needs it at /etc/"):
        host_files(spec, partial)


# --- first run, rerun, change ------------------------------------------------------------------


@pytest.mark.parametrize("address", [MASTER, NODE, "192.168.214.88"])
def test_the_first_run_places_exactly_the_plans_files(sets, tmp_path, address) -> None:
    spec, _, new = sets
    host = by_address(host_files(spec, new), address)
    run = local(tmp_path)
    change = diff(host, read_inventory(run, host, str(tmp_path)))
    assert change.counts["new"] == len(host.files) and not change.with_status(Status.CHANGED)
    result = apply(run, change, STAMP, root=str(tmp_path))
    assert sorted(result.written) == sorted(f.destination for f in host.files)
    assert result.backups == ()  # nothing was there to back up
    assert_exactly_the_plan(host, tmp_path)
    assert not list(tmp_path.rglob(".kcw-*")), "temporary files or a journal left behind"


def test_a_rerun_touches_nothing(sets, tmp_path) -> None:
    spec, _, new = sets
    host = by_address(host_files(spec, new), MASTER)
    place(host, tmp_path)
    before = {p: (f.stat().st_ino, f.stat().st_mtime_ns) for p, f in files_under(tmp_path).items()}
    run = local(tmp_path)
    change = diff(host, read_inventory(run, host, str(tmp_path)))
    assert change.clean and change.counts["unchanged"] == len(host.files)
    assert apply(run, change, STAMP, root=str(tmp_path)) == dist.ApplyResult()
    # and even when the files are sent again, the script keeps what is already as planned
    resent = dist.apply_payload(change, STAMP, files=host.files)
    done = run(dist.apply_script(str(tmp_path)), resent)
    assert done.returncode == 0, done.stderr
    assert sorted(dist.parse_apply(done.stdout).kept) == sorted(f.destination for f in host.files)
    after = {p: (f.stat().st_ino, f.stat().st_mtime_ns) for p, f in files_under(tmp_path).items()}
    assert after == before


def test_changed_files_are_backed_up_beside_them_and_swapped_in(sets, tmp_path) -> None:
    spec, old, new = sets
    old_host = by_address(host_files(spec, old), NODE)
    place(old_host, tmp_path)
    loose = tmp_path / "etc/kubernetes/ssl/ca.pem"
    loose.chmod(0o666)
    host = by_address(host_files(spec, new), NODE)
    run = local(tmp_path)
    change = diff(host, read_inventory(run, host, str(tmp_path)))
    reasons = {c.destination: c.reason for c in change.with_status(Status.CHANGED)}
    assert reasons["/etc/kubernetes/ssl/ca.pem"] == "content differs, mode 0666 → 0644"
    assert reasons["/etc/kubernetes/ssl/kubelet-key.pem"] == "content differs"
    assert change.units(spec.deploy) == ["kubelet.service", "kube-proxy.service"]
    result = apply(run, change, STAMP, root=str(tmp_path))
    assert sorted(result.backups) == [f"/etc/kubernetes/{STAMP}", f"/etc/kubernetes/ssl/{STAMP}"]
    assert_exactly_the_plan(host, tmp_path)
    for placed in old_host.files:
        backup = tmp_path / placed.destination.lstrip("/")
        backup = backup.parent / STAMP / backup.name
        assert backup.read_bytes() == placed.content, placed.destination
    assert stat.S_IMODE((tmp_path / f"etc/kubernetes/ssl/{STAMP}").stat().st_mode) == 0o700


def test_a_second_run_with_the_same_stamp_keeps_the_first_runs_backup(sets, tmp_path) -> None:
    """Two runs in one second by one process (the stamp is the second and the process id) back
    up into two folders: the second run's copies went into the first's folder over the copies
    it kept there, and the files the first run replaced were lost without a word."""
    spec, old, new = sets
    old_host = by_address(host_files(spec, old), NODE)
    new_host = by_address(host_files(spec, new), NODE)
    place(old_host, tmp_path)
    run = local(tmp_path)
    for host in (new_host, old_host):  # the new set, then the old one back, with one stamp
        apply(run, diff(host, read_inventory(run, host, str(tmp_path))), STAMP, root=str(tmp_path))
    ssl = tmp_path / "etc/kubernetes/ssl"
    assert sorted(p.name for p in ssl.glob("backup-*")) == [STAMP, f"{STAMP}-2"]
    for first, second in zip(old_host.files, new_host.files, strict=True):
        assert first.destination == second.destination
        if first.content == second.content:
            continue  # kept by both runs: backed up by neither
        placed = tmp_path / first.destination.lstrip("/")
        assert (placed.parent / STAMP / placed.name).read_bytes() == first.content, placed
        assert (placed.parent / f"{STAMP}-2" / placed.name).read_bytes() == second.content


def test_existing_directories_keep_their_mode_and_missing_ones_are_made(sets, tmp_path) -> None:
    spec, _, new = sets
    host = by_address(host_files(spec, new), MASTER)
    (tmp_path / "etc").mkdir(mode=0o751)
    (tmp_path / "etc").chmod(0o751)  # not the umask's
    place(host, tmp_path)
    assert stat.S_IMODE((tmp_path / "etc").stat().st_mode) == 0o751
    assert stat.S_IMODE((tmp_path / "etc/kubernetes").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "etc/kubernetes/ssl").stat().st_mode) == 0o755


def test_a_ca_key_on_a_worker_would_be_removed_and_prune_deletes_it_without_a_copy(
    sets, tmp_path
) -> None:
    spec, _, new = sets
    host = by_address(host_files(spec, new), NODE)
    place(host, tmp_path)
    stray = tmp_path / "etc/kubernetes/ssl/ca-key.pem"
    stray.write_bytes((new / "ca-key.pem").read_bytes())
    old_admin = tmp_path / "etc/kubernetes/admin.kubeconfig"
    old_admin.write_bytes(b"old admin\n")
    run = local(tmp_path)
    change = diff(host, read_inventory(run, host, str(tmp_path)))
    removed = {c.destination: c.reason for c in change.with_status(Status.REMOVED)}
    assert removed == {
        "/etc/kubernetes/ssl/ca-key.pem": "a CA key does not belong on a host that is not a master",
        "/etc/kubernetes/admin.kubeconfig": "not in this host's plan",
    }
    assert apply(run, change, STAMP, root=str(tmp_path)).removed == ()  # listed, not done
    assert stray.exists()
    result = apply(run, change, STAMP, root=str(tmp_path), prune=True)
    assert sorted(result.removed) == sorted(removed)
    assert not stray.exists() and not old_admin.exists()
    kept = tmp_path / f"etc/kubernetes/{STAMP}/admin.kubeconfig"
    assert kept.read_bytes() == b"old admin\n"  # the user's file is kept in the backup …
    assert not list(tmp_path.rglob("ca-key.pem"))  # … but no copy of a CA key stays on a node
    assert_exactly_the_plan(host, tmp_path)


def test_a_folder_where_a_file_goes_is_refused_by_name(sets, tmp_path) -> None:
    spec, _, new = sets
    host = by_address(host_files(spec, new), NODE)
    (tmp_path / "etc/kubernetes/ssl/ca.pem").mkdir(parents=True)
    run = local(tmp_path)
    with pytest.raises(DistributeError, match=r"/etc/kubernetes/ssl/ca\.pem is not a regular file"):
        diff(host, read_inventory(run, host, str(tmp_path)))


def test_a_damaged_stream_is_refused_before_anything_is_renamed(sets, tmp_path) -> None:
    spec, old, new = sets
    place(by_address(host_files(spec, old), NODE), tmp_path)
    before = {p: f.read_bytes() for p, f in files_under(tmp_path).items()}
    host = by_address(host_files(spec, new), NODE)
    run = local(tmp_path)
    change = diff(host, read_inventory(run, host, str(tmp_path)))
    payload = bytearray(dist.apply_payload(change, STAMP))
    payload[payload.index(b"-----BEGIN") + 12] ^= 1
    done = run(dist.apply_script(str(tmp_path)), bytes(payload))
    assert done.returncode == dist.FAILED and "the content arrived damaged" in done.stderr
    assert {p: f.read_bytes() for p, f in files_under(tmp_path).items()} == before


# --- interruptions -------------------------------------------------------------------------------


def kill_points(steps: int, address: str) -> list[int]:
    """Every point on a node; on a master (13 files) 10 random ones, the seed printed."""
    if address == NODE:
        return list(range(1, steps + 1))
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"kill points seed {seed}")
    return sorted(random.Random(seed).sample(range(1, steps + 1), 10))


@pytest.mark.slow
@pytest.mark.parametrize("address", [NODE, MASTER])
def test_killed_at_any_step_a_rerun_completes_and_every_key_matches_its_cert(
    sets, tmp_path, address
) -> None:
    spec, old, new = sets
    host = by_address(host_files(spec, new), address)
    before = tmp_path / "old"
    place(by_address(host_files(spec, old), address), before)
    full = tmp_path / "full"
    shutil.copytree(before, full, symlinks=True)
    steps = place(host, full).steps
    assert steps > 2 * len(host.files)  # a write, a backup and a rename each, at least
    old_bytes = {f.destination: f.content for f in by_address(host_files(spec, old), address).files}
    everything = sorted(replaced_readers(host, old_bytes, full))
    assert owed(host, full) == everything and everything  # the whole run's record
    half_renamed = 0
    for kill_at in kill_points(steps, address):
        root = tmp_path / f"k{kill_at}"
        shutil.copytree(before, root, symlinks=True)
        with pytest.raises(DistributeError, match="stopped|failed"):
            place(host, root, kill_at=kill_at)
        # whatever was renamed already, the record names its readers (and nothing but
        # the run's own components)
        record = set(owed(host, root) or ())
        assert replaced_readers(host, old_bytes, root) <= record <= set(everything), kill_at
        run = local(root)
        if mismatched_pairs(host, root):
            # only between the renames of a pair: the journal says so, and the next run's
            # first step (even with no files to send) finishes the renames from it
            half_renamed += 1
            inventory = read_inventory(run, host, str(root))
            assert any(m.endswith("/.kcw-journal") for m in inventory.interrupted), kill_at
            empty = dist.apply_payload(dist.HostDiff(host, ()), STAMP)
            done = run(dist.apply_script(str(root)), empty)
            assert done.returncode == 0, done.stderr
            assert dist.parse_apply(done.stdout).repaired, kill_at
            assert not mismatched_pairs(host, root), kill_at
        place(host, root)
        assert_exactly_the_plan(host, root)
        assert not leftovers(host, root), kill_at
        assert owed(host, root) == everything, kill_at
        assert diff(host, read_inventory(run, host, str(root))).clean, kill_at
    if address == NODE:
        assert half_renamed > 0, "no kill point fell between the renames of a pair"


def test_an_interrupted_rename_the_plan_no_longer_wants_is_dropped_not_finished(
    sets, tmp_path
) -> None:
    """Killed between a pair's renames on the way old → new, then the set went back to old
    (renew --undo): the rerun must not finish the journal's renames to `new`."""
    spec, old, new = sets
    old_host = by_address(host_files(spec, old), NODE)
    host = by_address(host_files(spec, new), NODE)
    before = tmp_path / "old"
    place(old_host, before)
    shutil.copytree(before, tmp_path / "count", symlinks=True)
    steps = place(host, tmp_path / "count").steps
    for kill_at in range(1, steps + 1):
        root = tmp_path / f"k{kill_at}"
        shutil.copytree(before, root, symlinks=True)
        with pytest.raises(DistributeError):
            place(host, root, kill_at=kill_at)
        if mismatched_pairs(host, root):
            break
    else:
        raise AssertionError("no kill point left a half-renamed pair")
    result = place(old_host, root)
    assert result.repaired == ()
    assert_exactly_the_plan(old_host, root)
    assert not leftovers(old_host, root)


# --- restarts ------------------------------------------------------------------------------------


def test_restarts_run_in_order_and_wait_for_health(tmp_path) -> None:
    log = tmp_path / "log"
    commands = RestartCommands(
        restart=f"echo {{unit}} >> {log}",
        health=f"grep -qx {{unit}} {log}",
        wait_seconds=4,
    )
    host = HostFiles("10.0.0.1", "m", ("master",), (), OWNER, GROUP)
    units = ["kube-apiserver.service", "kube-scheduler.service"]
    assert restart(local(tmp_path), host, units, commands) == units
    assert log.read_text().split() == units
    never = RestartCommands(restart="true {unit}", health="false", wait_seconds=2)
    with pytest.raises(DistributeError, match="kube-apiserver.service: not healthy after 2 s"):
        restart(local(tmp_path), host, units, never)


def test_what_the_commands_print_does_not_hide_a_healthy_unit(tmp_path) -> None:
    # kube-apiserver's /readyz answers "ok" with no newline (found with real systemd in the lab)
    chatty = RestartCommands(restart="echo restarted", health="printf ok", wait_seconds=2)
    host = HostFiles("10.0.0.1", "m", ("master",), (), OWNER, GROUP)
    units = ["kube-apiserver.service", "etcd.service"]
    assert restart(local(tmp_path), host, units, chatty) == units
    faking = RestartCommands(restart="echo 'healthy etcd.service'", health="false", wait_seconds=2)
    with pytest.raises(DistributeError, match="etcd.service: not healthy after 2 s"):
        restart(local(tmp_path), host, ["etcd.service"], faking)


def test_the_apiserver_is_waited_for_on_readyz_by_default() -> None:
    script = dist.restart_script(["kube-apiserver.service"], RestartCommands())
    assert "systemctl restart kube-apiserver.service" in script
    assert "{ systemctl is-active --quiet kube-apiserver.service && curl -ksf" in script
    assert "https://127.0.0.1:6443/readyz" in script


def test_units_come_from_deploy_units(sets, tmp_path) -> None:
    spec, _, new = sets
    host = by_address(host_files(spec, new), MASTER)
    change = diff(host, dist.Inventory())
    settings = DeploySettings(units={"kube-apiserver": "apiserver.service"})
    assert change.units(settings) == [
        "apiserver.service",
        "kube-controller-manager.service",
        "kube-scheduler.service",
    ]


# --- the job, with fake hosts ----------------------------------------------------------------


class FakeClient:
    """SshClient's run(), on a local directory per host (and one host that never answers)."""

    def __init__(self, roots: dict[str, Path], unreachable: set[str]) -> None:
        self.roots, self.unreachable = roots, unreachable
        self.seen: list[str] = []

    def run(self, target: Target, script: str, *, stdin: bytes = b"", timeout: float = 0,
            cancel=None) -> RemoteResult:  # fmt: skip
        self.seen.append(target.address)
        if target.address in self.unreachable:
            return RemoteResult(255, b"", "ssh: connect to host port 22: Connection refused")
        root = self.roots[target.address]
        root.mkdir(parents=True, exist_ok=True)
        if "ROOT=''" in script:
            script = script.replace("ROOT=''", f"ROOT='{root}'", 1)
        else:  # the restart script: its commands may look at which host they run on
            script = f"ROOT='{root}'\n{script}"
        return local(root)(script, stdin)


def test_the_job_reports_each_host_and_names_the_unreachable_one(sets, tmp_path) -> None:
    from wizard.jobs.distribution import DistributionRequest, Phase, run_distribution

    spec, _, new = sets
    addresses = [h.address for h in host_files(spec, new)]
    roots = {a: tmp_path / a for a in addresses}
    fake = FakeClient(roots, {"192.168.214.89"})

    @contextmanager
    def client(settings, targets) -> Iterator[FakeClient]:
        yield fake

    seen = []
    request = DistributionRequest(spec, new)
    outcome = run_distribution(request, on_progress=seen.append, client=client,
                               now=datetime(2026, 12, 3, tzinfo=UTC))  # fmt: skip
    phases = {r.target.address: r.phase for r in outcome.hosts}
    assert phases.pop("192.168.214.89") is Phase.UNREACHABLE
    assert set(phases.values()) == {Phase.PLACED}
    [failed] = outcome.failed
    assert "unreachable (ssh: connect to host port 22: Connection refused) — check that" in (
        failed.error
    )
    for report in outcome.hosts:
        if report.ok:
            assert_exactly_the_plan(report.host, roots[report.target.address])
    assert {p.phase for p in seen} >= {Phase.READING, Phase.PLACING, Phase.PLACED}
    again = run_distribution(DistributionRequest(spec, new, hosts=("192.168.214.200",)),
                             client=client)  # fmt: skip
    assert [r.phase for r in again.hosts] == [Phase.UNCHANGED]


def test_unknown_hosts_are_refused_with_the_names_there_are(sets) -> None:
    from wizard.jobs.distribution import select_hosts

    spec, _, new = sets
    with pytest.raises(DistributeError, match=r"--hosts nope: not a host of this cluster — use"):
        select_hosts(host_files(spec, new), ["node-1", "nope"])
    assert [h.address for h in select_hosts(host_files(spec, new), ["node-1"])] == [NODE]


def test_restarts_roll_over_etcd_and_masters_one_at_a_time_and_stop_at_an_unhealthy_one(
    sets, tmp_path
) -> None:
    from wizard.jobs.distribution import DistributionRequest, Phase, run_distribution

    spec, _, new = sets
    addresses = [h.address for h in host_files(spec, new)]
    roots = {a: tmp_path / a for a in addresses}
    fake = FakeClient(roots, set())
    log = tmp_path / "restarts.log"

    @contextmanager
    def client(settings, targets) -> Iterator[FakeClient]:
        yield fake

    # every host appends to one log; the second master never becomes healthy
    commands = RestartCommands(
        restart=f'echo "$(basename "$ROOT") {{unit}}" >> {log}',
        health='[ "$(basename "$ROOT")" != 192.168.214.201 ]',
        wait_seconds=2,
    )
    request = DistributionRequest(spec, new, restart=True, restart_commands=commands)
    outcome = run_distribution(request, client=client)
    lines = log.read_text().splitlines()
    hosts_in_order = list(dict.fromkeys(line.split()[0] for line in lines))
    etcd = ["192.168.214.88", "192.168.214.89", "192.168.214.90"]
    assert hosts_in_order == [*etcd, "192.168.214.200", "192.168.214.201"]
    assert lines[:3] == [f"{a} etcd.service" for a in etcd]
    phases = {r.target.address: (r.phase, r.error) for r in outcome.hosts}
    assert phases["192.168.214.200"] == (Phase.RESTARTED, "")
    assert phases["192.168.214.201"][0] is Phase.FAILED
    assert "kube-apiserver.service: not healthy after 2 s" in phases["192.168.214.201"][1]
    third, node = phases["192.168.214.202"], phases[NODE]
    assert "not restarted: 192.168.214.201 did not come back healthy" in third[1]
    assert "not restarted" in node[1]


def test_a_cancel_stops_the_hosts_not_started_and_names_them(sets, tmp_path) -> None:
    import threading

    from wizard.jobs.distribution import DistributionRequest, Phase, run_distribution

    spec, _, new = sets
    spec = make_spec()
    spec.deploy.parallel = 1
    addresses = [h.address for h in host_files(spec, new)]
    fake = FakeClient({a: tmp_path / a for a in addresses}, set())
    cancel = threading.Event()

    @contextmanager
    def client(settings, targets) -> Iterator[FakeClient]:
        yield fake

    def progress(step) -> None:
        if step.phase is Phase.PLACED:
            cancel.set()  # after the first host is done

    outcome = run_distribution(
        DistributionRequest(spec, new), on_progress=progress, cancel=cancel, client=client
    )
    phases = [r.phase for r in outcome.hosts]
    assert phases[0] is Phase.PLACED
    assert set(phases[1:]) == {Phase.CANCELLED}
    assert [r.target.address for r in outcome.failed] == addresses[1:]
    assert set(fake.seen) == {addresses[0]}  # no other host was even read


def test_the_command_lines_words_for_a_host(sets, tmp_path, capsys) -> None:
    from wizard.cli.distribute import _print_outcome
    from wizard.jobs.distribution import DistributionRequest, run_distribution

    spec, old, new = sets
    roots = {a.address: tmp_path / a.address for a in host_files(spec, new)}
    place(by_address(host_files(spec, old), NODE), roots[NODE])
    (roots[NODE] / "etc/kubernetes/ssl/ca-key.pem").write_bytes(b"stray\n")
    fake = FakeClient(roots, {MASTER})

    @contextmanager
    def client(settings, targets) -> Iterator[FakeClient]:
        yield fake

    request = DistributionRequest(spec, new, hosts=("node-1", MASTER), dry_run=True)
    _print_outcome(run_distribution(request, client=client), prune=False)
    out, err = capsys.readouterr()
    assert "192.168.214.101 (node-1) — node: diffed" in out
    assert "  changed          /etc/kubernetes/ssl/kubelet.pem 0644 (content differs)" in out
    assert (
        "  would be removed /etc/kubernetes/ssl/ca-key.pem (a CA key does not belong on a host "
        "that is not a master) — add --prune to remove it"
    ) in out
    assert "  restarts needed: kubelet.service, kube-proxy.service (run with --restart)" in out
    assert "1 of 2 hosts diffed (dry run: nothing changed)" in out
    assert f"{MASTER}: unreachable — unreachable (ssh: connect to host port 22" in err
    assert f"run again for those: k8s-cert-wizard distribute --hosts {MASTER}" in err


def test_a_half_renewed_set_is_refused_before_any_host_is_reached(sets, tmp_path) -> None:
    spec, old, new = sets
    mixed = tmp_path / "k8s-certs"
    shutil.copytree(new, mixed)
    (mixed / "kubernetes-key.pem").write_bytes((old / "kubernetes-key.pem").read_bytes())
    with pytest.raises(DistributeError, match=r"kubernetes-key\.pem does not match \S+/"
                       r"kubernetes\.pem — the set is half renewed"):  # fmt: skip
        host_files(spec, mixed)


@pytest.mark.parametrize("profile", ["classic", "kubeadm"])
def test_every_profile_every_host_gets_exactly_its_plan(profile, classic_set, tmp_path) -> None:
    spec = ClusterSpec.example()
    spec.deploy = DeploySettings(owner=OWNER, group=GROUP)
    directory = classic_set
    if profile != "classic":
        spec.profile = profile
        spec.key.algo, spec.key.size = "ecdsa", 256
        spec.nodes = [Node("node-1", NODE)]
        directory = tmp_path / "k8s-certs"
        write_files(directory, generate_files(spec))
    hosts = host_files(spec, directory)
    assert {r for h in hosts for r in h.roles} >= {"etcd", "master"}
    for host in hosts:
        root = tmp_path / host.address
        place(host, root)
        assert_exactly_the_plan(host, root)
        assert bool([f for f in host.files if f.destination in host.ca_keys]) == host.is_master


def test_no_key_bytes_or_hash_leave_a_host_in_the_diff(sets, tmp_path) -> None:
    """The diff comes from the shared inventory script: a key's and a kubeconfig's bytes and
    their sha256 (the old ones on the host, the planned ones) never come back; the host
    answers same/differs and the diff still tells changed from unchanged."""
    from wizard.jobs.distribution import DistributionRequest, run_distribution

    spec, old, new = sets
    roots = {h.address: tmp_path / h.address for h in host_files(spec, new)}
    for host in host_files(spec, old):
        place(host, roots[host.address])
    answers: list[bytes] = []

    class Recording(FakeClient):
        def run(self, target, script, **kwargs) -> RemoteResult:
            result = super().run(target, script, **kwargs)
            answers.append(result.stdout + result.stderr.encode())
            return result

    fake = Recording(roots, set())

    @contextmanager
    def client(settings, targets) -> Iterator[FakeClient]:
        yield fake

    # one key already as planned on the node: the host must say "same" without a hash
    node_new = by_address(host_files(spec, new), NODE)
    same_key = node_new.file("/etc/kubernetes/ssl/kubelet-key.pem")
    assert same_key is not None
    (roots[NODE] / same_key.destination.lstrip("/")).write_bytes(same_key.content)
    outcome = run_distribution(DistributionRequest(spec, new, dry_run=True), client=client)
    assert len(answers) == len(roots) and all(a.startswith(b"T\t") for a in answers)
    sent_back = b"\n".join(answers)
    # what is public anyway: an EC key's last PEM line is its public point, which the public
    # key file beside it (sa.pub, sent back for a rotation's reading) shows the same way
    public = b"\n".join(
        placed.content
        for directory in (old, new)
        for host in host_files(spec, directory)
        for placed in host.files
        if not is_secret(placed.destination, placed.mode)
    )
    secrets = 0
    for directory in (old, new):
        for host in host_files(spec, directory):
            for placed in host.files:
                if not is_secret(placed.destination, placed.mode):
                    continue
                secrets += 1
                assert placed.sha256.encode() not in sent_back, placed.destination
                secret_parts = []
                for line in placed.content.splitlines():
                    name, colon, value = line.strip().partition(b":")
                    if colon and name in (b"client-key-data", b"token"):
                        secret_parts.append(value.strip())  # a kubeconfig's secret values
                    elif not colon and line and not line.startswith(b"-----"):
                        secret_parts.append(line)  # a PEM key's body
                assert secret_parts, placed.destination
                for part in secret_parts:
                    assert part in public or part not in sent_back, placed.destination
                assert any(part not in public for part in secret_parts), placed.destination
    assert secrets > 10
    node = next(r for r in outcome.hosts if r.target.address == NODE)
    assert node.diff is not None
    status = {c.destination: c.status for c in node.diff.changes}
    assert status[same_key.destination] is Status.UNCHANGED
    assert status["/etc/kubernetes/ssl/kubelet.pem"] is Status.CHANGED
    assert status["/etc/kubernetes/kubelet.kubeconfig"] is Status.CHANGED


# --- the restarts a host owes ---------------------------------------------------------------------


def fake_fleet(tmp_path: Path, spec: ClusterSpec, directory: Path):  # noqa: ANN201
    """Every host of the plan as a folder, and a ClientFactory running the scripts on them."""
    roots = {h.address: tmp_path / h.address for h in host_files(spec, directory)}
    fake = FakeClient(roots, set())

    @contextmanager
    def client(settings, targets) -> Iterator[FakeClient]:
        yield fake

    return roots, client


def readers_replaced(old_host: HostFiles, new_host: HostFiles) -> list[str]:
    """From the two sets alone: the restartable components reading a file whose bytes differ."""
    before = {f.destination: f.content for f in old_host.files}
    readers = {
        c
        for f in new_host.files
        if f.destination in before and before[f.destination] != f.content
        for c in f.readers
        if c in RESTARTS
    }
    return [c for c in RESTARTS if c in readers]


def logging_commands(log: Path, health: str = "true") -> RestartCommands:
    return RestartCommands(
        restart=f'echo "$(basename "$ROOT") {{unit}}" >> {log}', health=health, wait_seconds=2
    )


@pytest.mark.slow
def test_without_restart_the_record_names_exactly_the_components_whose_files_were_replaced(
    sets, tmp_path
) -> None:
    from wizard.jobs.distribution import DistributionRequest, run_distribution

    spec, old, new = sets
    roots, client = fake_fleet(tmp_path, spec, new)
    fresh = "192.168.214.90"  # nothing there: new files replace nothing
    for host in host_files(spec, old):
        if host.address not in (fresh, NODE):
            place(host, roots[host.address])
    node = by_address(host_files(spec, new), NODE)
    place(node, roots[NODE])  # the node already has the new set, one file at another mode
    (roots[NODE] / "etc/kubernetes/ssl/kubelet.pem").chmod(0o666)
    outcome = run_distribution(DistributionRequest(spec, new), client=client)
    olds = {h.address: h for h in host_files(spec, old)}
    for report in outcome.hosts:
        address = report.target.address
        assert report.ok and report.pending == [], report
        expected = [] if address in (fresh, NODE) else readers_replaced(olds[address], report.host)
        assert owed(report.host, roots[address]) == (sorted(expected) or None), address
        assert report.owed == expected, address
    reports = {r.target.address: r for r in outcome.hosts}
    assert reports["192.168.214.88"].owed == ["etcd"]
    assert "kube-apiserver" in reports[MASTER].owed
    assert reports[NODE].applied is not None and reports[NODE].applied.written  # mode: placed
    assert stat.S_IMODE((roots[NODE] / "etc/kubernetes/ssl/kubelet.pem").stat().st_mode) == 0o644
    record = roots[MASTER] / by_address(host_files(spec, new), MASTER).record.lstrip("/")
    assert stat.S_IMODE(record.stat().st_mode) == 0o600


def test_owed_names_accumulate_across_runs(sets, tmp_path) -> None:
    spec, old, new = sets
    host = by_address(host_files(spec, new), NODE)
    before = by_address(host_files(spec, old), NODE)
    place(host, tmp_path)
    ssl = tmp_path / "etc/kubernetes/ssl"
    for name in ("kubelet.pem", "kubelet-key.pem"):  # a renewal of the kubelet's pair alone
        (ssl / name).write_bytes(before.file(f"/etc/kubernetes/ssl/{name}").content)
    place(host, tmp_path)
    assert owed(host, tmp_path) == ["kubelet"]
    proxy = tmp_path / "etc/kubernetes/kube-proxy.kubeconfig"
    proxy.write_bytes(before.file("/etc/kubernetes/kube-proxy.kubeconfig").content)
    inventory = read_inventory(local(tmp_path), host, str(tmp_path))
    assert inventory.pending == ("kubelet",)
    change = diff(host, inventory)
    assert change.pending == ("kubelet",) and change.replaced == ("kube-proxy",)
    assert change.units(spec.deploy) == ["kubelet.service", "kube-proxy.service"]
    place(host, tmp_path)
    assert owed(host, tmp_path) == ["kube-proxy", "kubelet"]  # the union, one a line


@pytest.mark.slow
def test_a_rerun_with_restart_restarts_the_owed_units_though_no_file_changed_and_clears_them(
    sets, tmp_path
) -> None:
    from wizard.jobs.distribution import DistributionRequest, Phase, run_distribution

    spec, old, new = sets
    roots, client = fake_fleet(tmp_path, spec, new)
    for host in host_files(spec, old):
        place(host, roots[host.address])
    first = run_distribution(DistributionRequest(spec, new), client=client)
    debts = {r.target.address: r.owed for r in first.hosts}
    assert [a for a, d in debts.items() if not d] == ["192.168.214.210"]  # the registry: ca.pem
    log = tmp_path / "restarts.log"
    request = DistributionRequest(spec, new, restart=True, restart_commands=logging_commands(log))
    again = run_distribution(request, client=client)
    restarted: dict[str, list[str]] = {}
    for line in log.read_text().splitlines():
        address, unit = line.split()
        restarted.setdefault(address, []).append(unit)
    for report in again.hosts:
        address = report.target.address
        assert report.diff is not None and report.diff.clean, address  # no file changed
        assert report.pending == debts[address], address
        if not debts[address]:
            assert report.phase is Phase.UNCHANGED and address not in restarted
            continue
        units = list(dict.fromkeys(spec.deploy.unit_of(c) for c in debts[address]))
        assert report.units == units and report.restarted == units, address
        assert restarted[address] == units, address
        assert report.phase is Phase.RESTARTED and report.owed == [], address
        assert owed(report.host, roots[address]) is None, address
    dry = run_distribution(DistributionRequest(spec, new, dry_run=True), client=client)
    assert [r.pending for r in dry.hosts] == [[]] * len(dry.hosts)
    assert [r.units for r in dry.hosts] == [[]] * len(dry.hosts)


@pytest.mark.slow
def test_a_failed_health_check_keeps_the_name_owed(sets, tmp_path) -> None:
    from wizard.jobs.distribution import DistributionRequest, run_distribution

    spec, old, new = sets
    roots, client = fake_fleet(tmp_path, spec, new)
    for host in host_files(spec, old):
        place(host, roots[host.address])
    log = tmp_path / "restarts.log"
    # on the first master the apiserver comes back, the controller-manager never does
    sick = logging_commands(log, health="test {unit} != kube-controller-manager.service")
    request = DistributionRequest(spec, new, restart=True, restart_commands=sick)
    outcome = run_distribution(request, client=client)
    reports = {r.target.address: r for r in outcome.hosts}
    master = reports[MASTER]
    assert "kube-controller-manager.service: not healthy after 2 s" in master.error
    assert master.restarted == ["kube-apiserver.service"]
    assert "kube-apiserver" not in master.owed and "kube-controller-manager" in master.owed
    assert owed(master.host, roots[MASTER]) == sorted(master.owed)
    for address in ("192.168.214.201", "192.168.214.202", NODE):  # never restarted
        report = reports[address]
        assert report.restarted == [] and "not restarted" in report.error, address
        assert owed(report.host, roots[address]) == sorted(report.owed) and report.owed, address
    for address in ("192.168.214.88", "192.168.214.89", "192.168.214.90"):
        assert owed(reports[address].host, roots[address]) is None, address  # etcd came back
    # the next --restart (now healthy) restarts what is still owed and nothing else
    log.unlink()
    request = DistributionRequest(spec, new, restart=True, restart_commands=logging_commands(log))
    done = run_distribution(request, client=client)
    assert all(r.ok and r.owed == [] for r in done.hosts)
    lines = log.read_text().splitlines()
    assert f"{MASTER} kube-apiserver.service" not in lines
    assert f"{MASTER} kube-controller-manager.service" in lines
    assert not any(line.endswith("etcd.service") for line in lines)


def test_the_dry_run_and_json_say_what_each_host_owes(sets, tmp_path, capsys) -> None:
    from wizard.cli.distribute import _print_outcome
    from wizard.jobs.distribution import DistributionRequest, outcome_to_json, run_distribution

    spec, old, new = sets
    roots, client = fake_fleet(tmp_path, spec, new)
    place(by_address(host_files(spec, old), NODE), roots[NODE])
    hosts = ("node-1", MASTER)
    run_distribution(DistributionRequest(spec, new, hosts=hosts), client=client)
    outcome = run_distribution(DistributionRequest(spec, new, hosts=hosts, dry_run=True),
                               client=client)  # fmt: skip
    _print_outcome(outcome, prune=False)
    out = capsys.readouterr().out
    assert (
        "192.168.214.101 (node-1) — node: has its files, needs restart (placed earlier, not "
        "restarted)\n"
    ) in out
    assert "  needs restart (placed earlier, not restarted): kubelet, kube-proxy\n" in out
    assert "  restarts needed: kubelet.service, kube-proxy.service (run with --restart)" in out
    [master] = [block for block in out.split("\n\n") if block.startswith(MASTER)]
    assert "needs restart" not in master  # its files were new: nothing served an old one
    document = outcome_to_json(outcome)
    by = {h["address"]: h for h in document["hosts"]}
    assert by[NODE]["pending"] == by[NODE]["owed"] == ["kubelet", "kube-proxy"]
    assert by[NODE]["units"] == ["kubelet.service", "kube-proxy.service"]
    assert by[MASTER]["pending"] == by[MASTER]["owed"] == []


def test_a_record_with_other_words_in_it_owes_only_known_components(sets, tmp_path) -> None:
    spec, _, new = sets
    host = by_address(host_files(spec, new), NODE)
    place(host, tmp_path)
    record = tmp_path / host.record.lstrip("/")
    record.write_text("kubelet\n$(reboot)\n\nkubelet\nkube-proxy")  # no final newline
    inventory = read_inventory(local(tmp_path), host, str(tmp_path))
    assert inventory.pending == ("kubelet", "kube-proxy")
    assert diff(host, inventory).units(spec.deploy) == ["kubelet.service", "kube-proxy.service"]


def test_a_host_whose_apply_failed_is_said_to_owe_what_it_may_have_replaced(sets, tmp_path) -> None:
    from wizard.jobs.distribution import DistributionRequest, Phase, run_distribution

    spec, old, new = sets
    root = tmp_path / NODE
    place(by_address(host_files(spec, old), NODE), root)

    class Failing(FakeClient):
        def run(self, target, script, **kwargs) -> RemoteResult:
            if "kcw-journal.part" in script:  # the apply: the connection drops mid-way
                return RemoteResult(1, b"", "kcw: cannot rename into /etc/kubernetes/ssl/x")
            return super().run(target, script, **kwargs)

    fake = Failing({NODE: root}, set())

    @contextmanager
    def client(settings, targets) -> Iterator[FakeClient]:
        yield fake

    outcome = run_distribution(DistributionRequest(spec, new, hosts=(NODE,)), client=client)
    [report] = outcome.hosts
    assert report.phase is Phase.FAILED and report.applied is None
    assert report.owed == ["kubelet", "kube-proxy"]  # it may have: told, not hidden
