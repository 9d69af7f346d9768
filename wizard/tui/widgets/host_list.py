"""An editable list of host entries (one cluster.toml host group) that validates as you type."""

from __future__ import annotations

import re
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from wizard.catalog import SAN_REASONS, SanSource
from wizard.hosts import HostError, parse_host, split_host_list
from wizard.marks import mark_of
from wizard.spec import Problem, validate_host_entry
from wizard.tui.looks import style
from wizard.tui.widgets.fields import MAX_FIELD_LENGTH, Note, TextField
from wizard.tui.widgets.problems import ProblemList, sort_problems

_SEPARATOR = re.compile(r"[\s,;]")

NOTICE_TIMEOUT = 12
"""Seconds a notice about a cut paste stays: longer than Textual's 5, it is read, not glimpsed."""

MAX_ENTRIES = 100
"""The most entries one host group takes: a paste beyond it (10 KB of addresses) adds the first
ones and says so, instead of mounting thousands of rows."""


class HostField(TextField):
    """A host entry field: a paste of several entries splits them (one entry each, and in the
    field for new entries even a single pasted entry is added at once); ctrl+r removes it.

    An entry's field is mounted when the entry is first edited (see HostRow); focusing it
    (`focus()`) mounts it.
    """

    BINDINGS = [Binding("ctrl+r", "remove_entry", "Remove entry")]

    def __init__(self, value: str = "", row: HostRow | None = None, **kwargs: object) -> None:
        super().__init__(value, **kwargs)
        self.row = row
        """The entry's line (None for the field where new entries are typed)."""
        self.add_line: AddLine | None = None
        """For the field where new entries are typed: the line drawn in its place until it is
        first focused (None once it is mounted, or when it was mounted from the start)."""
        self.successor: HostField | None = None
        """Set when this entry is removed: the field that took the focus. Keys already queued
        for this field (a burst, ctrl+r held) go there instead of into a field that is gone."""
        self.cursor_on_focus: int | None = None
        """Where the cursor goes when the field next takes the focus (the click on the line
        that made it), instead of its text being selected."""

    @on(events.Focus)
    def _cursor_where_clicked(self) -> None:
        if self.cursor_on_focus is not None:
            # after Input's own handler, which selects the text
            self.call_later(self._place_cursor, self.cursor_on_focus)
            self.cursor_on_focus = None

    def _place_cursor(self, position: int) -> None:
        self.cursor_position = position

    def focus(self, scroll_visible: bool = True) -> HostField:
        """Focus this field, mounting it first where its line is drawn as text."""
        self.mount_in_place()
        return super().focus(scroll_visible)

    def mount_in_place(self) -> None:
        """Mount this field where its entry's line (or the add line) is drawn as text, if it
        is not mounted yet."""
        if self.row is not None:
            self.row.start_editing()
        elif self.add_line is not None:
            self.add_line.start_editing()

    class PastedMany(Message):
        """Several entries were pasted at once."""

        def __init__(self, field: HostField, entries: list[str]) -> None:
            super().__init__()
            self.field = field
            self.entries = entries

    async def _on_key(self, event: events.Key) -> None:
        successor = self.live_successor()
        if successor is not self:
            event.stop()
            event.prevent_default()
            if successor is not None:
                successor.post_message(events.Key(event.key, event.character))
            return
        if event.key == "ctrl+r":
            # Here rather than through the binding, which the App runs when the key has bubbled
            # up to it: by then the keys behind ctrl+r are typed into this doomed field.
            event.stop()
            event.prevent_default()
            self.action_remove_entry()
            return
        if event.key == "enter" and self.has_class("add-field"):
            # Enter ends the entries typed so far, like a separator typed at the end, and at
            # once: a newline of a paste sent as keys is followed by the next entry's keys.
            event.stop()
            event.prevent_default()
            if self.value.strip():
                self.cursor_position = len(self.value)
                self.insert_text_at_cursor(" ")
            return
        await super()._on_key(event)

    def live_successor(self) -> HostField | None:
        """This field, or (once it was removed) the field its keys now go to."""
        field: HostField | None = self
        seen: set[int] = set()
        while field is not None and field.successor is not None and id(field) not in seen:
            seen.add(id(field))
            field = field.successor
        return field

    def _on_paste(self, event: events.Paste) -> None:
        successor = self.live_successor()
        if successor is not self:
            event.stop()
            event.prevent_default()
            if successor is not None:
                successor.post_message(events.Paste(event.text))
            return
        entries = split_host_list(event.text)
        if len(entries) > 1 or (entries and self.has_class("add-field")):
            event.prevent_default()
            event.stop()
            self.post_message(self.PastedMany(self, entries))

    def action_remove_entry(self) -> None:
        """Remove this entry (or clear the field where new entries are typed).

        At once, not through a message: the keys queued behind ctrl+r must find the entry gone
        and the focus moved, or they would be typed into a field about to disappear.
        """
        editor = next((a for a in self.ancestors if isinstance(a, HostListEditor)), None)
        if editor is not None:
            editor.remove_entry(self)


