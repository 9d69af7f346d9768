"""The Rotate screen at 80×24: opened from the wizard (F4 or the palette), a tab per CA the
profile has, the next phase's dry run in the CLI's words (DOWNTIME and traps first), prepare run
in a worker writing what the CLI writes, progress that moves and a cancel that leaves the
directory as it was, undo byte for byte, refusals in words, the diagram in Chinese; snapshots at
80×24 and 120×40 of the committed classic set."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from textual.pilot import Pilot
from textual.widgets import Tabs

from tests.rotate.rotate_sets import copy_set, make_set, make_spec, top_level
from tests.tui.wizard_pilot import INSPECT_SET, settle, until_idle, wizard
from wizard.cli import main
from wizard.rotate import CaKind, Stage, detect, target_for
from wizard.spec import ClusterSpec, save_spec
from wizard.tui.dialogs.confirm import ConfirmDialog
from wizard.tui.screens.rotate import RotateScreen

SIZE = (80, 24)


@pytest.fixture(scope="module")
def kubeadm_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeadm set (ECDSA, three masters, one node), made once; tests copy it."""
    return make_set(make_spec("kubeadm"), tmp_path_factory.mktemp("rotate-screen") / "certs")


@pytest.fixture
def certs(kubeadm_set: Path, tmp_path: Path) -> Path:
    return copy_set(kubeadm_set, tmp_path / "certs")


def app_for(directory: Path, spec: ClusterSpec | None = None):  # noqa: ANN201
    app = wizard(spec or make_spec("kubeadm"))
    app.state.output_dir = str(directory)
    return app


async def open_rotate(pilot: Pilot) -> RotateScreen:
    await pilot.press("f4")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RotateScreen)
    await until_idle(pilot, screen)
    return screen


async def answer(pilot: Pilot, key: str) -> None:
    for _ in range(40):
        if isinstance(pilot.app.screen, ConfirmDialog):
            break
        await pilot.pause(0.05)
    assert isinstance(pilot.app.screen, ConfirmDialog), "no confirm was asked"
    await pilot.press(key)
    await pilot.pause()


