"""Learn the layout: the eight sets, who uses which file and why, CN/O → RBAC, TLS bootstrapping.

A teaching screen over the catalogue (wizard.catalog) and its explanations (wizard.layout), in
English or Simplified Chinese. Five sections in tabs; `l` switches the language, `p` the profile
(classic → complete → kubeadm), Esc closes the screen. `wizard.tui.make_layout_app` hosts it
alone, for tests, screenshots and a standalone run.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Horizontal, HorizontalScroll, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from wizard.catalog import EIGHT_SETS, CertEntry, get_profile, organization_of
from wizard.distribution import component_flags
from wizard.layout import (
    BOOTSTRAP_STEPS,
    LANGUAGES,
    OUTSIDE_SETS,
    PROFILE_DESCRIPTION_ZH,
    SET_NAMES_ZH,
    TEXT,
    FileUse,
    LayoutFile,
    component_names,
    identity_rows,
    pick_language,
    profile_files,
    purpose_of,
    set_text,
    sets_in_profile,
    teaching_spec,
    uses_by_component,
    uses_of_file,
    why_of,
)
from wizard.spec import PROFILES, ClusterSpec
from wizard.tui.dialogs.help import HelpDialog, KeySection
from wizard.tui.screens.over_wizard import OverWizardScreen
from wizard.tui.widgets.word_grid import WordGrid, wrapped

TABS = ("sets", "components", "files", "identity", "bootstrap")
"""The sections, in tab order (keys 1–5)."""

UI: dict[str, dict[str, str]] = {
    "en": {
        "screen": "Learn the layout",
        "state": "profile [b]$profile[/] (p) · English (l)",
        "tab_sets": "Eight sets",
        "tab_components": "Components",
        "tab_files": "Files",
        "tab_identity": "CN → RBAC",
        "tab_bootstrap": "TLS bootstrap",
        "who_verifies": "Who verifies whom",
        "in_profile_columns": "#|set|files presented|signed by (CA)",
        "none_made": "none made by this profile",
        "none_made_7": "none made: the kubelet signs its own, or gets one by TLS bootstrap",
        "none_made_6": "none made: needed since Kubernetes 1.20 (complete profile)",
        "key_pair": "— a key pair, no CA",
        "example_node": (
            "cluster.toml lists no [[nodes]]: node-1 stands in for each node's own kubelet files."
        ),
        "components": "Components",
        "reads": "Files it reads",
        "flags": "Its TLS flags on the host",
        "in_kubeconfig": "in its kubeconfig",
        "in_config": "in its config file",
        "no_files": (
            "The {profile} profile makes no file for {component}. Before Kubernetes 1.20 it "
            "could reach the apiserver over the insecure port; a current cluster gives it a "
            "client certificate and a kubeconfig — press p for the complete profile."
        ),
        "files": "Files",
        "cert": "certificate",
        "ca_cert": "certificate authority (self-signed)",
        "key": "private key of {cert} · mode 0600",
        "sa_key": "private key of the service-account key pair · mode 0600",
        "pub": "public key of the service-account key pair",
        "signed_by": "signed by {ca}",
        "sets_label": "in set",
        "ca_sets_label": "CA of set",
        "what": "What it is",
        "who": "Who uses it, and why",
        "nobody": "No component reads it at run time.",
        "offline": (
            "No component reads it at run time: it only signs new certificates — keep it offline."
        ),
        "key_note": "A private key goes only to the hosts that run these components.",
        "identity_columns": "CN = user (file)|O = group|what RBAC gives it",
        "bootstrap_intro": (
            "Instead of a certificate made by hand for every kubelet, a kubelet can ask the "
            "cluster for one with a token. The guide's classic set does this: its nodes get "
            "only ca.pem and bootstrap.kubeconfig."
        ),
        "kubelet_mode": 'This cluster: kubelet = "{mode}" in cluster.toml — {what}.',
        "mode_certificates": "each node gets a certificate made here",
        "mode_bootstrap": "kubelets bootstrap with a token",
        "help_title": "Keys",
        "close": "Close (Esc)",
        "help_intro": (
            "Five sections: the eight sets, the components, the files, CN/O → RBAC and TLS "
            "bootstrapping. Everything is drawn from the certificate catalogue, for the profile "
            "shown at the top right."
        ),
        "help_keys": "On this screen",
        "help_moving": "Moving around",
        "k_sections": "Go to a section",
        "k_tabs": "Previous / next section (on the tabs); scroll wide flags (on the flags)",
        "k_tab": "Move between the tabs, the lists and the text",
        "k_updown": "Pick a component or a file; scroll the text",
        "k_mouse": "Click a tab, a component, a file or a key below",
        "b_close": "Close",
        "b_language": "中文",
        "b_profile": "Profile",
        "b_help": "Help",
        "k_language": "Switch the language (English / 中文)",
        "k_profile": "Next profile: classic → complete → kubeadm",
        "k_close": "Close this screen",
        "k_help": "This help",
    },
    "zh": {
        "screen": "了解证书布局",
        "state": "方案 [b]$profile[/]（p）· 中文（l）",
        "tab_sets": "八套证书",
        "tab_components": "组件",
        "tab_files": "文件",
        "tab_identity": "CN → RBAC",
        "tab_bootstrap": "TLS 引导",
        "who_verifies": "谁用哪个 CA 验证谁",
        "in_profile_columns": "#|证书套|出示的文件|签发者（CA）",
        "none_made": "本方案不生成",
        "none_made_7": "不生成：kubelet 自签名，或通过 TLS bootstrap 申请",
        "none_made_6": "不生成：Kubernetes 1.20 以后需要（complete 方案）",
        "key_pair": "— 密钥对，没有 CA",
        "example_node": (
            "cluster.toml 中没有 [[nodes]]：用 node-1 代表每个节点自己的 kubelet 文件。"
        ),
        "components": "组件",
        "reads": "它读取的文件",
        "flags": "它在主机上的 TLS 参数",
        "in_kubeconfig": "写在它的 kubeconfig 里",
        "in_config": "写在它的配置文件里",
        "no_files": (
            "{profile} 方案不为 {component} 生成文件。Kubernetes 1.20 之前它可以通过非安全端口访问 "
            "kube-apiserver；现在的集群要给它客户端证书和 kubeconfig——按 p 切换到 complete 方案。"
        ),
        "files": "文件",
        "cert": "证书",
        "ca_cert": "证书颁发机构（自签名）",
        "key": "{cert} 的私钥 · 权限 0600",
        "sa_key": "service account 密钥对的私钥 · 权限 0600",
        "pub": "service account 密钥对的公钥",
        "signed_by": "由 {ca} 签署",
        "sets_label": "所属证书套",
        "ca_sets_label": "验证的证书套",
        "what": "它是什么",
        "who": "谁使用它，为什么",
        "nobody": "运行时没有组件读取它。",
        "offline": "运行时没有组件读取它：它只用来签发新证书——请离线保存。",
        "key_note": "私钥只放到运行这些组件的主机上。",
        "identity_columns": "CN = 用户（文件）|O = 组|RBAC 给它的权限",
        "bootstrap_intro": (
            "不必为每个 kubelet 手工制作证书：kubelet 可以用 token 向集群申请证书。指南的 classic "
            "方案就是这样：节点上只有 ca.pem 和 bootstrap.kubeconfig。"
        ),
        "kubelet_mode": '本集群：cluster.toml 中 kubelet = "{mode}"——{what}。',
        "mode_certificates": "每个节点的证书在这里生成",
        "mode_bootstrap": "kubelet 用 token 引导",
        "help_title": "按键",
        "close": "关闭（Esc）",
        "help_intro": (
            "五个部分：八套证书、组件、文件、CN/O → RBAC 和 TLS 引导。全部内容来自证书目录，"
            "对应右上角显示的方案。"
        ),
        "help_keys": "本页按键",
        "help_moving": "移动",
        "k_sections": "转到某个部分",
        "k_tabs": "上一个 / 下一个部分（焦点在标签上时）；左右滚动较长的参数（焦点在参数上时）",
        "k_tab": "在标签、列表和正文之间移动",
        "k_updown": "选择组件或文件；滚动正文",
        "k_mouse": "点击标签、组件、文件或下方的按键",
        "b_close": "关闭",
        "b_language": "English",
        "b_profile": "切换方案",
        "b_help": "帮助",
        "k_language": "切换语言（English / 中文）",
        "k_profile": "下一个方案：classic → complete → kubeadm",
        "k_close": "关闭本页",
        "k_help": "本帮助",
    },
}
"""The screen's own labels and help, beside the teaching text of wizard.layout.TEXT."""

