"""What each certificate is for in the cluster, and whether it can do that job.

Roles are the certificate catalogue's entries (wizard.catalog): the extended key usages a role
needs follow from the sets (套) it serves in, its identity from its CN and O, its SANs from its
SAN sources. A record is recognised by file name first (the catalogue's file names in every
profile: `kube-proxy.pem`, `pki/etcd/ca.crt`, `pki/etcd/etcd-1/server.crt`), then by the name of
the kubeconfig it sits in (`admin.conf`), then by its CN and O.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from wizard.catalog import (
    ALSO_ACCEPTED_GROUPS,
    OTHER_FILE_NAMES,
    OTHER_FILE_PREFIXES,
    OTHER_KUBECONFIG_NAMES,
    SOFT_IDENTITY_CNS,
    CertEntry,
    Eku,
    Per,
    Profile,
    San,
    SanSource,
    all_profiles,
    files_of,
    instances_for,
    sans_of,
)
from wizard.review.model import (
    KIND_KUBECONFIG,
    CertFacts,
    CsrFacts,
    Finding,
    ReviewedFile,
    Severity,
)
from wizard.spec import ClusterSpec

# Groups that the built-in authorizers grant rights to; other O values in the catalogue are
# convention (RBAC binds kube-controller-manager and kube-scheduler by user name).
GRANTING_GROUPS = frozenset({"system:masters", "system:nodes"})


@dataclass(frozen=True)
class Role:
    """A catalogue entry seen as a job, with what the job requires of a certificate."""

    name: str
    title: str
    entry: CertEntry | None = None
    profile: str = ""
    ca: bool = False
    key_pair: bool = False  # a plain key pair (service accounts): no certificate
    server_auth: bool = False
    client_auth: bool = False
    needs_sans: bool = False
    cn: str | None = None  # a user name RBAC binds: the CN must be exactly this
    cn_prefix: str = ""  # system:node:<nodeName>
    groups: tuple[str, ...] = ()  # one of these O values is needed
    identity_severity: Severity = "error"
    why: str = ""
    # a tool's certificate shared by every host of these cluster.toml host groups: with -c,
    # each of their addresses must be a SAN (kubeasz's etcd.pem: every etcd member)
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """A record's role, and the node or member name its file name gave (for per-host entries)."""

    role: Role
    instance: str | None = None


GENERIC_CA = Role("ca", "a certificate authority", ca=True)


def role_of(entry: CertEntry, profile: Profile) -> Role:
    """The requirements a catalogue entry puts on a certificate."""
    if entry.is_ca:
        return Role(entry.name, entry.title, entry, profile.name, ca=True)
    if entry.key_only:
        return Role(entry.name, entry.title, entry, profile.name, key_pair=True)
    ekus = profile.ekus_of(entry)  # its sets', or (front-proxy-client) its signing profile's
    cn: str | None = entry.cn
    prefix = ""
    if "{name}" in entry.cn:
        cn, prefix = None, entry.cn.split("{name}", 1)[0]
    elif not entry.cn.startswith("system:"):  # only system: users are bound by built-in RBAC
        cn = None
    groups: tuple[str, ...] = ()
    if entry.organization in GRANTING_GROUPS:
        groups = (entry.organization, *ALSO_ACCEPTED_GROUPS.get(entry.organization, ()))
    soft = entry.cn in SOFT_IDENTITY_CNS
    return Role(
        name=entry.name,
        title=entry.title,
        entry=entry,
        profile=profile.name,
        server_auth=Eku.SERVER_AUTH in ekus,
        client_auth=Eku.CLIENT_AUTH in ekus,
        needs_sans=entry.is_server,
        cn=cn,
        cn_prefix=prefix,
        groups=groups,
        identity_severity="warning" if soft else "error",
        why=entry.identity,
    )


