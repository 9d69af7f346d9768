"""`layout`: the teaching text — the eight sets, components and files, identities, bootstrap."""

from __future__ import annotations

import argparse
import sys

from wizard.cli.common import PROFILE_CHOICES, load_valid_spec
from wizard.exit_codes import OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `layout` subcommand."""
    layout = commands.add_parser(
        "layout", help="explain the eight certificate sets, who uses which file, and why"
    )
    layout.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="explain this cluster (default: the guide's)",
    )
    layout.add_argument(
        "--profile", choices=PROFILE_CHOICES, help="the profile to explain (default: the file's)"
    )
    layout.add_argument(
        "--lang", choices=("en", "zh"), help="language (default: from LANG; zh = 简体中文)"
    )


def run(args: argparse.Namespace) -> int:
    """Print the text for the given cluster (or the guide's)."""
    from wizard.layout import layout_text, pick_language
    from wizard.spec import ClusterSpec

    spec = ClusterSpec.example()
    if args.config:
        spec = load_valid_spec(args.config, args.profile)
    elif args.profile:
        spec.profile = args.profile
    sys.stdout.write(layout_text(spec, pick_language(args.lang)))
    return OK
