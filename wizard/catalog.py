"""The certificate catalogue: declarative entries that every screen and command reads.

Like kubeadm's certlist.go, a profile is a table of entries. Generation, the CSR preview, the
teaching screen and the review's role checks all read these entries, so they cannot disagree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from wizard.hosts import Host, HostError, HostKind, parse_host
from wizard.spec import ClusterSpec


class SanSource(enum.Enum):
    """Where a SAN of a certificate comes from; the preview shows it as the reason."""

    LOOPBACK = "loopback"
    ETCD = "etcd"
    MASTERS = "masters"
    SERVICE_IP = "service-ip"
    REGISTRY = "registry"
    VIP = "vip"
    CLUSTER_DNS = "cluster-dns"
    EXTRA = "extra"


SAN_REASONS: dict[SanSource, str] = {
    SanSource.LOOPBACK: "loopback: components on the same host dial https://127.0.0.1",
    SanSource.ETCD: "etcd member: etcd serves this certificate (the guide shares it with etcd)",
    SanSource.MASTERS: "master: kube-apiserver listens on this host",
    SanSource.SERVICE_IP: "first service IP: pods reach the apiserver at the `kubernetes` Service",
    SanSource.REGISTRY: "registry: the guide's private registry uses this certificate too",
    SanSource.VIP: "VIP: the load balancer in front of the apiservers",
    SanSource.CLUSTER_DNS: "cluster DNS name of the `kubernetes` Service",
    SanSource.EXTRA: "extra name asked for in hosts.extra",
}


@dataclass(frozen=True)
class San:
    """One subject alternative name with the reason it is there."""

    value: str
    kind: HostKind
    source: SanSource

    @property
    def reason(self) -> str:
        """Why this SAN is in the certificate, in words."""
        return SAN_REASONS[self.source]


@dataclass(frozen=True)
class ComponentUse:
    """One component's use of one certificate: which parts, through which flag, and why."""

    component: str
    parts: tuple[str, ...]  # "cert", "key", "ca-cert", "ca-key"
    flag: str
    why: str


@dataclass(frozen=True)
class SigningProfile:
    """A profile of ca-config.json: the usages of the certificates signed with it."""

    name: str
    usages: tuple[str, ...]


@dataclass(frozen=True)
class CertEntry:
    """One certificate (or CA) of a profile."""

    name: str
    title: str
    cn: str
    organization: str | None  # None: the subject's O from cluster.toml
    signer: str | None  # the CA entry's name; None for a self-signed CA
    signing_profile: str | None
    sans: tuple[SanSource, ...]
    sets: tuple[int, ...]
    purpose: str
    identity: str
    used_by: tuple[ComponentUse, ...] = ()

    @property
    def is_ca(self) -> bool:
        """True for a certificate authority."""
        return self.signer is None

    @property
    def is_server(self) -> bool:
        """True when the certificate is presented by a server and so needs SANs."""
        return bool(self.sans)


@dataclass(frozen=True)
class KubeSet:
    """One of the guide's eight sets (套): what a verifying side checks against one CA."""

    number: int
    name: str
    presented_by: str
    verified_by: str
    eku: str


