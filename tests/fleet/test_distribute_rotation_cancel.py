"""A cancel while a command runs on a host (`distribute --rotation`'s Ctrl-C, the Rotate
screen's Esc): ssh stops the command and raises Cancelled; the job ends the run at that step
in words — the step not done, the steps before it recorded, the rerun said — instead of the
exception escaping the job (the command line then had no outcome to print: a traceback)."""

from __future__ import annotations

import _thread
import shutil
import threading
from pathlib import Path

import pytest

from tests.fleet.fleet_sets import LocalHosts, fake_hosts, make_set, me
from wizard.cli import main
from wizard.exit_codes import INTERRUPTED
from wizard.fleet.rotation_steps import JumpResult
from wizard.fleet.ssh import Cancelled, RemoteResult, Target
from wizard.jobs import rotation_distribution as job
from wizard.jobs.rotation_distribution import (
    RotationDistributionRequest,
    StepState,
    run_rotation_distribution,
)
from wizard.rotate import CaKind, target_for
from wizard.rotate.progress import read_record
from wizard.spec import load_spec

NET = "10.9.4"
MASTER = f"{NET}.21"


def jump(command: str, timeout: float) -> JumpResult:
    """The jump host: every etcd member healthy, no leader said (an etcdctl here is not asked)."""
    return JumpResult(0, "", "")


class BlockingHosts(LocalHosts):
    """Fake hosts where the commands sent to `blocked` after its first `skip` run until the
    run's cancel is set, then stop as ssh does (Cancelled); `started` is set when one begins."""

    def __init__(self, root: Path, blocked: str, skip: int = 0) -> None:
        super().__init__(root)
        self.blocked, self.skip = blocked, skip
        self.started = threading.Event()

    def run(self, target: Target, script: str, *, stdin: bytes = b"", timeout: float = 0,
            cancel: threading.Event | None = None) -> RemoteResult:  # fmt: skip
        if target.address == self.blocked and self.seen.count(target.address) >= self.skip:
            self.started.set()
            assert cancel is not None, "the job passes its cancel to each command"
            if not cancel.wait(300):  # a safety net: the test cancels as soon as it started
                raise AssertionError("nobody cancelled")
            raise Cancelled(target.label)
        return super().run(target, script, stdin=stdin, timeout=timeout, cancel=cancel)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("rotation-cancel")
    owner, group = me()
    extra = f'\n[deploy]\nowner = "{owner}"\ngroup = "{group}"\nrestart_command = "true {{unit}}"\n'
    fleet = make_set(work, NET, extra=extra + 'health_command = "true"\n')
    fake_hosts(fleet, work / "hosts")
    assert main(["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", "cluster"]) == 0
    return work


@pytest.fixture
def work(prepared: Path, tmp_path: Path) -> Path:
    return shutil.copytree(prepared, tmp_path / "w")


def test_a_cancel_during_a_command_ends_the_run_at_that_step(work: Path) -> None:
    hosts = BlockingHosts(work / "hosts", MASTER)
    spec = load_spec(work / "cluster.toml")
    request = RotationDistributionRequest(spec, work / "certs", CaKind.CLUSTER,
                                          etcd_settle_seconds=0, drain_seconds=0)  # fmt: skip
    cancel = threading.Event()
    threading.Thread(target=lambda: hosts.started.wait(300) and cancel.set(), daemon=True).start()
    outcome = run_rotation_distribution(
        request, cancel=cancel, client=hosts.factory(), jump=jump, sleep=lambda s: None
    )
    stopped = outcome.stopped
    assert stopped is not None and stopped.step.address == MASTER
    assert stopped.state == StepState.CANCELLED and "the step is not done" in stopped.error
    index = outcome.steps.index(stopped)
    assert all(r.state == StepState.DONE for r in outcome.steps[:index])
    assert all(r.state == StepState.NOT_STARTED for r in outcome.steps[index + 1 :])
    record = read_record(work / "certs", target_for("cluster", spec))
    assert record is not None and not any(MASTER in key for key in record.done)
    assert len(record.done) == index


def test_ctrl_c_during_a_command_prints_where_it_stopped_and_how_to_resume(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hosts = BlockingHosts(work / "hosts", MASTER)
    real = job.run_rotation_distribution
    fakes = {"client": hosts.factory(), "jump": jump, "sleep": lambda seconds: None}
    threading.Thread(
        target=lambda: hosts.started.wait(300) and _thread.interrupt_main(),  # Ctrl-C
        daemon=True,
    ).start()
    job.run_rotation_distribution = lambda request, **kw: real(request, **{**kw, **fakes})
    try:
        toml, out = work / "cluster.toml", work / "certs"
        code = main(["distribute", "-c", str(toml), str(out), "--rotation", "cluster"])
    finally:
        job.run_rotation_distribution = real
    said = capsys.readouterr()
    assert code == INTERRUPTED
    assert f"stopped at {MASTER} (cancelled): cancelled during this step" in said.out
    rerun = f"k8s-cert-wizard distribute -c {toml} {out} --rotation cluster"
    assert f"cancelled; to resume, rerun: {rerun} (the steps done are not redone)" in said.out
    assert "Traceback" not in said.err
