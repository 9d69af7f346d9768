"""Whose convention a file follows: the layouts other tools leave, told by their own file names,
and the roles their files play there.

Each tool's table is read from that tool's own recipe: kubeasz's `roles/*/templates/*-csr.json.j2`
and tasks (the files a master holds in /etc/kubernetes/ssl), kubespray's `make-ssl-etcd.sh.j2`
(host-mode etcd in /etc/ssl/etcd/ssl), Kubernetes The Hard Way's `ca.conf`, k3s's and RKE2's
`pkg/daemons/control/deps/deps.go` (`server/tls` and its `etcd/`). Files of our own profiles get
their profile's name from the catalogue (roles.py).
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from dataclasses import dataclass

from wizard.review.model import Finding, ReviewedFile
from wizard.review.roles import GENERIC_CA, Match, Role, recognise
from wizard.review.tls_secret import DYNAMIC_CERT_FILE
from wizard.spec import ClusterSpec

KUBEADM = "kubeadm"
KUBELET = "the kubelet (/var/lib/kubelet/pki)"
KUBEASZ = "kubeasz"
KUBESPRAY = "kubespray (host-mode etcd)"
KTHW = "Kubernetes The Hard Way"
K3S = "k3s"
RKE2 = "RKE2"
# our catalogue's profiles, as the role's convention
PROFILE_CONVENTIONS = {
    "kubeadm": KUBEADM,
    "classic": "the guide (cfssl, classic profile)",
    "complete": "k8s-cert-wizard (complete profile)",
}
GENERIC = "generic (recognised by its CN and O only)"


@dataclass(frozen=True)
class Layout:
    """A folder laid out by a known tool: its convention and, for Rancher's, the program and
    which part of its data directory the folder is (server/tls or agent)."""

    convention: str
    program: str = ""  # k3s or rke2: the word deps.go puts into some file names
    agent: bool = False  # <data-dir>/agent (pkg/agent/config), not <data-dir>/server


def _ca(name: str, title: str, convention: str) -> Role:
    return Role(name, title, profile=convention, ca=True)


def _client(name: str, title: str, convention: str, cn: str | None, *groups: str) -> Role:
    return Role(name, title, profile=convention, client_auth=True, cn=cn, groups=groups)


def _server(
    name: str, title: str, convention: str, *, client: bool = False, covers: tuple[str, ...] = ()
) -> Role:
    return Role(
        name,
        title,
        profile=convention,
        server_auth=True,
        client_auth=client,
        needs_sans=True,
        covers=covers,
    )


def _keys(name: str, title: str, convention: str, why: str) -> Role:
    return Role(name, title, profile=convention, key_pair=True, why=why)


def _rancher_table(program: str, convention: str) -> dict[str, Role]:
    """deps.go's CreateRuntimeCertFiles, file name → role (for the .crt and its .key)."""
    c = convention
    masters = "system:masters"
    table = {
        "client-ca": _ca("client-ca", f"{c}'s client CA", c),
        "client-ca.nochain": _ca("client-ca", f"{c}'s client CA (the copy without a chain)", c),
        "server-ca": _ca("server-ca", f"{c}'s server CA", c),
        "server-ca.nochain": _ca("server-ca", f"{c}'s server CA (the copy without a chain)", c),
        "request-header-ca": _ca("request-header-ca", f"{c}'s request-header CA", c),
        "client-admin": _client("client-admin", "the admin's client certificate", c, None, masters),
        "client-supervisor": _client(
            "client-supervisor",
            "the supervisor's client certificate",
            c,
            f"system:{program}-supervisor",
            masters,
        ),
        "client-controller": _client(
            "client-controller",
            "kube-controller-manager's client certificate",
            c,
            "system:kube-controller-manager",
        ),
        "client-scheduler": _client(
            "client-scheduler", "kube-scheduler's client certificate", c, "system:kube-scheduler"
        ),
        "client-kube-apiserver": _client(
            "client-kube-apiserver",
            "kube-apiserver's client certificate (kubelets, egress)",
            c,
            "system:apiserver",
            masters,
        ),
        "client-kube-proxy": _client(
            "client-kube-proxy", "kube-proxy's client certificate", c, "system:kube-proxy"
        ),
        f"client-{program}-controller": _client(
            f"client-{program}-controller",
            f"the {program} controller's client certificate",
            c,
            f"system:{program}-controller",
        ),
        f"client-{program}-cloud-controller": _client(
            f"client-{program}-cloud-controller",
            "the cloud controller manager's client certificate",
            c,
            None,
        ),
        "client-auth-proxy": _client(
            "client-auth-proxy",
            "the request-header (front proxy) client certificate",
            c,
            "system:auth-proxy",  # kube-apiserver's --requestheader-allowed-names
        ),
        # config.SANs (--tls-san, the node's own names and addresses) on each server: of the
        # cluster file's hosts only the VIP in front of every server must be in each
        "serving-kube-apiserver": _server(
            "serving-kube-apiserver", "kube-apiserver's serving certificate", c, covers=("vip",)
        ),
        DYNAMIC_CERT_FILE: _server(
            "dynamic-cert",
            f"the supervisor's serving certificate, kept by {c}'s listener (dynamic-cert.json)",
            c,
            covers=("vip",),
        ),
        "client-kubelet": _keys(
            "client-kubelet",
            "the key of every kubelet's client certificate",
            c,
            "the supervisor signs each agent's certificate for it on request",
        ),
        "serving-kubelet": _keys(
            "serving-kubelet",
            "the key of every kubelet's serving certificate",
            c,
            "the supervisor signs each agent's certificate for it on request",
        ),
        "service": _keys(
            "service", "the service-account signing keys", c, "service-account tokens need no CA"
        ),
        "service.current": _keys(
            "service.current",
            "the current service-account signing key",
            c,
            "service-account tokens need no CA",
        ),
        "etcd/server-ca": _ca("etcd/server-ca", f"{c}'s etcd server CA", c),
        "etcd/peer-ca": _ca("etcd/peer-ca", f"{c}'s etcd peer CA", c),
        "etcd/server-client": _server(
            "etcd/server-client", "etcd's serving certificate", c, client=True
        ),
        "etcd/peer-server-client": _server(
            "etcd/peer-server-client", "etcd's peer certificate", c, client=True
        ),
        "etcd/client": _client("etcd/client", "kube-apiserver's etcd client certificate", c, None),
    }
    # cred/*.kubeconfig name their certificate's files (deps.go's KubeConfig)
    for kubeconfig, stem in (
        ("admin", "client-admin"),
        ("supervisor", "client-supervisor"),
        ("controller", "client-controller"),
        ("scheduler", "client-scheduler"),
        ("api-server", "client-kube-apiserver"),
        ("cloud-controller", f"client-{program}-cloud-controller"),
    ):
        table[f"{kubeconfig}.kubeconfig"] = table[stem]
    return table


