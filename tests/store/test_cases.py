"""The attacks of issue 18 (parts 1-4 and 7) and issue 17's shared backup folder, each as a
test: what the tool now refuses, in words, and what it keeps."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.store.sets import OLD_CA_KEY, all_bytes, leftovers, make_old, tree
from wizard.catalog import get_profile
from wizard.generate import GenerationError, load_existing_cas
from wizard.spec import ClusterSpec, dump_spec
from wizard.store import (
    STAGING_PREFIX,
    OutputFile,
    StoreError,
    backup_name,
    target_problem,
    write_files,
)

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="planting other users' files needs root")


def wizard(*args: str, cwd: Path, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m wizard ARGS`, after `prelude` (Python run first in the same process)."""
    code = f"{prelude}\nimport sys\nfrom wizard.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def spec_file(directory: Path, profile: str = "classic") -> Path:
    spec = ClusterSpec.example()
    spec.profile = profile
    spec.key.algo, spec.key.size = "ecdsa", 256
    path = directory / "cluster.toml"
    path.write_text(dump_spec(spec))
    return path


# --- 1. no atomic exchange: a kill between the two renames ---------------------------------

KILL_BETWEEN_RENAMES = """
import os, signal
from tests.store.sets import refuse_exchange
from wizard.store import swap
swap.renameat2 = refuse_exchange
def step(name):
    if name == "moved-old":
        os.kill(os.getpid(), signal.SIGKILL)
swap.step = step
"""


