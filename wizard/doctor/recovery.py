"""The recovery guide for a cluster switched off past its certificates' end (its CAs still
valid, the hosts offline): what to renew, in which order, where each file goes and what to
restart — read from the catalogue for the cluster's profile, in English or Chinese.

The order is the catalogue's start order (COMPONENT_ORDER): each certificate is renewed in the
step of the first component that reads it, copied to the hosts that run that component, and
that component restarted before the next one — etcd first, the kubelets last."""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.catalog import (
    COMPONENT_ORDER,
    RESTARTS,
    CertEntry,
    KubeletMode,
    Part,
    Profile,
    concrete_entries,
    files_of,
    get_profile,
)
from wizard.distribution import plan_distribution
from wizard.spec import ClusterSpec

PROG = "k8s-cert-wizard"
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Copy:
    """One file to put on one host after renewing."""

    address: str
    host: str
    source: str
    destination: str


@dataclass
class RecoveryStep:
    """One component's turn: the certificates first read by it, their copies, the restart."""

    component: str
    renew: list[str] = field(default_factory=list)  # certificate files for `renew --only`
    entries: list[str] = field(default_factory=list)  # the catalogue entries renewed
    copies: list[Copy] = field(default_factory=list)
    restart: str = ""  # "" for a client (kubectl, etcdctl): nothing runs
    hosts: list[str] = field(default_factory=list)  # addresses that run the component
    bootstrap: bool = False  # the kubelet gets its client certificate by TLS bootstrap


@dataclass
class RecoveryPlan:
    """The steps for one cluster, in the order to run them."""

    profile: str
    kubelet: str
    cas: list[str]  # CA certificate files: kept (same CA), but check they are still valid
    steps: list[RecoveryStep]


def _reads(entry: CertEntry, component: str) -> bool:
    """True when the component reads the entry's own certificate or key (not just its CA)."""
    return any(
        use.component == component and any(p in (Part.CERT, Part.KEY) for p in use.parts)
        for use in entry.used_by
    )


def recovery_plan(spec: ClusterSpec) -> RecoveryPlan:
    """The recovery steps for this cluster, from its profile's catalogue."""
    profile = get_profile(spec.profile)
    entries = concrete_entries(profile, spec)
    leaves = [e for e in entries if not e.is_ca and not e.key_only]
    hosts = plan_distribution(spec)
    cas = {files_of(e, profile).cert for e in entries if e.is_ca}
    taken: set[str] = set()
    renewed: set[str] = set()  # the files renewed so far (a later component may read them)
    copied: set[tuple[str, str]] = set()  # (address, source): each file goes to a host once
    steps: list[RecoveryStep] = []
    for component in COMPONENT_ORDER:
        step = RecoveryStep(component, restart=RESTARTS.get(component, ""))
        for entry in leaves:
            if entry.name in taken or not _reads(entry, component):
                continue
            taken.add(entry.name)
            step.entries.append(entry.name)
            step.renew.append(files_of(entry, profile).cert)
        step.bootstrap = component == "kubelet" and _bootstraps(profile, spec)
        renewed |= _renewed_sources(profile, spec, step.entries)
        for plan in hosts:
            if component not in plan.components:
                continue
            step.hosts.append(plan.address)
            for placed in plan.files:
                if placed.source in cas or not _read_by(placed.why, component):
                    continue
                if (plan.address, placed.source) in copied:
                    continue
                if placed.source in renewed or _is_kubeconfig(placed.source):
                    copied.add((plan.address, placed.source))
                    step.copies.append(
                        Copy(plan.address, plan.name, placed.source, placed.destination)
                    )
        if step.renew or step.bootstrap or (step.restart and step.hosts):
            steps.append(step)
    return RecoveryPlan(profile.name, spec.kubelet, sorted(cas), steps)


