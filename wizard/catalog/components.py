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
