"""The command line: argparse subcommands over the domain modules.

Imports are lazy so that `certinfo` and the other plain commands never load textual.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

EXIT_OK = 0
EXIT_REFUSED = 1

DEFAULT_OUTPUT = "k8s-certs"


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="k8s-cert-wizard",
        description=(
            "Make, explain and review the certificates of a Kubernetes cluster installed from "
            "binaries. With no command, opens the wizard."
        ),
    )
    parser.add_argument("-c", "--config", metavar="FILE", help="cluster.toml to prefill the wizard")
    from wizard import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser("init", help="write an example cluster.toml (the guide's cluster)")
    init.add_argument(
        "-o",
        "--output",
        default="cluster.toml",
        metavar="FILE",
        help="where to write it (default: cluster.toml); never overwritten",
    )

    csr = commands.add_parser("csr", help="write the cfssl JSON files only")
    _add_spec_arguments(csr)
    csr.add_argument(
        "--force",
        action="store_true",
        help="replace differing files, after moving them into a backup folder",
    )

    generate = commands.add_parser("generate", help="write JSON, keys, CSRs and certificates")
    _add_spec_arguments(generate)
    generate.add_argument(
        "--force",
        action="store_true",
        help="replace existing keys and certificates, after moving them into "
        "a timestamped backup folder",
    )
    generate.add_argument(
        "--ca",
        metavar="CADIR",
        type=Path,
        help="reuse the CA (ca.pem, ca-key.pem) in CADIR instead of making one",
    )

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

    return parser


def _add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        default="cluster.toml",
        metavar="FILE",
        help="the cluster file (default: cluster.toml)",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        type=Path,
        help=f"output directory (default: {DEFAULT_OUTPUT})",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    handlers = {
        None: run_wizard,
        "init": run_init,
        "csr": run_csr,
        "generate": run_generate,
        "certinfo": run_certinfo_command,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("interrupted — nothing was written", file=sys.stderr)
        return 130


def refuse(message: str, stream: TextIO | None = None) -> int:
    """Print one refusal to stderr and return the refusal exit code."""
    print(f"k8s-cert-wizard: {message}", file=stream or sys.stderr)
    return EXIT_REFUSED


def run_wizard(args: argparse.Namespace) -> int:
    """Open the Textual wizard."""
    from wizard.spec import ClusterSpec, SpecError, load_spec

    spec = ClusterSpec.example()
    if args.config:
        try:
            spec = load_spec(args.config)
        except SpecError as error:
            return refuse(str(error))
    try:
        from wizard.tui.app import make_app
    except ImportError as error:
        return refuse(f"the wizard is not available ({error}) — use init, csr and generate")
    make_app(spec=spec, spec_path=Path(args.config) if args.config else None).run()
    return EXIT_OK


def run_init(args: argparse.Namespace) -> int:
    """Write the commented example cluster.toml, refusing to overwrite."""
    from wizard.spec import example_toml

    path = Path(args.output)
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
    return EXIT_OK


def _load_valid_spec(config: str):  # -> ClusterSpec | int
    from wizard.spec import SpecError, errors_of, load_spec, validate

    try:
        spec = load_spec(config)
    except SpecError as error:
        return refuse(str(error))
    problems = validate(spec)
    for problem in problems:
        if problem.severity != "error":
            print(f"{config}: {problem.severity}: {problem}", file=sys.stderr)
    errors = errors_of(problems)
    if errors:
        for problem in errors:
            print(f"{config}: error: {problem}", file=sys.stderr)
        count = f"{len(errors)} error" + ("s" if len(errors) > 1 else "")
        return refuse(f"{config} has {count} — fix them and run again; nothing was written")
    return spec


def run_csr(args: argparse.Namespace) -> int:
    """Write the cfssl JSON files."""
    from wizard.generate import plan_json_files
    from wizard.store import StoreError, write_files

    spec = _load_valid_spec(args.config)
    if isinstance(spec, int):
        return spec
    try:
        result = write_files(args.output, plan_json_files(spec), force=args.force)
    except StoreError as error:
        return refuse(str(error))
    _print_result(result)
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    """Write the whole set: JSON, keys, CSRs, certificates and the cluster.toml used."""
    from wizard.generate import (
        Cancelled,
        GenerationError,
        files_to_replace,
        generate_files,
        load_existing_ca,
    )
    from wizard.store import ExistingFilesError, StoreError, write_files

    spec = _load_valid_spec(args.config)
    if isinstance(spec, int):
        return spec
    output: Path = args.output
    try:
        existing_ca = load_existing_ca(args.ca if args.ca else output)
        if args.ca and existing_ca is None:
            return refuse(f"{args.ca} holds no ca.pem and ca-key.pem — give the CA's directory")
        replaced = files_to_replace(spec, output, existing_ca)
        if replaced and not args.force:
            raise ExistingFilesError(output.absolute(), replaced)
        files = generate_files(spec, existing_ca)
        result = write_files(output, files, force=args.force)
    except (GenerationError, StoreError) as error:
        return refuse(str(error))
    except Cancelled:
        return refuse("cancelled — nothing was written")
    if existing_ca:
        print(f"reused the existing CA from {existing_ca.source / 'ca.pem'}")
    _print_result(result)
    return EXIT_OK


def _print_result(result) -> None:
    if result.backup:
        print(f"moved {len(result.backed_up)} old files to {result.backup}")
    for name in result.written:
        print(f"wrote {result.directory / name}")
    if result.unchanged:
        print(f"kept {len(result.unchanged)} unchanged files: {', '.join(result.unchanged)}")


def run_certinfo_command(args: argparse.Namespace) -> int:
    """cfssl-certinfo -cert FILE, byte for byte."""
    from wizard.certinfo import run_certinfo

    return run_certinfo(args.cert, sys.stdin.buffer, sys.stdout.buffer, sys.stderr.buffer)


if __name__ == "__main__":
    raise SystemExit(main())
