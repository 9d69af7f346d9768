"""Step 3: every file that will be written, each CSR's JSON and SANs with reasons, the warnings."""

from __future__ import annotations

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wizard.catalog import CertEntry, San, files_of, get_profile, sans_of
from wizard.cfssl import gencert_command
from wizard.outputs import PlannedFile, describe, plan_files, shared_subject_warnings
from wizard.tui.screens.step import StepScreen
from wizard.tui.widgets.problems import ProblemList, count_words

KIND_TAGS = {
    "json": "json",
    "cert": "cert",
    "key": "key ",
    "csr": "csr ",
    "pub": "pub ",
    "kubeconfig": "conf",
    "token": "tok ",
    "doc": "doc ",
    "toml": "toml",
}
"""A four-letter tag per kind of file, shown before its name in the list."""


class PreviewScreen(StepScreen):
    """The plan: pick a file to see its content, its SANs and the cfssl command that makes it."""

    CSS_PATH = "../steps.tcss"  # the rules of steps 2 to 5: not parsed for step 1

    STEP = 3
    AUTO_FOCUS = "#files"

    def __init__(self) -> None:
        super().__init__()
        self._rendered_revision: int | None = None
        self._files: list[PlannedFile] = []
        self._selected = ""
        self.shown_sans: list[San] = []

    def compose_body(self) -> ComposeResult:
        """File list on the left; the selected file's detail on the right; warnings below.

        The detail stacks the SAN table over the file's text, side by side on wide terminals.
        """
        with Horizontal(id="preview-body", classes="columns"):
            with Vertical(id="file-side"):
                yield Static("", id="files-title", classes="section-title", markup=False)
                yield OptionList(id="files")
            with VerticalScroll(id="file-detail"):
                yield Static("", id="file-title", classes="section-title", markup=False)
                yield Static("", id="file-about", classes="field-note", markup=False)
                yield Static("", id="file-command", markup=False)
                with Vertical(id="json-and-sans"):
                    with Vertical(id="san-side"):
                        yield Static("", id="san-title", classes="section-title", markup=False)
                        yield Static("", id="san-table")
                    yield Static("", id="json-view")
        with VerticalScroll(id="preview-warnings-scroll"):
            yield ProblemList("", id="preview-warnings")

    def on_screen_resume(self) -> None:
        """Re-plan if the answers changed, and note that the preview has been seen."""
        super().on_screen_resume()
        if self._rendered_revision != self.state.revision:
            self.render_plan()
        if self._files:
            self.state.mark_previewed()

    def render_plan(self) -> None:
        """List the planned files and show the warnings of the current answers."""
        spec = self.state.spec
        self._rendered_revision = self.state.revision
        problems = self.state.problems()
        errors = [p for p in problems if p.severity == "error"]
        options = self.query_one("#files", OptionList)
        warnings_list = self.query_one("#preview-warnings", ProblemList)
        options.clear_options()
        if errors:
            self._files = []
            self.query_one("#file-detail").display = False
            warnings_list.show(errors)
            self.set_status(Content.from_markup("[$error]✗[/] fix the answers first (ctrl+b)"))
            return
        self.query_one("#file-detail").display = True
        self._files = plan_files(spec)
        options.add_options(
            Option(Content.from_markup("[dim]$tag[/] $name", tag=KIND_TAGS[f.kind], name=f.name))
            for f in self._files
        )
        self.query_one("#files-title", Static).update(f"{len(self._files)} files to write")
        names = [f.name for f in self._files]
        if self._selected not in names:
            self._selected = next(
                (f.name for f in self._files if f.text and f.entry and f.entry.is_server),
                names[0],
            )
        options.highlighted = names.index(self._selected)
        self.show_file(self._files[names.index(self._selected)])
        warnings = [p for p in problems if p.severity != "note"] + shared_subject_warnings(spec)
        warnings_list.show(warnings)
        self.set_status(Content("Plan: ") + count_words(warnings) + Content(" — Next (ctrl+n)"))

    @on(OptionList.OptionHighlighted, "#files")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        if 0 <= index < len(self._files) and self._files[index].name != self._selected:
            self.show_file(self._files[index])

    def show_file(self, planned: PlannedFile) -> None:
        """Show one planned file: what it is, its content if known, SANs, the cfssl command."""
        spec = self.state.spec
        profile = get_profile(spec.profile)
        self._selected = planned.name
        self.query_one("#file-title", Static).update(planned.name)
        self.query_one("#file-about", Static).update(describe(planned, spec))
        entry = planned.entry
        command = self.query_one("#file-command", Static)
        command.display = bool(entry and files_of(entry, profile).request)
        if entry is not None and command.display:
            command.update(
                Content.from_markup("[b]cfssl:[/] $cmd", cmd=gencert_command(entry, profile))
            )
        view = self.query_one("#json-view", Static)
        view.display = planned.text is not None
        if planned.text is not None:
            view.update(
                Syntax(
                    planned.text.rstrip("\n"),
                    planned.language,
                    theme="ansi_dark" if self.app.current_theme.dark else "ansi_light",
                    background_color="default",
                    word_wrap=True,
                )
            )
        self._show_sans(entry)

    def _show_sans(self, entry: CertEntry | None) -> None:
        """The entry's SANs, each under the reason it is there."""
        side = self.query_one("#san-side")
        side.display = entry is not None and not entry.key_only
        self.shown_sans = []
        if entry is None or entry.key_only:
            return
        sans = sans_of(entry, self.state.spec)
        self.shown_sans = sans
        if entry.is_ca:
            title = "No SANs: a CA names no hosts"
        elif not sans:
            title = f"No SANs: a client certificate — {entry.identity}"
        else:
            title = f"{len(sans)} SANs of {entry.name}, under the reason each is there"
        self.query_one("#san-title", Static).update(title)
        view = self.query_one("#san-table", Static)
        view.display = bool(sans)
        view.update(san_lines(sans))


def san_lines(sans: list[San]) -> Content:
    """The SANs grouped under the reason they are there, each with its kind (IPv4, DNS…)."""
    width = max((len(san.value) for san in sans), default=0)
    lines = []
    previous = None
    for san in sans:
        if san.source != previous:
            lines.append(Content.from_markup("[$accent]▸ $why[/]", why=san.reason))
            previous = san.source
        lines.append(
            Content.from_markup(
                "    $value  [dim]$kind[/]", value=san.value.ljust(width), kind=san.kind.value
            )
        )
    return Content("\n").join(lines)
