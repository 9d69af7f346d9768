"""Carrying a written rotation phase out on the hosts from the Rotate screen (`h`), at 80×24, on
fake hosts (a folder per host, distribute's real scripts in a local sh): the pending phase said
on the Rotate screen, the plan in the CLI's --dry-run words, a run to the end with a bar that
moves per step, a cancel during a step that the job answers and a resume that does not redo the
steps done, an unreachable host that stops the run with the rerun words — the same summary the
command line prints for the same outcome — and a snapshot."""

from __future__ import annotations

import html
import json
import re
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.pilot import Pilot
from textual.widgets import ProgressBar

from tests.fleet.fleet_sets import FleetSet, LocalHosts, fake_hosts, make_set, me
from tests.fleet.test_distribute_rotation_cancel import BlockingHosts
from tests.tui.wizard_pilot import settle, until_idle, wizard
from wizard.cli import main
from wizard.fleet import rotation_steps as fleet_rotation
from wizard.fleet.rotation_steps import JumpResult
from wizard.jobs import rotation_distribution as job
from wizard.jobs.rotation_hosts import summary_lines
from wizard.rotate import CaKind, target_for
from wizard.rotate.progress import read_record
from wizard.spec import load_spec
from wizard.tui.dialogs.confirm import ConfirmDialog
from wizard.tui.screens.rotate import RotateScreen
from wizard.tui.screens.rotation_hosts import HostAccess, RotationHostsScreen

SIZE = (80, 24)
NET = "10.9.0"
ETCD = [f"{NET}.11", f"{NET}.12", f"{NET}.13"]
M1, M2, M3 = f"{NET}.21", f"{NET}.22", f"{NET}.23"


class Jump:
    """The jump host: etcdctl says ETCD[1] leads and every member is healthy; anything else
    (drain hooks) succeeds."""

    def __call__(self, command: str, timeout: float) -> JumpResult:
        if "endpoint status" in command:
            ids = {a: 100 + i for i, a in enumerate(ETCD)}
            status = [{"Endpoint": f"https://{a}:2379",
                       "Status": {"header": {"member_id": ids[a]}, "leader": ids[ETCD[1]]}}
                      for a in ETCD]  # fmt: skip
            return JumpResult(0, json.dumps(status), "")
        return JumpResult(0, "healthy", "")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete cluster (3 etcd, 3 masters, 2 nodes) on fake hosts with its cluster CA's
    prepare written; [deploy] restarts by appending `<host> <unit>` to restarts.log."""
    work = tmp_path_factory.mktemp("rotation-hosts")
    fleet = make_set(work, NET)
    fake_hosts(fleet, work / "hosts")
    assert main(["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", "cluster"]) == 0
    return work


@pytest.fixture
def rig(prepared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A copy of the prepared cluster in ./w (the working directory), etcdctl "installed"."""
    monkeypatch.chdir(tmp_path)
    work = shutil.copytree(prepared, tmp_path / "w")
    log = work / "restarts.log"
    owner, group = me()
    with (work / "cluster.toml").open("a") as toml:
        toml.write(f"""
[deploy]
owner = "{owner}"
group = "{group}"
restart_command = "echo $(basename \\"$ROOT\\") {{unit}} >> {log}"
health_command = "true"
""")
    monkeypatch.setattr(fleet_rotation.shutil, "which", lambda name: f"/usr/bin/{name}")
    fleet = FleetSet(work / "cluster.toml", work / "certs")
    return SimpleNamespace(work=work, fleet=fleet, hosts=work / "hosts", log=log)


def access(hosts: LocalHosts) -> HostAccess:
    return HostAccess(client=hosts.factory(), jump=Jump(), sleep=lambda seconds: None)


def rotate_app(rig: SimpleNamespace, hosts: LocalHosts):  # noqa: ANN201
    """The wizard with the Rotate screen over the prepared set, the hosts reached as given."""
    spec = load_spec(rig.fleet.toml)
    app = wizard(spec)
    screen = RotateScreen(spec, rig.fleet.out, config=str(rig.fleet.toml), access=access(hosts))
    return app, screen


