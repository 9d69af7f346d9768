"""`init`: write the commented example cluster.toml, never over an existing file."""

from __future__ import annotations

import argparse
from pathlib import Path

from wizard.cli.common import DEFAULT_OUTPUT, ExamplesHelpFormatter, refuse
from wizard.exit_codes import OK

EXAMPLES = """\
examples:
  # ./cluster.toml, the guide's cluster with comments
  k8s-cert-wizard init
  # somewhere else
  k8s-cert-wizard init -o site/cluster.toml
  # write, edit, generate
  k8s-cert-wizard init && $EDITOR cluster.toml && k8s-cert-wizard generate
"""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `init` subcommand."""
    init = commands.add_parser(
        "init",
        help="write an example cluster.toml (the guide's cluster)",
        description="Write a commented cluster.toml describing the guide's cluster: the "
        "profile, the masters, etcd members and nodes, the addresses certificates must "
        "name, the subject and the lifetimes. Edit it, then run csr or generate with it. An "
        "existing file is never overwritten.",
        epilog=EXAMPLES,
        formatter_class=ExamplesHelpFormatter,
    )
    init.add_argument(
        "-o",
        "--output",
        default="cluster.toml",
        metavar="FILE",
        help="where to write it (default: cluster.toml); never overwritten",
    )


def run(args: argparse.Namespace) -> int:
    """Write the example, refusing to overwrite."""
    from wizard.spec import example_toml

    if not args.output:
        return refuse('-o "" names no file — give a file name, e.g. -o cluster.toml')
    path = Path(args.output)
    if path.is_dir():
        return refuse(f"{path} is a directory — give a file name, e.g. -o {path / 'cluster.toml'}")
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(example_toml())
    except FileExistsError:
        return refuse(f"{path} already exists — nothing was written; edit it, or give -o NEWFILE")
    except OSError as error:
        return refuse(f"cannot write {path}: {error.strerror}")
    print(f"wrote {path} (the guide's cluster) — edit it, then run:")
    print(f"  k8s-cert-wizard csr -c {path} -o {DEFAULT_OUTPUT}       # the cfssl JSON only")
    print(f"  k8s-cert-wizard generate -c {path} -o {DEFAULT_OUTPUT}  # keys and certificates")
    return OK
