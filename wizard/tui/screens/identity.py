"""Step 2: the subject every certificate carries, the key type, the lifetimes and the profile."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Label, RadioButton, RadioSet, Select, Static, TextArea

from wizard import pki
from wizard.catalog import PROFILE_NAMES, all_profiles, get_profile
from wizard.expiry import DurationError, describe_duration, parse_lifetime
from wizard.spec import (
    KEY_SIZES,
    KUBELET_MODES,
    SUBJECT_FIELDS,
    Problem,
    format_node_lines,
    parse_node_lines,
)
from wizard.tui.screens.step import StepScreen
from wizard.tui.state import step_of_path
from wizard.tui.widgets.fields import Dropdown, Note, TextField
from wizard.tui.widgets.problems import ProblemList, problem_content

SUBJECT_HINTS = {
    "C": "country, two letters (CN, US, DE) or empty",
    "ST": "state or province",
    "L": "locality (city)",
    "O": "organization — Kubernetes reads O as a group (admin's is always system:masters)",
    "OU": "organizational unit",
}
KEY_HINTS = {
    "rsa": "RSA: what the guide uses; 4096 takes seconds per key to make",
    "ecdsa": "ECDSA: small and fast; its certificates drop 'key encipherment' (TLS 1.3 style)",
}
EXPIRY_LABELS = {"ca": "CA", "cert": "certificates"}
KUBELET_HINTS = {
    "certificates": "one kubelet certificate per [[nodes]] entry of cluster.toml",
    "bootstrap": "a bootstrap token; kubelets ask the cluster for their certificates",
}


def ignored_subject_fields(profile_name: str) -> frozenset[str]:
    """The subject fields no certificate of the profile carries, from the catalogue: kubeadm's
    entries take only CN and their fixed O (`use_subject=False`), so C, ST, L, O and OU are
    unused there. The one place the Identity step learns it (a profile fact may replace it)."""
    if profile_name not in PROFILE_NAMES:
        return frozenset()
    profile = get_profile(profile_name)
    used: set[str] = set()
    for entry in profile.entries:
        if entry.key_only or not entry.use_subject:
            continue
        used |= set(SUBJECT_FIELDS) - {"O"}
        if entry.organization is None:
            used.add("O")
    return frozenset(SUBJECT_FIELDS) - used


class IdentityScreen(StepScreen):
    """Subject C/ST/L/O/OU, key algorithm and size, CA and certificate lifetimes, profile."""

    CSS_PATH = "../steps.tcss"  # the rules of steps 2 to 5: not parsed for step 1

    STEP = 2
    AUTO_FOCUS = "#subject-C, #key-algo"  # the first that is not disabled

    def compose_body(self) -> ComposeResult:
        """Subject and keys on the left, lifetimes and profile on the right (stacked if narrow)."""
        spec = self.state.spec
        with VerticalScroll(id="identity-body"), Horizontal(classes="columns"):
            with Vertical(classes="main-column", id="subject-column"):
                yield Static("Subject — the names in every certificate", classes="section-title")
                for name in SUBJECT_FIELDS:
                    with Horizontal(classes="form-row"):
                        yield Label(name, classes="form-label short")
                        yield TextField(getattr(spec.subject, name), id=f"subject-{name}")
                    yield Note(SUBJECT_HINTS[name], id=f"subject-{name}-note", classes="field-note")
                yield Static("Keys", classes="section-title")
                with Vertical(id="key", classes="form-group"):
                    with Horizontal(classes="form-row"):
                        yield Label("algorithm", classes="form-label")
                        with RadioSet(id="key-algo", compact=True):
                            for algo in KEY_SIZES:
                                yield RadioButton(
                                    algo, value=spec.key.algo == algo, id=f"algo-{algo}"
                                )
                    with Horizontal(classes="form-row"):
                        yield Label("size", classes="form-label")
                        yield Dropdown(
                            self._size_options(spec.key.algo),
                            value=spec.key.size if self._size_ok() else Select.NULL,
                            allow_blank=not self._size_ok(),
                            id="key-size",
                            compact=True,
                        )
                yield Note("", id="key-note", classes="field-note")
            with Vertical(classes="side-column", id="lifetime-column"):
                yield Static(
                    "Lifetimes — Go durations, in hours (87600h = 10 years)",
                    classes="section-title",
                )
                for name, label in EXPIRY_LABELS.items():
                    with Horizontal(classes="form-row"):
                        yield Label(label, classes="form-label")
                        yield TextField(getattr(spec.expiry, name), id=f"expiry-{name}")
                    yield Note("", id=f"expiry-{name}-note", classes="field-note")
                yield Static("Profile", classes="section-title")
                yield Dropdown(
                    [(profile.name, name) for name, profile in all_profiles().items()],
                    value=spec.profile if spec.profile in PROFILE_NAMES else Select.NULL,
                    allow_blank=spec.profile not in PROFILE_NAMES,
                    id="profile",
                    compact=True,
                )
                yield Note("", id="profile-note", classes="field-note")
                yield Static("Kubelet certificates", classes="section-title")
                with RadioSet(id="kubelet", compact=True):
                    for mode in KUBELET_MODES:
                        yield RadioButton(mode, value=spec.kubelet == mode, id=f"kubelet-{mode}")
                yield Note("", id="kubelet-note", classes="field-note")
                yield Static("Nodes — one per line: name address", classes="section-title")
                yield TextArea(
                    format_node_lines(spec.nodes), id="nodes", compact=True, soft_wrap=False
                )
                yield Note("", id="nodes-note", classes="field-note")
                yield Note("", id="identity-count", classes="section-title")
                yield ProblemList("", id="identity-problems")

    def _choices_fit(self) -> bool:
        """True when the key, profile and kubelet answers are among the choices offered."""
        spec = self.state.spec
        return self._size_ok() and spec.profile in PROFILE_NAMES and spec.kubelet in KUBELET_MODES

    def _size_ok(self) -> bool:
        key = self.state.spec.key
        return key.size in KEY_SIZES.get(key.algo, ())

    @staticmethod
    def _size_options(algo: str) -> list[tuple[str, int]]:
        return [(f"{size} bits", size) for size in KEY_SIZES.get(algo, ())]

    def on_mount(self) -> None:
        """Check the prefilled answers."""
        self.revalidate()

    async def sync_from_spec(self) -> None:
        """Show the answers of a loaded file."""
        spec = self.state.spec
        if not self._choices_fit():
            # A value no radio button or list entry stands for (a broken cluster file): build
            # the fields again, as for a new screen, so that none shows a stale choice; the
            # notes under them say what is wrong.
            await self.recompose()
            self.set_focus(self.query_one(self.AUTO_FOCUS))
            self.revalidate()
            return
        with self.prevent(Input.Changed, RadioSet.Changed, Select.Changed):
            for name in SUBJECT_FIELDS:
                self.query_one(f"#subject-{name}", Input).value = getattr(spec.subject, name)
            for name in EXPIRY_LABELS:
                self.query_one(f"#expiry-{name}", Input).value = getattr(spec.expiry, name)
            if spec.key.algo in KEY_SIZES:
                self.query_one(f"#algo-{spec.key.algo}", RadioButton).value = True
            size = self.query_one("#key-size", Select)
            size.set_options(self._size_options(spec.key.algo))
            if spec.key.size in KEY_SIZES.get(spec.key.algo, ()):
                size.value = spec.key.size
            if spec.profile in PROFILE_NAMES:
                self.query_one("#profile", Select).value = spec.profile
            if spec.kubelet in KUBELET_MODES:
                self.query_one(f"#kubelet-{spec.kubelet}", RadioButton).value = True
        with self.prevent(TextArea.Changed):
            self.query_one("#nodes", TextArea).text = format_node_lines(spec.nodes)
        self.revalidate()

    # --- edits ---

    @on(Input.Changed, ".form-row Input")
    def _text_changed(self, event: Input.Changed) -> None:
        section, name = (event.input.id or "").split("-", 1)
        record = getattr(self.state.spec, section)
        if getattr(record, name) != event.value:
            setattr(record, name, event.value)
            self.answers_changed()
        self.revalidate()

    @on(RadioSet.Changed, "#key-algo")
    def _algo_changed(self, event: RadioSet.Changed) -> None:
        algo = str(event.pressed.label)
        key = self.state.spec.key
        if key.algo == algo:
            return
        key.algo = algo
        sizes = KEY_SIZES[algo]
        if key.size not in sizes:
            key.size = sizes[0]
        select = self.query_one("#key-size", Select)
        with self.prevent(Select.Changed):
            select.set_options(self._size_options(algo))
            select.value = key.size
        self.answers_changed()
        self.revalidate()

    @on(RadioSet.Changed, "#kubelet")
    def _kubelet_changed(self, event: RadioSet.Changed) -> None:
        mode = str(event.pressed.label)
        if self.state.spec.kubelet != mode:
            self.state.spec.kubelet = mode
            self.answers_changed()
        self.revalidate()

    @on(TextArea.Changed, "#nodes")
    def _nodes_changed(self, event: TextArea.Changed) -> None:
        nodes = parse_node_lines(event.text_area.text)
        if nodes != self.state.spec.nodes:
            self.state.spec.nodes = nodes
            self.answers_changed()
        self.revalidate()

    @on(Select.Changed, "#key-size")
    def _size_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int) and self.state.spec.key.size != event.value:
            self.state.spec.key.size = event.value
            self.answers_changed()
        self.revalidate()

    @on(Select.Changed, "#profile")
    def _profile_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and self.state.spec.profile != event.value:
            self.state.spec.profile = event.value
            self.answers_changed()
        self.revalidate()

    # --- checks ---

    def revalidate(self) -> None:
        """Run the core's checks and show each problem under its field."""
        problems = [p for p in self.state.problems() if step_of_path(p.path) == 2]
        by_path: dict[str, list[Problem]] = {}
        for problem in problems:
            by_path.setdefault(problem.path, []).append(problem)
        spec = self.state.spec
        ignored = ignored_subject_fields(spec.profile)
        for name in SUBJECT_FIELDS:
            # Disabled and said, never dropped: the value stays in cluster.toml for a profile
            # that uses it.
            self.query_one(f"#subject-{name}", Input).disabled = name in ignored
            hint = (
                Content.from_markup(
                    "[$text-muted]not used by the $profile profile (its certificates carry only "
                    "CN and O); kept in cluster.toml[/]",
                    profile=spec.profile,
                )
                if name in ignored
                else SUBJECT_HINTS[name]
            )
            self._note([f"subject.{name}"], f"#subject-{name}", by_path, hint)
        self._note(["key.algo", "key.size"], "#key", by_path, KEY_HINTS.get(spec.key.algo, ""))
        for name in EXPIRY_LABELS:
            self._note([f"expiry.{name}"], f"#expiry-{name}", by_path, self._lifetime(name))
        profile = get_profile(spec.profile) if spec.profile in PROFILE_NAMES else None
        self._note(["profile"], "#profile", by_path, profile.description if profile else "")
        kubelet_hint = KUBELET_HINTS.get(spec.kubelet, "")
        if profile and not profile.makes_per_node_files:
            kubelet_hint += f" (the {profile.name} profile makes no kubelet files)"
        self._note(["kubelet"], "#kubelet", by_path, kubelet_hint)
        node_paths = [path for path in by_path if path.startswith("nodes")]
        count = len(spec.nodes)
        nodes_hint = (
            f"{count} node{'s' if count != 1 else ''}: the name exactly as the kubelet registers"
            if not profile or profile.makes_per_node_files
            else f"the {profile.name} profile makes no per-node files"
        )
        self._note(node_paths, "#nodes", by_path, nodes_hint)
        self.report_checks(problems, "#identity-count", "#identity-problems", "identity ready")

    def _lifetime(self, name: str) -> Content | str:
        """`✓ 3650 days (about 10 years) — ends 2036-11-26` for a valid lifetime; the domain's
        refusal for one it would not use (not a Go duration, or under an hour)."""
        try:
            lifetime = parse_lifetime(getattr(self.state.spec.expiry, name))
        except DurationError as error:
            refusal = Problem(f"expiry.{name}", str(error), "error")
            return problem_content(refusal, with_path=False)
        try:
            end = (pki.not_before(self.state.clock()) + lifetime).strftime("%Y-%m-%d")
        except OverflowError:
            end = "after the year 9999"
        return Content.from_markup(
            "[$success]✓[/] $described — ends $end",
            described=describe_duration(lifetime),
            end=end,
        )

    def _note(
        self,
        paths: list[str],
        field: str,
        by_path: dict[str, list[Problem]],
        fine: Content | str,
    ) -> None:
        """Show the problems of these paths under a field, or `fine` when there are none."""
        found = [p for path in paths for p in by_path.get(path, [])]
        self.query_one(field).set_class(any(p.severity == "error" for p in found), "-invalid")
        note = self.query_one(f"{field}-note", Note)
        if found:
            note.say(Content("\n").join(problem_content(p, with_path=False) for p in found))
        else:
            note.say(fine)

    def message_for(self, path: str) -> Widget | None:
        """The note under the field of `path` (`expiry.ca` → `#expiry-ca-note`)."""
        field = self.field_for(path)
        if field is None:
            return None
        name = "key" if path.startswith("key.") else field.id
        return self.query_one(f"#{name}-note")

    def field_for(self, path: str) -> Widget | None:
        """`subject.C` → the C field, `expiry.cert` → the certificate lifetime…"""
        targets = {f"subject.{n}": f"#subject-{n}" for n in SUBJECT_FIELDS}
        targets |= {f"expiry.{n}": f"#expiry-{n}" for n in EXPIRY_LABELS}
        targets |= {"key.algo": "#key-algo", "key.size": "#key-size", "profile": "#profile"}
        targets["kubelet"] = "#kubelet"
        if path.startswith("nodes"):
            return self.query_one("#nodes")
        selector = targets.get(path)
        return self.query_one(selector) if selector else None
