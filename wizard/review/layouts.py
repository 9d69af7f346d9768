"""The layouts of the tools operators use, so that what each tool does on purpose is not a
problem: our own `backup-<time>/` folders, the kubelet's rotated client certificates and its
self-signed serving pair, k3s's `server/tls` (service-account keys, ECDSA with key
encipherment)."""

from __future__ import annotations

import os
import re
from dataclasses import replace

from wizard.review.conventions import K3S, RKE2
from wizard.review.model import Finding, ReviewedFile
from wizard.review.roles import Match
from wizard.store import BACKUP_PREFIX

_BACKUP = re.compile(re.escape(BACKUP_PREFIX) + r"\d{8}T\d{6}Z(-\d+)*$")
# the kubelet's certificate manager: kubelet-client-2026-01-02-03-04-05.pem
_ROTATED = re.compile(r"kubelet-(client|server)-\d{4}(-\d{2}){5}\.pem$")
# k3s (pkg/daemons/control/deps): the service-account signing keys, no certificate of theirs
K3S_SERVICE_ACCOUNT_KEYS = frozenset({"service.key", "service.current.key"})
_K3S_MARKERS = frozenset({"server-ca.crt", "client-ca.crt", "request-header-ca.crt"})


def adjust_for_layouts(
    root: str,
    records: list[ReviewedFile],
    findings: list[Finding],
    matches: dict[int, Match] | None = None,
) -> list[Finding]:
    """The findings, with what a known layout does on purpose dropped or made a note."""
    backups = _backup_folders(records)
    rotated = _rotated_out(root, records)
    k3s = _k3s_folders(records)
    rancher = {r.path: r.convention for r in records if r.convention in (K3S, RKE2)}
    key_only = {
        r.path: match.role
        for r in records
        if r.key is not None
        and (match := (matches or {}).get(id(r))) is not None
        and match.role.key_pair
        and match.role.entry is None  # a tool's, not our catalogue's (sa.key)
    }
    adjusted: list[Finding] = []
    for finding in findings:
        if _under(finding.path, backups):
            continue
        folder, name = _split(finding.path)
        if finding.path in rotated and finding.check in ("expired", "expiring", "not-yet-valid"):
            adjusted.append(
                replace(
                    finding,
                    severity="info",
                    check="rotated-out",
                    message=f"{finding.path} is a client certificate the kubelet rotated out "
                    f"(kubelet-client-current.pem points at {rotated[finding.path]}); the "
                    "kubelet no longer uses it — nothing to do (delete it when you like)",
                )
            )
            continue
        if (
            (folder in k3s or finding.path in rancher)
            and finding.check == "orphan-key"
            and (name in K3S_SERVICE_ACCOUNT_KEYS)
        ):
            adjusted.append(
                Finding(
                    finding.path,
                    "info",
                    "service-account-key",
                    f"{finding.path} is {rancher.get(finding.path, K3S)}'s service-account "
                    "signing key (no certificate of its own by design) — keep it",
                )
            )
            continue
        if finding.check == "orphan-key" and finding.path in key_only:
            role = key_only[finding.path]
            why = f": {role.why}" if role.why else ""
            adjusted.append(
                Finding(
                    finding.path,
                    "info",
                    "key-only",
                    f"{finding.path} is {role.title} in {role.profile}'s layout, a key "
                    f"without a certificate of its own by design{why} — keep it",
                )
            )
            continue
        if (folder in k3s or finding.path in rancher) and finding.check == (
            "ecdsa-key-encipherment"
        ):
            tool = rancher.get(finding.path, K3S)
            adjusted.append(
                replace(
                    finding,
                    severity="info",
                    message=f"{finding.path}: {tool} issues its ECDSA certificates with key usage "
                    "'key encipherment'; Go's TLS (and so Kubernetes) ignores it — nothing to do",
                )
            )
            continue
        adjusted.append(finding)
    for folder in sorted(backups):
        adjusted.append(
            Finding(
                folder,
                "info",
                "backup-folder",
                f"{folder}/ holds the files k8s-cert-wizard replaced on a run; they are kept "
                "as a backup and not reviewed as live files",
            )
        )
    return adjusted


def in_backup_folder(path: str) -> bool:
    """Whether a record's path lies in one of our `backup-<time>/` folders."""
    return any(_BACKUP.match(part) for part in path.split("/")[:-1])


def _split(path: str) -> tuple[str, str]:
    """(folder, name) of a record's path, the folder `.` at the top (as PurePosixPath says,
    without its cost: this runs once per record)."""
    folder, _, name = path.rpartition("/")
    return folder or ".", name


def _backup_folders(records: list[ReviewedFile]) -> set[str]:
    folders: set[str] = set()
    for folder in {_split(record.path)[0] for record in records}:
        if BACKUP_PREFIX not in folder:
            continue
        parts = folder.split("/")
        for index, part in enumerate(parts):
            if _BACKUP.match(part):
                folders.add("/".join(parts[: index + 1]))
                break
    return folders


def _under(path: str, folders: set[str]) -> bool:
    return any(path == folder or path.startswith(folder + "/") for folder in folders)


def _rotated_out(root: str, records: list[ReviewedFile]) -> dict[str, str]:
    """The rotated kubelet certificates that `kubelet-*-current.pem` in their folder does not
    point at, each with the name the link points at."""
    current: dict[str, str] = {}  # folder → the real name the current link points at
    candidates: list[tuple[str, str, str]] = []
    for record in records:
        if "kubelet-" not in record.path:
            continue
        folder, name = _split(record.path)
        if name in ("kubelet-client-current.pem", "kubelet-server-current.pem"):
            real = os.path.realpath(os.path.join(root, record.path))
            current[folder + ":" + name.split("-")[1]] = os.path.basename(real)
        else:
            candidates.append((record.path, folder, name))
    rotated: dict[str, str] = {}
    for path, folder, name in candidates:
        match = _ROTATED.match(name)
        if not match:
            continue
        target = current.get(f"{folder}:{match.group(1)}")
        if target is not None and target != name:
            rotated[path] = target
    return rotated


def _k3s_folders(records: list[ReviewedFile]) -> set[str]:
    """Folders laid out as k3s's server/tls (its three CAs side by side), and its etcd/."""
    names: dict[str, set[str]] = {}
    for record in records:
        folder, name = _split(record.path)
        if name in _K3S_MARKERS:
            names.setdefault(folder, set()).add(name)
    tls = {folder for folder, here in names.items() if here >= _K3S_MARKERS}
    return tls | {"etcd" if folder == "." else f"{folder}/etcd" for folder in tls}
