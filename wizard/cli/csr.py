"""`csr`: write the cfssl JSON files only (ca-config.json and one CSR JSON per certificate)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from wizard.cli.common import (
    ExamplesHelpFormatter,
    add_spec_arguments,
    add_wait_argument,
    busy_words,
    load_valid_spec,
    print_result,
    refusal_words,
    refuse,
    say_waiting,
)
from wizard.exit_codes import OK

if TYPE_CHECKING:
    from wizard.spec import ClusterSpec


EXAMPLES = """\
examples:
  # ./cluster.toml's JSON into ./k8s-certs
  k8s-cert-wizard csr
  # another cluster file and directory, then sign with cfssl yourself
  k8s-cert-wizard csr -c site/cluster.toml -o json
  cd json && cfssl gencert -initca ca-csr.json | cfssljson -bare ca
"""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `csr` subcommand."""
    csr = commands.add_parser(
        "csr",
        help="write the cfssl JSON files only",
        description="Write ca-config.json and one <name>-csr.json per certificate into DIR, "
        "from the cluster file, for those who sign with cfssl themselves. No key or "
        "certificate is made. Files that would change are refused unless --force. The "
        "kubeadm profile has no cfssl JSON (use generate).",
        epilog=EXAMPLES,
        formatter_class=ExamplesHelpFormatter,
    )
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
    for note in cfssl_shared_subject_notes(spec):
        print(f"note: {note}", file=sys.stderr)
    return OK


def cfssl_shared_subject_notes(spec: ClusterSpec) -> list[str]:
    """A note for each certificate cfssl will sign with its CA's subject (the guide's kubernetes).

    `csr` makes no certificate: cfssl does, and cfssl gencert leaves the Authority Key
    Identifier out, so openssl takes such a leaf for self-signed and `openssl verify` fails
    (error 18). `generate` adds the identifier; a different CN avoids the clash.
    """
    from wizard.catalog import files_of, get_profile, shared_subject_leaves

    profile = get_profile(spec.profile)
    notes = []
    for signer, leaf in shared_subject_leaves(profile, spec):
        ca_file, leaf_files = files_of(signer, profile).cert, files_of(leaf, profile)
        leaf_file = leaf_files.cert
        notes.append(
            f"{leaf_files.request} asks for the same subject as its CA (CN={leaf.cn}), as in the "
            f"guide. cfssl gencert writes no Authority Key Identifier, so openssl will take the "
            f"{leaf_file} cfssl signs for self-signed and `openssl verify -CAfile {ca_file} "
            f"{leaf_file}` will fail (error 18). To avoid it, let `generate` make the "
            "certificates (it adds the identifier) or give this certificate another CN."
        )
    return notes