class _Templates:
    """Names with a `{name}` placeholder (`kubelet-{name}.pem`), all matched by one regex:
    one C-level match per name instead of one per template. Longest literal text first, so
    `kubelet-{name}-client.pem` wins over `kubelet-{name}.pem`."""

    def __init__(self, items: list[tuple[str, Role]]) -> None:
        items = sorted(items, key=lambda item: -len(item[0].replace("{name}", "")))
        alternatives = []
        for number, (text, _) in enumerate(items):
            inner = re.escape(text).replace(re.escape("{name}"), f"(?P<n{number}>[^/]+)")
            alternatives.append(f"(?P<t{number}>{inner})")
        self.pattern = re.compile("|".join(alternatives) or "(?!)")
        self.roles = [role for _, role in items]

    def match(self, text: str) -> Match | None:
        found = self.pattern.fullmatch(text)
        if found is None:
            return None
        number = int((found.lastgroup or "t0")[1:])  # the outer group of the alternative
        return Match(self.roles[number], found.group(f"n{number}"))


@dataclass
class _Index:
    files: dict[str, Role]
    file_templates: _Templates
    kubeconfigs: dict[str, Role]
    kubeconfig_templates: _Templates
    cns: dict[tuple[str, bool], Role]
    cn_prefixes: list[tuple[str, Role]]
    more_files: dict[str, Role]
    more_prefixes: list[tuple[str, Role]]
    more_kubeconfigs: dict[str, Role]

    @cached_property
    def prefix_tuple(self) -> tuple[str, ...]:
        """Every prefix of more_prefixes, for one str.startswith over them all."""
        return tuple(prefix for prefix, _ in self.more_prefixes)


@lru_cache(maxsize=8)
def _index(preferred: str | None) -> _Index:
    """Lookup tables over every profile; the preferred profile's entries win name clashes."""
    profiles = sorted(all_profiles().values(), key=lambda p: p.name != preferred)
    roles: dict[tuple[str, str], Role] = {}
    files: dict[str, Role] = {}
    kubeconfigs: dict[str, Role] = {}
    cns: dict[tuple[str, bool], Role] = {}
    file_templates: list[tuple[str, Role]] = []
    kubeconfig_templates: list[tuple[str, Role]] = []
    cn_prefixes: list[tuple[str, Role]] = []
    for profile in profiles:
        for entry in (*profile.entries, *profile.rotation_entries):  # rotate-ca's client CA
            role = roles.setdefault((profile.name, entry.name), role_of(entry, profile))
            names = files_of(entry, profile)
            for path in (names.cert, names.key, names.csr, names.request, names.public_key):
                if not path:
                    continue
                path = path.lower().removeprefix("pki/")
                if "{name}" not in path:
                    files.setdefault(path, role)
                    continue
                file_templates.append((path, role))
                # kubeadm writes a member's files without the member directory on each member
                if "/{name}/" in path:
                    files.setdefault(path.replace("{name}/", ""), role)
            if "{name}" in entry.cn:
                cn_prefixes.append((entry.cn.split("{name}", 1)[0], role))
            elif entry.cn:
                cns.setdefault((entry.cn, entry.is_ca), role)
        for kubeconfig in profile.kubeconfigs:
            user_role = roles.get((profile.name, kubeconfig.user)) if kubeconfig.user else None
            if user_role is None:  # the bootstrap kubeconfig holds a token, no certificate
                continue
            if "{name}" in kubeconfig.name:
                kubeconfig_templates.append((kubeconfig.name.lower(), user_role))
            else:
                kubeconfigs.setdefault(kubeconfig.name.lower(), user_role)
    return _Index(
        files=files,
        file_templates=_Templates(file_templates),
        kubeconfigs=kubeconfigs,
        kubeconfig_templates=_Templates(kubeconfig_templates),
        cns=cns,
        cn_prefixes=cn_prefixes,
        more_files={name: roles[key] for name, key in OTHER_FILE_NAMES.items()},
        more_prefixes=[(prefix, roles[key]) for prefix, key in OTHER_FILE_PREFIXES],
        more_kubeconfigs={name: roles[key] for name, key in OTHER_KUBECONFIG_NAMES.items()},
    )


