"""renew --undo (wizard/renew/undo.py): a backup put back, a CA never swapped, no key split from
its certificate — and the store's remove, which undo uses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.renew.renew_sets import (
    renew,
    snapshot,
    top_level,
    with_new_master,
    write_spec,
)
from wizard.renew import (
    RenewError,
    plan_undo,
)
from wizard.store import write_files


def test_undo_restores_the_backup(workdir: Path, tmp_path: Path, capsys) -> None:
    config = write_spec(tmp_path, with_new_master())
    before = top_level(snapshot(workdir))
    assert renew("-c", str(config), "-o", str(workdir)) == 0
    renewed = top_level(snapshot(workdir))
    backup = next(p for p in workdir.iterdir() if p.name.startswith("backup-"))
    capsys.readouterr()
    assert renew("--undo", backup.name, "-o", str(workdir), "--dry-run") == 0
    assert top_level(snapshot(workdir)) == renewed
    assert renew("--undo", backup.name, "-o", str(workdir)) == 0
    out = capsys.readouterr().out
    assert "kubernetes.pem" in out and "systemctl restart kube-apiserver" in out
    restored = top_level(snapshot(workdir))
    assert {k: v[0] for k, v in restored.items()} == {k: v[0] for k, v in before.items()}
    second = [p for p in workdir.iterdir() if p.name.startswith("backup-") and p != backup]
    assert len(second) == 1
    assert (second[0] / "kubernetes.pem").read_bytes() == renewed["kubernetes.pem"][0]
    assert renew("--undo", "backup-nope", "-o", str(workdir)) == 1
    assert "no such backup folder" in capsys.readouterr().err
    assert renew("--undo", backup.name, "-o", str(workdir), "--keep-key") == 1
    assert "drop --keep-key" in capsys.readouterr().err


def test_undo_never_swaps_the_ca_nor_splits_a_pair(
    workdir: Path, tmp_path: Path, ecdsa_set: Path
) -> None:
    fake = workdir / "backup-20000101T000000Z"
    fake.mkdir()
    shutil.copy(ecdsa_set / "ca.pem", fake / "ca.pem")
    with pytest.raises(RenewError, match="undo never swaps a CA"):
        plan_undo(workdir, fake.name)
    (fake / "ca.pem").unlink()
    shutil.copy(ecdsa_set / "admin.pem", fake / "admin.pem")
    with pytest.raises(RenewError, match="admin-key.pem beside admin.pem"):
        plan_undo(workdir, fake.name)


def test_undo_of_the_directory_or_a_parent_says_which(workdir: Path) -> None:
    with pytest.raises(RenewError, match="out: is the certificate directory itself — give one"):
        plan_undo(workdir, str(workdir))
    with pytest.raises(RenewError, match=": holds the certificate directory — give one of its"):
        plan_undo(workdir, str(workdir.parent))


def test_store_remove_takes_files_out_into_the_backup(tmp_path: Path) -> None:
    """write_files(remove=…), which undo uses to take out what a renewal added."""
    from wizard.store import OutputFile

    out = tmp_path / "o"
    write_files(out, [OutputFile("a.pem", b"a"), OutputFile("b.pem", b"b")])
    result = write_files(out, [OutputFile("a.pem", b"A")], force=True, remove=["b.pem", "c.pem"])
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["a.pem"]
    assert result.backup is not None and sorted(result.backed_up) == ["a.pem", "b.pem"]
    assert (result.backup / "b.pem").read_bytes() == b"b"
