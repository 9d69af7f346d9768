"""What the catalogue says a rotation touches: the CA a `--ca` kind names in this profile, every
flag and kubeconfig field that verifies with it, the flags that take only one, and its leaves."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from wizard import pki
from wizard.catalog import (
    CLIENT_TRUST_FLAGS,
    SINGLE_VALUE_FLAGS,
    CertEntry,
    KubeconfigEntry,
    Part,
    Profile,
    concrete_entries,
    concrete_kubeconfigs,
    file_of_part,
    files_of,
    get_profile,
)
from wizard.rotate.model import CaKind, RotateError, RotationFiles, Target, TrustUse
from wizard.spec import ClusterSpec

# The flag whose entry tells which CA a kind is, read from the catalogue: the etcd CA signs
# what etcd serves; the front-proxy CA signs what kube-apiserver proxies with.
_KIND_LEAF_FLAG = {
    CaKind.ETCD: ("etcd", "--cert-file"),
    CaKind.FRONT_PROXY: ("kube-apiserver", "--proxy-client-cert-file"),
}


def sibling(path: str, word: str) -> str:
    """A name beside a file: `ca.pem` → `ca-bundle.pem`, `ca-key.pem` → `ca-next-key.pem`,
    `pki/etcd/ca.crt` → `pki/etcd/ca-bundle.crt`, `sa.pub` → `sa-bundle.pub`."""
    if path.endswith("-key.pem"):
        return f"{path[: -len('-key.pem')]}-{word}-key.pem"
    folder, _, name = path.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    stem, extension = (stem, f"{dot}{extension}") if dot else (name, "")
    return f"{folder + '/' if folder else ''}{stem}-{word}{extension}"


def ca_entry_for(kind: CaKind, profile: Profile, spec: ClusterSpec) -> CertEntry:
    """The catalogue entry `--ca KIND` names in this profile."""
    if kind is CaKind.CLUSTER:
        return profile.cluster_ca
    entries = concrete_entries(profile, spec)
    if kind is CaKind.SA:
        for entry in entries:
            if entry.key_only and any(
                flag == "--service-account-key-file"
                for use in entry.used_by
                for flag, _ in use.flags
            ):
                return entry
        raise RotateError(f"profile {profile.name} has no service-account key pair to rotate")
    component, wanted = _KIND_LEAF_FLAG[kind]
    for entry in entries:
        for use in entry.used_by:
            if use.component == component and any(flag == wanted for flag, _ in use.flags):
                return profile.signer_of(entry)
    raise RotateError(
        f"--ca {kind}: profile {profile.name} makes no certificate for {component} {wanted} — "
        "nothing to rotate; pick cluster, etcd, front-proxy or sa"
    )


def rotation_files(entry: CertEntry, profile: Profile) -> RotationFiles:
    """The directory's files of a rotation of this CA or key pair."""
    files = files_of(entry, profile)
    trust = files.cert or files.public_key
    return RotationFiles(
        cert=files.cert,
        key=files.key,
        public=files.public_key,
        csr=files.csr,
        bundle=sibling(trust, "bundle"),
        next_cert=sibling(files.cert, "next") if files.cert else sibling(files.public_key, "next"),
        next_key=sibling(files.key, "next"),
        cross=sibling(files.cert, "cross") if files.cert else "",
    )


def _uses(entry: CertEntry, profile: Profile, spec: ClusterSpec) -> list[tuple[TrustUse, Part]]:
    """Every (use, part) that reads this CA's certificate or this key pair's keys."""
    found: list[tuple[TrustUse, Part]] = []
    for use in entry.used_by:
        for flag, part in use.flags:
            found.append(
                (TrustUse(use.component, flag, flag not in SINGLE_VALUE_FLAGS, use.why), part)
            )
    for leaf in concrete_entries(profile, spec):
        if leaf.signer != entry.name:
            continue
        for use in leaf.used_by:
            for flag, part in use.flags:
                if part is Part.CA_CERT:
                    found.append((TrustUse(use.component, flag, True, use.why), Part.CERT))
    return found


