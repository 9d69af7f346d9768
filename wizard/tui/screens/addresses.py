"""Step 1: the addresses and names the certificates must hold, and the service network."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Static

from wizard.catalog import cluster_dns_names
from wizard.hosts import HostError
from wizard.spec import HOST_GROUPS, Problem
from wizard.tui.screens.step import StepScreen
from wizard.tui.state import step_of_path
from wizard.tui.widgets.fields import Note, TextField
from wizard.tui.widgets.host_list import AddLine, EntryStatus, HostField, HostListEditor, HostRow
from wizard.tui.widgets.problems import ProblemList


class AddressesScreen(StepScreen):
    """Host groups (etcd, masters, registry, vip, extra), the service CIDR and cluster domain."""

    STEP = 1
    AUTO_FOCUS = "#host-groups Input"
    MOUNTS = (
        *StepScreen.MOUNTS, Horizontal, Vertical, VerticalScroll, Static, HostListEditor, HostRow,
        HostField, EntryStatus, AddLine, TextField, ProblemList,
    )  # fmt: skip

    def compose_body(self) -> ComposeResult:
        """Host groups on the left (top when narrow), the network and a summary beside them."""
        spec = self.state.spec
        with Horizontal(id="addresses-body", classes="columns"):
            with VerticalScroll(id="host-groups", classes="main-column"):
                yield Static(
                    "Every address and name clients use to reach etcd and kube-apiserver — "
                    "single addresses only, never a network like 192.168.214.1/24.",
                    classes="intro",
                    markup=False,
                )
                for group in HOST_GROUPS:
                    yield HostListEditor(
                        group,
                        getattr(spec.hosts, group),
                        edit_first=group == HOST_GROUPS[0],  # AUTO_FOCUS's field
                        id=f"hosts-{group}",
                    )
            with Vertical(id="network-side", classes="side-column"):
                yield Static("Service network", classes="section-title")
                with Horizontal(classes="form-row"):
                    yield Static("service CIDR", classes="form-label")
                    yield TextField(spec.network.service_cidr, id="service-cidr")
                yield Note("", id="service-ip", classes="field-note")
                with Horizontal(classes="form-row"):
                    yield Static("apiserver port", classes="form-label")
                    yield TextField(str(spec.network.apiserver_port), id="apiserver-port")
                yield Note("", id="port-note", classes="field-note -fine")  # as checked on mount
                with Horizontal(classes="form-row"):
                    yield Static("cluster domain", classes="form-label")
                    yield TextField(spec.network.cluster_domain, id="cluster-domain")
                yield Note("", id="domain-note", classes="field-note -fine")
                yield Note("", id="addresses-count", classes="section-title")
                with VerticalScroll(id="addresses-problems-scroll"):
                    yield ProblemList("", id="addresses-problems")

    def on_mount(self) -> None:
        """Check everything once, so the prefilled answers show their state."""
        self.revalidate()

    async def sync_from_spec(self) -> None:
        """Show the answers of a loaded file."""
        spec = self.state.spec
        for group in HOST_GROUPS:
            await self.editor(group).set_values(getattr(spec.hosts, group))
        with self.prevent(Input.Changed):
            self.query_one("#service-cidr", Input).value = spec.network.service_cidr
            self.query_one("#cluster-domain", Input).value = spec.network.cluster_domain
            self.query_one("#apiserver-port", Input).value = str(spec.network.apiserver_port)
        self.revalidate()

    def editor(self, group: str) -> HostListEditor:
        """The list editor of one host group."""
        return self.query_one(f"#hosts-{group}", HostListEditor)

    # --- edits ---

    @on(HostListEditor.Changed)
    def _hosts_changed(self, event: HostListEditor.Changed) -> None:
        values = event.editor.values
        if getattr(self.state.spec.hosts, event.editor.group) != values:
            setattr(self.state.spec.hosts, event.editor.group, values)
            self.answers_changed()
        self.revalidate()

    # A field's Changed with the value the answers already hold (each field posts one when
    # mounted) changes nothing: the checks shown stand.

    @on(Input.Changed, "#service-cidr")
    def _cidr_changed(self, event: Input.Changed) -> None:
        if self.state.spec.network.service_cidr != event.value:
            self.state.spec.network.service_cidr = event.value
            self.answers_changed()
            self.revalidate()

    @on(Input.Changed, "#cluster-domain")
    def _domain_changed(self, event: Input.Changed) -> None:
        if self.state.spec.network.cluster_domain != event.value:
            self.state.spec.network.cluster_domain = event.value
            self.answers_changed()
            self.revalidate()

    @on(Input.Changed, "#apiserver-port")
    def _port_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        port: int | str = int(text) if text.isdigit() else event.value  # kept as typed if wrong
        if self.state.spec.network.apiserver_port != port:
            self.state.spec.network.apiserver_port = port  # type: ignore[assignment]
            self.answers_changed()
            self.revalidate()

    # --- checks ---

    def revalidate(self) -> None:
        """Run the core's checks and show each problem beside its field."""
        problems = [p for p in self.state.problems() if step_of_path(p.path) == 1]
        for group in HOST_GROUPS:
            self.editor(group).show_problems(problems)
        self._show_network(problems)
        self.report_checks(problems, "#addresses-count", "#addresses-problems", "addresses ready")

    def _show_network(self, problems: list[Problem]) -> None:
        spec = self.state.spec
        by_path = {p.path: p for p in problems}
        service_ip = self.query_one("#service-ip", Note)
        cidr_problem = by_path.get("network.service_cidr")
        if cidr_problem:
            service_ip.say(Content.from_markup("[$error]✗ $msg[/]", msg=cidr_problem.message))
        else:
            try:
                address = spec.service_ip()
            except HostError as error:  # validate() and service_ip() agree; kept for safety
                service_ip.say(Content.from_markup("[$error]✗ $msg[/]", msg=str(error)))
            else:
                service_ip.say(
                    Content.from_markup(
                        "[$success]✓[/] first service IP [b]$ip[/] — the `kubernetes` "
                        "Service's ClusterIP, added to the apiserver's SANs",
                        ip=str(address),
                    )
                )
        self.query_one("#service-cidr").set_class(cidr_problem is not None, "-invalid")
        domain_note = self.query_one("#domain-note", Note)
        domain_problem = by_path.get("network.cluster_domain")
        if domain_problem:
            domain_note.say(Content.from_markup("[$error]✗ $msg[/]", msg=domain_problem.message))
        else:
            domain_note.say(
                Content.from_markup(
                    "[$success]✓[/] SAN [b]$name[/]", name=cluster_dns_names(spec)[-1]
                )
            )
        self.query_one("#cluster-domain").set_class(domain_problem is not None, "-invalid")
        port_problem = by_path.get("network.apiserver_port")
        self.query_one("#port-note", Note).say(
            Content.from_markup("[$error]✗ $msg[/]", msg=port_problem.message)
            if port_problem
            else Content.from_markup(
                "[$success]✓[/] kubeconfigs dial $url", url=spec.apiserver_url()
            )
        )
        self.query_one("#apiserver-port").set_class(port_problem is not None, "-invalid")
        # at 80 columns the notes of fields without a problem fold away (see wizard.tcss)
        self.query_one("#port-note").set_class(port_problem is None, "-fine")
        domain_note.set_class(domain_problem is None, "-fine")

    def message_for(self, path: str) -> Widget | None:
        """The entry's message under its line (or the line), the group's message, or a
        field's note."""
        if path.startswith("hosts."):
            field = self.field_for(path)
            row = field.row if isinstance(field, HostField) else None
            if row is not None:
                return row.message if row.message.display and row.message.parent else row
            group = path.split(".", 1)[1].split("[", 1)[0]
            return self.editor(group).group_message
        notes = {
            "network.service_cidr": "#service-ip",
            "network.cluster_domain": "#domain-note",
            "network.apiserver_port": "#port-note",
        }
        return self.query_one(notes[path]) if path in notes else None

    def field_for(self, path: str) -> Widget | None:
        """`hosts.vip[0]` → that entry; `network.service_cidr` → the CIDR field."""
        if path.startswith("hosts."):
            group = path.split(".", 1)[1].split("[", 1)[0]
            return self.editor(group).field_for(path)
        if path == "network.service_cidr":
            return self.query_one("#service-cidr")
        if path == "network.cluster_domain":
            return self.query_one("#cluster-domain")
        if path == "network.apiserver_port":
            return self.query_one("#apiserver-port")
        return None
