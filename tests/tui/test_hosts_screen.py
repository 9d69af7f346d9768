"""The Hosts screen at 80×24: opened from the wizard (F3 or the palette), each host's plan, a
check over fake hosts (the real inventory script in a local sh) with per-host progress and
cancel, and a probe of endpoints where nothing listens."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tests.fleet.fleet_sets import FleetSet, fake_hosts, local_reader, make_set, me
from tests.tui.wizard_pilot import wizard
from wizard.tui.screens.hosts import HostsScreen

SIZE = (80, 24)
NET = "127.77.2"  # loopback, nothing listens: every probe is refused at once
M1, N1 = f"{NET}.21", f"{NET}.31"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> FleetSet:
    return make_set(tmp_path_factory.mktemp("hosts-screen"), NET)


def app_for(fleet: FleetSet, **spec_changes):  # noqa: ANN003, ANN201
    spec = fleet.spec()
    spec.deploy.owner, spec.deploy.group = me()
    for name, value in spec_changes.items():
        setattr(spec.deploy, name, value)
    app = wizard(spec)
    app.state.output_dir = str(fleet.out)
    return app, spec


async def until_idle(pilot: Pilot, screen: HostsScreen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while screen.running and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.pause()
    assert not screen.running, "the run did not finish"


def cell(screen: HostsScreen, address: str, column: str) -> str:
    return str(screen.query_one("#hosts-table", DataTable).get_cell(address, column))


def status(screen: HostsScreen) -> str:
    return str(screen.query_one("#hosts-status", Static).render())


@pytest.mark.slow
async def test_f3_opens_each_hosts_plan_and_the_palette_lists_it(fleet: FleetSet) -> None:
    app, _ = app_for(fleet)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HostsScreen)
        table = screen.query_one("#hosts-table", DataTable)
        assert table.row_count == 9  # 3 etcd, 3 masters, 2 nodes, the VIP
        assert cell(screen, M1, "plan") == "13 files" and cell(screen, M1, "check") == "not checked"
        detail = str(screen.query_one("#hosts-detail", Static).render())
        assert "/etc/kubernetes/ssl/ca.pem ← ca.pem (0644)" in detail
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HostsScreen)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Hosts: check, probe, distribute" in commands


@pytest.mark.slow
async def test_a_check_marks_each_host_in_colour_and_words(fleet: FleetSet, tmp_path: Path):
    root = fake_hosts(fleet, tmp_path / "hosts")
    shutil.copy(fleet.out / "ca-key.pem", root / N1 / "etc/kubernetes/ssl/ca-key.pem")
    app, spec = app_for(fleet)
    async with app.run_test(size=SIZE) as pilot:
        screen = HostsScreen(spec, fleet.out, reader=local_reader(root))
        await app.push_screen(screen)
        await pilot.press("c")
        await until_idle(pilot, screen)
        assert cell(screen, N1, "check") == "✗ 1 error"
        assert cell(screen, M1, "check") == "✓ clean"
        assert cell(screen, f"{NET}.10", "check") == "—"  # the VIP has no files
        assert "checked 8 hosts" in status(screen) and "1 with findings" in status(screen)
        table = screen.query_one("#hosts-table", DataTable)
        table.move_cursor(row=table.get_row_index(N1))
        await pilot.pause()
        detail = str(screen.query_one("#hosts-detail", Static).render())
        assert "extra-key /etc/kubernetes/ssl/ca-key.pem" in detail
        assert "the CA key (ca-key.pem)" in detail.replace("\n    ", " ")


@pytest.mark.slow
async def test_esc_cancels_a_check_and_the_hosts_not_started_say_so(
    fleet: FleetSet, tmp_path: Path
) -> None:
    root = fake_hosts(fleet, tmp_path / "hosts")
    real = local_reader(root)
    release, started = threading.Event(), threading.Event()

    def slow(target, host, directories):  # noqa: ANN001, ANN202
        started.set()
        release.wait(30)
        return real(target, host, directories)

    app, spec = app_for(fleet, parallel=1)
    async with app.run_test(size=SIZE) as pilot:
        screen = HostsScreen(spec, fleet.out, reader=slow)
        await app.push_screen(screen)
        await pilot.press("c")
        for _ in range(100):
            if started.is_set():
                break
            await pilot.pause(0.05)
        assert cell(screen, M1, "check") == "… checking"
        await pilot.press("escape")  # cancels; the screen stays
        await pilot.pause()
        assert isinstance(app.screen, HostsScreen) and "cancelling" in status(screen)
        release.set()
        await until_idle(pilot, screen)
        first = f"{NET}.11"
        assert cell(screen, first, "check") == "✓ clean"  # the one running finished
        assert cell(screen, M1, "check") == "ℹ cancelled"
        assert status(screen).startswith("cancelled — ")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HostsScreen)


async def test_a_probe_where_nothing_listens_says_unreachable_per_host(fleet: FleetSet):
    app, spec = app_for(fleet)
    async with app.run_test(size=SIZE) as pilot:
        screen = HostsScreen(spec, fleet.out, probe_timeout=1)
        await app.push_screen(screen)
        await pilot.press("p")
        await until_idle(pilot, screen)
        for address in (M1, N1, f"{NET}.11", f"{NET}.10"):
            assert cell(screen, address, "probe") == "✗ unreachable", address
        assert "probed 18 endpoints" in status(screen)
        detail = str(screen.query_one("#hosts-detail", Static).render())
        assert "connection refused" in detail
