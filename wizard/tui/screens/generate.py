"""Step 4: where to write, what to do with files already there, and the generation itself.

Keys are made in a thread worker that posts progress messages (as Toolong does); the files are
written in one atomic step at the end, so cancelling leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from textual.worker import Worker, get_current_worker

from wizard.generate import Cancelled, GenerationError, Progress
from wizard.jobs.generation import (
    DirectoryReport,
    GenerationOutcome,
    GenerationRefused,
    GenerationRequest,
    Policy,
    Refusal,
    RefusalKind,
    run,
    survey,
)
from wizard.store import DIR_MODE, StoreError
from wizard.store.lock import DirectoryBusy, LockError
from wizard.tui.screens.step import StepScreen
from wizard.tui.widgets.fields import Note, TextField

POLICIES: dict[Policy, str] = {
    Policy.REFUSE: "refuse — write nothing if a file there would change (a CA there is reused)",
    Policy.REPLACE: "back up and replace — old files to backup-<time>/ first; the CA is kept",
    Policy.NEW_CA: "make a new CA — back up everything, the CA too, and start a new one",
}

WIZARD_COMMAND = "k8s-cert-wizard (the wizard, step 4)"
"""What the lock file records for a run started here."""


@dataclass(frozen=True)
class GenerationJob:
    """One run started from this screen: the job's request and the answers' revision."""

    request: GenerationRequest
    revision: int
    """The answers' revision the run was started with (WizardState.revision)."""


def _shorten(names: tuple[str, ...] | list[str], count: int) -> str:
    """`a, b, c and 4 more`."""
    shown = ", ".join(names[:count])
    return shown + (f" and {len(names) - count} more" if len(names) > count else "")


def existing_files_message(directory: Path, names: tuple[str, ...] | list[str]) -> str:
    """Files that would change under "refuse", in the wizard's words."""
    return (
        f"{directory} already holds {_shorten(names, 5)} — nothing was written; choose “back up "
        "and replace” (keeps the CA) or “make a new CA”, or another directory"
    )


def refusal_message(refusal: Refusal, profile: str) -> str:
    """A refusal of the generation job, in the wizard's words (its choices, not CLI flags)."""
    kind, directory, names = refusal.kind, refusal.directory, refusal.names
    if kind is RefusalKind.TARGET:
        return refusal.detail
    if kind is RefusalKind.CA_DIRECTORY:
        return f"{directory} holds no usable CA ({', '.join(names[:2])})"
    if kind is RefusalKind.CA_UNUSABLE:
        return (
            f"{refusal.detail} — or choose “make a new CA” (the old files move to a backup; "
            "everything the old CA signed stops being trusted)"
        )
    if kind is RefusalKind.OTHER_PROFILE:
        return (
            f"{directory} holds a {refusal.held_profile} set ({_shorten(names, 3)}), and these "
            f"answers use the {profile} profile — its files would stay beside the new set, so "
            f"nothing is made. Choose another directory, the {refusal.held_profile} profile "
            "(step 2), or move the old set away"
        )
    if kind is RefusalKind.FOLDER_IN_THE_WAY:
        return (
            f"{directory / names[0]} is a folder where the set puts a file — move it away and "
            "try again (replacing never removes folders)"
        )
    return existing_files_message(directory, names)


def busy_message(busy: DirectoryBusy) -> str:
    """Another run is writing the directory, in the wizard's words."""
    who = busy.holder.describe() if busy.holder else "a process that left no record"
    return (
        f"{busy.directory} is being written by another run — {who}; nothing was done. Let it "
        "finish, then press Generate again"
    )


