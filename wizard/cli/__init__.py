"""The command line: one module per command (smallstep's layout), each parsing its flags and
rendering what the jobs in `wizard.jobs` return.

Imports are lazy so that `certinfo` and the other plain commands never load textual.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable
from typing import NoReturn, TextIO

from wizard.cli import (
    certinfo,
    check,
    csr,
    distribute,
    doctor,
    generate,
    init,
    interactive,
    layout,
    probe,
    renew,
    review,
    rotate,
)
from wizard.cli.common import PROG, Refused, refuse
from wizard.cli.review import print_review
from wizard.exit_codes import INTERRUPTED, OK, REFUSED, USAGE

EPILOG = """\
examples:
  k8s-cert-wizard init                                  write cluster.toml (the guide's cluster)
  k8s-cert-wizard csr -c cluster.toml -o k8s-certs      the cfssl JSON only
  k8s-cert-wizard generate -c cluster.toml -o k8s-certs keys and certificates
  k8s-cert-wizard generate --force                      back up and replace, keeping the CA
  k8s-cert-wizard generate --new-ca                     back up everything, make a new CA
  k8s-cert-wizard certinfo -cert k8s-certs/ca.pem       as cfssl-certinfo prints it
  k8s-cert-wizard layout --profile complete             who uses which file, and why
  k8s-cert-wizard distribute --dry-run                  each host's diff, read over SSH
  journalctl -u etcd | k8s-cert-wizard doctor DIR       which file an x509 error is about
  k8s-cert-wizard check -c cluster.toml -o k8s-certs    what each host has, read back over SSH
  k8s-cert-wizard probe -c cluster.toml -o k8s-certs    what each endpoint serves, over TLS

exit codes: 0 success; 1 refused (bad input or usage, files that would change, a directory
another run is writing) — one line on stderr says what and how to fix it; review, check and
probe: 1 warnings only, 2 errors; distribute: 2 some hosts unreachable or failed (each named);
130 interrupted.
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the flag, and exit code 1 (refused)."""

    def error(self, message: str) -> NoReturn:
        """Print `k8s-cert-wizard generate: <message> — see … --help` and exit 1."""
        print(f"{self.prog}: {message} — see {self.prog} --help", file=sys.stderr)
        raise SystemExit(USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand."""
    from wizard import __version__

    parser = Parser(
        prog=PROG,
        description=(
            "Make, explain and review the certificates of a Kubernetes cluster installed from "
            "binaries. With no command, opens the wizard."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-c", "--config", metavar="FILE", help="cluster.toml to prefill the wizard")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        init,
        csr,
        generate,
        layout,
        renew,
        rotate,
        distribute,
        certinfo,
        review,
        doctor,
        check,
        probe,
    ):
        module.add_parser(commands)
    return parser


HANDLERS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: interactive.run,
    "init": init.run,
    "csr": csr.run,
    "generate": generate.run,
    "renew": renew.run,
    "rotate-ca": rotate.run,
    "certinfo": certinfo.run,
    "review": review.run,
    "layout": layout.run,
    "doctor": doctor.run,
    "distribute": distribute.run,
    "check": check.run,
    "probe": probe.run,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show 简体中文 or "—"
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    if args.command in ("csr", "generate", "renew", "distribute", "check", "probe") and (
        args.config is None
    ):
        args.config = "cluster.toml"
    if sys.stdout is None and args.command != "certinfo":  # certinfo says it as cfssl would
        print(
            f"{PROG}: {STDOUT_CLOSED} — nothing was done; give it one (>/dev/null)", file=sys.stderr
        )
        return REFUSED
    if args.command in PLAIN_COMMANDS:  # the wizard's and certinfo's streams stay as they are
        sys.stdout = _WatchedStdout(sys.stdout)
    try:
        code = HANDLERS[args.command](args)
        if sys.stdout is not None:
            sys.stdout.flush()  # /dev/full fails here, not at exit with Python's own words
        return code
    except Refused as refused:
        return refused.code
    except KeyboardInterrupt:
        print("interrupted — nothing was written", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # the reader (`| head`) left: say nothing more, and keep Python from complaining at exit
        _drop_stdout()
        return REFUSED
    except OSError as error:
        if args.command == "certinfo" and sys.stdout is not None:
            _drop_stdout()  # it has said so in cfssl's words; what stays in the buffer goes
            return REFUSED
        if not _stdout_failing():
            raise
        # /dev/full or an I/O error on stdout: one line, as for any refusal
        print(
            f"{PROG}: write /dev/stdout: {os.strerror(error.errno or 0).lower()}", file=sys.stderr
        )
        _drop_stdout()
        return REFUSED


STDOUT_CLOSED = "standard output is closed"
PLAIN_COMMANDS = (
    "init",
    "csr",
    "generate",
    "renew",
    "layout",
    "review",
    "distribute",
    "check",
    "probe",
)


class _WatchedStdout:
    """sys.stdout, remembering whether a write to it failed (so that error is told apart)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.failed = False

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            self.failed = True
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self.failed = True
            raise

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _stdout_failing() -> bool:
    """Whether the error being handled came from writing stdout."""
    return isinstance(sys.stdout, _WatchedStdout) and sys.stdout.failed


def _drop_stdout() -> None:
    """Point stdout at /dev/null, dropping what it held, so Python says nothing more at exit."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


__all__ = ["OK", "REFUSED", "Refused", "build_parser", "main", "print_review", "refuse"]
