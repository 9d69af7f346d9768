"""`doctor`: read an error text (argument, file or stdin; a journal excerpt whole) and say which
error it is, which certificate files it is about, why, and the fix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wizard.cli.common import print_json, refuse
from wizard.exit_codes import OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `doctor` subcommand."""
    doctor = commands.add_parser(
        "doctor",
        help="explain an x509/TLS error text: which file, why, and the fix",
        description="Read an error text — as an argument (-e), a file (-f) or on stdin, a "
        "`journalctl -u kube-apiserver` excerpt pasted whole is fine — and say which error it "
        "is, which certificate(s) in DIR it is about (matched by the date, the CA name, the host "
        "or address, the CN), why, and the commands that fix it. Exit code: 0 diagnosed (also "
        "'not a certificate problem'), 1 refused: nothing to read, input over 1 MiB, no error "
        "recognised, or a DIR that cannot be read.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  journalctl -u kube-apiserver -n 200 | k8s-cert-wizard doctor /etc/kubernetes/ssl\n"
        "  k8s-cert-wizard doctor k8s-certs -e 'x509: certificate is valid for kubernetes, "
        "not 10.0.0.9'\n"
        "  k8s-cert-wizard doctor --recovery -c k8s-certs/cluster.toml k8s-certs --lang zh",
    )
    doctor.add_argument(
        "directories",
        metavar="DIR",
        type=Path,
        nargs="*",
        help="certificate directories (default: the current directory)",
    )
    source = doctor.add_mutually_exclusive_group()
    source.add_argument("-e", "--error", metavar="TEXT", help="the error text itself")
    source.add_argument("-f", "--file", metavar="FILE", help="read the error text from FILE")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.add_argument(
        "-c",
        "--config",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="cluster.toml: named in the fix commands, and server SANs checked against it",
    )
    doctor.add_argument(
        "--hosts",
        action="store_true",
        help="also read the deployed files on the hosts of cluster.toml (needs -c and the "
        "fleet check of issue 14)",
    )
    doctor.add_argument(
        "--recovery",
        action="store_true",
        help="print the recovery guide for a cluster switched off past its certificates' end "
        "(same CA): what to renew in which order, where to copy it, what to restart — for "
        "the profile of -c cluster.toml, with DIR as the set's directory; reads no error text",
    )
    doctor.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="the recovery guide's language (default en)",
    )


def _read_text(args: argparse.Namespace) -> str | int:
    from wizard.bounds import InputRefused, read_limited
    from wizard.doctor import MAX_INPUT_BYTES

    if args.error is not None:
        data = args.error.encode("utf-8", "surrogateescape")
    elif args.file is not None:
        try:
            data = read_limited(args.file, MAX_INPUT_BYTES, what="error text")
        except InputRefused as refused:
            return refuse(f"{args.file} {refused}")
        except OSError as error:
            return refuse(
                f"cannot read {args.file}: {error.strerror or error} — give the file "
                "holding the error text"
            )
    else:
        if sys.stdin is None or sys.stdin.isatty():
            return refuse("no error text — paste it on stdin, or give -e TEXT or -f FILE")
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            return refuse(
                "stdin is over 1 MiB — not read; give the lines around the error "
                "(journalctl -u kube-apiserver -n 200)"
            )
    text = data.decode("utf-8", "replace")
    if not text.strip():
        return refuse("the error text is empty — give the error line(s), e.g. -e 'x509: …'")
    return text


FLEET_MISSING = (
    "--hosts needs the fleet check (issue 14), which this build does not have yet — copy the "
    "hosts' files here instead (scp -r root@HOST:/etc/kubernetes DIR) and give DIR"
)


def _recovery(args: argparse.Namespace) -> int:
    from wizard.cli.common import load_valid_spec
    from wizard.doctor.recovery import recovery_guide

    config = getattr(args, "config", None)
    if not config:
        return refuse(
            "--recovery needs the cluster: give -c cluster.toml (its profile decides the order)"
        )
    if len(args.directories) > 1:
        return refuse("--recovery takes one DIR: the directory the set was generated in")
    spec = load_valid_spec(config)
    directory = str((args.directories or [Path(".")])[0].resolve())
    print(recovery_guide(spec, config, directory, args.lang), end="")
    return OK


def run(args: argparse.Namespace) -> int:
    """Diagnose the text against the directories; 0 when an error was recognised."""
    from wizard.doctor import unrecognised
    from wizard.doctor.sources import LocalDirectory, diagnose_sources
    from wizard.review import ReviewError

    if args.recovery:
        return _recovery(args)
    if args.hosts:
        if not getattr(args, "config", None):
            return refuse("--hosts reads the hosts of cluster.toml: give -c cluster.toml")
        return refuse(FLEET_MISSING)
    text = _read_text(args)
    if isinstance(text, int):
        return text
    spec = None
    config = getattr(args, "config", None)
    if config:
        from wizard.cli.common import load_valid_spec

        spec = load_valid_spec(config)
    directories = args.directories or [Path(".")]
    try:
        diagnoses = diagnose_sources(
            text, [LocalDirectory(d) for d in directories], config=config, spec=spec
        )
    except ReviewError as error:
        return refuse(str(error))
    if not diagnoses:
        return refuse(unrecognised(text))
    if args.json:
        print_json(
            {
                "directories": [str(d.resolve()) for d in directories],
                "diagnoses": [d.to_json() for d in diagnoses],
            }
        )
        return OK
    for number, diagnosis in enumerate(diagnoses, 1):
        if number > 1:
            print()
        print(f"{number}. {diagnosis.what}")
        print(f"   error: {diagnosis.quote}")
        if not diagnosis.is_certificate_problem:
            print("   not a certificate problem — no file to change")
        elif diagnosis.matches:
            print("   file(s):")
            for match in diagnosis.matches:
                print(f"     {match.path}")
                print(f"       why: {match.why}")
        else:
            print("   no file here matches")
        print(f"   looked for: {diagnosis.looked_for}")
        if diagnosis.fix:
            print("   fix:")
            for step in diagnosis.fix:
                print(f"     {step}")
    return OK