def _rancher_agent_table(program: str, convention: str) -> dict[str, Role]:
    """pkg/agent/config's files in <data-dir>/agent: what the supervisor signs or sends."""
    c = convention
    kubelet = Role(
        "client-kubelet",
        "the kubelet's client certificate (signed by the supervisor for this node)",
        profile=c,
        client_auth=True,
        cn_prefix="system:node:",
        groups=("system:nodes",),
    )
    proxy = _client(
        "client-kube-proxy",
        "kube-proxy's client certificate (the server's, sent to every agent)",
        c,
        "system:kube-proxy",
    )
    controller = _client(
        f"client-{program}-controller",
        f"the {program} agent controller's client certificate (the server's, sent to every agent)",
        c,
        f"system:{program}-controller",
    )
    return {
        "client-ca": _ca("client-ca", f"{c}'s client CA (the agent's copy)", c),
        "server-ca": _ca("server-ca", f"{c}'s server CA (the agent's copy)", c),
        "client-kubelet": kubelet,
        "serving-kubelet": _server(
            "serving-kubelet",
            "the kubelet's serving certificate (signed by the supervisor for this node)",
            c,
        ),
        "client-kube-proxy": proxy,
        f"client-{program}-controller": controller,
        "kubelet.kubeconfig": kubelet,
        "kubeproxy.kubeconfig": proxy,
        f"{program}controller.kubeconfig": controller,
    }


