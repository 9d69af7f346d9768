"""`certinfo`: cfssl-certinfo -cert FILE, byte for byte."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `certinfo` subcommand (cfssl's single-dash -cert too)."""
    certinfo = commands.add_parser(
        "certinfo", help="print a certificate as cfssl-certinfo does, byte for byte"
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
