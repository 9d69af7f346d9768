"""`csr`: write the cfssl JSON files only (ca-config.json and one CSR JSON per certificate)."""

from __future__ import annotations

import argparse

from wizard.cli.common import (
    add_spec_arguments,
    add_wait_argument,
    busy_words,
    load_valid_spec,
    print_result,
    print_set_notes,
    refusal_words,
    refuse,
    say_waiting,
)
from wizard.exit_codes import OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `csr` subcommand."""
    csr = commands.add_parser("csr", help="write the cfssl JSON files only")
    add_spec_arguments(csr)
    csr.add_argument(
        "--force",
        action="store_true",
        help="replace differing files, after moving them into a backup folder",
    )
    add_wait_argument(csr)


def run(args: argparse.Namespace) -> int:
    """Write the JSON files under the directory's lock."""
    from wizard.jobs.generation import GenerationRefused, NoJsonFiles, write_json_files
    from wizard.store import StoreError
    from wizard.store.lock import DirectoryBusy, LockError

    spec = load_valid_spec(args.config, args.profile)
    try:
        result = write_json_files(
            spec, args.output, replace_changed=args.force, wait=args.wait, on_wait=say_waiting
        )
    except NoJsonFiles:
        return refuse(
            f"the {spec.profile} profile uses kubeadm's names and has no cfssl JSON — "
            "use generate, or the classic or complete profile"
        )
    except GenerationRefused as error:
        return refuse(refusal_words(error.refusal, spec.profile))
    except DirectoryBusy as busy:
        return refuse(busy_words(busy))
    except (StoreError, LockError) as error:
        return refuse(str(error))
    print_result(result)
    print_set_notes(spec)
    return OK
