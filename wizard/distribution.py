"""The distribution plan: which files each host needs, where they go, and the TLS flags.

Read from the catalogue's component map: a host runs components by its roles (etcd member,
master, node, registry), a component uses parts of certificate entries, and per-node or
per-member certificates go only to their own host. The CA key therefore lands only where
kube-controller-manager runs: the masters.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from wizard.catalog import (
    KUBELET_KUBECONFIG,
    RESTARTS,  # noqa: F401  (re-exported: renew's report reads it from here)
    ROLE_COMPONENTS,
    CertEntry,
    ComponentUse,
    FlagKind,
    KubeconfigEntry,
    Naming,
    Part,
    Profile,
    concrete_entries,
    concrete_kubeconfigs,
    file_of_part,
    files_of,
    flag_kind,
    get_profile,
)
from wizard.kubeconfig import dump_kubeconfig
from wizard.spec import ClusterSpec
from wizard.store import FILE_MODE, KEY_MODE, OutputFile


@dataclass(frozen=True)
class PlacedFile:
    """One file on one host: where it comes from in the output directory and where it goes."""

    source: str
    destination: str
    mode: int
    why: str


@dataclass
class HostPlan:
    """What one host receives and which components read it."""

    address: str
    name: str
    roles: list[str]
    components: list[str]
    files: list[PlacedFile] = field(default_factory=list)
    readers: dict[str, list[str]] = field(default_factory=dict)
    """source → the components of this host that read it (what a change restarts)."""

    def read_by(self, source: str, component: str) -> None:
        """Record that a component of this host reads a source file."""
        names = self.readers.setdefault(source, [])
        if component not in names:
            names.append(component)


def base_directory(profile: Profile) -> str:
    """Where certificates live on the hosts: the guide's /etc/kubernetes/ssl, or kubeadm's pki."""
    return "/etc/kubernetes" if profile.naming is Naming.KUBEADM else "/etc/kubernetes/ssl"


def _generic(path: str, entry: CertEntry | None) -> str:
    """The destination name of a per-host file: kubelet-node-1.pem → kubelet.pem, so every
    host's flags name the same path."""
    if entry is None or entry.instance is None:
        return path
    name = entry.instance.name
    generic = path.replace(f"-{name}", "").replace(f"/{name}/", "/")
    # kubeadm's kubelet files: pki/kubelet/node-1.crt → pki/kubelet.crt, …/node-1-client.crt
    generic = generic.replace(f"/{name}.", ".").replace(f"/{name}-", "-")
    return generic.replace(f"{name}/", "")


def destination_of(source: str, profile: Profile, entry: CertEntry | None = None) -> str:
    """The absolute path of an output file on its host."""
    relative = _generic(source, entry)
    if source.endswith((".kubeconfig", ".conf")):  # kubeconfigs sit beside the pki directory
        return f"/etc/kubernetes/{relative}"
    return f"{base_directory(profile)}/{relative}"


def _host_roles(spec: ClusterSpec) -> dict[str, tuple[str, list[str]]]:
    """address → (name, roles), in the order etcd, masters, nodes, registry."""
    hosts: dict[str, tuple[str, list[str]]] = {}

    def add(address: str, name: str, role: str) -> None:
        current_name, roles = hosts.setdefault(address, (name, []))
        if role not in roles:
            roles.append(role)
        if name and not current_name:
            hosts[address] = (name, roles)

    for index, host in enumerate(spec.host_entries("etcd"), start=1):
        add(host.value, f"etcd-{index}", "etcd")
    for host in spec.host_entries("masters"):
        add(host.value, "", "master")
    for node in spec.nodes:
        add(node.address, node.name, "node")
    for host in spec.host_entries("registry"):
        add(host.value, "", "registry")
    return hosts


