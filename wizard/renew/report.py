"""What `renew` tells the user: the per-certificate diff, the CA warnings, the redistribution
plan for just the changed files — as lines of plain text and as one stable JSON object."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from wizard.bounds import InputRefused, read_limited
from wizard.catalog import (
    Part,
    concrete_entries,
    concrete_kubeconfigs,
    file_of_part,
    files_of,
    get_profile,
)
from wizard.distribution import RESTARTS, plan_distribution
from wizard.expiry import when_text
from wizard.generate import SPEC_FILE
from wizard.renew.model import (
    KIND_CERTIFICATE,
    KIND_KEY_PAIR,
    CAWarning,
    Change,
    HostUpdate,
    Redistribution,
    RenewPlan,
    UndoPlan,
    reason_text,
)
from wizard.spec import ClusterSpec, SpecError, errors_of, spec_from_dict, validate
from wizard.store import BACKUP_PREFIX, WriteResult

# --- redistribution ----------------------------------------------------------------------------


def _readers(spec: ClusterSpec) -> tuple[dict[str, list[str]], set[str]]:
    """source file → the components that read it; and the sources read through kubeconfigs."""
    profile = get_profile(spec.profile)
    readers: dict[str, list[str]] = {}
    through_kubeconfig: set[str] = set()
    for entry in concrete_entries(profile, spec):
        for use in entry.used_by:
            for flag, part in use.flags:
                if part in (Part.CA_CERT, Part.CA_KEY):
                    continue  # the CA's files: renew never changes them
                source = file_of_part(entry, part, profile)
                if not source:
                    continue
                readers.setdefault(source, [])
                if use.component not in readers[source]:
                    readers[source].append(use.component)
                if flag.startswith("client-"):
                    through_kubeconfig.add(source)
    for item in concrete_kubeconfigs(profile, spec):
        readers.setdefault(item.name, []).append(item.component)
    return readers, through_kubeconfig


def _embedded(spec: ClusterSpec, changed: list[str]) -> set[str]:
    """Certificates and keys that travel inside a kubeconfig this change also hands out."""
    if not spec.kubeconfig.embed:
        return set()
    profile = get_profile(spec.profile)
    users = {k.user for k in concrete_kubeconfigs(profile, spec) if k.name in changed and k.user}
    inside: set[str] = set()
    for entry in concrete_entries(profile, spec):
        if entry.name in users:
            files = files_of(entry, profile)
            inside |= {files.cert, files.key}
    return inside


def redistribution_for(spec: ClusterSpec, sources: Iterable[str]) -> Redistribution:
    """Which hosts get which of these files, and which services restart there afterwards."""
    changed = list(dict.fromkeys(sources))
    readers, through_kubeconfig = _readers(spec)
    hosts = []
    placed: set[str] = set()
    restarted: set[str] = set()
    for plan in plan_distribution(spec):
        files = [f for f in plan.files if f.source in changed]
        if not files:
            continue
        placed |= {f.source for f in files}
        components = {c for f in files for c in readers.get(f.source, [])}
        restart = tuple(c for c in plan.components if c in components and c in RESTARTS)
        restarted |= set(restart)
        hosts.append(
            HostUpdate(
                plan.address,
                plan.name,
                tuple(plan.roles),
                tuple((f.source, f.destination, f.mode) for f in files),
                restart,
                tuple(RESTARTS[c] for c in restart),
            )
        )
    unplaced = []
    left = [s for s in changed if s not in placed and s not in _embedded(spec, changed)]
    groups: dict[str, list[str]] = {}
    for source in left:
        groups.setdefault(", ".join(readers.get(source, [])), []).append(source)
    for readers_of, names in groups.items():
        listed = ", ".join(names)
        them = "them" if len(names) > 1 else "it"
        if readers_of and all(n in through_kubeconfig for n in names):
            unplaced.append(
                f"{listed}: no host's plan places {them} — {readers_of} reads {them} through "
                "its kubeconfig; rebuild that kubeconfig with the new files (kubectl config "
                "set-credentials … --embed-certs=true) and hand it out again"
            )
        elif readers_of:
            unplaced.append(f"{listed}: copy {them} to the hosts where {readers_of} runs")
        else:
            unplaced.append(f"{listed}: no component of the plan reads {them}")
    note = ""
    if restarted:
        note = "Restart one host at a time"
        if "etcd" in restarted:
            note += (
                ", the etcd members one by one — wait for `etcdctl endpoint health` before the "
                "next, so the cluster keeps its quorum"
            )
        note += "."
    return Redistribution(tuple(hosts), tuple(unplaced), note)


def redistribution_of(plan: RenewPlan) -> Redistribution:
    """The redistribution plan for the files this renewal changes."""
    return redistribution_for(plan.spec, plan.changed_sources())


def undo_redistribution(plan: UndoPlan) -> Redistribution | None:
    """Where the restored files go, read from the cluster.toml copy the restore leaves in the
    directory; None when there is no readable copy."""
    import tomllib

    restored = {f.path: f.content for f in plan.files}
    try:
        data = restored.get(SPEC_FILE) or read_limited(plan.directory / SPEC_FILE)
        spec = spec_from_dict(tomllib.loads(data.decode("utf-8")), SPEC_FILE)
    except (
        OSError,
        InputRefused,
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        SpecError,
        RecursionError,  # tomllib on arrays nested hundreds deep
    ):
        return None
    if errors_of(validate(spec)):
        return None
    return redistribution_for(spec, plan.restored)


DRY_RUN_REDISTRIBUTION = "Redistribution it would need — only the changed files:"
"""The title over the redistribution a renewal would need, before it is written."""


def redistribution_lines(redistribution: Redistribution) -> list[str]:
    """The plan as text: per host, `source → destination (mode)`, then the restarts."""
    if not redistribution.hosts and not redistribution.unplaced:
        return ["No host needs a new file."]
    lines = []
    for host in redistribution.hosts:
        title = f"{host.address} ({host.name})" if host.name else host.address
        lines.append(f"{title} — {', '.join(host.roles)}")
        for source, destination, mode in host.files:
            lines.append(f"  copy {source} → {destination} ({mode:04o})")
        for command in host.commands:
            lines.append(f"  then: {command}")
    lines += list(redistribution.unplaced)
    if redistribution.note:
        lines.append(redistribution.note)
    return lines


def redistribution_json(redistribution: Redistribution) -> list[dict[str, Any]]:
    """The plan as plain data: one object per host."""
    return [
        {
            "address": host.address,
            "name": host.name,
            "roles": list(host.roles),
            "files": [
                {"source": source, "destination": destination, "mode": f"{mode:04o}"}
                for source, destination, mode in host.files
            ],
            "restart": list(host.restart),
            "commands": list(host.commands),
        }
        for host in redistribution.hosts
    ]


# --- JSON --------------------------------------------------------------------------------------


def _in_backup(name: str) -> bool:
    return "/" in name and name.split("/", 1)[0].startswith(BACKUP_PREFIX)


def _time(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def change_json(change: Change) -> dict[str, Any]:
    """One change as plain data; every key is always there."""
    return {
        "name": change.name,
        "kind": change.kind,
        "files": list(change.files),
        "reason": change.reason,
        "sans_added": list(change.sans_added),
        "sans_removed": list(change.sans_removed),
        "subject": {
            "old": change.subject_old,
            "new": change.subject_new,
            "changed": change.subject_changed,
        },
        "usages": {
            "old": change.usages_old,
            "new": change.usages_new,
            "changed": change.usages_changed,
        },
        "not_after_old": _time(change.not_after_old),
        "not_after_new": _time(change.not_after_new),
        "key": change.key,
        "notes": list(change.notes),
    }


def ca_warning_json(warning: CAWarning) -> dict[str, Any]:
    """One CA warning as plain data."""
    return {
        "name": warning.name,
        "file": warning.file,
        "not_after": _time(warning.not_after),
        "days_left": warning.days_left,
        "message": warning.message,
        "plan": list(warning.plan),
    }


def plan_to_json(
    plan: RenewPlan,
    redistribution: Redistribution | None = None,
    *,
    dry_run: bool = False,
    result: WriteResult | None = None,
) -> dict[str, Any]:
    """The `--json` document (key order fixed, every key always present)."""
    redistribution = redistribution or redistribution_of(plan)
    return {
        "directory": str(plan.directory),
        "profile": plan.profile.name,
        "dry_run": dry_run,
        "changes": [change_json(c) for c in plan.changes],
        "not_selected": [change_json(c) for c in plan.not_selected],
        "ca_warnings": [ca_warning_json(w) for w in plan.ca_warnings],
        "redistribution": redistribution_json(redistribution),
        "unplaced": list(redistribution.unplaced),
        "notes": list(plan.support_notes),
        "written": [n for n in result.written if not _in_backup(n)] if result else [],
        "backup": str(result.backup) if result and result.backup else None,
    }


def undo_to_json(
    plan: UndoPlan, *, dry_run: bool = False, result: WriteResult | None = None
) -> dict[str, Any]:
    """The `--undo --json` document."""
    redistribution = undo_redistribution(plan)
    return {
        "directory": str(plan.directory),
        "backup": str(plan.backup),
        "dry_run": dry_run,
        "restored": plan.restored,
        "unchanged": list(plan.unchanged),
        "removed": list(plan.removed),
        "redistribution": redistribution_json(redistribution) if redistribution else [],
        "new_backup": str(result.backup) if result and result.backup else None,
    }


# --- text --------------------------------------------------------------------------------------


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"


LineKind = Literal[
    "support",
    "heading",
    "change",
    "detail",
    "added",
    "removed",
    "note",
    "ca",
    "nothing",
    "blank",
    "section",
]
"""What a report line is, so that a face styles it without reading its text: the title line,
a change's first line, one of its details, a SAN added or removed, a change's note, a note on
the support files, a CA warning (its plan steps are details), "nothing to renew", a blank line,
a section's title."""