def role_by_file_name(path: str, preferred: str | None = None) -> Match | None:
    """The role a file's path promises (its longest known tail), or None."""
    index = _index(preferred)
    lower = path.lower()
    base = lower.rpartition("/")[2]
    if base in index.more_files:
        return Match(index.more_files[base])
    if "/" not in lower:  # no folder (most files of a flat directory): one tail
        tails = [lower]
    else:
        parts = lower.split("/")
        tails = ["/".join(parts[start:]) for start in range(len(parts))]
    for tail in tails:
        if tail in index.files:
            return Match(index.files[tail])
    if base.startswith(index.prefix_tuple):
        for prefix, role in index.more_prefixes:
            if base.startswith(prefix):
                return Match(role)
    for tail in tails:
        match = index.file_templates.match(tail)
        if match is not None:
            return match
    return None


def role_by_kubeconfig_name(name: str, preferred: str | None = None) -> Match | None:
    """The role of the client certificate in a kubeconfig named like `admin.conf`."""
    index = _index(preferred)
    lower = name.lower()
    role = index.kubeconfigs.get(lower) or index.more_kubeconfigs.get(lower)
    if role is not None:
        return Match(role)
    return index.kubeconfig_templates.match(lower)


def _by_identity(
    cn: str, is_ca: bool, more: CertFacts | CsrFacts, preferred: str | None
) -> Match | None:
    # `more` is read only when the CN alone does not decide: O and EKU cost a decode each
    index = _index(preferred)
    role = index.cns.get((cn, is_ca))
    if role is not None:
        return Match(role)
    if not is_ca:
        candidates = [r for prefix, r in index.cn_prefixes if prefix and cn.startswith(prefix)]
        if candidates:
            # kubelet client and serving certificates share CN system:node:<name>: the EKU tells
            eku = getattr(more, "ext_key_usage", None) or ()
            fitting = [r for r in candidates if all(_has(eku, r, u) for u in ("server", "client"))]
            role = (fitting or candidates)[0]
            return Match(role, cn[len(role.cn_prefix) :] or None)
        if "system:masters" in more.organizations:
            admin = index.cns.get(("admin", False))
            if admin is not None:
                return Match(admin)
    return Match(GENERIC_CA) if is_ca else None


def _has(eku: tuple[str, ...], role: Role, usage: str) -> bool:
    if usage == "server":
        return not role.server_auth or Eku.SERVER_AUTH in eku
    return not role.client_auth or Eku.CLIENT_AUTH in eku


def recognise(record: ReviewedFile, preferred: str | None = None) -> Match | None:
    """The role of one record: by file name, by its kubeconfig's name, then by CN and O."""
    if record.kind == KIND_KUBECONFIG:
        return role_by_kubeconfig_name(posixpath.basename(record.path), preferred)
    if record.embedded:
        if record.role_hint:
            match = role_by_kubeconfig_name(record.role_hint, preferred)
            if match is not None:
                return match
    else:
        match = role_by_file_name(record.path, preferred)
        if match is not None:
            return match
    if record.cert is not None:
        return _by_identity(record.cert.cn, record.cert.is_ca, record.cert, preferred)
    if record.csr is not None:
        return _by_identity(record.csr.cn, False, record.csr, preferred)
    return None


def assign_roles(records: list[ReviewedFile], preferred: str | None = None) -> dict[int, Match]:
    """Set `role` on every record; returns each recognised record's Match by id."""
    matches: dict[int, Match] = {}
    for record in records:
        match = recognise(record, preferred)
        if match is None:
            continue
        record.role = match.role.name.replace("{name}", match.instance or "<name>")
        matches[id(record)] = match
    return matches


_NODE_COMPONENTS = frozenset({"kubelet", "kube-proxy"})
_CONTROL_PLANE_COMPONENTS = frozenset(
    {"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kubectl"}
)


def _components_holding_key(role: Role) -> set[str]:
    if role.entry is None:
        return set()
    return {use.component for use in role.entry.used_by if "key" in use.parts}


def is_node_role(role: Role) -> bool:
    """True for what a worker node holds: kubelet and kube-proxy credentials."""
    return bool(_components_holding_key(role) & _NODE_COMPONENTS)


