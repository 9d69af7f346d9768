"""Small sets for the store's tests: an old set with a CA, the new files a run writes, and a
look at a directory that leaves the backup folders aside."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from wizard.store import STAGING_PREFIX, OutputFile, write_files

OLD_CA_KEY = b"old CA key"
OLD = {
    "ca.pem": (b"old CA", 0o644),
    "ca-key.pem": (OLD_CA_KEY, 0o600),
    "a.pem": (b"old a", 0o644),
    "a-key.pem": (b"old a key", 0o600),
    "notes.txt": (b"mine", 0o644),
    "sub/deep.txt": (b"deep", 0o644),
}


def make_old(directory: Path) -> None:
    """The old set, written the ordinary way, plus a symbolic link the run must carry over."""
    write_files(directory, [OutputFile(n, c, m) for n, (c, m) in OLD.items()])
    os.symlink("a.pem", directory / "a-link.pem")


def tree(directory: Path) -> dict[str, bytes]:
    """Every file (a link as `-> target`) by relative path, backup folders left out."""
    found = {}
    if not directory.exists():
        return found
    for root, dirs, names in os.walk(directory):
        relative_root = Path(root).relative_to(directory)
        if relative_root.parts and relative_root.parts[0].startswith("backup-"):
            continue
        for name in names + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = Path(root) / name
            key = (relative_root / name).as_posix()
            if key.startswith("backup-"):
                continue
            found[key] = (
                b"-> " + os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            )
    return found


def all_bytes(directory: Path) -> set[bytes]:
    """The contents of every regular file in the directory, backups included."""
    return {p.read_bytes() for p in directory.rglob("*") if p.is_file() and not p.is_symlink()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(STAGING_PREFIX))


def refuse_exchange(first: bytes, second: bytes, flags: int) -> int:
    """renameat2 as FUSE or NFS answer it: no RENAME_EXCHANGE (EINVAL)."""
    if flags:
        return errno.EINVAL
    os.rename(first, second)
    return 0
