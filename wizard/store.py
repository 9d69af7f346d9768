"""Writing a set of files safely: staging, modes, no silent overwrite, backups.

A run builds the complete new directory beside the target (same filesystem), then swaps it in
with one atomic rename (`renameat2(RENAME_EXCHANGE)` when the target exists). So an interrupted
run leaves the old directory or the complete new one — never a key beside a certificate it does
not match. Files the run does not replace are carried over as hard links; files it replaces are
kept in `backup-<timestamp>/` inside the new directory. The new directory takes the old one's
mode and, where the process may set it, its owner; a symlinked output directory is written
through (the link stays).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

KEY_MODE = 0o600
FILE_MODE = 0o644
DIR_MODE = 0o700
STAGING_PREFIX = ".k8s-cert-wizard-staging"
BACKUP_PREFIX = "backup-"


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
    """What a write did."""

    directory: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    backup: Path | None = None
    backed_up: list[str] = field(default_factory=list)


def conflicts(directory: Path, files: Iterable[OutputFile]) -> list[str]:
    """The files that exist in the directory with other content than the run would write."""
    found = []
    for item in files:
        target = directory / item.path
        if target.is_symlink() or target.exists():
            try:
                if target.is_file() and target.read_bytes() == item.content:
                    continue
            except OSError:
                pass
            found.append(item.path)
    return found


def backup_name(moment: datetime) -> str:
    """`backup-20261128T164020Z`: the folder a run keeps the files it replaces in."""
    return f"{BACKUP_PREFIX}{moment:%Y%m%dT%H%M%SZ}"


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


def output_directory(directory: str | Path) -> Path:
    """The directory a run writes: absolute, a symlink to a directory followed (the link stays)."""
    path = Path(directory).absolute()
    return path.resolve() if path.is_symlink() and path.is_dir() else path


def target_problem(directory: str | Path) -> str:
    """Why a set cannot be written into this directory, in one sentence, or "" (nothing is made).

    The new set is built beside the directory and swapped in, so the parent must be writable;
    and the directory must not be the one this command runs in (the shell that started it
    would be left in a folder that no longer exists).
    """
    target = output_directory(directory)
    if target.exists() and not target.is_dir():
        return f"{target} is a file, not a directory — choose a directory"
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        relation = "is" if target == here else "holds"
        return (
            f"{target} {relation} the folder this command runs in — the set replaces its folder "
            "as a whole, which would leave your shell in a deleted folder; run it from the "
            f"parent (cd {target.parent}; -o {target.name}) or give a subfolder"
        )
    existing = target.parent
    while not existing.exists():
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
    return ""


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
    directory = output_directory(directory)
    remove = list(remove)
    _check_paths(files)
    _check_paths([OutputFile(name, b"") for name in remove])
    result = WriteResult(directory)
    replaced = conflicts(directory, files) if directory.exists() else []
    writing = {item.path for item in files}
    removing = [
        name
        for name in dict.fromkeys(remove)
        if name not in writing and ((directory / name).is_file() or (directory / name).is_symlink())
    ]
    replaced += removing
    in_the_way = folder_in_the_way(directory, replaced)
    if in_the_way:
        raise StoreError(in_the_way)
    if replaced and not force:
        raise ExistingFilesError(directory, replaced)
    problem = target_problem(directory)
    if problem:
        raise StoreError(problem)
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create {parent}: {error.strerror}") from None
    remove_stale_staging(parent)
    staging = parent / f"{STAGING_PREFIX}-{directory.name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        staging.mkdir(mode=DIR_MODE)
        writing |= set(removing)
        if directory.exists():
            _copy_owner_and_mode(directory, staging)
            _carry_over(directory, staging, skip=writing)
        if replaced:
            backup = _unique(staging, backup_name(now or datetime.now(UTC)))
            for name in replaced:
                source = directory / name
                target = staging / backup / name
                target.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
                _link_or_copy(source, target)
            result.backup = directory / backup
            result.backed_up = replaced
        for item in files:
            target = staging / item.path
            target.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            if (
                directory.exists()
                and item.path not in replaced
                and (directory / item.path).exists()
            ):
                _link_or_copy(directory / item.path, target)
                result.unchanged.append(item.path)
                continue
            _write_new(target, item.content, item.mode)
            result.written.append(item.path)
        _fsync_tree(staging)
        _swap_into_place(staging, directory)
    except OSError as error:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, StoreError):
            raise
        where = error.filename or directory
        raise StoreError(f"cannot write {where}: {error.strerror or error}") from None
    return result


def _check_paths(files: list[OutputFile]) -> None:
    for item in files:
        path = Path(item.path)
        if path.is_absolute() or ".." in path.parts or not item.path:
            raise StoreError(f"{item.path!r} is not a relative path inside the output directory")


def _unique(directory: Path, name: str) -> str:
    candidate, number = name, 1
    while (directory / candidate).exists():
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def _write_new(path: Path, content: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(descriptor, mode)  # the umask must not loosen or tighten what we promise
        os.write(descriptor, content)
    finally:
        os.close(descriptor)


def _link_or_copy(source: Path, target: Path) -> None:
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _copy_owner_and_mode(source: Path, target: Path) -> None:
    """Give a staged folder the mode, and where allowed the owner, of the folder it replaces."""
    status = source.stat()
    if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
        # not root: the folder becomes the running user's, as any new folder would
        with contextlib.suppress(PermissionError):
            os.chown(target, status.st_uid, status.st_gid)
    os.chmod(target, stat.S_IMODE(status.st_mode))


def _carry_over(directory: Path, staging: Path, skip: set[str]) -> None:
    """Hard-link everything the run does not replace into the staging copy."""
    for root, dirs, names in os.walk(directory):
        relative_root = Path(root).relative_to(directory)
        for name in dirs:
            source = Path(root) / name
            target = staging / relative_root / name
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
            else:
                target.mkdir(exist_ok=True)
                _copy_owner_and_mode(source, target)
        for name in names:
            relative = str(relative_root / name) if str(relative_root) != "." else name
            if relative in skip:
                continue
            _link_or_copy(Path(root) / name, staging / relative)
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]


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


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths with renameat2; False where the kernel or filesystem can't."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    code = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if code == 0:
        return True
    number = ctypes.get_errno()
    if number in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(number, os.strerror(number), str(second))


def _swap_into_place(staging: Path, directory: Path) -> None:
    if not directory.exists():
        os.rename(staging, directory)
    elif _exchange(staging, directory):
        shutil.rmtree(staging)  # now the old directory; its files live on as links
    else:
        old = directory.parent / f"{STAGING_PREFIX}-old-{directory.name}-{os.getpid()}"
        os.rename(directory, old)
        os.rename(staging, directory)
        shutil.rmtree(old)
    _fsync_directory(directory.parent)


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_stale_staging(parent: Path) -> None:
    """Remove staging folders left by runs that were killed (their process is gone)."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(STAGING_PREFIX + "-"):
            continue
        pid_text = entry.name.rsplit("-", 1)[-1]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and _alive(int(pid_text)):
            continue
        shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