LOCALIZED_ACTIONS = {
    "close": "b_close",
    "switch_language": "b_language",
    "cycle_profile": "b_profile",
    "help": "b_help",
}
"""Actions whose footer label follows the language: one binding per language, one shown."""

LOCALIZED_KEYS = {"close": "escape", "switch_language": "l", "cycle_profile": "p", "help": "f1"}


def _localized_bindings() -> list[BindingType]:
    bindings: list[BindingType] = []
    for action, label in LOCALIZED_ACTIONS.items():
        for language in LANGUAGES:
            key = LOCALIZED_KEYS[action]
            bindings.append(Binding(key, f"{action}('{language}')", UI[language][label]))
    return bindings


class LayoutScreen(OverWizardScreen[None]):
    """How a cluster's certificates fit together, for one cluster spec and one language.

    The spec is copied: switching the profile here never changes the wizard's answers.
    """

    CSS_PATH = ["../steps.tcss", "../layout.tcss"]
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (96, "-wide"),
        (140, "-xwide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        *_localized_bindings(),
        Binding("question_mark", "help('')", show=False),
        *(Binding(str(n), f"show_tab({n})", show=False) for n in range(1, len(TABS) + 1)),
    ]

    def __init__(self, spec: ClusterSpec | None = None, language: str | None = None) -> None:
        """`spec` defaults to the guide's cluster; `language` ("en"/"zh") to LANG's."""
        super().__init__()
        self.language = pick_language(language)
        self.spec, self.example_node = teaching_spec(spec or ClusterSpec.example())
        self.files: list[LayoutFile] = []
        self.components: list[str] = []

    @property
    def ui(self) -> dict[str, str]:
        """The screen's labels in the current language."""
        return UI[self.language]

    @property
    def comma(self) -> str:
        """The list separator of the current language."""
        return "、" if self.language == "zh" else ", "

    @property
    def text(self) -> dict[str, str]:
        """The teaching text's labels in the current language."""
        return TEXT[self.language]

    # --- composition ---

    def compose(self) -> ComposeResult:
        """A title bar, the five sections in tabs, the footer."""
        with Horizontal(id="layout-top"):
            yield Static("k8s-cert-wizard", classes="app-name", markup=False)
            yield Static("", id="layout-title", markup=False)
            yield Static("", id="layout-state", markup=False)
        with TabbedContent(id="layout-tabs"):
            with (
                TabPane("", id="tab-sets"),
                VerticalScroll(id="sets-scroll", classes="layout-text"),
            ):
                yield Static("", id="sets-title", classes="layout-heading", markup=False)
                yield Static("", id="sets-intro", classes="layout-intro", markup=False)
                yield Static("", id="sets-table", classes="layout-table")
                yield Static("", id="profile-title", classes="layout-heading", markup=False)
                yield Static("", id="profile-intro", classes="layout-intro", markup=False)
                yield Static("", id="profile-table", classes="layout-table")
            with TabPane("", id="tab-components"), Horizontal(classes="layout-columns"):
                with Vertical(id="component-pick", classes="layout-pick"):
                    yield Static("", id="component-list-title", classes="layout-heading")
                    yield OptionList(id="component-list")
                with VerticalScroll(id="component-info", classes="layout-detail"):
                    yield Static("", id="component-name", classes="layout-heading")
                    yield Static("", id="component-reads-title", classes="layout-subheading")
                    yield Static("", id="component-reads", markup=False)
                    yield Static("", id="component-flags-title", classes="layout-subheading")
                    with HorizontalScroll(id="component-flags-scroll", classes="layout-code"):
                        yield Static("", id="component-flags", markup=False)
            with TabPane("", id="tab-files"), Horizontal(classes="layout-columns"):
                with Vertical(id="file-pick", classes="layout-pick"):
                    yield Static("", id="file-list-title", classes="layout-heading")
                    yield OptionList(id="file-list")
                with VerticalScroll(id="file-info", classes="layout-detail"):
                    yield Static("", id="file-name", classes="layout-heading")
                    yield Static("", id="file-facts", markup=False)
                    yield Static("", id="file-what-title", classes="layout-subheading")
                    yield Static("", id="file-what", markup=False)
                    yield Static("", id="file-who-title", classes="layout-subheading")
                    yield Static("", id="file-who", markup=False)
            with (
                TabPane("", id="tab-identity"),
                VerticalScroll(id="identity-scroll", classes="layout-text"),
            ):
                yield Static("", id="identity-title", classes="layout-heading", markup=False)
                yield Static("", id="identity-intro", classes="layout-intro", markup=False)
                yield Static("", id="identity-table", classes="layout-table")
            with (
                TabPane("", id="tab-bootstrap"),
                VerticalScroll(id="bootstrap-scroll", classes="layout-text"),
            ):
                yield Static("", id="bootstrap-title", classes="layout-heading", markup=False)
                yield Static("", id="bootstrap-intro", classes="layout-intro", markup=False)
                yield Vertical(id="bootstrap-steps")
                yield Static("", id="bootstrap-mode", classes="layout-note", markup=False)
        yield Footer()

    async def on_mount(self) -> None:
        """Fill every section; redraw the coloured parts when the theme changes."""
        await self.render_all()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self.show_current()

    def show_current(self) -> None:
        """Explain the highlighted component and file again."""
        for selector, show in (
            ("#component-list", self.show_component),
            ("#file-list", self.show_file),
        ):
            option_list = self.query_one(selector, OptionList)
            if option_list.highlighted is not None:
                option_id = option_list.get_option_at_index(option_list.highlighted).id
                if option_id:
                    show(option_id)

    # --- rendering ---

    async def render_all(self) -> None:
        """Show everything again for the current language and profile."""
        ui = self.ui
        self.query_one("#layout-title", Static).update(ui["screen"])
        self.query_one("#layout-state", Static).update(
            Content.from_markup(ui["state"], profile=self.spec.profile)
        )
        tabs = self.query_one(TabbedContent)
        for pane in TABS:
            tabs.get_tab(f"tab-{pane}").label = Content(ui[f"tab_{pane}"])
        self.render_sets()
        self.render_components()
        self.render_files()
        self.render_identities()
        await self.render_bootstrap()
        self.refresh_bindings()

    def render_sets(self) -> None:
        """The eight sets; then, for this profile, the files presented in each and their CAs."""
        text, ui = self.text, self.ui
        self.query_one("#sets-title", Static).update(text["sets"])
        self.query_one("#sets-intro", Static).update(text["sets_intro"])
        sets = [
            [str(kube_set.number), *set_text(kube_set, self.language)] for kube_set in EIGHT_SETS
        ]
        self.query_one("#sets-table", Static).update(
            WordGrid(sets, headers=text["set_columns"].split("|"), lead=2)
        )

        profile = get_profile(self.spec.profile)
        self.query_one("#profile-title", Static).update(text["files"].format(profile=profile.name))
        description = (
            PROFILE_DESCRIPTION_ZH[profile.name] if self.language == "zh" else profile.description
        )
        if self.example_node:
            description += "\n" + ui["example_node"]
        self.query_one("#profile-intro", Static).update(description)
        rows = []
        for row in sets_in_profile(self.spec):
            name = _set_name(row.number, self.language)
            if row.presented:
                presented = self.comma.join(row.presented)
            else:
                presented = ui.get(f"none_made_{row.number}", ui["none_made"])
            ca = ui["key_pair"] if row.key_pair else self.comma.join(row.cas) or text["none"]
            rows.append([str(row.number or "+"), name, presented, ca])
        self.query_one("#profile-table", Static).update(
            WordGrid(rows, headers=ui["in_profile_columns"].split("|"), lead=2)
        )

    def render_components(self) -> None:
        """The component list; the highlighted one's files and flags."""
        self.query_one("#component-list-title", Static).update(self.ui["components"])
        self.components = component_names(self.spec)
        self._refill(
            "#component-list",
            [Option(name, id=name) for name in self.components],
        )

    def render_files(self) -> None:
        """The file list; the highlighted file's explanation."""
        self.query_one("#file-list-title", Static).update(self.ui["files"])
        self.files = profile_files(self.spec)
        options = []
        for layout_file in self.files:
            if layout_file.kind == "cert" or layout_file.entry.key_only:
                prompt = Content(layout_file.name)
            else:  # a certificate's key, under its certificate
                prompt = Content.from_markup("[$text-muted]└[/] $name", name=layout_file.name)
            options.append(Option(prompt, id=layout_file.name))
        self._refill("#file-list", options)

    def _refill(self, selector: str, options: list[Option]) -> None:
        """Replace a list's options, keeping the highlighted one when it is still there."""
        option_list = self.query_one(selector, OptionList)
        previous = None
        if option_list.highlighted is not None and option_list.option_count:
            previous = option_list.get_option_at_index(option_list.highlighted).id
        option_list.clear_options()
        option_list.add_options(options)
        ids = [option.id for option in options]
        index = ids.index(previous) if previous in ids else 0
        option_list.highlighted = index
        if selector == "#component-list":
            self.show_component(self.components[index])
        else:
            self.show_file(self.files[index].name)

    def show_component(self, component: str) -> None:
        """Explain one component: the files it reads (flag, reason) and its exact TLS flags."""
        ui = self.ui
        self.query_one("#component-name", Static).update(Content(component))
        self.query_one("#component-reads-title", Static).update(ui["reads"])
        uses = uses_by_component(self.spec, component)
        flags = component_flags(self.spec).get(component, [])
        reads = self.query_one("#component-reads", Static)
        flags_title = self.query_one("#component-flags-title", Static)
        flags_view = self.query_one("#component-flags", Static)
        flags_box = self.query_one("#component-flags-scroll")
        if not uses and not flags:
            reads.update(
                wrapped(ui["no_files"].format(profile=self.spec.profile, component=component))
            )
            flags_title.display = flags_box.display = False
            return
        reads.update(self._component_reads(uses))
        flags_title.display = flags_box.display = True
        flags_title.update(ui["flags"])
        flags_view.update(Content("\n".join(flags)))

    def _aside(self, text: str) -> str:
        """` (text)`, or `（text）` in Chinese (full-width, no space)."""
        return f"（{text}）" if self.language == "zh" else f" ({text})"

    def _where(self, flags: tuple[str, ...] | list[str], why: str) -> str:
        """Where config-file fields live ("in its kubeconfig"), unless the reason says so."""
        fields = [flag for flag in flags if flag.endswith(":")]
        if not fields or "kubeconfig" in why:
            return ""
        kubeconfig = fields[0].startswith(("client-", "certificate-authority"))
        return self.ui["in_kubeconfig"] if kubeconfig else self.ui["in_config"]

    def _bullets(
        self, items: list[tuple[Text, list[tuple[str, ...]]]], styles: tuple[str, ...]
    ) -> list[WordGrid]:
        """Bulleted headings, each over an indented grid of flags and files kept whole."""
        bullet = Text("•", style=f"bold {self.app.current_theme.accent}")
        blocks = []
        for heading, rows in items:
            blocks.append(WordGrid([[bullet, heading]], gap=1))
            blocks.append(WordGrid(rows, styles=styles, indent=4))
        return blocks

    def _component_reads(self, uses: list[FileUse]) -> Group:
        """A component's files grouped by reason: each reason, then its flags → files."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for use in uses:
            groups.setdefault(use.why, []).extend((flag, use.file) for flag in use.flags)
        items: list[tuple[Text, list[tuple[str, ...]]]] = []
        for why, pairs in groups.items():
            text = why_of(why, self.language)
            heading = Text(text, style="bold")
            where = self._where([flag for flag, _ in pairs], text)
            if where:
                heading.append(self._aside(where), style="dim")
            items.append((heading, list(pairs)))
        return Group(*self._bullets(items, ("dim", "")))

    def _file_readers(self, uses: list[FileUse], note: str = "") -> Group:
        """Who reads a file: each component with its reason, then its flags; then a note."""
        items: list[tuple[Text, list[tuple[str, ...]]]] = []
        for use in uses:
            text = why_of(use.why, self.language)
            heading = Text.assemble((use.component, "bold"), f" — {text}")
            where = self._where(use.flags, text)
            if where:
                heading.append(self._aside(where), style="dim")
            # A field of a file is shown with its value, as it is written there
            # (`certificate-authority: ca.pem`): alone, `clientCAFile:` reads as a stray label.
            shown = [f"{flag} {use.file}" if flag.endswith(":") else flag for flag in use.flags]
            items.append((heading, [("  ".join(shown),)]))
        blocks = self._bullets(items, ("",))
        if note:
            blocks.append(self._warning(note))
        return Group(*blocks)

    def _warning(self, note: str) -> WordGrid:
        """A note after a warning sign, its lines under its first word."""
        sign = Text("⚠", style=f"bold {self.app.current_theme.warning}")
        return WordGrid([[sign, Text(note)]], gap=1)

    def show_file(self, name: str) -> None:
        """Explain one file: what it is, its subject and CA, and who reads it and why."""
        ui = self.ui
        layout_file = next((f for f in self.files if f.name == name), None)
        if layout_file is None:
            return
        entry = layout_file.entry
        self.query_one("#file-name", Static).update(Content(name))
        self.query_one("#file-facts", Static).update(self._facts(layout_file))
        self.query_one("#file-what-title", Static).update(ui["what"])
        self.query_one("#file-what", Static).update(wrapped(purpose_of(entry, self.language)))
        self.query_one("#file-who-title", Static).update(ui["who"])
        uses = uses_of_file(self.spec, name)
        who = self.query_one("#file-who", Static)
        if uses:
            note = ui["key_note"] if layout_file.kind == "key" else ""
            who.update(self._file_readers(uses, note))
        elif entry.is_ca and layout_file.kind == "key":
            who.update(self._warning(ui["offline"]))
        else:
            who.update(ui["nobody"])

    def _facts(self, layout_file: LayoutFile) -> Content:
        """Kind, CN, O, signer and sets of a file, on one or two lines."""
        ui, text = self.ui, self.text
        entry = layout_file.entry
        profile = get_profile(self.spec.profile)
        if layout_file.kind == "key":
            cert = next((f.name for f in self.files if f.entry is entry and f.kind == "cert"), "")
            kind = ui["key"].format(cert=cert) if cert else ui["sa_key"]
        elif layout_file.kind == "pub":
            kind = ui["pub"]
        else:
            kind = ui["ca_cert"] if entry.is_ca else ui["cert"]
        parts = [Content(kind)]
        if layout_file.kind == "cert":
            parts.append(Content.from_markup("CN [b]$cn[/]", cn=entry.cn or text["none"]))
            organization = organization_of(entry, self.spec)
            if organization:
                parts.append(Content.from_markup("O [b]$o[/]", o=organization))
            if entry.signer:
                ca = _cert_file(profile.entry(entry.signer), self.files)
                parts.append(Content(ui["signed_by"].format(ca=ca)))
        line = Content(" · ").join(parts)
        if entry.sets:
            names = self.comma.join(f"{n} {_set_name(n, self.language)}" for n in entry.sets)
            label = ui["ca_sets_label"] if entry.is_ca else ui["sets_label"]
            line += Content.from_markup("\n[$text-muted]$label $names[/]", label=label, names=names)
        return line

    def render_identities(self) -> None:
        """CN → user, O → group → what RBAC gives each client identity of the profile."""
        text, ui = self.text, self.ui
        self.query_one("#identity-title", Static).update(text["identities"])
        self.query_one("#identity-intro", Static).update(text["identities_intro"])
        rows: list[list[Text | str]] = []
        for row in identity_rows(self.spec, self.language):
            cn = Text(row.cn)
            cn.append(f"\n{row.file}", style="dim")
            rows.append([cn, row.organization, row.rbac])
        self.query_one("#identity-table", Static).update(
            WordGrid(rows, headers=ui["identity_columns"].split("|"))
        )

    async def render_bootstrap(self) -> None:
        """The TLS-bootstrap sequence, numbered, and the cluster's own kubelet mode."""
        ui = self.ui
        self.query_one("#bootstrap-title", Static).update(self.text["bootstrap"])
        self.query_one("#bootstrap-intro", Static).update(ui["bootstrap_intro"])
        steps = self.query_one("#bootstrap-steps", Vertical)
        await steps.remove_children()
        rows: list[Widget] = []
        for number, step in enumerate(BOOTSTRAP_STEPS[self.language], start=1):
            rows.append(
                Horizontal(
                    Static(f"{number}.", classes="step-number", markup=False),
                    Static(step, classes="step-text", markup=False),
                    classes="bootstrap-step",
                )
            )
        await steps.mount_all(rows)
        mode = self.spec.kubelet
        self.query_one("#bootstrap-mode", Static).update(
            ui["kubelet_mode"].format(mode=mode, what=ui.get(f"mode_{mode}", mode))
        )

    # --- events ---

    @on(OptionList.OptionHighlighted, "#component-list")
    def _component_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.show_component(event.option.id)

    @on(OptionList.OptionHighlighted, "#file-list")
    def _file_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.show_file(event.option.id)

    # --- actions ---

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Of each pair of localized bindings, only the current language's one is active."""
        if action in LOCALIZED_ACTIONS and parameters and parameters[0] in LANGUAGES:
            return parameters[0] == self.language
        return True

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The footer shows this screen's keys, not the wizard's (Next, Back, Save…)."""
        return {
            key: active
            for key, active in super().active_bindings.items()
            if active.node is not self.app
        }

    async def action_switch_language(self, _for: str = "") -> None:
        """Switch between English and Chinese (l)."""
        self.language = "zh" if self.language == "en" else "en"
        await self.render_all()

    async def action_cycle_profile(self, _for: str = "") -> None:
        """Show the next profile: classic → complete → kubeadm → classic (p)."""
        position = PROFILES.index(self.spec.profile)
        self.spec.profile = PROFILES[(position + 1) % len(PROFILES)]
        await self.render_all()

    def action_show_tab(self, number: int) -> None:
        """Open a section by its number (1–5) and focus what it holds."""
        if not 1 <= number <= len(TABS):
            return
        pane = TABS[number - 1]
        self.query_one(TabbedContent).active = f"tab-{pane}"
        target = {"components": "#component-list", "files": "#file-list"}.get(
            pane, f"#{pane}-scroll"
        )
        self.query_one(target).focus()

    def action_help(self, _for: str = "") -> None:
        """Show this screen's keys (F1 or ?)."""
        if not isinstance(self.app.screen, LayoutHelp):
            self.app.push_screen(LayoutHelp(self.language))

    def action_close(self, _for: str = "") -> None:
        """Close the screen (Esc)."""
        self.dismiss(None)