def test_a_kill_between_the_renames_keeps_the_ca_and_the_next_run_reuses_it(
    tmp_path: Path,
) -> None:
    config = spec_file(tmp_path)
    assert wizard("generate", "-c", str(config), cwd=tmp_path).returncode == 0
    out = tmp_path / "k8s-certs"
    ca_key, ca = (out / "ca-key.pem").read_bytes(), (out / "ca.pem").read_bytes()
    killed = wizard("generate", "--force", cwd=tmp_path, prelude=KILL_BETWEEN_RENAMES)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists()  # the moment the issue found: no output directory at all
    assert ca_key in all_bytes(tmp_path)
    # the next run finishes the swap before it looks for a CA: it reuses the old one
    forced = wizard("generate", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert f"reused the existing CA {out / 'ca.pem'}" in forced.stdout
    assert (out / "ca-key.pem").read_bytes() == ca_key and (out / "ca.pem").read_bytes() == ca
    assert leftovers(tmp_path) == []
    # killed again, then a run without --force: the set comes back and nothing is replaced
    killed = wizard("generate", "--force", cwd=tmp_path, prelude=KILL_BETWEEN_RENAMES)
    assert killed.returncode == -signal.SIGKILL and not out.exists()
    again = wizard("generate", cwd=tmp_path)
    assert again.returncode == 1 and "already holds" in again.stderr
    assert (out / "ca-key.pem").read_bytes() == ca_key and leftovers(tmp_path) == []


def test_a_journal_of_a_live_process_with_the_directory_missing_is_shown(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    make_old(out)
    old = tree(out)
    was = tmp_path / f"{STAGING_PREFIX}-was-certs-1"  # process 1 is always alive
    out.rename(was)
    (tmp_path / f"{STAGING_PREFIX}-journal-certs-1").write_text("{}")
    with pytest.raises(StoreError) as raised:
        write_files(out, [OutputFile("x.json", b"{}")])
    assert str(raised.value).startswith(f"cannot use {tmp_path}: {out} is missing while process 1")
    assert f"the old in {was}: rename the one you want to certs" in str(raised.value)
    with pytest.raises(GenerationError, match="is missing while process 1"):
        load_existing_cas(out, get_profile("classic"))
    assert tree(was) == old and not out.exists()


def test_leftovers_of_the_old_two_rename_swap_are_recovered_not_deleted(tmp_path: Path) -> None:
    """What earlier versions left when killed between their renames (issue 18, part 1)."""
    out = tmp_path / "certs"
    make_old(out)
    old = tree(out)
    new_staging = tmp_path / f"{STAGING_PREFIX}-certs-999999999"
    shutil.copytree(out, new_staging, symlinks=True)
    (new_staging / "a.pem").write_bytes(b"new a")
    out.rename(tmp_path / f"{STAGING_PREFIX}-old-certs-999999999")
    write_files(out, [OutputFile("x.json", b"{}")])  # a `csr` run, without --force
    assert tree(out) == {**old, "a.pem": b"new a", "x.json": b"{}"}
    assert leftovers(tmp_path) == []
    # killed before the second staging existed: the old directory comes back
    out2 = tmp_path / "two"
    make_old(out2)
    out2.rename(tmp_path / f"{STAGING_PREFIX}-old-two-999999999")
    write_files(out2, [OutputFile("x.json", b"{}")])
    assert tree(out2) == {**old, "x.json": b"{}"}


# --- 2. symbolic links --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "per_host", "link"), [("kubeadm", False, "pki"), ("complete", True, "hosts")]
)
def test_a_symlinked_subfolder_is_refused_and_nothing_lands_behind_it(
    tmp_path: Path, profile: str, per_host: bool, link: str
) -> None:
    config = spec_file(tmp_path, profile)
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir(mode=0o700)
    elsewhere.mkdir()
    (out / link).symlink_to(elsewhere)
    args = ["generate", "-c", str(config), "-o", str(out)] + (["--per-host"] if per_host else [])
    result = wizard(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert f"{out / link} is a symbolic link (to {elsewhere})" in result.stderr
    assert "never written through a link" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(elsewhere.iterdir()) == [] and [p.name for p in out.iterdir()] == [link]


@needs_root
def test_a_link_planted_in_a_shared_sticky_folder_is_not_followed(tmp_path: Path) -> None:
    shared, theirs = tmp_path / "shared", tmp_path / "theirs"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    theirs.mkdir()
    (shared / "certs").symlink_to(theirs)
    os.lchown(shared / "certs", NOBODY, NOBODY)
    problem = target_problem(shared / "certs")
    assert problem == (
        f"{shared / 'certs'} is a symbolic link owned by uid {NOBODY} in {shared}, a folder "
        "everyone may write (sticky) — the kernel would not follow it for you "
        "(fs.protected_symlinks), so neither does this tool; give the real directory, or "
        "remove the link"
    )
    with pytest.raises(StoreError, match="protected_symlinks"):
        write_files(shared / "certs", [OutputFile("ca-key.pem", b"k", 0o600)])
    assert list(theirs.iterdir()) == []
    # the kernel's own exceptions: the folder's owner planted it, or it is ours
    os.chown(shared, NOBODY, NOBODY)
    assert "protected_symlinks" not in target_problem(shared / "certs")
    os.chown(shared, 0, 0)
    os.lchown(shared / "certs", 0, 0)
    result = write_files(shared / "certs", [OutputFile("a.pem", b"1")])
    assert result.directory == theirs and (theirs / "a.pem").read_bytes() == b"1"
    assert (shared / "certs").is_symlink()


@needs_root
def test_a_parent_others_may_write_or_own_is_refused(tmp_path: Path) -> None:
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o777)
    assert target_problem(open_folder / "certs") == (
        f"cannot write {open_folder / 'certs'}: {open_folder} (mode 0777) may be written by "
        f"others and is not sticky, so they could swap folders under the run — `chmod go-w "
        f"{open_folder}`, or choose another directory"
    )
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, NOBODY, NOBODY)
    assert target_problem(theirs / "certs").startswith(
        f"cannot write {theirs / 'certs'}: {theirs} belongs to uid {NOBODY}, who could move"
    )
    with pytest.raises(StoreError, match="belongs to uid"):
        write_files(theirs / "certs", [OutputFile("a.pem", b"1")])
    assert list(theirs.iterdir()) == []


# --- 3. a CA in a folder someone else controls ----------------------------------------------


@pytest.fixture
def ca_set(tmp_path: Path) -> Path:
    config = spec_file(tmp_path)
    assert wizard("generate", "-c", str(config), cwd=tmp_path).returncode == 0
    return tmp_path / "k8s-certs"