def _kubeasz_table() -> dict[str, Role]:
    c = KUBEASZ
    return {
        "ca": _ca("ca", "kubeasz's cluster CA (ca-csr.json.j2)", c),
        "kubernetes": _server(
            "kubernetes",
            "kube-apiserver's serving certificate, also its etcd and kubelet client "
            "(kubernetes-csr.json.j2)",
            c,
            client=True,
            covers=("masters", "vip"),
        ),
        "etcd": _server(
            "etcd",
            "etcd's certificate, one shared by every member (etcd-csr.json.j2)",
            c,
            client=True,
            covers=("etcd",),
        ),
        "aggregator-proxy": _client(
            "aggregator-proxy",
            "kube-apiserver's front-proxy client certificate (aggregator-proxy-csr.json.j2)",
            c,
            None,
        ),
        "kubelet": _server(
            "kubelet",
            "the kubelet's serving and client certificate (kubelet-csr.json.j2)",
            c,
            client=True,
        ),
        "kubelet.kubeconfig": Role(
            "kubelet",
            "the kubelet's client certificate (kubelet.kubeconfig)",
            profile=c,
            client_auth=True,
            cn_prefix="system:node:",
            groups=("system:nodes",),
        ),
        "kube-proxy.kubeconfig": _client(
            "kube-proxy", "kube-proxy's client certificate", c, "system:kube-proxy"
        ),
        "kube-controller-manager.kubeconfig": _client(
            "kube-controller-manager",
            "kube-controller-manager's client certificate",
            c,
            "system:kube-controller-manager",
        ),
        "kube-scheduler.kubeconfig": _client(
            "kube-scheduler", "kube-scheduler's client certificate", c, "system:kube-scheduler"
        ),
        "kubectl.kubeconfig": _client(
            "admin", "the admin's client certificate", c, None, "system:masters"
        ),
    }


def _kubespray_table() -> dict[str, Role]:
    c = KUBESPRAY
    return {
        "ca": _ca("etcd-ca", "kubespray's etcd CA (CN etcd-ca)", c),
        "member-{name}": _server(
            "member-{name}",
            "the etcd member's serving and peer certificate (make-ssl-etcd.sh)",
            c,
            client=True,
        ),
        "admin-{name}": _client(
            "admin-{name}", "an etcd admin client certificate (make-ssl-etcd.sh)", c, None
        ),
        "node-{name}": _client(
            "node-{name}",
            "a node's etcd client certificate, for the network plugin (make-ssl-etcd.sh)",
            c,
            None,
        ),
    }


def _kthw_table() -> dict[str, Role]:
    c = KTHW
    return {
        "ca": _ca("ca", "the guide's CA (ca.conf)", c),
        "admin": _client("admin", "the admin's client certificate", c, None, "system:masters"),
        # one certificate made on the jumpbox for every controller: clients dial them by the
        # names and addresses of [kube-api-server_alt_names]
        "kube-api-server": _server(
            "kube-api-server", "kube-apiserver's certificate", c, covers=("masters", "vip")
        ),
        "kube-controller-manager": _client(
            "kube-controller-manager",
            "kube-controller-manager's client certificate",
            c,
            "system:kube-controller-manager",
        ),
        "kube-scheduler": _client(
            "kube-scheduler", "kube-scheduler's client certificate", c, "system:kube-scheduler"
        ),
        "kube-proxy": _client(
            "kube-proxy", "kube-proxy's client certificate", c, "system:kube-proxy"
        ),
        "service-accounts": Role(
            "service-accounts",
            "the service-account signing key pair (its certificate is only a wrapper)",
            profile=c,
            key_pair=True,
        ),
        "{name}": Role(
            "{name}",
            "a node's kubelet certificate (serving and client)",
            profile=c,
            server_auth=True,
            client_auth=True,
            needs_sans=True,
            cn_prefix="system:node:",
            groups=("system:nodes",),
        ),
    }


_CERT_SUFFIXES = ("-key.pem", ".pem", ".crt", ".key", ".kubeconfig")


def _stem(name: str) -> str:
    """A file's name without its certificate/key suffix (`member-node1-key.pem` → `member-node1`);
    kubeconfigs keep theirs (their table rows are named with it)."""
    if name.endswith(".kubeconfig"):
        return name
    for suffix in _CERT_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# what every agent's folder holds (pkg/agent/config.get)
RANCHER_AGENT_FILES = frozenset(
    {"client-ca.crt", "server-ca.crt", "client-kubelet.crt", "serving-kubelet.crt"}
)


