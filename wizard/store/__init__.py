"""Writing a set of files safely: staging, modes, no silent overwrite, backups.

A run builds the complete new directory beside the target (same filesystem), then swaps it in:
with one atomic exchange where the filesystem has one, else with two renames under a journal
that the next run rolls forward (`wizard.store.swap`). So an interrupted run leaves the old
directory or the complete new one — never a key beside a certificate it does not match, and
never the old CA key deleted. Files the run does not replace are carried over as hard links
(symbolic links as links); files it replaces are kept in `backup-<time>-<pid>/` inside the new
directory. The new directory takes the old one's mode and, where the process may set it, its
owner; every folder the run creates is 0700 whatever the umask. A symlinked output directory is
written through (the link stays) when the kernel would follow that link for the running user;
nothing is written through a link inside the directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from wizard.store import swap
from wizard.store.paths import PathProblem, describe_os_error, resolve, unsafe_ancestor
from wizard.store.swap import STAGING_PREFIX

KEY_MODE = 0o600
FILE_MODE = 0o644
DIR_MODE = 0o700
BACKUP_PREFIX = "backup-"

__all__ = [
    "BACKUP_PREFIX",
    "DIR_MODE",
    "FILE_MODE",
    "KEY_MODE",
    "STAGING_PREFIX",
    "ExistingFilesError",
    "OutputFile",
    "StoreError",
    "WriteResult",
    "backup_name",
    "conflicts",
    "describe_os_error",
    "folder_in_the_way",
    "linked_folder",
    "output_directory",
    "recover",
    "remove_stale_staging",
    "target_problem",
    "write_files",
]


class StoreError(OSError):
    """The files could not be written; the message says what to do."""


class ExistingFilesError(StoreError):
    """The target holds files the run would replace, and replacing was not allowed."""

    def __init__(self, directory: Path, names: list[str]) -> None:
        self.directory = directory
        self.names = names
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        super().__init__(
            f"{directory} already holds {shown} — nothing was written; use --force to move the "
            "old files into a backup folder first, or choose another directory"
        )


@dataclass(frozen=True)
class OutputFile:
    """One file to write: its path relative to the output directory, its bytes and its mode."""

    path: str
    content: bytes
    mode: int = FILE_MODE


@dataclass
class WriteResult:
    """What a write did; `notes` says what could not be tidied after the set went in."""

    directory: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    backup: Path | None = None
    backed_up: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def conflicts(directory: Path, files: Iterable[OutputFile]) -> list[str]:
    """The files that exist in the directory with other content than the run would write."""
    found = []
    for item in files:
        target = directory / item.path
        if os.path.lexists(target):
            try:
                if stat.S_ISREG(os.lstat(target).st_mode) and target.read_bytes() == item.content:
                    continue
            except OSError:
                pass
            found.append(item.path)
    return found


def backup_name(moment: datetime, pid: int | None = None) -> str:
    """`backup-20261128T164020Z-4711`: the folder a run keeps the files it replaces in.

    The process id makes the name one no other running process can choose in the same second;
    the store adds `-2`, `-3` … only where this process already used the name.
    """
    return f"{BACKUP_PREFIX}{moment:%Y%m%dT%H%M%SZ}-{pid or os.getpid()}"


def folder_in_the_way(directory: Path, names: Iterable[str]) -> str:
    """The refusal when a folder stands where the set puts one of these files, or ""."""
    for name in names:
        path = directory / name
        if path.is_dir() and not path.is_symlink():
            return (
                f"{path} is a folder where the set puts a file — move it away and run again "
                "(--force replaces files, never folders)"
            )
    return ""


def linked_folder(directory: Path, names: Iterable[str]) -> str:
    """The refusal when a file of the set would go through a symbolic link to a folder inside
    the directory (the link would carry the write elsewhere, unstaged), or ""."""
    for name in names:
        folder = directory
        for part in Path(name).parts[:-1]:
            folder = folder / part
            try:
                info = os.lstat(folder)
            except FileNotFoundError:
                break
            except OSError as error:
                return describe_os_error(error, folder)
            if stat.S_ISLNK(info.st_mode):
                return (
                    f"{folder} is a symbolic link (to {os.readlink(folder)}) and the set puts "
                    f"{name} inside it — files are never written through a link, which would "
                    "put them outside the directory without staging or backup; replace the link "
                    "with a real folder (or remove it) and run again"
                )
    return ""


def output_directory(directory: str | Path) -> Path:
    """The directory a run writes: absolute, with the links the kernel would follow for the
    running user followed (a symlinked directory stays a link). StoreError for a path that
    cannot be used."""
    try:
        return resolve(directory)
    except PathProblem as problem:
        raise StoreError(str(problem)) from None


def target_problem(directory: str | Path) -> str:
    """Why a set cannot be written into this directory, in one sentence, or "" (nothing is made).

    The new set is built beside the directory and swapped in, so the parent must be writable
    and no other user may move things in it; and the directory must not be the one this command
    runs in, nor hold it (the shell that started it would be left in a folder that no longer
    exists).
    """
    try:
        target = output_directory(directory)
    except StoreError as error:
        return str(error)
    try:
        return _target_problem(target)
    except OSError as error:
        return describe_os_error(error, target)


def _target_problem(target: Path) -> str:
    if os.path.lexists(target) and not target.is_dir():
        return f"{target} is a file, not a directory — choose a directory"
    here = resolve(Path.cwd())
    if target == here or target in here.parents:
        relation = "is" if target == here else "holds"
        return (
            f"{target} {relation} the folder this command runs in — the set replaces its folder "
            "as a whole, which would leave your shell in a deleted folder; run it from the "
            f"parent (cd {target.parent}; -o {target.name}) or give a subfolder"
        )
    existing = target.parent
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot create {target}: {existing} is a file, not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        if existing == target.parent:
            return (
                f"cannot write {target}: its parent {existing} is not writable, and the set is "
                "built beside the folder and swapped in — run as a user who may write "
                f"{existing}, or write elsewhere and copy"
            )
        return f"cannot create {target}: {existing} is not writable — choose another directory"
    return unsafe_ancestor(target)


def recover(directory: str | Path) -> list[str]:
    """Finish (or undo) what a killed run left beside this directory, so the directory holds a
    whole set again; notes on what could not be tidied. StoreError where it cannot decide."""
    target = output_directory(directory)
    try:
        return swap.recover(target.parent)
    except OSError as error:
        raise StoreError(describe_os_error(error, target.parent)) from None


def remove_stale_staging(parent: Path) -> None:
    """Recover the swaps killed runs left in this folder and remove what they staged.

    Kept for callers: nothing is removed that holds the only copy of a set (see `recover`).
    """
    with contextlib.suppress(OSError):
        swap.recover(Path(parent).absolute())


def write_files(
    directory: str | Path,
    files: list[OutputFile],
    *,
    force: bool = False,
    now: datetime | None = None,
    remove: Iterable[str] = (),
) -> WriteResult:
    """Write the files into the directory as one atomic step (see the module docstring).

    `remove` names files to take out in the same step; like replaced files, they are kept in
    the backup folder (and need `force`).
    """
    remove = list(remove)
    _check_paths(files)
    _check_paths([OutputFile(name, b"") for name in remove])
    problem = target_problem(directory)
    if problem:
        raise StoreError(problem)
    target = output_directory(directory)
    notes = recover(target)
    try:
        result = _write(target, files, force, now or datetime.now(UTC), remove)
    except StoreError:
        raise
    except OSError as error:
        raise StoreError(describe_os_error(error, target)) from None
    result.notes = notes + result.notes
    return result


_reserved: set[tuple[str, str]] = set()  # backup names this process is using right now
_reserved_lock = threading.Lock()


def _write(
    directory: Path, files: list[OutputFile], force: bool, now: datetime, remove: list[str]
) -> WriteResult:
    linked = linked_folder(directory, [item.path for item in files] + remove)
    if linked:
        raise StoreError(linked)
    result = WriteResult(directory)
    exists = directory.is_dir()
    replaced = conflicts(directory, files) if exists else []
    writing = {item.path for item in files}
    removing = [
        name
        for name in dict.fromkeys(remove)
        if name not in writing and _is_file_or_link(directory / name)
    ]
    replaced += removing
    in_the_way = folder_in_the_way(directory, replaced)
    if in_the_way:
        raise StoreError(in_the_way)
    if replaced and not force:
        raise ExistingFilesError(directory, replaced)
    parent = directory.parent
    _make_folders(Path("/"), parent)
    staging = parent / swap.staging_name(
        "new", directory.name, swap.free_run(parent, directory.name)
    )
    reserved: tuple[str, str] | None = None
    swap.register(staging.name)
    try:
        os.mkdir(staging, DIR_MODE)
        os.chmod(staging, DIR_MODE)
        swap.step("staged")
        owners: list[tuple[Path, os.stat_result]] = []
        if exists:
            owners.append((staging, os.stat(directory)))
            _carry_over(directory, staging, writing | set(removing), owners)
        if replaced:
            reserved = _reserve_backup(directory, staging, backup_name(now))
            for name in replaced:
                copy = staging / reserved[1] / name
                _make_folders(staging, copy.parent)
                _link_or_copy(directory, name, copy)
                swap.step("backed-up")
            result.backup = directory / reserved[1]
            result.backed_up = replaced
        for item in files:
            path = staging / item.path
            _make_folders(staging, path.parent)
            if exists and item.path not in replaced and os.path.lexists(directory / item.path):
                _link_or_copy(directory, item.path, path)
                result.unchanged.append(item.path)
                swap.step("kept")
                continue
            _write_new(path, item.content, item.mode)
            swap.step("written")
            result.written.append(item.path)
        for path, info in reversed(owners):  # after the writes: no one else may enter before
            _copy_owner_and_mode(info, path)
        _fsync_tree(staging)
        swap.step("synced")
        outcome = _swap_into_place(staging, directory)
    except OSError:
        swap.unregister(staging.name)
        with contextlib.suppress(OSError):
            swap.abandon(staging, directory)
        raise
    finally:
        swap.unregister(staging.name)
        if reserved is not None:
            with _reserved_lock:
                _reserved.discard(reserved)
    result.notes = outcome.notes + _loose_directory(directory)
    return result


def _loose_directory(directory: Path) -> list[str]:
    """A note when the directory (kept with its mode and owner) lets others change the set."""
    info = os.stat(directory)
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX:
        return [
            f"{directory} (mode {stat.S_IMODE(info.st_mode):04o}) may be written by others, "
            f"who could replace its keys and CA — `chmod go-w {directory}`"
        ]
    return []


def _is_file_or_link(path: Path) -> bool:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def _check_paths(files: list[OutputFile]) -> None:
    for item in files:
        path = Path(item.path)
        if path.is_absolute() or ".." in path.parts or not item.path:
            raise StoreError(f"{item.path!r} is not a relative path inside the output directory")


def _reserve_backup(directory: Path, staging: Path, name: str) -> tuple[str, str]:
    """A backup folder name free in the directory, in the staged copy and in this process,
    made (exclusively, 0700) in the staged copy."""
    with _reserved_lock:
        candidate, number = name, 1
        while (
            os.path.lexists(staging / candidate)
            or os.path.lexists(directory / candidate)
            or (str(directory), candidate) in _reserved
        ):
            number += 1
            candidate = f"{name}-{number}"
        _reserved.add((str(directory), candidate))
    os.mkdir(staging / candidate, DIR_MODE)
    os.chmod(staging / candidate, DIR_MODE)
    return str(directory), candidate


def _make_folders(root: Path, folder: Path) -> None:
    """Make the folders from root down to folder, each 0700 whatever the umask; never through
    a symbolic link."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            os.mkdir(current, DIR_MODE)
            os.chmod(current, DIR_MODE)
            continue
        if stat.S_ISLNK(info.st_mode) and root != Path("/"):
            raise StoreError(f"{current} is a symbolic link — nothing is written through one")


