"""The Rotate screen: rotate a CA (or the service-account key) of the set, one phase at a time.

A tab per CA the profile has (cluster, etcd, front-proxy, sa; a CA two kinds share is one tab).
For the chosen one: the stage worked out from the files, the next phase's plan as the dry run
prints it — DOWNTIME and the traps first, then the diff and the hosts' order — or, with `e`, the
phase diagram (en/zh, `l`). `r` runs the phase in a worker through wizard.jobs.rotation (a
progress bar per key and certificate; Esc cancels until the write begins), `u` undoes the last
phase after a confirm. Once a phase is written and not yet on every host (just written, or
found so when the screen opens after an interruption) the body says so and `h` carries it out
on the hosts (wizard.tui.screens.rotation_hosts: `distribute --rotation`'s job and words).
Every message is the domain's (wizard.rotate), the CLI's words: this screen only renders them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.content import Content
from textual.widgets import Footer, ProgressBar, Static, Tab, Tabs

from wizard.jobs.rotation import (
    RotationCancelled,
    RotationOutcome,
    RotationProgress,
    RotationRequest,
    RotationUndoOutcome,
    run_rotation,
    run_rotation_undo,
)
from wizard.jobs.rotation_hosts import PendingPhase, pending_phase
from wizard.layout import pick_language
from wizard.rotate import (
    CaKind,
    Phase,
    RotateError,
    RotationState,
    Target,
    detect,
    explain_lines,
    outcome_lines,
    plan_lines,
    target_for,
    undo_lines,
    undo_outcome_lines,
)
from wizard.spec import ClusterSpec
from wizard.store.lock import DirectoryBusy, LockError
from wizard.tui.dialogs.confirm import ConfirmDialog
from wizard.tui.dialogs.help import HelpDialog
from wizard.tui.paths import display_path
from wizard.tui.screens.over_wizard import OverWizardScreen
from wizard.tui.screens.rotation_hosts import HostAccess, RotationHostsScreen

__all__ = ["UI", "RotateScreen", "available_kinds"]

UI: dict[str, dict[str, str]] = {
    "en": {
        "title": "Rotate a CA — the set in {directory} · profile {profile}",
        "stage": "stage: {stage} · next phase: {phase}",
        "stage_unknown": "stage: not readable",
        "options": "cross-sign (x): {cross} · clients only (k): {clients}",
        "on": "on",
        "off": "off",
        "planning": "working out the next phase (the dry run: nothing is written)…",
        "plan_head": "The next phase, as `{command} --dry-run` prints it:",
        "phases_head": "The phases of --ca {kind} (e: back to the plan · l: 中文)",
        "refused": "refused",
        "done": "done",
        "cancelled": "cancelled",
        "no_ca": "The profile has no CA to rotate in this set.",
        "ready": "r runs {phase} · u undoes the last phase · e the phases · Esc back",
        "pending": "{words} — h carries it out on the hosts",
        "ready_pending": "h carries {phase} out on the hosts · r runs {next} · u undo · Esc back",
        "running": "{words} — Esc cancels",
        "running_late": "{words} — it cannot stop now: one atomic swap",
        "cancelling": "cancelling — the run stops before its next key…",
        "confirm_run": "Run {phase}?",
        "confirm_run_text": (
            "{phase} of --ca {kind} writes {count} file change(s) into {directory}, the "
            "replaced files into a backup-*/ folder (u undoes it). Then the hosts, in the "
            "order the plan gives."
        ),
        "confirm_undo": "Undo {phase}?",
        "confirm_undo_text": (
            "Put back {backup} (the files {phase} of --ca {kind} replaced: {count} restored, "
            "{removed} removed). The current files go to a new backup first."
        ),
        "yes_run": "Run",
        "yes_undo": "Undo",
        "no": "Cancel",
        "ran": "{phase} of --ca {kind} written",
        "undone": "{phase} of --ca {kind} undone",
        "help": "Rotate",
        "k_ca": "Choose the CA (or click its tab)",
        "k_run": "Run the next phase (asks first; in a worker)",
        "k_hosts": "Carry out the last written phase on the hosts (distribute --rotation)",
        "k_undo": "Undo the last phase of this CA (asks first)",
        "k_explain": "The phase diagram / the next phase's plan",
        "k_language": "Switch the diagram's language (English / 中文)",
        "k_cross": "prepare: cross-sign the new CA with the old (--cross-sign)",
        "k_clients": "cluster CA: rotate client trust only (--clients-only)",
        "k_escape": "Cancel a running phase; else go back",
        "k_scroll": "Scroll the plan (↑ ↓ PgUp PgDn, ← → for long lines)",
        "b_run": "Run",
        "b_undo": "Undo",
        "b_explain": "Phases",
        "b_language": "中文",
        "b_back": "Back / cancel",
        "b_help": "Help",
    },
    "zh": {
        "title": "轮换 CA — 证书目录 {directory} · 方案 {profile}",
        "stage": "阶段：{stage} · 下一步：{phase}",
        "stage_unknown": "阶段：无法读出",
        "options": "交叉签名（x）：{cross} · 只换客户端信任（k）：{clients}",
        "on": "开",
        "off": "关",
        "planning": "正在计算下一阶段（演练：不写任何文件）…",
        "plan_head": "下一阶段，即 `{command} --dry-run` 的输出：",
        "phases_head": "--ca {kind} 的各阶段（e：回到计划 · l：English）",
        "refused": "拒绝",
        "done": "完成",
        "cancelled": "已取消",
        "no_ca": "此方案在这套证书里没有可轮换的 CA。",
        "ready": "r 执行 {phase} · u 撤销上一阶段 · e 各阶段 · Esc 返回",
        "pending": "{words} — 按 h 在主机上执行",
        "ready_pending": "h 在主机上执行 {phase} · r 执行 {next} · u 撤销 · Esc 返回",
        "running": "{words} — Esc 取消",
        "running_late": "{words} — 已无法停止：一次原子替换",
        "cancelling": "正在取消 — 在下一个密钥之前停止…",
        "confirm_run": "执行 {phase}？",
        "confirm_run_text": (
            "--ca {kind} 的 {phase} 会在 {directory} 写入 {count} 处文件变更，被替换的文件放进 "
            "backup-*/ 目录（u 可撤销）。然后按计划的顺序处理各主机。"
        ),
        "confirm_undo": "撤销 {phase}？",
        "confirm_undo_text": (
            "恢复 {backup}（--ca {kind} 的 {phase} 替换的文件：恢复 {count} 个，删除 {removed} "
            "个）。当前文件先放进新的备份。"
        ),
        "yes_run": "执行",
        "yes_undo": "撤销",
        "no": "取消",
        "ran": "已写入 --ca {kind} 的 {phase}",
        "undone": "已撤销 --ca {kind} 的 {phase}",
        "help": "轮换",
        "k_ca": "选择 CA（或点击标签）",
        "k_run": "执行下一阶段（先确认；在后台运行）",
        "k_hosts": "在主机上执行最近写入的阶段（distribute --rotation）",
        "k_undo": "撤销此 CA 的上一阶段（先确认）",
        "k_explain": "阶段图 / 下一阶段的计划",
        "k_language": "切换阶段图的语言（English / 中文）",
        "k_cross": "prepare：用旧 CA 交叉签名新 CA（--cross-sign）",
        "k_clients": "集群 CA：只轮换客户端信任（--clients-only）",
        "k_escape": "取消正在执行的阶段；否则返回",
        "k_scroll": "滚动计划（↑ ↓ PgUp PgDn，← → 看长行）",
        "b_run": "执行",
        "b_undo": "撤销",
        "b_explain": "阶段图",
        "b_language": "English",
        "b_back": "返回 / 取消",
        "b_help": "帮助",
    },
}
"""The screen's own words per language; the plan and the refusals are the domain's (English)."""


def available_kinds(spec: ClusterSpec, directory: Path | None) -> list[tuple[CaKind, str]]:
    """The kinds this profile can rotate, one per CA: (kind, tab label); a CA two kinds name
    (the classic set's one CA) is one tab, `cluster = etcd`."""
    found: dict[str, list[CaKind]] = {}
    for kind in CaKind:
        try:
            target = target_for(kind, spec, directory)
        except RotateError:
            continue
        found.setdefault(target.entry.name, []).append(kind)
    return [(kinds[0], " = ".join(str(k) for k in kinds)) for kinds in found.values()]


@dataclass
class Planned:
    """What the screen knows of the chosen CA: its target and stage, the dry run of the next
    phase, or the refusal that stopped either."""

    kind: CaKind
    target: Target | None = None
    state: RotationState | None = None
    dry_run: RotationOutcome | None = None
    refusal: str = ""
    pending: PendingPhase | None = None  # the last written phase, not on every host yet


@dataclass
class LastRun:
    """The last phase or undo this screen ran, for the top of the body."""

    word: str  # "ok" | "error" | "note" (a mark of wizard.marks)
    headline: str
    lines: list[str] = field(default_factory=list)


def _refusal(error: Exception) -> str:
    return str(error)


class RotateScreen(OverWizardScreen[None]):
    """One CA's rotation: stage, the next phase's dry run or the phase diagram, run and undo."""

    DEFAULT_CSS = """
    RotateScreen { layout: vertical; }
    RotateScreen #rotate-title { height: 1; padding: 0 1; text-style: bold; }
    RotateScreen #rotate-cas { height: 2; }
    RotateScreen #rotate-stage { height: auto; padding: 0 1; }
    RotateScreen #rotate-scroll { height: 1fr; border-top: solid $primary-darken-2; }
    RotateScreen #rotate-body { width: 100%; padding: 0 1; }
    RotateScreen #rotate-body.-diagram { width: auto; min-width: 100%; }
    RotateScreen #rotate-progress { height: 1; padding: 0 1; display: none; }
    RotateScreen #rotate-progress.-running { display: block; }
    RotateScreen #rotate-status { height: auto; padding: 0 1; background: $boost; }
    """
    AUTO_FOCUS = "#rotate-scroll"

    def __init__(
        self,
        spec: ClusterSpec,
        directory: Path,
        *,
        language: str | None = None,
        now: datetime | None = None,
        config: str = "cluster.toml",
        access: HostAccess | None = None,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.config = config  # the cluster file the rerun words name
        self.access = access  # how the hosts are reached (None: SSH; tests: fake hosts)
        self.directory = Path(directory)
        self.language = pick_language(language)
        self.now = now
        self.kinds = available_kinds(spec, self.directory)
        self.kind: CaKind | None = self.kinds[0][0] if self.kinds else None
        self.cross_sign = False
        self.clients_only = False
        self.view = "plan"  # "plan" | "phases"
        self.planned: Planned | None = None
        self.last: LastRun | None = None
        self.running = ""  # "plan", "run", "undo" or ""
        self.progress: RotationProgress | None = None
        self._cancel = threading.Event()
        self._serial = 0

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"choose({n})", show=False) for n in range(1, 5)),
        Binding("r", "run", "Run"),
        Binding("u", "undo", "Undo"),
        Binding("h", "hosts", "Hosts"),
        Binding("e", "explain", "Phases"),
        Binding("l", "language", "中文"),
        Binding("x", "toggle_cross", "Cross-sign", show=False),
        Binding("k", "toggle_clients", "Clients only", show=False),
        Binding("escape", "close", "Back / cancel"),
        Binding("question_mark,f1", "help", "Help"),
    ]

    @property
    def ui(self) -> dict[str, str]:
        """The screen's words in its language."""
        return UI[self.language]

    def compose(self) -> ComposeResult:
        """Title, a tab per CA, the stage and options, the plan or diagram, progress, status."""
        yield Static("", id="rotate-title", markup=False)
        yield Tabs(*(Tab(label, id=f"ca-{kind}") for kind, label in self.kinds), id="rotate-cas")
        yield Static("", id="rotate-stage")
        with ScrollableContainer(id="rotate-scroll", can_focus=True):
            yield Static("", id="rotate-body")
        yield ProgressBar(id="rotate-progress", show_eta=False)
        yield Static("", id="rotate-status")
        yield Footer()

    def on_mount(self) -> None:
        """The first CA's dry run, in a worker."""
        self._draw_title()
        if self.kind is None:
            self._body(Content(self.ui["no_ca"]))
            self.set_status(self.ui["no_ca"])
            return
        self.replan()

    # --- drawing ---

    def _draw_title(self) -> None:
        self.query_one("#rotate-title", Static).update(
            self.ui["title"].format(
                directory=display_path(self.directory), profile=self.spec.profile
            )
        )

    def _body(self, content: Content, *, diagram: bool = False) -> None:
        body = self.query_one("#rotate-body", Static)
        body.set_class(diagram, "-diagram")  # the diagram scrolls sideways; the plan wraps
        body.update(content)

    def set_status(self, text: str, word: str = "") -> None:
        """The line under the plan, in a mark's colour when `word` is given."""
        status = self.query_one("#rotate-status", Static)
        status.update(_line(text, word) if word else Content(text))

    def status_text(self) -> str:
        """The status line as plain text (tests read it)."""
        return str(self.query_one("#rotate-status", Static).render())

    def body_text(self) -> str:
        """The body as plain text (tests read it)."""
        return str(self.query_one("#rotate-body", Static).render())

    def _draw_stage(self) -> None:
        ui, planned = self.ui, self.planned
        stage_line = ui["stage_unknown"]
        if planned is not None and planned.state is not None:
            stage_line = ui["stage"].format(
                stage=planned.state.stage, phase=planned.state.next_phase
            )
        options = ui["options"].format(
            cross=ui["on"] if self.cross_sign else ui["off"],
            clients=ui["on"] if self.clients_only else ui["off"],
        )
        self.query_one("#rotate-stage", Static).update(
            Content.from_markup("[b]$stage[/]\n$options", stage=stage_line, options=options)
        )

    def _draw_body(self) -> None:
        planned, ui = self.planned, self.ui
        parts: list[Content] = []
        if planned is not None and planned.pending is not None and not self.running:
            words = ui["pending"].format(words=planned.pending.words())
            parts += [_line(words, "warning", bold=True), Content("")]
        if self.last is not None:
            parts.append(_line(self.last.headline, self.last.word, bold=True))
            parts += [_plan_line(line) for line in self.last.lines]
            parts.append(Content(""))
        if self.running == "plan" or planned is None:
            parts.append(Content(ui["planning"]))
        elif self.view == "phases" and planned.target is not None:
            parts.append(_line(ui["phases_head"].format(kind=planned.kind), "", bold=True))
            parts += [Content(line) for line in explain_lines(planned.target, self.language)]
        elif planned.refusal:
            parts.append(_line(f"{ui['refused']}: {planned.refusal}", "error", bold=True))
            if planned.state is not None:
                parts += [Content(f"  {e}") for e in planned.state.evidence]
        elif planned.dry_run is not None:
            plan = planned.dry_run.plan
            parts.append(_line(ui["plan_head"].format(command=self._command()), "", bold=True))
            parts += [_plan_line(line) for line in plan_lines(plan, dry_run=True)]
        diagram = self.view == "phases" and planned is not None and not self.running
        self._body(Content("\n").join(parts), diagram=diagram)

    def _command(self) -> str:
        words = ["rotate-ca", "--ca", str(self.kind)]
        if self.clients_only:
            words.append("--clients-only")
        if self.cross_sign:
            words.append("--cross-sign")
        return " ".join(words)

    def _ready_status(self) -> None:
        planned = self.planned
        if planned is None:
            return
        if planned.dry_run is not None:
            ready = self.ui["ready"].format(phase=planned.dry_run.plan.phase)
            if planned.pending is not None:
                ready = self.ui["ready_pending"].format(
                    phase=planned.pending.phase, next=planned.dry_run.plan.phase
                )
            if self.last is not None:  # what just ran stays said, with what comes next
                self.set_status(f"{self.last.headline} · {ready}", self.last.word)
            else:
                self.set_status(ready)
        elif planned.refusal:
            self.set_status(f"{self.ui['refused']}: {planned.refusal}", "error")

    # --- the dry run of the next phase ---

    def replan(self) -> None:
        """Read the stage and plan the next phase again (a dry run, in a worker)."""
        if self.kind is None:
            return
        self._serial += 1
        self.running = "plan"
        self.planned = None
        self._draw_stage()
        self._draw_body()
        self.set_status(self.ui["planning"])
        self._plan_worker(self._serial, self._request(None, dry_run=True))

    def _request(self, phase: Phase | None, *, dry_run: bool) -> RotationRequest:
        assert self.kind is not None
        return RotationRequest(
            self.spec,
            self.directory,
            self.kind,
            phase,
            dry_run=dry_run,
            cross_sign=self.cross_sign,
            clients_only=self.clients_only,
        )

    @work(thread=True, group="rotate-plan")
    def _plan_worker(self, serial: int, request: RotationRequest) -> None:
        planned = Planned(request.kind)
        try:
            planned.target = target_for(
                request.kind, request.spec, request.directory, clients_only=request.clients_only
            )
            planned.state = detect(request.directory.absolute(), planned.target)
            planned.pending = pending_phase(
                request.spec, request.directory, request.kind, clients_only=request.clients_only
            )
            planned.dry_run = run_rotation(request)
        except RotateError as error:
            planned.refusal = _refusal(error)
        self.app.call_from_thread(self._planned, serial, planned)

    def _planned(self, serial: int, planned: Planned) -> None:
        if serial != self._serial or not self.is_mounted:
            return  # the CA or an option changed meanwhile: a newer plan is on its way
        self.planned = planned
        if self.running == "plan":
            self.running = ""
        self._draw_stage()
        self._draw_body()
        if not self.running:
            self._ready_status()

    # --- choosing ---

    @on(Tabs.TabActivated, "#rotate-cas")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is None or event.tab.id is None:
            return
        kind = CaKind(event.tab.id.removeprefix("ca-"))
        if kind is self.kind or self.running in ("run", "undo"):
            return
        self.kind = kind
        if kind is not CaKind.CLUSTER:
            self.clients_only = False
        self.last = None
        self.replan()

    def action_choose(self, number: int) -> None:
        """Choose the n-th CA (1–4)."""
        if self.running in ("run", "undo") or not 1 <= number <= len(self.kinds):
            return
        self.query_one("#rotate-cas", Tabs).active = f"ca-{self.kinds[number - 1][0]}"

    def action_toggle_cross(self) -> None:
        """--cross-sign on or off (prepare only)."""
        if self.running in ("run", "undo"):
            return
        self.cross_sign = not self.cross_sign
        self.replan()

    def action_toggle_clients(self) -> None:
        """--clients-only on or off (the cluster CA only: other kinds are refused in words)."""
        if self.running in ("run", "undo"):
            return
        self.clients_only = not self.clients_only
        self.last = None
        self.replan()

    def action_explain(self) -> None:
        """The phase diagram, or back to the plan (e)."""
        self.view = "plan" if self.view == "phases" else "phases"
        self._draw_body()

    def action_language(self) -> None:
        """English or Chinese for the screen's words and the diagram (l)."""
        self.language = "zh" if self.language == "en" else "en"
        self._draw_title()
        self._draw_stage()
        self._draw_body()
        if not self.running:
            self._ready_status()
        self.refresh_bindings()

    # --- running a phase ---

    def action_run(self) -> None:
        """Run the phase the dry run shows, after a confirm (r)."""
        planned = self.planned
        if self.running or planned is None or planned.dry_run is None:
            if planned is not None and planned.refusal and not self.running:
                self.set_status(f"{self.ui['refused']}: {planned.refusal}", "error")
            return
        plan = planned.dry_run.plan
        ui = self.ui
        question = ui["confirm_run_text"].format(
            phase=plan.phase,
            kind=planned.kind,
            count=len(plan.changes),
            directory=display_path(self.directory),
        )
        warnings = [w for w in plan.warnings if w.startswith("DOWNTIME")]
        if planned.pending is not None:  # the hosts first: the next phase takes trust away
            warnings.insert(0, ui["pending"].format(words=planned.pending.words()))
        if warnings:
            question = "\n\n".join([question, *warnings])

        def answered(yes: bool | None) -> None:
            if yes:
                self._start_run(plan.phase)

        self.app.push_screen(
            ConfirmDialog(
                ui["confirm_run"].format(phase=plan.phase), question, ui["yes_run"], ui["no"]
            ),
            answered,
        )

    def _start_run(self, phase: Phase) -> None:
        self.running = "run"
        self._cancel = threading.Event()
        bar = self.query_one("#rotate-progress", ProgressBar)
        bar.update(total=3, progress=0)
        bar.add_class("-running")
        self.set_status(self.ui["running"].format(words="…"))
        self._run_worker(self._request(phase, dry_run=False))

    @work(thread=True, exclusive=True, group="rotate-run")
    def _run_worker(self, request: RotationRequest) -> None:
        def told(progress: RotationProgress) -> None:
            self.app.call_from_thread(self._progressed, progress)

        try:
            outcome = run_rotation(request, on_progress=told, cancel=self._cancel)
        except RotationCancelled as cancelled:
            self.app.call_from_thread(self._ran, LastRun("note", str(cancelled)))
            return
        except (RotateError, DirectoryBusy, LockError) as error:
            self.app.call_from_thread(self._ran, LastRun("error", _refusal(error)))
            return
        plan = outcome.plan
        lines = plan_lines(plan, dry_run=False) + [""] + outcome_lines(plan, outcome.result)
        headline = UI[self.language]["ran"].format(phase=plan.phase, kind=request.kind)
        self.app.call_from_thread(self._ran, LastRun("ok", headline, lines))

    def _progressed(self, progress: RotationProgress) -> None:
        self.progress = progress
        bar = self.query_one("#rotate-progress", ProgressBar)
        bar.update(total=progress.total, progress=progress.done)
        if self._cancel.is_set() and progress.cancellable:
            return
        key = "running" if progress.cancellable else "running_late"
        self.set_status(self.ui[key].format(words=progress.words))

    def _ran(self, last: LastRun) -> None:
        self.running = ""
        self.progress = None
        self.query_one("#rotate-progress", ProgressBar).remove_class("-running")
        self.last = last
        self.view = "plan"
        if not self.is_mounted:
            return
        self.replan()
        self.set_status(last.headline, last.word)

    def cancel(self) -> None:
        """Stop a running phase before its write (checked before each key and the write)."""
        if self.running in ("run", "undo"):
            self._cancel.set()
            late = self.progress is not None and not self.progress.cancellable
            if not late:
                self.set_status(self.ui["cancelling"], "note")

    # --- on the hosts ---

    def action_hosts(self) -> None:
        """Carry out the last written phase on the hosts (h): its own screen, the plan first."""
        if self.running or self.kind is None:
            return

        def back(changed: bool | None) -> None:
            if changed and self.is_mounted:
                self.replan()  # the record moved on: the pending line and the next phase

        self.app.push_screen(
            RotationHostsScreen(
                self.spec, self.directory, self.kind, clients_only=self.clients_only,
                config=self.config, language=self.language, access=self.access,
            ),
            back,
        )  # fmt: skip

    # --- undo ---

    def action_undo(self) -> None:
        """Undo the last phase of this CA, after a confirm that names what it puts back (u)."""
        if self.running or self.kind is None:
            return
        self.running = "undo"
        self._undo_worker(self.kind, self.clients_only, True)

    @work(thread=True, exclusive=True, group="rotate-run")
    def _undo_worker(self, kind: CaKind, clients_only: bool, dry_run: bool) -> None:
        try:
            outcome = run_rotation_undo(
                self.spec, self.directory, kind, clients_only=clients_only, dry_run=dry_run
            )
        except (RotateError, DirectoryBusy, LockError) as error:
            self.app.call_from_thread(self._undo_refused, _refusal(error))
            return
        if dry_run:
            self.app.call_from_thread(self._confirm_undo, outcome)
            return
        lines = undo_lines(outcome.plan, dry_run=False) + undo_outcome_lines(outcome.result)
        headline = UI[self.language]["undone"].format(phase=outcome.plan.phase, kind=kind)
        self.app.call_from_thread(self._ran, LastRun("ok", headline, lines))

    def _undo_refused(self, words: str) -> None:
        self.running = ""
        self.last = LastRun("error", f"{self.ui['refused']}: {words}")
        self._draw_body()
        self.set_status(self.last.headline, "error")

    def _confirm_undo(self, outcome: RotationUndoOutcome) -> None:
        self.running = ""
        plan, ui = outcome.plan, self.ui
        question = ui["confirm_undo_text"].format(
            backup=plan.backup.name,
            phase=plan.phase,
            kind=plan.kind,
            count=len(plan.files),
            removed=len(plan.remove),
        )

        def answered(yes: bool | None) -> None:
            if yes and self.kind is not None:
                self.running = "undo"
                self._cancel = threading.Event()
                self._undo_worker(self.kind, self.clients_only, False)

        self.app.push_screen(
            ConfirmDialog(
                ui["confirm_undo"].format(phase=plan.phase), question, ui["yes_undo"], ui["no"]
            ),
            answered,
        )

    # --- leaving ---

    def action_close(self) -> None:
        """Esc: cancel a running phase, or go back when none is running."""
        if self.running in ("run", "undo"):
            self.cancel()
            return
        self.dismiss(None)

    def action_help(self) -> None:
        """The keys of this screen."""
        ui = self.ui
        keys = [
            ("1 … 4", ui["k_ca"]),
            ("r", ui["k_run"]),
            ("u", ui["k_undo"]),
            ("h", ui["k_hosts"]),
            ("e", ui["k_explain"]),
            ("l", ui["k_language"]),
            ("x", ui["k_cross"]),
            ("k", ui["k_clients"]),
            ("Esc", ui["k_escape"]),
            ("↑ ↓ ← →", ui["k_scroll"]),
        ]
        self.app.push_screen(HelpDialog([(ui["help"], keys)]))


def _plan_line(line: str) -> Content:
    """A line of the domain's plan: DOWNTIME in the error colour, the other warnings in the
    warning colour, the rest plain."""
    if line.startswith("WARNING: DOWNTIME"):
        return _line(line, "error", bold=True)
    if line.startswith("WARNING: "):
        return _line(line, "warning", bold=True)
    return Content(line)


def _line(text: str, word: str, *, bold: bool = False) -> Content:
    """A line in a mark's readable colour (`error`, `warning`, `ok`, `note`), or plain."""
    if not word:
        return Content.from_markup("[b]$text[/]" if bold else "$text", text=text)
    from wizard.marks import mark_of
    from wizard.tui.looks import text_style

    symbol = mark_of(word).symbol
    style = f"{'bold ' if bold else ''}{text_style(word)}"
    return Content.from_markup(f"[{style}]$symbol $text[/]", symbol=symbol, text=text)
