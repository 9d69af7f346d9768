"""CA rotation as a job: the stage is read and the phase planned under the directory's lock, so
what it read is what the write replaces; a dry run and --explain are readers and take no lock."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from wizard.rotate import (
    TOKEN_WAIT,
    CaKind,
    Phase,
    PhasePlan,
    UndoPlan,
    apply_phase,
    apply_undo,
    plan_phase,
    plan_undo,
    target_for,
)
from wizard.spec import ClusterSpec
from wizard.store import WriteResult
from wizard.store.lock import DirectoryLock, LockHolder, directory_lock

WaitCallback = Callable[[LockHolder | None, float], None]


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


@dataclass(frozen=True)
class RotationOutcome:
    """The phase's plan and its write (None for a dry run)."""

    plan: PhasePlan
    result: WriteResult | None
    lock: DirectoryLock | None


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
    request: RotationRequest, *, wait: bool = False, on_wait: WaitCallback | None = None
) -> RotationOutcome:
    """Read the stage, plan the phase and (unless a dry run) write it. Raises RotateError in
    words, lock.DirectoryBusy when another run is writing the directory."""
    directory = Path(request.directory).absolute()
    with _writing(directory, request.dry_run, wait, on_wait) as held:
        target = target_for(
            request.kind, request.spec, directory, clients_only=request.clients_only
        )
        plan = plan_phase(
            directory,
            target,
            request.phase,
            cross_sign=request.cross_sign,
            token_wait=request.token_wait,
        )
        result = None if request.dry_run else apply_phase(plan)
    return RotationOutcome(plan, result, held)


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
