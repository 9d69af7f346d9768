"""The certificate catalogue: declarative entries that every screen and command reads.

Like kubeadm's certlist.go, a profile is a table of entries. Generation, the CSR preview, the
teaching screen and the review's role checks all read these entries, so they cannot disagree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

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
    LOCALHOST = "localhost"
    LOOPBACK6 = "loopback6"
    INSTANCE_NAME = "instance-name"
    INSTANCE_ADDRESS = "instance-address"


SAN_REASONS: dict[SanSource, str] = {
    SanSource.LOOPBACK: "loopback: components on the same host dial https://127.0.0.1",
    SanSource.ETCD: "etcd member: etcd serves this certificate (the guide shares it with etcd)",
    SanSource.MASTERS: "master: kube-apiserver listens on this host",
    SanSource.SERVICE_IP: "first service IP: pods reach the apiserver at the `kubernetes` Service",
    SanSource.REGISTRY: "registry: the guide's private registry uses this certificate too",
    SanSource.VIP: "VIP: the load balancer in front of the apiservers",
    SanSource.CLUSTER_DNS: "cluster DNS name of the `kubernetes` Service",
    SanSource.EXTRA: "extra name asked for in hosts.extra",
    SanSource.LOCALHOST: "localhost: clients on the same host",
    SanSource.LOOPBACK6: "IPv6 loopback: clients on the same host",
    SanSource.INSTANCE_NAME: "this host's name",
    SanSource.INSTANCE_ADDRESS: "this host's address: others dial it",
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
    """One component's use of one certificate: its flags (flag → which part) and why.

    Parts: "cert", "key", "ca-cert" (the signing CA's certificate), "ca-key", "pub" (a public key).
    A flag ending in ":" is a kubeconfig or config-file field rather than a command-line flag.
    """

    component: str
    flags: tuple[tuple[str, str], ...]
    why: str

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts of the entry this component needs, in first-use order."""
        return tuple(dict.fromkeys(part for _flag, part in self.flags))

    @property
    def flag(self) -> str:
        """The flags as one line of text."""
        return ", ".join(flag for flag, _part in self.flags)


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
    per: str | None = None  # None: one; "node": one per [[nodes]]; "etcd": one per etcd member
    key_only: bool = False  # a plain key pair (the service-account key), no certificate
    use_subject: bool = True  # False: only CN and O, as kubeadm writes them
    when_kubelet: str | None = None  # only in this kubelet mode ("certificates")
    instance: Instance | None = None  # set on the concrete entries made from a `per` template
    # SAN sources where one host is enough: kubeadm gives each control-plane node its own
    # apiserver certificate, listing that node only (a review must not call the others missing).
    one_of_sans: tuple[SanSource, ...] = ()

    @property
    def is_ca(self) -> bool:
        """True for a certificate authority."""
        return self.signer is None and not self.key_only

    @property
    def is_server(self) -> bool:
        """True when the certificate is presented by a server and so needs SANs."""
        return bool(self.sans)


@dataclass(frozen=True)
class Instance:
    """The host a per-node or per-etcd-member certificate is for."""

    name: str
    address: str


@dataclass(frozen=True)
class KubeconfigEntry:
    """A kubeconfig file: whose client certificate (or the bootstrap token) and which server."""

    name: str  # file name; "{name}" is replaced per node
    user: str  # the certificate entry's name, or "" for the bootstrap token
    local: bool  # True: https://127.0.0.1:port (on the master itself); False: the VIP
    component: str
    per: str | None = None
    when_kubelet: str | None = None


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
    naming: str = (
        "cfssl"  # "cfssl": X.pem, X-key.pem, X.csr, X-csr.json; "kubeadm": pki/X.crt, .key
    )
    kubeconfigs: tuple[KubeconfigEntry, ...] = ()

    def entry(self, name: str) -> CertEntry:
        """The entry with this name (KeyError if the profile has none)."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def cas(self) -> tuple[CertEntry, ...]:
        """The certificate authorities, in issuing order."""
        return tuple(e for e in self.entries if e.is_ca)

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
SERVER_USAGES = ("signing", "key encipherment", "server auth")
CLIENT_USAGES = ("signing", "key encipherment", "client auth")
PEER_USAGES = CLASSIC_USAGES


def _kubeconfig_use(component: str, why: str) -> ComponentUse:
    return ComponentUse(
        component,
        (
            ("client-certificate:", "cert"),
            ("client-key:", "key"),
            ("certificate-authority:", "ca-cert"),
        ),
        why,
    )


CLUSTER_CA = CertEntry(
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
        "kube-controller-manager signs kubelet certificates (TLS bootstrap) with it."
    ),
    identity="not a client identity; a CA",
    used_by=(
        ComponentUse(
            "etcd",
            (("--trusted-ca-file", "cert"), ("--peer-trusted-ca-file", "cert")),
            "verifies clients and peers",
        ),
        ComponentUse(
            "kube-apiserver",
            (("--client-ca-file", "cert"), ("--etcd-cafile", "cert")),
            "verifies client certificates and etcd's certificate",
        ),
        ComponentUse(
            "kubelet", (("clientCAFile:", "cert"),), "verifies the apiserver's client certificate"
        ),
        ComponentUse(
            "kube-proxy",
            (("certificate-authority:", "cert"),),
            "verifies the apiserver (in its kubeconfig)",
        ),
        ComponentUse(
            "kubectl",
            (("certificate-authority:", "cert"),),
            "verifies the apiserver (in its kubeconfig)",
        ),
        ComponentUse(
            "kube-controller-manager",
            (
                ("--cluster-signing-cert-file", "cert"),
                ("--cluster-signing-key-file", "key"),
                ("--root-ca-file", "cert"),
            ),
            "signs kubelet certificates (TLS bootstrap) and puts the CA in service-account secrets",
        ),
    ),
)

GUIDE_KUBERNETES = CertEntry(
    name="kubernetes",
    title="kube-apiserver and etcd server certificate",
    cn="kubernetes",
    organization=None,
    signer="ca",
    signing_profile="kubernetes",
    sans=APISERVER_SANS,
    sets=(1, 2, 3, 4, 8),
    purpose=(
        "The guide's one server certificate: kube-apiserver serves it, etcd serves and dials "
        "peers with it, and kube-apiserver presents it to etcd and kubelets as a client. So it "
        "lists every etcd, master, registry and VIP address and the first service IP."
    ),
    identity="user kubernetes when used as a client (kube-apiserver → kubelet, etcd)",
    used_by=(
        ComponentUse(
            "etcd",
            (
                ("--cert-file", "cert"),
                ("--key-file", "key"),
                ("--peer-cert-file", "cert"),
                ("--peer-key-file", "key"),
            ),
            "serves clients and talks to the other members",
        ),
        ComponentUse(
            "kube-apiserver",
            (
                ("--tls-cert-file", "cert"),
                ("--tls-private-key-file", "key"),
                ("--etcd-certfile", "cert"),
                ("--etcd-keyfile", "key"),
            ),
            "serves the API and authenticates to etcd",
        ),
    ),
)

GUIDE_ADMIN = CertEntry(
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
    used_by=(_kubeconfig_use("kubectl", "authenticates the administrator"),),
)

GUIDE_KUBE_PROXY = CertEntry(
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
    used_by=(_kubeconfig_use("kube-proxy", "authenticates kube-proxy to the apiserver"),),
)

CLASSIC = Profile(
    name="classic",
    title="classic — the guide's one CA and four key pairs",
    description=(
        "Exactly the guide: one CA signs kubernetes (etcd and kube-apiserver), admin (kubectl) "
        "and kube-proxy. Enough for clusters before Kubernetes 1.20; a current cluster also "
        "needs controller-manager and scheduler certificates and a service-account key."
    ),
    signing_profiles=(SigningProfile("kubernetes", CLASSIC_USAGES),),
    entries=(CLUSTER_CA, GUIDE_KUBERNETES, GUIDE_ADMIN, GUIDE_KUBE_PROXY),
)


def _client(
    name: str,
    cn: str,
    organization: str | None,
    signer: str,
    sets: tuple[int, ...],
    purpose: str,
    identity: str,
    used_by: tuple[ComponentUse, ...],
    use_subject: bool = True,
) -> CertEntry:
    return CertEntry(
        name=name,
        title=f"{cn} client certificate",
        cn=cn,
        organization=organization,
        signer=signer,
        signing_profile="client",
        sans=(),
        sets=sets,
        purpose=purpose,
        identity=identity,
        used_by=used_by,
        use_subject=use_subject,
    )


def _controller_manager(name: str, signer: str, use_subject: bool) -> CertEntry:
    return _client(
        name,
        "system:kube-controller-manager",
        "system:kube-controller-manager",
        signer,
        (5,),
        "kube-controller-manager's client certificate (its kubeconfig). Needed since the "
        "apiserver's insecure port is gone (Kubernetes 1.20).",
        "user system:kube-controller-manager → ClusterRole system:kube-controller-manager",
        (_kubeconfig_use("kube-controller-manager", "authenticates to the local apiserver"),),
        use_subject,
    )


def _scheduler(name: str, signer: str, use_subject: bool) -> CertEntry:
    return _client(
        name,
        "system:kube-scheduler",
        "system:kube-scheduler",
        signer,
        (5,),
        "kube-scheduler's client certificate (its kubeconfig). Needed since the apiserver's "
        "insecure port is gone (Kubernetes 1.20).",
        "user system:kube-scheduler → ClusterRole system:kube-scheduler",
        (_kubeconfig_use("kube-scheduler", "authenticates to the local apiserver"),),
        use_subject,
    )


def _apiserver_kubelet_client(name: str, signer: str, use_subject: bool) -> CertEntry:
    return _client(
        name,
        "kube-apiserver-kubelet-client",
        "system:masters",
        signer,
        (8,),
        "What kube-apiserver presents to kubelets for logs, exec and port-forward. Without "
        "enough RBAC (O system:masters here) `kubectl logs` gets Forbidden.",
        "user kube-apiserver-kubelet-client, group system:masters",
        (
            ComponentUse(
                "kube-apiserver",
                (("--kubelet-client-certificate", "cert"), ("--kubelet-client-key", "key")),
                "authenticates to kubelets",
            ),
        ),
        use_subject,
    )


def _front_proxy_client(signer: str, use_subject: bool) -> CertEntry:
    return _client(
        "front-proxy-client",
        "front-proxy-client",
        None if use_subject else "",
        signer,
        (),
        "The aggregation layer: kube-apiserver proxies to extension API servers (metrics-server) "
        "with this certificate; they trust its CA through --requestheader-client-ca-file.",
        "user front-proxy-client (trusted through --requestheader-allowed-names)",
        (
            ComponentUse(
                "kube-apiserver",
                (
                    ("--proxy-client-cert-file", "cert"),
                    ("--proxy-client-key-file", "key"),
                    ("--requestheader-client-ca-file", "ca-cert"),
                ),
                "authenticates to aggregated API servers",
            ),
        ),
        use_subject,
    )


SERVICE_ACCOUNT_KEY = CertEntry(
    name="sa",
    title="service-account key pair",
    cn="",
    organization=None,
    signer=None,
    signing_profile=None,
    sans=(),
    sets=(6,),
    purpose=(
        "Not a certificate: kube-apiserver signs service-account tokens with sa.key and "
        "verifies them with sa.pub; kube-controller-manager signs the legacy token secrets."
    ),
    identity="not an identity; a token-signing key",
    key_only=True,
    used_by=(
        ComponentUse(
            "kube-apiserver",
            (("--service-account-key-file", "pub"), ("--service-account-signing-key-file", "key")),
            "signs and verifies service-account tokens",
        ),
        ComponentUse(
            "kube-controller-manager",
            (("--service-account-private-key-file", "key"),),
            "signs service-account token secrets",
        ),
    ),
)


def _kubelet_server(name: str, signer: str, use_subject: bool) -> CertEntry:
    return CertEntry(
        name=name,
        title="kubelet serving certificate",
        cn="system:node:{name}",
        organization="system:nodes",
        signer=signer,
        signing_profile="server",
        sans=(SanSource.INSTANCE_NAME, SanSource.INSTANCE_ADDRESS),
        sets=(7,),
        purpose="What the kubelet serves on port 10250; the apiserver checks it with "
        "--kubelet-certificate-authority.",
        identity="not used as a client",
        used_by=(
            ComponentUse(
                "kubelet",
                (("tlsCertFile:", "cert"), ("tlsPrivateKeyFile:", "key")),
                "serves the kubelet API",
            ),
        ),
        per="node",
        use_subject=use_subject,
        when_kubelet="certificates",
    )


def _kubelet_client(name: str, signer: str, use_subject: bool) -> CertEntry:
    return CertEntry(
        name=name,
        title="kubelet client certificate",
        cn="system:node:{name}",
        organization="system:nodes",
        signer=signer,
        signing_profile="client",
        sans=(),
        sets=(5,),
        purpose="The kubelet's identity at the apiserver. The CN must be exactly the name the "
        "node registers with, or the Node authorizer refuses it.",
        identity="user system:node:<name>, group system:nodes → Node authorizer",
        used_by=(_kubeconfig_use("kubelet", "authenticates the kubelet to the apiserver"),),
        per="node",
        use_subject=use_subject,
        when_kubelet="certificates",
    )


_KUBECONFIGS_COMPLETE = (
    KubeconfigEntry("admin.kubeconfig", "admin", local=False, component="kubectl"),
    KubeconfigEntry(
        "kube-controller-manager.kubeconfig",
        "kube-controller-manager",
        local=True,
        component="kube-controller-manager",
    ),
    KubeconfigEntry(
        "kube-scheduler.kubeconfig", "kube-scheduler", local=True, component="kube-scheduler"
    ),
    KubeconfigEntry("kube-proxy.kubeconfig", "kube-proxy", local=False, component="kube-proxy"),
    KubeconfigEntry(
        "kubelet-{name}.kubeconfig",
        "kubelet-{name}-client",
        local=False,
        component="kubelet",
        per="node",
        when_kubelet="certificates",
    ),
    KubeconfigEntry(
        "bootstrap.kubeconfig", "", local=False, component="kubelet", when_kubelet="bootstrap"
    ),
)

COMPLETE = Profile(
    name="complete",
    title="complete — one CA, everything a current cluster needs",
    description=(
        "The guide's four key pairs plus what Kubernetes 1.20+ needs: controller-manager and "
        "scheduler certificates, the service-account key pair, kube-apiserver's kubelet and "
        "front-proxy clients, per-node kubelet certificates (or a bootstrap token), and "
        "kubeconfigs — all signed by one CA, as the guide recommends."
    ),
    signing_profiles=(
        SigningProfile("kubernetes", CLASSIC_USAGES),
        SigningProfile("server", SERVER_USAGES),
        SigningProfile("client", CLIENT_USAGES),
    ),
    entries=(
        CLUSTER_CA,
        GUIDE_KUBERNETES,
        GUIDE_ADMIN,
        GUIDE_KUBE_PROXY,
        _controller_manager("kube-controller-manager", "ca", True),
        _scheduler("kube-scheduler", "ca", True),
        _apiserver_kubelet_client("kube-apiserver-kubelet-client", "ca", True),
        _front_proxy_client("ca", True),
        SERVICE_ACCOUNT_KEY,
        _kubelet_server("kubelet-{name}", "ca", True),
        _kubelet_client("kubelet-{name}-client", "ca", True),
    ),
    kubeconfigs=_KUBECONFIGS_COMPLETE,
)


def _kubeadm_ca(
    name: str, cn: str, sets: tuple[int, ...], purpose: str, used_by: tuple[ComponentUse, ...]
) -> CertEntry:
    return CertEntry(
        name=name,
        title=f"{cn} CA",
        cn=cn,
        organization="",
        signer=None,
        signing_profile=None,
        sans=(),
        sets=sets,
        purpose=purpose,
        identity="not a client identity; a CA",
        used_by=used_by,
        use_subject=False,
    )


KUBEADM_APISERVER_SANS = (
    SanSource.LOOPBACK,
    SanSource.MASTERS,
    SanSource.SERVICE_IP,
    SanSource.VIP,
    SanSource.CLUSTER_DNS,
    SanSource.EXTRA,
)
ETCD_MEMBER_SANS = (
    SanSource.LOCALHOST,
    SanSource.INSTANCE_NAME,
    SanSource.INSTANCE_ADDRESS,
    SanSource.LOOPBACK,
    SanSource.LOOPBACK6,
)

KUBEADM = Profile(
    name="kubeadm",
    title="kubeadm — three CAs, kubeadm's pki/ tree",
    description=(
        "kubeadm's layout: separate CAs for the cluster, etcd and the front proxy; .crt/.key "
        "names under pki/; per-member etcd server and peer certificates; kubeconfigs as "
        "admin.conf, controller-manager.conf, scheduler.conf."
    ),
    naming="kubeadm",
    signing_profiles=(
        SigningProfile("server", SERVER_USAGES),
        SigningProfile("client", CLIENT_USAGES),
        SigningProfile("peer", PEER_USAGES),
    ),
    entries=(
        _kubeadm_ca(
            "ca",
            "kubernetes",
            (4, 5, 7, 8),
            "The cluster CA: signs the apiserver, its clients and the kubelets.",
            (
                ComponentUse(
                    "kube-apiserver",
                    (("--client-ca-file", "cert"),),
                    "verifies client certificates (etcd has its own CA here)",
                ),
                *CLUSTER_CA.used_by[2:],
            ),
        ),
        CertEntry(
            name="apiserver",
            title="kube-apiserver serving certificate",
            cn="kube-apiserver",
            organization="",
            signer="ca",
            signing_profile="server",
            sans=KUBEADM_APISERVER_SANS,
            one_of_sans=(SanSource.MASTERS,),
            sets=(4,),
            purpose="What kube-apiserver serves on port 6443.",
            identity="not used as a client",
            used_by=(
                ComponentUse(
                    "kube-apiserver",
                    (("--tls-cert-file", "cert"), ("--tls-private-key-file", "key")),
                    "serves the API",
                ),
            ),
            use_subject=False,
        ),
        _apiserver_kubelet_client("apiserver-kubelet-client", "ca", False),
        _kubeadm_ca(
            "front-proxy-ca",
            "front-proxy-ca",
            (),
            "Signs only front-proxy-client; extension API servers trust it.",
            (),
        ),
        _front_proxy_client("front-proxy-ca", False),
        _kubeadm_ca(
            "etcd/ca",
            "etcd-ca",
            (1, 2, 3),
            "etcd's own CA: signs etcd's server, peer and client certificates.",
            (
                ComponentUse(
                    "etcd",
                    (("--trusted-ca-file", "cert"), ("--peer-trusted-ca-file", "cert")),
                    "verifies clients and peers",
                ),
                ComponentUse(
                    "kube-apiserver",
                    (("--etcd-cafile", "cert"),),
                    "verifies etcd's server certificate",
                ),
            ),
        ),
        CertEntry(
            name="etcd/{name}/server",
            title="etcd server certificate",
            cn="{name}",
            organization="",
            signer="etcd/ca",
            signing_profile="peer",
            sans=ETCD_MEMBER_SANS,
            sets=(1,),
            purpose="What one etcd member serves to clients. Needs server and client auth: "
            "etcd's gRPC gateway dials the member with it.",
            identity="not used as a client identity",
            used_by=(
                ComponentUse(
                    "etcd", (("--cert-file", "cert"), ("--key-file", "key")), "serves clients"
                ),
            ),
            per="etcd",
            use_subject=False,
        ),
        CertEntry(
            name="etcd/{name}/peer",
            title="etcd peer certificate",
            cn="{name}",
            organization="",
            signer="etcd/ca",
            signing_profile="peer",
            sans=ETCD_MEMBER_SANS,
            sets=(2,),
            purpose="What one etcd member presents to the others, listening and dialing: "
            "server and client auth, and its own address as a SAN.",
            identity="not used as a client identity",
            used_by=(
                ComponentUse(
                    "etcd",
                    (("--peer-cert-file", "cert"), ("--peer-key-file", "key")),
                    "talks to the other members",
                ),
            ),
            per="etcd",
            use_subject=False,
        ),
        _client(
            "etcd/healthcheck-client",
            "kube-etcd-healthcheck-client",
            "",
            "etcd/ca",
            (3,),
            "For liveness probes and etcdctl on the member.",
            "an etcd client",
            (
                ComponentUse(
                    "etcdctl",
                    (("--cert", "cert"), ("--key", "key"), ("--cacert", "ca-cert")),
                    "checks etcd's health",
                ),
            ),
            False,
        ),
        _client(
            "apiserver-etcd-client",
            "kube-apiserver-etcd-client",
            "",
            "etcd/ca",
            (3,),
            "What kube-apiserver presents to etcd.",
            "an etcd client",
            (
                ComponentUse(
                    "kube-apiserver",
                    (("--etcd-certfile", "cert"), ("--etcd-keyfile", "key")),
                    "authenticates to etcd",
                ),
            ),
            False,
        ),
        SERVICE_ACCOUNT_KEY,
        _client(
            "admin",
            "kubernetes-admin",
            "system:masters",
            "ca",
            (5,),
            GUIDE_ADMIN.purpose,
            "user kubernetes-admin, group system:masters → cluster-admin",
            GUIDE_ADMIN.used_by,
            False,
        ),
        _controller_manager("controller-manager", "ca", False),
        _scheduler("scheduler", "ca", False),
        _client(
            "kube-proxy",
            "system:kube-proxy",
            "",
            "ca",
            (5,),
            GUIDE_KUBE_PROXY.purpose,
            GUIDE_KUBE_PROXY.identity,
            GUIDE_KUBE_PROXY.used_by,
            False,
        ),
        _kubelet_server("kubelet/{name}", "ca", False),
        _kubelet_client("kubelet/{name}-client", "ca", False),
    ),
    kubeconfigs=(
        KubeconfigEntry("admin.conf", "admin", local=False, component="kubectl"),
        KubeconfigEntry(
            "controller-manager.conf",
            "controller-manager",
            local=True,
            component="kube-controller-manager",
        ),
        KubeconfigEntry("scheduler.conf", "scheduler", local=True, component="kube-scheduler"),
        KubeconfigEntry("kube-proxy.conf", "kube-proxy", local=False, component="kube-proxy"),
        KubeconfigEntry(
            "kubelet-{name}.conf",
            "kubelet/{name}-client",
            local=False,
            component="kubelet",
            per="node",
            when_kubelet="certificates",
        ),
        KubeconfigEntry(
            "bootstrap-kubelet.conf", "", local=False, component="kubelet", when_kubelet="bootstrap"
        ),
    ),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (CLASSIC, COMPLETE, KUBEADM)}

# --- names and identities seen on real machines (the review recognises them) -------------------
# Names found on real machines that the catalogue's profiles do not write, and identities the
# catalogue does not list yet. (profile, entry) pairs point at the catalogue's entries.
OTHER_FILE_NAMES: dict[str, tuple[str, str]] = {
    # the kubelet's own client certificate after TLS bootstrap (/var/lib/kubelet/pki)
    "kubelet-client-current.pem": ("kubeadm", "kubelet/{name}-client"),
    # guides that give etcd a certificate of its own (/etc/etcd/ssl/etcd.pem)
    "etcd.pem": ("kubeadm", "etcd/{name}/server"),
    "etcd-key.pem": ("kubeadm", "etcd/{name}/server"),
    # Kubernetes The Hard Way's service-account key
    "service-account-key.pem": ("complete", "sa"),
}
OTHER_FILE_PREFIXES: tuple[tuple[str, tuple[str, str]], ...] = (
    ("kubelet-client-", ("kubeadm", "kubelet/{name}-client")),  # kubelet-client-2026-….pem
)
OTHER_KUBECONFIG_NAMES: dict[str, tuple[str, str]] = {
    "kubelet.conf": ("kubeadm", "kubelet/{name}-client"),
    "kubelet.kubeconfig": ("kubeadm", "kubelet/{name}-client"),
    "super-admin.conf": ("kubeadm", "admin"),
    "controller-manager.kubeconfig": ("complete", "kube-controller-manager"),
    "scheduler.kubeconfig": ("complete", "kube-scheduler"),
}
# kubeadm ≥ 1.29 gives admin.conf O kubeadm:cluster-admins, bound to cluster-admin.
ALSO_ACCEPTED_GROUPS: dict[str, tuple[str, ...]] = {"system:masters": ("kubeadm:cluster-admins",)}
# kube-apiserver's kubelet client may also get its rights from a binding to
# system:kubelet-api-admin, so a missing O system:masters is a warning, not an error.
SOFT_IDENTITY_CNS = frozenset({"kube-apiserver-kubelet-client"})


def get_profile(name: str) -> Profile:
    """The profile with this name (KeyError if unknown)."""
    return PROFILES[name]


def instances_for(per: str | None, spec: ClusterSpec) -> list[Instance]:
    """The hosts a `per` template is made for: the nodes, or the etcd members (etcd-1, …)."""
    if per == "node":
        return [Instance(node.name, node.address) for node in spec.nodes]
    if per == "etcd":
        return [
            Instance(f"etcd-{index}", host.value)
            for index, host in enumerate(spec.host_entries("etcd"), start=1)
        ]
    return []


def concrete_entries(profile: Profile, spec: ClusterSpec) -> list[CertEntry]:
    """The profile's entries for this cluster: templates expanded per node or etcd member,
    and entries of the other kubelet mode left out. CAs come first, then in catalogue order."""
    result: list[CertEntry] = []
    for entry in profile.entries:
        if entry.when_kubelet and entry.when_kubelet != spec.kubelet:
            continue
        if entry.per is None:
            result.append(entry)
            continue
        for instance in instances_for(entry.per, spec):
            result.append(
                replace(
                    entry,
                    name=entry.name.format(name=instance.name),
                    cn=entry.cn.format(name=instance.name),
                    instance=instance,
                )
            )
    return sorted(result, key=lambda e: not e.is_ca)


def concrete_kubeconfigs(profile: Profile, spec: ClusterSpec) -> list[KubeconfigEntry]:
    """The profile's kubeconfigs for this cluster, expanded per node like the certificates."""
    result = []
    for item in profile.kubeconfigs:
        if item.when_kubelet and item.when_kubelet != spec.kubelet:
            continue
        if item.per is None:
            result.append(item)
            continue
        for instance in instances_for(item.per, spec):
            result.append(
                replace(
                    item,
                    name=item.name.format(name=instance.name),
                    user=item.user.format(name=instance.name),
                    per=None,
                )
            )
    return result


@dataclass(frozen=True)
class EntryFiles:
    """The file names of one entry in a profile's naming scheme ("" where there is none)."""

    cert: str
    key: str
    csr: str = ""
    request: str = ""  # the cfssl CSR JSON
    public_key: str = ""


def files_of(entry: CertEntry, profile: Profile) -> EntryFiles:
    """Where an entry's files go: cfssl's names, or kubeadm's pki/ tree."""
    if entry.key_only:
        prefix = "pki/" if profile.naming == "kubeadm" else ""
        return EntryFiles(
            cert="", key=f"{prefix}{entry.name}.key", public_key=f"{prefix}{entry.name}.pub"
        )
    if profile.naming == "kubeadm":
        return EntryFiles(cert=f"pki/{entry.name}.crt", key=f"pki/{entry.name}.key")
    return EntryFiles(
        cert=f"{entry.name}.pem",
        key=f"{entry.name}-key.pem",
        csr=f"{entry.name}.csr",
        request=f"{entry.name}-csr.json",
    )


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


def components(profile: Profile) -> list[str]:
    """Every component named by the profile, in first-mention order."""
    names: dict[str, None] = {}
    for entry in profile.entries:
        for use in entry.used_by:
            names.setdefault(use.component, None)
    return list(names)


def shared_subject_leaves(profile: Profile, spec: ClusterSpec) -> list[tuple[CertEntry, CertEntry]]:
    """(CA, leaf) pairs whose subjects are equal, as the guide's ca and kubernetes are."""
    pairs = []
    entries = {e.name: e for e in concrete_entries(profile, spec)}
    for entry in entries.values():
        if entry.is_ca or entry.key_only:
            continue
        signer = entries[entry.signer or "ca"]
        if (subject_of(entry, spec), entry.cn) == (subject_of(signer, spec), signer.cn):
            pairs.append((signer, entry))
    return pairs
