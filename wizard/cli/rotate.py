"""`rotate-ca`: rotate a CA (or the service-account key) in phases — prepare, reissue,
finalize — read from the certificates in DIR; `--undo` puts the last phase back; `--explain`
draws the phases from the catalogue."""

from __future__ import annotations

import argparse

from wizard.cli.common import (
    add_spec_arguments,
    add_wait_argument,
    busy_words,
    load_valid_spec,
    print_json,
    refuse,
    say_takeover,
    say_waiting,
)
from wizard.exit_codes import OK

KINDS = ("cluster", "etcd", "front-proxy", "sa")
PHASES = ("auto", "prepare", "reissue", "finalize")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `rotate-ca` subcommand."""
    rotate = commands.add_parser(
        "rotate-ca",
        help="replace a CA (or the service-account key) in stages, without downtime",
        description="Rotate one CA in three phases read from the certificates in DIR: prepare "
        "(a new CA; every flag and kubeconfig that verifies with it gets a bundle of old and "
        "new), reissue (every leaf under the new CA, servers last), finalize (the old CA out of "
        "every bundle). Each phase prints its diff, writes atomically with a backup, then the "
        "per-host files and the restart order for distribute. A rerun resumes where the "
        "certificates say. Exit code: 0 done, 1 refused.",
    )
    add_spec_arguments(rotate)
    rotate.add_argument("--ca", choices=KINDS, help="which CA: cluster, etcd, front-proxy or sa")
    rotate.add_argument(
        "--phase",
        choices=PHASES,
        default="auto",
        help="the phase to run (default auto: the next one the certificates call for)",
    )
    rotate.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
    rotate.add_argument(
        "--undo", action="store_true", help="put back the backup of the last phase of this CA"
    )
    rotate.add_argument(
        "--cross-sign",
        action="store_true",
        help="prepare: also sign the new CA with the old one, so clients that trust only the "
        "old CA accept the new certificates (they keep old certificates valid too)",
    )
    rotate.add_argument(
        "--clients-only",
        action="store_true",
        help="leaked credentials: move only client trust to a new, separate client CA and "
        "re-issue the client certificates; servers keep theirs",
    )
    rotate.add_argument(
        "--token-wait",
        metavar="DUR",
        default="24h",
        help="--ca sa: how long finalize waits after reissue for old tokens to expire "
        "(default 24h; a Go duration)",
    )
    rotate.add_argument(
        "--explain",
        action="store_true",
        help="draw the phases of --ca (or of every CA) for the profile, from the catalogue",
    )
    rotate.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="--explain: the diagram's language (default en; zh = 简体中文)",
    )
    rotate.add_argument(
        "--hosts",
        action="store_true",
        help="first read every host's files of this CA over SSH ([deploy], as check does) and "
        "show the step each is at; refuse to write while a host is behind (or ahead of) the "
        "directory or cannot be read",
    )
    rotate.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    add_wait_argument(rotate)


def run(args: argparse.Namespace) -> int:
    """Explain, undo, or run one phase."""
    from wizard.rotate import RotateError
    from wizard.store.lock import DirectoryBusy, LockError

    try:
        if args.explain:
            return _explain(args)
        if args.ca is None:
            return refuse("rotate-ca: --ca is missing — give --ca cluster, etcd, front-proxy or sa")
        return _undo(args) if args.undo else _rotate(args)
    except DirectoryBusy as busy:
        return refuse(busy_words(busy))
    except (RotateError, LockError) as error:
        return refuse(str(error))


def _spec(args: argparse.Namespace):
    return load_valid_spec(getattr(args, "config", None) or "cluster.toml", args.profile)


def _explain(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wizard.rotate import CaKind, explain_lines, target_for
    from wizard.spec import ClusterSpec, Node

    config = getattr(args, "config", None)
    if config or Path("cluster.toml").exists():
        spec = _spec(args)
    else:  # the guide's cluster, with one node, so per-node files show
        spec = ClusterSpec.example()
        spec.nodes = [Node("node-1", "192.168.214.101")]
        if args.profile:
            spec.profile = args.profile
    kinds = [CaKind(args.ca)] if args.ca else list(CaKind)
    seen: set[str] = set()
    blocks = []
    for kind in kinds:
        target = target_for(kind, spec)
        if target.entry.name in seen:
            continue
        seen.add(target.entry.name)
        blocks.append("\n".join(explain_lines(target, args.lang)))
    print("\n\n".join(blocks))
    return OK


def _rotate(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from wizard.expiry import parse_go_duration
    from wizard.jobs.rotation import RotationRequest, run_rotation
    from wizard.rotate import CaKind, Phase, outcome_lines, plan_lines, plan_to_json

    try:
        zero = args.token_wait.strip() in ("0", "0s", "0m", "0h")
        token_wait = timedelta(0) if zero else parse_go_duration(args.token_wait)
    except ValueError:
        return refuse(
            f"--token-wait {args.token_wait!r} is no Go duration — give hours, such as 24h"
        )
    spec = _spec(args)
    request = RotationRequest(
        spec,
        args.output,
        CaKind(args.ca),
        None if args.phase == "auto" else Phase(args.phase),
        dry_run=args.dry_run,
        cross_sign=args.cross_sign,
        clients_only=args.clients_only,
        token_wait=token_wait,
        read_hosts=args.hosts,
    )
    outcome = run_rotation(request, wait=args.wait, on_wait=say_waiting)
    if outcome.lock is not None:
        say_takeover(outcome.lock)
    if args.json:
        document = plan_to_json(outcome.plan, dry_run=args.dry_run)
        if outcome.hosts is not None:
            document["host_stages"] = [_host_json(r) for r in outcome.hosts]
        print_json(document)
        return OK
    if outcome.hosts is not None:
        print("Hosts now (read over SSH):")
        print("\n".join(f"  {r.line()}" for r in outcome.hosts) or "  none keeps this CA")
        print()
    print("\n".join(plan_lines(outcome.plan, dry_run=args.dry_run)))
    print()
    print("\n".join(outcome_lines(outcome.plan, outcome.result)))
    return OK


def _host_json(reading) -> dict:  # noqa: ANN001 - a wizard.fleet.rotation.HostReading
    rotation = reading.rotation
    return {
        "address": reading.address,
        "name": reading.name,
        "error": reading.error,
        "stage": rotation.held.words if rotation else "",
        "behind": bool(rotation and rotation.behind),
        "ahead": bool(rotation and rotation.ahead),
        "in_step": bool(rotation and rotation.in_step),
        "evidence": list(rotation.held.evidence) if rotation else [],
    }


def _undo(args: argparse.Namespace) -> int:
    from wizard.jobs.rotation import run_rotation_undo
    from wizard.rotate import CaKind, undo_lines, undo_outcome_lines, undo_to_json

    if args.hosts:
        return refuse("--undo --hosts: the undo puts back the directory; check reads the hosts")
    if args.phase != "auto" or args.cross_sign:
        return refuse("--undo puts back the last phase as it was — drop --phase and --cross-sign")
    spec = _spec(args)
    outcome = run_rotation_undo(
        spec,
        args.output,
        CaKind(args.ca),
        clients_only=args.clients_only,
        dry_run=args.dry_run,
        wait=args.wait,
        on_wait=say_waiting,
    )
    if outcome.lock is not None:
        say_takeover(outcome.lock)
    if args.json:
        print_json(undo_to_json(outcome.plan, outcome.result))
        return OK
    print(
        "\n".join(
            undo_lines(outcome.plan, dry_run=args.dry_run) + undo_outcome_lines(outcome.result)
        )
    )
    return OK
