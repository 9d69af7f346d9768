"""The wizard app's palette commands on a step and the sections of its help: loaded when the
palette or the help first opens, not before step 1's first frame."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding, BindingType

from wizard.tui.paths import display_path, full_path
from wizard.tui.state import STEP_TITLES
from wizard.tui.widgets.host_list import HostField

if TYPE_CHECKING:
    from wizard.tui.dialogs.help import KeySection
    from wizard.tui.wizard_app import WizardApp


def step_commands(app: WizardApp, step: int) -> Iterable[SystemCommand]:
    """The palette's commands on this step: the other steps, Next/Back where they lead
    somewhere, the cluster file, this step's own, the other screens."""
    for other, title in enumerate(STEP_TITLES, start=1):
        if other != step:
            yield SystemCommand(
                f"Go to step {other}: {title}",
                f"Open step {other} (forward moves stop at the first unfinished step)",
                lambda other=other: app.run_action(f"goto({other})"),
            )
    if step < len(STEP_TITLES):
        yield SystemCommand("Next step", "Check this step and go on (ctrl+n)", app.action_next)
    if step > 1:
        yield SystemCommand(
            "Previous step", "Go back; answers are kept (ctrl+b, Esc)", app.action_back
        )
    yield SystemCommand("Save cluster.toml", "Save the answers (ctrl+s)", app.action_save)
    yield SystemCommand("Save as…", "Save the answers under a new name", app.action_save_as)
    yield SystemCommand("Load cluster.toml", "Read answers from a file (ctrl+o)", app.action_load)
    if app.state.spec_path is not None:
        yield SystemCommand(
            "Copy the cluster file's path",
            f"{full_path(app.state.spec_path)} to the clipboard",
            lambda: app._copy_path(app.state.spec_path),
        )
    if step >= 4:
        yield SystemCommand(
            "Copy the output directory's path",
            f"{full_path(app.state.output_dir or '.')} to the clipboard",
            lambda: app._copy_path(Path(app.state.output_dir or ".")),
        )
    if step == 4 and not app.generating:
        yield SystemCommand(
            "Generate certificates", "Make and write the set (ctrl+g)", app._palette_generate
        )
    if step == 5:
        yield SystemCommand(
            "Toggle raw cfssl-certinfo JSON", "The panel or the JSON (r)", app._palette_raw
        )
    if app.state.result is not None:
        yield SystemCommand(
            "Review what I just wrote",
            f"Open the review of {display_path(app.state.result.directory)}, judged "
            "against the wizard's answers",
            app.action_review_written,
        )
    yield SystemCommand(
        "Review a directory…",
        "Judged against the wizard's current answers: what each file is, which key fits, "
        "who signed what, what expires (F2)",
        app.action_review_directory,
    )
    yield SystemCommand(
        "Hosts: check, probe, distribute",
        "Each host's plan; check what it has over SSH, probe what it serves, distribute (F3)",
        app.action_hosts,
    )
    yield SystemCommand(
        "Rotate a CA",
        "Stage, next phase's diff, run and undo: prepare, reissue, finalize (F4)",
        app.action_rotate,
    )
    yield SystemCommand(
        "Learn the layout",
        "The eight sets, who uses which file, CN/O → RBAC, TLS bootstrap (ctrl+l)",
        app.action_learn_layout,
    )


def key_sections(app: WizardApp) -> list[KeySection]:
    """The bindings of the app, the current step and the host fields, for the help."""
    sections: list[KeySection] = [
        ("Everywhere", _rows(app.BINDINGS) + [("ctrl+q", "Quit"), ("ctrl+p", "Commands")])
    ]
    screen = app.step_screen(app.current_step)
    own = vars(type(screen)).get("BINDINGS", [])
    if own:
        sections.append((f"Step {screen.STEP}: {STEP_TITLES[screen.STEP - 1]}", _rows(own)))
    sections.append(("In an address list (step 1)", _rows(HostField.BINDINGS) + HOST_KEYS))
    sections.append(("Moving around", MOVING_KEYS))
    return sections


HELP_INTRO = (
    "Each step checks its fields as you type; Next (ctrl+n) is blocked while an error remains "
    "and the cursor goes to the field to fix. Back (ctrl+b or Esc) keeps every answer. Nothing is "
    "generated until you have seen the preview. ctrl+l explains the layout of a set; F2 "
    "reviews a directory that already holds one, judged against these answers."
)
HOST_KEYS = [
    ("Enter", "Add what you typed (spaces, commas and newlines split several entries)"),
    ("paste", "Pasting several addresses adds one entry each"),
    ("✕", "Click to remove an entry"),
]
MOVING_KEYS = [
    ("Tab / shift+Tab", "Next / previous field"),
    ("↑ ↓", "Move in lists and tables"),
    ("Enter / Space", "Press the focused button, choose the focused option"),
    ("mouse", "Click fields, buttons, list items and the step names at the top"),
]


def _rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(keys, what they do) per action, the longer tooltip when there is one; several bindings
    of one action share a row (the last one's words)."""
    rows: dict[str, tuple[str, str]] = {}
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        keys = _key_name(binding.key)
        if binding.action in rows:
            keys = f"{rows[binding.action][0]} / {keys}"
        rows[binding.action] = (keys, binding.tooltip or binding.description)
    return list(rows.values())


def _key_name(key: str) -> str:
    return ", ".join("?" if k == "question_mark" else k for k in key.split(","))
