"""Distribute from the Hosts screen at 80×24, on fake hosts (distribute's real sh scripts in a
local sh per host): the diff per host first, the question (restarting is its own answer), the
run with per-host progress, cancel, and each host's result in words — the same files the CLI's
job places."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tests.fleet.fleet_sets import FleetSet, LocalHosts, make_set, me
from tests.tui.wizard_pilot import wizard
from wizard.jobs.distribution import DistributionRequest, run_distribution
from wizard.tui.dialogs.distribute import DistributeDialog
from wizard.tui.screens.hosts import HostsScreen

SIZE = (80, 24)
NET = "127.77.3"
ETCD = [f"{NET}.11", f"{NET}.12", f"{NET}.13"]
M1, M2, M3 = f"{NET}.21", f"{NET}.22", f"{NET}.23"
N1, N2 = f"{NET}.31", f"{NET}.32"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> FleetSet:
    return make_set(tmp_path_factory.mktemp("hosts-distribute"), NET)


def spec_for(fleet: FleetSet, log: Path, **changes):  # noqa: ANN003, ANN201
    spec = fleet.spec()
    spec.deploy.owner, spec.deploy.group = me()
    spec.deploy.restart_command = f'echo "$(basename "$ROOT") {{unit}}" >> {log}'
    spec.deploy.health_command = "true"
    for name, value in changes.items():
        setattr(spec.deploy, name, value)
    return spec


async def until_idle(pilot: Pilot, screen: HostsScreen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while screen.running and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.pause()
    assert not screen.running, "the run did not finish"


def cell(screen: HostsScreen, address: str, column: str = "files") -> str:
    return str(screen.query_one("#hosts-table", DataTable).get_cell(address, column))


def status(screen: HostsScreen) -> str:
    return str(screen.query_one("#hosts-status", Static).render())


async def detail_of(pilot: Pilot, screen: HostsScreen, address: str) -> str:
    table = screen.query_one("#hosts-table", DataTable)
    table.move_cursor(row=table.get_row_index(address))
    await pilot.pause()
    return str(screen.query_one("#hosts-detail", Static).render()).replace("\n    ", " ")


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a host's folder (backups left out): its bytes and mode."""
    return {
        "/" + p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file() and "/backup-" not in "/" + p.relative_to(root).as_posix()
    }


@pytest.mark.slow
async def test_d_shows_the_diff_asks_then_places_what_the_cli_places(
    fleet: FleetSet, tmp_path: Path
) -> None:
    log = tmp_path / "restarts.log"
    spec = spec_for(fleet, log)
    hosts = LocalHosts(tmp_path / "tui", unreachable={N2})
    (tmp_path / "tui" / M2 / "etc/kubernetes/ssl/ca.pem").mkdir(parents=True)  # refused there
    app = wizard(spec)
    async with app.run_test(size=SIZE) as pilot:
        screen = HostsScreen(spec, fleet.out, client=hosts.factory())
        await app.push_screen(screen)
        assert cell(screen, M1) == "not distributed"
        await pilot.press("d")
        await until_idle(pilot, screen)
        assert isinstance(app.screen, DistributeDialog)
        question = str(app.screen.query_one(".dialog-text", Static).render())
        assert f"{M1}: 13 new\n    restarts: kube-apiserver.service" in question
        assert f"{N2} (node-2): unreachable — not touched" in question
        assert not list((tmp_path / "tui" / M1).rglob("*.pem"))  # the diff placed nothing
        await pilot.press("p")  # place the files, no restart
        await pilot.pause()
        assert isinstance(app.screen, HostsScreen)
        await until_idle(pilot, screen)
        assert cell(screen, M1) == "✓ placed 13"
        assert cell(screen, N1).startswith("✓ placed")
        assert cell(screen, N2) == "✗ unreachable"
        assert cell(screen, M2) == "✗ failed"
        assert cell(screen, f"{NET}.10") == "—"  # the VIP gets no files
        assert f"not done: {M2}, {N2} (node-2)" in status(screen)
        words = await detail_of(pilot, screen, N2)
        assert "unreachable (ssh: connect to host port 22: Connection refused) — check that" in (
            words
        )
        words = await detail_of(pilot, screen, M2)
        assert "/etc/kubernetes/ssl/ca.pem is not a regular file (a folder?) — move it away" in (
            words
        )
        words = await detail_of(pilot, screen, M1)
        assert "restarts needed: kube-apiserver.service" in words
    assert not log.exists(), "placing the files alone restarted something"
    # the CLI's job, on hosts of its own: the very same files and modes
    cli = LocalHosts(tmp_path / "cli", unreachable={N2, M2})
    outcome = run_distribution(DistributionRequest(spec, fleet.out), client=cli.factory())
    placed = [r.target.address for r in outcome.hosts if r.ok]
    assert len(placed) == 6
    for address in placed:
        assert tree(tmp_path / "tui" / address) == tree(tmp_path / "cli" / address), address
        per_host = {p: c for p, (c, _m) in tree(fleet.out / "hosts" / address).items()}
        assert {p: c for p, (c, _m) in tree(tmp_path / "tui" / address).items()} == per_host


