"""`certinfo`: cfssl-certinfo -cert FILE, byte for byte."""

from __future__ import annotations

import argparse
import sys

from wizard.cli.common import ExamplesHelpFormatter

EXAMPLES = """\
examples:
  # a certificate, as cfssl-certinfo prints it
  k8s-cert-wizard certinfo -cert k8s-certs/ca.pem
  # one field, with jq
  k8s-cert-wizard certinfo -cert k8s-certs/admin.pem | jq -r .not_after
  # the client certificate of the current kubeconfig context
  kubectl config view --raw --minify -o jsonpath='{..client-certificate-data}' \\
    | base64 -d | k8s-cert-wizard certinfo -cert -
"""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `certinfo` subcommand (cfssl's single-dash -cert too)."""
    certinfo = commands.add_parser(
        "certinfo",
        help="print a certificate as cfssl-certinfo does, byte for byte",
        description="Print a PEM certificate as cfssl-certinfo -cert prints it: the same "
        "JSON, and on failure the same error line on stderr (exit 1 here, where "
        "cfssl-certinfo exits 0). Given a key or a CSR, a note after cfssl's line says so.",
        epilog=EXAMPLES,
        formatter_class=ExamplesHelpFormatter,
    )
    certinfo.add_argument(
        "-cert",
        "--cert",
        dest="cert",
        required=True,
        metavar="FILE",
        help="the certificate (PEM); '-' reads standard input",
    )


def run(args: argparse.Namespace) -> int:
    """Print the certificate as cfssl-certinfo's JSON."""
    from wizard.certinfo import run_certinfo

    return run_certinfo(args.cert, sys.stdin, sys.stdout, sys.stderr)  # None when closed
