# ruff: noqa: E501  (Chinese teaching text: wide characters, unbreakable sentences)
"""The teaching text in Simplified Chinese, keyed by entry (`CertEntry.text_key`), not by the
English prose: an entry's purpose, each component's reason to read it, what its identity is
given, the eight sets and the profiles. The English is the catalogue's own; `missing_chinese`
lists what has no Chinese (a test keeps it empty).
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.catalog.model import CertEntry, ComponentUse, KubeSet, Profile

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Text:
    """One text in both languages."""

    en: str
    zh: str

    def __call__(self, language: str) -> str:
        """The text in the language (zh, else English)."""
        return self.zh if language == "zh" else self.en


# fmt: off
PURPOSE_ZH: dict[str, str] = {
    "ca": "根证书：所有组件都信任它，它的私钥签署其他所有证书；kube-controller-manager 用它签发 kubelet 证书。",
    "kubeadm-ca": "集群 CA：签署 kube-apiserver 的证书、它的客户端证书和 kubelet 的证书。",
    "kubernetes": "本指南唯一的服务端证书：kube-apiserver 和 etcd 都用它，所以要包含所有 etcd、master、"
    "镜像仓库和 VIP 地址，以及 service 网段的第一个 IP。",
    "admin": "kubectl 的客户端证书。O=system:masters 绑定 cluster-admin，完全绕过 RBAC：不要放到 node 上。",
    "kube-proxy": "每个节点上 kube-proxy 的客户端证书。CN system:kube-proxy 被内置绑定 system:node-proxier 授权。",
    "controller-manager": "kube-controller-manager 的客户端证书（kubeconfig）。Kubernetes 1.20 "
    "去掉非安全端口后必须有。",
    "scheduler": "kube-scheduler 的客户端证书（kubeconfig）。Kubernetes 1.20 去掉非安全端口后必须有。",
    "apiserver-kubelet-client": "kube-apiserver 访问 kubelet（logs、exec、port-forward）时出示的证书；没有足够的 "
    "RBAC 权限（这里是 O system:masters）时 kubectl logs 会 Forbidden。",
    "front-proxy-client": "聚合层：kube-apiserver 用它代理到扩展 API 服务器（如 metrics-server）；"
    "它们通过 --requestheader-client-ca-file 信任它的 CA。",
    "sa": "不是证书：kube-apiserver 用 sa.key 签署、用 sa.pub 验证 service account token；"
    "kube-controller-manager 签署旧式的 token secret。",
    "apiserver": "kube-apiserver 在 6443 端口出示的服务端证书。",
    "etcd/ca": "etcd 自己的 CA：签署 etcd 的 server、peer 和 client 证书。",
    "front-proxy-ca": "只签署 front-proxy-client；扩展 API 服务器信任它。",
    "etcd/healthcheck-client": "etcd 健康检查和成员上的 etcdctl 使用的客户端证书。",
    "apiserver-etcd-client": "kube-apiserver 访问 etcd 时出示的证书。",
    "kubelet-server": "kubelet 在 10250 端口出示的服务端证书；kube-apiserver 用 --kubelet-certificate-authority 验证它。",
    "kubelet-client": "kubelet 在 kube-apiserver 的身份。CN 必须正好是节点注册时的名字，否则 Node 授权器会拒绝。",
    "etcd-server": "一个 etcd 成员向客户端出示的证书。需要 server auth 和 client auth：etcd 的 gRPC 网关用它连接本成员。",
    "client-ca": "只由 rotate-ca --clients-only 生成（凭据泄露时）：一个单独的 CA 接管集群 CA 对客户端的信任；"
    "客户端证书和 kubeconfig 用户在它之下重新签发，服务端保留集群 CA。generate 从不生成它。",
    "etcd-peer": "一个 etcd 成员与其他成员通信（监听和连接）时出示的证书：server auth 和 client auth，SAN 含自己的地址。",
}
"""An entry's purpose in Chinese, by its text key."""

_VERIFIES_APISERVER = "验证 kube-apiserver（写在它的 kubeconfig 里）"
_VERIFIES_CLIENTS_AND_PEERS = "验证客户端和其他成员"
_TO_LOCAL_APISERVER = "向本机的 kube-apiserver 认证"
_CLUSTER_CA_WHYS = {
    "kubelet": "验证 kube-apiserver 的客户端证书",
    "kube-proxy": _VERIFIES_APISERVER,
    "kubectl": _VERIFIES_APISERVER,
    "kube-controller-manager": "签发 kubelet 证书（TLS bootstrap），并把 CA 放进 service account secret",
}

