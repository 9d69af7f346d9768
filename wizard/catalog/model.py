"""The catalogue's schema: entries, their parts and uses, profiles, and the eight sets.

Everything here is typed data with no knowledge of a cluster; `for_cluster` expands it for a
ClusterSpec. The enums are `StrEnum`s, so they equal the strings older code and files use.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from wizard.hosts import HostKind


class Part(enum.StrEnum):
    """A part of an entry a component reads."""

    CERT = "cert"
    KEY = "key"
    CA_CERT = "ca-cert"  # the signing CA's certificate
    CA_KEY = "ca-key"  # the signing CA's key
    PUB = "pub"  # a plain public key (the service-account key pair)


class Per(enum.StrEnum):
    """What a template entry is made once for."""

    NODE = "node"  # every [[nodes]] entry
    ETCD = "etcd"  # every etcd member (etcd-1, etcd-2, …)


class KubeletMode(enum.StrEnum):
    """How kubelets get their certificates (cluster.toml `kubelet`)."""

    CERTIFICATES = "certificates"  # made here, per node
    BOOTSTRAP = "bootstrap"  # requested by the kubelet with a bootstrap token


class Naming(enum.StrEnum):
    """A profile's file-naming scheme."""

    CFSSL = "cfssl"  # X.pem, X-key.pem, X.csr, X-csr.json
    KUBEADM = "kubeadm"  # pki/X.crt, pki/X.key


class Eku(enum.StrEnum):
    """An extended key usage, by cfssl's word."""

    SERVER_AUTH = "server auth"
    CLIENT_AUTH = "client auth"


class FlagKind(enum.Enum):
    """Where a component's setting lives."""

    FLAG = "flag"  # a command-line flag: --tls-cert-file
    KUBECONFIG_FIELD = "kubeconfig field"  # client-certificate:, certificate-authority:
    CONFIG_FIELD = "config field"  # a config-file field: the kubelet's tlsCertFile:


_EKU_WORDS = frozenset(e.value for e in Eku)

KUBECONFIG_FIELDS = ("client-certificate:", "client-key:", "certificate-authority:")


def flag_kind(flag: str) -> FlagKind:
    """Whether a flag of a ComponentUse is a command-line flag or a field of a file.

    The catalogue writes fields with a trailing ":" (`clientCAFile:`); the kubeconfig's own
    fields are the three that hold a client certificate, its key and the CA."""
    if not flag.endswith(":"):
        return FlagKind.FLAG
    return FlagKind.KUBECONFIG_FIELD if flag in KUBECONFIG_FIELDS else FlagKind.CONFIG_FIELD


class SanSource(enum.Enum):
    """Where a SAN of a certificate comes from; the preview shows it as the reason."""

    LOOPBACK = "loopback"
    ETCD = "etcd"
    MASTERS = "masters"
    SERVICE_IP = "service-ip"
    REGISTRY = "registry"
    VIP = "vip"
    CLUSTER_DNS = "cluster-dns"
    EXTRA = "extra"
    LOCALHOST = "localhost"
    LOOPBACK6 = "loopback6"
    INSTANCE_NAME = "instance-name"
    INSTANCE_ADDRESS = "instance-address"


SAN_REASONS: dict[SanSource, str] = {
    SanSource.LOOPBACK: "loopback: components on the same host dial https://127.0.0.1",
    SanSource.ETCD: "etcd member: etcd serves this certificate (the guide shares it with etcd)",
    SanSource.MASTERS: "master: kube-apiserver listens on this host",
    SanSource.SERVICE_IP: "first service IP: pods reach the apiserver at the `kubernetes` Service",
    SanSource.REGISTRY: "registry: the guide's private registry uses this certificate too",
    SanSource.VIP: "VIP: the load balancer in front of the apiservers",
    SanSource.CLUSTER_DNS: "cluster DNS name of the `kubernetes` Service",
    SanSource.EXTRA: (
        "extra: another name or address clients reach the apiserver by (a DNS name, an "
        "outside load balancer)"
    ),
    SanSource.LOCALHOST: "localhost: clients on the same host",
    SanSource.LOOPBACK6: "IPv6 loopback: clients on the same host",
    SanSource.INSTANCE_NAME: "this host's name",
    SanSource.INSTANCE_ADDRESS: "this host's address: others dial it",
}


