"""Carry out the last written rotation phase on the hosts: the TUI face of `distribute
--rotation KIND`, over the same job (wizard.jobs.rotation_distribution) and the same words
(wizard.jobs.rotation_hosts).

Opened from the Rotate screen (`h`). First the plan as `--dry-run` prints it — the warnings
(no drain_command), who leads etcd and goes last, the waves, hosts and steps, the steps an
earlier run did — then `r` asks and runs it in a thread worker: a progress bar that moves per
step, the current host and what it is doing, Esc (or the button) to cancel — the job stops the
command running on the host and keeps the steps done. At the end the CLI's summary, in the
colour of how it ended: done, stopped at a host (with the rerun words), or cancelled
(resumable: `r` again resumes at the first step not done).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer
from textual.content import Content
from textual.geometry import Region
from textual.widgets import Button, Footer, ProgressBar, Static

from wizard.fleet.distribute import DistributeError
from wizard.fleet.rotation_steps import JumpRunner, run_here
from wizard.fleet.ssh import ssh_client
from wizard.jobs.distribution import ClientFactory
from wizard.jobs.rotation_distribution import (
    RotationDistributionOutcome,
    RotationDistributionRequest,
    StepReport,
    StepState,
    rerun_command,
    run_rotation_distribution,
)
from wizard.jobs.rotation_hosts import step_lines, summary_lines
from wizard.layout import pick_language
from wizard.rotate import CaKind, RotateError
from wizard.rotate.progress import step_key
from wizard.spec import ClusterSpec
from wizard.store.lock import DirectoryBusy, LockError
from wizard.tui.dialogs.confirm import ConfirmDialog
from wizard.tui.dialogs.help import HelpDialog
from wizard.tui.paths import display_path
from wizard.tui.screens.over_wizard import OverWizardScreen
from wizard.tui.widgets.hanging_indent import HangingIndent

__all__ = ["UI", "HostAccess", "RotationHostsScreen", "state_word"]

UI: dict[str, dict[str, str]] = {
    "en": {
        "title": "Carry out --ca {kind}{clients} on the hosts — {directory}",
        "planning": "reading the phase's host steps and the record (nothing is changed)…",
        "plan_head": "The plan, as `distribute --rotation {kind} --dry-run` prints it:",
        "live_head": "Running — each step as it goes (Esc cancels):",
        "ready": "r carries out {left} of {total} steps (asks first) · Esc back",
        "all_done": "every step of phase {phase} is done — Esc back; r on the Rotate screen "
        "writes the next phase",
        "refused": "refused",
        "confirm": "Carry out {phase} of --ca {kind} on the hosts?",
        "confirm_text": (
            "{left} of {total} host steps, wave by wave, one host at a time: each host's files "
            "placed (the old ones backed up beside them), its units restarted and checked "
            "before the next host is touched. Esc cancels: the command running on the host "
            "stops, the record keeps the steps done, r resumes."
        ),
        "yes": "Carry out",
        "no": "Cancel",
        "starting": "connecting to the hosts…",
        "current": "wave {wave} · {label}: {state} · step {number} of {total}",
        "running": "running {phase} on the hosts — Esc cancels",
        "cancelling": "cancelling — the command running on {label} stops now; the steps done "
        "are kept",
        "cancelling_wait": "cancelling — {label} is {state} (a pause of a few seconds, not "
        "cut short): the run stops at its next command; the steps done are kept",
        "done": "done: phase {phase} is on every host",
        "stopped": "stopped at {label} ({state})",
        "cancelled": "cancelled at {label} — resumable",
        "resume": "r resumes here (the steps done are not redone) · Esc back",
        "k_run": "Carry out the steps left (asks first; in a worker); after a stop, resume",
        "k_escape": "Cancel the run (the step running stops); else back to the Rotate screen",
        "k_scroll": "Scroll the plan (↑ ↓ PgUp PgDn)",
        "b_run": "Carry out (r)",
        "b_cancel": "Cancel (Esc)",
        "b_back": "Back (Esc)",
        "help": "On the hosts",
    },
    "zh": {
        "title": "在主机上执行 --ca {kind}{clients} — {directory}",
        "planning": "正在读取本阶段的主机步骤和进度记录（不做任何改动）…",
        "plan_head": "计划，即 `distribute --rotation {kind} --dry-run` 的输出：",
        "live_head": "正在执行 — 各步骤的实时状态（Esc 取消）：",
        "ready": "r 执行剩余 {left}/{total} 步（先确认）· Esc 返回",
        "all_done": "{phase} 阶段的每一步都已完成 — Esc 返回；在轮换页面按 r 写入下一阶段",
        "refused": "拒绝",
        "confirm": "在主机上执行 --ca {kind} 的 {phase}？",
        "confirm_text": (
            "共 {left}/{total} 个主机步骤，按波次、一次一台主机：放置文件（旧文件备份在旁边），"
            "重启服务并检查通过后才处理下一台。Esc 取消：主机上正在执行的命令停止，已完成的步骤"
            "记录在案，按 r 继续。"
        ),
        "yes": "执行",
        "no": "取消",
        "starting": "正在连接主机…",
        "current": "第 {wave} 波 · {label}：{state} · 第 {number}/{total} 步",
        "running": "正在主机上执行 {phase} — Esc 取消",
        "cancelling": "正在取消 — {label} 上正在执行的命令立即停止；已完成的步骤保留",
        "cancelling_wait": "正在取消 — {label} 正在 {state}（几秒的等待，不会缩短）："
        "在它的下一条命令处停止；已完成的步骤保留",
        "done": "完成：{phase} 阶段已在每台主机上",
        "stopped": "在 {label} 停止（{state}）",
        "cancelled": "在 {label} 取消 — 可继续",
        "resume": "r 从这里继续（已完成的步骤不重做）· Esc 返回",
        "k_run": "执行剩余步骤（先确认；在后台运行）；停止后继续",
        "k_escape": "取消执行（当前步骤停止）；否则回到轮换页面",
        "k_scroll": "滚动计划（↑ ↓ PgUp PgDn）",
        "b_run": "执行 (r)",
        "b_cancel": "取消 (Esc)",
        "b_back": "返回 (Esc)",
        "help": "在主机上执行",
    },
}
"""The screen's own words per language; the plan and the summary are the job's (English)."""

STATE_WORDS: dict[str, str] = {
    StepState.DONE: "ok",
    StepState.DONE_BEFORE: "ok",
    StepState.PLACING: "info",
    StepState.DRAINING: "info",
    StepState.RESTARTING: "info",
    StepState.CHECKING: "info",
    StepState.UNDRAINING: "info",
    StepState.UNREACHABLE: "error",
    StepState.FAILED: "error",
    StepState.CANCELLED: "warning",
    StepState.NOT_STARTED: "note",
}
"""The mark word (its colour) of each step state; `waiting` is plain."""


def state_word(state: str) -> str:
    """The mark word of a step state ("" for waiting: plain)."""
    return STATE_WORDS.get(state, "")


def ending_word(outcome: RotationDistributionOutcome) -> str:
    """How a run ended as a mark word: ok (every step done), error (a host stopped it),
    warning (cancelled: nothing broken, the rotation half-way and resumable)."""
    if outcome.finished:
        return "ok"
    stopped = outcome.stopped
    return "warning" if stopped is None or stopped.state == StepState.CANCELLED else "error"


@dataclass(frozen=True)
class HostAccess:
    """How the screen reaches the hosts: SSH and commands on this machine (tests: fake
    hosts, a recorded jump host and no sleeping)."""

    client: ClientFactory = ssh_client
    jump: JumpRunner = run_here
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class StepNews:
    """One state change of a step, copied out of the worker's report."""

    key: str
    state: str
    seconds: float