def is_control_plane_role(role: Role) -> bool:
    """True for credentials only masters (or the admin's machine) hold."""
    return bool(_components_holding_key(role) & _CONTROL_PLANE_COMPONENTS) and not role.ca


def check_roles(
    records: list[ReviewedFile], matches: dict[int, Match], spec: ClusterSpec | None = None
) -> list[Finding]:
    """EKU, identity and SANs of every certificate against its role (SAN coverage with a spec)."""
    findings: list[Finding] = []
    for record in records:
        facts = record.cert
        if facts is None:
            continue
        match = matches.get(id(record))
        if match is None:
            if _unknown_server(record):
                findings.append(_no_san(record, "a server certificate (EKU server auth only)"))
            continue
        role = match.role
        label = f"{record.ref} ({role.title})"
        if role.ca:
            if not facts.is_ca:
                findings.append(
                    Finding(
                        record.path,
                        "error",
                        "not-a-ca",
                        f"{label} is not a CA (basic constraints CA:FALSE), so nothing it "
                        "signs verifies — put the real CA certificate here",
                    )
                )
            continue
        if role.key_pair:
            continue
        findings += _check_eku(record, role, label)
        findings += _check_identity(record, role, label)
        if role.needs_sans:
            if not facts.has_san_extension:
                findings.append(_no_san(record, role.title))
            elif not facts.ip_sans:
                findings.append(
                    Finding(
                        record.path,
                        "warning",
                        "no-ip-san",
                        f"{label} has DNS names only ({', '.join(facts.dns_sans[:4])}); "
                        "clients dialing an IP address fail with 'doesn't contain any IP "
                        "SANs' — re-issue it with the addresses it is reached at",
                    )
                )
            if spec is not None and facts.has_san_extension:
                findings += _check_coverage(record, match, spec, label)
    return findings


def _unknown_server(record: ReviewedFile) -> bool:
    facts = record.cert
    assert facts is not None
    if facts.is_ca or facts.has_san_extension:
        return False
    eku = facts.ext_key_usage or ()
    return Eku.SERVER_AUTH in eku and Eku.CLIENT_AUTH not in eku


def _no_san(record: ReviewedFile, what: str) -> Finding:
    article = "" if what.startswith(("a ", "an ")) else "the "
    return Finding(
        record.path,
        "error",
        "no-san",
        f"{record.ref} is {article}{what} without a subject alternative name; since Go 1.15 "
        "clients refuse it ('x509: certificate relies on legacy Common Name field') — re-issue "
        "it with its host names and IP addresses as SANs",
    )


def _check_eku(record: ReviewedFile, role: Role, label: str) -> list[Finding]:
    eku = record.cert.ext_key_usage  # type: ignore[union-attr]
    if eku is None or "any" in eku:  # no EKU extension: good for any use
        return []
    wanted = [
        eku_word.value
        for eku_word, needed in (
            (Eku.SERVER_AUTH, role.server_auth),
            (Eku.CLIENT_AUTH, role.client_auth),
        )
        if needed
    ]
    missing = [usage for usage in wanted if usage not in eku]
    if not missing:
        return []
    return [
        Finding(
            record.path,
            "error",
            "wrong-eku",
            f"{label} has extended key usage {', '.join(eku)} but its role needs "
            f"{' and '.join(wanted)}: the TLS handshake fails with 'x509: certificate specifies "
            f"an incompatible key usage' — re-issue it with {' and '.join(missing)} added",
        )
    ]


def _check_identity(record: ReviewedFile, role: Role, label: str) -> list[Finding]:
    facts = record.cert
    assert facts is not None
    problems = []
    if role.cn is not None and facts.cn != role.cn:
        problems.append(f"CN is {facts.cn!r}, not {role.cn!r}")
    if role.cn_prefix and not facts.cn.startswith(role.cn_prefix):
        problems.append(f"CN is {facts.cn!r}, not {role.cn_prefix}<nodeName>")
    if role.groups and not set(role.groups) & set(facts.organizations):
        shown = ", ".join(facts.organizations) or "none"
        problems.append(f"O is {shown}, not {' or '.join(role.groups)}")
    if not problems:
        return []
    why = f" ({role.why})" if role.why else ""
    return [
        Finding(
            record.path,
            role.identity_severity,
            "wrong-identity",
            f"{label}: {'; '.join(problems)} — Kubernetes takes the CN as the user and O as "
            f"the groups{why}; re-issue it with the right subject",
        )
    ]


