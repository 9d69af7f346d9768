"""Whether a CA on disk may be trusted before it signs anything.

A CA is reused only from files nobody but the running user (or root) could have put there: the
certificate, the key and every folder from the CA's directory down to them are owned by the
running user or root and not writable by group or others, and the key is readable by its owner
alone. Otherwise anyone who can write there could plant a CA and have the run sign, say, an
admin certificate under it.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from wizard.bounds import file_type_words
from wizard.store.paths import trusted_owner


class TrustError(Exception):
    """A CA file or folder may not be trusted; the message says what is wrong and the fix."""


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _owner_problem(path: Path, info: os.stat_result, what: str) -> str:
    if trusted_owner(info.st_uid):
        return ""
    me = _user(os.geteuid())
    owners = "root" if os.geteuid() == 0 else f"{me} or root"
    return (
        f"{path} belongs to {_user(info.st_uid)}, not to {owners} — that user could have "
        f"replaced the CA's {what}; check it, then `chown {me} {path}` (or make a new CA)"
    )


def _writable_problem(path: Path, info: os.stat_result) -> str:
    if not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return ""
    kind = "folder" if stat.S_ISDIR(info.st_mode) else "file"
    return (
        f"{path} (mode {stat.S_IMODE(info.st_mode):04o}) is a {kind} others may write — anyone "
        f"could have replaced the CA; check it, then `chmod go-w {path}`"
    )


def file_problem(path: Path, info: os.stat_result, *, key: bool) -> str:
    """Why this CA file (as fstat saw it) may not be trusted, or ""."""
    problem = _owner_problem(path, info, "key" if key else "certificate")
    problem = problem or _writable_problem(path, info)
    if not problem and key and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        problem = (
            f"{path} (mode {stat.S_IMODE(info.st_mode):04o}) is a CA key others may read — "
            f"`chmod 600 {path}`, and if others did read it, make a new CA"
        )
    return problem


def folder_problem(directory: Path, path: Path) -> str:
    """Why a folder from the CA's directory down to this file may not be trusted, or ""."""
    folder = path.parent
    folders = [folder]
    while folder != directory and directory in folder.parents:
        folder = folder.parent
        folders.append(folder)
    for folder in reversed(folders):
        try:
            info = os.stat(folder)
        except OSError as error:
            return f"cannot check {folder}: {error.strerror}"
        problem = _owner_problem(folder, info, "files") or _writable_problem(folder, info)
        if problem:
            return problem
    return ""


def read_checked(directory: Path, path: Path, *, key: bool) -> tuple[bytes, str]:
    """The bytes of a CA file and why it may not be trusted ("" when it may), both from the very
    file read (fstat of the open file). TrustError for a file that is no CA file at all."""
    problem = folder_problem(directory, path)
    # O_NONBLOCK: a FIFO planted where the CA should be must not hang the run
    descriptor = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise TrustError(
                f"{path} is {file_type_words(info.st_mode)}, not a regular file — "
                "give the CA's own file"
            )
        problem = problem or file_problem(path, info, key=key)
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
            if sum(map(len, chunks)) > 16 << 20:
                raise TrustError(f"{path} is larger than 16 MiB — not a CA file")
        return b"".join(chunks), problem
    finally:
        os.close(descriptor)