@dataclass(frozen=True)
class San:
    """One subject alternative name with the reason it is there."""

    value: str
    kind: HostKind
    source: SanSource

    @property
    def reason(self) -> str:
        """Why this SAN is in the certificate, in words."""
        return SAN_REASONS[self.source]


@dataclass(frozen=True)
class ComponentUse:
    """One component's use of one certificate: its flags (flag → which part) and why.

    A flag ending in ":" is a kubeconfig or config-file field (see `flag_kind`)."""

    component: str
    flags: tuple[tuple[str, Part], ...]
    why: str

    @property
    def parts(self) -> tuple[Part, ...]:
        """The parts of the entry this component needs, in first-use order."""
        return tuple(dict.fromkeys(part for _flag, part in self.flags))

    @property
    def flag(self) -> str:
        """The flags as one line of text."""
        return ", ".join(flag for flag, _part in self.flags)


@dataclass(frozen=True)
class SigningProfile:
    """A profile of ca-config.json: the usages (cfssl's words) of the certificates it signs."""

    name: str
    usages: tuple[str, ...]

    @property
    def ekus(self) -> tuple[Eku, ...]:
        """The extended key usages among the usages."""
        return tuple(Eku(u) for u in self.usages if u in _EKU_WORDS)


@dataclass(frozen=True)
class Instance:
    """The host a per-node or per-etcd-member certificate is for."""

    name: str
    address: str


@dataclass(frozen=True)
class CertEntry:
    """One certificate (or CA, or plain key pair) of a profile."""

    name: str
    title: str
    cn: str
    organization: str | None  # None: the subject's O from cluster.toml
    signer: str | None  # the CA entry's name; None for a self-signed CA and a key pair
    signing_profile: str | None
    sans: tuple[SanSource, ...]
    sets: tuple[int, ...]
    purpose: str
    identity: str
    used_by: tuple[ComponentUse, ...] = ()
    per: Per | None = None  # None: one entry; else one per node or etcd member
    key_only: bool = False  # a plain key pair (the service-account key), no certificate
    use_subject: bool = True  # False: only CN and O, as kubeadm writes them
    when_kubelet: KubeletMode | None = None  # only in this kubelet mode
    instance: Instance | None = None  # set on the concrete entries made from a `per` template
    # SAN sources where one host is enough: kubeadm gives each control-plane node its own
    # apiserver certificate, listing that node only (a review must not call the others missing).
    one_of_sans: tuple[SanSource, ...] = ()
    # The key of the entry's teaching text (wizard.catalog.text); the template name by default.
    slug: str = ""

    @property
    def is_ca(self) -> bool:
        """True for a certificate authority."""
        return self.signer is None and not self.key_only

    @property
    def is_server(self) -> bool:
        """True when the certificate is presented by a server and so needs SANs."""
        return bool(self.sans)

    @property
    def text_key(self) -> str:
        """The key of this entry's purpose, identity and reasons in wizard.catalog.text."""
        return self.slug or self.name

    @property
    def is_client_identity(self) -> bool:
        """True for a signed certificate that a server reads as a user (CN) and groups (O)."""
        return bool(self.signer) and not self.key_only and not self.identity.startswith("not ")


@dataclass(frozen=True)
class KubeconfigEntry:
    """A kubeconfig file: whose client certificate (or the bootstrap token) and which server."""

    name: str  # file name; "{name}" is replaced per node
    user: str  # the certificate entry's name, or "" for the bootstrap token
    local: bool  # True: https://127.0.0.1:port (on the master itself); False: the VIP
    component: str
    per: Per | None = None
    when_kubelet: KubeletMode | None = None


@dataclass(frozen=True)
class KubeSet:
    """One of the guide's eight sets (套): what a verifying side checks against one CA."""

    number: int
    name: str
    presented_by: str
    verified_by: str
    ekus: tuple[Eku, ...]  # empty: a plain key pair, no certificate

    @property
    def key_pair(self) -> bool:
        """True for the set of a plain key pair (service accounts), which has no certificate."""
        return not self.ekus

    @property
    def eku(self) -> str:
        """What the set needs, in words: `server auth and client auth`."""
        return " and ".join(self.ekus) if self.ekus else "a plain key pair, no certificate"


CLIENT_CA_NAME = "client-ca"
"""The entry name of the separate client CA of `rotate-ca --clients-only` (client-ca.pem,
pki/client-ca.crt)."""


class CatalogError(ValueError):
    """A profile that contradicts itself (an unknown signer, signing profile or user)."""