def plan_distribution(spec: ClusterSpec) -> list[HostPlan]:
    """For each host, the files it needs and where they go."""
    profile = get_profile(spec.profile)
    entries = {e.name: e for e in concrete_entries(profile, spec)}
    kubeconfigs = concrete_kubeconfigs(profile, spec)
    in_kubeconfigs = {k.component for k in kubeconfigs}
    shared = [e for e in entries.values() if e.instance is None]
    own: dict[str, list[CertEntry]] = {}
    for entry in entries.values():
        if entry.instance is not None:
            own.setdefault(entry.instance.address, []).append(entry)
    shared_kubeconfigs = [k for k in kubeconfigs if _kubeconfig_belongs(k, entries, "")]
    own_kubeconfigs: dict[str, list[KubeconfigEntry]] = {}
    for item in kubeconfigs:
        user = entries.get(item.user)
        if user is not None and user.instance is not None:
            own_kubeconfigs.setdefault(user.instance.address, []).append(item)
    plans = []
    for address, (name, roles) in _host_roles(spec).items():
        components = [c for role in roles for c in ROLE_COMPONENTS[role]]
        plan = HostPlan(address, name, roles, list(dict.fromkeys(components)))
        placed: dict[str, PlacedFile] = {}
        for entry in shared + own.get(address, []):
            for use in entry.used_by:
                if use.component not in plan.components:
                    continue
                for source, mode, why in _sources(entry, use, profile, in_kubeconfigs):
                    plan.read_by(source, use.component)
                    placed.setdefault(
                        source,
                        PlacedFile(source, destination_of(source, profile, entry), mode, why),
                    )
        for item in shared_kubeconfigs + own_kubeconfigs.get(address, []):
            if item.component in plan.components:
                user_entry = entries.get(item.user)
                plan.read_by(item.name, item.component)
                placed.setdefault(
                    item.name,
                    PlacedFile(
                        item.name,
                        destination_of(item.name, profile, user_entry),
                        KEY_MODE,
                        f"{item.component}'s kubeconfig",
                    ),
                )
                if not spec.kubeconfig.embed:
                    for source, mode in _kubeconfig_references(item, entries, profile):
                        plan.read_by(source, item.component)
                        placed.setdefault(
                            source,
                            PlacedFile(
                                source,
                                destination_of(source, profile),
                                mode,
                                f"referenced by {item.name}",
                            ),
                        )
        if "registry" in roles and not placed:
            ca_cert = files_of(profile.cluster_ca, profile).cert
            placed[ca_cert] = PlacedFile(
                ca_cert,
                destination_of(ca_cert, profile),
                FILE_MODE,
                "to trust the cluster CA (the guide also lists the registry in kubernetes.pem)",
            )
        plan.files = sorted(placed.values(), key=lambda f: f.destination)
        plans.append(plan)
    return plans


def _sources(
    entry: CertEntry, use: ComponentUse, profile: Profile, in_kubeconfigs: set[str]
) -> list[tuple[str, int, str]]:
    """The files a component's use of an entry needs on its host: (source, mode, why).

    A kubeconfig field's file travels inside (or beside) the kubeconfig when the profile makes
    one for the component; otherwise (classic) the file itself goes, to build the kubeconfig."""
    result = []
    for flag, part in use.flags:
        if flag_kind(flag) is FlagKind.KUBECONFIG_FIELD and use.component in in_kubeconfigs:
            continue
        mode = KEY_MODE if part in (Part.KEY, Part.CA_KEY) else FILE_MODE
        result.append((file_of_part(entry, part, profile), mode, f"{use.component} {flag}"))
    return result


def _kubeconfig_belongs(item: KubeconfigEntry, entries: dict[str, CertEntry], address: str) -> bool:
    """True for a kubeconfig shared by all hosts, or one whose user is this host's."""
    user = entries.get(item.user)
    return user is None or user.instance is None or user.instance.address == address


def _kubeconfig_references(
    item: KubeconfigEntry, entries: dict[str, CertEntry], profile: Profile
) -> list[tuple[str, int]]:
    """The files a kubeconfig names when it does not embed them: (source, mode)."""
    references = [(files_of(profile.cluster_ca, profile).cert, FILE_MODE)]
    user = entries.get(item.user)
    if user is not None:
        files = files_of(user, profile)
        references += [(files.cert, FILE_MODE), (files.key, KEY_MODE)]
    return references


def component_flags(spec: ClusterSpec) -> dict[str, list[str]]:
    """For each component, its TLS flags pointing at the files' places on the hosts."""
    profile = get_profile(spec.profile)
    entries = {e.name: e for e in concrete_entries(profile, spec)}
    kubeconfigs = {k.component: k for k in concrete_kubeconfigs(profile, spec)}
    flags: dict[str, list[str]] = {}
    seen_templates: set[tuple[str, str]] = set()
    for entry in entries.values():
        for use in entry.used_by:
            for flag, part in use.flags:
                kind = flag_kind(flag)
                if kind is FlagKind.KUBECONFIG_FIELD and use.component in kubeconfigs:
                    continue
                source = file_of_part(entry, part, profile)
                destination = destination_of(source, profile, entry)
                if (use.component, flag) in seen_templates:
                    continue
                seen_templates.add((use.component, flag))
                text = f"{flag}={destination}" if kind is FlagKind.FLAG else f"{flag} {destination}"
                flags.setdefault(use.component, []).append(text)
    flags.setdefault("kube-apiserver", []).extend(_front_proxy_flags(entries.values()))
    if spec.kubelet == "bootstrap" and profile.kubeconfigs:
        # The token is a bootstrap-token Secret (bootstrap-rbac.yaml), not a --token-auth-file
        # line: a static token file is checked first and would make the kubelet a plain user,
        # so the Secret's expiry and groups would never apply.
        flags.setdefault("kube-apiserver", []).append("--enable-bootstrap-token-auth=true")
    for component, item in kubeconfigs.items():
        user = entries.get(item.user)
        flags.setdefault(component, []).insert(
            0, f"--kubeconfig={destination_of(item.name, profile, user)}"
        )
        if item.user == "" and component == "kubelet":
            flags[component][0] = (
                f"--bootstrap-kubeconfig={destination_of(item.name, profile)} "
                f"--kubeconfig={KUBELET_KUBECONFIG}"
            )
    return flags


