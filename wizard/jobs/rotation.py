"""CA rotation as a job: the stage is read and the phase planned under the directory's lock, so
what it read is what the write replaces; a dry run and --explain are readers and take no lock."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from wizard.fleet.check import InventoryReader, ssh_reader
from wizard.fleet.rotation import HostReading, RotationView, blocking_words, read_rotation
from wizard.fleet.ssh import SshClient, targets_of
from wizard.rotate import (
    TOKEN_WAIT,
    CaKind,
    Phase,
    PhasePlan,
    RotateError,
    Target,
    UndoPlan,
    apply_phase,
    apply_undo,
    plan_phase,
    plan_undo,
    target_for,
)
from wizard.rotate.progress import RotationRecord, record_name, unfinished
from wizard.spec import ClusterSpec
from wizard.store import WriteResult
from wizard.store.lock import DirectoryLock, LockHolder, directory_lock

WaitCallback = Callable[[LockHolder | None, float], None]
ProgressCallback = Callable[["RotationProgress"], None]


class RotationCancelled(Exception):
    """The run was cancelled before its write began: nothing was written."""

    def __str__(self) -> str:
        return "cancelled before anything was written — the directory is as it was"


@dataclass(frozen=True)
class RotationProgress:
    """Where a run is: `done` of `total` steps (reading, each key or certificate, writing),
    what it does now, and whether a cancel can still stop it (not once the write began)."""

    done: int
    total: int
    words: str
    cancellable: bool = True


@dataclass(frozen=True)
class RotationRequest:
    """What `rotate-ca` was asked."""

    spec: ClusterSpec
    directory: Path
    kind: CaKind
    phase: Phase | None = None  # None: auto, the next phase of the stage on disk
    dry_run: bool = False
    cross_sign: bool = False
    clients_only: bool = False
    token_wait: timedelta = TOKEN_WAIT
    read_hosts: bool = False  # --hosts: read each host's step first; refuse while one lags


@dataclass(frozen=True)
class RotationOutcome:
    """The phase's plan and its write (None for a dry run)."""

    plan: PhasePlan
    result: WriteResult | None
    lock: DirectoryLock | None
    hosts: list[HostReading] | None = None  # --hosts: each host's step, read before planning


@dataclass(frozen=True)
class RotationUndoOutcome:
    """The undo plan and its write (None for a dry run)."""

    plan: UndoPlan
    result: WriteResult | None
    lock: DirectoryLock | None


@contextlib.contextmanager
def _writing(
    directory: Path, dry_run: bool, wait: bool, on_wait: WaitCallback | None
) -> Iterator[DirectoryLock | None]:
    if dry_run:
        yield None
        return
    with directory_lock(directory, wait=wait, on_wait=on_wait) as held:
        yield held


def run_rotation(
    request: RotationRequest,
    *,
    wait: bool = False,
    on_wait: WaitCallback | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    reader: InventoryReader | None = None,
) -> RotationOutcome:
    """Read the stage, plan the phase and (unless a dry run) write it. Raises RotateError in
    words, lock.DirectoryBusy when another run is writing the directory, RotationCancelled
    when `cancel` was set before the write began (checked before each key and the write).
    `on_progress` is told each step, from the calling thread. With `read_hosts`, every host
    keeping files of this CA is read first (over SSH, or with `reader`); a host behind or
    ahead of the directory, or one that cannot be read, refuses the write (RotateError)."""
    directory = Path(request.directory).absolute()

    steps = [3]  # reading, the phase's keys and certificates (one until told), writing

    def tell(done: int, words: str, cancellable: bool = True) -> None:
        if cancellable and cancel is not None and cancel.is_set():
            raise RotationCancelled
        if on_progress is not None:
            on_progress(RotationProgress(done, steps[0], words, cancellable))

    def planning(done: int, total: int, words: str) -> None:
        steps[0] = total + 2
        tell(1 + done, words)

    with _writing(directory, request.dry_run, wait, on_wait) as held:
        tell(0, "reading the stage from the certificates")
        target = target_for(
            request.kind, request.spec, directory, clients_only=request.clients_only
        )
        hosts = None
        if request.read_hosts:
            tell(0, "reading each host's files over SSH")
            view, hosts = _read_hosts(request, directory, target, reader, cancel)
            stuck = blocking_words(view, hosts)
            if stuck and not request.dry_run:
                raise RotateError(stuck)
        plan = plan_phase(
            directory,
            target,
            request.phase,
            cross_sign=request.cross_sign,
            token_wait=request.token_wait,
            progress=planning,
        )
        busy = unfinished(directory, target)
        if busy is not None:
            words = unfinished_words(directory, target, busy, request.kind)
            if not request.dry_run:
                raise RotateError(words)
            plan.warnings.append(words)
        result = None
        if not request.dry_run:
            if cancel is not None and cancel.is_set():  # the last moment a cancel stops it
                raise RotationCancelled
            tell(steps[0] - 1, "writing: the backup, then one atomic swap", False)
            result = apply_phase(plan)
        tell(steps[0], "done", False)
    return RotationOutcome(plan, result, held, hosts)


def _read_hosts(
    request: RotationRequest,
    directory: Path,
    target: Target,
    reader: InventoryReader | None,
    cancel: threading.Event | None,
) -> tuple[RotationView, list[HostReading]]:
    if reader is not None:
        return read_rotation(request.spec, directory, target, reader, cancel=cancel)
    client = SshClient(request.spec.deploy)
    try:
        return read_rotation(
            request.spec, directory, target, ssh_reader(client, cancel), cancel=cancel
        )
    finally:
        client.close(
            targets_of([(a, "") for a in request.spec.host_addresses()], request.spec.deploy)
        )


def run_rotation_undo(
    spec: ClusterSpec,
    directory: Path,
    kind: CaKind,
    *,
    clients_only: bool = False,
    dry_run: bool = False,
    wait: bool = False,
    on_wait: WaitCallback | None = None,
) -> RotationUndoOutcome:
    """Undo the last phase written for this CA, under the lock."""
    directory = Path(directory).absolute()
    with _writing(directory, dry_run, wait, on_wait) as held:
        plan = plan_undo(directory, target_for(kind, spec, directory, clients_only=clients_only))
        result = None if dry_run else apply_undo(plan)
    return RotationUndoOutcome(plan, result, held)


def unfinished_words(directory: Path, target: Target, record: RotationRecord, kind: CaKind) -> str:
    """Why the next phase waits: the last one is not on every host yet."""
    clients = " --clients-only" if target.clients_only else ""
    return (
        f"phase {record.phase} is not on every host yet: {len(record.left)} of "
        f"{len(record.steps)} host steps are not done ({directory / record_name(target)}) — "
        f"finish it with `k8s-cert-wizard distribute {directory} --rotation {kind}{clients}` "
        "before the next phase: writing it now would take trust away from hosts that never "
        "got this phase's files. (If you carried the steps out by other means, delete that "
        "record.)"
    )
