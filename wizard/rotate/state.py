"""Where a rotation stands, read from the directory's certificates: which CA signed the leaves,
what the bundle holds, whether a new CA is waiting. No state file: a rerun after an
interruption reads the same certificates and resumes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
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
    if len(set(prints)) != len(prints):
        raise RotateError(
            f"{files.bundle} holds the same CA twice ({', '.join(prints)}) — a rotation's bundle "
            f"holds the old CA and the new one; restore it from a backup-*/ folder (or remove "
            "it when no rotation is under way)"
        )
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
    if bundle is not None and len(set(bundle)) != len(bundle):
        raise RotateError(
            f"{files.bundle} holds the same public key twice — a rotation's bundle holds the "
            "old key and the new one; restore it from a backup-*/ folder (or remove it when no "
            "rotation is under way)"
        )
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
    found.sort(key=lambda item: (_sequence(item[1]), str(item[1].get("created", "")), item[0].name))
    return found


def _sequence(manifest: dict) -> int:
    """A manifest's place in the order of writing (0 for those written before it was kept)."""
    value = manifest.get("sequence", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def next_sequence(directory: Path) -> int:
    """The `sequence` the next manifest written into the directory carries: one more than any
    there. Two phases written in the same second by two processes are told apart by it — their
    folders' process ids say nothing about which came first. Writers hold the directory's
    lock, so no two choose the same number."""
    return 1 + max((_sequence(data) for _folder, data in manifests(directory)), default=0)


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


# --- the same reading of the certificates a host holds --------------------------------------

RANK_WORDS = ("before prepare", "prepared", "reissuing", "reissued", "finalized")
"""The steps of one rotation in order, as a host's files (or the directory) show them."""


@dataclass(frozen=True)
class Position:
    """Where the directory stands in one rotation: the CA it moves from and to, and the
    step (an index into RANK_WORDS). An idle directory after a finalize is at step 4 of the
    rotation that finalize ended; one never rotated is at step 0 with no new CA."""

    state: RotationState
    old: x509.Certificate
    new: x509.Certificate | None
    rank: int

    @property
    def words(self) -> str:
        """`prepared`, `finalized`…"""
        return RANK_WORDS[self.rank]


def position(directory: Path, target: Target) -> Position:
    """The directory's step in its rotation, read with `detect` (and, when idle after a
    finalize, the old CA from the bundle that finalize backed up)."""
    state = detect(directory, target)
    files = target.files
    here = read_certificates(directory / current_cert(directory, target)) or []
    current = here[0]
    if state.stage is Stage.PREPARED:
        waiting = read_certificates(directory / files.next_cert) or []
        return Position(state, current, waiting[0], 1)
    if state.stage in (Stage.REISSUING, Stage.REISSUED):
        bundle = read_certificates(directory / files.bundle) or []
        old = next(c for c in bundle if fingerprint(c) != fingerprint(current))
        return Position(state, old, current, 2 if state.stage is Stage.REISSUING else 3)
    mine = [(f, d) for f, d in manifests(directory) if d.get("ca") == target.key]
    if mine and mine[-1][1].get("undo_of") and mine[-1][1].get("phase") == "prepare":
        # an undone prepare: hosts not yet given the undo still hold its bundle (a step ahead)
        undone = read_certificates(mine[-1][0] / files.next_cert) or []
        if undone:
            return Position(state, current, undone[0], 0)
    written = phases_written(directory, target.key)
    if written and written[-1][1].get("phase") == "finalize":
        kept = read_certificates(written[-1][0] / files.bundle) or []
        older = [c for c in kept if fingerprint(c) != fingerprint(current)]
        if older:
            return Position(state, older[0], current, 4)
    return Position(state, current, None, 0)


@dataclass(frozen=True)
class HeldStage:
    """What a host's certificates say of the rotation: the steps they fit (low..high: a
    host with the bundle and no leaf fits prepared to reissued), and what was read."""

    low: int
    high: int
    evidence: tuple[str, ...]
    known: bool = True  # False: its trust holds a CA of neither side

    @property
    def words(self) -> str:
        """`prepared`, or `prepared…reissued`, or `unknown`."""
        if not self.known:
            return "unknown"
        if self.low == self.high:
            return RANK_WORDS[self.low]
        return f"{RANK_WORDS[self.low]}…{RANK_WORDS[self.high]}"

    def behind(self, at: Position | KeyPosition) -> bool:
        """True when these files are of an earlier step than the directory's."""
        return self.known and self.high < at.rank

    def ahead(self, at: Position | KeyPosition) -> bool:
        """True when these files are of a later step (an --undo not yet placed)."""
        return self.known and self.low > at.rank


def held_stage(
    at: Position,
    trust: tuple[str, list[x509.Certificate]],
    leaves: list[tuple[str, x509.Certificate]],
) -> HeldStage:
    """Read a host's trust file (its place, its certificates) and leaves (place, certificate)
    the way `detect` reads the directory: which CA the trust holds, which signed the leaves."""
    place, held = trust
    prints = [fingerprint(c) for c in held]
    old = fingerprint(at.old)
    new = fingerprint(at.new) if at.new is not None else ""
    signers = {"old": 0, "new": 0, "other": 0}
    for _place, leaf in leaves:
        if at.new is not None and signed_by(leaf, at.new):
            signers["new"] += 1
        elif signed_by(leaf, at.old):
            signers["old"] += 1
        else:
            signers["other"] += 1
    said = f"{len(leaves) - signers['other']} of {len(leaves)} leaves"
    leaf_words = (
        f"{said}: {signers['old']} signed by the old CA, {signers['new']} by the new"
        if leaves
        else "no leaf of this CA here"
    )
    if prints == [old]:
        trust_words, low, high = f"{place} holds the old CA alone ({old})", 0, 0
        if at.new is None:  # no rotation known: the one CA there is
            trust_words = f"{place} holds the CA alone ({old})"
    elif new and sorted(prints) == sorted([old, new]):
        trust_words = f"{place} holds the old ({old}) and the new CA ({new})"
        if not leaves:
            low, high = 1, 3
        elif signers["new"] == 0:
            low = high = 1
        elif signers["old"] == 0:
            low = high = 3
        else:
            low = high = 2
    elif new and prints == [new]:
        trust_words, low, high = f"{place} holds the new CA alone ({new})", 4, 4
    else:
        return HeldStage(0, 4, (f"{place} holds {', '.join(prints) or 'no certificate'}",), False)
    if signers["other"]:
        leaf_words += f", {signers['other']} by neither"
    return HeldStage(low, high, (trust_words, leaf_words), signers["other"] == 0)


# --- the service-account key pair: public keys instead of certificates ----------------------


@dataclass(frozen=True)
class KeyPosition:
    """Where the directory stands in a rotation of the service-account key: the public key it
    moves from and to (SPKI DER), the one that signs now, and the step (RANK_WORDS; the key
    has no "reissuing": one key signs at a time)."""

    state: RotationState
    old: bytes
    new: bytes | None
    signing: bytes  # the public half of the directory's signing key (sa.key) now
    rank: int

    @property
    def words(self) -> str:
        """`prepared`, `finalized`…"""
        return RANK_WORDS[self.rank]


def key_position(directory: Path, target: Target) -> KeyPosition:
    """The directory's step in its service-account key rotation, read with `detect` (when
    idle after a finalize, the old key from the bundle that finalize backed up; after an
    undone prepare, the key it had made, which hosts not yet given the undo still hold)."""
    state = detect(directory, target)
    files = target.files
    current = _key_public(directory, files.key)
    assert current is not None  # detect refused a missing key
    if state.stage is Stage.PREPARED:
        waiting = _key_public(directory, files.next_key)
        assert waiting is not None
        return KeyPosition(state, current, waiting, current, 1)
    if state.stage is Stage.REISSUED:
        bundle = read_public_keys(directory / files.bundle) or []
        old = next(k for k in bundle if k != current)
        return KeyPosition(state, old, current, current, 3)
    mine = [(f, d) for f, d in manifests(directory) if d.get("ca") == target.key]
    if mine and mine[-1][1].get("undo_of") and mine[-1][1].get("phase") == "prepare":
        undone = _backed_up_keys(mine[-1][0] / files.next_cert)
        if undone:
            return KeyPosition(state, current, undone[0], current, 0)
    written = phases_written(directory, target.key)
    if written and written[-1][1].get("phase") == "finalize":
        older = [k for k in _backed_up_keys(written[-1][0] / files.bundle) if k != current]
        if older:
            return KeyPosition(state, older[0], current, current, 4)
    return KeyPosition(state, current, None, current, 0)


def _backed_up_keys(path: Path) -> list[bytes]:
    """The public keys of a file in a backup folder ([] when it is not there or damaged: a
    backup that cannot be read only loses the step it would tell)."""
    try:
        return read_public_keys(path) or []
    except RotateError:
        return []


def position_of(directory: Path, target: Target) -> Position | KeyPosition:
    """The directory's step: `position` for a CA, `key_position` for the key pair."""
    return key_position(directory, target) if target.is_key_pair else position(directory, target)


def _key_name(key: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of a public key (SPKI DER), to name it."""
    return hashlib.sha256(key).hexdigest()[:16]


def held_key_stage(
    at: KeyPosition,
    trust: tuple[str, list[bytes]],
    signer: tuple[str, str | None] | None,
    *,
    compared: bool = False,
) -> HeldStage:
    """Read a host's service-account files the way `detect` reads the directory: which
    public keys `--service-account-key-file` holds (its place, SPKI DER each) and which key
    `--service-account-signing-key-file` is (its place and the SHA-256 of its public half as
    the host's openssl said it, None when it could not say); `signer` None: no signing key
    here; `compared`: the host had no openssl, the key was told by whether it is the
    directory's byte for byte. Prepared and reissued hold the same bundle: the signing key
    tells them apart."""
    place, held = trust
    old, new = at.old, at.new
    said = [_key_name(k) for k in held]
    side = ""
    if signer is not None and signer[1] is not None:
        digest = signer[1]
        if digest == hashlib.sha256(old).hexdigest():
            side = "old"
        elif new is not None and digest == hashlib.sha256(new).hexdigest():
            side = "new"
        else:
            side = "other"
    if signer is None:
        sign_words = "no signing key here"
    elif not side:
        sign_words = f"{signer[0]}: which key it is was not read (no openssl on the host)"
    elif side == "other":
        sign_words = f"{signer[0]} is neither the old nor the new key"
    else:
        sign_words = f"{signer[0]} is the {side} key: it signs the new tokens"
        if compared:
            sign_words += " (no openssl on the host: told by comparing it with the directory's)"
    if held == [old]:
        low = high = 0
        trust_words = f"{place} holds the old public key alone ({_key_name(old)})"
        if new is None:
            trust_words = f"{place} holds the public key alone ({_key_name(old)})"
        consistent = side in ("", "old")
    elif new is not None and sorted(held) == sorted([old, new]):
        trust_words = f"{place} holds the old ({_key_name(old)}) and the new public key"
        low, high = {"old": (1, 1), "new": (3, 3)}.get(side, (1, 3))
        consistent = side != "other"
    elif new is not None and held == [new]:
        low = high = 4
        trust_words = f"{place} holds the new public key alone ({_key_name(new)})"
        consistent = side in ("", "new")
    else:
        words = f"{place} holds the public key(s) {', '.join(said) or 'none'}"
        return HeldStage(0, 4, (words, sign_words), False)
    # a key that signs what the file beside it does not verify: no step fits that
    return HeldStage(low, high, (trust_words, sign_words), consistent)
