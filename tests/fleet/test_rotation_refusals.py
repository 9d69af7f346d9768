"""What a user gets instead of a traceback or a misleading line around `distribute --rotation`
and the rotation's reading: the flag forgotten (--clients-only), a damaged rotate.json, a
bundle holding one CA (or one public key) twice, Ctrl-C while waiting for the lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fleet.fleet_sets import local_reader
from tests.fleet.test_distribute_rotation import rotation  # noqa: F401 - the fixture
from tests.fleet.test_distribute_rotation_lock import _holding_rotate_ca
from tests.held_process import environment
from wizard.cli import main
from wizard.exit_codes import INTERRUPTED, REFUSED
from wizard.fleet.check import check_fleet


def _distribute(fleet, *extra: str) -> list[str]:  # noqa: ANN001
    return ["distribute", "-c", str(fleet.toml), str(fleet.out), "--rotation", "cluster", *extra]


def test_a_forgotten_or_extra_clients_only_is_named(
    rotation,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    fleet = rotation.fleet  # the whole cluster CA's prepare is written
    assert main(_distribute(fleet, "--clients-only", "--dry-run")) == REFUSED
    err = capsys.readouterr().err
    assert "no phase of the cluster CA rotation --clients-only is written" in err
    assert "the phase written is prepare of the whole cluster CA rotation" in err
    assert "drop --clients-only" in err and "Traceback" not in err


def test_a_clients_only_phase_without_the_flag_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fleet.fleet_sets import make_set

    (tmp_path / "set").mkdir()
    fleet = make_set(tmp_path / "set", "10.9.3")
    rotate = ["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", "cluster"]
    assert main([*rotate, "--clients-only"]) == 0
    capsys.readouterr()
    assert main(_distribute(fleet, "--dry-run")) == REFUSED
    err = capsys.readouterr().err
    assert "no phase of the cluster CA rotation is written" in err
    assert "the phase written is prepare of the --clients-only rotation — add --clients-only" in err


def test_a_damaged_rotate_json_is_refused_naming_it(
    rotation,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    fleet = rotation.fleet
    (manifest,) = fleet.out.glob("backup-*/rotate.json")
    data = json.loads(manifest.read_text())
    data["phase"] = "prepared"  # a hand edit: the stage's word, not a phase
    manifest.write_text(json.dumps(data))
    assert main(_distribute(fleet, "--dry-run")) == REFUSED
    err = capsys.readouterr().err
    assert f"{manifest}: phase 'prepared' is none of prepare, reissue, finalize" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["cluster", "sa"])
def test_a_bundle_holding_one_ca_or_key_twice_is_said_so(
    rotation,  # noqa: F811
    kind: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fleet = rotation.fleet
    trust, bundle = (
        ("ca.pem", "ca-bundle.pem") if kind == "cluster" else ("sa.pub", "sa-bundle.pub")
    )
    (fleet.out / bundle).write_bytes((fleet.out / trust).read_bytes() * 2)
    argv = ["rotate-ca", "-c", str(fleet.toml), "-o", str(fleet.out), "--ca", kind, "--dry-run"]
    assert main(argv) == REFUSED
    err = capsys.readouterr().err
    assert f"{bundle} holds the same" in err and "twice" in err, err
    assert "a new CA" not in err and "Traceback" not in err
    # check's rotation reading leaves that rotation out (its other findings say the rest)
    review = check_fleet(fleet.spec(), fleet.out, local_reader(rotation.hosts)).review
    assert not any(f.check.startswith("rotation-") and kind in f.message for f in review.findings)


_INTERRUPT_WHILE_WAITING = """
import _thread, sys, threading
import wizard.cli.common as common
from tests.fleet.fleet_sets import local_reader
from wizard.cli import main
from wizard.fleet.check import check_fleet

said = common.say_waiting
def waiting(holder, seconds):
    said(holder, seconds)
    _thread.interrupt_main()  # Ctrl-C, once the run is waiting for the lock
common.say_waiting = waiting
import wizard.cli.rotation_distribute as face
face.say_waiting = waiting
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_while_waiting_for_the_lock_says_nothing_was_done(rotation) -> None:  # noqa: F811
    fleet = rotation.fleet
    holder = _holding_rotate_ca(rotation)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _INTERRUPT_WHILE_WAITING, *_distribute(fleet, "--wait")],
            cwd=rotation.tmp,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.communicate("go\n", timeout=120)
    assert done.returncode == INTERRUPTED, done.stderr
    assert "waiting for PID" in done.stderr
    assert f"interrupted while waiting for {fleet.out} — nothing was done" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (fleet.out / ".kcw-rotation-ca.json").exists()
