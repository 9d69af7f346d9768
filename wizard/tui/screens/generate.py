"""Step 4: where to write, what to do with files already there, and the generation itself.

Keys are made in a thread worker that posts progress messages (as Toolong does); the files are
written in one atomic step at the end, so cancelling leaves nothing behind.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import (
    Button,
    Input,
    Label,
    ProgressBar,
    RadioButton,
    RadioSet,
    RichLog,
    Static,
)
from textual.worker import get_current_worker

from wizard.catalog import files_of, get_profile
from wizard.generate import (
    Cancelled,
    ExistingCA,
    GenerationError,
    Progress,
    files_to_replace,
    generate_files,
    load_existing_cas,
)
from wizard.spec import ClusterSpec
from wizard.store import (
    DIR_MODE,
    ExistingFilesError,
    StoreError,
    WriteResult,
    target_problem,
    write_files,
)
from wizard.tui.screens.step import StepScreen
from wizard.tui.state import ExistingPolicy
from wizard.tui.widgets.fields import Note, TextField

POLICIES: dict[ExistingPolicy, str] = {
    "refuse": "refuse — write nothing if a file there would change",
    "replace": "back up and replace — move the old files to backup-<time>/ first",
    "reuse": "reuse the existing CA — keep its certificate and key, sign new certificates",
}


@dataclass(frozen=True)
class GenerationJob:
    """What one run makes, where it writes, and what it does with files already there."""

    spec: ClusterSpec
    directory: Path
    policy: ExistingPolicy
    now: datetime | None
    cancel: threading.Event
    revision: int
    """The answers' revision the run was started with (WizardState.revision)."""


@dataclass(frozen=True)
class DirectoryReport:
    """What the output directory holds, and what a run with this choice would replace."""

    directory: Path
    policy: ExistingPolicy
    exists: bool
    problem: str
    ca_files: list[str]
    cas: dict[str, ExistingCA]
    ca_error: str
    replaced: list[str]


def survey_directory(spec: ClusterSpec, directory: Path, policy: ExistingPolicy) -> DirectoryReport:
    """Look at the directory as a run would (reads and checks the CA's key: a thread's job).

    `problem` says why nothing can be written there (a file in the way, a parent that cannot
    be written), or is "".
    """
    problem = target_problem(directory)
    if problem or not directory.is_dir():
        return DirectoryReport(directory, policy, directory.exists(), problem, [], {}, "", [])
    profile = get_profile(spec.profile)
    ca_files = [files_of(ca, profile).cert for ca in profile.cas()]
    present = [name for name in ca_files if (directory / name).exists()]
    cas: dict[str, ExistingCA] = {}
    ca_error = ""
    if policy == "reuse":
        try:
            cas = load_existing_cas(directory, profile)
        except GenerationError as error:
            ca_error = str(error)
    replaced = files_to_replace(spec, directory, cas or None)
    return DirectoryReport(directory, policy, True, "", present, cas, ca_error, replaced)


def _shorten(names: list[str], count: int) -> str:
    """`a, b, c and 4 more`."""
    shown = ", ".join(names[:count])
    return shown + (f" and {len(names) - count} more" if len(names) > count else "")


def existing_files_message(directory: Path, names: list[str]) -> str:
    """The refusal in the wizard's words (the core's mentions the CLI's --force)."""
    shown = _shorten(names, 5)
    return (
        f"{directory} already holds {shown} — nothing was written; choose “back up and replace” "
        "or “reuse the existing CA”, or another directory"
    )


