"""`doctor`: read an error text (argument, file or stdin; a journal excerpt whole) and say which
error it is, which certificate files it is about, why, and the fix."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.cli.common import print_json, refuse
from wizard.exit_codes import OK

if TYPE_CHECKING:
    from wizard.doctor.sources import CertificateSource, HostFiles
    from wizard.fleet.check import InventoryReader
    from wizard.fleet.inventory import HostExpectation
    from wizard.spec import ClusterSpec


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
        help="also read the deployed certificates on the hosts of cluster.toml over SSH, as "
        "`check` does (needs -c; the first DIR is the generated set)",
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


def _certificate_root(expectation: HostExpectation) -> str:
    """The host's folder that holds the set as the set names it: the destination of most of
    the plan's files less their name in the set (/etc/kubernetes/ssl; /etc/kubernetes for
    kubeadm's pki/…)."""
    from wizard.fleet.inventory import KUBECONFIG_SUFFIXES

    roots = Counter(
        planned.destination.removesuffix("/" + planned.source)
        for planned in expectation.files
        if planned.destination.endswith("/" + planned.source)
        and not planned.destination.endswith(KUBECONFIG_SUFFIXES)
    )
    return roots.most_common(1)[0][0] if roots else "/etc/kubernetes"


def hosts_sources(
    spec: ClusterSpec, directory: Path, reader: InventoryReader | None = None
) -> tuple[list[HostFiles], list[str]]:
    """What the fleet check reads back from every host of cluster.toml (certificates only,
    never a key), as doctor sources; and a line for each host that could not be read."""
    from wizard.doctor.sources import HostFiles
    from wizard.jobs.checking import FleetRequest, run_check

    fleet = run_check(FleetRequest(spec, directory), reader=reader)
    sources, unread = [], []
    for host in fleet.hosts:
        if host.inventory is None:
            unread.append(f"{host.target.label}: {host.error or 'not read'}")
            continue
        files = host.inventory.files
        sources.append(
            HostFiles.from_certificates(
                host.target.address,
                _certificate_root(host.expectation),
                {path: deployed.certificates for path, deployed in files.items()},
                {path: deployed.kubeconfig_certificates for path, deployed in files.items()},
            )
        )
    return sources, unread


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
    if args.hosts and not getattr(args, "config", None):
        return refuse("--hosts reads the hosts of cluster.toml: give -c cluster.toml")
    text = _read_text(args)
    if isinstance(text, int):
        return text
    spec = None
    config = getattr(args, "config", None)
    if config:
        from wizard.cli.common import load_valid_spec

        spec = load_valid_spec(config)
    directories = args.directories or [Path(".")]
    sources: list[CertificateSource] = [LocalDirectory(d) for d in directories]
    if args.hosts:
        from wizard.jobs.checking import CheckRefused

        assert spec is not None
        try:
            hosts, unread = hosts_sources(spec, directories[0])
        except (CheckRefused, FileNotFoundError) as error:
            return refuse(f"--hosts: {error}")
        for line in unread:
            print(f"note: not read from {line}", file=sys.stderr)
        sources += hosts
    try:
        diagnoses = diagnose_sources(
            text, sources, config=config, spec=spec, output=str(directories[0].resolve())
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
