"""The records of a CA rotation: which CA, its phases, what the catalogue says trusts it, what a
phase writes into the directory and what the hosts must do afterwards."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from wizard.catalog import CertEntry, KubeconfigEntry, Profile
from wizard.spec import ClusterSpec
from wizard.store import OutputFile

MANIFEST_FILE = "rotate.json"
TOKEN_WAIT = timedelta(hours=24)
"""How long finalize of the service-account key waits after reissue by default: the kubelet
refreshes projected tokens at 80 % of their lifetime and at the latest after 24 hours."""


Progress = Callable[[int, int, str], None]
"""Told while a phase is planned: (done, total, what is being made now). It may raise to stop
the planning (a cancel): nothing has been written then."""


class RotateError(ValueError):
    """The rotation (or its undo) was refused; the message names the file or flag, the value
    and the fix. Nothing was written."""


class CaKind(enum.StrEnum):
    """What `--ca` names: a CA by its role, or the service-account key pair."""

    CLUSTER = "cluster"
    ETCD = "etcd"
    FRONT_PROXY = "front-proxy"
    SA = "sa"


class Phase(enum.StrEnum):
    """A phase of a rotation; each moves the directory from one state to the next."""

    PREPARE = "prepare"  # a new CA, trusted beside the old one
    REISSUE = "reissue"  # every leaf under the new CA
    FINALIZE = "finalize"  # the old CA out of every bundle


class Stage(enum.StrEnum):
    """Where a directory stands, read from its certificates and bundles."""

    IDLE = "idle"  # one CA, no bundle: nothing rotating (before, or after finalize)
    PREPARED = "prepared"  # bundle old+new, the new CA waiting, leaves under the old
    REISSUING = "reissuing"  # the new CA signs, some leaves still under the old one
    REISSUED = "reissued"  # bundle old+new, every leaf under the new CA


NEXT_PHASE: dict[Stage, Phase] = {
    Stage.IDLE: Phase.PREPARE,
    Stage.PREPARED: Phase.REISSUE,
    Stage.REISSUING: Phase.REISSUE,
    Stage.REISSUED: Phase.FINALIZE,
}

AFTER_PHASE: dict[Phase, Stage] = {
    Phase.PREPARE: Stage.PREPARED,
    Phase.REISSUE: Stage.REISSUED,
    Phase.FINALIZE: Stage.IDLE,
}


@dataclass(frozen=True)
class TrustUse:
    """One flag or kubeconfig field that verifies with the rotating CA (or key)."""

    component: str
    flag: str
    bundle: bool  # False: the flag takes one certificate or key (SINGLE_VALUE_FLAGS)
    why: str

    @property
    def text(self) -> str:
        """`kube-apiserver --client-ca-file`."""
        return f"{self.component} {self.flag.rstrip(':')}"


@dataclass(frozen=True)
class RotationFiles:
    """The directory's files of one rotation ("" where the kind has none)."""

    cert: str  # the signing CA's certificate (ca.pem); "" for the service-account key
    key: str  # its key (ca-key.pem, sa.key)
    public: str  # the service-account public key (sa.pub); "" for a CA
    csr: str  # the CA's CSR where the naming has one
    bundle: str  # old + new, what every verifying flag reads during the rotation
    next_cert: str  # the new CA, waiting (prepare → reissue)
    next_key: str
    cross: str  # the new CA signed by the old (--cross-sign)

    @property
    def trust(self) -> str:
        """The file verifying flags read at rest: the CA certificate, or the public key."""
        return self.cert or self.public


@dataclass(frozen=True)
class Target:
    """What rotating one CA touches, as the catalogue says it."""

    kind: CaKind
    entry: CertEntry  # the CA, or the service-account key pair
    profile: Profile
    spec: ClusterSpec
    files: RotationFiles
    trust: tuple[TrustUse, ...]  # flags and fields that verify with it
    single: tuple[TrustUse, ...]  # flags that take exactly one (switch at reissue)
    leaves: tuple[CertEntry, ...]  # the certificates it signs
    kubeconfigs: tuple[KubeconfigEntry, ...]  # those whose CA field or user it changes
    notes: tuple[str, ...] = ()  # what the profile makes of this kind (one CA for all…)
    sa_is_ca_key: bool = False  # kubeasz: the service-account key is this CA's key
    clients_only: bool = False  # a separate client CA replaces this CA for client trust only
    base_cert: str = ""  # clients only: what client trust reads before the client CA exists

    @property
    def is_key_pair(self) -> bool:
        """True for the service-account key: public keys, no certificates."""
        return self.entry.key_only

    @property
    def key(self) -> str:
        """The name backups record the rotation under: `ca`, `etcd/ca`, `sa`, `ca/clients`."""
        return f"{self.entry.name}/clients" if self.clients_only else self.entry.name

    @property
    def rewrites_kubeconfig_ca(self) -> bool:
        """True when the kubeconfigs' certificate-authority changes: the cluster CA, fully."""
        return self.entry.name == self.profile.cluster_ca_name and not self.clients_only


@dataclass
class LeafState:
    """One leaf in the directory and which CA signed it."""

    name: str
    file: str
    signer: str  # "old" | "new" | "missing" | "other"


@dataclass
class RotationState:
    """Where the directory stands, with what it was read from."""

    target: Target
    stage: Stage
    evidence: list[str]
    leaves: list[LeafState] = field(default_factory=list)
    last_finished: str = ""  # the time of the last finalize of this CA, from its backup

    @property
    def next_phase(self) -> Phase:
        """The phase `--phase auto` runs."""
        return NEXT_PHASE[self.stage]


@dataclass(frozen=True)
class FileChange:
    """One line of a phase's diff."""

    path: str
    action: str  # "add" | "replace" | "remove"
    what: str


@dataclass(frozen=True)
class PlacedFile:
    """One file for one host: its source in the directory and its place on the host."""

    source: str
    destination: str
    mode: int
    why: str


@dataclass(frozen=True)
class HostStep:
    """One host in a wave: the files it receives, then the units restarted, then the check
    that must pass before the next host is touched."""

    wave: int
    wave_title: str
    address: str
    name: str
    files: tuple[PlacedFile, ...]
    restart: tuple[str, ...]  # systemd units, in order
    check: str  # a shell command; "" when there is nothing to wait for
    removes: tuple[str, ...] = ()  # destinations to delete on the host


@dataclass
class PhasePlan:
    """Everything a phase decided before a key is made or a file written."""

    directory: Path
    target: Target
    state: RotationState
    phase: Phase
    now: datetime
    cross_sign: bool
    changes: list[FileChange]
    files: list[OutputFile] = field(repr=False)
    remove: list[str]
    steps: list[HostStep]
    warnings: list[str]  # said before anything else: downtime, traps
    cluster_steps: list[str]  # kubectl commands, in order
    notes: list[str]

    @property
    def after(self) -> Stage:
        """The stage the directory is in once this phase is written."""
        return AFTER_PHASE[self.phase]


@dataclass
class UndoPlan:
    """Putting back the backup a phase left: the files restored and the files it added."""

    directory: Path
    backup: Path
    phase: Phase
    kind: CaKind
    files: list[OutputFile] = field(repr=False)
    remove: list[str]
    steps: list[HostStep]
    key: str = ""  # Target.key: the rotation the undo belongs to