def _cert_file(entry: CertEntry, files: list[LayoutFile]) -> str:
    for layout_file in files:
        if layout_file.entry.name == entry.name and layout_file.kind == "cert":
            return layout_file.name
    return entry.name


def _set_name(number: int, language: str) -> str:
    if number == 0:
        return OUTSIDE_SETS[language]
    if language == "zh":
        return SET_NAMES_ZH[number][0]
    return EIGHT_SETS[number - 1].name


class LayoutHelp(HelpDialog):
    """The teaching screen's keys, in its language; Esc, F1, ? or q closes it."""

    def __init__(self, language: str) -> None:
        ui = UI[language]
        sections: list[KeySection] = [
            (
                ui["help_keys"],
                [
                    ("1 … 5", ui["k_sections"]),
                    ("l", ui["k_language"]),
                    ("p", ui["k_profile"]),
                    ("Esc", ui["k_close"]),
                    ("F1 / ?", ui["k_help"]),
                ],
            ),
            (
                ui["help_moving"],
                [
                    ("← →", ui["k_tabs"]),
                    ("Tab / shift+Tab", ui["k_tab"]),
                    ("↑ ↓", ui["k_updown"]),
                    ("mouse", ui["k_mouse"]),
                ],
            ),
        ]
        super().__init__(sections, ui["help_intro"], title=ui["help_title"], close=ui["close"])
        self.language = language
