"""The Hosts screen: each host's plan, distribute, and what `check` and `probe` say about it.

One row per host of cluster.toml (and one per VIP): its roles, how many files its plan gives it,
the last distribute, check (read back over SSH) and probe (TLS from this machine) in colour and
in words. `d` distributes: the diff per host first (a dry run), then a question — place the
files, place them and restart what reads them (the CLI's --restart), or nothing — then the run.
`c` checks, `p` probes. The same jobs as the CLI (wizard.jobs.distribution, .checking), run in
a thread worker; each host's row changes as its answer comes, and Esc cancels a run (hosts not
started say so) before it closes the screen. The highlighted host's plan, diff and findings are
listed below.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from wizard.fleet.check import HostCheck, InventoryReader
from wizard.fleet.distribute import DistributeError, Status
from wizard.fleet.inventory import OWED, HostExpectation, expected_files
from wizard.fleet.probe import DEFAULT_TIMEOUT, EndpointProbe
from wizard.fleet.ssh import ssh_client
from wizard.jobs.checking import CheckRefused, FleetRequest, run_check, run_probe
from wizard.jobs.distribution import (
    ClientFactory,
    DistributionOutcome,
    DistributionRequest,
    HostProgress,
    HostReport,
    Phase,
    run_distribution,
)
from wizard.marks import SEVERITY_ORDER, mark_of
from wizard.review import Finding
from wizard.spec import ClusterSpec
from wizard.tui.dialogs.distribute import DistributeChoice, DistributeDialog
from wizard.tui.dialogs.help import HelpDialog
from wizard.tui.looks import colour_name
from wizard.tui.paths import display_path
from wizard.tui.screens.over_wizard import OverWizardScreen

__all__ = ["HOSTS_KEYS", "HostsScreen", "verdict"]

HOSTS_KEYS: list[tuple[str, str]] = [
    ("d", "Distribute: the diff per host first, then place the files (and restart, if chosen)"),
    ("c", "Check: read back each host's files over SSH and compare them with the set"),
    ("p", "Probe: connect to each endpoint and compare what it serves with the set"),
    ("↑ ↓", "Pick a host: its plan and findings are listed below the table"),
    ("Esc", "Cancel a running distribute, check or probe; else go back"),
]
COLUMNS = (("host", "host"), ("roles", "roles"), ("plan", "plan"), ("files", "files"),
           ("check", "check"), ("probe", "probe"))  # fmt: skip
RUNNING = (Phase.WAITING, Phase.READING, Phase.PLACING, Phase.RESTARTING)
PHASE_WORDS = {
    Phase.PLACED: "ok",
    Phase.UNCHANGED: "ok",
    Phase.DIFFED: "ok",
    Phase.RESTARTED: "ok",
    Phase.UNREACHABLE: "error",
    Phase.FAILED: "error",
    Phase.CANCELLED: "note",
}


def distribute_verdict(report: HostReport, dry_run: bool) -> tuple[str, str]:
    """(severity word, words) for a host's files cell after a distribute or its diff; a host
    owing a restart says `needs restart` (the detail below says what and why)."""
    if report.phase is Phase.CANCELLED:
        return "note", "cancelled"
    if report.phase is Phase.UNREACHABLE:
        return "error", "unreachable"
    if report.error:
        return "error", "failed" if report.phase is Phase.FAILED else "not restarted"
    change = report.diff
    if change is None:
        return "note", report.phase.value
    if dry_run:
        if change.clean:
            return ("warning", "needs restart") if report.pending else ("ok", "has its files")
        counts = change.counts
        new, changed = counts[Status.NEW.value], counts[Status.CHANGED.value]
        words = (
            ", ".join(f"{n} {what}" for n, what in ((new, "new"), (changed, "changed")) if n)
            or "to complete"
        )
        return "warning", words
    if report.phase is Phase.RESTARTED:
        return "ok", "restarted"
    if report.applied is not None and report.applied.written:
        placed = f"placed {len(report.applied.written)}"
        return ("warning", f"{placed}, needs restart") if report.owed else ("ok", placed)
    return ("warning", "needs restart") if report.pending else ("ok", "has its files")


def verdict(findings: list[Finding], error: str = "") -> tuple[str, str]:
    """(severity word, words) for a host's row: `✗ 2 errors`, `⚠ 1 warning`, `✓ clean`."""
    if error == "cancelled" or any(f.message.endswith("cancelled") for f in findings):
        return "note", "cancelled"
    if any(f.check == "unreachable" for f in findings) and all(
        f.check == "unreachable" for f in findings if f.severity == "error"
    ):
        return "error", "unreachable"
    for severity in ("error", "warning"):
        count = sum(1 for f in findings if f.severity == severity)
        if count:
            return severity, f"{count} {severity}{'s' if count != 1 else ''}"
    return "ok", "clean"


