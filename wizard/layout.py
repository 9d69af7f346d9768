"""Teaching the layout: the eight sets, who uses which file, CN as user and O as group, and the
TLS-bootstrap sequence — drawn from the catalogue, in English or Simplified Chinese.

`layout_sections` gives structured sections (the teaching screen reads them); `layout_text`
renders them as plain text (the `layout` command prints it).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from functools import cache

from wizard.catalog import (
    ALWAYS_LISTED,
    COMPONENT_ORDER,
    EIGHT_SETS,
    PROFILE_NAMES,
    RBAC_FILE,
    CertEntry,
    KubeletMode,
    Part,
    all_profiles,
    concrete_entries,
    file_of_part,
    files_of,
    get_profile,
    organization_of,
)
from wizard.catalog.text import (  # the teaching screen reads these from here too
    CA_CERT_WHY,
    LANGUAGES,
    PROFILE_DESCRIPTION_ZH,  # noqa: F401  (re-exported)
    PURPOSE_ZH,  # noqa: F401  (re-exported)
    SET_NAMES_ZH,  # noqa: F401  (re-exported)
    WHY_ZH,
    description_text,
    identity_text,
    purpose_text,
    set_text,
)
from wizard.spec import ClusterSpec, Node

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "The certificates of a Kubernetes cluster",
        "sets": "The eight sets",
        "sets_intro": (
            "A set is what one verifying side checks against one CA file. Inside a set one CA "
            "must sign everything; different sets may share a CA — the guide uses one for all."
        ),
        "set_columns": "#|set|presented by|verified by|needs",
        "files": "The files of the {profile} profile",
        "file_columns": "file|what it is|CN (user)|O (group)|used by",
        "identities": "Identity: CN is the user, O is the group",
        "identities_intro": (
            "kube-apiserver takes a client certificate's CN as the user name and every O as a "
            "group; RBAC then binds users and groups to roles."
        ),
        "components": "Who uses what",
        "bootstrap": "TLS bootstrapping, step by step",
        "purpose": "why",
        "identity_columns": "CN|O|RBAC",
        "component_columns": "component|flags → files",
        "none": "—",
    },
    "zh": {
        "title": "Kubernetes 集群的证书",
        "sets": "八套证书",
        "sets_intro": (
            "一“套”证书指验证方用同一个 CA 文件验证的那些证书。同一套内的证书必须由同一个 CA "
            "签署；不同套的 CA 可以相同也可以不同——本指南用一个 CA 签署全部证书。"
        ),
        "set_columns": "#|证书套|出示方|验证方|需要的用途",
        "files": "{profile} 方案生成的文件",
        "file_columns": "文件|用途|CN（用户）|O（组）|使用者",
        "identities": "身份：CN 是用户，O 是组",
        "identities_intro": (
            "kube-apiserver 把客户端证书的 CN 作为用户名，把每个 O 作为用户组；"
            "RBAC 再把用户和组绑定到角色。"
        ),
        "components": "各组件使用哪些文件",
        "bootstrap": "TLS bootstrapping 的步骤",
        "purpose": "原因",
        "identity_columns": "CN（用户）|O（组）|RBAC 给它的权限",
        "component_columns": "组件|参数 → 文件",
        "none": "—",
    },
}

BOOTSTRAP_IDENTITY = {
    "en": (
        "system:bootstrap:<id> (a token, not a certificate)",
        "system:bootstrappers",
        "bind the group to system:node-bootstrapper (create CSRs) and …:nodeclient (auto-approval)",
    ),
    "zh": (
        "system:bootstrap:<id>（token，不是证书）",
        "system:bootstrappers",
        "把该组绑定到 system:node-bootstrapper（创建 CSR）和 …:nodeclient（自动批准）",
    ),
}

OUTSIDE_SETS = {
    "en": "outside the eight: the aggregation layer (front proxy)",
    "zh": "八套之外：聚合层（front proxy）",
}
"""The name of the row for certificates that belong to none of the eight sets."""

EXAMPLE_NODE = Node("node-1", "192.168.214.101")
"""The node shown when cluster.toml lists none, so per-node certificates can be explained."""

# fmt: on
BOOTSTRAP_STEPS = {
    "en": [
        "You create a bootstrap token (id.secret) as a bootstrap-token Secret "
        "(bootstrap-rbac.yaml) and start kube-apiserver with --enable-bootstrap-token-auth; "
        "not in a --token-auth-file, which would make the kubelet a plain user and leave the "
        "Secret's expiry and groups unused.",
        "You apply the RBAC bindings: group system:bootstrappers may create certificate signing "
        "requests (system:node-bootstrapper) and have them approved automatically.",
        "Each node gets ca.pem and bootstrap.kubeconfig (the CA and the token) — no kubelet "
        "certificate is made by hand.",
        "At its first start the kubelet authenticates with the token as user "
        "system:bootstrap:<id> in groups system:bootstrappers and system:bootstrappers:kubelet.",
        "It creates a CSR for CN system:node:<its name>, O system:nodes; "
        "kube-controller-manager approves it and signs it with ca.pem/ca-key.pem.",
        "The kubelet writes its own certificate and kubeconfig and from then on authenticates "
        "as system:node:<name>; with rotation enabled it renews itself.",
        "Delete the bootstrap token from the node afterwards: whoever holds it may request "
        "certificates.",
    ],
    "zh": [
        "创建一个 bootstrap token（id.secret），作为 bootstrap-token Secret（bootstrap-rbac.yaml），"
        "并以 --enable-bootstrap-token-auth 启动 kube-apiserver；不要放进 --token-auth-file，"
        "否则 kubelet 成为普通用户，Secret 的有效期和组都不起作用。",
        "应用 RBAC 绑定：system:bootstrappers 组可以创建证书签名请求（system:node-bootstrapper），"
        "并被自动批准。",
        "每个节点只需要 ca.pem 和 bootstrap.kubeconfig（CA 和 token），不用手工制作 kubelet 证书。",
        "kubelet 第一次启动时用 token 认证，身份是 system:bootstrappers 和 "
        "system:bootstrappers:kubelet 组中的 system:bootstrap:<id>。",
        "它为 CN system:node:<节点名>、O system:nodes 创建 CSR；kube-controller-manager 批准并用 "
        "ca.pem/ca-key.pem 签署。",
        "kubelet 保存自己的证书和 kubeconfig，之后以 system:node:<节点名> 认证；开启轮替后会自动续期。",
        "之后删除节点上的 bootstrap token：持有它的人可以申请证书。",
    ],
}


def pick_language(requested: str | None = None) -> str:
    """The language asked for, else zh when LANG/LC_ALL says Chinese, else en."""
    if requested in LANGUAGES:
        return requested
    for variable in ("LC_ALL", "LANG", "LANGUAGE"):
        value = os.environ.get(variable, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


@dataclass(frozen=True)
class Section:
    """A titled block of the teaching text: an intro and a table (first row: the headers)."""

    title: str
    intro: str
    rows: list[list[str]]


def why_of(why: str, language: str) -> str:
    """A component's reason for using a file, in the language (falls back to English).

    The screens hold a FileUse's English reason; its Chinese is found through the catalogue's
    text, which is keyed by entry and component (see wizard.catalog.text)."""
    return _whys_zh().get(why, why) if language == "zh" else why


@cache
def _whys_zh() -> dict[str, str]:
    """English reason → Chinese, over every use of every profile's entries."""
    table = {text.en: text.zh for text in CA_CERT_WHY.values()}
    for profile in all_profiles().values():
        for entry in profile.entries:
            for use in entry.used_by:
                zh = WHY_ZH.get((entry.text_key, use.component))
                if zh:
                    table.setdefault(use.why, zh)
    return table


