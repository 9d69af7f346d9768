"""Names and identities seen on real machines that the profiles do not write (the review
recognises them). (profile, entry) pairs point at the catalogue's entries."""

from __future__ import annotations

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
