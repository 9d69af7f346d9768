"""The components of a cluster: which host role runs them, how they restart, their order."""

from __future__ import annotations

ROLE_COMPONENTS: dict[str, tuple[str, ...]] = {
    "etcd": ("etcd", "etcdctl"),
    "master": ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"),
    "node": ("kubelet", "kube-proxy"),
    "registry": (),
}
"""The components a host runs by its role (etcd member, master, node, registry)."""

RESTARTS: dict[str, str] = {
    "etcd": "systemctl restart etcd",
    "kube-apiserver": "systemctl restart kube-apiserver",
    "kube-controller-manager": "systemctl restart kube-controller-manager",
    "kube-scheduler": "systemctl restart kube-scheduler",
    "kubelet": "systemctl restart kubelet",
    "kube-proxy": "systemctl restart kube-proxy",
}
"""How a component is restarted after its files change."""

COMPONENT_ORDER = (
    "etcd",
    "etcdctl",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "kubectl",
)
"""The components, in the order a cluster is started."""

ALWAYS_LISTED = tuple(c for c in COMPONENT_ORDER if c != "etcdctl")
"""Listed even when a profile makes no file for them (classic has none for kube-scheduler)."""

SINGLE_VALUE_FLAGS: dict[str, str] = {
    "--cluster-signing-cert-file": "kube-controller-manager signs CSRs with exactly one CA: the "
    "file must hold one certificate, the one --cluster-signing-key-file belongs to (a bundle "
    "stops it signing kubelet certificates)",
    "--cluster-signing-key-file": "the key of the one CA kube-controller-manager signs CSRs with",
    "--service-account-signing-key-file": "kube-apiserver signs new tokens with one private key",
    "--service-account-private-key-file": "kube-controller-manager signs token secrets with one "
    "private key",
}
"""Flags that take one certificate or key, never a bundle: during a CA rotation they switch from
the old CA (or key) to the new at one moment instead of trusting both."""

VERIFY_KEYS_FLAGS = ("--service-account-key-file",)
"""Flags that take several public keys (repeated, or several PEM blocks in one file): tokens
signed by any of them verify."""

CLIENT_TRUST_FLAGS = (
    "--client-ca-file",
    "clientCAFile:",
    "--requestheader-client-ca-file",
    "--trusted-ca-file",
)
"""Flags and fields that verify client certificates only (never a server's): the trust a
separate client CA takes over when leaked client credentials must stop working."""

CLIENT_SIGNING_FLAGS = (
    "--cluster-signing-kube-apiserver-client-cert-file",
    "--cluster-signing-kube-apiserver-client-key-file",
    "--cluster-signing-kubelet-client-cert-file",
    "--cluster-signing-kubelet-client-key-file",
)
"""kube-controller-manager's per-signer flags (1.19+) for the client signers: with a separate
client CA they name it, while --cluster-signing-cert-file keeps signing kubelet serving
certificates with the cluster CA."""
