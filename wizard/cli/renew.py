"""`renew`: re-issue what differs from cluster.toml under the existing CA, or `--undo` a backup."""

from __future__ import annotations

import argparse

from wizard.cli.common import (
    add_spec_arguments,
    add_wait_argument,
    busy_words,
    load_valid_spec,
    print_json,
    print_result,
    refuse,
    say_takeover,
    say_waiting,
)
from wizard.exit_codes import OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `renew` subcommand."""
    renew = commands.add_parser(
        "renew",
        help="re-issue what changed in cluster.toml, under the existing CA, with a backup",
        description="Compare the certificates in DIR with what cluster.toml asks for now (SANs, "
        "subject, usages, key, validity) and re-issue what differs — always under the existing "
        "CA, which is never touched. Prints a diff first, writes atomically with the old files "
        "moved to DIR/backup-<timestamp>/, then says which hosts get which files and what "
        "restarts. Exit code: 0 done or nothing to do, 1 refused.",
    )
    add_spec_arguments(renew)
    renew.add_argument(
        "--only",
        nargs="+",
        action="extend",
        metavar="NAME",
        help="re-issue just these (entry names such as kubernetes, or file names such as "
        "kubernetes.pem), even when they match cluster.toml",
    )
    renew.add_argument(
        "--keep-key",
        action="store_true",
        help="sign the existing private keys again instead of making new ones",
    )
    renew.add_argument(
        "--expiry",
        metavar="DUR",
        help="lifetime of the renewed certificates as a Go duration (e.g. 8760h); refused if "
        "they would outlive their CA (default: expiry.cert, capped at the CA's end)",
    )
    renew.add_argument(
        "--within",
        type=int,
        metavar="DAYS",
        help="re-issue the certificates that expire within DAYS days",
    )
    renew.add_argument(
        "--dry-run", action="store_true", help="print the diff and the plan; write nothing"
    )
    renew.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    renew.add_argument(
        "--undo",
        metavar="BACKUP",
        help="restore DIR/BACKUP (a backup-<timestamp> folder), the current files going to a "
        "new backup first",
    )
    add_wait_argument(renew)


def run(args: argparse.Namespace) -> int:
    """Plan, print the diff, write (unless --dry-run), then the redistribution."""
    from wizard.renew import RenewError
    from wizard.store.lock import DirectoryBusy, LockError

    try:
        return _undo(args) if args.undo is not None else _renew(args)
    except DirectoryBusy as busy:
        return refuse(busy_words(busy))
    except (RenewError, LockError) as error:
        return refuse(str(error))


def _renew(args: argparse.Namespace) -> int:
    from wizard.jobs.renewal import RenewalRequest, run_renewal
    from wizard.renew import plan_lines, plan_to_json, redistribution_lines, result_lines

    spec = load_valid_spec(args.config, args.profile)
    request = RenewalRequest(
        spec,
        args.output,
        only=tuple(args.only or ()),
        keep_key=args.keep_key,
        expiry=args.expiry,
        within=args.within,
        dry_run=args.dry_run,
    )
    outcome = run_renewal(request, wait=args.wait, on_wait=say_waiting)
    if outcome.lock is not None:
        say_takeover(outcome.lock)
    plan, redistribution, result = outcome.plan, outcome.redistribution, outcome.result
    if args.json:
        print_json(plan_to_json(plan, redistribution, dry_run=args.dry_run, result=result))
        return OK
    print("\n".join(plan_lines(plan)))
    if not plan.nothing_to_do:
        print()
        print(
            "Redistribution — only the changed files:"
            if result
            else "Redistribution it would need — only the changed files:"
        )
        print("\n".join(redistribution_lines(redistribution)))
        print()
        print("\n".join(result_lines(result)) if result else "Dry run: nothing was written.")
    return OK


def _undo(args: argparse.Namespace) -> int:
    from wizard.jobs.renewal import run_undo
    from wizard.renew import undo_lines, undo_to_json

    extra = [
        flag
        for flag, used in (
            ("--only", args.only),
            ("--keep-key", args.keep_key),
            ("--expiry", args.expiry),
            ("--within", args.within is not None),
        )
        if used
    ]
    if extra:
        return refuse(f"--undo restores a backup as it is — drop {', '.join(extra)}")
    outcome = run_undo(
        args.output, args.undo, dry_run=args.dry_run, wait=args.wait, on_wait=say_waiting
    )
    if outcome.lock is not None:
        say_takeover(outcome.lock)
    if args.json:
        print_json(undo_to_json(outcome.plan, dry_run=args.dry_run, result=outcome.result))
        return OK
    print("\n".join(undo_lines(outcome.plan, dry_run=args.dry_run)))
    if outcome.result is not None:
        print_result(outcome.result)
    return OK
