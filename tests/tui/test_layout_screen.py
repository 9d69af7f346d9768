"""The teaching screen "Learn the layout": Pilot tests of what it shows and SVG snapshots.

Every text asserted here comes from the catalogue (wizard.catalog, wizard.distribution) or from
wizard.layout, so the screen and the domain cannot drift apart unnoticed.
Regenerate the snapshots after a deliberate change: `pytest tests/tui/test_layout_screen.py
--snapshot-update`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList, Static, TabbedContent

from tests.tui.wizard_pilot import help_lines
from wizard.catalog import concrete_entries, files_of, get_profile
from wizard.distribution import component_flags
from wizard.layout import BOOTSTRAP_STEPS, PURPOSE_ZH, teaching_spec
from wizard.spec import ClusterSpec, Node
from wizard.tui import make_layout_app
from wizard.tui.screens.layout import LayoutHelp, LayoutScreen
from wizard.tui.widgets.word_grid import wrap_words

SIZE = (100, 32)


def text_of(screen: LayoutScreen, selector: str) -> str:
    """What a Static shows, as plain text (a Rich table or group is rendered wide)."""
    return plain(screen.query_one(selector, Static))


def plain(static: Static) -> str:
    """A Static's content as plain text (a Rich table or group is rendered wide)."""
    content = static.content
    if isinstance(content, Content):
        return content.plain
    if isinstance(content, str):
        return content
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text().rstrip("\n")


def option_ids(screen: LayoutScreen, selector: str) -> list[str]:
    """The ids of a list's options."""
    options = screen.query_one(selector, OptionList)
    return [options.get_option_at_index(i).id or "" for i in range(options.option_count)]


async def pick(pilot: Pilot, selector: str, option_id: str) -> None:
    """Move a list's highlight to an option, as the arrow keys would."""
    options = pilot.app.screen.query_one(selector, OptionList)
    options.focus()
    options.highlighted = options.get_option_index(option_id)
    await pilot.pause()


def layout_screen(pilot: Pilot) -> LayoutScreen:
    """The screen under test."""
    screen = pilot.app.screen
    assert isinstance(screen, LayoutScreen)
    return screen


def spec_with(profile: str) -> ClusterSpec:
    """The guide's cluster in a profile."""
    spec = ClusterSpec.example()
    spec.profile = profile
    return spec


# --- Pilot ------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["classic", "complete", "kubeadm"])
async def test_every_file_of_the_profile_is_listed(profile: str) -> None:
    spec = spec_with(profile)
    app = make_layout_app(spec)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        screen = layout_screen(pilot)
        listed = option_ids(screen, "#file-list")
        taught, _ = teaching_spec(spec)
        expected = []
        for entry in concrete_entries(get_profile(profile), taught):
            files = files_of(entry, get_profile(profile))
            expected += [name for name in (files.cert, files.key, files.public_key) if name]
        assert listed == expected
        # and the sets table of the profile names every certificate (or the key pair)
        in_sets = text_of(screen, "#profile-table")
        for entry in concrete_entries(get_profile(profile), taught):
            if entry.is_ca:
                continue
            files = files_of(entry, get_profile(profile))
            assert (files.cert or files.key) in in_sets


async def test_kube_apiserver_shows_its_files_and_exact_flags() -> None:
    app = make_layout_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        screen = layout_screen(pilot)
        assert screen.query_one(TabbedContent).active == "tab-components"
        assert screen.focused is screen.query_one("#component-list")
        assert option_ids(screen, "#component-list")[:7] == [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kubelet",
            "kube-proxy",
            "kubectl",
        ]
        await pilot.press("down")  # etcd → kube-apiserver
        assert text_of(screen, "#component-name") == "kube-apiserver"
        flags = text_of(screen, "#component-flags")
        assert "--tls-cert-file=/etc/kubernetes/ssl/kubernetes.pem" in flags
        assert flags.splitlines() == component_flags(screen.spec)["kube-apiserver"]
        reads = text_of(screen, "#component-reads")
        assert "--client-ca-file" in reads and "ca.pem" in reads
        assert "serves the API and authenticates to etcd" in reads


async def test_a_component_without_files_in_the_profile_says_why() -> None:
    app = make_layout_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pick(pilot, "#component-list", "kube-scheduler")
        screen = layout_screen(pilot)
        assert "makes no file for kube-scheduler" in text_of(screen, "#component-reads")
        assert not screen.query_one("#component-flags-scroll").display


