"""Putting a complete staged directory in place of the old one, on any filesystem.

Where the filesystem can exchange two names atomically (`renameat2(RENAME_EXCHANGE)`: ext4,
xfs, btrfs, tmpfs), one call swaps the staged set in. Where it cannot (FUSE, NFS, overlay on
some kernels: EINVAL, ENOSYS, EOPNOTSUPP) the swap takes two renames, and a journal written
before the first one makes an interruption recoverable:

1. the staged set is complete and durable, then the journal is written and made durable;
2. the old directory is renamed to `<prefix>-was-<name>-<run>` (the run: `<pid>` or `<pid>.<n>`);
3. the staged set is renamed to the directory's name;
4. the old copy is removed, then the journal.

A journal means "the new set is complete": recovery (the next run, or `recover`) rolls forward
from any step. Without a journal the swap never began, and a staged folder only holds the
unfinished new set plus links to files the old directory still has, so it is removed. The old
directory — with the only copy of a CA key — is never removed before the new set that carries
its files (as links, or in its backup folder) has its name.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wizard.store.paths import trusted_owner

STAGING_PREFIX = ".k8s-cert-wizard-staging"
_NEW, _WAS, _JOURNAL, _LEGACY_OLD = "new", "was", "journal", "old"

_active: set[str] = set()  # staging names of writes running in this process
_active_lock = threading.Lock()


def step(name: str) -> None:
    """A point where the write path may be interrupted; tests replace this to kill it there."""


def staging_name(kind: str, target: str, run: str | None = None) -> str:
    """`.k8s-cert-wizard-staging-new-certs-4711`: the names a write uses beside its target."""
    return f"{STAGING_PREFIX}-{kind}-{target}-{run or os.getpid()}"


def run_of(path: Path) -> str:
    """The run part (`4711`, `4711.2`) of a name made by `staging_name`."""
    return path.name.rsplit("-", 1)[1]


def free_run(parent: Path, target: str) -> str:
    """A run part no name beside the target uses yet: this process id, then `<pid>.2` …"""
    pid, number = os.getpid(), 1
    while True:
        run = str(pid) if number == 1 else f"{pid}.{number}"
        names = [staging_name(kind, target, run) for kind in (_NEW, _WAS, _JOURNAL)]
        if not any(os.path.lexists(parent / name) for name in names):
            return run
        number += 1


def register(name: str) -> None:
    with _active_lock:
        _active.add(name)


def unregister(name: str) -> None:
    with _active_lock:
        _active.discard(name)


# --- the atomic exchange -------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _load_renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    return function


_libc_renameat2 = _load_renameat2()


def renameat2(first: bytes, second: bytes, flags: int) -> int:
    """renameat2(2) on two paths: 0, or the errno it failed with."""
    if _libc_renameat2 is None:
        return errno.ENOSYS
    if _libc_renameat2(_AT_FDCWD, first, _AT_FDCWD, second, flags) == 0:
        return 0
    return ctypes.get_errno()


def exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths; False where the kernel or filesystem cannot."""
    number = renameat2(os.fsencode(first), os.fsencode(second), _RENAME_EXCHANGE)
    if number == 0:
        return True
    if number in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(number, os.strerror(number), str(second))


# --- durability and removal ----------------------------------------------------------------


def fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_tree(path: Path) -> None:
    """Remove a folder we made, one entry at a time, by descriptors (fwalk, unlinkat): no link
    is followed, even one the owner of a carried-over subfolder swaps in while we remove it."""
    for _root, dirs, names, folder in os.fwalk(path, topdown=False, follow_symlinks=False):
        for name in names:
            os.unlink(name, dir_fd=folder)
            step("remove")
        for name in dirs:
            if stat.S_ISLNK(os.lstat(name, dir_fd=folder).st_mode):
                os.unlink(name, dir_fd=folder)
            else:
                os.rmdir(name, dir_fd=folder)
            step("remove")
    os.rmdir(path)


# --- the swap ------------------------------------------------------------------------------


