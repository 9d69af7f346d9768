"""Render the wizard's screens headlessly into screenshots/ (SVG), for the README.

Run from anywhere: `python tests/make_screenshots.py`. Each screen is driven with Pilot at a fixed
clock in a scratch directory, so the pictures only change when the screens do. The inspect step
shows the committed set of tests/tui/data (the guide's cluster made at the same fixed instant),
so serial numbers and key ids stay the same from run to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.tui.wizard_pilot import INSPECT_SET, settle, type_into, wizard  # noqa: E402

OUT = ROOT / "screenshots"
WIDE = (120, 40)
NARROW = (80, 24)

Drive = Callable[[Pilot], Awaitable[None]]


def _steps(count: int) -> Drive:
    async def drive(pilot: Pilot) -> None:
        for _ in range(count):
            await pilot.press("ctrl+n")
        await settle(pilot)

    return drive


async def _mistake(pilot: Pilot) -> None:
    await type_into(pilot, pilot.app.screen.editor("vip").rows[0].field, "192.168.214.1/24")
    await pilot.press("ctrl+n")


async def _generated(pilot: Pilot) -> None:
    await _steps(3)(pilot)
    await pilot.press("ctrl+g")
    await settle(pilot)


async def _inspect(pilot: Pilot) -> None:
    shutil.rmtree("k8s-certs", ignore_errors=True)
    shutil.copytree(INSPECT_SET, "k8s-certs")
    await _steps(4)(pilot)
    await pilot.press("down")


async def _hosts(pilot: Pilot) -> None:
    """The Hosts screen after a check of fake hosts (the real inventory script in a local sh),
    one of them holding a CA key it must not have."""
    from tests.fleet.fleet_sets import fake_hosts, local_reader, make_set, me
    from wizard.tui.screens.hosts import HostsScreen

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        fleet = make_set(Path.cwd(), "10.0.1")  # what `generate --per-host` says: not wanted
    root = fake_hosts(fleet, Path.cwd() / "hosts")
    shutil.copy(fleet.out / "ca-key.pem", root / "10.0.1.31/etc/kubernetes/ssl/ca-key.pem")
    spec = fleet.spec()
    spec.deploy.owner, spec.deploy.group = me()
    screen = HostsScreen(spec, fleet.out, reader=local_reader(root))
    await pilot.app.push_screen(screen)
    await pilot.press("c")
    while screen.running:
        await pilot.pause(0.05)
    await pilot.press("down", "down", "down", "down", "down", "down", "down")
    await settle(pilot)


async def _rotate(pilot: Pilot) -> None:
    """The Rotate screen over a kubeadm set with one master: its four CAs, the stage read from
    the files, the prepare dry run with DOWNTIME said first."""
    from tests.rotate.rotate_sets import make_set, make_spec
    from wizard.tui.screens.rotate import RotateScreen

    spec = make_spec("kubeadm", masters=1)
    directory = make_set(spec, Path.cwd() / "k8s-certs")
    screen = RotateScreen(spec, directory)
    await pilot.app.push_screen(screen)
    await pilot.pause()
    while screen.running:
        await pilot.pause(0.05)
    await settle(pilot)


async def _rotate_hosts(pilot: Pilot) -> None:
    """Carrying prepare of the cluster CA out on fake hosts (the real scripts in a local sh),
    reopened after a run that stopped at an unreachable master: the plan in the CLI's words,
    the steps done before in green, the rest waiting. In a fixed folder: the plan names the
    record by its full path."""
    from tests.fleet.fleet_sets import LocalHosts, fake_hosts, make_set, me
    from tests.tui.test_rotation_hosts import NET, Jump
    from wizard.cli import main as cli
    from wizard.fleet import rotation_steps
    from wizard.jobs.rotation_distribution import (
        RotationDistributionRequest,
        run_rotation_distribution,
    )
    from wizard.rotate import CaKind
    from wizard.tui.screens.rotation_hosts import HostAccess, RotationHostsScreen

    here = Path(tempfile.gettempdir()) / "k8s-cert-wizard-screenshot"
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir()
    os.chdir(here)
    owner, group = me()
    deploy = f'\n[deploy]\nowner = "{owner}"\ngroup = "{group}"\n'
    deploy += 'restart_command = "true {unit}"\nhealth_command = "true"\n'
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        fleet = make_set(here, NET, extra=deploy)
        root = fake_hosts(fleet, here / "hosts")
        assert (
            cli(["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", "cluster"]) == 0
        )
    which = rotation_steps.shutil.which
    rotation_steps.shutil.which = lambda name: f"/usr/bin/{name}"  # type: ignore[assignment]
    try:  # etcdctl "here": the Jump fake says who leads
        spec = fleet.spec()
        run_rotation_distribution(
            RotationDistributionRequest(spec, fleet.out, CaKind.CLUSTER),
            client=LocalHosts(root, unreachable={f"{NET}.22"}).factory(),
            jump=Jump(),
            sleep=lambda seconds: None,
        )
        access = HostAccess(LocalHosts(root).factory(), Jump(), lambda seconds: None)
        screen = RotationHostsScreen(spec, Path("certs"), CaKind.CLUSTER, access=access)
        await pilot.app.push_screen(screen)
        await pilot.pause()
        while screen.running:
            await pilot.pause(0.05)
        await settle(pilot)
    finally:
        rotation_steps.shutil.which = which  # type: ignore[assignment]


SHOTS: list[tuple[str, tuple[int, int], Drive]] = [
    ("01-addresses.svg", WIDE, _steps(0)),
    ("01-addresses-mistake.svg", WIDE, _mistake),
    ("02-identity.svg", WIDE, _steps(1)),
    ("03-preview.svg", WIDE, _steps(2)),
    ("04-generate.svg", WIDE, _generated),
    ("05-inspect.svg", WIDE, _inspect),
    ("narrow-80x24.svg", NARROW, _steps(0)),
    ("09-hosts.svg", WIDE, _hosts),
    ("10-rotate.svg", WIDE, _rotate),
    ("11-rotate-hosts.svg", WIDE, _rotate_hosts),
]


async def shoot(name: str, size: tuple[int, int], drive: Drive) -> Path:
    """Run a fresh wizard at this size, drive it, and save what it shows."""
    app = wizard()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await drive(pilot)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        return Path(app.save_screenshot(filename=name, path=str(OUT)))


async def main() -> None:
    """Every screenshot, each in a fresh scratch directory."""
    OUT.mkdir(exist_ok=True)
    start = Path.cwd()
    for name, size, drive in SHOTS:
        with tempfile.TemporaryDirectory() as scratch:
            os.chdir(scratch)
            try:
                path = await shoot(name, size, drive)
            finally:
                os.chdir(start)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
