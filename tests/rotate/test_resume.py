"""rotate-ca killed at each point of a phase's write: the directory holds the stage before or
the stage after (never a mix), and a rerun with --phase auto ends where an uninterrupted run
ends."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.renew.test_sigkill import checkout_env
from tests.rotate.rotate_sets import copy_set, leaf_files, make_spec, verify
from wizard.rotate import Phase, Stage, apply_phase, detect, plan_phase, target_for
from wizard.spec import save_spec

# Kill the process at the nth call of one of the store's interruption points.
KILL_AT = """
import os, signal, sys
import wizard.store.swap as swap
point, nth = sys.argv[1], int(sys.argv[2])
calls = [0]
def step(name):
    if name == point:
        calls[0] += 1
        if calls[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
swap.step = step
from wizard.cli import main
sys.exit(main(sys.argv[3:]))
"""


def _rotate(tmp_path: Path, out: Path, *extra: str, kill: tuple[str, int] | None = None):
    argv = ["rotate-ca", "-c", str(tmp_path / "cluster.toml"), "-o", str(out), *extra]
    if kill is None:
        command = [sys.executable, "-m", "wizard", *argv]
    else:
        command = [sys.executable, "-c", KILL_AT, kill[0], str(kill[1]), *argv]
    return subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, env=checkout_env(), timeout=120
    )


def _consistent(out: Path, target) -> Stage:
    """The stage, and every leaf verifying against what the trust flags read in it."""
    state = detect(out, target)
    files = target.files
    trust = out / (files.bundle if state.stage is not Stage.IDLE else files.cert)
    for name in leaf_files(target):
        assert verify(trust, out / name), (state.stage, name)
    return state.stage


@pytest.mark.parametrize(
    ("phase", "point", "nth"),
    [
        (Phase.PREPARE, "written", 2),  # the new CA staged, the bundle not yet
        (Phase.PREPARE, "synced", 1),  # staged completely, not swapped
        (Phase.REISSUE, "backed-up", 5),  # the old leaves half copied to the backup
        (Phase.REISSUE, "written", 9),  # half the new leaves written
        (Phase.REISSUE, "carried", 3),  # the untouched files being carried over
        (Phase.FINALIZE, "synced", 1),
    ],
)
def test_a_killed_phase_leaves_one_stage_and_a_rerun_finishes(
    profile_sets, tmp_path: Path, phase: Phase, point: str, nth: int
) -> None:
    spec = make_spec("kubeadm")
    save_spec(spec, tmp_path / "cluster.toml")
    out = copy_set(profile_sets["kubeadm"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    for earlier in Phase:
        if earlier is phase:
            break
        apply_phase(plan_phase(out, target, earlier))
    before = detect(out, target).stage
    killed = _rotate(tmp_path, out, "--ca", "cluster", kill=(point, nth))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    stage = _consistent(out, target)
    assert stage == before, "killed before the swap: the old stage stays whole"
    done = _rotate(tmp_path, out, "--ca", "cluster")
    assert done.returncode == 0, done.stderr
    assert f"phase: {phase}" in done.stdout
    after = {
        Phase.PREPARE: Stage.PREPARED,
        Phase.REISSUE: Stage.REISSUED,
        Phase.FINALIZE: Stage.IDLE,
    }
    assert _consistent(out, target) is after[phase]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".k8s-cert-wizard-staging")]


def test_killed_after_the_swap_the_rerun_goes_on_to_the_next_phase(profile_sets, tmp_path) -> None:
    spec = make_spec("complete")
    save_spec(spec, tmp_path / "cluster.toml")
    out = copy_set(profile_sets["complete"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    apply_phase(plan_phase(out, target, Phase.PREPARE))
    killed = _rotate(tmp_path, out, "--ca", "cluster", kill=("remove", 1))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _consistent(out, target) is Stage.REISSUED  # swapped in before the old copy went
    again = _rotate(tmp_path, out, "--ca", "cluster", "--dry-run")
    assert again.returncode == 0, again.stderr
    assert "phase: finalize" in again.stdout