def _check_coverage(
    record: ReviewedFile, match: Match, spec: ClusterSpec, label: str
) -> list[Finding]:
    """Every SAN the catalogue gives this role for this cluster (catalog.sans_of)."""
    facts = record.cert
    entry = match.role.entry
    assert facts is not None
    if entry is None:
        return []
    have = {s.lower() for s in facts.dns_sans} | set(facts.ip_sans)
    if entry.per is not None:
        instances = instances_for(entry.per, spec)
        if not instances:
            return []
        chosen = [i for i in instances if i.name == match.instance] or [
            i for i in instances if i.address in have or i.name.lower() in have
        ]
        if not chosen:
            shown = ", ".join(f"{i.name} ({i.address})" for i in instances)
            return [
                Finding(
                    record.path,
                    "error",
                    "missing-san",
                    f"{label} covers none of the hosts the cluster file names for it ({shown}) "
                    "— re-issue it for its host, with the host's name and address as SANs",
                )
            ]
        instance = chosen[0]
        entry = replace(
            entry,
            name=entry.name.format(name=instance.name),
            cn=entry.cn.format(name=instance.name),
            instance=instance,
        )
    wanted = sans_of(entry, spec)
    kubeadm = match.role.profile == "kubeadm"
    if kubeadm:
        wanted = [san for san in wanted if _kubeadm_puts_in(san, entry)]
    findings = []
    missing = [san for san in wanted if san.value not in have]
    for source in entry.one_of_sans:
        group = [san for san in wanted if san.source is source]
        if any(san.value in have for san in group):
            missing = [san for san in missing if san.source is not source]
    if missing:
        listed = "; ".join(f"{san.value} ({san.reason})" for san in missing)
        findings.append(
            Finding(
                record.path,
                "error",
                "missing-san",
                f"{label} does not cover {listed}: clients reaching it there fail with 'x509: "
                "certificate is valid for …, not …' — re-issue it with these hosts",
            )
        )
    known = {san.value for san in wanted}
    extra = [v for v in (*facts.dns_sans, *facts.ip_sans) if v.lower() not in known]
    if extra:
        advice = (
            "kubeadm adds the node's own name and the certSANs of its configuration — keep them"
            if kubeadm
            else "drop them at the next re-issue, or add them to hosts.extra if they are still used"
        )
        findings.append(
            Finding(
                record.path,
                "info",
                "stale-san",
                f"{label} also lists {', '.join(extra)}, which the cluster file does not name — "
                f"harmless; {advice}",
            )
        )
    return findings


# kubeadm's certlist.go (GetAPIServerAltNames): the `kubernetes` Service's names it writes
_KUBEADM_SERVICE_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc")


def _kubeadm_puts_in(san: San, entry: CertEntry) -> bool:
    """Whether kubeadm itself writes this SAN (certlist.go, pkiutil.GetAPIServerAltNames and
    GetEtcdAltNames): the apiserver gets no loopback address; etcd's certificates carry the
    node's real name, not our `etcd-<n>` member names; of the Service's names only
    kubernetes{,.default,.default.svc} and kubernetes.default.svc.<dnsDomain>."""
    if san.source is SanSource.INSTANCE_NAME and entry.per is Per.ETCD:
        return False
    if san.source in (SanSource.LOOPBACK, SanSource.LOOPBACK6, SanSource.LOCALHOST):
        return entry.per is Per.ETCD
    if san.source is SanSource.CLUSTER_DNS:
        return (
            san.value in _KUBEADM_SERVICE_NAMES
            or san.value.startswith("kubernetes.default.svc.")
            and san.value != "kubernetes.default.svc.cluster"
        )
    return True
