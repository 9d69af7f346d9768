"""A CA rotation as the hosts show it: per host, the step its trust file and leaves are at
(read with the rotation's own reading, wizard.rotate.state.held_stage), next to the step the
output directory is at. The service-account key's rotation is read from the public keys its
verifying file holds and the key that signs (held_key_stage); a client-trust rotation
(--clients-only) from the client CA's file (or, before it is placed, the cluster CA's) and the
client certificates, those in kubeconfigs too. `check` says which hosts are behind (or
ahead, after an --undo not yet placed); `rotate-ca --hosts` refuses the next phase while one
is."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from wizard.fleet.inventory import (
    HostExpectation,
    HostInventory,
    certificates_in,
    expected_files,
    scanned_directories,
)
from wizard.fleet.ssh import Target as SshTarget
from wizard.fleet.ssh import for_each_host, targets_of
from wizard.rotate import CaKind, PlacedFile, RotateError, Target, target_for
from wizard.rotate.hosts import HostPlaces, rotation_extras, rotation_places
from wizard.rotate.state import (
    HeldStage,
    KeyPosition,
    Position,
    held_key_stage,
    held_stage,
    position_of,
)
from wizard.spec import ClusterSpec

CA_KINDS = (CaKind.CLUSTER, CaKind.ETCD, CaKind.FRONT_PROXY)
ROTATION_KINDS = (*CA_KINDS, CaKind.SA)
"""What `check` compares the hosts with: every CA, the service-account key, and (below)
the cluster CA's client trust (--clients-only)."""
InventoryReader = Callable[[SshTarget, HostExpectation, list[str]], HostInventory]
COVERED = ("different", "stale")
"""The findings a host's rotation finding stands for at the places a phase changes."""


@dataclass(frozen=True)
class RotationView:
    """One CA's rotation: what it touches, where the directory is, where each host keeps it."""

    target: Target
    position: Position | KeyPosition
    places: dict[str, HostPlaces]

    @property
    def kind(self) -> str:
        """`cluster`, `etcd`, `front-proxy`, `sa`; `cluster --clients-only` for client trust."""
        clients = " --clients-only" if self.target.clients_only else ""
        return f"{self.target.kind}{clients}"

    @property
    def title(self) -> str:
        """`cluster CA`, `service-account key`, `cluster CA's client trust`."""
        title = self.target.entry.title
        return f"{title}'s client trust (--clients-only)" if self.target.clients_only else title


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
            f"{self.view.title} rotation: this host's files show "
            f"{self.held.words} ({'; '.join(self.held.evidence)}); the directory is {at.words}"
        )

    def fix(self) -> str:
        """The command that brings the host to the directory's step."""
        return f"distribute --rotation {self.view.kind}"


def rotation_views(
    spec: ClusterSpec,
    directory,
    kinds: Sequence[CaKind] = ROTATION_KINDS,
    *,
    idle_too: bool = False,
) -> list[RotationView]:
    """The rotations of the set's CAs (and its service-account key, and the cluster CA's
    client trust when the profile has a client CA) the hosts can be compared with: one per
    CA (a profile with one CA for all gives one), leaving out one never rotated (unless
    `idle_too`) and one whose directory cannot be read as a stage (check's other findings say
    why)."""
    views = []
    for target in _rotation_targets(spec, directory, kinds):
        try:
            at = position_of(directory, target)
        except (RotateError, OSError):
            continue
        if at.rank == 0 and at.new is None and not idle_too:
            continue
        views.append(RotationView(target, at, rotation_places(target)))
    return views


def _rotation_targets(spec: ClusterSpec, directory, kinds: Sequence[CaKind]) -> list[Target]:
    """Each rotation of these kinds once (the cluster CA's client trust after the cluster
    CA, when the profile has a client CA); a kind the profile cannot rotate is left out."""
    targets: list[Target] = []
    for kind in kinds:
        try:
            target = target_for(kind, spec, directory)
            found = [target]
            if kind is CaKind.CLUSTER and target.profile.client_ca is not None:
                found.append(target_for(kind, spec, directory, clients_only=True))
        except (RotateError, OSError):
            continue
        targets += [t for t in found if all(t.key != other.key for other in targets)]
    return targets


