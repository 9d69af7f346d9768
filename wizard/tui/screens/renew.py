"""The renewal screen: the diff `k8s-cert-wizard renew` prints, then a confirmation, the run in a
thread worker with a progress bar, and the redistribution plan (which hosts get which files,
which services restart).

Opened from the review screen with the marked certificates. Everything it decides comes from
`wizard.renew` (plan_renewal, apply_renewal, plan_report, redistribution_of …): the CA is never
touched, the old files go to `backup-<time>/`, and nothing is written before the confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Footer, ProgressBar, Static

from wizard.renew import (
    Redistribution,
    RenewError,
    RenewPlan,
    apply_renewal,
    plan_renewal,
    redistribution_lines,
    redistribution_of,
    result_lines,
)
from wizard.renew.report import DRY_RUN_REDISTRIBUTION, ReportLine, plan_report
from wizard.spec import ClusterSpec
from wizard.store import WriteResult
from wizard.tui.dialogs.confirm import ConfirmDialog
from wizard.tui.dialogs.help import HelpDialog
from wizard.tui.paths import display_path
from wizard.tui.screens.over_wizard import OverWizardScreen
from wizard.tui.widgets.hanging_indent import HangingIndent

__all__ = ["RENEW_KEYS", "RenewScreen", "diff_content", "diff_lines"]

RENEW_KEYS: list[tuple[str, str]] = [
    ("r", "Renew: asks once more, then writes (the old files go to backup-<time>/)"),
    ("k", "Keep the existing private keys, or make new ones"),
    ("u", "After renewing: undo — put the backup back (asks first)"),
    ("Esc", "Cancel and go back to the review (nothing is written)"),
    ("↑ ↓ PgUp PgDn", "Scroll the diff"),
]

_LABEL = re.compile(r"(\s*)(\S+(?: \S+)*\s{2,})?")
"""The indent and label of a diff line (`  files     `): its wrapped rows go on under them."""
_STEPS = 3
UNDO_COMMAND = "k8s-cert-wizard (the renew screen: undo)"
"""What the lock file records for an undo started here."""

LINE_STYLES: dict[str, str] = {
    "heading": "[b]$line[/]",
    "change": "[b]$line[/]",
    "added": "[$text-success]$line[/]",
    "removed": "[$text-error]$line[/]",
    "note": "[$text-warning]$line[/]",
    "ca": "[$text-warning]$line[/]",
    "nothing": "[$text-success]✓ $line[/]",
}
"""How each kind of report line looks (the + and - stay: colour is never the only sign)."""


def diff_report(plan: RenewPlan, shown_directory: str) -> list[ReportLine]:
    """The renewal's diff in the screen's words: the certificates were picked in the review
    (not named with --only), and the directory is named as the screen shows it."""
    return plan_report(plan, directory=shown_directory, named_as="picked")


def diff_lines(plan: RenewPlan, shown_directory: str) -> list[str]:
    """The diff's text, line by line."""
    return [line.text for line in diff_report(plan, shown_directory)]


def counted(count: int, noun: str) -> str:
    """`1 item`, `2 items`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def keep_key_label(keep: bool) -> str:
    """The checkbox's label, saying its state in words: its mark alone is told apart only by
    colour."""
    return f"keep the private keys (k): {'yes' if keep else 'no'}"


def hanging(lines: list[Content]) -> HangingIndent:
    """Lines whose wrapped rows go on under their value (after `  files     `), or two cells
    in from the line's start when it has no label."""
    return HangingIndent((line, _hang(line.plain)) for line in lines)


def _hang(line: str) -> int:
    match = _LABEL.match(line)
    if match is None:
        return 2
    indent, label = match.groups()
    return match.end() if label else len(indent) + 2


def _styled(line: ReportLine) -> Content:
    markup = LINE_STYLES.get(line.kind)
    return Content.from_markup(markup, line=line.text) if markup else Content(line.text)


def diff_content(plan: RenewPlan, shown_directory: str) -> HangingIndent:
    """The diff in colour: added SANs (+) green, removed ones (-) red, notes and CA warnings in
    the warning colour; the + and - stay, so colour is never the only sign. Then, as the CLI's
    --dry-run says it, the redistribution the renewal would need. Wrapped rows stay under
    their value."""
    parts = [_styled(line) for line in diff_report(plan, shown_directory)]
    if not plan.nothing_to_do:
        parts += [
            Content(""),
            Content.from_markup("[b]$title[/]", title=DRY_RUN_REDISTRIBUTION),
            *(Content(line) for line in redistribution_lines(redistribution_of(plan))),
        ]
    return hanging(parts)


