"""Teaching the layout: the eight sets, who uses which file, CN as user and O as group, and the
TLS-bootstrap sequence — drawn from the catalogue, in English or Simplified Chinese.

`layout_sections` gives structured sections (the teaching screen reads them); `layout_text`
renders them as plain text (the `layout` command prints it).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

from wizard.catalog import (
    EIGHT_SETS,
    CertEntry,
    KubeSet,
    concrete_entries,
    files_of,
    get_profile,
    organization_of,
)
from wizard.spec import PROFILES, ClusterSpec, Node

LANGUAGES = ("en", "zh")

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
        "none": "—",
    },
}

SET_NAMES_ZH = {
    1: (
        "etcd server 证书",
        "etcd --cert-file",
        "kube-apiserver --etcd-cafile、etcdctl --cacert",
        "server auth 和 client auth",
    ),
    2: (
        "etcd peer 证书",
        "etcd --peer-cert-file",
        "其他 etcd 成员 --peer-trusted-ca-file",
        "server auth 和 client auth",
    ),
    3: (
        "etcd client 证书",
        "kube-apiserver --etcd-certfile",
        "etcd --trusted-ca-file",
        "client auth",
    ),
    4: (
        "kube-apiserver server 证书",
        "kube-apiserver --tls-cert-file",
        "各客户端 kubeconfig 中的 CA",
        "server auth",
    ),
    5: (
        "kube-apiserver client 证书",
        "kubectl、controller-manager、scheduler、kube-proxy、kubelet 的 kubeconfig",
        "kube-apiserver --client-ca-file",
        "client auth",
    ),
    6: (
        "service account 密钥对",
        "kube-controller-manager --service-account-private-key-file",
        "kube-apiserver --service-account-key-file",
        "普通密钥对，不是证书",
    ),
    7: (
        "kubelet server 证书",
        "kubelet tlsCertFile（或 TLS bootstrap）",
        "kube-apiserver --kubelet-certificate-authority",
        "server auth",
    ),
    8: (
        "kubelet client 证书",
        "kube-apiserver --kubelet-client-certificate",
        "kubelet clientCAFile",
        "client auth",
    ),
}

# fmt: off
PURPOSE_ZH = {
    "ca": "根证书：所有组件都信任它，它的私钥签署其他所有证书；kube-controller-manager 用它签发 kubelet 证书。",
    "kubernetes": "本指南唯一的服务端证书：kube-apiserver 和 etcd 都用它，所以要包含所有 etcd、master、"
    "镜像仓库和 VIP 地址，以及 service 网段的第一个 IP。",
    "admin": "kubectl 的客户端证书。O=system:masters 绑定 cluster-admin，完全绕过 RBAC：不要放到 node 上。",
    "kube-proxy": "每个节点上 kube-proxy 的客户端证书。CN system:kube-proxy 被内置绑定 system:node-proxier 授权。",
    "kube-controller-manager": "kube-controller-manager 的客户端证书（kubeconfig）。Kubernetes 1.20 "
    "去掉非安全端口后必须有。",
    "controller-manager": "kube-controller-manager 的客户端证书（kubeconfig）。",
    "kube-scheduler": "kube-scheduler 的客户端证书（kubeconfig）。Kubernetes 1.20 去掉非安全端口后必须有。",
    "scheduler": "kube-scheduler 的客户端证书（kubeconfig）。",
    "kube-apiserver-kubelet-client": "kube-apiserver 访问 kubelet（logs、exec）时出示的证书；没有足够的 RBAC "
    "权限时 kubectl logs 会 Forbidden。",
    "apiserver-kubelet-client": "kube-apiserver 访问 kubelet（logs、exec）时出示的证书。",
    "front-proxy-client": "聚合层：kube-apiserver 用它代理到扩展 API 服务器（如 metrics-server）。",
    "sa": "不是证书：kube-apiserver 用 sa.key 签署、用 sa.pub 验证 service account token。",
    "apiserver": "kube-apiserver 在 6443 端口出示的服务端证书。",
    "etcd/ca": "etcd 自己的 CA：签署 etcd 的 server、peer 和 client 证书。",
    "front-proxy-ca": "只签署 front-proxy-client；扩展 API 服务器信任它。",
    "etcd/healthcheck-client": "etcd 健康检查和 etcdctl 使用的客户端证书。",
    "apiserver-etcd-client": "kube-apiserver 访问 etcd 时出示的证书。",
    "kubelet-{name}": "kubelet 在 10250 端口出示的服务端证书；kube-apiserver 用 --kubelet-certificate-authority 验证它。",
    "kubelet/{name}": "kubelet 在 10250 端口出示的服务端证书；kube-apiserver 用 --kubelet-certificate-authority 验证它。",
    "kubelet-{name}-client": "kubelet 在 kube-apiserver 的身份。CN 必须正好是节点注册时的名字，否则 Node 授权器会拒绝。",
    "kubelet/{name}-client": "kubelet 在 kube-apiserver 的身份。CN 必须正好是节点注册时的名字，否则 Node 授权器会拒绝。",
    "etcd/{name}/server": "一个 etcd 成员向客户端出示的证书。需要 server auth 和 client auth：etcd 的 gRPC 网关用它连接本成员。",
    "etcd/{name}/peer": "一个 etcd 成员与其他成员通信（监听和连接）时出示的证书：server auth 和 client auth，SAN 含自己的地址。",
}

WHY_ZH = {
    "authenticates kube-proxy to the apiserver": "kube-proxy 向 kube-apiserver 认证",
    "authenticates the administrator": "管理员的身份认证",
    "authenticates the kubelet to the apiserver": "kubelet 向 kube-apiserver 认证",
    "authenticates to aggregated API servers": "向聚合的扩展 API 服务器认证",
    "authenticates to etcd": "向 etcd 认证",
    "authenticates to kubelets": "向 kubelet 认证",
    "authenticates to the local apiserver": "向本机的 kube-apiserver 认证",
    "checks etcd's health": "检查 etcd 的健康状态",
    "serves clients": "向客户端提供服务",
    "serves clients and talks to the other members": "向客户端提供服务，并与其他成员通信",
    "serves the API": "提供 API 服务",
    "serves the API and authenticates to etcd": "提供 API 服务，并向 etcd 认证",
    "serves the kubelet API": "提供 kubelet API 服务",
    "signs and verifies service-account tokens": "签署和验证 service account token",
    "signs kubelet certificates (TLS bootstrap) and puts the CA in service-account secrets": "签发 kubelet 证书（TLS bootstrap），并把 CA 放进 service account secret",
    "signs service-account token secrets": "签署 service account token secret",
    "talks to the other members": "与其他成员通信",
    "verifies client certificates and etcd's certificate": "验证客户端证书和 etcd 的证书",
    "verifies clients and peers": "验证客户端和其他成员",
    "verifies etcd's server certificate": "验证 etcd 的服务端证书",
    "verifies the apiserver (in its kubeconfig)": "验证 kube-apiserver（写在它的 kubeconfig 里）",
    "verifies the apiserver's client certificate": "验证 kube-apiserver 的客户端证书",
}

# What RBAC (or the verifying side) gives each client identity, keyed by the catalogue's
# English `identity`.
RBAC_TEXT: dict[str, dict[str, str]] = {
    "user admin, group system:masters → ClusterRole cluster-admin": {
        "en": "group system:masters is bound to cluster-admin: every right, RBAC bypassed",
        "zh": "system:masters 组绑定 cluster-admin：拥有全部权限，绕过 RBAC",
    },
    "user kubernetes-admin, group system:masters → cluster-admin": {
        "en": "group system:masters is bound to cluster-admin: every right, RBAC bypassed",
        "zh": "system:masters 组绑定 cluster-admin：拥有全部权限，绕过 RBAC",
    },
    "user system:kube-controller-manager → ClusterRole system:kube-controller-manager": {
        "en": "user bound to ClusterRole system:kube-controller-manager",
        "zh": "用户绑定 ClusterRole system:kube-controller-manager",
    },
    "user system:kube-scheduler → ClusterRole system:kube-scheduler": {
        "en": "user bound to ClusterRole system:kube-scheduler",
        "zh": "用户绑定 ClusterRole system:kube-scheduler",
    },
    "user system:kube-proxy → ClusterRole system:node-proxier": {
        "en": "user bound to ClusterRole system:node-proxier",
        "zh": "用户绑定 ClusterRole system:node-proxier",
    },
    "user system:node:<name>, group system:nodes → Node authorizer": {
        "en": "Node authorizer and NodeRestriction: only its own node and its pods",
        "zh": "Node 授权器和 NodeRestriction：只能操作自己的节点和其上的 pod",
    },
    "user kube-apiserver-kubelet-client, group system:masters": {
        "en": "group system:masters: kubelets allow logs, exec, port-forward "
        "(or bind the user to system:kubelet-api-admin)",
        "zh": "system:masters 组：kubelet 允许 logs、exec、port-forward"
        "（或把用户绑定到 system:kubelet-api-admin）",
    },
    "user front-proxy-client (trusted through --requestheader-allowed-names)": {
        "en": "not RBAC: extension API servers trust it through --requestheader-allowed-names",
        "zh": "不经过 RBAC：扩展 API 服务器通过 --requestheader-allowed-names 信任它",
    },
    "user kubernetes when used as a client (kube-apiserver → kubelet, etcd)": {
        "en": "kube-apiserver's identity at etcd and kubelets; bind user kubernetes to "
        "system:kubelet-api-admin or kubectl logs/exec get Forbidden",
        "zh": "kube-apiserver 访问 etcd 和 kubelet 时的身份；把用户 kubernetes 绑定到 "
        "system:kubelet-api-admin，否则 kubectl logs/exec 会 Forbidden",
    },
    "an etcd client": {
        "en": "no RBAC: etcd lets in any certificate its CA signed (with etcd auth on, "
        "the CN is the etcd user)",
        "zh": "不经过 RBAC：etcd 接受它的 CA 签署的任何证书（开启 etcd 认证时 CN 是 etcd 用户）",
    },
}

BOOTSTRAP_IDENTITY = {
    "en": (
        "kubelet-bootstrap / system:bootstrap:<id> (a token, not a certificate)",
        "system:bootstrappers",
        "bind the group to system:node-bootstrapper (create CSRs) and "
        "…:nodeclient (auto-approval)",
    ),
    "zh": (
        "kubelet-bootstrap / system:bootstrap:<id>（token，不是证书）",
        "system:bootstrappers",
        "把该组绑定到 system:node-bootstrapper（创建 CSR）和 …:nodeclient（自动批准）",
    ),
}

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
"""The components the teaching screen lists, in the order a cluster is started."""

ALWAYS_LISTED = tuple(c for c in COMPONENT_ORDER if c != "etcdctl")
"""Listed even when a profile makes no file for them (classic has none for kube-scheduler)."""

OUTSIDE_SETS = {
    "en": "outside the eight: the aggregation layer (front proxy)",
    "zh": "八套之外：聚合层（front proxy）",
}
"""The name of the row for certificates that belong to none of the eight sets."""

EXAMPLE_NODE = Node("node-1", "192.168.214.101")
"""The node shown when cluster.toml lists none, so per-node certificates can be explained."""

PROFILE_DESCRIPTION_ZH = {
    "classic": "与指南完全一致：一个 CA 签署 kubernetes（etcd 和 kube-apiserver）、admin（kubectl）和 kube-proxy。适用于 Kubernetes 1.20 之前；现在的集群还需要 controller-manager、scheduler 证书和 service account 密钥。",
    "complete": "指南的四对密钥，加上 Kubernetes 1.20 以后需要的：controller-manager、scheduler 证书，service account 密钥对，kube-apiserver 访问 kubelet 和 front-proxy 的证书，每个节点的 kubelet 证书（或 bootstrap token）以及 kubeconfig——全部由一个 CA 签署。",
    "kubeadm": "kubeadm 的布局：集群、etcd、front proxy 三个 CA；pki/ 下的 .crt/.key 文件；每个 etcd 成员自己的 server 和 peer 证书；admin.conf 等 kubeconfig。",
}
# fmt: on
BOOTSTRAP_STEPS = {
    "en": [
        "You create a bootstrap token (id.secret) and give kube-apiserver either token.csv "
        "(--token-auth-file) or a bootstrap-token Secret (--enable-bootstrap-token-auth).",
        "You apply the RBAC bindings: group system:bootstrappers may create certificate signing "
        "requests (system:node-bootstrapper) and have them approved automatically.",
        "Each node gets ca.pem and bootstrap.kubeconfig (the CA and the token) — no kubelet "
        "certificate is made by hand.",
        "At its first start the kubelet authenticates with the token as user "
        "system:bootstrap:<id> / kubelet-bootstrap in group system:bootstrappers.",
        "It creates a CSR for CN system:node:<its name>, O system:nodes; "
        "kube-controller-manager approves it and signs it with ca.pem/ca-key.pem.",
        "The kubelet writes its own certificate and kubeconfig and from then on authenticates "
        "as system:node:<name>; with rotation enabled it renews itself.",
        "Delete the bootstrap token from the node afterwards: whoever holds it may request "
        "certificates.",
    ],
    "zh": [
        "创建一个 bootstrap token（id.secret），通过 token.csv（--token-auth-file）或 bootstrap-token "
        "Secret（--enable-bootstrap-token-auth）交给 kube-apiserver。",
        "应用 RBAC 绑定：system:bootstrappers 组可以创建证书签名请求（system:node-bootstrapper），"
        "并被自动批准。",
        "每个节点只需要 ca.pem 和 bootstrap.kubeconfig（CA 和 token），不用手工制作 kubelet 证书。",
        "kubelet 第一次启动时用 token 认证，身份是 system:bootstrappers 组中的 kubelet-bootstrap。",
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


def set_text(kube_set: KubeSet, language: str) -> tuple[str, str, str, str]:
    """A set's (name, presented by, verified by, EKU it needs) in the language."""
    if language == "zh":
        return SET_NAMES_ZH[kube_set.number]
    return kube_set.name, kube_set.presented_by, kube_set.verified_by, kube_set.eku