def _sa_is_ca_key(directory: Path | None, profile: Profile, sa: CertEntry, ca: CertEntry) -> bool:
    """kubeasz's layout: the service-account key files hold the cluster CA's key."""
    if directory is None:
        return False
    sa_files, ca_files = files_of(sa, profile), files_of(ca, profile)
    try:
        ca_certificate = pki.load_certificate((directory / ca_files.cert).read_bytes(), "")
        sa_key = pki.load_private_key((directory / sa_files.key).read_bytes(), "")
    except (OSError, pki.PKIError):
        return False
    return pki.key_matches_certificate(sa_key, ca_certificate)


def target_for(
    kind: CaKind | str,
    spec: ClusterSpec,
    directory: Path | None = None,
    *,
    clients_only: bool = False,
) -> Target:
    """What rotating `--ca KIND` touches in this cluster; RotateError for a kind the profile
    cannot rotate (the kubeasz service-account key, which is the CA key). `clients_only`: a
    separate client CA takes over the client trust of the cluster CA (leaked credentials)."""
    kind = CaKind(kind)
    if clients_only:
        if kind is not CaKind.CLUSTER:
            raise RotateError(
                f"--clients-only --ca {kind}: only the cluster CA's client trust can move to a "
                "separate client CA — use --ca cluster --clients-only"
            )
        return clients_target(target_for(kind, spec, directory))
    profile = get_profile(spec.profile)
    entry = ca_entry_for(kind, profile, spec)
    notes: list[str] = []
    others = [k for k in (CaKind.CLUSTER, CaKind.ETCD, CaKind.FRONT_PROXY) if k is not kind]
    if kind is not CaKind.SA:
        shared = [k for k in others if _safe_entry(k, profile, spec) == entry.name]
        if shared:
            notes.append(
                f"profile {profile.name}: the {kind} CA is the same CA as the "
                f"{' and '.join(shared)} CA ({files_of(entry, profile).cert}) — rotating it "
                "rotates those too; every certificate it signs is re-issued"
            )
    sa_entry = next((e for e in profile.entries if e.key_only), None)
    sa_is_ca = (
        sa_entry is not None
        and entry.is_ca
        and entry.name == profile.cluster_ca_name
        and _sa_is_ca_key(directory, profile, sa_entry, entry)
    )
    if kind is CaKind.SA and _sa_is_ca_key(directory, profile, entry, profile.cluster_ca):
        sa_files = files_of(entry, profile)
        raise RotateError(
            f"{sa_files.key} holds the cluster CA's key (kubeasz's layout: the service-account "
            "key IS the CA key) — it cannot rotate on its own; run --ca cluster, which rotates "
            "both: tokens verify with old and new CA keys until finalize"
        )
    uses = _uses(entry, profile, spec)
    trust = _unique(use for use, part in uses if part in (Part.CERT, Part.PUB) and use.bundle)
    single = _unique(use for use, _part in uses if not use.bundle)
    leaves = tuple(e for e in concrete_entries(profile, spec) if e.signer == entry.name)
    kubeconfigs = _kubeconfigs(entry, profile, spec, leaves)
    if sa_is_ca and sa_entry is not None:
        notes.append(
            f"the service-account key files hold this CA's key (kubeasz's layout): reissue "
            f"writes the new CA key into {files_of(sa_entry, profile).key} too, and "
            "kube-apiserver --service-account-key-file must read the bundle until finalize"
        )
    return Target(
        kind,
        entry,
        profile,
        spec,
        rotation_files(entry, profile),
        trust,
        single,
        leaves,
        kubeconfigs,
        tuple(notes),
        sa_is_ca,
    )


