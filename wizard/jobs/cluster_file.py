"""Loading a cluster file for a job, with its problems as data, and the rule of which
cluster.toml a renewal compares with. Both faces call this; each words the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wizard.generate import SPEC_FILE
from wizard.spec import ClusterSpec, Problem, SpecError, errors_of, load_spec, validate


@dataclass(frozen=True)
class LoadedSpec:
    """A cluster file read and validated: the spec (None when it could not be read), what was
    wrong with it, and where it came from."""

    path: Path | None
    spec: ClusterSpec | None
    problems: list[Problem] = field(default_factory=list)
    unreadable: str = ""
    """Why the file could not be read or parsed (SpecError's sentence), or ""."""

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop a job."""
        return errors_of(self.problems)

    @property
    def usable(self) -> bool:
        """True when the spec was read and has no errors."""
        return self.spec is not None and not self.unreadable and not self.errors

    @property
    def label(self) -> str:
        """The file's name as given, or "" for a spec that came with no file."""
        return str(self.path) if self.path is not None else ""


def load_valid(path: str | Path, profile: str | None = None) -> LoadedSpec:
    """Read and validate a cluster file; `profile` overrides the file's (`--profile`)."""
    path = Path(path)
    try:
        spec = load_spec(path)
    except SpecError as error:
        return LoadedSpec(path, None, [], str(error))
    if profile:
        spec.profile = profile
    return LoadedSpec(path, spec, validate(spec))


def renewal_cluster_file(
    directory: Path, given: ClusterSpec | None, given_path: Path | None = None
) -> LoadedSpec | None:
    """The cluster file a renewal of `directory` compares with: the one given (with -c, or
    loaded in the wizard) first, else `DIR/cluster.toml`; None when there is neither."""
    if given is not None:
        return LoadedSpec(given_path, given, validate(given))
    path = directory / SPEC_FILE
    if not path.is_file():
        return None
    return load_valid(path)
