"""Safe writing: atomic swap, modes, refusal without --force, backups with it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wizard.store import (
    STAGING_PREFIX,
    ExistingFilesError,
    OutputFile,
    StoreError,
    conflicts,
    target_problem,
    write_files,
)


def tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_new_directory_gets_modes(tmp_path: Path) -> None:
    out = tmp_path / "a" / "certs"
    result = write_files(out, [OutputFile("x.pem", b"1"), OutputFile("x-key.pem", b"2", 0o600)])
    assert result.written == ["x.pem", "x-key.pem"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "x-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "x.pem").stat().st_mode) == 0o644
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(STAGING_PREFIX)]


def test_modes_ignore_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_files(tmp_path / "o", [OutputFile("x.pem", b"1")])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "o" / "x.pem").stat().st_mode) == 0o644


def test_refuses_without_force_and_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    write_files(out, [OutputFile("x.pem", b"old")])
    before = tree(out), (out / "x.pem").stat().st_mtime_ns
    with pytest.raises(ExistingFilesError, match="--force"):
        write_files(out, [OutputFile("x.pem", b"new"), OutputFile("y.pem", b"y")])
    assert (tree(out), (out / "x.pem").stat().st_mtime_ns) == before


def test_force_backs_up_and_keeps_unrelated_files(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    write_files(out, [OutputFile("x.pem", b"old"), OutputFile("same.json", b"s")])
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "deep.txt").write_text("deep")
    result = write_files(
        out, [OutputFile("x.pem", b"new"), OutputFile("same.json", b"s")], force=True
    )
    assert result.written == ["x.pem"] and result.unchanged == ["same.json"]
    assert result.backup is not None and result.backup.parent == out.absolute()
    assert (result.backup / "x.pem").read_bytes() == b"old"
    assert (out / "x.pem").read_bytes() == b"new"
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "sub" / "deep.txt").read_text() == "deep"
    # a second forced run keeps the first backup and makes another
    write_files(out, [OutputFile("x.pem", b"newer")], force=True)
    backups = sorted(p.name for p in out.iterdir() if p.name.startswith("backup-"))
    assert len(backups) == 2
    assert sorted((out / b / "x.pem").read_bytes() for b in backups) == [b"new", b"old"]


def test_identical_files_are_not_conflicts(tmp_path: Path) -> None:
    write_files(tmp_path / "o", [OutputFile("a.json", b"1")])
    assert conflicts(tmp_path / "o", [OutputFile("a.json", b"1")]) == []
    write_files(tmp_path / "o", [OutputFile("a.json", b"1")])  # no --force needed


def test_target_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        write_files(tmp_path / "f", [OutputFile("a", b"1")])


def test_a_symlinked_directory_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "mine.txt").write_text("kept")
    link = tmp_path / "link"
    link.symlink_to(real)
    write_files(link, [OutputFile("a.pem", b"1")])
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert tree(real) == {"a.pem": b"1", "mine.txt": b"kept"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)]


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_the_directory_keeps_its_owner_and_mode(tmp_path: Path) -> None:
    out = tmp_path / "ssl"
    (out / "sub").mkdir(parents=True)
    for folder in (out, out / "sub"):
        os.chown(folder, 65534, 65534)
        os.chmod(folder, 0o750)
    write_files(out, [OutputFile("a.pem", b"1")])
    for folder in (out, out / "sub"):
        status = folder.stat()
        assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (
            65534,
            65534,
            0o750,
        )


def test_the_folder_the_command_runs_in_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "ssl"
    (out / "inner").mkdir(parents=True)
    monkeypatch.chdir(out)
    with pytest.raises(StoreError) as raised:
        write_files(".", [OutputFile("a.pem", b"1")])
    assert str(raised.value) == (
        f"{out} is the folder this command runs in — the set replaces its folder as a whole, "
        f"which would leave your shell in a deleted folder; run it from the parent "
        f"(cd {tmp_path}; -o ssl) or give a subfolder"
    )
    monkeypatch.chdir(out / "inner")
    with pytest.raises(StoreError, match="ssl holds the folder this command runs in"):
        write_files(out, [OutputFile("a.pem", b"1")])
    assert tree(out) == {}


def test_target_problem_names_the_obstacle(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert target_problem(tmp_path / "new" / "certs") == ""
    assert target_problem(tmp_path / "file" / "certs") == (
        f"cannot create {tmp_path / 'file' / 'certs'}: {tmp_path / 'file'} is a file, "
        "not a directory"
    )


def test_paths_must_stay_inside(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        write_files(tmp_path / "o", [OutputFile("../escape", b"1")])


def test_stale_staging_of_a_dead_run_is_removed(tmp_path: Path) -> None:
    stale = tmp_path / f"{STAGING_PREFIX}-certs-999999999"
    stale.mkdir()
    (stale / "half.pem").write_text("x")
    write_files(tmp_path / "certs", [OutputFile("a", b"1")])
    assert not stale.exists()


def test_nested_paths(tmp_path: Path) -> None:
    write_files(tmp_path / "o", [OutputFile("pki/etcd/ca.crt", b"1")])
    assert (tmp_path / "o" / "pki" / "etcd" / "ca.crt").read_bytes() == b"1"


@pytest.mark.parametrize("crash_after", [0, 1, 2, 3])
def test_a_crash_while_staging_leaves_the_old_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_after: int
) -> None:
    import wizard.store as store

    out = tmp_path / "certs"
    write_files(out, [OutputFile("a.pem", b"old-a"), OutputFile("a-key.pem", b"old-k", 0o600)])
    before = tree(out)
    real = store._write_new
    calls = {"n": 0}

    def crashing(path: Path, content: bytes, mode: int) -> None:
        if calls["n"] == crash_after:
            raise SystemExit("killed")  # not an OSError: nothing cleans up, like SIGKILL
        calls["n"] += 1
        real(path, content, mode)

    monkeypatch.setattr(store, "_write_new", crashing)
    files = [
        OutputFile(n, b"new", m)
        for n, m in (("a.pem", 0o644), ("a-key.pem", 0o600), ("b.pem", 0o644), ("b-key.pem", 0o600))
    ]
    with pytest.raises(SystemExit):
        write_files(out, files, force=True)
    assert tree(out) == before
    monkeypatch.setattr(store, "_write_new", real)
    write_files(out, files, force=True)  # the next run cleans up and succeeds
    assert (out / "b-key.pem").read_bytes() == b"new"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_folder_where_a_file_goes_is_refused_even_with_force(tmp_path: Path) -> None:
    (tmp_path / "out" / "admin.pem").mkdir(parents=True)
    for force in (False, True):
        with pytest.raises(StoreError) as raised:
            write_files(tmp_path / "out", [OutputFile("admin.pem", b"1")], force=force)
        assert str(raised.value) == (
            f"{tmp_path / 'out' / 'admin.pem'} is a folder where the set puts a file — move it "
            "away and run again (--force replaces files, never folders)"
        )
    assert (tmp_path / "out" / "admin.pem").is_dir()
