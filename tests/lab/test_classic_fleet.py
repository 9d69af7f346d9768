"""classic (the guide's one CA and four pairs) from the jump host over SSH: `distribute` places
exactly the plan's files, etcd and kube-apiserver start from them with the flags DISTRIBUTION.md
prints, `check` is clean and names planted drift, and `distribute --restart` restarts real
systemd units one host at a time.

The real systemd: each etcd member and master gets its own systemd (Debian's, as PID 1 of a PID
namespace inside the host's mount namespace, in a cgroup of its own) running etcd or
kube-apiserver and the host's sshd as units, so the SSH session `distribute` opens is on that
host the way it is on a real machine, and the default `systemctl restart {unit}` and
`systemctl is-active` (plus /readyz for the apiserver) are what run.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shlex
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fleet.fleet_sets import older_certificate
from tests.lab.cluster import (
    REPO,
    Cluster,
    apiserver_lab_flags,
    client_kubeconfig,
    cluster_toml,
    etcd_argv,
    parse_tls_flags,
    product_argv,
)
from tests.lab.netlab import ETCD, JUMP, LB, MASTERS, NODES, VIP, Host, Lab, Process
from tests.lab.test_check_probe import problems
from tests.lab.test_classic import GUIDE_APISERVER, GUIDE_ETCD, SIGNING_KEY
from tests.lab.test_distribute import certificate_pairs, distribute, on_host, pairs_match

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]

SSL = "/etc/kubernetes/ssl"
PLANNED = [*ETCD, *MASTERS, *NODES]
M1, M2, N1, N2, E1 = MASTERS[0], MASTERS[1], NODES[0], NODES[1], ETCD[0]
# Not TLS flags the product prints for classic: the guide's apiserver verifies service-account
# tokens with ca-key.pem, and Kubernetes >= 1.20 also wants a signing key (lab finding 5).
SERVICE_ACCOUNT = [f"--service-account-key-file={SSL}/ca-key.pem", SIGNING_KEY]


def classic_toml(lab: Lab) -> str:
    """The lab's classic cluster.toml with its two nodes (kube-proxy's pair goes there) and
    the [deploy] table for the lab's SSH configuration."""
    text = cluster_toml("classic")
    for node in NODES:
        text += f'\n[[nodes]]\nname = "{node.name}"\naddress = "{node.address}"\n'
    return text + f'\n[deploy]\nssh_config = "{lab.ssh_config}"\n'


def product(lab: Lab, *args: str, timeout: float = 300):
    return lab.run(JUMP, *product_argv(*args), cwd=REPO, timeout=timeout)


@dataclass
class Classic:
    work: Path
    cluster: Cluster
    plan: dict
    code: int
    document: dict
    seconds: float
    argv: dict[str, list[str]] = field(default_factory=dict)  # host name → the component's argv


@pytest.fixture(scope="module")
def classic(
    lab: Lab, control_plane: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Classic]:
    work = tmp_path_factory.mktemp("classic-fleet")
    (work / "cluster.toml").write_text(classic_toml(lab))
    made = product(lab, "generate", "-c", str(work / "cluster.toml"), "-o", str(work / "certs"),
                   "--per-host")  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    started = time.monotonic()
    code, document = distribute(lab, work)
    seconds = time.monotonic() - started
    out = work / "certs"
    cluster = Cluster(lab, out, control_plane, "classic")
    cluster.flags = parse_tls_flags((out / "DISTRIBUTION.md").read_text())
    plan = json.loads((out / "distribution.json").read_text())
    try:
        yield Classic(work, cluster, plan, code, document, seconds)
    finally:
        lab.stop_processes()
        lab.reset_hosts()