@dataclass
class HostRow:
    """One row: a host (or a VIP) and the last answers about it."""

    key: str  # the address
    label: str
    roles: str
    files: int
    expectation: HostExpectation | None = None
    check: list[Finding] | None = None
    check_error: str = ""
    probe: list[Finding] = field(default_factory=list)
    probed: int = 0  # endpoints answered in the current or last probe
    endpoints: int = 0
    distribution: HostReport | None = None  # the last distribute (or its dry run)
    distributing: Phase | None = None  # where a running distribute is on this host


class HostsScreen(OverWizardScreen[None]):
    """Each host's plan and status; check, probe and distribute in a worker, per-host progress."""

    DEFAULT_CSS = """
    HostsScreen { layout: vertical; }
    HostsScreen #hosts-title { height: auto; padding: 0 1; text-style: bold; }
    HostsScreen #hosts-table { height: 1fr; min-height: 5; }
    HostsScreen #hosts-detail-scroll { height: 1fr; border-top: solid $primary-darken-2; }
    HostsScreen #hosts-detail { padding: 0 1; }
    HostsScreen #hosts-status { height: auto; padding: 0 1; background: $boost; }
    """
    AUTO_FOCUS = "#hosts-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "distribute", "Distribute"),
        Binding("c", "check", "Check"),
        Binding("p", "probe", "Probe"),
        Binding("escape", "close", "Back / cancel"),
        Binding("question_mark,f1", "help", "Help"),
    ]

    def __init__(
        self,
        spec: ClusterSpec,
        directory: Path,
        *,
        reader: InventoryReader | None = None,
        probe_timeout: float = DEFAULT_TIMEOUT,
        client: ClientFactory = ssh_client,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.directory = directory
        self.reader = reader  # None: over SSH as [deploy] says (tests: a local sh)
        self.client = client  # distribute's connection (tests: a local sh per fake host)
        self.dry_run = True  # what the last distribute was (its cells say the diff or the run)
        self.probe_timeout = probe_timeout
        self.rows: dict[str, HostRow] = {}
        self.running = ""  # "check", "probe" or ""
        self._cancel = threading.Event()
        self._problem = ""

    def compose(self) -> ComposeResult:
        """Title, the hosts table, the detail of the highlighted host, a status line."""
        yield Static(
            f"Hosts — the set in {display_path(self.directory)}", id="hosts-title", markup=False
        )
        table: DataTable[Text] = DataTable(id="hosts-table", cursor_type="row")
        yield table
        with VerticalScroll(id="hosts-detail-scroll"):
            yield Static("", id="hosts-detail")
        yield Static("", id="hosts-status")
        yield Footer()

    def on_mount(self) -> None:
        """One row per host of the plan, then the VIPs."""
        table = self.query_one("#hosts-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        try:
            expectations = expected_files(self.spec, self.directory)
        except Exception as error:  # noqa: BLE001 - unfinished answers: say so, never crash
            expectations = []
            self._problem = f"no plan yet: {error} — finish the steps first"
        for host in expectations:
            label = f"{host.address} ({host.name})" if host.name else host.address
            self.rows[host.address] = HostRow(host.address, label, ", ".join(host.roles),
                                              len(host.files), host)  # fmt: skip
        for vip in self.spec.host_entries("vip"):
            self.rows.setdefault(vip.value, HostRow(vip.value, f"VIP {vip.value}", "vip", 0))
        for row in self.rows.values():
            table.add_row(*self._cells(row), key=row.key)
        self.set_status(
            self._problem
            or f"{len(self.rows)} hosts — d distributes, c checks them over SSH, p probes"
        )
        self._show_detail()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._refill())

    # --- drawing ---

    def _colour(self, word: str) -> str:
        variables = self.app.get_css_variables()
        name = colour_name(word)
        return variables.get(f"text-{name}") or variables.get(name) or ""

    def _mark(self, word: str, text: str) -> Text:
        return Text(f"{mark_of(word).symbol} {text}", style=self._colour(word))

    def _cells(self, row: HostRow) -> list[Text]:
        plan = f"{row.files} files" if row.expectation is not None else "—"
        return [Text(row.label), Text(row.roles), Text(plan), self._files_cell(row),
                self._check_cell(row), self._probe_cell(row)]  # fmt: skip

    def _files_cell(self, row: HostRow) -> Text:
        if row.expectation is None:
            return Text("—")
        if self.running == "distribute" and row.distributing is not None:
            if row.distributing in RUNNING:
                return Text(f"… {row.distributing.value}", style="italic")
            return self._mark(PHASE_WORDS.get(row.distributing, "note"), row.distributing.value)
        if row.distribution is None:
            return Text("not distributed", style="dim")
        return self._mark(*distribute_verdict(row.distribution, self.dry_run))

    def _check_cell(self, row: HostRow) -> Text:
        if row.expectation is None:
            return Text("—")
        if self.running == "check" and row.check is None:
            return Text("… checking", style="italic")
        if row.check is None:
            return Text("not checked", style="dim")
        return self._mark(*verdict(row.check, row.check_error))

    def _probe_cell(self, row: HostRow) -> Text:
        if self.running == "probe" and row.probed < row.endpoints:
            return Text(f"… {row.probed}/{row.endpoints}", style="italic")
        if not row.endpoints:
            return Text("not probed" if row.expectation or not self.running else "—",
                        style="dim")  # fmt: skip
        return self._mark(*verdict(row.probe))

    def _refresh_row(self, row: HostRow) -> None:
        table = self.query_one("#hosts-table", DataTable)
        for (key, _), cell in zip(COLUMNS, self._cells(row), strict=True):
            table.update_cell(row.key, key, cell)

    def _refill(self) -> None:
        if self.is_mounted:
            for row in self.rows.values():
                self._refresh_row(row)
            self._show_detail()

    def set_status(self, text: str) -> None:
        """One line under the table."""
        self.query_one("#hosts-status", Static).update(Text(text))

    def highlighted(self) -> HostRow | None:
        """The row under the cursor."""
        table = self.query_one("#hosts-table", DataTable)
        if not self.rows or table.cursor_row < 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(str(key))

    def _show_detail(self) -> None:
        detail = self.query_one("#hosts-detail", Static)
        row = self.highlighted()
        if row is None:
            detail.update(Text(self._problem))
            return
        text = Text()
        text.append(f"{row.label}", style="bold")
        text.append(f" — {row.roles}\n")
        if row.distribution is not None:
            self._distribution_detail(text, row.distribution)
        for title, findings, error in (
            ("check", row.check, row.check_error),
            ("probe", row.probe if row.endpoints else None, ""),
        ):
            if findings is None:
                continue
            word, words = verdict(findings, error)
            text.append(f"{title}: ", style="bold")
            text.append_text(self._mark(word, words))
            text.append("\n")
            for finding in sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity]):
                text.append_text(self._mark(finding.severity, finding.check))
                where = f" {finding.path}" if finding.path else ""
                text.append(f"{where}\n    {finding.message}\n")
        if row.expectation is not None:
            text.append("plan:\n", style="bold")
            for placed in row.expectation.files:
                text.append(f"  {placed.destination} ← {placed.source} ({placed.mode:04o})\n")
        detail.update(text)

    def _distribution_detail(self, text: Text, report: HostReport) -> None:
        word, words = distribute_verdict(report, self.dry_run)
        text.append("distribute" + (" (diff)" if self.dry_run else "") + ": ", style="bold")
        text.append_text(self._mark(word, words))
        text.append("\n")
        if report.error:
            text.append(f"    {report.error}\n")
        change = report.diff
        if change is not None:
            for item in change.changes:
                if item.status is Status.UNCHANGED:
                    continue
                why = f" ({item.reason})" if item.reason else ""
                tail = " — the CLI's --prune removes it" if item.status is Status.REMOVED else ""
                text.append(f"  {item.status.value:<16} {item.destination}{why}{tail}\n")
            unchanged = len(change.with_status(Status.UNCHANGED))
            if unchanged:
                text.append(f"  {'unchanged':<16} {unchanged} files\n")
            for mark in change.interrupted:
                text.append(f"  interrupted      {mark} — this run completes it\n")
        if report.pending:
            text.append(f"  {OWED}: {', '.join(report.pending)}\n")
        if report.restarted:
            text.append(f"  restarted: {', '.join(report.restarted)}\n")
        elif report.units:
            text.append(f"  restarts needed: {', '.join(report.units)}\n")
        if report.applied is not None and report.applied.backups:
            text.append(f"  old files copied to {', '.join(report.applied.backups)}\n")

    @on(DataTable.RowHighlighted, "#hosts-table")
    def _row_highlighted(self) -> None:
        self._show_detail()

    # --- check ---

    def action_check(self) -> None:
        """Read back every host over SSH and compare it with its plan (c)."""
        if self.running or self._problem:
            return
        self.running = "check"
        self._cancel = threading.Event()
        for row in self.rows.values():
            if row.expectation is not None:
                row.check, row.check_error = None, ""
                self._refresh_row(row)
        self.set_status("checking — Esc cancels")
        self._run_check()

    @work(thread=True, exclusive=True, group="hosts")
    def _run_check(self) -> None:
        request = FleetRequest(self.spec, self.directory)
        told: set[str] = set()

        def on_host(host: HostCheck) -> None:
            told.add(host.target.address)
            self.app.call_from_thread(self._host_checked, host)

        try:
            result = run_check(request, on_host=on_host, cancel=self._cancel, reader=self.reader)
        except (CheckRefused, FileNotFoundError) as error:
            self.app.call_from_thread(self._finished, str(error))
            return
        for host in result.hosts:  # the ones never started after a cancel
            if host.target.address not in told:
                self.app.call_from_thread(self._host_checked, host)
        unclean = sum(1 for h in result.hosts if h.worst in ("error", "warning"))
        summary = (
            f"checked {len(result.hosts)} hosts in {result.seconds:.1f} s "
            f"({result.parallel} at once): "
            + (f"{unclean} with findings" if unclean else "every host clean")
        )
        self.app.call_from_thread(self._finished, summary)

    def _host_checked(self, host: HostCheck) -> None:
        row = self.rows.get(host.target.address)
        if row is None:
            return
        row.check, row.check_error = list(host.findings), host.error
        self._refresh_row(row)
        done = sum(1 for r in self.rows.values() if r.check is not None)
        total = sum(1 for r in self.rows.values() if r.expectation is not None)
        if self.running:
            self.set_status(f"checking — {done}/{total} hosts answered — Esc cancels")
        if row is self.highlighted():
            self._show_detail()

    # --- probe ---

    def action_probe(self) -> None:
        """Connect to every endpoint and compare what it serves with the set (p)."""
        if self.running or self._problem:
            return
        from wizard.fleet.probe import endpoints_of

        self.running = "probe"
        self._cancel = threading.Event()
        for row in self.rows.values():
            row.probe, row.probed, row.endpoints = [], 0, 0
        for endpoint in endpoints_of(self.spec):
            if endpoint.address in self.rows:
                self.rows[endpoint.address].endpoints += 1
        for row in self.rows.values():
            self._refresh_row(row)
        self.set_status("probing — Esc cancels")
        self._run_probe()

    @work(thread=True, exclusive=True, group="hosts")
    def _run_probe(self) -> None:
        request = FleetRequest(self.spec, self.directory, timeout=self.probe_timeout)
        told: set[object] = set()

        def on_endpoint(probe: EndpointProbe) -> None:
            told.add(probe.endpoint)
            self.app.call_from_thread(self._endpoint_probed, probe)

        try:
            result = run_probe(request, on_endpoint=on_endpoint, cancel=self._cancel)
        except CheckRefused as error:
            self.app.call_from_thread(self._finished, str(error))
            return
        for probe in result.endpoints:  # the ones never dialled after a cancel
            if probe.endpoint not in told:
                self.app.call_from_thread(self._endpoint_probed, probe)
        bad = sum(1 for p in result.endpoints if p.worst in ("error", "warning"))
        summary = f"probed {len(result.endpoints)} endpoints in {result.seconds:.1f} s: " + (
            f"{bad} with findings" if bad else "every endpoint serves the set's files"
        )
        self.app.call_from_thread(self._finished, summary)

    def _endpoint_probed(self, probe: EndpointProbe) -> None:
        row = self.rows.get(probe.endpoint.address)
        if row is None:
            return
        row.probe += probe.findings
        row.probed += 1
        self._refresh_row(row)
        if row is self.highlighted():
            self._show_detail()

    # --- distribute ---

    def action_distribute(self) -> None:
        """The diff per host first (a dry run), then the question, then the run (d)."""
        if self.running or self._problem:
            return
        self._start_distribution(dry_run=True, restart=False)

    def _start_distribution(self, *, dry_run: bool, restart: bool) -> None:
        self.running = "distribute"
        self.dry_run = dry_run
        self._cancel = threading.Event()
        for row in self.rows.values():
            if row.expectation is not None:
                row.distributing = Phase.WAITING
                self._refresh_row(row)
        doing = "reading each host for the diff" if dry_run else "placing the files"
        self.set_status(f"distribute: {doing} — Esc cancels")
        self._run_distribution(dry_run, restart)

    @work(thread=True, exclusive=True, group="hosts")
    def _run_distribution(self, dry_run: bool, restart: bool) -> None:
        request = DistributionRequest(self.spec, self.directory, dry_run=dry_run, restart=restart)

        def on_progress(step: HostProgress) -> None:
            self.app.call_from_thread(self._host_progress, step)

        try:
            outcome = run_distribution(
                request, on_progress=on_progress, cancel=self._cancel, client=self.client
            )
        except (DistributeError, FileNotFoundError, OSError) as error:
            self.app.call_from_thread(self._finished, f"distribute refused: {error}")
            return
        self.app.call_from_thread(self._distributed, outcome)

    def _host_progress(self, step: HostProgress) -> None:
        row = self.rows.get(step.address)
        if row is None:
            return
        row.distributing = step.phase
        self._refresh_row(row)
        if self.running:
            done = sum(1 for r in self.rows.values() if r.expectation and r.distributing
                       and r.distributing not in RUNNING)  # fmt: skip
            total = sum(1 for r in self.rows.values() if r.expectation is not None)
            self.set_status(f"distribute: {done}/{total} hosts done — Esc cancels")

    def _distributed(self, outcome: DistributionOutcome) -> None:
        for report in outcome.hosts:
            row = self.rows.get(report.target.address)
            if row is not None:
                row.distribution, row.distributing = report, None
        failed = [r.target.label for r in outcome.failed]
        hosts = len(outcome.hosts)
        if outcome.dry_run:
            summary = f"diff of {hosts} hosts in {outcome.seconds:.1f} s"
        else:
            verb = "placed and restarted" if outcome.restart else "placed"
            summary = f"{verb}: {hosts - len(failed)} of {hosts} hosts done in " + (
                f"{outcome.seconds:.1f} s ({outcome.parallel} at once)"
            )
        if failed:
            summary += f"; not done: {', '.join(failed)}"
        cancelled = self._cancel.is_set()
        self._finished(summary)
        if outcome.dry_run and not cancelled:
            self._ask(outcome)

    def _ask(self, outcome: DistributionOutcome) -> None:
        """The question after the diff: place, place and restart, or nothing."""
        work = [r for r in outcome.hosts if r.diff is not None and (not r.diff.clean or r.pending)]
        if not work:
            if not outcome.failed:
                self.set_status("every host has its files — nothing to place")
            return
        lines = []
        for report in work:
            assert report.diff is not None
            counts = ", ".join(
                f"{n} {s}" for s, n in report.diff.counts.items() if n and not report.diff.clean
            )
            owed = OWED if report.pending else ""
            lines.append(f"{report.target.label}: {', '.join(filter(None, (counts, owed)))}")
            if report.units:
                lines.append(f"    restarts: {', '.join(report.units)}")
        for report in outcome.failed:
            lines.append(f"{report.target.label}: {report.phase.value} — not touched")
        lines.append("")
        lines.append(
            "On each host the old files are copied into a backup folder beside them, then the "
            "new ones swapped in atomically. Restarting runs etcd members and masters one at a "
            "time, each waited for."
        )
        restarts = any(r.units for r in work)
        title = f"Distribute to {len(work)} of {len(outcome.hosts)} hosts?"

        def answered(choice: DistributeChoice | None) -> None:
            if choice in (DistributeChoice.PLACE, DistributeChoice.RESTART):
                self._start_distribution(dry_run=False, restart=choice is DistributeChoice.RESTART)
            else:
                self.set_status("distribute: nothing placed (the diff is listed per host)")

        self.app.push_screen(DistributeDialog(title, "\n".join(lines), restarts=restarts),
                             answered)  # fmt: skip

    # --- both ---

    def _finished(self, summary: str) -> None:
        cancelled = self._cancel.is_set()
        self.running = ""
        for row in self.rows.values():
            row.distributing = None
            self._refresh_row(row)
        self._show_detail()
        self.set_status(("cancelled — " if cancelled else "") + summary)

    def cancel(self) -> None:
        """Stop the run: no host or endpoint is started after this."""
        if self.running:
            self._cancel.set()
            self.set_status(f"cancelling the {self.running}…")

    def action_close(self) -> None:
        """Esc: cancel a run, or go back when none is running."""
        if self.running:
            self.cancel()
            return
        self.dismiss(None)

    def action_help(self) -> None:
        """The keys of this screen."""
        self.app.push_screen(HelpDialog([("Hosts", HOSTS_KEYS)]))
