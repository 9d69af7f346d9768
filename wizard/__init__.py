"""k8s-cert-wizard: make, explain and review the certificates of a Kubernetes cluster."""

__version__ = "0.1.0"