class HostRow(Widget):
    """One entry's line: the entry and, beside it, its status (✓ IPv4, ✗ error…) with the ✕
    that removes it. The core's message about it goes under the line, once there is one.

    Until the entry is first edited the line is one widget that draws all of it as text, the
    entry looking like the field it stands for: step 1's entries are all built before its
    first frame, and a field with its status beside it costs several times a line of text to
    build, style, lay out and draw. Focusing the line (Tab, a click) or its field
    (`field.focus()`) mounts the field and the status (`start_editing`); they stay. The
    message, `message`, is mounted after the line when first shown, and stays until the entry
    is removed.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"host-row--entry"}
    """The entry drawn as text: styled as its field is (wizard.tcss)."""

    def __init__(self, group: str, value: str, *, editing: bool = False) -> None:
        super().__init__(classes="host-row")
        self.group = group
        self.shown_value = value
        self._value = value
        self._field: HostField | None = None
        self._status: EntryStatus | None = None
        self._said = Content()
        """The status shown (drawn by the line until the status widget is mounted)."""
        self.editing = editing
        """True once the field and the status are mounted (the line no longer draws them)."""
        self.message = ProblemList("", classes="entry-message")
        self.message.display = False

    @property
    def field(self) -> HostField:
        """The entry's field (made when first asked for; mounted once the entry is edited)."""
        if self._field is None:
            self._field = HostField(self._value, row=self, classes="entry-field")
        return self._field

    @property
    def status(self) -> EntryStatus:
        """The entry's status and ✕ (made when first asked for; mounted with the field)."""
        if self._status is None:
            self._status = EntryStatus(self)
            self._status.say(self._said)
        return self._status

    @property
    def value(self) -> str:
        """The entry as typed."""
        return self._field.value if self._field is not None else self._value

    def compose(self) -> ComposeResult:
        """The field and the status, when the entry starts as edited; else nothing (the line
        draws them)."""
        if self.editing:
            yield self.field
            yield self.status

    def start_editing(self) -> None:
        """Mount the entry's field and status in place of the text (nothing when already done,
        or when the line is not on a screen: being removed)."""
        if self.editing or not self.is_attached:
            return
        self.editing = True
        self.mount_all([self.field, self.status])
        self.refresh()

    def allow_focus(self) -> bool:
        """The line takes the focus (Tab) while it is text; then its field does."""
        return not self.editing

    def _on_focus(self, event: events.Focus) -> None:
        self.start_editing()
        # Not when the focus has gone on since (a burst of Tabs): it stays where it went.
        if self.screen.focused is self:
            self.screen.set_focus(self.field, scroll_visible=False)

    async def _on_key(self, event: events.Key) -> None:
        # Characters that were on their way to the line as it became a field are typed into
        # the field. (The field stops those typed into it; other keys go on up to the App,
        # whose bindings are those of the focused widget: the field's by now.)
        if event.is_printable and self.editing:
            event.stop()
            event.prevent_default()
            self.field.post_message(events.Key(event.key, event.character))

    def focus_on_click(self) -> bool:
        """A click edits the entry or, on the ✕, removes it (`on_click`), not focus first."""
        return False

    def _on_cross(self, x: int) -> bool:
        return x >= self.size.width - EntryStatus.WIDTH + EntryStatus.CROSS_OFFSET

    def on_click(self, event: events.Click) -> None:
        """On the entry: edit it, the cursor where it was clicked; on the ✕: remove it; on the
        status: nothing (as on the status widget)."""
        if self.editing:
            return
        event.stop()
        if self._on_cross(event.x):
            self.post_message(EntryStatus.Pressed(self.status))
        elif event.x < self.size.width - EntryStatus.WIDTH:
            self.field.cursor_on_focus = min(max(event.x, 0), len(self.value))
            self.field.focus()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """The ✕'s tooltip, over the ✕ only."""
        tip = EntryStatus.REMOVE_TIP if not self.editing and self._on_cross(event.x) else None
        if self.tooltip != tip:
            self.tooltip = tip

    def render(self) -> Content:
        """The entry, its status and the ✕, as the field and the status draw them (nothing
        once they are mounted)."""
        if self.editing:
            return Content()
        width = self.size.width
        entry = Content(self.value).truncate(max(0, width - EntryStatus.WIDTH), pad=True)
        entry = entry.stylize(self.get_visual_style("host-row--entry"))
        gap = Content(" " * EntryStatus.PADDING)
        return Content.assemble(entry, gap, EntryStatus.with_cross(self._said))

    def show(self, problems: list[Problem]) -> None:
        """Show the entry's status and messages (errors first)."""
        problems = sort_problems(problems)
        worst = problems[0].severity if problems else None
        if worst in ("error", "warning"):
            said = Content.from_markup(
                f"[{style(worst)}]$text[/]", text=f"{mark_of(worst).symbol} {worst}"
            )
        else:
            try:
                kind = parse_host(self.value).kind.value
            except HostError:
                kind = ""
            said = Content.from_markup("[$success]✓[/] $kind", kind=kind)
        if said.plain != self._said.plain or said.spans != self._said.spans:
            self._said = said
            if self._status is not None:
                self._status.say(said)
            if not self.editing:
                self.refresh()
        self.message.show(problems)
        self.message.display = bool(problems)
        parent = self.parent
        if problems and self.message.parent is None and isinstance(parent, Widget):
            parent.mount(self.message, after=self)
        self.set_class(worst == "error", "-error")
        self.message.set_class(worst == "error", "-error")

    def remove_line(self) -> None:
        """Remove the entry's line and its message."""
        if self.message.parent is not None:
            self.message.remove()
        self.remove()


