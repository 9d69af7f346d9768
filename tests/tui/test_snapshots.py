"""SVG snapshots of every step at 120×40 and 80×24 (pytest-textual-snapshot), as an operator
meets them: the cluster file deep in a real-world tree (its path cut in the middle in the bar),
the set in a long output directory, and each step's error field scrolled into view.

The clock is fixed (wizard_pilot.FIXED_NOW), cursors do not blink in headless runs, the inspect
step reads a committed set, and every run happens in an empty working directory, so the paths
shown (relative to it) are the same from run to run.
Regenerate after a deliberate change: `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.wizard_pilot import (
    INSPECT_SET,
    fast_spec,
    jump_to,
    long_spec_path,
    set_field,
    settle,
    type_into,
    wizard,
)
from wizard.spec import ClusterSpec, load_spec
from wizard.tui.wizard_app import WizardApp

SIZES = {"wide": (120, 40), "narrow": (80, 24)}
LONG_OUTPUT = "srv/kubernetes/production-eu-west-1/k8s-prod-blue-cluster/etc/kubernetes/ssl"
"""Where the set goes: a long real-world directory (relative to the run's empty folder)."""


def _long_paths_wizard(root: Path, spec: ClusterSpec | None = None) -> WizardApp:
    """The wizard with its cluster file deep in a tree and the long output directory."""
    path = long_spec_path(root)
    app = wizard(spec or load_spec(path), path)
    app.state.output_dir = LONG_OUTPUT
    return app


def _go_to(step: int):
    async def run_before(pilot: Pilot) -> None:
        if step > 1:
            await jump_to(pilot, step)
        await settle(pilot)

    return run_before


STEPS = {1: "addresses", 2: "identity", 3: "preview", 4: "generate", 5: "inspect"}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("step", list(STEPS), ids=list(STEPS.values()))
def test_step(step: int, size: str, snap_compare, in_tmp: Path) -> None:
    """Each step as it first appears with the guide's cluster, a long cluster-file path and a
    long output directory."""
    if step == 5:
        shutil.copytree(INSPECT_SET, in_tmp / LONG_OUTPUT)
    app = _long_paths_wizard(in_tmp)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_go_to(step))


@pytest.mark.parametrize("size", list(SIZES))
def test_addresses_extra_error_in_view(size: str, snap_compare, in_tmp: Path) -> None:
    """A bad name in the last box (extra): Next scrolls to it; the field, its ✗ message and
    the bar's `fix hosts.extra[1]` are all in view."""
    spec = ClusterSpec.example()
    spec.hosts.extra = ["kube-api.wangdong.com", "bad_name!"]
    app = _long_paths_wizard(in_tmp, spec)

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+n")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.slow
@pytest.mark.parametrize("size", list(SIZES))
def test_identity_ca_lifetime_error_in_view(size: str, snap_compare, in_tmp: Path) -> None:
    """The CA lifetime written `10y`: Next scrolls until its message shows, the field focused."""
    app = _long_paths_wizard(in_tmp)

    async def run_before(pilot: Pilot) -> None:
        await jump_to(pilot, 2)
        await set_field(pilot, pilot.app.screen.query_one("#expiry-ca"), "10y")
        pilot.app.screen.query_one("#subject-C").focus()
        pilot.app.screen.query_one("#identity-body").scroll_home(animate=False)
        await pilot.pause()
        await pilot.press("ctrl+n")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.slow
def test_addresses_with_the_guides_mistake(snap_compare, in_tmp: Path) -> None:
    """The VIP written as the guide's `192.168.214.1/24`: the core's fix in red, with ✗ words."""

    async def run_before(pilot: Pilot) -> None:
        field = pilot.app.screen.editor("vip").rows[0].field
        await type_into(pilot, field, "192.168.214.1/24")
        await pilot.press("ctrl+n")
        await settle(pilot)

    assert snap_compare(wizard(), terminal_size=SIZES["wide"], run_before=run_before)


@pytest.mark.parametrize("size", list(SIZES))
def test_generate_finished(size: str, snap_compare, in_tmp: Path, monkeypatch) -> None:
    """A finished run into the long directory: the bar full, the result line, the log's end.

    One key thread: the log lists keys in the order they are done, which with two threads
    varied from run to run on a loaded machine (kubernetes, admin, kube-proxy or another)."""
    import wizard.generate

    monkeypatch.setattr(wizard.generate, "key_workers", lambda count: 1)

    async def run_before(pilot: Pilot) -> None:
        await _go_to(4)(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        # the log's end and the result are scrolled into view after a refresh: on a loaded
        # machine that takes a few more turns
        for _ in range(3):
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()

    app = _long_paths_wizard(in_tmp, fast_spec())
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)