class RotationHostsScreen(OverWizardScreen[bool]):
    """The written phase's host steps: the plan, the run with progress and cancel, the end.
    Dismisses with True when a run changed something (the Rotate screen reads the stage
    again)."""

    DEFAULT_CSS = """
    RotationHostsScreen { layout: vertical; }
    RotationHostsScreen #rh-title { height: 1; padding: 0 1; text-style: bold; }
    RotationHostsScreen #rh-scroll { height: 1fr; border-top: solid $primary-darken-2; }
    RotationHostsScreen #rh-body { width: 100%; padding: 0 1; }
    RotationHostsScreen #rh-current { height: 1; padding: 0 1; display: none; }
    RotationHostsScreen #rh-progress { height: 1; padding: 0 1; display: none; }
    RotationHostsScreen.-running #rh-current, RotationHostsScreen.-running #rh-progress {
        display: block;
    }
    RotationHostsScreen #rh-buttons { height: 1; padding: 0 1; }
    RotationHostsScreen #rh-buttons Button { width: auto; margin-right: 2; }
    RotationHostsScreen #rh-status { height: auto; padding: 0 1; background: $boost; }
    """
    AUTO_FOCUS = "#rh-scroll"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run", "Carry out"),
        Binding("escape", "close", "Back / cancel"),
        Binding("question_mark,f1", "help", "Help"),
    ]

    def __init__(
        self,
        spec: ClusterSpec,
        directory: Path,
        kind: CaKind,
        *,
        clients_only: bool = False,
        config: str = "cluster.toml",
        language: str | None = None,
        access: HostAccess | None = None,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.directory = Path(directory)
        self.kind = kind
        self.clients_only = clients_only
        self.config = config
        self.language = pick_language(language)
        self.access = access or HostAccess()
        self.running = ""  # "plan", "run" or ""
        self.plan: RotationDistributionOutcome | None = None  # the dry run
        self.outcome: RotationDistributionOutcome | None = None  # the last run
        self.refusal = ""
        self.current: StepNews | None = None
        self.changed = False  # a run placed or restarted something
        self._shown = HangingIndent([])  # what the body shows, line by line
        self._cancel = threading.Event()
        self._ask_after_plan = False

    @property
    def ui(self) -> dict[str, str]:
        """The screen's words in its language."""
        return UI[self.language]

    def request(self, *, dry_run: bool) -> RotationDistributionRequest:
        """What the job is asked (the CLI's request for the same flags)."""
        return RotationDistributionRequest(
            self.spec, self.directory, self.kind, clients_only=self.clients_only,
            dry_run=dry_run,
        )  # fmt: skip

    @property
    def rerun(self) -> str:
        """The command line that resumes the run (the CLI's words)."""
        return rerun_command(self.request(dry_run=False), self.config)

    def compose(self) -> ComposeResult:
        """Title, the plan (then the run, then its end), progress, buttons, status."""
        clients = " --clients-only" if self.clients_only else ""
        title = self.ui["title"].format(
            kind=self.kind, clients=clients, directory=display_path(self.directory)
        )
        yield Static(title, id="rh-title", markup=False)
        with ScrollableContainer(id="rh-scroll", can_focus=True):
            yield Static("", id="rh-body")
        yield Static("", id="rh-current")
        yield ProgressBar(id="rh-progress", show_eta=False)
        with Horizontal(id="rh-buttons"):
            yield Button(self.ui["b_run"], id="rh-run", variant="warning", compact=True)
            yield Button(self.ui["b_cancel"], id="rh-cancel", variant="error", compact=True)
            yield Button(self.ui["b_back"], id="rh-back", variant="primary", compact=True)
        yield Static("", id="rh-status")
        yield Footer()

    def on_mount(self) -> None:
        """The plan, in a worker."""
        self.replan()

    # --- reading (tests read these) ---

    def body_text(self) -> str:
        """The body as plain text."""
        return str(self.query_one("#rh-body", Static).render())

    def status_text(self) -> str:
        """The status line as plain text."""
        return str(self.query_one("#rh-status", Static).render())

    def current_text(self) -> str:
        """The current host and step as plain text."""
        return str(self.query_one("#rh-current", Static).render())

    # --- drawing ---

    def set_status(self, text: str, word: str = "") -> None:
        """The line under the buttons, in a mark's colour when `word` is given."""
        self.query_one("#rh-status", Static).update(_line(text, word) if word else Content(text))

    def _buttons(self) -> None:
        running = self.running == "run"
        self.query_one("#rh-run", Button).display = not running
        self.query_one("#rh-cancel", Button).display = running
        self.query_one("#rh-back", Button).display = not running
        self.set_class(running, "-running")

    def _draw(self) -> None:
        ui, parts = self.ui, []
        outcome = self.outcome
        if self.refusal:
            parts.append(_line(f"{ui['refused']}: {self.refusal}", "error", bold=True))
        elif self.running == "plan" or self.plan is None:
            parts.append(Content(ui["planning"]))
        elif self.running == "run":  # the waves and steps only: the warnings were asked
            parts.append(_line(ui["live_head"], "", bold=True))
            parts += _step_contents(self.plan, steps_only=True)
        elif outcome is None:
            parts.append(_line(ui["plan_head"].format(kind=self.kind), "", bold=True))
            parts += _step_contents(self.plan)
            parts += [Content(""), *(Content(x) for x in summary_lines(self.plan, ""))]
        else:
            word = ending_word(outcome)  # the summary's first line says how it ended
            parts += [_line(x, word, bold=True) if i == 0 else Content(x)
                      for i, x in enumerate(summary_lines(outcome, self.rerun))]  # fmt: skip
            if not outcome.finished:
                parts.append(Content(ui["resume"]))
            parts.append(Content(""))
            parts += _step_contents(outcome)
        self._shown = HangingIndent((part, _hang(part.plain)) for part in parts)
        self.query_one("#rh-body", Static).update(self._shown)

    def _show_step(self, key: str) -> None:
        """Scroll the live list so the step's line (and the one after it) is in view."""
        assert self.plan is not None
        lines = self._shown.lines
        number = [step_key(r.step) for r in self.plan.steps].index(key)
        steps = [i for i, (line, _hang) in enumerate(lines) if line.plain.startswith("  ")]
        at = steps[number] if number < len(steps) else 0  # a host may have a step per wave
        body = self.query_one("#rh-body", Static)
        width = max(body.content_size.width, 1)
        row = _rows(HangingIndent(lines[:at]), width) if at else 0
        below = _rows(HangingIndent(lines[at : at + 2]), width)
        self.query_one("#rh-scroll", ScrollableContainer).scroll_to_region(
            Region(0, row, width, below), animate=False
        )

    def _headline(self, outcome: RotationDistributionOutcome) -> str:
        ui, stopped = self.ui, outcome.stopped
        if outcome.finished:
            return ui["done"].format(phase=outcome.phase)
        if stopped is None:
            return ui["cancelled"].format(label="—")
        key = "cancelled" if stopped.state == StepState.CANCELLED else "stopped"
        return ui[key].format(label=stopped.label, state=stopped.state)

    def _ready(self) -> None:
        plan, ui = self.plan, self.ui
        if self.refusal:
            self.set_status(f"{ui['refused']}: {self.refusal}", "error")
        elif plan is not None:
            left = len(plan.left)
            if left:
                self.set_status(ui["ready"].format(left=left, total=len(plan.steps)))
            else:
                self.set_status(ui["all_done"].format(phase=plan.phase), "ok")

    # --- the plan (the dry run) ---

    def replan(self, *, ask: bool = False) -> None:
        """Read the steps and the record again (the dry run, in a worker); `ask`: then ask
        to carry them out."""
        self.running = "plan"
        self.refusal = ""
        self.outcome = None
        self._ask_after_plan = ask
        self._buttons()
        self._draw()
        self.set_status(self.ui["planning"])
        self._plan_worker(self.request(dry_run=True))

    @work(thread=True, exclusive=True, group="rotation-hosts-plan")
    def _plan_worker(self, request: RotationDistributionRequest) -> None:
        try:
            plan = run_rotation_distribution(request, jump=self.access.jump)
        except (RotateError, DistributeError, OSError) as error:
            self.app.call_from_thread(self._planned, None, str(error))
            return
        self.app.call_from_thread(self._planned, plan, "")

    def _planned(self, plan: RotationDistributionOutcome | None, refusal: str) -> None:
        if not self.is_mounted:
            return
        self.running = ""
        self.plan, self.refusal = plan, refusal
        self._buttons()
        self._draw()
        self._ready()
        if self._ask_after_plan:
            self._ask_after_plan = False
            self.action_run()

    # --- the run ---

    def action_run(self) -> None:
        """Ask, then carry out the steps left (r); after a run, read the record again first."""
        if self.running:
            return
        if self.outcome is not None or self.plan is None or self.refusal:
            if self.outcome is not None and self.outcome.finished:
                self._ready_after(self.outcome)
                return
            self.replan(ask=self.plan is not None)  # what the record says now, then ask
            return
        plan, ui = self.plan, self.ui
        if not plan.left:
            self._ready()
            return
        question = ui["confirm_text"].format(left=len(plan.left), total=len(plan.steps))
        question = "\n\n".join([question, *(f"WARNING: {w}" for w in plan.warnings)])

        def answered(yes: bool | None) -> None:
            if yes:
                self._start_run()

        self.app.push_screen(
            ConfirmDialog(
                ui["confirm"].format(phase=plan.phase, kind=self.kind), question, ui["yes"],
                ui["no"],
            ),
            answered,
        )  # fmt: skip

    def _ready_after(self, outcome: RotationDistributionOutcome) -> None:
        self.set_status(self.ui["all_done"].format(phase=outcome.phase), "ok")

    def _start_run(self) -> None:
        assert self.plan is not None
        self.running = "run"
        self.changed = True
        self._cancel = threading.Event()
        self.current = None
        bar = self.query_one("#rh-progress", ProgressBar)
        bar.update(total=len(self.plan.steps), progress=len(self.plan.done))
        self.query_one("#rh-current", Static).update(self.ui["starting"])
        self._buttons()
        self._draw()
        self.set_status(self.ui["running"].format(phase=self.plan.phase))
        self._run_worker(self.request(dry_run=False), self._cancel)

    @work(thread=True, exclusive=True, group="rotation-hosts-run")
    def _run_worker(self, request: RotationDistributionRequest, cancel: threading.Event) -> None:
        def told(report: StepReport) -> None:
            news = StepNews(step_key(report.step), report.state, report.seconds)
            self.app.call_from_thread(self._progressed, news)

        access = self.access
        try:
            outcome = run_rotation_distribution(
                request, on_progress=told, cancel=cancel, client=access.client,
                jump=access.jump, sleep=access.sleep,
            )  # fmt: skip
        except (RotateError, DistributeError, DirectoryBusy, LockError, OSError) as error:
            self.app.call_from_thread(self._refused, str(error))
            return
        self.app.call_from_thread(self._ran, outcome)

    def _progressed(self, news: StepNews) -> None:
        plan = self.plan
        if plan is None or not self.is_mounted:
            return
        found = [(i, r) for i, r in enumerate(plan.steps) if step_key(r.step) == news.key]
        if not found:
            return
        number, report = found[0]
        report.state, report.seconds = news.state, news.seconds
        self.current = news
        self.query_one("#rh-current", Static).update(
            _line(
                self.ui["current"].format(
                    wave=report.step.wave, label=report.label, state=news.state,
                    number=number + 1, total=len(plan.steps),
                ),
                state_word(news.state),
            )
        )  # fmt: skip
        bar = self.query_one("#rh-progress", ProgressBar)
        bar.update(total=len(plan.steps), progress=len(plan.done))
        self._draw()
        self.call_after_refresh(self._show_step, news.key)

    def _ran(self, outcome: RotationDistributionOutcome) -> None:
        self.running = ""
        self.outcome = outcome
        if not self.is_mounted:
            return
        self._buttons()
        self._draw()
        self.query_one("#rh-scroll", ScrollableContainer).scroll_home(animate=False)
        self.set_status(self._headline(outcome), ending_word(outcome))

    def _refused(self, words: str) -> None:
        self.running = ""
        self.refusal = words
        if not self.is_mounted:
            return
        self._buttons()
        self._draw()
        self._ready()

    def cancel(self) -> None:
        """Stop the run: the job's cancel (the command running on the host is stopped; no
        step starts after it)."""
        if self.running != "run":
            return
        self._cancel.set()
        label, state = "—", ""
        if self.current is not None and self.plan is not None:
            label = next(
                (r.label for r in self.plan.steps if step_key(r.step) == self.current.key), label
            )
            state = self.current.state
        # the job's settle after an etcd check and its waits around a drain are sleeps
        pausing = state in (StepState.CHECKING, StepState.DRAINING, StepState.UNDRAINING)
        words = self.ui["cancelling_wait" if pausing else "cancelling"]
        self.set_status(words.format(label=label, state=state), "warning")

    # --- keys and buttons ---

    @on(Button.Pressed, "#rh-run")
    def _run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#rh-cancel")
    def _cancel_pressed(self) -> None:
        self.cancel()

    @on(Button.Pressed, "#rh-back")
    def _back_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        """Esc: cancel a run, or go back when none is running."""
        if self.running == "run":
            self.cancel()
            return
        self.dismiss(self.changed)

    def action_help(self) -> None:
        """The keys of this screen."""
        ui = self.ui
        keys = [("r", ui["k_run"]), ("Esc", ui["k_escape"]), ("↑ ↓", ui["k_scroll"])]
        self.app.push_screen(HelpDialog([(ui["help"], keys)]))


def _step_contents(
    outcome: RotationDistributionOutcome, *, steps_only: bool = False
) -> list[Content]:
    """The job's step lines, each step's line in the colour of its state (its word is in the
    line: the colour only repeats it), the warnings in the warning colour; `steps_only`: the
    waves and steps alone."""
    reports = iter(outcome.steps)
    parts = []
    for line in step_lines(outcome):
        if steps_only and not line.startswith(("  ", "wave ")):
            continue
        if line.startswith("WARNING: "):
            parts.append(_line(line, "warning", bold=True, symbol=False))
        elif line.startswith("  "):
            report = next(reports)
            parts.append(_line(line, state_word(report.state), symbol=False))
        elif line.startswith("wave "):
            parts.append(_line(line, "", bold=True))
        else:
            parts.append(Content(line))
    return parts


def _rows(lines: HangingIndent, width: int) -> int:
    """How many rows the lines take at this width."""
    return lines.wrapped(width).plain.count("\n") + 1


def _hang(line: str) -> int:
    """Where a line's wrapped rows start: under a warning's text, two cells in from an
    indented step's start, else two cells in (past a mark's symbol)."""
    if line.startswith("WARNING: "):
        return len("WARNING: ")
    return len(line) - len(line.lstrip(" ")) + 2


def _line(text: str, word: str, *, bold: bool = False, symbol: bool = True) -> Content:
    """A line in a mark's readable colour (with its symbol first unless `symbol` is False),
    or plain."""
    if not word:
        return Content.from_markup("[b]$text[/]" if bold else "$text", text=text)
    from wizard.marks import mark_of
    from wizard.tui.looks import text_style

    style = f"{'bold ' if bold else ''}{text_style(word)}"
    shown = f"{mark_of(word).symbol} {text}" if symbol else text
    return Content.from_markup(f"[{style}]$text[/]", text=shown)