def teaching_spec(spec: ClusterSpec) -> tuple[ClusterSpec, bool]:
    """A copy of the spec to teach from, and whether an example node was added to it.

    With per-node kubelet certificates and no [[nodes]] in cluster.toml, the kubelet's files
    would vanish from the explanation, so an example node `node-1` stands in for the nodes.
    """
    copied = copy.deepcopy(spec)
    if copied.profile not in PROFILE_NAMES:
        copied.profile = PROFILE_NAMES[0]
    if copied.kubelet == KubeletMode.CERTIFICATES and not copied.nodes:
        copied.nodes = [copy.copy(EXAMPLE_NODE)]
        return copied, True
    return copied, False


@dataclass(frozen=True)
class LayoutFile:
    """One certificate or key file of a profile, and the catalogue entry it belongs to."""

    name: str
    kind: str  # "cert", "key" (a private key) or "pub" (the service-account public key)
    entry: CertEntry


@dataclass(frozen=True)
class FileUse:
    """A component reading one file: its flags (or kubeconfig fields) and why.

    `entry` is the entry whose use it is: a kubeconfig's `certificate-authority:` belongs to the
    client certificate's entry but names its CA's file.
    """

    file: str
    component: str
    flags: tuple[str, ...]
    why: str
    entry: CertEntry


