"""rotate-ca's phases on the complete and kubeadm profiles: the stage read back from the files,
openssl verify of every leaf against the bundles at each stage, the kubeconfigs, undo per
phase, refusals."""

from __future__ import annotations

import base64
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from tests.rotate.rotate_sets import copy_set, leaf_files, make_spec, top_level, verify
from wizard.catalog import files_of
from wizard.rotate import (
    Phase,
    RotateError,
    Stage,
    apply_phase,
    apply_undo,
    detect,
    plan_phase,
    plan_undo,
    target_for,
)

CA_CASES = [
    ("complete", "cluster"),
    ("kubeadm", "cluster"),
    ("kubeadm", "etcd"),
    ("kubeadm", "front-proxy"),
]


def _kubeconfig_parts(path: Path) -> tuple[bytes, bytes | None]:
    document = yaml.safe_load(path.read_text())
    ca = base64.b64decode(document["clusters"][0]["cluster"]["certificate-authority-data"])
    user = document["users"][0]["user"].get("client-certificate-data")
    return ca, base64.b64decode(user) if user else None


def _certificates(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data)


def _run(directory: Path, target, phase: Phase, **options) -> None:
    plan = plan_phase(directory, target, **options)
    assert plan.phase is phase, (plan.phase, plan.state.evidence)
    apply_phase(plan)


@pytest.mark.parametrize(("profile", "kind"), CA_CASES)
def test_each_phase_verifies_with_openssl(profile: str, kind: str, profile_sets, tmp_path) -> None:
    spec = make_spec(profile)
    out = copy_set(profile_sets[profile], tmp_path / "certs")
    target = target_for(kind, spec, out)
    files = target.files
    leaves = leaf_files(target)
    assert leaves, "every CA here signs something"
    old_ca = tmp_path / "old-ca.pem"
    shutil.copy(out / files.cert, old_ca)
    old = tmp_path / "old"
    for name in leaves:
        (old / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / name, old / name)
    assert detect(out, target).stage is Stage.IDLE

    _run(out, target, Phase.PREPARE)
    assert detect(out, target).stage is Stage.PREPARED
    bundle, new_ca = out / files.bundle, out / files.next_cert
    assert _certificates(bundle.read_bytes()) == _certificates(
        old_ca.read_bytes() + new_ca.read_bytes()
    )
    for name in leaves:  # clients keep their certificates; the bundle trusts them
        assert (out / name).read_bytes() == (old / name).read_bytes()
        assert verify(bundle, out / name), name
        assert not verify(new_ca, out / name), name
    if kind == "cluster":
        for item in target.kubeconfigs:
            ca, _user = _kubeconfig_parts(out / item.name)
            assert len(_certificates(ca)) == 2, item.name

    _run(out, target, Phase.REISSUE)
    assert detect(out, target).stage is Stage.REISSUED
    assert not (out / files.next_cert).exists() and not (out / files.next_key).exists()
    assert (
        _certificates(bundle.read_bytes())[1] == _certificates((out / files.cert).read_bytes())[0]
    )
    for name in leaves:  # every leaf under the new CA; the bundle still trusts both
        assert (out / name).read_bytes() != (old / name).read_bytes()
        assert verify(out / files.cert, out / name), name
        assert verify(bundle, out / name), name
        assert not verify(old_ca, out / name), name
        assert verify(bundle, old / name), name  # an old leaf on a host not yet restarted
    users = {files_of(leaf, target.profile).cert for leaf in target.leaves}
    for item in target.kubeconfigs:
        _ca, user = _kubeconfig_parts(out / item.name)
        if user is not None and item.user in {leaf.name for leaf in target.leaves}:
            user_file = tmp_path / "user.pem"
            user_file.write_bytes(user)
            assert verify(out / files.cert, user_file), item.name
    assert users

    _run(out, target, Phase.FINALIZE)
    assert detect(out, target).stage is Stage.IDLE
    assert not bundle.exists()
    for name in leaves:  # after finalize an old-CA leaf fails, a new one passes
        assert not verify(out / files.cert, old / name), name
        assert verify(out / files.cert, out / name), name
    if kind == "cluster":
        for item in target.kubeconfigs:
            ca, _user = _kubeconfig_parts(out / item.name)
            assert ca == (out / files.cert).read_bytes(), item.name
    with pytest.raises(RotateError, match="the next phase is prepare"):
        plan_phase(out, target, Phase.FINALIZE)


