"""A lab of Linux network namespaces: one netns per host on a bridge, each with its own /etc.

Layout. A parent namespace ``kcwlab-lan`` holds the bridge; every host is a netns
``kcwlab-<host>`` whose ``eth0`` is a veth whose other end sits on that bridge. The machine's
own network namespace gets no interface, route or address: all lab traffic (10.244.77.0/24)
stays between namespaces the lab made.

Filesystems. Each host has a long-lived anchor process (``sleep``) in its netns and in a
private mount namespace (and UTS namespace: its own hostname) where ``/etc`` and ``/var/lib``
are overlays (upper layers under the lab's tmp root) and ``/run`` is a tmpfs. So
``/etc/kubernetes``, ``/etc/etcd`` and ``/var/lib/kubelet`` are each host's own,
at the paths DISTRIBUTION.md names, and the machine's directories are never written.
Everything a host runs is entered with ``nsenter -t <anchor> -n -m -u``.

Processes. Every process started is in its own process group and is killed at ``stop()``;
``cleanup_leftovers()`` kills whatever still runs in a ``kcwlab-`` namespace and deletes those
namespaces, so a crashed run never breaks the next.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "kcwlab-"
LAN = f"{PREFIX}lan"
NET = "10.244.77"


@dataclass(frozen=True)
class Host:
    """One lab host: its name (also the netns suffix) and its address on the lab's bridge."""

    name: str
    address: str


JUMP = Host("jump", f"{NET}.5")
LB = Host("lb", f"{NET}.10")  # holds the VIP
ETCD = [Host(f"etcd-{i}", f"{NET}.{10 + i}") for i in (1, 2, 3)]
MASTERS = [Host(f"master-{i}", f"{NET}.{20 + i}") for i in (1, 2, 3)]
NODES = [Host(f"node-{i}", f"{NET}.{30 + i}") for i in (1, 2)]
ALL_HOSTS = [JUMP, LB, *ETCD, *MASTERS, *NODES]
VIP = LB.address


def _sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check)


def namespaces_available() -> str | None:
    """None when this machine can make the lab, else the reason it cannot."""
    if os.geteuid() != 0:
        return "the lab needs root (network and mount namespaces)"
    for tool in ("ip", "unshare", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} not found (apt-get install iproute2 util-linux)"
    probe = f"{PREFIX}probe-{os.getpid()}"
    result = _sh("ip", "netns", "add", probe, check=False)
    if result.returncode != 0:
        return f"cannot create a network namespace: {result.stderr.strip()}"
    _sh("ip", "netns", "del", probe, check=False)
    return None


