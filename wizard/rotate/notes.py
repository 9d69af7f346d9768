"""What a phase must say besides its files: the traps up front (one apiserver, flags that take
one CA, clients that never reload a CA, cross-signing), and the cluster-side commands."""

from __future__ import annotations

from pathlib import Path

from wizard.catalog import CLIENT_SIGNING_FLAGS
from wizard.distribution import destination_of
from wizard.rotate.hosts import signing_destination
from wizard.rotate.model import CaKind, HostStep, Phase, Target

ETCD_BUNDLE_FACT = (
    "etcd (3.x, tested with the etcd binary in tests/rotate/test_etcd_bundle.py) accepts a "
    "--trusted-ca-file / --peer-trusted-ca-file holding two CAs: client and peer certificates "
    "of either CA connect; it reads the file only when it starts, so each member restarts once "
    "per phase that changes its files — one member at a time, checking health in between, so "
    "quorum holds. Restart the leader last (etcdctl endpoint status -w table shows it): its "
    "stop hands leadership over, and a write in flight during the hand-over can time out — the "
    "lab saw one such write in about 2500 per rotation. A member whose TLS client port "
    "serves gRPC and HTTP together (etcd's default, kubeadm's layout) ends its gRPC "
    "connections hard when it stops (etcd #8916): a request in flight then fails ('malformed "
    "header: missing HTTP content-type'); with --listen-client-http-urls on another port (etcd "
    "≥ 3.5) the client port serves gRPC alone and a stopping member drains it"
)

IN_CLUSTER_CLIENTS = (
    "Pods with in-cluster config (client-go) read /var/run/secrets/kubernetes.io/"
    "serviceaccount/ca.crt once, when they start, and never reload it: restart them after "
    "kube-root-ca.crt holds the new trust (the command is in the cluster steps). "
    "kube-controller-manager and kube-scheduler do not reload their kubeconfig's CA either: "
    "their restarts are in the plan."
)


def _restarts(steps: list[HostStep], unit: str) -> int:
    return sum(unit in step.restart for step in steps)


def phase_warnings(target: Target, phase: Phase, steps: list[HostStep], crossed: bool) -> list[str]:
    """Said before anything else."""
    spec = target.spec
    warnings: list[str] = []
    masters = spec.host_entries("masters")
    apiserver = spec.deploy.unit_of("kube-apiserver")
    if len(masters) == 1 and _restarts(steps, apiserver):
        warnings.append(
            f"DOWNTIME: this cluster has one kube-apiserver ({masters[0].value}); this phase "
            f"restarts it {_restarts(steps, apiserver)} time(s) and every client fails while it "
            "starts until its /readyz is ok (15–31 s each on a lab cluster) — unavoidable with "
            "one master: plan a window, or add masters behind the VIP first"
        )
    if len(masters) > 1 and _restarts(steps, apiserver):
        warnings.append(
            "With a load balancer in front of the apiservers: take each one out of it before "
            "its restart and put it back once its /readyz is ok (or give kube-apiserver "
            "--shutdown-delay-duration and let the balancer check /readyz) — a balancer that "
            "still sends requests to a stopping apiserver makes them fail"
        )
    members = spec.host_entries("etcd")
    etcd = spec.deploy.unit_of("etcd")
    if len(members) == 1 and _restarts(steps, etcd):
        warnings.append(
            f"DOWNTIME: one etcd member ({members[0].value}): its restart stops the whole API "
            "for a few seconds — unavoidable with one member"
        )
    if target.single and phase is Phase.PREPARE:
        flags = ", ".join(sorted({use.flag for use in target.single}))
        warnings.append(
            f"{flags} take one CA, never a bundle (a bundle stops kube-controller-manager "
            f"signing kubelet certificates): before this phase's restarts, point "
            f"--cluster-signing-cert-file at {signing_destination(target)} (placed on the "
            "masters; it holds the old CA until reissue) — reissue switches that file and the "
            "key to the new CA in one step, on each master before its kube-controller-manager "
            "restarts"
        )
    if crossed and phase is Phase.PREPARE:
        warnings.append(
            "--cross-sign: a cross-signed root keeps old certificates valid — whatever still "
            "trusts the old CA accepts chains through the cross certificate, and a leaked "
            "certificate of the old CA works wherever the old CA is trusted, until finalize "
            "removes it from every bundle. For leaked credentials, do not cross-sign."
        )
    if target.clients_only and phase is Phase.PREPARE:
        flags = ", ".join(use.text for use in target.trust)
        place = destination_of(target.files.cert, target.profile)
        warnings += [
            f"Leaked credentials: a separate client CA takes over client trust. Before this "
            f"phase's restarts point {flags} at {place} (they read "
            f"{destination_of(target.base_cert, target.profile)} until now); servers keep "
            "their certificates and trust.",
            "reissue puts the client CA and its key on the masters: point kube-controller-"
            f"manager's {', '.join(CLIENT_SIGNING_FLAGS)} at them (kubelet client certificates "
            "of TLS bootstrap), --cluster-signing-cert-file keeps signing serving certificates",
            "A cross-signed root keeps old certificates valid: never cross-sign a "
            "leaked-credentials rotation (refused) — finalize drops the old CA from every "
            "client bundle, and only then does a leaked certificate stop working.",
            "renew signs each certificate with the CA generate made it under: after this "
            "rotation renew client certificates only with rotate-ca --clients-only, never with "
            "renew, which would put them back under the cluster CA",
        ]
    if target.kind in (CaKind.ETCD,) or (
        target.kind is CaKind.CLUSTER and any(use.component == "etcd" for use in target.trust)
    ):
        warnings.append(ETCD_BUNDLE_FACT)
    return warnings


