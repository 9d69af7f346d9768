"""Teaching the layout: the eight sets, who uses which file, CN as user and O as group, and the
TLS-bootstrap sequence — drawn from the catalogue, in English or Simplified Chinese.

`layout_sections` gives structured sections (the teaching screen reads them); `layout_text`
renders them as plain text (the `layout` command prints it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from wizard.catalog import (
    EIGHT_SETS,
    CertEntry,
    concrete_entries,
    files_of,
    get_profile,
    organization_of,
)
from wizard.spec import ClusterSpec

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
}

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
