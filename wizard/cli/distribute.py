"""`distribute`: place each host's files over SSH — a diff first, then an atomic swap with a
backup on the host, the restarts listed (run with --restart); or `--export ansible DIR`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.cli.common import (
    add_spec_arguments,
    load_valid_spec,
    print_json,
    refuse,
    run_cancellable,
)
from wizard.exit_codes import HOSTS_FAILED, INTERRUPTED, OK

if TYPE_CHECKING:
    from wizard.jobs.distribution import DistributionOutcome, HostProgress, HostReport


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `distribute` subcommand."""
    distribute = commands.add_parser(
        "distribute",
        help="copy each host's files over SSH (diff, backup, atomic swap; --restart)",
        description="Place on every host exactly the files the plan gives it (DISTRIBUTION.md), "
        "with [deploy]'s owner and the plan's modes, over the operator's own OpenSSH "
        "(~/.ssh/config, agent, known_hosts). Prints a diff per host first; on the host the old "
        "files are copied into backup-<time>/ beside them and the new ones swapped in "
        "atomically (temporary name, fsync, rename; a key and its certificate back to back). "
        "A run that was interrupted is completed by the next. The restarts each host needs are "
        "listed, and run only with --restart (etcd members and masters one at a time, each "
        "waited for); a host remembers the ones not run (needs restart: placed earlier, not "
        "restarted) until a --restart finds them healthy. Exit code: 0 done, 1 refused, 2 some "
        "hosts failed or were unreachable, 130 interrupted.",
    )
    add_spec_arguments(distribute)
    distribute.add_argument(
        "directory",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="the output directory (the same as -o DIR)",
    )
    distribute.add_argument(
        "--rotation",
        metavar="KIND",
        choices=("cluster", "etcd", "front-proxy", "sa"),
        help="carry out the last phase rotate-ca --ca KIND wrote into DIR: its host steps wave "
        "by wave, one host at a time (files, restarts, the check before the next host; the etcd "
        "leader last; apiservers drained with [deploy] drain_command/undrain_command). Resumes "
        "after a kill at the first step not done (DIR/.kcw-rotation-*.json)",
    )
    distribute.add_argument(
        "--clients-only",
        action="store_true",
        help="--rotation cluster: the phase of rotate-ca --clients-only",
    )
    distribute.add_argument(
        "--hosts",
        metavar="A,B",
        help="only these hosts (addresses or names from cluster.toml, comma-separated)",
    )
    distribute.add_argument(
        "--dry-run", action="store_true", help="read the hosts and print the diff; change nothing"
    )
    distribute.add_argument(
        "--restart",
        action="store_true",
        help="restart the units that read a changed file, and those an earlier run placed "
        "files for without restarting ([deploy.units], restart_command), etcd members and "
        "masters one at a time, waiting for health",
    )
    distribute.add_argument(
        "--prune",
        action="store_true",
        help="also remove the set's files a host must not have (moved into the backup; a CA "
        "key on a host that is not a master is deleted)",
    )
    distribute.add_argument(
        "--wait",
        action="store_true",
        help="--rotation: if another run is writing DIR (rotate-ca, renew, generate), wait for "
        "it to finish (default: refuse at once)",
    )
    distribute.add_argument("--json", action="store_true", help="print one JSON object")
    distribute.add_argument(
        "--export",
        nargs=2,
        metavar=("ansible", "DIR"),
        help="write an Ansible inventory and playbook doing the same into DIR, instead of "
        "connecting to the hosts",
    )


def run(args: argparse.Namespace) -> int:
    """Load the cluster file, then export or distribute and print per host."""
    from wizard.fleet.distribute import DistributeError

    if args.directory is not None:
        args.output = args.directory
    if args.clients_only and args.rotation != "cluster":
        return refuse(
            "--clients-only goes with --rotation cluster — add it, or drop --clients-only"
        )
    if getattr(args, "wait", False) and args.rotation is None:
        return refuse(
            "--wait goes with --rotation (distribute without it writes nothing into DIR) — "
            "drop --wait"
        )
    spec = load_valid_spec(args.config, args.profile)
    hosts = tuple(h.strip() for h in (args.hosts or "").split(",") if h.strip())
    if args.rotation is not None:
        for flag, used in (
            ("--hosts", hosts), ("--prune", args.prune), ("--export", args.export is not None),
            ("--restart", args.restart),
        ):  # fmt: skip
            if used:
                words = (
                    "restarts are part of each step"
                    if flag == "--restart"
                    else ("the phase's plan says which hosts get what")
                )
                return refuse(f"--rotation runs the phase's own host steps ({words}) — drop {flag}")
        from wizard.cli.rotation_distribute import run_rotation_command

        return run_rotation_command(args, spec)
    if args.export is not None:
        return _export(args, spec, hosts)
    from wizard.jobs.distribution import DistributionRequest, Phase, run_distribution

    request = DistributionRequest(
        spec,
        args.output,
        hosts=hosts,
        dry_run=args.dry_run,
        restart=args.restart,
        prune=args.prune,
    )

    def progress(step: HostProgress) -> None:
        if not args.json:
            quiet = step.phase in (Phase.UNREACHABLE, Phase.FAILED)  # the summary says why
            detail = f": {step.detail}" if step.detail and not quiet else ""
            print(f"  {step.label}: {step.phase.value}{detail}", file=sys.stderr, flush=True)

    outcome, error, interrupted = run_cancellable(
        lambda cancel: run_distribution(request, on_progress=progress, cancel=cancel),
        (DistributeError, FileNotFoundError),
        "the hosts being written stop now; run distribute again to complete them",
        "distribute",
    )
    if error:
        return refuse(error)
    from wizard.jobs.distribution import DistributionOutcome, outcome_to_json

    assert isinstance(outcome, DistributionOutcome)
    if args.json:
        print_json(outcome_to_json(outcome))
    else:
        _print_outcome(outcome, args.prune, f"-c {args.config} -o {args.output}")
    if interrupted:
        return INTERRUPTED
    return HOSTS_FAILED if outcome.failed else OK