async def open_hosts(pilot: Pilot, rotate: RotateScreen) -> RotationHostsScreen:
    await pilot.app.push_screen(rotate)
    await until_idle(pilot, rotate)
    await pilot.press("h")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RotationHostsScreen)
    await until_idle(pilot, screen)
    return screen


async def confirm(pilot: Pilot) -> ConfirmDialog:
    for _ in range(100):
        if isinstance(pilot.app.screen, ConfirmDialog):
            break
        await pilot.pause(0.05)
    dialog = pilot.app.screen
    assert isinstance(dialog, ConfirmDialog), "no confirm was asked"
    await pilot.press("y")
    await pilot.pause()
    return dialog


def cli(rig: SimpleNamespace, hosts: LocalHosts, capsys, *flags: str) -> tuple[int, str]:  # noqa: ANN001
    """`distribute -c cluster.toml DIR --rotation cluster FLAGS` on the same fake hosts."""
    real = job.run_rotation_distribution
    fakes = {"client": hosts.factory(), "jump": Jump(), "sleep": lambda seconds: None}
    job.run_rotation_distribution = lambda request, **kw: real(request, **{**kw, **fakes})
    try:
        argv = ["distribute", "-c", str(rig.fleet.toml), str(rig.fleet.out), "--rotation",
                "cluster", *flags]  # fmt: skip
        capsys.readouterr()
        code = main(argv)
    finally:
        job.run_rotation_distribution = real
    return code, capsys.readouterr().out