@dataclass(frozen=True)
class Profile:
    """A named collection of certificate entries and signing profiles."""

    name: str
    title: str
    description: str
    entries: tuple[CertEntry, ...]
    signing_profiles: tuple[SigningProfile, ...]
    naming: Naming = Naming.CFSSL
    kubeconfigs: tuple[KubeconfigEntry, ...] = ()
    cluster_ca_name: str = "ca"  # the CA of the apiserver and its clients (kubeconfigs trust it)
    # Entries generate never makes: a rotation brings them in (rotate-ca --clients-only's client
    # CA). Files of these names are known, and what reads them; a set need not have them.
    rotation_entries: tuple[CertEntry, ...] = ()

    def entry(self, name: str) -> CertEntry:
        """The entry with this name (KeyError if the profile has none)."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def cas(self) -> tuple[CertEntry, ...]:
        """The certificate authorities, in issuing order."""
        return tuple(e for e in self.entries if e.is_ca)

    def signing_profile(self, name: str) -> SigningProfile:
        """The signing profile with this name."""
        for profile in self.signing_profiles:
            if profile.name == name:
                return profile
        raise KeyError(name)

    def signer_of(self, entry: CertEntry) -> CertEntry:
        """The CA entry that signs this entry; CatalogError for a CA or a plain key pair."""
        if entry.signer is None:
            kind = "a plain key pair" if entry.key_only else "a self-signed CA"
            raise CatalogError(f"{entry.name} is {kind}: nothing signs it")
        try:
            return self.entry(entry.signer)
        except KeyError:
            raise CatalogError(
                f"{self.name}: {entry.name} names the signer {entry.signer}, which is no entry"
            ) from None

    @property
    def cluster_ca(self) -> CertEntry:
        """The cluster CA: it signs the apiserver, and every kubeconfig trusts it."""
        return self.entry(self.cluster_ca_name)

    @property
    def client_ca(self) -> CertEntry | None:
        """The separate client CA `rotate-ca --clients-only` introduces (None: the profile has
        none): it takes the cluster CA's client trust; servers keep the cluster CA."""
        return next((e for e in self.rotation_entries if e.name == CLIENT_CA_NAME), None)

    def ekus_of(self, entry: CertEntry) -> tuple[Eku, ...]:
        """The EKUs a certificate needs: those of its sets, else its signing profile's."""
        found = [eku for s in EIGHT_SETS if s.number in entry.sets for eku in s.ekus]
        if not found and entry.signing_profile:
            try:
                found = list(self.signing_profile(entry.signing_profile).ekus)
            except KeyError:
                found = []
        return tuple(dict.fromkeys(found))

    @property
    def makes_per_node_files(self) -> bool:
        """True when the profile makes kubelet certificates or kubeconfigs for each node."""
        return any(e.per is Per.NODE for e in self.entries) or any(
            k.per is Per.NODE for k in self.kubeconfigs
        )

    @property
    def uses_cfssl_subject(self) -> bool:
        """True when cluster.toml's C, ST, L, O, OU go into subjects (kubeadm's ignore them)."""
        return any(e.use_subject for e in self.entries if not e.key_only)

    def problems(self) -> list[str]:
        """What contradicts itself, as kubeadm's CertTree check reports it ([] when sound)."""
        problems = []
        names = [e.name for e in self.entries]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{self.name}: the entry {name} is listed twice")
        by_name = {e.name: e for e in self.entries}
        signing = {s.name for s in self.signing_profiles}
        for entry in self.entries:
            if entry.signer is not None:
                signer = by_name.get(entry.signer)
                if signer is None or not signer.is_ca:
                    problems.append(
                        f"{self.name}: {entry.name} references unknown CA {entry.signer}"
                    )
            if entry.is_ca or entry.key_only:
                if entry.signing_profile is not None:
                    problems.append(
                        f"{self.name}: {entry.name} is not signed by a CA of ours "
                        "but names a signing profile"
                    )
            elif entry.signing_profile not in signing:
                problems.append(
                    f"{self.name}: {entry.name} uses unknown signing profile "
                    f"{entry.signing_profile}"
                )
            for use in entry.used_by:
                for flag, part in use.flags:
                    if part in (Part.CA_CERT, Part.CA_KEY) and entry.signer is None:
                        problems.append(
                            f"{self.name}: {use.component} {flag} reads the CA of {entry.name}, "
                            "which has none"
                        )
                    if part is Part.PUB and not entry.key_only:
                        problems.append(
                            f"{self.name}: {use.component} {flag} reads a public key of "
                            f"{entry.name}, which is a certificate"
                        )
        from wizard.pki.usages import usage_of  # here: the catalogue itself needs no crypto

        for signing_profile in self.signing_profiles:
            for word in signing_profile.usages:
                if usage_of(word) is None:
                    problems.append(
                        f"{self.name}: signing profile {signing_profile.name} has the unknown "
                        f"usage {word!r}"
                    )
        for kubeconfig in self.kubeconfigs:
            user = by_name.get(kubeconfig.user)
            if kubeconfig.user and (user is None or user.is_ca or user.key_only):
                problems.append(
                    f"{self.name}: {kubeconfig.name} names the user {kubeconfig.user}, "
                    "which is no client certificate"
                )
        if self.cluster_ca_name not in by_name or not by_name[self.cluster_ca_name].is_ca:
            problems.append(f"{self.name}: the cluster CA {self.cluster_ca_name} is no CA")
        problems += self._rotation_problems(by_name)
        return problems

    def _rotation_problems(self, by_name: dict[str, CertEntry]) -> list[str]:
        """What contradicts itself in the entries a rotation brings in: each a CA of its own,
        no name of a generated entry, and (the client CA) only flags that verify clients or
        sign client certificates."""
        from wizard.catalog.components import CLIENT_SIGNING_FLAGS, CLIENT_TRUST_FLAGS

        problems = []
        for entry in self.rotation_entries:
            if entry.name in by_name:
                problems.append(
                    f"{self.name}: the rotation entry {entry.name} has the name of an entry "
                    "generate makes"
                )
            if not entry.is_ca:
                problems.append(f"{self.name}: the rotation entry {entry.name} is no CA")
            for use in entry.used_by:
                for flag, part in use.flags:
                    if entry.name != CLIENT_CA_NAME:
                        continue
                    if flag not in (*CLIENT_TRUST_FLAGS, *CLIENT_SIGNING_FLAGS):
                        problems.append(
                            f"{self.name}: {use.component} {flag} reads the client CA, but it "
                            "neither verifies clients nor signs client certificates"
                        )
                    if part not in (Part.CERT, Part.KEY):
                        problems.append(
                            f"{self.name}: {use.component} {flag} reads the {part} of the "
                            "client CA, which has only a certificate and a key"
                        )
        names = [e.name for e in self.rotation_entries]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{self.name}: the rotation entry {name} is listed twice")
        return problems

    def validate(self) -> None:
        """Raise CatalogError listing every problem of the profile."""
        problems = self.problems()
        if problems:
            raise CatalogError("; ".join(problems))


