"""Generating a set into a directory: the request, the survey made before any key, and the run.

The command line and the wizard both call `survey` (what is there, what would change, what is
refused) and `run` (the same survey again under the directory's lock, then keys, certificates
and one atomic write). Refusals are data (`Refusal`); each face words them.

The policy decides what happens to files already in the directory:

- `REFUSE` (the default): a CA found there is reused; if any other planned file would change,
  nothing is made or written.
- `REPLACE` (`--force`, "back up and replace"): the CA found there is still reused; the files
  that change move into `backup-<time>/` first.
- `NEW_CA` (`--new-ca`, "make a new CA"): a new CA too; everything that changes, the old CA
  included, moves into the backup. Everything the old CA signed stops being trusted.

`ca_directory` (`--ca DIR`) takes the CA from another directory instead, whatever the policy.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from wizard.catalog import files_of, get_profile
from wizard.distribution import per_host_files, plan_distribution
from wizard.generate import (
    SPEC_FILE,
    Cancelled,
    ExistingCA,
    GenerationError,
    Progress,
    capped_lifetime,
    files_to_replace,
    generate_files,
    load_existing_cas,
    plan_json_files,
    planned_file_names,
)
from wizard.jobs.policy import Policy
from wizard.spec import ClusterSpec, SpecError, load_spec
from wizard.store import (
    ExistingFilesError,
    OutputFile,
    StoreError,
    WriteResult,
    output_directory,
    target_problem,
    write_files,
)
from wizard.store.lock import DirectoryLock, LockHolder, directory_lock


class RefusalKind(Enum):
    """Why a run writes nothing; each kind carries its own data in `Refusal`."""

    TARGET = "target"
    """The directory cannot be written (a file in its place, an unwritable parent, the working
    directory): `detail` is store.target_problem's sentence."""
    CA_DIRECTORY = "ca-directory"
    """`ca_directory` is missing, a file, or holds no CA: `detail` is "missing", "file" or
    "no-ca"; `names` the CA files looked for."""
    CA_UNUSABLE = "ca-unusable"
    """A CA is there but cannot sign (half a pair, a key of another CA, expired): `detail`."""
    OTHER_PROFILE = "other-profile"
    """The directory holds another profile's set: `held_profile`, and in `names` files of it
    this run would leave beside the new set."""
    FOLDER_IN_THE_WAY = "folder-in-the-way"
    """A folder stands where the set puts a file: `names` holds it."""
    WOULD_CHANGE = "would-change"
    """Policy REFUSE and these files (`names`) would change."""


@dataclass(frozen=True)
class Refusal:
    """A run refused before any key was made, as data."""

    kind: RefusalKind
    directory: Path
    detail: str = ""
    names: tuple[str, ...] = ()
    held_profile: str = ""


class GenerationRefused(Exception):
    """The run was refused; `refusal` says why, as data."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        super().__init__(f"{refusal.kind.value}: {refusal.directory} {refusal.detail}")


@dataclass(frozen=True)
class GenerationRequest:
    """One generation: what to make, where, and what to do with what is there."""

    spec: ClusterSpec
    directory: Path
    policy: Policy = Policy.REFUSE
    ca_directory: Path | None = None
    per_host: bool = False
    spec_file: Path | None = None
    """The cluster file the spec was read from: when it is the directory's own cluster.toml it
    is kept as written (comments and all), not rewritten."""
    now: datetime | None = None


@dataclass(frozen=True)
class DirectoryReport:
    """What the directory holds and what a run of the request would do, before any key."""

    request: GenerationRequest
    directory: Path
    exists: bool
    ca_files: tuple[str, ...] = ()
    """The request's profile's CA certificates present in the directory."""
    held_profile: str = ""
    """The profile of the set in the directory (its cluster.toml, else its CA files), or ""."""
    cas: dict[str, ExistingCA] = field(default_factory=dict)
    """The CAs the run signs with (from the directory, or `ca_directory`)."""
    replaced: tuple[str, ...] = ()
    """The files the run would replace (they move into a backup first)."""
    kept_spec_file: bool = False
    refusal: Refusal | None = None

    @property
    def makes_new_ca(self) -> bool:
        """True when the run makes a CA of its own."""
        return not self.cas

    @property
    def replaces_ca(self) -> bool:
        """True when a CA in the directory would be replaced by a new one: everything it
        signed stops being trusted."""
        return self.makes_new_ca and bool(self.ca_files)

    @property
    def can_run(self) -> bool:
        """True when `run` would go ahead (if nothing changes meanwhile)."""
        return self.refusal is None


ProgressCallback = Callable[[Progress], None]


def _same_file(first: Path, second: Path) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _held_profile(directory: Path) -> str:
    """The profile of the set in the directory: its cluster.toml's, else the profile whose CA
    files are there (classic when only ca.pem is, the profiles sharing that name), or ""."""
    spec_path = directory / SPEC_FILE
    if spec_path.is_file():
        try:
            return load_spec(spec_path).profile
        except SpecError:
            pass
    for name in ("classic", "kubeadm"):  # complete names its CA as classic does
        profile = get_profile(name)
        if any((directory / files_of(ca, profile).cert).exists() for ca in profile.cas()):
            return name
    return ""


def _leftovers(spec: ClusterSpec, directory: Path, held: str) -> list[str]:
    """Files of the held profile's set that a run of `spec` would leave beside the new set."""
    if not held or held == spec.profile:
        return []
    planned = set(planned_file_names(spec))
    theirs = planned_file_names(replace(spec, profile=held))
    return [n for n in theirs if n not in planned and os.path.lexists(directory / n)]