async def test_admin_pem_is_used_by_kubectl_as_system_masters() -> None:
    app = make_layout_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pick(pilot, "#file-list", "admin.pem")
        screen = layout_screen(pilot)
        assert text_of(screen, "#file-name") == "admin.pem"
        facts = text_of(screen, "#file-facts")
        assert "CN admin" in facts and "O system:masters" in facts and "ca.pem" in facts
        who = text_of(screen, "#file-who")
        assert "kubectl" in who and "client-certificate:" in who
        assert "system:masters" in text_of(screen, "#file-what")

        await pick(pilot, "#file-list", "ca-key.pem")
        who = text_of(screen, "#file-who")
        assert "kube-controller-manager" in who and "--cluster-signing-key-file" in who
        assert "only to the hosts" in who


async def test_l_switches_to_chinese_and_back() -> None:
    app = make_layout_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = layout_screen(pilot)
        assert screen.active_bindings["l"].binding.description == "中文"
        await pilot.press("l")
        assert screen.language == "zh"
        assert text_of(screen, "#sets-title") == "八套证书"
        tabs = screen.query_one(TabbedContent)
        assert tabs.get_tab("tab-sets").label.plain == "八套证书"
        assert "etcd server 证书" in text_of(screen, "#sets-table")
        assert screen.active_bindings["l"].binding.description == "English"
        assert screen.active_bindings["escape"].binding.description == "关闭"

        await pilot.press("3")
        await pick(pilot, "#file-list", "admin.pem")
        assert text_of(screen, "#file-what") == PURPOSE_ZH["admin"]
        assert "管理员的身份认证" in text_of(screen, "#file-who")

        await pilot.press("4")
        assert "CN 是用户，O 是组" in text_of(screen, "#identity-title")
        assert "绑定 cluster-admin" in text_of(screen, "#identity-table")

        await pilot.press("l")
        assert text_of(screen, "#sets-title") == "The eight sets"
        assert "kubectl's client certificate" in text_of(screen, "#file-what")


async def test_p_cycles_the_profiles_without_touching_the_spec() -> None:
    spec = ClusterSpec.example()
    app = make_layout_app(spec)
    async with app.run_test(size=SIZE) as pilot:
        screen = layout_screen(pilot)
        assert "kube-scheduler.pem" not in option_ids(screen, "#file-list")
        await pilot.press("p")
        assert screen.spec.profile == "complete"
        files = option_ids(screen, "#file-list")
        assert "kube-scheduler.pem" in files and "kubelet-node-1.pem" in files
        assert "complete" in text_of(screen, "#layout-state")
        await pilot.press("3")
        await pick(pilot, "#file-list", "kube-scheduler.pem")
        assert "kube-scheduler" in text_of(screen, "#file-who")
        await pilot.press("p")
        assert screen.spec.profile == "kubeadm"
        assert "pki/etcd/ca.crt" in option_ids(screen, "#file-list")
        assert text_of(screen, "#file-name") == "pki/ca.crt"  # the highlight starts over
        await pilot.press("p")
        assert screen.spec.profile == "classic"
    assert spec.profile == "classic" and spec.nodes == []  # the wizard's answers are untouched


async def test_nodes_of_the_cluster_are_used_when_there_are_some() -> None:
    spec = spec_with("complete")
    spec.nodes = [Node("worker-7", "192.168.214.107")]
    app = make_layout_app(spec)
    async with app.run_test(size=SIZE) as pilot:
        screen = layout_screen(pilot)
        assert not screen.example_node
        assert "kubelet-worker-7.pem" in option_ids(screen, "#file-list")
        assert "node-1" not in text_of(screen, "#profile-intro")


async def test_the_bootstrap_sequence_is_numbered() -> None:
    app = make_layout_app(language="zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        screen = layout_screen(pilot)
        assert screen.query_one(TabbedContent).active == "tab-bootstrap"
        numbers = [str(s.content) for s in screen.query(".step-number").results(Static)]
        steps = [str(s.content) for s in screen.query(".step-text").results(Static)]
        assert numbers == [f"{n}." for n in range(1, len(BOOTSTRAP_STEPS["zh"]) + 1)]
        assert steps == BOOTSTRAP_STEPS["zh"]
        await pilot.press("l")
        steps = [str(s.content) for s in screen.query(".step-text").results(Static)]
        assert steps == BOOTSTRAP_STEPS["en"]


async def test_sets_identities_and_the_mouse() -> None:
    app = make_layout_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = layout_screen(pilot)
        sets = text_of(screen, "#sets-table")
        for name in ("etcd server", "etcd peer", "kube-apiserver clients", "kubelet client"):
            assert name in sets
        assert "none made: the kubelet signs its own" in text_of(screen, "#profile-table")
        await pilot.click("#--content-tab-tab-identity")
        assert screen.query_one(TabbedContent).active == "tab-identity"
        identities = text_of(screen, "#identity-table")
        assert "system:kube-proxy" in identities and "system:node-proxier" in identities
        assert "system:bootstrappers" in identities


async def test_help_and_escape() -> None:
    app = make_layout_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, LayoutHelp)
        await pilot.press("escape")
        assert isinstance(app.screen, LayoutScreen)
        await pilot.press("escape")  # standalone: closing the screen quits
        await pilot.pause()
    assert app.return_code == 0


