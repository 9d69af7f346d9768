"""complete: one CA, and everything a current (1.20+) cluster needs."""

from __future__ import annotations

from wizard.catalog.model import KubeconfigEntry, KubeletMode, Per, Profile, SigningProfile
from wizard.catalog.profiles.shared import (
    CLASSIC_USAGES,
    CLIENT_USAGES,
    CLUSTER_CA,
    GUIDE_ADMIN,
    GUIDE_KUBE_PROXY,
    GUIDE_KUBERNETES,
    SERVER_USAGES,
    SERVICE_ACCOUNT_KEY,
    apiserver_kubelet_client,
    controller_manager,
    front_proxy_client,
    kubelet_client,
    kubelet_server,
    scheduler,
    with_client_ca,
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
        per=Per.NODE,
        when_kubelet=KubeletMode.CERTIFICATES,
    ),
    KubeconfigEntry(
        "bootstrap.kubeconfig",
        "",
        local=False,
        component="kubelet",
        when_kubelet=KubeletMode.BOOTSTRAP,
    ),
)

COMPLETE = with_client_ca(
    Profile(
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
            controller_manager("kube-controller-manager", "ca", True),
            scheduler("kube-scheduler", "ca", True),
            apiserver_kubelet_client("kube-apiserver-kubelet-client", "ca", True),
            front_proxy_client("ca", True),
            SERVICE_ACCOUNT_KEY,
            kubelet_server("kubelet-{name}", "ca", True),
            kubelet_client("kubelet-{name}-client", "ca", True),
        ),
        kubeconfigs=_KUBECONFIGS_COMPLETE,
    )
)