def test_distribute_places_exactly_the_plans_files_on_every_classic_host(
    classic: Classic,
) -> None:
    lab, out = classic.cluster.lab, classic.cluster.out
    assert classic.code == 0, classic.document
    reports = {h["address"]: h for h in classic.document["hosts"]}
    for host in PLANNED:
        planned = next(p for p in classic.plan["hosts"] if p["address"] == host.address)
        found = on_host(lab, host)
        assert sorted(found) == sorted(f["destination"] for f in planned["files"]), host.name
        for item in planned["files"]:
            digest, mode = found[item["destination"]]
            tree = out / "hosts" / host.address / item["destination"].lstrip("/")
            assert digest == _sha256(tree), f"{host.name}: {item['destination']}"
            assert mode == f"{int(item['mode'], 8):o} root:root", (host.name, item)
        assert reports[host.address]["phase"] == "placed", reports[host.address]
        assert not pairs_match(lab, host, certificate_pairs(planned))
        names = {Path(p).name for p in found}
        # the guide's folder; the CA key and cluster-admin's key only on the masters
        assert all(p.startswith(f"{SSL}/") for p in found), host.name
        assert ("ca-key.pem" in names) is (host in MASTERS), host.name
        assert ("admin-key.pem" in names) is (host in MASTERS), host.name
    assert sorted(Path(p).name for p in on_host(lab, N1)) == [
        "ca.pem", "kube-proxy-key.pem", "kube-proxy.pem",
    ]  # fmt: skip
    assert on_host(lab, LB) == {}
    print(f"\nclassic: 8 hosts distributed in {classic.seconds:.1f} s, "
          f"{classic.document['parallel']} at once")  # fmt: skip


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def member_argv(cluster: Cluster, member: Host) -> list[str]:
    return etcd_argv(member, cluster.tls("etcd"))


def apiserver_argv(cluster: Cluster, master: Host) -> list[str]:
    return [
        str(cluster.binary), "kube-apiserver", *cluster.tls("kube-apiserver"), *SERVICE_ACCOUNT,
        *apiserver_lab_flags(master),
    ]  # fmt: skip


def admin_from_master(cluster: Cluster, master: Host) -> Path:
    """kubectl's kubeconfig built (as the guide does) from the files distribute put on a master."""
    local = cluster.out.parent / f"from-{master.name}"
    local.mkdir(exist_ok=True)
    for name in ("ca.pem", "admin.pem", "admin-key.pem"):
        (local / name).write_text(cluster.lab.read(master, f"{SSL}/{name}"))
    return client_kubeconfig(
        cluster.lab, local / "admin.kubeconfig", server=f"https://{VIP}:6443",
        ca=local / "ca.pem", cert=local / "admin.pem", key=local / "admin-key.pem",
    )  # fmt: skip


def test_the_classic_control_plane_starts_from_the_distributed_files(classic: Classic) -> None:
    cluster, lab = classic.cluster, classic.cluster.lab
    # the TLS flags DISTRIBUTION.md prints for classic are the guide's
    assert sorted(cluster.tls("etcd")) == sorted(GUIDE_ETCD)
    guide_tls = [f for f in GUIDE_APISERVER if not f.startswith("--service-account")]
    assert sorted(cluster.tls("kube-apiserver")) == sorted(guide_tls)
    for member in ETCD:
        cluster.start(member, "etcd", member_argv(cluster, member))
    out = cluster.out
    cluster.wait_etcd((f"{out}/ca.pem", f"{out}/kubernetes.pem", f"{out}/kubernetes-key.pem"))
    cluster.start_lb()
    for master in MASTERS:
        cluster.start(master, "kube-apiserver", apiserver_argv(cluster, master))
    cluster.admin = admin_from_master(cluster, M1)
    cluster.wait_apiservers(cluster.admin)
    assert cluster.whoami(cluster.admin) == ("admin", ["system:authenticated", "system:masters"])
    # kube-proxy's files as node-1 holds them, used on node-1 itself
    config = cluster.out.parent / "node-1-kube-proxy.kubeconfig"
    base = ["kubectl", f"--kubeconfig={config}"]
    for step in (
        ["config", "set-cluster", "lab", f"--server=https://{VIP}:6443",
         f"--certificate-authority={SSL}/ca.pem"],
        ["config", "set-credentials", "proxy", f"--client-certificate={SSL}/kube-proxy.pem",
         f"--client-key={SSL}/kube-proxy-key.pem"],
        ["config", "set-context", "lab", "--cluster=lab", "--user=proxy"],
        ["config", "use-context", "lab"],
    ):  # fmt: skip
        assert lab.run(N1, *base, *step).returncode == 0, step
    who = lab.run(N1, *base, "auth", "whoami", "-o", "json", "--request-timeout=20s")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["status"]["userInfo"]["username"] == "system:kube-proxy"
    for host in [*ETCD, *MASTERS]:
        name = "etcd" if host in ETCD else "kube-apiserver"
        assert cluster.processes[(host.name, name)].alive(), cluster.logs(name)