@dataclass(frozen=True)
class Profile:
    """A named collection of certificate entries and signing profiles."""

    name: str
    title: str
    description: str
    entries: tuple[CertEntry, ...]
    signing_profiles: tuple[SigningProfile, ...]
    default_expiry_note: str = ""

    def entry(self, name: str) -> CertEntry:
        """The entry with this name (KeyError if the profile has none)."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def cas(self) -> tuple[CertEntry, ...]:
        """The certificate authorities, in issuing order."""
        return tuple(e for e in self.entries if e.is_ca)

    def leaves(self) -> tuple[CertEntry, ...]:
        """The certificates signed by a CA of this profile."""
        return tuple(e for e in self.entries if not e.is_ca)

    def signing_profile(self, name: str) -> SigningProfile:
        """The signing profile with this name."""
        for profile in self.signing_profiles:
            if profile.name == name:
                return profile
        raise KeyError(name)


EIGHT_SETS: tuple[KubeSet, ...] = (
    KubeSet(
        1,
        "etcd server",
        "etcd --cert-file",
        "kube-apiserver --etcd-cafile, etcdctl --cacert",
        "server auth and client auth",
    ),
    KubeSet(
        2,
        "etcd peer",
        "etcd --peer-cert-file",
        "other etcd members --peer-trusted-ca-file",
        "server auth and client auth",
    ),
    KubeSet(
        3, "etcd client", "kube-apiserver --etcd-certfile", "etcd --trusted-ca-file", "client auth"
    ),
    KubeSet(
        4,
        "kube-apiserver server",
        "kube-apiserver --tls-cert-file",
        "every client's kubeconfig certificate-authority",
        "server auth",
    ),
    KubeSet(
        5,
        "kube-apiserver clients",
        "kubeconfigs of kubectl, controller-manager, scheduler, kube-proxy, kubelet",
        "kube-apiserver --client-ca-file",
        "client auth",
    ),
    KubeSet(
        6,
        "service-account key pair",
        "kube-controller-manager --service-account-private-key-file",
        "kube-apiserver --service-account-key-file",
        "a plain key pair, no certificate",
    ),
    KubeSet(
        7,
        "kubelet server",
        "kubelet tlsCertFile (or TLS bootstrap)",
        "kube-apiserver --kubelet-certificate-authority",
        "server auth",
    ),
    KubeSet(
        8,
        "kubelet client",
        "kube-apiserver --kubelet-client-certificate",
        "kubelet clientCAFile",
        "client auth",
    ),
)

APISERVER_SANS = (
    SanSource.LOOPBACK,
    SanSource.ETCD,
    SanSource.MASTERS,
    SanSource.SERVICE_IP,
    SanSource.REGISTRY,
    SanSource.VIP,
    SanSource.CLUSTER_DNS,
    SanSource.EXTRA,
)

# The guide's profile "kubernetes": one usage list for servers and clients alike.
CLASSIC_USAGES = ("signing", "key encipherment", "server auth", "client auth")

CLASSIC = Profile(
    name="classic",
    title="classic — the guide's one CA and four key pairs",
    description=(
        "Exactly the guide: one CA signs kubernetes (etcd and kube-apiserver), admin (kubectl) "
        "and kube-proxy. Enough for clusters before Kubernetes 1.20; a current cluster also "
        "needs controller-manager and scheduler certificates and a service-account key."
    ),
    signing_profiles=(SigningProfile("kubernetes", CLASSIC_USAGES),),
    entries=(
        CertEntry(
            name="ca",
            title="cluster CA",
            cn="kubernetes",
            organization=None,
            signer=None,
            signing_profile=None,
            sans=(),
            sets=(1, 2, 3, 4, 5, 7, 8),
            purpose=(
                "The root every component trusts. Its key signs all other certificates, and "
                "kube-controller-manager signs service-account tokens and kubelet CSRs with it."
            ),
            identity="not a client identity; a CA",
            used_by=(
                ComponentUse(
                    "etcd",
                    ("ca-cert",),
                    "--trusted-ca-file, --peer-trusted-ca-file",
                    "verifies clients and peers",
                ),
                ComponentUse(
                    "kube-apiserver",
                    ("ca-cert",),
                    "--client-ca-file, --etcd-cafile",
                    "verifies client certificates and etcd's certificate",
                ),
                ComponentUse(
                    "kubelet",
                    ("ca-cert",),
                    "clientCAFile",
                    "verifies the apiserver's client certificate",
                ),
                ComponentUse(
                    "kube-proxy",
                    ("ca-cert",),
                    "kubeconfig certificate-authority",
                    "verifies the apiserver",
                ),
                ComponentUse(
                    "kubectl",
                    ("ca-cert",),
                    "kubeconfig certificate-authority",
                    "verifies the apiserver",
                ),
                ComponentUse(
                    "kube-controller-manager",
                    ("ca-cert", "ca-key"),
                    "--cluster-signing-cert-file, --cluster-signing-key-file, --root-ca-file",
                    "signs kubelet certificates (TLS bootstrap) and puts ca.pem in "
                    "service-account secrets",
                ),
            ),
        ),
        CertEntry(
            name="kubernetes",
            title="kube-apiserver and etcd server certificate",
            cn="kubernetes",
            organization=None,
            signer="ca",
            signing_profile="kubernetes",
            sans=APISERVER_SANS,
            sets=(1, 2, 3, 4, 8),
            purpose=(
                "The guide's one server certificate: kube-apiserver serves it, etcd serves and "
                "dials peers with it, and kube-apiserver presents it to etcd and kubelets as a "
                "client. So it lists every etcd, master, registry and VIP address and the first "
                "service IP."
            ),
            identity="user kubernetes when used as a client (kube-apiserver → kubelet, etcd)",
            used_by=(
                ComponentUse(
                    "etcd",
                    ("cert", "key"),
                    "--cert-file, --key-file, --peer-cert-file, --peer-key-file",
                    "serves clients and talks to the other members",
                ),
                ComponentUse(
                    "kube-apiserver",
                    ("cert", "key"),
                    "--tls-cert-file, --tls-private-key-file, --etcd-certfile, "
                    "--etcd-keyfile, --kubelet-client-certificate, --kubelet-client-key",
                    "serves the API and authenticates to etcd and kubelets",
                ),
            ),
        ),
        CertEntry(
            name="admin",
            title="cluster administrator (kubectl)",
            cn="admin",
            organization="system:masters",
            signer="ca",
            signing_profile="kubernetes",
            sans=(),
            sets=(5,),
            purpose=(
                "kubectl's client certificate. O=system:masters is bound to cluster-admin, which "
                "bypasses RBAC entirely: keep it off worker nodes."
            ),
            identity="user admin, group system:masters → ClusterRole cluster-admin",
            used_by=(
                ComponentUse(
                    "kubectl",
                    ("cert", "key"),
                    "kubeconfig client-certificate, client-key",
                    "authenticates the administrator",
                ),
            ),
        ),
        CertEntry(
            name="kube-proxy",
            title="kube-proxy client certificate",
            cn="system:kube-proxy",
            organization=None,
            signer="ca",
            signing_profile="kubernetes",
            sans=(),
            sets=(5,),
            purpose=(
                "kube-proxy's client certificate on every node. The CN is the user that the "
                "built-in binding system:node-proxier grants proxy rights to."
            ),
            identity="user system:kube-proxy → ClusterRole system:node-proxier",
            used_by=(
                ComponentUse(
                    "kube-proxy",
                    ("cert", "key"),
                    "kubeconfig client-certificate, client-key",
                    "authenticates kube-proxy to the apiserver",
                ),
            ),
        ),
    ),
)

PROFILES: dict[str, Profile] = {CLASSIC.name: CLASSIC}


def get_profile(name: str) -> Profile:
    """The profile with this name (KeyError if unknown)."""
    return PROFILES[name]


def organization_of(entry: CertEntry, spec: ClusterSpec) -> str:
    """The O of an entry's subject: fixed by the catalogue or taken from cluster.toml."""
    return entry.organization if entry.organization is not None else spec.subject.O