def phase_notes(target: Target, phase: Phase) -> list[str]:
    """What to know about this phase, after the plan."""
    notes = list(target.notes)
    if target.is_key_pair:
        notes += {
            Phase.PREPARE: [
                "kube-apiserver --service-account-key-file now reads both public keys: tokens "
                "signed by either verify; the old key still signs."
            ],
            Phase.REISSUE: [
                "kube-apiserver --service-account-signing-key-file and kube-controller-manager "
                "--service-account-private-key-file switch to the new key; old tokens verify "
                "until finalize, which waits for the longest token lifetime (--token-wait)."
            ],
            Phase.FINALIZE: [
                "The old public key is dropped: tokens it signed stop working. Legacy token "
                "Secrets were re-made in reissue's cluster steps."
            ],
        }[phase]
        return notes
    if phase is Phase.PREPARE:
        notes.append(
            "Clients keep their certificates: every leaf stays under the old CA, which every "
            "bundle still holds."
        )
    if target.rewrites_kubeconfig_ca and phase is not Phase.REISSUE:
        notes.append(IN_CLUSTER_CLIENTS)
    return notes


_EACH_NS = "for ns in $(kubectl get ns -o jsonpath='{.items[*].metadata.name}'); do "


def cluster_steps(target: Target, phase: Phase, directory: Path) -> list[str]:
    """The kubectl commands of the phase, in order, exact."""
    spec = target.spec
    if target.is_key_pair:
        if phase is Phase.REISSUE:
            return [
                "# legacy token Secrets were signed by the old key: delete them, the tokens "
                "controller signs new ones with the new key",
                "kubectl get secret -A --field-selector type=kubernetes.io/service-account-token "
                "-o custom-columns=NS:.metadata.namespace,NAME:.metadata.name --no-headers | "
                'while read ns name; do kubectl -n "$ns" delete secret "$name"; done',
                "# then restart the pods that mount them",
                _EACH_NS
                + 'kubectl -n "$ns" rollout restart deployment,daemonset,statefulset; done',
            ]
        return []
    count = "2" if phase in (Phase.PREPARE, Phase.REISSUE) else "1"
    steps: list[str] = []
    is_cluster = target.rewrites_kubeconfig_ca
    trust = target.files.bundle if phase is not Phase.FINALIZE else target.files.cert
    if is_cluster and phase is not Phase.REISSUE:
        steps += [
            f"# kube-controller-manager --root-ca-file publishes the trust in every namespace's "
            f"kube-root-ca.crt and in the token Secrets' ca.crt: each line must end in {count}",
            _EACH_NS + 'printf \'%s %s\\n\' "$ns" "$(kubectl -n "$ns" get configmap '
            "kube-root-ca.crt -o jsonpath='{.data.ca\\.crt}' "
            "| grep -c 'BEGIN CERTIFICATE')\"; done",
            "kubectl get secret -A --field-selector type=kubernetes.io/service-account-token "
            "-o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} "
            "{.data.ca\\.crt}{\"\\n\"}{end}' | while read name data; do printf '%s %s\\n' "
            '"$name" "$(echo "$data" | base64 -d | grep -c \'BEGIN CERTIFICATE\')"; done',
            "# pods with in-cluster config read ca.crt once: restart them",
            _EACH_NS + 'kubectl -n "$ns" rollout restart deployment,daemonset,statefulset; done',
            "# the bootstrap ConfigMap kube-public/cluster-info (kubeadm join, TLS bootstrap), "
            "where the cluster has one; the bootstrap signer re-signs it",
            "kubectl -n kube-public get configmap cluster-info >/dev/null 2>&1 && "
            f"kubectl config set-cluster kubernetes --kubeconfig=/tmp/cluster-info "
            f"--server={spec.apiserver_url()} --certificate-authority={directory / trust} "
            "--embed-certs=true && kubectl -n kube-public create configmap cluster-info "
            "--from-file=kubeconfig=/tmp/cluster-info --dry-run=client -o yaml | "
            "kubectl apply -f -",
        ]
    keys = [
        EXTENSION_AUTH_KEYS[use.flag] for use in target.trust if use.flag in EXTENSION_AUTH_KEYS
    ]
    if phase is not Phase.REISSUE and keys:
        if phase is Phase.FINALIZE:
            steps += [
                "# kube-apiserver only ever adds CAs to extension-apiserver-authentication (each "
                "apiserver merges its own into what is there, and an old CA stays until it "
                "expires): once every apiserver runs this phase's files, delete it and they "
                "write it again with the new CA alone",
                f"kubectl -n {EXTENSION_AUTH[0]} delete configmap {EXTENSION_AUTH[1]}",
            ]
        steps.append(
            "# aggregated API servers (metrics-server…) read the client CAs from this ConfigMap; "
            f"restart those that do not reload it (kubectl get apiservice lists them); "
            f"each line must end in {count}"
        )
        steps += [
            f"kubectl -n {EXTENSION_AUTH[0]} get configmap {EXTENSION_AUTH[1]} -o "
            f"jsonpath='{{.data.{key}}}' "
            f"| grep -c 'BEGIN CERTIFICATE' | sed 's/^/{key} /'"
            for key in dict.fromkeys(keys)
        ]
    return steps


EXTENSION_AUTH = ("kube-system", "extension-apiserver-authentication")
"""Where kube-apiserver publishes its client CAs for aggregated API servers."""

EXTENSION_AUTH_KEYS = {
    "--requestheader-client-ca-file": "requestheader-client-ca-file",
    "--client-ca-file": "client-ca-file",
}
"""kube-apiserver's flag → the key of extension-apiserver-authentication that publishes it."""
