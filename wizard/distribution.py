"""The distribution plan: which files each host needs, where they go, and the TLS flags.

Read from the catalogue's component map: a host runs components by its roles (etcd member,
master, node, registry), a component uses parts of certificate entries, and per-node or
per-member certificates go only to their own host. The CA key therefore lands only where
kube-controller-manager runs: the masters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wizard.catalog import (
    CertEntry,
    ComponentUse,
    KubeconfigEntry,
    Profile,
    concrete_entries,
    concrete_kubeconfigs,
    files_of,
    get_profile,
)
from wizard.spec import ClusterSpec
from wizard.store import OutputFile

ROLE_COMPONENTS: dict[str, tuple[str, ...]] = {
    "etcd": ("etcd", "etcdctl"),
    "master": ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"),
    "node": ("kubelet", "kube-proxy"),
    "registry": (),
}
RESTARTS: dict[str, str] = {
    "etcd": "systemctl restart etcd",
    "kube-apiserver": "systemctl restart kube-apiserver",
    "kube-controller-manager": "systemctl restart kube-controller-manager",
    "kube-scheduler": "systemctl restart kube-scheduler",
    "kubelet": "systemctl restart kubelet",
    "kube-proxy": "systemctl restart kube-proxy",
}


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


def base_directory(profile: Profile) -> str:
    """Where certificates live on the hosts: the guide's /etc/kubernetes/ssl, or kubeadm's pki."""
    return "/etc/kubernetes" if profile.naming == "kubeadm" else "/etc/kubernetes/ssl"


def _generic(path: str, entry: CertEntry | None, template: str) -> str:
    """The destination name of a per-host file: kubelet-node-1.pem → kubelet.pem."""
    if entry is None or entry.instance is None:
        return path
    name = entry.instance.name
    return path.replace(f"-{name}", "").replace(f"/{name}/", "/").replace(f"{name}/", "")


def destination_of(source: str, profile: Profile, entry: CertEntry | None = None) -> str:
    """The absolute path of an output file on its host."""
    relative = _generic(source, entry, "")
    if source.endswith((".kubeconfig", ".conf")):
        return f"/etc/kubernetes/{relative}"
    if profile.naming == "kubeadm":
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
                for source, mode, why in _sources(entry, use, entries, profile):
                    placed.setdefault(
                        source,
                        PlacedFile(source, destination_of(source, profile, entry), mode, why),
                    )
        for item in shared_kubeconfigs + own_kubeconfigs.get(address, []):
            if item.component in plan.components:
                user_entry = entries.get(item.user)
                placed.setdefault(
                    item.name,
                    PlacedFile(
                        item.name,
                        destination_of(item.name, profile, user_entry),
                        0o600,
                        f"{item.component}'s kubeconfig",
                    ),
                )
                if not spec.kubeconfig.embed:
                    for source in _kubeconfig_references(item, entries, profile):
                        placed.setdefault(
                            source,
                            PlacedFile(
                                source,
                                destination_of(source, profile),
                                0o600 if source.endswith(("-key.pem", ".key")) else 0o644,
                                f"referenced by {item.name}",
                            ),
                        )
        if spec.kubelet == "bootstrap" and profile.kubeconfigs and "master" in roles:
            placed["token.csv"] = PlacedFile(
                "token.csv",
                destination_of("token.csv", profile),
                0o600,
                "kube-apiserver --token-auth-file",
            )
        if "registry" in roles and not placed:
            ca_files = files_of(entries["ca"], profile)
            placed[ca_files.cert] = PlacedFile(
                ca_files.cert,
                destination_of(ca_files.cert, profile),
                0o644,
                "to trust the cluster CA (the guide also lists the registry in kubernetes.pem)",
            )
        plan.files = sorted(placed.values(), key=lambda f: f.destination)
        plans.append(plan)
    return plans


def _sources(
    entry: CertEntry, use: ComponentUse, entries: dict[str, CertEntry], profile: Profile
) -> list[tuple[str, int, str]]:
    files = files_of(entry, profile)
    result = []
    for flag, part in use.flags:
        if flag.endswith(":") and flag.startswith(("client-", "certificate-authority")):
            continue  # lives inside the component's kubeconfig
        if part == "cert":
            result.append((files.cert, 0o644, f"{use.component} {flag}"))
        elif part == "key":
            result.append((files.key, 0o600, f"{use.component} {flag}"))
        elif part == "pub":
            result.append((files.public_key, 0o644, f"{use.component} {flag}"))
        elif part == "ca-cert":
            signer = files_of(entries[entry.signer or "ca"], profile)
            result.append((signer.cert, 0o644, f"{use.component} {flag}"))
    return result


def _kubeconfig_belongs(item: KubeconfigEntry, entries: dict[str, CertEntry], address: str) -> bool:
    """True for a kubeconfig shared by all hosts, or one whose user is this host's."""
    user = entries.get(item.user)
    return user is None or user.instance is None or user.instance.address == address


def _kubeconfig_references(
    item: KubeconfigEntry, entries: dict[str, CertEntry], profile: Profile
) -> list[str]:
    references = [files_of(entries["ca"], profile).cert]
    user = entries.get(item.user)
    if user is not None:
        files = files_of(user, profile)
        references += [files.cert, files.key]
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
                if (
                    flag.endswith(":")
                    and use.component in kubeconfigs
                    and flag.startswith(("client-", "certificate-authority"))
                ):
                    continue
                files = files_of(entry, profile)
                if part == "ca-cert":
                    source = files_of(entries[entry.signer or "ca"], profile).cert
                else:
                    source = {"cert": files.cert, "key": files.key, "pub": files.public_key}[part]
                destination = destination_of(source, profile, entry)
                if (use.component, flag) in seen_templates:
                    continue
                seen_templates.add((use.component, flag))
                text = f"{flag} {destination}" if flag.endswith(":") else f"{flag}={destination}"
                flags.setdefault(use.component, []).append(text)
    if spec.kubelet == "bootstrap" and profile.kubeconfigs:
        flags.setdefault("kube-apiserver", []).extend(
            [
                "--enable-bootstrap-token-auth=true",
                f"--token-auth-file={destination_of('token.csv', profile)}",
            ]
        )
    for component, item in kubeconfigs.items():
        user = entries.get(item.user)
        flags.setdefault(component, []).insert(
            0, f"--kubeconfig={destination_of(item.name, profile, user)}"
        )
        if item.user == "" and component == "kubelet":
            flags[component][0] = (
                f"--bootstrap-kubeconfig={destination_of(item.name, profile)} "
                "--kubeconfig=/etc/kubernetes/kubelet.kubeconfig"
            )
    return flags


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
        for placed in plan.files:
            if placed.source in contents:
                target = f"hosts/{plan.address}{placed.destination}"
                copies.append(OutputFile(target, contents[placed.source], placed.mode))
    return copies