class EntryStatus(Note):
    """An entry's status (`✓ IPv4`, `✗ error`…) and, after it, the ✕ that removes the entry:
    by mouse only (ctrl+r from the keyboard), so Tab skips it. One widget for both."""

    STATUS_CELLS = 9
    """The status's cells, between the left padding and the ✕."""
    PADDING = 1
    """Blank cells before the status (wizard.tcss: `.entry-status`)."""
    WIDTH = 13
    """The widget's width: padding, status, ✕ and two blank cells (wizard.tcss)."""
    CROSS_OFFSET = PADDING + STATUS_CELLS
    """Where the ✕ is, from the widget's left edge."""

    REMOVE_TIP = "remove this entry (ctrl+r)"

    class Pressed(Message):
        """The ✕ was clicked."""

        def __init__(self, status: EntryStatus) -> None:
            super().__init__()
            self.status = status

    def __init__(self, row: HostRow) -> None:
        super().__init__(self.with_cross(Content()), classes="entry-status", fixed=True)
        self.row = row

    @classmethod
    def with_cross(cls, content: Content) -> Content:
        """A status in its cells, then the ✕."""
        return content.truncate(cls.STATUS_CELLS, pad=True) + Content("✕")

    def say(self, content: Content | str) -> None:
        """Show this status, the ✕ after it."""
        status = content if isinstance(content, Content) else Content(content)
        super().say(self.with_cross(status))

    def _on_cross(self, x: int) -> bool:
        return x >= self.styles.padding.left + self.STATUS_CELLS

    def on_click(self, event: events.Click) -> None:
        """A click on the ✕ asks the editor to remove this row."""
        if self._on_cross(event.x):
            event.stop()
            self.post_message(self.Pressed(self))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """The ✕'s tooltip, over the ✕ only."""
        tip = self.REMOVE_TIP if self._on_cross(event.x) else None
        if self.tooltip != tip:
            self.tooltip = tip


