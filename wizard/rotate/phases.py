"""What each phase writes into the directory: prepare (a new CA, bundles of both), reissue (every
leaf under the new CA), finalize (the old CA out). Planned in memory first — the diff — then
written in one atomic step with the replaced files in `backup-<time>/` and a `rotate.json`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from wizard import pki
from wizard.catalog import (
    TOKEN_FILE,
    CertEntry,
    concrete_entries,
    files_of,
    subject_of,
)
from wizard.generate import capped_lifetime, issue_leaf_files, kubeconfig_file
from wizard.rotate.model import (
    MANIFEST_FILE,
    TOKEN_WAIT,
    FileChange,
    HostStep,
    Phase,
    PhasePlan,
    Progress,
    RotateError,
    RotationState,
    Stage,
    Target,
)
from wizard.rotate.state import current_cert, detect, next_sequence, phases_written, read_bytes
from wizard.store import FILE_MODE, KEY_MODE, OutputFile, StoreError, WriteResult, backup_name
from wizard.store import write_files as store_write_files
from wizard.store.lock import DirectoryBusy, LockError, directory_lock

_ALLOWED: dict[Phase, tuple[Stage, ...]] = {
    Phase.PREPARE: (Stage.IDLE,),
    Phase.REISSUE: (Stage.PREPARED, Stage.REISSUING),
    Phase.FINALIZE: (Stage.REISSUED,),
}


def _pem(certificates: list[x509.Certificate]) -> bytes:
    return b"".join(pki.certificate_pem(c) for c in certificates)


def _load_key(directory: Path, path: str) -> pki.PrivateKey:
    data = read_bytes(directory / path)
    if data is None:
        raise RotateError(
            f"{directory / path} is missing — the phase needs this key; restore it from a "
            "backup-*/ folder"
        )
    try:
        return pki.load_private_key(data, str(directory / path))
    except pki.PKIError as error:
        raise RotateError(str(error)) from None


def _certificate(directory: Path, path: str) -> x509.Certificate:
    data = read_bytes(directory / path)
    if data is None:
        raise RotateError(f"{directory / path} is missing — restore it from a backup-*/ folder")
    return x509.load_pem_x509_certificates(data)[0]


def cross_certificate(
    new: x509.Certificate, new_key: pki.PrivateKey, old: x509.Certificate, old_key: pki.PrivateKey
) -> x509.Certificate:
    """The new CA's subject and key, signed by the old CA: clients that trust only the old CA
    accept a chain leaf → cross → old (k3s's cross-signing)."""
    ski = x509.SubjectKeyIdentifier.from_public_key(new_key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(new.subject)
        .issuer_name(old.subject)
        .public_key(new_key.public_key())
        .serial_number(pki.random_serial())
        .not_valid_before(new.not_valid_before_utc)
        .not_valid_after(min(new.not_valid_after_utc, old.not_valid_after_utc))
        .add_extension(pki.key_usage_flags((), is_ca=True), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(pki.authority_key_id(old), critical=False)
    )
    return builder.sign(old_key, pki.signature_hash(old_key))


def _kubeconfigs(
    directory: Path, target: Target, new: dict[str, bytes], ca_pem: bytes | None
) -> list[OutputFile]:
    """The target's kubeconfigs, from the new files and the directory; `ca_pem` replaces the
    cluster CA they embed (the bundle, or the new CA alone)."""
    profile, spec = target.profile, target.spec
    entries = {e.name: e for e in concrete_entries(profile, spec)}
    ca_name = files_of(profile.cluster_ca, profile).cert
    token_data = read_bytes(directory / TOKEN_FILE)
    token = token_data.decode("utf-8", "replace").strip() if token_data else None
    result = []
    for item in target.kubeconfigs:
        contents: dict[str, bytes] = {}
        needed = [ca_name]
        if item.user:
            user_files = files_of(entries[item.user], profile)
            needed += [user_files.cert, user_files.key]
        elif token is None:
            continue  # the bootstrap kubeconfig without its token: left as it is
        for name in needed:
            data = new.get(name)
            if data is None:
                data = read_bytes(directory / name)
            if data is None:
                raise RotateError(
                    f"{item.name}: {directory / name} is missing — restore it, or run renew to "
                    "make it again before rotating"
                )
            contents[name] = data
        if ca_pem is not None:
            contents[ca_name] = ca_pem
        result.append(kubeconfig_file(item, profile, spec, entries, contents, token))
    return result


def _new_ca(target: Target, now: datetime) -> tuple[x509.Certificate, pki.PrivateKey]:
    spec, entry = target.spec, target.entry
    key = pki.new_private_key(spec.key.algo, spec.key.size)
    common_name = f"{entry.cn}-client-ca" if target.clients_only else entry.cn
    subject = pki.build_name(subject_of(entry, spec), common_name)
    return pki.issue_ca(key, subject, spec.ca_lifetime(), now), key


def _prepare(directory: Path, target: Target, now: datetime, cross_sign: bool) -> list[OutputFile]:
    files = target.files
    if target.is_key_pair:
        key = pki.new_private_key(target.spec.key.algo, target.spec.key.size)
        old_public = read_bytes(directory / files.public)
        if old_public is None:
            old_public = pki.public_key_pem(_load_key(directory, files.key).public_key())
        new_public = pki.public_key_pem(key.public_key())
        return [
            OutputFile(files.next_key, pki.private_key_pem(key), KEY_MODE),
            OutputFile(files.next_cert, new_public, FILE_MODE),
            OutputFile(files.bundle, old_public + new_public, FILE_MODE),
        ]
    old = _certificate(directory, current_cert(directory, target))
    new, key = _new_ca(target, now)
    written = [
        OutputFile(files.next_cert, pki.certificate_pem(new), FILE_MODE),
        OutputFile(files.next_key, pki.private_key_pem(key), KEY_MODE),
        OutputFile(files.bundle, _pem([old, new]), FILE_MODE),
    ]
    if cross_sign:
        old_key = _load_key(directory, files.key)
        if not pki.key_matches_certificate(old_key, old):
            raise RotateError(f"{files.key} does not belong to {files.cert} — restore the CA key")
        cross = cross_certificate(new, key, old, old_key)
        written.append(OutputFile(files.cross, pki.certificate_pem(cross), FILE_MODE))
    if target.rewrites_kubeconfig_ca:
        written += _kubeconfigs(directory, target, {}, _pem([old, new]))
    return written


def _leaf(
    target: Target,
    leaf: CertEntry,
    ca: tuple[x509.Certificate, pki.PrivateKey],
    cross: bytes | None,
    now: datetime,
) -> list[OutputFile]:
    spec = target.spec
    key = pki.new_private_key(spec.key.algo, spec.key.size)
    lifetime = capped_lifetime(spec, ca[0], now)
    try:
        _certificate_made, written = issue_leaf_files(
            leaf, target.profile, spec, key, spec.key.algo, ca, lifetime, now
        )
    except Exception as error:  # noqa: BLE001 - GenerationError names the file
        raise RotateError(str(error)) from None
    if cross is not None and leaf.is_server:
        cert_name = files_of(leaf, target.profile).cert
        written = [
            OutputFile(f.path, f.content + cross, f.mode) if f.path == cert_name else f
            for f in written
        ]
    return written


def _reissue(
    directory: Path, state: RotationState, now: datetime, progress: Progress | None = None
) -> tuple[list[OutputFile], list[str]]:
    target, files = state.target, state.target.files
    if target.is_key_pair:
        key = _load_key(directory, files.next_key)
        return (
            [
                OutputFile(files.key, pki.private_key_pem(key), KEY_MODE),
                OutputFile(files.public, pki.public_key_pem(key.public_key()), FILE_MODE),
            ],
            [files.next_key, files.next_cert],
        )
    written: list[OutputFile] = []
    remove: list[str] = []
    if state.stage is Stage.PREPARED:
        new = _certificate(directory, files.next_cert)
        key = _load_key(directory, files.next_key)
        if not pki.key_matches_certificate(key, new):
            raise RotateError(
                f"{files.next_key} does not belong to {files.next_cert} — run --undo to go back "
                "before prepare, then prepare again"
            )
        written += [
            OutputFile(files.cert, pki.certificate_pem(new), FILE_MODE),
            OutputFile(files.key, pki.private_key_pem(key), KEY_MODE),
        ]
        if files.csr:
            csr = pki.build_csr(key, new.subject, [], is_ca=True)
            written.append(OutputFile(files.csr, pki.csr_pem(csr), FILE_MODE))
        remove += [files.next_cert, files.next_key]
        pending = list(target.leaves)
    else:  # resuming: the CA switched, some leaves are still under the old one
        new = _certificate(directory, files.cert)
        key = _load_key(directory, files.key)
        behind = {s.name for s in state.leaves if s.signer in ("old", "missing")}
        pending = [leaf for leaf in target.leaves if leaf.name in behind]
    cross_data = read_bytes(directory / files.cross) if files.cross else None
    for done, leaf in enumerate(pending):
        if progress is not None:
            name = files_of(leaf, target.profile).cert
            progress(done, len(pending), f"issuing {name} under the new CA")
        written += _leaf(target, leaf, (new, key), cross_data, now)
    if target.sa_is_ca_key:
        sa = next(e for e in target.profile.entries if e.key_only)
        sa_files = files_of(sa, target.profile)
        written += [
            OutputFile(sa_files.key, pki.private_key_pem(key), KEY_MODE),
            OutputFile(sa_files.public_key, pki.public_key_pem(key.public_key()), FILE_MODE),
        ]
    bundle = read_bytes(directory / files.bundle)
    is_cluster = target.rewrites_kubeconfig_ca
    new_contents = {f.path: f.content for f in written}
    written += _kubeconfigs(directory, target, new_contents, bundle if is_cluster else None)
    return written, remove


def _finalize(
    directory: Path, state: RotationState, now: datetime, token_wait: timedelta
) -> tuple[list[OutputFile], list[str]]:
    target, files = state.target, state.target.files
    remove = [files.bundle]
    if target.is_key_pair:
        reissued = [
            data.get("created", "")
            for _folder, data in phases_written(directory, target.key)
            if data.get("phase") == "reissue"
        ]
        if reissued and token_wait > timedelta(0):
            when = datetime.strptime(str(reissued[-1]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            ready = when + token_wait
            if now < ready:
                raise RotateError(
                    f"the service-account key was switched at {when:%Y-%m-%d %H:%M} UTC; tokens "
                    f"signed by the old key may live until {ready:%Y-%m-%d %H:%M} UTC "
                    f"(--token-wait {int(token_wait.total_seconds() // 3600)}h) — finalize "
                    "then, or pass --token-wait with the longest token lifetime you run "
                    "(--service-account-max-token-expiration)"
                )
        return [], remove
    written: list[OutputFile] = []
    cross = read_bytes(directory / files.cross) if files.cross else None
    if cross is not None:
        remove.append(files.cross)
        for leaf in target.leaves:
            name = files_of(leaf, target.profile).cert
            data = read_bytes(directory / name)
            if data and data.endswith(cross):
                written.append(OutputFile(name, data[: -len(cross)], FILE_MODE))
    if target.rewrites_kubeconfig_ca:
        current = read_bytes(directory / files.cert)
        new_contents = {f.path: f.content for f in written}
        written += _kubeconfigs(directory, target, new_contents, current)
    return written, [r for r in remove if (directory / r).exists()]


def _changes(directory: Path, files: list[OutputFile], remove: list[str]) -> list[FileChange]:
    changes = []
    for item in files:
        if item.path.endswith(f"/{MANIFEST_FILE}"):
            continue
        there = (directory / item.path).exists()
        if there and read_bytes(directory / item.path) == item.content:
            continue
        changes.append(FileChange(item.path, "replace" if there else "add", _what(item.path)))
    changes += [FileChange(name, "remove", _what(name)) for name in remove]
    return changes


def _what(path: str) -> str:
    if path.endswith(".pub"):
        return "public keys, old + new" if "-bundle" in path else "public key"
    if "-bundle" in path:
        return "trust bundle"
    if "-next" in path:
        return "new CA key (waiting)" if path.endswith((".key", "-key.pem")) else "new CA (waiting)"
    if "-cross" in path:
        return "new CA cross-signed by the old"
    if path.endswith((".kubeconfig", ".conf")):
        return "kubeconfig"
    if path.endswith((".key", "-key.pem")):
        return "private key"
    return "certificate"


def _host_copies(
    directory: Path, target: Target, files: list[OutputFile], steps: list[HostStep]
) -> list[OutputFile]:
    """The `hosts/<address>/` copies `generate --per-host` wrote, kept equal to what the phase
    places on each host: a tree copied later (rsync -a) must not bring the old CA back."""
    from wizard.distribution import PlacedFile as DistributionFile
    from wizard.distribution import content_on_host, plan_distribution

    if not (directory / "hosts").is_dir():
        return []
    contents = {f.path: f.content for f in files}
    plans = {plan.address: plan for plan in plan_distribution(target.spec)}
    copies = []
    for step in steps:
        plan = plans.get(step.address)
        if plan is None or not (directory / "hosts" / step.address).is_dir():
            continue
        for placed in step.files:
            content = contents.get(placed.source)
            if content is None and (directory / placed.source).is_file():
                content = read_bytes(directory / placed.source)
            if content is None:
                continue
            as_placed = DistributionFile(placed.source, placed.destination, placed.mode, placed.why)
            copies.append(
                OutputFile(
                    f"hosts/{step.address}{placed.destination}",
                    content_on_host(plan, as_placed, content),
                    placed.mode,
                )
            )
    return copies


def plan_phase(
    directory: str | Path,
    target: Target,
    phase: Phase | None = None,
    *,
    cross_sign: bool = False,
    now: datetime | None = None,
    token_wait: timedelta = TOKEN_WAIT,
    progress: Progress | None = None,
) -> PhasePlan:
    """Read the stage, make the phase's files in memory (new keys included) and the host plan.
    `phase` None: the next phase. RotateError when the phase does not fit the stage.
    `progress` is told before each key or certificate is made (and may raise to stop)."""
    from wizard.rotate.hosts import phase_steps
    from wizard.rotate.notes import cluster_steps, phase_notes, phase_warnings

    directory = Path(directory).absolute()
    if not directory.is_dir():
        raise RotateError(f"{directory} is not a directory — give the -o DIR of the set")
    now = now or datetime.now(UTC)
    state = detect(directory, target)
    wanted = phase or state.next_phase
    if state.stage not in _ALLOWED[wanted]:
        raise RotateError(
            f"--phase {wanted}: the directory is {state.stage} ({'; '.join(state.evidence)}) — "
            f"the next phase is {state.next_phase}; run --phase auto"
        )
    if cross_sign and target.is_key_pair:
        raise RotateError("--cross-sign: the service-account key has no certificate — drop it")
    if cross_sign and target.clients_only:
        raise RotateError(
            "--cross-sign --clients-only: a cross-signed root keeps old certificates valid, "
            "which is what a leaked-credentials rotation must end — drop --cross-sign"
        )
    remove: list[str] = []
    if wanted is Phase.PREPARE:
        if progress is not None:
            progress(0, 1, "making the new key" if target.is_key_pair else "making the new CA")
        files = _prepare(directory, target, now, cross_sign)
    elif wanted is Phase.REISSUE:
        files, remove = _reissue(directory, state, now, progress)
    else:
        files, remove = _finalize(directory, state, now, token_wait)
    crossed = cross_sign or bool(target.files.cross and (directory / target.files.cross).exists())
    changes = _changes(directory, files, remove)
    changed = {c.path for c in changes}
    steps = phase_steps(target, wanted, changed)
    copies = _host_copies(directory, target, files, steps)
    files += copies
    changes += _changes(directory, copies, [])
    return PhasePlan(
        directory=directory,
        target=target,
        state=state,
        phase=wanted,
        now=now,
        cross_sign=crossed,
        changes=changes,
        files=files,
        remove=remove,
        steps=steps,
        warnings=phase_warnings(target, wanted, steps, crossed),
        cluster_steps=cluster_steps(target, wanted, directory),
        notes=phase_notes(target, wanted),
    )


def apply_phase(plan: PhasePlan) -> WriteResult:
    """Write the phase: the replaced and removed files go to `backup-<time>/` with a
    `rotate.json` saying which phase of which CA it was; then one atomic swap. The folder's
    name and the manifest's `sequence` are chosen under the directory's lock (re-entrant), so
    no other writer can choose the same."""
    try:
        with directory_lock(plan.directory):
            moment = datetime.now(UTC).replace(microsecond=0)
            while (plan.directory / backup_name(moment)).exists():
                moment += timedelta(seconds=1)
            files = [f for f in plan.files if f.path in {c.path for c in plan.changes}]
            manifest = {
                "tool": "k8s-cert-wizard rotate-ca",
                "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sequence": next_sequence(plan.directory),
                "profile": plan.target.profile.name,
                "ca": plan.target.key,
                "kind": str(plan.target.kind),
                "phase": str(plan.phase),
                "stage_before": str(plan.state.stage),
                "added": [c.path for c in plan.changes if c.action == "add"],
                "replaced": [c.path for c in plan.changes if c.action == "replace"],
                "removed": list(plan.remove),
            }
            files.append(
                OutputFile(
                    f"{backup_name(moment)}/{MANIFEST_FILE}",
                    (json.dumps(manifest, indent=2) + "\n").encode(),
                    FILE_MODE,
                )
            )
            return store_write_files(
                plan.directory, files, force=True, now=moment, remove=plan.remove
            )
    except DirectoryBusy as busy:
        raise RotateError(f"{busy} — nothing was written; let it finish, then try again") from None
    except (StoreError, LockError) as error:
        raise RotateError(str(error)) from None