EIGHT_SETS: tuple[KubeSet, ...] = (
    KubeSet(
        1,
        "etcd server",
        "etcd --cert-file",
        "kube-apiserver --etcd-cafile, etcdctl --cacert",
        (Eku.SERVER_AUTH, Eku.CLIENT_AUTH),
    ),
    KubeSet(
        2,
        "etcd peer",
        "etcd --peer-cert-file",
        "other etcd members --peer-trusted-ca-file",
        (Eku.SERVER_AUTH, Eku.CLIENT_AUTH),
    ),
    KubeSet(
        3,
        "etcd client",
        "kube-apiserver --etcd-certfile",
        "etcd --trusted-ca-file",
        (Eku.CLIENT_AUTH,),
    ),
    KubeSet(
        4,
        "kube-apiserver server",
        "kube-apiserver --tls-cert-file",
        "every client's kubeconfig certificate-authority",
        (Eku.SERVER_AUTH,),
    ),
    KubeSet(
        5,
        "kube-apiserver clients",
        "kubeconfigs of kubectl, controller-manager, scheduler, kube-proxy, kubelet",
        "kube-apiserver --client-ca-file",
        (Eku.CLIENT_AUTH,),
    ),
    KubeSet(
        6,
        "service-account key pair",
        "kube-controller-manager --service-account-private-key-file",
        "kube-apiserver --service-account-key-file",
        (),
    ),
    KubeSet(
        7,
        "kubelet server",
        "kubelet tlsCertFile (or TLS bootstrap)",
        "kube-apiserver --kubelet-certificate-authority",
        (Eku.SERVER_AUTH,),
    ),
    KubeSet(
        8,
        "kubelet client",
        "kube-apiserver --kubelet-client-certificate",
        "kubelet clientCAFile",
        (Eku.CLIENT_AUTH,),
    ),
)
