"""What the wizard remembers between steps: the answers, where they came from, what was done.

Plain data with no Textual import, so tests and the screens share one record of the session.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.jobs.policy import Policy
from wizard.spec import ClusterSpec, Problem, validate

if TYPE_CHECKING:  # the store loads with the first run, not at start-up
    from wizard.store import WriteResult

STEP_TITLES = ("Addresses", "Identity", "Preview", "Generate", "Inspect")
"""The five steps, in order; step numbers start at 1."""

STEP_SECTIONS: dict[int, tuple[str, ...]] = {
    1: ("hosts", "network"),
    2: ("profile", "kubelet", "nodes", "subject", "key", "expiry"),
}
"""The cluster.toml sections whose errors block leaving each step."""

DEFAULT_OUTPUT = "./k8s-certs"


def step_of_path(path: str) -> int:
    """The step whose fields hold a problem's path (`hosts.vip[0]` → 1, `expiry.cert` → 2)."""
    section = path.split(".", 1)[0].split("[", 1)[0]
    for step, sections in STEP_SECTIONS.items():
        if section in sections:
            return step
    return 1


@dataclass
class WizardState:
    """The session: the spec being edited, the file it belongs to, and what was generated."""

    spec: ClusterSpec
    spec_path: Path | None = None
    now: datetime | None = None
    revision: int = 0
    previewed_revision: int | None = None
    output_dir: str = DEFAULT_OUTPUT
    existing: Policy = Policy.REFUSE
    """What Generate does with files already in the directory (the job's policy)."""
    result: WriteResult | None = None
    saved: dict[str, Any] = field(default_factory=dict)
    _checked: tuple[int, str, list[Problem]] | None = field(default=None, repr=False, compare=False)
    """The last validation: the spec's id and repr, and its problems (see `problems`)."""

    def __post_init__(self) -> None:
        if not self.saved:
            self.saved = self.spec.to_dict()

    def clock(self) -> datetime:
        """The fixed instant given to the app (tests, screenshots), or the current time."""
        return self.now or datetime.now(UTC)

    def touch(self) -> None:
        """Record that an answer changed: the preview seen so far is out of date."""
        self.revision += 1

    @property
    def dirty(self) -> bool:
        """True when the answers differ from the last file saved or loaded."""
        return self.spec.to_dict() != self.saved

    @property
    def preview_is_current(self) -> bool:
        """True when the preview was shown for the answers as they are now."""
        return self.previewed_revision == self.revision

    def mark_previewed(self) -> None:
        """The preview has just been shown for the current answers."""
        self.previewed_revision = self.revision

    def mark_saved(self, path: Path) -> None:
        """The answers were written to (or read from) this file."""
        self.spec_path = path
        self.saved = self.spec.to_dict()

    def replace_spec(self, spec: ClusterSpec, path: Path) -> None:
        """Take the answers loaded from a file."""
        self.spec = spec
        self.mark_saved(path)
        self.touch()

    def snapshot(self) -> ClusterSpec:
        """A copy of the spec for a worker thread, safe from edits made meanwhile."""
        return copy.deepcopy(self.spec)

    def problems(self) -> list[Problem]:
        """Every problem of the current answers (errors, warnings and notes).

        Validation is a pure function of the spec, asked for several times per key and per
        step change (going to step 5 validated the same answers nine times): it is done again
        only when the spec's repr (every answer) differs from the last time's, so an answer
        changed in place is never judged by stale results.
        """
        key = repr(self.spec)
        checked = self._checked
        if checked is None or checked[0] != id(self.spec) or checked[1] != key:
            checked = (id(self.spec), key, validate(self.spec))
            self._checked = checked
        return list(checked[2])

    def blocking(self, step: int) -> list[Problem]:
        """The errors that keep the user on this step."""
        return [
            p for p in self.problems() if p.severity == "error" and step_of_path(p.path) == step
        ]
