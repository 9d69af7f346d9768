"""The progress record of a phase's distribution (`distribute --rotation`): which host steps of
the last written phase are done, so a rerun after a kill resumes at the first unfinished one.

It lives in the directory as ``.kcw-rotation-<key>.json`` and is written atomically (a
temporary file, fsync, rename) after each step. A step is done only once its files are placed
and its units restarted and checked. A record names the phase it belongs to by the backup
folder rotate-ca wrote it with: a new phase starts a new record, and rotate-ca refuses to write
the next phase while the last one's record is unfinished."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from wizard.rotate.model import HostStep, Phase, RotateError, Target

RECORD_TOOL = "k8s-cert-wizard distribute --rotation"


def record_name(target: Target) -> str:
    """`.kcw-rotation-ca.json`, `.kcw-rotation-etcd-ca.json`, `.kcw-rotation-ca-clients.json`."""
    return f".kcw-rotation-{target.key.replace('/', '-')}.json"


def step_key(step: HostStep) -> str:
    """A step's name in the record: its wave and host (one step per host per wave)."""
    return f"{step.wave}:{step.address}"


@dataclass
class RotationRecord:
    """Where the distribution of one written phase is."""

    ca: str  # Target.key
    phase: Phase
    written: str  # the backup folder of the phase (its rotate.json)
    steps: list[str]  # every step's key, in the plan's order
    done: dict[str, str] = field(default_factory=dict)  # step key → when it was done (UTC)

    @property
    def finished(self) -> bool:
        """True when every step is done."""
        return all(key in self.done for key in self.steps)

    @property
    def left(self) -> list[str]:
        """The steps not done, in the plan's order."""
        return [key for key in self.steps if key not in self.done]

    def to_dict(self) -> dict[str, object]:
        """The record as written."""
        return {
            "tool": RECORD_TOOL,
            "ca": self.ca,
            "phase": str(self.phase),
            "written": self.written,
            "steps": self.steps,
            "done": self.done,
            "finished": self.finished,
        }


def read_record(directory: Path, target: Target) -> RotationRecord | None:
    """The record in the directory (None when there is none). RotateError naming the file
    when it cannot be read: a damaged record is never taken for "nothing done"."""
    path = Path(directory) / record_name(target)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = RotationRecord(
            str(data["ca"]),
            Phase(str(data["phase"])),
            str(data["written"]),
            [str(key) for key in data["steps"]],
            {str(k): str(v) for k, v in dict(data.get("done") or {}).items()},
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise RotateError(
            f"{path}: the distribution record cannot be read ({error}) — delete it and run "
            "distribute --rotation again: every step is redone (placing a file again is "
            "harmless; each host's units restart once more)"
        ) from None
    if data.get("tool") != RECORD_TOOL or record.ca != target.key:
        raise RotateError(f"{path}: not a distribution record of {target.key} — move it away")
    return record


def write_record(directory: Path, target: Target, record: RotationRecord) -> None:
    """Write the record atomically: a crash leaves the old one or the new one, never half."""
    path = Path(directory) / record_name(target)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(record.to_dict(), stream, indent=2)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def record_for(
    directory: Path, target: Target, phase: Phase, written: str, steps: list[HostStep]
) -> RotationRecord:
    """The record of this written phase: the one on disk when it is this phase's, else a new
    one (a new phase written by rotate-ca starts again from its first step)."""
    keys = [step_key(step) for step in steps]
    found = read_record(directory, target)
    if found is not None and found.written == written and found.phase is phase:
        found.steps = keys
        found.done = {k: v for k, v in found.done.items() if k in keys}
        return found
    return RotationRecord(target.key, phase, written, keys)


def written_phase(directory: Path, target: Target) -> tuple[str, Phase, list[HostStep]] | None:
    """The last phase written into the directory as (its backup folder's name, the phase, its
    host plan, read back from the backup's rotate.json); None before the first phase."""
    from wizard.rotate.hosts import phase_steps
    from wizard.rotate.state import phases_written

    written = phases_written(Path(directory), target.key)
    if not written:
        return None
    folder, manifest = written[-1]
    try:
        phase = Phase(str(manifest.get("phase")))
    except ValueError:
        raise RotateError(
            f"{folder / 'rotate.json'}: phase {manifest.get('phase')!r} is none of prepare, "
            "reissue, finalize — restore that file (rotate-ca wrote it), or move the folder away "
            "if it is not a rotation's backup"
        ) from None
    changed = {
        name
        for kind in ("added", "replaced", "removed")
        for name in manifest.get(kind, [])
        if isinstance(name, str)
    }
    return folder.name, phase, phase_steps(target, phase, changed)


def now_text() -> str:
    """The time a step is recorded done."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unfinished(directory: Path, target: Target) -> RotationRecord | None:
    """The record of the last written phase when its distribution began and did not finish
    (None when finished, never begun, or of an older phase)."""
    from wizard.rotate.state import phases_written

    record = read_record(directory, target)
    if record is None or record.finished:
        return None
    written = phases_written(Path(directory), target.key)
    if not written or written[-1][0].name != record.written:
        return None
    return record