@dataclass(frozen=True)
class SetInProfile:
    """Which of a profile's files serve one of the eight sets, and the CA files that sign them.

    Number 0 gathers the certificates outside the eight sets (the front proxy's client)."""

    number: int
    presented: tuple[str, ...]
    cas: tuple[str, ...]
    key_pair: bool  # the service-account set: a key pair, no CA


@dataclass(frozen=True)
class IdentityRow:
    """A client identity: CN as the user, O as the group, what RBAC gives it, the file."""

    cn: str
    organization: str
    rbac: str
    file: str


def profile_files(spec: ClusterSpec) -> list[LayoutFile]:
    """Every certificate and key file the spec's profile makes, entry by entry (CAs first)."""
    profile = get_profile(spec.profile)
    result = []
    for entry in concrete_entries(profile, spec):
        files = files_of(entry, profile)
        if files.cert:
            result.append(LayoutFile(files.cert, "cert", entry))
        result.append(LayoutFile(files.key, "key", entry))
        if files.public_key:
            result.append(LayoutFile(files.public_key, "pub", entry))
    return result


def file_uses(spec: ClusterSpec) -> list[FileUse]:
    """Every component's use of every file, flags grouped per (component, file, reason)."""
    profile = get_profile(spec.profile)
    grouped: dict[tuple[str, str, str], list[str]] = {}
    owners: dict[tuple[str, str, str], CertEntry] = {}
    seen: set[tuple[str, str, str]] = set()
    for entry in concrete_entries(
        profile, spec
    ):  # CAs first: their reasons win over a kubeconfig's
        for use in entry.used_by:
            for flag, part in use.flags:
                name = file_of_part(entry, part, profile)
                why = (
                    CA_CERT_WHY[flag].en
                    if part is Part.CA_CERT and flag in CA_CERT_WHY
                    else use.why
                )
                if not name or (name, use.component, flag) in seen:
                    continue
                seen.add((name, use.component, flag))
                key = (name, use.component, why)
                grouped.setdefault(key, []).append(flag)
                owners.setdefault(key, entry)
    return [
        FileUse(key[0], key[1], tuple(flags), key[2], owners[key]) for key, flags in grouped.items()
    ]


def uses_of_file(spec: ClusterSpec, name: str) -> list[FileUse]:
    """Who reads this file and why, in component order."""
    uses = [use for use in file_uses(spec) if use.file == name]
    return sorted(uses, key=lambda use: _component_rank(use.component))


def uses_by_component(spec: ClusterSpec, component: str) -> list[FileUse]:
    """The files one component reads, with its flags and reasons."""
    return [use for use in file_uses(spec) if use.component == component]


def _component_rank(component: str) -> int:
    return COMPONENT_ORDER.index(component) if component in COMPONENT_ORDER else 99


def component_names(spec: ClusterSpec) -> list[str]:
    """The components to explain: the usual ones, plus any other the profile names."""
    named = {use.component for use in file_uses(spec)}
    names = [c for c in COMPONENT_ORDER if c in ALWAYS_LISTED or c in named]
    names += sorted(named - set(names))
    return names


