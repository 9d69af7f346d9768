"""One writer per output directory: an exclusive `flock` on a lock file beside the directory.

Every job that writes a set (generate, csr, renew, renew --undo, the wizard) holds the lock for
its whole run, so the survey that decides what to do and the write that follows see the same
directory. The lock file lives in the parent (`.<name>.k8s-cert-wizard.lock`), not inside the
directory, because a write swaps the directory as a whole. The kernel drops the lock when its
process dies; the file keeps the holder's PID, command and start time as text, so a second run
can say who is writing, and a record left by a dead process is taken over and said so.

Readers (review, certinfo, layout, dry runs) never take the lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shlex
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from wizard.store import output_directory

LOCK_SUFFIX = ".k8s-cert-wizard.lock"
LOCK_MODE = 0o600
WAIT_POLL = 0.1
"""Seconds between two tries while waiting (`--wait`)."""


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) a directory's lock, as its lock file records it."""

    pid: int
    command: str
    started: datetime | None

    def describe(self) -> str:
        """`PID 4242 (k8s-cert-wizard generate --force), started 2026-12-02 20:35:10 UTC`."""
        when = f", started {self.started:%Y-%m-%d %H:%M:%S} UTC" if self.started else ""
        return f"PID {self.pid} ({self.command or 'command unknown'}){when}"


class LockError(OSError):
    """The lock file cannot be created or opened; the message says where and why."""


class DirectoryBusy(Exception):
    """Another run is writing the directory. Data only: each face words the refusal."""

    def __init__(self, directory: Path, lock_file: Path, holder: LockHolder | None) -> None:
        self.directory = directory
        self.lock_file = lock_file
        self.holder = holder
        who = holder.describe() if holder else "a process that left no record"
        super().__init__(f"{directory} is being written by another run: {who}")


@dataclass
class DirectoryLock:
    """A held lock: where it is, and the dead holder it was taken over from, if any."""

    directory: Path
    lock_file: Path
    took_over: LockHolder | None = None
    waited: float = 0.0
    """Seconds spent waiting for another run to finish (with `wait`)."""


def lock_file_for(directory: str | Path) -> Path:
    """The lock file of an output directory: `.<name>.k8s-cert-wizard.lock` beside it, in the
    parent resolved through symlinks (so `-o link` and `-o target` share one lock)."""
    target = output_directory(directory)
    return target.parent.resolve() / f".{target.name}{LOCK_SUFFIX}"


