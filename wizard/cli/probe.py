"""`probe`: what every endpoint of the cluster serves, from the jump host — served ≠ file,
missing SANs, untrusted issuers, self-signed kubelets; the same outputs as `review`."""

from __future__ import annotations

import argparse
import sys

from wizard.cli.check import add_fleet_arguments, fleet_request, print_fleet_review
from wizard.cli.common import refuse


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The `probe` subcommand."""
    from wizard.fleet import PROBE_TIMEOUT as DEFAULT_TIMEOUT

    probe = commands.add_parser(
        "probe",
        help="connect to every endpoint and compare what it serves with the set",
        description="From this host, open a TLS connection (read-only, no SSH) to every "
        "endpoint cluster.toml's hosts run: kube-apiserver on each master and the VIP, etcd's "
        "client (2379) and peer (2380) ports, each node's kubelet (10250), kube-controller-"
        "manager (10257) and kube-scheduler (10259). Reports a served certificate that is not "
        "the set's file (renewed but not restarted, with the unit to restart), a SAN missing "
        "for the address dialled, an issuer no CA of the set signs with, a self-signed kubelet "
        "and unreachable endpoints. Exit code: 0 clean, 1 warnings only, 2 errors.",
    )
    add_fleet_arguments(probe, "endpoints at once (default: 16)")
    probe.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"per endpoint (default: {DEFAULT_TIMEOUT:g})",
    )


def run(args: argparse.Namespace) -> int:
    """Probe every endpoint; the exit code says how bad the worst finding is."""
    from dataclasses import replace

    from wizard.jobs.checking import CheckRefused, run_probe

    if not 0 < args.timeout <= 120:
        return refuse(f"--timeout {args.timeout:g}: give seconds between 0 and 120, e.g. 3")
    request = replace(fleet_request(args), timeout=args.timeout)
    try:
        result = run_probe(request)
    except CheckRefused as error:
        return refuse(str(error))
    slowest = max(result.endpoints, key=lambda e: e.seconds, default=None)
    print(
        f"probed {len(result.endpoints)} endpoints in {result.seconds:.1f} s, {result.parallel} "
        "at once"
        + (f"; slowest {slowest.endpoint.url} {slowest.seconds:.1f} s" if slowest else ""),
        file=sys.stderr,
    )
    return print_fleet_review(result.review, args)