@pytest.mark.parametrize("profile", ["complete", "kubeadm"])
def test_the_service_account_key_verifies_with_both_then_signs_with_the_new(
    profile: str, profile_sets, tmp_path
) -> None:
    spec = make_spec(profile)
    out = copy_set(profile_sets[profile], tmp_path / "certs")
    target = target_for("sa", spec, out)
    files = target.files
    old_key, old_public = (out / files.key).read_bytes(), (out / files.public).read_bytes()
    _run(out, target, Phase.PREPARE)
    assert detect(out, target).stage is Stage.PREPARED
    bundle = (out / files.bundle).read_bytes()
    assert bundle.startswith(old_public) and bundle.count(b"BEGIN PUBLIC KEY") == 2
    assert (out / files.key).read_bytes() == old_key  # the old key still signs
    _run(out, target, Phase.REISSUE)
    assert detect(out, target).stage is Stage.REISSUED
    assert (out / files.key).read_bytes() != old_key
    assert bundle.endswith((out / files.public).read_bytes())
    with pytest.raises(RotateError, match="--token-wait"):
        plan_phase(out, target)  # tokens of the old key may still live
    _run(out, target, Phase.FINALIZE, token_wait=timedelta(0))
    assert detect(out, target).stage is Stage.IDLE
    assert not (out / files.bundle).exists()


@pytest.mark.parametrize(("profile", "kind"), [*CA_CASES, ("kubeadm", "sa")])
def test_undo_puts_back_each_phase(profile: str, kind: str, profile_sets, tmp_path) -> None:
    spec = make_spec(profile)
    out = copy_set(profile_sets[profile], tmp_path / "certs")
    target = target_for(kind, spec, out)
    for phase in Phase:
        before = top_level(out)
        stage = detect(out, target).stage
        _run(out, target, phase, token_wait=timedelta(0))
        undo = plan_undo(out, target)
        assert undo.phase is phase
        apply_undo(undo)
        assert top_level(out) == before, phase
        assert detect(out, target).stage is stage
        _run(out, target, phase, token_wait=timedelta(0))  # and forward again
    assert detect(out, target).stage is Stage.IDLE