def read_holder(lock_file: Path) -> LockHolder | None:
    """The record in a lock file, or None when it is empty, missing or unreadable."""
    try:
        descriptor = os.open(lock_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        text = os.read(descriptor, 8192).decode("utf-8", "replace")
    finally:
        os.close(descriptor)
    return _parse_record(text)


def _parse_record(text: str) -> LockHolder | None:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        fields[key.strip()] = value.strip()
    try:
        pid = int(fields.get("pid", ""))
    except ValueError:
        return None
    started = None
    with suppress(ValueError):
        started = datetime.fromisoformat(fields.get("started", ""))
    return LockHolder(pid, fields.get("command", ""), started)


def _record(command: str) -> bytes:
    now = datetime.now(UTC).replace(microsecond=0)
    return f"pid={os.getpid()}\ncommand={command}\nstarted={now.isoformat()}\n".encode()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def current_command() -> str:
    """This process's command line, for the record (`k8s-cert-wizard generate --force`)."""
    argv = list(sys.argv)
    if argv and argv[0].endswith(("__main__.py", "-m")):
        argv[0] = "k8s-cert-wizard"
    elif argv:
        argv[0] = os.path.basename(argv[0])
    return shlex.join(argv)


# Locks this process holds, by lock file: a job that calls another job (renew's plan and apply)
# takes the lock once; flock itself would refuse a second descriptor of the same process.
_held: dict[Path, int] = {}
_held_guard = threading.Lock()


def _open_lock_file(lock_file: Path, directory: Path) -> int:
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LockError(
            f"cannot create {lock_file.parent} for the lock of {directory}: "
            f"{error.strerror or error}"
        ) from None
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        descriptor = os.open(lock_file, flags, LOCK_MODE)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LockError(
                f"{lock_file} is a symbolic link — the lock of {directory} must be a plain file; "
                "remove the link and run again"
            ) from None
        raise LockError(
            f"cannot open the lock file {lock_file} of {directory}: {error.strerror or error}"
        ) from None
    return descriptor


RECORD_WAIT = 1.0
"""Seconds a refused run waits for the holder's record: a holder writes it right after taking
the lock, but on a loaded machine that can take a moment."""


def _wait_for_record(lock_file: Path) -> LockHolder | None:
    """The holder's record, polling briefly while the holder is between its lock and its
    record; None when none appears (the holder left no record)."""
    deadline = time.monotonic() + RECORD_WAIT
    while True:
        holder = read_holder(lock_file)
        if holder is not None or time.monotonic() >= deadline:
            return holder
        time.sleep(0.02)


def _is_current(descriptor: int, lock_file: Path) -> bool:
    """True when the locked descriptor is still the file at the lock's path (not one a
    finishing run has just removed)."""
    try:
        on_disk = os.stat(lock_file, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _acquire(
    lock_file: Path,
    target: Path,
    wait: bool,
    on_wait: Callable[[LockHolder | None, float], None] | None,
    cancel: threading.Event | None,
    started: float,
) -> int:
    """An open, exclusively locked descriptor of the lock file (see directory_lock)."""
    last_said = -1.0
    while True:
        descriptor = _open_lock_file(lock_file, target)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            holder = _wait_for_record(lock_file)
            waited = time.monotonic() - started
            if not wait or (cancel is not None and cancel.is_set()):
                raise DirectoryBusy(target, lock_file, holder) from None
            if on_wait is not None and waited - last_said >= 1.0:
                on_wait(holder, waited)
                last_said = waited
            time.sleep(WAIT_POLL)
            continue
        if _is_current(descriptor, lock_file):
            return descriptor
        os.close(descriptor)  # the run before removed it as we locked it: open the new one


@contextmanager
def directory_lock(
    directory: str | Path,
    *,
    wait: bool = False,
    command: str | None = None,
    on_wait: Callable[[LockHolder | None, float], None] | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[DirectoryLock]:
    """Hold the output directory's lock for the `with` block.

    Raises DirectoryBusy at once when another run holds it, or (with `wait`) calls
    `on_wait(holder, seconds waited)` about every second until it is free. `cancel`, when set
    during a wait, raises DirectoryBusy too. Re-entrant within one process.
    """
    target = output_directory(directory)
    lock_file = lock_file_for(target)
    with _held_guard:
        if lock_file in _held:
            _held[lock_file] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield DirectoryLock(target, lock_file)
        finally:
            with _held_guard:
                _held[lock_file] -= 1
        return
    started = time.monotonic()
    descriptor = _acquire(lock_file, target, wait, on_wait, cancel, started)
    try:
        previous = _parse_record(os.pread(descriptor, 8192, 0).decode("utf-8", "replace"))
        took_over = (
            previous
            if previous is not None and previous.pid != os.getpid() and not _alive(previous.pid)
            else None
        )
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, _record(command or current_command()), 0)
        os.fchmod(descriptor, LOCK_MODE)
        with _held_guard:
            _held[lock_file] = 1
        try:
            yield DirectoryLock(target, lock_file, took_over, time.monotonic() - started)
        finally:
            with _held_guard:
                del _held[lock_file]
            # Remove the file while still holding it: a lock file left behind means a run that
            # died. A run that opened the old file meanwhile sees it unlinked and opens anew.
            with suppress(OSError):
                os.unlink(lock_file)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
