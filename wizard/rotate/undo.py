"""`rotate-ca --undo`: put back the backup the last phase of this CA left, in one atomic step
(the current files going to a new backup first), and say what the hosts need again. Unlike
renew's undo this does swap a CA back: that is what undoing reissue means."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wizard.bounds import InputRefused, read_limited
from wizard.rotate.hosts import phase_steps
from wizard.rotate.model import (
    AFTER_PHASE,
    MANIFEST_FILE,
    HostStep,
    Phase,
    RotateError,
    Target,
    UndoPlan,
)
from wizard.rotate.state import detect, next_sequence, phases_written
from wizard.store import FILE_MODE, OutputFile, StoreError, WriteResult, backup_name, write_files
from wizard.store.lock import DirectoryBusy, LockError, directory_lock

_BEFORE = {
    Phase.PREPARE: Phase.FINALIZE,
    Phase.REISSUE: Phase.PREPARE,
    Phase.FINALIZE: Phase.REISSUE,
}
"""The host plan that puts a stage back is the one of the phase that led to it."""


def _folder_files(folder: Path) -> list[OutputFile]:
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not (Path(root) / d).is_symlink())
        for name in sorted(names):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            info = path.lstat()
            if relative == MANIFEST_FILE or not stat.S_ISREG(info.st_mode):
                continue
            try:
                content = read_limited(path)
            except (OSError, InputRefused) as error:
                raise RotateError(f"cannot read {path}: {error}") from None
            found.append(OutputFile(relative, content, stat.S_IMODE(info.st_mode)))
    return found


def plan_undo(directory: str | Path, target: Target) -> UndoPlan:
    """The undo of the last phase written for this CA; RotateError when the directory is no
    longer in the stage that phase left (undo the later phase first, or nothing to undo)."""
    directory = Path(directory).absolute()
    state = detect(directory, target)
    mine = phases_written(directory, target.key)
    if not mine:
        raise RotateError(
            f"{directory} holds no backup of a rotate-ca phase of {target.key} — nothing to undo"
        )
    folder, manifest = mine[-1]
    try:
        phase = Phase(str(manifest.get("phase")))
    except ValueError:
        raise RotateError(
            f"{folder / MANIFEST_FILE}: unknown phase {manifest.get('phase')!r}"
        ) from None
    if AFTER_PHASE[phase] != state.stage and not (
        phase is Phase.REISSUE and state.stage.value == "reissuing"
    ):
        raise RotateError(
            f"{folder.name} is the backup of {phase}, but the directory is {state.stage} "
            f"({'; '.join(state.evidence)}) — it was changed after that phase; restore by hand"
        )
    files = _folder_files(folder)
    added = [
        a for a in manifest.get("added", []) if isinstance(a, str) and (directory / a).is_file()
    ]
    added = [a for a in added if ".." not in Path(a).parts and not Path(a).is_absolute()]
    changed = {f.path for f in files} | set(added)
    steps = phase_steps(target, _BEFORE[phase], changed) if phase is not Phase.PREPARE else []
    if phase is Phase.PREPARE:
        steps = phase_steps(target, Phase.FINALIZE, changed | {target.files.bundle})
    restored = {f.path for f in files}
    cert = target.files.cert
    if target.clients_only and cert not in restored and not (directory / cert).exists():
        steps = _back_to_cluster_ca(target, steps)
    return UndoPlan(directory, folder, phase, target.kind, files, added, steps, target.key)


def _back_to_cluster_ca(target: Target, steps: list[HostStep]) -> list[HostStep]:
    """An undone first --clients-only prepare leaves no client CA in the directory: the
    client trust file on the hosts gets the cluster CA again (what client trust read before),
    not the client CA's file, which is not there to place."""
    cert, base = target.files.cert, target.base_cert
    why = "client trust: the cluster CA again (the undone prepare made no client CA yet)"
    return [
        replace(
            step,
            files=tuple(
                replace(placed, source=base, why=why) if placed.source == cert else placed
                for placed in step.files
            ),
        )
        for step in steps
    ]


def apply_undo(plan: UndoPlan) -> WriteResult:
    """Write the backup back and take out what the phase added, atomically. The record's
    folder and `sequence` are chosen under the directory's lock, as apply_phase's are."""
    try:
        with directory_lock(plan.directory):
            moment = datetime.now(UTC).replace(microsecond=0)
            while (plan.directory / backup_name(moment)).exists():
                moment += timedelta(seconds=1)
            record = {
                "tool": "k8s-cert-wizard rotate-ca",
                "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sequence": next_sequence(plan.directory),
                "ca": plan.key,
                "phase": str(plan.phase),
                "undo_of": plan.backup.name,
            }
            files = [
                *plan.files,
                OutputFile(
                    f"{backup_name(moment)}/{MANIFEST_FILE}",
                    (json.dumps(record, indent=2) + "\n").encode(),
                    FILE_MODE,
                ),
            ]
            return write_files(plan.directory, files, force=True, remove=plan.remove, now=moment)
    except DirectoryBusy as busy:
        raise RotateError(f"{busy} — nothing was written; let it finish, then try again") from None
    except (StoreError, LockError) as error:
        raise RotateError(str(error)) from None