def cleanup_leftovers() -> None:
    """Kill every process in a kcwlab- namespace and delete those namespaces."""
    names = [line.split()[0] for line in _sh("ip", "netns", "list").stdout.splitlines() if line]
    for name in names:
        if not name.startswith(PREFIX):
            continue
        pids = _sh("ip", "netns", "pids", name, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        _sh("ip", "netns", "del", name, check=False)


@dataclass
class Process:
    """A process started on a lab host, with its log file."""

    host: Host
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 25) -> str:
        """The last lines of the process's log, for assertion messages."""
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Lab:
    """The running lab: hosts, their anchors and every process started on them."""

    root: Path
    anchors: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    services: list[Process] = field(default_factory=list)  # sshd: lives as long as the lab

    # --- hosts -------------------------------------------------------------------------

    def start(self) -> None:
        """Create the bridge, one netns per host, and each host's private filesystem."""
        cleanup_leftovers()
        _sh("ip", "netns", "add", LAN)
        _sh("ip", "-n", LAN, "link", "set", "lo", "up")
        _sh("ip", "-n", LAN, "link", "add", "br0", "type", "bridge")
        _sh("ip", "-n", LAN, "link", "set", "br0", "up")
        for index, host in enumerate(ALL_HOSTS):
            self._add_host(index, host)
        self.start_ssh()

    def _add_host(self, index: int, host: Host) -> None:
        ns = PREFIX + host.name
        _sh("ip", "netns", "add", ns)
        veth = f"v{index}"
        _sh(
            "ip",
            "-n",
            LAN,
            "link",
            "add",
            veth,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            ns,
        )
        _sh("ip", "-n", LAN, "link", "set", veth, "master", "br0", "up")
        _sh("ip", "-n", ns, "link", "set", "lo", "up")
        _sh("ip", "-n", ns, "addr", "add", f"{host.address}/24", "dev", "eth0")
        _sh("ip", "-n", ns, "link", "set", "eth0", "up")
        self._anchor(host, ns)

    def add_hosts(self, hosts: list[Host]) -> None:
        """More hosts on the bridge with sshd only (the scale test's); gone at stop()."""
        known = []
        for host in hosts:
            self._add_host(100 + len(self.anchors), host)
            known.append(self._start_sshd(host))
        with self.known_hosts.open("a") as out:
            out.write("\n".join(known) + "\n")

    # --- SSH -------------------------------------------------------------------------------

    @property
    def ssh_key(self) -> Path:
        """The private key the jump host logs in with (root@<address> on every other host)."""
        return self.root / "ssh" / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.root / "ssh" / "known_hosts"

    @property
    def ssh_config(self) -> Path:
        """An OpenSSH client configuration for the jump host (cluster.toml's deploy.ssh_config):
        the lab's key, root, and host keys checked against the lab's known_hosts."""
        return self.root / "ssh" / "config"

    def start_ssh(self) -> None:
        """Debian's sshd on every host but the jump host, accepting the lab's key for root."""
        ssh_dir = self.root / "ssh"
        ssh_dir.mkdir(exist_ok=True)
        _sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kcwlab", "-f", str(self.ssh_key))
        (ssh_dir / "authorized_keys").write_text(self.ssh_key.with_suffix(".pub").read_text())
        known = []
        for host in ALL_HOSTS:
            if host != JUMP:
                known.append(self._start_sshd(host))
        self.known_hosts.write_text("\n".join(known) + "\n")
        self.ssh_config.write_text(
            f"Host *\n  User root\n  IdentityFile {self.ssh_key}\n  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {self.known_hosts}\n  StrictHostKeyChecking yes\n"
        )

    def _start_sshd(self, host: Host) -> str:
        """Start sshd on a host; returns its known_hosts line."""
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        ssh_dir = self.root / "ssh"
        key = ssh_dir / f"{host.name}-host_key"
        _sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
        config = ssh_dir / f"{host.name}-sshd_config"
        config.write_text(
            f"ListenAddress {host.address}\nHostKey {key}\n"
            f"AuthorizedKeysFile {ssh_dir}/authorized_keys\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n"
        )
        process = self.spawn(host, "sshd", sshd, "-D", "-e", "-f", str(config))
        self.processes.remove(process)
        self.services.append(process)
        return f"{host.address} {key.with_suffix('.pub').read_text().strip()}"

    def ssh(
        self, host: Host, *command: str, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        """Run a command on a host over SSH from the jump host, checking its host key."""
        return self.run(JUMP, "ssh", "-i", str(self.ssh_key), "-o", "BatchMode=yes",
                        "-o", "StrictHostKeyChecking=yes",
                        "-o", f"UserKnownHostsFile={self.known_hosts}",
                        "-o", "ConnectTimeout=5", f"root@{host.address}", *command,
                        timeout=timeout)  # fmt: skip

    def _anchor(self, host: Host, ns: str) -> None:
        base = self.root / "hosts" / host.name
        mounts = []
        for target in ("/etc", "/var/lib"):
            layer = base / target.strip("/").replace("/", "-")
            (layer / "upper").mkdir(parents=True, exist_ok=True)
            (layer / "work").mkdir(parents=True, exist_ok=True)
            mounts.append(
                f"mount -t overlay overlay -o lowerdir={target},upperdir={layer}/upper,"
                f"workdir={layer}/work {target}"
            )
        script = " && ".join(
            [
                *mounts,
                "mount -t tmpfs tmpfs /run",
                "mkdir -p /run/sshd /etc/kubernetes /etc/etcd /var/lib/kubelet /var/lib/etcd",
                f"echo {host.name} > /etc/hostname",
                f"hostname {host.name}",
                "exec sleep infinity",
            ]
        )
        popen = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "unshare",
                "-m",
                "-u",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
            ],
            start_new_session=True,
        )
        self.anchors[host.name] = popen
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                raise RuntimeError(f"{host.name}: the host's mount namespace failed to start")
            if self._ready(host):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{host.name}: the host's mount namespace did not come up")

    def _ready(self, host: Host) -> bool:
        pid = self.anchors[host.name].pid
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip() == "sleep"
        except OSError:
            return False

    def enter(self, host: Host) -> list[str]:
        """The command prefix that runs a program on the host."""
        return ["nsenter", "-t", str(self.anchors[host.name].pid), "-n", "-m", "-u", "--"]

    def run(
        self, host: Host, *argv: str, timeout: float = 60, check: bool = False, **kwargs
    ) -> subprocess.CompletedProcess[str]:
        """Run a program on the host and wait for it."""
        return subprocess.run(
            [*self.enter(host), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            **kwargs,
        )

    def spawn(self, host: Host, name: str, *argv: str, env: dict | None = None) -> Process:
        """Start a long-running program on the host, logging to <root>/logs/<host>-<name>.log."""
        logs = self.root / "logs"
        logs.mkdir(exist_ok=True)
        log = logs / f"{host.name}-{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [*self.enter(host), *argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=env,
            )
        process = Process(host, name, popen, log)
        self.processes.append(process)
        return process

    def place(self, host: Host, tree: Path) -> None:
        """Copy a per-host tree (hosts/<address>/… from --per-host) onto the host's root.

        Folders that exist keep their owner and mode (tar --no-overwrite-dir): the host's / is
        the machine's own /, and `cp -a tree/. /` once gave it the tree's 0700, locking every
        other user out of the machine."""
        result = self.run(
            host,
            "sh",
            "-c",
            f'tar -C "{tree}" -cf - . | tar -C / -xpf - --no-overwrite-dir',
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{host.name}: copying {tree} failed: {result.stderr}")

    def read(self, host: Host, path: str) -> str:
        return self.run(host, "cat", path, check=True).stdout

    def write(self, host: Host, path: str, text: str, mode: int = 0o644) -> None:
        self.run(
            host,
            "sh",
            "-c",
            f'mkdir -p "$(dirname {path})" && cat > {path} && chmod {mode:o} {path}',
            input=text,
            check=True,
        )

    # --- teardown ----------------------------------------------------------------------

    def kill(self, process: Process, timeout: float = 10) -> None:
        """Stop one process group: SIGTERM, then SIGKILL."""
        if process.popen.poll() is None:
            try:
                os.killpg(process.popen.pid, signal.SIGTERM)
                process.popen.wait(timeout=timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=5)
        if process in self.processes:
            self.processes.remove(process)

    def stop_processes(self) -> None:
        """Kill everything started on the hosts (the hosts stay)."""
        for process in list(reversed(self.processes)):
            self.kill(process, timeout=5)

    def reset_hosts(self) -> None:
        """Empty /etc/kubernetes, /etc/etcd, /var/lib/etcd and /var/lib/kubelet on every host,
        dot files too (distribute's journals and restart records: a glob's * skips them, and
        one profile's record was read by the next profile's check)."""
        folders = "/etc/kubernetes /etc/etcd /var/lib/etcd /var/lib/kubelet"
        for host in ALL_HOSTS:
            self.run(
                host,
                "sh",
                "-c",
                f"for d in {folders}; do [ ! -d $d ] || find $d -mindepth 1 -delete; done",
            )

    def stop(self) -> None:
        """Kill every process, the anchors, and delete every lab namespace."""
        self.stop_processes()
        for process in self.services:
            self.kill(process, timeout=5)
        self.services.clear()
        for popen in self.anchors.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(timeout=5)
        self.anchors.clear()
        cleanup_leftovers()