def subject_of(entry: CertEntry, spec: ClusterSpec) -> dict[str, str]:
    """The entry's subject names C, ST, L, O, OU (cfssl's `names`), without the CN."""
    names = spec.subject.as_dict()
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

    def add(host: Host, source: SanSource) -> None:
        if host.value not in seen:
            seen.add(host.value)
            result.append(San(host.value, host.kind, source))

    for source in entry.sans:
        for host in _hosts_for(source, spec):
            add(host, source)
    return result


def _hosts_for(source: SanSource, spec: ClusterSpec) -> list[Host]:
    if source is SanSource.LOOPBACK:
        return [parse_host("127.0.0.1")]
    if source is SanSource.SERVICE_IP:
        try:
            return [parse_host(str(spec.service_ip()))]
        except HostError:
            return []
    if source is SanSource.CLUSTER_DNS:
        hosts = []
        for name in cluster_dns_names(spec):
            try:
                hosts.append(parse_host(name))
            except HostError:
                continue
        return hosts
    return spec.host_entries(source.value)


def usages_for(profile: SigningProfile, key_algo: str) -> tuple[str, ...]:
    """A signing profile's usages for a key type: ECDSA keys cannot do key encipherment."""
    if key_algo == "ecdsa":
        return tuple(u for u in profile.usages if u != "key encipherment")
    return profile.usages


def components(profile: Profile) -> list[str]:
    """Every component named by the profile, in first-mention order."""
    names: dict[str, None] = {}
    for entry in profile.entries:
        for use in entry.used_by:
            names.setdefault(use.component, None)
    return list(names)