def check(classic: Classic) -> tuple[int, dict, str]:
    result = classic.cluster.lab.run(
        JUMP, *product_argv("check", "-c", str(classic.work / "cluster.toml"), "-o",
                            str(classic.cluster.out), "--json"),
        cwd=REPO, timeout=180,
    )  # fmt: skip
    try:
        return result.returncode, json.loads(result.stdout), result.stderr
    except json.JSONDecodeError:
        raise AssertionError(f"check: no JSON\n{result.stdout}\n{result.stderr}") from None


def test_check_is_clean_on_classic_then_names_each_planted_drift(classic: Classic) -> None:
    lab, out = classic.cluster.lab, classic.cluster.out
    started = time.monotonic()
    code, document, err = check(classic)
    print(f"\ncheck on 8 classic hosts: {time.monotonic() - started:.1f} s\n{err}")
    assert (code, problems(document)) == (0, set()), document["findings"]
    assert {f["node"].split()[0] for f in document["files"]} == {h.address for h in PLANNED}

    stale = f"{SSL}/kubernetes.pem"
    lab.write(E1, stale, older_certificate(out, "kubernetes.pem", 30).decode())
    lab.write(N1, f"{SSL}/ca-key.pem", (out / "ca-key.pem").read_text(), mode=0o600)
    lab.run(M2, "chmod", "0644", f"{SSL}/kubernetes-key.pem", check=True)
    lab.run(N2, "rm", f"{SSL}/ca.pem", check=True)
    try:
        code, document, _ = check(classic)
        assert code == 2
        assert problems(document) == {
            (E1.address, stale, "stale"),
            (N1.address, f"{SSL}/ca-key.pem", "extra-key"),
            (M2.address, f"{SSL}/kubernetes-key.pem", "wrong-mode"),
            (N2.address, f"{SSL}/ca.pem", "missing"),
        }, document["findings"]
    finally:
        lab.run(N1, "rm", "-f", f"{SSL}/ca-key.pem")  # not in the plan: not distribute's
        code, repaired = distribute(lab, classic.work)
    assert code == 0, repaired
    code, document, _ = check(classic)
    assert (code, problems(document)) == (0, set()), document["findings"]


# --- real systemd -----------------------------------------------------------------------------

RESTARTS = "/var/lib/kcw-unit-starts"
UNIT_FOLDERS = (
    "/etc/systemd/system",
    "/usr/lib/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system-generators",
    "/usr/local/lib/systemd/system-generators",
    "/etc/systemd/system-generators",
)
"""Where systemd finds units and generators; each lab host's systemd gets them empty."""


@dataclass(frozen=True)
class Hierarchy:
    """One cgroup hierarchy as the machine mounts it, and where this process sits in it."""

    mountpoint: str
    fstype: str  # cgroup (v1) or cgroup2
    options: str  # the controllers or name=systemd (v1); empty for cgroup2
    here: str  # this process's cgroup in it, e.g. /process_api/abc

    def mount(self) -> str:
        """The shell line that mounts this hierarchy again in a mount namespace."""
        options = f"-o {self.options} " if self.options else ""
        where = self.mountpoint
        return f"mkdir -p {where} && mount -t {self.fstype} {options}kcwlab {where}"


