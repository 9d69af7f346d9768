"""The review screen: what a certificate directory holds, what is wrong, and one file explained.

A table of every object found, most urgent first (status in colour *and* words, expiry, file
cut in the middle to fit, role, kind, subject, issuer) that a filter narrows as you type; a tree
of the CAs and what each signed; the CertificatePanel for the selected certificate with the
findings about its file listed under it.
Space marks rows, `n` opens the renewal of the marked certificates (screens/renew.py).

The screen runs alone in `wizard.tui.review_app.ReviewApp` (`k8s-cert-wizard review DIR`) or
over the wizard (F2). The domain is `wizard.review`; this module only shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import ContentSwitcher, DataTable, Footer, Input, Static, Tree
from textual.widgets.tree import TreeNode

from wizard.certdetails import CertDetails
from wizard.exit_codes import review_exit_code
from wizard.jobs.cluster_file import renewal_cluster_file
from wizard.marks import mark_of
from wizard.review import Review, ReviewError, review_directory
from wizard.review.model import SEVERITIES
from wizard.review.tree import CaNode, ca_tree
from wizard.spec import ClusterSpec
from wizard.tui.dialogs.help import HelpDialog, KeySection
from wizard.tui.looks import text_style
from wizard.tui.paths import display_path, elide_middle, full_path, shorten_left
from wizard.tui.screens.over_wizard import OverWizardScreen
from wizard.tui.screens.review.rows import (
    Row,
    build_rows,
    certificate_details,
    describe_other,
    filter_rows,
    plural,
    urgency_order,
)
from wizard.tui.widgets.certificate_panel import CertificatePanel

__all__ = ["ReviewScreen", "load_cluster_file", "open_review_dialog", "review_keys"]


COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", ""),
    ("status", "status"),
    ("expires", "expires in"),
    ("file", "file"),
    ("role", "role"),
    ("kind", "kind"),
    ("subject", "subject / key"),
    ("issuer", "issuer"),
)
"""The table's columns (key, label): status and expiry first, then the file (its path elided
in the middle to fit), so that what needs doing reads at 80 columns."""

MARK = "●"


# --- what the screen shows, as plain data (no widgets) -------------------------------------------


def load_cluster_file(
    directory: Path,
    config: ClusterSpec | None,
    config_path: Path | None = None,
    config_source: str = "",
) -> tuple[ClusterSpec | None, str, str]:
    """The cluster file a renewal compares with, in the screen's words: `(spec, where it came
    from, problem)`. The rule is the job layer's (`renewal_cluster_file`); without a file,
    `problem` says what renewing needs and how to give it."""
    shown = display_path(directory)
    loaded = renewal_cluster_file(directory, config, config_path)
    if loaded is None:
        return (
            None,
            "",
            f"Renewing needs the cluster file the set was made from (cluster.toml): none was "
            f"given, and {shown} holds none. Open the review with it — k8s-cert-wizard review "
            f"{shown} -c cluster.toml — or copy it into {shown} as cluster.toml.",
        )
    if config is not None:
        label = config_source or (
            display_path(config_path) if config_path else "the cluster file given with -c"
        )
        return config, label, ""
    where = display_path(loaded.path) if loaded.path else ""
    if loaded.unreadable:
        return None, where, f"{loaded.unreadable} — fix it, or give another file with -c"
    if loaded.errors:
        count = plural(len(loaded.errors), "error")
        return None, where, f"{where} has {count}, first {loaded.errors[0]} — fix it, then renew"
    return loaded.spec, where, ""


# --- the screen -----------------------------------------------------------------------------------


def review_keys(alone: bool) -> list[tuple[str, str]]:
    """The review's keys; Esc and q depend on whether it runs alone or over the wizard."""
    leaving = (
        [("q", "Quit the review")]
        if alone
        else [("Esc / q", "Back to the wizard (Esc leaves the filter first)")]
    )
    return [
        ("/", "Filter the table: text in any column, error, warning, expired, a check's slug"),
        ("Esc", "Leave the filter (twice: clear it)"),
        ("t", "Switch between the table and the tree of CAs and what each signed"),
        ("↑ ↓ PgUp PgDn", "Move; the panel explains the selected file"),
        ("space", "Mark / unmark the selected certificate for renewal"),
        ("n", "Renew the marked certificates (or the selected one)…"),
        ("d", "Doctor: paste an error text, see which files it is about…"),
        ("r", "The panel: details or the raw cfssl-certinfo JSON"),
        ("? / F1", "This help"),
        *leaving,
        ("mouse", "Click rows, tree nodes and the keys in the footer"),
    ]


class ReviewScreen(OverWizardScreen[None]):
    """A reviewed directory: table or tree, the panel, the findings; marks and renew."""

    CSS_PATH = ["../../steps.tcss", "../../review.tcss"]
    AUTO_FOCUS = "#review-table"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (96, "-wide"),
        (140, "-xwide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("t", "toggle_view", "Tree"),
        Binding("space", "toggle_mark", "Mark"),
        Binding("n", "renew", "Renew…"),
        Binding("d", "doctor", "Doctor…", show=False),  # wizard.tui.screens.doctor
        # The panel's title says "press r for the raw cfssl-certinfo JSON": r leaves the footer
        # room for "esc Back to wizard" at 80 columns.
        Binding("r", "toggle_raw", "JSON", show=False),
        Binding("question_mark,f1", "help", "Help"),
        # Esc leaves the filter first. Over the wizard, Esc and q go back to it; run alone, q
        # quits. check_action keeps the binding that applies, so the footer names what it does.
        Binding("escape", "leave_filter", "Leave filter", show=False),
        Binding("escape,q", "close('wizard')", "Back to wizard"),
        Binding("q", "close('alone')", "Quit"),
    ]

    @dataclass
    class Reviewed(Message):
        """The directory was reviewed again (after a renewal)."""

        review: Review | None
        error: str = ""

    def __init__(
        self,
        review: Review,
        *,
        directory: str | Path | None = None,
        config: ClusterSpec | None = None,
        config_path: Path | None = None,
        config_source: str = "",
        warn_days: int | None = None,
        now: datetime | None = None,
    ) -> None:
        """`config_source` names the `config` in the renew screen ("the wizard's answers");
        without it, its path does."""
        super().__init__()
        self.review = review
        self.directory = Path(directory if directory is not None else review.root)
        self.config = config
        self.config_path = config_path
        self.config_source = config_source
        self.warn_days = review.warn_days if warn_days is None else warn_days
        self.now = now
        self.rows: list[Row] = []  # in the review's order: self.rows[row.index] is that row
        self.urgent_rows: list[Row] = []  # the same rows, most urgent first (as shown)
        self._set_rows(review)
        self.shown_rows: list[Row] = list(self.urgent_rows)
        self.marked: set[int] = set()
        self.doctored: set[int] = set()  # rows the doctor matched (d): ▶ and reversed
        self.selected: int | None = None
        self._tree_nodes: dict[int, TreeNode[int | None]] = {}
        self._details: dict[int, tuple[CertDetails, str, str]] = {}
        self._shown_file_width = 0

    @classmethod
    def from_directory(
        cls,
        directory: str | Path,
        *,
        config: ClusterSpec | None = None,
        config_path: Path | None = None,
        config_source: str = "",
        warn_days: int = 30,
        now: datetime | None = None,
    ) -> ReviewScreen:
        """Review a directory and make its screen; raises ReviewError (one sentence) when the
        directory cannot be reviewed at all."""
        review = review_directory(directory, config=config, warn_days=warn_days, now=now)
        return cls(
            review,
            directory=directory,
            config=config,
            config_path=config_path,
            config_source=config_source,
            warn_days=warn_days,
            now=now,
        )

    # --- layout ---

    def compose(self) -> ComposeResult:
        """Summary, filter, table or tree, panel and findings, footer."""
        yield Static("", id="review-summary")
        with Horizontal(id="review-filter-row"):
            yield Input(
                placeholder="/ filter: any text, error, warning, expired, key-mismatch…",
                id="review-filter",
                compact=True,
            )
            yield Static("", id="review-count")
        with Horizontal(id="review-main"):
            with ContentSwitcher(initial="review-table", id="review-views"):
                table: DataTable[Text] = DataTable(
                    id="review-table", cursor_type="row", zebra_stripes=True
                )
                yield table
                yield Tree("", id="review-tree")
            with Vertical(id="review-detail"):
                yield CertificatePanel(id="review-panel")
                with VerticalScroll(id="review-findings-scroll"):
                    yield Static("", id="review-findings")
        yield Footer()

    def on_mount(self) -> None:
        """Fill the table and the tree."""
        table = self.query_one("#review-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self._show_review()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._recolour())

    def _recolour(self) -> None:
        """Rows and tree labels carry the theme's colours: draw them again in the new theme."""
        if self.is_mounted:
            self._fill_table()
            self._fill_tree()

    def _colour(self, look: str) -> str:
        variables = self.app.get_css_variables()
        return variables.get(f"text-{look}") or variables.get(look) or ""

    def _show_review(self) -> None:
        self._details.clear()
        self._update_summary()
        self._fill_table()
        self._fill_tree()

    def on_resize(self, _event: events.Resize) -> None:
        """Fit the directory's path and the files' paths to the new width."""
        self._update_summary()
        if self._file_width() != self._shown_file_width:
            self._fill_table()

    def _update_summary(self) -> None:
        """`Review of <path> — n files: …`, the path shortened from the left to fit one line."""
        review = self.review
        files = len({r.path for r in review.files})
        parts = []
        for severity in SEVERITIES:
            count = review.count(severity)
            look, symbol = text_style(severity), mark_of(severity).symbol
            words = plural(count, severity)
            parts.append(
                Content.from_markup(f"[{look}]$symbol $words[/]", symbol=symbol, words=words)
                if count and severity != "info"
                else Content(words)
            )
        counts = Content.from_markup(" — $files: ", files=plural(files, "file"))
        counts += Content(", ").join(parts)
        if review.worst in (None, "info"):
            counts += Content.from_markup(" — [$text-success]✓ nothing to fix[/]")
        room = self.size.width - 2 - cell_len("Review of ") - counts.cell_length
        path = shorten_left(full_path(self.directory), max(room, 12))
        summary = Content.from_markup("[b]Review of $path[/]", path=path) + counts
        self.query_one("#review-summary", Static).update(summary)

    # --- the table ---

    def _cells(self, row: Row) -> list[Text]:
        colour = self._colour(row.look)
        mark = Text(MARK if row.index in self.marked else " ", style=self._colour("accent"))
        return [
            mark,
            Text(f"{row.symbol} {row.status}", style=colour),
            Text(row.expires, style=colour if row.look != "success" else ""),
            self._file_cell(row),
            Text(row.role),
            Text(row.kind),
            Text(row.subject),
            Text(row.issuer),
        ]

    def _file_width(self) -> int:
        """The file column's width: what is left at 80 columns after status and expiry, at
        most half of a wider screen."""
        return max(24, min(self.size.width // 2, self.size.width - 44))

    def _fill_table(self) -> None:
        self._shown_file_width = self._file_width()
        table = self.query_one("#review-table", DataTable)
        query = self.query_one("#review-filter", Input).value
        keep = self.selected
        self.shown_rows = filter_rows(self.urgent_rows, query)
        table.clear()
        for row in self.shown_rows:
            table.add_row(*self._cells(row), key=str(row.index))
        self._update_count()
        if not self.shown_rows:
            self.selected = None
            self.query_one(CertificatePanel).show_message(
                f"No row matches “{query.strip()}” — Esc twice clears the filter"
            )
            self.query_one("#review-findings", Static).update("")
            return
        indexes = [row.index for row in self.shown_rows]
        if keep not in indexes:  # at first, the first certificate rather than a JSON file
            keep = next((r.index for r in self.shown_rows if r.is_certificate), indexes[0])
        position = indexes.index(keep)
        table.move_cursor(row=position, animate=False)
        if keep != self.selected or self.query_one(CertificatePanel).shown is None:
            self.show_record(keep)

    def _update_count(self) -> None:
        shown, total = len(self.shown_rows), len(self.rows)
        text = f"{shown} of {total} rows" if shown != total else f"{total} rows"
        if self.marked:
            text += f" · {MARK} {len(self.marked)} marked"
        self.query_one("#review-count", Static).update(text)

    @on(Input.Changed, "#review-filter")
    def _filter_changed(self) -> None:
        self.query_one("#review-views", ContentSwitcher).current = "review-table"
        self._fill_table()
        self.refresh_bindings()  # Esc clears a filter that holds text

    @on(Input.Submitted, "#review-filter")
    def _filter_submitted(self) -> None:
        self.query_one("#review-table").focus()

    @on(DataTable.RowHighlighted, "#review-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.show_record(int(event.row_key.value))

    # --- the tree ---

    def _tree_label(self, node: CaNode) -> Text:
        row = self.rows[node.index]
        label = Text()
        label.append(f"{row.symbol} ", style=self._colour(row.look))
        label.append(row.file, style="bold")
        what = f"  {row.subject}"
        if node.record.cert is not None and node.record.cert.is_ca:
            what += " · CA"
        label.append(what)
        label.append(f" · {row.status}", style=self._colour(row.look))
        if node.copies:
            label.append(f" · also in {', '.join(node.copies)}", style="dim")
        return label

    def _fill_tree(self) -> None:
        tree: Tree[int | None] = self.query_one("#review-tree", Tree)
        tree.clear()
        roots, orphans = ca_tree(self.review)
        tree.root.set_label(
            Text(f"Who signed what in {display_path(self.directory)}", style="bold")
        )
        tree.root.data = None

        self._tree_nodes.clear()

        def add(parent: TreeNode[int | None], node: CaNode, seen: set[int]) -> None:
            if node.index in seen:
                return
            seen = seen | {node.index}
            if node.children:
                branch = parent.add(self._tree_label(node), data=node.index, expand=True)
                for child in node.children:
                    add(branch, child, seen)
            else:
                branch = parent.add_leaf(self._tree_label(node), data=node.index)
            self._tree_nodes.setdefault(node.index, branch)

        for root in roots:
            add(tree.root, root, set())
        if orphans:
            group = tree.root.add(
                Text("Issuer not in this directory", style=self._colour("warning")),
                data=None,
                expand=True,
            )
            for orphan in orphans:
                add(group, orphan, set())
        if not roots and not orphans:
            tree.root.add_leaf(Text("No certificate in this directory"), data=None)
        tree.root.expand()

    @on(Tree.NodeHighlighted, "#review-tree")
    def _node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self.show_record(event.node.data)

    # --- the panel and the findings ---

    def show_record(self, index: int) -> None:
        """Explain one object of the review in the panel, its file's findings under it."""
        if not 0 <= index < len(self.rows):
            return
        self.selected = index
        row = self.rows[index]
        record = row.record
        panel = self.query_one(CertificatePanel)
        if record.cert is not None:
            try:
                if index not in self._details:
                    self._details[index] = certificate_details(self.review, record)
                details, issuer_label, key_label = self._details[index]
                role = f" — {record.role}" if record.role else ""
                panel.show_certificate(
                    record.cert.certificate,
                    title=f"{record.ref}{role}",
                    issuer_label=issuer_label,
                    key_label=key_label,
                    details=details,
                )
            except Exception as error:  # a certificate the panel cannot describe: say so
                panel.show_message(
                    f"{record.ref}: this certificate cannot be explained here "
                    f"({type(error).__name__}: {error}) — the findings below still apply"
                )
        else:
            panel.show_message(describe_other(record))
        self.query_one("#review-findings", Static).update(self._findings_content(row))

    def _findings_content(self, row: Row) -> Content:
        if not row.findings:
            return Content.from_markup(
                "[$text-success]✓[/] No findings about $file", file=row.record.path
            )
        lines = [
            Content.from_markup(
                "[b]$count about $file[/]",
                count=plural(len(row.findings), "finding"),
                file=row.record.path,
            )
        ]
        for finding in row.findings:
            look, symbol = text_style(finding.severity), mark_of(finding.severity).symbol
            lines.append(
                Content.from_markup(
                    f"[{look}]$symbol $severity[/] [b]$check[/] $message",
                    symbol=symbol,
                    severity=finding.severity,
                    check=finding.check,
                    message=finding.message,
                )
            )
        return Content("\n").join(lines)

    # --- actions ---

    def action_filter(self) -> None:
        """Go to the filter (/)."""
        self.query_one("#review-views", ContentSwitcher).current = "review-table"
        self.query_one("#review-filter", Input).focus()

    @property
    def runs_alone(self) -> bool:
        """True when the review is the app (`k8s-cert-wizard review DIR`), not over the wizard."""
        return bool(self.app.screen_stack) and self.app.screen_stack[0] is self

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc leaves the filter while it is in use; `close('alone')` (q: Quit) applies when the
        review runs alone, `close('wizard')` (Esc, q: Back to wizard) over the wizard."""
        if action == "leave_filter":
            fields = self.query("#review-filter").results(Input)
            return any(field.has_focus or field.value for field in fields)
        if action == "close" and parameters:
            return parameters[0] == ("alone" if self.runs_alone else "wizard")
        return True

    def action_leave_filter(self) -> None:
        """Leave the filter (Esc); from the table, clear it."""
        field = self.query_one("#review-filter", Input)
        if field.has_focus:
            self.query_one("#review-table").focus()
        else:
            field.value = ""

    def action_toggle_view(self) -> None:
        """Switch between the table and the tree (t)."""
        switcher = self.query_one("#review-views", ContentSwitcher)
        tree = self.query_one("#review-tree", Tree)
        if switcher.current == "review-table":
            switcher.current = "review-tree"
            tree.focus()
            node = self._tree_nodes.get(self.selected if self.selected is not None else -1)
            if node is None and self._tree_nodes:
                node = next(iter(self._tree_nodes.values()))
            if node is not None:
                tree.call_after_refresh(tree.move_cursor, node)  # once its lines are laid out
        else:
            switcher.current = "review-table"
            table = self.query_one("#review-table", DataTable)
            table.focus()
            if self.shown_rows and 0 <= table.cursor_row < len(self.shown_rows):
                self.show_record(self.shown_rows[table.cursor_row].index)

    def action_toggle_raw(self) -> None:
        """Switch the panel between the details and the raw cfssl-certinfo JSON (r)."""
        self.query_one(CertificatePanel).action_toggle_raw()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the selected certificate for renewal (space)."""
        if self.selected is None:
            return
        row = self.rows[self.selected]
        if self.selected in self.marked:
            self.marked.discard(self.selected)
        else:
            refusal = self._mark_refusal(row)
            if refusal:
                self.notify(refusal, title="Not marked", severity="warning")
                return
            self.marked.add(self.selected)
        table = self.query_one("#review-table", DataTable)
        key = str(self.selected)
        if key in table.rows:
            table.update_cell(key, "mark", self._cells(row)[0])
        self._update_count()

    @staticmethod
    def _mark_refusal(row: Row) -> str:
        record = row.record
        if record.cert is None:
            return f"{record.ref} is not a certificate — mark the certificate it goes with"
        if record.embedded:
            return (
                f"{record.ref} is a copy inside a kubeconfig — mark its certificate file; "
                "the kubeconfig is rebuilt with it"
            )
        if record.cert.is_ca:
            return (
                f"{record.ref} is a CA — renew never replaces a CA: trust a bundle of the old "
                "and a new CA everywhere first (see `k8s-cert-wizard renew --help`)"
            )
        return ""

    def renewal_names(self) -> list[str]:
        """The files to renew: the marked ones, else the selected certificate."""
        chosen = sorted(self.marked) if self.marked else []
        if not chosen and self.selected is not None:
            chosen = [self.selected]
        return list(dict.fromkeys(self.rows[i].record.path for i in chosen))

    def action_renew(self) -> None:
        """Open the renewal of the marked certificates (n)."""
        from wizard.tui.screens.renew import RenewScreen

        names = self.renewal_names()
        if not names:
            self.notify("Select or mark a certificate first (space marks)", severity="warning")
            return
        if not self.marked and self.selected is not None:
            refusal = self._mark_refusal(self.rows[self.selected])
            if refusal:
                self.notify(refusal, title="Nothing to renew", severity="warning")
                return
        spec, source, problem = load_cluster_file(
            self.directory, self.config, self.config_path, self.config_source
        )
        self.app.push_screen(
            RenewScreen(
                self.directory,
                names,
                spec=spec,
                spec_source=source,
                problem=problem,
                now=self.now,
            ),
            callback=self._after_renew,
        )

    def action_doctor(self) -> None:
        """Paste an error text; the files it is about are highlighted here (d)."""
        from wizard.tui.screens.doctor import DoctorDialog

        config = str(self.config_path) if self.config_path else None
        self.app.push_screen(DoctorDialog(self.review, self.rows, config), self._doctored)

    def _doctored(self, rows: set[int] | None) -> None:
        if rows is not None:
            self.doctored = rows
            self._fill_table()
            shown = [row.index for row in self.shown_rows]
            if rows & set(shown):  # the cursor (and the panel) on the first file it names
                first = shown.index(min(rows & set(shown)))
                self.query_one("#review-table", DataTable).move_cursor(row=first, animate=False)

    def _after_renew(self, written: bool | None) -> None:
        if written:
            self.refresh_review()

    def refresh_review(self) -> None:
        """Review the directory again, in a thread; the screen redraws when it is done."""
        self.review_again(self.directory, self.config, self.warn_days, self.now)

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def review_again(
        self,
        directory: Path,
        config: ClusterSpec | None,
        warn_days: int,
        now: datetime | None,
    ) -> None:
        """The worker: review_directory, posted back as a Reviewed message."""
        try:
            review = review_directory(directory, config=config, warn_days=warn_days, now=now)
        except ReviewError as error:
            self.post_message(self.Reviewed(None, str(error)))
        else:
            self.post_message(self.Reviewed(review))

    @on(Reviewed)
    def _reviewed(self, event: Reviewed) -> None:
        if event.review is None:
            self.notify(event.error, title="Review failed", severity="error")
            return
        self.set_review(event.review)
        self.notify("The directory was reviewed again", title="Review refreshed")

    def set_review(self, review: Review) -> None:
        """Show another review of the directory (marks are cleared, the filter is kept)."""
        self.review = review
        # The cursor stays on the same file (the new review may hold more rows before it).
        was = self.rows[self.selected].file if self.selected is not None else None
        self._set_rows(review)
        self.marked.clear()
        self.doctored.clear()
        self.selected = next((row.index for row in self.rows if row.file == was), None)
        self._show_review()

    def _file_cell(self, row: Row) -> Text:
        """The file, cut in the middle to its column; ▶ and reversed when the doctor named it."""
        if row.index in self.doctored:
            return Text(f"▶ {elide_middle(row.file, self._file_width() - 2)}", "reverse")
        return Text(elide_middle(row.file, self._file_width()))

    def _set_rows(self, review: Review) -> None:
        self.rows = build_rows(review, by_urgency=False)
        self.urgent_rows = [self.rows[index] for index in urgency_order(review)]

    def action_help(self) -> None:
        """List the keys (? or F1)."""
        from wizard.tui.screens.renew import RENEW_KEYS

        sections: list[KeySection] = [
            ("Review", review_keys(self.runs_alone)),
            ("Renew (n)", RENEW_KEYS),
            ("Moving around", [("Tab / shift+Tab", "Next / previous area")]),
        ]
        self.app.push_screen(HelpDialog(sections, intro=HELP_INTRO))

    def action_close(self, _where: str = "") -> None:
        """Quit the review when it runs alone (q), else go back to the wizard (Esc or q)."""
        if self.runs_alone:
            self.app.exit(review_exit_code(self.review))
        else:
            self.dismiss(None)


HELP_INTRO = (
    "The review reads the directory and never changes it. Colours always come with a word and "
    "a symbol: ✓ valid, ⚠ expiring or a warning, ✗ expired or an error. Renewing (n) shows the "
    "diff first and writes nothing until you confirm; the old files go to a backup folder."
)


def open_review_dialog(
    app: App,
    *,
    initial: str = "k8s-certs",
    config: ClusterSpec | None = None,
    warn_days: int = 30,
) -> None:
    """Ask for a directory (the wizard's PathDialog) and push its ReviewScreen; an unreadable
    directory is said in the dialog, which stays open. `config` is the wizard's answers: a
    renewal compares with them, and says so."""
    from wizard.tui.dialogs.path import PathDialog

    made: list[ReviewScreen] = []
    source = "the wizard's answers (cluster.toml)" if config is not None else ""

    def review(path: Path) -> str | None:
        try:
            made.append(
                ReviewScreen.from_directory(
                    path, config=config, config_source=source, warn_days=warn_days
                )
            )
        except ReviewError as error:
            return str(error)
        return None

    def opened(path: Path | None) -> None:
        if path is not None and made:
            app.push_screen(made[-1])

    app.push_screen(
        PathDialog(
            "Review a certificate directory",
            initial,
            review,
            ok="Review",
            note="It is judged against the wizard's current answers (saved or not), not a "
            "cluster.toml on disk."
            if config is not None
            else "",
        ),
        callback=opened,
    )