def clients_target(full: Target) -> Target:
    """The client-trust rotation of a CA: the catalogue's client CA (Profile.client_ca:
    `client-ca.pem`, `pki/client-ca.crt`) for the flags that verify only clients, the
    client-only leaves re-issued under it, servers untouched."""
    profile = full.profile
    client_ca = profile.client_ca
    if client_ca is None:
        raise RotateError(
            f"--clients-only: profile {profile.name} has no client CA in the catalogue — "
            "rotate the whole CA (--ca cluster without --clients-only)"
        )
    takes = {(use.component, flag) for use in client_ca.used_by for flag, _part in use.flags}
    trust = [use for use in full.trust if (use.component, use.flag) in takes]
    notes: list[str] = []
    kept = [u for u in full.trust if u.flag in CLIENT_TRUST_FLAGS and u not in trust]
    if any(use.flag == "--trusted-ca-file" for use in kept):
        servers = ", ".join(
            files_of(leaf, profile).cert
            for leaf in full.leaves
            if leaf.is_server
            and any(
                flag in ("--etcd-certfile", "--kubelet-client-certificate")
                for use in leaf.used_by
                for flag, _part in use.flags
            )
        )
        notes.append(
            f"etcd --trusted-ca-file keeps the cluster CA: {servers} is a server certificate and "
            "etcd's client at once, and stays under the cluster CA — so a leaked client "
            "certificate of the old CA still opens etcd wherever etcd's port is reachable; "
            "for that, rotate the whole CA (--ca cluster without --clients-only)"
        )
    leaves = tuple(leaf for leaf in full.leaves if not leaf.is_server)
    users = {leaf.name for leaf in leaves}
    kubeconfigs = tuple(item for item in full.kubeconfigs if item.user in users)
    names = files_of(client_ca, profile)
    files = RotationFiles(
        cert=names.cert,
        key=names.key,
        public="",
        csr="",  # no CSR: the client CA is made by the rotation, never by cfssl
        bundle=sibling(names.cert, "bundle"),
        next_cert=sibling(names.cert, "next"),
        next_key=sibling(names.key, "next"),
        cross="",
    )
    return Target(
        full.kind,
        full.entry,
        profile,
        full.spec,
        files,
        tuple(trust),
        (),
        leaves,
        kubeconfigs,
        tuple(notes),
        False,
        clients_only=True,
        base_cert=files_of(full.entry, profile).cert,
    )


def _unique(uses: Iterable[TrustUse]) -> tuple[TrustUse, ...]:
    """Each component's flag once (two entries may name the same kubeconfig field)."""
    seen: dict[str, TrustUse] = {}
    for use in uses:
        seen.setdefault(use.text, use)
    return tuple(seen.values())


def _safe_entry(kind: CaKind, profile: Profile, spec: ClusterSpec) -> str:
    try:
        return ca_entry_for(kind, profile, spec).name
    except RotateError:
        return ""


def _kubeconfigs(
    entry: CertEntry, profile: Profile, spec: ClusterSpec, leaves: tuple[CertEntry, ...]
) -> tuple[KubeconfigEntry, ...]:
    """The kubeconfigs a rotation rewrites: all of them for the cluster CA (their
    certificate-authority verifies the apiserver), else those whose user it signs."""
    users = {leaf.name for leaf in leaves}
    return tuple(
        item
        for item in concrete_kubeconfigs(profile, spec)
        if entry.name == profile.cluster_ca_name or item.user in users
    )


def readers_of(source: str, target: Target) -> list[str]:
    """The components that read a directory file, by the catalogue (kubeconfigs included)."""
    profile, spec = target.profile, target.spec
    found: list[str] = []
    for entry in concrete_entries(profile, spec):
        for use in entry.used_by:
            for _flag, part in use.flags:
                try:
                    name = file_of_part(entry, part, profile)
                except Exception:  # noqa: BLE001 - a part the entry has not (a CA's ca-cert)
                    continue
                if name == source:
                    found.append(use.component)
    for item in concrete_kubeconfigs(profile, spec):
        if item.name == source:
            found.append(item.component)
    return list(dict.fromkeys(found))