def detect_layouts(records: list[ReviewedFile]) -> dict[str, Layout]:
    """Folder → the known tool whose layout it has (folders of no known tool left out)."""
    names: dict[str, set[str]] = {}
    cns: dict[str, set[str]] = {}
    for record in records:
        folder, name = posixpath.split(record.path)
        names.setdefault(folder, set()).add(name)
        if record.cert is not None and not record.embedded:
            cns.setdefault(folder, set()).add(record.cert.cn)
    layouts: dict[str, Layout] = {}
    for folder, here in names.items():
        if {"server-ca.crt", "client-ca.crt", "request-header-ca.crt"} <= here:
            rke2 = any(n.startswith("client-rke2-") for n in here) or any(
                cn.startswith("rke2-") for cn in cns.get(folder, ())
            )
            layout = Layout(RKE2, "rke2") if rke2 else Layout(K3S, "k3s")
            layouts[folder] = layout
            layouts[posixpath.join(folder, "etcd")] = layout
            if posixpath.basename(folder) == "tls":  # server/cred: the kubeconfigs of tls/
                layouts[posixpath.join(posixpath.dirname(folder), "cred")] = layout
        elif here >= RANCHER_AGENT_FILES:
            rke2 = bool({"client-rke2-controller.crt", "rke2controller.kubeconfig"} & here) or any(
                cn.startswith("rke2-") for cn in cns.get(folder, ())
            )
            layouts[folder] = Layout(RKE2, "rke2", True) if rke2 else Layout(K3S, "k3s", True)
        elif "ca.pem" in here and any(
            cn.startswith(("etcd-member-", "etcd-admin-", "etcd-node-"))
            for cn in cns.get(folder, ())
        ):
            layouts[folder] = Layout(KUBESPRAY)
        elif "ca.crt" in here and ({"kube-api-server.crt", "service-accounts.crt"} & here):
            layouts[folder] = Layout(KTHW)
        elif "ca.pem" in here and (
            "aggregator-proxy.pem" in here or "kubernetes-ca" in cns.get(folder, ())
        ):
            layouts[folder] = Layout(KUBEASZ)
            if posixpath.basename(folder) == "ssl":  # /etc/kubernetes/ssl: kubeconfigs above
                layouts.setdefault(posixpath.dirname(folder), Layout(KUBEASZ))
        elif "kubelet-client-current.pem" in here:
            layouts[folder] = Layout(KUBELET)
    return layouts


def _table(layout: Layout) -> dict[str, Role]:
    if layout.convention in (K3S, RKE2):
        if layout.agent:
            return _rancher_agent_table(layout.program, layout.convention)
        return _rancher_table(layout.program, layout.convention)
    if layout.convention == KUBEASZ:
        return _kubeasz_table()
    if layout.convention == KUBESPRAY:
        return _kubespray_table()
    if layout.convention == KTHW:
        return _kthw_table()
    return {}


def role_in_layout(record: ReviewedFile, layout: Layout) -> Match | None:
    """The role `layout`'s tool gives this record, or None.

    A CA certificate after a leaf in one file (k3s writes every leaf with its CA appended) and a
    CA inside a kubeconfig are copies of a CA; certificates inside a kubeconfig are looked up by
    the kubeconfig's name.
    """
    table = _table(layout)
    if not table:
        return None
    folder, name = posixpath.split(record.path)
    appended = record.embedded or (record.part.startswith("#") and record.part != "#1")
    if record.cert is not None and record.cert.is_ca and appended:
        return Match(_copy_of_ca(layout))
    key = _stem(name)
    if posixpath.basename(folder) == "etcd" and layout.program:
        key = f"etcd/{key}"
    role = table.get(key)
    if role is None and record.embedded:  # a kubeconfig named for its certificate's files
        key = key.removesuffix(".kubeconfig")
        role = table.get(key)
    if role is not None:
        return Match(role)
    for text, role in table.items():
        if "{name}" not in text:
            continue
        pattern = re.escape(text).replace(re.escape("{name}"), "(?P<name>[^/]+)")
        found = re.fullmatch(pattern, key)
        if found:
            return Match(role, found.group("name"))
    return None


def _copy_of_ca(layout: Layout) -> Role:
    return Role("ca-copy", "a copy of the CA that signed it", profile=layout.convention, ca=True)


def assign_roles_and_conventions(
    records: list[ReviewedFile], preferred: str | None = None
) -> dict[int, Match]:
    """Set `role` and `convention` on every record: a known tool's layout first, then our
    catalogue (roles.recognise). Returns each recognised record's Match by id."""
    layouts = detect_layouts(records)
    matches: dict[int, Match] = {}
    for record in records:
        layout = layouts.get(posixpath.dirname(record.path))
        match = role_in_layout(record, layout) if layout is not None else None
        if match is None:
            match = recognise(record, preferred)
        record.convention = convention_of(match, layout)
        if match is None:
            continue
        record.role = match.role.name.replace("{name}", match.instance or "<name>")
        matches[id(record)] = match
    _copies_follow_their_file(records, matches)
    return matches