@dataclass
class SwapOutcome:
    """How the set went in: by exchange or the journal, and what could not be tidied."""

    exchanged: bool
    notes: list[str]


def swap_into_place(
    staging: Path, directory: Path, exchange: Callable[[Path, Path], bool] = exchange
) -> SwapOutcome:
    """Put the complete, durable staging folder at the directory's name (see the module doc).

    After the new set has the name, nothing raises: a copy of the old set that cannot be removed
    (an immutable file, say) becomes a note.
    """
    parent = directory.parent
    if not os.path.lexists(directory):
        os.rename(staging, directory)
        step("renamed")
        fsync_directory(parent)
        return SwapOutcome(False, [])
    step("exchange")
    if exchange(staging, directory):
        step("exchanged")
        exchanged_notes = _tidy_copy(staging, directory)
        _fsync_quietly(parent, exchanged_notes)
        return SwapOutcome(True, exchanged_notes)
    run = run_of(staging)
    old = parent / staging_name(_WAS, directory.name, run)
    journal = write_journal(parent, directory.name, run)
    os.rename(directory, old)
    step("moved-old")
    fsync_directory(parent)
    os.rename(staging, directory)
    step("moved-new")
    notes: list[str] = []
    _fsync_quietly(parent, notes)
    notes += _tidy_copy(old, directory)
    if not notes:
        _unlink_quietly(journal, notes)
    _fsync_quietly(parent, notes)
    return SwapOutcome(False, notes)


def _tidy_copy(old: Path, directory: Path) -> list[str]:
    try:
        remove_tree(old)
    except OSError as error:
        return [
            f"the new set is in {directory}, but the old copy {old} could not be removed "
            f"({error.strerror or error}: {error.filename}) — an immutable file (lsattr)? "
            "Its files are in the new set or its backup folder; remove it by hand"
        ]
    return []


def _fsync_quietly(path: Path, notes: list[str]) -> None:
    try:
        fsync_directory(path)
    except OSError as error:
        notes.append(f"{path}: could not make the swap durable ({error.strerror})")


def _unlink_quietly(path: Path, notes: list[str]) -> None:
    try:
        os.unlink(path)
        step("journal-removed")
    except OSError as error:
        notes.append(f"could not remove {path}: {error.strerror}")