WHY_ZH: dict[tuple[str, str], str] = {
    ("ca", "etcd"): _VERIFIES_CLIENTS_AND_PEERS,
    ("ca", "kube-apiserver"): "验证客户端证书和 etcd 的证书",
    **{("ca", component): text for component, text in _CLUSTER_CA_WHYS.items()},
    ("kubeadm-ca", "kube-apiserver"): "验证客户端证书（这里 etcd 有自己的 CA）",
    **{("kubeadm-ca", component): text for component, text in _CLUSTER_CA_WHYS.items()},
    ("kubernetes", "etcd"): "向客户端提供服务，并与其他成员通信",
    ("kubernetes", "kube-apiserver"): "提供 API 服务，并向 etcd 认证",
    ("admin", "kubectl"): "管理员的身份认证",
    ("kube-proxy", "kube-proxy"): "kube-proxy 向 kube-apiserver 认证",
    ("controller-manager", "kube-controller-manager"): _TO_LOCAL_APISERVER,
    ("scheduler", "kube-scheduler"): _TO_LOCAL_APISERVER,
    ("apiserver-kubelet-client", "kube-apiserver"): "向 kubelet 认证",
    ("front-proxy-client", "kube-apiserver"): "向聚合的扩展 API 服务器认证",
    ("sa", "kube-apiserver"): "签署和验证 service account token",
    ("sa", "kube-controller-manager"): "签署 service account token secret",
    ("kubelet-server", "kubelet"): "提供 kubelet API 服务",
    ("kubelet-server", "kube-apiserver"): (
        "连接节点时验证 kubelet 的服务端证书（没有它，apiserver 接受 10250 端口上的任何证书）"
    ),
    ("kubelet-client", "kubelet"): "kubelet 向 kube-apiserver 认证",
    ("apiserver", "kube-apiserver"): "提供 API 服务",
    ("etcd/ca", "etcd"): _VERIFIES_CLIENTS_AND_PEERS,
    ("etcd/ca", "kube-apiserver"): "验证 etcd 的服务端证书",
    ("etcd-server", "etcd"): "向客户端提供服务",
    ("etcd-peer", "etcd"): "与其他成员通信",
    ("etcd/healthcheck-client", "etcdctl"): "检查 etcd 的健康状态",
    ("apiserver-etcd-client", "kube-apiserver"): "向 etcd 认证",
    ("client-ca", "etcd"): "验证客户端（不验证成员：成员保留集群 CA）",
    ("client-ca", "kube-apiserver"): "客户端信任移到客户端 CA 之后，验证客户端证书",
    ("client-ca", "kubelet"): "验证 apiserver 的客户端证书",
    ("client-ca", "kube-controller-manager"): (
        "用客户端 CA 签发客户端证书（TLS 引导的 kubelet 证书），--cluster-signing-cert-file 仍签发服务端证书"
    ),
}
"""A component's reason to read an entry's files in Chinese, by (text key, component)."""

CA_CERT_WHY: dict[str, Text] = {
    "certificate-authority:": Text(
        "verifies the apiserver (in its kubeconfig)", _VERIFIES_APISERVER
    ),
}
"""The reason a kubeconfig holds its CA's certificate, whatever its client certificate is for."""

_MASTERS = Text(
    "group system:masters is bound to cluster-admin: every right, RBAC bypassed",
    "system:masters 组绑定 cluster-admin：拥有全部权限，绕过 RBAC",
)
_ETCD_CLIENT = Text(
    "no RBAC: etcd lets in any certificate its CA signed (with etcd auth on, the CN is the etcd "
    "user)",
    "不经过 RBAC：etcd 接受它的 CA 签署的任何证书（开启 etcd 认证时 CN 是 etcd 用户）",
)
IDENTITY_TEXT: dict[str, Text] = {
    "admin": _MASTERS,
    "controller-manager": Text(
        "user bound to ClusterRole system:kube-controller-manager",
        "用户绑定 ClusterRole system:kube-controller-manager",
    ),
    "scheduler": Text(
        "user bound to ClusterRole system:kube-scheduler",
        "用户绑定 ClusterRole system:kube-scheduler",
    ),
    "kube-proxy": Text(
        "user bound to ClusterRole system:node-proxier", "用户绑定 ClusterRole system:node-proxier"
    ),
    "kubelet-client": Text(
        "Node authorizer and NodeRestriction: only its own node and its pods",
        "Node 授权器和 NodeRestriction：只能操作自己的节点和其上的 pod",
    ),
    "apiserver-kubelet-client": Text(
        "group system:masters: kubelets allow logs, exec, port-forward "
        "(or bind the user to system:kubelet-api-admin)",
        "system:masters 组：kubelet 允许 logs、exec、port-forward"
        "（或把用户绑定到 system:kubelet-api-admin）",
    ),
    "front-proxy-client": Text(
        "not RBAC: extension API servers trust it through --requestheader-allowed-names",
        "不经过 RBAC：扩展 API 服务器通过 --requestheader-allowed-names 信任它",
    ),
    "kubernetes": Text(
        "kube-apiserver's identity at etcd and kubelets; bind user kubernetes to "
        "system:kubelet-api-admin or kubectl logs/exec get Forbidden",
        "kube-apiserver 访问 etcd 和 kubelet 时的身份；把用户 kubernetes 绑定到 "
        "system:kubelet-api-admin，否则 kubectl logs/exec 会 Forbidden",
    ),
    "etcd/healthcheck-client": _ETCD_CLIENT,
    "apiserver-etcd-client": _ETCD_CLIENT,
}
"""What RBAC (or the verifying side) gives each client identity, by text key."""

