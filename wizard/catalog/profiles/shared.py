"""Entries and building blocks the profiles share: the guide's certificates, the usage lists of
the signing profiles, and factories for the entries every current cluster has."""

from __future__ import annotations

from wizard.catalog.model import (
    CLIENT_CA_NAME,
    CertEntry,
    ComponentUse,
    KubeletMode,
    Part,
    Per,
    Profile,
    SanSource,
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


def kubeconfig_use(component: str, why: str) -> ComponentUse:
    return ComponentUse(
        component,
        (
            ("client-certificate:", Part.CERT),
            ("client-key:", Part.KEY),
            ("certificate-authority:", Part.CA_CERT),
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
            (("--trusted-ca-file", Part.CERT), ("--peer-trusted-ca-file", Part.CERT)),
            "verifies clients and peers",
        ),
        ComponentUse(
            "kube-apiserver",
            (("--client-ca-file", Part.CERT), ("--etcd-cafile", Part.CERT)),
            "verifies client certificates and etcd's certificate",
        ),
        ComponentUse(
            "kubelet",
            (("clientCAFile:", Part.CERT),),
            "verifies the apiserver's client certificate",
        ),
        ComponentUse(
            "kube-proxy",
            (("certificate-authority:", Part.CERT),),
            "verifies the apiserver (in its kubeconfig)",
        ),
        ComponentUse(
            "kubectl",
            (("certificate-authority:", Part.CERT),),
            "verifies the apiserver (in its kubeconfig)",
        ),
        ComponentUse(
            "kube-controller-manager",
            (
                ("--cluster-signing-cert-file", Part.CERT),
                ("--cluster-signing-key-file", Part.KEY),
                ("--root-ca-file", Part.CERT),
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
                ("--cert-file", Part.CERT),
                ("--key-file", Part.KEY),
                ("--peer-cert-file", Part.CERT),
                ("--peer-key-file", Part.KEY),
            ),
            "serves clients and talks to the other members",
        ),
        ComponentUse(
            "kube-apiserver",
            (
                ("--tls-cert-file", Part.CERT),
                ("--tls-private-key-file", Part.KEY),
                ("--etcd-certfile", Part.CERT),
                ("--etcd-keyfile", Part.KEY),
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
    used_by=(kubeconfig_use("kubectl", "authenticates the administrator"),),
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
    used_by=(kubeconfig_use("kube-proxy", "authenticates kube-proxy to the apiserver"),),
)


def client(
    name: str,
    cn: str,
    organization: str | None,
    signer: str,
    sets: tuple[int, ...],
    purpose: str,
    identity: str,
    used_by: tuple[ComponentUse, ...],
    use_subject: bool = True,
    slug: str = "",
) -> CertEntry:
    """A client certificate signed with the `client` signing profile."""
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
        slug=slug,
    )


def controller_manager(name: str, signer: str, use_subject: bool) -> CertEntry:
    return client(
        name,
        "system:kube-controller-manager",
        "system:kube-controller-manager",
        signer,
        (5,),
        "kube-controller-manager's client certificate (its kubeconfig). Needed since the "
        "apiserver's insecure port is gone (Kubernetes 1.20).",
        "user system:kube-controller-manager → ClusterRole system:kube-controller-manager",
        (kubeconfig_use("kube-controller-manager", "authenticates to the local apiserver"),),
        use_subject,
        slug="controller-manager",
    )


def scheduler(name: str, signer: str, use_subject: bool) -> CertEntry:
    return client(
        name,
        "system:kube-scheduler",
        "system:kube-scheduler",
        signer,
        (5,),
        "kube-scheduler's client certificate (its kubeconfig). Needed since the apiserver's "
        "insecure port is gone (Kubernetes 1.20).",
        "user system:kube-scheduler → ClusterRole system:kube-scheduler",
        (kubeconfig_use("kube-scheduler", "authenticates to the local apiserver"),),
        use_subject,
        slug="scheduler",
    )


def apiserver_kubelet_client(name: str, signer: str, use_subject: bool) -> CertEntry:
    return client(
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
                (("--kubelet-client-certificate", Part.CERT), ("--kubelet-client-key", Part.KEY)),
                "authenticates to kubelets",
            ),
        ),
        use_subject,
        slug="apiserver-kubelet-client",
    )


