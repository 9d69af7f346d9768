"""Helpers for the wizard's Pilot and snapshot tests: a fixed clock, the guide's hosts, typing."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from textual import events
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from wizard.spec import ClusterSpec
from wizard.tui.dialogs.help import HelpDialog
from wizard.tui.wizard_app import WizardApp, make_app

FIXED_NOW = datetime(2026, 11, 28, 16, 40, 20, tzinfo=UTC)
"""The instant every wizard under test lives at (end dates, days left)."""

INSPECT_SET = Path(__file__).resolve().parent / "data" / "inspect-set"
"""A committed classic set made at FIXED_NOW (see data/make_inspect_set.py)."""

GUIDE_HOSTS = {
    "etcd": ["192.168.214.88", "192.168.214.89", "192.168.214.90"],
    "masters": ["192.168.214.200", "192.168.214.201", "192.168.214.202"],
    "registry": ["192.168.214.210"],
    "vip": ["192.168.214.100"],
    "extra": ["kube-api.wangdong.com"],
}
"""The guide's addresses, once its `192.168.214.1/24` mistake is fixed."""


def wizard(spec: ClusterSpec | None = None, spec_path: Path | None = None) -> WizardApp:
    """The wizard at the fixed instant, prefilled with `spec` (default: the guide's cluster)."""
    return make_app(spec if spec is not None else ClusterSpec.example(), spec_path, now=FIXED_NOW)


def fast_spec() -> ClusterSpec:
    """The guide's cluster with ECDSA P-256 keys, quick to generate."""
    spec = ClusterSpec.example()
    spec.key.algo, spec.key.size = "ecdsa", 256
    return spec


async def type_into(pilot: Pilot, field: Input, text: str, *, clear: bool = True) -> None:
    """Focus a field and type into it as a user would (after clearing it)."""
    field.focus()
    if clear:
        field.value = ""
    await pilot.press(*text)


async def set_field(pilot: Pilot, field: Input, text: str) -> None:
    """Focus a field and replace its text at once (the same Changed path as typing, faster)."""
    field.focus()
    field.value = text
    await pilot.pause()


async def paste_into(pilot: Pilot, field: Input, text: str) -> None:
    """Focus a field and paste text into it, as a terminal's bracketed paste does."""
    field.focus()
    field.post_message(events.Paste(text))
    # The paste, the entries it posts, their rows and the Changed that follows: a loaded
    # machine may need more than one idle turn for the chain.
    for _ in range(3):
        await pilot.pause()


async def jump_to(pilot: Pilot, step: int) -> None:
    """Go straight to a step, as if the preview had been looked at (skips composing the steps
    in between; tests of later steps use it to stay fast)."""
    app = pilot.app
    assert isinstance(app, WizardApp)
    app.state.mark_previewed()
    await app.goto(step)
    await settle(pilot)
    assert app.current_step == step


async def until_idle(pilot: Pilot, screen: Screen, timeout: float = 90) -> None:
    """Wait until a screen with a `running` worker (Rotate, Rotate-hosts) has finished it."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while screen.running and time.monotonic() < deadline:  # type: ignore[attr-defined]
        await pilot.pause(0.05)
    await pilot.pause()
    assert not screen.running, f"still {screen.running}"  # type: ignore[attr-defined]


async def settle(pilot: Pilot) -> None:
    """Let workers finish and their messages be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def help_lines(dialog: Screen) -> list[str]:
    """Every line the key help draws, checked to be in two columns: a row's first line starts
    with its keys (then two spaces or more), a wrapped line of its description starts blank,
    under the description, never back under the keys. Returns the wrapped lines."""
    assert isinstance(dialog, HelpDialog)
    wrapped: list[str] = []
    statics = dialog.query(".help-rows").results(Static)
    for static, (_heading, rows) in zip(statics, dialog.sections, strict=True):
        hang = max(len(keys) for keys, _ in rows) + 2
        region = Region(0, 0, *static.outer_size)
        for line in (strip.text for strip in static.render_lines(region)):
            if line[:hang].strip():  # a row's first line: its keys, then its description
                assert line[:hang].rstrip() in {keys for keys, _ in rows}, line
                assert line[hang : hang + 1].strip(), line  # the description starts in its column
            else:  # a description wrapped under itself
                assert line[hang : hang + 1].strip() or not line.strip(), line
                wrapped.append(line)
    return wrapped


async def burst(pilot: Pilot, *keys: str) -> None:
    """Send keys as one burst, with no pause between them (key repeat, a fast typist, or a paste
    in a terminal without bracketed paste): every key is queued before the first is handled."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for key in keys:
        char = key if len(key) == 1 else None
        name = _KEY_NAMES.get(key, key)
        event = events.Key(name, char)
        event.set_sender(app)
        driver.send_message(event)
    for _ in range(4):
        await pilot.pause()


_KEY_NAMES = {" ": "space", ".": "full_stop", ",": "comma", "\n": "enter", "/": "slash"}


def screen_lines(app: App) -> list[str]:
    """What the terminal shows now, line by line (the screen on top, as composited)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def long_spec_path(root: Path) -> Path:
    """A cluster file deep in a real-world tree, saved there with the guide's answers."""
    path = (
        root
        / "ops"
        / "clusters"
        / "production-eu-west-1"
        / "k8s-prod-blue-cluster-with-a-long-name"
        / "pki"
        / "cluster.toml"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    from wizard.spec import save_spec

    save_spec(ClusterSpec.example(), path)
    return path