def hierarchies() -> list[Hierarchy]:
    """The machine's cgroup hierarchies (v1 controllers, name=systemd, the unified one).

    A lab host has the fresh /sys of `ip netns exec`, without them, so a host's systemd gets
    them mounted again in its own mount namespace, rooted (cgroup namespace) at a cgroup of its
    own below this process's, so it never touches the machine's or the other hosts' cgroups."""
    where: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        where["" if number == "0" else controllers] = path
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, _, after = line.partition(" - ")
        fstype, _, superoptions = after.split(" ", 2)
        if fstype not in ("cgroup", "cgroup2"):
            continue
        kept = [o for o in superoptions.split(",") if o not in ("rw", "ro", "relatime")]
        if fstype == "cgroup" and all(o.startswith("name=") for o in kept):
            kept = ["none", *kept]  # a named hierarchy binds no controller
        options = ",".join(kept) if fstype == "cgroup" else ""
        key = ",".join(o for o in kept if o != "none") if fstype == "cgroup" else ""
        found.append(Hierarchy(before.split()[4], fstype, options, where.get(key, "/")))
    return found


def _unit(
    description: str, argv: list[str], log: Path, stamp: bool = False, notify: bool = False
) -> str:
    """A unit with no default dependencies (no sysinit in a lab host), logging to a file;
    notify: Type=notify, as the guide's etcd and kube-apiserver units (ready when they say)."""
    command = " ".join(shlex.quote(a) for a in argv).replace("%", "%%").replace("$", "$$")
    pre = f"ExecStartPre=/bin/sh -c 'echo %n $$(date +%%s%%N) >> {RESTARTS}'\n" if stamp else ""
    return (
        f"[Unit]\nDescription={description}\nDefaultDependencies=no\n\n"
        f"[Service]\nType={'notify' if notify else 'simple'}\n{pre}ExecStart={command}\n"
        f"StandardOutput=append:{log}\nStandardError=inherit\nKillMode=mixed\n"
        "TimeoutStopSec=20\nTimeoutStartSec=120\n"
    )


@dataclass
class SystemdHost:
    host: Host
    process: Process  # nsenter → unshare → systemd
    cgroup: str
    sshd: Process  # the lab's own sshd, stopped while systemd's runs
    hierarchies: list[Hierarchy]

    def pid(self) -> int:
        """systemd's PID in the machine's view: the descendant of the spawned shell (which
        became unshare) whose command is systemd."""
        pending = [self.process.popen.pid]
        while pending:
            pid = pending.pop()
            if Path(f"/proc/{pid}/comm").read_text().strip() == "systemd":
                return pid
            pending += [
                int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            ]
        raise LookupError(f"{self.host.name}: no systemd below {self.process.popen.pid}")


def start_systemd(lab: Lab, host: Host, unit: str, argv: list[str]) -> SystemdHost:
    """systemd as PID 1 of a new PID namespace on the host, running `unit` and the host's sshd
    (same config and host key as the lab's, which is stopped), so SSH sessions reach it."""
    sshd = next(p for p in lab.services if p.host == host and p.name == "sshd")
    config = lab.root / "ssh" / f"{host.name}-sshd_config"
    logs = lab.root / "logs"
    units = {
        unit: _unit(unit, argv, logs / f"{host.name}-{unit}.log", stamp=True, notify=True),
        "kcw-sshd.service": _unit(
            "the host's sshd",
            [shutil.which("sshd") or "/usr/sbin/sshd", "-D", "-e", "-f", str(config)],
            logs / f"{host.name}-systemd-sshd.log",
        ),
        "kcw.target": f"[Unit]\nDescription=kcw lab host\nWants={unit} kcw-sshd.service\n",
    }
    for name, text in units.items():
        lab.write(host, f"/run/systemd/system/{name}", text)
    cgroup = f"kcwlab-systemd-{host.name}"
    found = hierarchies()
    if not any(h.options == "name=systemd" or h.fstype == "cgroup2" for h in found):
        pytest.skip("the machine mounts neither a cgroup2 nor a name=systemd hierarchy")
    make_cgroups(cgroup, found)
    lab.services.remove(sshd)
    lab.kill(sshd)
    script = systemd_script(cgroup, found)
    process = lab.spawn(host, "systemd", "sh", "-c", script)
    return SystemdHost(host, process, cgroup, sshd, found)


