"""Broken standard streams: closed or a directory on stdin, closed or /dev/full on stdout.

Each case ends with one line on stderr and exit 1, never a traceback; certinfo's words are
cfssl-certinfo's where cfssl says anything (issue 12).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.cli import main

WIZARD = f"{shlex.quote(sys.executable)} -m wizard"
ROOT = Path(__file__).resolve().parent.parent


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `command` in bash (for its redirections), with this worktree's wizard."""
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr and "Fatal Python" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def cert_dir(tmp_path: Path) -> Path:
    assert main(["init", "-o", str(tmp_path / "cluster.toml")]) == 0
    assert main(["generate", "-c", str(tmp_path / "cluster.toml"), "-o", str(tmp_path)]) == 0
    return tmp_path


CFSSL_CASES = [
    ("-cert - 0<&-", "read /dev/stdin: bad file descriptor"),
    ("-cert nope.pem >&-", "open nope.pem: no such file or directory"),
    ("-cert .", "read .: is a directory"),
    ("-cert /dev/stdin 0<&-", "open /dev/stdin: no such file or directory"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("redirect", "line"), CFSSL_CASES)
def test_certinfo_broken_stdin_says_what_cfssl_says(
    cert_dir: Path, redirect: str, line: str
) -> None:
    ours = shell(f"{WIZARD} certinfo {redirect}", cert_dir)
    assert ours.returncode == 1
    assert one_line(ours) == line
    if shutil.which("cfssl-certinfo"):
        theirs = shell(f"cfssl-certinfo {redirect}", cert_dir)
        assert theirs.stderr.strip() == line


@pytest.mark.parametrize(
    ("redirect", "line"),
    [
        (">&-", "write /dev/stdout: bad file descriptor"),
        (">/dev/full", "write /dev/stdout: no space left on device"),
    ],
)
def test_certinfo_broken_stdout_is_one_line(cert_dir: Path, redirect: str, line: str) -> None:
    ours = shell(f"{WIZARD} certinfo -cert ca.pem {redirect}", cert_dir)
    assert ours.returncode == 1
    assert one_line(ours) == line
    if shutil.which("cfssl-certinfo"):  # cfssl ignores the failed write: nothing on stderr
        assert shell(f"cfssl-certinfo -cert ca.pem {redirect}", cert_dir).stderr == ""


def test_certinfo_with_stdout_and_stderr_closed_says_nothing_and_fails(cert_dir: Path) -> None:
    result = shell(f"{WIZARD} certinfo -cert ca.pem >&- 2>&-", cert_dir)
    assert result.returncode == 1


@pytest.mark.parametrize(
    "command", ["init -o new.toml", "csr -o json", "generate -o certs", "layout", "review ."]
)
def test_other_commands_refuse_a_closed_stdout_before_doing_anything(
    cert_dir: Path, command: str
) -> None:
    before = sorted(p.name for p in cert_dir.iterdir())
    result = shell(f"{WIZARD} {command} >&-", cert_dir)
    assert result.returncode == 1
    assert "standard output is closed — nothing was done" in one_line(result)
    assert sorted(p.name for p in cert_dir.iterdir()) == before


@pytest.mark.parametrize(
    "command", ["init -o new.toml", "csr -o json", "generate -o certs", "layout", "review ."]
)
def test_other_commands_on_dev_full_say_one_line(cert_dir: Path, command: str) -> None:
    result = shell(f"{WIZARD} {command} >/dev/full", cert_dir)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # the set's notes come first; the failure is the last line
    assert result.stderr.splitlines()[-1] == (
        "k8s-cert-wizard: write /dev/stdout: no space left on device"
    )
