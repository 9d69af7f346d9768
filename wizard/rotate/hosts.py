"""The host side of a phase, as a plan `distribute` executes: per wave, per host, the files
(source in the directory → place on the host), the units to restart and the check to pass
before the next host. Read from the distribution plan and [deploy]'s unit names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wizard.catalog import RESTARTS, files_of
from wizard.distribution import destination_of, plan_distribution
from wizard.rotate.model import HostStep, Phase, PlacedFile, Target
from wizard.rotate.targets import readers_of, sibling
from wizard.store import FILE_MODE

_TRUST_WAVES = (
    ("etcd members, one at a time", ("etcd",)),
    ("masters, one at a time", ("kube-apiserver", "kube-controller-manager", "kube-scheduler")),
    ("nodes, one at a time", ("kubelet", "kube-proxy")),
    ("operators (nothing restarts)", ("kubectl", "etcdctl")),
)
_REISSUE_WAVES = (
    ("masters: the clients first", ("kube-controller-manager", "kube-scheduler")),
    ("nodes, one at a time", ("kubelet", "kube-proxy")),
    ("etcd members, one at a time (servers last)", ("etcd",)),
    ("masters: kube-apiserver last, one at a time", ("kube-apiserver",)),
    ("operators (nothing restarts)", ("kubectl", "etcdctl")),
)
WAVES: dict[Phase, tuple[tuple[str, tuple[str, ...]], ...]] = {
    Phase.PREPARE: _TRUST_WAVES,
    Phase.REISSUE: _REISSUE_WAVES,
    Phase.FINALIZE: _TRUST_WAVES,
}
"""The restart order of each phase: trust first everywhere; then clients before servers."""


def signing_destination(target: Target) -> str:
    """Where kube-controller-manager's --cluster-signing-cert-file points during and after a
    rotation: one certificate beside the trust file, which holds the bundle."""
    trust = destination_of(target.files.cert, target.profile)
    return sibling(trust, "signing")


def _check(component: str, address: str, name: str, target: Target) -> str:
    port = target.spec.network.apiserver_port
    if component == "etcd":
        return (
            f"etcdctl --endpoints=https://{address}:2379 endpoint health && sleep 5"
            "  # with the master's etcd client flags; 5 s for the member to settle"
        )
    if component == "kube-apiserver":
        return f"kubectl --server=https://{address}:{port} get --raw /readyz"
    if component == "kubelet":
        return (
            f"kubectl get node {name or address} -o "
            "jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'  # True"
        )
    if component == "kube-controller-manager":
        return f"curl -sk https://{address}:10257/healthz  # ok"
    return ""


def _client_ca_files(
    target: Target, components: list[str], changed: set[str], in_rotation: bool
) -> list[tuple[PlacedFile, set[str]]]:
    """A client-trust rotation's own files, which the distribution plan does not know: the
    client trust (bundle, then the client CA) where a client-verifying flag is read, and the
    client CA with its key where kube-controller-manager signs client CSRs."""
    files, found = target.files, []
    readers = {use.component for use in target.trust} & set(components)
    if readers and files.bundle in changed:
        source = files.bundle if in_rotation else files.cert
        found.append(
            (
                PlacedFile(
                    source,
                    destination_of(files.cert, target.profile),
                    FILE_MODE,
                    "client trust: " + ("old + new CA" if in_rotation else "the client CA alone"),
                ),
                readers,
            )
        )
    if "kube-controller-manager" in components and files.cert in changed:
        signing = sibling(destination_of(files.cert, target.profile), "signing")
        for source, place, mode in (
            (files.cert, signing, FILE_MODE),
            (files.key, destination_of(files.key, target.profile), 0o600),
        ):
            found.append(
                (
                    PlacedFile(
                        source,
                        place,
                        mode,
                        "--cluster-signing-kube-apiserver-client-* / -kubelet-client-*",
                    ),
                    {"kube-controller-manager"},
                )
            )
    return found


def phase_steps(target: Target, phase: Phase, changed: set[str]) -> list[HostStep]:
    """Every host's files and restarts for a phase that changes these directory files.

    A file goes to a host in the first wave whose components read it there; a component
    restarts in its own wave once a file it reads has been placed."""
    files = target.files
    in_rotation = phase in (Phase.PREPARE, Phase.REISSUE)
    trust_source = files.bundle if in_rotation else files.trust
    signing_changes = bool(target.single and files.cert) and (
        phase is Phase.PREPARE or files.cert in changed
    )
    single_components = {use.component for use in target.single}
    waves = WAVES[phase]
    steps: list[HostStep] = []
    for host in plan_distribution(target.spec):
        wanted: list[tuple[PlacedFile, set[str]]] = []
        for item in host.files:
            if files.trust and item.source == files.trust:
                if files.bundle not in changed:
                    continue
                what = "public key" if target.is_key_pair else "CA"
                why = f"trust: old + new {what}" if in_rotation else f"trust: one {what}"
                placed = PlacedFile(trust_source, item.destination, item.mode, why)
            elif item.source in changed:
                placed = PlacedFile(item.source, item.destination, item.mode, item.why)
            else:
                continue
            reading = set(readers_of(item.source, target)) & set(host.components)
            wanted.append((placed, reading))
        if target.clients_only:
            wanted += _client_ca_files(target, host.components, changed, in_rotation)
        if signing_changes and single_components & set(host.components):
            for source, destination, mode, why in (
                (
                    files.cert,
                    signing_destination(target),
                    FILE_MODE,
                    "--cluster-signing-cert-file: one CA, never a bundle",
                ),
                (
                    files.key,
                    destination_of(files.key, target.profile),
                    0o600,
                    "--cluster-signing-key-file",
                ),
            ):
                if all(p.destination != destination for p, _r in wanted):
                    wanted.append(
                        (PlacedFile(source, destination, mode, why), set(single_components))
                    )
        if not wanted:
            continue
        assigned: dict[int, list[tuple[PlacedFile, set[str]]]] = {}
        for placed, reading in wanted:
            wave = next(
                (i for i, (_t, comps) in enumerate(waves) if reading & set(comps)), len(waves) - 1
            )
            assigned.setdefault(wave, []).append((placed, reading))
        read_so_far: set[str] = set()
        restarted: set[str] = set()
        for index, (title, components) in enumerate(waves):
            here = assigned.get(index, [])
            for _placed, reading in here:
                read_so_far |= reading
            restart_components = [
                c
                for c in components
                if c in host.components
                and c in read_so_far
                and c in RESTARTS
                and c not in restarted
            ]
            if not here and not restart_components:
                continue
            restarted |= set(restart_components)
            check = next(
                (
                    text
                    for c in restart_components
                    if (text := _check(c, host.address, host.name, target))
                ),
                "",
            )
            steps.append(
                HostStep(
                    index + 1,
                    title,
                    host.address,
                    host.name,
                    tuple(p for p, _r in here),
                    tuple(target.spec.deploy.unit_of(c) for c in restart_components),
                    check,
                )
            )
    steps.sort(key=lambda s: s.wave)
    return steps


def written_phase_steps(directory: Path, target: Target) -> tuple[Phase, list[HostStep]] | None:
    """The host plan of the last phase written into the directory (read back from its
    backup's rotate.json), for `distribute` to run — or to run again after an interruption:
    every step is idempotent (whole files, then restarts). None before the first phase."""
    from wizard.rotate.progress import written_phase

    found = written_phase(Path(directory), target)
    return None if found is None else found[1:]


@dataclass(frozen=True)
class HostPlaces:
    """Where one host keeps the files of a rotation: its trust file(s) (the first one there
    is read), its leaves (place → the directory's file), every place a phase may change there,
    the service-account signing key's place (the key pair's rotation), and its kubeconfigs
    whose user the rotation re-issues (place → the directory's kubeconfig)."""

    address: str
    name: str
    trust: tuple[str, ...]
    leaves: dict[str, str]
    touched: frozenset[str]
    signing: tuple[str, ...] = ()
    kubeconfigs: dict[str, str] = field(default_factory=dict)


def rotation_places(target: Target) -> dict[str, HostPlaces]:
    """Per host address, the places of this rotation's files, from the distribution plan and
    (for a client-trust rotation) the client CA's places its phases add; hosts that hold none
    of them are left out. A client-trust rotation's trust is the client CA's file, and before
    it is placed the cluster CA's (what client trust reads until then)."""
    files = target.files
    leaf_sources = {files_of(leaf, target.profile).cert for leaf in target.leaves}
    key_sources = {files_of(leaf, target.profile).key for leaf in target.leaves}
    users = {leaf.name for leaf in target.leaves}
    kubeconfigs = {item.name for item in target.kubeconfigs}
    reissued = {item.name for item in target.kubeconfigs if item.user in users}
    extras = rotation_extras(target)
    found = {}
    for host in plan_distribution(target.spec):
        trust = tuple(f.destination for f in host.files if f.source == files.trust)
        added = extras.get(host.address, {})
        if target.clients_only:
            client_trust = destination_of(files.cert, target.profile)
            base = tuple(f.destination for f in host.files if f.source == target.base_cert)
            trust = (client_trust, *base) if client_trust in added else ()
        leaves = {f.destination: f.source for f in host.files if f.source in leaf_sources}
        signing = (
            tuple(f.destination for f in host.files if f.source == files.key)
            if target.is_key_pair
            else ()
        )
        if not trust and not leaves:
            continue
        touched = {
            f.destination
            for f in host.files
            if f.source in leaf_sources | key_sources | {files.trust, files.key}
            or f.source in kubeconfigs
        } | set(added)
        own = {f.destination: f.source for f in host.files if f.source in reissued}
        found[host.address] = HostPlaces(
            host.address, host.name, trust, leaves, frozenset(touched), signing, own
        )
    return found


def rotation_extras(target: Target) -> dict[str, dict[str, PlacedFile]]:
    """Per host address, the places this rotation's phases put a file that the distribution
    plan has not (kube-controller-manager's one-CA signing copy, a client CA's trust, signing
    copy and key), with what each phase places there — read from the phases' own host plans,
    so `check` knows them as the rotation's, not as left over."""
    files = target.files
    planned = {
        (host.address, f.destination) for host in plan_distribution(target.spec) for f in host.files
    }
    changed = {files.bundle, files.cert, files.key, files.trust} - {""}
    found: dict[str, dict[str, PlacedFile]] = {}
    for phase in Phase:
        for step in phase_steps(target, phase, changed):
            for placed in step.files:
                if (step.address, placed.destination) not in planned:
                    found.setdefault(step.address, {}).setdefault(placed.destination, placed)
    return found
