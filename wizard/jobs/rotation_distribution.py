"""`distribute --rotation KIND` as a job: the last phase rotate-ca wrote, carried out on the
hosts step by step — wave by wave, one host at a time, each host's files placed atomically
(distribute's apply: backup, journal, owed-restart record), its units restarted and checked
before the next host. The etcd member that leads goes last in its wave (the members are asked;
when none answers the plan's order stays and the report says so). An apiserver is taken out of
the load balancer first and put back after its check, when [deploy] says how
(drain_command / undrain_command, run here on the jump host).

After each step the progress record in the directory (wizard.rotate.progress) is rewritten, so
a rerun after a kill resumes at the first step not done; an unreachable host or a failed
restart stops the run before the next host."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from wizard.distribution import plan_distribution
from wizard.fleet.distribute import (
    ApplyResult,
    DistributeError,
    HostUnreachable,
    RestartCommands,
    RestartFailed,
    apply,
    diff,
    host_files,
    read_inventory,
    restart,
)
from wizard.fleet.rotation_steps import (
    JumpRunner,
    etcd_client,
    filled,
    is_apiserver_step,
    is_etcd_step,
    leader_last,
    leader_of,
    run_here,
    step_clears,
    step_files,
    step_records,
)
from wizard.fleet.ssh import Cancelled, RemoteResult, ssh_client
from wizard.fleet.ssh import Target as Remote
from wizard.jobs.distribution import ClientFactory
from wizard.rotate import CaKind, HostStep, Phase, RotateError, Target, target_for
from wizard.rotate.progress import (
    RotationRecord,
    now_text,
    record_for,
    record_name,
    step_key,
    write_record,
    written_phase,
)
from wizard.spec import ClusterSpec
from wizard.store import backup_name
from wizard.store.lock import DirectoryLock, LockHolder, directory_lock

ETCD_SETTLE_SECONDS = 5.0  # after a member is healthy, before the next one stops (the plan's)
DRAIN_SECONDS = 1.0  # after a drain and after an undrain, for the balancer to act on it
CANCELLED_DURING = (
    "cancelled during this step: the command running on the host was stopped — the step is "
    "not done, and a rerun does it again (placing a file again is harmless)"
)

NO_DRAIN_WARNING = (
    "deploy.drain_command is not set: each kube-apiserver restarts while the load balancer may "
    "still send it requests — clients through the VIP may see errors during each apiserver "
    "restart (until the balancer's own health check notices). Set deploy.drain_command and "
    "deploy.undrain_command ({name} {address}: the master) to take it out first."
)


@dataclass(frozen=True)
class RotationDistributionRequest:
    """What `distribute --rotation` was asked."""

    spec: ClusterSpec
    directory: Path
    kind: CaKind
    clients_only: bool = False
    dry_run: bool = False
    restart_commands: RestartCommands | None = None  # None: [deploy]'s, or systemd's
    etcd_settle_seconds: float = ETCD_SETTLE_SECONDS
    drain_seconds: float = DRAIN_SECONDS


class StepState:
    """Where one step is (plain strings: they go into the JSON)."""

    WAITING = "waiting"
    DONE_BEFORE = "done before"  # an earlier run did it (the record says so)
    PLACING = "placing"
    DRAINING = "draining"
    RESTARTING = "restarting"
    CHECKING = "checking"
    UNDRAINING = "undraining"
    DONE = "done"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NOT_STARTED = "not started"  # the run stopped before it


@dataclass
class StepReport:
    """One host step and what this run did with it."""

    step: HostStep
    state: str = StepState.WAITING
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    drained: bool = False
    error: str = ""
    seconds: float = 0.0

    @property
    def label(self) -> str:
        """`10.0.0.21 (master-1)`."""
        step = self.step
        return f"{step.address} ({step.name})" if step.name else step.address

    @property
    def done(self) -> bool:
        """True when the step is done (by this run or an earlier one)."""
        return self.state in (StepState.DONE, StepState.DONE_BEFORE)


@dataclass
class RotationDistributionOutcome:
    """The run: the phase, each step in the order run, and where it stopped."""

    kind: CaKind
    phase: Phase
    record: Path
    steps: list[StepReport]
    warnings: list[str]
    leaders: list[str]  # per etcd wave: who led and went last, or why the plan's order stayed
    dry_run: bool
    seconds: float = 0.0
    stopped: StepReport | None = None  # the step the run stopped at
    lock: DirectoryLock | None = None  # the directory's lock this run held (None: a dry run)

    @property
    def finished(self) -> bool:
        """True when every step is done."""
        return all(report.done for report in self.steps)

    @property
    def done(self) -> list[StepReport]:
        """The steps done, by this run or before."""
        return [r for r in self.steps if r.done]

    @property
    def left(self) -> list[StepReport]:
        """The steps not done."""
        return [r for r in self.steps if not r.done]


ProgressCallback = Callable[[StepReport], None]


def run_rotation_distribution(
    request: RotationDistributionRequest,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    client: ClientFactory = ssh_client,
    jump: JumpRunner = run_here,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    wait: bool = False,
    on_wait: Callable[[LockHolder | None, float], None] | None = None,
) -> RotationDistributionOutcome:
    """Carry out the last written phase's host steps, resuming after the steps the record
    says are done. RotateError / DistributeError (in words) before any host is reached when
    there is no phase or the set cannot be read; a host's failure ends the run at that step
    (its report says what was and was not done). Unless a dry run, the directory's lock is
    held for the whole run: lock.DirectoryBusy (or LockError) when another run writes it —
    with `wait`, `on_wait(holder, seconds)` about every second until it is free."""
    directory = Path(request.directory).absolute()
    if not directory.is_dir():
        raise RotateError(
            f"{directory} is not a directory — give the DIR rotate-ca -o wrote the phase into"
        )
    if request.dry_run:
        return _run(request, on_progress, cancel, client, jump, now, sleep)
    with directory_lock(directory, wait=wait, on_wait=on_wait, cancel=cancel) as held:
        outcome = _run(request, on_progress, cancel, client, jump, now, sleep)
        outcome.lock = held
    return outcome


def _run(
    request: RotationDistributionRequest,
    on_progress: ProgressCallback | None,
    cancel: threading.Event | None,
    client: ClientFactory,
    jump: JumpRunner,
    now: datetime | None,
    sleep: Callable[[float], None],
) -> RotationDistributionOutcome:
    started = time.monotonic()
    directory = Path(request.directory).absolute()
    spec = request.spec
    settings = spec.deploy
    target = target_for(request.kind, spec, directory, clients_only=request.clients_only)
    found = written_phase(directory, target)
    if found is None:
        raise RotateError(_nothing_written(request, directory, target))
    written, phase, steps = found
    record = record_for(directory, target, phase, written, steps)
    reports = [StepReport(s) for s in steps]
    for report in reports:
        if step_key(report.step) in record.done:
            report.state = StepState.DONE_BEFORE
    warnings: list[str] = []
    if any(is_apiserver_step(s, settings) for s in steps) and not settings.drain_command:
        warnings.append(NO_DRAIN_WARNING)
    outcome = RotationDistributionOutcome(
        request.kind, phase, directory / record_name(target), reports, warnings, [],
        request.dry_run,
    )  # fmt: skip
    try:
        etcd_target: Target | None = target_for(CaKind.ETCD, spec, directory)
    except RotateError:
        etcd_target = None
    every = {h.address: h for h in host_files(spec, directory, settings)}
    plans = {p.address: p for p in plan_distribution(spec)}
    ordered = _ordered(
        reports,
        settings,
        lambda members: _leader(spec, directory, etcd_target, members, jump, outcome),
    )
    outcome.steps = ordered
    if request.dry_run:
        outcome.seconds = time.monotonic() - started
        return outcome
    if not record.done:
        write_record(directory, target, record)  # the run began: rotate-ca waits for it
    commands = request.restart_commands or RestartCommands.of(settings)
    stamp = backup_name(now or datetime.now(UTC))
    addresses = sorted({s.address for s in steps})
    targets = {
        a: Remote(a, every[a].name if a in every else "", x.ssh, x.user, x.port)
        for a in addresses
        for x in [settings.access_of(a)]
    }

    def say(report: StepReport, state: str) -> None:
        report.state = state
        if on_progress is not None:
            on_progress(report)

    with client(settings, list(targets.values())) as ssh:
        for report in ordered:
            if report.done:
                continue
            if cancel is not None and cancel.is_set():
                _stop(outcome, report, StepState.CANCELLED, "cancelled before this step", say)
                break
            began = time.monotonic()
            remote = targets[report.step.address]

            def run(script: str, stdin: bytes, remote: Remote = remote) -> RemoteResult:
                return ssh.run(remote, script, stdin=stdin, timeout=600, cancel=cancel)

            try:
                _one_step(report, run, request, every, plans, commands, stamp, jump, etcd_target,
                          sleep, say)  # fmt: skip
            except HostUnreachable as error:
                _stop(outcome, report, StepState.UNREACHABLE, str(error), say)
                break
            except Cancelled:  # ssh stopped the command running on the host
                _stop(outcome, report, StepState.CANCELLED, CANCELLED_DURING, say)
                break
            except DistributeError as error:
                _stop(outcome, report, StepState.FAILED, str(error), say)
                break
            finally:
                report.seconds = time.monotonic() - began
            record.done[step_key(report.step)] = now_text()
            write_record(directory, target, record)
            say(report, StepState.DONE)
    for report in ordered:
        if not report.done and report.state == StepState.WAITING:
            report.state = StepState.NOT_STARTED
    outcome.seconds = time.monotonic() - started
    return outcome


def _nothing_written(request: RotationDistributionRequest, directory: Path, target: Target) -> str:
    """Why there is nothing to distribute — and, when the other rotation of this CA (its
    client trust, or the whole CA) has a phase written, that --clients-only is the fix."""
    clients = " --clients-only" if request.clients_only else ""
    words = (
        f"{directory}: no phase of the {target.entry.title} rotation{clients} is written — run "
        f"`k8s-cert-wizard rotate-ca -o {directory} --ca {request.kind}{clients}` first"
    )
    try:
        other = target_for(
            request.kind, request.spec, directory, clients_only=not request.clients_only
        )
        written = written_phase(directory, other)
    except RotateError:
        return words
    if written is None:
        return words
    if request.clients_only:
        return (
            f"{words}; the phase written is {written[1]} of the whole {target.entry.title} "
            "rotation — drop --clients-only"
        )
    return (
        f"{words}; the phase written is {written[1]} of the --clients-only rotation — add "
        "--clients-only"
    )


def _stop(
    outcome: RotationDistributionOutcome,
    report: StepReport,
    state: str,
    error: str,
    say: Callable[[StepReport, str], None],
) -> None:
    report.error = error
    outcome.stopped = report
    say(report, state)


def _leader(
    spec: ClusterSpec,
    directory: Path,
    etcd_target: Target | None,
    members: list[str],
    jump: JumpRunner,
    outcome: RotationDistributionOutcome,
) -> str:
    """Who leads etcd now ("" when nobody says; the outcome's `leaders` say why)."""
    client = None if etcd_target is None else etcd_client(spec, directory, etcd_target)
    if client is None:
        outcome.leaders.append(
            "the etcd leader was not asked (no etcdctl on this jump host, or no etcd client "
            "certificate in the set): the members restart in the plan's order"
        )
        return ""
    leader, why = leader_of(client, members, jump)
    if leader:
        outcome.leaders.append(f"etcd leader {leader}: restarted last in its wave")
    else:
        outcome.leaders.append(f"etcd leader unknown — {why}: the plan's order is kept")
    return leader


def _ordered(
    reports: list[StepReport],
    settings,  # noqa: ANN001
    leader: Callable[[list[str]], str],
) -> list[StepReport]:
    """The steps in run order: the plan's, with each etcd wave's leader (among the steps
    left) last. The leader is asked once per etcd wave that has steps left."""
    ordered: list[StepReport] = []
    waves: dict[int, list[StepReport]] = {}
    for report in reports:
        waves.setdefault(report.step.wave, []).append(report)
    for wave in sorted(waves):
        members = waves[wave]
        left = [r for r in members if not r.done and is_etcd_step(r.step, settings)]
        if len(left) > 1:
            who = leader([r.step.address for r in left])
            if who:
                last = leader_last([r.step for r in members], who)
                members = sorted(members, key=lambda r: last.index(r.step))
        ordered += members
    return ordered


def _one_step(
    report: StepReport,
    run: Callable[[str, bytes], RemoteResult],
    request: RotationDistributionRequest,
    every: dict,
    plans: dict,
    commands: RestartCommands,
    stamp: str,
    jump: JumpRunner,
    etcd_target: Target | None,
    sleep: Callable[[float], None],
    say: Callable[[StepReport, str], None],
) -> None:
    """Place the step's files, drain, restart and check, undrain. Raises DistributeError."""
    step, settings = report.step, request.spec.deploy
    full = every.get(step.address)
    if full is None:
        raise DistributeError(
            f"{report.label} is in the phase's plan but not a host of cluster.toml now — "
            "put it back in cluster.toml, or undo the phase (rotate-ca --undo)"
        )
    mine = step_files(step, request.directory, full, plans.get(step.address), settings)
    if mine.files:
        say(report, StepState.PLACING)
        change = diff(mine, read_inventory(run, mine))
        applied: ApplyResult = apply(run, change, stamp)
        report.written, report.kept = list(applied.written), list(applied.kept)
    if not step.restart:
        return
    drain = is_apiserver_step(step, settings) and bool(settings.drain_command)
    if drain:
        say(report, StepState.DRAINING)
        _jump(jump, filled(settings.drain_command, step), "deploy.drain_command", report)
        report.drained = True
        sleep(request.drain_seconds)
    say(report, StepState.RESTARTING)
    try:
        report.restarted = restart(
            run, mine, list(step.restart), commands, clears=step_clears(step, settings),
            records=step_records(mine, full),
        )  # fmt: skip
    except RestartFailed as error:
        report.restarted = error.healthy
        if str(error).startswith("unreachable"):
            raise HostUnreachable(str(error)) from None
        kept_out = " — it stays out of the load balancer until a rerun" if drain else ""
        raise DistributeError(f"{error}{kept_out}") from None
    if is_etcd_step(step, settings):
        say(report, StepState.CHECKING)
        _etcd_healthy(request, step, jump, etcd_target, commands.wait_seconds, sleep, report)
    if drain:
        say(report, StepState.UNDRAINING)
        _jump(jump, filled(settings.undrain_command, step), "deploy.undrain_command", report)
        report.drained = False
        sleep(request.drain_seconds)


def _jump(jump: JumpRunner, command: str, name: str, report: StepReport) -> None:
    result = jump(command, 120)
    if result.returncode != 0:
        raise DistributeError(f"{name} failed for {report.label} ({result.reason()}): {command}")


def _etcd_healthy(
    request: RotationDistributionRequest,
    step: HostStep,
    jump: JumpRunner,
    etcd_target: Target | None,
    wait_seconds: int,
    sleep: Callable[[float], None],
    report: StepReport,
) -> None:
    """The member answers `etcdctl endpoint health` (when etcdctl is here), then settles."""
    client = (
        None if etcd_target is None else etcd_client(request.spec, request.directory, etcd_target)
    )
    if client is not None:
        deadline = time.monotonic() + wait_seconds
        while True:
            result = jump(client.argv([step.address], "endpoint", "health"), 30)
            if result.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise DistributeError(
                    f"{report.label}: etcd is not healthy {wait_seconds} s after its restart "
                    f"({result.reason()}) — look at its log; the next member was not touched"
                )
            sleep(2)
    sleep(request.etcd_settle_seconds)


def rerun_command(request: RotationDistributionRequest, config: str) -> str:
    """The command that resumes this run."""
    clients = " --clients-only" if request.clients_only else ""
    return (
        f"k8s-cert-wizard distribute -c {config} {request.directory} "
        f"--rotation {request.kind}{clients}"
    )


def outcome_to_json(outcome: RotationDistributionOutcome, rerun: str) -> dict[str, object]:
    """The run as plain data (`distribute --rotation --json`)."""
    stopped = outcome.stopped
    return {
        "ca": str(outcome.kind),
        "phase": str(outcome.phase),
        "record": str(outcome.record),
        "dry_run": outcome.dry_run,
        "finished": outcome.finished,
        "warnings": outcome.warnings,
        "leaders": outcome.leaders,
        "seconds": round(outcome.seconds, 3),
        "stopped": None
        if stopped is None
        else {
            "address": stopped.step.address,
            "name": stopped.step.name,
            "state": stopped.state,
            "error": stopped.error,
        },  # fmt: skip
        "rerun": "" if outcome.finished or outcome.dry_run else rerun,
        "steps": [
            {
                "wave": r.step.wave,
                "wave_title": r.step.wave_title,
                "address": r.step.address,
                "name": r.step.name,
                "files": [f.destination for f in r.step.files],
                "restart": list(r.step.restart),
                "state": r.state,
                "written": r.written,
                "kept": r.kept,
                "restarted": r.restarted,
                "drained": r.drained,
                "error": r.error,
                "seconds": round(r.seconds, 3),
            }
            for r in outcome.steps
        ],
    }


__all__ = [
    "NO_DRAIN_WARNING",
    "RotationDistributionOutcome",
    "RotationDistributionRequest",
    "RotationRecord",
    "StepReport",
    "StepState",
    "outcome_to_json",
    "rerun_command",
    "run_rotation_distribution",
]