class RenewScreen(OverWizardScreen[bool]):
    """Renew some certificates of a directory: diff, --keep-key, confirm, run, redistribution.

    Dismisses with True when files were written (the review then reads the directory again),
    False when cancelled.
    """

    CSS_PATH = ["../steps.tcss", "../review.tcss"]
    AUTO_FOCUS = "#renew-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "confirm", "Renew…"),
        Binding("k", "toggle_keep_key", "Keep keys"),
        Binding("u", "undo", "Undo…"),
        Binding("escape", "close", "Back"),
        Binding("question_mark,f1", "help", "Help"),
    ]

    @dataclass
    class Advanced(Message):
        """A step of the run began or finished."""

        done: int
        text: str

    @dataclass
    class Finished(Message):
        """The renewal was written."""

        result: WriteResult
        redistribution: Redistribution | None
        note: str = ""

    @dataclass
    class Failed(Message):
        """The run stopped; the message says why and what was (not) written."""

        message: str

    @dataclass
    class Undone(Message):
        """The undo job ran: what it wrote, or (result None) why it did not."""

        result: WriteResult | None
        message: str = ""

    def __init__(
        self,
        directory: str | Path,
        names: list[str],
        *,
        spec: ClusterSpec | None,
        spec_source: str = "",
        problem: str = "",
        now: datetime | None = None,
        keep_key: bool = False,
    ) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.names = list(names)
        self.spec = spec
        self.spec_source = spec_source
        self.problem = problem
        self.now = now
        self.keep_key = keep_key
        self.plan: RenewPlan | None = None
        self.state = "planned"  # planned | refused | running | done | failed | undoing | undone
        self.result: WriteResult | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers only what can be done now: Renew and Keep keys before the run,
        Undo after it (when it made a backup)."""
        if action == "confirm":
            return self.state == "planned" and self.plan is not None and not self.plan.nothing_to_do
        if action == "toggle_keep_key":
            return self.state in ("planned", "refused")
        if action == "undo":
            return (
                self.state == "done" and self.result is not None and self.result.backup is not None
            )
        return True

    def _set_state(self, state: str) -> None:
        self.state = state
        self.refresh_bindings()

    # --- layout ---

    def compose(self) -> ComposeResult:
        """Title, where the comparison comes from, the diff, the choices, progress, status."""
        yield Static("", id="renew-title")
        yield Static("", id="renew-source")
        with VerticalScroll(id="renew-body"):
            yield Static("", id="renew-diff")
        with Horizontal(id="renew-actions"):
            yield Checkbox(
                keep_key_label(self.keep_key), self.keep_key, id="renew-keep-key", compact=True
            )
            yield Button("Renew… (r)", id="renew-go", variant="success", compact=True)
            undo = Button("Undo… (u)", id="renew-undo", variant="warning", compact=True)
            undo.display = False  # until a renewal made a backup
            yield undo
            yield Button("Cancel (Esc)", id="renew-cancel", variant="primary", compact=True)
        yield ProgressBar(total=_STEPS, show_eta=False, id="renew-progress")
        yield Static("", id="renew-status")
        yield Footer()

    def on_mount(self) -> None:
        """Work out the plan (nothing is written)."""
        self.query_one("#renew-progress").display = False
        count = len(self.names)
        what = self.names[0] if count == 1 else f"{count} certificates"
        self.query_one("#renew-title", Static).update(
            Content.from_markup(
                "[b]Renew $what[/] in $dir", what=what, dir=display_path(self.directory)
            )
        )
        self.replan()

    def replan(self) -> None:
        """Compare the directory with the cluster file for the chosen certificates."""
        source = self.query_one("#renew-source", Static)
        if self.spec is None:
            self._refuse(self.problem or "Renewing needs the cluster file (cluster.toml).")
            source.update(
                Content.from_markup("[$text-error]✗ no usable cluster file[/]")
                if not self.spec_source
                else Content.from_markup(
                    "[$text-error]✗ cannot use $file[/]", file=self.spec_source
                )
            )
            return
        source.update(
            Content.from_markup(
                "Compared with $file · the CA is never touched · old files go to backup-<time>/",
                file=self.spec_source or "the cluster file",
            )
        )
        try:
            self.plan = plan_renewal(
                self.spec,
                self.directory,
                only=self.names,
                keep_key=self.keep_key,
                now=self.now,
            )
            diff = diff_content(self.plan, display_path(self.directory))
        except RenewError as error:
            self.plan = None
            self._refuse(str(error))
            return
        except Exception as error:  # a bug: say it in words rather than crash the screen
            self.plan = None
            self._refuse(f"the renewal could not be planned ({type(error).__name__}: {error})")
            return
        self._set_state("planned")
        self.query_one("#renew-diff", Static).update(diff)
        go = self.query_one("#renew-go", Button)
        go.disabled = self.plan.nothing_to_do
        if self.plan.nothing_to_do:
            self.set_status(Content.from_markup("[$text-success]✓[/] nothing to renew — Esc"))
        else:
            count = len(self.plan.changes)
            self.set_status(
                Content.from_markup(
                    "Nothing is written yet — r renews $what, k keeps the keys, Esc cancels",
                    what=counted(count, "item"),
                )
            )

    def _refuse(self, message: str) -> None:
        self._set_state("refused")
        self.query_one("#renew-diff", Static).update(
            Content.from_markup("[$text-error]✗ $message[/]", message=message)
        )
        self.query_one("#renew-go", Button).disabled = True
        self.set_status(
            Content.from_markup("[$text-error]✗[/] nothing can be renewed — Esc goes back")
        )

    def set_status(self, text: Content | str) -> None:
        """The line above the footer."""
        self.query_one("#renew-status", Static).update(text)

    # --- choices ---

    @on(Checkbox.Changed, "#renew-keep-key")
    def _keep_key_changed(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = keep_key_label(event.value)
        if self.state not in ("planned", "refused") or event.value == self.keep_key:
            return
        self.keep_key = event.value
        self.replan()

    def action_toggle_keep_key(self) -> None:
        """Keep the existing private keys, or make new ones (k)."""
        if self.state in ("planned", "refused"):
            box = self.query_one("#renew-keep-key", Checkbox)
            box.value = not box.value

    @on(Button.Pressed, "#renew-go")
    def _go_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_confirm()

    @on(Button.Pressed, "#renew-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_confirm(self) -> None:
        """Ask once more, then renew (r)."""
        plan = self.plan
        if self.state != "planned" or plan is None or plan.nothing_to_do:
            return
        files = len(plan.changed_sources())
        question = (
            f"Write the renewal into {display_path(self.directory)}? "
            f"{counted(len(plan.changes), 'item')}, {counted(files, 'file')} that hosts use. The "
            "old files move to backup-<time>/ first and the CA stays byte for byte; Undo (u) "
            "puts the backup back afterwards."
        )
        self.app.push_screen(
            ConfirmDialog("Renew now?", question, yes="Renew", no="Back"),
            callback=self._confirmed,
        )

    def _confirmed(self, yes: bool | None) -> None:
        if yes and self.state == "planned" and self.plan is not None:
            self._start()
            self.run_renewal(self.plan)

    # --- running ---

    def _start(self) -> None:
        self._set_state("running")
        for selector in ("#renew-keep-key", "#renew-go", "#renew-cancel"):
            self.query_one(selector).disabled = True
        bar = self.query_one("#renew-progress", ProgressBar)
        bar.update(total=_STEPS, progress=0)
        bar.display = True
        self.set_status("Renewing — new keys and certificates are made, then written at once")

    @work(thread=True, exclusive=True, group="renew", exit_on_error=False)
    def run_renewal(self, plan: RenewPlan) -> None:
        """The worker: issue and write (atomic, with a backup), then the redistribution plan.
        Every refusal and failure is posted in words."""
        keys = sum(1 for c in plan.changes if c.key == "new" and c.kind != "kubeconfig")
        self.post_message(
            self.Advanced(
                0, f"making {counted(keys, 'new key')}, signing with the existing CA, writing"
            )
        )
        try:
            result = apply_renewal(plan)
        except RenewError as error:
            self.post_message(self.Failed(f"{error} — nothing was written"))
            return
        except Exception as error:  # a bug: say it in words rather than crash the screen
            self.post_message(
                self.Failed(
                    f"the renewal stopped ({type(error).__name__}: {error}); the write is one "
                    "atomic step, so the directory holds the old files or all the new ones"
                )
            )
            return
        backup = f"; the old ones are in {result.backup.name}/" if result.backup else ""
        self.post_message(self.Advanced(1, f"wrote {len(result.written)} files{backup}"))
        self.post_message(self.Advanced(2, "working out which hosts need the new files"))
        try:
            redistribution = redistribution_of(plan)
        except Exception as error:  # the files are written; say why the plan is missing
            self.post_message(
                self.Finished(result, None, f"no redistribution plan ({type(error).__name__})")
            )
            return
        self.post_message(self.Finished(result, redistribution))

    @on(Advanced)
    def _advanced(self, event: Advanced) -> None:
        self.query_one("#renew-progress", ProgressBar).update(progress=event.done)
        self.set_status(f"Renewing — {event.text}")

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        self.result = event.result
        self._set_state("done")
        self.query_one("#renew-progress", ProgressBar).update(progress=_STEPS)
        names = ", ".join(c.name for c in self.plan.changes) if self.plan else ""
        lines = [
            Content.from_markup(
                "[b $text-success]✓ Renewed $names[/] — the CA is unchanged", names=names
            ),
            *(Content(line) for line in result_lines(event.result)),
            Content(""),
        ]
        if event.redistribution is not None:
            lines.append(Content.from_markup("[b]Redistribution — only the changed files:[/]"))
            lines += [Content(line) for line in redistribution_lines(event.redistribution)]
        else:
            lines.append(Content.from_markup("[$text-warning]⚠ $note[/]", note=event.note))
        self.query_one("#renew-diff", Static).update(hanging(lines))
        self.query_one("#renew-body", VerticalScroll).scroll_home(animate=False)
        for selector in ("#renew-keep-key", "#renew-go"):
            self.query_one(selector).display = False
        undo = self.query_one("#renew-undo", Button)
        undo.display = event.result.backup is not None
        undo.disabled = not undo.display
        cancel = self.query_one("#renew-cancel", Button)
        cancel.label = "Back to the review (Esc)"
        cancel.disabled = False
        self.set_status(
            Content.from_markup(
                "[$text-success]✓[/] renewed — copy the files as planned above; "
                "u undoes, Esc goes back to the review, read again"
            )
        )

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self._set_state("failed")
        self.query_one("#renew-cancel", Button).disabled = False
        self.query_one("#renew-progress").display = False
        line = Content.from_markup("[$text-error]✗ $msg[/]", msg=event.message)
        self.set_status(line)
        diff = self.query_one("#renew-diff", Static)
        diff.update(line)

    # --- undo (the renew undo job: the backup comes back, the renewed files go to a new one) ---

    @on(Button.Pressed, "#renew-undo")
    def _undo_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_undo()

    def action_undo(self) -> None:
        """Ask, then put the renewal's backup back (u)."""
        result = self.result
        if self.state != "done" or result is None or result.backup is None:
            return
        question = (
            f"Put {result.backup.name}/ back into {display_path(self.directory)}? The renewed "
            "files move into a new backup first (nothing is lost), and the CA is not touched."
        )
        self.app.push_screen(
            ConfirmDialog("Undo the renewal?", question, yes="Undo", no="Keep"),
            callback=self._undo_confirmed,
        )

    def _undo_confirmed(self, yes: bool | None) -> None:
        result = self.result
        if yes and self.state == "done" and result is not None and result.backup is not None:
            self._set_state("undoing")
            self.query_one("#renew-undo").disabled = True
            self.query_one("#renew-cancel").disabled = True
            self.set_status(f"Undoing — putting {result.backup.name}/ back")
            self.run_undo(self.directory, result.backup)

    @work(thread=True, exclusive=True, group="renew", exit_on_error=False)
    def run_undo(self, directory: Path, backup: Path) -> None:
        """The worker: the renew undo job (under the directory's lock), posted back."""
        from wizard.jobs.renewal import run_undo
        from wizard.store.lock import DirectoryBusy, LockError

        try:
            outcome = run_undo(directory, backup, command=UNDO_COMMAND)
        except (RenewError, DirectoryBusy, LockError) as error:
            self.post_message(self.Undone(None, f"{error} — nothing was changed"))
        except Exception as error:  # a bug: say it in words rather than crash the screen
            self.post_message(
                self.Undone(None, f"the undo stopped ({type(error).__name__}: {error})")
            )
        else:
            self.post_message(self.Undone(outcome.result))

    @on(Undone)
    def _undone(self, event: Undone) -> None:
        self.query_one("#renew-cancel").disabled = False
        self.query_one("#renew-undo").display = False
        if event.result is None:
            self._set_state("done")
            self.query_one("#renew-undo").display = True
            self.query_one("#renew-undo").disabled = False
            self.set_status(Content.from_markup("[$text-error]✗ $msg[/]", msg=event.message))
            return
        self._set_state("undone")
        backup = self.result.backup.name if self.result and self.result.backup else "the backup"
        lines = [
            Content.from_markup(
                "[b $text-success]✓ Undone[/] — $backup/ is back in place", backup=backup
            ),
            *(Content(line) for line in result_lines(event.result)),
            Content(""),
            Content("Copy the restored files to the hosts that got the renewed ones."),
        ]
        self.query_one("#renew-diff", Static).update(hanging(lines))
        self.set_status(
            Content.from_markup(
                "[$text-success]✓[/] undone — Esc goes back to the review, read again"
            )
        )

    # --- leaving ---

    def action_close(self) -> None:
        """Back to the review (Esc): before the confirmation nothing was written."""
        if self.state in ("running", "undoing"):
            self.set_status("⚠ the renewal is running — it is written in one step; wait a moment")
            return
        self.dismiss(self.state in ("done", "failed", "undone"))

    def action_help(self) -> None:
        """List the keys (? or F1)."""
        self.app.push_screen(HelpDialog([("Renew", RENEW_KEYS)]))