def sets_in_profile(spec: ClusterSpec) -> list[SetInProfile]:
    """For each of the eight sets, the profile's files that are presented in it and their CAs."""
    profile = get_profile(spec.profile)
    entries = concrete_entries(profile, spec)
    by_name = {e.name: e for e in entries}
    result = []
    for kube_set in EIGHT_SETS:
        number = kube_set.number
        leaves = [e for e in entries if number in e.sets and not e.is_ca]
        presented = tuple(files_of(e, profile).cert or files_of(e, profile).key for e in leaves)
        signers = [by_name[e.signer] for e in leaves if e.signer in by_name]
        if not leaves:
            signers = [e for e in entries if number in e.sets and e.is_ca]
        cas = tuple(dict.fromkeys(files_of(e, profile).cert for e in signers))
        key_pair = bool(leaves) and all(e.key_only for e in leaves)
        result.append(SetInProfile(number, presented, cas, key_pair))
    outside = [e for e in entries if not e.sets and not e.is_ca and not e.key_only]
    if outside:
        presented = tuple(files_of(e, profile).cert for e in outside)
        cas = tuple(
            dict.fromkeys(files_of(by_name[e.signer], profile).cert for e in outside if e.signer)
        )
        result.append(SetInProfile(0, presented, cas, False))
    return result


def identity_rows(spec: ClusterSpec, language: str = "en") -> list[IdentityRow]:
    """The client identities of the profile: CN → user, O → group → what RBAC gives, then the
    bootstrap token's identity (a token, not a certificate)."""
    profile = get_profile(spec.profile)
    rows = []
    for entry in concrete_entries(profile, spec):
        if not entry.is_client_identity:
            continue
        rows.append(
            IdentityRow(
                entry.cn,
                organization_of(entry, spec) or TEXT[language]["none"],
                identity_text(entry, language),
                files_of(entry, profile).cert,
            )
        )
    cn, organization, rbac = BOOTSTRAP_IDENTITY[language]
    token_file = f"bootstrap.kubeconfig, {RBAC_FILE}"
    rows.append(IdentityRow(cn, organization, rbac, token_file))
    return rows


def purpose_of(entry: CertEntry, language: str) -> str:
    """An entry's purpose in the language (falls back to English)."""
    return purpose_text(entry, language)


def layout_sections(spec: ClusterSpec, language: str = "en") -> list[Section]:
    """The teaching text as sections, drawn from the catalogue for this cluster."""
    text = TEXT[language]
    profile = get_profile(spec.profile)
    sets = [text["set_columns"].split("|")]
    sets += [[str(s.number), *set_text(s, language)] for s in EIGHT_SETS]
    entries = concrete_entries(profile, spec)
    files_rows = [text["file_columns"].split("|")]
    for entry in entries:
        files = files_of(entry, profile)
        shown = files.cert or f"{files.key}, {files.public_key}"
        users = ", ".join(dict.fromkeys(u.component for u in entry.used_by)) or text["none"]
        files_rows.append(
            [
                shown,
                purpose_of(entry, language),
                entry.cn or text["none"],
                organization_of(entry, spec) or text["none"],
                users,
            ]
        )
    identities = [text["identity_columns"].split("|")]
    identities += [[row.cn, row.organization, row.rbac] for row in identity_rows(spec, language)]
    components: dict[str, list[str]] = {}
    for entry in entries:
        for use in entry.used_by:
            for flag, part in use.flags:
                name = file_of_part(entry, part, profile)
                components.setdefault(use.component, []).append(f"{flag} {name}")
    component_rows = [text["component_columns"].split("|")]
    component_rows += [[c, "; ".join(dict.fromkeys(f))] for c, f in components.items()]
    bootstrap_rows = [["#", text["purpose"]]]
    bootstrap_rows += [[str(i), step] for i, step in enumerate(BOOTSTRAP_STEPS[language], 1)]
    return [
        Section(text["sets"], text["sets_intro"], sets),
        Section(
            text["files"].format(profile=profile.name),
            description_text(profile, language),
            files_rows,
        ),
        Section(text["identities"], text["identities_intro"], identities),
        Section(text["components"], "", component_rows),
        Section(text["bootstrap"], "", bootstrap_rows),
    ]


def layout_text(spec: ClusterSpec, language: str = "en") -> str:
    """The teaching text as plain text, one table row per line."""
    lines = [TEXT[language]["title"], "=" * 40, ""]
    for section in layout_sections(spec, language):
        lines += [section.title, "-" * len(section.title)]
        if section.intro:
            lines += [section.intro, ""]
        header, *rows = section.rows
        lines.append(" | ".join(header))
        lines += [" | ".join(row) for row in rows]
        lines.append("")
    return "\n".join(lines)
