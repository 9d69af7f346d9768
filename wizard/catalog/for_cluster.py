"""The catalogue for one cluster: entries expanded per node and etcd member, subjects and SANs.

Only attributes of the ClusterSpec are read, so this module needs `wizard.spec` for its types
alone and `wizard.spec` may import the catalogue (PROFILE_NAMES, the profile facts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from wizard.catalog.model import (
    CertEntry,
    Instance,
    KubeconfigEntry,
    Per,
    Profile,
    San,
    SanSource,
    SigningProfile,
)
from wizard.hosts import Host, HostError, parse_host

if TYPE_CHECKING:
    from wizard.spec import ClusterSpec

_Item = TypeVar("_Item", CertEntry, KubeconfigEntry)


def instances_for(per: Per | str | None, spec: ClusterSpec) -> list[Instance]:
    """The hosts a `per` template is made for: the nodes, or the etcd members (etcd-1, …)."""
    if per == Per.NODE:
        return [Instance(node.name, node.address) for node in spec.nodes]
    if per == Per.ETCD:
        return [
            Instance(f"etcd-{index}", host.value)
            for index, host in enumerate(spec.host_entries("etcd"), start=1)
        ]
    return []


def _for_this_cluster(
    items: Iterable[_Item], spec: ClusterSpec
) -> Iterator[tuple[_Item, Instance | None]]:
    """The items of this kubelet mode, each once, or once per host for a `per` template."""
    for item in items:
        if item.when_kubelet and item.when_kubelet != spec.kubelet:
            continue
        if item.per is None:
            yield item, None
            continue
        for instance in instances_for(item.per, spec):
            yield item, instance


def concrete_entries(profile: Profile, spec: ClusterSpec) -> list[CertEntry]:
    """The profile's entries for this cluster: templates expanded per node or etcd member,
    and entries of the other kubelet mode left out. CAs come first, then in catalogue order."""
    result = [
        entry
        if instance is None
        else replace(
            entry,
            slug=entry.text_key,
            name=entry.name.format(name=instance.name),
            cn=entry.cn.format(name=instance.name),
            instance=instance,
        )
        for entry, instance in _for_this_cluster(profile.entries, spec)
    ]
    return sorted(result, key=lambda e: not e.is_ca)


def concrete_kubeconfigs(profile: Profile, spec: ClusterSpec) -> list[KubeconfigEntry]:
    """The profile's kubeconfigs for this cluster, expanded per node like the certificates."""
    return [
        item
        if instance is None
        else replace(
            item,
            name=item.name.format(name=instance.name),
            user=item.user.format(name=instance.name),
            per=None,
        )
        for item, instance in _for_this_cluster(profile.kubeconfigs, spec)
    ]


def organization_of(entry: CertEntry, spec: ClusterSpec) -> str:
    """The O of an entry's subject: fixed by the catalogue or taken from cluster.toml."""
    if entry.key_only:
        return ""
    if entry.organization is not None:
        return entry.organization
    return spec.subject.O if entry.use_subject else ""


def subject_of(entry: CertEntry, spec: ClusterSpec) -> dict[str, str]:
    """The entry's subject names C, ST, L, O, OU (cfssl's `names`), without the CN."""
    names = (
        spec.subject.as_dict() if entry.use_subject else dict.fromkeys(spec.subject.as_dict(), "")
    )
    names["O"] = organization_of(entry, spec)
    return names


def cluster_dns_names(spec: ClusterSpec) -> list[str]:
    """The names of the `kubernetes` Service, ending with the cluster domain."""
    domain = spec.cluster_domain()
    names = [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster",
        f"kubernetes.default.svc.{domain}",
    ]
    return list(dict.fromkeys(names))


def sans_of(entry: CertEntry, spec: ClusterSpec) -> list[San]:
    """The entry's SANs with their reasons, in the order of its SAN sources, each value once."""
    result: list[San] = []
    seen: set[str] = set()
    for source in entry.sans:
        for host in _hosts_for(source, entry, spec):
            if host.value not in seen:
                seen.add(host.value)
                result.append(San(host.value, host.kind, source))
    return result


def _hosts_for(source: SanSource, entry: CertEntry, spec: ClusterSpec) -> list[Host]:
    fixed = {
        SanSource.LOOPBACK: "127.0.0.1",
        SanSource.LOOPBACK6: "::1",
        SanSource.LOCALHOST: "localhost",
    }
    texts: list[str]
    if source in fixed:
        texts = [fixed[source]]
    elif source is SanSource.SERVICE_IP:
        try:
            texts = [str(spec.service_ip())]
        except HostError:
            texts = []
    elif source is SanSource.CLUSTER_DNS:
        texts = cluster_dns_names(spec)
    elif source is SanSource.INSTANCE_NAME:
        texts = [entry.instance.name] if entry.instance else []
    elif source is SanSource.INSTANCE_ADDRESS:
        texts = [entry.instance.address] if entry.instance else []
    else:
        return spec.host_entries(source.value)
    hosts = []
    for text in texts:
        try:
            hosts.append(parse_host(text))
        except HostError:
            continue
    return hosts


def usages_for(profile: SigningProfile, key_algo: str) -> tuple[str, ...]:
    """A signing profile's usages for a key type: ECDSA keys cannot do key encipherment."""
    if key_algo == "ecdsa":
        return tuple(u for u in profile.usages if u != "key encipherment")
    return profile.usages


def shared_subject_leaves(profile: Profile, spec: ClusterSpec) -> list[tuple[CertEntry, CertEntry]]:
    """(CA, leaf) pairs whose subjects are equal, as the guide's ca and kubernetes are."""
    pairs = []
    entries = {e.name: e for e in concrete_entries(profile, spec)}
    for entry in entries.values():
        if entry.is_ca or entry.key_only:
            continue
        signer = entries[profile.signer_of(entry).name]
        if (subject_of(entry, spec), entry.cn) == (subject_of(signer, spec), signer.cn):
            pairs.append((signer, entry))
    return pairs


def kubeconfig_server(item: KubeconfigEntry, spec: ClusterSpec) -> str:
    """The server a kubeconfig dials: the local apiserver on a master, else the VIP's URL."""
    if item.local:
        return f"https://127.0.0.1:{spec.network.apiserver_port}"
    return spec.apiserver_url()