@dataclass(frozen=True)
class RotationPlace:
    """A place on a host where a rotation's phases put a file the distribution plan has not
    (kube-controller-manager's one-CA signing copy, a client CA's files): what is placed there,
    by which rotation, and what the set allows there now."""

    placed: PlacedFile
    kind: str  # `cluster`, `cluster --clients-only`: the rotation's --rotation words
    certificates: frozenset[bytes]  # DER of each certificate the set's files for it hold now
    key: str  # the set's key file that belongs there ("" for a certificate's place)

    @property
    def key_hashes(self) -> frozenset[str]:
        """The sha256 of the public half of each of those certificates' keys (as a host's
        openssl says it): the keys that may be at a key's place now — during a rotation the
        old CA's and the new one's, after its finalize the new one's."""
        return frozenset(
            hashlib.sha256(
                x509.load_der_x509_certificate(der)
                .public_key()
                .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            ).hexdigest()
            for der in self.certificates
        )


def rotation_places_beyond_plan(
    spec: ClusterSpec, directory, kinds: Sequence[CaKind] = ROTATION_KINDS
) -> dict[str, dict[str, RotationPlace]]:
    """Per host address and place, the files rotations put beyond the distribution plan —
    those of every rotation the profile has, rotated yet or not (the files stay on the hosts
    after a finalize: the flags were pointed at them)."""
    found: dict[str, dict[str, RotationPlace]] = {}
    for target in _rotation_targets(spec, directory, kinds):
        files = target.files
        allowed: set[bytes] = set()
        for name in {files.cert, files.bundle, target.base_cert} - {""}:
            try:
                allowed.update(certificates_in((directory / name).read_text(errors="replace")))
            except OSError:
                continue
        words = f"{target.kind}{' --clients-only' if target.clients_only else ''}"
        for address, places in rotation_extras(target).items():
            for destination, placed in places.items():
                key = placed.source if placed.source in (files.key, files.next_key) else ""
                found.setdefault(address, {}).setdefault(
                    destination, RotationPlace(placed, words, frozenset(allowed), key)
                )
    return found


def _certificate(der: bytes) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def host_rotation(
    view: RotationView, inventory: HostInventory, name: str = ""
) -> HostRotation | None:
    """The host's step in this rotation, or None when it keeps none of its files (or its trust
    file is missing or holds no certificate — no public key, for the service-account key:
    check says that as missing or different)."""
    places = view.places.get(inventory.address)
    if places is None:
        return None
    at = view.position
    if isinstance(at, KeyPosition):
        return _key_rotation(view, at, places, inventory, name)
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
    for place in places.kubeconfigs:  # the user's certificate a kubeconfig embeds
        held = inventory.get(place)
        if held is not None and held.state == "present":
            embedded = [c for c in map(_certificate, held.kubeconfig_certificates) if c]
            user = next((c for c in embedded if not _is_ca(c)), None)
            if user is not None:
                leaves.append((place, user))
    stage = held_stage(at, trust, leaves)
    return HostRotation(view, inventory.address, name or places.name, trust[0], stage)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _key_rotation(
    view: RotationView,
    at: KeyPosition,
    places: HostPlaces,
    inventory: HostInventory,
    name: str,
) -> HostRotation | None:
    """The service-account key: the public keys at the verifying file, the signing key's
    public half (the host's openssl said its sha256; without openssl, whether it is the
    directory's signing key byte for byte)."""
    trust = None
    for place in places.trust:
        held = inventory.get(place)
        if held is not None and held.state == "present" and held.public_keys:
            trust = (place, list(held.public_keys))
            break
    if trust is None:
        return None
    signer: tuple[str, str | None] | None = None
    compared = False
    for place in places.signing:
        held = inventory.get(place)
        if held is None or held.state != "present":
            continue
        digest = held.public_key_sha256
        if digest is None and held.matches_plan is not None and at.new is not None:
            # no openssl there: the host said whether it is the directory's key byte for
            # byte; of the rotation's two keys, not that one is the other
            other = at.old if at.signing == at.new else at.new
            digest = hashlib.sha256(at.signing if held.matches_plan else other).hexdigest()
            compared = True
        signer = (place, digest)
        break
    stage = held_key_stage(at, trust, signer, compared=compared)
    return HostRotation(view, inventory.address, name or places.name, trust[0], stage)


@dataclass(frozen=True)
class HostReading:
    """One host read for `rotate-ca --hosts`: its step, or why it could not be read."""

    address: str
    name: str
    rotation: HostRotation | None
    error: str = ""
    trust: tuple[str, ...] = ()  # where the host keeps this rotation's trust (first read)

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
            what = " or ".join(self.trust) or "no trust file of this rotation"
            return (
                f"{self.label}: {what} is missing there or holds nothing to read a step from "
                "(no certificate, no public key) — check says why"
            )
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
    say its step next to the directory's."""
    view = RotationView(target, position_of(directory, target), rotation_places(target))
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
        HostReading(
            o.target.address,
            by_target[o.target].name,
            o.result,
            o.error,
            view.places[o.target.address].trust,
        )
        for o in outcomes
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