def _copies_follow_their_file(records: list[ReviewedFile], matches: dict[int, Match]) -> None:
    """A CA copied into a kubeconfig is the CA of the file holding the same certificate: its
    role and convention are that file's (admin.conf's CA is kubeadm's pki/ca.crt)."""
    files: dict[int, ReviewedFile] = {}
    for record in records:
        if record.cert is not None and not record.embedded and not record.part:
            files.setdefault(id(record.cert), record)
    for record in records:
        if record.cert is None or not record.embedded or not record.cert.is_ca:
            continue
        source = files.get(id(record.cert))
        if source is None:
            continue
        record.role, record.convention = source.role, source.convention
        if id(source) in matches:
            matches[id(record)] = matches[id(source)]


def convention_of(match: Match | None, folder_layout: Layout | None) -> str:
    """The convention to name for a record: its tool's, else its role's profile's."""
    if folder_layout is not None:
        return folder_layout.convention
    if match is None:
        return ""
    if match.role is GENERIC_CA or not match.role.profile:
        return GENERIC
    return PROFILE_CONVENTIONS.get(match.role.profile, match.role.profile)


def check_tool_layouts(
    records: list[ReviewedFile], matches: dict[int, Match], spec: ClusterSpec | None
) -> list[Finding]:
    """With a cluster.toml, what each tool's layout means by it: the addresses its shared
    certificates must list (every member's in kubeasz's etcd.pem, the VIP in each k3s/RKE2
    server's serving certificates, the masters and VIP in the guide's kube-api-server.crt), the
    etcd members kubespray made no certificate for and the nodes the guide made none for."""
    if spec is None:
        return []
    findings: list[Finding] = []
    member_addresses: dict[str, set[str]] = {}  # kubespray folder → addresses its members cover
    kthw_nodes: dict[str, dict[str, ReviewedFile]] = {}  # the guide's folder → node → its cert
    for record in records:
        match = matches.get(id(record))
        facts = record.cert
        if match is None or facts is None or record.embedded:
            continue
        role = match.role
        have = {s.lower() for s in facts.dns_sans} | set(facts.ip_sans)
        folder = posixpath.dirname(record.path)
        if role.profile == KUBESPRAY and role.name == "member-{name}":
            member_addresses.setdefault(folder, set()).update(have)
        if role.profile == KTHW and role.name == "{name}" and match.instance:
            kthw_nodes.setdefault(folder, {})[match.instance] = record
        if not role.covers or facts.is_ca:
            continue
        wanted = [(host.value, group) for group in role.covers for host in spec.host_entries(group)]
        missing = [(value, group) for value, group in wanted if value.lower() not in have]
        if missing:
            findings.append(_not_covered(record, role, missing))
        if role.profile == KTHW:
            findings += _kthw_stale(record, role, have, spec)
    for folder, covered in member_addresses.items():
        lacking = [h.value for h in spec.host_entries("etcd") if h.value.lower() not in covered]
        if not lacking:
            continue
        ca = posixpath.join(folder, "ca.pem") if folder else "ca.pem"
        findings.append(
            Finding(
                ca,
                "error",
                "missing-member-certificate",
                f"the cluster file names etcd member{'s' if len(lacking) > 1 else ''} "
                f"{', '.join(lacking)}, but no member-<host>.pem signed by {ca} lists "
                f"{'them' if len(lacking) > 1 else 'it'}: that member cannot serve or join "
                "over TLS — run kubespray's etcd role (make-ssl-etcd.sh) for it; the other "
                "members' certificates stay as they are",
            )
        )
    for folder in _kthw_folders(records):
        findings += _kthw_node_certificates(folder, kthw_nodes.get(folder, {}), spec)
    return findings


_GROUP_WORDS = {"etcd": "etcd member", "masters": "master", "vip": "virtual IP"}


