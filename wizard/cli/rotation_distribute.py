"""`distribute --rotation KIND`: the last written phase's host steps, run and reported (the
job is wizard.jobs.rotation_distribution, its words wizard.jobs.rotation_hosts)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from wizard.cli.common import print_json, refuse, run_cancellable
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

    outcome, error, interrupted = run_cancellable(
        lambda cancel: run_rotation_distribution(request, on_progress=progress, cancel=cancel),
        (RotateError, DistributeError, FileNotFoundError),
        f"the step running stops now; `{rerun}` resumes it",
        "distribute-rotation",
    )
    if error:
        return refuse(error)
    from wizard.jobs.rotation_distribution import RotationDistributionOutcome, outcome_to_json
    from wizard.jobs.rotation_hosts import outcome_lines

    assert isinstance(outcome, RotationDistributionOutcome)
    if args.json:
        print_json(outcome_to_json(outcome, rerun))
    else:
        print("\n".join(outcome_lines(outcome, rerun)))
    if interrupted:
        return INTERRUPTED
    return OK if outcome.finished or outcome.dry_run else HOSTS_FAILED
