"""The layouts of the tools operators use, so that what each tool does on purpose is not a
problem: our own `backup-<time>/` folders, the kubelet's rotated client certificates and its
self-signed serving pair, k3s's `server/tls` (service-account keys, ECDSA with key
encipherment)."""

from __future__ import annotations

import os
import re
from dataclasses import replace

from wizard.review.conventions import K3S, RANCHER_AGENT_FILES, RKE2
from wizard.review.model import Finding, ReviewedFile
from wizard.review.roles import Match
from wizard.review.tls_secret import DYNAMIC_CERT_FILE
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
    renewed = _renewed_by_rancher(records, matches or {})
    adjusted: list[Finding] = []
    for finding in findings:
        if _under(finding.path, backups):
            continue
        folder, name = _split(finding.path)
        if renewed and finding.check in ("expired", "expiring"):
            finding = _rancher_expiry(finding, renewed)
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


# who renews a Rancher certificate: its listener, the server at start, the agent at start, or
# no one (a CA)
_LISTENER, _SERVER, _AGENT, _NO_ONE = "listener", "server", "agent", "no one"
_SERVICES = {RKE2: ("rke2-server", "rke2-agent"), K3S: ("k3s", "k3s-agent")}
# check_expiry's messages open with the certificate's reference
_EXPIRY = re.compile(r"(?P<ref>.*?) (?P<when>(?:expired|expires) on .*?) — ", re.DOTALL)


def _renewed_by_rancher(
    records: list[ReviewedFile], matches: dict[int, Match]
) -> dict[str, tuple[str, str]]:
    """k3s's and RKE2's certificates by reference (`tls/x.crt (#2)`), each with its tool and
    who renews it.

    dynamiclistener renews dynamic-cert.json itself when fewer than 90 days remain (checked at
    start and every 6 hours); the server re-issues the leaves of server/tls with fewer than 90
    days left at every start (deps.go's createClientCertKey); the agent asks the supervisor for
    its certificates at every start (pkg/agent/config). Their CAs, and the copies of them
    appended to every leaf, are renewed by no one."""
    names: dict[str, set[str]] = {}
    for record in records:
        folder, name = _split(record.path)
        names.setdefault(folder, set()).add(name)
    agents = {folder for folder, here in names.items() if here >= RANCHER_AGENT_FILES}
    renewed: dict[str, tuple[str, str]] = {}
    for record in records:
        match = matches.get(id(record))
        if record.cert is None or match is None or record.convention not in _SERVICES:
            continue
        if record.embedded:
            continue
        folder, name = _split(record.path)
        if match.role.ca or record.cert.is_ca:
            who = _NO_ONE
        elif name == DYNAMIC_CERT_FILE:
            who = _LISTENER
        elif folder in agents:
            who = _AGENT
        else:
            who = _SERVER
        renewed.setdefault(record.ref, (record.convention, who))
    return renewed


def _rancher_expiry(finding: Finding, renewed: dict[str, tuple[str, str]]) -> Finding:
    """An expiry finding on a k3s or RKE2 certificate, with that tool's way out."""
    parsed = _EXPIRY.match(finding.message)
    if parsed is None or parsed.group("ref") not in renewed:
        return finding
    ref, when = parsed.group("ref"), parsed.group("when")
    tool, who = renewed[ref]
    server, agent = _SERVICES[tool]
    program = server.split("-")[0]
    expired = finding.check == "expired"
    if who == _NO_ONE:
        return replace(
            finding,
            message=f"{ref}, one of {tool}'s CAs, {when} — {tool} renews no CA itself: rotate "
            f"it with `{program} certificate rotate-ca` (the new CA files first, as {tool}'s "
            "documentation on rotating CA certificates says), then restart the servers and "
            "agents",
        )
    if who == _LISTENER:
        return replace(
            finding,
            severity="warning" if expired else "info",
            message=f"{ref}, {tool}'s listener certificate, {when} — the listener renews it "
            "itself when fewer than 90 days remain (at start and every 6 hours), "
            + (
                f"so {server} is stopped or its renewal fails: restart it (systemctl restart "
                f"{server}) and read its log if this stays"
                if expired
                else f"nothing to do while {server} runs"
            ),
        )
    if who == _AGENT:
        return replace(
            finding,
            message=f"{ref} {when} — the agent asks the supervisor for its "
            f"certificates at every start: restart it (systemctl restart {agent}, or {server} "
            "on a server)",
        )
    return replace(
        finding,
        message=f"{ref} {when} — {tool} re-issues its certificates with fewer than 90 "
        f"days left at every start: restart it (systemctl restart {server}), or run "
        f"`{program} certificate rotate` and restart",
    )


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