def cli_dry_run(directory: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What `rotate-ca --dry-run` prints for the plan (its closing line left out)."""
    config = directory.parent / "cli-cluster.toml"
    save_spec(make_spec("kubeadm"), config)
    assert main(["rotate-ca", "-c", str(config), "-o", str(directory), "--ca", kind,
                 "--dry-run"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    return text.split("\n\nDry run: nothing was written.")[0]


@pytest.mark.slow
async def test_f4_opens_a_tab_per_ca_and_the_palette_lists_it(certs: Path) -> None:
    app = app_for(certs)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rotate(pilot)
        tabs = screen.query_one("#rotate-cas", Tabs)
        assert [str(t.label) for t in tabs.query("Tab")] == ["cluster", "etcd", "front-proxy", "sa"]
        assert "stage: idle · next phase: prepare" in str(
            screen.query_one("#rotate-stage").render()
        )
        assert screen.status_text().startswith("r runs prepare")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RotateScreen)
        assert "Rotate a CA" in [c.title for c in app.get_system_commands(app.screen)]


async def test_the_classic_set_has_one_tab_for_its_one_ca(tmp_path: Path) -> None:
    directory = shutil.copytree(INSPECT_SET, tmp_path / "k8s-certs")
    app = app_for(directory, ClusterSpec.example())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rotate(pilot)
        labels = [str(t.label) for t in screen.query_one("#rotate-cas", Tabs).query("Tab")]
        assert labels == ["cluster = etcd"]  # classic: no front-proxy CA, no sa key pair


@pytest.mark.slow
async def test_choosing_a_ca_shows_the_clis_dry_run_with_the_traps_first(
    certs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = top_level(certs)
    app = app_for(certs)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rotate(pilot)
        body = screen.body_text()
        assert cli_dry_run(certs, "cluster", capsys) in body
        warning = body.index("WARNING: --cluster-signing-cert-file")
        assert warning < body.index("+ pki/ca-bundle.crt")  # the trap before the diff
        await pilot.press("2")
        await until_idle(pilot, screen)
        assert screen.kind is CaKind.ETCD
        body = screen.body_text()
        assert "rotate-ca --ca etcd: etcd-ca CA (pki/etcd/ca.crt)" in body
        assert cli_dry_run(certs, "etcd", capsys) in body
        assert body.index("WARNING: etcd (3.x") < body.index("+ pki/etcd/ca-bundle.crt")
    assert top_level(certs) == before  # a dry run writes nothing


@pytest.mark.slow
async def test_one_master_says_downtime_up_front_and_in_the_confirm(tmp_path: Path) -> None:
    spec = make_spec("kubeadm", masters=1)
    directory = make_set(spec, tmp_path / "certs")
    app = app_for(directory, spec)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rotate(pilot)
        body = screen.body_text()
        assert "WARNING: DOWNTIME: this cluster has one kube-apiserver" in body
        assert body.index("DOWNTIME") < body.index("stage: idle")
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and "DOWNTIME" in dialog.question
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, RotateScreen) and not (directory / "pki/ca-next.crt").exists()


@pytest.mark.slow
async def test_prepare_writes_the_clis_files_the_stage_advances_undo_restores(
    certs: Path, tmp_path: Path
) -> None:
    """r, y: the worker writes prepare; the same files change as with the CLI, the stage read
    from the files is prepared; u, y: every file is back byte for byte."""
    before = top_level(certs)
    by_cli = copy_set(certs, tmp_path / "by-cli")
    config = tmp_path / "cli-cluster.toml"
    save_spec(make_spec("kubeadm"), config)
    assert main(["rotate-ca", "-c", str(config), "-o", str(by_cli), "--ca", "cluster"]) == 0
    app = app_for(certs)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rotate(pilot)
        await pilot.press("r")
        await answer(pilot, "y")
        await until_idle(pilot, screen)
        assert screen.last is not None and screen.last.word == "ok"
        assert "✓ prepare of --ca cluster written" in screen.status_text()
        body = screen.body_text()
        assert "The replaced files are in " in body and "--undo puts them back" in body
        assert "Next: the hosts above, then rotate-ca --ca cluster again" in body
        assert "stage: prepared · next phase: reissue" in str(
            screen.query_one("#rotate-stage").render()
        )
        after, cli = top_level(certs), top_level(by_cli)
        assert sorted(after) == sorted(cli)  # the same files added
        changed = {p for p in after if before.get(p) != after[p]}
        assert changed == {p for p in cli if before.get(p) != cli[p]}
        assert {"pki/ca-next.crt", "pki/ca-next.key", "pki/ca-bundle.crt", "admin.conf"} <= changed
        bundle = x509.load_pem_x509_certificates(after["pki/ca-bundle.crt"])
        assert bundle[0].public_bytes(_pem()) == x509.load_pem_x509_certificate(
            before["pki/ca.crt"]
        ).public_bytes(_pem())
        target = target_for(CaKind.CLUSTER, make_spec("kubeadm"), certs)
        assert detect(certs, target).stage is Stage.PREPARED

        await pilot.press("u")
        await answer(pilot, "y")
        await until_idle(pilot, screen)
        assert "✓ prepare of --ca cluster undone" in screen.status_text()
        assert top_level(certs) == before
        assert "stage: idle · next phase: prepare" in str(
            screen.query_one("#rotate-stage").render()
        )


async def _until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 90) -> bool:
    """Let the app run until `condition` holds (the timeout is a safety net, not a pace)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await pilot.pause(0.02)
    return condition()


def _pem():  # noqa: ANN202
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.PEM


@pytest.mark.slow
async def test_reissue_progress_moves_and_esc_cancels_before_the_write(
    certs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each leaf is held until the test has read the bar: it moves leaf by leaf, forward; the
    fifth is held until Esc has cancelled the run, which then stops before its write — the
    directory is as it was, still prepared. (Leaves slowed to 0.15 s and a 30 ms poll let a
    loaded machine miss steps, or finish the run before Esc came.)"""
    import wizard.rotate.phases as phases

    config = certs.parent / "cli-cluster.toml"
    save_spec(make_spec("kubeadm"), config)
    assert main(["rotate-ca", "-c", str(config), "-o", str(certs), "--ca", "cluster"]) == 0
    prepared = top_level(certs)
    real_leaf = phases._leaf
    gates = [threading.Event() for _ in range(4)]
    calls: list[int] = []

    app = app_for(certs)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rotate(pilot)

        def held_leaf(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            number = len(calls)
            calls.append(number)
            if number < len(gates):
                gates[number].wait(60)
            else:
                screen._cancel.wait(60)  # the run's own cancel, set by Esc
            return real_leaf(*args, **kwargs)

        assert screen.planned is not None and screen.planned.dry_run is not None
        assert screen.planned.dry_run.plan.phase == "reissue"
        monkeypatch.setattr(phases, "_leaf", held_leaf)
        seen: list[float] = []
        await pilot.press("r")
        await answer(pilot, "y")
        for number in range(len(gates) + 1):
            # the bar is told (call_from_thread waits for it) before each leaf is made
            assert await _until(pilot, lambda number=number: len(calls) > number), calls
            assert screen.progress is not None
            seen.append(screen.progress.done)
            if number < len(gates):
                gates[number].set()
        assert len(set(seen)) == len(seen) and seen == sorted(seen), seen  # it moves, forward
        assert "issuing " in screen.status_text() and "Esc cancels" in screen.status_text()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RotateScreen)  # Esc cancelled, it did not close
        await until_idle(pilot, screen)
        assert "cancelled before anything was written" in screen.status_text()
        assert screen.last is not None and screen.last.word == "note"
    assert top_level(certs) == prepared


async def test_refusals_are_shown_in_words(certs: Path) -> None:
    app = app_for(certs)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rotate(pilot)
        await pilot.press("u")  # nothing written yet
        await until_idle(pilot, screen)
        assert not isinstance(app.screen, ConfirmDialog)
        assert "refused: " in screen.status_text()
        assert "holds no backup of a rotate-ca phase of ca — nothing to undo" in (
            screen.status_text()
        )
        await pilot.press("3", "k")  # --clients-only on the front-proxy CA
        await until_idle(pilot, screen)
        body = screen.body_text()
        assert "refused: --clients-only --ca front-proxy: only the cluster CA's client trust" in (
            body
        )
        before = top_level(certs)
        await pilot.press("r")  # nothing to run: the refusal is said again
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert "refused: --clients-only" in screen.status_text()
        assert top_level(certs) == before


async def test_the_diagram_is_explains_in_english_and_chinese(certs: Path) -> None:
    from wizard.rotate import explain_lines

    target = target_for(CaKind.SA, make_spec("kubeadm"), certs)
    app = app_for(certs)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rotate(pilot)
        await pilot.press("4")
        await until_idle(pilot, screen)
        await pilot.press("e")
        await pilot.pause()
        assert "\n".join(explain_lines(target)) in screen.body_text()
        await pilot.press("l")
        await pilot.pause()
        assert "\n".join(explain_lines(target, "zh")) in screen.body_text()
        assert "信任（pki/sa.pub；轮换期间为 pki/sa-bundle.pub）：" in screen.body_text()
        assert "轮换 CA" in str(screen.query_one("#rotate-title").render())
        await pilot.press("e")
        await pilot.pause()
        assert "rotate-ca --ca sa: service-account key pair (pki/sa.pub)" in screen.body_text()


def _rotate_classic(in_tmp: Path):  # noqa: ANN202
    shutil.copytree(INSPECT_SET, in_tmp / "k8s-certs")
    app = wizard()
    app.state.output_dir = "k8s-certs"

    async def run_before(pilot: Pilot) -> None:
        screen = await open_rotate(pilot)
        await until_idle(pilot, screen)
        await settle(pilot)

    return app, run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_rotate(size: tuple[int, int], snap_compare, in_tmp: Path) -> None:
    """The committed classic set: its one CA, the prepare dry run with the traps first."""
    app, run_before = _rotate_classic(in_tmp)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