@dataclass(frozen=True)
class ReportLine:
    """One line of a renewal report and what kind of line it is."""

    kind: LineKind
    text: str


def change_report(change: Change, now: datetime, *, named_as: str = "only") -> list[ReportLine]:
    """The diff of one certificate (or key pair, or kubeconfig), line by line."""
    lines = [ReportLine("change", f"{change.name} — {reason_text(change, named_as=named_as)}")]

    def detail(text: str) -> None:
        lines.append(ReportLine("detail", text))

    detail(f"  files     {', '.join(change.files)}")
    if change.kind == KIND_CERTIFICATE:
        if change.sans_added or change.sans_removed:
            first = True
            for sign, kind, values in (
                ("+", "added", change.sans_added),
                ("-", "removed", change.sans_removed),
            ):
                for value in values:
                    lines.append(ReportLine(kind, f"  {'SANs' if first else '':<9} {sign} {value}"))  # type: ignore[arg-type]
                    first = False
        elif change.not_after_old is None:
            detail("  SANs      none")
        else:
            detail("  SANs      unchanged")
        if change.subject_old is None:
            detail(f"  subject   {change.subject_new}")
        elif change.subject_changed:
            detail(f"  subject   {change.subject_old}")
            detail(f"         →  {change.subject_new}")
        else:
            detail(f"  subject   {change.subject_new} (unchanged)")
        new_usages = ", ".join(change.usages_new or [])
        if change.usages_old is None:
            detail(f"  usages    {new_usages}")
        elif change.usages_changed:
            detail(f"  usages    {', '.join(change.usages_old)} → {new_usages}")
        else:
            detail(f"  usages    {new_usages} (unchanged)")
        old = (
            f"until {_day(change.not_after_old)} ({when_text(change.not_after_old, now)})"
            if change.not_after_old
            else "none"
        )
        detail(f"  validity  {old} → until {_day(change.not_after_new)}")
    if change.kind in (KIND_CERTIFICATE, KIND_KEY_PAIR):
        if change.key == "kept":
            detail("  key       kept (the private key file is not touched)")
        else:
            detail(f"  key       new {change.key_text or 'key'}".rstrip())
    for note in change.notes:
        lines.append(ReportLine("note", f"  note      {note}"))
    return lines


