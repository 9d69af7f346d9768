"""Carrying out a renewal plan: new keys (or the kept ones), certificates signed by the existing
CA, the CSRs and CSR JSON beside them, the kubeconfigs that embed them, and one atomic write
that moves the old files into `backup-<timestamp>/` first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from wizard import pki
from wizard.catalog import (
    concrete_entries,
    concrete_kubeconfigs,
    files_of,
)
from wizard.certdetails import signed_by
from wizard.cfssl import csr_request, dump_json
from wizard.generate import (
    GenerationError,
    issue_leaf_files,
    key_pair_files,
    load_existing_ca,
)
from wizard.renew.model import (
    KIND_CERTIFICATE,
    KIND_KEY_PAIR,
    KIND_KUBECONFIG,
    MANIFEST_FILE,
    Change,
    RenewError,
    RenewPlan,
)
from wizard.renew.plan import missing_ca_key_message, read_key, render_kubeconfig
from wizard.spec import KeySpec
from wizard.store import (
    FILE_MODE,
    KEY_MODE,
    OutputFile,
    StoreError,
    WriteResult,
    backup_name,
    conflicts,
    remove_stale_staging,
)
from wizard.store import write_files as store_write_files
from wizard.store.lock import DirectoryBusy, LockError, directory_lock


def _ca_keys(plan: RenewPlan) -> dict[str, tuple[x509.Certificate, pki.PrivateKey]]:
    """The signing CAs, with their keys; each must be the very CA the plan compared against."""
    signers = {
        plan.profile.signer_of(c.entry).name
        for c in plan.changes
        if c.kind == KIND_CERTIFICATE and c.entry
    }
    found = {}
    for name in sorted(signers):
        entry = plan.profile.entry(name)
        files = files_of(entry, plan.profile)
        key_path = plan.directory / files.key
        if not key_path.exists():  # it was there when the plan was made
            raise RenewError(missing_ca_key_message(key_path, plan.directory))
        try:
            ca = load_existing_ca(plan.directory, name, plan.profile)
        except GenerationError as error:
            raise RenewError(str(error)) from None
        if ca is None or ca.certificate != plan.ca_certificates.get(name):
            raise RenewError(
                f"{plan.directory / files.cert} changed while renew was running — run it again"
            )
        found[name] = (ca.certificate, ca.key)
    return found


def _keys(plan: RenewPlan, workers: int | None) -> dict[str, pki.PrivateKey]:
    """New keys in parallel; kept keys read back from the directory."""
    keys: dict[str, pki.PrivateKey] = {}
    fresh = [c for c in plan.changes if c.kind != KIND_KUBECONFIG and c.key == "new"]
    for change in plan.changes:
        if change.kind == KIND_KUBECONFIG or change.key != "kept" or change.entry is None:
            continue
        path = plan.directory / files_of(change.entry, plan.profile).key
        key, problem = read_key(path)
        if key is None:
            raise RenewError(f"--keep-key: {path} {problem} — run without --keep-key")
        keys[change.name] = key
    if fresh:
        spec_key = plan.spec.key
        with ThreadPoolExecutor(max_workers=workers or min(8, max(2, len(fresh)))) as pool:
            futures = {
                c.name: pool.submit(
                    pki.new_private_key, c.key_algo or spec_key.algo, c.key_size or spec_key.size
                )
                for c in fresh
            }
            for name, future in futures.items():
                keys[name] = future.result()
    return keys


def _issue_certificate(
    plan: RenewPlan,
    change: Change,
    key: pki.PrivateKey,
    ca: tuple[x509.Certificate, pki.PrivateKey],
) -> list[OutputFile]:
    entry = change.entry
    assert entry is not None and change.lifetime is not None
    spec, files = plan.spec, files_of(entry, plan.profile)
    try:
        certificate, written = issue_leaf_files(
            entry, plan.profile, spec, key, change.key_algo, ca, change.lifetime, plan.now
        )
    except GenerationError as error:
        raise RenewError(str(error)) from None
    if not (signed_by(certificate, ca[0]) and pki.key_matches_certificate(key, certificate)):
        raise RenewError(f"{files.cert}: the new certificate did not verify — nothing was written")
    if change.key == "kept":
        written = [f for f in written if f.path != files.key]
    if files.request:
        as_made = replace(spec, key=KeySpec(change.key_algo, change.key_size))
        written.append(
            OutputFile(files.request, dump_json(csr_request(entry, as_made)).encode(), FILE_MODE)
        )
    return written


def _key_pair(plan: RenewPlan, change: Change, key: pki.PrivateKey) -> list[OutputFile]:
    entry = change.entry
    assert entry is not None
    written = key_pair_files(entry, plan.profile, key)
    if change.key == "kept":
        written = [f for f in written if f.path != files_of(entry, plan.profile).key]
    return written


def renewal_files(plan: RenewPlan, *, workers: int | None = None) -> list[OutputFile]:
    """Every file the renewal writes, in memory: nothing is written here."""
    cas = _ca_keys(plan)
    keys = _keys(plan, workers)
    files: list[OutputFile] = []
    for change in plan.changes:
        if change.kind == KIND_CERTIFICATE:
            signer = (
                plan.profile.signer_of(change.entry) if change.entry else plan.profile.cluster_ca
            )
            files += _issue_certificate(plan, change, keys[change.name], cas[signer.name])
        elif change.kind == KIND_KEY_PAIR:
            files += _key_pair(plan, change, keys[change.name])
    new_contents = {f.path: f.content for f in files}
    entries = {e.name: e for e in concrete_entries(plan.profile, plan.spec)}
    kubeconfigs = concrete_kubeconfigs(plan.profile, plan.spec)
    for change in plan.changes:
        items = []
        if change.kind == KIND_KUBECONFIG and change.kubeconfig is not None:
            items = [change.kubeconfig]
        elif change.kind == KIND_CERTIFICATE:
            items = [k for k in kubeconfigs if k.user == change.name and k.name in change.files]
        for item in items:
            content = render_kubeconfig(
                item, plan.profile, plan.spec, plan.directory, new_contents, entries
            )
            if content is None:
                raise RenewError(
                    f"{item.name}: a file it embeds is missing from {plan.directory} — "
                    "restore it, or renew its certificate too"
                )
            files.append(OutputFile(item.name, content, KEY_MODE))
    return files + list(plan.support_files)


def _backup_moment(directory: Path) -> datetime:
    """A moment whose backup folder name (as the store spells it) is still free."""
    moment = datetime.now(UTC).replace(microsecond=0)
    while (directory / backup_name(moment)).exists():
        moment += timedelta(seconds=1)
    return moment


@contextmanager
def writing_lock(directory: Path) -> Iterator[None]:
    """Hold the directory's lock (re-entrant: the command line takes it before planning);
    another run writing it becomes a RenewError in words."""
    try:
        with directory_lock(directory):
            yield
    except DirectoryBusy as busy:
        raise RenewError(f"{busy} — nothing was written; let it finish, then try again") from None
    except LockError as error:
        raise RenewError(str(error)) from None


def apply_renewal(plan: RenewPlan, *, workers: int | None = None) -> WriteResult:
    """Issue and write: the old files go to `backup-<timestamp>/` (with a `renew.json` saying what
    was renewed and which files were added), the new ones are swapped in atomically."""
    if plan.nothing_to_do:
        remove_stale_staging(plan.directory.parent)  # what a killed run may have left
        return WriteResult(plan.directory)
    with writing_lock(plan.directory):
        return _apply(plan, workers)


def _apply(plan: RenewPlan, workers: int | None) -> WriteResult:
    files = renewal_files(plan, workers=workers)
    moment = _backup_moment(plan.directory)
    manifest = {
        "tool": "k8s-cert-wizard renew",
        "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "profile": plan.profile.name,
        "renewed": [c.name for c in plan.changes],
        "replaced": conflicts(plan.directory, files),
        "added": [f.path for f in files if not (plan.directory / f.path).exists()],
    }
    files.append(
        OutputFile(
            f"{backup_name(moment)}/{MANIFEST_FILE}",
            (json.dumps(manifest, indent=2) + "\n").encode(),
            FILE_MODE,
        )
    )
    try:
        return store_write_files(plan.directory, files, force=True, now=moment)
    except StoreError as error:
        raise RenewError(str(error)) from None
