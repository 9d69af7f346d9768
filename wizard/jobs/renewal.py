"""Renewal and undo as jobs: the plan is made under the directory's lock, so what it compared
is what the write replaces; a dry run is a reader and takes no lock."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wizard.renew import (
    Redistribution,
    RenewPlan,
    UndoPlan,
    apply_renewal,
    apply_undo,
    plan_renewal,
    plan_undo,
    redistribution_of,
)
from wizard.spec import ClusterSpec
from wizard.store import WriteResult
from wizard.store.lock import DirectoryLock, LockHolder, directory_lock

WaitCallback = Callable[[LockHolder | None, float], None]


@dataclass(frozen=True)
class RenewalRequest:
    """What `renew` was asked: the cluster file's answers, the directory and the options."""

    spec: ClusterSpec
    directory: Path
    only: tuple[str, ...] = ()
    keep_key: bool = False
    expiry: str | None = None
    within: int | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class RenewalOutcome:
    """The plan, the redistribution it needs, and the write (None for a dry run)."""

    plan: RenewPlan
    redistribution: Redistribution
    result: WriteResult | None
    lock: DirectoryLock | None


@dataclass(frozen=True)
class UndoOutcome:
    """The undo plan and the write (None for a dry run)."""

    plan: UndoPlan
    result: WriteResult | None
    lock: DirectoryLock | None


@contextlib.contextmanager
def _writing(
    directory: Path, dry_run: bool, wait: bool, on_wait: WaitCallback | None, command: str | None
) -> Iterator[DirectoryLock | None]:
    if dry_run:
        yield None
        return
    with directory_lock(directory, wait=wait, on_wait=on_wait, command=command) as held:
        yield held


def run_renewal(
    request: RenewalRequest,
    *,
    wait: bool = False,
    on_wait: WaitCallback | None = None,
    command: str | None = None,
) -> RenewalOutcome:
    """Plan and (unless a dry run) apply, under the lock. Raises RenewError in words and
    lock.DirectoryBusy when another run is writing the directory."""
    with _writing(request.directory, request.dry_run, wait, on_wait, command) as held:
        plan = plan_renewal(
            request.spec,
            request.directory,
            only=request.only,
            keep_key=request.keep_key,
            expiry=request.expiry,
            within=request.within,
        )
        redistribution = redistribution_of(plan)
        result = None if request.dry_run else apply_renewal(plan)
    return RenewalOutcome(plan, redistribution, result, held)


def run_undo(
    directory: Path,
    backup: str | Path,
    *,
    dry_run: bool = False,
    wait: bool = False,
    on_wait: WaitCallback | None = None,
    command: str | None = None,
) -> UndoOutcome:
    """Plan the restore of a backup folder and (unless a dry run) write it, under the lock."""
    with _writing(directory, dry_run, wait, on_wait, command) as held:
        plan = plan_undo(directory, backup)
        result = None if dry_run else apply_undo(plan)
    return UndoOutcome(plan, result, held)
