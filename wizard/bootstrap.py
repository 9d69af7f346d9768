"""TLS bootstrapping: the bootstrap token (as a bootstrap-token Secret) and the RBAC bindings
kubelets need."""

from __future__ import annotations

import re
import secrets
import string

import yaml

TOKEN_PATTERN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
BOOTSTRAP_USER = "kubelet-bootstrap"
"""The user name of the bootstrap kubeconfig's credentials (a label; the apiserver names the
user system:bootstrap:<token id>)."""
BOOTSTRAP_GROUP = "system:bootstrappers"
_ALPHABET = string.ascii_lowercase + string.digits


def new_bootstrap_token() -> str:
    """A bootstrap token `id.secret` ([a-z0-9]{6}.[a-z0-9]{16}) from a cryptographic source."""
    token_id = "".join(secrets.choice(_ALPHABET) for _ in range(6))
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return f"{token_id}.{secret}"


def rbac_manifest(token: str) -> str:
    """What to `kubectl apply -f` once: the token as a bootstrap-token Secret, and the bindings
    that let bootstrapping kubelets ask for, and get, their certificates."""
    token_id, secret = token.split(".", 1)
    documents = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"bootstrap-token-{token_id}", "namespace": "kube-system"},
            "type": "bootstrap.kubernetes.io/token",
            "stringData": {
                "description": "made by k8s-cert-wizard for kubelet TLS bootstrapping",
                "token-id": token_id,
                "token-secret": secret,
                "usage-bootstrap-authentication": "true",
                "usage-bootstrap-signing": "true",
                "auth-extra-groups": "system:bootstrappers:kubelet",
            },
        },
        _binding("kubelet-bootstrap", "system:node-bootstrapper", BOOTSTRAP_GROUP),
        _binding(
            "node-autoapprove-bootstrap",
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            BOOTSTRAP_GROUP,
        ),
        _binding(
            "node-autoapprove-certificate-rotation",
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            "system:nodes",
        ),
    ]
    return yaml.safe_dump_all(documents, default_flow_style=False, sort_keys=False)


def _binding(name: str, role: str, group: str) -> dict:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
    }
