"""`distribute --rotation KIND`: the last written phase's host steps, run and reported (the
job is wizard.jobs.rotation_distribution)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from wizard.cli.common import (
    busy_words,
    print_json,
    refuse,
    run_cancellable,
    say_takeover,
    say_waiting,
)
from wizard.exit_codes import HOSTS_FAILED, INTERRUPTED, OK

if TYPE_CHECKING:
    from wizard.jobs.rotation_distribution import RotationDistributionOutcome, StepReport
    from wizard.spec import ClusterSpec


def run_rotation_command(args: argparse.Namespace, spec: ClusterSpec) -> int:
    """Run (or with --dry-run, list) the steps; exit 0 when every step is done, 2 when a host
    stopped the run, 130 when interrupted, 1 refused."""
    from wizard.fleet.distribute import DistributeError
    from wizard.jobs.rotation_distribution import (
        RotationDistributionRequest,
        StepState,
        rerun_command,
        run_rotation_distribution,
    )
    from wizard.rotate import CaKind, RotateError
    from wizard.store.lock import DirectoryBusy, LockError

    request = RotationDistributionRequest(
        spec,
        args.output,
        CaKind(args.rotation),
        clients_only=args.clients_only,
        dry_run=args.dry_run,
    )
    rerun = rerun_command(request, args.config)

    def progress(report: StepReport) -> None:
        if args.json or report.state in (StepState.UNREACHABLE, StepState.FAILED):
            return  # the summary says why
        step = report.step
        print(f"  wave {step.wave} {report.label}: {report.state}", file=sys.stderr, flush=True)

    busy: list[DirectoryBusy] = []

    def job(cancel):  # noqa: ANN001, ANN202 - a threading.Event
        try:
            return run_rotation_distribution(
                request,
                on_progress=progress,
                cancel=cancel,
                wait=getattr(args, "wait", False),
                on_wait=say_waiting,
            )
        except DirectoryBusy as error:
            busy.append(error)
            raise

    outcome, error, interrupted = run_cancellable(
        job,
        (RotateError, DistributeError, FileNotFoundError, DirectoryBusy, LockError),
        f"the step running stops now; `{rerun}` resumes it",
        "distribute-rotation",
    )
    if busy and interrupted:  # Ctrl-C while waiting for the lock (--wait)
        refuse(f"interrupted while waiting for {busy[0].directory} — nothing was done")
        return INTERRUPTED
    if busy:
        return refuse(busy_words(busy[0]))
    if error:
        return refuse(error)
    from wizard.jobs.rotation_distribution import RotationDistributionOutcome, outcome_to_json

    assert isinstance(outcome, RotationDistributionOutcome)
    if outcome.lock is not None:
        say_takeover(outcome.lock)
    if args.json:
        print_json(outcome_to_json(outcome, rerun))
    else:
        print("\n".join(outcome_lines(outcome, rerun)))
    if interrupted:
        return INTERRUPTED
    return OK if outcome.finished or outcome.dry_run else HOSTS_FAILED


def outcome_lines(outcome: RotationDistributionOutcome, rerun: str) -> list[str]:
    """The run in words: warnings first, the steps, then what was and was not done."""
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
        lines.append(
            f"  {report.label}: {len(step.files)} files{restart} — {report.state}"
            + (f" ({report.seconds:.1f} s)" if report.seconds else "")
        )
    done, left = outcome.done, outcome.left
    lines.append("")
    if outcome.dry_run:
        lines.append(
            f"dry run: nothing was changed; {len(done)} of {len(outcome.steps)} steps are done "
            f"(record {outcome.record})"
        )
        return lines
    if outcome.finished:
        lines.append(
            f"phase {outcome.phase} is on every host: {len(done)} steps done in "
            f"{outcome.seconds:.1f} s (record {outcome.record})"
        )
        return lines
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
    lines.append(f"fix it, then rerun: {rerun} (the steps done are not redone)")
    return lines