def screen_lines(svg: str) -> list[str]:
    """The rows of a screenshot as text (each row's pieces joined in order)."""
    rows: dict[int, str] = {}
    for row, text in re.findall(r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>', svg):
        rows[int(row)] = rows.get(int(row), "") + html.unescape(text).replace("\xa0", " ")
    return [rows[row] for row in sorted(rows)]


def without_seconds(text: str) -> str:
    return re.sub(r"\d+\.\d s\b", "N s", text)


def restarts(rig: SimpleNamespace) -> list[str]:
    return rig.log.read_text().splitlines() if rig.log.exists() else []


def record(rig: SimpleNamespace):  # noqa: ANN201
    return read_record(rig.fleet.out, target_for("cluster", rig.fleet.spec()))


@pytest.mark.slow
async def test_h_offers_the_written_phase_and_shows_the_clis_dry_run(rig, capsys) -> None:  # noqa: ANN001
    code, dry_run = cli(rig, LocalHosts(rig.hosts), capsys, "--dry-run")
    assert code == 0
    app, rotate = rotate_app(rig, LocalHosts(rig.hosts))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.push_screen(rotate)
        await until_idle(pilot, rotate)
        body = rotate.body_text()
        assert "⚠ phase prepare of --ca cluster is written but not on every host: 0 of " in body
        assert "— h carries it out on the hosts" in body
        assert rotate.status_text().startswith("h carries prepare out on the hosts · r runs")
        await pilot.press("r")  # writing reissue now would take trust away: the confirm says so
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and "Run reissue?" in dialog.title_text
        assert "phase prepare of --ca cluster is written but not on every host" in dialog.question
        await pilot.press("n")
        await pilot.pause()
        screen = await open_hosts(pilot, rotate)
        body = screen.body_text()
        assert "distribute --rotation cluster --dry-run" in body
        assert dry_run.strip() in body  # the CLI's words, line for line
        assert f"etcd leader {ETCD[1]}: restarted last in its wave" in body
        assert "WARNING: deploy.drain_command is not set" in body
        plan = screen.plan
        assert plan is not None and [r.step.address for r in plan.steps][:3] == [
            ETCD[0], ETCD[2], ETCD[1]
        ]  # fmt: skip
        total = len(plan.steps)
        assert f"r carries out {total} of {total} steps (asks first)" in screen.status_text()
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert f"{total} of {total} host steps, wave by wave" in dialog.question
        assert "deploy.drain_command is not set" in dialog.question
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and not restarts(rig)  # no: nothing ran
        await pilot.click("#rh-back")  # the mouse works too
        await pilot.pause()
        assert app.screen is rotate
    assert record(rig) is None


@pytest.mark.slow
async def test_a_run_goes_step_by_step_to_the_end_and_the_rotate_screen_moves_on(rig) -> None:  # noqa: ANN001
    app, rotate = rotate_app(rig, LocalHosts(rig.hosts))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hosts(pilot, rotate)
        assert screen.plan is not None
        total = len(screen.plan.steps)
        bar = screen.query_one("#rh-progress", ProgressBar)
        seen: list[tuple[float, str]] = []
        progressed = screen._progressed

        def spy(news) -> None:  # noqa: ANN001
            progressed(news)
            seen.append((bar.progress, screen.current_text()))

        screen._progressed = spy  # type: ignore[method-assign]
        assert await pilot.click("#rh-run")  # the button asks as r does
        await confirm(pilot)
        await until_idle(pilot, screen)
        values = [p for p, _ in seen]
        assert values == sorted(values) and set(range(1, total + 1)) <= set(values)  # per step
        shown = [c for _, c in seen]
        assert f"i wave 1 · {ETCD[0]} (etcd-1): restarting · step 1 of {total}" in shown
        assert screen.outcome is not None and screen.outcome.finished
        body = screen.body_text()
        assert body.startswith(f"✓ phase prepare is on every host: {total} steps done in ")
        assert screen.status_text() == "✓ done: phase prepare is on every host"
        expected = [f"{r.step.address} {u}" for r in screen.outcome.steps for u in r.step.restart]
        assert restarts(rig) == expected  # one host after another, the etcd leader last
        etcd = [line.split()[0] for line in expected if line.endswith(" etcd.service")]
        assert etcd == [ETCD[0], ETCD[2], ETCD[1]]  # the leader last
        await pilot.press("escape")
        await until_idle(pilot, rotate)
        assert app.screen is rotate
        assert "is written but not on every host" not in rotate.body_text()
        assert rotate.planned is not None and rotate.planned.dry_run is not None
        assert rotate.planned.dry_run.plan.phase == "reissue"  # the next phase may be written
    found = record(rig)
    assert found is not None and found.finished


@pytest.mark.slow
async def test_esc_cancels_during_a_step_and_r_resumes_without_redoing_the_steps_done(
    rig,  # noqa: ANN001
) -> None:
    blocking = BlockingHosts(rig.hosts, M1)
    app, rotate = rotate_app(rig, blocking)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hosts(pilot, rotate)
        await pilot.press("r")
        await confirm(pilot)
        for _ in range(600):
            if blocking.started.is_set() and screen.current and M1 in screen.current.key:
                break
            await pilot.pause(0.05)
        assert blocking.started.is_set(), "the run never reached the first master"
        assert f"{M1}: placing" in screen.current_text()
        said: list[str] = []
        set_status = screen.set_status

        def spy(text: str, word: str = "") -> None:
            said.append(text)
            set_status(text, word)

        screen.set_status = spy  # type: ignore[method-assign]
        await pilot.press("escape")
        await until_idle(pilot, screen)
        assert app.screen is screen  # Esc cancelled, it did not close
        assert said[0].startswith(f"cancelling — the command running on {M1} stops now")
        outcome = screen.outcome
        assert outcome is not None and outcome.stopped is not None
        assert outcome.stopped.step.address == M1 and outcome.stopped.state == "cancelled"
        body = screen.body_text()
        assert body.startswith(f"⚠ stopped at {M1} (cancelled): cancelled during this step")
        assert screen.status_text() == f"⚠ cancelled at {M1} — resumable"
        assert "cancelled; to resume, rerun: k8s-cert-wizard distribute -c " in body
        assert "r resumes here (the steps done are not redone)" in body
        done_before = set(record(rig).done)
        assert done_before and not any(M1 in key for key in done_before)
        before = restarts(rig)
        assert not any(line.startswith(M1) for line in before)

        screen.access = access(LocalHosts(rig.hosts))  # the host answers again
        await pilot.press("r")  # reads the record again, shows it, asks
        dialog = await confirm(pilot)
        left = len(screen.plan.steps) - len(done_before)
        assert f"{left} of {len(screen.plan.steps)} host steps" in dialog.question
        await until_idle(pilot, screen)
        assert screen.outcome is not None and screen.outcome.finished
        states = {f"{r.step.wave}:{r.step.address}": r.state for r in screen.outcome.steps}
        assert {k for k, s in states.items() if s == "done before"} == done_before
        assert "done before" in screen.body_text()
        resumed = [f"{r.step.address} {u}" for r in screen.outcome.steps
                   if r.state == "done" for u in r.step.restart]  # fmt: skip
        assert resumed[0].startswith(M1)
        assert restarts(rig) == before + resumed  # the steps done were not restarted again
    assert record(rig).finished


async def test_a_ca_with_no_phase_written_is_refused_in_words(rig) -> None:  # noqa: ANN001
    app, rotate = rotate_app(rig, LocalHosts(rig.hosts))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.push_screen(rotate)
        await until_idle(pilot, rotate)
        await pilot.press("2")  # the service-account key (the second tab): nothing written
        await until_idle(pilot, rotate)
        assert "is written but not on every host" not in rotate.body_text()
        await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RotationHostsScreen)
        await until_idle(pilot, screen)
        assert "refused: " in screen.body_text()
        body = screen.body_text()
        assert "no phase of the service-account key" in body and "--ca sa` first" in body
        await pilot.press("r")  # reads again, still nothing: no question
        await until_idle(pilot, screen)
        assert not isinstance(app.screen, ConfirmDialog)
        assert screen.status_text().startswith("✗ refused: ")
    assert not restarts(rig)