def _export(args: argparse.Namespace, spec: object, hosts: tuple[str, ...]) -> int:
    from wizard.fleet.ansible import INVENTORY, PLAYBOOK, export_ansible
    from wizard.fleet.distribute import DistributeError, host_files
    from wizard.jobs.distribution import select_hosts
    from wizard.spec import ClusterSpec
    from wizard.store import StoreError

    assert isinstance(spec, ClusterSpec)
    kind, directory = args.export
    if kind != "ansible":
        return refuse(f"--export {kind}: unknown format — the one there is: --export ansible DIR")
    for flag, used in (("--dry-run", args.dry_run), ("--restart", args.restart)):
        if used:
            return refuse(
                f"--export writes files and connects to nothing — drop {flag} (the playbook "
                "restarts with -e kcw_restart=true)"
            )
    try:
        chosen = select_hosts(host_files(spec, args.output, spec.deploy), hosts)
        export = export_ansible(chosen, spec.deploy, Path(directory))
    except (DistributeError, StoreError) as error:
        return refuse(str(error))
    if args.json:
        print_json({"directory": str(export.directory), "written": list(export.written)})
        return OK
    if export.backup:
        print(f"moved the earlier export's changed files to {export.backup}")
    print(f"wrote {len(export.written)} files to {export.directory} for {len(chosen)} hosts")
    print(
        f"  check: ansible-playbook -i {export.directory / INVENTORY} "
        f"{export.directory / PLAYBOOK} --check --diff"
    )
    print(f"  apply and restart: … {PLAYBOOK} -e kcw_restart=true")
    return OK


def _print_outcome(outcome: DistributionOutcome, prune: bool, files: str = "") -> None:
    from wizard.fleet.distribute import Status
    from wizard.fleet.inventory import OWED

    for report in outcome.hosts:
        print(_host_title(report))
        if report.diff is not None:
            for change in report.diff.changes:
                if change.status is Status.UNCHANGED:
                    continue
                mode = f" {change.planned.mode:04o}" if change.planned else ""
                why = f" ({change.reason})" if change.reason else ""
                tail = ""
                if change.status is Status.REMOVED and not prune:
                    tail = " — add --prune to remove it"
                print(f"  {change.status.value:<16} {change.destination}{mode}{why}{tail}")
            unchanged = len(report.diff.with_status(Status.UNCHANGED))
            if unchanged:
                print(f"  {'unchanged':<16} {unchanged} files")
            for mark in report.diff.interrupted:
                print(f"  {'interrupted':<16} {mark} — an earlier run stopped here; this run "
                      "completes it")  # fmt: skip
        if report.pending:
            print(f"  {OWED}: {', '.join(report.pending)}")
        applied = report.applied
        if applied is not None:
            for path in applied.repaired:
                print(f"  finished the interrupted rename of {path}")
            if applied.written:
                print(f"  placed {len(applied.written)} files")
            for path in applied.removed:
                print(f"  removed {path}")
            for folder in applied.backups:
                print(f"  old files copied to {folder}/")
        if report.units:
            if report.restarted:
                print(f"  restarted: {', '.join(report.restarted)}")
            elif outcome.restart and report.error:
                print(f"  restarts needed: {', '.join(report.units)}")
            else:
                verb = "restarts needed" if not outcome.restart else "restarts"
                hint = " (run with --restart)" if not outcome.restart else ""
                print(f"  {verb}: {', '.join(report.units)}{hint}")
        if report.error:
            print(f"  {report.error}")
        print()
    _print_summary(outcome, files)


def _host_title(report: HostReport) -> str:
    from wizard.fleet.inventory import OWED

    roles = ", ".join(report.host.roles)
    state = report.phase.value
    if report.diff is not None and report.diff.clean and report.applied is None:
        state = "has its files" if report.ok else state
        if report.ok and report.pending and not report.restarted:
            state += f", {OWED}"
    return f"{report.target.label} — {roles}: {state}"


def _print_summary(outcome: DistributionOutcome, files: str) -> None:
    hosts = len(outcome.hosts)
    per_host = sum(r.seconds for r in outcome.hosts) / hosts if hosts else 0.0
    done = "diffed (dry run: nothing changed)" if outcome.dry_run else "done"
    print(
        f"{hosts - len(outcome.failed)} of {hosts} hosts {done} in {outcome.seconds:.1f} s "
        f"({outcome.parallel} at once, {per_host:.2f} s per host)"
    )
    for report in outcome.failed:
        print(f"{report.target.label}: {report.phase.value} — {report.error}", file=sys.stderr)
    if outcome.failed:
        names = ",".join(r.target.address for r in outcome.failed)
        again = " ".join(filter(None, ["k8s-cert-wizard distribute", files, f"--hosts {names}"]))
        print(f"run again for those: {again} (the others are not redone)", file=sys.stderr)