def _not_covered(record: ReviewedFile, role: Role, missing: list[tuple[str, str]]) -> Finding:
    """A shared certificate without some of the cluster file's hosts, with its tool's way to
    add them that keeps every other member working."""
    listed = ", ".join(f"{value} ({_GROUP_WORDS.get(g, g)})" for value, g in missing)
    fails = "clients reaching it there fail with 'x509: certificate is valid for …, not …'"
    if role.profile in (K3S, RKE2):
        program = "rke2" if role.profile == RKE2 else "k3s"
        service = "rke2-server" if role.profile == RKE2 else "k3s"
        advice = (
            f"add {'them' if len(missing) > 1 else 'it'} to tls-san in "
            f"/etc/rancher/{program}/config.yaml on every server and restart {service}: "
            f"{role.profile} re-issues serving-kube-apiserver.crt when its SANs change and its "
            "listener adds the names to dynamic-cert.json; each server keeps its own "
            "certificates, so nothing is copied between them"
        )
    elif role.profile == KTHW:
        advice = (
            "add it to [kube-api-server_alt_names] in ca.conf, run the guide's `openssl req` "
            "and `openssl x509` commands for kube-api-server again (its key and the names it "
            "lists stay) and copy kube-api-server.crt to every controller"
        )
    else:
        advice = (
            f"{role.profile} gives every host one certificate: re-issue it with every member's "
            "address (keep the ones it lists) and install it on every host"
        )
    return Finding(
        record.path,
        "error",
        "missing-san",
        f"{record.ref} ({role.title}) does not list {listed} from the cluster file: {fails} — "
        f"{advice}",
    )


# ca.conf's [kube-api-server_alt_names]: what the guide itself puts in kube-api-server.crt
_KTHW_API_SERVER_SANS = frozenset(
    {
        "127.0.0.1",
        "10.32.0.1",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster",
        "kubernetes.svc.cluster.local",
        "server.kubernetes.local",
        "api-server.kubernetes.local",
    }
)


def _kthw_stale(
    record: ReviewedFile, role: Role, have: set[str], spec: ClusterSpec
) -> list[Finding]:
    """SANs of the guide's apiserver certificate that neither ca.conf nor the cluster file
    names: a note, never advice to drop what some client may dial."""
    known = set(_KTHW_API_SERVER_SANS)
    for group in ("masters", "vip", "extra"):
        known |= {host.value.lower() for host in spec.host_entries(group)}
    with contextlib.suppress(ValueError):  # a bad service_cidr is the spec's own finding
        known.add(str(spec.service_ip()))
    extra = sorted(have - known)
    if not extra:
        return []
    return [
        Finding(
            record.path,
            "info",
            "stale-san",
            f"{record.ref} ({role.title}) also lists {', '.join(extra)}, which neither the "
            "guide's ca.conf nor the cluster file names — harmless; leave them unless you know "
            "no client dials them",
        )
    ]


def _kthw_folders(records: list[ReviewedFile]) -> list[str]:
    return sorted(
        folder for folder, layout in detect_layouts(records).items() if layout.convention == KTHW
    )


def _kthw_node_certificates(
    folder: str, found: dict[str, ReviewedFile], spec: ClusterSpec
) -> list[Finding]:
    """Each [[nodes]] entry needs the guide's `<node>.crt` (CN system:node:<node>, O
    system:nodes) listing the node's name: kube-apiserver verifies the kubelet against ca.crt
    (--kubelet-certificate-authority) and dials it by host name first."""
    ca = posixpath.join(folder, "ca.crt") if folder else "ca.crt"
    findings = []
    for node in spec.nodes:
        if not node.name:
            continue
        record = found.get(node.name)
        if record is None:
            findings.append(
                Finding(
                    ca,
                    "error",
                    "missing-node-certificate",
                    f"the cluster file names node {node.name} ({node.address or 'no address'}),"
                    f" but there is no {node.name}.crt signed by {ca}: its kubelet cannot "
                    f"authenticate as system:node:{node.name} nor serve kube-apiserver — add a "
                    f"[{node.name}] section to ca.conf as for the other nodes and run the guide's "
                    "openssl commands for it; the other certificates stay as they are",
                )
            )
            continue
        facts = record.cert
        assert facts is not None
        if node.name.lower() not in {name.lower() for name in facts.dns_sans}:
            findings.append(
                Finding(
                    record.path,
                    "error",
                    "missing-san",
                    f"{record.ref} (node {node.name}'s kubelet certificate) does not list "
                    f"DNS:{node.name}: kube-apiserver dials the kubelet by its host name and "
                    "fails with 'x509: certificate is valid for …, not …' (kubectl logs, exec) "
                    f"— set subjectAltName = DNS:{node.name}, IP:127.0.0.1 in its ca.conf "
                    "section and re-issue it",
                )
            )
    return findings