def _ca_source(request: GenerationRequest, directory: Path) -> tuple[Path, Refusal | None]:
    source = request.ca_directory
    if source is None:
        return directory, None
    if not source.is_dir():
        what = "file" if source.exists() else "missing"
        names = _ca_names(request.spec.profile)
        return source, Refusal(RefusalKind.CA_DIRECTORY, source, what, names)
    return source, None


def _ca_names(profile_name: str) -> tuple[str, ...]:
    """The files of the profile's CAs: certificate and key of each."""
    profile = get_profile(profile_name)
    return tuple(
        name
        for ca in profile.cas()
        for name in (files_of(ca, profile).cert, files_of(ca, profile).key)
    )


def survey(request: GenerationRequest) -> DirectoryReport:
    """Look at the directory as a run of this request would, making no key and writing
    nothing (reads the CAs and checks their keys: a thread's job in the wizard)."""
    directory = output_directory(request.directory)
    spec = request.spec
    profile = get_profile(spec.profile)
    problem = target_problem(directory)
    if problem:
        refusal = Refusal(RefusalKind.TARGET, directory, problem)
        return DirectoryReport(request, directory, directory.exists(), refusal=refusal)
    exists = directory.is_dir()
    source, ca_refusal = _ca_source(request, directory)
    if ca_refusal:
        return DirectoryReport(request, directory, exists, refusal=ca_refusal)
    ca_files = tuple(
        files_of(ca, profile).cert
        for ca in profile.cas()
        if exists and (directory / files_of(ca, profile).cert).exists()
    )
    held = _held_profile(directory) if exists else ""
    report = DirectoryReport(request, directory, exists, ca_files, held)
    leftovers = _leftovers(spec, directory, held) if exists else []
    if leftovers:
        refusal = Refusal(
            RefusalKind.OTHER_PROFILE, directory, names=tuple(leftovers), held_profile=held
        )
        return replace(report, refusal=refusal)
    cas: dict[str, ExistingCA] = {}
    if request.ca_directory is not None or request.policy is not Policy.NEW_CA:
        try:
            cas = load_existing_cas(source, profile)
        except GenerationError as error:
            return replace(report, refusal=Refusal(RefusalKind.CA_UNUSABLE, source, str(error)))
    if request.ca_directory is not None and not cas:
        names = _ca_names(spec.profile)
        refusal = Refusal(RefusalKind.CA_DIRECTORY, source, "no-ca", names)
        return replace(report, refusal=refusal)
    kept = bool(request.spec_file) and _same_file(
        Path(request.spec_file or ""), directory / SPEC_FILE
    )
    replaced = [
        name
        for name in (files_to_replace(spec, directory, cas) if exists else [])
        if not (kept and name == SPEC_FILE)
    ]
    report = replace(report, cas=cas, replaced=tuple(replaced), kept_spec_file=kept)
    folders = [n for n in replaced if (directory / n).is_dir() and not (directory / n).is_symlink()]
    if folders:
        refusal = Refusal(RefusalKind.FOLDER_IN_THE_WAY, directory, names=(folders[0],))
        return replace(report, refusal=refusal)
    if replaced and request.policy is Policy.REFUSE:
        refusal = Refusal(RefusalKind.WOULD_CHANGE, directory, names=tuple(replaced))
        return replace(report, refusal=refusal)
    return report


