"""`generate`: the whole set — JSON, keys, CSRs, certificates, kubeconfigs, cluster.toml."""

from __future__ import annotations

import argparse
from pathlib import Path

from wizard.cli.common import (
    ExamplesHelpFormatter,
    ProgressLine,
    add_spec_arguments,
    add_wait_argument,
    busy_words,
    load_valid_spec,
    print_result,
    print_set_notes,
    refusal_words,
    refuse,
    say_takeover,
    say_waiting,
)
from wizard.exit_codes import OK

EXAMPLES = """\
examples:
  # ./cluster.toml's set into ./k8s-certs
  k8s-cert-wizard generate
  # another cluster file and directory
  k8s-cert-wizard generate -c site/cluster.toml -o out
  # back up and replace the files that change, keeping the CA
  k8s-cert-wizard generate --force
  # back up everything and make a new CA (all it signed stops being trusted)
  k8s-cert-wizard generate --new-ca
  # sign with the CA kept in ../root
  k8s-cert-wizard generate --ca ../root -o out
  # also hosts/<address>/ trees, each host's files where they go
  k8s-cert-wizard generate --per-host
"""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `generate` subcommand."""
    generate = commands.add_parser(
        "generate",
        help="write JSON, keys, CSRs and certificates",
        description="Write the whole set into DIR. A CA already in DIR is reused; files that "
        "would change are refused unless --force (back them up and replace them, keeping the "
        "CA) or --new-ca (a new CA too). Nothing is made before a refusal, and nothing is "
        "written until every key and certificate is made (ctrl+c leaves DIR as it was).",
        epilog=EXAMPLES,
        formatter_class=ExamplesHelpFormatter,
    )
    add_spec_arguments(generate)
    generate.add_argument(
        "--force",
        action="store_true",
        help="replace existing keys and certificates, after moving them into a timestamped "
        "backup folder; a CA in DIR is kept and signs the new certificates",
    )
    ca = generate.add_mutually_exclusive_group()
    ca.add_argument(
        "--new-ca",
        action="store_true",
        help="make a new CA even if DIR holds one (the old files go to a backup folder first); "
        "everything the old CA signed stops being trusted",
    )
    ca.add_argument(
        "--ca",
        metavar="CADIR",
        type=Path,
        help="reuse the CA (ca.pem, ca-key.pem) in CADIR instead of making one",
    )
    generate.add_argument(
        "--per-host",
        action="store_true",
        help="also write hosts/<address>/… with each host's files at their destinations",
    )
    add_wait_argument(generate)


def run(args: argparse.Namespace) -> int:
    """Build the request from the flags, run the job, print what it did."""
    from wizard.generate import Cancelled, GenerationError
    from wizard.jobs.generation import GenerationRefused, GenerationRequest, Policy
    from wizard.jobs.generation import run as run_generation
    from wizard.store import StoreError
    from wizard.store.lock import DirectoryBusy, LockError

    spec = load_valid_spec(args.config, args.profile)
    if args.new_ca:
        policy = Policy.NEW_CA
    elif args.force:
        policy = Policy.REPLACE
    else:
        policy = Policy.REFUSE
    request = GenerationRequest(
        spec,
        args.output,
        policy,
        ca_directory=args.ca,
        per_host=args.per_host,
        spec_file=Path(args.config),
    )
    progress = ProgressLine()
    try:
        outcome = run_generation(request, progress=progress, wait=args.wait, on_wait=say_waiting)
    except GenerationRefused as error:
        return refuse(refusal_words(error.refusal, spec.profile))
    except DirectoryBusy as busy:
        return refuse(busy_words(busy))
    except (GenerationError, StoreError, LockError) as error:
        return refuse(str(error))
    except Cancelled:
        return refuse("cancelled — nothing was written")
    finally:
        progress.done()
    say_takeover(outcome.lock)
    for ca in outcome.reused:
        print(f"reused the existing CA {ca.source / ca.files.cert}")
    for ca in outcome.capped_by():
        print(
            f"note: certificates end with the CA on "
            f"{ca.certificate.not_valid_after_utc:%Y-%m-%d}, sooner than "
            f"expiry.cert = {spec.expiry.cert}: no certificate outlives its CA"
        )
    if outcome.report.replaces_ca:
        print(
            "note: a new CA replaced the old one (kept in the backup folder) — everything the "
            "old CA signed stops being trusted; hand the new ca files to every component"
        )
    print_result(outcome.result)
    print_set_notes(spec)
    return OK