async def test_help_descriptions_wrap_under_themselves() -> None:
    """At 80 columns, in Chinese, a long description goes on under itself, not under the keys."""
    app = make_layout_app(language="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        keys = {"1 … 5", "l", "p", "Esc", "F1 / ?", "← →", "Tab / shift+Tab", "↑ ↓", "mouse"}
        lines = [
            line
            for static in app.screen.query(".help-rows").results(Static)
            for line in rendered(static).splitlines()
        ]
        assert len(lines) > len(keys)  # a description wrapped
        for line in lines:
            assert line.startswith(" ") or line.split("  ")[0] in keys, line
        assert help_lines(app.screen)  # the wizard's help, in two columns
        # a Chinese description breaks between characters: it fills the line beside its keys
        assert any(line.startswith("← →") and "下一个部分" in line for line in lines), lines


class Host(App[None]):
    """An app that pushes the screen the way the wizard's command palette will."""

    def on_mount(self) -> None:
        self.push_screen(LayoutScreen(ClusterSpec.example(), "en"))


async def test_escape_pops_the_screen_in_a_host_app() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LayoutScreen)
        # the host's keys stay off the footer, the screen's are there
        assert {"escape", "l", "p", "f1"} <= set(app.screen.active_bindings)
        await pilot.press("escape")
        assert not isinstance(app.screen, LayoutScreen)
        assert len(app.screen_stack) == 1


async def test_inside_the_wizard() -> None:
    """Pushed over the wizard: the wizard's keys stay off the footer, Esc returns to the step."""
    from tests.tui.wizard_pilot import wizard

    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        step = app.screen
        await app.push_screen(LayoutScreen(app.state.spec, "en"))
        await pilot.pause()
        shown = {key: a for key, a in app.screen.active_bindings.items() if a.binding.show}
        assert "ctrl+n" not in shown and "ctrl+s" not in shown
        assert shown["f1"].binding.action.startswith("help")
        footer = {key.key for key in app.screen.query("FooterKey")}
        assert "f1" in footer and not footer & {"ctrl+n", "ctrl+b", "ctrl+s", "ctrl+l", "f2"}
        await pilot.press("p", "l")
        assert app.state.spec.profile == "classic"
        app.theme = "textual-light"  # the coloured parts are drawn again
        await pilot.pause()
        await pilot.press("escape")
        assert app.screen is step


async def test_the_wizards_keys_do_nothing_over_it(in_tmp: Path) -> None:
    """Off the footer and inert too: Save, Load, Next, Back, Review and Layout act neither on
    the wizard behind the screen nor open a dialog over it; Esc still goes back."""
    from tests.tui.wizard_pilot import wizard

    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        step = app.screen
        await pilot.press("ctrl+l")
        await pilot.pause()
        layout = app.screen
        assert isinstance(layout, LayoutScreen)
        stack = list(app.screen_stack)
        for key in ("ctrl+s", "ctrl+o", "ctrl+n", "ctrl+b", "f2", "ctrl+l"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen_stack == stack, key
        assert app.current_step == 1 and app.state.spec_path is None
        assert not list(in_tmp.iterdir())  # nothing saved
        await pilot.press("3", "f1")  # its own keys still work
        assert isinstance(app.screen, LayoutHelp)
        await pilot.press("ctrl+s", "f2")  # nor over its help
        await pilot.pause()
        assert isinstance(app.screen, LayoutHelp)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is step


# --- SVG snapshots ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "size"),
    [
        pytest.param("en", (100, 32), id="en-100x32"),
        pytest.param("zh", (100, 32), id="zh-100x32"),
        pytest.param("en", (80, 24), id="en-80x24"),
    ],
)
def test_snapshot(language: str, size: tuple[int, int], snap_compare) -> None:
    """The screen as it opens: the eight sets, in each language; the narrow layout."""
    assert snap_compare(make_layout_app(language=language), terminal_size=size)