class GenerateScreen(StepScreen):
    """Output directory, the existing-files choice, Generate, a progress bar and a log."""

    STEP = 4
    AUTO_FOCUS = "#generate"
    NEXT_LABEL = "Inspect"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+g", "generate", "Generate"),
        # Not in the footer: showing it only during a run would rebuild the footer as the run
        # starts, a 100+ ms freeze; the Cancel (Esc) button and the status line name the key.
        Binding("escape", "cancel", "Cancel run", show=False),
    ]

    @dataclass
    class Advanced(Message):
        """A step of the run finished."""

        progress: Progress

    @dataclass
    class Finished(Message):
        """The set was written."""

        result: WriteResult

    @dataclass
    class Surveyed(Message):
        """The output directory was looked at."""

        report: DirectoryReport

    @dataclass
    class Failed(Message):
        """The run stopped: refused, failed or cancelled; nothing was written."""

        message: str
        cancelled: bool = False

    def __init__(self) -> None:
        super().__init__()
        self._job: GenerationJob | None = None
        self._written: tuple[Path, ExistingPolicy, int] | None = None
        """Directory, choice and answers' revision of the last run that wrote its set."""
        self._focus_before: Widget | None = None

    @property
    def running(self) -> bool:
        """True while a generation runs."""
        return self._job is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc (Cancel run) does something only while a run is going."""
        if action == "cancel":
            return self.running
        return True

    def compose_body(self) -> ComposeResult:
        """Directory, choice, buttons, result, progress, log."""
        with VerticalScroll(id="generate-body"):
            yield Static("Where to write", classes="section-title")
            with Horizontal(classes="form-row"):
                yield Label("output directory", classes="form-label")
                yield TextField(self.state.output_dir, id="output-dir")
            yield Note("", id="dir-note", classes="field-note")
            yield Static("If the directory already holds files", classes="section-title")
            with RadioSet(id="existing", compact=True):
                for policy, label in POLICIES.items():
                    yield RadioButton(
                        label, value=self.state.existing == policy, id=f"existing-{policy}"
                    )
            yield Note("", id="existing-note", classes="field-note")
            with Horizontal(id="actions"):
                yield Button("Generate (ctrl+g)", id="generate", variant="success", compact=True)
                yield Button(
                    "Cancel (Esc)", id="cancel", variant="error", compact=True, disabled=True
                )
            result = Note("", id="result")
            result.display = False  # until a run has an outcome (show_result)
            yield result
            yield ProgressBar(total=1, show_eta=False, id="progress")
            yield RichLog(id="log", wrap=True, min_width=20, auto_scroll=True)

    def on_mount(self) -> None:
        """Say what the log will hold."""
        self.log_line("Each step of a run appears here; nothing is written until the last one.")

    def log_line(self, text: str) -> None:
        """Add a line to the run's log (long lines wrap)."""
        self.query_one("#log", RichLog).write(Text(text))

    def on_screen_resume(self) -> None:
        """Re-check the directory (files may have changed) and the preview gate."""
        super().on_screen_resume()
        self.check_directory()
        if not self.running:
            self._show_ready()

    def _show_ready(self) -> None:
        """Say what to do next in the status bar (short: it is one line at 80 columns)."""
        errors = self.answer_errors()
        if errors:
            self.set_status(
                Content.from_markup("[$error]✗[/] fix the answers first (ctrl+b)"),
                tooltip=self.errors_message(errors),
            )
        elif self.state.preview_is_current:
            self.set_status("Choose where to write, then ctrl+g")
        else:
            self.set_status(
                Content.from_markup("[$error]✗[/] see the new preview first (ctrl+b)"),
                tooltip="The answers changed since the preview — look at it first (ctrl+b)",
            )

    # --- choices ---

    @property
    def directory(self) -> Path:
        """The output directory as typed."""
        return Path(self.state.output_dir.strip() or ".").expanduser()

    @on(Input.Changed, "#output-dir")
    def _directory_changed(self, event: Input.Changed) -> None:
        if event.value != self.state.output_dir:
            self.state.output_dir = event.value
            self._options_changed()
        self.check_directory()

    @on(RadioSet.Changed, "#existing")
    def _policy_changed(self, event: RadioSet.Changed) -> None:
        policy = (event.pressed.id or "existing-refuse").split("-", 1)[1]
        if policy != self.state.existing:
            self.state.existing = policy  # type: ignore[assignment]
            self._options_changed()
        self.check_directory()

    def _options_changed(self) -> None:
        """A new directory or choice: the last run's result no longer applies to it."""
        self._written = None
        self.show_result("")
        self._show_ready()

    def check_directory(self) -> None:
        """Look at the directory in a thread; `_surveyed` says what the choice will do. With
        errors in the answers (no profile to plan from) it says that instead."""
        errors = self.answer_errors()
        if errors:
            self.workers.cancel_group(self, "survey")
            message = self.errors_message(errors)
            self.query_one("#dir-note", Note).say(
                Content.from_markup("[$error]✗ $msg[/]", msg=message)
            )
            self.query_one("#existing-note", Note).say("")
            return
        self.survey(self.state.snapshot(), self.directory, self.state.existing)

    @work(thread=True, exclusive=True, group="survey", exit_on_error=False)
    def survey(self, spec: ClusterSpec, directory: Path, policy: ExistingPolicy) -> None:
        """The worker: survey_directory, posted back unless a newer survey replaced this one."""
        report = survey_directory(spec, directory, policy)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Surveyed(report))

    @on(Surveyed)
    def _surveyed(self, event: Surveyed) -> None:
        report = event.report
        if (report.directory, report.policy) != (self.directory, self.state.existing):
            return  # the user has typed on since
        if self.answer_errors():
            return  # the answers changed since: check_directory says what to fix
        note = self.query_one("#dir-note", Note)
        existing = self.query_one("#existing-note", Note)
        directory = str(report.directory)
        if self._written == (report.directory, report.policy, self.state.revision):
            note.say(
                Content.from_markup(
                    "[$success]✓ $dir holds the set just written[/] — Next (ctrl+n) inspects it",
                    dir=directory,
                )
            )
            existing.say("")
            return
        if report.problem:
            note.say(Content.from_markup("[$error]✗ $msg[/]", msg=report.problem))
            existing.say("")
            return
        if not report.exists:
            note.say(
                Content.from_markup(
                    "[$success]✓[/] $dir does not exist yet — it will be created (mode $mode)",
                    dir=directory,
                    mode=f"{DIR_MODE:o}",
                )
            )
            existing.say("")
            return
        held = f"holds {', '.join(report.ca_files)}" if report.ca_files else "holds no CA"
        note.say(
            Content.from_markup(
                "[$warning]⚠[/] $dir exists and $held; $n of the planned files would change",
                dir=directory,
                held=held,
                n=str(len(report.replaced)),
            )
            if report.replaced or report.ca_files
            else Content.from_markup(
                "[$success]✓[/] $dir exists; no planned file would change", dir=directory
            )
        )
        existing.say(self._policy_note(report))

    def _policy_note(self, report: DirectoryReport) -> Content:
        policy, cas, replaced = report.policy, report.cas, report.replaced
        shown = _shorten(replaced, 4)
        if policy == "reuse":
            if report.ca_error:
                return Content.from_markup("[$error]✗ $msg[/]", msg=report.ca_error)
            if not cas:
                return Content.from_markup(
                    "[$error]✗ there is no CA in $dir to reuse — choose another option[/]",
                    dir=str(report.directory),
                )
            reused = ", ".join(
                f"{ca.files.cert} (until {ca.certificate.not_valid_after_utc:%Y-%m-%d})"
                for ca in cas.values()
            )
            tail = f"; {shown} move to a backup first" if replaced else ""
            return Content.from_markup(
                "[$success]✓[/] signs with the existing $reused$tail", reused=reused, tail=tail
            )
        if not replaced:
            return Content("")
        if policy == "refuse":
            return Content.from_markup(
                "[$error]✗ refuse: $shown would change — Generate will write nothing[/]",
                shown=shown,
            )
        profile = get_profile(self.state.spec.profile)
        ca_files = {files_of(ca, profile).cert for ca in profile.cas()}
        extra = (
            " — a NEW CA replaces the old one: everything it signed stops being trusted"
            if ca_files & set(replaced)
            else ""
        )
        return Content.from_markup(
            "[$warning]⚠ $shown move to backup-<time>/ first$extra[/]", shown=shown, extra=extra
        )

    # --- running ---

    @on(Button.Pressed, "#generate")
    def _generate_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_generate()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_generate(self) -> None:
        """Check what can be checked at once, then make and write the set in a worker thread."""
        if self.running:
            return
        errors = self.answer_errors()
        if errors:
            self._fail(self.errors_message(errors))
            return
        if not self.state.preview_is_current:
            self._fail("the answers changed since the preview — look at it first (ctrl+b)")
            return
        directory = self.directory
        problem = target_problem(directory)
        if problem:
            self._fail(problem)
            return
        job = GenerationJob(
            spec=self.state.snapshot(),
            directory=directory,
            policy=self.state.existing,
            now=self.state.now,
            cancel=threading.Event(),
            revision=self.state.revision,
        )
        # A full garbage collection scans every widget and holds the GIL for 100-300 ms; freezing
        # what exists now keeps collections during the run to the run's own objects.
        gc.freeze()
        self._start(job)
        self.run_generation(job)

    def cancel(self) -> None:
        """Stop the run at the next step; nothing is written."""
        if self._job is not None:
            self._job.cancel.set()
            self.log_line("… cancelling after the key being made")

    def action_cancel(self) -> None:
        """Cancel a running generation (Esc)."""
        self.cancel()

    def _start(self, job: GenerationJob) -> None:
        self._job = job
        self.state.result = None
        self._focus_before = self.focused
        self.query_one("#cancel", Button).disabled = False
        locked = self._locked_widgets()
        if self.focused in locked:  # a disabled widget cannot keep the focus
            self.set_focus(self.query_one("#generate"))
        for widget in locked:
            widget.disabled = True
        self.query_one("#progress", ProgressBar).update(total=1, progress=0)
        self.query_one("#log", RichLog).clear()
        key = f"{job.spec.key.algo.upper()} {job.spec.key.size}"
        self.log_line(f"generating {key} keys for {job.directory}")
        self.show_result("")
        self.set_status("Generating — Esc cancels")

    def show_result(self, content: Content | str) -> None:
        """Show the outcome of the last run under the buttons, wrapped to its full length (or
        hide the line when there is none)."""
        result = self.query_one("#result", Note)
        result.say(content)
        result.display = bool(content)
        if content:
            result.scroll_visible(animate=False)

    def _locked_widgets(self) -> list[Widget]:
        """What may not be used during a run. Generate stays (it does nothing meanwhile) and
        keeps or takes the focus: moving the focus rebuilds the footer, which with the key
        threads running froze the screen for 100-150 ms."""
        return [self.query_one(selector) for selector in ("#output-dir", "#existing")]

    def _stop(self, focus: Widget) -> None:
        """Unlock the choices after a run; the focus goes to `focus` unless the user moved it."""
        self._job = None
        for widget in self._locked_widgets():
            widget.disabled = False
        cancel = self.query_one("#cancel", Button)
        if self.focused in (None, cancel, self.query_one("#generate")):
            self.set_focus(focus)
        cancel.disabled = True

    @work(thread=True, exclusive=True, group="generate", exit_on_error=False)
    def run_generation(self, job: GenerationJob) -> None:
        """The worker: look at the directory, generate in memory (posting progress), then write
        atomically. Every refusal and failure is posted in words; nothing is half written."""
        try:
            existing = self._existing_cas(job)
            files = generate_files(
                job.spec,
                existing or None,
                progress=lambda step: self.post_message(self.Advanced(step)),
                cancel=job.cancel,
                now=job.now,
            )
            if job.cancel.is_set():
                raise Cancelled("cancelled before anything was written")
            force = job.policy != "refuse"
            result = write_files(job.directory, files, force=force, now=job.now)
        except Cancelled:
            self.post_message(self.Failed("cancelled — nothing was written", cancelled=True))
        except ExistingFilesError as error:
            self.post_message(self.Failed(existing_files_message(error.directory, error.names)))
        except (GenerationError, StoreError) as error:
            self.post_message(self.Failed(str(error)))
        except Exception as error:  # a bug: say it in words rather than crash the screen
            self.post_message(
                self.Failed(f"unexpected {type(error).__name__}: {error} — nothing was written")
            )
        else:
            self.post_message(self.Finished(result))

    @staticmethod
    def _existing_cas(job: GenerationJob) -> dict[str, ExistingCA]:
        """The CAs to reuse, after refusing what the chosen policy does not allow."""
        report = survey_directory(job.spec, job.directory, job.policy)
        if report.problem:
            raise GenerationError(report.problem)
        if report.ca_error and job.policy == "reuse":
            raise GenerationError(report.ca_error)
        if job.policy == "reuse" and not report.cas:
            raise GenerationError(
                f"there is no CA in {job.directory} to reuse — choose another option"
            )
        if job.policy == "refuse" and report.replaced:
            raise GenerationError(existing_files_message(job.directory, report.replaced))
        return report.cas if job.policy == "reuse" else {}

    @on(Advanced)
    def _advanced(self, event: Advanced) -> None:
        step = event.progress
        self.query_one("#progress", ProgressBar).update(total=step.total, progress=step.done)
        self.log_line(f"✓ {step.message}")

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        job = self._job
        self._stop(focus=self.nav.query_one("#next"))
        result = event.result
        self.state.result = result
        if job is not None:
            self._written = (job.directory, job.policy, job.revision)
        if result.backup is not None:
            self.log_line(f"✓ moved {len(result.backed_up)} old files to {result.backup.name}/")
        self.log_line(f"✓ wrote {len(result.written)} files into {self.state.output_dir}")
        if result.unchanged:
            self.log_line(
                f"✓ kept {len(result.unchanged)} unchanged: {', '.join(result.unchanged)}"
            )
        self.show_result(
            Content.from_markup(
                "[$success]✓ wrote $n files[/] into $dir",
                n=str(len(result.written)),
                dir=self.state.output_dir,
            )
        )
        self.set_status(Content.from_markup("[$success]✓[/] set written — Next inspects it"))
        self.check_directory()

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self._stop(focus=self._focus_before or self.query_one("#generate"))
        self._fail(event.message, cancelled=event.cancelled)

    def _fail(self, message: str, *, cancelled: bool = False) -> None:
        """Say why nothing was written: in full under the buttons and in the log, in short in
        the status bar (one line at 80 columns)."""
        style = "$warning" if cancelled else "$error"
        symbol = "⚠" if cancelled else "✗"
        self.show_result(Content.from_markup(f"[{style}]$sym $msg[/]", sym=symbol, msg=message))
        short = "cancelled" if cancelled else "nothing written — see why above"
        self.set_status(
            Content.from_markup(f"[{style}]$sym[/] $short", sym=symbol, short=short),
            tooltip=message,
        )
        self.log_line(f"{symbol} {message}")
