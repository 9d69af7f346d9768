"""kubeconfig files, in the layout `kubectl config` itself writes (keys sorted, `kind: Config`)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import yaml

CLUSTER_NAME = "kubernetes"
# libyaml's emitter when PyYAML was built with it: the pure-Python one is slow on long base64.
_SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Credentials:
    """What a kubeconfig user presents: a client certificate and key, or a bearer token.

    Each of `certificate`, `key` and `ca` is either PEM bytes (embedded as `*-data`) or a path.
    """

    user: str
    certificate: bytes | str | None = None
    key: bytes | str | None = None
    token: str | None = None


def kubeconfig_document(server: str, ca: bytes | str, credentials: Credentials) -> dict[str, Any]:
    """A kubeconfig with one cluster, one user and one context, current."""
    cluster: dict[str, Any] = {"server": server}
    _put(cluster, "certificate-authority", ca)
    user: dict[str, Any] = {}
    if credentials.token is not None:
        user["token"] = credentials.token
    if credentials.certificate is not None:
        _put(user, "client-certificate", credentials.certificate)
    if credentials.key is not None:
        _put(user, "client-key", credentials.key)
    context_name = f"{credentials.user}@{CLUSTER_NAME}"
    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": cluster, "name": CLUSTER_NAME}],
        "contexts": [
            {"context": {"cluster": CLUSTER_NAME, "user": credentials.user}, "name": context_name}
        ],
        "current-context": context_name,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": credentials.user, "user": user}],
    }


def _put(target: dict[str, Any], field: str, value: bytes | str) -> None:
    if isinstance(value, bytes):
        target[f"{field}-data"] = base64.b64encode(value).decode("ascii")
    else:
        target[field] = value


def dump_kubeconfig(document: dict[str, Any]) -> str:
    """YAML text as kubectl writes it: block style, keys sorted."""
    return yaml.dump(document, Dumper=_SAFE_DUMPER, default_flow_style=False, sort_keys=True)
