"""A set written with `--per-host` keeps its hosts/<address>/ copies equal to what each phase
places on the host, so `review` of the directory is clean after a rotation (the old CA lives on
only in the backup-<time>/ folders, which review reads as backups)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.rotate.rotate_sets import make_spec
from wizard.distribution import destination_of, per_host_files, plan_distribution
from wizard.generate import generate_files
from wizard.review import review_directory
from wizard.rotate import Phase, apply_phase, plan_phase, target_for
from wizard.store import write_files


def _per_host_set(profile: str, directory: Path):
    spec = make_spec(profile)
    files = generate_files(spec)
    write_files(directory, files + per_host_files(plan_distribution(spec), files))
    return spec


def _problems(directory: Path) -> list[tuple[str, str]]:
    return [
        (f.path, f.check)
        for f in review_directory(directory).findings
        if f.severity in ("warning", "error")
    ]


@pytest.mark.parametrize(("profile", "kind"), [("complete", "cluster"), ("kubeadm", "etcd")])
def test_the_host_copies_follow_each_phase_and_review_is_clean(
    profile: str, kind: str, tmp_path: Path
) -> None:
    out = tmp_path / "certs"
    spec = _per_host_set(profile, out)
    assert _problems(out) == []
    target = target_for(kind, spec, out)
    files = target.files
    trust_at = destination_of(files.trust, target.profile)
    master = spec.hosts.masters[0]
    copy = out / "hosts" / master / trust_at.lstrip("/")
    old_ca = (out / files.cert).read_bytes()
    assert copy.read_bytes() == old_ca
    for phase in (Phase.PREPARE, Phase.REISSUE, Phase.FINALIZE):
        plan = plan_phase(out, target, phase, token_wait=timedelta(0))
        assert any(c.path == f"hosts/{master}{trust_at}" for c in plan.changes) == (
            phase is not Phase.REISSUE
        ), phase
        apply_phase(plan)
        if phase is Phase.PREPARE:  # the host holds the bundle at its trust file's place
            assert copy.read_bytes() == (out / files.bundle).read_bytes()
    new_ca = (out / files.cert).read_bytes()
    assert new_ca != old_ca
    assert copy.read_bytes() == new_ca
    top = {
        p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and p.relative_to(out).parts[0] != "hosts" and "backup-" not in str(p)
    }
    stale = [
        p.relative_to(out).as_posix()
        for p in (out / "hosts").rglob("*")
        if p.is_file() and p.suffix in (".crt", ".pem", ".key") and p.read_bytes() not in top
    ]
    assert stale == [], "host copies that are no file of the rotated set"
    assert _problems(out) == []