def change_lines(change: Change, now: datetime) -> list[str]:
    """The diff of one certificate (or key pair, or kubeconfig) as indented lines."""
    return [line.text for line in change_report(change, now)]


def plan_report(
    plan: RenewPlan, *, directory: str | None = None, named_as: str = "only"
) -> list[ReportLine]:
    """The whole diff, line by line: header, each change, what was left out, the CA warnings.
    `directory` names the directory as the face shows it (default: as given)."""
    ca_files = ", ".join(
        files_of(e, plan.profile).cert for e in plan.profile.cas() if e.name in plan.ca_certificates
    )
    several = len(plan.ca_certificates) > 1
    blank = ReportLine("blank", "")
    lines = [
        ReportLine(
            "heading",
            f"Renewal of {directory or plan.directory} (profile {plan.profile.name}) — the "
            f"{'CAs' if several else 'CA'} {ca_files} {'are' if several else 'is'} kept byte "
            "for byte.",
        )
    ]
    if plan.nothing_to_do:
        lines.append(blank)
        if plan.selection == "differs":
            kept = " (key types not compared: --keep-key keeps each key)" if plan.keep_key else ""
            text = (
                f"Nothing to renew: every certificate matches cluster.toml{kept}. "
                "Nothing was written."
            )
        else:
            text = "Nothing to renew for the selection. Nothing was written."
        lines.append(ReportLine("nothing", text))
    for change in plan.changes:
        lines.append(blank)
        lines += change_report(change, plan.now, named_as=named_as)
    if plan.not_selected:
        lines.append(blank)
        lines.append(ReportLine("section", "Not selected (they differ from cluster.toml too):"))
        for change in plan.not_selected:
            lines.append(ReportLine("detail", f"  {change.name} — {reason_text(change)}"))
    for note in plan.support_notes:
        lines += [blank, ReportLine("support", note)]
    for warning in plan.ca_warnings:
        lines += [blank, ReportLine("ca", f"CA {warning.file}: {warning.message}")]
        lines += [ReportLine("detail", f"  {step}") for step in warning.plan]
    return lines


