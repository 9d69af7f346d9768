"""`distribute --rotation KIND`: the last written phase's host steps, run and reported (the
job is wizard.jobs.rotation_distribution, its words wizard.jobs.rotation_hosts)."""

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
    from wizard.jobs.rotation_distribution import StepReport
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
    from wizard.jobs.rotation_hosts import outcome_lines

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