@needs_root
def test_a_ca_someone_else_owns_is_not_reused(tmp_path: Path, ca_set: Path) -> None:
    admin = (ca_set / "admin.pem").read_bytes()
    for path in (ca_set, ca_set / "ca.pem", ca_set / "ca-key.pem"):
        os.chown(path, NOBODY, NOBODY)
    result = wizard("generate", "--force", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"k8s-cert-wizard: the CA is not reused: {ca_set} belongs to nobody, not to root — "
        f"that user could have replaced the CA's files; check it, then `chown root {ca_set}` "
        "(or make a new CA) — nothing was made; or give --new-ca"
    )
    assert result.stderr.count("\n") == 1
    assert (ca_set / "admin.pem").read_bytes() == admin  # nothing signed under it
    os.chown(ca_set, 0, 0)
    with pytest.raises(GenerationError, match=f"{ca_set / 'ca.pem'} belongs to nobody"):
        load_existing_cas(ca_set, get_profile("classic"))


@pytest.mark.parametrize(
    ("path", "mode", "expected"),
    [
        ("ca-key.pem", 0o644, "(mode 0644) is a CA key others may read — `chmod 600 {path}`"),
        (".", 0o777, "(mode 0777) is a folder others may write — anyone could have replaced"),
        ("ca.pem", 0o666, "(mode 0666) is a file others may write"),
    ],
)
def test_a_ca_with_loose_modes_is_not_reused(
    tmp_path: Path, ca_set: Path, path: str, mode: int, expected: str
) -> None:
    os.chmod(ca_set / path, mode)
    target = os.path.normpath(ca_set / path)  # the default -o, made absolute by the job
    result = wizard("generate", "--force", cwd=tmp_path)
    assert result.returncode == 1
    assert f"the CA is not reused: {target} " + expected.format(path=target) in result.stderr
    other = tmp_path / "other"
    assert wizard("generate", "--ca", str(ca_set), "-o", str(other), cwd=tmp_path).returncode == 1
    assert not other.exists()


# --- 4. the umask -------------------------------------------------------------------------


def test_every_folder_is_0700_whatever_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "certs"
    files = [
        OutputFile("hosts/10.0.0.1/etc/kubernetes/ssl/ca.pem", b"1"),
        OutputFile("pki/etcd/ca.key", b"2", 0o600),
    ]
    old = os.umask(0)
    try:
        write_files(out, files)
        result = write_files(out, [OutputFile("pki/etcd/ca.key", b"3", 0o600)], force=True)
    finally:
        os.umask(old)
    folders = [tmp_path / "a", tmp_path / "a" / "b"]
    folders += [p for p in out.rglob("*") if p.is_dir()] + [out]
    assert result.backup is not None and result.backup in folders
    assert len(folders) == 13
    assert {p: stat.S_IMODE(p.stat().st_mode) for p in folders} == {p: 0o700 for p in folders}
    assert stat.S_IMODE((out / "pki/etcd/ca.key").stat().st_mode) == 0o600


# --- 7. guards ----------------------------------------------------------------------------


def test_the_cwd_guard_sees_through_dot_dot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "ssl"
    here.mkdir()
    (here / "mine.txt").write_text("x")
    monkeypatch.chdir(here)
    assert target_problem("../ssl").startswith(f"{here} is the folder this command runs in")
    assert target_problem("..").startswith(f"{tmp_path} holds the folder this command runs in")
    for given in ("../ssl", "..", "../ssl/../ssl"):
        with pytest.raises(StoreError, match="the folder this command runs in"):
            write_files(given, [OutputFile("a.pem", b"1")])
    assert leftovers(tmp_path) == [] and leftovers(tmp_path.parent) == []
    assert [p.name for p in here.iterdir()] == ["mine.txt"]