REQUEST_HEADER_FLAGS = (
    "--requestheader-username-headers=X-Remote-User",
    "--requestheader-group-headers=X-Remote-Group",
    "--requestheader-extra-headers-prefix=X-Remote-Extra-",
)
"""The headers the aggregation layer sends (kubeadm's values)."""


def _front_proxy_flags(entries: Iterable[CertEntry]) -> list[str]:
    """kube-apiserver's request-header flags for the front-proxy client in the set, or none.

    `--requestheader-allowed-names` is what keeps any other certificate of the same CA from
    setting X-Remote-User; kube-apiserver refuses to start without it when the request-header CA
    is also the client CA (one CA, the complete profile)."""
    names = [
        entry.cn
        for entry in entries
        if any(flag == "--proxy-client-cert-file" for use in entry.used_by for flag, _ in use.flags)
    ]
    if not names:
        return []
    return [f"--requestheader-allowed-names={','.join(names)}", *REQUEST_HEADER_FLAGS]


def distribution_json(plans: list[HostPlan]) -> dict[str, Any]:
    """The plan as plain data for scripts."""
    return {
        "hosts": [
            {
                "address": p.address,
                "name": p.name,
                "roles": p.roles,
                "components": p.components,
                "files": [
                    {
                        "source": f.source,
                        "destination": f.destination,
                        "mode": f"{f.mode:04o}",
                        "why": f.why,
                    }
                    for f in p.files
                ],
            }
            for p in plans
        ]
    }


def distribution_markdown(plans: list[HostPlan], spec: ClusterSpec) -> str:
    """DISTRIBUTION.md: per host, what to copy where; then every component's TLS flags."""
    profile = get_profile(spec.profile)
    lines = [
        "# Where each file goes",
        "",
        f"Profile `{profile.name}`. Copy each host's files with the modes shown; private keys "
        "(0600) go only where a component reads them — the CA key only to the masters.",
        "",
    ]
    for plan in plans:
        title = f"{plan.address} ({plan.name})" if plan.name else plan.address
        lines += [f"## {title} — {', '.join(plan.roles)}", ""]
        lines += ["| file | goes to | mode | read by |", "|---|---|---|---|"]
        for placed in plan.files:
            lines.append(
                f"| `{placed.source}` | `{placed.destination}` | {placed.mode:04o} | {placed.why} |"
            )
        lines.append("")
    lines += ["# TLS flags", ""]
    for component, flags in component_flags(spec).items():
        lines += [f"## {component}", "", "```"]
        lines += flags
        lines += ["```", ""]
    return "\n".join(lines)


def per_host_files(plans: list[HostPlan], files: list[OutputFile]) -> list[OutputFile]:
    """Copies of every host's files under hosts/<address>/<destination>, ready for `rsync -a`."""
    contents = {f.path: f.content for f in files}
    copies = []
    for plan in plans:
        destinations = {placed.source: placed.destination for placed in plan.files}
        for placed in plan.files:
            if placed.source in contents:
                content = content_on_host(plan, placed, contents[placed.source], destinations)
                target = f"hosts/{plan.address}{placed.destination}"
                copies.append(OutputFile(target, content, placed.mode))
    return copies


def content_on_host(
    plan: HostPlan,
    placed: PlacedFile,
    content: bytes,
    destinations: dict[str, str] | None = None,
) -> bytes:
    """A file as it goes onto its host: a kubeconfig naming its files names their places there."""
    if not placed.source.endswith((".kubeconfig", ".conf")):
        return content
    if destinations is None:
        destinations = {f.source: f.destination for f in plan.files}
    return _repoint_kubeconfig(content, placed.destination, destinations)


_PATH_FIELDS = ("certificate-authority", "client-certificate", "client-key")


def _repoint_kubeconfig(content: bytes, destination: str, destinations: dict[str, str]) -> bytes:
    """A kubeconfig naming its files (embed = false) names them from its place on the host.

    In the output directory it sits beside them (`ca.pem`); on a host it goes to /etc/kubernetes
    and they to /etc/kubernetes/ssl, so each path becomes relative to the kubeconfig's own
    directory (`ssl/ca.pem`) — kubectl and the components resolve it from there, on the host
    and in the hosts/ copy alike. An embedding kubeconfig comes back unchanged.
    """
    document = yaml.safe_load(content)
    here = posixpath.dirname(destination)
    changed = False
    for section, key in (("clusters", "cluster"), ("users", "user")):
        for item in document.get(section) or []:
            fields = item.get(key) or {}
            for name in _PATH_FIELDS:
                source = fields.get(name)
                if isinstance(source, str) and source in destinations:
                    fields[name] = posixpath.relpath(destinations[source], here)
                    changed = True
    return dump_kubeconfig(document).encode() if changed else content
