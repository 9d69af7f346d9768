"""The pieces `distribute --rotation` runs a phase's host steps with: a step's files as a host
plan of their own (placed by distribute's atomic apply, with its backup, journal and owed-restart
record), the jump host's commands (drain and undrain an apiserver, ask etcd who leads, check a
member), and the order of an etcd wave (the leader last)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from wizard.catalog import RESTARTS, concrete_entries, files_of, get_profile
from wizard.deploy import DeploySettings
from wizard.distribution import HostPlan, content_on_host
from wizard.fleet.distribute import _SAFE_PATH, DistributeError, FileToPlace, HostFiles
from wizard.rotate.model import HostStep, Target
from wizard.spec import ClusterSpec


@dataclass(frozen=True)
class JumpResult:
    """What a command on the jump host returned."""

    returncode: int
    stdout: str
    stderr: str

    def reason(self) -> str:
        """Its last line on stderr (or stdout), for a one-line report."""
        lines = [x for x in (self.stderr or self.stdout).splitlines() if x.strip()]
        return lines[-1].strip() if lines else f"exit status {self.returncode}"


JumpRunner = Callable[[str, float], JumpResult]
"""Runs one shell command line on the jump host (this machine) with a timeout in seconds."""


def run_here(command: str, timeout: float) -> JumpResult:
    """A JumpRunner: `sh -c COMMAND` on this machine."""
    try:
        done = subprocess.run(
            ["sh", "-c", command], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return JumpResult(124, "", f"no answer within {timeout:.0f} s")
    return JumpResult(done.returncode, done.stdout, done.stderr)


# --- a step's files ------------------------------------------------------------------------------


def step_files(
    step: HostStep,
    directory: Path,
    full: HostFiles,
    plan: HostPlan | None,
    settings: DeploySettings,
) -> HostFiles:
    """The step's files as a HostFiles of their own (contents read from the directory; a
    kubeconfig repointed as for its host), so distribute's diff and apply place them. Each
    file's readers are those of the host's plan at the same place, else the step's
    components. DistributeError names a missing file or a CA key bound for a non-master."""
    units = set(step.restart)
    restarted = tuple(c for c in RESTARTS if settings.unit_of(c) in units)
    destinations = {f.source: f.destination for f in full.files}
    placed = []
    for item in step.files:
        if not _SAFE_PATH.fullmatch(item.destination) or "/." in item.destination:
            raise DistributeError(
                f"{full.label}: destination {item.destination!r} has characters the host "
                "script does not take — use letters, digits and . _ - @ : + /"
            )
        if item.destination in full.ca_keys and not full.is_master:
            raise DistributeError(
                f"{full.label}: the rotation puts the CA key {item.source} on a "
                f"{'/'.join(full.roles)} host — refused: a CA key goes only to the masters"
            )
        path = Path(directory) / item.source
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise DistributeError(
                f"{path}: missing — {full.label} needs it at {item.destination} in this "
                "phase; was the directory changed after rotate-ca wrote it? (nothing was copied)"
            ) from None
        except OSError as error:
            raise DistributeError(f"{path}: cannot be read ({error.strerror})") from None
        if plan is not None:
            content = content_on_host(plan, item, content, destinations)  # type: ignore[arg-type]
        same_place = full.file(item.destination)
        readers = same_place.readers if same_place is not None else restarted
        placed.append(FileToPlace(item.source, item.destination, content, item.mode, readers))
    own = {f.destination for f in placed}
    pairs = tuple((k, c) for k, c in full.pairs if k in own and c in own)
    return replace(full, files=tuple(placed), pairs=pairs, foreign=())


def step_records(step_host: HostFiles, full: HostFiles) -> list[str]:
    """Every restart record a step's healthy restart clears: the host plan's folders and the
    step's own (a step's files may sit where the plan has none)."""
    return sorted(set(full.records()) | set(step_host.records()))


def step_clears(step: HostStep, settings: DeploySettings) -> dict[str, list[str]]:
    """unit → the components it runs, for the step's units."""
    clears: dict[str, list[str]] = {}
    for component in RESTARTS:
        unit = settings.unit_of(component)
        if unit in step.restart:
            clears.setdefault(unit, []).append(component)
    return clears


# --- the jump host's commands --------------------------------------------------------------------


def filled(template: str, step: HostStep) -> str:
    """drain_command / undrain_command with {name} and {address} (shell-quoted) filled in; a
    host without a name in cluster.toml is named by its address."""
    return template.replace("{name}", shlex.quote(step.name or step.address)).replace(
        "{address}", shlex.quote(step.address)
    )


@dataclass(frozen=True)
class EtcdClient:
    """How etcdctl on the jump host reaches the members: the directory's files that
    kube-apiserver's --etcd-* flags name, and the trust the members serve under now."""

    cacert: Path
    cert: Path
    key: Path

    def argv(self, endpoints: Sequence[str], *args: str) -> str:
        """The etcdctl command line, quoted for sh."""
        words = [
            "etcdctl",
            "--endpoints=" + ",".join(f"https://{a}:2379" for a in endpoints),
            f"--cacert={self.cacert}",
            f"--cert={self.cert}",
            f"--key={self.key}",
            "--dial-timeout=3s",
            "--command-timeout=5s",
            *args,
        ]
        return "ETCDCTL_API=3 " + " ".join(shlex.quote(w) for w in words)


def etcd_client(spec: ClusterSpec, directory: Path, etcd_target: Target) -> EtcdClient | None:
    """The etcd client of the set, or None when the profile has none or its files are missing
    (or etcdctl is not installed here)."""
    if shutil.which("etcdctl") is None:
        return None
    profile = get_profile(spec.profile)
    client = next(
        (
            files_of(entry, profile)
            for entry in concrete_entries(profile, spec)
            for use in entry.used_by
            if use.component == "kube-apiserver"
            and any(flag == "--etcd-certfile" for flag, _part in use.flags)
        ),
        None,
    )
    if client is None or not client.cert or not client.key:
        return None
    files = etcd_target.files
    bundle = Path(directory) / files.bundle if files.bundle else None
    cacert = bundle if bundle is not None and bundle.is_file() else Path(directory) / files.trust
    paths = (cacert, Path(directory) / client.cert, Path(directory) / client.key)
    if not all(p.is_file() for p in paths):
        return None
    return EtcdClient(*paths)


def leader_of(client: EtcdClient, members: Sequence[str], run: JumpRunner) -> tuple[str, str]:
    """(the address of the member that leads, "") or ("", why none answered)."""
    result = run(client.argv(members, "endpoint", "status", "-w", "json"), 30)
    try:
        statuses = json.loads(result.stdout or "[]")
        for member in statuses:
            status = member["Status"]
            if status["header"]["member_id"] == status["leader"]:
                address = str(member["Endpoint"]).split("//", 1)[1].rsplit(":", 1)[0]
                if address in members:
                    return address, ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        pass
    return "", f"no member said it leads ({result.reason()})"


def leader_last(steps: list[HostStep], leader: str) -> list[HostStep]:
    """The steps with the leader's moved last (the others keep their order)."""
    return [s for s in steps if s.address != leader] + [s for s in steps if s.address == leader]


def is_etcd_step(step: HostStep, settings: DeploySettings) -> bool:
    """True when the step restarts an etcd member."""
    return settings.unit_of("etcd") in step.restart


def is_apiserver_step(step: HostStep, settings: DeploySettings) -> bool:
    """True when the step restarts a kube-apiserver."""
    return settings.unit_of("kube-apiserver") in step.restart
