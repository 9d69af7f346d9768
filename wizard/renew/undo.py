"""`renew --undo BACKUP`: put a backup folder's files back, atomically, the current ones going
into a new backup first. A CA is never swapped, and no key is left beside a certificate it does
not belong to."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from wizard import pki
from wizard.bounds import InputRefused, read_limited
from wizard.catalog.naming import certificate_names_for_key, key_names_for_certificate
from wizard.renew.apply import writing_lock
from wizard.renew.model import MANIFEST_FILE, RenewError, UndoPlan
from wizard.store import (
    BACKUP_PREFIX,
    OutputFile,
    StoreError,
    WriteResult,
    remove_stale_staging,
    write_files,
)


def _partner(path: str) -> str | None:
    """The certificate of a key file or the key of a certificate file, by cfssl/kubeadm names."""
    names = certificate_names_for_key(path) or key_names_for_certificate(path)
    return names[0] if names else None


def _is_key_name(path: str) -> bool:
    return bool(certificate_names_for_key(path))


def _find_backup(directory: Path, backup: str | Path) -> Path:
    given = Path(backup)
    for candidate in (given, directory / given):
        if candidate.is_dir():
            return candidate.absolute()
    present = sorted(p.name for p in directory.glob(f"{BACKUP_PREFIX}*") if p.is_dir())
    hint = f"one of: {', '.join(present)}" if present else "there is none"
    raise RenewError(f"{backup}: no such backup folder in {directory} — {hint}")


def _backup_files(folder: Path) -> list[OutputFile]:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not (Path(root) / d).is_symlink())
        for name in sorted(names):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if relative == MANIFEST_FILE:
                continue
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                continue
            try:
                content = read_limited(path)
            except OSError as error:
                raise RenewError(f"cannot read {path}: {error.strerror or error}") from None
            except InputRefused as error:
                raise RenewError(f"{path} {error}") from None
            files.append(OutputFile(relative, content, stat.S_IMODE(info.st_mode)))
    return files


def _current(directory: Path, relative: str) -> bytes | None:
    try:
        return read_limited(directory / relative)
    except (OSError, InputRefused):
        return None


def _certificate(data: bytes | None):
    if data is None:
        return None
    try:
        return pki.load_certificate(data, "")
    except pki.PKIError:
        return None


def _key(data: bytes | None):
    if data is None:
        return None
    try:
        return pki.load_private_key(data, "")
    except pki.PKIError:
        return None


def plan_undo(directory: str | Path, backup: str | Path) -> UndoPlan:
    """What restoring the backup folder would do; RenewError when it must not be done."""
    directory = Path(directory).absolute()
    remove_stale_staging(directory.parent)  # finish a swap a killed run left
    if not directory.is_dir():
        raise RenewError(f"{directory} is not a directory — give the -o DIR the backup is in")
    folder = _find_backup(directory, backup)
    if directory.resolve() == folder.resolve():
        raise RenewError(
            f"{backup}: is the certificate directory itself — give one of its backup-<time>/ "
            "folders"
        )
    if folder.resolve() in directory.resolve().parents:
        raise RenewError(
            f"{backup}: holds the certificate directory — give one of its backup-<time>/ folders"
        )
    manifest: dict = {}
    try:
        manifest = json.loads(read_limited(folder / MANIFEST_FILE).decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # InputRefused is a ValueError
        manifest = {}
    files = _backup_files(folder)
    result = {f.path: f.content for f in files}
    added = [a for a in manifest.get("added", []) if isinstance(a, str) and a not in result]
    removed = [a for a in added if _safe(a) and (directory / a).is_file()]
    if not files and not removed:
        raise RenewError(f"{folder} holds no files to restore — give another backup folder")
    for name in removed:
        certificate = _certificate(_current(directory, name))
        partner = _partner(name)
        if _is_key_name(name) and partner:
            certificate = _certificate(_current(directory, partner))
        if certificate is not None and pki.is_ca_certificate(certificate):
            raise RenewError(
                f"{folder.name}/{MANIFEST_FILE} lists {name} as added, but it belongs to a CA — "
                "undo never removes a CA; fix or delete the manifest"
            )

    def after(relative: str) -> bytes | None:
        return result[relative] if relative in result else _current(directory, relative)

    for item in files:
        current = _current(directory, item.path)
        if current == item.content:
            continue
        restored_ca = _certificate(item.content)
        current_ca = _certificate(current)
        partner = _partner(item.path)
        partner_cert = _certificate(_current(directory, partner)) if partner else None
        is_ca = any(c is not None and pki.is_ca_certificate(c) for c in (restored_ca, current_ca))
        if _is_key_name(item.path) and partner_cert is not None:
            is_ca = is_ca or pki.is_ca_certificate(partner_cert)
        if is_ca:
            raise RenewError(
                f"{folder.name}/{item.path} would replace the CA in {directory} — undo never "
                "swaps a CA (every certificate it signed would stop verifying); restore it by "
                "hand only if you mean to"
            )
        if partner is None:
            continue
        key_name, cert_name = (
            (item.path, partner) if _is_key_name(item.path) else (partner, item.path)
        )
        key, certificate = _key(after(key_name)), _certificate(after(cert_name))
        if (
            key is not None
            and certificate is not None
            and not pki.key_matches_certificate(key, certificate)
        ):
            raise RenewError(
                f"restoring {folder.name}/{item.path} would leave {key_name} beside "
                f"{cert_name} that it does not belong to — the backup is incomplete; "
                "restore the pair by hand, or renew again"
            )
    unchanged = [f.path for f in files if _current(directory, f.path) == f.content]
    return UndoPlan(directory, folder, files, unchanged, removed)


def _safe(name: str) -> bool:
    path = Path(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def apply_undo(plan: UndoPlan) -> WriteResult:
    """Write the backup's files back and take out the files the renewal added, in one atomic
    step; the current versions of all of them go to a new backup first."""
    with writing_lock(plan.directory):
        try:
            return write_files(plan.directory, plan.files, force=True, remove=plan.removed)
        except StoreError as error:
            raise RenewError(str(error)) from None