def _write_new(path: Path, content: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(path, flags, mode)
    try:
        os.fchmod(descriptor, mode)  # the umask must not loosen or tighten what we promise
        os.write(descriptor, content)
    finally:
        os.close(descriptor)


def _open_folder(directory: Path, relative: Path) -> int:
    """A descriptor of a folder inside the directory, walked to one component at a time
    without following a link (openat with O_NOFOLLOW), so no swap on the way can redirect it."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in relative.parts:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def _link_or_copy(directory: Path, relative: str, target: Path) -> None:
    """Carry one entry of the directory into the staged copy: a hard link, a link as a link,
    or (where linking is not allowed: an immutable file) a copy with its mode and times."""
    folder = _open_folder(directory, Path(relative).parent)
    try:
        _link_or_copy_at(folder, Path(relative).name, target)
    finally:
        os.close(folder)


def _link_or_copy_at(folder: int, name: str, target: Path) -> None:
    info = os.lstat(name, dir_fd=folder)
    if stat.S_ISLNK(info.st_mode):
        os.symlink(os.readlink(name, dir_fd=folder), target)
        return
    try:
        os.link(name, target, src_dir_fd=folder, follow_symlinks=False)
        return
    except OSError:
        if not stat.S_ISREG(info.st_mode):
            raise
    source = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
    try:
        copy = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            while chunk := os.read(source, 1 << 20):
                os.write(copy, chunk)
            os.fchmod(copy, stat.S_IMODE(info.st_mode))
            os.utime(copy, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(copy)
    finally:
        os.close(source)


def _copy_owner_and_mode(status: os.stat_result, target: Path) -> None:
    """Give a staged folder the mode, and where allowed the owner, of the folder it replaces."""
    if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
        # not root: the folder becomes the running user's, as any new folder would
        with contextlib.suppress(PermissionError):
            os.chown(target, status.st_uid, status.st_gid, follow_symlinks=False)
    os.chmod(target, stat.S_IMODE(status.st_mode))


def _carry_over(
    directory: Path, staging: Path, skip: set[str], owners: list[tuple[Path, os.stat_result]]
) -> None:
    """Hard-link everything the run does not replace into the staging copy (links as links),
    walking the directory by descriptors (fwalk) so a swapped folder cannot redirect it."""
    for root, dirs, names, folder in os.fwalk(directory, follow_symlinks=False):
        relative_root = Path(root).relative_to(directory)
        for name in dirs:
            target = staging / relative_root / name
            info = os.lstat(name, dir_fd=folder)
            if stat.S_ISLNK(info.st_mode):
                os.symlink(os.readlink(name, dir_fd=folder), target)
            else:
                os.mkdir(target, DIR_MODE)
                os.chmod(target, DIR_MODE)
                owners.append((target, info))
            swap.step("carried")
        for name in names:
            relative = (relative_root / name).as_posix()
            if relative in skip:
                continue
            _link_or_copy_at(folder, name, staging / relative)
            swap.step("carried")


def _fsync_tree(root: Path) -> None:
    """Make every staged file durable before the swap: one syncfs(2) for the whole filesystem,
    or an fsync per file and folder where syncfs is not available."""
    descriptor = os.open(root, os.O_RDONLY)
    try:
        if _syncfs(descriptor):
            return
    finally:
        os.close(descriptor)
    for current, _dirs, names in os.walk(root):
        for name in [*names, "."]:
            path = os.path.join(current, name)
            if os.path.islink(path):
                continue
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


def _syncfs(descriptor: int) -> bool:
    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return False
    return syncfs(descriptor) == 0


_exchange = swap.exchange


def _swap_into_place(staging: Path, directory: Path) -> swap.SwapOutcome:
    # `_exchange` is looked up here at each call, so a test may replace it
    return swap.swap_into_place(staging, directory, exchange=lambda a, b: _exchange(a, b))
