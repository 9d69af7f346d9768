"""Reaching the hosts: the operator's own OpenSSH client, multiplexed, a bounded number at once.

Every command is ``ssh [-F config] -o BatchMode=yes -o ControlMaster=auto … destination sh -c
SCRIPT`` — the way Ansible's default connection works. ~/.ssh/config, the agent, ProxyJump and
known_hosts checking stay the operator's: nothing here turns host-key checking off, and
BatchMode means a host that would ask for a password fails at once instead of hanging. One
master connection per host (ControlPath in a private directory) carries every later command,
so reading back fifty files costs one handshake.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from wizard.deploy import DeploySettings

Result = TypeVar("Result")

SSH_UNREACHABLE = 255  # ssh's own exit status when it could not connect or authenticate


class Cancelled(Exception):
    """The operator cancelled while a command ran on a host; the command was stopped."""


@dataclass(frozen=True)
class Target:
    """One host as the jump host dials it."""

    address: str  # the cluster's address for it (the key of its plan)
    name: str
    destination: str  # what ssh dials: the address, or a name ~/.ssh/config knows
    user: str = ""
    port: int = 0

    @property
    def label(self) -> str:
        """How reports name the host: `10.0.0.21 (master-1)`."""
        return f"{self.address} ({self.name})" if self.name else self.address


@dataclass(frozen=True)
class RemoteResult:
    """What one command on one host returned."""

    returncode: int
    stdout: bytes
    stderr: str

    @property
    def unreachable(self) -> bool:
        """True when ssh itself failed: no route, refused, host key or authentication."""
        return self.returncode == SSH_UNREACHABLE

    def reason(self) -> str:
        """The last line ssh or the command wrote to stderr, for a one-line report."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1].strip() if lines else f"exit status {self.returncode}"


def targets_of(addresses: Sequence[tuple[str, str]], settings: DeploySettings) -> list[Target]:
    """A target per (address, name), with [deploy]'s defaults and per-host overrides."""
    targets = []
    for address, name in addresses:
        access = settings.access_of(address)
        targets.append(Target(address, name, access.ssh, access.user, access.port))
    return targets


class SshClient:
    """Runs shell scripts on targets through OpenSSH, one multiplexed connection per host."""

    def __init__(
        self,
        settings: DeploySettings,
        *,
        connect_timeout: int = 10,
        program: str = "ssh",
        control_dir: Path | None = None,
    ) -> None:
        found = shutil.which(program)
        if found is None:
            raise FileNotFoundError(
                f"{program}: not found — install the OpenSSH client (apt-get install "
                "openssh-client) on this jump host"
            )
        self.program = found
        self.settings = settings
        self.connect_timeout = connect_timeout
        # ControlPath must be short (a UNIX socket path is at most 108 bytes): %C is a hash.
        self._own_dir = control_dir is None
        self.control_dir = control_dir or Path(tempfile.mkdtemp(prefix="kcw-ssh-"))
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()

    def argv(self, target: Target, command: str | None = None) -> list[str]:
        """The ssh command line for a target (command: the remote command, or none)."""
        argv = [self.program]
        if self.settings.ssh_config:
            argv += ["-F", str(Path(self.settings.ssh_config).expanduser())]
        options = [
            "BatchMode=yes",
            "ControlMaster=auto",
            f"ControlPath={self.control_dir}/%C",
            "ControlPersist=120",
            f"ConnectTimeout={self.connect_timeout}",
            "ServerAliveInterval=15",
            "ServerAliveCountMax=4",
            *self.settings.ssh_options,
        ]
        for option in options:
            argv += ["-o", option]
        if target.port:
            argv += ["-p", str(target.port)]
        if target.user:
            argv += ["-l", target.user]
        argv += ["--", target.destination]
        if command is not None:
            argv.append(command)
        return argv

    def run(
        self,
        target: Target,
        script: str,
        *,
        stdin: bytes = b"",
        timeout: float = 120,
        cancel: threading.Event | None = None,
    ) -> RemoteResult:
        """Run a POSIX shell script on the target, feeding stdin; never raises for the host.

        A timeout is reported as exit status 124 (as timeout(1) does); a cancel stops ssh and
        raises Cancelled."""
        popen = subprocess.Popen(
            self.argv(target, "sh -c " + shlex.quote(script)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        with self._lock:
            self._running.add(popen)
        deadline = time.monotonic() + timeout
        pending: bytes | None = stdin
        try:
            while True:
                try:
                    out, err = popen.communicate(pending, timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    pending = None  # already written: communicate() keeps writing it
                    if cancel is not None and cancel.is_set():
                        popen.kill()
                        popen.communicate()
                        raise Cancelled(target.label) from None
                    if time.monotonic() > deadline:
                        popen.kill()
                        out, err = popen.communicate()
                        said = err.decode(errors="replace")
                        return RemoteResult(124, out, f"{said}\ntimed out after {timeout:g} s")
        finally:
            with self._lock:
                self._running.discard(popen)
        return RemoteResult(popen.returncode, out, err.decode(errors="replace"))

    def close(self, targets: Sequence[Target] = ()) -> None:
        """End the master connections (ssh -O exit) and remove the control directory."""
        for target in targets:
            subprocess.run(
                [*self.argv(target)[:-2], "-O", "exit", "--", target.destination],
                capture_output=True,
                timeout=10,
                check=False,
            )
        if self._own_dir:
            shutil.rmtree(self.control_dir, ignore_errors=True)


@contextmanager
def ssh_client(settings: DeploySettings, targets: Sequence[Target] = ()) -> Iterator[SshClient]:
    """An SshClient whose master connections end when the block does."""
    client = SshClient(settings)
    try:
        yield client
    finally:
        client.close(targets)


@dataclass(frozen=True)
class HostOutcome(Generic[Result]):
    """What the work on one host gave: its result, or the error that stopped it."""

    target: Target
    result: Result | None
    error: str = ""
    seconds: float = 0.0


def for_each_host(
    targets: Sequence[Target],
    work: Callable[[Target], Result],
    *,
    parallel: int,
    on_done: Callable[[HostOutcome[Result]], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[HostOutcome[Result]]:
    """Run work(target) on at most `parallel` hosts at once; outcomes in the targets' order.

    An exception from one host is that host's outcome, never the others' end. After a cancel
    no new host is started; the ones running end through their own Cancelled."""
    outcomes: dict[Target, HostOutcome[Result]] = {}

    def one(target: Target) -> HostOutcome[Result]:
        started = time.monotonic()
        try:
            return HostOutcome(target, work(target), seconds=time.monotonic() - started)
        except Cancelled:
            return HostOutcome(target, None, "cancelled", time.monotonic() - started)
        except Exception as error:  # noqa: BLE001 - one host's failure is reported, not raised
            return HostOutcome(target, None, str(error) or type(error).__name__,
                               time.monotonic() - started)  # fmt: skip

    queue = list(targets)
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="host") as pool:
        running: dict[Future[HostOutcome[Result]], Target] = {}
        while queue or running:
            while queue and len(running) < parallel and not (cancel and cancel.is_set()):
                target = queue.pop(0)
                running[pool.submit(one, target)] = target
            if cancel is not None and cancel.is_set():
                for target in queue:
                    outcomes[target] = HostOutcome(target, None, "cancelled")
                queue.clear()
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                outcomes[running.pop(future)] = outcome
                if on_done is not None:
                    on_done(outcome)
    return [outcomes[t] for t in targets]