def test_an_immutable_file_does_not_turn_a_done_swap_into_a_failure(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    make_old(out)
    stuck = out / "notes.txt"
    if subprocess.run(["chattr", "+i", str(stuck)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i does not work on this filesystem")
    try:
        result = write_files(out, [OutputFile("a.pem", b"new a")], force=True)
        assert (out / "a.pem").read_bytes() == b"new a"
        assert (out / "notes.txt").read_bytes() == b"mine"
        (note,) = result.notes
        assert note.startswith(f"the new set is in {out}, but the old copy ")
        assert "could not be removed (Operation not permitted" in note
        assert "an immutable file (lsattr)?" in note
        (left,) = leftovers(tmp_path)
        # the next run says so again, and still works
        again = write_files(out, [OutputFile("b.pem", b"b")])
        assert again.written == ["b.pem"] and any(left in n for n in again.notes)
    finally:
        for path in tmp_path.rglob("notes.txt"):
            subprocess.run(["chattr", "-i", str(path)], check=True)
    write_files(out, [OutputFile("c.pem", b"c")])
    assert leftovers(tmp_path) == []


def test_bad_paths_are_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    long = tmp_path / ("x" * 300) / "certs"
    cases = {
        long: f"cannot use {tmp_path / ('x' * 300)}: a name in it is too long",
        tmp_path / "file" / "certs": f"cannot create {tmp_path / 'file' / 'certs'}: "
        f"{tmp_path / 'file'} is a file, not a directory",
        tmp_path / "loop1" / "certs": "too many symbolic links",
    }
    for given, expected in cases.items():
        assert expected in target_problem(given), given
        with pytest.raises(StoreError, match="cannot"):
            write_files(given, [OutputFile("a.pem", b"1")])
    config = spec_file(tmp_path)
    for given in cases:
        result = wizard("generate", "-c", str(config), "-o", str(given), cwd=tmp_path)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("k8s-cert-wizard: cannot"), result.stderr


# --- issue 17: one backup folder per run ---------------------------------------------------


def test_two_runs_in_the_same_second_keep_separate_backups(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    make_old(out)
    moment = datetime(2026, 12, 2, 20, 30, tzinfo=UTC)
    first = write_files(out, [OutputFile("a.pem", b"one")], force=True, now=moment)
    second = write_files(out, [OutputFile("a.pem", b"two")], force=True, now=moment)
    assert first.backup == out / backup_name(moment)
    assert first.backup.name == f"backup-20261202T203000Z-{os.getpid()}"
    assert second.backup == out / f"{backup_name(moment)}-2"
    assert (first.backup / "a.pem").read_bytes() == b"old a"
    assert (second.backup / "a.pem").read_bytes() == b"one"
    assert stat.S_IMODE(second.backup.stat().st_mode) == 0o700
    assert OLD_CA_KEY in all_bytes(out)


CONCURRENT = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from wizard.store import OutputFile, write_files
moment = datetime(2026, 12, 2, 20, 30, tzinfo=UTC)
result = write_files(Path(sys.argv[1]), [OutputFile("a.pem", sys.argv[2].encode())],
                     force=True, now=moment)
print(result.backup.name)
"""


def test_other_processes_in_the_same_second_choose_other_names(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    make_old(out)
    names = []
    for content in ("one", "two", "three"):
        process = subprocess.run(
            [sys.executable, "-c", CONCURRENT, str(out), content],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=True,
        )
        names.append(process.stdout.strip())
    assert len(set(names)) == 3 and all(n.startswith("backup-20261202T203000Z-") for n in names)
    assert sorted((out / n / "a.pem").read_bytes() for n in names) == [b"old a", b"one", b"two"]


def test_a_linked_folder_the_run_does_not_write_into_is_carried_as_a_link(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "certs", tmp_path / "elsewhere"
    make_old(out)
    elsewhere.mkdir()
    (elsewhere / "theirs.txt").write_text("t")
    (out / "shared").symlink_to(elsewhere)
    write_files(out, [OutputFile("a.pem", b"new a")], force=True)
    assert os.readlink(out / "shared") == str(elsewhere)
    assert [p.name for p in elsewhere.iterdir()] == ["theirs.txt"]
    assert os.readlink(out / "a-link.pem") == "a.pem" and (out / "a.pem").read_bytes() == b"new a"


def test_a_directory_others_may_write_is_kept_with_a_note(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    out.mkdir()
    os.chmod(out, 0o777)
    result = write_files(out, [OutputFile("a.json", b"{}")])
    assert result.notes == [
        f"{out} (mode 0777) may be written by others, who could replace its keys and CA — "
        f"`chmod go-w {out}`"
    ]
    assert stat.S_IMODE(out.stat().st_mode) == 0o777  # its mode is kept, as promised