class HeldCheck(Jump):
    """The jump host, with the first member's health check held until `release` is set."""

    def __init__(self) -> None:
        self.held, self.release = threading.Event(), threading.Event()

    def __call__(self, command: str, timeout: float) -> JumpResult:
        if "endpoint health" in command and ETCD[0] in command and not self.release.is_set():
            self.held.set()
            assert self.release.wait(30), "never released"
        return super().__call__(command, timeout)


@pytest.mark.slow
async def test_esc_during_an_etcd_check_says_it_waits_then_stops_before_the_next_host(
    rig,  # noqa: ANN001
) -> None:
    jump = HeldCheck()
    app, rotate = rotate_app(rig, LocalHosts(rig.hosts))
    rotate.access = HostAccess(LocalHosts(rig.hosts).factory(), jump, lambda seconds: None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hosts(pilot, rotate)
        await pilot.press("r")
        await confirm(pilot)
        for _ in range(600):
            if jump.held.is_set() and screen.current and screen.current.state == "checking":
                break
            await pilot.pause(0.05)
        await pilot.press("escape")
        assert f"cancelling — {ETCD[0]} (etcd-1) is checking (a pause" in screen.status_text()
        jump.release.set()
        await until_idle(pilot, screen)
        outcome = screen.outcome
        assert outcome is not None and outcome.stopped is not None
        assert [r.state for r in outcome.steps[:2]] == ["done", "cancelled"]
        assert outcome.stopped.error == "cancelled before this step"
    assert list(record(rig).done) == [f"1:{ETCD[0]}"]  # the member checked is done


@pytest.mark.slow
async def test_quitting_during_a_run_asks_then_cancels_it(rig) -> None:  # noqa: ANN001
    blocking = BlockingHosts(rig.hosts, M1)
    app, rotate = rotate_app(rig, blocking)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hosts(pilot, rotate)
        await pilot.press("r")
        await confirm(pilot)
        for _ in range(600):
            if blocking.started.is_set():
                break
            await pilot.pause(0.05)
        await pilot.press("ctrl+q")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and "quitting cancels it" in dialog.question
        await pilot.press("y")
        await pilot.pause()
        for _ in range(200):  # the worker ends on the job's cancel
            if not screen.running:
                break
            await pilot.pause(0.05)
    assert not any(M1 in key for key in record(rig).done) and record(rig).done
    assert not any(line.startswith(M1) for line in restarts(rig))


@pytest.mark.slow
async def test_the_live_list_keeps_the_running_step_in_view(rig) -> None:  # noqa: ANN001
    """Blocked in wave 4 (M1 again, after its 3 commands of wave 2): the list has scrolled to
    that step at 80×24, and the line under the bar names it."""
    blocking = BlockingHosts(rig.hosts, M1, skip=3)
    app, rotate = rotate_app(rig, blocking)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hosts(pilot, rotate)
        await pilot.press("r")
        await confirm(pilot)
        for _ in range(600):
            if blocking.started.is_set() and screen.current and screen.current.key == f"4:{M1}":
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        total = len(screen.plan.steps)
        assert f"wave 4 · {M1}: placing · step 9 of {total}" in screen.current_text()
        assert screen.query_one("#rh-scroll").scroll_y > 0
        rows = screen_lines(app.export_screenshot())
        assert any(f"  {M1}: 1 file — placing" in row for row in rows)  # in view
        await pilot.press("escape")
        await until_idle(pilot, screen)


async def test_an_unreachable_host_stops_the_run_with_the_rerun_words(rig) -> None:  # noqa: ANN001
    app, rotate = rotate_app(rig, LocalHosts(rig.hosts, unreachable={M2}))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hosts(pilot, rotate)
        await pilot.press("r")
        await confirm(pilot)
        await until_idle(pilot, screen)
        outcome = screen.outcome
        assert outcome is not None and outcome.stopped is not None
        assert outcome.stopped.step.address == M2
        body = screen.body_text()
        assert body.startswith(f"✗ stopped at {M2} (unreachable): unreachable (ssh: connect")
        rerun = f"k8s-cert-wizard distribute -c {rig.fleet.toml} {rig.fleet.out} --rotation cluster"
        assert f"fix it, then rerun: {rerun} (the steps done are not redone)" in body
        assert "r resumes here (the steps done are not redone)" in body
        assert screen.status_text() == f"✗ stopped at {M2} (unreachable)"
        index = outcome.steps.index(outcome.stopped)
        assert all(r.state == "not started" for r in outcome.steps[index + 1 :])
        assert not any(line.startswith((M3, f"{NET}.31")) for line in restarts(rig))


@pytest.mark.slow
@pytest.mark.parametrize("unreachable", [set(), {M2}], ids=["done", "stopped"])
async def test_the_tui_and_the_cli_say_the_same_for_the_same_outcome(
    rig,
    capsys,
    unreachable: set[str],  # noqa: ANN001
) -> None:
    """From the same start on the same hosts, the run ends the same way in both faces and
    the result panel holds every line the command line prints (the seconds aside)."""
    pristine = rig.work.parent / "pristine"
    shutil.copytree(rig.work, pristine)
    app, rotate = rotate_app(rig, LocalHosts(rig.hosts, unreachable=unreachable))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_hosts(pilot, rotate)
        await pilot.press("r")
        await confirm(pilot)
        await until_idle(pilot, screen)
        outcome = screen.outcome
        assert outcome is not None
        body = without_seconds(screen.body_text())
        tui_summary = without_seconds("\n".join(summary_lines(outcome, screen.rerun)))
    shutil.rmtree(rig.work)
    shutil.copytree(pristine, rig.work)
    code, printed = cli(rig, LocalHosts(rig.hosts, unreachable=unreachable), capsys)
    assert code == (2 if unreachable else 0)
    printed = without_seconds(printed.rstrip("\n"))
    assert printed.split("\n\n")[-1] == tui_summary  # the same summary, word for word
    shown = [re.sub(r"^[✓✗⚠] ", "", line) for line in body.splitlines()]  # the mark first
    assert [line for line in printed.splitlines() if line not in shown] == []


@pytest.mark.slow
def test_snapshot_rotation_hosts_plan(rig, snap_compare) -> None:  # noqa: ANN001
    """The plan at 80×24: the drain warning, the leader going last, the waves and steps."""
    spec = load_spec(rig.fleet.toml)
    app = wizard(spec)

    async def run_before(pilot: Pilot) -> None:
        screen = RotationHostsScreen(spec, Path("w/certs"), CaKind.CLUSTER, access=access(
            LocalHosts(rig.hosts)))  # fmt: skip
        await pilot.app.push_screen(screen)
        await until_idle(pilot, screen)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_the_screens_words_exist_in_both_languages() -> None:
    from wizard.tui.screens.rotation_hosts import UI

    assert UI["en"].keys() == UI["zh"].keys()