def write_journal(parent: Path, target: str, run: str) -> Path:
    """Record, durably, that the staged set for `target` is complete and about to go in."""
    journal = parent / staging_name(_JOURNAL, target, run)
    scratch = parent / (journal.name + ".tmp")
    record = {"target": target, "run": run, "new": staging_name(_NEW, target, run)}
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(scratch, flags, 0o600)
    try:
        os.write(descriptor, json.dumps(record).encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    step("journal-written")
    os.rename(scratch, journal)
    step("journal-committed")
    fsync_directory(parent)
    return journal


def abandon(staging: Path, directory: Path) -> None:
    """Undo a swap that failed with an error before the new set had the directory's name."""
    run = run_of(staging)
    parent = directory.parent
    old = parent / staging_name(_WAS, directory.name, run)
    journal = parent / staging_name(_JOURNAL, directory.name, run)
    if os.path.lexists(old) and not os.path.lexists(directory):
        os.rename(old, directory)
    if os.path.lexists(staging):
        remove_tree(staging)
    for leftover in (journal, journal.with_name(journal.name + ".tmp")):
        if os.path.lexists(leftover):
            os.unlink(leftover)


# --- recovery ------------------------------------------------------------------------------


@dataclass
class _Leftovers:
    new: Path | None = None
    was: Path | None = None
    journal: Path | None = None
    scratch: Path | None = None
    legacy_new: Path | None = None
    legacy_old: Path | None = None


def _parse(name: str) -> tuple[str, str, str] | None:
    """(kind, target, run) of a name the store uses beside a target, or None."""
    if not name.startswith(STAGING_PREFIX + "-"):
        return None
    rest = name[len(STAGING_PREFIX) + 1 :]
    scratch = rest.endswith(".tmp")
    if scratch:
        rest = rest[: -len(".tmp")]
    head, _, run = rest.rpartition("-")
    if not head or not all(part.isdigit() for part in run.split(".", 1)):
        return None
    kind, _, target = head.partition("-")
    if kind in (_NEW, _WAS, _JOURNAL, _LEGACY_OLD) and target:
        if scratch:
            return "scratch", target, run
        return ("legacy_old" if kind == _LEGACY_OLD else kind), target, run
    return "legacy_new", head, run  # `<prefix>-<target>-<pid>`, before journals


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running(pid: int, names: list[str]) -> bool:
    if pid == os.getpid():
        with _active_lock:
            return any(name in _active for name in names)
    return _alive(pid)


def recover(parent: Path) -> list[str]:
    """Finish or undo the swaps killed runs left in this folder, and remove what they staged.

    Returns notes on what could not be tidied; raises OSError (with words) only where the
    state is one no run of this tool leaves, so that nothing is guessed.
    """
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    groups: dict[tuple[str, str], _Leftovers] = {}
    names: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        parsed = _parse(entry.name)
        if parsed is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not trusted_owner(info.st_uid) or stat.S_ISLNK(info.st_mode):
            continue  # not ours: someone else's name is never acted on
        kind, target, run = parsed
        key = (target, run)
        setattr(groups.setdefault(key, _Leftovers()), kind, Path(entry.path))
        names.setdefault(key, []).append(entry.name)
    notes: list[str] = []
    for (target, run), found in sorted(groups.items()):
        pid = int(run.split(".")[0])
        if _running(pid, names[(target, run)]):
            directory = parent / target
            if found.journal is not None and not os.path.lexists(directory):
                raise OSError(
                    errno.EBUSY,
                    f"{directory} is missing while process {pid} swaps it in ({found.journal}) "
                    "— wait for that run; if there is none (its process id was reused), the "
                    f"new set is in {found.new or directory} and the old in "
                    f"{found.was or directory}: rename the one you want to {target}",
                )
            continue
        notes += _recover_one(parent / target, found)
    return notes


def _recover_one(directory: Path, found: _Leftovers) -> list[str]:
    notes: list[str] = []
    if found.scratch is not None:
        os.unlink(found.scratch)  # a journal never committed: the swap never began
        step("recover-scratch")
    if found.journal is not None:
        if found.new is not None:
            if os.path.lexists(directory):
                if found.was is not None:
                    raise OSError(
                        errno.EEXIST,
                        f"{directory}, {found.was} and {found.new} all exist after an "
                        "interrupted run — compare them and keep the right one by hand",
                    )
                found.was = found.journal.with_name(
                    staging_name(_WAS, directory.name, run_of(found.journal))
                )
                os.rename(directory, found.was)
                step("recover-moved-old")
            os.rename(found.new, directory)
            step("recover-moved-new")
            fsync_directory(directory.parent)
        if found.was is not None:
            if os.path.lexists(directory):
                notes += _tidy_copy(found.was, directory)
            else:
                os.rename(found.was, directory)
                step("recover-restored-old")
        if not notes:
            os.unlink(found.journal)
            step("recover-journal-removed")
        fsync_directory(directory.parent)
        return notes
    if found.legacy_old is not None and not os.path.lexists(directory):
        # the two-rename swap of earlier versions, killed between its renames: the staged set
        # was complete and durable before the first one
        source = found.legacy_new or found.legacy_old
        os.rename(source, directory)
        step("recover-legacy")
        fsync_directory(directory.parent)
        if source is found.legacy_new:
            found.legacy_new = None
        else:
            found.legacy_old = None
    if found.was is not None and not os.path.lexists(directory):
        os.rename(found.was, directory)
        found.was = None
    for leftover in (found.new, found.legacy_new, found.was, found.legacy_old):
        if leftover is not None and os.path.lexists(leftover):
            notes += _tidy_copy(leftover, directory)
    return notes