SET_NAMES_ZH: dict[int, tuple[str, str, str, str]] = {
    1: ("etcd server 证书", "etcd --cert-file", "kube-apiserver --etcd-cafile、etcdctl --cacert",
        "server auth 和 client auth"),
    2: ("etcd peer 证书", "etcd --peer-cert-file", "其他 etcd 成员 --peer-trusted-ca-file",
        "server auth 和 client auth"),
    3: ("etcd client 证书", "kube-apiserver --etcd-certfile", "etcd --trusted-ca-file", "client auth"),
    4: ("kube-apiserver server 证书", "kube-apiserver --tls-cert-file", "各客户端 kubeconfig 中的 CA",
        "server auth"),
    5: ("kube-apiserver client 证书",
        "kubectl、controller-manager、scheduler、kube-proxy、kubelet 的 kubeconfig",
        "kube-apiserver --client-ca-file", "client auth"),
    6: ("service account 密钥对", "kube-controller-manager --service-account-private-key-file",
        "kube-apiserver --service-account-key-file", "普通密钥对，不是证书"),
    7: ("kubelet server 证书", "kubelet tlsCertFile（或 TLS bootstrap）",
        "kube-apiserver --kubelet-certificate-authority", "server auth"),
    8: ("kubelet client 证书", "kube-apiserver --kubelet-client-certificate", "kubelet clientCAFile",
        "client auth"),
}
"""Each set's (name, presented by, verified by, what it needs) in Chinese, by number."""

PROFILE_DESCRIPTION_ZH: dict[str, str] = {
    "classic": "与指南完全一致：一个 CA 签署 kubernetes（etcd 和 kube-apiserver）、admin（kubectl）和 kube-proxy。适用于 Kubernetes 1.20 之前；现在的集群还需要 controller-manager、scheduler 证书和 service account 密钥。",
    "complete": "指南的四对密钥，加上 Kubernetes 1.20 以后需要的：controller-manager、scheduler 证书，service account 密钥对，kube-apiserver 访问 kubelet 和 front-proxy 的证书，每个节点的 kubelet 证书（或 bootstrap token）以及 kubeconfig——全部由一个 CA 签署。",
    "kubeadm": "kubeadm 的布局：集群、etcd、front proxy 三个 CA；pki/ 下的 .crt/.key 文件；每个 etcd 成员自己的 server 和 peer 证书；admin.conf 等 kubeconfig。",
}
"""A profile's description in Chinese, by profile name."""
# fmt: on


def purpose_text(entry: CertEntry, language: str) -> str:
    """An entry's purpose in the language (English where Chinese is missing)."""
    if language == "zh":
        return PURPOSE_ZH.get(entry.text_key, entry.purpose)
    return entry.purpose


def why_text(entry: CertEntry, use: ComponentUse, language: str, flag: str = "") -> str:
    """Why a component reads an entry's file; a kubeconfig's CA field has its own reason."""
    if flag in CA_CERT_WHY:
        return CA_CERT_WHY[flag](language)
    if language == "zh":
        return WHY_ZH.get((entry.text_key, use.component), use.why)
    return use.why


def identity_text(entry: CertEntry, language: str) -> str:
    """What a client identity is given (RBAC, or the verifying side), in the language."""
    text = IDENTITY_TEXT.get(entry.text_key)
    return text(language) if text else entry.identity


def set_text(kube_set: KubeSet, language: str) -> tuple[str, str, str, str]:
    """A set's (name, presented by, verified by, EKU it needs) in the language."""
    if language == "zh":
        return SET_NAMES_ZH[kube_set.number]
    return kube_set.name, kube_set.presented_by, kube_set.verified_by, kube_set.eku


def description_text(profile: Profile, language: str) -> str:
    """A profile's description in the language."""
    if language == "zh":
        return PROFILE_DESCRIPTION_ZH.get(profile.name, profile.description)
    return profile.description


def missing_chinese(profiles: list[Profile], sets: tuple[KubeSet, ...]) -> list[str]:
    """Every teaching text of these profiles and sets that has no Chinese, named."""
    missing = []
    for profile in profiles:
        if profile.name not in PROFILE_DESCRIPTION_ZH:
            missing.append(f"{profile.name}: description")
        for entry in (*profile.entries, *profile.rotation_entries):
            where = f"{profile.name} {entry.name} ({entry.text_key})"
            if entry.text_key not in PURPOSE_ZH:
                missing.append(f"{where}: purpose")
            for use in entry.used_by:
                if (entry.text_key, use.component) not in WHY_ZH:
                    missing.append(f"{where}: why of {use.component}")
            if entry.is_client_identity and entry.text_key not in IDENTITY_TEXT:
                missing.append(f"{where}: identity")
    missing += [f"set {s.number}: names" for s in sets if s.number not in SET_NAMES_ZH]
    return missing