class AddLine(Widget):
    """The field for new entries, drawn as its empty Input would be (the placeholder) until
    it is first focused (Tab, a click, `add_field.focus()`): then the field is mounted in its
    place and takes the focus; characters already on their way to the line are typed into it.
    Five Inputs fewer to build before step 1's first frame."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"add-line--placeholder"}
    """The placeholder: styled as the field's (wizard.tcss)."""

    def __init__(self, editor: HostListEditor) -> None:
        super().__init__(classes="add-line")
        self.editor = editor
        self.replaced = False

    def start_editing(self) -> None:
        """Mount the editor's add field in place of this line (once, while on a screen); it
        takes the focus if the line has it."""
        if self.replaced or not self.is_attached:
            return
        self.replaced = True
        field = self.editor.add_field
        self.editor.mount(field, before=self)
        if self.screen.focused is self:
            # before the line goes: a focused widget removed hands the focus to a neighbour
            self.screen.set_focus(field, scroll_visible=False)
        self.remove()

    def allow_focus(self) -> bool:
        """Tab stops here until the field takes the line's place."""
        return not self.replaced

    def _on_focus(self, event: events.Focus) -> None:
        # The field takes the focus, unless it has gone on since (a burst of Tabs).
        self.start_editing()

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and self.replaced:
            event.stop()
            event.prevent_default()
            self.editor.add_field.post_message(events.Key(event.key, event.character))

    def focus_on_click(self) -> bool:
        """A click mounts the field (`on_click`) rather than focusing the line first."""
        return False

    def on_click(self, event: events.Click) -> None:
        """Type here: the field takes the line's place and the focus."""
        event.stop()
        self.editor.add_field.focus()

    def render(self) -> Content:
        """The placeholder, as the empty field shows it."""
        text = Content(HostListEditor.ADD_PLACEHOLDER).truncate(self.size.width, pad=True)
        return text.stylize(self.get_visual_style("add-line--placeholder"))