def front_proxy_client(signer: str, use_subject: bool) -> CertEntry:
    return client(
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
                    ("--proxy-client-cert-file", Part.CERT),
                    ("--proxy-client-key-file", Part.KEY),
                    ("--requestheader-client-ca-file", Part.CA_CERT),
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
            (
                ("--service-account-key-file", Part.PUB),
                ("--service-account-signing-key-file", Part.KEY),
            ),
            "signs and verifies service-account tokens",
        ),
        ComponentUse(
            "kube-controller-manager",
            (("--service-account-private-key-file", Part.KEY),),
            "signs service-account token secrets",
        ),
    ),
)


def kubelet_server(name: str, signer: str, use_subject: bool) -> CertEntry:
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
                (("tlsCertFile:", Part.CERT), ("tlsPrivateKeyFile:", Part.KEY)),
                "serves the kubelet API",
            ),
            ComponentUse(
                "kube-apiserver",
                (("--kubelet-certificate-authority", Part.CA_CERT),),
                "verifies the kubelet's serving certificate when it dials a node "
                "(without it the apiserver takes any certificate on port 10250)",
            ),
        ),
        per=Per.NODE,
        use_subject=use_subject,
        when_kubelet=KubeletMode.CERTIFICATES,
        slug="kubelet-server",
    )


def kubelet_client(name: str, signer: str, use_subject: bool) -> CertEntry:
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
        used_by=(kubeconfig_use("kubelet", "authenticates the kubelet to the apiserver"),),
        per=Per.NODE,
        use_subject=use_subject,
        when_kubelet=KubeletMode.CERTIFICATES,
        slug="kubelet-client",
    )


_CLIENT_CA_WHY = {
    "etcd": "verifies clients (not peers: they keep the cluster CA)",
    "kube-apiserver": "verifies client certificates, once client trust moved to the client CA",
    "kubelet": "verifies the apiserver's client certificate",
    "kube-controller-manager": (
        "signs client certificates (the kubelets' of TLS bootstrap) with the client CA, while "
        "--cluster-signing-cert-file keeps signing serving certificates"
    ),
}
_SERVER_AS_CLIENT_FLAGS = ("--etcd-certfile", "--kubelet-client-certificate")


def with_client_ca(profile: Profile) -> Profile:
    """The profile with its client CA (`rotate-ca --clients-only`) among the rotation entries,
    drawn from the cluster CA's entry: every flag of it, or of a certificate it signs, that
    verifies only clients (CLIENT_TRUST_FLAGS), and kube-controller-manager's client signers.
    etcd --trusted-ca-file stays with the cluster CA where a server certificate is also etcd's
    or the kubelets' client (the guide's kubernetes.pem): that server is not re-issued."""
    from dataclasses import replace

    from wizard.catalog.components import CLIENT_SIGNING_FLAGS, CLIENT_TRUST_FLAGS

    ca = profile.cluster_ca
    signed = [e for e in profile.entries if e.signer == ca.name]
    server_is_client = any(
        leaf.is_server and flag in _SERVER_AS_CLIENT_FLAGS
        for leaf in signed
        for use in leaf.used_by
        for flag, _part in use.flags
    )
    reads = [(use.component, flag) for use in ca.used_by for flag, part in use.flags
             if part is Part.CERT]  # fmt: skip
    reads += [(use.component, flag) for leaf in signed for use in leaf.used_by
              for flag, part in use.flags if part is Part.CA_CERT]  # fmt: skip
    flags: dict[str, list[tuple[str, Part]]] = {}
    for component, flag in reads:
        if flag not in CLIENT_TRUST_FLAGS or (flag == "--trusted-ca-file" and server_is_client):
            continue
        if (flag, Part.CERT) not in flags.setdefault(component, []):
            flags[component].append((flag, Part.CERT))
    flags["kube-controller-manager"] = [
        (flag, Part.KEY if flag.endswith("-key-file") else Part.CERT)
        for flag in CLIENT_SIGNING_FLAGS
    ]
    client_ca = CertEntry(
        name=CLIENT_CA_NAME,
        title="client CA",
        cn=f"{ca.cn}-client-ca",
        organization=ca.organization,
        signer=None,
        signing_profile=None,
        sans=(),
        sets=tuple(n for n in ca.sets if n in (5, 8) or (n == 3 and not server_is_client)),
        purpose=(
            "Made only by rotate-ca --clients-only (leaked credentials): a separate CA takes "
            "over the cluster CA's client trust; the client certificates and the kubeconfig "
            "users are re-issued under it, servers keep the cluster CA. generate never makes it."
        ),
        identity="not a client identity; a CA",
        used_by=tuple(
            ComponentUse(component, tuple(found), _CLIENT_CA_WHY[component])
            for component, found in flags.items()
        ),
        use_subject=ca.use_subject,
    )
    return replace(profile, rotation_entries=(*profile.rotation_entries, client_ca))