@pytest.mark.slow
async def test_restarting_is_its_own_answer_and_rolls_one_at_a_time(
    fleet: FleetSet, tmp_path: Path
) -> None:
    log = tmp_path / "restarts.log"
    spec = spec_for(fleet, log)
    hosts = LocalHosts(tmp_path / "hosts")
    app = wizard(spec)
    async with app.run_test(size=SIZE) as pilot:
        screen = HostsScreen(spec, fleet.out, client=hosts.factory())
        await app.push_screen(screen)
        await pilot.press("d")
        await until_idle(pilot, screen)
        assert isinstance(app.screen, DistributeDialog)
        await pilot.press("r")
        await pilot.pause()
        await until_idle(pilot, screen)
        for address in (*ETCD, M1, M2, M3, N1, N2):
            assert cell(screen, address) == "✓ restarted", address
        assert "placed and restarted: 8 of 8 hosts done" in status(screen)
        await pilot.press("d")  # again: every host has its files, no question
        await until_idle(pilot, screen)
        assert isinstance(app.screen, HostsScreen)
        assert cell(screen, M1) == "✓ has its files"
        assert status(screen) == "every host has its files — nothing to place"
    order = list(dict.fromkeys(line.split()[0] for line in log.read_text().splitlines()))
    assert order[:6] == [*ETCD, M1, M2, M3]  # etcd members, then masters, one at a time


async def test_esc_cancels_the_run_and_the_hosts_not_started_say_so(
    fleet: FleetSet, tmp_path: Path
) -> None:
    spec = spec_for(fleet, tmp_path / "restarts.log", parallel=1)
    release, started = threading.Event(), threading.Event()

    def gate(target, script: str) -> None:  # noqa: ANN001
        if "kcw-journal.part" in script:  # the apply, not the diff's read
            started.set()
            release.wait(30)

    hosts = LocalHosts(tmp_path / "hosts", gate=gate)
    app = wizard(spec)
    async with app.run_test(size=SIZE) as pilot:
        screen = HostsScreen(spec, fleet.out, client=hosts.factory())
        await app.push_screen(screen)
        await pilot.press("d")
        await until_idle(pilot, screen)
        await pilot.press("p")
        for _ in range(200):
            if started.is_set():
                break
            await pilot.pause(0.05)
        assert started.is_set()
        assert cell(screen, ETCD[0]) == "… placing" and cell(screen, M1) == "… waiting"
        await pilot.press("escape")  # cancels; the screen stays
        await pilot.pause()
        assert isinstance(app.screen, HostsScreen) and "cancelling" in status(screen)
        release.set()
        await until_idle(pilot, screen)
        assert cell(screen, ETCD[0]) == "✓ placed 3" or cell(screen, ETCD[0]).startswith("✗")
        assert cell(screen, M1) == "ℹ cancelled"
        assert status(screen).startswith("cancelled — ")
        assert not list((tmp_path / "hosts" / M1).rglob("*.pem"))  # never written
        assert hosts.seen.count(M1) == 1  # read for the diff, never again


@pytest.mark.slow
async def test_a_host_that_owes_a_restart_says_so_and_r_restarts_only_that(
    fleet: FleetSet, tmp_path: Path
) -> None:
    """node-1's kubelet pair was renewed and placed without a restart (the CLI's job): the
    Hosts screen's diff says `needs restart`, the question offers the restart though no file
    changes, and `r` restarts the kubelet alone and clears it."""
    log = tmp_path / "restarts.log"
    spec = spec_for(fleet, log)
    hosts = LocalHosts(tmp_path / "hosts")
    assert all(r.ok for r in run_distribution(DistributionRequest(spec, fleet.out),
                                              client=hosts.factory()).hosts)  # fmt: skip
    ssl = tmp_path / "hosts" / N1 / "etc/kubernetes/ssl"
    (ssl / "kubelet.pem").write_bytes(fleet.older("kubelet-node-1.pem"))
    outcome = run_distribution(DistributionRequest(spec, fleet.out), client=hosts.factory())
    assert [r.owed for r in outcome.hosts if r.owed] == [["kubelet"]]
    assert not log.exists()
    app = wizard(spec)
    async with app.run_test(size=SIZE) as pilot:
        screen = HostsScreen(spec, fleet.out, client=hosts.factory())
        await app.push_screen(screen)
        await pilot.press("d")
        await until_idle(pilot, screen)
        assert isinstance(app.screen, DistributeDialog)
        question = str(app.screen.query_one(".dialog-text", Static).render())
        assert (
            f"{N1} (node-1): needs restart (placed earlier, not restarted)\n"
            "    restarts: kubelet.service"
        ) in question
        assert app.screen.title_text == "Distribute to 1 of 8 hosts?"
        assert cell(screen, N1) == "⚠ needs restart"
        assert cell(screen, M1) == "✓ has its files"
        await pilot.press("escape")  # nothing yet: the detail says what is owed
        await pilot.pause()
        words = await detail_of(pilot, screen, N1)
        assert "needs restart (placed earlier, not restarted): kubelet\n" in words
        assert "restarts needed: kubelet.service" in words
        await pilot.press("d")
        await until_idle(pilot, screen)
        await pilot.press("r")
        await pilot.pause()
        await until_idle(pilot, screen)
        assert cell(screen, N1) == "✓ restarted"
        assert cell(screen, M1) == "✓ has its files"
        await pilot.press("d")  # owed no more: no question
        await until_idle(pilot, screen)
        assert isinstance(app.screen, HostsScreen)
        assert cell(screen, N1) == "✓ has its files"
    assert log.read_text().splitlines() == [f"{N1} kubelet.service"]
