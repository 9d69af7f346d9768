"""A CA rotation as the hosts show it: per host, the step its trust file and leaves are at
(read with the rotation's own reading, wizard.rotate.state.held_stage), next to the step the
output directory is at. `check` says which hosts are behind (or ahead, after an --undo not yet
placed); `rotate-ca --hosts` refuses the next phase while one is."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509

from wizard.fleet.inventory import (
    HostExpectation,
    HostInventory,
    expected_files,
    scanned_directories,
)
from wizard.fleet.ssh import Target as SshTarget
from wizard.fleet.ssh import for_each_host, targets_of
from wizard.rotate import CaKind, RotateError, Target, target_for
from wizard.rotate.hosts import HostPlaces, rotation_places
from wizard.rotate.state import HeldStage, Position, held_stage, position
from wizard.spec import ClusterSpec

CA_KINDS = (CaKind.CLUSTER, CaKind.ETCD, CaKind.FRONT_PROXY)
InventoryReader = Callable[[SshTarget, HostExpectation, list[str]], HostInventory]
COVERED = ("different", "stale")
"""The findings a host's rotation finding stands for at the places a phase changes."""


@dataclass(frozen=True)
class RotationView:
    """One CA's rotation: what it touches, where the directory is, where each host keeps it."""

    target: Target
    position: Position
    places: dict[str, HostPlaces]

    @property
    def kind(self) -> str:
        """`cluster`, `etcd`, `front-proxy`."""
        return str(self.target.kind)


@dataclass(frozen=True)
class HostRotation:
    """One host's step in one rotation, and how it compares with the directory."""

    view: RotationView
    address: str
    name: str
    trust_place: str
    held: HeldStage

    @property
    def behind(self) -> bool:
        return self.held.behind(self.view.position)

    @property
    def ahead(self) -> bool:
        return self.held.ahead(self.view.position)

    @property
    def in_step(self) -> bool:
        return self.held.known and not self.behind and not self.ahead

    @property
    def label(self) -> str:
        return f"{self.address} ({self.name})" if self.name else self.address

    def words(self) -> str:
        """What the host's files show, with the evidence, and what the directory is at."""
        at = self.view.position
        return (
            f"{self.view.target.entry.title} rotation: this host's files show "
            f"{self.held.words} ({'; '.join(self.held.evidence)}); the directory is {at.words}"
        )

    def fix(self) -> str:
        """The command that brings the host to the directory's step."""
        return f"distribute --rotation {self.view.kind}"


def rotation_views(
    spec: ClusterSpec, directory, kinds: Sequence[CaKind] = CA_KINDS, *, idle_too: bool = False
) -> list[RotationView]:
    """The rotations of the set's CAs the hosts can be compared with: one per CA (a profile
    with one CA for all gives one), leaving out a CA never rotated (unless `idle_too`) and one
    whose directory cannot be read as a stage (check's other findings say why)."""
    views, seen = [], set()
    for kind in kinds:
        try:
            target = target_for(kind, spec, directory)
            if target.entry.name in seen or target.is_key_pair:
                continue
            seen.add(target.entry.name)
            at = position(directory, target)
        except (RotateError, OSError):
            continue
        if at.rank == 0 and at.new is None and not idle_too:
            continue
        views.append(RotationView(target, at, rotation_places(target)))
    return views


def _certificate(der: bytes) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def host_rotation(
    view: RotationView, inventory: HostInventory, name: str = ""
) -> HostRotation | None:
    """The host's step in this rotation, or None when it keeps none of its files (or its trust
    file is missing or holds no certificate: check says that as missing or different)."""
    places = view.places.get(inventory.address)
    if places is None:
        return None
    trust = None
    for place in places.trust:
        held = inventory.get(place)
        if held is not None and held.state == "present" and held.certificates:
            certificates = [c for c in map(_certificate, held.certificates) if c is not None]
            if certificates:
                trust = (place, certificates)
                break
    if trust is None:
        return None
    leaves = []
    for place in places.leaves:
        held = inventory.get(place)
        if held is not None and held.state == "present" and held.certificates:
            certificate = _certificate(held.certificates[0])
            if certificate is not None:
                leaves.append((place, certificate))
    stage = held_stage(view.position, trust, leaves)
    return HostRotation(view, inventory.address, name or places.name, trust[0], stage)


@dataclass(frozen=True)
class HostReading:
    """One host read for `rotate-ca --hosts`: its step, or why it could not be read."""

    address: str
    name: str
    rotation: HostRotation | None
    error: str = ""

    @property
    def label(self) -> str:
        return f"{self.address} ({self.name})" if self.name else self.address

    @property
    def blocking(self) -> bool:
        """True when the next phase must wait: unreachable, behind, ahead or unknown."""
        return bool(self.error) or self.rotation is None or not self.rotation.in_step

    def line(self) -> str:
        """`10.0.0.21 (master-1): prepared — in step (…)` or why not."""
        if self.error:
            return f"{self.label}: not read — {self.error}"
        if self.rotation is None:
            return f"{self.label}: no trust file of this CA found there"
        held = self.rotation.held
        if self.rotation.behind:
            state = "BEHIND"
        elif self.rotation.ahead:
            state = "AHEAD (an --undo not placed yet?)"
        elif not held.known:
            state = "UNKNOWN (a CA of neither side)"
        else:
            state = "in step"
        return f"{self.label}: {held.words} — {state} ({'; '.join(held.evidence)})"


def read_rotation(
    spec: ClusterSpec,
    directory,
    target: Target,
    reader: InventoryReader,
    *,
    parallel: int | None = None,
    cancel: threading.Event | None = None,
) -> tuple[RotationView, list[HostReading]]:
    """Read every host that keeps files of this rotation (with check's inventory script) and
    say its step next to the directory's. RotateError for the service-account key, whose
    files carry no certificate to read a step from."""
    if target.is_key_pair:
        raise RotateError(
            "--hosts: the service-account key's stage is not read from the hosts (its public "
            "keys carry no certificate the inventory reads) — drop --hosts and compare with "
            "check"
        )
    view = RotationView(target, position(directory, target), rotation_places(target))
    expectations = [h for h in expected_files(spec, directory) if h.address in view.places]
    directories = scanned_directories(expected_files(spec, directory))
    targets = targets_of([(h.address, h.name) for h in expectations], spec.deploy)
    by_target = dict(zip(targets, expectations, strict=True))

    def work(host: SshTarget) -> HostRotation | None:
        inventory = reader(host, by_target[host], directories)
        return host_rotation(view, inventory, by_target[host].name)

    outcomes = for_each_host(
        targets, work, parallel=parallel or spec.deploy.parallel, cancel=cancel
    )
    readings = [
        HostReading(o.target.address, by_target[o.target].name, o.result, o.error) for o in outcomes
    ]
    return view, readings


def blocking_words(view: RotationView, readings: Sequence[HostReading]) -> str:
    """Why the next phase must wait, naming each host, or "" when every host is in step."""
    stuck = [r for r in readings if r.blocking]
    if not stuck:
        return ""
    names = "; ".join(r.line() for r in stuck[:6])
    more = f" and {len(stuck) - 6} more" if len(stuck) > 6 else ""
    return (
        f"{len(stuck)} host(s) are not at the directory's step ({view.position.words}): "
        f"{names}{more} — place the last phase first (distribute --rotation {view.kind}), "
        "then run rotate-ca again; nothing was written"
    )