def _bootstraps(profile: Profile, spec: ClusterSpec) -> bool:
    """True when the kubelet's client certificate is not ours: bootstrap mode, or a profile
    with no kubelet certificates (classic: the guide bootstraps its kubelets)."""
    if spec.kubelet == KubeletMode.BOOTSTRAP:
        return True
    return not any(e.when_kubelet == KubeletMode.CERTIFICATES for e in profile.entries)


def _renewed_sources(profile: Profile, spec: ClusterSpec, names: list[str]) -> set[str]:
    by_name = {e.name: e for e in concrete_entries(profile, spec)}
    return {n for name in names for n in files_of(by_name[name], profile).names()}


def _read_by(why: str, component: str) -> bool:
    return why.startswith(f"{component} ") or why == f"{component}'s kubeconfig"


def _is_kubeconfig(source: str) -> bool:
    return source.endswith((".kubeconfig", ".conf"))


# --- the guide in words ---------------------------------------------------------------------

_WORDS: dict[str, dict[str, str]] = {
    "title": {
        "en": "Recovery: a cluster switched off past its certificates' end",
        "zh": "恢复：集群停机期间证书已过期",
    },
    "scope": {
        "en": "Profile {profile}, kubelet = {kubelet}. For a cluster whose certificates ended "
        "while it was off, with the same CA (its CAs still valid) and the hosts offline from "
        "each other until the steps are done. Run the commands on the machine holding {dir}.",
        "zh": "档案 {profile}，kubelet = {kubelet}。适用于停机期间证书到期、CA 不变"
        "（CA 仍在有效期内）的集群，各主机在完成以下步骤前彼此不通。"
        "以下命令在存放 {dir} 的机器上执行。",
    },
    "before": {"en": "Before you start", "zh": "开始之前"},
    "clocks": {
        "en": "Check the clock on every host (`timedatectl`): a clock behind makes new "
        "certificates look not yet valid.",
        "zh": "检查每台主机的时钟（`timedatectl`）：时钟落后会让新证书显示为尚未生效。",
    },
    "cas": {
        "en": "Check the CAs are still valid: `{prog} review {dir}` lists their end dates "
        "({cas}). If a CA has ended too, this guide does not apply: make a new CA "
        "(`{prog} generate -c {config} --new-ca`) and hand out every file again.",
        "zh": "确认 CA 仍然有效：`{prog} review {dir}` 会列出它们的到期时间（{cas}）。"
        "如果 CA 也已过期，本指南不适用：请新建 CA（`{prog} generate -c {config} --new-ca`）"
        "并重新分发所有文件。",
    },
    "order": {
        "en": "Then, one component at a time, in this order:",
        "zh": "然后按以下顺序逐个组件处理：",
    },
    "renew": {"en": "Renew (the CA stays; new keys):", "zh": "续期（CA 不变，生成新密钥）："},
    "nothing": {
        "en": "Nothing to renew: it reads only the CA and files renewed above.",
        "zh": "无需续期：它只读取 CA 和前面已续期的文件。",
    },
    "copy": {"en": "Copy to its hosts:", "zh": "复制到运行它的主机："},
    "restart": {"en": "Restart on {hosts}:", "zh": "在 {hosts} 上重启："},
    "etcd_together": {
        "en": "Start every etcd member at about the same time: one member alone waits for a "
        "quorum. Check: `etcdctl endpoint health` with the new client certificate.",
        "zh": "各 etcd 成员需几乎同时启动：单个成员会一直等待多数派。"
        "检查：用新的客户端证书执行 `etcdctl endpoint health`。",
    },
    "apiserver_check": {
        "en": "Check: `kubectl get --raw /readyz` answers ok on every master.",
        "zh": "检查：每个 master 上 `kubectl get --raw /readyz` 返回 ok。",
    },
    "client": {
        "en": "A client: nothing to restart; use the renewed file from now on.",
        "zh": "客户端：无需重启，此后使用续期后的文件。",
    },
    "kubelet_ours": {
        "en": "The kubelets' client certificates are made here (bootstrap is off), so they "
        "are renewed in this step like any other; copy each node's own kubeconfig to it.",
        "zh": "kubelet 的客户端证书由本工具签发（未启用 bootstrap），在本步骤中同样续期；"
        "把每个节点自己的 kubeconfig 复制到该节点。",
    },
    "kubelet_bootstrap": {
        "en": "The kubelets' client certificates came from TLS bootstrap, not from here. On "
        "each node: move /var/lib/kubelet/pki/kubelet-client-current.pem aside, make sure "
        "the bootstrap kubeconfig's token has not expired too (if it has, create a new "
        "bootstrap token and write it into that kubeconfig), `systemctl restart kubelet`, "
        "then `kubectl get csr` and `kubectl certificate approve <csr>` for each node's "
        "request (kube-controller-manager, restarted above, signs them).",
        "zh": "kubelet 的客户端证书来自 TLS bootstrap，而非本工具。在每个节点上："
        "把 /var/lib/kubelet/pki/kubelet-client-current.pem 移走，确认 bootstrap kubeconfig "
        "中的 token 没有过期（若已过期，新建 bootstrap token 并写入该 kubeconfig），"
        "`systemctl restart kubelet`，然后 `kubectl get csr`，对每个节点的请求执行 "
        "`kubectl certificate approve <csr>`（由前面已重启的 kube-controller-manager 签发）。",
    },
    "last": {
        "en": "Last: `kubectl get nodes` shows every node Ready; `{prog} review {dir}` shows "
        "no expired certificate.",
        "zh": "最后：`kubectl get nodes` 显示所有节点 Ready；`{prog} review {dir}` "
        "不再显示过期证书。",
    },
    "no_hosts": {
        "en": "(no host of cluster.toml runs it)",
        "zh": "（cluster.toml 中没有主机运行它）",
    },
}


