"""`check`: read back from every host what is deployed and compare it with the set — one table
with a NODE column, or --json / --format as `review` prints them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.cli.common import DEFAULT_OUTPUT, load_valid_spec, refuse

if TYPE_CHECKING:
    from wizard.fleet.check import HostCheck
    from wizard.jobs.checking import FleetRequest
    from wizard.review import Review


def add_fleet_arguments(parser: argparse.ArgumentParser, parallel_help: str) -> None:
    """-c, -o, --hosts, --parallel, --json and --format, as check and probe take them."""
    from wizard.cli.review import FORMATS

    parser.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="the cluster file (default: cluster.toml)",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=Path(DEFAULT_OUTPUT),
        metavar="DIR",
        type=Path,
        help=f"the directory generate wrote (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--hosts",
        action="append",
        default=[],
        metavar="HOST[,HOST…]",
        help="only these hosts (address or name; repeat or separate with commas)",
    )
    parser.add_argument("--parallel", type=int, default=None, metavar="N", help=parallel_help)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="plain (default), json, prometheus or kubeadm — as review prints them",
    )


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `check` subcommand."""
    check = commands.add_parser(
        "check",
        help="read back what each host has over SSH and compare it with the set",
        description="Over the operator's own SSH (cluster.toml's [deploy]), read back from "
        "every host the mode, owner, sha256 and certificates of the files its plan names and of "
        "every *.pem, *.key, *.crt and kubeconfig beside them — never a private key's bytes — "
        "and compare with DIR: missing, different, stale (an older certificate of the same "
        "subject), extra key material (a CA or admin key where the plan puts none), wrong mode "
        "or owner. During a CA rotation (rotate-ca), a host whose trust file and leaves are of an "
        "earlier phase than DIR's is `rotation-behind` (one of a later phase, after an --undo, "
        "`rotation-ahead`), naming both phases and the fix. Exit code: 0 clean, 1 warnings "
        "only, 2 errors (an unreachable host is one).",
    )
    add_fleet_arguments(check, "hosts at once (default: [deploy].parallel, 10)")


def fleet_request(args: argparse.Namespace) -> FleetRequest:
    """The job's request from the parsed arguments (refuses a bad -c or --parallel)."""
    from wizard.cli.common import stop
    from wizard.deploy import MAX_PARALLEL
    from wizard.jobs.checking import FleetRequest

    spec = load_valid_spec(args.config)
    if args.parallel is not None and not 1 <= args.parallel <= MAX_PARALLEL:
        stop(f"--parallel {args.parallel}: use 1 to {MAX_PARALLEL}")
    hosts = tuple(h.strip() for item in args.hosts for h in item.split(",") if h.strip())
    return FleetRequest(spec, args.output, hosts, args.parallel)


def print_fleet_review(review: Review, args: argparse.Namespace) -> int:
    """Print the review in the format asked and return review's exit code for it."""
    from wizard.cli.review import print_review, render_review
    from wizard.exit_codes import review_exit_code

    output_format = args.format or ("json" if args.json else "plain")
    if output_format == "plain":
        print_review(review, files=False)
    else:
        sys.stdout.write(render_review(review, output_format))
    return review_exit_code(review)


def run(args: argparse.Namespace) -> int:
    """Check every host; the exit code says how bad the worst finding is."""
    from wizard.jobs.checking import CheckRefused, run_check

    request = fleet_request(args)

    def progress(host: HostCheck) -> None:
        worst = host.worst or "clean"
        said = host.error or worst
        print(f"  {host.target.label}: {said} ({host.seconds:.1f} s)", file=sys.stderr)

    try:
        result = run_check(request, on_host=progress)
    except CheckRefused as error:
        return refuse(str(error))
    except FileNotFoundError as error:
        return refuse(str(error))
    slowest = max(result.hosts, key=lambda h: h.seconds, default=None)
    print(
        f"checked {len(result.hosts)} hosts in {result.seconds:.1f} s, {result.parallel} at "
        "once" + (f"; slowest {slowest.target.label} {slowest.seconds:.1f} s" if slowest else ""),
        file=sys.stderr,
    )
    return print_fleet_review(result.review, args)
