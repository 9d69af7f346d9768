"""A written phase's host steps in words, for both faces: what `distribute --rotation` prints
(its --dry-run plan, the steps as run, the summary of how the run ended) and whether the last
written phase still waits for its hosts. The command line prints these lines; the Rotate screen
shows the same ones (wizard.tui.screens.rotation_hosts), so an outcome reads alike in both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wizard.jobs.rotation_distribution import RotationDistributionOutcome, StepState
from wizard.rotate import CaKind, Phase, target_for
from wizard.rotate.progress import read_record, record_name, step_key, written_phase
from wizard.spec import ClusterSpec


def outcome_lines(outcome: RotationDistributionOutcome, rerun: str) -> list[str]:
    """The run in words: warnings first, the steps, then what was and was not done."""
    return step_lines(outcome) + [""] + summary_lines(outcome, rerun)


def step_lines(outcome: RotationDistributionOutcome) -> list[str]:
    """The warnings, who leads etcd, and each step wave by wave with its state."""
    lines = [f"WARNING: {w}" for w in outcome.warnings]
    lines += outcome.leaders
    head = "would run" if outcome.dry_run else "ran"
    lines.append(f"{outcome.kind} rotation, phase {outcome.phase}: {head} these host steps")
    wave = None
    for report in outcome.steps:
        step = report.step
        if step.wave != wave:
            wave = step.wave
            lines.append(f"wave {step.wave}: {step.wave_title}")
        restart = f"; restart {', '.join(step.restart)}" if step.restart else ""
        files = f"{len(step.files)} file{'' if len(step.files) == 1 else 's'}"
        lines.append(
            f"  {report.label}: {files}{restart} — {report.state}"
            + (f" ({report.seconds:.1f} s)" if report.seconds else "")
        )
    return lines


def summary_lines(outcome: RotationDistributionOutcome, rerun: str) -> list[str]:
    """How the run ended: dry run, done everywhere, or where it stopped and how to resume."""
    done, left = outcome.done, outcome.left
    if outcome.dry_run:
        return [
            f"dry run: nothing was changed; {len(done)} of {len(outcome.steps)} steps are done "
            f"(record {outcome.record})"
        ]
    if outcome.finished:
        return [
            f"phase {outcome.phase} is on every host: {len(done)} steps done in "
            f"{outcome.seconds:.1f} s (record {outcome.record})"
        ]
    lines = []
    stopped = outcome.stopped
    if stopped is not None:
        lines.append(f"stopped at {stopped.label} ({stopped.state}): {stopped.error}")
        did = []
        if stopped.written or stopped.kept:
            did.append(f"its files were placed ({len(stopped.written)} written)")
        if stopped.restarted:
            did.append(f"restarted and healthy: {', '.join(stopped.restarted)}")
        if stopped.drained:
            did.append("it is still out of the load balancer")
        if did:
            lines.append("  on that host: " + "; ".join(did))
    lines.append(f"done: {len(done)} steps; not done: {len(left)} — " + ", ".join(
        f"wave {r.step.wave} {r.label}" for r in left
    ))  # fmt: skip
    if stopped is not None and stopped.state == StepState.CANCELLED:
        lines.append(f"cancelled; to resume, rerun: {rerun} (the steps done are not redone)")
    else:
        lines.append(f"fix it, then rerun: {rerun} (the steps done are not redone)")
    return lines


@dataclass(frozen=True)
class PendingPhase:
    """The last written phase while some of its host steps are not done."""

    kind: CaKind
    phase: Phase
    steps: int
    done: int
    record: Path

    @property
    def begun(self) -> bool:
        """True when a run did some of its steps (the record says so)."""
        return self.done > 0

    def words(self) -> str:
        """`phase prepare is written but not on every host: 3 of 11 host steps done`."""
        return (
            f"phase {self.phase} of --ca {self.kind} is written but not on every host: "
            f"{self.done} of {self.steps} host steps done"
        )


def pending_phase(
    spec: ClusterSpec, directory: Path, kind: CaKind, *, clients_only: bool = False
) -> PendingPhase | None:
    """The last written phase when its host steps are not all done (None before the first
    phase, when every step is done, or when it has no host step). Reads the directory only:
    no host and no etcd member is asked. RotateError when the target or the record cannot
    be read."""
    directory = Path(directory).absolute()
    target = target_for(kind, spec, directory, clients_only=clients_only)
    found = written_phase(directory, target)
    if found is None:
        return None
    written, phase, steps = found
    keys = {step_key(step) for step in steps}
    record = read_record(directory, target)
    done = 0
    if record is not None and record.written == written and record.phase is phase:
        done = len(keys & set(record.done))
    if not keys or done == len(keys):
        return None
    return PendingPhase(kind, phase, len(keys), done, directory / record_name(target))


__all__ = ["PendingPhase", "outcome_lines", "pending_phase", "step_lines", "summary_lines"]
