"""`distribute` as a job: read every host, diff, apply, and (when asked) restart, per host.

Both faces call `run_distribution`; progress comes per host through `on_progress`, and a cancel
stops the hosts not started and the commands running (a host stopped mid-apply is finished by
the next run — see wizard.fleet.distribute). The hosts are reached `parallel` at once; the
restarts come after every host has its files, etcd members and masters one at a time (each
waited for), the other hosts together. A host remembers the restarts it owes (its restart
record): each report says them (`pending`: placed earlier, not restarted), --restart restarts
them with the changed files' units even when no file changed, and `owed` is what the host
still owes after this run.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from wizard.catalog import RESTARTS
from wizard.deploy import DeploySettings
from wizard.fleet.distribute import (
    ApplyResult,
    DistributeError,
    HostDiff,
    HostFiles,
    HostUnreachable,
    RestartCommands,
    RestartFailed,
    RunScript,
    apply,
    diff,
    host_files,
    read_inventory,
    restart,
)
from wizard.fleet.ssh import (
    Cancelled,
    HostOutcome,
    RemoteResult,
    SshClient,
    Target,
    for_each_host,
    ssh_client,
)
from wizard.spec import ClusterSpec
from wizard.store import backup_name

ClientFactory = Callable[[DeploySettings, Sequence[Target]], AbstractContextManager[SshClient]]


@dataclass(frozen=True)
class DistributionRequest:
    """What `distribute` was asked."""

    spec: ClusterSpec
    directory: Path
    hosts: tuple[str, ...] = ()  # addresses or names; () = every host of the plan
    dry_run: bool = False
    restart: bool = False
    prune: bool = False
    restart_commands: RestartCommands | None = None  # None: [deploy]'s, or systemd's


class Phase(enum.StrEnum):
    """Where one host is."""

    WAITING = "waiting"  # not started yet
    READING = "reading"
    PLACING = "placing"
    PLACED = "placed"
    UNCHANGED = "unchanged"
    DIFFED = "diffed"  # a dry run's end
    RESTARTING = "restarting"
    RESTARTED = "restarted"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class HostProgress:
    """One step of one host, for a progress display."""

    address: str
    label: str
    phase: Phase
    detail: str = ""


@dataclass
class HostReport:
    """Everything that happened on one host."""

    target: Target
    host: HostFiles
    diff: HostDiff | None = None
    applied: ApplyResult | None = None
    units: list[str] = field(default_factory=list)  # the changed files' and the owed restarts
    restarted: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # owed before: placed earlier, not restarted
    restart_plan: dict[str, list[str]] = field(default_factory=dict)  # unit → its components
    phase: Phase = Phase.WAITING
    error: str = ""
    seconds: float = 0.0

    @property
    def owed(self) -> list[str]:
        """The components the host owes a restart after this run: the ones owed before and
        those whose file this run replaced (when its apply failed: may have replaced), less
        those restarted and found healthy."""
        owed = set(self.pending)
        if self.applied is not None:
            owed.update(self.applied.owed)
        elif self.error and self.diff is not None:
            owed.update(self.diff.replaced)
        for unit in self.restarted:
            owed.difference_update(self.restart_plan.get(unit, ()))
        return [c for c in RESTARTS if c in owed]

    @property
    def ok(self) -> bool:
        """True when the host ended as asked."""
        return not self.error and self.phase not in (
            Phase.WAITING, Phase.UNREACHABLE, Phase.FAILED, Phase.CANCELLED,
        )  # fmt: skip


@dataclass(frozen=True)
class DistributionOutcome:
    """Every host's report, in the plan's order, and how the run went."""

    hosts: list[HostReport]
    parallel: int
    seconds: float
    dry_run: bool
    restart: bool
    stamp: str

    @property
    def failed(self) -> list[HostReport]:
        """The hosts that did not end as asked (unreachable, failed, cancelled)."""
        return [h for h in self.hosts if not h.ok]


class HostSelectionError(DistributeError):
    """--hosts named something that is not a host of the plan."""


def select_hosts(hosts: list[HostFiles], wanted: Sequence[str]) -> list[HostFiles]:
    """The hosts named by address or name (all when none); unknown names are refused."""
    if not wanted:
        return hosts
    known = {h.address: h for h in hosts} | {h.name: h for h in hosts if h.name}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise HostSelectionError(
            f"--hosts {','.join(unknown)}: not a host of this cluster — use addresses or names "
            f"from cluster.toml: {', '.join(h.name or h.address for h in hosts)}"
        )
    chosen = {id(known[w]) for w in wanted}
    return [h for h in hosts if id(h) in chosen]


def run_distribution(
    request: DistributionRequest,
    *,
    on_progress: Callable[[HostProgress], None] | None = None,
    cancel: threading.Event | None = None,
    client: ClientFactory = ssh_client,
    now: datetime | None = None,
) -> DistributionOutcome:
    """Diff and (unless a dry run) apply on every chosen host; restart with request.restart.

    Raises DistributeError (in words) before any host is reached when the set or the
    selection cannot be used; a host's own failure is its report, never the others' end."""
    started = time.monotonic()
    settings = request.spec.deploy
    every = host_files(request.spec, request.directory, settings)
    chosen = select_hosts(every, request.hosts)
    targets = [
        Target(h.address, h.name, a.ssh, a.user, a.port)
        for h in chosen
        for a in [settings.access_of(h.address)]
    ]
    reports = {t.address: HostReport(t, h) for t, h in zip(targets, chosen, strict=True)}
    stamp = backup_name(now or datetime.now(UTC))
    parallel = max(1, min(settings.parallel, len(targets) or 1))

    def say(report: HostReport, phase: Phase, detail: str = "") -> None:
        report.phase = phase
        if on_progress is not None:
            on_progress(HostProgress(report.target.address, report.target.label, phase, detail))

    with client(settings, targets) as ssh:

        def runner(target: Target) -> RunScript:
            def run(script: str, stdin: bytes) -> RemoteResult:
                return ssh.run(target, script, stdin=stdin, timeout=300, cancel=cancel)

            return run

        def work(target: Target) -> HostReport:
            report = reports[target.address]
            run = runner(target)
            say(report, Phase.READING)
            try:
                inventory = read_inventory(run, report.host)
            except HostUnreachable as error:
                report.error = str(error)
                say(report, Phase.UNREACHABLE, report.error)
                return report
            report.diff = diff(report.host, inventory)
            report.restart_plan = report.diff.restart_plan(settings)
            report.units = list(report.restart_plan)
            report.pending = list(report.diff.pending)
            if request.dry_run:
                say(report, Phase.DIFFED, _counts(report.diff))
                return report
            if report.diff.clean:
                say(report, Phase.UNCHANGED)
                return report
            say(report, Phase.PLACING, _counts(report.diff))
            report.applied = apply(run, report.diff, stamp, prune=request.prune)
            say(report, Phase.PLACED, f"{len(report.applied.written)} written")
            return report

        def done(outcome: HostOutcome[HostReport]) -> None:
            report = reports[outcome.target.address]
            report.seconds = outcome.seconds
            if outcome.error:
                _failed(report, outcome.error, say)

        outcomes = for_each_host(targets, work, parallel=parallel, on_done=done, cancel=cancel)
        for outcome in outcomes:  # the hosts a cancel kept from starting
            report = reports[outcome.target.address]
            if outcome.error and not report.error:
                _failed(report, outcome.error, say)
        if request.restart and not request.dry_run:
            commands = request.restart_commands or RestartCommands.of(settings)
            _restart_all(list(reports.values()), ssh, settings, commands, cancel, say)
    return DistributionOutcome(
        list(reports.values()),
        parallel,
        time.monotonic() - started,
        request.dry_run,
        request.restart,
        stamp,
    )


def _failed(report: HostReport, error: str, say: Callable[[HostReport, Phase, str], None]) -> None:
    report.error = error
    if error == "cancelled":
        say(report, Phase.CANCELLED, "")
    elif error.startswith("unreachable"):  # HostUnreachable while restarting
        say(report, Phase.UNREACHABLE, error)
    else:
        say(report, Phase.FAILED, error)


def _restart_order(reports: list[HostReport]) -> tuple[list[HostReport], list[HostReport]]:
    """(etcd members and masters, one at a time; the others, together)."""
    needing = [r for r in reports if r.ok and r.units]
    serial = [r for r in needing if {"etcd", "master"} & set(r.host.roles)]
    return serial, [r for r in needing if r not in serial]


def _restart_all(
    reports: list[HostReport],
    ssh: SshClient,
    settings: DeploySettings,
    commands: RestartCommands,
    cancel: threading.Event | None,
    say: Callable[[HostReport, Phase, str], None],
) -> None:
    serial, together = _restart_order(reports)

    def one(target: Target) -> HostReport:
        report = reports_by[target.address]

        def run(script: str, stdin: bytes) -> RemoteResult:
            return ssh.run(report.target, script, stdin=stdin, timeout=600, cancel=cancel)

        say(report, Phase.RESTARTING, ", ".join(report.units))
        try:
            report.restarted = restart(
                run, report.host, report.units, commands, clears=report.restart_plan
            )
        except RestartFailed as error:
            report.restarted = error.healthy  # off the record; the rest stay owed
            raise
        say(report, Phase.RESTARTED, ", ".join(report.restarted))
        return report

    def done(outcome: HostOutcome[HostReport]) -> None:
        if outcome.error:
            _failed(reports_by[outcome.target.address], outcome.error, say)

    reports_by = {r.target.address: r for r in reports}
    for index, report in enumerate(serial):
        if cancel is not None and cancel.is_set():
            for left in serial[index:] + together:
                _failed(left, "cancelled", say)
            return
        outcome = for_each_host([report.target], one, parallel=1, on_done=done, cancel=cancel)
        if outcome[0].error:
            # a master that does not come back healthy stops the rolling restart here
            for left in serial[index + 1 :] + together:
                left.error = (
                    f"not restarted: {report.target.label} did not come back healthy — fix it, "
                    "then run distribute --restart again"
                )
            return
    for_each_host(
        [r.target for r in together],
        one,
        parallel=max(1, settings.parallel),
        on_done=done,
        cancel=cancel,
    )


def _counts(change: HostDiff) -> str:
    return ", ".join(f"{n} {status}" for status, n in change.counts.items() if n)


__all__ = [
    "Cancelled",
    "DistributeError",
    "DistributionOutcome",
    "DistributionRequest",
    "HostProgress",
    "HostReport",
    "HostUnreachable",
    "Phase",
    "run_distribution",
    "select_hosts",
]


def outcome_to_json(outcome: DistributionOutcome) -> dict[str, object]:
    """The run as plain data for scripts (`distribute --json`)."""
    hosts = []
    for report in outcome.hosts:
        change = report.diff
        applied = report.applied
        hosts.append(
            {
                "address": report.target.address,
                "name": report.target.name,
                "roles": list(report.host.roles),
                "phase": report.phase.value,
                "ok": report.ok,
                "error": report.error,
                "seconds": round(report.seconds, 3),
                "files": [
                    {
                        "destination": c.destination,
                        "status": c.status.value,
                        "reason": c.reason,
                        "source": c.planned.source if c.planned else None,
                        "mode": f"{c.planned.mode:04o}" if c.planned else None,
                    }
                    for c in (change.changes if change else ())
                ],
                "interrupted": list(change.interrupted) if change else [],
                "units": report.units,
                "restarted": report.restarted,
                "pending": report.pending,
                "owed": report.owed,
                "written": list(applied.written) if applied else [],
                "removed": list(applied.removed) if applied else [],
                "backups": list(applied.backups) if applied else [],
                "repaired": list(applied.repaired) if applied else [],
            }
        )
    return {
        "dry_run": outcome.dry_run,
        "restart": outcome.restart,
        "parallel": outcome.parallel,
        "seconds": round(outcome.seconds, 3),
        "backup": outcome.stamp,
        "hosts": hosts,
    }