@dataclass(frozen=True)
class GenerationOutcome:
    """What a run did: the write, the CAs it reused, the survey it acted on, and the lock."""

    result: WriteResult
    report: DirectoryReport
    lock: DirectoryLock

    @property
    def reused(self) -> list[ExistingCA]:
        """The CAs signed with, in the profile's order."""
        return list(self.report.cas.values())

    def capped_by(self) -> list[ExistingCA]:
        """Reused CAs that end before expiry.cert would: the leaves end with them."""
        spec = self.report.request.spec
        now = self.report.request.now or datetime.now(UTC)
        return [
            ca
            for ca in self.reused
            if capped_lifetime(spec, ca.certificate, now) < spec.cert_lifetime()
        ]


def run(
    request: GenerationRequest,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    wait: bool = False,
    on_wait: Callable[[LockHolder | None, float], None] | None = None,
    command: str | None = None,
) -> GenerationOutcome:
    """Survey under the directory's lock, then make the set in memory and write it in one step.

    Raises GenerationRefused (before any key), lock.DirectoryBusy (another run is writing;
    with `wait` only if cancelled while waiting), Cancelled (nothing written), GenerationError
    and StoreError (in words).
    """
    directory = output_directory(request.directory)
    problem = target_problem(directory)  # before the lock creates the parent
    if problem:
        raise GenerationRefused(Refusal(RefusalKind.TARGET, directory, problem))
    _source, ca_refusal = _ca_source(request, directory)  # before the lock makes folders
    if ca_refusal is not None:
        raise GenerationRefused(ca_refusal)
    with directory_lock(
        directory, wait=wait, on_wait=on_wait, command=command, cancel=cancel
    ) as held:
        report = survey(request)
        if report.refusal is not None:
            raise GenerationRefused(report.refusal)
        files = generate_files(
            request.spec, report.cas, progress=progress, cancel=cancel, now=request.now
        )
        if report.kept_spec_file:
            files = [f for f in files if f.path != SPEC_FILE]
        if request.per_host:
            files += per_host_files(plan_distribution(request.spec), files)
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled before anything was written")
        result = _write(report, files)
    return GenerationOutcome(result, report, held)


def _write(report: DirectoryReport, files: list[OutputFile]) -> WriteResult:
    request = report.request
    try:
        return write_files(
            report.directory, files, force=request.policy is not Policy.REFUSE, now=request.now
        )
    except ExistingFilesError as error:  # files_to_replace missed one: still a refusal as data
        raise GenerationRefused(
            Refusal(RefusalKind.WOULD_CHANGE, report.directory, names=tuple(error.names))
        ) from None


# --- the cfssl JSON only (csr) --------------------------------------------------------------


class NoJsonFiles(Exception):
    """The profile names its files as kubeadm does and has no cfssl JSON."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        super().__init__(f"the {profile} profile has no cfssl JSON")


def write_json_files(
    spec: ClusterSpec,
    directory: Path,
    *,
    replace_changed: bool = False,
    wait: bool = False,
    on_wait: Callable[[LockHolder | None, float], None] | None = None,
) -> WriteResult:
    """Write ca-config.json and the CSR JSON files, under the directory's lock.

    Raises NoJsonFiles, GenerationRefused (WOULD_CHANGE, FOLDER_IN_THE_WAY, TARGET),
    lock.DirectoryBusy and StoreError.
    """
    files = plan_json_files(spec)
    if not files:
        raise NoJsonFiles(spec.profile)
    target = output_directory(directory)
    problem = target_problem(target)
    if problem:
        raise GenerationRefused(Refusal(RefusalKind.TARGET, target, problem))
    with directory_lock(target, wait=wait, on_wait=on_wait):
        try:
            return write_files(target, files, force=replace_changed)
        except ExistingFilesError as error:
            raise GenerationRefused(
                Refusal(RefusalKind.WOULD_CHANGE, target, names=tuple(error.names))
            ) from None
        except StoreError:
            folders = [
                f.path
                for f in files
                if (target / f.path).is_dir() and not (target / f.path).is_symlink()
            ]
            if folders:
                raise GenerationRefused(
                    Refusal(RefusalKind.FOLDER_IN_THE_WAY, target, names=(folders[0],))
                ) from None
            raise


__all__ = [
    "Cancelled",
    "DirectoryReport",
    "GenerationError",
    "GenerationOutcome",
    "GenerationRefused",
    "GenerationRequest",
    "NoJsonFiles",
    "Policy",
    "ProgressCallback",
    "Refusal",
    "RefusalKind",
    "run",
    "survey",
    "write_json_files",
]