def test_the_stage_is_read_from_the_certificates_alone(profile_sets, tmp_path) -> None:
    spec = make_spec("kubeadm")
    out = copy_set(profile_sets["kubeadm"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    _run(out, target, Phase.PREPARE)
    bare = tmp_path / "bare"
    shutil.copytree(out, bare, ignore=shutil.ignore_patterns("backup-*"))
    state = detect(bare, target)
    assert state.stage is Stage.PREPARED and state.next_phase is Phase.REISSUE
    assert any("waiting to sign" in line for line in state.evidence)
    (bare / target.files.next_cert).unlink()  # the new CA lost: refused, not mistaken
    with pytest.raises(RotateError, match="missing"):
        detect(bare, target)
    _run(out, target, Phase.REISSUE)
    # one leaf put back under the old CA (a host restored by hand): reissue resumes for it
    old_leaf = next(Path(p) for p in (out).glob("backup-*/pki/apiserver.crt"))
    shutil.copy(old_leaf, out / "pki/apiserver.crt")
    shutil.copy(old_leaf.with_suffix(".key"), out / "pki/apiserver.key")
    state = detect(out, target)
    assert state.stage is Stage.REISSUING
    plan = plan_phase(out, target)
    assert plan.phase is Phase.REISSUE
    assert {
        c.path for c in plan.changes if c.path.startswith("pki/") and c.path.endswith(".crt")
    } == {"pki/apiserver.crt"}
    apply_phase(plan)
    assert detect(out, target).stage is Stage.REISSUED


def test_refusals_name_the_file_and_the_fix(profile_sets, tmp_path) -> None:
    spec = make_spec("complete")
    with pytest.raises(RotateError, match="is not a directory"):
        plan_phase(tmp_path / "nowhere", target_for("cluster", spec))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RotateError, match="ca.pem is missing"):
        plan_phase(empty, target_for("cluster", spec, empty))
    out = copy_set(profile_sets["complete"], tmp_path / "certs")
    with pytest.raises(RotateError, match="--phase reissue: the directory is idle"):
        plan_phase(out, target_for("cluster", spec, out), Phase.REISSUE)
    with pytest.raises(RotateError, match="nothing to undo"):
        plan_undo(out, target_for("cluster", spec, out))
    with pytest.raises(RotateError, match="--cross-sign"):
        plan_phase(out, target_for("sa", spec, out), cross_sign=True)


def test_the_written_phase_gives_back_the_same_host_plan(profile_sets, tmp_path) -> None:
    """What distribute calls to (re)run the hosts of the last phase written."""
    from wizard.rotate import written_phase_steps

    spec = make_spec("complete")
    out = copy_set(profile_sets["complete"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    assert written_phase_steps(out, target) is None
    for phase in Phase:
        plan = plan_phase(out, target)
        apply_phase(plan)
        found = written_phase_steps(out, target)
        assert found is not None and found[0] is phase
        assert found[1] == plan.steps
    apply_undo(plan_undo(out, target))
    found = written_phase_steps(out, target)
    assert found is not None and found[0] is Phase.REISSUE  # finalize was taken back


def test_phases_written_in_one_second_by_other_processes_keep_their_order(
    profile_sets, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folder names end in the writer's process id, which says nothing about order: a reissue
    written by PID 100000 in the second PID 99999 wrote the prepare sorts first by name (the
    CI run where the process ids had wrapped read the prepare back as the last phase)."""
    import os
    from datetime import UTC, datetime

    import wizard.rotate.phases as phases_module
    import wizard.rotate.undo as undo_module
    from wizard.rotate import written_phase_steps

    moment = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)

    class OneSecond(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return moment

    monkeypatch.setattr(phases_module, "datetime", OneSecond)
    monkeypatch.setattr(undo_module, "datetime", OneSecond)
    spec = make_spec("complete")
    out = copy_set(profile_sets["complete"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    for pid, phase in ((99999, Phase.PREPARE), (100000, Phase.REISSUE)):
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        _run(out, target, phase)
    names = sorted(p.name for p in out.glob("backup-*"))
    assert names == ["backup-20261207T120000Z-100000", "backup-20261207T120000Z-99999"]
    found = written_phase_steps(out, target)
    assert found is not None and found[0] is Phase.REISSUE
    monkeypatch.setattr(os, "getpid", lambda: 100001)
    undo = plan_undo(out, target)
    assert undo.phase is Phase.REISSUE  # the last written, not the last by name
    apply_undo(undo)
    found = written_phase_steps(out, target)
    assert found is not None and found[0] is Phase.PREPARE


def test_the_sequence_and_the_folder_are_chosen_under_the_directorys_lock(
    profile_sets, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers must not choose the same `sequence`: apply_phase and apply_undo choose it
    while they hold the directory's lock themselves, not before taking it (a caller without
    the lock — the package's own API — left a window between the choice and the write)."""
    import wizard.rotate.phases as phases_module
    import wizard.rotate.undo as undo_module
    from wizard.rotate.state import next_sequence
    from wizard.store import lock

    held: list[bool] = []

    def watched(directory: Path) -> int:
        held.append(lock.lock_file_for(directory) in lock._held)
        return next_sequence(directory)

    monkeypatch.setattr(phases_module, "next_sequence", watched)
    monkeypatch.setattr(undo_module, "next_sequence", watched)
    spec = make_spec("complete")
    out = copy_set(profile_sets["complete"], tmp_path / "certs")
    target = target_for("cluster", spec, out)
    _run(out, target, Phase.PREPARE)
    apply_undo(plan_undo(out, target))
    assert held == [True, True]