def _say(key: str, lang: str, **values: str) -> str:
    return _WORDS[key][lang].format(prog=PROG, **values)


def recovery_guide(spec: ClusterSpec, config: str, directory: str, lang: str = "en") -> str:
    """The recovery guide as Markdown; `config` and `directory` go into the commands."""
    if lang not in LANGUAGES:
        raise ValueError(f"--lang {lang}: use one of {', '.join(LANGUAGES)}")
    plan = recovery_plan(spec)
    say = {"dir": directory, "config": config}
    lines = [
        f"# {_say('title', lang)}",
        "",
        _say("scope", lang, profile=plan.profile, kubelet=plan.kubelet, dir=directory),
        "",
        f"## {_say('before', lang)}",
        "",
        f"1. {_say('clocks', lang)}",
        f"2. {_say('cas', lang, cas=', '.join(plan.cas), **say)}",
        "",
        _say("order", lang),
    ]
    for number, step in enumerate(plan.steps, 1):
        lines += ["", f"## {number}. {step.component}", ""]
        if step.renew:
            lines += [
                _say("renew", lang),
                "",
                "```",
                f"{PROG} renew -c {config} -o {directory} --only {' '.join(step.renew)}",
                "```",
                "",
            ]
        elif not step.bootstrap:
            lines += [_say("nothing", lang), ""]
        if step.component == "kubelet":
            lines += [_say("kubelet_bootstrap" if step.bootstrap else "kubelet_ours", lang), ""]
        if step.copies:
            lines += [_say("copy", lang), "", "```"]
            lines += [
                f"scp {directory}/{c.source} root@{c.address}:{c.destination}" for c in step.copies
            ]
            lines += ["```", ""]
        if step.restart:
            hosts = ", ".join(step.hosts) or _say("no_hosts", lang)
            lines += [_say("restart", lang, hosts=hosts), "", "```", step.restart, "```", ""]
            if step.component == "etcd":
                lines += [_say("etcd_together", lang), ""]
            if step.component == "kube-apiserver":
                lines += [_say("apiserver_check", lang), ""]
        elif not step.bootstrap:
            lines += [_say("client", lang), ""]
    lines += ["", _say("last", lang, **say), ""]
    return "\n".join(lines)