def make_cgroups(cgroup: str, found: list[Hierarchy]) -> None:
    """`cgroup` below this process's cgroup in every hierarchy; a v1 cpuset one gets its
    parent's CPUs and memory nodes (a new cpuset has none, and takes no process)."""
    for item in found:
        parent = Path(f"{item.mountpoint}{item.here.rstrip('/')}")
        (parent / cgroup).mkdir(exist_ok=True)
        for name in ("cpuset.cpus", "cpuset.mems"):
            if (parent / name).is_file() and not (parent / cgroup / name).read_text().strip():
                (parent / cgroup / name).write_text((parent / name).read_text())


def systemd_script(cgroup: str, found: list[Hierarchy]) -> str:
    """The shell line that starts a host's systemd: in a mount namespace of its own, the
    cgroup hierarchies mounted and this shell moved into `cgroup` in each; then systemd as
    PID 1 of new PID and cgroup namespaces, the hierarchies mounted again there (so each root
    is its own cgroup) and no unit folder but /run/systemd/system."""
    tmpfs = [] if any(h.mountpoint == "/sys/fs/cgroup" for h in found) else [
        "mount -t tmpfs -o mode=755 kcwlab /sys/fs/cgroup"
    ]  # fmt: skip
    mounts = [*tmpfs, *(h.mount() for h in found)]
    outer = [
        *mounts,
        *(f"echo $$ > {h.mountpoint}{h.here.rstrip('/')}/{cgroup}/cgroup.procs" for h in found),
    ]
    inner = [
        "umount -R /sys/fs/cgroup 2>/dev/null || true",
        *mounts,
        # systemd sees no unit but ours: the host's / is the machine's, and a fallback to
        # rescue.target would run systemd-tmpfiles on it (empty /tmp, recreate folders)
        *(
            f"mount -t tmpfs -o mode=755 kcwlab {folder}"
            for folder in UNIT_FOLDERS
            if os.path.isdir(folder)
        ),
        "test -f /run/systemd/system/kcw.target",
        "exec env container=kcwlab /lib/systemd/systemd --system --unit=kcw.target "
        "--log-target=null",
    ]
    first = (
        " && ".join(outer)
        + " && exec unshare --pid --fork --cgroup --mount --mount-proc --kill-child=SIGKILL "
        + f"sh -c {shlex.quote(' && '.join(inner))}"
    )
    return f"exec unshare --mount --propagation private sh -c {shlex.quote(first)}"


