"""Which directory a run writes, and whether it is safe to write there.

The output path is resolved here, one component at a time, the way the kernel would for the
running user: a symbolic link is followed only where `fs.protected_symlinks` would follow it
(not a link someone else planted in a sticky world-writable folder), and every folder above the
output must be one that no other user can rename entries in. Path errors become sentences.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_LINKS = 40  # what Linux allows before ELOOP


class PathProblem(OSError):
    """A path cannot be used; the message says why and what to do."""


def trusted_owner(uid: int) -> bool:
    """The running user or root: the owners whose files and folders the run may trust."""
    return uid in (0, os.geteuid())


def describe_os_error(error: OSError, path: str | Path) -> str:
    """An OSError about a path as one sentence with what to do, never a traceback."""
    where = error.filename if error.filename else path
    number = error.errno
    if number == errno.ENAMETOOLONG:
        return (
            f"cannot use {where}: a name in it is too long (the filesystem allows 255 bytes per "
            "name and 4096 per path) — choose a shorter path"
        )
    if number == errno.ENOTDIR:
        return f"cannot use {where}: a part of it is a file, not a directory — choose a directory"
    if number == errno.ELOOP:
        return (
            f"cannot use {where}: too many symbolic links (a link pointing at itself?) — "
            "give the real directory"
        )
    if number in (errno.EIO, errno.ENXIO, errno.ENODEV):
        return (
            f"cannot use {where}: {os.strerror(number)} — the device or mount behind it does not "
            "answer; check it (dmesg, mount) or choose another directory"
        )
    if number in (errno.EACCES, errno.EPERM):
        return f"cannot use {where}: {os.strerror(number)} — run as a user who may write it"
    if number == errno.EROFS:
        return f"cannot write {where}: the filesystem is read-only — choose another directory"
    if number == errno.ENOSPC:
        return f"cannot write {where}: the disk is full — free some space and run again"
    text = error.strerror or str(error)
    return f"cannot use {where}: {text}"


def _link_problem(link: Path, info: os.stat_result) -> str:
    """Why the kernel's protected_symlinks rule would refuse to follow this link for us, or ""."""
    folder = os.stat(link.parent)
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    if shared and info.st_uid != os.geteuid() and info.st_uid != folder.st_uid:
        return (
            f"{link} is a symbolic link owned by uid {info.st_uid} in {link.parent}, a folder "
            "everyone may write (sticky) — the kernel would not follow it for you "
            "(fs.protected_symlinks), so neither does this tool; give the real directory, or "
            "remove the link"
        )
    return ""


def resolve(given: str | Path) -> Path:
    """The absolute path with every trusted symbolic link followed and `..` applied after the
    links, like realpath(3); PathProblem for an untrusted or dangling link or a bad path."""
    start = Path(given).absolute()
    pending = list(reversed(start.parts[1:]))
    current = Path("/")
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        candidate = current / part
        try:
            info = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            current = candidate  # made by the run, or refused by the caller in words
            continue
        except OSError as error:
            raise PathProblem(describe_os_error(error, candidate)) from None
        if not stat.S_ISLNK(info.st_mode):
            current = candidate
            continue
        hops += 1
        if hops > MAX_LINKS:
            raise PathProblem(describe_os_error(OSError(errno.ELOOP, "loop"), given))
        problem = _link_problem(candidate, info)
        if problem:
            raise PathProblem(problem)
        target = os.readlink(candidate)
        try:
            os.stat(candidate)
        except OSError as error:
            if error.errno != errno.ENOENT:
                raise PathProblem(describe_os_error(error, candidate)) from None
            raise PathProblem(
                f"{candidate} is a symbolic link to {target}, which does not exist — create "
                f"{target} or remove the link"
            ) from None
        if os.path.isabs(target):
            current = Path("/")
        pending.extend(reversed([p for p in Path(target).parts if p != "/"]))
    return current


def unsafe_ancestor(target: Path) -> str:
    """Why a folder above the target lets another user move things under the run, or "".

    Such a folder belongs to someone other than the running user or root, or others may write
    it without the sticky bit (with it, the kernel lets nobody else rename what is ours).
    """
    for folder in target.parents:
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            continue
        except OSError as error:
            return describe_os_error(error, folder)
        if not trusted_owner(info.st_uid):
            return (
                f"cannot write {target}: {folder} belongs to uid {info.st_uid}, who could move "
                f"the set aside or replace it while it is written — `chown {os.geteuid()} "
                f"{folder}`, or choose a directory under a folder only you and root control"
            )
        writable = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if writable and not info.st_mode & stat.S_ISVTX:
            mode = stat.S_IMODE(info.st_mode)
            return (
                f"cannot write {target}: {folder} (mode {mode:04o}) may be written by others "
                f"and is not sticky, so they could swap folders under the run — `chmod go-w "
                f"{folder}`, or choose another directory"
            )
    return ""