class GenerateScreen(StepScreen):
    """Output directory, the existing-files choice, Generate, a progress bar and a log."""

    CSS_PATH = "../steps.tcss"  # the rules of steps 2 to 5: not parsed for step 1

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
        """A step of the run finished. A newer one replaces one not yet handled: the steps
        themselves are kept in the screen's list, so the log misses none."""

        progress: Progress

        def can_replace(self, message: Message) -> bool:
            """Progress coalesces: only the latest count matters for the bar."""
            return isinstance(message, GenerateScreen.Advanced)

    @dataclass
    class Finished(Message):
        """The set was written."""

        outcome: GenerationOutcome

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
        self._written: tuple[Path, Policy, int] | None = None
        """Directory, choice and answers' revision of the last run that wrote its set."""
        self._worker: Worker[None] | None = None
        self._steps: list[Progress] = []
        """The run's steps, appended by the worker thread; the log shows those not yet shown."""
        self._logged = 0
        self._focus_before: Widget | None = None
        self._revealing_outcome = False
        """True from a run's end to the next run: the result and the log's end are kept in
        view while the page's height settles (see `_reveal_outcome`)."""

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
                        label, value=self.state.existing is policy, id=f"existing-{policy.value}"
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
        """Say what the log will hold; follow the page's height (see `_reveal_outcome`)."""
        self.log_line("Each step of a run appears here; nothing is written until the last one.")
        self.watch(self.query_one("#generate-body"), "virtual_size", self._page_resized, init=False)

    def _reveal_outcome(self) -> None:
        """Scroll the result and the end of the log into view (the backup line, even at
        80×24) — now, and again whenever the page's height changes until the next run: the
        result line's wrapped height is set by a layout that, on a loaded machine, may come
        after the first scroll, which then left the page two lines short of the log's end."""
        self._revealing_outcome = True
        self.reveal(self.query_one("#result"), self.query_one("#log"))

    def _page_resized(self) -> None:
        if self._revealing_outcome:
            self.reveal(self.query_one("#result"), self.query_one("#log"))

    def log_line(self, text: str) -> None:
        """Add a line to the run's log (long lines wrap)."""
        self.query_one("#log", RichLog).write(Text(text))

    def on_screen_resume(self) -> None:
        """Re-check the directory (files may have changed) and the preview gate."""
        super().on_screen_resume()
        # At once when the step comes up (no frame with empty notes); in a thread as typed.
        self.check_directory(at_once=not self.running)
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
            self.set_status("Pick a directory, then ctrl+g")
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
        policy = Policy((event.pressed.id or "existing-refuse").split("-", 1)[1])
        if policy is not self.state.existing:
            self.state.existing = policy
            self._options_changed()
        self.check_directory()

    def _options_changed(self) -> None:
        """A new directory or choice: the last run's result no longer applies to it."""
        self._written = None
        self.show_result("")
        self._show_ready()

    def check_directory(self, *, at_once: bool = False) -> None:
        """Look at the directory in a thread (`at_once`: here, before the next frame);
        `_surveyed` says what the choice will do. With errors in the answers (no profile to
        plan from) it says that instead."""
        errors = self.answer_errors()
        if errors:
            self.workers.cancel_group(self, "survey")
            message = self.errors_message(errors)
            self.query_one("#dir-note", Note).say(
                Content.from_markup("[$error]✗ $msg[/]", msg=message)
            )
            self.query_one("#existing-note", Note).say("")
            return
        if at_once:
            self.workers.cancel_group(self, "survey")
            self._surveyed(self.Surveyed(survey(self.request())))
            return
        self.survey(self.request())

    def request(self) -> GenerationRequest:
        """The job's request for the answers and choices as they are now. The loaded cluster
        file is kept as written (comments and all) when it is the directory's own and the
        answers have not changed since it was read."""
        return GenerationRequest(
            self.state.snapshot(),
            self.directory,
            self.state.existing,
            spec_file=None if self.state.dirty else self.state.spec_path,
            now=self.state.now,
        )

    @work(thread=True, exclusive=True, group="survey", exit_on_error=False)
    def survey(self, request: GenerationRequest) -> None:
        """The worker: the job's survey, posted back unless a newer one replaced this one."""
        report = survey(request)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Surveyed(report))

    @on(Surveyed)
    def _surveyed(self, event: Surveyed) -> None:
        report = event.report
        request = report.request
        if (request.directory, request.policy) != (self.directory, self.state.existing):
            return  # the user has typed on since
        if self.answer_errors():
            return  # the answers changed since: check_directory says what to fix
        note = self.query_one("#dir-note", Note)
        existing = self.query_one("#existing-note", Note)
        directory = str(request.directory)
        if self._written == (request.directory, request.policy, self.state.revision):
            note.say(
                Content.from_markup(
                    "[$success]✓ $dir holds the set just written[/] — Next (ctrl+n) inspects it",
                    dir=directory,
                )
            )
            existing.say("")
            return
        refusal = report.refusal
        if refusal is not None and refusal.kind is RefusalKind.TARGET:
            note.say(Content.from_markup("[$error]✗ $msg[/]", msg=refusal.detail))
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
        note.say(self._directory_note(report))
        existing.say(self._policy_note(report))

    def _directory_note(self, report: DirectoryReport) -> Content:
        """What the directory holds: its CA, another profile's set, how much would change."""
        directory = str(report.request.directory)
        refusal = report.refusal
        if refusal is not None and refusal.kind is RefusalKind.OTHER_PROFILE:
            return Content.from_markup(
                "[$error]✗[/] $dir holds a $held set, not a $profile one",
                dir=directory,
                held=refusal.held_profile,
                profile=report.request.spec.profile,
            )
        if not (report.replaced or report.ca_files):
            return Content.from_markup(
                "[$success]✓[/] $dir exists; no planned file would change", dir=directory
            )
        held = f"holds {', '.join(report.ca_files)}" if report.ca_files else "holds no CA"
        return Content.from_markup(
            "[$warning]⚠[/] $dir exists and $held; $n of the planned files would change",
            dir=directory,
            held=held,
            n=str(len(report.replaced)),
        )

    def _policy_note(self, report: DirectoryReport) -> Content:
        """What the chosen policy does here: the CA it signs with, what moves to a backup, what
        a new CA breaks, or why Generate will write nothing."""
        refusal = report.refusal
        profile = report.request.spec.profile
        if refusal is not None:
            if refusal.kind is RefusalKind.WOULD_CHANGE:
                return Content.from_markup(
                    "[$error]✗ refuse: $shown would change — Generate will write nothing[/]",
                    shown=_shorten(refusal.names, 4),
                )
            return Content.from_markup("[$error]✗ $msg[/]", msg=refusal_message(refusal, profile))
        shown = _shorten(report.replaced, 4)
        tail = f"; {shown} move to backup-<time>/ first" if report.replaced else ""
        if report.cas:
            reused = ", ".join(
                f"{ca.files.cert} (until {ca.certificate.not_valid_after_utc:%Y-%m-%d})"
                for ca in report.cas.values()
            )
            return Content.from_markup(
                "[$success]✓[/] signs with the existing $reused$tail", reused=reused, tail=tail
            )
        if report.replaces_ca:
            return Content.from_markup(
                "[$warning]⚠ $shown move to backup-<time>/ first — a NEW CA replaces the old one: "
                "everything it signed stops being trusted, and every component needs the new "
                "$ca[/]",
                shown=shown,
                ca=report.ca_files[0],
            )
        if not report.replaced:
            return Content("")
        return Content.from_markup(
            "[$warning]⚠ $shown move to backup-<time>/ first[/]", shown=shown
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
        job = GenerationJob(self.request(), self.state.revision)
        self._start(job)
        self._worker = self.run_generation(job)

    def cancel(self) -> None:
        """Stop the run (through the worker's own cancelled event): the job stops within
        wizard.generate.CANCEL_POLL, even while a key is being made; nothing is written."""
        if self._job is not None and self._worker is not None:
            self._worker.cancelled_event.set()
            self.log_line("… cancelling")

    def action_cancel(self) -> None:
        """Cancel a running generation (Esc)."""
        self.cancel()

    def _start(self, job: GenerationJob) -> None:
        self._job = job
        self._revealing_outcome = False
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
        self._steps, self._logged = [], 0
        spec = job.request.spec
        key = f"{spec.key.algo.upper()} {spec.key.size}"
        self.log_line(f"generating {key} keys for {job.request.directory}")
        self.show_result("")
        self.set_status("Generating — Esc cancels")

    def show_result(self, content: Content | str) -> None:
        """Show the outcome of the last run under the buttons, wrapped to its full length (or
        hide the line when there is none)."""
        result = self.query_one("#result", Note)
        result.say(content)
        result.display = bool(content)
        if content:
            self.reveal(result)

    def _locked_widgets(self) -> list[Widget]:
        """What may not be used during a run. Generate stays (it does nothing meanwhile) and
        keeps or takes the focus: moving the focus rebuilds the footer, which with the key
        threads running froze the screen for 100-150 ms."""
        return [self.query_one(selector) for selector in ("#output-dir", "#existing")]

    def _stop(self, focus: Widget) -> None:
        """Unlock the choices after a run; the focus goes to `focus` unless the user moved it."""
        self._job = None
        self._worker = None
        for widget in self._locked_widgets():
            widget.disabled = False
        cancel = self.query_one("#cancel", Button)
        if self.focused in (None, cancel, self.query_one("#generate")):
            self.set_focus(focus)
        cancel.disabled = True

    @work(thread=True, exclusive=True, group="generate", exit_on_error=False)
    def run_generation(self, job: GenerationJob) -> None:
        """The worker: the generation job (survey under the directory's lock, keys, one atomic
        write), posting progress. Every refusal and failure is posted in words; nothing is
        half written."""
        steps = self._steps

        def progress(step: Progress) -> None:
            steps.append(step)
            self.post_message(self.Advanced(step))

        profile = job.request.spec.profile
        try:
            outcome = run(
                job.request,
                progress=progress,
                cancel=get_current_worker().cancelled_event,
                command=WIZARD_COMMAND,
            )
        except Cancelled:
            self.post_message(self.Failed("cancelled — nothing was written", cancelled=True))
        except GenerationRefused as error:
            self.post_message(self.Failed(refusal_message(error.refusal, profile)))
        except DirectoryBusy as busy:
            self.post_message(self.Failed(busy_message(busy)))
        except (GenerationError, StoreError, LockError) as error:
            self.post_message(self.Failed(str(error)))
        except Exception as error:  # a bug: say it in words rather than crash the screen
            self.post_message(
                self.Failed(f"unexpected {type(error).__name__}: {error} — nothing was written")
            )
        else:
            self.post_message(self.Finished(outcome))

    @on(Advanced)
    def _advanced(self, event: Advanced) -> None:
        step = event.progress
        self.query_one("#progress", ProgressBar).update(total=step.total, progress=step.done)
        self._log_steps()

    def _log_steps(self) -> None:
        """Log the steps the worker added since the last call (Advanced messages coalesce).
        The count is read once: the worker appends while the lines are written, and those
        steps are the next call's (counting after the writing skipped them)."""
        steps = self._steps
        end = len(steps)
        for step in steps[self._logged : end]:
            self.log_line(f"✓ {step.message}")
        self._logged = end

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        job = self._job
        self._stop(focus=self.nav.query_one("#next"))
        self._log_steps()
        outcome = event.outcome
        result = outcome.result
        self.state.result = result
        if job is not None:
            self._written = (job.request.directory, job.request.policy, job.revision)
        if outcome.lock.took_over is not None:
            self.log_line(
                f"⚠ the last run writing {result.directory} ({outcome.lock.took_over.describe()}) "
                "ended without finishing; its lock was taken over"
            )
        if result.backup is not None:
            self.log_line(f"✓ moved {len(result.backed_up)} old files to {result.backup.name}/")
        self.log_line(f"✓ wrote {len(result.written)} files into {self.state.output_dir}")
        if result.unchanged:
            self.log_line(
                f"✓ kept {len(result.unchanged)} unchanged: {', '.join(result.unchanged)}"
            )
        backup = (
            f"; the {len(result.backed_up)} old files are in {result.backup.name}/"
            if result.backup is not None
            else ""
        )
        self.show_result(
            Content.from_markup(
                "[$success]✓ wrote $n files[/] into $dir$backup",
                n=str(len(result.written)),
                dir=self.state.output_dir,
                backup=backup,
            )
        )
        self.set_status(Content.from_markup("[$success]✓[/] set written — Next inspects it"))
        self.check_directory()
        self._reveal_outcome()

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self._log_steps()
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
