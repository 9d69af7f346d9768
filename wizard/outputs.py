"""The files a run writes, classified: what each one is, who owns it, and why it is there.

Read by the wizard's preview; reads the catalogue and generate's plan. Also the warnings that
concern the whole set rather than a field (a leaf with its CA's subject).
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.catalog import (
    CertEntry,
    KubeconfigEntry,
    concrete_entries,
    concrete_kubeconfigs,
    files_of,
    get_profile,
    kubeconfig_server,
    shared_subject_leaves,
)
from wizard.generate import (
    CA_CONFIG_FILE,
    DISTRIBUTION_FILE,
    DISTRIBUTION_JSON,
    RBAC_FILE,
    SPEC_FILE,
    TOKEN_FILE,
    plan_json_files,
    planned_file_names,
)
from wizard.spec import ClusterSpec, Problem, dump_spec
from wizard.store import FILE_MODE, KEY_MODE


@dataclass(frozen=True)
class PlannedFile:
    """One file of the plan: its name, its kind, its entry or kubeconfig, its text if known now."""

    name: str
    kind: str
    entry: CertEntry | None = None
    kubeconfig: KubeconfigEntry | None = None
    text: str | None = None
    language: str = "json"


def plan_files(spec: ClusterSpec) -> list[PlannedFile]:
    """Every file `generate` will write for the spec, in writing order, classified."""
    profile = get_profile(spec.profile)
    owners: dict[str, tuple[str, CertEntry]] = {}
    for entry in concrete_entries(profile, spec):
        files = files_of(entry, profile)
        for kind, name in (
            ("json", files.request),
            ("cert", files.cert),
            ("key", files.key),
            ("csr", files.csr),
            ("pub", files.public_key),
        ):
            if name:
                owners[name] = (kind, entry)
    kubeconfigs = {k.name: k for k in concrete_kubeconfigs(profile, spec)}
    texts = {f.path: f.content.decode() for f in plan_json_files(spec)}
    planned = []
    for name in planned_file_names(spec):
        if name == SPEC_FILE:
            planned.append(PlannedFile(name, "toml", text=dump_spec(spec), language="toml"))
        elif name in owners:
            kind, entry = owners[name]
            planned.append(PlannedFile(name, kind, entry, text=texts.get(name)))
        elif name in kubeconfigs:
            planned.append(PlannedFile(name, "kubeconfig", kubeconfig=kubeconfigs[name]))
        elif name in (TOKEN_FILE, RBAC_FILE):
            planned.append(PlannedFile(name, "token"))
        elif name in (DISTRIBUTION_FILE, DISTRIBUTION_JSON):
            planned.append(PlannedFile(name, "doc"))
        else:
            planned.append(PlannedFile(name, "json", text=texts.get(name)))
    return planned


def describe(planned: PlannedFile, spec: ClusterSpec) -> str:
    """One sentence saying what the file is, when it is made and its mode."""
    entry = planned.entry
    title = entry.title if entry else ""
    key = f"{spec.key.algo.upper()} {spec.key.size}"
    kind = planned.kind
    if kind == "json" and entry is None:
        return (
            f"{CA_CONFIG_FILE}: cfssl's signing config — the usages and the lifetime "
            f"({spec.expiry.cert}) of every certificate the CA signs"
        )
    if kind == "json":
        return f"cfssl CSR request for the {title}"
    if kind == "key":
        return (
            f"{key} private key of the {title}, made at step 4 — mode {KEY_MODE:o}; copy it "
            "only to the hosts that use it"
        )
    if kind == "pub":
        return f"public half of the {title}, mode {FILE_MODE:o}"
    if kind == "cert" and entry is not None:
        signer = f"signed by {entry.signer}" if entry.signer else "self-signed"
        return f"certificate of the {title}, {signer}, mode {FILE_MODE:o} — {entry.purpose}"
    if kind == "csr":
        return f"PKCS#10 request of the {title}, kept so it can be signed again"
    if kind == "kubeconfig" and planned.kubeconfig is not None:
        item = planned.kubeconfig
        server = kubeconfig_server(item, spec)
        who = f"the {item.user} certificate" if item.user else "the bootstrap token"
        return f"kubeconfig of {item.component}: {who}, server {server}, mode {KEY_MODE:o}"
    if planned.name == TOKEN_FILE:
        return f"the TLS-bootstrap token kubelets present, mode {KEY_MODE:o}"
    if planned.name == RBAC_FILE:
        return "RBAC bindings that let bootstrapping kubelets ask for and renew certificates"
    if kind == "doc":
        return "which file goes to which host, and the flag that reads it"
    return f"{SPEC_FILE}: these answers, so the same set can be made again"


def shared_subject_warnings(spec: ClusterSpec) -> list[Problem]:
    """A warning for each certificate whose subject equals its CA's (the guide's ca/kubernetes).

    Explains why it still verifies: every certificate we issue carries an Authority Key
    Identifier naming the CA's key, so chain building does not rely on the name alone.
    """
    profile = get_profile(spec.profile)
    problems = []
    for signer, leaf in shared_subject_leaves(profile, spec):
        ca_file, leaf_file = files_of(signer, profile).cert, files_of(leaf, profile).cert
        problems.append(
            Problem(
                f"{signer.name}, {leaf.name}",
                f"{leaf_file} has the same subject as its CA {ca_file} (CN={leaf.cn}), as in the "
                "guide — a tool matching issuers by name alone would take it for self-signed. "
                "Every certificate here carries an Authority Key Identifier naming the CA's key, "
                f"so `openssl verify -CAfile {ca_file} {leaf_file}` still passes.",
                "warning",
            )
        )
    return problems