def stop_systemd(lab: Lab, item: SystemdHost) -> None:
    """Kill the host's systemd (its whole PID namespace), remove its cgroups, and start the
    lab's sshd again with the same configuration."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        os.kill(item.pid(), 9)
    lab.kill(item.process)
    for hierarchy in item.hierarchies:
        root = Path(f"{hierarchy.mountpoint}{hierarchy.here.rstrip('/')}/{item.cgroup}")
        for path in sorted(root.glob("**/"), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                path.rmdir()
    sshd = lab.spawn(item.host, "sshd", *item.sshd.popen.args[len(lab.enter(item.host)) :])
    lab.processes.remove(sshd)
    lab.services.append(sshd)


def systemctl(lab: Lab, host: Host, *args: str) -> str:
    """systemctl on the host over SSH (the session is in the host's systemd's namespace)."""
    result = lab.ssh(host, "systemctl", *args)
    assert result.returncode == 0, f"{host.name}: systemctl {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def wait_for(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(1)


def test_distribute_restart_restarts_real_systemd_units_one_host_at_a_time(
    classic: Classic,
) -> None:
    cluster, lab, work = classic.cluster, classic.cluster.lab, classic.work
    for (_, name), process in list(cluster.processes.items()):
        if name in ("etcd", "kube-apiserver"):
            lab.kill(process)
    cluster.processes = {k: v for k, v in cluster.processes.items() if v.alive()}
    units = {**{m: "etcd.service" for m in ETCD}, **{m: "kube-apiserver.service" for m in MASTERS}}
    hosts: list[SystemdHost] = []
    try:
        started = time.monotonic()
        for host, unit in units.items():
            argv = member_argv(cluster, host) if host in ETCD else apiserver_argv(cluster, host)
            hosts.append(start_systemd(lab, host, unit, argv))
        for host, unit in units.items():
            wait_for(
                lambda h=host: _state(lab, h) == "running",
                f"{host.name}: systemd not running: {_state(lab, host)}",
                timeout=180,
            )
            assert systemctl(lab, host, "is-active", unit) == "active"
        booted = time.monotonic() - started
        out = cluster.out
        cluster.wait_etcd((f"{out}/ca.pem", f"{out}/kubernetes.pem", f"{out}/kubernetes-key.pem"))
        lb = cluster.processes.get((LB.name, "haproxy"))
        if lb is None or not lb.alive():  # run alone (-k): the earlier tests started none
            cluster.start_lb()
        if not getattr(cluster, "admin", None):
            cluster.admin = admin_from_master(cluster, M1)
        cluster.wait_apiservers(cluster.admin)
        before = {h: _main_pid(lab, h, u) for h, u in units.items()}
        for host in units:
            lab.run(host, "rm", "-f", RESTARTS)

        renewed = product(lab, "renew", "-c", str(work / "cluster.toml"), "-o", str(out),
                          "--only", "kubernetes")  # fmt: skip
        assert renewed.returncode == 0, renewed.stdout + renewed.stderr
        # placed without --restart: nothing restarts, and each host owes exactly the
        # components reading the replaced pair
        code, placed = distribute(lab, work)
        assert code == 0, placed
        owes = {h["address"]: h["owed"] for h in placed["hosts"]}
        assert owes == {
            h.address: [units[h].removesuffix(".service")] if h in units else [] for h in PLANNED
        }, owes
        assert {h: _main_pid(lab, h, u) for h, u in units.items()} == before
        # probe right away: every "served ≠ file" is on a component its host owes (etcd and
        # kube-apiserver may already serve the new file: they re-read it — FINDINGS 10)
        started = time.monotonic()
        mismatched = served_not_file(classic)
        print(f"\nprobe after distribute without --restart ({time.monotonic() - started:.1f} s): "
              f"{len(mismatched)} served ≠ file: {sorted(mismatched)}")  # fmt: skip
        assert mismatched <= owed_endpoints(owes), (mismatched, owes)
        started = time.monotonic()
        code, document = distribute(lab, work, "--restart")
        seconds = time.monotonic() - started
        assert code == 0, document
        # no file changed: the owed units are what restarted, and nothing is owed any more
        assert all(f["status"] == "unchanged" for h in document["hosts"] for f in h["files"])
        assert {h["address"]: h["pending"] for h in document["hosts"]} == owes
        assert all(h["owed"] == [] for h in document["hosts"]), document
        restarted = {h["address"]: h["restarted"] for h in document["hosts"]}
        for host in PLANNED:
            assert restarted[host.address] == ([units[host]] if host in units else []), json.dumps(
                document
            )
        # each unit really restarted: a new main PID, started once, by systemd
        stamps = []
        for host, unit in units.items():
            pid = _main_pid(lab, host, unit)
            assert pid and pid != before[host], f"{host.name}: {unit} kept PID {pid}"
            [line] = lab.read(host, RESTARTS).splitlines()
            name, stamp = line.split()
            assert name == unit
            stamps.append((int(stamp), host.name))
        # one host at a time, etcd members then masters: each unit's process started after
        # the previous host's unit was ready (Type=notify: READY=1), by systemd's own clock
        assert [name for _, name in sorted(stamps)] == [h.name for h in units], stamps
        times = [_monotonic(lab, host, unit) for host, unit in units.items()]
        gaps = []
        for (_, ready), (start, _) in itertools.pairwise(times):
            assert start > ready, times
            gaps.append((start - ready) / 1e6)
        took = [(ready - start) / 1e6 for start, ready in times]
        print(
            f"\nsystemd on 6 hosts up in {booted:.1f} s; distribute --restart {seconds:.1f} s; "
            f"start to ready per unit: {', '.join(f'{t:.1f}' for t in took)} s; from one "
            f"host ready to the next restarted: {', '.join(f'{g:.2f}' for g in gaps)} s"
        )
        # every apiserver serves the renewed certificate now, with no minute's resync to wait
        served = cluster.out.parent / "served.pem"
        for master in MASTERS:
            result = lab.run(
                JUMP, "sh", "-c",
                f"openssl s_client -connect {master.address}:6443 </dev/null 2>/dev/null "
                f"| openssl x509 > {served}",
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            assert _same_certificate(served, out / "kubernetes.pem"), master.name
        cluster.wait_apiservers(cluster.admin)
        left = served_not_file(classic)
        print(f"probe after distribute --restart: {len(left)} served ≠ file")
        assert left == set(), left
        code, dry = distribute(lab, work, "--dry-run")
        assert code == 0 and all(h["pending"] == [] for h in dry["hosts"]), dry
    finally:
        for item in hosts:
            stop_systemd(lab, item)


PURPOSES = {"apiserver": "kube-apiserver", "etcd client": "etcd", "etcd peer": "etcd"}


def served_not_file(classic: Classic) -> set[tuple[str, str]]:
    """probe --json of the etcd members, masters and the VIP: (host address or "VIP", component)
    of each "served ≠ file" finding. Every etcd and apiserver endpoint must have answered with
    a certificate (an unreachable one would make "none served ≠ file" say nothing)."""
    only = [a for h in [*ETCD, *MASTERS] for a in ("--hosts", h.address)] + ["--hosts", VIP]
    result = product(classic.cluster.lab, "probe", "-c", str(classic.work / "cluster.toml"),
                     "-o", str(classic.cluster.out), "--json", *only, timeout=180)  # fmt: skip
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"probe: no JSON\n{result.stdout}\n{result.stderr}") from None
    answered = {r["path"] for r in document["files"] if r.get("serial")}
    wanted = {f"apiserver https://{h.address}:6443" for h in MASTERS} | {
        f"etcd {kind} https://{h.address}:{port}"
        for h in ETCD
        for kind, port in (("client", 2379), ("peer", 2380))
    }
    assert wanted <= answered, (sorted(wanted - answered), document["findings"])
    found = set()
    for finding in document["findings"]:
        if finding["check"] == "served-not-file":
            purpose = finding["path"].split(" https://")[0]
            node = "VIP" if finding["node"].startswith("VIP") else finding["node"].split()[0]
            found.add((node, PURPOSES.get(purpose, purpose)))
    return found


def owed_endpoints(owes: dict[str, list[str]]) -> set[tuple[str, str]]:
    """(host, component) owed, and the VIP's apiserver when any master owes its restart."""
    owed = {(address, c) for address, names in owes.items() for c in names}
    if any("kube-apiserver" in owes.get(m.address, []) for m in MASTERS):
        owed.add(("VIP", "kube-apiserver"))
    return owed


def _state(lab: Lab, host: Host) -> str:
    """`systemctl is-system-running` over SSH (starting, running, degraded…), or why not."""
    result = lab.ssh(host, "systemctl", "is-system-running", timeout=15)
    return result.stdout.strip() or result.stderr.strip()


def _monotonic(lab: Lab, host: Host, unit: str) -> tuple[int, int]:
    """(main process started, unit ready) in µs of CLOCK_MONOTONIC, as systemd recorded them."""
    text = systemctl(
        lab, host, "show", "-p", "ExecMainStartTimestampMonotonic",
        "-p", "ActiveEnterTimestampMonotonic", unit,
    )  # fmt: skip
    values = dict(line.split("=", 1) for line in text.splitlines())
    return int(values["ExecMainStartTimestampMonotonic"]), int(
        values["ActiveEnterTimestampMonotonic"]
    )


def _main_pid(lab: Lab, host: Host, unit: str) -> int:
    return int(systemctl(lab, host, "show", "-p", "MainPID", "--value", unit))


def _same_certificate(a: Path, b: Path) -> bool:
    from cryptography import x509

    first = x509.load_pem_x509_certificate(a.read_bytes())
    second = x509.load_pem_x509_certificate(b.read_bytes())
    return first == second