def test_snapshot_kube_apiserver(snap_compare) -> None:
    """The components section with kube-apiserver picked: files by reason, then the flags."""

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("2", "down")

    assert snap_compare(make_layout_app(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_admin_pem_narrow(snap_compare) -> None:
    """The files section at 80×24 with admin.pem picked, in Chinese."""

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("3")
        await pick(pilot, "#file-list", "admin.pem")

    assert snap_compare(
        make_layout_app(language="zh"), terminal_size=(80, 24), run_before=run_before
    )


# --- 80 columns: flags and file names are never split -----------------------------------------

WHOLE_WORDS = re.compile(
    r"--[a-z0-9-]+|[\w./-]+\.(?:pem|key|crt|pub|kubeconfig|csv)\b|system:[\w:-]+|\w+(?:-\w+)+"
)
"""What must never be split across lines: flags, file names, identities, component names."""


def rendered(widget: Widget) -> str:
    """What a widget draws, every line of it (also the lines scrolled out of sight)."""
    lines = widget.render_lines(Region(0, 0, *widget.outer_size))
    return "\n".join(line.text for line in lines)


def assert_words_whole(screen: LayoutScreen, where: str) -> None:
    """Every flag, file name and component name of each shown text is drawn on one line."""
    for static in screen.query(Static):
        if not static.display or not static.size.width or static.id == "component-flags":
            continue
        drawn = rendered(static)
        for word in set(WHOLE_WORDS.findall(plain(static))):
            assert word in drawn, f"{where}: {word} split in {static}:\n{drawn}"


@pytest.mark.parametrize(
    ("profile", "language"), [("classic", "en"), ("complete", "zh"), ("kubeadm", "en")]
)
async def test_flags_and_file_names_stay_whole_at_80_columns(profile: str, language: str) -> None:
    """At 80×24, in every section, for every component and file: no flag, file name or
    component name is folded mid-word; the host flags are one a line and scroll sideways."""
    app = make_layout_app(spec_with(profile), language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = layout_screen(pilot)
        for tab in ("1", "4", "5"):
            await pilot.press(tab)
            await pilot.pause()
            assert_words_whole(screen, f"tab {tab}")
        await pilot.press("2")
        flags_view = screen.query_one("#component-flags", Static)
        for component in option_ids(screen, "#component-list"):
            await pick(pilot, "#component-list", component)
            assert_words_whole(screen, component)
            flags = component_flags(screen.spec).get(component, [])
            if flags:
                assert rendered(flags_view).split("\n") == [
                    f" {flag}".ljust(flags_view.outer_size.width) for flag in flags
                ]
                box = screen.query_one("#component-flags-scroll")
                if max(map(len, flags)) + 2 > box.size.width:
                    assert box.max_scroll_x > 0
        every = component_flags(screen.spec)
        widest = max(every, key=lambda name: max(map(len, every[name]), default=0))
        await pick(pilot, "#component-list", widest)
        await pilot.press("tab", "tab", "right")  # Tab reaches the flags, → scrolls them
        assert app.focused is screen.query_one("#component-flags-scroll")
        assert app.focused.scroll_x > 0
        await pilot.press("3")
        file_list = screen.query_one("#file-list", OptionList)
        assert file_list.virtual_size.height == file_list.option_count  # one line a file
        for name in option_ids(screen, "#file-list"):
            await pick(pilot, "#file-list", name)
            assert_words_whole(screen, name)


def test_wrap_words_breaks_between_words_and_chinese_characters() -> None:
    """A flag or a file name beside a Chinese comma or character is never cut, at any width
    that can hold it; Chinese text itself may break between characters."""
    text = Text("kubectl、controller-manager、scheduler、kube-proxy 的 kubeconfig——按 p 切换")
    words = re.findall(r"[a-z-]+", text.plain)
    for width in range(max(map(len, words)), 60):
        lines = [line.plain for line in wrap_words(text, width)]
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        for word in words:
            assert any(word in line for line in lines), (width, word, lines)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_no_bare_field_names_under_who_reads_a_file(language: str) -> None:
    """A kubeconfig's or config file's field is shown with its value (`certificate-authority:
    ca.pem`, `clientCAFile: ca.pem`), never alone as a bullet's only line; in Chinese the
    asides are in full-width parentheses."""
    app = make_layout_app(spec_with("complete"), language)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = layout_screen(pilot)
        await pilot.press("3")
        await pick(pilot, "#file-list", "ca.pem")
        who = [line.strip() for line in text_of(screen, "#file-who").splitlines()]
        assert "certificate-authority: ca.pem" in who and "clientCAFile: ca.pem" in who
        assert not [line for line in who if re.fullmatch(r"[\w-]+:", line)], who
        if language == "zh":
            assert not [line for line in who if " (" in line], who
            assert any("（写在它的配置文件里）" in line for line in who), who
