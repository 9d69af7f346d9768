"""kubeadm: three CAs and kubeadm's pki/ tree."""

from __future__ import annotations

from wizard.catalog.model import (
    CertEntry,
    ComponentUse,
    KubeconfigEntry,
    KubeletMode,
    Naming,
    Part,
    Per,
    Profile,
    SanSource,
    SigningProfile,
)
from wizard.catalog.profiles.shared import (
    CLIENT_USAGES,
    CLUSTER_CA,
    GUIDE_ADMIN,
    GUIDE_KUBE_PROXY,
    PEER_USAGES,
    SERVER_USAGES,
    SERVICE_ACCOUNT_KEY,
    apiserver_kubelet_client,
    client,
    controller_manager,
    front_proxy_client,
    kubelet_client,
    kubelet_server,
    scheduler,
    with_client_ca,
)


def _kubeadm_ca(
    name: str,
    cn: str,
    sets: tuple[int, ...],
    purpose: str,
    used_by: tuple[ComponentUse, ...],
    slug: str = "",
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
        slug=slug,
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

KUBEADM = with_client_ca(
    Profile(
        name="kubeadm",
        title="kubeadm — three CAs, kubeadm's pki/ tree",
        description=(
            "kubeadm's layout: separate CAs for the cluster, etcd and the front proxy; .crt/.key "
            "names under pki/; per-member etcd server and peer certificates; kubeconfigs as "
            "admin.conf, controller-manager.conf, scheduler.conf."
        ),
        naming=Naming.KUBEADM,
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
                        (("--client-ca-file", Part.CERT),),
                        "verifies client certificates (etcd has its own CA here)",
                    ),
                    *CLUSTER_CA.used_by[2:],
                ),
                slug="kubeadm-ca",
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
                        (("--tls-cert-file", Part.CERT), ("--tls-private-key-file", Part.KEY)),
                        "serves the API",
                    ),
                ),
                use_subject=False,
            ),
            apiserver_kubelet_client("apiserver-kubelet-client", "ca", False),
            _kubeadm_ca(
                "front-proxy-ca",
                "front-proxy-ca",
                (),
                "Signs only front-proxy-client; extension API servers trust it.",
                (),
            ),
            front_proxy_client("front-proxy-ca", False),
            _kubeadm_ca(
                "etcd/ca",
                "etcd-ca",
                (1, 2, 3),
                "etcd's own CA: signs etcd's server, peer and client certificates.",
                (
                    ComponentUse(
                        "etcd",
                        (("--trusted-ca-file", Part.CERT), ("--peer-trusted-ca-file", Part.CERT)),
                        "verifies clients and peers",
                    ),
                    ComponentUse(
                        "kube-apiserver",
                        (("--etcd-cafile", Part.CERT),),
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
                        "etcd",
                        (("--cert-file", Part.CERT), ("--key-file", Part.KEY)),
                        "serves clients",
                    ),
                ),
                per=Per.ETCD,
                use_subject=False,
                slug="etcd-server",
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
                        (("--peer-cert-file", Part.CERT), ("--peer-key-file", Part.KEY)),
                        "talks to the other members",
                    ),
                ),
                per=Per.ETCD,
                use_subject=False,
                slug="etcd-peer",
            ),
            client(
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
                        (("--cert", Part.CERT), ("--key", Part.KEY), ("--cacert", Part.CA_CERT)),
                        "checks etcd's health",
                    ),
                ),
                False,
            ),
            client(
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
                        (("--etcd-certfile", Part.CERT), ("--etcd-keyfile", Part.KEY)),
                        "authenticates to etcd",
                    ),
                ),
                False,
            ),
            SERVICE_ACCOUNT_KEY,
            client(
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
            controller_manager("controller-manager", "ca", False),
            scheduler("scheduler", "ca", False),
            client(
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
            kubelet_server("kubelet/{name}", "ca", False),
            kubelet_client("kubelet/{name}-client", "ca", False),
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
                per=Per.NODE,
                when_kubelet=KubeletMode.CERTIFICATES,
            ),
            KubeconfigEntry(
                "bootstrap-kubelet.conf",
                "",
                local=False,
                component="kubelet",
                when_kubelet=KubeletMode.BOOTSTRAP,
            ),
        ),
    )
)
