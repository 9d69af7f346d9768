"""`check` and `probe` as jobs both faces call: read back what each host has (over the
operator's SSH) and what each endpoint serves (plain TLS from the jump host).

Both are readers: they take no lock on the output directory and change nothing anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wizard.fleet.check import FleetCheck, HostCheck, InventoryReader, check_fleet, ssh_reader
from wizard.fleet.probe import (
    DEFAULT_PARALLEL,
    DEFAULT_TIMEOUT,
    EndpointProbe,
    FleetProbe,
    probe_fleet,
)
from wizard.fleet.ssh import SshClient, targets_of
from wizard.spec import ClusterSpec


class CheckRefused(ValueError):
    """The check or probe cannot start; the message names what and how to fix it."""


@dataclass(frozen=True)
class FleetRequest:
    """What `check` or `probe` was asked: the cluster, the output directory, which hosts."""

    spec: ClusterSpec
    directory: Path
    hosts: tuple[str, ...] = ()
    parallel: int | None = None  # None: [deploy].parallel for check, 16 for probe
    timeout: float = DEFAULT_TIMEOUT  # probe: per endpoint


def directory_problem(directory: Path) -> str | None:
    """Why the output directory cannot be compared with, or None."""
    where = directory.absolute()
    if not directory.is_dir():
        return (
            f"-o {where}: no such directory — give the directory `generate` wrote, or run "
            f"k8s-cert-wizard generate -o {directory}"
        )
    if not any(directory.glob("*.pem")) and not (directory / "pki").is_dir():
        return f"-o {where}: no certificates here — is this the directory `generate` wrote?"
    return None


def run_check(
    request: FleetRequest,
    *,
    on_host: Callable[[HostCheck], None] | None = None,
    cancel: threading.Event | None = None,
    reader: InventoryReader | None = None,
) -> FleetCheck:
    """Read back every host of the request and compare it with the plan. Raises CheckRefused
    for a bad directory or --hosts name, FileNotFoundError when there is no ssh client."""
    problem = directory_problem(request.directory)
    if problem:
        raise CheckRefused(problem)
    spec = request.spec
    if reader is not None:
        return _check(request, reader, on_host, cancel)
    client = SshClient(spec.deploy)
    try:
        return _check(request, ssh_reader(client, cancel), on_host, cancel)
    finally:
        client.close(targets_of([(a, "") for a in spec.host_addresses()], spec.deploy))


def _check(
    request: FleetRequest,
    reader: InventoryReader,
    on_host: Callable[[HostCheck], None] | None,
    cancel: threading.Event | None,
) -> FleetCheck:
    try:
        return check_fleet(
            request.spec,
            request.directory,
            reader,
            only=request.hosts,
            parallel=request.parallel,
            on_done=on_host,
            cancel=cancel,
        )
    except ValueError as error:
        raise CheckRefused(str(error)) from None


def run_probe(
    request: FleetRequest,
    *,
    on_endpoint: Callable[[EndpointProbe], None] | None = None,
    cancel: threading.Event | None = None,
) -> FleetProbe:
    """Probe every endpoint of the request's hosts. Raises CheckRefused for a bad directory or
    --hosts name."""
    problem = directory_problem(request.directory)
    if problem:
        raise CheckRefused(problem)
    try:
        return probe_fleet(
            request.spec,
            request.directory,
            only=request.hosts,
            timeout=request.timeout,
            parallel=request.parallel or DEFAULT_PARALLEL,
            on_done=on_endpoint,
            cancel=cancel,
        )
    except ValueError as error:
        raise CheckRefused(str(error)) from None
