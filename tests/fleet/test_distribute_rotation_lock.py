"""`distribute --rotation` holds the directory's lock for its whole run, like every writer:
two real processes contend (events and pipes say who holds the lock, never a timer) —
`rotate-ca` and `renew` on the directory while a distribution runs are refused naming it, and
a distribution while `rotate-ca` writes is refused naming that (or, with --wait, waits)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.fleet.fleet_sets import LocalHosts
from tests.fleet.test_distribute_rotation import Jump, request, rotation  # noqa: F401 - fixture
from tests.held_process import environment, start_held
from wizard.cli import main
from wizard.jobs.rotation_distribution import run_rotation_distribution
from wizard.store.lock import DirectoryBusy, lock_file_for

BUSY = "is being written by another run"
SAFETY = 120  # seconds: only so a broken test cannot hang the suite; nothing is timed


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A real `k8s-cert-wizard` in another process."""
    return subprocess.run(
        [sys.executable, "-m", "wizard", *argv],
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=SAFETY,
    )


class Gate:
    """Holds the distribution at its first SSH command until released (and says so)."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self, target, script) -> None:  # noqa: ANN001
        self.reached.set()
        assert self.release.wait(SAFETY), "the test never released the distribution"


def test_rotate_ca_and_renew_are_refused_while_a_distribution_runs(rotation) -> None:  # noqa: F811
    fleet = rotation.fleet
    gate = Gate()
    hosts = LocalHosts(rotation.hosts, gate=gate)
    box: dict[str, object] = {}

    def distribute() -> None:
        try:
            box["outcome"] = run_rotation_distribution(
                request(fleet), client=hosts.factory(), jump=Jump([]), sleep=lambda s: None
            )
        except BaseException as error:  # noqa: BLE001 - shown by the assertion below
            box["error"] = error
        finally:
            gate.reached.set()

    worker = threading.Thread(target=distribute)
    worker.start()
    try:
        assert gate.reached.wait(SAFETY)
        assert "error" not in box, box
        assert lock_file_for(fleet.out).exists()
        before = sorted(p.name for p in fleet.out.glob("backup-*"))
        config = str(fleet.toml)
        for argv in (
            ("rotate-ca", "-c", config, "-o", str(fleet.out), "--ca", "cluster"),
            ("rotate-ca", "-c", config, "-o", str(fleet.out), "--ca", "cluster", "--undo"),
            ("renew", "-c", config, "-o", str(fleet.out), "--only", "admin"),
        ):
            refused = _cli(*argv, cwd=rotation.tmp)
            assert refused.returncode == 1, (argv, refused.stdout, refused.stderr)
            assert BUSY in refused.stderr and f"PID {os.getpid()} (" in refused.stderr, argv
            assert "Traceback" not in refused.stderr
        assert sorted(p.name for p in fleet.out.glob("backup-*")) == before  # nothing written
    finally:
        gate.release.set()
        worker.join(SAFETY)
    outcome = box["outcome"]
    assert outcome.finished and outcome.lock is not None  # type: ignore[attr-defined]
    assert not lock_file_for(fleet.out).exists()
    after = _cli("rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", "cluster",
                 cwd=rotation.tmp)  # fmt: skip
    assert after.returncode == 0, after.stderr  # the lock is free again: reissue is written


# A real rotate-ca job in another process, stopped while it holds the lock (its first progress
# report comes from inside the lock) until the test writes a line to its stdin.
_ROTATE_HOLDING = """
import sys
from wizard.jobs.rotation import RotationRequest, run_rotation
from wizard.rotate import CaKind
from wizard.spec import load_spec

def progress(step):
    if step.done == 0:
        print("locked", flush=True)
        sys.stdin.readline()

request = RotationRequest(load_spec(sys.argv[1]), sys.argv[2], CaKind.CLUSTER)
outcome = run_rotation(request, on_progress=progress)
print("wrote", outcome.plan.phase, flush=True)
"""


def _holding_rotate_ca(r) -> subprocess.Popen[str]:  # noqa: ANN001 - the rotation fixture
    return start_held(
        _ROTATE_HOLDING, str(r.fleet.toml), str(r.fleet.out), says="locked", cwd=r.tmp, stderr=True
    )


def _release(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate("go\n", timeout=SAFETY)
    assert process.returncode == 0, err
    return out


def test_a_distribution_is_refused_while_rotate_ca_writes(
    rotation,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    fleet = rotation.fleet
    holder = _holding_rotate_ca(rotation)
    try:
        hosts = LocalHosts(rotation.hosts)
        with pytest.raises(DirectoryBusy) as busy:
            run_rotation_distribution(
                request(fleet), client=hosts.factory(), jump=Jump([]), sleep=lambda s: None
            )
        assert busy.value.holder is not None and busy.value.holder.pid == holder.pid
        assert hosts.seen == []  # no host was reached
        argv = ["distribute", "-c", str(fleet.toml), str(fleet.out), "--rotation", "cluster"]
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert BUSY in err and f"PID {holder.pid} (" in err and "--wait" in err, err
        assert "Traceback" not in err
        assert not (fleet.out / ".kcw-rotation-ca.json").exists()  # no record begun
    finally:
        out = _release(holder)
    assert "wrote reissue" in out  # the holder went on and wrote its phase


def test_with_wait_a_distribution_starts_once_rotate_ca_is_done(rotation) -> None:  # noqa: F811
    fleet = rotation.fleet
    holder = _holding_rotate_ca(rotation)
    waited: list[int | None] = []

    def on_wait(who, seconds) -> None:  # noqa: ANN001
        waited.append(who.pid if who else None)
        if len(waited) == 1:
            _release(holder)  # the holder finishes while this run waits

    try:
        outcome = run_rotation_distribution(
            request(fleet), client=LocalHosts(rotation.hosts).factory(), jump=Jump([]),
            sleep=lambda s: None, wait=True, on_wait=on_wait,
        )  # fmt: skip
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert waited[0] == holder.pid
    assert outcome.finished and str(outcome.phase) == "reissue"  # the phase the holder wrote


def test_a_dry_run_takes_no_lock(rotation) -> None:  # noqa: F811
    holder = _holding_rotate_ca(rotation)
    try:
        outcome = run_rotation_distribution(
            request(rotation.fleet, dry_run=True), client=LocalHosts(rotation.hosts).factory(),
            jump=Jump([]), sleep=lambda s: None,
        )  # fmt: skip
        assert outcome.lock is None and not outcome.finished and outcome.steps
    finally:
        _release(holder)


def test_wait_without_rotation_and_a_missing_directory_are_refused_in_words(
    rotation,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    fleet = rotation.fleet
    assert main(["distribute", "-c", str(fleet.toml), str(fleet.out), "--wait"]) == 1
    assert "--wait goes with --rotation" in capsys.readouterr().err
    missing = rotation.tmp / "nowhere"
    argv = ["distribute", "-c", str(fleet.toml), str(missing), "--rotation", "cluster"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"{missing} is not a directory" in err and "Traceback" not in err
    assert not lock_file_for(missing).exists()
