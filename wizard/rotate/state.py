"""Where a rotation stands, read from the directory's certificates: which CA signed the leaves,
what the bundle holds, whether a new CA is waiting. No state file: a rerun after an
interruption reads the same certificates and resumes."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from wizard import pki
from wizard.bounds import InputRefused, read_limited
from wizard.catalog import files_of
from wizard.certdetails import signed_by
from wizard.rotate.model import (
    MANIFEST_FILE,
    LeafState,
    RotateError,
    RotationState,
    Stage,
    Target,
)
from wizard.store import BACKUP_PREFIX

PublicKey = object


def read_bytes(path: Path) -> bytes | None:
    """A file's bytes, or None when it is not there; RotateError when it cannot be read."""
    try:
        return read_limited(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RotateError(f"cannot read {path}: {error.strerror or error}") from None
    except InputRefused as error:
        raise RotateError(f"{path} {error}") from None


def read_certificates(path: Path) -> list[x509.Certificate] | None:
    """Every certificate in a PEM file (a bundle holds several); None when absent."""
    data = read_bytes(path)
    if data is None:
        return None
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise RotateError(
            f"{path} holds no readable PEM certificate — restore it from a backup-*/ folder "
            "(or undo the phase that wrote it)"
        ) from None
    return found


def read_public_keys(path: Path) -> list[bytes] | None:
    """Every public key in a PEM file, as DER, in order; None when absent."""
    data = read_bytes(path)
    if data is None:
        return None
    from cryptography.hazmat.primitives import serialization

    keys = []
    for block in data.split(b"-----END PUBLIC KEY-----"):
        start = block.find(b"-----BEGIN PUBLIC KEY-----")
        if start < 0:
            continue
        pem = block[start:] + b"-----END PUBLIC KEY-----\n"
        try:
            keys.append(pki.public_key_bytes(serialization.load_pem_public_key(pem)))
        except ValueError:
            raise RotateError(
                f"{path} holds a public key that cannot be read — restore it"
            ) from None
    if not keys:
        raise RotateError(f"{path} holds no PEM public key — restore it from a backup-*/ folder")
    return keys


def fingerprint(certificate: x509.Certificate) -> str:
    """The first 16 hex digits of the SHA-256 of the certificate, to name a CA in messages."""
    return certificate.fingerprint(hashes.SHA256()).hex()[:16]


def leaf_states(
    directory: Path, target: Target, current: x509.Certificate, old: x509.Certificate | None
) -> list[LeafState]:
    """Which CA signed each leaf of the target on disk."""
    states = []
    for leaf in target.leaves:
        path = files_of(leaf, target.profile).cert
        certificates = read_certificates(directory / path)
        if not certificates:
            states.append(LeafState(leaf.name, path, "missing"))
            continue
        certificate = certificates[0]
        if signed_by(certificate, current):
            signer = "new" if old is not None else "old"
        elif old is not None and signed_by(certificate, old):
            signer = "old"
        else:
            signer = "other"
        states.append(LeafState(leaf.name, path, signer))
    return states


def _fits(
    target: Target, found: list[LeafState], wanted: str, stage: str, directory: Path | None = None
) -> None:
    wrong = [s for s in found if s.signer not in (wanted, "missing")]
    if wrong:
        names = ", ".join(s.file for s in wrong[:4])
        client_ca = _client_ca(directory, target)
        if client_ca:
            raise RotateError(
                f"{names} {'is' if len(wrong) == 1 else 'are'} signed by the client CA "
                f"{client_ca} of a --clients-only rotation — rotate client trust again with "
                "--clients-only; a full rotation of a CA beside a separate client CA is not "
                "supported yet"
            )
        raise RotateError(
            f"{names} {'is' if len(wrong) == 1 else 'are'} signed by neither the old nor the new "
            f"{target.entry.title} ({stage}) — restore {'it' if len(wrong) == 1 else 'them'} "
            "from a backup-*/ folder, or renew them before rotating"
        )


def _client_ca(directory: Path | None, target: Target) -> str:
    """The client CA a --clients-only rotation left beside this CA, or ""."""
    client_ca = target.profile.client_ca
    if directory is None or target.clients_only or client_ca is None:
        return ""
    if target.entry.name != target.profile.cluster_ca_name:
        return ""
    candidate = files_of(client_ca, target.profile).cert
    return candidate if (directory / candidate).exists() else ""


def current_cert(directory: Path, target: Target) -> str:
    """The file holding the CA that verifies now: the CA itself, or — for a client-trust
    rotation before its client CA exists — the CA it takes over from."""
    if target.base_cert and not (directory / target.files.cert).exists():
        return target.base_cert
    return target.files.cert


def detect(directory: Path, target: Target) -> RotationState:
    """The stage of the rotation in the directory, and the evidence it was read from."""
    if target.is_key_pair:
        return _detect_key_pair(directory, target)
    files = target.files
    here = current_cert(directory, target)
    certificates = read_certificates(directory / here)
    if not certificates:
        raise RotateError(
            f"{directory / here} is missing — there is no {target.entry.title} to rotate "
            f"in {directory}; give the -o DIR of the set (generate made it)"
        )
    current = certificates[0]
    if not pki.is_ca_certificate(current):
        raise RotateError(f"{directory / here} is not a CA certificate (CA:FALSE)")
    waiting = read_certificates(directory / files.next_cert)
    bundle = read_certificates(directory / files.bundle)
    prints = [fingerprint(c) for c in bundle or []]
    evidence: list[str] = []
    if waiting:
        new = waiting[0]
        if prints != [fingerprint(current), fingerprint(new)]:
            raise RotateError(
                f"{files.bundle} should hold {files.cert} then {files.next_cert} while a new CA "
                f"waits, but holds {len(prints)} other certificate(s) — run --undo to go back "
                "before prepare, or restore the bundle"
            )
        leaves = leaf_states(directory, target, current, None)
        _fits(target, leaves, "old", "prepared")
        evidence += [
            f"{files.next_cert} is a new CA ({fingerprint(new)}) waiting to sign",
            f"{files.bundle} holds the old ({fingerprint(current)}) and the new CA",
            f"{sum(s.signer == 'old' for s in leaves)} of {len(leaves)} leaves are signed by "
            f"the old CA",
        ]
        return RotationState(target, Stage.PREPARED, evidence, leaves, _last(directory, target))
    if bundle:
        if len(prints) == 2 and prints[0] == fingerprint(current):
            raise RotateError(
                f"{files.bundle} holds {files.cert} and a new CA, but {files.next_cert} (the new "
                f"CA and its key) is missing — restore it from the prepare backup, or run "
                "--undo to go back before prepare"
            )
        if fingerprint(current) not in prints or len(prints) != 2:
            raise RotateError(
                f"{files.bundle} should hold the old CA and {files.cert} (the new one), but "
                f"holds {len(prints)} certificate(s) without {files.cert} — restore it from the "
                "reissue backup, or run --undo"
            )
        old = bundle[prints.index(next(p for p in prints if p != fingerprint(current)))]
        leaves = leaf_states(directory, target, current, old)
        _fits(target, [s for s in leaves if s.signer != "new"], "old", "reissued")
        behind = [s for s in leaves if s.signer == "old"]
        evidence += [
            f"{files.cert} is the new CA ({fingerprint(current)}); {files.bundle} also holds "
            f"the old one ({fingerprint(old)})",
            f"{len(leaves) - len(behind)} of {len(leaves)} leaves are signed by the new CA",
        ]
        stage = Stage.REISSUING if behind else Stage.REISSUED
        return RotationState(target, stage, evidence, leaves, _last(directory, target))
    leaves = leaf_states(directory, target, current, None)
    _fits(target, leaves, "old", "no rotation under way", directory)
    evidence += [
        f"{here} is the only {target.entry.title} ({fingerprint(current)}); no bundle, "
        "no new CA waiting",
    ]
    return RotationState(target, Stage.IDLE, evidence, leaves, _last(directory, target))


def _key_public(directory: Path, path: str) -> bytes | None:
    data = read_bytes(directory / path)
    if data is None:
        return None
    try:
        return pki.public_key_bytes(pki.load_private_key(data, path).public_key())
    except pki.PKIError as error:
        raise RotateError(f"{directory / path}: {error}") from None


def _detect_key_pair(directory: Path, target: Target) -> RotationState:
    files = target.files
    current = _key_public(directory, files.key)
    if current is None:
        raise RotateError(
            f"{directory / files.key} is missing — there is no service-account key to rotate "
            f"in {directory}; give the -o DIR of the set"
        )
    waiting = _key_public(directory, files.next_key)
    bundle = read_public_keys(directory / files.bundle)
    if waiting is not None:
        if bundle != [current, waiting]:
            raise RotateError(
                f"{files.bundle} should hold the public keys of {files.key} and {files.next_key}, "
                "but does not — run --undo, or restore it"
            )
        evidence = [
            f"{files.next_key} is a new key waiting to sign",
            f"{files.bundle} holds the old and the new public key",
        ]
        return RotationState(target, Stage.PREPARED, evidence, [], _last(directory, target))
    if bundle is not None:
        if current not in bundle or len(bundle) != 2:
            raise RotateError(
                f"{files.bundle} should hold the old public key and that of {files.key}, but "
                "does not — restore it from the reissue backup, or run --undo"
            )
        evidence = [
            f"{files.key} is the new signing key; {files.bundle} still holds the old public key"
        ]
        return RotationState(target, Stage.REISSUED, evidence, [], _last(directory, target))
    evidence = [f"{files.key} is the only service-account key; no bundle, no new key waiting"]
    return RotationState(target, Stage.IDLE, evidence, [], _last(directory, target))


def manifests(directory: Path) -> list[tuple[Path, dict]]:
    """The rotation manifests of the directory's backup folders, oldest first."""
    found = []
    for folder in sorted(directory.glob(f"{BACKUP_PREFIX}*")):
        path = folder / MANIFEST_FILE
        try:
            data = json.loads(read_limited(path).decode("utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(data, dict) and data.get("tool") == "k8s-cert-wizard rotate-ca":
            found.append((folder, data))
    found.sort(key=lambda item: (str(item[1].get("created", "")), item[0].name))
    return found


def phases_written(directory: Path, key: str) -> list[tuple[Path, dict]]:
    """The phases written for one rotation (Target.key), oldest first, without those an
    --undo took back (an undo leaves a manifest naming the backup it restored)."""
    found = [(f, d) for f, d in manifests(directory) if d.get("ca") == key]
    undone = {d.get("undo_of") for _f, d in found if d.get("undo_of")}
    return [(f, d) for f, d in found if not d.get("undo_of") and f.name not in undone]


def _last(directory: Path, target: Target) -> str:
    done = [
        data.get("created", "")
        for _folder, data in phases_written(directory, target.key)
        if data.get("phase") == "finalize"
    ]
    return str(done[-1]) if done else ""