CA_CERT_WHY = {"certificate-authority:": "verifies the apiserver (in its kubeconfig)"}
"""The reason a kubeconfig holds its CA's certificate, whatever its client certificate is for."""


def why_of(why: str, language: str) -> str:
    """A component's reason for using a file, in the language (falls back to English)."""
    return WHY_ZH.get(why, why) if language == "zh" else why


def teaching_spec(spec: ClusterSpec) -> tuple[ClusterSpec, bool]:
    """A copy of the spec to teach from, and whether an example node was added to it.

    With per-node kubelet certificates and no [[nodes]] in cluster.toml, the kubelet's files
    would vanish from the explanation, so an example node `node-1` stands in for the nodes.
    """
    copied = copy.deepcopy(spec)
    if copied.profile not in PROFILES:
        copied.profile = PROFILES[0]
    if copied.kubelet == "certificates" and not copied.nodes:
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
    entries = {e.name: e for e in concrete_entries(profile, spec)}
    grouped: dict[tuple[str, str, str], list[str]] = {}
    owners: dict[tuple[str, str, str], CertEntry] = {}
    seen: set[tuple[str, str, str]] = set()
    for entry in entries.values():  # CAs first: their own reasons win over a kubeconfig's
        files = files_of(entry, profile)
        for use in entry.used_by:
            for flag, part in use.flags:
                why = use.why
                if part == "ca-cert":
                    signer = entries.get(entry.signer or "ca")
                    name = files_of(signer, profile).cert if signer else ""
                    why = CA_CERT_WHY.get(flag, why)
                else:
                    name = {"cert": files.cert, "key": files.key, "pub": files.public_key}.get(
                        part, ""
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
        if not entry.signer or entry.key_only or entry.identity.startswith("not "):
            continue
        rbac = RBAC_TEXT.get(entry.identity, {}).get(language, entry.identity)
        rows.append(
            IdentityRow(
                entry.cn,
                organization_of(entry, spec) or TEXT[language]["none"],
                rbac,
                files_of(entry, profile).cert,
            )
        )
    cn, organization, rbac = BOOTSTRAP_IDENTITY[language]
    token_file = "bootstrap.kubeconfig, token.csv"
    rows.append(IdentityRow(cn, organization, rbac, token_file))
    return rows


def purpose_of(entry: CertEntry, language: str) -> str:
    """An entry's purpose in the language (falls back to English)."""
    if language == "zh":
        template = entry.name
        if entry.instance:
            template = entry.name.replace(entry.instance.name, "{name}")
        return PURPOSE_ZH.get(template, entry.purpose)
    return entry.purpose


def layout_sections(spec: ClusterSpec, language: str = "en") -> list[Section]:
    """The teaching text as sections, drawn from the catalogue for this cluster."""
    text = TEXT[language]
    profile = get_profile(spec.profile)
    sets = [text["set_columns"].split("|")]
    for kube_set in EIGHT_SETS:
        if language == "zh":
            name, presented, verified, eku = SET_NAMES_ZH[kube_set.number]
        else:
            name, presented, verified, eku = (
                kube_set.name,
                kube_set.presented_by,
                kube_set.verified_by,
                kube_set.eku,
            )
        sets.append([str(kube_set.number), name, presented, verified, eku])
    entries = concrete_entries(profile, spec)
    files_rows = [text["file_columns"].split("|")]
    identity_rows = [["CN", "O", "RBAC"]]
    for entry in entries:
        files = files_of(entry, profile)
        shown = files.cert or f"{files.key}, {files.public_key}"
        users = ", ".join(dict.fromkeys(u.component for u in entry.used_by)) or text["none"]
        organization = organization_of(entry, spec)
        files_rows.append(
            [
                shown,
                purpose_of(entry, language),
                entry.cn or text["none"],
                organization or text["none"],
                users,
            ]
        )
        if entry.signer and not entry.key_only:
            identity_rows.append([entry.cn, organization or text["none"], entry.identity])
    components: dict[str, list[str]] = {}
    for entry in entries:
        for use in entry.used_by:
            files = files_of(entry, profile)
            for flag, part in use.flags:
                name = {"cert": files.cert, "key": files.key, "pub": files.public_key}.get(part)
                if part == "ca-cert":
                    name = files_of(profile.entry(entry.signer or "ca"), profile).cert
                components.setdefault(use.component, []).append(f"{flag} {name}")
    component_rows = [["component", "flags → files"]]
    component_rows += [[c, "; ".join(dict.fromkeys(f))] for c, f in components.items()]
    bootstrap_rows = [["#", text["purpose"]]]
    bootstrap_rows += [[str(i), step] for i, step in enumerate(BOOTSTRAP_STEPS[language], 1)]
    return [
        Section(text["sets"], text["sets_intro"], sets),
        Section(
            text["files"].format(profile=profile.name),
            PROFILE_DESCRIPTION_ZH[profile.name] if language == "zh" else profile.description,
            files_rows,
        ),
        Section(text["identities"], text["identities_intro"], identity_rows),
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