class HostListEditor(Vertical):
    """The entries of one host group: edit in place, add below, paste many, remove with ctrl+r.

    The screen shows the entries' statuses (`show_problems`) once it is mounted, with the
    checks of all the answers: the editor does not check them a first time on its own.
    """

    class Changed(Message):
        """The group's entries changed (typed, added, removed or pasted)."""

        def __init__(self, editor: HostListEditor) -> None:
            super().__init__()
            self.editor = editor

        @property
        def control(self) -> HostListEditor:
            """The editor that changed."""
            return self.editor

    ADD_PLACEHOLDER = "add: type or paste addresses, Enter"

    def __init__(
        self, group: str, values: list[str], *, edit_first: bool = False, **kwargs: object
    ) -> None:
        super().__init__(classes="host-group", **kwargs)  # type: ignore[arg-type]
        self.group = group
        self.initial = list(values)
        self.edit_first = edit_first
        """The first entry (or with none, the add field) comes as a field, not as text: the
        one the screen focuses first."""
        self._add_field: HostField | None = None
        self._add_line: AddLine | None = None
        self.border_title = group
        self._problems: list[Problem] = []
        self._pending = ""
        self._rows: list[HostRow] = []
        """The live rows in order, kept here: a query per typed key made a paste quadratic."""
        self.group_message = ProblemList("", classes="group-message")
        """The group's own problems, under the add field: mounted when first there are any."""
        self.group_message.display = False

    def compose(self) -> ComposeResult:
        """Title, the entries, the field for new ones (the group's message comes when
        needed)."""
        reason = SAN_REASONS[SanSource(self.group)]
        yield Static(
            Content(reason.partition(": ")[2] or reason), classes="group-hint", markup=False
        )
        # the entries straight in the group, between the hint and the add field (no container
        # of their own: one fewer to build per group before step 1's first frame)
        self._rows = [
            HostRow(self.group, value, editing=self.edit_first and index == 0)
            for index, value in enumerate(self.initial[:MAX_ENTRIES])
        ]
        yield from self._rows
        if self.edit_first and not self._rows:
            yield self.add_field
        else:
            self._add_line = AddLine(self)
            self.add_field.add_line = self._add_line
            yield self._add_line

    # --- reading and writing the list ---

    @property
    def rows(self) -> list[HostRow]:
        """The entry rows, in order (not those removed and still leaving the screen)."""
        return list(self._rows)

    @property
    def add_field(self) -> HostField:
        """The field where new entries are typed (mounted once first focused: AddLine)."""
        if self._add_field is None:
            self._add_field = HostField(
                placeholder=self.ADD_PLACEHOLDER, classes="add-field", id=f"add-{self.group}"
            )
        return self._add_field

    @property
    def _add_widget(self) -> Widget:
        """What is mounted below the entries: the add field, or the line in its place."""
        if self._add_line is not None and not self._add_line.replaced:
            return self._add_line
        return self.add_field

    @property
    def values(self) -> list[str]:
        """The entries as typed, plus what is in the add field and not yet committed."""
        values = [row.value for row in self.rows]
        pending = self._add_field.value.strip() if self._add_field is not None else ""
        return values + [pending] if pending else values

    async def set_values(self, values: list[str]) -> None:
        """Replace every entry (after loading a cluster file)."""
        await self.remove_children(".host-row, .entry-message")
        self._rows = [HostRow(self.group, value) for value in self._capped(values, 0)]
        await self.mount_all(self._rows, before=self._add_widget)
        if self._add_field is not None:
            self._add_field.value = ""
        self.show_problems(self._problems)

    def field_for(self, path: str) -> Widget:
        """The field a problem path points at (`hosts.vip[0]` → the first entry)."""
        match = re.search(r"\[(\d+)\]$", path)
        rows = self.rows
        if match and int(match.group(1)) < len(rows):
            return rows[int(match.group(1))].field
        return self.add_field

    # --- problems ---

    def show_problems(self, problems: list[Problem]) -> None:
        """Show each entry's own problems (checked here as typed) and the cross checks given."""
        self._problems = problems
        prefix = f"hosts.{self.group}"
        for index, row in enumerate(self.rows):
            path = f"{prefix}[{index}]"
            own = validate_host_entry(self.group, index, row.value)
            found = [own] if own else []
            found += [p for p in problems if p.path == path and p not in found]
            row.show(found)
        pending_path = f"{prefix}[{len(self.rows)}]"
        group_problems = [p for p in problems if p.path in (prefix, pending_path)]
        message = self.group_message
        message.show(group_problems)
        message.display = bool(group_problems)
        if group_problems and message.parent is None and self.is_attached:
            self.mount(message)
        count = len(self.values)  # what is typed in the add field counts already
        self.border_subtitle = f"{count} entr{'y' if count == 1 else 'ies'}"
        errors = [p for p in [*problems, *group_problems] if p.severity == "error"]
        self.set_class(any(p.path.startswith(prefix) for p in errors), "-error")

    def _changed(self) -> None:
        self.show_problems(self._problems)
        self.post_message(self.Changed(self))

    # --- editing ---

    def _capped(self, entries: list[str], present: int) -> list[str]:
        """The entries that fit under MAX_ENTRIES; says when some do not."""
        room = max(0, MAX_ENTRIES - present)
        if len(entries) > room:
            self.app.notify(
                f"hosts.{self.group}: {len(entries)} entries given, {room} added — a host group "
                f"holds at most {MAX_ENTRIES}; the other {len(entries) - room} were left out",
                title="Too many entries",
                severity="warning",
                timeout=NOTICE_TIMEOUT,
            )
        kept = entries[:room]
        if any(len(entry) > MAX_FIELD_LENGTH for entry in kept):
            self.app.notify(
                f"hosts.{self.group}: an entry longer than {MAX_FIELD_LENGTH:,} characters was "
                "cut to that length (no address or DNS name is that long)",
                title="Entry cut",
                severity="warning",
                timeout=NOTICE_TIMEOUT,
            )
        return [entry[:MAX_FIELD_LENGTH] for entry in kept]

    async def _add(self, entries: list[str], after: HostRow | None = None) -> None:
        new = [HostRow(self.group, e) for e in self._capped(entries, len(self._rows))]
        if not new:
            return
        if after is None or after not in self._rows:
            self._rows.extend(new)
            await self.mount_all(new, before=self._add_widget)
        else:
            index = self._rows.index(after) + 1
            self._rows[index:index] = new
            # after the row's message, when it has one: the message stays under its line
            below: Widget = after.message if after.message.parent is self else after
            await self.mount_all(new, after=below)

    def remove_entry(self, field: HostField) -> None:
        """Remove the entry of `field`, or clear the add field.

        A request from an entry already removed (ctrl+r held: the repeats were queued for the
        first field) removes the entry that took its focus: one entry per press, as when typed
        slowly.
        """
        target = field.live_successor()
        if target is self.add_field:
            target.value = ""
            return
        row = self._row_of(target) if target is not None else None
        if row is not None:
            self._remove(row)

    def _remove(self, row: HostRow) -> None:
        rows = self.rows
        if not any(row is live for live in rows):
            return  # already removed: a second request that was queued behind the first
        index = rows.index(row)
        following = rows[index + 1].field if index + 1 < len(rows) else self.add_field
        if row.editing:
            row.field.successor = following
        self._rows.remove(row)
        if row.has_focus or row.has_focus_within:
            # At once, not after the removal: keys pressed meanwhile must reach `following`.
            following.mount_in_place()
            self.screen.set_focus(following, scroll_visible=True)
        row.remove_line()  # the pruning runs on its own; `rows` leaves the row out already
        self._changed()

    @on(Input.Changed, ".add-field")
    async def _typed_in_add_field(self, event: Input.Changed) -> None:
        event.stop()
        # The field's value now, not the event's: in a burst of keys the field is ahead of
        # its queued Changed messages, and an old value would add its entries a second time.
        # It is read and cut in one go, before any await lets another key in.
        field = self.add_field
        text = field.value
        if not text and not self._pending:
            return
        self._pending = text
        if _SEPARATOR.search(text):  # a separator typed: what comes before it is an entry
            entries = split_host_list(text)
            finished = bool(_SEPARATOR.match(text[-1]))
            field.value = self._pending = "" if finished or not entries else entries[-1]
            await self._add(entries if finished else entries[:-1])
        self._changed()

    @on(Input.Submitted, ".add-field")
    @on(Input.Blurred, ".add-field")
    async def _commit_add_field(self, event: Input.Submitted | Input.Blurred) -> None:
        """Enter, or leaving the field, adds what was typed in it."""
        event.stop()
        entries = split_host_list(self.add_field.value)
        if entries:
            self.add_field.value = ""
            await self._add(entries)
            self._changed()

    @on(Input.Changed, ".entry-field")
    def _typed_in_entry(self, event: Input.Changed) -> None:
        event.stop()
        row = self._row_of(event.input)
        if row is None:
            return  # a Changed queued by an entry removed since
        if event.value != row.shown_value:  # not the Changed an Input posts when mounted
            row.shown_value = event.value
            self._changed()

    @on(Input.Submitted, ".entry-field")
    async def _submitted_entry(self, event: Input.Submitted) -> None:
        event.stop()
        row = self._row_of(event.input)
        if row is None:
            return
        parts = split_host_list(row.field.value)
        if not parts:
            self._remove(row)
            return
        if len(parts) > 1:
            row.field.value = parts[0]
            await self._add(parts[1:], after=row)
            self._changed()
        self.screen.focus_next()

    @on(HostField.PastedMany)
    async def _pasted(self, event: HostField.PastedMany) -> None:
        event.stop()
        if event.field is self.add_field:
            pending = split_host_list(self.add_field.value)
            self.add_field.value = ""
            await self._add(pending + event.entries)
        else:
            row = self._row_of(event.field)
            if row is None:
                return
            entries = list(event.entries)
            if not row.field.value.strip():
                row.field.value = entries.pop(0)
            await self._add(entries, after=row)
        self._changed()

    @on(EntryStatus.Pressed)
    def _remove_pressed(self, event: EntryStatus.Pressed) -> None:
        event.stop()
        self._remove(event.status.row)

    def _row_of(self, field: Widget) -> HostRow | None:
        """The live row of an entry field (None once the row is removed or being removed)."""
        row = field.row if isinstance(field, HostField) else None
        if row is None or not any(row is live for live in self._rows):
            return None
        return row