def plan_lines(plan: RenewPlan) -> list[str]:
    """The whole diff as the CLI prints it: header, each change, what was left out, the CA
    warnings."""
    return [line.text for line in plan_report(plan)]


def result_lines(result: WriteResult) -> list[str]:
    """What the write did, and how to undo it."""
    lines = []
    if result.backup:
        lines.append(f"moved {len(result.backed_up)} old files to {result.backup}")
    for name in result.written:
        if not _in_backup(name):
            lines.append(f"wrote {result.directory / name}")
    if result.backup:
        lines.append(
            f"undo with: k8s-cert-wizard renew --undo {result.backup.name} -o {result.directory}"
        )
    return lines


def undo_lines(plan: UndoPlan, *, dry_run: bool = False) -> list[str]:
    """What an undo restores (or would), and the files a renewal added that stay."""
    lines = [f"Restoring {plan.backup} into {plan.directory}:"]
    for name in plan.restored:
        lines.append(f"  {name}")
    if plan.unchanged:
        lines.append(f"  already as in the backup: {', '.join(plan.unchanged)}")
    if plan.removed:
        lines.append("Taken out again (the renewal added them; they go to the new backup):")
        lines += [f"  {name}" for name in plan.removed]
    redistribution = undo_redistribution(plan)
    if redistribution is not None and plan.restored:
        lines.append("Redistribution — only the restored files:")
        lines += redistribution_lines(redistribution)
    if plan.removed:
        lines.append("Remove the taken-out files from the hosts that received them.")
    if dry_run:
        lines.append("Dry run: nothing was written.")
    return lines
